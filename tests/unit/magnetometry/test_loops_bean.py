"""Branch splitting (real files, as their README describes), extended Bean, and the synthetic round trip."""

import io
import re
import warnings
from contextlib import contextmanager
from dataclasses import replace as dataclasses_replace

import numpy as np
import pytest

from fluxtrap.errors import AnalysisError, ValidationError
from fluxtrap.magnetometry.bean import (
    ImplausibleJcWarning,
    bean_jc,
    jc_from_loop,
    jc_from_width,
    self_field_bias,
)
from fluxtrap.magnetometry.jc import JcCurve, kim
from fluxtrap.magnetometry.loops import (
    HalfLoopWarning,
    NotSuperconductingWarning,
    OutlierReadingWarning,
    RepeatedMeasurementWarning,
    loop_width,
    magnetization,
    merge_close,
    monotone_segments,
    split_branches,
)
from fluxtrap.magnetometry.readers import read
from fluxtrap.magnetometry.synthetic import (
    critical_state_moment,
    loop_fields,
    synthetic_mh_loop,
    write_qd_dat,
)
from fluxtrap.magnetometry.table import MeasurementTable, TableMetadata, robust_sigma
from fluxtrap.units import Q_

A, B, C = 0.5e-3, 1.2e-3, 2.8e-3  # the users' bar, m


def noise_err(jc, field_T=None):
    """The noise part of Jc's 1-sigma (A/m^2; without the self-field model error): per point, or
    at ``field_T`` interpolated as ``JcCurve.err_at`` does."""
    noise = np.asarray(jc.settings["jc_err_noise_A_m2"])
    return noise if field_T is None else float(np.interp(field_T, jc.field_T, noise))


@pytest.mark.parametrize(
    "name, expected",
    [
        # README: "virgin curve, then the falling branch, then the rising branch", ±70 kOe at 5 K
        (
            "mpms3_vsm_mh_CoCp2-ErCOT2_5K.dat",
            [("virgin", 5, 0, 7), ("decreasing", 5, 7, -7), ("increasing", 5, -7, 7)],
        ),
        # README: "full M(H) loops at 5 K and at 300 K, field ±70 000 Oe"
        (
            "mpms3_dc_mh_KMK282_5K-300K_tabsep.dat",
            [
                ("increasing", 5, -7, 7),
                ("decreasing", 5, 7, -7),
                ("increasing", 300, -7, 7),
                ("decreasing", 300, 7, -7),
            ],
        ),
        # README: M(H) at 3.00 K, ±70 000 Oe
        ("mpms3_vsm_mh_film-A2481_3K.dat", [("decreasing", 3, 7, -7), ("increasing", 3, -7, 7)]),
        # README: M(H) at 5 K, ±20 000 Oe, fine steps within ±8 kOe (the repeated ±8 kOe points do not split)
        (
            "mpms3_vsm_mh_film-S1_5K.dat",
            [("virgin", 5, 0, 2), ("decreasing", 5, 2, -2), ("increasing", 5, -2, 2)],
        ),
    ],
)
def test_real_loops_split_as_readme_says(name, expected, mpms_file):
    table = read(mpms_file(name))
    branches = split_branches(table)
    got = [
        (b.kind, round(b.temperature_K), round(b.field_T[0]), round(b.field_T[-1]))
        for b in branches
    ]
    assert got == expected
    # branches cover every point; consecutive branches of a loop share their turning point
    assert sum(len(b) for b in branches) - sum(
        1 for p, q in zip(branches[:-1], branches[1:], strict=True) if p.loop == q.loop
    ) == len(table)


def test_loop_at_requested_temperature(mpms_file):
    table = read(mpms_file("mpms3_dc_mh_KMK282_5K-300K_tabsep.dat"))
    assert loop_width(table).temperature_K == pytest.approx(5.0, abs=0.01)
    assert loop_width(table, temperature_K=300).temperature_K == pytest.approx(300.0, abs=0.2)
    with pytest.raises(AnalysisError, match="no loop at 77 K"):
        loop_width(table, temperature_K=77)
    # NaN or inf was as far from both loops: the 5 K loop was taken with no word
    for bad in (float("nan"), float("inf"), "5 K"):
        with pytest.raises(ValidationError, match="temperature_K = .*finite number"):
            loop_width(table, temperature_K=bad)


def test_an_impossible_or_celsius_loop_temperature_is_named(mpms_file):
    """-5 K and 0 K had been answered "no loop at -5 K", as if a loop might be there; 5 degC
    (278.15 K) typed for 5 K "no loop at 278.15 K" without saying why."""
    table = read(mpms_file("mpms3_dc_mh_KMK282_5K-300K_tabsep.dat"))
    for bad in (-5.0, 0.0):
        with pytest.raises(ValidationError, match="above absolute zero"):
            loop_width(table, temperature_K=bad)
    with pytest.raises(
        AnalysisError, match=r'278.15 K is 5 degC: give the temperature in K, e.g. "5.004 K"'
    ):
        loop_width(table, temperature_K=278.15)
    with pytest.raises(AnalysisError, match="no loop at 77 K; loops at 5.004 K, 300 K$"):
        loop_width(table, temperature_K=77)  # no Celsius hint where none fits


def test_loops_at_two_temperatures_split_with_an_empty_temperature_cell():
    """A CSV's temperature column is optional, so one empty cell is NaN: the temperature jump
    between the loops was then not looked for at all and the 5 K and 30 K loops became one
    ("no loop at 30 K; loops at 5 K"); now the jump is found between the known temperatures."""
    loops = [
        synthetic_mh_loop(kim(jc0, 1.0), A, B, C, n_points=21, field_max_T=2, temperature_K=t)
        for jc0, t in ((1e9, 5.0), (2e8, 30.0))
    ]
    rows = ["T (K),H (Oe),m (emu)"] + [
        f"{t:g},{b * 1e4:.10g},{m * 1e3:.10g}"
        for lp in loops
        for t, b, m in zip(lp.temperature_K, lp.field_T, lp.moment_Am2, strict=True)
    ]
    rows[4] = "," + rows[4].split(",", 1)[1]
    table = read("\n".join(rows).encode(), filename="two.csv")
    assert np.isnan(table.temperature_K[3])
    assert loop_width(table, temperature_K=30).temperature_K == 30.0
    assert loop_width(table).temperature_K == 5.0


def test_loops_one_kelvin_apart_are_two_loops():
    """Loops at 5 K and 6 K in one file (Kim Jc0 3e9 and 1.5e9 A/m^2, 1 T) were one group (the
    split was at 2 K), so ``--temperature "6 K"`` silently gave the 5 K loop's Jc. A step over
    0.5 K or 2% held by the neighbouring rows' medians now starts a loop; a single stray reading
    (7 K) and 10 mK of noise do not. Extended Bean by hand at 1 T: Jc(6 K) / Jc(5 K) = 1.5e9 /
    3e9 = 0.5 (both fully penetrated, same B0), within 2%."""
    a, b, c = 2e-3, 3e-3, 4e-3
    parts = [
        synthetic_mh_loop(kim(jc0, 1.0), a, b, c, field_max_T=5, n_points=51, temperature_K=t)
        for jc0, t in ((3e9, 5.0), (1.5e9, 6.0))
    ]
    t = np.concatenate([p.temperature_K for p in parts])
    t += np.random.default_rng(0).normal(0, 0.01, t.size)
    t[100] = 7.0  # one stray reading inside the 5 K loop
    table = MeasurementTable.from_arrays(
        np.concatenate([p.field_T for p in parts]),
        np.concatenate([p.moment_Am2 for p in parts]),
        parts[0].metadata,
        temperature_K=t,
    )
    five, six = (jc_from_loop(table, a, b, c, temperature_K=k) for k in (5.0, 6.0))
    assert (five.temperature_K, six.temperature_K) == (
        pytest.approx(5.0, abs=0.01),
        pytest.approx(6.0, abs=0.01),
    )
    assert six.at(1.0) / five.at(1.0) == pytest.approx(0.5, rel=0.02)
    assert len({br.loop for br in split_branches(table)}) == 2


def test_loop_at_a_temperature_in_a_file_without_temperatures_is_refused():
    """NaN temperatures compared False with the 1 K tolerance, so --temperature '5 K' (or any)
    silently took the loop of a file without a temperature column ("Jc(B) at nan K")."""
    loop = synthetic_mh_loop(kim(1e9, 1.0), A, B, C, n_points=21, field_max_T=2)
    rows = ["H (Oe),m (emu)"] + [
        f"{b * 1e4:.10g},{m * 1e3:.10g}" for b, m in zip(loop.field_T, loop.moment_Am2, strict=True)
    ]
    table = read("\n".join(rows).encode(), filename="no_t.csv")
    assert np.isnan(loop_width(table).temperature_K)
    with pytest.raises(AnalysisError, match=r"no_t.csv: no temperatures were read .* at 77 K"):
        loop_width(table, temperature_K=77)


def test_mt_file_is_not_a_loop(mpms_file):
    with pytest.raises(AnalysisError, match="not an M\\(H\\) measurement"):
        jc_from_loop(read(mpms_file("mpms3_vsm_zfc_sample4_100Oe.dat")), A, B, C)


def test_monotone_segments_ignore_jitter():
    x = np.array([0, 1, 2, 2.0001, 3, 2, 1, 0, 0.00005, -1])
    assert monotone_segments(x, 0.01) == [(0, 5), (4, 10)]


def test_bean_formula_cgs():
    """Jc = 20 dM / (a (1 - a/3b)) A/cm^2 with dM = 100 emu/cm^3, a = 0.05 cm, b = 0.12 cm."""
    expected_A_cm2 = 20 * 100 / (0.05 * (1 - 0.05 / (3 * 0.12)))
    assert bean_jc(100 / 1e-3, 0.05e-2, 0.12e-2) / 1e4 == pytest.approx(expected_A_cm2, rel=1e-12)


def test_magnetization_emu_per_cm3():
    """1 emu in 1 mm^3 is 1000 emu/cm^3 = 1e6 A/m."""
    assert magnetization(np.array([1e-3]), 1e-3, 1e-3, 1e-3)[0] == pytest.approx(1e6)


def test_critical_state_saturates_at_extended_bean_moment():
    """Constant Jc, fully penetrated: m = Jc a (1 - a/3b) V / 4 (Bean slab x rectangle factor), both signs."""
    jc0 = 2e9
    fields = np.r_[np.linspace(0, 3, 61), np.linspace(3, -3, 121)[1:]]
    m = critical_state_moment(lambda b: np.full_like(b, jc0), fields, A, B, C, n_x=801)
    m_sat = jc0 * A * (1 - A / (3 * B)) * A * B * C / 4
    assert m[60] == pytest.approx(-m_sat, rel=1e-3)  # top of the virgin curve (field rising)
    assert m[-1] == pytest.approx(m_sat, rel=1e-3)  # bottom of the decreasing branch


def test_a_thin_plate_is_penetrated_over_its_own_field_scale():
    """Constant Jc, virgin curve of a 2 x 2 x 0.3 mm plate (field along the 0.3 mm edge): full
    penetration at mu0 Jc L with L = c / pi (1 + ln(1 + a / c)) (the thin strip's field scale,
    Brandt & Indenbom 1993; 0.29 mm), not at the slab's mu0 Jc a / 2 (1 mm, 3.4x later, which
    made the generator's self-field error 12x what the Bean analysis states for a plate); the
    saturated moment stays the extended-Bean one, Jc a (1 - a/3b) V / 4."""
    a, b, c, jc0 = 2e-3, 2e-3, 0.3e-3, 1e9
    depth = c / np.pi * (1 + np.log1p(a / c))
    b_p = 4e-7 * np.pi * jc0 * depth
    fields = np.linspace(0, 3 * b_p, 301)
    m = critical_state_moment(lambda x: np.full_like(x, jc0), fields, a, b, c, n_x=801)
    m_sat = jc0 * a * (1 - a / (3 * b)) * a * b * c / 4
    assert m[fields >= 1.01 * b_p] == pytest.approx(-m_sat, rel=1e-3)
    assert m[np.argmin(np.abs(fields - 0.9 * b_p))] > -0.999 * m_sat  # not yet penetrated


def test_round_trip_kim_within_2_percent(tmp_path):
    """SYNTHETIC Kim loop (with background and noise) -> .dat file -> reader -> Bean: Jc back within 2% at 0.5-6 T."""
    true = kim(1.0e9, 0.6)  # 1e5 A/cm^2, B0 = 0.6 T
    table = synthetic_mh_loop(
        true,
        A,
        B,
        C,
        temperature_K=5,
        field_max_T=7,
        n_points=141,
        background_emu_per_T=-2e-3,
        noise_emu=2e-5,
        seed=3,
    )
    path = tmp_path / "syn.dat"
    write_qd_dat(table, path, sample_name="KBa122-syn")
    back = read(path)
    assert back.metadata.synthetic and "SYNTHETIC" in back.metadata.info["SAMPLE_COMMENT"]
    jc = jc_from_loop(back, A, B, C)
    fields = np.linspace(0.5, 6, 23)
    err = jc.at(fields) / true(fields) - 1
    assert np.max(np.abs(err)) < 0.02, err
    assert jc.temperature_K == pytest.approx(5)
    # the remanent peak is flagged (self-field mu0 Jc a / 2 ~ 0.3 T at B = 0), high fields are not
    assert (
        jc.unpenetrated[jc.field_T < 0.1].all()
        and not jc.unpenetrated[(jc.field_T > 0.5) & (jc.field_T < 6)].any()
    )
    assert jc.settings["background_Am2_per_T"] == pytest.approx(-2e-3 * 1e-3, rel=0.05)


@pytest.mark.parametrize("field_T", [3.0, 6.0])
def test_the_jc_error_bar_at_a_field_is_the_scatter_over_repeated_noisy_loops(field_T):
    """``JcCurve.err_at`` (the 1-sigma `measure add` prints beside an objective) against the
    scatter of Jc at that field over 30 loops that differ only in their noise (2e-4 emu): the
    ratio is within 0.7-1.4 (the sample standard deviation of 30 is good to about 13 %, so this
    is some 3 sigma). Measured: 1.07 at 3 T, 0.88 at 6 T."""
    true = kim(1.0e9, 0.6)
    values, errors = [], []
    for seed in range(30):
        jc = jc_from_loop(synthetic_mh_loop(true, A, B, C, noise_emu=2e-4, seed=seed), A, B, C)
        values.append(jc.at(field_T))
        errors.append(jc.err_at(field_T))
    ratio = np.std(values, ddof=1) / np.median(errors)
    assert 0.7 < ratio < 1.4, ratio


def test_the_jc_error_bar_between_interleaved_fields_is_the_scatter():
    """A real loop's branches are read at fields that interleave (the MPMS3 never returns to a
    field exactly): here the increasing branch 20 mT above the decreasing one's 50 mT steps.
    Neighbouring points of Jc(B) then share readings, and ``err_at`` between them, propagated as
    if independent, was 1.6x below the scatter of Jc(3.01 T) over 40 noisy loops (1.25x at 3 T
    on the real CoCp2 file's field history, 53 % coverage of the true value over 60). Now the
    ratio is 0.75-1.35 (40 repeats: the standard deviation is good to about 11 %)."""
    fields = loop_fields(7.0, 141)
    rising = np.arange(fields.size) > 3 * 140
    fields = np.where(rising & (np.abs(fields) < 6.99), fields + 0.02, fields)
    clean = critical_state_moment(kim(1e9, 0.6), fields, A, B, C)
    values, errors = [], []
    for seed in range(40):
        m = clean + np.random.default_rng(seed).normal(0, 2e-7, fields.size)
        table = MeasurementTable.from_arrays(
            fields,
            m,
            TableMetadata("interleaved.dat", "MPMS3"),
            temperature_K=5.0,
            moment_err_Am2=np.full(fields.size, 2e-7),
        )
        jc = jc_from_loop(table, A, B, C)
        values.append(jc.at(3.01))
        errors.append(jc.err_at(3.01))
    ratio = np.std(values, ddof=1) / np.median(errors)
    assert 0.75 < ratio < 1.35, ratio


def test_round_trip_from_a_tabulated_curve():
    """A JcCurve (not a formula) as the generator's input comes back within 2% at 0.5-6 T."""
    from fluxtrap.magnetometry.jc import JcCurve

    truth = JcCurve(
        field_T=[0, 0.5, 1, 2, 3, 4, 5, 7],
        jc_A_m2=np.array([1.1e5, 6.0e4, 4.6e4, 3.5e4, 2.9e4, 2.5e4, 2.2e4, 1.8e4]) * 1e4,
    )
    buf = io.StringIO()
    write_qd_dat(synthetic_mh_loop(truth, A, B, C, noise_emu=1e-5), buf)
    jc = jc_from_loop(read(buf.getvalue().encode(), filename="tab.dat"), A, B, C)
    # from 1 T: the table's kink at 0.5 T is blurred over the self-field (~0.2 T) as Bean averages
    fields = np.linspace(1, 6, 11)
    assert np.max(np.abs(jc.at(fields) / truth.at(fields) - 1)) < 0.02


