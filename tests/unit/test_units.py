import math

import pytest

from fluxtrap import units
from fluxtrap.errors import UnitError, ValidationError
from fluxtrap.units import convert, parse, parse_in, quantity, unit

from ..conftest import EXAMPLES


@pytest.mark.parametrize(
    ("text", "dimension", "expected"),
    [
        ("30 mm", "length", 0.03),
        ("4.8 T/h", "field_rate", 4.8 / 3600),
        ("1.2e5 A/cm^2", "current_density", 1.2e9),
        ("5 K", "temperature", 5.0),
        ("-268.15 degC", "temperature", 5.0),
        ("100 min", "time", 6000.0),
        ("2e-10 ohm*m", "resistivity", 2e-10),
        ("10000 Oe", "magnetic_field", 1e7 / (4 * 3.141592653589793)),
        ("1 emu", "magnetic_moment", 1e-3),
    ],
)
def test_parse_to_si(text, dimension, expected):
    assert parse(text, dimension) == pytest.approx(expected, rel=1e-12)


def test_bare_number_names_key_and_asks_for_unit():
    with pytest.raises(UnitError, match=r"stack\[0\]\.radius: got the bare number 30"):
        parse(30, "length", "stack[0].radius")
    with pytest.raises(UnitError, match="radius: '30' has no unit"):
        parse("30", "length", "radius")


def test_wrong_dimension_names_key_and_expected_dimension():
    with pytest.raises(UnitError, match=r"radius: '30 mm/s' is not a length \(expected .* m\)"):
        parse("30 mm/s", "length", "radius")


def test_unreadable_quantity():
    with pytest.raises(UnitError, match="field: cannot read '7 teslaz'"):
        parse("7 teslaz", "magnetic_flux_density", "field")


def test_parse_in_missing_key_names_the_path():
    with pytest.raises(UnitError, match="probes.r: missing"):
        parse_in({"z": "1 mm"}, "r", "length", "probes")
    assert parse_in({"r": "2 mm"}, "r", "length", "probes") == pytest.approx(2e-3)


def test_convert():
    assert convert(1e5, "A/cm^2", "A/m^2") == pytest.approx(1e9)


# -- hostile text: a number and a unit, nothing else ---------------------------------------------
@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("9**9**9", "misplaced power"),  # pint alone evaluates this for ever
        ("1 m**9**9", "misplaced power"),
        ("2*3 mm", "cannot read"),
        ("1e999 s", "not a finite number"),
        ("nan m", "write a number and a unit"),
        ("inf T", "write a number and a unit"),
        ("1 ((((m))))", "nested more than 3 deep"),
        ("1 (m", "incomplete unit"),
        ("1 m)", "unbalanced"),
        ("1 __import__('os')", "cannot read"),
        ("mm", "write a number and a unit"),
        ("1" * 101 + " m", "at most 100"),
    ],
)
def test_expressions_and_non_finite_values_are_refused(text, match):
    with pytest.raises(UnitError, match=match):
        parse(text, "length", "mesh.size")


def test_refusal_is_fast_even_for_the_power_tower():
    import time

    t0 = time.perf_counter()
    for _ in range(100):
        with pytest.raises(UnitError):
            parse("9**9**9 m", "length")
    assert time.perf_counter() - t0 < 3.0  # 100 refusals; evaluating it once would never end


def test_values_beyond_float_range_after_conversion_are_refused():
    with pytest.raises(UnitError, match="hold: '1e308 km' is beyond the range of a float"):
        parse("1e308 km", "length", "hold")


@pytest.mark.parametrize(
    "text",
    ["1 J/(m^3*K)", "2 ohm m", "3 1/s", "1 m**-1", "1 m^(-2)", "12mm", "5 µm", "1 %", "-1.5e-3 T"],
)
def test_the_grammar_keeps_every_ordinary_unit(text):
    assert quantity(text).magnitude == pytest.approx(float(text.split()[0].rstrip("m")))


