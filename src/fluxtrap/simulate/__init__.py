"""Trapped-field simulator: 2D axisymmetric H-phi finite elements of bulk superconductor stacks.

```python
from fluxtrap.simulate import Case, Simulation

# the example bulk pair on a coarse 3 mm mesh (about 3 s; the file's 1 mm is the published one)
case = Case.load("examples/paper_bulk_pair.toml").with_options(mesh_size_m=3e-3)
result = Simulation(case).run()
result.probes  # DataFrame: time_s, applied_T, temperature_K, <probe>_Bz_T
result.errors  # per probe: final_error_T, max_error_T (estimated discretization)
result.creep("center")  # a_T, b_T, S, decay_ppm_per_h of B = a - b ln t over the last hold
result.field_map(5250.0)  # r, z (m), Br, Bz (T) at the snapshot nearest 5250 s
result.save("out/")  # probes.csv, summary.json, plots (design section 3)
```

A case is a TOML path, a dict of the same shape (values with their units, "15 mm", or pint
quantities) or a ``Case``.

Modules, each small: ``case`` (case files -> frozen values; its parts ``geometry``, ``protocol``,
``material_spec``, ``options``, ``casefile``), ``materials`` (E(J), Jc(B, T)),
``mesh`` (graded triangles), ``fem`` (edge elements, r-weighted), ``solver`` (backward Euler,
Newton), ``probes`` (Biot-Savart), ``simulation`` (Simulation, Result), ``analytic`` (closed
forms used by the tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fluxtrap.lazy import attach

# Public names and their modules, imported on first use (PEP 562): ``import fluxtrap.simulate``
# stays light, and a run loads the mesher and solver, a plot matplotlib, only when needed.
_HOME = {
    **dict.fromkeys(
        (
            "Case",
            "CaseWarning",
            "Cool",
            "Hold",
            "Layer",
            "Probe",
            "ProbeInsideWarning",
            "Pulse",
            "RampField",
            "RampTemperature",
            "Set",
        ),
        "case",
    ),
    **dict.fromkeys(
        (
            "ConstantJc",
            "CurveJc",
            "KimJc",
            "NormalConductor",
            "Superconductor",
            "TableJc",
            "TemperatureScaling",
            "TemperatureTablesJc",
        ),
        "materials",
    ),
    **dict.fromkeys(("Result", "Simulation", "Snapshot", "simulate"), "simulation"),
}
__getattr__, __dir__ = attach(__name__, _HOME)


if TYPE_CHECKING:
    from fluxtrap.simulate.case import (
        Case,
        CaseWarning,
        Cool,
        Hold,
        Layer,
        Probe,
        ProbeInsideWarning,
        Pulse,
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
        TemperatureTablesJc,
    )
    from fluxtrap.simulate.simulation import Result, Simulation, Snapshot, simulate

__all__ = [
    "Case",
    "CaseWarning",
    "ConstantJc",
    "Cool",
    "CurveJc",
    "Hold",
    "KimJc",
    "Layer",
    "NormalConductor",
    "Probe",
    "ProbeInsideWarning",
    "Pulse",
    "RampField",
    "RampTemperature",
    "Result",
    "Set",
    "Simulation",
    "Snapshot",
    "Superconductor",
    "TableJc",
    "TemperatureScaling",
    "TemperatureTablesJc",
    "simulate",
]
