"""The one Jc(B) table type: its checks and its interpolation, as both kernels see them."""

import numpy as np
import pytest

from fluxtrap.errors import UnitError, ValidationError
from fluxtrap.jctable import JcTable
from fluxtrap.magnetometry import JcCurve
from fluxtrap.simulate.materials import TableJc
from fluxtrap.units import Q_


def test_log_linear_between_points_and_ends_held():
    table = JcTable([0.0, 2.0], [1e9, 1e7])
    # halfway in B is the geometric mean in Jc; beyond the ends the end values; |B| is used
    assert table.at(1.0) == pytest.approx(1e8, rel=1e-12)
    assert table.at([-1.0, 5.0]).tolist() == pytest.approx([1e8, 1e7], rel=1e-12)


def test_both_kernels_interpolate_the_same_table_identically():
    b, j = [0.0, 0.5, 3.0, 7.0], [3e9, 1e9, 2e8, 4e7]
    at = np.linspace(-8, 8, 33)
    curve, model = JcCurve(field_T=np.array(b), jc_A_m2=np.array(j)), TableJc(tuple(b), tuple(j))
    np.testing.assert_array_equal(curve.at(at), model.at(at))
    np.testing.assert_array_equal(model.at(at), JcTable(b, j).at(at))


@pytest.mark.parametrize(
    ("b", "j", "message"),
    [
        ([0.0, 1.0], [1e8], "same number"),
        ([0.0, np.nan], [1e8, 1e7], "finite"),
        ([1.0, 1.0], [1e8, 1e7], "strictly increasing"),
        ([-1.0, 1.0], [1e8, 1e7], "strictly increasing"),
        ([0.0, 1.0], [1e8, 0.0], r"> 0 \(min 0 at 1 T\)"),
    ],
)
def test_one_set_of_checks_named_by_each_owner(b, j, message):
    with pytest.raises(ValidationError, match=message):
        JcTable(b, j)
    with pytest.raises(ValidationError, match=f"JcCurve: .*{message}"):
        JcCurve(field_T=np.array(b), jc_A_m2=np.array(j))
    with pytest.raises(ValidationError, match=rf"jc.table \(m.csv\): .*{message}"):
        TableJc(tuple(b), tuple(j), source="m.csv")


def test_table_is_a_read_only_copy():
    b = np.array([0.0, 1.0])
    table = JcTable(b, [1e8, 1e7])
    b[1] = 5.0
    assert table.field_T[1] == 1.0
    with pytest.raises(ValueError):
        table.jc_A_m2[0] = 1.0


@pytest.mark.parametrize(
    "field",
    [
        Q_([0, 5e3, 3e4], "Oe"),
        Q_([0, 5, 30], "kOe"),
        Q_(np.array([0, 0.5, 3]) / (4e-7 * np.pi), "A/m"),
        Q_([0, 500, 3000], "mT"),
    ],
)
def test_a_field_column_in_oe_or_a_per_m_is_read_as_mu0_h(field):
    """A Jc table's field column in Oe, kOe or A/m, the H a magnetometer reports, was refused
    ("an H field: give mu0 H in T"); it is now mu0 H (1 Oe -> 1e-4 T), in the table and the
    JcCurve alike, the same curve as the fields in T to 1e-12."""
    j = [3e9, 1e9, 2e8]
    in_t = JcTable([0.0, 0.5, 3.0], j)
    for table in (JcTable(field, j), JcCurve(field, j)):
        np.testing.assert_allclose(table.field_T, in_t.field_T, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(table.at([0.2, 2.0]), in_t.at([0.2, 2.0]), rtol=1e-12)


@pytest.mark.parametrize("unit", ["m", "K", "A/m^2"])
def test_a_field_column_of_another_dimension_is_refused_naming_it(unit):
    with pytest.raises(UnitError, match=r"field_T: .* is not convertible to T nor an H field"):
        JcTable(Q_([0, 1, 3], unit), [3e9, 1e9, 2e8])
    with pytest.raises(UnitError, match=r"JcCurve field_T: .* is not convertible to T nor an H"):
        JcCurve(Q_([0, 1, 3], unit), [3e9, 1e9, 2e8])
