"""``fluxtrap demo``: the main job end to end on a SYNTHETIC virtual lab (see :mod:`fluxtrap.demo`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fluxtrap.cli.common import QuietOption, at_most, on_interrupt, out_dir


def demo(
    out: Annotated[
        Path,
        typer.Option(
            help="Folder for fluxtrap-demo.db and demo-report/.", file_okay=False, callback=out_dir
        ),
    ] = Path("."),
    seed: Annotated[
        int,
        typer.Option(
            help="Seed of the virtual lab and the optimizer.",
            min=0,
            callback=at_most("fluxtrap.optimize.optimizer:MAX_RNG_SEED"),
        ),
    ] = 0,
    quick: Annotated[
        bool, typer.Option("--quick", help="Fewer samples, coarser mesh, shorter hold.")
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Run the main job on a fresh SQLite store with a SYNTHETIC virtual lab: two sintering
    loops, the magnet simulation, the creep fit and an HTML report.

    \b
    Example:
      fluxtrap demo --quick --out demo/
    """
    from fluxtrap.demo.run import DemoSettings, run_demo

    kept = (
        f"demo: {out / 'fluxtrap-demo.db'} holds the part done so far and {out / 'demo-report'} "
        "may be an earlier run's; run the demo again (it starts its store afresh)"
    )
    with on_interrupt(kept):
        run_demo(out, DemoSettings.quick(seed) if quick else DemoSettings(seed=seed), quiet=quiet)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root ``fluxtrap`` app."""
    app.command("demo", short_help="The main job end to end on a SYNTHETIC virtual lab.")(demo)
