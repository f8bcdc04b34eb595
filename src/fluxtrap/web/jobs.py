"""Simulation jobs: a case is checked when submitted, then run in a background thread; the
finished simulation (done or failed) goes to the store.

One worker thread runs the queue in order (a trapped-field run takes one core for seconds to
minutes; the API stays responsive as numpy/scipy release the GIL in the heavy parts). Queued and
running jobs live in memory (a restarted server forgets those); finished ones are read from the
store, so they survive restarts and list beside the simulations recorded by ``fluxtrap simulate``.

Ids: a job is numbered as the store will number it (one past the largest stored id and the jobs
still in memory), so its URL stays the same once it is stored. Should another writer record a
simulation first and the job be stored under another id, the job remembers it and its own id
keeps pointing there for this server's lifetime. The J/B maps are computed once, when the job
finishes, and kept in memory; a stored simulation read after a restart has its probe traces only.
"""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import tomli  # reads TOML 1.1: multi-line inline tables, as design section 3 writes jc.table

from fluxtrap.errors import FluxtrapError, InputFileError, ValidationError
from fluxtrap.store import Store
from fluxtrap.web import plots, schemas

MAX_PENDING = 20


class NotFinishedError(FluxtrapError):
    """A simulation's results were asked for before it finished (HTTP 409)."""


def parse_case(text: str):
    """The ``Case`` of a case file's text; a ``jc.csv`` reference is refused, as it would read a
    file on the server (send ``jc.table`` instead)."""
    from fluxtrap.simulate.case import Case

    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError as err:
        raise InputFileError(f"case: not valid TOML ({err})") from None
    for name, spec in (data.get("materials") or {}).items():
        jc = spec.get("jc") if isinstance(spec, dict) else None
        if isinstance(jc, dict) and "csv" in jc:
            raise ValidationError(
                f"case: materials.{name}.jc.csv refers to a file on the server; give jc.table instead"
            )
    return Case.from_dict(data)


@dataclass(eq=False)
class Job:
    """A submitted case in this server: queued, running, or finished (then ``simulation_id`` is its
    id in the store, or None if the store refused it and ``result`` is kept here instead)."""

    id: int
    case: Any = field(repr=False)
    case_text: str = field(repr=False)
    created_by: str
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: str = "queued"
    finished_at: datetime | None = None
    error: str | None = None
    result: Any = field(default=None, repr=False)
    figures: dict[str, Any] = field(default_factory=dict, repr=False)
    simulation_id: int | None = None

    @property
    def title(self) -> str:
        return getattr(self.case, "title", "") or f"simulation {self.id}"

    def info(self) -> schemas.Simulation:
        result = self.result
        return schemas.Simulation(
            id=self.id,
            title=self.title,
            status=self.status,
            created_by=self.created_by,
            created_at=self.created_at,
            finished_at=self.finished_at,
            error=self.error,
            probes=[p.name for p in self.case.probes],
            summary=None if result is None else result.summary(),
        )


def finished(info: schemas.Simulation) -> schemas.Simulation:
    """``info`` once done; ``NotFinishedError`` while queued, running or failed."""
    if info.status != "done":
        state = f"failed: {info.error}" if info.status == "failed" else f"is {info.status}"
        raise NotFinishedError(f"simulation {info.id} {state}")
    return info


class Jobs:
    """The server's simulation queue, in front of the store's simulations."""

    def __init__(self, store: Store, workers: int = 1) -> None:
        self._store = store
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="fluxtrap-sim")
        self._jobs: dict[int, Job] = {}
        self._lock = threading.Lock()

    def submit(self, case_text: str, user: str) -> Job:
        """Check the case (errors raise at once, nothing is queued) and queue its run."""
        case = parse_case(case_text)
        with self._lock:
            pending = sum(j.status in ("queued", "running") for j in self._jobs.values())
            if pending >= MAX_PENDING:
                raise ValidationError(f"{pending} simulations are waiting; submit again later")
            job_id = max(self._store.last_simulation_id(), max(self._jobs, default=0)) + 1
            job = Job(job_id, case, case_text, user)
            self._jobs[job.id] = job
        self._pool.submit(_run, job, self._store)
        return job

    def _job(self, sim_id: int) -> Job | None:
        """The job answering for ``sim_id``, unless the store does (stored under that id)."""
        job = self._jobs.get(sim_id)
        if job is None or job.simulation_id == sim_id:
            return None
        return job

    def get(self, sim_id: int) -> schemas.Simulation:
        """A queued or running job, or a stored simulation; ``NotFoundError`` for neither."""
        job = self._job(sim_id)
        if job is None:
            return schemas.Simulation.of(self._store.simulation(sim_id))
        if job.simulation_id is not None:
            return schemas.Simulation.of(self._store.simulation(job.simulation_id))
        return job.info()

    def list(self) -> list[schemas.Simulation]:
        """Stored simulations and the jobs not (yet) in the store, by id."""
        stored = [schemas.Simulation.of(x) for x in self._store.simulations()]
        jobs = [j.info() for j in list(self._jobs.values()) if j.simulation_id is None]
        return sorted(stored + jobs, key=lambda x: x.id)

    def probes_csv(self, sim_id: int) -> bytes:
        """probes.csv of a finished simulation (the stored bytes)."""
        job = self._job(sim_id)
        if job is not None and job.simulation_id is None:
            finished(job.info())
            return job.result.probes_csv()
        rec = self._store.simulation(sim_id if job is None else job.simulation_id)
        finished(schemas.Simulation.of(rec))
        return rec.probes_csv

    def figures(self, sim_id: int) -> dict[str, Any]:
        """Plotly figures of a finished simulation: probe traces, and the J/B maps while this
        server still holds them (computed when the job finished)."""
        job = self._jobs.get(sim_id)
        info = finished(self.get(sim_id))
        if job is not None and job.figures:
            return job.figures
        df = pd.read_csv(io.BytesIO(self.probes_csv(info.id)))
        return {"probes": plots.probes_figure(df)}

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _run(job: Job, store: Store) -> None:
    from fluxtrap.simulate import Simulation

    job.status = "running"
    partial = None
    try:
        result = Simulation(job.case).run(progress=False)
        job.figures = plots.simulation_figures(result)  # once, here: B maps take seconds
        job.result, status = result, "done"
    except Exception as err:  # a background job must record every failure, not lose it
        job.error, status = f"{type(err).__name__}: {err}", "failed"
        partial = getattr(err, "result", None)  # a SolverError carries the run up to the failure
    try:
        done = job.result if status == "done" else partial
        rec = store.add_simulation(
            job.case,
            job.case_text,
            summary=None if done is None else done.summary(),
            probes_csv=b"" if done is None else done.probes_csv(),
            error=job.error,
            created_by=job.created_by,
        )
        job.simulation_id, job.result = rec.id, None  # the store holds it now
    except Exception as err:  # the store refused it: keep the result here, say so
        job.error = f"{job.error + '; ' if job.error else ''}not stored: {err}"
    job.finished_at = datetime.now(UTC)
    job.status = status  # last: a poll that sees it finished sees everything else too
