"""The simulation job queue in the store (SQLite and PostgreSQL): quotas, the fair round-robin
order, cancel and finish rules, ids never reused."""

from __future__ import annotations

import threading

import pytest

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
