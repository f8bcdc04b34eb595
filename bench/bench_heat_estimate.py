"""The temperature error estimate of heat runs (``simulation.temperature_errors``) against the
true error: each case at a fixed [mesh] size h (its coarse/fine pair 2h/h) and a reference at
h/4 with a 16x tighter rtol. True error: of the peaks (max_T_K, each temperature probe's max) and
the final values, |value - reference|; over the trace, the largest |T(t) - T_ref(t)| (reference
interpolated to the run's times). Printed as estimate / true per quantity (K).

Cases (none tuned to): examples/pfm_pulse.toml (adiabatic, 1.25 T pulse, probes core and rim),
the conduction-cooled pulse of tests/integration/test_simulate_heat_cli.py (probe rim), and an
adiabatic ZFC ramp of a cylinder to 0.6 T and back at 2 T/s (Kim Jc(B) scaled in T, n 20).

    python bench/bench_heat_estimate.py [--size-mm 2]
"""

from __future__ import annotations

import argparse
import re
import tomllib
import warnings
from pathlib import Path

import numpy as np

from fluxtrap.simulate import Case, simulate

ROOT = Path(__file__).parents[1]
RAMP = """
title = "adiabatic ZFC ramp"
[materials.bulk]
n = 20
heat_capacity = "5e3 J/(m^3*K)"
jc.kim = { jc0 = "3e8 A/m^2", b0 = "0.5 T" }
jc.temperature = { at = "5 K", tc = "40 K", exponent = 1.5 }
[[stack]]
material = "bulk"
radius = "6 mm"
thickness = "8 mm"
[[probes]]
name = "top"
r = "0 mm"
z = "9 mm"
[[probes]]
name = "edge"
r = "6 mm"
z = "4 mm"
quantity = "temperature"
[[protocol]]
step = "set"
field = "0 T"
temperature = "5 K"
[[protocol]]
step = "ramp_field"
to = "0.6 T"
rate = "2 T/s"
[[protocol]]
step = "ramp_field"
to = "0 T"
rate = "2 T/s"
[thermal]
model = "adiabatic"
[mesh]
size = "1 mm"
"""


def cases() -> dict[str, dict]:
    cli = (ROOT / "tests/integration/test_simulate_heat_cli.py").read_text()
    return {
        "pfm_pulse (adiabatic)": tomllib.loads((ROOT / "examples/pfm_pulse.toml").read_text()),
        "cooled pulse (conduction)": tomllib.loads(
            re.search(r'CASE = """\n(.*?)"""', cli, re.S).group(1)
        ),
        "ZFC ramp (adiabatic)": tomllib.loads(RAMP),
    }


def run(data: dict, size_mm: float, rtol_factor: float = 1.0):
    data = {**data, "mesh": {"size": f"{size_mm} mm"}}
    rtol = data.get("solver", {}).get("rtol", 1e-3)
    data["solver"] = {**data.get("solver", {}), "rtol": rtol * rtol_factor}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate(Case.from_dict(data), progress=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mm", type=float, default=2.0)
    args = ap.parse_args()
    h = args.size_mm
    ratios = []
    for name, data in cases().items():
        res, ref = run(data, h), run(data, h / 4, 1 / 16)
        th = res.summary()["thermal"]
        rows = [  # quantity, estimate, true
            ("hottest peak", th["max_T_error_K"], abs(th["max_T_K"] - ref.heat.max_T_K.max())),
            (
                "hottest final",
                th["final_max_T_error_K"],
                abs(th["final_max_T_K"] - ref.heat.max_T_K.iloc[-1]),
            ),
            (
                "mean final",
                th["final_mean_T_error_K"],
                abs(th["final_mean_T_K"] - ref.heat.mean_T_K.iloc[-1]),
            ),
        ]
        t, tr = res.probes.time_s, ref.probes.time_s
        for p, e in th.get("probes", {}).items():
            col = f"{p}_T_K"
            trace = np.abs(res.probes[col] - np.interp(t, tr, ref.probes[col])).max()
            rows += [
                (f"{p} final", e["final_error_K"], abs(e["final_K"] - ref.probes[col].iloc[-1])),
                (f"{p} peak", e["max_error_K"], abs(e["max_K"] - ref.probes[col].max())),
                (f"{p} trace", e["max_error_K"], trace),
            ]
        print(f"{name}: {res.solver['elements']} elements at {h} mm, reference {h / 4} mm")
        for what, est, true in rows:
            ratio = est / true if true > 0 else np.inf
            ratios.append(ratio)
            print(f"  {what:15s} estimate {est:8.4f} K  true {true:8.4f} K  ratio {ratio:6.2f}")
    print(f"estimate / true: {min(ratios):.2f} .. {max(ratios):.2f}")


if __name__ == "__main__":
    main()