def test_units_alone_are_checked_by_the_same_grammar():
    assert unit("A/cm^2") == unit("A / cm**2")
    assert unit("") == unit("1")
    assert unit("°C") == unit("degC")
    # "¼" and "¾mu" are \w to a regex but make pint's parser fail an internal assert
    for bad in ("9**9**9", "m**99**9", "(m", "x" * 101, "¼", "\xbemu", "A/\xbdmy2"):
        with pytest.raises(UnitError, match="column 'H'"):
            unit(bad, "column 'H'")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10", 10.0), (" -1.5e3 ", -1500.0), (".5", 0.5), (7, 7.0), (2.5, 2.5), ("1e999", math.inf),
        (-(10**400), -math.inf),
        # float() reads each of these: the underscore, nan/inf, other scripts' digits, a bool
        ("1_0", None), ("nan", None), ("inf", None), ("\uff11\uff10", None), ("\u0661", None),
        (True, None), ("", None), (None, None), ("0x10", None),
    ],
)  # fmt: skip
def test_number_is_plain_decimal_text_or_a_number(value, expected):
    assert units.number(value) == expected


def test_a_quantity_with_other_scripts_digits_is_refused():
    with pytest.raises(UnitError, match="cannot read"):
        units.parse("\u0663\u0660 mm", "length", "r")  # Arabic-Indic "30": float() reads it


@pytest.mark.parametrize(("text", "tesla"), [("20 kG", 2.0), ("2e4 gauss", 2.0), ("500 mG", 5e-5)])
def test_gauss_is_a_flux_density_of_1e_4_T(text, tesla):
    # pint's gauss is of the Gaussian system: "20 kG" was "not a magnetic flux density"
    assert parse(text, "magnetic_flux_density") == pytest.approx(tesla, rel=1e-12)


def test_an_H_field_where_a_flux_density_is_expected_says_mu0_H():
    with pytest.raises(UnitError, match=r"'2e4 Oe' is not a magnetic flux density .*; an H field: "
                       r"give mu0 H, e\.g\. '2 T'"):  # fmt: skip
        parse("2e4 Oe", "magnetic_flux_density", "protocol[0].field")


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("200 J/(kg*K)", "a specific heat: multiply it by the density"),
        ("3 mJ/(g*K)", "a specific heat: multiply it by the density"),
        ("0.5 J/K", "the heat capacity of a body: divide by its volume"),
    ],
)
def test_a_heat_capacity_per_mass_or_per_body_says_what_to_do(text, hint):
    """The usual unit mistakes where a volumetric heat capacity is expected: the error said only
    that it was not one."""
    with pytest.raises(UnitError, match=f"is not a volumetric heat capacity .*; {hint}"):
        parse(text, "volumetric_heat_capacity", "materials.sc.heat_capacity")


@pytest.mark.parametrize(
    ("text", "si"),
    [
        ("3e4 A/cm²", 3e8),  # as fluxtrap's own tables print it
        ("3e4 A/cm2", 3e8),
        ("3e4 A cm-2", 3e8),
        ("2 kA/mm2", 2e9),
        ("5e8 A m-2", 5e8),
    ],
)
def test_powers_typed_as_people_write_them_are_read(text, si):
    assert parse(text, "current_density", "jc") == pytest.approx(si, rel=1e-12)


def test_typed_powers_leave_unit_names_that_end_in_digits_alone():
    assert unit("J/(m3*K)") == unit("J/(m^3*K)")
    assert unit("mu0") == units.ureg.Unit("vacuum_permeability")  # not mu^0
    with pytest.raises(UnitError, match="jc"):
        parse("3e4 A/xyz2", "current_density", "jc")  # no unit 'xyz' to raise to a power


@pytest.mark.parametrize(
    ("text", "dimension", "says"),
    [
        ("3 m", "time", "not a time .*; m is the metre: write min for minutes$"),
        ("5 C", "temperature", "not a temperature .*; C is the coulomb: write degC"),
        ("0.5 C", "temperature_difference", "C is the coulomb"),
        ("5 kg", "time", r"not a time \(expected something convertible to s\)$"),
        ("3 m", "magnetic_flux_density", r"convertible to T\)$"),  # no minutes meant there
    ],
)
def test_a_symbol_pint_reads_as_another_unit_is_named(text, dimension, says):
    """'5 C' for a temperature was "not a temperature" without saying pint's C is the coulomb."""
    with pytest.raises(UnitError, match=says):
        parse(text, dimension, "k")


