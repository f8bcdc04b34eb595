"""A sweep's results: one row per variant (``results_table``), ``results.csv``/``results.json`` and
the ``trapped_<probe>.png`` and ``bore.png`` plots (``write_results``)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fluxtrap import __version__
from fluxtrap.outputs import staged_folder
from fluxtrap.simulate.bore import measured
from fluxtrap.workflows.sweep.cache import BORE_COLUMNS, BORE_ERRORS
from fluxtrap.workflows.sweep.grammar import SHORTCUTS, Axis, Value, column_name
from fluxtrap.workflows.sweep.variants import Variant

SWEEP_OUTPUTS = ("results.csv", "results.json", "trapped_*.png", "bore.png")
LOG_SPAN = 30.0  # a swept parameter whose largest value exceeds this times its least: log axis


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: the ``table`` (one row per variant, as in ``results.csv``), how many
    variants were ``computed`` now (run, if stopped by a limit; not those the cluster lost),
    read from the cache, and ``failed``; ``files`` written."""

    table: pd.DataFrame = field(repr=False)
    computed: int
    cached: int
    failed: int
    files: tuple[Path, ...] = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"SweepResult({len(self.table)} variants: {self.computed} computed, {self.cached} "
            f"from cache, {self.failed} failed)"
        )


def swept_units(axes: Sequence[Axis], rows: Sequence[Mapping[str, Value]]) -> dict[str, str]:
    """Each swept name's unit ("" for a number), in the results table's column order."""
    units = {name: v.unit for name, v in (rows[0].items() if rows else [])}
    units.update({a.name: a.unit for a in axes})
    return units


def results_table(
    variants: Sequence[Variant],
    records: Mapping[str, Mapping[str, Any]],
    cached: set[str],
    axes: Sequence[Axis] = (),
    rows: Sequence[Mapping[str, Value]] = (),
) -> pd.DataFrame:
    """One row per variant: parameters (in their units), probe values (T) with their estimated
    discretization errors (``<probe>_final_error_T``, ``<probe>_max_error_T``), the accuracy
    target, estimate (fractions of the peak self-field) and whether it was reached, the bore's centre
    field (T), homogeneity (ppm), drift (ppm/h), their estimated errors (``bore_centre_error_T``,
    ...; NaN where not finite, not told or not measured, ``bore_errors_not_measured`` saying
    why) and z2, z4, z6 terms (ppm at the DSV edge) with their
    estimated errors (``bore_z2_error_ppm``, ...) when the
    case has a ``[bore]``, a heat run's ``thermal_*`` temperatures (K), heat (J) and their
    estimated errors and its temperature probes' ``<probe>_final_K`` ..., solver counts, wall
    time (s), status, error, key and whether it came from the cache."""
    units = swept_units(axes, rows)
    out = []
    for v in variants:
        row: dict[str, Any] = {column_name(k, units[k]): v.params[k].magnitude for k in units}
        rec = records.get(v.key, {}) if v.case is not None else {}
        summary = rec.get("summary", {})
        for probe, vals in summary.get("probes", {}).items():
            for name in ("final_T", "max_abs_T", "max_abs_self_T", "final_error_T", "max_error_T"):
                row[f"{probe}_{name}"] = vals.get(name, math.nan)
        bore = summary.get("bore")
        if bore:
            row.update({f"bore_{k}": bore[k] for k in BORE_COLUMNS})
            told = (summary.get("accuracy") or {}).get("bore") or {}
            row["bore_errors_not_measured"] = told.get("not_measured") or ""
            errors = measured(told)  # NaN where the run says it measured none
            row.update({f"bore_{k}": _number(errors.get(k)) for k in BORE_ERRORS})
            terms_error = errors.get("axial_terms_error_ppm") or {}
            for term in ("z2", "z4", "z6"):
                row[f"bore_{term}_ppm"] = bore["axial_coefficients"][term]["ppm_at_dsv"]
                row[f"bore_{term}_error_ppm"] = _number(terms_error.get(term))
        thermal = summary.get("thermal", {})  # a heat run: temperatures (K), heat (J), errors
        row.update({f"thermal_{k}": x for k, x in thermal.items() if isinstance(x, int | float)})
        for probe, vals in thermal.get("probes", {}).items():  # quantity = "temperature"
            row.update({f"{probe}_{k}": x for k, x in vals.items()})
        accuracy = summary.get("accuracy")
        if accuracy:  # the target (relative), the estimate reached and whether it met it
            row.update({f"accuracy_{k}": accuracy[k] for k in ("target", "estimate", "reached")})
        for k, val in summary.get("solver", {}).items():
            if k != "wall_s" and isinstance(val, int | float):
                row[f"solver_{k}"] = val
        row.update(
            wall_s=rec.get("wall_s", math.nan),
            status=rec.get("status", "failed"),
            error=v.error or rec.get("error", ""),
            key=v.key,
            cached=v.key in cached,
        )
        out.append(row)
    df = pd.DataFrame(out)
    tail = ["wall_s", "status", "error", "key", "cached"]
    return df[[c for c in df.columns if c not in tail] + tail]


