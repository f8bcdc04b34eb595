"""The first error a user sees is the real one: a command checks the cheap and certain things (the
file exists, is a file and holds what it should) before it asks for options that depend on them
(`measure add nofile.dat` asked for the sample's edges, and after they were given said that
there was no such file)."""

from __future__ import annotations

import pytest

from ..conftest import EXAMPLES, cli

NAME = "K-Ba122 SPS"


@pytest.fixture
def db(tmp_path, capsys) -> str:
    path = str(tmp_path / "lab.db")
    assert cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", path)[0] == 0
    params = ("-p", "ramp_rate=50", "-p", "max_temperature=600", "-p", "dwell_time=5")
    assert cli(capsys, "sample", "add", "--db", path, "-c", NAME, "-l", "B2", *params)[0] == 0
    return path


def _mt_file(folder):
    """An M(T) curve: not an M(H) loop, which measure add reads by default."""
    path = folder / "mt.csv"
    rows = "\n".join(f"{5 + i * 0.5:g},100,{-1e-3 if i < 60 else 1e-6:g}" for i in range(100))
    path.write_text("T (K),H (Oe),m (emu)\n" + rows + "\n")
    return path


@pytest.mark.parametrize("file", ["nofile.dat", "adir", "mt.csv"])
@pytest.mark.parametrize("sample", ["B2", "nobody"])
def test_measure_add_says_what_is_wrong_with_the_file_before_asking_for_edges(
    tmp_path, capsys, db, file, sample
):
    (tmp_path / "adir").mkdir()
    _mt_file(tmp_path)
    said = {
        "nofile.dat": "nofile.dat: no such magnetometer file",
        "adir": "adir: not a regular file",
        "mt.csv": "not an M(H) loop",
    }[file]
    path = str(tmp_path / file)
    code, out, err = cli(capsys, "measure", "add", path, "-c", NAME, "-s", sample, "--db", db)
    assert code == 2 and said in err and "edges" not in err and "nobody" not in err, err
    assert err.count("\n") == 1 and out == ""
    # with the edges given, the same first error (a file that is read, but holds no loop, is
    # analysed once, after the sample is found: said then)
    edges = ("--a", "0.5 mm", "--b", "1.2 mm", "--c", "2.8 mm")
    code, _, err = cli(capsys, "measure", "add", path, "-c", NAME, "-s", sample, *edges, "--db", db)
    assert code == 2 and (said in err if file != "mt.csv" or sample == "B2" else "nobody" in err)
    code, out, _ = cli(capsys, "measure", "list", "-c", NAME, "--db", db)
    assert code == 0 and "mt.csv" not in out  # nothing stored


def test_measure_add_asks_for_edges_of_a_file_that_holds_a_loop(tmp_path, capsys, db):
    from fluxtrap.magnetometry.jc import kim
    from fluxtrap.magnetometry.synthetic import synthetic_mh_loop, write_qd_dat

    loop = tmp_path / "loop.dat"
    write_qd_dat(synthetic_mh_loop(kim(1e9, 0.6), 0.5e-3, 1.2e-3, 2.8e-3, seed=1), loop)
    code, _, err = cli(capsys, "measure", "add", str(loop), "-c", NAME, "-s", "B2", "--db", db)
    assert code == 2 and "needs the sample's edges: --a, --b, --c" in err, err


@pytest.mark.parametrize("file", ["nofile.dat", "adir"])
def test_jc_says_what_is_wrong_with_the_file_before_asking_for_edges(tmp_path, capsys, file):
    (tmp_path / "adir").mkdir()
    code, _, err = cli(capsys, "jc", str(tmp_path / file), "--a", "0.5 mm")
    assert code == 2 and file in err and "edges" not in err, err
