"""A whole campaign in one file, and back: ``fluxtrap backup`` / ``fluxtrap restore``.

The archive is a zip (format ``fluxtrap-backup`` version 1)::

    manifest.json     (the last member, written once every other's sha256 is known)
                      {"format": "fluxtrap-backup", "version": 1, "fluxtrap": "...",
                       "campaign": NAME, "created_at": ISO time, "counts": {table: rows},
                       "members": {member name: {"sha256": hex, "size": bytes}}}
    tables/<table>.json   the campaign's rows of each table, by id: every column; times as ISO
                          8601 in UTC; a file column (bytes) holds the name of its member
                          (null: no file, a simulation's heat_csv without a heat model)
    files/<table>/<id>.<column>   those bytes, as stored

Tables: campaigns (the one), suggestions, samples, measurements (raw files), curves,
simulations (probes.csv) and calibrations (+ calibration_series, their measured files) of the
campaign, and the users named in them (name, role, dates; never the token hash: a restored user
who does not exist yet gets no working token until ``fluxtrap user rotate``). Dashboard
sessions (``web_sessions``) are never archived, and a restore leaves the target's alone.

Restoring checks every member against the manifest (names, sizes, sha256; no name twice, none
but of the forms above: no '..') before writing, then
inserts everything in one transaction with new ids (the references between rows follow), so a
damaged archive, or a campaign whose name is taken (or reads as a taken one but for case or
Unicode form, as ``Store.create_campaign`` compares names), writes nothing. Sample labels are
restored as stored: a store written before new labels were compared in NFC, then NFKC and
case-folded, may hold "B1" and "b1", or "é" in two forms, and restores whole. So do its users
(an older store may hold "alice" and "Alice"), but a user new to the store whose name reads as
one of the store's but for case or Unicode form is refused, as a campaign name is: nothing is
written.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import secrets
import shlex
import shutil
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, LargeBinary, Table, func, select

from fluxtrap import __version__
from fluxtrap.campaign import MAX_MAGNITUDE, PHYSICAL_MAX, CampaignSpec, check_new_name, check_who
from fluxtrap.errors import ConflictError, FluxtrapError, InputFileError, ValidationError
from fluxtrap.inputs import hidden_characters, open_regular, shown_path
from fluxtrap.outputs import replacing
from fluxtrap.store import models as m
from fluxtrap.store.records import MAX_MAPS, CurveData, paired_series
from fluxtrap.store.store import (
    MAX_SEED,
    USER_NAMES,
    Store,
    _alike,
    _below_0_K,
    _campaign,
    _check_columns,
    _check_errors,
    _check_record_name,
    _lock_names,
    _taken_as,
    _unstorable,
    check_metadata,
)
from fluxtrap.tomlfile import parse_toml

FORMAT, VERSION = "fluxtrap-backup", 1
MAX_MANIFEST = 16 * 2**20  # bytes of manifest.json (a 10 000-measurement campaign's is ~2 MB)
MAX_CONTENT = 4 * 2**30  # bytes of all members together, unpacked (written to the store)
MAX_FILE = 256 * 2**20  # bytes of one file member, unpacked when its row is inserted: the largest
# file the store takes or took (an instrument file, 256 MiB before magnetometry's MAX_BYTES became
# 64 MiB; a probes.csv)
# bytes of tables/*.json together, held and parsed while restoring: as unpacked, and as Python
# text (_check_tables: 4 bytes to a character in a table with one beyond U+FFFF), so that
# parsing them takes at most ~1.5 GiB (512 MiB of one string with an emoji had taken 4.6 GB)
MAX_TABLES = 512 * 2**20
# JSON values of tables/*.json together, counted before they are parsed (_check_tables): one
# parses to at most ~64 bytes ([[]] nested), so to ~2 GiB in all, as a real archive of MAX_TABLES
# does (real loops' curves hold one value per 21 bytes: 25M in 512 MiB); 10 MiB of "{}," (10 KiB
# zipped) had parsed to 259 MB, and MAX_TABLES of them to 13 GB
MAX_TABLE_VALUES = 2**25
# in insertion order: each table after the ones it refers to
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        m.Campaign.__table__,
        m.Suggestion.__table__,
        m.Sample.__table__,
        m.Measurement.__table__,
        m.Curve.__table__,
        m.Simulation.__table__,
        m.Calibration.__table__,
        m.CalibrationSeries.__table__,
    )
}
MEMBER = re.compile(r"manifest\.json|tables/[a-z0-9_]+\.json|files/[a-z0-9_]+/\d+\.[a-z0-9_]+")
FILE_COLUMNS = {
    c.name for t in TABLES.values() for c in t.columns if isinstance(c.type, LargeBinary)
}  # their names
USER_COLUMNS = ("name", "role", "created_at", "expires_at", "revoked_at")
WHO = ("created_by", "recorded_by", "status_changed_by")  # columns naming a user
NAMES = (("simulations", "name"), ("calibrations", "name"), ("measurements", "filename"),
         ("calibration_series", "filename"), ("calibration_series", "probe"))  # fmt: skip
CASE_TEXTS = {"simulations": ("case_toml",), "calibrations": ("case_toml", "fitted_case_toml")}
# the shapes of a JSON value _check_shape compares: a value's test and what it is to be, a list
# of (a shape, at most so many), (a shape, None) (it or null), a table of {key: shape} (keys not
# named are kept as they are), (such a table, WHOLE) (every key it names there), or of
# {NAMES: shape} (every key one of the campaign's objectives) or {TEXTS: shape} (any text)
NAMES_KEY, TEXTS_KEY, WHOLE = "<an objective>", "<a text>", "<every key>"
NUMBER = (lambda v: isinstance(v, int | float) and not isinstance(v, bool), "a number")
NUMBER_OR_NULL = (lambda v: v is None or NUMBER[0](v), "a number or null")
COUNT = (lambda v: NUMBER[0](v) and isinstance(v, int) and v >= 0, "a count")
TEXT = (lambda v: isinstance(v, str), "a text")
FLAG = (lambda v: isinstance(v, bool), "true or false")
POSITIVE = (lambda v: NUMBER[0](v) and v > 0, "a number > 0")
PROBE_AT = (lambda v: isinstance(v, list) and len(v) == 3 and TEXT[0](v[0]) and all(map(NUMBER[0], v[1:])), "[name, r, z]")  # fmt: skip
SQUARE_2X2 = (lambda v: isinstance(v, list) and len(v) == 2 and all(isinstance(r, list) and len(r) == 2 and all(map(NUMBER[0], r)) for r in v), "a 2 x 2 table of numbers")  # fmt: skip
MAX_NOTES = 100  # a summary's notes or warnings: suggest, a job (MAX_WARNINGS) keep a few
# a suggestion's model summary as `fluxtrap suggest` writes it (Optimizer.model_summary,
# workflows.suggest.suggest): the keys the model page, the API and the stopping advisor read
MODEL_SUMMARY = {
    "n": COUNT,
    "pending": COUNT,
    "model": TEXT,
    "acquisition_function": TEXT,
    "search": TEXT,
    "notes": (TEXT, MAX_NOTES),
    "sd_scale": {NAMES_KEY: NUMBER_OR_NULL},
    "prediction": {NAMES_KEY: {TEXTS_KEY: NUMBER_OR_NULL}},  # {"mean", "std"}: the API's type
    "objectives": {
        NAMES_KEY: {
            "goal": TEXT,
            "lengthscales": {TEXTS_KEY: NUMBER_OR_NULL},
            "noise_std": NUMBER_OR_NULL,
            "fitted_noise_std": NUMBER_OR_NULL,
            "loo_rmse": NUMBER_OR_NULL,
            "loo_r2": NUMBER_OR_NULL,
            "known_errors": COUNT,
            "constant": FLAG,
            "bounds": (NUMBER_OR_NULL, 2),
        }
    },
}
# a simulation's summary.json (Simulation.summary, web.jobs' warnings): the parts the simulation
# page and `fluxtrap simulation show` read, in T and K
VALUES = {TEXTS_KEY: NUMBER_OR_NULL}
NUMBERS_ONLY = (NUMBER, MAX_TABLE_VALUES)  # a list as long as the tables hold
BORE_PROFILES = ("axial_z_m", "axial_Bz_T", "radial_r_m", "radial_Bz_T")  # BoreField.to_dict
ESTIMATES = {TEXTS_KEY: VALUES}  # per probe (an axial term): its values and their errors
SIMULATION_SUMMARY = {
    "probes": ESTIMATES,
    "temperature": (
        {"of": TEXT} | dict.fromkeys(("start_K", "final_K", "min_K", "max_K"), NUMBER),
        WHOLE,
    ),
    "thermal": {"model": TEXT, "probes": ESTIMATES, TEXTS_KEY: NUMBER_OR_NULL},
    "accuracy": {
        "note": TEXT,
        "bore": {"axial_terms_error_ppm": VALUES, "not_measured": TEXT, TEXTS_KEY: NUMBER_OR_NULL},
    },
    "bore": (  # BoreField.to_dict, in m, T and ppm
        {
            "dsv_m": NUMBER,
            "center_z_m": NUMBER,
            "centre_T": NUMBER,
            "homogeneity_ppm": NUMBER_OR_NULL,
            "drift_ppm_per_h": NUMBER_OR_NULL,
            "axial_coefficients": {
                TEXTS_KEY: ({"T_per_m^n": NUMBER_OR_NULL, "ppm_at_dsv": NUMBER_OR_NULL}, WHOLE)
            },
            "profiles": (  # as long as the tables hold
                dict.fromkeys(BORE_PROFILES, (NUMBER, MAX_TABLE_VALUES)),
                WHOLE,
            ),
        },
        WHOLE,
    ),
    "warnings": (TEXT, MAX_NOTES),
    # workflows.simulations.stored_maps (a web job's, the demo's), in s, T, K, mm and A/cm^2
    "maps": (
        {
            "of": COUNT,
            "shown": (
                (
                    dict.fromkeys(("time_s", "applied_T", "temperature_K"), NUMBER)
                    | dict.fromkeys(("r_mm", "z_mm", "B_r_mm", "B_z_mm"), NUMBERS_ONLY)
                    | {
                        "J_A_cm2": ((NUMBER_OR_NULL, MAX_TABLE_VALUES), MAX_TABLE_VALUES),
                        "B_T": (NUMBERS_ONLY, MAX_TABLE_VALUES),
                        "layers": ((NUMBER, 4), MAX_TABLE_VALUES),
                        "probes": (PROBE_AT, MAX_TABLE_VALUES),
                    },
                    WHOLE,
                ),
                MAX_MAPS,
            ),
        },
        WHOLE,
    ),
    "creep": (  # CreepFit.to_dict (the demo's), in s and T
        dict.fromkeys(("a_T", "b_T", "origin_s", "rms_T"), NUMBER)
        | dict.fromkeys(("t_start_s", "t_end_s"), POSITIVE)
        | {"cov_T2": SQUARE_2X2, "n_points": COUNT, "column": TEXT},
        WHOLE,
    ),
}
# a calibration's calibrate.json (simulate.calibrate.Calibration.to_dict): the parts the
# calibration page and its figures read; a list as long as the tables hold
NUMBERS = (NUMBER_OR_NULL, MAX_TABLE_VALUES)
TRACE_ARRAYS = ("t_s", "measured_T", "sigma_T", "start_T", "fitted_T")  # s and T, one a point
REACHED = ("lower_reached", "upper_reached")  # whether a profile interval's side was reached
CALIBRATION_RESULT = {
    "simulations": COUNT,
    "wall_s": NUMBER_OR_NULL,
    "parameters": {
        TEXTS_KEY: {
            "value": NUMBER_OR_NULL,
            "sigma": NUMBER_OR_NULL,
            "sigma_source": TEXT,
            "profile_interval": (  # where the profile rises by 1, in the parameter's unit
                ({"lower": NUMBER, "upper": NUMBER} | dict.fromkeys(REACHED, FLAG), WHOLE),
                None,
            ),
            "unit": TEXT,
            "start": NUMBER_OR_NULL,
            "nuisance": FLAG,
        }
    },
    "correlation": {"names": (TEXT, MAX_TABLE_VALUES), "matrix": (NUMBERS, MAX_TABLE_VALUES)},
    "misfit": {"chi2_red": NUMBER_OR_NULL, "dof": NUMBER_OR_NULL, "fits": FLAG},
    "series": (
        {
            "n_points": COUNT,
            "noise_T": NUMBER_OR_NULL,
            "noise_source": TEXT,
            "rms_T": NUMBER_OR_NULL,
            "chi2_red": NUMBER_OR_NULL,
            "runs_z": NUMBER_OR_NULL,
            "fits": FLAG,
        },
        MAX_TABLE_VALUES,
    ),
    "traces": (
        {"name": TEXT, "points": COUNT} | dict.fromkeys(TRACE_ARRAYS, NUMBERS),
        MAX_TABLE_VALUES,
    ),
    "warnings": (TEXT, MAX_TABLE_VALUES),
    "optimizer": {  # each restart of the descent from a lower profile point
        "restarts": (
            (
                {"simulations": COUNT}
                | dict.fromkeys(("from_chi2", "start_chi2", "to_chi2"), NUMBER)
                | dict.fromkeys(("from", "start", "to"), {TEXTS_KEY: NUMBER}),
                WHOLE,
            ),
            MAX_TABLE_VALUES,
        )
    },
}


def backup(
    store: Store,
    campaign: str,
    out: str | os.PathLike[str],
    progress: Callable[[int, int], Any] | None = None,
) -> dict[str, int]:
    """Write ``campaign`` of ``store`` to the archive ``out`` (replaced atomically); returns the
    row count per table. Files are read from the store and written to the archive one at a
    time (all were held: 150 MiB peak to back up 128 MiB of raw files); the manifest, with
    each member's sha256 taken as it is written, is the archive's last member. ``progress``
    is called with the bytes of files written so far and their total, after each file."""
    out = Path(out)
    listed: dict[str, dict[str, Any]] = {}  # member -> {"sha256", "size"}
    with (
        store._reader() as s,
        replacing(out) as partial,
        zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as z,
    ):
        if s.bind.dialect.name == "postgresql":  # one snapshot for all the reads below: under
            # READ COMMITTED each saw its own, and a sample recorded between the suggestions' and
            # the samples' reads was archived without the suggestion it was made from
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        c = _campaign(s, campaign)
        rows = _campaign_rows(s, c.id, files=False)
        total = sum(r[k] or 0 for t in rows.values() for r in t for k in r if k in FILE_COLUMNS)
        done = 0
        names = {r[w] for t in rows.values() for r in t for w in WHO if r.get(w)}
        names = sorted(names | {u for r in rows["samples"] for u in r["objective_set_by"].values()})
        users = [
            {k: _json_value(getattr(u, k)) for k in USER_COLUMNS}
            for u in s.scalars(select(m.User).where(m.User.name.in_(names)).order_by(m.User.name))
        ]
        for name, table in TABLES.items():
            binary = [col.name for col in table.columns if isinstance(col.type, LargeBinary)]
            docs = []
            for row in rows[name]:
                doc = {k: _json_value(v) for k, v in row.items() if k not in binary}
                for col in binary:
                    if row[col] is None:  # a nullable file column without its file (heat.csv)
                        doc[col] = None
                        continue
                    member = doc[col] = f"files/{name}/{row['id']}.{col}"
                    q = select(table.c[col]).where(table.c.id == row["id"])
                    listed[member] = _put(z, member, s.execute(q).scalar_one())
                    done += listed[member]["size"]
                    if progress is not None:
                        progress(done, total)
                docs.append(doc)
            listed[f"tables/{name}.json"] = _put(z, f"tables/{name}.json", _json(docs))
        listed["tables/users.json"] = _put(z, "tables/users.json", _json(users))
        counts = {name: len(rows[name]) for name in TABLES} | {"users": len(users)}
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "fluxtrap": __version__,
            "campaign": campaign,
            "created_at": datetime.now(UTC).isoformat(),
            "counts": counts,
            "members": listed,
        }
        z.writestr("manifest.json", _json(manifest))
    return counts


def restore(
    store: Store,
    archive: str | os.PathLike[str],
    progress: Callable[[int, int], Any] | None = None,
    *,
    warn: Callable[[str], Any] | None = None,
) -> tuple[str, dict[str, int]]:
    """Restore the campaign in ``archive`` into ``store`` (new ids, one transaction); returns
    its name and the row count per table. ``InputFileError`` for a damaged or foreign archive,
    ``ConflictError`` if the campaign exists in ``store`` already (named alike counts).
    ``progress`` is called with the bytes unpacked so far and their total (every member checked,
    then each file again as its row is inserted).

    An objective value above ``campaign.PHYSICAL_MAX`` (a Jc over 1e14 A/m^2, a Tc over 300 K:
    refused for new values since 2026-12-07, stored before) is restored as stored, not refused:
    the archive is the lab's record. Once the campaign is restored, ``warn`` (default:
    ``warnings.warn``) is called with one line per such value, naming the sample, the value and
    how to correct it."""
    seen = [0, 0]  # bytes unpacked, of

    def step(size: int) -> None:
        seen[0] += size
        if progress is not None:
            progress(*seen)

    members, files, manifest = _read_checked(Path(archive), seen, step)
    tables = {name: _load(members, f"tables/{name}.json", archive) for name in [*TABLES, "users"]}
    _known_columns(tables, manifest, archive)
    name = manifest["campaign"]
    beyond = _check_rows(tables, name, archive)
    with store.transaction() as s, _opened(Path(archive)) as z:
        _lock_names(s)  # as create_campaign: no "k-ba122 sps" beside "K-Ba122 SPS"
        for other in s.scalars(select(m.Campaign.name)):
            if _alike(other) == _alike(name):
                raise ConflictError(
                    f"{archive}: campaign {name!r} already exists{_taken_as(other, name)} in "
                    f"{store!r}; restore into another database"
                )
        new_ids: dict[str, dict[int, int]] = {}
        for table_name, table in TABLES.items():
            new_ids[table_name] = {}
            for doc in tables[table_name]:
                row = _row_values(table, doc, partial(_file, z, files, step), new_ids, archive)
                new_ids[table_name][doc["id"]] = s.execute(
                    table.insert(), row
                ).inserted_primary_key[0]
        _lock_names(s, USER_NAMES)  # as add_user: no "Alice" beside the store's "alice"
        known = set(s.scalars(select(m.User.name)))
        alike = {_alike(n): n for n in known}  # the store's before: the archive's restore whole
        for doc in tables["users"]:
            where = f"{archive}: users row {str(doc.get('name'))[:40]!r}"
            if set(doc) != set(USER_COLUMNS):
                raise InputFileError(f"{where}: columns {sorted(doc)[:10]} are not {USER_COLUMNS}")
            for k in USER_COLUMNS:
                _check_type(m.User.__table__.c[k], doc[k], where)
            if doc["role"] not in m.ROLES:
                raise InputFileError(
                    f"{where}: role {str(doc['role'])[:40]!r} is not one of {m.ROLES}"
                )
            if doc["name"] not in known:  # a token nobody knows: `fluxtrap user rotate` gives one
                try:  # as `fluxtrap user add` checks it
                    check_new_name(doc["name"], "user name")
                except ValidationError as err:
                    raise InputFileError(f"{where}: {err}") from None
                if (other := alike.get(_alike(doc["name"]))) is not None:
                    raise ValidationError(
                        f"{archive}: user {doc['name']!r} reads as user {other!r} of {store!r} but "
                        "for case or Unicode form; restore into another database"
                    )
                values = {
                    k: _python_value(m.User.__table__.c[k], doc[k], where) for k in USER_COLUMNS
                }
                s.add(m.User(**values, token_hash=secrets.token_hex(32)))
    for line in beyond:  # once restored: a refused restore restored none of them
        if warn is None:
            warnings.warn(line, UserWarning, stacklevel=2)
        else:
            warn(line)
    return name, {k: len(v) for k, v in tables.items()}


# -- helpers -----------------------------------------------------------------------------------
def _known_columns(tables: dict[str, list[dict[str, Any]]], manifest: dict, archive: Any) -> None:
    """Refuse tables and rows with columns this fluxtrap lacks: an archive of a newer schema (a
    newer fluxtrap's, same format version) was "columns [...] do not match the samples table",
    with no word of which column or of the fluxtrap that wrote it, and a table this fluxtrap
    does not know (tables/<table>.json, files/<table>/...) was left out, unsaid; nothing is
    written."""
    names = {k.split("/")[1].removesuffix(".json") for k in manifest["members"] if "/" in k}
    if extra := sorted(names - {*TABLES, "users"}):
        _newer(f"it has table(s) {_listed(extra)}", manifest, archive)
    for table_name, docs in tables.items():
        known = (
            set(USER_COLUMNS)
            if table_name == "users"
            else {c.name for c in TABLES[table_name].columns}
        )
        if extra := sorted({k for doc in docs for k in doc} - known):
            _newer(f"its {table_name} rows have column(s) {_listed(extra)}", manifest, archive)


def _listed(names: list[str]) -> str:
    """At most 10 ``names``, quoted and cut to 40 characters each."""
    return ", ".join(repr(k[:40]) for k in names[:10]) + (", ..." * (len(names) > 10))


def _newer(what: str, manifest: dict, archive: Any) -> None:
    """Refuse an archive of a newer schema: ``what`` this fluxtrap does not know, and the
    fluxtrap that wrote it."""
    raise InputFileError(
        f"{archive}: {what} that this fluxtrap ({__version__}) does not know: the archive was "
        f"written by fluxtrap {str(manifest.get('fluxtrap'))[:40]}, of a newer schema? Nothing "
        "was restored: restore it with that fluxtrap (or a newer one than this)"
    )


def _check_rows(tables: dict[str, list[dict[str, Any]]], name: str, archive: Any) -> list[str]:
    """Refuse rows the store's own writers would never have written (the sha256 manifest proves
    no origin: anyone can write one): ids and references that are not integers, an id twice in
    a table, a row of another campaign (``campaign_id``), a campaign other than the manifest's or one its definition or name would be refused for, samples with a
    label, origin, status, parameters or objectives ``Store.add_sample`` refuses, suggestions'
    model summaries not of the shape suggest writes (``MODEL_SUMMARY``), simulation summaries
    not of a run's (``SIMULATION_SUMMARY``), calibration results not of calibrate's
    (``CALIBRATION_RESULT``) or whose series are not those of its calibration_series rows
    (``paired_series``), and names (``NAMES``) with control or invisible characters, as
    ``Store``'s add_* refuse them. Returns a line for each objective value above
    ``PHYSICAL_MAX``, which is restored as stored (``_stored_objectives``)."""
    beyond: list[str] = []
    for table_name, table in TABLES.items():
        keys = ["id", *(c.name for c in table.columns if c.foreign_keys)]
        for doc in tables[table_name]:
            for key in keys:
                value = doc.get(key)
                if not (isinstance(value, int) and not isinstance(value, bool)) and (
                    key == "id" or value is not None
                ):
                    raise InputFileError(
                        f"{archive}: {table_name} row {str(doc.get('id'))[:40]}: {key} "
                        f"{str(value)[:40]!r} is not an integer id"
                    )
        ids = Counter(doc["id"] for doc in tables[table_name])
        if twice := [i for i, k in ids.items() if k > 1]:  # its references went to the last one
            raise InputFileError(f"{archive}: {table_name}: two rows have id {twice[0]}")
    campaigns = tables["campaigns"]
    if len(campaigns) != 1 or campaigns[0].get("name") != name:
        raise InputFileError(
            f"{archive}: tables/campaigns.json must hold the one campaign {name[:40]!r} the "
            "manifest names"
        )
    for table_name in ("suggestions", "samples", "simulations", "calibrations"):
        for doc in tables[table_name]:  # a simulation's elsewhere was restored outside it
            if doc.get("campaign_id") != campaigns[0]["id"]:
                raise InputFileError(
                    f"{archive}: {table_name} row {doc['id']}: campaign_id {doc.get('campaign_id')} "
                    f"is not the campaign's ({campaigns[0]['id']}): not restored"
                )
    try:
        for table_name, docs in tables.items():
            for doc in docs:
                for w in WHO:
                    check_who(doc.get(w), f"{table_name} row {str(doc.get('id'))[:40]}: {w}")
        check_new_name(name)
        spec = CampaignSpec.from_dict(campaigns[0].get("spec") or {}, "campaigns row", stored=True)
        if spec.name != name:
            raise ValidationError(f"campaign {name[:40]!r} is defined as {spec.name[:40]!r}")
        labels: dict[str, Any] = {}  # label -> row id: as stored (a store may hold B1 and b1)
        realised: dict[int, Any] = {}  # suggestion id -> the sample row made from it
        suggestion_ids = {doc["id"] for doc in tables["suggestions"]}
        for doc in tables["samples"]:
            where = f"samples row {doc['id']}"
            if (made_from := doc.get("suggestion_id")) is not None:
                if made_from not in suggestion_ids:  # every suggestion of the campaign is in
                    # the archive: the reference was restored as null, the sample's origin lost
                    raise ValidationError(
                        f"{where}: suggestion_id {str(made_from)[:40]} is no suggestions row of "
                        "the archive"
                    )
                if made_from in realised:  # add_sample marks it used: a second one is refused
                    raise ValidationError(
                        f"{where}: suggestion {made_from} is realised by samples row "
                        f"{realised[made_from]} already"
                    )
                realised[made_from] = doc["id"]
            if not isinstance(doc.get("label"), str):  # null: the insert's NOT NULL failed
                raise ValidationError(f"{where}: label {doc.get('label')!r:.40} is not a text")
            check_new_name(doc["label"], f"{where}: label")
            if doc["label"] in labels:
                raise ValidationError(
                    f"{where}: label {doc['label'][:40]!r} is also samples row {labels[doc['label']]}'s"
                )
            labels[doc["label"]] = doc["id"]
            for key, allowed in (("origin", m.ORIGINS), ("status", m.SAMPLE_STATUSES)):
                if doc.get(key) not in allowed:
                    raise ValidationError(
                        f"{where}: {key} {str(doc.get(key))[:40]!r} is not one of {', '.join(allowed)}"
                    )
            for key, check in (
                ("params", partial(spec.check_params, outside=True)),  # --outside-space kept
                (
                    "objectives",
                    partial(
                        _stored_objectives,
                        spec,
                        beyond=beyond,
                        campaign=spec.name,
                        label=doc["label"],
                    ),
                ),
            ):
                if not isinstance(doc.get(key), dict):
                    raise ValidationError(f"{where}: {key} is not a table of values")
                check(doc[key], where)
            doc.setdefault("status_changed_by", None)  # archives before 0013: not known
            doc.setdefault("status_changed_at", None)
            errors = doc.setdefault("objective_errors", {})  # archives before 0009: none
            set_by = doc.setdefault("objective_set_by", {})
            if not isinstance(errors, dict) or not isinstance(set_by, dict):
                raise ValidationError(
                    f"{where}: objective_errors and objective_set_by must be tables"
                )
            _check_errors(errors, doc["objectives"], where)
            for name, who in set_by.items():
                if name not in doc["objectives"]:
                    raise ValidationError(f"{where}: objective_set_by names {name[:40]!r}, unset")
                check_who(who, f"{where}: objective_set_by[{name[:40]!r}]")
        for doc in tables["suggestions"]:
            where = f"suggestions row {doc['id']}"
            if doc.get("status") not in m.SUGGESTION_STATUSES:
                raise ValidationError(
                    f"{where}: status {str(doc.get('status'))[:40]!r} is not one of {', '.join(m.SUGGESTION_STATUSES)}"
                )
            if not isinstance(doc.get("params"), dict):
                raise ValidationError(f"{where}: params is not a table of values")
            spec.check_params(doc["params"], where)  # as Store.add_suggestions
            seed = doc.get("seed")  # PostgreSQL's 32-bit column refused 2**31 naming nothing
            if seed is not None and not (isinstance(seed, int) and 0 <= seed <= MAX_SEED):
                raise ValidationError(f"{where}: seed {str(seed)[:40]}: give 0 to {MAX_SEED}")
            if isinstance(summary := doc.get("model_summary"), dict):  # else: "not a table"
                _check_shape(
                    summary, MODEL_SUMMARY, set(spec.objective_names), f"{where}: model_summary"
                )
        for doc in tables["measurements"]:
            where = f"measurements row {doc['id']}"
            if doc.get("kind") not in m.MEASUREMENT_KINDS:
                raise ValidationError(
                    f"{where}: kind {str(doc.get('kind'))[:40]!r} is not one of {', '.join(m.MEASUREMENT_KINDS)}"
                )
            check_metadata(doc.get("metadata"), where, stored=True)
            t = doc.get("temperature_K")  # as add_measurement; its type is checked on insert
            if isinstance(t, int | float) and not isinstance(t, bool) and t < 0:
                raise ValidationError(_below_0_K(where, t))
        for doc in tables["curves"]:  # as add_measurement stores them: numbers or null
            where = f"curves row {doc['id']}"
            columns, settings = doc.get("columns"), doc.get("settings")
            if not isinstance(settings, dict) or not isinstance(columns, dict):
                raise ValidationError(f"{where}: settings and columns must be tables")
            for name, values in columns.items():
                if not isinstance(values, list) or not all(
                    v is None or (isinstance(v, int | float) and not isinstance(v, bool))
                    for v in values
                ):
                    raise ValidationError(f"{where}: column {name[:40]!r} is not a list of numbers")
            _check_columns(
                CurveData(str(doc.get("kind")), str(doc.get("method")), settings, columns)
            )
        for doc in tables["simulations"]:
            doc.setdefault("heat_csv", None)  # archives before 0011: no heat.csv kept
            if isinstance(summary := doc.get("summary"), dict):  # else: "not a table"
                where = f"simulations row {doc['id']}: summary"
                _check_shape(summary, SIMULATION_SUMMARY, set(), where)
            if doc.get("status") not in m.SIMULATION_STATUSES:
                raise ValidationError(
                    f"simulations row {doc['id']}: status {str(doc.get('status'))[:40]!r} is not one of {', '.join(m.SIMULATION_STATUSES)}"
                )
        for doc in tables["calibrations"]:
            if isinstance(result := doc.get("result"), dict):  # else: "not a table"
                where = f"calibrations row {doc['id']}: result"
                _check_shape(result, CALIBRATION_RESULT, set(), where)
                for i, trace in enumerate(result.get("traces", [])):  # plotted point by point
                    if len({len(trace.get(k, ())) for k in TRACE_ARRAYS}) > 1:
                        raise ValidationError(
                            f"{where}['traces'][{i}]: {', '.join(TRACE_ARRAYS)} are not lists of "
                            "one length"
                        )
        for table_name, key in NAMES:  # as add_*: no ESC, U+202E or U+200B planted
            for doc in tables[table_name]:
                where = f"{table_name} row {doc['id']}: {key}"
                if not isinstance(doc.get(key), str):
                    raise ValidationError(f"{where} is not a text")
                if table_name in ("simulations", "calibrations"):  # line breaks, tabs allowed
                    _check_record_name(doc[key], where)
                elif hidden := hidden_characters(doc[key]):  # file names, probes: none at all
                    raise ValidationError(
                        f"{where} {doc[key][:40]!r}: no control or invisible characters (found "
                        f"{hidden})"
                    )
        for doc in tables["calibrations"]:  # its page shows each file with its series, if any
            files = [d for d in tables["calibration_series"] if d["calibration_id"] == doc["id"]]
            positions = [d.get("position") for d in files]  # the page's and download's index
            if not all(isinstance(x, int) for x in positions) or sorted(positions) != list(
                range(len(files))
            ):
                raise ValidationError(
                    f"calibrations row {doc['id']}: its calibration_series positions "
                    f"{str(positions)[:60]} are not 0 to {len(files) - 1}, each once"
                )
            files.sort(key=lambda d: d["position"])
            result = doc.get("result") if isinstance(doc.get("result"), dict) else {}
            if "series" in result and (disagree := paired_series(files, result["series"])[1]):
                raise ValidationError(
                    f"calibrations row {doc['id']}: its result's series do not match its "
                    f"calibration_series rows: {disagree[0]}"
                )
        for table_name, keys in CASE_TEXTS.items():  # case files: TOML, 4 MiB, 16 levels deep
            for doc in tables[table_name]:
                for key in keys:
                    where = f"{table_name} row {doc['id']}: {key}"
                    if not isinstance(doc.get(key), str):
                        raise ValidationError(f"{where} is not a text")
                    parse_toml(doc[key], where)
    except FluxtrapError as err:
        raise InputFileError(f"{archive}: not restored: {err}") from None
    return beyond


def _stored_objectives(
    spec: CampaignSpec,
    values: dict[str, Any],
    where: str,
    *,
    beyond: list[str],
    campaign: str,
    label: str,
) -> None:
    """Check a samples row's objective ``values`` as ``spec.check_objectives`` does, but for a
    finite number above ``PHYSICAL_MAX`` of its quantity (refused for new values since
    2026-12-07, so an archive written before may hold one: refusing it lost the whole campaign):
    kept as stored, with a line in ``beyond`` saying which sample, what value and how to
    correct it."""
    high = {}
    for k, v in values.items():
        most = PHYSICAL_MAX.get(spec.objective(k).quantity) if k in spec.objective_names else None
        number = isinstance(v, int | float) and not isinstance(v, bool)
        if most is not None and number and math.isfinite(v) and most < v <= MAX_MAGNITUDE:
            high[k] = v
    spec.check_objectives({k: v for k, v in values.items() if k not in high}, where)
    for k, v in high.items():
        o = spec.objective(k)
        unit, most = o.shown_unit, o.shown(PHYSICAL_MAX[o.quantity])
        fix = f"fluxtrap sample measured -c {shlex.quote(campaign)} {shlex.quote(label)}"
        beyond.append(
            f"sample {label!r} ({where}): {k} = {o.shown(v):.4g} {unit} is above the {most:g} "
            f"{unit} no superconductor reaches (a unit or exponent mistyped when it was stored?): "
            "restored as stored; the optimizer takes it as measured until it is corrected with "
            f"`{fix} -o {k}=VALUE --replace`"
        )


def _campaign_rows(s: Any, campaign_id: int, files: bool = True) -> dict[str, list[dict[str, Any]]]:
    """The campaign's rows of every table in TABLES, as column -> value dicts, by id; without
    ``files``, a file column holds its file's size in bytes (None: no file), not its bytes."""

    def rows(table: Table, where: Any) -> list[dict[str, Any]]:
        q = select(table)
        if not files:
            q = q.with_only_columns(
                *(func.length(c).label(c.name) if isinstance(c.type, LargeBinary) else c
                  for c in table.columns)
            )  # fmt: skip
        q = q.where(where).order_by(table.c.id)
        return [dict(r._mapping) for r in s.execute(q)]

    t = TABLES
    out = {"campaigns": rows(t["campaigns"], t["campaigns"].c.id == campaign_id)}
    for name in ("suggestions", "samples", "simulations", "calibrations"):
        out[name] = rows(t[name], t[name].c.campaign_id == campaign_id)
    ids = {name: [r["id"] for r in out[name]] for name in out}
    out["measurements"] = rows(t["measurements"], t["measurements"].c.sample_id.in_(ids["samples"]))
    measurement_ids = [r["id"] for r in out["measurements"]]
    out["curves"] = rows(t["curves"], t["curves"].c.measurement_id.in_(measurement_ids))
    series = t["calibration_series"]
    out["calibration_series"] = rows(series, series.c.calibration_id.in_(ids["calibrations"]))
    return out


