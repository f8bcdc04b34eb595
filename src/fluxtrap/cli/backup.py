"""``fluxtrap backup CAMPAIGN --out FILE`` and ``fluxtrap restore FILE``: a whole campaign in one
archive (format: :mod:`fluxtrap.store.backup`)."""

from __future__ import annotations

import glob
import os
import re
import secrets
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Annotated, Any

import typer

from fluxtrap.cli.common import (
    DbOption,
    OverwriteOption,
    QuietOption,
    console,
    interruptible,
    no_bar,
    out_file,
    path_text,
    refuse_existing,
    sqlite_file,
    store_from,
)
from fluxtrap.errors import FluxtrapError, StoreError, ValidationError
from fluxtrap.outputs import held_lock


def register(app: typer.Typer) -> None:
    app.command("backup")(
        interruptible("backup", "nothing half-written (--out is replaced whole or left as it was)")(
            backup
        )
    )
    app.command("restore")(
        interruptible(
            "restore",
            "nothing half-written (a campaign is restored in one transaction, whole or not at "
            "all; a new --db file appears only when whole)",
        )(restore)
    )


def _counts(counts: dict[str, int]) -> str:
    """The rows by table, "1 campaign, 2 samples" (the tables' plural names: "1 campaigns")."""
    return ", ".join(f"{n} {_one(table) if n == 1 else table}" for table, n in counts.items() if n)


def _one(table: str) -> str:
    return table if table.endswith("series") else table.removesuffix("s")


def backup(
    campaign: Annotated[str, typer.Argument(help="Campaign to back up.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Archive to write (.zip).",
            parser=path_text,
            callback=out_file,
        ),
    ],
    overwrite: OverwriteOption = False,
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Write a campaign whole (samples, raw files, curves, suggestions, simulations,
    calibrations, the users named in them) to one zip archive with a sha256 manifest.

    \b
    Example:
      fluxtrap backup "K-Ba122 SPS" --out k-ba122.zip
    """
    from fluxtrap.store.backup import backup as write_backup

    store = store_from(db, out, reads_only=True)  # first: --out the store is refused as such
    refuse_existing({"--out": out}, overwrite)
    with _bar(quiet) as progress:  # 128 MiB of files took 15 s without a word
        counts = write_backup(store, campaign, out, progress)
    console.print(f"backed up campaign {campaign!r} to {out}: {_counts(counts)}")


def restore(
    archive: Annotated[Path, typer.Argument(help="Archive written by fluxtrap backup.")],
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Restore a campaign from a backup archive (checked whole first; nothing is written if it
    is damaged or the campaign exists, and a new --db file appears only when the restore is
    whole). Restored users get no working token: `fluxtrap user rotate NAME` gives them one."""
    from fluxtrap.inputs import open_regular
    from fluxtrap.store.backup import restore as read_backup

    with open_regular(archive, "backup archive"):  # before a store is made for it
        pass
    file = sqlite_file(db)
    beyond: list[str] = []  # values beyond any superconductor's, restored as stored
    with _bar(quiet) as progress:
        if file is None or file.exists() or not file.parent.is_dir():
            store = store_from(db, create=True)
            name, counts = read_backup(store, archive, progress, warn=beyond.append)
        else:
            name, counts = _restore_new_file(db, file, archive, progress, beyond.append)
    console.print(f"restored campaign {name!r} from {archive}: {_counts(counts)}")
    for line in beyond:  # said once the restore is whole: a refused one restored none
        warnings.warn(line, UserWarning, stacklevel=1)


@contextmanager
def _bar(quiet: bool) -> Iterator[Callable[[int, int], Any]]:
    """A progress bar in bytes (``progress(done, total)``), none with ``quiet``."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("[bold]files"), BarColumn(), DownloadColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=no_bar(quiet), transient=True) as bar:
        task = bar.add_task("files", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _restore_new_file(
    db: str | None,
    file: Path,
    archive: Path,
    progress: Callable[[int, int], Any],
    warn: Callable[[str], Any],
) -> tuple[str, dict[str, int]]:
    """Restore into the SQLite ``file``, which does not exist, through a hidden file beside it
    that is linked into place only when the restore is whole: a restore refused, or killed
    (kill -9) half-way, left an empty migrated store of 131 kB at ``file``, which later
    commands took for a real one. A killed one leaves only the hidden ``.NAME.restoring-*``, which
    the next restore into ``file`` removes (``_clear_stale_restores``)."""
    from sqlalchemy.engine import make_url

    from fluxtrap.store import Store
    from fluxtrap.store.backup import restore as read_backup
    from fluxtrap.store.store import resolve_url

    _clear_stale_restores(file)
    partial = file.with_name(f".{file.name}.restoring-{secrets.token_hex(4)}")
    url = make_url(resolve_url(db)).set(database=str(partial))
    store = None
    # the lock, held while the hidden file exists, tells a later restore this one is alive
    with held_lock(partial.with_name(partial.name + ".lock"), timeout=10):
        try:
            store = Store(url.render_as_string(hide_password=False))
            said: list[str] = []  # passed on once the file is linked into place
            result = read_backup(store, archive, progress, warn=said.append)
            store.engine.dispose()  # the last connection closed: SQLite moves its WAL in the file
            if partial.with_name(partial.name + "-wal").exists():
                raise StoreError(
                    f"{file}: the restored store's journal was not folded in; restore again"
                )
            try:
                os.link(partial, file)  # never over a store made there meanwhile
            except FileExistsError:
                raise ValidationError(
                    f"{file}: a store was made there while the campaign was restored; nothing "
                    "was written to it: restore again"
                ) from None
            for line in said:
                warn(line)
            return result
        except FluxtrapError as err:  # "cannot open the store '.new.db.restoring-4a9fa266':
            # database or disk is full" named a file nobody asked for, gone by then
            if partial.name not in str(err):
                raise
            raise type(err)(
                f"{str(err).replace(str(partial), str(file))}; nothing restored"
            ) from None
        finally:
            if store is not None:
                store.engine.dispose()
            _remove_partial(partial)


_JOURNALS = ("", "-wal", "-shm", "-journal")  # an SQLite file's own name and its journals'


def _remove_partial(partial: Path) -> None:
    for end in _JOURNALS:
        partial.with_name(partial.name + end).unlink(missing_ok=True)


def _clear_stale_restores(file: Path) -> None:
    """Remove the hidden ``.NAME.restoring-*`` stores that killed restores into ``file`` left
    (a killed restore's was never removed): those whose ``.lock`` is free, its process gone; a
    running restore holds its lock and its files are kept. One without a lock (an earlier
    fluxtrap took none) is named in a warning, not removed."""
    from filelock import Timeout

    prefix = glob.escape(f".{file.name}.restoring-")
    for lock in file.parent.glob(prefix + "*.lock"):
        with suppress(Timeout, OSError), held_lock(lock):
            _remove_partial(lock.with_suffix(""))
    locked = {p.with_suffix("").name for p in file.parent.glob(prefix + "*.lock")}
    unowned = sorted(
        p
        for p in file.parent.glob(prefix + "*")
        if p.suffix != ".lock" and re.sub(r"-(wal|shm|journal)$", "", p.name) not in locked
    )
    if unowned:
        warnings.warn(
            f"{', '.join(map(str, unowned))}: left by a restore into {file} that was stopped; "
            "remove them if no restore is running",
            stacklevel=2,
        )
