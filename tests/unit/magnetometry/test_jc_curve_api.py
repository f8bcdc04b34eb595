"""``JcCurve.at`` from a notebook: a field with its unit, and one that is not a field."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from fluxtrap.errors import UnitError, ValidationError
from fluxtrap.magnetometry import JcCurve, jc_from_loop, loop_width, split_sweeps, tc_from_table
from fluxtrap.units import Q_

# Jc falling as exp(-B / 2 T): log-linear interpolation is exact between the points
CURVE = JcCurve(np.arange(5.0), 5e9 * np.exp(-np.arange(5.0) / 2))


@pytest.mark.parametrize("field", ["3 T", "30 kG", Q_(3, "T"), Q_(3000, "mT")])
def test_a_field_with_its_unit_is_converted(field):
    """``at("3 T")`` was numpy's "could not convert string to float: '3 T'"."""
    assert CURVE.at(field) == pytest.approx(5e9 * math.exp(-1.5), rel=1e-12)


def test_an_array_quantity_and_a_plain_array_agree():
    expect = 5e9 * np.exp(-np.array([0.5, 3.5]) / 2)
    np.testing.assert_allclose(CURVE.at(Q_([500, 3500], "mT")), expect, rtol=1e-12)
    np.testing.assert_allclose(CURVE.at([0.5, -3.5]), expect, rtol=1e-12)  # |B|


@pytest.mark.parametrize(
    ("field", "error", "says"),
    [
        (math.nan, ValidationError, "a field is a finite number of T"),  # was NaN, silently
        (np.inf, ValidationError, "a field is a finite number of T"),  # was the end value
        ("3", UnitError, "has no unit"),
        ("2.4e6 A/m", UnitError, "an H field: give mu0 H"),
        (Q_([1, 3], "m"), ValidationError, "not a field"),
        (["3 T"], ValidationError, "not a field"),
    ],
)
def test_what_is_not_a_field_is_refused_naming_it(field, error, says):
    with pytest.raises(error, match=says):
        CURVE.at(field)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda t: jc_from_loop(t, 0.5e-3, 1.2e-3, 2.8e-3), "jc_from_loop"),
        (loop_width, "loop_width"),
        (tc_from_table, "tc_from_table"),
        (split_sweeps, "split_sweeps"),
    ],
)
@pytest.mark.parametrize("given", ["loop/B2.dat", Path("loop/B2.dat")])
def test_a_file_path_for_a_table_says_read_it_first(call, name, given):
    """``jc_from_loop("B2.dat", ...)`` was "'str' object has no attribute 'without_repeats'" (and
    tc_from_table's "... has no attribute 'kind'") from deep inside: it now names the function,
    the argument and ``read``."""
    with pytest.raises(ValidationError, match=f"^{name}: table is a .*, not a MeasurementTable"):
        call(given)
    with pytest.raises(ValidationError, match=r"read it first, read\(.*'loop/B2\.dat'\)"):
        call(given)


def test_err_at_takes_an_array_as_at_does():
    """``at(B_array)`` gave an array but ``err_at(B_array)`` was "only 0-dimensional arrays can
    be converted to Python scalars": a notebook's error band needed a loop. Each entry is the
    scalar's; a NaN entry gives NaN, as at's."""
    curve = JcCurve(np.arange(5.0), 5e9 * np.exp(-np.arange(5.0) / 2), jc_err_A_m2=np.arange(5.0))
    fields = np.array([[0.5, math.nan], [-3.5, 7.0]])
    got = curve.err_at(fields)
    assert got.shape == fields.shape and math.isnan(got[0, 1])
    for b in (0.5, -3.5, 7.0):
        assert got[fields == b] == [curve.err_at(b)]
    assert curve.err_at(Q_([500, 3500], "mT")).tolist() == [curve.err_at(0.5), curve.err_at(3.5)]


def test_a_jc_curve_is_a_dataframe_with_units_in_its_column_names():
    """A JcCurve had ``to_columns`` (lists, for the store) and no DataFrame as the
    MeasurementTable's ``to_frame``; now one row a field, SI units in the column names."""
    flags = np.array([True, False, False, False, False])
    curve = JcCurve(
        np.arange(5.0), 5e9 * np.exp(-np.arange(5.0) / 2), unpenetrated=flags,
        jc_err_A_m2=[np.nan, 1e7, 1e7, 2e7, 2e7],
    )  # fmt: skip
    frame = curve.to_frame()
    assert list(frame.columns) == ["B_T", "Jc_A_m2", "Jc_err_A_m2", "unpenetrated"]
    np.testing.assert_array_equal(frame.B_T, curve.field_T)
    np.testing.assert_array_equal(frame.Jc_A_m2, curve.jc_A_m2)
    assert frame.Jc_err_A_m2.isna().tolist() == [True, False, False, False, False]
    assert frame.unpenetrated.tolist() == flags.tolist()


def test_a_jc_curve_of_pint_quantities_is_converted_not_stripped():
    """``JcCurve(B, Q_(jc, "A/cm^2"))`` stripped the unit with a warning and read A/cm^2 as
    A/m^2: Jc 1e4 times too small. Quantities are now converted; another dimension, or text, is
    refused naming the argument."""
    jc_cm2 = np.array([3e4, 2e4, 1e4])
    curve = JcCurve(
        Q_([0, 1000, 2000], "mT"), Q_(jc_cm2, "A/cm^2"), jc_err_A_m2=Q_([1, 1, 1], "A/cm^2")
    )
    np.testing.assert_allclose(curve.field_T, [0, 1, 2])
    np.testing.assert_allclose(curve.jc_A_m2, jc_cm2 * 1e4)
    np.testing.assert_allclose(curve.jc_err_A_m2, 1e4)
    with pytest.raises(UnitError, match="JcCurve jc_A_m2: tesla is not convertible to A/m\\^2"):
        JcCurve([0, 1, 2], Q_(jc_cm2, "T"))
    with pytest.raises(
        UnitError, match="JcCurve field_T: expected numbers in T or a pint quantity"
    ):
        JcCurve("0 1 2", jc_cm2 * 1e4)


def test_from_function_converts_fields_given_with_their_unit():
    """``JcCurve.from_function(f, Q_(B, "mT"))`` stripped the unit (numpy): 500 mT tabulated as
    500 T; a quantity is now converted as the constructor's (an H in Oe read as mu0 H)."""

    def jc(b):
        return 5e9 * np.exp(-b / 2)

    in_t = JcCurve.from_function(jc, [0.0, 0.5, 3.0])
    for field in (Q_([0, 500, 3000], "mT"), Q_([0, 5e3, 3e4], "Oe")):
        curve = JcCurve.from_function(jc, field)
        np.testing.assert_allclose(curve.field_T, in_t.field_T, rtol=1e-12)
        np.testing.assert_allclose(curve.jc_A_m2, in_t.jc_A_m2, rtol=1e-12)
