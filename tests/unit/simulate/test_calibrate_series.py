"""Fit parameters written into cases; measured series: noise estimate and alignment."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from fluxtrap.errors import AnalysisError, InputFileError, ValidationError
from fluxtrap.magnetometry.creep import read_series
from fluxtrap.probetable import MissingSamplesWarning
from fluxtrap.simulate import Case, CurveJc
from fluxtrap.simulate.calibrate import Series, apply, estimate_noise, parse_bounds, parse_fit
from fluxtrap.simulate.calibrate.series import align, simulated_at


def two_bulks() -> Case:
    return Case.from_dict(
        {
            "materials": {
                "a": {
                    "n": 30,
                    "jc": {
                        "table": {
                            "field": [0, 1],
                            "field_unit": "T",
                            "jc": [2e4, 1e4],
                            "jc_unit": "A/cm^2",
                        }
                    },
                },
                "b": {
                    "n": 40,
                    "e0": "2e-4 V/m",
                    "jc": {"kim": {"jc0": "3e4 A/cm^2", "b0": "0.5 T"}},
                },
                "cu": {"resistivity": "2e-10 ohm*m"},
            },  # fmt: skip
            "stack": [
                {"material": "a", "radius": "10 mm", "thickness": "5 mm"},
                {"material": "cu", "radius": "10 mm", "thickness": "1 mm"},
                {"material": "b", "radius": "10 mm", "thickness": "5 mm"},
            ],
            "probes": [{"name": "gap", "r": "0 mm", "z": "5.5 mm"}],
            "protocol": [{"step": "set", "field": "1 T", "temperature": "5 K"}],
        }
    )


def test_apply_writes_each_parameter_where_it_belongs():
    case = two_bulks()
    params = parse_fit("a.jc_scale,b.jc_scale,b.n,b.e0,gap.z", case)
    out = apply(case, params, [0.5, 2.0, 25.0, 1e-5, 5.8e-3])
    a, b = out.material("a"), out.material("b")
    assert a.jc.at(np.array([0.0, 1.0])) == pytest.approx([1e8, 5e7])  # table halved, A/m^2
    assert b.jc.jc0_A_m2 == pytest.approx(6e8) and b.jc.b0_T == 0.5
    assert (a.n, b.n, b.e0_V_m) == (30, 25.0, 1e-5)
    assert out.probes[0].z_m == 5.8e-3
    assert case.material("b").n == 40  # the base case is untouched


def test_star_applies_to_every_superconductor_and_curves_scale_too():
    class Curve:
        def at(self, b):
            return 1e9 / (1 + np.abs(b))

    case = two_bulks()
    out = apply(case, parse_fit("*.n,*.jc_scale", case), [50.0, 3.0])
    assert out.material("a").n == out.material("b").n == 50.0
    assert out.material("a").jc.at(0.0) == pytest.approx(6e8)
    curve = CurveJc(Curve(), name="measured")
    from fluxtrap.simulate.calibrate.parameters import scaled_jc

    scaled = scaled_jc(curve, 0.25)
    assert scaled.at(np.array([1.0])) == pytest.approx([1.25e8])
    assert scaled.name != curve.name  # distinct identity: two scales never share a cache key


def test_parse_fit_defaults_bounds_and_errors():
    case = two_bulks()
    n, k, z = parse_fit(["b.n", "a.jc_scale", "gap.z"], case, {"b.n": (10.0, 100.0)})
    assert (n.start, n.bounds, n.is_log) == (40.0, (10.0, 100.0), True)
    assert (k.start, k.bounds) == (1.0, (0.2, 5.0))
    assert z.nuisance and not z.is_log  # drawn 5.5 mm, +-1 mm stopped at a's and b's faces
    assert z.bounds == pytest.approx((5e-3, 6e-3)) and z.walls == (
        "the top face of the superconductor 'a' (z 5 mm at r = 0 mm)",
        "the bottom face of the superconductor 'b' (z 6 mm at r = 0 mm)",
    )
    assert n.from_u(n.to_u(37.0)) == pytest.approx(37.0)
    with pytest.raises(ValidationError, match=r"cu\.n: not a parameter.*a\.n"):
        parse_fit("cu.n", case)
    with pytest.raises(ValidationError, match="named twice"):
        parse_fit("a.n,a.n", case)
    with pytest.raises(ValidationError, match=r"^bounds of b\.n: need low < high, got 30\.\.30 \(to "
                       r"hold b\.n at 30, leave it out of --fit and give that value in the case\)$"):  # fmt: skip
        parse_fit("b.n", case, {"b.n": (30.0, 30.0)})  # equal: was "need low < high" alone
    with pytest.raises(ValidationError, match="n must stay in"):
        parse_fit("a.n", case, {"a.n": (1.0, 50.0)})
    with pytest.raises(ValidationError, match=r"E0 must stay in \[1e-12, 1\] V/m, got 1e-08\.\.10"):
        parse_fit("a.e0", case, {"a.e0": (1e-8, 10.0)})  # the fit would step past the case check
    with pytest.raises(
        ValidationError, match=r"not a fitted parameter \(did you mean a\.n\?\); fitted: a\.n$"
    ):
        parse_fit("a.n", case, {"b.n": (5.0, 50.0)})
    # millimetres read as metres: a probe 8 m off an 11 mm high case was simulated without a word
    with pytest.raises(ValidationError, match=r"^bounds of gap\.z: 8\.\.9 m reach 8\.99 m from its "
                       r"drawn height 0\.0055 m, more than 10 x the stack's size"):  # fmt: skip
        parse_fit("gap.z", case, {"gap.z": (8.0, 9.0)})
    assert parse_fit("gap.z", case, {"gap.z": (5.2e-3, 6e-3)})[0].bounds == (5.2e-3, 6e-3)
    # a misspelt bound named only itself: now the fitted ones, the near one first
    with pytest.raises(ValidationError, match=r"^bounds for a\.N: not a fitted parameter \(did "
                       r"you mean a\.n\?\); fitted: a\.n, a\.jc_scale$"):  # fmt: skip
        parse_fit("a.n,a.jc_scale", case, {"a.N": (5.0, 50.0)})
    assert parse_bounds(["a.n=10:200", "gap.z = 5e-3:6e-3"]) == {
        "a.n": (10.0, 200.0),
        "gap.z": (5e-3, 6e-3),
    }
    with pytest.raises(ValidationError, match="NAME=LOW:HIGH"):
        parse_bounds(["a.n=10"])


def test_a_probe_height_stays_outside_the_superconductors():
    """The default +-1 mm of a probe drawn 0.5 mm above an 8 mm disk reached 0.5 mm into it (a
    fit could end there, only warned); now it stops at the disk's top face, which its walls name.
    Bounds given that reach into a superconductor are refused, naming it and the room there is;
    a probe between two touching superconductors has none."""
    case = Case.from_dict(disk_case())
    (z,) = parse_fit("top.z", case)
    assert z.bounds == pytest.approx((8e-3, 9.5e-3))
    assert z.walls == ("the top face of the superconductor 'sc' (z 8 mm at r = 0 mm)", "")
    assert parse_fit("top.z", case, {"top.z": (8.2e-3, 9e-3)})[0].walls == ("", "")
    with pytest.raises(ValidationError, match=(
        r"^bounds of top\.z: 0\.0075\.\.0\.0095 m reach into the superconductor 'sc' \(z 0\.\.8 mm "
        r"at the probe's r = 0 mm\), where no Hall sensor sits; its height must stay above 8 mm, e\.g\. "
        r"--bounds top\.z=0\.008:0\.0095$"
    )):  # fmt: skip
        parse_fit("top.z", case, {"top.z": (7.5e-3, 9.5e-3)})
    beside = disk_case(r="12 mm")  # beside the disk, not above it: nothing to reach into
    assert parse_fit("top.z", Case.from_dict(beside))[0].bounds == pytest.approx((7.5e-3, 9.5e-3))
    touching = disk_case(z="8 mm")
    touching["stack"].append({"material": "sc", "radius": "10 mm", "thickness": "2 mm"})
    with pytest.raises(ValidationError, match=r"top\.z: probe 'top' at z = 8 mm sits where the "
                       r"superconductors 'sc' and 'sc' meet, with no room between them"):  # fmt: skip
        parse_fit("top.z", Case.from_dict(touching))


def disk_case(r: str = "0 mm", z: str = "8.5 mm") -> dict:
    """An 8 mm disk of radius 10 mm and a probe at (``r``, ``z``)."""
    return {
        "materials": {"sc": {"n": 30, "jc": {"constant": "2e4 A/cm^2"}}},
        "stack": [{"material": "sc", "radius": "10 mm", "thickness": "8 mm"}],
        "probes": [{"name": "top", "r": r, "z": z}],
        "protocol": [{"step": "set", "field": "1 T", "temperature": "5 K"}],
    }


@pytest.mark.parametrize("sigma", [1e-4, 3e-3])
def test_noise_estimate_of_a_smooth_trace(sigma):
    """White noise on a creep curve sampled 2000 times: the second-difference estimate is within
    10% of the true sigma (its own scatter is ~3% at this size)."""
    rng = np.random.default_rng(7)
    t = np.geomspace(1, 1e4, 2000)
    b = 2.8 - 0.013 * np.log(t) + rng.normal(0, sigma, t.size)
    assert estimate_noise(b) == pytest.approx(sigma, rel=0.1)
    assert estimate_noise(2.8 - 0.013 * np.log(t)) == pytest.approx(2.8e-6, rel=0.01)  # floor


def probes_table(origin: float = 100.0) -> pd.DataFrame:
    t = np.concatenate([np.linspace(0, origin, 11), origin + np.geomspace(1, 1000, 30)])
    return pd.DataFrame({"time_s": t, "applied_T": np.clip(1 - t / origin, 0, 1),
                         "temperature_K": 5.0, "gap_Bz_T": 1.0 - 0.01 * np.log1p(np.clip(t - origin, 0, None))})  # fmt: skip


def test_alignment_by_applied_column_by_origin_and_by_file_clock():
    probes = probes_table()
    # a series on its own clock starting 500 s earlier, with its applied field: origin 600 s
    t = np.linspace(520, 1100, 30) + 7.0  # no sample falls on the ramp's end at 600 s
    s = Series("a", t, np.ones_like(t), "gap", applied_T=np.clip(1 - (t - 500) / 100, 0, 1))
    a = align(s, probes)
    assert s.origin == pytest.approx(600.0)  # between samples 580 and 600 + 1/29 of the step
    assert a.shift_s == pytest.approx(100.0 - s.origin)
    same = Series("b", t - s.origin, np.ones_like(t), "gap")  # t = 0 at the origin already
    assert align(same, probes).sim_time_s == pytest.approx(a.sim_time_s)
    given = Series("c", t, np.ones_like(t), "gap", origin_s=s.origin)
    assert align(given, probes).sim_time_s == pytest.approx(a.sim_time_s)
    late = Series("d", t + 2000, np.ones_like(t), "gap", origin_s=s.origin)
    with pytest.raises(AnalysisError, match="inside the simulated time span"):
        align(late, probes)


def test_simulated_values_are_log_interpolated_after_the_origin():
    """B = 1 - 0.01 ln(1 + t) is nearly linear in ln t far from the origin: interpolation error
    < 5e-6 T between samples 0.24 apart in ln t; linear in t during the ramp."""
    probes = probes_table()
    t = np.array([25.0, 150.0, 1000.0])
    assert simulated_at(probes, "gap", t) == pytest.approx(
        [1.0, 1 - 0.01 * math.log(51.0), 1 - 0.01 * math.log(901.0)], abs=5e-6
    )


def test_series_refuses_bad_input():
    with pytest.raises(ValidationError, match="same length"):
        Series("x", np.arange(5.0), np.arange(4.0), "gap")
    with pytest.raises(ValidationError, match="fewer than 3 finite"):
        Series("x", np.arange(3.0), np.array([1.0, np.nan, 2.0]), "gap")
    with pytest.raises(ValidationError, match="must be > 0"):
        Series("x", np.arange(3.0), np.ones(3), "gap", sigma_T=np.zeros(3))
    # a missing noise value (NaN) drops its point, as a missing field does (before: "> 0")
    sigma = np.array([1e-3, np.nan, 1e-3, 1e-3])
    with pytest.warns(MissingSamplesWarning, match=r"x \(field or sigma_T\): 1 of 4 rows has"):
        s = Series("x", np.arange(4.0), np.arange(4.0), "gap", sigma_T=sigma)
    assert s.time_s.tolist() == [0, 2, 3] and s.sigma_T.tolist() == [1e-3] * 3
    with pytest.raises(ValidationError, match="must be > 0"):
        Series("x", np.arange(4.0), np.ones(4), "gap", sigma_T=np.array([1, np.nan, -1, 1.0]))
    # a noise of 1e-300 T: weights of 1e600 overflowed to a scipy ValueError traceback in the fit
    with pytest.raises(ValidationError, match=r"x: a noise value \(sigma\) of 1e-300 T is below"):
        Series("x", np.arange(4.0), np.ones(4), "gap", sigma_T=np.array([1e-3, 1e-300, np.nan, 1]))
    assert Series("x", np.arange(3.0), np.ones(3), "gap", sigma_T=np.full(3, 1e-12)).sigma_T[0]
    # an origin that is no finite number of seconds (was "the series spans nan..nan s" at the
    # fit, and a ValueError traceback for "100 s")
    for origin in (math.nan, math.inf, "100 s", "100", True):
        with pytest.raises(ValidationError, match=r"x: origin_s must be a finite time in s"):
            Series("x", np.arange(4.0), np.ones(4), "gap", origin_s=origin)
    assert Series("x", np.arange(4.0), np.ones(4), "gap", origin_s=np.float32(2)).origin == 2.0


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("field_T", 1e300, r"row 6 \(1 = the first\), field_T = 1e\+300 T: beyond 100 T"),
        ("field_T", -math.inf, r"row 6 \(1 = the first\), field_T = -inf T: beyond 100 T"),
        ("applied_T", 1e300, r"row 6 \(1 = the first\), applied_T = 1e\+300 T: beyond 100 T"),
        ("sigma_T", 1e300, r"row 6 \(1 = the first\), sigma_T = 1e\+300 T: beyond 100 T"),
        ("sigma_T", math.inf, r"row 6 \(1 = the first\), sigma_T = inf T: beyond 100 T"),
        ("time_s", 1e300, r"row 6 \(1 = the first\), time_s = 1e\+300 s: beyond 1e\+11 s"),
    ],
)
def test_an_absurd_value_in_a_series_is_refused_with_its_row_and_column(column, value, message):
    """A measured field of 1e300 T overflowed the fit's chi^2 to inf and gave NaN sigmas (an
    infinite one was dropped as a gap, as NaN is): refused at the Series, naming row and column."""
    t = np.arange(10.0)
    cols = {"time_s": t, "field_T": 0.5 - 0.01 * t, "applied_T": np.clip(1 - t / 3, 0, None),
            "sigma_T": np.full(10, 1e-3)}  # fmt: skip
    cols[column] = cols[column].copy()
    cols[column][5] = value
    with pytest.raises(
        ValidationError, match=rf"^hall: {message}, more than any .* \(1 of 10 rows\)"
    ):
        Series("hall", cols["time_s"], cols["field_T"], "gap", cols["applied_T"], cols["sigma_T"])
    cols[column][5] = np.nan  # a gap: left out and named
    with pytest.warns(
        MissingSamplesWarning,
        match=r"^hall( \(field or sigma_T\))?: 1 of 10 rows has .* row 6 \(1 = ",
    ):
        s = Series(
            "hall", cols["time_s"], cols["field_T"], "gap", cols["applied_T"], cols["sigma_T"]
        )
    assert s.time_s.size == 9


@pytest.mark.parametrize(("per_T", "said"), [(1e3, "in mT (1e3 per T: up to 0.8 T)"),
                                              (1e4, "in Oe or G (1e4 per T: up to 0.8 T)")])  # fmt: skip
def test_a_hall_series_in_mt_or_g_given_as_t_gets_the_readers_unit_hint(tmp_path, per_T, said):
    """A trapped field of 0.8 T logged in mT (800) or G (8000) and given as field_T: the Series
    said "a field in mT, G or A/m labelled T?", its own hint beside the readers'; now the readers'
    one (units.field_unit_hint): the likelier unit first with the field it gives, as a file's
    column labelled T is told."""
    t = np.arange(10.0)
    b = per_T * (0.8 - 0.001 * t)
    with pytest.raises(ValidationError, match=rf"field_T = {per_T * 0.8:g} T: beyond 100 T.*; are "
                       rf"the values {re.escape(said)}.*, not T\? Give them in T"):  # fmt: skip
        Series("hall", t, b, "gap")
    path = tmp_path / "hall.csv"
    path.write_text("time_s,B_T\n" + "".join(f"{x:g},{y:g}\n" for x, y in zip(t, b, strict=True)))
    with pytest.raises(InputFileError, match=rf"is the column {re.escape(said)}"):
        read_series(path)


def test_points_dropped_from_a_series_built_in_python_are_named():
    """A Series from arrays dropped its NaN points without a word (read_measured named a file's);
    now a MissingSamplesWarning says how many and which, and a whole series says nothing."""
    t = np.arange(10.0)
    b = 1 - 0.01 * t
    b[[2, 7]] = np.nan
    with pytest.warns(MissingSamplesWarning, match=r"^hall: 2 of 10 rows have .* rows 3, 8 \(1 = "):
        s = Series("hall", t, b, "gap")
    assert s.time_s.tolist() == [0, 1, 3, 4, 5, 6, 8, 9]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Series("hall", t, 1 - 0.01 * t, "gap").time_s.size == 10


def test_repeated_samples_of_a_series_are_counted_once():
    """A series pasted after itself (each sample twice) was fitted with every point counted twice:
    the stand-in disk's n 19.97 +- 0.015 for 0.021 (0.707 x), and its noise, estimated from
    second differences of equal pairs, 7 x too large ("sampled too sparsely"); creep counts such
    samples once, and now calibrate does, with a RepeatedSamplesWarning. A sample at the same
    time with another field is not a repeat."""
    from fluxtrap.simulate.calibrate.series import RepeatedSamplesWarning

    t = np.arange(10.0)
    b = 1 - 0.01 * t
    with pytest.warns(RepeatedSamplesWarning, match=r"^hall: 10 of 20 samples repeat an earlier "
                      r"one in time and field \(the first at 0 s\): each is counted once"):  # fmt: skip
        s = Series("hall", np.r_[t, t], np.r_[b, b], "gap", sigma_T=np.full(20, 1e-3))
    assert s.time_s.tolist() == t.tolist() and s.field_T.tolist() == b.tolist()
    assert s.sigma_T.size == 10
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        two = Series("hall", np.repeat(t, 2), np.c_[b, b + 1e-3].ravel(), "gap")  # 2 readings
    assert two.time_s.size == 20
    with (
        pytest.raises(ValidationError, match="fewer than 3 points that repeat no other"),
        pytest.warns(RepeatedSamplesWarning),
    ):
        Series("hall", np.r_[t[:2], t[:2]], np.r_[b[:2], b[:2]], "gap")


def test_a_series_whose_clock_resets_is_refused():
    """A Series from arrays whose clock goes back to 0 half-way (a logger restarted) was sorted
    into one interleaved trace and fitted; now refused naming the row, as a file is. Newest
    first is the same series sorted."""
    t = np.arange(10.0)
    b = 1 - 0.01 * t
    with pytest.raises(ValidationError, match=r"hall: time goes back at row 6, from 4 s"):
        Series("hall", np.r_[t[:5], t[:5]], b, "gap")
    assert Series("hall", t[::-1], b[::-1], "gap").field_T.tolist() == b.tolist()


def test_a_missing_applied_value_drops_its_point_not_the_origin():
    """A NaN in the applied field's hold (a logger's gap, through the Python API) kept its row,
    and the origin of a ramp ending at 50 s came out 0 s; now the row is dropped as one with a
    missing field is, and the origin is the ramp's end."""
    t = np.arange(0.0, 200.0)
    applied = np.clip(1 - t / 50, 0, None)
    applied[100] = np.nan
    with pytest.warns(MissingSamplesWarning, match=r"applied field .* row 101 "):
        s = Series("x", t, 1 - 0.01 * np.log1p(np.maximum(t - 50, 0)), "gap", applied_T=applied)
    assert s.time_s.size == 199 and 100.0 not in s.time_s
    assert s.origin == pytest.approx(50.0, abs=1e-9)


