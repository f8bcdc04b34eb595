"""Accounts in the store (migration 0006): token expiry, revocation, rotation, the admin
role; on SQLite and, where available, PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from fluxtrap.errors import ConflictError, NotFoundError, ValidationError
from fluxtrap.store import Store
from fluxtrap.store.store import MAX_TOKEN, alembic_config

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

    store.rotate_token(
        "ana", "ana-old-token-0123456789", expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    assert store.user_by_token("ana-old-token-0123456789") is None  # expired
    users = {u.name: u for u in store.users()}
    assert set(users) == {"ana", "ben"} and not users["ana"].active() and users["ben"].active()
    with pytest.raises(NotFoundError, match="no user named 'cy'"):
        store.revoke_user("cy")
    with pytest.raises(ValidationError, match="role 'root' is not one of reader, writer, admin"):
        store.add_user("cy", "root", "cy-token")
    with pytest.raises(ValidationError, match=r"'wrtier' is not one of .* \(did you mean 'writer'"):
        store.add_user("cy", "wrtier", "cy-token")  # the near miss was not named
    with pytest.raises(ValidationError, match=r"^role 'xxxxx[^ ]{195}' is not one of"):
        store.add_user("cy", "x" * 10_000, "cy-token")  # was echoed whole


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
    for _ in range(2):  # logged in twice to the dashboard
        store.start_session(new)
    code, out, _ = cli(capsys, "user", "list", "--db", db)
    assert code == 0 and re.search(r"ana .*admin.* active +│ +2 ", out), out
    assert cli(capsys, "user", "revoke", "ana", "--db", db)[0] == 0
    assert store.user_by_token(new) is None
    code, out, _ = cli(capsys, "user", "list", "--db", db)
    assert code == 0 and re.search(r"ana .*admin.* revoked +│ +0 ", out), out
    code, _, err = cli(capsys, "user", "add", "ANA", "--db", db)
    assert code == 2 and "user 'ANA' already exists as 'ana'" in " ".join(err.split())
    code, _, err = cli(capsys, "user", "add", "bo", "--expires", "9**9**9 d", "--db", db)
    assert code == 2 and "--expires" in err
    code, _, err = cli(capsys, "user", "add", "bo", "--expires", "-1 d", "--db", db)
    assert code == 2 and "must be > 0" in err


def old_user(store: Store, name: str, token: str) -> None:
    """A user row as a fluxtrap before names were compared alike wrote it."""
    from fluxtrap.store import models as m
    from fluxtrap.store.store import _token_hash

    with store.transaction() as s:
        s.add(m.User(name=name, role="writer", token_hash=_token_hash(token)))


def test_a_user_name_alike_a_taken_one_is_refused(store_url):
    """Names were compared exactly: "Alice" beside "alice", "élodie" typed as e + U+0301, a
    full-width "ａｌｉｃｅ" or "alice" + a zero-width space were new users that every record and
    page shows as the taken one (a spoof). They are refused now, as new sample labels are."""
    store = Store(store_url)
    store.add_user("alice", "writer", "alice-token-0123456789")
    store.add_user("élodie", "reader", "elodie-token-0123456789")
    for name, error, says in (
        ("alice", ConflictError, "user 'alice' already exists"),
        (
            "Alice",
            ConflictError,
            "user 'Alice' already exists as 'alice' (the same text in another",
        ),
        ("ＡＬＩＣＥ", ConflictError, "user 'ＡＬＩＣＥ' already exists as 'alice'"),
        ("e\u0301lodie", ConflictError, "already exists as 'élodie'"),
        (
            "alice\u200b",
            ValidationError,
            "user name 'alice\\u200b': use 1 to 200 characters without / \\",
        ),
        ("al/ice", ValidationError, "user name 'al/ice': use 1 to 200"),
        (" ", ValidationError, "user name ' ': use 1 to 200"),
    ):
        with pytest.raises(error, match=re.escape(says)):
            store.add_user(name, "admin", "a-new-token-0123456789")
    assert [u.name for u in store.users()] == ["alice", "élodie"]


def test_alike_users_stored_before_keep_working(store_url):
    """A store may hold "alice" and "Alice" from before: each logs in with its own token and is
    revoked or rotated by its exact name; a third alike name is refused."""
    store = Store(store_url)
    old_user(store, "alice", "lower-token-0123456789")
    old_user(store, "Alice", "upper-token-0123456789")
    assert store.user_by_token("lower-token-0123456789").name == "alice"
    assert store.user_by_token("upper-token-0123456789").name == "Alice"
    store.revoke_user("Alice")
    assert store.user_by_token("upper-token-0123456789") is None
    assert store.user_by_token("lower-token-0123456789").name == "alice"
    store.rotate_token("Alice", "upper-new-token-0123456789")
    assert store.user_by_token("upper-new-token-0123456789").name == "Alice"
    with pytest.raises(ConflictError, match="user 'ALICE' already exists as '(a|A)lice'"):
        store.add_user("ALICE", "admin", "third-token-0123456789")
    assert sorted(u.name for u in store.users()) == ["Alice", "alice"]


def test_two_admins_adding_alike_users_at_once_store_one(store_url, monkeypatch):
    """Two connections adding "Alice" and "alice" at once: each checked the names before the
    other's insert was committed, and PostgreSQL's unique index compares exact text, so both
    were stored. The check and the insert hold the user names' advisory lock now."""
    import fluxtrap.store.store as store_module

    from .test_store import _first_waits_for_second

    Store(store_url)  # migrated before the two connections race
    outcome = _first_waits_for_second(
        monkeypatch,
        store_module,
        "_user_record",
        lambda u: u.name == "Alice",
        lambda: Store(store_url).add_user("Alice", "writer", "upper-token-0123456789"),
        lambda: Store(store_url).add_user("alice", "admin", "lower-token-0123456789"),
    )
    assert outcome["first"] == "stored"
    assert "user 'alice' already exists as 'Alice'" in outcome["second"]
    assert [u.name for u in Store(store_url).users()] == ["Alice"]


