"""Running a sweep: each variant's case on a Dask worker (``run_case`` never raises), cache hits
skipped, the results table and files written (``run_sweep``)."""

from __future__ import annotations

import logging
import math
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fluxtrap.errors import FluxtrapError, ValidationError
from fluxtrap.simulate import Case, Simulation
from fluxtrap.workflows.sweep.cache import Cache
from fluxtrap.workflows.sweep.grammar import Axis, Value
from fluxtrap.workflows.sweep.results import SweepResult, results_table, write_results
from fluxtrap.workflows.sweep.variants import Variant, expand, load_case_dict

SUMMARY_PARTS = ("probes", "solver", "bore")  # kept per variant (the bore without its profiles)


def run_case(case: Case) -> dict[str, Any]:
    """Simulate ``case``; never raises: ``{"status": "done"|"failed", "error", "traceback",
    "wall_s", "summary" (``SUMMARY_PARTS`` of the result's summary), "probes_csv"}``.

    Catching every exception is the point: one variant's failure must not stop the sweep.
    """
    t0 = time.perf_counter()
    try:
        result = Simulation(case).run(progress=False)
        summary = {k: v for k, v in result.summary().items() if k in SUMMARY_PARTS}
        if "bore" in summary:
            summary["bore"] = {k: v for k, v in summary["bore"].items() if k != "profiles"}
        probes_csv = result.probes_csv().decode()
    except Exception as err:  # noqa: BLE001 - recorded, see docstring
        return {
            "status": "failed",
            "error": f"{type(err).__name__}: {err}",
            "traceback": traceback.format_exc(),
            "wall_s": time.perf_counter() - t0,
        }
    return {
        "status": "done",
        "error": "",
        "wall_s": time.perf_counter() - t0,
        "summary": summary,
        "probes_csv": probes_csv,
    }


def run_sweep(
    case: str | Path,
    axes: Sequence[Axis] = (),
    rows: Sequence[Mapping[str, Value]] = (),
    out: str | Path = "sweep",
    *,
    scheduler: str | None = None,
    workers: int = 2,
    retry_failed: bool = False,
    progress: bool = True,
) -> SweepResult:
    """Run every variant of the case file ``case`` on Dask and write the results into ``out``.

    ``scheduler``: address of a running Dask scheduler (``tcp://host:8786``); by default a
    ``LocalCluster`` of ``workers`` processes with one thread each is started and stopped.
    """
    case = Path(case)
    out = Path(out)
    variants = expand(load_case_dict(case), axes, rows, case.parent)
    if not variants:
        raise ValidationError("the sweep has no variants")
    cache = Cache(out / "cache")
    records: dict[str, dict[str, Any]] = {}
    cached: set[str] = set()
    todo: dict[str, Variant] = {}
    for v in variants:
        if v.case is None or v.key in records or v.key in todo:
            continue
        hit = cache.get(v.key)
        if hit is not None and (hit.get("status") == "done" or not retry_failed):
            records[v.key] = hit
            cached.add(v.key)
        else:
            todo[v.key] = v
    if todo:
        records.update(_compute(list(todo.values()), cache, scheduler, workers, progress))
    table = results_table(variants, records, cached, axes, rows)
    files = write_results(table, out, case, axes, rows)
    return SweepResult(
        table,
        len(todo),
        int(table["cached"].sum()),
        int((table["status"] != "done").sum()),
        tuple(files),
    )


def _compute(
    todo: list[Variant], cache: Cache, scheduler: str | None, workers: int, progress: bool
) -> dict[str, dict[str, Any]]:
    from distributed import as_completed
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    records: dict[str, dict[str, Any]] = {}
    columns = (
        TextColumn("[bold]sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(),
    )
    with _client(scheduler, workers) as client, Progress(*columns, disable=not progress) as bar:
        task = bar.add_task("sweep", total=len(todo), failed=0)
        futures = {
            client.submit(run_case, v.case, key=f"fluxtrap-variant-{v.key}"): v for v in todo
        }
        failed = 0
        for future in as_completed(futures):
            v = futures[future]
            try:
                record = future.result()
            except Exception as err:  # noqa: BLE001 - the cluster lost it (worker died): not cached
                record = {
                    "status": "failed",
                    "error": f"{type(err).__name__}: {err}",
                    "wall_s": math.nan,
                }
            else:
                cache.put(v.key, record, v.params)
                record.pop("probes_csv", None)
            records[v.key] = record
            failed += record["status"] != "done"
            bar.update(task, advance=1, failed=failed)
            future.release()
    return records


@contextmanager
def _client(scheduler: str | None, workers: int) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as err:
            raise FluxtrapError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
        with client:
            yield client
        return
    if workers < 1:
        raise ValidationError(f"--workers must be >= 1, got {workers}")
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
