"""``fluxtrap demo``: the main job end to end on an embedded SQLite store, with a SYNTHETIC lab.

A fresh store gets the campaign of ``fluxtrap/examples/campaign.toml``. Two loops choose sintering
conditions, and every sample takes the real path: the virtual lab (``fluxtrap.demo.lab``, SYNTHETIC)
writes its MPMS3-style M(H) loop file, ``magnetometry.pipeline.derive`` turns the file into
Jc(B), the campaign objective (Jc at 3 T, 5 K) is read off it, and all of it goes into the store
in one transaction, as ``fluxtrap measure add`` does:

- researcher-driven: a coarse one-factor-at-a-time grid (50 C steps first), ``ResearcherLoop``;
- data-driven: Bayesian optimization (``workflows.suggest.suggest``: each suggestion is
  stored and its sample linked to it) started from the researchers' first samples.

The best sample of each loop then feeds the trapped-field simulation of the published two-disk
stack (FCM 7 T -> 0 at 5 K, hold), which is recorded in the store under the campaign (as
``fluxtrap simulate --db --campaign`` does); the creep of the centre field is fitted and reported
in ppm/h; ``demo-report/index.html`` shows it all (``fluxtrap.demo.report``).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from fluxtrap.campaign import CampaignSpec, history_frame
from fluxtrap.demo.lab import VirtualLab
from fluxtrap.demo.report import write_report
from fluxtrap.demo.results import DemoResult, DemoSettings, Trial
from fluxtrap.magnetometry import CreepFit, JcCurve, fit_creep
from fluxtrap.magnetometry.creep import CreepCurvatureWarning
from fluxtrap.simulate import Case, Simulation
from fluxtrap.store import Store
from fluxtrap.tomlfile import read_toml
from fluxtrap.units import estimate_text, to_A_cm2
from fluxtrap.workflows.measurements import record_measurement
from fluxtrap.workflows.simulations import record_simulation, stored_maps
from fluxtrap.workflows.suggest import campaign_optimizer, suggest

# The researchers' starting point and steps (campaign units: degC/min, degC, min), as in the
# published study: temperature in 50 C steps at 50 C/min and 5 min, then the dwell, then the ramp.
START = {"ramp_rate": 50.0, "max_temperature": 600.0, "dwell_time": 5.0}
TEMPERATURES = tuple(range(450, 751, 50))
DWELLS = (0.0, 10.0, 20.0, 40.0, 60.0)
RAMPS = (20.0, 35.0, 70.0, 100.0)
FAST_OPTIONS = {"num_restarts": 4, "raw_samples": 128}  # optimizer effort for the demo and tests


Evaluate = Callable[[dict[str, float], str, str, "int | None"], Trial]
Suggest = Callable[[Sequence[Trial]], "tuple[dict[str, float], int | None]"]


class ResearcherLoop:
    """Researcher-driven loop: a coarse one-factor-at-a-time grid, each stage from the best so far.

    Stages, as in the published study (temperature in 50 C steps): (1) temperature 450..750 C at
    50 C/min and 5 min, the "first samples"; (2) the dwell at the best temperature: 0, 10, 20, 40,
    60 min; (3) the ramp at the best (T, dwell): 20, 35, 70, 100 C/min; (4) the best +-50 C at
    the best (ramp, dwell); (5) the dwell, then (6) the ramp, halfway to the best's scanned
    neighbours; then replicates of the best condition until the budget is used.
    """

    first = len(TEMPERATURES)  # the temperature scan: the samples the data-driven loop starts from

    def __init__(self, spec: CampaignSpec, objective: str | None = None) -> None:
        self.spec = spec
        self.objective = spec.objective(objective or spec.objective_names[0])
        self.trials: list[Trial] = []
        self._plan = self._conditions()

    def best(self) -> dict[str, float]:
        """Parameters of the best sample so far."""
        pick = max if self.objective.maximize else min
        return dict(pick(self.trials, key=lambda t: t.value).params)

    def _conditions(self) -> Iterator[tuple[dict[str, float], bool]]:
        """(conditions, is_replicate) in plan order; the best is read when each stage starts."""
        for t_c in TEMPERATURES:
            yield {**START, "max_temperature": float(t_c)}, False
        for name, values in (("dwell_time", DWELLS), ("ramp_rate", RAMPS)):
            b = self.best()
            for v in values:
                yield {**b, name: v}, False
        b = self.best()
        for dt in (-50.0, 50.0):
            yield {**b, "max_temperature": b["max_temperature"] + dt}, False
        for name, values in (("dwell_time", DWELLS), ("ramp_rate", RAMPS)):
            b = self.best()
            grid = sorted({*values, START[name], b[name]})
            i = grid.index(b[name])
            for j in (i - 1, i + 1):
                if 0 <= j < len(grid):
                    yield {**b, name: (b[name] + grid[j]) / 2}, False
        while True:
            yield self.best(), True

    def next_params(self) -> dict[str, float]:
        """The researchers' next condition: the plan's next point inside the bounds, new unless a replicate."""
        done = {tuple(t.params.values()) for t in self.trials}
        for params, replicate in self._plan:
            params = {p.name: p.snap(params[p.name]) for p in self.spec.parameters}
            inside = all(p.low <= params[p.name] <= p.high for p in self.spec.parameters)
            if inside and (replicate or tuple(params.values()) not in done):
                return params
        raise AssertionError("unreachable: the plan ends with replicates")

    def run(self, evaluate: Evaluate, until: int, label: Callable[[int], str]) -> list[Trial]:
        """Make and measure samples until the loop has ``until`` of them."""
        while len(self.trials) < until:
            params = self.next_params()
            self.trials.append(evaluate(params, label(len(self.trials) + 1), "researcher", None))
        return self.trials


def trials_history(spec: CampaignSpec, trials: Sequence[Trial], objective: str) -> pd.DataFrame:
    """The trials as a ``Store.history``-shaped frame (parameters and objectives)."""
    rows = (SimpleNamespace(params=t.params, objectives={objective: t.value}) for t in trials)
    return history_frame(spec, rows)


def optimizer_suggest(spec: CampaignSpec, seed: int, **options: Any) -> Suggest:
    """A ``suggest`` for :func:`data_driven_loop` that fits the loop's own trials (no store)."""
    objective = spec.objective_names[0]

    def suggest(trials: Sequence[Trial]) -> tuple[dict[str, float], None]:
        opt, _ = campaign_optimizer(
            spec, trials_history(spec, trials, objective), seed=seed, **{**FAST_OPTIONS, **options}
        )
        row = opt.ask(1).iloc[0]
        return {p: float(row[p]) for p in spec.parameter_names}, None

    return suggest


