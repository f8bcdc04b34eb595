"""Sweeps: variant expansion, case keys, and a real sweep on a 2-worker local Dask cluster
(a failing variant recorded, a resume that recomputes nothing)."""

from __future__ import annotations

import json
import logging
import threading

import numpy as np
import pandas as pd
import pytest
from distributed import LocalCluster

from fluxtrap.cli import run
from fluxtrap.errors import InputFileError, UnitError, ValidationError
from fluxtrap.workflows.sweep import (
    Axis,
    Value,
    case_key,
    expand,
    load_case_dict,
    read_list,
    run_sweep,
)
from fluxtrap.workflows.sweep.results import plot_sweep

STACK = """
title = "pair with spacer"
[materials.bulk1]
n = 25
jc.table = { field = [0, 1, 3], field_unit = "T", jc = [1e5, 5e4, 3e4], jc_unit = "A/cm^2" }
[materials.bulk2]
n = 30
jc.csv = "bulk2_jc.csv"
jc.temperature = { at = "5 K", tc = "38 K", exponent = 1.5 }
[materials.bulk3]
n = 20
jc.kim = { jc0 = "1e5 A/cm^2", b0 = "0.5 T" }
[materials.copper]
resistivity = "2e-10 ohm*m"
[[stack]]
material = "bulk2"
radius = "15 mm"
thickness = "6 mm"
[[stack]]
material = "copper"
radius = "15 mm"
thickness = "1 mm"
[[stack]]
material = "bulk1"
radius = "15 mm"
thickness = "6 mm"
[[stack]]
material = "bulk3"
radius = "15 mm"
thickness = "2 mm"
[[probes]]
name = "surface"
r = "0 mm"
z = "16 mm"
[[protocol]]
step = "set"
field = "3 T"
temperature = "5 K"
[[protocol]]
step = "ramp_field"
to = "0 T"
rate = "1 T/min"
"""

# A single bulk, field-cooled from 1 T on a coarse mesh: a few seconds per variant.
TINY = """
title = "tiny field-cooled bulk"
[materials.bulk]
n = 25
jc.constant = "2e4 A/cm^2"
jc.temperature = { at = "5 K", tc = "38 K", exponent = 1.5 }
[[stack]]
material = "bulk"
radius = "8 mm"
thickness = "4 mm"
[[probes]]
name = "surface"
r = "0 mm"
z = "5 mm"
[[protocol]]
step = "set"
field = "1 T"
temperature = "5 K"
[[protocol]]
step = "ramp_field"
to = "0 T"
rate = "0.05 T/s"
[mesh]
size = "2 mm"
"""


@pytest.fixture
def stack_case(tmp_path):
    (tmp_path / "bulk2_jc.csv").write_text("B_T,Jc_A_cm2\n0,2e5\n1,8e4\n5,2e4\n")
    path = tmp_path / "stack.toml"
    path.write_text(STACK)
    return path


def test_axes_are_ranges_or_lists_in_one_unit():
    radius = Axis.parse("radius=10mm:40mm:7")
    assert [v.magnitude for v in radius.values] == [10, 15, 20, 25, 30, 35, 40]
    assert radius.column == "radius_mm" and radius.values[0].to_case() == "10.0 mm"
    assert [v.magnitude for v in Axis.parse("temperature=5K:30K:6").values] == [
        5,
        10,
        15,
        20,
        25,
        30,
    ]
    assert Axis.parse("radius=1cm,15mm").values == (Value(1.0, "cm"), Value(1.5, "cm"))
    assert Axis.parse("jc_scale=0.5,1,2").values[2] == Value(2.0)
    assert Axis.parse("protocol.1.rate=1 T/h:3 T/h:3").column == "protocol.1.rate_T_per_h"
    for text, error, message in [
        ("radius=5K:10K:3", UnitError, "--vary radius: 5 K is not a length"),
        ("n=10mm,20mm", UnitError, "--vary n: 10 mm is not a dimensionless"),
        ("radius=10mm:40mm", ValidationError, "a range is START:STOP:NUM"),
        ("radius=10mm:40mm:x", ValidationError, "NUM must be a whole number"),
        ("radius=10mm:4K:3", UnitError, "cannot be converted to mm"),
        ("radius", ValidationError, "expected NAME=START:STOP:NUM"),
        ("jc_scale=0,1", ValidationError, "factors must be > 0"),
        ("radius=1mm,1mm", ValidationError, "1 mm is given twice"),
        # one value is START's: STOP was ignored without a word
        ("radius=10mm:40mm:1", ValidationError, r"STOP \(40 mm\) would be ignored"),
    ]:
        with pytest.raises(error, match=message):
            Axis.parse(text)
    assert Axis.parse("radius=10mm:1cm:1").values == (Value(10.0, "mm"),)


def test_a_log_range_gives_values_evenly_spaced_in_log():
    """Ramp rates 1e-3 ... 1 T/s took a typed list: START:STOP:NUM had no log spacing."""
    rate = Axis.parse("protocol.1.rate=1e-3T/s:1T/s:4:log")
    assert rate.values == tuple(Value(x, "T/s") for x in (0.001, 0.01, 0.1, 1.0))
    assert [v.magnitude for v in Axis.parse("n=100:10:3:LOG").values] == pytest.approx(
        [100, 31.6227766017, 10], rel=1e-11
    )
    for text in ("jc_scale=0:1:3:log", "field=-1T:1T:3:log"):
        with pytest.raises(ValidationError, match="a log range needs START and STOP of one sign"):
            Axis.parse(text)
    with pytest.raises(ValidationError, match=r"or START:STOP:NUM:log"):
        Axis.parse("radius=1mm:9mm:3:lin")


def test_shortcuts_change_what_they_say(stack_case):
    base = load_case_dict(stack_case)
    (ref,) = expand(base, [Axis.parse("radius=15mm")], base_dir=stack_case.parent)
    axes = [
        Axis.parse(a)
        for a in (
            "radius=20mm",
            "thickness=3mm",
            "temperature=10K",
            "field=2T",
            "n=40",
            "jc_scale=2",
        )
    ]
    (v,) = expand(base, axes, base_dir=stack_case.parent)
    case, ref = v.case, ref.case
    assert [x.radius_m for x in case.stack] == [0.02] * 4
    # superconductor layers 3 mm, the copper spacer kept, layers restacked bottom to top
    assert [x.thickness_m for x in case.stack] == [0.003, 0.001, 0.003, 0.003]
    assert np.allclose([x.z_m for x in case.stack], [0, 0.003, 0.004, 0.007])
    assert (case.protocol[0].temperature_K, case.protocol[0].field_T) == (10.0, 2.0)
    assert case.protocol[1] == ref.protocol[1] and case.probes == ref.probes
    for m, m0 in zip(case.materials, ref.materials, strict=True):
        if m.name == "copper":
            assert m == m0
            continue
        assert m.n == 40
        b = np.array([0.0, 0.7, 2.0, 4.0])
        np.testing.assert_allclose(
            m.jc_at(b, 5.0), 2 * m0.jc_at(b, 5.0), rtol=1e-12
        )  # table, csv, kim
        assert m.temperature == m0.temperature


def test_jc_scale_scales_jc_tables_entries_given_as_csv_files(stack_case):
    """A ``jc.tables`` entry may give the ``csv`` file ``fluxtrap jc --out`` writes (sim25);
    ``jc_scale`` refused it, 'tables[0].jc: expected a list of numbers, missing'. Each entry's
    Jc(B) is now scaled, at both temperatures and between them."""
    text = stack_case.read_text().replace(
        'jc.csv = "bulk2_jc.csv"\njc.temperature = { at = "5 K", tc = "38 K", exponent = 1.5 }',
        'jc.tc = "38 K"\njc.tables = [{ temperature = "5 K", csv = "bulk2_jc.csv" }, '
        '{ temperature = "20 K", field = [0, 3], field_unit = "T", jc = [5e4, 1e4], '
        'jc_unit = "A/cm^2" }]',
    )
    assert "jc.tables" in text
    stack_case.write_text(text)
    base = load_case_dict(stack_case)
    ref, twice = expand(base, [Axis.parse("jc_scale=1,2")], base_dir=stack_case.parent)
    assert ref.case is not None and twice.case is not None, twice.error
    (bulk2,) = [m for m in twice.case.materials if m.name == "bulk2"]
    (bulk2_ref,) = [m for m in ref.case.materials if m.name == "bulk2"]
    b = np.array([0.0, 0.7, 2.0])
    for temperature_K in (5.0, 12.0, 20.0):
        np.testing.assert_allclose(
            bulk2.jc_at(b, temperature_K), 2 * bulk2_ref.jc_at(b, temperature_K), rtol=1e-12
        )


