"""One function call in a child process with a wall-time and a memory limit.

The web server runs each simulation job this way, and a sweep each variant, so a run that never
ends, or one that needs more memory than the machine has, costs one killed child and never the
server or the Dask worker. Children are
forked from a ``forkserver`` (a clean single-threaded process, started once, that has imported
the simulator), so a job starts in milliseconds instead of re-importing numpy and scipy.

Memory: ``RLIMIT_AS`` (address space) is set in the child before the call; an allocation beyond
it raises ``MemoryError`` there, reported with the limit. Time: the parent kills the child at the
deadline (SIGKILL: a run stuck inside C code does not see signals). A child whose server dies
exits within a second (it watches the result pipe).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import select
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from threadpoolctl import threadpool_limits

from fluxtrap.errors import FluxtrapError

MiB = 2**20
DEFAULT_MEMORY_MB = 4096  # a job's or a sweep variant's address space unless told otherwise
NEAR_LIMIT = 64 * MiB  # a library's failure this close to the memory limit is blamed on it
PRELOAD = ["fluxtrap.simulate.simulation", "fluxtrap.simulate.solver", "fluxtrap.simulate.mesh"]


class ChildFailed(FluxtrapError):
    """The call in the child raised, ran out of time or memory, was killed or died."""


@dataclass(frozen=True)
class ProcessLimits:
    """Per-call limits: ``wall_s`` from the child's start (s), ``memory_bytes`` of address space
    (the preloaded simulator takes about 0.5 GiB of it)."""

    wall_s: float = 3600.0
    memory_bytes: int = DEFAULT_MEMORY_MB * MiB

    def __post_init__(self) -> None:
        if not 0 < self.wall_s <= 7 * 86400:
            raise ValueError(f"wall-time limit {self.wall_s} s: give 0 < limit <= 7 days")
        if not 256 * MiB <= self.memory_bytes <= 2**50:
            raise ValueError(f"memory limit {self.memory_bytes / MiB:g} MiB: give at least 256 MiB")


def _context(preload: list[str]) -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(preload)
    return ctx


def warm_up(preload: list[str] = PRELOAD) -> threading.Thread:
    """Start the forkserver (and its imports, a few seconds) in the background, so the first
    child starts as fast as the others."""
    from multiprocessing import forkserver

    _context(preload)
    thread = threading.Thread(target=forkserver.ensure_running, daemon=True)
    thread.start()
    return thread


class Child:
    """``target(*args)`` running in a child process under ``limits``; ``target`` must be a
    module-level function and its arguments and result picklable.

    ```python
    from fluxtrap.workflows.isolated import Child, ProcessLimits

    child = Child(pow, (2, 10), ProcessLimits(wall_s=60))  # 2 ** 10 within 60 s
    child.result()  # 1024
    ```
    """

    def __init__(
        self,
        target: Callable[..., Any],
        args: tuple[Any, ...],
        limits: ProcessLimits,
        preload: list[str] = PRELOAD,
    ) -> None:
        ctx = _context(preload)
        self.limits = limits
        self._receive, send = ctx.Pipe(duplex=False)
        self.process = ctx.Process(
            target=_child_main, args=(send, limits.memory_bytes, target, args), daemon=True
        )
        self.process.start()
        self.started = time.monotonic()  # the limit counts from here, not the forkserver's start
        send.close()  # the child holds the only writer: EOF when it dies
        self._killed_because: str | None = None

    def wait(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the result (or the child's death); True once there is
        one. At the deadline the child is killed (then True too)."""
        left = self.started + self.limits.wall_s - time.monotonic()
        if self._receive.poll(max(0.0, min(timeout_s, left))):
            return True
        if time.monotonic() - self.started >= self.limits.wall_s:
            self.kill(f"stopped after the wall-time limit of {self.limits.wall_s:g} s")
            return True
        return False

    def kill(self, why: str) -> None:
        """Kill the child now; its result becomes ``ChildFailed(why)``."""
        self._killed_because = self._killed_because or why
        if self.process.is_alive():
            self.process.kill()
        self.process.join(10)

    def result(self) -> Any:
        """The call's return value (waiting for it, up to the wall-time limit); ``ChildFailed``
        saying what happened otherwise."""
        while not self.wait(3600.0):
            pass
        try:
            if self._killed_because is None:
                try:
                    status, value = self._receive.recv()
                except (EOFError, OSError):
                    status, value = "died", None
                self.process.join(10)
                if status == "ok":
                    return value
                if status == "error":
                    raise ChildFailed(value)
            raise ChildFailed(self._killed_because or self._death())
        finally:
            self._receive.close()

    def _death(self) -> str:
        code = self.process.exitcode
        how = (
            f"killed by {signal.Signals(-code).name}"
            if code is not None and code < 0
            else f"exit code {code}"
        )
        return (
            f"the worker process died ({how}) without a result; its memory limit was "
            f"{self.limits.memory_bytes / MiB:.0f} MiB"
        )


def _child_main(send: Any, memory_bytes: int, target: Callable[..., Any], args: tuple) -> None:
    _exit_with_server(send)  # before the limit: a thread that cannot start hangs start()
    threadpool_limits(1)  # OpenBLAS threads out of memory hang in exit() instead of failing
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    limit = f"memory limit of {memory_bytes / MiB:.0f} MiB"
    try:
        message = ("ok", target(*args))
    except MemoryError as err:
        message = ("error", f"{type(err).__name__}: {err} (over the {limit})")
    except BaseException as err:  # the parent must hear of every failure, whatever it is
        peak = _peak_address_space()
        near = peak is not None and peak > memory_bytes - NEAR_LIMIT
        why = (
            f" (at {peak / MiB:.0f} MiB of its {limit}: out of memory, most likely)" if near else ""
        )
        message = ("error", f"{type(err).__name__}: {err}{why}")
    try:
        send.send(message)
    except MemoryError:
        send.send(("error", "MemoryError: the result did not fit in the memory limit"))


def _peak_address_space() -> int | None:
    """This process's peak address space (bytes, VmPeak of /proc/self/status); None if unknown."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except (OSError, MemoryError, ValueError):
        pass
    return None


def _exit_with_server(send: Any) -> None:
    """Exit as soon as the server is gone. Only the server holds the read end of the result
    pipe, so its death closes it, which poll() reports on our write end as POLLERR (the parent
    process is the forkserver, which outlives the server while it has children)."""
    poller = select.poll()
    poller.register(send.fileno(), 0)  # no events asked: only errors and hang-ups come back

    def watch() -> None:
        while not poller.poll(500):
            pass
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="fluxtrap-orphan-watch").start()
