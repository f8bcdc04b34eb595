"""Files fluxtrap writes for the user, written whole or not at all."""

from __future__ import annotations

import math
import os
import secrets
import shutil
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

from fluxtrap.errors import ConflictError, FluxtrapError


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
    absent). An ``OSError`` becomes a ``FluxtrapError`` naming ``out``. The removal runs with
    SIGINT and SIGTERM held (``_signals_held``): a second Ctrl-C during the first one's clean-up
    left the hidden file behind."""
    out = Path(out)
    partial = _partial(out)
    try:
        yield partial
        os.replace(partial, out)
    except OSError as err:
        raise FluxtrapError(
            f"{out}: cannot write it ({err.strerror or err}); left as it was"
        ) from None
    finally:
        # suppress: one it could not make (an OSError here was a traceback)
        with _signals_held(), suppress(OSError):
            partial.unlink(missing_ok=True)


NAME_MAX = 255  # bytes of a file name (Linux, macOS, Windows alike)


def _partial(out: Path) -> Path:
    """The hidden path ``replacing`` writes ``out`` to: ``.NAME.<8 hex>.partial`` beside it, or
    ``.fluxtrap-<8 hex>.partial`` when that is longer than a file name may be (``export --out``
    of a 246-byte name was an OSError traceback, File name too long)."""
    tag = secrets.token_hex(4)
    name = f".{out.name}.{tag}.partial"
    if len(os.fsencode(name)) > NAME_MAX:
        name = f".fluxtrap-{tag}.partial"
    return out.with_name(name)


def replacing_text(out: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``out`` whole or not at all (``replacing``)."""
    with replacing(out) as partial:
        partial.write_text(text, encoding="utf-8")


