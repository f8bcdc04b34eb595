"""Who changed a sample's status (made / failed) and when: store revision 0013 adds them to
samples (null for old rows: not known), and backup / restore carry them (archives written
before restore without)."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from fluxtrap.errors import ConflictError
from fluxtrap.store import Store
from fluxtrap.store.backup import backup, restore
from fluxtrap.store.store import alembic_config

from ..conftest import assert_rows_kept, old_store, table_rows
from .test_backup import NAME, P, damage, fill, resigned


def test_migration_0013_keeps_old_samples_with_no_status_change_known(store_url):
    """Rows of 0012 are kept, with no who / when of their status; a change after the upgrade
    records both, and the downgrade to 0012 drops the columns and keeps every row."""
    old_store(store_url, "0012")
    before = table_rows(store_url)
    assert "status_changed_by" not in before["samples"][0]
    store = Store(store_url)  # upgrades to head
    assert_rows_kept(before, table_rows(store_url))
    b2 = store.sample(NAME, "B2")  # made from a used suggestion, at 0012
    assert (b2.status, b2.status_changed_by, b2.status_changed_at) == ("made", None, None)
    with pytest.raises(ConflictError) as err:  # nothing known: nobody named
        store.set_sample_status(NAME, "B2", "failed", expected="failed")
    assert "(changed since it was shown failed)" in str(err.value)
    store.add_sample(NAME, "B9", P, recorded_by="ana")
    failed = store.set_sample_status(NAME, "B9", "failed", changed_by="carol", note="cracked")
    assert failed.status_changed_by == "carol" and failed.status_changed_at is not None
    with pytest.raises(ConflictError, match=r"set by carol at .* UTC; changed since"):
        store.set_sample_status(NAME, "B9", "made", expected="made")
    store.engine.dispose()
    cfg = alembic_config(store_url)
    command.check(cfg)  # models and migrations agree at head
    command.downgrade(cfg, "0012")
    after = table_rows(store_url)
    assert "status_changed_by" not in after["samples"][1]
    assert [x["status"] for x in after["samples"]] == ["made", "failed"]
    engine = create_engine(store_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0012"
    engine.dispose()


def test_a_backup_carries_who_changed_a_sample_s_status_and_an_old_one_restores_without(
    tmp_path, store_url
):
    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    fill(source, NAME, "x")  # S1 marked failed by bob; B1, B3 never changed
    source.add_sample(NAME, "B4", P | {"dwell_time": 50}, recorded_by="ana")
    source.set_sample_status(NAME, "B4", "failed", changed_by="dave", note="chipped")
    was = {x.label: (x.status_changed_by, x.status_changed_at) for x in source.samples(NAME)}
    assert [was[k][0] for k in ("B1", "S1", "B3", "B4")] == [None, "bob", None, "dave"]
    backup(source, NAME, tmp_path / "k.zip")
    target = Store(store_url)  # SQLite, and PostgreSQL where one runs
    restore(target, tmp_path / "k.zip")
    got = {x.label: (x.status_changed_by, x.status_changed_at) for x in target.samples(NAME)}
    assert got == was
    with pytest.raises(ConflictError, match=r"set by dave at .* UTC; changed since"):
        target.set_sample_status(NAME, "B4", "made", expected="made")
    # an archive written before store revision 0013: no such columns; its samples restore
    # with none known, as the migration gives old rows
    drop = resigned(
        "samples",
        lambda docs, manifest: [
            (d.pop("status_changed_by"), d.pop("status_changed_at")) for d in docs
        ],
    )
    damage(tmp_path / "k.zip", tmp_path / "old.zip", drop)
    older = Store(f"sqlite:///{tmp_path / 'older.db'}")
    restore(older, tmp_path / "old.zip")
    assert [
        (x.label, x.status, x.status_changed_by, x.status_changed_at) for x in older.samples(NAME)
    ] == [(k, v, None, None) for k, v in (("B1", "made"), ("S1", "failed"), ("B3", "made"),
                                          ("B4", "failed"))]  # fmt: skip
    # hostile: a time that is no time, a name no user could have
    for column, value, said in (
        ("status_changed_at", "yesterday", "status_changed_at"),
        ("status_changed_by", "bob\x1b[2J", "status_changed_by"),
    ):
        edit = resigned("samples", lambda docs, m_, c=column, v=value: docs[0].update({c: v}))
        damage(tmp_path / "k.zip", tmp_path / "bad.zip", edit)
        fresh = Store(f"sqlite:///{tmp_path / f'bad-{column}.db'}")
        with pytest.raises(Exception, match=said):
            restore(fresh, tmp_path / "bad.zip")
        assert fresh.campaigns() == []
