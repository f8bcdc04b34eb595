"""Usage mistakes on every command: one line on stderr saying what and where to find help, exit
code 2, never a traceback; `--version`; help text without type tags beside flags."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys

import pytest
import typer

from fluxtrap import __version__
from fluxtrap.cli import app
from fluxtrap.cli.common import MAX_WORKERS
from fluxtrap.store import Store

from ..conftest import EXAMPLES, REPO, cli


def _command_paths(group, path=()) -> list[tuple[str, ...]]:
    """Every command and command group of the CLI, as argument prefixes."""
    paths = [path] if path else []
    for name, command in getattr(group, "commands", {}).items():
        paths += _command_paths(command, (*path, name))
    return paths


COMMANDS = _command_paths(typer.main.get_command(app))


def test_the_walk_finds_every_command_group():
    groups = {p[0] for p in COMMANDS}
    assert {"campaign", "sample", "user", "measure", "plot", "simulation"} <= groups
    assert {"simulate", "sweep", "serve", "suggest", "jc", "tc", "creep", "demo"} <= groups
    assert ("campaign", "show") in COMMANDS and ("sample", "add") in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_an_unknown_option_is_one_line_and_exit_2(capsys, path):
    code, out, err = cli(capsys, *path, "--bogus")
    assert code == 2
    assert err.startswith("error: No such option: --bogus") and err.count("\n") == 1
    assert err.endswith(f"(see 'fluxtrap {' '.join(path)} --help')\n")
    assert out == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulat"], "error: No such command 'simulat'. Did you mean 'simulate', 'simulation'?"),
        (["sample", "add", "-l", "B1", "-p", "ramp_rate=50"], "error: Missing option '--campaign'"),
        (["campaign", "show"], "error: Missing argument 'name'."),
        (
            ["suggest", "-c", "X", "-n", "two"],
            "error: Invalid value for '-n': 'two': give a whole number from 1 to 100",
        ),
        (["campaign", "show", "ghost", "--db", "sqlite://"], "error: no campaign named 'ghost'"),
        (  # the case's check judges the flag's size, and names the flag
            [
                "simulate",
                str(REPO / "examples" / "paper_bulk_pair.toml"),
                "--mesh-size",
                "50 mm",
                "--out",
                "never-written",
            ],
            f"error: {REPO / 'examples' / 'paper_bulk_pair.toml'}: --mesh-size: 50 mm is more "
            "than 2 times",
        ),
    ],
)
def test_usage_and_fluxtrap_errors_are_one_line(capsys, args, message):
    code, out, err = cli(capsys, *args)
    assert code == 2
    assert err.startswith(message) and err.count("\n") == 1, err
    assert "Traceback" not in err and out == ""


def test_version(capsys):
    assert cli(capsys, "--version") == (0, f"fluxtrap {__version__}\n", "")


@pytest.mark.parametrize("path", [(), ("campaign",)], ids=["fluxtrap", "campaign"])
def test_a_bare_group_prints_its_help(capsys, path):
    code, out, err = cli(capsys, *path)
    assert (code, err) == (0, "")
    assert out.startswith(f"Usage: fluxtrap {' '.join(path)}".rstrip() + " [OPTIONS] COMMAND")


@pytest.mark.parametrize("path", [(), ("sample", "add"), ("demo",), ("plot", "model")], ids=str)
def test_help_shows_no_type_tag_beside_flags(capsys, path):
    code, out, _ = cli(capsys, *path, "--help")
    assert code == 0 and "--help" in out
    assert "<bool>" not in out


def test_help_keeps_bracketed_text(capsys):
    """Help strings are plain text, not markup that eats "[...]"."""
    code, out, _ = cli(capsys, "sample", "add", "--help")
    assert code == 0
    assert "[default: $FLUXTRAP_DB or ./fluxtrap.db]" in " ".join(out.split())


# options whose value when left out is not evident from their name: the help says it
UNSTATED_DEFAULTS = [
    ("jc", "--temperature"),
    ("measure", "add", "--temperature"),
    ("creep", "--at"),
    ("creep", "--start"),
    ("compare", "--start"),
    ("safe-ramp", "--mesh-size"),
    ("calibrate", "--bounds"),
    ("sweep", "--timeout"),
]


@pytest.mark.parametrize("path", UNSTATED_DEFAULTS, ids=" ".join)
def test_help_states_the_default(capsys, path):
    *command, option = path
    code, out, _ = cli(capsys, *command, "--help")
    text = " ".join(out.split())
    assert code == 0 and f"{option} <" in text  # its entry in the options, "--at <str>"
    described = text[text.index(f"{option} <") :].split(" --", 1)[0]  # up to the next option
    assert "default" in described, described


@pytest.mark.parametrize(
    "args",
    [["campaign", "show", "--bogus"], ["simulat"], ["sample", "add", "-l", "B1"], ["--version"]],
    ids=" ".join,
)
def test_the_installed_command_prints_no_traceback(tmp_path, args):
    """The real entry point in a fresh process (`python -m fluxtrap`), as a user types it."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "FLUXTRAP_DB": str(tmp_path / "x.db")}
    done = subprocess.run(
        [sys.executable, "-m", "fluxtrap", *args],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert "Traceback" not in done.stderr
    if args == ["--version"]:
        assert (done.returncode, done.stdout) == (0, f"fluxtrap {__version__}\n")
    else:
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [  # each of these ended in an OSError traceback, some after the work was done and stored
        (("export", "-c", "X", "--out", "{dir}"), "'--out': {dir}: a folder; give the file to"),
        (("backup", "X", "--out", "{file}/b.zip"), "{file}/b.zip: {file} is not an existing"),
        (("suggest", "-c", "X", "--out", "{file}/s.csv"), "{file}/s.csv: {file} is not an"),
        (("plot", "model", "-c", "X", "--out", "{file}"), "'--out': {file}: {file} is a file"),
        (("simulate", "{file}", "--out", "{file}/a/b"), "{file}/a/b: {file} is a file, not a"),
        (
            ("simulate", "{file}", "--out", "/proc/fluxtrap-out"),
            "fluxtrap-out: cannot write in /proc",
        ),
        (("tc", "{file}", "--plot", "{dir}"), "'--plot': {dir}: a folder; give the file to"),
        (("demo", "--out", "{file}"), "'--out': dir '{file}' is a file"),
        # a folder that takes no file (even for root): refused at the write, after the work
        (("suggest", "-c", "X", "--out", "/proc/s.csv"), "/proc/s.csv: cannot write in /proc"),
        (("export", "-c", "X", "--out", "/proc/e.csv"), "/proc/e.csv: cannot write in /proc"),
        (("backup", "X", "--out", "/proc/b.zip"), "/proc/b.zip: cannot write in /proc"),
        (("measure", "get", "1", "--out", "/proc/m.dat"), "/proc/m.dat: cannot write in /proc"),
        (("creep", "{file}", "--out", "/proc/c.json"), "/proc/c.json: cannot write in /proc"),
        (("tc", "{file}", "--plot", "/proc/t.png"), "/proc/t.png: cannot write in /proc"),
        (("jc", "{file}", "--plot", "/sys/j.png"), "/sys/j.png: cannot write in /sys"),
    ],
)
def test_an_output_path_that_cannot_be_written_is_refused_first(
    tmp_path, capsys, monkeypatch, args, message
):
    paths = {"dir": str(tmp_path), "file": str(tmp_path / "notes.txt")}
    (tmp_path / "notes.txt").write_text("kept")
    monkeypatch.setenv("FLUXTRAP_DB", str(tmp_path / "lab.db"))  # nothing may create it
    code, _, err = cli(capsys, *(a.format(**paths) for a in args))
    assert code == 2 and err.count("\n") == 1 and message.format(**paths) in err, err
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "kept"


