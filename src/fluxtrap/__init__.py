"""fluxtrap: design bulk superconducting permanent magnets.

From sintering campaigns (experiment store, magnetometry, Bayesian optimization)
to trapped-field magnets (2D axisymmetric H-formulation FEM). SI inside (m, s, T, A/m^2, K);
values with a unit are text ("3 T", "2e4 A/cm^2") or pint quantities (``units.Q_``).

Where to start (each part is imported on first use: ``fluxtrap.store.Store``; the docstrings
of store, magnetometry, workflows and optimize show first lines to run from the repository's root):

- ``store``: ``Store("sqlite:///lab.db")``, the experiment database (campaigns, samples,
  measurement files, suggestions, simulations; ``Store.history(campaign)`` as a DataFrame);
- ``campaign``: ``CampaignSpec.from_toml("examples/campaign.toml")``, parameters and objectives;
- ``magnetometry``: ``read(file)``, ``jc_from_loop`` (Jc(B), A/m^2), ``tc_from_table`` (Tc, K),
  ``read_series`` and ``fit_creep`` (B(t) = a - b ln t, T);
- ``workflows``: the store's use cases, ``measurements.record_measurement`` (a file -> Jc(B) or
  Tc -> the sample's objectives) and ``suggest.suggest`` (the campaign's next syntheses);
- ``optimize``: ``SearchSpace``, ``Optimizer`` (BoTorch) without a store;
- ``simulate``: ``Simulation(case).run()``, a trapped-field magnet (probes in T, maps);
- ``units``: ``parse("30 mm", "length")``, ``Q_``;
- ``errors``: the ``FluxtrapError`` family.
"""

import importlib

from fluxtrap.errors import FluxtrapError

__all__ = ["FluxtrapError", "__version__"]
__version__ = "0.1.0"

# Imported on first use (PEP 562): `import fluxtrap` stays light, and `fluxtrap.<tab>` lists them.
SUBPACKAGES = (
    "campaign",
    "errors",
    "magnetometry",
    "optimize",
    "simulate",
    "store",
    "units",
    "workflows",
)


def __getattr__(name: str):
    if name in SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names and parts, not this module's helpers (``importlib``, ``SUBPACKAGES``)."""
    return sorted({*__all__, *SUBPACKAGES, *(n for n in globals() if n.startswith("__"))})
