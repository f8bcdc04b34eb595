"""Pydantic models at the HTTP edge: what the REST API accepts and returns.

Units follow the store (SI; parameters in the campaign's own units). Request models forbid unknown
keys so a typo is a 422 that names the key rather than a silently ignored value.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from fluxtrap.campaign import MAX_NOTES, MAX_STATUS_NOTE, QUANTITY_UNITS, CampaignSpec
from fluxtrap.store import (
    CampaignRecord,
    CurveRecord,
    JobRecord,
    MeasurementRecord,
    SampleRecord,
    SimulationRecord,
    SuggestionRecord,
    UserRecord,
)

Name = Annotated[str, Field(min_length=1, max_length=200)]
# a JSON number (an integer too); true and false are refused, not read as 1 and 0 (a lax float
# stored an objective sent as true as 1 A/m^2, and took low=false, high=true as bounds 0..1)
Number = Annotated[float, Field(strict=True)]
# a value as text: a number with its unit ("2.1e4 A/cm^2", "1 h") or a categorical choice (at most
# 100 characters, as ParameterIn's); a key: a parameter's or an objective's name (Name). Bounded,
# as a refused value is quoted in its error: a 100 000-character one came back whole (a 100 kB 422)
Text = Annotated[str, Field(max_length=100)]
Key = Annotated[str, Field(max_length=200)]


def written_in_digits(what: str) -> Callable[[Any], Any]:
    """A validator of ``what`` (an id in a path, a count in a query) as written: ASCII digits
    only (int() read "1_0" as 10, "+1", " 1" and "1.0" as 1: one row under many addresses;
    ``?limit=5_0`` as 50)."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and not (value.isascii() and value.isdigit()):
            raise ValueError(f"{what} is written in the digits 0-9 only")
        return value

    return check


digits = written_in_digits("an id")
Count = Annotated[int, BeforeValidator(written_in_digits("a count"))]
Id = Annotated[
    int, BeforeValidator(digits), Path(ge=1, le=2**31 - 1, description="a database id (32-bit)")
]
# the store writes UTC; SQLite hands it back without the zone, so it is put back here
RO = {"readOnly": True}  # a field a GET gives and a POST of it may carry back, unread
Timestamp = Annotated[datetime, AfterValidator(lambda t: t if t.tzinfo else t.replace(tzinfo=UTC))]


class Strict(BaseModel):
    """A request body: unknown keys, non-finite numbers and NUL characters are refused (a NUL
    cannot be stored in PostgreSQL text)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if where := _nul_at(data):
            raise ValueError(f"a NUL character (\\x00) at {where}: text may not hold one")
        return data


def _nul_at(value: Any, where: str = "body") -> str | None:
    """Where in ``value`` (dicts, lists and strings; keys too) a NUL character is, or None."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            at = (
                f"{where}.{key[:40]!r}{'...' if len(key) > 40 else ''}"
                if isinstance(key, str)
                else where
            )
            if found := _nul_at(key, at) or _nul_at(item, at):
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if found := _nul_at(item, f"{where}[{i}]"):
                return found
    return None


class Error(BaseModel):
    """Every 4xx/5xx answer of fluxtrap's own: what went wrong, and the error class."""

    detail: str
    error: str


class User(BaseModel):
    name: str
    role: Literal["reader", "writer", "admin"]

    @classmethod
    def of(cls, u: UserRecord) -> User:
        return cls(name=u.name, role=u.role)


class UserInfo(User):
    """A user as an admin sees them: when the token was made, expires, was revoked."""

    created_at: Timestamp
    expires_at: Timestamp | None
    revoked_at: Timestamp | None
    active: bool

    @classmethod
    def of(cls, u: UserRecord) -> UserInfo:
        return cls(
            name=u.name,
            role=u.role,
            created_at=u.created_at,
            expires_at=u.expires_at,
            revoked_at=u.revoked_at,
            active=u.active(),
        )


class Revoked(BaseModel):
    """A user revoked (``POST /api/users/{name}/revoke``) and their jobs it cancelled."""

    user: UserInfo
    jobs_cancelled: int = Field(description="their queued and running jobs cancelled")
    job_ids: list[int] = Field(description="those jobs' ids")