def data_driven_loop(
    initial: Sequence[Trial],
    suggest: Suggest,
    evaluate: Evaluate,
    until: int,
    label: Callable[[int], str],
) -> list[Trial]:
    """Bayesian loop: start from ``initial`` (the researchers' first samples), then one suggestion
    at a time, each made and measured before the next is asked, until ``until`` samples."""
    trials = list(initial)
    while len(trials) < until:
        params, suggestion_id = suggest(trials)
        trials.append(evaluate(params, label(len(trials) + 1), "optimizer", suggestion_id))
    return trials


# -------------------------------------------------------------------------------- the demo
DEMO_USER = "fluxtrap demo (virtual lab, SYNTHETIC)"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"  # package data: works from a wheel


class _Campaign:
    """The demo's store, campaign and virtual lab: ``evaluate`` makes, measures and stores one sample."""

    def __init__(self, store: Store, spec: CampaignSpec, lab: VirtualLab) -> None:
        self.store, self.spec, self.lab = store, spec, lab
        self.objective = spec.objective_names[0]
        self.jc: dict[str, JcCurve] = {}

    def evaluate(
        self, params: dict[str, float], label: str, origin: str, suggestion_id: int | None
    ) -> Trial:
        sample = self.lab.make(params, label)
        self.store.add_sample(
            self.spec.name,
            label,
            params,
            origin=origin,
            suggestion_id=suggestion_id,
            recorded_by=DEMO_USER,
            notes=f"SYNTHETIC sample of fluxtrap's virtual lab (seed {self.lab.seed}); not a real bulk",
        )
        # the path of `fluxtrap measure add`: derive from the file's bytes, read the objectives, store
        done = record_measurement(
            self.store,
            self.spec.name,
            label,
            sample.filename,
            sample.content,
            sample.cut_m,
            recorded_by=DEMO_USER,
            extra_metadata={
                "virtual_lab": {
                    "synthetic": True,
                    "seed": self.lab.seed,
                    "sample_seed": sample.seed,
                }
            },
            spec=self.spec,
        )
        self.jc[label] = done.jc
        value, error = done.objectives[self.objective], done.errors.get(self.objective, np.nan)
        return Trial(label, origin, dict(params), value, suggestion_id, error)

    def suggest(self, trials: Sequence[Trial]) -> tuple[dict[str, float], int]:
        (rec,) = suggest(
            self.store,
            self.spec.name,
            n=1,
            seed=self.lab.seed,
            created_by=DEMO_USER,
            **FAST_OPTIONS,
        )
        return dict(rec.params), rec.id


