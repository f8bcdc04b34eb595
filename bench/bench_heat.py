"""Cost of the coupled heat model (issue 19): the paper case run isothermal and with heat
conduction (the same mesh, one run each, in one process), as a ratio of wall and CPU times.

The paper case (examples/paper_bulk_pair.toml: FCM 7 T -> 0 at 4.8 T/h at 5 K, then 100 min
of creep) gets illustrative thermal properties, not measured ones: K-Ba122 C(T) = 740 T + 15 T^3
J/(m^3 K) (a Sommerfeld term and a lattice term of the order of the 122 compounds'), k = 1 W/(m K),
Jc(T) scaled as (1 - (T/38 K)^2)^1.5; copper C = 900 J/(m^3 K), k = 300 W/(m K); the bottom face
held at the cold head's 5 K through h = 1000 W/(m^2 K); model "cold_head" puts a cold head
between (0.5 J/K, a second stage of 1 W at 4.2 K from a 3 K base, flat at 10 W, 0.1 W static
load; set point 5 K, so its heater works the whole run). Also printed: the centre and surface
probes of both runs (the heat changes them by the trapped field lost to heating) and the peak
temperature rise.

With ``--scan DIR`` it also scans the FCM ramp (no hold) of the conduction-cooled paper case
from 4.8 T/h to 4800 T/h (7 rates, the mesh of --mesh-size) for the fastest ramp without a flux
jump (``simulate.stability.scan_ramp_rates``; jump = the hottest element half the way to Tc),
writing DIR/safe_ramp.csv/.json/.png.

    python bench/bench_heat.py [--mesh-size 1e-3] [--models conduction adiabatic cold_head] [--repeats 3]
        [--scan DIR]
"""

from __future__ import annotations

import argparse
import time
import tomllib
import warnings
from pathlib import Path

from fluxtrap.simulate import Case
from fluxtrap.simulate.mesh import build_mesh
from fluxtrap.simulate.simulation import Simulation

ROOT = Path(__file__).parents[1]
BULK_HEAT = {
    "heat_capacity": {
        "temperature": [2, 5, 10, 20, 40],
        "temperature_unit": "K",
        "value": [1600, 5575, 22400, 134800, 989600],
        "value_unit": "J/(m^3*K)",
    },
    "thermal_conductivity": "1 W/(m*K)",
}
COPPER_HEAT = {"heat_capacity": "900 J/(m^3*K)", "thermal_conductivity": "300 W/(m*K)"}


def paper_case(model: str) -> Case:
    d = tomllib.loads((ROOT / "examples" / "paper_bulk_pair.toml").read_text())
    for spec in d["materials"].values():
        if "jc" in spec:
            spec.update(BULK_HEAT)
            spec["jc"]["temperature"] = {"at": "5 K", "tc": "38 K", "exponent": 1.5}
        else:
            spec.update(COPPER_HEAT)
    if model != "isothermal":
        d["thermal"] = {"model": "conduction" if model == "cold_head" else model}
        if model in ("conduction", "cold_head"):
            d["thermal"]["cooling"] = [
                {"surface": "bottom", "heat_transfer_coefficient": "1000 W/(m^2*K)"}
            ]
        if model == "cold_head":
            d["thermal"]["cold_head"] = {
                "heat_capacity": "0.5 J/K",
                "cooling_power": {
                    "base_temperature": "3 K",
                    "rated_power": "1 W",
                    "rated_temperature": "4.2 K",
                    "max_power": "10 W",
                },
                "heat_load": "0.1 W",
            }
    return Case.from_dict(d)


def run(model: str, h: float) -> dict:
    case = paper_case(model)
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result, _ = Simulation(case).run_on_mesh(build_mesh(case, h), h, False, None)
    out = {
        "model": model,
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "steps": result.solver["time_steps"],
        "newton": result.solver["newton_iterations"],
        "center_T": result.probe("center").iloc[-1],
        "surface_T": result.probe("surface").iloc[-1],
        "center_peak_T": result.probe("center").max(),
    }
    if result.heat is not None:
        out["peak_rise_K"] = result.heat.max_T_K.max() - 5.0
        out["heat_J"] = result.heat.heat_J.iloc[-1]
        out["dissipated_J"] = result.heat.dissipated_J.iloc[-1]
    return out


def scan_paper(out: Path, h: float) -> None:
    """The fastest safe FCM ramp of the conduction-cooled paper case (see the module)."""
    import dataclasses
    import json

    import numpy as np

    from fluxtrap.simulate.case import Hold
    from fluxtrap.simulate.stability import scan_ramp_rates

    case = paper_case("conduction")
    case = dataclasses.replace(
        case, protocol=tuple(s for s in case.protocol if not isinstance(s, Hold))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scan = scan_ramp_rates(case, list(np.geomspace(4.8, 4800, 7) / 3600), mesh_size_m=h)
    out.mkdir(parents=True, exist_ok=True)
    scan.table().to_csv(out / "safe_ramp.csv", index=False, float_format="%.6g")
    (out / "safe_ramp.json").write_text(json.dumps(scan.to_dict(), indent=2))
    scan.plot(out / "safe_ramp.png")
    print(scan.table().to_string())
    safe = scan.fastest_safe_T_s
    print(f"fastest safe ramp: {safe * 3600 if safe else None} T/h (threshold {scan.max_rise_K} K)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mesh-size", type=float, default=1e-3, help="conductor element size, m")
    ap.add_argument("--models", nargs="+", default=["conduction", "adiabatic"])
    ap.add_argument("--repeats", type=int, default=3, help="runs of each model; the fastest counts")
    ap.add_argument("--scan", type=Path, help="also scan the ramp rate; write the scan here")
    args = ap.parse_args()
    if args.scan:
        scan_paper(args.scan, args.mesh_size)
    run("isothermal", 2 * args.mesh_size)  # warm-up: imports and first-call costs
    best: dict[str, dict] = {}
    for _ in range(args.repeats):  # interleaved, so a busy spell of the machine hits all models
        for model in ("isothermal", *args.models):
            r = run(model, args.mesh_size)
            if model not in best or r["cpu_s"] < best[model]["cpu_s"]:
                best[model] = r
    base = best["isothermal"]
    print(f"mesh {args.mesh_size * 1e3:g} mm, best of {args.repeats}; isothermal: {base}")
    for model in args.models:
        r = best[model]
        print(
            f"{model}: wall {r['wall_s'] / base['wall_s']:.2f}x, cpu {r['cpu_s'] / base['cpu_s']:.2f}x "
            f"the isothermal run; {r}"
        )


if __name__ == "__main__":
    main()