# -- values as a notebook hands them ---------------------------------------------------------------
def test_pint_quantities_of_any_registry_are_read():
    """A pint quantity was called "the bare number <Quantity(30, 'millimeter')>" and refused, a
    notebook's own registry's too (pint refuses to mix registries)."""
    import pint

    theirs = pint.UnitRegistry()
    assert parse(units.Q_(30, "mm"), "length") == pytest.approx(0.03, rel=1e-12)
    assert parse(theirs.Quantity(30, "mm"), "length") == pytest.approx(0.03, rel=1e-12)
    assert parse(theirs.Quantity(2e4, "A/cm^2"), "current_density") == pytest.approx(2e8)
    assert parse(theirs.Quantity(5, "degC"), "temperature") == pytest.approx(278.15)
    with pytest.raises(UnitError, match=r"radius: .* is not a length"):
        parse(theirs.Quantity(3, "T"), "length", "radius")
    with pytest.raises(UnitError, match="radius: .* not a finite number"):
        parse(units.Q_(math.nan, "mm"), "length", "radius")
    with pytest.raises(UnitError, match="radius: expected one number with its unit"):
        parse(theirs.Quantity([1.0, 2.0], "mm"), "length", "radius")


def test_what_is_neither_text_nor_a_number_is_named_for_what_it_is():
    with pytest.raises(
        UnitError, match=r"radius: expected a quantity with its unit, e.g. \"30 mm\""
    ):
        parse(None, "length", "radius")  # was "got the bare number None ... e.g. \"None mm\""


@pytest.mark.parametrize(
    ("text", "dimension", "si"),
    [
        ("5 \u2103", "temperature", 278.15),  # ℃, one character, as word processors write it
        ("10 \u2103/min", "temperature_rate", 1 / 6),
        ("41 \u2109", "temperature", 278.15),  # ℉
        ("5 \u212a", "temperature", 5.0),  # the kelvin sign, not the letter K
        ("2e-10 \u2126*m", "resistivity", 2e-10),  # the ohm sign, not the Greek capital omega
    ],
)
def test_letterlike_unit_symbols_copied_from_papers_are_read(text, dimension, si):
    assert parse(text, dimension) == pytest.approx(si, rel=1e-12)


def test_convert_between_dimensions_is_a_unit_error():
    with pytest.raises(UnitError, match="cannot convert 'T' to 'K': not the same dimension"):
        convert(1.0, "T", "K")  # was pint's DimensionalityError


def test_objectives_and_their_conditions_take_pint_quantities():
    """``Store.set_objectives(c, s, {"jc_3T": Q_(2e4, "A/cm^2")})`` was refused as "not a finite
    number"; a campaign's ``field = Q_(3, "T")`` as "give it with its unit"."""
    import pint

    from fluxtrap.campaign import CampaignSpec

    theirs = pint.UnitRegistry()
    spec = CampaignSpec.from_dict(
        {
            "name": "c",
            "parameters": [{"name": "x", "low": 0, "high": 1}],
            "objectives": [
                {"name": "j", "quantity": "jc", "field": theirs.Quantity(3, "T"),
                 "temperature": units.Q_(5, "K")},
                {"name": "tc", "quantity": "tc"},
            ],
        }
    )  # fmt: skip
    assert (spec.objective("j").field_T, spec.objective("j").temperature_K) == (3.0, 5.0)
    got = spec.check_objectives({"j": theirs.Quantity(2e4, "A/cm^2"), "tc": units.Q_(37.2, "K")})
    assert got == pytest.approx({"j": 2e8, "tc": 37.2}, rel=1e-12)
    with pytest.raises(UnitError, match="objective j=.*: cannot convert T to A/m"):
        spec.check_objectives({"j": theirs.Quantity(3, "T")})


