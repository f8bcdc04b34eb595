"""The calibration machinery on stand-in models with known answers (no FEM: milliseconds; two
tests run a small disk for real, for the runner's and the solver's max_wall).

A runner is any ``cases -> [probes table]``; here it evaluates closed forms of the case's
parameters, so least squares, covariance, scan, profile and propagation are checked against
exact results: for a model linear in (ln n, ln k) the fit is ordinary weighted least squares.
"""

from __future__ import annotations

import dataclasses
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from fluxtrap.errors import AnalysisError, SolverError, ValidationError
from fluxtrap.simulate import Case, CaseWarning
from fluxtrap.simulate.calibrate import Series, calibrate, runs_test
from fluxtrap.simulate.calibrate.fit import PROFILE_RESTARTS, check_request, profile_interval
from fluxtrap.simulate.calibrate.predict import predict
from fluxtrap.simulate.calibrate.series import MIN_NOISE_POINTS

T_RAMP = 100.0
TIME = np.concatenate([np.linspace(0.0, T_RAMP, 21), T_RAMP + np.geomspace(1.0, 1e4, 60)])
JC0 = 5e8


def case_dict(n: float = 35.0, hold: float = 1e4) -> dict:
    return {
        "title": "stand-in",
        "materials": {"sc": {"n": n, "jc": {"kim": {"jc0": f"{JC0} A/m^2", "b0": "1 T"}}}},
        "stack": [{"material": "sc", "radius": "10 mm", "thickness": "8 mm"}],
        "probes": [{"name": "top", "r": "0 mm", "z": "8.5 mm"}],
        "protocol": [
            {"step": "set", "field": "1 T", "temperature": "5 K"},
            {"step": "ramp_field", "to": "0 T", "rate": f"{1 / T_RAMP} T/s"},
            {"step": "hold", "duration": f"{hold} s"},
        ],
    }


def features(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """g1: the ramp (1 -> 0), g2: ln of the time into the hold (0 before it)."""
    return np.clip(1 - t / T_RAMP, 0, 1), np.log1p(np.clip(t - T_RAMP, 0, None))


def linear_model(x_n: float, x_k: float, z: float, t: np.ndarray) -> np.ndarray:
    """Linear in (ln n, ln k); the probe height enters as a small offset."""
    g1, g2 = features(t)
    return 2.0 + x_k + 0.3 * x_n * g1 - 0.05 * x_n * g2 + 10 * (z - 8.5e-3)


def spiral_model(x_n: float, x_k: float, z: float, t: np.ndarray) -> np.ndarray:
    """Misfit with local minima: the trace moves on a spiral in (g1, g2) as ln n grows."""
    g1, g2 = features(t)
    return 2.0 + x_k + x_n * np.cos(3 * x_n) * g1 + 0.1 * x_n * np.sin(3 * x_n) * g2


def runner_of(model, fail_above_n: float = math.inf, wall_s=lambda n: 0.01):
    """A runner evaluating ``model`` on every case of a batch (and counting the batches and their
    time limits); a case "takes" ``wall_s(n)`` seconds and fails past its time limit."""

    def run(cases, timeout_s=None):
        run.batches.append(len(cases))
        run.timeouts.append(timeout_s)
        out = []
        for c in cases:
            sc = c.material("sc")
            if sc.n > fail_above_n:
                out.append(SolverError(f"stand-in: n = {sc.n:g} too steep"))
                continue
            if timeout_s is not None and wall_s(sc.n) > timeout_s:
                out.append(SolverError(f"stand-in: n = {sc.n:g} passed max_wall"))
                continue
            t = TIME[: np.searchsorted(TIME, c.duration_s + 1e-9, side="right")]
            out.append(
                pd.DataFrame(
                    {
                        "time_s": t,
                        "applied_T": features(t)[0],
                        "temperature_K": 5.0,
                        "top_Bz_T": model(
                            math.log(sc.n), math.log(sc.jc.jc0_A_m2 / JC0), c.probes[0].z_m, t
                        ),
                    }
                )
            )
            out[-1].attrs["wall_s"] = wall_s(sc.n)
        return out

    run.batches, run.timeouts = [], []
    return run


def measured(model, n: float, k: float, sigma: float, seed: int = 0, z: float = 8.5e-3) -> Series:
    rng = np.random.default_rng(seed)
    t = TIME[1:]
    b = model(math.log(n), math.log(k), z, t) + rng.normal(0, sigma, t.size)
    return Series("stand-in", t, b, "top", applied_T=features(t)[0], sigma_T=np.full(t.size, sigma))


def test_linear_model_gives_weighted_least_squares_and_its_covariance():
    """For a model linear in (ln n, ln k) the fit and the scaled covariance equal the closed-form
    weighted least squares (numpy lstsq) to 1e-6; n and k are near the truth within 4 sigma."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=0,
                    runner=runner_of(linear_model))  # fmt: skip
    g1, g2 = features(series.time_s)
    X = np.column_stack([0.3 * g1 - 0.05 * g2, np.ones_like(g1)])
    y = series.field_T - 2.0
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    s2 = resid @ resid / (y.size - 2) / 2e-3**2
    cov = s2 * np.linalg.inv(X.T @ X / 2e-3**2)
    u = np.log(cal.values)
    assert u == pytest.approx(beta, abs=1e-6)
    assert cal.cov_u == pytest.approx(cov, rel=1e-4)
    assert cal.chi2_red == pytest.approx(s2, rel=1e-6)
    n, sn = cal.value("sc.n")
    assert abs(n - 20.0) < 4 * sn and abs(cal.value("sc.jc_scale")[0] - 0.7) < 4 * cal.sigmas[1]
    assert sn == pytest.approx(n * math.sqrt(cov[0, 0]), rel=1e-4)  # natural units: d n = n d ln n
    assert cal.correlation[0, 1] == pytest.approx(
        cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1]), rel=1e-4
    )
    assert cal.series[0].fits and cal.warnings == ()


def test_profile_of_a_quadratic_misfit_rises_by_k_squared():
    """Linear model: the profile of n at +-1, +-2 sigma (others refitted) rises by 1 and 4."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3, seed=1)
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=0, profile=True,
                    runner=runner_of(linear_model))  # fmt: skip
    assert [r["k_sigma"] for r in cal.profile] == [-2, -1, 1, 2]
    for row in cal.profile:
        assert row["delta_chi2"] == pytest.approx(row["expected"], rel=1e-3)


def test_jacobian_simulations_run_as_one_batch():
    """The p shifted points of a Jacobian go to the runner together (parallel on a pool/Dask)."""
    run = runner_of(linear_model)
    calibrate(Case.from_dict(case_dict()), measured(linear_model, 20.0, 0.7, 2e-3),
              "sc.n,sc.jc_scale", scan=0, profile=False, runner=run)  # fmt: skip
    assert max(run.batches) == 2  # two parameters: two shifted points per Jacobian


def test_local_minimum_needs_the_global_scan():
    """A spiral misfit: from n = 81 the least squares stop on the neighbouring arm (reported as
    not fitted); an 8-point scan first finds n = 10 within 0.1 %."""
    series = measured(spiral_model, n=10.0, k=1.2, sigma=1e-3)
    case = Case.from_dict(case_dict(n=81.0))
    local = calibrate(case, series, "sc.n,sc.jc_scale", scan=0, profile=False,
                      runner=runner_of(spiral_model))  # fmt: skip
    assert abs(local.value("sc.n")[0] - 10.0) > 5
    assert not local.series[0].fits
    assert any("does not fit" in w for w in local.warnings)
    glob = calibrate(case, series, "sc.n,sc.jc_scale", scan=8, profile=False,
                     runner=runner_of(spiral_model))  # fmt: skip
    assert glob.value("sc.n")[0] == pytest.approx(10.0, rel=1e-3)
    assert glob.value("sc.jc_scale")[0] == pytest.approx(1.2, rel=1e-3)
    assert glob.series[0].fits and len(glob.scan) == 64


def test_failed_simulations_are_skipped_by_the_scan_and_named_by_the_fit():
    """Scan points whose simulation fails count as infinite misfit; a failure at the start
    point without a scan raises SolverError naming the parameter values."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    run = runner_of(linear_model, fail_above_n=100.0)
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=4,
                    profile=False, runner=run)  # fmt: skip
    assert any(math.isinf(r["chi2"]) for r in cal.scan)
    assert cal.value("sc.n")[0] == pytest.approx(20.0, rel=0.1)
    with pytest.raises(SolverError, match=r"sc\.n = 150"):
        calibrate(Case.from_dict(case_dict(n=150.0)), series, "sc.n", scan=0, runner=run)


@pytest.mark.parametrize("start_s, limit_s", [(0.5, 60.0), (10.0, 200.0)])
def test_the_start_scan_limits_each_point_to_a_multiple_of_the_start_case(start_s, limit_s):
    """A stiff corner must not hold a calibration for an hour: each scan point may take 20 x the
    start case's wall time (at least 60 s); the points past it are left out and named. Here a
    case takes start_s x (n / 35)^3: at n = 300 (630 x) the corner passes the limit."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    run = runner_of(linear_model, wall_s=lambda n: start_s * (n / 35.0) ** 3)
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=4,
                    profile=False, runner=run)  # fmt: skip
    assert run.timeouts[0] is None and run.timeouts[1] == pytest.approx(limit_s)  # start, scan
    assert set(run.timeouts[2:]) == {None}  # the fit itself is not limited
    left_out = [r for r in cal.scan if math.isinf(r["chi2"])]
    assert {round(r["sc.n"]) for r in left_out} == {300}
    (note,) = [w for w in cal.warnings if w.startswith("start scan")]
    assert "4 of 16 points left out" in note and f"{limit_s:.3g} s" in note
    assert "sc.n = 300, sc.jc_scale = 0.2" in note
    assert cal.value("sc.n")[0] == pytest.approx(20.0, rel=0.1)


@pytest.mark.filterwarnings("ignore::fluxtrap.simulate.simulation.AccuracyWarning")
def test_a_runner_run_stops_at_its_time_limit():
    """The real runner: ``timeout_s`` becomes the run's [solver] max_wall, an error for that case
    (the solver checks it after each step), the others unaffected. A timeout below the case's
    least solving time (its elements x steps x 0.5 us, 1.6e-5 s here) is the case's refusal,
    returned as that case's outcome, not raised."""
    from fluxtrap.simulate.calibrate import serial

    case = Case.from_dict(case_dict(hold=10.0) | {"mesh": {"size": "4 mm"}})
    refused, stopped, done = serial([case], 1e-9) + serial([case], 1e-4) + serial([case])
    assert isinstance(refused, ValidationError) and "over solver.max_wall = 1e-09 s" in str(refused)
    assert isinstance(stopped, SolverError) and "max_wall" in str(stopped)
    assert done.attrs["wall_s"] > 0 and done.time_s.iloc[-1] == pytest.approx(110.0)


def test_probe_height_nuisance_is_fitted_in_metres():
    """A probe 0.3 mm off where it is drawn: the nuisance parameter top.z finds it (linear;
    the stand-in's height is an offset like ln k, so k is not fitted here)."""
    series = measured(linear_model, n=20.0, k=1.0, sigma=2e-3, z=8.8e-3)
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,top.z", scan=0, profile=False,
                    runner=runner_of(linear_model))  # fmt: skip
    z, sz = cal.value("top.z")
    assert abs(z - 8.8e-3) < 4 * sz and sz < 1e-4
    assert cal.to_dict()["parameters"]["top.z"]["nuisance"] is True


def test_a_parameter_the_series_cannot_see_gets_an_infinite_sigma():
    """e0 does not enter the stand-in model: its sigma is infinite and a warning says so."""
    cal = calibrate(Case.from_dict(case_dict()), measured(linear_model, 20.0, 0.7, 2e-3),
                    "sc.n,sc.e0", scan=0, profile=False, runner=runner_of(linear_model))  # fmt: skip
    assert math.isinf(cal.value("sc.e0")[1])
    assert any("sc.e0 is not determined" in w for w in cal.warnings)


