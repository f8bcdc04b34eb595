"""Record a measurement: derive Jc(B) from an M(H) loop file's bytes (or Tc from an M(T) file's),
read the campaign's objectives off it, and store the file, its curves and the objectives in one
transaction (a file that cannot be analysed writes nothing). The one path of ``fluxtrap measure
add``, the web upload and the demo. ``rederive_measurements`` derives stored measurements again
from their stored files with the current analysis (``fluxtrap measure derive``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from dataclasses import replace as replace_record
from typing import Any

from fluxtrap.campaign import CampaignSpec
from fluxtrap.errors import FluxtrapError, NotFoundError, ValidationError
from fluxtrap.magnetometry.jc import JcCurve
from fluxtrap.magnetometry.pipeline import (
    derive,
    derive_tc,
    kind_name,
    objective_errors,
    objective_values,
    skipped_objectives,
    tc_objectives,
)
from fluxtrap.magnetometry.tc import TcResult
from fluxtrap.store import CurveData, MeasurementRecord, SampleRecord, Store
from fluxtrap.store.store import FAILED_SAMPLE
from fluxtrap.units import estimate_text


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

    def __repr__(self) -> str:
        """What a notebook shows: the file and each objective ± 1-sigma in the unit people read
        (Jc A/cm², Tc K), those skipped and why (the records' metadata made it 2 KB)."""
        r = self.record
        shown = _objectives_text(r.kind, self.objectives, self.errors)
        shown += [f"{name} skipped: {why}" for name, why in self.skipped.items()]
        return (
            f"<RecordedMeasurement {r.id}: {r.kind} {r.filename!r} of {r.campaign} / {r.sample}: "
            f"{'; '.join(shown) or 'no objectives'}>"
        )


def _objectives_text(
    kind: str, values: Mapping[str, float], errors: Mapping[str, float]
) -> list[str]:
    """``name = value ± 1-sigma unit`` of each objective (SI ``values`` and ``errors``) in the
    unit people read (Jc A/cm², Tc K), rounded at the sigma where one is known."""
    unit, scale = ("K", 1.0) if kind == "mt_curve" else ("A/cm²", 1e-4)
    return [
        f"{name} = "
        + (
            estimate_text(v * scale, errors[name] * scale)
            if errors.get(name, 0) > 0
            else f"{v * scale:.5g}"
        )
        + f" {unit}"
        for name, v in values.items()
    ]


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
    shape: str = "bar",
) -> RecordedMeasurement:
    """Derive, read the objectives and store a measurement file of ``sample``: ``kind`` mh_loop
    (an a x b x c bar, ``edges_m`` in m or with a unit, "0.5 mm", or a cylinder, ``shape``:
    diameter, diameter, thickness; Jc(B), the jc objectives) or mt_curve (Tc of each sweep,
    the tc objectives; no edges). ``spec`` is the campaign's (from :func:`measurement_target`;
    read here if not given); ``extra_metadata`` is added to the stored metadata. A loop that is
    not a superconductor's is refused (AnalysisError, nothing stored) unless ``force`` (then
    recorded in the Jc curve's settings). A failed sample's file is stored without objectives,
    each ``skipped`` saying why. An objective value the sample already has is kept
    (ValidationError naming both values, nothing stored) unless ``replace``."""
    if not isinstance(filename, str):  # a Path: "object of type 'PosixPath' has no len()"
        raise ValidationError(
            f"filename must be the file's name as text (Path(...).name), got {filename!r}"
        )
    if not isinstance(content, bytes):  # a path given for the bytes: "Strings must be encoded"
        raise ValidationError(
            f"{filename}: content must be the file's bytes (Path(...).read_bytes()), "
            f"got {type(content).__name__}"
        )
    kind = kind_name(kind, "kind")  # "MT_CURVE" had gone to derive() as an M(H) loop
    spec = spec or measurement_target(store, campaign, sample)
    jc, tc = None, ()
    if kind == "mt_curve":
        if temperature_K is not None or force or shape != "bar":
            raise ValidationError(
                "a temperature, force and a sample shape apply to M(H) loops (kind mh_loop)"
            )
        metadata, curves, tc = derive_tc(content, filename, columns=columns)
        objectives, skipped = tc_objectives(spec, tc, metadata["field_T"])
    else:
        try:  # two edges were "derive() missing 1 required positional argument: 'c_m'"
            a, b, c = edges_m
        except (TypeError, ValueError):
            raise ValidationError(
                f"an M(H) loop needs the sample's edges: a, b and c (edges_m, in m or with a unit), got {edges_m!r}"
            ) from None
        metadata, curves, jc = derive(
            kind,
            content,
            filename,
            a,
            b,
            c,
            temperature_K=temperature_K,
            columns=columns,
            force=force,
            shape=shape,
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
        metadata={
            **metadata,
            **({"column_mapping": dict(columns)} if columns else {}),  # for `measure derive`
            **(extra_metadata or {}),
        },
        curves=[CurveData(c.kind, c.method, c.settings, c.columns) for c in curves],
        objectives=objectives,
        objective_errors=errors,
        recorded_by=recorded_by,
        replace=replace,
    )
    return RecordedMeasurement(rec, jc, metadata, objectives, skipped, tc, errors, replaced)


