"""The store commands of the `fluxtrap` CLI, end to end on SQLite files."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from fluxtrap.campaign import CampaignSpec
from fluxtrap.errors import ValidationError
from fluxtrap.store import Store

from ..conftest import EXAMPLES, PEAK, cli

NAME = "K-Ba122 SPS"


@pytest.fixture
def db(tmp_path, capsys) -> str:
    path = str(tmp_path / "lab.db")
    assert cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", path)[0] == 0
    return path


def add(capsys, db, label, *extra):
    return cli(
        capsys,
        "sample",
        "add",
        "--db",
        db,
        "-c",
        NAME,
        "--label",
        label,
        "--param",
        "ramp_rate=50",
        "--param",
        "max_temperature=600",
        "--param",
        "dwell_time=5",
        *extra,
    )


def test_import_counts_its_samples_in_words(tmp_path, capsys, db):
    """Importing one sample said "imported 1 samples" (export already said "wrote 1 sample")."""
    add(capsys, db, "B2")
    out, other = tmp_path / "h.csv", str(tmp_path / "other.db")
    assert cli(capsys, "export", "--db", db, "-c", NAME, "--out", str(out))[0] == 0
    cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", other)
    code, said, err = cli(capsys, "import", str(out), "--db", other, "-c", NAME)
    assert (code, said.strip()) == (0, f"imported 1 sample into {NAME}"), err


def test_round_trip_export_import_into_new_database(tmp_path, capsys, db):
    assert (
        add(capsys, db, "B2", "-o", "jc_3T=2.9e8", "--by", "ana", "--notes", "first, SPS")[0] == 0
    )
    code, _, _ = cli(
        capsys,
        "sample",
        "add",
        "--db",
        db,
        "-c",
        NAME,
        "--label",
        "B1",
        "--origin",
        "optimizer",
        "--param",
        "ramp_rate=49.8",
        "--param",
        "max_temperature=556",
        "--param",
        "dwell_time=32.47",
    )
    assert code == 0
    Store(db).set_sample_status(NAME, "B1", "failed", note="cracked in the die")
    Store(db).add_measurement(  # B2's value replaced by a measured one, with its 1-sigma
        NAME, "B2", "mh_loop", "B2.dat", b"x", objectives={"jc_3T": 3.1e8},
        objective_errors={"jc_3T": 4.5e6}, recorded_by="ana", replace=True,
    )  # fmt: skip
    out1 = tmp_path / "h1.csv"
    assert cli(capsys, "export", "--db", db, "-c", NAME, "--out", str(out1))[0] == 0

    db2 = str(tmp_path / "other.db")
    cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", db2)
    code, _, err = cli(capsys, "import", str(out1), "--db", db2, "-c", NAME)
    assert code == 0, err
    out2 = tmp_path / "h2.csv"
    cli(capsys, "export", "--db", db2, "-c", NAME, "--out", str(out2))
    assert out1.read_bytes() == out2.read_bytes()
    # numbers as typed, the shortest text that reads back exactly (not 32.469999999999999)
    b1 = next(r for r in out1.read_text().splitlines() if r.startswith("B1,"))
    assert ",49.8,556,32.47," in b1 and ",31000,450," in out1.read_text()  # A/cm²
    first, second = Store(db).samples(NAME), Store(db2).samples(NAME)
    fields = ("label", "params", "objectives", "origin", "recorded_by", "notes", "status")
    fields += ("status_note",)  # a failed sample stays failed (not pending) after the trip
    fields += ("objective_errors",)  # the 1-sigma beside its value, jc_3T_err
    assert out1.read_text().splitlines()[0].split(",")[5:7] == [
        "jc_3T [A/cm²]",
        "jc_3T_err [A/cm²]",
    ]
    assert first[0].objective_errors == {"jc_3T": 4.5e6}
    assert [x.status for x in second] == ["made", "failed"]
    assert [[getattr(x, f) for f in fields] for x in first] == [
        [getattr(x, f) for f in fields] for x in second
    ]


def test_export_names_each_unit_and_import_reads_it_back_exactly(tmp_path, capsys, db):
    """Export wrote bare headers with Jc in A/m^2 while every table shows A/cm^2, so a hand-edited
    export was ambiguous. Each number column now names its unit, Jc in A/cm^2 as a decimal shift
    of the stored A/m^2 (read through pint, 597 of 2000 random values came back 1 ulp off), so
    export -> import gives the same floats; an export of before, with bare headers, reads as
    before."""
    jc, err = (123456789.12345679, 1 / 3 * 1e7), 2.9e8  # not exact in A/cm^2 through pint
    for label, value in (("A1", jc[0]), ("A2", err)):
        assert add(capsys, db, label, "-o", f"jc_3T={value!r}")[0] == 0
    Store(db).add_measurement(
        NAME, "A1", "mh_loop", "A1.dat", b"x", objectives={"jc_3T": jc[0]},
        objective_errors={"jc_3T": jc[1]}, replace=True,
    )  # fmt: skip
    out = tmp_path / "h.csv"
    assert cli(capsys, "export", "--db", db, "-c", NAME, "--out", str(out))[0] == 0
    header, a1, a2 = out.read_text(encoding="utf-8").splitlines()
    assert header.split(",")[:7] == [
        "label", "origin", "ramp_rate [degC/min]", "max_temperature [degC]", "dwell_time [min]",
        "jc_3T [A/cm²]", "jc_3T_err [A/cm²]",
    ]  # fmt: skip
    assert a1.split(",")[5:7] == ["12345.678912345679", "333.3333333333333"]  # A/m^2 / 1e4
    assert a2.split(",")[5:7] == ["29000", ""]
    db2 = str(tmp_path / "other.db")
    cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", db2)
    assert cli(capsys, "import", str(out), "--db", db2, "-c", NAME)[0] == 0
    b1, b2 = Store(db2).samples(NAME)
    assert (b1.objectives["jc_3T"], b1.objective_errors["jc_3T"]) == jc  # the same floats
    assert b2.objectives["jc_3T"] == err and b1.params == Store(db).sample(NAME, "A1").params
    old = tmp_path / "old.csv"  # as export wrote it before: bare names, Jc in A/m^2
    old.write_text(f"{HEAD},jc_3T,jc_3T_err\r\nC1,50,600,5,{jc[0]!r},{jc[1]!r}\r\n")
    assert cli(capsys, "import", str(old), "--db", db2, "-c", NAME)[0] == 0
    c1 = Store(db2).sample(NAME, "C1")
    assert (c1.objectives["jc_3T"], c1.objective_errors["jc_3T"]) == jc


@pytest.mark.parametrize(
    "value", [0.1 + 0.2, 1 / 3, 5e-324, 1.7976931348623157e308, 2.0**60 + 2**8, -0.0, 1e22]
)
def test_exported_numbers_read_back_exactly(value):
    from fluxtrap.workflows.history import shortest

    text = shortest(value)
    assert float(text) == value and str(float(text)) == str(value) and not text.endswith(".0")
    assert float(Decimal(shortest(value, -4)).scaleb(4)) == value  # A/m^2 -> A/cm^2 and back


FORMULAS = ['=HYPERLINK("evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
FORMULAS += ["'=1+1", "''-2"]  # a text that starts with the quote already: it came back without


def test_export_cells_are_spreadsheet_safe_and_import_restores_them(tmp_path, capsys, db):
    """Text that a spreadsheet would run as a formula is written with a leading ' and read back
    as it was given (also one that begins with the ' already: its ' was taken off on import).
    A name (--by) with a tab or CR is refused (check_who), so those two are notes only."""
    by = [t if t[0] not in "\t\r" else f"by{i}" for i, t in enumerate(FORMULAS)]
    for i, text in enumerate(FORMULAS):
        code, _, err = add(capsys, db, text if i < 4 else f"L{i}", "--by", by[i], "--notes", text)
        assert code == 0, err
    out = tmp_path / "h.csv"
    assert cli(capsys, "export", "--db", db, "-c", NAME, "--out", str(out))[0] == 0
    cells = [c for row in csv.reader(out.open(newline="")) for c in row]
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))]
    assert not [c for c in cells if c.startswith("-") and not _number(c)]
    db2 = str(tmp_path / "other.db")
    cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", db2)
    code, _, err = cli(capsys, "import", str(out), "--db", db2, "-c", NAME)
    assert code == 0, err
    got = [(x.label, x.recorded_by, x.notes) for x in Store(db2).samples(NAME)]
    assert got == [(t if i < 4 else f"L{i}", by[i], t) for i, t in enumerate(FORMULAS)]


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_failed_import_leaves_nothing(tmp_path, capsys, db):
    csv = tmp_path / "bad.csv"
    pd.DataFrame(
        {
            "label": ["a", "b", "c"],
            "origin": "researcher",
            "ramp_rate": [50, 60, 70],
            "max_temperature": [600, 650, 9999],
            "dwell_time": [5, 5, 5],
        }
    ).to_csv(csv, index=False)
    code, _, err = cli(capsys, "import", str(csv), "--db", db, "-c", NAME)
    assert code == 2
    assert (
        err.strip()
        == f"error: {csv}, line 4 (sample 'c'): max_temperature=9999 degC is outside [450, 750] degC"
        "; a sample made there already is recorded with --outside-space (outside_space in the web"
        " API)"
    )
    assert Store(db).samples(NAME) == []


@pytest.mark.parametrize(
    "row, says",
    [
        ('a,50,600,5,"a note cut short\r\n', "line 2: not a readable CSV (unexpected end of data)"),
        ('a,50,600,5,"quoted"after\r\n', "line 2: not a readable CSV (',' expected after '\"')"),
    ],
)
def test_an_import_with_broken_quoting_is_refused(tmp_path, capsys, db, row, says):
    """A file cut inside its last quoted note (an interrupted copy) was imported with the note
    cut; "quoted"after was read as quotedafter."""
    csv = tmp_path / "cut.csv"
    csv.write_bytes(f"label,ramp_rate,max_temperature,dwell_time,notes\r\n{row}".encode())
    code, _, err = cli(capsys, "import", str(csv), "--db", db, "-c", NAME)
    assert code == 2 and err == f"error: {csv}, {says}\n"
    assert Store(db).samples(NAME) == []


def test_an_imported_status_note_too_long_names_its_line(tmp_path, capsys, db):
    """The error was "status note: 600 characters, at most 500", naming neither file nor row."""
    csv = tmp_path / "notes.csv"
    csv.write_text(
        "label,ramp_rate,max_temperature,dwell_time,status,status_note\n"
        f"a,50,600,5,failed,cracked\nb,50,600,5,failed,{'x' * 600}\n"
    )
    code, _, err = cli(capsys, "import", str(csv), "--db", db, "-c", NAME)
    assert code == 2
    assert err == f"error: {csv}, line 3 (sample 'b'): status note: 600 characters, at most 500\n"
    assert Store(db).samples(NAME) == []


def test_sample_notes_over_the_web_s_limit_are_refused_by_every_interface(tmp_path, capsys, db):
    """The web took at most 10 000 characters of notes; the CLI and an import stored any length.
    Now the store refuses them (so every interface does), and the CLI's options name themselves
    before the store is opened: nothing is written."""
    fresh = tmp_path / "fresh.db"
    code, _, err = add(capsys, str(fresh), "B1", "--notes", "x" * 10_001)
    assert code == 2 and not fresh.exists()
    assert "Invalid value for '--notes': the text: 10001 characters, at most 10000" in err, err
    code, _, err = add(capsys, db, "B1", "--notes", "x" * 10_001)
    assert code == 2 and Store(db).samples(NAME) == []
    assert add(capsys, db, "B1", "--notes", "x" * 10_000)[0] == 0  # the limit itself is kept
    code, _, err = cli(capsys, "sample", "status", "-c", NAME, "B1", "failed", "--note", "y" * 501,
                       "--db", db)  # fmt: skip
    assert code == 2 and "Invalid value for '--note': the text: 501 characters, at most 500" in err
    assert Store(db).sample(NAME, "B1").status == "made"
    with pytest.raises(
        ValidationError, match=r"sample 'B2': notes: 10001 characters, at most 10000"
    ):
        Store(db).add_sample(NAME, "B2", {"ramp_rate": 50, "max_temperature": 600,
                                          "dwell_time": 5}, notes="x" * 10_001)  # fmt: skip
    csv = tmp_path / "notes.csv"
    csv.write_text(f"label,ramp_rate,max_temperature,dwell_time,notes\nb,50,600,5,{'x' * 10_001}\n")
    code, _, err = cli(capsys, "import", str(csv), "--db", db, "-c", NAME)
    assert code == 2
    assert err == f"error: {csv}, line 2 (sample 'b'): notes: 10001 characters, at most 10000\n"
    assert [x.label for x in Store(db).samples(NAME)] == ["B1"]


LONG = "x" * 201  # the columns hold 200; PostgreSQL refused this, SQLite kept 10 000 characters


@pytest.mark.parametrize(
    "args",
    [
        ("sample", "add", "-c", NAME, "-l", "Z", "-p", "ramp_rate=50", "-p", "max_temperature=600",
         "-p", "dwell_time=5", "--by", LONG),
        ("sample", "status", "-c", NAME, "a", "failed", "--by", LONG),
        ("suggestion", "mark", "1", "discarded", "--by", LONG),
        ("campaign", "create", str(EXAMPLES / "campaign.toml"), "--by", ""),
        ("sample", "status", "-c", NAME, "a", "failed", "--by", " "),
        # an ESC moved the terminal's cursor when the name was listed; U+202E mirrors it: kept
        ("sample", "status", "-c", NAME, "a", "failed", "--by", "ana\x1b[2J"),
        ("suggestion", "mark", "1", "discarded", "--by", "\u202eana"),
    ],
)  # fmt: skip
def test_by_is_checked_as_a_user_name(capsys, db, args):
    add(capsys, db, "a", "--by", "x" * 200)  # the longest allowed
    before = Store(db).samples(NAME)
    code, _, err = cli(capsys, *args, "--db", db)
    assert code == 2 and "--by" in err and "give 1 to 200 characters" in err, err
    assert Store(db).samples(NAME) == before


def test_an_imported_recorded_by_too_long_names_its_line(tmp_path, capsys, db):
    csv = tmp_path / "h.csv"
    csv.write_text(f"{HEAD},recorded_by\na,50,600,5,ana\nb,50,600,5,{LONG}\n")
    code, _, err = cli(capsys, "import", str(csv), "--db", db, "-c", NAME)
    assert code == 2 and f"{csv}, line 3 (sample 'b'): recorded_by 'xxx" in err, err
    assert Store(db).samples(NAME) == []


def test_the_store_checks_who_wherever_it_writes_it(db):
    store = Store(db)
    P = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}
    store.add_sample(NAME, "a", P)
    for write in (
        lambda: store.add_sample(NAME, "b", P, recorded_by=LONG),
        lambda: store.add_suggestions(NAME, [P], [None], {}, 1, created_by=LONG),
        lambda: store.set_sample_status(NAME, "a", "failed", changed_by=LONG),
        lambda: store.add_measurement(NAME, "a", "other", "f.txt", b"x", recorded_by=LONG),
    ):
        with pytest.raises(ValidationError, match="give 1 to 200 characters"):
            write()
    assert [s.status for s in store.samples(NAME)] == ["made"] and store.suggestions(NAME) == []
    assert store.measurements(NAME) == []


def test_a_status_note_of_a_made_sample_makes_the_round_trip(tmp_path, capsys, db):
    """`sample status LABEL made --note` keeps the note, export writes it; import dropped it."""
    add(capsys, db, "a")
    code, _, err = cli(
        capsys, "sample", "status", "-c", NAME, "a", "made", "--note", "re-cut: ok", "--db", db
    )
    assert code == 0, err
    csv, other = tmp_path / "h.csv", str(tmp_path / "other.db")
    assert cli(capsys, "export", "-c", NAME, "--out", str(csv), "--db", db)[0] == 0
    assert cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", other)[0] == 0
    assert cli(capsys, "import", str(csv), "-c", NAME, "--db", other)[0] == 0
    (a,) = Store(other).samples(NAME)
    assert (a.status, a.status_note) == ("made", "re-cut: ok")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--param", "pressure=3"), "unknown parameter(s) pressure"),
        (("--param", "max_temperature"), "--param 'max_temperature': expected key=value"),
        (("--origin", "robot"), "origin 'robot' is not one of researcher, optimizer"),
        (("-o", "jc_0T=1"), "has no objective 'jc_0T'"),
        (("-o", "jc_3T=1_0e8"), "objective jc_3T='1_0e8'"),
        (("--from-suggestion", "42"), "no suggestion with id 42"),
    ],
)
def test_user_errors_print_one_line_and_exit_2(capsys, db, args, message):
    code, out, err = add(capsys, db, "X", *args)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err
    assert "Traceback" not in err + out


def test_a_misspelt_value_is_refused_with_its_near_miss(tmp_path, capsys, db):
    """Only --role named the near miss; status, origin, --kind, suggestion status and tc's
    --criterion did not."""
    assert add(capsys, db, "B2")[0] == 0
    (tmp_path / "m.csv").write_text("T_K,m_emu\n5,1\n")
    cases = [
        (("sample", "status", "-c", NAME, "B2", "faild"), "'faild' is not one of", "failed"),
        (("suggestion", "list", "-c", NAME, "--status", "opne"), "'opne' is not one of", "open"),
        (("suggestion", "mark", "1", "usd"), "'usd' is not one of", "used"),
        (("measure", "add", str(tmp_path / "m.csv"), "-c", NAME, "-s", "B2", "--kind",
          "mt_curv"), "--kind 'mt_curv': one of", "mt_curve"),
    ]  # fmt: skip
    for args, message, close in cases:
        code, out, err = cli(capsys, *args, "--db", db)
        assert code == 2 and err.count("\n") == 1, (args, err)
        assert message in err and f"(did you mean {close!r}?)" in err, (args, err)
    code, _, err = add(capsys, db, "B3", "--origin", "reseacher")
    assert code == 2 and "(did you mean 'researcher'?)" in err, err
    code, _, err = cli(capsys, "tc", str(tmp_path / "m.csv"), "--criterion", "shieldd")
    assert code == 2 and "--criterion 'shieldd'" in err and "(did you mean 'shielded'?)" in err
    assert [s.status for s in Store(db).samples(NAME)] == ["made"]


@pytest.mark.parametrize("unit", ["C", "C/min"])
def test_a_campaign_parameter_in_coulombs_is_refused(tmp_path, capsys, unit):
    """unit = "C" (meant as degC) made a campaign in coulombs without a word; the file is read
    before the store is made."""
    toml = (EXAMPLES / "campaign.toml").read_text().replace('unit = "degC"', f'unit = "{unit}"')
    assert f'unit = "{unit}"' in toml
    (tmp_path / "c.toml").write_text(toml)
    db = str(tmp_path / "lab.db")
    code, _, err = cli(capsys, "campaign", "create", str(tmp_path / "c.toml"), "--db", db)
    assert code == 2 and err.count("\n") == 1, err
    assert f"unit '{unit}': C is the coulomb: write degC (or K) for a temperature" in err
    assert not Path(db).exists()  # a refused file had left a new, empty store of 147 kB


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--role", "admn"), "(did you mean 'admin'?)"),
        (("--expires", "5 parsecs"), "'5 parsecs' is not a time"),
    ],
)
def test_a_refused_user_add_makes_no_store(tmp_path, capsys, args, message):
    """A misspelt --role or --expires had left a new, empty store at --db."""
    db = tmp_path / "lab.db"
    code, _, err = cli(capsys, "user", "add", "bob", *args, "--db", str(db))
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert not db.exists()


@pytest.mark.parametrize(
    ("case", "extra", "message"),
    [
        ("bogus = 1\n", (), "bogus: unknown key"),
        (None, ("--bounds", "x=1"), "--bounds 'x=1': expected NAME=LOW:HIGH"),
    ],
)
def test_a_refused_calibrate_makes_no_store(tmp_path, capsys, case, extra, message):
    """A refused case file or option had left a new, empty store at --db."""
    path = EXAMPLES / "paper_fcm_10K_cooled.toml"
    if case is not None:
        path = tmp_path / "case.toml"
        path.write_text(case)
    (tmp_path / "s.csv").write_text("time_s,B_T\n0,1\n10,0.99\n")
    db = tmp_path / "lab.db"
    args = (str(path), str(tmp_path / "s.csv"), "--probe", "p", "--fit", "sc.n")
    code, _, err = cli(
        capsys, "calibrate", *args, "-o", str(tmp_path / "o"), *extra, "--db", str(db)
    )
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert not db.exists()


def test_duplicate_label_and_missing_campaign(capsys, db):
    add(capsys, db, "B2")
    code, _, err = add(capsys, db, "B2")
    assert code == 2 and "label 'B2' is already used in campaign 'K-Ba122 SPS'" in err
    code, _, err = cli(capsys, "campaign", "show", "nope", "--db", db)
    assert code == 2 and "no campaign named 'nope' (known: 'K-Ba122 SPS')" in err


def test_show_and_list_tables(capsys, db):
    add(capsys, db, "B2", "-o", "jc_3T=2.9e8")
    code, out, _ = cli(capsys, "campaign", "show", NAME, "--db", db)
    assert (
        code == 0 and "B2" in out and "researcher" in out and "2.9e+04" in out
    )  # A/cm^2 on screen
    code, out, _ = cli(capsys, "campaign", "list", "--db", db)
    assert code == 0 and NAME in out


def test_environment_variable_selects_the_database(tmp_path, capsys, monkeypatch):
    path = tmp_path / "env.db"
    monkeypatch.setenv("FLUXTRAP_DB", str(path))
    assert cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"))[0] == 0
    assert path.exists() and Store(str(path)).campaigns()[0].name == NAME


@pytest.mark.parametrize(
    "sub", [[], ["campaign"], ["sample", "add"], ["export"], ["import"], ["user", "add"]]
)
def test_help_reads_well(sub):
    proc = subprocess.run(
        [sys.executable, "-m", "fluxtrap", *sub, "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "Usage: fluxtrap" in proc.stdout
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("kind", ["directory", "fifo", "device"])
def test_import_of_a_non_file_is_one_line_not_a_hang(tmp_path, capsys, db, kind):
    path = {"directory": tmp_path, "device": "/dev/zero"}.get(kind, tmp_path / "pipe")
    if kind == "fifo":
        os.mkfifo(path)  # no writer: reading it would block forever
    code, out, err = cli(capsys, "import", str(path), "--db", db, "-c", NAME)
    assert code == 2 and err == f"error: {path}: not a regular file; a history CSV must be one\n"
    assert Store(db).samples(NAME) == []


HEAD = "label,ramp_rate,max_temperature,dwell_time"


@pytest.mark.parametrize(
    ("text", "message"),
    [  # each of these was imported with a value dropped or changed, or ended in a traceback
        (
            f"{HEAD},jc_3t\nx,50,600,5,1e8\n",
            "line 1: unknown column 'jc_3t'; did you mean 'jc_3T'?",
        ),
        (f"{HEAD},ramp_rate\nx,50,600,5,60\n", "line 1: column 'ramp_rate' appears twice"),
        (f"{HEAD}\nx,50,600,5,99,100\n", "line 2: 6 cells, the header has 4"),
        (f"{HEAD}\nok,50,600,5\nx,50,600\n", "line 3: 3 cells, the header has 4"),
        (f"{HEAD}\n,50,600,5\n", "line 2 (sample ''): label '': use 1 to 200 characters"),
        # float() reads these as 50: numbers are plain decimal text
        (f"{HEAD}\nx,5_0,600,5\n", "line 2 (sample 'x'): ramp_rate='5_0' is not a number"),
        (f"{HEAD}\nx,\uff15\uff10,600,5\n", "ramp_rate='\uff15\uff10' is not a number"),
        (f"{HEAD},jc_3T\nx,50,600,5,1_0e8\n", "objective jc_3T='1_0e8'"),
        (
            f"{HEAD},jc_3T,jc_3T_err\nx,50,600,5,1e8,1_0\n",
            "line 2 (sample 'x'): the error of jc_3T must be a finite number >= 0, got '1_0'",
        ),
        (
            f"{HEAD},jc_3T,jc_3T_err\nx,50,600,5,,3e6\n",
            "line 2 (sample 'x'): an error for 'jc_3T', which is not set with it",
        ),
        # empty cells: "ramp_rate=None is not a number"
        (f"{HEAD}\nx,,600,\n", "line 2 (sample 'x'): no value for ramp_rate, dwell_time;"),
        # a comma-decimal spreadsheet's export: "line 2: 2 cells, the header has 1"
        (
            f"{HEAD.replace(',', ';')};jc_3T\nx;50;600;5;2,1e8\n",
            "line 1: its columns are separated by semicolons, not commas",
        ),
        (  # a TSV: "unknown column 'label\tramp_rate...'"
            f"{HEAD.replace(',', chr(9))}\nx\t50\t600\t5\n",
            "line 1: its columns are separated by tabs, not commas",
        ),
    ],
)
def test_import_refuses_a_csv_that_does_not_fit_the_campaign(tmp_path, capsys, db, text, message):
    path = tmp_path / "h.csv"
    path.write_text(text)
    code, _, err = cli(capsys, "import", str(path), "--db", db, "-c", NAME)
    assert code == 2 and err.startswith(f"error: {path}") and message in err, err
    assert Store(db).samples(NAME) == []


def test_an_overlong_label_is_named_by_its_start(tmp_path, capsys, db):
    """The error repeated the whole label: a 100 000-character line on stderr (that long a cell
    is now refused as csv reads it; one within the cell limit is refused by the store)."""
    path = tmp_path / "h.csv"
    path.write_text(f"{HEAD}\n{'x' * 10_000},50,600,5\n")
    code, _, err = cli(capsys, "import", str(path), "--db", db, "-c", NAME)
    assert code == 2 and f"{path}, line 2 (sample 'xxxx" in err and len(err) < 400, err[:300]


def test_import_keeps_labels_that_look_missing(tmp_path, capsys, db):
    path = tmp_path / "h.csv"
    path.write_text(f"\ufeff{HEAD}\nNA,50,600,5\nNone,50,600,5\nnan,50,600,5\n")
    assert cli(capsys, "import", str(path), "--db", db, "-c", NAME)[0] == 0
    assert [s.label for s in Store(db).samples(NAME)] == ["NA", "None", "nan"]


def test_a_user_name_mixing_look_alike_alphabets_is_refused_by_the_cli_too(tmp_path, capsys):
    """The web's POST /api/users refused "аlice" with a Cyrillic а; `user add` took it, which
    every page then showed as "alice". The check is the store's now; an expiry past 100 years is
    refused by the same rule on both."""
    db = str(tmp_path / "lab.db")
    code, _, err = cli(capsys, "user", "add", "\u0430lice", "--db", db)
    assert code == 2 and "mixes cyrillic and latin letters" in err, err
    code, _, err = cli(capsys, "user", "add", "bob", "--expires", "101 year", "--db", db)
    assert code == 2 and "--expires: '101 year' must be > 0 and at most 100 years" in err, err


def test_revoking_the_last_admin_on_the_cli_says_how_to_mend_it(tmp_path, capsys):
    """The web refuses to revoke its last active admin (409); the CLI, run by the store's owner,
    may, and says then that no one can manage users on the dashboard and how to mend that."""
    db = str(tmp_path / "lab.db")
    for name, role in [("ada", "admin"), ("bob", "writer")]:
        assert cli(capsys, "user", "add", name, "--role", role, "--db", db)[0] == 0
    code, out, _ = cli(capsys, "user", "revoke", "bob", "--db", db)
    assert code == 0 and "no active admin" not in out, out
    code, out, _ = cli(capsys, "user", "revoke", "ada", "--db", db)
    assert code == 0 and "no active admin is left" in out and "--role admin" in out, out


@pytest.mark.parametrize("name", ["a\tb", "e\x1b[2Jx", "two\nlines"])
def test_a_user_name_with_control_characters_is_refused(tmp_path, capsys, name):
    db = str(tmp_path / "u.db")  # it was stored, and `user list` sent the escape to the terminal
    code, out, err = cli(capsys, "user", "add", name, "--db", db)
    assert code == 2 and err.startswith(f"error: user name {name!r}: use 1 to 200 characters")
    assert "token" not in out and not (tmp_path / "u.db").exists()


BIG = str(10**21)  # beyond a 64-bit id: an OverflowError traceback from the SQLite driver


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("suggestion", "mark", BIG, "failed"), "'suggestion_id'"),
        (("simulation", "show", BIG), "'ID'"),
        (("sample", "add", "-c", NAME, "-l", "x", "--from-suggestion", BIG), "'--from-suggestion'"),
        (("measure", "derive", "-c", NAME, "--id", "2", "--id", BIG), "'--id'"),
    ],
)
def test_an_id_beyond_64_bits_is_a_usage_error(capsys, db, args, option):
    code, _, err = cli(capsys, *args, "--db", db)
    bound = f"{BIG!r}: give a whole number from 1 to 9223372036854775807"
    assert code == 2 and f"error: Invalid value for {option}: {bound}" in err, err


def test_an_id_option_shows_a_readable_range_in_every_commands_help(capsys):
    """Every id option or argument showed [1<=x<=9223372036854775807] in its --help; it shows
    [x>=1] (the bound is said when one past it is given: above)."""
    import click
    import typer

    from fluxtrap.cli.app import app

    def helps(command: click.Command, path: tuple[str, ...]):
        yield path
        for name, sub in getattr(command, "commands", {}).items():
            yield from helps(sub, (*path, name))

    shown = []
    for path in helps(typer.main.get_command(app), ()):
        code, out, _ = cli(capsys, *path, "--help")
        text = " ".join(out.split())  # unwrapped
        assert code == 0, path
        assert "9223372036854775807" not in text, path
        shown += [path] * text.count("[x>=1")
    assert {("suggestion", "mark"), ("simulation", "show"), ("sample", "add")} <= set(shown)
    assert {("measure", "derive"), ("measure", "get")} <= set(shown)


def test_compare_with_an_id_beyond_64_bits(capsys, db, tmp_path):
    (tmp_path / "m.csv").write_text(
        "t_s,B_T\n" + "".join(f"{t},{1 - 0.01 * t}\n" for t in range(1, 9))
    )
    code, _, err = cli(capsys, "compare", str(tmp_path / "m.csv"), BIG, "--db", db)
    assert code == 2 and err == f"error: SIM {BIG!r}: with --db give a stored simulation id\n"


def test_import_of_more_rows_than_a_campaign_may_have_is_refused(tmp_path, capsys, db, monkeypatch):
    monkeypatch.setattr("fluxtrap.workflows.history.MAX_BUDGET", 2)  # 10,000 in use
    path = tmp_path / "h.csv"
    path.write_text(f"{HEAD}\na,50,600,5\nb,50,600,5\nc,50,600,5\n")
    code, _, err = cli(capsys, "import", str(path), "--db", db, "-c", NAME)
    assert (
        code == 2 and err == f"error: {path}: more than 2 samples, the most a campaign may have\n"
    )
    assert Store(db).samples(NAME) == []


def test_an_export_that_fails_half_way_leaves_the_old_file_whole(tmp_path, capsys, db, monkeypatch):
    out = tmp_path / "history.csv"
    out.write_text("the export of last week\n")

    def disk_full(self, path, **kwargs):  # half a file, then ENOSPC
        Path(path).write_text("label,ori")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    code, _, err = cli(capsys, "export", "-c", NAME, "--out", str(out), "--db", db, "--overwrite")
    assert (
        code == 2
        and err == f"error: {out}: cannot write it (No space left on device); left as it was\n"
    )
    assert out.read_text() == "the export of last week\n"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_a_note_as_long_as_the_store_takes_makes_the_trip_and_a_longer_cell_is_refused_as_read(
    tmp_path, capsys, db
):
    """The longest note the store takes (10 000 characters, a ' before it when it reads as a
    formula) makes the round trip; a longer cell is refused as csv reads it, naming its line and
    the limit (it was read whole and then refused as notes over the limit: a 50 MB note took
    724 MB)."""
    Store(db).add_sample(NAME, "B1", {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5},
                         notes="=" * 10_000)  # fmt: skip
    out = tmp_path / "h.csv"
    assert cli(capsys, "export", "-c", NAME, "--out", str(out), "--db", db)[0] == 0
    db2 = str(tmp_path / "other.db")
    assert cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", db2)[0] == 0
    code, _, err = cli(capsys, "import", str(out), "--db", db2, "-c", NAME)
    assert code == 0, err
    assert Store(db2).samples(NAME)[0].notes == "=" * 10_000
    out.write_text(f'{HEAD},notes\nB2,50,600,5,"{"x" * 200_000}"\n')
    code, _, err = cli(capsys, "import", str(out), "--db", db2, "-c", NAME)
    assert err == (
        f"error: {out}, line 2: a cell of over 10001 characters, the most a cell may hold "
        "(notes: 10000)\n"
    )


@pytest.mark.parametrize("cell", ["x" * 30_000_000, "x\n" * 15_000_000])
def test_a_huge_cell_is_refused_before_it_is_held_whole(tmp_path, cell):
    """A 50 MB note took 724 MB (peak RSS) to be refused: the file was decoded whole, copied
    into a StringIO (4 bytes a character) and the cell read whole by csv under a 64 MiB field
    limit. Lines are now decoded one at a time, a line over MAX_LINE or a cell over MAX_CELL
    characters refused as read: the peak is the file's bytes and one line (a 30 MB cell on one
    line or on 15 million: 1x its size, not 11x)."""
    file = tmp_path / "huge.csv"
    file.write_text(f'{HEAD},notes\nB1,50,600,5,"{cell}"\n')
    code = (
        f"{PEAK}import sys; from pathlib import Path\n"
        "from fluxtrap.campaign import CampaignSpec\n"
        "from fluxtrap.workflows.history import read_history_csv\n"
        "spec = CampaignSpec.from_toml(sys.argv[2])\n"
        "before = peak()\n"
        "try:\n    print(len(read_history_csv(Path(sys.argv[1]), spec)))\n"
        "except Exception as err:\n    print(err)\n"
        "print(peak() - before)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(file), str(EXAMPLES / "campaign.toml")],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    *said, grown = run.stdout.splitlines()
    assert int(grown) < 2 * file.stat().st_size, (int(grown) / 2**20, said)  # was 11x
    assert said[0].startswith(f"{file}, line 2: ") and "characters, the most a" in said[0], said


def test_two_imports_in_two_threads_do_not_set_the_field_limit_back_under_each_other(
    tmp_path, monkeypatch
):
    """csv's field limit is one for the process; the web server reads history files in threads.
    A pauses after its first row until B has read its own (at most 2 s), B then until A is done:
    A must not set the limit back to csv's 128 kB under B's long note (B waits its turn
    instead), which B then read whole."""
    import threading

    from fluxtrap.workflows import history

    note = {"a": "x" * 10_000, "b": "x" * 20_000}  # b's over the cell limit, under csv's 128 kB
    files = {}
    for name in ("a", "b"):
        files[name] = tmp_path / f"{name}.csv"
        files[name].write_text(
            f"{HEAD},notes\n{name}1,50,600,5,short\n{name}2,50,600,5,{note[name]}\n"
        )
    a_inside, b_inside, a_done = threading.Event(), threading.Event(), threading.Event()
    real_reader, limit = csv.reader, csv.field_size_limit()

    class Paused:
        """csv.reader that pauses after its first row as the test's docstring says."""

        def __init__(self, *args, **kwargs):
            self.rows, self.first = real_reader(*args, **kwargs), True

        line_num = property(lambda self: self.rows.line_num)

        def __next__(self):
            row = next(self.rows)
            if self.first and threading.current_thread().name == "b":
                b_inside.set()
                a_done.wait(5)
            elif self.first:
                a_inside.set()
                b_inside.wait(2)  # with the lock B cannot get there: A goes on after 2 s
            self.first = False
            return row

    monkeypatch.setattr(history.csv, "reader", Paused)
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    got, errors = {}, []

    def read(name):
        try:
            got[name] = history.read_history_csv(files[name], spec)
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)
        finally:
            if name == "a":
                a_done.set()

    b = threading.Thread(target=read, args=("b",), name="b")
    a = threading.Thread(target=read, args=("a",), name="a")
    a.start()
    assert a_inside.wait(5)
    b.start()
    for t in (a, b):
        t.join(10)
    assert [r["notes"] for r in got["a"]] == ["short", note["a"]] and "b" not in got
    assert [str(e) for e in errors] == [
        f"{files['b']}, line 3: a cell of over 10001 characters, the most a cell may hold "
        "(notes: 10000)"
    ]  # the limit held while b read: a set it back to csv's 128 kB only once b was done
    assert csv.field_size_limit() == limit  # set back once both are done


