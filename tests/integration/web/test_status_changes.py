"""Status changes that change nothing keep the record; a sample's status change can be
conditional on the status the caller saw (409 naming the one it has), in the store and the API."""

from __future__ import annotations

import threading
from datetime import UTC

import httpx
import pytest

from fluxtrap.errors import ConflictError

from .conftest import NAME, auth, make_store, serve
from .test_api import C, P


def test_re_marking_a_status_it_has_keeps_who_changed_it_and_when(store):
    (sug,) = store.add_suggestions(NAME, [P], [0.3], {}, seed=1, created_by="bob")
    opened = store.set_suggestion_status(sug.id, "open", changed_by="carol", note="again")
    assert (opened.status, opened.status_changed_by, opened.status_changed_at) == (
        "open", None, None,
    )  # fmt: skip
    gone = store.set_suggestion_status(sug.id, "discarded", changed_by="carol", note="too hot")
    again = store.set_suggestion_status(sug.id, "discarded", changed_by="dave", note="x")
    assert (again.status_changed_by, again.status_note) == ("carol", "too hot")
    assert again.status_changed_at == gone.status_changed_at
    # a sample made from it, marked made again, leaves its suggestion's record as it was
    store.set_suggestion_status(sug.id, "open", changed_by="carol")
    store.add_sample(NAME, "S1", P, origin="optimizer", suggestion_id=sug.id, recorded_by="ana")
    used = store.suggestion(sug.id)
    made = store.set_sample_status(NAME, "S1", "made", changed_by="dave", note="re-cut: ok")
    assert (made.status, made.status_note) == ("made", "re-cut: ok")  # the sample's own note
    back = store.suggestion(sug.id)
    assert (back.status, back.status_changed_by, back.status_changed_at) == (
        "used", "ana", used.status_changed_at,
    )  # fmt: skip
    failed = store.set_sample_status(NAME, "S1", "failed", changed_by="eve", note="cracked")
    again = store.set_sample_status(NAME, "S1", "failed", changed_by="dave", note="other")
    assert (failed.status_note, again.status_note) == ("cracked", "other")
    back = store.suggestion(sug.id)
    assert (back.status_changed_by, back.status_note) == ("eve", "cracked")


def test_a_sample_status_change_with_the_status_seen_is_refused_once_changed(store):
    store.add_sample(NAME, "S1", P)
    with pytest.raises(ConflictError, match=r"sample 'S1' is made .*shown failed.*nothing changed"):
        store.set_sample_status(NAME, "S1", "made", expected="failed")
    assert store.set_sample_status(NAME, "S1", "failed", expected="made").status == "failed"
    with pytest.raises(ConflictError, match="sample 'S1' is failed"):
        store.set_sample_status(NAME, "S1", "made", expected="made", note="ok")
    assert store.sample(NAME, "S1").status == "failed"
    with pytest.raises(Exception, match="expected sample status"):
        store.set_sample_status(NAME, "S1", "made", expected="broken")


def test_a_sample_status_409_says_its_note_and_who_set_it_when_stored(store):
    """The 409 said only the status: now the note it was set with, and who set it and when, for
    a researcher's own sample too (until store revision 0013 only the suggestion a sample
    realises recorded them: the 409 of S1 named nobody)."""
    (sug,) = store.add_suggestions(NAME, [P], [0.3], {}, seed=1, created_by="bob")
    store.add_sample(NAME, "S1", P)
    store.add_sample(NAME, "S2", P, origin="optimizer", suggestion_id=sug.id, recorded_by="ana")
    for label in ("S1", "S2"):
        store.set_sample_status(NAME, label, "failed", changed_by="bob", note="cracked in two")
    for label in ("S1", "S2"):
        at = store.sample(NAME, label).status_changed_at.astimezone(UTC)
        with pytest.raises(ConflictError) as err:
            store.set_sample_status(NAME, label, "failed", expected="made", note="chipped")
        assert str(err.value) == (
            f"sample '{label}' is failed (note 'cracked in two'; set by bob at "
            f"{at:%Y-%m-%d %H:%M} UTC; changed since it was shown made): nothing changed; "
            "reload to see it"
        )
    assert [store.sample(NAME, x).status_note for x in ("S1", "S2")] == ["cracked in two"] * 2