@pytest.mark.parametrize("command", ["replay", "sweep", "safe-ramp", "calibrate"])
@pytest.mark.parametrize("workers", [0, MAX_WORKERS + 1, 10_000])
def test_local_workers_are_one_to_the_cpu_cores(capsys, command, workers):
    code, _, err = cli(capsys, command, "--workers", str(workers))  # before any other check
    said = (
        f"Invalid value for '--workers': '{workers}': give a whole number from 1 to {MAX_WORKERS}"
    )
    assert code == 2 and said in err, err


def test_cpu_cores_is_the_affinity_else_the_count_and_at_least_one(monkeypatch):
    from fluxtrap.cli import common

    monkeypatch.setattr(common.os, "sched_getaffinity", lambda pid: {3}, raising=False)
    monkeypatch.setattr(common.os, "cpu_count", lambda: 8)
    assert common.cpu_cores() == 1  # the cores this process may use, not the machine's
    monkeypatch.delattr(common.os, "sched_getaffinity")
    assert common.cpu_cores() == 8
    monkeypatch.setattr(common.os, "cpu_count", lambda: None)
    assert common.cpu_cores() == 1


@pytest.mark.skipif(not shutil.which("taskset"), reason="taskset (util-linux) not found")
def test_on_one_core_two_workers_are_refused_and_the_default_is_one(tmp_path):
    """Pinned to one core (`taskset -c 0`) the bound is 1 (it was 2 at least: two processes
    sharing one core), and the commands whose default was 2 still run without --workers (a
    default beyond the bound is refused as if typed)."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "FLUXTRAP_DB": str(tmp_path / "x.db")}

    def one_core(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["taskset", "-c", "0", sys.executable, "-m", "fluxtrap", *args],
                              capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)  # fmt: skip

    for command in ("sweep", "safe-ramp", "calibrate", "replay"):
        done = one_core(command, "--workers", "2")
        assert done.returncode == 2, done.stderr
        assert "'--workers': '2': give a whole number from 1 to 1" in done.stderr, done.stderr
    (tmp_path / "disk.toml").write_text(
        'title = "disk"\n[materials.sc]\nn = 25\njc.constant = "2e4 A/cm^2"\n'
        'jc.temperature = { at = "5 K", tc = "38 K", exponent = 1.5 }\n'
        '[[stack]]\nmaterial = "sc"\nradius = "8 mm"\nthickness = "4 mm"\n'
        '[[probes]]\nname = "surface"\nr = "0 mm"\nz = "5 mm"\n'
        '[[protocol]]\nstep = "set"\nfield = "1 T"\ntemperature = "5 K"\n'
    )
    done = one_core("sweep", "disk.toml", "--vary", "temperature=40K", "--out", "s", "--quiet")
    assert done.returncode == 1 and "1 of 1 variants failed" in done.stderr, done.stderr
    done = one_core("calibrate", "disk.toml", "m.csv", "--probe", "surface", "--fit", "sc.n",
                    "--out", "c")  # fmt: skip
    assert done.returncode == 2 and "m.csv" in done.stderr and "--workers" not in done.stderr


@pytest.mark.parametrize(  # -1 was taken as 0; 0 iterations failed in scipy after the start scan
    ("option", "bound"),
    [("--scan", "of at least 0"), ("--max-iterations", "of at least 1")],
)
def test_calibrate_counts_are_checked_before_the_run(capsys, option, bound):
    code, _, err = cli(capsys, "calibrate", option, "-1")
    assert code == 2 and f"Invalid value for '{option}': '-1': give a whole number {bound}" in err


def test_suggest_into_a_folder_that_takes_no_file_stores_nothing(tmp_path, capsys):
    """`suggest --out /proc/s.csv` fitted, stored its suggestion, then failed at the write
    ("cannot write it (No such file or directory)"): now refused first, the store unchanged."""
    db = str(tmp_path / "lab.db")
    assert cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", db)[0] == 0
    for label, (r, t, d) in {"B1": (50, 600, 5), "B2": (30, 650, 15), "B3": (80, 500, 25)}.items():
        params = [f"ramp_rate={r}", f"max_temperature={t}", f"dwell_time={d}"]
        code, _, err = cli(capsys, "sample", "add", "--db", db, "-c", "K-Ba122 SPS", "-l", label,
                           *(x for p in params for x in ("-p", p)), "-o", f"jc_3T={r} kA/cm^2")  # fmt: skip
        assert code == 0, err
    code, _, err = cli(capsys, "suggest", "-c", "K-Ba122 SPS", "--out", "/proc/s.csv", "--db", db)
    assert code == 2 and err.count("\n") == 1 and "cannot write in /proc" in err, err
    assert Store(db).suggestions("K-Ba122 SPS") == []


@pytest.mark.parametrize("command", [("export", "-c", "X"), ("suggest", "-c", "X"), ("creep", "x")])
def test_an_output_file_that_is_a_fifo_is_refused_not_waited_on(
    tmp_path, capsys, monkeypatch, command
):
    fifo = tmp_path / "pipe"  # writing blocked until a reader came; suggest had stored first
    os.mkfifo(fifo)
    monkeypatch.setenv("FLUXTRAP_DB", str(tmp_path / "lab.db"))
    code, _, err = cli(capsys, *command, "--out", str(fifo))
    assert code == 2 and f"'--out': {fifo}: not a regular file (a FIFO or a device)" in err, err
    assert not (tmp_path / "lab.db").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [  # `creep s.csv --out s.csv` replaced the measured series by the fit's JSON
        (("creep", "{data}", "--out", "{data}"), "--out {data}: that is the series file"),
        (("tc", "{data}", "--out", "{link}"), "--out {link}: that is the M(T) file"),
        (
            ("jc", "{data}", "--a", "1 mm", "--b", "1 mm", "--c", "1 mm", "--out", "{data}"),
            "--out {data}: that is the loop file",
        ),
        (
            ("creep", "{data}", "--out", "{png}", "--plot", "{png}"),
            "--plot {png}: that is the --out file",
        ),
        (  # an edited results.csv as the next sweep's list
            ("sweep", "{case}", "--list", "{results}", "--out", "{dir}"),
            "--out {results}: that is the --list file",
        ),
    ],
)
def test_an_output_that_is_the_input_or_another_output_is_refused_first(
    tmp_path, capsys, args, message
):
    data = tmp_path / "s.csv"
    data.write_text("time_s,B_T\n0,1\n10,0.99\n100,0.98\n1000,0.97\n")
    os.link(data, tmp_path / "same.csv")  # the same file by another name
    (tmp_path / "results.csv").write_text("n\n20\n")
    paths = {
        "data": str(data),
        "link": str(tmp_path / "same.csv"),
        "png": str(tmp_path / "o.png"),
        "case": str(EXAMPLES / "paper_zfc_loop.toml"),
        "results": str(tmp_path / "results.csv"),
        "dir": str(tmp_path),
    }
    code, _, err = cli(capsys, *(a.format(**paths) for a in args))
    assert code == 2 and err.count("\n") == 1 and message.format(**paths) in err, err
    assert data.read_text().startswith("time_s,B_T\n0,1\n")
    assert (tmp_path / "results.csv").read_text() == "n\n20\n"
    assert sorted(os.listdir(tmp_path)) == ["results.csv", "s.csv", "same.csv"]


@pytest.mark.parametrize(
    ("port", "bound"),
    [("99999", "from 1 to 65535"), ("-1", "from 1 to 65535")],
)
def test_serve_refuses_a_port_that_is_no_tcp_port(tmp_path, capsys, port, bound):
    db = tmp_path / "lab.db"  # it opened the store, then bind() raised OverflowError (traceback)
    code, _, err = cli(capsys, "serve", "--port", port, "--db", str(db))
    assert code == 2 and f"Invalid value for '--port': '{port}': give a whole number {bound}" in err
    assert not db.exists()


@pytest.mark.parametrize(
    ("seed", "bound"),
    [("-1", "from 0 to 4294967295"), (str(2**32), "from 0 to 4294967295")],
)
def test_demo_refuses_a_seed_before_making_its_store(tmp_path, capsys, seed, bound):
    out = tmp_path / "demo"  # -1 made fluxtrap-demo.db, then numpy's ValueError (traceback)
    code, _, err = cli(capsys, "demo", "--seed", seed, "--out", str(out), "--quiet")
    assert code == 2 and f"'--seed': '{seed}': give a whole number {bound}" in err, err
    assert not out.exists()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("args", [["--version"], ["campaign"], ["tc", "--help"]], ids=" ".join)
def test_a_standard_output_that_cannot_be_written_is_one_line(args):
    """stdout on a full disk (/dev/full: every write fails with ENOSPC) was a traceback from rich,
    print or click, exit 1, for each of the three ways fluxtrap prints."""
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "fluxtrap", *args], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr == "error: cannot write to the standard output (No space left on device)\n"


@pytest.mark.parametrize("args", [["--version"], ["campaign"], ["tc", "--help"]], ids=" ".join)
def test_a_standard_output_closed_at_the_start_is_one_line(tmp_path, args):
    """`fluxtrap ... >&-`: Python's sys.stdout is None, and the first print was an
    AttributeError traceback ('NoneType' object has no attribute 'write'), exit 1."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "FLUXTRAP_DB": str(tmp_path / "x.db")}
    done = subprocess.run([sys.executable, "-m", "fluxtrap", *args], stderr=subprocess.PIPE,
                          text=True, timeout=120, env=env, preexec_fn=lambda: os.close(1))  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr == "error: cannot write to the standard output (it is closed)\n"