class UserIn(Strict):
    """A new user (``POST /api/users``), as ``fluxtrap user add``."""

    name: Name
    role: str = Field("writer", max_length=20, description="reader, writer or admin")
    expires: str | None = Field(
        None, max_length=50, description='how long the token is valid, e.g. "90 d" (none: always)'
    )


class RoleIn(Strict):
    role: str = Field(max_length=20, description="reader, writer or admin")


class NewUser(BaseModel):
    """A user created and their token: given this once (only its hash is stored)."""

    user: UserInfo
    token: str


class ParameterIn(Strict):
    """Numeric (low, high, step), categorical (choices) or fixed (fixed), as in the campaign file."""

    name: Name
    unit: str = Field("", max_length=50)
    low: Number | None = None
    high: Number | None = None
    step: Number = 0.0
    choices: list[Annotated[str, Field(max_length=100)] | Number] | None = Field(
        None, max_length=100
    )
    fixed: Annotated[str, Field(max_length=100)] | Number | None = None
    log: bool = Field(False, description="searched on a log scale (low > 0, no step)")


class ObjectiveIn(Strict):
    name: Name
    quantity: Literal["jc", "value", "tc"] = "value"
    goal: Literal["maximize", "minimize", "constraint"] = "maximize"
    field: str | None = Field(None, max_length=50, description='field with its unit, e.g. "3 T"')
    field_T: Number | None = Field(None, description="or the field in T, as a GET gives it")
    temperature: str | None = Field(None, max_length=50, description='e.g. "5 K"')
    temperature_K: Number | None = Field(None, description="or the temperature in K")
    unit: str | None = Field(
        None,
        max_length=50,
        description="unit of a 'value' objective; a jc or tc one's may be its stored unit "
        "(A/m^2, K), as a GET gives it",
    )
    range: list[Number | Text] | None = Field(
        None,
        min_length=2,
        max_length=2,
        description='[low, high] it can plausibly take, e.g. ["20 K", "150 K"]: values outside '
        "are refused",
    )
    log: bool = Field(False, description="modelled as ln(value), for values spanning decades (> 0)")


class ConstraintIn(Strict):
    expression: str = Field(
        max_length=500,
        description='linear in the parameters, e.g. "max_temperature + 4 * dwell_time <= 700", '
        'or a bound on an objective, e.g. "tc >= 36 K"',
    )


MAX_CAMPAIGN_FILE = 100_000  # characters: the example campaign file is 1 300


class CampaignFileIn(Strict):
    """A campaign file's text, as `fluxtrap campaign create FILE` reads it (the dashboard's form)."""

    toml: str = Field(
        min_length=1,
        max_length=MAX_CAMPAIGN_FILE,
        description="the campaign file (TOML, design section 4), units as strings",
    )


class CampaignIn(Strict):
    """A campaign, in the shape of the campaign file (`fluxtrap campaign create` reads the same)."""

    name: Name
    parameters: list[ParameterIn] = Field(min_length=1, max_length=50)
    objectives: list[ObjectiveIn] = Field(default_factory=list, max_length=20)
    constraints: list[ConstraintIn] = Field(default_factory=list, max_length=50)
    # what a GET adds, so its answer can be sent back: set by the server, not by the body
    created_by: str | None = Field(
        None, max_length=200, description="read-only: the caller is recorded", json_schema_extra=RO
    )
    note: str | None = Field(
        None, max_length=100_000, description="read-only: said by the server", json_schema_extra=RO
    )
    notes: list[Annotated[str, Field(max_length=100_000)]] | None = Field(
        None, max_length=100, description="read-only: said by the server", json_schema_extra=RO
    )

    def spec(self) -> CampaignSpec:
        data = self.model_dump(exclude_none=True, exclude={"created_by", "note", "notes"})
        for o in data["objectives"]:  # a GET's jc or tc objective says its stored unit
            if o.get("unit") is not None and o.get("unit") == QUANTITY_UNITS.get(o["quantity"]):
                del o["unit"]
        return CampaignSpec.from_dict(data, source="request body")


class Parameter(BaseModel):
    name: str
    unit: str
    low: float | None = None
    high: float | None = None
    step: float = 0.0
    choices: list[str | float] | None = None
    fixed: str | float | None = None
    log: bool = False


