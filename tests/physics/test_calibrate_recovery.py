"""Calibration against the FEM: known parameters recovered from traces of an independent model.

The "measured" traces come from a finer model than the one fitted: mesh 1.25 mm and time
tolerance 3e-4 against 2.5 mm and 1e-3 (a different mesh and time stepping; their probe values
differ by up to 7 mT during the field removal, the discretization error of the fitted model),
with seeded white noise of 3 mT. A disk (r 10 mm, 8 mm thick, Kim Jc) is field-cooled at 3 T,
the field removed at 18 T/h (600 s) and held 3000 s; probes 0.5 mm above and below it.
Truth n = 25, Jc scale 0.8; the fits start from the case's n = 35, scale 1.
Tolerances from the issue: n within 10 %, Jc scale within 3 %.
"""

from __future__ import annotations

import numpy as np
import pytest

from fluxtrap.probetable import relaxation_origin
from fluxtrap.simulate import Case, simulate
from fluxtrap.simulate.calibrate import PoolRunner, Series, apply, calibrate, parse_fit
from fluxtrap.simulate.calibrate.predict import predict

N_TRUE, K_TRUE, NOISE_T = 25.0, 0.8, 3e-3
FINE = {"mesh_size_m": 1.25e-3, "rtol": 3e-4}


def disk(radius: str = "10 mm", hold: str = "3000 s") -> Case:
    return Case.from_dict(
        {
            "title": "calibration test disk",
            "materials": {"sc": {"n": 35, "jc": {"kim": {"jc0": "5e4 A/cm^2", "b0": "1 T"}}}},
            "stack": [{"material": "sc", "radius": radius, "thickness": "8 mm"}],
            "probes": [
                {"name": "top", "r": "0 mm", "z": "8.5 mm"},
                {"name": "below", "r": "0 mm", "z": "-0.5 mm"},
                {"name": "top_high", "r": "0 mm", "z": "9 mm"},  # where a misplaced sensor sits
            ],
            "protocol": [
                {"step": "set", "field": "3 T", "temperature": "5 K"},
                {"step": "ramp_field", "to": "0 T", "rate": "18 T/h"},
                {"step": "hold", "duration": hold},
            ],
            "mesh": {"size": "2.5 mm"},
        }
    )


def truth(case: Case) -> Case:
    return apply(case, parse_fit("sc.n,sc.jc_scale", case), [N_TRUE, K_TRUE]).with_options(**FINE)


@pytest.fixture(scope="module")
def measured():
    """Noisy traces of the fine model: 30 points during the removal, 60 log-spaced in the hold."""
    df = simulate(truth(disk())).probes
    t = np.concatenate([np.arange(0.0, 600.0, 20.0), 600 + np.geomspace(1.0, 2999.0, 60)])
    rng = np.random.default_rng(21)

    def series(column: str, probe: str, extra=0.0) -> Series:
        b = np.interp(t, df.time_s, df[f"{column}_Bz_T"]) + extra + rng.normal(0, NOISE_T, t.size)
        return Series(column, t, b, probe, applied_T=np.interp(t, df.time_s, df.applied_T))

    return series


@pytest.fixture(scope="module")
def calibrated(measured):
    return calibrate(disk(), measured("top", "top"), "sc.n,sc.jc_scale", scan=0, profile=False)


def test_recovers_n_and_jc_scale_from_an_independent_model(calibrated):
    """n within 10 %, Jc scale within 3 %, the series fitted (reduced chi^2 <= 4)."""
    cal = calibrated
    n, sn = cal.value("sc.n")
    k, sk = cal.value("sc.jc_scale")
    assert n == pytest.approx(N_TRUE, rel=0.10)
    assert k == pytest.approx(K_TRUE, rel=0.03)
    assert cal.series[0].fits and cal.series[0].noise_source == "estimated"
    assert cal.series[0].noise_T == pytest.approx(NOISE_T, rel=0.3)
    assert 0 < sn < 0.1 * n and 0 < sk < 0.03 * k
    assert cal.correlation[0, 1] < -0.5  # a steeper n and a lower Jc trade off
    assert cal.simulations >= 3


