"""A sweep's variants: each swept value written into the base case's raw dict (``apply``), the
cartesian product of the axes times the listed rows (``expand``), each parsed into a ``Case``."""

from __future__ import annotations

import copy
import functools
import hashlib
import itertools
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fluxtrap.errors import FluxtrapError, UnitError, UnknownKeyError, ValidationError
from fluxtrap.inputs import near, tables
from fluxtrap.simulate import Case
from fluxtrap.simulate.materials import read_jc_csv
from fluxtrap.tomlfile import read_toml
from fluxtrap.units import quantity
from fluxtrap.workflows.sweep.grammar import MAX_VARIANTS, SHORTCUTS, Axis, Value

# tables of the case file that may be absent (all their keys have defaults)
OPTIONAL_TABLES = ("mesh", "solver", "output")


def apply(data: dict[str, Any], name: str, value: Value, base_dir: Path, what: str = "") -> None:
    """Write ``value`` into the raw case dict ``data`` (in place) as ``name`` prescribes; errors
    name ``what`` (default ``--vary NAME``; a listed column's are its own)."""
    what = what or f"--vary {name}"
    if name not in SHORTCUTS:
        _set_path(data, name, value.to_case(), what)
        return
    layers = tables(data, "stack", "case")
    materials = data.get("materials", {})
    superconductors = {k: m for k, m in materials.items() if isinstance(m, dict) and "jc" in m}
    if name == "radius":
        for layer in layers:
            layer["radius"] = value.to_case()
    elif name in ("thickness", "spacer_thickness"):
        spacer = name == "spacer_thickness"
        for layer in layers:
            if (layer.get("material") in superconductors) != spacer:
                layer["thickness"] = value.to_case()
    elif name == "inner_radius":
        for layer in layers:
            layer["inner_radius"] = value.to_case()
    elif name in ("temperature", "field"):
        if name == "temperature" and not any(
            isinstance(m["jc"], Mapping) and ("temperature" in m["jc"] or "tables" in m["jc"])
            for m in superconductors.values()
        ):
            raise ValidationError(
                "--vary temperature: no superconductor of the case has jc.temperature "
                "scaling or jc.tables, so the temperature would change nothing"
            )
        protocol = tables(data, "protocol", "case")
        if not protocol or protocol[0].get("step") != "set":
            raise ValidationError(f"{what}: the case's protocol[0] is not a set step")
        protocol[0][name] = value.to_case()
    elif name in ("n", "jc_scale"):  # pure numbers: "50 %" is 0.5 (it was 50)
        number = value.to("", f"--vary {name}").magnitude
        for key, m in superconductors.items():
            if name == "n":
                m["n"] = number
            else:
                m["jc"] = _scaled_jc(m["jc"], number, base_dir, f"materials.{key}.jc")


def _set_path(data: dict[str, Any], path: str, value: Any, what: str) -> None:
    parts = path.split(".")
    if len(parts) == 1:  # the top level holds tables only: a misspelt shortcut
        close = near(path, SHORTCUTS)
        hint = f"; did you mean {close}?" if close else ""
        if path in data:
            hint = f"; {path} is a part of the case: name a key in it ({path}.KEY)"
        raise ValidationError(
            f"{what}: not a sweep name ({', '.join(SHORTCUTS)}) nor a dotted path into "
            f"the case (e.g. materials.bulk1.n){hint}"
        )
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
                    f"{what}: {here} is not an index of a list of {len(node)}"
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
                    close = near(part, map(str, node))
                    hint = f"; did you mean {'.'.join([*parts[:depth], close])}?" if close else ""
                    raise ValidationError(
                        f"{what}: the case has no {here} (known here: {known}){hint}"
                    )
            node = node[part]
        else:
            raise ValidationError(
                f"{what}: {'.'.join(parts[:depth])} is a value, not a table or list"
            )


def _scaled_jc(jc: Any, k: float, base_dir: Path, where: str) -> dict[str, Any]:
    if not isinstance(jc, Mapping):
        raise ValidationError(f"--vary jc_scale: {where} is not a table")
    out = dict(jc)
    if "table" in jc:
        t = _part(jc, "table", Mapping, "a table", where)
        out["table"] = {**t, "jc": _scaled_numbers(t, k, f"{where}.table")}
    elif "kim" in jc:
        kim = _part(jc, "kim", Mapping, "a table", where)
        jc0 = _part(kim, "jc0", str, "a quantity", f"{where}.kim")
        out["kim"] = {**kim, "jc0": _scaled_text(jc0, k, f"{where}.kim.jc0")}
    elif "constant" in jc:
        out["constant"] = _scaled_text(jc["constant"], k, f"{where}.constant")
    elif "tables" in jc and isinstance(jc["tables"], list):
        out["tables"] = [
            _scaled_entry(t, k, base_dir, f"{where}.tables[{i}]")
            for i, t in enumerate(jc["tables"])
        ]
    elif "csv" in jc:
        del out["csv"]
        out["table"] = _scaled_csv(jc, k, base_dir, where)
    else:
        raise ValidationError(
            f"--vary jc_scale: {where} needs table, kim, constant, csv or tables to scale"
        )
    return out


