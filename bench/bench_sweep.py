"""Speed-up of a simulation sweep on a local Dask cluster: 2 worker processes against 1.

    .venv/bin/python bench/bench_sweep.py [--variants 16] [--workers 2]

The same sweep (radius x temperature of a field-cooled single bulk) runs into a fresh output
folder on a cluster of 1 worker, then of N, alternately ``--repeat`` times (the best time of
each counts: other load on the machine only ever slows a run down); each cluster is started
before the clock starts, so the times are the sweep's own (submission, simulation, gathering,
tables, plots). Prints the wall times, the speed-up ratio and the parallel efficiency.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

from distributed import LocalCluster

from fluxtrap.workflows.sweep import Axis, run_sweep

CASE = """
title = "bench: field-cooled bulk"
[materials.bulk]
n = 25
jc.kim = { jc0 = "3e4 A/cm^2", b0 = "0.6 T" }
jc.temperature = { at = "5 K", tc = "38 K", exponent = 1.5 }
[[stack]]
material = "bulk"
radius = "10 mm"
thickness = "6 mm"
[[probes]]
name = "surface"
r = "0 mm"
z = "7 mm"
[[protocol]]
step = "set"
field = "2 T"
temperature = "5 K"
[[protocol]]
step = "ramp_field"
to = "0 T"
rate = "0.02 T/s"
[[protocol]]
step = "hold"
duration = "60 s"
[mesh]
size = "0.5 mm"
"""


def timed_sweep(case: Path, axes: list[Axis], out: Path, workers: int) -> tuple[float, object]:
    with LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        t0 = time.perf_counter()
        result = run_sweep(case, axes, out=out, scheduler=cluster.scheduler_address, progress=False)
        return time.perf_counter() - t0, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--variants", type=int, default=16, help="radius values x 4 temperatures (>= 16)"
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--repeat", type=int, default=2, help="alternating runs of each; the best counts"
    )
    args = ap.parse_args()
    n_radius = max(args.variants // 4, 1)
    axes = [Axis.parse(f"radius=8mm:20mm:{n_radius}"), Axis.parse("temperature=5K:20K:4")]
    with tempfile.TemporaryDirectory() as tmp:
        case = Path(tmp) / "case.toml"
        case.write_text(CASE)
        runs: dict[int, list] = {1: [], args.workers: []}
        for i in range(args.repeat):
            for w in runs:
                runs[w].append(timed_sweep(case, axes, Path(tmp) / f"w{w}-{i}", w))
    for r in [r for w in runs for _, r in runs[w]]:
        assert r.computed == len(r.table) and r.failed == 0, r.table[["status", "error"]]
    (t1, r1), (tn, rn) = (min(runs[w], key=lambda x: x[0]) for w in runs)
    print(
        f"{len(r1.table)} variants, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end"
    )
    print(
        f"1 worker : {t1:7.1f} s  (simulation time summed over variants {r1.table['wall_s'].sum():.1f} s)"
    )
    print(
        f"{args.workers} workers: {tn:7.1f} s  (summed {rn.table['wall_s'].sum():.1f} s: more than with 1 "
        "worker means the workers competed for CPUs)"
    )
    print(f"speed-up : {t1 / tn:.2f}x  (parallel efficiency {t1 / tn / args.workers:.0%})")


if __name__ == "__main__":
    main()
