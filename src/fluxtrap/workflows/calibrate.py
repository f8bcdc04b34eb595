"""Calibrate a case file against measured series files: read, fit on Dask with the sweep's case
cache, predict other cases, write ``DIR/calibrate.json`` and the figures.

The kernel (``fluxtrap.simulate.calibrate``) takes values; this use case adds the files and the cluster:
measured CSVs are read as ``fluxtrap creep``/``compare`` read them (time and field columns by
their units, ``applied_T`` if present), the simulations run on Dask through the sweep's
``run_case`` and are cached under ``DIR/cache/<case key>`` like sweep variants, so a rerun of the
same calibration (or a prediction at the fitted values) costs no simulation.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fluxtrap.errors import InputFileError, SolverError, ValidationError
from fluxtrap.inputs import read_text
from fluxtrap.magnetometry.creep import read_series
from fluxtrap.magnetometry.readers._columns import read_limited
from fluxtrap.outputs import claimed, jsonable, staged_folder
from fluxtrap.probetable import DROPPED_SHOWN, MissingSamplesWarning, without_gaps
from fluxtrap.simulate import Case
from fluxtrap.simulate.calibrate import Calibration, Series, apply, calibrate
from fluxtrap.simulate.calibrate.fit import check_request
from fluxtrap.simulate.calibrate.plots import write_figures
from fluxtrap.simulate.calibrate.predict import Prediction, predict
from fluxtrap.simulate.calibrate.runners import Outcome
from fluxtrap.store import CalibrationRecord, Store
from fluxtrap.workflows.sweep.cache import Cache
from fluxtrap.workflows.sweep.runner import _client, remove_partials, run_case
from fluxtrap.workflows.sweep.variants import case_key

# what run_calibration writes into its folder (besides cache/)
CALIBRATE_OUTPUTS = ("calibrate.json", "fitted_case.toml", "traces.png", "residuals.png",
                     "correlation.png", "profile.png", "predictions.csv")  # fmt: skip


def _limited(case: Case, timeout_s: float | None) -> bool:
    """Whether ``timeout_s`` (s) cuts ``case``'s own ``[solver] max_wall``."""
    return timeout_s is not None and timeout_s < case.solver.max_wall_s


