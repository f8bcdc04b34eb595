"""Untrusted documents (case and campaign files, request bodies) read with bounds.

Every TOML or JSON document a user hands to fluxtrap is bounded in size and nesting, and every
value in it is checked before it is used: numbers finite, strings of bounded length. An error
names the document and the key path (``materials.bulk1.jc.table.jc[3]``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import tomli  # reads TOML 1.1: multi-line inline tables, as design section 3 writes jc.table

from fluxtrap.errors import InputFileError

MAX_DOCUMENT = (
    4 * 2**20
)  # characters of one TOML document; a case with a 1000-point table is ~50 kB
MAX_DEPTH = 16  # nested tables and arrays; a case file needs 5 (materials.x.jc.table.field)
MAX_STRING = 200_000  # characters of one string value (a case file sent as a string in JSON)


def load_toml(text: str, source: str) -> dict[str, Any]:
    """Parse TOML ``text`` from ``source`` (a path or "request body") and check its values."""
    if len(text) > MAX_DOCUMENT:
        raise InputFileError(
            f"{source}: {len(text)} characters is more than a TOML file may have ({MAX_DOCUMENT})"
        )
    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError as err:
        raise InputFileError(f"{source}: not valid TOML ({err})") from None
    except RecursionError:  # tomli's own guard against deep inline nesting
        raise InputFileError(
            f"{source}: arrays or tables nested more than {MAX_DEPTH} deep"
        ) from None
    return check_values(data, source)


def check_values(data: Any, source: str) -> Any:
    """``data`` (dicts, lists, strings, numbers, as TOML or JSON parse to) unchanged, or an
    InputFileError naming the first key nested more than ``MAX_DEPTH`` deep, holding a NaN or an
    infinite number, or a string longer than ``MAX_STRING``."""
    _check(data, source, "", 0)
    return data


def _check(value: Any, source: str, path: str, depth: int) -> None:
    where = f"{source}: {path or 'the document'}"
    if isinstance(value, float) and not math.isfinite(value):
        raise InputFileError(f"{where} is {value}; give a finite number")
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise InputFileError(f"{where} is {len(value)} characters long (at most {MAX_STRING})")
    if isinstance(value, Mapping | list | tuple):
        if depth >= MAX_DEPTH:
            raise InputFileError(f"{where}: nested more than {MAX_DEPTH} deep")
        items = value.items() if isinstance(value, Mapping) else enumerate(value)
        for key, item in items:
            sub = (
                f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key)
            )
            _check(item, source, sub, depth + 1)
