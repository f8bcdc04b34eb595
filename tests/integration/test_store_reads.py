"""Readers and claimers under concurrency: SQLite readers do not wait for a writer's lock,
measurement lists do not load file contents, and two samples racing for one suggestion cannot
both claim it (PostgreSQL row lock; SQLite's write lock)."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time

import pytest
from sqlalchemy import event

from fluxtrap.errors import StoreError, ValidationError
from fluxtrap.store import CurveData, Store

NAME = "K-Ba122 SPS"
P = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}


def test_sqlite_reads_do_not_wait_for_a_writer(tmp_path, store):
    """Another process holds the write lock for 3 s; reads answer at once (WAL snapshot)."""
    if not store.url.startswith("sqlite"):
        pytest.skip("the write lock is SQLite's")
    store.add_sample(NAME, "B1", P)
    path = store.url.removeprefix("sqlite:///")
    locked, release = threading.Event(), threading.Event()

    def writer() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE samples SET notes = 'being edited'")
        locked.set()
        release.wait(3)
        conn.execute("COMMIT")
        conn.close()

    t = threading.Thread(target=writer)
    t.start()
    assert locked.wait(10)
    t0 = time.perf_counter()
    reads = (
        store.campaigns(),
        store.samples(NAME),
        store.measurements(NAME),
        store.history(NAME),
        store.user_by_session("a session id"),  # every dashboard request asks it
    )
    waited = time.perf_counter() - t0
    release.set()
    t.join()
    assert waited < 1.0, f"reads waited {waited:.2f} s for the writer"
    assert reads[1][0].notes == ""  # the snapshot before the uncommitted edit


def test_measurement_lists_leave_file_contents_in_the_database(store):
    store.add_sample(NAME, "B1", P)
    content = b"0123456789" * 100_000  # 1 MB
    store.add_measurement(NAME, "B1", "mh_loop", "B1.dat", content)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        (rec,) = store.measurements(NAME, with_content=False)
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    assert (rec.size, rec.content) == (len(content), b"")
    read = " ".join(statements).replace("length(measurements.content)", "")
    assert "measurements.content" not in read
    (full,) = store.measurements(NAME, "B1")
    assert full.content == content and full.size == len(content)


def test_a_campaigns_curves_come_in_one_query_not_one_per_measurement(store):
    """``measure list`` read each measurement's curves in a query of its own (N + 1)."""
    store.add_sample(NAME, "B1", P)
    for i in range(12):
        curves = [CurveData(k, "m", {}, {"x": [0.0] * (i + j)}) for j, k in enumerate(("jc", "dm"))]
        store.add_measurement(NAME, "B1", "mh_loop", f"{i}.dat", b"%d" % i, curves=curves[: i % 3])
    ids = [rec.id for rec in store.measurements(NAME, with_content=False)]
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        found = store.curves_of(ids)
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    assert sum("FROM curves" in s for s in statements) == 1
    for i in ids:
        want = [(cv.kind, cv.columns) for cv in store.curves(i)]
        assert [(cv.kind, cv.columns) for cv in found.get(i, [])] == want
    assert sum(map(len, found.values())) == 12  # 0, 1 or 2 curves each


def test_two_samples_racing_for_one_suggestion_cannot_both_claim_it(store_url, store):
    """Eight rounds: two writers (own Store objects, as two server processes) record a sample
    from the same open suggestion at the same moment; exactly one wins each time."""
    others = [Store(store_url, migrate=False) for _ in range(2)]
    for round_ in range(8):
        (sug,) = store.add_suggestions(NAME, [{**P, "dwell_time": round_ + 1}], [None], {}, 0)
        gate, outcomes = threading.Barrier(2), []
        threads = [
            threading.Thread(target=_claim, args=(s, f"R{round_}-{i}", sug, gate, outcomes))
            for i, s in enumerate(others)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(outcomes) == ["refused", "won"], (round_, outcomes)
        claimed = [x for x in store.samples(NAME) if x.suggestion_id == sug.id]
        assert len(claimed) == 1 and store.suggestion(sug.id).status == "used"
    for s in others:
        s.engine.dispose()


def _claim(store: Store, label: str, sug, gate: threading.Barrier, outcomes: list[str]) -> None:
    gate.wait()
    try:
        store.add_sample(NAME, label, sug.params, suggestion_id=sug.id)
        outcomes.append("won")
    except ValidationError as err:
        assert "not open" in str(err), err
        outcomes.append("refused")


def test_a_database_that_fails_is_a_store_error_for_reads_and_writes(tmp_path):
    """Reads let SQLAlchemy's OperationalError out (a 500 on every page and API call, and the
    web's job workers and heartbeat thread died of it); a failing write's 'file is not a
    database' did too."""
    folder = tmp_path / "db"
    folder.mkdir()
    store = Store(f"sqlite:///{folder / 'lab.db'}")
    for broken in ("gone", "no database"):
        shutil.rmtree(folder, ignore_errors=True)
        if broken == "no database":
            folder.mkdir()
            (folder / "lab.db").write_bytes(b"not sqlite " * 1000)
        store.engine.dispose()  # the server's pooled connections are gone too
        calls = [
            store.campaigns,
            lambda: store.user_by_token("a token"),
            lambda: store.user_by_session("a session id"),
            lambda: store.start_session("a token"),
            lambda: store.claim_job("host:1:abc"),
            lambda: store.beat_jobs("host:1:abc"),
            store.calibrations,
            lambda: store.add_user("ada", "admin", "ada-token-0123456789"),
        ]
        for call in calls:
            with pytest.raises(
                StoreError, match="database error at Store.*(unable to open|not a database)"
            ):
                call()


def test_a_damaged_name_index_is_named_not_taken_for_a_missing_row(tmp_path):
    """A store file whose name indexes were damaged (bytes overwritten) answered `campaign
    show` with "no campaign named 'K-Ba122 SPS' (known: 'K-Ba122 SPS')": SQLite's lookup by
    name found nothing, and does not notice the damage. Emptied index pages stand for it."""
    from fluxtrap.campaign import CampaignSpec

    from ..conftest import EXAMPLES

    path = tmp_path / "lab.db"
    store = Store(f"sqlite:///{path}")
    store.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    store.add_sample(NAME, "B1", P)
    store.engine.dispose()  # the WAL folded into the file
    conn = sqlite3.connect(path)
    pages = dict(conn.execute("SELECT name, rootpage FROM sqlite_master WHERE type = 'index'"))
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    for index, call, says in (
        ("sqlite_autoindex_samples_1", lambda s: s.set_sample_status(NAME, "B1", "failed"),
         f"sample 'B1' of campaign {NAME!r} is in the store .* damaged .*REINDEX"),
        ("sqlite_autoindex_campaigns_1", lambda s: s.campaign(NAME),
         f"campaign {NAME!r} is in the store .* damaged"),
    ):  # fmt: skip
        store.engine.dispose()
        with path.open("r+b") as f:
            f.seek((pages[index] - 1) * size)  # a leaf index page holding no cells
            f.write(bytes([0x0A, 0, 0, 0, 0, size >> 8 & 0xFF, size & 0xFF, 0]))
        store = Store(f"sqlite:///{path}")
        with pytest.raises(StoreError, match=says):
            call(store)
