"""Case files: parsing into SI values, the TOML round trip, and clear errors for bad cases."""

from __future__ import annotations

import copy
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest

from fluxtrap.errors import FluxtrapError, InputFileError, UnitError, ValidationError
from fluxtrap.simulate import Case, CaseWarning, Hold, RampField, RampTemperature, Set
from fluxtrap.simulate.options import MAX_ELEMENTS, MAX_TIME_STEPS
from fluxtrap.simulate.protocol import step_from_dict

EXAMPLE = Path(__file__).parents[3] / "examples" / "paper_bulk_pair.toml"


def base() -> dict:
    return copy.deepcopy(
        {
            "title": "t",
            "materials": {
                "sc": {"n": 35, "e0": "1e-4 V/m", "jc": {"constant": "3e4 A/cm^2"}},
                "cu": {"resistivity": "2e-10 ohm*m"},
            },
            "stack": [
                {"material": "sc", "radius": "15 mm", "thickness": "6 mm"},
                {"material": "cu", "radius": "15 mm", "thickness": "1.2 mm"},
            ],
            "probes": [{"name": "top", "r": "0 mm", "z": "7.2 mm"}],
            "protocol": [
                {"step": "set", "field": "7 T", "temperature": "5 K"},
                {"step": "ramp_field", "to": "0 T", "rate": "4.8 T/h"},
                {"step": "hold", "duration": "100 min"},
            ],
        }
    )


def test_example_parses_to_si():
    case = Case.load(EXAMPLE)
    assert [x.material for x in case.stack] == ["bulk2", "copper", "bulk1"]
    assert case.stack[2].z_m == pytest.approx(7.2e-3) and case.stack[2].radius_m == pytest.approx(
        0.015
    )
    assert case.material("bulk2").jc.at(0.0) == pytest.approx(1.2e9)  # 1.2e5 A/cm^2
    assert case.protocol[1] == RampField(0.0, 4.8 / 3600)
    assert case.duration_s == pytest.approx(5250 + 6000)
    assert "bulk2" in repr(case) and "RampField(to_T=0, rate_T_h=4.8)" in repr(case)


def test_default_mesh_is_chosen_for_the_accuracy():
    d = base()
    c = Case.from_dict(d)
    assert c.mesh.size_m == 0 and c.solver.accuracy == pytest.approx(0.01)  # refined to 1 %
    d["mesh"] = {"size": "2 mm", "max_elements": 5000}
    d["solver"] = {"accuracy": "0.5 %", "max_wall": "10 min"}
    c = Case.from_dict(d)
    assert c.mesh.size_m == pytest.approx(2e-3) and c.mesh.max_elements == 5000
    assert c.solver.accuracy == pytest.approx(0.005) and c.solver.max_wall_s == 600
    assert Case.from_dict(c.to_dict()) == c


def test_round_trip_and_pickle():
    case = Case.load(EXAMPLE)
    assert Case.from_dict(case.to_dict()) == case
    assert pickle.loads(pickle.dumps(case)) == case
    c2 = Case.load(base())
    assert c2.protocol == (Set(7.0, 5.0), RampField(0.0, 4.8 / 3600), Hold(6000.0))


def test_accepts_path_dict_case_and_rejects_others():
    case = Case.load(EXAMPLE)
    assert Case.load(case) is case and Case.load(str(EXAMPLE)) == case
    with pytest.raises(InputFileError, match="TOML path, a dict or a Case"):
        Case.load(42)


@pytest.mark.parametrize(
    "edit, err, match",
    [
        (
            lambda d: d.update(output={"snapshots": ["5250 s", "20000 s"]}),
            ValidationError,
            r"output.snapshots\[1\] = 20000 s is outside the protocol \(0 to 11250 s\)",
        ),
        (
            lambda d: d.update(solver={"max_wall": "30 d"}),
            ValidationError,
            r"solver.max_wall: must be a time > 0 and at most 7 d, got '30 d'",
        ),
        (
            lambda d: d["stack"][0].update(material="nb3sn"),
            ValidationError,
            r"stack\[0\].material: 'nb3sn' is not defined",
        ),
        (
            lambda d: d["stack"][1].update(z="3 mm"),
            ValidationError,
            r"stack\[1\].*overlaps stack\[0\]",
        ),
        (
            lambda d: d["materials"]["sc"].update(n=1),
            ValidationError,
            r"materials.sc.n = 1.0: .* in \(1, 500\]",
        ),
        (
            lambda d: d["materials"]["sc"].update(n=1e4),
            ValidationError,
            r"materials.sc.n = 10000.0: .* in \(1, 500\]",
        ),
        (
            lambda d: d["materials"]["sc"].update(jc={"constant": "inf A/cm^2"}),
            UnitError,
            r"jc.constant: cannot read 'inf A/cm\^2' as a quantity",
        ),
        (
            lambda d: d["materials"]["sc"].update(
                jc={"kim": {"jc0": "1e999 A/cm^2", "b0": "0.6 T"}}
            ),
            UnitError,
            r"jc.kim.jc0: '1e999 A/cm\^2' is not a finite number",
        ),
        (
            lambda d: d["stack"][0].update(radius="-15 mm"),
            ValidationError,
            r"stack\[0\].radius: must be > 0",
        ),
        (
            lambda d: d["stack"][0].update(radius="30 mm/s"),
            UnitError,
            r"stack\[0\].radius: '30 mm/s' is not a length",
        ),
        (
            lambda d: d["stack"][0].update(radius=15),
            UnitError,
            r"stack\[0\].radius: got the bare value 15; expected a length",
        ),
        (
            lambda d: d["protocol"][1].update(rate="4.8 T"),
            UnitError,
            r"protocol\[1\].rate: '4.8 T' is not a field rate",
        ),
        (lambda d: d["protocol"].pop(0), ValidationError, 'first step must be step = "set"'),
        (
            lambda d: d["protocol"][2].update(step="wait"),
            ValidationError,
            r"protocol\[2\].step: got 'wait'",
        ),
        (
            lambda d: d["materials"]["sc"]["jc"].update(kim={"jc0": "1 A/m^2", "b0": "1 T"}),
            ValidationError,
            "exactly one of",
        ),
    ],
)
def test_bad_cases_say_what_and_where(edit, err, match):
    d = base()
    edit(d)
    with pytest.raises(err, match=match):
        Case.from_dict(d)


TABLE = {"field": [0, 1], "field_unit": "T", "jc": [2e4, 1e4], "jc_unit": "A/cm^2"}


@pytest.mark.parametrize(
    "jc, match",
    [
        ({"constant": "0 A/cm^2"}, r"^materials\.sc\.jc\.constant must be finite and > 0"),
        ({"kim": {"jc0": "1e4 A/cm^2", "b0": "0 T"}}, r"^materials\.sc\.jc\.kim: jc0 and b0"),
        (
            {"tc": "3 K", "tables": [{**TABLE, "temperature": "5 K"}]},
            r"^materials\.sc\.jc\.tc = 3 K must be above",
        ),
        (
            {"tc": "30 K", "tables": [{**TABLE, "temperature": t} for t in ("5 K", "4 K")]},
            r"^materials\.sc\.jc\.tables: temperatures must be > 0 K and increasing",
        ),
        (  # the natural first try: it said only "expected a table with one of ..."
            "2e4 A/cm^2",
            r"^materials\.sc\.jc: .*; a constant Jc is written jc = \{ constant = \"2e4 A/cm\^2\" \}",
        ),
    ],
)
def test_a_jc_model_error_names_its_material(jc, match):
    """The Jc models check their own numbers; the error said only "jc.constant ..." and left the
    user to guess which of the case's superconductors it meant."""
    d = base()
    d["materials"]["sc"]["jc"] = jc
    with pytest.raises(ValidationError, match=match):
        Case.from_dict(d)


def test_errors_from_a_file_name_the_file(tmp_path):
    text = EXAMPLE.read_text().replace('radius = "15 mm"', 'radius = "30 mm/s"', 1)
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(UnitError, match=r"bad.toml: stack\[0\].radius"):
        Case.load(p)
    p.write_text("title = ")
    with pytest.raises(InputFileError, match="not valid TOML"):
        Case.load(p)


def test_a_copy_with_other_options_does_not_warn_again():
    # fluxtrap simulate printed the inside-a-superconductor warning twice: once when the case
    # was read, once more when the run made its scout's copy at a looser rtol
    d = base()
    d["probes"][0]["z"] = "3 mm"
    with pytest.warns(CaseWarning, match="inside the superconductor"):
        case = Case.from_dict(d)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CaseWarning)
        assert case.with_options(rtol=4e-3, mesh_size_m=1e-3).solver.rtol == 4e-3


def test_probe_inside_superconductor_is_allowed_but_flagged():
    d = base()
    d["probes"].append({"name": "inside", "r": "0 mm", "z": "3 mm"})
    with pytest.warns(CaseWarning, match="probe 'inside'.*inside the superconductor 'sc'"):
        case = Case.from_dict(d)
    assert [p.name for p in case.probes] == ["top", "inside"]


def test_jc_csv_and_temperature_scaling(tmp_path):
    (tmp_path / "jc.csv").write_text("B_T,Jc_A_cm2\n-1,5e4\n0,1e5\n1,5e4\n2,2.5e4\n")
    d = base()
    d["materials"]["sc"]["jc"] = {
        "csv": "jc.csv",
        "temperature": {"at": "5 K", "tc": "38 K", "exponent": 1.5},
    }
    case = Case.from_dict(d, base_dir=tmp_path)
    sc = case.material("sc")
    assert sc.jc.at([0.0, 1.0, -1.0]) == pytest.approx([1e9, 5e8, 5e8])  # |B|, folded branches
    assert sc.jc.at(0.5) == pytest.approx((1e9 * 5e8) ** 0.5)  # log-linear between points
    s = lambda t: (1 - (t / 38) ** 2) ** 1.5  # noqa: E731
    assert sc.jc_at(0.0, 20.0) == pytest.approx(1e9 * s(20) / s(5))
    d["protocol"].append({"step": "ramp_temperature", "to": "40 K", "rate": "1 K/min"})
    with pytest.raises(ValidationError, match="reaches Tc = 38 K"):
        Case.from_dict(d, base_dir=tmp_path)


def test_an_isothermal_cool_step_warming_at_once_past_what_newton_follows_is_refused():
    """A cool step sets the temperature at its start; under the isothermal model Jc jumps down
    at once. 20 -> 35 K at n = 30 (Jc 5.7x lower, E0 x 1e23) stopped the run at the smallest
    time step: "Newton did not converge". Refused before the run, naming the step and the
    material, with ramp_temperature as the way (it runs); smaller jumps, cooling, a
    normal-state channel that carries the current past Jc, run as before."""
    d = base()
    d["materials"]["sc"]["n"] = 30
    d["materials"]["sc"]["jc"]["temperature"] = {"at": "20 K", "tc": "40 K"}
    d["protocol"][0]["temperature"] = "20 K"
    d["protocol"][2] = {"step": "cool", "to": "35 K", "duration": "10 s"}
    with pytest.raises(ValidationError, match=r"^protocol\[2\]: cool to 35 K from 20 K sets the "
                       r"temperature at once under the isothermal model: Jc of sc falls 5\.72x "
                       r"in no time.*E = E0 x 5\.72\^30 = E0 x 1e23.*ramp_temperature"):  # fmt: skip
        Case.from_dict(d)
    for edit in (
        lambda d: d["protocol"][2].update(to="28 K"),  # 1.78x: E0 x 3e7
        lambda d: d["protocol"][2].update(to="10 K"),
        lambda d: d["materials"]["sc"].update(normal_resistivity="1e-6 ohm*m"),
        lambda d: d["protocol"].__setitem__(
            2, {"step": "ramp_temperature", "to": "35 K", "rate": "1 K/min"}
        ),
    ):
        ok = copy.deepcopy(d)
        edit(ok)
        Case.from_dict(ok)


