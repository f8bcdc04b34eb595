"""Simulation jobs: a case is checked when submitted, then run in a background thread.

One worker thread runs the queue in order (a trapped-field run takes one core for seconds to
minutes; the API stays responsive as numpy/scipy release the GIL in the heavy parts). Jobs live in
memory: a restarted server forgets them, as the store has no table for simulation results.
"""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import tomli  # reads TOML 1.1: multi-line inline tables, as design section 3 writes jc.table

from fluxtrap.errors import FluxtrapError, InputFileError, NotFoundError, ValidationError
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
    id: int
    case: Any = field(repr=False)
    created_by: str
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: str = "queued"
    finished_at: datetime | None = None
    error: str | None = None
    result: Any = field(default=None, repr=False)
    figures: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def title(self) -> str:
        return getattr(self.case, "title", "") or f"simulation {self.id}"

    def finished(self) -> Job:
        """The job itself once done; ``NotFinishedError`` while queued, running or failed."""
        if self.status != "done":
            state = f"failed: {self.error}" if self.status == "failed" else f"is {self.status}"
            raise NotFinishedError(f"simulation {self.id} {state}")
        return self

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


class Jobs:
    """The server's simulation queue."""

    def __init__(self, workers: int = 1) -> None:
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="fluxtrap-sim")
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def submit(self, case_text: str, user: str) -> Job:
        """Check the case (errors raise at once, nothing is queued) and queue its run."""
        case = parse_case(case_text)
        with self._lock:
            pending = sum(j.status in ("queued", "running") for j in self._jobs.values())
            if pending >= MAX_PENDING:
                raise ValidationError(f"{pending} simulations are waiting; submit again later")
            job = Job(next(self._ids), case, user)
            self._jobs[job.id] = job
        self._pool.submit(_run, job)
        return job

    def get(self, job_id: int) -> Job:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise NotFoundError(f"no simulation with id {job_id}") from None

    def list(self) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: j.id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _run(job: Job) -> None:
    from fluxtrap.simulate import Simulation

    job.status = "running"
    try:
        result = Simulation(job.case).run(progress=False)
        job.figures = plots.simulation_figures(result)  # once, here: B maps take seconds
        job.result, status = result, "done"
    except Exception as err:  # a background job must record every failure, not lose it
        job.error, status = f"{type(err).__name__}: {err}", "failed"
    job.finished_at = datetime.now(UTC)
    job.status = status  # last: a poll that sees it finished sees everything else too
