"""The safe-ramp scan with its rates on Dask (``workflows.safe_ramp``) gives the scan run here,
run for run; through the command line on a running scheduler too."""

from __future__ import annotations

import json
import logging
import re
import threading

import pytest
from distributed import LocalCluster

from fluxtrap.errors import ValidationError
from fluxtrap.simulate.case import Case
from fluxtrap.simulate.stability import RampRun, scan_ramp_rates
from fluxtrap.workflows.safe_ramp import scan_on_dask

from ..conftest import cli
from .test_safe_ramp_cli import write

# T/s: safe, and a jump (1e4 T/h, once the safe one, jumps at rtol / 4: marginal)
RATES = [3e3 / 3600, 1e6 / 3600]


@pytest.fixture(scope="module")
def scheduler():
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


def test_the_rates_on_dask_give_the_scan_run_here(scheduler, tmp_path, capsys):
    case = Case.load(write(tmp_path))
    here = scan_ramp_rates(case, RATES, mesh_size_m=2e-3)
    there = scan_on_dask(case, RATES[::-1], mesh_size_m=2e-3, scheduler=scheduler)
    assert [r.jumped for r in there.runs] == [False, True]
    for a, b in zip(here.runs, there.runs, strict=True):
        assert (a.rate_T_s, a.jumped, a.error) == (b.rate_T_s, b.jumped, b.error)
        assert b.peak_rise_K == pytest.approx(a.peak_rise_K, rel=1e-12)
        assert b.stopped_s == pytest.approx(a.stopped_s, rel=1e-12)
        assert b.finals == pytest.approx(a.finals, rel=1e-12)
    assert there.fastest_safe_T_s == here.fastest_safe_T_s == RATES[0]
    # both rates run again at rtol / 4 on the cluster too, with the same verdicts
    assert (
        [(c.rate_T_s, c.jumped) for c in sorted(there.checks, key=lambda c: c.rate_T_s)]
        == [(c.rate_T_s, c.jumped) for c in sorted(here.checks, key=lambda c: c.rate_T_s)]
        == [(RATES[0], False), (RATES[1], True)]
    )
    assert there.check_rtol == here.check_rtol == case.solver.rtol / 4
    out = tmp_path / "scan"
    code, stdout, err = cli(
        capsys,
        "safe-ramp", str(tmp_path / "case.toml"),
        "--from", "3e3 T/h", "--to", "1e6 T/h", "--count", "2", "--mesh-size", "2 mm",
        "--scheduler", scheduler, "--out", str(out), "--quiet",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads((out / "safe_ramp.json").read_text())["fastest_safe_T_h"] == pytest.approx(
        3e3
    )


def test_a_tls_scheduler_without_certificates_is_refused(tmp_path, capsys):
    code, _, err = cli(
        capsys,
        "safe-ramp", str(write(tmp_path)), "--scheduler", "tls://127.0.0.1:1",
        "--out", str(tmp_path / "scan"),
    )  # fmt: skip
    assert code == 2 and "it uses TLS; give --tls-ca-file" in err


def test_a_run_over_its_memory_limit_is_a_failed_run_naming_the_limit(scheduler, tmp_path):
    """Each rate runs in a child of its worker under RLIMIT_AS (as a sweep's variants): a
    0.04 mm mesh cannot be allocated in 600 MiB, so the run fails (where depends on the machine:
    test_isolated), naming the limit, and the scan
    has no safe rate; a limit under 256 MiB is refused before any run."""
    case = Case.load(write(tmp_path))
    scan = scan_on_dask(case, RATES[:1], mesh_size_m=0.04e-3, scheduler=scheduler, memory_mb=600)
    (run,) = scan.runs
    assert run.error.startswith("ChildFailed: ")
    assert re.search(r"memory limit (of|was) 600 MiB", run.error)
    assert scan.fastest_safe_T_s is None
    with pytest.raises(ValidationError, match="safe-ramp memory limit: give at least 256 MiB"):
        scan_on_dask(case, RATES, mesh_size_m=2e-3, scheduler=scheduler, memory_mb=100)


def test_two_scans_of_one_case_on_one_scheduler_get_each_its_own_runs(
    scheduler, tmp_path, monkeypatch
):
    """The rates' Dask keys named the case and the rate only: a second scan of the case with
    another --max-rise while the first ran (another user on the shared scheduler) was given the
    first's runs, judged at the first's rise. Each run here echoes the rise it was asked for."""
    import time

    from distributed import Client

    from fluxtrap.workflows import safe_ramp

    monkeypatch.setattr(safe_ramp, "_ramp_run", _echo)
    case = Case.load(write(tmp_path))
    scans: dict[float, object] = {}

    def scan(rise_K: float) -> None:
        scans[rise_K] = scan_on_dask(case, RATES, rise_K, 2e-3, scheduler=scheduler, memory_mb=None)

    with Client(scheduler) as watcher:
        threads = []
        for rise_K, tasks in ((5.0, 2), (2.0, 4)):  # the second scan's two tasks come in too
            threads.append(threading.Thread(target=scan, args=(rise_K,)))
            threads[-1].start()
            deadline = time.monotonic() + 3
            while (
                len(watcher.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.tasks)))
                < tasks
            ):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.02)
        RELEASE.set()
        for t in threads:
            t.join(20)
    assert [r.peak_rise_K for r in scans[2.0].runs] == [1.0, 1.0]
    assert [r.peak_rise_K for r in scans[5.0].runs] == [2.5, 2.5]


RELEASE = threading.Event()  # _echo's runs are held until it is set


def _echo(case, rate_T_s, rise_K, mesh_size_m, memory_mb):
    """A run at ``rate_T_s`` that rose half the ``rise_K`` it was asked to judge by (a worker
    pickles it by name: it is module-level)."""
    RELEASE.wait(10)
    return RampRun(rate_T_s, rise_K / 2, False, 1.0, {}, 0.0, None)
