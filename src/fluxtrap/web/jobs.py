"""Simulation jobs: a case is checked when submitted and queued in the store; worker threads of
the server claim jobs fairly and run each in a child process under a wall-time and a memory
limit (:mod:`fluxtrap.workflows.isolated`); the finished simulation (done or failed) goes to the
store.

The queue is the store's ``jobs`` table, so it survives a restart: queued jobs run when the
server is back, a job that was running is marked ``interrupted`` (when the server stops, at the
next start if it was killed, or by any live server on the database once the dead one's heartbeat
is ``silent_s`` old), and job ids are never reused. Each user may have
``per_user`` jobs queued or running, everybody together ``total`` (more is ``QuotaError``, 429);
the next job is the oldest one of the user served longest ago (``Store.claim_job``). The owner
or an admin cancels a job with ``DELETE /api/jobs/{id}``; a running one's child is killed.

Two id spaces, as in the usual REST pattern for long-running work: a job (``/api/jobs/{id}``)
and its result (``/api/simulations/{id}``, beside the simulations recorded by ``fluxtrap
simulate --db``); a finished job points to its stored simulation. The numbers of its J/B maps
are computed in the child once and stored in its summary (``maps``, as the demo's), so any server,
after a restart too, draws them. Several servers may share a database's queue:
each renews the heartbeat of the jobs it runs every ``heartbeat_s`` and marks those whose
heartbeat is older than ``silent_s`` interrupted, whichever host ran them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import os
import socket
import threading
import uuid
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fluxtrap.errors import ConflictError, FluxtrapError, NotFoundError, ValidationError
from fluxtrap.inputs import refuse_reordering
from fluxtrap.simulate import options
from fluxtrap.store import JobRecord, PrivilegeError, Store, UserRecord
from fluxtrap.tomlfile import parse_toml
from fluxtrap.web import plots, schemas
from fluxtrap.workflows.isolated import (
    DEFAULT_MEMORY_MB,
    PRELOAD,
    Child,
    ChildFailed,
    ProcessLimits,
    warm_up,
)
from fluxtrap.workflows.simulations import failure, stored_maps

log = logging.getLogger("fluxtrap.jobs")
# A job's share of the values a run may keep (options.MAX_OUTPUT_VALUES, 1e7: a run's rows in
# its own memory): a job's probes.csv goes into the shared store, up to JobSettings.total jobs'
# at once, each read whole for a view or download (about 12 bytes a value: 1000 probes over a
# 20 000 s hold at max_step 1 s stored 247 MB, and each view took GBs), so a fifth: 2e6 values,
# checked at submit on the forced steps and capping the run's rows (run_case)
JOB_SHARE = 5
MAX_PROBE_VALUES = options.MAX_OUTPUT_VALUES // JOB_SHARE
CHECK_EVERY_S = 2.0  # how often a worker asks the store whether its running job was cancelled
STOPPED = "the server stopped while it ran: submit it again"
# what readers see of a job whose server died (its runner, host:pid, goes to this server's log)
SILENT = "its server stopped renewing its heartbeat: it died; submit it again"
PRELOAD_WEB = [*PRELOAD, "fluxtrap.web.jobs"]  # what the job children's forkserver imports once
LIVE_RUNNERS: set[str] = set()  # the runner names of this process's running Jobs
MAX_WARNINGS = 20  # of a job's run kept in its summary (each said once)
# simulations in one list (each with its summary, which the database parses to leave the maps
# out: about 15 ms of CPU for one of 50 J/B maps; 500 took 7.5 s)
MAX_LISTED = 100
MAX_PENDING = 10_000  # jobs queued or running at most (JobSettings.total)
MAX_OFFSET = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
# a worker that cannot claim a job (the store cannot be written, a privilege revoked, the
# database away) waits CLAIM_RETRY_S, twice as long after each failure in a row, at most
# CLAIM_RETRY_MAX_S; it says so in the log (at the first failure, when the reason changes, on
# recovery) and in /api/health: it had retried every second, for ever, without a word
CLAIM_RETRY_S = 1.0
CLAIM_RETRY_MAX_S = 60.0
DB_AWAY = "the database did not answer (the server's log says why)"


class NotFinishedError(FluxtrapError):
    """The results of a simulation that has none were asked for: it failed (HTTP 409)."""


class NotAllowedError(FluxtrapError):
    """A user acting on another user's job without being an admin (HTTP 403)."""


