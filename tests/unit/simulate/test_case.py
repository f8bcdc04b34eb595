"""Case files: parsing into SI values, the TOML round trip, and clear errors for bad cases."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import numpy as np
import pytest

from fluxtrap.errors import FluxtrapError, InputFileError, UnitError, ValidationError
from fluxtrap.simulate import Case, CaseWarning, Hold, RampField, Set

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


def test_default_mesh_size_follows_the_smallest_superconductor():
    d = base()
    assert Case.from_dict(d).mesh.size_m == pytest.approx(1e-3)  # min(1 mm, 6 mm / 4)
    d["stack"][0].update(thickness="2 mm")
    assert Case.from_dict(d).mesh.size_m == pytest.approx(0.5e-3)
    d["mesh"] = {"size": "2 mm"}
    assert Case.from_dict(d).mesh.size_m == pytest.approx(2e-3)


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


def test_errors_from_a_file_name_the_file(tmp_path):
    text = EXAMPLE.read_text().replace('radius = "15 mm"', 'radius = "30 mm/s"', 1)
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(UnitError, match=r"bad.toml: stack\[0\].radius"):
        Case.load(p)
    p.write_text("title = ")
    with pytest.raises(InputFileError, match="not valid TOML"):
        Case.load(p)


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


@pytest.mark.parametrize("name", ["=HYPERLINK(1)", "+1", "-x", "@SUM", "\tx", "a b", "x" * 65, ""])
def test_probe_names_are_safe_csv_column_names(name):
    """A probe name becomes a column of probes.csv: nothing a spreadsheet would run as a formula."""
    d = base()
    d["probes"][0]["name"] = name
    with pytest.raises(ValidationError, match=r"probes\[0\]\.name"):
        Case.from_dict(d)
    d["probes"][0]["name"] = "hall-1.top_2"
    assert Case.from_dict(d).probes[0].name == "hall-1.top_2"
