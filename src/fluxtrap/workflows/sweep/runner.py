"""Running a sweep: each variant's case on a Dask worker (``run_case`` never raises), cache hits
skipped, the results table and files written (``run_sweep``)."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import math
import multiprocessing
import re
import shutil
import signal
import threading
import time
import traceback
import warnings
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fluxtrap.errors import FluxtrapError, SolverError, ValidationError
from fluxtrap.outputs import claimed
from fluxtrap.simulate import Case, Simulation
from fluxtrap.simulate.simulation import AccuracyWarning
from fluxtrap.workflows.isolated import DEFAULT_MEMORY_MB, Child, ChildFailed, MiB, ProcessLimits
from fluxtrap.workflows.sweep.cache import Cache
from fluxtrap.workflows.sweep.grammar import Axis, Value
from fluxtrap.workflows.sweep.results import SweepResult, results_table, write_results
from fluxtrap.workflows.sweep.variants import Variant, expand, load_case_dict

CONNECT_S = 20.0  # the longest a Dask scheduler may take to accept a connection, s
ANSWER_S = 30.0  # ... and to have answered Dask's handshake, s (a silent port: refused then)
PORT_HINT = "is it a scheduler's port (8786 by default; 8787 is its dashboard)?"
KILL_AFTER = 1.5  # a child still running at this many times its time limit is killed
_DAEMON_FLAG = threading.Lock()  # one thread at a time lifts this process's daemon flag
# kept per variant (the bore without its profiles, the accuracy without its method and levels
# but with the bore's error estimates)
SUMMARY_PARTS = ("probes", "solver", "bore", "accuracy", "thermal")
PLAIN_EVERY_S = 30.0  # the least time between two progress lines where the output is not a terminal
NO_WORKERS_S = 600.0  # runs still waiting when the cluster has had no worker this long (s) fail
HUGE_S = 3600.0  # a sweep estimated longer than this is said to be long before it starts
ACCURACY_PARTS = ("target", "estimate", "reached", "note")


def run_case(
    case: Case, timeout_s: float | None = None, memory_mb: int | None = None
) -> dict[str, Any]:
    """Simulate ``case``, for at most ``timeout_s`` (s) and in at most ``memory_mb`` (MiB of
    address space) if given; never raises: ``{"status": "done"|"failed", "error", "traceback",
    "wall_s", "summary" (``SUMMARY_PARTS`` of the result's summary), "probes_csv", and
    "heat_csv" of a heat model's run}``, and
    ``"timed_out": True`` for a run stopped by ``timeout_s``, ``"limited": True`` for one
    stopped by the memory limit or killed (a larger limit may finish either).

    Catching every exception is the point: one variant's failure must not stop the sweep. The
    timeout is the solver's own wall-time check (``[solver] max_wall``, made no longer than
    ``timeout_s``; it does not change the case's key), checked at every time step. With
    ``memory_mb`` the run is a child process (``workflows.isolated``: RLIMIT_AS, killed at
    ``KILL_AFTER`` x the time allowed), also on a daemonic Dask worker.
    """
    if memory_mb is None:
        return _run_here(case, timeout_s)
    t0 = time.perf_counter()
    allowed_s = min(case.solver.max_wall_s, timeout_s or math.inf)
    try:
        return run_limited(_run_here, (case, timeout_s, False), memory_mb, allowed_s)
    except ChildFailed as err:
        error = str(err)
    return {"status": "failed", "error": error, "wall_s": time.perf_counter() - t0, "limited": True}


def check_memory_mb(memory_mb: int | None, what: str) -> None:
    """Refuse a memory limit (MiB) below 256 or above 2**30 for ``what`` (e.g. "sweep")."""
    if memory_mb is not None and not 256 <= memory_mb <= 2**30:
        raise ValidationError(
            f"{what} memory limit: give at least 256 MiB (at most 2**30), got {memory_mb} MiB"
        )


def run_limited(fn: Any, args: tuple, memory_mb: int, allowed_s: float) -> Any:
    """``fn(*args)`` in an isolated child of this process (also on a daemonic Dask worker) with
    ``memory_mb`` MiB of address space, killed at ``KILL_AFTER`` x ``allowed_s`` (s) + 60 s;
    raises ``ChildFailed`` (naming the limit) for a child that ran out of memory or was killed."""
    limits = ProcessLimits(
        wall_s=min(KILL_AFTER * allowed_s + 60, 7 * 86400), memory_bytes=memory_mb * MiB
    )
    with _children_allowed():
        child = Child(fn, args, limits)
    return child.result()


@contextmanager
def _children_allowed() -> Iterator[None]:
    """Let this process start a child although it is daemonic (a Dask worker under a nanny is):
    multiprocessing refuses because a daemon's children would outlive it, but an isolated
    ``Child`` exits by itself when its parent dies, so the refusal does not apply."""
    me = multiprocessing.current_process()
    with _DAEMON_FLAG:
        daemonic = me.daemon
        me.daemon = False
        try:
            yield
        finally:
            me.daemon = daemonic


def _limited(case: Case, timeout_s: float) -> Case:
    """``case`` with ``timeout_s`` (s) as its ``[solver] max_wall``; a ``ValidationError`` naming
    the sweep's timeout if the case's least solving time exceeds it."""
    try:
        return dataclasses.replace(
            case, solver=dataclasses.replace(case.solver, max_wall_s=timeout_s)
        )
    except ValidationError as err:
        raise ValidationError(
            f"the sweep's timeout of {timeout_s:g} s is too short for this variant: {err}"
        ) from None


def _run_here(case: Case, timeout_s: float | None, catch_memory: bool = True) -> dict[str, Any]:
    """``run_case`` in this process (the solver's own timeout only); a ``MemoryError`` is
    raised, not recorded, unless ``catch_memory`` (the child reports it with its limit)."""
    t0 = time.perf_counter()
    limited = timeout_s is not None and timeout_s < case.solver.max_wall_s
    try:
        if limited:
            case = _limited(case, timeout_s)
        with warnings.catch_warnings():  # its note is in the record: one line per sweep, not
            warnings.simplefilter("ignore", AccuracyWarning)  # one per worker and variant
            result = Simulation(case).run(progress=False)
        summary = {k: v for k, v in result.summary().items() if k in SUMMARY_PARTS}
        if "bore" in summary:
            summary["bore"] = {k: v for k, v in summary["bore"].items() if k != "profiles"}
        if "accuracy" in summary:
            accuracy = summary["accuracy"]  # and the bore's errors, with a [bore]
            summary["accuracy"] = {k: accuracy.get(k) for k in ACCURACY_PARTS} | (
                {"bore": accuracy["bore"]} if "bore" in accuracy else {}
            )
        probes_csv = result.probes_csv().decode()
        heat_csv = result.heat_csv().decode()
    except Exception as err:  # noqa: BLE001 - recorded, see docstring
        if isinstance(err, MemoryError) and not catch_memory:
            raise
        wall_s = time.perf_counter() - t0
        timed_out = limited and isinstance(err, SolverError) and wall_s >= timeout_s
        return {
            "status": "failed",
            "error": (
                f"timed out after the sweep's timeout of {timeout_s:g} s: " if timed_out else ""
            )
            + f"{type(err).__name__}: {err}",
            "traceback": traceback.format_exc(),
            "wall_s": wall_s,
        } | ({"timed_out": True} if timed_out else {})
    return {
        "status": "done",
        "error": "",
        "wall_s": time.perf_counter() - t0,
        "summary": summary,
        "probes_csv": probes_csv,
    } | ({"heat_csv": heat_csv} if heat_csv else {})


def run_sweep(
    case: str | Path,
    axes: Sequence[Axis] = (),
    rows: Sequence[Mapping[str, Value]] = (),
    out: str | Path = "sweep",
    *,
    scheduler: str | None = None,
    workers: int = 2,
    retry_failed: bool = False,
    progress: bool = True,
    timeout_s: float | None = None,
    memory_mb: int | None = DEFAULT_MEMORY_MB,
    security: Any = None,
) -> SweepResult:
    """Run every variant of the case file ``case`` on Dask and write the results into ``out``.

    ``scheduler``: address of a running Dask scheduler (``tls://host:8786``), reached with
    ``security`` (a ``distributed.Security``; default: dask's configuration); by default a
    ``LocalCluster`` of ``workers`` processes with one thread each is started and stopped.
    ``timeout_s``: the longest a variant may run; ``memory_mb``: the address space (MiB) each
    variant may use, in a child process of its worker (None: no limit, run in the worker); see
    ``run_case``. A variant stopped by a limit is failed and not cached (a larger limit may
    finish it; one over its memory or killed is named in its error); the others go on.
    """
    if timeout_s is not None and not 0 < timeout_s < math.inf:
        raise ValidationError(f"sweep timeout: give a time > 0, got {timeout_s} s")
    check_memory_mb(memory_mb, "sweep")
    case = Path(case)
    out = Path(out)
    variants = _built(load_case_dict(case), axes, rows, case.parent, progress)
    if not variants:
        raise ValidationError("the sweep has no variants")
    if invalid := [v for v in variants if v.case is None]:  # said at the end alone, after the runs
        warnings.warn(invalid_text(invalid, len(variants)), stacklevel=2)
    with claimed(out):  # one sweep at a time in a folder
        cache = Cache(out / "cache")
        cache.check_writable()  # before any run: each result is kept there
        remove_partials(out, cache)
        records: dict[str, dict[str, Any]] = {}
        cached: set[str] = set()
        todo: dict[str, Variant] = {}
        for v in variants:
            if v.case is None or v.key in records or v.key in todo:
                continue
            hit = cache.get(v.key)
            if hit is not None and (hit.get("status") == "done" or not retry_failed):
                records[v.key] = hit
                cached.add(v.key)
            else:
                todo[v.key] = v
        if todo:
            records.update(
                _compute(
                    list(todo.values()),
                    cache,
                    scheduler,
                    workers,
                    progress,
                    timeout_s,
                    memory_mb,
                    security,
                    [r.get("wall_s") for r in records.values() if r.get("status") == "done"],
                )  # fmt: skip
            )
        table = results_table(variants, records, cached, axes, rows)
        files = write_results(table, out, case, axes, rows)
    return SweepResult(
        table,
        sum(math.isfinite(records[k].get("wall_s", math.nan)) for k in todo),  # lost: not run
        int(table["cached"].sum()),
        int((table["status"] != "done").sum()),
        tuple(files),
    )


def invalid_text(invalid: Sequence[Variant], total: int, most: int = 8) -> str:
    """What the sweep says of its ``invalid`` variants (of ``total``) before any runs: their
    indices, grouped by their error (at most ``most`` groups of ``most`` indices each)."""
    groups: dict[str, list[int]] = {}
    for v in invalid:
        groups.setdefault(v.error, []).append(v.index)
    said = [
        f"variant{'s' * (len(ix) > 1)} {', '.join(map(str, ix[:most]))}"
        f"{f', ... ({len(ix)} in all)' if len(ix) > most else ''}: {error}"
        for error, ix in list(groups.items())[:most]
    ]
    if len(groups) > most:
        said.append(f"and {len(groups) - most} other errors")
    return (
        f"{len(invalid)} of {total} variants are not valid cases and will not run (failed rows in "
        f"results.csv): {'; '.join(said)}"
    )


def remove_partials(out: Path, cache: Cache) -> None:
    """Remove what a sweep or calibration killed mid-write (``kill -9``) left in ``out``, which
    this run has claimed (no live run writes there): the cache's hidden ``.partial`` files and
    the hidden ``.partial-<8 hex>`` folder of its results (``outputs.staged_folder``); they
    were never removed."""
    cache.remove_partials()
    for stage in out.glob(".partial-*"):
        if re.fullmatch(r"\.partial-[0-9a-f]{8}", stage.name) and not stage.is_symlink():
            shutil.rmtree(stage, ignore_errors=True)


def _built(
    base: dict[str, Any],
    axes: Sequence[Axis],
    rows: Sequence[Mapping[str, Value]],
    base_dir: Path,
    progress: bool,
) -> list[Variant]:
    """``expand`` with a progress bar (10 000 variants took 30-80 s to parse, without a word) on
    a terminal (elsewhere rich's transient bar left a blank line)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console()
    columns = (TextColumn("[bold]variants"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    shown = progress and console.is_terminal
    with Progress(*columns, console=console, disable=not shown, transient=True) as bar:
        task = bar.add_task("variants", total=None)
        return expand(
            base, axes, rows, base_dir, lambda i, n: bar.update(task, completed=i, total=n)
        )


def duration_text(seconds: float) -> str:
    """``seconds`` as h:mm:ss (d h:mm:ss past a day), as rich shows elapsed time."""
    days, rest = divmod(round(seconds), 86400)
    h, rest = divmod(rest, 3600)
    return f"{f'{days} d ' if days else ''}{h}:{rest // 60:02d}:{rest % 60:02d}"


def time_left_s(elapsed_s: float, done: int, total: int) -> float | None:
    """Time (s) the sweep still needs: ``elapsed_s`` since its variants were handed to the
    workers over the ``done`` of ``total`` finished, times those left (None before the first).
    The workers run in parallel from the start, so this is their throughput, not one variant's
    time; it over-estimates until the first finish of each worker has come in."""
    return None if done <= 0 else elapsed_s * (total - done) / done


def announce(todo: int, workers: int, walls_s: Sequence[float], timeout_s: float | None) -> str:
    """What is known of a sweep's time before it starts: ``todo`` variants on ``workers``, the
    median of the ``walls_s`` (s) of its variants done before (its cache), and the most the
    ``timeout_s`` (s) allows; a sweep over ``HUGE_S`` by that median is said to be long."""
    rounds = math.ceil(todo / max(workers, 1))
    text = (
        f"sweep: {todo} variant{'s' * (todo != 1)} to run on {workers} worker{'s' * (workers != 1)}"
    )
    walls = [w for w in walls_s if isinstance(w, int | float) and math.isfinite(w) and w > 0]
    if walls:
        median = sorted(walls)[len(walls) // 2]
        estimate = rounds * median
        text += (
            f"; the {len(walls)} done before took {median:.3g} s each (median): about "
            f"{duration_text(estimate)} in all"
        )
        if estimate > HUGE_S:
            text += " (a long sweep: Ctrl-C stops it, and the same command goes on from there)"
    if timeout_s is not None:
        text += f"; at most {duration_text(rounds * timeout_s)} with the timeout"
    return text


class SweepProgress:
    """A sweep's progress over ``total`` variants: a rich bar with the time left on a terminal,
    else a plain line after the first and the last variant and at most every ``every_s`` (s)
    between (a log file got nothing before the end); nothing unless ``enabled``. ``done(failed)``
    after each variant."""

    def __init__(
        self,
        total: int,
        enabled: bool = True,
        console: Any = None,
        clock: Any = time.monotonic,
        every_s: float = PLAIN_EVERY_S,
    ) -> None:
        from rich.console import Console

        self.console = console or Console()
        self.total, self.clock, self.every_s = total, clock, every_s
        self.enabled = enabled
        self.bar: Any = None
        self.count = self.failed = 0
        self.start = self.shown = self.last = clock()
        if enabled and self.console.is_terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.bar = Progress(
                TextColumn("[bold]sweep"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"),
                TimeElapsedColumn(),
                _left_column(self),
                console=self.console,
            )
            self.task = self.bar.add_task("sweep", total=total, failed=0)

    def __enter__(self) -> SweepProgress:
        self.start = self.shown = self.last = self.clock()
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def left_text(self) -> str:
        """The time left, "about h:mm:ss left", from the variants finished so far ("" before the
        first): the estimate at the last finish, less the time since."""
        left = time_left_s(self.last - self.start, self.count, self.total)
        if left is None:
            return ""
        return f"about {duration_text(max(left - (self.clock() - self.last), 0.0))} left"

    def done(self, failed: bool) -> None:
        self.last = self.clock()
        self.count += 1
        self.failed += failed
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(self.task, advance=1, failed=self.failed)
            return
        now = self.last
        if self.count in (1, self.total) or now - self.shown >= self.every_s:
            self.shown = now
            left = f", {self.left_text()}" if self.count < self.total else ""
            self.console.print(
                f"sweep: {self.count}/{self.total} variants done ({self.failed} failed), "
                f"{duration_text(now - self.start)} elapsed{left}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )


def _left_column(sweep: SweepProgress) -> Any:
    """A rich progress column of ``sweep.left_text()``, counting down between finishes."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class Left(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(sweep.left_text(), style="progress.remaining")

    return Left()


def _compute(
    todo: list[Variant],
    cache: Cache,
    scheduler: str | None,
    workers: int,
    progress: bool,
    timeout_s: float | None = None,
    memory_mb: int | None = None,
    security: Any = None,
    walls_s: Sequence[float] = (),
) -> dict[str, dict[str, Any]]:
    """Run ``todo`` on the cluster, caching each finished record; with ``progress`` what is known
    of the time before (``announce``, ``walls_s``: the variants' done before) and the progress."""
    from rich.console import Console

    records: dict[str, dict[str, Any]] = {}
    with _client(scheduler, workers, security) as client:
        console = Console()
        if progress:
            if scheduler:  # the cluster's workers now (an adaptive one may start more)
                workers = len(client.scheduler_info().get("workers", {})) or 1
            text = announce(len(todo), workers, walls_s, timeout_s)
            console.print(text, markup=False, highlight=False, soft_wrap=True)
        with SweepProgress(len(todo), progress, console) as bar:
            futures = {
                client.submit(
                    run_case,
                    v.case,
                    timeout_s,
                    memory_mb,
                    key=task_key("fluxtrap-variant", v.key, timeout_s, memory_mb),
                ): v
                for v in todo
            }
            where = scheduler or "the local cluster"
            for future, workerless in finished(client, futures, where, Variant.name):
                v = futures[future]
                try:
                    if workerless:
                        raise FluxtrapError(workerless)
                    record = future.result()
                except Exception as err:  # noqa: BLE001 - the cluster lost it (worker died): not cached
                    record = {
                        "status": "failed",
                        "error": lost_text(err, where),
                        "wall_s": math.nan,
                    }
                else:
                    if record.get("limited"):  # killed or out of memory: say which variant
                        record["error"] = f"{v.name()}: {record['error']}"
                    if not (record.get("timed_out") or record.get("limited")):
                        _cached(cache, v, record)  # a larger limit may finish the others
                    record.pop("probes_csv", None)
                    record.pop("heat_csv", None)
                records[v.key] = record
                bar.done(record["status"] != "done")
                future.release()
    return records


def lost_text(err: BaseException, where: str) -> str:
    """Why a run the cluster at ``where`` did not finish failed: a scheduler that went away is
    said so, with what to do (it was Dask's "FutureCancelledError: fluxtrap-variant-<hex>
    cancelled for reason: scheduler-connection-lost. Client lost the connection ... re-run your
    work", on two lines, for each run left)."""
    if getattr(err, "reason", None) == "scheduler-connection-lost":
        return (
            f"the connection to the Dask scheduler at {where} was lost before this run finished: "
            "not run; the same command runs it once the scheduler is back (the variants done are "
            "cached)"
        )
    return f"{type(err).__name__}: {err}"


class _NoReconnectTraceback(logging.Filter):
    """Drop distributed's ERROR traceback of the client's reconnection cancelled when the sweep
    closes it after its scheduler went away (24 lines of asyncio.CancelledError above the
    results); the runs it cancelled are each said in their records (``lost_text``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        import asyncio

        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, asyncio.CancelledError)


def finished(
    client: Any, futures: Mapping[Any, Any], where: str, named: Any = str
) -> Iterator[tuple[Any, str]]:
    """Each of ``futures`` as it finishes, with ""; once the cluster at ``where`` has had no
    worker for ``NO_WORKERS_S``, each one left, with why it is not run (cancelled): a scheduler
    whose only worker died kept the runs waiting, without a word, for ever. When its last worker
    goes, the runs left (``named(futures[f])``) are warned of at once: the sweep was silent
    until they failed, 10 min later."""
    from distributed import as_completed

    pending = as_completed(futures)
    left = set(futures)
    seen = checked = time.monotonic()  # the last time a worker was seen, and asked for
    said = not client.nthreads()  # none from the start: the client has said so
    while not pending.is_empty():
        batch = pending.next_batch(block=False)
        for future in batch:
            left.discard(future)
            yield future, ""
        now = time.monotonic()
        if batch:
            seen = now
        elif now - checked >= 1.0:
            checked = now
            if client.nthreads():
                seen, said = now, False
            elif not said:
                said = True
                waiting = [named(futures[f]) for f in futures if f in left]
                warnings.warn(
                    f"the Dask cluster at {where} has no worker left (they died or were "
                    f"stopped): the {len(waiting)} runs not finished ({', '.join(waiting)}) wait "
                    f"for one, and fail if none has joined within {NO_WORKERS_S:g} s",
                    stacklevel=2,
                )
        if now - seen >= NO_WORKERS_S:
            lost = {f for f in left if not f.done()}  # done: cancelled ones are too
            client.cancel(list(lost))
            why = (
                f"no Dask worker at {where} for {NO_WORKERS_S:g} s (the workers died or none "
                "joined): not run; the same command runs it once workers are back"
            )
            for future in left:
                yield future, why if future in lost else ""
            return
        if not batch:
            time.sleep(0.1)


def task_key(prefix: str, *inputs: Any) -> str:
    """The Dask key of a task whose result follows from ``inputs`` alone: ``prefix-`` and 16 hex
    digits of their SHA-256. Dask gives a task submitted under the key of one it holds (another
    client's on a shared scheduler) that one's result: keyed by the case alone, a safe-ramp scan
    with another --max-rise or --mesh-size got the first's runs, a sweep without a timeout the
    record of one timed out by another's --timeout."""
    digest = hashlib.sha256(repr(inputs).encode()).hexdigest()[:16]
    return f"{prefix}-{digest}"


def _cached(cache: Cache, v: Variant, record: dict[str, Any]) -> None:
    """``cache.put`` the record of ``v``, or warn that it could not be: the record is kept in the
    results all the same (an entry that could not be written aborted the sweep, losing the
    variants still running)."""
    try:
        cache.put(v.key, record, v.params)
    except FluxtrapError as err:
        warnings.warn(
            f"{v.name()} is not cached ({err}): it is in the results, but the next sweep "
            "runs it again",
            stacklevel=2,
        )


@contextmanager
def _client(scheduler: str | None, workers: int, security: Any = None) -> Iterator[Any]:
    """A Dask client of the scheduler at ``scheduler`` (with ``security``: TLS certificates; by
    default dask's configuration), or of a new ``LocalCluster`` on this machine."""
    from distributed import Client, LocalCluster, Security

    if scheduler:
        tls = (security or Security()).get_connection_args("client").get("ssl_context")
        encrypted = tls is not None and getattr(security, "require_encryption", False)
        if encrypted and not scheduler.startswith("tls://"):  # dask: a bare RuntimeError
            raise FluxtrapError(
                f"cannot reach the Dask scheduler at {scheduler} with TLS certificates: "
                "give its address as tls://HOST:PORT"
            )
        if scheduler.startswith("tls://") and tls is None:
            raise FluxtrapError(
                f"cannot reach the Dask scheduler at {scheduler}: it uses TLS; give "
                "--tls-ca-file, --tls-cert and --tls-key (or dask's distributed.comm.tls settings)"
            )
        _check_scheduler(scheduler, security)
        try:
            client = Client(scheduler, timeout=f"{CONNECT_S}s", security=security)
        except (OSError, TimeoutError) as err:
            raise FluxtrapError(_unreachable(scheduler, err)) from None
        quiet = _NoReconnectTraceback()
        logging.getLogger("distributed.client").addFilter(quiet)
        with contextlib.ExitStack() as stack, client:
            stack.callback(logging.getLogger("distributed.client").removeFilter, quiet)
            if not client.scheduler_info().get("workers"):  # the bar stood at 0/N without a word
                warnings.warn(
                    f"the Dask scheduler at {scheduler} has no workers yet: the runs wait until "
                    f"some join (dask worker {scheduler}; an adaptive cluster starts them)",
                    stacklevel=3,
                )
            yield client
        return
    if workers < 1:
        raise ValidationError(f"--workers must be >= 1, got {workers}")
    with _interrupt_held() as held:  # the workers' processes inherit it (and their children)
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            # the scheduler's HTTP server (no dashboard) on any free port: on its default 8787
            # a second cluster warned "Port 8787 is already in use" on the sweep's stderr
            scheduler_kwargs={"dashboard_address": ":0"},
            silence_logs=logging.ERROR,
        )
    with cluster:
        for signum in held:  # a Ctrl-C or SIGTERM during the start, now the cluster is whole
            signal.raise_signal(signum)  # as the handler before would have had it
        with Client(cluster) as client:
            yield client


@contextmanager
def _interrupt_held() -> Iterator[list[int]]:
    """SIGINT ignored in this process while the block runs (in the main thread; elsewhere nothing
    changes), so that the processes it starts inherit the ignoring: a Ctrl-C at the terminal
    reaches every process of the group, and each worker, its nanny's loop and the forkserver
    printed their KeyboardInterrupt tracebacks (84 lines above the one saying what was kept).
    A Ctrl-C or SIGTERM meanwhile is not lost (a Ctrl-C in the 2-5 s a local cluster takes to
    start was, and the sweep went on): the numbers of the signals that came are in the list
    yielded, once the block has ended, for the caller to raise when what it started can be
    closed. A Ctrl-C at the terminal is seen by a sentinel process of this group (``_sentinel``)
    that does not ignore it (a SIGINT sent to this process alone meanwhile is still ignored). A
    signal this process ignores stays ignored."""
    held: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield held
        return
    ignored = {s for s in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(s) == signal.SIG_IGN}
    sentinel = None if signal.SIGINT in ignored else _sentinel()
    previous = {signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN)}
    if signal.SIGTERM not in ignored:
        previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, lambda s, _: held.append(s))
    try:
        yield held
    finally:
        for s, handler in previous.items():
            if handler is not None:  # None: one not set from Python, left as it is
                signal.signal(s, handler)
        if sentinel is not None:
            sentinel.kill()
            if sentinel.wait() == -signal.SIGINT:  # a Ctrl-C at the terminal stopped it first
                held.append(signal.SIGINT)
        held[:] = sorted(set(held))


def _sentinel() -> Any:
    """A process of this process group that a Ctrl-C at the terminal stops (SIGINT, exit code
    -2), silent: it tells that one came while this process ignored it (None if it cannot be
    started: a Ctrl-C then is ignored, as it was)."""
    import subprocess
    import sys

    try:
        return subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(86400)"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None


def _unreachable(scheduler: str, err: BaseException) -> str:
    hint = (  # a TLS scheduler resets a plain connection: "[Errno 104] Connection reset"
        " (if the scheduler uses TLS, give tls://HOST:PORT with --tls-ca-file, "
        "--tls-cert and --tls-key)"
        if scheduler.startswith("tcp://")
        else ""
    )
    return f"cannot reach the Dask scheduler at {scheduler}: {err}{hint}"


def _reachable(scheduler: str) -> None:
    """A ``FluxtrapError`` at once for a tcp:// or tls:// address whose host is unknown or where
    nothing listens: Dask retries a refused connection until its timeout, so a stopped
    scheduler or a mistyped host took CONNECT_S (20 s) to say only "Timed out trying to
    connect"; a ``ValueError`` for an address Dask cannot parse; other addresses, and other
    failures (a slow network), are left to Dask's connect."""
    import socket

    from distributed.comm.addressing import parse_address, parse_host_port

    scheme, location = parse_address(scheduler)
    if scheme not in ("tcp", "tls"):
        return
    host, port = parse_host_port(location)
    if not host or not 0 < port < 65536:
        raise ValueError(f"give a host and a port from 1 to 65535, got {location!r}")
    try:
        socket.create_connection((host, port), timeout=CONNECT_S).close()
    except socket.gaierror as err:
        raise FluxtrapError(
            f"cannot reach the Dask scheduler at {scheduler}: no host is named {host!r} "
            f"({err.strerror or err})"
        ) from None
    except ConnectionRefusedError:
        raise FluxtrapError(
            f"cannot reach the Dask scheduler at {scheduler}: nothing listens there "
            f"(connection refused): is the scheduler running, and is {port} its port (8786 by "
            "default)?"
        ) from None
    except OSError:
        return


def _check_scheduler(scheduler: str, security: Any) -> None:
    """Connect to ``scheduler`` within ``CONNECT_S`` and complete Dask's handshake within
    ``ANSWER_S`` (s), or raise a ``FluxtrapError`` saying why. ``Client`` bounds the connection
    but not the handshake that follows: a port that accepts and stays silent (a web server,
    e.g. the scheduler's dashboard at 8787) hung it for ever, and one that answers in another
    protocol was a traceback (an HTTP reply read as a frame of 3.07 EiB: a MemoryError); a
    malformed address was distributed's ValueError."""
    import asyncio

    from distributed import Security
    from distributed.comm import connect

    args = (security or Security()).get_connection_args("client")
    silent: list[asyncio.Timeout] = []  # the bound on connection and handshake, once running

    async def handshake() -> None:
        silent.append(asyncio.timeout(ANSWER_S))
        async with silent[0]:
            comm = await connect(scheduler, timeout=CONNECT_S, **args)
        await comm.close()

    try:  # in a thread of its own: the caller's may run an event loop (a notebook's)
        _reachable(scheduler)
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, handshake()).result()
    except ValueError as err:  # distributed's parse of the address
        raise FluxtrapError(
            f"scheduler {scheduler!r}: not the address of a Dask scheduler ({err}); give "
            "tcp://HOST:PORT or tls://HOST:PORT (port 8786 by default)"
        ) from None
    except (OSError, TimeoutError) as err:
        if not (silent and silent[0].expired()):
            raise FluxtrapError(_unreachable(scheduler, err)) from None
        raise FluxtrapError(
            f"the Dask scheduler at {scheduler} accepted the connection but did not answer as "
            f"Dask does within {ANSWER_S:g} s: {PORT_HINT}"
        ) from None
    except FluxtrapError:  # _reachable's
        raise
    except Exception as err:  # noqa: BLE001 - whatever the bytes of another protocol decode to
        raise FluxtrapError(
            f"the Dask scheduler at {scheduler} answered, but not as Dask does "
            f"({type(err).__name__}: {str(err):.200}): {PORT_HINT}"
        ) from None
