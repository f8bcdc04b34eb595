"""The one TOML reader: campaign files, case files and case text from the web all go through it,
with one error policy (an ``InputFileError`` that names the file: missing, not a regular file,
over 4 MiB, unreadable, not UTF-8 text, or not valid TOML with the parser's line and column)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fluxtrap.inputs import load_toml, read_text


def read_toml(path: str | Path, what: str = "TOML file") -> dict[str, Any]:
    """The dict of the TOML file at ``path`` (read by :func:`fluxtrap.inputs.read_text`: a
    regular file of at most 4 MiB); ``what`` names it in errors ("case file")."""
    return parse_toml(read_text(path, what), str(Path(path)))


def parse_toml(text: str, where: str) -> dict[str, Any]:
    """The dict of TOML ``text``; ``where`` names it in errors (a path, or "case"). Bounded in
    size and nesting, with NaN, infinite numbers and overlong strings refused by key
    (:func:`fluxtrap.inputs.load_toml`)."""
    return load_toml(text, where)
