"""A package's public names, each imported from its module on first use (PEP 562)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


def attach(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for the package named ``package``: each key of ``homes``
    is the attribute of that name of the module ``package.<home>``, imported when first asked
    for, so importing the package loads none of them; ``dir()`` lists them before (tab
    completion), with the package's submodules and dunders, not its own helpers (``attach``,
    ``TYPE_CHECKING``). Any other name is an ``AttributeError`` worded as Python's own.

        __getattr__, __dir__ = attach(__name__, {"read": "readers"})
    """

    def __getattr__(name: str) -> Any:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{homes[name]}"), name)

    def __dir__() -> list[str]:
        names = vars(sys.modules[package])
        parts = {
            n
            for n, v in names.items()
            if n.startswith("__") or isinstance(v, ModuleType) and v.__name__.startswith(package)
        }
        return sorted({*homes, *parts})

    return __getattr__, __dir__