def _row_values(
    table: Table,
    doc: dict[str, Any],
    read_file: Callable[[Any], bytes | None],
    new_ids: dict[str, dict[int, int]],
    archive: Any,
) -> dict[str, Any]:
    """An archived row as insert values: files read (``read_file``: a member's bytes, None if
    the archive has no such file), times parsed, references to the new ids (a reference to a
    row outside the campaign becomes null, if the column allows it)."""
    where = f"{archive}: {table.name} row {doc.get('id')}"
    if set(doc) != {c.name for c in table.columns}:
        raise InputFileError(f"{where}: columns {sorted(doc)} do not match the {table.name} table")
    row = {}
    for col in table.columns:
        if col.name == "id":
            continue
        value = doc[col.name]
        if isinstance(col.type, LargeBinary) and not (value is None and col.nullable):
            value = read_file(value)
            if value is None:
                raise InputFileError(f"{where}: file {doc[col.name]!r} is not in the archive")
        elif col.foreign_keys and value is not None:
            target = next(iter(col.foreign_keys)).column.table.name
            value = new_ids.get(target, {}).get(value)
            if value is None and not col.nullable:
                raise InputFileError(f"{where}: {col.name} refers to a row not in the archive")
        else:
            _check_type(col, value, where)
            value = _python_value(col, value, where)
        row[col.name] = value
    if "sha256" in row and hashlib.sha256(row["content"]).hexdigest() != row["sha256"]:
        raise InputFileError(f"{where}: sha256 {str(row['sha256'])[:64]!r} is not its file's")
    return row


