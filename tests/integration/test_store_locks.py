"""``Store.locked_campaign`` says what stopped it: only a lock held past the timeout is "locked by
another writer"; a dropped connection, a disk error or a lock file that cannot be made say so."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, event, text

from fluxtrap.campaign import CampaignSpec
from fluxtrap.errors import FluxtrapError, StoreError
from fluxtrap.store import Store

from ..conftest import EXAMPLES
from .test_store_read_only import _frozen, _thaw

NAME = "K-Ba122 SPS"
BUSY = "is locked by another writer"


def _failing_reads(monkeypatch, store: Store, orig: Exception, marker: str) -> None:
    """Every statement of ``store`` whose SQL holds ``marker`` fails with ``orig`` in the
    driver (SQLAlchemy wraps it, as a real one)."""
    dialect = store.engine.dialect
    execute = dialect.do_execute

    def fail(cursor, statement, parameters, context=None):
        if marker in statement:
            raise orig
        return execute(cursor, statement, parameters, context)

    monkeypatch.setattr(dialect, "do_execute", fail)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("LockNotAvailable", BUSY),
        ("AdminShutdown", "terminating connection due to administrator command"),
        ("IoError", "could not read block 0"),
        ("DiskFull", "No space left on device"),
    ],
)
def test_postgres_lock_errors_say_what_they_are(postgres_server, monkeypatch, kind, said):
    """Every OperationalError taking the row lock (a dropped connection, an I/O error, a full
    disk) had been 'campaign ... is locked by another writer (waited 300 s)'."""
    import psycopg.errors

    from ..conftest import new_database

    store = Store(new_database(postgres_server))
    store.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    _failing_reads(monkeypatch, store, getattr(psycopg.errors, kind)(said), "FOR NO KEY UPDATE")
    with pytest.raises(FluxtrapError) as err, store.locked_campaign(NAME):
        pass
    assert said in str(err.value)
    if kind == "LockNotAvailable":
        assert not isinstance(err.value, StoreError)
    else:
        assert isinstance(err.value, StoreError) and BUSY not in str(err.value)
        assert "database error at Store(" in str(err.value)


@pytest.mark.postgres
def test_postgres_a_connection_dropped_while_locking_is_not_a_busy_lock(postgres_server):
    """A real drop: the server ends the session's backend just before its FOR UPDATE."""
    from ..conftest import new_database

    url = new_database(postgres_server)
    store = Store(url)
    store.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    admin = create_engine(url, isolation_level="AUTOCOMMIT")

    @event.listens_for(store.engine, "before_cursor_execute")
    def drop(conn, cursor, statement, *args):
        if "FOR NO KEY UPDATE" in statement:
            pid = conn.connection.dbapi_connection.info.backend_pid
            with admin.connect() as c:
                c.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    with (
        pytest.raises(StoreError, match="terminating connection") as err,
        store.locked_campaign(NAME, timeout_s=5),
    ):
        pass
    assert BUSY not in str(err.value)
    event.remove(store.engine, "before_cursor_execute", drop)
    admin.dispose()
    with store.locked_campaign(NAME):  # the pool gives a live connection again
        pass


@pytest.mark.parametrize(
    "orig", ["disk I/O error", "database disk image is malformed", "database is locked"]
)
def test_sqlite_errors_reading_the_campaign_say_what_they_are(tmp_path, monkeypatch, orig):
    store = Store(f"sqlite:///{tmp_path / 'a.db'}")
    store.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    _failing_reads(monkeypatch, store, sqlite3.OperationalError(orig), "FROM campaigns")
    with (
        pytest.raises(StoreError, match=f"database error at Store.*: {orig}$"),
        store.locked_campaign(NAME),
    ):
        pass


def test_sqlite_a_lock_file_that_cannot_be_made_is_said(tmp_path):
    """A store on a share this user cannot write: a PermissionError traceback (the lock file
    ``<db>.lock`` cannot be made); now a StoreError naming the file."""
    share = tmp_path / "share"
    share.mkdir()
    s = Store(f"sqlite:///{tmp_path / 'a.db'}")
    s.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    s.engine.dispose()
    with sqlite3.connect(tmp_path / "a.db") as a, sqlite3.connect(share / "a.db") as b:
        a.backup(b)
    a.close()
    b.close()
    frozen = [share / "a.db", share]
    try:
        if not _frozen(frozen):
            pytest.skip("neither chmod (root) nor chattr +i can make a folder read-only here")
        store = Store(share / "a.db", read_only=True)
        with (
            pytest.raises(StoreError, match=r"a\.db\.lock cannot be taken: (Operation not|Perm)"),
            store.locked_campaign(NAME, timeout_s=5),
        ):
            pass
    finally:
        _thaw(frozen)


def test_sqlite_a_write_kept_waiting_past_its_timeout_says_another_writer_held_the_store(
    tmp_path, monkeypatch
):
    """Writers of a SQLite store take turns (BEGIN IMMEDIATE, waiting up to WAIT_S); one kept
    waiting past it was "database error at Store(...): database is locked", as a broken file's
    errors are. It now says another writer held the lock that long, as a PostgreSQL lock
    timeout does; nothing was written, and once the lock is free the same write goes in."""
    import fluxtrap.store.store as store_module

    monkeypatch.setattr(store_module, "WAIT_S", 1)
    store = Store(f"sqlite:///{tmp_path / 'a.db'}")
    store.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    params = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}
    holder = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="another writer held a lock this write needs for 1 s"):
            store.add_sample(NAME, "B1", params)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.samples(NAME) == []
    store.add_sample(NAME, "B1", params)
    assert [x.label for x in store.samples(NAME)] == ["B1"]
