"""What the store hands out and takes: frozen records of stored rows, and ``CurveData`` (a derived
curve to store). Plain values, no session: callers never see an ORM object."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from fluxtrap.campaign import CampaignSpec
from fluxtrap.errors import NotFoundError
from fluxtrap.units import estimate_text

MAX_MAPS = 50  # J/B maps a stored simulation's summary keeps (about 115 kB of JSON each)


@dataclass(frozen=True)
class CurveData:
    """A derived curve to store: ``columns`` maps column names (with units) to equal-length lists."""

    kind: str
    method: str
    settings: dict[str, Any]
    columns: dict[str, list[float]]


@dataclass(frozen=True)
class CampaignRecord:
    """A stored campaign: its spec and who created it (null before migration 0003 or when
    nobody was named)."""

    name: str
    spec: CampaignSpec = field(repr=False)
    created_by: str | None
    created_at: datetime


@dataclass(frozen=True)
class SampleRecord:
    """A sample of a campaign: ``params`` in campaign units (a categorical one: its choice),
    ``objectives`` in SI (Jc in A/m^2, Tc in K); ``origin`` researcher or optimizer."""

    id: int
    campaign: str
    label: str
    params: dict[str, float | str]  # a categorical parameter: its choice
    objectives: dict[str, float]
    origin: str
    suggestion_id: int | None
    recorded_by: str | None
    notes: str
    created_at: datetime
    updated_at: datetime
    status: str = "made"  # made, or failed (unusable: never measured, not pending)
    status_note: str | None = None
    # who last changed the status, and when (None: not changed since it was recorded, or not
    # known: changed before store revision 0013)
    status_changed_by: str | None = None
    status_changed_at: datetime | None = None
    # 1-sigma of objective values, in their unit, where the measurement gave one
    objective_errors: dict[str, float] = field(default_factory=dict)
    # who set each objective value, where named (a measurement's recorded_by, or by hand)
    objective_set_by: dict[str, str] = field(default_factory=dict)

    @property
    def status_changed(self) -> str:
        """ "by NAME, YYYY-MM-DD HH:MM UTC": who last changed the status and when, as far as
        stored; "" when neither is (never changed, or changed before the store kept it)."""
        by, at = self.status_changed_by, self.status_changed_at
        when = f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if at is not None else ""
        return ", ".join(t for t in (f"by {by}" if by else "", when) if t)

    def __repr__(self) -> str:
        """One line a notebook shows: label, campaign, status, origin, parameters and objectives
        (± their 1-sigma, in SI, rounded at the sigma); the dataclass's ran to ~800 characters."""
        values = [
            f"{k} = "
            + (estimate_text(v, err) if (err := self.objective_errors.get(k)) else f"{v:.5g}")
            for k, v in self.objectives.items()
        ]
        status = self.status + (f": {_short(self.status_note)}" if self.status_note else "")
        return (
            f"<SampleRecord {self.label!r} of {self.campaign!r} ({status}, {self.origin}): "
            f"{_params(self.params)}; "
            + (f"{'; '.join(values)} (SI: Jc A/m^2, Tc K)" if values else "not measured")
            + ">"
        )


@dataclass(frozen=True)
class MeasurementRecord:
    """A stored raw file: ``content`` byte for byte with its ``sha256`` and ``size`` (bytes);
    ``kind`` mh_loop or mt_curve, ``temperature_K`` that of an M(H) loop."""

    id: int
    campaign: str
    sample: str
    kind: str
    temperature_K: float | None
    filename: str
    sha256: str
    size: int
    metadata: dict[str, Any]
    recorded_by: str | None
    created_at: datetime
    content: bytes = field(repr=False, default=b"")

    def __repr__(self) -> str:
        """One line a notebook shows: id, kind, file, sample, temperature (K) and size (bytes);
        the dataclass's printed the whole metadata, ~1.5 KB a record."""
        t = f", {self.temperature_K:.4g} K" if self.temperature_K is not None else ""
        return (
            f"<MeasurementRecord {self.id}: {self.kind} {self.filename!r} of {self.campaign!r} / "
            f"{self.sample!r}{t}, {self.size:,} bytes>"
        )