class DaskRunner:
    """A calibration runner on Dask (a ``LocalCluster`` of ``workers`` single-threaded processes,
    or the scheduler at ``scheduler``, reached with ``security``, a ``distributed.Security``)
    with the sweep's on-disk cache in ``cache_dir``; counts ``cached`` hits and keeps the
    accuracy estimates of the simulations that missed their target (``unreached``, fractions of
    the peak self-field) and the notes of those that could not check it (``unchecked``: a fixed
    pair one element across a layer, no probe; their estimate leaves the error out): one line
    for the run, not a warning per worker and simulation. Use as a context manager (starts and
    stops the cluster)."""

    def __init__(
        self,
        cache_dir: Path,
        workers: int = 2,
        scheduler: str | None = None,
        security: Any = None,
    ):
        self.cache = Cache(Path(cache_dir))
        self.workers, self.scheduler, self.security = workers, scheduler, security
        self.cached = 0
        self.unreached: list[float] = []
        self.unchecked: list[str] = []
        self._stack = ExitStack()
        self._client: Any = None

    def __enter__(self) -> DaskRunner:
        self._client = self._stack.enter_context(
            _client(self.scheduler, self.workers, self.security)
        )
        if self.scheduler:  # runs at once there (calibrate's estimate of its wall time)
            info = self._client.scheduler_info().get("workers", {})
            self.workers = max(1, sum(int(w.get("nthreads", 1)) for w in info.values()))
        # each worker imports the simulator now, not in its first run (2-3 s on this machine):
        # calibrate's estimate takes the start batch's time beyond its run as every batch's
        self._client.run(_warm_up)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def __call__(self, cases: Sequence[Case], timeout_s: float | None = None) -> list[Outcome]:
        keys = [case_key(c) for c in cases]
        out: dict[str, Outcome] = {}
        todo = {}
        for key, case in zip(keys, cases, strict=True):
            hit = self.cache.get(key)
            if hit is not None and hit.get("status") == "done":
                self.cached += 1
                self._note_accuracy(hit)
                out[key] = pd.read_csv(self.cache.folder / f"{key}-probes.csv")
                out[key].attrs["wall_s"] = hit.get("wall_s")
            elif key not in todo:
                todo[key] = self._client.submit(
                    run_case, case, timeout_s, key=f"fluxtrap-calibrate-{key}"
                )
        limited = {k: c for k, c in zip(keys, cases, strict=True) if _limited(c, timeout_s)}
        for key, future in todo.items():
            try:
                record = future.result()
            except Exception as err:  # noqa: BLE001 - the cluster lost it: a failed point, not cached
                out[key] = SolverError(f"the Dask task of case {key} was lost: {err}")
                continue
            csv = record.get("probes_csv")
            # a run the timeout stopped is not the case's run (the key has no max_wall): an
            # accuracy refinement stopped by it returns its coarser pair as done, which a later
            # calibration without the timeout took from the cache as the case's run
            if not (key in limited and record.get("wall_s", 0.0) >= timeout_s):
                self.cache.put(key, record, {})
            if record["status"] == "done":
                self._note_accuracy(record)
                out[key] = pd.read_csv(io.StringIO(csv))
                out[key].attrs["wall_s"] = record.get("wall_s")
            else:
                out[key] = SolverError(record["error"])
            future.release()
        return [out[k] for k in keys]

    def _note_accuracy(self, record: dict[str, Any]) -> None:
        accuracy = record.get("summary", {}).get("accuracy") or {}
        if accuracy.get("reached") is not False:
            return
        if accuracy["estimate"] <= accuracy["target"]:  # not reached, as it was not checked
            self.unchecked.append(accuracy.get("note", "its estimate leaves an error out"))
        else:
            self.unreached.append(float(accuracy["estimate"]))


def _warm_up() -> None:
    """Import what ``run_case`` runs (on a Dask worker; a worker without it fails its runs)."""
    try:
        import fluxtrap.simulate.simulation  # noqa: F401
        import fluxtrap.workflows.sweep.runner  # noqa: F401
    except ImportError:
        pass


def read_measured(
    path: Path,
    probe: str,
    *,
    column: str | None = None,
    sigma_column: str | None = None,
    origin_s: float | None = None,
    content: bytes | None = None,
) -> Series:
    """A measured series file (its bytes ``content`` if already read) as a ``Series`` for
    ``probe``: its field column (``column`` when there are several), its noise column
    ``sigma_column`` (a field unit in its name, e.g. ``sigma_T`` or ``noise (mT)``; default:
    estimated), the origin from its ``applied_T`` column, else ``origin_s`` on its clock, else
    t = 0. Empty or NaN field, applied or noise cells (a logger's gap; a NaN cell had been
    refused while an empty one was left out) leave their rows out, named with their columns in a
    ``MissingSamplesWarning`` as ``fluxtrap creep`` does; an infinite or absurd value (|B| >
    100 T, a time beyond any clock) is refused naming its line and column, as is a noise above
    the series' largest |B| (a unit mix-up); a column with fewer than 3 values is refused; other
    columns are not read."""
    data = read_limited(path) if content is None else content  # read once, for both columns
    noise = () if sigma_column is None else (sigma_column,)
    time_s, field_T, applied, name = read_series(
        data, column=column, filename=str(path), exclude=noise, gaps=True
    )
    sigma = None
    if sigma_column is not None:
        sigma_time, sigma, _, _ = read_series(
            data, column=sigma_column, filename=str(path), gaps=True
        )
        if sigma_time.shape != time_s.shape:
            raise InputFileError(f"{path}: column {sigma_column!r} does not match the time column")
    for label, values in ((name, field_T), (sigma_column, sigma)):
        if values is not None and np.isfinite(values).sum() < 3:
            raise InputFileError(
                f"{path}: column {label!r} has {np.isfinite(values).sum()} values in "
                f"{values.size} rows; a calibration needs at least 3"
            )
    top = np.nanmax(np.abs(field_T))
    if sigma is not None and (over := np.flatnonzero(sigma > top)).size:  # 5 "T" on a 0.4 T trace
        raise InputFileError(
            f"{path}: column {sigma_column!r}, data row {over[0] + 1}: a noise of "
            f"{sigma[over[0]]:.4g} T is above the largest field of the series, {top:.4g} T "
            f"({over.size} of {sigma.size} rows): is the column in mT or G but labelled T? Label "
            "it with its unit ('sigma (mT)') and read the file again"
        )
    either = field_T if sigma is None else np.where(np.isfinite(sigma), field_T, np.nan)
    cols = name if sigma_column is None else f"{name} or {sigma_column}"
    cells = {c: v for c, v in ((name, field_T), ("applied field", applied), (sigma_column, sigma))
             if v is not None and np.isnan(v).any()}  # fmt: skip
    time_s, field_T, applied, dropped, note = without_gaps(
        time_s, either, applied, f"{path.name} ({cols})"
    )
    sigma = None if sigma is None else np.delete(sigma, dropped)  # the Series warns of none again
    if note:  # which column each row lacks (an applied_T gap was named as the field's)
        where = "; ".join(_gap_rows(c, v) for c, v in cells.items())
        warnings.warn(f"{note}; empty or NaN cells: {where}", MissingSamplesWarning, stacklevel=2)
    if applied is not None and origin_s is not None:
        raise ValidationError(
            f"{path}: has an applied_T column, which sets its origin; --origin is for files without"
        )
    return Series(f"{path.name} ({name})", time_s, field_T, probe, applied, sigma, origin_s)