@pytest.mark.parametrize(
    ("field", "match"),
    [
        ([0, 1, 1, 3], r"field\[2\] = 1 T after field\[1\] = 1 T \(a repeated row\?\)"),
        ([0, 3, 1, 7], r"field\[2\] = 1 T after field\[1\] = 3 T \(out of order\?\)"),
        ([-1, 0, 1, 7], r"field\[0\] = -1 T \(\|B\| is used"),
    ],
)
def test_a_jc_table_row_out_of_place_is_named(field, match):
    """A repeated or misplaced row of a Jc table was "fields must be >= 0 and strictly
    increasing", with no row named (a measured table has dozens)."""
    d = base()
    jc = [3e4, 2e4, 1.5e4, 1e4]
    d["materials"]["sc"]["jc"] = {
        "table": {"field": field, "field_unit": "T", "jc": jc, "jc_unit": "A/cm^2"}
    }
    with pytest.raises(ValidationError, match=r"^materials\.sc\.jc\.table: fields must be >= 0 "
                       rf"and strictly increasing: {match}"):  # fmt: skip
        Case.from_dict(d)


def test_a_temperature_probe_without_a_heat_model_warns():
    """Under the isothermal model (no [thermal] table) a temperature probe reads the protocol's
    temperature, 20.000 K through a ramp, without a word; it warns, naming the probe."""
    d = base()
    d["probes"].append({"name": "th", "r": "0 mm", "z": "3 mm", "quantity": "temperature"})
    with pytest.warns(CaseWarning, match=r"^probe 'th': quantity = \"temperature\", but "
                      r"thermal\.model is 'isothermal'.*give \[thermal\] model"):  # fmt: skip
        Case.from_dict(d)
    d["thermal"] = {"model": "adiabatic"}
    for m in ("sc", "cu"):
        d["materials"][m] |= {"heat_capacity": "1e3 J/(m^3*K)"}
    d["materials"]["sc"]["jc"]["temperature"] = {"at": "5 K", "tc": "38 K"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", CaseWarning)
        Case.from_dict(d)


def test_a_jc_csv_with_a_byte_order_mark_reads_and_a_wrong_header_is_quoted(tmp_path):
    """A spreadsheet's "CSV UTF-8" starts with a byte-order mark: its header, B_T,Jc_A_cm2 to
    the eye, was refused as "expected the header 'B_T,Jc_A_cm2'"; a header in other units was
    refused without saying what it read."""
    d = base()
    d["materials"]["sc"]["jc"] = {"csv": "jc.csv"}
    (tmp_path / "jc.csv").write_text("\ufeffB_T,Jc_A_cm2\n0,3e4\n1,2e4\n7,1e4\n", "utf-8")
    assert Case.from_dict(d, base_dir=tmp_path).material("sc").jc.jc_A_m2 == (3e8, 2e8, 1e8)
    (tmp_path / "jc.csv").write_text("# 20 K\nB_T,Jc_A_m2\n0,3e8\n1,2e8\n7,1e8\n")
    with pytest.raises(InputFileError, match=r"jc\.csv, line 2: expected the header 'B_T,Jc_A_cm2' "
                       r"\(fields in T, Jc in A/cm\^2\), got 'B_T,Jc_A_m2'$"):  # fmt: skip
        Case.from_dict(d, base_dir=tmp_path)


def test_a_zero_jc_is_refused_alike_in_a_jc_csv_and_a_jc_table(tmp_path):
    """Jc = 0 above the irreversibility field: a jc.table refused it, a jc.csv left the row out
    and held the Jc before it beyond (2e4 A/cm^2 up to any field; a negative one likewise made a
    two-row table a constant). Both refuse it now, the CSV naming its line, and both say how to
    have Jc fall to nearly nothing: a small Jc, which the log-linear interpolation falls to."""
    (tmp_path / "jc.csv").write_text("B_T,Jc_A_cm2\n# measured at 20 K\n0,1e4\n6,2e4\n7,0\n")
    d = base()
    d["materials"]["sc"]["jc"] = {"csv": "jc.csv"}
    why = r"the power law E = E0 \(J/Jc\)\^n needs Jc > 0.*at least 1e-4 A/cm\^2"
    with pytest.raises(InputFileError, match=rf"jc\.csv, line 5: Jc_A_cm2 = 0 at B_T = 7: .*{why}"):
        Case.from_dict(d, base_dir=tmp_path)
    (tmp_path / "jc.csv").write_text("B_T,Jc_A_cm2\n0,1e4\n3,-4e3\n")
    with pytest.raises(InputFileError, match=r"jc\.csv, line 3: Jc_A_cm2 = -4000 at B_T = 3"):
        Case.from_dict(d, base_dir=tmp_path)
    table = {"field": [0, 6, 7], "field_unit": "T", "jc": [1e4, 2e4, 0], "jc_unit": "A/cm^2"}
    d["materials"]["sc"]["jc"] = {"table": table}
    with pytest.raises(ValidationError, match=rf"materials\.sc\.jc\.table: every Jc .*{why}"):
        Case.from_dict(d)
    table["jc"][2] = 1e-4  # the advice: Jc falls log-linearly to 1e-4 A/cm^2 at 7 T
    jc = Case.from_dict(d).material("sc").jc
    assert jc.at([6.5, 7.0, 9.0]) == pytest.approx([(2e8 * 1.0) ** 0.5, 1.0, 1.0])


def test_a_jc_curve_object_feeds_the_case():
    class Curve:  # what fluxtrap.magnetometry.JcCurve offers: .at(B_T) -> A/m^2
        def at(self, b):
            import numpy as np

            return 2e9 / (1 + np.abs(b))

    d = base()
    d["materials"]["sc"]["jc"] = Curve()
    case = Case.from_dict(d)
    assert case.material("sc").jc_at(1.0, 5.0) == pytest.approx(1e9)
    assert Case.from_dict(case.to_dict()).material("sc").jc.at(1.0) == pytest.approx(1e9)


def test_a_magnetometry_jc_curve_becomes_the_same_table():
    from fluxtrap.magnetometry import JcCurve

    curve = JcCurve(field_T=np.array([0.0, 1.0, 3.0]), jc_A_m2=np.array([1e9, 4e8, 2e8]))
    d = base()
    d["materials"]["sc"]["jc"] = curve
    sc = Case.from_dict(d).material("sc")
    b = np.linspace(0, 5, 11)
    assert sc.jc.at(b) == pytest.approx(curve.at(b), rel=1e-12)
    assert Case.from_dict(Case.from_dict(d).to_dict()).material("sc") == sc  # TOML round trip


def test_errors_are_fluxtrap_errors():
    d = base()
    d["stack"] = []
    with pytest.raises(FluxtrapError, match="no layers"):
        Case.from_dict(d)


def test_design_section_3_inline_tables_across_lines_parse(tmp_path):
    """Design section 3 writes ``jc.table = { ... }`` over several lines (TOML 1.1)."""
    text = """
title = "Bulk pair"
[materials.bulk1]
n = 35
e0 = "1e-4 V/m"
jc.table = { field = [0, 0.5, 1, 2, 3, 4, 5, 7], field_unit = "T",
             jc = [1.1e5, 6.0e4, 4.6e4, 3.5e4, 2.9e4, 2.5e4, 2.2e4, 1.8e4], jc_unit = "A/cm^2" }
[[stack]]
material = "bulk1"
radius = "15 mm"
thickness = "6 mm"
[[probes]]
name = "surface"
r = "0 mm"
z = "6 mm"
[[protocol]]
step = "set"
field = "7 T"
temperature = "5 K"
"""
    path = tmp_path / "design.toml"
    path.write_text(text)
    case = Case.load(path)
    assert case.material("bulk1").jc.at(3.0) == pytest.approx(2.9e8)  # 2.9e4 A/cm^2


# strict reading: unknown keys, NaN/inf and unbounded work are refused up front ----------------
@pytest.mark.parametrize(
    "edit, match",
    [
        (
            lambda d: d["stack"][0].update(thicknes="3 mm"),
            r"stack\[0\]\.thicknes: unknown key; did you mean 'thickness'\?",
        ),
        (
            lambda d: d["probes"][0].update(radius="1 mm"),
            r"probes\[0\]\.radius: unknown key.*known keys in probes\[0\]: name, quantity, r, z",
        ),
        (
            lambda d: d["protocol"][1].update(rte="1 T/h"),
            r"protocol\[1\]\.rte: unknown key; did you mean 'rate'\?",
        ),
        (
            lambda d: d["protocol"][2].update(rate="1 T/h"),
            r"protocol\[2\]\.rate: unknown key.*known keys in protocol\[2\]: duration, step",
        ),
        (
            lambda d: d["materials"]["sc"].update(resistivty="1 ohm*m"),
            r"materials\.sc\.resistivty: unknown key",
        ),
        (
            lambda d: d["materials"]["cu"].update(resistivty="1 ohm*m"),
            r"materials\.cu\.resistivty: unknown key; did you mean 'resistivity'\?",
        ),
        (
            lambda d: d["materials"]["sc"]["jc"].update(temprature={"at": "5 K"}),
            r"materials\.sc\.jc\.temprature: unknown key; did you mean 'temperature'\?",
        ),
        (lambda d: d.update(solvr={"rtol": 1e-3}), r"^solvr: unknown key; did you mean 'solver'\?"),
        (
            lambda d: d.update(mesh={"szie": "1 mm"}),
            r"mesh\.szie: unknown key; did you mean 'size'",
        ),
        (
            lambda d: d.update(output={"snapshot": ["1 s"]}),
            r"output\.snapshot: unknown key; did you mean 'snapshots'",
        ),
        (
            lambda d: d["stack"][0].update(inner_radis="2 mm"),
            r"stack\[0\]\.inner_radis: unknown key; did you mean 'inner_radius'\?",
        ),
    ],
)
def test_unknown_keys_are_errors_naming_key_table_and_near_miss(edit, match):
    d = base()
    edit(d)
    with pytest.raises(ValidationError, match=match):
        Case.from_dict(d)


def test_a_misspelt_key_in_a_file_names_the_file_and_the_key(tmp_path):
    text = EXAMPLE.read_text().replace('thickness = "6 mm"', 'thicknes = "6 mm"', 1)
    p = tmp_path / "typo.toml"
    p.write_text(text)
    with pytest.raises(ValidationError, match=r"typo.toml: stack\[0\]\.thicknes: .*'thickness'"):
        Case.load(p)


@pytest.mark.parametrize(
    "edit, match",
    [
        (
            lambda d: d["stack"][0].update(radius="nan mm"),
            r"stack\[0\]\.radius: .*'nan mm'",
        ),
        (
            lambda d: d["probes"][0].update(z="inf mm"),
            r"probes\[0\]\.z(: .*(finite|cannot read)| is (nan|inf))",
        ),
        (
            lambda d: d["protocol"][2].update(duration="1e999 s"),
            r"protocol\[2\]\.duration(: .*(finite|cannot read)| is (nan|inf))",
        ),
        (
            lambda d: d["protocol"][0].update(field="-inf T"),
            r"protocol\[0\]\.field(: .*(finite|cannot read)| is (nan|inf))",
        ),
        (
            lambda d: d["materials"]["sc"].update(n=float("nan")),
            r"materials\.sc\.n(: .*(finite|cannot read)| is (nan|inf))",
        ),
        (
            lambda d: d["materials"]["sc"]["jc"].update(
                temperature={"at": "5 K", "tc": "38 K", "exponent": float("inf")}
            ),
            r"materials\.sc\.jc\.temperature\.exponent(: .*(finite|cannot read)| is (nan|inf))",
        ),
        (
            lambda d: d["materials"]["sc"].update(
                jc={
                    "table": {
                        "field": [0, float("nan")],
                        "field_unit": "T",
                        "jc": [1, 2],
                        "jc_unit": "A/cm^2",
                    }
                }
            ),
            r"materials\.sc\.jc\.table\.field\[1\](: .*(finite|cannot read)| is (nan|inf))",
        ),
        (
            lambda d: d.update(mesh={"size": "nan m"}),
            r"mesh\.size(: .*(finite|cannot read)| is (nan|inf))",
        ),
        (
            lambda d: d.update(solver={"rtol": float("nan")}),
            r"solver\.rtol(: .*(finite|cannot read)| is (nan|inf))",
        ),
        (
            lambda d: d.update(output={"snapshots": ["inf s"]}),
            r"output\.snapshots\[0\](: .*(finite|cannot read)| is (nan|inf))",
        ),
    ],
)
def test_nan_and_infinite_values_are_refused_with_the_key(edit, match):
    d = base()
    edit(d)
    with pytest.raises(FluxtrapError, match=match):
        Case.from_dict(d)


def test_unbounded_mesh_or_step_cap_is_refused_before_the_run_with_an_estimate():
    d = base()  # 15 x 6 mm superconductor + 15 x 1.2 mm copper: 108 mm^2 in the r-z plane
    d["mesh"] = {"size": "3 um"}
    with pytest.raises(ValidationError, match=r"mesh.size: 0.003 mm needs about [\d,]+ elements"):
        Case.from_dict(d)
    d["mesh"] = {"size": "0.5 mm"}
    d["solver"] = {"max_step": "1 ns"}  # over 5250 s + 100 min
    with pytest.raises(
        ValidationError, match=r"solver.max_step: 1e-09 s .* at least 1.12e\+13 time steps"
    ):
        Case.from_dict(d)
    d["solver"] = {"max_step": "1 s"}  # 11250 steps: allowed
    assert Case.from_dict(d).solver.max_step_s == 1.0
    # elements x forced steps: 0.2 mm is >= 6240 conductor elements, max_step 0.1 s over 11250 s
    # >= 112 500 steps: >= 482 s of solving (0.5 us per element and step, x 1.375 for the pair
    # and the coarse mesh at every fine step)
    d["mesh"] = {"size": "0.2 mm"}
    d["solver"] = {"max_step": "0.1 s", "max_wall": "5 min"}
    with pytest.raises(
        ValidationError,
        match=r"1.12e\+05 time steps on at least 6.24e\+03 conductor elements: at least 482 s "
        r"of solving, over solver.max_wall = 300 s",
    ):
        Case.from_dict(d)
    d["solver"]["max_wall"] = "10 min"
    assert Case.from_dict(d).solver.max_wall_s == 600
    # a pulse table's kinks force steps too (the steps land on them): 10 000 points on the 0.2 mm
    # mesh's >= 6240 elements are >= 43 s of solving; a 10 000-point table took 49 s on 1007
    d["solver"] = {"max_wall": "30 s"}
    fields = [min(t, 9_999 - t) * 1e-4 for t in range(10_000)]
    pulse = {"step": "pulse", "time": list(range(10_000)), "time_unit": "ms", "field": fields,
             "field_unit": "T"}  # fmt: skip
    d["protocol"] = [d["protocol"][0], pulse]
    with pytest.raises(
        ValidationError,
        match=r"^9998 pulse-table kinks force at least 1e\+04 time steps on at least "
        r"6.24e\+03 conductor elements: at least 42.9 s of solving, over solver.max_wall = 30 s",
    ):
        Case.from_dict(d)
    # so does each protocol step, however short: 9990 ramps of 10 ms (none capped by a max_step)
    # on the same mesh; 200 of them took 3.7 s on a 1 mm mesh, about 50x this bound
    ramps = [
        {"step": "ramp_field", "to": f"{i % 2 * 0.01} T", "rate": "1 T/s"} for i in range(9990)
    ]
    d["protocol"] = [d["protocol"][0], *ramps]
    with pytest.raises(
        ValidationError,
        match=r"^9990 \[\[protocol\]\] steps force at least 9.99e\+03 time steps on at least "
        r"6.24e\+03 conductor elements: at least 42.8 s of solving, over solver.max_wall = 30 s",
    ):
        Case.from_dict(d)
    d["solver"] = {}
    case = Case.from_dict(base())
    with pytest.raises(ValidationError, match="the limit is mesh.max_elements = 100000"):
        case.with_options(mesh_size_m=1e-6)  # also a --mesh-size override
    d["mesh"] = {"size": "0.5 mm", "max_elements": MAX_ELEMENTS + 1}
    with pytest.raises(ValidationError, match=f"mesh.max_elements: .* from 1000 to {MAX_ELEMENTS}"):
        Case.from_dict(d)
    assert 11250 / MAX_TIME_STEPS < 1.0


def test_the_case_check_refuses_a_mesh_by_the_count_the_plan_states():
    """The case's check counted the conductors alone (69,284 elements at 0.06 mm, within
    max_elements = 100,000) and passed a case whose plan line and run then refused it at the
    whole mesh's estimate (185,273). One estimate now: the check refuses by the plan's count
    and says it; a size the check passes is planned within the limit."""
    from fluxtrap.simulate.mesh import build_mesh, estimate_elements
    from fluxtrap.simulate.options import layer_elements
    from fluxtrap.simulate.simulation import plan_text

    d = base()
    d["mesh"] = {"size": "0.06 mm", "max_elements": MAX_ELEMENTS}
    case = Case.from_dict(d)
    planned = estimate_elements(case, 6e-5)
    conductors = sum(layer_elements(x.width_m, x.thickness_m, 6e-5) for x in case.stack)
    assert conductors < 100_000 < planned
    d["mesh"] = {"size": "0.06 mm"}
    with pytest.raises(
        ValidationError,
        match=rf"^mesh.size: 0.06 mm needs about {planned:,} elements .* the limit is "
        r"mesh.max_elements = 100000",
    ):
        Case.from_dict(d)
    d["mesh"] = {"size": "0.12 mm"}  # passed: planned within the limit, and meshed within it
    case = Case.from_dict(d)
    said = int(plan_text(case).split("up to about ")[1].split(" ")[0].replace(",", ""))
    assert said == estimate_elements(case, 1.2e-4) <= 100_000
    assert build_mesh(case).n_elements <= said


@pytest.mark.parametrize("thickness, fits", [("0.01 mm", False), ("0.05 mm", True)])
def test_a_first_mesh_over_the_limit_advises_a_mesh_size_only_where_one_fits(thickness, fits):
    """A thin disk without [mesh] size, over the limit at its first mesh, was told to "give a
    mesh.size"; at 10 um thick the case then refused even the coarsest size it may give
    (143,464 elements at 0.02 mm). The advice now says whether one fits, and which."""
    import re

    d = base()
    d["stack"] = [{**d["stack"][0], "thickness": thickness}]
    d["probes"][0]["z"] = "1 mm"
    with pytest.raises(ValidationError, match=r"^mesh: the first mesh") as err:
        Case.from_dict(d)
    said = re.search(
        r"give a mesh.size up to ([\d.]+) mm \(about ([\d,]+) elements", str(err.value)
    )
    assert bool(said) == fits, str(err.value)
    if fits:
        d["mesh"] = {"size": f"{said[1]} mm"}
        assert Case.from_dict(d).mesh.size_m == pytest.approx(float(said[1]) * 1e-3)
        return
    coarsest = re.search(r"no mesh size fits: at the coarsest a case may give, ([\d.]+) mm .*"
                         r"about ([\d,]+);", str(err.value))  # fmt: skip
    assert coarsest, str(err.value)
    d["mesh"] = {"size": f"{coarsest[1]} mm"}
    with pytest.raises(ValidationError, match=rf"needs about {coarsest[2]} elements"):
        Case.from_dict(d)


def test_a_first_mesh_over_the_limit_advises_a_size_whose_pair_measures_the_thin_layer():
    """A 0.2 mm disk 100 mm across without [mesh] size (first mesh 0.05 mm, 167,048 elements)
    was told to give a mesh.size up to 0.4 mm, twice its thickness, where the pair's runs are
    one element across it and their estimate 170x under the error. The advice is now half the
    thickness, 0.1 mm (78,942 elements), where the pair measures it; where that does not fit
    (a 50 um tube wall: 0.025 mm), the coarsest size with what its estimate leaves out."""
    import re

    from fluxtrap.simulate.mesh import estimate_elements
    from fluxtrap.simulate.simulation import unmeasured_layers

    d = base()
    d["stack"] = [{"material": "sc", "radius": "50 mm", "thickness": "0.2 mm"}]
    d["probes"][0]["z"] = "0.5 mm"
    with pytest.raises(ValidationError, match=r"^mesh: the first mesh") as err:
        Case.from_dict(d)
    said = re.search(r"give a mesh.size up to ([\d.]+) mm \(about ([\d,]+) elements there; "
                     r"a fixed pair, not refined\)$", str(err.value))  # fmt: skip
    assert said and float(said[1]) == 0.1, str(err.value)
    d["mesh"] = {"size": f"{said[1]} mm"}
    case = Case.from_dict(d)
    assert unmeasured_layers(case, case.mesh.size_m) == []
    assert estimate_elements(case, case.mesh.size_m) == int(said[2].replace(",", ""))
    d["stack"] = [
        {"material": "sc", "radius": "5 mm", "inner_radius": "4.95 mm", "thickness": "5 mm"}
    ]
    d["mesh"] = {}
    with pytest.raises(
        ValidationError,
        match=r"give a mesh.size up to 0.1 mm \(about [\d,]+ elements there; a fixed pair, not "
        r"refined, whose estimate leaves out the error across the stack\[0\] radial width above "
        r"0.025 mm\)$",
    ):
        Case.from_dict(d)


def test_a_layer_thinner_than_the_mesh_size_counts_its_own_elements_and_their_grading():
    # a 1 um spacer in the bulk pair at 0.5 mm: Triangle meshed 163 000 elements, where the
    # case's check saw the conductors' area alone (1 660) and the run estimated 6 000; with a
    # 10 um spacer 17 700
    d = base()
    d["stack"][1]["thickness"] = "1 um"
    d["mesh"] = {"size": "0.5 mm"}
    with pytest.raises(
        ValidationError,
        match=r"mesh.size: 0.5 mm needs about [\d,]+ elements .* the limit is "
        r"mesh.max_elements = 100000: [\d,]+ of them for stack\[1\], 0.001 mm across",
    ):
        Case.from_dict(d)
    from fluxtrap.simulate.mesh import build_mesh, estimate_elements

    d["stack"][1]["thickness"] = "10 um"
    case = Case.from_dict(d)
    assert build_mesh(case).n_elements < estimate_elements(case, 5e-4) < 3 * 17_700


@pytest.mark.parametrize(
    "step",
    [Set(7.0, 5.0), RampField(-3.5, 4.8 / 3600), Hold(6000.0), RampTemperature(40.0, 0.5 / 60)],
)
def test_protocol_steps_round_trip_and_say_their_units(step):
    assert step_from_dict(step.to_dict()) == step
    assert type(step).__name__ in repr(step)
    assert "=" in repr(step) and "e-0" not in repr(step)  # rates in T/h and K/min, not T/s


@pytest.mark.parametrize("name", ["=HYPERLINK(1)", "+1", "-x", "@SUM", "\tx", "a b", "x" * 65, ""])
def test_probe_names_are_safe_csv_column_names(name):
    """A probe name becomes a column of probes.csv: nothing a spreadsheet would run as a formula."""
    d = base()
    d["probes"][0]["name"] = name
    with pytest.raises(ValidationError, match=r"probes\[0\]\.name"):
        Case.from_dict(d)
    d["probes"][0]["name"] = "hall-1.top_2"
    assert Case.from_dict(d).probes[0].name == "hall-1.top_2"


@pytest.mark.parametrize(
    "key, value, match",
    [
        ("name", "a b", r"^probes\[1\]\.name 'a b'"),
        ("r", "-1 mm", r"^probes\[1\]\.r: must be >= 0"),
    ],
)
def test_a_probe_error_names_its_table_after_a_temperature_probe(key, value, match):
    """Bz and temperature probes are kept apart; the error still names the [[probes]] table the
    user wrote (it said probes[0], the temperature probe, for the second table)."""
    d = base()
    d["probes"].insert(0, {"name": "core", "r": "0 mm", "z": "3 mm", "quantity": "temperature"})
    d["probes"][1][key] = value
    with pytest.raises(ValidationError, match=match):
        Case.from_dict(d)


@pytest.mark.parametrize(
    "edit, gap",
    [
        # 1 um of air above the copper: Triangle meshed 165 000 elements (estimated 6 400)
        (
            lambda d: d["stack"].append({**d["stack"][0], "z": "7.201 mm"}),
            r"stack\[1\] and stack\[2\], 0.001 mm",
        ),
        # a disk in a ring's bore, 0.5 um between them
        (
            lambda d: d["stack"].append(
                {
                    "material": "sc",
                    "radius": "30 mm",
                    "inner_radius": "15.0005 mm",
                    "thickness": "6 mm",
                    "z": "0 mm",
                }
            ),
            r"stack\[0\] and stack\[2\], 0.0005 mm",
        ),
    ],
)
def test_an_air_gap_narrower_than_the_mesh_size_counts_like_a_thin_layer(edit, gap):
    d = base()
    d["mesh"] = {"size": "0.5 mm"}
    d["probes"][0]["z"] = "20 mm"
    edit(d)
    with pytest.raises(
        ValidationError,
        match=rf"needs about \S+ elements .*: \S+ of them for the air gap between {gap} across",
    ):
        Case.from_dict(d)
    from fluxtrap.simulate.mesh import build_mesh, estimate_elements

    d["mesh"]["max_elements"] = MAX_ELEMENTS  # meshed: the estimate is above the mesh
    case = Case.from_dict(d)
    assert (
        build_mesh(case).n_elements
        < estimate_elements(case, 5e-4)
        < 3 * build_mesh(case).n_elements
    )


def test_mesh_size_beyond_the_smallest_superconductor_dimension_and_outer_out_of_range_are_refused():
    d = base()  # the superconductor is 15 x 6 mm; the 1.2 mm copper needs no resolving
    d["mesh"] = {"size": "12.1 mm"}
    with pytest.raises(
        ValidationError,
        match=r"mesh.size: 12.1 mm is more than 2 times the smallest dimension it has to resolve, "
        r"the stack\[0\] thickness of 6 mm .* give at most 12 mm",
    ):
        Case.from_dict(d)
    d["mesh"] = {"size": "12 mm"}
    assert Case.from_dict(d).mesh.size_m == pytest.approx(12e-3)
    for outer, factor in (("30 mm", "2"), ("16 m", "1.07e\\+03")):
        d["mesh"] = {"outer": outer}
        with pytest.raises(
            ValidationError,
            match=rf"mesh.outer: .* mm is {factor} times the stack's extent \(max\(radius, "
            r"height\) = 15 mm\); give 3 to 1000 times it \(45 to 1.5e\+04 mm\)",
        ):
            Case.from_dict(d)
    d["mesh"] = {"outer": "45 mm"}
    assert Case.from_dict(d).mesh.outer_m == pytest.approx(0.045)


@pytest.mark.parametrize("rtol", [1e-9, 0.2, 0])
def test_solver_rtol_outside_1e_8_to_0_1_is_refused(rtol):
    d = base()
    d["solver"] = {"rtol": rtol}
    with pytest.raises(
        ValidationError, match=rf"solver.rtol: must be from 1e-08 to 0.1, got {rtol:g} \(default"
    ):
        Case.from_dict(d)
    d["solver"] = {"rtol": 0.1}
    assert Case.from_dict(d).solver.rtol == 0.1


def test_more_than_1000_probes_are_refused_before_any_is_read():
    d = base()
    d["probes"] = [{"name": f"p{i}", "r": "0 mm", "z": f"{8000 + i} um"} for i in range(1000)]
    assert len(Case.from_dict(d).probes) == 1000
    d["probes"].append({"bad": "key"})  # never read: the count is checked first
    with pytest.raises(ValidationError, match=r"^probes: 1001 \[\[probes\]\] tables; at most 1000"):
        Case.from_dict(d)


@pytest.mark.parametrize(
    "edit, match",
    [
        (
            lambda d: d.update(solver={"max_step": "-1 s"}),  # was accepted
            r"^solver.max_step: must be at least 1e-09 s \(1 ns; absent: no cap\), got '-1 s'",
        ),
        (
            lambda d: d.update(solver={"max_step": "0.5 ns"}),
            r"^solver.max_step: must be at least 1e-09 s",
        ),
        (
            lambda d: d["protocol"].append({"step": "hold", "duration": "0.1 ns"}),
            r"^protocol\[3\].duration: must be at least 1 ns, got '0.1 ns'",
        ),
        (
            lambda d: d["protocol"].append({"step": "hold", "duration": "1e12 s"}),
            r"^protocol: 1e\+12 s in all, over the limit of 1e\+10 s \(317 years\); protocol\[3\] "
            r"\(Hold\(duration_s=1e\+12\)\) alone takes 1e\+12 s",
        ),
        (
            lambda d: d["protocol"].insert(
                1, {"step": "ramp_field", "to": "8 T", "rate": "1e-300 T/s"}
            ),
            r"^protocol: 1e\+300 s in all, .* protocol\[1\] \(RampField",
        ),
    ],
)
def test_steps_shorter_than_1_ns_and_protocols_longer_than_1e10_s_are_refused(edit, match):
    d = base()
    edit(d)
    with pytest.raises(ValidationError, match=match):
        Case.from_dict(d)


@pytest.mark.parametrize(
    "edit, match",
    [
        (
            lambda d: d["protocol"][0].update(temperature="-5 K"),  # was accepted
            r"^protocol\[0\]\.temperature: must be 0 to 1000 K .*, got '-5 K' \(-5 K\)",
        ),
        (
            lambda d: d["protocol"][0].update(temperature="-300 degC"),
            r"^protocol\[0\]\.temperature: must be 0 to 1000 K .*, got '-300 degC' \(-26\.85 K\)",
        ),
        (  # with a constant Jc it ran as if at 20 K
            lambda d: d["protocol"][0].update(temperature="1e300 K"),
            r"^protocol\[0\]\.temperature: must be 0 to 1000 K \(far above any superconductor's "
            r"Tc\), got '1e300 K' \(1e\+300 K\)",
        ),
        (
            lambda d: d["protocol"].append(
                {"step": "ramp_temperature", "to": "-1 K", "rate": "1 K/s"}
            ),
            r"^protocol\[3\]\.to: must be 0 to 1000 K",
        ),
        (
            lambda d: d["protocol"][0].update(field="1e6 T"),  # was accepted
            r"^protocol\[0\]\.field: 1e\+06 T is beyond the 100 T .*a unit mistake\?",
        ),
        (
            lambda d: d["protocol"][1].update(to="-150 T"),
            r"^protocol\[1\]\.to: -150 T is beyond the 100 T",
        ),
        (
            lambda d: d["protocol"].append({"step": "ramp_field", "to": "1 T", "rate": "1e12 T/s"}),
            r"^protocol\[3\] \(RampField\(.*\)\) takes 1e-12 s, under the solver's shortest "
            r"step of 1 ns",
        ),
    ],
)
def test_negative_kelvin_fields_beyond_100_T_and_ramps_under_1_ns_are_refused(edit, match):
    d = base()
    edit(d)
    with pytest.raises(ValidationError, match=match):
        Case.from_dict(d)


@pytest.mark.parametrize(
    ("pulses", "match"),
    [
        (  # a pulse adds to the field it starts from: 99 T + 99 T was accepted
            [{"step": "pulse", "peak": "99 T", "rise": "1 ms", "decay": "1 ms"}],
            r"^protocol\[1\] \(the applied field 99 T plus the pulse\): 198 T is beyond the 100 T",
        ),
        (  # a table pulse leaves its last value on: three of +60 T reached 180 T
            [
                {
                    "step": "pulse",
                    "time": [0, 1],
                    "time_unit": "s",
                    "field": [0, 60],
                    "field_unit": "T",
                }
            ]
            * 3,
            r"^protocol\[2\] \(the applied field 60 T plus the pulse\): 120 T is beyond the 100 T",
        ),
    ],
)
def test_a_pulse_taking_the_applied_field_beyond_100_T_is_refused(pulses, match):
    d = base()
    d["protocol"] = [
        {"step": "set", "field": "99 T" if len(pulses) == 1 else "0 T", "temperature": "5 K"},
        *pulses,
    ]
    with pytest.raises(ValidationError, match=match):
        Case.from_dict(d)
    d["protocol"][1:] = [pulses[0]]  # one table pulse to 60 T from 0 T, or 99 T down from 99 T
    if "peak" in pulses[0]:
        d["protocol"][1] = {**pulses[0], "peak": "-99 T"}
    assert len(Case.from_dict(d).protocol) == 2


@pytest.mark.parametrize(
    ("z", "ok"),
    [
        ("1e300 m", False),
        ("1e9 m", False),
        ("30 m", False),
        ("-25 m", False),
        ("14 m", True),
        ("-14 m", True),
    ],
)
def test_a_stack_far_from_z_0_is_refused_before_the_mesh(z, ok):
    # extent 15 mm: faces within 1000 x 15 mm = 15 m of z = 0. At 1e300 m Triangle crashed
    # (IndexError), at 1e9 m Newton crawled until max_wall; the checks work in absolute metres.
    d = base()
    d["stack"][0]["z"] = z
    if ok:
        assert Case.from_dict(d).stack[1].z_m == pytest.approx(float(z.split()[0]) + 6e-3)
    else:
        with pytest.raises(
            ValidationError,
            match=r"^stack\[0\]\.z: the layer spans .* more than "
            r"1000 times the stack's extent \(15 mm, so \|z\| <= 15 m\)",
        ):
            Case.from_dict(d)


@pytest.mark.parametrize(
    ("edit", "match"),
    [  # a probe or bore at 1e300 m overflowed the Biot-Savart sums (RuntimeWarnings, and a bore
        # homogeneity of NaN); within 1000 x 15 mm they are fine
        (lambda d: d["probes"][0].update(z="-1e300 mm"), r"^probes\[0\] \(top\): 1e\+297 m "),
        (lambda d: d["probes"][0].update(r="16 m"), r"^probes\[0\] \(top\): 16 m from the origin"),
        (lambda d: d.update(bore={"dsv": "4 mm", "center_z": "1e300 m"}), r"^bore\.center_z: "),
    ],
)
def test_a_probe_or_bore_far_beyond_the_stack_is_refused(edit, match):
    d = base()
    edit(d)
    with pytest.raises(ValidationError, match=match + r".*more than 1000 times the stack's extent"):
        Case.from_dict(d)
    d = base()
    d["probes"][0].update(r="14 m", z="-14 m")  # a stray-field probe 14 m away is fine
    assert Case.from_dict(d).probes[0].r_m == 14


def test_a_field_of_100_T_a_temperature_of_0_K_and_an_empty_ramp_are_allowed():
    d = base()
    d["protocol"][0].update(field="100 T", temperature="0 K")
    d["protocol"][1].update(to="-100 T", rate="1e12 T/s")  # 2e-10 s: refused
    with pytest.raises(ValidationError, match="under the solver's shortest step"):
        Case.from_dict(d)
    d["protocol"][1].update(to="100 T")  # no change of field: an empty step, allowed, warned of
    with pytest.warns(CaseWarning, match=r"ramps to 100 T, the value it starts at"):
        case = Case.from_dict(d)
    assert case.protocol[0].field_T == 100 and case.protocol[0].temperature_K == 0


@pytest.mark.parametrize("size", [0.0, -1e-3, float("nan")])
def test_a_mesh_size_override_must_be_positive(size):
    """``--mesh-size "-1 mm"`` or ``"0 mm"`` ran with the adaptive mesh, ignoring the flag."""
    with pytest.raises(ValidationError, match=r"^mesh\.size: must be > 0"):
        Case.from_dict(base()).with_options(mesh_size_m=size)
    assert Case.from_dict(base()).with_options(mesh_size_m=2e-3).mesh.size_m == 2e-3


@pytest.mark.parametrize(
    "accuracy, expected",
    [("1 %", 0.01), ("1%", 0.01), ("0.5 %", 0.005), ("2e-2", None), (0.01, None), (1, None)],
)
def test_accuracy_is_a_percentage_and_a_bare_number_is_refused_with_the_right_hint(
    accuracy, expected
):
    d = base()
    d["solver"] = {"accuracy": accuracy}
    if expected is not None:
        assert Case.from_dict(d).solver.accuracy == pytest.approx(expected)
        return
    with pytest.raises(UnitError, match=r'^solver\.accuracy: got .* without a unit; .*"1 %"'):
        Case.from_dict(d)


def test_more_than_10000_protocol_steps_are_refused_before_any_is_read():
    d = base()  # 50 000 steps took 3 s to parse, and each is at least one time step of the run
    d["protocol"] += [{"step": "hold", "duration": "1 s"}] * 9997
    assert len(Case.from_dict(d).protocol) == 10_000
    d["protocol"].append({"step": "bad"})  # never read: the count is checked first
    with pytest.raises(
        ValidationError, match=r"^protocol: 10001 \[\[protocol\]\] steps; at most 10000"
    ):
        Case.from_dict(d)


@pytest.mark.parametrize("e0", ["1e300 V/m", "2 V/m", "0 V/m", "-1e-4 V/m", "1e-13 V/m"])
def test_an_e0_outside_its_range_is_refused_before_the_run(e0):
    """1e300 V/m passed the case checks and overflowed inside Newton at run time."""
    d = base()
    d["materials"]["sc"]["e0"] = e0
    with pytest.raises(UnitError, match=r"materials\.sc\.e0 = .* V/m: the criterion field at Jc"):
        Case.from_dict(d)
    d["materials"]["sc"]["e0"] = "1 uV/cm"  # the usual criterion, 1e-4 V/m
    assert Case.from_dict(d).material("sc").e0_V_m == pytest.approx(1e-4)


@pytest.mark.parametrize(
    ("jc", "what"),
    [
        ({"constant": "1e-10 A/cm^2"}, r"jc\.constant: Jc 1e-06 A/m\^2"),
        ({"constant": "1e20 A/cm^2"}, r"jc\.constant: Jc 1e\+24 A/m\^2"),
        ({"kim": {"jc0": "1e-6 A/m^2", "b0": "1 T"}}, r"jc\.kim\.jc0: Jc 1e-06"),
        (
            {"table": {"field": [0, 1], "field_unit": "T", "jc": [1e5, 1e-9], "jc_unit": "A/cm^2"}},
            r"jc\.table: Jc 1e-05 A/m\^2",
        ),
    ],
)
def test_a_jc_outside_its_range_is_refused_before_the_run(jc, what):
    """1e-6 A/m^2 passed the case checks and the run stopped at t = 0 with "Newton did not
    converge" (and a numpy warning); 1e24 A/m^2 is past any depairing current."""
    d = base()
    d["materials"]["sc"]["jc"] = jc
    with pytest.raises(ValidationError, match=rf"materials\.sc\.{what}.*a unit mistake"):
        Case.from_dict(d)
    d["materials"]["sc"]["jc"] = {"constant": "1e-4 A/cm^2"}  # the lowest allowed, 1 A/m^2
    with pytest.warns(CaseWarning, match="a unit mistake"):  # allowed, but no bulk's
        assert Case.from_dict(d).material("sc").jc.jc_A_m2 == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("unit", "scale", "match"),
    [
        ("A/m^2", 1.0, r"largest Jc is 2 A/cm\^2 \(2e\+04 A/m\^2\), below 100 A/cm\^2"),
        ("A/cm^2", 1e4, r"largest Jc is 2e\+08 A/cm\^2 \(2e\+12 A/m\^2\), above 1e\+07"),
    ],
)
def test_a_jc_table_in_the_other_unit_warns(unit, scale, match):
    """A/cm^2 and A/m^2 swapped put Jc 1e4 off and ran without a word: a table of 2e4 A/cm^2
    written as A/m^2 (2e4 A/m^2) traps a 1e4 times smaller field."""
    jc = {"field": [0, 1, 7], "field_unit": "T", "jc": [2e4, 1e4, 5e3], "jc_unit": "A/cm^2"}
    d = base()
    d["materials"]["sc"]["jc"] = {"table": jc}
    with warnings.catch_warnings():
        warnings.simplefilter("error", CaseWarning)
        Case.from_dict(d)  # 2e4 A/cm^2: a bulk's
    jc |= {"jc": [x * scale for x in jc["jc"]], "jc_unit": unit}
    with pytest.warns(CaseWarning, match=rf"^materials\.sc\.jc: the {match}.*a unit mistake"):
        Case.from_dict(d)
    d["materials"]["sc"]["jc"] = {
        "tc": "40 K",
        "tables": [jc | {"temperature": "10 K"}, jc | {"temperature": "30 K"}],
    }
    d["protocol"][0]["temperature"] = "10 K"
    with pytest.warns(CaseWarning, match=rf"^materials\.sc\.jc: the {match}"):
        Case.from_dict(d)