@dataclass(frozen=True)
class CurveRecord:
    """A curve derived from a measurement (``kind`` jc, loop_width or tc_fit) by ``method`` with
    ``settings``; ``columns`` by name, each with its SI unit in the name (``B_T``, ``Jc_A_m2``)."""

    id: int
    measurement_id: int
    kind: str
    method: str
    settings: dict[str, Any]
    columns: dict[str, list[float]] = field(repr=False)
    created_at: datetime

    def to_frame(self) -> pd.DataFrame:
        """The columns as a DataFrame, one row a point, the SI unit in each column's name."""
        return pd.DataFrame(self.columns)

    def __repr__(self) -> str:
        """One line a notebook shows: id, measurement, kind, method, points and columns (the
        dataclass's printed every setting: 9 KB for a Jc curve)."""
        points = len(next(iter(self.columns.values()), []))
        return (
            f"<CurveRecord {self.id} of measurement {self.measurement_id}: {self.kind} by "
            f"{self.method}, {points} points ({', '.join(self.columns)})>"
        )


@dataclass(frozen=True)
class SuggestionRecord:
    """A stored suggestion: ``params`` in campaign units, the ``seed`` it was asked with, and its
    ``status``: open, used, discarded, abandoned or failed."""

    id: int
    campaign: str
    params: dict[str, float | str]
    acquisition_value: float | None
    model_summary: dict[str, Any] = field(repr=False)
    seed: int | None
    status: str
    created_by: str | None
    created_at: datetime
    status_changed_by: str | None = None  # who last changed the status (null: nobody named or
    status_changed_at: datetime | None = None  # never changed since it was asked for)
    status_note: str | None = None  # why (e.g. "cracked on removal from the die")

    def __repr__(self) -> str:
        """One line a notebook shows: id, campaign, status, seed and the suggested parameters
        (the dataclass's held every status field and timestamp)."""
        status = self.status + (f": {_short(self.status_note)}" if self.status_note else "")
        return (
            f"<SuggestionRecord {self.id} of {self.campaign!r} ({status}, seed {self.seed}): "
            f"{_params(self.params)}>"
        )


def _short(text: str, most: int = 40) -> str:
    """``text`` on one line, cut to ``most`` characters with "..."."""
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 3] + "..."


