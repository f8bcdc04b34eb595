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
    assert sorted([alice[N], bob[N]]) == [201, 409]  # the label taken first: 409 Conflict
    samples = store.samples(NAME)
    assert len(samples) == 2 * N + 1
    for user in ("alice", "bob"):
        mine = {x.label: x for x in samples if x.label.startswith(user)}
        assert set(mine) == {f"{user}-{i}" for i in range(N)}
        assert {x.recorded_by for x in mine.values()} == {user}
        assert all(mine[f"{user}-{i}"].params["dwell_time"] == i for i in range(N))


def test_model_fits_beyond_the_heavy_work_queue_are_429_and_others_are_served(
    tmp_path, monkeypatch
):
    """Five model pages at once on a gate of one running and one waiting: two are drawn, three
    told the server is busy, and another user's /api/me is answered meanwhile (44 model
    pages used to take all 40 of Starlette's threads and stall it for 35 s)."""
    import time

    from fluxtrap.web import plots
    from fluxtrap.web.auth import COOKIE
    from fluxtrap.web.limits import Limits

    from .conftest import login

    def slow_fit(*args, **kwargs):  # a model fit that takes 3 s of a thread
        time.sleep(3)
        return {}

    monkeypatch.setattr(plots, "model_figures", slow_fit)
    store = make_store(f"sqlite:///{tmp_path / 'lab.db'}")
    with serve(store, limits=Limits(heavy_workers=1, heavy_waiting=1)) as url:
        page = f"{url}/campaigns/{NAME}/model/plots"

        def open_page(_: int) -> int:
            with httpx.Client(cookies={COOKIE: login(store, "alice")}, timeout=30) as client:
                return client.get(page).status_code

        with ThreadPoolExecutor(5) as pool:
            pages = pool.map(open_page, range(5))
            time.sleep(0.5)  # the gate is full now
            t0 = time.perf_counter()
            me = httpx.get(f"{url}/api/me", headers=auth("rita"), timeout=30)
            waited = time.perf_counter() - t0
            codes = sorted(pages)
    assert codes == [200, 200, 429, 429, 429]
    assert me.status_code == 200 and waited < 3  # answered while the fits still ran (6 s)


def test_one_user_cannot_fill_the_heavy_work_queue(tmp_path, monkeypatch):
    """Alice opens three model pages at once on a gate of one running and two waiting: her
    third is told she has as many as one user may, and Bob's model page, asked next, is drawn
    (without the share per user Alice's three filled the gate and Bob was told it was busy)."""
    import time

    from fluxtrap.web import plots
    from fluxtrap.web.auth import COOKIE
    from fluxtrap.web.limits import Limits

    from .conftest import login

    def slow_fit(*args, **kwargs):  # a model fit that takes 2 s of a thread
        time.sleep(2)
        return {}

    monkeypatch.setattr(plots, "model_figures", slow_fit)
    store = make_store(f"sqlite:///{tmp_path / 'lab.db'}")
    limits = Limits(heavy_workers=1, heavy_waiting=2, heavy_per_user=2)
    with serve(store, limits=limits) as url:

        def open_page(user: str) -> httpx.Response:
            with httpx.Client(cookies={COOKIE: login(store, user)}, timeout=30) as client:
                return client.get(f"{url}/campaigns/{NAME}/model/plots")

        with ThreadPoolExecutor(4) as pool:
            alice = [pool.submit(open_page, "alice") for _ in range(3)]
            time.sleep(0.5)  # Alice's are in the gate now
            bob = pool.submit(open_page, "bob").result()
            alice = sorted((r.result() for r in alice), key=lambda r: r.status_code)
    assert [r.status_code for r in alice] == [200, 200, 429]
    assert "alice has 2 model fits or analyses running or waiting" in alice[2].text
    assert bob.status_code == 200, bob.text[:300]


def test_checking_cases_at_submit_takes_a_turn_of_the_heavy_work_gate(tmp_path, monkeypatch):
    """A case of 1000 layers and 1000 probes (105 kB) took 7 s of CPU to check at submit, outside
    the gate: one writer's 40 at once held every thread for minutes. Alice's third check at once
    is now told she has as many as one user may."""
    import time

    from fluxtrap.errors import ValidationError
    from fluxtrap.web import jobs
    from fluxtrap.web.limits import Limits

    def slow_check(text: str):  # a case check that takes 2 s of a thread
        time.sleep(2)
        raise ValidationError("case: checked")

    monkeypatch.setattr(jobs, "parse_case", slow_check)
    store = make_store(f"sqlite:///{tmp_path / 'lab.db'}")
    limits = Limits(heavy_workers=1, heavy_waiting=2, heavy_per_user=2)
    with serve(store, limits=limits) as url:

        def submit(_: int) -> httpx.Response:
            body = {"case": 'title = "t"'}
            return httpx.post(
                f"{url}/api/simulations", json=body, headers=auth("alice"), timeout=30
            )

        with ThreadPoolExecutor(3) as pool:
            answers = sorted(pool.map(submit, range(3)), key=lambda r: r.status_code)
    assert [r.status_code for r in answers] == [422, 422, 429], [r.text for r in answers]
    assert "alice has 2 model fits or analyses running or waiting" in answers[2].text