def _scaled_entry(entry: Any, k: float, base_dir: Path, where: str) -> Any:
    """A ``jc.tables`` entry scaled by ``k``: its ``jc`` list, or its ``csv`` file read into one
    (as ``fluxtrap jc --out`` writes them: it was refused, 'expected a list of numbers')."""
    if not isinstance(entry, Mapping):
        return entry
    if "csv" in entry:
        kept = {key: v for key, v in entry.items() if key != "csv"}
        return kept | _scaled_csv(entry, k, base_dir, where)
    return {**entry, "jc": _scaled_numbers(entry, k, where)}


def _scaled_csv(spec: Mapping[str, Any], k: float, base_dir: Path, where: str) -> dict[str, Any]:
    """The Jc(B) file of ``spec["csv"]`` as a ``jc.table`` scaled by ``k`` (SI)."""
    path = Path(_part(spec, "csv", str, "a file name", where))
    table = read_jc_csv(path if path.is_absolute() else base_dir / path)
    return {
        "field": list(table.field_T),
        "field_unit": "T",
        "jc": [x * k for x in table.jc_A_m2],
        "jc_unit": "A/m^2",
    }


def _part(table: Mapping[str, Any], key: str, kind: type, what: str, where: str) -> Any:
    """``table[key]`` if it is a ``kind``, else a ``ValidationError`` naming ``where.key``."""
    value = table.get(key)
    if not isinstance(value, kind):
        got = "missing" if value is None else f"got {value!r:.60}"
        raise ValidationError(f"--vary jc_scale: {where}.{key}: expected {what}, {got}")
    return value


def _scaled_numbers(table: Mapping[str, Any], k: float, where: str) -> list[float]:
    """``table["jc"]`` times ``k``: a list of plain numbers (a malformed one was a KeyError,
    TypeError or ValueError, and true scaled to a Jc of 1.0)."""
    values = _part(table, "jc", list, "a list of numbers", where)
    for i, x in enumerate(values):
        if isinstance(x, bool) or not isinstance(x, int | float):
            raise ValidationError(
                f"--vary jc_scale: {where}.jc[{i}]: expected a plain number, got {x!r:.60}"
            )
    return [float(x) * k for x in values]


def _scaled_text(text: Any, k: float, where: str) -> str:
    q = quantity(text, where)
    return f"{float(q.magnitude) * k!r} {q.units:~C}"


@dataclass(frozen=True)
class Variant:
    """One point of a sweep: ``params`` (name -> ``Value``), its parsed ``case`` (``None`` with
    ``error`` set when the variant is not a valid case) and its cache ``key``."""

    index: int
    params: dict[str, Value]
    case: Case | None = field(repr=False)
    key: str
    error: str = ""

    def name(self) -> str:
        """``variant 3 (radius=12 mm, n=25)``: how messages name it."""
        return f"variant {self.index} ({', '.join(f'{k}={v}' for k, v in self.params.items())})"

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"Variant({self.index}: {params}; key {self.key}{'; ' + self.error if self.error else ''})"


def load_case_dict(path: str | Path) -> dict[str, Any]:
    """The raw dict of a case TOML file."""
    return read_toml(path, "case file")