@pytest.mark.parametrize(
    "db, says",
    [
        # a folder: was "unable to open database file"
        ("{tmp}", "{tmp}: a folder, not a store; give its SQLite file, e.g. {tmp}/fluxtrap.db"),
        ("{tmp}/notes.txt", "file is not a database"),
        ("{tmp}/no/such/folder/lab.db", "lab.db: no store there"),
        ("{tmp}/notes.txt/lab.db", "lab.db: no store there"),
        # a name over 255 bytes: an OSError traceback
        ("{tmp}/" + "a" * 300, "a" * 20 + ": File name too long (check --db or $FLUXTRAP_DB)"),
        ("bogus://lab", "'bogus' is not a database; give DIALECT://"),  # Can't load plugin
        # a port that is no number: a ValueError traceback
        (
            "postgresql+psycopg://lab:SECRET@127.0.0.1:x/lab",
            "store URL 'postgresql+psycopg://lab:***@127.0.0.1:x/lab': not a URL (invalid "
            "literal for int() with base 10: 'x'); give DIALECT://USER:PASSWORD@HOST:PORT/DATABASE",
        ),
        # without its //: an SQLite path whose error showed the password
        (
            "postgresql+psycopg:/lab:SECRET@127.0.0.1/lab",
            "store 'postgresql+psycopg:/lab:***@127.0.0.1/lab': a database URL without '//' "
            "after its scheme",
        ),
        # a password in the query, as libpq takes it: the error printed it whole
        (
            "postgresql+psycopg://lab@127.0.0.1:1/lab?sslmode=disable&password=SECRET",
            "cannot open the store 'postgresql+psycopg://lab@127.0.0.1:1/lab?password=***&"
            "sslmode=disable': connection failed",
        ),
        # an unescaped '@' in the password: the driver said "cannot resolve host 'SECRET@...'"
        (
            "postgresql+psycopg://lab:p@SECRET@127.0.0.1:1/lab",
            "store URL 'postgresql+psycopg://***@127.0.0.1:1/lab': more than one '@' before its "
            "host, so where the password ends cannot be told; write an '@' in a user name or "
            "password as %40",
        ),
        # an '@' in the user name of a URL that is no URL: was printed whole
        (
            "postgresql+psycopg://lab@home:SECRET@127.0.0.1:x/lab",
            "store URL 'postgresql+psycopg://***@127.0.0.1:x/lab': not a URL",
        ),
        (
            "postgresql+psycopg:///lab?host=127.0.0.1&port=x&PassWord=SECRET&sslpassword=SECRET",
            "store 'postgresql+psycopg:///lab?PassWord=***&host=127.0.0.1&port=x&sslpassword=***'",
        ),
    ],
)
def test_a_store_that_cannot_be_opened_is_one_line_and_untouched(tmp_path, capsys, db, says):
    """--db naming a folder, a file that is no database, a missing folder, an unknown scheme or
    a malformed URL was a SQLAlchemy traceback on every store command; no password is shown."""
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"SQLite format 3\x00 not really, a lab's notes " * 100)
    db, says = db.format(tmp=tmp_path), says.format(tmp=tmp_path)
    code, out, err = cli(capsys, "campaign", "list", "--db", db)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and says in err, err
    assert err.count("\n") == 1 and "SECRET" not in err
    assert notes.read_bytes() == b"SQLite format 3\x00 not really, a lab's notes " * 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize(
    "command",
    [
        ["campaign", "show", NAME],
        ["campaign", "list"],
        ["measure", "list", "-c", NAME],
        ["sample", "list", "-c", NAME],
        ["suggest", "-c", NAME],
        ["simulation", "list"],
        ["user", "list"],
    ],
)
def test_a_misspelt_store_path_is_refused_and_not_created(tmp_path, capsys, command):
    """`campaign show X --db lab2.db` (a typo) said "no campaign named 'X'" and left an empty,
    migrated lab2.db behind, which later commands took for a real store: a command that needs a
    store now names the missing file and creates nothing; those that start one still do."""
    typo = tmp_path / "lab2.db"
    code, out, err = cli(capsys, *command, "--db", str(typo))
    assert (code, out) == (2, "") and f"{typo}: no store there" in err, err
    assert not typo.exists() and list(tmp_path.iterdir()) == []
    spec = Path(__file__).parents[2] / "examples" / "campaign.toml"
    assert cli(capsys, "campaign", "create", str(spec), "--db", str(typo))[0] == 0
    assert typo.exists()


