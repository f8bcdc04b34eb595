"""Scale-out safety of sweeps (issue 17): a Dask cluster with TLS and client certificates runs
variants and refuses clients without a certificate of its CA; a per-variant timeout fails the
variant without caching it; so does its memory limit; the cache key carries the solver's own
identity."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest
from distributed import LocalCluster, Security

from fluxtrap.errors import FluxtrapError
from fluxtrap.simulate import Case
from fluxtrap.workflows.sweep import Axis, case_key, expand, run_sweep, variants
from fluxtrap.workflows.sweep.runner import run_case

from .test_sweep import TINY

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_ca(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed CA and one certificate it signs (for scheduler, workers and client)."""
    folder.mkdir()
    ca_key, ca, key, csr, cert = (
        folder / f for f in ("ca.key", "ca.pem", "k.pem", "c.csr", "c.pem")
    )
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name} CA",
            "-keyout", str(ca_key), "-out", str(ca))  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", str(key),
            "-out", str(csr))  # fmt: skip
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
            "-CAcreateserial", "-days", "2", "-out", str(cert))  # fmt: skip
    return ca, folder


def security(ca: Path, folder: Path) -> Security:
    cert, key = str(folder / "c.pem"), str(folder / "k.pem")
    return Security(
        tls_ca_file=str(ca), tls_scheduler_cert=cert, tls_scheduler_key=key,
        tls_worker_cert=cert, tls_worker_key=key, tls_client_cert=cert, tls_client_key=key,
        require_encryption=True,
    )  # fmt: skip


@needs_openssl
def test_a_tls_cluster_runs_variants_refuses_strangers_and_timeouts_are_not_cached(tmp_path):
    lab = security(*make_ca(tmp_path / "lab", "lab"))
    stranger = security(*make_ca(tmp_path / "other", "other"))  # a certificate of another CA
    case = tmp_path / "tiny.toml"
    case.write_text(TINY)
    out = tmp_path / "sweep"
    axes = [Axis.parse("radius=6mm")]
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tls://", security=lab,
        dashboard_address=None, silence_logs=logging.ERROR,
    ) as cluster:  # fmt: skip
        address = cluster.scheduler_address
        assert address.startswith("tls://")
        for who in (None, stranger):  # no certificate (dask's default config) or a foreign one
            with pytest.raises(FluxtrapError, match="cannot reach the Dask scheduler"):
                run_sweep(case, axes, out=out, scheduler=address, security=who, progress=False)
        plain = address.replace("tls://", "tcp://")
        with pytest.raises(FluxtrapError, match="if the scheduler uses TLS, give tls://"):
            run_sweep(case, axes, out=out, scheduler=plain, progress=False)  # reset by the server
        with pytest.raises(FluxtrapError, match="with TLS certificates: give its address as tls"):
            run_sweep(case, axes, out=out, scheduler=plain, security=lab, progress=False)

        timed = run_sweep(
            case, axes, out=out, scheduler=address, security=lab, timeout_s=0.001, progress=False
        )
        (row,) = timed.table.to_dict("records")
        assert row["status"] == "failed" and row["error"].startswith(
            "timed out after the sweep's timeout of 0.001 s: WallTimeError: wall-time limit"
        )
        assert not list((out / "cache").glob("*.json"))  # a longer timeout may finish it
        done = run_sweep(case, axes, out=out, scheduler=address, security=lab, progress=False)
    assert (done.computed, done.failed) == (1, 0)
    assert done.table["surface_final_T"].iloc[0] > 0  # field cooling traps flux
    assert [p.stem for p in (out / "cache").glob("*.json")] == [done.table["key"].iloc[0]]


def test_the_timeout_leaves_the_case_key_and_a_longer_case_limit_alone():
    import tomli

    case = Case.from_dict(tomli.loads(TINY))
    record = run_case(case, timeout_s=0.001)
    assert record["timed_out"] and record["status"] == "failed"
    assert case.solver.max_wall_s == 7200  # the case itself is unchanged
    fails = Case.from_dict(
        tomli.loads(TINY.replace("[mesh]", '[solver]\nmax_wall = "0.001 s"\n[mesh]'))
    )
    own = run_case(fails, timeout_s=3600)  # the case's own limit is not the sweep's timeout
    assert own["status"] == "failed" and "timed_out" not in own
    assert own["error"].startswith("WallTimeError: wall-time limit")
    # a timeout below the variant's least solving time (elements x steps x 0.5 us) is refused
    # before it runs, recorded as the variant's failure naming the timeout (it was raised)
    short = run_case(case, timeout_s=1e-9)
    assert short["status"] == "failed" and "timed_out" not in short
    assert short["error"].startswith(
        "ValidationError: the sweep's timeout of 1e-09 s is too short for this variant: "
    ) and short["error"].endswith(
        "over solver.max_wall = 1e-09 s (a larger max_step or "
        "mesh.size, fewer protocol steps or pulse-table points, or a longer max_wall)"
    )


