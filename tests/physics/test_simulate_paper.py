"""The published K-Ba122 bulk pair (examples/paper_bulk_pair.toml): convergence and the numbers.

Published (shared/reference/published-work.txt): simulated peak trapped field 3.17 T "at the
center of Bulk1", measured 2.83 T at the centre probe (the spacer) after FCM 7 T -> 0 at
4.8 T/h, 5 K. The example's Jc(B) tables are representative of the two bulks, not the measured
curves: the text publishes Jc(0 T) of Bulk2 (1.2e5 A/cm^2) and the crossing near 0.5 T, nothing
at the 2-4 T inside the magnet. A critical-state field scales with Jc, so any comparison of
absolute fields here carries the error of the tables, which nobody can state; the comparisons
below are like for like and their bands are wide on purpose. The solver's own accuracy is
checked elsewhere (tests/physics/test_simulate_limits.py, test_simulate_long_cylinder.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fluxtrap.magnetometry.creep import fit_creep
from fluxtrap.simulate import Case, simulate
from fluxtrap.simulate.probes import probe_matrix

CASE = Path(__file__).parents[2] / "examples" / "paper_bulk_pair.toml"
T_RAMP_END = 5250.0


@pytest.fixture(scope="module")
def case() -> Case:
    return Case.load(CASE).with_options(mesh_size_m=2e-3)


@pytest.fixture(scope="module")
def base(case):
    return simulate(case)


def probe_values(result) -> dict[str, float]:
    df = result.probes
    at_end_of_ramp = df[df.time_s == T_RAMP_END].iloc[0]
    last = df.iloc[-1]
    return {
        f"{p}@{w}": row[f"{p}_Bz_T"]
        for p in ("center", "surface")
        for w, row in (("5250s", at_end_of_ramp), ("11250s", last))
    }


def axis_peak(result, time_s: float) -> tuple[float, float]:
    """(max Bz in T, its z in m) on the axis through the stack at ``time_s``, by Biot-Savart."""
    z = np.linspace(0.0, 13.2e-3, 133)
    snap = result.snapshot(time_s)
    tri = result.mesh.triangles[result.conductor]
    bz = probe_matrix(result.mesh.points, tri, np.column_stack([0 * z, z])) @ snap.J_A_m2
    return float(bz.max() + snap.applied_T), float(z[bz.argmax()])


def test_paper_case_peak_against_the_published_peak(base):
    """Peak against peak: the highest field on the axis at the end of the ramp lies in Bulk1
    (z 7.2..13.2 mm), as published, and its value is within 20% of the published simulated
    3.17 T. It reads 3.62 T (+14%) at 2 mm and 1 mm; the band is the tables' (module docstring),
    so this test catches a factor or a lost term, not a 10% change. The spacer probe reads less
    than the peak and the top surface less than the spacer."""
    peak, z_peak = axis_peak(base, T_RAMP_END)
    assert 7.2e-3 < z_peak < 13.2e-3
    assert peak == pytest.approx(3.17, rel=0.20)
    v = probe_values(base)
    assert v["surface@5250s"] < v["center@5250s"] < peak
    assert 0.85 * v["center@5250s"] < v["center@11250s"] < v["center@5250s"]


@pytest.mark.parametrize("change", ["mesh/2", "rtol/2", "outer x2"])
def test_paper_case_converged(case, base, change):
    """Halving the mesh size or the time-error tolerance changes every probe value by < 1%;
    doubling the outer boundary distance by < 0.5%. (Air has no resistivity to vary: H-phi.)"""
    other = {
        "mesh/2": case.with_options(mesh_size_m=1e-3),
        "rtol/2": case.with_options(rtol=case.solver.rtol / 2),
        "outer x2": case.with_options(outer_m=2 * 10 * 15e-3),
    }[change]
    tol = 0.005 if change == "outer x2" else 0.01
    a, b = probe_values(base), probe_values(simulate(other))
    for key in a:
        assert b[key] == pytest.approx(a[key], rel=tol), key


def test_zfc_loop_is_symmetric_and_its_remanence_is_the_fcm_state(base):
    """ZFC loop 0 -> 7 -> -7 -> 7 T (examples/paper_zfc_loop.toml): the model is odd in B, so the
    loop's tips are opposite (within 1%); a swing of 7 T is more than twice the full-penetration
    field, so the remanent centre field on the descending branch equals the FCM trapped field
    (Bean: both are the fully reversed critical state; within 2%)."""
    loop = simulate(CASE.parent / "paper_zfc_loop.toml")
    df = loop.probes
    t1, t2, t3 = (k * 7 / (4.8 / 3600) for k in (1, 3, 5))
    tip_down = df[np.isclose(df.time_s, t2, rtol=1e-9)].center_Bz_T.iloc[0]
    tip_up = df.center_Bz_T.iloc[-1]
    assert df.time_s.iloc[-1] == pytest.approx(t3)
    assert tip_down == pytest.approx(-tip_up, rel=0.01)
    descending = df[(df.time_s > t1) & (df.time_s < t2)]
    remanent = np.interp(0.0, descending.applied_T[::-1], descending.center_Bz_T[::-1])
    fcm = probe_values(base)["center@5250s"]
    assert remanent == pytest.approx(fcm, rel=0.02)


def test_cooling_after_fcm_at_10K_stops_the_creep(base):
    """examples/paper_fcm_10K_cooled.toml: FCM at 10 K, cooled to 5 K, held 6000 s. Its one
    unpublished number, Jc(5 K)/Jc(10 K) = 1.94, was chosen so the centre field is the published
    2.069 T, so the centre value is not tested here. Not fitted, and tested: the surface/centre
    ratio against the published 1.510/2.069 = 0.730 (within 10%: the shape of the representative
    Jc(B) tables sets it; +7.5% at 2 mm, +7.7% at 1 mm), and a decay below a tenth of the
    0.1 ppm/h MRI limit at both probes (0.0023 ppm/h at the surface on this 2 mm mesh; fit
    B = a - b ln t from 1000 s after the field reached zero, i.e. after the cooling), where FCM
    directly at 5 K still decays > 1000 ppm/h."""
    cooled = simulate(
        Case.load(CASE.parent / "paper_fcm_10K_cooled.toml").with_options(mesh_size_m=2e-3)
    )
    df, df5 = cooled.probes, base.probes
    ratio = df.surface_Bz_T.iloc[-1] / df.center_Bz_T.iloc[-1]
    assert ratio == pytest.approx(1.510 / 2.069, rel=0.10)
    for probe in ("center", "surface"):
        col = f"{probe}_Bz_T"
        fit = fit_creep(df.time_s, df[col], applied_T=df.applied_T, start_s=1000.0)
        direct = fit_creep(df5.time_s, df5[col], applied_T=df5.applied_T, start_s=1000.0)
        assert fit.decay_ppm_per_h(fit.t_end_s) < 0.01, probe  # README: below 0.01 ppm/h
        assert direct.decay_ppm_per_h(direct.t_end_s) > 1000, probe
