"""The accuracy control and the error estimate on cases they were not tuned to (issue 15).

Each case runs as a user would (``[solver] accuracy = "1 %"``, no mesh size) and is compared
with a reference converged in space and time: the case on uniform meshes of h = ``ref_mm``, 2h
and 4h at rtol 3e-5, or ``REF_TIGHTER`` times tighter than the run's last pair where that is
tighter (cached in ``--tmp`` per case, rtol and simulator code, each bounded by
``--ref-timeout``), extrapolated to h = 0 at first order, R = 2 B(h) - B(2h) (the uniform
meshes' differences halve with h: a uniform 0.3 mm mesh alone is off by as much as the 1 % run
it should judge). Its uncertainty, ``ref
err``, is |R(h, 2h) - R(2h, 4h)| / 3 (the second-order remainder), largest over the trace.
Errors are relative to the probe's peak self-field max|Bz - applied| (the scale of the code's
target), at the final value and the largest over the trace (the run's times, the reference
interpolated in time). ``est/true`` far from 1 (< 0.5 or > 5) is a flaw; a target not met (true
trace error over the target) must have been said (``reached`` false in the run's summary).
``ref err`` is the space part only: all three meshes step at that rtol, whose own time error at
the end of a creep hold is about 0.06 % of the self-field; ``--time-check`` also runs the finest
mesh at a 10x tighter rtol and prints their difference at the end. ``--unseen`` runs ``UNSEEN``
in place of ``CASES``: cases a new user would write (inches, spacers of two thicknesses, a probe
in a spacer and one 20 mm away, n 8-100, few-point and Jc(B, T) tables, warming, ring stacks),
measured in ``bench/results/accuracy_unseen.md``.

    nice -n 10 python bench/bench_accuracy.py [--only NAME ...] [--tmp DIR] [--ref-timeout 900]
        [--time-check] [--unseen]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import tempfile
import time
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from fluxtrap.simulate import Case
from fluxtrap.simulate.mesh import build_mesh
from fluxtrap.simulate.simulation import AccuracyWarning, Simulation

ROOT = Path(__file__).parents[1]
REF_RTOL = 3e-5
# the references step at least this many times tighter than the run's last pair: their time
# error is then at most sqrt(1 / 32) = 0.18 of the run's (dt ~ sqrt(rtol)), as REF_RTOL's at the
# default rtol 1e-3. At REF_RTOL alone a thin disk at n = 5 whose pairs stepped at 6.25e-5 kept
# 0.5 % of its 0.8 % time error in its reference, which read a true error of 0.29 % (converged
# in space and time: 0.81 %)
REF_TIGHTER = 32


def reference_rtol(run_rtol: float) -> float:
    """The rtol of the references of a run whose last pair stepped at ``run_rtol``."""
    return min(REF_RTOL, run_rtol / REF_TIGHTER)


def code_key() -> str:
    """A digest of the simulator's sources as imported (``fluxtrap.simulate``): a cached reference
    is read only by the code that made it (references the BDF2 prototype of ``bench_bdf2.py`` had
    cached under the same case read a true error of 1.12 % for a run whose error is 0.81 %)."""
    import fluxtrap.simulate

    src = Path(fluxtrap.simulate.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(src.rglob("*.py")):
        digest.update(path.relative_to(src).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:12]


CODE = code_key()


def material(n: float, jc: dict) -> dict:
    return {"sc": {"n": n, "e0": "1e-4 V/m", "jc": jc}}


KIM_TABLE = {  # Kim Jc(B) = 5e4 / (1 + |B| / 0.5 T) A/cm^2, tabulated
    "table": {
        "field": [0, 0.25, 0.5, 1, 2, 3, 5],
        "field_unit": "T",
        "jc": [5e4 / (1 + b / 0.5) for b in (0, 0.25, 0.5, 1, 2, 3, 5)],
        "jc_unit": "A/cm^2",
    }
}


def ramps(start: float, rate: str, *to: float, hold: str | None = None) -> list[dict]:
    steps = [{"step": "set", "field": f"{start} T", "temperature": "30 K"}]
    steps += [{"step": "ramp_field", "to": f"{b} T", "rate": rate} for b in to]
    return steps + ([{"step": "hold", "duration": hold}] if hold else [])


def probe(name: str, r_mm: float, z_mm: float) -> dict:
    return {"name": name, "r": f"{r_mm} mm", "z": f"{z_mm} mm"}


def fast_zfc() -> dict:
    """The bench ZFC loop at 1 T/s and n = 30 (the known weakness: the scout pair's design)."""
    d = tomllib.loads((ROOT / "bench" / "zfc_loop.toml").read_text())
    d["materials"]["sc"]["n"] = 30
    for s in d["protocol"][1:]:
        s["rate"] = "1 T/s"
    return d


# name: (case dict, reference mesh mm)
CASES = {
    "fast ZFC loop n30 1 T/s": (fast_zfc(), 0.3),
    "thin wide disk ZFC n20 0.5 T/s": (
        {
            "materials": material(20, {"constant": "2e4 A/cm^2"}),
            "stack": [{"material": "sc", "radius": "15 mm", "thickness": "2 mm"}],
            "probes": [probe("axis", 0, 3), probe("off", 10, 3)],
            "protocol": ramps(0, "0.5 T/s", 0.6, 0),
        },
        0.25,
    ),
    "tall cylinder FC n60 Kim 0.02 T/s": (
        {
            "materials": material(60, {"kim": {"jc0": "3e4 A/cm^2", "b0": "0.5 T"}}),
            "stack": [{"material": "sc", "radius": "5 mm", "thickness": "30 mm"}],
            "probes": [probe("top", 0, 31), probe("side", 7, 15)],
            "protocol": ramps(1.5, "0.02 T/s", 0, hold="60 s"),
        },
        0.4,
    ),
    "ring ZFC n10 2 T/s": (
        {
            "materials": material(10, {"constant": "3e4 A/cm^2"}),
            "stack": [
                {"material": "sc", "radius": "12 mm", "inner_radius": "4 mm", "thickness": "8 mm"}
            ],
            "probes": [probe("bore", 0, 4), probe("above", 8, 9)],
            "protocol": ramps(0, "2 T/s", 1.5, 0),
        },
        0.35,
    ),
    "two disks + spacer FC n30 Kim table 0.1 T/s": (
        {
            "materials": material(30, KIM_TABLE),
            "stack": [
                {"material": "sc", "radius": "10 mm", "thickness": "4 mm"},
                {"material": "sc", "radius": "10 mm", "thickness": "4 mm", "z": "5 mm"},
            ],
            "probes": [probe("gap", 0, 4.5), probe("top", 0, 10)],
            "protocol": ramps(3, "0.1 T/s", 0, hold="30 s"),
        },
        0.35,
    ),
    "low n cylinder FC n5 Kim 1 T/s": (
        {
            "materials": material(5, {"kim": {"jc0": "3e4 A/cm^2", "b0": "0.3 T"}}),
            "stack": [{"material": "sc", "radius": "8 mm", "thickness": "8 mm"}],
            "probes": [probe("above", 0, 9), probe("edge", 8, 9)],
            "protocol": ramps(2, "1 T/s", 0, hold="20 s"),
        },
        0.35,
    ),
    # its scout is off mostly in time (2.6 %, space 0.33 %): designed from the whole estimate
    # the graded pair had 26 110 elements (11.8 s), by its space part 3678 (1.6 s)
    "thin disk FC n5 1e-3 T/s + 600 s": (
        {
            "materials": material(5, {"constant": "2e4 A/cm^2"}),
            "stack": [{"material": "sc", "radius": "15 mm", "thickness": "2 mm"}],
            "probes": [probe("above", 0, 2.5), probe("off", 10, 2.5)],
            "protocol": ramps(1, "1e-3 T/s", 0, hold="600 s"),
        },
        0.25,
    ),
    # at Newton's 1e-3 Jc its steps were 3.5 % off whatever their length: rtol went 64x
    # tighter and the run stopped unmet at 90 s; with the thin stack's tolerance, 1 pair
    "thin ring n100 Kim ZFC 3 T 1e-3 T/s": (
        {
            "materials": material(100, {"kim": {"jc0": "5e4 A/cm^2", "b0": "0.5 T"}}),
            "stack": [
                {
                    "material": "sc",
                    "radius": "20 mm",
                    "inner_radius": "6.67 mm",
                    "thickness": "1 mm",
                }
            ],
            "probes": [probe("top", 0, 1.5), probe("edge", 14, 2)],
            "protocol": ramps(0, "1e-3 T/s", 3, 0, hold="60 s"),
        },
        0.25,
    ),
    "disk ZFC full penetration n10 0.05 T/s": (
        {
            "materials": material(10, {"constant": "1e4 A/cm^2"}),
            "stack": [{"material": "sc", "radius": "8 mm", "thickness": "5 mm"}],
            "probes": [probe("above", 0, 6), probe("off", 5, 6)],
            "protocol": ramps(0, "0.05 T/s", 1.5, 0),
        },
        0.35,
    ),
    "disk FC hold n60 Kim table 0.2 T/s": (
        {
            "materials": material(60, KIM_TABLE),
            "stack": [{"material": "sc", "radius": "10 mm", "thickness": "6 mm"}],
            "probes": [probe("above", 0, 7), probe("rim", 9, 7)],
            "protocol": ramps(2, "0.2 T/s", 0, hold="100 s"),
        },
        0.35,
    ),
    # the pair's space and time parts cancelled at the end of the hold (final est/true 0.04-0.79
    # against rtol 3e-6; this bench's rtol 3e-5 references carry 0.06 % of time error there)
    "two Kim disks + steel FC 20 K n30 + 600 s": (
        {
            "materials": {
                **material(30, {"kim": {"jc0": "5e4 A/cm^2", "b0": "0.5 T"}}),
                "steel": {"resistivity": "7e-7 ohm*m"},
            },
            "stack": [
                {"material": "sc", "radius": "12.5 mm", "thickness": "5 mm"},
                {"material": "steel", "radius": "12.5 mm", "thickness": "0.5 mm"},
                {"material": "sc", "radius": "12.5 mm", "thickness": "5 mm"},
            ],
            "probes": [
                probe("f02", 0, 10.7),
                probe("f05", 0, 11),
                probe("f1", 0, 11.5),
                probe("f3", 0, 13.5),
                probe("half", 6.25, 11),
                probe("rim", 12.5, 11),
            ],
            "protocol": [
                {"step": "set", "field": "2 T", "temperature": "20 K"},
                {"step": "ramp_field", "to": "0 T", "rate": "0.02 T/s"},
                {"step": "hold", "duration": "600 s"},
            ],
        },
        0.35,
    ),
    # over-refined before the growth cap and the air's BOX_DEPTH (149 s / 400 s CPU)
    "very thin disk r20 x 0.4 mm ZFC n20 0.1 T/s": (
        {
            "materials": material(20, {"constant": "2e4 A/cm^2"}),
            "stack": [{"material": "sc", "radius": "20 mm", "thickness": "0.4 mm"}],
            "probes": [probe("axis", 0, 0.9), probe("off", 15, 0.9)],
            "protocol": ramps(0, "0.1 T/s", 0.5, 0),
        },
        0.1,
    ),
    "slim cylinder r2 x 10 mm ZFC n20 0.1 T/s": (
        {
            "materials": material(20, {"constant": "2e4 A/cm^2"}),
            "stack": [{"material": "sc", "radius": "2 mm", "thickness": "10 mm"}],
            "probes": [probe("above", 0, 10.5), probe("side", 3, 5)],
            "protocol": ramps(0, "0.1 T/s", 0.5, 0),
        },
        0.1,
    ),
    # h6's unseen cases (2026-12-05): the lowest and the highest est/true of nine
    "3 disks, 2 copper spacers and a gap, FC n30 Kim 0.5 T/s": (
        {
            "materials": {
                **material(30, {"kim": {"jc0": "3e4 A/cm^2", "b0": "0.5 T"}}),
                "cu": {"resistivity": "2e-8 ohm*m"},
            },
            "stack": [
                {"material": "sc", "radius": "8 mm", "thickness": "3 mm"},
                {"material": "cu", "radius": "8 mm", "thickness": "0.5 mm"},
                {"material": "sc", "radius": "8 mm", "thickness": "3 mm"},
                {"material": "sc", "radius": "8 mm", "thickness": "3 mm", "z": "7.5 mm"},
            ],
            "probes": [probe("top", 0, 11), probe("gap_off", 4, 7)],
            "protocol": ramps(1.5, "0.5 T/s", 0),
        },
        0.175,
    ),
    "ring bore 1 mm, Jc tables 20/40 K, ZFC 5 T/s + cool, n100": (
        {
            "materials": {
                "sc": {
                    "n": 100,
                    "e0": "1e-4 V/m",
                    "jc": {
                        "tc": "90 K",
                        "tables": [
                            {
                                "temperature": f"{t} K",
                                "field": [0, 3],
                                "field_unit": "T",
                                "jc": jc,
                                "jc_unit": "A/cm^2",
                            }
                            for t, jc in ((20, [6e4, 2e4]), (40, [3e4, 1e4]))
                        ],
                    },
                }
            },
            "stack": [
                {"material": "sc", "radius": "6 mm", "inner_radius": "1 mm", "thickness": "3 mm"}
            ],
            "probes": [probe("bore", 0, 1.5), probe("borewall", 0.9, 1.5), probe("above", 3, 3.5)],
            "protocol": [
                {"step": "set", "field": "0 T", "temperature": "40 K"},
                {"step": "ramp_field", "to": "1.5 T", "rate": "5 T/s"},
                {"step": "ramp_temperature", "to": "20 K", "rate": "2 K/s"},
                {"step": "ramp_field", "to": "0 T", "rate": "5 T/s"},
            ],
        },
        0.125,
    ),
}


def jc_tables(*rows: tuple[float, list[float]], fields=(0, 1, 3)) -> dict:
    """jc.tables of (temperature K, Jc A/cm^2 at ``fields`` T) rows, Tc 90 K."""
    return {
        "tc": "90 K",
        "tables": [
            {
                "temperature": f"{t} K",
                "field": list(fields),
                "field_unit": "T",
                "jc": jc,
                "jc_unit": "A/cm^2",
            }
            for t, jc in rows
        ],
    }


def warmed_disk(to: str) -> dict:
    """A disk with Jc(B,T) tables at 20, 30, 40 K, field-cooled at 1.5 T and 20 K, the field
    removed, then warmed to ``to`` at 0.5 K/s and held 30 s."""
    return {
        "materials": material(
            30,
            jc_tables((20, [5e4, 2.5e4, 1e4]), (30, [3e4, 1.4e4, 5e3]), (40, [1.5e4, 6e3, 2e3])),
        ),
        "stack": [{"material": "sc", "radius": "6 mm", "thickness": "3 mm"}],
        "probes": [probe("above", 0, 3.5), probe("off", 4, 3.5)],
        "protocol": [
            {"step": "set", "field": "1.5 T", "temperature": "20 K"},
            {"step": "ramp_field", "to": "0 T", "rate": "0.1 T/s"},
            {"step": "ramp_temperature", "to": to, "rate": "0.5 K/s"},
            {"step": "hold", "duration": "30 s"},
        ],
    }


def ring_stack(stack: list[tuple[float, float, float]] | None = None, z_mm=(10.2, 20.4)) -> dict:
    """examples/ring_stack.toml (three K-Ba122 rings, copper spacers, FC 7 T at 5 K, [bore])
    ramped down at 0.1 T/s and held 600 s, without its mesh size; ``stack``: its layers as
    (radius, inner radius, thickness) mm, superconductor and copper alternating, and the probes
    on the axis at ``z_mm`` (centre, top)."""
    d = tomllib.loads((ROOT / "src" / "fluxtrap" / "examples" / "ring_stack.toml").read_text())
    del d["mesh"], d["title"]
    d["protocol"][1]["rate"], d["protocol"][2]["duration"] = "0.1 T/s", "600 s"
    if stack:
        d["stack"] = [
            {
                "material": ("bulk1", "copper")[i % 2],
                "radius": f"{r} mm",
                "inner_radius": f"{ri} mm",
                "thickness": f"{t} mm",
            }
            for i, (r, ri, t) in enumerate(stack)
        ]
    d["probes"] = [probe("center", 0, z_mm[0]), probe("top", 0, z_mm[1])]
    return d


# sim14's unseen cases (2026-12-07), as a new user would write them: `--unseen` runs these
# (and sim16's ring stacks after them)
UNSEEN = {
    "3 disks, steel spacers 0.5 / 1.5 mm, FC n20 0.1 T/s": (
        {
            "materials": {
                **material(20, {"kim": {"jc0": "3e4 A/cm^2", "b0": "0.5 T"}}),
                "steel": {"resistivity": "7e-7 ohm*m"},
            },
            "stack": [
                {"material": "sc", "radius": "6 mm", "thickness": "2 mm"},
                {"material": "steel", "radius": "6 mm", "thickness": "0.5 mm"},
                {"material": "sc", "radius": "6 mm", "thickness": "2 mm"},
                {"material": "steel", "radius": "6 mm", "thickness": "1.5 mm"},
                {"material": "sc", "radius": "6 mm", "thickness": "2 mm"},
            ],
            "probes": [probe("top", 0, 8.5), probe("spacer", 0, 5.25), probe("far", 0, 28)],
            "protocol": ramps(1.5, "0.1 T/s", 0),
        },
        0.15,
    ),
    "wide thin ring 0.8, ZFC n8 2 T/s": (
        {
            "materials": material(8, {"constant": "3e4 A/cm^2"}),
            "stack": [
                {"material": "sc", "radius": "10 mm", "inner_radius": "8 mm", "thickness": "1 mm"}
            ],
            "probes": [probe("bore", 0, 0.5), probe("wall", 9, 1.5), probe("far", 0, 21)],
            "protocol": ramps(0, "2 T/s", 1, 0),
        },
        0.05,
    ),
    "disk + ring in inches, 3-point Jc(B), ZFC n50 0.02 T/s": (
        {
            "materials": material(
                50,
                {
                    "table": {
                        "field": [0, 0.5, 2],
                        "field_unit": "T",
                        "jc": [4e4, 2e4, 8e3],
                        "jc_unit": "A/cm^2",
                    }
                },
            ),
            "stack": [
                {"material": "sc", "radius": "0.25 in", "thickness": "0.1 in"},
                {
                    "material": "sc",
                    "radius": "0.25 in",
                    "inner_radius": "0.1 in",
                    "thickness": "0.1 in",
                },
            ],
            "probes": [
                {"name": "bore", "r": "0 in", "z": "0.15 in"},
                {"name": "above", "r": "0 in", "z": "0.22 in"},
            ],
            "protocol": ramps(0, "0.02 T/s", 0.8, 0),
        },
        0.1,
    ),
    "disk FCM n100 + 600 s creep": (
        {
            "materials": material(100, {"kim": {"jc0": "3e4 A/cm^2", "b0": "0.5 T"}}),
            "stack": [{"material": "sc", "radius": "5 mm", "thickness": "4 mm"}],
            "probes": [probe("above", 0, 4.5), probe("rim", 5, 4.5)],
            "protocol": ramps(2, "0.05 T/s", 0, hold="600 s"),
        },
        0.075,
    ),
    "disk Jc(B,T) tables, FC 20 K, warmed to 35 K": (warmed_disk("35 K"), 0.15),
    "disk Jc(B,T) tables, FC 20 K, warmed past them to 60 K": (warmed_disk("60 K"), 0.15),
    "disk FCM n8 0.5 T/s + 600 s creep": (
        {
            "materials": material(8, {"constant": "2e4 A/cm^2"}),
            "stack": [{"material": "sc", "radius": "5 mm", "thickness": "4 mm"}],
            "probes": [probe("above", 0, 4.5), probe("far", 0, 24)],
            "protocol": ramps(1.5, "0.5 T/s", 0, hold="600 s"),
        },
        0.15,
    ),
    "ring ZFC +-0.5 T loop n50 0.02 T/s": (
        {
            "materials": material(50, {"kim": {"jc0": "2e4 A/cm^2", "b0": "0.3 T"}}),
            "stack": [
                {"material": "sc", "radius": "5 mm", "inner_radius": "2 mm", "thickness": "3 mm"}
            ],
            "probes": [probe("bore", 0, 1.5), probe("above", 3.5, 3.5)],
            "protocol": ramps(0, "0.02 T/s", 0.5, -0.5, 0),
        },
        0.1,
    ),
    "disk scaled Jc(T) n50, FC 0.8 T at 20 K, warmed to 30 K": (
        {
            "materials": material(
                50,
                {
                    "constant": "3e4 A/cm^2",
                    "temperature": {"at": "20 K", "tc": "38 K", "exponent": 1.5},
                },
            ),
            "stack": [{"material": "sc", "radius": "5 mm", "thickness": "3 mm"}],
            "probes": [probe("above", 0, 3.5), probe("edge", 4.5, 3.5)],
            "protocol": [
                {"step": "set", "field": "0.8 T", "temperature": "20 K"},
                {"step": "ramp_field", "to": "0 T", "rate": "0.05 T/s"},
                {"step": "ramp_temperature", "to": "30 K", "rate": "0.1 K/s"},
            ],
        },
        0.1,
    ),
    "ring stack example, 0.1 T/s + 600 s": (ring_stack(), 0.25),
    "ring stack, walls 1.5 mm": (
        ring_stack([(15, 13.5, 6), (15, 13.5, 1.2)] * 2 + [(15, 13.5, 6)]),
        0.2,
    ),
    "ring stack, 8 rings 2 mm, 0.5 mm spacers": (
        ring_stack(([(15, 6, 2), (15, 6, 0.5)] * 8)[:-1], (9.75, 20.5)),
        0.25,
    ),
    "ring stack, unequal rings 20/10 x 4, 15/6 x 6, 12/4 x 8": (
        ring_stack([(20, 10, 4), (15, 6, 1.2), (15, 6, 6), (15, 6, 1.2), (12, 4, 8)], (9, 23)),
        0.25,
    ),
}


def _reference(case_dict: dict, size_m: float, out: str, rtol: float) -> None:
    case = Case.from_dict(case_dict).with_options(mesh_size_m=size_m, rtol=rtol)
    t = time.process_time()
    r, _ = Simulation(case).run_on_mesh(build_mesh(case, size_m), size_m, False, None)
    r.probes.to_csv(out, index=False)
    Path(out).with_suffix(".json").write_text(
        json.dumps({**r.solver, "cpu_s": time.process_time() - t})
    )


def reference(
    name: str, case_dict: dict, size_m: float, tmp: Path, timeout: float, rtol: float = REF_RTOL
):
    """(probes, solver counters) of the case at ``size_m`` and ``rtol``, cached per simulator code
    (``CODE``); None after ``timeout`` s (the run is stopped in its own process) or when that
    process fails."""
    key = hashlib.sha256((json.dumps(case_dict, sort_keys=True) + CODE).encode()).hexdigest()[:12]
    at = "" if rtol == REF_RTOL else f"-rtol{rtol:g}"
    path = tmp / f"accuracy-ref-{key}-{size_m * 1e3:g}mm{at}.csv"
    if not path.exists():
        p = multiprocessing.Process(target=_reference, args=(case_dict, size_m, str(path), rtol))
        p.start()
        p.join(timeout)
        if p.is_alive():
            p.terminate()
            p.join()
            print(f"   {name}: reference at {size_m * 1e3:g} mm passed {timeout:g} s; skipped")
            return None
        if p.exitcode:  # refused (e.g. past [mesh] max_elements) or failed: its error printed
            print(
                f"   {name}: reference at {size_m * 1e3:g} mm stopped (exit code {p.exitcode}, "
                "its error above); skipped"
            )
            return None
    return pd.read_csv(path), json.loads(path.with_suffix(".json").read_text())


def extrapolated(fine: pd.DataFrame, coarse: pd.DataFrame, col: str, t) -> np.ndarray:
    """2 B_fine - B_coarse of column ``col`` at times ``t`` (s): a first-order extrapolation of
    two uniform meshes h and 2h to h = 0 (T)."""
    return 2 * np.interp(t, fine.time_s, fine[col]) - np.interp(t, coarse.time_s, coarse[col])


def run_case(name: str, case_dict: dict, ref_mm: float, args) -> list[dict]:
    case = Case.from_dict({"title": name, **case_dict})
    t = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccuracyWarning)  # the summary's "reached" says it
        run = Simulation(case).run(progress=False)
    cpu = time.process_time() - t
    acc = run.accuracy
    rtol = acc["levels"][-1]["rtol"]
    ref_rtol = reference_rtol(rtol)
    refs = [
        reference(name, case_dict, k * ref_mm * 1e-3, args.tmp, args.ref_timeout, ref_rtol)
        for k in (1, 2, 4)
    ]
    tight = None  # the fine reference at a 10x tighter rtol (--time-check)
    if args.time_check:
        tight = reference(name, case_dict, ref_mm * 1e-3, args.tmp, args.ref_timeout, ref_rtol / 10)
    rows = []
    for p in case.probes:
        col = f"{p.name}_Bz_T"
        row = {
            "case": name,
            "probe": p.name,
            "elements": run.solver["elements"],
            "steps": run.solver["time_steps"],
            "pairs": len(acc["levels"]) // 2,
            "cpu_s": cpu,
            "rtol": rtol,
            "ref_rtol": ref_rtol,
            "reached": acc["reached"],
            "est_final": run.errors[p.name]["final_error_T"],
            "est_max": run.errors[p.name]["max_error_T"],
        }
        if refs[0] is not None and refs[1] is not None:
            (fine, fine_solver), (mid, _) = refs[0], refs[1]
            scale = float(np.max(np.abs(fine[col] - fine.applied_T)))
            d = np.abs(run.probes[col] - extrapolated(fine, mid, col, run.probes.time_s))
            row |= {
                "scale_T": scale,
                "true_final": float(d.iloc[-1]),
                "true_max": float(d.max()),
                "ref_elements": fine_solver["elements"],
                "ref_cpu_s": sum(r[1]["cpu_s"] for r in refs if r is not None),
            }
            if refs[2] is not None:
                t = fine.time_s
                spread = extrapolated(fine, mid, col, t) - extrapolated(mid, refs[2][0], col, t)
                row["ref_error"] = float(np.abs(spread).max() / 3)
            if tight is not None:  # the references' own time error at the end (a lower bound)
                shift = float(tight[0][col].iloc[-1] - fine[col].iloc[-1])
                row["ref_time_final"] = abs(shift)
                # the final true error against the reference shifted by that time error
                end = run.probes.time_s.iloc[-1]
                ref_end = extrapolated(fine, mid, col, [end])[0] + shift
                row["true_final_tight"] = abs(float(run.probes[col].iloc[-1] - ref_end))
        rows.append(row)
    return rows


