"""Web fixtures: an app on a fresh store with three users and the example campaign."""

from __future__ import annotations

import math
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient

from fluxtrap.campaign import CampaignSpec
from fluxtrap.store import Store
from fluxtrap.web import create_app
from fluxtrap.web.server import TimelyH11Protocol

from ...conftest import EXAMPLES

NAME = "K-Ba122 SPS"
TOKENS = {
    "alice": "alice-token-0123456789",
    "bob": "bob-token-0123456789",
    "rita": "rita-token-0123456789",
}
ROLES = {"alice": "writer", "bob": "writer", "rita": "reader"}


def auth(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[user]}"}


def login(store: Store, user: str) -> str:
    """A new dashboard session of ``user``, as ``POST /login`` starts one: the cookie's value."""
    return store.start_session(TOKENS[user]).session_id


@dataclass
class Lab:
    store: Store
    client: TestClient


def make_store(url: str) -> Store:
    store = Store(url)
    for name, token in TOKENS.items():
        store.add_user(name, ROLES[name], token)
    store.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    return store


@pytest.fixture
def any_lab(store_url) -> Lab:
    """The app on SQLite and, when a server is available, on PostgreSQL."""
    store = make_store(store_url)
    with TestClient(create_app(store)) as client:
        yield Lab(store, client)


@pytest.fixture
def lab(tmp_path) -> Lab:
    """The app on a SQLite file."""
    store = make_store(f"sqlite:///{tmp_path / 'lab.db'}")
    with TestClient(create_app(store)) as client:
        yield Lab(store, client)


JC0_A_M2, B0_T = 3.0e9, 0.6  # Kim model Jc0 / (1 + |B|/B0) of the synthetic loops
EDGES = {"a": "1 mm", "b": "2 mm", "c": "0.5 mm"}


def kim_jc(b_T: float) -> float:
    return JC0_A_M2 / (1 + abs(b_T) / B0_T)


@pytest.fixture(scope="session")
def loop_file() -> bytes:
    """A SYNTHETIC MPMS3 .dat M(H) loop at 5 K of a 1 x 2 x 0.5 mm bar with a Kim Jc(B)."""
    import io

    from fluxtrap.magnetometry.jc import kim
    from fluxtrap.magnetometry.synthetic import synthetic_mh_loop, write_qd_dat

    table = synthetic_mh_loop(
        kim(JC0_A_M2, B0_T),
        1e-3,
        2e-3,
        0.5e-3,
        temperature_K=5.0,
        n_points=81,
        noise_emu=1e-4,
        sample_name="B1",
    )
    buf = io.StringIO()
    write_qd_dat(table, buf)
    return buf.getvalue().encode()


@contextmanager
def serve(store: Store, **app_options):
    """The app (``create_app(store, **app_options)``) on uvicorn in a thread, on a free loopback
    port; yields its base URL."""
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(store, **app_options),
            http=TimelyH11Protocol,
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    # The first requests import the pages' and the API's modules: seconds on a loaded machine,
    # past httpx's 5 s default that the tests' own requests keep.
    for path in ("/login", "/api/me"):
        httpx.get(url + path, timeout=120)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


def synthetic_jc_3T(ramp_rate: float, max_temperature: float, dwell_time: float) -> float:
    """A SYNTHETIC smooth objective (A/m^2) with its optimum inside the box: test data only."""
    return 3e8 * math.exp(
        -(((max_temperature - 620) / 80) ** 2)
        - ((ramp_rate - 40) / 50) ** 2
        - ((dwell_time - 20) / 30) ** 2
    )


SEED_POINTS = [(20, 500, 5), (80, 700, 40), (50, 600, 10), (35, 650, 30), (90, 520, 55)]


def add_measured_samples(store: Store) -> None:
    """Five researcher samples with SYNTHETIC objective values (so the optimizer has a model)."""
    for i, (r, t, d) in enumerate(SEED_POINTS, 1):
        store.add_sample(
            NAME,
            f"R{i}",
            {"ramp_rate": r, "max_temperature": t, "dwell_time": d},
            objectives={"jc_3T": synthetic_jc_3T(r, t, d)},
            recorded_by="alice",
            notes="SYNTHETIC objective (test data)",
        )
