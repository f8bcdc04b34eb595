"""Two users writing at once through a real server lose nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from .conftest import NAME, auth, make_store, serve
from .test_api import P

N = 20


def test_two_users_writing_at_once_lose_nothing(store_url):
    store = make_store(store_url)
    with serve(store) as url:
        url += "/api/campaigns/K-Ba122%20SPS/samples"

        def write(user: str) -> list[int]:
            with httpx.Client(headers=auth(user), timeout=60) as client:
                codes = []
                for i in range(N):
                    body = {"label": f"{user}-{i}", "params": P | {"dwell_time": i}}
                    codes.append(client.post(url, json=body).status_code)
                # both race for one label: exactly one wins, the other is told why
                codes.append(client.post(url, json={"label": "contested", "params": P}).status_code)
                return codes

        with ThreadPoolExecutor(2) as pool:
            alice, bob = pool.map(write, ["alice", "bob"])
    assert alice[:N] == bob[:N] == [201] * N
    assert sorted([alice[N], bob[N]]) == [201, 422]
    samples = store.samples(NAME)
    assert len(samples) == 2 * N + 1
    for user in ("alice", "bob"):
        mine = {x.label: x for x in samples if x.label.startswith(user)}
        assert set(mine) == {f"{user}-{i}" for i in range(N)}
        assert {x.recorded_by for x in mine.values()} == {user}
        assert all(mine[f"{user}-{i}"].params["dwell_time"] == i for i in range(N))