def test_the_origin_of_a_noisy_applied_readback_is_where_its_ramp_ends():
    """A 1 T -> 0 ramp over 100 s then a 600 s hold, sampled every 5 s, the applied readback
    with 0.2 mT of white noise: the origin was its last excursion past 1e-6 T of the last
    sample (near the hold's end); it is the ramp's end within the time the ramp takes to cross
    6 sigma of the noise (1.2 mT at 0.01 T/s: 0.12 s), and a clean readback keeps 600 s."""
    rng = np.random.default_rng(5)
    t = np.arange(500.0, 1200.0, 5.0)
    clean = np.clip(1 - (t - 500) / 100, 0, 1)
    noisy = clean + rng.normal(0, 2e-4, t.size)
    assert Series("clean", t, np.ones_like(t), "gap", applied_T=clean).origin == 600.0
    origin = Series("noisy", t, np.ones_like(t), "gap", applied_T=noisy).origin
    assert origin == pytest.approx(600.0, abs=0.5)


def test_a_sparsely_sampled_ramp_ends_where_its_line_reaches_the_final_field():
    """Six samples of a 3 T -> 0 ramp over 600 s (at 100, 300, 500, 700, 1500, 3500 s): the
    corner at the ramp's end is half of the four second differences, so the readback's noise
    came out 0.15 T and 0.5 T at 500 s counted as the final 0 T: the origin was 500 s and a
    calibration of a disk (truth n 25, Jc x0.8) ended at its bound n = 5, reported as a fit.
    The sample at 500 s lies on the line of the two before it: the origin is 600 s (that
    calibration: n 26.3 +- 1.3, Jc x0.794 +- 0.008). With noise on the readback as well."""
    t = np.array([100.0, 300.0, 500.0, 700.0, 1500.0, 3500.0])
    clean = np.clip(3 * (1 - t / 600), 0, None)
    assert Series("sparse", t, np.ones_like(t), "gap", applied_T=clean).origin == 600.0
    noisy = clean + np.random.default_rng(2).normal(0, 2e-3, t.size)
    origin = Series("noisy", t, np.ones_like(t), "gap", applied_T=noisy).origin
    assert origin == pytest.approx(600.0, abs=2.0)  # 2 mT on a 5 mT/s ramp: 0.4 s a sigma


