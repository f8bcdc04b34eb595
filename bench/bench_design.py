"""How well ``adapt.design`` predicts what its graded pair delivers (issue 15, speed round).

For every design of an accuracy-driven run (the eight cases of ``bench_accuracy.py``, the bench
ZFC loop and the paper case, each as a user runs it at 1 %): the target it was given, its model's
error (``adapt.error_model``: cancel x sum |share| x size ratio, largest over probes and sample
times) evaluated on the mesh Triangle actually makes from its bounds (each coarse conductor
element's ratio = 1 / sqrt(its pieces)), and the estimate the next pair then delivers, less the
time error the run expected that pair to add (accuracy - target, zero unless the scout was over
its time budget). delivered / predicted near 1 means a design could aim at its target on
Triangle's mesh; its scatter is the margin a design needs so that a pair rarely misses (a miss
costs a whole pair). No references: this judges the design, not the estimate (``bench_accuracy.py`` does).

    nice -n 10 python bench/bench_design.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import time
import tomllib
import warnings
from pathlib import Path

import numpy as np
from bench_accuracy import CASES
from bench_simulate import accuracy_driven

import fluxtrap.simulate.adapt as adapt
from fluxtrap.simulate import Case
from fluxtrap.simulate.mesh import AIR, refine
from fluxtrap.simulate.simulation import Simulation
from fluxtrap.simulate.topology import cuts

ROOT = Path(__file__).parents[1]


def cases() -> dict[str, Case]:
    out = {name: Case.from_dict(d) for name, (d, _) in CASES.items()}
    out["bench ZFC loop 0.2 T/s n20"] = Case.from_dict(
        tomllib.loads((ROOT / "bench" / "zfc_loop.toml").read_text())
    )
    paper = Case.load(ROOT / "examples" / "paper_bulk_pair.toml")
    out["paper case"] = accuracy_driven(paper)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", help="substrings of the case names to run")
    args = ap.parse_args()
    real = adapt.design
    designs: list[dict] = []

    def watched(case, coarse, fine, share, target, limit):
        plan = real(case, coarse, fine, share, target, limit)
        made = refine(coarse.mesh, plan.max_area, cuts(case.stack))
        inside = np.where(made.region != AIR)[0]
        pieces = np.bincount(
            adapt.locate(coarse.mesh, coarse.conductor, made.centroid[inside]),
            minlength=len(coarse.conductor),
        )
        ratio = 1.0 / np.sqrt(np.maximum(pieces, 1))
        size = np.sqrt(plan.max_area[coarse.conductor] / coarse.mesh.area[coarse.conductor])
        predicted = adapt.error_model(share)
        designs.append(
            {
                "target": target,
                "model": predicted(np.clip(size, 0, 1)),
                "made": predicted(ratio),
                "pieces": float(np.mean(pieces * np.clip(size, 0, 1) ** 2)),
                "elements": made.n_elements,
            }
        )
        return plan

    adapt.design = watched
    total = 0.0
    print(
        f"{'case':<44} {'design':>6} {'target':>7} {'model':>7} {'on mesh':>7} {'pieces':>6} "
        f"{'elements':>8} {'delivered':>9} {'del/mesh':>8}"
    )
    for name, case in cases().items():
        if args.only and not any(o in name for o in args.only):
            continue
        designs.clear()
        t = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run = Simulation(case).run(progress=False)
        total += time.process_time() - t
        estimates = [lev["estimate"] for lev in run.accuracy["levels"] if "estimate" in lev]
        for i, d in enumerate(designs):
            delivered = estimates[i + 1] - (case.solver.accuracy - d["target"])
            print(
                f"{name:<44} {i:6d} {d['target']:7.2%} {d['model']:7.2%} {d['made']:7.2%} "
                f"{d['pieces']:6.2f} {d['elements']:8d} {delivered:9.2%} "
                f"{delivered / d['made']:8.2f}"
            )
        print(
            f"{name:<44} {len(estimates)} pairs, final {run.solver['elements']} elements, "
            f"estimates {', '.join(f'{e:.2%}' for e in estimates)}"
        )
    print(f"CPU of all runs {total:.1f} s")


if __name__ == "__main__":
    main()
