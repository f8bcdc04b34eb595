"""What one calibration simulation costs: a single run on the case's mesh, not the error pair.

``Simulation.run`` runs every case as a coarse/fine pair (and the coarse mesh again at the fine
run's times) for its discretization-error estimate: three runs of which the fit uses the fine
one's probes only. A calibration runs each point once on its ``[mesh] size`` and estimates that
error once, at the fit (``Calibration.model_error``). On the stall test's ring (2 mm mesh, 380
simulations) that halved the CPU time, 36.7 -> 19.1 s, with the same values, sigmas and chi^2 to
the bit (the same probes); the disk of test_calibrate_recovery.py 2.95 -> 1.46 s.
"""

from __future__ import annotations

import numpy as np
import pytest

from fluxtrap.simulate import Simulation, simulate
from fluxtrap.simulate.calibrate import Series, apply, calibrate, parse_fit
from fluxtrap.simulate.calibrate.runners import serial
from fluxtrap.simulate.simulation import Simulation as _Simulation
from tests.physics.test_calibrate_stall import ring


@pytest.mark.filterwarnings("ignore::fluxtrap.simulate.simulation.AccuracyWarning")
def test_a_single_run_gives_the_pairs_fine_probes_to_the_bit():
    """The fit's probes are unchanged: the single run is the pair's fine run."""
    from fluxtrap.simulate.calibrate.runners import single_run

    case = apply(ring(), parse_fit("sc.n,sc.jc_scale", ring()), [20.0, 1.2])
    whole, single = Simulation(case).run(progress=False).probes, single_run(case).probes
    assert list(whole.columns) == list(single.columns)
    np.testing.assert_array_equal(whole.to_numpy(), single.to_numpy())


@pytest.mark.filterwarnings("ignore::fluxtrap.simulate.simulation.AccuracyWarning")
def test_a_calibration_runs_each_point_once_and_estimates_its_error_at_the_fit(monkeypatch):
    """One run per simulation plus one coarse run at the fit (three per simulation before), and
    the estimate at the fit is Simulation.run's own: its coarse run's difference from the fit's
    at the series' points, at most the run's largest estimate over the whole trace."""
    runs = []
    original = _Simulation.run_on_mesh

    def counted(self, *args, **kwargs):
        runs.append(args[1])  # the element size, m
        return original(self, *args, **kwargs)

    case = ring()
    params = parse_fit("sc.n,sc.jc_scale", case)
    df = simulate(apply(case, params, [20.0, 1.2])).probes
    t = np.arange(100.0, 200.0, 5.0)
    b = np.interp(t, df.time_s, df.bore_Bz_T) + np.random.default_rng(3).normal(0, 2e-3, t.size)
    series = Series("ramp", t, b, "bore", origin_s=200.0)
    monkeypatch.setattr(_Simulation, "run_on_mesh", counted)
    cal = calibrate(case, series, params, scan=0, profile=False, runner=serial)
    monkeypatch.undo()
    assert len(runs) == cal.simulations + 1
    assert runs.count(4e-3) == 1  # the one coarse run (2 x the 2 mm mesh)
    err = cal.model_error
    assert err is not None and err["series"][0]["probe"] == "bore"
    fitted = Simulation(cal.fitted_cases[0]).run(progress=False)
    largest = err["series"][0]["largest_T"]
    assert 0 < largest <= fitted.errors["bore"]["max_error_T"] * (1 + 1e-9)
    assert set(err["shift_sigmas"]) == {"sc.n", "sc.jc_scale"}
    assert cal.to_dict()["model_error"] == err
