"""``fluxtrap simulate CASE.toml --out DIR [--quiet] [--vtu]`` (design section 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fluxtrap.cli_common import QuietOption, console
from fluxtrap.errors import SolverError


def simulate_command(
    case: Annotated[Path, typer.Argument(help="Simulation case file (TOML, design section 3).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for probes.csv, summary.json, plots.")
    ],
    quiet: QuietOption = False,
    vtu: Annotated[
        bool, typer.Option("--vtu", help="Also write VTU snapshots for ParaView.")
    ] = False,
    mesh_size: Annotated[
        str | None, typer.Option("--mesh-size", help='Override the case\'s mesh size, e.g. "2 mm".')
    ] = None,
) -> None:
    """Simulate a stack of bulk superconductors through a field/temperature protocol."""
    from fluxtrap.simulate.case import Case
    from fluxtrap.simulate.simulation import Simulation
    from fluxtrap.units import parse

    c = Case.load(case)
    if mesh_size:
        c = c.with_options(mesh_size_m=parse(mesh_size, "length", "--mesh-size"))
    try:
        result = Simulation(c).run(progress=not quiet)
    except SolverError as err:
        partial = getattr(err, "result", None)
        if partial is not None:
            partial.save(out, vtu=vtu)
            console.print(f"[yellow]results up to the failure written to {out}[/]")
        raise
    result.save(out, vtu=vtu)
    if not quiet:
        s = result.summary()
        for name, p in s["probes"].items():
            console.print(f"{name}: final {p['final_T']:.4f} T, max |Bz| {p['max_abs_T']:.4f} T")
        sv = s["solver"]
        console.print(
            f"{sv['elements']} elements, {sv['dofs']} dofs, {sv['time_steps']} steps, "
            f"{sv['newton_iterations']} Newton iterations, {sv['wall_s']:.2f} s; wrote {out}"
        )


def register(app: typer.Typer) -> None:
    """Add ``simulate`` to the root ``fluxtrap`` app."""
    app.command("simulate")(simulate_command)