@pytest.mark.parametrize(
    ("table", "match"),
    [
        (  # a text in a table of numbers ran as if it were one
            {"field": ["0", "1"], "field_unit": "T", "jc": [3e4, 2e4], "jc_unit": "A/cm^2"},
            r"^materials\.sc\.jc\.table\.field\[0\]: expected a plain number, got '0' \(the "
            r"table's unit is field_unit\)$",
        ),
        (
            {"field": [0, 1], "field_unit": "T", "jc": [3e4, True], "jc_unit": "A/cm^2"},
            r"^materials\.sc\.jc\.table\.jc\[1\]: expected a plain number, got True",
        ),
        (  # it was "jc[0]: '30000.0 ' has no unit"
            {"field": [0, 1], "field_unit": "T", "jc": [3e4, 2e4], "jc_unit": " "},
            r'^materials\.sc\.jc\.table: give field_unit \(e\.g\. "T"\) and jc_unit',
        ),
    ],
)
def test_a_jc_table_takes_plain_numbers_and_both_units(table, match):
    d = base()
    d["materials"]["sc"]["jc"] = {"table": table}
    with pytest.raises((ValidationError, UnitError), match=match):
        Case.from_dict(d)


def test_a_quantity_of_the_wrong_dimension_is_named_with_its_article():
    d = base()
    d["materials"]["sc"]["e0"] = "1e-4 V"
    with pytest.raises(UnitError, match=r"^materials\.sc\.e0: '1e-4 V' is not an electric field "):
        Case.from_dict(d)
    d = base()
    d["stack"][0]["radius"] = "3 T"
    with pytest.raises(UnitError, match=r"^stack\[0\]\.radius: '3 T' is not a length "):
        Case.from_dict(d)


