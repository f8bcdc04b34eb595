"""Ctrl-C (SIGINT) and SIGTERM sent to a real ``fluxtrap`` process mid-run: it stops within
seconds, says on stderr what it kept, and leaves no half-written output (typer exited 130
without a word; SIGTERM killed the process where it stood)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from .test_store_simulations import QUICK_CASE

# a 10 x 5 mm disk at a 0.1 mm mesh: minutes of solving, stopped a few seconds in
SLOW_CASE = (
    QUICK_CASE.replace('radius = "5 mm"', 'radius = "10 mm"')
    .replace('thickness = "2 mm"', 'thickness = "5 mm"')
    .replace('z = "2.5 mm"', 'z = "5.5 mm"')
    .replace('size = "1.5 mm"', 'size = "0.1 mm"')
)


def start(*args: str) -> subprocess.Popen:
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "fluxtrap", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def stop(proc: subprocess.Popen, sig: int, when) -> tuple[float, str]:
    """Send ``sig`` once ``when()`` holds (the run is under way); seconds it took to exit, stderr."""
    deadline = time.monotonic() + 240
    while not when() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(sig)
    t0 = time.monotonic()
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    return time.monotonic() - t0, err


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_simulation_says_so_and_writes_nothing(tmp_path, sig, code):
    case, out = tmp_path / "slow.toml", tmp_path / "out"
    case.write_text(SLOW_CASE)
    proc = start("simulate", str(case), "--out", str(out))
    # the run under way: its folder claimed (a fixed 8 s was still start-up at load 12)
    waited, err = stop(proc, sig, lambda: (out / ".fluxtrap.lock").exists())
    assert proc.returncode == code and waited < 20, err
    assert f"interrupted: nothing written to {out}" in err and "Traceback" not in err
    assert not out.exists()  # no probes.csv, no hidden partial set: the folder it made, gone


def test_an_interrupted_sweep_keeps_its_done_variants_for_the_next_run(tmp_path):
    case, out = tmp_path / "mid.toml", tmp_path / "sweep"
    case.write_text(SLOW_CASE.replace('size = "0.1 mm"', 'size = "0.4 mm"'))
    proc = start("sweep", str(case), "--out", str(out), "--vary", "field=0.5 T:1.5 T:6",
                 "--workers", "1", "--quiet")  # fmt: skip
    waited, err = stop(proc, signal.SIGTERM, lambda: any((out / "cache").glob("*.json")))
    assert proc.returncode == 143 and waited < 30, err
    assert f"interrupted: the variants done so far are kept in {out / 'cache'}" in err
    # no results.csv, no partial set
    assert sorted(p.name for p in out.iterdir()) == ["cache"]  # the lock removed
    assert not list((out / "cache").glob(".*"))  # every cache entry whole


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_before_any_write_says_so(tmp_path, monkeypatch, capsys, sig, code):
    """Stopped while the case is read, before the run's own on_interrupt: typer's exit 130 had
    no word (and SIGTERM's code was 130)."""
    import fluxtrap.simulate.case
    from fluxtrap.cli import run

    def read(*args, **kwargs):
        signal.raise_signal(sig)

    monkeypatch.setattr(fluxtrap.simulate.case.Case, "from_toml", read)
    case = tmp_path / "c.toml"
    case.write_text(SLOW_CASE)
    assert run(["simulate", str(case), "--out", str(tmp_path / "out")]) == code
    err = capsys.readouterr().err
    assert "interrupted: fluxtrap simulate (no write was under way)" in err, err
    assert not (tmp_path / "out").exists()
