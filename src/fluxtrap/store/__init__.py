"""Experiment store: campaigns, samples, raw measurement files, derived curves, suggestions, users,
simulations, simulation jobs, calibrations.

From the repository's root (``examples/campaign.toml`` is the K-Ba122 campaign), making ``lab.db``:

```python
from fluxtrap.campaign import CampaignSpec
from fluxtrap.store import Store

store = Store("sqlite:///lab.db")            # any SQLAlchemy URL; migrated on open
store.create_campaign(CampaignSpec.from_toml("examples/campaign.toml"))
store.add_sample("K-Ba122 SPS", "B2", {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5})
store.set_objectives("K-Ba122 SPS", "B2", {"jc_3T": "2.3e4 ± 400 A/cm^2"})  # a bare number: SI
store.history("K-Ba122 SPS")                 # DataFrame: parameters, objectives (SI), errors
```

Parameters are in the campaign's units; objectives are stored in SI (Jc in A/m^2, Tc in K).
A measurement file goes in through ``fluxtrap.workflows.measurements.record_measurement``.
"""

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
from fluxtrap.store.store import PrivilegeError, Store, resolve_url

__all__ = [
    "CalibrationRecord",
    "CampaignRecord",
    "CurveData",
    "CurveRecord",
    "JobRecord",
    "MeasurementRecord",
    "PrivilegeError",
    "SampleRecord",
    "SessionRecord",
    "SimulationRecord",
    "Store",
    "SuggestionRecord",
    "UserRecord",
    "resolve_url",
]
