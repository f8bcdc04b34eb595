"""Does telling the optimizer each row's 1-sigma help when the noise is heteroscedastic?

Pool replays as in ``bench/bench_optimize.py`` (its loader, goal set, starts and results file
machinery): identical inputs averaged into one pool entry, goal set = the best ceil(5% N) rows by
the table's (noise-free) value, 2 random starting rows (the same for every arm of a seed), every
arm picks only unobserved rows, fluxtrap's ``Optimizer`` defaults over the pool (``ask(1,
candidates=pool)``), 50 trials counted with the starts; results at 10 / 25 / 50 trials as prefixes
of one run.

Noise: per seed, each pool row i gets sigma_i = SCALE * std(y) * 10^u_i, u_i uniform on
[-DECADES, 0] (default: log-uniform from 1 % to 100 % of the table's objective std, two decades),
and one draw eps_i ~ N(0, sigma_i^2); a measured row reads y_i + eps_i (each row is measured once:
the replay never picks a row twice). The same sigma and eps for both noisy arms of a seed.

Arms (paired by seed):
- ``told``: ``tell(X, y + eps, errors=sigma)``: the sigmas as known noise, on top of the fitted one;
- ``not told``: ``tell(X, y + eps)``: the fitted homoscedastic noise alone;
- ``noise-free``: ``tell(X, y)``, the reference (the noise draws do not enter it).

Metrics per table and budget (10 / 25 / 50): the fraction of the noise-free top-5% rows among the
picks, and the regret of the recommended row: among the rows measured so far, the one of best
posterior mean (the arm's own model at that many observations; ``mean``), or of best measured
value (``Optimizer.best()``'s choice; ``obs``); regret = best value in the pool - the true value
of that row, in units of the table's objective std. Paired difference told - not told (same
seed, noise, starts), mean +- s.e. over the seeds.

Runs accumulate in ``--out`` (default ``bench/results/stated_errors_runs.jsonl.gz``; a new run
skips every (table, arm, seed, noise) the file holds) and the table is written to
``bench/results/stated_errors.md``.

    python bench/bench_stated_errors.py [--seeds 6] [--workers 1] [--quick] [--summary]

Default: 6 seeds, 54 replays, about 10 min on one free core (10-15 s CPU per replay). The
homoscedastic control (every row the same sigma, 0.33 std(y): the heteroscedastic setting's RMS
sigma) in a file of its own:

    python bench/bench_stated_errors.py --decades 0 --scale 0.33 --arms "told,not told" \
        --out bench/results/stated_errors_homoscedastic_runs.jsonl.gz \
        --table bench/results/stated_errors_homoscedastic.md
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from bench_optimize import DATA, load, read_results, run_jobs, starts, top_rows

RESULTS = Path(__file__).resolve().parent / "results" / "stated_errors_runs.jsonl.gz"
TABLE = Path(__file__).resolve().parent / "results" / "stated_errors.md"
SETS = ["Crossed barrel", "AgNP", "P3HT"]
ARMS = ["told", "not told", "noise-free"]
AT = (10, 25, 50)


def row_noise(n: int, std: float, seed: int, decades: float, scale: float):
    """Per pool row the 1-sigma and the one noise draw of seed ``seed`` ``(n,), (n,)``."""
    rng = np.random.default_rng([seed, 2])  # not the starts' stream
    sigma = scale * std * 10.0 ** rng.uniform(-decades, 0.0, n)
    return sigma, rng.normal(0.0, 1.0, n) * sigma


def run_arm(job) -> dict:
    """One replay: the picks, and at each budget of ``AT`` the recommended rows (best posterior
    mean, best measured value among the rows measured so far)."""
    from fluxtrap.optimize import Continuous, Optimizer, SearchSpace

    arm, data, name, budget, seed, decades, scale = job
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    X, y, maximize = load(data, name)
    sigma, eps = row_noise(len(y), float(y.std()), seed, decades, scale)
    seen = y if arm == "noise-free" else y + eps
    space = SearchSpace([Continuous(c, float(X[c].min()), float(X[c].max())) for c in X.columns])
    opt = Optimizer(space, seed=seed, maximize=maximize)

    def tell(rows: list[int]) -> None:
        errors = pd.Series(sigma[rows], name="y") if arm == "told" else None
        opt.tell(X.iloc[rows], seen.iloc[rows].rename("y"), errors)

    picked = starts(len(X), 2, seed)
    tell(picked)
    rec_mean, rec_obs = [], []
    t0 = time.process_time()
    while True:
        if len(picked) in AT:
            mean = opt.predict(X.iloc[picked])["y_mean"].to_numpy()  # the model the next ask uses
            sign = 1.0 if maximize else -1.0
            rec_mean.append(picked[int(np.argmax(sign * mean))])
            rec_obs.append(picked[int(np.argmax(sign * seen.iloc[picked].to_numpy()))])
        if len(picked) >= budget:
            break
        rows = [int(i) for i in opt.ask(1, candidates=X).index]
        picked += rows
        tell(rows)
    return {
        "set": name,
        "method": arm,
        "seed": seed,
        "noise": [decades, scale],
        "picks": picked,
        "rec_mean": rec_mean,
        "rec_obs": rec_obs,
        "cpu_s": round(time.process_time() - t0, 1),
    }


def metrics(rows: list[dict], data: Path) -> dict[tuple[str, str], dict[int, np.ndarray]]:
    """(table, arm) -> seed -> ``(3, len(AT))``: top fraction, regret by mean, regret by obs."""
    tables = {}
    out: dict[tuple[str, str], dict[int, np.ndarray]] = {}
    for r in rows:
        if r["set"] not in tables:
            _, y, maximize = load(data, r["set"])
            v = (y if maximize else -y).to_numpy()
            tables[r["set"]] = (np.array(top_rows(y, maximize)), v, float(y.std()))
        top, v, std = tables[r["set"]]
        found = np.cumsum(np.isin(r["picks"], top)) / len(top)
        at = [a for a in AT if a <= len(r["picks"])]
        m = np.array(
            [
                [found[a - 1] for a in at],
                [(v.max() - v[i]) / std for i in r["rec_mean"][: len(at)]],
                [(v.max() - v[i]) / std for i in r["rec_obs"][: len(at)]],
            ]
        )
        out.setdefault((r["set"], r["method"]), {})[r["seed"]] = m
    return out


def _diff(a: dict[int, np.ndarray], b: dict[int, np.ndarray], k: int, j: int) -> np.ndarray:
    seeds = sorted(s for s in set(a) & set(b) if a[s].shape[1] > j and b[s].shape[1] > j)
    return np.array([a[s][k, j] - b[s][k, j] for s in seeds])


def _ms(d: np.ndarray, digits: int = 3) -> str:
    if len(d) < 2:
        return "-"
    return f"{d.mean():+.{digits}f} +- {d.std(ddof=1) / math.sqrt(len(d)):.{digits}f}"


def _mean(runs: dict[int, np.ndarray], k: int, j: int) -> str:
    v = [m[k, j] for m in runs.values() if m.shape[1] > j]
    return f"{np.mean(v):.3f}" if v else "-"


def summarise(rows: list[dict], data: Path, noise: list[float]) -> str:
    """The markdown table of the runs with noise setting ``noise``."""
    rows = [r for r in rows if r["noise"] == noise]
    m = metrics(rows, data)
    sets = list(dict.fromkeys(r["set"] for r in rows))
    seeds = len({r["seed"] for r in rows})
    lines = [
        f"Noise: sigma_i = {noise[1]:g} x std(y) x 10^U(-{noise[0]:g}, 0) per row; "
        f"{seeds} seeds. top = fraction of the noise-free top-5 % rows found; regret of the "
        "recommended row in units of std(y): by posterior mean (mean) or by measured value "
        "(obs); d = told - not told, paired mean +- s.e. (n seeds).",
        "",
        "| table | trials | top: noise-free / not told / told | d top | regret mean: "
        "noise-free / not told / told | d regret mean | regret obs: noise-free / not told / "
        "told | d regret obs |",
        "|---|---|---|---|---|---|---|---|",
    ]
    pooled: dict[int, list[np.ndarray]] = {j: [] for j in range(len(AT))}
    for name in sets:
        told, plain = m.get((name, "told"), {}), m.get((name, "not told"), {})
        ref = m.get((name, "noise-free"), {})
        for j, at in enumerate(AT):
            d = [_diff(told, plain, k, j) for k in range(3)]
            if not any(a.shape[1] > j for runs in (told, plain, ref) for a in runs.values()):
                continue  # runs shorter than this budget (--quick)
            pooled[j].append(np.stack(d, 1) if len(d[0]) else np.zeros((0, 3)))
            means = [" / ".join(_mean(a, k, j) for a in (ref, plain, told)) for k in range(3)]
            lines.append(
                f"| {name} | {at} | {means[0]} | {_ms(d[0])} ({len(d[0])}) | {means[1]} | "
                f"{_ms(d[1])} | {means[2]} | {_ms(d[2])} |"
            )
    for j, at in enumerate(AT):
        if not any(len(p) for p in pooled[j]):
            continue
        d = np.concatenate(pooled[j]) if pooled[j] else np.zeros((0, 3))
        lines.append(
            f"| all | {at} | | {_ms(d[:, 0])} ({len(d)}) | | {_ms(d[:, 1])} | | {_ms(d[:, 2])} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=6, help="run seeds 0 .. SEEDS-1 (those missing)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--budget", type=int, default=50)
    ap.add_argument("--sets", default=",".join(SETS), help=f"comma-separated [{','.join(SETS)}]")
    ap.add_argument("--decades", type=float, default=2.0, help="sigma's log10 span [2]")
    ap.add_argument("--scale", type=float, default=1.0, help="largest sigma / std(y) [1]")
    ap.add_argument("--arms", default=",".join(ARMS), help=f"comma-separated [{','.join(ARMS)}]")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="2 seeds, budget 25, no noise-free arm; results in a temporary folder unless given",
    )
    ap.add_argument("--out", type=Path, default=None, help=f"results JSONL [{RESULTS}]")
    ap.add_argument("--table", type=Path, default=None, help=f"markdown table [{TABLE}]")
    ap.add_argument("--summary", action="store_true", help="only summarise the results file")
    ap.add_argument("--data", type=Path, default=DATA, help=f"benchmark data folder [{DATA}]")
    args = ap.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"benchmark data not found at {args.data}")
    if not (args.decades >= 0 and args.scale > 0):
        raise SystemExit("--decades must be >= 0 and --scale > 0")
    noise = [args.decades, args.scale]
    if args.quick and (args.out is None or args.table is None):
        tmp = Path(tempfile.mkdtemp(prefix="stated_errors_"))
        args.out = args.out or tmp / "runs.jsonl"
        args.table = args.table or tmp / "table.md"
    args.out, args.table = args.out or RESULTS, args.table or TABLE
    arms = args.arms.split(",")
    if unknown := [a for a in arms if a not in ARMS]:
        raise SystemExit(f"unknown arm(s): {unknown}; of {ARMS}")
    arms = [a for a in arms if a != "noise-free"] if args.quick else arms
    seeds, budget = (2, 25) if args.quick else (args.seeds, args.budget)
    if not args.summary:
        sets = args.sets.split(",")
        known = {n for n, *_ in __import__("bench_optimize").SETS}
        if unknown := [s for s in sets if s not in known]:
            raise SystemExit(f"unknown table(s): {unknown}; of {sorted(known)}")
        done = {
            (r["set"], r["method"], r["seed"])
            for r in read_results(args.out)
            if r["noise"] == noise and len(r["picks"]) >= budget
        }
        jobs = [
            (arm, args.data, name, budget, seed, *noise)
            for seed in range(seeds)
            for name in sets
            for arm in arms
            if (name, arm, seed) not in done
        ]
        print(
            f"{len(jobs)} runs to do ({len(done)} in {args.out}), budget {budget}, "
            f"{args.workers} workers, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        run_jobs(run_arm, jobs, args.out, args.workers)
    table = summarise(read_results(args.out), args.data, noise)
    print(table)
    args.table.parent.mkdir(parents=True, exist_ok=True)
    args.table.write_text(table + "\n")


if __name__ == "__main__":
    main()