@dataclass(frozen=True)
class JobSettings:
    """The job queue's limits: per job ``wall_s`` (s, from the child's start) and ``memory_mb``
    (address space, MiB; the simulator itself takes about 500); jobs queued or running per user
    and in all; ``workers`` jobs run at once (one core each); the running jobs' heartbeat is
    renewed every ``heartbeat_s`` (s), and a job whose heartbeat is ``silent_s`` old is
    interrupted (its server died)."""

    wall_s: float = 3600.0
    memory_mb: int = DEFAULT_MEMORY_MB
    per_user: int = 3
    total: int = 50
    workers: int = 1
    heartbeat_s: float = 10.0
    silent_s: float = 120.0

    def __post_init__(self) -> None:
        if not (1 <= self.per_user <= self.total <= MAX_PENDING and 1 <= self.workers <= 64):
            raise ValidationError(
                "job settings: give 1 <= per-user quota <= total queue <= 10000, 1-64 workers"
            )
        if not 0 < 3 * self.heartbeat_s <= self.silent_s <= 86_400:
            raise ValidationError(
                f"job settings: give a heartbeat > 0 s and a silence after which a job is "
                f"interrupted of at least 3 heartbeats, at most a day (got {self.heartbeat_s:g} s "
                f"and {self.silent_s:g} s)"
            )
        try:
            self.process_limits()
        except ValueError as err:
            raise ValidationError(f"job settings: {err}") from None

    def process_limits(self) -> ProcessLimits:
        return ProcessLimits(wall_s=self.wall_s, memory_bytes=int(self.memory_mb * 2**20))


def parse_case(text: str):
    """The ``Case`` of a case file's text; a ``jc.csv`` reference is refused, as it would read a
    file on the server (send ``jc.table`` instead), and so is a bidi override or control
    character anywhere in it (``refuse_reordering``: the simulation's page shows the case,
    comments too, and a U+202E reordered the lines shown)."""
    from fluxtrap.simulate.case import Case

    refuse_reordering(text, "case", "the case")
    data = parse_toml(text, "case")
    for name, spec in (data.get("materials") or {}).items():
        jc = spec.get("jc") if isinstance(spec, dict) else None
        if isinstance(jc, dict) and "csv" in jc:
            raise ValidationError(
                f"case: materials.{name}.jc.csv refers to a file on the server; give jc.table instead"
            )
    return Case.from_dict(data)


@dataclass(frozen=True)
class Ran:
    """What a job's child sends back: summary.json, probes.csv and heat.csv (of what ran before a
    failure, or None / b""; heat.csv b"" without a heat model), the numbers of a finished run's
    J/B maps (``stored_maps``; None if it failed), and the error of a failed one."""

    summary_json: dict[str, Any] | None
    probes: bytes
    maps: dict[str, Any] | None
    error: str | None
    heat: bytes = b""

    def summary(self) -> dict[str, Any] | None:
        return self.summary_json

    def probes_csv(self) -> bytes:
        return self.probes

    def heat_csv(self) -> bytes:
        return self.heat


def run_case(case_text: str, progress: Any = None) -> Ran:
    """Run a case file's simulation (in a job's child process) and take its J/B maps' numbers; into
    ``progress`` (a shared array of two floats, if given) it writes as it goes the runs begun
    through the protocol (the adaptive solver's fine and coarse runs each start again at t = 0)
    and the simulated time (s) the current one has reached. The run keeps at most
    ``MAX_PROBE_VALUES`` values, a job's share of a run's ``options.MAX_OUTPUT_VALUES``."""
    from fluxtrap.simulate import Simulation

    def on_step(state: Any) -> None:
        if state.t < progress[1]:  # back at the start: the next run
            progress[0] += 1
        progress[1] = state.t

    # the case's and the run's warnings (Jc held beyond its table, accuracy not reached...) go
    # into the summary: `fluxtrap simulate` prints them, a job's went to no one (the child's one
    # call: no other thread's warnings are caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if progress is not None:
                progress[0], progress[1] = 1.0, 0.0
            case = parse_case(case_text)
            on = None if progress is None else on_step
            result = Simulation(case, MAX_PROBE_VALUES).run(progress=False, on_step=on)
            maps = stored_maps(result)  # once, here: B maps take seconds
            ran, error = result, None
        except FluxtrapError as err:  # the run's own failure: keep what ran (SolverError.result)
            ran, maps, error = getattr(err, "result", None), None, failure(err)
    summary = None if ran is None else ran.summary()
    said = [str(w.message) for w in caught if w.category.__module__.startswith("fluxtrap.")]
    if summary is not None and said:
        summary["warnings"] = list(dict.fromkeys(said))[:MAX_WARNINGS]
    return Ran(
        summary,
        b"" if ran is None else ran.probes_csv(),
        maps,
        error,
        b"" if ran is None else ran.heat_csv(),
    )


