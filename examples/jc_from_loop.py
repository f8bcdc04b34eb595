"""Jc(B) from an M(H) loop: read an MPMS3 .dat file, apply the extended Bean model, plot.

Shows the magnetometry API: ``read`` (the file's format is guessed) -> ``MeasurementTable`` in SI
-> ``jc_from_loop`` for an a x b x c bar (a <= b across the field, c along it) -> ``JcCurve``.
Without a file it makes one with the SYNTHETIC virtual lab (``fluxtrap.demo.lab``: a process model,
not a measurement) for a sample sintered at 50 degC/min, 600 degC, 5 min.

    python examples/jc_from_loop.py                       # SYNTHETIC loop, figure in $TMPDIR
    python examples/jc_from_loop.py loop_5K.dat --a-mm 0.5 --b-mm 1.2 --c-mm 2.8 --out jc/
"""

import argparse
import tempfile
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from fluxtrap.demo.lab import VirtualLab
from fluxtrap.errors import FluxtrapError
from fluxtrap.magnetometry import jc_from_loop, read
from fluxtrap.units import estimate_text

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("file", nargs="?", help="an M(H) loop file (default: make a SYNTHETIC one)")
parser.add_argument("--a-mm", type=float, default=0.5, help="shortest edge across the field, mm")
parser.add_argument("--b-mm", type=float, default=1.2, help="other edge across the field, mm")
parser.add_argument("--c-mm", type=float, default=2.8, help="edge along the field, mm")
parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "fluxtrap-jc")
parser.add_argument("--quick", action="store_true", help="accepted for the tests; already quick")
args = parser.parse_args()
a, b, c = args.a_mm * 1e-3, args.b_mm * 1e-3, args.c_mm * 1e-3

truth = None
try:
    args.out.mkdir(parents=True, exist_ok=True)
    if args.file is None:
        # the virtual lab cuts a 0.5 x 1.2 x 2.8 mm bar and "measures" 0 -> 7 -> -7 -> 7 T at 5 K
        lab = VirtualLab(seed=0, cut_m=(a, b, c))
        sample = lab.make({"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}, label="B2")
        path = args.out / sample.filename
        path.write_bytes(sample.content)
        truth = sample.jc
        print(f"SYNTHETIC data: {sample!r}")
        print(f"wrote the SYNTHETIC MPMS3 file {path}")
    else:
        path = Path(args.file)
    table = read(path)  # Quantum Design .dat or CSV -> SI columns (field_T, moment_Am2, ...)
    print(f"read {path.name}: {len(table.field_T)} points, {table.metadata.instrument}")
    jc = jc_from_loop(table, a, b, c)  # JcCurve: Jc in A/m^2 on a field grid in T
except FluxtrapError as err:  # what is wrong with the edges or the file, and where
    parser.error(str(err))
except OSError as err:  # --out not a folder one can write in
    parser.error(f"{args.out}: cannot write there ({err.strerror})")
print(jc)

for field_T in (0.0, 1.0, 3.0, 5.0):
    i = abs(jc.field_T - field_T).argmin()
    note = "  (not fully penetrated: Bean model not valid)" if jc.unpenetrated[i] else ""
    value, sigma = jc.at(field_T) * 1e-4, jc.err_at(field_T) * 1e-4  # ± 1 sigma, moment noise
    print(f"Jc({field_T:g} T) = {estimate_text(value, sigma)} A/cm²{note}")  # rounded at sigma

fig, ax = plt.subplots(figsize=(5, 3.6), constrained_layout=True)
jc.plot(ax, label=f"extended Bean, {path.name}")
if truth is not None:
    ax.semilogy(
        truth.field_T, truth.jc_A_cm2, "k--", lw=1, label="the lab's true Jc(B) (SYNTHETIC)"
    )
    ax.legend(frameon=False, fontsize="small")
at = f"{jc.temperature_K:.3g} K" if np.isfinite(jc.temperature_K) else "an unknown temperature"
ax.set_title(f"Jc(B) at {at}, bar {args.a_mm:g} x {args.b_mm:g} x {args.c_mm:g} mm")
figure = args.out / "jc_B.png"
fig.savefig(figure, dpi=120)
print(f"figure: {figure}")
