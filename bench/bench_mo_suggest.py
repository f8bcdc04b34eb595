"""Time and quality of two-objective suggestions: one torch thread (today) against the default.

    python bench/bench_mo_suggest.py [--seeds 5] [--initial 3] [--rounds 3] [--n 3]

On the K-Ba122 SPS space (ramp rate, temperature, dwell time on their step grids) the two
objectives are BoTorch's DTLZ2 (d=3, m=2, maximised) of the parameters scaled to [0, 1]. Each
seed starts from ``--initial`` Sobol points and asks ``--rounds`` batches of ``--n`` (qLogNEHVI,
as ``fluxtrap suggest -n 3``), telling each batch; the same seed runs twice in a row, with
``Optimizer.ask`` on one thread (``one_thread``, today) and on torch's default thread count (the
settings before it), so both see the same load. Printed: seconds per ask (one ``suggest -n``),
mean +- s.e. over the asks, and their ratio old / new per seed; the hypervolume reached (of the
measured points, over DTLZ2's reference point, as a fraction of its largest one), mean +- s.e.
over seeds, and how many picks the two settings share. The one-time compilation of BoTorch's
fused qLogEHVI kernel (cached under ~/.cache/torch_extensions) is done before any timing.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from botorch.test_functions.multi_objective import DTLZ2
from botorch.utils.multi_objective.hypervolume import Hypervolume
from botorch.utils.multi_objective.pareto import is_non_dominated

import fluxtrap.optimize.optimizer as optimizer
from fluxtrap.campaign import CampaignSpec
from fluxtrap.optimize import Optimizer, SearchSpace

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = DTLZ2(dim=3, num_objectives=2, negate=True)


def measure(space: SearchSpace, X: pd.DataFrame) -> pd.DataFrame:
    """DTLZ2 of the parameters scaled to the unit cube (two objectives to maximise)."""
    Y = PROBLEM(space.to_unit(X))
    return pd.DataFrame(Y.numpy(), columns=["jc_0T", "jc_3T"], index=X.index)


def hypervolume(Y: pd.DataFrame) -> float:
    """Hypervolume of the measured points over the reference point, as a fraction of the most."""
    Yt = torch.tensor(Y.to_numpy(), dtype=torch.double)
    front = Yt[is_non_dominated(Yt)]
    return Hypervolume(PROBLEM.ref_point).compute(front) / PROBLEM.max_hv


def run(space: SearchSpace, seed: int, args) -> tuple[list[float], float, list]:
    """One replay: seconds per ask, the final hypervolume fraction, the picks' keys."""
    X = space.sample(args.initial, seed=seed)
    opt = Optimizer(space, seed=seed).tell(X, measure(space, X))
    times, picks = [], []
    for _ in range(args.rounds):
        t = time.perf_counter()
        batch = opt.ask(args.n)
        times.append(time.perf_counter() - t)
        batch = batch[space.names]
        picks += space.keys(batch)
        opt.tell(batch, measure(space, batch))
    return times, hypervolume(opt.Y), picks


def mean_se(v) -> str:
    v = np.asarray(v, float)
    se = v.std(ddof=1) / math.sqrt(len(v)) if len(v) > 1 else float("nan")
    return f"{v.mean():.3f} +- {se:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--initial", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n", type=int, default=3)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    space = SearchSpace.from_campaign(CampaignSpec.from_toml(ROOT / "examples" / "campaign.toml"))
    X = space.sample(4, seed=0)
    Optimizer(space).tell(X, measure(space, X)).acquisition_function()  # compiles the kernel
    settings = {  # what Optimizer.ask runs its work under
        "one thread (new)": optimizer.one_thread,
        f"default {torch.get_num_threads()} threads (old)": contextlib.nullcontext,
    }
    times = {k: [] for k in settings}
    hv = {k: [] for k in settings}
    ratios, shared = [], []
    for seed in range(args.seeds):
        picks = {}
        for name, threads in settings.items():
            with _patched(optimizer, "one_thread", threads):
                t, h, picks[name] = run(space, seed, args)
            times[name].append(t)
            hv[name].append(h)
        new, old = (times[k][-1] for k in settings)
        ratios.append(np.mean(old) / np.mean(new))
        a, b = picks.values()
        shared.append(sum(x == y for x, y in zip(a, b, strict=True)) / len(a))
        print(f"seed {seed}: s per ask new {np.mean(new):.2f}, old {np.mean(old):.2f}", flush=True)
    print(
        f"\n{args.seeds} seeds, {args.initial} Sobol points then {args.rounds} asks of "
        f"{args.n} (DTLZ2 d=3 m=2 on the SPS space)"
    )
    for name in settings:
        per_ask = [x for t in times[name] for x in t]
        print(
            f"{name:24s} s per ask {mean_se(per_ask)} (min {min(per_ask):.2f}, max "
            f"{max(per_ask):.2f}); hypervolume fraction {mean_se(hv[name])}"
        )
    print(f"time ratio old / new per seed: {mean_se(ratios)}")
    print(f"picks shared by the two settings: {mean_se(shared)}")


@contextlib.contextmanager
def _patched(module, name: str, value):
    saved = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, saved)


if __name__ == "__main__":
    main()