def _check_shape(value: Any, shape: Any, names: set[str], where: str) -> None:
    """A ``ValidationError`` naming the key (``where['prediction']['jc_3T']['mean']``) at which
    ``value`` is not of ``shape`` (as ``MODEL_SUMMARY``; ``names``: the campaign's objectives)."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            raise ValidationError(f"{where} {str(value)[:40]!r} is not a table")
        for key, item in value.items():
            at = f"{where}[{str(key)[:40]!r}]"
            if NAMES_KEY in shape and key not in names:
                raise ValidationError(
                    f"{at}: not an objective of the campaign ({_listed(sorted(names))})"
                )
            if (inner := shape.get(key, shape.get(NAMES_KEY, shape.get(TEXTS_KEY)))) is not None:
                _check_shape(item, inner, names, at)
    elif shape[1] is None:
        if value is not None:
            _check_shape(value, shape[0], names, where)
    elif shape[1] is WHOLE:
        if isinstance(value, dict) and (missing := [k for k in shape[0] if k not in value]):
            raise ValidationError(f"{where} has no {', '.join(map(repr, missing))}")
        _check_shape(value, shape[0], names, where)
    elif isinstance(shape[1], int):
        item, most = shape
        if not isinstance(value, list) or len(value) > most:
            raise ValidationError(f"{where} {str(value)[:40]!r} is not a list of at most {most}")
        for i, x in enumerate(value):
            _check_shape(x, item, names, f"{where}[{i}]")
    elif not shape[0](value):
        raise ValidationError(f"{where} {str(value)[:40]!r} is not {shape[1]}")


def _check_type(col: Any, value: Any, where: str) -> None:
    """Refuse a value of another type than ``col`` holds (a list for a name, text for a number),
    which the database driver would otherwise fail on, or store as it is. Every JSON column is
    read back as a table (``dict(x.summary)``): a list, a text or null there was restored and
    broke the store's listings (a TypeError for every ``simulations()``)."""
    if isinstance(col.type, JSON):
        if not isinstance(value, dict):
            raise InputFileError(f"{where}: {col.name} {str(value)[:40]!r} is not a table")
        if (bad := _unstorable(value, col.name)) is not None:  # as Store's writes refuse it
            raise InputFileError(f"{where}: {bad}")
        return
    if value is None:
        return
    if isinstance(col.type, Boolean):
        ok = isinstance(value, bool)
    elif isinstance(col.type, Integer | Float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and (isinstance(value, int) or not isinstance(col.type, Integer))
        if ok and not math.isfinite(value):  # as the store's writers: SQLite kept NaN as NULL
            raise InputFileError(f"{where}: {col.name} {value} is not a finite number")
    else:  # String, Text; a DateTime as ISO text
        ok = isinstance(value, str)
        length = getattr(col.type, "length", None)  # PostgreSQL refuses longer, SQLite keeps it
        if ok and "\x00" in value:
            raise InputFileError(f"{where}: {col.name} holds a NUL character")
        if ok and length is not None and len(value) > length:
            raise InputFileError(
                f"{where}: {col.name} {value[:40]!r}... is {len(value)} characters, at most {length}"
            )
    if not ok:
        raise InputFileError(
            f"{where}: {col.name} {str(value)[:40]!r} is not a {type(col.type).__name__.lower()}"
        )


def _read_checked(
    path: Path, seen: list[int], step: Callable[[int], None]
) -> tuple[dict[str, bytes], dict[str, str], dict[str, Any]]:
    """The archive's members but its files by name, its files' sha256 by name (read when their
    rows are inserted, one at a time: all were held, 398 MB peak RSS to restore 160 MB of raw
    files) and its manifest, each member checked against the manifest (present, nothing extra,
    size, sha256) before anything is used."""
    try:
        with _opened(path) as z:
            names = [i.filename for i in z.infolist()]
            # a name twice: zipfile reads the last copy, unzip the first
            if twice := sorted(k for k, n in Counter(names).items() if n > 1):
                raise InputFileError(
                    f"{path}: damaged: member(s) {_listed(twice)} twice in the zip"
                )
            infos = {i.filename: i for i in z.infolist()}
            if "manifest.json" not in infos:
                raise InputFileError(f"{path}: no manifest.json: not a fluxtrap backup")
            # sizes from the zip's directory, before anything is unpacked (and no more of a
            # member is: _unpack, _digest); each refusal names the largest member it counts
            _check_sizes(path, infos)
            seen[1] = sum(i.file_size for k, i in infos.items() if k != "manifest.json")
            seen[1] += sum(i.file_size for k, i in infos.items() if k.startswith("files/"))
            try:  # ValueError: an integer of over 4300 digits (JSONDecodeError is one too)
                manifest = json.loads(_unpack(z, "manifest.json"))
            except (ValueError, RecursionError) as err:
                raise InputFileError(f"{path}: manifest.json is not valid ({err})") from None
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise InputFileError(f"{path}: not a fluxtrap backup (format {FORMAT!r} expected)")
            if manifest.get("version") != VERSION:
                raise InputFileError(
                    f"{path}: backup format version {manifest.get('version')!r}; this fluxtrap "
                    f"reads version {VERSION}"
                )
            listed = manifest.get("members")
            if not isinstance(listed, dict) or not isinstance(manifest.get("campaign"), str):
                raise InputFileError(f"{path}: manifest.json lacks its members or campaign")
            extra = set(infos) - set(listed) - {"manifest.json"}
            missing = set(listed) - set(infos)
            if extra or missing:
                raise InputFileError(
                    f"{path}: damaged: members not in the manifest {sorted(extra)[:5]}, "
                    f"missing {sorted(missing)[:5]}"
                )
            if odd := [k for k in names if not MEMBER.fullmatch(k)]:  # '..', '/', '\\': none
                raise InputFileError(
                    f"{path}: member {odd[0][:60]!r} is not one a backup writes (manifest.json, "
                    "tables/<table>.json, files/<table>/<id>.<column>): not a fluxtrap backup"
                )
            members, files = {}, {}
            for name, want in listed.items():
                if infos[name].file_size != want.get("size"):  # before reading it
                    raise InputFileError(
                        f"{path}: damaged: {name} is {infos[name].file_size} bytes, the manifest "
                        f"says {want.get('size')}"
                    )
                # checked as it unpacks, 1 MiB at a time, before it is held: a member of 2 GiB
                # of zeros (2 MB zipped) took 4.3 GB of memory to be refused
                if _digest(z, name) != want.get("sha256"):
                    raise InputFileError(f"{path}: damaged: {name} does not match its sha256")
                step(infos[name].file_size)
                if name.startswith("files/"):
                    files[name] = want["sha256"]
                else:
                    members[name] = _unpack(z, name)
            _check_tables(path, members)
    except AttributeError as err:
        raise InputFileError(f"{path}: manifest.json is not valid ({err})") from None
    return members, files, manifest


def _check_sizes(path: Path, infos: dict[str, zipfile.ZipInfo]) -> None:
    """Refuse an archive whose members, as its zip directory gives their sizes, unpack beyond
    the limits (MAX_MANIFEST, MAX_CONTENT, MAX_TABLES, MAX_FILE), naming the largest member
    counted against the limit broken."""
    groups = (
        ("manifest.json unpacks", MAX_MANIFEST, lambda k: k == "manifest.json"),
        ("its members unpack", MAX_CONTENT, lambda k: True),
        ("its tables unpack", MAX_TABLES, lambda k: k.startswith("tables/")),
    )
    for what, limit, counted in groups:
        sizes = {k: i.file_size for k, i in infos.items() if counted(k)}
        if sum(sizes.values()) > limit:
            largest = max(sizes, key=sizes.__getitem__)
            raise InputFileError(
                f"{path}: {what} to {sum(sizes.values())} bytes, at most {limit / 2**20:g} "
                f"MiB are restored (the largest, {largest}, to {sizes[largest]} bytes); not "
                "unpacked"
            )
    for k, i in infos.items():
        if k.startswith("files/") and i.file_size > MAX_FILE:
            raise InputFileError(
                f"{path}: {k} unpacks to {i.file_size} bytes, at most {MAX_FILE / 2**20:g} MiB "
                "(the largest file the store takes); not unpacked"
            )


def _check_tables(path: Path, members: dict[str, bytes]) -> None:
    """Refuse tables that would parse beyond the limits, measured before anything is parsed:
    MAX_TABLE_VALUES JSON values together (``_values``), and MAX_TABLES bytes as Python text
    (each table's bytes times ``_width``: 50 MiB of one string with an emoji at its end parsed to
    450 MiB); the refusal names the table that counts most."""
    for what, limit, measure in (
        ("hold up to {} JSON values", MAX_TABLE_VALUES, _values),
        ("take {} bytes as Python text", MAX_TABLES, lambda v: len(v) * _width(v)),
    ):
        counts = {k: measure(v) for k, v in members.items() if k.startswith("tables/")}
        if (total := sum(counts.values())) > limit:
            most = max(counts, key=counts.__getitem__)
            raise InputFileError(
                f"{path}: its tables {what.format(total)}, at most {limit} are restored (the "
                f"most, {most}, {counts[most]}); not parsed"
            )


def _values(data: bytes) -> int:
    """A bound from above on the JSON values and keys in ``data``: its ``{ [ , : "`` (each
    value or key but the first follows one)."""
    return sum(data.count(c) for c in (b"{", b"[", b",", b":", b'"'))


def _width(data: bytes) -> int:
    """Bytes a character of the JSON ``data`` may take decoded and parsed (a Python text takes
    as many for each character as its widest needs): 4 with a character beyond U+FFFF, as UTF-8
    or an escape, 2 with one beyond U+00FF, else 1 (an over-estimate, never under)."""
    if data.isascii() and b"\\u" not in data:
        return 1
    if re.search(rb"[\xf0-\xf7]|\\u[dD][89abAB]", data):
        return 4
    return 2 if re.search(rb"[\xc4-\xef]|\\u(?!00)", data) else 1


@contextmanager
def _opened(path: Path) -> Iterator[zipfile.ZipFile]:
    """The archive open for reading; a damaged or unreadable one, or not a regular file (a FIFO
    had been waited on for ever, /dev/urandom read without end), is an InputFileError."""
    try:
        with open_regular(path, "backup archive") as f, zipfile.ZipFile(f) as z:
            yield z
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error) as err:
        raise InputFileError(f"{path}: damaged or not a zip archive ({err})") from None
    except OSError as err:  # a path of thousands of characters was echoed whole
        raise InputFileError(f"{shown_path(path)}: cannot read: {err.strerror or err}") from None