def _gap_rows(column: str, values: np.ndarray) -> str:
    """ "B_T rows 4, 8": the data rows (1 = the first) where ``column`` has no value."""
    rows = np.flatnonzero(np.isnan(values))
    shown = ", ".join(str(i + 1) for i in rows[:DROPPED_SHOWN])
    more = ", ..." if rows.size > DROPPED_SHOWN else ""
    return f"{column} row{'s' if rows.size > 1 else ''} {shown}{more}"


@dataclass(frozen=True, eq=False)
class CalibrationRun:
    """What ``run_calibration`` did: the ``calibration``, ``predictions``, files written, the
    simulations read from the cache, and the predictions that failed (``{file, error}``)."""

    calibration: Calibration
    predictions: tuple[Prediction, ...]
    files: tuple[Path, ...] = field(repr=False)
    cached: int
    summary: dict[str, Any] = field(repr=False)
    prediction_errors: tuple[dict[str, str], ...] = ()


def run_calibration(
    case: Path,
    measured: Sequence[Path],
    probes: Sequence[str],
    fit: str,
    out: Path,
    *,
    column: str | None = None,
    sigma_column: str | None = None,
    origin_s: float | None = None,
    bounds: dict[str, tuple[float, float]] | None = None,
    scan: int = 4,
    profile: bool = True,
    max_iterations: int = 30,
    workers: int = 2,
    scheduler: str | None = None,
    security: Any = None,
    predict_cases: Sequence[Path] = (),
    predict_at_s: Sequence[float] | None = None,
    progress: Callable[[str], None] | None = None,
    max_wall_s: float | None = None,
    checked: Callable[[], None] | None = None,
) -> CalibrationRun:
    """Calibrate ``case`` against the ``measured`` files (``probes``: one name for all or one
    per file), predict ``predict_cases``, write everything into ``out``.

    ``out``: ``calibrate.json`` (parameters, covariance, misfit, series, simulations, inputs with
    their sha256, fitted case keys), ``fitted_case.toml``, ``traces.png``, ``residuals.png``,
    ``correlation.png``, ``profile.png``, ``predictions.csv``, ``cache/``. ``progress``: called
    with a line of text after each batch of simulations; ``max_wall_s``: the fit's wall-time
    budget, s (see ``calibrate``), from the Dask cluster's start on (its start-up counts; the
    predictions and figures after the fit do not); ``checked``: called once the inputs are read
    and checked and ``out`` is held, before the cluster starts (the CLI makes its store there).
    """
    if len(probes) not in (1, len(measured)):
        raise ValidationError(
            f"--probe: give one probe for all files or one per file ({len(measured)}), got {len(probes)}"
        )
    if predict_at_s is not None and not predict_cases:
        raise ValidationError("--at: prediction times need a case to predict (--predict)")
    names = list(probes) * len(measured) if len(probes) == 1 else list(probes)
    # each file read once: what is parsed is what is hashed (an edit between had been hashed)
    text = read_text(case, "case file")
    base = Case.from_toml(case, text)
    content = [read_limited(p) for p in measured]
    digests = [hashlib.sha256(data).hexdigest() for data in content]
    for i, digest in enumerate(digests):  # fitted twice, as if its noise were 0.71 x
        if (j := digests.index(digest)) < i:
            raise ValidationError(
                f"{measured[i]}: the same bytes as {measured[j]}; a series given twice is fitted "
                "twice, as two measurements: give each once"
            )
    series = [
        read_measured(p, probe, column=column, sigma_column=sigma_column, origin_s=origin_s,
                      content=data)
        for p, probe, data in zip(measured, names, content, strict=True)
    ]  # fmt: skip
    read_sha256 = {str(case): hashlib.sha256(text.encode()).hexdigest()} | {
        str(p): digest for p, digest in zip(measured, digests, strict=True)
    }
    params = check_request([base], series, fit, bounds, scan)  # bad ones fail before the cluster
    targets = [Case.load(p) for p in predict_cases]
    for path, target in zip(predict_cases, targets, strict=True):  # before the fit, not after
        try:  # the calibrated materials must be in it (a fitted probe height where it has one)
            probes = {q.name for q in target.probes}
            used = [q for q in params if not q.nuisance or q.target in probes]
            apply(target, used, [q.start for q in used])
        except ValidationError as e:
            raise ValidationError(f"--predict {path}: {e}") from None
        if predict_at_s and max(predict_at_s) > target.duration_s:
            raise ValidationError(
                f"--at {max(predict_at_s):.4g} s: past the end of {path}'s protocol "
                f"({target.duration_s:.4g} s), even counted from its start; lengthen its hold "
                "to predict later"
            )
    out = Path(out)
    with claimed(out):  # one calibration at a time in a folder
        if checked is not None:
            checked()
        remove_partials(out, Cache(out / "cache"))  # what a run killed mid-write left
        t0 = time.perf_counter()
        with DaskRunner(out / "cache", workers, scheduler, security) as runner:
            cal = calibrate(base, series, fit, bounds=bounds, scan=scan, profile=profile,
                            runner=runner, max_iterations=max_iterations, progress=progress,
                            max_wall_s=max_wall_s, started=t0)  # fmt: skip
            predicted, failed = [], []
            for path, target in zip(predict_cases, targets, strict=True):
                try:
                    predicted.append(
                        (path, predict(cal, target, since_origin_s=predict_at_s, runner=runner))
                    )
                except SolverError as e:  # the fit is kept and written; the failure said
                    failed.append({"file": str(path), "error": str(e)})
        preds = tuple(p for _, p in predicted)
        wall = time.perf_counter() - t0
        fitted = cal.fitted_cases[0]
        summary = jsonable(cal.to_dict()) | {
            "wall_s": round(wall, 3),
            "simulations_cached": runner.cached,
            "simulations_below_accuracy": {
                "count": len(runner.unreached),
                "largest_estimate": max(runner.unreached, default=None),
            },
            "simulations_accuracy_unchecked": {
                "count": len(runner.unchecked),
                "note": runner.unchecked[0] if runner.unchecked else None,
            },
            "case": {"file": str(case), "sha256": read_sha256[str(case)]},
            "measurements": [
                {"file": str(p), "sha256": read_sha256[str(p)], "probe": s.probe, "series": s.name}
                for p, s in zip(measured, series, strict=True)
            ],
            "fitted_case_key": fitted.key(),
            "predictions": [jsonable(p.to_dict()) | {"file": str(f)} for f, p in predicted],
            "prediction_errors": failed,
        }
        # all or none, and no figure or predictions.csv of an earlier run left beside the new ones
        with staged_folder(out, owned=CALIBRATE_OUTPUTS) as stage:
            (stage / "calibrate.json").write_text(json.dumps(summary, indent=2, allow_nan=False))
            (stage / "fitted_case.toml").write_text(fitted.to_toml())
            written = [
                stage / "calibrate.json",
                stage / "fitted_case.toml",
                *write_figures(cal, stage),
            ]
            if preds:
                written.append(stage / "predictions.csv")
                pd.concat([p.table.assign(case=str(f)) for f, p in predicted]).to_csv(
                    written[-1], index=False
                )
        files = [out / f.name for f in written]
    return CalibrationRun(cal, preds, tuple(files), runner.cached, summary, tuple(failed))


