"""A peer-computed tube reproduced: the sparselizard example superconductor-axisymmetry-2d
(github.com/halbux/sparselizard, examples/superconductor-axisymmetry-2d/main.cpp at commit
70afae5, mesh tubeinair.geo at 9811206): a tube r 10..11 mm, 210 mm long, n = 30, E0 1e-4 V/m,
Jc 1e8 A/m^2, zero-field-cooled and ramped at 1 mT/s to 150 mT. Its validation line puts |B| at
the tube's centre at 150 s at 37.45 +- 0.01 mT (a-formulation, a = 0 on a 200 mm box).

Prints fluxtrap's centre field at 150 s against mesh size, solver rtol and the outer box, and
the infinite tube's (``long_cylinder_1d``, no end effects), with the differences to 37.45 mT.
The fast check is tests/physics/test_simulate_rings.py (2 mm mesh, tolerance 1.2 mT).

    python bench/peer_tube.py [--fine]   (--fine adds a 0.7 mm mesh: ~2 min)
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from fluxtrap.simulate import simulate
from fluxtrap.simulate.analytic import long_cylinder_1d

PEER_T = 0.03745
N, E0, JC, RATE = 30, 1e-4, 1e8, 1e-3  # -, V/m, A/m^2, T/s


def tube_case(size_mm: float, rtol: float, outer_mm: float | None) -> dict:
    mesh = {"size": f"{size_mm} mm", "max_elements": 400_000}
    if outer_mm:
        mesh["outer"] = f"{outer_mm} mm"
    return {
        "materials": {"sc": {"n": N, "e0": f"{E0} V/m", "jc": {"constant": f"{JC} A/m^2"}}},
        "stack": [
            {
                "material": "sc",
                "radius": "11 mm",
                "inner_radius": "10 mm",
                "thickness": "210 mm",
                "z": "-105 mm",
            }
        ],
        "probes": [{"name": "centre", "r": "0 m", "z": "0 m"}],
        "protocol": [
            {"step": "set", "field": "0 T", "temperature": "77 K"},
            {"step": "ramp_field", "to": "0.15 T", "rate": f"{RATE} T/s"},
        ],
        "mesh": mesh,
        "solver": {"rtol": rtol},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fine", action="store_true", help="add a 0.7 mm mesh (~2 min)")
    args = parser.parse_args()
    runs = [(2.0, 1e-3, None), (1.0, 1e-3, None), (1.0, 1e-4, None), (1.0, 1e-4, 200.0)]
    if args.fine:
        runs.append((0.7, 1e-4, None))
    print(f"peer (sparselizard): {PEER_T * 1e3:.2f} mT")
    print("mesh_mm  rtol    box_mm  centre_mT  minus_peer_mT  error_estimate_mT  wall_s")
    for size, rtol, outer in runs:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = simulate(tube_case(size, rtol, outer))
        b = float(res.probe("centre").loc[150.0])
        shielded = 0.15 - b
        estimate = res.accuracy["estimate"] * shielded  # of the peak self-field, ~ the shielded
        print(
            f"{size:7.1f}  {rtol:.0e}  {outer or 'auto':>6}  {b * 1e3:9.3f}  "
            f"{(b - PEER_T) * 1e3:13.3f}  {estimate * 1e3:17.2f}  {time.perf_counter() - t0:6.1f}"
        )
    with np.errstate(over="ignore"):  # x**n of the stiff steps BDF rejects
        _, _, profile = long_cylinder_1d(
            11e-3, lambda t: RATE * t, 150.0, lambda b: JC + 0 * b, N, E0, cells=200,
            inner_radius_m=10e-3,
        )  # fmt: skip
    print(f"infinite tube (1D finite volumes): {profile[-1, 0] * 1e3:.3f} mT")


if __name__ == "__main__":
    main()