def test_a_temperature_change_that_nothing_depends_on_is_warned_of():
    """A constant Jc warmed to 300 K ran without a word and kept 0.29 T trapped."""
    d = base()
    d["protocol"].append({"step": "ramp_temperature", "to": "300 K", "rate": "10 K/s"})
    with pytest.warns(CaseWarning, match=r"^protocol\[3\]: the temperature goes to 300 K, but "
                      r"nothing in the case depends on it \(superconductors: sc, none with"):  # fmt: skip
        Case.from_dict(d)
    d["protocol"][-1]["to"] = "30 K"
    d["materials"]["sc"]["jc"]["temperature"] = {"at": "5 K", "tc": "38 K", "exponent": 1.5}
    with warnings.catch_warnings():
        warnings.simplefilter("error", CaseWarning)
        Case.from_dict(d)


def test_a_jc_table_ending_below_the_applied_field_is_warned_of():
    """Field-cooled at 7 T with a table to 2 T: Jc is held beyond it, a kink one long time step
    crossed unseen (at 3 T, the centre 0.032 T off after a 5 s step; the accuracy note blamed a
    low n or a slow ramp). A table to the largest field or within 10 % of it (a measured loop's
    last penetrated point, the demo's 6.85 T at 7 T), or a constant one, say nothing."""
    d = base()
    table = {"field": [0, 2], "field_unit": "T", "jc": [3e4, 1.5e4], "jc_unit": "A/cm^2"}
    d["materials"]["sc"]["jc"] = {"table": table}
    with pytest.warns(CaseWarning, match=r"^materials\.sc\.jc: the table ends at 2 T, below the "
                      r"7 T the protocol applies; Jc is held at its last value beyond it"):  # fmt: skip
        Case.from_dict(d)
    quiet = [([0, 7], [3e4, 1e4]), ([0, 6.85], [3e4, 1e4]), ([0, 2], [3e4, 3e4]), ([0], [3e4])]
    for field, jc in quiet:
        d["materials"]["sc"]["jc"]["table"] |= {"field": field, "jc": jc}
        with warnings.catch_warnings():
            warnings.simplefilter("error", CaseWarning)
            Case.from_dict(d)
    d["materials"]["sc"]["jc"]["table"] |= {"field": [0, 2], "jc": [3e4, 1.5e4]}
    d["protocol"] = [{"step": "set", "field": "0 T", "temperature": "5 K"},
                     {"step": "pulse", "peak": "2.5 T", "rise": "5 ms", "decay": "20 ms"}]  # fmt: skip
    with pytest.warns(CaseWarning, match=r"the table ends at 2 T, below the 2.5 T the protocol"):
        Case.from_dict(d)


