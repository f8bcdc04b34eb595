"""Speed and accuracy of the trapped-field simulator (issue 15), as ratios within one run.

1. A partial-penetration ZFC loop of our own (a cylinder 25 mm across and 10 mm tall, constant
   Jc 2e4 A/cm^2, n = 20, 0 -> 1 -> -1 -> 0 T at 0.2 T/s, probe on the axis 0.5 mm above the top
   face): the baseline is the code before issue 15 (git revision ``--baseline``, run in a
   subprocess) at its fixed 1 mm mesh, and the first accuracy-driven code (``--previous``: uniform
   2h/h meshes halved until the estimate meets 1 %); fluxtrap now runs at ``[solver] accuracy =
   "1 %"`` (graded pairs). All against a reference converged in space and time (0.25 mm, rtol
   3e-5, cached in --tmp): true error of the final value and the largest over the trace,
   relative to the probe's peak self-field, and the estimate.
2. The paper case (examples/paper_bulk_pair.toml) the same way; reference 0.4 mm, rtol 3e-5.
3. Solver settings on the ZFC loop at 1 mm (one mesh): Newton tolerance 1e-4 vs 1e-3 and
   refactorizing at every Newton iteration vs keeping the factorization while J converges (and
   the last step's for the first iteration of the next at a similar dt);
   the naive linear algebra (fresh sparse product and spsolve each iteration) for scale.

Prints dofs, steps, Newton iterations, factorizations, wall and CPU time; wall times on a shared
machine vary (CPU times less), so compare the ratios of one run.

``--alternate N`` measures only the speed criterion: N rounds, each the baseline at its fixed
1 mm and then today's code at 1 % in fresh interpreters (one warm-up each, then ``--repeat``
runs, solve only; the least CPU time (its own and any child process')
and the least wall time of a process count, the ones least disturbed by the other users of a
shared machine), so a change of the machine's load hits both alike; per round the CPU and the
wall ratio and the load, then their medians and ranges (the criterion is the wall ratio).

    python bench/bench_simulate.py [--baseline 5ddab4d] [--previous 5daa3fc] [--reference 0.25]
        [--skip-reference] [--alternate N]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import fluxtrap.simulate.solver as solver
from fluxtrap.simulate import Case, simulate
from fluxtrap.simulate.mesh import build_mesh
from fluxtrap.simulate.simulation import Simulation

ROOT = Path(__file__).parents[1]
PAPER = ROOT / "examples" / "paper_bulk_pair.toml"
ZFC = tomllib.loads((ROOT / "bench" / "zfc_loop.toml").read_text())

BASELINE_RUN = """
import dataclasses, json, resource, sys, time, pandas as pd
from fluxtrap.simulate import Case, simulate
case = Case.load(json.loads(sys.argv[1])) if sys.argv[1].startswith("{") else Case.load(sys.argv[1])
simulate(case.with_options(mesh_size_m=4e-3))  # warm up
size = float(sys.argv[2])  # 0: chosen for the accuracy (today's with_options refuses 0)
case = dataclasses.replace(case, mesh=dataclasses.replace(case.mesh, size_m=size))
def cpu_now():  # this process's CPU time and that of its (joined) children, s
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + c.ru_utime + c.ru_stime
cpu, wall = [], []
for _ in range(int(sys.argv[4])):
    t, w = cpu_now(), time.perf_counter()
    r = simulate(case)
    cpu.append(cpu_now() - t)
    wall.append(time.perf_counter() - w)
