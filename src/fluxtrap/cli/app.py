"""The root ``fluxtrap`` command: each command group lives in its own module of this package and
registers itself here (heavy libraries such as torch and FastAPI load on first use only)."""

from __future__ import annotations

import copy
import importlib
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, get_args

import typer

from fluxtrap import __version__
from fluxtrap.cli import (
    STDOUT_LOST,
    WatchedStdout,
    backup,
    calibrate,
    campaign,
    compare,
    demo,
    measure,
    optimize,
    safe_ramp,
    serve,
    simulate,
    stdout_lost,
    sweep,
    users,
)
from fluxtrap.cli.common import Interrupted, Terminated, console, path_text, visible
from fluxtrap.errors import FluxtrapError

app = typer.Typer(
    help="fluxtrap: sintering campaigns, magnetometry, Bayesian optimization and trapped-field "
    "simulation for bulk superconducting magnets.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: no "<bool>" beside flags, "[default: ...]" kept as text
)
campaign.register_groups(app)
users.register(app)
measure.register(app)
compare.register(app)
sweep.register(app)
serve.register(app)
optimize.register(app)
simulate.register(app)
safe_ramp.register(app)
calibrate.register(app)
campaign.register(app)
backup.register(app)
demo.register(app)


def _print_version(value: bool) -> None:
    if value:
        console.print(f"fluxtrap {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    pass


# -- entry point ------------------------------------------------------------------------------
def run(args: list[str] | None = None) -> int:
    """Run the CLI on ``args``: a usage mistake, a FluxtrapError or a standard output that cannot
    be written (a full disk: it was a traceback) prints one line and returns 2;
    a warning prints one line, ``warning: ...``, without Python's source line; SIGTERM stops a
    command as Ctrl-C does (it killed the process mid-write, leaving hidden partial files)."""
    if sys.stderr is None:  # started with it closed (2>&-): print(file=None) wrote the errors
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - and warnings among stdout's data
    out = WatchedStdout(sys.stdout)
    with warnings.catch_warnings(), _signals_noted() as noted, _stdout_as(out):
        warnings.showwarning = _show_warning
        try:
            code = _run(args, noted)
        except KeyboardInterrupt:  # a second signal as the first one's stop was being said
            code = _stopped(args, noted.received)
        except OSError:
            if out.error is None:
                raise  # not the standard output's: a bug, shown whole
        if (err := stdout_lost(out)) is None:
            return code
        if isinstance(err, BrokenPipeError):  # `fluxtrap ... | head`: the reader had enough
            return 1
        print(f"error: {STDOUT_LOST} ({err.strerror or err})", file=sys.stderr)
        return 2


@contextmanager
def _stdout_as(out) -> Iterator[None]:
    """``sys.stdout`` is ``out`` while the block runs."""
    previous, sys.stdout = sys.stdout, out
    try:
        yield
    finally:
        sys.stdout = previous


@dataclass
class _Noted:
    """The signals received while a command ran; ``ended``: the command has returned or raised,
    a signal from then on is noted only."""

    received: list[int] = field(default_factory=list)
    ended: bool = False


@contextmanager
def _signals_noted() -> Iterator[_Noted]:
    """SIGINT and SIGTERM noted, SIGINT raising ``KeyboardInterrupt`` as Python's own handler
    does, SIGTERM ``Terminated``, until the command ends (``_Noted.ended``): a second Ctrl-C
    while the first one's "interrupted:" was printed, or as the handlers were put back, escaped
    as a KeyboardInterrupt traceback, exit -2. A signal ignored when it starts (``nohup``, ``cmd
    &`` in a script) stays ignored; only the main thread can set a signal handler, elsewhere
    nothing changes."""
    noted = _Noted()
    if threading.current_thread() is not threading.main_thread():
        yield noted
        return

    def interrupt(signum, frame):
        noted.received.append(signum)
        if not noted.ended:
            raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt

    previous = {}
    try:
        for s in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(s) != signal.SIG_IGN:
                previous[s] = signal.signal(s, interrupt)
        yield noted
    finally:
        noted.ended = True
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {visible(str(message))}", file=sys.stderr)


def _run(args: list[str] | None, noted: _Noted) -> int:
    command = None
    try:
        try:
            command = typer.main.get_command(_tree(args))
            for check in (_single_dash, _given_twice, _empty_path):
                if (refusal := check(command, args or [])) is not None:
                    print(f"error: {visible(refusal)}", file=sys.stderr)
                    return 2
            rv = command(args=args, standalone_mode=False, prog_name="fluxtrap")
        finally:
            noted.ended = True
    except FluxtrapError as err:
        print(f"error: {visible(str(err))}", file=sys.stderr)
        return 2
    except Interrupted as err:
        print(f"interrupted: {visible(str(err))}", file=sys.stderr)
        return err.code
    except typer.Abort:
        print("aborted", file=sys.stderr)
        return 1
    except typer.TyperException as err:  # typer's own click's ClickException and UsageError
        where = _option_words(command, args or [])[0] if command is not None else ["fluxtrap"]
        return _usage_error(err, " ".join(where))
    if noted.received and rv == 130:  # a signal outside any on_interrupt: typer's silent 130
        return _stopped(args, noted.received)
    return rv if isinstance(rv, int) else 0


def _tree(args: list[str] | None) -> typer.Typer:
    """The app with only the command or group ``args`` starts with: typer reads every command's
    options each time it builds a tree (55 ms for all of them); the whole app for anything else
    (``--help``, ``--version``, a misspelt command, whose "no such command" needs every name)."""
    name = next(iter(args or ()), None)
    commands = [c for c in app.registered_commands if c.name == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    tree = copy.copy(app)  # a shallow copy: the lists below are its own
    tree.registered_commands, tree.registered_groups = commands, groups
    return tree


def _stopped(args: list[str] | None, received: list[int]) -> int:
    """Say that ``fluxtrap CMD`` was stopped where no write was under way: 130, 143 for SIGTERM."""
    command = next((a for a in args or [] if not a.startswith("-")), "")
    print(f"interrupted: fluxtrap {visible(command)} (no write was under way)", file=sys.stderr)
    return 143 if received and received[-1] == signal.SIGTERM else 130


def _usage_error(err: typer.TyperException, where: str) -> int:
    """Print a usage mistake as one line with where to find help (``where``, the command the
    words name, when the error carries no context: typer's parser raises "Option '--out'
    requires an argument." without one, and it was said with no hint); a bare group prints its
    help."""
    ctx = getattr(err, "ctx", None)
    message = err.format_message()
    if ctx is not None and message == ctx.get_help():  # `fluxtrap` or `fluxtrap campaign` alone
        print(message)
        return 0
    if (ranged := _range_text(err)) is not None:
        err.message = ranged
        message = err.format_message()
    if _is_number(getattr(err, "option_name", None) or ""):  # `suggestion mark -1 failed`
        message += (
            " (a word starting with - is read as an option; no argument takes a negative number)"
        )
    hint = f" (see '{ctx.command_path if ctx is not None else where} --help')"
    print(f"error: {visible(message)}{hint}", file=sys.stderr)
    return 2


def _is_number(word: str) -> bool:
    """Whether ``word`` reads as a number ("-1", "-2.5e3")."""
    try:
        float(word)
    except ValueError:
        return False
    return True


def _range_text(err: typer.TyperException) -> str | None:
    """What a number option with bounds (``min``/``max``) was given and may take, for typer's
    refusal of it: "'nan': give a number from 0.5 to 0.99" (``tc --level nan`` was "Input should
    be less than or equal to 0.99", ``-n inf`` "Input should be a valid integer"); None for any
    other refusal."""
    param = getattr(err, "param", None)
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if high is None and (most := getattr(getattr(param, "callback", None), "most", None)):
        module, name = most.split(":")  # common.at_most's bound ("-n 1e9" said "at least 1")
        high = getattr(importlib.import_module(module), name)
    errors = getattr(err.__cause__, "errors", None)  # typer's: a pydantic ValidationError
    if (low is None and high is None) or not callable(errors) or not errors():
        return None
    annotation = param.type_descriptor.annotation
    whole = int in (annotation, *getattr(annotation, "__args__", ()))

    def shown(x: float) -> str:
        return str(x) if whole else f"{x:g}"

    span = (
        f"from {shown(low)} to {shown(high)}"
        if low is not None and high is not None
        else f"of at least {shown(low)}"
        if low is not None
        else f"of at most {shown(high)}"
    )
    given = str(errors()[0].get("input", ""))
    if len(given) > 40:
        given = given[:40] + "..."
    return f"{given!r}: give {'a whole number' if whole else 'a number'} {span}"


def _option_words(command, args: list[str]) -> tuple[list[str], list[tuple[str, Any, str]], Any]:
    """The command ``args`` name (its path of names, from "fluxtrap"), and each word of ``args``
    in an option's place before ``--`` as (word, the option that takes a value it names or None,
    its value: attached or the next word), with the command itself."""
    path, rest = ["fluxtrap"], list(args)
    while rest and rest[0] in getattr(command, "commands", {}):
        path.append(rest[0])
        command = command.commands[rest.pop(0)]
    options = {
        name: p
        for p in getattr(command, "params", ())
        if p.param_type_name == "option" and not p.is_flag
        for name in p.opts + p.secondary_opts
    }
    words: list[tuple[str, Any, str]] = []
    i = 0
    while i < len(rest) and rest[i] != "--":
        token = rest[i]
        name, value = token.partition("=")[::2] if token.startswith("--") else (token[:2], None)
        p = options.get(name) if token.startswith("-") else None
        given = ""
        if p is not None:
            if token.startswith("--"):
                attached = value if "=" in token else None
            else:  # -n 2 or -n2
                attached = token[2:] or None
            given = attached if attached is not None else (rest[i + 1] if i + 1 < len(rest) else "")
            i += attached is None  # its value is the next word
        words.append((token, p, given))
        i += 1
    return path, words, command


def _given_twice(command, args: list[str]) -> str | None:
    """The refusal of an option that takes one value given twice (``export --out a.csv ...
    --out b.csv``, ``tc --level 0.9 --level 0.8``: click kept the last without a word), with
    where to find help; None if there is none. Options that take a value each time
    (``--param``) and flags may repeat; the words after ``--`` are not options."""
    path, words, _ = _option_words(command, args)
    seen: dict[str, list[str]] = {}
    for _, p, given in words:
        if p is not None and not p.multiple:
            seen.setdefault(p.opts[0], []).append(given)
    for option, values in seen.items():
        if len(values) > 1:
            shown = ", ".join(repr(v[:40]) for v in values)
            return (
                f"{option} given {len(values)} times ({shown}): give it once "
                f"(see '{' '.join(path)} --help')"
            )
    return None


def _single_dash(command, args: list[str]) -> str | None:
    """The refusal of a long option written with one dash (``-campaign X``: click read it as
    ``-c ampaign`` and said "unexpected extra argument (X)", or took "ampaign" for the campaign),
    naming the option meant; None if there is none. A word that is an option's value is none."""
    path, words, command = _option_words(command, args)
    longs = {
        name
        for p in getattr(command, "params", ())
        if p.param_type_name == "option"
        for name in p.opts + p.secondary_opts
        if name.startswith("--")
    }
    shorts = {
        name
        for p in getattr(command, "params", ())
        if p.param_type_name == "option"
        for name in p.opts + p.secondary_opts
        if not name.startswith("--")
    }
    for token, _, _ in words:
        if token.startswith("-") and not token.startswith("--") and token not in shorts:
            meant = "-" + token.partition("=")[0]
            if meant in longs:
                return (
                    f"{token[:40]!r}: did you mean {meant}? (a long option takes two dashes; "
                    f"see '{' '.join(path)} --help')"
                )
    return None


def _empty_path(command, args: list[str]) -> str | None:
    """The refusal of an empty or blank path argument (``fluxtrap tc ""``: Path("") is the
    current folder, said as ". : not a regular file"), naming the argument, with where to find
    help; None if there is none, --help is asked for or the words do not parse (the command then
    says why). An option parsed by ``path_text`` says it itself."""
    from typer import _click  # typer's own click: its parser reads the words as the command will

    path, _, command = _option_words(command, args)
    rest = args[len(path) - 1 :]
    ctx = _click.Context(command, info_name=path[-1], resilient_parsing=True)
    try:
        given, _, _ = command.make_parser(ctx).parse_args(args=rest)
    except _click.UsageError:
        return None
    if (asked := command.get_help_option(ctx)) is not None and given.get(asked.name):
        return None  # --help is shown whatever else was given
    for p in getattr(command, "params", ()):
        info = getattr(p, "type_descriptor", None)
        if info is None or not _names_paths(info.annotation):
            continue
        if info.parameter_info.parser is path_text:
            continue
        value = given.get(p.name)
        values = value if isinstance(value, list | tuple) else [value]
        for text in values:
            if isinstance(text, str) and not text.strip():
                kind = "argument" if p.param_type_name == "argument" else "value"
                return (
                    f"Invalid value for {p.get_error_hint()}: {text!r} is no path (the {kind} is "
                    f"empty): give one (see '{' '.join(path)} --help')"
                )
    return None


def _names_paths(annotation) -> bool:
    """Whether a parameter of this type annotation takes paths (``Path``, ``Path | None``,
    ``list[Path]``)."""
    return annotation is Path or any(_names_paths(a) for a in get_args(annotation))
