"""fluxtrap: design bulk superconducting permanent magnets.

From sintering campaigns (experiment store, magnetometry, Bayesian optimization)
to trapped-field magnets (2D axisymmetric H-formulation FEM).
"""

from fluxtrap.errors import FluxtrapError

__all__ = ["FluxtrapError", "__version__"]
__version__ = "0.1.0"
