"""Design sweeps: many variants of one simulation case, run on Dask distributed.

A sweep is a base case (a TOML file, design section 3) and its variants: the cartesian product
of the ``--vary`` axes, times the rows of an optional CSV list. A variant is the base case's
dict with some values replaced, then parsed into a :class:`~fluxtrap.simulate.Case` on the
client (so relative ``jc.csv`` paths are read once, here, and workers need no files).

What a swept name changes in the case dict:

========== ===================================================================================
radius      every ``[[stack]]`` layer's ``radius`` (a length)
thickness   the ``thickness`` of every superconductor layer (a length); layers without an
            explicit ``z`` restack on top of each other; probes stay where they are
temperature the ``temperature`` of the ``set`` step, ``protocol[0]`` (a temperature); it acts
            through the superconductors' ``jc.temperature`` scaling, so a case without any
            is refused
field       the applied ``field`` of the ``set`` step, ``protocol[0]`` (a flux density)
n           the power-law exponent ``n`` of every superconductor (a number)
jc_scale    a factor (a number > 0) on the Jc(B) of every superconductor: the table values,
            the Kim ``jc0``, the constant, or the points of a ``jc.csv``
a.b.0.c     any dotted path into the case dict, list items by index: ``materials.bulk1.n``,
            ``stack.2.thickness``, ``protocol.1.rate``, ``mesh.size``; the value is written
            as given (``"12 mm"`` or a number)
========== ===================================================================================

Each variant's key is the SHA-256 of the parsed case in SI (title left out) and the fluxtrap
version, so a variant computed by an earlier sweep into the same folder is read back from
``DIR/cache/<key>.json`` instead of being run again, whatever the order or the other variants.
A variant whose case is invalid or whose simulation raises is recorded with its error and the
sweep goes on; such simulation failures are cached too (``retry_failed`` runs them again).

Outputs in ``DIR``: ``results.csv`` and ``results.json`` (one row per variant: parameters in
the units given, ``<probe>_final_T``, ``<probe>_max_abs_T``, solver counts, ``wall_s``,
``status``, ``error``, ``key``, ``cached``), ``cache/`` (``<key>.json`` with the simulation
summary, ``<key>-probes.csv`` with the probe traces) and ``trapped_<probe>.png`` plots
(final probe field against the first swept parameter, one line per value of the others).
"""

from __future__ import annotations

import copy
import csv
import hashlib
import itertools
import json
import logging
import math
import os
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pint

from fluxtrap import __version__
from fluxtrap.errors import FluxtrapError, InputFileError, UnitError, ValidationError
from fluxtrap.inputs import load_toml
from fluxtrap.simulate import Case, Simulation
from fluxtrap.simulate.materials import read_jc_csv
from fluxtrap.units import DIMENSIONS, Q_, quantity

log = logging.getLogger(__name__)

# name -> (dimension, what it changes); see the module docstring
SHORTCUTS: dict[str, tuple[str, str]] = {
    "radius": ("length", "every stack layer's radius"),
    "thickness": ("length", "every superconductor layer's thickness"),
    "temperature": ("temperature", "the temperature of the set step (protocol[0])"),
    "field": ("magnetic_flux_density", "the applied field of the set step (protocol[0])"),
    "n": ("dimensionless", "the power-law exponent n of every superconductor"),
    "jc_scale": ("dimensionless", "a factor on the Jc(B) of every superconductor"),
}
# tables of the case file that may be absent (all their keys have defaults)
OPTIONAL_TABLES = ("mesh", "solver", "output")


# -- values and axes ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Value:
    """One setting of a swept parameter: ``magnitude`` in ``unit`` (``""`` for a pure number)."""

    magnitude: float
    unit: str = ""

    @classmethod
    def parse(cls, text: str | float, where: str) -> Value:
        """``"12 mm"``, ``"12mm"`` or ``"35"`` (a pure number); errors name ``where``."""
        try:
            return cls(float(text))
        except ValueError:
            pass
        q = quantity(str(text).strip(), where)
        return cls(float(q.magnitude), f"{q.units:~C}")

    def to(self, unit: str, where: str) -> Value:
        """The same value in ``unit``."""
        if unit == self.unit:
            return self
        try:
            return Value(_round(Q_(self.magnitude, self.unit or "").to(unit or "").magnitude), unit)
        except pint.errors.DimensionalityError:
            raise UnitError(
                f"{where}: {self} cannot be converted to {unit or 'a pure number'}"
            ) from None

    def to_case(self) -> str | float:
        """As written into the case dict: a string with its unit, or a plain number."""
        return f"{self.magnitude!r} {self.unit}" if self.unit else self.magnitude

    def __str__(self) -> str:
        return f"{self.magnitude:g} {self.unit}".strip()

    def __repr__(self) -> str:
        return f"Value({self})"


