"""Warning filters that threads share safely, where ``warnings.catch_warnings`` does not.

``catch_warnings`` saves the process's filter list on entry and puts it back on exit: two
threads inside at once (the web server's two model fits, an ask beside a page view) put back
each other's lists, so one thread's "ignore" outlives its block and silences every later
warning of the process, or ends early. :class:`SharedFilters` adds its "ignore" entries when the
first thread enters and removes exactly those when the last one leaves, under a lock; while any
thread is inside they apply to all threads, so each instance ignores only notes that are noise
wherever they come from (BoTorch's and linear_operator's numerical remedies).

Importing this module loads linear_operator with torch's deprecation of ``torch.jit.script``
ignored (``torchscript_note``): the modules that use BoTorch or GPyTorch import it first.
"""

from __future__ import annotations

import abc
import contextlib
import re
import threading
import warnings
from collections.abc import Iterator


class Shared(abc.ABC):
    """A process-wide setting that blocks in several threads share: ``with shared(): ...``, the
    first block to enter applies it (``_apply``), the last to leave undoes it (``_undo``), under a
    lock; blocks may nest and overlap across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._inside == 0:
                self._apply()
            self._inside += 1
        try:
            yield
        finally:
            with self._lock:
                self._inside -= 1
                if self._inside == 0:
                    self._undo()

    @abc.abstractmethod
    def _apply(self) -> None: ...

    @abc.abstractmethod
    def _undo(self) -> None: ...


class SharedFilters(Shared):
    """``with quiet(): ...`` ignores the warnings matched by ``filters`` (each a dict of
    ``warnings.filterwarnings``' ``message``, ``category``, ``module``) while any thread is inside;
    the process's filter list is as before once the last one leaves.

    The list is changed in place (``warnings.filters``, read at every warning), with no call of
    the private ``warnings._filters_mutated`` (no promise it stays, nor what it does): an
    "ignore" entry needs no reset of the modules' ``__warningregistry__`` either way, as an
    ignored warning is never recorded there (a warning met inside the block is shown once after
    it, and one already shown before it is not shown again, as the "default" action says)."""

    def __init__(self, *filters: dict) -> None:
        super().__init__()
        self._filters = filters
        self._added: list[tuple] = []

    def _apply(self) -> None:
        self._added = [_entry(**f) for f in self._filters]
        warnings.filters[:0] = self._added  # first: before an "error" for all

    def _undo(self) -> None:
        # these very entries (an equal one someone else added stays)
        ours = {id(e) for e in self._added}
        warnings.filters[:] = [f for f in warnings.filters if id(f) not in ours]
        self._added = []


def _entry(
    message: str = "", category: type[Warning] = Warning, module: str = "", lineno: int = 0
) -> tuple:
    """The filter list's entry ``warnings.filterwarnings("ignore", ...)`` would add."""
    return (
        "ignore",
        re.compile(message, re.I) if message else None,
        category,
        re.compile(module) if module else None,
        lineno,
    )


# torch 2.9 deprecated torch.jit.script, with which linear_operator (under BoTorch and GPyTorch)
# compiles two functions as it loads: a note for its authors, which suggest printed twice wherever
# DeprecationWarnings show (python -X dev or -W default, pytest, a notebook)
torchscript_note = SharedFilters(
    {
        "message": r"`torch\.jit\.script` is deprecated",
        "category": DeprecationWarning,
        "module": r"torch\.jit\.",
    }
)
with torchscript_note():
    import linear_operator  # noqa: F401