def test_a_jc_table_starting_above_zero_field_is_warned_of(tmp_path):
    """A table from 1 T holds Jc(1 T) down to 0 T, where a bulk's Jc is largest: a trapped
    field's low-field part ran at a third of its Jc, unsaid. The warning names the table (its
    file for jc.csv), the held range and value; a table from 0 T, or flat at its start (it holds
    what it says), says nothing."""
    d = base()
    table = {"field": [1, 2, 7], "field_unit": "T", "jc": [5e4, 3e4, 1e4], "jc_unit": "A/cm^2"}
    d["materials"]["sc"]["jc"] = {"table": table}
    with pytest.warns(CaseWarning, match=r"^materials\.sc\.jc: the table starts at 1 T, above "
                      r"0 T; from 0 to 1 T Jc is held at its first value, 5e\+04 A/cm\^2"):  # fmt: skip
        Case.from_dict(d)
    (tmp_path / "jc.csv").write_text("B_T,Jc_A_cm2\n0.25,8e4\n1,5e4\n7,1e4\n")
    d["materials"]["sc"]["jc"] = {"csv": "jc.csv"}
    with pytest.warns(CaseWarning, match=r"^materials\.sc\.jc \(.*jc\.csv\): the table starts "
                      r"at 0\.25 T, above 0 T; from 0 to 0\.25 T"):  # fmt: skip
        Case.from_dict(d, base_dir=tmp_path)
    for quiet in ({"field": [0, 2, 7]}, {"jc": [5e4, 5e4, 1e4]}, {"field": [1], "jc": [5e4]}):
        d["materials"]["sc"]["jc"] = {
            "table": table | quiet
        }  # from 0 T, flat at its start, one point
        with warnings.catch_warnings():
            warnings.simplefilter("error", CaseWarning)
            Case.from_dict(d)