def test_a_pure_number_given_in_percent_is_its_fraction(stack_case):
    """``jc_scale=50%`` multiplied Jc by 50 (and 100 % by 100), ``n=3000%`` set n = 3000: the
    magnitude was taken without its unit. Now 50 % is 0.5, as ``jc_scale=0.5`` gives."""
    base = load_case_dict(stack_case)
    ref, half = expand(base, [Axis.parse("jc_scale=1,0.5")], base_dir=stack_case.parent)
    pct, fifty = expand(base, [Axis.parse("jc_scale=100%,50%")], base_dir=stack_case.parent)
    assert (pct.key, fifty.key) == (ref.key, half.key)  # the same cases
    b = np.array([0.0, 1.0, 4.0])
    for m, m0 in zip(fifty.case.materials, ref.case.materials, strict=True):
        if m.name == "copper":
            continue
        np.testing.assert_allclose(m.jc_at(b, 5.0), 0.5 * m0.jc_at(b, 5.0), rtol=1e-12)
    (n,) = expand(base, [Axis.parse("n=3000%")], base_dir=stack_case.parent)
    assert [m.n for m in n.case.materials if m.name != "copper"] == [30.0] * 3


def test_a_field_in_kilo_oersted_is_swept_as_the_case_reads_it(stack_case):
    """The case's set step reads ``field = "20 kOe"`` as mu0 H (2 T), but ``--vary
    field=20kOe,30kOe`` was refused as 'not a magnetic flux density'."""
    base = load_case_dict(stack_case)
    tesla = expand(base, [Axis.parse("field=2T,3T")], base_dir=stack_case.parent)
    oersted = expand(base, [Axis.parse("field=20kOe,30kOe")], base_dir=stack_case.parent)
    assert [v.case.protocol[0].field_T for v in oersted] == pytest.approx([2.0, 3.0], rel=1e-12)
    assert [v.case.protocol[0] for v in oersted] == [v.case.protocol[0] for v in tesla]
    # its results.csv column: 'field_koersted' while the registry's symbol of Oe was 'oersted'
    assert Axis.parse("field=20kOe,30kOe").column == "field_kOe"
    with pytest.raises(UnitError, match="--vary field: 2 A is not a magnetic flux density"):
        Axis.parse("field=2A")


def test_one_value_of_a_dotted_path_sets_the_accuracy_and_mesh_of_every_variant(stack_case):
    """sweep has no --accuracy or --mesh-size: a one-value axis sets [solver] accuracy or
    [mesh] size for every variant, as a case file or simulate's --mesh-size does."""
    base = load_case_dict(stack_case)
    variants = expand(
        base,
        [Axis.parse("n=20,30"), Axis.parse("solver.accuracy=0.5 %"), Axis.parse("mesh.size=2 mm")],
        base_dir=stack_case.parent,
    )
    assert [v.case.solver.accuracy for v in variants] == pytest.approx([0.005, 0.005])
    assert [v.case.mesh.size_m for v in variants] == pytest.approx([0.002, 0.002])


def test_dotted_paths_invalid_variants_and_keys(stack_case):
    base = load_case_dict(stack_case)
    variants = expand(
        base,
        [Axis.parse("materials.bulk1.n=10,0.5"), Axis.parse("mesh.size=1mm,2mm")],
        base_dir=stack_case.parent,
    )
    assert [v.params["materials.bulk1.n"].magnitude for v in variants] == [10, 10, 0.5, 0.5]
    assert variants[1].case.material("bulk1").n == 10 and variants[1].case.mesh.size_m == 0.002
    assert variants[0].case.material("bulk2").n == 30
    bad = variants[2]
    assert (
        bad.case is None
        and "must be in (1, 500]" in bad.error
        and bad.error.startswith("ValidationError")
    )
    assert len({v.key for v in variants}) == 4
    # the key is the parsed case's: same physics written differently -> same key; title ignored
    retitled = {**base, "title": "another name"}
    (a,) = expand(retitled, [Axis.parse("stack.0.radius=1.5cm")], base_dir=stack_case.parent)
    assert a.key == case_key(expand(base, base_dir=stack_case.parent)[0].case)
    for name, message in [
        ("materials.bulk9.n=3", "the case has no materials.bulk9 .known here: bulk1, bulk2"),
        ("stack.7.radius=1mm", "stack.7 is not an index of a list of 4"),
        ("title.x=1", "title is a value, not a table"),
        # a misspelt shortcut used to vary a new top-level key: every variant failed on a worker
        ("thicknes=3mm", "not a sweep name .* did you mean thickness\\?$"),
        ("materials=3mm", "materials is a part of the case: name a key in it \\(materials.KEY\\)"),
        # a misspelt key failed every variant alike, each reported as its own failure
        (
            "stack.0.thicknes=2mm,3mm",
            r"^sweep: stack\[0\]\.thicknes: unknown key; did you mean "
            r"'thickness'\? .*\(swept: stack\.0\.thicknes\)$",
        ),
        ("materials.bulk1.nn=3", r"^sweep: materials\.bulk1\.nn: unknown key; did you mean 'n'\?"),
    ]:
        with pytest.raises(ValidationError, match=message):
            expand(base, [Axis.parse(name)], base_dir=stack_case.parent)
    with pytest.raises(ValidationError, match="given twice: n"):
        expand(base, [Axis.parse("n=3"), Axis.parse("n=4")])
    with pytest.raises(ValidationError, match=r"^case\.stack: expected a list of tables"):
        expand({**base, "stack": {"radius": "1 mm"}}, [Axis.parse("radius=2mm")])
    del base["materials"]["bulk2"]["jc"]["temperature"]
    with pytest.raises(ValidationError, match="no superconductor of the case has jc.temperature"):
        expand(base, [Axis.parse("temperature=10K")], base_dir=stack_case.parent)


def test_a_dotted_path_in_the_wrong_unit_is_refused_once_before_any_variant_runs(
    stack_case, tmp_path
):
    """``stack.0.thickness`` given in T (or as a bare number) failed each variant in turn, one
    failed row per value, as if the values were at fault: the unit is every variant's, so the
    sweep is now refused once, before any is run; a value no unit can mend stays its own row."""
    base = load_case_dict(stack_case)
    where = stack_case.parent
    for axis, message in [
        ("stack.0.thickness=1T,2T,3T", r"stack\[0\]\.thickness: '1\.0 T' is not a length"),
        ("stack.0.thickness=1,2", r"stack\[0\]\.thickness: got the bare value 1\.0"),
        ("protocol.0.field=2mm:4mm:3", r"protocol\[0\]\.field: '2\.0 mm' is not a magnetic"),
    ]:
        with pytest.raises(UnitError, match=f"^sweep: {message}.*share this unit"):
            expand(base, [Axis.parse(axis), Axis.parse("n=20,30")], base_dir=where)
    listed = tmp_path / "list.csv"
    listed.write_text("materials.bulk1.jc.constant\n1 T\n2 T\n")
    del base["materials"]["bulk1"]["jc"]["table"]
    with pytest.raises(UnitError, match="materials.bulk1.jc.constant: '1.0 T' is not a current"):
        expand(base, rows=read_list(listed), base_dir=where)
    # a value whose number alone is out of range is that variant's failure, the others run
    variants = expand(
        load_case_dict(stack_case), [Axis.parse("radius=5mm,1e306mm")], base_dir=where
    )
    assert variants[0].case is not None and variants[1].case is None


@pytest.mark.parametrize(
    ("jc", "message"),
    [  # each was a KeyError, TypeError or ValueError out of expand, or (True) a Jc of 1 A/m^2
        ({"table": {"field": [0, 1], "field_unit": "T", "jc_unit": "A/m^2"}},
         r"materials\.bulk1\.jc\.table\.jc: expected a list of numbers, missing"),
        ({"table": {"field": [0, 1], "field_unit": "T", "jc": 5, "jc_unit": "A/m^2"}},
         r"materials\.bulk1\.jc\.table\.jc: expected a list of numbers, got 5"),
        ({"table": {"field": [0, 1], "field_unit": "T", "jc": ["a", 1e8], "jc_unit": "A/m^2"}},
         r"materials\.bulk1\.jc\.table\.jc\[0\]: expected a plain number, got 'a'"),
        ({"table": {"field": [0, 1], "field_unit": "T", "jc": [True, 1e8], "jc_unit": "A/m^2"}},
         r"materials\.bulk1\.jc\.table\.jc\[0\]: expected a plain number, got True"),
        ({"kim": {"b0": "1 T"}}, r"materials\.bulk1\.jc\.kim\.jc0: expected a quantity, missing"),
        ({"tc": "35 K", "tables": [{"temperature": "5 K", "field": [0], "field_unit": "T"}]},
         r"materials\.bulk1\.jc\.tables\[0\]\.jc: expected a list of numbers, missing"),
        ({"csv": 5}, r"materials\.bulk1\.jc\.csv: expected a file name, got 5"),
    ],
)  # fmt: skip
def test_jc_scale_of_a_malformed_jc_names_the_key(stack_case, jc, message):
    base = load_case_dict(stack_case)
    base["materials"]["bulk1"]["jc"] = jc
    with pytest.raises(ValidationError, match=r"^--vary jc_scale: " + message):
        expand(base, [Axis.parse("jc_scale=2")], base_dir=stack_case.parent)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("radius=,,", r"no values between the commas"),  # an IndexError
        ("radius=10mm:10mm:3", r"START and STOP are both 10 mm"),  # "a value is given twice"
        ("radius=10mm:40mm:5mm", r"how many values, not the step between them\), got '5mm'"),
        ("radius=1mm,2mm,0.1cm", r"--vary radius: 1 mm is given twice"),  # which one?
        (
            "temperature=77 C",
            r"77 C is not a temperature .*; C is the coulomb: write degC \(or K\)",
        ),
        ("field=3 t", r"3 t is not a magnetic flux density .*; t is the tonne: write T"),
    ],
)
def test_a_misread_axis_says_which_value_and_what_to_give(text, message):
    with pytest.raises((ValidationError, UnitError), match=message):
        Axis.parse(text)


