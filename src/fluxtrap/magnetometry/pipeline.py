"""From a raw file to what is derived from it: metadata, derived curves, objective values.

Pure functions (no database): ``fluxtrap.workflows.measurements.record_measurement`` (the path of
``fluxtrap measure add``, the web upload and the demo) calls ``derive`` on the file's bytes, then
``objective_values`` with the campaign, and hands all of it to the store in one transaction, so a
file that cannot be analysed writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from fluxtrap.campaign import CampaignSpec
from fluxtrap.errors import AnalysisError, ValidationError
from fluxtrap.magnetometry.bean import jc_from_width
from fluxtrap.magnetometry.jc import JcCurve
from fluxtrap.magnetometry.loops import check_bar, loop_width
from fluxtrap.magnetometry.readers import read

JC_CURVE = "jc"  # curve kind: columns B_T, Jc_A_m2, unpenetrated (0/1), Jc_err_A_m2 (1 sigma)
LOOP_WIDTH_CURVE = "loop_width"  # columns B_T, dm_Am2 (m_decreasing - m_increasing)
DERIVABLE = ("mh_loop",)


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
) -> tuple[dict[str, Any], list[DerivedCurve], JcCurve]:
    """Read ``content`` (raw file bytes) and derive Jc(B) of an a x b x c bar (m, a <= b across the field).

    Returns the measurement metadata (JSON-friendly; ``temperature_K`` is the analysed loop's),
    the curves to store (Jc(B) and the loop width) and the ``JcCurve``. ``temperature_K`` picks a
    loop in a multi-temperature file. A loop that is not a superconductor's is refused
    (AnalysisError) unless ``force``, which the Jc curve's settings record (``forced``).
    Raises InputFileError / AnalysisError / ValidationError.
    """
    if kind not in DERIVABLE:
        raise ValidationError(f"measurement kind {kind!r}: derive() handles {', '.join(DERIVABLE)}")
    check_bar(a_m, b_m, c_m)
    table = read(content, filename=filename, columns=columns)
    if table.kind != kind:
        raise AnalysisError(
            f"{filename}: the file holds {_KIND_TEXT.get(table.kind, table.kind)} (field span "
            f"{np.ptp(table.field_T):.3g} T), not {_KIND_TEXT[kind]}"
        )
    width = loop_width(table, temperature_K=temperature_K)
    jc = jc_from_width(width, a_m, b_m, c_m, source=filename, force=force)
    settings = dict(jc.settings)
    # None, not NaN, for a file without temperatures: NaN is not JSON (PostgreSQL refuses it)
    t = float(width.temperature_K) if np.isfinite(width.temperature_K) else None
    metadata = {
        **table.metadata.to_dict(),
        "temperature_K": t,
        "n_points": len(table),
        "sample_edges_m": [a_m, b_m, c_m],
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
                "dm_err_Am2": [float(v) if np.isfinite(v) else None for v in width.dm_err_Am2],
            },
        ),
    ]
    return metadata, curves, jc


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
            yield o.name, None, f"measured at {measured}, objective at {o.temperature_K:g} K"
            continue
        lo, hi = jc.field_T[0], jc.field_T[-1]
        if not lo <= abs(o.field_T) <= hi:
            yield o.name, None, f"{o.field_T:g} T is outside the measured {lo:.3g}..{hi:.3g} T"
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