def test_parameter_at_its_bound_is_reported_and_is_not_a_fit():
    """n ended at its lower bound, 2 sigma above the free fit's n, every series fitted: a warning
    said so, but the fit was reported as one (misfit.fits true, the CLI's exit 0, the store's
    fits) with a meaningless sigma; now it is not a fit, and calibrate.json's misfit.at_bound
    names the parameter, side and bound. Far off (30 for the truth 20) the series do not fit."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)

    def fitted(bounds):
        return calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=0,
                         bounds={"sc.n": bounds}, profile=False, runner=runner_of(linear_model))  # fmt: skip

    free = fitted((10.0, 60.0))
    assert free.fits and free.at_bound == () and free.to_dict()["misfit"]["at_bound"] == []
    n, sigma = free.value("sc.n")
    low = n + 2 * sigma
    cal = fitted((low, 60.0))
    assert cal.value("sc.n")[0] == pytest.approx(low, rel=1e-3) and all(s.fits for s in cal.series)
    assert any(
        w.startswith(f"sc.n = {low:.4g} sits at its lower bound {low:.4g} (bounds {low:.4g}..60): "
                     "the optimum may lie beyond it, so this is not a fit")
        and f"--bounds sc.n=LOW:HIGH, LOW below {low:.4g}" in w
        for w in cal.warnings
    ), cal.warnings  # fmt: skip
    ((at,),) = [cal.at_bound]
    assert (at["parameter"], at["side"], at["bounds"]) == ("sc.n", "lower", [low, 60.0])
    assert not cal.fits and cal.optimizer["converged"]  # the optimizer converged, to the bound
    misfit = cal.to_dict()["misfit"]
    assert misfit["fits"] is False and misfit["at_bound"] == [at]
    far = fitted((30.0, 60.0))
    assert far.at_bound[0]["bound"] == 30.0 and not any(s.fits for s in far.series)


def test_a_drift_inside_narrow_bounds_is_not_taken_for_one_at_them():
    """np.isclose's absolute tolerance of 1e-8 took a fitted drift of ~1e-11 T/s inside bounds of
    +-5e-9 T/s (a 1 uT noise series) for one at its bound; now only one within 1e-6 of the bounds'
    width is, as lsq_linear puts a bound drift exactly on it."""
    s = measured(linear_model, n=20.0, k=1.0, sigma=1e-6)
    cases = Case.from_dict(case_dict())
    for drift, bounds, at in ((0.0, (-5e-9, 5e-9), ()), (2e-8, (-5e-9, 5e-9), ("upper",))):
        series = Series(s.name, s.time_s, s.field_T + drift * (s.time_s - T_RAMP), "top",
                        applied_T=s.applied_T, sigma_T=s.sigma_T)  # fmt: skip
        cal = calibrate(cases, series, "sc.n,top.drift", scan=0, profile=False,
                        bounds={"top.drift": bounds}, runner=runner_of(linear_model))  # fmt: skip
        assert tuple(b["side"] for b in cal.at_bound) == at, (cal.values, cal.warnings)
        assert any("top.drift" in w and "sits at its" in w for w in cal.warnings) == bool(at)


def test_prediction_error_bars_are_the_propagated_covariance():
    """Predicting the hold of a longer case: value and sigma equal the closed form
    y = 2 + x_k - 0.05 x_n ln(1 + t), var = g C g^T with g = (-0.05 ln(1 + t), 1)."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=0,
                    profile=False, runner=runner_of(linear_model))  # fmt: skip
    longer = Case.from_dict(case_dict(hold=1e4))
    on_grid = TIME[[30, 60]] - T_RAMP  # the stand-in's own times: no interpolation error
    pred = predict(cal, longer, since_origin_s=on_grid, runner=runner_of(linear_model))
    x = np.log(cal.values)
    for _, row in pred.table.iterrows():
        g = np.array([-0.05 * math.log1p(row.t_since_origin_s), 1.0])
        assert row.value_T == pytest.approx(2 + x[1] + g[0] * x[0], abs=1e-9)
        assert row.sigma_T == pytest.approx(math.sqrt(g @ cal.cov_u @ g), rel=1e-4)
    with pytest.raises(ValidationError, match="outside the protocol of 'stand-in'"):
        predict(cal, longer, since_origin_s=[3 * 86400.0], runner=runner_of(linear_model))


def test_runs_test_separates_noise_from_structure():
    rng = np.random.default_rng(3)
    z_noise = [runs_test(rng.normal(size=200)) for _ in range(200)]
    assert abs(np.mean(z_noise)) < 0.3 and np.std(z_noise) == pytest.approx(1, abs=0.2)
    assert runs_test(np.sin(np.linspace(0, 6, 200)) + rng.normal(0, 0.1, 200)) < -8


def test_bad_requests_are_clear_errors():
    case = Case.from_dict(case_dict())
    series = measured(linear_model, 20.0, 0.7, 2e-3)
    run = runner_of(linear_model)
    with pytest.raises(ValidationError, match="no probe 'centre'"):
        calibrate(case, Series("x", series.time_s, series.field_T, "centre"), "sc.n", runner=run)
    with pytest.raises(
        ValidationError, match=r"no probe 'Top' \(did you mean 'top'\?\); probes: top"
    ):
        calibrate(case, Series("x", series.time_s, series.field_T, "Top"), "sc.n", runner=run)
    with pytest.raises(ValidationError, match=r"a grid of 1000000 = 100\^3 and 3 for the cov"):
        calibrate(case, series, "sc.n,sc.jc_scale,sc.e0", scan=100, runner=run)
    with pytest.raises(ValidationError, match="needs at least 7 simulations .* cap of 5"):
        calibrate(case, series, "sc.n,sc.jc_scale", scan=2, max_simulations=5, runner=run)
    assert run.batches == []  # refused before the start case ran
    with pytest.raises(ValidationError, match="not a parameter of this case"):
        calibrate(case, series, "copper.n", runner=run)


def test_a_series_in_millitesla_labelled_tesla_is_refused_before_any_simulation():
    """A 50 mT trapped field read as 50 T is under the 100 T any magnet reaches, so it was fitted
    (a misfit of thousands of noise units); on a case whose applied field peaks at 1 T it is
    refused before the start case runs, naming the series, the point and the likely unit."""
    case = Case.from_dict(case_dict())
    t = TIME[1:]
    read_as_T = 50.0 - 0.5 * np.log1p(np.clip(t - T_RAMP, 0, None))  # mT values, taken as T
    run = runner_of(linear_model)
    with pytest.raises(ValidationError) as err:
        calibrate(case, Series("hall.csv (B_T)", t, read_as_T, "top"), "sc.n", runner=run)
    assert run.batches == []
    said = str(err.value)
    assert said.startswith("hall.csv (B_T): field_T = 50 T at t = 5 s")
    assert "the case's largest applied field, 1 T" in said and "in mT (1e3 per T" in said


def test_a_fit_naming_one_attribute_twice_or_bounding_one_twice_is_refused():
    from fluxtrap.simulate.calibrate.parameters import parse_bounds, parse_fit

    case = Case.from_dict(case_dict())
    # "*.n" and "sc.n" were both fitted: two columns of the Jacobian for one number
    with pytest.raises(ValidationError, match=r"\*\.n sets n of every superconductor, so it "
                       r"cannot be fitted beside sc\.n"):  # fmt: skip
        parse_fit("*.n,sc.n", case)
    assert [p.name for p in parse_fit("*.n,sc.jc_scale", case)] == ["*.n", "sc.jc_scale"]
    # the second --bounds of a name replaced the first silently
    with pytest.raises(ValidationError, match=r"^--bounds: sc\.n is bounded twice"):
        parse_bounds(["sc.n=10:20", "sc.n=30:40"])
    # "*.n" on a case without a superconductor was a RuntimeError (StopIteration in a generator)
    metal = case_dict()
    metal["materials"] = {"cu": {"resistivity": "2e-10 ohm*m"}}
    metal["stack"][0]["material"] = "cu"
    with pytest.raises(ValidationError, match=r"^--fit \*\.n: the case has no superconductor"):
        parse_fit("*.n", Case.from_dict(metal))


def descent_stopping_short(monkeypatch, times: int):
    """Make the first ``times`` descents of ``calibrate`` stop at their start, unnoticed by the
    stall check (a stall at a false minimum of a rough misfit); the later ones run as usual."""
    from scipy.optimize import OptimizeResult

    from fluxtrap.simulate.calibrate import fit

    real, calls = fit._descend, []

    def descend(model, u0, max_iterations, dof):
        calls.append(u0)
        if len(calls) > times:
            return real(model, u0, max_iterations, dof)
        r = model.residuals(u0)
        stub = OptimizeResult(x=u0, cost=0.5 * float(r @ r), nfev=1, njev=0, status=0,
                              message="stopped short (test)")  # fmt: skip
        return stub, 0.0

    monkeypatch.setattr(fit, "_descend", descend)
    return calls


def test_a_stalled_descent_says_where_the_step_goes_and_what_to_do():
    """A descent cut short (one evaluation) is flagged as stalled; the warning said only that
    chi^2 still falls, not how far off the values are. Now it names where the coarse
    Gauss-Newton step goes, in values and in the reported sigmas: for a model linear in
    (ln n, ln k) that is the least-squares fit itself (n 19.97, Jc x0.7 for a truth of 20, 0.7,
    from the start 35, 1), and what to do (rerun from there, --max-iterations)."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=0,
                    max_iterations=1, profile=False, runner=runner_of(linear_model))  # fmt: skip
    (note,) = [w for w in cal.warnings if "where chi^2 still falls" in w]
    step = re.search(r"towards sc.n = ([0-9.]+) \(([-+0-9.]+) sigma\), sc.jc_scale = ([0-9.]+) "
                     r"\(([-+0-9.]+) sigma\)", note)  # fmt: skip
    assert step, note
    assert cal.values == pytest.approx([35.0, 1.0]) and not cal.optimizer["converged"]
    assert float(step[1]) == pytest.approx(19.97, abs=0.01)
    assert float(step[3]) == pytest.approx(0.70, abs=0.005)
    assert float(step[2]) < -1 and float(step[4]) < -1  # both far below, in reported sigmas
    assert "rerun from that point (its values as the case's, --scan 0, a larger " \
        "--max-iterations)" in note  # fmt: skip


def test_a_misfit_of_a_probe_off_its_drawn_height_suggests_fitting_its_height():
    """The sensor sits 0.5 mm above where the case draws it (5 mT on the stand-in, 2.5 x the
    noise): the misfit named units, clocks and origins, not the probe's height; now it asks for
    top.z, and with top.z fitted the series fits (z 9.0 mm) and nothing is asked."""
    series = measured(linear_model, n=20.0, k=1.0, sigma=2e-3, z=9.0e-3)
    plain = calibrate(Case.from_dict(case_dict()), series, "sc.n", scan=0, profile=False,
                      runner=runner_of(linear_model))  # fmt: skip
    (note,) = [w for w in plain.warnings if "does not fit" in w]
    assert "a sensor off its drawn height shifts the whole trace: fit top.z" in note
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,top.z", scan=0, profile=False,
                    runner=runner_of(linear_model))  # fmt: skip
    assert cal.fits and cal.value("top.z")[0] == pytest.approx(9.0e-3, abs=1e-4)
    assert not [w for w in cal.warnings if "fit top.z" in w]


def test_a_field_in_the_wrong_unit_is_named_in_the_misfit():
    """A trace 1/39 of the model's field (a unit mix-up; n fitted alone, as jc_scale would take
    up part of it): the misfit says the measured field is a few hundredths of the model's and
    asks about the unit; a misfit of the right size (a
    50 mT step into the hold, 25 sigma) does not. The stand-in's 2-3 T in mT read as T (over
    100 T) is refused up front, naming the row and column, and so is 39 x it (over 10 x the
    case's 1 T), before anything runs."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    with pytest.raises(ValidationError, match=r"^mT as T: row 1 \(1 = the first\), field_T = .*"
                       r" T: beyond 100 T, .* \(80 of 80 rows\); are the values in mT "
                       r"\(1e3 per T: up to 2\.5 T\)"):  # fmt: skip
        Series("mT as T", series.time_s, 1e3 * series.field_T, "top", applied_T=series.applied_T)
    x39 = Series("x39", series.time_s, 39 * series.field_T, "top", applied_T=series.applied_T)
    with pytest.raises(ValidationError, match=r"^x39: field_T = .* over 10 x the case's largest"):
        calibrate(Case.from_dict(case_dict()), x39, "sc.n", runner=runner_of(linear_model))
    by39 = Series("by39", series.time_s, series.field_T / 39, "top", applied_T=series.applied_T)
    cal = calibrate(Case.from_dict(case_dict()), by39, "sc.n", scan=0, profile=False,
                    runner=runner_of(linear_model))  # fmt: skip
    (note,) = [w for w in cal.warnings if "does not fit" in w]
    ratio = float(note.split("the measured field is ")[1].split(" x")[0])
    assert 1 / 60 < ratio < 1 / 20 and "a unit mix-up?" in note and not cal.fits
    jump = Series("jump", series.time_s, series.field_T - 0.05 * (series.time_s > 300), "top",
                  applied_T=series.applied_T, sigma_T=series.sigma_T)  # fmt: skip
    off = calibrate(Case.from_dict(case_dict()), jump, "sc.n,sc.jc_scale", scan=0,
                    profile=False, runner=runner_of(linear_model))  # fmt: skip
    (note,) = [w for w in off.warnings if "does not fit" in w]
    assert "unit" not in note