@pytest.mark.parametrize(
    "a, b, c, match",
    [
        (0.0, B, C, "edge a = 0.0 m"),
        (-1e-3, B, C, "edge a"),
        (A, B, 0.0, "edge c = 0.0 m.*zero-size"),
        (2e-3, B, C, "a = 2 mm > b = 1.2 mm"),
        (float("nan"), B, C, "finite"),
        (1e-12, B, C, "edge a = 1e-12 m is outside 1 nm..1 m"),
        (A, 5.0, C, "edge b = 5 m is outside"),
        (A, B, 2.8, "edge c = 2.8 m is outside"),
        (A, B, None, r"edge c = None: give it in m as a number .* or with its unit"),
        ([A], B, C, r"edge a = \[0.0005\]: give it in m"),
    ],
)
def test_bad_sample_sizes(a, b, c, match):
    table = synthetic_mh_loop(kim(1e9, 0.6), A, B, C, n_points=21)
    with pytest.raises(ValidationError, match=match):
        jc_from_loop(table, a, b, c)


def test_sample_edges_given_with_their_unit_are_read_in_m():
    """The README takes values with a unit as text or pint quantities; jc_from_loop refused
    a_m="0.5 mm" and Q_(1.2, "mm") with a hint to units.parse. They are now read in m, giving the
    Jc of the edges in m; text without a unit or of another dimension is a UnitError naming it."""
    from fluxtrap.errors import UnitError

    table = synthetic_mh_loop(kim(1e9, 0.6), A, B, C, n_points=21)
    in_m = jc_from_loop(table, A, B, C)
    with_units = jc_from_loop(table, f"{A * 1e3} mm", Q_(B * 1e3, "mm"), Q_(C * 1e6, "um"))
    np.testing.assert_allclose(with_units.jc_A_m2, in_m.jc_A_m2, rtol=1e-12)
    for edge, says in (("0.5", "has no unit"), ("0.5 T", "is not a length")):
        with pytest.raises(UnitError, match=f"sample edge a_m: '{edge}'.*{says}"):
            jc_from_loop(table, edge, B, C)


def test_every_entry_point_taking_a_sample_size_reads_it_with_its_unit():
    """jc_from_loop alone read "0.5 mm" or a pint quantity; jc_from_width, bean_jc, magnetization
    and the synthetic lab refused them with a hint to units.parse. Each now gives what the
    edges in m give, to 1e-12, and text without a unit or of another dimension is a UnitError
    naming the edge."""
    from fluxtrap.errors import UnitError

    mm = (f"{A * 1e3} mm", Q_(B * 1e3, "mm"), Q_(C * 1e6, "um"))
    table = synthetic_mh_loop(kim(1e9, 0.6), A, B, C, n_points=21)
    np.testing.assert_allclose(
        synthetic_mh_loop(kim(1e9, 0.6), *mm, n_points=21).moment_Am2, table.moment_Am2, rtol=1e-12
    )
    fields = loop_fields(3.0, 11)
    np.testing.assert_allclose(
        critical_state_moment(kim(1e9, 0.6), fields, *mm),
        critical_state_moment(kim(1e9, 0.6), fields, A, B, C),
        rtol=1e-12,
    )
    width = loop_width(table)
    np.testing.assert_allclose(
        jc_from_width(width, *mm).jc_A_m2, jc_from_width(width, A, B, C).jc_A_m2, rtol=1e-12
    )
    np.testing.assert_allclose(bean_jc(1e5, *mm[:2]), bean_jc(1e5, A, B), rtol=1e-12)
    np.testing.assert_allclose(magnetization(1e-3, *mm), magnetization(1e-3, A, B, C), rtol=1e-12)
    for call in (
        lambda c: synthetic_mh_loop(kim(1e9, 0.6), A, B, c, n_points=21),
        lambda c: jc_from_width(width, A, B, c),
        lambda c: magnetization(1e-3, A, B, c),
    ):
        for edge, says in (("2.8", "has no unit"), ("2.8 K", "is not a length")):
            with pytest.raises(UnitError, match=f"sample edge c_m: '{edge}'.*{says}"):
                call(edge)


def test_reversible_loop_is_refused():
    """A paramagnet's loop (linear moment plus noise, no hysteresis) has no Jc."""
    from fluxtrap.magnetometry.synthetic import loop_fields
    from fluxtrap.magnetometry.table import MeasurementTable, TableMetadata

    b = loop_fields(7.0, 141)
    m = 1e-6 * b + np.random.default_rng(0).normal(0, 1e-9, b.size)
    table = MeasurementTable.from_arrays(
        b, m, TableMetadata("para.dat", "MPMS3"), temperature_K=5.0
    )
    with pytest.raises(AnalysisError, match="para.dat: not a superconductor's loop") as refused:
        jc_from_loop(table, A, B, C)
    assert "clockwise" not in str(refused.value)
    assert "refused; force=True, --force on the command line or the dashboard" in str(refused.value)
    with (
        pytest.raises(AnalysisError, match="para.dat: no irreversible magnetization"),
        pytest.warns(NotSuperconductingWarning),
    ):
        jc_from_loop(table, A, B, C, force=True)


def test_a_loop_with_its_moment_s_sign_flipped_is_named_so():
    """A superconductor's loop negated (a reversed sample, a sign convention) was refused as not
    shielding with '--force derives a Jc anyway', and --force then said only 'no irreversible
    magnetization'; both now say the loop runs clockwise. A reversible loop says nothing of it."""
    from fluxtrap.magnetometry.table import MeasurementTable, TableMetadata

    table = synthetic_mh_loop(kim(1e9, 0.6), A, B, C, n_points=41)
    flipped = MeasurementTable.from_arrays(
        table.field_T, -table.moment_Am2, TableMetadata("flip.dat", "MPMS3"), temperature_K=5.0
    )
    said = r"the loop runs clockwise \(its width is negative at 9\d% of its fields\)"
    with pytest.raises(
        AnalysisError, match=r"flip.dat: not a superconductor's loop.*" + said
    ) as no:
        jc_from_loop(flipped, A, B, C)
    assert "--force" not in str(no.value)  # forced, it has no Jc either
    with (
        pytest.raises(AnalysisError, match=r"flip.dat: no irreversible magnetization.*" + said),
        pytest.warns(NotSuperconductingWarning),
    ):
        jc_from_loop(flipped, A, B, C, force=True)
    assert jc_from_loop(table, A, B, C).at(3.0) == pytest.approx(kim(1e9, 0.6)(3.0), rel=0.02)


def test_a_loop_whose_rows_run_backwards_is_named_so_too():
    """The synthetic loop's rows written backwards, without a time column (which would refuse
    them), run clockwise like a flipped moment; the refusal said only 'negate the moment
    column', which gives a wrong Jc (the virgin branch read as the last return branch). It now
    names reversed rows as well."""
    from fluxtrap.magnetometry.table import MeasurementTable, TableMetadata

    table = synthetic_mh_loop(kim(1e9, 0.6), A, B, C, n_points=41)
    backwards = MeasurementTable.from_arrays(
        table.field_T[::-1], table.moment_Am2[::-1], TableMetadata("back.csv", "csv"),
        temperature_K=5.0,
    )  # fmt: skip
    with pytest.raises(
        AnalysisError, match=r"back.csv: .*runs clockwise.*its rows are in reverse order"
    ):
        jc_from_loop(backwards, A, B, C)


def test_negative_virgin_curve_and_extra_branch():
    """0 -> -7 T (virgin), -7 -> +7, +7 -> -7: branches named as such, Jc(3 T) back within 2%."""
    from fluxtrap.magnetometry.table import MeasurementTable, TableMetadata

    true = kim(1e9, 0.6)
    fields = np.r_[
        np.linspace(0, -7, 141), np.linspace(-7, 7, 281)[1:], np.linspace(7, -7, 281)[1:]
    ]
    m = critical_state_moment(true, fields, A, B, C)
    table = MeasurementTable.from_arrays(
        fields, m, TableMetadata("neg.dat", "MPMS3"), temperature_K=5.0
    )
    assert [b.kind for b in split_branches(table)] == ["virgin", "increasing", "decreasing"]
    assert jc_from_loop(table, A, B, C).at(3.0) == pytest.approx(true(3.0), rel=0.02)


@contextmanager
def no_shielding_warning():
    """Inside the block a NotSuperconductingWarning is an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotSuperconductingWarning)
        yield


def test_molecular_magnet_is_refused_unless_forced(mpms_file):
    """CoCp2 file: its virgin branch rises with the field (+0.014 emu/T from 0 to 0.14 T, read off the file)."""

    table = read(mpms_file("mpms3_vsm_mh_CoCp2-ErCOT2_5K.dat"))
    with pytest.raises(AnalysisError, match="not a superconductor's loop.*--force"):
        jc_from_loop(table, A, B, C)
    with pytest.warns(
        NotSuperconductingWarning,
        match=r"moment rises with field on the virgin branch \(\+0\.014 emu/T",
    ):
        jc = jc_from_loop(table, A, B, C, force=True)
    assert jc.settings["forced"] is True
    assert jc.settings["virgin_slope_Am2_per_T"] == pytest.approx(1.4e-5, rel=0.01)
    (note,) = jc.settings["warnings"]
    assert (
        note.startswith("mpms3_vsm_mh_CoCp2-ErCOT2_5K.dat: moment rises")
        and "ferro- or paramagnet" in note
    )


def test_ferromagnetic_film_on_diamagnetic_substrate_is_refused(mpms_file):
    """S1 film: raw moment falls slightly (substrate), but rises once the -9.1e-5 emu/T background is off."""

    table = read(mpms_file("mpms3_vsm_mh_film-S1_5K.dat"))
    with pytest.raises(AnalysisError, match="once the linear background"):
        jc_from_loop(table, A, B, C)
    with pytest.warns(
        NotSuperconductingWarning,
        match=r"once the linear background \(-9\.12e-05 emu/T\) is removed",
    ):
        jc = jc_from_loop(table, A, B, C, force=True)
    assert jc.settings["virgin_slope_Am2_per_T"] < 0


@pytest.mark.parametrize("jc0", [1e7, 1e8, 1e9, 1e10])
@pytest.mark.parametrize("background_emu_per_T", [-1e-2, 0.0, 1e-2])
def test_synthetic_superconductor_does_not_warn(jc0, background_emu_per_T):
    """Kim Jc(B), 1e3..1e6 A/cm^2, with a strong dia- or paramagnetic background and noise: it shields."""
    table = synthetic_mh_loop(
        kim(jc0, 0.6), A, B, C, background_emu_per_T=background_emu_per_T, noise_emu=1e-5, seed=3
    )
    with no_shielding_warning():
        jc = jc_from_loop(table, A, B, C)
    assert jc.settings["warnings"] == [] and jc.settings["virgin_slope_Am2_per_T"] < 0


def test_virtual_lab_files_do_not_warn():
    """The demo's SYNTHETIC files, from the best to the poorest corner of the campaign box."""
    from fluxtrap.demo.lab import VirtualLab
    from fluxtrap.magnetometry.pipeline import derive

    lab = VirtualLab(0)
    with no_shielding_warning():
        for k, (rate, temp, dwell) in enumerate(
            [(50, 600, 5), (49.8, 556, 32.47), (10, 750, 60), (10, 450, 0)]
        ):
            s = lab.make({"ramp_rate": rate, "max_temperature": temp, "dwell_time": dwell}, f"S{k}")
            _, curves, jc = derive("mh_loop", s.content, s.filename, *s.cut_m)
            assert jc.settings["warnings"] == [] and curves[0].settings["warnings"] == []


def soft_ferromagnet(n=141):
    """A hard magnet's loop (tanh branches, coercive field 1.5 T, open to 7 T) and the row where
    its virgin branch (0 -> 7 T, n points) ends."""
    from fluxtrap.magnetometry.synthetic import loop_fields
    from fluxtrap.magnetometry.table import MeasurementTable, TableMetadata

    b = loop_fields(7.0, n)
    falling = np.r_[np.zeros(n), np.ones(b.size - n)].astype(bool) & (np.arange(b.size) < 3 * n - 2)
    coercive = np.where(falling, -1.5, 1.5)
    m = 1e-6 * np.tanh((b - coercive) / 2.0)
    m[:n] = 1e-6 * np.tanh(b[:n] / 2.0)  # virgin: no remanence yet
    meta = TableMetadata("ferro.dat", "MPMS3")
    return MeasurementTable.from_arrays(b, m, meta, temperature_K=5.0), n - 1


def test_loop_without_virgin_branch_is_checked_by_its_reversible_part():
    """The hard magnet is refused with its virgin branch (it does not shield) and, started at the
    top of the field (+7 T, no virgin branch), by its reversible part: the mean of its branches
    rises through zero field by 0.23 of its width (a superconductor's: |rise| <= 0.02, below)."""
    table, top = soft_ferromagnet()
    with pytest.raises(AnalysisError, match="ferro.dat: not a superconductor's loop: moment rises"):
        jc_from_loop(table, A, B, C)
    no_virgin = table.subset(slice(top, None))
    assert [b.kind for b in split_branches(no_virgin)] == ["decreasing", "increasing"]
    with pytest.raises(
        AnalysisError, match=r"not a superconductor's loop: no virgin branch.* by 0\.23 of"
    ):
        jc_from_loop(no_virgin, A, B, C)
    with pytest.warns(NotSuperconductingWarning, match="no virgin branch"):
        jc = jc_from_loop(no_virgin, A, B, C, force=True)
    assert jc.settings["forced"] is True and jc.settings["virgin_slope_Am2_per_T"] is None
    assert jc.settings["reversible_rise"] == pytest.approx(0.23, abs=0.01)


@pytest.mark.parametrize(
    "name, least_rise",
    [("mpms3_vsm_mh_film-A2481_3K.dat", 2.0), ("mpms3_dc_mh_KMK282_5K-300K_tabsep.dat", 1.0)],
)
def test_real_loops_without_virgin_branch_that_are_no_superconductors_are_refused(
    name, least_rise, mpms_file
):
    """The A2481 film starts at +7 T, KMK282 at -7 T: neither has a virgin branch and neither is
    a superconductor (their M(T) files show no transition). Before, both gave a Jc silently.
    Their reversible rise is over 10x the 0.1 limit (film 2.8, KMK282 1.2)."""
    table = read(mpms_file(name))
    width = loop_width(table)
    assert width.virgin_slope_Am2_per_T is None
    assert width.reversible_rise > least_rise
    with pytest.raises(AnalysisError, match="not a superconductor's loop: no virgin branch"):
        jc_from_loop(table, A, B, C)


def superconductor_without_virgin(start, background_emu_per_T=0.0, noise_emu=0.0, jc0=1e8):
    """A Kim bar's loop (Jc0 = ``jc0`` A/m^2, B0 = 0.6 T, 7 T) with its virgin branch cut off:
    started at +7 T (``start`` = "top"), or its mirror image started at -7 T ("bottom")."""
    table = synthetic_mh_loop(
        kim(jc0, 0.6), A, B, C, background_emu_per_T=background_emu_per_T, noise_emu=noise_emu
    )
    table = table.subset(slice(140, None))  # 141 points 0 -> 7 T: the virgin branch
    if start == "bottom":
        from fluxtrap.magnetometry.table import MeasurementTable

        table = MeasurementTable.from_arrays(
            -table.field_T,
            -table.moment_Am2,
            table.metadata,
            temperature_K=table.temperature_K,
            moment_err_Am2=table.moment_err_Am2,
        )
    return table


@pytest.mark.parametrize("start", ["top", "bottom"])
@pytest.mark.parametrize("jc0", [1e7, 1e9])
@pytest.mark.parametrize("background_emu_per_T", [-1e-2, 0.0, 1e-2])
def test_superconductor_without_virgin_branch_gives_the_true_jc(start, jc0, background_emu_per_T):
    """Started at +7 T or at -7 T, with a strong dia- or paramagnetic background and noise: split
    into a decreasing and an increasing branch, accepted without a warning (|rise| <= 0.03),
    and Jc within 3% (or 3 sigma) of the truth at 0.2-6 T where fully penetrated."""
    table = superconductor_without_virgin(start, background_emu_per_T, 1e-5, jc0)
    first = "decreasing" if start == "top" else "increasing"
    assert [b.kind for b in split_branches(table)][0] == first
    with no_shielding_warning():
        jc = jc_from_loop(table, A, B, C)
    assert jc.settings["warnings"] == [] and abs(jc.settings["reversible_rise"]) <= 0.03
    true = kim(jc0, 0.6)(jc.field_T)
    ok = jc.valid & (jc.field_T >= 0.2) & (jc.field_T <= 6.0)
    assert ok.sum() > 50
    err = np.abs(jc.jc_A_m2 - true)[ok]
    assert np.all(err <= np.maximum(0.03 * true[ok], 3 * jc.jc_err_A_m2[ok]))


def test_partially_irreversible_loop_without_virgin_branch_is_accepted():
    """The 77 K-like bar (reversible above 1.5 T, paramagnetic background, noise) started at
    +7 T: accepted, the same irreversibility field and Jc as the whole loop."""
    table, _ = partially_irreversible()
    whole = jc_from_loop(table, A, B, C)
    with no_shielding_warning():
        top = jc_from_loop(table.subset(slice(280, None)), A, B, C)
    assert top.settings["irreversibility_field_T"] == whole.settings["irreversibility_field_T"]
    np.testing.assert_allclose(top.jc_A_m2, whole.jc_A_m2, rtol=1e-12)