# -- dashboard sessions (migration 0010) ---------------------------------------------------------
def _expire(store: Store, session_id: str) -> None:
    """Move the session's end into the past, as if its time had run out."""
    from sqlalchemy import update

    from fluxtrap.store import models as m
    from fluxtrap.store.store import _token_hash

    with store.transaction() as s:
        s.execute(
            update(m.WebSession)
            .where(m.WebSession.id_hash == _token_hash(session_id))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )


def test_a_session_lasts_its_lifetime_or_to_the_tokens_expiry_and_is_refused_after(store_url):
    from fluxtrap.store.store import SESSION_LIFETIME

    store = Store(store_url)
    soon = datetime.now(UTC) + timedelta(hours=1)
    store.add_user("ana", "writer", "ana-token-0123456789", expires_at=soon)
    store.add_user("ben", "reader", "ben-token-0123456789")
    ana = store.start_session("ana-token-0123456789")
    ben = store.start_session("ben-token-0123456789")
    assert abs(ana.expires_at - soon) < timedelta(seconds=1)  # the token's end comes first
    assert abs(ben.expires_at - (datetime.now(UTC) + SESSION_LIFETIME)) < timedelta(seconds=5)
    assert ana.session_id != "ana-token-0123456789" and len(ben.session_id) >= 43
    assert store.user_by_session(ana.session_id).name == "ana"
    assert store.user_by_session("ana-token-0123456789") is None  # the token is no session
    assert store.start_session("wrong-token") is None and store.session_count() == 2
    _expire(store, ben.session_id)
    assert store.user_by_session(ben.session_id) is None
    assert store.user_by_session(ana.session_id).name == "ana"
    store.start_session("ana-token-0123456789")  # a login purges every user's expired sessions
    assert (store.session_count("ben"), store.session_count("ana")) == (0, 2)


