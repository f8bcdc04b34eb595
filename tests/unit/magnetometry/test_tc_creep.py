"""Tc on a synthetic transition and on the real (non-superconducting) M(T) files; creep fits."""

import dataclasses
import re
import warnings
from time import perf_counter

import numpy as np
import pytest

from fluxtrap.errors import AnalysisError, InputFileError, ValidationError
from fluxtrap.magnetometry.creep import (
    PPM_H,
    ClockOnlyWarning,
    CreepCurvatureWarning,
    CreepExtrapolationWarning,
    CreepResidualWarning,
    FieldGrowsWarning,
    MissingSamplesWarning,
    fit_creep,
    noise_model,
    read_series,
    removal_end,
)
from fluxtrap.magnetometry.loops import RepeatedMeasurementWarning
from fluxtrap.magnetometry.readers import read
from fluxtrap.magnetometry.table import MeasurementTable, TableMetadata, TruncatedFileWarning
from fluxtrap.magnetometry.tc import Sweep, TcStructureWarning, find_tc, split_sweeps, tc_from_table
from fluxtrap.units import estimate_text

LN9 = np.log(9.0)


def mt_table(t, m, name="sc.dat"):
    return MeasurementTable.from_arrays(
        np.full(t.size, 0.001), m, TableMetadata(name, "MPMS3", "VSM"), temperature_K=t
    )


def synthetic_mt(tc_mid=38.0, width=0.5, noise=1e-8, seed=0, t=None, step=1e-5):
    """ZFC-like M(T): shielding s(T) = 1 / (1 + exp((T - tc_mid) / width)) on a linear background."""
    t = np.linspace(5, 60, 221) if t is None else t
    s = 1 / (1 + np.exp((t - tc_mid) / width))
    m = -step * s + 2e-8 * t + 1e-7 + np.random.default_rng(seed).normal(0, noise, t.size)
    return mt_table(t, m)


def expected_tc(criterion, level=0.9, mid=38.0, width=0.5):
    """Logistic s(T): s = level at mid - w ln(level/(1-level)); s = 1 - level at mid + w ln(...)."""
    k = np.log(level / (1 - level))
    return mid - width * k if criterion == "shielded" else mid + width * k


@pytest.mark.parametrize("level", [0.9, 0.5, 0.8])
@pytest.mark.parametrize("criterion", ["shielded", "normal"])
def test_tc_of_a_logistic_transition(criterion, level):
    (res,) = tc_from_table(synthetic_mt(), criterion=criterion, level=level)
    assert res.tc_K == pytest.approx(expected_tc(criterion, level), abs=0.01)
    assert res.tc_err_K < 0.01 and res.criterion == criterion and res.level == level
    assert res.step_Am2 == pytest.approx(1e-5, rel=0.01)
    assert res.onset_K == pytest.approx(38 + 0.5 * np.log(99), abs=0.02)
    words = "shielded" if criterion == "shielded" else "back to the normal state"
    assert res.convention == f"{level:.0%} {words}" and res.convention in repr(res)


def test_default_is_the_published_convention():
    """The published work: "the point at which the transition reached 90%" -> 90% shielded."""
    (res,) = tc_from_table(synthetic_mt())
    assert (res.criterion, res.level) == ("shielded", 0.9)
    assert res.tc_K == pytest.approx(38 - 0.5 * LN9, abs=0.01)


def test_single_low_glitch_does_not_move_tc():
    """One point 2x the step below the curve at 55 K (true Tc 39 K): the old threshold rule said 55 K."""
    table = synthetic_mt(tc_mid=39.0)
    m = table.moment_Am2.copy()
    m[np.argmin(np.abs(table.temperature_K - 55))] -= 2e-5
    glitched = mt_table(table.temperature_K, m)
    for criterion in ("shielded", "normal"):
        (res,) = tc_from_table(glitched, criterion=criterion)
        assert res.tc_K == pytest.approx(expected_tc(criterion, mid=39.0), abs=0.01)
        assert res.n_outliers == 1


def test_a_second_transition_left_out_as_outliers_is_named():
    """A minority phase (20% of the step) shielding from 45 K above the main 38 K step: the one-step
    fit leaves 44 points out as outliers, so its tc_err_K (0.006 K) misses the shift they cause
    (it read 36.83 K where the main step's is 36.90 K and 90% of the whole shielding 37.0 K);
    the run of them is named, with where it lies, and Tc is read off the data instead (37.004
    K), which is said too, the note saying the read includes the run (it said 'left out').
    Where the fit stands (a 2% phase) the run is left out of it and its ± and the note says so.
    Curie upturns at an end and single glitches are not named."""
    from fluxtrap.magnetometry.tc import TcStructureWarning

    t = np.linspace(5, 60, 221)
    minority = -0.2e-5 / (1 + np.exp((t - 45.0) / 0.5))
    two = mt_table(t, synthetic_mt(t=t).moment_Am2 + minority)
    with pytest.warns(TcStructureWarning, match=r"neighbouring points from 39\.\d+ to 46\.\d+ K"):
        (res,) = tc_from_table(two)
    assert res.n_outliers >= 20 and len(res.warnings) == 2
    assert "second transition" in res.warnings[0] and res.to_dict()["warnings"] == res.warnings
    assert "not logistic-shaped" in res.warnings[1]
    # the data read includes the run: the note had said it was left out and not in Tc's ±
    assert res.warnings[0].endswith("Tc is read off the data, these points included")
    assert "left out" not in res.warnings[0] and "does not include" not in res.warnings[0]
    small = mt_table(t, synthetic_mt(t=t).moment_Am2 + 0.1 * minority)  # the fit stands
    with pytest.warns(TcStructureWarning, match="neighbouring points"):
        (kept,) = tc_from_table(small)
    (note,) = kept.warnings
    assert note.endswith("are left out of it: a second transition (another phase)? Tc's ± does "
                         "not include this")  # fmt: skip
    # 90% of the whole shielding, 0.8 s(38 K) + 0.2 s(45 K) = 0.9, at 37.027 K; within 0.03 K
    # (the fitted baseline's tilt under the minority step moved it 0.023 K, 3.6x tc_err_K)
    assert res.tc_K == pytest.approx(38 + 0.5 * np.log(0.8 / 0.7 - 1), abs=0.03)
    glitched = synthetic_mt(tc_mid=39.0).moment_Am2.copy()
    glitched[[40, 120, 200]] -= 2e-5  # isolated glitches
    curie = synthetic_mt(t=np.linspace(5, 300, 600)).moment_Am2 + 3e-5 / np.linspace(5, 300, 600)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TcStructureWarning)
        (one,) = tc_from_table(mt_table(t, glitched))
        (tail,) = tc_from_table(mt_table(np.linspace(5, 300, 600), curie))
    assert one.n_outliers == 3 and one.warnings == () and tail.warnings == ()


def test_a_read_transitions_outliers_are_its_misfit_unless_the_shielding_pauses():
    """Where the data read replaces the logistic, its outliers are the logistic's shape misfit:
    a 3 K linear ramp at noise 1e-4 of the step had 11 points from 32.75 to 35.25 K named 'a
    second transition (another phase)?' (3 of 3 seeds), two steps 2 K apart (one broad
    transition, shielding never pausing) 1 of 3. Now neither is; two steps 8 K apart, the
    shielding pausing at half between them, still are (3 of 3), as is the 45 K minority phase."""
    from fluxtrap.magnetometry.tc import TcStructureWarning

    t = np.linspace(5, 60, 221)
    cases = (
        (np.clip((38 - t) / 3, 0, 1), 1e-9, False),
        (0.6 / (1 + np.exp((t - 36) / 0.5)) + 0.4 / (1 + np.exp((t - 38) / 0.5)), 5e-8, False),
        (0.5 / (1 + np.exp((t - 30) / 0.5)) + 0.5 / (1 + np.exp((t - 38) / 0.5)), 5e-8, True),
    )
    for shielded, noise, second in cases:
        for seed in range(3):
            m = -1e-5 * shielded + 1e-8 + 2e-10 * (t - 38)
            m = m + np.random.default_rng(seed).normal(0, noise, t.size)
            with pytest.warns(TcStructureWarning, match="read off the data"):
                (res,) = tc_from_table(mt_table(t, m))
            said = any("second transition" in note for note in res.warnings)
            assert said == second, (second, seed, res.warnings)


@pytest.mark.parametrize("width_K", [1.0, 3.0, 8.0])
@pytest.mark.parametrize("noise", [1e-9, 1e-8])
def test_a_linear_transition_is_read_off_the_data(width_K, noise):
    """Shielding falling linearly from 1 at 38 K - width to 0 at 38 K (a broad, not logistic,
    transition; step 1e-5 A m^2 = 0.01 emu on a sloped background): 90% shielded at 38 - 0.9
    width by hand. The logistic fit left the transition's points out as outliers and said 33.21
    +- 1400 K for 30.8 K, or refused a clean sweep as 'not significant'; now Tc is read off the
    data within 0.05 K (and 3 sigma), the switch named. Over 30 repeats of the 8 K ramp at 1e-9
    the read had used the logistic's normal-state line, tilted by its misfit: Tc 0.0072 K low on
    average, scatter 0.0062 K, 13 of 30 within their 1-sigma; on the data's own line (and its
    spread in the 1-sigma) 0.0002 K low, scatter 0.00055 K, 29 of 30, the 1-sigma 1.7x the
    scatter."""
    from fluxtrap.magnetometry.tc import TcStructureWarning

    t = np.linspace(5, 60, 221)
    shielded = np.clip((38 - t) / width_K, 0, 1)
    fits = []
    for seed in range(30 if (width_K, noise) == (8.0, 1e-9) else 1):
        m = -1e-5 * shielded + 1e-8 + 2e-10 * (60 - t)
        m = m + np.random.default_rng(seed).normal(0, noise, t.size)
        with pytest.warns(TcStructureWarning, match="not logistic-shaped"):
            fits += tc_from_table(mt_table(t, m))
    hand = 38 - 0.9 * width_K
    for res in fits:
        assert res.tc_K == pytest.approx(hand, abs=min(0.05, max(3 * res.tc_err_K, 0.01)))
    if len(fits) > 1:
        off, err = np.array([f.tc_K - hand for f in fits]), np.array([f.tc_err_K for f in fits])
        assert abs(np.mean(off)) < 0.001 and np.mean(np.abs(off) < err) >= 0.8
        assert np.all(np.abs(off) < 3 * err) and np.median(err) < 2.5 * np.std(off)


def test_tc_read_off_the_data_has_the_normal_state_lines_spread_in_its_error_bar():
    """An 8 K linear ramp under noise 1/200 of its step on a sloped background (2e-10 A m^2/K),
    5-50 K: Tc read off the data (90 % shielded at 38 - 0.9 x 8 = 30.8 K by hand). On the
    logistic's tilted normal-state line the read sat 0.096 K low and 6 of 24 reads lay within
    their 1-sigma (0.075 K; 23 within 2); on the data's own line, with that line's 1-sigma and
    its change over half the reach in the +-, 0.004 K low (scatter 0.033 K), 20 of 24 within
    1-sigma (0.046 K), 24 within 2. In 16 of 40 sweeps the logistic fit had stood (agreeing
    with the read within 3 sigma), 0.42 K low with a 1-sigma of 0.15 K (then its difference
    from the read in it): the logistic's residuals over the transition are 3-6x those beside
    it, which an F test tells, so every sweep is read off the data: 0.004 K low (scatter
    0.037 K), 35 of 40 within their 1-sigma (0.050 K median), 40 within 2."""
    t = np.linspace(5, 50, 180)
    offsets = []
    for seed in range(40):
        m = -1e-5 * np.clip((38 - t) / 8, 0, 1) + 1e-8 + 2e-10 * (t - 38)
        m = m + np.random.default_rng(seed).normal(0, 5e-8, t.size)
        with pytest.warns(TcStructureWarning, match="not logistic-shaped"):
            (res,) = tc_from_table(mt_table(t, m))
        offsets.append((res.tc_K - 30.8, res.tc_err_K))
    off, err = np.array(offsets).T
    assert abs(np.mean(off)) < 0.02 and np.std(off) < 0.06
    assert np.mean(np.abs(off) < err) >= 0.7 and np.mean(np.abs(off) < 2 * err) >= 0.95
    assert np.all(np.abs(off) < 3 * err)
    assert np.median(err) < 3 * np.std(off)  # honest, not a blanket


@pytest.mark.parametrize("noise", [1e-9, 1e-8])
def test_a_two_step_transition_is_read_off_the_data(noise):
    """A polycrystalline bulk's two steps: 60% of the shielding growing linearly from 25 to 15 K,
    40% from 38 to 36 K (step 0.01 emu). The one-step fit was refused as 'not significant'
    (0.0275 +- 0.011 emu, noise 0.00047 emu: both its misfit). Read off the data: 90% of the
    whole shielding at 25 - 0.5 / 0.06 = 16.67 K, 10% (the 'normal' criterion) at 37.5 K, the
    onset (1%) at 37.95 K, by hand; within 3 sigma and 0.05 K, the reading named."""
    from fluxtrap.magnetometry.tc import TcStructureWarning

    t = np.linspace(5, 60, 221)
    shielded = 0.6 * np.clip((25 - t) / 10, 0, 1) + 0.4 * np.clip((38 - t) / 2, 0, 1)
    m = -1e-5 * shielded + 1e-8 + 2e-10 * (60 - t)
    m = m + np.random.default_rng(1).normal(0, noise, t.size)
    for criterion, hand in (("shielded", 25 - 0.5 / 0.06), ("normal", 37.5)):
        with pytest.warns(TcStructureWarning, match="one-step fit cannot follow this transition"):
            (res,) = tc_from_table(mt_table(t, m), criterion=criterion)
        assert res.tc_K == pytest.approx(hand, abs=min(0.05, max(3 * res.tc_err_K, 0.005)))
        assert res.onset_K == pytest.approx(37.95, abs=0.05)
        assert res.step_Am2 == pytest.approx(1e-5, rel=0.01)


@pytest.mark.parametrize(
    "shape, hand_K",
    [
        ("ramp", 38 - 0.9 * 3),  # shielding falling linearly over 3 K to 0 at 38 K
        ("logistic", 38 - 0.5 * LN9),
    ],
)
def test_tc_error_bars_cover_the_truth_where_the_fit_is_kept(shape, hand_K):
    """20 sweeps (5-60 K, 221 points, step 1e-5 A m^2 on a sloped background) of a transition
    of known Tc. Where the logistic fit and the data read agreed within 3 sigma the fit stood
    with its own 1-sigma, which holds nothing of its shape's misfit. A 3 K ramp at noise 1/200
    of the step: 9 of 20 within 1-sigma, 12 within 2. Now the fit's +- holds its difference from
    the read on the data's own normal-state line beyond their 1-sigma: 15 and 20 of 20. On the
    logistic the +- is unchanged (14 and 17 of 20, 0.011 K median). (A step sharper than the
    point spacing: test_tc_coverage.)"""
    t = np.linspace(5, 60, 221)
    s = {
        "ramp": np.clip((38 - t) / 3, 0, 1),
        "logistic": 1 / (1 + np.exp((t - 38) / 0.5)),
    }[shape]
    noise = 5e-8
    off, err = [], []
    for seed in range(20):
        m = (
            -1e-5 * s
            + 1e-8
            + 2e-10 * (t - 38)
            + np.random.default_rng(seed).normal(0, noise, t.size)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TcStructureWarning)
            (res,) = tc_from_table(mt_table(t, m))
        off.append(res.tc_K - hand_K)
        err.append(res.tc_err_K)
    z = np.abs(off) / np.array(err)
    # honest error bars (68 % within 1 sigma, 95 % within 2) fall under 9 or 17 of 20 in 1 %
    assert np.sum(z < 1) >= 9 and np.sum(z < 2) >= 17
    if shape == "logistic":  # no error bar blown up where the logistic holds
        assert np.median(err) < 1.2 * np.std(off)


