"""The root ``fluxtrap`` command: each command group lives in its own module of this package and
registers itself here (heavy libraries such as torch and FastAPI load on first use only)."""

from __future__ import annotations

import sys
from typing import Annotated

import click
import typer

from fluxtrap import __version__
from fluxtrap.cli import campaign, compare, demo, measure, optimize, serve, simulate, sweep, users
from fluxtrap.cli.common import console
from fluxtrap.errors import FluxtrapError

app = typer.Typer(
    help="fluxtrap: sintering campaigns, magnetometry, Bayesian optimization and trapped-field "
    "simulation for bulk superconducting magnets.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
campaign.register_groups(app)
users.register(app)
measure.register(app)
compare.register(app)
sweep.register(app)
serve.register(app)
optimize.register(app)
simulate.register(app)
campaign.register(app)
demo.register(app)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        console.print(f"fluxtrap {__version__}")
        raise typer.Exit()


# -- entry point ------------------------------------------------------------------------------
def run(args: list[str] | None = None) -> int:
    """Run the CLI on ``args``; user errors print one line and return 2."""
    try:
        rv = app(args=args, standalone_mode=False, prog_name="fluxtrap")
    except FluxtrapError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except click.ClickException as err:
        err.show()
        return err.exit_code
    except click.exceptions.Abort:
        print("aborted", file=sys.stderr)
        return 1
    return rv if isinstance(rv, int) else 0


def main() -> None:
    sys.exit(run(sys.argv[1:]))
