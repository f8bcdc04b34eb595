"""Migration 0012: the jobs a silent server left, stored with errors naming its runner (host:pid)
before the jobs' errors named none, read with today's wording (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import create_engine, text

from fluxtrap.store import Store
from fluxtrap.store.store import alembic_config
from fluxtrap.web.jobs import SILENT, STOPPED

from ...conftest import _tables, assert_rows_kept, old_store, table_rows

T0 = datetime(2026, 12, 2, 3, 4, 5, tzinfo=UTC)
CANCELLED = "cancelled by root: bob's token was revoked"
FAILED = "its server (lab-pc:77) said: SolverError: diverged"
OLD_SILENT = "its server ({}) stopped renewing its heartbeat: it died; submit it again"
# (runner, status, error) as servers stored them at 0011, and the error at 0012
JOBS = [
    ("lab-pc:4242:0a1b2c3d", "interrupted", OLD_SILENT.format("lab-pc:4242:0a1b2c3d"), SILENT),
    (None, "interrupted", OLD_SILENT.format("none"), SILENT),  # no runner known: stored as none
    ("lab-pc:4242:0a1b2c3d", "interrupted", STOPPED, STOPPED),
    ("lab-pc:77:ffffffff", "cancelled", CANCELLED, CANCELLED),
    ("lab-pc:77:ffffffff", "failed", FAILED, FAILED),  # another text: kept
    (None, "queued", None, None),
]


def test_migration_0012_rewrites_the_errors_naming_a_dead_servers_runner(store_url):
    """The errors "its server (HOST:PID:ID) stopped renewing its heartbeat ..." of a store at
    0011 become ``SILENT``, which names no host (the runner column keeps it); every other row
    and column is kept as it was, and the downgrade to 0011 keeps the new wording."""
    old_store(store_url, "0011")
    engine = create_engine(store_url)
    with engine.begin() as conn:
        jobs = _tables(conn)["jobs"]
        for runner, status, error, _ in JOBS:
            conn.execute(
                jobs.insert().values(title="run", case_toml="title = 'run'", status=status,
                                     created_by="bob", created_at=T0, runner=runner, error=error)
            )  # fmt: skip
    engine.dispose()
    before = table_rows(store_url)
    assert sum("lab-pc:4242" in (j["error"] or "") for j in before["jobs"]) == 1

    store = Store(store_url)  # upgrades to head
    after = table_rows(store_url)
    errors = [j["error"] for j in after["jobs"]]
    assert errors == [new for *_, new in JOBS]
    assert [store.job(j["id"]).error for j in after["jobs"][:2]] == [SILENT, SILENT]
    without_errors = {
        name: [{k: v for k, v in r.items() if name != "jobs" or k != "error"} for r in rows]
        for name, rows in before.items()
    }
    assert_rows_kept(without_errors, after)
    assert [j["runner"] for j in after["jobs"]] == [runner for runner, *_ in JOBS]
    store.engine.dispose()

    cfg = alembic_config(store_url)
    command.downgrade(cfg, "0011")
    down = table_rows(store_url)  # every row as at head, less the columns of later revisions
    assert_rows_kept(down, after)
    assert [j["error"] for j in down["jobs"]] == errors
    engine = create_engine(store_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0011"
    engine.dispose()