def test_a_time_in_the_wrong_unit_is_named_in_the_misfit():
    """A series logged in minutes read as seconds did not fit with no word on why (the field's
    unit is named). With applied_T its ramp runs 60 x the protocol's, known before any run: it
    was fitted all the same (a 2 mm ring: 32 simulations, n at its bound 5, the clock named
    in the misfit only) and is now refused before any run; without applied_T the misfit says
    it spans 1/60 of the simulated time after its origin; a misfit on the right clock (a 50 mT
    step, 25 sigma) does not mention it."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    fit = {"fit": "sc.n,sc.jc_scale", "scan": 0, "profile": False}
    minutes = Series("min as s", series.time_s / 60, series.field_T, "top",
                     applied_T=series.applied_T, sigma_T=series.sigma_T)  # fmt: skip
    run = runner_of(linear_model)
    with pytest.raises(AnalysisError, match=r"^min as s: its applied field ramps ([\d.]+) x the "
                       r"simulation's rate \(at the series' times\): a time unit") as said:  # fmt: skip
        calibrate(Case.from_dict(case_dict()), minutes, runner=run, **fit)
    assert run.batches == []
    ratio = float(re.search(r"ramps ([\d.]+) x", str(said.value))[1])
    assert 57 < ratio < 67  # 60, over 0.95 of the ramp's range in the series
    # applied_T 50 x the simulation's, as a clock's 60 x would ramp: a field unit, refused up
    # front (over 10 x the case's 1 T), not named a clock's in the misfit
    milli = Series("applied x50", series.time_s, series.field_T - 0.05 * (series.time_s > 300),
                   "top", applied_T=50 * series.applied_T, sigma_T=series.sigma_T)  # fmt: skip
    with pytest.raises(ValidationError, match=r"applied_T = 47.5 T at t = 5 s .* in mT"):
        calibrate(Case.from_dict(case_dict()), milli, runner=runner_of(linear_model), **fit)
    bare = Series("min as s", series.time_s / 60, series.field_T, "top", sigma_T=series.sigma_T,
                  origin_s=T_RAMP / 60)  # fmt: skip
    cal = calibrate(Case.from_dict(case_dict()), bare, runner=runner_of(linear_model), **fit)
    (note,) = [w for w in cal.warnings if "does not fit" in w]
    assert "spans, after its origin, 0.0167 x the simulation's time: a time unit" in note
    jump = Series("jump", series.time_s, series.field_T - 0.05 * (series.time_s > 300), "top",
                  applied_T=series.applied_T, sigma_T=series.sigma_T)  # fmt: skip
    off = calibrate(Case.from_dict(case_dict()), jump, runner=runner_of(linear_model), **fit)
    (note,) = [w for w in off.warnings if "does not fit" in w]
    assert "time unit" not in note


def test_a_noise_estimated_from_a_sparse_series_is_said_to_be_unable_to_judge_the_fit():
    """The stand-in's trace with 2 mT of noise and no noise column, sampled in steps of 1 and 2
    of the dense grid by turns (54 points): their second differences are the trace's slope
    times the uneven steps, so the estimated noise is 15 mT (reduced chi^2 0.02) and the fit
    test could not fail; the warning says so. The same trace sampled evenly (80 points) gets no
    such warning."""
    dense = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    pick = np.flatnonzero(np.arange(dense.time_s.size) % 3 != 2)  # steps 1, 2, 1, 2, ...
    sparse = Series("sparse", dense.time_s[pick], dense.field_T[pick], "top",
                    applied_T=dense.applied_T[pick])  # fmt: skip
    quiet = Series("dense", dense.time_s, dense.field_T, "top", applied_T=dense.applied_T)
    for series, warned in ((sparse, True), (quiet, False)):
        cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=0,
                        profile=False, runner=runner_of(linear_model))  # fmt: skip
        notes = [w for w in cal.warnings if "sampled too sparsely" in w]
        assert bool(notes) == warned, (cal.series[0].chi2_red, cal.warnings)


def test_a_series_too_short_to_estimate_its_noise_is_refused_before_any_run():
    """Three points and no noise column: their noise was estimated from one second difference
    (on the CLI disk 18 mT for a true 5 mT, the Jc scale 1.84 +- 0.47 for 0.9) and the fit
    passed. A series needs MIN_NOISE_POINTS to estimate its noise from, else it is refused,
    naming it and --sigma-column, before any simulation; with a noise column 3 points do."""
    dense = measured(linear_model, n=20.0, k=0.7, sigma=5e-3)
    spread = np.linspace(0, dense.time_s.size - 1, MIN_NOISE_POINTS).astype(int)
    for pick in (np.array([4, 12, 50]), spread[1:], spread):
        run = runner_of(linear_model)
        few = Series("few.csv (B_T)", dense.time_s[pick], dense.field_T[pick], "top",
                     applied_T=dense.applied_T[pick])  # fmt: skip
        args = (Case.from_dict(case_dict()), few, "sc.n,sc.jc_scale")
        if pick.size < MIN_NOISE_POINTS:
            with pytest.raises(ValidationError, match=rf"few.csv \(B_T\): .* from {pick.size} "
                               r"points .* \(--sigma-column\)"):  # fmt: skip
                calibrate(*args, scan=0, profile=False, runner=run)
            assert run.batches == []
        else:  # estimated and fitted
            assert calibrate(*args, scan=0, profile=False, runner=run).series[0].noise_T > 0
            assert run.batches
    given = Series("few.csv (B_T)", dense.time_s[[4, 12, 50]], dense.field_T[[4, 12, 50]], "top",
                   applied_T=dense.applied_T[[4, 12, 50]], sigma_T=np.full(3, 5e-3))  # fmt: skip
    assert check_request([Case.from_dict(case_dict())], [given], "sc.jc_scale")


def test_parameters_the_series_cannot_tell_apart_are_named():
    """The last decade of the hold alone (from 2550 s, origin given): ln(t) barely changes
    there, so n and the Jc scale both shift the trace as an offset, correlated +0.999 (sigma of
    n 0.63 against 0.08 with the whole trace); a warning names the pair. The whole trace
    (correlation +0.57) gets none."""
    whole = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    late = Series("late", whole.time_s[70:], whole.field_T[70:], "top", origin_s=T_RAMP,
                  sigma_T=whole.sigma_T[70:])  # fmt: skip
    for series, warned in ((late, True), (whole, False)):
        cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=0,
                        profile=False, runner=runner_of(linear_model))  # fmt: skip
        notes = [w for w in cal.warnings if "pin down a combination" in w]
        assert bool(notes) == warned, (cal.correlation, cal.warnings)


def test_a_lower_profile_point_restarts_the_descent(monkeypatch):
    """The first descent stops at the start n = 35 (truth 20); its profile finds chi^2 far lower
    at -1 and -2 sigma; the descent restarted from that point (n held there, k refitted) reaches
    the closed-form weighted least squares of the linear stand-in, and the result is a fit with
    the restart recorded (from the start's chi^2 down to the minimum's)."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    case = Case.from_dict(case_dict())
    exact = calibrate(case, series, "sc.n,sc.jc_scale", scan=0, runner=runner_of(linear_model))
    calls = descent_stopping_short(monkeypatch, times=1)
    cal = calibrate(case, series, "sc.n,sc.jc_scale", scan=0, runner=runner_of(linear_model))
    (restart,) = cal.optimizer["restarts"]
    assert len(calls) == 2 and restart["from"]["sc.n"] == pytest.approx(35.0)
    assert restart["start_chi2"] < restart["from_chi2"] - cal.chi2_red  # the profile point
    assert restart["start"]["sc.n"] == pytest.approx(math.exp(calls[1][0]))
    assert restart["to_chi2"] == pytest.approx(exact.chi2, rel=1e-9) == cal.chi2
    assert restart["to"]["sc.n"] == pytest.approx(exact.value("sc.n")[0], rel=1e-6)
    assert cal.values == pytest.approx(exact.values, rel=1e-6)
    assert cal.sigmas == pytest.approx(exact.sigmas, rel=1e-4)
    assert cal.fits and cal.optimizer["converged"] and cal.warnings == ()
    assert all(row["delta_chi2"] > 0 for row in cal.profile)  # the new profile: no lower point


def test_restarts_are_bounded_and_a_fit_still_below_its_profile_is_flagged(monkeypatch):
    """Descents that never move: PROFILE_RESTARTS restarts from the profile, then the result is flagged (not
    converged, not a fit) and the warning says the restarts ran out; with a simulation cap the
    first restart that would pass it stops the loop, the last complete fit is kept and the
    warning names the cap."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    case = Case.from_dict(case_dict())
    descent_stopping_short(monkeypatch, times=100)
    cal = calibrate(case, series, "sc.n,sc.jc_scale", scan=0, runner=runner_of(linear_model))
    assert len(cal.optimizer["restarts"]) == PROFILE_RESTARTS == 4
    assert not cal.fits and not cal.optimizer["converged"]
    assert any("still after 4 restarts from the profile" in w for w in cal.warnings)
    # a profile more than 1 below is not followed out nor turned into a sigma (the fit is not at
    # its minimum): the -1 sigma side here is far below, not flat
    assert len(cal.profile) == 4 and cal.sigma_sources == ("linearised", "linearised")
    calls = descent_stopping_short(monkeypatch, times=1)
    full = calibrate(case, series, "sc.n,sc.jc_scale", scan=0, runner=runner_of(linear_model))
    used = full.simulations - sum(r["simulations"] for r in full.optimizer["restarts"])
    calls.clear()
    capped = calibrate(case, series, "sc.n,sc.jc_scale", scan=0, max_simulations=used + 2,
                       runner=runner_of(linear_model))  # fmt: skip
    assert capped.optimizer["restarts"] == [] and not capped.fits
    assert capped.value("sc.n")[0] == pytest.approx(35.0)
    (note,) = [w for w in capped.warnings if "profile of sc.n: chi^2 is" in w]
    assert "restart 1 from the profile point stopped" in note and f"cap of {used + 2}" in note
    # a simulation of the restart fails (e.g. past its max_wall): the same, naming the failure
    calls.clear()
    real, count = runner_of(linear_model), []

    def failing_after_used(cases, timeout_s=None):
        count.append(len(cases))
        if sum(count) > used:
            return [SolverError("stand-in: passed max_wall") for _ in cases]
        return real(cases, timeout_s=timeout_s)

    failed = calibrate(case, series, "sc.n,sc.jc_scale", scan=0, runner=failing_after_used)
    assert failed.optimizer["restarts"] == [] and not failed.fits
    assert failed.value("sc.n")[0] == pytest.approx(35.0)
    (note,) = [w for w in failed.warnings if "profile of sc.n: chi^2 is" in w]
    assert "restart 1 from the profile point stopped" in note and "passed max_wall" in note


def test_a_restart_past_a_real_max_wall_keeps_the_last_fit_and_names_it(monkeypatch):
    """The same with the FEM (a 4 mm disk, 0.1-0.2 s a run): the first descent stops at the
    start n = 35 (truth 20, Jc x0.8, 1 mT noise), its profile is far lower at -1 and -2 sigma,
    and each run of the restart from there is stopped by the solver at its [solver] max_wall
    (1e-4 s, as the runner sets it). The fit at the start is kept, flagged, and the warning
    quotes the solver's max_wall error; no restart is recorded."""
    from fluxtrap.simulate import simulate
    from fluxtrap.simulate.calibrate import apply, parse_fit, serial

    case = Case.from_dict(case_dict(hold=600.0) | {"mesh": {"size": "4 mm"}})
    truth = simulate(apply(case, parse_fit("sc.n,sc.jc_scale", case), [20.0, 1.0])).probes
    t = np.concatenate([np.arange(0.0, T_RAMP, 10.0), T_RAMP + np.geomspace(1.0, 599.0, 20)])
    b = np.interp(t, truth.time_s, truth.top_Bz_T) + np.random.default_rng(3).normal(
        0, 1e-3, t.size
    )
    series = Series("disk", t, b, "top", applied_T=np.interp(t, truth.time_s, truth.applied_T))
    calls = descent_stopping_short(monkeypatch, times=1)

    def runner(cases, timeout_s=None):  # the restart's runs: 1e-4 s each
        return serial(cases, timeout_s=1e-4 if len(calls) > 1 else timeout_s)

    cal = calibrate(case, series, "sc.n,sc.jc_scale", scan=0, max_iterations=10, runner=runner)
    assert len(calls) == 2 and cal.optimizer["restarts"] == []
    assert cal.value("sc.n")[0] == pytest.approx(35.0) and not cal.fits
    assert not cal.optimizer["converged"]
    (note,) = [w for w in cal.warnings if "profile of sc.n: chi^2 is" in w]
    assert "restart 1 from the profile point stopped" in note and "max_wall" in note


