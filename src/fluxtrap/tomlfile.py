"""The one TOML reader: campaign files, case files and case text from the web all go through it,
with one error policy (an ``InputFileError`` that names the file: missing, unreadable, not UTF-8
text, or not valid TOML with the parser's line and column)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fluxtrap.errors import InputFileError
from fluxtrap.inputs import load_toml


def read_toml(path: str | Path, what: str = "TOML file") -> dict[str, Any]:
    """The dict of the TOML file at ``path``; ``what`` names it in errors ("case file")."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"{p}: no such {what}") from None
    except UnicodeDecodeError as err:
        raise InputFileError(f"{p}: not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise InputFileError(f"{p}: cannot read the {what} ({err.strerror})") from None
    return parse_toml(text, str(p))


def parse_toml(text: str, where: str) -> dict[str, Any]:
    """The dict of TOML ``text``; ``where`` names it in errors (a path, or "case"). Bounded in
    size and nesting, with NaN, infinite numbers and overlong strings refused by key
    (:func:`fluxtrap.inputs.load_toml`)."""
    return load_toml(text, where)
