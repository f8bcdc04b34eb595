"""The root ``fluxtrap`` command: each command group lives in its own module of this package and
registers itself here (heavy libraries such as torch and FastAPI load on first use only)."""

from __future__ import annotations

import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from fluxtrap import __version__
from fluxtrap.cli import (
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
    sweep,
    users,
)
from fluxtrap.cli.common import Interrupted, Terminated, console, visible
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
    """Run the CLI on ``args``: a usage mistake or a FluxtrapError prints one line and returns 2;
    a warning prints one line, ``warning: ...``, without Python's source line; SIGTERM stops a
    command as Ctrl-C does (it killed the process mid-write, leaving hidden partial files)."""
    with warnings.catch_warnings(), _signals_noted() as received:
        warnings.showwarning = _show_warning
        return _run(args, received)


@contextmanager
def _signals_noted() -> Iterator[list[int]]:
    """SIGINT and SIGTERM noted in the list yielded, SIGINT raising ``KeyboardInterrupt`` as
    Python's own handler does, SIGTERM ``Terminated``; only the main thread can set a signal
    handler, elsewhere nothing changes."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def interrupt(signum, frame):
        received.append(signum)
        raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {visible(str(message))}", file=sys.stderr)


def _run(args: list[str] | None, received: list[int]) -> int:
    try:
        rv = app(args=args, standalone_mode=False, prog_name="fluxtrap")
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
        return _usage_error(err)
    if received and rv == 130:  # a signal outside any on_interrupt: typer's silent exit 130
        command = next((a for a in args or [] if not a.startswith("-")), "")
        print(f"interrupted: fluxtrap {visible(command)} (no write was under way)", file=sys.stderr)
        return 143 if received[-1] == signal.SIGTERM else 130
    return rv if isinstance(rv, int) else 0


def _usage_error(err: typer.TyperException) -> int:
    """Print a usage mistake as one line with where to find help; a bare group prints its help."""
    ctx = getattr(err, "ctx", None)
    message = err.format_message()
    if ctx is not None and message == ctx.get_help():  # `fluxtrap` or `fluxtrap campaign` alone
        print(message)
        return 0
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    print(f"error: {visible(message)}{hint}", file=sys.stderr)
    return 2


def main() -> None:
    sys.exit(run(sys.argv[1:]))
