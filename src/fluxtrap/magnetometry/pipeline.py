"""From a raw file to what is derived from it: metadata, derived curves, objective values.

Pure functions (no database): ``fluxtrap.workflows.measurements.record_measurement`` (the path of
``fluxtrap measure add``, the web upload and the demo) calls ``derive`` on the file's bytes, then
``objective_values`` with the campaign, and hands all of it to the store in one transaction, so a
file that cannot be analysed writes nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fluxtrap.campaign import CampaignSpec
from fluxtrap.errors import AnalysisError, ValidationError
from fluxtrap.magnetometry.bean import drifted, jc_from_width
from fluxtrap.magnetometry.jc import JcCurve
from fluxtrap.magnetometry.loops import check_sample, loop_width
from fluxtrap.magnetometry.readers import read
from fluxtrap.magnetometry.table import MeasurementTable
from fluxtrap.magnetometry.tc import (
    DEFAULT_CRITERION,
    TcResult,
    find_tc,
    held_field_part,
    split_sweeps,
)
from fluxtrap.outputs import jsonable

JC_CURVE = "jc"  # curve kind: columns B_T, Jc_A_m2, unpenetrated (0/1), Jc_err_A_m2 (1 sigma)
LOOP_WIDTH_CURVE = "loop_width"  # columns B_T, dm_Am2 (m_decreasing - m_increasing)
TC_CURVE = "tc_fit"  # one per sweep: columns T_K, m_Am2 (measured), fit_Am2; settings: the fit
DERIVABLE = ("mh_loop", "mt_curve")


def kind_name(text: str, where: str) -> str:
    """The one of ``DERIVABLE`` a user typed, in any case, '-' for '_' and padding ("MH_LOOP",
    " mt-curve "); else a ValidationError naming ``where`` ("--kind"), the kinds and the nearest
    one, a kind the text begins ("MH": 'mh_loop', "M(T)": 'mt_curve') or else difflib's: "MH"
    had been refused as one of mh_loop, mt_curve with no hint."""
    name = str(text).strip().lower().replace("-", "_")
    if name in DERIVABLE:
        return name
    from fluxtrap.inputs import near

    letters = re.sub(r"[^a-z]", "", name)[:40]
    begun = [k for k in DERIVABLE if letters and k.replace("_", "").startswith(letters)]
    close = begun[0] if len(begun) == 1 else near(name[:40], DERIVABLE)
    hint = f" (did you mean {close!r}?)" if close else ""
    raise ValidationError(f"{where} {str(text)[:40]!r}: one of {', '.join(DERIVABLE)}{hint}")


@dataclass(frozen=True)
class DerivedCurve:
    """A curve derived from a file: ``columns`` maps column names (with units) to equal-length
    lists; ``method`` and ``settings`` say how it was derived."""

    kind: str
    method: str
    settings: dict[str, Any]
    columns: dict[str, list[float]]


_KIND_TEXT = {
    "mh_loop": "an M(H) loop",
    "mt_curve": "an M(T) curve",
    "unknown": "neither M(H) nor M(T) data",
}


def derive(
    kind: str,
    content: bytes,
    filename: str,
    a_m: float,
    b_m: float,
    c_m: float,
    *,
    temperature_K: float | None = None,
    columns: Mapping[str, str] | None = None,
    force: bool = False,
    shape: str = "bar",
) -> tuple[dict[str, Any], list[DerivedCurve], JcCurve]:
    """Read ``content`` (raw file bytes) and derive Jc(B) of an a x b x c bar (m, or with a unit;
    a <= b across the field), or of a cylinder of diameter a = b and thickness c
    (``shape="cylinder"``).

    Returns the measurement metadata (JSON-friendly; ``temperature_K`` is the analysed loop's),
    the curves to store (Jc(B) and the loop width) and the ``JcCurve``. ``temperature_K`` picks a
    loop in a multi-temperature file. A loop that is not a superconductor's is refused
    (AnalysisError) unless ``force``, which the Jc curve's settings record (``forced``).
    Raises InputFileError / AnalysisError / ValidationError.
    """
    if kind != "mh_loop":
        raise ValidationError(
            f"measurement kind {kind!r}: derive() handles mh_loop (derive_tc: mt_curve)"
        )
    a_m, b_m, c_m = check_sample(a_m, b_m, c_m, shape)
    table = _read(content, filename, columns, kind)
    width = loop_width(table, temperature_K=temperature_K)
    jc = jc_from_width(width, a_m, b_m, c_m, source=filename, force=force, shape=shape)
    settings = dict(jc.settings)
    # None, not NaN, for a file without temperatures: NaN is not JSON (PostgreSQL refuses it)
    t = float(width.temperature_K) if np.isfinite(width.temperature_K) else None
    metadata = {
        **table.metadata.to_dict(),
        "temperature_K": t,
        "n_points": len(table),
        "sample_edges_m": [a_m, b_m, c_m],
        "sample_shape": shape,
    }
    curves = [
        DerivedCurve(
            kind=JC_CURVE,
            method=jc.method,
            settings={**settings, "temperature_K": t},
            columns=jc.to_columns(),
        ),
        DerivedCurve(
            kind=LOOP_WIDTH_CURVE,
            method="branch_interpolation",
            settings={
                "loop": width.loop,
                "temperature_K": t,
                "background_Am2_per_T": width.background_Am2_per_T,
            },
            columns={
                "B_T": width.field_T.tolist(),
                "dm_Am2": width.dm_Am2.tolist(),
                "dm_err_Am2": jsonable(width.dm_err_Am2),
            },
        ),
    ]
    return metadata, curves, jc


def _read(
    content: bytes,
    filename: str,
    columns: Mapping[str, str] | None,
    kind: str,
    part: Callable[[MeasurementTable], tuple[MeasurementTable, str]] | None = None,
) -> MeasurementTable:
    """The file's table, refused (AnalysisError) unless it holds ``kind`` (or ``part`` of it
    does: the M(T) rows of a file that also sweeps the field)."""
    table = read(content, filename=filename, columns=columns)
    if table.kind != kind and part is not None and part(table)[1]:
        return table
    if table.kind != kind:
        raise AnalysisError(
            f"{filename}: the file holds {_KIND_TEXT.get(table.kind, table.kind)} "
            f"({table.field_span_note()}), not {_KIND_TEXT[kind]}"
        )
    return table


def derive_tc(
    content: bytes,
    filename: str,
    *,
    columns: Mapping[str, str] | None = None,
    criterion: str = DEFAULT_CRITERION,
    level: float = 0.9,
) -> tuple[dict[str, Any], list[DerivedCurve], tuple[TcResult, ...]]:
    """Read an M(T) file's bytes and fit Tc (K, ``criterion`` at ``level``) on each temperature
    sweep: the measurement metadata (``field_T``, ``tc_not_found``: sweeps without a transition
    and why), one ``tc_fit`` curve per fitted sweep, the results. AnalysisError if no sweep shows
    a transition."""
    table = _read(content, filename, columns, "mt_curve", held_field_part)
    sweeps = split_sweeps(table)
    fitted, reasons = [], []
    for sweep in sweeps:
        try:
            fitted.append(
                (sweep, find_tc(sweep, criterion=criterion, level=level, source=filename))
            )
        except AnalysisError as err:
            reasons.append(str(err))
    if not fitted:
        raise AnalysisError("; ".join(reasons))
    metadata = {
        **table.metadata.to_dict(),
        "temperature_K": None,  # a sweep: its range is in each curve
        "field_T": float(np.median([sweep.field_T for sweep in sweeps])),
        "n_points": len(table),
        "tc_not_found": reasons,
    }
    curves = [
        DerivedCurve(
            kind=TC_CURVE,
            method="smooth_step_fit",
            settings=jsonable(r.to_dict()),
            columns=jsonable(
                {
                    "T_K": sweep.temperature_K,
                    "m_Am2": sweep.moment_Am2,
                    "fit_Am2": r.model(sweep.temperature_K),
                }
            ),
        )
        for sweep, r in fitted
    ]
    return metadata, curves, tuple(r for _, r in fitted)


def tc_objectives(
    spec: CampaignSpec, results: tuple[TcResult, ...], field_T: float
) -> tuple[dict[str, float], dict[str, str]]:
    """The campaign's ``quantity='tc'`` objectives (K) from the sweeps fitted in a field of
    ``field_T`` (T): the ZFC sweep's Tc if the file has one (shielding: the published
    convention), else the first sweep's; and those left out, with why (an objective naming
    another field than the measured one, beyond 1 mT or 5 %)."""
    chosen = _chosen_sweep(results)
    values, skipped = {}, {}
    for o in spec.objectives:
        if o.quantity != "tc":
            continue
        if o.field_T is not None and abs(field_T - o.field_T) > max(1e-3, 0.05 * abs(o.field_T)):
            skipped[o.name] = f"measured in {field_T:.4g} T, objective at {o.field_T:g} T"
            continue
        values[o.name] = chosen.tc_K
    return values, skipped


def _chosen_sweep(results: tuple[TcResult, ...]) -> TcResult:
    """The sweep the tc objectives are read off: ZFC (shielding, the published convention) if
    the file has one, else the first."""
    return next((r for r in results if r.sweep == "ZFC"), results[0])


def tc_source_note(fitted: Sequence[str], not_found: Sequence[str]) -> str:
    """What to say of the sweep the tc objectives came from (``fitted``: the labels of the
    sweeps with a transition, ``not_found``: why the others have none): "" when it is the ZFC
    sweep or the file's only one; else that another sweep stood in (a file's ZFC sweep without a
    transition left its FC sweep's Tc in the objectives without a word)."""
    if not fitted or "ZFC" in fitted or not not_found:
        return ""
    sweep = fitted[0] if "sweep" in fitted[0] else f"{fitted[0]} sweep"  # "warming sweep 2"
    return (
        f"the tc objectives are read off the {sweep}, not a ZFC sweep (shielding, the "
        f"convention): {len(not_found)} other sweep(s) showed no transition"
    )