@pytest.mark.parametrize("header", [False, True])
@pytest.mark.parametrize(
    "command",
    [
        ["campaign", "list"],
        ["campaign", "show", NAME],
        ["sample", "list", "-c", NAME],
        ["user", "list"],
        ["sample", "add", "-c", NAME, "--label", "B1", "--param", "ramp_rate=50"],
    ],
)
def test_an_empty_store_file_is_no_store_and_is_left_as_it_is(tmp_path, capsys, command, header):
    """An empty --db file (0 bytes, as `touch` or mktemp leaves it, or SQLite's header alone) was
    migrated into a 147 kB store even by `campaign list`, which then listed nothing: a command
    that does not start a store now says there is none there and leaves the file as it was;
    `campaign create` still makes its store in it."""
    import sqlite3
    from contextlib import closing

    empty = tmp_path / "lab.db"
    empty.touch()
    if header:
        with closing(sqlite3.connect(empty)) as made:
            made.execute("PRAGMA user_version = 1")
            made.commit()
    before = empty.read_bytes()
    code, out, err = cli(capsys, *command, "--db", str(empty))
    assert (code, out) == (2, "") and f"{empty}: no store there (an empty file;" in err, err
    assert empty.read_bytes() == before and list(tmp_path.iterdir()) == [empty]
    spec = Path(__file__).parents[2] / "examples" / "campaign.toml"
    assert cli(capsys, "campaign", "create", str(spec), "--db", str(empty))[0] == 0
    assert Store(str(empty)).campaign(NAME).name == NAME