def _params(params: dict[str, float | str]) -> str:
    """``name=value, ...`` in campaign units (5 digits)."""
    return ", ".join(
        f"{k}={v:.5g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )


@dataclass(frozen=True)
class JobRecord:
    """A simulation job of the web server (``Store.add_job``): ``status`` queued, running, done,
    failed, cancelled or interrupted (``error`` says why for the last three); ``heartbeat_at``
    when its runner last said it is alive; ``simulation_id`` the stored result once it has one;
    ``case_toml`` empty when listed without it."""

    id: int
    title: str
    status: str
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    runner: str | None
    heartbeat_at: datetime | None
    error: str | None
    simulation_id: int | None
    case_toml: str = field(repr=False, default="")


@dataclass(frozen=True)
class SimulationRecord:
    """A stored simulation: ``case`` in SI (summary.json's "case"), ``case_toml`` as given,
    ``case_hash`` (the case's ``key()``; the sweep cache adds the solver's), ``summary``
    (summary.json), ``status`` ``done`` or ``failed`` (then ``error`` says why; ``summary`` and
    ``probes_csv`` hold what ran before the failure, if anything); ``probes_csv`` the bytes of
    probes.csv, ``heat_csv`` those of heat.csv (a heat run's), empty when listed without them."""

    id: int
    name: str
    campaign: str | None
    case: dict[str, Any] = field(repr=False)
    case_toml: str = field(repr=False)
    case_hash: str
    summary: dict[str, Any] = field(repr=False)
    status: str
    error: str | None
    created_by: str | None
    created_at: datetime
    probes_csv: bytes = field(repr=False, default=b"")
    heat_csv: bytes = field(repr=False, default=b"")

    @property
    def probes(self) -> pd.DataFrame:
        """probes.csv as a DataFrame (``time_s, applied_T, temperature_K, <probe>_Bz_T``)."""
        if not self.probes_csv:
            raise NotFoundError(f"simulation {self.id} has no probe traces here")
        return pd.read_csv(io.BytesIO(self.probes_csv))

    @property
    def heat(self) -> pd.DataFrame:
        """heat.csv as a DataFrame (``time_s, max_T_K, mean_T_K, heat_J, dissipated_J``, and
        ``removed_J`` since it was written)."""
        if not self.heat_csv:
            raise NotFoundError(f"simulation {self.id} has no heat history here (no heat model)")
        return pd.read_csv(io.BytesIO(self.heat_csv))


@dataclass(frozen=True)
class CalibrationRecord:
    """A stored calibration: ``fit`` (parameter names), ``result`` (calibrate.json), ``fits``
    (every series fitted), the case as given and as fitted, ``simulation_id`` of the stored
    simulation of the fitted case, and ``series``: per measured file its ``filename``, ``probe``,
    ``sha256`` and ``measurement_id`` (a stored measurement with the same bytes, or None)."""

    id: int
    name: str
    campaign: str | None
    fit: str
    fits: bool
    result: dict[str, Any] = field(repr=False)
    case_toml: str = field(repr=False)
    case_hash: str
    fitted_case_toml: str = field(repr=False)
    simulation_id: int | None
    series: tuple[dict[str, Any], ...]
    created_by: str | None
    created_at: datetime

    @property
    def parameters(self) -> dict[str, tuple[float, float]]:
        """name -> (value, sigma) in the units of calibrate.json."""
        return {k: (v["value"], v["sigma"]) for k, v in self.result["parameters"].items()}

    @property
    def paired_series(self) -> tuple[list[tuple[dict | None, dict | None]], list[str]]:
        """:func:`paired_series` of its measured files and its result's series."""
        return paired_series(self.series, self.result.get("series") or [])


def paired_series(
    rows: Sequence[Mapping[str, Any]], fits: Sequence[Mapping[str, Any]]
) -> tuple[list[tuple[Any, Any]], list[str]]:
    """A calibration's measured files (``rows``: filename, probe, in order) paired with the
    series of its calibrate.json (``fits``), and what disagrees, each naming the file or series.

    Each file goes with the first unpaired series that names it (the file's name, or "name
    (column)" as ``fluxtrap calibrate`` names them; of its probe where the series gives one),
    else with the series at its own position if that one has no name. Unpaired series follow,
    each with None for its file; an unpaired file has None for its series."""
    fits = list(fits)
    used: set[int] = set()

    def names(fit: Mapping[str, Any], row: Mapping[str, Any]) -> bool:
        name, file = fit.get("name"), row["filename"]
        return fit.get("probe", row["probe"]) == row["probe"] and (
            name == file or isinstance(name, str) and name.startswith(f"{file} (")
        )

    paired: list[tuple[Any, Any]] = []
    for i, row in enumerate(rows):
        j = next((j for j, f in enumerate(fits) if j not in used and names(f, row)), None)
        if j is None and i < len(fits) and i not in used and "name" not in fits[i]:
            j = i
        if j is not None:
            used.add(j)
        paired.append((row, None if j is None else fits[j]))
    disagree = [
        f"file {i + 1} {_short(row['filename'])!r} (probe {_short(row['probe'])!r}): no series "
        "of the result is of it"
        for i, (row, fit) in enumerate(paired)
        if fit is None
    ]
    for j, fit in enumerate(fits):
        if j not in used:
            paired.append((None, fit))
            disagree.append(
                f"series {j + 1} {_short(str(fit.get('name', '')))!r} of the result: no stored "
                "file is of it"
            )
    return paired, disagree


@dataclass(frozen=True)
class UserRecord:
    """A user of the web API: ``role`` reader, writer or admin; the token is valid until
    ``expires_at`` (None: no expiry) unless revoked (``revoked_at``)."""

    id: int
    name: str
    role: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def active(self, now: datetime | None = None) -> bool:
        """Whether the token is accepted at ``now`` (default: the current time)."""
        now = now or datetime.now(UTC)
        expires = self.expires_at
        if expires is not None and expires.tzinfo is None:  # SQLite drops the zone (UTC)
            expires = expires.replace(tzinfo=UTC)
        return self.revoked_at is None and (expires is None or expires > now)


@dataclass(frozen=True)
class SessionRecord:
    """A dashboard login just started: ``session_id`` (the cookie's value; the store keeps only
    its hash), its user, and when it ends (UTC)."""

    session_id: str
    user: UserRecord
    expires_at: datetime