def command_printing(cal, monkeypatch, tmp_path, capsys) -> tuple[int, str]:
    """``fluxtrap calibrate`` run with ``cal`` in place of the Dask run: its exit code and its
    standard output with the line breaks rich adds joined."""
    from fluxtrap.cli import run
    from fluxtrap.workflows import calibrate as workflow

    done = workflow.CalibrationRun(cal, (), (), 0, {"wall_s": 0.1, "simulations_below_accuracy":
                                                    {"count": 0, "largest_estimate": 0.0}})  # fmt: skip
    monkeypatch.setattr(workflow, "run_calibration", lambda *args, **kwargs: done)
    code = run(["calibrate", "case.toml", "hall.csv", "--probe", "top", "--fit", "sc.n,sc.jc_scale",
                "--out", str(tmp_path / "out")])  # fmt: skip
    return code, " ".join(capsys.readouterr().out.split())


def test_the_command_prints_the_restarts_in_one_line(monkeypatch, tmp_path, capsys):
    """``fluxtrap calibrate`` says in one line that the fit was restarted from its profile, with
    the chi^2 before and after and where the parameters went (the stand-in calibration of the
    restart test in place of the Dask run); a fit reached that way exits 0."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    descent_stopping_short(monkeypatch, times=1)
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=0,
                    runner=runner_of(linear_model))  # fmt: skip
    code, stdout = command_printing(cal, monkeypatch, tmp_path, capsys)
    (restart,) = cal.optimizer["restarts"]
    n, k = cal.values
    assert code == 0
    assert (
        f"restarted 1 x from a lower profile point: chi^2 {restart['from_chi2']:.4g} -> "
        f"{cal.chi2:.4g} (sc.n 35 -> {n:.4g}, sc.jc_scale 1 -> {k:.4g})" in stdout
    )


def test_profile_interval_crosses_one_in_sqrt_rise_at_the_outermost_crossing():
    """A quadratic profile k^2 crosses at +-1; (k / 5)^2 sampled at 1, 2, 4, 8 at +-5 exactly
    (interpolation in sqrt(rise)); a spike above 1 nearer the fit is passed over for the
    outermost crossing; a side that never rises above 1 ends at its last point, not reached."""
    ks = [-8, -4, -2, -1, 1, 2, 4, 8]
    assert profile_interval([-2, -1, 1, 2], [4, 1, 1, 4]) == (-1, 1, True, True)
    assert profile_interval(ks, [(k / 5) ** 2 for k in ks]) == pytest.approx((-5, 5, True, True))
    lo, hi, lo_ok, hi_ok = profile_interval([-4, -2, -1, 1, 2, 4], [9, 0, 2, 0.25, 0.5, 0.8])
    assert (lo, lo_ok) == (pytest.approx(-2 - 2 / 3), True)  # sqrt 0 at -2 .. 3 at -4
    assert (hi, hi_ok) == (4, False)


def kinked_calibration(eps: float, bounds=None, wrap=lambda runner: runner, kink: float = 0.5):
    """The linear stand-in with n's effect kinked ``kink`` sigma below the fit: h(x_n) = x_n above
    x0 = x_hat - kink s (x_hat, s: the linear model's fit and linearised sigma of ln n on the same
    data) and x0 + eps (x_n - x0) below (rises below for kink 0.5). The linear model's fit and covariance hold there, while
    its profile below the fit is flat: rise = ((x_hat - h) / s)^2, (0.5 + eps (k - 0.5))^2 at
    -k sigma beyond the kink, crossing 1 at k = 0.5 + 0.5 / eps. ``wrap``: of the kinked runner."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    case = Case.from_dict(case_dict())
    smooth = calibrate(case, series, "sc.n,sc.jc_scale", scan=0, runner=runner_of(linear_model))
    x_hat, s = math.log(smooth.values[0]), math.sqrt(smooth.cov_u[0, 0])
    x0 = x_hat - kink * s

    def kinked(x_n, x_k, z, t):
        return linear_model(x_n if x_n >= x0 else x0 + eps * (x_n - x0), x_k, z, t)

    cal = calibrate(case, series, "sc.n,sc.jc_scale", scan=0, bounds=bounds,
                    runner=wrap(runner_of(kinked)))  # fmt: skip
    return smooth, cal, x_hat, s, kinked


def test_a_flat_profile_widens_sigma_to_its_interval_and_the_covariance_along_it():
    """eps 0.1: the rise at -1 sigma is 0.3025 (< 0.5), so the profile goes on to -4 (0.7225) and
    -8 sigma (1.5625), then to where they put the crossing, -5.5 sigma (exact: sqrt(rise) is
    linear there); +1 at +1 sigma. n's sigma becomes the interval's larger half, the covariance (still a covariance)
    widens along the profile, Jc's sigma and the prediction error bars with it."""
    smooth, cal, x_hat, s, kinked = kinked_calibration(eps=0.1)
    n = cal.values[0]
    assert cal.values == pytest.approx(smooth.values, rel=1e-9)
    assert cal.sigmas_linearised == pytest.approx(smooth.sigmas, rel=1e-6)
    ks = [r["k_sigma"] for r in cal.profile]
    assert ks[:6] == [-2, -1, 1, 2, -4, -8] and ks[6:] == [pytest.approx(-5.5, rel=1e-4)]
    interval = cal.profile_intervals["sc.n"]
    assert interval["lower"] == pytest.approx(math.exp(x_hat - 5.5 * s), rel=1e-6)
    assert interval["upper"] == pytest.approx(math.exp(x_hat + s), rel=1e-6)
    assert interval["lower_reached"] and interval["upper_reached"]
    assert cal.sigmas[0] == pytest.approx(n - interval["lower"], rel=1e-9)  # the larger half
    assert cal.sigmas[0] > 5 * smooth.sigmas[0]
    assert cal.sigma_sources == ("profile", "profile of sc.n")
    assert cal.sigmas[1] > 1.2 * smooth.sigmas[1]  # Jc moves with n along the profile
    assert np.linalg.eigvalsh(cal.cov_u).min() > 0
    assert cal.sigmas == pytest.approx(np.sqrt(np.diag(cal.covariance)), rel=1e-12)
    assert cal.sigmas[0] == pytest.approx(n * math.sqrt(cal.cov_u[0, 0]), rel=1e-12)
    assert 0 < cal.correlation[0, 1] < 1 and smooth.correlation[0, 1] > 0
    reported = cal.to_dict()["parameters"]
    assert reported["sc.n"]["sigma_source"] == "profile"
    assert reported["sc.n"]["sigma"] == cal.sigmas[0]
    assert reported["sc.n"]["sigma_linearised"] == cal.sigmas_linearised[0]
    assert reported["sc.n"]["profile_interval"] == interval
    assert reported["sc.jc_scale"]["profile_interval"] is None
    (note,) = [w for w in cal.warnings if "profile interval" in w]
    assert "rises by only 0.302 at 1 sigma" in note and "lower bound" not in note
    longer = Case.from_dict(case_dict(hold=1e4))
    at = TIME[[60]] - T_RAMP
    wide = predict(cal, longer, since_origin_s=at, runner=runner_of(kinked)).table.sigma_T[0]
    narrow = predict(smooth, longer, since_origin_s=at, runner=runner_of(linear_model))
    assert wide > 2 * narrow.table.sigma_T[0]


def test_a_profile_flat_at_two_sigma_only_widens_sigma_too():
    """The kink 0.8 sigma below the fit (eps 0.1): the rise is 0.67 at -1 sigma (not flat by the
    1-sigma test) and 0.85 at -2 sigma (4 for a quadratic); the linearised sigma was kept, the
    profile's chi^2 + 1 point 2.8 sigma out (as a rough misfit's: the test disk's ramp alone put
    its truth 3.1 sigma off). Now that side is followed to -4 sigma (1.25) and the crossing, -2.8
    sigma exactly, sets n's sigma; the quadratic side stays at +1."""
    smooth, cal, x_hat, s, _ = kinked_calibration(eps=0.1, kink=0.8)
    rise = {r["k_sigma"]: r["delta_chi2"] for r in cal.profile}
    assert rise[-1] == pytest.approx(0.82**2, rel=1e-4) and rise[-2] == pytest.approx(
        0.92**2, rel=1e-4
    )
    assert list(rise)[4:] == [-4, pytest.approx(-2.8, rel=1e-4)]
    interval = cal.profile_intervals["sc.n"]
    assert interval["lower"] == pytest.approx(math.exp(x_hat - 2.8 * s), rel=1e-6)
    assert interval["upper"] == pytest.approx(math.exp(x_hat + s), rel=1e-6)
    assert cal.sigma_sources == ("profile", "profile of sc.n")
    assert cal.sigmas[0] == pytest.approx(cal.values[0] - interval["lower"], rel=1e-9)
    assert cal.sigmas[0] > 2.5 * smooth.sigmas[0]
    (note,) = [w for w in cal.warnings if "profile interval" in w]
    assert "rises by only 0.846 at -2 sigma (a quadratic misfit gives 4" in note


def test_a_profile_that_never_rises_by_one_leaves_sigma_a_lower_bound():
    """eps 0: below the kink the rise stays 0.25; the profile goes on to -32 sigma (its last
    point) or to the bound, and the warning says the sigma is a lower bound."""
    _, cal, x_hat, s, _ = kinked_calibration(eps=0.0)
    assert [r["k_sigma"] for r in cal.profile] == [-2, -1, 1, 2, -4, -8, -16, -32]
    interval = cal.profile_intervals["sc.n"]
    assert interval["lower"] == pytest.approx(math.exp(x_hat - 32 * s), rel=1e-9)
    assert not interval["lower_reached"] and interval["upper_reached"]
    assert cal.sigmas[0] == pytest.approx(cal.values[0] - interval["lower"], rel=1e-9)
    assert any("(the profile's last point): the sigma is a lower bound" in w for w in cal.warnings)
    bound = math.exp(x_hat - 10 * s)  # between the -8 and -16 sigma points
    _, capped, *_ = kinked_calibration(eps=0.0, bounds={"sc.n": (bound, 300.0)})
    assert [r["k_sigma"] for r in capped.profile][-1] == pytest.approx(-10, rel=1e-4)
    assert capped.profile_intervals["sc.n"]["lower"] == pytest.approx(bound, rel=1e-9)
    assert any("(its bound): the sigma is a lower bound" in w for w in capped.warnings)