def test_an_error_with_the_standard_error_closed_stays_out_of_the_standard_output(tmp_path):
    """`fluxtrap ... 2>&-`: Python's sys.stderr is None, and print(file=None) wrote the error
    (and every warning) into the standard output, among the data."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    args = ["campaign", "list", "--db", str(tmp_path / "nope.db")]
    done = subprocess.run([sys.executable, "-m", "fluxtrap", *args], stdout=subprocess.PIPE,
                          text=True, timeout=120, env=env, preexec_fn=lambda: os.close(2))  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""


@pytest.mark.parametrize(
    "command",
    [
        ["simulate", "case.toml"],
        ["sweep", "case.toml", "--vary", "field=1 T:2 T:2"],
        ["safe-ramp", "case.toml"],
        ["compare", "series.csv", "probes.csv", "--probe", "centre"],
        ["replay", "pool.csv", "--inputs", "a", "--objective", "y"],
        ["plot", "model", "-c", "X"],
        ["demo"],
    ],
    ids=lambda c: c[0] if c[0] != "plot" else "plot model",
)
def test_an_output_folder_no_file_system_can_name_is_one_line(capsys, command):
    """--out of 300 bytes, over a file name's 255: every command writing a folder stopped with an
    OSError traceback (File name too long) from the option's check, exit 1."""
    code, _, err = cli(capsys, *command, "--out", "a" * 300)
    assert code == 2 and err.startswith("error: ") and "File name too long" in err, err
    assert err.count("\n") == 1


