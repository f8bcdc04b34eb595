import json
import math
import re
from types import SimpleNamespace

import pytest

from fluxtrap import units
from fluxtrap.campaign import (
    CampaignSpec,
    ObjectiveDef,
    ParameterDef,
    check_new_name,
    history_frame,
)
from fluxtrap.errors import FluxtrapError, InputFileError, UnitError, ValidationError

from ..conftest import EXAMPLES


@pytest.fixture
def spec() -> CampaignSpec:
    return CampaignSpec.from_toml(EXAMPLES / "campaign.toml")


def test_example_campaign_reads_in_si(spec):
    assert spec.parameter_names == ["ramp_rate", "max_temperature", "dwell_time"]
    (jc,) = spec.objectives
    assert (jc.quantity, jc.field_T, jc.temperature_K, jc.maximize) == ("jc", 3.0, 5.0, True)


def test_history_frame_columns_rows_and_missing_values(spec):
    params = {"ramp_rate": 50.0, "max_temperature": 600.0, "dwell_time": 5.0, "extra": 1}
    samples = [
        SimpleNamespace(label="S1", note="a", params=params, objectives={"jc_3T": 2e8}),
        SimpleNamespace(label="S2", note="b", params=params, objectives={}),
    ]
    frame = history_frame(spec, samples, before=("label",), after=("note",))
    assert list(frame.columns) == ["label", *spec.parameter_names, "jc_3T", "note"]
    assert frame["label"].tolist() == ["S1", "S2"] and frame["note"].tolist() == ["a", "b"]
    assert frame.loc[0, "jc_3T"] == 2e8 and math.isnan(frame.loc[1, "jc_3T"])
    assert history_frame(spec, samples[1:], missing=None)["jc_3T"].tolist() == [None]
    assert list(history_frame(spec, []).columns) == [*spec.parameter_names, "jc_3T"]


def test_dict_round_trip(spec):
    assert CampaignSpec.from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5, "pressure": 50},
            "unknown parameter.*pressure",
        ),
        ({"ramp_rate": 50, "max_temperature": 600}, "missing parameter.*dwell_time"),
        (  # a name that cannot be printed (a lone surrogate) or moves the text, escaped
            {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5, "p\ud800\u202e": 1},
            r"unknown parameter\(s\) p\\ud800\\u202e for",
        ),
        (
            {"ramp_rate": 50, "max_temperature": 800, "dwell_time": 5},
            r"max_temperature=800 degC is outside \[450, 750\]",
        ),
        (
            {"ramp_rate": 50.05, "max_temperature": 600, "dwell_time": 5},
            "ramp_rate=50.05 degC/min is off the step grid",
        ),
        (
            {"ramp_rate": "fast", "max_temperature": 600, "dwell_time": 5},
            "ramp_rate='fast' is not a number",
        ),
    ],
)
def test_check_params_errors(spec, values, message):
    with pytest.raises(ValidationError, match=message) as err:
        spec.check_params(values)
    str(err.value).encode()  # printable: a lone surrogate failed as UnicodeEncodeError


def test_a_parameter_given_with_a_unit_is_converted_to_the_campaigns(spec):
    """pint converts a value given with its unit, to 12 digits: 0.13 h is 7.8 min, not
    7.800000000000001."""
    values = {"ramp_rate": "10 K/min", "max_temperature": "873.15 K", "dwell_time": "0.13 h"}
    assert spec.check_params(values) == {
        "ramp_rate": 10.0,
        "max_temperature": 600.0,
        "dwell_time": 7.8,
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("600 K", r"max_temperature='600 K' = 326.85 degC is outside \[450, 750\] degC"),
        ("600.5 degC", r"max_temperature='600.5 degC' = 600.5 degC is off the step grid"),
        ("5 min", "max_temperature='5 min': cannot convert min to the campaign's unit degC"),
        ("nan K", "max_temperature='nan K' is not a number in degC or with a unit"),
    ],
)
def test_a_parameter_with_a_wrong_unit_or_value_says_what_it_read(spec, value, message):
    with pytest.raises(ValidationError, match=message):
        spec.check_params({"ramp_rate": 50, "max_temperature": value, "dwell_time": 5})


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("max_temperature", "600 C", "cannot convert C to .* degC; C is the coulomb: write degC"),
        ("ramp_rate", "10 C/min", "C / min to .* degC/min; C is the coulomb: write degC"),
        ("max_temperature", "1100 F", "F is the farad: write degF"),
        ("dwell_time", "5 m", "cannot convert m to .* min; m is the metre: write min"),
    ],
)
def test_a_unit_symbol_pint_reads_as_another_unit_is_named(spec, key, value, message):
    """A "600 C" was refused as "cannot convert C to the campaign's unit degC": pint's C is the
    coulomb, which the message did not say."""
    values = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5} | {key: value}
    with pytest.raises(ValidationError, match=message):
        spec.check_params(values)


@pytest.mark.parametrize(
    ("error", "say"), [("0.5 C", "C is the coulomb: write degC"), ("1 F", "F is the farad")]
)
def test_a_1_sigma_in_coulomb_or_farad_is_named(error, say):
    """A value "600 C" was told pint's C is the coulomb; its 1-sigma "0.5 C" was refused as
    "cannot convert C to degC" without the reason."""
    o = ObjectiveDef("onset", unit="degC")
    assert o.convert_error("0.9 degF") == pytest.approx(0.5)
    with pytest.raises(UnitError, match=rf"error '{error}': cannot convert .* to degC; {say}"):
        o.convert_error(error)


def test_a_tc_in_coulomb_is_named_and_a_mass_gets_no_hint(full, spec):
    with pytest.raises(UnitError, match="tc='37 C'.* to K; C is the coulomb"):
        full.check_objectives({"tc": "37 C"})
    with pytest.raises(ValidationError, match=r"cannot convert kg to the campaign's unit min$"):
        spec.parameter("dwell_time").check("5 kg")


def test_minus_zero_is_stored_as_zero(spec):
    """A "-0" was stored as -0.0 and `fluxtrap campaign show` listed the dwell as "-0"."""
    got = spec.check_params({"ramp_rate": 50, "max_temperature": 600, "dwell_time": "-0"})
    assert str(got["dwell_time"]) == "0.0"