@pytest.mark.parametrize(
    ("text", "values"),
    [  # the help's own solver.accuracy="0.5 %" was "cannot read '"0.5 %"' as a quantity"
        ('solver.accuracy="0.5 %"', [Value(0.5, "%")]),
        ('mesh.size="1.5 mm"', [Value(1.5, "mm")]),
        ("mesh.size='1.5 mm'", [Value(1.5, "mm")]),
        ('field="5 T","6 T"', [Value(5.0, "T"), Value(6.0, "T")]),
        ('field="5 T:7 T:3"', [Value(5.0, "T"), Value(6.0, "T"), Value(7.0, "T")]),
        ('field="5 T":"7 T":3', [Value(5.0, "T"), Value(6.0, "T"), Value(7.0, "T")]),
        ('n="30",40', [Value(30.0), Value(40.0)]),
    ],
)
def test_a_value_quoted_as_a_case_file_writes_it_is_read_as_unquoted(text, values):
    axis = Axis.parse(text)
    assert axis.values == tuple(values)
    assert axis == Axis.parse(text.replace('"', "").replace("'", ""))


@pytest.mark.parametrize("text", ['mesh.size="1.5 mm', 'field=5"T', "radius='5 mm\""])
def test_an_unpaired_quote_is_refused_saying_what_to_write(text):
    with pytest.raises(ValidationError, match=r"unpaired quote .* --vary 'size=\"1\.5 mm\"'"):
        Axis.parse(text)


def test_a_refused_sweep_writes_nothing_into_a_pipe(stack_case, tmp_path, capsys):
    """The variants' transient progress bar wrote a blank line into standard output that is no
    terminal (a script reading ``fluxtrap sweep ... | ...``) before the refusal; no bar there."""
    with pytest.raises(UnitError, match="share this unit"):
        run_sweep(stack_case, [Axis.parse("stack.0.thickness=1T,2T")], out=tmp_path / "s")
    assert capsys.readouterr().out == ""


def test_a_list_of_more_values_than_a_sweep_may_have_is_refused_before_reading_them():
    # 20 000 values "1.00001 mm",... took 11 s to read before expand refused their count
    text = "n=" + ",".join(f"{20 + i / 1e5}" for i in range(10_001))
    with pytest.raises(ValidationError, match=r"^--vary n: 10001 values; .* at most 10000"):
        Axis.parse(text)


def test_a_unit_s_degree_and_micro_signs_are_spelt_in_ascii_in_the_column_names():
    """The style's ramp_rate_degC_min: "temperature_°C" was read "temperature_Â°C" where a
    spreadsheet took results.csv for Latin-1."""
    assert Axis.parse("temperature=-268 degC,-265 degC").column == "temperature_degC"
    assert Axis.parse("radius=500 um,800 um").column == "radius_um"
    assert Axis.parse("protocol.1.rate=1 degC/min").column == "protocol.1.rate_delta_degC_per_min"


def test_a_misspelt_table_of_a_dotted_path_is_named_with_the_nearest(stack_case):
    with pytest.raises(
        ValidationError, match=r"no materials.Bulk1 .*did you mean materials.bulk1\?"
    ):
        expand(
            load_case_dict(stack_case), [Axis.parse("materials.Bulk1.n=20")], (), stack_case.parent
        )


@pytest.mark.parametrize(
    "text",
    ["jc_scale=nan", "n=inf,30", "materials.bulk1.n=1e999", "radius=NaN mm", "field=7 T,-inf T"],
)
def test_a_non_finite_swept_number_is_refused_when_read(text):
    # float() read them: jc_scale=nan passed "factors must be > 0" and every variant failed
    with pytest.raises(ValidationError, match=r"is not a finite number"):
        Axis.parse(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [  # DictReader kept the last of two columns; an empty name or one after Excel's byte-order
        # mark became a path the case has not; only the first row's jc_scale was checked
        ("radius,radius\n5 mm,6 mm\n", r"line 1: the column\(s\) 'radius' appear twice"),
        ("n, n \n30,40\n", r"line 1: the column\(s\) 'n' appear twice"),
        (",n\n1,30\n", r"line 1: column 1 has no name"),
        ("jc_scale\n1\n-1\n", r"line 3, column 'jc_scale': factors must be > 0, got -1"),
        # a row given twice was two rows of one variant (run once); 0.5 cm is 5 mm
        ("radius,n\n5 mm,20\n6 mm,20\n0.5 cm,20\n", r"line 4: the same variant as line 2"),
        ("temperature\n5 K\n77 C\n", r"line 3, column 'temperature': 77 C is not a temp.*degC"),
    ],
)
def test_a_variant_list_with_a_doubled_or_unnamed_column_or_a_bad_later_row_is_refused(
    tmp_path, text, message
):
    path = tmp_path / "variants.csv"
    path.write_text(text)
    with pytest.raises((InputFileError, ValidationError, UnitError), match=message):
        read_list(path)


def test_a_variant_list_saved_with_a_byte_order_mark_reads_its_first_name(tmp_path):
    path = tmp_path / "variants.csv"
    path.write_bytes(b"\xef\xbb\xbfradius,n\n5 mm,30\n5 mm,40\n")
    assert read_list(path) == [{"radius": Value(5.0, "mm"), "n": Value(30.0)},
                               {"radius": Value(5.0, "mm"), "n": Value(40.0)}]  # fmt: skip


def test_variant_list_times_axes(stack_case, tmp_path):
    listed = tmp_path / "variants.csv"
    listed.write_text("radius,n\n12 mm,20\n1.4 cm,30\n")
    rows = read_list(listed)
    assert [r["radius"] for r in rows] == [Value(12.0, "mm"), Value(14.0, "mm")]
    variants = expand(
        load_case_dict(stack_case), [Axis.parse("temperature=5K,10K")], rows, stack_case.parent
    )
    got = [
        (v.params["radius"].magnitude, v.params["n"].magnitude, v.params["temperature"].magnitude)
        for v in variants
    ]
    assert got == [(12, 20, 5), (12, 20, 10), (14, 30, 5), (14, 30, 10)]
    listed.write_text("radius,n\n12 mm,\n")
    with pytest.raises(InputFileError, match="line 2: every column needs a value"):
        read_list(listed)
    listed.write_text("radius,nn\n12 mm,20\n")  # a misspelt column was named "--vary nn"
    with pytest.raises(ValidationError, match="^column 'nn' of the variant list: not a sweep name"):
        expand(load_case_dict(stack_case), [], read_list(listed), stack_case.parent)


@pytest.mark.timeout(30)  # 1e8 values were made, and 40 000 cases parsed one by one
def test_more_than_10000_variants_are_refused_before_any_is_built(stack_case, tmp_path):
    with pytest.raises(
        ValidationError,
        match=r"--vary 'radius=10mm:20mm:100000000': NUM must be a whole number from 1 to 10000",
    ):
        Axis.parse("radius=10mm:20mm:100000000")
    axes = [Axis.parse("radius=10mm:20mm:200"), Axis.parse("materials.bulk1.n=20:40:200")]
    with pytest.raises(
        ValidationError,
        match=r"^sweep: 40000 variants \(radius: 200 x materials.bulk1.n: 200\); at most 10000$",
    ):
        expand(load_case_dict(stack_case), axes, (), stack_case.parent)
    listed = tmp_path / "variants.csv"
    listed.write_text("n\n" + "".join(f"{20 + i / 1000}\n" for i in range(10_001)))
    with pytest.raises(InputFileError, match=r"10001 variants; a sweep may have at most 10000"):
        read_list(listed)
    listed.write_text("n\n" + "".join(f"{20 + i / 100}\n" for i in range(101)))
    with pytest.raises(ValidationError, match=r"^sweep: 20200 variants \(101 listed rows x radius"):
        expand(load_case_dict(stack_case), axes[:1], read_list(listed), stack_case.parent)


def test_building_the_variants_reports_its_progress(stack_case):
    """Parsing a variant takes ~10 ms: 10 000 took 30-80 s without a word before the sweep's
    bar; ``expand`` now says after each how many of how many are built (the CLI's bar)."""
    axes = [Axis.parse("radius=10mm:20mm:3"), Axis.parse("n=20,-1")]  # n = -1: invalid
    calls = []
    variants = expand(
        load_case_dict(stack_case), axes, (), stack_case.parent, lambda i, n: calls.append((i, n))
    )
    assert calls == [(i, 6) for i in range(1, 7)] and len(variants) == 6
    assert sum(v.case is None for v in variants) == 3  # the invalid ones are counted too