class Objective(BaseModel):
    name: str
    quantity: str
    goal: str
    field_T: float | None = None
    temperature_K: float | None = None
    unit: str = Field(
        "", description="the unit its values and range are in (Jc A/m^2, Tc K); '': a pure number"
    )
    range: list[float] | None = None  # in the stored unit (Jc A/m^2, Tc K)
    log: bool = False


class Constraint(BaseModel):
    expression: str


class Campaign(BaseModel):
    name: str
    parameters: list[Parameter]
    objectives: list[Objective]
    constraints: list[Constraint] = []
    created_by: str | None
    note: str | None = Field(
        None, description="what to know before using it: why suggestions will be refused"
    )
    notes: list[str] = Field(
        default_factory=list,
        description="every note `fluxtrap campaign create` prints: why suggestions will be "
        "refused (note), a parameter's high off its step grid (the highest settable value)",
    )

    @classmethod
    def of(cls, c: CampaignRecord) -> Campaign:
        data = c.spec.to_dict()
        for out, o in zip(data["objectives"], c.spec.objectives, strict=True):
            out["unit"] = o.value_unit  # Jc, Tc: their stored unit, not the file's empty one
        said = {"created_by": c.created_by, "note": c.spec.suggest_note, "notes": c.spec.notes}
        return cls.model_validate(data | said)


class SampleIn(Strict):
    label: Name
    params: dict[Key, Number | Text] = Field(
        default_factory=dict,
        max_length=1000,
        description="parameter name -> value in the campaign's unit, or text with a unit "
        '("1 h"; a categorical one: its choice; fixed ones may be left out, and with '
        "suggestion_id those made as suggested: the suggestion's value)",
    )
    origin: Literal["researcher", "optimizer"] | None = Field(
        None, description="default: optimizer when suggestion_id is given, else researcher"
    )
    suggestion_id: int | None = Field(None, ge=1, le=2**31 - 1, strict=True)
    objectives: dict[Key, Number | Text] = Field(
        default_factory=dict,
        max_length=1000,
        description="objective -> a number in its unit (Jc A/m^2, Tc K) or a string with a unit, "
        'e.g. "2.1e4 A/cm^2"',
    )
    notes: str = Field("", max_length=MAX_NOTES)
    outside_space: bool = Field(
        False,
        strict=True,
        description="record a sample already made beyond the campaign's bounds, off its step "
        "grid or breaking a constraint (refused otherwise); the optimizer leaves it out",
    )


class Sample(BaseModel):
    id: int
    campaign: str
    label: str
    params: dict[str, float | str]
    objectives: dict[str, float]
    objective_errors: dict[str, float] = Field(
        description="objective -> the 1-sigma of its value, in its unit, where the measurement "
        "it was read off gave one (the moment noise of an M(H) loop with the Bean model's self-field error, the Tc fit); none for "
        "values set by hand"
    )
    objective_set_by: dict[str, str] = Field(
        description="objective -> who set its value (the measurement's uploader, who typed it "
        "in, or who added the sample with it), where named"
    )
    origin: str
    status: str
    status_note: str | None
    status_changed_by: str | None = Field(
        description="who last changed the status (made / failed); null when unnamed, or when "
        "not changed since the sample was recorded or changed before the store recorded it"
    )
    status_changed_at: Timestamp | None = Field(
        description="when the status was last changed; null when not known (as status_changed_by)"
    )
    suggestion_id: int | None
    recorded_by: str | None
    notes: str
    created_at: Timestamp

    @classmethod
    def of(cls, x: SampleRecord) -> Sample:
        return cls(**{k: getattr(x, k) for k in cls.model_fields})


class SampleAdded(Sample):
    departures: list[str] = Field(
        description="where the parameters made depart from the suggestion's, e.g. "
        '"max_temperature 705 degC, suggested 700 degC (+5 degC)"; empty when none or no suggestion'
    )


WARNINGS = (
    "what the analysis warned about, each naming the file: skipped rows, a loop stored "
    "although it does not shield (force), a second transition beside an M(T) sweep's fitted "
    "one (its Tc's ± does not include it), sweeps without a transition"
)