def dense_low_field_loop(bmax=7.0, fine_to=0.2, fine_step=0.005, coarse_step=0.05):
    """Field history 0 -> +max -> -max -> +max with 5 mT steps within +-0.2 T, 50 mT beyond."""
    half = np.unique(
        np.r_[np.arange(0, fine_to, fine_step), np.arange(fine_to, bmax + 1e-9, coarse_step)]
    )
    down = np.r_[half[::-1], -half[1:]]
    return np.r_[half, down[1:], down[::-1][1:]]


def test_dense_low_field_data_are_kept():
    """Kim Jc0 = 1e3 A/cm^2, B0 = 0.05 T (self-field 3 mT): Jc at 0.02-0.05 T within 0.5% of the
    truth (measured 0.08%); a uniform 40 mT grid (the old default for this file) is 3% off."""
    true = kim(1e7, 0.05)
    fields = dense_low_field_loop()
    m = critical_state_moment(true, fields, A, B, C)
    from fluxtrap.magnetometry.table import MeasurementTable, TableMetadata

    table = MeasurementTable.from_arrays(
        fields, m, TableMetadata("dense.dat", "MPMS3"), temperature_K=5.0
    )
    probe = np.linspace(0.02, 0.05, 13)
    jc = jc_from_loop(table, A, B, C)
    assert np.sum((jc.field_T >= 0.02) & (jc.field_T <= 0.05)) == 7  # every 5 mT step kept
    assert np.max(np.abs(jc.at(probe) / true(probe) - 1)) < 0.005
    coarse = jc_from_loop(table, A, B, C, grid_step_T=0.04)
    assert np.max(np.abs(coarse.at(probe) / true(probe) - 1)) > 0.02
    wide = np.linspace(0.05, 6, 40)
    assert np.max(np.abs(jc.at(wide) / true(wide) - 1)) < 0.005


def test_a_sweep_finer_than_the_merge_tolerance_keeps_its_points():
    """A 100 001-point-per-branch Kim loop (field step 7e-5 T, under the 1e-5-of-span merge
    tolerance of 1.4e-4 T) gives the coarse loop's Jc within 0.5% (it crashed: every point but
    the first was merged away). The dense moments are the coarse loop's, linearly interpolated
    along the field path, so both loops hold the same critical state."""
    from fluxtrap.magnetometry.synthetic import loop_fields
    from fluxtrap.magnetometry.table import MeasurementTable, TableMetadata

    true = kim(1.0e9, 0.6)
    coarse_fields, dense_fields = loop_fields(7.0, 141), loop_fields(7.0, 100_001)
    coarse_m = critical_state_moment(true, coarse_fields, A, B, C)
    path = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(coarse_fields)))])
    dense_path = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(dense_fields)))])
    dense_m = np.interp(dense_path, path, coarse_m)
    meta = TableMetadata("dense.dat", "MPMS3")
    table = MeasurementTable.from_arrays(dense_fields, dense_m, meta, temperature_K=5.0)
    width = loop_width(table)
    assert width.field_T.size > 10_000
    fields = np.linspace(0.5, 6, 23)
    dense = jc_from_loop(table, A, B, C).at(fields)
    coarse = jc_from_loop(
        MeasurementTable.from_arrays(coarse_fields, coarse_m, meta, temperature_K=5.0), A, B, C
    ).at(fields)
    assert np.max(np.abs(dense / coarse - 1)) < 0.005


def test_merge_close_keeps_values_more_than_the_tolerance_apart():
    x = np.array([0.0, 0.3e-3, 1.0, 1.0 + 1e-9, 2.0])
    assert merge_close(x, 1e-3).tolist() == [0.0, 1.0, 2.0]
    sweep = np.arange(1000.0)
    assert merge_close(sweep, 2.0).tolist() == sweep[::3].tolist()  # 3 apart: more than 2


def partially_irreversible(seed=0, noise_emu=2e-5, background_emu_per_T=5e-3, b_irr=1.5):
    """A 77 K-like bar: Jc = 1e4 A/cm^2 (1 - B/B_irr)^2 below B_irr, 1e-6 of that above
    (reversible), a paramagnetic background and noise; the file's error column = the noise."""
    from fluxtrap.magnetometry.synthetic import loop_fields
    from fluxtrap.magnetometry.table import MeasurementTable, TableMetadata

    def true(b):
        x = np.clip(1 - np.abs(b) / b_irr, 0, None)
        return 1e8 * np.maximum(x**2, 1e-6)

    fields = loop_fields(7.0, 281)
    clean = critical_state_moment(true, fields, A, B, C) + background_emu_per_T * 1e-3 * fields
    noisy = clean + np.random.default_rng(seed).normal(0, noise_emu * 1e-3, fields.size)
    meta = TableMetadata("77K.dat", "MPMS3")
    table = MeasurementTable.from_arrays(
        fields, noisy, meta, temperature_K=77.0, moment_err_Am2=noise_emu * 1e-3
    )
    return table, true


def test_partially_irreversible_loop_gives_jc_below_the_irreversibility_field():
    """Before: refused as a whole (median width within 5 noise widths). Now: Jc up to the field
    where the width falls to 3 sigma, cut above; Jc within 2% (or 2 sigma) at 0.1-1.0 T."""
    from fluxtrap.magnetometry.bean import bean_jc

    table, true = partially_irreversible()
    jc = jc_from_loop(table, A, B, C)
    # where the true width drops to 3 standard errors of the quadrant-averaged width
    sigma_jc = bean_jc(2e-5 * 1e-3 / (A * B * C), A, B)  # sqrt(2) branches / sqrt(2) quadrants
    expected_b_irr = 1.5 * (1 - np.sqrt(3 * sigma_jc / 1e8))
    b_irr = jc.settings["irreversibility_field_T"]
    assert b_irr == pytest.approx(expected_b_irr, abs=0.08) and jc.field_T[-1] <= b_irr
    assert jc.settings["cut_above_irreversibility"] > 100 and jc.settings["irreversibility_reached"]
    probe = jc.field_T[(jc.field_T >= 0.1) & (jc.field_T <= 1.0)]
    err = np.abs(jc.at(probe) - true(probe))
    k = np.searchsorted(jc.field_T, probe)
    assert np.all(err <= np.maximum(0.02 * true(probe), 2 * jc.jc_err_A_m2[k]))


def test_jc_uncertainty_from_the_error_column_matches_the_scatter():
    """30 noisy repeats of one loop: at each field from 0.2 to 1 T the deviation of Jc from its
    mean over the repeats, in units of the propagated 1-sigma, has a standard deviation of 1
    within 10% (pooled over 33 fields; per field, 200 repeats agree within 6%)."""
    runs = [jc_from_loop(partially_irreversible(seed=s)[0], A, B, C) for s in range(30)]
    n = min(r.field_T.size for r in runs)  # the grids differ only in where B_irr cuts them
    grid = runs[0].field_T[:n]
    assert all(np.array_equal(r.field_T[:n], grid) for r in runs) and grid[-1] > 1.0
    pick = (grid >= 0.2) & (grid <= 1.0)
    jc = np.array([r.jc_A_m2[:n][pick] for r in runs])
    sigma = np.array([noise_err(r)[:n][pick] for r in runs])
    z = (jc - jc.mean(axis=0)) / sigma * np.sqrt(len(runs) / (len(runs) - 1))
    assert np.std(z) == pytest.approx(1.0, rel=0.1)
    assert runs[0].settings["jc_err_from"] == "moment error column"


def test_jc_uncertainty_without_an_error_column_comes_from_the_scatter():
    table, _ = partially_irreversible()
    from fluxtrap.magnetometry.table import MeasurementTable

    bare = MeasurementTable.from_arrays(
        table.field_T, table.moment_Am2, table.metadata, temperature_K=table.temperature_K
    )
    jc = jc_from_loop(bare, A, B, C)
    assert jc.settings["jc_err_from"] == "loop-width scatter"
    with_column = jc_from_loop(table, A, B, C)
    # the scatter of the averaged width is the column's sigma (2e-5 emu) within 20%
    ratio = np.median(noise_err(jc)) / np.median(noise_err(with_column))
    assert ratio == pytest.approx(1.0, rel=0.2)


def test_an_error_column_that_understates_the_noise_is_scaled_up():
    """A file whose moment error column says 1e-7 emu for 1e-4 emu of noise: before, Jc(3 T)'s
    1-sigma followed it, 276 A/m^2 against a scatter of 3.6e5 over 12 repeats. The branches'
    readings scatter ~1000 of its sigmas, so it is scaled by that factor: the error bar
    is the scatter's within 0.6-1.6 (as with a true column), and the settings say so."""
    from dataclasses import replace

    values, errors, honest = [], [], []
    for seed in range(12):
        table = synthetic_mh_loop(kim(1.0e9, 0.6), A, B, C, noise_emu=1e-4, seed=seed)
        jc = jc_from_loop(replace(table, moment_err_Am2=table.moment_err_Am2 / 1000), A, B, C)
        values.append(jc.at(3.0))
        errors.append(noise_err(jc, 3.0))
        honest.append(noise_err(jc_from_loop(table, A, B, C), 3.0))
    assert 0.6 < np.median(errors) / np.std(values, ddof=1) < 1.6
    assert np.median(errors) == pytest.approx(np.median(honest), rel=0.3)
    assert re.fullmatch(
        r"moment error column x (9\d\d|1\d\d\d) \(the loop scatters .* field quadrants' .*",
        jc.settings["jc_err_from"],
    )
    assert jc_from_loop(table, A, B, C).settings["jc_err_from"] == "moment error column"


def test_real_loops_use_their_error_columns(mpms_file):
    """KMK282 (5 K) and the A2481 film carry moment error columns: Jc gets an uncertainty from
    them (forced: neither is a superconductor's loop, see above)."""
    for name in ("mpms3_dc_mh_KMK282_5K-300K_tabsep.dat", "mpms3_vsm_mh_film-A2481_3K.dat"):
        with pytest.warns(NotSuperconductingWarning):
            jc = jc_from_loop(read(mpms_file(name)), A, B, C, force=True)
        assert jc.settings["jc_err_from"] == "moment error column"
        assert np.isfinite(jc.jc_err_A_m2).all() and (jc.jc_err_A_m2 > 0).all()
    hot = read(mpms_file("mpms3_dc_mh_KMK282_5K-300K_tabsep.dat"))
    with pytest.raises(AnalysisError, match="not a superconductor's loop: no virgin branch"):
        jc_from_loop(hot, A, B, C, temperature_K=300)
    with (
        pytest.warns(NotSuperconductingWarning),
        pytest.raises(AnalysisError, match="no irreversible magnetization"),
    ):
        jc_from_loop(hot, A, B, C, temperature_K=300, force=True)


@pytest.mark.parametrize("step", [1e-9, 0.0, -0.1, float("nan"), float("inf")])
def test_grid_step_that_would_allocate_gigabytes_is_refused(step):
    """1e-9 T over +-7 T would be 1.4e10 points (104 GiB): refused before anything is allocated."""
    table = synthetic_mh_loop(kim(1e9, 0.6), A, B, C, n_points=41)
    with pytest.raises(ValidationError, match="grid_step_T = .* at most 1e\\+06 points"):
        loop_width(table, grid_step_T=step)


def test_width_beyond_full_shielding_is_refused():
    """Kim 1e9 A/m^2 bar: its width is 1.3% of full shielding; a moment in emu read as A*m^2, or
    edges 10x too small, make it 13x full shielding: before, a Jc 1000x too high (1.7e8 A/cm^2 at 3 T)."""
    from fluxtrap.magnetometry.bean import full_shielding_width
    from fluxtrap.magnetometry.table import MeasurementTable

    table = synthetic_mh_loop(kim(1e9, 0.6), A, B, C)
    width = loop_width(table)
    ratio = np.max(width.dm_Am2) / (A * B * C) / full_shielding_width(width.field_max_T, A, B, C)
    assert 0.01 < ratio < 0.02
    jc_from_loop(table, A, B, C)
    with pytest.raises(
        ValidationError, match=r"13.\d times .* 0.05 x 0.12 x 0.28 mm bar .* too small"
    ):
        jc_from_loop(table, A / 10, B / 10, C / 10)
    emu = MeasurementTable.from_arrays(table.field_T, table.moment_Am2 * 1e3, table.metadata)
    with pytest.raises(ValidationError, match=r"13.\d times .* in emu but labelled A\*m\^2"):
        jc_from_loop(emu, A, B, C)


def test_a_moment_in_emu_labelled_Am2_is_named_before_a_minor_loop(mpms_file):
    """The real film loop's field history (from +7 T, no virgin branch) with a Kim 1e9 A/m^2
    bar's moment in emu labelled A*m^2 (1000x): its high-field slope, 0.81 V/mu0, was refused
    as a minor loop ('never fully penetrated ... sweep further'); its width is 13x what any
    sample of those edges can show, said as the moment's unit or the edges."""
    real = read(mpms_file("mpms3_vsm_mh_film-A2481_3K.dat"))
    fields = np.concatenate([[0.0], real.field_T])  # from the virgin state
    moment = critical_state_moment(kim(1e9, 0.6), fields, A, B, C)[1:]
    emu = MeasurementTable.from_arrays(
        real.field_T, moment * 1e3, real.metadata, temperature_K=real.temperature_K
    )
    with pytest.raises(ValidationError, match=r"13.\d times .* in emu but labelled A\*m\^2"):
        jc_from_loop(emu, A, B, C)


@pytest.mark.parametrize("factor", [-1.0, 0.7, 1.5])
def test_one_field_reading_off_the_sweep_is_left_out_and_named(mpms_file, factor):
    """The real film loop's field history with a Kim bar's moment, one field reading on the
    decreasing branch (3.56 T, line 50) read with its sign flipped, 0.7x or 1.5x: the flipped
    one cut the branch in two, the part 7 -> -3.56 T (5 readings) was used as the widest, and
    Jc(1 T) read 0.68x with only 'the loop was swept more than once'; 0.7x named the loop swept
    twice too. The reading is left out and its line named (not its neighbour, put out of order
    by it); Jc within 2 sigma of the file without the glitch, 1..5 T."""
    real = read(mpms_file("mpms3_vsm_mh_film-A2481_3K.dat"))
    moment = critical_state_moment(kim(1e9, 0.6), np.r_[0.0, real.field_T], A, B, C)[1:]
    moment = moment + np.random.default_rng(1).normal(0, 1e-8, moment.size)

    def loop(field):
        table = MeasurementTable.from_arrays(
            field, moment, real.metadata, temperature_K=real.temperature_K, line=real.line,
            moment_err_Am2=1e-8, time_s=real.time_s,
        )  # fmt: skip
        return jc_from_loop(table, A, B, C)

    clean = loop(real.field_T)
    field = real.field_T.copy()
    field[4] *= factor
    with pytest.warns(OutlierReadingWarning, match=r"1 reading\(s\) whose field .* \(lines 50\)"):
        jc = loop(field)
    b = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert np.all(np.abs(jc.at(b) - clean.at(b)) < 2 * jc.err_at(b)), jc.at(b) / clean.at(b)


def _loop_without(lo_T, hi_T, quadrants):
    """SYNTHETIC Kim loop and the same loop with the decreasing branch's points at lo < |B| < hi
    removed in ``quadrants`` ("+" and/or "-")."""
    table = synthetic_mh_loop(kim(1e9, 0.6), A, B, C, noise_emu=1e-5, seed=1)
    dec = next(b for b in split_branches(table) if b.kind == "decreasing")
    rows = np.arange(len(table))
    f = table.field_T
    sign = np.zeros(len(table), bool)
    for q in quadrants:
        sign |= f > 0 if q == "+" else f < 0
    gone = (rows >= dec.start) & (rows < dec.stop) & (np.abs(f) > lo_T) & (np.abs(f) < hi_T) & sign
    return table, table.subset(~gone)


def test_gap_in_one_quadrant_is_filled_from_the_other():
    """Decreasing branch missing 2-3.5 T at B > 0: before, Jc there was off by up to 1.3%
    (interpolated across the hole and averaged in); now within 0.1% of the gap-free loop."""
    full, holed = _loop_without(2.0, 3.5, "+")
    ref, jc = jc_from_loop(full, A, B, C), jc_from_loop(holed, A, B, C)
    assert loop_width(holed).gaps_T == ((2.0, 3.5),)
    fields = np.linspace(2.05, 3.45, 15)
    assert np.max(np.abs(jc.at(fields) / ref.at(fields) - 1)) < 0.005
    assert jc.settings["gaps_T"] == []


def test_gap_in_both_quadrants_is_flagged_and_no_objective_is_read_in_it():
    from fluxtrap.campaign import CampaignSpec
    from fluxtrap.magnetometry.pipeline import objective_values, skipped_objectives

    from ...conftest import EXAMPLES

    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")  # jc_3T: 3 T at 5 K
    full, holed = _loop_without(2.0, 3.5, "+-")
    jc = jc_from_loop(holed, A, B, C)
    assert jc.settings["gaps_T"] == [[2.0, 3.5]]
    assert "jc_3T" in objective_values(spec, jc_from_loop(full, A, B, C))
    assert objective_values(spec, jc) == {}
    assert "3 T lies in a gap of the loop (2..3.5 T" in skipped_objectives(spec, jc)["jc_3T"]


