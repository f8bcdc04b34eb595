"""Jc(B, T) from tables at several temperatures and n(T): values, case form, refusals, the run."""

from __future__ import annotations

import copy
import re
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest

from fluxtrap.errors import FluxtrapError, ValidationError
from fluxtrap.simulate import simulate
from fluxtrap.simulate.case import Case
from fluxtrap.simulate.material_spec import material_from_dict

FIELD = [0, 1, 3]
JC5 = [1e5, 5e4, 2e4]  # A/cm^2 at 5 K
JC20 = [4e4, 1.5e4, 5e3]  # at 20 K


def between(temperature_K: float) -> np.ndarray:
    """The tables' Jc (A/cm^2) at a temperature between them: a power law in 1 - T/Tc,
    Jc5 ((38 - T)/33)^a through both tables (a = ln(Jc5/Jc20) / ln(33/18))."""
    a = np.log(np.array(JC5) / JC20) / np.log(33.0 / 18.0)
    return np.array(JC5) * ((38.0 - temperature_K) / 33.0) ** a


def material() -> dict:
    return copy.deepcopy(
        {
            "n": {"temperature": [5, 20], "temperature_unit": "K", "value": [35, 15]},
            "jc": {
                "tc": "38 K",
                "tables": [
                    {
                        "temperature": "5 K",
                        "field": FIELD,
                        "field_unit": "T",
                        "jc": JC5,
                        "jc_unit": "A/cm^2",
                    },
                    {
                        "temperature": "20 K",
                        "field": FIELD,
                        "field_unit": "T",
                        "jc": JC20,
                        "jc_unit": "A/cm^2",
                    },
                ],
            },
        }
    )


def case(mat: dict, temperature: str = "5 K") -> dict:
    return {
        "materials": {"sc": mat},
        "stack": [{"material": "sc", "radius": "4 mm", "thickness": "2 mm"}],
        "probes": [{"name": "top", "r": "0 mm", "z": "3 mm"}],
        "protocol": [
            {"step": "set", "field": "0 T", "temperature": temperature},
            {"step": "ramp_field", "to": "1 T", "rate": "0.05 T/s"},
        ],
        "mesh": {"size": "1 mm"},
    }


def test_interpolation_in_b_and_t():
    m = Case.from_dict(case(material())).material("sc")
    jc = lambda b, t: m.jc_at(np.asarray(b, float), t) / 1e4  # noqa: E731  A/cm^2
    assert jc(FIELD, 5.0) == pytest.approx(JC5) and jc(FIELD, 20.0) == pytest.approx(JC20)
    assert jc(FIELD, 2.0) == pytest.approx(JC5)  # held below the first table
    mid = between(12.5)
    assert jc(FIELD, 12.5) == pytest.approx(mid)
    # on to Tc with the same exponent (at least 1: linear where the tables fall slower)
    a = np.maximum(np.log(np.array(JC5) / JC20) / np.log(33.0 / 18.0), 1.0)
    assert jc(FIELD, 29.0) == pytest.approx(np.array(JC20) * 0.5**a)
    assert jc(FIELD, 38.0) == pytest.approx([0, 0, 0]) and jc([0.5], 40.0) == pytest.approx([0])
    per_element = m.jc_at(np.array([0.0, 0.0, 3.0]), np.array([5.0, 20.0, 12.5])) / 1e4
    assert per_element == pytest.approx([JC5[0], JC20[0], mid[2]])
    assert m.tc_K == 38.0 and m.n == 35
    assert m.exponent(12.5) == pytest.approx(25.0) and m.exponent(30.0) == pytest.approx(15.0)


JC_OF_T = {  # Jc(T)/Jc(0) forms measured bulks follow (Tc = 38 K)
    "(1-t)^2": lambda t: np.clip(1 - t / 38, 0, None) ** 2,
    "(1-t^2)^1.5": lambda t: np.clip(1 - (t / 38) ** 2, 0, None) ** 1.5,
    "(1-t^2)^2.5": lambda t: np.clip(1 - (t / 38) ** 2, 0, None) ** 2.5,
    "exp(-T/8 K)(1-t^2)": lambda t: np.exp(-t / 8) * np.clip(1 - (t / 38) ** 2, 0, None),
}