def test_samples_sharing_a_time_leave_the_origin_where_the_ramp_ends():
    """A 3 T -> 0 ramp at 0.01 T/s ending at 300 s, logged every 20 s, each time logged twice (two
    readings a second at 1 s resolution) with fields 3 mT apart: the last ramp step's slope was
    0 / 0 s, and the origin was the first hold sample, 301 s; with readbacks 0.1 mT apart too,
    290 s (10 s early). Samples sharing a time count as one: 300 s."""
    t = np.concatenate([np.arange(10.0, 300.0, 20.0), 300 + np.geomspace(1.0, 599.0, 30)])
    applied = np.clip(3 - 0.01 * t, 0, None)
    twice = np.repeat(t, 2)
    field = np.repeat(1 - 0.01 * np.log1p(t), 2) + np.tile([0.0, 3e-3], t.size)
    for readback in (np.repeat(applied, 2), np.repeat(applied, 2) + np.tile([0, 1e-4], t.size)):
        s = Series("twice", twice, field, "gap", applied_T=readback)
        assert s.origin == pytest.approx(300.0, abs=0.1)


def test_a_last_readback_sample_off_by_4_sigma_does_not_move_the_origin():
    """The noisy readback above with its last sample 4 sigma (0.8 mT) high: the final value was
    that sample, every hold sample 2 sigma below the mean lay past the 6 sigma tolerance, and
    the origin was laid at the last of them, near the hold's end (about 1 % of such readbacks
    in a Monte Carlo; 60-575 s late). The final value is the median of the closing samples:
    the origin is the ramp's end within 0.5 s."""
    rng = np.random.default_rng(5)
    t = np.arange(500.0, 1200.0, 5.0)
    noisy = np.clip(1 - (t - 500) / 100, 0, 1) + rng.normal(0, 2e-4, t.size)
    noisy[-1] = 8e-4
    assert Series("spike", t, np.ones_like(t), "gap", applied_T=noisy).origin == pytest.approx(
        600.0, abs=0.5
    )