@dataclass(frozen=True)
class Axis:
    """A swept parameter: its ``name`` (a shortcut or a dotted path) and ``values`` in one unit."""

    name: str
    values: tuple[Value, ...]

    @classmethod
    def parse(cls, text: str) -> Axis:
        """Read ``NAME=START:STOP:NUM`` (NUM evenly spaced values) or ``NAME=V1,V2,...``.

        >>> Axis.parse("radius=10mm:40mm:7").values[1]
        Value(15 mm)
        """
        where = f"--vary {text!r}"
        name, sep, spec = text.partition("=")
        name, spec = name.strip(), spec.strip()
        if not sep or not name or not spec:
            raise ValidationError(
                f"{where}: expected NAME=START:STOP:NUM or NAME=V1,V2,..., e.g. radius=10mm:40mm:7"
            )
        if ":" in spec:
            parts = spec.split(":")
            if len(parts) != 3:
                raise ValidationError(f"{where}: a range is START:STOP:NUM, e.g. 10mm:40mm:7")
            start = Value.parse(parts[0], where)
            stop = Value.parse(parts[1], where).to(start.unit, where)
            try:
                num = int(parts[2])
            except ValueError:
                num = 0
            if num < 1:
                raise ValidationError(f"{where}: NUM must be a whole number >= 1, got {parts[2]!r}")
            values = [
                Value(_round(x), start.unit)
                for x in np.linspace(start.magnitude, stop.magnitude, num)
            ]
        else:
            items = [Value.parse(s, where) for s in spec.split(",") if s.strip()]
            values = [v.to(items[0].unit, where) for v in items]
        axis = cls(name, tuple(values))
        axis.check()
        return axis

    @property
    def unit(self) -> str:
        return self.values[0].unit if self.values else ""

    @property
    def column(self) -> str:
        """Its column in the results table: the name with a unit suffix (``radius_mm``)."""
        return column_name(self.name, self.unit)

    def check(self) -> None:
        """Shortcuts take their dimension (``radius`` a length, ``n`` a number, ...)."""
        where = f"--vary {self.name}"
        if len({v.magnitude for v in self.values}) != len(self.values):
            raise ValidationError(f"{where}: a value is given twice")
        if self.name not in SHORTCUTS:
            return
        dim = SHORTCUTS[self.name][0]
        target = DIMENSIONS[dim]
        try:
            Q_(1.0, self.unit or "").to(target or "")
        except pint.errors.DimensionalityError:
            raise UnitError(
                f"{where}: {self.values[0]} is not a {dim.replace('_', ' ')} "
                f"(expected something convertible to {target or 'a pure number'})"
            ) from None
        if self.name == "jc_scale" and any(v.magnitude <= 0 for v in self.values):
            raise ValidationError(f"{where}: factors must be > 0")


def column_name(name: str, unit: str) -> str:
    """``radius`` in ``mm`` -> ``radius_mm``; ``A/cm**2`` -> ``A_per_cm2``."""
    if not unit:
        return name
    suffix = unit.replace("**", "").replace("/", "_per_").replace("*", "_").replace(" ", "")
    return f"{name}_{suffix}"


