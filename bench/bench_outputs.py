"""Where the wall time of a run goes: import, solve, outputs; today's outputs against the old way.

On examples/paper_bulk_pair.toml at its 1 mm mesh, in one run:

- import: ``import fluxtrap.simulate`` in a fresh interpreter (lazy since issue 15) against
  importing the modules it used to load eagerly (mesh, solver, fem, probes, simulation), best of
  3; and everything a run with plots imports (the same before and after: lazy imports move it,
  a run still pays it), which the split below counts;
- solve: ``Simulation(case).run()``;
- outputs: ``Result.save`` (probes.csv, summary.json, probes.png, maps.png) with today's field
  maps (one Biot-Savart matrix for all snapshots at picture quality, ``probes.MAP_QUALITY``)
  against the old maps (a probe-quality matrix rebuilt for every snapshot), and without
  figures (``fluxtrap simulate --no-plots``: no matplotlib import either);
- the error of both maps against a converged map (smoothed kernel, 256 sub-triangles near),
  as a fraction of the peak field of the currents.

    python bench/bench_outputs.py [--case PATH] [--mesh MM] [--no-accuracy]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from fluxtrap.simulate import Case, Result, Simulation
from fluxtrap.simulate.probes import MAP_QUALITY, field_matrix

ROOT = Path(__file__).parents[1]
OLD_EAGER = (
    "import fluxtrap.simulate.simulation, fluxtrap.simulate.mesh, fluxtrap.simulate.solver, "
    "fluxtrap.simulate.fem, fluxtrap.simulate.probes, fluxtrap.simulate"
)
FULL_RUN = OLD_EAGER + ", fluxtrap.simulate.case, matplotlib.pyplot"


def import_time(statement: str, repeats: int = 3) -> float:
    """Best wall time (s) of ``statement`` in a fresh interpreter (interpreter start excluded)."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(repeats)
    ]
    return min(runs)


def old_field_maps(self: Result, times, shape=(48, 40), extent=None):
    """The maps as before issue 15: a probe-quality Biot-Savart matrix built per snapshot."""
    out = []
    for t in times:
        snap = self.snapshot(t)
        r0, r1, z0, z1 = extent or self._extent()
        r, z = np.meshgrid(np.linspace(r0, r1, shape[0]), np.linspace(z0, z1, shape[1]))
        Gr, Gz = field_matrix(
            self.mesh.points,
            self.mesh.triangles[self.conductor],
            np.column_stack([r.ravel(), z.ravel()]),
        )
        out.append(
            {
                "r": r,
                "z": z,
                "Br": (Gr @ snap.J_A_m2).reshape(r.shape),
                "Bz": (Gz @ snap.J_A_m2).reshape(r.shape) + snap.applied_T,
            }
        )
    return out


def timed_save(result: Result, out: Path) -> tuple[float, float]:
    """(wall s of Result.save, of which maps.png) into ``out``."""
    t0 = time.perf_counter()
    result.save(out, plots=False)
    result.plot_probes(out / "probes.png")
    t1 = time.perf_counter()
    result.plot_maps(path=out / "maps.png")
    t2 = time.perf_counter()
    return t2 - t0, t2 - t1


def map_errors(result: Result) -> dict[str, float]:
    """Max and 99th-percentile |B error| / peak of today's and the old map against a converged one."""
    r0, r1, z0, z1 = result._extent()
    r, z = np.meshgrid(np.linspace(r0, r1, 48), np.linspace(z0, z1, 40))
    where = np.column_stack([r.ravel(), z.ravel()])
    tri = result.mesh.triangles[result.conductor]
    J = result.snapshots[1].J_A_m2

    def field(**kw):
        Gr, Gz = field_matrix(result.mesh.points, tri, where, **kw)
        return Gr @ J, Gz @ J

    ref = field(levels=4, smooth=True)
    peak = np.hypot(*ref).max()
    out = {}
    for name, kw in (("today", MAP_QUALITY), ("old", {})):
        br, bz = field(**kw)
        err = np.hypot(br - ref[0], bz - ref[1]) / peak
        out[name] = (err.max(), np.percentile(err, 99))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", type=Path, default=ROOT / "examples" / "paper_bulk_pair.toml")
    ap.add_argument(
        "--mesh", type=float, default=None, help="mesh size in mm (default: the case's)"
    )
    ap.add_argument("--no-accuracy", action="store_true", help="skip the converged map (slow)")
    args = ap.parse_args()

    imp_new = import_time("import fluxtrap.simulate")
    imp_old = import_time(OLD_EAGER)
    imp_run = import_time(FULL_RUN)
    imp_noplots = import_time(OLD_EAGER + ", fluxtrap.simulate.case")
    case = Case.load(args.case)
    if args.mesh:
        case = case.with_options(mesh_size_m=args.mesh * 1e-3)
    warm_up = case.with_options(mesh_size_m=4 * (case.mesh.size_m or 1e-3))
    Simulation(warm_up).run(progress=False)
    t = time.perf_counter()
    result = Simulation(case).run(progress=False)
    solve = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        timed_save(result, Path(tmp) / "warm")  # matplotlib import and font cache, once
        new_total, new_maps = timed_save(result, Path(tmp) / "new")
        t = time.perf_counter()
        result.save(Path(tmp) / "bare", plots=False)  # fluxtrap simulate --no-plots
        bare = time.perf_counter() - t
        today = Result.field_maps
        Result.field_maps = old_field_maps
        try:
            old_total, old_maps = timed_save(result, Path(tmp) / "old")
        finally:
            Result.field_maps = today

    s = result.solver
    print(
        f"{case.title}: mesh {case.mesh.size_m * 1e3:g} mm, {s['elements']} elements, {s['dofs']} dofs, "
        f"{s['time_steps']} steps, {s['newton_iterations']} Newton iterations, "
        f"{len(result.snapshots)} snapshots ({len(result.snapshots) - 1} maps)"
    )
    print(
        f"import fluxtrap.simulate  today {imp_new:6.2f} s   old (eager) {imp_old:6.2f} s   "
        f"ratio {imp_old / imp_new:5.1f}x"
    )
    print(f"imports of a run + plots  {imp_run:6.2f} s (both)")
    print(f"solve                     {solve:6.2f} s")
    print(
        f"outputs (save + plots)    today {new_total:6.2f} s   old {old_total:6.2f} s   "
        f"ratio {old_total / new_total:5.1f}x"
    )
    print(
        f"  of which maps.png       today {new_maps:6.2f} s   old {old_maps:6.2f} s   "
        f"ratio {old_maps / new_maps:5.1f}x"
    )
    print(f"outputs --no-plots        {bare:6.2f} s (probes.csv, summary.json)")
    for name, imp, out in (
        ("today", imp_run, new_total),
        ("old", imp_run, old_total),
        ("no-plots", imp_noplots, bare),
    ):
        total = imp + solve + out
        print(
            f"split {name:<8} imports {100 * imp / total:3.0f} %  solve {100 * solve / total:3.0f} %  "
            f"outputs {100 * out / total:3.0f} %  (of {total:.2f} s)"
        )
    if not args.no_accuracy:
        for name, (worst, p99) in map_errors(result).items():
            print(
                f"map error vs converged ({name:<5}): max {worst:.1e}, 99th percentile {p99:.1e} of the peak field"
            )


if __name__ == "__main__":
    main()