@pytest.mark.parametrize("command", [["export", "-c", NAME], ["backup", NAME]])
@pytest.mark.parametrize("end", ["", "-wal"])
def test_an_output_file_that_is_the_store_is_refused(tmp_path, capsys, db, command, end):
    """`export --out lab.db --db lab.db` (or backup; suggest is checked alike) replaced the whole
    store, every campaign, with the CSV or the zip."""
    add(capsys, db, "B1")
    code, _, err = cli(capsys, *command, "--out", db + end, "--db", db)
    assert code == 2 and "that is the store" in err and err.count("\n") == 1, err
    # still SQLite's own files (a checkpoint may move the WAL's pages: compare kinds, not bytes)
    assert Path(db).read_bytes()[:16] == b"SQLite format 3\x00"
    wal = Path(db + "-wal")
    assert not wal.exists() or wal.read_bytes()[:4] in (
        b"",
        b"\x37\x7f\x06\x82",
        b"\x37\x7f\x06\x83",
    )
    assert [s.label for s in Store(db).samples(NAME)] == ["B1"]


def _statements(capsys, *args) -> tuple[int, str]:
    """How many SQL statements ``fluxtrap *args`` issues, and what it prints."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    count = 0

    def counted(*_):
        nonlocal count
        count += 1

    event.listen(Engine, "before_cursor_execute", counted)
    try:
        code, out, err = cli(capsys, *args)
    finally:
        event.remove(Engine, "before_cursor_execute", counted)
    assert code == 0, err
    return count, out


def test_sample_list_issues_the_same_statements_for_any_number_of_samples(capsys, db):
    """10 000 samples took 17 s: rich's Table measured, wrapped and cropped every cell (and
    cropped the files column off an 80-column screen). The table is now text, every cell whole."""
    store = Store(db)
    P = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}
    store.add_samples(NAME, [{"label": "a", "params": P}, {"label": "b", "params": P}])
    store.add_measurement(NAME, "a", "other", "a.txt", b"x")
    few, _ = _statements(capsys, "sample", "list", "-c", NAME, "--db", db)
    long = "L" * 200
    rows = [{"label": f"{long[:-4]}{i:04d}", "params": P, "objectives": {"jc_3T": 2.9e8}}
            for i in range(300)]  # fmt: skip
    store.add_samples(NAME, rows)
    for r in rows[::50]:
        store.add_measurement(NAME, r["label"], "other", "f.txt", b"x")
    many, out = _statements(capsys, "sample", "list", "-c", NAME, "--db", db)
    assert many == few
    lines = out.splitlines()
    assert len(lines) == 1 + 4 + 302 + 1  # title, top rule + two header lines + rule, rows, bottom
    assert "max_temperature" in lines[2] and "files" in lines[3] and "[degC/min]" in lines[3]
    shown = {line.split()[1]: line for line in lines[5:-1]}
    assert set(shown) == {"a", "b", *(r["label"] for r in rows)}  # every label whole
    assert shown["a"].split()[-2] == "yes" and "2.9e+04" in shown[rows[0]["label"]]
    assert len({len(line) for line in lines[1:]}) == 1  # one width: the columns line up


def test_a_label_in_another_unicode_form_is_a_duplicate(tmp_path, capsys, db):
    """ "Bé1" typed as e + U+0301 was a second sample that looks the same in every table."""
    assert add(capsys, db, "B\u00e91")[0] == 0
    csv = tmp_path / "h.csv"
    csv.write_text(f"{HEAD}\nBe\u03011,50,600,5\n")
    code, _, err = cli(capsys, "import", str(csv), "--db", db, "-c", NAME)
    assert code == 2 and "line 2 (sample 'Be\u03011'): label 'Be\u03011' is already used as" in err
    code, _, err = add(capsys, db, "Be\u03011")
    assert code == 2 and "another Unicode form" in err
    assert [s.label for s in Store(db).samples(NAME)] == ["B\u00e91"]


def test_a_label_twice_in_one_import_is_named_as_such(tmp_path, capsys, db):
    """A row pasted twice was "label 'A3' is already used in campaign ...": the campaign had no
    A3 (nothing was stored), the file had it twice."""
    csv = tmp_path / "h.csv"
    csv.write_text(f"{HEAD}\nA3,50,600,5\nA4,50,600,5\nA3,50,600,5\n")
    code, _, err = cli(capsys, "import", str(csv), "--db", db, "-c", NAME)
    assert code == 2
    assert f"line 4 (sample 'A3'): label 'A3' is given twice, first at {csv}, line 2" in err
    assert "already used" not in err
    assert Store(db).samples(NAME) == []


@pytest.mark.parametrize("seed", ["-1", str(2**31)])
def test_a_seed_a_suggestion_cannot_record_is_refused_before_the_optimizer_runs(capsys, db, seed):
    """--seed 2**31 ran the optimizer, then PostgreSQL refused the 32-bit seed column (SQLite
    stored it); --seed -1 reached torch."""
    code, _, err = cli(capsys, "suggest", "-c", NAME, "--seed", seed, "--db", db)
    assert code == 2 and f"'--seed': '{seed}': give a whole number from 0 to 2147483647" in err
    assert Store(db).suggestions(NAME) == []
    with pytest.raises(ValidationError, match=f"seed {seed}: give 0 to 2147483647"):
        Store(db).add_suggestions(NAME, [{"ramp_rate": 50, "max_temperature": 600,
                                          "dwell_time": 5}], [None], {}, seed=int(seed))  # fmt: skip


def test_campaign_list_counts_samples_in_statements_independent_of_campaigns(tmp_path, capsys, db):
    """Each campaign's samples were all loaded to count them: one query per campaign."""
    store = Store(db)
    P = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}
    store.add_samples(NAME, [{"label": f"s{i}", "params": P} for i in range(3)])
    few, out = _statements(capsys, "campaign", "list", "--db", db)
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml").to_dict()
    for i in range(5):
        store.create_campaign(CampaignSpec.from_dict(spec | {"name": f"other {i}"}))
    store.add_sample("other 2", "x", P)
    many, out = _statements(capsys, "campaign", "list", "--db", db)
    assert many == few
    counts = {
        line.split("│")[1].strip(): line.split("│")[-2].strip()
        for line in out.splitlines()
        if line.count("│") > 3
    }
    assert counts[NAME] == "3" and counts["other 2"] == "1" and counts["other 0"] == "0"