def objective_errors(
    spec: CampaignSpec,
    values: Mapping[str, float],
    jc: JcCurve | None = None,
    tc: tuple[TcResult, ...] = (),
) -> dict[str, float]:
    """The 1-sigma (SI: A/m^2, K) of objective ``values`` read off ``jc`` (the moment noise
    through the Bean formula and the model's self-field error, ``JcCurve.err_at``; the edges'
    uncertainty not included) or ``tc``
    (the chosen sweep's ``tc_err_K``), where one is known and finite."""
    errors = {}
    for name in values:
        o = spec.objective(name)
        if o.quantity == "jc" and jc is not None:
            err = jc.err_at(o.field_T)
        elif o.quantity == "tc" and tc:
            err = _chosen_sweep(tc).tc_err_K
        else:
            continue
        if math.isfinite(err) and err >= 0:
            errors[name] = float(err)
    return errors


def objective_values(spec: CampaignSpec, jc: JcCurve) -> dict[str, float]:
    """Values (SI: Jc in A/m^2) of the campaign's ``quantity='jc'`` objectives read off ``jc``.

    An objective is filled only if the curve was measured at its temperature (within 0.5 K or
    2%) and its field lies inside the measured range and in none of its gaps
    (``settings["gaps_T"]``); ``skipped_objectives`` says why others are not.
    """
    return {name: value for name, value, _ in _objectives(spec, jc) if value is not None}