def test_a_sweep_with_failed_variants_writes_its_outputs_and_exits_1(tmp_path, capsys):
    """Failed rows are a failed command (as calibrate's unfitted series): the table and the files
    are written all the same, and stderr says how many failed and where their errors are. The
    variants here are invalid (above Tc), so no cluster starts."""
    case = tmp_path / "tiny.toml"
    case.write_text(TINY)
    out = tmp_path / "sweep"
    argv = ["sweep", str(case), "--vary", "temperature=40K,45K", "--out", str(out), "--quiet"]
    assert run(argv) == 1
    printed = capsys.readouterr()
    assert "2 variants: 0 computed, 0 from cache, 2 failed" in printed.out
    # with its swept values: under --quiet "variant 0 failed" was all that named it
    assert "variant 0 (temperature=40 K) failed: " in printed.out and "reaches Tc" in printed.out
    assert "variant 1 (temperature=45 K) failed: " in printed.out
    assert (
        f"error: 2 of 2 variants failed; their errors are in the error column of "
        f"{out / 'results.csv'}" in printed.err
    )
    table = pd.read_csv(out / "results.csv")
    assert list(table["status"]) == ["failed", "failed"] and (out / "results.json").is_file()


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (("n = 25", "n = -1"), "materials.bulk.n"),
        (('temperature = "5 K"', 'temperature = "40 K"'), "reaches Tc"),
    ],
)
def test_a_case_invalid_whatever_the_swept_values_is_refused_before_anything(
    tmp_path, capsys, edit, says
):
    """A case that is invalid itself (n = -1, above Tc, a bare-string Jc), swept over radius,
    failed every variant alike and wrote a table of failed rows; it is refused once, with
    nothing written. Swept over the
    temperature, the one above Tc stays per-variant (the value could mend it): see above."""
    case = tmp_path / "tiny.toml"
    case.write_text(TINY.replace(*edit))
    out = tmp_path / "sweep"
    argv = ["sweep", str(case), "--vary", "radius=6mm,8mm", "--out", str(out), "--quiet"]
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert "error: sweep: the case itself is not valid, whatever the swept values" in err, err
    assert says in err and not out.exists()


def test_invalid_variants_are_said_with_their_indices_before_any_runs(tmp_path, monkeypatch):
    """A thickness of 0 and one below: the 8 variants were run around and named only at the
    end, after every valid one had run; now they are said, by index and error, first."""
    from fluxtrap.workflows.sweep import runner

    class Ran(Exception):
        pass

    def compute(*args, **kwargs):
        raise Ran

    monkeypatch.setattr(runner, "_compute", compute)
    case = tmp_path / "tiny.toml"
    case.write_text(TINY)
    axes = [Axis.parse("thickness=0mm,3mm,-2mm"), Axis.parse("n=15,20,25,30")]
    with pytest.warns(UserWarning) as said, pytest.raises(Ran):
        run_sweep(case, axes, out=tmp_path / "s", progress=False)
    (text,) = [str(w.message) for w in said]
    assert text.startswith("8 of 12 variants are not valid cases and will not run")
    assert "variants 0, 1, 2, 3: ValidationError: stack[0].thickness: must be > 0, got '0.0" in text
    assert (
        "variants 8, 9, 10, 11: ValidationError: stack[0].thickness: must be > 0, got '-2" in text
    )
    axes = [Axis.parse("thickness=0mm,3mm"), Axis.parse("n=10:40:12")]  # 8 indices a group
    with pytest.warns(UserWarning) as said, pytest.raises(Ran):
        run_sweep(case, axes, out=tmp_path / "s", progress=False)
    (text,) = [str(w.message) for w in said]
    assert "variants 0, 1, 2, 3, 4, 5, 6, 7, ... (12 in all): ValidationError" in text


def test_many_failed_variants_are_printed_twenty_then_counted(tmp_path, capsys):
    """30 variants above Tc printed 30 lines (10 000 would have been 10 000); now the first 20
    and a count of the rest."""
    case = tmp_path / "tiny.toml"
    case.write_text(TINY)
    out = tmp_path / "sweep"
    argv = ["sweep", str(case), "--vary", "temperature=40K:69K:30", "--out", str(out), "--quiet"]
    assert run(argv) == 1
    printed = capsys.readouterr().out
    assert printed.count(" failed: ValidationError") == 20
    assert "variant 19 (temperature=59 K) failed: " in printed and "variant 20 " not in printed
    assert f"... and 10 more failed variants (the error column of {out / 'results.csv'})" in printed


def test_workers_with_a_scheduler_are_refused_not_ignored(tmp_path, capsys):
    case = tmp_path / "tiny.toml"
    case.write_text(TINY)
    argv = ["sweep", str(case), "--vary", "radius=6mm", "--out", str(tmp_path / "s"),
            "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"]  # fmt: skip
    assert run(argv) == 2
    assert "--workers 2 sizes a local cluster, but --scheduler tcp://127.0.0.1:1 runs on that " \
        "scheduler's workers: give one of them" in capsys.readouterr().err  # fmt: skip


def test_the_printed_table_reads_at_80_columns(tmp_path, capsys, monkeypatch):
    """Every column of results.csv in rich's table was cut to "fi…" and "0.…" at 80 columns. Now
    the swept values, each probe's final Bz ± its error, the estimate and the status, whole."""
    from fluxtrap.cli.common import console
    from fluxtrap.units import estimate_text

    monkeypatch.setattr(console, "width", 80)
    case = tmp_path / "tiny.toml"
    case.write_text(TINY)
    out = tmp_path / "sweep"
    argv = ["sweep", str(case), "--vary", "temperature=5K,45K", "--out", str(out), "--workers", "1"]
    assert run(argv) == 1  # 45 K is past Tc: that variant fails
    printed = capsys.readouterr().out.splitlines()
    head = next(i for i, line in enumerate(printed) if "surface final" in line)
    units = [c.strip() for c in printed[head + 1].split("┃")[1:-1]]
    assert units == ["#", "temperature_K", "[T]", "estimate", "[s]", "status"]
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in printed[head + 3 : head + 5]]
    t = pd.read_csv(out / "results.csv")
    done = t.iloc[0]
    reached = "" if done.accuracy_reached else " (not reached)"  # a fixed [mesh] size
    assert rows[0][:4] == [
        "0",
        "5",
        estimate_text(done.surface_final_T, done.surface_final_error_T),
        f"{done.accuracy_estimate:.2%}{reached}",
    ]
    assert rows[0][-1] == "done" and rows[1][2:4] == ["-", "-"] and rows[1][-1] == "failed"
    # not a terminal: the progress in plain lines (the 45 K variant fails before it runs)
    assert "sweep: 1 variant to run on 1 worker" in printed
    assert any(line.startswith("sweep: 1/1 variants done (0 failed), ") for line in printed)


def test_a_sweep_says_its_time_left_in_plain_lines_and_what_it_will_take():
    """A sweep gave no estimate of its time, and off a terminal (a batch job's log) nothing until
    the end. Ten variants of 10 s on two workers (a fake clock): a line after the first, at most
    every 30 s (the 7th at 40 s: 17 s left, truly 11 s), and the last, with the time left from the throughput (after 4 of 10 at 22 s:
    33 s, truly 28 s); before, the time of the variants done before (cache) per round of workers."""
    import io

    from rich.console import Console

    from fluxtrap.workflows.sweep.runner import SweepProgress, announce

    now = [0.0]
    log = io.StringIO()
    with SweepProgress(10, True, Console(file=log, width=40), lambda: now[0], 30.0) as bar:
        for finish in (10, 10.5, 20, 22, 30, 31, 40, 42, 50, 51):
            now[0] = finish
            bar.done(failed=finish == 31)
    assert log.getvalue().splitlines() == [
        "sweep: 1/10 variants done (0 failed), 0:00:10 elapsed, about 0:01:30 left",
        "sweep: 7/10 variants done (1 failed), 0:00:40 elapsed, about 0:00:17 left",
        "sweep: 10/10 variants done (1 failed), 0:00:51 elapsed",
    ]
    now[0] = 22.0
    bar.count, bar.last, bar.start = 4, 22.0, 0.0
    assert bar.left_text() == "about 0:00:33 left"
    now[0] = 40.0  # counts down between finishes, never below 0
    assert bar.left_text() == "about 0:00:15 left" and SweepProgress(3, False).left_text() == ""
    assert announce(3, 2, [], None) == "sweep: 3 variants to run on 2 workers"
    text = announce(300, 2, [40.0, 50.0, 60.0, float("nan")], 600.0)
    assert "the 3 done before took 50 s each (median): about 2:05:00 in all (a long sweep" in text
    assert text.endswith("at most 1 d 1:00:00 with the timeout")
    assert "long sweep" not in announce(10, 2, [50.0], None)