class Measurement(BaseModel):
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
    created_at: Timestamp
    warnings: list[str] = Field(description=WARNINGS)
    synthetic: bool = Field(
        description="true if the file says it is SYNTHETIC (an MPMS3 .dat whose TITLE says so, "
        "as fluxtrap's synthetic writer and the demo's virtual lab write them): not a measurement"
    )

    @classmethod
    def of(cls, x: MeasurementRecord, warnings: list[str]) -> Measurement:
        from fluxtrap.web.jcdata import synthetic

        fields = {k: getattr(x, k) for k in cls.model_fields if k not in ("warnings", "synthetic")}
        return cls(**fields, warnings=warnings, synthetic=synthetic(x))


class Curve(BaseModel):
    id: int
    measurement_id: int
    kind: str
    method: str
    settings: dict[str, Any]
    columns: dict[str, list[float | None]] = Field(
        description="name (with unit) -> values; null where unknown (an error column of a file "
        "that has none: a plain CSV loop's dm_err_Am2)"
    )

    @classmethod
    def of(cls, x: CurveRecord) -> Curve:
        return cls(**{k: getattr(x, k) for k in cls.model_fields})


class Upload(BaseModel):
    """Answer to a measurement upload: the stored file, its curves and the objectives read off them."""

    measurement: Measurement
    curves: list[Curve]
    objectives: dict[str, float]
    objective_errors: dict[str, float] = Field(
        description="objective -> the 1-sigma of its value, in its unit, where known"
    )
    warnings: list[str] = Field(description=WARNINGS)
    not_set: dict[str, str] = Field(
        description="objective -> why this file did not set it (a loop at another temperature "
        "than the objective's, a field beyond the loop's), as the CLI's 'not set' lines"
    )


class SuggestIn(Strict):
    n: int = Field(1, ge=1, le=10, strict=True, description="how many suggestions to ask for")
    seed: int | None = Field(
        None, ge=0, le=2**31 - 1, strict=True, description="default: a fresh random seed"
    )


class Suggestion(BaseModel):
    id: int
    campaign: str
    params: dict[str, float | str]
    acquisition_value: float | None
    seed: int | None
    status: str
    created_by: str | None
    created_at: Timestamp
    status_changed_by: str | None
    status_changed_at: Timestamp | None
    status_note: str | None
    prediction: dict[str, dict[str, float | None]] | None = Field(
        None,
        description="the model's {outcome: {mean, std}} at these parameters when it was asked "
        "(stored units: Jc in A/m^2; std: 1 sd of one measurement there, the mean's sd and the noise, "
        "scaled by the campaign's record, Optimizer.predict(measurement=True); an objective with "
        "log = true: mean the median exp(mu), std that of ln(value)); none before the model (a "
        "Sobol design)",
    )
    notes: list[str] = Field(
        default_factory=list,
        description="what the model's data warned of when it was asked (an objective constant, "
        "values far from the others: a wrong unit?), as `fluxtrap suggest` prints",
    )

    @classmethod
    def of(cls, x: SuggestionRecord) -> Suggestion:
        summary = x.model_summary
        fields = {k: getattr(x, k) for k in cls.model_fields if k not in ("prediction", "notes")}
        return cls(**fields, prediction=summary.get("prediction"), notes=summary.get("notes", []))


SuggestionStatus = Literal["open", "used", "discarded", "abandoned", "failed"]


class SuggestionStatusIn(Strict):
    status: SuggestionStatus = Field(
        description="failed: made but unusable (its sample is marked failed too); abandoned: "
        "given up; discarded: not worth making; the three free the point"
    )
    note: str | None = Field(
        None, max_length=MAX_STATUS_NOTE, description="why (kept with the status)"
    )
    if_status: SuggestionStatus | None = Field(
        None,
        description="the status the caller saw: if it is another now (someone changed it since), "
        "409 and nothing changed",
    )


class SampleStatusIn(Strict):
    status: Literal["made", "failed"] = Field(
        description="failed: unusable (cracked, unmeasurable), no longer pending"
    )
    note: str | None = Field(
        None, max_length=MAX_STATUS_NOTE, description="why (kept with the status)"
    )
    if_status: Literal["made", "failed"] | None = Field(
        None,
        description="the status the caller saw: if it is another now (someone changed it since), "
        "409 and nothing changed",
    )