def test_parameters_take_pint_quantities_in_any_unit_of_their_dimension():
    """``add_sample(c, "X4", {"max_temperature": Q_(600, "degC"), ...})`` was refused as "not a
    number in degC or with a unit"."""
    import pint

    from fluxtrap.campaign import CampaignSpec

    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    theirs = pint.UnitRegistry()
    given = {
        "ramp_rate": theirs.Quantity(50, "K/min"),
        "max_temperature": units.Q_(873.15, "K"),
        "dwell_time": theirs.Quantity(300, "s"),
    }
    got = spec.check_params(given)
    assert got == {"ramp_rate": 50.0, "max_temperature": 600.0, "dwell_time": 5.0}
    with pytest.raises(ValidationError, match=r"dwell_time=.*: cannot convert m to .*min"):
        spec.check_params({**given, "dwell_time": theirs.Quantity(5, "m")})


def test_a_case_dict_built_in_python_takes_pint_quantities():
    """``{"radius": Q_(5, "mm")}`` was "got the bare value <Quantity(5, 'millimeter')>; expected a
    length written with its unit, e.g. \"5 millimeter mm\""."""
    import pint

    from fluxtrap.simulate import Case

    theirs = pint.UnitRegistry()
    case = Case.from_dict(
        {
            "title": "q",
            "materials": {"sc": {"n": 40, "jc": {"constant": units.Q_(1e4, "A/cm^2")}}},
            "stack": [{"material": "sc", "radius": theirs.Quantity(5, "mm"), "thickness": "4 mm"}],
            "probes": [{"name": "top", "r": "0 mm", "z": theirs.Quantity(5, "mm")}],
            "protocol": [
                {"step": "set", "field": theirs.Quantity(3, "T"), "temperature": "20 K"},
                {"step": "ramp_field", "to": "0 T", "rate": theirs.Quantity(10, "T/h")},
            ],
        }
    )
    assert case.to_dict() == Case.from_toml("case.toml", case.to_toml()).to_dict()  # as text
    si = case.to_si_dict()
    assert si["stack"][0]["radius_m"] == pytest.approx(5e-3, rel=1e-12)
    assert si["probes"][0]["z_m"] == pytest.approx(5e-3, rel=1e-12)
    assert si["protocol"][1]["rate_T_s"] == pytest.approx(10 / 3600, rel=1e-12)


@pytest.mark.parametrize(
    ("value", "error", "spec", "text"),
    [
        (3.00912, 0.0107, ".4g", "3.009 ± 0.011"),  # rounded at the error's second digit
        (3.00912, None, ".4g", "3.009"),  # no error known: the value in its spec
        (3.00912, 0.0, ".4g", "3.009"),
        (3.00912, float("nan"), ".6g", "3.00912"),
        (57540.4, 160.2, ".4g", "57,540 ± 160"),
        (None, 0.1, ".4g", "-"),  # no value (a ppm of a zero field)
    ],
)
def test_value_text_rounds_a_value_at_its_error_or_gives_it_alone(value, error, spec, text):
    from fluxtrap.units import value_text

    assert value_text(value, error, spec) == text


@pytest.mark.parametrize(
    ("mean", "std", "text"),
    [
        (-111806.0, 0.1, "-111,806.00 ± 0.10"),  # a bore term: was "-111,806 ± 0"
        (3.2, 3e-6, "3.2000000 ± 0.0000030"),  # a creep fit's a: was "3.20000 ± 0.00000"
        (4.06123e4, 9876.0, "40,600 ± 9,900"),  # the std's second digit, as before
        (-1.23456789012e5, 1e-6, "-123,456.7890 ± 1.0e-06"),  # beyond 10 digits: 10 kept
        (36.9013877112, 2e-10, "36.90138771 ± 2.0e-10"),  # a noise-free Tc fit's
        (1e20, 1e10, "1.000000000e+20 ± 1.0e+10"),
        (-5.0, 0.0, "-5.00000 ± 0.00000"),  # no error: 6 significant digits, as before
        (-7e-31, 2.1e-30, "-7e-31 ± 2.1e-30"),  # a probe of no field: had 31 decimals
        (1.234567e-9, 2.1e-12, "1.2346e-09 ± 2.1e-12"),
        (0.0, 3e-20, "0.0e+00 ± 3.0e-20"),
        (0.5, 1e-9, "0.5000000000 ± 0.0000000010"),  # no leading zeros: as before
    ],
)
def test_an_estimate_never_shows_a_nonzero_std_as_zero(mean, std, text):
    """estimate_text kept at most 6 significant digits of the mean, so a std below its sixth
    digit printed as "± 0"; the std now always keeps its two digits, in scientific notation
    where the mean would need more than ESTIMATE_DIGITS digits for them (the mean then keeps
    that many), and both where a mean under 1e-3 would need more than ESTIMATE_DECIMALS
    decimals."""
    from fluxtrap.units import estimate_text

    assert estimate_text(mean, std) == text


