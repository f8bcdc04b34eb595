"""Simulation case files (design section 3, **contract**): parsed once into frozen SI values.

``Case.load(x)`` accepts a path to a TOML file, a dict of the same shape, or a ``Case``.
Every dimensional value is a string with its unit; a bare number where a unit is needed is a
``UnitError`` naming the key and the expected dimension. ``Case.to_dict()`` gives the TOML
form back (values in SI units), so ``Case.from_dict(case.to_dict()) == case``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fluxtrap import __version__
from fluxtrap.errors import FluxtrapError, InputFileError, UnitError, ValidationError
from fluxtrap.inputs import check_values
from fluxtrap.simulate.materials import (
    ConstantJc,
    CurveJc,
    KimJc,
    Material,
    NormalConductor,
    Superconductor,
    TableJc,
    TemperatureScaling,
    as_jc_model,
    read_jc_csv,
)
from fluxtrap.tomlfile import read_toml
from fluxtrap.units import MU0, parse


class CaseWarning(UserWarning):
    """Something allowed but suspicious in a case (a probe inside a superconductor)."""


def _q(
    mapping: Mapping[str, Any], key: str, dimension: str, where: str, default: str | None = None
) -> float:
    """Parse ``mapping[key]`` (a string with a unit) as ``dimension`` in SI; errors name the key."""
    full = f"{where}.{key}" if where else key
    dim = dimension.replace("_", " ")
    if key not in mapping:
        if default is not None:
            return parse(default, dimension, full)
        raise UnitError(f"{full}: missing (expected a {dim} with its unit)")
    value = mapping[key]
    if isinstance(value, bool) or not isinstance(value, str):
        raise UnitError(
            f"{full}: got the bare value {value!r}; expected a {dim} written with its unit, "
            f'e.g. "{value} {_EXAMPLE_UNIT.get(dimension, "")}"'
        )
    return parse(value, dimension, full)


_EXAMPLE_UNIT = {
    "length": "mm",
    "time": "s",
    "magnetic_flux_density": "T",
    "current_density": "A/cm^2",
    "electric_field": "V/m",
    "temperature": "K",
    "resistivity": "ohm*m",
    "field_rate": "T/h",
    "temperature_rate": "K/min",
}


def _number(
    mapping: Mapping[str, Any], key: str, where: str, default: float | None = None
) -> float:
    if key not in mapping:
        if default is None:
            raise ValidationError(f"{where}.{key}: missing (expected a number)")
        return default
    v = mapping[key]
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValidationError(f"{where}.{key}: expected a plain number, got {v!r}")
    return float(v)


def _s(x: float, unit: str) -> str:
    return f"{x!r} {unit}"


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _toml_value(v: Any) -> str:
    """A TOML value: strings (JSON escapes are TOML's), numbers, lists, inline tables."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, int | float):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML form for {type(v).__name__}")


# -- geometry and probes ------------------------------------------------------------------------
@dataclass(frozen=True)
class Layer:
    """A coaxial disk: ``material`` name, ``radius_m``, ``thickness_m``, bottom face at ``z_m`` (m).

    Layers span the axis (no rings): the H-phi formulation needs a simply connected air region."""

    material: str
    radius_m: float
    thickness_m: float
    z_m: float

    @property
    def top_m(self) -> float:
        return self.z_m + self.thickness_m

    def contains(self, r: float, z: float, strict: bool = True) -> bool:
        eps = 1e-12 if strict else -1e-12
        return (r < self.radius_m - eps) and (self.z_m + eps < z < self.top_m - eps)

    def to_dict(self) -> dict[str, Any]:
        d = {
            "material": self.material,
            "radius": _s(self.radius_m, "m"),
            "thickness": _s(self.thickness_m, "m"),
            "z": _s(self.z_m, "m"),
        }
        return d


@dataclass(frozen=True)
class Probe:
    """A Hall probe measuring Bz at (``r_m``, ``z_m``), m."""

    name: str
    r_m: float
    z_m: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "r": _s(self.r_m, "m"), "z": _s(self.z_m, "m")}