def _bounded_numbers() -> list[tuple[tuple[str, ...], str, object, object]]:
    """Every number option or argument with bounds: (command path, option, min, max); an
    argument as its metavar."""
    root, found = typer.main.get_command(app), []  # once: 0.2 s a build, at collection
    for path in COMMANDS:
        command = root
        for name in path:
            command = command.commands[name]
        for p in getattr(command, "params", ()):
            high = getattr(p, "max", None)
            if most := getattr(p.callback, "most", None):  # common.at_most's bound
                module, name = most.split(":")
                high = getattr(importlib.import_module(module), name)
            if getattr(p, "min", None) is not None or high is not None:
                found.append(
                    (path, p.opts[0] if p.param_type_name == "option" else "", p.min, high)
                )
    return found


BOUNDED = _bounded_numbers()


def test_the_walk_finds_the_bounded_numbers():
    options = {(" ".join(path), option) for path, option, *_ in BOUNDED}
    assert {
        ("tc", "--level"),
        ("suggest", "--seed"),
        ("measure get", ""),
        ("demo", "--seed"),
    } <= options
    assert len(BOUNDED) >= 15


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
@pytest.mark.parametrize(("path", "option", "low", "high"), BOUNDED, ids=lambda x: str(x))
def test_a_bounded_number_refuses_nan_and_inf_naming_the_option_and_its_range(
    capsys, path, option, low, high, value
):
    """`tc --level nan` said "Input should be less than or equal to 0.99", `-n inf` "Input
    should be a valid integer": the option, what was given and the range, in one line."""
    given = (option, value) if option else ("--", value)
    if path == ("measure", "derive"):
        given = ("-c", "X", *given)
    code, out, err = cli(capsys, *path, *given)
    assert code == 2 and err.count("\n") == 1 and out == "", err
    assert f"'{value}': give a" in err and (option or "Invalid value for '") in err, err
    shown = (lambda x: f"{x:g}") if isinstance(low or high, float) else str
    span = (
        f"from {shown(low)} to {shown(high)}"
        if low is not None and high is not None
        else f"of at least {shown(low)}"
        if low is not None
        else f"of at most {shown(high)}"
    )
    assert span in err, err


