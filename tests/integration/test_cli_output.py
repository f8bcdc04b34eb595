"""What the command line prints is the data as stored: no rich markup read into labels, names
or messages, and no terminal control sequences passed through from them."""

from __future__ import annotations

import io
import re

import pytest
from rich.table import Table

from fluxtrap.cli.common import PlainConsole, visible

from ..conftest import EXAMPLES, cli

ESC = "\x1b"


def _printed(*renderables, **kwargs) -> str:
    out = io.StringIO()
    console = PlainConsole(file=out, width=200, force_terminal=True, color_system=None)
    console.print(*renderables, **kwargs)
    return out.getvalue()


def test_brackets_are_text_not_markup():
    note = "give a coarser [mesh] size or raise [solver] max_wall"
    assert note in _printed(note, style="yellow")
    table = Table("x [mm]", "label")
    table.add_row("1", "[red]R1[/]")
    shown = _printed(table)
    assert "x [mm]" in shown and "[red]R1[/]" in shown


def test_control_characters_are_shown_escaped():
    title = f"bulk {ESC}]0;pwned\a{ESC}[2J\r\x9b1m done"
    table = Table("title")
    table.add_row(title)
    for shown in (_printed(title), _printed(table)):
        assert ESC not in shown and "\a" not in shown and "\x9b" not in shown
        assert "bulk \\x1b]0;pwned\\x07\\x1b[2J\\r\\x9b1m done" in shown
    assert visible("tab\tand\nnewline") == "tab\tand\nnewline"


def test_campaign_show_prints_a_bracketed_label_as_it_is(tmp_path, capsys):
    db = str(tmp_path / "lab.db")
    code, out, err = cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", db)
    assert code == 0, err
    name = out.split("created campaign ", 1)[1].split(" with parameters")[0]
    code, out, err = cli(
        capsys, "sample", "add", "--db", db, "-c", name, "--label", "[red]S1",
        "-p", "ramp_rate=50", "-p", "max_temperature=600", "-p", "dwell_time=5",
    )  # fmt: skip
    assert code == 0, err
    assert "added sample [red]S1" in out
    code, out, err = cli(capsys, "campaign", "show", name, "--db", db)
    assert code == 0, err
    assert "[red]S1" in out


def test_campaign_list_prints_every_name_whole(tmp_path, capsys):
    """campaign list was rich's Table, which cut cells to the width (80 columns piped):
    "K-Ba122 SPS, a long name for a camp…", the name every other command is given."""
    db = str(tmp_path / "lab.db")
    name = "K-Ba122 SPS, a long name for a campaign of many samples"
    toml = (EXAMPLES / "campaign.toml").read_text().replace('"K-Ba122 SPS"', repr(name), 1)
    (tmp_path / "c.toml").write_text(toml)
    assert cli(capsys, "campaign", "create", str(tmp_path / "c.toml"), "--db", db)[0] == 0
    code, out, err = cli(capsys, "campaign", "list", "--db", db)
    assert code == 0, err
    assert name in out and "ramp_rate, max_temperature, dwell_time" in out and "…" not in out


def test_warnings_print_once_as_one_line_without_python_s_source_line(capsys, tmp_path):
    """A probe inside the superconductor and an accuracy target a fixed mesh misses: each was
    shown with Python's file:line and source, and the accuracy note a second time by the CLI."""
    case = tmp_path / "case.toml"
    case.write_text(
        'title = "probe inside"\n[materials.sc]\nn = 20\ne0 = "1e-4 V/m"\n'
        'jc = { constant = "2e4 A/cm^2" }\n[[stack]]\nmaterial = "sc"\nradius = "12.5 mm"\n'
        'thickness = "10 mm"\n[[probes]]\nname = "inside"\nr = "3 mm"\nz = "5 mm"\n'
        '[[protocol]]\nstep = "set"\nfield = "0 T"\ntemperature = "5 K"\n'
        '[[protocol]]\nstep = "ramp_field"\nto = "1 T"\nrate = "1 T/s"\n'
    )
    code, out, err = cli(
        capsys, "simulate", str(case), "-o", str(tmp_path / "out"), "--no-plots", "-q",
        "--mesh-size", "2 mm",
    )  # fmt: skip
    lines = err.splitlines()
    assert code == 0, err
    assert [x.split(":")[1].split()[0] for x in lines] == ["probe", "accuracy"], err
    assert all(x.startswith("warning: ") for x in lines) and "Warning" not in err
    assert "accuracy target" not in out