class ObjectivesIn(Strict):
    objectives: dict[Key, Number | Text] = Field(
        min_length=1,
        max_length=1000,
        description="objective -> a number in its unit (Jc A/m^2, Tc K) or a string with a unit, "
        'e.g. "37.2 K"',
    )
    # JSON true or false only: a lax bool took 1, "yes", "on" and "t" as an order to overwrite
    replace: bool = Field(
        False, strict=True, description="overwrite values already stored (else a 422)"
    )


class SimulationIn(Strict):
    case: str = Field(
        min_length=1,
        max_length=200_000,
        description="the case file (TOML, as `fluxtrap simulate` reads it; the /simulations "
        "page shows an example)",
    )


class Job(BaseModel):
    """A simulation job (``/api/jobs/{id}``; job ids are the queue's own, not the store's
    simulation ids, and never reused). ``simulation_id`` is the stored simulation once the job
    has finished and its result is in the store (done, or failed with the run's error); a job
    cancelled, interrupted by a server stop, or failed with ``simulation_id`` null has no stored
    result and ``error`` says why."""

    id: int
    title: str
    status: Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
    created_by: str
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    heartbeat_at: Timestamp | None = Field(
        None, description="when the server running it last said it is alive"
    )
    error: str | None
    simulation_id: int | None
    run: int | None = Field(
        None,
        description="while running on the server asked: the run through the protocol it is in "
        "(the adaptive solver's fine and coarse runs each start again at t = 0; 0: its process "
        "is starting)",
    )
    simulated_s: float | None = Field(
        None, description="while running on the server asked: the simulated time reached (s)"
    )
    protocol_s: float | None = Field(
        None, description="while running on the server asked: the protocol's duration (s)"
    )

    @classmethod
    def of(cls, x: JobRecord) -> Job:
        return cls(
            id=x.id, title=x.title, status=x.status, created_by=x.created_by,
            created_at=x.created_at, started_at=x.started_at, finished_at=x.finished_at,
            heartbeat_at=x.heartbeat_at, error=x.error, simulation_id=x.simulation_id,
        )  # fmt: skip


class JobsHealth(BaseModel):
    """The server's simulation workers: whether they can claim jobs, else why."""

    workers: int = Field(description="job workers running on this server (0: it runs no jobs)")
    running: int = Field(description="jobs running on this server now")
    claiming: bool = Field(description="whether the workers can claim the next queued job")
    error: str | None = Field(description="why they cannot (their last failure), if not")
    failing_since: Timestamp | None = Field(description="when the failures in a row began")
    failures: int = Field(description="failed tries in a row")
    retry_in_s: float | None = Field(description="the wait before the next try (s), at most 60")


class Health(BaseModel):
    """``/api/health``: whether the server can write its store, and its job workers' state."""

    writable: bool = Field(description="whether this server can write its store now")
    read_only: str | None = Field(description="why it cannot, if not")
    jobs: JobsHealth


class Simulation(BaseModel):
    """A stored simulation (done or failed; ``created_at`` and ``finished_at`` are when it was
    recorded), from a web job or ``fluxtrap simulate --db``."""

    id: int
    title: str
    status: Literal["queued", "running", "done", "failed"]
    campaign: str | None = None
    created_by: str | None
    created_at: Timestamp
    finished_at: Timestamp | None
    error: str | None
    probes: list[str]
    summary: dict[str, Any] | None

    @classmethod
    def of(cls, x: SimulationRecord) -> Simulation:
        """``x`` as the API gives it (a listed one's summary without its J/B maps:
        ``Store.simulations``)."""
        return cls(
            id=x.id,
            title=x.name,
            status=x.status,
            campaign=x.campaign,
            created_by=x.created_by,
            created_at=x.created_at,
            finished_at=x.created_at,
            error=x.error,
            probes=[p["name"] for p in x.case.get("probes", [])],
            summary=x.summary or None,
        )


class Columns(BaseModel):
    """A table as columns: name (with unit) -> values."""

    columns: dict[str, list[float]]
