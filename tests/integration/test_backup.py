"""``fluxtrap backup`` / ``restore``: a campaign written to an archive and restored into a fresh
database (SQLite and PostgreSQL) comes back row for row and byte for byte; a damaged archive is
refused before anything is written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import warnings
import zipfile
from datetime import UTC, datetime

import numpy as np
import pytest
import tomli
from sqlalchemy import LargeBinary, select

from fluxtrap.campaign import CampaignSpec
from fluxtrap.errors import ConflictError, InputFileError, ValidationError
from fluxtrap.simulate import Case
from fluxtrap.store import CurveData, Store
from fluxtrap.store import models as m
from fluxtrap.store.backup import TABLES, backup, restore

from ..conftest import EXAMPLES, PEAK
from .test_store_simulations import QUICK_CASE

NAME = "K-Ba122 SPS"
RAW = bytes(range(256)) * 40 + b"\r\n\x00 end"  # every byte value, CRLF, NUL: kept as is
P = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}


def fill(store: Store, name: str, salt: str) -> None:
    """A campaign with every kind of row: suggestions (one used, one discarded with a note), samples
    (one failed), measurements with raw bytes and derived curves, simulations (done, failed),
    a calibration with its measured series and fitted simulation."""
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml").to_dict() | {"name": name}
    store.create_campaign(CampaignSpec.from_dict(spec), created_by="alice")
    sugs = store.add_suggestions(
        name, [P | {"dwell_time": 10}, P | {"dwell_time": 20}], [0.5, None], {"gp": salt}, 7,
        created_by="bob",
    )  # fmt: skip
    store.set_suggestion_status(sugs[1].id, "discarded", changed_by="rita", note="too hot")
    store.add_sample(name, "B1", P, objectives={"jc_3T": 1.5e8}, recorded_by="alice")
    store.add_sample(
        name, "S1", P | {"dwell_time": 10}, origin="optimizer", suggestion_id=sugs[0].id,
        recorded_by="bob", notes=f"from the optimizer {salt}",
    )  # fmt: skip
    store.set_sample_status(name, "S1", "failed", note="cracked", changed_by="bob")
    store.add_sample(name, "B3", P | {"dwell_time": 40})
    store.set_objectives(name, "B3", {"jc_3T": 1.2e8}, changed_by="olga")  # named nowhere else
    curve = CurveData(
        "jc", "extended Bean", {"a_m": 1e-3}, {"B_T": [0.0, 1.5], "jc_A_m2": [3e9, 1e9]}
    )
    meas = store.add_measurement(
        name, "B1", "mh_loop", "loop.dat", RAW + salt.encode(), temperature_K=5.0,
        metadata={"instrument": "MPMS3", "µ": "unicode"}, curves=[curve], recorded_by="alice",
        objectives={"jc_3T": 1.6e8}, objective_errors={"jc_3T": 4e6}, replace=True,
    )  # fmt: skip
    store.add_measurement(
        name, "B1", "hall_series", "hall.csv", b"t,B\n1,0.5\n", recorded_by="rita"
    )
    case = Case.from_dict(tomli.loads(QUICK_CASE))
    summary = {"probes": {"surface": {"final_T": 0.5}}, "salt": salt}
    store.add_simulation(case, QUICK_CASE, summary=summary, probes_csv=b"t,Bz\n0,1\n",
                         heat_csv=b"time_s,max_T_K\n0,5\n", campaign=name,
                         created_by="bob")  # fmt: skip
    store.add_simulation(case, QUICK_CASE, error="SolverError: stopped", campaign=name)
    result = {"parameters": {"bulk.jc_scale": {"value": 0.9, "sigma": 0.01}},
              "misfit": {"chi2": 1.0, "fits": True}}  # fmt: skip
    store.add_calibration(
        case, QUICK_CASE, case, QUICK_CASE, result,
        [("loop.dat", RAW + salt.encode(), "surface"), ("other.csv", b"x,y\n", "surface")],
        simulation=(summary, b"t,Bz\n0,2\n"), campaign=name, created_by="rita",
    )  # fmt: skip
    assert meas.id


def rows(store: Store, name: str) -> dict[str, list[dict]]:
    """Every row of the campaign in every table, by id, with the users named in them."""
    from fluxtrap.store.backup import _campaign_rows
    from fluxtrap.store.store import _campaign

    with store._reader() as s:
        out = _campaign_rows(s, _campaign(s, name).id)
        out["users"] = [
            {"name": u.name, "role": u.role, "created_at": u.created_at}
            for u in s.scalars(select(m.User).order_by(m.User.name))
        ]
    return out


def same_rows(a: dict[str, list[dict]], b: dict[str, list[dict]]) -> None:
    """Equal row for row: ids may differ, but consistently (each reference follows its row);
    every file column equal byte for byte; times equal as instants."""
    ids = {t: {} for t in TABLES}
    for table_name, table in TABLES.items():
        assert len(a[table_name]) == len(b[table_name]), table_name
        for x, y in zip(a[table_name], b[table_name], strict=True):
            ids[table_name][x["id"]] = y["id"]
            for col in table.columns:
                u, v = x[col.name], y[col.name]
                if col.name == "id":
                    continue
                if col.foreign_keys and u is not None:
                    u = ids[next(iter(col.foreign_keys)).column.table.name].get(u)
                if isinstance(u, datetime):
                    u, v = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (u, v))
                if isinstance(col.type, LargeBinary) and u is not None:  # heat_csv may be null
                    assert bytes(u) == bytes(v), f"{table_name}.{col.name}"
                assert u == v, f"{table_name}.{col.name}: {u!r} != {v!r}"


def test_backup_and_restore_into_a_fresh_database_row_for_row(tmp_path, store_url):
    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    for user, role in (
        ("alice", "writer"),
        ("bob", "writer"),
        ("rita", "reader"),
        ("eve", "admin"),
        ("olga", "reader"),
    ):
        source.add_user(user, role, f"{user}-token-0123456789")
    fill(source, "other campaign", "first")  # ids of the campaign do not start at 1
    fill(source, NAME, "second")
    for user in ("alice", "bob"):  # logged in to the dashboard: no session travels
        source.start_session(f"{user}-token-0123456789")
    counts = backup(source, NAME, tmp_path / "k.zip")
    assert counts == {
        "campaigns": 1, "suggestions": 2, "samples": 3, "measurements": 2, "curves": 1,
        "simulations": 3, "calibrations": 1, "calibration_series": 2, "users": 4,
    }  # fmt: skip
    with zipfile.ZipFile(tmp_path / "k.zip") as z:
        assert not [n for n in z.namelist() if "session" in n]

    target = Store(store_url)  # a fresh database: SQLite, and PostgreSQL where one runs
    target.add_user("bob", "admin", "bob-new-token-0123456789")  # exists there: left alone
    bobs = target.start_session("bob-new-token-0123456789").session_id
    assert restore(target, tmp_path / "k.zip") == (NAME, counts)
    assert target.session_count() == 1 and target.user_by_session(bobs).name == "bob"
    same_rows(rows(source, NAME), rows(target, NAME))
    assert [m_.content for m_ in target.measurements(NAME)] == [RAW + b"second", b"t,B\n1,0.5\n"]
    users = {u.name: u for u in target.users()}
    assert (users["bob"].role, users["alice"].role, users["rita"].role) == (
        "admin",
        "writer",
        "reader",
    )
    assert "eve" not in users  # named in no row of the campaign
    assert users["olga"].role == "reader"  # named only as who set an objective value
    assert target.user_by_token("alice-token-0123456789") is None  # no token travels
    assert target.user_by_token("bob-new-token-0123456789").name == "bob"
    # the restored campaign works as usual
    target.add_sample(NAME, "B2", P | {"dwell_time": 30}, recorded_by="bob")
    with pytest.raises(ConflictError, match="already exists"):
        restore(target, tmp_path / "k.zip")


def damage(src, dst, edit) -> None:
    with zipfile.ZipFile(src) as z:
        members = {i.filename: z.read(i.filename) for i in z.infolist()}
    edit(members)
    with zipfile.ZipFile(dst, "w") as z:
        for k, v in members.items():
            z.writestr(k, v)


def flip_a_raw_byte(members):
    name = next(k for k in members if k.startswith("files/measurements/"))
    members[name] = bytes([members[name][0] ^ 1]) + members[name][1:]


def drop_a_file(members):
    del members[next(k for k in members if k.startswith("files/"))]


def add_a_file(members):
    members["files/evil.sh"] = b"rm -rf /"


def other_version(members):
    manifest = json.loads(members["manifest.json"])
    members["manifest.json"] = json.dumps(manifest | {"version": 2}).encode()


def a_huge_integer_in_the_manifest(members):
    """json.loads raised a bare ValueError (a Python traceback from the CLI) for an integer
    of over 4300 digits: not a JSONDecodeError."""
    head = members["manifest.json"].rstrip()[:-1]  # without its closing brace
    members["manifest.json"] = head + b', "x": ' + b"9" * 5000 + b"}"


@pytest.mark.parametrize(
    "edit, says",
    [
        (a_huge_integer_in_the_manifest, "manifest.json is not valid (Exceeds the limit"),
        (flip_a_raw_byte, "does not match its sha256"),
        (drop_a_file, "missing ['files/"),
        (add_a_file, "members not in the manifest ['files/evil.sh']"),
        (other_version, "backup format version 2; this fluxtrap reads version 1"),
    ],
)
def test_a_damaged_archive_is_refused_and_writes_nothing(tmp_path, edit, says):
    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")
    damage(tmp_path / "k.zip", tmp_path / "bad.zip", edit)
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    with pytest.raises(InputFileError, match=rf"bad.zip: .*{re.escape(says)}"):
        restore(target, tmp_path / "bad.zip")
    assert target.campaigns() == [] and target.users() == []


def resigned(table, edit):
    """An archive edit that changes rows of ``table`` and writes a manifest to match: a hostile
    archive is consistent, its sha256 sums prove nothing."""
    import hashlib

    def apply(members):
        docs = json.loads(members[f"tables/{table}.json"])
        manifest = json.loads(members["manifest.json"])
        raw = edit(docs, manifest)  # the member's new bytes, or None: the docs edited
        members[f"tables/{table}.json"] = (
            raw if isinstance(raw, bytes) else json.dumps(docs).encode()
        )
        manifest["members"] = {
            k: {"sha256": hashlib.sha256(v).hexdigest(), "size": len(v)}
            for k, v in members.items()
            if k != "manifest.json"
        }
        members["manifest.json"] = json.dumps(manifest).encode()

    return apply


def setitem(i, key, value):
    return lambda docs, manifest: docs[i].__setitem__(key, value)


@pytest.mark.parametrize(
    "table, edit, says",
    [
        ("campaigns", setitem(0, "name", "other"), "must hold the one campaign 'K-Ba122 SPS'"),
        (
            "campaigns",
            lambda docs, manifest: manifest.update(campaign="other"),
            "must hold the one campaign 'other'",
        ),
        ("campaigns", setitem(0, "spec", {"name": NAME}), "needs at least one [[parameters]]"),
        ("samples", setitem(0, "id", [1]), "samples row [1]: id '[1]' is not an integer id"),
        # references that went astray: B1's measurements were restored as S1's, a simulation
        # of another campaign (or none) was restored outside this one
        ("samples", setitem(1, "id", 1), "samples: two rows have id 1"),
        (
            "simulations",
            setitem(0, "campaign_id", 7),
            "simulations row 1: campaign_id 7 is not the campaign's (1)",
        ),
        (
            "calibrations",
            setitem(0, "campaign_id", None),
            "calibrations row 1: campaign_id None is not the campaign's (1)",
        ),
        ("samples", setitem(0, "label", "../../x"), "samples row 1: label '../../x'"),
        # read back as tables: each broke the store's listings (simulations(): a TypeError)
        (
            "simulations",
            setitem(0, "summary", [1]),
            "simulations row 1: summary '[1]' is not a table",
        ),
        ("simulations", setitem(0, "case", "x"), "simulations row 1: case 'x' is not a table"),
        (
            "calibrations",
            setitem(0, "result", None),
            "calibrations row 1: result 'None' is not a table",
        ),
        (
            "suggestions",
            setitem(0, "model_summary", 5),
            "suggestions row 1: model_summary '5' is not a table",
        ),
        ("samples", setitem(0, "label", None), "samples row 1: label None is not a text"),
        ("samples", setitem(0, "label", 5), "samples row 1: label 5 is not a text"),
        ("samples", setitem(1, "label", "B1"), "samples row 2: label 'B1' is also samples row 1's"),
        (
            "samples",
            setitem(0, "suggestion_id", 1),  # row 2 (S1) is made from suggestion 1
            "samples row 2: suggestion 1 is realised by samples row 1 already",
        ),
        ("samples", setitem(0, "status", "evil"), "status 'evil' is not one of made, failed"),
        ("samples", setitem(0, "params", P | {"ramp_rate": "nan"}), "ramp_rate"),
        ("samples", setitem(0, "objectives", {"jc_3T": None}), "jc_3T"),
        ("suggestions", setitem(0, "status", "evil"), "status 'evil' is not one of open"),
        # as add_suggestions: PostgreSQL's 32-bit column refused 2**31 naming nothing
        ("suggestions", setitem(0, "seed", 2**31), "suggestions row 1: seed 2147483648: give 0"),
        ("suggestions", setitem(0, "seed", -1), "suggestions row 1: seed -1: give 0 to"),
        # every suggestion of the campaign is archived: this one was restored as null
        (
            "samples",
            setitem(0, "suggestion_id", 99),
            "samples row 1: suggestion_id 99 is no suggestions row of the archive",
        ),
        # times whose UTC is no datetime: PostgreSQL stored them, then every read failed
        (
            "samples",
            setitem(0, "created_at", "0001-01-01T00:00:00+14:00"),
            "samples row 1: created_at '0001-01-01T00:00:00+14:00' is outside the years 1 to",
        ),
        (
            "suggestions",
            setitem(0, "created_at", "9999-12-31T23:00:00-05:00"),
            "suggestions row 1: created_at '9999-12-31T23:00:00-05:00' is outside the years",
        ),
        ("samples", setitem(0, "updated_at", "yesterday"), "samples row 1: updated_at 'yesterday'"),
        ("samples", setitem(0, "notes", [[1]]), "samples row 1: notes '[[1]]' is not a text"),
        ("samples", setitem(0, "recorded_by", {"a": 1}), "recorded_by \"{'a': 1}\" is not a"),
        ("users", setitem(0, "role", "god"), "role 'god' is not one of"),
        # suggestions, measurements and simulations as their writers check them
        (
            "suggestions",
            setitem(0, "params", P | {"ramp_rate": 5000}),
            "suggestions row 1: ramp_rate=5000",
        ),
        ("suggestions", setitem(0, "params", P | {"pressure": 1}), "unknown parameter(s) pressure"),
        ("suggestions", setitem(0, "params", "x"), "suggestions row 1: params is not a table"),
        (
            "measurements",
            setitem(0, "metadata", [1]),
            "measurements row 1: metadata is not a table",
        ),
        (
            "measurements",
            setitem(0, "metadata", {"skipped_lines": "1"}),
            "skipped_lines is not a list",
        ),
        (
            "measurements",
            setitem(0, "metadata", {"skipped_lines": [3, 9], "skipped_rows": 1}),
            "skipped_rows is not a count of at least its 2 lines",
        ),
        ("measurements", setitem(0, "kind", "evil"), "kind 'evil' is not one of mh_loop"),
        ("measurements", setitem(0, "filename", "f" * 501), "is 501 characters, at most 500"),
        ("measurements", setitem(0, "sha256", "0" * 64), "measurements row 1: sha256 '0000"),
        ("simulations", setitem(0, "case_toml", "title = "), "simulations row 1: case_toml"),
        ("simulations", setitem(0, "status", "evil"), "status 'evil' is not one of done"),
        ("calibrations", setitem(0, "fitted_case_toml", 5), "fitted_case_toml is not a text"),
        ("samples", setitem(0, "notes", "a\x00b"), "samples row 1: notes holds a NUL character"),
        (
            "samples",
            setitem(0, "objective_errors", {"jc_3T": float("nan")}),
            "samples row 1: the error of jc_3T must be a finite number >= 0",
        ),
        (
            "samples",
            setitem(0, "objective_errors", {"tc": 0.1}),
            "samples row 1: an error for 'tc', which is not set with it",
        ),
        (
            "samples",
            setitem(0, "objective_set_by", {"jc_3T": "x" * 201}),
            "samples row 1: objective_set_by['jc_3T'] 'xxx",
        ),
        (
            "samples",
            setitem(0, "objective_set_by", {"dens": "ana"}),
            "objective_set_by names 'dens', unset",
        ),
        ("samples", setitem(0, "objective_errors", [1]), "objective_errors and objective_set_by"),
        ("curves", setitem(0, "columns", "x"), "curves row 1: settings and columns must be tables"),
        (
            "curves",
            setitem(0, "columns", {"B_T": [0, "1"]}),
            "curves row 1: column 'B_T' is not a list",
        ),
        (
            "curves",
            setitem(0, "columns", {"B_T": [0.0], "jc_A_m2": []}),
            "different lengths [0, 1]",
        ),
        # notes the pages list, one a line: a number there was a 500 on the Jc(B) page
        ("curves", setitem(0, "settings", {"warnings": 5}), "settings warnings is not a list"),
        (
            "measurements",
            setitem(0, "temperature_K", float("nan")),
            "measurements row 1: temperature_K nan is not a finite number",
        ),
        (  # as add_measurement: -5 was restored as -5 K
            "measurements",
            setitem(0, "temperature_K", -5.0),
            "measurements row 1: temperature_K -5 is below absolute zero",
        ),
        (
            "suggestions",
            setitem(0, "acquisition_value", float("-inf")),
            "suggestions row 1: acquisition_value -inf is not a finite number",
        ),
        (  # SQLite stored the NaN, PostgreSQL refused it naming nothing
            "curves",
            setitem(0, "columns", {"B_T": [0.0, float("nan")], "jc_A_m2": [3e9, 1e9]}),
            "curves row 1: columns['B_T'][1] is nan, not a finite number",
        ),
        (
            "measurements",
            setitem(0, "metadata", {"tc_not_found": [None]}),
            "measurements row 1: metadata tc_not_found is not a list of texts",
        ),
        (  # the pages list the reader's notes and count the others: a text or a word broke them
            "measurements",
            setitem(0, "metadata", {"read_notes": "NUL padding"}),
            "measurements row 1: metadata read_notes is not a list of texts",
        ),
        (
            "measurements",
            setitem(0, "metadata", {"read_notes": ["a", "b"], "read_notes_count": "many"}),
            "measurements row 1: metadata read_notes_count is not a count of at least its 2 notes",
        ),
        # who: as a user name, 1 to 200 characters (SQLite kept 10 000)
        ("samples", setitem(0, "recorded_by", "x" * 201), "samples row 1: recorded_by 'xxxx"),
        ("suggestions", setitem(1, "status_changed_by", " "), "status_changed_by ' ': give 1"),
        ("users", setitem(0, "name", "ev\x1bil"), "user name 'ev\\x1bil': use 1 to 200"),
        ("users", lambda docs, manifest: docs[0].pop("role"), "columns ['created_at'"),
        ("samples", lambda docs, manifest: b"[" * 10**5 + b"]" * 10**5, "is not valid JSON"),
        (  # a bare ValueError from json.loads, not a JSONDecodeError: a traceback
            "samples",
            lambda docs, manifest: b"[" + b"9" * 5000 + b"]",
            "tables/samples.json is not valid JSON (Exceeds the limit (4300 digits)",
        ),
    ],
)
def test_rows_the_store_would_refuse_are_not_restored(tmp_path, table, edit, says):
    """Restore checked the archive against its own manifest only, so a crafted archive put any
    row in the store: a campaign named otherwise than the manifest said (restore reported the
    wrong name), a definition no command could read back, labels with "/" or control characters,
    NaN parameters, unknown statuses, users of unknown roles; a list as an id or a name, a user
    row without its role, or JSON nested too deep for Python was a Python traceback."""
    refused_when_resigned(tmp_path, table, edit, says)


def refused_when_resigned(tmp_path, table, edit, says: str) -> None:
    """A campaign's archive with rows of ``table`` edited by ``edit`` and its manifest written
    to match (``resigned``), restored into a new store: refused, the error saying ``says``, and
    nothing written."""
    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    source.add_user("alice", "writer", "alice-token-0123456789")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")
    damage(tmp_path / "k.zip", tmp_path / "bad.zip", resigned(table, edit))
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    with pytest.raises(InputFileError, match=rf"bad.zip: .*{re.escape(says)}"):
        restore(target, tmp_path / "bad.zip")
    assert target.campaigns() == [] and target.simulations() == [] and target.users() == []


def test_a_time_at_another_offset_restores_as_the_same_instant(tmp_path, store_url):
    """A time written with another UTC offset (an archive edited by hand, or by another tool)
    was stored on SQLite at its wall-clock time: 21:00+05:00 read back as 21:00 UTC, 5 h late.
    Both stores now hold the instant, 16:00 UTC; a time without its zone is UTC, as backups
    write them."""
    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")

    def offsets(docs, manifest):
        docs[0]["created_at"] = "2026-12-07T21:00:00+05:00"
        docs[1]["created_at"] = "2026-12-07T21:00:00"

    damage(tmp_path / "k.zip", tmp_path / "edited.zip", resigned("samples", offsets))
    target = Store(store_url)
    restore(target, tmp_path / "edited.zip")

    def utc(t):
        return t.replace(tzinfo=UTC) if t.tzinfo is None else t  # SQLite gives UTC, zone-less

    b1, s1 = (utc(target.sample(NAME, label).created_at) for label in ("B1", "S1"))
    assert b1 == datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
    assert s1 == datetime(2026, 12, 7, 21, 0, tzinfo=UTC)


def test_an_archive_of_a_newer_schema_is_refused_naming_its_columns_and_writer(tmp_path):
    """A newer fluxtrap's archive (same format version, a column this one lacks) was refused as
    "columns [...] do not match the samples table": no word of which column, or of the newer
    fluxtrap that wrote it. Nothing is written."""

    def newer(docs, manifest):
        docs[0]["density_g_cm3"] = 5.1
        manifest["fluxtrap"] = "99.0"

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")
    damage(tmp_path / "k.zip", tmp_path / "new.zip", resigned("samples", newer))
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    with pytest.raises(InputFileError) as refused:
        restore(target, tmp_path / "new.zip")
    said = str(refused.value)
    assert "its samples rows have column(s) 'density_g_cm3' that this fluxtrap" in said
    assert "written by fluxtrap 99.0, of a newer schema" in said and "Nothing was restored" in said
    assert target.campaigns() == [] and target.users() == []


def test_an_archive_with_a_table_this_fluxtrap_lacks_is_refused_naming_it_and_its_writer(
    tmp_path,
):
    """A newer fluxtrap's archive with a table this one does not know (its rows and files, all
    in the manifest) was restored without them, and nothing said so. Refused, nothing written."""

    def newer(members):
        members["tables/jobs.json"] = json.dumps([{"id": 1, "title": "run"}]).encode()
        members["files/jobs/1.log"] = b"done"
        resigned("samples", lambda docs, manifest: manifest.update(fluxtrap="99.0"))(members)

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")
    damage(tmp_path / "k.zip", tmp_path / "new.zip", newer)
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    with pytest.raises(InputFileError, match=r"new\.zip: it has table\(s\) 'jobs' that this "
                       r"fluxtrap \(.*\) does not know: the archive was written by fluxtrap "
                       r"99\.0, of a newer schema\? Nothing was restored"):  # fmt: skip
        restore(target, tmp_path / "new.zip")
    assert target.campaigns() == [] and target.users() == []


def test_labels_an_older_store_took_restore_whole(tmp_path, store_url):
    """A store written before new labels were compared in NFC, then NFKC and case-folded, may
    hold "Bé1" in two Unicode forms, and "B1" beside "b1": its backup was refused ("label 'Bé1'
    is also samples row 1's", restore compared in NFC), so the archive could not be restored at
    all. Every row now restores, its label as stored; an exact repeat is still refused."""
    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    old = ["B\u00e9" + "1", "Be\u0301" + "1", "b1"]  # "B1" is fill's
    with source.transaction() as s:  # as an older fluxtrap stored them
        c = s.scalar(select(m.Campaign).where(m.Campaign.name == NAME))
        s.add_all(
            m.Sample(campaign=c, label=x, params=P, objectives={}, origin="researcher") for x in old
        )
    backup(source, NAME, tmp_path / "k.zip")
    target = Store(store_url)
    assert restore(target, tmp_path / "k.zip")[1]["samples"] == 6
    assert [x.label for x in target.samples(NAME)] == ["B1", "S1", "B3", *old]
    with pytest.raises(ConflictError, match="label '\uff22\uff11' is already used as '[Bb]1'"):
        target.add_sample(NAME, "\uff22\uff11", P)  # new labels: the _alike rule holds


def test_a_campaign_named_alike_a_taken_one_is_not_restored(tmp_path, store_url):
    """create_campaign refuses "k-ba122 sps" beside "K-Ba122 SPS"; restore compared the names
    exactly and stored the second, which reads as the first in every list."""
    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")
    target = Store(store_url)
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml").to_dict()
    target.create_campaign(CampaignSpec.from_dict(spec | {"name": "k-ba122\u00a0sps"}))
    with pytest.raises(
        ConflictError,
        match=re.escape(f"campaign {NAME!r} already exists as 'k-ba122\\xa0sps' (the same text"),
    ):
        restore(target, tmp_path / "k.zip")
    assert [c.name for c in target.campaigns()] == ["k-ba122\u00a0sps"]
    assert target.samples("k-ba122\u00a0sps") == []


def test_users_alike_a_target_user_are_not_restored_but_an_archives_own_pair_is(
    tmp_path, store_url
):
    """Restore added every archived user not in the store by exact name: "Alice" beside the
    store's "alice", a pair add_user refuses. Such an archive is refused now, writing nothing,
    as one whose campaign name reads as a taken one; "alice" and "Alice" both in the archive (an
    older store held both) restore whole into a store holding neither, or both."""
    from .test_store_users import old_user

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    old_user(source, "alice", "lower-token-0123456789")
    old_user(source, "Alice", "upper-token-0123456789")
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    source.create_campaign(spec, created_by="Alice")
    source.add_sample(NAME, "B1", P, recorded_by="alice")
    backup(source, NAME, tmp_path / "k.zip")

    target = Store(store_url)
    target.add_user("alice", "reader", "target-token-0123456789")
    with pytest.raises(
        ValidationError, match=r"k.zip: user 'Alice' reads as user 'alice' of Store\('"
    ):
        restore(target, tmp_path / "k.zip")
    assert target.campaigns() == [] and [u.name for u in target.users()] == ["alice"]

    fresh = Store(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert restore(fresh, tmp_path / "k.zip")[1]["users"] == 2
    assert sorted(u.name for u in fresh.users()) == ["Alice", "alice"]
    assert fresh.campaign_record(NAME).created_by == "Alice"
    assert fresh.sample(NAME, "B1").recorded_by == "alice"
    both = Store(f"sqlite:///{tmp_path / 'both.db'}")
    old_user(both, "Alice", "both-upper-token-0123456789")
    old_user(both, "alice", "both-lower-token-0123456789")
    assert restore(both, tmp_path / "k.zip")[0] == NAME  # both known: nothing new, none alike
    assert both.user_by_token("both-upper-token-0123456789").name == "Alice"


def test_an_archive_from_before_objective_errors_restores_without_them(tmp_path):
    """Archives written before store revision 0009 have no objective_errors column: their
    values restore with no error known, as the migration gives old rows."""
    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    assert source.sample(NAME, "B1").objective_errors == {"jc_3T": 4e6}
    backup(source, NAME, tmp_path / "k.zip")
    drop = resigned(
        "samples",
        lambda docs, manifest: [
            (d.pop("objective_errors"), d.pop("objective_set_by")) for d in docs
        ],
    )
    damage(tmp_path / "k.zip", tmp_path / "old.zip", drop)
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    restore(target, tmp_path / "old.zip")
    b1 = target.sample(NAME, "B1")
    assert (b1.objectives, b1.objective_errors, b1.objective_set_by) == ({"jc_3T": 1.6e8}, {}, {})


def test_a_heat_history_restores_and_an_archive_from_before_it_restores_without(tmp_path):
    """heat.csv is kept with a simulation since store revision 0011 (a null file column when a
    run had no heat model); archives written before have no heat_csv column and restore
    without it, as the migration gives old rows."""
    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    heat = [source.simulation(x.id).heat_csv for x in source.simulations(NAME)]
    assert heat == [b"time_s,max_T_K\n0,5\n", b"", b""]  # done, failed, a calibration's
    backup(source, NAME, tmp_path / "k.zip")
    target = Store(f"sqlite:///{tmp_path / 'new.db'}")
    restore(target, tmp_path / "k.zip")
    assert [target.simulation(x.id).heat_csv for x in target.simulations(NAME)] == heat

    def drop(members):
        resigned("simulations", lambda docs, manifest: [d.pop("heat_csv") for d in docs])(members)
        for name in [k for k in members if k.endswith(".heat_csv")]:
            del members[name]
        manifest = json.loads(members["manifest.json"])
        manifest["members"] = {k: v for k, v in manifest["members"].items() if k in members}
        members["manifest.json"] = json.dumps(manifest).encode()

    damage(tmp_path / "k.zip", tmp_path / "old.zip", drop)
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    restore(target, tmp_path / "old.zip")
    old = target.simulations(NAME)
    assert [target.simulation(x.id).heat_csv for x in old] == [b"", b"", b""]
    assert target.simulation(old[0].id).probes_csv == b"t,Bz\n0,1\n"


def test_metadata_beyond_its_size_is_not_restored_nor_stored(tmp_path, monkeypatch):
    import fluxtrap.store.store as store_module

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")
    # an archive is held to the older, larger limit; a new measurement to the new one
    monkeypatch.setattr(store_module, "MAX_METADATA", 20)
    monkeypatch.setattr(store_module, "MAX_STORED_METADATA", 40)  # {"instrument": ...} is 44
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    with pytest.raises(
        InputFileError, match="measurements row 1: metadata is 44 bytes as JSON, at most 40"
    ):
        restore(target, tmp_path / "k.zip")
    assert target.campaigns() == []
    monkeypatch.setattr(store_module, "MAX_STORED_METADATA", 44)
    restore(target, tmp_path / "k.zip")  # 44 bytes, over the new limit of 20
    assert len(target.measurements(NAME, "B1")) == len(source.measurements(NAME, "B1")) == 2
    with pytest.raises(ValidationError, match="metadata is 30 bytes as JSON, at most 20"):
        source.add_measurement(NAME, "B1", "other", "m.txt", b"x", metadata={"x": "y" * 21})
    assert len(source.measurements(NAME, "B1")) == 2


@pytest.mark.parametrize(
    "limit, says",
    [
        (
            "MAX_CONTENT",
            r"its members unpack to \d+ bytes, at most 9.53674e-05 MiB are restored "
            r"\(the largest, \S+, to \d+ bytes\); not unpacked",
        ),
        (
            "MAX_MANIFEST",
            r"manifest.json unpacks to \d+ bytes, at most 9.53674e-05 MiB are restored "
            r"\(the largest, manifest.json, to \d+ bytes\)",
        ),
        (
            "MAX_TABLES",
            r"its tables unpack to \d+ bytes, at most 9.53674e-05 MiB are restored "
            r"\(the largest, tables/\S+.json, to \d+ bytes\)",
        ),
        (
            "MAX_FILE",
            r"files/\S+ unpacks to \d+ bytes, at most 9.53674e-05 MiB \(the largest file "
            r"the store takes\); not unpacked",
        ),
    ],
)
def test_an_archive_that_unpacks_beyond_the_limit_is_refused_before_unpacking(
    tmp_path, monkeypatch, limit, says
):
    """Member sizes were checked only against the manifest, which a hostile archive writes too:
    a consistent 50 GB archive would have been read into memory."""
    from fluxtrap.store import backup as backup_module

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")
    monkeypatch.setattr(backup_module, limit, 100)
    monkeypatch.setattr(zipfile.ZipFile, "read", lambda *a: pytest.fail("a member was unpacked"))
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    with pytest.raises(InputFileError, match=rf"k.zip: {says}"):
        restore(target, tmp_path / "k.zip")
    assert target.campaigns() == []


def test_a_restore_holds_one_file_at_a_time_not_the_archive(tmp_path):
    """Every member was unpacked and held before the rows were inserted: 160 MB of raw files
    restored at 398 MB peak RSS, 320 MB at 562 MB. Files are now read as their rows are
    inserted (their sha256 checked again): the peak grows by a few times one file, not by them
    all (16 files of 8 MiB: under half their 128 MiB)."""
    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    source.create_campaign(spec)
    for i in range(16):
        source.add_sample(spec.name, f"B{i}", P)
        source.add_measurement(spec.name, f"B{i}", "mh_loop", f"B{i}.dat", os.urandom(2**23))
    backup(source, spec.name, tmp_path / "k.zip")
    code = (
        f"{PEAK}import sys\n"
        "from fluxtrap.store import Store\n"
        "from fluxtrap.store.backup import restore\n"
        "store = Store(sys.argv[2])\n"
        "before = peak()\n"
        "restore(store, sys.argv[1])\n"
        "print(peak() - before)\n"
    )
    target = f"sqlite:///{tmp_path / 'target.db'}"
    run = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "k.zip"), target],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) < 16 * 2**23 / 2, int(run.stdout) / 2**20
    restored = [m.content for m in Store(target).measurements(spec.name)]
    assert restored == [m.content for m in source.measurements(spec.name)]


def test_a_backup_holds_one_file_at_a_time_not_the_campaign(tmp_path):
    """Every file was read from the store and held before the archive was written: 128 MiB of
    raw files backed up at a 150 MiB peak (tracemalloc). Files now go to the archive one at a
    time, their sha256 taken as they are written: 8 files of 4 MiB back up under half their
    32 MiB, and restore byte for byte."""
    import tracemalloc

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    source.create_campaign(spec)
    for i in range(8):
        source.add_sample(spec.name, f"B{i}", P)
        source.add_measurement(spec.name, f"B{i}", "mh_loop", f"B{i}.dat", os.urandom(2**22))
    tracemalloc.start()
    try:
        counts = backup(source, spec.name, tmp_path / "k.zip")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert counts["measurements"] == 8
    assert peak < 8 * 2**22 / 2, peak / 2**20
    with zipfile.ZipFile(tmp_path / "k.zip") as z:
        manifest = json.loads(z.read("manifest.json"))
        assert set(manifest["members"]) == set(z.namelist()) - {"manifest.json"}
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    restore(target, tmp_path / "k.zip")
    restored = [m.content for m in target.measurements(spec.name)]
    assert restored == [m.content for m in source.measurements(spec.name)]


def test_a_backup_and_a_restore_report_their_progress_in_bytes(tmp_path, capsys):
    """A backup of 128 MiB of raw files took 15 s without a word, and its restore as long: a
    backup now reports the bytes of files written after each, up to their total (every file
    column's bytes), a restore the bytes unpacked (every member checked, then each file again
    as its row is inserted); both take --quiet."""
    from fluxtrap.cli import run
    from fluxtrap.store.backup import FILE_COLUMNS

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    sizes = [len(r[k]) for t in rows(source, NAME).values() for r in t for k in FILE_COLUMNS
             if r.get(k) is not None]  # fmt: skip
    seen: list[tuple[int, int]] = []
    backup(
        source, NAME, tmp_path / "k.zip", progress=lambda done, total: seen.append((done, total))
    )
    assert len(seen) == len(sizes) == 8  # one empty: the failed simulation's probes.csv
    assert {total for _, total in seen} == {sum(sizes)}
    assert [done for done, _ in seen] == sorted(done for done, _ in seen) and seen[-1][0] == sum(
        sizes
    )
    db = str(tmp_path / "source.db")
    assert run(["backup", NAME, "-o", str(tmp_path / "q.zip"), "--db", db, "--quiet"]) == 0
    with zipfile.ZipFile(tmp_path / "k.zip") as z:  # restore: every member, then each file
        infos = [i for i in z.infolist() if i.filename != "manifest.json"]
    total = sum(i.file_size for i in infos) + sum(sizes)
    seen.clear()
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    restore(target, tmp_path / "k.zip", progress=lambda done, total: seen.append((done, total)))
    assert len(seen) == len(infos) + len(sizes) and {t for _, t in seen} == {total}
    assert [done for done, _ in seen] == sorted(done for done, _ in seen) and seen[-1][0] == total
    new = str(tmp_path / "new.db")
    assert run(["restore", str(tmp_path / "q.zip"), "--db", new, "-q"]) == 0


def test_tables_of_more_values_than_the_limit_are_refused_before_they_are_parsed(tmp_path):
    """tables/*.json were parsed whole once their bytes were within MAX_TABLES: 10 MiB of "{},"
    (10 KiB zipped) parsed to 259 MB, MAX_TABLES of them to 13 GB. Their values are counted
    before parsing now: 48 MiB of "{}," (over MAX_TABLE_VALUES) is refused at a peak of about
    its bytes, naming the table and the limit; nothing is written."""
    import tracemalloc

    from fluxtrap.store.backup import MAX_TABLE_VALUES

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")
    hostile = b"[" + b"{}," * (MAX_TABLE_VALUES // 2) + b"{}]"
    damage(tmp_path / "k.zip", tmp_path / "bad.zip", resigned("curves", lambda *_: hostile))
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    says = (
        rf"bad.zip: its tables hold up to \d+ JSON values, at most {MAX_TABLE_VALUES} are "
        r"restored \(the most, tables/curves.json, \d+\); not parsed"
    )
    tracemalloc.start()
    try:
        with pytest.raises(InputFileError, match=says):
            restore(target, tmp_path / "bad.zip")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * len(hostile), peak / 2**20
    assert target.campaigns() == [] and target.users() == []


@pytest.mark.parametrize(
    "emoji, refused",
    [("\U0001f600".encode(), True), (b"\\ud83d\\ude00", True), (b"", False)],
)
def test_tables_that_parse_to_wide_text_are_refused_before_they_are_parsed(
    tmp_path, monkeypatch, emoji, refused
):
    """A text with one character beyond U+FFFF takes 4 bytes for each of its characters in
    Python: 50 MiB of one string ending in an emoji (50 KiB zipped) parsed to 450 MiB, so
    MAX_TABLES of it to 4.6 GB. Tables count 4 bytes to a character against MAX_TABLES now
    when they hold one, raw or escaped (and are refused before parsing), 1 when they are ASCII."""
    import tracemalloc

    from fluxtrap.store import backup as backup_module

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")
    monkeypatch.setattr(backup_module, "MAX_TABLES", 2**22)
    text = b'[{"notes": "' + b"a" * 2**20 + emoji + b'"}]'
    damage(tmp_path / "k.zip", tmp_path / "bad.zip", resigned("samples", lambda *_: text))
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    says = (
        r"bad.zip: its tables take \d+ bytes as Python text, at most 4194304 are restored "
        rf"\(the most, tables/samples.json, {4 * len(text)}\); not parsed"
    )
    tracemalloc.start()
    try:
        with pytest.raises(InputFileError) as err:
            restore(target, tmp_path / "bad.zip")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert bool(re.search(says, str(err.value))) is refused, str(err.value)
    if refused:
        assert peak < 3 * len(text), peak / 2**20
    assert target.campaigns() == [] and target.users() == []


def test_real_loops_filling_max_tables_are_within_max_table_values(tmp_path):
    """The values limit refuses no archive of real measurements that the bytes limit takes:
    real M(H) loops' rows (tests/data: a dense VSM loop and three sparser ones, their Jc and
    loop-width curves) hold so few values per byte that MAX_TABLES of them stay under
    MAX_TABLE_VALUES with room to spare (1.25x); they restore row for row."""
    from fluxtrap.store.backup import MAX_TABLE_VALUES, MAX_TABLES, _values
    from fluxtrap.workflows.measurements import record_measurement

    from ..conftest import DATA

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    source.create_campaign(spec)
    loops = ["mpms3_vsm_mh_CoCp2-ErCOT2_5K.dat", "mpms3_dc_mh_KMK282_5K-300K_tabsep.dat",
             "mpms3_vsm_mh_film-A2481_3K.dat", "mpms3_vsm_mh_film-S1_5K.dat"]  # fmt: skip
    for i, loop in enumerate(loops):
        source.add_sample(spec.name, f"B{i}", P)
        content = (DATA / "mpms" / loop).read_bytes()
        with pytest.warns(UserWarning):  # not a bulk superconductor's: forced
            record_measurement(source, spec.name, f"B{i}", loop, content, (5e-4, 1.2e-3, 2.8e-3),
                               force=True)  # fmt: skip
    backup(source, spec.name, tmp_path / "k.zip")
    with zipfile.ZipFile(tmp_path / "k.zip") as z:
        tables = [z.read(k) for k in z.namelist() if k.startswith("tables/")]
    values, size = sum(map(_values, tables)), sum(map(len, tables))
    assert MAX_TABLES * values / size * 1.25 < MAX_TABLE_VALUES, (values, size)
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    restore(target, tmp_path / "k.zip")
    same_rows(rows(source, spec.name), rows(target, spec.name))


def test_a_member_that_does_not_match_its_sha256_is_refused_before_it_is_held(tmp_path):
    """A member was read whole, then hashed: 2 GiB of zeros (2 MB zipped, sizes matching the
    manifest, a wrong sha256) took 4.3 GB of memory to be refused."""
    import tracemalloc

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")
    big = 128 * 2**20
    with zipfile.ZipFile(tmp_path / "k.zip") as z:
        members = {i.filename: z.read(i.filename) for i in z.infolist()}
    manifest = json.loads(members["manifest.json"])
    name = next(k for k in manifest["members"] if k.startswith("files/measurements/"))
    manifest["members"][name]["size"] = big
    members |= {name: bytes(big), "manifest.json": json.dumps(manifest).encode()}
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in members.items():
            z.writestr(k, v)
    del members
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    tracemalloc.start()
    try:
        with pytest.raises(InputFileError, match=f"damaged: {name} does not match its sha256"):
            restore(target, tmp_path / "bomb.zip")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20, peak
    assert target.campaigns() == []


def _zip_with_a_tail(path, members: dict[str, bytes], tailed: str, tail: int) -> None:
    """A zip of ``members`` written by hand, the deflated data of ``tailed`` continuing past its
    bytes with ``tail`` zeros that its header (size, CRC: its bytes') does not count."""
    import struct
    import zlib

    head, central = b"", b""
    for name, data in members.items():
        z = zlib.compressobj(6, zlib.DEFLATED, -15)
        packed = z.compress(data)
        if name == tailed:
            zeros = bytes(2**24)
            packed += b"".join(z.compress(zeros) for _ in range(tail // len(zeros)))
        packed += z.flush()
        fields = (0, 8, 0, 0x21, zlib.crc32(data), len(packed), len(data), len(name.encode()))
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, *fields, 0, 0, 0, 0,
                               0o600 << 16, len(head)) + name.encode()  # fmt: skip
        head += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, *fields, 0) + name.encode() + packed
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members),
                      len(central), len(head), 0)  # fmt: skip
    path.write_bytes(head + central + end)


@pytest.mark.parametrize("tailed", ["manifest.json", "tables/campaigns.json", "files/"])
def test_a_member_that_inflates_past_its_size_is_unpacked_only_to_its_size(tmp_path, tailed):
    """The zip's directory gives each member's size, checked against the limits before anything
    is unpacked, but ZipFile.read inflated all of a member's data before cutting it to that
    size: a member of a few bytes whose data went on to inflate to 64 MiB of zeros (64 kB
    zipped) took 128 MiB of memory to restore. Members are now unpacked 1 MiB at a time up to
    their size: the rest is never inflated."""
    import tracemalloc

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")
    with zipfile.ZipFile(tmp_path / "k.zip") as z:
        members = {i.filename: z.read(i.filename) for i in z.infolist()}
    tailed = next(k for k in members if k.startswith(tailed))
    _zip_with_a_tail(tmp_path / "bomb.zip", members, tailed, 2**26)
    assert (tmp_path / "bomb.zip").stat().st_size < 2**18
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    tracemalloc.start()
    try:
        restore(target, tmp_path / "bomb.zip")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20, peak / 2**20
    same_rows(rows(source, NAME), rows(target, NAME))


def test_a_truncated_or_foreign_file_is_refused(tmp_path):
    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")
    data = (tmp_path / "k.zip").read_bytes()
    (tmp_path / "cut.zip").write_bytes(data[: len(data) // 2])
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    with pytest.raises(InputFileError, match="cut.zip: damaged or not a zip archive"):
        restore(target, tmp_path / "cut.zip")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(InputFileError, match="other.zip: no manifest.json: not a fluxtrap backup"):
        restore(target, tmp_path / "other.zip")
    assert target.campaigns() == []


def test_the_commands(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from fluxtrap.cli.app import app

    source = f"sqlite:///{tmp_path / 'source.db'}"
    fill(Store(source), NAME, "x")
    runner = CliRunner()
    r = runner.invoke(app, ["backup", NAME, "--out", str(tmp_path / "k.zip"), "--db", source])
    assert r.exit_code == 0, r.output
    assert f"backed up campaign '{NAME}'" in r.output and "2 measurements" in r.output
    assert ": 1 campaign, " in r.output  # was "1 campaigns"
    target = f"sqlite:///{tmp_path / 'target.db'}"
    r = runner.invoke(app, ["restore", str(tmp_path / "k.zip"), "--db", target])
    assert r.exit_code == 0 and "restored campaign" in r.output, r.output
    assert [s.label for s in Store(target).samples(NAME)] == ["B1", "S1", "B3"]


def test_a_refused_restore_leaves_no_new_store_file_and_keeps_an_old_one(tmp_path, capsys):
    """A tampered archive restored into a --db file that was not there was refused, but left an
    empty, migrated store of 131 kB behind (which later commands take for a real one): that file
    and its journals are removed. A store that was there before is kept as it was."""
    from fluxtrap.cli import run

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    source.add_user("alice", "writer", "alice-token-0123456789")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")
    damage(tmp_path / "k.zip", tmp_path / "flipped.zip", flip_a_raw_byte)  # before the store
    bad_user = resigned("users", setitem(0, "name", "ev\x1bil"))  # inside its transaction
    damage(tmp_path / "k.zip", tmp_path / "user.zip", bad_user)
    files = sorted(p.name for p in tmp_path.iterdir())
    new = tmp_path / "new.db"
    for archive, says in (("flipped.zip", "does not match its sha256"), ("user.zip", "user name")):
        for db in (str(new), f"sqlite:///{new}"):
            assert run(["restore", str(tmp_path / archive), "--db", db]) == 2
            assert says in capsys.readouterr().err
            assert sorted(p.name for p in tmp_path.iterdir()) == files
    old = Store(f"sqlite:///{tmp_path / 'old.db'}")
    old.add_user("bob", "reader", "bob-token-0123456789")
    for archive in ("flipped.zip", "user.zip"):
        assert run(["restore", str(tmp_path / archive), "--db", str(tmp_path / "old.db")]) == 2
        assert [u.name for u in Store(f"sqlite:///{tmp_path / 'old.db'}").users()] == ["bob"]
    assert run(["restore", str(tmp_path / "k.zip"), "--db", str(new)]) == 0  # a good one stays
    assert [x.label for x in Store(f"sqlite:///{new}").samples(NAME)] == ["B1", "S1", "B3"]


def test_a_restore_into_a_new_file_failing_names_that_file(tmp_path, capsys, monkeypatch):
    """On a full disk a restore into a new --db file said "cannot open the store
    'sqlite:///.new.db.restoring-4a9fa266': database or disk is full": the hidden file it was
    built in, removed by then. The error names the file asked for."""
    import fluxtrap.store.backup as backup_module
    from fluxtrap.cli import run
    from fluxtrap.errors import StoreError

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")

    def full(store, archive, progress=None, *, warn=None):  # as the store says it on a full disk
        raise StoreError(f"database error at {store!r}: database or disk is full")

    monkeypatch.setattr(backup_module, "restore", full)
    assert run(["restore", str(tmp_path / "k.zip"), "--db", str(tmp_path / "new.db")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "new.db'): database or disk is full; nothing restored" in err, err
    assert "restoring" not in err and not (tmp_path / "new.db").exists()


def test_a_restore_killed_half_way_leaves_no_store_at_its_new_file(tmp_path, capsys):
    """A restore into a new SQLite file made and migrated the file first, then inserted: killed
    (kill -9) between the two it left an empty store of 131 kB, which later commands took for a
    real one. It now restores into a hidden file beside it, linked into place when whole."""
    from fluxtrap.cli import run

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")
    new, inserting = tmp_path / "new.db", tmp_path / "inserting"
    code = f"""
import pathlib, sys, time
from fluxtrap.store import backup
def stall(*args, **kwargs):  # the first row's insert: the store is made, the rows not yet
    pathlib.Path({str(inserting)!r}).touch()
    time.sleep(300)
backup._row_values = stall
from fluxtrap.cli import run
sys.exit(run(["restore", {str(tmp_path / "k.zip")!r}, "--db", {str(new)!r}]))
"""
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        for _ in range(1200):  # at most 120 s to start and reach the first insert
            if inserting.exists() or child.poll() is not None:
                break
            time.sleep(0.1)
        assert inserting.exists() and child.poll() is None
    finally:
        child.kill()
        child.wait()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("new.db")] == []
    assert run(["restore", str(tmp_path / "k.zip"), "--db", str(new)]) == 0, capsys.readouterr()
    same_rows(rows(source, NAME), rows(Store(f"sqlite:///{new}"), NAME))
    # the killed one's hidden store (its lock free) removed by the later restore: it stayed
    assert [p.name for p in tmp_path.iterdir() if ".new.db.restoring" in p.name] == []


def test_a_restore_keeps_a_running_restores_hidden_store_and_names_an_unowned_one(tmp_path, capsys):
    """A later restore removes a killed one's ``.NAME.restoring-*`` (its lock free), never a
    running one's (its lock held); one without a lock is named, not removed."""
    from filelock import FileLock

    from fluxtrap.cli import run

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")
    dead, live, unowned = (tmp_path / f".new.db.restoring-{x}" for x in ("dead", "live", "old"))
    for partial in (dead, live, unowned):
        partial.write_bytes(b"SQLite format 3\0")
    (tmp_path / ".new.db.restoring-dead-wal").write_bytes(b"")
    (tmp_path / ".new.db.restoring-dead.lock").touch()  # its process gone: nobody holds it
    with FileLock(tmp_path / ".new.db.restoring-live.lock"):  # a restore still running
        code = run(["restore", str(tmp_path / "k.zip"), "--db", str(tmp_path / "new.db")])
        err = capsys.readouterr().err
        assert code == 0, err
        assert sorted(p.name for p in tmp_path.iterdir() if "restoring" in p.name) == [
            ".new.db.restoring-live", ".new.db.restoring-live.lock", ".new.db.restoring-old",
        ]  # fmt: skip
    assert f"warning: {unowned}: left by a restore into {tmp_path / 'new.db'} that was" in err
    assert str(live) not in err


def test_a_restore_racing_an_alike_user_creation_stores_one_of_them(
    tmp_path, store_url, monkeypatch
):
    """A restore bringing user "Alice" while an admin adds "alice" on another connection: each
    checks the taken names before the other commits, and PostgreSQL's unique index compares
    exact text, so both would be stored. The restore checks and inserts its users under the
    user names' lock, as add_user does: the admin waits and is refused naming "Alice"."""
    import fluxtrap.store.backup as backup_module

    from .test_store import _first_waits_for_second

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    source.add_user("Alice", "writer", "source-token-0123456789")
    source.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"), created_by="Alice")
    backup(source, NAME, tmp_path / "k.zip")
    Store(store_url)  # migrated before the two connections race
    outcome = _first_waits_for_second(
        monkeypatch,
        backup_module,
        "_python_value",  # restore converts each user column after the check
        lambda column, value, where: column.table.name == "users" and value == "Alice",
        lambda: restore(Store(store_url), tmp_path / "k.zip"),
        lambda: Store(store_url).add_user("alice", "admin", "target-token-0123456789"),
    )
    assert outcome["first"] == "stored"
    assert "user 'alice' already exists as 'Alice'" in outcome["second"]
    assert [u.name for u in Store(store_url).users()] == ["Alice"]
    assert Store(store_url).campaign_record(NAME).created_by == "Alice"


def test_a_restore_racing_an_alike_campaign_creation_stores_one_of_them(
    tmp_path, store_url, monkeypatch
):
    """A restore of "K-Ba122 SPS" while a writer creates "k-ba122 sps" on another connection:
    both checked the names before the other committed, and both would be stored on PostgreSQL.
    The restore checks and inserts under the campaign names' lock, as create_campaign does."""
    import fluxtrap.store.backup as backup_module

    from .test_store import _first_waits_for_second

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    source.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    backup(source, NAME, tmp_path / "k.zip")
    lower = CampaignSpec.from_dict(source.campaign(NAME).to_dict() | {"name": NAME.lower()})
    Store(store_url)  # migrated before the two connections race
    outcome = _first_waits_for_second(
        monkeypatch,
        backup_module,
        "_python_value",  # restore converts the campaign row's columns after the check
        lambda column, value, where: column.table.name == "campaigns" and column.name == "name",
        lambda: restore(Store(store_url), tmp_path / "k.zip"),
        lambda: Store(store_url).create_campaign(lower),
    )
    assert outcome["first"] == "stored"
    assert f"campaign {NAME.lower()!r} already exists" in outcome["second"], outcome
    assert [c.name for c in Store(store_url).campaigns()] == [NAME]


def test_a_backup_is_one_snapshot_while_others_write(tmp_path, store_url, monkeypatch):
    """A suggestion and the sample made from it, recorded while a backup reads (after its
    suggestions, before its samples): on PostgreSQL each read saw its own snapshot, so the
    archive held the sample without its suggestion, and the restored sample lost its link.
    Now the archive is the campaign as it was when the backup began."""
    import fluxtrap.store.backup as backup_module

    store = Store(store_url)
    store.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    original = backup_module.select

    def select(*args, **kwargs):  # another writer commits just before the samples are read
        if args and args[0] is TABLES["samples"] and not written:
            written.append(True)
            other = Store(store_url)
            (sug,) = other.add_suggestions(NAME, [P], [0.5], {"gp": 1}, 7, created_by="bob")
            other.add_sample(NAME, "S1", P, suggestion_id=sug.id, recorded_by="bob")
        return original(*args, **kwargs)

    written: list[bool] = []
    monkeypatch.setattr(backup_module, "select", select)
    counts = backup(store, NAME, tmp_path / "k.zip")
    assert written and counts["suggestions"] == counts["samples"] == 0, counts
    monkeypatch.setattr(backup_module, "select", original)
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    restore(target, tmp_path / "k.zip")
    assert target.samples(NAME) == [] and target.suggestions(NAME) == []
    assert [x.suggestion_id is not None for x in store.samples(NAME)] == [True]  # it was stored


@pytest.mark.parametrize(
    "table, edit, says",
    [
        ("simulations", setitem(0, "name", "run\x1b[2J"), "simulations row 1: name 'run\\x1b[2J': no control or invisible characters (found U+001B)"),
        ("calibrations", setitem(0, "name", "fit\u202eatad"), "calibrations row 1: name 'fit\\u202eatad'"),
        ("calibration_series", setitem(0, "filename", "a\u202egpj.csv"), "calibration_series row 1: filename 'a\\u202egpj.csv': no control"),
        ("calibration_series", setitem(1, "probe", "surf\u200bace"), "calibration_series row 2: probe 'surf\\u200bace'"),
        ("measurements", setitem(0, "filename", "loop\n.dat"), "measurements row 1: filename 'loop\\n.dat'"),
        ("simulations", setitem(0, "name", ["run"]), "simulations row 1: name is not a text"),
    ],
)  # fmt: skip
def test_names_with_hidden_characters_are_not_restored(tmp_path, table, edit, says):
    """Restore took simulation and calibration names, calibration series' file names and probes
    and measurement file names as archived: a crafted archive planted an ESC, a U+202E or a
    U+200B that the store's add_* refuse. Now refused naming the row, and nothing is written."""
    refused_when_resigned(tmp_path, table, edit, f"not restored: {says}")


def model_summary(**values):
    """An edit of suggestions row 1's model summary: ``values`` added to it."""
    return lambda docs, manifest: docs[0]["model_summary"].update(values)


@pytest.mark.parametrize(
    "edit, says",
    [
        (model_summary(prediction={"jc_3T": {"mean": "NaN", "std": 1.0}}), "['prediction']['jc_3T']['mean'] 'NaN' is not a number or null"),
        (model_summary(prediction={"jc_3T": {"mean": 1.0, "std": [[[[1.0]]]]}}), "['prediction']['jc_3T']['std'] '[[[[1.0]]]]' is not a number or null"),
        (model_summary(prediction={"jc_3T": [1.0] * 100_000}), "['prediction']['jc_3T'] '[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0,' is not a table"),
        (model_summary(prediction={"evil": {"mean": 1.0}}), "['prediction']['evil']: not an objective of the campaign ('jc_3T')"),
        (model_summary(prediction="1e8 ± 1e6"), "['prediction'] '1e8 ± 1e6' is not a table"),
        (model_summary(notes="a wrong unit?"), "['notes'] 'a wrong unit?' is not a list of at most 100"),
        (model_summary(notes=["x"] * 101), "['notes'] \"['x', 'x', 'x', 'x', 'x', 'x', 'x', 'x',\" is not a list of at most 100"),
        (model_summary(notes=[{"a": 1}]), "['notes'][0] \"{'a': 1}\" is not a text"),
        (model_summary(n="many"), "['n'] 'many' is not a count"),
        (model_summary(n=-1), "['n'] '-1' is not a count"),
        (model_summary(objectives={"jc_3T": {"noise_std": "0.1"}}), "['objectives']['jc_3T']['noise_std'] '0.1' is not a number or null"),
        (model_summary(objectives={"jc_3T": {"constant": "yes"}}), "['objectives']['jc_3T']['constant'] 'yes' is not true or false"),
        (model_summary(sd_scale={"jc_3T": {}}), "['sd_scale']['jc_3T'] '{}' is not a number or null"),
    ],
)  # fmt: skip
def test_model_summaries_the_pages_cannot_read_are_not_restored(tmp_path, edit, says):
    """A suggestion's model summary was checked to be a table, not inside it: a crafted archive
    restored a prediction of 'NaN', of nested lists or of 100 000 values, notes as one text
    (the model page listed it a character a line) and an n of 'many' (the stopping advisor's
    int() failed), each breaking the model page, the API's suggestions or `fluxtrap suggest`.
    Refused naming the row and key, nothing written."""
    refused_when_resigned(tmp_path, "suggestions", edit, f"suggestions row 1: model_summary{says}")


def test_the_model_summaries_suggest_writes_restore_row_for_row(tmp_path):
    """The summaries of a fitted model (its objectives, sd_scale, predictions), as
    `fluxtrap suggest` stores them, are of the shape restore checks: they restore as stored."""
    from fluxtrap.workflows.suggest import suggest

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    source.add_sample(NAME, "B4", P | {"dwell_time": 60}, objectives={"jc_3T": 1.9e8})
    made = suggest(source, NAME, 2, seed=0)
    assert {"objectives", "sd_scale", "prediction"} <= set(made[0].model_summary)
    backup(source, NAME, tmp_path / "k.zip")
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    restore(target, tmp_path / "k.zip")
    same_rows(rows(source, NAME), rows(target, NAME))


def write_zip(path, items) -> None:
    """A zip of the (name, bytes) ``items``, in their order, deflated; a name twice allowed."""
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        warnings.simplefilter("ignore")  # "Duplicate name"
        for name, data in items:
            z.writestr(name, data)


def members_twice(members, path):
    """The samples table twice in the zip: the first as backed up, the second (which zipfile
    reads, and the manifest signs) with another label; unzip and others read the first."""
    first = members["tables/samples.json"]
    resigned("samples", setitem(0, "label", "B9"))(members)
    write_zip(path, [("tables/samples.json", first), *members.items()])


def a_path_with_dots(members, path):
    """A file member named files/measurements/../measurements/1.content, its row and the
    manifest naming it so."""
    name = next(k for k in members if k.startswith("files/measurements/"))
    dotted = name.replace("files/measurements/", "files/measurements/../measurements/")
    members[dotted] = members.pop(name)
    docs = json.loads(members["tables/measurements.json"])
    for doc in docs:
        doc["content"] = dotted if doc["content"] == name else doc["content"]
    members["tables/measurements.json"] = json.dumps(docs).encode()
    resigned("samples", lambda docs, manifest: None)(members)
    write_zip(path, members.items())


def deflated_data_damaged(members, path):
    """The samples table's deflated data damaged, its CRC and sizes as they were."""
    write_zip(path, members.items())
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        at = z.getinfo("tables/samples.json").header_offset
    at += 30 + sum(int.from_bytes(data[k : k + 2], "little") for k in (at + 26, at + 28))
    data[at : at + 32] = bytes(b ^ 0x55 for b in data[at : at + 32])  # past its local header
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "edit, says",
    [
        (members_twice, "damaged: member(s) 'tables/samples.json' twice in the zip"),
        (
            a_path_with_dots,
            "member 'files/measurements/../measurements/1.content' is not one a backup writes",
        ),
        (deflated_data_damaged, "damaged or not a zip archive (Error -3 while decompressing"),
    ],
)
def test_an_archive_zip_tools_would_read_otherwise_is_refused(tmp_path, edit, says):
    """A zip holding a member twice restored the last copy (unzip shows the first), a member
    named with '..' restored (no backup writes one; extracted by hand, it lands elsewhere), and
    damaged deflated data was zlib's error, a traceback. Each is refused, nothing written."""
    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")
    with zipfile.ZipFile(tmp_path / "k.zip") as z:
        edit({i.filename: z.read(i.filename) for i in z.infolist()}, tmp_path / "bad.zip")
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    with pytest.raises(InputFileError, match=rf"bad.zip: {re.escape(says)}"):
        restore(target, tmp_path / "bad.zip")
    assert target.campaigns() == [] and target.users() == []


def simulation_summary(**values):
    """An edit of simulations row 1's summary: ``values`` added to it."""
    return lambda docs, manifest: docs[0]["summary"].update(values)


# whole parts of a summary as a run writes them, for the edits below to spoil one key of
TEMPERATURE = {"of": "the coolant", "start_K": 30.0, "final_K": 5.0, "min_K": 5.0, "max_K": 30.0}
BORE = {
    "dsv_m": 0.01, "center_z_m": 0.0, "centre_T": 1.0, "homogeneity_ppm": 12.0,
    "drift_ppm_per_h": None, "axial_coefficients": {"z0": {"T_per_m^n": 1.0, "ppm_at_dsv": 1e6}},
    "profiles": dict.fromkeys(("axial_z_m", "axial_Bz_T", "radial_r_m", "radial_Bz_T"), [0.0]),
}  # fmt: skip
MAP = {
    "time_s": 1.0, "applied_T": 0.0, "temperature_K": 30.0, "r_mm": [1.0], "z_mm": [0.0],
    "B_r_mm": [0.0], "B_z_mm": [0.0], "J_A_cm2": [[None]], "B_T": [[0.1]], "layers": [[0, 6, 0, 2]],
    "probes": [["centre", 0, 1]],
}  # fmt: skip
CREEP = {
    "a_T": 1.2, "b_T": 0.01, "origin_s": 0.0, "rms_T": 1e-4, "t_start_s": 1.0, "t_end_s": 1e3,
    "cov_T2": [[1e-8, 0], [0, 1e-8]], "n_points": 50, "column": "centre_Bz_T",
}  # fmt: skip


@pytest.mark.parametrize(
    "edit, says",
    [
        (simulation_summary(probes={"surface": {"final_T": "0.5 T"}}), "['probes']['surface']['final_T'] '0.5 T' is not a number or null"),
        (simulation_summary(probes={"surface": [0.5]}), "['probes']['surface'] '[0.5]' is not a table"),
        (simulation_summary(warnings="mesh coarse"), "['warnings'] 'mesh coarse' is not a list of at most 100"),
        (simulation_summary(accuracy={"note": ["a", "b"]}), "['accuracy']['note'] \"['a', 'b']\" is not a text"),
        (simulation_summary(temperature=TEMPERATURE | {"final_K": None}), "['temperature']['final_K'] 'None' is not a number"),
        (simulation_summary(thermal={"model": "heat", "probes": {"hot": {"final_K": {}}}}), "['thermal']['probes']['hot']['final_K'] '{}' is not a number or null"),
        (simulation_summary(bore=BORE | {"centre_T": "1 T"}), "['bore']['centre_T'] '1 T' is not a number"),
        (simulation_summary(bore=BORE | {"profiles": BORE["profiles"] | {"axial_z_m": [0, "x"]}}), "['bore']['profiles']['axial_z_m'][1] 'x' is not a number"),
        (simulation_summary(bore=BORE | {"axial_coefficients": {"z2": 3}}), "['bore']['axial_coefficients']['z2'] '3' is not a table"),
        (simulation_summary(accuracy={"bore": {"centre_error_T": "small"}}), "['accuracy']['bore']['centre_error_T'] 'small' is not a number or null"),
        (simulation_summary(maps={"of": 1, "shown": [MAP | {"B_T": [[0.1, "x"]]}]}), "['maps']['shown'][0]['B_T'][0][1] 'x' is not a number"),
        (simulation_summary(maps={"of": 1, "shown": [MAP | {"probes": [["centre", 0]]}]}), "['maps']['shown'][0]['probes'][0] \"['centre', 0]\" is not [name, r, z]"),
        (simulation_summary(maps={"of": 51, "shown": [{}] * 51}), "['maps']['shown'] '[{}, {}, {}, {}, {}, {}, {}, {}, {}, {},' is not a list of at most 50"),
        (simulation_summary(creep=CREEP | {"cov_T2": [[1e-6]]}), "['creep']['cov_T2'] '[[1e-06]]' is not a 2 x 2 table of numbers"),
        (simulation_summary(creep=CREEP | {"t_start_s": -1}), "['creep']['t_start_s'] '-1' is not a number > 0"),
        (simulation_summary(temperature={"of": "coolant"}), "['temperature'] has no 'start_K', 'final_K', 'min_K', 'max_K'"),
        (simulation_summary(bore={"centre_T": 1.0}), "['bore'] has no 'dsv_m', 'center_z_m', 'homogeneity_ppm'"),
        (simulation_summary(bore=BORE | {"axial_coefficients": {"z2": {}}}), "['bore']['axial_coefficients']['z2'] has no 'T_per_m^n', 'ppm_at_dsv'"),
        (simulation_summary(bore=BORE | {"profiles": {"axial_z_m": [0.0]}}), "['bore']['profiles'] has no 'axial_Bz_T', 'radial_r_m', 'radial_Bz_T'"),
        (simulation_summary(maps={"of": 1}), "['maps'] has no 'shown'"),
        (simulation_summary(maps={"of": 1, "shown": [{}]}), "['maps']['shown'][0] has no 'time_s', 'applied_T'"),
        (simulation_summary(creep={"a_T": 1.2}), "['creep'] has no 'b_T', 'origin_s', 'rms_T'"),
    ],
)  # fmt: skip
def test_simulation_summaries_the_pages_cannot_read_are_not_restored(tmp_path, edit, says):
    """A simulation's summary was checked to be a table, not inside it: a probe's final_T of
    '0.5 T' or a list, warnings as one text (listed a character a line), a note that is a list
    or a temperature of null were restored, for the simulation page and `fluxtrap simulation
    show` to format as numbers; a temperature, bore, map or creep fit without keys the page
    reads was restored and its page answered 500. Refused naming the row and key, nothing
    written."""
    refused_when_resigned(tmp_path, "simulations", edit, f"simulations row 1: summary{says}")


@pytest.mark.filterwarnings("ignore::fluxtrap.simulate.simulation.AccuracyWarning")
def test_the_summary_of_a_run_restores_row_for_row(tmp_path):
    """A real run's summary.json (a ring with a [bore]), with the warnings a dashboard job
    keeps and the J/B maps and creep fit the demo keeps, is of the shape restore checks: it
    restores as stored."""
    from fluxtrap.magnetometry.creep import fit_creep
    from fluxtrap.simulate import simulate
    from fluxtrap.workflows.simulations import stored_maps

    from .web.test_simulations import RING_CASE

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    case = Case.from_dict(tomli.loads(RING_CASE))
    result = simulate(case)
    t = np.geomspace(1, 1e3, 50)
    creep = fit_creep(t, 1.2 - 0.01 * np.log(t), origin_s=0).to_dict() | {"column": "centre_Bz_T"}
    summary = result.summary() | {
        "warnings": ["a warning the job kept"],
        "maps": stored_maps(result),  # the demo's maps and creep fit
        "creep": creep,
    }
    assert {"probes", "temperature", "bore"} <= set(summary) and "bore" in summary["accuracy"]
    source.add_simulation(
        case, RING_CASE, summary=summary, probes_csv=result.probes_csv(), campaign=NAME
    )
    backup(source, NAME, tmp_path / "k.zip")
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    restore(target, tmp_path / "k.zip")
    same_rows(rows(source, NAME), rows(target, NAME))


def calibration_result(**values):
    """An edit of calibrations row 1's result: ``values`` added to it."""
    return lambda docs, manifest: docs[0]["result"].update(values)


INTERVAL = {"lower": 12.8, "upper": 24.55, "lower_reached": True, "upper_reached": False}
RESTART = {"from_chi2": 20.76, "from": {"bulk.n": 31.12}, "start_chi2": 17.19, "start": {"bulk.n": 24.08},
           "to_chi2": 16.46, "to": {"bulk.n": 23.78}, "simulations": 49}  # fmt: skip
TRACE = {"name": "hall.csv", "points": 2, "t_s": [1, 2], "measured_T": [0.5, 0.4],
         "sigma_T": [0.01, 0.01], "start_T": [0.5, 0.5], "fitted_T": [0.5, 0.4]}  # fmt: skip


@pytest.mark.parametrize(
    "edit, says",
    [
        (calibration_result(parameters={"bulk.n": {"value": "25"}}), "['parameters']['bulk.n']['value'] '25' is not a number or null"),
        (calibration_result(misfit={"chi2_red": [1.2]}), "['misfit']['chi2_red'] '[1.2]' is not a number or null"),
        (calibration_result(series=[{"n_points": "20"}]), "['series'][0]['n_points'] '20' is not a count"),
        (calibration_result(correlation={"names": ["n"], "matrix": [["x"]]}), "['correlation']['matrix'][0][0] 'x' is not a number or null"),
        (calibration_result(warnings="slow"), "['warnings'] 'slow' is not a list of at most"),
        (calibration_result(traces=[TRACE | {"fitted_T": [0.5, "0.4"]}]), "['traces'][0]['fitted_T'][1] '0.4' is not a number or null"),
        (calibration_result(traces=[TRACE | {"sigma_T": [0.01]}]), "['traces'][0]: t_s, measured_T, sigma_T, start_T, fitted_T are not lists of one length"),
        (calibration_result(parameters={"bulk.n": {"profile_interval": {"lower": 12.8, "upper": "24"}}}), "['parameters']['bulk.n']['profile_interval'] has no 'lower_reached', 'upper_reached'"),
        (calibration_result(parameters={"bulk.n": {"profile_interval": INTERVAL | {"upper": "24"}}}), "['parameters']['bulk.n']['profile_interval']['upper'] '24' is not a number"),
        (calibration_result(parameters={"bulk.n": {"profile_interval": [12.8, 24.5]}}), "['parameters']['bulk.n']['profile_interval'] '[12.8, 24.5]' is not a table"),
        (calibration_result(optimizer={"restarts": [RESTART | {"to": {"bulk.n": None}}]}), "['optimizer']['restarts'][0]['to']['bulk.n'] 'None' is not a number"),
        (calibration_result(optimizer={"restarts": [{k: v for k, v in RESTART.items() if k != "to_chi2"}]}), "['optimizer']['restarts'][0] has no 'to_chi2'"),
        (calibration_result(optimizer={"restarts": RESTART}), "['optimizer']['restarts'] \"{'from_chi2': 20.76, 'from': {'bulk.n': \" is not a list"),
    ],
)  # fmt: skip
def test_calibration_results_the_pages_cannot_read_are_not_restored(tmp_path, edit, says):
    """A calibration's result was checked to be a table, not inside it: a crafted archive
    restored a parameter value of '25', a chi2_red list, a trace point '0.4' or a trace's sigma
    shorter than its times, which the calibration page formats as numbers and plots point by
    point; nor were a parameter's profile interval or the optimizer's restarts checked (an
    interval without its sides' flags, a restart to null). Refused naming the row and key,
    nothing written."""
    refused_when_resigned(tmp_path, "calibrations", edit, f"calibrations row 1: result{says}")


def test_a_calibrations_result_restores_row_for_row(tmp_path):
    """calibrate's own result (calibrate.json: parameters, correlation, misfit, series,
    traces, warnings) is of the shape restore checks: it restores as stored."""
    import numpy as np

    from fluxtrap.simulate.calibrate import Series, calibrate

    from .web.test_calibration_pages import HALL, stand_in

    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    case = Case.from_dict(tomli.loads(QUICK_CASE))
    t = 10 + np.geomspace(1, 100, 20)
    b = 0.9 * (0.5 - np.log1p(t - 10) / 30) + np.random.default_rng(0).normal(0, 1e-3, t.size)
    cal = calibrate(case, Series("hall.csv", t, b, "surface", origin_s=10.0),
                    "bulk.n,bulk.jc_scale", scan=0, profile=False, runner=stand_in)  # fmt: skip
    result = cal.to_dict() | {"wall_s": 1.5}
    assert {"parameters", "correlation", "misfit", "series", "traces"} <= set(result)
    source.add_calibration(case, QUICK_CASE, cal.fitted_cases[0], cal.fitted_cases[0].to_toml(),
                           result, [("hall.csv", HALL, "surface")], campaign=NAME)  # fmt: skip
    backup(source, NAME, tmp_path / "k.zip")
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    restore(target, tmp_path / "k.zip")
    same_rows(rows(source, NAME), rows(target, NAME))


SERIES = {"probe": "surface", "n_points": 2, "noise_T": 0.01, "noise_source": "given", "rms_T": 0.01,
          "chi2_red": 1.0, "runs_z": 0.0, "fits": True}  # fmt: skip


@pytest.mark.parametrize(
    "names, says",
    [
        (["loop.dat (m)"], "file 2 'other.csv' (probe 'surface'): no series of the result is of it"),
        (["loop.dat", "other.csv", "third.csv"], "series 3 'third.csv' of the result: no stored file is of it"),
        (["other.csv", "loop.dat", "loop.dat"], "series 3 'loop.dat' of the result: no stored file is of it"),
    ],
)  # fmt: skip
def test_a_calibration_whose_series_are_not_its_files_is_not_restored(tmp_path, names, says):
    """The calibration page shows each stored file with the result's series of it: a result with
    a series too few or too many was restored, for the page to show blanks or fail. Refused
    naming the calibration and the file or series; nothing written."""
    edit = calibration_result(series=[SERIES | {"name": n} for n in names])
    refused_when_resigned(
        tmp_path,
        "calibrations",
        edit,
        f"calibrations row 1: its result's series do not match its calibration_series rows: {says}",
    )


@pytest.mark.parametrize("positions", [[0, 5], [1, 1], [1, 2]])
def test_a_calibration_whose_file_positions_skip_or_repeat_is_not_restored(tmp_path, positions):
    """The calibration page lists its files by position and downloads the one at position i:
    files at positions 0 and 5, or twice at 1, were restored, leaving a file no link reaches.
    Refused naming the calibration; nothing written."""

    def edit(docs, manifest):
        for doc, position in zip(docs, positions, strict=True):
            doc["position"] = position

    refused_when_resigned(
        tmp_path,
        "calibration_series",
        edit,
        f"calibrations row 1: its calibration_series positions {positions} are not 0 to 1",
    )


def test_a_calibration_s_series_in_another_order_restores(tmp_path):
    """Series named after their files (as ``fluxtrap calibrate`` names them, "file (column)")
    pair with them in any order: restored as they are."""
    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")
    backup(source, NAME, tmp_path / "k.zip")
    series = [SERIES | {"name": "other.csv (y)"}, SERIES | {"name": "loop.dat"}]
    damage(
        tmp_path / "k.zip",
        tmp_path / "ok.zip",
        resigned("calibrations", calibration_result(series=series)),
    )
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    restore(target, tmp_path / "ok.zip")
    assert target.calibrations()[0].result["series"] == series
    assert target.calibrations()[0].paired_series[1] == []


@pytest.mark.parametrize("given", ["fifo", "/dev/urandom"])
def test_restore_of_a_fifo_or_a_device_is_refused_by_the_library_too(tmp_path, given):
    """27a30d3e made `fluxtrap restore` refuse a FIFO (waited on for ever) and /dev/urandom (read
    without end) before it made a store; ``restore`` itself, which the Python API and any other
    caller use, still hung on both. Refused at once naming the path, nothing written."""
    os.mkfifo(tmp_path / "fifo")
    code = (
        "import sys\n"
        "from fluxtrap.errors import InputFileError\n"
        "from fluxtrap.store import Store\n"
        "from fluxtrap.store.backup import restore\n"
        "store = Store('sqlite:///lab.db')\n"
        "try:\n"
        f"    restore(store, {given!r})\n"
        "except InputFileError as err:\n"
        "    print(err)\n"
        "print(len(store.campaigns()))\n"
    )
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              cwd=tmp_path, timeout=60)  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"restore({given!r}) still running after 60 s")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{given}: not a regular file; a backup archive must be one\n0\n"