@contextmanager
def replacing_all(outs: Sequence[Path | None]) -> Iterator[list[Path | None]]:
    """Paths to write a command's several files to (None for one not asked for), moved over
    ``outs`` only when the block ends having written every one; if it fails none of them
    changes (``creep --out F --plot P`` on a full disk wrote F, then failed at P). Each is
    ``out``'s own name inside a hidden folder ``.fluxtrap-<hex>.partial`` beside it, so a writer
    that reads the format off the suffix (a figure's) writes what it would to ``out``. An
    ``OSError``, or a ``FluxtrapError`` naming a hidden path (a writer's own ``replacing``),
    becomes a ``FluxtrapError`` naming ``out`` and saying that none was written; only a rename
    failing after others were made leaves some, and says which. The hidden folders are removed
    with SIGINT and SIGTERM held (``_signals_held``)."""
    stages: dict[Path, Path] = {}  # an out's folder -> its hidden folder
    staged: list[Path | None] = []
    try:
        for out in outs:
            if out is None:
                staged.append(None)
                continue
            folder = Path(out).parent
            if folder not in stages:
                try:
                    (stage := folder / f".fluxtrap-{secrets.token_hex(4)}.partial").mkdir()
                except OSError as err:  # a folder it cannot write in
                    raise FluxtrapError(
                        f"{out}: cannot write it ({err.strerror or err}); nothing was written"
                    ) from None
                stages[folder] = stage
            staged.append(stages[folder] / Path(out).name)
        pairs = [(s, Path(o)) for s, o in zip(staged, outs, strict=True) if s is not None]
        try:
            yield staged
        except (OSError, FluxtrapError) as err:
            text = str(err)
            hidden = [(s, o) for s, o in pairs if str(s.parent) in text]
            if isinstance(err, FluxtrapError) and not hidden:
                raise  # not a write's: the command's own error
            if isinstance(err, OSError):
                named = [o for s, o in pairs if err.filename and str(s) == str(err.filename)]
                failed = named[0] if named else ", ".join(str(o) for _, o in pairs)
                text = f"{failed}: cannot write it ({err.strerror or err})"
            for s, o in pairs:
                text = text.replace(str(s), str(o))
            names = ", ".join(str(o) for _, o in pairs)
            raise FluxtrapError(f"{text}; none of {names} was written") from None
        done: list[Path] = []
        try:
            with _signals_held():  # a Ctrl-C between two renames left half of the set in place
                for s, o in pairs:
                    os.replace(s, o)
                    done.append(o)
        except OSError as err:
            written = ", ".join(map(str, done)) or "none of them"
            raise FluxtrapError(
                f"{pairs[len(done)][1]}: cannot write it ({err.strerror or err}); "
                f"written: {written}"
            ) from None
    finally:
        with _signals_held():
            for stage in stages.values():
                shutil.rmtree(stage, ignore_errors=True)


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held back while the block runs and delivered after it (in the main
    thread, where Python runs signal handlers; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    kinds = (signal.SIGINT, signal.SIGTERM)
    previous = {k: signal.signal(k, lambda signum, frame: held.append(signum)) for k in kinds}
    try:
        yield
    finally:
        for k, handler in previous.items():
            signal.signal(k, signal.SIG_DFL if handler is None else handler)
        if held:
            signal.raise_signal(held[0])


@contextmanager
def staged_folder(out: str | os.PathLike[str], owned: Sequence[str] = ()) -> Iterator[Path]:
    """A hidden folder inside ``out`` (created) to write a set of files to; when the block ends
    they are moved into ``out`` (each rename replacing an older file of that name), and if the
    block fails none is: ``out`` keeps the previous run's files, never half of a new set.
    ``owned``: glob patterns of the files such a run writes; those in ``out`` that the new set
    lacks (an earlier run's figures, predictions) are removed, else they read as the new run's.
    The hidden folder is removed with SIGINT and SIGTERM held: a second Ctrl-C during the first
    one's clean-up left it, part-removed, in ``out``."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        stage = out / f".partial-{secrets.token_hex(4)}"
        stage.mkdir()
    except OSError as err:
        raise FluxtrapError(f"{out}: cannot write in it ({err.strerror or err})") from None
    try:
        yield stage
        new = sorted(stage.iterdir())
        with _signals_held():  # a Ctrl-C between two renames left half of the new set in
            for f in new:
                os.replace(f, out / f.name)
        names = {f.name for f in new}
        for stale in {f for pattern in owned for f in out.glob(pattern)}:
            if stale.name not in names:
                stale.unlink(missing_ok=True)
    except OSError as err:
        raise FluxtrapError(f"{out}: cannot write it ({err.strerror or err})") from None
    finally:
        with _signals_held():
            shutil.rmtree(stage, ignore_errors=True)


@contextmanager
def claimed(out: str | os.PathLike[str]) -> Iterator[Path]:
    """The folder ``out`` (created) for this run alone while the block runs: a second run into it
    meanwhile is refused (``ConflictError``). Two simulations into one folder at once moved their
    files in one by one, a mix of both. The lock is ``out/.fluxtrap.lock`` (``held_lock``: freed
    when the process ends, even killed; removed when the run ends). A folder this made and the
    run left empty (interrupted, failed) is removed. That clean-up runs with SIGINT and SIGTERM
    held: a second Ctrl-C during it left the lock file and the folder."""
    from filelock import Timeout

    out = Path(out)
    made = not out.exists()
    stack = ExitStack()  # on leaving: the lock freed and its file removed, then the folder
    try:
        try:
            # a Ctrl-C between the lock file's creation and the stack's hold on it left both
            # behind (test_cli_interrupt, once in a CI run): it lands once they are held
            with _signals_held():
                out.mkdir(parents=True, exist_ok=True)
                if made:
                    stack.callback(_remove_if_empty, out)
                stack.enter_context(held_lock(out / ".fluxtrap.lock"))
        except Timeout:
            raise ConflictError(
                f"{out}: another fluxtrap run is writing there; wait for it to end or give "
                "another folder"
            ) from None
        except OSError as err:
            raise FluxtrapError(f"{out}: cannot write in it ({err.strerror or err})") from None
        yield out
    finally:
        with _signals_held():
            stack.close()


def _remove_if_empty(folder: Path) -> None:
    with suppress(OSError):
        folder.rmdir()


@contextmanager
def held_lock(path: Path, timeout: float = 0.0) -> Iterator[None]:
    """An exclusive lock on the file ``path`` while the block runs (``filelock``: freed when the
    process ends, even killed), the file removed when it ends, while still held (it was left
    in every --out): a process that opened it meanwhile then finds that name no longer its file
    (``os.stat`` vs ``fstat``) and tries the new one, ``LOCK_TRIES`` times. Where the file
    system has no ``flock``, filelock's existence lock (its file removed on release).
    ``filelock.Timeout`` if another holds it past ``timeout`` s."""
    from filelock import FileLock, Timeout

    for _ in range(LOCK_TRIES):
        lock = FileLock(path)
        lock.acquire(timeout=timeout)
        # filelock's descriptor (on_acquired, its public form, has no no-flock fallback)
        fd = getattr(lock._context, "lock_file_fd", None)
        native = fd is not None and not getattr(lock._context, "soft_fallback", False)
        if not native or _names(path, fd):
            break
        lock.release()  # a file removed by the holder that just ended: take the new one
    else:
        raise Timeout(str(path))
    held = os.fstat(fd) if native else None
    try:
        yield
    finally:
        with _signals_held():  # a second Ctrl-C during the first one's clean-up left the file
            with suppress(OSError):
                if held is not None and os.path.samestat(os.stat(path), held):
                    path.unlink()  # before the release: no one can lock this name after it
            lock.release()


LOCK_TRIES = 5  # a lock file removed under a process that opened it: try the new one this often


def _names(path: Path, fd: int) -> bool:
    """Whether ``path`` names the open file ``fd`` (not removed, nor replaced by another)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False
