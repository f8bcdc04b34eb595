"""Tc on a synthetic transition and on the real (non-superconducting) M(T) files; creep fits."""

import numpy as np
import pytest

from fluxtrap.errors import AnalysisError
from fluxtrap.magnetometry.creep import PPM_H, fit_creep, read_series
from fluxtrap.magnetometry.readers import read
from fluxtrap.magnetometry.table import MeasurementTable, TableMetadata
from fluxtrap.magnetometry.tc import find_tc, split_sweeps, tc_from_table


def synthetic_mt(tc_mid=38.0, width=0.5, noise=1e-8, seed=0):
    """ZFC-like M(T): shielding s(T) = 1 / (1 + exp((T - tc_mid) / width)) on a Curie-Weiss-free linear background."""
    t = np.linspace(5, 60, 221)
    s = 1 / (1 + np.exp((t - tc_mid) / width))
    m = -1e-5 * s + 2e-8 * t + 1e-7 + np.random.default_rng(seed).normal(0, noise, t.size)
    return MeasurementTable.from_arrays(
        np.full(t.size, 0.001), m, TableMetadata("sc.dat", "MPMS3", "VSM"), temperature_K=t
    )


@pytest.mark.parametrize("criterion", [0.9, 0.5, 0.1])
def test_tc_of_a_logistic_transition(criterion):
    """s(T) = 1 - criterion at T = mid + width * ln(criterion / (1 - criterion)), exactly."""
    (res,) = tc_from_table(synthetic_mt(), criterion=criterion)
    expected = 38.0 + 0.5 * np.log(criterion / (1 - criterion))
    assert res.tc_K == pytest.approx(expected, abs=0.05)  # grid 0.25 K, linear interpolation
    assert res.onset_K >= res.tc_K and res.onset_K < 38.0 + 0.5 * np.log(1 / 0.005)
    assert res.step_Am2 == pytest.approx(1e-5, rel=0.01)


def test_zfc_fc_file_splits_in_two(mpms_file):
    """README: ZFC sweep 5 -> 300 K then FC sweep 5 -> 300 K, 504 rows, no marker between them."""
    sweeps = split_sweeps(read(mpms_file("mpms3_dc_zfcfc_KMK232_100Oe.dat")))
    assert [s.label for s in sweeps] == ["ZFC", "FC"]
    assert [len(s) for s in sweeps] == [252, 252]
    for s in sweeps:
        assert s.warming and s.temperature_K[0] == pytest.approx(5, abs=0.1)
        assert s.temperature_K[-1] == pytest.approx(300, abs=0.5)


def test_comment_labels_the_sweep(mpms_file):
    (sweep,) = split_sweeps(read(mpms_file("mpms3_vsm_zfc_sample4_100Oe.dat")))
    assert sweep.label == "ZFC" and len(sweep) == 1893


@pytest.mark.parametrize(
    "name",
    [
        "mpms3_dc_zfcfc_KMK232_100Oe.dat",
        "mpms3_vsm_zfc_sample4_100Oe.dat",
        "mpms3_vsm_mt_film-A2481_100Oe_zfc-warming.dat",
        "mpmsxl_dc_mt_pb6051_1000Oe.dat",
    ],
)
def test_real_mt_files_have_no_transition(name, mpms_file):
    with pytest.raises(AnalysisError, match="no superconducting transition found"):
        tc_from_table(read(mpms_file(name)))


def test_noise_only_is_not_a_transition():
    t = np.linspace(5, 60, 100)
    sweep = split_sweeps(
        MeasurementTable.from_arrays(
            np.full(100, 0.01),
            np.random.default_rng(1).normal(0, 1e-9, 100) - 1e-7,
            TableMetadata("n.dat", "MPMS3"),
            temperature_K=t,
        )
    )[0]
    with pytest.raises(AnalysisError, match="no superconducting transition found"):
        find_tc(sweep)


# -- creep ---------------------------------------------------------------------------------
A_PUB, B_PUB = 1.046, 4.80e-3  # published form B_T(t) = 1.046 - 4.80e-3 ln t (normalised)


def test_creep_fit_recovers_published_coefficients():
    t = np.geomspace(10, 1e6, 300)
    fit = fit_creep(t, A_PUB - B_PUB * np.log(t))
    assert fit.a_T == pytest.approx(A_PUB, rel=1e-10) and fit.b_T == pytest.approx(B_PUB, rel=1e-9)
    for at in (3600.0, 3 * 86400.0, 3e7):
        analytic = B_PUB / ((A_PUB - B_PUB * np.log(at)) * at) * 3600 * 1e6
        assert fit.decay_ppm_per_h(at) == pytest.approx(analytic, rel=1e-9)
        assert fit.rate(at) == pytest.approx(B_PUB / (A_PUB - B_PUB * np.log(at)), rel=1e-9)
    # numerical derivative of the model agrees with the closed form
    at, h = 86400.0, 1.0
    dbdt = (fit.field(at + h) - fit.field(at - h)) / (2 * h)
    assert -dbdt / fit.field(at) * PPM_H == pytest.approx(fit.decay_ppm_per_h(at), rel=1e-6)


def test_creep_uncertainty_matches_scatter_of_repeats():
    """The covariance-propagated sigma of B(3 d) agrees with the scatter over 300 noisy repeats (within 15%)."""
    t = np.geomspace(10, 6000, 120)
    rng = np.random.default_rng(7)
    at = 3 * 86400.0
    fits = [
        fit_creep(t, A_PUB - B_PUB * np.log(t) + rng.normal(0, 2e-4, t.size)) for _ in range(300)
    ]
    scatter = np.std([f.field(at) for f in fits])
    predicted = np.median([f.field_sigma(at) for f in fits])
    assert predicted == pytest.approx(scatter, rel=0.15)
    rate_scatter = np.std([f.decay_ppm_per_h(at) for f in fits])
    assert np.median([f.decay_sigma_ppm_per_h(at) for f in fits]) == pytest.approx(
        rate_scatter, rel=0.15
    )


def test_creep_origin_from_applied_field():
    """A simulate-style series: ramp 1 T -> 0 over 100 s, then relaxation; t counts from the end of the ramp."""
    time = np.r_[np.linspace(0, 100, 11), 100 + np.geomspace(1, 1e5, 200)]
    applied = np.r_[np.linspace(1, 0, 11), np.zeros(200)]
    b = np.r_[np.linspace(0.2, 1.0, 11), A_PUB - B_PUB * np.log(time[11:] - 100)]
    csv = "time_s,applied_T,center_Bz_T,surface_Bz_T\n" + "\n".join(
        f"{x:.10g},{y:.10g},{z:.10g},{z / 2:.10g}" for x, y, z in zip(time, applied, b, strict=True)
    )
    ts, bs, ap, col = read_series(csv.encode(), column="center_Bz_T", filename="probes.csv")
    fit = fit_creep(ts, bs, applied_T=ap, column=col)
    assert fit.origin_s == pytest.approx(100.0) and fit.n_points == 200
    assert fit.b_T == pytest.approx(B_PUB, rel=1e-6)
    with pytest.raises(Exception, match="several field columns"):
        read_series(csv.encode(), filename="probes.csv")


def test_creep_too_few_points():
    with pytest.raises(AnalysisError, match="needs at least 3"):
        fit_creep(np.array([0.0, 1.0, 2.0]), np.array([1.0, 0.9, 0.8]))
