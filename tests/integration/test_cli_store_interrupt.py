"""Ctrl-C (or SIGTERM, raised as the same KeyboardInterrupt) during a store command or the demo:
one line saying what was stopped and that nothing is half-written, exit 130; they exited 130
without a word (simulate, sweep, calibrate and safe-ramp already said so)."""

from __future__ import annotations

import pytest

import fluxtrap.store
import fluxtrap.store.store
from fluxtrap.store import Store

from ..conftest import EXAMPLES, cli

NAME = "K-Ba122 SPS"
WHOLE = "nothing half-written (the store takes each change in one transaction"
PARAMS = ["--param", "ramp_rate=50", "--param", "max_temperature=600", "--param", "dwell_time=5"]


@pytest.fixture
def db(tmp_path, capsys) -> str:
    path = str(tmp_path / "lab.db")
    assert cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", path)[0] == 0
    return path


def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def test_an_import_stopped_inside_its_transaction_stores_nothing_and_says_so(
    capsys, tmp_path, db, monkeypatch
):
    """Stopped after the rows were written to the transaction, before it committed."""
    csv = tmp_path / "h.csv"
    args = ["sample", "add", "--db", db, "-c", NAME, "--label", "A1", *PARAMS]
    assert cli(capsys, *args)[0] == 0
    assert cli(capsys, "export", "-c", NAME, "--out", str(csv), "--db", db)[0] == 0
    csv.write_text(csv.read_text().replace("A1", "B1"))
    monkeypatch.setattr(fluxtrap.store.store, "_sample_record", interrupt)
    code, _, err = cli(capsys, "import", str(csv), "-c", NAME, "--db", db)
    assert code == 130 and f"interrupted: import: {WHOLE}" in " ".join(err.split()), err
    monkeypatch.undo()
    assert [s.label for s in Store(db).samples(NAME)] == ["A1"]


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("campaign create", [str(EXAMPLES / "campaign.toml")]),
        ("campaign list", []),
        ("campaign show", [NAME]),
        ("sample add", ["-c", NAME, "--label", "A1", *PARAMS]),
        ("sample measured", ["-c", NAME, "A1", "-o", "jc_3T=2e8"]),
        ("sample status", ["-c", NAME, "A1", "failed"]),
        ("sample list", ["-c", NAME]),
        (
            "measure add",
            ["-c", NAME, "--sample", "A1", "loop.dat", "--a", "1 mm", "--b", "2 mm", "--c", "1 mm"],
        ),  # fmt: skip
        ("measure list", ["-c", NAME]),
        ("measure get", ["1", "--out", "m.dat"]),
        ("export", ["-c", NAME, "--out", "h.csv"]),
        ("import", ["h.csv", "-c", NAME]),
        ("backup", [NAME, "--out", "b.zip"]),
        ("restore", ["b.zip"]),
        ("suggest", ["-c", NAME]),
        ("suggestion list", ["-c", NAME]),
        ("suggestion mark", ["1", "discarded"]),
        ("user add", ["alice"]),
        ("user list", []),
        ("user revoke", ["alice"]),
        ("user rotate", ["alice"]),
    ],
)
def test_every_store_command_says_it_was_stopped(capsys, tmp_path, monkeypatch, command, args):
    monkeypatch.chdir(tmp_path)
    fluxtrap.store.Store(tmp_path / "fluxtrap.db")  # a store (an empty file is refused as none)
    if command == "measure add":  # its file is read before the store is opened
        from fluxtrap.magnetometry.jc import kim
        from fluxtrap.magnetometry.synthetic import synthetic_mh_loop, write_qd_dat

        loop = synthetic_mh_loop(kim(1e9, 0.6), 1e-3, 2e-3, 1e-3, seed=1)
        write_qd_dat(loop, tmp_path / "loop.dat")
    if command == "restore":  # its archive must be a file before a store is opened
        (tmp_path / "b.zip").write_bytes(b"")
    monkeypatch.setattr(fluxtrap.store, "Store", interrupt)
    code, _, err = cli(capsys, *command.split(), *args)
    assert code == 130 and f"interrupted: {command}: nothing half-written" in err, err


def test_a_stopped_demo_says_what_it_left(capsys, tmp_path, monkeypatch):
    import fluxtrap.demo.run

    monkeypatch.setattr(fluxtrap.demo.run, "run_demo", interrupt)
    code, _, err = cli(capsys, "demo", "--out", str(tmp_path), "--quick", "--quiet")
    said = " ".join(err.split())
    assert code == 130 and f"interrupted: demo: {tmp_path / 'fluxtrap-demo.db'} holds" in said
