"""The thermal part of the case-file contract: material keys, [thermal], temperature probes."""

from __future__ import annotations

import copy
import tomllib
import warnings

import numpy as np
import pytest

from fluxtrap.errors import FluxtrapError, ValidationError
from fluxtrap.simulate.case import Case, CaseWarning
from fluxtrap.simulate.protocol import Cool, RampTemperature, Set
from fluxtrap.simulate.thermal_spec import TemperatureTable

CP = {
    "temperature": [2, 10, 40],
    "temperature_unit": "K",
    "value": [50, 2e3, 1e5],
    "value_unit": "J/(m^3*K)",
}


def base() -> dict:
    return copy.deepcopy(
        {
            "materials": {
                "sc": {
                    "n": 35,
                    "jc": {"constant": "3e4 A/cm^2"},
                    "heat_capacity": CP,
                    "thermal_conductivity": "2 W/(m*K)",
                },
                "cu": {
                    "resistivity": "2e-10 ohm*m",
                    "heat_capacity": "1e3 J/(m^3*K)",
                    "thermal_conductivity": "400 W/(m*K)",
                },
            },
            "stack": [
                {"material": "sc", "radius": "15 mm", "thickness": "6 mm"},
                {"material": "cu", "radius": "15 mm", "thickness": "1.2 mm"},
            ],
            "probes": [
                {"name": "top", "r": "0 mm", "z": "7.2 mm"},
                {"name": "hot", "quantity": "temperature", "r": "15 mm", "z": "3 mm"},
            ],
            "protocol": [
                {"step": "set", "field": "7 T", "temperature": "5 K"},
                {"step": "ramp_field", "to": "0 T", "rate": "4.8 T/h"},
                {"step": "ramp_temperature", "to": "10 K", "rate": "1 K/min"},
            ],
            "thermal": {
                "model": "conduction",
                "interlayer_resistance": "1e-4 K*m^2/W",
                "cooling": [
                    {"surface": "bottom"},
                    {"surface": "side", "heat_transfer_coefficient": "50 W/(m^2*K)"},
                ],
            },
        }
    )


def test_thermal_case_parses_to_si_and_round_trips():
    case = Case.from_dict(base())
    sc = case.material("sc")
    assert sc.thermal.heat_capacity.at(6.0) == pytest.approx(50 + (2e3 - 50) * 4 / 8)
    assert sc.thermal.thermal_conductivity.at(100.0) == pytest.approx(2.0)
    assert case.thermal.model == "conduction"
    assert case.thermal.interlayer_resistance_K_m2_W == pytest.approx(1e-4)
    assert [c.surface for c in case.thermal.cooling] == ["bottom", "side"]
    assert case.thermal.cooling[1].heat_transfer_W_m2K == pytest.approx(50.0)
    assert [p.name for p in case.probes] == ["top"]
    assert [p.name for p in case.temperature_probes] == ["hot"]
    assert Case.from_dict(case.to_dict()) == case
    assert Case.from_dict(tomllib.loads(case.to_toml())) == case
    assert case.to_si_dict()["thermal"]["model"] == "conduction"


def test_isothermal_is_the_default_and_keeps_the_case_key():
    d = base()
    del d["thermal"]
    case = Case.from_dict(d)
    assert case.thermal.model == "isothermal" and not case.thermal.coupled
    assert "thermal" not in case.to_si_dict() and "thermal" not in case.to_dict()
    for m in d["materials"].values():  # thermal keys are optional for isothermal runs
        m.pop("heat_capacity"), m.pop("thermal_conductivity")
    d["probes"] = d["probes"][:1]
    si = Case.from_dict(d).to_si_dict()
    assert set(si) == {
        "title",
        "materials",
        "stack",
        "probes",
        "protocol",
        "mesh",
        "solver",
        "snapshots_s",
    }


def edit(path: str, value):
    def apply(d):
        *head, last = path.split("/")
        node = d
        for k in head:
            node = node[int(k)] if k.isdigit() else node[k]
        if value is KeyError:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return apply