def _number(x: float | None) -> float:
    """``x``, NaN for None (an error estimate that is not finite, or not in the record)."""
    return math.nan if x is None else x


def write_results(
    table: pd.DataFrame,
    out: Path,
    case: Path,
    axes: Sequence[Axis] = (),
    rows: Sequence[Mapping[str, Value]] = (),
) -> list[Path]:
    """``results.csv``, ``results.json`` and the plots, all or none; returns the paths written.
    Plots an earlier sweep into ``out`` drew and this one does not (another case's probes or
    bore) are removed: left beside the new ones they read as this sweep's."""
    units = swept_units(axes, rows)
    meta = {
        "case": str(case),
        "fluxtrap": __version__,
        "parameters": {
            k: {
                "column": column_name(k, u),
                "unit": u,
                "changes": SHORTCUTS[k][1] if k in SHORTCUTS else f"the case's {k}",
            }
            for k, u in units.items()
        },
        "variants": json.loads(table.to_json(orient="records", double_precision=15)),
    }
    # all or none (an interrupted sweep kept the old plots beside a new results.csv)
    with staged_folder(out, owned=SWEEP_OUTPUTS) as stage:
        table.to_csv(stage / "results.csv", index=False, float_format="%.10g")
        (stage / "results.json").write_text(json.dumps(meta, indent=1))
        plots = plot_sweep(table, units, stage)
    return [out / "results.csv", out / "results.json", *(out / p.name for p in plots)]


def _log_spaced(values: pd.Series) -> bool:
    """Whether ``values`` are positive and span more than ``LOG_SPAN`` x (1e-3 ... 1 T/s: on a
    linear axis all but the last sat at its left edge)."""
    return bool((values > 0).all() and values.max() > LOG_SPAN * values.min())


def plot_sweep(table: pd.DataFrame, units: Mapping[str, str], out: Path) -> list[Path]:
    """``trapped_<probe>.png``: final probe field (T) ± its estimated discretization error
    against the first swept parameter (of ``units``, name -> unit), one line per combination of
    the others, and ``bore.png`` (centre field and homogeneity ± theirs) when the case has a
    ``[bore]``;
    failed variants leave gaps, each marked by a red x on the x axis; a parameter of positive
    values spanning over ``LOG_SPAN`` x on a log axis. Nothing when no parameter varies."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    varying = [
        (column_name(k, u), k, u)
        for k, u in units.items()
        if table[column_name(k, u)].nunique() > 1
    ]
    probes = [c[: -len("_final_T")] for c in table.columns if c.endswith("_final_T")]
    if not varying:
        return []
    (x, xname, xunit), others = varying[0], varying[1:]
    groups = [c for c, _, _ in others]
    # (file name, [(column, its error's column, y label, title)]): one panel per column
    figures = [
        (
            f"trapped_{p}.png",
            [
                (
                    f"{p}_final_T",
                    f"{p}_final_error_T",
                    f"final Bz at {p} (T, ± est. error)",
                    f"Trapped field at probe {p!r}",
                )
            ],
        )
        for p in probes
    ]
    if "bore_centre_T" in table and table["bore_centre_T"].notna().any():
        figures.append(
            (
                "bore.png",
                [
                    (
                        "bore_centre_T",
                        "bore_centre_error_T",
                        "centre field (T, ± est. error)",
                        "Bore: centre field",
                    ),
                    (
                        "bore_homogeneity_ppm",
                        "bore_homogeneity_error_ppm",
                        "peak-to-peak over the DSV (ppm, ± est. error)",
                        "Bore: homogeneity",
                    ),
                ],
            )
        )
    paths = []
    for name, panels in figures:
        fig, axes = plt.subplots(
            1, len(panels), figsize=(6 * len(panels), 4), layout="constrained", squeeze=False
        )
        for ax, (y, error, ylabel, title) in zip(axes[0], panels, strict=True):
            for key, part in table.groupby(groups, sort=True) if groups else [((), table)]:
                if part[y].isna().all():
                    continue
                key = key if isinstance(key, tuple) else (key,)
                label = ", ".join(
                    f"{n} = {v:g} {unit}".strip()
                    for (_, n, unit), v in zip(others, key, strict=True)
                )
                yerr = part.get(error)  # the estimated error (None: not in the table)
                ax.errorbar(part[x], part[y], yerr=yerr, fmt="o-", capsize=3, label=label or None)
            failed = table[table[y].isna()]  # no value: marked on the x axis, not left out unsaid
            if len(failed):
                ax.plot(
                    failed[x], [0] * len(failed), "x", color="red", clip_on=False,
                    transform=ax.get_xaxis_transform(),
                    label=f"{len(failed)} of {len(table)} without a value (failed: results.csv)",
                )  # fmt: skip
            if _log_spaced(table[x]):
                ax.set_xscale("log")
            ax.set_xlabel(f"{xname} ({xunit})" if xunit else xname)
            ax.set(ylabel=ylabel, title=title)
            ax.grid(alpha=0.3)
            if groups or len(failed):
                ax.legend(fontsize="small")
        path = out / name
        fig.savefig(path, dpi=120)
        plt.close(fig)
        paths.append(path)
    return paths