def verdict(r: dict) -> str:
    """Whether row ``r`` met the 1 % target over its trace against the reference, and whether a
    miss was said: the run's summary has ``reached`` false (any AccuracyWarning had counted, the
    note that a lone low-field probe sets the refinement too)."""
    s = r.get("scale_T", np.nan)
    met = r.get("true_max", np.nan) / s <= 0.01 if np.isfinite(s) else None
    note = "" if r["reached"] else " (reached false)"
    return ("met" if met else "MISSED, NOT SAID" if r["reached"] else "MISSED, said") + note


def show(rows: list[dict]) -> None:
    print(
        f"\n{'case':<44} {'probe':<6} {'elem':>6} {'steps':>5} {'pairs':>5} {'cpu s':>6} "
        f"{'est fin':>7} {'true fin':>8} {'est max':>7} {'true max':>8} {'ref err':>7} "
        f"{'e/t fin':>7} {'e/t max':>7}  target"
    )
    for r in rows:
        s = r.get("scale_T", np.nan)
        tf, tm = r.get("true_final", np.nan), r.get("true_max", np.nan)
        said = verdict(r)
        if tm < 2 * r.get("ref_error", np.nan):
            said += ", true < 2x ref err: not resolved"
        if "ref_time_final" in r:
            said += (
                f"; ref time err at the end {r['ref_time_final'] / s:.2%}, true final against "
                f"it {r['true_final_tight'] / s:.2%} (e/t {r['est_final'] / r['true_final_tight']:.2f})"
            )
        print(
            f"{r['case']:<44} {r['probe']:<6} {r['elements']:6d} {r['steps']:5d} {r['pairs']:5d} "
            f"{r['cpu_s']:6.1f} {r['est_final'] / s:7.2%} {tf / s:8.2%} {r['est_max'] / s:7.2%} "
            f"{tm / s:8.2%} {r.get('ref_error', np.nan) / s:7.2%} "
            f"{r['est_final'] / tf:7.2f} {r['est_max'] / tm:7.2f}  {said}"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", help="substrings of the case names to run")
    ap.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()) / "fluxtrap-bench")
    ap.add_argument("--ref-timeout", type=float, default=900.0, help="s per reference run")
    ap.add_argument("--json", type=Path, help="write the rows here")
    ap.add_argument("--unseen", action="store_true", help="run UNSEEN in place of CASES")
    ap.add_argument(
        "--time-check",
        action="store_true",
        help="also the finest reference at a 10x tighter rtol: its difference at the end "
        "(the references' own time error, which 'ref err' leaves out: 0.06 %% of the "
        "self-field after a creep hold)",
    )
    args = ap.parse_args()
    args.tmp.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, (case_dict, ref_mm) in (UNSEEN if args.unseen else CASES).items():
        if args.only and not any(o in name for o in args.only):
            continue
        rows += run_case(name, case_dict, ref_mm, args)
        show(rows[-len(case_dict["probes"]) :])
    show(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