@pytest.mark.parametrize(
    "change, match",
    [
        (edit("thermal/modle", "adiabatic"), r"thermal\.modle: unknown key; did you mean 'model'"),
        (edit("thermal/model", "radiative"), r"thermal\.model: got 'radiative'.*; expected one of"),
        (  # the message had said "cooling: ...", not where
            edit("thermal/cooling", {"surface": "side"}),
            r"^thermal\.cooling: expected a list of tables",
        ),
        (edit("thermal/cooling/0/surface", "base"), r"thermal\.cooling\[0\]\.surface: got 'base'"),
        (
            edit("thermal/cooling/1/heat_transfer_coefficient", "-5 W/(m^2*K)"),
            r"thermal\.cooling\[1\]\.heat_transfer_coefficient: must be > 0",
        ),
        (
            edit("thermal/cooling/1/heat_transfer_coefficient", "5 W/m"),
            r"thermal\.cooling\[1\]\.heat_transfer_coefficient",
        ),
        (
            edit("thermal/cooling/1/surface", "bottom"),
            r"thermal\.cooling: a surface is listed twice",
        ),
        (
            edit("thermal/interlayer_resistance", "-1 K*m^2/W"),
            r"thermal\.interlayer_resistance: must be >= 0",
        ),
        (  # accepted, 1e-20 left a heated top layer at the coolant and the one below 33 K under it
            edit("thermal/interlayer_resistance", "1e-20 K*m^2/W"),
            r"thermal\.interlayer_resistance: 1e-20 K\*m\^2/W is below the 1e-09 K\*m\^2/W",
        ),
        (
            edit("materials/sc/heat_capacity", "-3 J/(m^3*K)"),
            r"materials\.sc\.heat_capacity: must be > 0",
        ),
        (
            edit("materials/sc/heat_capacity", "nan J/(m^3*K)"),
            r"materials\.sc\.heat_capacity",
        ),
        (
            edit("materials/sc/heat_capacity", 300),
            r"materials\.sc\.heat_capacity: got the bare value",
        ),
        (
            edit("materials/cu/thermal_conductivity", "400 W/m"),
            r"materials\.cu\.thermal_conductivity",
        ),
        (  # 1e16 cooled a disk to -6e7 K: the conduction terms swamped everything else
            edit("materials/cu/thermal_conductivity", "1e16 W/(m*K)"),
            r"materials\.cu\.thermal_conductivity: 1e\+16 W/\(m\*K\) is beyond the 1e\+06",
        ),
        (  # accepted, it stopped at t = 0 as a "thermal runaway (hottest element 20 K)"
            edit("materials/sc/heat_capacity", "1e-300 J/(m^3*K)"),
            r"materials\.sc\.heat_capacity: 1e-300 J/\(m\^3\*K\) is below the 0\.01 J/",
        ),
        (  # accepted, a disk kept 5 K and heat_J 0 J of 0.015 J dissipated: lost in rounding
            edit("materials/sc/heat_capacity/value", [50, 2e3, 1e300]),
            r"materials\.sc\.heat_capacity: 1e\+300 J/\(m\^3\*K\) is beyond the 1e\+08",
        ),
        (
            edit("materials/sc/heat_capacity/value", [50, -1, 3]),
            r"materials\.sc\.heat_capacity\.value\[1\]: must be > 0",
        ),
        (
            edit("materials/sc/heat_capacity/value", [50, float("nan"), 3]),
            r"materials\.sc\.heat_capacity\.value\[1\]",
        ),
        (  # said only "must be >= 0 K and increasing": which entry, and degC, unsaid
            edit("materials/sc/heat_capacity/temperature", [2, 40, 10]),
            r"materials\.sc\.heat_capacity\.temperature\[2\]: 10 K after 40 K; the "
            r"temperatures must increase",
        ),
        (
            edit("materials/sc/heat_capacity/temperature", [-271, -263, -233]),
            r"materials\.sc\.heat_capacity\.temperature\[0\]: -271 K is below absolute zero; a "
            r"temperature in degC\?",
        ),
        (
            edit("materials/sc/heat_capacity/value", [50, 3]),
            r"materials\.sc\.heat_capacity: temperature and value need the same number",
        ),
        (
            edit("materials/sc/heat_capacity/units", "J"),
            r"materials\.sc\.heat_capacity\.units: unknown key",
        ),
        (edit("materials/sc/heat_capacty", "1 J/(m^3*K)"), r"did you mean 'heat_capacity'"),
        (
            edit("materials/sc/thermal_conductivity", KeyError),
            r"materials\.sc\.thermal_conductivity: missing; thermal\.model = 'conduction'",
        ),
        (edit("probes/1/quantity", "Br"), r"probes\[1\]\.quantity: got 'Br'"),
        (edit("probes/1/r", "16 mm"), r"temperature probe must sit in or on a layer"),
    ],
)
def test_bad_thermal_input_is_refused_naming_the_key(change, match):
    d = base()
    change(d)
    with pytest.raises(FluxtrapError, match=match):
        Case.from_dict(d)


def test_model_needs_and_refusals():
    d = base()
    d["thermal"] = {"model": "adiabatic", "cooling": [{"surface": "top"}]}
    with pytest.raises(
        ValidationError, match='cooling and interlayer_resistance need model = "conduction"'
    ):
        Case.from_dict(d)
    d["thermal"] = {"model": "adiabatic"}
    with pytest.raises(ValidationError, match=r"protocol\[2\]: a temperature ramp under"):
        Case.from_dict(d)
    d["protocol"].pop()
    del d["materials"]["cu"]["heat_capacity"]
    with pytest.raises(ValidationError, match=r"materials\.cu\.heat_capacity: missing.*stack\[1\]"):
        Case.from_dict(d)
    d["materials"]["cu"]["heat_capacity"] = "1 J/(m^3*K)"
    del d["materials"]["cu"]["thermal_conductivity"]  # adiabatic needs no conductivity
    assert Case.from_dict(d).thermal.model == "adiabatic"


def test_stack_of_normal_metal_only_is_allowed():
    d = base()
    d["stack"] = d["stack"][1:]
    d["probes"] = [{"name": "t", "quantity": "temperature", "r": "0 mm", "z": "0.6 mm"}]
    assert Case.from_dict(d).stack[0].material == "cu"


@pytest.mark.parametrize(
    "table",
    [
        TemperatureTable((0.0,), (7.0,)),
        TemperatureTable((2.0, 10.0, 40.0), (50.0, 2e3, 1e5)),
        TemperatureTable((4.0, 5.0), (10.0, 10.0)),
    ],
)
def test_enthalpy_integral_and_its_inverse(table):
    """integral is the exact integral of the piecewise-linear C (held beyond the points), and
    inverse_integral inverts it to rounding, below, inside and above the table."""
    T = np.linspace(0.5, 60.0, 301)
    fine = np.linspace(table.temperature_K[0], 60.0, 200001)
    numeric = np.interp(
        T,
        fine,
        np.concatenate(
            [[0], np.cumsum(np.diff(fine) * 0.5 * (table.at(fine[1:]) + table.at(fine[:-1])))]
        ),
    )
    inside = table.temperature_K[0] <= T
    assert table.integral(T)[inside] == pytest.approx(numeric[inside], rel=1e-6, abs=1e-6)
    assert table.inverse_integral(table.integral(T)) == pytest.approx(T, rel=1e-12, abs=1e-9)