def finished(info: schemas.Simulation) -> schemas.Simulation:
    """``info`` once done; ``NotFinishedError`` if the simulation failed."""
    if info.status != "done":
        state = f"failed: {info.error}" if info.status == "failed" else f"is {info.status}"
        raise NotFinishedError(f"simulation {info.id} {state}")
    return info


class Jobs:
    """The server's simulation queue (the store's jobs) in front of the store's simulations."""

    def __init__(self, store: Store, settings: JobSettings | None = None) -> None:
        self._store = store
        self.settings = settings or JobSettings()
        self.runner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._running: dict[int, Child] = {}
        # a running job's id -> (its child's shared [runs begun, simulated s], protocol's s)
        self._progress: dict[int, tuple[Any, float]] = {}
        self._wake, self._stop = threading.Event(), threading.Event()
        self._workers: list[threading.Thread] = []
        # why the workers cannot claim jobs, since when, failures in a row, the next try's wait
        self._trouble: dict[str, Any] | None = None
        self._trouble_lock = threading.Lock()

    # -- life of the server -------------------------------------------------------------------
    def start(self) -> None:
        """Mark the jobs of dead runners on this host interrupted, then start the workers
        (queued jobs, from before a restart too, run in their turn) and the heartbeat."""
        LIVE_RUNNERS.add(self.runner)
        warm_up(PRELOAD_WEB)
        try:  # a role that may not write yet: the workers wait for a GRANT, saying so
            for job in self._store.jobs("running"):
                if _orphaned(job.runner):
                    self._store.finish_job(job.id, "interrupted", error=STOPPED)
        except FluxtrapError as err:
            log.error("simulation jobs: the jobs of stopped servers were not marked: %s", err)
        for i in range(self.settings.workers):
            worker = threading.Thread(target=self._work, name=f"fluxtrap-jobs-{i}", daemon=True)
            worker.start()
            self._workers.append(worker)
        beat = threading.Thread(target=self._beat, name="fluxtrap-jobs-heartbeat", daemon=True)
        beat.start()
        self._workers.append(beat)

    def shutdown(self) -> None:
        """Stop taking jobs, kill the running children and mark their jobs interrupted."""
        self._stop.set()
        self._wake.set()
        for child in list(self._running.values()):
            child.kill(STOPPED)
        for worker in self._workers:
            worker.join(30)
        LIVE_RUNNERS.discard(self.runner)

    # -- jobs ---------------------------------------------------------------------------------
    def submit(self, case_text: str, user: str) -> schemas.Job:
        """Check the case (errors raise at once, nothing is queued), its work bounded by the job
        time limit as by its own ``solver.max_wall``, and queue its run; ``QuotaError`` beyond
        the user's or the server's share."""
        from fluxtrap.simulate.options import forced_steps
        from fluxtrap.simulate.protocol import step_durations

        case = parse_case(case_text)
        steps = forced_steps(step_durations(case.protocol), case.solver.max_step_s)
        if (values := steps * (len(case.probes) + 2)) > MAX_PROBE_VALUES:
            raise ValidationError(
                f"case: its probe traces would hold at least {values:.3g} values ({len(case.probes)} "
                f"[[probes]] at {steps:.3g} or more time steps), over the {MAX_PROBE_VALUES:,} a "
                "job may store on this server (fewer probes, or a larger solver.max_step)"
            )
        limit_s = self.settings.wall_s
        if limit_s < case.solver.max_wall_s:  # a case that cannot end in time: refused now
            try:
                dataclasses.replace(
                    case, solver=dataclasses.replace(case.solver, max_wall_s=limit_s)
                )
            except ValidationError as err:
                raise ValidationError(
                    f"case: a job runs for at most {limit_s:g} s on this server: {err}"
                ) from None
        job = self._store.add_job(
            case.title, case_text, user, per_user=self.settings.per_user, total=self.settings.total
        )
        self._wake.set()
        return schemas.Job.of(job)

    def job(self, job_id: int) -> schemas.Job:
        """A job, with its progress while this server runs it; ``NotFoundError`` for an
        unknown one."""
        return self._with_progress(schemas.Job.of(self._store.job(job_id)))

    def jobs(self) -> list[schemas.Job]:
        """The newest jobs (restarts included), oldest first."""
        return [self._with_progress(schemas.Job.of(j)) for j in self._store.jobs()]

    def _with_progress(self, job: schemas.Job) -> schemas.Job:
        """``job`` with how far its run has come, if it is running here (another server's
        jobs, queued and finished ones have none)."""
        running = self._progress.get(job.id) if job.status == "running" else None
        if running is None:
            return job
        (runs, t), duration_s = running[0][:], running[1]
        return job.model_copy(update={"run": int(runs), "simulated_s": t, "protocol_s": duration_s})

    def cancel(self, job_id: int, user: UserRecord) -> schemas.Job:
        """Cancel a queued or running job of ``user`` (an admin: anybody's); a running job's
        child is killed. ``ConflictError`` once it has finished."""
        job = self._store.job(job_id)
        if job.created_by != user.name and user.role != "admin":
            raise NotAllowedError(
                f"job {job_id} is {job.created_by}'s: only they or an admin can cancel it"
            )
        return schemas.Job.of(self._cancel(job_id, user.name))

    def _cancel(self, job_id: int, by: str) -> JobRecord:
        """Cancel a queued or running job in the store and kill its child if it runs here
        (another server's worker sees the cancel within ``CHECK_EVERY_S``)."""
        job = self._store.cancel_job(job_id, by)
        if (child := self._running.get(job_id)) is not None:
            child.kill(job.error)
        return job

    def revoke(self, name: str, admin: UserRecord) -> tuple[UserRecord, list[JobRecord]]:
        """Revoke ``name``'s token, end their dashboard sessions (``Store.revoke_user``; refused
        for the last active admin) and cancel their queued jobs, then their running ones (whose
        children are killed, as ``cancel``'s): the user and the jobs cancelled."""
        user = self._store.revoke_user(name, keep_an_admin=True)
        cancelled = self._store.cancel_jobs_of(user.name, admin.name)
        for job in cancelled:
            if (child := self._running.get(job.id)) is not None:
                child.kill(job.error)
        return user, cancelled

    # -- simulations (the store) --------------------------------------------------------------
    def simulation(self, sim_id: int) -> schemas.Simulation:
        """A stored simulation; ``NotFoundError`` if there is none with that id."""
        return schemas.Simulation.of(self._store.simulation(sim_id))

    def simulations(self, limit: int = MAX_LISTED, skip: int = 0) -> list[schemas.Simulation]:
        """The newest ``limit`` stored simulations (web jobs and ``fluxtrap simulate --db``)
        after the ``skip`` newest, by id, without their maps' numbers (``Store.simulations``)."""
        found = self._store.simulations(limit=limit, skip=skip)
        return [schemas.Simulation.of(x) for x in found]

    def probes_csv(self, sim_id: int) -> bytes:
        """probes.csv of a finished simulation (the stored bytes)."""
        rec = self._store.simulation(sim_id)
        finished(schemas.Simulation.of(rec))
        return rec.probes_csv

    def heat_csv(self, sim_id: int) -> bytes:
        """heat.csv of a finished heat run (the stored bytes); ``NotFoundError`` without one."""
        rec = self._store.simulation(sim_id)
        finished(schemas.Simulation.of(rec))
        if not rec.heat_csv:
            raise NotFoundError(
                f"simulation {sim_id} has no heat history (no heat model, or stored before "
                "heat.csv was kept)"
            )
        return rec.heat_csv

    def figures(self, sim_id: int, all_maps: bool = True) -> dict[str, Any]:
        """Plotly figures of a finished simulation: probe traces, a heat run's temperatures (its
        stored heat.csv), the bore profiles and the J/B maps its summary keeps (``maps``:
        ``workflows.simulations.stored_maps``, a web job's and the demo's; without ``all_maps``
        the last only: 50 took 2.9 s of CPU and 5.7 MB, ``map_figure`` draws another), and its
        creep fit over its probe if the summary has one (``creep``: ``CreepFit.to_dict``)."""
        rec = self._store.simulation(sim_id)
        finished(schemas.Simulation.of(rec))
        summary = rec.summary or {}
        creep = summary.get("creep")
        columns = ("time_s", "applied_T", *([creep["column"]] if creep else []))
        probes = plots.stored_table(rec.probes_csv, "probes.csv", columns)
        figures = {"probes": plots.probes_figure(probes)}
        if creep:
            figures["creep"] = plots.creep_figure(probes, creep)
        if rec.heat_csv:
            heat = ("time_s", "max_T_K", "mean_T_K")
            figures["heat"] = plots.heat_figure(plots.stored_table(rec.heat_csv, "heat.csv", heat))
        bore = summary.get("bore", {})
        if "profiles" in bore and bore["centre_T"]:
            figures["bore"] = plots.bore_figure(bore)
        maps = summary.get("maps", {"of": 0, "shown": []})
        which = None if all_maps else range(len(maps["shown"]))[-1:]
        return figures | plots.maps_figures(maps, which)

    def map_figure(self, sim_id: int, index: int) -> dict[str, Any]:
        """The Plotly figure of a finished simulation's J/B map ``index`` (from 0, of those its
        summary keeps); ``NotFoundError`` beyond them."""
        rec = self._store.simulation(sim_id)
        finished(schemas.Simulation.of(rec))
        maps = (rec.summary or {}).get("maps", {"of": 0, "shown": []})
        if index >= len(maps["shown"]):
            raise NotFoundError(
                f"simulation {sim_id} keeps {len(maps['shown'])} J/B maps (0 to "
                f"{len(maps['shown']) - 1}): no map {index}"
            )
        return plots.maps_figures(maps, [index])[f"map-{index}"]

    # -- the workers ----------------------------------------------------------------------------
    def _beat(self) -> None:
        """Say this server is alive (its running jobs' heartbeat) and interrupt the jobs of
        other servers that stopped saying so, every ``heartbeat_s``, until the server stops
        (its own are never: a beat thread stalled past ``silent_s`` on a loaded machine once
        had its own running job marked interrupted, its result then refused)."""
        failed = None  # the last beat's error, said once (a read-only store's, every 10 s)
        while True:
            try:
                self._store.beat_jobs(self.runner)
                silent = self._store.interrupt_silent_jobs(
                    self.settings.silent_s, SILENT, alive=self.runner
                )
                for job in silent:
                    log.warning(
                        "simulation job %s interrupted: its server %s stopped renewing its "
                        "heartbeat",
                        job.id,
                        job.runner,
                    )
                if failed is not None:
                    log.warning("simulation jobs: heartbeat renewed again")
                failed = None
            except FluxtrapError as err:  # the database is away: the next beat tries again
                if str(err) != failed:
                    log.warning("simulation jobs: no heartbeat: %s", err)
                failed = str(err)
            if self._stop.wait(self.settings.heartbeat_s):
                return

    def health(self) -> dict[str, Any]:
        """The workers' state for ``/api/health``: how many run, the jobs running here, and
        whether they can claim jobs (else why, since when, how many tries failed in a row and
        the wait before the next)."""
        with self._trouble_lock:
            trouble = dict(self._trouble or {})
        alive = sum(w.is_alive() for w in self._workers if w.name != "fluxtrap-jobs-heartbeat")
        if not alive and not trouble:  # said, not a bare claiming: false
            trouble["error"] = "no job workers run on this server" + (
                ": its store is opened read-only (a job waits for a server that can write it)"
                if self._store.read_only
                else " (it is starting or stopping)"
            )
        return {
            "workers": alive,
            "running": len(self._running),
            "claiming": alive > 0 and not trouble,
            "error": trouble.get("error"),
            "failing_since": trouble.get("since"),
            "failures": trouble.get("failures", 0),
            "retry_in_s": trouble.get("retry_in_s"),
        }

    def _claim(self) -> JobRecord | None:
        """The next job for this server (None: none queued); a ``FluxtrapError`` if the store
        cannot be written (a role that may not, asked again by ``Store.check_writes``) or
        refuses the claim."""
        self._store.check_writes()  # else an idle queue reads fine and nothing says why
        return self._store.claim_job(self.runner)

    def _claim_failed(self, err: FluxtrapError, wait_s: float) -> None:
        """Note why claiming failed (the log in full at the first failure and when the reason
        changes; ``health`` without the store's URL, as the API's errors)."""
        said = str(err) if isinstance(err, PrivilegeError) else DB_AWAY
        if (why := unwritable_because(self._store)) is not None:
            said = f"the store cannot be written by this server: {why}"
        with self._trouble_lock:
            before = self._trouble
            self._trouble = {
                "error": said,
                "since": before["since"] if before else datetime.now(UTC),
                "failures": (before["failures"] if before else 0) + 1,
                "retry_in_s": wait_s,
            }
        if before is None or before["error"] != said:
            log.error(
                "simulation jobs: cannot claim a job: %s; trying again in %g s, then at most "
                "every %g s (GET /api/health shows it)",
                err,
                wait_s,
                CLAIM_RETRY_MAX_S,
            )

    def _claim_recovered(self) -> None:
        with self._trouble_lock:
            before, self._trouble = self._trouble, None
        if before is not None:
            log.warning(
                "simulation jobs: claiming jobs again, after %d failed tries since %s",
                before["failures"],
                before["since"].isoformat(timespec="seconds"),
            )

    def _work(self) -> None:
        wait_s = 0.0  # before the next claim, after failures in a row
        while not self._stop.is_set():
            try:
                job = self._claim()
            except FluxtrapError as err:  # bounded back-off, said in the log and /api/health
                wait_s = min(CLAIM_RETRY_MAX_S, max(CLAIM_RETRY_S, 2 * wait_s))
                self._claim_failed(err, wait_s)
                self._stop.wait(wait_s)
                continue
            if wait_s:
                wait_s = 0.0
                self._claim_recovered()
            if job is None:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            try:
                self._run(job)
            except Exception as err:  # a worker survives anything: no fork, the database away
                log.exception("simulation job %s", job.id)
                with contextlib.suppress(Exception):
                    self._store.finish_job(
                        job.id, "failed", error=f"the server could not run it: {failure(err)}"
                    )

    def _cancelled(self, job_id: int) -> bool:
        """Whether a running job was ended elsewhere (a database that cannot answer: not)."""
        try:
            return self._store.job(job_id).status != "running"
        except FluxtrapError:
            return False

    def _run(self, job: JobRecord) -> None:
        from fluxtrap.workflows.simulations import record_simulation

        progress = multiprocessing.get_context("forkserver").Array("d", 2, lock=False)
        duration_s = parse_case(job.case_toml).duration_s
        child = Child(
            run_case, (job.case_toml, progress), self.settings.process_limits(), PRELOAD_WEB
        )
        self._running[job.id] = child
        self._progress[job.id] = (progress, duration_s)
        try:
            while not child.wait(CHECK_EVERY_S):
                if self._stop.is_set():
                    child.kill(STOPPED)
                elif self._cancelled(job.id):  # by another server on this database
                    child.kill("cancelled")
            try:
                ran = child.result()
            except ChildFailed as err:
                ran = Ran(None, b"", None, str(err))
        finally:
            del self._running[job.id]
            del self._progress[job.id]
            child.kill("the server stopped following it")  # nothing once it has ended
        if self._stop.is_set() and ran.error == STOPPED:
            self._store.finish_job(job.id, "interrupted", error=STOPPED)
            return
        try:  # stored and the job finished at once, unless it was cancelled meanwhile
            record_simulation(
                self._store,
                parse_case(job.case_toml),
                job.case_toml,
                None if ran.summary_json is None else ran,
                error=ran.error,
                created_by=job.created_by,
                job_id=job.id,
                extra=None if ran.maps is None else {"maps": ran.maps},
            )
        except ConflictError:  # cancelled: nothing to record
            pass
        except Exception as err:  # the store refused it: the job fails with that error
            error = f"{ran.error + '; ' if ran.error else ''}not stored: {err}"
            self._store.finish_job(job.id, "failed", error=error)


def unwritable_because(store: Store) -> str | None:
    """Why ``store`` cannot be written, without its URL (a web client is told it); None if it
    can."""
    if (why := store.why_read_only) is None:
        return None
    if why.startswith(f"{store!r}: "):  # a PostgreSQL role's: the role and what it lacks
        return why.removeprefix(f"{store!r}: ")
    return "it is opened read-only (its file or folder cannot be written here)"


def _orphaned(runner: str | None) -> bool:
    """Whether a running job's runner (``host:pid:instance``) is gone: on this host, its process
    has ended, or it is this process and that instance is no longer live. Other hosts' runners
    are left alone (they mark their own jobs when they restart)."""
    parts = (runner or "").split(":")
    if len(parts) != 3 or not parts[1].isdigit():
        return True  # no runner of any server: nobody will finish it
    host, pid = parts[0], int(parts[1])
    if host != socket.gethostname():
        return False
    if pid == os.getpid():
        return runner not in LIVE_RUNNERS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process with that id is alive
        return False
    return False
