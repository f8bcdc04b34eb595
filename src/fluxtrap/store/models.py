"""ORM tables of the experiment store (SQLAlchemy 2). The schema is owned by Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ORIGINS = ("researcher", "optimizer")
MEASUREMENT_KINDS = ("mh_loop", "mt_curve", "hall_series", "other")
# discarded: judged not worth making; abandoned: making it was given up; failed: made, but the
# sample is unusable (cracked, unmeasurable). All three free the point for the optimizer.
SUGGESTION_STATUSES = ("open", "used", "discarded", "abandoned", "failed")
SAMPLE_STATUSES = ("made", "failed")  # failed: never gives a measurement; not pending
SIMULATION_STATUSES = ("done", "failed")
# a job is queued, then running, then one of the others; interrupted: the server stopped under it
JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled", "interrupted")
JOB_PENDING = ("queued", "running")
ROLES = ("reader", "writer", "admin")  # each may do what the one before it may


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)  # CampaignSpec.to_dict()
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    samples: Mapped[list[Sample]] = relationship(back_populates="campaign", order_by="Sample.id")


class Suggestion(Base):
    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    acquisition_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    model_summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # who last changed the status, and when (null: never changed since it was asked for)
    status_changed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status_changed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    status_note: Mapped[str | None] = mapped_column(String(500), nullable=True)  # why


class Sample(Base):
    __tablename__ = "samples"
    __table_args__ = (UniqueConstraint("campaign_id", "label", name="uq_sample_label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    objectives: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # 1-sigma of the objective values a measurement gave one for, in their unit (none: unknown)
    objective_errors: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, server_default="{}"
    )
    # who set each objective value (a measurement's recorded_by, or by hand); unnamed: absent
    objective_set_by: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, server_default="{}"
    )
    origin: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="made", server_default="made")
    status_note: Mapped[str | None] = mapped_column(String(500), nullable=True)  # why it failed
    # who last changed the status, and when (null: not changed since it was recorded, or
    # changed before store revision 0013, when only its suggestion, if any, kept them)
    status_changed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status_changed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("suggestions.id"), nullable=True)
    recorded_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    campaign: Mapped[Campaign] = relationship(back_populates="samples")
    measurements: Mapped[list[Measurement]] = relationship(
        back_populates="sample", order_by="Measurement.id"
    )


class Measurement(Base):
    __tablename__ = "measurements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    temperature_K: Mapped[float | None] = mapped_column(Float, nullable=True)
    filename: Mapped[str] = mapped_column(String(500))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    recorded_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    sample: Mapped[Sample] = relationship(back_populates="measurements")
    curves: Mapped[list[Curve]] = relationship(back_populates="measurement", order_by="Curve.id")


class Curve(Base):
    __tablename__ = "curves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measurement_id: Mapped[int] = mapped_column(ForeignKey("measurements.id"), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    method: Mapped[str] = mapped_column(String(100))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    columns: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    measurement: Mapped[Measurement] = relationship(back_populates="curves")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebSession(Base):
    """A login to the dashboard: the cookie carries a random id, stored here only as its SHA-256
    hash; valid until ``expires_at`` while its user is active (a logout deletes it, a revocation
    or a new token deletes the user's)."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Simulation(Base):
    """A finished trapped-field simulation: its case (parsed, in SI, and the TOML text as given),
    ``summary.json``, ``probes.csv`` and, of a heat run, ``heat.csv`` (bytes, kept whole; None
    without a heat model), or the error it stopped with."""

    __tablename__ = "simulations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    case: Mapped[dict[str, Any]] = mapped_column(JSON)  # Case.to_si_dict(), summary.json's "case"
    case_toml: Mapped[str] = mapped_column(Text)
    case_hash: Mapped[str] = mapped_column(String(64), index=True)  # Case.key(), the case identity
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # summary.json
    probes_csv: Mapped[bytes] = mapped_column(LargeBinary)  # probes.csv as written
    heat_csv: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # heat.csv
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Job(Base):
    """A simulation job of the web server: the case text as submitted, its place in the queue and
    how it ended; ``simulation_id`` is the stored result (done, or failed with what ran).
    ``runner`` names the server process running it (``host:pid:instance``), which renews
    ``heartbeat_at`` while it lives. Ids are never reused (SQLite AUTOINCREMENT), so an old job id
    never points at a newer job."""

    __tablename__ = "jobs"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    case_toml: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_by: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    runner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    simulation_id: Mapped[int | None] = mapped_column(ForeignKey("simulations.id"), nullable=True)


class Calibration(Base):
    """A calibration of a case against measured probe series: the case as given and as fitted,
    ``calibrate.json`` (``result``), whether every series was fitted, and its links: the stored
    simulation of the fitted case and the measured series (``CalibrationSeries``)."""

    __tablename__ = "calibrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    fit: Mapped[str] = mapped_column(String(500))  # the fitted parameter names, comma-separated
    case_toml: Mapped[str] = mapped_column(Text)
    case_hash: Mapped[str] = mapped_column(String(64), index=True)
    fitted_case_toml: Mapped[str] = mapped_column(Text)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)  # calibrate.json
    fits: Mapped[bool] = mapped_column(Boolean)
    simulation_id: Mapped[int | None] = mapped_column(ForeignKey("simulations.id"), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    series: Mapped[list[CalibrationSeries]] = relationship(
        back_populates="calibration", order_by="CalibrationSeries.position"
    )


class CalibrationSeries(Base):
    """One measured series of a calibration: the file's bytes and sha256, the probe it was
    compared with, and the stored measurement with the same bytes, if there is one."""

    __tablename__ = "calibration_series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    calibration_id: Mapped[int] = mapped_column(ForeignKey("calibrations.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(500))
    probe: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    measurement_id: Mapped[int | None] = mapped_column(ForeignKey("measurements.id"), nullable=True)

    calibration: Mapped[Calibration] = relationship(back_populates="series")