def test_an_import_may_leave_out_a_fixed_parameter_as_sample_add_may(tmp_path, capsys):
    """An empty cell of a fixed parameter was "die=None: this campaign holds die fixed at
    'graphite'", a file without its column "missing column(s) die", while `sample add` fills a
    fixed parameter in."""
    db, toml = str(tmp_path / "lab.db"), tmp_path / "c.toml"
    toml.write_text(
        'name = "F"\n[[parameters]]\nname = "T"\nunit = "degC"\nlow = 450\nhigh = 750\n'
        '[[parameters]]\nname = "die"\nfixed = "graphite"\n'
    )
    assert cli(capsys, "campaign", "create", str(toml), "--db", db)[0] == 0
    (tmp_path / "a.csv").write_text("label,T,die\na,500,\nb,600,graphite\n")
    (tmp_path / "b.csv").write_text("label,T\nc,700\n")
    for name in ("a.csv", "b.csv"):
        code, _, err = cli(capsys, "import", str(tmp_path / name), "--db", db, "-c", "F")
        assert code == 0, err
    assert [s.params for s in Store(db).samples("F")] == [
        {"T": t, "die": "graphite"} for t in (500.0, 600.0, 700.0)
    ]


def test_objectives_measured_by_hand_are_recorded_and_never_overwritten_unasked(capsys, db):
    """`sample measured` sets objective values of a sample already added (the campaign example
    promised it for a Tc measured elsewhere; no command did it). A stored value stays unless
    --replace, and what was there is printed; a failed sample takes none."""

    def measured(*args):
        return cli(capsys, "sample", "measured", "--db", db, "-c", NAME, "B2", *args)

    assert add(capsys, db, "B2")[0] == 0
    code, out, _ = measured("-o", "jc_3T=2.1e4 A/cm^2")
    assert (code, out.strip()) == (0, "B2: jc_3T = 2.1e+04 A/cm²")
    code, _, err = measured("-o", "jc_3T=2.5e4 A/cm^2")
    assert code == 2
    assert "sample 'B2' already has jc_3T = 21000 A/cm²: nothing written; ask to replace it" in err
    assert Store(db).sample(NAME, "B2").objectives == {"jc_3T": pytest.approx(2.1e8)}
    assert Store(db).sample(NAME, "B2").objective_set_by == {}  # nobody named
    code, out, _ = measured("-o", "jc_3T=2.5e4 A/cm^2", "--replace", "--by", "ana")
    assert (code, out.strip()) == (0, "B2: jc_3T = 2.5e+04 A/cm² (was 2.1e+04 A/cm²)")
    b2 = Store(db).sample(NAME, "B2")
    assert (b2.objectives, b2.objective_set_by) == (
        {"jc_3T": pytest.approx(2.5e8)},
        {"jc_3T": "ana"},
    )
    # a value measured by hand may carry its 1-sigma, stored and shown with it
    code, out, _ = measured("-o", "jc_3T=2.6e4 ± 300 A/cm^2", "--replace")
    assert (code, out.strip()) == (0, "B2: jc_3T = 26,000 ± 300 A/cm² (was 2.5e+04 A/cm²)")
    assert Store(db).sample(NAME, "B2").objective_errors == {"jc_3T": pytest.approx(3e6)}
    code, out, _ = measured("-o", "jc_3T=2.5e4 A/cm^2", "--replace")  # none given: none kept
    assert out.strip() == "B2: jc_3T = 2.5e+04 A/cm² (was 26,000 ± 300 A/cm²)"
    assert Store(db).sample(NAME, "B2").objective_errors == {}
    code, _, err = cli(capsys, "sample", "status", "--db", db, "-c", NAME, "B2", "failed")
    assert code == 2 and "sample 'B2' has jc_3T = 25000 A/cm²: a measured sample is not" in err
    assert Store(db).sample(NAME, "B2").objectives == {"jc_3T": pytest.approx(2.5e8)}
    assert add(capsys, db, "B3")[0] == 0
    assert cli(capsys, "sample", "status", "--db", db, "-c", NAME, "B3", "failed")[0] == 0
    code, _, err = cli(
        capsys, "sample", "measured", "--db", db, "-c", NAME, "B3", "-o", "jc_3T=3e4 A/cm^2"
    )
    assert (code, "sample 'B3' is marked failed") == (2, err.split(" (")[0].removeprefix("error: "))
    assert Store(db).sample(NAME, "B3").objectives == {}