def test_a_long_thermal_table_reads_its_units_once(monkeypatch):
    """A heat capacity table's units scale its columns (casefile.table_column, as a Jc table's):
    through pint per value 100 000 points took 23 s to load (now 1.0 s); the values are
    pint's; an offset unit (degC) still goes per value."""
    from fluxtrap.simulate import casefile
    from fluxtrap.units import parse

    calls = []

    def counting(text, dimension, key="value"):
        calls.append(text)
        return parse(text, dimension, key)

    monkeypatch.setattr(casefile, "parse", counting)
    temps = [2 + i * 1e-2 for i in range(2000)]
    values = [50 + t**3 for t in temps]
    d = base()
    d["materials"]["sc"]["heat_capacity"] = {
        "temperature": temps,
        "temperature_unit": "K",
        "value": values,
        "value_unit": "mJ/(cm^3*K)",
    }
    table = Case.from_dict(d).material("sc").thermal.heat_capacity
    assert len(calls) < 100  # every quantity of the case; per value, over 4000
    assert table.temperature_K == pytest.approx(temps, rel=1e-15)
    pint = [parse(f"{v} mJ/(cm^3*K)", "volumetric_heat_capacity") for v in values]
    assert table.values == pytest.approx(pint, rel=1e-15)
    d["materials"]["sc"]["heat_capacity"]["temperature_unit"] = "degC"
    d["materials"]["sc"]["heat_capacity"]["temperature"] = [t - 273 for t in temps]
    calls.clear()
    table = Case.from_dict(d).material("sc").thermal.heat_capacity
    assert len(calls) > 2000 and table.temperature_K == pytest.approx(
        [t + 0.15 for t in temps], rel=1e-12
    )


def cold_head_case() -> dict:
    """``base`` cooled through a cold head (surfaces with a heat transfer coefficient), with a
    cool step."""
    d = base()
    d["thermal"] = {
        "model": "conduction",
        "cooling": [{"surface": "bottom", "heat_transfer_coefficient": "2000 W/(m^2*K)"}],
        "cold_head": {
            "heat_capacity": {
                "temperature": [4, 30],
                "temperature_unit": "K",
                "value": [0.2, 30],
                "value_unit": "J/K",
            },
            "cooling_power": {
                "base_temperature": "3 K",
                "rated_power": "1 W",
                "rated_temperature": "4.2 K",
                "max_power": "12 W",
            },
            "heat_load": "50 mW",
        },
    }
    d["protocol"] = [
        {"step": "set", "field": "0 T", "temperature": "30 K"},
        {"step": "cool", "to": "5 K", "duration": "2 h"},
    ]
    return d


def test_cold_head_and_cool_step_parse_to_si_and_round_trip():
    case = Case.from_dict(cold_head_case())
    head = case.thermal.cold_head
    assert head.heat_load_W == pytest.approx(0.05)
    assert head.heat_capacity.at(17.0) == pytest.approx(0.2 + 29.8 / 2)
    # the standard curve: 0 at 3 K, 1 W at 4.2 K, linear to 12 W (at 17.4 K), flat beyond
    assert head.power_W([2.0, 3.0, 4.2, 10.0, 17.4, 40.0]) == pytest.approx(
        [0, 0, 1, 7 / 1.2, 12, 12]
    )
    assert head.power_slope([2.0, 4.0, 20.0]) == pytest.approx([0, 1 / 1.2, 0])
    cool = case.protocol[1]
    assert (cool.to_K, cool.duration_s) == (5.0, 7200.0)
    assert case.duration_s == 7200.0
    assert Case.from_dict(case.to_dict()) == case
    assert Case.from_dict(tomllib.loads(case.to_toml())) == case
    table = {"temperature": [3, 4.2, 20], "temperature_unit": "K", "value": [0, 1000, 9000]}
    d = cold_head_case()
    d["thermal"]["cold_head"]["cooling_power"] = table | {"value_unit": "mW"}
    assert Case.from_dict(d).thermal.cold_head.power_W(12.0) == pytest.approx(1 + 8 * 7.8 / 15.8)


HEAD = "thermal/cold_head/"


