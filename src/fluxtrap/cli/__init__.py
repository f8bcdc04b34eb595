"""The ``fluxtrap`` command line: one module per command group, the root app in :mod:`.app`.

``fluxtrap.cli:main`` is the console-script entry point; ``run(args)`` runs it in-process. The app
and its imports load on first use (PEP 562), so that ``main`` takes Ctrl-C from its first line.
"""

from __future__ import annotations

import errno
import importlib
import os
import signal
import sys
from contextlib import suppress

__all__ = ["app", "main", "run"]


def __getattr__(name: str):
    if name not in ("app", "run"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module("fluxtrap.cli.app")
    globals().update(app=module.app, run=module.run)  # the Typer app, not its module, as before
    return globals()[name]


def main() -> None:
    """The ``fluxtrap`` command: ``run(sys.argv[1:])`` and exit with its code. Ctrl-C or SIGTERM
    in the seconds the app takes to import says "interrupted: fluxtrap CMD (no write was under
    way)", exit 130 / 143 (it was a KeyboardInterrupt traceback, exit -2); one after ``run`` has
    returned is ignored, its exit code stands (``_exiting``); a signal ignored by the parent
    (``nohup``, ``cmd &`` in a script) stays ignored."""
    received: list[int] = []
    importing = True

    def early(signum, frame):
        received.append(signum)
        if importing and len(received) == 1:
            raise KeyboardInterrupt

    for s in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(s) != signal.SIG_IGN:
            signal.signal(s, early)
    try:
        run = importlib.import_module("fluxtrap.cli.app").run
    except KeyboardInterrupt:
        importing = False
        command = next((a for a in sys.argv[1:] if not a.startswith("-")), "")
        command = "".join(c if c.isprintable() else repr(c)[1:-1] for c in command)
        print(f"interrupted: fluxtrap {command} (no write was under way)", file=sys.stderr)
        code = 143 if received[-1] == signal.SIGTERM else 130
    else:
        importing = False  # run takes the signals from here on
        code = run(sys.argv[1:])
    _exiting()
    sys.exit(code)


STDOUT_LOST = "cannot write to the standard output"


class WatchedStdout:
    """``sys.stdout`` while a command runs, the error of a write or flush that failed kept in
    ``error`` (a full disk, /dev/full, an I/O error, a reader gone, a standard output closed
    when fluxtrap started, ``>&-``): it was a traceback, or "Exception ignored" and exit 120
    when Python flushed it at exit (closed: an AttributeError traceback)."""

    def __init__(self, stream) -> None:
        self.stream, self.error = stream, None

    def write(self, text):
        try:
            if self.stream is None:  # started with it closed (`>&-`): Python's sys.stdout is None
                raise OSError(errno.EBADF, "it is closed")
            return self.stream.write(text)
        except OSError as err:
            self.error = err
            raise

    def flush(self) -> None:
        if self.stream is None:  # nothing was written: nothing lost
            return
        try:
            self.stream.flush()
        except OSError as err:
            self.error = err
            raise

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


def stdout_lost(out: WatchedStdout) -> OSError | None:
    """``out``'s failed write or flush, also of the text still buffered, None where there was
    none. Once lost the stream is sent to os.devnull, so that later writes and Python's flush
    at exit do not fail again."""
    with suppress(OSError):
        out.flush()
    if out.error is not None:
        with suppress(OSError, ValueError, AttributeError):  # no file descriptor: nothing to do
            os.dup2(os.open(os.devnull, os.O_WRONLY), out.stream.fileno())
    return out.error


def _exiting() -> None:
    """The exit code is chosen: Ctrl-C and SIGTERM are ignored while Python shuts down (it puts
    back the default handlers first, and one then killed the process, exit -2, after its code
    was chosen), and CPython's mark of an unhandled KeyboardInterrupt is cleared: one that passed
    out of code exec() ran from a string (dataclasses and namedtuple build their methods so)
    stays marked though caught, and `python -m fluxtrap` then ended by SIGINT, exit -2, after
    "interrupted: ..." (8 of 60 random Ctrl-Cs); an exec of a string that ends clears it."""
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)
    exec("")  # noqa: S102
