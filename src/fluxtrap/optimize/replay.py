"""Replay: a pool-based retrospective campaign on a table of past experiments (design section 6).

The protocol of Liang et al. 2021 (npj Comput. Mater. 7, 188), as in
``../shared/data/bo-benchmarks/README.md``: rows with identical inputs are averaged into one pool
entry; the goal set is the best ``ceil(top_percent/100 * N)`` entries; each run starts from
``n_initial`` random entries, then the optimizer picks one unobserved entry per trial (it may only
pick rows of the table), or ``batch`` entries per round, the later ones with the earlier ones of the
round pending, as a lab that makes two samples at a time asks; runs are repeated with seeds ``seed, seed+1, ...``. Random choice is not
simulated but taken as its analytic expectation for sampling without replacement: the top
fraction after ``i`` draws is ``i/N``, and the expected best of ``i`` draws is
``sum_k v_(k) C(k-1, i-1) / C(N, i)`` over the values sorted from worst (k=1) to best (k=N).
Trial counts include the initial entries.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fluxtrap.campaign import ObjectiveDef
from fluxtrap.errors import InputFileError, ValidationError
from fluxtrap.inputs import read_bytes
from fluxtrap.optimize.optimizer import (
    MAX_OBSERVATIONS,
    SPAN_DECADES,
    ZERO_FLOOR,
    FloorWarning,
    Optimizer,
    SpanWarning,
    _whole,
    check_seed,
)
from fluxtrap.optimize.quiet import SharedFilters
from fluxtrap.optimize.space import Categorical, Continuous, SearchSpace
from fluxtrap.units import header_unit


class UnmeasuredWarning(UserWarning):
    """Rows of a replayed table without an objective value are left out."""


MAX_REPEATS = 1000  # seeded replays in one call
# Model work of one call, counted as the observations each ask is fitted to, summed over asks
# and runs (repeats * (budget^2 - initial^2) / 2): 146 runs of budget 50 (the stopping
# calibration) are 1.8e5; one ask took 1.1 s at 100 observations, 1.9 s at 500 and 23 s at 1000
# (3 inputs, a 2-core machine shared with other work). 2e6 is 10 runs of budget 630.
MAX_REPLAY_WORK = 2_000_000
# Pool values (rows x inputs) scored by all asks of one call, repeats * (budget - initial) x the
# pool's: each ask scores the whole pool (one from 400 000 rows of 2 inputs took 12 s with 5
# observations, REPLAY_VALUE_S a value, on 2 cores shared): 10 runs of budget 50 on a table of
# 770 000 rows, about 3 h, started without a word. 2e8 values are about 50 min
MAX_REPLAY_SCORED = 2e8
REPLAY_VALUE_S = 1.6e-5
MAX_TABLE = 64 * 2**20  # bytes of a replay table (the public benchmarks are a few kB)
# said once by replay (_check_span), not at every ask
_named_once = SharedFilters({"category": SpanWarning}, {"category": FloorWarning})


@dataclass(frozen=True)
class ReplayResult:
    """Per-trial curves of a replay: ``bo_*`` are ``repeats x budget``, ``random_*`` ``(budget,)``.

    ``best_so_far`` is in the objective's units (max or min so far, by the goal); ``top_fraction``
    is the share of the goal set found so far; ``log``: the objective was modelled as ln(value).
    """

    top_percent: float
    budget: int
    n_pool: int
    n_top: int
    maximize: bool
    seeds: tuple[int, ...]
    bo_best: np.ndarray
    bo_top: np.ndarray
    random_best: np.ndarray
    random_top: np.ndarray
    log: bool = False

    @property
    def enhancement_factor(self) -> np.ndarray:
        """Mean BO top fraction / random top fraction at each trial, ``(budget,)``."""
        return self.bo_top.mean(axis=0) / self.random_top

    def to_dict(self) -> dict[str, Any]:
        """The ``replay.json`` document."""
        return {
            "top_percent": self.top_percent,
            "budget": self.budget,
            "strategies": {
                "bo": {
                    "best_so_far": self.bo_best.mean(axis=0).tolist(),
                    "top_fraction": self.bo_top.mean(axis=0).tolist(),
                },
                "random": {
                    "best_so_far": self.random_best.tolist(),
                    "top_fraction": self.random_top.tolist(),
                },
            },
            "enhancement_factor": self.enhancement_factor.tolist(),
        } | ({"log": True} if self.log else {})

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``replay.json`` and ``replay.png`` into ``out_dir``; return their paths."""
        from fluxtrap.optimize.plots import plot_replay

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "replay.json").write_text(json.dumps(self.to_dict(), indent=1))
        fig = plot_replay(self)
        fig.savefig(out / "replay.png", dpi=120)
        return [out / "replay.json", out / "replay.png"]

    def __repr__(self) -> str:
        ef = self.enhancement_factor
        at = ", ".join(f"EF({i})={ef[i - 1]:.2f}" for i in (10, 25, 50) if i <= self.budget)
        return (
            f"ReplayResult(N={self.n_pool}, top {self.top_percent:g}% = {self.n_top}, budget {self.budget}, "
            f"{len(self.seeds)} repeats, BO top fraction at end {self.bo_top[:, -1].mean():.2f} "
            f"vs random {self.random_top[-1]:.2f}; {at})"
        )