def test_sweep_on_two_workers_records_failure_and_resumes_from_cache(tmp_path, capsys):
    case = tmp_path / "tiny.toml"
    case.write_text(TINY)
    out = tmp_path / "sweep"
    axes = [
        Axis.parse("radius=6mm,10mm"),
        Axis.parse("temperature=5K,20K,40K"),
    ]  # 40 K > Tc: invalid
    result = run_sweep(case, axes, out=out, workers=2, progress=False)
    t = result.table
    assert (
        list(t["radius_mm"]) == [6, 6, 6, 10, 10, 10]
        and list(t["temperature_K"]) == [5, 20, 40] * 2
    )
    failed = t[t["temperature_K"] == 40]
    assert (failed["status"] == "failed").all() and failed["error"].str.contains("reaches Tc").all()
    done = t[t["temperature_K"] < 40]
    assert (done["status"] == "done").all() and result.computed == 4 and result.failed == 2
    assert (done["wall_s"] > 0).all() and (done["solver_time_steps"] > 0).all()
    # physics sanity: a field-cooled bulk traps a field of the applied sign, more when larger and colder
    b = done.set_index(["radius_mm", "temperature_K"])["surface_final_T"]
    assert (b > 0).all() and b[10, 5] > b[6, 5] and b[10, 5] > b[10, 20]
    assert sorted(p.name for p in (out / "cache").glob("*.json")) == sorted(
        f"{k}.json" for k in done["key"]
    )
    saved = pd.read_csv(out / "results.csv")
    assert saved.shape == t.shape and json.loads((out / "results.json").read_text())["parameters"][
        "radius"
    ] == {"column": "radius_mm", "unit": "mm", "changes": "every stack layer's radius"}
    assert (out / "trapped_surface.png").stat().st_size > 0

    # resume through the CLI: nothing is recomputed (cache files untouched), same table
    stamps = {p: p.stat().st_mtime_ns for p in (out / "cache").iterdir()}
    argv = [
        "sweep",
        str(case),
        "--vary",
        "radius=6mm,10mm",
        "--vary",
        "temperature=5K,20K,40K",
        "--out",
        str(out),
        "--quiet",
    ]
    assert run(argv) == 1  # 2 variants failed: the outputs are written all the same
    assert "6 variants: 0 computed, 4 from cache, 2 failed" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in (out / "cache").iterdir()} == stamps
    again = pd.read_csv(out / "results.csv")
    assert list(again["cached"]) == [True, True, False] * 2
    done = again[again.status == "done"]  # each probe value with its estimated error
    assert (done.surface_max_error_T >= done.surface_final_error_T).all()
    assert (done.surface_final_error_T > 0).all() and done.surface_max_error_T.notna().all()
    cols = [
        "radius_mm",
        "temperature_K",
        "surface_final_T",
        "surface_max_abs_T",
        "surface_max_abs_self_T",
        "surface_final_error_T",
        "surface_max_error_T",
        "status",
        "error",
        "key",
    ]
    pd.testing.assert_frame_equal(again[cols], saved[cols])

    # more values on an already running cluster: only the new variants run
    with LocalCluster(
        n_workers=1, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR
    ) as cluster:
        more = run_sweep(
            case,
            [Axis.parse("radius=6mm,8mm,10mm"), axes[1]],
            out=out,
            scheduler=cluster.scheduler_address,
            progress=False,
        )
    assert (more.computed, more.cached, more.failed) == (2, 4, 3)
    assert more.table[more.table["radius_mm"] == 8]["status"].tolist() == ["done", "done", "failed"]
    assert run(["sweep", str(case), "--out", str(out)]) == 2
    assert "give at least one --vary" in capsys.readouterr().err