def expand(
    base: Mapping[str, Any],
    axes: Sequence[Axis] = (),
    rows: Sequence[Mapping[str, Value]] = (),
    base_dir: str | Path = ".",
    on_variant: Callable[[int, int], None] | None = None,
) -> list[Variant]:
    """The variants: every CSV ``row`` (or one empty row) times the cartesian product of ``axes``;
    ``on_variant(built, total)`` after each (parsing takes ~10 ms a variant: 10 000 took 30-80 s).

    More than ``MAX_VARIANTS`` is refused before any is built. A name that cannot be applied (a
    path the case does not have, a key the case's table does not know) raises at once; a
    variant whose resulting case is invalid is returned with ``case=None`` and its ``error``.
    """
    names = [a.name for a in axes]
    listed = list(rows[0]) if rows else []
    twice = sorted(set(names) & set(listed)) or sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValidationError(f"swept name(s) given twice: {', '.join(twice)}")
    sizes = [len(rows) or 1, *(len(a.values) for a in axes)]
    if math.prod(sizes) > MAX_VARIANTS:
        counts = [f"{len(rows)} listed rows"] if rows else []
        counts += [f"{a.name}: {len(a.values)}" for a in axes]
        raise ValidationError(
            f"sweep: {math.prod(sizes)} variants ({' x '.join(counts)}); at most {MAX_VARIANTS}"
        )
    variants: list[Variant] = []
    total = math.prod(sizes)
    combos = itertools.product(list(rows) or [{}], itertools.product(*(a.values for a in axes)))
    units_checked = False  # whether a UnitError has been seen to depend on the numbers
    for index, (row, values) in enumerate(combos):
        params = {**row, **dict(zip(names, values, strict=True))}
        try:
            case = Case.from_dict(_applied(base, params, listed, base_dir), base_dir=base_dir)
        except UnknownKeyError as err:  # no value mends a key: refused once, before any runs
            swept = f" (swept: {', '.join(params)})" if params else ""
            raise UnknownKeyError(f"sweep: {err}{swept}") from None
        except UnitError as err:
            # each swept name has one unit in every variant: a unit no number mends (a length
            # given in T) failed each variant in turn; refused once, before any runs
            if not units_checked and _unit_wrong(err, base, params, listed, base_dir):
                swept = ", ".join(f"{k}={v}" for k, v in params.items())
                raise UnitError(
                    f"sweep: {err} (swept: {swept}); the swept values share this unit, so "
                    "every variant would fail alike: give them in the unit the case expects there"
                ) from None
            units_checked = True
            variants.append(_invalid(index, params, base, listed, base_dir, err))
        except FluxtrapError as err:
            variants.append(_invalid(index, params, base, listed, base_dir, err))
        else:
            variants.append(Variant(index, params, case, case_key(case)))
        if on_variant is not None:
            on_variant(len(variants), total)
    _check_base(base, variants, base_dir)
    return variants


def _check_base(base: Mapping[str, Any], variants: Sequence[Variant], base_dir: Any) -> None:
    """Refuse once, before any runs, a base case whose own error every variant has (a Jc
    written as a bare string failed each variant alike and wrote a table of failed rows)."""
    errors = {v.error for v in variants}
    if len(errors) != 1 or any(v.case is not None for v in variants):
        return
    try:
        Case.from_dict(copy.deepcopy(dict(base)), base_dir=base_dir)
    except FluxtrapError as err:
        if f"{type(err).__name__}: {err}" in errors:
            raise type(err)(
                f"sweep: the case itself is not valid, whatever the swept values: {err}"
            ) from None


def _applied(
    base: Mapping[str, Any], params: Mapping[str, Value], listed: Sequence[str], base_dir: Any
) -> dict[str, Any]:
    """A copy of the raw case ``base`` with the swept ``params`` written in (``apply``)."""
    data = copy.deepcopy(dict(base))
    for name, value in params.items():
        what = f"column {name!r} of the variant list" if name in listed else ""
        apply(data, name, value, Path(base_dir), what)
    return data


def _unit_wrong(
    err: UnitError,
    base: Mapping[str, Any],
    params: Mapping[str, Value],
    listed: Sequence[str],
    base_dir: Any,
) -> bool:
    """Whether ``err`` is the unit of a swept dotted path, which every variant shares: it names
    that path (``stack[0].thickness``), and the variant with that value 1 in the same unit
    raises it too (a number out of a float's range would not)."""
    for name, value in params.items():
        key = re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", name)  # as the case's errors name it
        if name in SHORTCUTS or not str(err).startswith(f"{key}:"):
            continue
        try:
            one = {**params, name: Value(1.0, value.unit)}
            Case.from_dict(_applied(base, one, listed, base_dir), base_dir=base_dir)
        except UnitError as again:
            return str(again).startswith(f"{key}:")
        except FluxtrapError:
            return False
        return False
    return False


def _invalid(
    index: int,
    params: dict[str, Value],
    base: Mapping[str, Any],
    listed: Sequence[str],
    base_dir: Any,
    err: FluxtrapError,
) -> Variant:
    """The variant ``index`` whose case is invalid (``err``), keyed by its raw dict."""
    raw = json.dumps(_applied(base, params, listed, base_dir), sort_keys=True, default=str)
    return Variant(index, params, None, _digest(raw), f"{type(err).__name__}: {err}")


def case_key(case: Case) -> str:
    """The cache key of ``case``: 16 hex digits of the SHA-256 of its identity (``Case.key``:
    the case in SI and fluxtrap's version) and the solver's (``solver_identity``), so a changed
    solver never reuses results cached by the old one."""
    return _digest(f"{case.key()}:{solver_identity()}")


@functools.cache
def solver_identity() -> str:
    """16 hex digits of the SHA-256 of the simulator's sources: every ``.py`` file of
    ``fluxtrap.simulate`` and ``fluxtrap/jctable.py`` (Jc tables), with their paths."""
    import fluxtrap.simulate

    package = Path(fluxtrap.simulate.__file__).parent
    return source_digest(package, [*sorted(package.rglob("*.py")), package.parent / "jctable.py"])


def source_digest(root: Path, files: Sequence[Path]) -> str:
    """16 hex digits of the SHA-256 of ``files`` (their paths relative to ``root``'s parent and
    their bytes)."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root.parent).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
