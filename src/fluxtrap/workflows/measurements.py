"""Record a measurement: derive Jc(B) from an M(H) loop file's bytes (or Tc from an M(T) file's),
read the campaign's objectives off it, and store the file, its curves and the objectives in one
transaction (a file that cannot be analysed writes nothing). The one path of ``fluxtrap measure
add``, the web upload and the demo.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fluxtrap.campaign import CampaignSpec
from fluxtrap.errors import ValidationError
from fluxtrap.magnetometry.jc import JcCurve
from fluxtrap.magnetometry.pipeline import (
    derive,
    derive_tc,
    objective_errors,
    objective_values,
    skipped_objectives,
    tc_objectives,
)
from fluxtrap.magnetometry.tc import TcResult
from fluxtrap.store import CurveData, MeasurementRecord, Store
from fluxtrap.store.store import FAILED_SAMPLE


@dataclass(frozen=True)
class RecordedMeasurement:
    """What was stored (``record``), the derived ``jc`` curve (an M(H) loop) or ``tc`` results
    (an M(T) file, one per sweep with a transition), the measurement ``metadata``, the
    ``objectives`` set on the sample (SI), their ``errors`` (1-sigma, SI, where known), those
    ``skipped`` (name -> why) and those ``replaced`` (name -> the value and 1-sigma, SI, stored
    before; the error None where none was)."""

    record: MeasurementRecord
    jc: JcCurve | None = field(repr=False)
    metadata: dict[str, Any] = field(repr=False)
    objectives: dict[str, float]
    skipped: dict[str, str]
    tc: tuple[TcResult, ...] = ()
    errors: dict[str, float] = field(default_factory=dict)
    replaced: dict[str, tuple[float, float | None]] = field(default_factory=dict)


def measurement_target(store: Store, campaign: str, sample: str) -> CampaignSpec:
    """The campaign's spec once the sample is known to exist (NotFoundError otherwise), so a
    wrong name fails before the file is read or analysed."""
    spec = store.campaign(campaign)
    store.sample(campaign, sample)
    return spec


def record_measurement(
    store: Store,
    campaign: str,
    sample: str,
    filename: str,
    content: bytes,
    edges_m: tuple[float, float, float] | None,
    *,
    kind: str = "mh_loop",
    temperature_K: float | None = None,
    columns: Mapping[str, str] | None = None,
    recorded_by: str | None = None,
    extra_metadata: Mapping[str, Any] | None = None,
    spec: CampaignSpec | None = None,
    force: bool = False,
    replace: bool = False,
) -> RecordedMeasurement:
    """Derive, read the objectives and store a measurement file of ``sample``: ``kind`` mh_loop
    (an a x b x c bar, ``edges_m`` in m: Jc(B), the jc objectives) or mt_curve (Tc of each sweep,
    the tc objectives; no edges). ``spec`` is the campaign's (from :func:`measurement_target`;
    read here if not given); ``extra_metadata`` is added to the stored metadata. A loop that is
    not a superconductor's is refused (AnalysisError, nothing stored) unless ``force`` (then
    recorded in the Jc curve's settings). A failed sample's file is stored without objectives,
    each ``skipped`` saying why. An objective value the sample already has is kept
    (ValidationError naming both values, nothing stored) unless ``replace``."""
    spec = spec or measurement_target(store, campaign, sample)
    jc, tc = None, ()
    if kind == "mt_curve":
        if temperature_K is not None or force:
            raise ValidationError("a temperature and force apply to M(H) loops (kind mh_loop)")
        metadata, curves, tc = derive_tc(content, filename, columns=columns)
        objectives, skipped = tc_objectives(spec, tc, metadata["field_T"])
    else:
        if edges_m is None:
            raise ValidationError("an M(H) loop needs the sample's edges: a, b and c")
        metadata, curves, jc = derive(
            kind,
            content,
            filename,
            *edges_m,
            temperature_K=temperature_K,
            columns=columns,
            force=force,
        )
        objectives, skipped = objective_values(spec, jc), skipped_objectives(spec, jc)
    before = store.sample(campaign, sample)
    if objectives and before.status == "failed":  # the file is kept
        skipped = {**skipped, **dict.fromkeys(objectives, f"the sample is {FAILED_SAMPLE}")}
        objectives = {}
    errors = objective_errors(spec, objectives, jc, tc)
    replaced = {  # what the output says was replaced; the store refuses it unless replace
        k: (before.objectives[k], before.objective_errors.get(k))
        for k in objectives
        if before.objectives.get(k) is not None
    }
    rec = store.add_measurement(
        campaign,
        sample,
        kind,
        filename,
        content,
        temperature_K=metadata["temperature_K"],
        metadata={**metadata, **(extra_metadata or {})},
        curves=[CurveData(c.kind, c.method, c.settings, c.columns) for c in curves],
        objectives=objectives,
        objective_errors=errors,
        recorded_by=recorded_by,
        replace=replace,
    )
    return RecordedMeasurement(rec, jc, metadata, objectives, skipped, tc, errors, replaced)