def _file(
    z: zipfile.ZipFile, files: dict[str, str], step: Callable[[int], None], name: Any
) -> bytes | None:
    """File member ``name`` of the archive ``z`` (its size checked against MAX_FILE), checked
    against its sha256 again as it is read a second time (``step`` told its size); None if the
    archive has no such file."""
    if not isinstance(name, str) or name not in files:
        return None
    data = _unpack(z, name)
    if hashlib.sha256(data).hexdigest() != files[name]:
        raise InputFileError(f"{z.filename}: damaged: {name} does not match its sha256")
    step(len(data))
    return data


def _put(z: zipfile.ZipFile, name: str, data: bytes | memoryview) -> dict[str, Any]:
    """Write ``data`` to the archive ``z`` as member ``name``, compressed as it goes (no
    compressed copy held); its sha256 and size for the manifest."""
    data = memoryview(data)
    info = zipfile.ZipInfo(name, datetime.now().timetuple()[:6])
    info.compress_type, info.file_size = zipfile.ZIP_DEFLATED, len(data)  # zip64 if it needs
    info.external_attr = 0o600 << 16  # as writestr: rw for its owner when unpacked
    digest = hashlib.sha256()
    with z.open(info, "w") as f:
        for start in range(0, len(data), 2**20):
            digest.update(data[start : start + 2**20])
            f.write(data[start : start + 2**20])
    return {"sha256": digest.hexdigest(), "size": len(data)}


