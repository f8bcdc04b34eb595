"""Untrusted documents (case and campaign files, request bodies) read with bounds.

Every TOML or JSON document a user hands to fluxtrap is bounded in size and nesting, and every
value in it is checked before it is used: numbers finite, strings of bounded length. An error
names the document and the key path (``materials.bulk1.jc.table.jc[3]``).
"""

from __future__ import annotations

import difflib
import math
import os
import re
import stat
import sys
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import tomli  # reads TOML 1.1: multi-line inline tables, as design section 3 writes jc.table

from fluxtrap.errors import InputFileError, UnknownKeyError, ValidationError

MAX_DOCUMENT = (
    4 * 2**20
)  # characters of one TOML document; a case with a 1000-point table is ~50 kB
MAX_DEPTH = 16  # nested tables and arrays; a case file needs 5 (materials.x.jc.table.field)
MAX_STRING = 200_000  # characters of one string value (a case file sent as a string in JSON)
MAX_FILE = 4 * 2**20  # bytes of one case file or table read from disk
MAX_FLOAT = sys.float_info.max  # an integer beyond it cannot be a float (OverflowError)


def read_bytes(path: str | Path, what: str, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit``, or an ``InputFileError``
    naming it and ``what`` it is ("case file", "magnetometer file"): missing, not a regular file
    (a directory, a FIFO, a device such as /dev/zero), larger, or unreadable. Opened without
    blocking (a FIFO with no writer); one whose size is beyond ``limit`` is refused before a
    byte is read (a 300 MiB file was read to the 256 MiB limit first), the rest read to
    ``limit`` + 1 bytes at most (a file growing while read). Text with a line break or a NUL
    is refused as not a path (a file's content given for its path was echoed whole as
    "<content>: no such case file"), as is anything but a str or a path."""
    if not isinstance(path, str | os.PathLike):
        raise InputFileError(f"expected the path of a {what}, got {type(path).__name__}")
    name = os.fspath(path)
    if isinstance(name, str) and ("\n" in name or "\0" in name):
        raise InputFileError(
            f"{name.lstrip()[:40]!r}... ({len(name)} characters) is text, not the path of a "
            f"{what}: give its path (a function that takes the content takes it as bytes or a dict)"
        )
    shown = shown_path(Path(path))
    with open_regular(path, what) as f:
        check_bytes(os.fstat(f.fileno()).st_size, limit, shown, what, known=True)
        try:
            data = f.read(limit + 1)
        except OSError as err:
            raise InputFileError(f"{shown}: cannot read the {what} ({err.strerror})") from None
    check_bytes(len(data), limit, shown, what)
    return data


def open_regular(path: str | Path, what: str) -> BinaryIO:
    """The regular file at ``path`` open for reading (binary), or an ``InputFileError`` naming
    it and ``what`` it is: missing, unreadable or not a regular file (a directory, a FIFO,
    opened without blocking on a writer, or a device: /dev/urandom had been read without end)."""
    p = Path(path)
    shown = shown_path(p)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InputFileError(f"{shown}: no such {what}") from None
    except OSError as err:
        raise InputFileError(f"{shown}: cannot read the {what} ({err.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputFileError(f"{shown}: not a regular file; a {what} must be one")
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


MAX_SHOWN_PATH = 200  # characters of a path shown whole in an error


def shown_path(path: str | Path) -> str:
    """``path`` as an error shows it: whole up to ``MAX_SHOWN_PATH`` characters, else its start
    and its end around "..." with its length (a 6000-character path was echoed whole, twice the
    length of the line it was in)."""
    text = str(path)
    if len(text) <= MAX_SHOWN_PATH:
        return text
    return f"{text[:120]}...{text[-60:]} ({len(text)} characters)"


def check_bytes(size: int, limit: int, where: str, what: str, known: bool = False) -> None:
    """Refuse ``size`` bytes beyond ``limit``, naming ``where`` and ``what`` it is (and the size,
    if it is ``known``: not merely what was read of it)."""
    if size > limit:
        raise InputFileError(
            f"{where}: more than {limit} bytes ({limit / 2**20:g} MiB), the most a {what} may have"
            + (f" (it has {size:,})" if known else "")
        )


def is_number(text: str) -> bool:
    """Whether ``text`` reads as a float ("1.2e-05", "nan")."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_text(path: str | Path, what: str) -> str:
    """The UTF-8 text of the regular file at ``path``, at most ``MAX_FILE`` bytes
    (:func:`read_bytes`), or an ``InputFileError`` naming it (also when it is not UTF-8)."""
    data = read_bytes(path, what, MAX_FILE)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputFileError(f"{path}: not UTF-8 text (byte {err.start})") from None


def load_toml(text: str | bytes, source: str) -> dict[str, Any]:
    """Parse TOML ``text`` (or its UTF-8 bytes) from ``source`` (a path or "request body") and
    check its values; a leading byte-order mark (Windows editors' "UTF-8 with BOM") is dropped:
    tomli refused it as "Invalid statement (at line 1, column 1)", a line the user sees nothing
    wrong with."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InputFileError(f"{source}: not UTF-8 text (byte {err.start})") from None
    if not isinstance(text, str):
        raise InputFileError(f"{source}: expected TOML text, got {type(text).__name__}")
    text = text.removeprefix("\ufeff")
    if len(text) > MAX_DOCUMENT:
        raise InputFileError(
            f"{source}: {len(text)} characters is more than a TOML file may have ({MAX_DOCUMENT})"
        )
    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError as err:
        raise InputFileError(f"{source}: not valid TOML ({err})") from None
    except ValueError:  # Python's int() refuses more digits (its guard against quadratic work)
        raise InputFileError(
            f"{source}: an integer of more than {sys.get_int_max_str_digits()} digits"
        ) from None
    except RecursionError:  # tomli's own guard against deep inline nesting
        raise InputFileError(
            f"{source}: arrays or tables nested more than {MAX_DEPTH} deep"
        ) from None
    return check_values(data, source)


def plain(data: Any, depth: int = 0) -> Any:
    """``data`` with numpy arrays as lists and numpy numbers as Python's, dicts and lists
    copied (a case dict built in a notebook: ``np.linspace(...)`` was refused as "expected a
    list of numbers", ``np.int64(25)`` as "expected a plain number"); the rest as it is, and
    below ``MAX_DEPTH`` unchanged (``check_values`` refuses it)."""
    if isinstance(data, np.ndarray | np.generic):
        return data.tolist()
    if depth > MAX_DEPTH:
        return data
    if isinstance(data, Mapping):
        return {k: plain(v, depth + 1) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v, depth + 1) for v in data]
    return data


def check_values(data: Any, source: str) -> Any:
    """``data`` (dicts, lists, strings, numbers, as TOML or JSON parse to) unchanged, or an
    InputFileError naming the first key nested more than ``MAX_DEPTH`` deep, holding a NaN or an
    infinite number, an integer beyond ``MAX_FLOAT``, or a string longer than ``MAX_STRING``."""
    _check(data, source, "", 0)
    return data


def _check(value: Any, source: str, path: str, depth: int) -> None:
    where = f"{source}: {path or 'the document'}"
    if isinstance(value, float) and not math.isfinite(value):
        raise InputFileError(f"{where} is {value}; give a finite number")
    if isinstance(value, int) and abs(value) > MAX_FLOAT:  # TOML and JSON integers have no bound
        raise InputFileError(f"{where} is an integer beyond any float (at most {MAX_FLOAT:.4g})")
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise InputFileError(f"{where} is {len(value)} characters long (at most {MAX_STRING})")
    if isinstance(value, Mapping | list | tuple):
        if depth >= MAX_DEPTH:
            raise InputFileError(f"{where}: nested more than {MAX_DEPTH} deep")
        items = value.items() if isinstance(value, Mapping) else enumerate(value)
        for key, item in items:
            sub = f"{path}[{key}]" if isinstance(key, int) else key_path(path, key)
            _check(item, source, sub, depth + 1)


# -- the tables of a document: strict keys (case files, campaign files) ------------------------
MAX_KEY_SHOWN = 60  # characters of a key an error message repeats


def key_path(where: str, key: str) -> str:
    """``where.key`` (or ``key`` at the top level); a key longer than ``MAX_KEY_SHOWN`` is shown
    by its start and length (a 100 000-character key made as long a message), one that does not
    print as itself escaped (a lone surrogate could not be printed at all)."""
    key = str(key) if str(key).isprintable() else repr(str(key))[1:-1]
    if len(key) > MAX_KEY_SHOWN:
        key = f"{key[:MAX_KEY_SHOWN]}... ({len(key)} characters)"
    return f"{where}.{key}" if where else key


NEAR_BUDGET = 500_000  # character pairs difflib compares for one suggestion (about 0.04 s)


def near(name: str, options: Iterable[str]) -> str | None:
    """The option closest to a misspelt ``name`` (difflib), or None; only the options nearest
    in length that fit ``NEAR_BUDGET`` are compared (difflib's cost is the product of the two
    lengths: 3000 campaign names of 199 characters took 27 s of a server's CPU for one 404)."""
    name = str(name)
    budget, fit = NEAR_BUDGET, []
    for option in sorted(options, key=lambda o: abs(len(o) - len(name))):
        budget -= max(len(name), 1) * max(len(option), 1)
        if budget < 0:
            break
        fit.append(option)
    close = difflib.get_close_matches(name, fit, n=1)
    return close[0] if close else None


def did_you_mean(value: Any, options: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the option nearest to a misspelt ``value`` (``near``), or
    "" (also for a ``value`` that is not a text). Tried in turn: an
    option differing only in case ("bz" for "Bz", which difflib rates below its cutoff), the
    whole text, then its words (split at _ - and spaces, longest first: "fcm_coll" -> "cool")."""
    if not isinstance(value, str):
        return ""
    options = [str(o) for o in options]
    text = value.strip()[:MAX_KEY_SHOWN]
    words = sorted(re.split(r"[\s_-]+", text), key=len, reverse=True)
    close = next((o for o in options if o.casefold() == text.casefold()), None)
    for word in [text, *words[:5]] if len(words) > 1 else [text]:
        close = close or near(word, options)
    return f" (did you mean {close!r}?)" if close else ""


def check_keys(
    mapping: Mapping[str, Any],
    known: Iterable[str],
    where: str,
    refused: Mapping[str, str] | None = None,
) -> None:
    """Raise ``UnknownKeyError`` for the first key of ``mapping`` that is not in ``known``,
    naming it as a key path (``stack[0].thicknes``), the nearest known key and the table's keys;
    ``refused`` maps keys that are recognised but not supported to the reason given."""
    known = sorted(known)
    for key in mapping:
        if key in known:
            continue
        full = key_path(where, key)
        if refused and key in refused:
            raise UnknownKeyError(f"{full}: {refused[key]}")
        close = near(key, known)
        hint = f"; did you mean {close!r}?" if close else ""
        raise UnknownKeyError(
            f"{full}: unknown key{hint} (known keys {'in ' + where if where else 'at the top level'}: "
            f"{', '.join(known)})"
        )


def tables(mapping: Mapping[str, Any], key: str, where: str = "") -> list[Mapping[str, Any]]:
    """``mapping[key]``: a list of tables (``[[key]]`` in TOML; empty if absent)."""
    value = mapping.get(key, [])
    if not isinstance(value, list) or not all(isinstance(x, Mapping) for x in value):
        raise ValidationError(
            f"{key_path(where, key)}: expected a list of tables ([[{key}]] in TOML)"
        )
    return value


# control, format (bidi overrides, zero-width), lone surrogates, line and paragraph separators
HIDDEN = ("Cc", "Cf", "Cs", "Zl", "Zp")
# letters and marks that print as nothing though not of those categories (Unicode's
# Default_Ignorable_Code_Point, less the variation selectors emoji carry): Hangul fillers
# U+115F, U+1160, U+3164, U+FFA0 (NFKC keeps them), combining grapheme joiner, Khmer inherent
# vowels, Mongolian free variation selectors
BLANK = frozenset("\u115f\u1160\u3164\uffa0\u034f\u17b4\u17b5\u180b\u180c\u180d\u180f")


# bidi embeddings, overrides and isolates (LRE..RLO, LRI..PDI): in free text they reorder what is
# shown after them ("Trojan Source"); the marks U+200E, U+200F, U+061C that right-to-left text
# uses are not among them
REORDERING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def reordering_characters(text: str) -> dict[str, int]:
    """The characters of free text (notes, a case file: several lines) that move or rewrite what
    is shown: ``REORDERING`` and control characters other than tab, newline, carriage return and
    NUL (an ESC moves a terminal's cursor; NUL has its own refusal where text is stored), each
    with the index of its first occurrence, in the order they first occur; {} if none."""
    found: dict[str, int] = {}
    for i, c in enumerate(text):
        if c not in found and (
            c in REORDERING or (unicodedata.category(c) == "Cc" and c not in "\t\n\r\x00")
        ):
            found[c] = i
    return found


def refuse_reordering(text: str, where: str, what: str = "the text") -> None:
    """A ``ValidationError`` at the first of ``text``'s ``reordering_characters``, if any, naming
    ``where``, its line and column (from 1) and how many others there are: "case: line 3, column
    9: U+202E (and 1 more): ...; write the case without them" (``what``: "the case")."""
    if bad := reordering_characters(text):
        c, i = next(iter(bad.items()))
        line = text.count("\n", 0, i) + 1
        column = i - text.rfind("\n", 0, i)
        raise ValidationError(
            f"{where}: line {line}, column {column}: U+{ord(c):04X}"
            f"{f' (and {len(bad) - 1} more)' if len(bad) > 1 else ''}: bidi overrides, "
            "embeddings or isolates and control characters reorder or hide the text shown; "
            f"write {what} without them"
        )


def code_points(found: Mapping[str, int]) -> str:
    """``reordering_characters``' answer as text: "U+202E at character 12, U+001B at ..."."""
    return ", ".join(f"U+{ord(c):04X} at character {i + 1}" for c, i in found.items())


def hidden_characters(value: Any) -> str:
    """The characters of ``value`` (if a string) that print as nothing or move the text around:
    Unicode categories ``HIDDEN`` (control; format, e.g. U+202E right-to-left override or U+200B
    zero-width space, which let two names look alike; surrogate; U+2028 / U+2029, which break a
    line) and ``BLANK``, listed as code points ("U+001B, U+202E"); "" if none."""
    if not isinstance(value, str):
        return ""
    found = sorted({c for c in value if c in BLANK or unicodedata.category(c) in HIDDEN})
    return ", ".join(f"U+{ord(c):04X}" for c in found)
