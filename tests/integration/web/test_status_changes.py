"""Status changes that change nothing keep the record: who changed it, when, and why."""

from __future__ import annotations

from .conftest import NAME
from .test_api import P


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
    made = store.set_sample_status(NAME, "S1", "made", changed_by="dave", note="fine")
    assert made.status == "made" and made.status_note is None
    back = store.suggestion(sug.id)
    assert (back.status, back.status_changed_by, back.status_changed_at) == (
        "used", "ana", used.status_changed_at,
    )  # fmt: skip
    failed = store.set_sample_status(NAME, "S1", "failed", changed_by="eve", note="cracked")
    again = store.set_sample_status(NAME, "S1", "failed", changed_by="dave", note="other")
    assert (failed.status_note, again.status_note) == ("cracked", "cracked")
    assert store.suggestion(sug.id).status_changed_by == "eve"
