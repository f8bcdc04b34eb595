"""SearchSpace: encoding, snapping, validation, constraints, fixed values, Sobol design."""

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from fluxtrap.campaign import CampaignSpec
from fluxtrap.errors import ValidationError
from fluxtrap.optimize import Categorical, Continuous, Integer, LinearConstraint, SearchSpace

EXAMPLE = Path(__file__).parents[3] / "examples" / "campaign.toml"


def sps_space(**kw) -> SearchSpace:
    return SearchSpace(
        [
            Continuous("ramp_rate", 10, 100, 0.1, "degC/min"),
            Continuous("max_temperature", 450, 750, 1, "degC"),
            Continuous("dwell_time", 0, 60, 0.01, "min"),
        ],
        **kw,
    )


def test_a_campaign_with_every_parameter_fixed_says_why_it_has_no_space():
    """A record-only campaign (fixed = 600 its only parameter): suggest had failed with "search
    space needs at least one parameter"; now it says every parameter is fixed, as
    CampaignSpec.suggest_note told at creation."""
    spec = CampaignSpec.from_dict(
        {
            "name": "c10",
            "parameters": [{"name": "T", "unit": "degC", "low": 450, "high": 750, "fixed": 600}],
            "objectives": [{"name": "y", "quantity": "value", "goal": "maximize"}],
        }
    )
    with pytest.raises(ValidationError, match=r"'c10': every parameter is fixed \(T = 600 degC\)"):
        SearchSpace.from_campaign(spec)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Continuous("a", 0, 1, None), "parameter a: step must be a number, got None"),
        (lambda: Continuous("a", "0", 1), "parameter a: low must be a number, got '0'"),
        (lambda: Continuous("a", 0, True), "parameter a: high must be a number, got True"),
        (lambda: Categorical("g", None), "parameter g: choices must be a list or tuple"),
    ],
)
def test_a_parameter_of_values_not_numbers_is_a_validation_error_naming_it(make, message):
    """Continuous('a', 0, 1, None) raised a bare TypeError from a comparison."""
    with pytest.raises(ValidationError, match=re.escape(message)):
        make()


@pytest.mark.parametrize(("low", "high"), [(-1e308, 1e308), (1.0, 1.0), (0.0, math.inf)])
def test_a_parameter_of_no_finite_width_is_refused_naming_it(low, high):
    """Bounds -1e308..1e308, each finite, have an infinite width: every value was encoded as NaN
    and a later tell said "X row 0: a=nan is not a finite number" of a row holding a=0."""
    with pytest.raises(ValidationError, match=r"^parameter a: need finite low < high, a finite"):
        Continuous("a", low, high)


def test_from_campaign_file_and_spec_agree():
    a = SearchSpace.from_campaign(EXAMPLE)
    b = SearchSpace.from_campaign(CampaignSpec.from_toml(EXAMPLE))
    assert a == b
    assert a.names == ["ramp_rate", "max_temperature", "dwell_time"]
    assert a.parameter("max_temperature").step == 1
    assert "max_temperature in [450, 750] degC, step 1" in repr(a)


def test_round_trip_lands_on_grid():
    space = sps_space()
    U = torch.rand(200, 3, dtype=torch.double, generator=torch.Generator().manual_seed(0))
    X = space.from_unit(U)
    for p in space.parameters:
        k = (X[p.name] - p.low) / p.step
        np.testing.assert_allclose(k, np.round(k), atol=1e-6)
        assert X[p.name].between(p.low, p.high).all()
    # snapping moves a point by at most half a step
    assert (space.to_unit(X) - U).abs().max() <= max(
        p.step / p.width for p in space.parameters
    ) / 2 + 1e-12
    pd.testing.assert_frame_equal(space.from_unit(space.to_unit(X)), X)


def test_grid_top_below_high():
    p = Continuous("x", 0, 1, 0.3)
    assert p.top == pytest.approx(0.9)
    np.testing.assert_allclose(p.snap(np.array([1.0, 0.95, 0.14])), [0.9, 0.9, 0.0])


