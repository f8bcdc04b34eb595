"""Failed samples and failed / abandoned suggestions (migration 0005): they free their point and
show in the history; SQLite always, PostgreSQL where one runs."""

from __future__ import annotations

import pytest
from alembic import command

from fluxtrap.errors import ValidationError
from fluxtrap.store import Store
from fluxtrap.store.store import alembic_config

from ..conftest import assert_rows_kept, old_store, table_rows

NAME = "K-Ba122 SPS"
P = {"ramp_rate": 50.0, "max_temperature": 600.0, "dwell_time": 5.0}


def test_failed_suggestion_fails_its_sample_and_shows_in_the_history(store):
    a, b, c = store.add_suggestions(
        NAME, [P, {**P, "dwell_time": 6.0}, {**P, "dwell_time": 7.0}], [0.1] * 3, {}, seed=1
    )
    store.add_sample(NAME, "S1", P, origin="optimizer", suggestion_id=a.id)
    rec = store.set_suggestion_status(a.id, "failed", changed_by="eve", note="cracked in the die")
    assert (rec.status, rec.status_changed_by, rec.status_note) == (
        "failed", "eve", "cracked in the die",
    )  # fmt: skip
    s1 = store.sample(NAME, "S1")
    assert (s1.status, s1.status_note) == ("failed", "cracked in the die")
    assert store.history(NAME).set_index("label").loc["S1", "status"] == "failed"
    # a sample was made from it: only used or failed make sense
    with pytest.raises(ValidationError, match="sample 'S1' was made from it.*not abandoned"):
        store.set_suggestion_status(a.id, "abandoned")
    store.set_suggestion_status(a.id, "used")  # a mistake undone: the sample is pending again
    assert (
        store.sample(NAME, "S1").status == "made" and store.sample(NAME, "S1").status_note is None
    )
    # never made: abandoned (given up) or failed (made but never recorded as a sample)
    assert store.set_suggestion_status(b.id, "abandoned").status == "abandoned"
    assert store.set_suggestion_status(c.id, "failed").status == "failed"
    assert [s.id for s in store.suggestions(NAME, "open")] == []
    with pytest.raises(ValidationError, match=f"suggestion {b.id} is abandoned, not open"):
        store.add_sample(NAME, "S2", {**P, "dwell_time": 6.0}, suggestion_id=b.id)


def test_a_researcher_sample_can_fail_and_its_suggestion_follows(store):
    store.add_sample(NAME, "R1", P)
    rec = store.set_sample_status(NAME, "R1", "failed", note="unmeasurable: 20 % porosity")
    assert (rec.status, rec.status_note) == ("failed", "unmeasurable: 20 % porosity")
    (sug,) = store.add_suggestions(NAME, [{**P, "dwell_time": 9.0}], [None], {}, seed=0)
    store.add_sample(NAME, "O1", {**P, "dwell_time": 9.0}, suggestion_id=sug.id)
    store.set_sample_status(NAME, "O1", "failed", changed_by="ana")
    assert (store.suggestion(sug.id).status, store.suggestion(sug.id).status_changed_by) == (
        "failed", "ana",
    )  # fmt: skip
    store.set_sample_status(NAME, "O1", "made")
    assert store.suggestion(sug.id).status == "used"
    with pytest.raises(ValidationError, match="sample status 'broken' is not one of made, failed"):
        store.set_sample_status(NAME, "R1", "broken")
    with pytest.raises(ValidationError, match="at most 500"):
        store.set_sample_status(NAME, "R1", "failed", note="x" * 501)
    assert store.sample(NAME, "R1").status_note == "unmeasurable: 20 % porosity"  # unchanged


def test_a_measured_sample_is_not_marked_failed_by_any_way(store):
    """Failed means never to be measured, so a sample with objective values marked failed was a
    contradiction: left out of the model, yet listed with its values. Marking it failed, itself
    or through its suggestion, and recording one failed with values are refused naming the
    values; nothing changes."""
    (sug,) = store.add_suggestions(NAME, [P], [0.1], {}, seed=1)
    store.add_sample(NAME, "S1", P, suggestion_id=sug.id, objectives={"jc_3T": "2.5e4 A/cm^2"})
    said = "has jc_3T = 25000 A/cm²: a measured sample is not marked failed"
    with pytest.raises(ValidationError, match=f"sample 'S1' {said}"):
        store.set_sample_status(NAME, "S1", "failed", note="cracked")
    with pytest.raises(ValidationError, match=f"suggestion {sug.id}: its sample 'S1' {said}"):
        store.set_suggestion_status(sug.id, "failed", note="cracked")
    assert (store.sample(NAME, "S1").status, store.suggestion(sug.id).status) == ("made", "used")
    row = {"label": "S2", "params": {**P, "dwell_time": 6.0}, "status": "failed"}
    with pytest.raises(ValidationError, match="status failed with values of jc_3T"):
        store.add_samples(NAME, [{**row, "objectives": {"jc_3T": 3e8}}])
    assert [x.label for x in store.samples(NAME)] == ["S1"]
    assert store.add_samples(NAME, [row])[0].status == "failed"  # unmeasured: taken


def test_migration_0004_to_0005_keeps_the_data(store_url):
    cfg = alembic_config(store_url)
    old_store(store_url, "0004_calibrations")
    before = table_rows(store_url)
    new = Store(store_url)  # upgrades to head
    after = table_rows(store_url)
    assert_rows_kept(before, after)
    assert [(r["status"], r["status_note"]) for r in after["samples"]] == [("made", None)]
    assert [r["status_note"] for r in after["suggestions"]] == [None, None]
    used, _ = new.suggestions(NAME)
    with pytest.raises(ValidationError, match="its sample 'B2' has jc_3T"):  # measured
        new.set_suggestion_status(used.id, "failed", note="cracked")
    new.add_sample(NAME, "B3", P)
    assert new.set_sample_status(NAME, "B3", "failed", note="cracked").status == "failed"
    new.engine.dispose()
    command.check(cfg)  # models and migrations agree at head
    command.downgrade(cfg, "0004_calibrations")
    down = table_rows(store_url)
    assert "status" not in down["samples"][0] and "status_note" not in down["suggestions"][0]


@pytest.mark.parametrize(
    "row",
    [{"notes": "a\x00b"}, {"recorded_by": "a\x00b"}, {"status": "failed", "status_note": "a\x00b"}],
)
def test_a_nul_in_a_samples_text_is_refused_by_name_on_every_backend(store, row):
    """SQLite kept a NUL in a note; PostgreSQL refused it as 'the store refused a value', naming
    neither the file line nor the sample."""
    with pytest.raises(ValidationError, match=r"h.csv, line 2 \(sample 'x'\): .*NUL"):
        store.add_samples(NAME, [{"label": "x", "params": P, "where": "h.csv, line 2", **row}])
    assert store.samples(NAME) == []
    store.add_sample(NAME, "y", P)
    with pytest.raises(ValidationError, match="status note: holds a NUL character"):
        store.set_sample_status(NAME, "y", "failed", note="a\x00b")
