"""The ``[materials.<name>]`` tables of a case file -> ``Superconductor`` / ``NormalConductor``.

A table with ``jc`` is a superconductor (``n``, ``e0``, ``jc`` = one of ``table``, ``kim``,
``constant``, ``csv``, optionally ``temperature``; ``normal_resistivity``, a normal-state channel
that carries the current beside it and alone past Tc); one with ``resistivity`` a normal conductor.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fluxtrap.errors import InputFileError, UnitError, ValidationError
from fluxtrap.simulate.casefile import (
    check_keys,
    expected_table,
    number,
    number_start,
    quantity,
    shown,
    table,
    table_column,
)
from fluxtrap.simulate.materials import (
    ConstantJc,
    KimJc,
    Material,
    NormalConductor,
    Superconductor,
    TableJc,
    TemperatureScaling,
    TemperatureTablesJc,
    as_jc_model,
    read_jc_csv,
)
from fluxtrap.simulate.thermal_spec import MATERIAL_KEYS, temperature_table, thermal_material

SUPERCONDUCTOR_KEYS = ("n", "e0", "jc", "normal_resistivity", *MATERIAL_KEYS)
NORMAL_KEYS = ("resistivity", *MATERIAL_KEYS)
JC_KINDS = ("table", "kim", "constant", "csv", "curve", "tables")
TABLE_KEYS = ("field", "field_unit", "jc", "jc_unit")  # a jc.table, and each of jc.tables


def material_from_dict(name: str, spec: Mapping[str, Any], base_dir: Path) -> Material:
    """The material ``name`` from its table ``spec``; ``jc.csv`` paths are relative to ``base_dir``."""
    if not isinstance(name, str):  # a dict built in code: TOML's keys are texts
        raise ValidationError(f"materials: a material's name is a text, got {shown(name)}")
    where = f"materials.{name}"
    if not isinstance(spec, Mapping):
        raise ValidationError(f"{where}: {expected_table(spec, where)}")
    if "jc" not in spec and "resistivity" not in spec:
        check_keys(spec, SUPERCONDUCTOR_KEYS + NORMAL_KEYS, where)
        raise ValidationError(
            f"{where}: give jc (a superconductor) or resistivity (a normal conductor)"
        )
    if "jc" not in spec:
        check_keys(spec, NORMAL_KEYS, where)
        return NormalConductor(
            name,
            quantity(spec, "resistivity", "resistivity", where),
            thermal_material(spec, where),
        )
    check_keys(spec, SUPERCONDUCTOR_KEYS, where)
    jc_spec = spec["jc"]
    w = f"{where}.jc"
    temp = None
    if not isinstance(jc_spec, Mapping) and hasattr(jc_spec, "at"):
        jc = as_jc_model(jc_spec)  # a Jc curve object given in code
    elif not isinstance(jc_spec, Mapping):
        hint = ""
        if isinstance(jc_spec, str) and len(jc_spec) <= 40 and number_start(jc_spec):
            hint = f'; a constant Jc is written jc = {{ constant = "{jc_spec}" }}'
        elif isinstance(jc_spec, str) and jc_spec.strip().casefold().endswith(".csv"):
            hint = f"; a Jc(B) file is written jc = {{ csv = {shown(jc_spec)} }}"
        elif isinstance(jc_spec, str) and jc_spec.strip().casefold() in JC_KINDS:
            hint = "; a model is a table of its own, e.g. jc.kim = { jc0 = ..., b0 = ... }"
        raise ValidationError(
            f"{w}: expected a table with one of table, kim, constant, csv, got {shown(jc_spec)}{hint}"
        )
    else:
        check_keys(jc_spec, (*JC_KINDS, "temperature", "tc"), w)
        if ("tc" in jc_spec) != ("tables" in jc_spec):
            raise ValidationError(f"{w}: tc goes with tables (Jc(B) at several temperatures)")
        try:
            jc = _jc_model(jc_spec, w, base_dir)
        except ValidationError as err:  # a model's own check (jc.kim, jc.constant, jc.tables,
            if str(err).startswith(("jc.", "jc:")):  # jc.tc) knows no material: name its table
                raise type(err)(f"{where}.{err}") from None
            raise
        if "temperature" in jc_spec:
            t = table(jc_spec, "temperature", w)
            wt = f"{w}.temperature"
            check_keys(t, ("at", "tc", "exponent"), wt)
            at_K, tc_K = quantity(t, "at", "temperature", wt), quantity(t, "tc", "temperature", wt)
            exponent = number(t, "exponent", wt, 1.5)  # names its key in full itself
            try:
                temp = TemperatureScaling(at_K, tc_K, exponent)
            except ValidationError as err:  # name the table where it stands in the case
                raise ValidationError(f"{where}.{err}") from None
    n_table = None
    if isinstance(spec.get("n"), Mapping):  # n(T)
        n_table = temperature_table(spec, "n", "dimensionless", where)
    return Superconductor(
        name,
        n_table.values[0] if n_table else number(spec, "n", where),
        quantity(spec, "e0", "electric_field", where, default="1e-4 V/m"),
        jc,
        temp,
        thermal_material(spec, where),
        n_table,
        quantity(spec, "normal_resistivity", "resistivity", where)
        if "normal_resistivity" in spec
        else None,
    )


def _jc_model(jc_spec: Mapping[str, Any], w: str, base_dir: Path):
    kinds = [k for k in JC_KINDS if k in jc_spec]
    if len(kinds) != 1:
        raise ValidationError(
            f"{w}: give exactly one of table, kim, constant, csv, tables (got {kinds or 'none'})"
        )
    kind = kinds[0]
    if kind == "table":
        return _table_jc(table(jc_spec, "table", w), f"{w}.table")
    if kind == "tables":
        return _tables_jc(jc_spec, w, base_dir)
    if kind == "kim":
        kim = table(jc_spec, "kim", w)
        check_keys(kim, ("jc0", "b0"), f"{w}.kim")
        return KimJc(
            quantity(kim, "jc0", "current_density", f"{w}.kim"),
            quantity(kim, "b0", "magnetic_flux_density", f"{w}.kim", h_field=True),
        )
    if kind == "constant":
        return ConstantJc(quantity(jc_spec, "constant", "current_density", w))
    if kind == "csv":
        return _csv_jc(jc_spec, w, base_dir)
    return as_jc_model(jc_spec["curve"])


def _csv_jc(spec: Mapping[str, Any], w: str, base_dir: Path) -> TableJc:
    """``csv`` of ``spec`` (``jc.csv``, or a ``jc.tables`` entry's): a ``B_T,Jc_A_cm2`` file
    as ``fluxtrap jc`` writes it, relative to the case's folder."""
    name = spec["csv"]
    if not isinstance(name, str) or not name.strip():  # "" read the case's folder
        raise ValidationError(f"{w}.csv: expected a file name, got {shown(name)}")
    path = Path(name)
    try:
        return read_jc_csv(path if path.is_absolute() else base_dir / path)
    except InputFileError as err:  # name the key too: a case may read several tables
        raise InputFileError(f"{w}.csv = {shown(name)}: {err}") from None


def _tables_jc(jc_spec: Mapping[str, Any], w: str, base_dir: Path) -> TemperatureTablesJc:
    """``jc.tables`` (each a jc.table, or a ``csv`` file as ``fluxtrap jc`` writes, with its
    ``temperature``) and ``jc.tc``."""
    items = jc_spec["tables"]
    if not isinstance(items, list) or not all(isinstance(x, Mapping) for x in items):
        raise ValidationError(f"{w}.tables: expected a list of tables ([[...jc.tables]] in TOML)")
    temps, tables = [], []
    for i, t in enumerate(items):
        wt = f"{w}.tables[{i}]"
        check_keys(t, (*TABLE_KEYS, "csv", "temperature"), wt)
        temps.append(quantity(t, "temperature", "temperature", wt))
        if "csv" in t:  # a measured loop's Jc(B), as `fluxtrap jc --out` writes it
            if given := [k for k in TABLE_KEYS if k in t]:
                raise ValidationError(
                    f"{wt}: give csv or field and jc, not both (also got {', '.join(given)})"
                )
            tables.append(_csv_jc(t, wt, base_dir))
            continue
        tables.append(_table_jc({k: v for k, v in t.items() if k != "temperature"}, wt))
    return TemperatureTablesJc(
        tuple(temps), tuple(tables), quantity(jc_spec, "tc", "temperature", w)
    )


def _table_jc(t: Mapping[str, Any], w: str) -> TableJc:
    check_keys(t, TABLE_KEYS, w)
    for k in ("field", "jc"):
        column = t.get(k)
        if not isinstance(column, list):
            raise ValidationError(f"{w}.{k}: expected a list of numbers")
        if texts := [
            i for i, x in enumerate(column) if not isinstance(x, int | float) or isinstance(x, bool)
        ]:
            raise ValidationError(
                f"{w}.{k}[{texts[0]}]: expected a plain number, got {column[texts[0]]!r} (the "
                f"table's unit is {k}_unit)"
            )
    bu, ju = t.get("field_unit"), t.get("jc_unit")
    if not (isinstance(bu, str) and bu.strip() and isinstance(ju, str) and ju.strip()):
        raise UnitError(f'{w}: give field_unit (e.g. "T") and jc_unit (e.g. "A/cm^2")')

    try:  # a field in Oe, kOe or A/m (H, as magnetometers report it) is read as mu0 H
        return TableJc(
            table_column(t["field"], bu, "magnetic_flux_density", f"{w}.field", h_field=True),
            table_column(t["jc"], ju, "current_density", f"{w}.jc"),
        )
    except ValidationError as err:  # name the table where it stands in the case
        raise ValidationError(f"{w}: {str(err).removeprefix('jc.table: ')}") from None