def test_the_cache_key_carries_the_solver_sources(tmp_path, monkeypatch):
    """The key is the case's identity and the digest of the simulator's sources: a copy of the
    sources gives the same digest, one changed byte or one added module another."""
    import fluxtrap.simulate

    package = Path(fluxtrap.simulate.__file__).parent
    copy = tmp_path / "fluxtrap"
    shutil.copytree(package, copy / "simulate", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(package.parent / "jctable.py", copy / "jctable.py")

    def digest() -> str:
        root = copy / "simulate"
        return variants.source_digest(root, [*sorted(root.rglob("*.py")), copy / "jctable.py"])

    assert digest() == variants.solver_identity()
    solver = copy / "simulate" / "solver.py"
    solver.write_bytes(solver.read_bytes().replace(b"1e-3", b"2e-3", 1))
    changed = digest()
    assert changed != variants.solver_identity()
    (copy / "simulate" / "new_model.py").write_text("X = 1\n")
    assert digest() not in (changed, variants.solver_identity())

    (variant,) = expand(__import__("tomli").loads(TINY))
    assert variant.key == case_key(variant.case) != variant.case.key()
    monkeypatch.setattr(variants, "solver_identity", lambda: changed)
    assert case_key(variant.case) != variant.key  # a changed solver: a new key, no stale hit


def test_a_variant_over_its_memory_limit_fails_naming_it_while_the_others_finish(tmp_path, capsys):
    """Each variant runs in a child of its (daemonic) local Dask worker under RLIMIT_AS: the
    0.02 mm mesh (580 000 elements: one 160 MiB array of them) cannot be allocated in 600 MiB, the
    2 and 3 mm ones run in it (a 0.05 mm mesh fits since the mesher got leaner; the timeout
    bounds the test if a future one fits 0.02 mm too). The
    failure names the variant and the limit, is in results.csv and is not cached (a larger limit
    may finish it); the finished variants are."""
    from fluxtrap.cli import run

    case = tmp_path / "tiny.toml"
    case.write_text(TINY.replace('size = "2 mm"', 'size = "2 mm"\nmax_elements = 1000000'))
    out = tmp_path / "sweep"
    argv = ["sweep", str(case), "--vary", "mesh.size=2mm,0.02mm,3mm", "--timeout", "120 s",
            "--workers", "1", "--out", str(out), "--quiet"]  # fmt: skip
    assert run([*argv, "--memory-mb", "100"]) == 2
    assert (
        "sweep memory limit: give at least 256 MiB (at most 2**30), got 100 MiB"
        in capsys.readouterr().err
    )
    assert run([*argv, "--memory-mb", "600"]) == 1  # a variant failed: exit 1, outputs written
    assert "3 variants: 3 computed, 0 from cache, 1 failed" in capsys.readouterr().out
    table = pd.read_csv(out / "results.csv")
    assert list(table["status"]) == ["done", "failed", "done"]
    assert table["error"][1].startswith("variant 1 (mesh.size=0.02 mm): MemoryError: ")
    assert table["error"][1].endswith("(over the memory limit of 600 MiB)")
    done = table[table["status"] == "done"]
    assert (done["surface_final_T"] > 0).all()
    assert sorted(p.stem for p in (out / "cache").glob("*.json")) == sorted(done["key"])


@needs_openssl
def test_calibrate_reaches_a_tls_cluster_with_its_certificates(tmp_path, capsys):
    """`fluxtrap calibrate --scheduler tls://...` had no --tls-* options: its runner could not
    reach a cluster that requires them (the error told it to give options it did not have)."""
    import tomli

    from fluxtrap.cli import run
    from fluxtrap.workflows.calibrate import DaskRunner

    lab = security(*make_ca(tmp_path / "lab", "lab"))
    case = Case.from_dict(tomli.loads(TINY))
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tls://", security=lab,
        dashboard_address=None, silence_logs=logging.ERROR,
    ) as cluster:  # fmt: skip
        with DaskRunner(tmp_path / "cache", scheduler=cluster.scheduler_address, security=lab) as r:
            (probes,) = r([case])
        assert probes["surface_Bz_T"].iloc[-1] > 0
        folder = tmp_path / "lab"
        (tmp_path / "case.toml").write_text(TINY)
        (tmp_path / "series.csv").write_text("time_s,B_T\n1,0.1\n2,0.09\n")
        code = run(
            ["calibrate", str(tmp_path / "case.toml"), str(tmp_path / "series.csv"), "--probe",
             "surface", "--fit", "*.n", "--out", str(tmp_path / "o"), "--scheduler",
             cluster.scheduler_address, "--tls-ca-file", str(folder / "ca.pem"), "--tls-cert",
             str(folder / "c.pem")]
        )  # fmt: skip
        assert code == 2 and "--tls-ca-file, --tls-cert and --tls-key go together" in (
            capsys.readouterr().err
        )


