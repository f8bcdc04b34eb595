"""``fluxtrap serve`` end to end: a token from ``fluxtrap user add`` works against the served API."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from fluxtrap.cli import run
from fluxtrap.web.server import TimelyH11Protocol


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def no_server(monkeypatch) -> list[dict]:
    """uvicorn.Server.run replaced: each call's Config options (as given) and listening port."""
    import uvicorn

    served = []

    def run(self, sockets):
        served.append({**self.config.config_kwargs, "listening": sockets[0].getsockname()[1]})

    real = uvicorn.Config.__init__

    def config(self, app, **kw):
        real(self, app, **kw)
        self.config_kwargs = kw

    monkeypatch.setattr(uvicorn.Config, "__init__", config)
    monkeypatch.setattr(uvicorn.Server, "run", run)
    return served


@contextmanager
def served(db: str, *options: str) -> Iterator[str]:
    """``fluxtrap serve --db DB *options`` in a child process on a free loopback port; yields
    its URL once it answers."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "fluxtrap", "serve", "--port", str(port), "--db", db, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/login", timeout=120)
                break
            except httpx.ConnectError:
                assert server.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(10)


def test_serve_answers_with_a_cli_made_token(tmp_path, capsys):
    db = str(tmp_path / "lab.db")
    assert run(["user", "add", "ana", "--role", "reader", "--db", db]) == 0
    token = re.search(r"token: (\S+)", capsys.readouterr().out).group(1)
    with served(db) as url:
        r = httpx.get(f"{url}/api/me", headers={"Authorization": f"Bearer {token}"})
        assert r.json() == {"name": "ana", "role": "reader"}
        assert httpx.get(f"{url}/api/me").status_code == 401
        assert httpx.get(f"{url}/", follow_redirects=False).headers["location"] == "/login?next=%2F"
        # behind a TLS reverse proxy on this machine (trusted by default) the cookie is Secure
        login = {"token": token, "next": "/"}
        https = {"X-Forwarded-Proto": "https"}
        cookie = httpx.post(f"{url}/login", data=login, headers=https).headers["set-cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie
        assert "Secure" not in httpx.post(f"{url}/login", data=login).headers["set-cookie"]
    with served(db, "--forwarded-allow-ips", "10.9.9.9") as url:  # this client is no proxy
        cookie = httpx.post(f"{url}/login", data=login, headers=https).headers["set-cookie"]
        assert "Secure" not in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize(
    ("given", "passed"),
    [("10.0.0.5", "10.0.0.5"), (" 10.0.0.0/24 , ::1", "10.0.0.0/24,::1"), ("*", None),
     ("proxy.lab", None), ("10.0.0.300", None)],
)  # fmt: skip
def test_serve_believes_forwarded_headers_only_from_the_proxies_named(
    tmp_path, monkeypatch, capsys, given, passed
):
    """X-Forwarded-Proto decides whether the session cookie is Secure: believed from every
    client (``*``), anyone could claim https; a name or a bad address is refused, naming it."""
    served_with = no_server(monkeypatch)
    port = str(free_port())
    code = run(
        ["serve", "--forwarded-allow-ips", given, "--port", port, "--db", str(tmp_path / "lab.db")]
    )
    if passed:
        assert code == 0 and served_with[0]["forwarded_allow_ips"] == passed
    else:
        err = " ".join(capsys.readouterr().err.split())
        assert code != 0 and served_with == [] and f"--forwarded-allow-ips: {given!r}:" in err


def test_serve_on_a_store_without_users_says_how_to_create_one(tmp_path, capsys, monkeypatch):
    served = no_server(monkeypatch)  # no real server
    db = str(tmp_path / "new.db")
    port = free_port()
    assert run(["serve", "--port", str(port), "--db", db]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "no users yet, so nobody can log in" in out
    assert f"fluxtrap user add NAME --role writer --db {db}" in out
    assert served == [
        {
            "http": TimelyH11Protocol,
            "host": "127.0.0.1",
            "port": port,
            "log_level": "info",
            "ssl_certfile": None,
            "ssl_keyfile": None,
            "limit_concurrency": 500,
            "forwarded_allow_ips": "127.0.0.1,::1",
            "listening": port,
        }
    ]

    assert run(["user", "add", "ana", "--db", db]) == 0
    capsys.readouterr()
    assert run(["serve", "--port", str(free_port()), "--db", db]) == 0
    assert "no users yet" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("given", "ok"), [("0", False), ("100001", False), ("-5", False), ("64", True)]
)
def test_serve_bounds_the_connections_it_holds(tmp_path, monkeypatch, capsys, given, ok):
    """uvicorn has no timeout for slow headers: without a bound, 800 half-sent requests were
    all held open. Beyond --max-connections uvicorn answers 503."""
    served = no_server(monkeypatch)
    port = str(free_port())
    code = run(
        ["serve", "--max-connections", given, "--port", port, "--db", str(tmp_path / "lab.db")]
    )
    if ok:
        assert code == 0 and served[0]["limit_concurrency"] == int(given)
    else:
        assert code != 0 and served == []
        assert "--max-connections: give 1 to 100000" in " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize(
    ("flag", "given", "ok"),
    [
        ("--max-body-mb", "1e-9", False),  # was a 0-byte limit: every write a 413
        ("--max-body-mb", "0.01", False),
        ("--max-body-mb", "nan", False),
        ("--max-body-mb", "2048", False),
        ("--max-body-mb", "0.015625", True),
        ("--max-upload-mb", "1e-9", False),
        ("--max-upload-mb", "20000", False),
        ("--max-upload-mb", "5", True),
    ],
)
def test_serve_refuses_a_body_limit_no_request_can_pass(
    tmp_path, monkeypatch, capsys, flag, given, ok
):
    """A size under 16 KiB (the dashboard's own form limit) or past the most is refused naming
    the flag, before any store is made; an accepted one is the server's limit in bytes."""
    served = no_server(monkeypatch)
    made = []
    monkeypatch.setattr("fluxtrap.web.app.create_app", lambda *a, **kw: made.append(kw) or None)
    port = str(free_port())
    code = run(["serve", flag, given, "--port", port, "--db", str(tmp_path / "lab.db")])
    if ok:
        key = "max_body" if flag == "--max-body-mb" else "max_upload"
        assert code == 0 and getattr(made[0]["limits"], key) == int(float(given) * 2**20)
    else:
        assert code != 0 and served == [] and not (tmp_path / "lab.db").exists()
        assert f"{flag}: give 0.015625 (16 KiB) to" in " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize(("given", "ok"), [("255", False), ("99999999999", False), ("512", True)])
def test_serve_bounds_a_job_s_memory_naming_the_flag(tmp_path, monkeypatch, capsys, given, ok):
    """--job-memory-mb 99999999999 was refused as 'job settings: memory limit 1e+11 MiB: give at
    least 256 MiB' (it is more than 256); the refusal names the flag and both bounds."""
    served = no_server(monkeypatch)
    port = str(free_port())
    code = run(
        ["serve", "--job-memory-mb", given, "--port", port, "--db", str(tmp_path / "lab.db")]
    )
    if ok:
        assert code == 0 and len(served) == 1
    else:
        assert code != 0 and served == []
        said = " ".join(capsys.readouterr().err.split())
        assert "--job-memory-mb: give 256 to 1073741824 MiB (the simulator alone" in said
        assert said.endswith(f"got {given}")


def test_serve_on_a_port_in_use_says_so_before_printing_an_address(tmp_path):
    """It had printed 'fluxtrap on http://127.0.0.1:PORT/', then uvicorn's log and exit 3 once
    the lifespan had started: the address printed must be the one bound."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "fluxtrap", "serve", "--port", str(port), "--db",
             str(tmp_path / "lab.db")],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode != 0 and "fluxtrap on" not in done.stdout
    assert not (tmp_path / "lab.db").exists()
    assert done.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: address already in use (another server is "
        "on it: choose another --port)"
    ]


def test_login_page_says_how_to_create_a_user_while_there_is_none(tmp_path):
    from fastapi.testclient import TestClient

    from fluxtrap.store import Store
    from fluxtrap.web import create_app

    store = Store(tmp_path / "new.db")
    with TestClient(create_app(store)) as client:
        assert 'id="no-users"' in client.get("/login").text
        store.add_user("ana", "writer", "a-token-0123456789")
        assert 'id="no-users"' not in client.get("/login").text