def test_simulate_says_what_the_run_will_cost_before_it_starts(capsys, tmp_path):
    """A thin disk at the default 1 % took 118 s and 50 628 elements with nothing said before:
    the first line now gives the first pair's elements (an upper estimate: the run's first mesh
    has no more) and the limits the pairs refine within."""
    import json

    case = tmp_path / "case.toml"
    case.write_text(
        'title = "disk"\n[materials.sc]\nn = 20\ne0 = "1e-4 V/m"\n'
        'jc = { constant = "2e4 A/cm^2" }\n[[stack]]\nmaterial = "sc"\nradius = "10 mm"\n'
        'thickness = "4 mm"\n[[probes]]\nname = "above"\nr = "0 mm"\nz = "4.5 mm"\n'
        '[[protocol]]\nstep = "set"\nfield = "0 T"\ntemperature = "5 K"\n'
        '[[protocol]]\nstep = "ramp_field"\nto = "0.5 T"\nrate = "1 T/s"\n'
        '[solver]\naccuracy = "5 %"\n'
    )
    code, out, err = cli(capsys, "simulate", str(case), "-o", str(tmp_path / "out"), "--no-plots")
    assert code == 0, err
    first = out.splitlines()[0]
    said = int(first.split("first pair up to about ")[1].split(" elements")[0].replace(",", ""))
    assert "within 5 % of its own field" in first and "max_elements = 100,000" in first, first
    levels = json.loads((tmp_path / "out" / "summary.json").read_text())["accuracy"]["levels"]
    assert levels[1]["elements"] <= said < 3 * levels[1]["elements"], (said, levels[1])


def help_example(capsys, command: str) -> tuple[str, set[str]]:
    """``command``'s help: its example line (checked to start with the command and to use only
    options the command has, at least one) and the set of its options."""
    code, text, _ = cli(capsys, *command.split(), "--help")
    assert code == 0 and "Example:" in text
    example = text.split("Example:", 1)[1].strip().splitlines()[0]
    assert example.startswith(f"fluxtrap {command} ")
    options = set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", text.split("Options:", 1)[1]))
    used = set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", example))
    assert used and used <= options, used - options
    return example, options


@pytest.mark.parametrize("group", ["", "measure", "user", "sample", "campaign", "simulation",
                                   "suggestion", "plot"])  # fmt: skip
def test_each_help_says_what_each_command_does_in_a_whole_line(capsys, monkeypatch, group):
    """`fluxtrap --help`, a new user's first page, and the groups' cut 30 commands' first
    sentences at the columns left: "Flux creep: fit B(t) = a - b ln t, S = b / B...", "Create a
    web-API user and print its token (shown once; only its...". Each now has a line that fits
    (backup and restore are cli/backup.py's)."""
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = cli(capsys, *group.split(), "--help")
    assert code == 0
    listed = dict(re.findall(r"(?m)^  (\S+) +(.+)$", out.split("Commands:")[1]))
    cut = {name: text for name, text in listed.items() if text.endswith("...")}
    assert set(cut) <= {"backup", "restore"}, cut


@pytest.mark.parametrize(
    "command", ["compare", "sweep", "safe-ramp", "replay", "plot model", "demo"]
)
def test_a_folder_writing_command_shows_an_example_of_its_own_options(capsys, command):
    """Their help had no example (a new user had to piece one together from the options); each
    shows one whose options the command has, writing a folder, and the example cases exist."""
    example, options = help_example(capsys, command)
    assert re.search(r"--out \S+/", example), example
    for case in re.findall(r"examples/\S+\.toml", example):
        assert (EXAMPLES.parent / case).is_file(), case