@pytest.mark.parametrize(
    "change, match",
    [
        (
            edit(HEAD + "heat_lod", "1 W"),
            r"thermal\.cold_head\.heat_lod: unknown key; did you mean",
        ),
        (edit(HEAD + "heat_load", "nan W"), r"thermal\.cold_head\.heat_load"),
        (edit(HEAD + "heat_load", "-1 W"), r"thermal\.cold_head\.heat_load: must be >= 0"),
        (edit(HEAD + "heat_load", "1 K"), r"thermal\.cold_head\.heat_load"),
        # more than the cooler's 12 W at any temperature: it ran a head to 1310 K in 200 s
        (
            edit(HEAD + "heat_load", "12.5 W"),
            r"thermal\.cold_head\.heat_load: 12\.5 W is more than the cooler's largest power 12 W",
        ),
        (edit(HEAD + "heat_capacity", "1 J/(m^3*K)"), r"thermal\.cold_head\.heat_capacity"),
        (edit(HEAD + "heat_capacity", KeyError), r"thermal\.cold_head\.heat_capacity: missing"),
        (edit(HEAD + "cooling_power", "5 W"), r"thermal\.cold_head\.cooling_power: expected a"),
        (
            edit(HEAD + "cooling_power/max_powr", "1 W"),
            r"cooling_power\.max_powr: unknown key; did you mean 'max_power'",
        ),
        (
            edit(HEAD + "cooling_power/rated_temperature", "2 K"),
            r"cooling_power: need 0 K <= base_temperature < rated_temperature",
        ),
        (edit(HEAD + "cooling_power/rated_power", "nan W"), r"cooling_power\.rated_power"),
        (
            edit(
                HEAD + "cooling_power",
                {"temperature": [3, 4, 10], "temperature_unit": "K", "value": [0.5, 1, 2]},
            ),
            r"cooling_power: give temperature_unit .* and value_unit",
        ),
        (
            edit(
                HEAD + "cooling_power",
                {
                    "temperature": [3, 4, 10],
                    "temperature_unit": "K",
                    "value": [0.5, 1, 2],
                    "value_unit": "W",
                },
            ),
            r"cooling_power: the load curve starts at 0 W",
        ),
        (
            edit(
                HEAD + "cooling_power",
                {
                    "temperature": [3, 4, 10],
                    "temperature_unit": "K",
                    "value": [0, 2, 1],
                    "value_unit": "W",
                },
            ),
            r"never falls with temperature",
        ),
        (
            edit("thermal/cooling/0/heat_transfer_coefficient", KeyError),
            r"thermal\.cold_head: .*give one for every cooled surface \(without: bottom\)",
        ),
        (  # accepted, a cool step failed at once as a "thermal runaway"
            edit(HEAD + "heat_capacity", "1e-9 J/K"),
            r"cold_head\.heat_capacity: 1e-09 J/K is outside \[0\.0001, 100000\] J/K",
        ),
        (  # accepted, the run's heat balance was 2 % off at 1e8 J/K
            edit(HEAD + "heat_capacity/value", [0.2, 1e8]),
            r"cold_head\.heat_capacity: 1e\+08 J/K is outside",
        ),
        (  # the head's heat balance lost to rounding: it stayed at its set point while a
            # pulsed disk's 0.09 J flowed into it through 1e30 W/(m^2 K); 1e14 took 5x the steps
            edit("thermal/cooling/0/heat_transfer_coefficient", "1e14 W/(m^2*K)"),
            r"thermal\.cooling\[0\]\.heat_transfer_coefficient: 1e\+14 W/\(m\^2\*K\) to the "
            r"cold head is over 1e\+12",
        ),
        (  # 1e30 W ran, the magnet's joules lost to rounding in the head's balance
            edit(
                HEAD + "cooling_power",
                {
                    "temperature": [3, 4, 10],
                    "temperature_unit": "K",
                    "value": [0, 2, 1e30],
                    "value_unit": "W",
                },
            ),
            r"cold_head\.cooling_power\.value\[2\]: 1e\+30 W at 10 K is over 1e\+06 W",
        ),
        (
            edit(HEAD + "cooling_power/max_power", "2e6 W"),
            r"cold_head\.cooling_power\.value\[1\]: 2e\+06 W at .* K is over 1e\+06 W",
        ),
        (edit("thermal/model", "adiabatic"), r"need model = \"conduction\""),
        (edit("protocol/1/duration", "0 s"), r"protocol\[1\]\.duration: must be > 0"),
        (edit("protocol/1/to", "-3 K"), r"protocol\[1\]\.to: must be 0 to 1000 K"),
        (edit("protocol/1/rate", "1 K/s"), r"protocol\[1\]\.rate: unknown key"),
    ],
)
def test_bad_cold_head_input_is_refused_naming_the_key(change, match):
    d = cold_head_case()
    change(d)
    with pytest.raises(FluxtrapError, match=match):
        Case.from_dict(d)


def test_heat_keys_under_the_isothermal_model_are_warned_of():
    """magnet_heat.toml without its [thermal] table ran isothermal (the default), its heat
    capacity and conductivity unused and its rim probe at the protocol's 5 K, unsaid."""
    d = base()
    del d["thermal"]
    with pytest.warns(CaseWarning, match=r"^materials\.sc\.heat_capacity, materials\.sc\."
                      r"thermal_conductivity, materials\.cu\.heat_capacity, materials\.cu\."
                      r"thermal_conductivity: given, but thermal\.model is 'isothermal'"):  # fmt: skip
        Case.from_dict(d)
    for m in d["materials"].values():
        del m["heat_capacity"], m["thermal_conductivity"]
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        Case.from_dict(d)
    assert not [w for w in said if "given, but thermal.model" in str(w.message)]
    # the temperature probe reads the protocol's temperature: said on its own
    assert [w for w in said if str(w.message).startswith("probe 'hot': quantity")]


def test_a_conductivity_under_the_adiabatic_model_is_warned_of():
    """The adiabatic model conducts nothing: a thermal_conductivity given with it was dropped,
    unsaid, as if the stack conducted."""
    d = base()
    d["thermal"] = {"model": "adiabatic"}
    d["protocol"].pop()  # the temperature ramp, refused without exchange
    with pytest.warns(CaseWarning, match=r"^materials\.sc\.thermal_conductivity, materials\.cu\."
                      r"thermal_conductivity: given, but thermal\.model is 'adiabatic', which "
                      r"conducts no heat"):  # fmt: skip
        Case.from_dict(d)
    for m in d["materials"].values():
        del m["thermal_conductivity"]
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        Case.from_dict(d)
    assert not [w for w in said if "given, but thermal.model" in str(w.message)]


