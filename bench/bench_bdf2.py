"""Variable-step BDF2 against backward Euler for the simulator's time steps (issue 15), measured
and not adopted (``bench/results/simulator_speed.md``).

The prototype is ``bench/bdf2_prototype.patch`` (against ``--base``, the commit it was written
on): BDF2 in its variable-coefficient form for the EM equation where no heat equation runs, each
protocol step started with a backward-Euler step; its local error from a quadratic extrapolation
of the last three states, the step control at exponent 1/3; the pairs' time parts divided by
2^2 - 1 and the scout's rtol scaled as rtol^(2/3). ``solver.ORDER`` (1 or 2) picks the method in
one process, so both run alternated on the same machine load. The patch is applied to a copy of
``--base``'s ``src/`` in ``--tmp`` and this script runs again on it.

1. Time convergence on one uniform 1 mm mesh of the bench ZFC loop and of the paper case: per
   rtol the steps, Newton iterations, factorizations, CPU, the largest time error of the probes
   over the trace (relative to the probe's peak self-field) against the same mesh at rtol 3e-6
   (BDF2), and the pairs' time part (the run at every other of its own times against it) over
   that true error: 1 at first order, 3 at second order.
2. Both cases at ``accuracy = "1 %"``: ``--rounds`` rounds of BE then BDF2, the least CPU of
   ``--repeat`` runs each, their ratio; meshes, steps, Newton iterations, estimate.

    python bench/bench_bdf2.py [--base fc3c2d1] [--rounds 3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
PATCH = ROOT / "bench" / "bdf2_prototype.patch"


def prototype(base: str, tmp: Path) -> Path:
    """A copy of ``base``'s ``src/`` (``bench_simulate.source_of``, in ``tmp / "bdf2"``: never
    the baseline's unpatched copy) with the BDF2 patch applied, made once."""
    import bench_simulate  # beside this script; imported here, where the patched tree is made

    tree = tmp / "bdf2" / f"src-{base}"
    if not tree.exists():
        bench_simulate.source_of(base, tmp / "bdf2")
        subprocess.run(["git", "apply", str(PATCH)], cwd=tree, check=True)
    return tree


def convergence(name: str, case, rtols: list[float]) -> None:
    """Part 1 on ``case``'s uniform 1 mm mesh."""
    import numpy as np

    import fluxtrap.simulate.solver as solver
    from fluxtrap.simulate.mesh import build_mesh
    from fluxtrap.simulate.simulation import Simulation

    h = 1e-3
    mesh = build_mesh(case, h)

    def run(order, rtol, schedule=None):
        solver.ORDER = order
        t = time.process_time()
        r, _ = Simulation(case.with_options(rtol=rtol)).run_on_mesh(
            mesh, h, False, None, None, schedule
        )
        return r, time.process_time() - t

    ref, _ = run(2, 3e-6)
    cols = [f"{p.name}_Bz_T" for p in case.probes]
    scale = {c: float(np.max(np.abs(ref.probes[c] - ref.probes.applied_T))) for c in cols}

    def error(a, b):
        """Largest |a - b| over a's times and the probes, relative to the peak self-field."""
        pa, pb = a.probes, b.probes
        return max(
            float(np.max(np.abs(pa[c] - np.interp(pa.time_s, pb.time_s, pb[c])))) / scale[c]
            for c in cols
        )

    steps = ref.solver["time_steps"]
    print(f"\n== {name}: {mesh.n_elements} elements, reference rtol 3e-6 ({steps} steps)")
    for order in (1, 2):
        for rtol in rtols:
            r, cpu = run(order, rtol)
            times = r.probes.time_s.to_numpy()
            doubled, _ = run(order, rtol, times[2::2])
            same, _ = run(order, rtol, times[1:])
            true, part = error(r, ref), error(doubled, same)
            s = r.solver
            print(
                f"   {('BE', 'BDF2')[order - 1]:<4} rtol {rtol:.1e}: steps {s['time_steps']:4d} "
                f"Newton {s['newton_iterations']:5d} factorizations {s['factorizations']:5d} "
                f"CPU {cpu:.3f} s  time error {true:.3%}  doubled-step part {part:.3%} "
                f"({part / true:.2f}x)"
            )


def whole(name: str, case, rounds: int, repeat: int) -> None:
    """Part 2: ``case`` at its accuracy, BE and BDF2 alternated in this process."""
    import numpy as np

    import fluxtrap.simulate.solver as solver
    from fluxtrap.simulate import simulate

    cpu, last = {1: [], 2: []}, {}
    for i in range(rounds):
        for order in (1, 2):
            solver.ORDER = order
            best = np.inf
            for _ in range(repeat):
                t = time.process_time()
                last[order] = simulate(case)
                best = min(best, time.process_time() - t)
            cpu[order].append(best)
        print(
            f"   {name} round {i + 1}: CPU BE {cpu[1][-1]:.3f} s, BDF2 {cpu[2][-1]:.3f} s, "
            f"ratio {cpu[2][-1] / cpu[1][-1]:.2f} (load {os.getloadavg()[0]:.1f})"
        )
    r = np.array(cpu[2]) / np.array(cpu[1])
    print(f"   {name}: BDF2 / BE CPU median {np.median(r):.2f} [{r.min():.2f}-{r.max():.2f}]")
    for order, res in last.items():
        s, acc = res.solver, res.accuracy
        print(
            f"   {('BE', 'BDF2')[order - 1]:<4} final pair {s['elements']} elements, "
            f"{s['time_steps']} steps, {s['newton_iterations']} Newton, {s['factorizations']} "
            f"factorizations; estimate {acc['estimate']:.4f}, scout time part "
            f"{acc.get('scout_time_error', float('nan')):.4f}, pairs' rtol "
            + ", ".join(f"{lev['rtol']:.1e}" for lev in acc["levels"][1::2])
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="fc3c2d1", help="the commit the patch applies to")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rtols", default="1.6e-2,4e-3,1e-3,2.5e-4")
    ap.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()) / "fluxtrap-bench")
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not args.inside:
        tree = prototype(args.base, args.tmp)
        env = {**os.environ, "PYTHONPATH": str(tree / "src")}
        cmd = [sys.executable, "-W", "ignore", __file__, "--inside", *sys.argv[1:]]
        sys.exit(subprocess.run(cmd, env=env).returncode)
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_simulate

    from fluxtrap.simulate import Case

    zfc = Case.from_dict(bench_simulate.ZFC)
    paper = bench_simulate.accuracy_driven(Case.load(bench_simulate.PAPER))
    rtols = [float(x) for x in args.rtols.split(",")]
    convergence("ZFC loop", zfc, rtols)
    convergence("paper case", paper, rtols[:3])
    print("\n== at 1 %")
    whole("ZFC loop", zfc, args.rounds, args.repeat)
    whole("paper case", paper, args.rounds, args.repeat)


if __name__ == "__main__":
    main()