def test_a_long_jc_table_reads_its_units_once(monkeypatch):
    """A Jc(B) table's unit scales its column: through pint per value a 20 000-point table took
    20 s to load (200 000 points 62 s, a CSV of them 1.5 s); the values are those of pint's."""
    from fluxtrap.simulate import casefile
    from fluxtrap.units import parse

    calls = []

    def counting(text, dimension, key="value"):
        calls.append(text)
        return parse(text, dimension, key)

    monkeypatch.setattr(casefile, "parse", counting)  # casefile.table_column reads the columns
    fields = [i * 1e-3 for i in range(2000)]
    jcs = [1.1e5 / (1 + b) for b in fields]
    d = base()
    d["materials"]["sc"]["jc"] = {
        "table": {"field": fields, "field_unit": "mT", "jc": jcs, "jc_unit": "A/cm^2"}
    }
    jc = Case.from_dict(d).material("sc").jc
    assert len(calls) < 100  # every quantity of the case; per value, over 4000
    assert list(jc.field_T) == [parse(f"{b} mT", "magnetic_flux_density") for b in fields]
    assert list(jc.jc_A_m2) == [parse(f"{j} A/cm^2", "current_density") for j in jcs]


@pytest.mark.parametrize(
    ("unit", "per_tesla"), [("Oe", 1e4), ("kOe", 10.0), ("A/m", 1 / (4e-7 * np.pi))]
)
def test_a_jc_table_field_in_oe_or_a_per_m_is_read_as_mu0_h(unit, per_tesla):
    """A jc.table's field in Oe, kOe or A/m (H, as a magnetometer reports it) was refused ("'0 Oe'
    is not a magnetic flux density ...; an H field: give mu0 H"), though JcTable and JcCurve read
    it as mu0 H: it is now the same table as the fields in T, in jc.table and each of jc.tables;
    a unit of another dimension is still refused, naming the key."""
    tesla = {"field": [0, 0.5, 2, 7], "field_unit": "T", "jc": [3e4, 2e4, 1e4, 5e3]}
    h = tesla | {"field": [b * per_tesla for b in tesla["field"]], "field_unit": unit}
    jcs = []
    for table in (tesla, h):
        d = base()
        d["materials"]["sc"]["jc"] = {"table": table | {"jc_unit": "A/cm^2"}}
        jcs.append(Case.from_dict(d).material("sc").jc)
        d["materials"]["sc"]["jc"] = {
            "tc": "40 K",
            "tables": [table | {"jc_unit": "A/cm^2", "temperature": "5 K"}],
        }
        jcs.append(Case.from_dict(d).material("sc").jc.tables[0])
    for jc in jcs[2:]:
        assert jc.field_T == pytest.approx(jcs[0].field_T, rel=1e-12, abs=1e-15)
        assert jc.jc_A_m2 == jcs[0].jc_A_m2
    d["materials"]["sc"]["jc"] = {"table": tesla | {"field_unit": "m", "jc_unit": "A/cm^2"}}
    with pytest.raises(UnitError, match=r"^materials\.sc\.jc\.table\.field_unit = 'm': '0 m' is "
                       r"not a magnetic flux density"):  # fmt: skip
        Case.from_dict(d)


def test_applied_fields_kim_b0_and_field_rates_in_oe_are_read_as_mu0_h():
    """A case's applied fields (set, ramp_field's to and rate, a pulse's peak and table), and Kim's
    B0 in Oe, kOe or A/m were refused ("'5000 Oe' is not a magnetic flux density ...; an H field:
    give mu0 H"), though a Jc table's fields are read as mu0 H: they are now too (a rate in Oe/s
    as mu0 dH/dt), and the same case in T runs to the same probes; a misspelt Oe is answered
    with the near miss, another dimension still refused naming the key."""
    from fluxtrap.simulate import Simulation

    in_t, in_oe = base(), base()
    for d, kim, steps in (
        (in_t, "0.5 T", ("1.5 T", "0.5 T", "0.1 T/s")),
        (in_oe, "5000 Oe", ("15 kOe", f"{0.5 / 4e-7 / np.pi!r} A/m", "1000 Oe/s")),
    ):
        d["materials"]["sc"]["jc"] = {"kim": {"jc0": "3e4 A/cm^2", "b0": kim}}
        d["stack"] = [{"material": "sc", "radius": "5 mm", "thickness": "3 mm"}]
        d["probes"] = [{"name": "top", "r": "0 mm", "z": "3.5 mm"}]
        d["protocol"] = [
            {"step": "set", "field": steps[0], "temperature": "30 K"},
            {"step": "ramp_field", "to": steps[1], "rate": steps[2]},
            {"step": "hold", "duration": "5 s"},
        ]
        d["mesh"], d["solver"] = {"size": "1 mm"}, {"accuracy": "5 %"}
    runs = [Simulation(Case.from_dict(d)).run(progress=False).probes for d in (in_t, in_oe)]
    assert runs[1].to_numpy() == pytest.approx(runs[0].to_numpy(), rel=1e-12, abs=1e-15)
    shape = {"step": "pulse", "rise": "1 ms", "decay": "5 ms"}
    assert step_from_dict(shape | {"peak": "20 kOe"}).peak_T == pytest.approx(2, rel=1e-12)
    table = {"step": "pulse", "time": [0, 1, 5], "time_unit": "ms", "field_unit": "kOe"}
    assert step_from_dict(table | {"field": [0, 20, 5]}).fields_T == pytest.approx((0, 2, 0.5))
    for key, value, match in (
        ("b0", "5000 oe", r"did you mean 'Oe'\?"),
        ("b0", "5000 Oersted", r"did you mean 'oersted'\?"),
        ("b0", "0.5 m", r"^materials\.sc\.jc\.kim\.b0: '0\.5 m' is not a magnetic flux density"),
        ("rate", "100 Oe", r"^protocol\[1\]\.rate: '100 Oe' is not a field rate"),
        ("rate", "100 oe/s", r"did you mean 'Oe/s'\?"),
    ):
        d = copy.deepcopy(in_oe)
        (d["materials"]["sc"]["jc"]["kim"] if key == "b0" else d["protocol"][1])[key] = value
        with pytest.raises(UnitError, match=match):
            Case.from_dict(d)


def test_an_accuracy_of_100_percent_is_refused_as_the_message_says():
    """The message said "between 0.001 % and 100 %" and refused "100 %"."""
    d = base()
    d["solver"] = {"accuracy": "100 %"}
    with pytest.raises(ValidationError, match=r"0\.001 % and below 100 %, got '100 %'"):
        Case.from_dict(d)
    d["solver"] = {"accuracy": "99 %"}
    assert Case.from_dict(d).solver.accuracy == pytest.approx(0.99)


def test_a_probe_name_clash_names_both_tables_and_an_unnamed_probe():
    """An unnamed probes[0] is called probe0; a second probe the user named 'probe0' was refused
    with "duplicate names in ['probe0', 'probe0']", two names the user never wrote twice."""
    d = base()
    d["probes"] = [
        {"r": "0 mm", "z": "7.5 mm"},
        {"name": "probe0", "r": "1 mm", "z": "7.5 mm"},
    ]
    with pytest.raises(
        ValidationError,
        match=r"^probes\[1\]\.name: 'probe0' is also probes\[0\]'s \(probes\[0\] has no name",
    ):
        Case.from_dict(d)
    d["probes"][0]["name"] = "top"
    d["probes"][1]["name"] = "top"
    with pytest.raises(ValidationError, match=r"^probes\[1\]\.name: 'top' is also probes\[0\]'s$"):
        Case.from_dict(d)


def test_probe_matrices_past_their_memory_limit_are_refused_before_the_run():
    """Each run holds the probes' field matrix and the conductors' J at the sample times, 8 bytes
    an entry (1000 probes on 32 425 elements: 0.26 GB, and building it whole peaked at 1.5 GB,
    17 GB on the axis). A case whose first mesh's matrices pass MAX_MATRIX_BYTES is refused at
    once, naming the estimate and the limit; the estimate is within 1.5x of what the real
    mesh's conductor elements take."""
    import re

    from fluxtrap.simulate.mesh import AIR, build_mesh
    from fluxtrap.simulate.options import MAX_MATRIX_BYTES, SAMPLES

    d = base()
    d["stack"] = d["stack"][:1]  # 15 x 6 mm
    d["probes"] = [
        {"name": f"p{i}", "r": "5 mm", "z": f"{6.5 + i / 100:.2f} mm"} for i in range(1000)
    ]
    d["mesh"] = {"size": "0.045 mm", "max_elements": MAX_ELEMENTS}
    with pytest.raises(ValidationError, match=r"^\[\[probes\]\]: 1000 probe rows") as err:
        Case.from_dict(d)
    said = re.search(r"need about ([\d.]+) GiB, over the limit of 2 GiB", str(err.value))
    assert said, str(err.value)
    d["probes"] = d["probes"][:10]
    mesh = build_mesh(Case.from_dict(d))
    conductors = int((mesh.region != AIR).sum())
    held = 8 * 1.5 * conductors * (1000 + len(d["protocol"]) + SAMPLES + 1)
    assert 1.0 < float(said[1]) * 2**30 / held < 1.5  # on the safe side: 2x the estimate
    assert held > 0.8 * MAX_MATRIX_BYTES  # here 1.86 GiB: 0.045 mm is near the limit


