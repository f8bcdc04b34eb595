"""Experiment store: campaigns, samples, raw measurement files, derived curves, suggestions, users."""

from fluxtrap.store.store import (
    CurveData,
    CurveRecord,
    MeasurementRecord,
    SampleRecord,
    Store,
    SuggestionRecord,
    UserRecord,
    resolve_url,
)

__all__ = [
    "CurveData",
    "CurveRecord",
    "MeasurementRecord",
    "SampleRecord",
    "Store",
    "SuggestionRecord",
    "UserRecord",
    "resolve_url",
]