def read_list(path: str | Path) -> list[dict[str, Value]]:
    """Variants listed in a CSV: one column per swept name, cells like ``12 mm`` or ``35``."""
    p = Path(path)
    try:
        with p.open(newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as err:
        raise InputFileError(f"{p}: cannot read the variant list ({err.strerror})") from None
    if not rows:
        raise InputFileError(
            f"{p}: no variants (expected a header of swept names, then one row each)"
        )
    out = []
    for i, row in enumerate(rows):
        if None in row or any(v is None or not v.strip() for v in row.values()):
            raise InputFileError(f"{p}, line {i + 2}: every column needs a value")
        out.append(
            {
                k.strip(): Value.parse(v, f"{p}, line {i + 2}, column {k.strip()!r}")
                for k, v in row.items()
            }
        )
    for name in out[0]:
        unit = out[0][name].unit
        for i, row in enumerate(out):
            row[name] = row[name].to(unit, f"{p}, line {i + 2}, column {name!r}")
        Axis(name, tuple(r[name] for r in out[:1])).check()
    return out


# -- applying a value to the case dict ----------------------------------------------------------
def apply(data: dict[str, Any], name: str, value: Value, base_dir: Path) -> None:
    """Write ``value`` into the raw case dict ``data`` (in place) as ``name`` prescribes."""
    if name not in SHORTCUTS:
        _set_path(data, name, value.to_case())
        return
    layers = _list(data, "stack")
    materials = data.get("materials", {})
    superconductors = {k: m for k, m in materials.items() if isinstance(m, dict) and "jc" in m}
    if name == "radius":
        for layer in layers:
            layer["radius"] = value.to_case()
    elif name == "thickness":
        for layer in layers:
            if layer.get("material") in superconductors:
                layer["thickness"] = value.to_case()
    elif name in ("temperature", "field"):
        if name == "temperature" and not any(
            isinstance(m["jc"], Mapping) and "temperature" in m["jc"]
            for m in superconductors.values()
        ):
            raise ValidationError(
                "--vary temperature: no superconductor of the case has jc.temperature "
                "scaling, so the temperature would change nothing"
            )
        protocol = _list(data, "protocol")
        if not protocol or protocol[0].get("step") != "set":
            raise ValidationError(f"--vary {name}: the case's protocol[0] is not a set step")
        protocol[0][name] = value.to_case()
    elif name == "n":
        for m in superconductors.values():
            m["n"] = value.magnitude
    elif name == "jc_scale":
        for key, m in superconductors.items():
            m["jc"] = _scaled_jc(m["jc"], value.magnitude, base_dir, f"materials.{key}.jc")


def _list(data: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    items = data.get(key, [])
    if not isinstance(items, list):
        raise ValidationError(f"case: {key} must be an array of tables ([[{key}]])")
    return items


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = data
    for depth, part in enumerate(parts):
        here = ".".join(parts[: depth + 1])
        last = depth == len(parts) - 1
        if isinstance(node, list):
            try:
                i = int(part)
                node[i]  # noqa: B018 - raises IndexError when out of range
            except (ValueError, IndexError):
                raise ValidationError(
                    f"--vary {path}: {here} is not an index of a list of {len(node)}"
                ) from None
            if last:
                node[i] = value
            node = node[i]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            elif part not in node:
                if depth == 0 and part in OPTIONAL_TABLES:
                    node[part] = {}
                else:
                    known = ", ".join(map(str, node)) or "none"
                    raise ValidationError(
                        f"--vary {path}: the case has no {here} (known here: {known})"
                    )
            node = node[part]
        else:
            raise ValidationError(
                f"--vary {path}: {'.'.join(parts[:depth])} is a value, not a table or list"
            )


def _scaled_jc(jc: Any, k: float, base_dir: Path, where: str) -> dict[str, Any]:
    if not isinstance(jc, Mapping):
        raise ValidationError(f"--vary jc_scale: {where} is not a table")
    out = dict(jc)
    if "table" in jc:
        out["table"] = {**jc["table"], "jc": [float(x) * k for x in jc["table"]["jc"]]}
    elif "kim" in jc:
        out["kim"] = {**jc["kim"], "jc0": _scaled_text(jc["kim"]["jc0"], k, f"{where}.kim.jc0")}
    elif "constant" in jc:
        out["constant"] = _scaled_text(jc["constant"], k, f"{where}.constant")
    elif "csv" in jc:
        path = Path(jc["csv"])
        table = read_jc_csv(path if path.is_absolute() else base_dir / path)
        del out["csv"]
        out["table"] = {
            "field": list(table.field_T),
            "field_unit": "T",
            "jc": [x * k for x in table.jc_A_m2],
            "jc_unit": "A/m^2",
        }
    else:
        raise ValidationError(
            f"--vary jc_scale: {where} needs table, kim, constant or csv to scale"
        )
    return out


def _scaled_text(text: Any, k: float, where: str) -> str:
    q = quantity(text, where)
    return f"{float(q.magnitude) * k!r} {q.units:~C}"


# -- variants -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Variant:
    """One point of a sweep: ``params`` (name -> ``Value``), its parsed ``case`` (``None`` with
    ``error`` set when the variant is not a valid case) and its cache ``key``."""

    index: int
    params: dict[str, Value]
    case: Case | None = field(repr=False)
    key: str
    error: str = ""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"Variant({self.index}: {params}; key {self.key}{'; ' + self.error if self.error else ''})"


def load_case_dict(path: str | Path) -> dict[str, Any]:
    """The raw dict of a case TOML file."""
    p = Path(path)
    try:
        return load_toml(p.read_text(), str(p))
    except OSError as err:
        raise InputFileError(f"{p}: cannot read the case file ({err.strerror})") from None


def expand(
    base: Mapping[str, Any],
    axes: Sequence[Axis] = (),
    rows: Sequence[Mapping[str, Value]] = (),
    base_dir: str | Path = ".",
) -> list[Variant]:
    """The variants: every CSV ``row`` (or one empty row) times the cartesian product of ``axes``.

    A name that cannot be applied (a path the case does not have) raises at once; a variant
    whose resulting case is invalid is returned with ``case=None`` and its ``error``.
    """
    names = [a.name for a in axes]
    listed = list(rows[0]) if rows else []
    twice = sorted(set(names) & set(listed)) or sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValidationError(f"swept name(s) given twice: {', '.join(twice)}")
    variants = []
    combos = itertools.product(list(rows) or [{}], itertools.product(*(a.values for a in axes)))
    for index, (row, values) in enumerate(combos):
        params = {**row, **dict(zip(names, values, strict=True))}
        data = copy.deepcopy(dict(base))
        for name, value in params.items():
            apply(data, name, value, Path(base_dir))
        try:
            case = Case.from_dict(data, base_dir=base_dir)
        except FluxtrapError as err:
            raw = json.dumps(data, sort_keys=True, default=str)
            variants.append(
                Variant(index, params, None, _digest(raw), f"{type(err).__name__}: {err}")
            )
            continue
        variants.append(Variant(index, params, case, case_key(case)))
    return variants


def case_key(case: Case) -> str:
    """16 hex digits of the SHA-256 of the case in SI (without its title) and fluxtrap's version."""
    si = {k: v for k, v in case.to_si_dict().items() if k != "title"}
    return _digest(json.dumps({"fluxtrap": __version__, "case": si}, sort_keys=True, default=repr))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(x: Any) -> Any:
    """numpy scalars as Python numbers for JSON; anything else as its text."""
    return x.item() if isinstance(x, np.generic) else str(x)


def _round(x: float) -> float:
    """12 significant digits: 0.1 + 0.2 becomes 0.3, so keys and labels are what one typed."""
    return float(f"{float(x):.12g}")


# -- running one case (on a worker) -------------------------------------------------------------
def run_case(case: Case) -> dict[str, Any]:
    """Simulate ``case``; never raises: ``{"status": "done"|"failed", "error", "traceback",
    "wall_s", "summary" (probes and solver of the result's summary), "probes_csv"}``.

    Catching every exception is the point: one variant's failure must not stop the sweep.
    """
    t0 = time.perf_counter()
    try:
        result = Simulation(case).run(progress=False)
        summary = {k: v for k, v in result.summary().items() if k in ("probes", "solver")}
        probes_csv = result.probes.to_csv(index=False, float_format="%.10g")
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


# -- the sweep ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: the ``table`` (one row per variant, as in ``results.csv``), how many
    variants were ``computed`` now, read from the cache, and ``failed``; ``files`` written."""

    table: pd.DataFrame = field(repr=False)
    computed: int
    cached: int
    failed: int
    files: tuple[Path, ...] = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"SweepResult({len(self.table)} variants: {self.computed} computed, {self.cached} "
            f"from cache, {self.failed} failed)"
        )


class Cache:
    """``DIR/cache``: ``<key>.json`` per simulated variant and ``<key>-probes.csv`` traces."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.folder / f"{key}.json").read_text())
        except FileNotFoundError:
            return None
        except json.JSONDecodeError:  # a write cut short: compute it again
            return None

    def put(self, key: str, record: dict[str, Any], params: Mapping[str, Value]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        record = dict(record)
        if traces := record.pop("probes_csv", None):
            (self.folder / f"{key}-probes.csv").write_text(traces)
        record["params"] = {k: str(v) for k, v in params.items()}
        tmp = self.folder / f"{key}.{os.getpid()}.tmp"  # two sweeps into one folder do not collide
        tmp.write_text(json.dumps(record, indent=1, default=_plain))
        tmp.replace(self.folder / f"{key}.json")  # atomic: never a half-written entry


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


# -- results ------------------------------------------------------------------------------------
def _units(axes: Sequence[Axis], rows: Sequence[Mapping[str, Value]]) -> dict[str, str]:
    units = {name: v.unit for name, v in (rows[0].items() if rows else [])}
    units.update({a.name: a.unit for a in axes})
    return units


def results_table(
    variants: Sequence[Variant],
    records: Mapping[str, Mapping[str, Any]],
    cached: set[str],
    axes: Sequence[Axis] = (),
    rows: Sequence[Mapping[str, Value]] = (),
) -> pd.DataFrame:
    """One row per variant: parameters (in their units), probe values (T), solver counts, wall
    time (s), status, error, key and whether it came from the cache."""
    units = _units(axes, rows)
    out = []
    for v in variants:
        row: dict[str, Any] = {column_name(k, units[k]): v.params[k].magnitude for k in units}
        rec = records.get(v.key, {}) if v.case is not None else {}
        summary = rec.get("summary", {})
        for probe, vals in summary.get("probes", {}).items():
            row[f"{probe}_final_T"] = vals.get("final_T")
            row[f"{probe}_max_abs_T"] = vals.get("max_abs_T")
        for k, val in summary.get("solver", {}).items():
            if k != "wall_s" and isinstance(val, int | float):
                row[f"solver_{k}"] = val
        row.update(
            wall_s=rec.get("wall_s", math.nan),
            status=rec.get("status", "failed"),
            error=v.error or rec.get("error", ""),
            key=v.key,
            cached=v.key in cached,
        )
        out.append(row)
    df = pd.DataFrame(out)
    tail = ["wall_s", "status", "error", "key", "cached"]
    return df[[c for c in df.columns if c not in tail] + tail]


def write_results(
    table: pd.DataFrame,
    out: Path,
    case: Path,
    axes: Sequence[Axis] = (),
    rows: Sequence[Mapping[str, Value]] = (),
) -> list[Path]:
    """``results.csv``, ``results.json`` and the plots; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    units = _units(axes, rows)
    csv_path, json_path = out / "results.csv", out / "results.json"
    table.to_csv(csv_path, index=False, float_format="%.10g")
    meta = {
        "case": str(case),
        "fluxtrap": __version__,
        "parameters": {
            k: {
                "column": column_name(k, u),
                "unit": u,
                "changes": SHORTCUTS[k][1] if k in SHORTCUTS else f"the case's {k}",
            }
            for k, u in units.items()
        },
        "variants": json.loads(table.to_json(orient="records", double_precision=15)),
    }
    json_path.write_text(json.dumps(meta, indent=1))
    return [csv_path, json_path, *plot_sweep(table, units, out)]


def plot_sweep(table: pd.DataFrame, units: Mapping[str, str], out: Path) -> list[Path]:
    """``trapped_<probe>.png``: final probe field against the first swept parameter (of
    ``units``, name -> unit), one line per combination of the others; failed variants leave
    gaps. Nothing when no parameter varies."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    varying = [
        (column_name(k, u), k, u)
        for k, u in units.items()
        if table[column_name(k, u)].nunique() > 1
    ]
    probes = [c[: -len("_final_T")] for c in table.columns if c.endswith("_final_T")]
    if not varying or not probes:
        return []
    (x, xname, xunit), others = varying[0], varying[1:]
    groups = [c for c, _, _ in others]
    paths = []
    for probe in probes:
        y = f"{probe}_final_T"
        fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
        for key, part in table.groupby(groups, sort=True) if groups else [((), table)]:
            if part[y].isna().all():
                continue
            key = key if isinstance(key, tuple) else (key,)
            label = ", ".join(
                f"{name} = {v:g} {unit}".strip()
                for (_, name, unit), v in zip(others, key, strict=True)
            )
            ax.plot(part[x], part[y], "o-", label=label or None)
        ax.set_xlabel(f"{xname} ({xunit})" if xunit else xname)
        ax.set_ylabel(f"final Bz at {probe} (T)")
        ax.set_title(f"Trapped field at probe {probe!r}")
        ax.grid(alpha=0.3)
        if groups:
            ax.legend(fontsize="small")
        path = out / f"trapped_{probe}.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        paths.append(path)
    return paths


__all__ = [
    "SHORTCUTS",
    "Axis",
    "Cache",
    "SweepResult",
    "Value",
    "Variant",
    "apply",
    "case_key",
    "column_name",
    "expand",
    "load_case_dict",
    "plot_sweep",
    "read_list",
    "results_table",
    "run_case",
    "run_sweep",
    "write_results",
]
