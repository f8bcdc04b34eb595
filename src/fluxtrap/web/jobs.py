"""Simulation jobs: a case is checked when submitted, then run in a background thread; the
finished simulation (done or failed) goes to the store.

One worker thread runs the queue in order (a trapped-field run takes one core for seconds to
minutes; the API stays responsive as numpy/scipy release the GIL in the heavy parts).

Two id spaces, as in the usual REST pattern for long-running work: a job is numbered by this
server (``/api/jobs/{id}``, in memory, forgotten on restart) and its result by the store
(``/api/simulations/{id}``, beside the simulations recorded by ``fluxtrap simulate --db``); a
finished job points to its stored simulation, so no id is guessed and another writer's rows are
never shadowed. If the store refuses the result the job is failed with that error. The J/B maps
are computed once, when a job finishes, and kept in memory by simulation id (they are not
stored); a stored simulation read after a restart has its probe traces only.
"""

from __future__ import annotations

import io
import itertools
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from fluxtrap.errors import FluxtrapError, NotFoundError, ValidationError
from fluxtrap.store import Store
from fluxtrap.tomlfile import parse_toml
from fluxtrap.web import plots, schemas

MAX_PENDING = 20
FIGURES_KEPT = 50  # J/B map figures of recent simulations held in memory (a few MB each at most)


class NotFinishedError(FluxtrapError):
    """The results of a simulation that has none were asked for: it failed (HTTP 409)."""


def parse_case(text: str):
    """The ``Case`` of a case file's text; a ``jc.csv`` reference is refused, as it would read a
    file on the server (send ``jc.table`` instead)."""
    from fluxtrap.simulate.case import Case

    data = parse_toml(text, "case")
    for name, spec in (data.get("materials") or {}).items():
        jc = spec.get("jc") if isinstance(spec, dict) else None
        if isinstance(jc, dict) and "csv" in jc:
            raise ValidationError(
                f"case: materials.{name}.jc.csv refers to a file on the server; give jc.table instead"
            )
    return Case.from_dict(data)


@dataclass(eq=False)
class Job:
    """A submitted case in this server: queued, running, or finished (then ``simulation_id`` is
    its id in the store, or None if the store refused it and ``error`` says so)."""

    id: int
    case: Any = field(repr=False)
    case_text: str = field(repr=False)
    created_by: str
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: str = "queued"
    finished_at: datetime | None = None
    error: str | None = None
    simulation_id: int | None = None

    @property
    def title(self) -> str:
        return getattr(self.case, "title", "") or f"job {self.id}"

    def info(self) -> schemas.Job:
        return schemas.Job(
            id=self.id,
            title=self.title,
            status=self.status,
            created_by=self.created_by,
            created_at=self.created_at,
            finished_at=self.finished_at,
            error=self.error,
            simulation_id=self.simulation_id,
        )


def finished(info: schemas.Simulation) -> schemas.Simulation:
    """``info`` once done; ``NotFinishedError`` if the simulation failed."""
    if info.status != "done":
        state = f"failed: {info.error}" if info.status == "failed" else f"is {info.status}"
        raise NotFinishedError(f"simulation {info.id} {state}")
    return info


class Jobs:
    """The server's simulation queue (jobs, by job id) in front of the store's simulations (by
    simulation id)."""

    def __init__(self, store: Store, workers: int = 1) -> None:
        self._store = store
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="fluxtrap-sim")
        self._jobs: dict[int, Job] = {}
        # simulation id -> figures with J/B maps, the last FIGURES_KEPT finished here
        self._figures: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._ids = itertools.count(1)  # job ids: this server's own, never the store's
        self._lock = threading.Lock()

    # -- jobs (this server) -------------------------------------------------------------------
    def submit(self, case_text: str, user: str) -> Job:
        """Check the case (errors raise at once, nothing is queued) and queue its run."""
        case = parse_case(case_text)
        with self._lock:
            pending = sum(j.status in ("queued", "running") for j in self._jobs.values())
            if pending >= MAX_PENDING:
                raise ValidationError(f"{pending} simulations are waiting; submit again later")
            job = Job(next(self._ids), case, case_text, user)
            self._jobs[job.id] = job
        self._pool.submit(self._run, job)
        return job

    def job(self, job_id: int) -> schemas.Job:
        """A job of this server; ``NotFoundError`` for an unknown one."""
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no job with id {job_id}")
        return job.info()

    def jobs(self) -> list[schemas.Job]:
        """This server's jobs, oldest first."""
        return [j.info() for j in list(self._jobs.values())]

    # -- simulations (the store) --------------------------------------------------------------
    def simulation(self, sim_id: int) -> schemas.Simulation:
        """A stored simulation; ``NotFoundError`` if there is none with that id."""
        return schemas.Simulation.of(self._store.simulation(sim_id))

    def simulations(self) -> list[schemas.Simulation]:
        """The stored simulations (web jobs and ``fluxtrap simulate --db``), by id."""
        return [schemas.Simulation.of(x) for x in self._store.simulations()]

    def probes_csv(self, sim_id: int) -> bytes:
        """probes.csv of a finished simulation (the stored bytes)."""
        rec = self._store.simulation(sim_id)
        finished(schemas.Simulation.of(rec))
        return rec.probes_csv

    def figures(self, sim_id: int) -> dict[str, Any]:
        """Plotly figures of a finished simulation: probe traces, the bore profiles (from its
        stored summary), and the J/B maps if this server ran it (computed when its job finished)."""
        rec = self._store.simulation(sim_id)
        finished(schemas.Simulation.of(rec))
        figures = self._figures.get(sim_id)
        if figures is not None:
            return figures
        figures = {"probes": plots.probes_figure(pd.read_csv(io.BytesIO(rec.probes_csv)))}
        bore = (rec.summary or {}).get("bore", {})
        if "profiles" in bore and bore["centre_T"]:
            figures["bore"] = plots.bore_figure(bore)
        return figures

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: Job) -> None:
        from fluxtrap.simulate import Simulation
        from fluxtrap.workflows.simulations import failure, record_simulation

        job.status = "running"
        result = figures = None
        try:
            result = Simulation(job.case).run(progress=False)
            figures = plots.simulation_figures(result)  # once, here: B maps take seconds
            status = "done"
        except Exception as err:  # a background job must record every failure, not lose it
            job.error, status = failure(err), "failed"
            result = getattr(err, "result", None)  # a SolverError carries the run up to there
        try:
            rec = record_simulation(
                self._store,
                job.case,
                job.case_text,
                result,
                error=job.error,
                created_by=job.created_by,
            )
            if figures is not None:
                self._figures[rec.id] = figures
                while len(self._figures) > FIGURES_KEPT:
                    self._figures.popitem(last=False)
            job.simulation_id = rec.id
        except Exception as err:  # the store refused it: the job fails with that error
            job.error = f"{job.error + '; ' if job.error else ''}not stored: {err}"
            status = "failed"
        job.finished_at = datetime.now(UTC)
        job.status = status  # last: a poll that sees it finished sees everything else too