def test_a_heat_table_starting_above_the_protocol_is_warned_of_before_the_run():
    """A heat capacity table in degC (278-283 K) under a run from 5 K held its 278 K value, said
    only after the run (solver.outside_tables); a conductivity table likewise (conduction)."""
    d = base()
    d["materials"]["sc"]["heat_capacity"] = CP | {"temperature_unit": "degC"}
    with pytest.warns(CaseWarning, match=r"^materials\.sc\.heat_capacity: the protocol goes down "
                      r"to 5 K, below the table's first 275\.15 K, where its 50 J/\(m\^3\*K\) is "
                      r"held; check its temperature_unit \(K, not degC\)"):  # fmt: skip
        Case.from_dict(d)
    d = base()
    d["materials"]["cu"]["thermal_conductivity"] = CP | {
        "temperature": [10, 40],
        "value": [400, 300],
        "value_unit": "W/(m*K)",
    }
    with pytest.warns(CaseWarning, match=r"^materials\.cu\.thermal_conductivity: the protocol goes "
                      r"down to 5 K, below the table's first 10 K"):  # fmt: skip
        Case.from_dict(d)
    # one row, a room-temperature value 100x the cryogenic one, had been taken unsaid as a
    # constant; a quantity (a constant) is not warned of
    d = base()
    d["materials"]["sc"]["heat_capacity"] = CP | {"temperature": [300], "value": [2e6]}
    with pytest.warns(CaseWarning, match=r"^materials\.sc\.heat_capacity: the protocol goes down "
                      r"to 5 K, below the table's first 300 K, where its 2e\+06 J/\(m\^3\*K\) is held"):  # fmt: skip
        Case.from_dict(d)
    with warnings.catch_warnings(record=True) as said:  # CP from 2 K covers the run's 5 K
        warnings.simplefilter("always")
        Case.from_dict(base())
        d["materials"]["sc"]["heat_capacity"] = "2e6 J/(m^3*K)"
        Case.from_dict(d)
    assert not [w for w in said if "the protocol goes down to" in str(w.message)]


def test_a_cold_head_heat_capacity_table_starting_above_its_temperatures_is_warned_of():
    """The cold head's heat capacity written over [4, 30] degC (277-303 K) under a 5 K run held
    its 277 K value at 5 K, said only after the run (``outside_tables``); the stack's tables
    were warned of before it, the head's now too. The head goes no lower than its cooler's
    base temperature: a table starting there is not warned of."""
    d = cold_head_case()
    capacity = d["thermal"]["cold_head"]["heat_capacity"]
    capacity["temperature_unit"] = "degC"
    with pytest.warns(CaseWarning, match=r"^thermal\.cold_head\.heat_capacity: the cold head "
                      r"goes down to 5 K, below the table's first 277\.15 K, where its 0\.2 J/K "
                      r"is held; check its temperature_unit \(K, not degC\)"):  # fmt: skip
        Case.from_dict(d)
    capacity |= {"temperature": [3, 30], "temperature_unit": "K"}  # from the 3 K base
    d["protocol"][1]["to"] = "2 K"
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        Case.from_dict(d)
    assert not [w for w in said if "heat_capacity" in str(w.message)], said


def test_a_set_point_below_the_coolers_base_temperature_is_warned_of():
    """A base temperature of 6 K under a 5 K set point (a table whose power is 0 W up to 6 K: its
    base is the last 0 W): the head cannot reach the set point and its heater never works."""
    d = cold_head_case()
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        Case.from_dict(d)  # a 3 K base under a 5 K set point: nothing to say
    assert not [w for w in said if "cooling_power" in str(w.message)]
    d["thermal"]["cold_head"]["cooling_power"] = {
        "temperature": [3, 6, 10],
        "temperature_unit": "K",
        "value": [0, 0, 1],
        "value_unit": "W",
    }
    with pytest.warns(CaseWarning, match=r"base temperature 6 K"):
        Case.from_dict(d)


def test_a_coolers_base_temperature_at_or_above_tc_is_refused():
    """A base written "3 degC" (276 K) under a 5 K set point had only been warned of: the head,
    with no cooling power below 276 K, warmed a field-cooled disk to 101 K (Tc 35 K), trapping
    0.35 mT. A base at or above a superconductor's Tc (or above every known Tc, without one) is
    refused before the run, with the numbers; a base below Tc still runs."""
    d = cold_head_case()
    curve = d["thermal"]["cold_head"]["cooling_power"]
    curve |= {"base_temperature": "3 degC", "rated_temperature": "4.2 degC"}
    with pytest.raises(ValidationError, match=r"^thermal\.cold_head\.cooling_power: the cooler's "
                       r"base temperature 276\.15 K .* above the Tc of every known superconductor "
                       r"\(sc has no Tc\).*\(K, not degC\)"):  # fmt: skip
        Case.from_dict(d)
    d["materials"]["sc"]["jc"] = {
        "constant": "3e4 A/cm^2",
        "temperature": {"at": "5 K", "tc": "38 K"},
    }
    curve |= {"base_temperature": "38 K", "rated_temperature": "40 K"}
    with pytest.raises(
        ValidationError, match=r"base temperature 38 K .* at or above Tc = 38 K of sc"
    ):
        Case.from_dict(d)
    curve |= {"base_temperature": "37 K"}
    d["protocol"][0]["temperature"] = "37.5 K"  # above the base (the next test)
    with pytest.warns(CaseWarning, match=r"below the cooler's base temperature 37 K"):
        assert Case.from_dict(d).thermal.cold_head.base_K == 37