def test_the_data_read_is_not_fooled_by_a_glitch_sparse_points_or_a_drift():
    """An audit of the data read: a 3-point glitch (+10 steps) at 21.4 K on a clean logistic
    was read as the crossing (21.23 +- 0.0002 K for 28.90, the right fit set aside); 30 points
    over 58 K put 1-2 in the transition, read at 28.34 +- 0.002 K, the interpolation's error
    left out; random walks of a diamagnetic background were read as transitions. Glitches are
    now left out of the read (off their running median), its 1-sigma holds the interpolation's
    error, and a whole-sweep read needs a flat, monotone step of half the signal."""
    t = np.linspace(2, 60, 300)
    noise = np.random.default_rng(1).normal(0, 1e-9, t.size)
    logistic = 1e-8 - 1e-6 / (1 + np.exp((t - 30) / 0.5)) + noise
    hand = 30 - 0.5 * LN9
    glitched = logistic.copy()
    glitched[100:103] += 1e-5
    (res,) = tc_from_table(mt_table(t, glitched))
    assert res.tc_K == pytest.approx(hand, abs=3 * res.tc_err_K) and res.warnings == ()
    sparse = np.linspace(2, 60, 30)
    m = 1e-8 - 1e-6 / (1 + np.exp((sparse - 30) / 0.5)) + noise[:30]
    (res,) = tc_from_table(mt_table(sparse, m))
    assert abs(res.tc_K - hand) < 2 * res.tc_err_K < 2.0  # 28.34 +- 0.87 K
    for seed in range(30):
        walk = -3e-6 + np.cumsum(np.random.default_rng(seed).normal(0, 1e-8, t.size))
        try:
            (res,) = tc_from_table(mt_table(t, walk))
        except AnalysisError:
            continue
        assert not any("cannot follow" in w for w in res.warnings), seed


def test_noisy_full_sweep_and_its_uncertainty():
    """5-300 K, step/noise = 25 (the old rule gave 207-296 K): Tc within 0.1 K, and the fit's
    1-sigma agrees with the scatter over 30 noisy repeats within 30% (measured: 0.096 vs 0.11 K
    over 40 repeats)."""
    t = np.linspace(5, 300, 600)
    fits = [tc_from_table(synthetic_mt(39.0, noise=1e-5 / 25, seed=s, t=t))[0] for s in range(30)]
    tcs = np.array([f.tc_K for f in fits])
    assert np.mean(tcs) == pytest.approx(expected_tc("shielded", mid=39.0), abs=0.1)
    assert np.median([f.tc_err_K for f in fits]) == pytest.approx(np.std(tcs), rel=0.3)


def test_a_transition_in_noise_a_fifth_of_its_step_gets_an_honest_error_bar_or_none():
    """1900 points over 5-300 K, a logistic step (Tc 90 % shielded 36.80 K) under noise 20 % of
    it: 5 of 30 sweeps were read off the data instead of the fit (34.58 +- 0.12 K, 37.97 +-
    0.08 K: the read's +- holds no noise; or 'the one-step fit cannot follow this transition',
    its residuals 1.03x the point-to-point noise), 4-18 sigma off. Every Tc given now lies within
    4 of its sigma; the rest are refused as not significant."""
    t = np.linspace(5, 300, 1900)
    expected = expected_tc("shielded", mid=39.0, width=1.0)
    given = 0
    for seed in range(30):
        table = synthetic_mt(tc_mid=39.0, width=1.0, noise=2e-6, seed=seed, t=t)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", TcStructureWarning)
                (res,) = tc_from_table(table)[:1]
        except AnalysisError as e:
            assert "is not significant" in str(e)
            continue
        given += 1
        assert abs(res.tc_K - expected) < 4 * res.tc_err_K, (seed, res.tc_K, res.tc_err_K)
        assert not any("cannot follow" in note for note in res.warnings)  # it follows: one step
    assert given >= 15


def test_curved_background_over_a_wide_sweep():
    """Curie tail 3e-5/T plus a slope, 5-300 K: the baseline comes from just above the transition."""
    t = np.linspace(5, 300, 600)
    s = 1 / (1 + np.exp((t - 39.0) / 0.5))
    m = -1e-5 * s + 3e-5 / t + 1e-8 * t + np.random.default_rng(2).normal(0, 2e-8, t.size)
    (res,) = tc_from_table(mt_table(t, m))
    assert res.tc_K == pytest.approx(expected_tc("shielded", mid=39.0), abs=0.1)
    assert res.fit_range_K[1] < 100


def test_erf_shaped_transition():
    """An erf step of the same 10-90% width as the model's logistic: Tc within 0.06 w = 0.03 K."""
    from scipy.special import erfc

    sigma = 0.5 * LN9 / 1.2816  # 10-90% half width of the erf equals w ln 9
    t = np.linspace(5, 60, 221)
    m = -1e-5 * 0.5 * erfc((t - 39) / (np.sqrt(2) * sigma)) + 2e-8 * t
    for criterion, sign in (("shielded", -1), ("normal", 1)):
        (res,) = tc_from_table(mt_table(t, m), criterion=criterion)
        assert res.tc_K == pytest.approx(39 + sign * 1.2816 * sigma, abs=0.03)


def test_sweep_ending_a_few_kelvin_above_tc():
    """Ends at 42 K (Tc 37.9 / 40.1 K): accepted; ending at 40 K, before the normal state, refused."""
    res = tc_from_table(synthetic_mt(39.0, t=np.linspace(5, 42, 150)), criterion="normal")[0]
    assert res.tc_K == pytest.approx(expected_tc("normal", mid=39.0), abs=0.02)
    with pytest.raises(AnalysisError, match="before the normal state is reached"):
        tc_from_table(synthetic_mt(39.0, t=np.linspace(5, 40, 150)))
    with pytest.raises(AnalysisError, match="before full shielding is reached"):
        tc_from_table(synthetic_mt(39.0, t=np.linspace(38, 80, 150)))


def test_no_transition_in_range_is_refused():
    """All normal state (45-300 K) and all shielded (5-30 K): no transition between the ends."""
    for t in (np.linspace(45, 300, 200), np.linspace(5, 30, 200)):
        with pytest.raises(AnalysisError, match="no superconducting transition found"):
            tc_from_table(synthetic_mt(39.0, t=t))


def test_bad_criterion():
    with pytest.raises(ValidationError, match="criterion 'half'"):
        tc_from_table(synthetic_mt(), criterion="half")


@pytest.mark.parametrize(
    "name, tc_mid",
    [
        ("mpms3_vsm_zfc_sample4_100Oe.dat", 39.0),
        ("mpms3_vsm_mt_film-A2481_100Oe_zfc-warming.dat", 20.0),
        ("mpms3_dc_zfcfc_KMK232_100Oe.dat", 39.0),
    ],
)
def test_transition_added_to_a_real_sweep(name, tc_mid, mpms_file):
    """A real (not superconducting) sweep's curved background and noise plus a logistic step
    (w = 1 K) 20x the file's own 1-99% moment range: Tc within 2 of its own sigma (which stays
    under 0.15 K) and within 0.15 K, in both conventions. (Measured offsets 0.004-0.11 K, 0.08-1.33
    sigma; at 5x the range they reach 0.4 K: the background's curvature under the transition is
    not in the model; tc_err_K holds it, see the next test. On sample4 a run of 8 points lies
    5.02 noise widths off the fit with OpenBLAS's Haswell/Zen kernels (4.99 with Sandybridge's):
    left out, the shielded Tc moves from -0.084 to -0.110 K off, 1.33 / 1.27 sigma.)"""
    sweep = split_sweeps(read(mpms_file(name)))[0]
    t, m = sweep.temperature_K, sweep.moment_Am2
    step = 20 * np.ptp(np.percentile(m, [1, 99]))
    table = mt_table(t, m - step / (1 + np.exp((t - tc_mid) / 1.0)), name=name)
    for criterion in ("shielded", "normal"):
        (res,) = tc_from_table(table, criterion=criterion)[:1]
        off = res.tc_K - expected_tc(criterion, mid=tc_mid, width=1.0)
        assert abs(off) < 2 * res.tc_err_K < 0.3 and abs(off) < 0.15, (criterion, off, res.tc_err_K)


@pytest.mark.parametrize(
    "name",
    ["mpms3_vsm_zfc_sample4_100Oe.dat", "mpms3_vsm_mt_film-A2481_100Oe_zfc-warming.dat"],
)
def test_two_phases_on_a_real_background_are_read_with_an_honest_error_bar(name, mpms_file):
    """Two phases' steps (60 % at 36 K, w 0.5 K; 40 % at 20 K, w 1 K) 20x and 100x the real
    sweep's own 1-99% range: 90 % of the whole shielding at 18.90 K (by root finding), read off
    the data. On the logistic's tilted line, its onset read at 53.6 K for 39 K over the powder's
    Curie background, then on a line from there, Tc was 0.047 K low +- 0.011 (4.3 sigma); the
    ends read again on the data's line, its curvature and the plateau's tilt in the +-: within
    2 sigma (measured 0.2-1.7)."""
    from scipy.optimize import brentq
    from scipy.special import expit

    sweep = split_sweeps(read(mpms_file(name)))[0]
    t, m = sweep.temperature_K, sweep.moment_Am2

    def shield(x):
        return 0.6 * expit((36 - x) / 0.5) + 0.4 * expit(20 - x)

    truth = brentq(lambda x: shield(x) - 0.9, 10, 30)
    onset = brentq(lambda x: shield(x) - 0.01, 30, 45)  # 38.04 K
    for factor in (20, 100):
        step = factor * np.ptp(np.percentile(m, [1, 99]))
        with pytest.warns(TcStructureWarning, match="not logistic-shaped"):
            (res,) = tc_from_table(mt_table(t, m - step * shield(t), name=name))[:1]
        assert abs(res.tc_K - truth) < 2 * res.tc_err_K < 0.3, (factor, res.tc_K, res.tc_err_K)
        # the onset and the baseline are the data's line's (a zero baseline put it at 49.2 K)
        assert res.onset_K == pytest.approx(onset, abs=0.7) and res.baseline_intercept_Am2 != 0
        above = (t > 42) & (t < 55)  # the normal state the line was fitted to
        line = res.baseline_intercept_Am2 + res.baseline_slope_Am2_per_K * t[above]
        assert np.median(np.abs(line - m[above])) < 0.01 * step


def test_tcs_error_bar_holds_a_real_background_curved_under_the_step(mpms_file):
    """The real sweeps' curved backgrounds under a logistic step (w = 1 K) 5x and 20x their own
    1-99% range, noise 1% of the step, 5 seeds each: Tc (90% shielded) was 0.08-0.38 K low
    with a 1-sigma of 0.01-0.04 K (3-9 sigma; 2 of 30 within 2 sigma). Its 1-sigma now holds
    the background model's spread (quadratic, cubic, half and double reach): within 2 sigma in
    over 90% of the sweeps (measured 29 of 30)."""
    z = []
    for name, mid in (
        ("mpms3_vsm_zfc_sample4_100Oe.dat", 39.0),
        ("mpms3_dc_zfcfc_KMK232_100Oe.dat", 39.0),
        ("mpms3_vsm_mt_film-A2481_100Oe_zfc-warming.dat", 20.0),
    ):
        sweep = split_sweeps(read(mpms_file(name)))[0]
        t, m = sweep.temperature_K, sweep.moment_Am2
        for factor in (5, 20):
            step = factor * np.ptp(np.percentile(m, [1, 99]))
            for seed in range(5):
                noise = np.random.default_rng(seed).normal(0, 0.01 * step, t.size)
                table = mt_table(t, m - step / (1 + np.exp((t - mid) / 1.0)) + noise, name=name)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", TcStructureWarning)
                    (res,) = tc_from_table(table)[:1]
                z.append((res.tc_K - expected_tc("shielded", mid=mid, width=1.0)) / res.tc_err_K)
    assert np.mean(np.abs(z) < 2) >= 0.9, np.round(z, 1)


def test_zfc_fc_file_splits_in_two(mpms_file):
    """README: ZFC sweep 5 -> 300 K then FC sweep 5 -> 300 K, 504 rows, no marker between them."""
    sweeps = split_sweeps(read(mpms_file("mpms3_dc_zfcfc_KMK232_100Oe.dat")))
    assert [s.label for s in sweeps] == ["ZFC", "FC"]
    assert [len(s) for s in sweeps] == [252, 252]
    for s in sweeps:
        assert s.warming and s.temperature_K[0] == pytest.approx(5, abs=0.1)
        assert s.temperature_K[-1] == pytest.approx(300, abs=0.5)


