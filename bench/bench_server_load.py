"""Load on a real ``fluxtrap serve`` (issue 17): N concurrent clients read and write for a bounded
time while a simulation job runs; zero 5xx, zero lost or duplicated rows, latency p50/p95.

    python bench/bench_server_load.py --engine sqlite [--clients 20 --seconds 60]
    FLUXTRAP_TEST_PG_URL=postgresql+psycopg://u:p@127.0.0.1:5432/postgres \\
        python bench/bench_server_load.py --engine postgresql

The server runs as a subprocess on 127.0.0.1 only, on a fresh store (a temporary SQLite file, or a
new database on the PostgreSQL server). Each client is a writer with its own token; its loop is
40 % writes (a new sample with an objective value: POST .../samples) and 60 % reads (its
campaign's samples, the best-so-far series, /api/me, the running job). A job that runs for the
whole time (a case with 0.5 ms steps) is submitted first and cancelled at the end. Afterwards
the store is compared with what the clients were told: every acknowledged sample is there
exactly once, and none that was refused.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import httpx
import numpy as np

from fluxtrap.campaign import CampaignSpec
from fluxtrap.store import Store

ROOT = Path(__file__).resolve().parents[1]
CAMPAIGN = "K-Ba122 SPS"
ENDLESS_CASE = """
title = "bench: a job that runs for the whole benchmark"
[materials.bulk]
n = 25
e0 = "1e-4 V/m"
jc.kim = { jc0 = "2e4 A/cm^2", b0 = "0.5 T" }
[[stack]]
material = "bulk"
radius = "10 mm"
thickness = "5 mm"
[[probes]]
name = "surface"
r = "0 mm"
z = "5.5 mm"
[[protocol]]
step = "set"
field = "2 T"
temperature = "20 K"
[[protocol]]
step = "ramp_field"
to = "0 T"
rate = "0.1 T/s"
[[protocol]]
step = "hold"
duration = "60 s"
[solver]
max_step = "0.5 ms"
[mesh]
size = "1 mm"
"""


def fresh_url(engine: str, folder: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{folder / 'load.db'}"
    from sqlalchemy import create_engine, make_url, text

    server = os.environ.get("FLUXTRAP_TEST_PG_URL")
    if not server:
        sys.exit(
            "--engine postgresql needs $FLUXTRAP_TEST_PG_URL (a server to create a database on)"
        )
    name = f"fluxtrap_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, seconds: float) -> subprocess.Popen:
    env = os.environ | {"PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen(
        [sys.executable, "-m", "fluxtrap", "serve", "--db", url, "--host", "127.0.0.1",
         "--port", str(port), "--job-time-limit", f"{seconds + 120:g} s"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/me", timeout=2)
            return server
        except httpx.TransportError:
            if server.poll() is not None:
                sys.exit(f"the server did not start:\n{server.stderr.read().decode()}")
            time.sleep(0.2)
    server.kill()
    sys.exit("the server did not answer within 60 s")


class Client(threading.Thread):
    """One lab member: writes samples and reads, recording (operation, latency s, status)."""

    def __init__(self, i: int, base: str, token: str, until: float, job_id: int) -> None:
        super().__init__(daemon=True)
        self.i, self.base, self.until, self.job_id = i, base, until, job_id
        self.http = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        self.samples = f"/api/campaigns/{CAMPAIGN}/samples"
        self.calls: list[tuple[str, float, int]] = []
        self.acknowledged: list[str] = []  # labels the server said it stored
        self.refused: list[str] = []  # labels it answered 4xx to (must not be stored)
        self.rng = random.Random(i)

    def call(self, op: str, method: str, path: str, **kw) -> httpx.Response | None:
        t0 = time.perf_counter()
        try:
            r = self.http.request(method, path, **kw)
        except httpx.HTTPError:  # a timeout or a reset: counted as a failure (status 0)
            self.calls.append((op, time.perf_counter() - t0, 0))
            return None
        self.calls.append((op, time.perf_counter() - t0, r.status_code))
        return r

    def run(self) -> None:
        n = 0
        while time.monotonic() < self.until:
            if self.rng.random() < 0.4:
                n += 1
                label = f"c{self.i:02d}-{n:05d}"
                body = {
                    "label": label,
                    "params": {
                        "ramp_rate": self.rng.choice(range(10, 101, 5)),
                        "max_temperature": self.rng.choice(range(500, 751, 10)),
                        "dwell_time": self.rng.choice(range(1, 61)),
                    },
                    "objectives": {"jc_3T": f"{self.rng.uniform(1, 9):.3f}e4 A/cm^2"},
                    "notes": "bench (synthetic values)",
                }
                r = self.call("write sample", "POST", self.samples, json=body)
                if r is not None and r.status_code == 201:
                    self.acknowledged.append(label)
                elif r is not None and 400 <= r.status_code < 500:
                    self.refused.append(label)
            else:
                op = self.rng.choice(["list samples", "best so far", "me", "job"])
                path = {
                    "list samples": self.samples,
                    "best so far": f"/api/campaigns/{CAMPAIGN}/best",
                    "me": "/api/me",
                    "job": f"/api/jobs/{self.job_id}",
                }[op]
                self.call(op, "GET", path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()
    if not (1 <= args.clients <= 100 and 1 <= args.seconds <= 600):
        sys.exit("--clients 1-100, --seconds 1-600: the benchmark is bounded")

    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_url(args.engine, Path(tmp))
        store = Store(url)
        store.create_campaign(CampaignSpec.from_toml(ROOT / "examples" / "campaign.toml"))
        tokens = [f"bench-{i:02d}-{uuid.uuid4().hex}" for i in range(args.clients)]
        for i, token in enumerate(tokens):
            store.add_user(f"client{i:02d}", "writer", token)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(url, port, args.seconds)
        try:
            first = {"Authorization": f"Bearer {tokens[0]}"}
            r = httpx.post(f"{base}/api/simulations", json={"case": ENDLESS_CASE}, headers=first)
            assert r.status_code == 202, r.text
            job_id = r.json()["id"]
            while (
                httpx.get(f"{base}/api/jobs/{job_id}", headers=first).json()["status"] != "running"
            ):
                time.sleep(0.1)
            t0 = time.monotonic()
            until = t0 + args.seconds
            clients = [Client(i, base, t, until, job_id) for i, t in enumerate(tokens)]
            for c in clients:
                c.start()
            for c in clients:
                c.join(args.seconds + 60)
            elapsed = time.monotonic() - t0
            job = httpx.get(f"{base}/api/jobs/{job_id}", headers=first).json()
            httpx.delete(f"{base}/api/jobs/{job_id}", headers=first)
        finally:
            server.terminate()
            server.wait(30)

        calls = [x for c in clients for x in c.calls]
        by_op: dict[str, list[float]] = defaultdict(list)
        for op, latency, _ in calls:
            by_op[op].append(latency)
        statuses = defaultdict(int)
        for _, _, status in calls:
            statuses[status] += 1
        stored = [s.label for s in Store(url, migrate=False).samples(CAMPAIGN)]
        acknowledged = [label for c in clients for label in c.acknowledged]
        refused = {label for c in clients for label in c.refused}
        lost = set(acknowledged) - set(stored)
        duplicated = len(stored) - len(set(stored))
        unexpected = set(stored) - set(acknowledged)

    print(f"engine {args.engine}, {args.clients} clients, {elapsed:.1f} s, {len(calls)} requests "
          f"({len(calls) / elapsed:.0f}/s); the job was {job['status']} at the end")  # fmt: skip
    print(f"status codes: {dict(sorted(statuses.items()))}")
    print(f"{'operation':<14} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for op, lat in sorted(by_op.items()) + [("all", [x[1] for x in calls])]:
        ms = np.array(lat) * 1e3
        print(f"{op:<14} {len(ms):>6} {np.percentile(ms, 50):>8.1f} {np.percentile(ms, 95):>8.1f} "
              f"{ms.max():>8.1f}")  # fmt: skip
    print(f"samples acknowledged {len(acknowledged)}, stored {len(stored)}, lost {len(lost)}, "
          f"duplicated {duplicated}, stored but not acknowledged {len(unexpected)}, "
          f"refused {len(refused)} (of which stored {len(refused & set(stored))})")  # fmt: skip
    fivexx = sum(n for s, n in statuses.items() if s >= 500 or s == 0)
    ok = not (fivexx or lost or duplicated or unexpected or refused & set(stored))
    print("PASS" if ok and job["status"] == "running" else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