def test_a_unit_pint_does_not_know_takes_bare_numbers_only():
    p = ParameterDef("speed", "furlongs per fortnight x", 0, 10)
    assert p.check("5") == 5.0
    with pytest.raises(ValidationError, match="give a bare number in furlongs"):
        p.check("5 m/s")


def test_snap_lands_on_grid_inside_bounds():
    p = ParameterDef("dwell_time", "min", 0, 60, 0.01)
    assert p.snap(32.4712) == 32.47
    assert p.snap(70) == 60
    assert p.check(p.snap(13.3333)) == 13.33


def test_bad_campaign_files(tmp_path):
    with pytest.raises(InputFileError, match="no such campaign file"):
        CampaignSpec.from_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 'x'\n[[parameters]]\nname = 'a'\nlow = 5\nhigh = 1\n")
    with pytest.raises(ValidationError, match=r"bad.toml.*parameter a: need low < high"):
        CampaignSpec.from_toml(bad)
    bad.write_text("name = 'x'\n[[parameters]\n")
    with pytest.raises(InputFileError, match="not valid TOML"):
        CampaignSpec.from_toml(bad)
    bad.write_text(
        "name = 'x'\n[[parameters]]\nname='a'\nlow=0\nhigh=1\n[[objectives]]\nname='jc'\nquantity='jc'\nfield=3\n"
    )
    with pytest.raises(ValidationError, match="field = 3: give it with its unit"):
        CampaignSpec.from_toml(bad)


def test_an_objective_with_log_is_read_kept_and_refuses_values_below_0(tmp_path):
    """`log = true` on an objective (modelled as ln(value)): read from the file, kept by to_dict
    only when true (a campaign without it is stored as before), anything but true or false
    refused; a value below 0 refused naming where and the value, a 0 (nothing measurable:
    modelled at a floor, ``Optimizer.floor``) kept, but refused for a minimised objective (at
    the floor it would be the best yet: it was accepted, and every suggest after it refused)."""
    path = tmp_path / "c.toml"
    head = "name = 'x'\n[[parameters]]\nname='a'\nlow=0\nhigh=1\n[[objectives]]\nname='jc'\n"
    path.write_text(head + "quantity='jc'\nfield='3 T'\nlog=true\n")
    spec = CampaignSpec.from_toml(path)
    assert spec.objective("jc").log is True
    assert spec.to_dict()["objectives"][0]["log"] is True
    assert CampaignSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    assert spec.check_objectives({"jc": "2e4 A/cm^2"}) == {"jc": 2e8}
    assert spec.check_objectives({"jc": "0"}, "sample S3") == {"jc": 0.0}
    path.write_text(head + "goal='minimize'\nlog=true\n")  # a loss: ranked best at a floor
    with pytest.raises(ValidationError, match=r"sample S3: objective jc='0' is 0, and jc is mini"):
        CampaignSpec.from_toml(path).check_objectives({"jc": "0"}, "sample S3")
    path.write_text(head + "log=true\n")
    with pytest.raises(
        ValidationError, match=r"objective jc=-2.5 is -2.5: jc has log = true .*0 \(nothing"
    ):
        CampaignSpec.from_toml(path).check_objectives({"jc": -2.5})
    path.write_text(head)
    assert "log" not in CampaignSpec.from_toml(path).to_dict()["objectives"][0]
    path.write_text(head + "log='yes'\n")
    with pytest.raises(ValidationError, match="objective jc: log must be true or false, got 'yes'"):
        CampaignSpec.from_toml(path)


# -- constraints, categorical and fixed parameters, outcome constraints, units ----------------
@pytest.fixture
def full() -> CampaignSpec:
    return CampaignSpec.from_toml(EXAMPLES / "campaign_constrained.toml")


def test_full_campaign_file_is_parsed(full):
    (lin,) = full.linear_constraints
    assert dict(lin.coefficients) == {"max_temperature": 1.0, "dwell_time": 4.0}
    assert lin.rhs == 700
    (tc,) = full.outcome_constraints
    assert (tc.objective, tc.lower, tc.upper) == ("tc", 36.0, None)
    assert [p.kind for p in full.parameters] == [
        "numeric", "numeric", "numeric", "categorical", "fixed",
    ]  # fmt: skip
    assert [o.name for o in full.optimised_objectives] == ["jc_3T"]
    assert full.fixed_values == {"pressure": 50.0}
    assert CampaignSpec.from_dict(json.loads(json.dumps(full.to_dict()))) == full


def test_check_params_honours_choices_fixed_and_constraints(full):
    ok = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 25, "atmosphere": "vacuum"}
    assert full.check_params(ok) == {**ok, "pressure": 50.0}  # fixed value filled in
    assert full.check_params({**ok, "pressure": "50"})["pressure"] == 50.0
    with pytest.raises(ValidationError, match=r"violates .*max_temperature \+ 4 \* dwell_time"):
        full.check_params({**ok, "dwell_time": 25.01})  # 600 + 100.04 > 700
    with pytest.raises(ValidationError, match=r"atmosphere='air' is not one of \['Ar', 'vacuum'\]"):
        full.check_params({**ok, "atmosphere": "air"})
    with pytest.raises(ValidationError, match="holds pressure fixed at 50"):
        full.check_params({**ok, "pressure": 45})


def test_numbers_given_as_text_with_an_underscore_are_refused(full):
    """Python's float reads "7_50" as 750 and "1_0" as 10: a typo, recorded as a value."""
    ok = {"ramp_rate": "50", "max_temperature": "6e2", "dwell_time": 25, "atmosphere": "vacuum"}
    assert full.check_params(ok)["max_temperature"] == 600.0
    with pytest.raises(ValidationError, match=r"max_temperature='6_00' is not a number"):
        full.check_params({**ok, "max_temperature": "6_00"})
    with pytest.raises(ValidationError, match="holds pressure fixed"):
        full.check_params({**ok, "pressure": "5_0"})
    with pytest.raises(UnitError, match="'_0' is not defined"):
        full.objective("jc_3T").convert("1_0")


