"""Experiment store: campaigns, samples, raw measurement files, derived curves, suggestions, users,
simulations."""

from fluxtrap.store.records import (
    CampaignRecord,
    CurveData,
    CurveRecord,
    MeasurementRecord,
    SampleRecord,
    SimulationRecord,
    SuggestionRecord,
    UserRecord,
)
from fluxtrap.store.store import Store, resolve_url

__all__ = [
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