def read_table(
    path: str | Path, inputs: Sequence[str], objective: str
) -> tuple[pd.DataFrame, pd.Series]:
    """Read a CSV (UTF-8, BOM allowed) and average rows with identical inputs: the pool; an
    input or the objective named twice in the header is an InputFileError. A column may carry
    its unit, as ``fluxtrap export`` writes it (``ramp_rate [degC/min]``) and so may a name of
    ``inputs``/``objective``; where both do, they must agree. The units found are kept in the
    pool's ``attrs["units"]`` (column -> unit)."""
    path = Path(path)
    data = read_bytes(path, "replay table", MAX_TABLE)  # no directory, FIFO or device
    try:
        df = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputFileError(f"{path}: not a readable CSV ({err})") from None
    header = next(csv.reader([data.split(b"\n", 1)[0].decode("utf-8-sig", "replace")]), [])
    given = dict(map(header_unit, (*inputs, objective)))
    inputs, objective = [header_unit(c)[0] for c in inputs], header_unit(objective)[0]
    found = {}  # the header's units of the columns asked for
    for i, col in enumerate(header):
        name, unit = header_unit(col)
        if unit is None or name not in given or col in given:
            continue
        if given[name] is not None and given[name] != unit:
            raise InputFileError(
                f"{path}, line 1: column {col!r} is in {unit}, not the {given[name]} asked for: "
                f"name it {name!r} or {col!r}"
            )
        header[i], found[name] = name, unit
    df.columns = header if len(header) == len(df.columns) else df.columns
    if twice := sorted({c for c in (*inputs, objective) if header.count(c) > 1}):
        raise InputFileError(  # pandas renamed the second 'a' to 'a.1' and read the first
            f"{path}: column(s) {', '.join(map(repr, twice))} appear twice in the header: rename "
            "one, so it is clear which is meant"
        )
    missing = [c for c in (*inputs, objective) if c not in df.columns]
    if missing:
        raise InputFileError(
            f"{path}: no column(s) {', '.join(map(repr, missing))}; columns are {', '.join(map(repr, df.columns))}"
        )
    X, y = pool_from_table(df, inputs, objective, where=str(path))
    X.attrs["units"] = {c: u for c in (*inputs, objective) if (u := found.get(c) or given[c])}
    return X, y