OUT_FILES = [  # a command and its options before the file to write (a store that is not there)
    ("export", "-c", "X", "--db", "lab.db", "--out"),
    ("measure", "get", "1", "--db", "lab.db", "--out"),
    ("creep", "s.csv", "--out"),
    ("creep", "s.csv", "--plot"),
    ("jc", "l.dat", "--out"),
    ("tc", "m.dat", "--plot"),
    ("compare", "s.csv", "run", "--db", "lab.db", "--out"),
    ("backup", "X", "--db", "lab.db", "--out"),
    ("suggest", "-c", "X", "--db", "lab.db", "--out"),
]
OUT_FOLDERS = [  # a command and its options before the folder to write into
    ("simulate", "c.toml", "--out"),
    ("simulation", "show", "1", "--db", "lab.db", "--out"),
    ("sweep", "c.toml", "--vary", "n=10,20", "--out"),
    ("calibrate", "c.toml", "s.csv", "--out"),
    ("safe-ramp", "c.toml", "--out"),
    ("plot", "model", "-c", "X", "--db", "lab.db", "--out"),
    ("replay", "t.csv", "--out"),
]


@pytest.mark.parametrize("args", OUT_FILES + OUT_FOLDERS, ids=" ".join)
@pytest.mark.parametrize("out", ["", " "], ids=["empty", "blank"])
def test_an_empty_output_path_is_refused_as_such(tmp_path, capsys, monkeypatch, args, out):
    """`export --out ""` said "file '' is a directory" (Path("") is the current folder), and
    `compare --out ""` took it for the current folder; nothing is made."""
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, *args, out)
    assert code == 2 and f"Invalid value for '{args[-1]}'" in err, err
    assert f"{out!r} is no path (empty): give a name" in err and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


