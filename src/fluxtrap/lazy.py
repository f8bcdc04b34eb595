"""A package's public names and submodules, each imported on first use (PEP 562)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable, Mapping
from typing import Any


def attach(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for the package named ``package``: each key of ``homes``
    is the attribute of that name of the module ``package.<home>``, and each submodule
    (``fluxtrap.workflows.measurements``) is itself, imported when first asked for, so importing
    the package loads none of them; ``dir()`` lists them before (tab completion), with the
    dunders, not the package's own helpers (``attach``, ``TYPE_CHECKING``). Any other name is an
    ``AttributeError`` worded as Python's own.

        __getattr__, __dir__ = attach(__name__, {"read": "readers"})
    """

    def submodules() -> set[str]:
        found = pkgutil.iter_modules(sys.modules[package].__path__)
        return {m.name for m in found if not m.name.startswith("_")}

    def __getattr__(name: str) -> Any:
        if name in homes:
            return getattr(importlib.import_module(f"{package}.{homes[name]}"), name)
        if name in submodules():
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        dunders = (n for n in vars(sys.modules[package]) if n.startswith("__"))
        return sorted({*homes, *submodules(), *dunders})

    return __getattr__, __dir__
