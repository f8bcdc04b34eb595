"""A log objective's typo check: Tukey's fence on ln(value) (``OUTLIER_LN_IQR``) against the GP's
standardised leave-one-out residual on ln(value), at the same false-alarm rate.

Synthetic campaigns of 10, 20, 40 and 60 rows over three sintering parameters, Jc in A/m^2:
``peak`` (ln Jc a Gaussian peak from 1e3 A/m^2 up 4 or 5 decades, the seed drawing it, with
log-normal scatter of 0.1 in log10) and ``iid`` (log10 Jc normal around 5 with sd 1.2, no relation
to the parameters: 4-5 decades in these row counts). Each clean campaign is checked, then again
with one value mistyped: the row of the median value x or / 1e3 and 1e6, the largest x, the
smallest /. Per check the largest statistic over the rows (a false alarm when a clean campaign's
passes the threshold) and the mistyped row's (detected when it passes):

- ``iqr``: |ln y - median| / IQR of ln y (the check today: named past 3.5);
- ``loo``: |ln y - mu_loo| / sd_loo, the GP of ln y (fluxtrap's defaults, ``Optimizer.loo``)
  predicting each row from the others, its sd including the fitted noise.

The LOO threshold is set to the false-alarm rate of the fence at 3.5 (and at 1 % and 5 %) on the
clean campaigns of the even seeds and applied to the odd ones (held out), so neither is tuned on
the rows it is scored on.

    nice -n 10 .venv/bin/python bench/bench_outlier_loo.py --seeds 20 --out /tmp/outlier_loo.jsonl
    .venv/bin/python bench/bench_outlier_loo.py --summary bench/results/outlier_loo_runs.jsonl.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from fluxtrap.campaign import ObjectiveDef
from fluxtrap.optimize import Continuous, Optimizer, SearchSpace
from fluxtrap.optimize.optimizer import OUTLIER_LN_IQR, OUTLIER_LN_LOO

ROWS = (10, 20, 40, 60)
LOW, HIGH = np.array([550.0, 1.0, 5.0]), np.array([750.0, 60.0, 100.0])
SPACE = SearchSpace([Continuous(n, lo, hi) for n, lo, hi in zip("Tdr", LOW, HIGH, strict=True)])
TYPOS = (  # (where, factor)
    ("median", 1e3),
    ("median", 1e6),
    ("median", 1e-3),
    ("median", 1e-6),
    ("largest", 1e3),
    ("largest", 1e6),
    ("smallest", 1e-3),
    ("smallest", 1e-6),
)
FENCE = OUTLIER_LN_IQR


def campaign(family: str, n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` settings (uniform over the box) and their Jc (A/m^2)."""
    rng = np.random.default_rng([seed, n, family == "peak"])
    U = rng.uniform(size=(n, 3))
    X = pd.DataFrame(LOW + U * (HIGH - LOW), columns=SPACE.names)
    if family == "iid":
        return X, 10 ** (5 + 1.2 * rng.standard_normal(n))
    centre, width = rng.uniform(0.25, 0.75, 3), rng.uniform(0.2, 0.4, 3)
    decades = 4 + seed % 2
    shape = np.exp(-0.5 * (((U - centre) / width) ** 2).sum(axis=1))
    return X, 10 ** (3 + decades * shape + 0.1 * rng.standard_normal(n))


def iqr_stat(y: np.ndarray) -> np.ndarray:
    """Each row's distance from the median in IQRs of ln y."""
    z = np.log(y)
    q1, median, q3 = np.percentile(z, [25, 50, 75])
    return np.abs(z - median) / (q3 - q1)


def loo_stat(X: pd.DataFrame, y: np.ndarray, seed: int) -> np.ndarray:
    """Each row's |ln y - mu| / sd, predicted from the other rows by the GP of ln y."""
    opt = Optimizer(SPACE, seed=seed, shown={"jc": ObjectiveDef("jc", log=True)})
    loo = opt.tell(X, pd.Series(y, name="jc")).loo()
    return np.abs(np.log(y) - np.log(loo["jc_loo_mean"].to_numpy())) / loo["jc_loo_std"].to_numpy()