def test_a_simulation_that_fails_on_a_worker_is_recorded_and_retried_on_request(
    tmp_path, monkeypatch, capsys
):
    """A valid variant whose solve raises on the worker: recorded as failed with its error, cached as
    failed (a plain re-run does not repeat it), and run again with ``retry_failed``. The cluster runs
    its worker in this process (``processes=False``) so that the patched solver reaches it."""
    from fluxtrap.errors import SolverError
    from fluxtrap.simulate import Simulation

    case = tmp_path / "tiny.toml"
    case.write_text(TINY)
    out = tmp_path / "sweep"
    axes = [Axis.parse("radius=6mm,10mm")]
    real_run = Simulation.run

    def fail_the_large_disk(self, progress=True, **kwargs):
        if self.case.stack[0].radius_m > 8e-3:
            raise SolverError("Newton did not converge at t = 3 s (test)")
        return real_run(self, progress=progress, **kwargs)

    with LocalCluster(
        processes=False,
        n_workers=1,
        threads_per_worker=1,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        monkeypatch.setattr(Simulation, "run", fail_the_large_disk)
        first = run_sweep(
            case, axes, out=out, scheduler=cluster.scheduler_address, progress=False,
            memory_mb=None,  # no limit: the variants run in the worker, where the patch is
        )  # fmt: skip
        assert (first.computed, first.failed) == (2, 1)
        row = first.table.set_index("radius_mm").loc[10]
        assert (
            row["status"] == "failed"
            and row["error"] == "SolverError: Newton did not converge at t = 3 s (test)"
        )
        again = run_sweep(case, axes, out=out, scheduler=cluster.scheduler_address, progress=False)
        assert (again.computed, again.cached, again.failed) == (
            0,
            2,
            1,
        )  # the failure comes from the cache

        monkeypatch.setattr(Simulation, "run", real_run)
        retried = run_sweep(
            case,
            axes,
            out=out,
            scheduler=cluster.scheduler_address,
            retry_failed=True,
            progress=True,
            memory_mb=None,
        )
    assert (retried.computed, retried.cached, retried.failed) == (1, 1, 0)
    # the scheduler's one worker, and the time the variant done before took (its cache)
    wall = first.table.set_index("radius_mm").loc[6, "wall_s"]
    printed = capsys.readouterr().out
    assert f"sweep: 1 variant to run on 1 worker; the 1 done before took {wall:.3g} s" in printed
    assert "sweep: 1/1 variants done (0 failed)" in printed
    assert (retried.table["status"] == "done").all()


RINGS = """
title = "two rings and a spacer ring, bore"
[materials.bulk]
n = 25
jc.constant = "2e4 A/cm^2"
[materials.copper]
resistivity = "2e-10 ohm*m"
[[stack]]
material = "bulk"
radius = "10 mm"
inner_radius = "4 mm"
thickness = "4 mm"
[[stack]]
material = "copper"
radius = "10 mm"
inner_radius = "4 mm"
thickness = "1 mm"
[[stack]]
material = "bulk"
radius = "10 mm"
inner_radius = "4 mm"
thickness = "4 mm"
[[protocol]]
step = "set"
field = "1 T"
temperature = "5 K"
[[protocol]]
step = "ramp_field"
to = "0 T"
rate = "0.05 T/s"
[mesh]
size = "2 mm"
[bore]
dsv = "2 mm"
"""


@pytest.mark.filterwarnings("ignore::fluxtrap.simulate.simulation.AccuracyWarning")
def test_ring_dimensions_sweep_reports_and_plots_the_bore(tmp_path):
    """inner_radius and spacer_thickness change every layer's bore and every spacer; each
    variant's row carries the bore's centre field, homogeneity and z2/z4/z6 terms, and bore.png
    plots them. Run in-process (run_case is what each Dask worker calls): a wider bore at the
    same outer radius carries less current, further from the centre, so traps less there."""
    from fluxtrap.workflows.sweep.results import results_table, write_results
    from fluxtrap.workflows.sweep.runner import run_case

    axes = [Axis.parse("inner_radius=3mm,5mm"), Axis.parse("spacer_thickness=1mm,2mm")]
    variants = expand(load_case_from_text(RINGS, tmp_path), axes, base_dir=tmp_path)
    case = variants[1].case
    assert [x.inner_radius_m for x in case.stack] == [0.003] * 3
    assert [x.thickness_m for x in case.stack] == [0.004, 0.002, 0.004]
    picked = [v for v in variants if v.params["spacer_thickness"].magnitude == 1]
    records = {v.key: run_case(v.case) for v in picked}
    table = results_table(picked, records, set(), axes)
    assert (table["status"] == "done").all(), table["error"].tolist()
    b = table.set_index("inner_radius_mm")
    assert b.loc[3, "bore_centre_T"] > b.loc[5, "bore_centre_T"] > 0.05
    assert (b["bore_homogeneity_ppm"] > 0).all() and b["bore_z2_ppm"].notna().all()
    assert "profiles" not in next(iter(records.values()))["summary"]["bore"]
    files = write_results(table, tmp_path / "out", tmp_path / "rings.toml", axes[:1])
    assert tmp_path / "out" / "bore.png" in files
    # a sweep of a case without [bore] into the same folder: the old bore.png was left there
    plain = table.drop(columns=[c for c in table if c.startswith("bore_")])
    again = write_results(plain, tmp_path / "out", tmp_path / "plain.toml", axes[:1])
    drawn = sorted(p.name for p in (tmp_path / "out").glob("*.png"))
    assert drawn == sorted(p.name for p in again if p.suffix == ".png") and "bore.png" not in drawn


@pytest.mark.filterwarnings("ignore::fluxtrap.simulate.simulation.AccuracyWarning")
def test_a_bore_sweep_carries_the_bore_s_estimated_errors(tmp_path, monkeypatch):
    """results.csv had the bore's centre field, homogeneity and drift but not their errors
    (summary.json's accuracy.bore), and the cache kept the drift without its error (for
    this ring pair with a 60 s hold: 0.0040 T, 17 ppm, 4.1e4 ppm/h): each is now a column,
    equal to the simulation's own, kept by the cache and drawn as bore.png's error bars."""
    import matplotlib.figure

    from fluxtrap.simulate import Simulation
    from fluxtrap.workflows.sweep.cache import Cache
    from fluxtrap.workflows.sweep.results import results_table
    from fluxtrap.workflows.sweep.runner import run_case

    text = RINGS.replace("[mesh]", '[[protocol]]\nstep = "hold"\nduration = "60 s"\n[mesh]')
    axes = [Axis.parse("inner_radius=3mm,4mm")]
    variants = expand(load_case_from_text(text, tmp_path), axes, base_dir=tmp_path)
    cache = Cache(tmp_path / "cache")
    for v in variants:
        cache.put(v.key, run_case(v.case), v.params)
    records = {v.key: cache.get(v.key) for v in variants}
    table = results_table(variants, records, set(), axes)
    truth = Simulation(variants[0].case).run(progress=False).summary()["accuracy"]["bore"]
    assert truth["drift_error_ppm_per_h"] > 0
    terms = truth.pop("axial_terms_error_ppm")
    for k, x in truth.items():
        assert table.loc[0, f"bore_{k}"] == pytest.approx(x, rel=1e-9)
    for term in ("z2", "z4", "z6"):
        assert table.loc[0, f"bore_{term}_error_ppm"] == pytest.approx(terms[term], rel=1e-9)
    assert table["bore_drift_error_ppm_per_h"].notna().all()
    drawn = []
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", lambda fig, *a, **k: drawn.append(fig))
    plot_sweep(table, {"inner_radius": "mm"}, tmp_path)
    (fig,) = drawn  # no probe: bore.png alone
    for ax, name in zip(fig.axes, ("centre_error_T", "homogeneity_error_ppm"), strict=True):
        (bar,) = [c for c in ax.containers if c.has_yerr]
        half = [(s[1][1] - s[0][1]) / 2 for s in bar.lines[2][0].get_segments()]
        assert half == pytest.approx(table[f"bore_{name}"].tolist(), rel=1e-9)
    # an old record without accuracy.bore reads as NaN; a damaged error is computed again
    key = variants[0].key
    accuracy = {k: x for k, x in records[key]["summary"]["accuracy"].items() if k != "bore"}
    old = {**records[key], "summary": {**records[key]["summary"], "accuracy": accuracy}}
    row = results_table(variants[:1], {key: old}, set(), axes).iloc[0]
    assert np.isnan(row["bore_centre_error_T"]) and row["bore_centre_T"] > 0
    # a pair one element across a layer: estimates it did not measure are none, said why
    unmeasured = {**records[key]["summary"]["accuracy"]["bore"], "not_measured": "stack[0] ..."}
    old["summary"]["accuracy"] = {**accuracy, "bore": unmeasured}
    row = results_table(variants[:1], {key: old}, set(), axes).iloc[0]
    assert np.isnan(row[["bore_centre_error_T", "bore_z2_error_ppm"]].astype(float)).all()
    assert row["bore_errors_not_measured"] == "stack[0] ..."
    assert table["bore_errors_not_measured"].eq("").all()
    old["summary"]["accuracy"] = {**accuracy, "bore": {"centre_error_T": "x"}}
    (tmp_path / "cache" / f"{key}.json").write_text(json.dumps(old))
    assert cache.get(key) is None


def test_a_heat_sweep_reports_each_variant_s_temperatures_with_their_errors(tmp_path):
    """An adiabatic disk ramped down at 100 T/h with two heat capacities: each row carries the
    hottest temperature and its estimated error (the sweep kept no temperatures); the smaller
    capacity heats 4x more (about the same E.J into a quarter of the capacity, Jc barely
    changed over the 0.3-1.1 K rise: 3.96 measured)."""
    from fluxtrap.workflows.sweep.results import results_table
    from fluxtrap.workflows.sweep.runner import run_case

    from .test_safe_ramp_cli import CASE

    text = (CASE % ("adiabatic", "")).replace('rate = "10 T/h"', 'rate = "100 T/h"')
    axes = [
        Axis.parse("materials.sc.heat_capacity=1e6 J/(m^3*K),4e6 J/(m^3*K)"),
        Axis.parse("mesh.size=2 mm"),
    ]
    variants = expand(load_case_from_text(text, tmp_path), axes, base_dir=tmp_path)
    records = {v.key: run_case(v.case) for v in variants}
    table = results_table(variants, records, set(), axes)
    assert (table["status"] == "done").all(), table["error"].tolist()
    table = table.set_index(next(c for c in table if c.startswith("materials.sc.heat_capacity")))
    rise = table["thermal_max_T_K"] - 5
    assert rise[1e6] / rise[4e6] == pytest.approx(4, rel=0.05) and rise[4e6] > 0.1
    assert (table["thermal_max_T_error_K"] >= 0).all()


def load_case_from_text(text: str, folder):
    path = folder / "case.toml"
    path.write_text(text)
    return load_case_dict(path)


def test_a_cache_entry_and_its_traces_are_written_whole_or_not_at_all(tmp_path, monkeypatch):
    """The traces were written in place: a sweep killed (or a disk full) half-way through left a
    cut probes.csv beside a whole entry of the same key from an earlier run."""
    from pathlib import Path

    from fluxtrap.errors import FluxtrapError
    from fluxtrap.workflows.sweep.cache import Cache

    cache = Cache(tmp_path / "cache")
    cache.put("k", {**DONE, "probes_csv": "time_s,a_Bz_T\n0,1\n"}, {})
    real_write = Path.write_text

    def full_disk(self, text, *args, **kwargs):
        real_write(self, text[:5], *args, **kwargs)  # part of it, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(FluxtrapError, match="k-probes.csv: cannot write it"):
        cache.put("k", {**DONE, "probes_csv": "time_s,a_Bz_T\n0,2\n"}, {})
    monkeypatch.undo()
    assert (tmp_path / "cache" / "k-probes.csv").read_text() == "time_s,a_Bz_T\n0,1\n"
    assert cache.get("k")["status"] == "done"
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["k-probes.csv", "k.json"]


# a done record as run_case returns it (its traces apart)
DONE = {
    "status": "done",
    "error": "",
    "wall_s": 0.3,
    "summary": {
        "probes": {"a": {"final_T": 0.43, "max_abs_T": 1.0, "final_error_T": 1e-4}},
        "solver": {"elements": 267, "wall_s": 0.2},
        "accuracy": {"target": 0.01, "estimate": 0.0135, "reached": False, "note": "missed"},
    },
}


@pytest.mark.parametrize(
    "text",
    [
        "[]",  # AttributeError: 'list' object has no attribute 'get'
        '{"status": "done"}',  # a done row of NaN
        json.dumps({**DONE, "summary": {**DONE["summary"], "probes": {"a": {"final_T": "x"}}}}),
        json.dumps({**DONE, "summary": {**DONE["summary"], "accuracy": {"estimate": "1 %"}}}),
        json.dumps({**DONE, "summary": {**DONE["summary"], "bore": {"centre_T": 1.0}}}),
        json.dumps({"status": "running"}),
        "\udcff",  # bytes that are no UTF-8
    ],
)
def test_a_damaged_cache_entry_is_computed_again(tmp_path, text):
    """A damaged or hand-edited cache entry was trusted: ``[]`` was an AttributeError in
    run_sweep, a probe value "x" a ValueError in the plot (after the whole sweep), a done entry
    without values a row of NaN; a done entry without its traces a FileNotFoundError in
    calibrate. Each is now a miss (computed again); a whole one is a hit."""
    from fluxtrap.workflows.sweep.cache import Cache

    cache = Cache(tmp_path)
    cache.put("k", {**DONE, "probes_csv": "time_s,a_Bz_T\n0,1\n"}, {})
    assert cache.get("k")["summary"] == DONE["summary"]
    (tmp_path / "k.json").write_bytes(text.encode(errors="surrogateescape"))
    assert cache.get("k") is None
    cache.put("k", {**DONE, "probes_csv": "time_s,a_Bz_T\n0,1\n"}, {})
    (tmp_path / "k-probes.csv").unlink()  # the traces are written first: without them, not whole
    assert cache.get("k") is None
    for cut in ("", "time_s,a_Bz_T\n"):  # emptied (a crash after the rename) or cut: no traces
        cache.put("k", {**DONE, "probes_csv": "time_s,a_Bz_T\n0,1\n"}, {})
        (tmp_path / "k-probes.csv").write_text(cut)
        assert cache.get("k") is None
    cache.put("k", {"status": "failed", "error": "SolverError: stopped", "wall_s": 1.0}, {})
    assert cache.get("k")["error"] == "SolverError: stopped"  # a failure needs no traces


def test_a_cache_entry_copied_under_another_key_is_computed_again(tmp_path):
    """An entry copied or renamed to another variant's key (its json and traces) was trusted as
    that variant's result: the other variant's row read the first's fields. The entry now names
    its key, and one under another key is a miss."""
    import shutil

    from fluxtrap.workflows.sweep.cache import Cache

    cache = Cache(tmp_path)
    cache.put("a", {**DONE, "probes_csv": "time_s,a_Bz_T\n0,1\n"}, {"radius": Value(6, "mm")})
    for end in (".json", "-probes.csv"):
        shutil.copy(tmp_path / f"a{end}", tmp_path / f"b{end}")
    assert cache.get("a")["summary"] == DONE["summary"]
    assert cache.get("b") is None
    moved = json.loads((tmp_path / "a.json").read_text())
    del moved["key"]  # an entry that names no key cannot be checked: computed again too
    (tmp_path / "a.json").write_text(json.dumps(moved))
    assert cache.get("a") is None


def test_partial_files_a_killed_sweep_left_are_removed_by_the_next_run_alone(tmp_path):
    """A sweep killed mid-write (kill -9) left its hidden .partial files in the cache and its
    staged results folder in --out, and no run ever removed them. The next sweep into the
    folder removes them once it holds it; one refused because another run holds it does not,
    and other hidden files stay."""
    from fluxtrap.errors import ConflictError
    from fluxtrap.outputs import claimed
    from fluxtrap.workflows.sweep.cache import Cache

    case = tmp_path / "tiny.toml"
    case.write_text(TINY)
    axes = [Axis.parse("radius=6mm")]
    out = tmp_path / "sweep"
    cache = Cache(out / "cache")
    (v,) = expand(load_case_dict(case), axes, base_dir=tmp_path)
    cache.put(v.key, {"status": "failed", "error": "SolverError: x", "wall_s": 1.0}, v.params)
    left = [
        out / "cache" / f".{v.key}.json.0a1b2c3d.partial",
        out / "cache" / f".{v.key}-probes.csv.0a1b2c3d.partial",
        out / "cache" / ".fluxtrap-0a1b2c3d.partial",
        out / ".partial-0a1b2c3d" / "results.csv",
    ]
    kept = [out / "cache" / ".notes", out / ".partial-notes"]
    for path in left + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("time_s,a_Bz_T\n0,")
    with claimed(out), pytest.raises(ConflictError):  # a live run owns them
        run_sweep(case, axes, out=out, progress=False)
    assert all(p.exists() for p in left)
    result = run_sweep(case, axes, out=out, progress=False)  # a cache hit: no cluster
    assert result.cached == 1
    assert [p for p in left if p.exists()] == [] and not (out / ".partial-0a1b2c3d").exists()
    assert all(p.exists() for p in kept)


def test_a_variant_below_its_accuracy_target_is_said_in_its_record_not_warned(tmp_path):
    """A fixed coarse mesh misses 1 %: each worker printed an AccuracyWarning per variant (36 in
    a 36-run calibration); the record keeps the target, the estimate and ``reached`` instead,
    and the table has them as columns."""
    import warnings

    from fluxtrap.simulate import Case
    from fluxtrap.simulate.simulation import AccuracyWarning
    from fluxtrap.workflows.sweep.runner import run_case

    case = tmp_path / "tiny.toml"
    case.write_text(TINY.replace('"2 mm"', '"4 mm"'))
    with warnings.catch_warnings():
        warnings.simplefilter("error", AccuracyWarning)
        record = run_case(Case.from_toml(case))
    assert record["status"] == "done", record["error"]
    accuracy = record["summary"]["accuracy"]
    assert accuracy["reached"] is False and accuracy["estimate"] > accuracy["target"] == 0.01
    assert "not reached" in accuracy["note"] and set(accuracy) == {
        "target", "estimate", "reached", "note"
    }  # fmt: skip


def test_the_trapped_field_plot_draws_each_estimated_error(tmp_path, monkeypatch):
    """trapped_<probe>.png: each final field with its estimated discretization error as an
    error bar (results.csv has it; the plot drew bare points)."""
    import matplotlib.figure

    table = pd.DataFrame(
        {
            "radius_mm": [10.0, 15.0, 20.0] * 2,
            "jc_scale": [0.8] * 3 + [1.0] * 3,
            "center_final_T": [2.08, 2.56, 2.89, 2.44, 2.99, 3.37],
            "center_final_error_T": [0.006, 0.010, 0.007, 0.0057, 0.012, 0.0086],
        }
    )
    drawn = []
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", lambda fig, *a, **k: drawn.append(fig))
    plot_sweep(table, {"radius": "mm", "jc_scale": ""}, tmp_path)
    (fig,) = drawn
    bars = [c for c in fig.axes[0].containers if c.has_yerr]
    assert len(bars) == 2  # one line per jc_scale
    for bar, (_, part) in zip(bars, table.groupby("jc_scale"), strict=True):
        segments = bar.lines[2][0].get_segments()  # each bar: (x, y - err) .. (x, y + err)
        half = [(s[1][1] - s[0][1]) / 2 for s in segments]
        assert half == pytest.approx(part["center_final_error_T"].tolist(), rel=1e-9)
    assert "error" in fig.axes[0].get_ylabel()


def test_failed_variants_are_marked_on_the_plot_and_log_spaced_rates_on_a_log_axis(
    tmp_path, monkeypatch
):
    """Ramp rates 1e-3 ... 1 T/s, two of six variants failed: the failed ones were left out of
    trapped_<probe>.png without a mark (as if never swept), and the rates sat on a linear axis
    (three of four at its left edge)."""
    import matplotlib.figure

    table = pd.DataFrame(
        {
            "protocol.1.rate_T_per_s": [1e-3, 1e-2, 1e-1, 1.0] * 2,
            "n": [15] * 4 + [30] * 4,
            "top_final_T": [0.30, 0.31, np.nan, 0.33, 0.35, 0.36, 0.37, np.nan],
            "top_final_error_T": [0.001, 0.001, np.nan, 0.002, 0.001, 0.001, 0.001, np.nan],
        }
    )
    drawn = []
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", lambda fig, *a, **k: drawn.append(fig))
    plot_sweep(table, {"protocol.1.rate": "T/s", "n": ""}, tmp_path)
    (fig,) = drawn
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    (marks,) = [line for line in ax.lines if line.get_marker() == "x"]
    assert list(marks.get_xdata()) == [0.1, 1.0]
    labels = [t.get_text() for t in ax.get_legend().texts]
    assert "2 of 8 without a value (failed: results.csv)" in labels and "n = 30" in labels
    drawn.clear()
    plot_sweep(table.assign(n=15).iloc[[0, 1, 3]], {"protocol.1.rate": "T/s", "n": ""}, tmp_path)
    assert drawn[0].axes[0].get_xscale() == "log" and drawn[0].axes[0].get_legend() is None
    drawn.clear()
    linear = table.assign(**{"protocol.1.rate_T_per_s": [1.0, 2.0, 3.0, 4.0] * 2})
    plot_sweep(linear, {"protocol.1.rate": "T/s", "n": ""}, tmp_path)
    assert drawn[0].axes[0].get_xscale() == "linear"


def test_a_cache_folder_that_cannot_be_written_is_refused_before_any_run(tmp_path):
    """A file where ``OUT/cache`` should be was a NotADirectoryError traceback (and a cache that
    could not be written failed at the first finished variant, losing it): refused, naming the
    folder, before a cluster starts; an entry that cannot be read (a folder in its place) is a
    miss, not a traceback."""
    from fluxtrap.errors import FluxtrapError
    from fluxtrap.workflows.sweep.cache import Cache

    case = tmp_path / "tiny.toml"
    case.write_text(TINY)
    (tmp_path / "sweep").mkdir()
    (tmp_path / "sweep" / "cache").write_text("not a folder")
    with pytest.raises(FluxtrapError, match=r"sweep/cache: the sweep's cache cannot be written"):
        run_sweep(case, [Axis.parse("radius=6mm,10mm")], out=tmp_path / "sweep", progress=False)
    assert (tmp_path / "sweep" / "cache").read_text() == "not a folder"  # left as it was
    (tmp_path / "entries" / "k.json").mkdir(parents=True)
    assert Cache(tmp_path / "entries").get("k") is None


def test_a_result_that_cannot_be_cached_is_warned_of_and_kept_in_the_results(tmp_path, monkeypatch):
    """An entry that could not be written (here a folder in its place) aborted the whole sweep
    after the run, losing the variants still running: the others are now cached, the one is kept
    in the table and said not to be cached."""
    from fluxtrap.workflows.sweep import runner

    case = tmp_path / "tiny.toml"
    case.write_text(TINY)
    out = tmp_path / "sweep"
    axes = [Axis.parse("radius=6mm,10mm")]
    first, second = expand(load_case_dict(case), axes, (), tmp_path)
    (out / "cache" / f"{first.key}.json").mkdir(parents=True)

    def failing(case, timeout_s=None, memory_mb=None):  # fast: a failure is cached too
        return {"status": "failed", "error": "SolverError: stopped (test)", "wall_s": 0.1}

    monkeypatch.setattr(runner, "run_case", failing)
    with (
        in_process_cluster() as cluster,
        pytest.warns(UserWarning, match=r"variant 0 \(radius=6 mm\) is not cached"),
    ):
        result = run_sweep(case, axes, out=out, scheduler=cluster.scheduler_address, progress=False)
    assert list(result.table["error"]) == ["SolverError: stopped (test)"] * 2
    assert (out / "cache" / f"{second.key}.json").is_file()


def in_process_cluster() -> LocalCluster:
    """A cluster of one worker thread in this process: a patched ``runner.run_case`` reaches it."""
    return LocalCluster(
        processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None,
        silence_logs=logging.ERROR,
    )  # fmt: skip


def test_two_sweeps_with_other_limits_on_one_scheduler_get_each_its_own_records(
    tmp_path, monkeypatch
):
    """A variant's Dask key named its case only: a sweep with another --timeout while the first
    ran on the shared scheduler was given the first's record (here, its timeout)."""
    import time

    from distributed import Client

    from fluxtrap.workflows.sweep import runner

    monkeypatch.setattr(runner, "run_case", _echo_limits)
    case = tmp_path / "tiny.toml"
    case.write_text(TINY)
    axes = [Axis.parse("radius=6mm")]
    results = {}

    def sweep(timeout_s: float, address: str) -> None:
        out = tmp_path / f"sweep{timeout_s:g}"
        results[timeout_s] = run_sweep(
            case, axes, out=out, scheduler=address, progress=False, timeout_s=timeout_s
        )

    with in_process_cluster() as cluster, Client(cluster.scheduler_address) as watcher:
        threads = []
        for timeout_s, tasks in ((60.0, 1), (90.0, 2)):  # the second sweep's task comes in too
            threads.append(
                threading.Thread(target=sweep, args=(timeout_s, watcher.scheduler.address))
            )
            threads[-1].start()
            deadline = time.monotonic() + 3
            while (
                len(watcher.run_on_scheduler(_task_names)) < tasks and time.monotonic() < deadline
            ):
                time.sleep(0.02)
        RELEASE.set()
        for t in threads:
            t.join(20)
    assert [results[t].table["error"].tolist() for t in (60.0, 90.0)] == [["60"], ["90"]]


RELEASE = threading.Event()  # _echo_limits's runs are held until it is set


def _echo_limits(case, timeout_s=None, memory_mb=None):
    """A failed record whose error is the ``timeout_s`` it was run with (module-level: a worker
    pickles it by name)."""
    RELEASE.wait(10)
    return {"status": "failed", "error": f"{timeout_s:g}", "wall_s": 0.1}


def _task_names(dask_scheduler) -> list[str]:
    return list(dask_scheduler.tasks)


def test_ctrl_c_at_the_terminal_stops_the_sweep_not_its_workers():
    """A Ctrl-C reaches every process of the terminal's group: each worker of the local cluster,
    its nanny's loop and the forkserver printed a KeyboardInterrupt traceback (84 lines of
    stderr above the line saying what was kept). The workers now ignore it (the sweep's own
    process stops and closes them); this process's handler is as it was."""
    import os
    import signal
    import time

    from fluxtrap.workflows.sweep.runner import _client

    handler = signal.getsignal(signal.SIGINT)
    with _client(None, 1) as client:
        assert signal.getsignal(signal.SIGINT) is handler
        before = client.run(os.getpid)
        (pid,) = before.values()
        os.kill(pid, signal.SIGINT)
        time.sleep(0.5)
        assert client.run(os.getpid) == before  # the same worker, alive


# a sweep whose Ctrl-C reaches its process group (as a terminal's does) as its local cluster starts
CTRL_C_AT_START = """
import os, signal, sys
import distributed
started = distributed.LocalCluster
def ctrl_c_then_start(*args, **kwargs):
    os.killpg(os.getpgrp(), signal.SIGINT)
    return started(*args, **kwargs)
distributed.LocalCluster = ctrl_c_then_start
from fluxtrap.cli import main
sys.argv = ["fluxtrap", "sweep", *sys.argv[1:]]
main()
"""


@pytest.mark.timeout(120)
def test_a_ctrl_c_while_the_local_cluster_starts_stops_the_sweep(tmp_path):
    """A Ctrl-C in the 2-5 s the local cluster takes to start was lost (SIGINT was ignored then,
    for the workers to inherit): the sweep went on to the end, exit 0. It now stops it once
    the cluster is up, closed, with the usual message, exit 130, no tracebacks, nothing run or
    written but the cache folder."""
    import os
    import subprocess
    import sys

    case, out = tmp_path / "tiny.toml", tmp_path / "sweep"
    case.write_text(TINY)
    args = [str(case), "--out", str(out), "--vary", "radius=6mm", "--workers", "1", "--quiet"]
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", CTRL_C_AT_START, *args], env=env, capture_output=True, text=True,
        timeout=100, start_new_session=True,  # its own process group: the Ctrl-C reaches it alone
    )  # fmt: skip
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr.startswith("interrupted: the variants done so far are kept in")
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["cache"] and not any((out / "cache").iterdir())


