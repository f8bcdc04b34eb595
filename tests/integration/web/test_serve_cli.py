"""``fluxtrap serve`` end to end: a token from ``fluxtrap user add`` works against the served API."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time

import httpx

from fluxtrap.cli import run


def test_serve_answers_with_a_cli_made_token(tmp_path, capsys):
    db = str(tmp_path / "lab.db")
    assert run(["user", "add", "ana", "--role", "reader", "--db", db]) == 0
    token = re.search(r"token: (\S+)", capsys.readouterr().out).group(1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "fluxtrap", "serve", "--port", str(port), "--db", db],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"{url}/api/me", headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.ConnectError:
                assert server.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert r.json() == {"name": "ana", "role": "reader"}
        assert httpx.get(f"{url}/api/me").status_code == 401
        assert httpx.get(f"{url}/", follow_redirects=False).headers["location"] == "/login?next=%2F"
    finally:
        server.terminate()
        server.wait(10)