# -- protocol steps ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Set:
    """Initial state: uniform applied field ``field_T`` (T), ``temperature_K`` (K), no currents."""

    field_T: float
    temperature_K: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": "set",
            "field": _s(self.field_T, "T"),
            "temperature": _s(self.temperature_K, "K"),
        }


@dataclass(frozen=True)
class RampField:
    """Ramp the applied field linearly to ``to_T`` (T) at ``rate_T_s`` (T/s, > 0)."""

    to_T: float
    rate_T_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"step": "ramp_field", "to": _s(self.to_T, "T"), "rate": _s(self.rate_T_s, "T/s")}

    def __repr__(self) -> str:
        return f"RampField(to_T={self.to_T:g}, rate_T_h={self.rate_T_s * 3600:g})"


@dataclass(frozen=True)
class Hold:
    """Keep field and temperature for ``duration_s`` (s)."""

    duration_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"step": "hold", "duration": _s(self.duration_s, "s")}


@dataclass(frozen=True)
class RampTemperature:
    """Ramp the temperature linearly to ``to_K`` (K) at ``rate_K_s`` (K/s, > 0); changes Jc only."""

    to_K: float
    rate_K_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": "ramp_temperature",
            "to": _s(self.to_K, "K"),
            "rate": _s(self.rate_K_s, "K/s"),
        }

    def __repr__(self) -> str:
        return f"RampTemperature(to_K={self.to_K:g}, rate_K_min={self.rate_K_s * 60:g})"


Step = Set | RampField | Hold | RampTemperature


def _parse_step(d: Mapping[str, Any], where: str) -> Step:
    kind = d.get("step")
    if kind == "set":
        return Set(
            _q(d, "field", "magnetic_flux_density", where),
            _q(d, "temperature", "temperature", where),
        )
    if kind == "ramp_field":
        rate = _q(d, "rate", "field_rate", where)
        if rate <= 0:
            raise ValidationError(
                f"{where}.rate: must be > 0 (the direction follows from 'to'), got {d['rate']!r}"
            )
        return RampField(_q(d, "to", "magnetic_flux_density", where), rate)
    if kind == "hold":
        duration = _q(d, "duration", "time", where)
        if duration <= 0:
            raise ValidationError(f"{where}.duration: must be > 0, got {d['duration']!r}")
        return Hold(duration)
    if kind == "ramp_temperature":
        rate = _q(d, "rate", "temperature_rate", where)
        if rate <= 0:
            raise ValidationError(f"{where}.rate: must be > 0, got {d['rate']!r}")
        return RampTemperature(_q(d, "to", "temperature", where), rate)
    raise ValidationError(
        f"{where}.step: got {kind!r}; expected one of set, ramp_field, hold, ramp_temperature"
    )


# -- numerical options --------------------------------------------------------------------------
@dataclass(frozen=True)
class MeshOptions:
    """``size_m``: element edge in the conductors (m; a case file without [mesh] size gets
    min(1 mm, a quarter of the smallest superconductor radius or thickness)); ``outer_m``:
    distance of the outer boundary from the stack centre (m; 0 = ten times the stack's extent)."""

    size_m: float = 1e-3
    outer_m: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d = {"size": _s(self.size_m, "m")}
        if self.outer_m:
            d["outer"] = _s(self.outer_m, "m")
        return d


@dataclass(frozen=True)
class SolverOptions:
    """``rtol``: local time-error tolerance per step (RMS change of H in the conductors that a
    linear extrapolation misses, relative to mean Jc x stack radius); ``max_step_s``: cap on the
    time step (s, 0 = none). Air needs no resistivity (H-phi formulation)."""

    rtol: float = 1e-3
    max_step_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"rtol": self.rtol}
        if self.max_step_s:
            d["max_step"] = _s(self.max_step_s, "s")
        return d


