"""A path or method no route takes is the router's 404 / 405 for every role (a reader's POST to a
mistyped address was a 403 "cannot write"), and a 401 for a caller without a token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fluxtrap.store import Store
from fluxtrap.web import create_app
from fluxtrap.web.auth import COOKIE

from .conftest import NAME, auth, login, make_store
from .test_api import C, P, snapshot


@pytest.mark.parametrize("user", ["rita", "alice"])
def test_an_unknown_address_or_method_is_404_or_405_for_every_role(lab, user):
    lab.store.add_sample(NAME, "B1", P, recorded_by="alice")
    before = snapshot(lab)
    for method, url in [
        ("POST", "/api/campaignz"),  # a mistyped address
        ("PATCH", f"{C}/sample/B1"),
        ("DELETE", "/api/nowhere/at/all"),
    ]:
        r = lab.client.request(method, url, json={"status": "failed"}, headers=auth(user))
        assert r.status_code == 404, (user, method, url, r.text)
        assert f"no such address: {method}" in r.json()["detail"]
    for method, url in [("TRACE", "/api/campaigns"), ("PUT", f"{C}/samples/B1")]:
        r = lab.client.request(method, url, headers=auth(user))
        assert r.status_code == 405, (user, method, url, r.text)
        assert r.headers["allow"] and f"{method} is not allowed" in r.json()["detail"]
    # a reader's write to an address that exists is still refused, unread
    r = lab.client.patch(f"{C}/samples/B1", json={"status": "failed"}, headers=auth("rita"))
    assert r.status_code == 403 and "reader and cannot write" in r.json()["detail"]
    assert snapshot(lab) == before


def test_an_unknown_address_tells_a_caller_without_a_token_nothing_but_401(lab):
    for method, url in [("POST", "/api/campaignz"), ("TRACE", "/api/campaigns"),
                        ("GET", "/api/campaigns")]:  # fmt: skip
        r = lab.client.request(method, url)
        assert r.status_code == 401 and "missing token" in r.json()["detail"], (method, url)
        r = lab.client.request(method, url, headers={"Authorization": "Bearer nobody-0123456789"})
        assert r.status_code == 401 and "unknown token" in r.json()["detail"], (method, url)


def test_a_cookie_write_to_an_unknown_address_is_404_and_a_known_one_needs_csrf(lab):
    lab.client.cookies.set(COOKIE, login(lab.store, "alice"))
    assert lab.client.post("/api/campaignz", json={}).status_code == 404
    r = lab.client.post(f"{C}/samples", json={"label": "X", "params": P})
    assert r.status_code == 403 and "X-CSRF-Token" in r.json()["detail"]


def test_an_unknown_address_on_a_read_only_server_is_404(tmp_path):
    path = tmp_path / "lab.db"
    make_store(f"sqlite:///{path}").engine.dispose()
    with TestClient(create_app(Store(path, read_only=True))) as client:
        assert client.post("/api/campaignz", headers=auth("alice")).status_code == 404
        assert client.request("TRACE", "/api/campaigns", headers=auth("alice")).status_code == 405
        r = client.post(f"{C}/samples", json={"label": "X", "params": P}, headers=auth("alice"))
        assert r.status_code == 403 and "read-only" in r.json()["detail"]