@pytest.mark.parametrize(
    ("expression", "coefficients", "rhs"),
    [
        ("a + 4 * b <= 700", {"a": 1, "b": 4}, 700),
        ("2*a >= b - 3", {"a": -2, "b": 1}, 3),
        ("-a/2 + 1e1 <= -b + a", {"a": -1.5, "b": 1}, -10),
        ("a + a + fixed <= 10", {"a": 2}, 7),  # repeated terms add up; fixed = 3 folds in
        ("0.5 * a * 4 <= 1", {"a": 2}, 1),
    ],
)
def test_linear_constraint_grammar(expression, coefficients, rhs):
    spec = _spec(expression)
    (con,) = spec.linear_constraints
    assert dict(con.coefficients) == pytest.approx(coefficients)
    assert con.rhs == pytest.approx(rhs)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("a * b <= 3", "non-linear"),
        ("a / b <= 3", "non-linear"),
        ("a < 3", "one comparison, <= or >="),
        ("a <= 3 <= b", "one comparison"),
        ("a == 3", "one comparison"),
        ("a + <= 3", "ends with an operator"),
        ("a <= ", "empty"),
        ("a / 0 <= 3", "division by zero"),
        ("__import__('os') <= 3", "unexpected"),
        ("aa <= 3", "no parameter or objective 'aa' .did you mean 'a'"),
        # a misspelt objective was "no parameter 'yy'; known: a, b, ...", objectives unnamed
        ("yy >= 36 K", "no parameter or objective 'yy' .did you mean 'y'.*; objectives: y$"),
        ("a + kind <= 3", "kind is categorical"),
        ("fixed <= 30", "always true or always false"),
        ("y + a >= 3", "y is an objective"),
        ("y >= 3 K", "cannot convert"),
        ("a <= 1e999", "beyond a float"),  # scipy's linprog refused the inf with a ValueError
        ("a / 1e-320 <= 3", "beyond a float"),
        ("1e308 * fixed + a <= 3", "beyond a float"),
    ],
)
def test_bad_constraints_are_refused_with_the_reason(expression, message):
    with pytest.raises(FluxtrapError, match=message):
        _spec(expression)


def test_outcome_constraint_units_and_directions():
    spec = _spec("y <= 2e4 A/cm^2", "y >= 1e8")
    assert [(c.lower, c.upper) for c in spec.outcome_constraints] == [(None, 2e8), (1e8, None)]
    assert spec.feasible_outcomes({"y": 1.5e8}) and not spec.feasible_outcomes({"y": 3e8})
    assert not spec.feasible_outcomes({})  # not measured: not known to be feasible


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"constraint": []}, "constraint: unknown key; did you mean 'constraints'? (known keys at the top level: budget, constraints, name, objectives, parameters)"),
        ({"parameters": [{"name": "a", "low": 0, "high": 1, "stpe": 1}]}, "parameters[0].stpe: unknown key; did you mean 'step'? (known keys in parameters[0]: "),
        ({"objectives": [{"name": "y", "gaol": "maximize"}]}, "objectives[0].gaol: unknown key; did you mean 'goal'? (known keys in objectives[0]: "),
        ({"constraints": [{"expresion": "a <= 1"}]}, "constraints[0].expresion: unknown key; did you mean 'expression'? (known keys in constraints[0]: expression)"),
        ({"constraints": {"expression": "a <= 1"}}, "constraints: expected a list of tables ([[constraints]] in TOML)"),
    ],
)  # fmt: skip
def test_unknown_keys_name_the_key_path_the_table_and_the_near_miss(table, message):
    """The same strict-key reader (inputs.check_keys) as the case files'."""
    data = {"name": "x", "parameters": [{"name": "a", "low": 0, "high": 1}], **table}
    with pytest.raises(ValidationError) as err:
        CampaignSpec.from_dict(data)
    assert str(err.value).startswith(f"campaign: {message}")


def test_objective_values_with_units_are_converted(full):
    got = full.check_objectives({"jc_3T": "2.1e4 A/cm^2", "tc": "-236.15 degC"})
    assert got == pytest.approx({"jc_3T": 2.1e8, "tc": 37.0})
    assert full.check_objectives({"jc_3T": "2.1e8"}) == {"jc_3T": 2.1e8}  # bare: stored unit
    with pytest.raises(UnitError, match=r"jc_3T='2 T'.*cannot convert"):
        full.check_objectives({"jc_3T": "2 T"})
    with pytest.raises(ValidationError, match="not a finite number"):
        full.check_objectives({"tc": float("nan")})
    with pytest.raises(UnitError, match="cannot read 'nan'"):  # text is a plain decimal number
        full.check_objectives({"tc": "nan"})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"jc_3T": "-2.1e4 A/cm^2"}, r"jc_3T='-2.1e4 A/cm\^2': a critical current density is not negative \(-2.1e\+08 A/m\^2\)"),
        ({"tc": "-236"}, r"tc='-236': a temperature is above 0 K \(-236 K\); a bare number is kelvin"),
        ({"tc": "-300 degC"}, r"a temperature is above 0 K \(-26.85 K\)"),
        ({"tc": 0}, r"above 0 K \(0 K\)"),
    ],
)  # fmt: skip
def test_a_negative_jc_or_a_temperature_below_zero_kelvin_is_refused(full, values, message):
    with pytest.raises(ValidationError, match=message):
        full.check_objectives(values)
    assert full.check_objectives({"jc_3T": 0.0}) == {"jc_3T": 0.0}  # not superconducting at 3 T


@pytest.mark.parametrize("zero", [-0.0, "-0", "-0 A/cm^2", "-0.0e3"])
def test_an_objective_of_minus_zero_is_zero(full, zero):
    got = full.check_objectives({"jc_3T": zero})["jc_3T"]
    assert got == 0.0 and math.copysign(1.0, got) == 1.0


def test_constraint_only_objective_needs_a_constraint():
    with pytest.raises(ValidationError, match="goal 'constraint' but no"):
        CampaignSpec.from_dict(
            {
                "name": "x",
                "parameters": [{"name": "a", "low": 0, "high": 1}],
                "objectives": [{"name": "y", "goal": "constraint"}],
            }
        )


