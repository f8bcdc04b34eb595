import pytest

from fluxtrap.campaign import CampaignSpec, ParameterDef, check_new_name
from fluxtrap.errors import InputFileError, ValidationError

from ..conftest import EXAMPLES


@pytest.fixture
def spec() -> CampaignSpec:
    return CampaignSpec.from_toml(EXAMPLES / "campaign.toml")


def test_example_campaign_reads_in_si(spec):
    assert spec.parameter_names == ["ramp_rate", "max_temperature", "dwell_time"]
    (jc,) = spec.objectives
    assert (jc.quantity, jc.field_T, jc.temperature_K, jc.maximize) == ("jc", 3.0, 5.0, True)


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
        (
            {"ramp_rate": 50, "max_temperature": 800, "dwell_time": 5},
            r"max_temperature=800 degC is outside \[450, 750\]",
        ),
        (
            {"ramp_rate": 50.05, "max_temperature": 600, "dwell_time": 5},
            "ramp_rate=50.05 is off the step grid",
        ),
        (
            {"ramp_rate": "fast", "max_temperature": 600, "dwell_time": 5},
            "ramp_rate='fast' is not a number",
        ),
    ],
)
def test_check_params_errors(spec, values, message):
    with pytest.raises(ValidationError, match=message):
        spec.check_params(values)


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
    with pytest.raises(ValidationError, match="needs a field"):
        CampaignSpec.from_toml(bad)


@pytest.mark.parametrize("name", ["a/b", "a\\b", "tab\there", "nl\n", " ", "x" * 201])
def test_new_campaign_names_must_fit_in_a_url_segment(name):
    with pytest.raises(ValidationError, match="campaign name"):
        check_new_name(name)
    assert check_new_name("K-Ba122 SPS (2026), run #2") == "K-Ba122 SPS (2026), run #2"


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