def test_a_profile_point_that_fails_ends_its_side():
    """eps 0 with every simulation below -12 sigma failing: the -16 sigma refit fails, the
    profile ends at -8 sigma (named in a warning, the interval open there), and the calibration
    is still returned."""

    def failing_below(real):
        def run(cases, timeout_s=None):
            low = [math.log(c.material("sc").n) < floor[0] for c in cases]
            ok = iter(real([c for c, bad in zip(cases, low, strict=True) if not bad]))
            return [SolverError("stand-in: diverged") if bad else next(ok) for bad in low]

        return run

    floor = [-math.inf]
    _, _, x_hat, s, _ = kinked_calibration(eps=0.0)
    floor[0] = x_hat - 12 * s
    _, cal, *_ = kinked_calibration(eps=0.0, wrap=failing_below)
    assert [r["k_sigma"] for r in cal.profile] == [-2, -1, 1, 2, -4, -8]
    assert not cal.profile_intervals["sc.n"]["lower_reached"]
    assert any("could not be refitted" in w and "stand-in: diverged" in w for w in cal.warnings)


def test_a_quadratic_profile_keeps_the_linearised_sigma():
    """The linear stand-in (rise 1 at +-1 sigma): no extra profile points, sigmas linearised, no
    profile interval."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3, seed=1)
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=0,
                    runner=runner_of(linear_model))  # fmt: skip
    assert len(cal.profile) == 4 and cal.profile_intervals == {}
    assert cal.sigma_sources == ("linearised", "linearised")
    assert np.array_equal(cal.sigmas, cal.sigmas_linearised)
    assert cal.to_dict()["parameters"]["sc.n"]["profile_interval"] is None


def test_the_command_says_which_sigma_it_prints(monkeypatch, tmp_path, capsys):
    """The parameter table names each sigma's source, and the profile interval is printed (the
    kinked stand-in's calibration in place of the Dask run)."""
    _, cal, *_ = kinked_calibration(eps=0.1)
    code, stdout = command_printing(cal, monkeypatch, tmp_path, capsys)
    interval = cal.profile_intervals["sc.n"]
    assert code == 0
    assert f"{cal.sigmas[0]:.2g} │ profile │" in stdout
    assert f"{cal.sigmas[1]:.2g} │ profile of sc.n │" in stdout
    assert (
        f"profile interval of sc.n (chi^2 + 1 reduced unit): {interval['lower']:.4g} .. "
        f"{interval['upper']:.4g}" in stdout
    )


def test_a_calibration_reports_its_progress_batch_by_batch():
    """Every batch of simulations is reported with its stage and the running count (their sum is
    the calibration's simulations), and the scan says its size and time limit before it runs."""
    lines: list[str] = []
    cal = calibrate(Case.from_dict(case_dict()), measured(linear_model, 20.0, 0.7, 2e-3),
                    "sc.n,sc.jc_scale", scan=4, runner=runner_of(linear_model),
                    progress=lines.append)  # fmt: skip
    batches = [line for line in lines if " simulation" in line and " in " in line]
    counts = [int(line.split(": ")[1].split()[0]) for line in batches]
    assert sum(counts) == cal.simulations and f"({cal.simulations} so far" in batches[-1]
    scan = lines.index("start scan: 16 simulations (the start case took 0.01 s; each at most 60 s)")
    assert lines[scan + 1].startswith("start scan: 16 simulations in ")
    for stage in (
        "start: 1 simulation in",
        "descent 1: chi^2 ",
        "stall check: ",
        "profile of sc.n: ",
    ):
        assert any(line.startswith(stage) for line in lines), (stage, lines)


def test_simulations_that_could_not_check_their_accuracy_are_said_apart(
    monkeypatch, tmp_path, capsys
):
    """A fixed pair one element across a layer is "not checked" (reached false, a small
    estimate): it was counted among the runs that missed their target, whose "estimates up to"
    then quoted its 0.2 % against a 1 % target; it is said on a line of its own."""
    from fluxtrap.cli import run
    from fluxtrap.workflows import calibrate as workflow

    note = "accuracy target 1 % not checked: the estimate (0.2 %) leaves out the error across sc"
    runner = workflow.DaskRunner(tmp_path / "cache")
    for estimate, extra in ((0.05, {}), (0.002, {"note": note})):
        accuracy = {"target": 0.01, "estimate": estimate, "reached": False} | extra
        runner._note_accuracy({"summary": {"accuracy": accuracy}})
    assert runner.unreached == [0.05] and runner.unchecked == [note]

    cal = calibrate(Case.from_dict(case_dict()), measured(linear_model, 20.0, 0.7, 2e-3),
                    "sc.n,sc.jc_scale", scan=0, profile=False, runner=runner_of(linear_model))  # fmt: skip
    summary = {"wall_s": 0.1, "simulations_below_accuracy": {"count": 1, "largest_estimate": 0.05},
               "simulations_accuracy_unchecked": {"count": 1, "note": note}}  # fmt: skip
    done = workflow.CalibrationRun(cal, (), (), 0, summary)
    monkeypatch.setattr(workflow, "run_calibration", lambda *args, **kwargs: done)
    run(["calibrate", "case.toml", "hall.csv", "--probe", "top", "--fit", "sc.n,sc.jc_scale",
         "--out", str(tmp_path / "out")])  # fmt: skip
    stdout = " ".join(capsys.readouterr().out.split())
    assert "1 simulations (of the fit and its predictions) did not reach" in stdout
    assert "estimates up to 5 %" in stdout
    said = "1 simulations (of the fit and its predictions) could not check their accuracy target"
    assert f"{said}: {note}" in stdout


@pytest.mark.parametrize("quiet", [False, True])
def test_the_command_prints_progress_unless_quiet(monkeypatch, tmp_path, capsys, quiet):
    """``fluxtrap calibrate`` prints the calibration's progress lines; --quiet silences them."""
    from fluxtrap.cli import run
    from fluxtrap.workflows import calibrate as workflow

    cal = calibrate(Case.from_dict(case_dict()), measured(linear_model, 20.0, 0.7, 2e-3),
                    "sc.n,sc.jc_scale", scan=0, profile=False, runner=runner_of(linear_model))  # fmt: skip
    done = workflow.CalibrationRun(cal, (), (), 0, {"wall_s": 0.1, "simulations_below_accuracy":
                                                    {"count": 0, "largest_estimate": 0.0}})  # fmt: skip

    def fake(*args, progress=None, **kwargs):
        if progress is not None:
            progress("descent 1: 3 simulations in 2 s (9 so far, at most 2000)")
        return done

    monkeypatch.setattr(workflow, "run_calibration", fake)
    code = run(["calibrate", "case.toml", "hall.csv", "--probe", "top", "--fit", "sc.n,sc.jc_scale",
                "--out", str(tmp_path / "out"), *(["--quiet"] if quiet else [])])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and "sc.jc_scale" in out
    assert ("calibrate: descent 1: 3 simulations in 2 s" in out) is not quiet


def test_a_profile_refit_simulates_only_the_refitted_parameters_shifts():
    """n held: each refit Jacobian needs p - 1 shifted points, one here (before: p, and 69
    simulations instead of 57 for this fit), and the profile still rises by exactly k^2."""
    lines: list[str] = []
    cal = calibrate(Case.from_dict(case_dict()), measured(linear_model, 20.0, 0.7, 2e-3),
                    "sc.n,sc.jc_scale", scan=4, runner=runner_of(linear_model),
                    progress=lines.append)  # fmt: skip
    profile = [line for line in lines if line.startswith("profile of sc.n: ")]
    assert profile and all(line.startswith("profile of sc.n: 1 simulation in") for line in profile)
    assert cal.simulations == 57
    assert [r["delta_chi2"] for r in cal.profile] == pytest.approx([4, 1, 1, 4], rel=1e-6)


@pytest.mark.parametrize("cap, converged", [(22, False), (30, False), (45, True)])
def test_a_fit_that_reaches_the_simulation_cap_keeps_what_it_found(cap, converged):
    """A cap reached in the descent (22, 30: after the 17 of the start and its scan) or in the
    profile (45) ends the fit where it got to, not in an error that loses it (before:
    SimulationCapError, no result): the lowest chi^2 reached, a warning naming the cap, never
    more simulations than the cap; a descent cut short is not converged, a fit whose profile
    was cut keeps its linearised sigmas (n 19.97 +- 0.0212 as without a cap)."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=4,
                    max_iterations=1000, max_simulations=cap,
                    runner=runner_of(linear_model))  # fmt: skip
    assert cal.simulations <= cap
    assert any(f"cap of {cap} simulations" in w for w in cal.warnings), cal.warnings
    assert math.isfinite(cal.chi2) and cal.chi2 <= cal.optimizer["chi2_start"]
    assert cal.optimizer["converged"] is converged and cal.fits is converged
    if converged:
        assert cal.profile == [] and cal.value("sc.n") == pytest.approx((19.97, 0.0212), rel=0.01)


@pytest.mark.parametrize("cases, cap", [(1, 17), (1, 18), (3, 51), (3, 56)])
def test_a_cap_below_the_least_a_fit_costs_is_refused_before_any_run(cases, cap):
    """The least a fit costs is, for every case, its start, the scan's grid and the covariance's p
    shifted runs: 1 + 16 + 2 = 19 for a 4-point scan of n and Jc, 57 for three cases. Before,
    only the grid (16) was checked against the cap, once and not per case: a cap of 17 or 18 ran
    the scan and then failed in the covariance ("19 simulations would exceed the cap of 17"),
    three cases under 57 the same after 51 runs; now refused before any run, with the count."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    run = runner_of(linear_model)
    with pytest.raises(ValidationError) as err:
        calibrate([Case.from_dict(case_dict())] * cases,
                  [dataclasses.replace(series, case=i) for i in range(cases)],
                  "sc.n,sc.jc_scale", scan=4, max_simulations=cap, runner=run)  # fmt: skip
    assert run.batches == []
    least = 19 * cases
    assert f"--scan 4 needs at least {least} simulations ({cases} case" in str(err.value)
    assert f"a grid of 16 = 4^2 and 2 for the covariance)), over the cap of {cap}" in str(err.value)
    cal = calibrate([Case.from_dict(case_dict())] * cases,
                    [dataclasses.replace(series, case=i) for i in range(cases)], "sc.n,sc.jc_scale",
                    scan=4, max_simulations=least, runner=run)  # fmt: skip
    assert cal.simulations == least and math.isfinite(cal.sigmas[0])  # the scan's best point