def test_a_bare_jc_is_read_in_si_and_said_so(capsys, db):
    """Tables show Jc in A/cm², a bare number is read in A/m²: "2e4" copied from a table would be
    stored 10^4 times too small without a word. Below any bulk's Jc it is refused (as the web
    and the store from Python refuse it), above it taken with a note."""
    code, _, err = add(capsys, db, "B2", "-o", "jc_3T=2e4")
    assert code == 2 and "jc_3T = 2e4 is read in A/m^2 (a bare number), 2 A/cm^2" in err, err
    assert add(capsys, db, "B2", "-o", "jc_3T=2e4 A/cm^2")[2] == ""
    code, _, err = cli(capsys, "sample", "measured", "--db", db, "-c", NAME, "B2", "-o",
                       "jc_3T=2.1e8", "--replace")  # fmt: skip
    assert (code, err.strip()) == (
        0,
        'note: jc_3T=2.1e8 has no unit: read as 2.1e+08 A/m², 2.1e+04 A/cm² (write "2.1e8 A/cm^2" '
        "for A/cm²)",
    )
    assert add(capsys, db, "B4", "-o", "jc_3T=0")[::2] == (0, "")  # 0 in any unit: no note


def test_a_unit_in_an_imported_header_is_read_or_refused(tmp_path, capsys, db):
    """A spreadsheet's "dwell_time (h)" was an unknown column, and the hint 'did you mean
    dwell_time?' had the unit taken off by hand: 0.5 h stored as 0.5 min, jc in A/cm² stored as
    A/m² (2.1 for 21,000) without a word. A unit in brackets is now read, one of another kind
    refused naming the column, and nothing is written."""
    csv = tmp_path / "h.csv"
    csv.write_text(
        "label,ramp_rate [°C/min],max_temperature (K),dwell_time (h),jc_3T [A/cm²],"
        "jc_3T_err [A/cm²]\nU1,12.5,873.15,0.5,21000,100\nU2,0.2 K/s,600 degC,1,,\n",
        encoding="utf-8",
    )
    code, _, err = cli(capsys, "import", str(csv), "--db", db, "-c", NAME)
    assert code == 0, err
    u1, u2 = Store(db).samples(NAME)
    assert u1.params == {"ramp_rate": 12.5, "max_temperature": 600.0, "dwell_time": 30.0}
    assert u1.objectives["jc_3T"] == pytest.approx(2.1e8)
    assert u1.objective_errors["jc_3T"] == pytest.approx(1e6)
    assert u2.params == {"ramp_rate": 12.0, "max_temperature": 600.0, "dwell_time": 60.0}
    csv.write_text("label,ramp_rate,max_temperature (K/min),dwell_time\nU3,12.5,600,5\n")
    code, _, err = cli(capsys, "import", str(csv), "--db", db, "-c", NAME)
    assert code == 2
    assert (
        "line 1: column 'max_temperature (K/min)': 'K/min' is not a unit of max_temperature (in degC)"
        in err
    )
    assert [s.label for s in Store(db).samples(NAME)] == ["U1", "U2"]
    csv.write_text("label,ramp_rate,max_temperature [C],dwell_time\nU3,12.5,600,5\n")
    code, _, err = cli(capsys, "import", str(csv), "--db", db, "-c", NAME)  # C: the coulomb
    assert code == 2 and "in degC; C is the coulomb: write degC (or K)" in " ".join(err.split())
    assert [s.label for s in Store(db).samples(NAME)] == ["U1", "U2"]