def _path_arguments() -> list[tuple[str, ...]]:
    """Each command's words up to one of its path arguments (the arguments before it as "x")."""
    root, found = typer.main.get_command(app), []
    for path in COMMANDS:
        command = root
        for name in path:
            command = command.commands[name]
        arguments = [p for p in getattr(command, "params", ()) if p.param_type_name == "argument"]
        for i, p in enumerate(arguments):
            if "Path" in str(p.type_descriptor.annotation):
                found.append((*path, *["x"] * i))
    return found


PATH_ARGUMENTS = _path_arguments()
PATH_OPTIONS = [  # options naming a file or folder to read or write, parsed without path_text
    ("sweep", "c.toml", "--vary", "n=10,20", "--list"),
    ("serve", "--ssl-certfile"),
    ("calibrate", "c.toml", "s.csv", "--predict"),
    ("demo", "--out"),
]


def test_the_walk_finds_the_path_arguments():
    assert {("tc",), ("jc",), ("restore",), ("campaign", "create"), ("measure", "add")} <= set(
        PATH_ARGUMENTS
    )
    assert ("calibrate", "x") in PATH_ARGUMENTS  # MEASURED.csv..., after CASE.toml


@pytest.mark.parametrize("args", PATH_ARGUMENTS + PATH_OPTIONS, ids=" ".join)
@pytest.mark.parametrize("given", ["", " "], ids=["empty", "blank"])
def test_an_empty_path_argument_is_refused_naming_it(tmp_path, capsys, monkeypatch, args, given):
    """`fluxtrap tc ""` said ". : not a regular file" (Path("") is the current folder) and
    `demo --out ""` wrote its store and report into the current folder; nothing is made."""
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, *args, given)
    kind = "value" if args[-1].startswith("--") else "argument"
    assert (code, out) == (2, ""), err
    assert err.startswith("error: Invalid value for '") and err.count("\n") == 1, err
    assert f"{given!r} is no path (the {kind} is empty): give one (see 'fluxtrap " in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args", [("restore", "--db", "lab.db"), ("tc",), ("simulate", "--out", "run")], ids=" ".join
)
def test_a_path_of_thousands_of_characters_is_shown_by_its_ends(
    tmp_path, capsys, monkeypatch, args
):
    """`restore`, `tc`, `simulate` ... of a 6000-character path echoed it whole in the error."""
    monkeypatch.chdir(tmp_path)
    path = "y/" * 3000 + "lab.zip"
    code, out, err = cli(capsys, args[0], path, *args[1:])
    assert (code, out) == (2, "") and err.count("\n") == 1, err
    assert len(err) < 400 and f"({len(path)} characters)" in err and "lab.zip" in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [("tc", "m.dat", "--out"), ("export", "-c"), ("campaign", "show", "X", "--db")]
    + [("sample", "add", "-c", "X", "-l")],
    ids=" ".join,
)
def test_an_option_without_its_value_says_where_to_find_help(tmp_path, capsys, monkeypatch, args):
    """ "Option '--out' requires an argument." was said alone: typer's parser gives that error
    no context, so no "(see 'fluxtrap tc --help')" as every other usage mistake has."""
    monkeypatch.chdir(tmp_path)
    command = " ".join(a for a in args if a.isalpha() and a != "X")
    code, out, err = cli(capsys, *args)
    assert (code, out) == (2, "")
    assert err == (
        f"error: Option '{args[-1]}' requires an argument. (see 'fluxtrap {command} --help')\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ("suggestion", "mark", "-1", "failed"),
        ("measure", "get", "-5"),
        ("simulation", "show", "-1"),
    ],
    ids=" ".join,
)
def test_a_negative_id_says_it_was_read_as_an_option(tmp_path, capsys, monkeypatch, args):
    """`suggestion mark -1 failed` said only "No such option: -1": click reads any word starting
    with - as an option."""
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, *args)
    number = next(a for a in args if a.startswith("-"))
    assert (code, out) == (2, "")
    assert err.startswith(
        f"error: No such option: {number} (a word starting with - is read as an option; no "
        "argument takes a negative number) (see 'fluxtrap "
    ), err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [a for a in OUT_FILES if a[0] != "compare"], ids=" ".join)