def test_the_wall_time_estimate_counts_each_case_once():
    """Three cases of 60 s runs each: the start's three runs were summed (180 s) and then counted
    again for each case, 11.4 h for a fit of 228 simulations (3.8 h on one worker); now 60 s a
    simulation, 3.8 h, under a 4 h budget as it should be."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    run = runner_of(linear_model, wall_s=lambda n: 60.0)
    lines: list[str] = []
    with pytest.raises(ValidationError, match="about 228 simulations of about 60 s each"):
        calibrate([Case.from_dict(case_dict())] * 3,
                  [dataclasses.replace(series, case=i) for i in range(3)], "sc.n,sc.jc_scale",
                  scan=4, runner=run, max_wall_s=3 * 3600.0, progress=lines.append)  # fmt: skip
    cal = calibrate([Case.from_dict(case_dict())] * 3,
                    [dataclasses.replace(series, case=i) for i in range(3)], "sc.n,sc.jc_scale",
                    scan=4, runner=run, max_wall_s=4 * 3600.0, progress=lines.append)  # fmt: skip
    assert "estimate: about 228 simulations of about 60 s each (the mean of 3 cases' starts) on " \
        "1 worker: about 3.8 h (budget 4 h)" in lines  # fmt: skip
    assert cal.simulations == 171


def test_the_wall_time_estimate_counts_the_runners_own_time_and_its_start_up():
    """A runner whose every batch takes 50 ms beyond its runs' recorded 1 ms (Dask: scheduling,
    transfer, its cache) and a start-up of 2 s before the calibration (a cluster): the estimate
    was the runs alone, 76 x 1 ms, and such a fit passed a 1 s budget to stop at it; now it
    counts 25 batches x 50 ms and the time spent before the scan, and is refused, saying so."""
    import time

    stand_in = runner_of(linear_model, wall_s=lambda n: 1e-3)

    def slow(cases, timeout_s=None):
        time.sleep(0.05)
        return stand_in(cases, timeout_s)

    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    with pytest.raises(ValidationError) as err:
        calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=4, runner=slow,
                  max_wall_s=1.0)  # fmt: skip
    said = str(err.value)
    assert stand_in.batches == [1] and "over its wall-time budget of 1 s" in said
    estimate = float(re.search(r"1 worker: about ([0-9.]+) s", said).group(1))
    assert 1.3 < estimate < 2.5, said  # 25 x 0.05 + 76 x 0.001 + the start
    # the sleep's 50 ms less the 1 ms each batch's run records: 0.049 s on a fast machine
    assert re.search(r"25 batches of about 0.0(4[5-9]|[5-9])\d* s of the runner's own", said), said
    with pytest.raises(ValidationError, match=r"about 1[0-9.]+ s \(1[0-9.]+ s spent before the"):
        calibrate(Case.from_dict(case_dict()), series, "sc.n", scan=0, runner=stand_in,
                  max_wall_s=8.0, started=time.perf_counter() - 10.0)  # fmt: skip
    for started in (math.nan, time.perf_counter() + 100.0):  # NaN: a budget never enforced
        with pytest.raises(ValidationError, match="started must be a time.perf_counter"):
            calibrate(Case.from_dict(case_dict()), series, "sc.n", runner=stand_in,
                      max_wall_s=8.0, started=started)  # fmt: skip


def test_fitting_n_of_a_material_with_n_of_t_says_the_table_is_replaced():
    """A fitted n is one n for every temperature (``apply``): a material's n(T) table is
    replaced, which the warnings say (before: silently, the fitted case without its n(T))."""
    d = case_dict()
    d["materials"]["sc"]["n"] = {"temperature": [5, 20], "temperature_unit": "K", "value": [35, 20]}
    cal = calibrate(Case.from_dict(d), measured(linear_model, 20.0, 0.7, 2e-3), "sc.n,sc.jc_scale",
                    scan=0, profile=False, runner=runner_of(linear_model))  # fmt: skip
    (note,) = [w for w in cal.warnings if "n(T)" in w]
    assert note.startswith("sc.n: fits one n for every temperature in place of sc's n(T) table")
    assert "(n 35 at 5 K .. 20 at 20 K)" in note
    assert cal.fitted_cases[0].material("sc").n_table is None
    plain = calibrate(Case.from_dict(case_dict()), measured(linear_model, 20.0, 0.7, 2e-3),
                      "sc.n,sc.jc_scale", scan=0, profile=False, runner=runner_of(linear_model))  # fmt: skip
    assert plain.warnings == ()


def test_a_misfit_of_a_series_whose_origin_was_assumed_asks_for_the_origin():
    """A file without applied_T and without an origin is put on the simulation's clock with its
    t = 0 at the ramp's end; a series logged from the start of the ramp (origin 100 s) then does
    not fit, and the misfit says the origin was assumed and how to give it; with the origin given
    it fits, and a series with its applied_T column is not asked about it."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    assumed = Series("no origin", series.time_s, series.field_T, "top", sigma_T=series.sigma_T)
    cal = calibrate(Case.from_dict(case_dict()), assumed, "sc.n,sc.jc_scale", scan=0,
                    profile=False, runner=runner_of(linear_model))  # fmt: skip
    (note,) = [w for w in cal.warnings if "does not fit" in w]
    assert "was taken as t = 0 on its clock" in note and "(--origin)" in note
    given = Series("origin", series.time_s, series.field_T, "top", sigma_T=series.sigma_T,
                   origin_s=T_RAMP)  # fmt: skip
    cal = calibrate(Case.from_dict(case_dict()), given, "sc.n,sc.jc_scale", scan=0,
                    profile=False, runner=runner_of(linear_model))  # fmt: skip
    assert cal.fits and cal.value("sc.n")[0] == pytest.approx(20.0, rel=0.01)
    jump = Series("jump", series.time_s, series.field_T - 0.05 * (series.time_s > 300), "top",
                  applied_T=series.applied_T, sigma_T=series.sigma_T)  # fmt: skip
    off = calibrate(Case.from_dict(case_dict()), jump, "sc.n,sc.jc_scale", scan=0,
                    profile=False, runner=runner_of(linear_model))  # fmt: skip
    (note,) = [w for w in off.warnings if "does not fit" in w]
    assert "origin" not in note


def test_a_wide_sigma_of_a_log_parameter_is_given_as_its_range_in_ln():
    """n and Jc are fitted in ln: with 0.5 T of noise ln n's sigma is 0.27, so n 13.7 +- 3.6
    is said to mean 10.5 .. 17.9 = exp(ln n +- sigma) (before: only value +- sigma; E0 fitted on
    the FEM disk came out 1.09e-5 +- 2.4e-5 V/m, 12 sigma from its truth 3e-4, 1.5 in ln E0);
    the range is in calibrate.json and kept within the bounds. 2 mT of noise: no such warning."""
    cal = calibrate(Case.from_dict(case_dict()), measured(linear_model, 20.0, 0.7, 0.5),
                    "sc.n,sc.jc_scale", scan=0, profile=False, runner=runner_of(linear_model))  # fmt: skip
    sd = np.sqrt(np.diag(cal.cov_u))
    (n_lo, n_hi), (k_lo, k_hi) = cal.ranges
    assert (n_lo, n_hi) == pytest.approx(cal.values[0] * np.exp([-sd[0], sd[0]]), rel=1e-12)
    assert (k_lo, k_hi) == pytest.approx(cal.values[1] * np.exp([-sd[1], sd[1]]), rel=1e-12)
    assert sd[0] > 0.25 > sd[1]
    (note,) = [w for w in cal.warnings if "1-sigma range" in w]
    assert note.startswith(f"sc.n = {cal.values[0]:.4g} +- {cal.sigmas[0]:.2g}: fitted in ln n")
    assert f"range is {n_lo:.3g} .. {n_hi:.3g} (a factor {np.exp(sd[0]):.3g} either way" in note
    assert cal.to_dict()["parameters"]["sc.n"]["range_1sigma"] == [n_lo, n_hi]
    wide = calibrate(Case.from_dict(case_dict()), measured(linear_model, 20.0, 0.7, 2.0),
                     "sc.n,sc.jc_scale", scan=0, profile=False, runner=runner_of(linear_model))  # fmt: skip
    assert wide.ranges[0][0] == pytest.approx(5.0)  # the bound, not exp(ln 5 - 1.06) = 1.7
    quiet = calibrate(Case.from_dict(case_dict()), measured(linear_model, 20.0, 0.7, 2e-3),
                      "sc.n,sc.jc_scale", scan=0, profile=False, runner=runner_of(linear_model))  # fmt: skip
    assert not any("1-sigma range" in w for w in quiet.warnings)


def offset_series(offset: float, drift: float, seed: int = 0, n: float = 20.0) -> Series:
    """The linear stand-in at n (k = 1) plus a probe offset (T) and drift (T/s from the origin)."""
    s = measured(linear_model, n=n, k=1.0, sigma=2e-3, seed=seed)
    b = s.field_T + offset + drift * (s.time_s - T_RAMP)
    return Series(s.name, s.time_s, b, "top", applied_T=s.applied_T, sigma_T=s.sigma_T)


def test_probe_offset_and_drift_are_profiled_out_as_weighted_least_squares():
    """n with top.offset and top.drift: values and covariance equal the closed-form weighted least
    squares of the three columns (1e-6, 1e-4), offset and drift in T and T/s, with no more
    simulations than n alone needs; the prediction ignores them."""
    series = offset_series(5e-3, 2e-6)
    run = runner_of(linear_model)
    cal = calibrate(Case.from_dict(case_dict()), series, "top.offset,sc.n,top.drift", scan=0,
                    profile=False, runner=run)  # fmt: skip
    g1, g2 = features(series.time_s)
    X = np.column_stack([np.ones_like(g1), 0.3 * g1 - 0.05 * g2, series.time_s - T_RAMP])
    y = series.field_T - 2.0
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    s2 = resid @ resid / (y.size - 3)
    cov = s2 * np.linalg.inv(X.T @ X)
    assert [p.name for p in cal.parameters] == ["top.offset", "sc.n", "top.drift"]
    assert cal.cov_u[0, 0] == pytest.approx(cov[0, 0], rel=1e-4)
    assert np.log(cal.values[1]) == pytest.approx(beta[1], abs=1e-6)
    assert cal.values[[0, 2]] == pytest.approx(beta[[0, 2]], abs=1e-8)
    assert cal.cov_u == pytest.approx(cov, rel=1e-4)
    assert cal.dof == y.size - 3
    assert max(run.batches) <= 2  # n and its shift at most: the offset and drift not simulated
    assert (
        abs(cal.values[0] - 5e-3) < 4 * cal.sigmas[0]
        and abs(cal.values[2] - 2e-6) < 4 * cal.sigmas[2]
    )
    d = cal.to_dict()["parameters"]
    assert d["top.offset"]["unit"] == "T" and d["top.drift"]["unit"] == "T/s"
    assert d["top.offset"]["nuisance"] is True
    fitted = cal.traces[0].fitted_T  # the fit's residual, offset and drift included
    assert np.sum(((fitted - series.field_T) / 2e-3) ** 2) == pytest.approx(cal.chi2, rel=1e-9)
    assert not [w for w in cal.warnings if "offset" in w or "drift" in w]
    assert [p.name for p in cal.fitted_cases[0].probes] == ["top"]  # the case is not changed


@pytest.mark.parametrize(
    "offset, drift, warned",
    [(0.0, 0.0, {}), (3e-3, 0.0, {"offset": 3e-3}), (0.0, 1e-6, {"drift": 1e-6}),
     (3e-3, 1e-6, {"offset": 3e-3, "drift": 1e-6})],
)  # fmt: skip
def test_an_unfitted_offset_or_drift_in_the_residuals_is_named(offset, drift, warned):
    """n alone fitted to a series with an offset of 1.5 noise sigma or a drift of 1e-6 T/s (5 noise
    sigmas over the 1e4 s hold): each is named with its value (within 25 %), none without them,
    though the series still fits (reduced chi^2 < 4)."""
    cal = calibrate(Case.from_dict(case_dict()), offset_series(offset, drift, seed=3), "sc.n",
                    scan=0, profile=False, runner=runner_of(linear_model))  # fmt: skip
    said = {}
    for w in cal.warnings:
        if m := re.search(r"(offset|drift) of (\S+) T.*fit it as top\.(offset|drift)", w):
            said[m[1]] = float(m[2])
    assert said.keys() == warned.keys()
    for a, v in warned.items():
        assert said[a] == pytest.approx(v, rel=0.25)
    assert cal.series[0].fits


def test_an_offset_fitted_beside_the_parameter_it_duplicates_is_not_tested_or_misjudged():
    """The stand-in's ln k is an additive offset too: fitted with n, no offset is left to test
    (no warning); fitted beside top.offset the two are named as not told apart."""
    series = offset_series(5e-3, 0.0)
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=0,
                    profile=False, runner=runner_of(linear_model))  # fmt: skip
    assert not [w for w in cal.warnings if "top.offset" in w]
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale,top.offset", scan=0,
                    profile=False, runner=runner_of(linear_model))  # fmt: skip
    assert any("not determined" in w or "correlated" in w for w in cal.warnings)