def test_mismatched_probe_height_is_absorbed_by_the_nuisance_parameter(measured):
    """The top sensor sits 0.5 mm above where the case draws it. Without its height as a
    parameter the fit is reported as not fitting; with it, z comes out within 0.1 mm of 9 mm
    and n, Jc scale within the tolerances. (Two series: the probe below anchors Jc.)"""
    series = [measured("top_high", "top"), measured("below", "below")]
    with PoolRunner(2) as pool:
        plain = calibrate(disk(), series, "sc.n,sc.jc_scale", scan=0, profile=False, runner=pool)
        fitted = calibrate(disk(), series, "sc.n,sc.jc_scale,top.z", scan=0, profile=False,
                           runner=pool)  # fmt: skip
    assert not all(s.fits for s in plain.series)
    assert any("does not fit" in w for w in plain.warnings)
    z, sz = fitted.value("top.z")
    assert z == pytest.approx(9.0e-3, abs=1e-4) and sz < 1e-4
    assert fitted.value("sc.n")[0] == pytest.approx(N_TRUE, rel=0.10)
    assert fitted.value("sc.jc_scale")[0] == pytest.approx(K_TRUE, rel=0.03)
    assert all(s.fits for s in fitted.series)
    reported = fitted.to_dict()["parameters"]["top.z"]
    assert (reported["value"], reported["sigma"], reported["unit"]) == (z, sz, "m")
    assert reported["nuisance"] and reported["bounds"] == pytest.approx([8e-3, 9.5e-3])  # top face


def test_a_trace_the_model_cannot_fit_is_reported(measured):
    """A flux jump (the field drops 50 mT, 17 x the noise, 300 s into the hold and stays down)
    is no power-law relaxation: the fit is reported as not fitting, with structured residuals."""
    jump = measured("top", "top")
    b = jump.field_T - np.where(jump.time_s > 900.0, 0.05, 0.0)
    cal = calibrate(disk(), Series("flux jump", jump.time_s, b, "top", applied_T=jump.applied_T),
                    "sc.n,sc.jc_scale", scan=0, profile=False)  # fmt: skip
    assert not cal.series[0].fits and cal.series[0].structured
    assert not cal.to_dict()["misfit"]["fits"]
    assert any("flux jump: the model does not fit" in w for w in cal.warnings)


def test_prediction_for_a_larger_disk_and_a_longer_hold(calibrated):
    """Predicted top-probe field of a 15 mm disk after a 6000 s hold against the fine model at
    the true parameters: within 1 % (the field scales at most linearly with Jc, recovered here
    within 1 %; seen 0.24 %). The error bars carry the calibration's statistical uncertainty
    only (0.04-0.1 %): the fitted model's discretization bias, absorbed into its parameters
    during the fit, is larger and not in them (see ARCHITECTURE, Calibration)."""
    bigger = disk(radius="15 mm", hold="6000 s")
    at = [60.0, 6000.0]
    pred = predict(calibrated, bigger, probes=["top"], since_origin_s=at)
    fine = predict_at(truth(bigger), at)
    assert np.all(pred.table.sigma_T.to_numpy() > 0)
    assert pred.table.value_T.to_numpy() == pytest.approx(fine, rel=0.01)
    assert pred.simulations == 3


def predict_at(case: Case, since_origin_s: list[float]) -> np.ndarray:
    df = simulate(case).probes
    origin = relaxation_origin(df.time_s.to_numpy(), df.applied_T.to_numpy())
    after = df[df.time_s > origin]
    return np.interp(np.log(since_origin_s), np.log(after.time_s - origin), after.top_Bz_T)


@pytest.mark.parametrize("n, k, noise, seed", [(15.0, 1.2, 2e-3, 1), (50.0, 0.6, 5e-3, 2)])
def test_the_truth_lies_within_the_reported_sigmas(n, k, noise, seed):
    """Synthetic truths unlike the one above, traced on the fitted mesh itself (no model error:
    the sigmas are then the whole uncertainty), white noise, noise estimated, the profile on:
    n 15.02 +- 0.05, Jc x1.1997 +- 0.0009 (0.5 and 0.3 sigma off) and n 49.1 +- 1.4, Jc
    x0.6013 +- 0.0016 (0.6 and 0.8 sigma); a truth within 3 sigma, each sigma below 5 % of its
    value (measured 0.3-2.8 %)."""
    case = disk()
    df = simulate(apply(case, parse_fit("sc.n,sc.jc_scale", case), [n, k])).probes
    t = np.concatenate([np.arange(0.0, 600.0, 20.0), 600 + np.geomspace(1.0, 2999.0, 60)])
    b = np.interp(t, df.time_s, df.top_Bz_T) + np.random.default_rng(seed).normal(0, noise, t.size)
    series = Series("truth", t, b, "top", applied_T=np.interp(t, df.time_s, df.applied_T))
    cal = calibrate(case, series, "sc.n,sc.jc_scale", scan=0)
    for name, true in (("sc.n", n), ("sc.jc_scale", k)):
        value, sigma = cal.value(name)
        assert abs(value - true) < 3 * sigma < 0.15 * true, (name, value, sigma)
    assert cal.fits and cal.warnings == ()


