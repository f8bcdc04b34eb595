"""The whole `fluxtrap simulate` command, as a user runs it: the code before issue 15 at its fixed
1 mm mesh against today's at ``[solver] accuracy = "1 %"`` (the default), in one run.

Each round runs ``python -m fluxtrap simulate CASE --out DIR --quiet`` once with each code, in
alternate order, in fresh interpreters (imports, meshing, the solve, probes.csv, summary.json and
the figures all count), and times the process: wall time and the CPU time of the child. Prints the
median [range] of each and the ratios of the medians. The solve alone is in bench_simulate.py.

    python bench/bench_cli_run.py [--case bench/zfc_loop.toml] [--baseline 5ddab4d] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_simulate import ROOT, source_of


def run_cli(src: Path, args: list[str], out: Path) -> tuple[float, float]:
    """Wall and child CPU seconds of ``python -m fluxtrap simulate`` with the code in ``src``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "fluxtrap", "simulate", *args, "--out", str(out)],
        env={**os.environ, "PYTHONPATH": str(src)},
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def spread(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} [{min(xs):.2f}-{max(xs):.2f}] s"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", type=Path, default=ROOT / "bench" / "zfc_loop.toml")
    ap.add_argument("--baseline", default="5ddab4d", help="git revision of the old code")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()) / "fluxtrap-bench")
    args = ap.parse_args()
    args.tmp.mkdir(parents=True, exist_ok=True)
    variants = {
        f"old {args.baseline}, fixed 1 mm": (
            source_of(args.baseline, args.tmp) / "src",
            [str(args.case), "--quiet", "--mesh-size", "1 mm"],
        ),
        "now, accuracy 1 %": (ROOT / "src", [str(args.case), "--quiet"]),
    }
    times = {name: ([], []) for name in variants}
    for k in range(args.rounds):
        order = list(variants) if k % 2 == 0 else list(reversed(variants))
        for name in order:
            src, cli_args = variants[name]
            wall, cpu = run_cli(src, cli_args, args.tmp / f"cli-{k}-{len(times[name][0])}")
            times[name][0].append(wall)
            times[name][1].append(cpu)
    print(f"`fluxtrap simulate {args.case.name}`, {args.rounds} alternated rounds, median [range]")
    for name, (wall, cpu) in times.items():
        print(f"  {name:<28} wall {spread(wall)}  CPU {spread(cpu)}")
    (old_wall, old_cpu), (new_wall, new_cpu) = times.values()
    print(
        f"  now/old: wall {statistics.median(new_wall) / statistics.median(old_wall):.2f}, "
        f"CPU {statistics.median(new_cpu) / statistics.median(old_cpu):.2f}"
    )


if __name__ == "__main__":
    main()