def test_outside_bounds_names_row_and_value():
    X = pd.DataFrame({"ramp_rate": [20, 30], "max_temperature": [600, 800], "dwell_time": [5, 5]})
    with pytest.raises(
        ValidationError, match=r"row 1: max_temperature=800 is outside \[450, 750\] degC"
    ):
        sps_space().to_unit(X)
    with pytest.raises(ValidationError, match="missing parameter column"):
        sps_space().to_unit(X.drop(columns="dwell_time"))
    # a misspelt column was left unnamed: "X: missing parameter column(s) max_temperature"
    with pytest.raises(
        ValidationError,
        match=r"^X: missing parameter column\(s\) max_temperature \(did you mean "
        r"max_temperature for 'max_temprature'\?\)$",
    ):
        sps_space().to_unit(X.rename(columns={"max_temperature": "max_temprature"}))


def test_linear_constraint_encoding_matches_campaign_units():
    con = LinearConstraint({"ramp_rate": 2.0, "dwell_time": 1.0}, 100.0)
    space = sps_space(constraints=[con])
    X = space.from_unit(
        torch.rand(500, 3, dtype=torch.double, generator=torch.Generator().manual_seed(1))
    )
    ((idx, coef, rhs),) = space.inequality_constraints()
    U = space.to_unit(X)
    botorch_ok = (U[:, idx] * coef).sum(-1) >= rhs - 1e-9
    np.testing.assert_array_equal(botorch_ok.numpy(), space.feasible(X))
    assert 0 < space.feasible(X).mean() < 1


def test_fixed_values_and_integer_and_categorical():
    space = SearchSpace(
        [Continuous("t", 0, 10, 0.5), Integer("n", 1, 5), Categorical("gas", ("Ar", "N2", "vac"))]
    ).fix(gas="N2", t=2.5)
    S = space.sample(5, seed=3)
    assert (S.gas == "N2").all() and (S.t == 2.5).all()
    assert S.n.dtype.kind == "i" and S.n.between(1, 5).all()
    assert space.bounds[1].tolist() == [1.0, 1.0, 2.0]
    with pytest.raises(ValidationError, match="off the step grid"):
        space.fix(t=2.2)
    with pytest.raises(ValidationError, match="not one of"):
        space.to_unit(pd.DataFrame({"t": [1.0], "n": [2], "gas": ["He"]}))


def test_sample_distinct_feasible_and_excludes():
    con = LinearConstraint({"ramp_rate": 1.0, "max_temperature": -0.1}, 20.0)
    space = sps_space(constraints=[con])
    first = space.sample(10, seed=0)
    more = space.sample(30, seed=0, exclude=first)
    assert space.feasible(more).all()
    keys = space.keys(pd.concat([first, more]))
    assert len(set(keys)) == 40
    small = SearchSpace([Integer("k", 0, 3)])
    assert sorted(small.sample(4).k) == [0, 1, 2, 3]
    with pytest.raises(ValidationError, match="only 4 new feasible"):
        small.sample(5)


def test_a_small_grid_is_listed_whole_with_constraints_and_fixed_values():
    """3 x 4 x 2 points, of which the constraint a + b <= 3 keeps 8 (a, b) pairs per gas."""
    space = SearchSpace(
        [
            Integer("a", 0, 2),
            Continuous("b", 1.0, 2.5, 0.5, "mm"),
            Categorical("gas", ("Ar", "N2")),
        ],
        constraints=[LinearConstraint((("a", 1.0), ("b", 1.0)), 3.0)],
    )
    grid = space.grid()
    pairs = {(a, b) for a in (0, 1, 2) for b in (1.0, 1.5, 2.0, 2.5) if a + b <= 3}
    assert sorted(zip(grid.a, grid.b, grid.gas, strict=True)) == sorted(
        (a, b, g) for a, b in pairs for g in ("Ar", "N2")
    )
    assert set(grid.gas[grid.a == 0]) == {"Ar", "N2"}
    assert space.fix(gas="N2").grid().gas.eq("N2").all()
    assert len(pairs) == 8 and len(space.fix(gas="N2").grid()) == 8


