"""Design sweeps: many variants of one simulation case, run on Dask distributed.

A sweep is a base case (a TOML file, design section 3) and its variants: the cartesian product
of the ``--vary`` axes, times the rows of an optional CSV list; at most ``MAX_VARIANTS``
(10 000), counted before any variant is built. A variant is the base case's
dict with some values replaced, then parsed into a :class:`~fluxtrap.simulate.Case` on the
client (so relative ``jc.csv`` paths are read once, here, and workers need no files).

What a swept name changes in the case dict:

========== ===================================================================================
radius      every ``[[stack]]`` layer's ``radius`` (a length)
thickness   the ``thickness`` of every superconductor layer (a length); layers without an
            explicit ``z`` restack on top of each other; probes stay where they are
temperature the ``temperature`` of the ``set`` step, ``protocol[0]`` (a temperature); it acts
            through the superconductors' ``jc.temperature`` scaling, so a case without any
            is refused
field       the applied ``field`` of the ``set`` step, ``protocol[0]`` (a flux density)
n           the power-law exponent ``n`` of every superconductor (a number)
jc_scale    a factor (a number > 0) on the Jc(B) of every superconductor: the table values,
            the Kim ``jc0``, the constant, or the points of a ``jc.csv``
a.b.0.c     any dotted path into the case dict, list items by index: ``materials.bulk1.n``,
            ``stack.2.thickness``, ``protocol.1.rate``, ``mesh.size``; the value is written
            as given (``"12 mm"`` or a number); one value sets it for every variant
            (``solver.accuracy="0.5 %"``, ``mesh.size="2 mm"``: what simulate's
            ``[solver] accuracy`` and ``--mesh-size`` set)
========== ===================================================================================

Each variant's key is the SHA-256 of the parsed case in SI (title left out) and the fluxtrap
version, so a variant computed by an earlier sweep into the same folder is read back from
``DIR/cache/<key>.json`` instead of being run again, whatever the order or the other variants.
A variant whose case is invalid or whose simulation raises is recorded with its error and the
sweep goes on; such simulation failures are cached too (``retry_failed`` runs them again).

Outputs in ``DIR``: ``results.csv`` and ``results.json`` (one row per variant: parameters in
the units given, ``<probe>_final_T``, ``<probe>_max_abs_T`` (with the applied field),
``<probe>_max_abs_self_T`` (the sample's own), their estimated errors, solver counts, ``wall_s``,
``status``, ``error``, ``key``, ``cached``), ``cache/`` (``<key>.json`` with the simulation
summary, ``<key>-probes.csv`` with the probe traces) and ``trapped_<probe>.png`` plots
(final probe field against the first swept parameter, one line per value of the others).
"""

from __future__ import annotations

from fluxtrap.workflows.sweep.cache import Cache
from fluxtrap.workflows.sweep.grammar import SHORTCUTS, Axis, Value, column_name, read_list
from fluxtrap.workflows.sweep.results import (
    SweepResult,
    plot_sweep,
    results_table,
    swept_units,
    write_results,
)
from fluxtrap.workflows.sweep.runner import run_case, run_sweep
from fluxtrap.workflows.sweep.variants import (
    Variant,
    apply,
    case_key,
    expand,
    load_case_dict,
    solver_identity,
)

__all__ = [
    "SHORTCUTS",
    "Axis",
    "Cache",
    "SweepResult",
    "Value",
    "Variant",
    "apply",
    "case_key",
    "solver_identity",
    "column_name",
    "expand",
    "load_case_dict",
    "plot_sweep",
    "read_list",
    "results_table",
    "run_case",
    "run_sweep",
    "swept_units",
    "write_results",
]
