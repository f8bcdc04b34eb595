"""Accounts in the store (migration 0006): token expiry, revocation, rotation, the admin
role; on SQLite and, where available, PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fluxtrap.errors import NotFoundError, ValidationError
from fluxtrap.store import Store
from fluxtrap.store.store import alembic_config

from ..conftest import OLD_TOKEN, assert_rows_kept, cli, old_store, table_rows


def test_revoke_rotate_and_expiry(store_url):
    store = Store(store_url)
    soon = datetime.now(UTC) + timedelta(hours=1)
    store.add_user("ana", "admin", "ana-token-0123456789", expires_at=soon)
    store.add_user("ben", "writer", "ben-token-0123456789")
    ana = store.user_by_token("ana-token-0123456789")
    assert (ana.role, abs(ana.expires_at - soon) < timedelta(seconds=1)) == ("admin", True)

    store.revoke_user("ben")
    assert store.user_by_token("ben-token-0123456789") is None
    rec = store.rotate_token("ben", "ben-new-token-0123456789")
    assert rec.revoked_at is None and rec.active()
    assert store.user_by_token("ben-token-0123456789") is None  # the old token is gone
    assert store.user_by_token("ben-new-token-0123456789").name == "ben"

    store.rotate_token("ana", "ana-old-token", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert store.user_by_token("ana-old-token") is None  # expired
    users = {u.name: u for u in store.users()}
    assert set(users) == {"ana", "ben"} and not users["ana"].active() and users["ben"].active()
    with pytest.raises(NotFoundError, match="no user named 'cy'"):
        store.revoke_user("cy")
    with pytest.raises(ValidationError, match="role 'root' is not one of reader, writer, admin"):
        store.add_user("cy", "root", "cy-token")


def test_migration_0003_to_head_keeps_users_and_their_tokens(store_url):
    from alembic import command

    old_store(store_url, "0003")
    before = table_rows(store_url)
    new = Store(store_url)  # upgrades to head
    after = table_rows(store_url)
    assert_rows_kept(before, after)
    assert [(r["expires_at"], r["revoked_at"]) for r in after["users"]] == [(None, None)]
    assert new.user_by_token(OLD_TOKEN).name == "alice"  # an old token never expires
    new.revoke_user("alice")
    new.engine.dispose()
    cfg = alembic_config(store_url)
    command.check(cfg)  # models and migrations agree at head
    command.downgrade(cfg, "0003")
    assert "revoked_at" not in table_rows(store_url)["users"][0]


def test_user_commands(tmp_path, capsys):
    import re

    db = str(tmp_path / "lab.db")
    code, out, _ = cli(
        capsys, "user", "add", "ana", "--role", "admin", "--expires", "30 d", "--db", db
    )
    token = re.search(r"token: (\S+)", out).group(1)
    assert code == 0 and "expires 20" in out
    store = Store(db)
    assert store.user_by_token(token).role == "admin"
    code, out, _ = cli(capsys, "user", "rotate", "ana", "--db", db)
    new = re.search(r"new token: (\S+)", out).group(1)
    assert code == 0 and store.user_by_token(token) is None and store.user_by_token(new)
    assert cli(capsys, "user", "revoke", "ana", "--db", db)[0] == 0
    assert store.user_by_token(new) is None
    code, out, _ = cli(capsys, "user", "list", "--db", db)
    assert code == 0 and re.search(r"ana .*admin.*revoked", out)
    code, _, err = cli(capsys, "user", "add", "bo", "--expires", "9**9**9 d", "--db", db)
    assert code == 2 and "--expires" in err
    code, _, err = cli(capsys, "user", "add", "bo", "--expires", "-1 d", "--db", db)
    assert code == 2 and "must be > 0" in err