def test_a_hall_probe_offset_is_named_unfitted_and_absorbed_fitted():
    """A 5 mT zero offset (1.7 x the 3 mT noise) on a truth traced on the fitted mesh (n 25, Jc
    x0.8): fitted without it, Jc comes out 5.9 sigma off at a reduced chi^2 of 1.1, and the
    warning names the offset (4-6 mT); with top.offset and top.drift the truth lies within 2 sigma
    (seen 0.3 / 0.7 sigma for n / Jc), the offset within 2 sigma of 5 mT (4.9 +- 1.3), Jc's sigma
    wider than without them, and no warning about an offset."""
    case = disk()
    df = simulate(apply(case, parse_fit("sc.n,sc.jc_scale", case), [N_TRUE, K_TRUE])).probes
    t = np.concatenate([np.arange(0.0, 600.0, 20.0), 600 + np.geomspace(1.0, 2999.0, 60)])
    noise = np.random.default_rng(0).normal(0, NOISE_T, t.size)
    b = np.interp(t, df.time_s, df.top_Bz_T) + 5e-3 + noise
    series = Series("offset", t, b, "top", applied_T=np.interp(t, df.time_s, df.applied_T),
                    sigma_T=np.full(t.size, NOISE_T))  # fmt: skip
    plain = calibrate(case, series, "sc.n,sc.jc_scale", scan=0, profile=False)
    k, sk = plain.value("sc.jc_scale")
    assert abs(k - K_TRUE) > 4 * sk and plain.series[0].fits  # the harm: a fit, far off
    said = [w for w in plain.warnings if "fit it as top.offset" in w]
    assert len(said) == 1 and 4e-3 < float(said[0].split("offset of ")[1].split()[0]) < 6e-3
    cal = calibrate(case, series, "sc.n,sc.jc_scale,top.offset,top.drift", scan=0, profile=False)
    for name, true in (("sc.n", N_TRUE), ("sc.jc_scale", K_TRUE), ("top.offset", 5e-3),
                       ("top.drift", 0.0)):  # fmt: skip
        value, sigma = cal.value(name)
        assert abs(value - true) < 2 * sigma, (name, value, sigma)
    assert cal.value("sc.jc_scale")[1] > 1.5 * sk
    assert not [w for w in cal.warnings if "fit it as" in w]


def test_a_ramp_alone_gives_an_honest_sigma():
    """The field removal alone (31 points over 600 s, no hold), traced on the fitted mesh (no
    model error), truth n 25, Jc x0.8, 3 mT noise: n and Jc are told apart only by the ramp's
    curvature (correlated -0.93 .. -1), and the misfit is rough at the finite-difference step
    (the adaptive time steps). This seed's profile rises by 0.53, 1.53 at -1, +1 sigma but 0.65,
    1.04 at -2, +2: n came out 27.2 +- 0.72 and Jc x0.7912 +- 0.0021, the truth 3.1 and 4.2
    sigma off with no flag (8 seeds: n 19.1 .. 27.7, scatter 2.8). The side flat at 2 sigma is
    now followed out, and its profile interval sets the sigmas: the truth within 2 sigma."""
    case = disk()
    df = simulate(apply(case, parse_fit("sc.n,sc.jc_scale", case), [N_TRUE, K_TRUE])).probes
    t = np.linspace(0.0, 600.0, 31)
    b = np.interp(t, df.time_s, df.top_Bz_T) + np.random.default_rng(7).normal(0, NOISE_T, t.size)
    cal = calibrate(case, Series("ramp", t, b, "top", origin_s=600.0), "sc.n,sc.jc_scale", scan=0)
    (n, k), (sn, sk) = cal.values, cal.sigmas
    assert cal.sigma_sources == ("profile", "profile of sc.n")
    assert abs(n - N_TRUE) < 2 * sn and abs(k - K_TRUE) < 2 * sk, (n, sn, k, sk)
    assert any("profile interval" in w for w in cal.warnings)
