"""Who created a campaign and who changed a suggestion's status (migration 0003), through the
store, the CLI and an upgrade from 0002; SQLite always, PostgreSQL where one runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command

from fluxtrap.campaign import CampaignSpec
from fluxtrap.store import Store
from fluxtrap.store.store import alembic_config

from ..conftest import (
    EXAMPLES,
    OLD_TOKEN,
    assert_rows_kept,
    cli,
    old_store,
    table_rows,
)

NAME = "K-Ba122 SPS"
P = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}


def utc(t: datetime) -> datetime:
    """SQLite hands timestamps back without their zone (they are stored in UTC)."""
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def recent(t: datetime | None) -> bool:
    return t is not None and timedelta(0) <= datetime.now(UTC) - utc(t) < timedelta(minutes=5)


def test_campaign_records_its_creator(store_url):
    store = Store(store_url)
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    rec = store.create_campaign(spec, created_by="ana")
    assert (rec.name, rec.spec, rec.created_by) == (NAME, spec, "ana") and recent(rec.created_at)
    other = store.create_campaign(CampaignSpec.from_dict({**spec.to_dict(), "name": "anon"}))
    assert other.created_by is None
    assert [(c.name, c.created_by) for c in store.campaign_records()] == [
        (NAME, "ana"),
        ("anon", None),
    ]
    back = store.campaign_record(NAME)
    assert (back.spec, back.created_by, utc(back.created_at)) == (spec, "ana", utc(rec.created_at))
    assert store.campaign(NAME) == spec  # the spec alone, as before


def test_status_changes_record_who_and_when(store):
    a, b = store.add_suggestions(NAME, [P, {**P, "dwell_time": 6}], [0.4, 0.2], {}, seed=7,
                                 created_by="bob")  # fmt: skip
    assert (a.status, a.status_changed_by, a.status_changed_at) == ("open", None, None)
    rec = store.set_suggestion_status(b.id, "discarded", changed_by="carol")
    assert (rec.status, rec.status_changed_by, rec.created_by) == ("discarded", "carol", "bob")
    assert recent(rec.status_changed_at)
    back = store.suggestion(b.id)
    assert (back.status, back.status_changed_by) == ("discarded", "carol")
    assert utc(back.status_changed_at) == utc(rec.status_changed_at)

    # a sample made from a suggestion marks it used by whoever recorded the sample
    store.add_sample(NAME, "S1", P, origin="optimizer", suggestion_id=a.id, recorded_by="dave")
    used = store.suggestion(a.id)
    assert (used.status, used.status_changed_by) == ("used", "dave") and recent(
        used.status_changed_at
    )
    assert [(x.id, x.status, x.status_changed_by) for x in store.suggestions(NAME)] == [
        (a.id, "used", "dave"),
        (b.id, "discarded", "carol"),
    ]
    assert [x.status_changed_by for x in store.suggestions(NAME, "used")] == ["dave"]

    # reopening without naming anybody records that nobody was named, and when
    again = store.set_suggestion_status(b.id, "open")
    assert (again.status, again.status_changed_by) == ("open", None)
    assert utc(again.status_changed_at) >= utc(rec.status_changed_at)


def test_cli_records_who_created_the_campaign_and_used_the_suggestion(store_url, capsys):
    code, out, _ = cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"),
                       "--db", store_url, "--by", "ana")  # fmt: skip
    assert code == 0 and f"created campaign {NAME}" in out
    store = Store(store_url)
    assert store.campaign_record(NAME).created_by == "ana"
    (sug,) = store.add_suggestions(NAME, [P], [0.3], {}, seed=1, created_by="bob")
    code, _, err = cli(capsys, "sample", "add", "--db", store_url, "-c", NAME, "--label", "O1",
                       "--param", "ramp_rate=50", "--param", "max_temperature=600",
                       "--param", "dwell_time=5", "--from-suggestion", str(sug.id),
                       "--by", "dave")  # fmt: skip
    assert code == 0, err
    back = store.suggestion(sug.id)
    assert (back.status, back.status_changed_by) == ("used", "dave")
    assert recent(back.status_changed_at)
    assert store.sample(NAME, "O1").recorded_by == "dave"


def test_migration_0002_to_0003_keeps_the_data(store_url):
    """A database at 0002 with data, opened by this version: nothing lost, the new columns null."""
    cfg = alembic_config(store_url)
    old_store(store_url, "0002")
    before = table_rows(store_url)
    assert "created_by" not in before["campaigns"][0]

    new = Store(store_url)  # upgrades to head
    after = table_rows(store_url)
    assert_rows_kept(before, after)
    assert [r["created_by"] for r in after["campaigns"]] == [None]
    assert [(r["status_changed_by"], r["status_changed_at"]) for r in after["suggestions"]] == [
        (None, None),
        (None, None),
    ]
    assert new.campaign_record(NAME).created_by is None
    used, open_ = new.suggestions(NAME)
    assert (used.status, used.created_by, used.seed, used.status_changed_by) == (
        "used", "bob", 7, None,
    )  # fmt: skip
    assert new.sample(NAME, "B2").suggestion_id == used.id
    assert new.simulations()[0].error == "SolverError: stopped"
    assert new.user_by_token(OLD_TOKEN).name == "alice"
    # and the upgraded store records the new fields
    rec = new.set_suggestion_status(open_.id, "discarded", changed_by="carol")
    assert (rec.status_changed_by, recent(rec.status_changed_at)) == ("carol", True)
    new.engine.dispose()
    command.check(cfg)  # models and migrations agree at head
    command.downgrade(cfg, "0002")  # 0003 can be taken back without touching the rest
    down = table_rows(store_url)
    assert "created_by" not in down["campaigns"][0]
    assert down["suggestions"][1]["status"] == "discarded"
    down["suggestions"][1]["status"] = "open"
    assert down == before