def _unpack(z: zipfile.ZipFile, name: str) -> bytes:
    """Member ``name`` of ``z``, unpacked 1 MiB at a time up to the size the zip's directory
    gives (checked before against the limits): ``ZipFile.read`` inflates all of a member's
    compressed data in one go and then cuts it to that size, so a member declared as 100 bytes
    whose 1 MB of data inflates to 1 GiB took 2 GiB of memory."""
    with z.open(name) as f, io.BytesIO() as buf:
        shutil.copyfileobj(f, buf, 2**20)
        return buf.getvalue()


def _digest(z: zipfile.ZipFile, name: str) -> str:
    """The sha256 of member ``name``, unpacked piece by piece (none of it kept)."""
    with z.open(name) as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _load(members: dict[str, bytes], name: str, archive: Any) -> list[dict[str, Any]]:
    if name not in members:
        raise InputFileError(f"{archive}: {name} is missing")
    try:
        rows = json.loads(members[name])
    except (ValueError, RecursionError) as err:  # and an integer of over 4300 digits
        raise InputFileError(f"{archive}: {name} is not valid JSON ({err})") from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InputFileError(f"{archive}: {name} must be a list of rows")
    return rows


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False).encode()


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):  # SQLite hands back UTC without its zone
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return value


def _python_value(col: Any, value: Any, where: str) -> Any:
    """An archived value as the column takes it: a time as an aware UTC ``datetime`` (a time
    without its zone is UTC, as backups write them). A time at another offset was stored at its
    wall-clock time on SQLite (hours off), and one whose UTC falls outside years 1 to 9999
    ("0001-01-01T00:00:00+14:00") was stored by PostgreSQL, then failed every read of the
    campaign ("timestamp too small (before year 1)"): refused, naming the row and column."""
    if isinstance(col.type, DateTime) and value is not None:
        try:
            t = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise InputFileError(
                f"{where}: {col.name} {str(value)[:40]!r} is not an ISO 8601 time"
            ) from None
        try:
            return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
        except OverflowError:
            raise InputFileError(
                f"{where}: {col.name} {value!r} is outside the years 1 to 9999 in UTC"
            ) from None
    return value
