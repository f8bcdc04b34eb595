"""``Case.to_toml``: a parsed case written back as a case file reads back to the same case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tomli

from fluxtrap.simulate import Case

EXAMPLES = Path(__file__).parents[3] / "examples"


@pytest.mark.parametrize("name", ["paper_bulk_pair.toml", "paper_zfc_loop.toml", "pfm_pulse.toml"])
def test_examples_round_trip_through_toml(name, tmp_path):
    case = Case.load(EXAMPLES / name)
    (tmp_path / "case.toml").write_text(case.to_toml())
    back = Case.from_toml(tmp_path / "case.toml")
    assert back == case and back.to_si_dict() == case.to_si_dict()


def test_a_curve_temperature_scaling_and_odd_title_survive():
    class Curve:  # anything with .at(B_T) -> A/m^2 becomes a table
        def at(self, b):
            return 2e9 / (1 + np.abs(b))

    case = Case.from_dict({
        "title": 'Bulk "A" \\ at 5 K\nsecond line',
        "materials": {"sc 1": {"n": 35, "jc": Curve(), "e0": "1e-4 V/m"}},
        "stack": [{"material": "sc 1", "radius": "5 mm", "thickness": "2 mm"}],
        "probes": [{"name": "top", "r": "0 mm", "z": "2.5 mm"}],
        "protocol": [{"step": "set", "field": "1 T", "temperature": "5 K"},
                     {"step": "ramp_field", "to": "0 T", "rate": "0.1 T/s"}],
        "output": {"snapshots": ["5 s"]},
    })  # fmt: skip
    back = Case.from_dict(tomli.loads(case.to_toml()))
    assert back.title == case.title and back.snapshots_s == (5.0,)
    assert back.material("sc 1").jc.at(1.0) == pytest.approx(1e9)
    assert back.to_dict() == case.to_dict()
