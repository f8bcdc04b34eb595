"""Trapped-field simulator: 2D axisymmetric H-phi finite elements of bulk superconductor stacks.

    from fluxtrap.simulate import Simulation, simulate
    result = Simulation("examples/paper_bulk_pair.toml").run()
    result.probes            # DataFrame: time_s, applied_T, temperature_K, <probe>_Bz_T
    result.save("out/")      # probes.csv, summary.json, plots (design section 3)

Modules, each small: ``case`` (case files -> frozen values), ``materials`` (E(J), Jc(B, T)),
``mesh`` (graded triangles), ``fem`` (edge elements, r-weighted), ``solver`` (backward Euler,
Newton), ``probes`` (Biot-Savart), ``simulation`` (Simulation, Result), ``analytic`` (closed
forms used by the tests).
"""

from fluxtrap.simulate.case import (
    Case,
    CaseWarning,
    Hold,
    Layer,
    Probe,
    RampField,
    RampTemperature,
    Set,
)
from fluxtrap.simulate.materials import (
    ConstantJc,
    CurveJc,
    KimJc,
    NormalConductor,
    Superconductor,
    TableJc,
    TemperatureScaling,
)
from fluxtrap.simulate.simulation import Result, Simulation, Snapshot, simulate

__all__ = [
    "Case",
    "CaseWarning",
    "ConstantJc",
    "CurveJc",
    "Hold",
    "KimJc",
    "Layer",
    "NormalConductor",
    "Probe",
    "RampField",
    "RampTemperature",
    "Result",
    "Set",
    "Simulation",
    "Snapshot",
    "Superconductor",
    "TableJc",
    "TemperatureScaling",
    "simulate",
]
