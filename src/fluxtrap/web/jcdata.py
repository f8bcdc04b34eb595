"""The Jc(B) data of a campaign for the dashboard and the API: each sample's newest Jc(B)
curve, what its analysis (and an M(T) curve's) warned about, and a case file's ``jc.table`` line
from it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fluxtrap.errors import ValidationError
from fluxtrap.magnetometry.pipeline import JC_CURVE
from fluxtrap.store import MeasurementRecord, Store
from fluxtrap.units import to_A_cm2


def newest_jc(store: Store, campaign: str, labels: Sequence[str] | None = None) -> dict[str, Any]:
    """Sample label -> (measurement, Jc curve) of its newest measurement that has a Jc(B) curve
    (all measured samples, or ``labels``; NotFoundError for an unknown label). Reads those
    curves only: not older loops' or M(T) sweeps' (``Store.curve_ids``, then ``curves_by_id``)."""
    return read_jc(store, jc_measurements(store, campaign, labels))


def read_jc(store: Store, chosen: Mapping[str, tuple[MeasurementRecord, int]]) -> dict[str, Any]:
    """``jc_measurements``' mapping with each curve id read: label -> (measurement, Jc curve)."""
    curves = store.curves_by_id([curve_id for _, curve_id in chosen.values()])
    return {label: (meas, curves[curve_id]) for label, (meas, curve_id) in chosen.items()}


def jc_measurements(
    store: Store, campaign: str, labels: Sequence[str] | None = None
) -> dict[str, tuple[MeasurementRecord, int]]:
    """Sample label -> (its newest measurement that has a Jc(B) curve, the curve's id), as
    ``newest_jc`` but without reading the curves."""
    wanted = None if labels is None else set(labels)
    if wanted is not None:
        for label in wanted:
            store.sample(campaign, label)
    measurements = [
        meas
        for meas in store.measurements(campaign, with_content=False)
        if wanted is None or meas.sample in wanted
    ]
    ids = store.curve_ids([meas.id for meas in measurements], JC_CURVE)
    chosen = {}
    for meas in measurements:  # oldest first: the newest stays
        for curve_id in ids.get(meas.id, []):
            chosen[meas.sample] = (meas, curve_id)
    return chosen


def jc_curves(newest: dict[str, Any]) -> dict[str, dict[str, list[float]]]:
    """Jc(B) columns (``B_T``, ``Jc_A_m2``) of each sample in ``newest_jc``'s mapping."""
    return {label: curve.columns for label, (_, curve) in newest.items()}


def jc_notes(newest: dict[str, Any]) -> dict[str, list[str]]:
    """What the analysis of each sample's newest Jc(B) measurement (``newest_jc``'s mapping)
    warned about (sample -> lines of text; see ``measurement_notes``)."""
    out = {}
    for label, (meas, curve) in newest.items():
        if notes := measurement_notes(meas, [curve.settings]):
            out[label] = notes
    return out


def tc_notes(store: Store, measurements: Sequence[MeasurementRecord]) -> dict[str, list[str]]:
    """What the analysis of each sample's newest M(T) measurement among ``measurements`` (a
    campaign's, oldest first) warned about (sample -> lines of text; see ``measurement_notes``):
    a second transition, sweeps without one. Reads the curves' settings only, in one query
    (``Store.curve_settings``), never their columns."""
    newest = {}
    for meas in measurements:
        if meas.kind == "mt_curve":
            newest[meas.sample] = meas
    settings = store.curve_settings([meas.id for meas in newest.values()])
    out = {}
    for label, meas in newest.items():
        if notes := measurement_notes(meas, settings.get(meas.id, [])):
            out[label] = notes
    return out


def notes_of(store: Store, measurements: Sequence[MeasurementRecord]) -> list[list[str]]:
    """``measurement_notes`` of each of ``measurements`` (the curves' settings read in one
    query, not their columns)."""
    settings = store.curve_settings([meas.id for meas in measurements])
    return [measurement_notes(meas, settings.get(meas.id, [])) for meas in measurements]


SYNTHETIC_TITLE = (
    "SYNTHETIC data: its file's header says it was generated (fluxtrap's synthetic writer, the "
    "demo's virtual lab), not measured"
)


def synthetic(meas: MeasurementRecord) -> bool:
    """Whether a stored measurement's file says it is SYNTHETIC (the reader's ``synthetic``: an
    MPMS3 ``.dat`` whose TITLE says so, as ``magnetometry.synthetic`` and the demo write them)."""
    return meas.metadata.get("synthetic") is True


