"""Calibrate the stopping advisor (fluxtrap.optimize.stopping) on recorded pool replays.

Reads the JSONL file written by ``bench/bench_optimize.py --out FILE`` (fluxtrap's single-point
runs carry per-trial traces: log EI of the chosen row, fitted noise std). For each rule (k rounds
below kappa x noise) and each run: the trial at which the advisor first says stop (the samples
made so far), the experiments it would have saved (budget - that), whether it came too early (the
run found more of the top 5% after it, within the budget) and the top fraction lost by stopping.

    python bench/calibrate_stopping.py runs.jsonl [--method fluxtrap]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from fluxtrap.optimize.stopping import advise

RULES = [(k, kappa) for k in (2, 3, 5) for kappa in (0.1, 0.3, 1.0)]  # default: k=5, kappa=0.3


def stop_trial(trace: list[dict], k: int, kappa: float) -> int | None:
    """Samples made when the advisor first says stop (None: never within the run)."""
    for r in range(len(trace)):
        head = trace[: r + 1]
        if advise([t["log_ei"] for t in head], [t["noise_std"] for t in head], k, kappa).stop:
            return head[-1]["n"]
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("replays", type=Path)
    ap.add_argument("--method", default="fluxtrap")
    args = ap.parse_args()
    rows = [json.loads(line) for line in args.replays.read_text().splitlines() if line]
    print(
        "rule: stop when EI < kappa x noise std for k rounds. Per rule over all runs: runs where "
        "it said stop, experiments saved per run (0 when it never stopped), stops that came too "
        "early (more top-5% rows found later within the budget), top fraction lost per run; "
        "mean +- s.e."
    )
    print(
        f"{'k':>2s} {'kappa':>5s} {'runs':>5s} {'stopped':>8s} {'saved':>14s} "
        f"{'too early':>10s} {'top lost':>14s}"
    )
    for k, kappa in RULES:
        stopped, saved, early, lost, runs = 0, [], 0, [], 0
        for run in rows:
            if run["method"] != args.method or not run["trace"]:
                continue
            runs += 1
            picks = run["picks"]
            t = stop_trial(run["trace"], k, kappa)
            found = np.cumsum([p in run["top"] for p in picks]) / len(run["top"])
            if t is None:
                saved.append(0)
                lost.append(0.0)
                continue
            stopped += 1
            saved.append(len(picks) - t)
            lost.append(found[-1] - found[t - 1])
            early += found[-1] > found[t - 1]
        saved, lost = np.array(saved, float), np.array(lost)
        se = math.sqrt(runs)
        print(
            f"{k:2d} {kappa:5.1f} {runs:5d} {stopped / runs:8.2f} "
            f"{saved.mean():6.2f} +- {saved.std(ddof=1) / se:4.2f} "
            f"{early / max(stopped, 1):10.2f} {lost.mean():6.3f} +- {lost.std(ddof=1) / se:5.3f}"
        )


if __name__ == "__main__":
    main()