def _spec(*expressions: str) -> CampaignSpec:
    return CampaignSpec.from_dict(
        {
            "name": "grammar",
            "parameters": [
                {"name": "a", "low": 0, "high": 100},
                {"name": "b", "low": 0, "high": 100},
                {"name": "kind", "choices": ["x", "z"]},
                {"name": "fixed", "fixed": 3},
            ],
            "objectives": [{"name": "y", "quantity": "value", "unit": "A/m^2"}],
            "constraints": [{"expression": e} for e in expressions],
        }
    )


@pytest.mark.parametrize(
    "name",
    ["a/b", "a\\b", "tab\there", "nl\n", "bell\x07", "nul\x00", " ", ".", "..", "x" * 201]
    + ["B\u200b1", "\u202e1B", "B1\u2066", "\ufeffB1", "B\ud8001"]  # look like "B1" (or break it)
    + ["x\u2028y", "x\u2029y"],  # a line or paragraph break inside one line's name
)
def test_new_campaign_names_must_fit_in_a_url_segment(name):
    with pytest.raises(ValidationError, match="campaign name"):
        check_new_name(name)
    with pytest.raises(ValidationError, match=r"\(found U\+202E\)"):
        check_new_name("\u202e1B", "sample label")
    assert check_new_name("K-Ba122 SPS (2026), run #2") == "K-Ba122 SPS (2026), run #2"
    assert (
        check_new_name("Ba₀.₆K₀.₄Fe₂As₂ – 東") == "Ba₀.₆K₀.₄Fe₂As₂ – 東"
    )  # visible Unicode is fine
    assert check_new_name("B1.2..3") == "B1.2..3"


@pytest.mark.parametrize(
    ("parameter", "message"),
    [
        (
            {"choices": ["lot A", "\x1b[2Jlot B"]},
            r"choices '\\x1b\[2Jlot B' has control or invisible characters \(U\+001B\)",
        ),
        (
            {"low": 0, "high": 1, "unit": "MPa\t"},
            r"unit 'MPa\\t' has control or invisible characters",
        ),
        (
            {"fixed": "argon\x07"},
            r"fixed 'argon\\x07' has control or invisible characters \(U\+0007\)",
        ),
        (
            {"choices": ["Ar", "A\u200br"]},
            r"choices 'A\\u200br' has .* \(U\+200B\)",
        ),  # zero-width space
        (
            {"fixed": "\u202egra"},
            r"fixed '\\u202egra' has .* \(U\+202E\)",
        ),  # right-to-left override
    ],
)
def test_control_characters_in_a_new_campaign_s_free_text_are_refused(parameter, message):
    """Units, choices and fixed values are printed by the CLI and the dashboard as stored."""
    data = {"name": "c", "parameters": [{"name": "p", **parameter}]}
    with pytest.raises(ValidationError, match=r"^f.toml: parameters\[0\]: parameter p: " + message):
        CampaignSpec.from_dict(data, source="f.toml")
    assert CampaignSpec.from_dict(data, stored=True).parameters[0].name == "p"  # as stored before
    text = {"name": "c", "parameters": [{"name": "p", "choices": ["a b", "ü ∆ 東"]}]}
    assert CampaignSpec.from_dict(text).parameters[0].choices == ("a b", "ü ∆ 東")


@pytest.mark.parametrize(
    ("choices", "alike"),
    [
        (["1", 1], "'1' and 1"),
        (["1.0", 1.5, 1], "'1.0' and 1"),
        (["Ar", "vac", "Ar "], "'Ar' and 'Ar '"),
    ],
)
def test_choices_a_form_cannot_tell_apart_are_refused_in_a_new_campaign(choices, alike):
    """The dashboard and the CSV import send a choice as its text and the first choice with
    that text is taken: choices ["1.0", 1.0] recorded the string whichever was picked."""
    data = {"name": "c", "parameters": [{"name": "p", "choices": choices}]}
    with pytest.raises(ValidationError, match=rf"parameter p: choices {alike} read alike"):
        CampaignSpec.from_dict(data)
    assert CampaignSpec.from_dict(data, stored=True).parameters[0].choices == tuple(choices)


@pytest.mark.parametrize(("low", "high"), [(0, 1e101), (-1e300, 0), (0, float("inf"))])
def test_parameter_bounds_beyond_1e100_are_refused(low, high):
    with pytest.raises(ValidationError, match=r"within \+-1e\+100"):
        ParameterDef("x", low=low, high=high)


def test_nan_step_is_refused():
    with pytest.raises(ValidationError, match="step nan"):
        ParameterDef("x", low=0, high=1, step=float("nan"))


def test_objective_values_beyond_1e100_are_refused():
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    with pytest.raises(ValidationError, match=r"objective jc_3T=1e\+101 is not a finite number"):
        spec.check_objectives({"jc_3T": 1e101})


@pytest.mark.parametrize(
    "expressions",
    [
        ("a + b <= -1",),  # below the box alone
        ("a + fixed >= 104",),  # the fixed value (3) folded in: a would need 101
        ("a + b <= 50", "a - b >= 60"),  # each feasible, together not (a <= 55)
    ],
)
def test_constraints_no_point_of_the_box_meets_are_refused_at_creation(expressions):
    """Accepted before, they failed only at the first suggestion ("0 new feasible points")."""
    with pytest.raises(ValidationError, match="no parameter values meet the constraints"):
        _spec(*expressions)


def test_constraints_met_only_on_an_edge_or_a_corner_are_accepted():
    assert _spec("a + b <= 0").constraints == ("a + b <= 0",)
    assert len(_spec("a + b <= 50", "a - b >= 50").linear_constraints) == 2


def _stepped(*expressions: str, t_step: float = 10, high: float = 750) -> dict:
    return {
        "name": "g1",
        "parameters": [
            {"name": "T", "unit": "degC", "low": 450, "high": high, "step": t_step},
            {"name": "t", "unit": "min", "low": 0, "high": 60, "step": 10},
            {"name": "d", "low": 0, "high": 1},  # continuous, unconstrained
        ],
        "constraints": [{"expression": e} for e in expressions],
    }


