"""A case dict built in a notebook holds numpy arrays and numbers: they are read as lists and
Python numbers, the same case as typed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from fluxtrap.errors import InputFileError
from fluxtrap.simulate import Case


def _case(field, jc, n) -> dict:
    return {
        "title": "notebook",
        "materials": {
            "sc": {
                "n": n,
                "jc": {"table": {"field": field, "field_unit": "T", "jc": jc, "jc_unit": "A/cm^2"}},
            }
        },
        "stack": [{"material": "sc", "radius": "5 mm", "thickness": "3 mm"}],
        "probes": [{"name": "top", "r": "0 mm", "z": "4 mm"}],
        "protocol": [
            {"step": "set", "field": "1 T", "temperature": "5 K"},
            {"step": "ramp_field", "to": "0 T", "rate": "0.01 T/s"},
        ],
    }


def test_numpy_arrays_and_numbers_are_the_case_typed_by_hand():
    """``np.linspace`` for a Jc table was "expected a list of numbers", ``np.int64(25)`` for n
    "expected a plain number"."""
    b = np.linspace(0.0, 4.0, 5)
    by_hand = Case.from_dict(_case([0.0, 1.0, 2.0, 3.0, 4.0], [5e4, 3e4, 2e4, 1.5e4, 1e4], 25))
    jc = np.array([5e4, 3e4, 2e4, 1.5e4, 1e4])
    from_numpy = Case.from_dict(_case(b, jc, np.int64(25)))
    assert from_numpy.key() == by_hand.key()
    assert from_numpy.to_toml() == by_hand.to_toml()


def test_a_nan_in_a_numpy_array_is_refused_naming_where():
    field = np.array([0.0, np.nan, 2.0])
    with pytest.raises(InputFileError, match=r"materials\.sc\.jc\.table\.field\[1\] is nan"):
        Case.from_dict(_case(field, [3e4, 2e4, 1e4], 25))


def test_a_long_jc_table_s_repr_stays_short():
    """A 100 000-point table (a measured curve put in a case from a notebook) printed every value:
    TableJc's repr was 1.8 MB, the Case's materials likewise. Now the ends and the count."""
    field = np.linspace(0.0, 7.0, 100_000)
    case = Case.from_dict(_case(field, 2e5 / (1 + field), 30))
    table = case.material("sc").jc
    assert repr(table).startswith(
        "TableJc(field_T=[0, 7e-05, 0.00014, ..., 7, 7, 7] (100000 values)"
    )
    assert len(repr(table)) < 200 and len(repr(case.materials)) < 400
    short = Case.from_dict(_case([0, 1, 2], [3e4, 2e4, 1e4], 30)).material("sc").jc
    assert repr(short) == "TableJc(field_T=[0, 1, 2], jc_A_m2=[3e+08, 2e+08, 1e+08])"