def test_a_ramp_to_the_value_it_starts_at_is_warned_of_naming_the_step():
    """ramp_temperature from 5 K to 5 K (or ramp_field from 0 T to 0 T) takes no time and
    changes nothing; it ran unsaid, as if it were a hold. A ramp that moves says nothing."""
    d = base()
    d["materials"]["sc"]["jc"]["temperature"] = {"at": "5 K", "tc": "38 K"}
    d["protocol"].append({"step": "ramp_temperature", "to": "5 K", "rate": "1 K/min"})
    with pytest.warns(CaseWarning, match=r"^protocol\[3\] \(RampTemperature\(to_K=5, "
                      r"rate_K_min=1\)\): ramps to 5 K, the value it starts at, so it takes no "
                      r'time and changes nothing; for a hold give step = "hold"'):  # fmt: skip
        Case.from_dict(d)
    d["protocol"][-1] = {"step": "ramp_field", "to": "0 T", "rate": "1 T/h"}
    with pytest.warns(CaseWarning, match=r"^protocol\[3\] \(RampField.*ramps to 0 T, the value"):
        Case.from_dict(d)
    d["protocol"][-1] = {"step": "ramp_temperature", "to": "6 K", "rate": "1 K/min"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", CaseWarning)
        Case.from_dict(d)


def test_a_superconductor_without_jc_of_t_beside_one_with_it_is_named_when_warmed():
    """Two superconductors, one with jc.temperature, one without, warmed 5 -> 30 K: the second's
    Jc was held at its given value unsaid (the warning spoke only when nothing felt the
    temperature). Now it is named by its key and the step; with both scaled, no warning."""
    d = base()
    d["materials"]["sc2"] = {"n": 35, "jc": {"constant": "3e4 A/cm^2"}}
    d["materials"]["sc"]["jc"]["temperature"] = {"at": "5 K", "tc": "38 K"}
    d["stack"].append({"material": "sc2", "radius": "15 mm", "thickness": "6 mm"})
    d["probes"][0]["z"] = "14 mm"
    d["protocol"].append({"step": "ramp_temperature", "to": "30 K", "rate": "1 K/min"})
    with pytest.warns(CaseWarning, match=r"^materials\.sc2\.jc: no temperature dependence "
                      r"\(jc\.temperature or jc\.tables\), so Jc is held at its given value "
                      r"while protocol\[3\] takes the temperature from 5 to 30 K"):  # fmt: skip
        Case.from_dict(d)
    d["materials"]["sc2"]["jc"]["temperature"] = {"at": "5 K", "tc": "38 K"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", CaseWarning)
        Case.from_dict(d)


def test_snapshots_past_the_memory_limit_are_refused_before_the_run(monkeypatch):
    """Each protocol step's end keeps a snapshot of B on every element (16 bytes each) besides
    J; MAX_MATRIX_BYTES counted the probe matrices and J samples only: 200 holds on a disk at
    0.5 mm kept 6.5 MB of snapshots where 1.0 MB of J samples was counted, so a case within the
    limit could take ~5x it. Here the limit is set between the two: the run is refused before
    it meshes, naming the snapshots and the estimate, which is on the safe side of the real
    mesh's count (within 4x); one hold in place of the 200 runs."""
    import re

    from fluxtrap.simulate import Simulation, mesh, options
    from fluxtrap.simulate.geometry import thin_parts
    from fluxtrap.simulate.mesh import build_mesh
    from fluxtrap.simulate.options import SAMPLES, SNAPSHOT_BYTES

    d = {
        "materials": {"sc": {"n": 35, "jc": {"constant": "3e4 A/cm^2"}}},
        "stack": [{"material": "sc", "radius": "10 mm", "thickness": "4 mm"}],
        "probes": [{"name": "top", "r": "0 mm", "z": "5 mm"}],
        "protocol": [
            {"step": "set", "field": "1 T", "temperature": "5 K"},
            {"step": "ramp_field", "to": "0 T", "rate": "0.1 T/s"},
        ]
        + [{"step": "hold", "duration": "1 s"}] * 200,
        "mesh": {"size": "0.5 mm"},
    }
    case = Case.from_dict(d)
    elements = build_mesh(case).n_elements  # 1731
    started = []
    kept = SNAPSHOT_BYTES * len(d["protocol"]) * elements  # snapshots, this mesh
    # what was counted: J samples and the probe row on twice the conductors' estimate
    n = sum(options.layer_elements(w, t, 5e-4) for _, w, t in thin_parts(case.stack, 5e-4))
    counted = 8 * 1.5 * (1 + len(d["protocol"]) + SAMPLES) * 2 * n
    assert kept > 2 * counted
    monkeypatch.setattr(options, "MAX_MATRIX_BYTES", 1.5 * counted)
    with monkeypatch.context() as patched:
        patched.setattr(mesh, "build_mesh", lambda *a: started.append(a))
        with pytest.raises(ValidationError, match=r"^protocol: 202 snapshots \(each protocol step's "
                           r"end and \[output\] snapshots\), each B of about [\d,]+ elements "
                           r"\(mesh\.size 0\.5 mm\), need about ([\d.e+-]+) GiB") as err:  # fmt: skip
            Simulation(d).run(progress=False)
    assert not started  # refused before it meshed
    said = float(re.search(r"need about ([\d.e+-]+) GiB", str(err.value))[1]) * 2**30
    assert 1.0 <= said / kept < 4.0, (said, kept)
    d["protocol"][2:] = [{"step": "hold", "duration": "200 s"}]
    d["mesh"]["size"] = "1 mm"
    assert Simulation(d).run(progress=False).summary()["probes"]["top"]["final_T"] > 0.1


@pytest.mark.parametrize(
    "edit, match",
    [
        (
            lambda d: d["protocol"][1].update(step="ramp_feild"),
            r"^protocol\[1\]\.step: got 'ramp_feild' \(did you mean 'ramp_field'\?\); expected one "
            r"of set, ramp_field, hold, ramp_temperature, cool, pulse$",
        ),
        (  # a word of a compound name: the step it was meant to be
            lambda d: d["protocol"][2].update(step="fcm_coll"),
            r"^protocol\[2\]\.step: got 'fcm_coll' \(did you mean 'cool'\?\)",
        ),
        (  # the name under another key: say what the table has (it said "got None")
            lambda d: d["protocol"][1].update(kind=d["protocol"][1].pop("step")),
            r"^protocol\[1\]\.step: missing; expected one of .* \(the table has to, rate, kind\)$",
        ),
        (  # a TOML list where the name goes: a ValidationError (it was a TypeError, unhashable)
            lambda d: d["protocol"][1].update(step=["ramp_field"]),
            r"^protocol\[1\]\.step: got \['ramp_field'\]; expected one of",
        ),
        (  # a case's difference, which difflib rates below its cutoff
            lambda d: d["probes"][0].update(quantity="bz"),
            r"^probes\[0\]\.quantity: got 'bz' \(did you mean 'Bz'\?\); expected one of Bz, temperature$",
        ),
        (
            lambda d: d["probes"][0].update(quantity="temprature"),
            r"^probes\[0\]\.quantity: got 'temprature' \(did you mean 'temperature'\?\)",
        ),
        (
            lambda d: d["stack"][1].update(material="Cu"),
            r"^stack\[1\]\.material: 'Cu' is not defined in \[materials\] \(did you mean 'cu'\?\) "
            r"\(defined: sc, cu\)$",
        ),
    ],
)
def test_a_misspelt_step_probe_quantity_or_material_name_says_the_near_miss(edit, match):
    """Enumerated values get the near miss the unknown keys get (`inputs.near`): a misspelt step
    name said only "got 'ramp_feild'; expected one of ..."."""
    d = base()
    edit(d)
    with pytest.raises(ValidationError, match=match):
        Case.from_dict(d)


@pytest.mark.parametrize(
    "edit, match",
    [
        (  # unknown to pint: those one edit away, not difflib's 'm' alone (1000x off)
            lambda d: d["stack"][0].update(radius="15 mn"),
            r"^stack\[0\]\.radius: cannot read '15 mn' .* \(did you mean 'm', 'mm' or 'nm'\?\)$",
        ),
        (  # a space multiplies: m^2, "not a length"
            lambda d: d["stack"][0].update(radius="15 m m"),
            r"^stack\[0\]\.radius: '15 m m' is not a length .* \(did you mean 'mm'\? a space "
            r"multiplies units: 'm m' is m\*m\)$",
        ),
        (  # megamolar to pint
            lambda d: d["stack"][1].update(thickness="1.2 MM"),
            r"^stack\[1\]\.thickness: '1.2 MM' is not a length .* \(did you mean 'mm'\?\)$",
        ),
        (
            lambda d: d["materials"]["sc"].update(e0="1 uv/cm"),
            r"^materials\.sc\.e0: cannot read '1 uv/cm' .* \(did you mean 'uV/cm'\?\)$",
        ),
        (
            lambda d: d["protocol"][1].update(rate="4.8 T/mn"),
            r"^protocol\[1\]\.rate: cannot read '4\.8 T/mn' .* \(did you mean 'T/min'\?\)$",
        ),
        (  # a table's unit is named by its key (it was "...field[0]: cannot read '0 Tesla'")
            lambda d: d["materials"]["sc"].update(jc={"table": {**TABLE, "field_unit": "Tesla"}}),
            r"^materials\.sc\.jc\.table\.field_unit = 'Tesla': .* \(did you mean 'tesla'\?\)$",
        ),
        (
            lambda d: d["materials"]["sc"].update(jc={"table": {**TABLE, "jc_unit": "A/cn^2"}}),
            r"^materials\.sc\.jc\.table\.jc_unit = 'A/cn\^2': .* \(did you mean 'A/cm\^2'\?\)$",
        ),
        (  # a unit of another dimension is no misspelling: no guess
            lambda d: d["protocol"][2].update(duration="100 T"),
            r"^protocol\[2\]\.duration: '100 T' is not a time \(expected something convertible "
            r"to s\)$",
        ),
        (  # C has its own hint (the coulomb), not a near miss besides
            lambda d: d["protocol"][0].update(temperature="-268 C"),
            r"C is the coulomb: write degC \(or K\) for a temperature$",
        ),
        (  # no example made of what is not a number (it said e.g. "[15] mm")
            lambda d: d["stack"][0].update(radius=[15]),
            r"^stack\[0\]\.radius: got the bare value \[15\]; expected a length written with its "
            r'unit, e\.g\. "1 mm"$',
        ),
    ],
)
def test_a_misspelt_unit_says_the_near_miss_and_its_key(edit, match):
    d = base()
    edit(d)
    with pytest.raises(UnitError, match=match):
        Case.from_dict(d)


def test_the_units_suggested_are_units_of_their_dimension():
    """Every spelling `unit_hint` may suggest reads as its dimension (no suggestion that is
    itself refused; a field and its rate as a case reads them, Oe as mu0 H)."""
    from fluxtrap.simulate.casefile import UNIT_SPELLINGS, quantity

    for dimension, spellings in UNIT_SPELLINGS.items():
        h_field = dimension in ("magnetic_flux_density", "field_rate")
        for unit in spellings:
            value = quantity({"x": f"1 {unit}"}, "x", dimension, "", h_field=h_field)
            assert value > 0, (dimension, unit)


@pytest.mark.parametrize(
    "edit, match",
    [
        (  # the material's name was put in front twice
            lambda d: d["materials"]["sc"]["jc"].update(
                temperature={"at": "5 K", "tc": "38 K", "exponent": "2"}
            ),
            r"^materials\.sc\.jc\.temperature\.exponent: expected a plain number, got '2'$",
        ),
        (  # [[materials.cu]] in TOML
            lambda d: d["materials"].update(cu=[d["materials"]["cu"]]),
            r"^materials\.cu: expected a table, got \[\{'resistivity': '2e-10 ohm\*m'\}\]: in TOML, "
            r"write \[materials\.cu\] \(one table\), not \[\[materials\.cu\]\]",
        ),
        (
            lambda d: d["materials"].update(cu="2e-10 ohm*m"),
            r"^materials\.cu: expected a table, got '2e-10 ohm\*m'$",
        ),
        (
            lambda d: d.update(mesh=[{"size": "1 mm"}]),
            r"^mesh: expected a table, got .*: in TOML, write \[mesh\] \(one table\), not \[\[mesh\]\]",
        ),
        (  # a long table where one belongs is not repeated whole
            lambda d: d["materials"]["sc"].update(
                jc={"table": [{**TABLE, "field": list(range(10_000))}]}
            ),
            r"^materials\.sc\.jc\.table: expected a table, got \[\{'field': \[.{0,60}\.\.\. \(list "
            r"of 1\): in TOML, write \[materials\.sc\.jc\.table\]",
        ),
        (
            lambda d: d["materials"]["sc"].update(jc="bulk.csv"),
            r"^materials\.sc\.jc: expected a table .*, got 'bulk\.csv'; a Jc\(B\) file is written "
            r"jc = \{ csv = 'bulk\.csv' \}$",
        ),
        (
            lambda d: d["materials"]["sc"].update(jc="kim"),
            r"^materials\.sc\.jc: expected a table .*, got 'kim'; a model is a table of its own",
        ),
        (
            lambda d: d["materials"]["sc"].update(jc=[1, 2]),
            r"^materials\.sc\.jc: expected a table with one of table, kim, constant, csv, got "
            r"\[1, 2\]$",
        ),
    ],
)
def test_a_value_of_the_wrong_toml_type_is_named_with_what_it_got(edit, match):
    d = base()
    edit(d)
    with pytest.raises(ValidationError, match=match):
        Case.from_dict(d)


@pytest.mark.parametrize(
    "radius, match",
    [
        (
            "1e-9 m",
            r"the first mesh \(2\.5e-07 mm, a quarter of the stack\[0\] radius of 1e-06 mm: .*\)",
        ),
        (
            "15 nm",
            r"the first mesh \(3\.75e-06 mm, a quarter of the stack\[0\] radius of 1\.5e-05 mm: "
            r".*\)",
        ),
    ],
)
def test_a_disk_too_small_to_mesh_is_named_by_its_key(radius, match):
    """A disk of 1 nm (or "15 nm" for "15 mm") was refused as "mesh: the first mesh (2.5e-07 mm)
    needs ... elements", not saying which dimension set that mesh."""
    d = base()
    d["stack"][0]["radius"] = radius
    with pytest.raises(ValidationError, match=r"^mesh: " + match + r" needs about"):
        Case.from_dict(d)


def test_a_temperature_above_every_tc_warns_where_jc_ignores_temperature():
    """ "77 degC" for 77 K is 350.15 K: a constant Jc ran superconducting there without a word
    (with a Tc given, a temperature at or above it is refused)."""
    d = base()
    d["protocol"][0]["temperature"] = "77 degC"
    with pytest.warns(CaseWarning, match=r"^protocol\[0\]\.temperature: 350\.15 K is above the "
                      r"Tc of every known superconductor .* yet sc \(Jc without"):  # fmt: skip
        Case.from_dict(d)
    d["protocol"][0]["temperature"] = "-196 degC"
    d["protocol"].append({"step": "cool", "to": "200 K", "duration": "1 s"})
    with pytest.warns(CaseWarning, match=r"^protocol\[3\]\.to: 200 K is above the Tc"):
        Case.from_dict(d)
    d["protocol"].pop()
    with warnings.catch_warnings():
        warnings.simplefilter("error", CaseWarning)
        assert Case.from_dict(d).protocol[0].temperature_K == pytest.approx(77.15)


@pytest.mark.parametrize(
    "edit, match",
    [
        (  # an insulating spacer written as a huge resistivity: Newton stopped at 0.7 ms
            lambda d: d["materials"]["cu"].update(resistivity="1e12 ohm*m"),
            r"^materials\.cu\.resistivity = 1e\+12 ohm\*m: at most 0\.01 ohm\*m .* for an "
            r"insulating spacer give 0\.01 ohm\*m, or leave it out of the stack \(air\)$",
        ),
        (  # Jc 0.04 A/m^2 at 7 T: the run crawled into max_wall
            lambda d: d["materials"]["sc"].update(
                jc={"kim": {"jc0": "3e4 A/cm^2", "b0": "1e-9 T"}}
            ),
            r"^materials\.sc\.jc\.kim: Jc falls to 0\.0429 A/m\^2 \(4\.29e-06 A/cm\^2\) at the 7 T "
            r"the protocol applies \(jc0 / \(1 \+ B / b0\), b0 = 1e-09 T\), below the 1 A/m\^2",
        ),
    ],
)
def test_a_material_the_solver_would_crawl_through_is_refused_before_the_run(edit, match):
    d = base()
    edit(d)
    with pytest.raises(FluxtrapError, match=match):
        Case.from_dict(d)


def test_the_largest_resistivity_and_a_kim_jc_within_range_still_load():
    d = base()
    d["materials"]["cu"]["resistivity"] = "1e-2 ohm*m"
    d["materials"]["sc"]["jc"] = {"kim": {"jc0": "3e4 A/cm^2", "b0": "0.5 T"}}
    case = Case.from_dict(d)
    assert case.material("cu").resistivity_ohm_m == pytest.approx(1e-2)
    assert case.material("sc").jc.at(7.0) == pytest.approx(3e8 / 15)


@pytest.mark.parametrize(
    "name, err, match",
    [
        ("", ValidationError, r"^materials\.sc\.jc\.csv: expected a file name, got ''$"),
        (
            "nope.csv",
            InputFileError,
            r"^materials\.sc\.jc\.csv = 'nope\.csv': .*nope\.csv: no such",
        ),
        (".", InputFileError, r"^materials\.sc\.jc\.csv = '\.': .*: not a regular file"),
    ],
)
def test_a_jc_csv_that_cannot_be_read_names_its_material(tmp_path, name, err, match):
    """A missing or unreadable jc.csv named only the path it tried ("" read the case's own
    folder, ".: not a regular file"), not which material's table it was."""
    d = base()
    d["materials"]["sc"]["jc"] = {"csv": name}
    with pytest.raises(err, match=match):
        Case.from_dict(d, base_dir=tmp_path)


def test_a_material_named_by_a_number_in_a_dict_is_refused_by_name():
    """TOML's keys are texts; a dict built in code may have others: {1: {...}} with stack
    material 1 was a TypeError (joining the names for the message)."""
    d = base()
    d["materials"][1] = d["materials"].pop("cu")
    d["stack"][1]["material"] = 1
    with pytest.raises(ValidationError, match=r"^materials: a material's name is a text, got 1$"):
        Case.from_dict(d)


@pytest.mark.parametrize(
    "value, match",
    [
        ("1,5 mm", r"\(unexpected ',5 mm'\) \(a decimal comma\? write 1\.5 mm\)$"),
        (
            "1,000 mm",
            r"\(a decimal comma\? write 1\.000 mm, or 1000 mm for a thousands separator\)$",
        ),
    ],
)
def test_a_decimal_comma_is_named_as_such(value, match):
    """ "1,5 mm" (a European keyboard's 1.5 mm) said only "unexpected ',5 mm'"."""
    d = base()
    d["stack"][0]["thickness"] = value
    with pytest.raises(UnitError, match=r"^stack\[0\]\.thickness: cannot read .*" + match):
        Case.from_dict(d)


def test_probes_are_checked_against_the_layers_as_arrays(monkeypatch):
    """The probe-inside-a-superconductor check called Layer.contains once per probe and layer
    (1000 x 1000: 9 of the 19 s before such a case was refused); now once per superconducting
    layer, and the warning still names the one probe inside (none for the one in copper)."""
    from fluxtrap.simulate.geometry import Layer

    calls = []
    contains = Layer.contains
    monkeypatch.setattr(
        Layer, "contains", lambda self, *a, **k: calls.append(1) or contains(self, *a, **k)
    )
    d = base()
    d["stack"] = [
        {"material": "cu" if i % 2 else "sc", "radius": "15 mm", "thickness": "1 mm"}
        for i in range(60)
    ]
    d["probes"] = [{"name": f"p{i}", "r": "20 mm", "z": f"{i} mm"} for i in range(60)]
    d["probes"].append({"name": "inside", "r": "1 mm", "z": "0.5 mm"})
    d["probes"].append({"name": "in_cu", "r": "1 mm", "z": "1.5 mm"})
    with pytest.warns(CaseWarning, match="probe 'inside' at r=1 mm, z=0.5 mm is inside") as caught:
        Case.from_dict(d)
    assert [str(w.message).split("'")[1] for w in caught if "is inside" in str(w.message)] == [
        "inside"
    ]
    # a few calls per layer (each over all its points: here 150); it was 62 x 60 = 3720 more
    assert len(calls) <= 3 * 60, len(calls)


def test_a_long_value_shown_in_an_error_is_cut_whatever_its_type():
    """A pint quantity (a case dict built in a notebook) as a step's name: cutting its long
    repr asked for its len(), a TypeError for one number."""
    from fluxtrap.units import Q_

    d = base()
    d["protocol"][1]["step"] = Q_(
        1.2345678901234567e-300, "kiloampere * millisecond / centimeter ** 2 / kelvin"
    )
    with pytest.raises(
        ValidationError, match=r"^protocol\[1\]\.step: got <Quantity\(.{40,50}\.\.\.; "
    ):
        Case.from_dict(d)


def test_a_size_given_on_the_command_line_is_the_same_case_as_in_the_file():
    """--mesh-size 2 mm and [mesh] size = "2 mm" are one case: one key (the sweep cache's, the
    store's hash), one summary; only the errors name where the size came from."""
    data = base()
    from_flag = Case.from_dict(copy.deepcopy(data), mesh_size=(2e-3, "--mesh-size"))
    data.setdefault("mesh", {})["size"] = "2 mm"
    in_file = Case.from_dict(data)
    assert from_flag.mesh.size_key == "--mesh-size" and in_file.mesh.size_key == "mesh.size"
    assert from_flag.key() == in_file.key()
    assert from_flag.to_si_dict() == in_file.to_si_dict()