def test_constraints_no_point_of_the_step_grid_meets_are_refused_at_creation():
    """T from 450 to 750 by 10 with 455 <= T <= 459 holds points of the box but none of the
    grid: it was created, and suggest then failed with "only 0 of the 0 settable feasible
    points". A stored one still loads (the rule is for new campaigns)."""
    bad = _stepped("T >= 455", "T <= 459")
    message = r"'T >= 455'; 'T <= 459' leave no point of the step grid feasible \(T from 450 to"
    with pytest.raises(ValidationError, match=message):
        CampaignSpec.from_dict(bad)
    with pytest.raises(ValidationError, match="no point of the step grid"):
        CampaignSpec.from_dict(_stepped("T + 10 * t >= 1046", "T + 10 * t <= 1049"))
    assert CampaignSpec.from_dict(bad, stored=True).constraints == ("T >= 455", "T <= 459")
    assert len(CampaignSpec.from_dict(_stepped("T >= 455", "T <= 460")).constraints) == 2
    assert CampaignSpec.from_dict(_stepped("T >= 455", "T <= 459", t_step=1)).name == "g1"
    assert CampaignSpec.from_dict(_stepped("T + d >= 455", "T + d <= 459")).name == "g1"


def test_the_step_grid_check_is_bounded():
    """A grid of more than GRID_CHECK values (points x constrained parameters) is left to the
    box's linear program, so the check stays bounded (10**6 points of 3 parameters: 0.03 s);
    a smaller one is listed whole. t in 0, 10, ..., 60 cannot be from 1 to 9."""
    from fluxtrap.campaign import GRID_CHECK

    rules = ("t + T / 1e9 >= 1", "t <= 9")
    with pytest.raises(ValidationError, match="no point of the step grid"):
        CampaignSpec.from_dict(_stepped(*rules, t_step=1))  # 301 x 7 points
    fine = 300 / (GRID_CHECK // 10)  # GRID_CHECK / 10 + 1 x 7 points of 2 parameters
    assert CampaignSpec.from_dict(_stepped(*rules, t_step=fine)).name == "g1"


def test_a_step_grid_of_more_than_2_53_steps_is_refused_in_a_new_campaign():
    """Beyond 2**53 steps, low + k * step is no longer exact: values on the grid read as off it."""
    wide = {"name": "p", "low": 0, "high": 1e20, "step": 1e-3}
    data = {"name": "c", "parameters": [wide]}
    with pytest.raises(ValidationError, match=r"step 0\.001 makes 1e\+23 steps .* at most 2\*\*53"):
        CampaignSpec.from_dict(data, source="f.toml")
    assert CampaignSpec.from_dict(data, stored=True).parameters[0].step == 1e-3  # stored before
    edge = {"name": "c", "parameters": [{"name": "p", "low": 0, "high": 2**53, "step": 1}]}
    assert CampaignSpec.from_dict(edge).parameters[0].high == 2**53


def test_departures_from_a_suggestion_on_the_grid_within_tolerance_and_by_choice():
    """A stepped parameter departs by one step (a grid point apart), a continuous one by more
    than SAME_POINT of its range (a value typed from a printed suggestion does not); choices
    differ or not. Each departure names the parameter, both values and the difference in units."""
    spec = CampaignSpec.from_dict(
        {
            "name": "d",
            "parameters": [
                {"name": "t", "unit": "degC", "low": 450, "high": 750, "step": 1},
                {"name": "r", "unit": "degC/min", "low": 10, "high": 100, "step": 0.1},
                {"name": "x", "low": 0, "high": 2},
                {"name": "gas", "choices": ["Ar", "vacuum"]},
                {"name": "p", "unit": "MPa", "fixed": 50},
            ],
            "objectives": [{"name": "y"}],
        }
    )
    suggested = spec.check_params({"t": 700, "r": 40, "x": 1.23456789, "gas": "Ar"})
    same = spec.check_params({"t": 700, "r": 40, "x": 1.2346, "gas": "Ar"})
    assert spec.departures(same, suggested) == []
    made = spec.check_params({"t": 701, "r": 40.1, "x": 1.3, "gas": "vacuum"})
    assert spec.departures(made, suggested) == [
        "t 701 degC, suggested 700 degC (+1 degC)",
        "r 40.1 degC/min, suggested 40 degC/min (+0.1 degC/min)",
        "x 1.3, suggested 1.23457 (+0.0654321)",
        "gas vacuum, suggested Ar",
    ]
    assert spec.parameter("x").departure(1.2, 1.2 + 0.999e-3 * 2) is None  # within 1e-3 of 0..2
    assert spec.parameter("x").departure(1.2, 1.2 + 1.001e-3 * 2) is not None


def test_an_objective_value_outside_the_campaign_s_range_is_refused(full):
    """tc = "35 degC" was stored as 308.15 K without a word. An objective's optional range (in
    units, the file's ["4 K", "150 K"]) refuses it, naming the value in K and the range."""
    tc = full.objective("tc")
    assert tc.range == (4.0, 150.0)
    assert full.check_objectives({"tc": "-236 degC"}) == pytest.approx({"tc": 37.15})
    with pytest.raises(ValidationError) as err:
        full.check_objectives({"tc": "35 degC"}, where="sample 'S1'")
    assert str(err.value) == (
        "sample 'S1': objective tc='35 degC' is 308.15 K, outside the range 4 to 150 K the "
        "campaign gives tc: a typo, or the wrong unit? (a bare number is K)"
    )
    with pytest.raises(ValidationError, match=r"tc=200 is 200 K, outside the range 4 to 150 K"):
        full.check_objectives({"tc": 200})
    # Jc: the range and the message in A/cm², as the tables show Jc; none given: no range
    jc = ObjectiveDef("jc", quantity="jc", field_T=3.0, range=("1e3 A/cm^2", 1e10))
    assert jc.range == (1e7, 1e10) and full.objective("jc_3T").range is None
    with pytest.raises(ValidationError, match=r"is 2e\+06 A/cm², outside the range 1000 to 1e\+06"):
        jc.convert("2e6 A/cm^2")


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (["150 K", "4 K"], "objective tc: range: need low < high"),
        ("4 K", r"objective tc: range: give \[low, high\]"),
        (["4 K", "5 K", "6 K"], r"objective tc: range: give \[low, high\]"),
        (["4 T", "150 K"], "range: objective tc='4 T': cannot convert T to K"),
        (["-4 K", "150 K"], "a temperature is above 0 K"),
    ],
)
def test_a_bad_objective_range_is_refused_at_creation(given, message):
    data = {
        "name": "r",
        "parameters": [{"name": "t", "low": 0, "high": 1}],
        "objectives": [{"name": "tc", "quantity": "tc", "range": given}],
    }
    with pytest.raises(FluxtrapError, match=message):
        CampaignSpec.from_dict(data)