def test_a_cooler_that_cannot_hold_the_set_point_under_its_heat_load_is_said():
    """A 0.95 W load on a cooler giving 0.5 W at 10 K and 1 W at 40 K: the head rests at 37 K
    whatever the 5 K set point; a field-cooled disk (Tc 35 K) ended at 37 K, 0.35 mT trapped,
    with no word before the run. Below Tc it is warned of, at or above Tc refused."""
    d = cold_head_case()
    d["materials"]["sc"]["jc"] = {
        "constant": "3e4 A/cm^2",
        "temperature": {"at": "5 K", "tc": "38 K"},
    }
    d["thermal"]["cold_head"]["cooling_power"] = {
        "temperature": [3, 10, 40],
        "temperature_unit": "K",
        "value": [0, 0.5, 1],
        "value_unit": "W",
    }
    d["thermal"]["cold_head"]["heat_load"] = "0.95 W"
    with pytest.warns(CaseWarning, match=r"^thermal\.cold_head\.heat_load: the protocol's set point "
                      r"goes down to 5 K, but the cooler's power meets the heat_load 0\.95 W only "
                      r"at 37 K"):  # fmt: skip
        assert Case.from_dict(d).thermal.cold_head.rest_K == pytest.approx(37.0, rel=1e-12)
    d["thermal"]["cold_head"]["heat_load"] = "990 mW"
    with pytest.raises(ValidationError, match=r"^thermal\.cold_head\.heat_load: .* heat_load 0\.99 W "
                       r"only at 39\.4 K .* at or above Tc = 38 K of sc"):  # fmt: skip
        Case.from_dict(d)


def test_a_protocol_starting_below_the_coolers_base_temperature_is_refused():
    """A 5 K start on a cooler whose base is 20 K had run with a warning that the head "rests
    above" the set point, yet started the disk and the head at 5 K, where no cooler took them:
    a pulse met 5 K's Jc and the head, with no power to lose, was at 5.2 K after it. The start
    is refused, naming the key; starting at the base and cooled below it later is warned of,
    and a start below where a heat load holds the head (a load switched on) still runs."""
    d = cold_head_case()
    power = {"temperature": [20, 30, 40], "value": [0, 1, 5], "value_unit": "W"}
    d["thermal"]["cold_head"]["cooling_power"] = power | {"temperature_unit": "K"}
    d["thermal"]["cold_head"]["heat_load"] = "0 W"
    d["protocol"][0]["temperature"] = "5 K"
    with pytest.raises(ValidationError, match=r"^protocol\[0\]\.temperature: 5 K is below the "
                       r"cooler's base temperature 20 K \(thermal\.cold_head\.cooling_power, "
                       r"where its power is 0 W\)"):  # fmt: skip
        Case.from_dict(d)
    d["protocol"][0]["temperature"] = "20 K"
    with pytest.warns(CaseWarning, match=r"set point goes down to 5 K, below the cooler's base"):
        Case.from_dict(d)
    d["thermal"]["cold_head"]["heat_load"] = "3 W"  # met at 35 K: the head warms from 20 K
    d["materials"]["sc"]["jc"] = {
        "constant": "3e4 A/cm^2",
        "temperature": {"at": "5 K", "tc": "38 K"},
    }
    d["protocol"][1]["to"] = "25 K"
    with pytest.warns(CaseWarning, match=r"goes down to 20 K, but .* heat_load 3 W only at 35 K"):
        assert Case.from_dict(d).thermal.cold_head.rest_K == pytest.approx(35.0, rel=1e-12)


def test_cool_step_under_the_adiabatic_model_is_refused():
    d = cold_head_case()
    d["thermal"] = {"model": "adiabatic"}
    with pytest.raises(ValidationError, match=r"protocol\[1\]: .*\(or a cool step\) changes"):
        Case.from_dict(d)


def test_a_temperature_ramp_on_an_insulated_conduction_model_is_refused():
    """With no [[thermal.cooling]] nothing exchanges heat, as under the adiabatic model: a disk
    ramped 5 -> 30 K stayed at the 19 K its own E.J gave it while probes.csv said 30 K."""
    d = base()
    del d["thermal"]["cooling"]
    del d["thermal"]["interlayer_resistance"]
    with pytest.raises(
        ValidationError,
        match=r"protocol\[2\]: a temperature ramp under thermal.model = \"conduction\" with every "
        r"surface insulated",
    ):
        Case.from_dict(d)
    d["protocol"][2] = {"step": "cool", "to": "4 K", "duration": "10 s"}
    with pytest.raises(ValidationError, match=r"protocol\[2\]: .*\(or a cool step\) changes"):
        Case.from_dict(d)
    d["protocol"].pop()
    assert Case.from_dict(d).thermal.cooling == ()  # heating alone is allowed


