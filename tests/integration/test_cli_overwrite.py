"""Every command writing a file leaves an existing one as it was unless --overwrite, refused in one
line naming the option and the file before any work is done (export, backup, jc, tc, creep and
suggest replaced it without a word; measure get refused it)."""

from __future__ import annotations

import pytest

from fluxtrap.campaign import CampaignSpec
from fluxtrap.simulate.case import Case
from fluxtrap.store import Store

from ..conftest import EXAMPLES, cli
from .test_store_simulations import QUICK_CASE

NAME = "K-Ba122 SPS"
PARAMS = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "lab.db")
    store = Store(path)
    store.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    store.add_sample(NAME, "B1", PARAMS)
    store.add_measurement(NAME, "B1", "mh_loop", "loop.dat", b"raw bytes\n")
    store.engine.dispose()
    return path


# (command line, the option writing the file); {out}: the existing file; the inputs of jc, tc and
# creep are not instrument files: a refusal before any work never reads them
COMMANDS = [
    (["export", "-c", NAME, "--out", "{out}"], "--out"),
    (["backup", NAME, "--out", "{out}"], "--out"),
    (["suggest", "-c", NAME, "--out", "{out}"], "--out"),
    (["measure", "get", "1", "--out", "{out}"], "--out"),
    (["jc", "{input}", "--a", "1 mm", "--b", "2 mm", "--c", "1 mm", "--out", "{out}"], "--out"),
    (["jc", "{input}", "--a", "1 mm", "--b", "2 mm", "--c", "1 mm", "--plot", "{out}"], "--plot"),
    (["tc", "{input}", "--out", "{out}"], "--out"),
    (["tc", "{input}", "--plot", "{out}"], "--plot"),
    (["creep", "{input}", "--out", "{out}"], "--out"),
    (["creep", "{input}", "--plot", "{out}"], "--plot"),
]


@pytest.mark.parametrize(("args", "option"), COMMANDS, ids=[f"{a[0]} {o}" for a, o in COMMANDS])
def test_an_existing_output_is_refused_before_any_work(tmp_path, capsys, db, args, option):
    inp, out = tmp_path / "input.dat", tmp_path / ("out.png" if option == "--plot" else "out.csv")
    inp.write_text("not an instrument file\n")
    out.write_text("mine\n")
    line = [a.format(out=out, input=inp) for a in args]
    store_command = args[0] not in ("jc", "tc", "creep")
    code, text, err = cli(capsys, *line, *(["--db", db] if store_command else []))
    assert code == 2 and text == "", (text, err)
    assert err == f"error: {option} {out}: exists; give --overwrite to replace it\n"
    assert out.read_text() == "mine\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial file
    assert Store(db).suggestions(NAME) == []  # suggest refused before it fitted and stored


@pytest.mark.parametrize("command", ["export", "backup", "measure get"])
def test_overwrite_replaces_an_existing_output_whole(tmp_path, capsys, db, command):
    out = tmp_path / "out.file"
    out.write_text("mine\n")
    args = {
        "export": ["export", "-c", NAME],
        "backup": ["backup", NAME, "-q"],
        "measure get": ["measure", "get", "1"],
    }[command]
    code, _, err = cli(capsys, *args, "--out", str(out), "--db", db, "--overwrite")
    assert code == 0, err
    head = {"export": b"label,", "backup": b"PK\x03\x04", "measure get": b"raw bytes\n"}[command]
    assert out.read_bytes().startswith(head)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial left


def test_simulation_show_keeps_a_case_file_in_its_folder(tmp_path, capsys, db):
    """`simulation show ID --out .` in the folder of the case one ran replaced that case.toml."""
    (tmp_path / "q.toml").write_text(QUICK_CASE)
    case = Case.from_toml(tmp_path / "q.toml")
    (tmp_path / "q.toml").unlink()
    summary, probes = {"probes": {}}, b"time_s\n0\n"
    rec = Store(db).add_simulation(case, QUICK_CASE, summary=summary, probes_csv=probes)
    mine = tmp_path / "case.toml"
    mine.write_text('title = "my edited case"\n')
    code, _, err = cli(
        capsys, "simulation", "show", str(rec.id), "--db", db, "--out", str(tmp_path)
    )
    assert code == 2 and f"--out {tmp_path}: holds case.toml; give --overwrite" in err, err
    assert mine.read_text() == 'title = "my edited case"\n'
    assert not (tmp_path / "probes.csv").exists()
    args = ["simulation", "show", str(rec.id), "--db", db, "--out", str(tmp_path), "--overwrite"]
    code, _, err = cli(capsys, *args)
    assert code == 0 and mine.read_text() == QUICK_CASE, err
    assert (tmp_path / "probes.csv").read_text() == "time_s\n0\n"


def test_an_output_with_the_longest_name_a_file_may_have_is_written(tmp_path, capsys, db):
    """A 250-byte --out name: its hidden copy, .NAME.<hex>.partial, was over the 255 bytes a file
    name may have, and export failed with an OSError traceback (File name too long)."""
    out = tmp_path / ("h" * 246 + ".csv")
    code, _, err = cli(capsys, "export", "-c", NAME, "--out", str(out), "--db", db)
    assert code == 0, err
    assert out.read_text().startswith("label,")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
