"""outputs.replacing: a file written for the user is whole or left as it was."""

from __future__ import annotations

import errno
import json

import numpy as np
import pytest

from fluxtrap.errors import FluxtrapError
from fluxtrap.outputs import jsonable, replacing, replacing_text


def test_a_finished_write_replaces_the_file(tmp_path):
    out = tmp_path / "a.csv"
    out.write_text("old")
    replacing_text(out, "new")
    assert out.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]


def test_a_disk_full_half_way_leaves_the_old_file_and_says_which(tmp_path):
    out = tmp_path / "a.csv"
    out.write_text("old")
    full = r"a\.csv: cannot write it \(No space left"
    with pytest.raises(FluxtrapError, match=full), replacing(out) as partial:
        partial.write_text("ha")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]


def test_any_other_error_half_way_is_passed_on_and_writes_nothing(tmp_path):
    out = tmp_path / "new.json"
    with pytest.raises(ZeroDivisionError), replacing(out) as partial:
        partial.write_text("{")
        _ = 1 / 0
    assert list(tmp_path.iterdir()) == []


def test_jsonable_turns_numpy_and_non_finite_numbers_into_json_values():
    got = jsonable({"a": np.array([1.0, np.nan]), "b": (np.float32(2.5), np.inf), "c": "x"})
    assert got == {"a": [1.0, None], "b": [2.5, None], "c": "x"}
    assert json.loads(json.dumps(got, allow_nan=False)) == got