r.probes.to_csv(sys.argv[3], index=False)
print(json.dumps({**r.solver, "cpu_s": cpu, "walls_s": wall}))
"""


def accuracy_driven(case: Case) -> Case:
    """``case`` with its fixed mesh size cleared: meshed for its ``[solver] accuracy``."""
    return dataclasses.replace(case, mesh=dataclasses.replace(case.mesh, size_m=0.0))


def source_of(rev: str, tmp: Path) -> Path:
    """The folder holding ``src/`` of git revision ``rev`` (extracted once into ``tmp``)."""
    src = tmp / f"src-{rev}"
    if not src.exists():
        src.mkdir(parents=True)
        tar = subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev, "src"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(src)], input=tar, check=True)
    return src


def baseline(rev: str, case: str, size_m: float, tmp: Path, repeat: int) -> tuple[dict, object]:
    """Run ``case`` (path or JSON) ``repeat`` times with the code of git revision ``rev`` at a
    fixed mesh size (0: chosen for the accuracy); ``cpu_s`` is the list of CPU times."""
    out = tmp / f"baseline-{rev}-{size_m}-{abs(hash(case))}.csv"
    return run_code(source_of(rev, tmp), case, size_m, out, repeat)


def run_code(src: Path, case: str, size_m: float, out: Path, repeat: int) -> tuple[dict, object]:
    """``baseline`` with the code under ``src`` (a folder holding ``src/``) in a fresh interpreter."""
    import pandas as pd

    res = subprocess.run(
        [
            sys.executable,
            "-W",
            "ignore",
            "-c",
            BASELINE_RUN,
            case,
            str(size_m),
            str(out),
            str(repeat),
        ],
        env={"PYTHONPATH": str(src / "src"), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(res.stdout.strip().splitlines()[-1]), pd.read_csv(out)


def timed(case, repeat: int) -> tuple[object, list[float]]:
    cpu = []
    for _ in range(repeat):
        t = time.process_time()
        r = simulate(case)
        cpu.append(time.process_time() - t)
    return r, cpu


def spread(cpu: list[float] | float) -> str:
    """Median CPU time and its range over the repeats, s."""
    cpu = np.atleast_1d(cpu)
    return f"{np.median(cpu):6.2f} s [{cpu.min():.2f}-{cpu.max():.2f}]"


def describe(name: str, s: dict, cpu: list[float] | float) -> str:
    return (
        f"{name:<34} cpu {spread(cpu)}  elements {s['elements']:6d}  "
        f"dofs {s['dofs']:6d}  steps {s['time_steps']:4d}  Newton {s['newton_iterations']:5d}"
    )


def ratio(a: list[float], b: list[float]) -> str:
    """Median of a / median of b, and the range of the ratio over the repeats' extremes."""
    return f"{np.median(a) / np.median(b):.2f} [{min(a) / max(b):.2f}-{max(a) / min(b):.2f}]"


def reference(case: Case, size_m: float, tmp: Path, key: str):
    """The case on one mesh of ``size_m`` at rtol 3e-5 (converged in space and time), cached."""
    import hashlib

    import pandas as pd

    path = tmp / f"reference-{hashlib.sha256(key.encode()).hexdigest()[:12]}-{size_m}.csv"
    if path.exists():
        return pd.read_csv(path)
    ref = case.with_options(mesh_size_m=size_m, rtol=3e-5)
    r, _ = Simulation(ref).run_on_mesh(build_mesh(ref, size_m), size_m, False, None)
    print(describe(f"reference {size_m * 1e3:g} mm rtol 3e-5", r.solver, float("nan")))
    r.probes.to_csv(path, index=False)
    return r.probes


