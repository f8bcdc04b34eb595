"""Calibrate n and Jc of the published bulk pair from its published creep law.

Published (shared/reference/published-work.txt): after FCM 7 T -> 0 at 4.8 T/h at 5 K the centre
field relaxes as B(t)/B(0) = 1.046 - 4.80e-3 ln t (t in s since the field removal), with about
2.83 T measured at the centre; the model with the published n = 35 creeps about 3.5x faster. This
builds the measured series from the law (B(0) = 2.83 T, 80 log-spaced points from --start
(default 60 s: the model, like a real magnet, leaves the pure ln t law in its first tens of
seconds) to 6000 s, sigma 1 mT as the weight: the law is a fit, without noise), fits one n and
one Jc scale shared by both bulks (``*.n,*.jc_scale``) of examples/paper_bulk_pair.toml with a
profile of n, and prints the fitted values with sigmas, the model's creep law at the fit against
the published one, the number of simulations and the wall time. ``--speed`` also runs the fit
without the profile serially and on the process pool and prints the wall-time ratio.

    python bench/bench_calibrate.py [--mesh 2] [--start 60] [--workers 2] [--speed] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from fluxtrap.magnetometry.creep import fit_creep
from fluxtrap.simulate import Case
from fluxtrap.simulate.calibrate import PoolRunner, Series, calibrate, serial
from fluxtrap.simulate.calibrate.plots import write_figures

ROOT = Path(__file__).parents[1]
CASE = ROOT / "examples" / "paper_bulk_pair.toml"
A_PUB, B_PUB, B0_T = 1.046, 4.80e-3, 2.83
FIT = "*.n,*.jc_scale"


def published_series(start_s: float) -> Series:
    t = np.geomspace(start_s, 6000.0, 80)
    return Series("published creep law", t, B0_T * (A_PUB - B_PUB * np.log(t)), "center",
                  sigma_T=np.full(t.size, 1e-3), origin_s=0.0)  # fmt: skip


def timed(case, series, runner, profile):
    t0 = time.perf_counter()
    cal = calibrate(case, series, FIT, scan=0, profile=profile, runner=runner)
    return cal, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mesh", type=float, default=2.0, help="mesh size in mm")
    ap.add_argument("--start", type=float, default=60.0, help="first time of the law, s")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--speed", action="store_true", help="serial vs pool wall time, no profile")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "fluxtrap-bench")
    args = ap.parse_args()
    case = Case.load(CASE).with_options(mesh_size_m=args.mesh * 1e-3)
    series = published_series(args.start)
    with PoolRunner(args.workers) as pool:
        cal, wall = timed(case, series, pool, profile=True)
        if args.speed:
            one, wall_one = timed(case, series, serial, profile=False)
            many, wall_many = timed(case, series, pool, profile=False)
    n, sn = cal.value("*.n")
    k, sk = cal.value("*.jc_scale")
    tr = cal.traces[0]
    model = fit_creep(tr.t_s, tr.fitted_T, origin_s=0.0)
    print(f"mesh {args.mesh:g} mm, law over {args.start:g}..6000 s: n = {n:.4g} ± {sn:.2g}, "
          f"Jc scale = {k:.4g} ± {sk:.2g}, correlation {cal.correlation[0, 1]:+.3f}, "
          f"reduced chi^2 {cal.chi2_red:.3g} (sigma 1 mT), runs z {cal.series[0].runs_z:.2f}")  # fmt: skip
    print(f"model creep at the fit: B/B(0) = {model.a_T / B0_T:.4f} - {model.b_T / B0_T:.3e} ln t "
          f"(published {A_PUB} - {B_PUB:.2e} ln t); rms residual {1e3 * cal.series[0].rms_T:.2g} mT")  # fmt: skip
    prof = ", ".join(
        f"n {r['value']:.4g}: {r['delta_chi2']:.3g} (k^2 {r['expected']:g})" for r in cal.profile
    )
    print(f"profile of n (chi^2 rise / reduced chi^2): {prof}")
    print(
        f"{cal.simulations} simulations (profile included) on {args.workers} processes in {wall:.1f} s"
    )
    if args.speed:
        print(f"without the profile: serial {one.simulations} simulations in {wall_one:.1f} s, "
              f"{args.workers} processes {many.simulations} in {wall_many:.1f} s: "
              f"ratio {wall_one / wall_many:.2f}")  # fmt: skip
    for w in cal.warnings:
        print("warning:", w)
    out = args.out / "calibrate"
    write_figures(cal, out)
    (out / "calibrate.json").write_text(json.dumps(cal.to_dict(), indent=2))
    print(f"figures and calibrate.json in {out}")


if __name__ == "__main__":
    main()
