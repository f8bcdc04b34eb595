"""Readers on the eight real Quantum Design files (numbers from shared/data/mpms/README.md) and bad inputs."""

import csv
import os
import re
import warnings

import numpy as np
import pytest

from fluxtrap.errors import AnalysisError, InputFileError, UnitError, ValidationError
from fluxtrap.magnetometry.readers import read
from fluxtrap.magnetometry.readers._columns import ReadNoteWarning
from fluxtrap.magnetometry.table import MU0, MeasurementTable, TableMetadata, TruncatedFileWarning
from fluxtrap.units import Q_

OE = 1e-4  # T per Oe (mu0 * H)

# file: instrument, mode, kind, (Tmin, Tmax) K, (Bmin, Bmax) Oe, rows, sample, comments, mass mg
README = {
    "mpms3_vsm_mh_CoCp2-ErCOT2_5K.dat": (
        "MPMS3",
        "VSM",
        "mh_loop",
        (5.0, 5.0),
        (-70000, 70000),
        3407,
        "[CoCp2star][ErCOT2]",
        (),
        10.1,
    ),
    "mpms3_dc_mh_KMK282_5K-300K_tabsep.dat": (
        "MPMS3",
        "DC",
        "mh_loop",
        (5.0, 300.0),
        (-70000, 70000),
        719,
        "KMK282",
        ("MvsH, 5", "MvsH, 300"),
        0.7,
    ),
    "mpms3_dc_zfcfc_KMK232_100Oe.dat": (
        "MPMS3",
        "DC",
        "mt_curve",
        (5.0, 300.0),
        (100, 100),
        504,
        "KMK232",
        (),
        1.6,
    ),
    "mpms3_vsm_zfc_sample4_100Oe.dat": (
        "MPMS3",
        "VSM",
        "mt_curve",
        (5.0, 310.0),
        (100, 100),
        1893,
        "sample4",
        ("ZFC, 100",),
        2.875,
    ),
    "mpms3_vsm_mh_film-A2481_3K.dat": (
        "MPMS3",
        "VSM",
        "mh_loop",
        (3.0, 3.0),
        (-70000, 70000),
        199,
        "A2481",
        (),
        None,
    ),
    "mpms3_vsm_mt_film-A2481_100Oe_zfc-warming.dat": (
        "MPMS3",
        "VSM",
        "mt_curve",
        (3.0, 400.0),
        (100, 100),
        688,
        "A2481",
        (),
        None,
    ),
    "mpms3_vsm_mh_film-S1_5K.dat": (
        "MPMS3",
        "VSM",
        "mh_loop",
        (5.0, 5.0),
        (-20000, 20000),
        210,
        "S1",
        (),
        None,
    ),
    "mpmsxl_dc_mt_pb6051_1000Oe.dat": (
        "MPMS-XL",
        "DC",
        "mt_curve",
        (2.0, 15.0),
        (1000, 1000),
        42,
        "pb6051",
        (),
        48.4,
    ),
}


@pytest.mark.parametrize("name", sorted(README))
def test_real_file_matches_readme(name, mpms_file):
    instrument, mode, kind, (t0, t1), (b0, b1), rows, sample, comments, mass_mg = README[name]
    path = mpms_file(name)
    table = read(path)
    assert (table.metadata.instrument, table.metadata.mode, table.kind) == (instrument, mode, kind)
    assert len(table) == rows
    assert table.metadata.sample_name == sample
    assert tuple(text for _, text in table.comments) == comments
    # README rounds temperatures to 0.1 K at low T and to ~1% at high T; fields are nominal
    # (70046 Oe max in one file, 99.6 Oe for "100 Oe" in another): 0.5%
    assert np.nanmin(table.temperature_K) == pytest.approx(t0, rel=0.01, abs=0.05)
    assert np.nanmax(table.temperature_K) == pytest.approx(t1, rel=0.01, abs=0.05)
    assert table.field_T.min() == pytest.approx(b0 * OE, rel=5e-3)
    assert table.field_T.max() == pytest.approx(b1 * OE, rel=5e-3)
    assert np.isfinite(table.moment_Am2).all() and np.isfinite(table.time_s).all()
    if mass_mg is None:
        assert table.metadata.mass_kg is None
    else:
        assert table.metadata.mass_kg == pytest.approx(mass_mg * 1e-6)
    # the same bytes give the same table (the store re-derives from raw bytes)
    again = read(path.read_bytes(), filename=name)
    np.testing.assert_array_equal(again.moment_Am2, table.moment_Am2)
    assert again.metadata.filename == name


def test_units_emu_and_oe_to_si(mpms_file):
    """First data row of the CoCp2 file: 0.0855530723929405 Oe, -4.54329230154851E-5 emu (read off the file)."""
    table = read(mpms_file("mpms3_vsm_mh_CoCp2-ErCOT2_5K.dat"))
    assert table.field_T[0] == pytest.approx(0.0855530723929405e-4, rel=1e-12)
    assert table.H_A_m[0] == pytest.approx(0.0855530723929405 * 1000 / (4 * np.pi), rel=1e-12)
    assert table.moment_Am2[0] == pytest.approx(-4.54329230154851e-5 * 1e-3, rel=1e-12)
    assert table.line[0] == 42  # [Data] on line 40, column names on 41


def test_dc_moment_column_and_override(mpms_file):
    path = mpms_file("mpms3_dc_zfcfc_KMK232_100Oe.dat")
    free = read(path)
    fixed = read(path, columns={"moment": "DC Moment Fixed Ctr (emu)"})
    assert free.metadata.columns["moment"] == "DC Moment Free Ctr (emu)"
    assert fixed.metadata.columns["moment"] == "DC Moment Fixed Ctr (emu)"
    assert not np.array_equal(free.moment_Am2, fixed.moment_Am2)


def test_a_qd_column_mapped_without_a_unit_asks_for_its_unit(mpms_file):
    """A .dat column mapped as the moment with no unit in its name said only "has no unit in
    its name": it now says how to write one and which units."""
    path = mpms_file("mpms3_dc_zfcfc_KMK232_100Oe.dat")
    with pytest.raises(InputFileError) as err:
        read(path, columns={"moment": "Comment"})
    said = str(err.value)
    assert "line 41: column 'Comment' has no unit in its name; name its unit" in said
    assert "'Comment (emu)', 'Comment [emu]' or Comment_emu (units such as emu, A*m^2)" in said


def test_mpmsxl_info_order(mpms_file):
    info = read(mpms_file("mpmsxl_dc_mt_pb6051_1000Oe.dat")).metadata.info
    assert info["NAME"] == "pb6051" and info["WEIGHT"] == "48.400"
    assert info["SEQUENCE FILE"] == "pb6051.seq"


def test_tab_file_info(mpms_file):
    info = read(mpms_file("mpms3_dc_mh_KMK282_5K-300K_tabsep.dat")).metadata.info
    assert info["SAMPLE_MATERIAL"] == "KMK282"
    assert info["APPNAME"].startswith("MPMS3 Measurement Release 1.1.16 Build 424")


