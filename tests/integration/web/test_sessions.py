"""Dashboard sessions (migration 0010): the cookie holds a server-side session's id, never the
API token, and a logout, a revocation or the token's expiry ends the session, so a copied
cookie is refused afterwards on the pages and the API alike."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from fluxtrap.cli import run
from fluxtrap.store import models as m
from fluxtrap.store.store import SESSION_LIFETIME, _token_hash
from fluxtrap.web.auth import COOKIE, csrf_token

from .conftest import NAME, TOKENS, auth

C = f"/api/campaigns/{NAME}"
SAMPLE = {"label": "S1", "params": {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}}


def log_in(client, user: str) -> str:
    """Log ``user`` in through the login form; the session cookie's value."""
    r = client.post("/login", data={"token": TOKENS[user], "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.cookies[COOKIE]


def use(client, session: str) -> None:
    """Send ``session`` as the client's only session cookie from now on."""
    client.cookies.clear()
    client.cookies.set(COOKIE, session)


def page_csrf(client) -> str:
    """The CSRF token the dashboard's home page shows its scripts."""
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get("/").text).group(1)


def refused(client, session: str) -> None:
    """``session`` opens no page (a redirect to the login page), and the API answers 401 to a
    read and to a write that carries the session's CSRF token."""
    use(client, session)
    page = client.get("/", follow_redirects=False)
    assert (page.status_code, page.headers.get("location")) == (303, "/login?next=%2F")
    me = client.get("/api/me")
    assert me.status_code == 401 and "log in again" in me.json()["detail"], me.text
    write = client.post(f"{C}/samples", json=SAMPLE, headers={"X-CSRF-Token": csrf_token(session)})
    assert write.status_code == 401, write.text


def test_the_cookie_holds_a_session_id_and_the_csrf_token_derives_from_it(lab):
    r = lab.client.post("/login", data={"token": TOKENS["alice"]}, follow_redirects=False)
    cookie = r.headers["set-cookie"]
    session = r.cookies[COOKIE]
    assert TOKENS["alice"] not in cookie and session != TOKENS["alice"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    max_age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))
    assert SESSION_LIFETIME.total_seconds() - 60 < max_age <= SESSION_LIFETIME.total_seconds()
    assert lab.store.user_by_session(session).name == "alice"
    assert lab.store.session_count("alice") == 1
    assert lab.client.get("/api/me").json() == {"name": "alice", "role": "writer"}
    assert page_csrf(lab.client) == csrf_token(session) != csrf_token(TOKENS["alice"])
    # the API token itself is no session cookie
    refused(lab.client, TOKENS["alice"])


def test_after_logout_the_replayed_cookie_is_refused_on_pages_and_api(any_lab):
    lab = any_lab  # SQLite, and PostgreSQL where one runs
    session = log_in(lab.client, "alice")
    other = lab.store.start_session(TOKENS["alice"]).session_id  # her second browser's
    csrf = page_csrf(lab.client)
    ok = lab.client.post(f"{C}/samples", json=SAMPLE, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201, ok.text
    r = lab.client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    assert f'{COOKIE}=""' in r.headers["set-cookie"]  # the browser drops it
    refused(lab.client, session)  # a copy kept from before is refused: the session is gone
    assert lab.store.session_count("alice") == 1  # her other browser's
    assert lab.store.user_by_session(other).name == "alice"
    assert [s.label for s in lab.store.samples(NAME)] == ["S1"]


@pytest.mark.parametrize("data", [{"csrf": csrf_token(TOKENS["alice"])}, {}], ids=["wrong", "none"])
def test_logout_needs_the_sessions_csrf_token_and_keeps_the_session_without_it(lab, data):
    """A 403 page, as any other write with the cookie and without the page's token (was 422)."""
    session = log_in(lab.client, "alice")
    r = lab.client.post("/logout", data=data)
    assert r.status_code == 403 and "CSRF token is missing or wrong" in r.text
    assert r.headers["content-type"].startswith("text/html")
    assert lab.store.user_by_session(session).name == "alice"


def test_logging_in_again_ends_the_browsers_previous_session(lab):
    """The cookie a browser sends with a new login is replaced, and its session ended: a copy
    of it is refused (it stayed valid for its 12 hours)."""
    before = log_in(lab.client, "alice")
    after = log_in(lab.client, "alice")  # the client sends ``before`` with this login
    assert before != after and lab.store.session_count("alice") == 1
    refused(lab.client, before)
    use(lab.client, after)
    assert lab.client.get("/api/me").json()["name"] == "alice"


def test_revoking_the_user_with_the_cli_ends_their_sessions(any_lab, capsys):
    """`fluxtrap user revoke` ends rita's sessions at once; `user rotate` then gives her a
    token, and her old cookie stays refused; alice's session is untouched."""
    lab = any_lab
    rita = log_in(lab.client, "rita")
    lab.client.cookies.clear()  # alice logs in from another browser
    alice = log_in(lab.client, "alice")
    assert lab.store.session_count("rita") == 1
    db = lab.store.url
    assert run(["user", "revoke", "rita", "--db", db]) == 0
    refused(lab.client, rita)
    assert lab.store.session_count("rita") == 0
    assert run(["user", "rotate", "rita", "--db", db]) == 0
    capsys.readouterr()  # the new token printed
    refused(lab.client, rita)
    use(lab.client, alice)
    assert lab.client.get("/api/me").json()["name"] == "alice"


def test_an_expired_session_is_refused(lab):
    session = log_in(lab.client, "alice")
    with lab.store.transaction() as s:
        s.execute(
            update(m.WebSession)
            .where(m.WebSession.id_hash == _token_hash(session))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    refused(lab.client, session)


def test_a_login_storm_keeps_at_most_the_cap_of_sessions(any_lab):
    lab = any_lab
    from fluxtrap.store.store import MAX_SESSIONS

    first = log_in(lab.client, "bob")
    for _ in range(MAX_SESSIONS):  # each from a new browser: no cookie sent along
        lab.client.cookies.clear()
        log_in(lab.client, "bob")
    assert lab.store.session_count("bob") == MAX_SESSIONS
    refused(lab.client, first)  # the oldest was ended


@pytest.mark.parametrize("user", ["alice", "rita"])
def test_bearer_tokens_work_as_before_beside_sessions(lab, user):
    log_in(lab.client, user)
    lab.client.cookies.clear()
    me = lab.client.get("/api/me", headers=auth(user))
    assert me.json()["name"] == user and lab.store.session_count(user) == 1