def pool_from_table(
    df: pd.DataFrame, inputs: Sequence[str], objective: str, where: str = "table"
) -> tuple[pd.DataFrame, pd.Series]:
    """Pool ``N x d`` of distinct inputs and their mean objective ``(N,)``. An input column of
    text in every row (no cell a number) is categorical; any other cell must be a finite number.
    A row without an objective value (a sample made, not measured: ``fluxtrap export`` leaves
    it empty) is left out, all such rows named in one ``UnmeasuredWarning`` (by their ``label``
    where the table has one, else by line); none measured is an InputFileError."""
    unmeasured = _empty(df[objective]).to_numpy()
    if unmeasured.all():
        raise InputFileError(
            f"{where}, column {objective!r}: no row holds a value (none measured), nothing to replay"
        )
    if unmeasured.any():
        names = (
            [str(x) for x in df["label"][unmeasured]]
            if "label" in df.columns and objective != "label"
            else [f"line {i + 2}" for i in np.flatnonzero(unmeasured)]
        )
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        warnings.warn(
            f"{where}: {len(names)} of {len(df)} rows have no {objective} (not measured) and are "
            f"left out: {', '.join(names[:5])}{more}",
            UnmeasuredWarning,
            stacklevel=3,
        )
    data = df.loc[~unmeasured, [*inputs, objective]].copy()  # index: the place in the file
    for c in data.columns:
        raw = data[c]
        numbers = pd.to_numeric(raw, errors="coerce")
        empty = _empty(raw)
        text = numbers.isna() & ~empty
        if c != objective and text.all():
            data[c] = raw.astype(str).str.strip()
            continue
        at = f"{where}, column {c!r}"
        if empty.any():
            raise InputFileError(f"{at}, line {_line(empty)}: empty (every row needs a value)")
        if c != objective and text.any():
            raise InputFileError(
                f"{at} mixes text (line {_line(text)}: {str(raw[text].iloc[0])!r}) and numbers (line "
                f"{_line(~text)}: {str(raw[~text].iloc[0])!r}): a numeric input needs a number in "
                "every row, a categorical one text in every row"
            )
        bad = pd.Series(~np.isfinite(numbers.to_numpy(dtype=float)), index=raw.index)
        if bad.any():
            raise InputFileError(
                f"{at}, line {_line(bad)}: {str(raw[bad].iloc[0])!r} is not a finite number"
            )
        data[c] = numbers
    pool = data.groupby(list(inputs), as_index=False, sort=False)[objective].mean()
    return pool[list(inputs)], pool[objective]


def _empty(column: pd.Series) -> pd.Series:
    """Where ``column``'s cells are empty (missing or blank)."""
    return column.isna() | (column.astype(str).str.strip() == "")


def _line(mask: pd.Series) -> int:
    """The CSV line of the first row where ``mask`` holds (line 1 is the header; ``mask``
    indexed by the row's place in the file, from 0)."""
    return int(mask.index[np.argmax(mask.to_numpy())]) + 2


def random_expectation(y: np.ndarray, budget: int, maximize: bool) -> tuple[np.ndarray, np.ndarray]:
    """Analytic expected best-so-far and top fraction of random choice without replacement.

    The k-th worst of N values is the best of i draws with probability C(k-1, i-1) / C(N, i),
    each i's weights the previous ones x (k - i + 1) i / ((i - 1) (N - i + 1)): one vector of N
    at a time (the budget x N matrix of them held 1.4 GB for a pool of 770 000 rows at budget
    50, 12 s; past 10 GB at budget 2000)."""
    N = len(y)
    v = np.sort(y if maximize else -y)  # worst first
    k = np.arange(1, N + 1, dtype=float)
    weight = np.full(N, 1.0 / N)  # one draw: each value alike
    best = np.empty(budget)
    for i in range(1, budget + 1):
        best[i - 1] = weight @ v
        if i < budget:
            weight *= (k - i) * (i + 1) / (i * (N - i))  # the i worst: never the best of i + 1
    return (best if maximize else -best), np.arange(1, budget + 1) / N


