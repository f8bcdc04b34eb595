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

from ..conftest import EXAMPLES
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


def run_module(folder, source: str) -> subprocess.CompletedProcess:
    """``python -m`` on a module of ``source`` (as the real-process tests start fluxtrap)."""
    (folder / "stopped.py").write_text(source)
    return subprocess.run([sys.executable, "-m", "stopped"], cwd=folder, capture_output=True,
                          text=True, timeout=60)  # fmt: skip


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_the_app_is_imported_says_so(tmp_path, sig, code):
    """The console script stopped in the seconds its imports take (up to 6 s at load 13): it was
    a KeyboardInterrupt traceback from deep in an import, exit -2 (SIGTERM: killed). The signal
    comes inside code exec() runs from a string, as while dataclasses build a class: CPython
    marked the KeyboardInterrupt unhandled though caught, and `python -m` then ended by SIGINT,
    exit -2, after "interrupted: ..." (the real-process test's rare -2)."""
    done = run_module(
        tmp_path,
        "import importlib, signal, sys, types\n"
        "import fluxtrap.cli as cli\n"
        "def slow_import(name):\n"
        f"    exec('signal.raise_signal({int(sig)})', {{'signal': signal}})\n"
        "    return importlib.import_module(name)\n"
        "cli.importlib = types.SimpleNamespace(import_module=slow_import)\n"
        "sys.argv = ['fluxtrap', 'tc', 'mt.dat']\n"
        "cli.main()\n",
    )
    assert done.returncode == code, done.stderr
    assert done.stderr == "interrupted: fluxtrap tc (no write was under way)\n"


def test_a_ctrl_c_as_python_shuts_down_keeps_the_exit_code(tmp_path):
    """A Ctrl-C after the command ended, while Python tears its modules down (its default handler
    back by then), killed the process, exit -2 (7 of 60 random Ctrl-Cs at load 13)."""
    done = run_module(
        tmp_path,
        "import os, signal, sys, types\n"
        "import fluxtrap.cli as cli\n"
        "class Late:\n"
        "    def __del__(self):\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "late = Late()\n"
        "app = types.SimpleNamespace(run=lambda args: 3)\n"
        "cli.importlib = types.SimpleNamespace(import_module=lambda name: app)\n"
        "cli.main()\n",
    )
    assert done.returncode == 3, done.stderr


def test_a_second_ctrl_c_while_the_first_is_said_keeps_the_exit_code(tmp_path, monkeypatch, capsys):
    """A second SIGINT while "interrupted: ..." was printed escaped run() as a KeyboardInterrupt
    traceback, exit -2, after the message (the real-process test's rare -2)."""
    import fluxtrap.simulate.case
    from fluxtrap.cli import run

    app_module = sys.modules["fluxtrap.cli.app"]  # fluxtrap.cli.app is the Typer app

    def read(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)

    def visible_twice(text):  # the message being printed: the impatient second Ctrl-C
        signal.raise_signal(signal.SIGINT)
        return text

    monkeypatch.setattr(fluxtrap.simulate.case.Case, "from_toml", read)
    monkeypatch.setattr(app_module, "visible", visible_twice)
    case = tmp_path / "c.toml"
    case.write_text(SLOW_CASE)
    try:
        code = run(["simulate", str(case), "--out", str(tmp_path / "out")])
    except KeyboardInterrupt:
        code = "a KeyboardInterrupt escaped"
    assert code == 130
    assert "interrupted: fluxtrap simulate (no write was under way)" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_a_signal_ignored_by_the_parent_stays_ignored(tmp_path, monkeypatch, capsys):
    """`fluxtrap ... &` in a script or under nohup starts with SIGINT ignored: a Ctrl-C meant for
    the foreground job stopped it too (its handler replaced the parent's SIG_IGN)."""
    import fluxtrap.cli.campaign
    from fluxtrap.cli import run

    db = str(tmp_path / "lab.db")
    assert run(["campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", db]) == 0
    opened = fluxtrap.cli.campaign.store_from

    def store_from(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)
        return opened(*args, **kwargs)

    monkeypatch.setattr(fluxtrap.cli.campaign, "store_from", store_from)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        code = run(["campaign", "list", "--db", db])
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
    assert code == 0 and "K-Ba122 SPS" in capsys.readouterr().out