def compare(title, case, ref_size, args, tmp, key):
    import fluxtrap.simulate.simulation as simulation

    print(f"\n== {title} (CPU: median [range] of {args.repeat} runs)")
    r = args.repeat
    base, base_probes = baseline(args.baseline, key, 1e-3, tmp, r)
    print(describe(f"baseline {args.baseline} fixed 1 mm", base, base["cpu_s"]))
    prev, prev_probes = baseline(args.previous, key, 0.0, tmp, r)
    print(describe(f"previous {args.previous} accuracy 1 %", prev, prev["cpu_s"]))
    before, before_probes = baseline(args.before, key, 0.0, tmp, r)
    print(describe(f"before {args.before} accuracy 1 %", before, before["cpu_s"]))
    scout = simulation.SCOUT_RTOL
    simulation.SCOUT_RTOL = 1.0
    try:
        plain, plain_cpu = timed(case, r)
    finally:
        simulation.SCOUT_RTOL = scout
    print(describe("now without the scout pair", plain.solver, plain_cpu))
    new, cpu = timed(case, r)
    acc = new.accuracy
    for lev in acc["levels"]:
        print(
            f"   pair run: elements {lev['elements']:6d} dofs {lev['dofs']:6d} steps "
            f"{lev['time_steps']:4d} Newton {lev['newton_iterations']:5d} factorizations "
            f"{lev['factorizations']:5d} rtol {lev['rtol']:.0e} wall {lev['wall_s']:.2f} s"
            + (f"  estimate {lev['estimate']:.4f}" if "estimate" in lev else "")
        )
    print(describe("fluxtrap now, accuracy 1 %", new.solver, cpu))
    b = base["cpu_s"]
    print(
        f"   estimate {acc['estimate']:.4f} of the peak self-field (reached: {acc['reached']}; "
        f"scout time error {acc.get('scout_time_error', float('nan')):.4f}); "
        f"CPU ratios: now/baseline {ratio(cpu, b)}, now/before {ratio(cpu, before['cpu_s'])}, "
        f"without scout/baseline {ratio(plain_cpu, b)}, before/baseline "
        f"{ratio(before['cpu_s'], b)}, previous/baseline {ratio(prev['cpu_s'], b)}"
    )
    if args.skip_reference:
        return
    ref = reference(case, ref_size, tmp, key)
    for p in case.probes:
        col = f"{p.name}_Bz_T"
        scale = float(np.max(np.abs(ref[col] - ref.applied_T)))
        rows = []
        for name, probes in (
            ("baseline", base_probes),
            ("previous", prev_probes),
            ("before", before_probes),
            ("without scout", plain.probes),
            ("now", new.probes),
        ):
            d = np.abs(probes[col] - np.interp(probes.time_s, ref.time_s, ref[col]))
            rows.append((name, float(d.iloc[-1]), float(d.max())))
        e = new.errors[p.name]
        print(
            f"   {p.name}: peak self-field {scale:.4f} T; true error final / max over trace: "
            + ", ".join(f"{n} {f:.2e} / {m:.2e} T ({m / scale:.2%})" for n, f, m in rows)
            + f"; estimate now {e['final_error_T']:.2e} / {e['max_error_T']:.2e} T (estimate/true "
            f"{e['final_error_T'] / rows[-1][1]:.2f} / {e['max_error_T'] / rows[-1][2]:.2f})"
        )


def naive_factorize(d, c, coeff):
    """Baseline linear algebra: K assembled afresh and solved by spsolve at every iteration."""
    K = (c * d.Mff + d.Cf.T @ sp.diags(coeff) @ d.Cf).tocsc()

    class Solve:
        def solve(self, b):
            return spla.spsolve(K, b)

    return Solve()


def settings(case: Case) -> None:
    print("\n== solver settings, ZFC loop at 1 mm (one mesh)")
    sim = Simulation(case)
    mesh = build_mesh(case, 1e-3)
    real_ctl, real_fact = solver.StepControl, solver.Discretization.factorize
    rows = []
    for label, tol, reuse, naive in (
        ("before: tol 1e-4, refactor always", 1e-4, 0.0, False),
        ("tol 1e-3, refactor always", 1e-3, 0.0, False),
        ("tol 1e-4, reuse factorization", 1e-4, 0.1, False),
        ("now: tol 1e-3, reuse factorization", 1e-3, 0.1, False),
        ("naive linear algebra, tol 1e-3", 1e-3, 0.0, True),
    ):

        def ctl(rtol, stats=None, _t=tol, _r=reuse):
            # refactor always: also at the first iteration of a step (no factorization kept)
            keep = real_ctl.keep_within if _r else -1.0
            return real_ctl(rtol, newton_tol=_t, reuse=_r, stats=stats, keep_within=keep)

        solver.StepControl = ctl
        if naive:
            solver.Discretization.factorize = naive_factorize
        try:
            t = time.process_time()
            r, _ = sim.run_on_mesh(mesh, 1e-3, False, None)
            cpu = time.process_time() - t
        finally:
            solver.StepControl, solver.Discretization.factorize = real_ctl, real_fact
        rows.append((label, r, cpu))
    base = rows[0]
    for label, r, cpu in rows:
        s = r.solver
        print(
            f"{label:<38} Newton {s['newton_iterations']:5d} factorizations "
            f"{s['factorizations']:5d} steps {s['time_steps']:4d} cpu {cpu:6.2f} s "
            f"(ratio {cpu / base[2]:.2f}); final {r.probes.above_Bz_T.iloc[-1]:+.6f} T "
            f"(change {r.probes.above_Bz_T.iloc[-1] - base[1].probes.above_Bz_T.iloc[-1]:+.1e} T)"
        )


