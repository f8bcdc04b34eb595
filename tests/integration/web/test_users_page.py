"""The users page (admins): the users with their token state, last login and pending jobs; add a
user (the token given once), change a role, revoke (the jobs it cancels said); the last active
admin cannot lock everyone out; hostile names are refused or shown as text."""

from __future__ import annotations

import re
from contextlib import suppress

import pytest
from fastapi.testclient import TestClient

from fluxtrap.store import Store
from fluxtrap.web import create_app
from fluxtrap.web.auth import COOKIE, csrf_token
from fluxtrap.web.pages import EXAMPLE_CASE

from .conftest import auth, login, make_store

ROOT = "root-token-0123456789"


def as_root(client: TestClient, store) -> dict[str, str]:
    """Log ``client`` in as the admin root: the CSRF header its page's forms send."""
    session = store.start_session(ROOT).session_id
    client.cookies.set(COOKIE, session)
    return {"X-CSRF-Token": csrf_token(session)}


@pytest.fixture
def admin_lab(tmp_path):
    """A store with the writers alice and bob, the reader rita and the admin root; the app
    without its job workers (queued jobs stay queued)."""
    store = make_store(f"sqlite:///{tmp_path / 'lab.db'}")
    store.add_user("root", "admin", ROOT)
    return store, TestClient(create_app(store))


def test_an_admin_adds_a_user_whose_token_is_given_once(admin_lab):
    store, client = admin_lab
    csrf = as_root(client, store)
    body = {"name": "carol", "role": "reader", "expires": "90 d"}
    assert client.post("/api/users", json=body).status_code == 403  # no CSRF header
    r = client.post("/api/users", json=body, headers=csrf)
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    token, user = r.json()["token"], r.json()["user"]
    assert (user["name"], user["role"], user["active"]) == ("carol", "reader", True)
    assert user["expires_at"] is not None
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json() == {"name": "carol", "role": "reader"}
    again = client.post("/api/users", json=body, headers=csrf)  # a double submit
    assert again.status_code == 409 and "already exists" in again.json()["detail"]
    page = client.get("/users")
    assert page.status_code == 200 and "carol" in page.text and token not in page.text
    for expires in ("0 s", "200 years", "soon"):
        r = client.post("/api/users", json={"name": "dora", "expires": expires}, headers=csrf)
        assert r.status_code == 422 and "expires" in r.json()["detail"], r.text
    assert [u.name for u in store.users()] == ["alice", "bob", "carol", "rita", "root"]


