"""Table cells of the CLI: objectives in the unit people read, estimates rounded to their sigma."""

import pytest

from fluxtrap.campaign import ObjectiveDef
from fluxtrap.cli.common import estimate_cell, objective_cell, objective_header

JC = ObjectiveDef("jc_3T", "jc", field_T=3.0, temperature_K=5.0)
TC = ObjectiveDef("tc", "tc")


@pytest.mark.parametrize(
    ("mean", "std", "o", "shown"),
    [
        (4.06123e8, 9.876e7, JC, "40,600 ± 9,900"),  # A/m^2 -> A/cm^2, 2 digits of sigma
        (33.614, 2.46, TC, "33.6 ± 2.5"),
        (33.614, 0.0123, TC, "33.614 ± 0.012"),
        (2e8, 1e-12, JC, "20,000.0 ± 0.0"),  # at most 6 significant digits of the mean
        (-5.0, 0.0, TC, "-5.00000 ± 0.00000"),
        (12.0, float("nan"), TC, "-"),
        (None, 1.0, TC, "-"),
    ],
)
def test_an_estimate_is_rounded_to_its_sigma(mean, std, o, shown):
    assert estimate_cell(mean, std, o) == shown


def test_objective_cells_and_headers():
    assert objective_header(JC) == "jc_3T [A/cm²]" and objective_header(TC) == "tc [K]"
    assert objective_cell(2.9e8, JC) == "2.9e+04" and objective_cell(float("nan"), TC) == "-"