def run(seeds: int, out: Path) -> None:
    done = set()
    if out.exists():
        done = {(r["family"], r["n"], r["seed"]) for r in map(json.loads, out.open())}
    for seed in range(seeds):
        for family in ("peak", "iid"):
            for n in ROWS:
                if (family, n, seed) in done:
                    continue
                t0 = time.process_time()
                X, y = campaign(family, n, seed)
                record = {
                    "family": family,
                    "n": n,
                    "seed": seed,
                    "decades": float(np.log10(y.max() / y.min())),
                    "clean": {
                        "iqr": float(iqr_stat(y).max()),
                        "loo": float(loo_stat(X, y, seed).max()),
                    },
                }
                order = np.argsort(y)
                rows = {"median": order[n // 2], "largest": order[-1], "smallest": order[0]}
                for where, factor in TYPOS:
                    i = rows[where]
                    typed = y.copy()
                    typed[i] *= factor
                    iqr, loo = iqr_stat(typed), loo_stat(X, typed, seed)
                    others = np.arange(n) != i
                    record[f"{where} x{factor:g}"] = {
                        "iqr": float(iqr[i]),
                        "loo": float(loo[i]),
                        "iqr_others": float(iqr[others].max()),
                        "loo_others": float(loo[others].max()),
                    }
                record["cpu_s"] = time.process_time() - t0
                with out.open("a") as f:
                    f.write(json.dumps(record) + "\n")
                print(family, n, seed, f"{record['cpu_s']:.1f} s", flush=True)


def summary(path: Path) -> str:
    """The markdown table: each rule's false alarms on the held-out clean campaigns (odd seeds)
    and the share of their typos it names, its thresholds set on the even seeds."""
    with gzip.open(path, "rt") if path.suffix == ".gz" else path.open() as f:
        records = [json.loads(line) for line in f]
    fit = [r for r in records if r["seed"] % 2 == 0]
    test = [r for r in records if r["seed"] % 2 == 1]

    def limit(key: str, fa: float) -> float:  # the threshold passed by a share fa of fit's clean
        return float(np.quantile([r["clean"][key] for r in fit], 1 - fa))

    def names(limits: dict[str, float]):
        return lambda stats: any(stats[k] > t for k, t in limits.items())

    today = float(np.mean([r["clean"]["iqr"] > FENCE for r in fit]))
    rules = {f"fence {FENCE:g} (today)": names({"iqr": FENCE})}
    for fa in (0.01, 0.05, today):
        for key, what in (("iqr", "fence"), ("loo", "LOO |z|")):
            t = limit(key, fa)
            rules.setdefault(f"{what} {t:.2f} (FA {fa:.0%} on fit)", names({key: t}))
    t = limit("loo", 0.01)
    rules[f"fence {FENCE:g} or LOO |z| {t:.2f}"] = names({"iqr": FENCE, "loo": t})
    adopted = {"iqr": FENCE, "loo": OUTLIER_LN_LOO}
    rules[f"fence {FENCE:g} or LOO |z| {OUTLIER_LN_LOO:g} (OUTLIER_LN_LOO)"] = names(adopted)
    groups = {
        "median x1e3": lambda c: c.startswith("median x1000") or c == "median x0.001",
        "median x1e6": lambda c: c in ("median x1e+06", "median x1e-06"),
        "extreme x1e3": lambda c: not c.startswith("median") and c.endswith(("1000", "0.001")),
        "extreme x1e6": lambda c: not c.startswith("median") and c.endswith("06"),
    }
    cases = [c for c in records[0] if " x" in c]
    head = ["rule", "FA held out", *groups, "10 rows", "20-60 rows", "all"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for family in ("peak", "iid", None):
        rs = [r for r in test if family in (None, r["family"])]
        lines.append(f"| **{family or 'both'}**, {len(rs)} campaigns |" + " |" * (len(head) - 1))
        for name, rule in rules.items():
            cells = [np.mean([rule(r["clean"]) for r in rs])]
            for pick in groups.values():
                cells.append(np.mean([rule(r[c]) for r in rs for c in cases if pick(c)]))
            for few in (True, False):
                cells.append(
                    np.mean([rule(r[c]) for r in rs for c in cases if few == (r["n"] == 10)])
                )
            cells.append(np.mean([rule(r[c]) for r in rs for c in cases]))
            lines.append(f"| {name} | " + " | ".join(f"{v:.2f}" for v in cells) + " |")
    cpu = np.mean([r["cpu_s"] for r in records]) / (1 + len(TYPOS))
    decades = np.percentile([r["decades"] for r in records], [10, 50, 90])
    lines.append("")
    lines.append(
        f"{len(records)} campaigns ({len(test)} held out), spanning {decades[0]:.1f} / "
        f"{decades[1]:.1f} / {decades[2]:.1f} decades (10th / 50th / 90th percentile); "
        f"a fit and its LOO took {cpu:.2f} s CPU"
    )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20, help="campaigns per family and row count")
    ap.add_argument("--out", type=Path, default=Path("/tmp/outlier_loo.jsonl"), help="JSON lines")
    ap.add_argument("--summary", type=Path, default=None, help="print the table of these runs")
    args = ap.parse_args()
    if args.summary is not None:
        print(summary(args.summary))
        return
    warnings.simplefilter("ignore")
    run(args.seeds, args.out)
    print(summary(args.out))


if __name__ == "__main__":
    main()