@pytest.mark.parametrize(
    ("objective", "value", "says"),
    [
        (ObjectiveDef("tc", "tc", goal="constraint"), "nan", 'e.g. "30 K"'),
        (ObjectiveDef("jc_3T", "jc", field_T=3.0), "abc", r'e.g. "30 A/cm\^2"'),
        (ObjectiveDef("y"), "x1", r"objective y='x1' is not a number \(nor a pure-number"),
    ],
)
def test_an_unreadable_objective_value_suggests_its_own_unit(objective, value, says):
    """Every objective's unreadable value suggested "30 mm", the length example of case files."""
    with pytest.raises(UnitError, match=says):
        objective.convert(value)


@pytest.mark.parametrize(
    "written, value, error",
    [
        ({"tc": "37.2 ± 0.3 K"}, {"tc": "37.2 K"}, {"tc": 0.3}),
        ({"tc": "37.2 K ± 0.3"}, {"tc": "37.2 K"}, {"tc": 0.3}),  # the unit on either side
        ({"tc": "37.2 +/- 0.3"}, {"tc": "37.2"}, {"tc": 0.3}),  # bare: the objective's unit
        ({"tc": "-235.95 ± 0.3 degC"}, {"tc": "-235.95 degC"}, {"tc": pytest.approx(0.3)}),
        ({"jc_3T": "2.1e4 +- 300 A/cm^2"}, {"jc_3T": "2.1e4 A/cm^2"}, {"jc_3T": 3e6}),
        ({"tc": 37.2, "jc_3T": "2e8"}, {"tc": 37.2, "jc_3T": "2e8"}, {}),
    ],
)
def test_a_value_may_carry_its_one_sigma_after_plus_minus(written, value, error):
    """An error is a difference: 0.3 degC is 0.3 K (converted as a value it was 273.45 K), and
    300 A/cm² is 3e6 A/m²."""
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign_constrained.toml")
    assert spec.split_errors(written, "sample 'B2'") == (value, error)


@pytest.mark.parametrize(
    "written, message",
    [
        ("37.2 ± -0.3 K", "sample 'B2': objective tc: error '-0.3 K' is not a finite number >= 0"),
        ("37.2 ± 0.3 T", "objective tc: error '0.3 T': cannot convert T to K"),
        ("37 ± 1 ± 2 K", "sample 'B2': tc='37 ± 1 ± 2 K': one ± at most"),
        ("37.2 ± nan K", "cannot read 'nan K' as a quantity"),
    ],
)
def test_a_one_sigma_that_is_not_one_is_refused(written, message):
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign_constrained.toml")
    with pytest.raises(FluxtrapError, match=re.escape(message)):
        spec.split_errors({"tc": written}, "sample 'B2'")


def jc_campaign(**objective) -> dict:
    jc = {"name": "jc_3T", "quantity": "jc", "field": "3 T", "temperature": "5 K"} | objective
    return {
        "name": "c",
        "parameters": [{"name": "x", "low": 0, "high": 1}],
        "objectives": [{k: v for k, v in jc.items() if v is not None}],
    }


@pytest.mark.parametrize(
    ("objective", "message"),
    [
        (
            {"temperature": 5},
            'objectives[0].temperature = 5: give it with its unit, e.g. temperature = "5 K"',
        ),
        ({"field": 3}, 'objectives[0].field = 3: give it with its unit, e.g. field = "3 T"'),
        ({"field": None, "field_T": "3 T"}, "objectives[0]: field_T = '3 T' is not a number"),
        ({"field_T": 3.0}, "objectives[0]: give field or field_T, not both"),
        ({"temperature": "-5 K"}, "temperature -5 K is outside 0 K .. 1000 K"),
        ({"temperature": None, "temperature_K": 0}, "temperature 0 K is outside 0 K .. 1000 K"),
        ({"temperature": "5000 K"}, "temperature 5000 K is outside"),
        ({"field": "3000 T"}, "field 3000 T is beyond 100 T"),
    ],
)
def test_an_objective_condition_without_a_unit_or_out_of_reach_is_refused(objective, message):
    with pytest.raises(ValidationError) as err:
        CampaignSpec.from_dict(jc_campaign(**objective))
    assert message in str(err.value)


def test_objective_conditions_round_trip_and_old_stores_stay_readable():
    spec = CampaignSpec.from_dict(jc_campaign(field="-3 T", temperature="278.15 K"))
    again = CampaignSpec.from_dict(spec.to_dict())
    assert (again.objectives[0].field_T, again.objectives[0].temperature_K) == (-3.0, 278.15)
    stored = jc_campaign(field=None, temperature=None, field_T=3.0, temperature_K=-5.0)
    assert CampaignSpec.from_dict(stored, stored=True).objectives[0].temperature_K == -5.0


def test_a_fixed_value_with_a_unit_must_be_a_number():
    data = jc_campaign()
    data["parameters"].append({"name": "p", "unit": "MPa", "fixed": "fifty"})
    with pytest.raises(
        ValidationError,
        match="fixed = 'fifty' is not a number, but the parameter has the unit 'MPa'",
    ):
        CampaignSpec.from_dict(data)
    data["parameters"][-1] = {"name": "atmosphere", "fixed": "Ar"}  # a label: no unit
    assert CampaignSpec.from_dict(data).fixed_values == {"atmosphere": "Ar"}


@pytest.mark.parametrize(
    ("parameter", "message"),
    [
        ({"unit": "K", "low": -50, "high": 300}, r"-50 K is below absolute zero"),
        ({"unit": "degC", "low": -300, "high": 700}, r"-300 degC \(-26\.85 K\) is below"),
        ({"unit": "degC", "fixed": -500}, r"-500 degC \(-226\.85 K\) is below"),
    ],
)
def test_a_temperature_parameter_below_absolute_zero_is_refused(parameter, message):
    """A unit mistake (K for degC, or the reverse) that no value can meet; it was accepted. A
    rule for new campaigns: a store that holds one still reads it."""
    data = {"name": "c", "parameters": [{"name": "T", **parameter}]}
    with pytest.raises(ValidationError, match=r"parameters\[0\]: parameter T: " + message):
        CampaignSpec.from_dict(data, source="f.toml")
    assert CampaignSpec.from_dict(data, stored=True).parameters[0].name == "T"