# -- the case ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """A parsed simulation case: materials, coaxial stack, probes, protocol, numerical options."""

    title: str
    materials: tuple[Material, ...]
    stack: tuple[Layer, ...]
    probes: tuple[Probe, ...]
    protocol: tuple[Step, ...]
    mesh: MeshOptions = field(default_factory=MeshOptions)
    solver: SolverOptions = field(default_factory=SolverOptions)
    snapshots_s: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        self._validate()

    # construction ---------------------------------------------------------------------------
    @classmethod
    def load(cls, case: str | Path | Mapping[str, Any] | Case) -> Case:
        """A ``Case`` from a TOML path, a dict of the same shape, or a ``Case`` (returned as is)."""
        if isinstance(case, Case):
            return case
        if isinstance(case, str | Path):
            return cls.from_toml(case)
        if isinstance(case, Mapping):
            return cls.from_dict(case)
        raise InputFileError(
            f"a simulation case must be a TOML path, a dict or a Case, got {type(case).__name__}"
        )

    @classmethod
    def from_toml(cls, path: str | Path) -> Case:
        p = Path(path)
        data = read_toml(p, "case file")
        try:
            return cls.from_dict(data, base_dir=p.parent)
        except FluxtrapError as err:
            raise type(err)(f"{p}: {err}") from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base_dir: str | Path = ".") -> Case:
        check_values(data, "case")
        materials = tuple(
            _parse_material(name, spec, Path(base_dir))
            for name, spec in dict(data.get("materials", {})).items()
        )
        stack: list[Layer] = []
        z_next = 0.0
        for i, d in enumerate(data.get("stack", [])):
            where = f"stack[{i}]"
            if "material" not in d:
                raise ValidationError(f"{where}.material: missing (expected a material name)")
            radius = _q(d, "radius", "length", where)
            thickness = _q(d, "thickness", "length", where)
            z = _q(d, "z", "length", where) if "z" in d else z_next
            for key, v in (("radius", radius), ("thickness", thickness)):
                if v <= 0:
                    raise ValidationError(f"{where}.{key}: must be > 0, got {d[key]!r}")
            stack.append(Layer(str(d["material"]), radius, thickness, z))
            z_next = z + thickness
        probes = tuple(
            Probe(
                str(d.get("name", f"probe{i}")),
                _q(d, "r", "length", f"probes[{i}]"),
                _q(d, "z", "length", f"probes[{i}]"),
            )
            for i, d in enumerate(data.get("probes", []))
        )
        protocol = tuple(
            _parse_step(d, f"protocol[{i}]") for i, d in enumerate(data.get("protocol", []))
        )
        m = dict(data.get("mesh", {}))
        sc_names = {mat.name for mat in materials if isinstance(mat, Superconductor)}
        auto = min(
            [1e-3] + [min(x.radius_m, x.thickness_m) / 4 for x in stack if x.material in sc_names]
        )
        mesh = MeshOptions(
            _q(m, "size", "length", "mesh", default=f"{auto!r} m"),
            _q(m, "outer", "length", "mesh", default="0 m"),
        )
        s = dict(data.get("solver", {}))
        solver = SolverOptions(
            _number(s, "rtol", "solver", 1e-3),
            _q(s, "max_step", "time", "solver", default="0 s"),
        )
        out = dict(data.get("output", {}))
        snaps = out.get("snapshots", [])
        if not isinstance(snaps, list):
            raise ValidationError('output.snapshots: expected a list of times, e.g. ["5250 s"]')
        snapshots = tuple(
            parse(t, "time", f"output.snapshots[{i}]")
            if isinstance(t, str)
            else _q({"t": t}, "t", "time", f"output.snapshots[{i}]")
            for i, t in enumerate(snaps)
        )
        return cls(
            str(data.get("title", "")),
            materials,
            tuple(stack),
            probes,
            protocol,
            mesh,
            solver,
            snapshots,
        )

    # views ------------------------------------------------------------------------------------
    def material(self, name: str) -> Material:
        for m in self.materials:
            if m.name == name:
                return m
        raise ValidationError(
            f"material {name!r} is not defined; defined: {', '.join(m.name for m in self.materials) or 'none'}"
        )

    @property
    def duration_s(self) -> float:
        """Total simulated time of the protocol, s."""
        return sum(
            step_duration(s, st)
            for s, st in zip(self.protocol[1:], states(self.protocol)[:-1], strict=True)
        )

    def with_options(
        self,
        *,
        mesh_size_m: float | None = None,
        outer_m: float | None = None,
        rtol: float | None = None,
    ) -> Case:
        """A copy with changed numerical options (e.g. a coarser mesh for a quick look)."""
        mesh = dataclasses.replace(
            self.mesh,
            **{k: v for k, v in (("size_m", mesh_size_m), ("outer_m", outer_m)) if v is not None},
        )
        solver = self.solver if rtol is None else dataclasses.replace(self.solver, rtol=rtol)
        return dataclasses.replace(self, mesh=mesh, solver=solver)

    def to_dict(self) -> dict[str, Any]:
        """The TOML form (dimensional values as SI strings); ``from_dict`` reads it back."""
        d: dict[str, Any] = {
            "title": self.title,
            "materials": {m.name: m.to_dict() for m in self.materials},
            "stack": [layer.to_dict() for layer in self.stack],
            "probes": [p.to_dict() for p in self.probes],
            "protocol": [s.to_dict() for s in self.protocol],
            "mesh": self.mesh.to_dict(),
            "solver": self.solver.to_dict(),
        }
        if self.snapshots_s:
            d["output"] = {"snapshots": [_s(t, "s") for t in self.snapshots_s]}
        return d

    def to_toml(self) -> str:
        """``to_dict`` as TOML text (a case file that ``Case.from_toml`` reads back)."""
        d = self.to_dict()
        lines = [f"title = {_toml_value(d.pop('title'))}"]
        for name, spec in d.pop("materials").items():
            lines += ["", f"[materials.{_toml_key(name)}]"]
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in spec.items()]
        for table in ("stack", "probes", "protocol"):
            for item in d.pop(table):
                lines += ["", f"[[{table}]]"]
                lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in item.items()]
        for table, spec in d.items():  # mesh, solver, output
            lines += ["", f"[{table}]"]
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in spec.items()]
        return "\n".join(lines) + "\n"

    def to_si_dict(self) -> dict[str, Any]:
        """The case with plain SI numbers and unit-suffixed keys (for ``summary.json``)."""

        def mat(m: Material) -> dict[str, Any]:
            if isinstance(m, NormalConductor):
                return {"kind": "normal", "resistivity_ohm_m": m.resistivity_ohm_m}
            jc: dict[str, Any] = {"model": type(m.jc).__name__}
            if isinstance(m.jc, CurveJc):
                jc["name"] = m.jc.name
            else:
                jc.update(
                    {
                        k: list(v) if isinstance(v, tuple) else v
                        for k, v in dataclasses.asdict(m.jc).items()
                    }
                )
            out = {"kind": "superconductor", "n": m.n, "e0_V_m": m.e0_V_m, "jc": jc}
            if m.temperature:
                out["temperature"] = dataclasses.asdict(m.temperature)
            return out

        def step(s: Step) -> dict[str, Any]:
            return {"step": type(s).__name__, **dataclasses.asdict(s)}

        return {
            "title": self.title,
            "materials": {m.name: mat(m) for m in self.materials},
            "stack": [dataclasses.asdict(x) for x in self.stack],
            "probes": [dataclasses.asdict(p) for p in self.probes],
            "protocol": [step(s) for s in self.protocol],
            "mesh": dataclasses.asdict(self.mesh),
            "solver": dataclasses.asdict(self.solver),
            "snapshots_s": list(self.snapshots_s),
        }

    def key(self) -> str:
        """16 hex digits of the SHA-256 of the case in SI (without its title) and fluxtrap's
        version: the case's identity (the sweep cache's key, a stored simulation's hash)."""
        si = {k: v for k, v in self.to_si_dict().items() if k != "title"}
        text = json.dumps({"fluxtrap": __version__, "case": si}, sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        stack = " / ".join(
            f"{x.material} r={x.radius_m * 1e3:g}mm t={x.thickness_m * 1e3:g}mm" for x in self.stack
        )
        steps = ", ".join(repr(s) for s in self.protocol)
        return (
            f"Case({self.title!r}: {stack}; probes {', '.join(p.name for p in self.probes)}; "
            f"protocol [{steps}]; mesh {self.mesh.size_m * 1e3:g} mm)"
        )

    # validation -------------------------------------------------------------------------------
    def _validate(self) -> None:
        names = [m.name for m in self.materials]
        if len(set(names)) != len(names):
            raise ValidationError(f"materials: duplicate names in {names}")
        if not self.stack:
            raise ValidationError("stack: no layers; add at least one [[stack]] table")
        for i, layer in enumerate(self.stack):
            if layer.material not in names:
                raise ValidationError(
                    f"stack[{i}].material: {layer.material!r} is not defined in [materials] "
                    f"(defined: {', '.join(names) or 'none'})"
                )
        for i, a in enumerate(self.stack):
            for j, b in enumerate(self.stack[:i]):
                if min(a.top_m, b.top_m) - max(a.z_m, b.z_m) > 1e-12:
                    raise ValidationError(
                        f"stack[{i}] ({a.material}, z {a.z_m * 1e3:g}..{a.top_m * 1e3:g} mm) overlaps "
                        f"stack[{j}] ({b.material}, z {b.z_m * 1e3:g}..{b.top_m * 1e3:g} mm)"
                    )
        if not any(isinstance(self.material(x.material), Superconductor) for x in self.stack):
            raise ValidationError("stack: no layer is a superconductor")
        pnames = [p.name for p in self.probes]
        if len(set(pnames)) != len(pnames):
            raise ValidationError(f"probes: duplicate names in {pnames}")
        for i, name in enumerate(pnames):  # they become column names of probes.csv
            if not re.fullmatch(r"[^\W_][\w.-]{0,63}", name):
                raise ValidationError(
                    f"probes[{i}].name {name[:40]!r}: use up to 64 letters, digits, _ . or -, "
                    "starting with a letter or digit"
                )
        for i, p in enumerate(self.probes):
            if p.r_m < 0:
                raise ValidationError(f"probes[{i}].r: must be >= 0, got {p.r_m} m")
            for layer in self.stack:
                if layer.contains(p.r_m, p.z_m) and isinstance(
                    self.material(layer.material), Superconductor
                ):
                    warnings.warn(
                        f"probe {p.name!r} at r={p.r_m * 1e3:g} mm, z={p.z_m * 1e3:g} mm is inside the "
                        f"superconductor {layer.material!r}: allowed (it reads Bz there), but no Hall "
                        "sensor can sit there",
                        CaseWarning,
                        stacklevel=3,
                    )
        if not self.protocol or not isinstance(self.protocol[0], Set):
            raise ValidationError(
                'protocol: the first step must be step = "set" (initial field and temperature)'
            )
        if any(isinstance(s, Set) for s in self.protocol[1:]):
            raise ValidationError('protocol: step = "set" is allowed only as the first step')
        for i, st in enumerate(states(self.protocol)):
            for m in self.materials:
                if isinstance(m, Superconductor) and m.temperature and st[1] >= m.temperature.tc_K:
                    raise ValidationError(
                        f"protocol[{i}]: temperature {st[1]:g} K reaches Tc = {m.temperature.tc_K:g} K "
                        f"of {m.name}; the model covers the superconducting state only"
                    )
        if self.mesh.size_m <= 0:
            raise ValidationError(f"mesh.size: must be > 0, got {self.mesh.size_m} m")
        if not 0 < self.solver.rtol < 1:
            raise ValidationError(f"solver.rtol: must be between 0 and 1, got {self.solver.rtol}")


def states(protocol: tuple[Step, ...]) -> list[tuple[float, float]]:
    """(applied field T, temperature K) at the end of each step."""
    out: list[tuple[float, float]] = []
    b, t = 0.0, 0.0
    for s in protocol:
        if isinstance(s, Set):
            b, t = s.field_T, s.temperature_K
        elif isinstance(s, RampField):
            b = s.to_T
        elif isinstance(s, RampTemperature):
            t = s.to_K
        out.append((b, t))
    return out


def step_duration(step: Step, start: tuple[float, float]) -> float:
    """Duration in s of ``step`` starting from (field T, temperature K) = ``start``."""
    if isinstance(step, RampField):
        return abs(step.to_T - start[0]) / step.rate_T_s
    if isinstance(step, RampTemperature):
        return abs(step.to_K - start[1]) / step.rate_K_s
    if isinstance(step, Hold):
        return step.duration_s
    return 0.0


def _parse_material(name: str, spec: Mapping[str, Any], base_dir: Path) -> Material:
    where = f"materials.{name}"
    if not isinstance(spec, Mapping):
        raise ValidationError(f"{where}: expected a table")
    if "jc" not in spec:
        if "resistivity" not in spec:
            raise ValidationError(
                f"{where}: give jc (a superconductor) or resistivity (a normal conductor)"
            )
        return NormalConductor(name, _q(spec, "resistivity", "resistivity", where))
    jc_spec = spec["jc"]
    w = f"{where}.jc"
    if not isinstance(jc_spec, Mapping) and hasattr(jc_spec, "at"):
        jc = as_jc_model(jc_spec)
    elif not isinstance(jc_spec, Mapping):
        raise ValidationError(f"{w}: expected a table with one of table, kim, constant, csv")
    else:
        kinds = [k for k in ("table", "kim", "constant", "csv", "curve") if k in jc_spec]
        if len(kinds) != 1:
            raise ValidationError(
                f"{w}: give exactly one of table, kim, constant, csv (got {kinds or 'none'})"
            )
        kind = kinds[0]
        if kind == "table":
            t = jc_spec["table"]
            for k in ("field", "jc"):
                if not isinstance(t.get(k), list):
                    raise ValidationError(f"{w}.table.{k}: expected a list of numbers")
            bu, ju = t.get("field_unit"), t.get("jc_unit")
            if not (isinstance(bu, str) and isinstance(ju, str)):
                raise UnitError(
                    f'{w}.table: give field_unit (e.g. "T") and jc_unit (e.g. "A/cm^2")'
                )
            field_T = tuple(
                parse(f"{x} {bu}", "magnetic_flux_density", f"{w}.table.field") for x in t["field"]
            )
            jc_vals = tuple(parse(f"{x} {ju}", "current_density", f"{w}.table.jc") for x in t["jc"])
            jc = TableJc(field_T, jc_vals)
        elif kind == "kim":
            jc = KimJc(
                _q(jc_spec["kim"], "jc0", "current_density", f"{w}.kim"),
                _q(jc_spec["kim"], "b0", "magnetic_flux_density", f"{w}.kim"),
            )
        elif kind == "constant":
            jc = ConstantJc(_q(jc_spec, "constant", "current_density", w))
        elif kind == "csv":
            path = Path(jc_spec["csv"])
            jc = read_jc_csv(path if path.is_absolute() else base_dir / path)
        else:
            jc = as_jc_model(jc_spec["curve"])
    temp = None
    if isinstance(jc_spec, Mapping) and "temperature" in jc_spec:
        t = jc_spec["temperature"]
        temp = TemperatureScaling(
            _q(t, "at", "temperature", f"{w}.temperature"),
            _q(t, "tc", "temperature", f"{w}.temperature"),
            _number(t, "exponent", f"{w}.temperature", 1.5),
        )
    n = _number(spec, "n", where)
    return Superconductor(
        name, n, _q(spec, "e0", "electric_field", where, default="1e-4 V/m"), jc, temp
    )


__all__ = [
    "Case",
    "CaseWarning",
    "Hold",
    "Layer",
    "MeshOptions",
    "Probe",
    "RampField",
    "RampTemperature",
    "Set",
    "SolverOptions",
    "Step",
    "MU0",
]
