"""``fluxtrap compare``: a measured Hall-probe CSV against a simulation folder or a stored
simulation; the table, compare.json and compare.png, and the errors."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from fluxtrap.units import estimate_text

from ..conftest import cli
from ..unit.magnetometry.test_compare import A_T, B_T, measured, sim_table
from .test_store_simulations import QUICK_CASE


@pytest.fixture
def files(tmp_path):
    """A synthetic run folder (probes.csv, one probe) and a measured series scaled by 0.9."""
    run = tmp_path / "run"
    run.mkdir()
    sim_table().to_csv(run / "probes.csv", index=False)
    time, field, applied = measured(scale=0.9, noise_T=2e-4)
    meas = tmp_path / "hall.csv"
    rows = "\n".join(
        f"{t:.6f},{b:.7f},{a:.3f}" for t, b, a in zip(time, field, applied, strict=True)
    )
    meas.write_text("time_s,hall_B_T,applied_T\n" + rows + "\n")
    return meas, run


def test_compare_stopped_while_drawing_leaves_out_as_it_was(files, tmp_path, capsys, monkeypatch):
    """Ctrl-C in the figure: --out is not made (its files are staged) and one line says so."""
    from matplotlib.figure import Figure

    def stop(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Figure, "savefig", stop)
    meas, run = files
    out = tmp_path / "cmp"
    code, _, err = cli(capsys, "compare", str(meas), str(run), "--out", str(out))
    assert code == 130 and "interrupted: compare: nothing half-written" in err, err
    assert not out.exists()


def test_compare_prints_the_table_and_writes_json_and_png(files, tmp_path, capsys):
    meas, run = files
    out = tmp_path / "cmp"
    code, text, err = cli(capsys, "compare", str(meas), str(run), "--at", "3 d", "--out", str(out))
    assert code == 0, err
    assert "hall.csv (hall_B_T) against" in text and "probe surface: 400 points" in text
    assert re.search(r"measured / simulated at 5e\+04 s\s*│ 0\.89\d+ ± 0\.0000\d\d ", text), text
    assert "decay at 2.592e+05 s (ppm/h)" in text and "205.7" in text
    got = json.loads((out / "compare.json").read_text())
    assert got["probe"] == "surface" and got["n_points"] == 400 and got["at_s"] == 259200.0
    assert got["ratio_end"] == pytest.approx(0.9, abs=1e-3)
    assert got["simulated"]["b_T"] == pytest.approx(B_T, rel=2e-3)
    assert got["measured"]["b_T"] == pytest.approx(0.9 * B_T, rel=5e-3)
    assert got["measured"]["decay_at_ppm_per_h"] == pytest.approx(205.66, rel=5e-3)
    assert got["rms_pct"] == pytest.approx(11.1, abs=0.1)
    assert (out / "compare.png").read_bytes()[:4] == b"\x89PNG"
    assert got["simulation_max_error_T"] is None  # a folder without summary.json
    (run / "summary.json").write_text("{not json")
    code, _, err = cli(capsys, "compare", str(meas), str(run))
    assert code == 0 and "summary.json: not JSON; no discretization error shown" in err


def test_empty_cells_of_a_logger_file_are_left_out_and_named(files, tmp_path, capsys):
    """A measured file with empty field cells (a logger's missing readings) was refused ("empty
    cell where a number is required") where creep reads it; now compare leaves those rows out
    and names them as creep does: the warning, the printed line and compare.json."""
    meas, run = files
    lines = meas.read_text().splitlines()
    for k in (11, 12, 300):  # data rows 11, 12 and 300 (line 0 is the header)
        t, _, a = lines[k].split(",")
        lines[k] = f"{t},,{a}"
    gappy = tmp_path / "gappy.csv"
    gappy.write_text("\n".join(lines) + "\n")
    out = tmp_path / "cmp"
    code, text, err = cli(capsys, "compare", str(gappy), str(run), "--out", str(out))
    assert code == 0, err
    assert "gappy.csv: 3 of 403 rows have no finite time, field or applied field" in err
    assert "lines 12, 13, 301 of the file (t = " in err  # the file's lines, not data rows
    text = " ".join(text.split())
    assert "397 points" in text and "3 rows without a value left out (see the warning)" in text
    got = json.loads((out / "compare.json").read_text())
    assert (got["n_dropped"], got["dropped_rows"], got["n_points"]) == (3, [11, 12, 300], 397)


def test_compare_and_creep_state_s_alike(files, tmp_path, capsys):
    """compare printed S = b / B at --at (0.01446 at 5e4 s), creep S = b / B(t0) at its first
    point (0.01305 at 30 s): 11% apart for one series under one name. Both now print both, labelled
    alike, and compare.json has creep's S_at_start beside S_at."""
    meas, run = files
    out = tmp_path / "cmp"
    code, text, err = cli(capsys, "compare", str(meas), str(run), "--out", str(out), "--at", "3 d")
    assert code == 0, err
    text = " ".join(text.split())
    m = json.loads((out / "compare.json").read_text())["measured"]
    b_t0 = m["a_T"] - m["b_T"] * np.log(30.0)
    assert m["S_at_start"] == pytest.approx(m["b_T"] / b_t0, rel=1e-9)
    assert "S = b/B(t0), t0 = 30 s (1)" in text
    assert f"S = b/B(t) at 2.592e+05 s (1) │ {estimate_text(m['S_at'], m['S_at_sigma'])}" in text
    code, creep_text, err = cli(
        capsys, "creep", str(meas), "--origin", "200 s", "--start", "30 s", "--at", "3 d"
    )
    creep_text = " ".join(creep_text.split())
    assert code == 0 and "S = b/B(t0), t0 = 30 s (1)" in creep_text, err
    assert "S = b/B(t) at 2.592e+05 s (1)" in creep_text


def test_a_simulated_row_without_a_finite_value_is_named(files, tmp_path, capsys):
    """An inf in the simulated probe's column was left out without a word; now named as the
    measured rows are: the warning, the printed line and compare.json."""
    meas, run = files
    table = sim_table()
    table.loc[40, "surface_Bz_T"] = np.inf
    table.to_csv(run / "probes.csv", index=False)
    out = tmp_path / "cmp"
    code, text, err = cli(capsys, "compare", str(meas), str(run), "--out", str(out))
    assert code == 0 and "surface (simulated): 1 of 71 rows has no finite time" in err, err
    assert "simulated: 1 row without a value left out" in " ".join(text.split())
    got = json.loads((out / "compare.json").read_text())
    assert (got["simulated_n_dropped"], got["simulated_dropped_rows"]) == (1, [41])


def test_a_rate_far_past_the_data_is_said_to_be_extrapolated(files, tmp_path, capsys):
    """--at 300 d on a comparison ending at 5e4 s printed both decay rates 2.7 decades past the
    data without a word (creep warns of the same); --at 3 d, within a decade, stays quiet."""
    meas, run = files
    out = tmp_path / "cmp"
    code, _, err = cli(capsys, "compare", str(meas), str(run), "--at", "300 d", "--out", str(out))
    assert code == 0 and err.count("warning: ") == 1, err
    assert "warning: hall.csv [measured]: t = 2.592e+07 s = 300 d (--at) lies 2.71 decades" in err
    assert json.loads((out / "compare.json").read_text())["at_extrapolated"].startswith("hall.csv")
    code, _, err = cli(capsys, "compare", str(meas), str(run), "--at", "3 d", "--out", str(out))
    assert code == 0 and "warning" not in err, err
    assert json.loads((out / "compare.json").read_text())["at_extrapolated"] == ""


def test_compare_interrupted_while_drawing_keeps_the_earlier_pair(
    files, tmp_path, capsys, monkeypatch
):
    """compare.json was replaced before compare.png was drawn: Ctrl-C (or an error) in between
    left the new numbers beside the old figure."""
    from fluxtrap.magnetometry import plots

    meas, run = files
    out = tmp_path / "cmp"
    assert cli(capsys, "compare", str(meas), str(run), "--out", str(out))[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "compare", interrupted)
    code, _, _ = cli(capsys, "compare", str(meas), str(run), "--shift", "60 s", "--out", str(out))
    assert code == 130
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no partial folder either


def test_shift_and_its_errors(tmp_path, files, capsys):
    _, run = files
    t = np.geomspace(30.0, 5e4, 200)
    late = tmp_path / "late.csv"  # no applied column; its clock started 100 s after the origin
    late.write_text("t (h),B (mT)\n" + "\n".join(
        f"{(x - 100) / 3600:.9f},{1e3 * (A_T - B_T * np.log(x)):.6f}" for x in t) + "\n")  # fmt: skip
    out = tmp_path / "o"
    assert cli(capsys, "compare", str(late), str(run), "--shift", "100 s", "-o", str(out))[0] == 0
    assert json.loads((out / "compare.json").read_text())["rms_T"] < 1e-5
    code, _, err = cli(capsys, "compare", str(late), str(run), "--shift", "a while")
    assert code == 2 and "--shift" in err
    code, _, err = cli(capsys, "compare", str(late), str(run), "--shift", "3 mm")
    assert code == 2 and "--shift: '3 mm' is not a time" in err
    code, _, err = cli(capsys, "compare", str(late), str(run), "--shift", "-1 d")
    assert code == 2 and "no time overlap" in err


def test_probe_and_column_errors(tmp_path, files, capsys):
    meas, run = files
    sim_table(("surface", "gap")).to_csv(run / "probes.csv", index=False)
    code, _, err = cli(capsys, "compare", str(meas), str(run))
    assert code == 2 and "several probes (surface, gap); choose one with --probe" in err
    code, _, err = cli(capsys, "compare", str(meas), str(run), "--probe", "edge")
    assert code == 2 and "no probe 'edge'; probes: surface, gap" in err
    assert cli(capsys, "compare", str(meas), str(run), "--probe", "gap")[0] == 0
    sim_table().drop(columns="applied_T").to_csv(run / "probes.csv", index=False)
    code, _, err = cli(capsys, "compare", str(meas), str(run))
    assert code == 2 and "lacks applied_T" in err
    code, _, err = cli(capsys, "compare", str(meas), str(tmp_path / "nowhere"))
    assert code == 2 and "no simulation output here" in err
    nofield = tmp_path / "nofield.csv"
    nofield.write_text("time_s,temperature_K\n1,20\n2,20\n")
    code, _, err = cli(capsys, "compare", str(nofield), str(run))
    assert code == 2 and "no field column" in err


def test_a_real_coarse_run_against_itself_from_the_store(store, store_url, tmp_path, capsys):
    case = tmp_path / "quick.toml"
    case.write_text(QUICK_CASE)
    out = tmp_path / "run"
    code, text, err = cli(capsys, "simulate", str(case), "-o", str(out), "--db", store_url, "-q")
    assert code == 0, err
    (rec,) = store.simulations()
    # the run's own probes.csv read as a measured series (applied_T gives the origin)
    code, text, err = cli(capsys, "compare", str(out / "probes.csv"), str(rec.id), "--db", store_url,
                          "-o", str(tmp_path / "c"))  # fmt: skip
    assert code == 0, err
    assert "probe surface" in text
    got = json.loads((tmp_path / "c" / "compare.json").read_text())
    assert (
        got["rms_T"] == 0.0
        and got["ratio_end"] == 1.0
        and got["simulation"] == f"simulation {rec.id}"
    )
    assert got["t_end_s"] == pytest.approx(10.0)  # the 10 s hold after the 10 s ramp to 0 T
    assert got["measured"]["b_T"] == got["simulated"]["b_T"] > 0  # the trapped field creeps down
    # the simulation's own error estimate beside the difference (the store's summary, the folder's)
    error = rec.summary["probes"]["surface"]["max_error_T"]
    assert got["simulation_max_error_T"] == error > 0
    assert f"simulation's discretization error, max over run (T) │ {error:.2g}" in text
    code, text, err = cli(
        capsys, "compare", str(out / "probes.csv"), str(out), "-o", str(tmp_path / "d")
    )
    assert code == 0 and f"{error:.2g}" in text, err
    assert (
        json.loads((tmp_path / "d" / "compare.json").read_text())["simulation_max_error_T"] == error
    )
    code, _, err = cli(capsys, "compare", str(out / "probes.csv"), "999", "--db", store_url)
    assert code == 2 and "no simulation with id 999" in err


def test_a_stored_id_without_db_is_read_from_the_default_store(
    store, store_url, tmp_path, capsys, monkeypatch
):
    """``compare hall.csv 1`` said 'no simulation output here' though --db defaults to
    $FLUXTRAP_DB or ./fluxtrap.db; a folder named like the id still wins."""
    case = tmp_path / "quick.toml"
    case.write_text(QUICK_CASE)
    out = tmp_path / "run"
    assert cli(capsys, "simulate", str(case), "-o", str(out), "--db", store_url, "-q")[0] == 0
    (rec,) = store.simulations()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLUXTRAP_DB", store_url)
    code, text, err = cli(capsys, "compare", str(out / "probes.csv"), str(rec.id))
    assert code == 0 and f"against simulation {rec.id} probe surface" in text, err
    (tmp_path / str(rec.id)).mkdir()
    (tmp_path / str(rec.id) / "probes.csv").write_text((out / "probes.csv").read_text())
    code, text, err = cli(capsys, "compare", str(out / "probes.csv"), str(rec.id))
    assert code == 0 and f"against {rec.id}/probes.csv probe surface" in text, err
    monkeypatch.delenv("FLUXTRAP_DB")
    code, _, err = cli(capsys, "compare", str(out / "probes.csv"), "7")
    assert code != 0 and "fluxtrap.db: no store there" in err


def test_start_leaves_the_early_relaxation_out_of_both_fits(files, tmp_path, capsys):
    meas, run = files
    code, _, err = cli(capsys, "compare", str(meas), str(run), "-o", str(tmp_path / "all"))
    assert code == 0, err
    whole = json.loads((tmp_path / "all" / "compare.json").read_text())
    code, text, err = cli(capsys, "compare", str(meas), str(run), "--start", "1000 s",
                          "-o", str(tmp_path / "late"))  # fmt: skip
    assert code == 0, err
    late = json.loads((tmp_path / "late" / "compare.json").read_text())
    assert whole["t_start_s"] < 1000 <= late["t_start_s"] and late["n_points"] < whole["n_points"]
    assert late["simulated"]["b_T"] == pytest.approx(B_T, rel=2e-3)
    code, _, err = cli(capsys, "compare", str(meas), str(run), "--start", "1e9 s")
    assert code == 2 and "no time overlap" in err and "start 1e+09 s" in err
    code, _, err = cli(capsys, "compare", str(meas), str(run), "--start", "0 s")
    assert code == 2 and "--start '0 s': give a time after the origin" in err


@pytest.mark.parametrize("at", ["-5 d", "0 s"])
@pytest.mark.parametrize("command", ["compare", "creep"])
def test_a_rate_at_or_before_the_origin_is_refused(files, tmp_path, capsys, command, at):
    meas, run = files  # --at 0 or before printed and wrote "decay nan ± nan" (ln t undefined)
    args = (str(meas), str(run)) if command == "compare" else (str(meas),)
    code, _, err = cli(capsys, command, *args, "--at", at, "--out", str(tmp_path / "o.json"))
    assert code == 2 and err == (
        f"error: --at {at!r}: give a time after the origin, over 0 s up to 1e+11 s\n"
    )
    assert not (tmp_path / "o.json").exists()


def test_a_probes_table_beyond_the_limit_is_refused_unread(files, capsys, monkeypatch):
    meas, run = files  # it was read whole into memory, however large
    monkeypatch.setattr("fluxtrap.probetable.MAX_PROBES_FILE", 1000)  # compare reads it on use
    code, _, err = cli(capsys, "compare", str(meas), str(run))
    limit = "more than 1000 bytes (0.000953674 MiB), the most a probes table may have (it has "
    assert code == 2 and err.startswith(f"error: {run / 'probes.csv'}: {limit}"), err


def test_compare_into_a_folder_in_use_is_refused_and_leaves_no_lock(files, tmp_path, capsys):
    """compare wrote into --out without the folder lock the simulation commands take."""
    from filelock import FileLock

    meas, run = files
    out = tmp_path / "cmp"
    out.mkdir()
    with FileLock(out / ".fluxtrap.lock"):  # another run, holding it
        code, _, err = cli(capsys, "compare", str(meas), str(run), "--out", str(out))
    assert code == 2 and f"{out}: another fluxtrap run is writing there" in err
    assert [p.name for p in out.iterdir()] == [".fluxtrap.lock"]  # the other run's, not removed
    assert cli(capsys, "compare", str(meas), str(run), "--out", str(out))[0] == 0
    assert sorted(p.name for p in out.iterdir()) == ["compare.json", "compare.png"]


def test_creep_and_compare_give_each_value_to_the_digits_of_its_1_sigma(files, capsys):
    """The fits printed "b 0.01744 ± 3.2e-05", "decay 73.9 ± 0.14": each value with its own
    digits beside a 1-sigma of others. Each is now rounded at its 1-sigma's second digit."""
    meas, run = files
    for args in (["creep", str(meas)], ["compare", str(meas), str(run)]):
        code, text, err = cli(capsys, *args, "--at", "3 d")
        assert code == 0, err
        shown = re.findall(r"│ (-?[\d,]+\.?(\d*)) ± ([\d,]+\.?(\d*)) ", text)
        assert len(shown) >= 3, text  # a, b, the decay (and creep's B at --at)
        for value, decimals, error, error_decimals in shown:
            assert len(decimals) == len(error_decimals), (args[0], value, error)


def test_compare_and_creep_print_one_b_with_its_origin_s_uncertainty(files, tmp_path, capsys):
    """A logger file holding its ramp (origin found in the data 10 s late): creep printed b
    0.01345 ± 0.00018 (the origin's part in it), compare 0.013454 ± 0.000036 for the same
    points, the truth 0.0136 4 of its 1-sigma off. Both now print the one b ± 1-sigma."""
    from ..unit.magnetometry.test_tc_creep import hall_logger

    _, run = files
    t, b, _, _ = hall_logger(4.8, dt_s=2.0, hold_s=6000)
    logger = tmp_path / "logger.csv"
    logger.write_text(
        "time_s,hall_B_T\n" + "\n".join(f"{x:.1f},{y:.6f}" for x, y in zip(t, b, strict=True))
    )
    shown = []
    for args in (["creep", str(logger)], ["compare", str(logger), str(run)]):
        code, text, err = cli(capsys, *args)
        assert code == 0, err
        shown.append(re.search(r"b \(T per ln s\)\s*│ ([\d.]+) ± ([\d.]+) ", text).groups())
    assert shown[0] == shown[1], shown
    value, sigma = map(float, shown[1])
    assert abs(value - 0.0136) < 2 * sigma