def test_a_bare_jc_column_of_values_below_any_bulk_s_is_refused(tmp_path, capsys, db):
    """A jc_3T column with no unit is read in A/m^2 (as export wrote it): 21000 typed in A/cm^2
    was stored as 2.1 A/cm^2 without a word. Below 100 A/cm^2 it is refused, naming the line and
    the two headers that read it; with the unit in the header it is stored."""
    csv = tmp_path / "bare.csv"
    csv.write_text(f"{HEAD},jc_3T\nJ1,50,600,5,2.3e8\nJ2,50,600,5,21000\n")
    code, _, err = cli(capsys, "import", str(csv), "--db", db, "-c", NAME)
    assert code == 2 and "bare.csv, line 3 (sample 'J2'): jc_3T = 21000 read in A/m^2" in err, err
    assert "is 2.1 A/cm^2, below any bulk's Jc" in err and "'jc_3T [A/cm²]'" in err
    assert [s.label for s in Store(db).samples(NAME)] == []
    csv.write_text(f"{HEAD},jc_3T [A/m²]\nJ2,50,600,5,21000\n", encoding="utf-8")
    assert cli(capsys, "import", str(csv), "--db", db, "-c", NAME)[0] == 0
    assert Store(db).sample(NAME, "J2").objectives["jc_3T"] == pytest.approx(21000)