def test_no_objective_at_a_temperature_is_read_off_a_loop_of_unknown_temperature():
    """A file without a temperature column gives NaN K, which failed no tolerance test: its Jc
    filled the 5 K objective whatever temperature the loop was measured at."""
    from fluxtrap.campaign import CampaignSpec
    from fluxtrap.magnetometry.pipeline import objective_values, skipped_objectives

    from ...conftest import EXAMPLES

    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")  # jc_3T: 3 T at 5 K
    loop = synthetic_mh_loop(kim(1e9, 0.6), A, B, C, n_points=41, temperature_K=77)
    unknown = MeasurementTable.from_arrays(loop.field_T, loop.moment_Am2, loop.metadata)
    jc = jc_from_loop(unknown, A, B, C)
    assert np.isnan(jc.temperature_K) and objective_values(spec, jc) == {}
    assert (
        "unknown temperature (no temperature column), objective at 5 K"
        in (skipped_objectives(spec, jc)["jc_3T"])
    )


def test_derived_metadata_of_a_loop_of_unknown_temperature_is_json():
    """derive() stored temperature_K NaN in the measurement metadata and both curves' settings:
    not JSON (PostgreSQL's JSON type refuses it); now None, as 'unknown' is elsewhere."""
    import json

    from fluxtrap.magnetometry.pipeline import derive

    loop = synthetic_mh_loop(kim(1e9, 0.6), A, B, C, n_points=41)
    csv = "H (Oe),m (emu)\n" + "\n".join(
        f"{b * 1e4:.10g},{m * 1e3:.10g}" for b, m in zip(loop.field_T, loop.moment_Am2, strict=True)
    )
    metadata, curves, jc = derive("mh_loop", csv.encode(), "no_t.csv", A, B, C)
    assert metadata["temperature_K"] is None
    assert [c.settings["temperature_K"] for c in curves] == [None, None]
    json.dumps(
        [metadata, [c.settings for c in curves], [c.columns for c in curves]], allow_nan=False
    )


@pytest.mark.parametrize(
    ("field", "temperature", "message"),
    [
        (7e4, 5.0, r"loop\.dat, line 2, column 'field_T': \|mu0 H\| = 7e\+04 T is beyond 100 T"),
        (7.0, -268.0, r"loop\.dat, line 1, column 'temperature_K': -268 K is below absolute zero"),
    ],
)
def test_a_table_built_in_code_gets_the_readers_checks(field, temperature, message):
    """Oe passed as T, degC as K: refused as from a file (before: only the readers checked)."""
    from fluxtrap.errors import InputFileError
    from fluxtrap.magnetometry.table import MeasurementTable, TableMetadata

    with pytest.raises(InputFileError, match=message):
        MeasurementTable.from_arrays(
            [0.0, field, 0.0], [0.0, 1e-3, 0.0], TableMetadata("loop.dat", "table"),
            temperature_K=temperature,
        )  # fmt: skip


def _hand_bean_A_cm2(table, field_T, a_m, b_m, c_m):
    """Extended Bean in its CGS form by hand: Jc = 20 dM / (a (1 - a / 3b)), dM (emu/cm^3) the
    width m_decreasing - m_increasing at ``field_T`` on the second half of the loop (its last
    two branches), a and b in cm."""
    f, m = table.field_T, table.moment_Am2 * 1e3  # emu
    turn = int(np.argmin(f))  # the decreasing branch ends, the increasing starts, at -Bmax
    top = int(np.argmax(f[:turn]))
    down = np.interp(field_T, f[top:turn][::-1], m[top:turn][::-1])
    up = np.interp(field_T, f[turn:], m[turn:])
    volume_cm3 = a_m * b_m * c_m * 1e6
    a_cm, b_cm = a_m * 100, b_m * 100
    return 20 * (down - up) / volume_cm3 / (a_cm * (1 - a_cm / (3 * b_cm)))


@pytest.mark.parametrize("field_max_T", [3.03, 3.1])
def test_no_objective_is_read_where_the_reversed_branch_has_not_penetrated(field_max_T):
    """A sweep turning just above the objective's 3 T: the decreasing branch has not swept the
    bar there (this 0.5 mm thin plate needs 2 mu0 Jc L = 0.21 T of field change), so the width is
    far below the fully penetrated one. Before, jc_3T was read off it silently: 4.4e7 (3.03 T)
    and 1.4e8 A/m^2 (3.1 T) for the true 2.5e8, each +- 1.7e4. Now it is skipped, naming the
    turning field, and the curve's 1-sigma there covers the shortfall within 2.5 (the
    generator's plate: 6.3e7 +- 9.4e7 and 1.8e8 +- 7.7e7); a sweep to 3.5 T gives the true
    Jc(3 T) within 0.5%, and so does the hand-computed CGS extended Bean formula on the raw
    branches."""
    from fluxtrap.campaign import CampaignSpec
    from fluxtrap.magnetometry.pipeline import objective_values, skipped_objectives

    from ...conftest import EXAMPLES

    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")  # jc_3T: 3 T at 5 K
    a, b, c, true = 1e-3, 2e-3, 0.5e-3, 1e9 / (1 + 3.0)  # Kim(1e9 A/m^2, 1 T) at 3 T
    short = synthetic_mh_loop(kim(1e9, 1.0), a, b, c, field_max_T=field_max_T, n_points=141)
    jc = jc_from_loop(short, a, b, c)
    assert jc.at(3.0) < 0.8 * true  # the width near the turning field: far too low
    assert abs(jc.at(3.0) - true) < 2.5 * jc.err_at(3.0)  # and said to be unsure
    assert objective_values(spec, jc) == {}
    why = skipped_objectives(spec, jc)["jc_3T"]
    assert (
        f"within two full-penetration fields of the loop's turning field {field_max_T:.3g} T" in why
    )
    long = synthetic_mh_loop(kim(1e9, 1.0), a, b, c, field_max_T=3.5, n_points=141)
    value = objective_values(spec, jc_from_loop(long, a, b, c))["jc_3T"]
    assert value == pytest.approx(true, rel=0.005)
    assert _hand_bean_A_cm2(long, 3.0, a, b, c) * 1e4 == pytest.approx(value, rel=0.005)


def _repeats(make, n=12):
    """Jc(3 T) and its 1-sigma over ``n`` loops ``make(seed)`` differing only in their noise."""
    values, errors = [], []
    for seed in range(n):
        jc = jc_from_loop(make(seed), 1e-3, 2e-3, 0.5e-3)
        values.append(jc.at(3.0))
        errors.append(noise_err(jc, 3.0))
    return np.std(values, ddof=1), np.median(errors), jc


@pytest.mark.parametrize("n_points", [36, 15])
def test_jc_error_without_an_error_column_is_the_scatter_on_coarse_field_steps(n_points):
    """No error column, 0.2 and 0.5 T field steps up to 7 T: the width's noise was estimated
    from second differences, which the curvature of Jc(B) dominates: Jc(3 T) +- 3.2e5 A/m^2 for
    a scatter of 2.7e4 over repeats (12x, 0.2 T steps). Fourth differences cancel most of it
    (1.4x; 2.1x at 0.5 T steps); the two quadrants' difference, where 8+ fields have both, has
    no curvature at all: within 0.6-1.6x. (1 T steps leave 6 such fields: the fourth differences,
    9x, are kept; 6 fields' difference read 0.6-0.75x, too few to trust.)"""

    def bare(seed):
        t = synthetic_mh_loop(
            kim(1e9, 1.0), 1e-3, 2e-3, 0.5e-3, n_points=n_points, noise_emu=1e-5, seed=seed
        )
        return MeasurementTable.from_arrays(
            t.field_T, t.moment_Am2, t.metadata, temperature_K=t.temperature_K
        )

    scatter, error, jc = _repeats(bare)
    assert jc.settings["jc_err_from"] == "loop-width scatter"
    assert 0.6 < error / scatter < 1.6


def test_an_error_column_that_understates_the_noise_of_a_one_quadrant_loop_is_scaled_up():
    """A loop in positive fields only (0 -> 7 -> 0 -> 7 T: no second quadrant to compare), noise
    1e-4 emu, error column 1e-6 emu: Jc(3 T) +- 3.4e3 A/m^2 for a scatter of ~3e5 over repeats.
    The width's own scatter says the column is ~100x small; it is scaled: within 0.6-1.6x. An
    honest column is left as it is."""
    from fluxtrap.magnetometry.table import TableMetadata

    a, b, c = 1e-3, 2e-3, 0.5e-3
    fields = np.concatenate([np.linspace(0, 7, 141), np.linspace(7, 0, 141)[1:]])
    fields = np.concatenate([fields, np.linspace(0, 7, 141)[1:]])
    clean = critical_state_moment(kim(1e9, 1.0), fields, a, b, c)

    def loop(seed, column_emu=1e-6):
        noisy = clean + np.random.default_rng(seed).normal(0, 1e-7, fields.size)
        meta = TableMetadata("positive.dat", "MPMS3")
        return MeasurementTable.from_arrays(
            fields, noisy, meta, temperature_K=5.0, moment_err_Am2=column_emu * 1e-3
        )

    scatter, error, jc = _repeats(loop)
    assert 0.6 < error / scatter < 1.6
    assert re.fullmatch(
        r"moment error column x [\d.]+ \(the loop scatters .*", jc.settings["jc_err_from"]
    )
    honest = jc_from_loop(loop(0, column_emu=1e-4), a, b, c)
    assert honest.settings["jc_err_from"] == "moment error column"


def test_a_jc_far_too_low_for_a_superconductor_is_flagged_or_refused():
    """Edges given in cm for mm (10x each): Jc 1e4x low, 8.5 A/cm^2 at most, was kept silently;
    now with a warning naming the edges. A moment column labelled mu_B that holds emu: Jc(3 T)
    2.3e-12 A/m^2 was stored as the objective; now refused as a unit mistake."""
    from fluxtrap.magnetometry.bean import ImplausibleJcWarning
    from fluxtrap.magnetometry.pipeline import derive

    a, b, c = 1e-3, 2e-3, 0.5e-3
    loop = synthetic_mh_loop(kim(1e9, 1.0), a, b, c, n_points=71, noise_emu=1e-5)
    with pytest.warns(ImplausibleJcWarning, match=r"at most 8.\d+ A/cm\^2, implausibly low"):
        jc = jc_from_loop(loop, 10 * a, 10 * b, 10 * c)
    assert "10 x 20 x 5 mm" in jc.settings["warnings"][0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jc_from_loop(loop, a, b, c)  # the right edges: no warning
    rows = [
        f"{f * 1e4:.8g},{m * 1e3:.8g},5" for f, m in zip(loop.field_T, loop.moment_Am2, strict=True)
    ]
    text = "\n".join(["H (Oe),m (mu_B),T (K)", *rows]) + "\n"
    with pytest.raises(ValidationError, match="below 1 A/m\\^2: a unit mistake"):
        derive("mh_loop", text.encode(), "bohr.csv", a, b, c)


@pytest.mark.parametrize(
    "temperatures, message",
    [
        ((3.5, 4.0, 6.0), r"drifted from 4.0\d* to 5.9\d* K"),  # centred on 5 K, 2 K wide
    ],
)
def test_a_loop_whose_temperature_drifted_is_not_read_as_one_temperature(temperatures, message):
    """The temperature changes over the two branches that make the width (a smooth drift
    through 5 K; steps of 1.5 K between the branches were another: now separate loops, so no
    complete one, refused naming the branches' temperatures): it was taken as a 5 K loop
    (the virgin branch's median) and filled the 5 K objective with no word. Now its temperature is that of the two
    branches used, a spread over 0.5 K (the objectives' tolerance) is named in a warning, and
    no objective at a temperature is read off it; a steady loop at 5.3 K still fills it."""
    from fluxtrap.campaign import CampaignSpec
    from fluxtrap.magnetometry.bean import TemperatureDriftWarning
    from fluxtrap.magnetometry.pipeline import objective_values, skipped_objectives

    from ...conftest import EXAMPLES

    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")  # jc_3T: 3 T at 5 K
    loop = synthetic_mh_loop(kim(1e9, 0.6), A, B, C, n_points=41)
    n = len(loop)  # virgin 41 points, decreasing 81, increasing 81
    rows = np.arange(n)
    t = np.select([rows < 41, rows < 121], temperatures[:2], temperatures[2])
    if temperatures[0] < 5:  # a smooth drift through the two branches instead
        t = np.where(rows < 41, temperatures[0], np.interp(rows, [41, n - 1], temperatures[1:]))
    drifting = MeasurementTable.from_arrays(
        loop.field_T, loop.moment_Am2, loop.metadata, temperature_K=t
    )
    with pytest.warns(TemperatureDriftWarning, match=message):
        jc = jc_from_loop(drifting, A, B, C)
    assert objective_values(spec, jc) == {}
    assert "jc_3T" in skipped_objectives(spec, jc)
    steady = MeasurementTable.from_arrays(
        loop.field_T, loop.moment_Am2, loop.metadata, temperature_K=np.full(n, 5.3)
    )
    stepped = MeasurementTable.from_arrays(  # virgin at 5 K, then 6.5 K, then 8 K: a bad heater
        loop.field_T,
        loop.moment_Am2,
        loop.metadata,
        temperature_K=np.select([rows < 41, rows < 121], [5.0, 6.5], 8.0),
    )
    with pytest.raises(
        AnalysisError, match=r"decreasing [\d.]+->-7 T at 6.5 K.*stepped .* not one loop"
    ):
        jc_from_loop(stepped, A, B, C)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TemperatureDriftWarning)
        assert "jc_3T" in objective_values(spec, jc_from_loop(steady, A, B, C))


def test_a_thin_film_loop_gives_its_jc_objective():
    """A 5 x 5 mm film 200 nm thick (c along the field), Kim Jc 1e11 A/m^2 / (1 + B / 1 T), each
    branch reaching the extended-Bean moment +- V Jc a (1 - a/3b) / 4 within ~0.1 T of a turning
    field (tanh): the full-penetration field was taken as the slab's mu0 Jc a / 2 = 314 T, so
    every field of the 7 T loop was flagged and jc_3T refused as near the turning field. A thin
    plate's is the strip scale (Brandt): now jc_3T is read, within 1% of the true 2.5e10 A/m^2
    and of the hand CGS Bean formula."""
    from fluxtrap.campaign import CampaignSpec
    from fluxtrap.magnetometry.pipeline import objective_values
    from fluxtrap.magnetometry.synthetic import loop_fields
    from fluxtrap.magnetometry.table import TableMetadata

    from ...conftest import EXAMPLES

    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")  # jc_3T: 3 T at 5 K
    a, b, c = 5e-3, 5e-3, 200e-9
    fields = loop_fields(7.0, 141)
    half = a * b * c * 1e11 / (1 + np.abs(fields)) * a * (1 - a / (3 * b)) / 4  # A*m^2
    virgin, down = slice(0, 141), slice(141, 421)
    m = half * (1 - 2 * np.tanh((fields + 7) / 0.1))  # increasing from -7 T
    m[down] = half[down] * (2 * np.tanh((7 - fields[down]) / 0.1) - 1)
    m[virgin] = -half[virgin] * np.tanh(fields[virgin] / 0.05)
    film = MeasurementTable.from_arrays(
        fields, m, TableMetadata("film.dat", "MPMS3"), temperature_K=5.0
    )
    value = objective_values(spec, jc_from_loop(film, a, b, c))["jc_3T"]
    assert value == pytest.approx(2.5e10, rel=0.01)
    assert _hand_bean_A_cm2(film, 3.0, a, b, c) * 1e4 == pytest.approx(value, rel=0.01)


@pytest.mark.parametrize("quadrants", [(3.0,), (3.0, -3.0)])
def test_a_glitched_point_at_the_objective_field_is_replaced(quadrants):
    """One moment reading off by the loop's width on the decreasing branch at 3 T (a VSM lock
    glitch; in each quadrant, or one): Jc(3 T) was read off it, 3.7e8 A/m^2 for the true 2.5e8
    (Kim 1e9 / (1 + B / 1 T)), +- 2.4e4, with no word. A point over 8 standard errors off the
    running median of its neighbours is replaced by the line between them and named: Jc(3 T)
    within 0.2% of the true value, and of the hand CGS Bean formula on the clean loop."""
    a, b, c = 1e-3, 2e-3, 0.5e-3
    clean = synthetic_mh_loop(kim(1e9, 1.0), a, b, c, n_points=141, noise_emu=1e-5)
    m = clean.moment_Am2.copy()
    down = np.arange(len(clean)) >= 141
    for f in quadrants:
        k = int(np.argmin(np.where(down, np.abs(clean.field_T - f), np.inf)))
        m[k] += 2 * abs(clean.moment_Am2[k])  # the loop's width there
    glitched = dataclasses_replace(clean, moment_Am2=m)
    jc = jc_from_loop(glitched, a, b, c)
    assert jc.at(3.0) == pytest.approx(2.5e8, rel=0.002)
    assert jc.at(3.0) == pytest.approx(_hand_bean_A_cm2(clean, 3.0, a, b, c) * 1e4, rel=0.002)
    # the reading itself is left out, named by its line (before the width's glitch filter)
    (note,) = jc.settings["warnings"]
    lines = [int(glitched.line[k]) for k in np.flatnonzero(m != clean.moment_Am2)]
    assert f"(spikes; lines {', '.join(map(str, lines))})" in note
    assert jc_from_loop(clean, a, b, c).settings["warnings"] == []