def store_calibration(
    store: Store,
    run: CalibrationRun,
    case: Path,
    measured: Sequence[Path],
    probes: Sequence[str],
    cache_dir: Path,
    *,
    campaign: str | None = None,
    created_by: str | None = None,
) -> CalibrationRecord:
    """Record ``run`` in ``store``: the case file's text, calibrate.json, the fitted case, the
    measured files' bytes (linked to stored measurements with the same bytes) and the fitted
    case's simulation from the run's cache (stored as a simulation and linked, with its heat.csv
    if the model has heat); an ``UnstoredRunWarning`` says why when that run is not there."""
    names = list(probes) * len(measured) if len(probes) == 1 else list(probes)
    ran = {run.summary["case"]["file"]: run.summary["case"]["sha256"]} | {
        m["file"]: m["sha256"] for m in run.summary["measurements"]
    }
    content = {str(p): Path(p).read_bytes() for p in [case, *measured]}
    for path, data in content.items():  # the files as the fit read them, or nothing stored
        if (now := hashlib.sha256(data).hexdigest()) != ran.get(path):
            raise ValidationError(
                f"{path}: changed since the calibration read it (sha256 {ran.get(path)} then, "
                f"{now} now): not recorded; rerun the calibration (its cache makes that quick)"
            )
    simulation, why = _fitted_run(Cache(Path(cache_dir)), run.calibration.fitted_cases[0])
    rec = store.add_calibration(
        run.calibration.cases[0],
        content[str(case)].decode(),
        run.calibration.fitted_cases[0],
        run.calibration.fitted_cases[0].to_toml(),
        run.summary,
        [(p.name, content[str(p)], n) for p, n in zip(measured, names, strict=True)],
        simulation=simulation,
        campaign=campaign,
        created_by=created_by,
    )
    if simulation is None:
        warnings.warn(
            f"calibration {rec.id} is stored without the fitted case's simulation: {why}",
            UnstoredRunWarning,
            stacklevel=2,
        )
    return rec


class UnstoredRunWarning(UserWarning):
    """A stored calibration has no simulation of its fitted case (its run is not in the cache)."""


def _fitted_run(cache: Cache, fitted: Case) -> tuple[tuple[dict, bytes, bytes] | None, str]:
    """The run of the case ``fitted`` in ``cache`` as ``Store.add_calibration`` takes it
    (summary, probes.csv, heat.csv), or None and why it is not there."""
    key = case_key(fitted)
    hit = cache.get(key)
    if hit is not None and hit["status"] == "done":
        traces = (cache.folder / f"{key}-probes.csv").read_bytes()
        return (hit.get("summary", {}), traces, cache.heat_csv(key)), ""
    entry = cache.folder / f"{key}.json"
    if hit is not None:
        return None, f"its run failed ({hit['error']}; {entry})"
    if entry.is_file():
        return None, f"its entry {entry} in the cache is damaged, or its traces are missing"
    return None, (
        f"no run of it in the cache {cache.folder} (key {key}): the cache was removed or moved "
        "during the run, or the fitted values were not simulated as such (`fluxtrap simulate "
        "fitted_case.toml --db ...` stores a run of it, not linked to the calibration)"
    )