def replay(
    X: pd.DataFrame,
    y: pd.Series,
    maximize: bool = True,
    budget: int = 50,
    n_initial: int = 2,
    repeats: int = 10,
    seed: int = 0,
    top_percent: float = 5.0,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    batch: int = 1,
    log: bool = False,
    **optimizer_options,
) -> ReplayResult:
    """Replay the optimizer on the pool ``X`` (``N x d``, distinct rows), ``y`` (``(N,)``).

    ``workers > 1`` runs repeats in that many processes (one torch thread each). ``batch``: entries
    asked per round (``ask(batch)``: each later one with the earlier ones pending); the last round
    is cut to the budget. ``log``: the objective is modelled as ln(value) (``ObjectiveDef.log``:
    values spanning decades, every one 0 or above, a 0 modelled at a floor: ``Optimizer.floor``,
    named once, ``FloorWarning``); without it, values above 0 spanning more than
    ``SPAN_DECADES`` are named once (``SpanWarning``), not at every ask.
    ``progress(k)`` is called after each finished repeat. Options go to :class:`Optimizer`.
    Each ask scores the whole pool: more than ``MAX_REPLAY_SCORED`` values in all (repeats x
    (budget - n_initial) x rows x inputs) is a ValidationError saying the estimated hours,
    before any run.
    """
    N = len(X)
    if len(y) != N:
        raise ValidationError(f"replay: X has {N} rows but y has {len(y)}")
    check_runs(budget, n_initial, repeats, seed, top_percent, workers, batch)
    if budget > N:
        raise ValidationError(
            f"replay: budget {budget} is past the pool's {N} distinct rows (each trial picks a "
            "new one)"
        )
    scored = repeats * (budget - n_initial) * N * X.shape[1]
    if scored > MAX_REPLAY_SCORED:
        raise ValidationError(
            f"replay: {repeats} run(s) of budget {budget} score the pool's {N} distinct rows x "
            f"{X.shape[1]} input(s) at each ask, {scored:.3g} values in all, about "
            f"{scored * REPLAY_VALUE_S / 3600:.1f} h; at most {MAX_REPLAY_SCORED:.0e} in one call: "
            "fewer repeats (split them over calls with --seed), a smaller budget or fewer rows"
        )
    X = X.reset_index(drop=True)
    name, y = y.name, pd.Series(np.asarray(y, dtype=float))
    _check_span(X, y, name, log, maximize)
    if log:
        optimizer_options["shown"] = {"y": ObjectiveDef("y", log=True)}
    n_top = math.ceil(top_percent / 100 * N)
    order = np.argsort(-y.to_numpy() if maximize else y.to_numpy(), kind="stable")
    is_top = np.zeros(N, dtype=bool)
    is_top[order[:n_top]] = True
    seeds = tuple(range(seed, seed + repeats))
    jobs = [(X, y, maximize, budget, n_initial, s, batch, optimizer_options) for s in seeds]
    picks = []
    if workers > 1:
        with ProcessPoolExecutor(
            workers, mp_context=get_context("spawn"), initializer=_one_thread
        ) as pool:
            for k, p in enumerate(pool.map(_run_once, jobs), 1):
                picks.append(p)
                if progress:
                    progress(k)
    else:
        for k, job in enumerate(jobs, 1):
            picks.append(_run_once(job))
            if progress:
                progress(k)
    picks = np.array(picks)  # repeats x budget, row indices of the pool
    yv = y.to_numpy()[picks]
    bo_best = np.maximum.accumulate(yv, axis=1) if maximize else np.minimum.accumulate(yv, axis=1)
    bo_top = np.cumsum(is_top[picks], axis=1) / n_top
    random_best, random_top = random_expectation(y.to_numpy(), budget, maximize)
    return ReplayResult(
        top_percent=top_percent,
        budget=budget,
        n_pool=N,
        n_top=n_top,
        maximize=maximize,
        seeds=seeds,
        bo_best=bo_best,
        bo_top=bo_top,
        random_best=random_best,
        random_top=random_top,
        log=log,
    )


def _check_span(X: pd.DataFrame, y: pd.Series, name: Any, log: bool, maximize: bool) -> None:
    """With ``log``, refuse a value below 0 (and a 0 when minimised) naming its pool entry; warn once
    (``FloorWarning``) of the 0s; without, warn once (``SpanWarning``) when the values, all above
    0, span more than ``SPAN_DECADES``."""
    what = f"objective {name}" if name is not None else "the objective"
    if log and (y < 0).any():
        i = int(np.argmax(y.to_numpy() < 0))
        raise ValidationError(
            f"replay: {what} is {y.iloc[i]:g} at {_entry(X, i)}: log models ln(value), so every "
            "value must be 0 (nothing measurable) or above"
        )
    if log and not maximize and (y == 0).any():
        i = int(np.argmax(y.to_numpy() == 0))
        raise ValidationError(
            f"replay: {what} is 0 at {_entry(X, i)}: minimised with log, ln 0 is undefined, and at "
            "a floor below every value it would be taken as the best: give the instrument's "
            "resolution there, or leave the row out"
        )
    if log and (zero := np.flatnonzero(y.to_numpy() == 0)).size:
        warnings.warn(
            f"replay: {what} is 0 at {zero.size} of {len(y)} entries (the first at "
            f"{_entry(X, zero[0])}): each run models a 0 at a floor of {ZERO_FLOOR:g} x the smallest "
            "value above 0 it has picked (ln 0 is undefined)",
            FloorWarning,
            stacklevel=3,
        )
    if not log and (y > 0).all() and (decades := math.log10(y.max() / y.min())) > SPAN_DECADES:
        warnings.warn(
            f"replay: the values of {what}, all above 0, span {decades:.1f} decades ({y.min():.3g} to "
            f"{y.max():.3g}); the model fits them on a linear scale, where the largest dominate: "
            "log=True (fluxtrap replay --log) models ln(value)",
            SpanWarning,
            stacklevel=3,
        )


