"""Calibrate the stopping advisor (fluxtrap.optimize.stopping) on recorded pool replays.

Reads the results file of ``bench/bench_optimize.py`` (fluxtrap's single-point runs carry per-round
traces: samples so far, log EI of the chosen row, fitted noise std). For each rule (k rounds
below kappa x noise) and each run: the trial at which the advisor first says stop (the samples
made so far), the experiments it would have saved (budget - that), whether it came too early (the
run found more of the top 5% after it, within the budget) and the top fraction lost by stopping.

    python bench/calibrate_stopping.py [bench/results/optimize_runs.jsonl.gz] [--method "fluxtrap collapse"]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from bench_optimize import DATA, found_curves, read_results

from fluxtrap.optimize.stopping import K_ROUNDS, KAPPA, MISSES, advise

RESULTS = Path(__file__).resolve().parent / "results" / "optimize_runs.jsonl.gz"
RULES = [
    (k, kappa) for k in (3, 5, 8, 12) for kappa in (0.01, 0.03, 0.1, 0.3, 1.0)
]  # default: k=12, kappa=0.01


def stop_trial(trace: list[dict], k: int, kappa: float, misses: int = MISSES) -> int | None:
    """Samples made when the advisor first says stop (None: never within the run)."""
    for r in range(len(trace)):
        head = trace[: r + 1]  # rows [samples so far, log EI, noise std]
        if advise([t[1] for t in head], [t[2] for t in head], k, kappa, misses=misses).stop:
            return head[-1][0]
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("replays", type=Path, nargs="?", default=RESULTS)
    ap.add_argument(
        "--method", default="fluxtrap collapse", help="[today's code: fluxtrap collapse]"
    )
    ap.add_argument("--data", type=Path, default=DATA, help=f"benchmark data folder [{DATA}]")
    ap.add_argument(
        "--misses",
        type=int,
        default=MISSES,
        help=f"rounds above the bar a streak may pass [{MISSES}]",
    )
    args = ap.parse_args()
    runs = [r for r in read_results(args.replays) if r["method"] == args.method and r.get("trace")]
    if not runs:
        raise SystemExit(f"no {args.method} runs with traces in {args.replays}")
    curves = found_curves(runs, args.data)
    print(
        f"{len(runs)} runs of {args.method} ({len({r['set'] for r in runs})} tables, budget "
        f"{max(len(r['picks']) for r in runs)}). Rule: stop when EI < kappa x noise std for k "
        f"rounds (passing over {args.misses} above it). Per rule: share of runs where it said stop, experiments saved per run (0 when it "
        "never stopped), share of stops that came too early (more top-5% rows found later within "
        "the budget), top fraction lost per run; mean +- s.e."
    )
    print(
        f"{'k':>2s} {'kappa':>5s} {'stopped':>8s} {'saved':>14s} {'too early':>10s} "
        f"{'top lost':>15s}"
    )
    for k, kappa in RULES:
        saved, lost, early = calibrate(runs, curves, k, kappa, args.misses)
        stopped = int((saved > 0).sum())
        print(
            f"{k:2d} {kappa:5g} {stopped / len(runs):8.2f} {_mean_se(saved, 2)} "
            f"{early / max(stopped, 1):10.2f} {_mean_se(lost, 3)}"
        )
    print(f"\nper table, the default rule (k={K_ROUNDS}, kappa={KAPPA}):")
    print(
        f"{'table':16s} {'runs':>4s} {'stopped':>8s} {'saved':>14s} {'too early':>10s} {'top lost':>15s}"
    )
    for name in dict.fromkeys(r["set"] for r in runs):
        mine = [r for r in runs if r["set"] == name]
        saved, lost, early = calibrate(mine, curves, K_ROUNDS, KAPPA, args.misses)
        stopped = int((saved > 0).sum())
        print(
            f"{name:16s} {len(mine):4d} {stopped / len(mine):8.2f} {_mean_se(saved, 2)} "
            f"{early / max(stopped, 1):10.2f} {_mean_se(lost, 3)}"
        )


def calibrate(
    runs, curves, k: int, kappa: float, misses: int = MISSES
) -> tuple[np.ndarray, np.ndarray, int]:
    """Per run the experiments saved and top fraction lost by stopping; and the early stops."""
    saved, lost, early = [], [], 0
    for run in runs:
        found = curves[(run["set"], run["method"])][run["seed"]]
        t = stop_trial(run["trace"], k, kappa, misses)
        if t is None or t >= len(found):
            saved.append(0)
            lost.append(0.0)
            continue
        saved.append(len(found) - t)
        lost.append(found[-1] - found[t - 1])
        early += found[-1] > found[t - 1]
    return np.array(saved, float), np.array(lost), early


def _mean_se(a: np.ndarray, digits: int) -> str:
    se = a.std(ddof=1) / math.sqrt(len(a)) if len(a) > 1 else math.nan
    return f"{a.mean():6.{digits}f} +- {se:5.{digits}f}"


if __name__ == "__main__":
    main()