def test_a_spreadsheets_empty_rows_and_unnamed_columns_are_left_out(tmp_path, capsys, db):
    """A spreadsheet saves rows whose cells were cleared as ",,,," and once-formatted columns
    with no name: the file was refused ("line 3 (sample ''): no value for ramp_rate, ...",
    "unknown column ''"). An unnamed column holding a value is still refused, naming where."""
    csv = tmp_path / "h.csv"
    csv.write_bytes(f"\ufeff{HEAD},,\r\nE1,50,600,5,,\r\n,,,,,\r\n,,\r\nE2,50,600,5,,\r\n".encode())
    code, _, err = cli(capsys, "import", str(csv), "--db", db, "-c", NAME)
    assert code == 0, err
    assert [s.label for s in Store(db).samples(NAME)] == ["E1", "E2"]
    csv.write_text(f"{HEAD},\nE3,50,600,5,oven A\n")
    code, _, err = cli(capsys, "import", str(csv), "--db", db, "-c", NAME)
    assert code == 2 and "line 2: 'oven A' is in column 5, which has no name in line 1" in err
    assert [s.label for s in Store(db).samples(NAME)] == ["E1", "E2"]


def test_a_file_not_in_utf8_is_refused_naming_its_line(tmp_path, capsys, db):
    """A spreadsheet's plain CSV in Windows-1252 was "not UTF-8 text (byte 57)"."""
    csv = tmp_path / "h.csv"
    csv.write_bytes(f"{HEAD}\nW1,50,600,5\nÜ2,50,600,5\n".encode("cp1252"))
    code, _, err = cli(capsys, "import", str(csv), "--db", db, "-c", NAME)
    assert (
        code == 2 and f"{csv}, line 3: not UTF-8 text (byte 55, 0xdc); save it as CSV UTF-8" in err
    )
    assert Store(db).samples(NAME) == []


def test_a_store_that_cannot_be_made_leaves_no_file_behind(tmp_path, capsys, monkeypatch):
    """`campaign create --db new.db` on a full disk said so, but left an empty new.db, which every
    later command took for a store (no "no store there"): the file it made is removed."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    def full(self):
        self.engine.connect().close()  # SQLite makes the file, empty, on connecting
        raise OperationalError(
            "CREATE TABLE", {}, sqlite3.OperationalError("database or disk is full")
        )

    monkeypatch.setattr(Store, "upgrade", full)
    new = tmp_path / "new.db"
    spec = Path(__file__).parents[2] / "examples" / "campaign.toml"
    code, _, err = cli(capsys, "campaign", "create", str(spec), "--db", str(new))
    assert code == 2 and "database or disk is full" in err, err
    assert list(tmp_path.iterdir()) == []