def alternate(title: str, case: str, args, tmp: Path) -> None:
    """The speed criterion: the baseline's fixed 1 mm run and today's at 1 %, alternated round by
    round in fresh interpreters (solve-only CPU time, the least of ``--repeat`` runs each)."""
    import os

    print(f"\n== {title}: {args.baseline} fixed 1 mm vs now at 1 %, alternated")
    old_cpu, new_cpu, old_wall, new_wall = [], [], [], []
    for i in range(args.alternate):
        old, _ = baseline(args.baseline, case, 1e-3, tmp, args.repeat)
        new, _ = run_code(ROOT, case, 0.0, tmp / "alternate-now.csv", args.repeat)
        old_cpu.append(min(old["cpu_s"]))
        new_cpu.append(min(new["cpu_s"]))
        old_wall.append(min(old["walls_s"]))
        new_wall.append(min(new["walls_s"]))
        print(
            f"   round {i + 1}: CPU old {old_cpu[-1]:.3f} s, now {new_cpu[-1]:.3f} s, ratio "
            f"{new_cpu[-1] / old_cpu[-1]:.2f}; wall old {old_wall[-1]:.3f} s, now "
            f"{new_wall[-1]:.3f} s, ratio {new_wall[-1] / old_wall[-1]:.2f} "
            f"(load {os.getloadavg()[0]:.1f})"
        )
    print(describe(f"baseline {args.baseline} fixed 1 mm", old, old_cpu))
    print(describe("now at 1 %", new, new_cpu))
    print(f"   factorizations now {new['factorizations']}")
    for what, a, b in (("CPU", new_cpu, old_cpu), ("wall", new_wall, old_wall)):
        r = np.array(a) / np.array(b)
        print(
            f"   {what} ratio now/old per round: median {np.median(r):.2f} "
            f"[{r.min():.2f}-{r.max():.2f}] (now {np.median(a):.3f} s, old {np.median(b):.3f} s)"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", default="5ddab4d", help="git revision of the baseline code")
    ap.add_argument("--previous", default="5daa3fc", help="the first accuracy-driven code")
    ap.add_argument("--before", default="94df280", help="the code before the last speed work")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each variant (CPU spread)")
    ap.add_argument("--reference", type=float, default=0.25, help="ZFC reference mesh, mm")
    ap.add_argument("--skip-reference", action="store_true")
    ap.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()) / "fluxtrap-bench")
    ap.add_argument("--alternate", type=int, default=0, help="rounds of old/now (speed only)")
    args = ap.parse_args()
    args.tmp.mkdir(parents=True, exist_ok=True)
    if args.alternate:
        alternate("ZFC loop (partial penetration)", json.dumps(ZFC), args, args.tmp)
        alternate("paper case", str(PAPER), args, args.tmp)
        return
    simulate(Case.from_dict({**ZFC, "mesh": {"size": "4 mm"}}))  # warm up imports

    zfc = Case.from_dict(ZFC)
    compare(
        "ZFC loop (partial penetration)",
        zfc,
        args.reference * 1e-3,
        args,
        args.tmp,
        json.dumps(ZFC),
    )
    paper = accuracy_driven(Case.load(PAPER))
    compare("paper case", paper, 0.4e-3, args, args.tmp, str(PAPER))
    settings(zfc)


if __name__ == "__main__":
    main()