def test_spikes_in_many_readings_are_left_out_and_named_by_line():
    """30 single readings of a 3407-row loop off by 0.05 emu (1.7x the half-width at 3 T; noise
    1e-4 emu, an honest error column) moved Jc by up to 70 % at some 100 fields with no word
    (the width's glitch filter takes at most 10 points, and each spike set 3 grid fields). The
    readings far off their neighbours on both sides are left out and named: Jc within 3 % of
    the true Kim curve over 0.5-6.5 T. A flux jump (a step of the same size) and the clean loop
    are not called spikes."""
    true = kim(1e9, 0.6)
    clean = synthetic_mh_loop(true, A, B, C, n_points=682, noise_emu=1e-4, seed=5)
    rng = np.random.default_rng(1)
    hit = rng.choice(np.arange(700, len(clean) - 10), 30, replace=False)
    m = clean.moment_Am2.copy()
    m[hit] += rng.choice([-1, 1], hit.size) * 5e-5
    with pytest.warns(OutlierReadingWarning, match=r"spikes; lines "):
        jc = jc_from_loop(dataclasses_replace(clean, moment_Am2=m), A, B, C)
    probe = np.linspace(0.5, 6.5, 200)
    assert np.max(np.abs(jc.at(probe) / true(probe) - 1)) < 0.03
    named = re.search(r"(\d+) moment reading", jc.settings["warnings"][0])
    assert 25 <= int(named.group(1)) <= 30  # two side by side may be missed
    jumped = clean.moment_Am2 + np.where(np.arange(len(clean)) > 1500, 5e-5, 0.0)
    for loop in (clean, dataclasses_replace(clean, moment_Am2=jumped)):
        with warnings.catch_warnings():
            warnings.simplefilter("error", OutlierReadingWarning)
            jc_from_loop(loop, A, B, C, force=True)


def test_bursts_of_bad_readings_past_the_glitch_limit_are_said():
    """20 bursts of 4 readings each off by 0.05 emu (noise 1e-4 emu): no single spike, and the
    width's glitch filter replaces 10 points; Jc was up to 79 % off at some fields with no word.
    The points still over 8 standard errors are counted in a warning kept with the curve."""
    true = kim(1e9, 0.6)
    clean = synthetic_mh_loop(true, A, B, C, n_points=682, noise_emu=1e-4, seed=5)
    rng = np.random.default_rng(2)
    m = clean.moment_Am2.copy()
    for k in rng.choice(np.arange(700, len(clean) - 10, 7), 20, replace=False):
        m[k : k + 4] += rng.choice([-1, 1]) * 5e-5
    with pytest.warns(OutlierReadingWarning, match=r"\d+ more point\(s\) of the loop width"):
        jc = jc_from_loop(dataclasses_replace(clean, moment_Am2=m), A, B, C)
    assert any("past the 10 glitches replaced" in n for n in jc.settings["warnings"])


@pytest.mark.parametrize(
    "edges_mm, named",
    [
        ((0.5, 1.2, 2.8), None),  # 10.1 mg: 6.0 g/cm^3, a cuprate's or pnictide's density
        ((0.5, 1.2, 28.0), "0.601 g/cm^3, outside the 1-25 g/cm^3 of a bulk superconductor: is "
         "an edge given too large (cm for mm: Jc 10-100x too low)"),
        ((0.5, 12.0, 2.8), "0.601 g/cm^3"),
        ((0.5, 1.2, 0.028), "601 g/cm^3, outside the 1-25 g/cm^3 of a bulk superconductor: is an "
         "edge given too small"),
    ],
)  # fmt: skip
def test_an_edge_in_the_wrong_unit_is_named_from_the_headers_sample_mass(tmp_path, edges_mm, named):
    """c given as 2.8 cm for 2.8 mm gave Jc(3 T) 1667 A/cm^2 for 1.667e4, plausible for a bulk,
    with no word (b in cm: 1455). The header's SAMPLE_MASS (10.1 mg, in mg as MPMS3 writes it)
    over the edges' volume is outside 1-25 g/cm^3: an ImplausibleJcWarning names the density and
    the likely slip, kept in the settings warnings; the right edges say nothing."""
    table = synthetic_mh_loop(kim(1e9, 0.6), A, B, C, n_points=71, noise_emu=1e-5)
    meta = dataclasses_replace(table.metadata, info={**table.metadata.info, "SAMPLE_MASS": "10.1"})
    path = tmp_path / "bar.dat"
    write_qd_dat(dataclasses_replace(table, metadata=meta), path)
    back = read(path)
    assert back.metadata.mass_kg == pytest.approx(10.1e-6)
    a, b, c = (x * 1e-3 for x in edges_mm)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        jc = jc_from_loop(back, a, b, c)
    said = [str(w.message) for w in caught if w.category is ImplausibleJcWarning]
    if named is None:
        assert said == [] and jc.settings["warnings"] == []
    else:
        (note,) = said
        assert named in note and jc.settings["warnings"] == [note]


def test_a_zero_in_the_error_column_is_not_a_zero_error_bar():
    """A moment error column that says 0 between 2.5 and 3.5 T (rows of a single scan), 1e-5 emu
    elsewhere, for noise of 1e-5 emu: jc_3T came out +- 0 A/m^2 (a noise-free value to the
    optimizer). There the loop-width scatter stands in: within 0.7-1.6x of the honest column's
    2.4e4 A/m^2, and the settings say so."""
    a, b, c = 1e-3, 2e-3, 0.5e-3
    loop = synthetic_mh_loop(kim(1e9, 1.0), a, b, c, n_points=141, noise_emu=1e-5)
    hole = (np.abs(loop.field_T) > 2.5) & (np.abs(loop.field_T) < 3.5)
    zeros = dataclasses_replace(loop, moment_err_Am2=np.where(hole, 0.0, loop.moment_err_Am2))
    jc, honest = jc_from_loop(zeros, a, b, c), jc_from_loop(loop, a, b, c)
    assert 0.7 < noise_err(jc, 3.0) / noise_err(honest, 3.0) < 1.6
    assert noise_err(jc, 1.0) == noise_err(honest, 1.0)  # the column where it gives an error
    assert jc.settings["jc_err_from"].endswith("(the loop-width scatter where it says 0)")


def test_a_quadrant_whose_branch_turned_near_the_objective_field_is_not_averaged_in():
    """Virgin to 7 T, down to -3.05 T only, back up to 7 T: at -3 T the increasing branch has
    just turned and not swept the bar, so the negative quadrant's width at |B| = 3 T is far too
    small; the quadrant average took it in, jc_3T 2.345e8 A/m^2 for the true 2.5e8 (+- 2.1e4),
    with no word (the loop's turning field, 7 T, is far). Each quadrant's own turning zone now
    leaves it to the other: within 0.3% of the true value and of the hand CGS Bean formula on the
    positive quadrant."""
    from fluxtrap.campaign import CampaignSpec
    from fluxtrap.magnetometry.pipeline import objective_values

    from ...conftest import EXAMPLES

    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")  # jc_3T: 3 T at 5 K
    a, b, c = 1e-3, 2e-3, 0.5e-3
    fields = np.concatenate(
        [np.linspace(0, 7, 141), np.linspace(7, -3.05, 200)[1:], np.linspace(-3.05, 7, 200)[1:]]
    )
    m = critical_state_moment(kim(1e9, 1.0), fields, a, b, c)
    m = m + np.random.default_rng(0).normal(0, 1e-8, m.size)
    loop = MeasurementTable.from_arrays(
        fields, m, TableMetadata("asym.dat", "MPMS3"), temperature_K=5.0, moment_err_Am2=1e-8
    )
    value = objective_values(spec, jc_from_loop(loop, a, b, c))["jc_3T"]
    assert value == pytest.approx(2.5e8, rel=0.003)
    assert _hand_bean_A_cm2(loop, 3.0, a, b, c) * 1e4 == pytest.approx(value, rel=0.003)


@pytest.mark.parametrize("size", [1, 2, 7, 400])
def test_robust_sigma_is_scipys_normal_scaled_median_absolute_deviation(size):
    from scipy.stats import median_abs_deviation

    x = np.random.default_rng(size).standard_t(3, size) * 2.5 + 7.0
    assert robust_sigma(x) == pytest.approx(median_abs_deviation(x, scale="normal"), rel=1e-12)
    about_zero = median_abs_deviation(x, center=lambda x, axis: 0.0, scale="normal")
    assert robust_sigma(x, about=0.0) == pytest.approx(about_zero, rel=1e-12)
    assert np.isnan(robust_sigma(np.array([])))