def test_the_users_page_is_for_admins_only(admin_lab):
    store, client = admin_lab
    r = client.get("/users", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fusers"
    for name in ("rita", "alice"):
        client.cookies.set(COOKIE, login(store, name))
        r = client.get("/users")
        assert r.status_code == 403 and f"user &#39;{name}&#39; is not an admin" in r.text
        assert 'href="/users"' not in client.get("/").text
        refused = client.post("/api/users", json={"name": "eve"}, headers=auth(name))
        assert refused.status_code == 403
    as_root(client, store)
    assert 'href="/users"' in client.get("/").text
    assert [u.name for u in store.users()] == ["alice", "bob", "rita", "root"]


def test_the_page_counts_each_users_pending_jobs_and_a_revocation_cancels_them(admin_lab):
    store, client = admin_lab
    for title in ("one", "two"):
        store.add_job(title, EXAMPLE_CASE, "bob", per_user=5, total=5)
    store.claim_job("elsewhere:1:0001")  # bob's first: running
    csrf = as_root(client, store)
    bob = row(client.get("/users").text, "bob")
    assert re.search(r'<td class="num">1</td><td class="num">1</td>', bob)
    assert 'data-jobs="2"' in bob and "data-self" not in bob
    assert 'data-self="1"' in row(client.get("/users").text, "root")
    r = client.post("/api/users/bob/revoke", headers=csrf)
    assert r.status_code == 200 and r.json()["jobs_cancelled"] == 2
    again = client.post("/api/users/bob/revoke", headers=csrf)  # a double submit: nothing more
    assert again.status_code == 200 and again.json()["jobs_cancelled"] == 0
    bob = row(client.get("/users").text, "bob")
    assert "revoked" in bob and "data-revoke" not in bob
    assert store.pending_job_counts() == {}


def row(page: str, name: str) -> str:
    """The users table's row of ``name`` in the page's HTML."""
    return re.search(rf'<tr data-user="{re.escape(name)}">.*?</tr>', page, re.S)[0]


def test_a_role_is_changed_and_an_unknown_one_refused_naming_the_near_miss(admin_lab):
    store, client = admin_lab
    csrf = as_root(client, store)
    for _ in range(2):  # a double submit changes nothing more
        r = client.put("/api/users/rita/role", json={"role": "writer"}, headers=csrf)
        assert r.status_code == 200 and r.json()["role"] == "writer"
    r = client.put("/api/users/rita/role", json={"role": "wrtier"}, headers=csrf)
    assert r.status_code == 422 and "did you mean 'writer'" in r.json()["detail"]
    r = client.put("/api/users/rita/role", json={"role": "x" * 10_000}, headers=csrf)
    assert r.status_code == 422 and len(r.content) < 2000
    assert (
        client.put("/api/users/nobody/role", json={"role": "reader"}, headers=csrf).status_code
        == 404
    )
    added = client.post("/api/users", json={"name": "dan", "role": "superuser"}, headers=csrf)
    assert added.status_code == 422 and "role 'superuser' is not one of" in added.json()["detail"]
    assert {u.name: u.role for u in store.users()}["rita"] == "writer"
    assert "dan" not in {u.name for u in store.users()}


@pytest.mark.parametrize(
    "name, status, said",
    [
        ("\u0430lice", 422, "mixes cyrillic and latin letters"),  # a Cyrillic а
        ("\uff21\uff2c\uff29\uff23\uff25", 409, "as 'alice'"),  # full-width ＡＬＩＣＥ
        ("ALICE", 409, "as 'alice'"),
        ("ali\u202ece", 422, "U+202E"),
        ("x" * 10_000, 422, "at most 200 characters"),
        ("a/b", 422, "without /"),
        (" bob", 422, "spaces around it"),
    ],
)
def test_a_name_that_looks_like_another_or_hides_characters_is_refused(
    admin_lab, name, status, said
):
    store, client = admin_lab
    r = client.post("/api/users", json={"name": name}, headers=as_root(client, store))
    assert r.status_code == status and said in r.text, r.text
    assert len(r.content) < 2000  # a 10 kB name is not echoed whole
    assert len(store.users()) == 4


def test_markup_in_a_name_is_shown_as_text(admin_lab):
    store, client = admin_lab
    name = "<img src=x onerror=alert(1)>"
    r = client.post("/api/users", json={"name": name}, headers=as_root(client, store))
    assert r.status_code == 201
    page = client.get("/users").text
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_last_active_admin_cannot_revoke_or_demote_themselves(store_url):
    """On SQLite and PostgreSQL: refused with why (409), nothing changed; with a second admin
    either may step down, and the one left is the last again."""
    store = make_store(store_url)
    store.add_user("root", "admin", ROOT)
    client = TestClient(create_app(store))
    csrf = as_root(client, store)
    for method, path, body in (("POST", "revoke", None), ("PUT", "role", {"role": "writer"})):
        r = client.request(method, f"/api/users/root/{path}", json=body, headers=csrf)
        assert r.status_code == 409 and "the only active admin" in r.json()["detail"]
        assert "make another user an admin first" in r.json()["detail"]
    assert [(u.role, u.active()) for u in store.users() if u.name == "root"] == [("admin", True)]
    assert (
        client.put("/api/users/alice/role", json={"role": "admin"}, headers=csrf).status_code == 200
    )
    r = client.post("/api/users/root/revoke", headers=csrf)  # alice is an admin now
    assert r.status_code == 200 and client.get("/users", follow_redirects=False).status_code == 303
    client.cookies.clear()
    session = login(store, "alice")
    client.cookies.set(COOKIE, session)
    r = client.put("/api/users/alice/role", json={"role": "reader"},
                   headers={"X-CSRF-Token": csrf_token(session)})  # fmt: skip
    assert r.status_code == 409 and "alice" in r.json()["detail"]
    store.engine.dispose()


def test_a_read_only_server_lists_the_users_without_forms(tmp_path):
    """On a store the server cannot write, the admin sees the users but no form whose submit
    would be refused (403)."""
    path = tmp_path / "lab.db"
    store = make_store(f"sqlite:///{path}")
    store.add_user("root", "admin", ROOT)
    store.engine.dispose()
    read_only = Store(path, read_only=True)
    client = TestClient(create_app(read_only))
    csrf = as_root(client, read_only)
    page = client.get("/users").text
    assert 'data-user="rita"' in page
    assert not re.search(r"user-form|role-form|data-revoke", page)
    assert client.post("/api/users", json={"name": "eve"}, headers=csrf).status_code == 403


def test_two_admins_revoking_each_other_at_once_leave_one(store_url, monkeypatch):
    """Each revocation checks that another admin stays active: both checked before either
    wrote (a 2 s rendezvous after the check), both went through and no admin was left; the
    user names' lock makes the second wait, see the first's and refuse (SQLite, PostgreSQL)."""
    import threading

    from fluxtrap.errors import ConflictError
    from fluxtrap.store import store as store_module

    store = make_store(store_url)
    store.add_user("root", "admin", ROOT)
    store.add_user("ada", "admin", "ada-token-0123456789")
    checked = threading.Barrier(2)
    check = store_module._keep_an_admin

    def slow_check(*args):
        check(*args)
        with suppress(threading.BrokenBarrierError):  # the other waits for the lock
            checked.wait(timeout=2)

    monkeypatch.setattr(store_module, "_keep_an_admin", slow_check)
    outcomes: dict[str, str] = {}

    def revoke(name: str) -> None:
        try:
            store.revoke_user(name, keep_an_admin=True)
            outcomes[name] = "revoked"
        except ConflictError as err:
            outcomes[name] = str(err)

    threads = [threading.Thread(target=revoke, args=(n,)) for n in ("root", "ada")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    refused = [said for said in outcomes.values() if said != "revoked"]
    assert len(outcomes) == 2 and len(refused) == 1 and "the only active admin" in refused[0]
    assert sum(u.active() for u in store.users() if u.role == "admin") == 1
    store.engine.dispose()