def test_a_file_cut_inside_a_row_is_read_without_it_and_names_the_line(mpms_file):
    """A cut .dat failed as a whole ("line 142: only 38 of 89 cells (file truncated?)"); its rows up to
    the cut are read now, the cut one left out with a warning naming file and line."""
    content = mpms_file("mpms3_vsm_mh_film-A2481_3K.dat").read_bytes()
    whole = read(content, filename="whole.dat")
    cut = content[: len(content) // 2]  # ends inside a data row
    last_line = cut.count(b"\n") + 1
    with pytest.warns(TruncatedFileWarning, match=rf"^cut\.dat: left out line {last_line}, the"):
        table = read(cut, filename="cut.dat")
    assert table.metadata.unterminated_line == last_line
    assert table.line.max() < last_line and table.line.tolist() == [
        n for n in whole.line.tolist() if n < last_line
    ]
    np.testing.assert_array_equal(table.moment_Am2, whole.moment_Am2[: len(table)])
    with pytest.raises(InputFileError, match=r"no '\[Data\]' line"):
        read(content[:500], filename="head.dat")


def test_a_dat_cut_above_its_column_names_is_read_and_below_them_is_named(mpms_file):
    """A real .dat with its header and '[Data]' line cut off (starting at its column names) was
    read as a CSV and refused for its 4 time columns, then its 4 field and 5 temperature columns,
    one mapping asked for at a time; it is read as a Quantum Design data block now, its arrays
    those of the whole file, lines counted from its own first, with a warning naming it, kept in
    its metadata's read_notes. Cut below the names, it was "column '0' appears twice"; now the
    names are said to be missing."""
    content = mpms_file("mpms3_vsm_mh_film-A2481_3K.dat").read_bytes()
    lines = content.splitlines(keepends=True)
    names = next(i for i, ln in enumerate(lines) if ln.startswith(b"[Data]")) + 1
    whole = read(content, filename="whole.dat")
    with pytest.warns(
        TruncatedFileWarning, match=r"^cut\.dat: no '\[Header\]' section: the file"
    ) as said:
        headless = read(b"".join(lines[names:]), filename="cut.dat")
    # kept with the table, as the store and an upload's answer show it (it had been lost there)
    assert headless.metadata.read_notes == (str(said[0].message),)
    for got, want in (
        (headless.moment_Am2, whole.moment_Am2),
        (headless.field_T, whole.field_T),
        (headless.temperature_K, whole.temperature_K),
        (headless.time_s, whole.time_s),
        (headless.line, whole.line - names),
    ):
        np.testing.assert_array_equal(got, want)
    assert headless.metadata.columns == whole.metadata.columns
    plain = (
        "Time Stamp (sec),Temperature (K),Magnetic Field (Oe),Moment (emu)\n1,5,0,0.1\n2,5,9,0.2\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a CSV of a few QD names, no Comment: the CSV reader's
        assert read(plain.encode(), filename="mine.csv").metadata.instrument == "table"
    with pytest.raises(
        InputFileError,
        match=r"^cut\.dat, line 1: the first row holds numbers \('.*'\), not column ",
    ):
        read(b"".join(lines[names + 1 :]), filename="cut.dat")


def test_a_moment_and_its_error_column_swapped_are_named_as_such(mpms_file):
    """The real film-S1 loop with its 'Moment (emu)' and 'M. Std. Err. (emu)' names swapped was
    read, its moments taken as error bars, and refused as 'no irreversible magnetization'; a
    negative standard error is now refused at its line and column as the moment's column."""
    content = mpms_file("mpms3_vsm_mh_film-S1_5K.dat").read_bytes()
    whole = read(content, filename="whole.dat")
    names = b"Moment (emu),M. Std. Err. (emu)"
    assert content.count(names) == 1
    swapped = content.replace(names, b"M. Std. Err. (emu),Moment (emu)")
    first = int(whole.line[np.flatnonzero(whole.moment_Am2 < 0)[0]])
    with pytest.raises(
        InputFileError,
        match=rf"^s\.dat, line {first}, column 'M\. Std\. Err\. \(emu\)': a moment error of "
        r"-[\d.e-]+ emu is negative .* does this column hold the moment",
    ):
        read(swapped, filename="s.dat")


@pytest.mark.parametrize("name", ["loop.csv", "loop.dat"])
def test_a_last_line_without_a_line_end_is_left_out_with_a_warning(name):
    """A file cut inside its last number ("3.25e-3" as "3.2") was read with the cut value. A
    last line without a line end is that mark: the row is left out, saying so and why; a file
    that ends with its line end (LF, CRLF or CR) keeps every row."""
    head = b"" if name.endswith(".csv") else (
        b"[Header]\r\nTITLE,x\r\nBYAPP,MPMS3 w/ AC,1.0,1.1\r\n[Data]\r\n"
        b"Comment,Time Stamp (sec),"
    )  # fmt: skip
    cols = b"H (Oe),m (emu),T (K)" if name.endswith(".csv") else (
        b"Temperature (K),Magnetic Field (Oe),Moment (emu)"
    )  # fmt: skip
    prefix = b"" if name.endswith(".csv") else b",1,"
    rows = [b"5,0,0", b"5,100,1e-3", b"5,200,3.25e-3"]
    if name.endswith(".csv"):
        rows = [b"0,0,5", b"100,1e-3,5", b"200,3.25e-3,5"]
    body = head + cols + b"\r\n" + b"\r\n".join(prefix + r for r in rows)
    lines = body.count(b"\n") + 1
    with pytest.warns(TruncatedFileWarning) as caught:
        table = read(body[:-3], filename=name)  # cut inside 3.25e-3 -> "3.2" (emu)
    assert [str(w.message) for w in caught] == [
        f"{name}: left out line {lines}, the last: it has no line end, so the file may have "
        "been cut while written or copied and the row's last number cut short (end the file "
        "with a line end to keep the row)"
    ]
    np.testing.assert_allclose(table.moment_Am2, [0, 1e-6])
    assert table.metadata.unterminated_line == lines
    assert table.metadata.to_dict()["unterminated_line"] == lines
    for end in (b"\r\n", b"\n", b"\r"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            whole = read(body + end, filename=name)
        np.testing.assert_allclose(whole.moment_Am2, [0, 1e-6, 3.25e-6])
        assert whole.metadata.unterminated_line is None
    with warnings.catch_warnings():  # a last comment or blank line without its end: no row
        warnings.simplefilter("error")
        assert len(read(body + b"\r\n   ", filename=name)) == 3
        if name.endswith(".csv"):
            assert len(read(body + b"\n# end", filename=name)) == 3


def test_wrong_instrument_file():
    ppms_resistivity = (
        b"[Header]\nTITLE,R(T)\nBYAPP,PPMS Resistivity\n[Data]\n"
        b"Comment,Time Stamp (sec),Temperature (K),Magnetic Field (Oe),Resistance Ch1 (Ohms)\n"
        b",1.0,300,0,12.5\n"
    )
    with pytest.raises(InputFileError, match=r"r\.dat, line 5: no moment column"):
        read(ppms_resistivity, filename="r.dat")
    with pytest.raises(InputFileError, match="not a format fluxtrap reads"):
        read(b"\x89PNG\r\n\x1a\n\x00\x00", filename="image.png")


def test_binary_data_is_refused_as_binary(mpms_file, tmp_path):
    """A real .dat gzip-compressed and random bytes, renamed .dat or .csv, had been read as text:
    'line 1: no field column found among' a header of garbage characters. Refused as binary,
    naming the file, the first control character and a compressed format by its first bytes."""
    import gzip

    zipped = gzip.compress(mpms_file("mpms3_vsm_mh_film-A2481_3K.dat").read_bytes())
    noise = np.random.default_rng(0).integers(0, 256, 20_000, dtype=np.uint8).tobytes()
    for name in ("x.dat", "x.csv"):
        (tmp_path / name).write_bytes(zipped)
        with pytest.raises(InputFileError, match=rf"^{name}: binary data, not text: control "
                           r"character 0x1f at character 1 \(gzip-compressed"):  # fmt: skip
            read(tmp_path / name)
        with pytest.raises(InputFileError, match=rf"^{name}: binary data, not text: control"):
            read(noise, filename=name)


def test_a_row_in_another_delimiter_is_refused_not_skipped_as_a_comment(mpms_file):
    """The real TAB-delimited DC file with its first data row appended comma-delimited (a row
    of another export pasted in): its one cell was read as a comment row and the point left
    out with no word (719 rows). Refused at its line; the file's own comment rows ("MvsH, 5")
    still read as comments."""
    content = mpms_file("mpms3_dc_mh_KMK282_5K-300K_tabsep.dat").read_bytes()
    lines = content.split(b"\n")
    first = next(i for i, ln in enumerate(lines) if ln.startswith(b"[Data]")) + 2
    row = next(ln for ln in lines[first:] if ln.count(b"\t") > 10 and b"MvsH" not in ln)
    pasted = content + row.rstrip(b"\r").replace(b"\t", b",") + b"\r\n"
    with pytest.raises(InputFileError, match=rf"^x\.dat, line {len(lines)}: a row whose cells are "
                       r"separated by ',', not the file's '\\t' \(\d+ numbers"):  # fmt: skip
        read(pasted, filename="x.dat")
    table = read(content, filename="x.dat")
    assert len(table) == 719 and [text for _, text in table.comments] == ["MvsH, 5", "MvsH, 300"]


def test_non_numeric_cell_names_line_and_column():
    content = (
        b"[Header]\r\nBYAPP,MPMS3 w/ AC,1.0,1.1\r\n[Data]\r\n"
        b"Comment,Time Stamp (sec),Temperature (K),Magnetic Field (Oe),Moment (emu)\r\n"
        b",1,5,100,1e-3\r\n,2,5,abc,2e-3\r\n"
    )
    with pytest.raises(
        InputFileError,
        match=r"x\.dat, line 6, column 'Magnetic Field \(Oe\)': 'abc' is not a number",
    ):
        read(content, filename="x.dat")


def test_a_decimal_comma_is_named_as_one():
    """A European spreadsheet's export (';' between cells, ',' as the decimal point) is refused
    at its line and column with the value written as it should be; "abc" gets no such hint."""
    with pytest.raises(
        InputFileError,
        match=r"eu\.csv, line 2, column 'm \(emu\)': '-8,02e-06' is not a number "
        r"\(a decimal comma\? write '-8\.02e-06', with a point\)",
    ):
        read(b"H (Oe);m (emu)\n0;-8,02e-06\n1000;1,5e-05\n", filename="eu.csv")
    with pytest.raises(InputFileError, match=r"'abc' is not a number$"):
        read(b"H (Oe);m (emu)\n0;abc\n", filename="eu.csv")
    with pytest.raises(InputFileError, match=r"'1,500' is not a number \(a thousands separator or"):
        read(b"H (Oe);m (emu)\n1,500;1e-3\n", filename="eu.csv")  # 1.5 or 1500 Oe: not guessed


def test_csv_by_units_and_by_mapping():
    auto = read(b"H (Oe),m (emu),T (K)\n0,0,5\n10000,1e-3,5\n", filename="loop.csv")
    assert auto.field_T[1] == pytest.approx(1.0) and auto.moment_Am2[1] == pytest.approx(1e-6)
    assert auto.metadata.instrument == "table"
    mapped = read(
        b"# exported\nfield\tmoment\n1\t2\n3\t4\n",
        filename="x.tsv",
        columns={"field": "field [T]", "moment": "moment [emu]"},
    )
    np.testing.assert_allclose(mapped.field_T, [1, 3])
    np.testing.assert_allclose(mapped.moment_Am2, [2e-3, 4e-3])
    assert mapped.line.tolist() == [3, 4]
    with pytest.raises(InputFileError, match="several field columns"):
        read(b"time_s,applied_T,center_Bz_T,m_emu\n0,0,0,0\n", filename="s.csv")
    with pytest.raises(InputFileError, match="no moment column"):
        read(b"B_T,Jc_A_cm2\n1,2\n", filename="jc.csv")


@pytest.mark.parametrize(
    ("column", "said"),
    [
        ("T (C)", "the unit 'C', not a temperature's; give it in K ('C' is the coulomb; degC"),
        ("Temperature", "no unit; name it with its unit, e.g. 'T (K)', or map it: temperature="),
        ("Temp. [V]", "the unit 'V', not a temperature's; give it in K"),
    ],
)
def test_a_column_named_as_the_temperature_without_a_temperature_unit_is_named(column, said):
    """A loop's CSV with "T (C)" (C read as the coulomb) or "Temperature" (no unit) was read
    without its temperatures, without a word of why: `jc` said 'Jc(B) at an unknown temperature'
    and measure add set no objective at 5 K. Refused naming the column; mapped, it is read."""
    content = f"H (Oe),m (emu),{column}\n0,0,5\n1000,2e-3,5\n".encode()
    with pytest.raises(InputFileError) as refused:
        read(content, filename="loop.csv")
    assert str(refused.value).startswith(f"loop.csv, line 1, column {column!r}: named as the ")
    assert said in str(refused.value)
    mapped = read(content, filename="loop.csv", columns={"temperature": f"{column} [K]"})
    np.testing.assert_allclose(mapped.temperature_K, [5, 5])
    # a time column and a column named otherwise are no temperature
    table = read(b"H (Oe),m (emu),Time,T_set\n0,0,1,5\n1000,2e-3,2,5\n", filename="x.csv")
    assert not np.isfinite(table.temperature_K).any()


@pytest.mark.parametrize(
    ("column", "kind", "per"),
    [
        ("M (emu/g)", "mass magnetization", "mass"),
        ("M (A m2/kg)", "mass magnetization", "mass"),
        ("M (emu/cm^3)", "magnetization", "volume"),
        ("Magnetization (kA/m)", "magnetization", "volume"),
        ("M (A/m)", "magnetization", "volume"),
    ],
)
def test_a_magnetization_column_is_named_as_one_not_taken_for_a_field(column, kind, per):
    """M in A/m or emu/cm^3 has a field's dimension: "several field columns ('H (Oe)', 'M
    (emu/cm^3)')" sent the user to map the field, and then no moment was found; emu/g was "no
    moment column found" without a word of why."""
    with pytest.raises(InputFileError) as refused:
        read(f"H (Oe),{column}\n0,0\n1000,2\n".encode(), filename="m.csv")
    assert str(refused.value) == (
        f"m.csv, line 1: column {column!r} is a {kind} (moment per {per}), and the analysis "
        f"needs the moment: give it in emu or A m^2 (the {kind} times the sample's {per}), or "
        "map a moment column"
    )
    # beside a moment column it is left alone, and a field in A/m is still a field
    table = read(f"H (A/m),{column},m (emu)\n0,0,0\n1000,2,3e-3\n".encode(), filename="m.csv")
    assert table.moment_Am2[1] == pytest.approx(3e-6) and table.field_T[1] == pytest.approx(
        1000 * MU0
    )


@pytest.mark.parametrize(
    ("moment", "field"),
    [("A m2", "kA m-1"), ("A·m²", "kA m⁻¹"), ("Am²", "kA/m"), ("Am2", "A m^-1"), ("A⋅m^2", "mT")],
)
def test_units_written_as_printed_are_read(moment, field):
    """SI headers as papers and spreadsheets print them ("m (A·m²)", "H (kA m⁻¹)", "Am2") were
    "no moment column" / "no field column": superscripts, a middle dot and a power right after
    the unit's name are read as ^ and *; "Am2" is A m^2 (pint would read attometre squared)."""
    scale = {"kA m-1": 1e3, "kA m⁻¹": 1e3, "kA/m": 1e3, "A m^-1": 1.0, "mT": 1e-3 / MU0}[field]
    table = read(f"H ({field}),m ({moment})\n0,0\n2,3e-6\n".encode(), filename="si.csv")
    assert table.field_T[1] == pytest.approx(2 * scale * MU0, rel=1e-12)
    assert table.moment_Am2[1] == pytest.approx(3e-6, rel=1e-12)


def test_nan_in_required_column_is_refused():
    with pytest.raises(
        InputFileError, match=r"n\.csv, line 3, column 'm \(emu\)': 'nan' is not a finite number"
    ):
        read(b"H (Oe),m (emu)\n0,1\n1,nan\n", filename="n.csv")


def test_nan_and_inf_in_optional_columns_are_refused_too():
    with pytest.raises(InputFileError, match=r"line 2, column 'T \(K\)': 'inf' is not a finite"):
        read(b"H (Oe),m (emu),T (K)\n0,1,inf\n1,2,5\n", filename="n.csv")


@pytest.mark.parametrize("header", ["9**9**9", "Oe**9**9", "((((Oe))))", "Oe" * 60])
def test_hostile_units_in_headers_are_refused_without_evaluation(header):
    content = f"H ({header}),m (emu)\n0,1\n1,2\n".encode()
    with pytest.raises(InputFileError, match="h.csv"):
        read(content, filename="h.csv")
    with pytest.raises(InputFileError, match="h.csv"):
        read(
            b"H,m\n0,1\n1,2\n",
            filename="h.csv",
            columns={"field": f"H [{header}]", "moment": "m [emu]"},
        )


def _blank(content: bytes, cells: dict[int, int], sep: bytes = b",", text: bytes = b"") -> bytes:
    """``content`` with cell ``column`` of 1-based line ``line`` replaced by ``text``, for each item."""
    eol = b"\r\n" if b"\r\n" in content else b"\n"
    lines = content.split(eol)
    for line, column in cells.items():
        row = lines[line - 1].split(sep)
        row[column] = text
        lines[line - 1] = sep.join(row)
    return eol.join(lines)


def test_a_moment_error_of_nan_or_empty_is_no_error_given(mpms_file):
    """The text 'nan' in the optional moment-error column refused the whole file, where an empty
    cell was read as no error given. Now either, in every row, is no error column (the table of
    the file without one); in some rows a ReadNoteWarning names their lines."""
    content = mpms_file("mpms3_vsm_mh_film-S1_5K.dat").read_bytes()
    full = read(content, filename="s1.dat")
    data = range(46, 46 + len(full))  # column 5 is 'M. Std. Err. (emu)'
    for text in (b"nan", b"", b"NaN"):
        table = read(_blank(content, dict.fromkeys(data, 5), text=text), filename="s1.dat")
        assert np.isnan(table.moment_err_Am2).all() and "moment_err" not in table.metadata.columns
        np.testing.assert_array_equal(table.moment_Am2, full.moment_Am2)
    with pytest.warns(
        ReadNoteWarning,
        match=r"s1\.dat, column 'M\. Std\. Err\. \(emu\)': no .* on 2 of 210 rows \(lines 50, 99\)",
    ):
        some = read(_blank(content, {50: 5, 99: 5}, text=b"nan"), filename="s1.dat")
    assert np.flatnonzero(np.isnan(some.moment_err_Am2)).tolist() == [4, 53]
    assert some.metadata.read_notes and some.metadata.columns["moment_err"] == "M. Std. Err. (emu)"
    csv = b"H (Oe),m (emu),m err (emu),T (K)\n100,1e-3,nan,5\n200,2e-3,nan,5\n"
    assert np.isnan(read(csv, filename="e.csv").moment_err_Am2).all()


def test_a_moment_error_in_another_unit_than_the_moment_is_named(mpms_file):
    """The real film-S1 loop converted to µemu, 'Moment (µemu)' beside its error column still
    labelled emu (its values converted too) was read with errors 1e6x too large and refused by
    the analysis as 'no irreversible magnetization'; the reader now names the two columns and
    their units. Labelled µemu both, or the error's values left in emu, it reads as the file."""
    content = mpms_file("mpms3_vsm_mh_film-S1_5K.dat").read_bytes()
    original = read(content, filename="s1.dat")

    def in_micro(columns: slice) -> bytes:  # column 4 the moment, 5 its error, times 1e6
        lines = content.split(b"\r\n")
        for k in original.line - 1:
            row = lines[k].split(b",")
            row[columns] = (repr(float(c) * 1e6).encode() for c in row[columns])
            lines[k] = b",".join(row)
        return b"\r\n".join(lines).replace(b",Moment (emu),", ",Moment (µemu),".encode(), 1)

    micro = in_micro(slice(4, 6))
    with pytest.raises(
        InputFileError,
        match=r"u\.dat: the moment errors of column 'M\. Std\. Err\. \(emu\)' read [\d.]+ times "
        r"the moments of 'Moment \(µemu\)' \(medians\).* units differ 1e\+06x",
    ):
        read(micro, filename="u.dat")
    both = read(micro.replace(b"M. Std. Err. (emu)", "M. Std. Err. (µemu)".encode()))
    np.testing.assert_allclose(both.moment_err_Am2, original.moment_err_Am2, rtol=1e-12)
    emu_err = read(in_micro(slice(4, 5)))
    np.testing.assert_array_equal(emu_err.moment_err_Am2, original.moment_err_Am2)
    np.testing.assert_allclose(emu_err.moment_Am2, original.moment_Am2, rtol=1e-12)


TABLE_COLUMNS = ("field_T", "moment_Am2", "temperature_K", "time_s", "moment_err_Am2", "line")


def test_rows_without_a_moment_are_skipped(mpms_file):
    """A failed VSM fit leaves the moment empty: those rows go, their lines are kept, the rest is unchanged."""
    path = mpms_file("mpms3_vsm_mh_CoCp2-ErCOT2_5K.dat")
    original = read(path)
    # column 4 is 'Moment (emu)', 3 'Magnetic Field (Oe)'; data start on line 42
    gaps = read(_blank(path.read_bytes(), {57: 4, 58: 4, 212: 4, 900: 3}), filename="gaps.dat")
    assert gaps.metadata.skipped_lines == (57, 58, 212, 900)
    assert gaps.metadata.to_dict()["skipped_lines"] == [57, 58, 212, 900]
    assert original.metadata.skipped_lines == ()
    keep = ~np.isin(original.line, [57, 58, 212, 900])
    assert len(gaps) == len(original) - 4
    for name in TABLE_COLUMNS:
        np.testing.assert_array_equal(getattr(gaps, name), getattr(original, name)[keep])


def test_skipped_rows_keep_comments_in_place(mpms_file):
    """TAB file with comment rows on lines 42 and 317: a skipped row before the second moves it one back."""
    path = mpms_file("mpms3_dc_mh_KMK282_5K-300K_tabsep.dat")
    original = read(path)
    col = original.metadata.columns["moment"]
    names = path.read_bytes().split(b"\r\n" if b"\r\n" in path.read_bytes() else b"\n")
    header = next(k for k, ln in enumerate(names) if ln.startswith(b"[Data]")) + 1
    index = names[header].decode().split("\t").index(col)
    gaps = read(_blank(path.read_bytes(), {100: index}, sep=b"\t"), filename="gaps.dat")
    assert gaps.metadata.skipped_lines == (100,)
    assert [r for r, _ in gaps.comments] == [r - (r > 0) for r, _ in original.comments]
    assert [t for _, t in gaps.comments] == [t for _, t in original.comments]


def test_csv_rows_without_a_moment_are_skipped():
    content = b"H (Oe),m (emu),T (K)\n0,0,5\n100,,5\n,2e-3,5\n300,3e-3,5\n"
    table = read(content, filename="loop.csv")
    assert table.metadata.skipped_lines == (3, 4)
    assert table.line.tolist() == [2, 5]
    np.testing.assert_allclose(table.moment_Am2, [0, 3e-6])
    with pytest.raises(  # it names the empty column, not 'H (Oe)' or 'm (emu)'
        InputFileError,
        match=r"e\.csv: every data row \(2, lines 2\.\.3\) has an empty 'm \(emu\)' cell",
    ):
        read(b"H (Oe),m (emu),T (K)\n0,,5\n100,,5\n", filename="e.csv")
    # nothing measured, a spreadsheet's empty row: not a point, a blank line
    assert read(b"H (Oe),m (emu),T (K)\n0,1,5\n,,\n", filename="z.csv").line.tolist() == [2]


def test_every_moment_empty_is_an_error(mpms_file):
    path = mpms_file("mpms3_vsm_mh_film-S1_5K.dat")
    n = len(read(path))
    first = read(path).line[0]
    gaps = _blank(path.read_bytes(), {first + k: 4 for k in range(n)})
    with pytest.raises(
        InputFileError,
        match=r"s1\.dat, line 45: no moment column holds a number: .*; 'Moment \(emu\)', "
        r"'DC Moment Free Ctr \(emu\)', 'DC Moment Fixed Ctr \(emu\)' empty in every row",
    ):
        read(gaps, filename="s1.dat")


def test_a_renamed_vsm_moment_column_is_named_not_the_empty_dc_one(mpms_file):
    """A VSM file whose 'Moment (emu)' was renamed was refused as 'every data row has an empty
    'DC Moment Free Ctr (emu)' cell', a column nobody asked about; the error now names what was
    looked for, the empty ones, and the file's moment-like columns, one of which can be mapped."""
    original = mpms_file("mpms3_vsm_mh_film-S1_5K.dat").read_bytes()
    for renamed in ("Moment2 (emu)", "Moment emu"):
        content = original.replace(b",Moment (emu),", f",{renamed},".encode(), 1)
        with pytest.raises(InputFileError) as err:
            read(content, filename="s1.dat")
        said = str(err.value)
        assert said.startswith("s1.dat, line 45: no moment column holds a number: looked for")
        assert "'DC Moment Free Ctr (emu)', 'DC Moment Fixed Ctr (emu)' empty in every row" in said
        assert f"moment-like columns: {renamed!r}, 'M. Quad. Signal (emu)'" in said
    table = read(
        content.replace(b"Moment emu", b"Moment2 (emu)"), columns={"moment": "Moment2 (emu)"}
    )
    np.testing.assert_array_equal(table.moment_Am2, read(original).moment_Am2)


def test_text_in_a_moment_cell_is_still_an_error(mpms_file):
    path = mpms_file("mpms3_vsm_mh_CoCp2-ErCOT2_5K.dat")
    bad = _blank(path.read_bytes(), {60: 4}, text=b"n/a")
    with pytest.raises(
        InputFileError, match=r"bad\.dat, line 60, column 'Moment \(emu\)': 'n/a' is not a number"
    ):
        read(bad, filename="bad.dat")
    # text in the moment of a row whose field is empty: corrupted, not a missing point
    worse = _blank(_blank(path.read_bytes(), {61: 3}), {61: 4}, text=b"#REF!")
    with pytest.raises(
        InputFileError, match=r"line 61, column 'Moment \(emu\)': '#REF!' is not a number"
    ):
        read(worse, filename="bad.dat")


def test_the_first_bad_cell_of_the_file_is_named_not_the_first_of_one_pass(mpms_file):
    """NaN moments from line 58 on, and on line 280 a row without a field: the error named line
    280 (skipped rows are checked first), and a bad moment before a bad field named the field's
    (one column after the other). It names the file's first bad line, then its first column."""
    path = mpms_file("mpms3_vsm_mh_CoCp2-ErCOT2_5K.dat")
    # column 4 is 'Moment (emu)', 3 'Magnetic Field (Oe)', 2 'Temperature (K)'; data from line 42
    nan = _blank(path.read_bytes(), {58: 4, 95: 4, 280: 4}, text=b"NaN")
    bad = _blank(nan, {280: 3})  # that row's field empty: a row skip_missing drops
    with pytest.raises(InputFileError, match=r"b\.dat, line 58, column 'Moment \(emu\)': 'NaN'"):
        read(bad, filename="b.dat")
    later_field = _blank(nan, {70: 3}, text=b"inf")  # a bad field after the first bad moment
    with pytest.raises(InputFileError, match=r"line 58, column 'Moment \(emu\)': 'NaN' is not a"):
        read(later_field, filename="b.dat")
    earlier_temperature = _blank(bad, {50: 2}, text=b"-")  # the first bad cell, an optional one
    with pytest.raises(InputFileError, match=r"line 50, column 'Temperature \(K\)': '-' is not"):
        read(earlier_temperature, filename="b.dat")
    both = _blank(_blank(nan, {58: 2}, text=b"nan"), {58: 3}, text=b"x")  # left to right
    with pytest.raises(InputFileError, match=r"line 58, column 'Temperature \(K\)': 'nan'"):
        read(both, filename="b.dat")
    csv_file = b"H (Oe),m (emu),T (K)\n0,1,5\n1,nan,5\n2,3,5\n,nan,5\n3,4,inf\n"
    with pytest.raises(InputFileError, match=r"c\.csv, line 3, column 'm \(emu\)': 'nan'"):
        read(csv_file, filename="c.csv")
    with pytest.raises(InputFileError, match=r"c\.csv, line 3, column 'T \(K\)': 'inf'"):
        read(csv_file.replace(b"1,nan,5", b"1,2,inf"), filename="c.csv")


def test_field_in_oe_labelled_tesla_is_refused(mpms_file):
    """70 kOe written in a column labelled T would be 70 000 T: refused at its line and column."""
    with pytest.raises(
        InputFileError,
        match=r"oe\.csv, line 3, column 'B \(T\)': \|mu0 H\| = 7e\+04 T is beyond 100 T.*in Oe or G \(1e4 per T: up to 7 T\)",
    ):
        read(b"B (T),m (emu)\n0,0\n70000,1e-3\n-70000,2e-3\n", filename="oe.csv")
    content = (
        b"[Header]\r\nBYAPP,MPMS3 w/ AC,1.0,1.1\r\n[Data]\r\n"
        b"Comment,Time Stamp (sec),Temperature (K),Magnetic Field (T),Moment (emu)\r\n"
        b",1,5,7,1e-3\r\n,2,5,70000,2e-3\r\n"
    )
    with pytest.raises(InputFileError, match=r"x\.dat, line 6, column 'Magnetic Field \(T\)'"):
        read(content, filename="x.dat")
    # the real sample4 ZFC sweep at 100 Oe labelled T read as 99.9 T, under 100 T, silently
    s4 = mpms_file("mpms3_vsm_zfc_sample4_100Oe.dat").read_bytes()
    with pytest.raises(
        InputFileError,
        match=r"s4\.dat, line 43, column 'Magnetic Field \(T\)': \|mu0 H\| = 99\.91 T is beyond the "
        r"16 T of any Quantum Design magnet \(1893 of 1893 rows.*: is the column in Oe \(1e4 per "
        r"T: up to 0\.00999 T\) or in kOe .* but labelled T\? Label it 'Magnetic Field \(Oe\)'",
    ):
        read(s4.replace(b"Magnetic Field (Oe)", b"Magnetic Field (T)"), filename="s4.dat")
    assert read(b"B (T),m (emu)\n0,0\n100,1e-3\n", filename="ok.csv").field_T[1] == 100


@pytest.mark.parametrize(
    ("label", "written", "hint"),
    [
        ("T", 70, r"in Oe \(1e4 per T: up to 0\.007 T\) or in kOe \(10 per T: up to 7 T\)"),
        ("kOe", 70000, r"in Oe \(1e4 per T: up to 7 T\) or in A/m .* labelled kOe\? Label it "),
        ("Oe", 5.57e6, r"in A/m \(7\.96e5 per T: up to 7 T\) but labelled Oe\? Convert it to Oe"),
        ("T", 7000, r"in Oe \(1e4 per T: up to 0\.7 T\) or in mT \(1e3 per T: up to 7 T\)"),
        ("Oe", 1e12, r"no field unit \(Oe, kOe, T, mT, A/m\) brings it within"),
    ],
)
def test_a_qd_field_beyond_16_t_names_the_units_it_may_be_in(label, written, hint):
    """A .dat field column beyond the 16 T of any Quantum Design magnet was asked only 'in Oe
    but labelled ...?', also where Oe could not be it: 70 kOe written in Oe under a kOe label
    (7000 T), 7 T written in A/m under an Oe label (557 T). The refusal names the line, the
    column, the value as written and each unit that would bring it within 1 Oe..16 T."""
    rows = f",1,5,0,1e-3\r\n,2,5,{written},2e-3\r\n,3,5,0,1e-3\r\n"
    content = (
        "[Header]\r\nBYAPP,MPMS3 w/ AC,1.0,1.1\r\n[Data]\r\n"
        f"Comment,Time Stamp (sec),Temperature (K),Magnetic Field ({label}),Moment (emu)\r\n{rows}"
    ).encode()
    column = re.escape(f"Magnetic Field ({label})")
    with pytest.raises(InputFileError, match=rf"x\.dat, line 6, column '{column}': .*{hint}"):
        read(content, filename="x.dat")


def test_a_loop_in_tesla_labelled_oe_is_named_as_one():
    """+-7 T written in a column labelled Oe is a +-7 Oe "loop", too small to be a sweep: the
    refusal says what its span would be in tesla; an M(T) file at a fixed field gets no hint."""
    from fluxtrap.magnetometry.loops import split_branches
    from fluxtrap.magnetometry.pipeline import derive

    rows = "".join(f",{k},5,{b},{b * 1e-3}\r\n" for k, b in enumerate([0, 3.5, 7, 0, -7, 0, 7]))
    content = (
        "[Header]\r\nBYAPP,MPMS3 w/ AC,1.0,1.1\r\n[Data]\r\n"
        "Comment,Time Stamp (sec),Temperature (K),Magnetic Field (Oe),Moment (emu)\r\n" + rows
    ).encode()
    hint = r"field span 0\.0014 T; if 'Magnetic Field \(Oe\)' holds tesla, not Oe, the span is 14 T"
    with pytest.raises(AnalysisError, match=hint):
        split_branches(read(content, filename="t.dat"))
    with pytest.raises(AnalysisError, match=hint):
        derive("mh_loop", content, "t.dat", 0.5e-3, 1.2e-3, 2.8e-3)
    warming = b"".join(
        f",{k},{5 + 10 * k},{100 + k % 2 * 0.5},-1e-5\r\n".encode() for k in range(7)
    )
    mt = content.split(b"Moment (emu)\r\n")[0] + b"Moment (emu)\r\n" + warming
    with pytest.raises(AnalysisError, match=r"field span 5e-05 T\); expected a field sweep"):
        split_branches(read(mt, filename="mt.dat"))
    kilo_as_oe = (
        content.replace(b",3.5,", b",0.35,").replace(b",7,", b",0.7,").replace(b",-7,", b",-0.7,")
    )
    with pytest.raises(
        AnalysisError, match=r"0\.00014 T; .* tesla, not Oe, .* 1\.4 T \(kOe: 0\.14 T\)"
    ):
        split_branches(read(kilo_as_oe, filename="koe.dat"))  # +-0.7 kOe in an Oe column
    kilo = b"H (kOe),m (emu),T (K)\n0,0,5\n0.0007,1e-6,5\n-0.0007,-1e-6,5\n"  # no 1e4 hint
    with pytest.raises(AnalysisError, match=r"field span 0\.00014 T\); expected a field sweep"):
        split_branches(read(kilo, filename="k.csv"))


def test_temperatures_in_celsius_are_refused():
    """-268 'K' (degC labelled K) is below absolute zero; a degC column is not scaled by 274.15."""
    rows = b"\n100,0,-268\n100,1e-3,-250\n"
    with pytest.raises(
        InputFileError,
        match=r"c\.csv, line 2, column 'T \(K\)': -268 K is below absolute zero.*degC but labelled K",
    ):
        read(b"H (Oe),m (emu),T (K)" + rows, filename="c.csv")
    for header in ("T (degC)", "T (°C)", "T (degF)"):
        with pytest.raises(
            InputFileError, match=rf"column '{re.escape(header)}': unit .* has an offset"
        ):
            read(f"H (Oe),m (emu),{header}".encode() + rows, filename="c.csv")
    content = (
        b"[Header]\r\nBYAPP,MPMS3 w/ AC,1.0,1.1\r\n[Data]\r\n"
        b"Comment,Time Stamp (sec),Temperature (K),Magnetic Field (Oe),Moment (emu)\r\n"
        b",1,-263.15,7,1e-3\r\n,2,5,70,2e-3\r\n"
    )
    with pytest.raises(
        InputFileError, match=r"x\.dat, line 5, column 'Temperature \(K\)': -263\.1 K"
    ):
        read(content, filename="x.dat")


QD_HEAD = (
    b"[Header]\r\nBYAPP,MPMS3 w/ AC,1.0,1.1\r\n[Data]\r\n"
    b"Comment,Time Stamp (sec),Temperature (K),Magnetic Field (Oe),Moment (emu)\r\n"
)


def test_a_windows_ellipsis_in_a_comment_does_not_cut_the_row():
    """A file written on the instrument's Windows PC (cp1252, not UTF-8) with "fine steps..." in
    a data row's Comment: read as Latin-1, its 0x85 byte was NEL, a line end for splitlines, so the
    row became a comment row "fine steps" (a loop is cut at comment rows: Jc(0.5 T) was lost and
    the 1-sigma 1.4x) and every later line number was one off. Now the text is cp1252."""
    rows = [b",1,5,0,0\r\n", b"fine steps\x85,2,5,10,1e-3\r\n", b",3,5,20,2e-3\r\n"]
    table = read(QD_HEAD.replace(b"MPMS3", b"MPMS3 \x96 SQUID") + b"".join(rows), filename="w.dat")
    assert table.comments == () and table.line.tolist() == [5, 6, 7]
    np.testing.assert_allclose(table.moment_Am2, [0.0, 1e-6, 2e-6])
    with pytest.raises(InputFileError, match=r"w\.dat, line 7, column 'Moment \(emu\)': 'x'"):
        read(QD_HEAD + rows[0] + rows[1] + b",3,5,20,x\r\n", filename="w.dat")


@pytest.mark.parametrize("mass", [b"NaN", b"inf", b"-inf", b"1_000"])
def test_a_header_mass_that_is_not_a_number_is_no_mass(mass):
    """INFO,NaN,SAMPLE_MASS gave mass_kg NaN (inf: inf), stored as is in the measurement's
    metadata: NaN is not JSON (PostgreSQL refuses it); "1_000" (Python's digit groups, which
    float() reads) was 1000 mg. A mass that is not finite plain decimal text is none."""
    head = QD_HEAD.replace(b"[Data]", b"INFO," + mass + b",SAMPLE_MASS\r\n[Data]")
    table = read(head + b",1,5,0,0\r\n,2,5,10,1e-3\r\n", filename="m.dat")
    assert table.metadata.info["SAMPLE_MASS"] == mass.decode()
    assert table.metadata.mass_kg is None and table.metadata.to_dict()["mass_kg"] is None


@pytest.mark.parametrize("marker", [b"[Data]", b"[Data],,,,", b"[Header]"])
def test_a_second_data_or_header_section_is_refused_naming_its_line(marker):
    """A bare second '[Data]' line (a measurement appended, files joined) was read as a comment
    row, which cuts a loop there: the decreasing branch in two, Jc(0.5 T) lost and the 1-sigma
    1.4x, with no word (a whole second section was 'not a number' in the field column)."""
    rows = [b",%d,5,%d,%d.0e-3\r\n" % (k, 10 * k, k) for k in range(6)]
    content = QD_HEAD + b"".join(rows[:3]) + marker + b"\r\n" + b"".join(rows[3:])
    with pytest.raises(InputFileError, match=r"j\.dat, line 8: a second '\[(Data|Header)\]' sec"):
        read(content, filename="j.dat")
    assert len(read(QD_HEAD + b"".join(rows), filename="j.dat")) == 6


def test_a_utf8_bom_is_dropped_when_the_rest_is_not_all_utf8():
    """Excel's UTF-8 BOM on a CSV that later got a Latin-1 byte (a note with 'µ'): the text was
    decoded as Latin-1 with the BOM kept, the first column named 'ï»¿field', so a mapping
    field='field [T]' was 'no column'. The BOM is now dropped whatever the rest is."""
    content = b"\xef\xbb\xbffield,m (emu)\n0,0\n1,1e-3\n# 5 \xb5m thick\n"
    table = read(content, filename="b.csv", columns={"field": "field [T]"})
    assert table.metadata.columns["field"] == "field"
    np.testing.assert_allclose(table.field_T, [0.0, 1.0])


def test_stray_delimiter_inside_a_row_is_refused():
    """'200,2,3e-3,5' was read as m = 2 emu and T = 3 mK; the QD row lost its field and was skipped."""
    with pytest.raises(InputFileError, match=r"s\.csv, line 3: 4 cells for 3 named columns"):
        read(b"H (Oe),m (emu),T (K)\n100,1e-3,5\n200,2,3e-3,5\n300,3e-3,5\n", filename="s.csv")
    with pytest.raises(InputFileError, match=r"x\.dat, line 6: 6 cells for 5 named columns"):
        read(QD_HEAD + b",1,5,7,1e-3\r\n,2,5,,70,2e-3\r\n,3,5,70,2e-3\r\n", filename="x.dat")
    # a trailing delimiter shifts nothing
    ok = read(b"H (Oe),m (emu)\n100,1e-3,\n200,2e-3,\n", filename="t.csv")
    np.testing.assert_allclose(ok.moment_Am2, [1e-6, 2e-6])


def test_a_short_csv_row_is_refused_as_a_short_dat_row_is():
    """A CSV row with fewer cells had its missing ones read as empty (temperature NaN), where the
    .dat reader refuses such a row naming the line; now both name the line and the counts. An
    unnamed column after a trailing delimiter in the header is not needed."""
    with pytest.raises(InputFileError, match=r"s\.csv, line 3: only 2 of 3 cells"):
        read(b"H (Oe),m (emu),T (K)\n100,1e-3,5\n200,2e-3\n300,3e-3,5\n", filename="s.csv")
    with pytest.raises(InputFileError, match=r"x\.dat, line 6: only 4 of 5 cells"):
        read(QD_HEAD + b",1,5,70,1e-3\r\n,2,5,70\r\n,3,5,70,2e-3\r\n", filename="x.dat")
    ok = read(b"H (Oe),m (emu),\n100,1e-3\n200,2e-3\n", filename="t.csv")
    np.testing.assert_allclose(ok.moment_Am2, [1e-6, 2e-6])


def test_duplicated_column_names_are_refused():
    with pytest.raises(
        InputFileError,
        match=r"d\.csv, line 1: column 'm \(emu\)' appears twice \(columns 2 and 3\)",
    ):
        read(b"H (Oe),m (emu),m (emu)\n100,1e-3,5\n200,2e-3,5\n", filename="d.csv")
    head = QD_HEAD.replace(b"Comment,", b"Moment (emu),")
    with pytest.raises(
        InputFileError, match=r"x\.dat, line 4: column 'Moment \(emu\)' appears twice"
    ):
        read(head + b"a,1,5,7,1e-3\r\nb,2,5,70,2e-3\r\n", filename="x.dat")


@pytest.mark.parametrize(
    "encode",
    [
        lambda raw: raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r"),  # CR-only (classic Mac)
        lambda raw: raw.decode("latin-1").encode("utf-16"),  # UTF-16 LE with BOM
        lambda raw: b"\xfe\xff" + raw.decode("latin-1").encode("utf-16-be"),  # UTF-16 BE with BOM
        lambda raw: raw.decode("latin-1").encode("utf-16-le"),  # no BOM
        lambda raw: raw.decode("latin-1").encode("utf-16-be"),
        lambda raw: raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\r\n"),  # CRLF made again
    ],
    ids=["cr", "utf16le", "utf16be", "utf16le-no-bom", "utf16be-no-bom", "crcrlf"],
)
def test_utf16_and_cr_only_files_read_as_the_original(encode, mpms_file):
    """Before: 'not a format fluxtrap reads' for the first five; CR CR LF (a CRLF file converted
    once more) 'expected the column names after [Data]', a blank line read after each."""
    raw = mpms_file("mpms3_vsm_mh_film-S1_5K.dat").read_bytes()
    ref, back = read(raw, filename="s1.dat"), read(encode(raw), filename="s1.dat")
    np.testing.assert_array_equal(back.field_T, ref.field_T)
    np.testing.assert_array_equal(back.moment_Am2, ref.moment_Am2)
    np.testing.assert_array_equal(back.line, ref.line)
    assert back.metadata.info == ref.metadata.info
    for codec in ("utf-16", "utf-16-le", "utf-16-be"):
        table = read("H (Oe),m (emu)\r\n0,0\r\n100,1e-3\r\n".encode(codec), filename="u.csv")
        np.testing.assert_allclose(table.field_T, [0, 0.01])


@pytest.mark.parametrize(
    "header, value", [("H (G)", 1e4), ("H (kG)", 10), ("B_G", 1e4), ("B_kG", 10)]
)
def test_field_columns_in_gauss_and_kilogauss(header, value):
    """1e4 G = 10 kG = 1 T (mu0*H); before: 'no field column found' (pint's gauss is not 1e-4 T)."""
    table = read(f"{header},m (emu)\n0,0\n{value},1e-3\n".encode(), filename="g.csv")
    np.testing.assert_allclose(table.field_T, [0.0, 1.0])
    mapped = read(
        b"f,m\n0,0\n10,1e-3\n", filename="g.csv", columns={"field": "f [kG]", "moment": "m [emu]"}
    )
    np.testing.assert_allclose(mapped.field_T, [0.0, 1.0])


def test_size_limits_before_parsing(tmp_path, monkeypatch):
    """/dev/zero (not a regular file) and a file over MAX_BYTES are refused having read at most
    MAX_BYTES + 1 bytes (before: read whole, a MemoryError after gigabytes); over MAX_LINES lines
    before parsing."""
    from fluxtrap.magnetometry.creep import read_series
    from fluxtrap.magnetometry.readers import _columns

    monkeypatch.setattr(_columns, "MAX_BYTES", 2**20)
    for reader in (read, read_series):
        with pytest.raises(InputFileError, match="/dev/zero: not a regular file"):
            reader("/dev/zero")
    big = tmp_path / "big.dat"
    with open(big, "wb") as f:  # sparse: no disk used
        f.truncate(2**20 + 1)
    with pytest.raises(InputFileError, match=r"big.dat: more than 1048576 bytes \(1 MiB\)"):
        read(big)
    with pytest.raises(InputFileError, match=r"<bytes>: more than 1048576 bytes \(1 MiB\)"):
        read(b"H (Oe),m (emu)\n" + b"1,2\n" * 2**18)
    monkeypatch.setattr(_columns, "MAX_LINES", 1000)
    for eol in (b"\n", b"\r"):
        with pytest.raises(InputFileError, match="l.csv: 1001 data rows, more than 1000"):
            read(b"H (Oe),m (emu)" + eol + (b"1,2" + eol) * 1001, filename="l.csv")


def test_line_limit_counts_every_line_end_the_readers_split_at(monkeypatch):
    """The readers split lines with str.splitlines, which also ends a line at VT, FF, FS, GS,
    RS, NEL and U+2028/9; the limit counted CR and LF only, so binary garbage or a 20 MB file
    of b"1,2\\x1c" (5 million lines, none of them LF) was read for 28 s and 1.9 GB. Now they
    count toward MAX_LINES, for a table, a .dat file and a creep series alike."""
    from fluxtrap.magnetometry.creep import read_series
    from fluxtrap.magnetometry.readers import _columns

    monkeypatch.setattr(_columns, "MAX_LINES", 1000)
    for eol in (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x85", "\u2028".encode()):
        body = b"time_s,B_T\n" + (b"1,2" + eol) * 1001
        for reader in (read, read_series):
            with pytest.raises(InputFileError, match="l.csv: 1001 data rows, more than 1000"):
                reader(body, filename="l.csv")
    assert len(read(b"B_T,m_emu\n" + b"1,2\n" * 1000, filename="ok.csv")) == 1000


def test_open_quotes_and_huge_cells_name_their_line():
    """Before: csv's own 'field larger than field limit' error or a bare ValueError from zip()."""
    cell = b'"' + b"1" * 200_000 + b'"'
    cases = [
        (b"H (Oe),m (emu)\n0,0\n1," + cell + b"\n", "x.csv", r"x\.csv, line 3: 200,004 bytes"),
        (b'H (Oe),m (emu)\n0,0\n"1,2\n3,4\n', "x.csv", r"x\.csv, line 3: a quote opened"),
        (QD_HEAD + cell + b",1,5,7,1e-3\r\n", "x.dat", r"x\.dat, line 5: 200,013 bytes"),
        (QD_HEAD + b'"ZFC,1,5,7,1e-3\r\n,2,5,8,1e-3\r\n', "x.dat", r"x\.dat, line 5: a quote"),
        # the quote left open takes the lines after it past csv's field limit: the line it
        # opened on is named (it had been the line the limit was hit on, 'field larger than')
        (QD_HEAD + b'"ZFC,1,5,7,1e-3\r\n' + b",2,5,8,1e-3\r\n" * 20_000, "x.dat",
         r"x\.dat, line 5: a quote opened on this line is not closed on it"),
        (b'H (Oe),m (emu)\n0,0\n"1,2\n' + b"3,4\n" * 40_000, "x.csv", r"x\.csv, line 3: a quote"),
    ]  # fmt: skip
    limit = csv.field_size_limit()
    try:
        for field_limit in (limit, 2**26):  # also while another reader has raised csv's limit
            csv.field_size_limit(field_limit)
            for content, name, message in cases:
                with pytest.raises(InputFileError, match=message):
                    read(content, filename=name)
    finally:
        csv.field_size_limit(limit)


@pytest.mark.parametrize("chunk", [2**24, 4096])
def test_a_long_line_is_refused_on_the_raw_bytes_before_decoding(monkeypatch, chunk):
    """A 200 MB single-line file was refused by split_rows only after decoding and splitting it
    (5.8 s, 1 GB). check_size now refuses a line over 131 072 characters on the raw bytes, naming
    its line and length (CRLF one line end, 2 bytes a character in UTF-16, NUL padding no line);
    a line of 131 072 still reads. Also across the chunks the bytes are looked at in."""
    from fluxtrap.magnetometry.readers import _columns

    monkeypatch.setattr(_columns, "_CHUNK", chunk)
    limit = _columns.MAX_LINE_CHARS
    rows = b"1,2\r\n" * 10

    def with_row(width: int, eol: bytes = b"\r\n") -> bytes:
        return (b"H (Oe),m (emu)" + eol + rows + b"1," + b"0" * (width - 2) + eol + rows).replace(
            b"\r\n", eol
        )

    for eol in (b"\r\n", b"\n", b"\r"):
        with pytest.raises(InputFileError, match=rf"^l\.csv, line 12: {limit + 1:,} bytes with no"):
            _columns.check_size(with_row(limit + 1, eol), "l.csv")
        assert len(read(with_row(limit, eol) + b"\0" * 200_000, filename="l.csv")) == 21
    utf16 = with_row(limit).decode().encode("utf-16")
    assert len(read(utf16, filename="l.csv")) == 21
    with pytest.raises(InputFileError, match=rf"^l\.csv, line 12: {limit + 1:,} characters"):
        read(with_row(limit + 1).decode().encode("utf-16"), filename="l.csv")
    with pytest.raises(InputFileError, match=rf"^one\.dat, line 1: {3 * limit:,} bytes"):
        read(b"[Header]" * (3 * limit // 8), filename="one.dat")


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    """Before: `fluxtrap jc loop.fifo` blocked forever in open() when nothing wrote to it."""
    from fluxtrap.magnetometry.creep import read_series

    fifo = tmp_path / "loop.fifo"
    os.mkfifo(fifo)
    for reader in (read, read_series):
        with pytest.raises(InputFileError, match="loop.fifo: not a regular file"):
            reader(fifo)


def test_cells_of_columns_not_read_are_dropped_as_the_lines_are_split():
    """Memory follows the columns read: a cell of another column is kept only as "held a value
    or not" (one shared placeholder), so row lengths, stray-delimiter and missing-value checks
    see the same rows, but an 89-column MPMS3 file no longer keeps 89 strings per row."""
    from fluxtrap.magnetometry.readers._columns import split_rows

    lines = ["1.5,x,,2.5", "3.5,,y,4.5,extra"]
    rows = split_rows(lines, [1, 2], ",", "f.csv", keep={0, 3})
    assert [r[0] for r in rows] == ["1.5", "3.5"] and [r[3] for r in rows] == ["2.5", "4.5"]
    assert [len(r) for r in rows] == [4, 5] and rows[0][2] == "" and rows[1][1] == ""
    held = [rows[0][1], rows[1][2], rows[1][4]]
    assert all(h is held[0] for h in held) and held[0].strip()  # one object, "not empty"
    assert split_rows(lines, [1, 2], ",", "f.csv") == [r.split(",") for r in lines]


def test_a_wide_file_reads_the_same_as_its_read_columns_alone(tmp_path, mpms_file):
    """The MPMS3 file with its 88 columns and the same file cut to the columns fluxtrap reads
    give the same table (the placeholder cells change nothing that is read)."""
    text = mpms_file("mpms3_vsm_mh_film-S1_5K.dat").read_text(encoding="latin-1").splitlines()
    at = text.index("[Data]")
    names = text[at + 1].split(",")
    wanted = [i for i, n in enumerate(names) if n in ("Time Stamp (sec)", "Temperature (K)",
              "Magnetic Field (Oe)", "Moment (emu)", "M. Std. Err. (emu)")]  # fmt: skip
    cut = [",".join(ln.split(",")[i] for i in wanted) for ln in text[at + 1 :]]
    narrow = tmp_path / "narrow.dat"
    narrow.write_text("\n".join([*text[: at + 1], *cut]) + "\n", encoding="latin-1")
    wide, small = read(mpms_file("mpms3_vsm_mh_film-S1_5K.dat")), read(narrow)
    assert len(names) == 88 and len(wanted) == 5
    for col in ("field_T", "moment_Am2", "temperature_K", "time_s", "moment_err_Am2"):
        np.testing.assert_array_equal(getattr(wide, col), getattr(small, col))


def test_a_dat_file_with_its_field_in_koe_reads_as_in_oe(tmp_path, mpms_file):
    """The real MPMS3 loop with its field column written in kOe (values / 1000): the same table;
    before, "no field column" (only --column read it)."""
    path = mpms_file("mpms3_vsm_mh_film-S1_5K.dat")
    text = path.read_text(encoding="latin-1").splitlines()
    at = text.index("[Data]")
    names = text[at + 1].split(",")
    i = names.index("Magnetic Field (Oe)")
    names[i] = "Magnetic Field (kOe)"
    rows = [ln.split(",") for ln in text[at + 2 :]]
    for r in rows:
        r[i] = repr(float(r[i]) / 1000) if r[i].strip() else r[i]
    koe = tmp_path / "koe.dat"
    body = [*text[: at + 1], ",".join(names), *(",".join(r) for r in rows)]
    koe.write_text("\n".join(body) + "\n", encoding="latin-1")
    oe, kilo = read(path), read(koe)
    np.testing.assert_allclose(kilo.field_T, oe.field_T, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(kilo.moment_Am2, oe.moment_Am2)
    assert kilo.metadata.columns["field"] == "Magnetic Field (kOe)"


@pytest.mark.parametrize(
    "name, column, unit, per",
    [
        ("mpms3_vsm_mh_film-S1_5K.dat", "Magnetic Field (Oe)", "mT", 0.1),
        ("mpms3_vsm_mh_film-S1_5K.dat", "Moment (emu)", "A m2", 1e-3),
        ("mpms3_dc_zfcfc_KMK232_100Oe.dat", "DC Moment Free Ctr (emu)", "A·m²", 1e-3),
        ("mpmsxl_dc_mt_pb6051_1000Oe.dat", "Field (Oe)", "kA/m", 1e-4 / (4e-4 * np.pi)),
    ],
)
def test_a_dat_column_in_another_unit_is_read_in_it(mpms_file, name, column, unit, per):
    """The real files with one column converted and its unit named as written ("Magnetic Field
    (mT)", "Moment (A m2)"): the same table. Only the Oe, kOe and T field names were known:
    mT was "no field column"; a VSM moment in A m^2 was read from the empty DC column ("every
    data row has an empty 'DC Moment Free Ctr (emu)' cell"), a DC one from the fixed-centre
    column instead of the free-centre one, with no word."""
    text = mpms_file(name).read_text(encoding="latin-1").splitlines()
    at = next(k for k, ln in enumerate(text) if ln.strip(",\t") == "[Data]")
    delimiter = "\t" if "\t" in text[at + 1] else ","
    names = text[at + 1].split(delimiter)
    i = names.index(column)
    names[i] = column.replace(column[column.rindex("(") :], f"({unit})")
    rows = [ln.split(delimiter) for ln in text[at + 2 :]]
    for r in rows:
        r[i] = repr(float(r[i]) * per) if len(r) > i and r[i].strip() else r[i]
    body = [*text[: at + 1], delimiter.join(names), *(delimiter.join(r) for r in rows)]
    converted = read(("\r\n".join(body) + "\r\n").encode("utf-8"), filename="si.dat")
    original = read(mpms_file(name))
    for col in ("field_T", "moment_Am2", "temperature_K", "moment_err_Am2"):
        np.testing.assert_allclose(
            getattr(converted, col), getattr(original, col), rtol=1e-12, atol=0, err_msg=col
        )
    assert converted.metadata.mode == original.metadata.mode
    assert names[i] in converted.metadata.columns.values()


def test_a_ppms_acms_dat_reads_its_dc_moment(mpms_file):
    """A PPMS ACMS file names its DC moment 'M-DC (emu)' (error 'M-Std.Dev. (emu)') and leaves
    it empty on its AC rows; the reader names ACMS as a PPMS but had refused its files: 'no
    moment column'. The real S1 loop written so, an AC row after each point: the same table,
    the AC rows skipped by line."""
    text = mpms_file("mpms3_vsm_mh_film-S1_5K.dat").read_text(encoding="latin-1").splitlines()
    at = text.index("[Data]")
    names = text[at + 1].split(",")
    moment, err = names.index("Moment (emu)"), names.index("M. Std. Err. (emu)")
    names[moment], names[err] = "M-DC (emu)", "M-Std.Dev. (emu)"
    rows = []
    for line in text[at + 2 :]:
        ac = line.split(",")
        ac[moment] = ac[err] = ""
        rows += [line, ",".join(ac)]
    head = [ln.replace("MPMS3", "ACMS") for ln in text[:at]]  # BYAPP, APPNAME
    acms = read(("\r\n".join([*head, "[Data]", ",".join(names), *rows]) + "\r\n").encode())
    vsm = read(mpms_file("mpms3_vsm_mh_film-S1_5K.dat"))
    for col in ("field_T", "moment_Am2", "temperature_K", "moment_err_Am2"):
        np.testing.assert_array_equal(getattr(acms, col), getattr(vsm, col), err_msg=col)
    assert acms.metadata.instrument == "PPMS" and acms.metadata.mode == "DC"
    assert len(acms.metadata.skipped_lines) == len(vsm)


def test_a_cell_with_python_digit_groups_is_not_a_number():
    """float() reads "1_000" as 1000; no instrument writes it, so a cell like that is refused as
    a number is that cannot be read, naming file, line and column."""
    with pytest.raises(InputFileError, match=r"g\.dat, line 6, column 'Moment \(emu\)': '1_0e-3'"):
        read(QD_HEAD + b",1,5,0,0\r\n,2,5,10,1_0e-3\r\n", filename="g.dat")


@pytest.mark.parametrize("end", [b"\n\x1a", b"\x1a", b"\r\n\x1a\x1a"])
def test_a_dos_end_of_file_mark_ends_the_file_not_a_cut_row(end):
    """Ctrl-Z (0x1A), DOS's end-of-file mark, after the last row or glued to its last number:
    the row was left out as cut ("no line end") with a TruncatedFileWarning, or read as 'not a
    number'; the writer finished the file, so every row is read, without a warning."""
    rows = b"H (Oe),m (emu)\n0,0\n100,1e-3\n200,2e-3"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = read(rows + end, filename="z.csv")
    np.testing.assert_allclose(table.moment_Am2, [0, 1e-6, 2e-6])
    assert table.metadata.unterminated_line is None


def test_a_last_row_of_only_delimiters_is_no_cut_row():
    """A spreadsheet's empty last row (",," with no line end) was left out as a row cut while
    written (TruncatedFileWarning); it holds no number to cut, and reads as the same row with a
    line end does: not a point, a blank line."""
    for end in (b",,", b",,\n"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", TruncatedFileWarning)
            table = read(b"H (Oe),m (emu),T (K)\n0,1,5\n" + end, filename="z.csv")
        assert table.line.tolist() == [2] and table.metadata.unterminated_line is None


def test_a_temperature_in_mK_labelled_K_and_a_moment_beyond_any_magnetometer_are_refused():
    """5000 'K' (a mK column labelled K) passed, as did 1e300 emu, which then overflowed the
    loop's arithmetic in numpy RuntimeWarnings: each is refused naming file, line and column."""
    head = b"H (Oe),m (emu),T (K)\n"
    with pytest.raises(InputFileError, match=r"t\.csv, line 3, column 'T \(K\)': 5000 K is above"):
        read(head + b"0,0,5\n100,1e-3,5000\n", filename="t.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(
            InputFileError, match=r"m\.csv, line 2, column 'm \(emu\)': \|m\| = 1e\+297"
        ):
            read(head + b"0,1e300,5\n100,1e-3,5\n", filename="m.csv")
    kept = read(head + b"0,0,300\n100,9.9e5,1000\n", filename="ok.csv")  # an oven, 990 emu
    assert kept.temperature_K.max() == 1000


@pytest.mark.parametrize("err", ["1e300", "-1e300", "2e6"])
def test_a_moment_error_no_magnetometer_gives_is_refused_naming_its_cell(err):
    """An error column of 1e300 emu was read: Jc's error overflowed to NaN and was dropped
    without a word (numpy's overflow warnings in the server's log)."""
    with pytest.raises(InputFileError) as refused:
        read(f"H (Oe),m (emu),m err (emu)\n0,0,1e-6\n1000,1e-3,{err}\n".encode(), filename="e.csv")
    assert str(refused.value).startswith(
        f"e.csv, line 3, column 'm err (emu)': a moment error of {abs(float(err)) * 1e-3:.4g} A m^2 "
    )
    table = read(b"H (Oe),m (emu),m err (emu)\n0,0,1e-6\n1000,1e-3,2e-6\n", filename="e.csv")
    assert table.moment_err_Am2[1] == pytest.approx(2e-9)


def _plain_dat(rows: int) -> bytes:
    """A SYNTHETIC MPMS3 .dat of ``rows`` points (6 columns, every cell filled)."""
    import io

    from fluxtrap.magnetometry.synthetic import synthetic_mh_loop, write_qd_dat

    n = (rows + 4) // 5
    table = synthetic_mh_loop(lambda b: 1e9 / (1 + abs(b)), 1e-3, 1e-3, 1e-3, n_points=n)
    buf = io.StringIO()
    write_qd_dat(table, buf)
    return buf.getvalue().encode()


def test_a_plain_dat_files_data_block_is_read_at_once_as_line_by_line(monkeypatch):
    """A 1M-row .dat took 41 s (one Python call per cell: split_rows, skip_missing,
    numeric_column); a plain data block (every line a full row of numbers) is now read by
    pandas' C parser (bench/bench_reader.py: the ratio), the line-by-line path kept for files
    that are not plain, whose errors name line and column. The two give the same table, value
    for value; the fast one splits no data row in Python."""
    from fluxtrap.magnetometry.readers import qd_dat

    content = _plain_dat(2000)
    split = qd_dat.split_rows
    calls = []
    monkeypatch.setattr(
        qd_dat,
        "split_rows",
        lambda lines, *a, **k: (calls.append(len(lines)), split(lines, *a, **k))[1],
    )
    fast = read(content, filename="plain.dat")
    assert max(calls) < 20, calls  # the header and the column names only
    # a column pandas reads but float() does not (only "True" and empty cells: 1.0 and NaN) is
    # the line-by-line path's error
    head, body = content.split(b"[Data]\r\n")
    rows = [r.rsplit(b",", 1)[0] + b"," for r in body.split(b"\r\n")[1:-1]]
    rows[5] += b"True"
    names = body.split(b"\r\n")[0]
    plain = head + b"[Data]\r\n" + b"\r\n".join([names, *rows]) + b"\r\n"
    with pytest.raises(InputFileError, match=r"column 'M. Std. Err. \(emu\)': 'True' is not"):
        read(plain, filename="plain.dat")
    monkeypatch.setattr(qd_dat, "numeric_block", lambda *a, **k: None)
    slow = read(content, filename="plain.dat")
    assert len(fast) == len(slow) > 1900
    for name in ("field_T", "moment_Am2", "temperature_K", "time_s", "moment_err_Am2", "line"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)
    assert fast.metadata == slow.metadata


def test_the_row_limit_counts_data_rows_not_the_header(monkeypatch):
    """MAX_LINES counted a .dat file's header lines too: a file of exactly MAX_LINES points was
    refused for its header. Now the rows after '[Data]' and the column names count."""
    from fluxtrap.magnetometry.readers import _columns

    content = _plain_dat(1000)
    rows = content.split(b"[Data]\r\n")[1].count(b"\r\n") - 1
    monkeypatch.setattr(_columns, "MAX_LINES", rows)
    assert len(read(content, filename="full.dat")) == rows
    monkeypatch.setattr(_columns, "MAX_LINES", rows - 1)
    with pytest.raises(InputFileError, match=rf"full.dat: {rows} data rows, more than {rows - 1}"):
        read(content, filename="full.dat")


def test_a_plain_csv_tables_data_block_is_read_at_once_as_line_by_line(monkeypatch):
    """As a .dat file's: a plain CSV table (comment lines between its rows allowed) is read by
    pandas' C parser with the line numbers of its rows, the same table value for value as line
    by line; a row with an empty moment is still skipped and named (the line-by-line path)."""
    from fluxtrap.magnetometry.readers import csv_table

    b = np.linspace(-7, 7, 3001)
    body = [f"{x:.9g},{-1e-3 * np.tanh(x):.9g},{5 + 1e-3 * k:.6g}" for k, x in enumerate(b)]
    body.insert(1500, "# a note between rows")
    content = ("B_T,m_emu,T_K\n" + "\n".join(body) + "\n").encode()
    split = csv_table.split_rows
    calls = []
    monkeypatch.setattr(
        csv_table,
        "split_rows",
        lambda lines, *a, **k: (calls.append(len(lines)), split(lines, *a, **k))[1],
    )
    fast = read(content, filename="plain.csv")
    assert calls == [1]  # the header only
    body[10] = f"{b[10]:.9g},,5.01"  # line 12: a field and temperature, no moment
    gap = ("B_T,m_emu,T_K\n" + "\n".join(body) + "\n").encode()
    assert read(gap, filename="gap.csv").metadata.skipped_lines == (12,)
    monkeypatch.setattr(csv_table, "numeric_block", lambda *a, **k: None)
    slow = read(content, filename="plain.csv")
    assert len(fast) == len(slow) == 3001 and fast.line[1500] == 1503
    for name in ("field_T", "moment_Am2", "temperature_K", "time_s", "moment_err_Am2", "line"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)
    assert fast.metadata == slow.metadata


def test_a_dat_saved_by_a_spreadsheet_with_semicolons_is_read_or_its_decimal_commas_named(
    mpms_file,
):
    """A real .dat opened and saved by a spreadsheet set for decimal commas: every line
    ';'-delimited. Its column names had been read as one column ('no field column; expected one
    of 'Magnetic Field (Oe)' ...' beside that very name) and its rows as 'a stray delimiter'.
    With decimal points it now reads as the original; with decimal commas the first such cell
    is named with the value to write."""
    import io

    path = mpms_file("mpms3_vsm_mh_film-A2481_3K.dat")
    text = path.read_bytes().decode("latin-1")
    rows = list(csv.reader(io.StringIO(text)))
    number = re.compile(r"^[-+]?\d*\.\d+(e[-+]?\d+)?$", re.I)

    def saved(comma):
        return (
            "\r\n".join(
                ";".join(c.replace(".", ",") if comma and number.match(c) else c for c in row)
                for row in rows
            ).encode("latin-1")
            + b"\r\n"
        )

    original = read(path)
    back = read(saved(comma=False), filename="semicolons.dat")
    assert np.array_equal(back.field_T, original.field_T)
    assert np.array_equal(back.moment_Am2, original.moment_Am2)
    assert back.metadata.info == original.metadata.info and back.metadata.sample_name
    with pytest.raises(InputFileError, match=r"semicolons.dat, line \d+, column '.*': '-?\d+,\d+"):
        read(saved(comma=True), filename="semicolons.dat")
    with pytest.raises(InputFileError, match="a decimal comma"):
        read(saved(comma=True), filename="semicolons.dat")


def _origin_export(path, comments: bool = True) -> str:
    """The columns a .dat is read from (field, moment, its error, temperature, time) as Origin
    exports a worksheet: long names, a row of units, a row of comments, the cells as written."""
    import io

    table = read(path)
    text = path.read_bytes().decode("latin-1")
    block = text[text.index("[Data]") :].split("\n", 1)[1]
    rows = list(csv.reader(io.StringIO(block), delimiter="\t" if "\t" in block[:200] else ","))
    named = [re.fullmatch(r"(.+) \((.+)\)", col) for col in table.metadata.columns.values()]
    at = [rows[0].index(m.group(0)) for m in named]
    cells = [[row[i] for i in at] for row in rows[1:]]
    head = [[m.group(1) for m in named], [m.group(2) for m in named]]
    head += [[f"sample {table.metadata.sample_name}"] + [""] * (len(at) - 1)] * comments
    return "".join(",".join(r) + "\r\n" for r in head + [r for r in cells if any(r)])


@pytest.mark.parametrize(
    ("name", "temperature_K"),
    [("mpms3_vsm_mh_film-A2481_3K.dat", None), ("mpms3_dc_mh_KMK282_5K-300K_tabsep.dat", 5.0)],
)
def test_an_origin_export_with_units_and_comments_rows_gives_the_originals_jc(
    tmp_path, mpms_file, name, temperature_K
):
    """Origin (and many a lab spreadsheet) exports the column names, then a row of their units
    ("Oe,emu,emu,K,sec"), often then one of comments: 'no field column found among 'Magnetic
    Field', 'Moment', ...'. The units row now gives each column its unit, as in its name; the
    comments row is skipped and said. Two real loops so exported give the .dat's Jc(B), its
    error bars and its temperature, point for point."""
    from fluxtrap.magnetometry.pipeline import derive
    from fluxtrap.magnetometry.readers._columns import ReadNoteWarning

    original = mpms_file(name)

    def jc(path):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # no superconductor's loop: forced, and said so
            dims = (0.5e-3, 1.2e-3, 2.8e-3)
            return derive(
                "mh_loop",
                path.read_bytes(),
                path.name,
                *dims,
                temperature_K=temperature_K,
                force=True,
            )[2]

    want = jc(original)
    sample = read(original).metadata.sample_name
    for comments in (True, False):
        path = tmp_path / f"origin_{comments}.csv"
        path.write_text(_origin_export(original, comments), encoding="latin-1", newline="")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table = read(path)
        assert [str(w.message) for w in caught if w.category is ReadNoteWarning] == [
            f"{path.name}: line 3 read as a row of comments under the units (no number in it, "
            f"as Origin's 'Comments' row), not data: 'sample {sample},,,,'"
        ] * comments
        assert table.metadata.columns["moment_err"] in ("M. Std. Err.", "DC Moment Err Free Ctr")
        assert len(table) == len(read(original))  # every point, no header row among them
        got = jc(path)
        np.testing.assert_array_equal(got.field_T, want.field_T)
        np.testing.assert_array_equal(got.jc_A_m2, want.jc_A_m2)
        np.testing.assert_array_equal(got.jc_err_A_m2, want.jc_err_A_m2)
        assert got.temperature_K == want.temperature_K


@pytest.mark.parametrize(
    ("units", "said"),
    [
        ("Oe,a.u.,K", r"line 2, column 'Moment': 'a\.u\.' is not a unit, where the row's other"),
        ("T,emu,K", r"line 2, column 'Field \(Oe\)': the row of units .* says 'T', the .* 'Oe'"),
    ],
)
def test_a_units_row_that_is_not_units_is_refused_naming_its_line(units, said):
    """A row under the column names mixing units with other text, or naming another unit than
    the column's name, cannot be read either way: refused naming the line and the cell."""
    names = "Field (Oe),Moment,T" if units.startswith("T,") else "Field,Moment,T"
    with pytest.raises(InputFileError, match=rf"^u\.csv, {said}"):
        read(f"{names}\n{units}\n0,0,5\n100,1e-3,5\n".encode(), filename="u.csv")


@pytest.mark.parametrize("rows", ["", "sample S1,\n"])
def test_a_units_row_without_data_rows_under_it_is_named_as_such(rows):
    """Column names and their units row, with or without a comments row, and no data: it had
    been 'no field column found among 'Field', 'Moment'' or ''sample S1' is not a number'."""
    with pytest.raises(
        InputFileError, match=r"^u\.csv: no data rows after the column names \(line 1\) and the"
    ):
        read(f"Field,Moment\nOe,emu\n{rows}".encode(), filename="u.csv")


def test_nul_padding_after_the_last_row_is_left_out_and_said_not_a_cut_row(mpms_file):
    """A writer that pre-allocates its file and crashes leaves NUL bytes after the last row
    written: read as a last row 'with no line end' (TruncatedFileWarning, though no row was
    lost), and a short file's padding as UTF-16 text. The padding is now left out with a note,
    the rows read as the unpadded file's; a row cut by the crash is still left out and warned
    about, and a NUL inside the data is still refused."""
    from fluxtrap.magnetometry.readers._columns import ReadNoteWarning

    content = mpms_file("mpms3_vsm_mh_film-A2481_3K.dat").read_bytes()
    small = b"H (Oe),m (emu),T (K)\n0,0,5\n100,1e-3,5\n200,2e-3,5\n"
    for name, whole in (("p.dat", content), ("p.csv", small)):
        want = read(whole, filename=name)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = read(whole + b"\0" * 8192, filename=name)
        assert [(w.category, str(w.message)) for w in caught] == [
            (
                ReadNoteWarning,
                f"{name}: left out 8192 NUL characters after the last line: padding of a file "
                "its writer pre-allocated and did not fill (stopped by a crash?)",
            )
        ]
        np.testing.assert_array_equal(got.moment_Am2, want.moment_Am2)
        assert got.line.tolist() == want.line.tolist() and got.metadata.unterminated_line is None
        cut = whole[: whole.rstrip().rindex(b"\n") + 6]  # inside the last row: the crash's
        with pytest.warns(TruncatedFileWarning, match=rf"^{name}: left out line"):
            assert len(read(cut + b"\0" * 8192, filename=name)) == len(want) - 1
    with pytest.raises(InputFileError, match=r"line 3, column 'H \(Oe\)': '100\\x00'"):
        read(small.replace(b"100,", b"100\0,") + b"\0" * 10, filename="p.csv")


def test_reader_notes_are_kept_in_the_tables_metadata_and_its_stored_form(tmp_path, mpms_file):
    """A real loop exported as Origin does (a units row, a comments row) by a writer that left
    NUL padding: the reader's notes were warnings only, TableMetadata had no field for them, so
    the store and a dashboard upload never showed them. Now in ``read_notes``, in order, and in
    ``to_dict`` (at most READ_NOTES_KEPT, counted), which ``from_dict`` reads back; metadata stored
    before the field loads without notes."""
    from fluxtrap.magnetometry.readers._columns import ReadNoteWarning
    from fluxtrap.magnetometry.table import READ_NOTES_KEPT, TableMetadata, read_notes_text

    original = mpms_file("mpms3_vsm_mh_film-A2481_3K.dat")
    path = tmp_path / "origin.csv"
    path.write_bytes(_origin_export(original).encode("latin-1") + b"\0" * 4096)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        meta = read(path).metadata
    said = [str(w.message) for w in caught if w.category is ReadNoteWarning]
    assert len(said) == 2 and meta.read_notes == tuple(said)
    assert "4096 NUL characters" in said[0] and "line 3 read as a row of comments" in said[1]
    stored = meta.to_dict()
    assert stored["read_notes"] == said and stored["read_notes_count"] == 2
    assert TableMetadata.from_dict({**stored, "temperature_K": 5.0}) == meta
    assert read_notes_text(stored) == said
    older = {k: v for k, v in stored.items() if not k.startswith("read_notes")}
    assert TableMetadata.from_dict(older).read_notes == () and read_notes_text(older) == []
    many = TableMetadata("m.csv", "table", read_notes=[f"m.csv: note {i}" for i in range(8)])
    kept = many.to_dict()
    assert kept["read_notes"] == list(many.read_notes[:READ_NOTES_KEPT])
    assert kept["read_notes_count"] == 8
    assert read_notes_text(kept)[-1] == f"m.csv: {8 - READ_NOTES_KEPT} more reader note(s) not kept"


def test_a_csv_written_for_excel_with_a_sep_line_reads_as_its_table(mpms_file):
    """A real loop saved as CSV for Excel: a BOM, then "sep=;" naming the delimiter above the
    column names. That line had been read as the names: "no field column found among 'sep=',
    ''". Now it sets the delimiter and the table reads as the original, line numbers the file's."""
    original = read(mpms_file("mpms3_vsm_mh_film-S1_5K.dat"))
    columns = (original.field_T * 1e4, original.moment_Am2 * 1e3, original.temperature_K)
    rows = zip(*columns, strict=True)
    text = "sep=;\r\nField (Oe);Moment (emu);Temperature (K)\r\n"
    text += "".join(f"{h!s};{m!s};{t!s}\r\n" for h, m, t in rows)
    got = read(b"\xef\xbb\xbf" + text.encode(), filename="excel.csv")
    np.testing.assert_allclose(got.field_T, original.field_T, rtol=1e-12)
    np.testing.assert_allclose(got.moment_Am2, original.moment_Am2, rtol=1e-12)
    assert got.line[0] == 3 and len(got) == len(original)


def test_a_dat_cut_inside_its_column_names_says_so(mpms_file):
    """An MPMS3 file copied while MultiVu wrote its first lines, cut inside the column names
    after '[Data]': refused as 'no field column; expected one of 'Magnetic Field (Oe)' ...', of
    a file whose only fault is its end. Now the refusal says where the file ends and why."""
    content = mpms_file("mpms3_vsm_mh_film-S1_5K.dat").read_bytes()
    cut = content[: content.index(b"[Data]") + 30]
    with pytest.raises(
        InputFileError,
        match=r"^cut\.dat, line 45: the file ends inside the column names after '\[Data\]' .* cut",
    ):
        read(cut, filename="cut.dat")


def test_a_spreadsheets_empty_rows_of_delimiters_are_blank_lines(mpms_file):
    """A real loop saved from a spreadsheet whose empty rows (one between the branches, two
    below the data) are written as ';;': refused as "line 109, column 'Field (Oe)': empty cell
    where a number is required" (the .dat reader passes such rows over). Now they are blank
    lines: the table is the original's, its line numbers the file's."""
    original = read(mpms_file("mpms3_vsm_mh_film-S1_5K.dat"))
    columns = (original.field_T * 1e4, original.moment_Am2 * 1e3, original.temperature_K)
    rows = [f"{h!s};{m!s};{t!s}\r\n" for h, m, t in zip(*columns, strict=True)]
    half = len(rows) // 2
    text = "Field (Oe);Moment (emu);Temperature (K)\r\n" + "".join(rows[:half]) + ";;\r\n"
    text += "".join(rows[half:]) + ";;\r\n;;\r\n"
    got = read(text.encode(), filename="sheet.csv")
    np.testing.assert_allclose(got.field_T, original.field_T, rtol=1e-12)
    np.testing.assert_allclose(got.moment_Am2, original.moment_Am2, rtol=1e-12)
    assert got.line[half] == half + 3 and got.metadata.skipped_lines == ()


def test_an_mt_sweep_saved_without_its_field_is_told_to_add_it(mpms_file):
    """The real ZFC/FC file saved as temperature and moment only (the 100 Oe in the file's
    name): refused as "no field column found ...; name it with its unit or give a column
    mapping", of a file that has no such column to name or map. The refusal now says an M(T)
    sweep needs its field, and how to give it; so given, the file reads as the original."""
    original = read(mpms_file("mpms3_dc_zfcfc_KMK232_100Oe.dat"))
    rows = zip(original.temperature_K, original.moment_Am2 * 1e3, strict=True)
    text = "T (K),M (emu)\n" + "".join(f"{t!s},{m!s}\n" for t, m in rows)
    with pytest.raises(
        InputFileError,
        match=r"^zfcfc\.csv, line 1: no field column .*; an M\(T\) sweep needs its applied field "
        r"too .* 'H \(Oe\)' of 100$",
    ):
        read(text.encode(), filename="zfcfc.csv")
    lines = text.splitlines()
    given = "\n".join([lines[0] + ",H (Oe)"] + [ln + ",100" for ln in lines[1:]]) + "\n"
    got = read(given.encode(), filename="zfcfc.csv")
    np.testing.assert_allclose(got.moment_Am2, original.moment_Am2, rtol=1e-12)
    with pytest.raises(InputFileError, match=r"no field column found among 'm \(emu\)'; name it"):
        read(b"m (emu)\n1e-3\n2e-3\n", filename="m.csv")  # no M(T): the advice alone


@pytest.mark.parametrize("given", [5, None, ["loop.dat"], np.zeros(3)])
def test_read_of_neither_a_path_nor_bytes_names_the_argument(given):
    """``read(5)`` was pathlib's "expected str, bytes or os.PathLike object, not int" from inside
    Path(); now the argument and what it takes."""
    with pytest.raises(ValidationError, match=r"^read: path_or_bytes must be a file's path \(str"):
        read(given)


def test_a_table_from_pint_quantities_is_converted_not_stripped():
    """``MeasurementTable.from_arrays`` took a pint quantity's magnitude (numpy's
    UnitStrippedWarning): a field in G read as T (1e4 x), a moment in emu as A*m^2 (1e3 x), 5 degC
    as 5 K. They are now converted; an H field where B is due is named."""
    meta = TableMetadata("x.dat", "MPMS3", "VSM")
    table = MeasurementTable.from_arrays(
        Q_([-1e4, 0, 1e4], "G"), Q_([1.0, 0.0, -1.0], "emu"), meta, temperature_K=Q_(5, "degC")
    )
    np.testing.assert_allclose(table.field_T, [-1, 0, 1])
    np.testing.assert_allclose(table.moment_Am2, [1e-3, 0, -1e-3])
    np.testing.assert_allclose(table.temperature_K, 278.15)
    with pytest.raises(UnitError, match=r"MeasurementTable field_T: .* not convertible to T; an H"):
        MeasurementTable.from_arrays(Q_([0, 1e4], "Oe"), [0.0, 1.0], meta)


def test_a_dat_file_that_ends_with_its_column_names_says_it_has_no_data_rows(mpms_file):
    """A real .dat cut after its column names was refused as 'no moment column holds a number
    ... 'Moment (emu)' empty in every row; ... is this not a magnetometry file?', of no row."""
    content = mpms_file("mpms3_vsm_mh_film-S1_5K.dat").read_bytes()
    names_end = content.index(b"\n", content.index(b"[Data]") + 8) + 1
    with pytest.raises(InputFileError) as err:
        read(content[:names_end], filename="S1.dat")
    line = content[:names_end].count(b"\n")
    assert str(err.value).startswith(f"S1.dat: no data rows after the column names (line {line})")


@pytest.mark.parametrize(
    "qty, name, typo",
    [
        ("field", "Magnetic Field (Oe)", "Magnetic Feild (Oe)"),
        ("temperature", "Temperature (K)", "Temperatur (K)"),
    ],
)
def test_a_misspelt_required_column_is_named_with_how_to_map_it(mpms_file, qty, name, typo):
    """A real MPMS3 loop with 'Magnetic Feild (Oe)' was refused as 'no field column; expected one
    of ...', the misspelt column unnamed among 89 and no word of --column; the refusal names it
    and the mapping, which then reads the file as the right name does."""
    content = mpms_file("mpms3_vsm_mh_film-S1_5K.dat").read_bytes()
    at = content.index(b"[Data]")
    bad = content[:at] + content[at:].replace(name.encode(), typo.encode(), 1)
    with pytest.raises(InputFileError) as err:
        read(bad, filename="S1.dat")
    assert f"no {qty} column" in str(err.value)
    assert f"is {typo!r} it? Name it {name!r}, or map it: --column {qty}={typo!r}" in str(err.value)
    mapped = read(bad, filename="S1.dat", columns={qty: typo})
    np.testing.assert_array_equal(mapped.field_T, read(content, filename="S1.dat").field_T)


def test_a_renamed_moment_column_is_refused_saying_the_command_lines_mapping(mpms_file):
    """The refusal said only the library's columns={'moment': ...}, which `fluxtrap jc` has no
    way to take; it says --column moment=NAME too."""
    content = mpms_file("mpms3_vsm_mh_film-S1_5K.dat").read_bytes()
    bad = content.replace(b",Moment (emu),", b",Momemt (emu),", 1)
    with pytest.raises(InputFileError, match=r"other moment-like columns: 'Momemt \(emu\)'") as e:
        read(bad, filename="S1.dat")
    assert "--column moment=NAME on the command line" in str(e.value)


def test_a_time_column_named_t_is_read_as_the_time_not_refused_as_a_temperature():
    """'H (Oe),m (emu),t (s)' was refused as "column 't (s)': named as the temperature but has
    the unit 's'", the column already read as the time (the name test is case-blind: 'T')."""
    table = read(b"H (Oe),m (emu),t (s)\n0,-1e-3,0\n500,-2e-3,5\n1000,-3e-3,10\n", filename="l.csv")
    np.testing.assert_array_equal(table.time_s, [0.0, 5.0, 10.0])
    np.testing.assert_allclose(table.field_T, [0.0, 0.05, 0.1])
    with pytest.raises(InputFileError, match=r"'T \(C\)': named as the temperature but has"):
        read(b"H (Oe),m (emu),t (s),T (C)\n0,-1e-3,0,5\n", filename="l.csv")


def test_a_table_field_beyond_100_t_under_another_label_than_tesla_is_hinted_in_that_unit():
    """'H (kOe)' holding Oe (+-70 000) was refused with the hint of a column labelled T: 'in Oe
    or G (1e4 per T: up to 0.7 T) ... but labelled T? Label it ('B (Oe)')', 10x off and of
    another label. The values as written in kOe give the units that fit, as for a .dat file."""
    with pytest.raises(InputFileError) as err:
        read(b"H (kOe),m (emu)\n0,0\n70000,1e-3\n-70000,2e-3\n", filename="k.csv")
    said = str(err.value)
    assert said.startswith(
        "k.csv, line 3, column 'H (kOe)': |mu0 H| = 7000 T (written 70000 kOe) is beyond 100 T"
    ), said
    assert "in Oe (1e4 per T: up to 7 T)" in said and "labelled kOe? Label it 'H (Oe)'" in said
