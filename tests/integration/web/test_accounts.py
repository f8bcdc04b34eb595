"""Accounts against a running server: revoked, rotated and expired tokens, the admin role, and
``fluxtrap serve`` over HTTPS (a self-signed certificate made with openssl in the test)."""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from fluxtrap.cli import run
from fluxtrap.store import Store
from fluxtrap.web.auth import COOKIE

from .conftest import TOKENS, auth, make_store, serve


@pytest.fixture
def lab_server(tmp_path):
    store = make_store(f"sqlite:///{tmp_path / 'lab.db'}")
    store.add_user("ada", "admin", "ada-token-0123456789")
    with serve(store) as url:
        yield store, url


def test_revoked_rotated_and_expired_tokens_are_refused_at_once(lab_server):
    store, url = lab_server
    assert httpx.get(f"{url}/api/me", headers=auth("rita")).status_code == 200
    store.revoke_user("rita")
    r = httpx.get(f"{url}/api/me", headers=auth("rita"))
    assert r.status_code == 401 and "revoked or expired" in r.json()["detail"]
    store.rotate_token("rita", "rita-new-token-0123456789")
    assert httpx.get(f"{url}/api/me", headers=auth("rita")).status_code == 401
    new = {"Authorization": "Bearer rita-new-token-0123456789"}
    assert httpx.get(f"{url}/api/me", headers=new).json() == {"name": "rita", "role": "reader"}

    store.add_user(
        "eve", "writer", "eve-token-0123456789", expires_at=datetime.now(UTC) + timedelta(seconds=2)
    )  # 2 s: a loaded CI machine may take over 1 s for the session and two requests
    eve = {"Authorization": "Bearer eve-token-0123456789"}
    session = {COOKIE: store.start_session("eve-token-0123456789").session_id}
    assert httpx.get(f"{url}/api/me", headers=eve).status_code == 200
    assert httpx.get(f"{url}/", cookies=session).status_code == 200
    time.sleep(2.2)
    assert httpx.get(f"{url}/api/me", headers=eve).status_code == 401
    # the dashboard session ends with the token: the cookie no longer opens a page
    r = httpx.get(f"{url}/", cookies=session)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert httpx.get(f"{url}/api/me", cookies=session).status_code == 401


def test_only_admins_list_users(lab_server):
    store, url = lab_server
    ada = {"Authorization": "Bearer ada-token-0123456789"}
    users = httpx.get(f"{url}/api/users", headers=ada).json()
    assert {u["name"]: u["role"] for u in users} == {
        "ada": "admin", "alice": "writer", "bob": "writer", "rita": "reader",
    }  # fmt: skip
    assert all(u["active"] and u["expires_at"] is None for u in users)
    assert httpx.get(f"{url}/api/users", headers=auth("alice")).status_code == 403
    assert httpx.get(f"{url}/api/users").status_code == 401
    # an admin may also write
    r = httpx.post(
        f"{url}/api/campaigns",
        json={"name": "by ada", "parameters": [{"name": "x", "low": 0, "high": 1}]},
        headers=ada,
    )
    assert r.status_code == 201 and r.json()["created_by"] == "ada"


def test_login_cookie_is_httponly_strict_and_refused_for_unknown_tokens(lab_server):
    _, url = lab_server
    r = httpx.post(f"{url}/login", data={"token": "nope", "next": "/"})
    assert r.status_code == 401 and "not known" in r.text
    r = httpx.post(f"{url}/login", data={"token": TOKENS["alice"], "next": "//evil.example"})
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_serve_over_https_with_a_self_signed_certificate(tmp_path, capsys):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    db = str(tmp_path / "lab.db")
    assert run(["user", "add", "ana", "--role", "writer", "--db", db]) == 0
    token = re.search(r"token: (\S+)", capsys.readouterr().out).group(1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "fluxtrap", "serve", "--port", str(port), "--db", db,
         "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"https://127.0.0.1:{port}"
    trust = ssl.create_default_context(cafile=str(cert))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(
                    f"{url}/api/me", headers={"Authorization": f"Bearer {token}"}, verify=trust
                )
                break
            except httpx.ConnectError:
                assert server.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert r.json() == {"name": "ana", "role": "writer"}
        with pytest.raises(httpx.ConnectError):  # no certificate of ours: not trusted
            httpx.get(f"{url}/api/me")
        with pytest.raises(httpx.RemoteProtocolError):  # plain HTTP on the TLS port: no answer
            httpx.get(f"http://127.0.0.1:{port}/api/me")
        r = httpx.post(f"{url}/login", data={"token": token, "next": "/"}, verify=trust)
        assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]
    finally:
        server.terminate()
        server.wait(10)


def test_serve_refuses_half_a_tls_setup(tmp_path, capsys):
    code = run(["serve", "--db", str(tmp_path / "x.db"), "--ssl-certfile", str(tmp_path / "c.pem")])
    assert code == 2 and "--ssl-certfile and --ssl-keyfile go together" in capsys.readouterr().err


def test_user_revoke_from_the_command_line_takes_effect_at_once(tmp_path, capsys):
    """``fluxtrap user revoke`` on the store file takes effect on another handle to it (the
    server's): tokens are looked up on every request, never cached."""
    db = tmp_path / "lab.db"
    store = make_store(f"sqlite:///{db}")
    assert run(["user", "revoke", "rita", "--db", str(db)]) == 0
    assert store.user_by_token(TOKENS["rita"]) is None
    assert Store(f"sqlite:///{db}").user_by_token(TOKENS["alice"]).name == "alice"
