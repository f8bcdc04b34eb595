"""Pieces every CLI module shares: the console, the ``--db`` option, key=value parsing, checks
of output paths."""

from __future__ import annotations

import functools
import importlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.cells import cell_len
from rich.console import Console

from fluxtrap.errors import NotFoundError, StoreError, ValidationError
from fluxtrap.units import estimate_text, parse

if TYPE_CHECKING:  # the store (SQLAlchemy, Alembic) loads only for commands that open it
    from fluxtrap.store import Store

F = TypeVar("F", bound=Callable[..., Any])

# C0 and C1 control characters but the newline and tab: an escape sequence in a stored note, a
# file's line or a name would otherwise reach the terminal (rich drops only some of them)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """``text`` with its control characters (but newline and tab) shown as escapes, ``\\x1b``."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


class PlainConsole(Console):
    """A rich console that prints text as given: no markup (a label "[red]x" or an error naming
    "[mesh] size" is data, not style; colour goes by ``style=``) and control characters shown
    escaped (``visible``)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(markup=False, **kwargs)

    def render_str(self, text: str, **kwargs):
        kwargs["markup"] = False
        return super().render_str(visible(text), **kwargs)


# soft_wrap: a line longer than the screen is not broken by rich (the terminal folds it): piped
# or redirected at rich's 80 columns "wrote <a long path>" came out as two lines, the path cut
# in two for a script reading it (tables still fit the width)
console = PlainConsole(soft_wrap=True)
# rich's HEAVY_HEAD box: (top, header row, under the header, row, bottom) as (left, fill, joint,
# right); plain ASCII where the output cannot encode it
_BOX = ("┏━┳┓", "┃ ┃┃", "┡━╇┩", "│ ││", "└─┴┘")
_ASCII_BOX = ("+-++", "| ||", "+=++", "| ||", "+-++")


def text_table(headers: Sequence[str], rows: Iterable[Sequence[str]], title: str = "") -> str:
    """``rows`` as a boxed text table (rich's heavy-head look), every cell whole and on one line
    (a wide table runs past the screen rather than lose a column; a header's `` [unit]`` goes on a
    second line), control characters shown escaped. Linear in the cells: rich's Table measured,
    wrapped and cropped each one, 12 s for 10 000 samples (now 2 s)."""
    heads = [h.split(" [", 1) for h in headers]
    heads = [[h[0], "[" + h[1]] if len(h) == 2 else h for h in heads]
    cells = [[visible(str(c)) for c in row] for row in rows]
    widths = [
        max(cell_len(x) for x in [*head, *(row[j] for row in cells)])
        for j, head in enumerate(heads)
    ]
    box = _BOX if (console.encoding or "").lower().startswith("utf") else _ASCII_BOX

    def rule(kind: str) -> str:
        left, fill, joint, right = kind
        return left + joint.join(fill * (w + 2) for w in widths) + right

    def line(kind: str, texts: Sequence[str]) -> str:
        left, _, joint, right = kind
        padded = (f" {t}{' ' * (w - cell_len(t))} " for t, w in zip(texts, widths, strict=True))
        return left + joint.join(padded) + right

    depth = max(len(h) for h in heads)
    lines = [rule(box[0])]
    for i in range(depth):  # the unit under the name; a header with no unit bottom-aligned
        lines.append(
            line(box[1], [h[i - depth + len(h)] if i >= depth - len(h) else "" for h in heads])
        )
    lines += [rule(box[2]), *(line(box[3], row) for row in cells), rule(box[4])]
    if title:
        lines.insert(0, visible(title).center(cell_len(lines[0])).rstrip())
    return "\n".join(lines)


def print_table(headers: Sequence[str], rows: Iterable[Sequence[str]], title: str = "") -> None:
    """Print ``text_table`` as it is: not wrapped at the terminal's width, not highlighted."""
    console.print(text_table(headers, rows, title), soft_wrap=True, highlight=False)


MAX_ID = 2**63 - 1  # the largest id a store row can have (SQLite and PostgreSQL BIGINT)
MAX_SEED = 2**31 - 1  # store.MAX_SEED, copied: the CLI starts without the store (a test ties them)


def at_most(constant: str) -> Callable[[typer.CallbackParam, int | None], int | None]:
    """Typer callback of a whole-number option whose most is ``constant`` ("module:NAME"), the
    bound the code it feeds checks again (one source of truth), loaded when the command runs: as
    the option's ``max`` it loaded its module (pandas, torch) with every command, ``--help`` too.
    The least stays the option's ``min``; more is said as app._range_text says a bound, naming
    the option: "Invalid value for '--repeats': '1001': give a whole number from 1 to 1000"."""

    def check(param: typer.CallbackParam, value: int | list[int] | None) -> int | list[int] | None:
        if not value:  # not given and no default: nothing loaded for nothing
            return value
        module, name = constant.split(":")
        most = getattr(importlib.import_module(module), name)
        for v in value if isinstance(value, list) else [value]:  # a repeated option: each
            if v > most:
                least = getattr(param, "min", None)
                span = f"of at most {most}" if least is None else f"from {least} to {most}"
                raise typer.BadParameter(f"'{v}': give a whole number {span}")
        return value

    check.most = constant  # app._range_text's, when typer refuses a value before the callback
    return check


# callback of a store id option or argument (with its min=1): one past MAX_ID refused, naming the
# bound; as the option's max, --help showed [1<=x<=9223372036854775807] (now [x>=1])
ID_BOUND = at_most("fluxtrap.cli.common:MAX_ID")


def cpu_cores() -> int:
    """The CPU cores this process may run on (its affinity where the system tells it, e.g. under
    taskset or a container's cpuset), at least 1."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):  # no sched_getaffinity (macOS, Windows)
        return max(os.cpu_count() or 1, 1)


# local worker processes: at most the CPU cores, which run them side by side; the default of the
# commands that run on a local cluster is 2 where there are 2 cores (a default beyond the bound
# would be refused by the option's own check)
MAX_WORKERS = cpu_cores()
DEFAULT_WORKERS = min(2, MAX_WORKERS)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Store URL or SQLite path [default: $FLUXTRAP_DB or ./fluxtrap.db]."),
]
CampaignOption = Annotated[str, typer.Option("--campaign", "-c", help="Campaign name.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")]


def no_bar(quiet: bool) -> bool:
    """Whether a rich progress bar on ``console`` is to be left out (``Progress(disable=...)``):
    with ``--quiet``, or where the standard output is no terminal: rich's transient bar wrote a
    blank first line into a pipe or file (`fluxtrap backup ... | cat`, a script reading it)."""
    return quiet or not console.is_terminal


def sqlite_file(db: str | None) -> Path | None:
    """The SQLite file of the store ``--db`` names (as :func:`store_from` opens it), None for a
    server or an in-memory database."""
    from sqlalchemy.engine import make_url

    from fluxtrap.store.store import resolve_url

    url = make_url(resolve_url(db))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database)
    return None


def store_from(
    db: str | None, out: Path | None = None, *, create: bool = False, reads_only: bool = False
) -> Store:
    """Open (and migrate) the store named by ``--db``, ``$FLUXTRAP_DB`` or ./fluxtrap.db; ``out``,
    a file the command will write, must not be the store's SQLite file or one of its journals
    (``export --out fluxtrap.db`` replaced the whole store with a CSV). An SQLite file that does
    not exist is created only by the commands that start a store (``create``): a misspelt
    ``--db`` of any other left an empty store behind, which later commands took for a real one;
    nor is one that holds no table (an empty file) migrated into a store by them.
    An SQLite file this user cannot write (it or its folder read-only: a colleague's store on a
    read-only share) is opened read-only for a command that only reads (``reads_only``) and
    refused, naming it, for one that writes (it was "attempt to write a readonly database").
    A folder is refused as one; a new file the store could not be made in (a full disk) is
    removed."""
    from fluxtrap.store import Store

    file = sqlite_file(db)
    try:
        if file is not None:
            file.stat()
    except (FileNotFoundError, NotADirectoryError):
        pass  # no store there: said below
    except OSError as err:  # a name over 255 bytes was a traceback: "File name too long"
        shown = str(file) if len(str(file)) <= 120 else f"{str(file)[:80]}...{str(file)[-20:]}"
        raise ValidationError(
            f"{shown}: {err.strerror or err} (check --db or $FLUXTRAP_DB)"
        ) from None
    if file is not None and file.is_dir():  # was "unable to open database file"
        raise ValidationError(
            f"{file}: a folder, not a store; give its SQLite file, e.g. {file / 'fluxtrap.db'} "
            "(check --db or $FLUXTRAP_DB)"
        )
    if file is not None and not create and (not file.exists() or _holds_no_table(file)):
        # an empty file (0 bytes, or SQLite's header alone) was migrated into a 147 kB store
        # even by `campaign list`
        empty = "an empty file; " if file.exists() else ""
        raise NotFoundError(
            f"{file}: no store there ({empty}check --db or $FLUXTRAP_DB); a new one is made by "
            "fluxtrap campaign create (or restore, user add, serve, simulate --db)"
        )
    folder = file.resolve().parent if file is not None else None
    # a new store in a folder this user cannot write: was "unable to open database file"
    new_here = folder is not None and create and not file.exists() and folder.is_dir()
    if new_here and not os.access(folder, os.W_OK):
        raise StoreError(
            f"{file}: cannot make a store there: its folder {folder} cannot be written by this user"
        )
    read_only = file is not None and file.exists() and not writable(file)
    if read_only and not reads_only:
        if os.access(file, os.W_OK):  # the file is writable, its folder is not
            raise StoreError(
                f"{file}: this command writes to the store, and cannot: its folder {folder} "
                "cannot be written by this user, and SQLite writes a journal (the file's -wal "
                "and -shm) beside the store for every write; nothing was done: ask for write "
                f"access to {folder}, or move the store to a folder you can write"
            )
        raise StoreError(
            f"{file}: the store is read-only here (this user cannot write the file) and this "
            "command writes to it; nothing was done: ask someone with write access, or work on "
            "a copy"
        )
    made = file is not None and not file.exists()
    try:
        store = Store(db, read_only=read_only)
    except BaseException:
        if made:  # a full disk left an empty new.db, later taken for a store (no "no store there")
            _remove_empty(file)
        raise
    if not reads_only:
        store.check_writes()  # a PostgreSQL role that may only read: before any work is done
    if out is not None:
        not_the_store(store, out)
    return store


def _holds_no_table(file: Path) -> bool:
    """Whether the SQLite file ``file`` holds no table (0 bytes, or only the header SQLite writes
    on connecting), read without writing (``mode=ro``); False for anything else, and where it
    cannot be told (not a regular file, not a database: opening the store says why)."""
    import sqlite3
    from urllib.parse import quote

    with suppress(OSError, sqlite3.Error):
        if file.is_file():
            uri = f"file:{quote(str(file.resolve()))}?mode=ro"
            with closing(sqlite3.connect(uri, uri=True)) as db:
                return not db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    return False


def _remove_empty(file: Path) -> None:
    """Remove the SQLite file ``file`` and its journals if it holds no table
    (``_holds_no_table``)."""
    if not _holds_no_table(file):
        return
    with suppress(OSError):
        for end in ("-wal", "-shm", "-journal"):
            file.with_name(file.name + end).unlink(missing_ok=True)
        file.unlink()


def not_the_store(store: Store, out: Path) -> None:
    """A ``ValidationError`` if ``out``, a file a command will write, is the SQLite file of
    ``store`` or one of its journals."""
    file = sqlite_file(store.url)
    if file is None:
        return
    path = file.resolve()
    journals = {path.with_name(path.name + end) for end in ("", "-wal", "-shm", "-journal")}
    if out.resolve() in journals or (out.exists() and path.exists() and out.samefile(path)):
        raise ValidationError(f"{out}: that is the store {store!r} or its journal; write elsewhere")


def distinct_files(inputs: Mapping[str, Path], outputs: Mapping[str, Path | None]) -> None:
    """A ``ValidationError`` if a file to write (``outputs``: option -> path) is an input file or
    another output (``creep s.csv --out s.csv`` replaced the measured series by the fit's JSON),
    checked before anything is read."""
    seen = dict(inputs)
    for option, out in outputs.items():
        if out is None:
            continue
        for name, other in seen.items():
            if out.resolve() == other.resolve() or (
                out.exists() and other.exists() and out.samefile(other)
            ):
                raise ValidationError(f"{option} {out}: that is {name}; write elsewhere")
        seen[f"the {option} file"] = out


def writable(file: Path) -> bool:
    """Whether this user may write the SQLite ``file`` and make its journals beside it."""
    return os.access(file, os.W_OK) and os.access(file.resolve().parent, os.W_OK)


def key_values(items: list[str] | None, option: str) -> dict[str, str]:
    """Parse repeated ``--option key=value`` flags into a dict (values stay strings)."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValidationError(
                f"{option} {item!r}: expected key=value, e.g. {option} ramp_rate=50"
            )
        if key.strip() in out:
            raise ValidationError(f"{option}: {key.strip()!r} given twice")
        out[key.strip()] = value.strip()
    return out


def who(name: str | None) -> str | None:
    """Typer callback of ``--by``: 1 to 200 characters, not blank (``check_who``)."""
    if name is None:  # not given: fluxtrap.campaign (pandas, pint) is not loaded for nothing
        return None
    from fluxtrap.campaign import check_who

    try:
        return check_who(name, "--by")
    except ValidationError as err:
        raise typer.BadParameter(str(err)) from None


def notes_text(text: str) -> str:
    """Typer callback of ``sample add --notes``: at most ``campaign.MAX_NOTES`` characters, as
    the store and the web take, checked before the store is opened."""
    from fluxtrap.campaign import MAX_NOTES

    return _note_option(text, MAX_NOTES)


def status_note_text(text: str | None) -> str | None:
    """Typer callback of a status's ``--note``: at most ``campaign.MAX_STATUS_NOTE`` characters."""
    from fluxtrap.campaign import MAX_STATUS_NOTE

    return None if text is None else _note_option(text, MAX_STATUS_NOTE)


StatusNoteOption = Annotated[
    str | None,
    typer.Option(
        "--note", help="Why (kept with it; at most 500 characters).", callback=status_note_text
    ),
]


def _note_option(text: str, most: int) -> str:
    from fluxtrap.campaign import check_note

    try:
        return check_note(text, "the text", most)
    except ValidationError as err:  # "Invalid value for '--notes': the text: 10001 characters, ..."
        raise typer.BadParameter(str(err)) from None


def path_text(text: str | Path) -> Path:
    """Typer parser of a path option (``parser=path_text``): ``text`` as a Path, refused when it
    is empty or blank (an unset variable in ``--out "$OUT"``): ``Path("")`` is ".", the current
    folder, which typer called "file '' is a directory" (``export --out ""``) and into which
    ``compare --out ""`` would write its files."""
    if isinstance(text, Path):  # a default
        return text
    if not text.strip():
        from pydantic_core import PydanticCustomError  # typer's error type: said as it is

        raise PydanticCustomError("empty_path", f"{text!r} is no path (empty): give a name")
    return Path(text)


def out_file(path: Path | None) -> Path | None:
    """Typer callback of an option naming a file to write (with ``dir_okay=False`` or
    ``parser=path_text``): not a folder, its folder must exist, be a folder and take a file
    (``_takes_files``), and it a regular file if it exists (writing to a FIFO blocks until a
    reader comes), checked before any work is done or anything is stored."""
    if path is None:
        return path
    try:
        if path.is_dir():
            raise typer.BadParameter(
                f"{path}: a folder; give the file to write (e.g. {path / 'NAME'}, a new file in it)"
            )
        if not path.parent.is_dir():
            raise typer.BadParameter(f"{path}: {path.parent} is not an existing folder")
        if path.exists() and not path.is_file():
            raise typer.BadParameter(f"{path}: not a regular file (a FIFO or a device)")
    except OSError as err:  # a name over 255 bytes was a traceback: "File name too long"
        raise typer.BadParameter(f"{str(path)[:80]!r}: {err.strerror or err}") from None
    _takes_files(path, path.parent)
    return path


def _takes_files(path: Path, folder: Path) -> None:
    """``typer.BadParameter`` naming ``path`` unless this user can make a file in ``folder`` (a
    temporary one, removed): a read-only or virtual file system (/proc), a folder without write
    permission. ``suggest --out /proc/s.csv`` failed only at the write, its suggestions stored."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise typer.BadParameter(
            f"{path}: cannot write in {folder} ({err.strerror or err})"
        ) from None


OverwriteOption = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Replace output files that exist (without it one is refused before any work).",
    ),
]


def refuse_existing(outputs: Mapping[str, Path | None], overwrite: bool) -> None:
    """A ``ValidationError`` naming the first file to write (``outputs``: option -> path) that
    exists, unless ``overwrite``; checked before any work is done. ``export``, ``backup``, ``jc``,
    ``tc``, ``creep`` and ``suggest`` replaced an existing file without a word (``measure get``
    refused it)."""
    for option, out in outputs.items():
        if not overwrite and out is not None and (out.exists() or out.is_symlink()):
            raise ValidationError(f"{option} {out}: exists; give --overwrite to replace it")


def figure_file(path: Path | None) -> Path | None:
    """Typer callback of a ``--plot`` option: ``out_file``, and a suffix matplotlib can write
    (``.png``, ``.pdf``, ``.svg``, ...; none: PNG), checked before the file is read and fitted
    (``--plot jc.txt`` was a ValueError traceback after the analysis had been printed)."""
    path = out_file(path)
    if path is not None and path.suffix:
        from matplotlib.backend_bases import FigureCanvasBase

        kinds = FigureCanvasBase.get_supported_filetypes()
        if path.suffix[1:].lower() not in kinds:
            raise typer.BadParameter(
                f"{path}: a figure is written as one of {', '.join(sorted(kinds))}; "
                f"{path.suffix!r} is none of them (e.g. {path.with_suffix('.png').name})"
            )
    return path


def out_dir(path: Path | None) -> Path | None:
    """Typer callback of an option naming a folder to write into (created with its parents):
    neither it nor a parent may be a file, and the nearest existing one must take a file (a
    temporary one, removed), checked before any work is done."""
    for p in (path, *path.parents) if path is not None else ():
        try:
            found = p.exists()
        except OSError as err:  # a name over 255 bytes was a traceback: "File name too long"
            raise typer.BadParameter(f"{str(path)[:80]!r}: {err.strerror or err}") from None
        if found:
            if not p.is_dir():
                raise typer.BadParameter(f"{path}: {p} is a file, not a folder")
            _takes_files(path, p)
            break
    return path


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as Ctrl-C's ``KeyboardInterrupt`` is (``app.run``), so that the same
    clean-up runs: partial files removed, the Dask cluster stopped, the store's transaction
    rolled back."""


class Interrupted(Exception):
    """Ctrl-C or SIGTERM caught where the command knew what it kept (``on_interrupt``): not a
    ``KeyboardInterrupt``, so that it passes typer, which turns those into a silent exit 130;
    ``app.run`` prints ``interrupted: <kept>`` and exits 130 (143 for SIGTERM)."""

    def __init__(self, kept: str, code: int) -> None:
        super().__init__(kept)
        self.code = code


@contextmanager
def on_interrupt(kept: str) -> Iterator[None]:
    """Ctrl-C or SIGTERM inside the block becomes ``Interrupted(kept)``: what the run kept."""
    try:
        yield
    except KeyboardInterrupt as err:
        raise Interrupted(kept, 143 if isinstance(err, Terminated) else 130) from None


# what a store command keeps when stopped: Store.transaction commits a change whole or rolls it back
STORE_WHOLE = (
    "nothing half-written (the store takes each change in one transaction, whole or not at all)"
)
# what a command writing files keeps when stopped: each is written beside, then renamed (replacing)
FILES_WHOLE = "nothing half-written (each file is replaced whole or left as it was)"


def interruptible(command: str, kept: str = STORE_WHOLE) -> Callable[[F], F]:
    """Decorate a command so that Ctrl-C or SIGTERM prints ``interrupted: <command>: <kept>``
    (``on_interrupt``); ``fluxtrap import`` and the other store commands exited 130 without a
    word."""

    def wrap(function: F) -> F:
        @functools.wraps(function)
        def run(*args, **kwargs):
            with on_interrupt(f"{command}: {kept}"):
                return function(*args, **kwargs)

        return run  # type: ignore[return-value]

    return wrap


def time_after_origin(text: str, option: str, *, zero: bool = False) -> float:
    """A time since the relaxation origin (``--at "3 d"``) in s: > 0, as ln t of the creep law
    needs (at 0 or before it every rate is NaN), or >= 0 with ``zero`` (``creep --start``: from
    the origin on; "-5 s" was taken without a word), and at most ``MAX_CLOCK_S`` (a logger's
    clock reads no more); NaN and infinity refused too, naming ``option`` and the range."""
    from fluxtrap.probetable import MAX_CLOCK_S

    t = parse(text, "time", option)
    if not ((t >= 0 if zero else t > 0) and t <= MAX_CLOCK_S):
        low = "from 0 s" if zero else "over 0 s"
        raise ValidationError(
            f"{option} {text!r}: give a time after the origin, {low} up to {MAX_CLOCK_S:g} s"
        )
    return t


def clock_time(text: str, option: str) -> float:
    """A reading of a series file's clock (``creep --origin "5250 s"``) in s: within
    +-``MAX_CLOCK_S``, as ``read_series`` takes its times ("-1e300 s" made every point's time
    since it the same float: "all points at one time"), naming ``option`` and the range."""
    from fluxtrap.probetable import MAX_CLOCK_S

    t = parse(text, "time", option)
    if not abs(t) <= MAX_CLOCK_S:
        raise ValidationError(
            f"{option} {text!r}: give a time on the file's clock, from {-MAX_CLOCK_S:g} s to "
            f"{MAX_CLOCK_S:g} s"
        )
    return t


def dropped_text(n_dropped: int) -> str:
    """The text after a fit's point count, as creep and compare say it: "; N rows without a
    value left out (see the warning)" ("" for none)."""
    if not n_dropped:
        return ""
    return f"; {n_dropped} row{'s' * (n_dropped != 1)} without a value left out (see the warning)"


# -- table cells: parameters and objectives as people read them (Jc in A/cm^2) ----------------
def param_cell(value) -> str:
    return value if isinstance(value, str) else "-" if value is None else f"{value:g}"


def objective_header(o) -> str:
    """The objective's label (``ObjectiveDef.label``: its name and shown unit), marked when it
    is a constraint."""
    return o.label + (" (constraint)" if o.goal == "constraint" else "")


def objective_cell(value: float | None, o, err: float | None = None) -> str:
    """An objective's value in its display unit, ``value ± err`` where its 1-sigma is known."""
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if err:
        return estimate_text(o.shown(value), o.shown(err))
    return f"{o.shown(value):.4g}"