def _entry(X: pd.DataFrame, i: int) -> str:
    """Pool entry ``i`` as text: ``T=1, t=30``."""
    return ", ".join(f"{c}={v}" for c, v in X.iloc[i].items())


def check_runs(
    budget: int,
    n_initial: int,
    repeats: int,
    seed: int,
    top_percent: float,
    workers: int,
    batch: int = 1,
) -> None:
    """Refuse, naming it, a ``replay`` argument that needs no pool to be judged (the pool's
    size is ``replay``'s own check): ``fluxtrap replay`` calls it before reading the table."""
    # whole numbers, first: budget=5.5 was refused by ask ("n ... got 0.5") after a run's fits
    budget = _whole(budget, "replay: budget", 2, MAX_OBSERVATIONS)
    _whole(repeats, "replay: repeats", 1, MAX_REPEATS)
    _whole(n_initial, "replay: initial", 1, budget - 1)
    _whole(batch, "replay: batch", 1, budget)
    cores = _cores()
    if (
        isinstance(workers, bool)
        or not isinstance(workers, int | np.integer)
        or not (1 <= workers <= cores)
    ):  # 10**6 was taken: a spawned process (torch loaded, ~0.3 GB) per run, up to 1000
        raise ValidationError(
            f"replay: workers must be a whole number from 1 to the {cores} CPU core(s) this "
            f"process may use, got {workers!r}"
        )
    check_seed(seed, "replay: seed")
    check_seed(seed + repeats - 1, "replay: the last seed (seed + repeats - 1)")
    if (
        isinstance(top_percent, bool)
        or not isinstance(top_percent, int | float | np.number)
        or not 0 < top_percent <= 100
    ):
        raise ValidationError(f"replay: top percent must be > 0 and <= 100, got {top_percent!r}")
    work = repeats * (budget**2 - n_initial**2) / 2
    if work > MAX_REPLAY_WORK:
        raise ValidationError(
            f"replay: {repeats} run(s) of budget {budget} fit models to {work:.3g} observations in "
            f"all, at most {MAX_REPLAY_WORK:.0e} in one call (hours of work: the fit grows as "
            "n^3): fewer repeats (split them over calls with --seed) or a smaller budget"
        )


def _cores() -> int:
    """The CPU cores this process may run on (its affinity where the system tells it), at least
    1; as the CLI's ``cli.common.cpu_cores``, which bounds ``fluxtrap replay --workers``."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):  # no sched_getaffinity (macOS, Windows)
        return max(os.cpu_count() or 1, 1)


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def _run_once(job) -> list[int]:
    """One seeded run: the pool rows picked, in order (initial random ones first)."""
    X, y, maximize, budget, n_initial, seed, batch, options = job
    space = SearchSpace(
        [
            Continuous(str(c), float(X[c].min()), float(X[c].max()))
            if pd.api.types.is_numeric_dtype(X[c])
            else Categorical(str(c), tuple(X[c].unique()))
            for c in X.columns
            if X[c].nunique() > 1
        ]
    )
    cols = space.names
    pool = X[cols]
    rng = np.random.default_rng(seed)
    picked = [int(i) for i in rng.choice(len(X), size=n_initial, replace=False)]
    opt = Optimizer(space, seed=seed, maximize=maximize, **options)
    with _named_once():
        opt.tell(pool.iloc[picked], y.iloc[picked].rename("y"))
        while len(picked) < budget:  # bounded as a whole before it starts (check_runs)
            n = min(batch, budget - len(picked))
            rows = [int(i) for i in opt.ask(n, candidates=pool, allow_long=True).index]
            picked += rows
            opt.tell(pool.iloc[rows], y.iloc[rows].rename("y"))
    return picked
