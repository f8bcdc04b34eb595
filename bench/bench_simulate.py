"""Speed and accuracy of the trapped-field simulator on the published bulk pair.

Prints, for examples/paper_bulk_pair.toml (FCM 7 T -> 0 at 4.8 T/h, 6000 s hold, n = 35):
wall time, elements, dofs, time steps, Newton iterations; the same run with a naive linear
algebra (a fresh sparse product C^T diag C + M and a fresh spsolve at every Newton iteration)
and the speed ratio; the probe values' difference from a mesh-converged run; the creep of the
hold in ppm/h; the peak field on the axis. Writes the ZFC loop (0 -> 7 -> -7 -> 7 T) at the
centre probe to OUT/zfc_loop.png (default: a fluxtrap-bench folder in the temp directory).

    python bench/bench_simulate.py [--mesh 2] [--reference 0.5] [--out DIR]   (sizes in mm)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import fluxtrap.simulate.solver as solver
from fluxtrap.simulate import Case, simulate
from fluxtrap.simulate.probes import probe_matrix

ROOT = Path(__file__).parents[1]
CASE = ROOT / "examples" / "paper_bulk_pair.toml"


def naive_factorize(d, c, coeff):
    """Baseline: assemble K afresh (sparse products) and solve with spsolve at every iteration."""
    K = (c * d.Mff + d.Cf.T @ sp.diags(coeff) @ d.Cf).tocsc()

    class Solve:
        def solve(self, b):
            return spla.spsolve(K, b)

    return Solve()


def run_naive(case: Case):
    """Same Newton and time stepping, naive linear algebra per iteration."""
    real = solver.Discretization.factorize
    solver.Discretization.factorize = naive_factorize
    try:
        return simulate(case)
    finally:
        solver.Discretization.factorize = real


def values(r) -> dict[str, float]:
    df = r.probes
    end = df[df.time_s == 5250.0].iloc[0]
    return {
        "center@5250s": end.center_Bz_T,
        "surface@5250s": end.surface_Bz_T,
        "center@11250s": df.center_Bz_T.iloc[-1],
        "surface@11250s": df.surface_Bz_T.iloc[-1],
    }


def line(name, r) -> str:
    s = r.solver
    return (
        f"{name:<22} wall {s['wall_s']:7.2f} s  elements {s['elements']:5d}  dofs {s['dofs']:5d}  "
        f"steps {s['time_steps']:4d}  Newton {s['newton_iterations']:5d}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mesh", type=float, default=2.0, help="mesh size in the conductors, mm")
    ap.add_argument(
        "--reference", type=float, default=0.5, help="mesh size of the converged reference, mm"
    )
    ap.add_argument("--no-loop", action="store_true")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "fluxtrap-bench")
    args = ap.parse_args()
    case = Case.load(CASE)
    fast_case = case.with_options(mesh_size_m=args.mesh * 1e-3)

    simulate(fast_case.with_options(mesh_size_m=4e-3))  # warm up imports and caches
    fast = simulate(fast_case)
    print(line(f"fluxtrap {args.mesh:g} mm", fast))
    naive = run_naive(fast_case)
    print(line(f"naive {args.mesh:g} mm", naive))
    print(
        f"speed-up vs naive linear algebra: {naive.solver['wall_s'] / fast.solver['wall_s']:.2f}x "
        f"(same answers: max diff {max(abs(a - b) for a, b in zip(values(fast).values(), values(naive).values(), strict=True)):.1e} T)"
    )
    t = time.perf_counter()
    ref = simulate(case.with_options(mesh_size_m=args.reference * 1e-3))
    print(line(f"reference {args.reference:g} mm", ref))
    print("probe values (T):            fast        reference   difference")
    for k, v in values(fast).items():
        r = values(ref)[k]
        print(f"  {k:<24} {v:10.4f}  {r:10.4f}  {100 * (v - r) / r:+8.3f} %")

    # creep of the hold and the peak on the axis at the end of the ramp
    h = fast.probes[fast.probes.time_s > 5250.0]
    tt = h.time_s - 5250.0
    sel = tt > 60
    slope, a = np.polyfit(np.log(tt[sel]), h.center_Bz_T[sel], 1)
    b_end = h.center_Bz_T.iloc[-1]
    print(
        f"creep at the centre: B = {a:.4f} - {-slope:.4f} ln(t - 5250 s) T, normalised rate "
        f"{-slope / h.center_Bz_T.iloc[0]:.4f}; decay at the end of the hold "
        f"{-slope / (b_end * tt.iloc[-1]) * 3600e6:.0f} ppm/h"
    )
    snap = ref.snapshot(5250.0)
    z = np.linspace(0, 13.2e-3, 265)
    bz = (
        probe_matrix(
            ref.mesh.points, ref.mesh.triangles[ref.conductor], np.column_stack([0 * z, z])
        )
        @ snap.J_A_m2
    )
    print(
        f"peak trapped field on the axis at 5250 s: {bz.max():.3f} T at z = {z[bz.argmax()] * 1e3:.1f} mm "
        f"(published simulation 3.17 T; measured 2.83 T at the centre probe)"
    )

    if not args.no_loop:
        loop = simulate(ROOT / "examples" / "paper_zfc_loop.toml")
        print(line("ZFC loop 2 mm", loop))
        out = args.out
        out.mkdir(parents=True, exist_ok=True)
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4.5))
        ax.plot(loop.probes.applied_T, loop.probes.center_Bz_T, label="center (spacer)")
        ax.plot(loop.probes.applied_T, loop.probes.surface_Bz_T, label="surface", alpha=0.7)
        ax.set(
            xlabel="applied field (T)",
            ylabel="$B_z$ (T)",
            title="ZFC loop 0 -> 7 -> -7 -> 7 T, 4.8 T/h, 5 K",
        )
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "zfc_loop.png", dpi=120)
        up = loop.probes[loop.probes.time_s <= 5250.0]
        print(
            f"ZFC: flux reaches the centre (> 0.1 T) at {up.applied_T[up.center_Bz_T > 0.1].iloc[0]:.2f} T applied "
            f"(published measurement: ~2.5 T); plot in {out / 'zfc_loop.png'}"
        )
    print(f"total bench time {time.perf_counter() - t:.0f} s after the speed runs")


if __name__ == "__main__":
    main()
