"""Experiment store: campaigns, samples, raw measurement files, derived curves, suggestions, users,
simulations, simulation jobs, calibrations."""

from fluxtrap.store.records import (
    CalibrationRecord,
    CampaignRecord,
    CurveData,
    CurveRecord,
    JobRecord,
    MeasurementRecord,
    SampleRecord,
    SessionRecord,
    SimulationRecord,
    SuggestionRecord,
    UserRecord,
)
from fluxtrap.store.store import Store, resolve_url

__all__ = [
    "CalibrationRecord",
    "CampaignRecord",
    "CurveData",
    "CurveRecord",
    "JobRecord",
    "MeasurementRecord",
    "SampleRecord",
    "SessionRecord",
    "SimulationRecord",
    "Store",
    "SuggestionRecord",
    "UserRecord",
    "resolve_url",
]
