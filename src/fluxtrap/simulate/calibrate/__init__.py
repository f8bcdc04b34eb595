"""Calibrate a case's material parameters (n, Jc scale, E0) against measured probe series.

    from fluxtrap.simulate.calibrate import Series, calibrate, predict
    cal = calibrate(case, [Series("hold", t_s, b_T, probe="center", applied_T=applied)],
                    "bulk1.n,bulk1.jc_scale")
    cal.values, cal.sigmas, cal.correlation     # fitted values, 1-sigma, correlations
    cal.sigma_sources, cal.profile_intervals   # linearised or from a flat profile of n
    predict(cal, other_case)                    # probe values of another case with error bars

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
