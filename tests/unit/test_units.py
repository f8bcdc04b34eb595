import pytest

from fluxtrap.errors import UnitError
from fluxtrap.units import convert, parse, parse_in


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
