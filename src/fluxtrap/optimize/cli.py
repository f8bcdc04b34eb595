"""CLI of the optimizer: ``fluxtrap suggest``, ``fluxtrap plot model``, ``fluxtrap replay``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fluxtrap.cli_common import CampaignOption, DbOption, console, store_from


def register(app: typer.Typer) -> None:
    """Add the optimizer's commands to the root ``fluxtrap`` app."""
    app.command("suggest")(suggest_cmd)


def suggest_cmd(
    campaign: CampaignOption,
    n: Annotated[int, typer.Option("-n", help="How many suggestions (a batch).")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed (recorded with each suggestion).")] = 0,
    by: Annotated[str | None, typer.Option("--by", help="Who asked.")] = None,
    db: DbOption = None,
) -> None:
    """Fit the campaign's history and record the next N conditions to try (status open)."""
    from fluxtrap.optimize.campaign_loop import suggest

    store = store_from(db)
    records = suggest(store, campaign, n=n, seed=seed, created_by=by)
    spec = store.campaign(campaign)
    table = Table("id", *(f"{p.name} [{p.unit}]" if p.unit else p.name for p in spec.parameters),
                  "acquisition", title=f"{campaign}: next {len(records)} suggestion(s)")
    for r in records:
        acq = "-" if r.acquisition_value is None else f"{r.acquisition_value:.3g}"
        table.add_row(str(r.id), *(f"{r.params[p]:g}" for p in spec.parameter_names), acq)
    console.print(table)
    console.print(_summary_line(records[0].model_summary))
    console.print(f"record a sample made from one: fluxtrap sample add -c {campaign!r} "
                  "--from-suggestion ID --label ... --param ...")


def _summary_line(summary: dict) -> str:
    """One line per objective: LOO error and length-scales (shortest = matters most)."""
    lines = [f"model: {summary.get('model', '?')} on n={summary.get('n', 0)}, "
             f"acquisition {summary.get('acquisition_function', '?')}"]
    for name, o in summary.get("objectives", {}).items():
        ls = ", ".join(f"{k} {v:.3g}" for k, v in sorted(o["lengthscales"].items(), key=lambda kv: kv[1] or 0))
        r2 = "" if o.get("loo_r2") is None else f", LOO R^2 {o['loo_r2']:.2f}"
        lines.append(f"  {name} ({o['goal']}): LOO RMSE {o['loo_rmse']:.3g}{r2}; length-scales {ls}")
    return "\n".join(lines)