def test_revoking_a_user_or_rotating_their_token_ends_their_sessions(store_url):
    """Revoked, then given a new token: the session started before the revocation stays
    ended (it would have come back with the user had it only been refused while revoked)."""
    store = Store(store_url)
    store.add_user("ana", "writer", "ana-token-0123456789")
    store.add_user("ben", "writer", "ben-token-0123456789")
    ana = store.start_session("ana-token-0123456789").session_id
    ben = store.start_session("ben-token-0123456789").session_id
    store.revoke_user("ana")
    assert store.session_count("ana") == 0 and store.user_by_session(ana) is None
    store.rotate_token("ana", "ana-new-token-0123456789")
    assert store.user_by_session(ana) is None
    store.rotate_token("ben", "ben-new-token-0123456789")
    assert store.user_by_session(ben) is None and store.session_count() == 0
    again = store.start_session("ana-new-token-0123456789").session_id
    assert store.user_by_session(again).name == "ana"
    assert store.end_session(again) and not store.end_session(again)
    assert store.user_by_session(again) is None


def test_a_users_sessions_are_capped_the_oldest_ended_first(store_url):
    """A login storm keeps at most MAX_SESSIONS per user: each login beyond ends the oldest."""
    from fluxtrap.store.store import MAX_SESSIONS

    store = Store(store_url)
    store.add_user("ana", "writer", "ana-token-0123456789")
    store.add_user("ben", "writer", "ben-token-0123456789")
    ben = store.start_session("ben-token-0123456789").session_id
    ids = [store.start_session("ana-token-0123456789").session_id for _ in range(MAX_SESSIONS + 5)]
    assert (store.session_count("ana"), store.session_count("ben")) == (MAX_SESSIONS, 1)
    alive = [store.user_by_session(i) is not None for i in ids]
    assert alive == [False] * 5 + [True] * MAX_SESSIONS  # the five oldest ended
    assert store.user_by_session(ben).name == "ben"  # another user's are not touched


def test_migration_0010_adds_sessions_to_a_store_of_0009(store_url):
    from alembic import command

    old_store(store_url, "0009")
    before = table_rows(store_url)
    store = Store(store_url)  # upgrades to head
    after = table_rows(store_url)
    assert_rows_kept(before, after)
    assert after["web_sessions"] == []
    session = store.start_session(OLD_TOKEN).session_id  # the old user logs in
    assert store.user_by_session(session).name == "alice"
    store.engine.dispose()
    cfg = alembic_config(store_url)
    command.check(cfg)  # models and migrations agree at head
    command.downgrade(cfg, "0009")
    assert "web_sessions" not in table_rows(store_url)
    command.upgrade(cfg, "head")


def test_a_token_another_user_has_is_refused_without_naming_them(store_url):
    """add_user or rotate_token with a token another user has said the database's "UNIQUE
    constraint failed: users.token_hash" (PostgreSQL's also quoted the hash): a ConflictError
    now says so without naming the user, nothing changed."""
    store = Store(store_url)
    store.add_user("ana", "admin", "ana-token-0123456789")
    store.add_user("ben", "writer", "ben-token-0123456789")
    for change in (
        lambda: store.add_user("cy", "writer", "ana-token-0123456789"),
        lambda: store.rotate_token("ben", "ana-token-0123456789"),
    ):
        with pytest.raises(ConflictError) as caught:
            change()
        said = str(caught.value)
        assert said.startswith("the store refused the token: another user has it"), said
        assert "ana" not in said and "token_hash" not in said, said
    assert [u.name for u in store.users()] == ["ana", "ben"]
    assert store.user_by_token("ana-token-0123456789").name == "ana"
    assert store.user_by_token("ben-token-0123456789").name == "ben"  # ben's token unchanged


def test_a_token_rotated_to_itself_is_refused(store_url):
    """rotate_token with the user's current token ended their sessions and kept the token,
    which may have leaked, working; it is refused now, naming the user, the store unchanged."""
    store = Store(store_url)
    store.add_user("ana", "writer", "ana-token-0123456789")
    store.revoke_user("ana")
    store.add_user("ben", "writer", "ben-token-0123456789")
    assert store.start_session("ben-token-0123456789") is not None
    for name, token in (("ana", "ana-token-0123456789"), ("ben", "ben-token-0123456789")):
        before = table_rows(store_url)
        with pytest.raises(ValidationError, match=f"user '{name}': the new token is the one"):
            store.rotate_token(name, token)
        assert table_rows(store_url) == before