def test_every_sample_status_change_records_who_and_when_on_the_sample(store):
    """A researcher's sample recorded no who / when of its status change (only a suggestion
    did). Now: set on each change (by the sample, or by failing its suggestion), kept when the
    status is re-marked or only its note changes; null for a sample never changed."""
    from datetime import datetime

    (sug,) = store.add_suggestions(NAME, [P], [0.3], {}, seed=1, created_by="bob")
    fresh = store.add_sample(NAME, "R1", P, recorded_by="ana")
    assert (fresh.status_changed_by, fresh.status_changed_at) == (None, None)
    t0 = datetime.now(UTC)
    failed = store.set_sample_status(NAME, "R1", "failed", changed_by="carol", note="cracked")
    t1 = datetime.now(UTC)
    assert failed.status_changed_by == "carol" and t0 <= failed.status_changed_at <= t1
    again = store.set_sample_status(NAME, "R1", "failed", changed_by="dave", note="in two")
    assert (again.status_changed_by, again.status_changed_at) == ("carol", failed.status_changed_at)
    assert again.status_note == "in two"
    back = store.set_sample_status(NAME, "R1", "made", changed_by="dave")
    assert back.status_changed_by == "dave" and back.status_changed_at >= failed.status_changed_at
    assert store.sample(NAME, "R1").status_changed_by == "dave"  # as read back
    store.add_sample(NAME, "S1", P, origin="optimizer", suggestion_id=sug.id, recorded_by="ana")
    store.set_suggestion_status(sug.id, "failed", changed_by="eve", note="cracked")
    s1 = store.sample(NAME, "S1")
    assert (s1.status, s1.status_changed_by) == ("failed", "eve")
    assert s1.status_changed_at == store.suggestion(sug.id).status_changed_at
    with pytest.raises(ConflictError, match=r"set by eve at .* UTC; changed since"):
        store.set_sample_status(NAME, "S1", "made", expected="made")


def test_the_api_and_sample_list_show_who_changed_a_sample_s_status(lab, capsys):
    """The caller of PATCH is recorded as status_changed_by (also in its 409), which the API's
    sample and `fluxtrap sample list` show."""
    from fluxtrap.cli import run

    lab.store.add_sample(NAME, "R1", P, recorded_by="ana")
    r = lab.client.patch(
        f"{C}/samples/R1", json={"status": "failed", "note": "chipped"}, headers=auth("alice")
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status_changed_by"] == "alice" and body["status_changed_at"]
    listed = lab.client.get(f"{C}/samples", headers=auth("rita")).json()
    assert [x["status_changed_by"] for x in listed] == ["alice"]
    r = lab.client.patch(
        f"{C}/samples/R1", json={"status": "made", "if_status": "made"}, headers=auth("bob")
    )
    assert r.status_code == 409 and "set by alice at " in r.json()["detail"]
    at = lab.store.sample(NAME, "R1").status_changed_at.astimezone(UTC)
    assert run(["sample", "list", "-c", NAME, "--db", lab.store.url]) == 0
    assert f"failed (by alice, {at:%Y-%m-%d %H:%M} UTC)" in capsys.readouterr().out


def test_two_lab_members_racing_on_a_sample_s_status_one_wins_one_is_told(store_url):
    """Through a real server (SQLite and PostgreSQL): alice and bob, both having seen a sample
    made, mark it failed at once with their own notes, over and over: exactly one is applied
    (its note kept), the other is a 409 naming the status it found (it was last-writer-wins)."""
    store = make_store(store_url)
    labels = [f"S{i}" for i in range(8)]
    for label in labels:
        store.add_sample(NAME, label, P)
    with serve(store) as url:
        base = url + C
        clients = {u: httpx.Client(headers=auth(u), timeout=60) for u in ("alice", "bob")}

        def mark(user: str, label: str, gate: threading.Barrier, out: dict) -> None:
            body = {"status": "failed", "note": f"{user} saw it crack", "if_status": "made"}
            gate.wait()
            out[user] = clients[user].patch(f"{base}/samples/{label}", json=body)

        try:
            for label in labels:
                gate, out = threading.Barrier(2), {}
                jobs = [threading.Thread(target=mark, args=(u, label, gate, out)) for u in clients]
                for j in jobs:
                    j.start()
                for j in jobs:
                    j.join()
                codes = sorted(r.status_code for r in out.values())
                assert codes == [200, 409], {u: r.text for u, r in out.items()}
                (winner,) = [u for u, r in out.items() if r.status_code == 200]
                (loser,) = [r for r in out.values() if r.status_code == 409]
                assert f"sample '{label}' is failed" in loser.json()["detail"]
                x = store.sample(NAME, label)
                assert (x.status, x.status_note) == ("failed", f"{winner} saw it crack")
            # made again by whoever saw it failed; one who still saw it made is told
            bob = clients["bob"]
            r = bob.patch(f"{base}/samples/S0", json={"status": "made", "if_status": "made"})
            assert r.status_code == 409 and "is failed" in r.json()["detail"]
            r = bob.patch(f"{base}/samples/S0", json={"status": "made", "if_status": "failed"})
            assert r.status_code == 200 and r.json()["status"] == "made"
        finally:
            for c in clients.values():
                c.close()
