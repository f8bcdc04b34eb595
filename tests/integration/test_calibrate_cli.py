"""``fluxtrap calibrate`` end to end on a 2-worker local Dask cluster: calibrate.json, figures,
fitted case, predictions, the record in the store; a rerun served from the case cache; bad input
refused before any run.

One parameter (the Jc scale) on a coarse 4 mm disk keeps it to a handful of simulations; the
measured file comes from the same case at Jc scale 0.9 on a 2 mm mesh with 5 mT of noise
(above the 4 mm model's own discretization error of about 4 mT rms).
"""

from __future__ import annotations

import json
import signal

import numpy as np
import pandas as pd
import pytest

from fluxtrap.cli.common import console
from fluxtrap.errors import InputFileError, ValidationError
from fluxtrap.simulate import Case, simulate
from fluxtrap.simulate.calibrate import apply, parse_fit
from fluxtrap.store import Store
from fluxtrap.units import estimate_text

from ..conftest import cli

CASE = """
title = "cli calibration disk"
[materials.sc]
n = 30
jc.kim = { jc0 = "5e4 A/cm^2", b0 = "1 T" }
[[stack]]
material = "sc"
radius = "10 mm"
thickness = "8 mm"
[[probes]]
name = "top"
r = "0 mm"
z = "8.5 mm"
[[protocol]]
step = "set"
field = "3 T"
temperature = "5 K"
[[protocol]]
step = "ramp_field"
to = "0 T"
rate = "36 T/h"
[[protocol]]
step = "hold"
duration = "600 s"
[mesh]
size = "4 mm"
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("calibrate")
    (d / "disk.toml").write_text(CASE)
    (d / "longer.toml").write_text(CASE.replace('"600 s"', '"1200 s"'))
    case = Case.from_toml(d / "disk.toml")
    truth = apply(case, parse_fit("sc.jc_scale", case), [0.9]).with_options(mesh_size_m=2e-3)
    df = simulate(truth).probes
    t = np.concatenate([np.arange(10.0, 300.0, 20.0), 300 + np.geomspace(1.0, 599.0, 30)])
    b = np.interp(t, df.time_s, df.top_Bz_T) + np.random.default_rng(0).normal(0, 5e-3, t.size)
    pd.DataFrame({"time (min)": t / 60, "B (mT)": 1e3 * b}).to_csv(d / "hall.csv", index=False)
    return d


def test_calibrate_command_writes_the_result_and_reuses_the_cache(files, capsys, monkeypatch):
    import time

    from fluxtrap.workflows.calibrate import DaskRunner

    enter = DaskRunner.__enter__

    def slow_start(self):  # a cluster that takes 1 s more to start: within the fit's budget
        time.sleep(1.0)
        return enter(self)

    monkeypatch.setattr(DaskRunner, "__enter__", slow_start)
    out = files / "out"
    args = ["calibrate", str(files / "disk.toml"), str(files / "hall.csv"), "--probe", "top",
            "--fit", "sc.jc_scale", "--out", str(out), "--origin", "5 min", "--scan", "0",
            "--predict", str(files / "longer.toml"), "--at", "1000 s",
            "--db", str(files / "lab.db"), "--by", "rita"]  # fmt: skip
    code, stdout, _ = cli(capsys, *args)
    assert code == 0, stdout
    res = json.loads((out / "calibrate.json").read_text())
    k = res["parameters"]["sc.jc_scale"]
    assert k["value"] == pytest.approx(0.9, rel=0.03) and 0 < k["sigma"] < 0.03
    assert res["misfit"]["fits"] and res["simulations"] >= 2
    # the cluster's start counts in the estimate and the budget (it was left out of both)
    estimate = res["optimizer"]["estimate"]
    assert estimate["before_scan_s"] > 1.0 and estimate["wall_s"] > 1.0 + estimate["run_s"]
    assert "s spent before the scan: the runner's start-up and the start case" in stdout
    # each simulation at 4 mm misses 1 %: said once, not as a warning per worker and run
    below = res["simulations_below_accuracy"]
    assert below["count"] >= res["simulations"] and below["largest_estimate"] > 0.01
    assert " ".join(stdout.split()).count("did not reach their accuracy target") == 1
    assert res["measurements"][0]["sha256"] and res["fitted_case_key"]
    assert res["series"][0]["noise_T"] == pytest.approx(5e-3, rel=0.35)  # mT column, estimated
    [pred] = res["predictions"]
    assert pred["values"][0]["t_since_origin_s"] == pytest.approx(1000.0)
    assert pred["values"][0]["sigma_T"] > 0
    fitted = Case.from_toml(out / "fitted_case.toml")
    assert fitted.material("sc").jc.jc0_A_m2 == pytest.approx(5e8 * k["value"])
    for name in ("traces.png", "residuals.png", "predictions.csv"):
        assert (out / name).stat().st_size > 0
    monkeypatch.setattr(console, "width", 80)  # the tables' cells whole even so
    code, stdout, _ = cli(capsys, *args)  # the same again: every simulation from the cache
    s = res["series"][0]
    (row,) = [line for line in stdout.splitlines() if line.startswith(f"│ {s['name']} ")]
    assert [c.strip() for c in row.split("│")[1:-1]][:4] == [
        s["name"], "top", str(s["n_points"]), f"{s['noise_T']:.2g} (estimated)",
    ], stdout  # fmt: skip
    (row,) = [line for line in stdout.splitlines() if line.startswith("│ sc.jc_scale ")]
    shown = estimate_text(k["value"], k["sigma"])  # value and sigma rounded alike (0.90189, 0.003)
    assert [c.strip() for c in row.split("│")[1:-1]][:2] == ["sc.jc_scale", shown], stdout
    again = json.loads((out / "calibrate.json").read_text())
    assert code == 0 and again["simulations_cached"] == again["simulations"] + 2  # + prediction
    assert again["parameters"]["sc.jc_scale"]["value"] == k["value"]
    first, second = Store(str(files / "lab.db")).calibrations()  # each run recorded
    assert first.parameters["sc.jc_scale"] == (k["value"], k["sigma"]) and first.fits
    assert first.series[0]["filename"] == "hall.csv" and first.created_by == "rita"
    stored = Store(str(files / "lab.db")).simulation(first.simulation_id)  # the fitted case's run
    assert stored.case_hash == res["fitted_case_key"] and len(stored.probes) > 10


def test_a_trace_that_cannot_be_fitted_exits_1_with_its_outputs(files, capsys):
    df = pd.read_csv(files / "hall.csv")
    df.loc[df["time (min)"] > 7, "B (mT)"] -= 60.0  # a flux jump of 60 mT in the hold
    df.to_csv(files / "jump.csv", index=False)
    out = files / "jump"
    code, stdout, _ = cli(capsys, "calibrate", str(files / "disk.toml"), str(files / "jump.csv"),
                          "--probe", "top", "--fit", "sc.jc_scale", "--out", str(out),
                          "--origin", "300 s", "--scan", "0", "--max-iterations", "6")  # fmt: skip
    assert code == 1
    assert "does not fit" in stdout
    assert not json.loads((out / "calibrate.json").read_text())["misfit"]["fits"]


def test_a_rerun_into_the_folder_leaves_none_of_the_earlier_runs_outputs(files, capsys):
    """An earlier run's predictions.csv and correlation.png (it predicted, fitted two
    parameters) stayed beside a new calibrate.json that has neither, and read as its."""
    out = files / "again"
    out.mkdir()
    for name in ("predictions.csv", "correlation.png", "profile.png", "calibrate.json"):
        (out / name).write_text("an earlier run's")
    (out / "notes.txt").write_text("mine")
    code, stdout, _ = cli(capsys, "calibrate", str(files / "disk.toml"), str(files / "hall.csv"),
                          "--probe", "top", "--fit", "sc.jc_scale", "--out", str(out),
                          "--origin", "5 min", "--scan", "0", "--no-profile",
                          "--max-iterations", "6")  # fmt: skip
    assert code == 0, stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "cache", "calibrate.json", "fitted_case.toml", "notes.txt",
        "residuals.png", "traces.png",
    ]  # fmt: skip
    assert json.loads((out / "calibrate.json").read_text())["predictions"] == []


def test_a_fitted_case_whose_run_is_not_in_the_cache_is_recorded_and_said(
    files, capsys, monkeypatch
):
    """The fitted case's run gone from the cache when the calibration is recorded: the command
    printed "recorded calibration 1 (simulation None of the fitted case)"; now it says the
    calibration is stored without it, and a warning says why (the entry is not in the cache)."""
    import shutil

    import fluxtrap.workflows.calibrate as workflow

    out = files / "unstored"
    if (files / "again" / "cache").is_dir():  # the same fit's runs: no simulation needed
        shutil.copytree(files / "again" / "cache", out / "cache")
    store = workflow.store_calibration

    def cache_lost(*args, **kwargs):
        shutil.rmtree(out / "cache")
        return store(*args, **kwargs)

    monkeypatch.setattr(workflow, "store_calibration", cache_lost)
    code, stdout, err = cli(capsys, "calibrate", str(files / "disk.toml"), str(files / "hall.csv"),
                            "--probe", "top", "--fit", "sc.jc_scale", "--out", str(out),
                            "--origin", "5 min", "--scan", "0", "--no-profile",
                            "--max-iterations", "6", "--db", str(files / "unstored.db"))  # fmt: skip
    stdout, err = " ".join(stdout.split()), " ".join(err.split())
    assert code == 0, err
    assert "None" not in stdout and "recorded calibration 1 without the fitted case's" in stdout
    assert "warning: calibration 1 is stored without the fitted case's simulation: no run of" in err
    assert str(out / "cache") in err
    (rec,) = Store(str(files / "unstored.db")).calibrations()
    assert rec.simulation_id is None and rec.fits


def test_ctrl_c_keeps_the_cache_and_writes_no_result(files):
    """A real process sent SIGINT once its first simulation is cached: it says what it kept and
    exits 130 within seconds, with no calibrate.json (typer exited 130 without a word)."""
    from .test_cli_interrupt import start, stop

    out = files / "stopped"
    proc = start("calibrate", str(files / "disk.toml"), str(files / "hall.csv"), "--probe", "top",
                 "--fit", "sc.jc_scale", "--out", str(out), "--origin", "5 min",
                 "--workers", "1")  # fmt: skip
    waited, err = stop(proc, signal.SIGINT, lambda: any((out / "cache").glob("*.json")))
    assert proc.returncode == 130 and waited < 30, err
    assert f"interrupted: the simulations done so far are kept in {out / 'cache'}" in err
    assert sorted(p.name for p in out.iterdir()) == ["cache"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--probe", "centre", "--fit", "sc.n"], "no probe 'centre'"),
        (["--probe", "top", "--fit", "copper.n"], "not a parameter of this case"),
        (["--probe", "top", "--fit", "sc.n", "--bounds", "sc.n=5"], "NAME=LOW:HIGH"),
        (["--probe", "top", "--probe", "top", "--fit", "sc.n"], "one probe for all files"),
        # --at without --predict was ignored: the calibration ran and predicted nothing
        (["--probe", "top", "--fit", "sc.n", "--at", "1 h"], "need a case to predict (--predict)"),
        (["--probe", "top", "--fit", "sc.n", "--max-wall", "0 s"], "--max-wall: a time above 0"),
        # a probe height bounded into the disk: fitted inside it, only warned
        (
            ["--probe", "top", "--fit", "sc.n,top.z", "--bounds", "top.z=7.5e-3:9.5e-3"],
            "reach into the superconductor 'sc' (z 0..8 mm at the probe's r = 0 mm)",
        ),
        (["--probe", "top", "--fit", "sc.n", "--max-wall", "2"], "--max-wall"),
        # a budget below the estimate: refused after the start case's run, before the scan
        (
            ["--probe", "top", "--fit", "sc.n,sc.jc_scale", "--max-wall", "1 s", "--workers", "1"],
            "over its wall-time budget of 1 s (--max-wall); give a budget of at least",
        ),
    ],
)
def test_bad_requests_fail_before_any_simulation(files, capsys, args, message):
    out = files / "bad"
    code, _, err = cli(capsys, "calibrate", str(files / "disk.toml"), str(files / "hall.csv"),
                       "--out", str(out), *args)  # fmt: skip
    assert code == 2 and message in err
    assert not out.exists() or not (out / "calibrate.json").exists()


def test_a_prediction_past_the_cases_protocol_is_refused_before_the_fit(files, capsys):
    """--at 3 d on a case of 1500 s was refused once the whole fit had run (minutes for a real
    one), without naming the case."""
    out = files / "late"
    code, _, err = cli(capsys, "calibrate", str(files / "disk.toml"), str(files / "hall.csv"),
                       "--probe", "top", "--fit", "sc.n", "--out", str(out),
                       "--predict", str(files / "longer.toml"), "--at", "3 d")  # fmt: skip
    err = " ".join(err.split())
    assert code == 2 and "--at 2.592e+05 s: past the end of" in err and "longer.toml" in err
    assert not out.exists()


def test_a_prediction_case_without_the_calibrated_material_is_refused_before_the_fit(files, capsys):
    """A --predict case whose superconductor has another name failed in the prediction, after the
    whole fit had run, and nothing of the fit was written."""
    (files / "renamed.toml").write_text(
        CASE.replace("[materials.sc]", "[materials.bulk]").replace('"sc"', '"bulk"')
    )
    out = files / "renamed"
    code, _, err = cli(capsys, "calibrate", str(files / "disk.toml"), str(files / "hall.csv"),
                       "--probe", "top", "--fit", "sc.n", "--out", str(out),
                       "--predict", str(files / "renamed.toml"))  # fmt: skip
    err = " ".join(err.split())
    assert code == 2 and "renamed.toml" in err and "no superconductor 'sc'" in err, err
    assert not out.exists()


def test_a_failed_prediction_keeps_the_fit_and_exits_1(files, capsys):
    """A --predict case whose simulation fails (here its [solver] max_wall of 0.05 s) lost the
    whole calibration (nothing written, exit 2); now the fit and the other predictions are written,
    the failure is said and recorded in calibrate.json, and the command exits 1."""
    (files / "stiff.toml").write_text(CASE + '[solver]\nmax_wall = "0.05 s"\n')
    out = files / "stiff"
    code, stdout, _ = cli(capsys, "calibrate", str(files / "disk.toml"), str(files / "hall.csv"),
                          "--probe", "top", "--fit", "sc.jc_scale", "--out", str(out),
                          "--origin", "5 min", "--scan", "0", "--no-profile", "--quiet",
                          "--predict", str(files / "stiff.toml"),
                          "--predict", str(files / "longer.toml"))  # fmt: skip
    stdout = " ".join(stdout.split())
    assert code == 1 and "error: the prediction of" in stdout and "max_wall" in stdout, stdout
    res = json.loads((out / "calibrate.json").read_text())
    assert res["misfit"]["fits"] and res["parameters"]["sc.jc_scale"]["value"] > 0
    ((failed,), (done,)) = res["prediction_errors"], res["predictions"]
    assert failed["file"].endswith("stiff.toml") and "max_wall" in failed["error"]
    assert done["file"].endswith("longer.toml")
    assert set(pd.read_csv(out / "predictions.csv")["case"]) == {done["file"]}


def test_a_temperature_probe_is_named_as_one(files, capsys):
    """A series given to a temperature probe was refused as "the case has no probe 'T'"."""
    temperature = '[[probes]]\nname = "T"\nr = "0 mm"\nz = "4 mm"\nquantity = "temperature"\n'
    (files / "with_t.toml").write_text(
        CASE.replace("[[protocol]]", temperature + "[[protocol]]", 1)
    )
    code, _, err = cli(capsys, "calibrate", str(files / "with_t.toml"), str(files / "hall.csv"),
                       "--probe", "T", "--fit", "sc.n", "--out", str(files / "t"))  # fmt: skip
    assert code == 2 and "probe 'T' reads a temperature" in err and "['top']" in err


def test_the_noise_column_is_not_taken_for_a_second_field_column(files):
    """--sigma-column "sigma (mT)" beside "B (mT)": the reader refused the file as having several
    field columns; the noise column is the noise, the other the field."""
    from fluxtrap.workflows.calibrate import read_measured

    df = pd.read_csv(files / "hall.csv").assign(**{"sigma (mT)": 5.0})
    df.to_csv(files / "hall_sigma.csv", index=False)
    s = read_measured(files / "hall_sigma.csv", "top", sigma_column="sigma (mT)")
    assert s.field_T == pytest.approx(df["B (mT)"] / 1e3)
    assert s.noise() == (pytest.approx(np.full(len(df), 5e-3)), "column")


def test_a_run_stopped_by_the_timeout_is_not_cached_as_the_cases_run(files, tmp_path):
    """An accuracy refinement stopped by the start scan's timeout returns its coarser pair as
    done; the runner cached it under the case's key (which has no max_wall) and a later call
    without the timeout took it as the case's run. Now a run that reached the timeout is not
    cached; one within it, or run without one, is."""
    from fluxtrap.workflows.calibrate import DaskRunner

    case = Case.load(files / "disk.toml")
    calls = []

    class Done:
        def __init__(self, wall_s):
            self.record = {
                "status": "done", "error": "", "wall_s": wall_s,
                "summary": {"probes": {"top": {"final_T": 0.2}},
                            "accuracy": {"reached": wall_s < 2, "target": 0.01, "estimate": 0.02}},
                "probes_csv": "time_s,applied_T,temperature_K,top_Bz_T\n0,1,5,0\n600,0,5,0.2\n",
            }  # fmt: skip

        def result(self):
            return self.record

        def release(self):
            pass

    class Client:  # the Dask client: each submit is a run taking wall_s
        def __init__(self):
            self.wall_s = 2.5

        def submit(self, fn, case, timeout_s, key):
            calls.append(timeout_s)
            return Done(self.wall_s)

    runner = DaskRunner(tmp_path / "cache")
    runner._client = Client()
    [first] = runner([case], timeout_s=2.0)  # stopped at its 2 s
    assert first["top_Bz_T"].iloc[-1] == 0.2 and runner.cached == 0
    runner([case])  # run again in full, not read from the cache
    assert calls == [2.0, None] and runner.cached == 0
    runner([case])  # the full run was cached
    assert calls == [2.0, None] and runner.cached == 1
    runner._client.wall_s = 1.0
    other = Case.load(files / "longer.toml")
    runner([other], timeout_s=2.0)  # within its timeout: whole, cached
    runner([other])
    assert calls == [2.0, None, 2.0] and runner.cached == 2


def test_empty_cells_of_a_measured_file_are_left_out_and_named(files):
    """An empty field or noise cell (a logger's gap) refused the whole file ("empty cell where a
    number is required"); now those rows are left out and named as creep names them, an empty
    cell in a column not read stays harmless, and a field column without 3 values is refused."""
    from fluxtrap.probetable import MissingSamplesWarning
    from fluxtrap.workflows.calibrate import read_measured

    df = pd.read_csv(files / "hall.csv").assign(**{"sigma (mT)": 5.0, "note": "ok"})
    df["B (mT)"] = df["B (mT)"].astype(object)
    df.loc[[3, 7], "B (mT)"] = ""
    df.loc[10, "sigma (mT)"] = np.nan
    df.loc[12, "note"] = ""
    df.to_csv(files / "gappy.csv", index=False)
    with pytest.warns(
        MissingSamplesWarning,
        match=rf"gappy.csv \(B \(mT\) or sigma \(mT\)\): 3 of {len(df)} rows have .* rows 4, 8, 11 ",
    ) as caught:
        s = read_measured(files / "gappy.csv", "top", sigma_column="sigma (mT)")
    assert len(caught) == 1  # the file's note only, not the Series' again
    keep = np.ones(len(df), bool)
    keep[[3, 7, 10]] = False
    assert s.field_T == pytest.approx(pd.to_numeric(df["B (mT)"][keep]) / 1e3)
    t = np.arange(0.0, 300.0, 10.0)  # a ramp ending at 100 s, an empty applied cell at 200 s
    applied = pd.DataFrame({"time_s": t, "applied_T": np.clip(1 - t / 100, 0, None),
                            "B_T": 0.5 - 0.01 * np.log1p(t)}).astype({"applied_T": object})  # fmt: skip
    applied.loc[20, "applied_T"] = ""
    applied.to_csv(files / "gappy_applied.csv", index=False)
    with pytest.warns(MissingSamplesWarning, match=r"1 of 30 rows has .* applied field .* row 21 "):
        s = read_measured(files / "gappy_applied.csv", "top")
    assert s.time_s.size == 29 and 200.0 not in s.time_s and s.origin == pytest.approx(100.0)
    df["B (mT)"] = ""
    df.to_csv(files / "empty.csv", index=False)
    with pytest.raises(
        InputFileError, match=rf"empty.csv: column 'B \(mT\)' has 0 values in {len(df)}"
    ):
        read_measured(files / "empty.csv", "top", sigma_column="sigma (mT)")


def test_a_noise_column_above_the_field_is_refused_as_a_unit_mix_up(tmp_path):
    """A noise column in mT labelled T (sigma_T = 5 on a 0.44 T trace) fitted with reduced chi^2
    0.002, "fitted: yes" and exit 0: every sigma 1000 x too large. Now refused, naming the file,
    column and first row; the same noise labelled with its unit is read."""
    from fluxtrap.workflows.calibrate import read_measured

    t = np.arange(6.0, 40.0) * 60
    df = pd.DataFrame({"time_s": t, "B_T": 0.5 - 0.01 * np.log(t), "sigma_T": 0.003})
    df.loc[4:, "sigma_T"] = 5.0
    df.to_csv(tmp_path / "h.csv", index=False)
    with pytest.raises(InputFileError) as err:
        read_measured(tmp_path / "h.csv", "top", sigma_column="sigma_T")
    assert (
        f"h.csv: column 'sigma_T', data row 5: a noise of 5 T is above the largest field of "
        f"the series, {df.B_T.max():.4g} T (30 of 34 rows): is the column in mT" in str(err.value)
    )
    df.rename(columns={"sigma_T": "sigma (mT)"}).to_csv(tmp_path / "h.csv", index=False)
    s = read_measured(tmp_path / "h.csv", "top", sigma_column="sigma (mT)")
    assert s.sigma_T[4:] == pytest.approx(5e-3)


def test_a_hall_probe_offset_is_fitted_and_reported_in_tesla(files, capsys):
    """The measured file read 8 mT high (a probe's zero offset, in the file's mT): --fit
    "sc.jc_scale,top.offset" with its bounds finds 8 mT more than on the file as it was (whose
    own offset, about 10 mT, is the 4 mm model's discretization error) to 1e-6 T and the same Jc
    (the offset is profiled out exactly: the same simulations), reports it in T, draws
    the correlation figure and predicts without it (it is the probe's, not the field's)."""
    df = pd.read_csv(files / "hall.csv")
    df["B (mT)"] += 8.0
    df.to_csv(files / "hall_offset.csv", index=False)
    res = {}
    for name in ("hall.csv", "hall_offset.csv"):
        out = files / f"out_{name}"
        code, stdout, _ = cli(capsys, "calibrate", str(files / "disk.toml"), str(files / name),
                              "--probe", "top", "--fit", "sc.jc_scale,top.offset", "--bounds",
                              "top.offset=-0.05:0.05", "--out", str(out), "--origin", "5 min",
                              "--scan", "0", "--predict", str(files / "longer.toml"), "--at",
                              "1000 s")  # fmt: skip
        assert code == 0, stdout
        res[name] = json.loads((out / "calibrate.json").read_text())
    before, after = res["hall.csv"], res["hall_offset.csv"]
    off, k = after["parameters"]["top.offset"], after["parameters"]["sc.jc_scale"]
    assert off["value"] - before["parameters"]["top.offset"]["value"] == pytest.approx(
        8e-3, abs=1e-6
    )
    assert k["value"] == pytest.approx(before["parameters"]["sc.jc_scale"]["value"], rel=1e-6)
    assert after["simulations"] == before["simulations"]  # the same points
    assert off["unit"] == "T" and off["bounds"] == [-0.05, 0.05] and off["nuisance"]
    assert 0 < off["sigma"] < 5e-3 and k["value"] == pytest.approx(0.9, rel=0.03)
    assert "top.offset" in stdout and (out / "correlation.png").stat().st_size > 0
    [pred] = after["predictions"]
    assert pred["parameters"] == ["sc.jc_scale"] and pred["values"][0]["sigma_T"] > 0


def test_a_nan_cell_is_a_gap_as_an_empty_one_is_and_both_are_named_with_their_column(tmp_path):
    """A "nan" or "NaN" cell (numpy's and LabVIEW's missing reading) refused the file ("'nan' is
    not a finite number") while an empty cell left its row out: now both leave it out, the
    warning naming each row's column; "inf" and a time of 1e300 s are refused at their line."""
    from fluxtrap.probetable import MissingSamplesWarning
    from fluxtrap.workflows.calibrate import read_measured

    t = np.arange(0.0, 300.0, 10.0)
    df = pd.DataFrame({"time_s": t, "applied_T": np.clip(1 - t / 100, 0, None),
                       "B_T": 0.5 - 0.01 * np.log1p(t), "sigma_T": 1e-3}).astype(object)  # fmt: skip
    read = {}
    for gap in ("", "nan", "NaN"):
        gappy = df.copy()
        gappy.loc[5, "B_T"], gappy.loc[20, "applied_T"], gappy.loc[22, "sigma_T"] = gap, gap, gap
        gappy.to_csv(tmp_path / "gappy.csv", index=False)
        with pytest.warns(MissingSamplesWarning) as caught:
            read[gap] = read_measured(tmp_path / "gappy.csv", "top", sigma_column="sigma_T")
        (note,) = [str(w.message) for w in caught]
        assert "3 of 30 rows have" in note and "rows 6, 21, 23 (1 = the first data row" in note
        assert note.endswith(
            "empty or NaN cells: B_T row 6; applied field row 21; sigma_T row 23"
        ), note
    for gap in ("nan", "NaN"):
        assert read[gap].time_s.tolist() == read[""].time_s.tolist()
        assert read[gap].field_T.tolist() == read[""].field_T.tolist()
    for column, value, message in (
        ("B_T", "inf", r"line 7, column 'B_T': 'inf' is not a finite number"),
        ("time_s", "1e300", r"line 31, column 'time_s': 1e\+300 s is beyond 1e\+11 s"),
    ):
        bad = df.copy()
        bad.loc[5 if column == "B_T" else 29, column] = value
        bad.to_csv(tmp_path / "bad.csv", index=False)
        with pytest.raises(InputFileError, match=message):
            read_measured(tmp_path / "bad.csv", "top", sigma_column="sigma_T")


STAND_IN = """
title = "stand-in"
[materials.sc]
n = 35
jc.kim = { jc0 = "5e8 A/m^2", b0 = "1 T" }
[[stack]]
material = "sc"
radius = "10 mm"
thickness = "8 mm"
[[probes]]
name = "top"
r = "0 mm"
z = "8.5 mm"
[[protocol]]
step = "set"
field = "1 T"
temperature = "5 K"
[[protocol]]
step = "ramp_field"
to = "0 T"
rate = "0.01 T/s"
[[protocol]]
step = "hold"
duration = "10000 s"
"""


def stand_in_trace(n: float, k: float, t: np.ndarray) -> pd.DataFrame:
    """A closed form in (ln n, ln k) for the stand-in case: the ramp 1 -> 0 T over 100 s, then
    ln of the time into the hold (the unit tests' linear model); probes.csv's columns."""
    g1, g2 = np.clip(1 - t / 100, 0, 1), np.log1p(np.clip(t - 100, 0, None))
    b = 2.0 + np.log(k) + 0.3 * np.log(n) * g1 - 0.05 * np.log(n) * g2
    return pd.DataFrame({"time_s": t, "applied_T": g1, "temperature_K": 5.0, "top_Bz_T": b})


class StandInRunner:
    """``DaskRunner``'s place: the closed form for each case, no cluster, nothing cached."""

    def __init__(self, cache_dir, workers=1, scheduler=None, security=None):
        self.cached, self.unreached, self.unchecked, self.workers = 0, [], [], 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def __call__(self, cases, timeout_s=None):
        t = np.concatenate([np.linspace(0.0, 100.0, 21), 100 + np.geomspace(1.0, 1e4, 60)])
        out = []
        for c in cases:
            sc = c.material("sc")
            out.append(stand_in_trace(sc.n, sc.jc.jc0_A_m2 / 5e8, t))
            out[-1].attrs["wall_s"] = 0.01
        return out


def test_a_parameter_at_its_bound_exits_1_and_is_recorded_as_not_fitting(tmp_path, capsys,
                                                                          monkeypatch):  # fmt: skip
    """n ended at its bound (2 sigma above the free fit), every series fitted: a warning said so,
    but the command exited 0 and calibrate.json and the store said fits: the sigma meant nothing.
    Now it exits 1 with a last line naming the parameter, side and bound and what to do, and
    calibrate.json (misfit.fits false, misfit.at_bound) and the store (fits false) agree."""
    import fluxtrap.workflows.calibrate as workflow

    monkeypatch.setattr(workflow, "DaskRunner", StandInRunner)
    monkeypatch.setattr(workflow, "write_figures", lambda cal, stage: [])  # seconds; not tested
    (tmp_path / "case.toml").write_text(STAND_IN)
    t = np.concatenate([np.linspace(5.0, 100.0, 20), 100 + np.geomspace(1.0, 1e4, 60)])
    df = stand_in_trace(20.0, 0.7, t)
    df["top_Bz_T"] += np.random.default_rng(0).normal(0, 2e-3, t.size)
    df.rename(columns={"top_Bz_T": "B_T"}).assign(sigma_T=2e-3).drop(
        columns="temperature_K"
    ).to_csv(tmp_path / "hall.csv", index=False)
    db = str(tmp_path / "lab.db")

    def run(name, *bounds):
        out = tmp_path / name
        code, stdout, _ = cli(capsys, "calibrate", str(tmp_path / "case.toml"),
                              str(tmp_path / "hall.csv"), "--probe", "top", "--fit",
                              "sc.n,sc.jc_scale", "--sigma-column", "sigma_T", "--out", str(out),
                              "--scan", "0", "--no-profile", "--quiet", "--db", db,
                              *bounds)  # fmt: skip
        return code, " ".join(stdout.split()), json.loads((out / "calibrate.json").read_text())

    # the free fit, from Python (no figures, no store): where the bound goes
    series = workflow.read_measured(tmp_path / "hall.csv", "top", sigma_column="sigma_T")
    free = workflow.calibrate(Case.from_toml(tmp_path / "case.toml"), series, "sc.n,sc.jc_scale",
                              scan=0, profile=False, runner=StandInRunner(None))  # fmt: skip
    assert free.fits and free.at_bound == ()
    n, sigma = free.value("sc.n")
    low = n + 2 * sigma
    code, stdout, bound = run("bound", "--bounds", f"sc.n={low!r}:300")
    assert bound["series"][0]["fits"] and bound["misfit"]["converged"]  # fine but for the bound
    assert code == 1, stdout
    assert stdout.endswith(
        f"not a fit: sc.n ended at its lower bound {low:.4g}; widen --bounds sc.n=LOW:HIGH past "
        "it and rerun (exit 1)"
    ), stdout
    assert f"sc.n = {low:.4g} sits at its lower bound {low:.4g}" in stdout
    assert bound["misfit"]["fits"] is False
    assert [(b["parameter"], b["side"], b["bound"]) for b in bound["misfit"]["at_bound"]] == [
        ("sc.n", "lower", low)
    ]
    (rec,) = Store(db).calibrations()
    assert rec.fits is False and rec.result["misfit"]["at_bound"] == bound["misfit"]["at_bound"]


def test_partial_files_a_killed_calibration_left_are_removed_by_the_next_run_alone(
    tmp_path, monkeypatch
):
    """A calibration killed mid-write (kill -9) left the cache's hidden .partial files and its
    staged results folder in --out, and no run removed them (the sweep's next run does). The
    next calibration into the folder removes them once it holds it, as run_sweep does; one
    refused because another run holds the folder does not, and other hidden files stay."""
    import fluxtrap.workflows.calibrate as workflow
    from fluxtrap.errors import ConflictError
    from fluxtrap.outputs import claimed

    monkeypatch.setattr(workflow, "DaskRunner", StandInRunner)
    monkeypatch.setattr(workflow, "write_figures", lambda cal, stage: [])  # seconds; not tested
    (tmp_path / "case.toml").write_text(STAND_IN)
    t = np.concatenate([np.linspace(5.0, 100.0, 20), 100 + np.geomspace(1.0, 1e4, 60)])
    df = stand_in_trace(35.0, 0.7, t).rename(columns={"top_Bz_T": "B_T"})
    df["B_T"] += np.random.default_rng(0).normal(0, 2e-3, t.size)
    df.assign(sigma_T=2e-3).drop(columns="temperature_K").to_csv(tmp_path / "h.csv", index=False)
    out = tmp_path / "cal"
    left = [
        out / "cache" / ".0123abcd.json.0a1b2c3d.partial",
        out / "cache" / ".0123abcd-probes.csv.0a1b2c3d.partial",
        out / "cache" / ".fluxtrap-0a1b2c3d.partial",
        out / ".partial-0a1b2c3d" / "calibrate.json",
    ]
    kept = [out / "cache" / ".notes", out / ".partial-notes"]
    for path in left + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("time_s,top_Bz_T\n0,")

    def run():
        return workflow.run_calibration(tmp_path / "case.toml", [tmp_path / "h.csv"], ["top"],
                                        "sc.jc_scale", out, sigma_column="sigma_T", scan=0,
                                        profile=False)  # fmt: skip

    with claimed(out), pytest.raises(ConflictError):  # a live run owns them
        run()
    assert all(p.exists() for p in left)
    assert run().calibration.fits
    assert [p for p in left if p.exists()] == [] and not (out / ".partial-0a1b2c3d").exists()
    assert all(p.exists() for p in kept)


def test_a_series_too_short_to_estimate_its_noise_exits_2_asking_for_its_noise(tmp_path, capsys):
    """Three points without a noise column fitted with exit 0, their noise estimated from one
    second difference (18 mT for a true 5 mT; the Jc scale 1.84 +- 0.47 for 0.9). Now refused
    before the cluster starts, naming the file and --sigma-column; nothing written."""
    (tmp_path / "disk.toml").write_text(CASE)
    pd.DataFrame({"time (min)": [6.0, 8.0, 14.0], "B (mT)": [420.0, 410.0, 400.0]}).to_csv(
        tmp_path / "few.csv", index=False
    )
    out = tmp_path / "out"
    code, _, err = cli(capsys, "calibrate", str(tmp_path / "disk.toml"), str(tmp_path / "few.csv"),
                       "--probe", "top", "--fit", "sc.jc_scale", "--origin", "5 min",
                       "--out", str(out))  # fmt: skip
    err = " ".join(err.split())
    assert code == 2 and "few.csv (B (mT)): its noise cannot be estimated from 3 points" in err
    assert "--sigma-column" in err and not out.exists()


def test_a_case_text_the_store_refuses_is_refused_before_the_run(tmp_path, capsys, monkeypatch):
    """With --db the case text is stored: a U+202E in a comment went through the whole fit (the
    store took it, or refused it after the run); now it is refused before the run, no store made."""
    import fluxtrap.workflows.calibrate as workflow

    def run(*args, **kwargs):
        raise AssertionError("the calibration ran")

    monkeypatch.setattr(workflow, "run_calibration", run)
    (tmp_path / "disk.toml").write_text(CASE.replace("[mesh]", "# \u202e\n[mesh]"))
    (tmp_path / "hall.csv").write_text("time (min),B (mT)\n1,500\n2,490\n3,485\n")
    code, _, err = cli(capsys, "calibrate", str(tmp_path / "disk.toml"), str(tmp_path / "hall.csv"),
                       "--probe", "top", "--fit", "sc.jc_scale", "--out", str(tmp_path / "out"),
                       "--db", str(tmp_path / "x.db"))  # fmt: skip
    assert code == 2 and "disk.toml: line 25, column 3: U+202E" in err, err
    assert not (tmp_path / "out").exists() and not (tmp_path / "x.db").exists()


def test_a_measured_file_name_the_store_refuses_is_refused_before_the_run(
    tmp_path, capsys, monkeypatch
):
    """With --db the measured file's name is stored: one with a U+202E or an ESC went through
    the whole fit (the store took it); now it is refused before the run, no store made."""
    import fluxtrap.workflows.calibrate as workflow

    def run(*args, **kwargs):
        raise AssertionError("the calibration ran")

    monkeypatch.setattr(workflow, "run_calibration", run)
    (tmp_path / "disk.toml").write_text(CASE)
    for name, found in (("hall\u202evsc.csv", "U+202E"), ("hall\x1b[2J.csv", "U+001B")):
        (tmp_path / name).write_text("time (min),B (mT)\n1,500\n2,490\n3,485\n")
        code, _, err = cli(capsys, "calibrate", str(tmp_path / "disk.toml"), str(tmp_path / name),
                           "--probe", "top", "--fit", "sc.jc_scale", "--out",
                           str(tmp_path / "out"), "--db", str(tmp_path / "x.db"))  # fmt: skip
        err = " ".join(err.split())
        assert code == 2 and f"file name {name!r}: no control or invisible characters" in err, err
        assert f"(found {found})" in err
        assert not (tmp_path / "out").exists() and not (tmp_path / "x.db").exists()


def test_what_is_hashed_is_what_was_fitted(tmp_path, monkeypatch):
    """run_calibration read the case and each measured file to parse them, then again to hash
    them (a noise column: three times): an edit in between was recorded in calibrate.json as
    what had been fitted, and the store took the edited files. Each is now read once."""
    import hashlib

    import fluxtrap.workflows.calibrate as workflow

    monkeypatch.setattr(workflow, "DaskRunner", StandInRunner)
    monkeypatch.setattr(workflow, "write_figures", lambda cal, stage: [])  # seconds; not tested
    case, hall = tmp_path / "case.toml", tmp_path / "h.csv"
    case.write_text(STAND_IN)
    t = np.concatenate([np.linspace(5.0, 100.0, 20), 100 + np.geomspace(1.0, 1e4, 60)])
    df = stand_in_trace(35.0, 0.7, t).rename(columns={"top_Bz_T": "B_T"})
    df["B_T"] += np.random.default_rng(0).normal(0, 2e-3, t.size)
    df.assign(sigma_T=2e-3).drop(columns="temperature_K").to_csv(hall, index=False)
    fitted = {p: p.read_bytes() for p in (case, hall)}
    read_series = workflow.read_series

    def edited_after(*args, **kwargs):  # the files are edited once the first is parsed
        out = read_series(*args, **kwargs)
        case.write_text(STAND_IN + "# edited\n")
        hall.write_bytes(fitted[hall] + b"# edited\n")
        return out

    monkeypatch.setattr(workflow, "read_series", edited_after)
    run = workflow.run_calibration(case, [hall], ["top"], "sc.jc_scale", tmp_path / "out",
                                   sigma_column="sigma_T", scan=0, profile=False)  # fmt: skip
    recorded = [run.summary["case"]] + run.summary["measurements"]
    assert [(r["file"], r["sha256"]) for r in recorded] == [
        (str(p), hashlib.sha256(data).hexdigest()) for p, data in fitted.items()
    ]
    with pytest.raises(ValidationError, match="case.toml: changed since the calibration read it"):
        workflow.store_calibration(Store(f"sqlite:///{tmp_path / 'lab.db'}"), run, case, [hall],
                                   ["top"], tmp_path / "out" / "cache")  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "args", "message"),
    [
        (2, ["--probe", "top", "--fit", "sc.n"], "column 'B (mT)' has 2 values in 2 rows"),
        (40, ["--probe", "centre", "--fit", "sc.n"], "the case has no probe 'centre'"),
        (40, ["--probe", "top", "--fit", "sc.x"], "--fit sc.x: not a parameter of this case"),
        (
            40,
            ["--probe", "top", "--fit", "sc.n", "--bounds", "sc.n=200:10"],
            "bounds of sc.n: need low < high, got 200..10 (swapped?",
        ),
        (  # a wrong origin: refused by the fit after its start case had run, the store made
            40,
            ["--probe", "top", "--fit", "sc.n", "--origin", "10 h"],
            "h.csv (B (mT)): 0 of its 40 points lie inside the simulated time span -300..600 s "
            "around the origin of 'cli calibration disk' (the end of its last field change); "
            "point 1 (1 = the first), at 60 s on the series' clock, is -3.594e+04 s from its "
            "origin (36000 s;",
        ),
        (  # the store was made, then found without the campaign
            40,
            ["--probe", "top", "--fit", "sc.n", "--campaign", "nope"],
            "lab.db: no store there (check --db or $FLUXTRAP_DB)",
        ),
    ],
)
def test_a_refused_measured_file_or_fit_request_makes_no_store(tmp_path, capsys, rows, args,
                                                               message):  # fmt: skip
    """These are refused by run_calibration before its cluster starts, but after the CLI had
    made its store: each left a new, empty store at --db. Now the store is made once they pass."""
    (tmp_path / "disk.toml").write_text(CASE)
    t = np.arange(1.0, rows + 1)
    pd.DataFrame({"time (min)": t, "B (mT)": 500 - t}).to_csv(tmp_path / "h.csv", index=False)
    db = tmp_path / "lab.db"
    code, _, err = cli(capsys, "calibrate", str(tmp_path / "disk.toml"), str(tmp_path / "h.csv"),
                       "--out", str(tmp_path / "out"), "--db", str(db), *args)  # fmt: skip
    assert code == 2 and message in " ".join(err.split()), err
    assert not db.exists() and not (tmp_path / "out" / "calibrate.json").exists()


def test_a_measured_file_given_twice_is_refused(tmp_path, capsys):
    """The same file twice (or a copy of it) was fitted as two measurements, each sigma in effect
    0.71 x; now refused naming both, before the cluster starts, nothing written."""
    (tmp_path / "disk.toml").write_text(CASE)
    t = np.arange(1.0, 41.0)
    pd.DataFrame({"time (min)": t, "B (mT)": 500 - t}).to_csv(tmp_path / "a.csv", index=False)
    (tmp_path / "copy.csv").write_bytes((tmp_path / "a.csv").read_bytes())
    for twice in ("a.csv", "copy.csv"):
        code, _, err = cli(capsys, "calibrate", str(tmp_path / "disk.toml"),
                           str(tmp_path / "a.csv"), str(tmp_path / twice), "--probe", "top",
                           "--fit", "sc.jc_scale", "--out", str(tmp_path / "out"))  # fmt: skip
        err = " ".join(err.split())
        assert code == 2 and f"{tmp_path / twice}: the same bytes as {tmp_path / 'a.csv'}" in err
        assert not (tmp_path / "out").exists()
