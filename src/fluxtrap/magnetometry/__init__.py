"""Magnetometry: instrument files -> SI tables -> Jc(B) (extended Bean), Tc, flux creep.

From the repository's root, on the SYNTHETIC files (not measurements) that
``.venv/bin/python examples/jc_from_loop.py --out loop/`` and
``.venv/bin/python examples/tutorial_files.py --out tutorial/`` write:

```python
from fluxtrap.magnetometry import fit_creep, jc_from_loop, read, read_series, tc_from_table

table = read("loop/B2_MH_5K_SYNTHETIC.dat")        # Quantum Design .dat or CSV, path or bytes
jc = jc_from_loop(table, 0.5e-3, 1.2e-3, 2.8e-3)   # bar a <= b across the field, c along it (m)
jc.at(3.0), jc.err_at(3.0)                          # A/m^2 at 3 T, and its 1-sigma
tc_from_table(read("tutorial/mt_100Oe_SYNTHETIC.dat"))  # a TcResult per sweep: Tc ± 1-sigma (K)
t, b, applied, _ = read_series("tutorial/hall_SYNTHETIC.csv")  # Hall probe: s, T, T (or None)
fit_creep(t, b, applied_T=applied, start_s=60.0)    # CreepFit: B = a - b ln t (T), S, ppm/h
```

``compare`` (``compare.compare``: a measured series against a simulated probe trace),
``pipeline`` (store-facing) and ``plots`` (matplotlib) are its other modules, loaded on first use.
"""

from typing import TYPE_CHECKING

from fluxtrap.lazy import attach

# Public names and their modules, imported on first use (PEP 562): `fluxtrap tc` loads neither
# bean nor creep, and no module here loads scipy.optimize before a fit needs it.
_HOME = {
    **dict.fromkeys(("ImplausibleJcWarning", "bean_jc", "jc_from_loop", "jc_from_width"), "bean"),
    **dict.fromkeys(("CreepFit", "fit_creep", "read_series"), "creep"),
    **dict.fromkeys(("JcCurve", "kim"), "jc"),
    **dict.fromkeys(
        (
            "Branch",
            "LoopWidth",
            "NotSuperconductingWarning",
            "RepeatedMeasurementWarning",
            "loop_width",
            "magnetization",
            "split_branches",
        ),
        "loops",
    ),
    "read": "readers",
    **dict.fromkeys(("synthetic_mh_loop", "write_qd_dat"), "synthetic"),
    **dict.fromkeys(("MeasurementTable", "TableMetadata"), "table"),
    **dict.fromkeys(("Sweep", "TcResult", "find_tc", "split_sweeps", "tc_from_table"), "tc"),
}
__getattr__, __dir__ = attach(__name__, _HOME)


if TYPE_CHECKING:  # seen by type checkers and the API reference (mkdocstrings), never run
    from fluxtrap.magnetometry.bean import (
        ImplausibleJcWarning,
        bean_jc,
        jc_from_loop,
        jc_from_width,
    )
    from fluxtrap.magnetometry.creep import CreepFit, fit_creep, read_series
    from fluxtrap.magnetometry.jc import JcCurve, kim
    from fluxtrap.magnetometry.loops import (
        Branch,
        LoopWidth,
        NotSuperconductingWarning,
        RepeatedMeasurementWarning,
        loop_width,
        magnetization,
        split_branches,
    )
    from fluxtrap.magnetometry.readers import read
    from fluxtrap.magnetometry.synthetic import synthetic_mh_loop, write_qd_dat
    from fluxtrap.magnetometry.table import MeasurementTable, TableMetadata
    from fluxtrap.magnetometry.tc import Sweep, TcResult, find_tc, split_sweeps, tc_from_table

__all__ = [
    "Branch",
    "CreepFit",
    "ImplausibleJcWarning",
    "JcCurve",
    "LoopWidth",
    "MeasurementTable",
    "NotSuperconductingWarning",
    "RepeatedMeasurementWarning",
    "Sweep",
    "TableMetadata",
    "TcResult",
    "bean_jc",
    "find_tc",
    "fit_creep",
    "jc_from_loop",
    "jc_from_width",
    "kim",
    "loop_width",
    "magnetization",
    "read",
    "read_series",
    "split_branches",
    "split_sweeps",
    "synthetic_mh_loop",
    "tc_from_table",
    "write_qd_dat",
]