def test_a_heat_model_beside_a_temperature_blind_jc_is_warned_of():
    """The paper pair with [thermal] and a 3 T pulse heated to 140 K at its 5 K Jc, unsaid."""
    with pytest.warns(CaseWarning, match=r"^\[thermal\] model 'conduction' heats the stack, but "
                      r"the Jc and n of sc do not depend on temperature"):  # fmt: skip
        Case.from_dict(base())
    d = base()
    d["materials"]["sc"]["jc"]["temperature"] = {"at": "5 K", "tc": "38 K"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", CaseWarning)
        Case.from_dict(d)
    d = base()
    d["materials"]["sc"]["n"] = {"temperature": [5, 30], "temperature_unit": "K", "value": [35, 20]}
    with warnings.catch_warnings():
        warnings.simplefilter("error", CaseWarning)
        Case.from_dict(d)


def code_built(**thermal) -> Case:
    """``base()`` with the heat of ``sc`` replaced by a ``ThermalMaterial`` built in code."""
    import dataclasses

    from fluxtrap.simulate.thermal_spec import ThermalMaterial

    case = Case.from_dict(base())
    sc = dataclasses.replace(case.material("sc"), thermal=ThermalMaterial(**thermal))
    materials = tuple(sc if m.name == "sc" else m for m in case.materials)
    return dataclasses.replace(case, materials=materials)


K = TemperatureTable((0.0,), (2.0,))


@pytest.mark.parametrize(
    "thermal, match",
    [
        (
            {"heat_capacity": TemperatureTable((0.0,), (-5.0,)), "thermal_conductivity": K},
            r"materials\.sc\.heat_capacity: -5 J/\(m\^3\*K\) is below",
        ),
        (
            {"heat_capacity": TemperatureTable((0.0,), (0.0,)), "thermal_conductivity": K},
            r"materials\.sc\.heat_capacity: 0 J/\(m\^3\*K\) is below",
        ),
        (
            {"heat_capacity": K, "thermal_conductivity": TemperatureTable((0.0,), (0.0,))},
            r"materials\.sc\.thermal_conductivity: must be > 0",
        ),
        ({"heat_capacity": 2e4, "thermal_conductivity": K}, r"heat_capacity: expected a Tempera"),
    ],
)
def test_a_thermal_material_built_in_code_is_checked_as_a_case_files(thermal, match):
    """A heat capacity of 0 or -5 J/(m^3*K) or a conductivity of 0 built in code ran (the case
    file's reader refuses each, by key); a float had raised AttributeError in the heat model."""
    with pytest.raises(ValidationError, match=match):
        code_built(**thermal)


def test_a_material_whose_thermal_is_not_a_thermal_material_is_named():
    """A dict as a material's thermal raised AttributeError in the case's checks."""
    import dataclasses

    sc = Case.from_dict(base()).material("sc")
    with pytest.raises(ValidationError, match=r"materials\.sc\.thermal: expected a ThermalMat"):
        dataclasses.replace(sc, thermal={"heat_capacity": "2e4 J/(m^3*K)"})


@pytest.mark.parametrize(
    "columns, match",
    [
        (((5.0, 20.0, 10.0), (1e4, 2e4, 3e4)), r"temperature_K: must increase"),
        (((-269.0, -250.0), (1e4, 2e4)), r"temperature_K\[0\]: -269 K is below absolute zero"),
        (((1.0, 2.0), (1e4,)), "same number of entries"),
        (((), ()), "expected a non-empty sequence"),
        (((0.0,), ("2e4",)), r"values\[0\]: expected a finite number \(SI\), got str"),
        (((0.0, float("nan")), (1.0, 2.0)), r"temperature_K\[1\]: expected a temperature in K"),
    ],
)
def test_a_temperature_table_built_in_code_is_refused_when_a_case_file_would_be(columns, match):
    """Temperatures out of order or in degC, columns of other lengths, a str value: each was
    taken (np.interp read the table as garbage); the table names the column and entry."""
    with pytest.raises(ValidationError, match=match):
        TemperatureTable(*columns)
    assert TemperatureTable(np.array([4.0, 5.0]), np.array([1.0, 2.0])).values == (1.0, 2.0)


@pytest.mark.parametrize("tc", ["38", float("inf")])
def test_a_str_or_infinite_tc_built_in_code_names_the_key_and_unit(tc):
    """TemperatureScaling(5, "38") and TemperatureTablesJc(..., tc_K="38") raised a bare
    TypeError from a comparison; an infinite Tc passed and held Jc at every temperature."""
    from fluxtrap.simulate.materials import TableJc, TemperatureScaling, TemperatureTablesJc

    named = r"expected a temperature in K, one finite number, got (str '38'|float inf)"
    with pytest.raises(ValidationError, match=r"jc\.temperature\.tc_K: " + named):
        TemperatureScaling(5.0, tc)
    with pytest.raises(ValidationError, match=r"jc\.tc_K: " + named):
        TemperatureTablesJc((5.0,), (TableJc((0.0, 1.0), (1e8, 5e7)),), tc)


@pytest.mark.parametrize(
    "change, match",
    [
        ({"model": "conduktion"}, r"thermal\.model: got 'conduktion'"),
        ({"cooling": ("front",)}, r"thermal\.cooling\[0\]\.surface: got 'front'"),
        (
            {"interlayer_resistance_K_m2_W": -1.0},
            r"thermal\.interlayer_resistance: must be >= 0 K\*m\^2/W, got -1\.0",
        ),
        ({"interlayer_resistance_K_m2_W": 1e-20}, r"1e-20 K\*m\^2/W is below the 1e-09"),
        ("h", r"thermal\.cooling\[0\]\.heat_transfer_coefficient: must be > 0 W/\(m\^2\*K\)"),
        ("h 1e30", r"thermal\.cooling\[0\]\.heat_transfer_coefficient: 1e\+30 W/\(m\^2\*K\)"),
        ("load", r"thermal\.cold_head\.heat_load: 20 W is more than the cooler's largest power"),
        ("head", r"thermal\.cold_head\.heat_capacity: 1e-09 J/K is outside"),
        ("power", r"thermal\.cold_head\.cooling_power: the load curve starts at 0 W"),
        ("adiabatic head", r'need model = "conduction", as does cold_head'),
    ],
)
def test_thermal_settings_built_in_code_are_checked_as_a_case_files(change, match):
    """A model "conduktion", a surface "front", h -5, a contact resistance of -1 or 1e-20, a
    cold head through 1e30 W/(m^2*K), carrying 20 W on a 12 W cooler, of 1e-9 J/K, or under the
    adiabatic model: each ran when built in code (a negative load curve raised "max() arg is an
    empty sequence"); the case file's reader refused each, by key, as the settings do now."""
    import dataclasses

    from fluxtrap.simulate.thermal_spec import Cooling

    thermal = Case.from_dict(cold_head_case()).thermal
    head = thermal.cold_head
    edits = {  # built when used: each is refused
        "h": lambda: {"cooling": (Cooling("bottom", -5.0),)},
        "h 1e30": lambda: {"cooling": (Cooling("bottom", 1e30),)},
        "load": lambda: {"cold_head": dataclasses.replace(head, heat_load_W=20.0)},
        "head": lambda: {
            "cold_head": dataclasses.replace(head, heat_capacity=TemperatureTable((0.0,), (1e-9,)))
        },
        "power": lambda: {
            "cold_head": dataclasses.replace(
                head, cooling_power=TemperatureTable((3.0, 5.0), (-1.0, 1.0))
            )
        },
        "adiabatic head": lambda: {"model": "adiabatic", "cooling": ()},
    }
    with pytest.raises(ValidationError, match=match):
        if isinstance(change, str):
            change = edits[change]()
        elif "cooling" in change:
            change = {"cooling": (Cooling(change["cooling"][0], 2e3),)}
        dataclasses.replace(thermal, **change)


@pytest.mark.parametrize(
    "change, match",
    [
        (
            edit("thermal/model", "conducton"),
            r"^thermal\.model: got 'conducton' \(did you mean 'conduction'\?\); expected one of "
            r"isothermal, adiabatic, conduction$",
        ),
        (  # checked before the cold head asks for model = "conduction" ("got 'Conduction'")
            lambda d: d["thermal"].update(model="Conduction"),
            r"^thermal\.model: got 'Conduction' \(did you mean 'conduction'\?\)",
        ),
        (
            edit("thermal/cooling/0/surface", "botom"),
            r"^thermal\.cooling\[0\]\.surface: got 'botom' \(did you mean 'bottom'\?\); "
            r"expected one of bottom, top, side$",
        ),
        (
            edit("thermal/cooling/0/surface", KeyError),
            r"^thermal\.cooling\[0\]\.surface: missing; expected one of bottom, top, side$",
        ),
    ],
)
def test_a_misspelt_thermal_model_or_surface_says_the_near_miss(change, match):
    """The thermal tables' enumerated values get the near miss a protocol step's name gets
    (``casefile.one_of``): "conducton" and "botom" said only "expected one of ..."."""
    d = cold_head_case()
    change(d)
    with pytest.raises(ValidationError, match=match):
        Case.from_dict(d)


@pytest.mark.parametrize("change", [{"model": "adiabatc"}, {"cooling": ("sied",)}])
def test_thermal_settings_built_in_code_say_the_near_miss_too(change):
    import dataclasses

    from fluxtrap.simulate.thermal_spec import Cooling

    thermal = Case.from_dict(base()).thermal
    if "cooling" in change:
        change = {"cooling": (Cooling(change["cooling"][0], 2e3),)}
    with pytest.raises(ValidationError, match=r"did you mean '(adiabatic|side)'\?"):
        dataclasses.replace(thermal, **change)


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda: Cool(-269.0, 10.0),
            r"Cool\.to_K: -269 K is outside 0 to 1000 K; a temperature in degC",
        ),
        (lambda: Cool(float("nan"), 10.0), r"Cool\.to_K: expected a finite number, got float nan"),
        (lambda: Cool(4.0, 0.0), r"Cool\.duration_s: must be > 0 s, got 0\.0"),
        (lambda: Cool("4", 10.0), r"Cool\.to_K: expected a finite number, got str '4'"),
        (lambda: RampTemperature(-269.0, 1.0), r"RampTemperature\.to_K: -269 K is outside"),
        (lambda: RampTemperature(10.0, -1.0), r"RampTemperature\.rate_K_s: must be > 0 K/s"),
        (lambda: Set(0.0, -269.0), r"Set\.temperature_K: -269 K is outside 0 to 1000 K"),
    ],
)
def test_a_temperature_step_built_in_code_is_checked_as_a_case_files(make, match):
    """Set(0, -269) ran at -269 K (degC meant), a cool step to NaN or -269 K or of 0 s was
    taken, Cool("4", ...) raised a bare TypeError; the case file's reader refuses each."""
    with pytest.raises(ValidationError, match=match):
        make()


def test_a_long_thermal_table_costs_a_step_about_what_a_short_one_does():
    """at, integral and inverse_integral had converted the table's tuples to arrays and summed
    its integral on every call, each step of the heat model several times: a pulse with a
    200 000-point heat capacity ran 252 s against 3.2 s with 2 points (same 219 steps). Now
    the arrays and sums are made once; the integral of C = 2e4 + 10 T is still exact."""
    import time

    temps = np.linspace(1.0, 300.0, 200_001)
    long = TemperatureTable(temps, 2e4 + 10 * temps)
    short = TemperatureTable((1.0, 300.0), (2e4 + 10, 2e4 + 3000))
    at = np.linspace(2.0, 290.0, 500)

    def cost(table):
        start = time.perf_counter()
        for _ in range(50):
            table.at(at)
            table.inverse_integral(table.integral(at))
        return time.perf_counter() - start

    exact = 2e4 * (at - 1) + 5 * (at**2 - 1)
    assert long.integral(at) == pytest.approx(exact, rel=1e-12)
    assert long.inverse_integral(exact) == pytest.approx(at, rel=1e-12)
    assert cost(long) < 20 * cost(short) + 0.05  # per call it was O(points): about 100x
