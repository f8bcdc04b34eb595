"""Experiment store: campaigns, samples, raw measurement files, derived curves, suggestions, users,
simulations, calibrations."""

from fluxtrap.store.store import (
    CalibrationRecord,
    CampaignRecord,
    CurveData,
    CurveRecord,
    MeasurementRecord,
    SampleRecord,
    SimulationRecord,
    Store,
    SuggestionRecord,
    UserRecord,
    resolve_url,
)

__all__ = [
    "CalibrationRecord",
    "CampaignRecord",
    "CurveData",
    "CurveRecord",
    "MeasurementRecord",
    "SampleRecord",
    "SimulationRecord",
    "Store",
    "SuggestionRecord",
    "UserRecord",
    "resolve_url",
]