@dataclass(frozen=True)
class RederivedMeasurement:
    """A stored measurement (``record``, as it was) derived again: its ``jc`` curve or ``tc``
    results, the ``objectives`` and 1-sigma ``errors`` (SI) written to its sample (values equal
    to the stored ones: their errors refreshed), those ``replaced`` (name -> the stored value and
    1-sigma) and those ``kept`` (name -> (stored, re-derived): a different value, not asked to
    replace)."""

    record: MeasurementRecord
    jc: JcCurve | None = field(repr=False)
    tc: tuple[TcResult, ...]
    objectives: dict[str, float]
    errors: dict[str, float]
    replaced: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    kept: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __repr__(self) -> str:
        """One line as RecordedMeasurement's: the file and each objective ± 1-sigma (Jc A/cm²,
        Tc K), those kept (the dataclass's printed the record and SI floats to 17 digits)."""
        r = self.record
        shown = _objectives_text(r.kind, self.objectives, self.errors)
        shown += [f"{name} kept (differs)" for name in self.kept]
        return (
            f"<RederivedMeasurement {r.id}: {r.kind} {r.filename!r} of {r.campaign} / "
            f"{r.sample}: {'; '.join(shown) or 'no objectives'}>"
        )


def rederive_measurements(
    store: Store,
    campaign: str,
    sample: str | None = None,
    ids: Collection[int] = (),
    *,
    replace: bool = False,
    changed_by: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[RederivedMeasurement]:
    """Derive the campaign's stored measurements (one sample's, or those of ``ids``) again from
    their stored files with the settings they were stored with (edges, loop temperature, the
    columns read, forced, the sample's shape), replace their curves and metadata, and refresh their samples'
    objectives: a value equal to the stored one gets the new 1-sigma, a missing one is set, a
    different one is kept unless ``replace``. Everything is derived before one transaction
    writes it: a file the current analysis refuses (named with its measurement id), an
    interruption or a failed write leaves the store as it was. The files are read one at a
    time; ``progress(done, total)`` is called after each."""
    records = store.measurements(campaign, sample, with_content=False)
    if ids:
        missing = sorted(set(ids) - {r.id for r in records})
        if missing:
            where = f"sample {sample!r} of " if sample else ""
            raise NotFoundError(
                f"no measurement {', '.join(map(str, missing))} in {where}campaign {campaign!r}"
            )
        records = [r for r in records if r.id in set(ids)]
    spec = store.campaign(campaign)
    settings = store.curve_settings([r.id for r in records])
    samples: dict[str, SampleRecord] = {}
    now: dict[str, dict[str, float]] = {}  # each sample's values as this run leaves them
    done, derived, written = [], {}, {}
    for rec in records:
        x = samples.setdefault(rec.sample, store.sample(campaign, rec.sample))
        values = now.setdefault(rec.sample, dict(x.objectives))
        try:
            stored = replace_record(rec, content=store.measurement_content(rec.id))
            metadata, curves, jc, tc, objectives = _derive_again(
                stored, settings.get(rec.id, []), spec
            )
        except FluxtrapError as err:
            raise type(err)(
                f"measurement {rec.id} ({rec.filename}, sample {rec.sample!r}): {err}; "
                "nothing written (derive the others by their ids: --id)"
            ) from err
        errors = objective_errors(spec, objectives, jc, tc)
        setting, replaced, kept = {}, {}, {}
        for name, value in objectives.items():
            old = values.get(name)
            if old is not None and not math.isclose(old, value, rel_tol=1e-9, abs_tol=0.0):
                if not replace:
                    kept[name] = (old, value)
                    continue
                replaced[name] = (old, x.objective_errors.get(name))
            setting[name] = value
        if x.status == "failed":
            setting, replaced = {}, {}
        values.update(setting)
        errors = {k: v for k, v in errors.items() if k in setting}
        vals, errs = written.setdefault(rec.sample, ({}, {}))
        vals.update(setting)
        errs.update(errors)
        derived[rec.id] = (
            metadata,
            [CurveData(c.kind, c.method, c.settings, c.columns) for c in curves],
        )
        done.append(RederivedMeasurement(rec, jc, tc, setting, errors, replaced, kept))
        if progress is not None:
            progress(len(done), len(records))
    store.rederive(campaign, derived, written, changed_by=changed_by)
    return done


def _derive_again(rec: MeasurementRecord, settings: list[dict[str, Any]], spec: CampaignSpec):
    """(metadata, curves, jc, tc, objectives) of stored measurement ``rec`` derived again from
    its bytes with what it was stored with (``settings``: its curves')."""
    meta = rec.metadata
    # the mapping it was added with; else the columns read (a mapping's units are not in them:
    # a file stored with one before it was kept, "field [T]" on a column 'field', is refused)
    columns = meta.get("column_mapping") or meta.get("columns") or None
    if rec.kind == "mt_curve":
        metadata, curves, tc = derive_tc(rec.content, rec.filename, columns=columns)
        return metadata, curves, None, tc, tc_objectives(spec, tc, metadata["field_T"])[0]
    edges = meta.get("sample_edges_m")
    if not (isinstance(edges, list) and len(edges) == 3):
        raise ValidationError("its stored metadata holds no sample edges (sample_edges_m)")
    metadata, curves, jc = derive(
        rec.kind,
        rec.content,
        rec.filename,
        *map(float, edges),
        temperature_K=meta.get("temperature_K"),
        columns=columns,
        force=any(s.get("forced") for s in settings),
        shape=meta.get("sample_shape", "bar"),  # stored before shapes: bars
    )
    return metadata, curves, jc, (), objective_values(spec, jc)
