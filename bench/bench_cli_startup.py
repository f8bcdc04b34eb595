"""Start-up of the `fluxtrap` command: each command's ``--help`` and a small real run (tc, jc,
creep, simulate on a coarse mesh, export, suggest), with the code of a baseline revision and
today's alternately in one run, each in a fresh interpreter (``python -m fluxtrap ...``).

Prints, per command, the median [range] of the wall and CPU time of each code over ``--rounds``
and the ratios now/old of the medians, as a Markdown table (``--out`` also writes it). The inputs are
made once with today's code: a logistic M(T) CSV (Tc 38 K), a synthetic bar's M(H) loop, a
log-decaying Hall series, bench/zfc_loop.toml at a 3 mm mesh, and an SQLite store holding the
example campaign and three samples (copied afresh before each suggest, which adds one).

    python bench/bench_cli_startup.py [--baseline e2dfdb45] [--rounds 7] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_simulate import ROOT, source_of

CAMPAIGN = "K-Ba122 SPS"
SAMPLES = {  # label: ramp_rate, max_temperature, dwell_time, jc_3T (A/m^2)
    "B1": ("50", "600", "5", "2.9e8"),
    "B2": ("30", "650", "15", "3.5e8"),
    "B3": ("80", "500", "25", "1.5e8"),
}


def fluxtrap(src: Path, args: list[str], check: bool = True) -> tuple[float, float]:
    """Wall and CPU seconds of ``python -m fluxtrap ARGS`` with the code under ``src`` (its
    ``src/``); CPU, the child's user + system time, is the steadier on a shared machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "fluxtrap", *args],
        env={**os.environ, "PYTHONPATH": str(src / "src")},
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if check and res.returncode != 0:
        raise SystemExit(f"fluxtrap {' '.join(args)} failed ({src}):\n{res.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def inputs(tmp: Path) -> dict[str, list[str]]:
    """Make the input files in ``tmp``; the commands timed, by name, as argument lists."""
    import numpy as np

    from fluxtrap.magnetometry.jc import kim
    from fluxtrap.magnetometry.synthetic import synthetic_mh_loop, write_qd_dat

    t = np.linspace(5, 60, 221)
    moment = -1e-2 / (1 + np.exp((t - 38) / 0.5)) + 1e-5
    mt = tmp / "mt.csv"
    mt.write_text(
        "T (K),H (Oe),m (emu)\n"
        + "\n".join(f"{a:.6g},10,{b:.8g}" for a, b in zip(t, moment, strict=True))
    )
    loop = tmp / "loop.dat"
    write_qd_dat(
        synthetic_mh_loop(kim(1e9, 0.6), 0.5e-3, 1.2e-3, 2.8e-3, seed=5), loop, sample_name="B2"
    )
    series = tmp / "series.csv"
    ts = np.geomspace(10, 1e4, 200)
    b = 1.0 - 0.01 * np.log(ts)
    np.savetxt(series, np.c_[ts, b], delimiter=",", header="time_s,B_T", comments="")
    db = tmp / "lab.db"
    fluxtrap(
        ROOT, ["campaign", "create", str(ROOT / "examples" / "campaign.toml"), "--db", str(db)]
    )
    for label, (r, temp, d, jc) in SAMPLES.items():
        params = [f"ramp_rate={r}", f"max_temperature={temp}", f"dwell_time={d}"]
        fluxtrap(
            ROOT,
            ["sample", "add", "--db", str(db), "-c", CAMPAIGN, "--label", label]
            + [a for p in params for a in ("-p", p)]
            + ["-o", f"jc_3T={jc}"],
        )
    case = str(ROOT / "bench" / "zfc_loop.toml")
    sim = ["simulate", case, "--quiet", "--no-plots", "--mesh-size", "3 mm", "--out"]
    return {
        "--help": ["--help"],
        **{f"{c} --help": [c, "--help"] for c in ("tc", "jc", "creep", "simulate")},
        **{f"{c} --help": [c, "--help"] for c in ("suggest", "export", "serve")},
        "tc FILE": ["tc", str(mt)],
        "jc FILE": ["jc", str(loop), "--a", "0.5 mm", "--b", "1.2 mm", "--c", "2.8 mm"],
        "creep FILE": ["creep", str(series)],
        "simulate (3 mm mesh)": sim,  # the --out folder is added per run
        "export": ["export", "-c", CAMPAIGN, "--db", str(db), "--overwrite", "--out"],
        "suggest -n 1": ["suggest", "-c", CAMPAIGN, "-n", "1", "--db"],
    }


def timed(src: Path, name: str, args: list[str], tmp: Path, k: int) -> tuple[float, float]:
    """One run of command ``name``: outputs to fresh paths, suggest on a fresh copy of the store."""
    run = tmp / f"run-{k}-{src.name}"
    run.mkdir(exist_ok=True)
    if name.startswith("simulate"):
        args = [*args, str(run / "sim")]
    elif name == "export":
        args = [*args, str(run / "history.csv")]
    elif name.startswith("suggest"):
        shutil.copy(tmp / "lab.db", run / "lab.db")
        args = [*args, str(run / "lab.db")]
    return fluxtrap(src, args)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", default="e2dfdb45", help="git revision of the old code")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--only", help="comma-separated command names (default: all)")
    ap.add_argument("--out", type=Path, help="also write the table to this Markdown file")
    ap.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()) / "fluxtrap-bench")
    args = ap.parse_args()
    args.tmp.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=args.tmp, prefix="startup-"))
    codes = {f"old {args.baseline}": source_of(args.baseline, args.tmp), "now": ROOT}
    commands = inputs(tmp)
    if args.only:
        commands = {k: commands[k] for k in args.only.split(",")}
    times = {(c, n): [] for c in commands for n in codes}
    for k in range(args.rounds):
        for name, cmd in commands.items():
            order = list(codes) if k % 2 == 0 else list(reversed(codes))
            for code in order:
                times[name, code].append(timed(codes[code], name, cmd, tmp, k))
    old, now = codes
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    lines = [
        "# `fluxtrap` start-up: bench/bench_cli_startup.py",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, now = {head} (and its working "
        f"tree), `python bench/bench_cli_startup.py --baseline {args.baseline} --rounds "
        f"{args.rounds}`. `python -m fluxtrap ...`, s: median [range] of {args.rounds} fresh interpreters each, "
        f"old and now alternated; load average {os.getloadavg()[0]:.1f} at the end, "
        f"{os.cpu_count()} cores",
        "",
        f"| command | wall {old} | wall {now} | now/old | CPU {old} | CPU {now} | now/old |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in commands:
        cells = []
        for i in (0, 1):  # wall, CPU
            a, b = ([x[i] for x in times[name, code]] for code in (old, now))
            ratio = statistics.median(b) / statistics.median(a)
            cells += [spread(a), spread(b), f"{ratio:.2f}"]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    shutil.rmtree(tmp, ignore_errors=True)


def spread(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} [{min(xs):.2f}-{max(xs):.2f}]"


if __name__ == "__main__":
    main()
