"""One exception family: every message says what, where (file, line, key) and what was expected."""


class FluxtrapError(Exception):
    """Base of every error fluxtrap raises on purpose (the CLI prints it without a traceback)."""


class UnitError(FluxtrapError, ValueError):
    """A quantity without a unit, with the wrong dimension, or out of its allowed range."""


class InputFileError(FluxtrapError, ValueError):
    """A file (instrument data, case, campaign, table) that cannot be read as what it claims to be."""


class ValidationError(FluxtrapError, ValueError):
    """A value that breaks a rule of the store or the search space (bounds, step, duplicates)."""


class UnknownKeyError(ValidationError):
    """A key a file's table does not have (misspelt or not supported): the same for any value."""


class NotFoundError(FluxtrapError, LookupError):
    """A campaign, sample, measurement or suggestion that does not exist."""


class SolverError(FluxtrapError, RuntimeError):
    """A numerical solve that cannot go on (Newton failure, singular system)."""


class WallTimeError(SolverError):
    """A run stopped at its wall-time limit (``[solver] max_wall``)."""


class AnalysisError(FluxtrapError, ValueError):
    """Data that do not support the requested analysis (no transition, too few points)."""


class ConflictError(FluxtrapError):
    """An action the current state does not allow (cancelling a job that has finished, a name or
    label already taken)."""


class QuotaError(FluxtrapError):
    """A request beyond a user's share (too many simulation jobs waiting): try again later."""


class StoreError(FluxtrapError):
    """The database failed: it cannot be reached, opened or read (not the caller's input)."""