def test_an_estimate_reads_back_as_its_mean_and_std():
    """Over 40 decades of means and stds, the text reads back as the mean to a tenth of the std
    (or to its ESTIMATE_DIGITS significant digits) and the std to its second digit, never 0."""
    import math
    import re

    import numpy as np

    from fluxtrap.units import ESTIMATE_DIGITS, estimate_text

    rng = np.random.default_rng(1)
    for mean, std in zip(rng.uniform(-1, 1, 400) * 10.0 ** rng.integers(-20, 20, 400),
                         10.0 ** rng.uniform(-20, 20, 400), strict=True):  # fmt: skip
        text = estimate_text(float(mean), float(std)).replace(",", "")
        m, s = re.fullmatch(r"(\S+) ± (\S+)", text).groups()
        assert float(s) == pytest.approx(std, rel=0.05, abs=0), (mean, std, text)
        kept = 5.01 * 10.0 ** (math.floor(math.log10(abs(mean))) - ESTIMATE_DIGITS)
        assert abs(float(m) - mean) <= max(std / 10, kept), (mean, std, text)


@pytest.mark.parametrize("text", ["1 y", "1 yr", "1 a", "1 year", "12 month"])
def test_a_year_is_read_as_labs_write_it(text):
    """'--at "1 y"' was refused ('y' is not defined); y, yr and a are the Julian year pint knows
    (365.25 d), as is 12 months."""
    assert parse(text, "time", "--at") == pytest.approx(365.25 * 86400, rel=1e-12)


def test_the_year_alias_leaves_the_yocto_units_alone():
    """y is also the yocto prefix: 'ys' and 'ym' stay the yoctosecond and the yoctometre."""
    assert parse("1 ys", "time") == pytest.approx(1e-24, rel=1e-12)
    assert parse("1 ym", "length") == pytest.approx(1e-24, rel=1e-12)
    assert parse("2 ky", "time") == pytest.approx(2e3 * 365.25 * 86400, rel=1e-12)


def test_one_table_of_field_units_serves_both_hints_and_is_right():
    """units.field_unit_hint (a field read as T) and readers._columns.check_field (a column
    labelled in a unit) had each their own table of field units per tesla; now one,
    units.FIELD_UNITS_PER_T, whose factors are pint's (values of mu0 H = 1 T in each unit), and
    both hints name only units from it, with its factors."""
    import re

    from fluxtrap import units
    from fluxtrap.magnetometry.readers import _columns

    for u, per, said in units.FIELD_UNITS_PER_T:
        quantity = "1 T" if u in ("T", "mT") else f"{1 / units.MU0} A/m"
        assert units.convert(float(quantity.split()[0]), quantity.split()[1], u) == pytest.approx(
            per, rel=1e-9
        ), u
        assert float(said) == pytest.approx(per, rel=2e-3), u
    assert _columns.FIELD_UNITS_PER_T is units.FIELD_UNITS_PER_T
    for b in (500.0, 7e4, 1e9):  # mT, Oe, neither
        hint = units.field_unit_hint(b, 16.0, "B (T)")
        for u, per in re.findall(r"in (\S+)(?: or G)? \(([\d.e]+) per T", hint):
            assert (u, float(per)) in {(x, f) for x, f, _ in units.FIELD_UNITS_PER_T}, hint
