"""Table cells of the CLI: objectives in the unit people read, estimates rounded to their sigma."""

import pytest

from fluxtrap.campaign import ObjectiveDef
from fluxtrap.cli.common import objective_cell, objective_header

JC = ObjectiveDef("jc_3T", "jc", field_T=3.0, temperature_K=5.0)
TC = ObjectiveDef("tc", "tc")
LOG_JC = ObjectiveDef("jc_3T", "jc", field_T=3.0, temperature_K=5.0, log=True)


@pytest.mark.parametrize(
    ("mean", "std", "o", "shown"),
    [
        (4.06123e8, 9.876e7, JC, "40,600 ± 9,900"),  # A/m^2 -> A/cm^2, 2 digits of sigma
        (33.614, 2.46, TC, "33.6 ± 2.5"),
        (33.614, 0.0123, TC, "33.614 ± 0.012"),
        (2e8, 1e2, JC, "20,000.000 ± 0.010"),  # the digits the sigma needs (was "± 0.0")
        (-5.0, 0.0, TC, "-5.00000 ± 0.00000"),
        (12.0, float("nan"), TC, "-"),
        (None, 1.0, TC, "-"),
        # log: the median 2e8 A/m^2 and exp(ln 2e8 -+ 0.5) = 1.213e8, 3.297e8, in A/cm^2
        (2e8, 0.5, LOG_JC, "2e+04 (1.21e+04 to 3.3e+04)"),
        (2e8, None, LOG_JC, "-"),
    ],
)
def test_a_prediction_is_rounded_to_its_sigma_or_given_as_a_median_and_range(mean, std, o, shown):
    """``ObjectiveDef.prediction_text``, which the CLI's suggestion table and the dashboard
    show: a log objective's std is that of ln(value), never "mean ± std" in its unit."""
    assert o.prediction_text(mean, std) == shown


def test_objective_cells_and_headers():
    assert objective_header(JC) == "jc_3T [A/cm²]" and objective_header(TC) == "tc [K]"
    assert objective_cell(2.9e8, JC) == "2.9e+04" and objective_cell(float("nan"), TC) == "-"


def test_the_model_summary_shows_objectives_as_the_tables_do():
    """The model line printed a Jc LOO RMSE of 7.05e+07 (A/m^2, as stored) under a table in
    A/cm², and the Pareto front's Jc likewise; now both in A/cm², a Tc in K."""
    from fluxtrap.campaign import CampaignSpec
    from fluxtrap.cli.optimize import _summary_line

    spec = CampaignSpec.from_dict(
        {
            "name": "two",
            "parameters": [{"name": "t", "unit": "degC", "low": 450, "high": 750}],
            "objectives": [
                {"name": "jc", "quantity": "jc", "field": "3 T", "temperature": "5 K"},
                {"name": "tc", "quantity": "tc"},
            ],
        }
    )
    fit = {"goal": "maximize", "loo_r2": 0.5, "lengthscales": {"t": 0.2}}
    summary = {
        "objectives": {"jc": {**fit, "loo_rmse": 7.05e7}, "tc": {**fit, "loo_rmse": 1.5}},
        "pareto_front": [{"t": 600.0, "jc": 2.5e8, "tc": 37.25}],
    }
    said = _summary_line(summary, spec)
    assert "jc (maximize): LOO RMSE 7.05e+03 A/cm², LOO R^2 0.50" in said
    assert "tc (maximize): LOO RMSE 1.5 K," in said
    assert "Pareto front: t=600, jc=2.5e+04 A/cm², tc=37.25 K" in said


def test_the_model_summary_says_what_awaits_a_constraint_and_what_the_front_left_out():
    """`fluxtrap suggest` said nothing of samples whose constrained outcome is not measured yet
    (they had been counted as breaking it) nor of those the Pareto front left out."""
    from fluxtrap.campaign import CampaignSpec
    from fluxtrap.cli.optimize import _summary_line

    spec = CampaignSpec.from_dict(
        {
            "name": "two",
            "parameters": [{"name": "t", "unit": "degC", "low": 450, "high": 750}],
            "objectives": [{"name": "jc"}, {"name": "tc", "quantity": "tc"}],
        }
    )
    summary = {
        "constraints": {"met": 3, "not met": 1, "unknown": 2, "awaiting": {"tc": 2}},
        "pareto_left_out": {"objective not measured": 1, "constraint not measured": 0},
    }
    said = _summary_line(summary, spec)
    assert "outcome constraints: 3 sample(s) meet them, 1 do not, 2 not known yet" in said
    assert "(awaiting tc (2))" in said
    assert "sample(s) left out: 1 (objective not measured)" in said
    assert "constraint not measured" not in said  # none left out for it


def test_the_model_line_gives_each_length_scale_its_unit():
    """``suggest``'s model line gave length-scales bare ("dose 3.59, T 120"): a log parameter's is
    in decades, the others' in their own unit, a categorical's (encoded) none."""
    from fluxtrap.campaign import CampaignSpec
    from fluxtrap.cli.optimize import _summary_line

    spec = CampaignSpec.from_dict(
        {
            "name": "dose",
            "parameters": [
                {"name": "dose", "low": 0.01, "high": 100, "log": True, "unit": "mg"},
                {"name": "T", "low": 450, "high": 750, "unit": "degC"},
                {"name": "gas", "choices": ["Ar", "N2"]},
            ],
            "objectives": [{"name": "tc", "quantity": "tc"}],
        }
    )
    summary = {"objectives": {"tc": {"goal": "maximize", "loo_rmse": 0.5,
               "lengthscales": {"dose": 0.8, "T": 120.0, "gas": 2.0}}}}  # fmt: skip
    assert "length-scales dose 0.8 decades, gas 2, T 120 degC" in _summary_line(summary, spec)
