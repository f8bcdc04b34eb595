"""Trapped field of the published two-disk magnet: case file -> FEM simulation -> creep fit.

Shows the simulator API: a case file read as a dict, its Jc(B) tables replaced by ``JcCurve``s
(any curve with ``.at(B_T)`` is a Jc model; here from the SYNTHETIC virtual lab, ``fluxtrap.demo.lab``,
at the two bulks' published sintering conditions, not measured data), ``Case.from_dict`` ->
``Simulation(case).run()`` -> ``Result`` (probe fields by time), then ``fit_creep`` on the
hold: B(t) = a - b ln t and the decay in ppm/h. Field-cooled magnetization 7 T -> 0 at 5 K.

    python examples/trapped_field.py                  # 1 mm mesh, figure in $TMPDIR
    python examples/trapped_field.py --quick          # 3 mm mesh
    python examples/trapped_field.py my_case.toml --paper-jc   # your FCM case, its own Jc tables

The creep fit needs a ``hold`` after the last ramp; a case without one gets the fields only.
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np

from fluxtrap.demo.lab import VirtualLab
from fluxtrap.errors import FluxtrapError
from fluxtrap.magnetometry import fit_creep
from fluxtrap.probetable import ramp_end as ramp_end_s
from fluxtrap.simulate import Case, Simulation
from fluxtrap.tomlfile import read_toml
from fluxtrap.units import estimate_text

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument(
    "case", nargs="?", type=Path, default=Path(__file__).with_name("paper_bulk_pair.toml")
)
parser.add_argument("--paper-jc", action="store_true", help="keep the case file's Jc(B) tables")
parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "fluxtrap-trapped")
parser.add_argument("--quick", action="store_true", help="coarse 3 mm mesh")
args = parser.parse_args()
try:
    args.out.mkdir(parents=True, exist_ok=True)
except OSError as err:  # --out not a folder one can write in
    parser.error(f"{args.out}: cannot write there ({err.strerror})")

try:
    data = read_toml(args.case, "case file")  # the dict of the file, its errors by line
except FluxtrapError as err:
    parser.error(str(err))
if not args.paper_jc:
    lab = VirtualLab(seed=0)
    print(f"SYNTHETIC Jc(B) at 5 K from {lab!r}")
    published = {  # bulk1: data-driven (top disk), bulk2: researcher-driven (bottom disk)
        "bulk1": {"ramp_rate": 49.8, "max_temperature": 556, "dwell_time": 32.47},
        "bulk2": {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5},
    }
    if not published.keys() & data.get("materials", {}).keys():
        parser.error(
            f"{args.case} has no material bulk1 or bulk2 to give the SYNTHETIC Jc(B) of the "
            f"published bulks (its materials: {', '.join(data.get('materials', {}))}); "
            "add --paper-jc to keep its own Jc"
        )
    for name, params in published.items():
        if name not in data["materials"]:
            continue  # a case with one bulk (examples/ring_stack.toml: bulk1)
        jc = lab.jc_curve(params, label=name)  # JcCurve, 0..7 T
        data["materials"][name]["jc"] = jc  # replaces the [materials.<name>.jc.table]
        j0, j3 = jc.at(0.0) * 1e-4, jc.at(3.0) * 1e-4
        print(f"  {name}: {params} -> Jc(0 T) = {j0:,.0f}, Jc(3 T) = {j3:,.0f} A/cm²")
try:
    case = Case.from_dict(data, base_dir=args.case.parent)
except FluxtrapError as err:  # a key or a value of the case: which, where, and what was expected
    parser.error(f"{args.case}: {err}")
if args.quick:
    case = case.with_options(mesh_size_m=3e-3)
print(case)

result = Simulation(case).run(progress=False)
print(result)
result.save(args.out, plots=False)  # probes.csv and summary.json
df = result.probes  # time_s, applied_T, temperature_K, <probe>_Bz_T (center, surface)

# the applied field reaches its final value (0 T in an FCM) and the magnet is held there
ramp_end = df.iloc[int(np.searchsorted(df["time_s"], ramp_end_s(df["time_s"], df["applied_T"])))]
hold_end = df.iloc[-1]
hold_s = hold_end["time_s"] - ramp_end["time_s"]
errors = result.errors  # per probe: the estimated discretization error, T
rows = [("end of the ramp", ramp_end, "max_error_T")]  # the largest over the run
rows += [("end of the hold", hold_end, "final_error_T")] if hold_s > 0 else []
for when, row, error in rows:
    fields = ", ".join(
        f"{p.name} {estimate_text(row[f'{p.name}_Bz_T'], errors[p.name][error])} T"
        for p in case.probes
    )
    print(f"{when} (t = {row['time_s']:.0f} s): {fields}")

# B = a - b ln t once the currents have relaxed from the ramp: fit the last decade of the hold
probe = case.probes[0].name  # "center" in the paper's case
if hold_s > 0:
    creep = fit_creep(
        df["time_s"], df[f"{probe}_Bz_T"], applied_T=df["applied_T"], start_s=hold_s / 10,
        column=probe,
    )  # fmt: skip
    print(creep)
    ppm_h, sigma = creep.decay_ppm_per_h(creep.t_end_s), creep.decay_sigma_ppm_per_h(creep.t_end_s)
    print(f"creep of the {probe} field at the end of the hold: {estimate_text(ppm_h, sigma)} ppm/h")
else:
    print("no creep fit: the protocol ends at the end of the ramp (add a hold step)")

figure = args.out / "probes.png"
result.plot_probes(figure)
print(f"figure: {figure}; probes.csv and summary.json in {args.out}")