def test_no_grid_for_a_free_continuous_parameter_or_a_large_box():
    assert SearchSpace([Continuous("x", 0, 1)]).grid() is None
    assert SearchSpace([Continuous("x", 0, 1, 1e-4)]).grid() is None  # 10 001 points
    assert len(SearchSpace([Continuous("x", 0, 1, 1e-3)]).grid()) == 1001
    assert SearchSpace([Continuous("x", 0, 1, 0.01), Integer("k", 0, 99)]).grid() is None


def test_sample_finds_a_thin_constrained_region():
    """a + b <= 0.001 leaves 5e-7 of the box: every Sobol point misses it, but it holds
    infinitely many points, and the first design must come from inside it (it said 'holds only
    0 new feasible point(s)')."""
    thin = LinearConstraint({"a": 1.0, "b": 1.0}, 0.001)
    space = SearchSpace([Continuous("a", 0, 1), Continuous("b", 0, 1)], [thin])
    X = space.sample(5, seed=3)
    assert len(X) == 5 and space.feasible(X).all()
    assert len(set(space.keys(X))) == 5


def test_sample_names_constraints_that_exclude_everything():
    """Built in code (no campaign file checks it first): a + b <= -1 on [0, 1]^2 is empty."""
    empty = LinearConstraint({"a": 1.0, "b": 1.0}, -1.0)
    space = SearchSpace([Continuous("a", 0, 1), Continuous("b", 0, 1)], [empty])
    with pytest.raises(ValidationError, match=r"no parameter values meet the constraints .*a"):
        space.sample(2)


def test_the_cube_s_float_noise_decodes_to_the_bound():
    """An acquisition optimum at the lower bound came back as u = 4e-17: a dwell of
    2.38398e-15 min was suggested (and printed) for 0 min."""
    space = SearchSpace([Continuous("dwell", 0, 60, 0, "min"), Continuous("T", 450, 750)])
    out = space.from_unit(torch.tensor([[4e-17, 1 - 1e-16]], dtype=torch.double))
    assert out.loc[0].tolist() == [0.0, 750.0]


def test_from_campaign_takes_a_dict_and_names_what_it_cannot_take():
    """A dict of the campaign file's shape gives the same space as the file (it was a TypeError
    from pathlib); anything else is an InputFileError that says what is expected."""
    import tomllib

    from fluxtrap.errors import InputFileError

    from ...conftest import EXAMPLES

    path = EXAMPLES / "campaign.toml"
    from_dict = SearchSpace.from_campaign(tomllib.loads(path.read_text()))
    assert from_dict == SearchSpace.from_campaign(path)
    assert from_dict.names == ["ramp_rate", "max_temperature", "dwell_time"]
    with pytest.raises(InputFileError, match="expected a campaign file path, a dict or a"):
        SearchSpace.from_campaign(42)


def test_ask_names_constraints_that_a_fixed_value_or_told_data_leave_empty():
    """Built in code: a fixed at 0.9 under a + b <= 0.5 leaves no point; ask was BoTorch's
    CandidateGenerationError after an 8 s search (InfeasibilityError with a + b <= -1), now a
    ValidationError before any fit naming the constraint and the fixed value."""
    import time

    from fluxtrap.optimize import Optimizer

    X = pd.DataFrame({"a": [0.1, 0.2, 0.3], "b": [0.2, 0.3, 0.1]})
    y = pd.Series([1.0, 2.0, 3.0], name="y")
    box = [Continuous("a", 0, 1), Continuous("b", 0, 1)]
    held = SearchSpace(box, [LinearConstraint({"a": 1.0, "b": 1.0}, 0.5)], fixed={"a": 0.9})
    empty = SearchSpace(box, [LinearConstraint({"a": 1.0, "b": 1.0}, -1.0)])
    for space, said in ((held, r"<= 0.5 \(within b in \[0, 1\], a fixed at 0.9\)"), (empty, "-1")):
        start = time.monotonic()
        with pytest.raises(
            ValidationError, match=f"no parameter values meet the constraints .*{said}"
        ):
            Optimizer(space, num_restarts=2, raw_samples=16).tell(X, y).ask(1)
        assert time.monotonic() - start < 5.0  # refused at once, with room for a loaded CI machine
    assert len(held.fix(a=0.2).sample(3)) == 3  # a + b <= 0.5 at a = 0.2 holds points


