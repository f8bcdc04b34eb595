"""Files fluxtrap writes for the user, written whole or not at all."""

from __future__ import annotations

import math
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fluxtrap.errors import FluxtrapError


def jsonable(x: Any) -> Any:
    """``x`` for JSON: numpy arrays and scalars as Python lists and numbers (their ``tolist``),
    tuples as lists, every non-finite float as None (JSON has no NaN or infinity, and PostgreSQL
    refuses them)."""
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if hasattr(x, "tolist"):
        x = x.tolist()
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


@contextmanager
def replacing(out: str | os.PathLike[str]) -> Iterator[Path]:
    """A hidden path beside ``out`` to write to, renamed over ``out`` when the block ends and
    removed if it fails: a full disk, a kill or an error half-way leaves ``out`` as it was (or
    absent). An ``OSError`` becomes a ``FluxtrapError`` naming ``out``."""
    out = Path(out)
    partial = out.with_name(f".{out.name}.{secrets.token_hex(4)}.partial")
    try:
        yield partial
        os.replace(partial, out)
    except OSError as err:
        raise FluxtrapError(
            f"{out}: cannot write it ({err.strerror or err}); left as it was"
        ) from None
    finally:
        partial.unlink(missing_ok=True)


def replacing_text(out: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``out`` whole or not at all (``replacing``)."""
    with replacing(out) as partial:
        partial.write_text(text, encoding="utf-8")


@contextmanager
def staged_folder(out: str | os.PathLike[str]) -> Iterator[Path]:
    """A hidden folder inside ``out`` (created) to write a set of files to; when the block ends
    they are moved into ``out`` (each rename replacing an older file of that name), and if the
    block fails none is: ``out`` keeps the previous run's files, never half of a new set."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        stage = out / f".partial-{secrets.token_hex(4)}"
        stage.mkdir()
    except OSError as err:
        raise FluxtrapError(f"{out}: cannot write in it ({err.strerror or err})") from None
    try:
        yield stage
        for f in sorted(stage.iterdir()):
            os.replace(f, out / f.name)
    except OSError as err:
        raise FluxtrapError(f"{out}: cannot write it ({err.strerror or err})") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