@pytest.mark.parametrize(
    ("form", "inside", "tail"),
    [
        ("(1-t)^2", 1e-9, 1e-9),
        ("(1-t^2)^1.5", 0.025, 0.03),
        ("(1-t^2)^2.5", 0.04, 0.03),
        ("exp(-T/8 K)(1-t^2)", 0.03, 0.05),
    ],
)
def test_jc_between_and_above_the_tables_follows_an_analytic_jc_of_b_and_t(form, inside, tail):
    """Jc(B, T) = Kim(B) s(T), tabulated at 5, 10, 20, 30 K as a lab measures loops, read back at
    the tables' fields: at 5..30 K within ``inside`` of s(T) (measured 0, 1.7, 2.9, 2.1 %; log Jc
    linear in T was 12, 12, 19, 8 % low); from 30 K to Tc within ``tail`` x Jc(30 K) (measured
    0, 1.7, 2.0, 2.9 %; the linear fall was 25, 12, 30, 18 % off, the last two tables' power law
    0, 5.1, 4.6, 12 %). A power law in 1 - T/Tc is matched exactly, to Tc too."""
    s = JC_OF_T[form]
    fields = np.linspace(0.0, 5.0, 11)
    kim = lambda b: 1.2e9 / (1 + b / 0.6)  # noqa: E731  A/m^2
    mat = {
        "n": 30,
        "jc": {
            "tc": "38 K",
            "tables": [
                {
                    "temperature": f"{t} K",
                    "field": list(fields),
                    "field_unit": "T",
                    "jc": list(kim(fields) * s(t)),
                    "jc_unit": "A/m^2",
                }
                for t in (5.0, 10.0, 20.0, 30.0)
            ],
        },
    }
    m = Case.from_dict(case(mat)).material("sc")
    b, t = np.meshgrid(fields, np.linspace(5.0, 30.0, 101))
    assert np.max(np.abs(m.jc_at(b, t) / (kim(b) * s(t)) - 1)) < inside
    b, t = np.meshgrid(fields, np.linspace(30.0, 38.0, 81))
    error = np.abs(m.jc_at(b, t) - kim(b) * s(t)) / (kim(b) * s(30.0))
    assert np.max(error) < tail
    assert m.jc_at(np.array([1.0]), 38.0) == pytest.approx([0.0])


def test_case_form_round_trips():
    c = Case.from_dict(case(material()))
    assert Case.from_dict(c.to_dict()) == c
    assert Case.from_dict(tomllib.loads(c.to_toml())) == c
    assert c.to_si_dict()["materials"]["sc"]["n_table"]["values"] == [35.0, 15.0]


def _set(path, value):
    def apply(m):
        node = m
        *head, last = path
        for k in head:
            node = node[k]
        if value is KeyError:
            del node[last]
        else:
            node[last] = value

    return apply


@pytest.mark.parametrize(
    "change, match",
    [
        (_set(("jc", "tc"), KeyError), r"materials\.sc\.jc: tc goes with tables"),
        (
            _set(("jc", "tc"), "15 K"),
            r"jc\.tc = 15 K must be above the last table's temperature 20 K",
        ),
        (_set(("jc", "temperature"), {"at": "5 K", "tc": "38 K"}), "leave out jc.temperature"),
        (
            _set(("jc", "tables", 1, "temperature"), "4 K"),
            "temperatures must be > 0 K and increasing",
        ),
        (
            _set(("jc", "tables", 1, "temperature"), 20),
            r"jc\.tables\[1\]\.temperature: got the bare value",
        ),
        (_set(("jc", "tables", 0, "jc"), [1e5, -5, 2e4]), r"jc\.tables\[0\]: every Jc must be > 0"),
        (_set(("jc", "tables", 0, "pressure"), 1), r"jc\.tables\[0\]\.pressure: unknown key"),
        (  # a misspelt temperature was "temperature: missing", the misspelling unnamed
            lambda m: m["jc"]["tables"][1].update(
                temprature=m["jc"]["tables"][1].pop("temperature")
            ),
            r"jc\.tables\[1\]\.temprature: unknown key; did you mean 'temperature'\?",
        ),
        (_set(("jc", "tables"), {"temperature": "5 K"}), r"jc\.tables: expected a list of tables"),
        (
            _set(("n", "value"), [35, 1]),
            r"materials\.sc\.n\.value\[1\] = 1\.0: the power-law exponent",
        ),
        (_set(("n", "value"), [35, float("nan")]), r"materials\.sc\.n\.value\[1\]"),
    ],
)
def test_bad_temperature_tables_are_refused(change, match):
    m = material()
    change(m)
    with pytest.raises(FluxtrapError, match=match):
        Case.from_dict(case(m))


