"""The use cases, each written once and called by the command line, the web and the demo.

- :mod:`.measurements`: record a measurement file (derive Jc(B), read the objectives, store all);
- :mod:`.simulations`: record a simulation, done or failed;
- :mod:`.suggest`: the campaign's optimizer on its history, and asking it for suggestions;
- :mod:`.history`: best-so-far series of a campaign's history;
- :mod:`.sweep`: variants of a simulation case run on Dask, cached by case key;
- :mod:`.calibrate`: a case fitted to measured series files on Dask (the sweep's cache),
  predictions, calibrate.json and figures, and the calibration recorded in the store.

Workflows take a ``Store`` and plain values; the kernels they call (``magnetometry``,
``optimize``, ``simulate``, ``calibrate``) know nothing of the store, and the store knows nothing of them.

From Python, in the repository's root, on the SYNTHETIC M(H) loop (not a measurement) that
``.venv/bin/python examples/jc_from_loop.py --out loop/`` writes (the bar's edges a <= b across
the field, c along it, m):

```python
from pathlib import Path

from fluxtrap.campaign import CampaignSpec
from fluxtrap.store import Store
from fluxtrap.workflows.measurements import record_measurement
from fluxtrap.workflows.suggest import suggest

store = Store("sqlite:///lab.db")
store.create_campaign(CampaignSpec.from_toml("examples/campaign.toml"))
store.add_sample("K-Ba122 SPS", "B2", {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5})
loop = Path("loop/B2_MH_5K_SYNTHETIC.dat")
done = record_measurement(store, "K-Ba122 SPS", "B2", loop.name, loop.read_bytes(),
                          (0.5e-3, 1.2e-3, 2.8e-3))
done.objectives, done.errors        # {"jc_3T": A/m^2}, their 1-sigma (A/m^2)
suggest(store, "K-Ba122 SPS", n=2)  # SuggestionRecords, stored as open
```
"""

from fluxtrap.lazy import attach

__getattr__, __dir__ = attach(__name__, {})  # the modules above, imported on first use
