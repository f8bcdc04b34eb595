"""A call in a child process under a wall-time and a memory limit (workflows.isolated): the
limits hold, a failure of any kind comes back as a message, and a child never outlives its server.

Every child here asks for the web server's preload (the forkserver is one per process, started
by its first user, so the web tests that follow find it as a server would)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from fluxtrap.simulate.case import Case
from fluxtrap.simulate.stability import ramp_run
from fluxtrap.web.jobs import PRELOAD_WEB, run_case
from fluxtrap.web.pages import EXAMPLE_CASE
from fluxtrap.workflows.isolated import Child, ChildFailed, ProcessLimits

from .test_safe_ramp_cli import write

MiB = 2**20


def test_the_result_comes_back():
    assert Child(divmod, (17, 5), ProcessLimits(wall_s=30), PRELOAD_WEB).result() == (3, 2)


def test_an_allocation_over_the_memory_limit_is_a_memory_error_naming_the_limit():
    child = Child(np.ones, ((512 * MiB // 8,),), ProcessLimits(memory_bytes=450 * MiB), PRELOAD_WEB)
    with pytest.raises(ChildFailed, match=r"^MemoryError: .*memory limit of 450 MiB\)$"):
        child.result()
    assert (
        Child(np.ones, (4,), ProcessLimits(memory_bytes=450 * MiB), PRELOAD_WEB).result().sum() == 4
    )


def test_a_case_whose_mesh_needs_more_memory_fails_saying_so():
    """A 0.04 mm mesh (about 2 x 70 000 elements, allowed by max_elements) under 600 MiB: the
    mesher's allocation fails in the child (the example case runs within 600 MiB: test_jobs)."""
    limits = ProcessLimits(wall_s=60, memory_bytes=600 * MiB)
    fine = EXAMPLE_CASE.replace('size = "1 mm"', 'size = "0.04 mm"\nmax_elements = 1000000')
    with pytest.raises(ChildFailed, match="memory limit (of|was) 600 MiB"):
        Child(run_case, (fine,), limits, PRELOAD_WEB).result()


@pytest.mark.parametrize("run", ["web job", "safe-ramp run"])
def test_a_run_out_of_memory_anywhere_ends_within_seconds_naming_the_limit(run, tmp_path):
    """Where a 0.04 mm case runs out depends on the limit: numpy, the mesher (a RuntimeError or
    std::bad_alloc), pybind11's argument conversion, a lazy import, a thread's start or
    OpenBLAS's buffer (the last two hung the child until its wall-time limit: hours for a real
    case). Every limit from 400 to 800 MiB (the cases need about 820) ends within a minute,
    naming the limit."""
    if run == "web job":
        fine = EXAMPLE_CASE.replace('size = "1 mm"', 'size = "0.02 mm"\nmax_elements = 1000000')
        target, args = run_case, (fine,)
    else:
        target, args = ramp_run, (Case.load(write(tmp_path)), 1e4 / 3600, 1.0, 0.02e-3)
    outcomes = {}
    for memory_mb in range(400, 801, 40):
        child = Child(target, args, ProcessLimits(60, memory_mb * MiB), PRELOAD_WEB)
        with pytest.raises(ChildFailed) as err:
            child.result()
        outcomes[memory_mb] = str(err.value)
    unnamed = {
        mb: why
        for mb, why in outcomes.items()
        if not re.search(rf"memory limit (of|was) {mb} MiB(\)|: out of memory|$)", why)
    }
    assert not unnamed


def test_a_child_runs_one_blas_thread():
    """OpenBLAS threads that cannot allocate their buffer give up with exit(), which hangs the
    child (seen at 600 MiB with the 0.04 mm safe-ramp case); one thread exits at once."""
    blas = Child(threadpool_info, (), ProcessLimits(wall_s=30), PRELOAD_WEB).result()
    assert {pool["num_threads"] for pool in blas if pool["user_api"] == "blas"} == {1}


def test_a_failure_far_from_the_memory_limit_is_not_blamed_on_it():
    child = Child(int, ("ten",), ProcessLimits(memory_bytes=4096 * MiB), PRELOAD_WEB)
    with pytest.raises(ChildFailed) as err:
        child.result()
    assert str(err.value) == "ValueError: invalid literal for int() with base 10: 'ten'"


def test_the_wall_time_limit_kills_the_child():
    t0 = time.monotonic()
    child = Child(time.sleep, (60,), ProcessLimits(wall_s=1), PRELOAD_WEB)
    with pytest.raises(ChildFailed, match=r"^stopped after the wall-time limit of 1 s$"):
        child.result()
    assert time.monotonic() - t0 < 10 and child.process.exitcode == -signal.SIGKILL


def test_a_child_that_dies_is_reported_with_its_signal():
    child = Child(os.abort, (), ProcessLimits(wall_s=30, memory_bytes=500 * MiB), PRELOAD_WEB)
    with pytest.raises(ChildFailed) as err:
        child.result()
    assert str(err.value) == (
        "the worker process died (killed by SIGABRT) without a result; its memory limit was 500 MiB"
    )


def test_a_child_exits_when_its_server_is_killed(tmp_path):
    """SIGKILL the process that started a child (a server crash): the child exits within ~1 s
    instead of running on as an orphan."""
    script = (
        "import time\n"
        "from fluxtrap.workflows.isolated import Child, ProcessLimits\n"
        "c = Child(time.sleep, (600,), ProcessLimits(wall_s=600), preload=[])\n"
        "print(c.process.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    pid = int(server.stdout.readline())
    os.kill(pid, 0)  # running
    server.kill()
    server.wait(10)
    deadline = time.monotonic() + 10
    while _alive(pid):
        assert time.monotonic() < deadline, f"child {pid} outlived its server"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie waiting for its reaper has exited
        return f.read().split(") ")[1][0] != "Z"