def test_a_series_without_its_ramp_end_is_refused_with_its_applied_column():
    """The applied column sets the origin only if the ramp's end is in the series: a series of
    the hold alone (applied constant) took its first sample as the origin, one that stops on
    the ramp took its last sample's field as the final one, and either was laid late in
    silence (a calibration of the hold alone: n 39 and Jc x 1.05 for 20 and 1.2)."""
    probes = probes_table()  # origin 100 s: applied 1 T -> 0 over 0..100 s
    t = np.linspace(150, 900, 30)
    hold = Series("hold", t, np.ones_like(t), "gap", applied_T=np.zeros_like(t))
    with pytest.raises(AnalysisError, match="stays at 0 T, so the ramp's end"):
        align(hold, probes)
    ramp = np.linspace(10, 90, 9)
    stops = Series("stops", ramp, np.ones_like(ramp), "gap", applied_T=1 - ramp / 100)
    with pytest.raises(AnalysisError, match="ends at 0.1 T, the simulation's at 0 T"):
        align(stops, probes)
    same = Series("given", t, np.ones_like(t), "gap", origin_s=100.0)  # the way out
    assert align(same, probes).shift_s == 0.0


def test_a_series_at_fewer_than_3_distinct_times_is_refused():
    """20 points all at t = 150 s (a wrong time column, a clock unit far too coarse) ran the fit
    to n 15 +- inf and Jc +- nan; two distinct times the same way. Refused, naming the times."""
    b = 0.5 + np.random.default_rng(0).normal(0, 1e-3, 20)
    with pytest.raises(
        ValidationError, match=r"^x: its 20 points lie at 1 distinct time \(150 s\)"
    ):
        Series("x", np.full(20, 150.0), b, "gap")
    with pytest.raises(
        ValidationError, match=r"its 20 points lie at 2 distinct times \(150, 300 s\)"
    ):
        Series("x", np.repeat([150.0, 300.0], 10), b, "gap")
    assert Series("x", np.repeat([150.0, 300.0, 450.0], [7, 7, 6]), b, "gap").time_s.size == 20


def test_a_time_read_twice_gives_the_ramp_rate_without_dividing_by_zero():
    """A ramp 3 T -> 0 at 0.01 T/s logged every 10 s, one time logged twice with another
    readback (calib22's attack): ramp_rate divided every step, the zero one too, and the user
    saw a bare 'divide by zero encountered in divide' mid-fit. The rate, over the range
    (1/s), is the ramp's: 0.01 / 3."""
    from fluxtrap.probetable import ramp_rate

    t = np.arange(0.0, 300.0, 10.0)
    t = np.insert(t, 5, t[5])
    applied = 3 - 0.01 * t
    applied[5] += 1e-2  # the second reading of t = 50 s
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ramp_rate(t, applied, 300.0) == pytest.approx(0.01 / np.ptp(applied), rel=1e-9)