@pytest.mark.timeout(60)  # it waited for ever
def test_a_sweep_whose_cluster_has_no_worker_ends_its_waiting_runs_as_failed(tmp_path, monkeypatch):
    """A scheduler whose only worker died (or where none joined) kept the runs waiting without a
    word for ever; after ``NO_WORKERS_S`` without a worker they are failed rows saying why, not
    cached (the same command runs them once workers are back)."""
    from fluxtrap.workflows.sweep import runner

    monkeypatch.setattr(runner, "NO_WORKERS_S", 1.0)
    case = tmp_path / "tiny.toml"
    case.write_text(TINY)
    out = tmp_path / "sweep"
    with (
        LocalCluster(
            n_workers=0, processes=False, dashboard_address=None, silence_logs=logging.ERROR
        ) as cluster,
        pytest.warns(UserWarning, match="has no workers yet"),
    ):
        result = run_sweep(
            case, [Axis.parse("radius=6mm,10mm")], out=out, scheduler=cluster.scheduler_address,
            progress=False,
        )  # fmt: skip
    assert (
        result.failed == 2
        and result.table["error"]
        .str.contains(
            r"FluxtrapError: no Dask worker at \w+://.* for 1 s \(the workers died or none joined\)"
        )
        .all()
    )
    assert result.computed == 0  # "2 computed": none ran
    assert not list((out / "cache").glob("*.json"))