@pytest.fixture
def wrong_port():
    """A port that accepts and then says ``reply`` (b"": nothing) and stays open, as a web
    server or another service a mistyped --scheduler reaches does; yields a function of the
    reply that returns its tcp:// address."""
    import socket
    import threading

    servers = []

    def serve(reply: bytes) -> str:
        server = socket.create_server(("127.0.0.1", 0))
        servers.append(server)

        def answer() -> None:
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:  # closed at teardown
                    return
                servers.append(conn)
                conn.sendall(reply)

        threading.Thread(target=answer, daemon=True).start()
        return f"tcp://127.0.0.1:{server.getsockname()[1]}"

    yield serve
    for s in servers:
        s.close()


@pytest.mark.timeout(120)  # without the bound on the handshake the silent port hangs
def test_a_scheduler_address_that_is_no_dask_scheduler_is_refused_in_bounded_time(
    tmp_path, monkeypatch, wrong_port
):
    """Client bounds the connection, not the handshake after it: a silent port (a web server)
    hung the sweep for ever, an HTTP reply was a MemoryError traceback (its first bytes read as a
    frame of 3.07 EiB), and an address without a port or with http:// a ValueError traceback."""
    from fluxtrap.workflows.sweep import runner

    monkeypatch.setattr(runner, "ANSWER_S", 2.0)
    case = tmp_path / "tiny.toml"
    case.write_text(TINY)
    axes = [Axis.parse("radius=6mm")]
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nhi"
    for address, message in [
        (wrong_port(b""), "accepted the connection but did not answer as Dask does within 2 s: "
         "is it a scheduler's port (8786 by default; 8787 is its dashboard)?"),
        (wrong_port(http), "answered, but not as Dask does (MemoryError: "),
        ("headnode", "scheduler 'headnode': not the address of a Dask scheduler (missing port "
         "number in address 'headnode'); give tcp://HOST:PORT or tls://HOST:PORT"),
        ("http://headnode:8787", "not the address of a Dask scheduler (unknown address scheme "
         "'http'"),
    ]:  # fmt: skip
        t0 = time.monotonic()
        with pytest.raises(FluxtrapError, match=re.escape(message)):
            run_sweep(case, axes, out=tmp_path / "sweep", scheduler=address, progress=False)
        assert time.monotonic() - t0 < 15
    assert not (tmp_path / "sweep" / "results.csv").exists()