def _log_campaign(**extra) -> dict:
    return {
        "name": "dopant",
        "parameters": [
            {"name": "dose", "unit": "mg", "low": 0.01, "high": 100, **extra},
            {"name": "T", "unit": "degC", "low": 450, "high": 750},
        ],
        "objectives": [{"name": "y", "quantity": "value", "goal": "maximize"}],
    }


def test_a_log_parameter_spreads_its_design_over_its_decades():
    """A dose from 0.01 to 100 mg (4 decades): with no log scale 64 Sobol points fell
    [1, 0, 6, 57] in its decades (one below 1 mg, the geometric middle); with ``log = true``
    each decade gets its share; the round trip keeps the values."""
    spec = CampaignSpec.from_dict(_log_campaign(log=True))
    assert spec.parameter("dose").to_dict()["log"] is True
    space = SearchSpace.from_campaign(spec)
    dose = space.sample(64)["dose"].to_numpy()
    counts = np.histogram(np.log10(dose), bins=[-2, -1, 0, 1, 2])[0]
    assert counts.min() >= 12, counts
    X = pd.DataFrame({"dose": [0.01, 0.1, 3.7, 100.0], "T": [450, 500, 600, 750]})
    np.testing.assert_allclose(space.from_unit(space.to_unit(X))["dose"], X["dose"], rtol=1e-9)
    np.testing.assert_allclose(space.to_unit(X)[:, 0].numpy(), [0, 0.25, 0.5 + 0.142, 1], atol=2e-3)


@pytest.mark.parametrize(
    ("extra", "constraint", "message"),
    [
        ({"low": 0}, None, "log = true needs low > 0"),
        ({"step": 0.01}, None, "without step"),
        ({"log": "yes"}, None, "log must be true or false"),
        ({}, "dose + T <= 700", "dose has log = true: a linear constraint cannot name it"),
    ],
)
def test_a_log_parameter_it_cannot_search_is_refused_at_creation(extra, constraint, message):
    data = _log_campaign(log=True)
    data["parameters"][0].update(extra)
    if constraint:
        data["constraints"] = [{"expression": constraint}]
    with pytest.raises(ValidationError, match=re.escape(message)):
        CampaignSpec.from_dict(data)


def test_a_pair_of_constraints_meeting_as_an_equality_gets_a_spread_design():
    """T + t <= 500 with T + t >= 500: a line of settable points, no interior. The design had
    found one point (the corner T = 500, t = 0) and refused a batch of 4 ("search space holds
    only 1 new feasible point(s)"); hit-and-run now walks the line as an equality."""
    space = SearchSpace(
        [Continuous("T", 450, 750), Continuous("t", 0, 60), Continuous("rate", 1, 10)],
        [
            LinearConstraint((("T", 1.0), ("t", 1.0)), 500.0),
            LinearConstraint((("T", -1.0), ("t", -1.0)), -500.0),
        ],
    )
    X = space.sample(4)
    np.testing.assert_allclose(X["T"] + X["t"], 500, rtol=1e-9)
    assert X["t"].min() < 20 < 40 < X["t"].max()  # spread along the line, not one corner
    assert X["rate"].nunique() == 4