def test_an_output_file_that_is_a_folder_is_refused_as_such(tmp_path, capsys, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    code, _, err = cli(capsys, *args, str(tmp_path / "d"))
    said = f"{tmp_path / 'd'}: a folder; give the file to write (e.g. {tmp_path / 'd' / 'NAME'}"
    assert code == 2 and said in err and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["d"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ("export", "-c", "X", "--out=a.csv", "--out", "b.csv"),
            "--out given 2 times ('a.csv', 'b.csv')",
        ),
        (
            ("tc", "m.dat", "--level", "0.9", "--level", "0.8"),
            "--level given 2 times ('0.9', '0.8')",
        ),
        (("suggest", "-c", "A", "-cB", "-n", "1"), "--campaign given 2 times ('A', 'B')"),
        (("suggest", "-c", "X", "-n", "1", "-n2"), "-n given 2 times ('1', '2')"),
    ],
)
def test_an_option_of_one_value_given_twice_is_refused(tmp_path, capsys, monkeypatch, args, said):
    """click kept the last of the two without a word: `export --out a.csv ... --out b.csv`
    wrote b.csv, `tc --level 0.9 --level 0.8` used 0.8."""
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, *args)
    assert code == 2 and err == f"error: {said}: give it once (see 'fluxtrap {args[0]} --help')\n"
    assert out == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "word", "meant"),
    [
        # was "unexpected extra argument (X)": click read -c ampaign
        (("measure", "list", "-campaign", "X"), "-campaign", "--campaign"),
        # was "no campaign named 'ampaign=X'"
        (("measure", "list", "-campaign=X"), "-campaign=X", "--campaign"),
        # was "No such option: -l"
        (("tc", "m.dat", "-level", "0.9"), "-level", "--level"),
        (("export", "-c", "X", "-out", "a.csv"), "-out", "--out"),
    ],
)
def test_a_long_option_with_one_dash_is_refused_naming_the_option_meant(
    tmp_path, capsys, monkeypatch, args, word, meant
):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, *args)
    path = " ".join(a for a in args if a in ("measure", "list", "tc", "export"))
    assert (code, out) == (2, "")
    assert err == (
        f"error: {word!r}: did you mean {meant}? (a long option takes two dashes; see "
        f"'fluxtrap {path} --help')\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_one_dash_word_that_is_an_option_s_value_or_a_short_option_is_taken(tmp_path, capsys):
    db = str(tmp_path / "lab.db")
    assert cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", db)[0] == 0
    args = ("sample", "add", "-c", "K-Ba122 SPS", "-l", "B1", "--notes", "-campaign")
    params = ("-p", "ramp_rate=50", "-p", "max_temperature=600", "-p", "dwell_time=5")
    code, _, err = cli(capsys, *args, *params, "--db", db)
    assert code == 0, err
    assert Store(db).sample("K-Ba122 SPS", "B1").notes == "-campaign"


def test_options_that_repeat_and_values_that_look_like_options_are_not_counted(tmp_path, capsys):
    db = str(tmp_path / "lab.db")
    assert cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", db)[0] == 0
    params = ("-p", "ramp_rate=50", "-p", "max_temperature=600", "-p", "dwell_time=5")
    args = ("sample", "add", "-c", "K-Ba122 SPS", "-l", "B1", *params, "--notes", "-l")
    code, _, err = cli(capsys, *args, "--outside-space", "--outside-space", "--db", db)
    assert code == 0, err
    assert Store(db).sample("K-Ba122 SPS", "B1").notes == "-l"


@pytest.mark.parametrize("db", ["lab.db", "new.db"])
@pytest.mark.parametrize("given", ["fifo", "/dev/urandom"])
def test_restore_of_a_fifo_or_a_device_is_refused_not_waited_on(tmp_path, db, given):
    """`restore` of a FIFO waited for a writer for ever, of /dev/urandom read it without end
    (killed after 25 s); refused at once in one line, no store made, as `tc` and others do."""
    os.mkfifo(tmp_path / "fifo")
    Store(tmp_path / "lab.db").engine.dispose()  # an existing store, and a new one
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "fluxtrap", "restore", given, "--db", db],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"restore {given} still running after 60 s")
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    said = f"error: {given}: not a regular file; a backup archive must be one\n"
    assert done.stderr == said
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "lab.db"]
