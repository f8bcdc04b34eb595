"""The accuracy control on random cases nobody tuned it to (issue 15): each drawn by a seeded
generator, run at the default 1 % and judged like ``bench_accuracy.py``'s cases (``run_case``:
uniform references h / 2h / 4h at rtol 3e-5, or the run's last pair's rtol / 32 where tighter,
extrapolated to h = 0, cached in ``--tmp``).

Field cases: a disk or a ring (bore a third of the radius) r 5-12.5 x 2-10 mm, alone or two with
a 1 mm steel spacer, n 5-50, constant, Kim or tabulated Kim Jc, field-cooled to 0 or a
zero-field-cooled loop 0 -> B -> 0 (B 0.5-2 T) at 0.05-1 T/s, then a hold of 0, 60 or 300 s;
reference h a twelfth of the smallest dimension (at least 0.2 mm). ``--temperature``: a disk with
Jc(T) scaled (Tc 38 K), field-cooled at 20 K and warmed to 25 / 30 K, field-cooled at 25 / 30 K
and cooled to 20 K, or warmed between a ZFC ramp up and down, at 1 K/min-0.5 K/s; reference h
a twentieth of the smallest dimension. Prints each case's table and then the range of
estimate/true over the trace, all probes and those the references resolve. A twelfth is not
always asymptotic (next to a steel spacer): the three cases flagged so far were within 0.25 %
of uniform meshes 2-3x finer (ARCHITECTURE.md), so check a flag that way before believing it.

    nice -n 10 python bench/bench_accuracy_random.py [--seed 11] [--cases 8] [--temperature]
        [--tmp DIR] [--ref-timeout 400]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

from bench_accuracy import KIM_TABLE, material, probe, ramps, run_case, show

JC = ({"constant": "2e4 A/cm^2"}, {"kim": {"jc0": "5e4 A/cm^2", "b0": "0.5 T"}}, KIM_TABLE)


def field_case(rng: random.Random) -> tuple[str, dict, float]:
    """(name, case dict, reference h in mm) of a field protocol."""
    n = rng.choice([5, 10, 20, 30, 50])
    radius, thick = rng.choice([5, 8, 10, 12.5]), rng.choice([2, 4, 6, 10])
    ring, jc = rng.random() < 0.3, rng.choice(JC)
    rate, fc = f"{rng.choice(['0.05', '0.2', '1'])} T/s", rng.random() < 0.5
    field, hold = rng.choice([0.5, 1, 2]), rng.choice([None, "60 s", "300 s"])
    disk = {"material": "sc", "radius": f"{radius} mm", "thickness": f"{thick} mm"}
    if ring:
        disk["inner_radius"] = f"{radius / 3:.3g} mm"
    materials, stack, two = material(n, jc), [disk], rng.random() < 0.3
    if two:
        materials["steel"] = {"resistivity": "5e-7 ohm*m"}
        stack += [{"material": "steel", "radius": f"{radius} mm", "thickness": "1 mm"}, dict(disk)]
    top = 2 * thick + 1 if two else thick
    case = {
        "materials": materials,
        "stack": stack,
        "probes": [probe("top", 0, top + 0.5), probe("edge", round(0.7 * radius, 2), top + 1)],
        "protocol": ramps(field, rate, 0, hold=hold) if fc else ramps(0, rate, field, 0, hold=hold),
        "solver": {"max_wall": "120 s"},
    }
    name = (
        f"{'ring' if ring else 'disk'}{' x2 steel' if two else ''} r{radius} t{thick} n{n} "
        f"{next(iter(jc))} {'FC' if fc else 'ZFC'} {field} T {rate} hold {hold or 0}"
    )
    width = radius * (2 / 3 if ring else 1)
    return name, case, max(0.2, round(min(thick, width) / 12, 2))


def temperature_case(rng: random.Random) -> tuple[str, dict, float]:
    """(name, case dict, reference h in mm) of a protocol with a temperature ramp."""
    n = rng.choice([10, 20, 30])
    radius, thick = rng.choice([5, 8, 10]), rng.choice([3, 5, 8])
    jc = {**rng.choice(JC), "temperature": {"at": "20 K", "tc": "38 K"}}
    jc["temperature"]["exponent"] = rng.choice([1.5, 3])
    field, rate = rng.choice([0.5, 1, 2]), f"{rng.choice(['0.1', '0.5'])} T/s"
    kind, warm = rng.choice(["warm", "cool", "zfc warm"]), f"{rng.choice([25, 30])} K"
    k_rate = rng.choice(["1 K/min", "5 K/min", "0.5 K/s"])
    to_zero = {"step": "ramp_field", "to": "0 T", "rate": rate}
    settle = {"step": "hold", "duration": "60 s"}
    if kind == "warm":  # field-cooled at 20 K, then warmed: flux leaves
        steps = [{"step": "set", "field": f"{field} T", "temperature": "20 K"}, to_zero]
        steps += [{"step": "ramp_temperature", "to": warm, "rate": k_rate}, settle]
    elif kind == "cool":
        steps = [{"step": "set", "field": f"{field} T", "temperature": warm}, to_zero]
        steps += [{"step": "ramp_temperature", "to": "20 K", "rate": k_rate}, settle]
    else:
        steps = [{"step": "set", "field": "0 T", "temperature": "20 K"}]
        steps += [{"step": "ramp_field", "to": f"{field} T", "rate": rate}]
        steps += [{"step": "ramp_temperature", "to": warm, "rate": k_rate}, to_zero]
    case = {
        "materials": material(n, jc),
        "stack": [{"material": "sc", "radius": f"{radius} mm", "thickness": f"{thick} mm"}],
        "probes": [probe("top", 0, thick + 0.5), probe("edge", round(0.7 * radius, 2), thick + 1)],
        "protocol": steps,
        "solver": {"max_wall": "120 s"},
    }
    name = f"disk r{radius} t{thick} n{n} {next(iter(jc))} {kind} {field} T {rate} {warm} {k_rate}"
    return name, case, max(0.2, round(min(thick, radius) / 20, 2))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--cases", type=int, default=8)
    ap.add_argument("--temperature", action="store_true", help="temperature protocols")
    ap.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()) / "fluxtrap-bench")
    ap.add_argument("--ref-timeout", type=float, default=400.0, help="s per reference run")
    args = ap.parse_args()
    args.tmp.mkdir(parents=True, exist_ok=True)
    args.time_check = False
    rng = random.Random(args.seed)
    draw = temperature_case if args.temperature else field_case
    rows = []
    for i in range(args.cases):
        name, case, ref_mm = draw(rng)
        rows += run_case(f"{i} {name}", case, ref_mm, args)
        show(rows[-len(case["probes"]) :])
    judged = [r for r in rows if "true_max" in r]
    ratios = [r["est_max"] / r["true_max"] for r in judged]
    resolved = [
        r["est_max"] / r["true_max"] for r in judged if r["true_max"] >= 2 * r.get("ref_error", 0)
    ]
    over = [r for r in judged if r["true_max"] > 0.01 * r["scale_T"]]
    missed = {r["case"] for r in over if r["true_max"] >= 2 * r.get("ref_error", 0)}
    print(
        f"estimate/true over the trace: {min(ratios):.2f}-{max(ratios):.2f} on {len(ratios)} probes"
    )
    if resolved:
        print(
            f"  on the {len(resolved)} the references resolve: {min(resolved):.2f}-{max(resolved):.2f}"
        )
    print(f"missed 1 %: {sorted(missed) or 'none'}")
    if unresolved := {r["case"] for r in over} - missed:
        print(
            f"over 1 % against a reference that does not resolve it (try a finer one): {sorted(unresolved)}"
        )


if __name__ == "__main__":
    main()