@pytest.mark.parametrize(
    ("unit", "meant"),
    [
        ("degC", "degC"),
        ("°C", "degC"),
        ("℃", "degC"),
        ("celsius", "degC"),
        ("Celsius", "degC"),
        ("K", "K"),
        ("kelvin", "K"),
        ("Kelvin", "K"),
        ("degF", "degF"),
        ("°F", "degF"),
        ("Fahrenheit", "degF"),
        ("K/min", "K/min"),
        ("°C/min", "K/min"),
        ("degC/h", "K/h"),
    ],
)
def test_every_spelling_of_a_temperature_unit_is_read_as_one(unit, meant):
    """ "°C" and "°C/min" were refused as "C is the coulomb" (the check looked for a C after
    anything but a letter), "Celsius" and "Fahrenheit" were labels pint did not know (no
    conversion, no absolute-zero check); each is now the temperature (or rate) it says."""
    spec = CampaignSpec.from_dict(
        {"name": "c", "parameters": [{"name": "T", "unit": unit, "low": 300, "high": 700}]},
        source="f.toml",
    )
    p = spec.parameter("T")
    assert units.convert(1.0, p.unit, meant) == pytest.approx(1.0, rel=1e-12)
    si = "K/s" if "/" in unit else "K"  # a value given in SI reads back in the campaign's unit
    assert p.check(f"{units.convert(500, unit, si):.12g} {si}", grid=False) == pytest.approx(500)


@pytest.mark.parametrize(
    ("unit", "say"),
    [
        ("C", "C is the coulomb: write degC"),
        ("deg C", "C is the coulomb: write degC"),
        ("° C", "C is the coulomb: write degC"),
        ("C/h", "C is the coulomb: write degC"),
        ("F", "F is the farad: write degF"),
        ("deg F", "F is the farad: write degF"),
        ("F/min", "F is the farad: write degF"),
    ],
)
def test_a_temperature_unit_pint_reads_as_a_charge_or_a_capacitance_is_refused(unit, say):
    """unit "F" (or "deg F", "F/min") made a campaign in farads without a word, as "C" had in
    coulombs; either is refused naming the parameter, or the objective, and what to write."""
    data = {"name": "c", "parameters": [{"name": "T", "unit": unit, "low": 300, "high": 700}]}
    with pytest.raises(
        ValidationError, match=rf"parameters\[0\]: parameter T: unit '{unit}': {say}"
    ):
        CampaignSpec.from_dict(data, source="f.toml")
    data = {
        "name": "c",
        "parameters": [{"name": "x", "low": 0, "high": 1}],
        "objectives": [{"name": "onset", "unit": unit}],
    }
    with pytest.raises(
        ValidationError, match=rf"objectives\[0\]: objective onset: unit '{unit}': {say}"
    ):
        CampaignSpec.from_dict(data, source="f.toml")


def test_temperatures_above_absolute_zero_and_differences_are_accepted():
    """-200 degC is 73 K; a temperature difference (delta_degC) and a rate may be negative."""
    for unit, low in (("degC", -200), ("delta_degC", -500), ("K/min", -10), ("degF", -400)):
        ParameterDef("T", unit, low, 700.0).check_above_absolute_zero()


@pytest.mark.parametrize(
    ("objective", "constraints", "message"),
    [
        (
            {"quantity": "jc", "field": "3 T", "temperature": "-5 K"},
            [],
            r"objectives\[0\]: objective y: temperature -5 K is outside 0 K \.\. 1000 K",
        ),
        (
            {"quantity": "tc"},
            ["y >= 36 K", "y <= 30 K"],
            r"no value of y meets them all: at least 36 K and at most 30 K",
        ),
    ],
)
def test_objectives_no_measurement_can_meet_are_refused(objective, constraints, message):
    """Jc "at -5 K", or Tc both >= 36 K and <= 30 K: every sample would wait or be infeasible
    (found only at the first suggestion: 'bounds (36.0, 30.0) are empty')."""
    data = {
        "name": "c",
        "parameters": [{"name": "a", "low": 0, "high": 1}],
        "objectives": [{"name": "y", **objective}, {"name": "v"}],
        "constraints": [{"expression": e} for e in constraints],
    }
    with pytest.raises(ValidationError, match=message):
        CampaignSpec.from_dict(data, source="f.toml")
    assert CampaignSpec.from_dict(data, stored=True).objectives[0].name == "y"
    data["constraints"] = [{"expression": e} for e in ("y >= 30 K", "y <= 30 K")]
    if constraints:  # one value meets both: accepted
        assert len(CampaignSpec.from_dict(data).outcome_constraints) == 2


@pytest.mark.parametrize(
    ("objective", "message"),
    [
        (
            {"goal": "maximise"},
            r"objectives\[1\]: objective y: goal 'maximise' is not one of .*did you mean 'maximize'",
        ),
        ({"quantity": "Jc"}, r"objectives\[1\]: objective y: quantity 'Jc' .*did you mean 'jc'"),
        ({"log": "yes"}, r"objectives\[1\]: objective y: log must be true or false"),
        ({"quantity": "tc", "range": ["150 K", "4 K"]}, r"objectives\[1\]: objective y: range"),
    ],
)
def test_a_bad_objective_key_is_named_with_its_table(objective, message):
    """A misspelt goal or quantity, log = "yes", a reversed range: the error named the
    objective but not its table, as a parameter's does (parameters[0]: ...), nor the near
    spelling the keys' errors offer."""
    data = {
        "name": "c",
        "parameters": [{"name": "a", "low": 0, "high": 1}],
        "objectives": [{"name": "v"}, {"name": "y", **objective}],
    }
    with pytest.raises(ValidationError, match=message):
        CampaignSpec.from_dict(data, source="f.toml")