def test_offset_requests_that_cannot_work_are_refused_before_anything_runs():
    case = Case.from_dict(case_dict())
    series = offset_series(0.0, 0.0)
    with pytest.raises(ValidationError, match="only probe offsets"):
        calibrate(case, series, "top.offset", runner=runner_of(linear_model))
    bottom = case_dict()
    bottom["probes"].append({"name": "bottom", "r": "0 mm", "z": "-0.5 mm"})
    with pytest.raises(ValidationError, match="no series is fitted to probe 'bottom'"):
        calibrate(
            Case.from_dict(bottom), series, "sc.n,bottom.offset", runner=runner_of(linear_model)
        )
    with pytest.raises(ValidationError, match=r"top\.drift"):
        calibrate(case, series, "sc.n,top.drfit", runner=runner_of(linear_model))


def test_series_of_one_probe_share_its_offset_and_one_off_it_is_named():
    """Two series of probe top, one read 5 mT (2.5 noise sigma) high: top.offset is their common
    offset (2.5 mT, the mean) and each series' departure from it is named (its z about 9); with
    the same offset on both nothing is said."""
    case = Case.from_dict(case_dict())
    for second, named in ((0.0, True), (5e-3, False)):
        one, two = offset_series(5e-3, 0.0, seed=1), offset_series(second, 0.0, seed=2)
        two = Series("second", two.time_s, two.field_T, "top", applied_T=two.applied_T,
                     sigma_T=two.sigma_T)  # fmt: skip
        cal = calibrate(case, [one, two], "sc.n,top.offset", scan=0, profile=False,
                        runner=runner_of(linear_model))  # fmt: skip
        off, sigma = cal.value("top.offset")
        assert abs(off - (5e-3 + second) / 2) < 3 * sigma
        said = [w for w in cal.warnings if "beyond the fitted top.offset" in w]
        assert len(said) == (2 if named else 0), cal.warnings


def test_an_unfitted_offset_and_structure_are_each_given_their_own_z():
    """5 mT and 2e-6 T/s left unfitted: the offset and drift warnings carry their z (also in
    calibrate.json offset_z, drift_z), the runs-test warning its own negative z (before, it
    quoted the drift's +12.3); fitted, the probe's one series has nothing left to test (None)."""
    series = offset_series(5e-3, 2e-6, seed=3)
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n", scan=0, profile=False,
                    runner=runner_of(linear_model))  # fmt: skip
    fit = cal.to_dict()["series"][0]
    assert fit["structured"] and fit["offset_z"] > 3 and fit["drift_z"] > 3
    [runs] = [w for w in cal.warnings if "runs test" in w]
    assert f"z = {fit['runs_z']:.2f} < -3" in runs and fit["runs_z"] < -3
    assert any(f"{fit['drift_z']:+.1f} x its standard error" in w for w in cal.warnings)
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,top.offset,top.drift", scan=0,
                    profile=False, runner=runner_of(linear_model))  # fmt: skip
    assert (cal.series[0].offset_z, cal.series[0].drift_z) == (None, None)


def test_a_long_series_is_fitted_whole_and_kept_thinned_in_calibrate_json():
    """A 1e6-row series: calibrate.json kept every point of its traces, 142 MB (and so did a
    stored calibration and the dashboard's figure); now at most TRACE_KEPT points a series, the
    first decade's samples among them, with the count of all; the fit still uses every point
    (dof = rows - parameters), its fit the closed-form one to 1e-6, in bounded time."""
    import json
    import time

    from fluxtrap.outputs import jsonable
    from fluxtrap.simulate.calibrate.fit import TRACE_KEPT

    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(0.5, TIME[-1], 1_000_000))
    b = linear_model(math.log(20.0), math.log(0.7), 8.5e-3, t) + rng.normal(0, 2e-3, t.size)
    series = Series("long", t, b, "top", applied_T=features(t)[0])
    t0 = time.process_time()
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=0,
                    profile=False, runner=runner_of(linear_model))  # fmt: skip
    text = json.dumps(jsonable(cal.to_dict()), allow_nan=False)
    assert time.process_time() - t0 < 30.0  # about 3 s
    assert cal.dof == t.size - 2
    assert np.log(cal.values) == pytest.approx([math.log(20.0), math.log(0.7)], abs=1e-3)
    assert len(text) < 2e6  # 142 MB before
    (trace,) = json.loads(text)["traces"]
    assert trace["points"] == t.size and trace["kept"] == len(trace["t_s"]) <= TRACE_KEPT
    assert {k: len(v) for k, v in trace.items() if isinstance(v, list)} == dict.fromkeys(
        ["t_s", "measured_T", "sigma_T", "start_T", "fitted_T"], trace["kept"]
    )
    kept = np.array(trace["t_s"])  # the hold's first second keeps most of its samples
    first = lambda x: ((x > 0) & (x < 1)).sum()  # noqa: E731
    assert first(kept) >= 0.75 * first(t - T_RAMP) > 50  # 89 of 112; every 200th: 0 or 1


def test_a_calibration_over_its_wall_time_budget_is_refused_with_its_estimate():
    """Runs of 60 s (the start case's): a 4-point scan and a fit of n, Jc with its profile are
    about 76 simulations, 76 min on one worker, 44 on two (batches of 3 and 2): refused under a 1 h budget before the
    scan (only the start ran: before, nothing bounded the time but the 2000-simulation cap,
    33 h of such runs); a 2 h budget lets it run (57 simulations), the estimate among the
    progress lines and each batch's line saying how far it is."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    run = runner_of(linear_model, wall_s=lambda n: 60.0)
    with pytest.raises(ValidationError) as err:
        calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=4, runner=run,
                  max_wall_s=3600.0)  # fmt: skip
    assert run.batches == [1]
    said = str(err.value)
    assert "about 76 simulations of about 60 s each" in said and "on 1 worker: about 76 min" in said
    assert "budget of 60 min (--max-wall)" in said and "at least 76 min" in said
    run.workers = 2
    lines: list[str] = []
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=4, runner=run,
                    max_wall_s=2700.0, progress=lines.append)  # fmt: skip
    assert "estimate: about 76 simulations of about 60 s each (the start case's run) on 2 workers: " \
        "about 44 min (budget 45 min)" in lines  # fmt: skip
    assert cal.fits and cal.simulations == 57
    assert "(57 so far of about 76, at most 2000; " in lines[-1]
    for budget in (0.0, math.nan, math.inf):  # NaN was never enforced
        with pytest.raises(ValidationError, match="max_wall_s must be a time above 0 s"):
            calibrate(Case.from_dict(case_dict()), series, "sc.n", runner=run, max_wall_s=budget)


def test_a_calibration_past_its_estimate_says_so_instead_of_a_count_above_its_total(monkeypatch):
    """The estimate is a typical run's (a stall, a restart or a flat profile cost more): past it,
    a batch's line says so, where it said "57 so far of about 20"."""
    from fluxtrap.simulate.calibrate import fit

    monkeypatch.setattr(fit, "estimated_wall_s", lambda *args: (20, 3, 1e-3))
    lines: list[str] = []
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=4,
                    runner=runner_of(linear_model), progress=lines.append)  # fmt: skip
    estimated = next(i for i, line in enumerate(lines) if line.startswith("estimate: about 20 "))
    counts = [re.search(r"\((\d+) so far(.*?), at most", line) for line in lines[estimated:]]
    counts = [(int(m[1]), m[2]) for m in counts if m]
    assert cal.simulations == counts[-1][0] > 20 >= counts[0][0]
    assert all(
        said == (" of about 20" if n <= 20 else ", past the 20 estimated") for n, said in counts
    )
    assert re.search(r", past the [0-9.e-]+ s estimated\)$", lines[-1])


def slow_off_start():
    """A stand-in runner (``linear_model``) whose start case (n = 35) takes 1 ms and every other
    case 50 ms more (a stiffer region), for the wall-time budget tests."""
    import time

    stand_in = runner_of(linear_model, wall_s=lambda n: 1e-3)

    def slower(cases, timeout_s=None):
        if any(abs(c.material("sc").n - 35.0) > 1e-6 for c in cases):
            time.sleep(0.05 * len(cases))
        return stand_in(cases, timeout_s)

    return slower


def test_a_calibration_that_reaches_its_wall_time_budget_keeps_what_it_found():
    """The start case takes 1 ms, the others 50 ms (a stiffer region): the estimate passes a 0.5 s
    budget (with the stand-in's own time per batch, a few ms), the descent passes it; no further
    stage starts (the profile is left out, saying why), the fit found is kept with its
    linearised sigmas."""
    slower = slow_off_start()
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=0,
                    runner=slower, max_wall_s=0.5)  # fmt: skip
    assert cal.profile == [] and cal.simulations < 41  # 41 with the profile
    (note,) = [w for w in cal.warnings if "or the wall-time budget and was left out" in w]
    assert "wall-time budget is used" in note and "--max-wall" in note
    assert cal.value("sc.n")[0] == pytest.approx(20.0, rel=0.01)


def test_a_scan_that_uses_the_wall_time_budget_keeps_its_best_point_flagged():
    """The start case takes 1 ms, the 16 scan points 50 ms each: the scan alone passes a 0.5 s
    budget. The first descent raised SimulationCapError ("its wall-time budget is used"), the
    scan's 17 simulations lost; now its best grid point is the result (chi^2 the scan's lowest,
    its values a grid point), not converged, with a warning and a progress line naming the
    budget, and its covariance (2 simulations) computed."""
    slower = slow_off_start()
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    lines: list[str] = []
    cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,sc.jc_scale", scan=4,
                    runner=slower, max_wall_s=0.5, progress=lines.append)  # fmt: skip
    best = min(cal.scan, key=lambda row: row["chi2"])
    assert cal.chi2 == pytest.approx(best["chi2"], rel=1e-12)
    assert cal.chi2 < cal.optimizer["chi2_start"]
    assert cal.value("sc.n")[0] == pytest.approx(best["sc.n"], rel=1e-12)
    assert cal.simulations == 19 and cal.optimizer["evaluations"] == 0
    assert not cal.optimizer["converged"] and not cal.fits
    assert math.isfinite(cal.sigmas[0]) and cal.sigmas[0] > 0
    (note,) = [w for w in cal.warnings if "no descent started after the start scan" in w]
    assert (
        "wall-time budget of 0.5 s" in note and "--max-wall" in note and "not a converged" in note
    )
    assert any(line.startswith("descent 1: not started (") for line in lines), lines


