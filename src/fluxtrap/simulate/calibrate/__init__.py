"""Calibrate a case's material parameters (n, Jc scale, E0) against measured probe series.

```python
import numpy as np

from fluxtrap.simulate import Case, Simulation
from fluxtrap.simulate.calibrate import Series, apply, calibrate, parse_fit
from fluxtrap.simulate.calibrate.predict import predict

case = Case.load("examples/paper_bulk_pair.toml").with_options(mesh_size_m=4e-3)  # coarse
# a "measured" centre probe: the case with bulk1's n at 60 (not 35), plus 1 mT of noise
probes = Simulation(apply(case, parse_fit("bulk1.n", case), [60.0])).run().probes
noise = np.random.default_rng(1).normal(0.0, 1e-3, len(probes))
hall = Series("hall", probes.time_s, probes.center_Bz_T + noise, probe="center",
              applied_T=probes.applied_T)
cal = calibrate(case, [hall], "bulk1.n", scan=0, profile=False)  # about 10 simulations
print(cal.values, cal.sigmas, cal.correlation)  # fitted values, 1-sigma, correlations
print(cal.sigma_sources, cal.profile_intervals)  # linearised or from a flat profile of n
other = Case.load("examples/paper_fcm_10K_cooled.toml").with_options(mesh_size_m=4e-3)
print(predict(cal, other).table)  # its probes at each step's end, with 1-sigma error bars
```

Pure values in, values out (no store, web or command line): ``parameters`` (names, bounds,
writing values into a Case), ``series`` (measured traces, noise, alignment), ``runners``
(batches of simulations: serial, process pool), ``fit`` (scan + least squares + uncertainty),
``predict`` (propagation to other cases), ``plots``.
"""

from fluxtrap.simulate.calibrate.fit import Calibration, SeriesFit, calibrate, runs_test
from fluxtrap.simulate.calibrate.parameters import FitParameter, apply, parse_bounds, parse_fit
from fluxtrap.simulate.calibrate.runners import PoolRunner, serial
from fluxtrap.simulate.calibrate.series import Series, estimate_noise

__all__ = [
    "Calibration",
    "FitParameter",
    "PoolRunner",
    "Series",
    "SeriesFit",
    "apply",
    "calibrate",
    "estimate_noise",
    "parse_bounds",
    "parse_fit",
    "runs_test",
    "serial",
]