@pytest.mark.parametrize(
    "command",
    ["jc", "tc", "creep", "export", "backup", "suggest", "simulation show"],
)
def test_a_file_writing_command_shows_an_example_that_runs_as_written(capsys, command):
    """Each help shows one example line, and every option of it is one the command has (and it
    says --overwrite), so the line can be copied."""
    _, options = help_example(capsys, command)
    assert "--overwrite" in options


def test_a_progress_bar_writes_nothing_into_a_pipe(tmp_path, capsys):
    """backup, restore and replay began their output with a blank line where the standard
    output is no terminal (rich's transient bar, left on), so a script reading the first line
    read nothing."""
    db, archive = str(tmp_path / "lab.db"), str(tmp_path / "lab.zip")
    assert cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", db)[0] == 0
    table = tmp_path / "t.csv"
    table.write_text("a,b,y\n1,2,3\n2,3,4\n3,1,2\n4,4,1\n5,2,6\n")
    runs = {
        "backed up": ("backup", "K-Ba122 SPS", "--out", archive, "--db", db),
        "restored": ("restore", archive, "--db", str(tmp_path / "new.db")),
        "t.csv: pool N=5": ("replay", str(table), "--inputs", "a,b", "--objective", "y")
        + ("--budget", "3", "--repeats", "1", "--out", str(tmp_path / "r")),
    }
    for first, args in runs.items():
        code, out, err = cli(capsys, *args)
        assert code == 0, err
        assert out.startswith(first), repr(out[:80])


def test_export_counts_its_samples_in_words_that_agree(tmp_path, capsys):
    """One sample exported was said "wrote 1 samples"."""
    db = str(tmp_path / "lab.db")
    assert cli(capsys, "campaign", "create", str(EXAMPLES / "campaign.toml"), "--db", db)[0] == 0
    export = ("export", "-c", "K-Ba122 SPS", "--db", db, "--out")
    assert (
        cli(capsys, *export, str(tmp_path / "h0.csv"))[1]
        == f"wrote 0 samples to {tmp_path / 'h0.csv'}\n"
    )
    params = ("-p", "ramp_rate=50", "-p", "max_temperature=600", "-p", "dwell_time=5")
    assert (
        cli(capsys, "sample", "add", "-c", "K-Ba122 SPS", "-l", "B1", *params, "--db", db)[0] == 0
    )
    assert (
        cli(capsys, *export, str(tmp_path / "h1.csv"))[1]
        == f"wrote 1 sample to {tmp_path / 'h1.csv'}\n"
    )


def test_no_help_shows_markup_and_a_status_filter_names_its_statuses(capsys, monkeypatch):
    """`suggestion mark --help` printed the docstring's reST literally ("``fluxtrap sample add
    --from-suggestion ID``"), and `suggestion list --status` said "Only this status." without
    naming one."""
    import typer.main

    from fluxtrap.cli import app
    from fluxtrap.store.models import SUGGESTION_STATUSES

    monkeypatch.setenv("COLUMNS", "200")

    def commands(group, path=()):
        for name, command in getattr(group, "commands", {}).items():
            yield (*path, name)
            yield from commands(command, (*path, name))

    shown = {}
    for path in commands(typer.main.get_command(app)):
        code, text, _ = cli(capsys, *path, "--help")
        assert code == 0, path
        shown[path] = text
    assert len(shown) > 40 and [p for p, text in shown.items() if "``" in text] == []
    status = shown["suggestion", "list"].split("--status", 1)[1].split("--db")[0]
    assert all(s in status for s in SUGGESTION_STATUSES), status


@pytest.mark.parametrize(
    ("command", "option"),
    [
        ("tc", "--level"),  # "Fraction for the criterion (0.9)."
        ("creep", "--column"),  # "Field column when there are several."
        ("compare", "--column"),
        ("calibrate", "--column"),
        ("simulate", "--mesh-size"),  # 'Override the case's mesh size, e.g. "2 mm".'
    ],
)
def test_an_optional_value_says_what_holds_without_it(command, option):
    import typer.main

    from fluxtrap.cli import app

    params = typer.main.get_command(app).commands[command].params
    (shown,) = [p.help for p in params if option in p.opts]
    assert "default" in shown, shown