def measurement_notes(meas: MeasurementRecord, settings: Sequence[Mapping[str, Any]]) -> list[str]:
    """What the analysis of a stored measurement (``settings``: its derived curves') warned about,
    each line naming the file: rows of the file it skipped (a last line without a line end
    too), what the reader did to it (``read_notes_text``: NUL padding left out, a comments row
    skipped), a loop that does not look like a superconductor's (forced), a second transition
    beside an M(T) sweep's fitted one (``TcStructureWarning``), sweeps without a transition."""
    from fluxtrap.magnetometry.pipeline import tc_source_note
    from fluxtrap.magnetometry.table import read_notes_text, skipped_note, unterminated_note

    read = [
        skipped_note(meas.metadata.get("skipped_lines", ()), meas.metadata.get("skipped_rows")),
        unterminated_note(meas.metadata.get("unterminated_line")),
    ]
    notes = [f"{meas.filename}: {n}" for n in read if n] + read_notes_text(meas.metadata)
    for curve in settings:  # the analyses name the file (and the sweep) themselves
        notes += [str(n) for n in curve.get("warnings", [])]
    not_found = [str(n) for n in meas.metadata.get("tc_not_found", [])]
    fitted = [str(c["sweep"]) for c in settings if "sweep" in c]
    source = tc_source_note(fitted, not_found) if meas.kind == "mt_curve" else ""
    return notes + not_found + ([f"{meas.filename}: {source}"] if source else [])


# bytes of stored files one page reads again to draw them (a 48 MB .dat takes ~3 s of CPU to
# read: 20 of them were a minute of the server for each view of one page by any reader)
MAX_BYTES_DRAWN = 16 * 2**20


def measured_figures(
    store: Store, campaign: str, labels: Sequence[str], most: int
) -> dict[str, dict[str, Any]]:
    """The figures of the newest ``most`` stored M(H) and M(T) files of the samples ``labels``,
    newest first, keyed ``loop-<id>`` and ``mt-<id>`` (``plots.loop_figure``, ``plots.mt_figure``
    with the stored Tc fits), each read again from its stored bytes with the columns it was added
    with, while their sizes add up to at most ``MAX_BYTES_DRAWN``; a file that cannot be drawn, or
    not within that, is a figure saying why."""
    from fluxtrap.errors import FluxtrapError
    from fluxtrap.magnetometry.readers import read
    from fluxtrap.web import plots

    wanted = set(labels)
    listed = [m for m in store.measurements(campaign, with_content=False) if m.sample in wanted]
    chosen = sorted(listed, key=lambda m: m.id, reverse=True)[:most]
    settings = store.curve_settings([m.id for m in chosen])
    figures, budget = {}, MAX_BYTES_DRAWN
    for listed_meas in chosen:
        key, title = ("loop", "M(H)") if listed_meas.kind == "mh_loop" else ("mt", "M(T)")
        name = plots.plain(f"{title} {listed_meas.filename}")
        if listed_meas.size > budget:
            figures[f"{key}-{listed_meas.id}"] = plots.note_figure(
                name,
                f"not drawn: {listed_meas.size / 2**20:.3g} MiB, beyond the "
                f"{MAX_BYTES_DRAWN / 2**20:g} MiB of stored files this page reads again "
                f"({budget / 2**20:.3g} MiB left after the newer files)",
            )
            continue
        budget -= listed_meas.size
        meas = store.measurement(listed_meas.id)
        columns = meas.metadata.get("column_mapping") or meas.metadata.get("columns") or None
        try:
            table = read(meas.content, filename=meas.filename, columns=columns)
            if meas.kind == "mh_loop":
                figure = plots.loop_figure(table, meas.filename, meas.temperature_K)
            else:
                tc = [s for s in settings.get(meas.id, []) if "tc_K" in s]
                figure = plots.mt_figure(table, meas.filename, tc)
        except FluxtrapError as err:
            figure = plots.note_figure(name, str(err))
        figures[f"{key}-{meas.id}"] = figure
    return figures


def jc_table_toml(
    columns: dict[str, list[float]], max_points: int = 25, label: str = "the sample"
) -> str:
    """A case file's ``jc.table`` line from stored Jc(B) columns: the fully penetrated points
    only (the simulator holds the end values outside them), at most ``max_points`` of them;
    ValidationError naming ``label`` if there is none (an empty table no case takes)."""
    b = np.asarray(columns["B_T"])
    jc = to_A_cm2(np.asarray(columns["Jc_A_m2"]))
    ok = np.asarray(columns.get("unpenetrated", np.zeros(b.size))) < 0.5
    b, jc = b[ok], jc[ok]
    if not b.size:
        raise ValidationError(
            f"{label}: no point of its Jc(B) is fully penetrated (the loop did not reach the "
            "penetration field), so there is no Jc(B) to simulate with: measure a wider loop"
        )
    keep = np.unique(np.linspace(0, b.size - 1, min(max_points, b.size)).round().astype(int))
    field = ", ".join(f"{v:.4g}" for v in b[keep])
    values = ", ".join(f"{v:.4g}" for v in jc[keep])
    return (
        f'jc.table = {{ field = [{field}], field_unit = "T", jc = [{values}], jc_unit = "A/cm^2" }}'
    )