def test_an_upper_bound_at_or_below_0_on_a_log_objective_is_refused_at_creation():
    """jc <= 0 on a log = true Jc was accepted, and every suggest after it refused ("no value
    can meet it"): the campaign could never be optimised. Refused when created; a bound above 0
    is kept."""
    data = {
        "name": "c",
        "parameters": [{"name": "a", "low": 0, "high": 1}],
        "objectives": [{"name": "jc", "quantity": "jc", "field": "3 T", "log": True}],
        "constraints": [{"expression": "jc <= 0"}],
    }
    with pytest.raises(ValidationError, match=r"jc <= 0 A/m\^2: jc has log = true"):
        CampaignSpec.from_dict(data)
    data["constraints"] = [{"expression": "jc <= 5e4 A/cm^2"}]
    assert CampaignSpec.from_dict(data).outcome_bounds == {"jc": (None, 5e8)}


def test_equal_bounds_point_to_fixed():
    with pytest.raises(ValidationError, match=r"low=1\.0, high=1\.0 \(one value: fixed = 1\.0\)"):
        ParameterDef("a", "", 1.0, 1.0)


def test_a_campaign_with_every_parameter_fixed_is_noted_as_record_only():
    """Accepted (samples can be recorded), with the note campaign create prints: suggest has
    nothing to choose. One free parameter makes it a campaign suggest takes."""
    data = {
        "name": "c10",
        "parameters": [
            {"name": "T", "unit": "degC", "low": 450, "high": 750, "fixed": 600},
            {"name": "gas", "fixed": "Ar"},
        ],
        "objectives": [{"name": "y", "quantity": "value", "goal": "maximize"}],
    }
    note = CampaignSpec.from_dict(data).suggest_note
    assert note.startswith("every parameter is fixed (T = 600 degC, gas = Ar): fluxtrap suggest")
    data["parameters"].append({"name": "t", "low": 0, "high": 60})
    assert CampaignSpec.from_dict(data).suggest_note is None


def test_a_bound_that_is_not_a_number_names_its_table_once():
    """'campaign: parameters[0]: parameters[0]: low = ...': the table was named twice."""
    data = {
        "name": "c",
        "parameters": [{"name": "T", "unit": "degC", "low": "450 degC", "high": 750}],
        "objectives": [{"name": "y", "quantity": "value"}],
    }
    with pytest.raises(ValidationError) as err:
        CampaignSpec.from_dict(data)
    assert str(err.value) == (
        "campaign: parameters[0]: low = '450 degC' is not a number; a bound or step is a plain "
        'number in the unit of the parameter\'s unit key: low = 450, unit = "degC"'
    )


def test_a_constraint_written_with_a_unit_says_constraints_take_the_declared_units():
    """It was "expected + or - before 'degC'"."""
    data = {
        "name": "c",
        "parameters": [
            {"name": "T", "unit": "degC", "low": 400, "high": 750},
            {"name": "t", "unit": "min", "low": 1, "high": 60},
        ],
        "objectives": [{"name": "y", "quantity": "value"}],
        "constraints": [{"expression": "T + t <= 700 degC"}],
    }
    with pytest.raises(ValidationError) as err:
        CampaignSpec.from_dict(data)
    assert str(err.value).endswith(
        "700 degC: a linear constraint is written in the parameters' declared units (T in degC, "
        "t in min), without unit text: write 700"
    )


@pytest.mark.parametrize(
    ("objective", "value", "error", "refused"),
    [
        (ObjectiveDef("jc", "jc", field_T=3.0), 2.0e8, 3.0e13, True),  # 1.5e5 x: was stored
        (ObjectiveDef("jc", "jc", field_T=3.0), 2.0e8, 2.0e9, False),  # 10 x: the bound
        (ObjectiveDef("jc", "jc", field_T=3.0), 2.0e8, 2.1e9, True),
        (ObjectiveDef("jc", "jc", field_T=3.0), 0.0, 1e6, False),  # ~0 within its noise floor
        (ObjectiveDef("jc", "jc", field_T=3.0), 1e3, 5e5, False),  # 500 x, under 100 A/cm^2
        (ObjectiveDef("jc", "jc", field_T=3.0), 0.0, 1.1e6, True),
        (ObjectiveDef("tc", "tc", goal="constraint"), 37.0, 370.0, False),
        (ObjectiveDef("tc", "tc", goal="constraint"), 37.0, 3.7e4, True),  # mK typed as K
        (ObjectiveDef("y"), 1e-9, 1.0, False),  # no natural zero: any relative error
        (ObjectiveDef("y"), 0.0, 1e90, False),
    ],
)
def test_an_error_no_measurement_can_have_is_refused_for_jc_and_tc(
    objective, value, error, refused
):
    """A 1-sigma of 1.5e5 x its Jc was stored; a Jc or Tc whose error is over 10 x its value and
    over its noise floor (Jc 100 A/cm^2, Tc 1 K) is refused; a 'value' objective's never is."""
    if refused:
        with pytest.raises(ValidationError, match="is no measurement's error"):
            objective.check_error(value, error, "sample 'B1'")
    else:
        objective.check_error(value, error, "sample 'B1'")


def test_the_refused_error_says_both_numbers_in_the_shown_unit():
    jc = ObjectiveDef("jc_3T", "jc", field_T=3.0)
    with pytest.raises(ValidationError) as err:
        jc.check_error(2.0e8, 3.0e13, "sample 'B1'")
    assert str(err.value) == (
        "sample 'B1': objective jc_3T = 20000 A/cm² ± 3e+09 A/cm²: a 1-sigma 1.5e+05 times its "
        "value, over 10 times and over 100 A/cm², is no measurement's error: a unit or exponent "
        "mistyped?"
    )


@pytest.mark.parametrize(("choices", "said"), [(["Ar"], 'fixed = "Ar"'), ([50], "fixed = 50")])
def test_a_single_choice_is_refused_naming_fixed(choices, said):
    """A categorical of one level (the lab's only gas so far) has nothing to choose: the refusal
    names the key that holds one value, as low = high does ('choices must be >= 2 ...' alone)."""
    data = {"name": "x", "parameters": [{"name": "gas", "choices": choices}]}
    with pytest.raises(ValidationError, match=f"got {re.escape(str(choices))} .one value: {said}"):
        CampaignSpec.from_dict(data | {"objectives": [{"name": "y"}]})