def test_zfc_and_fc_labels_come_from_the_file_not_from_the_order(mpms_file):
    """Two warming sweeps were 'ZFC' then 'FC' by order alone: the same sweep measured twice
    read as an FC sweep. Now the labels come from the file's name (KMK232 'zfcfc') or its
    recorded history (a warming sweep after cooling in its field is FC); else they are
    'warming sweep 1', 'warming sweep 2'."""
    kmk = mpms_file("mpms3_dc_zfcfc_KMK232_100Oe.dat").read_bytes()
    labels = [s.label for s in split_sweeps(read(kmk, filename="kmk232.dat"))]
    assert labels == ["warming sweep 1", "warming sweep 2"]
    up = synthetic_mt(step=1e-5)
    twice = np.concatenate([up.moment_Am2, synthetic_mt(step=1e-5, seed=1).moment_Am2])
    t = np.concatenate([up.temperature_K, up.temperature_K])
    assert [s.label for s in split_sweeps(mt_table(t, twice))] == [
        "warming sweep 1",
        "warming sweep 2",
    ]
    # warming, cooling in the same 10 Oe (recorded), warming again: field-cooled by its history;
    # the first shields 5x the FC one at 5 K: zero-field cooled
    t3 = np.concatenate([up.temperature_K, up.temperature_K[::-1], up.temperature_K])
    m3 = np.concatenate([up.moment_Am2, np.full(t.size // 2, -2e-6), np.full(t.size // 2, -3e-6)])
    labels = [s.label for s in split_sweeps(mt_table(t3, m3))]
    assert labels == ["ZFC", "FC cooling", "FC"]
    from fluxtrap.magnetometry.pipeline import tc_source_note

    said = tc_source_note(["warming sweep 2"], ["warming sweep 1: no transition"])
    assert said.startswith("the tc objectives are read off the warming sweep 2, not a ZFC")


def test_a_zfc_sweep_is_told_from_an_fc_sweep_by_its_shielding():
    """Unnamed and without a recorded cooling, the warming sweep shielding more at its coldest is
    the ZFC one (shielding after zero-field cooling exceeds the Meissner expulsion of field
    cooling), in either order; two alike sweeps stay unlabelled (the test above)."""
    zfc, fc = synthetic_mt(step=1e-5), synthetic_mt(step=1e-6, seed=1)  # FC expels 10 %
    t = np.concatenate([zfc.temperature_K, fc.temperature_K])
    for first, second, labels in ((zfc, fc, ["ZFC", "FC"]), (fc, zfc, ["FC", "ZFC"])):
        m = np.concatenate([first.moment_Am2, second.moment_Am2])
        assert [s.label for s in split_sweeps(mt_table(t, m))] == labels
    paramagnet = np.concatenate([-zfc.moment_Am2, -fc.moment_Am2])  # no shielding: no label
    labels = [s.label for s in split_sweeps(mt_table(t, paramagnet))]
    assert labels == ["warming sweep 1", "warming sweep 2"]


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
    sweep = split_sweeps(  # noise only
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
    fit = fit_creep(t, A_PUB - B_PUB * np.log(t))  # no kink: the clock starts at the origin
    assert fit.origin_from == "clock" and fit.warnings == ()
    assert fit.a_T == pytest.approx(A_PUB, rel=1e-10) and fit.b_T == pytest.approx(B_PUB, rel=1e-9)
    for at in (3600.0, 3 * 86400.0, 3e7):
        analytic = B_PUB / ((A_PUB - B_PUB * np.log(at)) * at) * 3600 * 1e6
        assert fit.decay_ppm_per_h(at) == pytest.approx(analytic, rel=1e-9)
        assert fit.rate(at) == pytest.approx(B_PUB / (A_PUB - B_PUB * np.log(at)), rel=1e-9)
    # numerical derivative of the model agrees with the closed form
    at, h = 86400.0, 1.0
    dbdt = (fit.field(at + h) - fit.field(at - h)) / (2 * h)
    assert -dbdt / fit.field(at) * PPM_H == pytest.approx(fit.decay_ppm_per_h(at), rel=1e-6)


def test_creep_fit_repr_rounds_a_and_b_at_their_sigmas():
    """The repr printed a to 6 digits and b to 4 whatever their 1-sigma: "(3.40387 ± 0.0013)",
    two digits past the error's. Each is now rounded at its sigma's second digit
    (``units.estimate_text``); a sigma of 0 leaves the value bare."""
    t = np.geomspace(10, 1e4, 50)
    fit = fit_creep(t, 3.4 - 0.055 * np.log(t), column="B_T")
    cov = np.diag([0.0013**2, 0.0021**2])
    shown = repr(dataclasses.replace(fit, a_T=3.40387123, b_T=0.0551234, cov=cov))
    assert shown.startswith("<CreepFit B_T(t) = (3.4039 ± 0.0013) - (0.0551 ± 0.0021) ln t [T,")
    bare = repr(dataclasses.replace(fit, a_T=3.40387123, b_T=0.0551234, cov=np.zeros((2, 2))))
    assert bare.startswith("<CreepFit B_T(t) = (3.40387) - (0.05512) ln t [T,")


def test_creep_values_outside_the_data_warn_and_rows_at_the_origin_are_counted():
    """Read off the fit before its first point (10 s) or four decades past its last (1e5 s =
    1.16 d: 0.1 ppm/h "after 1.058e4 d"), a value came without a caveat, and a row at t = 0 was
    left out without a word (201 rows, "200 points"). The numbers stay; the extrapolation is
    named (CreepExtrapolationWarning, ``extrapolation``) and the rows left out are counted."""
    t = np.concatenate([[0.0], np.geomspace(10, 1e5, 200)])
    b = np.concatenate([[3.5], 3.0 - 0.05 * np.log(t[1:])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the fit itself warns of nothing
        fit = fit_creep(t, b, source="t0.csv", column="B_T")
        without = fit_creep(t[1:], b[1:], source="t0.csv", column="B_T")
        assert fit.time_to_reach_ppm_per_h(1000.0) < 1e5  # inside the data: no warning
    assert (fit.a_T, fit.b_T, fit.n_points) == (without.a_T, without.b_T, 200)
    assert (fit.n_before_origin, without.n_before_origin) == (1, 0)
    assert fit.to_dict()["n_before_origin"] == 1
    assert fit.extrapolation(10.0, "--at") == fit.extrapolation(1e6, "--at") == ""
    assert fit.extrapolation(1.0, "--at") == (
        "t0.csv [B_T]: t = 1 s (--at) lies before the first point fitted (10 s): extrapolated; "
        "nothing measured says the field relaxed as ln t there"
    )
    assert "lies 1 decades past" in fit.extrapolation(1.0001e6, "--at")
    said = (
        "t0.csv [B_T]: t = 9.145e+08 s = 1.058e+04 d (0.1 ppm/h reached) lies 3.96 decades past "
        "the last point fitted (1e+05 s = 1.16 d): extrapolated"
    )
    with pytest.warns(CreepExtrapolationWarning, match=re.escape(said)):
        assert fit.time_to_reach_ppm_per_h(0.1) == pytest.approx(9.145e8, rel=1e-3)


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


@pytest.mark.parametrize("n", [10, 20, 40, 100])
def test_the_decay_rate_of_power_law_creep_is_read_at_the_series_end(n):
    """E = E0 (J/Jc)^n relaxes as B ~ t^(-1/(n-1)) (reference/analytic.md): over 100..36,000 s
    B = a - b ln t averages its falling dB/d ln t and gave the decay at the end 47%, 18%, 8.1%,
    3.1% high for n = 10, 20, 40, 100 (2754 +- 18 for 2564 ppm/h at n = 40) without a word. The
    local rate from the interpolation formula B_end (1 + kappa ln(t/t_end))^(-S/kappa), which
    holds the power law (kappa = 0) and ln t (kappa = -S) exactly, is within 2 of its 1-sigma
    and 0.3% of S/t (measured |z| < 1.1), and the ln t one is said to be off."""
    s_true = 1 / (n - 1)
    t = np.geomspace(100, 36000, 200)
    b = 1.2 * (t / 100) ** -s_true + np.random.default_rng(n).normal(0, 1e-4, t.size)
    with pytest.warns(CreepCurvatureWarning, match="local decay rate there"):
        fit = fit_creep(t, b, origin_s=0.0)
    truth = s_true / t[-1] * PPM_H
    assert abs(fit.end_decay_ppm_per_h() - truth) < 2 * fit.end_decay_sigma_ppm_per_h()
    assert fit.end_decay_ppm_per_h() == pytest.approx(truth, rel=3e-3)
    assert fit.decay_ppm_per_h(t[-1]) > truth * (1 + 0.5 / n)  # ln t's: b's average, high
    assert fit.to_dict()["end_decay_ppm_per_h"] == pytest.approx(fit.end_decay_ppm_per_h())


@pytest.mark.parametrize("n", [10, 20, 40])
def test_the_time_to_0_1_ppm_per_h_of_power_law_creep_has_an_honest_range(n):
    """The MRI criterion on power-law creep (B ~ t^(-1/(n-1)), 100..36,000 s; 0.1 ppm/h is
    reached at t = 3.6e10 / (n - 1) s): B = a - b ln t said 1.63e4 d (1-sigma 1.62e4..1.65e4) for
    the true 1.07e4 d at n = 40, 1.2e5 d for 2.2e4 d at n = 20, never at n = 10. Going on from
    the end's local S and curvature its 1-sigma range holds the truth, within 0.5%."""
    s_true = 1 / (n - 1)
    t = np.geomspace(100, 36000, 200)
    b = 1.2 * (t / 100) ** -s_true + np.random.default_rng(n).normal(0, 1e-4, t.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CreepCurvatureWarning)
        fit = fit_creep(t, b, origin_s=0.0)
    truth = s_true * PPM_H / 0.1
    found, lo, hi = fit.end_time_to_reach_ppm_per_h(0.1)
    assert lo <= truth <= hi and found == pytest.approx(truth, rel=5e-3)
    assert hi / lo < 1.05  # a measured curvature, not a guess


def test_the_time_to_0_1_ppm_per_h_of_a_short_ln_t_series_owns_it_cannot_tell_the_curvature():
    """Three hours of the published ln t relaxation (noise 1 mT) end 5.6 decades before it
    reaches 0.1 ppm/h (2094.8 d): ln t's own range was +-2%; from the end's local S and curvature
    the range holds the truth in 50-90% of 40 seeds (measured 72%) and spans a factor of ~2.4,
    as little as the data say about how the decay curves. Noise-free, it is ln t's 2094.83 d."""
    from scipy.optimize import brentq

    truth = np.exp(
        brentq(lambda ln: B_PUB / ((A_PUB - B_PUB * ln) * np.exp(ln)) * PPM_H - 0.1, 0, 40)
    )
    t = np.geomspace(60, 3 * 3600, 50)
    clean = A_PUB - B_PUB * np.log(t)
    assert fit_creep(t, clean, origin_s=0.0).end_time_to_reach_ppm_per_h(0.1)[0] == pytest.approx(
        truth, rel=1e-6
    )
    inside, widths = [], []
    for seed in range(40):
        noise = np.random.default_rng(seed).normal(0, 1e-3, t.size)
        _, lo, hi = fit_creep(t, clean + noise, origin_s=0.0).end_time_to_reach_ppm_per_h(0.1)
        inside.append(lo <= truth <= hi)
        widths.append(hi / lo)
    assert 0.5 <= np.mean(inside) <= 0.9 and np.median(widths) > 1.5


def test_the_decay_of_power_law_creep_a_day_and_a_year_on_covers_the_truth():
    """n = 40 power-law creep measured 100..36,000 s (noise 0.1 mT): read off B = a - b ln t the
    decay at 1 d and 1 y was 8.8% and 21% high, 8 and 23 of its 1-sigma. Carried on from the
    end's local S and curvature it is within 2 of its 1-sigma and 0.5% of S / t; at the end it
    is end_decay_ppm_per_h."""
    t = np.geomspace(100, 36000, 200)
    b = 1.2 * (t / 100) ** (-1 / 39) + np.random.default_rng(40).normal(0, 1e-4, t.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CreepCurvatureWarning)
        fit = fit_creep(t, b, origin_s=0.0)
    for at in (86400.0, 3.156e7):
        truth = PPM_H / 39 / at
        rate, sigma = fit.end_decay_at(at)
        assert abs(rate - truth) < 2 * sigma and rate == pytest.approx(truth, rel=5e-3)
        assert fit.decay_ppm_per_h(at) > 1.05 * truth  # ln t's
    assert fit.end_decay_at(fit.t_end_s) == pytest.approx(
        (fit.end_decay_ppm_per_h(), fit.end_decay_sigma_ppm_per_h()), rel=1e-9
    )


def test_the_local_decay_rate_of_ln_t_creep_is_that_of_ln_t():
    """The published B = 1.046 - 4.8e-3 ln t: the local rate at the end is b / (B t) (to 1e-9
    without noise); with noise 2e-4 T its 1-sigma covers the truth in 26 of 30 seeds, its 2-sigma
    in 29 (normal: 68%, 95%), and no curvature is said."""
    t = np.geomspace(10, 1e5, 300)
    clean = A_PUB - B_PUB * np.log(t)
    truth = B_PUB / (clean[-1] * t[-1]) * PPM_H
    assert fit_creep(t, clean, origin_s=0.0).end_decay_ppm_per_h() == pytest.approx(truth, rel=1e-9)
    z = []
    for seed in range(30):
        with warnings.catch_warnings():
            warnings.simplefilter("error", CreepCurvatureWarning)
            noise = np.random.default_rng(seed).normal(0, 2e-4, t.size)
            fit = fit_creep(t, clean + noise, origin_s=0.0)
        z.append((fit.end_decay_ppm_per_h() - truth) / fit.end_decay_sigma_ppm_per_h())
    assert np.mean(np.abs(z) < 2) >= 0.85 and 0.5 <= np.mean(np.abs(z) < 1) <= 0.95


def test_readings_that_share_a_time_but_differ_are_named():
    """Two probes (1.0 - 5e-3 ln t and 0.8 - 4e-3 ln t) logged alternately on one clock, each
    time twice: fitted as one series (their mean, b 4.5e-3 T, residual rms 0.097 T) without a
    word; now a RepeatedMeasurementWarning, kept in the fit's warnings, counts them and says how
    far apart the readings at one time are (0.198 T at 10 s). A file pasted after itself is still
    only 'repeat an earlier one', and distinct times say nothing."""
    t = np.repeat(np.round(np.geomspace(10, 1e5, 150), 3), 2)
    b = np.where(np.arange(t.size) % 2 == 0, 1.0 - 5e-3 * np.log(t), 0.8 - 4e-3 * np.log(t))
    with pytest.warns(RepeatedMeasurementWarning, match=r"300 of 300 samples share their time"):
        fit = fit_creep(t, b, origin_s=0.0, source="two.csv")
    assert any("differ by up to 0.198 T, at 10 s" in w for w in fit.warnings)
    once = np.round(np.geomspace(10, 1e5, 150), 3)
    twice = np.concatenate([once, once])
    with pytest.warns(RepeatedMeasurementWarning) as caught:
        fit_creep(twice, np.concatenate([1.0 - 5e-3 * np.log(once)] * 2), origin_s=0.0)
    assert [str(w.message) for w in caught if "share their time" in str(w.message)] == []
    with warnings.catch_warnings():
        warnings.simplefilter("error", RepeatedMeasurementWarning)
        assert fit_creep(once, 1.0 - 5e-3 * np.log(once), origin_s=0.0).warnings == ()


def _ou_noise(rng, t, tau_s, sigma_T):
    """Ornstein-Uhlenbeck noise (correlation exp(-|dt| / tau)) of standard deviation sigma at t."""
    x = np.empty(t.size)
    x[0] = rng.normal()
    for i in range(1, t.size):
        phi = np.exp(-(t[i] - t[i - 1]) / tau_s)
        x[i] = phi * x[i - 1] + np.sqrt(1 - phi**2) * rng.normal()
    return sigma_T * x


@pytest.mark.parametrize("log", [False, True])
def test_creep_error_bars_cover_the_truth_in_correlated_noise(log):
    """A probe whose reading wanders (noise correlated over 1000 s, plus white noise half its
    size) on a day's series sampled evenly or evenly in ln t: the 1-sigma of the decay rate at the
    last point covered the true rate in 58% (even) and 10% (ln t) of 60 seeds, the 2-sigma in 78%
    and 25%, as the covariance took the noise as independent. With the residual noise modelled
    (white + Ornstein-Uhlenbeck) 1-sigma covers 50-90% and 2-sigma at least 85% (measured over
    200 seeds: 70%/95% even, 56%/92% ln t), and the fit says how much wider its error bars are
    (median 1.6x even, 5.3x ln t)."""
    t = np.linspace(10, 1e5, 200) if log is False else np.geomspace(10, 1e5, 200)
    truth = B_PUB / ((A_PUB - B_PUB * np.log(t[-1])) * t[-1]) * PPM_H
    z, factors = [], []
    for seed in range(60):
        rng = np.random.default_rng(seed)
        noise = _ou_noise(rng, t, 1000.0, 2e-4) + rng.normal(0, 1e-4, t.size)
        fit = fit_creep(t, A_PUB - B_PUB * np.log(t) + noise, origin_s=0.0)
        z.append((fit.decay_ppm_per_h(t[-1]) - truth) / fit.decay_sigma_ppm_per_h(t[-1]))
        factors.append(fit.to_dict()["sigma_factor"])
    z = np.abs(z)
    assert 0.5 <= np.mean(z < 1) <= 0.9 and np.mean(z < 2) >= 0.85
    assert np.median(factors) > 1.5


def test_creep_error_bars_of_independent_noise_stay_those_of_least_squares():
    """White noise: the noise model finds no correlation and the covariance is the plain
    least-squares one (scaled by the residual variance), to 5%."""
    t = np.geomspace(10, 1e5, 300)
    rng = np.random.default_rng(3)
    b = A_PUB - B_PUB * np.log(t) + rng.normal(0, 2e-4, t.size)
    fit = fit_creep(t, b, origin_s=0.0)
    x = np.column_stack([np.ones_like(t), np.log(t)])
    resid = b - x @ np.linalg.lstsq(x, b, rcond=None)[0]
    plain = np.linalg.inv(x.T @ x) * (resid @ resid / (t.size - 2))
    assert np.sqrt(fit.cov[1, 1]) == pytest.approx(np.sqrt(plain[1, 1]), rel=0.05)
    assert fit.sigma_factor == pytest.approx(1.0, abs=0.05)


def test_creep_error_bars_of_a_few_points_cover_the_truth():
    """Four readings of a relaxation (10 s .. 1e4 s): the noise's scale is estimated from two
    degrees of freedom, and the Gaussian 1-sigma covered the true b and decay rate in 58% of
    seeds (3 points: 51%). With Student's t factor (1.32 for 2 dof) 68% (binomial 1-sigma of
    600 seeds: 1.9%)."""
    t = np.geomspace(10, 1e4, 4)
    truth = B_PUB / ((A_PUB - B_PUB * np.log(t[-1])) * t[-1]) * PPM_H
    b_in, rate_in = [], []
    for seed in range(600):
        noise = np.random.default_rng(seed).normal(0, 2e-4, t.size)
        fit = fit_creep(t, A_PUB - B_PUB * np.log(t) + noise, origin_s=0.0)
        b_in.append(abs(fit.b_T - B_PUB) < np.sqrt(fit.cov[1, 1]))
        rate_in.append(abs(fit.decay_ppm_per_h(t[-1]) - truth) < fit.decay_sigma_ppm_per_h(t[-1]))
    assert np.mean(b_in) == pytest.approx(0.683, abs=0.05)
    assert np.mean(rate_in) == pytest.approx(0.683, abs=0.05)


def test_the_noise_model_does_not_flip_on_a_change_of_1e_12_t():
    """ln t with white noise (200 points, 10..1e4 s, 0.1 mT): Nelder-Mead, started at the grid's
    white point, could stop at white 1 - 1e-9 for a likelihood gain of 1e-10, so a 1e-12 T change
    of the data flipped the model to 'correlated over 2.19e4 s' (``creep`` printed that row) and
    sent the end fit to model its own residuals. Correlated noise now needs a likelihood gain of
    ``NOISE_GAIN`` over independent noise; a real correlation (below) still gains hundreds."""
    t = np.geomspace(10, 1e4, 200)
    b = 1.0 - 0.01 * np.log(t) + np.random.default_rng(48).normal(0, 1e-4, t.size)
    nudged = b + 1e-12 * np.random.default_rng(1002).standard_normal(t.size)
    fits = [fit_creep(t, x, origin_s=0.0) for x in (b, nudged)]
    assert [(f.noise_white, f.noise_tau_s) for f in fits] == [(1.0, 0.0)] * 2
    np.testing.assert_allclose(fits[0].end_cov, fits[1].end_cov, rtol=1e-6)
    drift = 3e-4 * np.sin(t / 700)  # a probe's temperature wandering over ~1000 s
    tau, white = noise_model(t, drift + np.random.default_rng(1).normal(0, 1e-4, t.size))
    assert white < 0.5 and 100 < tau < 1e4


def test_a_week_logged_every_second_gets_its_noise_model_in_seconds():
    """6e5 samples (1 Hz for a week) with noise correlated over 300 s: the noise model's
    likelihood over the whole series took 46 s; over 4 windows of 5000 points 1.4 s, and it
    finds the correlation time within 30% (305 s median over 30 seeds of 1e5 points, 1-sigma
    coverage 70%, 2-sigma 93%)."""
    from scipy.signal import lfilter

    t = np.arange(1.0, 6e5 + 1)
    rng = np.random.default_rng(5)
    phi = np.exp(-1 / 300.0)
    noise = 2e-4 * lfilter([np.sqrt(1 - phi**2)], [1, -phi], rng.normal(size=t.size))
    start = perf_counter()
    fit = fit_creep(t, A_PUB - B_PUB * np.log(t) + noise + rng.normal(0, 1e-4, t.size), origin_s=0)
    assert perf_counter() - start < 15
    assert fit.noise_tau_s == pytest.approx(300.0, rel=0.3) and fit.sigma_factor > 5


def test_the_time_to_0_1_ppm_per_h_comes_with_a_1_sigma_range_that_covers_the_truth():
    """The MRI criterion (< 0.1 ppm/h) was said as one time with no uncertainty. Its 1-sigma
    range (the first times |decay| -+ its 1-sigma fall below 0.1 ppm/h) holds the true time (2094.8 d for the
    published a, b) in 50-90% of 80 noisy 3-hour series (measured 73% over 200), and its width
    matches the scatter of the times found within 25% (1-sigma of ln t 0.021 vs 0.020)."""
    from scipy.optimize import brentq

    truth = np.exp(
        brentq(lambda ln: B_PUB / ((A_PUB - B_PUB * ln) * np.exp(ln)) * PPM_H - 0.1, 0, 40)
    )
    t = np.geomspace(60, 3 * 3600, 50)
    found, ranges = [], []
    for seed in range(80):
        noise = np.random.default_rng(seed).normal(0, 1e-3, t.size)
        fit = fit_creep(t, A_PUB - B_PUB * np.log(t) + noise, origin_s=0.0)
        with pytest.warns(CreepExtrapolationWarning):
            found.append(fit.time_to_reach_ppm_per_h(0.1))
        ranges.append(fit.time_to_reach_range(0.1))
    lo, hi = np.array(ranges).T
    assert 0.5 <= np.mean((lo <= truth) & (truth <= hi)) <= 0.9
    assert np.median(np.log(hi / lo)) / 2 == pytest.approx(np.std(np.log(found)), rel=0.25)
    # a field that barely creeps (57 +- 89 ppm/h at its first point, 10 s): the time is its first
    # point, and the range runs from there to when the upper 1-sigma falls below 0.1 ppm/h
    t = np.geomspace(10, 1e5, 200)
    noise = np.random.default_rng(1).normal(0, 1e-5, t.size)
    fit = fit_creep(t, 1 - 1e-7 * np.log(t) + noise, origin_s=0.0)
    lo, hi = fit.time_to_reach_range(0.1)
    assert lo == pytest.approx(10.0) and 1e4 < hi < 1e5
    band = fit.decay_ppm_per_h(hi) + fit.decay_sigma_ppm_per_h(hi)
    assert band == pytest.approx(0.1, rel=1e-6)


def test_the_creep_figure_shows_the_residuals_and_the_rate_with_its_error(tmp_path, monkeypatch):
    """The figure had one panel (no residuals, where structure ln t cannot explain shows) and the
    decay at --at without its 1-sigma. Now a residual panel holds B - fit at each point (equal to
    the noise added, within 1e-12 T) and the legend says "<rate> ± <sigma> ppm/h"."""
    import matplotlib.figure

    from fluxtrap.magnetometry import plots

    saved = []

    def save(fig, path, **kwargs):
        saved.append(fig)
        path.touch()

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", save)
    t = np.geomspace(10, 1e5, 100)
    noise = np.random.default_rng(0).normal(0, 2e-4, t.size)
    fit = fit_creep(t, A_PUB - B_PUB * np.log(t) + noise, origin_s=0.0)
    plots.creep(t, A_PUB - B_PUB * np.log(t) + noise, fit, 86400.0, tmp_path / "c.png")
    top, resid = saved[0].axes
    y = resid.lines[0].get_ydata()
    expected = noise - (fit.field(t) - (A_PUB - B_PUB * np.log(t)))
    np.testing.assert_allclose(y, expected, atol=1e-12)
    # value and 1-sigma with matching digits ("886 ± 2.6" had disagreed), a and b with their unit
    rate = estimate_text(fit.decay_ppm_per_h(86400.0), fit.decay_sigma_ppm_per_h(86400.0))
    sa, sb = np.sqrt(np.diag(fit.cov))
    line = f"a = {estimate_text(fit.a_T, sa)} T, b = {estimate_text(fit.b_T, sb)} T"
    legend = [x.get_text() for x in top.get_legend().get_texts()]
    assert any(f"{rate} ppm/h at 1 d" in x for x in legend), legend
    assert any(x.endswith(line) for x in legend), legend


def test_creep_figure_goes_to_a_file_or_a_buffer(tmp_path):
    """A file is written whole under its own name (PDF by its suffix); a buffer (the demo
    report's inline figure) gets a PNG."""
    import io

    from fluxtrap.magnetometry import plots

    t = np.geomspace(10, 1e5, 50)
    fit = fit_creep(t, A_PUB - B_PUB * np.log(t), origin_s=0.0)
    buffer = io.BytesIO()
    plots.creep(t, A_PUB - B_PUB * np.log(t), fit, None, buffer)
    plots.creep(t, A_PUB - B_PUB * np.log(t), fit, None, tmp_path / "c.pdf")
    assert buffer.getvalue()[:4] == b"\x89PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["c.pdf"]
    assert (tmp_path / "c.pdf").read_bytes()[:4] == b"%PDF"


def test_creep_origin_from_applied_field():
    """A simulate-style series: ramp 1 T -> 0 over 100 s, then relaxation; t counts from the end of the ramp."""
    time = np.r_[np.linspace(0, 100, 11), 100 + np.geomspace(1, 1e5, 200)]
    applied = np.r_[np.linspace(1, 0, 11), np.zeros(200)]
    b = np.r_[np.linspace(0.2, 1.0, 11), A_PUB - B_PUB * np.log(time[11:] - 100)]
    csv = (
        "time_s,applied_T,center_Bz_T,surface_Bz_T\n"
        + "\n".join(
            f"{x:.10g},{y:.10g},{z:.10g},{z / 2:.10g}"
            for x, y, z in zip(time, applied, b, strict=True)
        )
        + "\n"
    )
    ts, bs, ap, col = read_series(csv.encode(), column="center_Bz_T", filename="probes.csv")
    fit = fit_creep(ts, bs, applied_T=ap, column=col)
    # fitted from 50 tau on, tau = b / ramp slope = 4.8e-3 T / 8e-3 T/s (the relaxation's bend)
    assert fit.origin_s == pytest.approx(100.0) and fit.t_start_s >= 30.0
    assert fit.n_points == np.sum(time[11:] - 100 >= 30.0)
    assert fit.b_T == pytest.approx(B_PUB, rel=1e-6)
    with pytest.raises(Exception, match="several field columns"):
        read_series(csv.encode(), filename="probes.csv")


def test_an_applied_field_that_only_holds_gives_no_origin():
    """A hold recorded from 30 s after the ramp's end, with an applied_T column at 0 T (and its
    readback noise) throughout: its first sample was taken as the origin, so every t was 30 s
    short and b came out 15 % low (with a residual warning). The column holds no ramp end: the
    origin is sought as without it (here the clock's zero, which relaxes as ln t over decades),
    or refused."""
    t = np.geomspace(30, 3e4, 150)
    b = A_PUB - B_PUB * np.log(t)
    applied = np.random.default_rng(3).normal(0, 2e-5, t.size)
    fit = fit_creep(t, b, applied_T=applied)
    assert fit.origin_from == "clock" and fit.origin_s == 0.0
    assert fit.b_T == pytest.approx(B_PUB, rel=1e-6)
    late = 1000.0 + t  # the clock started 1000 s before the ramp's end: nothing to go on
    with pytest.raises(AnalysisError, match="cannot find the end of the field removal"):
        fit_creep(late, b, applied_T=applied)


def test_creep_origin_from_applied_field_in_a_log_written_newest_first():
    """The same series with its rows in reverse time order has the same origin (was the earliest
    time: the applied field's "final value" was taken from the last row, not the latest time)."""
    time = np.r_[np.linspace(0, 100, 11), 100 + np.geomspace(1, 1e5, 200)]
    applied = np.r_[np.linspace(1, 0, 11), np.zeros(200)]
    b = np.r_[np.linspace(0.2, 1.0, 11), A_PUB - B_PUB * np.log(time[11:] - 100)]
    fit = fit_creep(time[::-1], b[::-1], applied_T=applied[::-1])
    assert fit.origin_s == pytest.approx(100.0) and fit.n_points == np.sum(time[11:] - 100 >= 30)
    assert fit.b_T == pytest.approx(B_PUB, rel=1e-6) and fit.warnings == ()


def test_creep_origin_from_a_sparsely_logged_applied_field_lies_between_samples():
    """A log every 60 s of a 1 T -> 0 ramp that ends at 200 s (between the samples at 180 and
    240 s): the origin was the first sample at 0 T, 240 s, and b came out 2 % low with a residual
    warning. The ramp's line reaches 0 T at 200 s (``probetable.ramp_end``, as calibrate's)."""
    time = np.arange(0.0, 3e4, 60.0)
    applied = np.clip(1 - time / 200, 0, None)
    b = np.where(time > 200, A_PUB - B_PUB * np.log(np.maximum(time - 200, 1)), 1.0)
    fit = fit_creep(time, b, applied_T=applied)
    assert fit.origin_from == "applied" and fit.origin_s == pytest.approx(200.0, abs=1e-9)
    assert fit.b_T == pytest.approx(B_PUB, rel=1e-9) and fit.warnings == ()


def test_creep_too_few_points():
    with pytest.raises(AnalysisError, match="needs at least 3"):
        fit_creep(np.array([0.0, 1.0, 2.0]), np.array([1.0, 0.9, 0.8]))
    # a log whose clock counts down to the field removal: the refusal shows its times
    with pytest.raises(AnalysisError, match=r"origin \(0 s; the times run -100\.\.-1 s\)"):
        fit_creep(np.array([-100.0, -50.0, -1.0]), np.array([1.0, 0.99, 0.98]))


def test_creep_says_which_rows_without_a_value_it_left_out():
    """Rows with a NaN time or field were dropped without a word (only n_points showed it): now
    counted and named in the result and its note, the fit that of the series without them, and
    refused when fewer than 3 rows remain."""
    t = np.geomspace(10, 1e5, 300)
    b = A_PUB - B_PUB * np.log(t) + np.random.default_rng(1).normal(0, 1e-4, t.size)
    gappy_t, gappy_b = t.copy(), b.copy()
    gappy_b[[5, 6, 100]] = np.nan
    gappy_t[200] = np.nan
    with pytest.warns(MissingSamplesWarning, match=r"4 of 300 rows .* rows 6, 7, 101, 201 \(1 = "):
        fit = fit_creep(gappy_t, gappy_b, origin_s=0.0, source="hall.csv")
    keep = np.isfinite(gappy_t) & np.isfinite(gappy_b)
    alone = fit_creep(t[keep], b[keep], origin_s=0.0)
    assert (fit.a_T, fit.b_T, fit.n_points) == (alone.a_T, alone.b_T, 296)
    assert fit.n_dropped == 4 and fit.dropped_rows == (6, 7, 101, 201)
    assert (
        fit.to_dict()["n_dropped"] == 4
        and f"t = {t[5]:.6g}, {t[6]:.6g}, {t[100]:.6g}, none s" in fit.warnings[0]
    )
    few = np.full(t.size, np.nan)
    few[:2] = 1.0
    with (
        pytest.warns(MissingSamplesWarning),
        pytest.raises(AnalysisError, match=r"298 of 300 rows .* 2 rows remain, a creep fit needs"),
    ):
        fit_creep(t, few, origin_s=0.0, source="hall.csv")


def test_creep_notes_of_one_row_are_singular():
    """'1 of 300 rows have', '1 of 301 samples repeat' and, with nothing dropped, '; 2 rows
    remain' (the note's place left empty): now 'has', 'repeats' and 'hall.csv: 2 rows remain'."""
    t = np.geomspace(10, 1e5, 300)
    b = A_PUB - B_PUB * np.log(t)
    one = b.copy()
    one[7] = np.nan
    with pytest.warns(MissingSamplesWarning, match=r"hall.csv: 1 of 300 rows has no finite time"):
        fit_creep(t, one, origin_s=0.0, source="hall.csv")
    with pytest.warns(RepeatedMeasurementWarning, match=r"1 of 301 samples repeats an earlier"):
        fit_creep(np.r_[t, t[7]], np.r_[b, b[7]], origin_s=0.0, source="hall.csv")
    with pytest.raises(AnalysisError, match=r"^hall.csv: 2 rows remain, a creep fit needs"):
        fit_creep(t[:2], b[:2], origin_s=0.0, source="hall.csv")


def test_creep_of_a_field_that_does_not_change():
    """A probe reading 0 T throughout is refused by name; an exactly constant field (b = 0) never
    decays, so the decay rate is below any threshold from the start (was a ZeroDivisionError)."""
    t = np.geomspace(1, 1e4, 50)
    with pytest.raises(AnalysisError, match=r"hall.csv \[B_T\]: the field is 0 at all 50 points"):
        fit_creep(t, np.zeros(t.size), source="hall.csv", column="B_T")
    # without an origin: said so, where its residuals (1e-16 T) were "structure" of 212 % of b
    with pytest.raises(AnalysisError, match=r"hall.csv: the field is 0.5 T at all 50 points: no"):
        fit_creep(t, np.full(t.size, 0.5), source="hall.csv")
    fit = fit_creep(t, np.full(t.size, 0.5), origin_s=0.0)
    fit = dataclasses.replace(fit, b_T=0.0)
    assert fit.time_to_reach_ppm_per_h(0.1) == pytest.approx(1.0)


def _drift_time(a_T: float, b_T: float, ppm_h: float) -> float:
    """t (s) at which |b| / |a - b ln t| / t = ppm_h, by fixed-point iteration (converges: the
    log term varies slowly)."""
    t = 1.0
    for _ in range(200):
        t = abs(b_T) * 3600e6 / ppm_h / abs(a_T - b_T * np.log(t))
    return t


@pytest.mark.parametrize(
    ("a_T", "b_T", "grows"),
    [(1.0, -1e-3, True), (-1.0, 1e-3, True), (-1.0, -1e-2, False), (1.0, 1e-2, False)],
)
def test_the_time_to_0_1_ppm_per_h_is_that_of_the_drift_either_way(a_T, b_T, grows):
    """A field that grows as ln t (b against a's sign) had a negative decay rate, below 0.1 ppm/h
    from the first point: "decay < 0.1 ppm/h (MRI) after 10 s" of a field drifting 1800 ppm/h.
    Now the drift's magnitude counts, and the fit says the field grows."""
    t = np.geomspace(10, 2000, 100)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fit = fit_creep(t, a_T - b_T * np.log(t), origin_s=0.0, source="hall.csv")
    said = [w for w in seen if issubclass(w.category, FieldGrowsWarning)]
    assert len(said) == grows and any("grows in magnitude" in n for n in fit.warnings) == grows
    assert fit.time_to_reach_ppm_per_h(0.1) == pytest.approx(_drift_time(a_T, b_T, 0.1), rel=1e-6)


def test_a_creep_too_slow_to_stop_within_1e30_s_searches_no_further():
    """b / a = 3e-6 put the search's end at ln t = a/b - 1 = 3.3e5: exp overflowed (a numpy
    warning on the CLI) before the answer; the search now ends at 1e30 s."""
    t = np.geomspace(10, 1e4, 60)
    fit = fit_creep(t, 3.0 - 1e-5 * np.log(t), origin_s=0.0, source="hall.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CreepExtrapolationWarning)  # 1.2e5 s: past the data
        warnings.simplefilter("error", RuntimeWarning)
        assert fit.time_to_reach_ppm_per_h(0.1) == pytest.approx(
            _drift_time(3.0, 1e-5, 0.1), rel=1e-6
        )
        with pytest.raises(AnalysisError, match="never falls below 1e-30 ppm/h"):
            fit.time_to_reach_ppm_per_h(1e-30)


def hall_logger(rate_T_h=4.8, b_T=0.0136, dt_s=10.0, hold_s=3 * 86400, noise_T=1e-4, seed=0):
    """A Hall-probe logger series on the clock of the field removal (7 T -> 0 at ``rate_T_h``):
    the probe holds 7 T until the front arrives, follows the ramp down to 2.9 T when the applied
    field reaches zero at t0, then relaxes as 2.9 - b ln(1 + (t - t0)/tau) with tau = b / rate
    (its slope continuous at t0, as a magnet's is). Returns (time_s, B_T, t0_s, tau_s)."""
    k = rate_T_h / 3600
    t0, tau = 7.0 / k, b_T / k
    t = np.arange(0, t0 + hold_s, dt_s)
    ramp = np.minimum(7.0, 2.9 + k * (t0 - t))
    relax = 2.9 - b_T * np.log1p(np.maximum(t - t0, 0) / tau)
    b = np.where(t <= t0, ramp, relax) + np.random.default_rng(seed).normal(0, noise_T, t.size)
    return t, b, t0, tau


def true_decay_ppm_h(at_s, b_T, tau_s):
    """-dB/dt / B of 2.9 - b ln(1 + t/tau) at t = ``at_s`` after the origin, in ppm/h."""
    return b_T / (at_s + tau_s) / (2.9 - b_T * np.log1p(at_s / tau_s)) * PPM_H


@pytest.mark.parametrize(
    "rate_T_h, dt_s, hold_s, noise_T",
    [
        (4.8, 10.0, 3 * 86400, 1e-4),
        (4.8, 1.0, 6000, 1e-4),
        (1.0, 30.0, 86400, 3e-4),
        (20.0, 5.0, 20000, 1e-5),
    ],
)
def test_creep_origin_found_in_a_logger_series_with_the_ramp(rate_T_h, dt_s, hold_s, noise_T):
    """Before: the whole series fitted from the clock's zero (b = 0.26 T per ln t, 1398 ppm/h,
    no warning, for the first case). Now the origin is found within tau + 3 samples of the true
    end of the ramp, b within 1.5% (over a 6000 s hold the fitted 50 tau..600 tau still see ln(1 + t/tau)
    bend: b 1.2% and the decay 1.0% low; 0.1% for the 3-day hold) and the decay at the end within
    1.5%, and no residual warning. Their 1-sigma now covers the truth: the noise's alone was 0.03%
    of the decay (0.2-1% off: in none of 10 seeds of each case); the change of (a, b) fitted from
    2 tau + 2 samples earlier (the relaxation's own start) is in the covariance (10 of 10)."""
    t, b, t0, tau = hall_logger(rate_T_h, dt_s=dt_s, hold_s=hold_s, noise_T=noise_T)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CreepResidualWarning)
        fit = fit_creep(t, b)
    assert fit.origin_from == "data"
    assert t0 <= fit.origin_s <= t0 + tau + 3 * dt_s
    assert fit.b_T == pytest.approx(0.0136, rel=0.015)
    at = t[-1] - t0
    assert fit.decay_ppm_per_h(at) == pytest.approx(true_decay_ppm_h(at, 0.0136, tau), rel=0.015)
    assert fit.warnings == ()
    late = t[-1] - fit.origin_s  # the series' end on the fit's clock
    error = fit.decay_ppm_per_h(late) - true_decay_ppm_h(at, 0.0136, tau)
    assert abs(error) < fit.decay_sigma_ppm_per_h(late) < 4 * abs(error) + 1e-3
    assert abs(fit.b_T - 0.0136) < np.sqrt(fit.cov[1, 1])
    assert fit.origin_shift_s > 2 * tau and fit.to_dict()["origin_moves_ab_T"][1] > 0


@pytest.mark.parametrize(
    "rate_T_h, dt_s, hold_s, noise_T", [(4.8, 1.0, 6000, 1e-4), (1.0, 30.0, 86400, 3e-4)]
)
def test_creep_origin_from_applied_field_fits_the_relaxation_not_its_bend(
    rate_T_h, dt_s, hold_s, noise_T
):
    """The logger series with its applied field logged: the origin from applied_T is exact, but
    the fit ran from t = 0, where the relaxation 2.9 - b ln(1 + t/tau) still bends from the
    ramp's rate: b was 3.0 and 1.06 sigma low (its 1-sigma covered the truth in 0 and 13% of 30
    seeds). Now from 50 tau on, as for an origin found in the data, with the change of (a, b)
    fitted from 2 tau earlier in the covariance: |z| 0.50 (100% of 30 seeds; the origin given:
    the same)."""
    k = rate_T_h / 3600
    for seed in range(8):
        t, b, t0, tau = hall_logger(rate_T_h, dt_s=dt_s, hold_s=hold_s, noise_T=noise_T, seed=seed)
        fit = fit_creep(t, b, applied_T=np.maximum(7.0 - k * t, 0.0))
        assert fit.origin_from == "applied" and fit.origin_s == pytest.approx(t0, abs=1e-6)
        assert fit.t_start_s == pytest.approx(50 * tau, rel=0.05)
        assert abs(fit.b_T - 0.0136) < np.sqrt(fit.cov[1, 1]) < 5 * abs(fit.b_T - 0.0136)
        at = t[-1] - t0
        error = fit.decay_ppm_per_h(at) - true_decay_ppm_h(at, 0.0136, tau)
        assert abs(error) < fit.decay_sigma_ppm_per_h(at)


def hold_logger(law, tau_s, n=20, b_T=0.0136, dt_s=2.0, hold_s=4000, noise_T=1e-4, seed=0):
    """A logger that starts one sample before the ramp's end (t0 = 500 s): its applied_T column
    has the ramp's last step, the probe's ramp is not in the series. The probe relaxes from the
    ramp's rate, a - b ln(1 + t/tau) (``law`` "lnt", 2.9 T - b ...) or the power law of E ~ J^n,
    2.9 T (1 + t/tau)^(-1/(n-1)). Returns (time_s, B_T, applied_T, t0_s, the true local decay
    rate (ppm/h) at a time after t0 as a function)."""
    t0 = 500.0
    time = np.arange(t0 - dt_s, t0 + hold_s, dt_s)
    x = np.maximum(time - t0, 0.0)
    if law == "lnt":
        field = 2.9 - b_T * np.log1p(x / tau_s)

        def decay(t):
            return b_T / (t + tau_s) / (2.9 - b_T * np.log1p(t / tau_s)) * PPM_H
    else:
        field = 2.9 * (1 + x / tau_s) ** (-1 / (n - 1))

        def decay(t):
            return 1 / (n - 1) / (t + tau_s) * PPM_H

    field = field + np.random.default_rng(seed).normal(0, noise_T, time.size)
    applied = np.maximum(0.0, (t0 - time) * 1e-3)
    return time, field, applied, t0, decay


@pytest.mark.parametrize("law, tau_s", [("lnt", 10.0), ("power", 3.0)])
def test_an_origin_from_applied_t_without_the_probe_s_ramp_covers_the_relaxation_s_bend(law, tau_s):
    """The origin from applied_T is exact, but the probe's ramp is not in the series, so no tau =
    b / ramp slope: the fit ran from t = 0, where the relaxation still bends from the ramp's rate
    (a - b ln t from tau before the origin: the origin is tau late for ln t). ln t, tau 10 s: b
    4.2% low, -3.5 sigma, the truth within 2 sigma in 0 of 6 seeds; power law (n = 20, tau 3 s):
    the local decay at the end 3.7% high, +2.8 sigma, 0 of 6. Now tau is found from the bend
    (``bend_tau``: ln |B| quadratic in ln(t + tau)) and the fit runs from 50 tau (or where a
    decade is left) with 2 tau's change in cov, as for a ramp in the series: b 0.8% low, -0.5
    sigma, the decay within 0.01%, 6 of 6 each."""
    inside = []
    for seed in range(6):
        time, field, applied, t0, decay = hold_logger(law, tau_s, seed=seed)
        fit = fit_creep(time, field, applied_T=applied)
        assert fit.origin_from == "applied" and fit.origin_s == pytest.approx(t0)
        assert fit.origin_shift_s == pytest.approx(2 * tau_s, rel=0.1)
        if law == "lnt":
            inside.append(abs(fit.b_T - 0.0136) < 2 * np.sqrt(fit.cov[1, 1]))
        else:
            rate, sigma = fit.end_decay_ppm_per_h(), fit.end_decay_sigma_ppm_per_h()
            inside.append(abs(rate - decay(fit.t_end_s)) < 2 * sigma)
    assert sum(inside) >= 5, inside
    # no bend: ln t and the power law from the origin itself are fitted from it, as before
    time, field, applied, t0, _ = hold_logger(law, 1e-9)
    fit = fit_creep(time, field, applied_T=applied)
    assert (fit.t_start_s, fit.origin_shift_s) == (pytest.approx(2.0), 0.0)


def test_the_removal_end_is_not_read_off_a_window_cut_by_the_series_end():
    """A noise-free series (a simulated trace: ramp 1e-3 T/s ending at 5000 s, then b = 0.01 T
    per e-fold, tau = 10 s) sampled every 0.5 s for 2e5 s: the window after t = 1.64e5 s ran past
    the data, its last samples' slope was rounding (4e-11 T/s), a "1700x drop", and the removal's
    end was put at 2.05e5 s (the fit then had 1 point). Only windows inside the data count now:
    11.5 s late, within tau + 2 samples + the 5-point slope's half width."""
    b, rate, end = 0.01, 1e-3, 5000.0
    time = np.arange(0, end + 2e5, 0.5)
    relax = 1.0 - b * np.log1p(np.maximum(time - end, 0) / (b / rate))
    field = np.where(time < end, 1.0 + rate * (end - time), relax)
    assert 0 <= removal_end(time, field) - end <= b / rate + 2 * 0.5 + 1.0
    assert fit_creep(time, field).b_T == pytest.approx(b, rel=2e-3)


def test_creep_fitted_over_the_ramp_warns():
    """Forcing the origin at the clock's zero (the old behaviour) fits the ramp too: it warns."""
    t, b, _, _ = hall_logger()
    with pytest.warns(CreepResidualWarning, match="the residuals are not noise"):
        fit = fit_creep(t, b, origin_s=0.0, source="hall.csv")
    assert fit.b_T > 0.2 and "hall.csv" in fit.warnings[0]


def test_creep_warns_on_a_temperature_drift():
    """A correct origin but a 2 mT step-like drift (a cryocooler hiccup) half way in ln t."""
    t, b, t0, _ = hall_logger()
    b = b - 2e-3 / (1 + np.exp(-(np.log(np.maximum(t - t0, 1)) - 8) * 4))
    with pytest.warns(CreepResidualWarning, match="temperature drift"):
        fit_creep(t, b, origin_s=t0)


def test_creep_refuses_without_an_origin():
    """Still on the ramp at the end of the series, or an absolute (epoch) clock: no origin."""
    t, b, t0, _ = hall_logger(hold_s=0)
    with pytest.raises(AnalysisError, match="cannot find the end of the field removal.*--origin"):
        fit_creep(t, b, source="ramp.csv")
    tt = np.geomspace(10, 1e5, 200)
    with pytest.raises(AnalysisError, match="cannot find the end of the field removal"):
        fit_creep(1.7e9 + tt, A_PUB - B_PUB * np.log(tt))
    with pytest.raises(AnalysisError, match="cannot find the end"):
        removal_end(np.arange(5.0), np.ones(5))


@pytest.mark.parametrize("end_K", [36.0, 37.25, 38.0, 39.0])
@pytest.mark.parametrize("noise", [0.0, 1e-8])
def test_sweep_ending_inside_the_transition_is_an_analysis_error(end_K, noise):
    """Midpoint 38 K, width 0.5 K: a sweep that stops before ~39.5 K has no normal-state plateau.

    Before: a scipy ValueError ("Initial guess is outside of provided bounds") for most, and a
    wrong Tc (29.5 K for 36.9 K) for the noise-free sweep ending at 37.25 K.
    """
    t = np.linspace(5, end_K, 600 if noise == 0 else 30)
    with pytest.raises(
        AnalysisError, match="inside the transition|ends at .* before the normal state is reached"
    ):
        tc_from_table(synthetic_mt(38.0, noise=noise, t=t))


def test_creep_series_names_a_magnetometer_file_given_for_a_series(mpms_file):
    """A real MPMS3 .dat given to `fluxtrap creep` was a 'stray delimiter' error on a header
    line; it is named as what it is, with the commands that read it."""
    path = mpms_file("mpms3_vsm_mh_film-S1_5K.dat")
    with pytest.raises(InputFileError, match=r"S1_5K\.dat: a Quantum Design \.dat .*fluxtrap jc"):
        read_series(path)


def test_a_missing_or_folder_series_is_named_a_series(tmp_path):
    """A series path that did not exist or was a folder was called a 'magnetometer file'."""
    with pytest.raises(InputFileError, match=r"nope\.csv: no such trapped-field series$"):
        read_series(tmp_path / "nope.csv")
    with pytest.raises(InputFileError, match="not a regular file; a trapped-field series must be"):
        read_series(tmp_path)


def test_creep_series_refuses_oe_as_tesla_stray_delimiters_and_twin_columns():
    """Before: 13600 'T' read as 13 600 T, '2,1,359' as 1 T, and twin B_T columns as 'choose one'."""
    with pytest.raises(
        InputFileError,
        match=r"h\.csv, line 2, column 'B_T': .*in Oe or G \(1e4 per T: up to 1.36 T\)",
    ):
        read_series(b"time_s,B_T\n1,13600\n2,13590\n3,13585\n", filename="h.csv")
    with pytest.raises(InputFileError, match=r"h\.csv, line 3: 3 cells for 2 named"):
        read_series(b"time_s,B_T\n1,1.36\n2,1,359\n3,1.358\n", filename="h.csv")
    with pytest.raises(InputFileError, match=r"column 'B_T' appears twice"):
        read_series(b"time_s,B_T,B_T\n1,1.36,1\n2,1.359,1\n", filename="h.csv")


def test_a_hall_series_in_mt_labelled_tesla_is_named_as_mt():
    """A Hall series of a 0.5 T trapped field written in mT under 'B_T' read as 500 T and was
    refused with only 'is the column in Oe but labelled T?' (Oe would be 0.05 T). The refusal
    names mT first, from the values' magnitude (1e3 per T: 0.5 T; Oe or G, 1e4: 0.05 T), and the
    label to give; an MPMS sweep's 7e4 'T' names Oe first; the file read as labelled with it."""
    series = b"time_s,B_T\n1,500.2\n2,499.8\n3,499.5\n"
    with pytest.raises(InputFileError) as err:
        read_series(series, filename="h.csv")
    said = str(err.value)
    assert "h.csv, line 2, column 'B_T'" in said
    assert said.index("in mT (1e3 per T: up to 0.5 T)") < said.index("in Oe or G (1e4 per T")
    assert "Label it with its unit ('B_mT')" in said
    fixed = read_series(series.replace(b"B_T", b"B_mT"), filename="h.csv")[1]
    assert fixed.max() == pytest.approx(0.5002)
    with pytest.raises(
        InputFileError, match=r"in Oe or G \(1e4 per T: up to 7 T\) or in mT .*'B \(Oe\)'"
    ):
        read_series(b"t (s),B (T)\n1,70000\n2,69000\n", filename="h.csv")


def test_creep_series_column_naming_the_time_is_refused():
    """--column time_s was read as the field (B(t) = t, in 'T'): silent for a series under 100 s."""
    with pytest.raises(InputFileError, match=r"h\.csv, line 1: column 'time_s' is a time column"):
        read_series(b"time_s,B_T\n1,1.36\n2,1.359\n3,1.358\n", column="time_s", filename="h.csv")


def test_creep_series_cut_in_its_last_row_leaves_the_row_out_and_warns():
    """A logger file copied while written ends inside its last number: '2.7621' read as '2.7',
    an outlier at the fit's longest time (a's 1-sigma 4.5x on a day's series), with no word.
    The row is now left out with a TruncatedFileWarning naming the file and line, as the
    magnetometer readers do; a complete last line is read."""
    text = b"time_s,B_T\n100,2.8\n200,2.79\n300,2.7"
    with pytest.warns(TruncatedFileWarning, match=r"^h\.csv: left out line 4, the last"):
        time, field, _, _ = read_series(text, filename="h.csv")
    assert time.tolist() == [100, 200] and field.tolist() == [2.8, 2.79]
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncatedFileWarning)
        time, _, _, _ = read_series(text + b"\r\n", filename="h.csv")
    assert time.tolist() == [100, 200, 300]


def test_creep_series_pasted_after_itself_counts_each_sample_once():
    """A logger file with its rows written twice: every 1-sigma of the fit was 0.707x, with no
    word. The repeats are now dropped and named in a RepeatedMeasurementWarning and the fit's
    warnings; the fit and its uncertainty are the single series'."""
    t, b, t0, _ = hall_logger(dt_s=60.0, hold_s=86400, noise_T=1e-5)
    once = fit_creep(t, b, origin_s=t0, start_s=600.0)
    with pytest.warns(RepeatedMeasurementWarning, match=r"h\.csv: 1528 of 3056 samples repeat"):
        twice = fit_creep(np.r_[t, t], np.r_[b, b], origin_s=t0, start_s=600.0, source="h.csv")
    assert twice.n_points == once.n_points
    assert np.sqrt(twice.cov[0, 0]) == pytest.approx(np.sqrt(once.cov[0, 0]), rel=1e-9)
    assert twice.b_T == pytest.approx(once.b_T, rel=1e-12)
    assert "repeat an earlier one" in twice.warnings[0]


@pytest.mark.parametrize(
    ("header", "t_scale", "b_scale"),
    [("time_ms,B_uT", 1e3, 1e6), ("t (min);B (mT)", 1 / 60, 1e3), ("t (h)\tB (G)", 1 / 3600, 1e4)],
)
def test_a_series_in_other_units_and_delimiters_reads_the_same(header, t_scale, b_scale):
    """Milliseconds and microtesla as column suffixes (time_ms was taken for date-times and
    refused as "not an ISO 8601 date-time"; B_uT had no unit), minutes with mT separated by
    semicolons, hours with gauss by tabs: all read back to the same s and T within 1e-12."""
    t = np.geomspace(10, 1e5, 30)
    b = A_PUB - B_PUB * np.log(t)
    sep = ";" if ";" in header else "\t" if "\t" in header else ","
    rows = "".join(
        f"{x * t_scale:.17g}{sep}{y * b_scale:.17g}\n" for x, y in zip(t, b, strict=True)
    )
    time, field, applied, _ = read_series((header + "\n" + rows).encode(), filename="hall.csv")
    assert applied is None
    np.testing.assert_allclose(time, t, rtol=1e-12)
    np.testing.assert_allclose(field, b, rtol=1e-12)


def test_a_series_whose_time_goes_back_is_refused_naming_the_line():
    """Times 0, 2, 1, 3 s were sorted without a word, and compare and calibrate fitted the
    interleaved rows (a logger's clock reset, or two series joined). A file pasted after itself
    still reads (its repeats are dropped later, with a warning)."""
    with pytest.raises(
        InputFileError, match=r"s\.csv, line 4: time goes back, from 2 s \(line 3\)"
    ):
        read_series(b"time_s,B_T\n0,1.0\n2,0.9\n1,0.8\n3,0.7\n", filename="s.csv")
    rows = b"0,1.0\n2,0.9\n3,0.8\n"
    time, field, _, _ = read_series(b"time_s,B_T\n" + rows + rows, filename="s.csv")
    assert time.tolist() == [0, 2, 3, 0, 2, 3] and field.size == 6


def test_arrays_whose_time_goes_back_are_refused_as_a_file_is():
    """fit_creep sorted arrays whose clock reset half-way (a logger restarted, or two series
    joined in code) and fitted the interleaved runs: b 0.0139 +- 0.0005 T for 0.0223 on a
    simulated disk, no word; now refused naming the row, as read_series refuses such a file.
    Newest first and a series pasted after itself still fit, to the same b."""
    time = np.r_[np.linspace(0, 100, 11), 100 + np.geomspace(1, 1e5, 200)]
    applied = np.r_[np.linspace(1, 0, 11), np.zeros(200)]
    b = np.r_[np.linspace(0.2, 1.0, 11), A_PUB - B_PUB * np.log(time[11:] - 100)]
    reset = time.copy()
    reset[111:] -= reset[111]
    with pytest.raises(ValidationError, match=r"hall: time goes back at row 112, from .* to 0 s"):
        fit_creep(reset, b, applied_T=applied, source="hall")
    fit = fit_creep(time, b, applied_T=applied)
    assert fit_creep(time[::-1], b[::-1], applied_T=applied[::-1]).b_T == fit.b_T
    with pytest.warns(RepeatedMeasurementWarning):
        twice = fit_creep(np.r_[time, time], np.r_[b, b], applied_T=np.r_[applied, applied])
    assert twice.b_T == pytest.approx(fit.b_T, rel=1e-12)


def test_tc_of_a_sweep_in_celsius_is_refused():
    """A table built in code with degC as K: before, Tc = -236.1 K; now refused when the table
    is built, as a file's would be."""
    t = np.linspace(5, 60, 221)
    table = synthetic_mt(t=t)
    with pytest.raises(
        InputFileError, match=r"c\.dat, line 1, column 'temperature_K': -268.1 K is below absolute"
    ):
        mt_table(table.temperature_K - 273.15, table.moment_Am2, name="c.dat")
    sweep = Sweep("ZFC", 0, t.size, table.temperature_K - 273.15, table.moment_Am2, 0.01)
    with pytest.raises(ValidationError, match=r"ZFC: temperatures down to -268.1 K.*degC"):
        find_tc(sweep)  # a sweep built in code, past the table's check


def test_tc_of_a_table_without_a_temperature_column_says_so():
    """'Temperature (C)' (coulomb to pint) is not read as a temperature: the error named a
    "temperature span nan K" after a numpy All-NaN warning; now the reader refuses it naming the
    column, and a table whose columns give no temperature is told so by split_sweeps."""
    t, m = synthetic_mt().temperature_K, synthetic_mt().moment_Am2
    rows = "\n".join(f"{a:.6g},100,{b * 1e3:.6g}" for a, b in zip(t, m, strict=True))
    with pytest.raises(InputFileError, match=r"column 'Temperature \(C\)': named as the temp"):
        read(
            f"Temperature (C),Magnetic Field (Oe),Moment (emu)\n{rows}".encode(), filename="mt.csv"
        )
    table = read(f"Sensor (C),Magnetic Field (Oe),Moment (emu)\n{rows}".encode(), filename="mt.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(
            AnalysisError, match=r"mt.csv: no temperatures: .*moment from 'Moment \(emu\)'"
        ):
            split_sweeps(table)


def test_zfc_fc_split_with_an_empty_first_temperature_cell():
    """An empty temperature cell (NaN) in the first row of a CSV made monotone_segments compare
    against NaN, so no sweep ever started: ZFC and FC were fitted as one 'sweep'."""
    zfc, fc = synthetic_mt(step=1e-5), synthetic_mt(step=2e-6, seed=1)
    rows = [
        f"{t:.6g},0.001,{m:.8g}"
        for sw in (zfc, fc)
        for t, m in zip(sw.temperature_K, sw.moment_Am2, strict=True)
    ]
    rows[0] = "," + rows[0].split(",", 1)[1]
    table = read(("T (K),B_T,m_Am2\n" + "\n".join(rows) + "\n").encode(), filename="zfcfc.csv")
    sweeps = split_sweeps(table)
    assert [(s.label, len(s)) for s in sweeps] == [("ZFC", 221), ("FC", 221)]
    assert find_tc(sweeps[1]).step_Am2 == pytest.approx(2e-6, rel=0.05)


def test_tc_of_a_sweep_in_a_negative_field():
    """Shielding opposes the field: at -10 Oe the shielded moment is positive. It was refused
    as 'not significant'; now the same Tc as at +10 Oe, the fitted model on the data."""
    pos = synthetic_mt()
    neg = MeasurementTable.from_arrays(
        -pos.field_T, -pos.moment_Am2, TableMetadata("neg.dat", "MPMS3", "VSM"),
        temperature_K=pos.temperature_K,
    )  # fmt: skip
    (sweep,) = split_sweeps(neg)
    r, ref = find_tc(sweep), find_tc(split_sweeps(pos)[0])
    assert r.tc_K == pytest.approx(ref.tc_K, abs=1e-9) and r.step_Am2 == pytest.approx(
        -1e-5, rel=0.01
    )
    np.testing.assert_allclose(r.model(sweep.temperature_K), sweep.moment_Am2, atol=5e-8)


def test_an_oscillating_temperature_is_not_thousands_of_sweeps():
    """A temperature swinging by 4 K every 12 points split into one sweep per swing, each fitted
    (~10 ms): 1666 for 20 000 rows took 16 s, a 10^6-line file ~15 min. Now refused past 100."""
    k = np.arange(2400)
    t = 40 + 2 * np.abs(k % 24 - 12) + 1e-4 * k
    table = mt_table(t, -1e-6 / (1 + np.exp(t - 52)), name="zig.csv")
    with pytest.raises(AnalysisError, match=r"zig.csv: 200 temperature sweeps .* at most 100"):
        split_sweeps(table)


def test_a_wide_series_reads_the_same_table_in_memory_that_follows_the_columns_read():
    """Every cell of a series file was kept as text (10x the file's size with 60 note columns);
    only the time, field and applied-field columns are kept now (keep=, as the .dat reader)."""
    import tracemalloc

    n, extra = 3000, 60
    t = np.arange(1, n + 1)
    b = 1 - 1e-3 * np.log(t)
    narrow = "time_s,applied_T,B_T\n" + "".join(
        f"{x},0,{y:.10g}\n" for x, y in zip(t, b, strict=True)
    )
    wide = f"time_s,{','.join(f'note{j}' for j in range(extra))},applied_T,B_T\n" + "".join(
        f"{x},{','.join(f'v{x}_{j}' for j in range(extra))},0,{y:.10g}\n"
        for x, y in zip(t, b, strict=True)
    )
    want = read_series(narrow.encode(), filename="narrow.csv")
    data = wide.encode()
    tracemalloc.start()
    try:
        got = read_series(data, filename="wide.csv")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    for a, w in zip(got[:3], want[:3], strict=True):
        np.testing.assert_array_equal(a, w)
    assert got[3] == want[3] == "B_T"
    assert peak < 5 * len(data), f"{peak / len(data):.1f} x the file's size"


def _shielded_at(level, t, s):
    """By hand: the highest temperature (K) where the shielded fraction ``s`` (falling with
    ``t``) reaches ``level``, linear between the two points around it."""
    k = int(np.flatnonzero(s < level)[0])
    return float(np.interp(level, [s[k], s[k - 1]], [t[k], t[k - 1]]))


@pytest.mark.parametrize("tail, hand_K", [(0.3, 83.33), (0.2, 85.0), (0.1, 89.46)])
def test_a_shielding_tail_below_the_step_is_named(tail, hand_K):
    """A sharp step at 91 K carrying 1 - tail of the shielding, the rest growing linearly from
    90 K down to 80 K (weak links): 90% of the whole shielding is reached at 83.33 K (30% tail),
    85.0 K (20%), 89.46 K (10%), by hand. The one-step fit takes the tail into its baseline slope
    and said 89.98 +- 0.06, 90.17 +- 0.04 and 90.28 +- 0.02 K, with no warning. Now it is named
    (how much of the step, down to where); a Curie upturn below the step (which rises instead)
    and a clean step still pass without one."""
    from fluxtrap.magnetometry.tc import TcStructureWarning

    t = np.linspace(70, 100, 301)
    s = (1 - tail) / (1 + np.exp((t - 91) / 0.3)) + tail * np.clip((90 - t) / 10, 0, 1)
    assert _shielded_at(0.9, t, s) == pytest.approx(hand_K, abs=0.01)
    m = -1e-5 * s + np.random.default_rng(0).normal(0, 1e-8, t.size)
    with pytest.warns(TcStructureWarning, match=r"shielding keeps growing .* by \d+% .* to 70 K"):
        (res,) = tc_from_table(mt_table(t, m))
    assert res.tc_K > hand_K + 0.5 and "broad tail" in res.warnings[-1]
    wide = np.linspace(5, 300, 600)
    curie = synthetic_mt(t=wide).moment_Am2 + 9e-5 / wide
    with warnings.catch_warnings():
        warnings.simplefilter("error", TcStructureWarning)
        (clean,) = tc_from_table(synthetic_mt())
        (upturn,) = tc_from_table(mt_table(wide, curie))
    assert clean.warnings == () and upturn.warnings == ()
    assert upturn.tc_K == pytest.approx(expected_tc("shielded"), abs=0.25)


@pytest.mark.parametrize(
    "tail, hand_K, named",
    [(0.05, 90.130, True), (0.1, 89.462, True), (0.02, 90.271, False), (0.01, 90.308, False)],
)
def test_a_small_shielding_tail_is_named_when_it_moves_tc_beyond_its_error(tail, hand_K, named):
    """The step and tail of the test above with a 5% tail: 90% of the whole shielding at
    90.130 K by hand, the fit said 90.311 +- 0.007 K (0.18 K, 25x its 1-sigma) with no word: the
    fitted step's own foot (4.7% unshielded at Tm - 3w) tilted the line below it by -2.3% of
    the step, hiding tails up to that. The step is now taken out first, and a tail over 3% of
    the step (a background curved under the step reads as up to 1.4%) is named when it moves Tc
    by over twice its 1-sigma and 0.05 K, with that shift estimated (the logistic read at
    0.9 (1 + tail/step)) within 30% of the hand one for 5% (0.21 for 0.18 K); the 10% tail's
    crossing lies in the tail itself: 1.3 K said for 0.81 K, so only 'within 0.5-2x' is
    asserted. Tails of 1% and 2% (0.03 and 0.06 K) are not named."""
    from fluxtrap.magnetometry.tc import TcStructureWarning

    t = np.linspace(70, 100, 301)
    s = (1 - tail) / (1 + np.exp((t - 91) / 0.3)) + tail * np.clip((90 - t) / 10, 0, 1)
    assert _shielded_at(0.9, t, s) == pytest.approx(hand_K, abs=0.001)
    m = -1e-5 * s + np.random.default_rng(0).normal(0, 1e-8, t.size)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (res,) = tc_from_table(mt_table(t, m))
    notes = [str(w.message) for w in caught if w.category is TcStructureWarning]
    bias = res.tc_K - hand_K
    if not named:
        assert notes == [] and res.warnings == ()
        return
    assert bias > max(2 * res.tc_err_K, 0.05)  # the hand bias is over the threshold
    assert len(notes) == 1 and res.warnings == tuple(notes)
    shift = float(re.search(r"lies about ([\d.]+) K lower", notes[0]).group(1))
    if tail < 0.1:
        assert shift == pytest.approx(bias, rel=0.3)
    else:
        assert 0.5 * bias < shift < 2 * bias


def test_a_loggers_date_time_clock_and_applied_field_column_are_read():
    """A Hall-probe logger's file: ISO 8601 date-times and 'B (T)', 'Applied field (mT)'. It was
    'no time column', and the applied column (not named applied_T) was one field column too
    many. The clock counts from its first row, the applied column gives the origin: the fit is
    that of the same series in seconds (the ramp ends 100 s in, at 10:01:40 UTC+1)."""
    import datetime as dt

    t = np.r_[np.linspace(0, 100, 11), 100 + np.geomspace(1, 3e4, 200)]
    applied = np.r_[np.linspace(1, 0, 11), np.zeros(200)]
    b = np.r_[np.linspace(0.2, 1.0, 11), A_PUB - B_PUB * np.log(t[11:] - 100)]
    start = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    rows = [
        f"{(start + dt.timedelta(seconds=float(ti))).isoformat()},{bi:.12g},{ai * 1e3:.12g}"
        for ti, bi, ai in zip(t, b, applied, strict=True)
    ]
    text = "timestamp,B (T),Applied field (mT)\n" + "\n".join(rows) + "\n"
    ts, bs, ap, col = read_series(text.encode(), filename="logger.csv")
    np.testing.assert_allclose(ts, t, atol=1e-6)  # microseconds in the ISO text
    assert col == "B (T)" and ap is not None and np.allclose(ap, applied)
    fit = fit_creep(ts, bs, applied_T=ap)
    assert fit.origin_from == "applied" and fit.origin_s == pytest.approx(100.0, abs=1e-6)
    assert fit.b_T == pytest.approx(B_PUB, rel=1e-6)
    bad = text.replace(rows[5].split(",")[0], "5 Dec 2026 10:00", 1)
    with pytest.raises(InputFileError, match=r"logger\.csv, line 7, column 'timestamp': '5 Dec"):
        read_series(bad.encode(), filename="logger.csv")
    # a stamp without its zone (+01:00) was read as UTC: an hour late, with no word
    naive = text.replace(rows[150].split(",")[0], rows[150].split(",")[0][:-6], 1)
    said = (
        r"logger\.csv, line 152, column 'timestamp': '2026-12-05T.*' has no time zone where line 2"
    )
    with pytest.raises(InputFileError, match=said):
        read_series(naive.encode(), filename="logger.csv")
    utc = text.replace("+01:00", "Z")  # zoned throughout, Z for UTC: the same clock
    np.testing.assert_allclose(read_series(utc.encode(), filename="logger.csv")[0], t, atol=1e-6)


def test_repeated_rows_of_an_mt_file_are_counted_once_and_keep_the_sweep_labels():
    """A ZFC and an FC sweep with their comment labels, every row written twice: each point
    counted twice made the Tc 1-sigma 0.70x the plain file's. Now the results equal the plain
    file's, the labels stay at their sweeps, and each result names the repeats."""
    zfc, fc = synthetic_mt(noise=1e-7, seed=1), synthetic_mt(noise=1e-7, seed=2)
    t = np.r_[zfc.temperature_K, fc.temperature_K]
    m = np.r_[zfc.moment_Am2, fc.moment_Am2]
    n = t.size
    comments = ((0, "ZFC"), (n // 2, "FC"))
    plain = MeasurementTable.from_arrays(
        np.full(n, 0.001), m, zfc.metadata, temperature_K=t, comments=comments
    )
    twice = MeasurementTable.from_arrays(
        np.full(2 * n, 0.001),
        np.repeat(m, 2),
        zfc.metadata,
        temperature_K=np.repeat(t, 2),
        comments=tuple((2 * r, text) for r, text in comments),
    )
    expected = tc_from_table(plain)
    with pytest.warns(RepeatedMeasurementWarning, match=f"{n} of {2 * n} rows repeat"):
        got = tc_from_table(twice)
    assert [r.sweep for r in got] == [r.sweep for r in expected] == ["ZFC", "FC"]
    for g, e in zip(got, expected, strict=True):
        assert (g.tc_K, g.tc_err_K) == pytest.approx((e.tc_K, e.tc_err_K), rel=1e-9)
        assert g.warnings[0].startswith(f"sc.dat: {n} of {2 * n} rows repeat")


@pytest.mark.parametrize(
    "time_s, field_T, applied_T",
    [
        ([], [], None),  # was ValueError: zero-size array to reduction operation fmin
        (np.arange(1.0, 11), np.ones(5), None),  # was ValueError: operands could not be broadcast
        (np.arange(1.0, 11), np.ones(10), np.zeros(4)),
        (np.ones((2, 5)), np.ones((2, 5)), None),
    ],
)
def test_fit_creep_names_arrays_it_cannot_fit(time_s, field_T, applied_T):
    with pytest.raises(
        ValidationError, match=r"hall\.csv: time_s, field_T \(and applied_T\) must be 1-D"
    ):
        fit_creep(
            np.asarray(time_s),
            np.asarray(field_T),
            applied_T=applied_T,
            origin_s=0.0,
            source="hall.csv",
        )


@pytest.mark.parametrize("order", ["M(T) first", "M(H) first"])
def test_the_m_t_rows_of_a_file_that_also_holds_an_m_h_loop_give_tc(order):
    """An M(T) sweep (10 mT) and an M(H) loop (5 K) in one .dat: Tc is read off the rows held at
    one field, 38 - 0.5 ln 9 K within 3 sigma; the file had been refused as 'an M(H) loop (field
    span 14 T), not an M(T) curve'. The note names the M(T) rows' lines."""
    import io

    from fluxtrap.magnetometry.jc import kim
    from fluxtrap.magnetometry.pipeline import derive_tc
    from fluxtrap.magnetometry.synthetic import synthetic_mh_loop, write_qd_dat

    mt = synthetic_mt()
    t, m = mt.temperature_K, mt.moment_Am2
    loop = synthetic_mh_loop(kim(2e9, 1.0), 0.5e-3, 1.2e-3, 2.8e-3, n_points=21)
    parts = [(np.full(t.size, 0.01), m, t), (loop.field_T, loop.moment_Am2, loop.temperature_K)]
    if order == "M(H) first":
        parts.reverse()
    b, mm, tt = (np.concatenate(x) for x in zip(*parts, strict=True))
    table = MeasurementTable.from_arrays(
        b, mm, TableMetadata("both.dat", "MPMS3", "VSM"), temperature_K=tt, time_s=np.arange(b.size)
    )
    text = io.StringIO()
    write_qd_dat(table, text)
    metadata, curves, (result,) = derive_tc(text.getvalue().encode(), "both.dat")
    assert abs(result.tc_K - (38 - 0.5 * LN9)) <= 3 * result.tc_err_K
    assert metadata["field_T"] == pytest.approx(0.01)
    (first, last), *_ = (
        map(int, found.groups())
        for w in result.warnings
        if (found := re.search(r"lines (\d+)-(\d+)", w))
    )
    assert last - first == t.size - 1
    assert (first < 100) == (order == "M(T) first")


def test_the_held_field_rows_at_1_t_with_readback_jitter_are_one_sweep():
    """An M(T) sweep at 1 T whose field readback jitters by +-2 Oe, then an M(H) loop: all 221
    held-field rows are the sweep (a 1 Oe tolerance at every field had kept 13 of them)."""
    from fluxtrap.magnetometry.jc import kim
    from fluxtrap.magnetometry.synthetic import synthetic_mh_loop
    from fluxtrap.magnetometry.tc import held_field_part

    t = np.linspace(5, 60, 221)
    jitter = 2e-4 * np.random.default_rng(0).uniform(-1, 1, t.size)
    loop = synthetic_mh_loop(kim(2e9, 1.0), 0.5e-3, 1.2e-3, 2.8e-3, n_points=21)
    table = MeasurementTable.from_arrays(
        np.r_[1.0 + jitter, loop.field_T],
        np.r_[-1e-5 / (1 + np.exp((t - 38) / 0.5)), loop.moment_Am2],
        TableMetadata("j.dat", "MPMS3", "VSM"),
        temperature_K=np.r_[t, loop.temperature_K],
    )
    part, note = held_field_part(table)
    assert len(part) == t.size and "101 rows, left out" in note


def test_a_plain_series_is_read_at_once_as_line_by_line(monkeypatch):
    """A logger's series at 1 Hz for 11 days (1M rows) was split and converted cell by cell
    (200k rows: 7.7 s); a plain one is read by pandas' C parser (1.9 s), the same arrays value
    for value; an empty field cell (gaps=True: NaN, else refused naming its line) still goes the
    line-by-line way."""
    from fluxtrap.magnetometry import creep

    t = np.arange(3000) * 2.0
    rows = [f"{x:.8g},{1 - 0.01 * np.log1p(x):.10g},0" for x in t]
    content = ("time_s,B_T,applied_T\n" + "\n".join(rows) + "\n").encode()
    split = creep.split_rows
    calls = []
    monkeypatch.setattr(
        creep,
        "split_rows",
        lambda lines, *a, **k: (calls.append(len(lines)), split(lines, *a, **k))[1],
    )
    fast = creep.read_series(content, filename="s.csv")
    assert calls == [1]  # the header only
    rows[7] = "14,,0"  # line 9
    gap = ("time_s,B_T,applied_T\n" + "\n".join(rows) + "\n").encode()
    assert np.isnan(creep.read_series(gap, filename="g.csv", gaps=True)[1][7])
    with pytest.raises(InputFileError, match=r"g.csv, line 9, column 'B_T': empty cell"):
        creep.read_series(gap, filename="g.csv")
    monkeypatch.setattr(creep, "numeric_block", lambda *a, **k: None)
    slow = creep.read_series(content, filename="s.csv")
    for a, b in zip(fast[:3], slow[:3], strict=True):
        np.testing.assert_array_equal(a, b)
    assert fast[3] == slow[3] == "B_T"


def test_a_step_refused_as_too_noisy_says_which_rule():
    """A logistic step under noise a fifth of it (200 points, 5-50 K) was refused as 'the drop
    (0.942 ± 0.066 emu) is not significant', a 14-sigma drop: the refusal now says it is under
    5 noise widths of one point, the rule that refused it."""
    rng = np.random.default_rng(0)
    t = np.linspace(5, 50, 200)
    m = -1e-3 / (1 + np.exp((t - 36.0) / 1.0)) + 1e-7 * t + rng.normal(0, 2e-4, t.size)
    with pytest.raises(AnalysisError) as err:
        find_tc(Sweep("ZFC", 0, t.size, t, m, 0.01))
    said = str(err.value)
    step, step_err = map(float, re.search(r"\(([\d.]+) ± ([\d.]+) emu\)", said).groups())
    assert step > 10 * step_err  # significant by its own 1-sigma: the reason must be the noise
    assert "is not significant: under 5 times the noise of one point (0.2 emu)" in said, said


def test_a_series_column_chosen_without_a_unit_asks_for_its_unit():
    """--column B (no unit in its name) said "unit '' is not a field unit (expected something
    convertible to A/m)": it now says the column has no unit and how to write one."""
    with pytest.raises(InputFileError) as err:
        read_series(b"time_s,B\n1,0.5\n2,0.49\n3,0.48\n", column="B", filename="h.csv")
    said = str(err.value)
    assert "h.csv, line 1: column 'B' has no unit in its name" in said
    assert "'B (mT)', 'B [mT]' or B_T" in said and "unit ''" not in said
    header = said[said.index("'B (mT)'") :].split(" (units")[0]
    for written in re.findall(r"'([^']+)'|(\w+)$", header):
        fixed = b"time_s," + "".join(written).encode() + b"\n1,0.5\n2,0.49\n"
        assert read_series(fixed, column="".join(written), filename="h.csv")[1].size == 2


def _hall_rows() -> str:
    """A Hall probe's creep series: minutes, mT of B(t) = A_PUB - B_PUB ln t, applied 0 mT."""
    t = np.geomspace(10, 1e5, 30)
    return "".join(f"{x / 60:.17g},{(A_PUB - B_PUB * np.log(x)) * 1e3:.17g},0\r\n" for x in t)


def test_a_series_padded_with_nuls_after_its_last_row_loses_no_row(tmp_path):
    """A logger's file pre-allocated and padded with NUL bytes after its last row lost that row
    as 'cut' (TruncatedFileWarning); the padding is now left out with a note and every row read."""
    from fluxtrap.magnetometry.readers._columns import ReadNoteWarning

    text = f"t (min),Bz (mT),Applied (mT)\r\n{_hall_rows()}".encode()
    path = tmp_path / "padded.csv"
    path.write_bytes(text + b"\0" * 4096)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = read_series(path)
    assert [(w.category, str(w.message)) for w in caught] == [
        (
            ReadNoteWarning,
            f"{path}: left out 4096 NUL characters after the last line: padding of a file its "
            "writer pre-allocated and did not fill (stopped by a crash?)",
        )
    ]
    for a, b in zip(got, read_series(text, filename="w.csv"), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_series_exported_with_a_units_row_and_a_comments_row_reads_as_written(tmp_path):
    """A Hall-probe series exported from Origin, its units in a row under the names ("Time,Bz,
    Applied" / "min,mT,mT") and a comments row under them, was 'no time column'. It now reads
    as the series written with its units in the names, the comments row skipped and said; a
    units row mixing units and other text is refused naming its line."""
    from fluxtrap.magnetometry.readers._columns import ReadNoteWarning

    rows = _hall_rows()
    want = read_series(f"t (min),Bz (mT),Applied (mT)\r\n{rows}".encode(), filename="w.csv")
    path = tmp_path / "origin.csv"
    path.write_bytes(f"Time,Bz,Applied\r\nmin,mT,mT\r\nprobe 3,,\r\n{rows}".encode())
    with pytest.warns(ReadNoteWarning) as caught:
        got = read_series(path)
    assert [str(w.message) for w in caught] == [
        f"{path}: line 3 read as a row of comments under the units (no number in it, as "
        "Origin's 'Comments' row), not data: 'probe 3,,'"
    ]
    for a, b in zip(got[:3], want[:3], strict=True):
        np.testing.assert_array_equal(a, b)
    assert got[3] == "Bz"
    with pytest.raises(
        InputFileError, match=r"^h\.csv, line 2, column 'Bz': 'probe' is not a unit"
    ):
        read_series(f"Time,Bz\r\ns,probe\r\n{rows}".encode(), filename="h.csv")


def test_tc_repr_rounds_tc_at_its_sigma():
    """The repr gave Tc to 0.01 K beside a 1-sigma of 0.0021 K ("36.90 ± 0.0021 K"): the mean
    rounded coarser than its error. It is now rounded at the sigma's second digit, as the CLI's."""
    (res,) = tc_from_table(synthetic_mt())
    shown = re.search(r"= ([\d.]+) ± ([\d.]+) K", repr(res))
    decimals = [len(x.split(".")[1]) if "." in x else 0 for x in shown.groups()]
    assert decimals[0] == decimals[1] > 2, repr(res)  # the sigma here is a few mK
    assert float(shown[1]) == pytest.approx(res.tc_K, abs=10.0 ** -decimals[0])
    assert float(shown[2]) == pytest.approx(res.tc_err_K, rel=0.05)
    no_sigma = dataclasses.replace(res, tc_err_K=float("nan"))
    assert f"= {res.tc_K:.2f} K" in repr(no_sigma)


def test_creep_times_and_fields_given_with_their_units_are_read_in_si():
    """fit_creep(start_s="1 min") was numpy's "ufunc 'greater_equal' did not contain a loop", a
    pint quantity a DimensionalityError, a series in min and mT was fitted as s and T (numpy
    strips the unit); each is now converted, and what is no time or has no unit is refused
    naming the argument."""
    from fluxtrap.errors import UnitError
    from fluxtrap.units import Q_

    t = np.geomspace(1.0, 1e5, 200)
    b = 3.2 - 0.05 * np.log(t) + np.random.default_rng(0).normal(0, 1e-5, t.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = fit_creep(t, b, origin_s=0.0, start_s=60.0)
        text = fit_creep(t, b, origin_s="0 s", start_s="1 min")
        quantities = fit_creep(
            Q_(t / 60, "min"), Q_(b * 1e3, "mT"), origin_s=Q_(0, "s"), start_s=Q_(1, "min")
        )
    for fit in (text, quantities):
        assert fit.n_points == plain.n_points
        assert fit.a_T == pytest.approx(plain.a_T, rel=1e-12)
        assert fit.b_T == pytest.approx(plain.b_T, rel=1e-9)
    for bad, says in (("60", "has no unit"), ("1 T", "is not a time"), (np.nan, "not a finite")):
        with pytest.raises(UnitError, match=f"start_s: .*{says}"):
            fit_creep(t, b, origin_s=0.0, start_s=bad)


def test_a_sweep_starting_inside_an_erf_transition_is_refused_as_cut_not_as_insignificant():
    """An erf step (midpoint 37 K, sigma 0.71 K) swept from 36 K, printed to 10 digits: the
    logistic fit leaves the transition's points out and its step's 1-sigma is 10x the step; the
    refusal names the cut sweep (extend it), as the same sweep with 1 % noise is told, not 'a drop
    not significant' (it said 0.092 +- 1.1 emu)."""
    from scipy.special import erf

    t = np.linspace(2, 50, 200)
    t = t[t > 36]
    m = -1e-4 * 0.5 * (1 - erf(t - 37.0))
    with pytest.raises(AnalysisError, match="before full shielding is reached") as err:
        tc_from_table(mt_table(t, m))
    assert "not significant" not in str(err.value)


def test_two_equal_phases_tc_is_read_on_a_normal_line_fitted_from_the_onset_not_from_the_noise():
    """Two erf steps of equal size (38 K, 30 K) at noise 1 % of the whole step: Tc at 90 %
    shielded is the lower phase's, 29.40 K (brentq on the exact curve). The data's normal-state
    line was refitted from a 1 % onset read inside the noise (47 K for 39 K: 3 K of line, tilted
    by it 40 % of the step over the sweep): 4 of 40 sweeps read 24.3-25.5 K +- 2-7 K. Seeds 12,
    36 and 39 were those; now within 3 sigma of the truth with a 1-sigma under 0.5 K."""
    from scipy.optimize import brentq
    from scipy.special import erf

    def shielded(t):
        return 0.25 * (2 - erf((t - 38.0) / 0.7) - erf(t - 30.0))

    truth = brentq(lambda x: shielded(x) - 0.9, 10, 37)
    t = np.linspace(2, 50, 240)
    for seed in (12, 36, 39):
        noise = np.random.default_rng(seed).normal(0, 1e-6, t.size)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TcStructureWarning)
            (res,) = tc_from_table(mt_table(t, -1e-4 * shielded(t) + noise))
        assert res.tc_err_K < 0.5, (seed, res)
        assert abs(res.tc_K - truth) < 3 * res.tc_err_K, (seed, res, truth)


def test_a_zfc_warming_sweep_before_an_fc_cooling_sweep_is_labelled_zfc():
    """The common ZFC-FCC protocol: warming after zero-field cooling, then cooling in the same
    field. The warming sweep shields 10x the field-cooled one at 5 K (ZFC shielding exceeds FC
    expulsion), so it is ZFC; it had been 'warming sweep 1' (the rule compared warming sweeps
    only). Alike sweeps (a paramagnet's, no shielding) stay unlabelled."""
    zfc, fc = synthetic_mt(step=1e-5), synthetic_mt(step=1e-6, seed=1)
    t = np.concatenate([zfc.temperature_K, fc.temperature_K[::-1]])
    m = np.concatenate([zfc.moment_Am2, fc.moment_Am2[::-1]])
    assert [s.label for s in split_sweeps(mt_table(t, m))] == ["ZFC", "FC cooling"]
    assert [s.label for s in split_sweeps(mt_table(t, -m))] == ["warming sweep 1", "FC cooling"]
    again = synthetic_mt(step=1e-5, seed=2).moment_Am2[::-1]  # cooled in field, shields alike
    alike = np.concatenate([zfc.moment_Am2, again])
    assert [s.label for s in split_sweeps(mt_table(t, alike))][0] == "warming sweep 1"


def test_the_curved_time_to_a_rate_already_reached_keeps_its_upper_range():
    """A series already below the rate at its last point: ln t's time_to_reach_range still gives
    the time its upper 1-sigma needs, the curved fit's range was the last point three times (no
    range). Now its upper end is where |decay| + 1-sigma of the curved fit falls below the rate,
    later than the end when the rate lies within 1-sigma of the end's decay, the end itself when
    it lies 3 sigma above."""
    t = np.geomspace(60, 3 * 3600, 50)
    b = A_PUB - B_PUB * np.log(t) + np.random.default_rng(3).normal(0, 1e-3, t.size)
    fit = fit_creep(t, b, origin_s=0.0)
    rate, sigma = fit.end_decay_ppm_per_h(), fit.end_decay_sigma_ppm_per_h()
    assert rate > 0 and sigma > 0
    found, lo, hi = fit.end_time_to_reach_ppm_per_h(rate + 0.5 * sigma)
    assert found == lo == fit.t_end_s and hi > 1.01 * fit.t_end_s
    upper, upper_sigma = fit.end_decay_at(hi)
    assert upper + upper_sigma == pytest.approx(rate + 0.5 * sigma, rel=1e-6)
    assert fit.end_time_to_reach_ppm_per_h(rate + 3 * sigma) == (fit.t_end_s,) * 3


@pytest.mark.parametrize("b_T", [0.02, 0.05, 0.1])
def test_the_end_fit_reads_fast_ln_t_creep_as_ln_t(b_T):
    """B = 1 - b ln t over 10..3000 s (noise 10 uT) ends with S = b / B of 0.024, 0.084, 0.50:
    S ln(3000/10) = 0.14, 0.48, 2.9. The end fit had kappa bounded below by -0.99 / ln(3000/10)
    (a wrong-signed bound of 1 + kappa x > 0), so the fastest was read as curved: 374,000 +-
    45,000 ppm/h for the true 601,900 and a CreepCurvatureWarning on an exact ln t series. ln t
    is kappa = -S: the local rate is b / (B t) within 2 of its 1-sigma and 1e-3, unwarned."""
    t = np.geomspace(10, 3000, 60)
    b = 1.0 - b_T * np.log(t) + np.random.default_rng(1).normal(0, 1e-5, t.size)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CreepCurvatureWarning)
        fit = fit_creep(t, b, origin_s=0.0)
    truth = b_T / ((1.0 - b_T * np.log(t[-1])) * t[-1]) * PPM_H
    assert abs(fit.end_decay_ppm_per_h() - truth) < 2 * fit.end_decay_sigma_ppm_per_h()
    assert fit.end_decay_ppm_per_h() == pytest.approx(truth, rel=1e-3)
    assert fit.end_fit[2] == pytest.approx(-fit.end_fit[1], rel=0.05)  # kappa = -S


def test_the_end_fit_of_a_long_series_is_found_on_binned_means_then_polished(monkeypatch):
    """The end fit tried up to 3 starts by least squares on every point, its Jacobian by finite
    differences: 18-25 evaluations of the model on all 6e5 points of a week at 1 Hz (end fit 1.2 s
    of fit_creep's 3.7 s, now 0.6 s on a loaded 2-core machine). The starts are now tried on 2000
    means in ln t and polished on every point with the analytic Jacobian: 3 evaluations on all
    points here (5e4 points, n = 40 power law, noise 0.1 mT), the same (B_end, S, kappa) and
    covariance as the fit on every point, to 1e-3 of their 1-sigma and 1e-3."""
    import fluxtrap.magnetometry.creep as creep

    t = np.arange(1.0, 5e4 + 1)
    b = 1.2 * (t / 100) ** (-1 / 39) + np.random.default_rng(4).normal(0, 1e-4, t.size)
    ln_t = np.log(t)
    start = np.polyfit(ln_t, b, 1)[::-1] * [1, -1]  # (a, b) of B = a - b ln t
    model, sizes = creep._interpolation, []

    def counted(x, p):
        sizes.append(np.size(x))
        return model(x, p)

    monkeypatch.setattr(creep, "_interpolation", counted)
    p, cov = creep._end_fit(ln_t, b, start, white_before=True)
    assert sizes.count(t.size) <= 4 and len(sizes) > 4  # the rest on the means
    monkeypatch.setattr(creep, "END_BINS", 10**9)  # every point, as at HEAD
    every_p, every_cov = creep._end_fit(ln_t, b, start, white_before=True)
    sigma = np.sqrt(np.diag(every_cov))
    assert np.all(np.abs(p - every_p) < 1e-3 * sigma)
    assert np.sqrt(np.diag(cov)) == pytest.approx(sigma, rel=1e-3)
    assert p[1] / t[-1] * PPM_H == pytest.approx(PPM_H / 39 / t[-1], rel=1e-3)  # S = 1/39


def test_clock_times_without_a_date_are_read_within_a_day_or_across_one_midnight():
    """A logger writing only HH:MM:SS was refused ('not an ISO 8601 date-time'). A series that
    runs forward within one day, or steps back once (midnight), spans under 24 h and is read on
    one clock, said with the line of the crossing: the fit is that of the series in seconds. A
    second step back, or a clock past the first row's time of day after midnight (over 24 h: how
    many days passed is unknown), is refused naming the line."""
    import datetime as dt

    t = np.r_[np.linspace(0, 100, 11), 100 + np.geomspace(1, 3e4, 200)]
    applied = np.r_[np.linspace(1, 0, 11), np.zeros(200)]
    b = np.r_[np.linspace(0.2, 1.0, 11), A_PUB - B_PUB * np.log(t[11:] - 100)]

    def series(start: dt.datetime, times: np.ndarray) -> bytes:
        rows = [
            f"{(start + dt.timedelta(seconds=float(ti))).strftime('%H:%M:%S.%f')},{bi:.12g},"
            f"{ai * 1e3:.12g}"
            for ti, bi, ai in zip(times, b, applied, strict=True)
        ]
        return ("time,B (T),Applied field (mT)\n" + "\n".join(rows) + "\n").encode()

    late = dt.datetime(2026, 12, 5, 23, 50)
    crossing = int(np.searchsorted(t, 600.0))  # the first row at or after 00:00
    said = rf"across midnight at line {crossing + 2} \('23:59:"
    with pytest.warns(ClockOnlyWarning, match=said):
        ts, bs, ap, _ = read_series(series(late, t), filename="clock.csv")
    np.testing.assert_allclose(ts, t, atol=1e-5)
    fit = fit_creep(ts, bs, applied_T=ap)
    assert fit.origin_s == pytest.approx(100.0, abs=1e-5) and fit.b_T == pytest.approx(B_PUB)
    with pytest.warns(ClockOnlyWarning, match="within one day"):
        ts = read_series(series(dt.datetime(2026, 12, 5, 8, 0), t), filename="clock.csv")[0]
    np.testing.assert_allclose(ts, t, atol=1e-5)
    long = t * 2.88  # 86,688 s: 23:54:48 on the next day, past the first row's 23:50
    with pytest.raises(InputFileError, match=r"clock\.csv, line 212, column 'time': past midnig"):
        read_series(series(late, long), filename="clock.csv")
    twice = t.copy()
    twice[100:] += 86400.0 - 3600.0  # a second step back: two days, or a clock reset
    with pytest.raises(InputFileError, match=r"line \d+, column 'time': the clock .* steps back"):
        read_series(series(late, twice), filename="clock.csv")


def test_a_paramagnets_sweep_is_refused_as_one(mpms_file):
    """pb6051 at 1000 Oe (above lead's critical field, 0.08 T): a Curie-like moment, 0.054 emu
    at 2 K, 0.0074 emu at 15 K, was refused as 'the sweep ends at 15 K, before the normal state
    is reached (fitted midpoint 11.45 K)'. It is refused for what it is: positive, rising on
    cooling, with the file's own numbers."""
    with pytest.raises(AnalysisError) as err:
        tc_from_table(read(mpms_file("mpmsxl_dc_mt_pb6051_1000Oe.dat")))
    said = str(err.value)
    assert "rises on cooling (0.00744 emu at 15 K, 0.0541 emu at 2 K), as a paramagnet's" in said
    assert "before the normal state" not in said


def test_a_step_on_a_curie_tail_is_not_called_a_paramagnet():
    """A logistic step (1e-5 A m^2 at 38 K, w 0.5 K) on a Curie tail 5e-4/T A m^2 K, positive
    throughout and higher cold than warm, is not 'a paramagnet's' moment: it falls by the step
    on cooling through 38 K. (The linear normal-state line does not follow 1/T: the sweep is
    still refused, for another reason.)"""
    t = np.linspace(5, 60, 221)
    m = -1e-5 / (1 + np.exp((t - 38.0) / 0.5)) + 5e-4 / t
    assert m.min() > 0 and m[0] > m[-1]
    table = MeasurementTable.from_arrays(
        np.full(t.size, 0.01), m, TableMetadata("c.dat", "MPMS3"), temperature_K=t
    )
    try:
        tc_from_table(table)
    except AnalysisError as err:
        assert "paramagnet" not in str(err)
