"""Parallel experiments: concurrent asks on one store (SQLite and PostgreSQL) never collide.

Asking the optimizer is read-then-write (read the open suggestions as pending points, fit, write
new suggestions). Two asks at once could both read the same open set before either writes and
return the same conditions; ``Store.locked_campaign`` serialises them across processes.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time

import numpy as np
import pytest

from fluxtrap.errors import FluxtrapError, NotFoundError
from fluxtrap.store import Store

NAME = "K-Ba122 SPS"
BULK2 = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}


# -- the lock itself: a read-then-write that races without it --------------------------------
def _claim_next_dwell(url: str, barrier, locked: bool) -> None:
    """Read the open suggestions, take the first dwell time not yet suggested, write it.

    Without the lock every claimer waits at the barrier after its read (all read before any
    writes: the worst case, made certain); with it, it pauses as if fitting a model.
    """
    store = Store(url, migrate=False)
    barrier.wait(timeout=120)

    def claim(between) -> None:
        taken = {x.params["dwell_time"] for x in store.suggestions(NAME, "open")}
        dwell = next(float(d) for d in range(60) if float(d) not in taken)
        between()
        store.add_suggestions(NAME, [{**BULK2, "dwell_time": dwell}], [None], {}, seed=0)

    if locked:
        with store.locked_campaign(NAME):
            claim(lambda: time.sleep(0.3))
    else:
        claim(lambda: barrier.wait(timeout=120))


def _run_claimers(url: str, n: int, locked: bool) -> None:
    """``n`` claimers at once: processes with the lock; threads (quicker to start) without."""
    ctx = mp.get_context("spawn")
    if locked:
        barrier = ctx.Barrier(n)
        procs = [ctx.Process(target=_claim_next_dwell, args=(url, barrier, True)) for _ in range(n)]
    else:
        barrier = threading.Barrier(n)
        procs = [
            threading.Thread(target=_claim_next_dwell, args=(url, barrier, False)) for _ in range(n)
        ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
        assert not p.is_alive() and getattr(p, "exitcode", 0) == 0


def test_read_then_write_races_without_the_lock_and_not_with_it(store):
    store.add_suggestions(NAME, [{**BULK2, "dwell_time": 0.0}], [None], {}, seed=0)  # one pending

    _run_claimers(store.url, 3, locked=False)
    unlocked = [x.params["dwell_time"] for x in store.suggestions(NAME)[1:]]
    assert unlocked == [1.0, 1.0, 1.0]  # all three read the same open set: the race is real

    for x in store.suggestions(NAME)[1:]:
        store.set_suggestion_status(x.id, "discarded")
    _run_claimers(store.url, 3, locked=True)
    locked = sorted(x.params["dwell_time"] for x in store.suggestions(NAME, "open"))
    assert locked == [0.0, 1.0, 2.0, 3.0]  # each saw the ones before it


def test_locked_campaign_lets_the_holder_write_and_makes_others_wait(store):
    other = Store(store.url, migrate=False)
    with store.locked_campaign(NAME):
        store.add_suggestions(NAME, [BULK2], [None], {}, seed=0)  # no self-deadlock
        store.add_sample(NAME, "B2", BULK2)
        t0 = time.perf_counter()
        with (
            pytest.raises(FluxtrapError, match="is locked by another writer"),
            other.locked_campaign(NAME, timeout_s=0.5),
        ):
            pass
        assert time.perf_counter() - t0 >= 0.4

    held, released = threading.Event(), threading.Event()

    def hold() -> None:
        with other.locked_campaign(NAME):
            held.set()
            released.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(30)  # the holder has the lock (a sleep of 0.3 s was not always enough on CI)
    threading.Timer(0.5, released.set).start()
    t0 = time.perf_counter()
    with store.locked_campaign(NAME, timeout_s=30):  # waits until the other holder lets go
        waited = time.perf_counter() - t0
    holder.join()
    assert waited >= 0.3
    with (
        pytest.raises(NotFoundError, match="no campaign named 'nope'"),
        store.locked_campaign("nope"),
    ):
        pass


# -- the optimizer: two users ask at once while a sample is being made -----------------------
def _history_jc(p: dict) -> float:
    """A smooth made-up objective (A/m^2) to fit; its shape does not matter here."""
    t = (p["max_temperature"] - 620) / 80
    return 3e8 * np.exp(-t * t) * (1 + 0.004 * p["dwell_time"]) * (1 + 0.001 * p["ramp_rate"])


def _ask(url: str, barrier) -> None:
    from fluxtrap.workflows.suggest import suggest

    store = Store(url, migrate=False)
    barrier.wait(timeout=300)
    suggest(store, NAME, 1, seed=0)


def test_two_concurrent_asks_with_a_pending_suggestion_return_distinct_conditions(store):
    rng = np.random.default_rng(1)
    for i in range(8):
        p = {
            "ramp_rate": round(float(rng.uniform(10, 100)), 1),
            "max_temperature": int(rng.integers(450, 751)),
            "dwell_time": round(float(rng.uniform(0, 60)), 2),
        }
        store.add_sample(NAME, f"S{i}", p, objectives={"jc_3T": _history_jc(p)})
    pending = {"ramp_rate": 55.0, "max_temperature": 620, "dwell_time": 30.0}  # a sample being made
    store.add_suggestions(NAME, [pending], [None], {}, seed=0)

    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_ask, args=(store.url, barrier)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=600)
        assert p.exitcode == 0

    open_ = store.suggestions(NAME, "open")
    assert len(open_) == 3
    points = {tuple(sorted(x.params.items())) for x in open_}
    assert len(points) == 3  # two new asks: distinct from each other and from the pending one


# -- lock order: a sample's status and its suggestion's status, changed at once ----------------
@pytest.mark.postgres
def test_sample_status_waits_for_its_suggestion_before_locking_the_sample(postgres_server):
    """set_suggestion_status locks the suggestion, then updates its sample; set_sample_status
    must take the rows in the same order, or the two deadlock (PostgreSQL aborts one). While
    another transaction holds the suggestion, set_sample_status may not hold the sample row."""
    from sqlalchemy import create_engine, text

    from fluxtrap.campaign import CampaignSpec

    from ..conftest import EXAMPLES, new_database

    url = new_database(postgres_server)
    store = Store(url)
    store.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    (sug,) = store.add_suggestions(NAME, [BULK2], [None], {}, seed=0)
    store.add_sample(NAME, "B2", BULK2, origin="optimizer", suggestion_id=sug.id)
    engine = create_engine(url)
    with engine.connect() as holder, engine.connect() as probe:
        holder.execute(text("SELECT id FROM suggestions WHERE id = :i FOR UPDATE"), {"i": sug.id})
        worker = threading.Thread(target=store.set_sample_status, args=(NAME, "B2", "failed"))
        worker.start()
        time.sleep(1.0)  # the worker is now waiting for the suggestion row
        locked = probe.execute(
            text("SELECT id FROM samples WHERE label = 'B2' FOR UPDATE SKIP LOCKED")
        ).all()
        probe.rollback()
        holder.rollback()
        worker.join(timeout=60)
    engine.dispose()
    assert locked, "set_sample_status held the sample row while waiting for its suggestion"
    assert store.suggestion(sug.id).status == "failed"


@pytest.mark.postgres
def test_a_sample_measured_while_its_failure_waits_is_not_marked_failed(postgres_server):
    """set_sample_status read the sample without its row lock: with a value written meanwhile
    by set_objectives (which holds the row), it marked the measured sample failed. It now reads
    the sample under its lock, sees the value and refuses; the sample keeps its value, made."""
    from sqlalchemy import create_engine, text

    from fluxtrap.campaign import CampaignSpec
    from fluxtrap.errors import ValidationError

    from ..conftest import EXAMPLES, new_database

    url = new_database(postgres_server)
    store = Store(url)
    store.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    store.add_sample(NAME, "B2", BULK2)
    refused = []

    def fail() -> None:
        try:
            store.set_sample_status(NAME, "B2", "failed")
        except ValidationError as err:
            refused.append(str(err))

    engine = create_engine(url)
    with engine.connect() as holder:  # as set_objectives: the row locked, then its value
        holder.execute(text("SELECT id FROM samples WHERE label = 'B2' FOR UPDATE"))
        worker = threading.Thread(target=fail)
        worker.start()
        time.sleep(1.0)  # the worker is now waiting for the sample row
        holder.execute(
            text("UPDATE samples SET objectives = CAST(:o AS json) WHERE label = 'B2'"),
            {"o": '{"jc_3T": 2.5e8}'},
        )
        holder.commit()
        worker.join(timeout=60)
    engine.dispose()
    assert refused and "has jc_3T = 25000 A/cm²" in refused[0], refused
    assert store.sample(NAME, "B2").status == "made"