def test_a_local_cluster_says_nothing_of_a_busy_port_8787(tmp_path):
    """Two sweeps at once (or anything else on port 8787): the local scheduler's HTTP server,
    started even without its dashboard, took 8787 by default and warned "Port 8787 is already
    in use. Perhaps you already have a cluster running?", printed as the first line of a
    sweep's stderr (seen in a fresh-clone CI beside another test's cluster). It now takes any
    free port, with nothing said."""
    import socket
    import warnings

    case = tmp_path / "tiny.toml"
    case.write_text(TINY)
    with socket.socket() as busy:
        try:
            busy.bind(("", 8787))
            busy.listen()
        except OSError:  # already taken: the case under test all the same
            pass
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            result = run_sweep(
                case, [Axis.parse("radius=6mm")], out=tmp_path / "sweep", workers=1, progress=False
            )
    assert result.failed == 0
    assert not [w for w in said if "already in use" in str(w.message)], [
        str(w.message) for w in said
    ]


def test_a_cluster_whose_last_worker_dies_is_said_at_once_with_the_runs_left(monkeypatch):
    """A worker killed mid-sweep: the sweep said nothing until its runs failed, NO_WORKERS_S
    (10 min) later; now it warns as soon as the cluster has no worker, naming the runs left."""
    import distributed

    from fluxtrap.workflows.sweep import runner

    class Pending:  # as_completed of futures that never finish
        def __init__(self, futures):
            pass

        def is_empty(self):
            return False

        def next_batch(self, block):
            return []

    class Client:  # one worker at first, then none
        def __init__(self):
            self.asked = 0

        def nthreads(self):
            self.asked += 1
            return {"tcp://w:1": 1} if self.asked <= 2 else {}

        def cancel(self, futures):
            pass

    class Future:
        def done(self):
            return False

    monkeypatch.setattr(distributed, "as_completed", Pending)
    monkeypatch.setattr(runner, "NO_WORKERS_S", 2.0)
    futures = {Future(): 1e-3, Future(): 1e-2}
    client = Client()
    with pytest.warns(UserWarning) as said:
        ends = runner.finished(client, futures, "tcp://head:8786")  # named by str
        lost = [why for _, why in ends]
    assert len(said) == 1 and str(said[0].message) == (
        "the Dask cluster at tcp://head:8786 has no worker left (they died or were stopped): "
        "the 2 runs not finished (0.001, 0.01) wait for one, and fail if none has "
        "joined within 2 s"
    )
    assert len(lost) == 2 and all(
        why.startswith("no Dask worker at tcp://head:8786") for why in lost
    )