def penetrated(jc: JcCurve) -> JcCurve:
    """The fully penetrated points of a measured curve (what the simulator should interpolate),
    with the first one's Jc at 0 T: below it the loop tells no Jc, and the simulator holds the
    first value there (said in the case, which would otherwise warn of the hold)."""
    b, j = jc.field_T[jc.valid], jc.jc_A_m2[jc.valid]
    if b[0] > 0:
        b, j = np.concatenate([[0.0], b]), np.concatenate([[j[0]], j])
    return JcCurve(
        b,
        j,
        temperature_K=jc.temperature_K,
        source=jc.source,
        method=jc.method,
        settings=jc.settings,
    )


def magnet_case(bulk1: JcCurve, bulk2: JcCurve, settings: DemoSettings) -> Case:
    """The published two-disk stack (``fluxtrap/examples/paper_bulk_pair.toml``) with the demo's Jc(B) curves:
    ``bulk1`` (data-driven best, top disk) and ``bulk2`` (researcher-driven best, bottom disk)."""
    data = read_toml(EXAMPLES / "paper_bulk_pair.toml", "case file")
    data["title"] = "Demo magnet, FCM 7 T at 5 K"
    for name, jc in (("bulk1", bulk1), ("bulk2", bulk2)):
        data["materials"][name]["jc"] = penetrated(jc)
    data["protocol"][-1]["duration"] = f"{settings.hold_s:g} s"
    data["mesh"]["size"] = f"{settings.mesh_size_m:g} m"
    data.setdefault("solver", {})["accuracy"] = f"{settings.accuracy * 100:g} %"
    return Case.from_dict(data)


def jc_text(trial: Trial) -> str:
    """A trial's Jc in A/cm² with its 1-sigma where known: "21,253.3 ± 5.6 A/cm²"."""
    value, error = to_A_cm2(trial.value), to_A_cm2(trial.error)
    shown = estimate_text(value, error) if error > 0 else f"{value:,.0f}"
    return f"{shown} A/cm²"


def centre_text(probes: pd.DataFrame, error: dict[str, float], creep: CreepFit) -> str:
    """The centre field (T) when the applied field reached zero and after the hold, each ± the
    estimated discretization ``error`` (``Result.errors["center"]``), and the creep fit ``creep``
    of the hold: a and b (T) and the decay (ppm/h) at its end, each ± 1-sigma, and the local
    decay there where it is estimated (``CreepFit.end_decay_ppm_per_h``: b averages a rate that
    falls over the window when the power law of E ~ J^n curves the decay in ln t)."""
    at_zero = probes.loc[probes["applied_T"].abs() < 1e-9].iloc[0]
    sa, sb = np.sqrt(np.diag(creep.cov))
    end = creep.t_end_s
    return (
        "trapped field at the centre: "
        f"{estimate_text(at_zero['center_Bz_T'], error.get('max_error_T', np.nan))} T when the "
        f"field reached zero (t = {at_zero['time_s']:.0f} s), "
        f"{estimate_text(probes['center_Bz_T'].iloc[-1], error.get('final_error_T', np.nan))} T "
        "after the hold (± the estimated discretization error); creep B(t) = a - b ln t with "
        f"a = {estimate_text(creep.a_T, sa)} T, b = {estimate_text(creep.b_T, sb)} T: "
        f"{estimate_text(creep.decay_ppm_per_h(end), creep.decay_sigma_ppm_per_h(end))} ppm/h "
        "at the end of the hold"
        + (
            f"; the local rate there {estimate_text(local, creep.end_decay_sigma_ppm_per_h())}"
            " ppm/h"
            if np.isfinite(local := creep.end_decay_ppm_per_h())
            else ""
        )
    )


