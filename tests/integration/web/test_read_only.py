"""A dashboard on a store the server cannot write (a colleague's on a read-only share, a
PostgreSQL role that may only read): `fluxtrap serve` refused it ("the store is read-only here
... this command writes to it"); now it is served to browse, every page says so, writes are
403, no jobs run and logins are kept in the server's memory."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from fluxtrap.cli import run
from fluxtrap.store import Store
from fluxtrap.web import create_app
from fluxtrap.web.auth import COOKIE

from ..test_store_read_only import _frozen, _thaw
from .conftest import NAME, TOKENS, auth, make_store
from .test_serve_cli import free_port, no_server

C = f"/api/campaigns/{NAME}"
SAMPLE = {"label": "S2", "params": {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}}
BANNER = "<strong>Read-only:</strong> this server shows its store without writing to it"


def test_a_store_opened_read_only_is_browsed_with_logins_in_memory_and_writes_refused(tmp_path):
    path = tmp_path / "lab.db"
    writable = make_store(f"sqlite:///{path}")
    writable.add_sample(NAME, "S1", SAMPLE["params"])
    writable.engine.dispose()
    store = Store(path, read_only=True)
    assert not store.writable
    with TestClient(create_app(store)) as client:
        assert client.app.state.jobs._workers == []  # no job workers: a job is stored as it runs
        health = client.get("/api/health", headers=auth("rita")).json()
        assert not health["writable"] and "opened read-only" in health["read_only"], health
        jobs = health["jobs"]
        assert jobs["workers"] == 0 and not jobs["claiming"], jobs
        assert "no job workers run on this server: its store is opened read-only" in jobs["error"]
        r = client.get(f"{C}/samples", headers=auth("rita"))
        assert r.status_code == 200 and [s["label"] for s in r.json()] == ["S1"]
        r = client.post(f"{C}/samples", json=SAMPLE, headers=auth("alice"))
        assert r.status_code == 403 and "this server shows its store read-only" in r.text, r.text
        assert "nothing was changed" in r.json()["detail"]
        # the dashboard: a login (kept by the server, not the store), the banner, a logout
        login = {"token": TOKENS["alice"], "next": f"/campaigns/{NAME}"}
        r = client.post("/login", data=login, follow_redirects=False)
        assert r.status_code == 303, r.text
        session = r.cookies[COOKIE]
        page = client.get(f"/campaigns/{NAME}")
        assert page.status_code == 200 and BANNER in page.text and "S1" in page.text
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text).group(1)
        r = client.post(f"{C}/samples", json=SAMPLE, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 403 and "read-only" in r.json()["detail"]
        assert (
            client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
        )
        client.cookies.set(COOKIE, session)  # a copy of the ended session's cookie
        assert client.get("/", follow_redirects=False).status_code == 303
        bad = {"token": "not-a-token", "next": "/"}
        assert client.post("/login", data=bad, follow_redirects=False).status_code == 401
    assert store.session_count() == 0  # nothing was stored
    assert [s.label for s in Store(path).samples(NAME)] == ["S1"]


def test_a_writable_store_shows_no_banner(lab):
    lab.client.cookies.set(COOKIE, lab.store.start_session(TOKENS["alice"]).session_id)
    assert "Read-only:" not in lab.client.get("/").text


def test_serve_serves_a_store_it_cannot_write_read_only(tmp_path, capsys, monkeypatch):
    share = tmp_path / "share"
    share.mkdir()
    db = share / "lab.db"
    make_store(f"sqlite:///{db}").engine.dispose()
    served = no_server(monkeypatch)
    frozen = [db, share]
    try:
        if not _frozen(frozen):
            pytest.skip("neither chmod (root) nor chattr +i can make a file read-only here")
        code = run(["serve", "--port", str(free_port()), "--db", str(db)])
        out = " ".join(capsys.readouterr().out.split())
        assert code == 0 and len(served) == 1, out
        assert "Serving it read-only, to browse: Store('sqlite:///" in out  # rich wraps the path
        assert "is read-only (opened read-only: its file or folder cannot be written" in out
        assert "Writes are refused (403), no simulation jobs run" in out
    finally:
        _thaw(frozen)


def test_read_only_logins_follow_the_store_s_session_rules(tmp_path):
    """Held in memory, a read-only store's logins keep the stored ones' rules: at most
    MAX_SESSIONS per user (the oldest ends), none for an unknown token, and a user revoked
    meanwhile (by someone with write access) is logged out at once."""
    from fluxtrap.store.store import MAX_SESSIONS

    path = tmp_path / "lab.db"
    make_store(f"sqlite:///{path}").engine.dispose()
    store = Store(path, read_only=True)
    sessions = [store.start_session(TOKENS["alice"]) for _ in range(MAX_SESSIONS + 1)]
    assert store.user_by_session(sessions[0].session_id) is None  # the oldest, beyond the cap
    assert all(store.user_by_session(x.session_id).name == "alice" for x in sessions[1:])
    assert store.start_session("no-such-token") is None
    bob = store.start_session(TOKENS["bob"])
    Store(path).revoke_user("alice")
    assert store.user_by_session(sessions[-1].session_id) is None
    assert store.user_by_session(bob.session_id).name == "bob"
    assert store.end_session(bob.session_id) and store.user_by_session(bob.session_id) is None


WRITE_FORMS = {  # page -> the ids of its write forms (shown to a writer on a writable store)
    f"/campaigns/{NAME}": ['id="sample-form"', 'id="upload-form"'],
    f"/campaigns/{NAME}/model": ['id="suggest-form"', "data-suggestion="],
    "/simulations": ['id="simulation-form"'],
}


def test_a_read_only_dashboard_shows_no_write_forms(tmp_path):
    """The read-only dashboard showed a writer its forms (record a sample, upload, ask for
    suggestions, discard one, submit a simulation, cancel a job), each then a 403: now they are
    not shown and the banner says so; on a writable store the same pages have them. A job queued
    before a read-only server started showed 'queued' with no word why it never ran."""
    from fluxtrap.web.pages import EXAMPLE_CASE

    path = tmp_path / "lab.db"
    writable = make_store(f"sqlite:///{path}")
    writable.add_suggestions(NAME, [SAMPLE["params"]], [None], {}, seed=0)
    job = writable.add_job("t", EXAMPLE_CASE, "alice", per_user=5, total=5)
    forms = WRITE_FORMS | {f"/jobs/{job.id}": ['id="cancel-job-form"']}
    for store, shown in ((writable, True), (Store(path, read_only=True), False)):
        client = TestClient(create_app(store))  # no lifespan: no worker takes the job
        client.cookies.set(COOKIE, store.start_session(TOKENS["alice"]).session_id)
        for url, marks in forms.items():
            html = client.get(url).text
            assert (BANNER in html) is not shown, url
            assert (
                "the forms to add or change anything (samples, uploads, suggestions, "
                "simulations, cancelling jobs) are not shown here" in html
            ) is not shown
            for mark in marks:
                assert (mark in html) is shown, (url, mark)
        # a job queued before the server started waits for one that can write: said, not hidden
        waits = "This server is read-only and runs no jobs: the job waits for a server"
        assert (waits in client.get(f"/jobs/{job.id}").text) is not shown


def test_a_read_only_store_s_logins_end_when_the_token_is_rotated(tmp_path):
    """A writer's `fluxtrap user rotate` (a token thought stolen) ends the user's stored
    sessions; a read-only server's in-memory ones outlived it (the user still active): now they
    end too, and the new token logs in."""
    path = tmp_path / "lab.db"
    make_store(f"sqlite:///{path}").engine.dispose()
    store = Store(path, read_only=True)
    alice, bob = store.start_session(TOKENS["alice"]), store.start_session(TOKENS["bob"])
    Store(path).rotate_token("alice", "alice-new-token-0123456789")
    assert store.user_by_session(alice.session_id) is None
    assert store.user_by_session(bob.session_id).name == "bob"
    assert store.start_session(TOKENS["alice"]) is None
    again = store.start_session("alice-new-token-0123456789")
    assert store.user_by_session(again.session_id).name == "alice"


@pytest.mark.postgres
def test_privileges_revoked_while_the_server_runs_are_a_403_naming_role_and_table(
    postgres_server,
):
    """The role's privileges are read as the store opens; INSERT revoked afterwards made a write
    a 503 "the database did not answer: try again in a while" (it had answered: permission
    denied). Now a 403 naming the role, the table and what it lacks, without the store's URL,
    nothing written; a read it may no longer make (SELECT on users revoked) is a 503 saying so."""
    import uuid

    from sqlalchemy import create_engine, make_url, text

    from fluxtrap.store import PrivilegeError

    from ...conftest import new_database

    url = new_database(postgres_server)
    make_store(url).add_sample(NAME, "S1", SAMPLE["params"])
    owner = create_engine(url, isolation_level="AUTOCOMMIT")
    role = f"lab_{uuid.uuid4().hex[:8]}"
    with owner.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))  # fmt: skip
        conn.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    as_role = make_url(url).set(username=role, password="pw").render_as_string(hide_password=False)
    store = Store(as_role)
    assert store.writable
    with TestClient(create_app(store)) as client:
        with owner.connect() as conn:
            conn.execute(text(f"REVOKE INSERT ON ALL TABLES IN SCHEMA public FROM {role}"))
        r = client.post(f"{C}/samples", json=SAMPLE, headers=auth("alice"))
        detail = r.json()["detail"]
        assert r.status_code == 403 and r.json()["error"] == "PrivilegeError", r.text
        assert f"the database refused the role '{role}' this write" in detail
        assert "permission denied for table samples" in detail and "INSERT on" in detail
        assert "nothing was written" in detail and "GRANT INSERT" in detail
        assert "pw" not in detail and make_url(url).database not in detail
        with pytest.raises(PrivilegeError, match="permission denied for table samples"):
            store.add_sample(NAME, "S3", SAMPLE["params"])
        with owner.connect() as conn:
            conn.execute(text(f"REVOKE SELECT ON users FROM {role}"))
        r = client.get(f"{C}/samples", headers=auth("rita"))
        assert r.status_code == 503 and "permission denied for table users" in r.text, r.text
        assert "nothing was read" in r.text and "GRANT SELECT" in r.text
    assert [x.label for x in Store(url).samples(NAME)] == ["S1"]
    owner.dispose()


def _role(owner, url: str, *grants: str) -> str:
    """A new login role on the database at ``url`` with ``grants`` on all its tables (and the
    id sequences' USAGE if INSERT is granted): its URL."""
    import uuid

    from sqlalchemy import make_url, text

    role = f"lab_{uuid.uuid4().hex[:8]}"
    with owner.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'"))
        conn.execute(text(f"GRANT {', '.join(grants)} ON ALL TABLES IN SCHEMA public TO {role}"))
        if "INSERT" in grants:
            conn.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    return make_url(url).set(username=role, password="pw").render_as_string(hide_password=False)


def _until(check, timeout_s: float = 4.0):
    """``check()``'s first true answer, asked every 50 ms for at most ``timeout_s``."""
    import time

    deadline = time.monotonic() + timeout_s
    while not (found := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


@pytest.mark.postgres
def test_a_server_whose_role_may_only_read_writes_once_granted_without_a_restart(
    postgres_server, monkeypatch
):
    """The role's privileges were read once, as the store opened: a GRANT given while the server
    ran changed nothing (every write 403 "read-only", the banner shown, no job run) until a
    restart. Now asked again at most every Store RECHECK_S (0.2 s here): the next write after
    the GRANT is stored, the banner goes, a queued job is claimed, and a login made while the
    server was read-only (held in memory) stays logged in."""
    from sqlalchemy import create_engine, text

    from fluxtrap.store import store as store_module
    from fluxtrap.web import jobs as jobs_module
    from fluxtrap.web.pages import EXAMPLE_CASE

    from ...conftest import new_database

    monkeypatch.setattr(store_module, "RECHECK_S", 0.2)
    monkeypatch.setattr(jobs_module, "CLAIM_RETRY_S", 0.05)
    monkeypatch.setattr(jobs_module, "CLAIM_RETRY_MAX_S", 0.2)
    ran = []

    def run(self, job):  # the claim is what is tested, not the simulation
        ran.append(job.id)
        self._store.finish_job(job.id, "failed", error="run by the test")

    monkeypatch.setattr(jobs_module.Jobs, "_run", run)
    url = new_database(postgres_server)
    writer = make_store(url)
    job = writer.add_job("t", EXAMPLE_CASE, "alice", per_user=5, total=5)
    owner = create_engine(url, isolation_level="AUTOCOMMIT")
    as_role = _role(owner, url, "SELECT")
    store = Store(as_role)
    assert not store.writable
    with TestClient(create_app(store)) as client:
        client.cookies.set(COOKIE, store.start_session(TOKENS["alice"]).session_id)  # held
        r = client.post(f"{C}/samples", json=SAMPLE, headers=auth("alice"))
        assert r.status_code == 403 and "read-only" in r.json()["detail"], r.text
        assert BANNER in client.get(f"/campaigns/{NAME}").text
        health = client.get("/api/health", headers=auth("rita")).json()
        assert not health["writable"] and "lacks INSERT on" in health["read_only"], health
        assert not health["jobs"]["claiming"] and "cannot be written" in health["jobs"]["error"]
        assert "pw" not in str(health) and str(store.engine.url.database) not in str(health)
        role = store.engine.url.username
        with owner.connect() as conn:
            conn.execute(text(f"GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))  # fmt: skip
            conn.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"))

        def posted():
            r = client.post(f"{C}/samples", json=SAMPLE, headers=auth("alice"))
            return r if r.status_code != 403 else None

        r = _until(posted)
        assert r is not None and r.status_code == 201, "still read-only after the GRANT"
        assert _until(lambda: ran == [job.id]), "the queued job was not claimed"
        health = client.get("/api/health", headers=auth("rita")).json()
        assert health["writable"] and health["read_only"] is None, health
        assert health["jobs"]["claiming"] and health["jobs"]["error"] is None, health
        page = client.get(f"/campaigns/{NAME}")  # the session held while read-only
        assert (
            page.status_code == 200 and BANNER not in page.text and 'id="sample-form"' in page.text
        )
    assert [x.label for x in Store(url).samples(NAME)] == ["S2"]
    owner.dispose()


@pytest.mark.postgres
def test_a_worker_refused_its_claim_says_why_backs_off_and_recovers(
    postgres_server, monkeypatch, caplog
):
    """UPDATE on jobs revoked while the server ran: its worker's claim_job failed, was
    swallowed and tried again every second, for ever, without a word anywhere. Now the log says
    why once (not once a try), the tries back off (doubling to CLAIM_RETRY_MAX_S), /api/health
    says what failed, since when and how often, and once the GRANT is back the job is claimed
    and the health is clear again."""
    import logging

    from sqlalchemy import create_engine, text

    from fluxtrap.web import jobs as jobs_module
    from fluxtrap.web.pages import EXAMPLE_CASE

    from ...conftest import new_database

    monkeypatch.setattr(jobs_module, "CLAIM_RETRY_S", 0.05)
    monkeypatch.setattr(jobs_module, "CLAIM_RETRY_MAX_S", 0.2)
    ran = []

    def run(self, job):
        ran.append(job.id)
        self._store.finish_job(job.id, "failed", error="run by the test")

    monkeypatch.setattr(jobs_module.Jobs, "_run", run)
    url = new_database(postgres_server)
    writer = make_store(url)
    owner = create_engine(url, isolation_level="AUTOCOMMIT")
    store = Store(_role(owner, url, "SELECT", "INSERT", "UPDATE", "DELETE"))
    role = store.engine.url.username
    caplog.set_level(logging.WARNING, logger="fluxtrap.jobs")
    with TestClient(create_app(store)) as client:
        health = client.get("/api/health", headers=auth("rita")).json()
        assert health["jobs"] == {
            "workers": 1,
            "running": 0,
            "claiming": True,
            "error": None,
            "failing_since": None,
            "failures": 0,
            "retry_in_s": None,
        }
        with owner.connect() as conn:
            conn.execute(text(f"REVOKE UPDATE ON jobs FROM {role}"))
        job = writer.add_job("t", EXAMPLE_CASE, "alice", per_user=5, total=5)
        jobs = _until(
            lambda: (
                (h := client.get("/api/health", headers=auth("rita")).json()["jobs"])["failures"]
                >= 5
                and h
            )
        )
        assert jobs and not jobs["claiming"], jobs
        assert "permission denied for table jobs" in jobs["error"] and role in jobs["error"]
        assert jobs["retry_in_s"] == 0.2 and jobs["failing_since"] is not None  # backed off
        said = [r for r in caplog.records if "cannot claim a job" in r.getMessage()]
        assert len(said) == 1 and "permission denied for table jobs" in said[0].getMessage()
        assert ran == [] and Store(url).job(job.id).status == "queued"
        with owner.connect() as conn:
            conn.execute(text(f"GRANT UPDATE ON jobs TO {role}"))
        assert _until(lambda: ran == [job.id]), "the job was not claimed after the GRANT"
        jobs = client.get("/api/health", headers=auth("rita")).json()["jobs"]
        assert jobs["claiming"] and jobs["error"] is None and jobs["failures"] == 0, jobs
        assert any("claiming jobs again" in r.getMessage() for r in caplog.records)
    owner.dispose()
