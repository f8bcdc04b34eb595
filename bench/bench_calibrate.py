"""Calibrate n and Jc of the published bulk pair from its published creep law.

Published (shared/reference/published-work.txt): after FCM 7 T -> 0 at 4.8 T/h at 5 K the centre
field relaxes as B(t)/B(0) = 1.046 - 4.80e-3 ln t (t in s since the field removal), with about
2.83 T measured at the centre; the model with the published n = 35 creeps about 3.5x faster. This
builds the measured series from the law (B(0) = 2.83 T, t = 1..6000 s, 80 log-spaced points,
sigma 1 mT as the weight: the law is a fit, without noise), fits one n and one Jc scale shared by
both bulks (``*.n,*.jc_scale``) of examples/paper_bulk_pair.toml, and prints the fitted values
with sigmas, the model's creep law at the fit against the published one, the number of
simulations and the wall time, for a serial and a 2-process run (the speed ratio).

    python bench/bench_calibrate.py [--mesh 2] [--workers 2] [--out DIR]   (mesh in mm)
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from fluxtrap.calibrate import PoolRunner, Series, calibrate, serial
from fluxtrap.calibrate.plots import write_figures
from fluxtrap.magnetometry.creep import fit_creep
from fluxtrap.simulate import Case

ROOT = Path(__file__).parents[1]
CASE = ROOT / "examples" / "paper_bulk_pair.toml"
A_PUB, B_PUB, B0_T = 1.046, 4.80e-3, 2.83


def published_series() -> Series:
    t = np.geomspace(1.0, 6000.0, 80)
    return Series("published creep law", t, B0_T * (A_PUB - B_PUB * np.log(t)), "center",
                  sigma_T=np.full(t.size, 1e-3), origin_s=0.0)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mesh", type=float, default=2.0, help="mesh size in mm")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "fluxtrap-bench")
    args = ap.parse_args()
    case = Case.load(CASE).with_options(mesh_size_m=args.mesh * 1e-3)
    series = published_series()
    runs = {}
    for label, workers in (("serial", 1), (f"{args.workers} processes", args.workers)):
        t0 = time.perf_counter()
        if workers == 1:
            cal = calibrate(case, series, "*.n,*.jc_scale", scan=0, profile=False, runner=serial)
        else:
            with PoolRunner(workers) as pool:
                cal = calibrate(case, series, "*.n,*.jc_scale", scan=0, profile=True, runner=pool)
        runs[label] = (cal, time.perf_counter() - t0)
        print(f"{label}: {cal}")
    cal, wall = runs[f"{args.workers} processes"]
    serial_cal, serial_wall = runs["serial"]
    n, sn = cal.value("*.n")
    k, sk = cal.value("*.jc_scale")
    tr = cal.traces[0]
    model = fit_creep(tr.t_s, tr.fitted_T, origin_s=0.0)
    print(f"mesh {args.mesh:g} mm: n = {n:.4g} ± {sn:.2g}, Jc scale = {k:.4g} ± {sk:.2g}, "
          f"correlation {cal.correlation[0, 1]:+.3f}, reduced chi^2 {cal.chi2_red:.3g} (sigma 1 mT)")  # fmt: skip
    print(f"model creep at the fit: B/B(0) = {model.a_T / B0_T:.4f} - {model.b_T / B0_T:.3e} ln t "
          f"(published {A_PUB} - {B_PUB:.2e} ln t); rms residual {1e3 * cal.series[0].rms_T:.2g} mT")  # fmt: skip
    print(
        f"profile of n: {[(round(r['value'], 2), round(r['delta_chi2'], 2)) for r in cal.profile]}"
    )
    print(f"simulations: {serial_cal.simulations} serial in {serial_wall:.1f} s; {cal.simulations} "
          f"with {args.workers} processes (profile included) in {wall:.1f} s")  # fmt: skip
    out = args.out / "calibrate"
    write_figures(cal, out)
    (out / "calibrate.json").write_text(json.dumps(cal.to_dict(), indent=2))
    print(f"figures and calibrate.json in {out}")


if __name__ == "__main__":
    main()