def test_careless_counts_and_bounds_are_refused_before_any_simulation():
    """max_iterations 0 was scipy's ValueError and 2.5 never returned (scipy's trf counts its
    evaluations up to max_nfev, never equal to 2.5); --scan -1 ran as 0; bounds 1..inf said
    "need low < high"; swapped bounds did not say so. Each is now a ValidationError naming the
    setting, before any simulation."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    run = runner_of(linear_model)
    for kwargs, message in (
        ({"max_iterations": 0}, r"max_iterations must be a whole number >= 1, got 0"),
        ({"max_iterations": 2.5}, r"max_iterations must be a whole number >= 1, got 2\.5"),
        ({"scan": -1}, r"--scan must be a whole number >= 0, got -1"),
        ({"scan": 2.5}, r"--scan must be a whole number >= 0, got 2\.5"),
        ({"bounds": {"sc.n": (1.5, math.inf)}}, r"bounds of sc\.n: need finite numbers, got 1\.5\.\.inf$"),
        ({"bounds": {"sc.n": (60.0, 30.0)}}, r"bounds of sc\.n: need low < high, got 60\.\.30 \(swapped\? give NAME=LOW:HIGH\)"),
        # a TypeError each but 2.5, which ran
        ({"max_simulations": "10"}, r"max_simulations must be a whole number >= 1, got '10'"),
        ({"max_simulations": 2.5}, r"max_simulations must be a whole number >= 1, got 2\.5"),
        ({"max_wall_s": "10"}, r"max_wall_s must be a time above 0 s, got '10'"),
        ({"fit": 5}, r'--fit: expected parameter names, "bulk1\.n,bulk1\.jc_scale" or a list of them, got 5'),
        ({"fit": ["sc.n", 5]}, r"--fit: expected parameter names, .* got \['sc\.n', 5\]"),
        ({"profile": "no"}, r"profile must be True or False, got 'no'"),  # it ran the profile
    ):  # fmt: skip
        with pytest.raises(ValidationError, match=message):
            calibrate(Case.from_dict(case_dict()), series, runner=run,
                      **{"scan": 0, "fit": "sc.n", "profile": False} | kwargs)  # fmt: skip
    assert run.batches == []


def test_a_series_with_no_more_points_than_parameters_is_refused_before_any_run():
    """Three points for sc.n, sc.jc_scale and top.offset: refused only after the start case and
    a 4 x 4 scan had run (17 simulations); now before any, naming the points and parameters."""
    full = measured(linear_model, n=20.0, k=1.0, sigma=2e-3)
    three = Series("three", full.time_s[-3:], full.field_T[-3:], "top", origin_s=T_RAMP)
    run = runner_of(linear_model)
    with pytest.raises(ValidationError, match=r"^calibrate: 3 measured points in 1 series for 3 "
                       r"parameters \(sc\.n, sc\.jc_scale, top\.offset\); a fit needs more"):  # fmt: skip
        calibrate(Case.from_dict(case_dict()), three, "sc.n,sc.jc_scale,top.offset", scan=4,
                  runner=run)  # fmt: skip
    assert run.batches == []


def test_a_fitted_height_stops_at_the_superconductor_and_says_so():
    """The default +-1 mm of a probe drawn 0.5 mm above an 8 mm disk reached into it: a trace
    measured at 7.9 mm was fitted there (z 7.903 mm, inside the superconductor, only a warning)
    and a CaseWarning was printed per height tried (13). Now the bounds stop at its top face:
    the fit ends there, not a fit, its warning naming the face and nothing to widen; no height
    tried is inside, so nothing is printed. At 8.3 mm, a fit."""
    for z, at_face in ((7.9e-3, True), (8.3e-3, False)):
        series = measured(linear_model, n=20.0, k=1.0, sigma=2e-3, z=z)
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            cal = calibrate(Case.from_dict(case_dict()), series, "sc.n,top.z", scan=0,
                            profile=False, runner=runner_of(linear_model))  # fmt: skip
        assert [str(w.message) for w in said if issubclass(w.category, CaseWarning)] == []
        assert cal.value("top.z")[0] == pytest.approx(8e-3 if at_face else z, abs=5e-5)
        assert cal.fits is not at_face
        notes = [w for w in cal.warnings if "face" in w]
        assert len(notes) == at_face, cal.warnings
        assert not at_face or re.match(
            r"top\.z = 0\.008 m sits at its lower bound 0\.008 m, the top face of the "
            r"superconductor 'sc' \(z 8 mm at r = 0 mm\): the series reads as if the probe sat "
            r"inside it, where no Hall sensor sits, so this is not a fit",
            notes[0],
        )


def test_a_probe_drawn_inside_is_warned_of_once_with_the_heights_tried():
    """A probe drawn inside the disk (7.9 mm of 8) with its height fitted: the case's
    CaseWarning came once per height tried, 13 for one fit; now once for the case as drawn and
    once for the fit, with the range of heights it tries."""
    drawn = case_dict()
    drawn["probes"][0]["z"] = "7.9 mm"
    series = measured(linear_model, n=20.0, k=1.0, sigma=2e-3, z=7.9e-3)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        calibrate(Case.from_dict(drawn), series, "sc.n,top.z", scan=0, profile=False,
                  runner=runner_of(linear_model))  # fmt: skip
    inside = [str(w.message) for w in said if issubclass(w.category, CaseWarning)]
    assert len(inside) == 2, inside
    assert inside[0].startswith("probe 'top' at r=0 mm, z=7.9 mm is inside the superconductor")
    assert inside[1] == (
        "top.z: probe 'top' is drawn at z = 7.9 mm, inside the superconductor 'sc' (z 0..8 mm at "
        "r = 0 mm), and the fit tries heights 6.9..8.9 mm: inside it the probe reads Bz where no "
        "Hall sensor sits"
    )


@pytest.mark.parametrize(
    ("unit", "origin", "first"),
    [(1.0, 5e4, r"point 1 \(1 = the first\), at 5 s on the series' clock, is -5e\+04 s from"),
     (3600.0, None, r"point 1 \(1 = the first\), at 18000 s on the series' clock, is 1\.8e\+04")],
)  # fmt: skip
def test_points_outside_the_protocols_span_are_refused_before_any_run(unit, origin, first):
    """A wrong origin (5e4 s) or times 3600 x too long (hours read as seconds) left fewer than 3
    points inside the simulated span: refused by align after the start case had run; now before
    any run, from the protocol (-100..1e4 s around the end of its ramp), naming the first point
    outside."""
    good = measured(linear_model, n=20.0, k=1.0, sigma=2e-3)
    series = Series("hall.csv (B)", good.time_s * unit, good.field_T, "top", origin_s=origin)
    run = runner_of(linear_model)
    with pytest.raises(ValidationError, match=r"^hall\.csv \(B\): 0 of its 80 points lie "
                       r"inside the simulated time span -100\.\.1e\+04 s around the origin of "
                       r"'stand-in' \(the end of its last field change\); " + first):  # fmt: skip
        calibrate(Case.from_dict(case_dict()), series, "sc.n", scan=0, runner=run)
    assert run.batches == []


@pytest.mark.parametrize(
    "given",
    [("10", 20.0), (10.0,), (True, 5.0), (10.0, np.bool_(True)), 10.0, (10, 10**400),
     (1.0, 2.0, 3.0)],
)  # fmt: skip
def test_bounds_that_are_not_two_numbers_are_refused_naming_the_parameter(given):
    """("10", 20) was a raw TypeError, a one-element tuple a ValueError, a bool bound taken as 1:
    a ValidationError naming the parameter and what it expects, before any run; NaN says it
    needs finite numbers."""
    series = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    run = runner_of(linear_model)
    with pytest.raises(ValidationError, match=r"^bounds of sc\.jc_scale: expected \(low, high\), "
                       r"two numbers in SI units, got "):  # fmt: skip
        calibrate(Case.from_dict(case_dict()), series, "sc.jc_scale", bounds={"sc.jc_scale": given},
                  scan=0, runner=run)  # fmt: skip
    with pytest.raises(ValidationError, match=r"^bounds of sc\.n: need finite numbers, got nan"):
        calibrate(Case.from_dict(case_dict()), series, "sc.n", bounds={"sc.n": (math.nan, 20.0)},
                  scan=0, runner=run)  # fmt: skip
    assert run.batches == []


def test_an_applied_column_without_its_origin_is_refused_before_any_run():
    """A series of the hold alone (applied_T at 0 T throughout) or one that stops on the ramp
    (applied_T ending at 0.1 T, the protocol's at 0 T) was refused by align after the start
    case had run; the protocol's final field is known before: refused before any run."""
    t = np.linspace(150.0, 900.0, 30)
    hold = Series("hold", t, np.ones_like(t), "top", applied_T=np.zeros_like(t))
    ramp = np.linspace(10.0, 90.0, 30)
    stops = Series("stops", ramp, np.ones_like(ramp), "top", applied_T=1 - ramp / T_RAMP)
    for series, message in (
        (hold, r"^hold: its applied_T column stays at 0 T, so the ramp's end"),
        (stops, r"^stops: its applied field ends at 0\.1 T, the simulation's at 0 T"),
    ):
        run = runner_of(linear_model)
        with pytest.raises(AnalysisError, match=message):
            calibrate(Case.from_dict(case_dict()), series, "sc.n", scan=0, runner=run)
        assert run.batches == []


def test_a_series_magnetised_the_other_way_is_refused_before_any_run():
    """A series whose applied field ramps -1 T -> 0 (and traps the opposite field) against a
    case ramping 1 T -> 0: its 2 T rms misfit was fitted with the parameters driven to their
    bounds (a 2 mm ring: n 5 and Jc x0.2, 18 simulations) and the warnings pointed at the probe's
    height and offset. Refused before any run, naming the series, a point and the protocol's
    field there; the case given the series' sign takes it."""
    t = TIME[::2]
    applied = -np.clip(1 - t / T_RAMP, 0, 1)
    flipped = Series("minus.csv (B_T)", t, -linear_model(0.0, 0.0, 8.5e-3, t), "top",
                     applied_T=applied)  # fmt: skip
    run = runner_of(linear_model)
    with pytest.raises(
        AnalysisError,
        match=r"^minus.csv \(B_T\): its applied field runs opposite to the simulation's: -1 T "
        r"at t = 0 s on its clock, where the case's protocol has 1 T: magnetised the other way",
    ):
        calibrate(Case.from_dict(case_dict()), flipped, "sc.jc_scale", scan=0, runner=run)
    assert run.batches == []
    other_way = case_dict()
    other_way["protocol"][0]["field"] = "-1 T"
    assert check_request([Case.from_dict(other_way)], [flipped], "sc.jc_scale")
    # the part after an overshoot past 0 runs along its protocol: not refused
    overshoot = case_dict()
    overshoot["protocol"][1:2] = [{"step": "ramp_field", "to": "-0.5 T", "rate": "0.01 T/s"},
                                  {"step": "ramp_field", "to": "0 T", "rate": "0.01 T/s"}]  # fmt: skip
    late = np.linspace(160.0, 2000.0, 40)  # on the case's clock: -0.1 T at 160 s, 0 from 200 s
    tail = Series("tail.csv (B_T)", late, np.ones_like(late), "top",
                  applied_T=np.minimum(-0.5 + (late - 150) / 100, 0))  # fmt: skip
    assert check_request([Case.from_dict(overshoot)], [tail], "sc.jc_scale")


def test_a_series_of_the_other_sign_without_applied_field_is_named_in_its_misfit():
    """A Hall probe mounted upside down (no applied_T column to check before any run) drove a
    2 mm ring to n 5 and Jc x0.2, both bounds, its misfit naming the probe's height and offset
    only. The misfit now says the series lies nearer minus the model, with that rms (under the
    rms apart); the series of its own sign fits and says nothing of a sign."""
    truth = measured(linear_model, n=20.0, k=0.7, sigma=2e-3)
    flipped = Series("upside.csv (B_T)", truth.time_s, -truth.field_T, "top", origin_s=T_RAMP)
    cal = calibrate(Case.from_dict(case_dict()), flipped, "sc.jc_scale", scan=0, profile=False,
                    runner=runner_of(linear_model))  # fmt: skip
    said = [w for w in cal.warnings if "nearer minus the model" in w]
    assert len(said) == 1 and said[0].startswith("upside.csv (B_T): the model does not fit")
    apart = float(re.search(r"residual rms ([\d.e-]+) T", said[0]).group(1))
    flipped_rms = float(re.search(r"nearer minus the model \(([\d.e-]+) T rms", said[0]).group(1))
    assert flipped_rms < apart  # 1.34 T against 1.73 T: the model sits at its Jc bound
    same = Series("same.csv (B_T)", truth.time_s, truth.field_T, "top", origin_s=T_RAMP)
    cal = calibrate(Case.from_dict(case_dict()), same, "sc.jc_scale", scan=0, profile=False,
                    runner=runner_of(linear_model))  # fmt: skip
    assert not [w for w in cal.warnings if "nearer minus" in w]


def test_a_ramp_fast_then_slow_on_its_own_clock_is_not_taken_for_another_unit():
    """1 T -> 0.5 T at 0.05 T/s, then -> 0 at 1e-3 T/s, logged every 20 s along its protocol:
    the protocol's two steps (median 0.0255 T/s) against the log's mostly slow steps (1e-3 T/s)
    read as a clock 1/25 x the simulation's and the series was refused; the rates are now
    compared at the series' own times (ratio 1)."""
    case = case_dict()
    case["protocol"][1:2] = [{"step": "ramp_field", "to": "0.5 T", "rate": "0.05 T/s"},
                             {"step": "ramp_field", "to": "0 T", "rate": "1e-3 T/s"}]  # fmt: skip
    t = np.arange(0.0, 3000.0, 20.0)
    applied = np.interp(t, [0.0, 10.0, 510.0], [1.0, 0.5, 0.0])
    b = 0.5 - 0.01 * np.log1p(np.clip(t - 510.0, 0, None))
    series = Series("two rates", t, b, "top", applied_T=applied, sigma_T=np.full(t.size, 1e-3))
    assert check_request([Case.from_dict(case)], [series], "sc.jc_scale")