def skipped_objectives(spec: CampaignSpec, jc: JcCurve) -> dict[str, str]:
    """Objectives of quantity 'jc' that ``objective_values`` leaves out, with the reason."""
    return {name: why for name, value, why in _objectives(spec, jc) if value is None}


def _objectives(spec: CampaignSpec, jc: JcCurve):
    for o in spec.objectives:
        if o.quantity != "jc":
            continue
        if (
            o.temperature_K is not None
            and jc.temperature_K is not None
            and not abs(jc.temperature_K - o.temperature_K) <= max(0.5, 0.02 * o.temperature_K)
        ):  # NaN (a file without temperatures) matches no objective's temperature
            measured = (
                f"{jc.temperature_K:.4g} K"
                if np.isfinite(jc.temperature_K)
                else "an unknown temperature (no temperature column)"
            )
            other = next(
                (
                    t
                    for t in jc.settings.get("other_loops_K", ())
                    if abs(t - o.temperature_K) <= max(0.5, 0.02 * o.temperature_K)
                ),
                None,
            )
            also = (
                f" (the file also holds a loop at {other:.4g} K: analyse it with --temperature "
                f"'{other:.4g} K', another measurement of the file)"
                if other is not None
                else ""
            )
            yield (
                o.name,
                None,
                f"measured at {measured}, objective at {o.temperature_K:g} K{also}",
            )
            continue
        span = jc.settings.get("temperature_range_K")
        if o.temperature_K is not None and span is not None and drifted(span):
            yield (
                o.name,
                None,
                f"the loop's temperature drifted from {span[0]:.4g} to {span[1]:.4g} K: not one "
                f"temperature, objective at {o.temperature_K:g} K",
            )
            continue
        lo, hi = jc.field_T[0], jc.field_T[-1]
        if not lo <= abs(o.field_T) <= hi:
            yield o.name, None, f"{o.field_T:g} T is outside the measured {lo:.3g}..{hi:.3g} T"
            continue
        full = jc.settings.get("reversal_complete_below_T")
        if full is not None and abs(o.field_T) > full:
            yield (
                o.name,
                None,
                f"{o.field_T:g} T is within two full-penetration fields of the loop's turning "
                f"field {jc.settings['field_max_T']:.3g} T (the reversed branch is complete only "
                f"below {full:.3g} T): the loop width there underestimates Jc; sweep further",
            )
            continue
        gap = next((g for g in jc.settings.get("gaps_T", ()) if g[0] < abs(o.field_T) < g[1]), None)
        if gap:
            yield (
                o.name,
                None,
                f"{o.field_T:g} T lies in a gap of the loop ({gap[0]:.3g}..{gap[1]:.3g} T measured "
                "in neither field quadrant): Jc there would be interpolated, not measured",
            )
            continue
        yield o.name, float(jc.at(o.field_T)), ""