@pytest.mark.parametrize(
    "n_points, offset_T, lag_T",
    [
        (8, 0.0, 0.0),  # 1 T steps: fourth differences read the Kim curvature as 70x the noise
        (141, 0.002, 0.0),  # 0.05 T steps, a 2 mT remanent field: the quadrants' fields interleave
        (
            141,
            0.0,
            0.01,
        ),  # the increasing branch read 10 mT behind: the branches' fields interleave
    ],
)
def test_jc_error_bar_without_an_error_column_is_the_noise(n_points, offset_T, lag_T):
    """No moment error column, so the Jc 1-sigma comes from the loop's own scatter. Hand value:
    moment noise s per reading gives each quadrant's width s sqrt(2), their average s, so
    sigma_Jc = 2 s / (V a (1 - a / 3b)) (extended Bean, SI) = 5.36e5 A/m^2 for s = 1e-5 A m^2
    (0.01 emu) on a 2 x 3 x 4 mm bar. It was 3.7e7 (70x) with 1 T steps and 1.8e5 for
    s = 1e-6 with a 2 mT field offset (35x: fourth differences of the width on the interleaved
    fields 4 and 46 mT apart); taken on the width's own uneven fields it was 0.48x with a lagging
    branch (interpolated values are correlated). Now the median over 30 noise repeats is within
    0.6-1.5x of the hand value, and the repeats' scatter of Jc at a field near 3 T within 0.5-2x
    of it."""
    from fluxtrap.magnetometry.synthetic import loop_fields

    a, b, c = 2e-3, 3e-3, 4e-3
    noise = 1e-5 if n_points == 8 else 1e-6
    fields = loop_fields(7.0, n_points)
    fields[3 * n_points - 3 : -1] -= lag_T  # the increasing branch, not its last point
    clean = critical_state_moment(kim(3e9, 1.0), fields, a, b, c)
    meta = synthetic_mh_loop(kim(3e9, 1.0), a, b, c, n_points=5).metadata
    hand = 2 * noise / (a * b * c * a * (1 - a / (3 * b)))
    values, errors = [], []
    for seed in range(30):
        moment = clean + np.random.default_rng(seed).normal(0, noise, fields.size)
        table = MeasurementTable.from_arrays(
            fields - offset_T, moment, meta, temperature_K=np.full(fields.size, 5.0)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            jc = jc_from_loop(table, a, b, c)
        assert jc.settings["jc_err_from"] == "loop-width scatter"
        k = int(np.argmin(np.abs(jc.field_T - 3.0)))
        values.append(jc.jc_A_m2[k])
        errors.append(noise_err(jc)[k])
    assert np.median(errors) / hand == pytest.approx(1.0, rel=0.4)
    assert 0.5 < np.median(errors) / np.std(values, ddof=1) < 2.0


def test_a_true_error_column_is_kept_under_a_remanent_field_offset():
    """A 2 mT remanent field shifts every reading's field: the two quadrants' widths then differ
    by 2 mT x dW/dB, ~50x the true column (1e-3 emu), which was scaled up by that (Jc 1-sigma
    1.8e5 A/m^2 for a repeat scatter of 5e3). The branches' own scatter agrees with the column,
    so it is kept: 1-sigma = hand 2 s / (V a (1 - a / 3b)) = 5.36e3 A/m^2 for s = 1e-6 A m^2,
    Jc itself unchanged by the offset within 0.1%."""
    a, b, c = 2e-3, 3e-3, 4e-3
    loop = synthetic_mh_loop(kim(3e9, 1.0), a, b, c, noise_emu=1e-3, seed=3)
    shifted = MeasurementTable.from_arrays(
        loop.field_T - 0.002,
        loop.moment_Am2,
        loop.metadata,
        temperature_K=loop.temperature_K,
        moment_err_Am2=loop.moment_err_Am2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        jc, plain = jc_from_loop(shifted, a, b, c), jc_from_loop(loop, a, b, c)
    assert jc.settings["jc_err_from"] == "moment error column"
    hand = 2 * 1e-6 / (a * b * c * a * (1 - a / (3 * b)))
    k = int(np.argmin(np.abs(jc.field_T - 3.0)))
    assert noise_err(jc)[k] == pytest.approx(hand, rel=0.05)
    assert jc.at(3.0) == pytest.approx(plain.at(3.0), rel=1e-3)


@pytest.mark.parametrize("order", ["shuffled", "reversed", "by field"])
def test_rows_out_of_time_order_are_refused(order, tmp_path):
    """A loop file whose rows were shuffled, reversed or sorted by field (a spreadsheet) but keep
    their time stamps: the branches follow the rows, so the shuffled one gave Jc(3 T) 9.6e3 A/cm^2
    for 1.67e4 with only a 'gap' note and the reversed one 'no irreversible magnetization'. Now
    the first line stepping back in time is named; an M(T) file is checked the same way, and the
    file in measurement order passes."""
    from fluxtrap.magnetometry.tc import split_sweeps

    loop = synthetic_mh_loop(kim(1e9, 0.6), A, B, C, n_points=31, noise_emu=1e-5)
    path = tmp_path / "loop.dat"
    write_qd_dat(loop, path)
    head, data = path.read_bytes().split(b"[Data]\r\n")
    names, *rows = data.strip().split(b"\r\n")
    rows = {
        "shuffled": [rows[k] for k in np.random.default_rng(0).permutation(len(rows))],
        "reversed": rows[::-1],
        "by field": sorted(rows, key=lambda r: float(r.split(b",")[3])),
    }[order]
    mixed = head + b"[Data]\r\n" + b"\r\n".join([names, *rows]) + b"\r\n"
    table = read(mixed, filename="mixed.dat")
    with pytest.raises(
        AnalysisError,
        match=r"mixed\.dat, line \d+: time [\d.]+ s is before .* not in measurement order",
    ):
        jc_from_loop(table, A, B, C)
    t = np.linspace(5, 60, 50)
    mt = MeasurementTable.from_arrays(
        np.full(50, 0.01), -1e-5 * (t < 38), loop.metadata, temperature_K=t, time_s=t[::-1]
    )
    with pytest.raises(AnalysisError, match="not in measurement order"):
        split_sweeps(mt)
    assert jc_from_loop(read(path), A, B, C).at(3.0) > 0


def test_rows_repeated_in_a_loop_file_are_counted_once_and_named():
    """Every row written twice (consecutive, same time) with a moment error column: the width's
    1-sigma came out 0.707x (each reading averaged with itself as if independent). The same
    loop pasted after itself without a time column was read as the loop swept twice, silently.
    Both now give the plain loop's Jc and 1-sigma exactly, with a note naming the repeats."""
    a, b, c = 2e-3, 3e-3, 4e-3
    plain = synthetic_mh_loop(kim(3e9, 1.0), a, b, c, noise_emu=1e-3, seed=4)
    expected = jc_from_loop(plain, a, b, c)

    def table(index, time):
        return MeasurementTable.from_arrays(
            plain.field_T[index],
            plain.moment_Am2[index],
            plain.metadata,
            temperature_K=plain.temperature_K[index],
            time_s=time,
            moment_err_Am2=plain.moment_err_Am2[index],
        )

    n = len(plain)
    twice = table(np.repeat(np.arange(n), 2), np.repeat(np.arange(n, dtype=float), 2))
    pasted = table(np.tile(np.arange(n), 2), None)
    lines = {"twice": "2, 4, 6, 8, 10, 12, ...", "pasted": f"{n + 1}, {n + 2}, {n + 3}"}
    for copied, named in ((twice, lines["twice"]), (pasted, lines["pasted"])):
        with pytest.warns(RepeatedMeasurementWarning, match=f"{n} of {2 * n} rows repeat"):
            jc = jc_from_loop(copied, a, b, c)
        np.testing.assert_allclose(jc.jc_A_m2, expected.jc_A_m2, rtol=1e-12)
        np.testing.assert_allclose(jc.jc_err_A_m2, expected.jc_err_A_m2, rtol=1e-12)
        (note,) = jc.settings["warnings"]
        assert f"(lines {named}" in note and "each point is counted once" in note


def test_one_repeated_row_is_named_in_the_singular():
    """One row written twice: the note said "1 of 101 rows repeat ... (lines 2)"."""
    plain = synthetic_mh_loop(kim(3e9, 1.0), 2e-3, 3e-3, 4e-3, noise_emu=1e-3, seed=4)
    index = np.r_[0, np.arange(len(plain))]
    copied = MeasurementTable.from_arrays(
        plain.field_T[index], plain.moment_Am2[index], plain.metadata
    )
    _, note = copied.without_repeats()
    assert f"1 of {len(plain) + 1} rows repeats an earlier row in every column (line 2)" in note
    _, note = MeasurementTable.from_arrays(
        plain.field_T[index[:3].repeat(2)], plain.moment_Am2[index[:3].repeat(2)], plain.metadata
    ).without_repeats()
    assert "4 of 6 rows repeat an earlier row in every column (lines 2, 3, 4, 6)" in note


def test_a_loop_swept_twice_at_one_temperature_names_the_sweep_left_out():
    """The loop measured again at 5 K in the same file (new noise, no temperature step between):
    the widest branches of the first sweep were used and the repeat ignored without a word. Now
    the note names the branches used and those left out, by line; one sweep alone has none."""
    a, b, c = 2e-3, 3e-3, 4e-3
    first = synthetic_mh_loop(kim(3e9, 1.0), a, b, c, noise_emu=1e-3, seed=1)
    again = synthetic_mh_loop(kim(3e9, 1.0), a, b, c, noise_emu=1e-3, seed=2)
    keep = again.field_T < again.field_T.max()  # its virgin branch: from the top of the loop
    keep[: int(np.argmax(again.field_T))] = False
    both = MeasurementTable.from_arrays(
        np.r_[first.field_T, again.field_T[keep]],
        np.r_[first.moment_Am2, again.moment_Am2[keep]],
        first.metadata,
        temperature_K=np.r_[first.temperature_K, again.temperature_K[keep]],
        moment_err_Am2=np.r_[first.moment_err_Am2, again.moment_err_Am2[keep]],
    )
    with pytest.warns(RepeatedMeasurementWarning, match="swept more than once") as caught:
        jc = jc_from_loop(both, a, b, c)
    note = str(caught[0].message)
    assert re.search(r"used: decreasing lines \d+-\d+, increasing lines \d+-\d+", note)
    assert re.search(r"not used: (decreasing|increasing) lines \d+-\d+", note)
    assert jc.settings["warnings"] == [note]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RepeatedMeasurementWarning)
        assert jc_from_loop(first, a, b, c).settings["warnings"] == []


def test_the_self_field_bias_is_the_second_order_slab_term():
    """For Kim Jc = Jc0 / (1 + B/B0) the slab's second-order term is Jc B_sf^2 / (4 (B0 + B)^2)
    (B_sf^2/12 ((ln Jc)'' + 2 (ln Jc)'^2), (ln Jc)' = -1/(B0 + B)), positive (Bean reads a convex
    Jc high): ``self_field_bias`` on the exact curve gives it within 5 % from 2 B_sf up
    (differences over +- B_sf: 3 %), scaled by the geometry's share; below 2 B_sf it subtracts
    nothing (0.12 % of Jc at 2 T for 2e9 A/m^2, B0 = 1 T, a = 0.5 mm)."""
    b = np.linspace(0, 7, 141)
    jc = kim(2e9, 1.0)(b)
    b_sf = 4e-7 * np.pi * jc * 0.25e-3
    bias, err = self_field_bias(b, jc, b_sf)
    hand = jc * b_sf**2 / (4 * (1.0 + b) ** 2)
    far = b >= 2 * b_sf
    np.testing.assert_allclose(bias[far], hand[far], rtol=0.05)
    assert bias[b == 2.0] / jc[b == 2.0] == pytest.approx(0.0012, rel=0.05)
    assert np.all(bias[~far] == 0) and np.all(err[~far] > 0)
    np.testing.assert_allclose(self_field_bias(b, jc, b_sf, 0.6)[0], 0.6 * bias)


_EXP = (lambda x: 1.5e9 * np.exp(-np.abs(x) / 2.0), "exponential")
_POW = (lambda x: 2e9 * (1 + np.abs(x) / 0.3) ** -0.7, "power")


@pytest.mark.parametrize("law, name", [(kim(2e9, 1.0), "Kim"), _EXP, _POW])
def test_jc_error_bars_cover_the_truth_at_low_field(law, name):
    """Bean reads Jc averaged over mu0 H +- B_sf (the bar's own field): a bias of Jc B_sf^2 / 12
    ((ln Jc)'' + 2 (ln Jc)'^2) that the moment noise alone did not cover. On 20 Kim loops 30 % of
    the points lay within 1 sigma of the truth, median |z| 20-529 below 3 T. Now (1-sigma =
    hypot(noise, self-field term)) over a bar, a cube and a thin plate at 1e-5 emu noise and
    50 mT steps, fully penetrated points at 0.3-3 T: over 55 % within 1 sigma and 90 % within
    2 sigma (measured: 1 sigma 0.81-0.98, 2 sigma 1.00; without the term 0.00 and 0.00-0.04),
    and the term is not the whole error bar where noise dominates (above 3 T
    median |z| 0.5-1.5)."""
    z_low, z_high = [], []
    for a, b, c in ((0.5e-3, 1.2e-3, 2.8e-3), (1e-3, 1e-3, 1e-3), (2e-3, 2e-3, 0.3e-3)):
        table = synthetic_mh_loop(law, a, b, c, n_points=141, noise_emu=1e-5, seed=1)
        jc = jc_from_loop(table, a, b, c)
        z = np.abs(jc.jc_A_m2 - law(jc.field_T)) / jc.jc_err_A_m2
        ok = jc.valid
        z_low.append(z[ok & (jc.field_T >= 0.3) & (jc.field_T < 3)])
        z_high.append(z[ok & (jc.field_T >= 3)])
    low, high = np.concatenate(z_low), np.concatenate(z_high)
    assert low.size > 50 and np.mean(low < 1) > 0.55 and np.mean(low < 2) > 0.9, name
    assert 0.5 < np.median(high) < 1.5, name


@pytest.mark.parametrize("law, name", [(kim(2e9, 1.0), "Kim"), _EXP, _POW])
def test_jc_at_3_t_is_the_truth_with_the_self_field_bias_taken_out(law, name):
    """Inside a fully penetrated sample B spans mu0 H +- B_sf; its Bean width reads Jc high by
    g Jc B_sf^2 / 12 (Jc''/Jc + (Jc'/Jc)^2), g = <d^3> / <d> / (L^2 / 2) over the depths d from
    the edge (a long a x b bar: (1 - 0.6 a/b) / (1 - a/3b); a long cylinder 0.6, analytic.md's
    long-cylinder critical state). That bias had been added to the 1-sigma, not taken out: Jc(3 T)
    of noise-free loops of the users' 0.5 x 1.2 x 2.8 mm bar read 0.015-0.040 % high, of a 1 mm
    cube and a long 1 mm cylinder 0.04-0.11 %. Now within a tenth of the bias of the truth (the
    synthetic bar had been a slab scaled to Bean's moment: a cube's bias 1/0.6 of a long
    bar's), and within its 1-sigma."""
    for (a, b, c), shape, g in (
        ((A, B, C), "bar", (1 - 0.6 * A / B) / (1 - A / (3 * B))),
        ((1e-3, 1e-3, 1e-3), "bar", 0.6),
        ((1e-3, 1e-3, 10e-3), "cylinder", 0.6),
    ):
        loop = synthetic_mh_loop(law, a, b, c, n_points=141, shape=shape)
        jc = jc_from_loop(loop, a, b, c, shape=shape)
        step = 1e-3
        j, below, above = (law(np.array([3.0 + s])).item() for s in (0, -step, step))
        slope, curvature = (above - below) / (2 * step), (above - 2 * j + below) / step**2
        depth = a / 2 if shape == "bar" else 5e-3 * np.arcsinh(0.1)  # h asinh(R / h)
        b_sf = 4e-7 * np.pi * j * depth
        bias = g * j * b_sf**2 / 12 * (curvature / j + (slope / j) ** 2)
        off = jc.at(3.0) - j
        assert abs(off) < 0.1 * bias, (name, shape, off / bias)
        assert abs(off) <= jc.err_at(3.0), (name, shape)


def test_a_jc_with_an_irreversibility_field_gives_a_physical_loop():
    """Jc = 1e9 (1 - B / 5 T)^2, zero above 5 T: 1 / Jc was inf there and every moment garbage
    (8.7e-3 A m^2 at B = 0 of the virgin state, which has no flux). Now the virgin state is 0,
    the loop is reversible (m = 0 within 1e-12 A m^2) above 5.3 T (Bean closed form: no Jc, no
    width), and Bean gives Jc back within its 2 sigma at 0.3-4 T; a NaN or negative Jc is refused."""
    law = lambda b: 1e9 * np.clip(1 - np.abs(b) / 5.0, 0, None) ** 2  # noqa: E731
    fields = loop_fields(7.0, 71)
    m = critical_state_moment(law, fields, A, B, C)
    assert m[0] == 0.0 and np.abs(m[np.abs(fields) > 5.3]).max() < 1e-12
    jc = jc_from_loop(synthetic_mh_loop(law, A, B, C, n_points=71, noise_emu=1e-5), A, B, C)
    ok = jc.valid & (jc.field_T > 0.3) & (jc.field_T < 4)
    assert ok.sum() > 30
    assert np.all(np.abs(jc.jc_A_m2[ok] - law(jc.field_T[ok])) < 2 * jc.jc_err_A_m2[ok])
    for bad in (lambda b: np.full_like(b, np.nan), lambda b: 1e9 - 3e8 * np.abs(b)):
        with pytest.raises(ValidationError, match=r"synthetic loop: Jc\(B\) must be finite"):
            critical_state_moment(bad, fields, A, B, C)


def test_the_self_field_error_below_the_turning_zone_ignores_its_drop():
    """A 3 mm Kim cube (B_sf 0.57 T at 5.6 T): the self-field term's derivatives, taken over
    +- B_sf, reached into the turning zone's falling width near the top, where its curvature
    cancelled the slope term: 1-sigma 0.01 % of Jc at 5.6 T for a 0.19 % bias (22 sigma). Taken
    on the swept points only, every fully penetrated point lies within 2 sigma of the truth."""
    a = 3e-3
    law = kim(2e9, 1.0)
    jc = jc_from_loop(
        synthetic_mh_loop(law, a, a, a, n_points=141, noise_emu=1.6e-4, seed=2), a, a, a
    )
    ok = jc.valid
    assert ok.sum() > 50 and jc.field_T[ok].max() > 5.5
    assert np.all(np.abs(jc.jc_A_m2[ok] - law(jc.field_T[ok])) < 2 * jc.jc_err_A_m2[ok])


def _kim_z_scores(field_T: float, n_points: int, truth=None) -> np.ndarray:
    """(Jc - truth) / err of Jc(``field_T``) read off 30 synthetic loops of Kim Jc(B) (2e9 A/m^2,
    1 T; or the law ``truth``; ``n_points`` per branch, 1e-5 emu noise), one per seed."""
    truth = truth or kim(2e9, 1.0)
    z = []
    for seed in range(30):
        table = synthetic_mh_loop(truth, A, B, C, n_points=n_points, noise_emu=1e-5, seed=seed)
        jc = jc_from_loop(table, A, B, C)
        z.append((jc.at(field_T) - truth(field_T)) / jc.err_at(field_T))
    return np.array(z)


def test_the_jc_error_bar_between_coarse_field_steps_covers_the_interpolation():
    """A loop swept in 0.5 T steps, Kim Jc(B) (ln Jc convex): Jc(3.3 T) is read between the 3.0
    and 3.5 T points, log-linear, 0.9 % high (closed form: (0.3 x 0.2 / 2) / (1 + B)^2); the
    1-sigma must cover it (had: 0.1 %, 0 of 30 loops within 1 sigma, median |z| 6.2)."""
    z = _kim_z_scores(field_T=3.3, n_points=15)
    assert np.mean(np.abs(z) <= 1.0) >= 0.8
    assert np.mean(np.abs(z) <= 2.0) == 1.0


def test_the_remanent_peak_on_coarse_steps_is_no_spike():
    """On 0.5 T steps the remanent peak of a power-law Jc(B) is one reading on each branch,
    mirrored (m_dec(B) = -m_inc(-B)); it had been left out as 4 'spikes' and Jc(0.5 T) read 0.68x
    the truth, unflagged, for an 8 % 1-sigma. Kept, 0.5 T is flagged unpenetrated as on dense
    steps, and Jc at 1.3 T lies within 1 sigma of the truth."""
    truth = JcCurve.from_function(lambda b: 1e9 * (0.2 + np.abs(b)) ** -1.5, np.linspace(0, 8, 801))
    table = synthetic_mh_loop(truth, A, B, C, n_points=15, noise_emu=1e-5, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutlierReadingWarning)
        jc = jc_from_loop(table, A, B, C)
    assert not any("spikes" in w for w in jc.settings["warnings"])
    assert jc.unpenetrated[jc.field_T == 0.5].all()
    assert abs(jc.at(1.3) - truth.at(1.3)) <= jc.err_at(1.3)


def test_a_loop_of_seven_points_a_branch_gives_its_jc_without_a_background():
    """0, +-2.33, +-4.67, +-7 T: too few points above 0.7 max|B| to fit a background, which cancels
    in the width anyway; the loop had been refused ('too few high-field points (|B| >= 4.9 T) to
    fit a background', no file named). Jc(2.33 T) is the Kim truth within 2 sigma."""
    truth = kim(2e9, 1.0)
    table = synthetic_mh_loop(truth, A, B, C, n_points=4, noise_emu=1e-5, background_emu_per_T=1e-2)
    jc = jc_from_loop(table, A, B, C)
    b = jc.field_T[1]
    assert b == pytest.approx(7 / 3)
    assert abs(jc.at(b) - truth(b)) <= 2 * jc.err_at(b)


def test_a_loop_of_five_points_a_branch_is_refused_as_too_coarse():
    """0, +-3.5, +-7 T: the width is irreversible at 0 and 3.5 T only; the refusal had said 'no
    irreversible magnetization: the loop width (median 0.161 emu) is nowhere 3 standard errors
    (1e-05 emu) above zero', false of a width 16 000 sigma wide."""
    table = synthetic_mh_loop(kim(2e9, 1.0), A, B, C, n_points=3, noise_emu=1e-5)
    with pytest.raises(
        AnalysisError, match=r"synthetic.dat: .*only 2 of its 3 .* finer field steps"
    ):
        jc_from_loop(table, A, B, C)


@pytest.mark.parametrize("field_max_T", [0.2, 0.5])
def test_a_minor_loop_below_the_penetration_field_is_refused(field_max_T):
    """Kim 2e9 A/m^2: the 0.5 mm bar is penetrated at mu0 Jc a / 2 = 0.63 T. A loop turned at
    0.2 T had read Jc 0.06x down to 0.0015x the truth, 81 % of its points unflagged, |z| up to 6e4;
    its branches still shield at high field (Bean slab: dm/dB = 0.71 / 0.41 V/mu0 there)."""
    truth = kim(2e9, 1.0)
    fields = loop_fields(field_max_T, 101)
    table = MeasurementTable.from_arrays(
        fields,
        critical_state_moment(truth, fields, A, B, C),
        TableMetadata("minor.dat", "MPMS3", "VSM"),
        temperature_K=5.0,
        time_s=np.arange(fields.size),
    )
    with pytest.raises(AnalysisError, match=r"minor.dat: the loop never fully penetrated .* V/mu0"):
        jc_from_loop(table, A, B, C)


def test_a_disc_given_in_um_for_mm_is_named_a_unit_mistake_not_a_minor_loop():
    """A 3 mm x 1 mm disc's 7 T loop with its diameter given as 3 um (volume 1e6x small): its
    high-field slope read 3.1e3 V/mu0, 3100x the most a sample can shield, and it was refused as
    'never fully penetrated ... sweep further'; now as the dimensions' or the moment's unit.
    Given 10x too small (0.3 x 0.1 mm: 3.1 V/mu0, within a thin disc's bound), its width is 32x
    what such a disc can show: refused so, naming the edges (it had been the minor-loop refusal,
    'sweep further (or, over 1 V/mu0, check the dimensions ...)')."""
    loop = synthetic_mh_loop(kim(2e9, 1.0), 3e-3, 3e-3, 1e-3, shape="cylinder", n_points=71)
    with pytest.raises(
        ValidationError,
        match=r"synthetic.dat: at its high fields .* 3\.1\de\+03 times the most any sample .* "
        r"dimensions too small",
    ):
        jc_from_loop(loop, 3e-6, 3e-6, 1e-3, shape="cylinder")
    with pytest.raises(ValidationError, match=r"32.\d times .* edges too small"):
        jc_from_loop(loop, 0.3e-3, 0.3e-3, 0.1e-3, shape="cylinder")


@pytest.mark.parametrize("law, name", [(kim(2e9, 1.0), "Kim"), _POW])
def test_the_jc_error_bar_at_zero_field_covers_the_self_field_average(law, name):
    """At 0 T the bar's own field spans 0..B_sf (0.63 T for Kim 2e9 A/m^2, 1 T; 0.5 mm): Bean reads
    Jc averaged over it, 15 % below Jc(0) (a model error, not noise). Half the spread of Jc over
    +-B_sf had been stated, 9 %: 0 of 30 loops within 1 sigma (median |z| 1.6). A power law's
    cusp at 0 T (2e9 (1 + B/0.3 T)^-0.7) read 24 % low for the whole spread over 0..B_sf, 23 %:
    0 of 30 within 1 sigma (median |z| 1.08); over 0..2 B_sf (the curve read there is itself
    averaged, flatter than the truth) 30 of 30, median |z| 0.63 (Kim 0.40)."""
    z = _kim_z_scores(field_T=0.0, n_points=29, truth=law)
    assert np.mean(np.abs(z) <= 1.0) >= 0.8, name
    assert np.median(np.abs(z)) < 0.8, name


def test_an_objective_at_another_loop_s_temperature_names_that_loop():
    """Loops at 20 K then 5 K in one file, the campaign's jc_3T at 5 K: analysing the 20 K loop
    skipped it as 'measured at 20 K, objective at 5 K', not saying the file holds a 5 K loop."""
    from fluxtrap.campaign import CampaignSpec
    from fluxtrap.magnetometry.pipeline import objective_values, skipped_objectives

    from ...conftest import EXAMPLES

    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")  # jc_3T: 3 T at 5 K
    warm = synthetic_mh_loop(kim(1e9, 0.6), A, B, C, n_points=41, temperature_K=20)
    cold = synthetic_mh_loop(kim(2e9, 0.6), A, B, C, n_points=41, temperature_K=5)
    table = MeasurementTable.from_arrays(
        np.r_[warm.field_T, cold.field_T],
        np.r_[warm.moment_Am2, cold.moment_Am2],
        warm.metadata,
        temperature_K=np.r_[warm.temperature_K, cold.temperature_K],
        time_s=np.arange(2 * len(warm)),
    )
    jc = jc_from_loop(table, A, B, C, temperature_K=20)
    assert jc.settings["other_loops_K"] == [5.0] and objective_values(spec, jc) == {}
    assert (
        "also holds a loop at 5 K: analyse it with --temperature '5 K'"
        in (skipped_objectives(spec, jc)["jc_3T"])
    )
    assert objective_values(spec, jc_from_loop(table, A, B, C))["jc_3T"] > 0  # the lowest: 5 K


@pytest.mark.parametrize("n_points", [4, 5])
def test_a_coarse_virgin_branch_under_a_paramagnetic_background_is_no_refusal(n_points):
    """2.33 / 1.75 T steps, +0.03 emu/T under a loop of 0.05 emu: the virgin branch's first 3
    points lie in the penetrated state, where the background outruns the moment; the loop had
    been refused as 'not a superconductor's loop: moment rises with field on the virgin
    branch'. Jc at the second field is the Kim truth within 2 sigma."""
    truth = kim(1e9, 0.6)
    table = synthetic_mh_loop(
        truth, A, B, C, n_points=n_points, noise_emu=1e-5, background_emu_per_T=0.03
    )
    jc = jc_from_loop(table, A, B, C)
    b = jc.field_T[1]
    assert abs(jc.at(b) - truth(b)) <= 2 * jc.err_at(b)


def test_one_lowest_bulk_jc_bounds_the_magnetometry_the_simulator_and_the_campaign():
    """The lowest plausible bulk Jc (100 A/cm^2) is one constant, ``jctable.JC_BULK_MIN``: the
    magnetometry's implausibly-low warning, the simulator's JC_PLAUSIBLE lower bound and the
    campaign's Jc error floor read it (three copies of 1e6 had to be kept equal by comments)."""
    from fluxtrap import campaign, jctable
    from fluxtrap.magnetometry import bean
    from fluxtrap.simulate import materials

    assert jctable.JC_BULK_MIN == 1e6  # 100 A/cm^2
    assert bean.JC_BULK_MIN is jctable.JC_BULK_MIN
    assert materials.JC_PLAUSIBLE[0] is jctable.JC_BULK_MIN
    assert campaign.ERROR_FLOOR["jc"] is jctable.JC_BULK_MIN
    assert not hasattr(bean, "JC_IMPLAUSIBLE")


@pytest.mark.parametrize(("d", "t"), [(3e-3, 1.5e-3), (1e-3, 4e-3), (5e-3, 0.5e-3)])
def test_a_cylinders_saturated_moment_is_the_discs_closed_form(d, t):
    """The synthetic cylinder (a disc, a rod, a thin disc) fully penetrated at a constant Jc
    carries m = pi Jc R^3 t / 3 (analytic.md, the saturated moment of a uniformly carrying
    cylinder), within 1e-4; with the opposite sign on the way down."""
    jc0 = 1e9
    flat = lambda b: np.full(np.shape(b), jc0)  # noqa: E731
    m = critical_state_moment(flat, np.array([0.0, 8.0, -8.0]), d, d, t, shape="cylinder")
    closed = np.pi * jc0 * (d / 2) ** 3 * t / 3
    assert m[1] == pytest.approx(-closed, rel=1e-4)
    assert m[2] == pytest.approx(closed, rel=1e-4)


def test_jc_of_a_cylinder_covers_the_truth_where_a_bar_of_its_edges_read_21_percent_low():
    """A disc (3 mm across, 1.5 mm thick) entered as a 3 x 3 x 1.5 mm bar read Jc 21 % low
    (the bar's volume is 4/pi the disc's: Jc(3 T) 0.788 of a Kim truth). As a cylinder
    (Jc = 3 dM / D, 30 dM / D in A/cm^2) over 10 noisy loops of the generator's disc: Jc(B) at
    1.5, 3 and 5 T within 3 sigma everywhere, median |z| under 1 (0.06-0.58 measured); the
    Jc settings record the shape."""
    d, t, truth = 3e-3, 1.5e-3, kim(2e9, 1.0)
    fields = (1.5, 3.0, 5.0)
    z = []
    for seed in range(10):
        loop = synthetic_mh_loop(
            truth, d, d, t, shape="cylinder", noise_emu=2e-3, n_points=71, seed=seed
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            jc = jc_from_loop(loop, d, d, t, shape="cylinder")
        z.append([(jc.at(b) - truth(b)) / jc.err_at(b) for b in fields])
    z = np.abs(np.array(z))
    assert z.max() < 3 and np.all(np.median(z, axis=0) < 1), z
    assert jc.settings["shape"] == "cylinder"
    assert jc.at(3.0) == pytest.approx(truth(3.0), rel=0.02)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        as_bar = jc_from_loop(loop, d, d, t)
    assert as_bar.at(3.0) / truth(3.0) == pytest.approx(np.pi / 4, rel=0.02)


@pytest.mark.parametrize(
    ("edges", "shape", "message"),
    [
        ((3e-3, 4e-3, 1e-3), "cylinder", "a cylinder has one diameter across the field"),
        ((3e-3, 3e-3, 1e-3), "disk", "sample shape 'disk': one of bar, cylinder"),
        ((3e-3, 3e-3, 0.0), "cylinder", "every edge must be a finite length > 0"),
    ],
)
def test_a_cylinder_needs_one_diameter_and_a_known_shape(edges, shape, message):
    """A cylinder of two diameters, an unknown shape (a misspelt one had been a bar without a
    word if passed as text) and a zero thickness are refused before the file is read."""
    loop = synthetic_mh_loop(kim(2e9, 1.0), 3e-3, 3e-3, 1e-3, n_points=21)
    with pytest.raises(ValidationError, match=re.escape(message)):
        jc_from_loop(loop, *edges, shape=shape)
    with pytest.raises(ValidationError, match=re.escape(message)):
        critical_state_moment(kim(2e9, 1.0), np.array([0.0, 1.0]), *edges, shape=shape)


@pytest.mark.parametrize(
    ("d", "t"), [(10e-3, 1e-3), (3e-3, 1.5e-3), (5e-3, 0.2e-3), (3e-3, 3e-3), (3e-3, 30e-3)]
)
def test_a_cylinders_self_field_is_the_field_at_its_centre(d, t):
    """A cylinder's full-penetration (self) field is mu0 Jc h asinh(R / h) (analytic.md: the
    field at the centre of a uniformly carrying cylinder of radius R, half-height h; Forkl 1993,
    Brandt 1998), checked against the loop field mu0 I rho^2 / (2 (rho^2 + z^2)^1.5) integrated
    over the cross-section (within 1e-6) and the long rod's mu0 Jc R (within 0.2 % at c = 10 D).
    The slab's formula (thin-strip scale) had put a 10 x 1 mm disc's at 0.72 of it."""
    from scipy.integrate import quad

    from fluxtrap.magnetometry.bean import penetration_depth
    from fluxtrap.simulate.analytic import bean_axis_field

    jc0, mu0 = 1e9, 4e-7 * np.pi
    r, h = d / 2, t / 2
    # the loops' integral in polar (s, phi) over the quarter section 0..R x 0..h, doubled for
    # -h..h: rho^2 / s^3 * s ds = cos^2 phi ds, s up to the section's edge
    corner = np.arctan2(h, r)
    side = quad(lambda p: np.cos(p) * r, 0.0, corner, epsabs=0, epsrel=1e-10)[0]
    top = quad(lambda p: np.cos(p) ** 2 * h / np.sin(p), corner, np.pi / 2, epsabs=0, epsrel=1e-10)
    loops = mu0 * jc0 * (side + top[0])
    b_sf = mu0 * jc0 * penetration_depth(d, t, "cylinder")
    assert b_sf == pytest.approx(loops, rel=1e-6)
    assert b_sf == pytest.approx(float(bean_axis_field(jc0, r, -h, h, 0.0)), rel=1e-12)
    if t >= 10 * d:
        assert b_sf == pytest.approx(mu0 * jc0 * r, rel=2e-3)


def test_a_discs_unpenetrated_points_are_those_below_its_own_self_field():
    """Jc(B) of a 10 mm x 1 mm disc is flagged unpenetrated exactly where B < mu0 Jc(B) h
    asinh(R / h), the disc's own self-field (0.40 T here for Kim 3e8 A/m^2, B0 = 1 T); the slab's
    scale had ended the flags at 0.31 T, 0.72 of it, and set the turning zone and the self-field
    error from the same too-small field."""
    d, t, truth = 10e-3, 1e-3, kim(3e8, 1.0)
    loop = synthetic_mh_loop(truth, d, d, t, shape="cylinder", noise_emu=1e-3, n_points=141)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        jc = jc_from_loop(loop, d, d, t, shape="cylinder")
    own = 4e-7 * np.pi * jc.jc_A_m2 * (t / 2) * np.arcsinh(d / t)
    low = jc.field_T < 3.0  # away from the turning zone
    assert np.array_equal(jc.unpenetrated[low], (jc.field_T < own)[low])
    # where the truth's self-field crosses B: B = mu0 Jc(B) h asinh(R / h)
    grid = np.linspace(0.0, 1.0, 100001)
    crossing = grid[np.argmax(grid >= 4e-7 * np.pi * truth(grid) * (t / 2) * np.arcsinh(d / t))]
    last = jc.field_T[low][jc.unpenetrated[low]].max()
    assert crossing - 0.06 < last <= crossing, (last, crossing)


def test_a_moment_in_si_labelled_emu_is_named_by_the_virgin_shielding():
    """A moment column holding A*m^2 but labelled emu read 1000x small: Jc of a 3e9 A/m^2 bar came
    out 3.0e6 A/m^2 at most (300 A/cm^2, above the 100 A/cm^2 'implausibly low' line) with no
    word. The virgin branch shields until the field penetrates, where mu0 M / B is about 0.5 for
    any Jc; here 1000x less: an ImplausibleJcWarning names the SI column and is kept in the
    settings. The same loop in emu says nothing."""
    from fluxtrap.magnetometry.pipeline import derive

    a, b, c = 1e-3, 2e-3, 0.5e-3
    loop = synthetic_mh_loop(kim(3e9, 1.0), a, b, c, n_points=281, noise_emu=1e-5)

    def csv(per_Am2):
        rows = [
            f"{f * 1e4:.8g},{m * per_Am2:.8g},5"
            for f, m in zip(loop.field_T, loop.moment_Am2, strict=True)
        ]
        return ("\n".join(["H (Oe),m (emu),T (K)", *rows]) + "\n").encode()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, _, right = derive("mh_loop", csv(1e3), "emu.csv", a, b, c)
    with pytest.warns(ImplausibleJcWarning, match=r"in A\*m\^2 \(SI\) but labelled emu") as caught:
        _, _, si = derive("mh_loop", csv(1.0), "si.csv", a, b, c)
    assert si.jc_A_m2.max() == pytest.approx(right.jc_A_m2.max() / 1e3, rel=0.05)
    assert si.jc_A_m2.max() > 1e6  # the Jc-too-low check alone does not see it
    (note,) = [str(w.message) for w in caught if w.category is ImplausibleJcWarning]
    assert note in si.settings["warnings"]
    fraction = float(re.search(r"mu0 M / B = ([\d.e+-]+) ", note).group(1))
    assert 0.3e-3 < fraction < 2e-3  # 1000x below a bar's 0.3-2 at penetration


@pytest.mark.parametrize("start", ["top", "bottom"])
def test_a_moment_in_si_labelled_emu_is_named_by_the_turning_zone_without_a_virgin_branch(start):
    """The virgin branch's check cannot see a loop started at +-7 T: its A*m^2 column labelled
    emu still read Jc 1000x low (3.3e6 A/m^2 at most for a 3e9 bar) with no word. Just after a
    field reversal the return branch shields the change until the reversed field has
    penetrated, mu0 dM / dB ~ 0.5 over the turning zone whatever Jc is; here 1000x less: the
    same ImplausibleJcWarning, kept in the settings. The same loop in emu says nothing."""
    from fluxtrap.magnetometry.pipeline import derive

    a, b, c = 1e-3, 2e-3, 0.5e-3
    loop = synthetic_mh_loop(kim(3e9, 1.0), a, b, c, n_points=281, noise_emu=1e-5)
    top = int(np.argmax(loop.field_T))
    sign = 1.0 if start == "top" else -1.0  # mirrored: swept -7 -> 7 -> -7 T
    field, moment = sign * loop.field_T[top:], sign * loop.moment_Am2[top:]

    def csv(per_Am2):
        rows = [f"{f * 1e4:.8g},{m * per_Am2:.8g},5" for f, m in zip(field, moment, strict=True)]
        return ("\n".join(["H (Oe),m (emu),T (K)", *rows]) + "\n").encode()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, _, right = derive("mh_loop", csv(1e3), "emu.csv", a, b, c)
    assert right.settings["virgin_slope_Am2_per_T"] is None  # no virgin branch
    with pytest.warns(ImplausibleJcWarning, match=r"just after the field reversal") as caught:
        _, _, si = derive("mh_loop", csv(1.0), "si.csv", a, b, c)
    assert si.jc_A_m2.max() == pytest.approx(right.jc_A_m2.max() / 1e3, rel=0.05)
    assert si.jc_A_m2.max() > 1e6  # the Jc-too-low check alone does not see it
    (note,) = [str(w.message) for w in caught if w.category is ImplausibleJcWarning]
    assert note in si.settings["warnings"] and "in A*m^2 (SI) but labelled emu" in note
    fraction = float(re.search(r"mu0 dM / dB = ([\d.e+-]+) ", note).group(1))
    assert 0.2e-3 < fraction < 2e-3  # 1000x below the critical state's 0.4-2 there


@pytest.mark.parametrize("start", ["top", "bottom"])
def test_a_moment_in_si_labelled_emu_is_named_by_the_remanent_peak_when_reversible_at_the_turns(
    start,
):
    """A loop started at +-7 T whose Jc vanishes at 5 T is reversible at its turns: no turning
    zone to judge, and its A*m^2 column labelled emu read Jc 1000x low (2.1e6 A/m^2 at most for
    a 3e9 bar) with no word. The self field shifts each return branch's remanent peak past zero
    field by about mu0 M whatever Jc is; here the moment is 1000x too small for that shift: the
    same ImplausibleJcWarning, kept in the settings. The same loop in emu says nothing."""
    from fluxtrap.magnetometry.pipeline import derive

    a, b, c = 1e-3, 2e-3, 0.5e-3

    def jc(field_T):
        return kim(3e9, 1.0)(field_T) * np.clip(1 - np.abs(field_T) / 5.0, 0, None) ** 2

    loop = synthetic_mh_loop(jc, a, b, c, n_points=281, noise_emu=1e-5)
    top = int(np.argmax(loop.field_T))
    sign = 1.0 if start == "top" else -1.0  # mirrored: swept -7 -> 7 -> -7 T
    field, moment = sign * loop.field_T[top:], sign * loop.moment_Am2[top:]

    def csv(per_Am2):
        rows = [f"{f * 1e4:.8g},{m * per_Am2:.8g},5" for f, m in zip(field, moment, strict=True)]
        return ("\n".join(["H (Oe),m (emu),T (K)", *rows]) + "\n").encode()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, _, right = derive("mh_loop", csv(1e3), "emu.csv", a, b, c)
    assert right.settings["irreversibility_reached"]  # reversible at its turns
    with pytest.warns(ImplausibleJcWarning, match=r"past zero field") as caught:
        _, _, si = derive("mh_loop", csv(1.0), "si.csv", a, b, c)
    assert si.jc_A_m2.max() == pytest.approx(right.jc_A_m2.max() / 1e3, rel=0.05)
    assert si.jc_A_m2.max() > 1e6  # the Jc-too-low check alone does not see it
    (note,) = [str(w.message) for w in caught if w.category is ImplausibleJcWarning]
    assert note in si.settings["warnings"] and "in A*m^2 (SI) but labelled emu" in note
    fraction = float(re.search(r"mu0 M / shift = ([\d.e+-]+) ", note).group(1))
    assert 0.5e-3 < fraction < 15e-3  # 1000x below the self field's 1-15


@pytest.mark.parametrize("rise", [0.5, 1.0])
def test_a_peak_in_jc_away_from_zero_field_is_no_remanent_peak_shift(rise):
    """A Jc rising with |B| to a peak at 2 T (a fishtail) puts each return branch's largest
    moment there on both sides of zero field: that is no self-field shift, and a weak bar's
    loop (3e7 A/m^2, mu0 M / 2 T ~ 0.01) in the right unit is not called 1000x small."""
    a, b, c = 1e-3, 2e-3, 0.5e-3

    def jc(field_T):
        x = np.abs(field_T)
        return 3e7 * np.where(x < 2.0, 1 + rise * x / 2.0, (1 + rise) * np.exp(2.0 - x))

    loop = synthetic_mh_loop(jc, a, b, c, n_points=141, noise_emu=1e-5)
    top = int(np.argmax(loop.field_T))
    started = loop.subset(slice(top, None))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        curve = jc_from_loop(started, a, b, c)
    assert curve.jc_A_m2.max() > 1e6  # above the Jc-too-low line: only the shift could warn
    assert not [w for w in caught if "past zero field" in str(w.message)]


def test_a_loop_cut_to_one_field_quadrant_says_it_was_not_checked(mpms_file):
    """The real molecular magnet's loop cut to its middle third (a decreasing branch from
    2.2 T to -7 T and back to -4.7 T: no virgin branch, no zero field on both branches) read a
    Jc of 2e7 A/m^2 with no word, even unforced: neither the virgin branch's shielding nor the
    reversible moment through zero field could be judged. A NotSuperconductingWarning now says
    it was not checked, kept in the settings; the whole loop is still refused as before."""
    table = read(mpms_file("mpms3_vsm_mh_CoCp2-ErCOT2_5K.dat"))
    n = len(table)
    cut = table.subset(slice(n // 3, 2 * n // 3))
    with pytest.warns(NotSuperconductingWarning, match="not checked for a superconductor") as w:
        jc = jc_from_loop(cut, 0.5e-3, 1.2e-3, 2.8e-3)
    (note,) = [str(x.message) for x in w if x.category is NotSuperconductingWarning]
    assert note in jc.settings["warnings"] and "share -7..-4.68 T" in note
    with pytest.raises(AnalysisError, match="not a superconductor's loop"):
        jc_from_loop(table, 0.5e-3, 1.2e-3, 2.8e-3)


@pytest.mark.parametrize("sign", [1, -1])
def test_a_half_loop_reads_jc_with_its_virgin_branch_standing_in(sign):
    """A half loop (zero-field cooled, 0 -> 7 -> 0 T: no increasing branch) was refused as 'no
    complete loop'. Above the penetration field the virgin branch carries the increasing
    branch's critical state, so it stands in for it: Jc over the points not flagged agrees with
    the full loop's within their 1-sigma, and a HalfLoopWarning states the assumption (kept in
    the settings). The points where the virgin branch has not penetrated the bar are flagged."""
    a, b, c = 1e-3, 2e-3, 0.5e-3
    full = synthetic_mh_loop(kim(3e9, 1.0), a, b, c, n_points=141, noise_emu=1e-5, seed=2)
    top = int(np.argmax(full.field_T))
    # swept to -7 T first (sign -1): the virgin branch stands in for the decreasing one
    full = dataclasses_replace(full, field_T=sign * full.field_T, moment_Am2=sign * full.moment_Am2)
    half = full.subset(slice(0, 2 * top + 1))  # 0 -> +-7 -> 0 T
    assert half.field_T[-1] == pytest.approx(0.0, abs=1e-9)
    whole = jc_from_loop(full, a, b, c)
    with pytest.warns(
        HalfLoopWarning, match=rf"virgin branch \(0->{7 * sign}\ T\) stands in"
    ) as caught:
        jc = jc_from_loop(half, a, b, c)
    (note,) = [str(w.message) for w in caught if w.category is HalfLoopWarning]
    assert note in jc.settings["warnings"]
    ok = jc.valid
    assert ok.sum() > 50 and jc.unpenetrated[jc.field_T < 0.5].all()
    diff = jc.jc_A_m2[ok] - whole.at(jc.field_T[ok])
    sigma = np.hypot(jc.jc_err_A_m2[ok], [whole.err_at(f) for f in jc.field_T[ok]])
    assert np.mean(np.abs(diff) < sigma) > 0.9


def test_a_half_loops_flagged_join_is_not_called_a_glitch():
    """Where a half loop's virgin branch joins the envelope (0.55-0.7 T for this 3e9 A/m^2 bar)
    the width bends sharply: the glitch filter replaced 4 points there, already flagged not fully
    penetrated, and named them 'a glitch'. Flagged points are no glitches: none is named, and
    Jc there is Bean's of the width as measured."""
    a, b, c = 1e-3, 2e-3, 0.5e-3
    full = synthetic_mh_loop(kim(3e9, 1.0), a, b, c, n_points=141, noise_emu=1e-5, seed=2)
    half = full.subset(slice(0, 2 * int(np.argmax(full.field_T)) + 1))
    width = loop_width(half)
    with pytest.warns(HalfLoopWarning):
        jc = jc_from_width(width, a, b, c)
    assert not [n for n in jc.settings["warnings"] if "glitch" in n]
    at = jc.unpenetrated & (jc.field_T < 1.0)
    assert 0.6 < jc.field_T[at].max() < 1.0  # the join is among them
    measured = np.interp(jc.field_T[at], width.field_T, width.dm_Am2) / (a * b * c)
    np.testing.assert_allclose(jc.jc_A_m2[at], bean_jc(measured, a, b), rtol=1e-9)


@pytest.mark.parametrize(
    ("rows", "missing"),
    [
        ("decreasing", "the increasing branch is missing: sweep the field back up from -7 T"),
        ("increasing", "the decreasing branch is missing: sweep the field back down from 7 T"),
    ],
)
def test_a_single_branch_is_refused_saying_what_to_measure(rows, missing):
    """One branch alone (+7 -> -7 T, or -7 -> +7 T) has no width: refused, as before, but the
    refusal had only said a loop 'needs a decreasing and an increasing branch'; now it names
    the missing branch, the field to sweep from, and that a zero-field-cooled half loop will do."""
    loop = synthetic_mh_loop(kim(1e9, 1.0), A, B, C, n_points=71, noise_emu=1e-5)
    top, bottom = int(np.argmax(loop.field_T)), int(np.argmin(loop.field_T))
    part = loop.subset(slice(top, bottom + 1) if rows == "decreasing" else slice(bottom, None))
    with pytest.raises(AnalysisError, match="no complete loop") as err:
        jc_from_loop(part, A, B, C)
    assert missing in str(err.value) and "0 -> +Bmax -> 0" in str(err.value)


def test_a_field_in_koe_labelled_tesla_is_named():
    """A 7 T loop whose field column holds kOe but is labelled T read as a loop to 70 T (under
    the readers' 100 T limit): jc_3T was Jc at 0.3 T, 3.1x the truth, with no word. A loop
    turning beyond the strongest static magnet (45 T) now warns naming the kOe label and
    keeps the note in the settings; the same loop labelled right says nothing."""
    from fluxtrap.magnetometry.pipeline import derive

    loop = synthetic_mh_loop(kim(1e9, 1.0), A, B, C, n_points=141, noise_emu=1e-5)

    def csv(column, per_T):
        rows = [
            f"{f * per_T:.8g},{m * 1e3:.8g},5"
            for f, m in zip(loop.field_T, loop.moment_Am2, strict=True)
        ]
        return ("\n".join([f"{column},m (emu),T (K)", *rows]) + "\n").encode()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        derive("mh_loop", csv("H (kOe)", 10.0), "koe.csv", A, B, C)
    with pytest.warns(ImplausibleJcWarning, match=r"turns at 70 T, .* in kOe .* labelled T"):
        _, _, jc = derive("mh_loop", csv("H (T)", 10.0), "tesla.csv", A, B, C)
    assert any("in kOe" in note for note in jc.settings["warnings"])


def test_a_loop_cut_inside_its_return_branch_is_no_half_loop():
    """A file cut a third of the way (0 -> 7 T, then back to 2.85 T only) had been read as a half
    loop over 3-7 T, its jc_3T stored; a half loop's return branch must sweep back to the
    virgin branch's start. Refused, saying where the branch stops and what to measure."""
    loop = synthetic_mh_loop(kim(1e9, 1.0), A, B, C, n_points=141, noise_emu=1e-5)
    top = int(np.argmax(loop.field_T))
    cut = loop.subset(slice(0, top + int(0.6 * top)))  # back to 2.85 T
    assert 2.5 < cut.field_T[-1] < 3.0
    with pytest.raises(AnalysisError, match="no complete loop") as err:
        jc_from_loop(cut, A, B, C)
    said = f"the decreasing branch stops at {cut.field_T[-1]:.3g} T: continue it to 0 T for a half"
    assert said in str(err.value), str(err.value)


@pytest.mark.parametrize("after_turn", [2, 5, 20])
def test_a_loop_cut_just_past_its_far_turn_is_read_as_a_half_loop(after_turn):
    """A full loop whose run stopped a few points into its increasing branch (0 -> 7 -> -7 T,
    then -7 -> -6.8, -6.5 or -5 T: an instrument crash) had those points as the loop's
    increasing branch: 2 after the turn were refused as 'too few points, finer field steps', 5
    and 20 read Jc over -7..-6.5 and -7..-5 T only, held as the value at every lower field (Jc
    0.53x and 0.67x the truth at 3 T). Its virgin branch spans more field: it stands in as a
    half loop's does, so Jc over the points not flagged agrees with the full loop's within
    their 1-sigma, and the note names the short branch with its lines."""
    a, b, c = 1e-3, 2e-3, 1e-3
    full = synthetic_mh_loop(kim(1e9, 1.0), a, b, c, n_points=71, noise_emu=1e-4, seed=1)
    bottom = int(np.argmin(full.field_T))
    cut = full.subset(slice(0, bottom + after_turn + 1))
    whole = jc_from_loop(full, a, b, c)
    with pytest.warns(HalfLoopWarning, match="stands in") as caught:
        jc = jc_from_loop(cut, a, b, c)
    (note,) = [str(w.message) for w in caught if w.category is HalfLoopWarning]
    end = f"-7->{cut.field_T[-1]:.3g} T on lines {cut.line[bottom]}-{cut.line[-1]}"
    assert end in note, note
    ok = jc.valid
    assert jc.field_T[ok].min() < 1.0 and jc.field_T.max() > 6.5
    diff = jc.jc_A_m2[ok] - whole.at(jc.field_T[ok])
    sigma = np.hypot(jc.jc_err_A_m2[ok], [whole.err_at(f) for f in jc.field_T[ok]])
    assert np.mean(np.abs(diff) < sigma) > 0.9


@pytest.mark.parametrize("after_turn", [None, 5])
def test_the_stored_jc_3t_and_its_error_cover_the_truth_over_seeds(after_turn):
    """jc_3T (3 T at 5 K) and its stored 1-sigma, from the bytes of a written .dat file through
    derive, objective_values and objective_errors, over 30 seeds of a Kim bar (1e9 A/m^2, 1 T)
    at noise 1e-4 emu: the full loop and one cut 5 points past -7 T. The cut loop's jc_3T was
    not stored ('3 T is outside the measured 6.55..6.9 T'); as a half loop it covers the truth
    27 and 28 of 30 times within 1 and 2 sigma, the full loop 22 and 27 (16 and 26 while its Bean
    width's self-field bias, +0.05 %, was added to its 1-sigma, not taken out). Tolerances: at least 15
    and 25 of 30 (honest bars hold 68 % and 95 %: 2.0 and 2.4 standard errors below), and the
    median 1-sigma under 3x the scatter (no blanket)."""
    from fluxtrap.campaign import CampaignSpec
    from fluxtrap.magnetometry.pipeline import derive, objective_errors, objective_values

    from ...conftest import EXAMPLES

    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    truth = kim(1e9, 1.0)(np.array([spec.objective("jc_3T").field_T]))[0]
    a, b, c = 1e-3, 2e-3, 1e-3
    off, err = [], []
    for seed in range(30):
        loop = synthetic_mh_loop(kim(1e9, 1.0), a, b, c, n_points=71, noise_emu=1e-4, seed=seed)
        if after_turn is not None:
            loop = loop.subset(slice(0, int(np.argmin(loop.field_T)) + after_turn + 1))
        text = io.StringIO()
        write_qd_dat(loop, text)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, _, jc = derive("mh_loop", text.getvalue().encode(), "loop.dat", a, b, c)
        values = objective_values(spec, jc)
        off.append(values["jc_3T"] - truth)
        err.append(objective_errors(spec, values, jc)["jc_3T"])
    z = np.abs(off) / np.array(err)
    assert np.sum(z < 1) >= 15 and np.sum(z < 2) >= 25, np.round(z, 2)
    assert np.median(err) < 3 * np.sqrt(np.mean(np.square(off)))


def test_a_loop_width_s_repr_is_one_line_with_units():
    """A LoopWidth's repr was the dataclass's: every array (numpy's ellipses), 1.1 KB for a
    40 000-point loop and no unit; now one line in T, K and emu."""
    table = synthetic_mh_loop(kim(3e8, 1.0), A, B, C, n_points=20001, background_emu_per_T=-1e-4)
    width = loop_width(table)
    shown = repr(width)
    assert len(shown) < 200 and "\n" not in shown, shown
    assert shown.startswith("<LoopWidth loop 0 at 5 K: 40001 points, -7..7 T, dm up to ")
    peak = re.search(r"dm up to ([\d.e+-]+) emu", shown)[1]
    assert float(peak) == pytest.approx(np.abs(width.dm_Am2).max() * 1e3, rel=5e-3)  # 3 digits
    slope = re.search(r"background ([\d.e+-]+) emu/T", shown)[1]
    assert float(slope) == pytest.approx(width.background_Am2_per_T * 1e3, rel=5e-3)


@pytest.mark.parametrize("edge", ["c", "b"])
def test_an_edge_given_10x_too_large_is_named_by_the_virgin_shielding(edge):
    """The users' bar (0.5 x 1.2 x 2.8 mm, c >= a) with c or b given in cm for mm, in a file
    without a sample mass: Jc read 10x low (Kim 3e9 A/m^2: 4.3e7 for 4.3e8 at 3 T) with no word.
    A bar as thick along the field as across it shields mu0 M / B about 0.5 at penetration
    whatever its Jc (synthetic bars, cubes, rods 0.51-0.62); here about 0.05: an
    ImplausibleJcWarning says the volume is about 10x too large. The right edges, and a thin
    plate (c < a, whose shielding reaches 7), say nothing."""
    jcf = kim(3e9, 0.5)
    loop = synthetic_mh_loop(jcf, A, B, C, n_points=71, noise_emu=1e-5)
    given = {"c": (A, B, 10 * C), "b": (A, 10 * B, C)}[edge]
    with pytest.warns(ImplausibleJcWarning, match=r"an edge given 10x too large") as caught:
        wrong = jc_from_loop(loop, *given)
    note = next(str(w.message) for w in caught if w.category is ImplausibleJcWarning)
    assert note in wrong.settings["warnings"]
    fraction = float(re.search(r"mu0 M / B = ([\d.e+-]+) ", note).group(1))
    assert 0.03 < fraction < 0.08  # 10x below a bar's ~0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        right = jc_from_loop(loop, A, B, C)
        plate = (2e-3, 3e-3, 0.2e-3)
        jc_from_loop(synthetic_mh_loop(jcf, *plate, n_points=71, noise_emu=1e-5), *plate)
    assert right.at(3.0) == pytest.approx(float(jcf(np.array([3.0]))[0]), rel=1e-3)


def test_a_moment_drifting_between_the_branches_is_named_by_the_virgin_branch():
    """A moment offset drifting linearly in time by 5 % of the 3 T loop width over the loop (a
    magnetometer's offset) read Jc(3 T) 2 % and Jc(5 T) 3 % low for a 0.01 % 1-sigma, with no
    word. Past full penetration the virgin branch and the increasing branch carry the same
    critical state (Bean), so their difference there is the drift: a MomentDriftWarning names
    it, kept in the settings. The same loop without drift, and a 1 % drift, say nothing."""
    from fluxtrap.magnetometry.bean import MomentDriftWarning

    jcf = kim(3e9, 0.5)
    loop = synthetic_mh_loop(jcf, A, B, C, n_points=141, noise_emu=1e-5)
    width_3T = 2 * float(jcf(np.array([3.0]))[0]) * A * (1 - A / (3 * B)) * A * B * C / 4

    def drifting(fraction):
        drift = fraction * width_3T * loop.time_s / loop.time_s[-1]
        return MeasurementTable.from_arrays(
            loop.field_T,
            loop.moment_Am2 + drift,
            loop.metadata,
            temperature_K=loop.temperature_K,
            time_s=loop.time_s,
            moment_err_Am2=loop.moment_err_Am2,
        )

    with pytest.warns(MomentDriftWarning, match=r"the moment drifted between them") as caught:
        drifted = jc_from_loop(drifting(0.05), A, B, C)
    (note,) = [str(w.message) for w in caught if w.category is MomentDriftWarning]
    assert note in drifted.settings["warnings"]
    assert drifted.at(3.0) < 0.99 * float(jcf(np.array([3.0]))[0])  # what it warns of
    share = float(re.search(r"emu, ([\d.]+)% of the loop width", note).group(1))
    assert 3 < share < 8  # the virgin's difference: 5 % of the 3 T width, over the loop's time
    for fraction in (0.0, 0.01):
        with warnings.catch_warnings():
            warnings.simplefilter("error", MomentDriftWarning)
            jc_from_loop(drifting(fraction), A, B, C)
