"""The experiment store: the one stateful part of fluxtrap.

Every public method is one user action and one transaction: it either completes or leaves the
database as it was. Methods take and return plain values (``CampaignSpec``, frozen records,
DataFrames), never live ORM objects, so callers need no session.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import secrets
import sqlite3
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

import pandas as pd
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Engine,
    and_,
    cast,
    create_engine,
    delete,
    event,
    func,
    inspect,
    make_url,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    IntegrityError,
    StatementError,
)
from sqlalchemy.orm import Session, contains_eager, defer, sessionmaker

from fluxtrap import __version__
from fluxtrap.campaign import (
    MAX_BUDGET,
    MAX_NAME,
    MAX_NOTES,
    MAX_STATUS_NOTE,
    CampaignSpec,
    ObjectiveDef,
    check_new_name,
    check_new_rules,
    check_new_spec,
    check_note,
    check_who,
    history_frame,
)
from fluxtrap.errors import (
    ConflictError,
    FluxtrapError,
    NotFoundError,
    QuotaError,
    StoreError,
    ValidationError,
)
from fluxtrap.inputs import hidden_characters, near, refuse_reordering
from fluxtrap.store import models as m
from fluxtrap.store.records import (
    CalibrationRecord,
    CampaignRecord,
    CurveData,
    CurveRecord,
    JobRecord,
    MeasurementRecord,
    SampleRecord,
    SessionRecord,
    SimulationRecord,
    SuggestionRecord,
    UserRecord,
    paired_series,
)
from fluxtrap.units import estimate_text, number, parse

DEFAULT_URL = "sqlite:///fluxtrap.db"
WAIT_S = 60  # the longest a write waits for another's lock (SQLite's busy timeout), s
CONNECT_S = 20  # the longest a PostgreSQL server may take to answer a new connection, s
# a PostgreSQL role found unable to write is asked again at most this often (s), when a write or
# the server asks whether the store can be written: a GRANT given meanwhile counts without a
# restart (it stayed read-only until then)
RECHECK_S = 10.0
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE of a lock_timeout
DUPLICATE_NAMES = ("42P07", "42710")  # PostgreSQL's duplicate_table (relation), duplicate_object
INSUFFICIENT_PRIVILEGE = "42501"  # PostgreSQL's SQLSTATE of "permission denied for table ..."
PSYCOPG = ("psycopg", "psycopg2")  # the drivers _server_limits knows the options of
# the schemes a store URL typed without its "//" starts with (SQLAlchemy's dialects)
URL_SCHEMES = ("postgresql", "postgres", "sqlite", "mysql", "mariadb", "mssql", "oracle")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # a text holding one: no UTF-8 can
MAX_SEED = 2**31 - 1  # a suggestion's seed column is a 32-bit integer on PostgreSQL
# campaigns named in a "no campaign named" error; beyond, their count and a near miss
MAX_KNOWN = 20
# bytes of a new measurement's metadata as JSON (the real MPMS3 files' are 1.4 KB; a page listing
# notes parses every listed one); an archive's may hold up to MAX_STORED_METADATA, the limit of
# the stores before skipped lines were kept to their first and last (10^6 line numbers fit)
MAX_METADATA = 64 * 2**10
MAX_STORED_METADATA = 16 * 2**20
JOBS_LOCK = 0x666C7578  # PostgreSQL advisory lock key serialising the job queue's writes
NAMES_LOCK = 0x666C786E  # with a campaign id (0: campaign names): its new names' check + insert
MIGRATIONS_LOCK = 0x666C786D  # held while a store is checked and brought to head
USER_NAMES = -1  # the "campaign id" of _lock_names for user names (campaign ids are > 0)
MIGRATIONS = Path(__file__).with_name("migrations")
# a dashboard login lasts at most this long (less if the user's token expires first), and a user
# keeps at most MAX_SESSIONS of them: a login beyond ends their oldest
SESSION_LIFETIME = timedelta(hours=12)
MIN_TOKEN = 16  # characters of an API token given to add_user or rotate_token
MAX_TOKEN = 256  # at most: a longer one is no header's, and costs hashing on every request
MAX_SESSIONS = 20
# why a failed sample takes no objective values (set by hand or read off a measurement file)
FAILED_SAMPLE = (
    "marked failed (it will never be measured): mark it made again before recording its objectives"
)


class PrivilegeError(StoreError):
    """The database refused this role a read or write of one of its tables (a privilege revoked
    since the store was opened): the server's 403, not its 503."""


@runtime_checkable
class SimulatedCase(Protocol):
    """What the store needs of a simulation case (``fluxtrap.simulate.Case`` has it): a title,
    the case in SI and its identity; the store imports no simulator."""

    title: str

    def to_si_dict(self) -> dict[str, Any]: ...

    def key(self) -> str: ...


def resolve_url(url: str | os.PathLike[str] | None = None) -> str:
    """``url`` if given, else ``$FLUXTRAP_DB``, else ``sqlite:///fluxtrap.db``; a bare path means
    SQLite. A URL SQLAlchemy cannot read, or one missing its ``//`` (``postgresql:/u:pw@host/db``
    was an SQLite path, and its error showed the password), is a ``FluxtrapError`` that shows
    the URL without its password."""
    url = os.fspath(url) if url is not None else os.environ.get("FLUXTRAP_DB") or DEFAULT_URL
    example = "give DIALECT://USER:PASSWORD@HOST:PORT/DATABASE or the path of an SQLite file"
    if not str(url).strip():  # "" was SQLite in memory: everything written lost at exit
        raise FluxtrapError(
            f"store URL {url!r} is empty: {example} (sqlite:// for a store in memory, lost at exit)"
        )
    if "://" not in url:
        if re.match(rf"(?i)({'|'.join(URL_SCHEMES)})(\+\w+)?:", url):
            raise FluxtrapError(
                f"store {_masked(url)!r}: a database URL without '//' after its scheme; {example}"
            )
        return f"sqlite:///{url}"
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as err:  # ArgumentError's text holds the whole URL
        why = "" if isinstance(err, ArgumentError) else f" ({err})"
        raise FluxtrapError(f"store URL {_masked(url)!r}: not a URL{why}; {example}") from None
    wrong = []  # both said at once: postgres://bob:p@ss@host was told only of its scheme
    if "@" in (parsed.host or ""):  # bob:p@ss@host: the driver said "cannot resolve host 'ss@...'"
        wrong.append(
            "more than one '@' before its host, so where the password ends cannot be told; write "
            "an '@' in a user name or password as %40 (p@ss: p%40ss)"
        )
    if postgres := re.match(r"(?i)postgres(?=(\+\w+)?://)", url):  # Heroku's, Render's name
        wrong.append(
            "SQLAlchemy names PostgreSQL 'postgresql', not 'postgres': write "
            f"{'postgresql' if postgres.group(1) else 'postgresql+psycopg'}"
            f"{_masked(url)[postgres.end() :]}"
        )
    if (backend := parsed.get_backend_name()) not in URL_SCHEMES:  # ftp://: "Can't load plugin"
        wrong.append(f"{backend!r} is not a database; {example}")
    if wrong:
        raise FluxtrapError(f"store URL {_masked(url)!r}: {'; and '.join(wrong)}")
    return url


def alembic_config(url: str) -> Config:
    cfg = Config()
    # configparser reads "%" as interpolation: URLs hold %-escapes (socket paths, passwords)
    cfg.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


