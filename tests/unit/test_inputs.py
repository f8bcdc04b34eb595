"""Untrusted TOML and JSON documents: bounded size and nesting, finite numbers, bounded strings."""

import io
import json
import math
import os
import re
from pathlib import Path

import pytest

from fluxtrap.campaign import CampaignSpec
from fluxtrap.errors import InputFileError, UnitError, UnknownKeyError, ValidationError
from fluxtrap.inputs import (
    MAX_DEPTH,
    MAX_DOCUMENT,
    MAX_FILE,
    MAX_STRING,
    check_keys,
    check_values,
    load_toml,
    read_text,
)
from fluxtrap.simulate.case import Case

from ..conftest import EXAMPLES


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 400, 100_000])
def test_deeply_nested_toml_is_refused(depth):
    with pytest.raises(InputFileError, match="nested more than 16 deep"):
        load_toml("a = " + "[" * depth + "]" * depth, "case.toml")


def test_deep_tables_by_dotted_keys_are_refused():
    with pytest.raises(InputFileError, match=r"case.toml: a\.a\.a.*nested more than 16 deep"):
        load_toml("[" + ".".join(["a"] * 50) + "]\nx = 1", "case.toml")


def test_oversized_documents_and_strings_are_refused():
    with pytest.raises(InputFileError, match="more than a TOML file may have"):
        load_toml("x = 1\n" * (MAX_DOCUMENT // 6 + 1), "big.toml")
    with pytest.raises(InputFileError, match="title is 200001 characters long"):
        load_toml(f'title = "{"x" * (MAX_STRING + 1)}"', "big.toml")


def test_integers_of_more_digits_than_python_reads_are_refused():
    """Python's int() reads at most 4300 digits; tomli's ValueError was not a TOML error (a 500
    for a case sent to the web server)."""
    with pytest.raises(InputFileError, match="case.toml: an integer of more than 4300 digits"):
        load_toml("n = 1" + "0" * 4300, "case.toml")


@pytest.mark.parametrize(("literal", "shown"), [("nan", "nan"), ("inf", "inf"), ("-inf", "-inf")])
def test_toml_nan_and_inf_literals_are_refused_with_their_key(literal, shown):
    text = f"[materials.bulk1]\nn = 35\njc.table = {{ field = [0, 1], jc = [1e5, {literal}] }}"
    with pytest.raises(InputFileError, match=rf"case: materials.bulk1.jc.table.jc\[1\] is {shown}"):
        load_toml(text, "case")


def test_json_nan_is_refused_with_its_key():
    data = json.loads('{"parameters": [{"name": "x", "low": 0, "high": NaN}]}')
    with pytest.raises(InputFileError, match=r"body: parameters\[0\].high is nan"):
        check_values(data, "body")


def test_case_files_refuse_non_finite_numbers_and_expressions(tmp_path):
    text = (EXAMPLES / "paper_bulk_pair.toml").read_text()
    bad = tmp_path / "nan.toml"
    bad.write_text(re.sub(r"(?m)^n = ", "n = nan # ", text, count=1))
    with pytest.raises(InputFileError, match=r"nan.toml: materials\.\w+\.n is nan"):
        Case.from_toml(bad)
    bad.write_text(text.replace('size = "1 mm"', 'size = "nan m"'))
    with pytest.raises(UnitError, match="mesh.size"):
        Case.from_toml(bad)
    bad.write_text(text.replace('duration = "', 'duration = "9**9**9 s" # "', 1))
    with pytest.raises(UnitError, match="misplaced power"):
        Case.from_toml(bad)


def test_campaigns_refuse_non_finite_bounds_and_steps(tmp_path):
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml").to_dict()
    spec["parameters"][0]["step"] = float("nan")
    with pytest.raises(InputFileError, match=r"parameters\[0\].step is nan"):
        CampaignSpec.from_dict(spec, source="campaign")
    f = tmp_path / "c.toml"
    f.write_text((EXAMPLES / "campaign.toml").read_text().replace("high = 100", "high = inf"))
    with pytest.raises(InputFileError, match=r"parameters\[0\].high is inf"):
        CampaignSpec.from_toml(f)
    spec["parameters"][0]["step"] = 1e999  # what json.loads makes of 1e999
    with pytest.raises(InputFileError, match="is inf"):
        CampaignSpec.from_dict(spec)


def test_integers_beyond_any_float_are_refused_with_their_key(tmp_path):
    """TOML and JSON integers have no bound; one beyond 1.8e308 failed with Python's
    OverflowError where a number was used (a stepped parameter's grid rule, a case's n)."""
    f = tmp_path / "c.toml"
    huge = "1" + "0" * 400
    text = (EXAMPLES / "campaign.toml").read_text()
    f.write_text(text.replace("high = 100", f"high = {huge}", 1))
    with pytest.raises(
        InputFileError, match=r"parameters\[0\].high is an integer beyond any float"
    ):
        CampaignSpec.from_toml(f)
    case = (EXAMPLES / "paper_bulk_pair.toml").read_text()
    with pytest.raises(InputFileError, match=r"materials\.\w+\.n is an integer beyond any float"):
        Case.from_toml("case.toml", re.sub(r"(?m)^n = \S+", f"n = -{huge}", case, count=1))
    assert check_values({"x": [10**308, -(10**308)]}, "body") == {"x": [10**308, -(10**308)]}


def test_campaign_objective_field_is_a_quantity_without_expressions():
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml").to_dict()
    spec["objectives"] = [{"name": "jc", "quantity": "jc", "field": "9**9**9 T"}]
    with pytest.raises((UnitError, ValidationError), match=r"objectives\[0\].field"):
        CampaignSpec.from_dict(spec)


def _readers():
    from fluxtrap.jctable import read_jc_columns
    from fluxtrap.workflows.sweep import read_list

    return [
        (Case.load, "case file"),
        (read_jc_columns, "Jc table"),
        (read_list, "variant list"),
    ]


@pytest.mark.timeout(
    20
)  # a FIFO without a writer blocked open(), /dev/zero was read until memory ran out
@pytest.mark.parametrize("kind", ["/dev/zero", "fifo", "directory"])
def test_case_files_and_tables_must_be_regular_files(tmp_path, kind):
    path = tmp_path / "x.toml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path = Path(kind)
    for read, what in _readers():
        with pytest.raises(InputFileError, match=rf"^{path}: not a regular file; a {what} must"):
            read(path)


def test_case_files_and_tables_over_4_mib_are_refused_reading_at_most_one_byte_more(
    tmp_path, monkeypatch
):
    path = tmp_path / "big.csv"
    path.write_text("B_T,Jc_A_cm2\n" + "1,2\n" * (MAX_FILE // 4))  # 4 MiB + 13 bytes
    for read, what in _readers():
        with pytest.raises(
            InputFileError,
            match=rf"^{path}: more than 4194304 bytes \(4 MiB\), the most a {what} may have "
            r"\(it has 4,194,317\)",
        ):
            read(path)
    asked = []
    fdopen = os.fdopen

    class Recording(io.BufferedReader):
        def read(self, n=-1):
            asked.append(n)
            return super().read(n)

    monkeypatch.setattr(
        "fluxtrap.inputs.os.fdopen", lambda *a, **k: Recording(fdopen(*a, **k).detach())
    )
    sparse = tmp_path / "sparse.csv"
    with open(sparse, "wb") as f:
        f.truncate(2**40)  # 1 TiB of holes: refused by its size, before a byte is read
    with pytest.raises(InputFileError, match=r"more than 4194304 .* \(it has 1,099,511,627,776\)"):
        read_text(sparse, "Jc table")
    assert asked == []  # its first 4 MiB + 1 bytes were read before
    assert read_text(EXAMPLES / "paper_bulk_pair.toml", "case file").startswith("#")


def test_a_near_miss_among_thousands_of_long_names_compares_a_bounded_few(monkeypatch):
    """difflib's cost is the product of the lengths: 3000 campaign names of 199 characters (from
    "ab") took 27 s of a server's CPU for one 404's "did you mean". Now only the names nearest
    in length within NEAR_BUDGET character pairs are compared; among 3000 short names the near
    miss is still found."""
    import difflib
    import random

    from fluxtrap import inputs

    compared = []
    real = difflib.get_close_matches

    def counting(word, possibilities, n):
        compared.append(len(possibilities))
        return real(word, possibilities, n=n)

    monkeypatch.setattr(difflib, "get_close_matches", counting)
    rng = random.Random(0)
    long = ["".join(rng.choice("ab") for _ in range(199)) for _ in range(3000)]
    inputs.near("".join(rng.choice("ab") for _ in range(199)), long)
    assert compared == [inputs.NEAR_BUDGET // 199**2]  # 12 of the 3000
    short = [f"run {i:04d}" for i in range(3000)] + ["K-Ba122 SPS"]
    assert inputs.near("K-Ba122 SPZ", short) == "K-Ba122 SPS"


def test_a_byte_order_mark_is_not_a_toml_error(tmp_path):
    """Windows editors save "UTF-8 with BOM": the case was refused as "not valid TOML (Invalid
    statement (at line 1, column 1))", a line that looks right."""
    text = (EXAMPLES / "paper_bulk_pair.toml").read_text()
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert Case.from_toml(bom) == Case.from_toml(EXAMPLES / "paper_bulk_pair.toml")


def test_a_long_unknown_key_is_not_echoed_whole():
    """A 100 000-character key was repeated whole: a 100 KB message (twice, with its path)."""
    key = "x" * 100_000
    with pytest.raises(UnknownKeyError) as err:
        check_keys({key: 1}, ["radius"], "stack[0]")
    assert str(err.value).startswith(f"stack[0].{'x' * 60}... (100000 characters): unknown key")
    assert len(str(err.value)) < 300
    with pytest.raises(InputFileError, match=r"^src: a\.y{60}\.\.\. \(5000 characters\) is nan"):
        check_values({"a": {"y" * 5000: math.nan}}, "src")


def test_a_file_s_content_given_for_its_path_is_named_so_not_echoed():
    """TOML text given to ``Simulation(...)`` was echoed whole as "<1838 characters>: no such case
    file"; a path with a NUL was os.open's ValueError, a number Path's TypeError."""
    from fluxtrap.magnetometry import read
    from fluxtrap.simulate import Simulation

    text = (EXAMPLES / "paper_bulk_pair.toml").read_text()
    with pytest.raises(
        InputFileError,
        match=r"^'# K-doped.*'\.\.\. \(1\d{3} characters\) is text, "
        "not the path of a case file: give its path",
    ) as err:
        Simulation(text)
    assert len(str(err.value)) < 200
    with pytest.raises(InputFileError, match="is text, not the path of a magnetometer file"):
        read("Field (Oe),Moment (emu)\n1,2\n")
    with pytest.raises(InputFileError, match="is text, not the path of a case file"):
        read_text("a\0b", "case file")
    with pytest.raises(InputFileError, match="expected the path of a case file, got int"):
        read_text(5, "case file")


@pytest.mark.parametrize("what", ["missing", "too long"])
def test_a_long_path_is_shown_by_its_ends_not_echoed_whole(tmp_path, what):
    """A path of thousands of characters was echoed whole in "<path>: no such case file" and
    "<path>: cannot read the case file (File name too long)": 6000 characters on one line."""
    deep = tmp_path.joinpath(*["folder"] * 700) / "case.toml"  # no such folder: missing
    path = deep if what == "missing" else tmp_path / ("x" * 5000 + ".toml")
    with pytest.raises(InputFileError) as err:
        read_text(path, "case file")
    said = str(err.value)
    assert len(said) < 300 and f"({len(str(path))} characters)" in said, said
    assert said.startswith(str(path)[:100]) and str(path)[-40:] in said, said


def test_toml_bytes_are_read_as_utf_8():
    """``Case.from_toml(name, bytes)`` was a TypeError from str.removeprefix."""
    text = (EXAMPLES / "paper_bulk_pair.toml").read_text()
    assert load_toml(text.encode(), "x.toml") == load_toml(text, "x.toml")
    assert (
        Case.from_toml("x.toml", text.encode()).key()
        == Case.load(EXAMPLES / "paper_bulk_pair.toml").key()
    )
    with pytest.raises(InputFileError, match=r"x.toml: not UTF-8 text \(byte 0\)"):
        load_toml(b"\xff", "x.toml")
    with pytest.raises(InputFileError, match="x.toml: expected TOML text, got NoneType"):
        load_toml(None, "x.toml")
