"""The simulation job queue in the store (SQLite and PostgreSQL): quotas, the fair round-robin
order, cancel and finish rules, ids never reused, heartbeats (a dead server's jobs interrupted)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import column

from fluxtrap.errors import ConflictError, NotFoundError, QuotaError, ValidationError
from fluxtrap.store import Store


def add(store: Store, user: str, title: str = "case", per_user: int = 10, total: int = 100):
    return store.add_job(title, f'title = "{title}"', user, per_user=per_user, total=total)


def run_through(store: Store) -> list[str]:
    """Claim and finish jobs one at a time until none is queued: the titles in start order."""
    order = []
    while (job := store.claim_job("host:1:a")) is not None:
        order.append(job.title)
        assert store.finish_job(job.id, "done")
    return order


def test_jobs_are_served_round_robin_across_users(store_url):
    store = Store(store_url)
    for user, n in (("alice", 3), ("bob", 2), ("carol", 1)):
        for i in range(n):
            add(store, user, f"{user}{i}")
    assert run_through(store) == ["alice0", "bob0", "carol0", "alice1", "bob1", "alice2"]
    # whatever the queue order, the user served longest ago goes first: carol (carol0), bob
    add(store, "alice", "alice3")
    add(store, "bob", "bob2")
    add(store, "carol", "carol1")
    assert run_through(store) == ["carol1", "bob2", "alice3"]


def test_a_user_with_a_job_running_waits_behind_one_without(store_url):
    store = Store(store_url)
    add(store, "alice", "a0"), add(store, "alice", "a1"), add(store, "bob", "b0")
    first = store.claim_job("host:1:a")
    assert first.title == "a0" and first.status == "running" and first.case_toml == 'title = "a0"'
    assert store.claim_job("host:1:b").title == "b0"  # two workers: bob's before alice's second
    assert store.claim_job("host:1:c").title == "a1"
    assert store.claim_job("host:1:d") is None


def test_quotas_refuse_clearly_and_queue_nothing(store_url):
    store = Store(store_url)
    add(store, "alice", per_user=2, total=3)
    add(store, "alice", per_user=2, total=3)
    with pytest.raises(
        QuotaError, match=r"user 'alice' has 2 simulation jobs queued or running \(at most 2\)"
    ):
        add(store, "alice", per_user=2, total=3)
    add(store, "bob", per_user=2, total=3)
    with pytest.raises(
        QuotaError, match=r"the server has 3 simulation jobs queued or running \(at most 3\)"
    ):
        add(store, "carol", per_user=2, total=3)
    assert [j.created_by for j in store.jobs()] == ["alice", "alice", "bob"]
    job = store.claim_job("host:1:a")
    store.finish_job(job.id, "failed", error="SolverError: x")  # a finished job frees its place
    add(store, "carol", per_user=2, total=3)


def test_a_jobs_case_text_with_a_bidi_override_is_queued_nowhere(store_url):
    """add_job stored any case text (the web's submit checks it before): one with a U+202E is
    refused with the web's message now, nothing queued; one with a NUL was kept by SQLite and
    refused by PostgreSQL ('the store refused a value'): refused on both as such."""
    store = Store(store_url)
    with pytest.raises(ValidationError, match=r"^case: line 1, column 10: U\+202E: bidi"):
        store.add_job("case", 'title = "\u202ecase"', "alice", per_user=2, total=3)
    with pytest.raises(ValidationError, match=r"^case: holds a NUL character \(at 14\)"):
        store.add_job("case", 'title = "x"\n# \x00', "alice", per_user=2, total=3)
    assert store.jobs() == []


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("t" * 201, r"job title is 201 characters long \(at most 200\)"),
        ("see \u202egpj.exe", r"job title 'see \\u202egpj.exe': no control or invisible"),
    ],
)
def test_a_job_title_no_case_title_could_be_is_refused_not_cut(store_url, title, message):
    """add_job cut a title over 200 characters to 200 without a word, and took a U+202E;
    refused now as a simulation's name, nothing queued."""
    store = Store(store_url)
    with pytest.raises(ValidationError, match=message):
        store.add_job(title, 'title = "case"', "alice", per_user=2, total=3)
    assert store.jobs() == []


def test_concurrent_submissions_never_exceed_the_quota(store_url):
    store = Store(store_url)
    refused = []

    def submit() -> None:
        try:
            add(Store(store_url, migrate=False), "alice", per_user=3, total=100)
        except QuotaError:
            refused.append(1)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert (len(store.jobs()), len(refused)) == (3, 5)


def test_cancel_and_finish_rules(store_url):
    store = Store(store_url)
    queued, running = add(store, "alice", "q"), add(store, "alice", "r")
    assert store.claim_job("host:1:a").id == queued.id  # oldest first
    cancelled = store.cancel_job(queued.id, "root")
    assert (cancelled.status, cancelled.error) == ("cancelled", "cancelled by root")
    assert cancelled.finished_at is not None
    assert not store.finish_job(queued.id, "done")  # the worker's result comes too late
    assert store.job(queued.id).status == "cancelled"
    with pytest.raises(ConflictError, match=f"job {queued.id} has already finished .cancelled."):
        store.cancel_job(queued.id, "alice")
    assert store.cancel_job(running.id, "alice").status == "cancelled"  # queued: never runs
    assert store.claim_job("host:1:a") is None
    with pytest.raises(ValidationError, match="cannot finish as 'queued'"):
        store.finish_job(running.id, "queued")
    with pytest.raises(NotFoundError, match="no job with id 99"):
        store.cancel_job(99, "alice")


def test_job_ids_are_never_reused(store_url):
    """Even after the newest row is gone (SQLite's rowid would hand its id out again)."""
    from sqlalchemy import text

    store = Store(store_url)
    first, second = add(store, "alice"), add(store, "alice")
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM jobs WHERE id = :id"), {"id": second.id})
    third = add(Store(store_url), "alice")  # a restarted server
    assert third.id > second.id > first.id


# -- heartbeats: a server that died on another host -------------------------------------------
def test_jobs_whose_runner_fell_silent_are_interrupted_and_live_ones_kept(store_url):
    """Two servers run a job each; only one renews its heartbeat. Any server sweeping the
    queue marks the silent one's job interrupted, naming its runner; the dead server's late
    result cannot overwrite that, and a queued job is untouched."""
    store = Store(store_url)
    for title in ("alive", "dead", "queued"):
        add(store, "alice", title)
    alive, dead = store.claim_job("hostA:11:a"), store.claim_job("hostB:22:b")
    assert alive.heartbeat_at is not None and alive.heartbeat_at == alive.started_at
    assert store.interrupt_silent_jobs(0.4, "{runner} fell silent") == []  # both fresh
    time.sleep(0.6)
    assert store.beat_jobs("hostA:11:a") == 1
    (gone,) = store.interrupt_silent_jobs(0.4, "its server ({runner}) fell silent")
    assert (gone.id, gone.status, gone.error) == (
        dead.id,
        "interrupted",
        "its server (hostB:22:b) fell silent",
    )
    assert gone.finished_at is not None
    assert (
        store.job(alive.id).status == "running"
        and store.job(alive.id).heartbeat_at > alive.heartbeat_at
    )
    assert [j.status for j in store.jobs()] == ["running", "interrupted", "queued"]
    assert not store.finish_job(dead.id, "done")  # the dead server's result, too late
    assert store.interrupt_silent_jobs(0.4, "{runner}") == []
    assert store.beat_jobs("hostB:22:b") == 0  # nothing of its own is running any more


def test_a_server_never_interrupts_its_own_jobs(store_url):
    """A scanning server is alive: its own running job stays running however long its beat
    thread stalled (a loaded 2-core CI machine once marked one interrupted and refused its
    result); another runner's silent job, and a running row with no runner, are interrupted."""
    store = Store(store_url)
    for title in ("own", "other"):
        add(store, "alice", title)
    from sqlalchemy import text

    own, other = store.claim_job("hostA:11:a"), store.claim_job("hostB:22:b")
    time.sleep(0.3)
    (gone,) = store.interrupt_silent_jobs(0.1, "{runner} fell silent", alive="hostA:11:a")
    assert (gone.id, gone.error) == (other.id, "hostB:22:b fell silent")
    assert store.job(own.id).status == "running"
    assert store.interrupt_silent_jobs(0.1, "{runner}", alive="hostA:11:a") == []
    with store.engine.begin() as conn:  # a running row that names no runner
        conn.execute(text("UPDATE jobs SET runner = NULL WHERE id = :id"), {"id": own.id})
    (gone,) = store.interrupt_silent_jobs(0.1, "{runner}", alive="hostA:11:a")
    assert (gone.id, gone.error) == (own.id, "none")


def test_a_job_running_before_heartbeats_counts_from_its_start(store_url):
    """Migration 0008 adds jobs.heartbeat_at (null for old rows; every row kept): a job left
    running by a server of revision 0007 is silent since its start."""
    from sqlalchemy import create_engine, insert
    from sqlalchemy import table as sql_table

    from ..conftest import assert_rows_kept, old_store, table_rows

    old_store(store_url, "0007")
    t0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    columns = ("title", "case_toml", "status", "created_by", "created_at", "started_at", "runner")
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(
            insert(sql_table("jobs", *(column(c) for c in columns))).values(
                title="old", case_toml="title = 'old'", status="running", created_by="alice",
                created_at=t0, started_at=t0, runner="gone:1:0",
            )
        )  # fmt: skip
    engine.dispose()
    before = table_rows(store_url)
    store = Store(store_url)  # upgrades to head
    assert_rows_kept(before, table_rows(store_url))
    (job,) = store.jobs()
    assert job.heartbeat_at is None
    (gone,) = store.interrupt_silent_jobs(60, "{runner} silent")
    assert (gone.id, gone.error) == (job.id, "gone:1:0 silent")


def test_a_result_stored_with_its_job_finishes_it_and_never_outlives_a_cancel(store_url):
    """The worker stored the simulation, then finished the job: a cancel in between left a
    stored simulation no job pointed to ("nothing is stored of a cancelled job")."""
    from fluxtrap.web.jobs import parse_case
    from fluxtrap.web.pages import EXAMPLE_CASE

    store = Store(store_url)
    case = parse_case(EXAMPLE_CASE)
    first, second = add(store, "alice", "a"), add(store, "alice", "b")
    assert store.claim_job("host:1:a").id == first.id
    rec = store.add_simulation(case, EXAMPLE_CASE, error="SolverError: x", job_id=first.id)
    done = store.job(first.id)
    assert (done.status, done.simulation_id, done.error) == ("failed", rec.id, "SolverError: x")
    assert store.claim_job("host:1:a").id == second.id
    store.cancel_job(second.id, "alice")
    with pytest.raises(ConflictError, match=f"job {second.id} is cancelled: its result is not"):
        store.add_simulation(case, EXAMPLE_CASE, error="SolverError: y", job_id=second.id)
    assert [s.id for s in store.simulations()] == [rec.id]
    assert store.job(second.id).simulation_id is None