class Store:
    """The experiment database at ``url`` (any SQLAlchemy URL; SQLite file by default).

    Opening a store brings its schema to the newest Alembic revision; ``read_only`` opens it
    without writing anything (an SQLite file in ``mode=ro``, no migrations: a schema older than
    this fluxtrap's is refused, naming who can upgrade it), and every write is then refused.
    """

    def __init__(
        self,
        url: str | os.PathLike[str] | None = None,
        *,
        migrate: bool = True,
        read_only: bool = False,
    ) -> None:
        self.url = resolve_url(url)
        self.read_only = read_only
        self._denied: list[str] = []  # the writes a PostgreSQL role may not make (_write_denied)
        self._denied_at = 0.0  # time.monotonic() when _denied was last asked of the database
        self._denied_lock = threading.Lock()
        # dashboard logins of a store that cannot be written, kept by this process only: the
        # session id's hash -> (user id, created, expires)
        # read-only: session hash -> (user id, start, end, the user's token hash at login)
        self._held_sessions: dict[str, tuple[int, datetime, datetime, str]] = {}
        self._held_lock = threading.Lock()
        if (why := _sqlite_file_problem(self.url, read_only)) is not None:
            raise FluxtrapError(f"cannot open the store {_shown_url(self.url)!r}{why}")
        try:
            self.engine = _engine(self.url, read_only)
            self._session = sessionmaker(self.engine, expire_on_commit=False)  # transaction()
            # reads: on SQLite a deferred BEGIN, so a reader never takes or waits for the write lock
            self._read_session = sessionmaker(
                self.engine.execution_options(fluxtrap_read_only=True), expire_on_commit=False
            )
            if read_only:
                self._check_schema()
            elif migrate:
                self.upgrade()
            if not read_only and self.engine.dialect.name == "postgresql":
                self._denied, self._denied_at = _write_denied(self.engine), time.monotonic()
        except (ArgumentError, DBAPIError, ImportError) as err:
            # a folder, a file that is no database, an unknown scheme or driver, no server
            reason = str(getattr(err, "orig", None) or err).strip() or type(err).__name__
            if isinstance(err, ImportError):  # mysql://: "No module named 'MySQLdb'"
                reason = (
                    f"its database's driver is not installed ({reason}); fluxtrap installs "
                    "SQLite's and PostgreSQL's (postgresql+psycopg://)"
                )
            raise FluxtrapError(
                f"cannot open the store {_shown_url(self.url)!r}: {reason.splitlines()[0]}"
            ) from None

    def __repr__(self) -> str:
        return f"Store({_shown_url(self.engine.url.render_as_string(hide_password=False))!r})"

    def _revisions(self, connection: Connection) -> tuple[Config, set[str], list[str]]:
        """The Alembic config, the revisions this fluxtrap knows and the store's current ones; a
        revision it does not know (written by a newer fluxtrap) is a ``FluxtrapError``."""
        cfg = alembic_config(self.url)
        known = {r.revision for r in ScriptDirectory.from_config(cfg).walk_revisions()}
        current = list(MigrationContext.configure(connection).get_current_heads())
        found = inspect(connection)
        tables = found.get_table_names() + found.get_view_names()
        sqlite = connection.dialect.name == "sqlite"
        if not current and tables and sqlite:
            shown = ", ".join(tables[:5]) + (
                f" and {len(tables) - 5} more" if len(tables) > 5 else ""
            )
            raise FluxtrapError(  # was migrated: `campaign list` added 12 tables to the file
                f"{self!r} is not a fluxtrap store: it holds other tables ({shown}) and no "
                "fluxtrap schema (another program's database?); nothing was written: give a "
                "fluxtrap store, or a new file or empty database for a new one"
            )
        # a server's database may hold a lab's other tables: fluxtrap's are made beside them,
        # unless one of theirs has a fluxtrap table's name (it was refused for any table)
        if not current and (taken := sorted(set(tables) & set(m.Base.metadata.tables))):
            raise FluxtrapError(
                f"{self!r} holds {'tables' if len(taken) > 1 else 'a table'} named as fluxtrap's "
                f"({', '.join(taken)}) and no fluxtrap schema (no fluxtrap revision in "
                "alembic_version): another program's; nothing was written: give fluxtrap a "
                "database (or a schema, by the URL's options=-csearch_path=NAME) of its own"
            )
        if unknown := [r for r in current if r not in known]:
            if not sqlite and not set(tables) & set(m.Base.metadata.tables):
                raise FluxtrapError(
                    f"{self!r}: its table alembic_version holds revision "
                    f"{', '.join(unknown)} and none of fluxtrap's tables: another program's "
                    "Alembic migrations, whose table fluxtrap's revision would share; nothing "
                    "was written: give fluxtrap a database (or a schema, by the URL's "
                    "options=-csearch_path=NAME) of its own"
                )
            raise FluxtrapError(
                f"{self!r} is at schema revision {', '.join(unknown)}, which this fluxtrap "
                f"({__version__}) does not know: it was written by a newer fluxtrap; "
                "upgrade fluxtrap to open it"
            )
        return cfg, known, current

    def _check_schema(self) -> None:
        """A read-only store must be at this fluxtrap's newest revision: it cannot be migrated."""
        with self.engine.connect() as connection:
            cfg, _, current = self._revisions(connection)
        heads = list(ScriptDirectory.from_config(cfg).get_heads())
        if sorted(current) != sorted(heads):
            raise StoreError(
                f"{self!r} is read-only here and its schema (revision "
                f"{', '.join(current) or 'none'}) is older than this fluxtrap's "
                f"({', '.join(heads)}): someone with write access must upgrade it (any fluxtrap "
                "command they run on it does), or read it with the fluxtrap that wrote it"
            )

    def upgrade(self) -> None:
        """Apply pending migrations (idempotent); a store at a revision this fluxtrap does not
        know (written by a newer one) is refused untouched. One process at a time (PostgreSQL:
        an advisory lock; SQLite's BEGIN IMMEDIATE): 6 processes opening a new store at once
        each ran the migrations, and 5 failed on a duplicate key of pg_type."""
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATIONS_LOCK}
                )
            cfg, _, current = self._revisions(connection)
            cfg.attributes["connection"] = connection
            try:
                command.upgrade(cfg, "head")
            except DBAPIError as err:
                state, reason = getattr(err.orig, "sqlstate", None), str(err.orig).strip()
                if state == INSUFFICIENT_PRIVILEGE:  # a writer, not the owner: "must be owner"
                    heads = ", ".join(ScriptDirectory.from_config(cfg).get_heads())
                    role = self.engine.url.username or "this"
                    what = (
                        f"its schema (revision {', '.join(current)}) is older than this "
                        f"fluxtrap's ({heads}), and the database role {role!r} may not change it"
                        if current
                        else f"it has no fluxtrap tables yet, and the database role {role!r} "
                        "may not make them"
                    )
                    raise FluxtrapError(
                        f"{self!r}: {what} ({reason.splitlines()[0]}); nothing was written: "
                        "have the database's owner run any fluxtrap command on it once (which "
                        "makes or upgrades fluxtrap's tables), or grant this role what it lacks"
                    ) from None
                if state not in DUPLICATE_NAMES:  # an index or sequence of another program's
                    raise
                raise FluxtrapError(
                    f"{self!r}: another program's object in it has the name of one fluxtrap "
                    f"makes ({str(err.orig).strip().splitlines()[0]}); nothing was written: give "
                    "fluxtrap a database (or a schema, by the URL's options=-csearch_path=NAME) "
                    "of its own"
                ) from None

    @property
    def writable(self) -> bool:
        """Whether this store can be written (see :meth:`check_writes`)."""
        return self.why_read_only is None

    @property
    def why_read_only(self) -> str | None:
        """Why this store cannot be written (None: it can): opened ``read_only``, or a
        PostgreSQL role without the privileges fluxtrap's writes need (INSERT, UPDATE and
        DELETE on its tables, USAGE of their id sequences), found when the store was opened and
        asked again at most every ``RECHECK_S`` while it lacks them (:meth:`_still_denied`)."""
        if self.read_only:
            return f"{self!r} is read-only (opened read-only: its file or folder cannot be written here)"
        if denied := self._still_denied():
            role = self.engine.url.username or "this"
            shown = ", ".join(denied[:6]) + (", ..." if len(denied) > 6 else "")
            return (
                f"{self!r}: the database role {role!r} cannot write this store (it lacks {shown})"
            )
        return None

    def check_writes(self) -> None:
        """A ``StoreError`` saying :attr:`why_read_only` if this store cannot be written: a
        command that writes checks this first (a PostgreSQL role's first write had been its
        first word of it: "permission denied for table samples", or a traceback from suggest)."""
        if self.read_only:
            raise StoreError(
                f"{self.why_read_only}; nothing was written: ask someone with write access, or "
                "work on a copy"
            )
        if (why := self.why_read_only) is not None:
            raise StoreError(
                f"{why}; nothing was written: ask its owner to GRANT INSERT, "
                "UPDATE, DELETE ON ALL TABLES and USAGE ON ALL SEQUENCES IN SCHEMA public to it, "
                "or use a role that may write (reading commands work as it is)"
            )

    def _still_denied(self) -> list[str]:
        """The writes the role was found to lack, asked of the database again once they are
        ``RECHECK_S`` old (one catalogue query, one thread at a time; a database that does not
        answer keeps the last answer): a GRANT restored while the server runs is seen within
        ``RECHECK_S``, where it had been read once, at opening, and the server stayed read-only
        until restarted."""
        if not self._denied or time.monotonic() - self._denied_at < RECHECK_S:
            return self._denied
        with self._denied_lock:
            if self._denied and time.monotonic() - self._denied_at >= RECHECK_S:
                with suppress(DBAPIError):
                    self._denied = _write_denied(self.engine)
                self._denied_at = time.monotonic()
        return self._denied

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One user action: commit on success, roll back everything on any error; refused
        (``StoreError``, :meth:`check_writes`) on a store that cannot be written."""
        self.check_writes()
        with self._session() as session:
            try:
                with session.begin():
                    yield session
            except IntegrityError as err:
                raise _integrity_error(err) from None
            except OverflowError as err:  # SQLite's driver: an id or count beyond 64 bits
                raise _too_large(err) from None
            except DataError as err:  # e.g. PostgreSQL refusing a NUL or an out-of-range number
                reason = str(err.orig).splitlines()[0]
                raise ValidationError(f"the store refused a value: {reason}") from None
            except DBAPIError as err:  # no server, a file gone or no database, a lock timeout
                if getattr(err.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
                    raise self._refused(err, writing=True) from None
                if getattr(err.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE or str(
                    getattr(err.orig, "sqlite_errorname", "")
                ).startswith("SQLITE_BUSY"):  # SQLite's "database is locked"
                    raise StoreError(
                        f"{self!r}: another writer held a lock this write needs for {WAIT_S} s "
                        "(one stopped mid-write?); nothing was written: try again"
                    ) from None
                raise StoreError(f"database error at {self!r}: {err.orig}") from None
            except StatementError as err:  # a value _json_text refused, as the driver got it
                if isinstance(err.orig, FluxtrapError):
                    raise err.orig from None
                raise
            except UnicodeEncodeError as err:  # a lone surrogate in a text column's value
                raise ValidationError(
                    f"the store refused the text {err.object[:40]!r}: it holds "
                    f"U+{ord(err.object[err.start]):04X} (at {err.start}), half of a UTF-16 pair, "
                    "which no UTF-8 text can; nothing written"
                ) from None

    @contextmanager
    def _reader(self) -> Iterator[Session]:
        """A read: on SQLite a deferred transaction (it never takes or waits for the write
        lock); a database that fails is a ``StoreError``, as in :meth:`transaction`."""
        with self._read_session() as session:
            try:
                yield session
            except OverflowError as err:
                raise _too_large(err) from None
            except DataError as err:
                reason = str(err.orig).splitlines()[0]
                raise ValidationError(f"the store refused a value: {reason}") from None
            except DBAPIError as err:
                if getattr(err.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
                    raise self._refused(err, writing=False) from None
                raise StoreError(f"database error at {self!r}: {err.orig}") from None

    def _refused(self, err: DBAPIError, *, writing: bool) -> PrivilegeError:
        """What the database's "permission denied" (a privilege revoked after the store was
        opened: the role's were read then) means, naming the role, the table and what the role
        lacks now of the writes' privileges; without the store's URL (a web client is told it)."""
        role = self.engine.url.username or "this"
        reason = str(err.orig).strip().splitlines()[0]
        now: list[str] = []
        if writing:
            with suppress(DBAPIError):  # the catalogue unreadable too: the refusal alone
                now = _write_denied(self.engine)
        kinds = Counter(d.split(" ")[0] for d in now)  # "INSERT on samples": INSERT
        lacks = "".join(
            f"{', ' if i else '; it now lacks '}{p} on {n} "
            f"{'sequence' if p == 'USAGE' else 'table'}{'s' * (n > 1)}"
            for i, (p, n) in enumerate(kinds.items())
        )
        grant = (
            "INSERT, UPDATE, DELETE ON ALL TABLES and USAGE ON ALL SEQUENCES"
            if writing
            else "SELECT ON ALL TABLES"
        )
        return PrivilegeError(
            f"the database refused the role {role!r} this {'write' if writing else 'read'}: "
            f"{reason} (its privileges changed since the store was opened{lacks}); nothing was "
            f"{'written' if writing else 'read'}: ask the database's owner to GRANT {grant} IN "
            "SCHEMA public to it"
        )

    # -- campaigns -------------------------------------------------------------------------
    def create_campaign(
        self, spec: CampaignSpec, *, created_by: str | None = None
    ) -> CampaignRecord:
        """Create a campaign from ``spec``, recording ``created_by`` (its name must be able to
        appear in a URL: see ``check_new_name``; the rules for new campaigns: ``check_new_rules``,
        ``check_new_spec``)."""
        _no_spaces_around(check_new_name(spec.name), "campaign name")
        check_new_rules(spec.to_dict())
        check_new_spec(spec)
        check_who(created_by, "created_by")
        with self.transaction() as s:
            _lock_names(s)
            key = _alike(spec.name)
            for other in s.scalars(select(m.Campaign.name)):  # tens in a lab
                if _alike(other) == key:
                    raise ConflictError(
                        f"campaign {spec.name!r} already exists{_taken_as(other, spec.name)}"
                    )
            c = m.Campaign(name=spec.name, spec=spec.to_dict(), created_by=created_by)
            s.add(c)
            s.flush()
            return _campaign_record(c)

    def campaign(self, name: str) -> CampaignSpec:
        with self._reader() as s:
            return _spec(_campaign(s, name))

    def campaigns(self, *, limit: int | None = None, skip: int = 0) -> list[CampaignSpec]:
        """Campaigns, oldest first: all, or ``limit`` after the first ``skip``."""
        with self._reader() as s:
            q = _paged(select(m.Campaign).order_by(m.Campaign.id), limit, skip)
            return [_spec(c) for c in s.scalars(q)]

    def campaign_record(self, name: str) -> CampaignRecord:
        """A campaign with who created it and when."""
        with self._reader() as s:
            return _campaign_record(_campaign(s, name))

    def campaign_records(self, *, limit: int | None = None, skip: int = 0) -> list[CampaignRecord]:
        """Campaigns with who created them, oldest first: all, or ``limit`` after the first
        ``skip``."""
        with self._reader() as s:
            q = _paged(select(m.Campaign).order_by(m.Campaign.id), limit, skip)
            return [_campaign_record(c) for c in s.scalars(q)]

    # -- samples ---------------------------------------------------------------------------
    def add_sample(
        self,
        campaign: str,
        label: str,
        params: Mapping[str, Any],
        *,
        origin: str | None = None,
        suggestion_id: int | None = None,
        objectives: Mapping[str, Any] | None = None,
        recorded_by: str | None = None,
        notes: str = "",
        outside_space: bool = False,
    ) -> SampleRecord:
        """Record one sample; a ``suggestion_id`` is marked ``used`` by ``recorded_by``.
        ``origin`` None: optimizer with a ``suggestion_id``, else researcher; one given is kept.
        ``outside_space``: parameters beyond the campaign's bounds, off its step grid or breaking
        a linear constraint are recorded (a sample made there already; ``CampaignSpec.outside``
        says what it breaks), not refused; choices and fixed values are still checked. A Jc
        given as a bare number (A/m^2) below 100 A/cm^2 is refused, as the web API does."""
        if objectives:
            spec, where = self.campaign(campaign), f"sample {label!r}"
            _refuse_bare_jc(spec, spec.split_errors(objectives, where)[0], where)
        row = dict(
            outside_space=outside_space,
            label=label,
            params=params,
            origin=origin,
            suggestion_id=suggestion_id,
            objectives=objectives or {},
            recorded_by=recorded_by,
            notes=notes,
        )
        return self.add_samples(campaign, [row])[0]

    def add_samples(self, campaign: str, rows: Sequence[Mapping[str, Any]]) -> list[SampleRecord]:
        """Record several samples at once: all of them or, on the first bad row, none. A row may
        carry ``status`` ("made", the default, or "failed") and its ``status_note``,
        ``objective_errors`` (the 1-sigma of its objective values, an imported history's) and
        ``outside_space`` (as ``add_sample``'s)."""
        with self.transaction() as s:
            c = _campaign(s, campaign)
            _lock_names(s, c.id)
            spec = _spec(c)
            labels = list(s.scalars(select(m.Sample.label).where(m.Sample.campaign_id == c.id)))
            if len(labels) + len(rows) > MAX_BUDGET:  # two imports of 10,000 stored 20,000
                raise ValidationError(
                    f"campaign {c.name!r} has {len(labels)} samples; {len(rows)} more would "
                    f"make more than {MAX_BUDGET}, the most a campaign may have: nothing written"
                )
            taken = {_alike(x): x for x in labels}
            earlier: dict[str, str] = {}  # labels of this batch -> the row that gave each
            new = []
            for i, row in enumerate(rows):
                where = _row_where(rows, i)
                new.append(_new_sample(s, c, spec, row, taken, where=where, earlier=earlier))
            s.add_all(new)
            s.flush()
            return [_sample_record(x, campaign) for x in new]

    def sample_counts(self, campaigns: Collection[str] | None = None) -> dict[str, int]:
        """How many samples each campaign (of the names ``campaigns``; None: every one) has, by
        name (one query per 1000 names)."""
        q = (
            select(m.Campaign.name, func.count(m.Sample.id))
            .outerjoin(m.Sample, m.Sample.campaign_id == m.Campaign.id)
            .group_by(m.Campaign.id, m.Campaign.name)
        )
        with self._reader() as s:
            if campaigns is None:
                return {name: count for name, count in s.execute(q)}
            names = sorted(set(campaigns))
            return {
                name: n
                for at in range(0, len(names), 1000)
                for name, n in s.execute(q.where(m.Campaign.name.in_(names[at : at + 1000])))
            }

    def samples(
        self, campaign: str, *, limit: int | None = None, skip: int = 0
    ) -> list[SampleRecord]:
        """The campaign's samples in recording order: all, or ``limit`` after the first ``skip``."""
        with self._reader() as s:
            c = _campaign(s, campaign)
            q = select(m.Sample).where(m.Sample.campaign_id == c.id).order_by(m.Sample.id)
            return [_sample_record(x, campaign) for x in s.scalars(_paged(q, limit, skip))]

    def sample_labels(self, campaign: str, containing: str = "", *, limit: int) -> list[str]:
        """At most ``limit`` of the campaign's sample labels that contain ``containing`` (in
        either case as SQL's lower() folds it: SQLite's ASCII letters only, PostgreSQL's all;
        ``%`` and ``_`` taken as typed), the newest recorded first: a picker's choices, from
        every page of samples."""
        with self._reader() as s:
            c = _campaign(s, campaign)
            q = select(m.Sample.label).where(m.Sample.campaign_id == c.id)
            if containing:
                q = q.where(m.Sample.label.icontains(containing, autoescape=True))
            return list(s.scalars(q.order_by(m.Sample.id.desc()).limit(limit)))

    def sample(self, campaign: str, label: str) -> SampleRecord:
        with self._reader() as s:
            return _sample_record(_sample(s, _campaign(s, campaign), label), campaign)

    def departures(self, rec: SampleRecord) -> list[str]:
        """Where sample ``rec``'s parameters depart from those of the suggestion it realises
        (``CampaignSpec.departures``); [] without one."""
        if rec.suggestion_id is None:
            return []
        suggested = self.suggestion(rec.suggestion_id).params
        return self.campaign(rec.campaign).departures(rec.params, suggested)

    def set_objectives(
        self,
        campaign: str,
        label: str,
        values: Mapping[str, Any],
        *,
        replace: bool = False,
        changed_by: str | None = None,
    ) -> SampleRecord:
        """Set objective values of a sample measured by hand (strings may carry a unit and a
        1-sigma, ``"37.2 ± 0.3 K"``; a bare Jc below 100 A/cm^2 is refused: A/cm^2 typed as
        A/m^2), by ``changed_by``. A value already stored is kept
        (ValidationError naming it) unless ``replace``; a failed sample takes none (it will never
        be measured)."""
        check_who(changed_by, "changed_by")
        with self.transaction() as s:
            c = _campaign(s, campaign)
            x = _sample(s, c, label, for_update=True)
            where = f"sample {label!r}"
            spec = _spec(c)
            values, errors = spec.split_errors(values, where)
            _refuse_bare_jc(spec, values, where)
            checked = spec.check_objectives(values, where=where)
            errors = _check_errors(errors, checked, where, spec)
            if x.status == "failed":
                raise ValidationError(f"{where} is {FAILED_SAMPLE}")
            kept = [spec.objective(k) for k in checked if x.objectives.get(k) is not None]
            if kept and not replace:
                stored = ", ".join(
                    f"{o.name} = {o.shown(x.objectives[o.name]):.5g} {o.shown_unit}".rstrip()
                    for o in kept
                )
                raise ValidationError(
                    f"{where} already has {stored}: nothing written; ask to replace it "
                    "(--replace on the command line, replace in Python and the web API)"
                )
            x.objectives = {**x.objectives, **checked}
            x.objective_errors = {**_without(x.objective_errors, checked), **errors}
            x.objective_set_by = _set_by(x.objective_set_by, checked, changed_by)
            s.flush()
            return _sample_record(x, campaign)

    def set_sample_status(
        self,
        campaign: str,
        label: str,
        status: str,
        *,
        note: str | None = None,
        changed_by: str | None = None,
        expected: str | None = None,
    ) -> SampleRecord:
        """Mark a sample ``failed`` (unusable: it will never be measured, so it is not pending)
        or ``made`` again; the suggestion it realises, if any, becomes ``failed`` / ``used``. A
        sample with objective values is not marked failed (ValidationError naming them). With
        ``expected`` (the status the caller saw) a ``ConflictError`` if it is another now, saying
        who changed it and when. A change records ``changed_by`` and the time (UTC) on the
        sample. The status it already has sets its note only (`sample status a made --note`):
        who changed the status and when are kept, the sample's and its suggestion's."""
        _check_sample_status(status, "sample status")
        if expected is not None:
            _check_sample_status(expected, "expected sample status")
        check_who(changed_by, "changed_by")
        note = _note(note, f"sample {label!r}")
        with self.transaction() as s:
            c = _campaign(s, campaign)
            x = _sample(s, c, label)
            sug = (  # its row locked first, as set_suggestion_status does: no deadlock
                None
                if x.suggestion_id is None
                else _suggestion(s, x.suggestion_id, for_update=True)
            )
            x = _sample(s, c, label, for_update=True)  # its values read under the lock
            if expected is not None and x.status != expected:  # a page shown before a change
                raise ConflictError(
                    f"sample {label!r} is {x.status} ({_sample_status_said(x, sug)}changed "
                    f"since it was shown {expected}): nothing changed; reload to see it"
                )
            if status == "failed":
                _refuse_failing_measured(x, _spec(c), f"sample {label!r}")
            at = None  # when the suggestion changed with it: one change, one time
            if sug is not None and sug.status != (to := "failed" if status == "failed" else "used"):
                _change_status(sug, to, changed_by, note)
                at = sug.status_changed_at
            _change_sample_status(x, status, changed_by, at)
            x.status_note = note
            s.flush()
            return _sample_record(x, campaign)

    def history(self, campaign: str) -> pd.DataFrame:
        """One row per sample in recording order: label, origin, suggestion_id, status (made /
        failed), parameters, objectives (NaN where not measured), objective_errors (objective ->
        stated 1-sigma, in its unit; {} when none), created_at."""
        df = history_frame(
            self.campaign(campaign),
            self.samples(campaign),
            before=("label", "origin", "suggestion_id", "status"),
            after=("objective_errors", "created_at"),
        )
        df["suggestion_id"] = df["suggestion_id"].astype("Int64")
        return df

    # -- measurements and derived curves ---------------------------------------------------
    def add_measurement(
        self,
        campaign: str,
        label: str,
        kind: str,
        filename: str,
        content: bytes,
        *,
        temperature_K: float | None = None,
        metadata: Mapping[str, Any] | None = None,
        curves: Iterable[CurveData] = (),
        objectives: Mapping[str, Any] | None = None,
        objective_errors: Mapping[str, float] | None = None,
        recorded_by: str | None = None,
        replace: bool = False,
    ) -> MeasurementRecord:
        """Store a raw file whole, its derived curves and the objective values read off them,
        in one transaction. ``objective_errors``: the 1-sigma of some of those values, in their
        unit; a value set without one has none (an earlier error is dropped with its value). A
        value already stored is kept (ValidationError naming the old and the new value, nothing
        stored) unless ``replace``, and so is a file the sample has (the same kind and bytes);
        a failed sample takes no objectives, as in ``set_objectives``."""
        if kind not in m.MEASUREMENT_KINDS:
            raise _not_one_of("measurement kind", kind, m.MEASUREMENT_KINDS)
        if not content:
            raise ValidationError(f"measurement file {filename!r} is empty")
        check_who(recorded_by, "recorded_by")
        check_filename(filename)
        if temperature_K is not None and not math.isfinite(temperature_K):  # SQLite: NaN a NULL
            raise ValidationError(
                f"measurement file {filename[:40]!r}: temperature_K {temperature_K} is not a "
                "finite number (None: not known)"
            )
        if temperature_K is not None and temperature_K < 0:  # degrees Celsius as kelvin?
            raise ValidationError(_below_0_K(f"measurement file {filename[:40]!r}", temperature_K))
        with self.transaction() as s:
            c = _campaign(s, campaign)
            x = _sample(s, c, label, for_update=True)
            if objectives and x.status == "failed":
                raise ValidationError(f"sample {label!r} is {FAILED_SAMPLE}")
            digest = hashlib.sha256(content).hexdigest()
            same = s.scalars(
                select(m.Measurement.id)
                .where(m.Measurement.sample_id == x.id, m.Measurement.kind == kind)
                .where(m.Measurement.sha256 == digest)
                .order_by(m.Measurement.id)
            ).first()
            meas = m.Measurement(
                sample=x,
                kind=kind,
                temperature_K=temperature_K,
                filename=filename,
                content=bytes(content),
                sha256=digest,
                meta=check_metadata(metadata or {}, f"measurement file {filename[:40]!r}"),
                recorded_by=recorded_by,
            )
            s.add(meas)
            meas.curves.extend(_curve_row(curve) for curve in curves)
            if objectives:
                spec = _spec(c)
                checked = spec.check_objectives(objectives, where=f"sample {label!r}")
                errors = _check_errors(objective_errors or {}, checked, f"sample {label!r}")
                kept = [spec.objective(k) for k in checked if x.objectives.get(k) is not None]
                if kept and not replace:
                    old = x.objective_errors or {}
                    said = "; ".join(
                        f"{o.name} = {_estimate(o, x.objectives[o.name], old.get(o.name))}, "
                        f"{filename[:40]!r} gives {_estimate(o, checked[o.name], errors.get(o.name))}"
                        for o in kept
                    )
                    raise ValidationError(
                        f"sample {label!r} already has {said}: nothing written; ask to replace "
                        "it (--replace on the command line, replace in Python and the web API)"
                    )
                x.objectives = {**x.objectives, **checked}
                x.objective_errors = {**_without(x.objective_errors, checked), **errors}
                x.objective_set_by = _set_by(x.objective_set_by, checked, recorded_by)
            elif objective_errors:
                raise ValidationError(f"sample {label!r}: objective errors without their values")
            if same is not None and not replace:  # the same file added twice: a second row of
                raise ValidationError(  # it, its curves counted twice, with no word
                    f"sample {label!r} already has this {kind} file, byte for byte, as "
                    f"measurement {same}: nothing written; ask to replace to store it again "
                    "(--replace on the command line, replace in Python and the web API)"
                )
            s.flush()
            return _measurement_record(meas, campaign, len(content), with_content=False)

    def rederive(
        self,
        campaign: str,
        derived: Mapping[int, tuple[Mapping[str, Any], Sequence[CurveData]]],
        objectives: Mapping[str, tuple[Mapping[str, float], Mapping[str, float]]] | None = None,
        *,
        changed_by: str | None = None,
    ) -> None:
        """Store measurements' curves derived again from their stored files, in one transaction
        (interrupted: nothing changed): ``derived`` maps a measurement id of ``campaign`` to its
        new metadata (merged over the stored) and curves (replacing the stored ones); the raw
        file is kept byte for byte. ``objectives`` maps a sample label to the values and 1-sigma
        (SI) to set on it (the caller decided which to replace), each value that changes set
        by ``changed_by``; a failed sample's are left alone."""
        check_who(changed_by, "changed_by")
        with self.transaction() as s:
            c = _campaign(s, campaign)
            for mid, (metadata, curves) in derived.items():
                meas = s.get(m.Measurement, mid)
                if meas is None or meas.sample.campaign_id != c.id:
                    raise NotFoundError(f"no measurement {mid} in campaign {campaign!r}")
                meta = {**meas.meta, **metadata}
                meas.meta = check_metadata(meta, f"measurement file {meas.filename[:40]!r}")
                for old in list(meas.curves):
                    s.delete(old)
                meas.curves.clear()
                meas.curves.extend(_curve_row(curve) for curve in curves)
            for label, (values, errors) in (objectives or {}).items():
                x = _sample(s, c, label, for_update=True)
                if not values or x.status == "failed":
                    continue
                where = f"sample {label!r}"
                spec = _spec(c)
                checked = spec.check_objectives(values, where=where)
                errs = _check_errors(errors, checked, where)
                changed = [k for k, v in checked.items() if x.objectives.get(k) != v]
                x.objectives = {**x.objectives, **checked}
                x.objective_errors = {**_without(x.objective_errors, checked), **errs}
                x.objective_set_by = _set_by(x.objective_set_by, changed, changed_by)
            s.flush()

    def measurements(
        self,
        campaign: str,
        label: str | None = None,
        *,
        with_content: bool = True,
        limit: int | None = None,
        skip: int = 0,
    ) -> list[MeasurementRecord]:
        """A campaign's (or one sample's) measurements in recording order: all, or ``limit``
        after the first ``skip``; the file contents are read from the database only
        ``with_content`` (their sizes come from SQL either way)."""
        with self._reader() as s:
            c = _campaign(s, campaign)
            q = (
                select(m.Measurement, func.length(m.Measurement.content))
                .join(m.Sample)
                .options(contains_eager(m.Measurement.sample))  # its label: no query per sample
                .where(m.Sample.campaign_id == c.id)
                .order_by(m.Sample.id, m.Measurement.id)
            )
            if label is not None:
                q = q.where(m.Sample.id == _sample(s, c, label).id)
            if not with_content:
                q = q.options(defer(m.Measurement.content))
            return [
                _measurement_record(meas, campaign, size, with_content)
                for meas, size in s.execute(_paged(q, limit, skip))
            ]

    def measurement(self, measurement_id: int) -> MeasurementRecord:
        """One stored measurement with its file, byte for byte (``NotFoundError`` naming the id
        if there is none)."""
        with self._reader() as s:
            x = s.get(m.Measurement, measurement_id)
            if x is None:
                raise NotFoundError(f"no measurement with id {measurement_id}")
            c = s.get(m.Campaign, x.sample.campaign_id)
            _checked(x.id, x.filename, x.content, x.sha256)
            return _measurement_record(x, c.name if c else "", len(x.content), True)

    def measurement_content(self, measurement_id: int) -> bytes:
        """The stored file of one measurement, byte for byte (one at a time: a campaign's files
        together may not fit in memory), its SHA-256 checked against the recorded one (a
        damaged store is a ``StoreError``: `measure derive` re-derived from whatever it held)."""
        with self._reader() as s:
            row = s.execute(
                select(m.Measurement.content, m.Measurement.sha256, m.Measurement.filename).where(
                    m.Measurement.id == measurement_id
                )
            ).first()
            if row is None:
                raise NotFoundError(f"no measurement with id {measurement_id}")
            return _checked(measurement_id, row.filename, bytes(row.content), row.sha256)

    def curves(self, measurement_id: int) -> list[CurveRecord]:
        with self._reader() as s:
            meas = s.get(m.Measurement, measurement_id)
            if meas is None:
                raise NotFoundError(f"no measurement with id {measurement_id}")
            return [_curve_record(cv) for cv in meas.curves]

    def curves_of(self, measurement_ids: Collection[int]) -> dict[int, list[CurveRecord]]:
        """Measurement id -> its derived curves in order (an id with none: absent), in one query
        per 1000 measurements, not one per measurement."""
        out: dict[int, list[CurveRecord]] = {}
        with self._reader() as s:
            for ids in _chunks(measurement_ids):
                q = select(m.Curve).where(m.Curve.measurement_id.in_(ids)).order_by(m.Curve.id)
                for cv in s.scalars(q):
                    out.setdefault(cv.measurement_id, []).append(_curve_record(cv))
        return out

    def curve_settings(self, measurement_ids: Collection[int]) -> dict[int, list[dict[str, Any]]]:
        """Measurement id -> the settings of its derived curves, in their order (an id with
        none: absent), without reading the curves' columns: what the pages list of many
        measurements (their warnings) costs the settings' size, not the curves' length."""
        out: dict[int, list[dict[str, Any]]] = {}
        with self._reader() as s:
            for ids in _chunks(measurement_ids):
                q = (
                    select(m.Curve.measurement_id, m.Curve.settings)
                    .where(m.Curve.measurement_id.in_(ids))
                    .order_by(m.Curve.id)
                )
                for measurement_id, settings in s.execute(q):
                    out.setdefault(measurement_id, []).append(dict(settings))
        return out

    def curve_ids(self, measurement_ids: Collection[int], kind: str) -> dict[int, list[int]]:
        """Measurement id -> the ids of its curves of ``kind``, in order, without reading any
        curve (the pages pick the ones they show, then read those: ``curves_by_id``)."""
        out: dict[int, list[int]] = {}
        with self._reader() as s:
            for ids in _chunks(measurement_ids):
                q = (
                    select(m.Curve.measurement_id, m.Curve.id)
                    .where(m.Curve.measurement_id.in_(ids), m.Curve.kind == kind)
                    .order_by(m.Curve.id)
                )
                for measurement_id, curve_id in s.execute(q):
                    out.setdefault(measurement_id, []).append(curve_id)
        return out

    def curves_by_id(self, curve_ids: Collection[int]) -> dict[int, CurveRecord]:
        """The curves of ``curve_ids`` (ids not stored: absent), columns and all."""
        with self._reader() as s:
            return {
                x.id: _curve_record(x)
                for ids in _chunks(curve_ids)
                for x in s.scalars(select(m.Curve).where(m.Curve.id.in_(ids)))
            }

    # -- suggestions -----------------------------------------------------------------------
    def add_suggestions(
        self,
        campaign: str,
        params_list: Sequence[Mapping[str, Any]],
        acquisition_values: Sequence[float | None],
        model_summary: Mapping[str, Any],
        seed: int | None,
        *,
        created_by: str | None = None,
        predictions: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[SuggestionRecord]:
        """Record the optimizer's suggestions as ``open``; ``predictions`` (one per suggestion:
        the model's {outcome: {"mean", "std"}} there) go into its ``model_summary["prediction"]``."""
        if len(params_list) != len(acquisition_values):
            raise ValidationError("one acquisition value per suggestion is needed")
        for i, a in enumerate(acquisition_values):  # SQLite stored a NaN as NULL, PostgreSQL NaN
            if a is not None and not math.isfinite(a):
                raise ValidationError(
                    f"suggestion {i + 1}: acquisition value {a} is not a finite number (None: "
                    "not known)"
                )
        if seed is not None and not 0 <= seed <= MAX_SEED:
            raise ValidationError(f"seed {seed}: give 0 to {MAX_SEED}")
        check_who(created_by, "created_by")
        if predictions is not None and len(predictions) != len(params_list):
            raise ValidationError("one prediction per suggestion is needed")
        summaries = [
            dict(model_summary) | ({"prediction": dict(predictions[i])} if predictions else {})
            for i in range(len(params_list))
        ]
        with self.transaction() as s:
            c = _campaign(s, campaign)
            spec = _spec(c)
            new = [
                m.Suggestion(
                    campaign_id=c.id,
                    params=spec.check_params(p, where=f"suggestion {i + 1}"),
                    acquisition_value=None if a is None else float(a),
                    model_summary=summary,
                    seed=seed,
                    status="open",
                    created_by=created_by,
                )
                for i, (p, a, summary) in enumerate(
                    zip(params_list, acquisition_values, summaries, strict=True)
                )
            ]
            s.add_all(new)
            s.flush()
            return [_suggestion_record(x, campaign) for x in new]

    def suggestions(
        self, campaign: str, status: str | None = None, *, limit: int | None = None, skip: int = 0
    ) -> list[SuggestionRecord]:
        """The campaign's suggestions (or those with ``status``) by id: all, or ``limit`` after
        the first ``skip``."""
        with self._reader() as s:
            c = _campaign(s, campaign)
            q = (
                select(m.Suggestion)
                .where(m.Suggestion.campaign_id == c.id)
                .order_by(m.Suggestion.id)
            )
            if status is not None:
                _check_status(status)
                q = q.where(m.Suggestion.status == status)
            return [_suggestion_record(x, campaign) for x in s.scalars(_paged(q, limit, skip))]

    def suggestion(self, suggestion_id: int) -> SuggestionRecord:
        with self._reader() as s:
            x = _suggestion(s, suggestion_id)
            return _suggestion_record(x, _campaign_name(s, x))

    def set_suggestion_status(
        self,
        suggestion_id: int,
        status: str,
        *,
        changed_by: str | None = None,
        note: str | None = None,
        expected: str | None = None,
    ) -> SuggestionRecord:
        """Set a suggestion's status, recording ``changed_by``, the time (UTC) and ``note`` (why);
        with ``expected`` (the status the caller saw) a ``ConflictError`` if it is another now.

        ``failed`` also marks the sample made from it failed (it is no longer pending; refused
        while that sample has objective values); any
        other status on a suggestion a sample was made from is refused except ``used``, and
        ``used`` is refused on one no sample was made from (recording that sample marks it)."""
        _check_status(status)
        check_who(changed_by, "changed_by")
        with self.transaction() as s:
            x = _suggestion(s, suggestion_id, for_update=True)
            if expected is not None and x.status != expected:  # a page shown before a change
                by = f" by {x.status_changed_by}" if x.status_changed_by else ""
                raise ConflictError(
                    f"suggestion {x.id} is {x.status} (set{by} since it was shown {expected}): "
                    f"nothing changed; reload to see it"
                )
            if x.status == status:  # a no-op: who changed it and when are kept
                return _suggestion_record(x, _campaign_name(s, x))
            made = s.scalar(select(m.Sample).where(m.Sample.suggestion_id == x.id))
            if made is None and status == "used":
                raise ValidationError(
                    f"suggestion {x.id}: no sample was made from it, so it cannot be marked used; "
                    f"record the sample made from it (fluxtrap sample add --from-suggestion {x.id}, "
                    'or "From suggestion" on the campaign page), which marks it used'
                )
            if made is not None:
                if status not in ("used", "failed"):
                    raise ValidationError(
                        f"suggestion {x.id}: sample {made.label!r} was made from it, so it can "
                        f"only be used or failed, not {status}"
                    )
                if status == "failed":
                    made = s.scalar(  # locked after the suggestion: set_objectives waits
                        select(m.Sample)
                        .where(m.Sample.id == made.id)
                        .with_for_update()
                        .execution_options(populate_existing=True)  # its values as locked
                    )
                    where = f"suggestion {x.id}: its sample {made.label!r}"
                    _refuse_failing_measured(made, _spec(s.get(m.Campaign, x.campaign_id)), where)
                made.status_note = _note(note) if status == "failed" else None
            _change_status(x, status, changed_by, note)
            if made is not None:
                to = "failed" if status == "failed" else "made"
                _change_sample_status(made, to, changed_by, x.status_changed_at)
            s.flush()
            return _suggestion_record(x, _campaign_name(s, x))

    @contextmanager
    def locked_campaign(self, campaign: str, timeout_s: float = 300.0) -> Iterator[None]:
        """Hold ``campaign``'s lock for the block: one holder at a time, across processes and hosts.

        For read-then-write sequences such as asking the optimizer (read the open suggestions as
        pending points, write the new ones): two concurrent asks inside this lock cannot both miss
        each other's points. Store calls inside the block work as usual (own transactions).

        PostgreSQL: ``SELECT ... FOR NO KEY UPDATE`` of the campaign row in a transaction held for
        the block (it does not block the inserts of rows referencing the campaign). SQLite: an
        exclusive lock on the file ``<database>.lock`` (one lock for all campaigns of that file;
        SQLite is local to one machine, and a write transaction held open would block the block's
        own writes). Waiting longer than ``timeout_s`` raises ``FluxtrapError``.
        """
        busy = f"campaign {campaign!r} is locked by another writer (waited {timeout_s:g} s)"
        if self.engine.dialect.name == "sqlite":
            from filelock import FileLock, Timeout

            self.campaign(campaign)  # NotFoundError before waiting
            database = self.engine.url.database
            if not database or database == ":memory:":
                raise ValidationError(
                    "locked_campaign needs a SQLite file, not an in-memory database"
                )
            lock = FileLock(f"{database}.lock", timeout=timeout_s)
            try:
                lock.acquire()
            except Timeout:
                raise FluxtrapError(busy) from None
            except OSError as err:  # e.g. a folder this user cannot write
                raise StoreError(
                    f"{self!r}: campaign {campaign!r}'s lock file {lock.lock_file} cannot be "
                    f"taken: {err.strerror or err}"
                ) from None
            try:
                yield
            finally:
                lock.release()
            return
        self.check_writes()  # a role that may only read cannot take the row lock either
        with self._session() as s, s.begin():
            try:
                c = _campaign(s, campaign)
                s.execute(text(f"SET LOCAL lock_timeout = {int(timeout_s * 1000)}"))
                s.execute(
                    select(m.Campaign.id)
                    .where(m.Campaign.id == c.id)
                    .with_for_update(key_share=True)
                )
            except DBAPIError as err:  # only a lock timeout is another writer's doing
                if getattr(err.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                    raise FluxtrapError(busy) from None
                if getattr(err.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
                    raise self._refused(err, writing=True) from None
                reason = str(err.orig).strip().splitlines()[0] if str(err.orig).strip() else ""
                raise StoreError(
                    f"database error at {self!r} taking campaign {campaign!r}'s lock: "
                    f"{reason or type(err.orig).__name__}; nothing was done"
                ) from None
            yield

    # -- simulations -----------------------------------------------------------------------
    def add_simulation(
        self,
        case: SimulatedCase,
        case_toml: str,
        *,
        summary: Mapping[str, Any] | None = None,
        probes_csv: bytes = b"",
        heat_csv: bytes = b"",
        error: str | None = None,
        name: str | None = None,
        campaign: str | None = None,
        created_by: str | None = None,
        job_id: int | None = None,
    ) -> SimulationRecord:
        """Record a finished simulation of ``case`` (a parsed ``fluxtrap.simulate.Case``: the
        store keeps its ``to_si_dict()`` and its ``key()``) whose file text was ``case_toml``:
        ``done`` with its ``summary`` (summary.json) and ``probes_csv`` (the bytes of probes.csv,
        kept whole) and, of a heat run, ``heat_csv`` (heat.csv), or ``failed`` with ``error``
        (and whatever summary, probes and heat ran before the failure). ``name`` defaults to the case title; ``campaign`` (optional) must exist.
        ``job_id``: the running web job it is the result of, finished in the same transaction
        (done or failed, pointing to it); a job no longer running (cancelled while its result
        was on its way) is a ``ConflictError`` and nothing is stored. ``case_toml`` with a bidi
        override or control character is refused, as the web and the CLI refuse it
        (``refuse_reordering``: the simulation's page shows it)."""
        if not isinstance(case, SimulatedCase):
            raise ValidationError(f"a simulation's case must be a Case, got {type(case).__name__}")
        _check_case_text(case_toml)
        for key, value in (("probes_csv", probes_csv), ("heat_csv", heat_csv)):
            if not isinstance(value, bytes | bytearray):
                raise ValidationError(f"{key} must be bytes, got {type(value).__name__}")
        if error is not None and not error.strip():
            raise ValidationError("a failed simulation needs its error message (got an empty one)")
        if error is None and (not probes_csv or not summary):
            raise ValidationError(
                "a finished simulation needs its summary and probes.csv (or an error if it failed)"
            )
        check_who(created_by, "created_by")
        name = _check_record_name(name or case.title or "simulation", "simulation name")
        with self.transaction() as s:
            c = None if campaign is None else _campaign(s, campaign)
            x = m.Simulation(
                campaign_id=None if c is None else c.id, name=name, case=case.to_si_dict(),
                case_toml=case_toml, case_hash=case.key(), summary=dict(summary or {}),
                probes_csv=bytes(probes_csv), heat_csv=bytes(heat_csv) or None, status="done" if error is None else "failed",
                error=error, created_by=created_by,
            )  # fmt: skip
            s.add(x)
            s.flush()
            if job_id is not None:
                _lock_jobs(s)
                job = _job(s, job_id)
                if job.status != "running":
                    raise ConflictError(f"job {job_id} is {job.status}: its result is not stored")
                job.status, job.error, job.simulation_id = x.status, error, x.id
                job.finished_at = m.utcnow()
            return _simulation_record(x, campaign, with_probes=False)

    def simulations(
        self, campaign: str | None = None, *, limit: int | None = None, skip: int = 0
    ) -> list[SimulationRecord]:
        """The stored simulations, or those of ``campaign``, oldest first, without their probes
        and their summary's J/B maps (``maps``, up to ``MAX_MAPS`` of about 115 kB each: the
        database leaves them out; ``simulation`` has them): all, or the newest ``limit`` after
        the ``skip`` newest (pages counted from the newest)."""
        with self._reader() as s:
            q = select(m.Simulation, _summary_without_maps(s)).order_by(m.Simulation.id.desc())
            if campaign is not None:
                q = q.where(m.Simulation.campaign_id == _campaign(s, campaign).id)
            q = _paged(q, limit, skip).options(
                defer(m.Simulation.probes_csv),
                defer(m.Simulation.heat_csv),
                defer(m.Simulation.summary),
            )
            names = dict(s.execute(select(m.Campaign.id, m.Campaign.name)).all())
            return [
                _simulation_record(x, names.get(x.campaign_id), with_probes=False, summary=summary)
                for x, summary in s.execute(q)
            ][::-1]

    def simulation(self, simulation_id: int) -> SimulationRecord:
        """One stored simulation with its probes.csv and heat.csv bytes (``.probes``, ``.heat``
        as DataFrames)."""
        with self._reader() as s:
            x = s.get(m.Simulation, simulation_id)
            if x is None:
                raise NotFoundError(f"no simulation with id {simulation_id}")
            campaign = None if x.campaign_id is None else s.get(m.Campaign, x.campaign_id).name
            return _simulation_record(x, campaign, with_probes=True)

    # -- simulation jobs (the web server's queue) ---------------------------------------------
    def add_job(
        self, title: str, case_toml: str, created_by: str, *, per_user: int, total: int
    ) -> JobRecord:
        """Queue a simulation job of ``created_by``, unless they already have ``per_user`` jobs
        queued or running, or everybody together ``total`` (``QuotaError``, nothing queued);
        ``case_toml`` is checked as ``add_simulation``'s, and ``title`` as its name."""
        check_who(created_by, "created_by")
        _check_case_text(case_toml)
        title = _check_record_name(title.strip() or "simulation", "job title")
        with self.transaction() as s:
            _lock_jobs(s)
            pending = dict(
                s.execute(
                    select(m.Job.created_by, func.count())
                    .where(m.Job.status.in_(m.JOB_PENDING))
                    .group_by(m.Job.created_by)
                ).all()
            )
            mine = pending.get(created_by, 0)
            if mine >= per_user:
                raise QuotaError(
                    f"user {created_by!r} has {mine} simulation jobs queued or running (at most "
                    f"{per_user}): wait for one to finish, or cancel one (DELETE /api/jobs/ID)"
                )
            if sum(pending.values()) >= total:
                raise QuotaError(
                    f"the server has {sum(pending.values())} simulation jobs queued or running "
                    f"(at most {total}): submit again later"
                )
            job = m.Job(
                title=title, case_toml=case_toml,
                status="queued", created_by=created_by,
            )  # fmt: skip
            s.add(job)
            s.flush()
            return _job_record(job, with_case=False)

    def job(self, job_id: int) -> JobRecord:
        """One job with its case text; ``NotFoundError`` for an unknown id."""
        with self._reader() as s:
            return _job_record(_job(s, job_id), with_case=True)

    def jobs(self, status: str | None = None, *, limit: int = 500) -> list[JobRecord]:
        """The newest ``limit`` jobs (or those with ``status``), oldest first, without their case."""
        with self._reader() as s:
            q = select(m.Job).options(defer(m.Job.case_toml)).order_by(m.Job.id.desc())
            if status is not None:
                q = q.where(m.Job.status == status)
            return [_job_record(j, with_case=False) for j in s.scalars(q.limit(limit))][::-1]

    def claim_job(self, runner: str) -> JobRecord | None:
        """Start the next queued job on ``runner`` (it becomes ``running``), or None if nothing
        is queued. Fair across users, round-robin: the user with the fewest jobs running, then
        the one whose last job started longest ago (never: first), gets their oldest job."""
        with self._reader() as s:  # an idle queue is polled without taking the write lock
            if s.scalar(select(m.Job.id).where(m.Job.status == "queued").limit(1)) is None:
                return None
        with self.transaction() as s:
            _lock_jobs(s)
            queued = s.execute(
                select(m.Job.id, m.Job.created_by)
                .where(m.Job.status == "queued")
                .order_by(m.Job.id)
            ).all()
            if not queued:
                return None
            users = {user for _, user in queued}
            per_user = select(m.Job.created_by).where(m.Job.created_by.in_(users))
            running = dict(
                s.execute(
                    per_user.add_columns(func.count())
                    .where(m.Job.status == "running")
                    .group_by(m.Job.created_by)
                ).all()
            )
            last_start = dict(
                s.execute(
                    per_user.add_columns(func.max(m.Job.started_at)).group_by(m.Job.created_by)
                ).all()
            )
            never = datetime.min.replace(tzinfo=UTC)

            def turn(row: Any) -> tuple[int, datetime, int]:
                started = last_start.get(row.created_by)
                return running.get(row.created_by, 0), _aware(started) if started else never, row.id

            job = s.get(m.Job, min(queued, key=turn).id)
            job.status, job.runner = "running", runner
            job.started_at = job.heartbeat_at = m.utcnow()
            s.flush()
            return _job_record(job, with_case=True)

    def finish_job(
        self,
        job_id: int,
        status: str,
        *,
        error: str | None = None,
        simulation_id: int | None = None,
    ) -> bool:
        """End a running job as ``done``, ``failed`` or ``interrupted``; False (and nothing
        written) if it is no longer running (cancelled meanwhile)."""
        if status not in m.JOB_STATUSES or status in m.JOB_PENDING:
            raise ValidationError(f"a job cannot finish as {status!r}")
        with self.transaction() as s:
            _lock_jobs(s)
            job = _job(s, job_id)
            if job.status != "running":
                return False
            job.status, job.error, job.simulation_id = status, error, simulation_id
            job.finished_at = m.utcnow()
            return True

    def beat_jobs(self, runner: str) -> int:
        """Renew the heartbeat of the jobs ``runner`` is running (it is alive); how many."""
        mine = select(m.Job.id).where(m.Job.status == "running", m.Job.runner == runner)
        with self._reader() as s:  # an idle server beats without taking the write lock
            if s.scalar(mine.limit(1)) is None:
                return 0
        with self.transaction() as s:
            _lock_jobs(s)
            return s.execute(
                update(m.Job)
                .where(m.Job.status == "running", m.Job.runner == runner)
                .values(heartbeat_at=m.utcnow())
            ).rowcount

    def interrupt_silent_jobs(
        self, silent_s: float, error: str, alive: str | None = None
    ) -> list[JobRecord]:
        """Mark ``interrupted`` the running jobs whose runner has not renewed their heartbeat
        for ``silent_s`` seconds (its server died, on whatever host), with ``error`` (``{runner}``
        in it is replaced by the job's runner); rows from before heartbeats count from their
        start. The jobs of runner ``alive`` (the scanning server's own: it is alive, whatever
        its last beat says after a stall) are left to it. Times are the servers' clocks (UTC):
        keep ``silent_s`` well above their skew."""
        cutoff = m.utcnow() - timedelta(seconds=silent_s)
        last_sign = func.coalesce(m.Job.heartbeat_at, m.Job.started_at)
        running = m.Job.status == "running"
        if alive is not None:
            running = and_(running, or_(m.Job.runner.is_(None), m.Job.runner != alive))
        silent_ids = select(m.Job.id).where(running, last_sign < cutoff)
        with self._reader() as s:  # all is well (the usual case) without taking the write lock
            if s.scalar(silent_ids.limit(1)) is None:
                return []
        with self.transaction() as s:
            _lock_jobs(s)
            silent = s.scalars(
                select(m.Job).options(defer(m.Job.case_toml)).where(running, last_sign < cutoff)
            ).all()
            for job in silent:
                job.status, job.finished_at = "interrupted", m.utcnow()
                job.error = error.replace("{runner}", job.runner or "none")
            s.flush()
            return [_job_record(j, with_case=False) for j in silent]

    def cancel_job(self, job_id: int, by: str) -> JobRecord:
        """Cancel a queued or running job (whoever runs it stops it); ``ConflictError`` if it has
        already finished."""
        with self.transaction() as s:
            _lock_jobs(s)
            job = _job(s, job_id)
            if job.status not in m.JOB_PENDING:
                raise ConflictError(
                    f"job {job_id} has already finished ({job.status}): nothing to cancel"
                )
            job.status, job.error, job.finished_at = "cancelled", f"cancelled by {by}", m.utcnow()
            s.flush()
            return _job_record(job, with_case=False)

    def cancel_jobs_of(self, name: str, by: str) -> list[JobRecord]:
        """Cancel user ``name``'s queued and running jobs at once (a revoked user's: whoever
        runs one stops it), as ``cancel_job`` by ``by``; the jobs cancelled, oldest first."""
        with self.transaction() as s:
            _lock_jobs(s)
            jobs = s.scalars(
                select(m.Job)
                .where(m.Job.created_by == name, m.Job.status.in_(m.JOB_PENDING))
                .options(defer(m.Job.case_toml))
                .order_by(m.Job.id)
            ).all()
            for job in jobs:
                job.status, job.error = (
                    "cancelled",
                    f"cancelled by {by}: {name}'s token was revoked",
                )
                job.finished_at = m.utcnow()
            s.flush()
            return [_job_record(j, with_case=False) for j in jobs]

    # -- calibrations ----------------------------------------------------------------------
    def add_calibration(
        self,
        case: SimulatedCase,
        case_toml: str,
        fitted: SimulatedCase,
        fitted_toml: str,
        result: Mapping[str, Any],
        series: Sequence[tuple[str, bytes, str]],
        *,
        simulation: tuple[Mapping[str, Any], bytes]
        | tuple[Mapping[str, Any], bytes, bytes]
        | None = None,
        name: str | None = None,
        campaign: str | None = None,
        created_by: str | None = None,
    ) -> CalibrationRecord:
        """Record a calibration of ``case`` (file text ``case_toml``) giving ``fitted`` (as a
        case file: ``fitted_toml``):
        ``result`` is calibrate.json; ``series`` the measured files as (filename, bytes, probe),
        each linked to a stored measurement with the same sha256 if there is one; ``simulation``
        (summary.json, probes.csv bytes and, of a heat run, heat.csv bytes) of the fitted case is
        stored as a simulation and linked. The result's ``series``, if any, must be those of
        ``series`` (``paired_series``, as restore checks).
        One transaction: nothing is written if any part is refused."""
        if not (isinstance(case, SimulatedCase) and isinstance(fitted, SimulatedCase)):
            raise ValidationError("a calibration's case and fitted case must be Cases")
        params = result.get("parameters") if isinstance(result, Mapping) else None
        if not params or "misfit" not in result:
            raise ValidationError("a calibration's result needs its parameters and misfit")
        if not series:
            raise ValidationError("a calibration needs the measured series it was fitted to")
        check_who(created_by, "created_by")
        _check_case_text(case_toml)
        _check_case_text(fitted_toml)
        for filename, content, probe in series:
            if not isinstance(content, bytes | bytearray) or not content:
                raise ValidationError(f"calibration series {filename!r}: empty or not bytes")
            check_calibration_series(filename, probe)
        files = [{"filename": filename, "probe": probe} for filename, _, probe in series]
        if "series" in result and (disagree := paired_series(files, result["series"])[1]):
            raise ValidationError(  # as restore refuses it: a backup of it would not restore
                f"calibration: its result's series do not match its measured files: {disagree[0]}"
            )
        name = _check_record_name(name or fitted.title or "calibration", "calibration name")
        fit = ",".join(params)
        if len(fit) > 500:
            raise ValidationError(f"calibration: {len(params)} parameter names are too long")
        with self.transaction() as s:
            c = None if campaign is None else _campaign(s, campaign)
            sim = None
            if simulation is not None:
                sim = m.Simulation(
                    campaign_id=None if c is None else c.id, name=_fitted_name(name),
                    case=fitted.to_si_dict(), case_toml=fitted_toml, case_hash=fitted.key(),
                    summary=dict(simulation[0]), probes_csv=bytes(simulation[1]),
                    heat_csv=(bytes(simulation[2]) or None) if len(simulation) > 2 else None, status="done",
                    created_by=created_by,
                )  # fmt: skip
                s.add(sim)
                s.flush()
            x = m.Calibration(
                campaign_id=None if c is None else c.id, name=name, fit=fit, case_toml=case_toml,
                case_hash=case.key(), fitted_case_toml=fitted_toml, result=dict(result),
                fits=bool(result["misfit"].get("fits")), simulation_id=None if sim is None else sim.id,
                created_by=created_by,
            )  # fmt: skip
            s.add(x)
            s.flush()
            for i, (filename, content, probe) in enumerate(series):
                digest = hashlib.sha256(content).hexdigest()
                measured = s.scalars(
                    select(m.Measurement.id).where(m.Measurement.sha256 == digest).limit(1)
                ).first()
                s.add(m.CalibrationSeries(
                    calibration_id=x.id, position=i, filename=filename, probe=probe,
                    content=bytes(content), sha256=digest, measurement_id=measured,
                ))  # fmt: skip
            s.flush()
            s.refresh(x)
            return _calibration_record(x, campaign)

    def calibrations(
        self, campaign: str | None = None, *, limit: int | None = None, skip: int = 0
    ) -> list[CalibrationRecord]:
        """The stored calibrations, or those of ``campaign``, oldest first: all, or the newest
        ``limit`` after the ``skip`` newest (as :meth:`simulations`)."""
        with self._reader() as s:
            q = select(m.Calibration).order_by(m.Calibration.id.desc())
            if campaign is not None:
                q = q.where(m.Calibration.campaign_id == _campaign(s, campaign).id)
            names = dict(s.execute(select(m.Campaign.id, m.Campaign.name)).all())
            q = _paged(q, limit, skip)
            return [_calibration_record(x, names.get(x.campaign_id)) for x in s.scalars(q)][::-1]

    def calibration(self, calibration_id: int) -> CalibrationRecord:
        """One stored calibration."""
        with self._reader() as s:
            x = s.get(m.Calibration, calibration_id)
            if x is None:
                raise NotFoundError(f"no calibration with id {calibration_id}")
            campaign = None if x.campaign_id is None else s.get(m.Campaign, x.campaign_id).name
            return _calibration_record(x, campaign)

    def calibration_series(self, calibration_id: int, position: int) -> bytes:
        """The bytes of a calibration's measured series file ``position`` (0-based)."""
        with self._reader() as s:
            x = s.scalars(
                select(m.CalibrationSeries).where(
                    m.CalibrationSeries.calibration_id == calibration_id,
                    m.CalibrationSeries.position == position,
                )
            ).first()
            if x is None:
                raise NotFoundError(f"calibration {calibration_id} has no series {position}")
            return x.content

    # -- users (for the web API) -----------------------------------------------------------
    def add_user(
        self, name: str, role: str, token: str, *, expires_at: datetime | None = None
    ) -> UserRecord:
        """Create a user whose API ``token`` (valid until ``expires_at``, None: no expiry) is
        stored only as its SHA-256 hash. Its name is one a URL can carry (``check_new_name``),
        and not a taken one but for case or Unicode form (``_alike``: no "Alice" beside "alice",
        which every record and page would show alike)."""
        check_role(role)
        _no_spaces_around(check_new_name(name, "user name"), "user name")
        _one_alphabet(name)
        _check_token(token)
        with self.transaction() as s:
            _lock_names(s, USER_NAMES)
            _check_user_free(s, name, f"user {name!r} already exists")
            u = m.User(name=name, role=role, token_hash=_token_hash(token), expires_at=expires_at)
            s.add(u)
            s.flush()
            return _user_record(u)

    def user_by_token(self, token: str) -> UserRecord | None:
        """The user whose token this is, if it is neither revoked nor expired (None for one over
        ``MAX_TOKEN`` characters, unhashed and unlooked-up: no token is longer)."""
        if len(token) > MAX_TOKEN:
            return None
        with self._reader() as s:
            u = s.scalar(select(m.User).where(m.User.token_hash == _token_hash(token)))
            rec = None if u is None else _user_record(u)
            return rec if rec is not None and rec.active() else None

    def users(self, *, limit: int | None = None, skip: int = 0) -> list[UserRecord]:
        """Users (revoked and expired ones too) by name: all, or ``limit`` after the first
        ``skip``."""
        with self._reader() as s:
            q = _paged(select(m.User).order_by(m.User.name), limit, skip)
            return [_user_record(u) for u in s.scalars(q)]

    def revoke_user(self, name: str, *, keep_an_admin: bool = False) -> UserRecord:
        """Stop accepting ``name``'s token from now on and end their dashboard sessions (the user
        and their records stay); with ``keep_an_admin`` a ``ConflictError`` if they are the last
        active admin (the web's admins: none could manage users after it)."""
        with self.transaction() as s:
            _lock_names(s, USER_NAMES)  # two admins revoking each other: one after the other
            u = _user(s, name)
            if keep_an_admin:
                _keep_an_admin(s, u, f"user {name!r} cannot be revoked")
            u.revoked_at = u.revoked_at or m.utcnow()
            _end_sessions(s, u.id)
            return _user_record(u)

    def set_role(self, name: str, role: str) -> UserRecord:
        """Give user ``name`` the ``role`` (``check_role``); a ``ConflictError`` if they are the
        last active admin and ``role`` is not admin."""
        check_role(role)
        with self.transaction() as s:
            _lock_names(s, USER_NAMES)
            u = _user(s, name)
            if role != "admin":
                _keep_an_admin(s, u, f"user {name!r} cannot become a {role}")
            u.role = role
            s.flush()
            return _user_record(u)

    def pending_job_counts(self) -> dict[str, dict[str, int]]:
        """User name -> {"queued": n, "running": n} of their pending jobs (a user with none:
        absent), in one query."""
        with self._reader() as s:
            q = (
                select(m.Job.created_by, m.Job.status, func.count(m.Job.id))
                .where(m.Job.status.in_(m.JOB_PENDING))
                .group_by(m.Job.created_by, m.Job.status)
            )
            out: dict[str, dict[str, int]] = {}
            for name, status, n in s.execute(q):
                out.setdefault(name, dict.fromkeys(m.JOB_PENDING, 0))[status] = n
            return out

    def last_logins(self) -> dict[str, datetime]:
        """User name -> the start (UTC) of their newest stored dashboard session (one logged out,
        or purged once expired, is not kept: a user with none is absent)."""
        with self._reader() as s:
            q = (
                select(m.User.name, func.max(m.WebSession.created_at))
                .join(m.WebSession, m.WebSession.user_id == m.User.id)
                .group_by(m.User.name)
            )
            return {name: _aware(t) for name, t in s.execute(q)}

    def rotate_token(
        self, name: str, token: str, *, expires_at: datetime | None = None
    ) -> UserRecord:
        """Give ``name`` a new ``token`` (valid until ``expires_at``); the old one stops working,
        and a revoked user is active again. ``ValidationError`` if ``token`` is the one the
        user has: a token that may have leaked would keep working."""
        _check_token(token)
        with self.transaction() as s:
            u = _user(s, name)
            if u.token_hash == _token_hash(token):
                raise ValidationError(
                    f"user {u.name!r}: the new token is the one they have; give another "
                    "(the old one stops working)"
                )
            u.token_hash, u.expires_at, u.revoked_at = _token_hash(token), expires_at, None
            _end_sessions(s, u.id)  # logged in with the old token, which may have leaked
            return _user_record(u)

    # -- dashboard sessions ----------------------------------------------------------------
    def start_session(self, token: str) -> SessionRecord | None:
        """Log in with the API ``token``: a new session, until ``SESSION_LIFETIME`` from now or the
        token's expiry, whichever is first; None if the token is unknown, revoked or expired.
        Expired sessions of every user are deleted, and the user's beyond the newest
        ``MAX_SESSIONS``. On a store that cannot be written (a read-only dashboard) the
        sessions are kept in this process, by the same rules, and end with it. A token over
        ``MAX_TOKEN`` characters is None at once (no token is longer)."""
        if len(token) > MAX_TOKEN:
            return None
        now = m.utcnow()
        if not self.writable:
            return self._hold_session(token, now)
        with self.transaction() as s:
            u = s.scalar(  # the row locked: a user's logins one at a time, so the cap holds
                select(m.User).where(m.User.token_hash == _token_hash(token)).with_for_update()
            )
            user = None if u is None else _user_record(u)
            if user is None or not user.active(now):
                return None
            expired = (  # rows another login is purging are left to it: no lock waits, no deadlock
                select(m.WebSession.id)
                .where(m.WebSession.expires_at <= now)
                .with_for_update(skip_locked=True)
            )
            s.execute(delete(m.WebSession).where(m.WebSession.id.in_(expired.scalar_subquery())))
            session_id = secrets.token_urlsafe(32)
            expires_at = min(now + SESSION_LIFETIME, user.expires_at or now + SESSION_LIFETIME)
            s.add(
                m.WebSession(
                    id_hash=_token_hash(session_id),
                    user_id=u.id,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
            s.flush()
            kept = (
                select(m.WebSession.id)
                .where(m.WebSession.user_id == u.id)
                .order_by(m.WebSession.created_at.desc(), m.WebSession.id.desc())
                .limit(MAX_SESSIONS)
            )
            s.execute(
                delete(m.WebSession).where(
                    m.WebSession.user_id == u.id, m.WebSession.id.not_in(kept.scalar_subquery())
                )
            )
            return SessionRecord(session_id, user, expires_at)

    def user_by_session(self, session_id: str) -> UserRecord | None:
        """The user logged in with ``session_id``, if the session is neither ended nor expired
        and the user's token is still accepted."""
        now = m.utcnow()
        with self._held_lock:  # held while the store could not be written (kept once it can)
            held = self._held_sessions.get(_token_hash(session_id))
        if held is not None or not self.writable:
            if held is None or held[2] <= now:
                return None
            with self._reader() as s:  # the user read anew: revoked, rotated or expired?
                u = s.get(m.User, held[0])
                user = None if u is None or u.token_hash != held[3] else _user_record(u)
            return user if user is not None and user.active(now) else None
        with self._reader() as s:
            row = s.execute(
                select(m.User, m.WebSession.expires_at)
                .join(m.WebSession, m.WebSession.user_id == m.User.id)
                .where(m.WebSession.id_hash == _token_hash(session_id))
            ).first()
            if row is None or _aware(row[1]) <= now:
                return None
            user = _user_record(row[0])
            return user if user.active(now) else None

    def end_session(self, session_id: str) -> bool:
        """Log out: delete the session ``session_id``; whether there was one."""
        with self._held_lock:
            if self._held_sessions.pop(_token_hash(session_id), None) is not None:
                return True
        if not self.writable:
            return False
        with self.transaction() as s:
            gone = s.execute(
                delete(m.WebSession).where(m.WebSession.id_hash == _token_hash(session_id))
            )
            return gone.rowcount > 0

    def _hold_session(self, token: str, now: datetime) -> SessionRecord | None:
        """:meth:`start_session` on a store that cannot be written: the session kept here."""
        with self._reader() as s:
            u = s.scalar(select(m.User).where(m.User.token_hash == _token_hash(token)))
            user = None if u is None else _user_record(u)
        if u is None or user is None or not user.active(now):
            return None
        session_id = secrets.token_urlsafe(32)
        expires_at = min(now + SESSION_LIFETIME, user.expires_at or now + SESSION_LIFETIME)
        with self._held_lock:
            held = self._held_sessions
            for key in [k for k, (_, _, end, _) in held.items() if end <= now]:
                del held[key]
            held[_token_hash(session_id)] = (u.id, now, expires_at, u.token_hash)
            mine = [k for k, (uid, *_) in held.items() if uid == u.id]  # oldest first
            for key in mine[: max(0, len(mine) - MAX_SESSIONS)]:
                del held[key]
        return SessionRecord(session_id, user, expires_at)

    def session_count(self, name: str | None = None) -> int:
        """Stored sessions (expired ones not yet purged too) of user ``name``, or of everyone."""
        with self._reader() as s:
            q = select(func.count(m.WebSession.id))
            if name is not None:
                q = q.where(m.WebSession.user_id == _user(s, name).id)
            return s.scalar(q)


# -- helpers -----------------------------------------------------------------------------------
def _shown_url(url: str) -> str:
    """``url`` with its password hidden (``_masked`` if it is no URL SQLAlchemy reads), in the
    query too (``_query_masked``)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return _query_masked(_masked(url))
    if "@" in (parsed.host or ""):  # bob:p@ss@host: SQLAlchemy's host 'ss@host' ends the password
        return _query_masked(_masked(url))
    return _query_masked(parsed.render_as_string(hide_password=True))


def _query_masked(url: str) -> str:
    """``url`` with a password given in its query (``?password=...``, as libpq takes it) as
    ``***``: SQLAlchemy's hide_password hides only the one before the host, and an error printed
    ``postgresql://bob@host/lab?password=s3cret`` whole."""
    return re.sub(r"([?&](?:ssl)?pass(?:word|wd)=)[^&#]*", r"\1***", url, flags=re.IGNORECASE)


def _masked(url: str) -> str:
    """``url`` with whatever lies between ``USER:`` and the last ``@`` as ``***``; with an ``@``
    before the last one (``bob:p@ss@host``, ``b@b:pw@host``: where the user name or the password
    ends cannot be told) everything between ``://`` and the last ``@``. A user without a password
    (``bob@host``) is shown as it is."""
    m = re.match(r"([^:/@]*:/*)(.*)@", url, flags=re.DOTALL)
    if m is None:
        return url
    scheme, credentials = m.groups()
    if "@" in credentials:
        return f"{scheme}***{url[m.end() - 1 :]}"
    if ":" in credentials:
        return f"{scheme}{credentials.partition(':')[0]}:***{url[m.end() - 1 :]}"
    return url


def _into_wal(cur: sqlite3.Cursor) -> None:
    """``PRAGMA journal_mode=WAL``, retried for up to ``WAIT_S`` while another connection holds
    the file: the change takes an exclusive lock, and SQLite answers "database is locked" at
    once, without its busy handler (four processes opening a new store at once: one failed in
    about one round of 15, and CI went red on it)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _engine(url: str, read_only: bool = False) -> Engine:
    if url.startswith("sqlite"):
        if read_only:
            creator = _read_only_sqlite(make_url(url).database or "")
            engine = create_engine(url, creator=creator, json_serializer=_json_text)
        else:
            engine = create_engine(
                url, connect_args={"timeout": WAIT_S}, json_serializer=_json_text
            )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL lets readers run beside one writer
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
            cur = dbapi_conn.cursor()
            # the wait first: another process migrating a new file holds its lock, and reading
            # sqlite_master without it failed at once with 'database is locked'
            cur.execute(f"PRAGMA busy_timeout={WAIT_S * 1000}")
            if not read_only and not _foreign_sqlite(cur):
                _into_wal(cur)
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):  # writers take the write lock up front: no lock-upgrade deadlocks
            reads = read_only or conn.get_execution_options().get("fluxtrap_read_only", False)
            conn.exec_driver_sql("BEGIN" if reads else "BEGIN IMMEDIATE")

        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args=_server_limits(make_url(url)),
        json_serializer=_json_text,
    )


def _json_text(value: Any) -> str:
    """``value`` as the JSON text of a JSON column (as SQLAlchemy writes it). A NaN or an
    infinity (SQLite kept it, and the pages' JSON could not hold it; PostgreSQL refused it as
    "invalid input syntax for type json", naming nothing), or a text with a lone surrogate
    (stored escaped, then no page or terminal could show it) is a ValidationError saying where
    in ``value``; so is any other value JSON cannot write (nested too deep, inside itself, an
    integer of over 4300 digits)."""
    try:
        try:
            text = json.dumps(value, allow_nan=False)
        except ValueError as err:  # a NaN or an infinity (found below); a value inside itself,
            # an integer of over 4300 digits (had gone in as NULL)
            if not str(err).startswith("Out of range float"):
                raise ValidationError(
                    f"the store refused a value: {err}; nothing written"
                ) from None
            text = None
        if (text is None or "\\ud" in text) and (where := _unstorable(value)) is not None:
            raise ValidationError(f"the store refused a value: {where}; nothing written")
    except RecursionError:  # was a traceback, then another as SQLAlchemy showed the value
        raise ValidationError(
            "the store refused a value: tables nested too deep to write as JSON; nothing written"
        ) from None
    return text


def _unstorable(value: Any, path: str = "") -> str | None:
    """Where in the JSON ``value`` (``path``: where it is) what no JSON column keeps is: a NaN
    or an infinity, or a text (a key too) with a lone surrogate, U+D800 to U+DFFF; None if
    nowhere."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{path or 'it'} is {value}, not a finite number"
    if isinstance(value, str):
        if (bad := LONE_SURROGATE.search(value)) is None:
            return None
        return (
            f"{path or 'it'} {value[:40]!r} holds U+{ord(bad.group()):04X}, half of a UTF-16 pair"
        )
    if isinstance(value, Mapping):
        for k, v in value.items():
            where = f"{path}[{str(k)[:40]!r}]"
            if (found := _unstorable(k, f"{where}: its key") or _unstorable(v, where)) is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            if (found := _unstorable(v, f"{path}[{i}]")) is not None:
                return found
    return None


def _foreign_sqlite(cursor: Any) -> bool:
    """Whether the SQLite file open on ``cursor`` has tables but no fluxtrap schema (another
    program's: left in its journal mode, and refused by ``Store._revisions``)."""
    cursor.execute(
        "SELECT count(*), count(*) FILTER (WHERE name = 'alembic_version') FROM sqlite_master "
        "WHERE type = 'table'"
    )
    tables, ours = cursor.fetchone()
    return tables > 0 and ours == 0


def _sqlite_file_problem(url: str, read_only: bool) -> str | None:
    """Why the SQLite file of ``url`` cannot be opened (``read_only`` or for writing), found
    before any connection, or None: SQLite says "unable to open database file" of a folder, a
    missing folder or file, and (Store(url, migrate=False): at the first write) of a file in a
    folder this user cannot write, where it makes its journal."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.query.get("uri"):  # sqlite:///file:NAME?mode=...&uri=true: SQLite reads the name
        return None
    path = Path(parsed.database)
    folder = path.resolve().parent
    if path.is_dir():
        return f": {path} is a folder, not a store's file (name a file in it, e.g. {path}/lab.db)"
    if path.exists() and not path.is_file():  # a FIFO, /dev/zero: "disk I/O error"
        return f": {path} is not a regular file (a FIFO or a device), not a store's file"
    if not folder.is_dir():
        return f": its folder {folder} does not exist (a new store's file is made, not its folders)"
    if read_only and not path.exists():
        return ": no such file (a store opened read-only is not made)"
    if not read_only and not os.access(folder, os.W_OK):
        return (
            f" for writing: its folder {folder} cannot be written by this user, and SQLite makes "
            "its journal (-wal, -shm) there for every write; nothing was written: open it "
            "read_only to read it, or move it to a folder this user can write"
        )
    return None


def _write_denied(engine: Engine) -> list[str]:
    """The privileges fluxtrap's writes need that the PostgreSQL role of ``engine`` lacks
    ("INSERT on samples", "USAGE of samples_id_seq"): none for a role that may write."""
    tables = sorted(m.Base.metadata.tables)  # those the store has (migrate=False: maybe fewer)
    query = text(
        "WITH x AS (SELECT t FROM unnest(CAST(:tables AS text[])) AS t "
        "WHERE to_regclass(t) IS NOT NULL) "
        "SELECT p || ' on ' || t FROM x, unnest(ARRAY['INSERT', 'UPDATE', 'DELETE']) AS p "
        "WHERE NOT has_table_privilege(t, p) "
        "UNION ALL SELECT 'USAGE of ' || q FROM x, pg_get_serial_sequence(t, 'id') AS q "
        "WHERE q IS NOT NULL AND NOT has_sequence_privilege(q, 'USAGE')"
    )
    with engine.connect() as connection:
        return list(connection.scalars(query, {"tables": tables}))


def _read_only_sqlite(path: str) -> Callable[[], sqlite3.Connection]:
    """A connector to the SQLite file ``path`` that never writes (URI ``mode=ro``). A WAL store
    in a folder that cannot be written (a read-only share) has no ``-shm`` file to share its
    index through and cannot make one, so ``mode=ro`` cannot open it: it is then opened
    ``immutable=1`` (SQLite takes no locks and assumes nobody changes it meanwhile), unless a
    ``-wal`` beside it holds changes that would then be missed."""
    uri = "file:" + quote(str(Path(path).resolve()))

    def connect() -> sqlite3.Connection:
        conn = None
        try:
            conn = sqlite3.connect(
                f"{uri}?mode=ro", uri=True, timeout=WAIT_S, check_same_thread=False
            )
            conn.execute("PRAGMA schema_version")  # the -shm is opened (or made) here
            return conn
        except sqlite3.OperationalError:
            if conn is not None:
                conn.close()
            wal = Path(f"{path}-wal")
            if wal.exists() and wal.stat().st_size > 0:  # immutable would read past its changes
                raise sqlite3.OperationalError(
                    f"{wal} holds changes not yet in the store's file, and no -shm can be made "
                    "beside it to read them (a read-only folder): have it opened once with "
                    "write access, which folds them in"
                ) from None
        return sqlite3.connect(
            f"{uri}?mode=ro&immutable=1", uri=True, timeout=WAIT_S, check_same_thread=False
        )

    return connect


def _server_limits(url: URL) -> dict[str, Any]:
    """libpq's bounds on a PostgreSQL connection, unless the URL sets its own: ``connect_timeout``
    (a server that accepts and never answers took psycopg's 130 s) and ``lock_timeout`` (a
    writer waited for ever behind one stopped mid-write, Ctrl-Z, holding the name lock; SQLite
    waits ``WAIT_S`` too)."""
    if url.get_backend_name() != "postgresql" or url.get_driver_name() not in PSYCOPG:
        return {}
    args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        args["connect_timeout"] = CONNECT_S
    if "options" not in url.query:
        args["options"] = f"-c lock_timeout={WAIT_S * 1000}"
    return args


def _paged(q: Any, limit: int | None, skip: int) -> Any:
    """``q`` from its ``skip``-th row, at most ``limit`` rows (None: all): a negative count was
    every row on SQLite (its LIMIT -1) and a DataError on PostgreSQL."""
    if (limit is not None and limit < 0) or skip < 0:
        raise ValidationError(f"limit {limit} and skip {skip}: give counts >= 0 (limit None: all)")
    return q.offset(skip).limit(limit)


def _chunks(ids: Collection[int], size: int = 1000) -> Iterator[list[int]]:
    """``ids`` sorted, without repeats, in lists of at most ``size``: an IN (...) of each binds
    that many values (SQLite binds at most 32 766 at once)."""
    unique = sorted(set(ids))
    for at in range(0, len(unique), size):
        yield unique[at : at + size]


def _check_token(token: Any) -> None:
    """A new API token: text of at least ``MIN_TOKEN`` characters, no spaces at its ends (the
    login page and the Authorization header strip them: such a token never matched). Add_user
    took "a" (one guess away over the web, its unsalted hash reversed at once); the message
    never shows the token. Its characters are printable ASCII: an HTTP header carries no other
    (a "café-..." token sent by curl arrived Latin-1 decoded and never matched; httpx refused to
    send it), so the API could never take it. At most ``MAX_TOKEN`` characters: the API refuses
    a longer one unread."""
    text = isinstance(token, str)
    if text and (bad := next((c for c in token if not " " <= c <= "~"), None)):
        raise ValidationError(
            f"a token is printable ASCII text, as an HTTP header carries it (got U+{ord(bad):04X} "
            f"at character {token.index(bad) + 1}); `fluxtrap user add` makes a random one of 32"
        )
    if text and len(token) > MAX_TOKEN:
        raise ValidationError(
            f"a token is at most {MAX_TOKEN} characters (got {len(token)}); `fluxtrap user add` "
            "makes a random one of 32"
        )
    if not text or len(token) < MIN_TOKEN or token != token.strip():
        got = f"{len(token)} characters" if text else type(token).__name__
        if text and token != token.strip():
            got += ", spaces at an end"
        raise ValidationError(
            f"a token is text of at least {MIN_TOKEN} characters without spaces at its ends "
            f"(got {got}): a short one is guessed; `fluxtrap user add` makes a random one of 32"
        )


def _too_large(err: OverflowError) -> Exception:
    """SQLite's driver's OverflowError on an integer beyond 64 bits (an id of 2**70 through the
    Python API: a traceback) as a ``ValidationError``; any other one as it is."""
    if "SQLite INTEGER" not in str(err):
        return err
    return ValidationError(f"the store refused a value: {err} (ids and counts fit in 64 bits)")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _end_sessions(s: Session, user_id: int) -> None:
    """Delete every dashboard session of the user ``user_id``."""
    s.execute(delete(m.WebSession).where(m.WebSession.user_id == user_id))


def _below_0_K(where: str, temperature_K: float) -> str:
    """The message for a measurement temperature below 0 K (-5 was stored as -5 K), which the
    file readers refuse too (magnetometry.table.check_values)."""
    return (
        f"{where}: temperature_K {temperature_K:g} is below absolute zero: give it in kelvin "
        "(None: not known)"
    )


def _aware(t: datetime) -> datetime:
    """``t`` with its zone (SQLite hands back UTC times without one)."""
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _lock_jobs(s: Session) -> None:
    """Serialise the job queue's write transactions (SQLite's BEGIN IMMEDIATE already does)."""
    if s.bind.dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": JOBS_LOCK})


def _lock_names(s: Session, campaign_id: int = 0) -> None:
    """Serialise the transactions that check new names against the taken ones and insert them:
    sample labels of campaign ``campaign_id``, campaign names (0) or user names (``USER_NAMES``),
    compared by ``_alike``,
    which no unique index can hold. On PostgreSQL a transaction-scoped advisory lock (it waits
    for nothing else: not for a campaign locked by a running suggest); SQLite's BEGIN IMMEDIATE
    already serialises every writer."""
    if s.bind.dialect.name == "postgresql":
        s.execute(
            text(
                "SELECT pg_advisory_xact_lock(CAST(:names AS integer), CAST(:campaign AS integer))"
            ),
            {"names": NAMES_LOCK, "campaign": campaign_id},
        )


def _job(s: Session, job_id: int) -> m.Job:
    job = s.get(m.Job, job_id)
    if job is None:
        raise NotFoundError(f"no job with id {job_id}")
    return job


def _job_record(j: m.Job, with_case: bool) -> JobRecord:
    def aware(t: datetime | None) -> datetime | None:
        return None if t is None else _aware(t)

    return JobRecord(
        id=j.id, title=j.title, status=j.status, created_by=j.created_by,
        created_at=_aware(j.created_at), started_at=aware(j.started_at),
        finished_at=aware(j.finished_at), runner=j.runner,
        heartbeat_at=aware(j.heartbeat_at), error=j.error,
        simulation_id=j.simulation_id, case_toml=j.case_toml if with_case else "",
    )  # fmt: skip


def _check_user_free(s: Session, name: str, taken: str) -> None:
    """Refuse the new user name ``name`` (``taken``: the refusal's start) if a stored user's name
    is ``_alike`` it; the caller holds ``_lock_names(s, USER_NAMES)``. Names stored before
    this check (a store may hold "alice" and "Alice") stay as they are."""
    key = _alike(name)
    for other in s.scalars(select(m.User.name)):  # tens in a lab
        if _alike(other) == key:
            raise ConflictError(f"{taken}{_taken_as(other, name)}")


def _keep_an_admin(s: Session, u: m.User, refused: str) -> None:
    """A ``ConflictError`` (starting ``refused``) if ``u`` is the last active admin; the caller
    holds ``_lock_names(s, USER_NAMES)``."""
    if u.role != "admin" or not _user_record(u).active():
        return
    others = s.scalars(select(m.User).where(m.User.role == "admin", m.User.id != u.id))
    if not any(_user_record(x).active() for x in others):  # tens in a lab
        raise ConflictError(
            f"{refused}: they are the only active admin, and no one could manage the users "
            "after it; make another user an admin first"
        )


def _user(s: Session, name: str) -> m.User:
    u = s.scalar(select(m.User).where(m.User.name == name))
    if u is None:
        raise NotFoundError(f"no user named {_asked(name)}")
    return u


def _user_record(u: m.User) -> UserRecord:
    return UserRecord(
        u.id,
        u.name,
        u.role,
        u.created_at,
        None if u.expires_at is None else _aware(u.expires_at),
        None if u.revoked_at is None else _aware(u.revoked_at),
    )


def _integrity_error(err: IntegrityError) -> FluxtrapError:
    """What the database refused: a label another writer took first is a ``ConflictError``,
    as a label already taken is; so is a token another user has (``add_user``,
    ``rotate_token``), naming neither that user nor the token's hash."""
    text = str(err.orig)
    if "token_hash" in text:  # SQLite's "users.token_hash", PostgreSQL's "users_token_hash_key"
        return ConflictError(
            "the store refused the token: another user has it; give each user their own "
            "(`fluxtrap user add` and `user rotate` make a random one)"
        )
    if "uq_sample_label" in text or "samples.campaign_id, samples.label" in text:
        return ConflictError(
            "the store refused the write: a sample label is already used in the campaign "
            "(another writer was first)"
        )
    return ValidationError(f"the store refused the write: {text}")


def _row_where(rows: Sequence[Mapping[str, Any]], i: int) -> str:
    label = rows[i].get("label", "?")
    if isinstance(label, str) and len(label) > 40:  # a 100 000-character label: one line of it
        label = label[:40] + "..."
    at = rows[i].get("where") or ("" if len(rows) == 1 else f"row {i + 1}")
    return f"{at} (sample {label!r})" if at else f"sample {label!r}"


def _new_sample(
    s: Session,
    c: m.Campaign,
    spec: CampaignSpec,
    row: Mapping[str, Any],
    taken: dict[str, str],
    where: str,
    earlier: dict[str, str],
) -> m.Sample:
    label = row.get("label", "")
    if not isinstance(label, str):  # None was stored as the label 'None'
        raise ValidationError(f"{where}: label {str(label)[:40]!r} is not a text")
    label = check_new_name(label.strip(), f"{where}: label")
    if not isinstance(row.get("params", {}), Mapping):  # a list or None: a TypeError
        raise ValidationError(
            f"{where}: params {str(row.get('params'))[:40]!r} is not a mapping of parameter "
            "names to values"
        )
    if _alike(label) in earlier:  # twice in one import: the campaign does not have it yet
        raise ValidationError(
            f"{where}: label {label!r} is given twice, first at {earlier[_alike(label)]}; "
            "each sample needs its own label"
        )
    if _alike(label) in taken:
        alike = _taken_as(taken[_alike(label)], label)
        raise ConflictError(
            f"{where}: label {label!r} is already used{alike} in campaign {c.name!r}"
        )
    taken[_alike(label)] = label
    earlier[_alike(label)] = where
    check_who(row.get("recorded_by"), f"{where}: recorded_by")
    origin = row.get("origin")
    if origin is None:  # not said: who chose the conditions follows from the suggestion
        origin = "researcher" if row.get("suggestion_id") is None else "optimizer"
    if origin not in m.ORIGINS:
        raise _not_one_of(f"{where}: origin", origin, m.ORIGINS)
    status = row.get("status") or "made"
    _check_sample_status(status, f"{where}: status")
    params = spec.check_params(row.get("params", {}), where=where, outside=True)
    breaks = spec.outside(row.get("params", {}))
    if breaks and not row.get("outside_space"):
        raise ValidationError(
            f"{where}: {breaks[0]}; a sample made there already is recorded with --outside-space "
            "(outside_space in the web API)"
        )
    values, written = spec.split_errors(row.get("objectives") or {}, where)  # "37.2 ± 0.3 K"
    objectives = spec.check_objectives(values, where=where)
    errors = _check_errors(
        {**written, **(row.get("objective_errors") or {})}, objectives, where, spec
    )
    if status == "failed" and (held := [k for k, v in objectives.items() if v is not None]):
        raise ValidationError(
            f"{where}: status failed with values of {', '.join(held)}: a measured sample is not "
            "failed (failed: it will never be measured); give it status made, or no values"
        )
    suggestion_id = row.get("suggestion_id")
    if suggestion_id is not None:
        sug = _suggestion(s, int(suggestion_id), for_update=True)
        if sug.campaign_id != c.id:
            raise ValidationError(
                f"{where}: suggestion {suggestion_id} belongs to another campaign"
            )
        if sug.status != "open":  # which sample used it: two users realising one suggestion
            by = s.scalars(
                select(m.Sample.label).where(m.Sample.suggestion_id == sug.id).limit(1)
            ).first()
            made = f" (sample {by[:MAX_NAME]!r} was made from it)" if by is not None else ""
            raise ValidationError(
                f"{where}: suggestion {suggestion_id} is {sug.status}, not open{made}"
            )
        _change_status(sug, "used", row.get("recorded_by"))
    return m.Sample(
        campaign=c,
        label=label,
        params=params,
        objectives=objectives,
        objective_errors=errors,
        objective_set_by=_set_by({}, objectives, row.get("recorded_by")),
        origin=origin,
        suggestion_id=suggestion_id,
        recorded_by=row.get("recorded_by"),
        notes=_no_nul(
            check_note(row.get("notes") or "", f"{where}: notes", MAX_NOTES), f"{where}: notes"
        ),
        status=status,
        status_note=_note(row.get("status_note"), where),  # made: why it was undone
    )


def _refuse_bare_jc(spec: CampaignSpec, values: Mapping[str, Any], where: str) -> None:
    """A ValidationError for a Jc objective given as a bare number below 100 A/cm^2
    (``CampaignSpec.bare_jc``): A/cm^2 typed as A/m^2 (2e4 stored as 2 A/cm^2), as ``fluxtrap
    import`` refuses such a column. With its unit it is taken."""
    if found := spec.bare_jc(values):
        name, given, value = found
        raise ValidationError(
            f"{where}: objective {name} = {given} is read in A/m^2 (a bare number), "
            f"{value / 1e4:.3g} A/cm^2, below any bulk's Jc: give it with its unit, "
            f'"{given} A/cm^2" if it is in A/cm^2 (or "{given} A/m^2")'
        )


def _check_errors(
    errors: Mapping[str, Any],
    values: Mapping[str, float],
    where: str,
    spec: CampaignSpec | None = None,
) -> dict[str, float]:
    """``errors`` (objective -> 1-sigma in its stored unit: a number or plain decimal text, an
    imported CSV's) as stored: each of a value set with it, a finite number >= 0 and, given the
    campaign ``spec``, one that can be a measurement's error (``ObjectiveDef.check_error``)
    (ValidationError naming it). Without ``spec``: errors an analysis computed (a noisy loop
    of a Jc ~ 0 may say 2000 A/cm^2) and a restored archive's (what a store held is kept)."""
    out = {}
    for name, err in errors.items():
        if name not in values:
            raise ValidationError(f"{where}: an error for {name!r}, which is not set with it")
        v = number(err)
        if v is None or not 0 <= v < math.inf:
            raise ValidationError(
                f"{where}: the error of {name} must be a finite number >= 0, got {str(err)[:40]!r}"
            )
        if spec is not None:
            spec.objective(name).check_error(values[name], v, where)
        out[name] = v
    return out


def _set_by(
    set_by: Mapping[str, Any] | None, names: Collection[str], who: str | None
) -> dict[str, Any]:
    """``set_by`` with ``names`` set anew by ``who`` (None: by nobody named)."""
    kept = _without(set_by, names)
    return kept | dict.fromkeys(names, who) if who else kept


def _estimate(o: ObjectiveDef, value: float, err: float | None) -> str:
    """An objective's stored ``value`` (and 1-sigma ``err`` where known) as people read it, with
    its unit: "24,995.2 ± 5.5 A/cm²"."""
    shown = estimate_text(o.shown(value), o.shown(err)) if err else f"{o.shown(value):.5g}"
    return f"{shown} {o.shown_unit}".rstrip()


def _without(table: Mapping[str, Any] | None, names: Collection[str]) -> dict[str, Any]:
    """``table`` (objective -> error, or -> who set it) less the entries of ``names``: values
    set anew."""
    return {k: v for k, v in (table or {}).items() if k not in names}


def _taken_as(other: str, new: str) -> str:
    """How a refusal names the label or name ``other`` that ``new`` is ``_alike``: "" if equal."""
    return (
        ""
        if other == new
        else f" as {other!r} (the same text in another Unicode form, case or spacing)"
    )


def _no_spaces_around(name: str, what: str) -> None:
    """A new campaign or user name with spaces around it is refused (a label has them taken off):
    " lead" was listed as "lead", which `campaign show lead` did not find."""
    if name != name.strip():
        raise ValidationError(f"{what} {name[:40]!r}: spaces around it; give it without them")


def _alike(label: str) -> str:
    """A new label (or campaign name) as compared with the others: NFKC and case-folded, so "b1"
    beside "B1", a full-width "Ｂ１", "a" + no-break space + "b" or "é" typed as e + U+0301 is
    the one already there (one sample typed twice: two rows that read alike on every page);
    spaces around it or doubled inside count as one or none ("lead " and " lead" were campaigns
    beside "lead", each listed as "lead")."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", label).casefold())
    return " ".join(text.split())


def _campaign(s: Session, name: str) -> m.Campaign:
    if not isinstance(name, str):  # a TypeError from the lookup's message
        raise ValidationError(f"campaign {str(name)[:40]!r}: a campaign is named by a text")
    c = s.scalar(select(m.Campaign).where(m.Campaign.name == name))
    if c is None:
        names = list(s.scalars(select(m.Campaign.name).order_by(m.Campaign.id)))
        if name in names:  # listed, yet the lookup by name found nothing: "no campaign named
            # 'X' (known: 'X')" from a store whose name index was damaged
            raise _damaged(s, f"campaign {name!r}")
        known = f"known: {', '.join(repr(n) for n in names) or 'none'}"
        if len(names) > MAX_KNOWN:  # 2000 campaigns' names made each 404 1.2 MB
            close = near(name[:MAX_NAME], names)
            known = f"{len(names)} campaigns{f'; did you mean {close!r}?' if close else ''}"
        raise NotFoundError(f"no campaign named {_asked(name)} ({known})")
    return c


def _check_case_text(case_toml: Any) -> None:
    """A case file's text to store: a string without bidi overrides or control characters, NUL
    included (SQLite kept it, PostgreSQL refused it)."""
    if not isinstance(case_toml, str):
        raise ValidationError(f"case_toml must be text, got {type(case_toml).__name__}")
    refuse_reordering(case_toml, "case", "the case")
    _no_nul(case_toml, "case")


def _check_record_name(name: str, what: str) -> str:
    """A simulation's or calibration's name or a job's title (``what``), stripped: at most 200
    characters, without control or invisible characters (line breaks and tabs allowed, as in a
    case title)."""
    name = name.strip()
    if len(name) > 200:
        raise ValidationError(f"{what} is {len(name)} characters long (at most 200)")
    if hidden := hidden_characters(name.replace("\n", "").replace("\t", "")):
        raise ValidationError(  # as a case title's (Case's title check)
            f"{what} {name[:40]!r}: no control or invisible characters (found {hidden})"
        )
    return name


def _fitted_name(name: str) -> str:
    """The name of a calibration's fitted simulation: ``name`` and " (fitted)", at most 200
    characters: a longer ``name`` is cut to fit and marked "…" (the suffix had been cut)."""
    suffix = " (fitted)"
    room = 200 - len(suffix)
    return (name if len(name) <= room else name[: room - 1] + "…") + suffix


def _asked(name: str) -> str:
    """A name that was asked for and not found, quoted: at most ``MAX_NAME`` characters of it
    (no longer one is stored; a 60 000-character URL segment came back whole in its 404)."""
    more = f"... ({len(name)} characters)" if len(name) > MAX_NAME else ""
    return f"{name[:MAX_NAME]!r}{more}"


def _spec(c: m.Campaign) -> CampaignSpec:
    """A stored campaign's definition (checked as when it was created: see ``from_dict``)."""
    return CampaignSpec.from_dict(c.spec, f"stored campaign {c.name!r}", stored=True)


def _sample(s: Session, c: m.Campaign, label: str, *, for_update: bool = False) -> m.Sample:
    """The sample; ``for_update`` locks its row (PostgreSQL) for a read-modify-write of its
    objectives, so two writers merging at once do not lose one's values, and reads it anew
    (populate_existing: a row this session read before the lock would keep its old values)."""
    q = select(m.Sample).where(m.Sample.campaign_id == c.id, m.Sample.label == label)
    if for_update:
        q = q.with_for_update().execution_options(populate_existing=True)
    x = s.scalar(q)
    if x is None:
        # the table itself, not an index: + 0 and a column no index covers (SCAN samples)
        scan = select(m.Sample.label, m.Sample.origin).where(m.Sample.campaign_id + 0 == c.id)
        labels = {row.label for row in s.execute(scan)}
        if label in labels:
            raise _damaged(s, f"sample {label!r} of campaign {c.name!r}")
        # the same text in another Unicode form ("Å" as A + U+030A, pasted from a macOS file
        # name) is the stored label: every page shows them alike, yet it was "no sample"
        nfc = unicodedata.normalize("NFC", label)
        same = [x for x in labels if unicodedata.normalize("NFC", x) == nfc]
        if len(same) == 1 and len(label) <= MAX_NAME:
            return _sample(s, c, same[0], for_update=for_update)
        alike = [x for x in labels if _alike(x) == _alike(label)][:1]
        raise NotFoundError(
            f"campaign {c.name!r} has no sample labelled {_asked(label)}"
            + (f"; it has {alike[0]!r} (another case or spacing)" if alike else "")
        )
    return x


def _damaged(s: Session, what: str) -> StoreError:
    """The error for a row that a scan of its table lists but the lookup by its name (an index)
    does not find: the database file is damaged, which SQLite does not notice on such a read."""
    return StoreError(
        f"{what} is in the store {s.bind.url.render_as_string(hide_password=True)!r} but the lookup by its name does "
        "not find it: the database is damaged (sqlite3 FILE 'PRAGMA integrity_check' says "
        "where); restore it from a backup or rebuild its indexes (REINDEX)"
    )


def _suggestion(s: Session, suggestion_id: int, *, for_update: bool = False) -> m.Suggestion:
    """The suggestion; ``for_update`` locks its row (PostgreSQL ``SELECT ... FOR UPDATE``) so two
    writers claiming it at once are served one after the other and the second sees it used."""
    x = s.get(m.Suggestion, suggestion_id, with_for_update=for_update or None)
    if x is None:
        last = s.scalar(select(func.max(m.Suggestion.id)))
        so_far = "none has been made yet" if last is None else f"ids so far run to {last}"
        raise NotFoundError(
            f"no suggestion with id {suggestion_id} ({so_far}; a campaign's suggestion list "
            "shows its own)"
        )
    return x


def _campaign_name(s: Session, x: m.Suggestion) -> str:
    return s.get(m.Campaign, x.campaign_id).name


def check_filename(filename: str) -> str:
    """A measurement file's name as stored: 1 to 255 characters without control or invisible
    characters (``hidden_characters``; a ValidationError quoting it escaped otherwise)."""
    hidden = hidden_characters(filename)
    if not 1 <= len(filename) <= 255 or hidden:
        raise ValidationError(
            f"measurement file name {filename[:40]!r}: use 1 to 255 characters without "
            f"control or invisible characters (got {len(filename)}{', ' + hidden if hidden else ''})"
        )
    return filename


def check_calibration_series(filename: str, probe: str) -> None:
    """A calibration's measured file name (at most 500 characters) and its probe's name (200),
    without control or invisible characters (``hidden_characters``, as a simulation's name)."""
    if len(filename) > 500 or len(probe) > 200:
        raise ValidationError(f"calibration series {filename[:80]!r}: name too long")
    for value, what in ((filename, "file name"), (probe, "probe")):
        if hidden := hidden_characters(value):  # a NUL, an ESC, a U+202E
            raise ValidationError(
                f"calibration series {filename[:80]!r}: {what} {value[:80]!r}: no control or "
                f"invisible characters (found {hidden})"
            )


def _refuse_failing_measured(x: m.Sample, spec: CampaignSpec, where: str) -> None:
    """A ValidationError if sample ``x`` has objective values: failed means it will never be
    measured, and its values are the model's data (a measured sample marked failed was left out
    of the model and still listed with its values)."""
    held = [o for o in spec.objectives if x.objectives.get(o.name) is not None]
    if held:
        stored = ", ".join(
            f"{o.name} = {o.shown(x.objectives[o.name]):.5g} {o.shown_unit}".rstrip() for o in held
        )
        raise ValidationError(
            f"{where} has {stored}: a measured sample is not marked failed (failed: it will "
            "never be measured); nothing changed"
        )


def _sample_status_said(x: m.Sample, sug: m.Suggestion | None) -> str:
    """What the store knows of how sample ``x`` came by its status, for a 409: its note, and who
    set it when: the sample's own record (store revision 0013 on), else, for a change made
    before, the suggestion it realises (its status follows the sample's: used / failed), each
    followed by "; "; "" if none of these is stored."""
    said = []
    if x.status_note:
        said.append(f"note {_short_note(x.status_note)!r}")
    by, when = x.status_changed_by, x.status_changed_at
    if by is None and when is None and sug is not None and sug.status in ("used", "failed"):
        by, when = sug.status_changed_by, sug.status_changed_at
    if by or when:
        at = f" at {_aware(when).astimezone(UTC):%Y-%m-%d %H:%M} UTC" if when else ""
        said.append(f"set by {by}{at}" if by else f"set{at} by someone unnamed")
    return "".join(f"{x}; " for x in said)


def _change_sample_status(
    x: m.Sample, status: str, by: str | None, at: datetime | None = None
) -> None:
    """Set sample ``x``'s status, who changed it and when (``at``: the time its suggestion's
    status was changed in the same change; None: now); the status it has already: unchanged (who
    changed it and when are kept, as ``_change_status`` keeps a suggestion's)."""
    if x.status == status:
        return
    x.status = status
    x.status_changed_by = by
    x.status_changed_at = at or m.utcnow()


def _short_note(note: str, most: int = 80) -> str:
    return note if len(note) <= most else note[: most - 1] + "…"


def _change_status(x: m.Suggestion, status: str, by: str | None, note: str | None = None) -> None:
    """Set ``x``'s status, who changed it, when and why; the status it has already: unchanged
    (an open -> open re-mark had overwritten who changed it and when)."""
    if x.status == status:
        return
    x.status = status
    x.status_changed_by = by
    x.status_changed_at = m.utcnow()
    x.status_note = _note(note)


def _note(note: str | None, where: str = "") -> str | None:
    if note is None or not note.strip():
        return None
    at = f"{where}: " if where else ""
    check_note(note, f"{at}status note", MAX_STATUS_NOTE)
    return _no_nul(note.strip(), f"{at}status note")


def _no_nul(text: str, what: str) -> str:
    """``text`` if it holds no NUL character (PostgreSQL's text refuses it, SQLite kept it)."""
    if "\x00" in text:
        raise ValidationError(f"{what}: holds a NUL character (at {text.index(chr(0))})")
    return text


def check_metadata(meta: Any, where: str, stored: bool = False) -> dict[str, Any]:
    """A measurement's metadata as stored: a JSON object with text keys, at most
    ``MAX_METADATA`` bytes as JSON (``MAX_STORED_METADATA`` if ``stored``: from an archive), its
    ``skipped_lines`` (if given) a list of line numbers, ``skipped_rows`` their count (at least as
    many), its ``tc_not_found`` and ``read_notes`` lists of texts and ``read_notes_count`` the
    notes' count (the pages read them); ``where`` names it in the error."""
    if not isinstance(meta, Mapping) or not all(isinstance(k, str) for k in meta):
        raise ValidationError(f"{where}: metadata is not a table of named values")
    _check_texts(meta.get("tc_not_found", []), f"{where}: metadata tc_not_found")
    notes = meta.get("read_notes", [])
    _check_texts(notes, f"{where}: metadata read_notes")
    _check_count(meta, "read_notes_count", len(notes), "notes", where)
    lines = meta.get("skipped_lines", ())
    if not isinstance(lines, list | tuple) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in lines
    ):
        raise ValidationError(f"{where}: metadata skipped_lines is not a list of line numbers")
    _check_count(meta, "skipped_rows", len(lines), "lines", where)
    try:
        size = len(json.dumps(meta).encode())
    except (TypeError, ValueError, RecursionError) as err:
        raise ValidationError(f"{where}: metadata is not JSON ({err})") from None
    limit = MAX_STORED_METADATA if stored else MAX_METADATA
    if size > limit:
        raise ValidationError(f"{where}: metadata is {size} bytes as JSON, at most {limit}")
    return dict(meta)


MAX_TOKEN_LIFE_S = 100 * 365.25 * 86400  # a token's longest life, s
LOOK_ALIKE = ("LATIN", "GREEK", "CYRILLIC")  # scripts a user name may not mix


def token_expiry(text: str | None, where: str) -> datetime | None:
    """When a token given now for ``text`` ("90 d", "12 h"; None: never) expires (UTC); a
    ``ValidationError`` naming ``where`` (the option or field) unless over 0 and at most 100
    years (``fluxtrap user add|rotate --expires`` and ``POST /api/users``)."""
    if text is None:
        return None
    seconds = parse(text, "time", where)
    if not 0 < seconds <= MAX_TOKEN_LIFE_S:
        raise ValidationError(f"{where}: {text!r} must be > 0 and at most 100 years")
    return datetime.now(UTC) + timedelta(seconds=seconds)


def _one_alphabet(name: str) -> None:
    """A ``ValidationError`` if ``name``'s letters come from more than one of the Latin, Greek
    and Cyrillic scripts: "аdmin" with a Cyrillic а reads as "admin" on every page."""
    found = {
        script
        for c in unicodedata.normalize("NFKC", name)
        if c.isalpha() and (script := unicodedata.name(c, "").partition(" ")[0]) in LOOK_ALIKE
    }
    if len(found) > 1:
        raise ValidationError(
            f"user name {name[:40]!r} mixes {' and '.join(sorted(found)).lower()} letters, which "
            "look alike: write it in one alphabet"
        )


def check_role(role: str) -> None:
    """A ``ValidationError`` naming the near miss if ``role`` is not a user role ("--role
    wrtier" was refused without it)."""
    if role not in m.ROLES:
        raise _not_one_of("role", role, m.ROLES)


def _not_one_of(what: str, value: Any, options: Sequence[str]) -> ValidationError:
    """``value`` (at most MAX_NAME characters of it) is not one of ``options``, with the near
    miss: "sample status faild", "--origin reseacher" and "--status opne" were refused without."""
    shown = str(value)[:MAX_NAME]
    close = near(shown, options)
    hint = f" (did you mean {close!r}?)" if close else ""
    return ValidationError(f"{what} {shown!r} is not one of {', '.join(options)}{hint}")


def _check_sample_status(status: str, what: str) -> None:
    if status not in m.SAMPLE_STATUSES:
        raise _not_one_of(what, status, m.SAMPLE_STATUSES)


def _check_status(status: str) -> None:
    if status not in m.SUGGESTION_STATUSES:
        raise _not_one_of("suggestion status", status, m.SUGGESTION_STATUSES)


def _check_count(meta: Mapping[str, Any], key: str, kept: int, what: str, where: str) -> None:
    """Metadata ``key`` (if given), the count of the ``kept`` ``what`` listed, must be an int of
    at least ``kept``."""
    count = meta.get(key, kept)
    if not isinstance(count, int) or isinstance(count, bool) or count < kept:
        raise ValidationError(
            f"{where}: metadata {key} is not a count of at least its {kept} {what}"
        )


def _check_texts(value: Any, what: str) -> None:
    """``value`` must be a list of texts (notes the pages show, one a line)."""
    if not isinstance(value, list | tuple) or not all(isinstance(x, str) for x in value):
        raise ValidationError(f"{what} is not a list of texts")


def _check_columns(curve: CurveData) -> None:
    """A curve as stored: columns of one length, its settings' ``warnings`` (if given) a list
    of texts (the pages show them)."""
    _check_texts(curve.settings.get("warnings", []), f"curve {curve.kind!r}: settings warnings")
    lengths = {len(v) for v in curve.columns.values()}
    if len(lengths) > 1:
        raise ValidationError(
            f"curve {curve.kind!r}: columns have different lengths {sorted(lengths)}"
        )


def _curve_row(curve: CurveData) -> m.Curve:
    """``curve`` checked (``_check_columns``) as a row to store; a column's None stays None
    (unknown: an error column the file does not have)."""
    _check_columns(curve)
    return m.Curve(
        kind=curve.kind,
        method=curve.method,
        settings=dict(curve.settings),
        columns={
            k: [None if v is None else float(v) for v in vs] for k, vs in curve.columns.items()
        },
    )


def _campaign_record(c: m.Campaign) -> CampaignRecord:
    return CampaignRecord(
        name=c.name,
        spec=_spec(c),
        created_by=c.created_by,
        created_at=_aware(c.created_at),
    )


def _sample_record(x: m.Sample, campaign: str) -> SampleRecord:
    return SampleRecord(
        id=x.id,
        campaign=campaign,
        label=x.label,
        params=dict(x.params),
        objectives=dict(x.objectives),
        origin=x.origin,
        suggestion_id=x.suggestion_id,
        recorded_by=x.recorded_by,
        notes=x.notes,
        created_at=_aware(x.created_at),
        updated_at=_aware(x.updated_at),
        status=x.status,
        status_note=x.status_note,
        status_changed_by=x.status_changed_by,
        status_changed_at=_aware(x.status_changed_at) if x.status_changed_at else None,
        objective_errors=dict(x.objective_errors or {}),
        objective_set_by=dict(x.objective_set_by or {}),
    )


def _checked(measurement_id: int, filename: str, content: bytes, sha256: str) -> bytes:
    """``content`` if its SHA-256 is the one recorded with it, else a ``StoreError``."""
    digest = hashlib.sha256(content).hexdigest()
    if digest != sha256:
        raise StoreError(
            f"measurement {measurement_id} ({filename}): the stored file's SHA-256 is {digest}, "
            f"not the {sha256} recorded with it: the store is damaged"
        )
    return content


def _measurement_record(
    x: m.Measurement, campaign: str, size: int, with_content: bool
) -> MeasurementRecord:
    return MeasurementRecord(
        id=x.id,
        campaign=campaign,
        sample=x.sample.label,
        kind=x.kind,
        temperature_K=x.temperature_K,
        filename=x.filename,
        sha256=x.sha256,
        size=size,
        metadata=dict(x.meta),
        recorded_by=x.recorded_by,
        created_at=_aware(x.created_at),
        content=x.content if with_content else b"",
    )


def _curve_record(x: m.Curve) -> CurveRecord:
    return CurveRecord(
        x.id,
        x.measurement_id,
        x.kind,
        x.method,
        dict(x.settings),
        dict(x.columns),
        _aware(x.created_at),
    )


def _summary_without_maps(s: Session) -> Any:
    """A simulation's summary column without its ``maps`` key, removed by the database (the
    column is JSON text on SQLite, json on PostgreSQL)."""
    if s.bind.dialect.name == "postgresql":
        lean = cast(m.Simulation.summary, JSONB).op("-")("maps")
    else:
        lean = func.json_remove(m.Simulation.summary, "$.maps")
    return type_coerce(lean, JSON)


def _simulation_record(
    x: m.Simulation, campaign: str | None, with_probes: bool, summary: Any = None
) -> SimulationRecord:
    """``x`` as a record; ``summary`` instead of its own (a list's, without maps)."""
    return SimulationRecord(
        id=x.id, name=x.name, campaign=campaign, case=dict(x.case), case_toml=x.case_toml,
        case_hash=x.case_hash, summary=dict(x.summary if summary is None else summary),
        status=x.status, error=x.error,
        created_by=x.created_by, created_at=_aware(x.created_at),
        probes_csv=x.probes_csv if with_probes else b"",
        heat_csv=(x.heat_csv or b"") if with_probes else b"",
    )  # fmt: skip


def _calibration_record(x: m.Calibration, campaign: str | None) -> CalibrationRecord:
    series = tuple(
        {"filename": y.filename, "probe": y.probe, "sha256": y.sha256,
         "measurement_id": y.measurement_id}
        for y in x.series
    )  # fmt: skip
    return CalibrationRecord(
        id=x.id, name=x.name, campaign=campaign, fit=x.fit, fits=x.fits, result=dict(x.result),
        case_toml=x.case_toml, case_hash=x.case_hash, fitted_case_toml=x.fitted_case_toml,
        simulation_id=x.simulation_id, series=series, created_by=x.created_by,
        created_at=_aware(x.created_at),
    )  # fmt: skip


def _suggestion_record(x: m.Suggestion, campaign: str) -> SuggestionRecord:
    return SuggestionRecord(
        id=x.id,
        campaign=campaign,
        params=dict(x.params),
        acquisition_value=x.acquisition_value,
        model_summary=dict(x.model_summary),
        seed=x.seed,
        status=x.status,
        created_by=x.created_by,
        created_at=_aware(x.created_at),
        status_changed_by=x.status_changed_by,
        status_changed_at=None if x.status_changed_at is None else _aware(x.status_changed_at),
        status_note=x.status_note,
    )