def test_the_solver_reads_jc_and_n_at_the_temperature():
    """A run at 12.5 K with the tables gives the run with one table of the interpolated Jc and
    the interpolated n (25) to rounding; at 5 K, a different trace."""
    mid = list(between(12.5))
    fixed = {
        "n": 25,
        "jc": {"table": {"field": FIELD, "field_unit": "T", "jc": mid, "jc_unit": "A/cm^2"}},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = simulate(case(material(), "12.5 K")).probes
        single = simulate(case(fixed, "12.5 K")).probes
        cold = simulate(case(material(), "5 K")).probes
    assert tables.top_Bz_T.to_numpy() == pytest.approx(single.top_Bz_T.to_numpy(), rel=1e-9)
    assert abs(cold.top_Bz_T.iloc[-1] - tables.top_Bz_T.iloc[-1]) > 0.01


def test_sweeps_vary_temperature_and_scale_jc_of_temperature_tables():
    """``fluxtrap sweep``: --vary temperature is allowed with jc.tables (Jc depends on T), and
    jc_scale scales every table."""
    from fluxtrap.workflows.sweep import Axis, expand

    base = case(material())
    hot = expand(base, [Axis.parse("temperature=12.5K"), Axis.parse("jc_scale=2")])[0]
    assert hot.case.protocol[0].temperature_K == pytest.approx(12.5)
    scaled = hot.case.material("sc").jc
    assert [t.jc_A_m2[0] for t in scaled.tables] == pytest.approx([2e9, 8e8])


def test_calibration_parameters_act_on_temperature_tables_and_n_of_t():
    """A fitted n replaces n(T) (else the table would silently win) and jc_scale scales every
    temperature's table."""
    from fluxtrap.simulate.calibrate.parameters import FitParameter, apply, scaled_jc

    c = Case.from_dict(case(material()))
    m = c.material("sc")
    scaled = scaled_jc(m.jc, 0.5)
    assert scaled.tc_K == 38.0 and [t.jc_A_m2[0] for t in scaled.tables] == pytest.approx(
        [5e8, 2e8]
    )

    every_n = FitParameter("*", "n", 35.0, (5.0, 100.0))  # n of every superconductor
    fitted = apply(c, [every_n], [40.0]).material("sc")
    assert fitted.n == 40.0 and fitted.n_table is None and fitted.exponent(20.0) == 40.0


@pytest.mark.parametrize(
    "exponent, match",
    [
        (1e6, "must be > 0 and at most 100, got 1e\\+06"),  # was a ZeroDivisionError in the run
        (0, "must be > 0 and at most 100, got 0"),
        (-2, "must be > 0 and at most 100, got -2"),
    ],
)
def test_jc_temperature_exponent_is_bounded_naming_the_key(exponent, match):
    spec = {"n": 30, "jc": {"constant": "3e4 A/cm^2", "temperature": {"at": "5 K", "tc": "38 K"}}}
    spec["jc"]["temperature"]["exponent"] = exponent
    with pytest.raises(
        ValidationError, match=rf"^materials\.sc\.jc\.temperature\.exponent: {match}"
    ):
        material_from_dict("sc", spec, Path("."))
    spec["jc"]["temperature"]["exponent"] = 100
    assert material_from_dict("sc", spec, Path(".")).temperature.exponent == 100


def test_a_temperature_outside_the_tables_warns_naming_the_key():
    """Below the first Jc table the first table is held: a case run at 4.2 K with tables at 5
    and 20 K was run at 5 K's Jc, unsaid (the trapped field then comes out low, and nothing
    told the user their 4.2 K had no table); likewise an n(T) table the protocol leaves. Inside
    both tables (and up to Tc above the last Jc table, where Jc falls to zero) no warning."""
    from fluxtrap.simulate.case import CaseWarning

    with pytest.warns(CaseWarning, match=r"materials\.sc\.jc\.tables: .* down to 4\.2 K, below"):
        Case.from_dict(case(material(), "4.2 K"))
    # at 0 K it said "add a table at 0 K or below", which the tables refuse (> 0 K)
    with pytest.warns(CaseWarning, match=r"down to 0 K, .* add a table at the lowest temperature "):
        Case.from_dict(case(material(), "0 K"))
    m = material()
    m["jc"]["tables"][0]["temperature"] = "0 K"
    with pytest.raises(ValidationError, match=r"temperatures must be > 0 K"):
        Case.from_dict(case(m, "0 K"))
    m = material()
    m["n"]["temperature"] = [10, 20]
    with pytest.warns(CaseWarning, match=r"materials\.sc\.n: .* 5\.\.5 K leave .* 10\.\.20 K"):
        Case.from_dict(case(m, "5 K"))
    for temperature in ("5 K", "12.5 K", "20 K"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            Case.from_dict(case(material(), temperature))
    warm = case(material(), "20 K")  # Jc tables end at 20 K, Tc 38 K: Jc falls to 0 by design
    warm["protocol"].append({"step": "ramp_temperature", "to": "30 K", "rate": "1 K/s"})
    with pytest.warns(CaseWarning, match=r"materials\.sc\.n: .* 20\.\.30 K leave"):
        Case.from_dict(warm)


def test_a_table_at_one_temperature_starting_above_zero_field_is_named():
    """Of tables at several temperatures, the one that starts above 0 T is named with its index
    and temperature (Jc is held at its first value below its first field)."""
    from fluxtrap.simulate.case import CaseWarning

    mat = material()
    mat["jc"]["tables"][1] |= {"field": [0.5, 1, 3]}
    with pytest.warns(CaseWarning, match=r"^materials\.sc\.jc\.tables\[1\] \(at 20 K\): the table "
                      r"starts at 0\.5 T, above 0 T; from 0 to 0\.5 T Jc is held at its first "
                      r"value, 4e\+04 A/cm\^2"):  # fmt: skip
        Case.from_dict(case(mat))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CaseWarning)
        Case.from_dict(case(material()))


def test_jc_tables_rising_with_temperature_are_warned_of_or_refused_naming_where():
    """Jc falls as the temperature rises (a jc.temperature exponent <= 0 is refused): a 20 K
    table above the 5 K one ran without a word. A rise at a field both tables measured is
    warned of, naming the table, the field and the two temperatures; over JC_RISE_REFUSED
    (2x) refused, in a case and built in code alike. Fields only one table reaches are not
    compared (beyond its range a table's last Jc is held)."""
    from fluxtrap.simulate.case import CaseWarning
    from fluxtrap.simulate.materials import TableJc, TemperatureTablesJc

    m = material()
    m["jc"]["tables"][1]["jc"] = [4e4, 6e4, 5e3]  # 1.2x the 5 K table's 5e4 at 1 T
    said = r"materials\.sc\.jc\.tables\[1\]: Jc at 1 T is 6e\+04 A/cm\^2 at 20 K, 1\.2x the 5e\+04"
    with pytest.warns(CaseWarning, match=said + r" A/cm\^2 of jc\.tables\[0\] at 5 K: Jc falls"):
        Case.from_dict(case(m))
    m["jc"]["tables"][1]["jc"] = [4e4, 1.5e4, 5e4]  # 2.5x at 3 T: a column mix-up
    with pytest.raises(
        ValidationError, match=r"^materials\.sc\.jc\.tables\[1\]: Jc at 3 T .* 2\.5x"
    ):
        Case.from_dict(case(m))
    lo, hi = TableJc((0.0, 1.0), (5e8, 1e8)), TableJc((0.0, 1.0), (5e8, 2.5e8))
    with pytest.raises(ValidationError, match=r"^jc\.tables\[1\]: Jc at 1 T .* at 20 K, 2\.5x"):
        TemperatureTablesJc((5.0, 20.0), (lo, hi), 38.0)
    # the 20 K table stops at 1 T: past it its 1 T value is held, not a measured rise
    m["jc"]["tables"][1] |= {"field": [0, 1], "jc": [4e4, 1.5e4]}
    m["jc"]["tables"][0]["jc"] = [1e5, 5e4, 1e3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Case.from_dict(case(m))


def test_jc_tables_read_the_csv_files_fluxtrap_jc_writes(tmp_path):
    """Jc(B) measured at several temperatures comes as one `fluxtrap jc --out` file per loop;
    ``jc.tables`` took inline columns only ("tables[0].csv: unknown key"). An entry may give
    ``csv`` (relative to the case file) with its temperature: the same Jc(B, T) as the inline
    tables of the same numbers, a row flagged unpenetrated left out as jc.csv leaves it, and a
    file beside inline columns is refused naming the entry."""
    from fluxtrap.jctable import jc_csv_text

    for temp, jc in (("5", JC5), ("20", JC20)):
        text = jc_csv_text(FIELD, np.array(jc) * 1e4, np.full(3, np.nan), np.zeros(3))
        # a loop's row the sample was not penetrated at (extended Bean too low there)
        (tmp_path / f"jc_{temp}K.csv").write_text(text + "2.5,1e9,,1\n")
    path = tmp_path / "case.toml"
    path.write_text(
        """
[materials.sc]
n = 35
jc.tc = "38 K"
[[materials.sc.jc.tables]]
temperature = "5 K"
csv = "jc_5K.csv"
[[materials.sc.jc.tables]]
temperature = "20 K"
csv = "jc_20K.csv"
[[stack]]
material = "sc"
radius = "4 mm"
thickness = "2 mm"
[[protocol]]
step = "set"
field = "0 T"
temperature = "5 K"
"""
    )
    read = Case.from_toml(path).material("sc")
    mat = material()
    mat["n"] = 35
    inline = Case.from_dict(case(mat)).material("sc")
    b = np.array([0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 5.0])
    for temp in (5.0, 8.0, 12.5, 20.0, 30.0, 37.0):
        assert read.jc_at(b, temp) == pytest.approx(inline.jc_at(b, temp), rel=1e-12)
    # the case as parsed writes its files back (a run stored by --db keeps Case.to_toml())
    c = Case.from_toml(path)
    assert Case.from_dict(tomllib.loads(c.to_toml())) == c
    both = tomllib.loads(path.read_text())["materials"]["sc"]
    both["jc"]["tables"][0]["field"] = FIELD
    with pytest.raises(ValidationError, match=r"jc\.tables\[0\]: give csv or field and jc"):
        material_from_dict("sc", both, tmp_path)


def test_the_tables_monotone_cubic_in_temperature_is_scipys_pchip():
    """``materials._pchip_pieces`` (vectorised over fields, for speed) gives scipy's
    PchipInterpolator to rounding: flat, rising, falling and sign-changing data, 2-6 knots."""
    from scipy.interpolate import PchipInterpolator

    from fluxtrap.simulate.materials import _pchip_pieces

    rng = np.random.default_rng(1)
    for k in (2, 3, 4, 6):
        for trial in range(20):
            x = np.sort(rng.uniform(0.0, 3.0, k))
            y = rng.normal(size=(k, 30))
            if trial % 2:
                y = -np.cumsum(np.abs(y), axis=0)
            if trial % 5 == 0:
                y[1] = y[0]
            at = rng.uniform(x[0], x[-1], 30)
            i = np.clip(np.searchsorted(x, at, side="right") - 1, 0, k - 2)
            ref = [float(PchipInterpolator(x, y[:, j])(at[j])) for j in range(30)]
            assert _pchip_pieces(x, y, i, at) == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("tc", ["1e6 K", "311 K"])
@pytest.mark.parametrize("form", ["tables", "temperature"])
def test_a_tc_past_any_superconductors_is_refused_naming_the_key(form, tc):
    """jc.tc = "1e6 K" ran (Jc of the last table held almost unchanged to 1e6 K), and "38 degC"
    (311 K) would too; above MAX_TC_K (150 K) no superconductor has its Tc."""
    mat = material()
    if form == "tables":
        mat["jc"]["tc"] = tc
        key = "materials.sc.jc.tc"
    else:
        mat = {
            "n": 30,
            "jc": {"kim": {"jc0": "1e5 A/cm^2", "b0": "0.5 T"}, "temperature": {"at": "5 K"}},
        }
        mat["jc"]["temperature"]["tc"] = tc
        key = "materials.sc.jc.temperature.tc"
    with pytest.raises(FluxtrapError, match=rf"{re.escape(key)} = \S+ K: above 150 K"):
        Case.from_dict(case(mat))
