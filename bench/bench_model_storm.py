"""A storm of model pages against another user's ``/api/me``: the heavy-work gate, measured.

    python bench/bench_model_storm.py [--pages 44]

Twice in one run, on the same store: a server (uvicorn, a subprocess on 127.0.0.1) with the
default gate (``Limits()``: heavy_workers at once, heavy_waiting queued) and one without it
(10 000 at once).
Each time ``--pages`` clients ask the campaign's model plots at once (``/model/plots``, which the
model page fetches: each fits a GP on the campaign's ``--samples`` SYNTHETIC samples) while another user asks ``/api/me`` every 50 ms. Printed per
server: the pages' answers (200 drawn / 429 busy), the wall time of the storm, and ``/api/me``'s
median and largest latency; then the ratio of the largest latencies, ungated / gated.
"""

from __future__ import annotations

import argparse
import math
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

from fluxtrap.campaign import CampaignSpec
from fluxtrap.store import Store
from fluxtrap.web.auth import COOKIE
from fluxtrap.web.limits import Limits

ROOT = Path(__file__).resolve().parents[1]
CAMPAIGN = "K-Ba122 SPS"
TOKENS = {"writer": "storm-writer-0123456789", "reader": "storm-reader-0123456789"}
SERVER = """
import sys, uvicorn
from fluxtrap.web import create_app
from fluxtrap.web.limits import Limits
url, port, workers, waiting = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
# one token opens every page: no share per user, so that it stands for a storm of many users
limits = Limits(heavy_workers=workers, heavy_waiting=waiting, heavy_per_user=workers + waiting)
uvicorn.run(create_app(url, limits=limits), host="127.0.0.1", port=port, log_level="warning")
"""


def make_store(url: str, samples: int) -> None:
    """The example campaign with ``samples`` SYNTHETIC measured samples (a smooth optimum)."""
    store = Store(url)
    store.add_user("writer", "writer", TOKENS["writer"])
    store.add_user("reader", "reader", TOKENS["reader"])
    store.create_campaign(CampaignSpec.from_toml(ROOT / "examples" / "campaign.toml"))
    rng = np.random.default_rng(0)
    for i in range(samples):
        r, t, d = rng.uniform(10, 100), rng.uniform(450, 750), rng.uniform(0, 60)
        jc = 3e8 * math.exp(-(((t - 620) / 80) ** 2) - ((r - 40) / 50) ** 2 - ((d - 20) / 30) ** 2)
        params = {"ramp_rate": round(r, 1), "max_temperature": round(t), "dwell_time": round(d, 2)}
        store.add_sample(
            CAMPAIGN, f"S{i}", params, objectives={"jc_3T": f"{jc} A/m^2"}, notes="SYNTHETIC"
        )
    store.engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def storm(url: str, workers: int, waiting: int, pages: int) -> dict:
    """One server with the gate (``workers``, ``waiting``) and one storm of ``pages`` pages."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, url, str(port), str(workers), str(waiting)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/api/me", timeout=2)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"the server did not start:\n{server.stderr.read().decode()}")
                time.sleep(0.2)
        login = httpx.post(f"{base}/login", data={"token": TOKENS["writer"]}, timeout=60)
        cookies = {COOKIE: login.cookies[COOKIE]}  # the session the login started
        with httpx.Client(cookies=cookies, timeout=300) as warm:  # imports and a first fit
            warm.get(f"{base}/campaigns/{CAMPAIGN}/model/plots")
        latencies: list[float] = []
        stop = threading.Event()

        def watch() -> None:
            headers = {"Authorization": f"Bearer {TOKENS['reader']}"}
            with httpx.Client(headers=headers, timeout=120) as client:
                while not stop.wait(0.05):
                    t0 = time.perf_counter()
                    client.get(f"{base}/api/me").raise_for_status()
                    latencies.append(time.perf_counter() - t0)

        def page(_: int) -> int:
            with httpx.Client(cookies=cookies, timeout=300) as client:
                return client.get(f"{base}/campaigns/{CAMPAIGN}/model/plots").status_code

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        t0 = time.perf_counter()
        with ThreadPoolExecutor(pages) as pool:
            codes = Counter(pool.map(page, range(pages)))
        wall = time.perf_counter() - t0
        stop.set()
        watcher.join(130)
    finally:
        server.terminate()
        server.wait(30)
    return {
        "codes": dict(sorted(codes.items())),
        "wall_s": wall,
        "me_p50_s": float(np.median(latencies)),
        "me_max_s": max(latencies),
        "me_n": len(latencies),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=44, help="model pages opened at once [44]")
    ap.add_argument("--samples", type=int, default=40, help="measured samples the GP fits [40]")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'storm.db'}"
        make_store(url, args.samples)
        gate = Limits()
        runs = {
            f"gated ({gate.heavy_workers} at once, {gate.heavy_waiting} waiting)": storm(
                url, gate.heavy_workers, gate.heavy_waiting, args.pages
            ),
            "ungated (10 000 at once)": storm(url, 10_000, 0, args.pages),
        }
    for name, r in runs.items():
        print(
            f"{name:30s} pages {r['codes']}, storm {r['wall_s']:.1f} s; /api/me "
            f"median {1e3 * r['me_p50_s']:.0f} ms, max {1e3 * r['me_max_s']:.0f} ms "
            f"({r['me_n']} asks)"
        )
    gated, ungated = runs.values()
    print(
        f"largest /api/me latency, ungated / gated: {ungated['me_max_s'] / gated['me_max_s']:.1f}"
    )


if __name__ == "__main__":
    main()
