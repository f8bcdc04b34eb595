"""Pulsed-field magnetization with heat, converged: the optimum pulse and the 1D reference.

The fast checks are tests/physics/test_pfm.py (2 mm mesh). Here, against the mesh:

1. The optimum pulse (Bræck, Shantsev, Johansen & Galperin, J. Appl. Phys. 92, 6235 (2002),
   abstract: for a given activation time the trapped flux is maximum at an optimal pulse
   amplitude). Cylinder R 8 mm x 24 mm, Jc 1e8 A/m^2 at 5 K falling linearly to 0 at 35 K, n 25,
   adiabatic, C = 2e4 and 8e4 J/(m^3 K), and isothermal; a 10 ms / 40 ms pulse, 1 s at zero.
   Prints the trapped flux Phi / (pi R^2) and the centre field against the peak, and the optimum
   (a parabola through the largest sample and its neighbours).
2. A long cylinder (R 8 mm, 9 R and 15 R long, conduction k 1e4 W/(m K), insulated) against
   ``analytic.heated_long_cylinder_1d`` (100 cells, rtol 1e-6): temperature rise and centre field
   at the peak and at the end of a 2 T and a 1.5 T pulse (C 2e4 J/(m^3 K)).

    python bench/pfm_optimum.py [--meshes 2 1] [--peaks 0.5 0.75 ... 3]   (~10 min CPU)
        [--normal-resistivity 1e-6]   (ohm*m: part 1 with a normal state; pulses past Tc run)
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np

from fluxtrap.simulate import simulate
from fluxtrap.simulate.analytic import finite_cylinder_centre_field, heated_long_cylinder_1d

R, L, JC0, T0, TC, N = 8e-3, 24e-3, 1e8, 5.0, 35.0, 25
RISE_S, DECAY_S = 0.01, 0.04
RADII = np.linspace(0.0, R, 9)


def material(
    heat_capacity: float | None, conductivity: float | None = None, rho_n: float | None = None
) -> dict:
    table = {"temperature": f"{T0} K", "field": [0], "field_unit": "T", "jc": [JC0]}
    m = {"n": N, "jc": {"tc": f"{TC} K", "tables": [table | {"jc_unit": "A/m^2"}]}}
    if rho_n:
        m["normal_resistivity"] = f"{rho_n} ohm*m"
    if heat_capacity:
        m["heat_capacity"] = f"{heat_capacity} J/(m^3*K)"
    if conductivity:
        m["thermal_conductivity"] = f"{conductivity} W/(m*K)"
    return m


def pulse(peak_T: float) -> dict:
    """The protocol step of one pulse of ``peak_T`` (T), RISE_S up and DECAY_S down."""
    return {"step": "pulse", "peak": f"{peak_T} T", "rise": f"{RISE_S} s", "decay": f"{DECAY_S} s"}


def quiet_simulate(case: dict):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = simulate(case)
    if result.error:
        raise RuntimeError(result.error)
    return result


def trapped(
    peak_T: float, heat_capacity: float | None, mesh_mm: float, rho_n: float | None = None
) -> tuple[float, float]:
    """(Phi / (pi R^2), centre Bz) in T after the pulse and 1 s at zero (normal-state
    resistivity ``rho_n``, ohm*m, or none)."""
    case = {
        "materials": {"sc": material(heat_capacity, rho_n=rho_n)},
        "stack": [{"material": "sc", "radius": f"{R} m", "thickness": f"{L} m"}],
        "probes": [
            {"name": f"r{i}", "r": f"{r} m", "z": f"{L / 2} m"} for i, r in enumerate(RADII)
        ],
        "protocol": [
            {"step": "set", "field": "0 T", "temperature": f"{T0} K"},
            pulse(peak_T),
            {"step": "hold", "duration": "1 s"},
        ],
        "mesh": {"size": f"{mesh_mm} mm"},
        "thermal": {"model": "adiabatic" if heat_capacity else "isothermal"},
    }
    probes = quiet_simulate(case).probes
    bz = np.array([probes[f"r{i}_Bz_T"].iloc[-1] for i in range(len(RADII))])
    flux = float(np.trapezoid(2 * np.pi * RADII * bz, RADII))
    return flux / (math.pi * R**2), float(bz[0])


def optimum(peaks: list[float], values: list[float]) -> tuple[float, float]:
    """(peak, value) at the vertex of the parabola through the largest sample and its
    neighbours (the sample itself at an end of the scan)."""
    i = int(np.argmax(values))
    if i in (0, len(values) - 1):
        return peaks[i], values[i]
    a, b, c = np.polyfit(peaks[i - 1 : i + 2], values[i - 1 : i + 2], 2)
    x = -b / (2 * a)
    return float(x), float(np.polyval([a, b, c], x))


def pulse_T(peak_T: float, t: float) -> float:
    if t <= RISE_S:
        return peak_T * math.sin(math.pi / 2 * t / RISE_S)
    return peak_T * math.cos(math.pi / 2 * min((t - RISE_S) / DECAY_S, 1.0))


def long_cylinder(peak_T: float, heat_capacity: float, length: float, mesh_mm: float) -> dict:
    case = {
        "materials": {"sc": material(heat_capacity, 1e4)},
        "stack": [{"material": "sc", "radius": f"{R} m", "thickness": f"{length} m"}],
        "probes": [{"name": "centre", "r": "0 m", "z": f"{length / 2} m"}],
        "protocol": [
            {"step": "set", "field": "0 T", "temperature": f"{T0} K"},
            pulse(peak_T),
        ],
        "mesh": {"size": f"{mesh_mm} mm"},
        "thermal": {"model": "conduction"},
    }
    result = quiet_simulate(case)

    def at(frame, column, t):
        return float(frame[column].iloc[(frame.time_s - t).abs().argmin()])

    ends = (RISE_S, RISE_S + DECAY_S)
    return {
        "rise_K": [at(result.heat, "mean_T_K", t) - T0 for t in ends],
        "centre_T": [at(result.probes, "centre_Bz_T", t) for t in ends],
    }


def reference(peak_T: float, heat_capacity: float, lengths: list[float]) -> dict:
    ends = (RISE_S, RISE_S + DECAY_S)
    r, _, b, temperature = heated_long_cylinder_1d(
        R,
        lambda t: pulse_T(peak_T, t),
        ends[1],
        lambda _b, temp: JC0 * max((TC - temp) / (TC - T0), 1e-3),
        N,
        heat_capacity,
        T0,
        cells=100,
        times_s=ends,
        breaks_s=ends[:1],
    )
    centre = {
        length: [finite_cylinder_centre_field(r, row, length) for row in b] for length in lengths
    }
    return {"rise_K": list(temperature - T0), "centre_T": centre}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meshes", type=float, nargs="+", default=[2.0, 1.0])
    parser.add_argument(
        "--peaks", type=float, nargs="+", default=[0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0]
    )
    parser.add_argument("--normal-resistivity", type=float, default=None, metavar="OHM_M")
    args = parser.parse_args()
    start = time.process_time()
    print("1. Trapped flux Phi / (pi R^2) and centre field (T) against the pulse peak B_M (T)")
    print("   B_M: " + " ".join(f"{p:6.2f}" for p in args.peaks))
    for mesh in args.meshes:
        for c, label in ((2e4, "C 2e4"), (8e4, "C 8e4"), (None, "isothermal")):
            rows = [trapped(p, c, mesh, args.normal_resistivity) for p in args.peaks]
            flux, centre = [f for f, _ in rows], [b for _, b in rows]
            (pf, vf), (pb, vb) = optimum(args.peaks, flux), optimum(args.peaks, centre)
            print(f"   {mesh:g} mm {label:10s} Phi    " + " ".join(f"{v:6.3f}" for v in flux))
            print(f"   {mesh:g} mm {label:10s} centre " + " ".join(f"{v:6.3f}" for v in centre))
            print(
                f"      max Phi {vf:.3f} T at B_M {pf:.2f} T; max centre {vb:.3f} T at {pb:.2f} T"
            )
    print("2. Long cylinder (conduction, k 1e4, insulated) against the heated 1D reference")
    lengths = [9 * R, 15 * R]
    for peak in (2.0, 1.5):
        ref = reference(peak, 2e4, lengths)
        print(
            f"   {peak} T, 1D: rise {ref['rise_K'][0]:.3f} / {ref['rise_K'][1]:.3f} K (peak / end)"
        )
        for length in lengths:
            for mesh in args.meshes:
                fem = long_cylinder(peak, 2e4, length, mesh)
                rise = [f / e - 1 for f, e in zip(fem["rise_K"], ref["rise_K"], strict=True)]
                cen = [
                    f / e - 1 for f, e in zip(fem["centre_T"], ref["centre_T"][length], strict=True)
                ]
                print(
                    f"   {peak} T, {length / R:.0f} R, {mesh:g} mm: rise {fem['rise_K'][0]:.3f} / "
                    f"{fem['rise_K'][1]:.3f} K ({rise[0]:+.2%} / {rise[1]:+.2%}), centre "
                    f"{fem['centre_T'][0]:.4f} / {fem['centre_T'][1]:.4f} T "
                    f"({cen[0]:+.2%} / {cen[1]:+.2%})"
                )
    print(f"CPU {time.process_time() - start:.0f} s")


if __name__ == "__main__":
    main()
