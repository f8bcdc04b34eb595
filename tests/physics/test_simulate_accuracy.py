"""The probe error estimate against converged references, on cases it was not tuned to.

Each run reports, per probe, ``final_error_T`` and ``max_error_T`` (first-order Richardson in
space and time from the coarse/fine pair, see ``simulation.probe_errors``). Here the true error
is the difference from a run on a mesh 2.5x finer with a 10-50x tighter time tolerance (its own
estimate is 0.2-0.5 of the tested run's error: converged in space and in time; the time error
at the default tolerance is up to 10x the space error on the thin disk's hold). Stated
tolerance: the estimate is within a factor 4 of the true error either way.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import fluxtrap.simulate.mesh
from fluxtrap.simulate import simulate
from fluxtrap.simulate.case import Case
from fluxtrap.simulate.mesh import AIR, build_mesh, refine

FACTOR = 4.0
STORED = Path(__file__).resolve().parents[1] / "data" / "simulated"  # converged references


def zfc_loop(size: str) -> dict:
    """ZFC triangle loop 0 -> 1 -> -1 -> 0 T at 0.2 T/s: a cylinder 10 mm across and 4 mm tall
    (2.5x as wide as tall), constant Jc, n = 20, partly penetrated; probe 0.5 mm above the top."""
    return {
        "title": "ZFC loop, partial penetration",
        "materials": {"sc": {"n": 20, "e0": "1e-4 V/m", "jc": {"constant": "3e4 A/cm^2"}}},
        "stack": [{"material": "sc", "radius": "5 mm", "thickness": "4 mm"}],
        "probes": [{"name": "above", "r": "0 mm", "z": "4.5 mm"}],
        "protocol": [
            {"step": "set", "field": "0 T", "temperature": "5 K"},
            {"step": "ramp_field", "to": "1 T", "rate": "0.2 T/s"},
            {"step": "ramp_field", "to": "-1 T", "rate": "0.2 T/s"},
            {"step": "ramp_field", "to": "0 T", "rate": "0.2 T/s"},
        ],
        "mesh": {"size": size},
    }


def thin_disk_fcm(size: str) -> dict:
    """FCM 2 T -> 0 at 0.05 T/s and a 100 s hold: a thin disk (20 mm across, 3 mm tall), Kim
    Jc(B), n = 10; probes 1 mm above the top face on the axis and near the rim."""
    return {
        "title": "thin disk FCM",
        "materials": {
            "sc": {"n": 10, "e0": "1e-4 V/m", "jc": {"kim": {"jc0": "2e4 A/cm^2", "b0": "0.3 T"}}}
        },
        "stack": [{"material": "sc", "radius": "10 mm", "thickness": "3 mm"}],
        "probes": [
            {"name": "centre", "r": "0 mm", "z": "4 mm"},
            {"name": "rim", "r": "8 mm", "z": "4 mm"},
        ],
        "protocol": [
            {"step": "set", "field": "2 T", "temperature": "5 K"},
            {"step": "ramp_field", "to": "0 T", "rate": "0.05 T/s"},
            {"step": "hold", "duration": "100 s"},
        ],
        "mesh": {"size": size},
    }


@cache
def reference(make, size: str, rtol: float):
    """The reference run of case ``make``, converged in space (``size``) and time (``rtol``);
    shared by the tests of a case."""
    return simulate(Case.from_dict(make(size)).with_options(rtol=rtol))


@cache
def extrapolated(make, size_mm: float, rtol: float):
    """The case converged in space and time, extrapolated to h = 0 at first order from uniform
    meshes of ``size_mm`` and twice that: 2 B(h) - B(2h) on the fine run's times (a uniform
    mesh alone is off by about as much as the graded runs it should judge)."""
    fine, coarse = (
        reference(make, f"{size_mm} mm", rtol),
        reference(make, f"{2 * size_mm} mm", rtol),
    )
    p = fine.probes.copy()
    for col in [c for c in p.columns if c.endswith("_Bz_T")]:
        p[col] = 2 * p[col] - np.interp(p.time_s, coarse.probes.time_s, coarse.probes[col])
    return SimpleNamespace(probes=p, probe=lambda name: p.set_index("time_s")[f"{name}_Bz_T"])


def reference_key(make, size_mm: float, rtol: float) -> str:
    """sha256 of the two cases and rtol ``extrapolated`` runs: a stored reference is of these."""
    cases = [make(f"{size_mm} mm"), make(f"{2 * size_mm} mm"), rtol]
    return hashlib.sha256(json.dumps(cases, sort_keys=True).encode()).hexdigest()


def stored(make, size_mm: float, rtol: float) -> SimpleNamespace:
    """``extrapolated(make, size_mm, rtol)`` as stored in tests/data/simulated/ (its probes at
    the fine run's times), written by ``python -m tests.physics.test_simulate_accuracy``; refused
    if the cases or rtol changed since. Rerun that too if the model changed on purpose."""
    path = STORED / f"{make.__name__}_{size_mm}mm_rtol{rtol:g}.csv.gz"
    with gzip.open(path, "rt") as f:
        key = f.readline().removeprefix("# case sha256 ").split()[0]
        p = pd.read_csv(f, comment="#")
    assert key == reference_key(make, size_mm, rtol), f"{path}: its case changed, rerun its writer"
    return SimpleNamespace(probes=p, probe=lambda name: p.set_index("time_s")[f"{name}_Bz_T"])


def write_stored(make, size_mm: float, rtol: float) -> Path:
    """Run and store the reference ``stored`` reads (minutes: 40 s CPU for the Kim pair)."""
    import subprocess

    STORED.mkdir(exist_ok=True)
    path = STORED / f"{make.__name__}_{size_mm}mm_rtol{rtol:g}.csv.gz"
    p = extrapolated(make, size_mm, rtol).probes
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    with gzip.open(path, "wt") as f:
        f.write(f"# case sha256 {reference_key(make, size_mm, rtol)}\n")
        f.write(
            f"# extrapolated({make.__name__}, {size_mm}, {rtol}) at fluxtrap {commit.strip()}\n"
        )
        p.to_csv(f, index=False, float_format="%.12g", lineterminator="\n")
    return path


def true_errors(run, ref, name: str) -> tuple[float, float]:
    """(final, largest over the trace) |B_run - B_ref| of probe ``name``, T."""
    col = f"{name}_Bz_T"
    d = np.abs(run.probes[col] - np.interp(run.probes.time_s, ref.probes.time_s, ref.probes[col]))
    return float(d.iloc[-1]), float(d.max())


ZFC_REFERENCE = (zfc_loop, "0.4 mm", 1e-4)


@pytest.mark.parametrize(
    "make, size, ref, probes",
    [
        (zfc_loop, "1 mm", ZFC_REFERENCE, ["above"]),
        (thin_disk_fcm, "1 mm", (thin_disk_fcm, "0.4 mm", 2e-5), ["centre", "rim"]),
    ],
    ids=["zfc-loop-n20", "thin-disk-fcm-n10-kim"],
)
def test_error_estimate_is_within_a_small_factor_of_the_true_error(make, size, ref, probes):
    run, ref = simulate(make(size)), reference(*ref)
    for name in probes:
        est = run.summary()["probes"][name]
        final, largest = true_errors(run, ref, name)
        assert 1 / FACTOR < est["max_error_T"] / largest < FACTOR, (name, est, largest)
        assert 1 / FACTOR < est["final_error_T"] / final < FACTOR, (name, est, final)


def test_accuracy_target_out_of_reach_says_so_and_what_it_reached():
    case = zfc_loop("1 mm")
    del case["mesh"]["size"]
    case["mesh"]["max_elements"] = 1000
    case["solver"] = {"accuracy": "0.01 %"}
    with pytest.warns(
        UserWarning,
        match=r"accuracy target 0\.01 % not reached: estimated [\d.e-]+ % .*max_elements = 1,000",
    ):
        res = simulate(case)
    acc = res.summary()["accuracy"]
    assert not acc["reached"] and acc["estimate"] > 1e-4 and len(acc["levels"]) >= 2


def test_accuracy_driven_mesh_meets_its_target_against_a_finer_reference():
    """Without [mesh] size the run refines until its estimate is within the target (2 % of the
    peak self-field here, to stay quick): a uniform first pair, then a graded one (smaller
    elements where the probe's change came from); the true error (against the converged
    reference) is within the target."""
    case = zfc_loop("1 mm")
    del case["mesh"]["size"]
    case["solver"] = {"accuracy": "2 %"}
    res, ref = simulate(case), reference(*ZFC_REFERENCE)
    acc = res.summary()["accuracy"]
    assert acc["reached"] and acc["estimate"] <= 0.02 and len(acc["levels"]) >= 4
    areas = res.mesh.area[res.conductor]
    assert areas.max() > 4 * areas.min()  # graded, not uniform
    scale = np.max(np.abs(ref.probes.above_Bz_T - ref.probes.applied_T))
    assert true_errors(res, ref, "above")[1] <= 0.02 * scale


def test_air_next_to_the_sample_is_meshed_like_the_sample():
    """The air elements touching a conductor are no larger than 1.5x the median conductor
    element (the old near-field box had 9x the area there)."""
    mesh = build_mesh(Case.from_dict(thin_disk_fcm("1 mm")))
    cond = mesh.region != AIR
    touching = np.zeros(len(mesh.points), bool)
    touching[mesh.triangles[cond].ravel()] = True
    air_next = ~cond & touching[mesh.triangles].any(axis=1)
    assert np.max(mesh.area[air_next]) < 1.5 * np.max(mesh.area[cond])
    assert np.median(mesh.area[air_next]) < 1.5 * np.median(mesh.area[cond])


def ring_fcm(size: str | None) -> dict:
    """FCM 1 T -> 0 at 0.1 T/s of a ring (bore 6 mm, 14 mm across, 3 mm tall; Kim Jc(B),
    n = 20), fully penetrated on the way down; probes at the bore centre (on the ring's cut)
    and 0.5 mm above the ring's top face."""
    return {
        "title": "ring FCM",
        "materials": {
            "sc": {"n": 20, "e0": "1e-4 V/m", "jc": {"kim": {"jc0": "3e4 A/cm^2", "b0": "0.5 T"}}}
        },
        "stack": [
            {"material": "sc", "radius": "7 mm", "inner_radius": "3 mm", "thickness": "3 mm"}
        ],
        "probes": [
            {"name": "bore", "r": "0 mm", "z": "1.5 mm"},
            {"name": "above", "r": "5 mm", "z": "3.5 mm"},
        ],
        "protocol": [
            {"step": "set", "field": "1 T", "temperature": "5 K"},
            {"step": "ramp_field", "to": "0 T", "rate": "0.1 T/s"},
        ],
        "mesh": {"size": size} if size else {},
    }


def test_a_ring_refines_by_its_estimate_and_the_estimate_holds(monkeypatch):
    """A ring at the default accuracy (1 %) takes the graded path (pairs after the first
    refined where the probes' change came from, the ring's cut kept and rebuilt on each mesh),
    meets the target against a reference converged in space and time (0.25 and 0.5 mm at
    rtol 5e-5 extrapolated to h = 0: the 0.25 mm run alone differs from the 0.5 mm one by more
    than the error it should judge), and its estimate of the largest error over the trace is
    within a factor 4 of the true one on both probes (measured 2.2 at the bore centre, 3.0
    above the ring). The final values are never underestimated by more than that (measured
    3.3 and 7.5x over: the fully penetrated end state leaves a true error of 1e-5 T)."""
    refined = []

    def spy(mesh, max_area, ring_cuts=()):
        refined.append(ring_cuts)
        return refine(mesh, max_area, ring_cuts)

    monkeypatch.setattr(fluxtrap.simulate.mesh, "refine", spy)
    res, ref = simulate(ring_fcm(None)), extrapolated(ring_fcm, 0.25, 5e-5)
    acc = res.summary()["accuracy"]
    assert acc["reached"] and refined and all(len(c) == 1 for c in refined)
    for name in ("bore", "above"):
        est = res.summary()["probes"][name]
        final, largest = true_errors(res, ref, name)
        scale = np.max(np.abs(ref.probe(name) - ref.probes.set_index("time_s").applied_T))
        assert largest <= 0.01 * scale
        assert 1 / FACTOR < est["max_error_T"] / largest < FACTOR, (name, est, largest)
        assert est["final_error_T"] / final > 1 / FACTOR, (name, est, final)


def test_the_scout_time_error_measures_the_time_error_of_its_steps():
    """``time_error`` (the coarse run stepping over every other time against the same mesh at
    every time) against the true time error of the run at every time: the same mesh at rtol
    1e-5 (converged in time), on the ZFC loop at 2 mm and 4x the default rtol; a factor 4."""
    from fluxtrap.simulate.simulation import Simulation, time_error

    case = Case.from_dict(zfc_loop("2 mm")).with_options(rtol=4e-3)
    mesh, h = build_mesh(case), case.mesh.size_m
    run = Simulation(case)
    steps, _ = run.run_on_mesh(mesh, h, False, None)
    times = steps.probes.time_s.to_numpy()
    coarse, _ = run.run_on_mesh(mesh, h, False, None, None, times[2::2])
    estimate, _, _ = time_error(run, mesh, h, coarse, times, times[:1])
    ref, _ = Simulation(case.with_options(rtol=1e-5)).run_on_mesh(mesh, h, False, None)
    col = ref.probes.above_Bz_T
    scale = np.max(np.abs(col - ref.probes.applied_T))
    at = np.isin(times, coarse.probes.time_s)
    true = np.abs(steps.probes.above_Bz_T[at] - np.interp(times[at], ref.probes.time_s, col))
    assert 1 / FACTOR < estimate / (true.max() / scale) < FACTOR, (estimate, true.max() / scale)


def test_newton_converges_a_thin_ring_at_high_n_however_long_its_steps():
    """A thin ring (20 x 1 mm, n = 100, Kim Jc) ramped 0 -> 3 -> 0 T at 1e-3 T/s and held:
    stepped at 4x the default rtol (steps up to 10 min) it must agree with the same 1 mm mesh
    stepped at rtol 1e-5 (2254 steps) within 0.5 % of its self-field over the trace. Newton
    ended at a J change of 1e-3 Jc was 3.5 % off (a thin disk 1.45 %), and the error did not
    fall with the step: the accuracy run tightened rtol 64x and stopped unmet at 2.6 %."""
    case = {
        "materials": {
            "sc": {"n": 100, "e0": "1e-4 V/m", "jc": {"kim": {"jc0": "5e4 A/cm^2", "b0": "0.5 T"}}}
        },
        "stack": [
            {"material": "sc", "radius": "20 mm", "inner_radius": "6.67 mm", "thickness": "1 mm"}
        ],
        "probes": [{"name": "top", "r": "0 mm", "z": "1.5 mm"}],
        "protocol": [
            {"step": "set", "field": "0 T", "temperature": "20 K"},
            {"step": "ramp_field", "to": "3 T", "rate": "1e-3 T/s"},
            {"step": "ramp_field", "to": "0 T", "rate": "1e-3 T/s"},
            {"step": "hold", "duration": "60 s"},
        ],
        "mesh": {"size": "1 mm"},
    }
    long = simulate({**case, "solver": {"rtol": 4e-3}}).probes
    ref = simulate({**case, "solver": {"rtol": 1e-5}}).probes
    scale = np.max(np.abs(ref.top_Bz_T - ref.applied_T))
    off = np.abs(long.top_Bz_T - np.interp(long.time_s, ref.time_s, ref.top_Bz_T))
    assert off.max() < 0.005 * scale, off.max() / scale


def test_a_scout_within_its_time_budget_is_a_pair_like_the_others_and_stays_honest():
    """The ring at a 2 % target: its scout's time error (0.4 % of the self-field) is within
    TIME_SHARE of the target, so the scout pair may end the run and the pairs after it step at
    its rtol; the estimate of the largest error over the trace stays within a factor 4 of the
    true one (reference as in the ring test) and the target is met."""
    from fluxtrap.simulate.simulation import SCOUT_RTOL, TIME_SHARE

    case = ring_fcm(None)
    case["solver"] = {"accuracy": "2 %"}
    res, ref = simulate(case), extrapolated(ring_fcm, 0.25, 5e-5)
    acc = res.summary()["accuracy"]
    assert acc["scout_time_error"] <= TIME_SHARE * 0.02
    assert {lev["rtol"] for lev in acc["levels"]} == {1e-3 * SCOUT_RTOL}
    for name in ("bore", "above"):
        est = res.summary()["probes"][name]
        _, largest = true_errors(res, ref, name)
        scale = np.max(np.abs(ref.probe(name) - ref.probes.set_index("time_s").applied_T))
        assert largest <= 0.02 * scale
        assert 1 / FACTOR < est["max_error_T"] / largest < FACTOR, (name, est, largest)


def kim_pair_fcm(size: str | None) -> dict:
    """FCM 2 T -> 0 at 0.02 T/s and 20 K, then a 600 s hold: two Kim disks (25 mm across, 5 mm
    tall, n = 30) with a 0.5 mm steel spacer; probes on the axis 0.2-3 mm above the top face,
    0.5 mm above it at half the radius and at the rim."""
    above = [("f02", 0, 0.2), ("f05", 0, 0.5), ("f1", 0, 1), ("f3", 0, 3)]
    above += [("half", 6.25, 0.5), ("rim", 12.5, 0.5)]
    return {
        "title": "two Kim disks with a steel spacer, FCM and creep",
        "materials": {
            "sc": {"n": 30, "e0": "1e-4 V/m", "jc": {"kim": {"jc0": "5e4 A/cm^2", "b0": "0.5 T"}}},
            "steel": {"resistivity": "7e-7 ohm*m"},
        },
        "stack": [
            {"material": "sc", "radius": "12.5 mm", "thickness": "5 mm"},
            {"material": "steel", "radius": "12.5 mm", "thickness": "0.5 mm"},
            {"material": "sc", "radius": "12.5 mm", "thickness": "5 mm"},
        ],
        "probes": [{"name": n, "r": f"{r} mm", "z": f"{10.5 + dz} mm"} for n, r, dz in above],
        "protocol": [
            {"step": "set", "field": "2 T", "temperature": "20 K"},
            {"step": "ramp_field", "to": "0 T", "rate": "0.02 T/s"},
            {"step": "hold", "duration": "600 s"},
        ],
        "mesh": {"size": size} if size else {},
    }


def test_the_final_value_after_a_creep_hold_is_not_underestimated():
    """At the end of a creep hold the pair's space and time parts have opposite signs (0.5 mm
    above the face: space -0.26 %, time +0.27 % of the self-field): their difference, the
    estimate before, was 0.01 % against a true error of 0.22 % (final est/true 0.04-0.79 on
    these probes). The estimate is now the larger part where they differ in sign: final
    est/true 0.9-1.6 at the default 1 % (the rim probe, which the reference does not resolve,
    0.7). The reference is converged in time too: at rtol 3e-5 its own time error at the end of
    the hold is 0.06 % of the self-field (0.35 / 0.7 mm at rtol 3e-6 extrapolated: 40-50 s CPU,
    so stored: ``stored``; the test took 46 s of a 2-core CI run, now the tested run alone).
    A [bore] sphere centred on the probe f05 gets the same final estimate (accuracy.bore's
    centre_error_T): it was the pair's bare difference, 1.0e-4 T where f05's is 2.8e-3 T."""
    case = {**kim_pair_fcm(None), "bore": {"dsv": "0.6 mm", "center_z": "11 mm"}}  # at f05
    res, ref = simulate(case), stored(kim_pair_fcm, 0.35, 3e-6)
    for name in ("f02", "f05", "f1", "f3", "half"):
        est = res.summary()["probes"][name]
        final, largest = true_errors(res, ref, name)
        assert 1 / FACTOR < est["final_error_T"] / final < FACTOR, (name, est, final)
        assert 1 / FACTOR < est["max_error_T"] / largest < FACTOR, (name, est, largest)
    centre = res.summary()["accuracy"]["bore"]["centre_error_T"]
    assert res.bore.centre_T == pytest.approx(res.probes["f05_Bz_T"].iloc[-1], rel=1e-12)
    assert centre == pytest.approx(res.errors["f05"]["final_error_T"], rel=1e-9)
    final, _ = true_errors(res, ref, "f05")
    assert 1 / FACTOR < centre / final < FACTOR, (centre, final)


def test_many_tight_steps_do_not_pile_up_newton_errors():
    """Newton's tolerance is never looser than the steps' rtol: at 1e-3 Jc per step its error
    piled up over thousands of steps. A Kim disk r 5 x 4 mm, n = 50, ZFC to 2 T and back at
    10 T/s, 1 mm at rtol 1.5e-5: the pair's 2 mm run stepped at the fine run's 6393 times gave
    0.1983 T where that mesh's own steps give 0.2068, so the final estimate read 0.0104 T (5 % of
    the self-field, 9x the true error). Reference: 0.5 mm and 1 mm at rtol 1.5e-5 extrapolated
    to h = 0, 0.20978 T (the 0.5 mm run's own estimate 0.00057 T); tolerance: the estimate
    within FACTOR of the true error, as above."""
    case = {
        "title": "Kim disk, n 50, fast ZFC loop",
        "materials": {
            "sc": {"n": 50, "e0": "1e-4 V/m", "jc": {"kim": {"jc0": "3e4 A/cm^2", "b0": "0.1 T"}}}
        },
        "stack": [{"material": "sc", "radius": "5 mm", "thickness": "4 mm"}],
        "probes": [{"name": "above", "r": "0 mm", "z": "4.5 mm"}],
        "protocol": [
            {"step": "set", "field": "0 T", "temperature": "20 K"},
            {"step": "ramp_field", "to": "2 T", "rate": "10 T/s"},
            {"step": "ramp_field", "to": "0 T", "rate": "10 T/s"},
        ],
        "mesh": {"size": "1 mm"},
        "solver": {"rtol": 1.5e-5},
    }
    with pytest.warns(UserWarning):  # the fixed 1 mm does not meet 1 % over the whole trace
        res = simulate(case)
    true = abs(res.probes["above_Bz_T"].iloc[-1] - 0.20978)
    estimate = res.errors["above"]["final_error_T"]
    assert 1 / FACTOR <= estimate / true <= FACTOR, (estimate, true)


def copper_spacer_fcm() -> dict:
    """FCM 1 T -> 0 at 0.1 T/s: two Kim disks (12 mm across, 2 mm tall, n = 30) with a 10 mm
    copper spacer between them; probes in the spacer's middle and 0.5 mm above the top."""
    sc = {"n": 30, "e0": "1e-4 V/m", "jc": {"kim": {"jc0": "5e4 A/cm^2", "b0": "0.5 T"}}}
    return {
        "materials": {"sc": sc, "cu": {"resistivity": "2e-10 ohm*m"}},
        "stack": [
            {"material": m, "radius": "6 mm", "thickness": f"{t} mm"}
            for m, t in (("sc", 2), ("cu", 10), ("sc", 2))
        ],
        "probes": [
            {"name": "mid", "r": "0 mm", "z": "7 mm"},
            {"name": "top", "r": "0 mm", "z": "14.5 mm"},
        ],
        "protocol": [
            {"step": "set", "field": "1 T", "temperature": "5 K"},
            {"step": "ramp_field", "to": "0 T", "rate": "0.1 T/s"},
        ],
    }


def test_a_scout_ending_the_run_measures_its_time_error_at_half_its_steps():
    """The copper spacer's scout pair (rtol 4e-3) meets 1 % and ends the run. Its last fine step
    (2.3 s) is longer than the copper's transient: one step of 1 / 2 / 3.5 s there is 0.26 /
    0.41 / 0.45 mT off at the mid probe, so doubling the steps (``time_error``) saw 0.007 mT of
    the 0.39 mT time error of the fine run at the end (the same mesh at rtol 3e-6), and the
    final estimate was 0.077 mT (0.2x). Halving them (``half_steps``) measures 0.27 mT: final
    estimate 0.35 mT. Tolerance 0.5-3x that time error; the true error (0.25 mm at rtol 3e-6:
    0.44 mT) is larger than it by its space part. A [bore] sphere centred on the top probe gets
    the same final estimate (accuracy.bore's centre_error_T): its time part did not take the
    halved steps, 1.41 mT where the probe's is 1.67 mT."""
    from fluxtrap.simulate.adapt import sample_times
    from fluxtrap.simulate.simulation import Simulation

    case = Case.from_dict({**copper_spacer_fcm(), "bore": {"dsv": "0.6 mm", "center_z": "14.5 mm"}})
    res = Simulation(case).run(progress=False)
    assert len(res.accuracy["levels"]) == 2 and res.accuracy["reached"]  # the scout ended it
    h = res.accuracy["mesh_size_m"]
    tight = Simulation(case.with_options(rtol=3e-6))
    ref, _ = tight.run_on_mesh(res.mesh, h, False, None, sample_times(case))
    true = abs(res.probes.mid_Bz_T.iloc[-1] - ref.probes.mid_Bz_T.iloc[-1])
    assert 0.5 < res.errors["mid"]["final_error_T"] / true < 3, (res.errors["mid"], true)
    centre = res.accuracy["bore"]["centre_error_T"]
    assert res.bore.centre_T == pytest.approx(res.probes.top_Bz_T.iloc[-1], rel=1e-9)
    assert centre == pytest.approx(res.errors["top"]["final_error_T"], rel=1e-6), centre


def heated_pulse(peak_T: float, hold_s: float) -> dict:
    """A disk r 6 x 4 mm (Jc(B) table, n 25, Tc 35 K, C 2000 J/(m^3 K), k 2 W/(m K)) cooled
    through its bottom (h 500 W/(m^2 K)) by a cold head (0.05 J/K, the standard curve), ZFC at
    5 K, one pulse of ``peak_T`` (10 ms up, 40 ms down), then ``hold_s``; probe 0.5 mm above."""
    sc = {
        "n": 25, "heat_capacity": "2000 J/(m^3*K)", "thermal_conductivity": "2 W/(m*K)",
        "jc": {"tc": "35 K", "tables": [{"temperature": "5 K", "field": [0, 1, 3],
               "field_unit": "T", "jc": [3e4, 1.5e4, 8e3], "jc_unit": "A/cm^2"}]},
    }  # fmt: skip
    head = {
        "heat_capacity": "0.05 J/K",
        "cooling_power": {"base_temperature": "3 K", "rated_power": "50 mW",
                          "rated_temperature": "4.2 K", "max_power": "0.3 W"},
    }  # fmt: skip
    cooled = [{"surface": "bottom", "heat_transfer_coefficient": "500 W/(m^2*K)"}]
    return {
        "materials": {"sc": sc},
        "stack": [{"material": "sc", "radius": "6 mm", "thickness": "4 mm"}],
        "probes": [{"name": "top", "r": "0 mm", "z": "4.5 mm"}],
        "protocol": [
            {"step": "set", "field": "0 T", "temperature": "5 K"},
            {"step": "pulse", "peak": f"{peak_T} T", "rise": "10 ms", "decay": "40 ms"},
            {"step": "hold", "duration": f"{hold_s} s"},
        ],
        "thermal": {"model": "conduction", "cooling": cooled, "cold_head": head},
    }


def test_a_heated_pulses_pair_measures_its_time_part_at_half_its_steps():
    """Under a heat model the steps of a pulse are held by the heat's rise limit, and doubling
    them (the pair's coarse run) errs in another sign than the steps themselves: 1 T pulse,
    1 mm fixed pair, the fine run's final value 1.23 mT off the same mesh at rtol / 64 (its
    time error alone) and the final estimate 0.29 mT (0.24x). Every pair of a heat run now also
    takes its time part from the steps halved (``half_steps``): 1.28 mT (1.04x). At 0.5 mm,
    against 0.25 / 0.5 mm at rtol 6.25e-5 extrapolated, final est/true 0.78 -> 1.13 (1 T) and
    1.67 -> 1.69 (1.5 T). Tolerance: 0.8-4x the time error alone. The reference, the same mesh
    at rtol / 64 (its own time error about 1/64 of the run's), took 12 of the test's 16 s CPU
    (18 s of a 2-core CI run): its final value is stored, HEATED_PULSE_TIGHT, for the case and
    mesh hashed beside it (refused if either changed: rerun ``heated_pulse_tight``)."""
    from fluxtrap.simulate.simulation import Simulation

    spec = {**heated_pulse(1.0, 0.5), "mesh": {"size": "1 mm"}}
    case = Case.from_dict(spec)
    with pytest.warns(UserWarning):  # 1 mm does not meet 1 %
        res = Simulation(case).run(progress=False)
    key, final_T = HEATED_PULSE_TIGHT
    assert case_and_mesh_key(spec, res.mesh) == key, "case or mesh changed: heated_pulse_tight()"
    true = abs(res.probes.top_Bz_T.iloc[-1] - final_T)
    assert 0.8 < res.errors["top"]["final_error_T"] / true < FACTOR, (res.errors["top"], true)


# (case_and_mesh_key, final top_Bz_T) of heated_pulse_tight() at 4bf371f1; 5155 steps, 12 s CPU
HEATED_PULSE_TIGHT = (
    "73db4bb93040cbf8a7b3cc1fe8ab1859c12286291ab6dfd0523d25a072e0231a",
    0.06092506391759393,
)


def case_and_mesh_key(spec: dict, mesh) -> str:
    """sha256 of a case's dict and of a mesh (points to 1e-12 m, triangles)."""
    h = hashlib.sha256(json.dumps(spec, sort_keys=True).encode())
    h.update(np.round(mesh.points, 12).tobytes() + np.ascontiguousarray(mesh.triangles).tobytes())
    return h.hexdigest()


def heated_pulse_tight() -> tuple[str, float]:
    """The reference HEATED_PULSE_TIGHT holds: the 1 T pulse on its 1 mm mesh at rtol / 64."""
    from fluxtrap.simulate.simulation import Simulation

    spec = {**heated_pulse(1.0, 0.5), "mesh": {"size": "1 mm"}}
    case = Case.from_dict(spec)
    mesh = build_mesh(case, 1e-3)
    tight = Simulation(case.with_options(rtol=case.solver.rtol / 64))
    ref, _ = tight.run_on_mesh(mesh, 1e-3, False, None)
    return case_and_mesh_key(spec, mesh), float(ref.probes.top_Bz_T.iloc[-1])


def test_a_pairs_coarse_run_through_a_heated_pulse_steps_over_every_other_fine_time():
    """A pulse heats a conduction-cooled disk on a cold head to near Tc; the fine run's steps
    are held by the heat's rise limit (at most 0.5 K or 5 % per step). The pair's coarse run
    steps over every other of its times (``probe_errors``: first order, doubled steps double the
    time error); the rise limit had cut its doubled steps back to about the fine run's, so the
    pair did not see the time error of those steps (1 / 2 mm: 368 coarse steps, 93 rejected, for
    279 scheduled). A scheduled step may rise 2.5x what the fine run's may. At 1.5 T the disk
    came within 0.1 K of Tc and, on an AMD EPYC, past it (35.52 K at 1.2 ms: a quench the model
    stops at); 1.4 T peaks at 34.98 K there (1.3 T: 34.97 K, coarse 275 steps for 250)."""
    from fluxtrap.simulate.simulation import Simulation

    case = Case.from_dict(heated_pulse(1.4, 0.5))
    sim = Simulation(case)
    fine, _ = sim.run_on_mesh(build_mesh(case, 1e-3), 1e-3, False, None)
    assert fine.solver["rejected_steps"] > 10 and fine.heat.max_T_K.max() > 30  # rise-limited
    schedule = fine.probes.time_s.to_numpy()[2::2]
    coarse, _ = sim.run_on_mesh(build_mesh(case, 2e-3), 2e-3, False, None, None, schedule)
    # before: 368 steps, 93 rejected, for 279 scheduled; now 299 and 3 (the protocol's cuts
    # between scheduled times, a few steps past even twice the rise)
    assert coarse.solver["rejected_steps"] <= 10
    assert coarse.solver["time_steps"] <= 1.1 * len(schedule)


if __name__ == "__main__":
    print(write_stored(kim_pair_fcm, 0.35, 3e-6))