def test_a_token_no_http_header_can_carry_is_refused(store_url):
    """add_user and rotate_token took any text as a token: one with "é" or a U+202E could never
    be sent in an Authorization header (httpx refuses it; curl's UTF-8 bytes arrive Latin-1
    decoded and miss), so the API never took it. Printable ASCII only now, the store unchanged."""
    store = Store(store_url)
    store.add_user("ana", "writer", "ana-token-0123456789")
    before = table_rows(store_url)
    for change in (
        lambda: store.add_user("ben", "writer", "café-token-0123456789"),
        lambda: store.rotate_token("ana", "ana-\u202etoken-0123456789"),
        lambda: store.rotate_token("ana", "ana-token-0123456789\tx"),
    ):
        with pytest.raises(
            ValidationError, match=r"printable ASCII .* \(got U\+(00E9|202E|0009) at"
        ):
            change()
        assert table_rows(store_url) == before
    with pytest.raises(UnicodeEncodeError):  # why: the token cannot be sent
        httpx.Headers({"Authorization": "Bearer café-token-0123456789"})


def test_a_token_longer_than_a_header_should_carry_is_refused(store_url):
    """add_user and rotate_token took a token of any length (a 100 000-character one is no
    header's, and each request hashed it); at most MAX_TOKEN now, the store unchanged, and a
    longer one is not looked up."""
    store = Store(store_url)
    store.add_user("ana", "writer", "a" * MAX_TOKEN)
    before = table_rows(store_url)
    for change in (
        lambda: store.add_user("ben", "writer", "b" * (MAX_TOKEN + 1)),
        lambda: store.rotate_token("ana", "c" * 100_000),
    ):
        with pytest.raises(ValidationError, match=rf"a token is at most {MAX_TOKEN} characters"):
            change()
        assert table_rows(store_url) == before
    assert store.user_by_token("a" * MAX_TOKEN).name == "ana"
    assert store.user_by_token("a" * (MAX_TOKEN + 1)) is None
    assert store.start_session("c" * 100_000) is None


def test_revoking_a_user_cancels_their_pending_jobs(store_url, tmp_path, capsys):
    """`fluxtrap user revoke` ended a user's sessions but their dashboard jobs, queued or
    running, ran on until an admin cancelled each (the web route cancelled them, the CLI not);
    the store cancels them in one transaction, other users' and finished jobs left alone."""
    from fluxtrap.web.pages import EXAMPLE_CASE

    store = Store(store_url)
    for name in ("ana", "ben"):
        store.add_user(name, "writer", f"{name}-token-0123456789")
    done = store.add_job("done", EXAMPLE_CASE, "ana", per_user=5, total=9)
    store.cancel_job(done.id, "ana")  # finished before: not cancelled again
    jobs = [store.add_job("a1", EXAMPLE_CASE, "ana", per_user=5, total=9)]
    assert store.claim_job("runner-1").id == jobs[0].id  # running
    jobs += [store.add_job(t, EXAMPLE_CASE, who, per_user=5, total=9)
             for t, who in (("a2", "ana"), ("b1", "ben"))]  # fmt: skip
    code, out, err = cli(capsys, "user", "revoke", "ana", "--db", store_url)
    assert code == 0, err
    assert "2 queued or running job(s) cancelled" in " ".join(out.split())
    status = {j.id: (j.status, j.error) for j in store.jobs()}
    said = "cancelled by fluxtrap user revoke: ana's token was revoked"
    assert status[jobs[0].id] == status[jobs[1].id] == ("cancelled", said)
    assert status[jobs[2].id][0] == "queued" and status[done.id][1] == "cancelled by ana"
