"""``fluxtrap backup CAMPAIGN --out FILE`` and ``fluxtrap restore FILE``: a whole campaign in one
archive (format: :mod:`fluxtrap.store.backup`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fluxtrap.cli.common import DbOption, console, out_file, sqlite_file, store_from


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {table}" for table, n in counts.items() if n)


def backup(
    campaign: Annotated[str, typer.Argument(help="Campaign to back up.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Archive to write (.zip).", dir_okay=False, callback=out_file
        ),
    ],
    db: DbOption = None,
) -> None:
    """Write a campaign whole (samples, raw files, curves, suggestions, simulations,
    calibrations, the users named in them) to one zip archive with a sha256 manifest."""
    from fluxtrap.store.backup import backup as write_backup

    counts = write_backup(store_from(db, out), campaign, out)
    console.print(f"backed up campaign {campaign!r} to {out}: {_counts(counts)}")


def restore(
    archive: Annotated[Path, typer.Argument(help="Archive written by fluxtrap backup.")],
    db: DbOption = None,
) -> None:
    """Restore a campaign from a backup archive (checked whole first; nothing is written if it
    is damaged or the campaign exists, and a --db file made for it is removed). Restored users
    get no working token: `fluxtrap user rotate NAME` gives them one."""
    from fluxtrap.store.backup import restore as read_backup

    file = sqlite_file(db)
    new = file is not None and not file.exists()
    store = None
    try:
        store = store_from(db, create=True)
        name, counts = read_backup(store, archive)
    except BaseException:
        if new:  # the empty store made for it (never one that was there before)
            if store is not None:
                store.engine.dispose()
            for end in ("", "-wal", "-shm", "-journal"):
                file.with_name(file.name + end).unlink(missing_ok=True)
        raise
    console.print(f"restored campaign {name!r} from {archive}: {_counts(counts)}")
