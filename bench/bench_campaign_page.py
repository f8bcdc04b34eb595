"""Wall time of the campaign page (``GET /campaigns/{name}``, which lists what each sample's
newest M(T) analysis warned about) on a campaign of N samples, each with one M(T) measurement
of two long sweeps (SYNTHETIC curves stored directly, not analysed: 3 columns of P points each),
through FastAPI's TestClient on a SQLite file; best and median of R page views.

    python bench/bench_campaign_page.py [-n 200] [-p 5000] [-r 5] [--page campaign|jc]

On the shared 2-core machine (load average 6-8 from other work), 200 samples, best / median of
5 views, before (each newest M(T) file's curves read whole, one query each) and after (their
settings only, Store.curve_settings, one query):
    500 points:   1.57 / 2.65 s  ->  0.10 / 0.16 s
    5000 points:  3.26 / 4.23 s  ->  0.32 / 0.36 s
    20000 points: 20.9 / 33.3 s  ->  0.21 / 0.27 s
After, the time no longer grows with the curves' length (the spread is the machine's load).
The Jc(B) page (--page jc: it read every curve of every file whole to keep each sample's newest
Jc(B); here there is none), 5000 points: 5.69 / 6.23 s -> 0.042 / 0.076 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from fluxtrap.campaign import CampaignSpec
from fluxtrap.store import CurveData, Store
from fluxtrap.web import create_app

SPEC = {
    "name": "tc bench",
    "parameters": [{"name": "T", "unit": "degC", "low": 500, "high": 800}],
    "objectives": [{"name": "tc", "quantity": "tc"}],
}
TOKEN = "bench-reader-token-0123456789"


def fill(store: Store, n: int, points: int) -> None:
    """N samples, each with one M(T) file of two sweeps of ``points`` points; every tenth sweep
    carries a warning (as a TcStructureWarning is stored: in the curve's settings)."""
    store.create_campaign(CampaignSpec.from_dict(SPEC))
    store.add_samples(
        SPEC["name"], [{"label": f"S{i:03d}", "params": {"T": 600}} for i in range(n)]
    )
    t = np.linspace(5.0, 60.0, points)
    columns = {"T_K": t.tolist(), "m_Am2": (1e-8 * t).tolist(), "fit_Am2": (1e-8 * t).tolist()}
    for i in range(n):
        curves = [
            CurveData(
                "tc_fit",
                "smooth_step_fit",
                {
                    "tc_K": 38.0,
                    "warnings": [f"S{i:03d}.dat: sweep {k}: a second step"] * (i % 10 == 0),
                },
                columns,
            )
            for k in range(2)
        ]
        store.add_measurement(
            SPEC["name"], f"S{i:03d}", "mt_curve", f"S{i:03d}.dat", b"synthetic", curves=curves
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="samples in the campaign")
    parser.add_argument("-p", type=int, default=5000, help="points per sweep")
    parser.add_argument("-r", type=int, default=5, help="page views timed")
    parser.add_argument("--page", choices=["campaign", "jc"], default="campaign")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(str(Path(tmp) / "bench.db"))
        t0 = time.perf_counter()
        fill(store, args.n, args.p)
        print(f"filled in {time.perf_counter() - t0:.1f} s")
        store.add_user("reader", "reader", TOKEN)
        with TestClient(create_app(store)) as client:
            client.post("/login", data={"token": TOKEN})  # the session cookie is kept
            walls = []
            for _ in range(args.r):
                t0 = time.perf_counter()
                r = client.get(f"/campaigns/{SPEC['name']}" + ("/jc" if args.page == "jc" else ""))
                walls.append(time.perf_counter() - t0)
                notes = 2 * ((args.n + 9) // 10) if args.page == "campaign" else 0
                assert r.status_code == 200 and r.text.count("a second step") == notes
        print(
            f"{args.page} page, {args.n} samples x 2 sweeps x {args.p} points: best "
            f"{min(walls):.3f} s, median {statistics.median(walls):.3f} s (of {args.r})"
        )


if __name__ == "__main__":
    main()