def run_demo(
    out: Path | str = ".", settings: DemoSettings | None = None, quiet: bool = False
) -> DemoResult:
    """Run the whole demo into ``out``: ``fluxtrap-demo.db`` (fresh) and ``demo-report/index.html``
    (``settings`` default: ``DemoSettings()``)."""
    settings = settings or DemoSettings()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    console = Console(quiet=quiet)
    wall: dict[str, float] = {}
    t0 = time.perf_counter()
    db = out / "fluxtrap-demo.db"
    for stale in (
        db,
        db.with_name(db.name + "-wal"),
        db.with_name(db.name + "-shm"),
        db.with_name(db.name + ".lock"),
    ):
        stale.unlink(missing_ok=True)
    store = Store(db)
    spec = store.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml")).spec
    lab = VirtualLab(seed=settings.seed)
    camp = _Campaign(store, spec, lab)
    console.print(
        f"[bold]fluxtrap demo[/]: campaign [bold]{spec.name}[/] in a fresh store {store.url}"
    )
    console.print(f"[yellow]SYNTHETIC[/]: samples come from {lab!r}")

    n, first = settings.samples, min(ResearcherLoop.first, settings.samples)
    researchers = ResearcherLoop(spec)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[best]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        r_task = bar.add_task("researcher-driven loop", total=n, best="")
        d_task = bar.add_task("data-driven loop      ", total=n, best="")

        def tracked(task, start: Sequence[Trial]) -> Evaluate:
            seen = list(start)

            def evaluate(params, label, origin, suggestion_id):
                trial = camp.evaluate(params, label, origin, suggestion_id)
                seen.append(trial)
                best = max(seen, key=lambda t: t.value)
                bar.update(task, completed=len(seen), best=f"best Jc(3 T) {jc_text(best)}")
                return trial

            return evaluate

        # the researchers' first samples (the temperature scan), shared by both loops; then the
        # data-driven loop (its store history holds only those and its own samples); then the
        # researchers' remaining stages, which look only at their own samples
        label_r = lambda i: f"R{i:02d}"  # noqa: E731
        r_eval = tracked(r_task, [])
        researchers.run(r_eval, first, label_r)
        shared = researchers.trials[:first]
        bar.update(d_task, completed=first)
        data_driven = data_driven_loop(
            shared, camp.suggest, tracked(d_task, shared), n, lambda i: f"D{i:02d}"
        )
        researchers.run(r_eval, n, label_r)
    wall["campaign_s"] = time.perf_counter() - t0

    best = {
        "researcher-driven": max(researchers.trials, key=lambda t: t.value),
        "data-driven": max(data_driven, key=lambda t: t.value),
    }
    for loop, t in best.items():
        p = t.params
        console.print(
            f"best {loop:17s} {t.label}: {p['ramp_rate']:g} °C/min, {p['max_temperature']:g} °C, "
            f"{p['dwell_time']:g} min -> Jc(3 T, 5 K) = {jc_text(t)}"
        )

    t1 = time.perf_counter()
    case = magnet_case(
        camp.jc[best["data-driven"].label], camp.jc[best["researcher-driven"].label], settings
    )
    console.print(
        f"simulating the two-disk magnet ({settings.mesh_size_m * 1e3:g} mm mesh): {case.title}"
    )
    result = Simulation(case).run(progress=not quiet)
    wall["simulation_s"] = time.perf_counter() - t1
    df = result.probes
    # B = a - b ln t holds once the currents have relaxed from the ramp: fit the last decade of the
    # hold; the power law's curvature in ln t is printed as the local rate (centre_text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CreepCurvatureWarning)
        creep = fit_creep(
            df["time_s"].to_numpy(),
            df["center_Bz_T"].to_numpy(),
            applied_T=df["applied_T"].to_numpy(),
            start_s=settings.hold_s / 10,
            source="simulation",
            column="center_Bz_T",
        )
    console.print(centre_text(df, result.errors.get("center", {}), creep))
    # the record of `fluxtrap simulate --db --campaign` (the report's files are its copies), its
    # summary with the J/B maps' numbers and the creep fit: the dashboard's page draws them
    sim = record_simulation(
        store, case, case.to_toml(), result, campaign=spec.name, created_by=DEMO_USER,
        extra={"maps": stored_maps(result), "creep": creep.to_dict()},
    )  # fmt: skip

    res = DemoResult(
        settings,
        store.url,
        spec.name,
        list(researchers.trials),
        data_driven,
        best,
        {k: camp.jc[t.label] for k, t in best.items()},
        result,
        creep,
        out / "demo-report" / "index.html",
        wall,
    )
    t2 = time.perf_counter()
    write_report(res, store)
    wall["report_s"] = time.perf_counter() - t2
    wall["total_s"] = time.perf_counter() - t0
    db.with_name(db.name + ".lock").unlink(
        missing_ok=True
    )  # the campaign lock's file: nobody else uses this store
    console.print(
        f"report: [bold]{res.report}[/] (open it in a browser); store: {db} "
        f"(`fluxtrap campaign show {spec.name!r} --db {db}`, `fluxtrap simulation show {sim.id} "
        f"--db {db}`); {wall['total_s']:.0f} s in all"
    )
    return res