@pytest.mark.timeout(120)
def test_a_scheduler_address_where_nothing_listens_is_refused_at_once(tmp_path):
    """Dask retries a refused connection until its timeout: a stopped scheduler, a mistyped port
    or host took 20 s to say only "Timed out trying to connect"; an empty host timed out too."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]  # free once closed: nothing listens there
    case = tmp_path / "tiny.toml"
    case.write_text(TINY)
    for address, message in [
        (f"tcp://127.0.0.1:{port}", "nothing listens there (connection refused): is the "
         f"scheduler running, and is {port} its port (8786 by default)?"),
        ("tcp://no-such-head.invalid:8786", "no host is named 'no-such-head.invalid'"),
        ("tcp://:8786", "give a host and a port from 1 to 65535, got ':8786'"),
    ]:  # fmt: skip
        t0 = time.monotonic()
        with pytest.raises(FluxtrapError, match=re.escape(message)):
            run_sweep(case, [Axis.parse("radius=6mm")], out=tmp_path / "s", scheduler=address)
        assert time.monotonic() - t0 < 5


def test_a_scheduler_without_workers_is_warned_of():
    """A scheduler whose workers were not started (or all died) left the sweep's bar at 0/N
    without a word; it is warned of (not refused: an adaptive cluster starts its workers when
    the tasks come)."""
    from fluxtrap.workflows.sweep.runner import _client

    with LocalCluster(
        n_workers=0, processes=False, dashboard_address=None, silence_logs=logging.ERROR
    ) as cluster:
        address = cluster.scheduler_address
        idle = f"the Dask scheduler at {address} has no workers"
        with pytest.warns(UserWarning, match=idle), _client(address, 1):
            pass
        cluster.scale(1)
        cluster.wait_for_workers(1, timeout=60)
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=idle)
            with _client(address, 1) as client:
                assert client.submit(sum, [1, 2]).result() == 3


@pytest.mark.parametrize("command", ["sweep", "safe-ramp", "calibrate"])
def test_an_empty_scheduler_address_is_refused_not_taken_for_a_local_cluster(
    tmp_path, capsys, command
):
    """``--scheduler ""`` (an unset shell variable) started a local cluster without a word."""
    from fluxtrap.cli import run

    case = tmp_path / "case.toml"
    case.write_text(TINY)
    extra = {"sweep": ["--vary", "n=20,30"], "calibrate": [str(case), "--fit", "*.n"]}
    out = str(tmp_path / "o")
    args = [command, str(case), *extra.get(command, []), "--scheduler", " ", "--out", out]
    assert run(args) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--scheduler" in err and "give the scheduler's address" in err, err
    assert not (tmp_path / "o").exists()


SLOW_PRELOAD = """
import os, pathlib, time
from fluxtrap.workflows.sweep import runner

def run_case(*args, **kwargs):  # a run that is under way when the scheduler goes
    pathlib.Path(os.environ["FLUXTRAP_TEST_STARTED"]).touch()
    time.sleep(120)

runner.run_case = run_case
"""


def test_a_sweep_whose_scheduler_dies_says_so_once_per_run_and_caches_none(tmp_path, capfd, caplog):
    """A scheduler killed mid-sweep: each run left was "FutureCancelledError: fluxtrap-variant-
    <hex> cancelled for reason: scheduler-connection-lost." and Dask's "re-run your work", under
    24 lines of distributed's CancelledError traceback; now each says the connection was lost
    and what to do, no traceback, and none is cached (the same command runs them)."""
    import os
    import signal
    import sys
    import threading

    bin_dir = Path(sys.executable).parent
    started, info = tmp_path / "started", tmp_path / "scheduler.json"
    (tmp_path / "slow.py").write_text(SLOW_PRELOAD)
    env = os.environ | {"FLUXTRAP_TEST_STARTED": str(started)}
    run = dict(env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    scheduler = subprocess.Popen([bin_dir / "dask", "scheduler", "--host", "127.0.0.1", "--port",
        "0", "--dashboard-address", ":0", "--scheduler-file", str(info)], **run)  # fmt: skip
    # started at once: the worker waits for the scheduler's file
    worker = subprocess.Popen([bin_dir / "dask", "worker", "--scheduler-file", str(info),
        "--nthreads", "1", "--no-nanny", "--preload", str(tmp_path / "slow.py")], **run)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = __import__("json").loads(info.read_text())["address"]

        def kill_when_started() -> None:
            while not started.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            scheduler.send_signal(signal.SIGKILL)

        killer = threading.Thread(target=kill_when_started, daemon=True)
        killer.start()
        case = tmp_path / "tiny.toml"
        case.write_text(TINY)
        out = tmp_path / "sweep"
        t0 = time.monotonic()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no workers yet", if the worker is slow to join
            result = run_sweep(
                case, [Axis.parse("radius=6mm,7mm")], out=out, scheduler=address,
                memory_mb=None, progress=False,
            )  # fmt: skip
        assert time.monotonic() - t0 < 60
        killer.join()
    finally:
        for p in (worker, scheduler):
            p.kill()
            p.wait()
    assert result.failed == 2
    for error in result.table["error"]:
        assert error.startswith(f"the connection to the Dask scheduler at {address} was lost")
        assert "the same command runs it" in error and "\n" not in error
    assert not list((out / "cache").glob("*.json"))  # the same command runs them again
    said = capfd.readouterr().err
    assert "Traceback" not in said, said
    assert not [r for r in caplog.records if r.exc_info], caplog.records
