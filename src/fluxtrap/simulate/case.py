"""Simulation case files (design section 3, **contract**): parsed once into frozen SI values.

``Case.load(x)`` accepts a path to a TOML file, a dict of the same shape, or a ``Case``.
Every dimensional value is a string with its unit; a bare number where a unit is needed is a
``UnitError`` naming the key and the expected dimension; unknown keys, NaN and infinite values
are errors naming the key. ``Case.to_dict()`` gives the TOML form back (values in SI units), so
``Case.from_dict(case.to_dict()) == case``.

The parts live by job: ``geometry`` (layers, probes), ``protocol`` (steps), ``material_spec``
(material tables), ``options`` (mesh, solver, output and the size limits), ``casefile`` (strict
table readers, TOML text). This module ties them together and re-exports their public names.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fluxtrap import __version__
from fluxtrap.errors import FluxtrapError, InputFileError, ValidationError
from fluxtrap.inputs import check_values, hidden_characters, plain
from fluxtrap.simulate.casefile import (
    check_keys,
    did_you_mean,
    one_of,
    shown,
    si,
    table,
    tables,
    toml_key,
    toml_table,
    toml_value,
)
from fluxtrap.simulate.geometry import (
    Bore,
    Layer,
    Probe,
    check_offset,
    stack_from_list,
    thin_parts,
)
from fluxtrap.simulate.material_spec import material_from_dict
from fluxtrap.simulate.materials import (
    JC_PLAUSIBLE,
    JC_RANGE,
    CurveJc,
    KimJc,
    Material,
    NormalConductor,
    Superconductor,
    TableJc,
    TemperatureTablesJc,
    largest_jc,
)
from fluxtrap.simulate.options import (
    MeshOptions,
    SolverOptions,
    check_bounded,
    check_element_limit,
    check_mesh_fits,
    snapshots_from_dict,
)
from fluxtrap.simulate.protocol import (
    MAX_STEPS,
    Cool,
    Hold,
    Pulse,
    RampField,
    RampTemperature,
    Set,
    Step,
    check_duration,
    check_fields,
    largest_field,
    protocol_duration,
    states,
    step_duration,
    step_durations,
    step_from_dict,
)
from fluxtrap.simulate.thermal_spec import (
    MATERIAL_KEYS,
    MAX_TC_K,
    ThermalSettings,
    check_thermal,
    thermal_from_case,
)
from fluxtrap.simulate.topology import groups
from fluxtrap.tomlfile import parse_toml, read_toml
from fluxtrap.units import MU0

TOP_KEYS = (
    "title",
    "materials",
    "stack",
    "probes",
    "protocol",
    "mesh",
    "solver",
    "output",
    "bore",
    "thermal",
)
PROBE_QUANTITIES = ("Bz", "temperature")
MAX_TITLE = 200  # characters of a case's title: job lists, plots and the store show it
# E / E0 that a step may leave at once: an isothermal cool step up to 22.75 K at n = 300 (Jc
# 1.17x lower: E0 x 1.4e20) or to 34.5 K at n = 30 (5.0x: E0 x 1e21) stopped Newton at the
# smallest time step; 1.3e18 and 2.8e19 ran
MAX_JUMP_E = 1e18
MAX_PROBES = 1000  # [[probes]] (Bz and temperature): each is a column of probes.csv and a row of
# the dense probe matrix over every element


class CaseWarning(UserWarning):
    """Something allowed but suspicious in a case (a probe inside a superconductor)."""


class ProbeInsideWarning(CaseWarning):
    """A probe inside a superconductor: it reads Bz there, where no Hall sensor can sit."""


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
    bore: Bore | None = None
    thermal: ThermalSettings = field(default_factory=ThermalSettings)
    temperature_probes: tuple[Probe, ...] = ()

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
    def from_toml(
        cls, path: str | Path, text: str | None = None, mesh_size: tuple[float, str] | None = None
    ) -> Case:
        """The case in the TOML file at ``path`` (its relative table paths from its folder);
        ``text``: the file's content if it is already read, so what is kept is what ran;
        ``mesh_size``: as in ``from_dict``."""
        p = Path(path)
        data = read_toml(p, "case file") if text is None else parse_toml(text, str(p))
        try:
            return cls.from_dict(data, base_dir=p.parent, mesh_size=mesh_size)
        except FluxtrapError as err:
            raise type(err)(f"{p}: {err}") from None

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        base_dir: str | Path = ".",
        mesh_size: tuple[float, str] | None = None,
    ) -> Case:
        """The case of ``data`` (the case file's tables); ``mesh_size``: (size in m, what gave
        it, e.g. "--mesh-size") in place of ``[mesh] size`` before the case is checked, so the
        checks judge the size that runs and name where it came from (``fluxtrap simulate
        --mesh-size`` was applied after the file's size had been checked)."""
        data = check_values(plain(data), "case")  # numpy arrays and numbers as Python's
        check_keys(data, TOP_KEYS, "")
        materials = tuple(
            material_from_dict(name, spec, Path(base_dir))
            for name, spec in table(data, "materials", "").items()
        )
        stack = stack_from_list(tables(data, "stack"))
        probes, temperature_probes = [], []
        probe_tables = tables(data, "probes")
        if len(probe_tables) > MAX_PROBES:
            raise ValidationError(
                f"probes: {len(probe_tables)} [[probes]] tables; at most {MAX_PROBES} (each is a "
                "column of probes.csv)"
            )
        seen: dict[str, int] = {}
        for i, d in enumerate(probe_tables):
            quantity = one_of(d.get("quantity", "Bz"), PROBE_QUANTITIES, f"probes[{i}].quantity")
            probe = Probe.from_dict(d, f"probes[{i}]", f"probe{i}")
            j = seen.setdefault(probe.name, i)
            if j != i:  # say which tables clash, and why an unnamed one has its name
                unnamed = [f"probes[{k}]" for k in (j, i) if "name" not in probe_tables[k]]
                why = f" ({unnamed[0]} has no name: it is called probe<index>)" if unnamed else ""
                raise ValidationError(
                    f"probes[{i}].name: {probe.name!r} is also probes[{j}]'s{why}"
                )
            (probes if quantity == "Bz" else temperature_probes).append(probe)
        step_tables = tables(data, "protocol")
        if len(step_tables) > MAX_STEPS:
            raise ValidationError(
                f"protocol: {len(step_tables)} [[protocol]] steps; at most {MAX_STEPS} (each is at "
                "least one time step)"
            )
        protocol = tuple(step_from_dict(d, f"protocol[{i}]") for i, d in enumerate(step_tables))
        return cls(
            _title(data.get("title", "")),
            materials,
            stack,
            tuple(probes),
            protocol,
            _mesh_options(table(data, "mesh", ""), mesh_size),
            SolverOptions.from_dict(table(data, "solver", "")),
            snapshots_from_dict(table(data, "output", "")),
            Bore.from_dict(table(data, "bore", ""), stack) if "bore" in data else None,
            thermal_from_case(data),
            tuple(temperature_probes),
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
    def superconducting(self) -> tuple[Layer, ...]:
        """The stack's superconducting layers, in its order."""
        return tuple(x for x in self.stack if isinstance(self.material(x.material), Superconductor))

    @property
    def start_size_m(self) -> float:
        """Coarsest conductor element edge (m) of an accuracy-driven run: half the smallest
        radial width or thickness of a superconducting layer (of any layer if none is), or with
        a ``[bore]`` of a superconducting ring's bore diameter (``first_dimension``)."""
        return self.first_dimension()[0] / 2

    def first_dimension(self) -> tuple[float, str]:
        """``_smallest_dimension``, or with a ``[bore]`` a superconducting ring's bore diameter
        (m, "stack[0] bore diameter") where smaller: a pair whose elements are wider than the
        bore radius measures no error across it (``simulation.unmeasured_layers``), and a ring
        of bore 1 mm, 5 mm tall, had its first pair at 1.25 mm (0.25 mm now)."""
        bores = [
            (2 * x.inner_radius_m, f"stack[{i}] bore diameter")
            for i, x in enumerate(self.stack)
            if self.bore and x.inner_radius_m > 0 and x in self.superconducting
        ]
        return min([self._smallest_dimension(), *bores])

    def _smallest_dimension(self) -> tuple[float, str]:
        """The smallest radial width or thickness (m) of a superconducting layer (of any layer
        if none is) and what it is ("stack[2] thickness")."""
        superconducting = self.superconducting
        sc = [(i, x) for i, x in enumerate(self.stack) if x in superconducting]
        sc = sc or list(enumerate(self.stack))
        return min(
            (d, f"stack[{i}] {what}")
            for i, x in sc
            for d, what in (
                (x.width_m, "radial width" if x.is_ring else "radius"),
                (x.thickness_m, "thickness"),
            )
        )

    @property
    def extent_m(self) -> float:
        """The stack's larger dimension, max(outer radius, height), m."""
        height = max(x.top_m for x in self.stack) - min(x.z_m for x in self.stack)
        return max(max(x.radius_m for x in self.stack), height)

    @property
    def duration_s(self) -> float:
        """Total simulated time of the protocol, s."""
        return protocol_duration(self.protocol)

    def with_options(
        self,
        *,
        mesh_size_m: float | None = None,
        outer_m: float | None = None,
        rtol: float | None = None,
    ) -> Case:
        """A copy with changed numerical options (e.g. a coarser mesh for a quick look)."""
        if mesh_size_m is not None and not mesh_size_m > 0:  # 0 would mean "refine": say so
            raise ValidationError(f"mesh.size: must be > 0, got {mesh_size_m!r} m")
        mesh = dataclasses.replace(
            self.mesh,
            **{k: v for k, v in (("size_m", mesh_size_m), ("outer_m", outer_m)) if v is not None},
        )
        if mesh_size_m is not None:  # a size given in code: the errors call it mesh.size
            mesh = dataclasses.replace(mesh, size_key="mesh.size")
        solver = self.solver if rtol is None else dataclasses.replace(self.solver, rtol=rtol)
        with warnings.catch_warnings():  # this case has warned already (a run's scout and
            warnings.simplefilter("ignore", CaseWarning)  # pairs printed each warning again)
            return dataclasses.replace(self, mesh=mesh, solver=solver)

    def to_dict(self) -> dict[str, Any]:
        """The TOML form (dimensional values as SI strings); ``from_dict`` reads it back."""
        d: dict[str, Any] = {
            "title": self.title,
            "materials": {m.name: m.to_dict() for m in self.materials},
            "stack": [layer.to_dict() for layer in self.stack],
            "probes": [p.to_dict() for p in self.probes]
            + [p.to_dict() | {"quantity": "temperature"} for p in self.temperature_probes],
            "protocol": [s.to_dict() for s in self.protocol],
            "mesh": self.mesh.to_dict(),
            "solver": self.solver.to_dict(),
        }
        if self.snapshots_s:
            d["output"] = {"snapshots": [si(t, "s") for t in self.snapshots_s]}
        if self.bore:
            d["bore"] = self.bore.to_dict()
        if self.thermal.coupled:
            d["thermal"] = self.thermal.to_dict()
        return d

    def to_toml(self) -> str:
        """``to_dict`` as TOML text (a case file that ``Case.from_toml`` reads back)."""
        d = self.to_dict()
        lines = [f"title = {toml_value(d.pop('title'))}"]
        for name, spec in d.pop("materials").items():
            lines += toml_table(f"[materials.{toml_key(name)}]", spec)
        for key in ("stack", "probes", "protocol"):
            for item in d.pop(key):
                lines += toml_table(f"[[{key}]]", item)
        cooling = d.get("thermal", {}).pop("cooling", [])
        for key, spec in d.items():  # mesh, solver, output, bore, thermal
            lines += toml_table(f"[{key}]", spec)
        for item in cooling:
            lines += toml_table("[[thermal.cooling]]", item)
        return "\n".join(lines) + "\n"

    def to_si_dict(self) -> dict[str, Any]:
        """The case with plain SI numbers and unit-suffixed keys (for ``summary.json``)."""

        def mat(m: Material) -> dict[str, Any]:
            heat = m.thermal.to_si() if m.thermal else {}
            if isinstance(m, NormalConductor):
                return {"kind": "normal", "resistivity_ohm_m": m.resistivity_ohm_m} | heat
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
            if m.n_table:
                out["n_table"] = m.n_table.to_si()
            if m.temperature:
                out["temperature"] = dataclasses.asdict(m.temperature)
            if m.normal_resistivity_ohm_m is not None:  # absent without: older keys stand
                out["normal_resistivity_ohm_m"] = m.normal_resistivity_ohm_m
            return out | heat

        def step(s: Step) -> dict[str, Any]:
            return {"step": type(s).__name__, **dataclasses.asdict(s)}

        out = {
            "title": self.title,
            "materials": {m.name: mat(m) for m in self.materials},
            "stack": [dataclasses.asdict(x) for x in self.stack],
            "probes": [dataclasses.asdict(p) for p in self.probes],
            "protocol": [step(s) for s in self.protocol],
            "mesh": {  # not size_key: what gave the size is no part of the case
                f.name: getattr(self.mesh, f.name)
                for f in dataclasses.fields(self.mesh)
                if f.compare
            },
            "solver": dataclasses.asdict(self.solver),
            "snapshots_s": list(self.snapshots_s),
            **({"bore": dataclasses.asdict(self.bore)} if self.bore else {}),
        }
        if self.thermal.coupled:  # absent when isothermal: older cases keep their key()
            out["thermal"] = dataclasses.asdict(self.thermal)
        if self.temperature_probes:
            out["temperature_probes"] = [dataclasses.asdict(p) for p in self.temperature_probes]
        return out

    def key(self) -> str:
        """16 hex digits of the SHA-256 of the case in SI (without its title) and fluxtrap's
        version: the case's identity (the sweep cache's key, a stored simulation's hash)."""
        si = {k: v for k, v in self.to_si_dict().items() if k != "title"}
        text = json.dumps({"fluxtrap": __version__, "case": si}, sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        stack = " / ".join(
            f"{x.material} r={x.inner_radius_m * 1e3:g}..{x.radius_m * 1e3:g}mm "
            f"t={x.thickness_m * 1e3:g}mm"
            if x.is_ring
            else f"{x.material} r={x.radius_m * 1e3:g}mm t={x.thickness_m * 1e3:g}mm"
            for x in self.stack
        )
        steps = ", ".join(repr(s) for s in self.protocol)
        return (
            f"Case({self.title!r}: {stack}; probes {', '.join(p.name for p in self.probes)}; "
            f"protocol [{steps}]; mesh "
            f"{f'{self.mesh.size_m * 1e3:g} mm' if self.mesh.size_m else 'for the accuracy'})"
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
                    f"stack[{i}].material: {shown(layer.material)} is not defined in [materials]"
                    f"{did_you_mean(layer.material, names)} (defined: {', '.join(names) or 'none'})"
                )
        # pairwise as arrays (1000 layers: 3 s as a Python loop); the first pair (i, j < i)
        r0, r1, z0, z1 = (
            np.array([getattr(x, k) for x in self.stack])
            for k in ("inner_radius_m", "radius_m", "z_m", "top_m")
        )
        in_z = np.minimum.outer(z1, z1) - np.maximum.outer(z0, z0) > 1e-12
        in_r = np.minimum.outer(r1, r1) - np.maximum.outer(r0, r0) > 1e-12
        overlaps = np.argwhere(in_z & in_r & np.tri(len(self.stack), k=-1, dtype=bool))
        for i, j in overlaps[:1]:
            a, b = self.stack[i], self.stack[j]
            raise ValidationError(
                f"stack[{i}] ({a.material}, r {a.inner_radius_m * 1e3:g}..{a.radius_m * 1e3:g}"
                f" mm, z {a.z_m * 1e3:g}..{a.top_m * 1e3:g} mm) overlaps stack[{j}] "
                f"({b.material}, r {b.inner_radius_m * 1e3:g}..{b.radius_m * 1e3:g} mm, "
                f"z {b.z_m * 1e3:g}..{b.top_m * 1e3:g} mm); layers at the same height must "
                "sit one inside the other's bore"
            )
        check_offset(self.stack, self.extent_m, self.probes + self.temperature_probes, self.bore)
        groups(self.stack)  # refuses layers that meet only at a corner
        pnames = [p.name for p in self.probes + self.temperature_probes]
        if len(set(pnames)) != len(pnames):
            raise ValidationError(f"probes: duplicate names in {pnames}")
        if self.bore and "bore_centre" in pnames:
            raise ValidationError(
                "probes: the name 'bore_centre' is taken by the [bore] centre's column "
                "(bore_centre_Bz_T in probes.csv); rename the probe"
            )
        for i, p in enumerate(self.probes + self.temperature_probes):
            p.check(f"probes[{i}]")  # a case built in code; from_dict checked each table
        # each layer against every probe at once (a million Python calls took 9 s)
        by_name = {m.name: m for m in self.materials}
        sc = [x for x in self.stack if isinstance(by_name[x.material], Superconductor)]
        pr, pz = (np.array([getattr(p, k) for p in self.probes]) for k in ("r_m", "z_m"))
        inside = np.array([x.contains(pr, pz) for x in sc]).reshape(len(sc), len(self.probes))
        for k, p in enumerate(self.probes):
            for layer in (sc[i] for i in np.flatnonzero(inside[:, k])):
                warnings.warn(
                    f"probe {p.name!r} at r={p.r_m * 1e3:g} mm, z={p.z_m * 1e3:g} mm is inside the "
                    f"superconductor {layer.material!r}: allowed (it reads Bz there), but no Hall "
                    "sensor can sit there",
                    ProbeInsideWarning,
                    stacklevel=3,
                )
        if not self.protocol or not isinstance(self.protocol[0], Set):
            raise ValidationError(
                'protocol: the first step must be step = "set" (initial field and temperature)'
            )
        if any(isinstance(s, Set) for s in self.protocol[1:]):
            raise ValidationError('protocol: step = "set" is allowed only as the first step')
        check_duration(self.protocol)
        check_fields(self.protocol)
        for i, t in enumerate(self.snapshots_s):
            if not 0 <= t <= self.duration_s * (1 + 1e-9):
                raise ValidationError(
                    f"output.snapshots[{i}] = {t:g} s is outside the protocol (0 to "
                    f"{self.duration_s:g} s): no state is computed there"
                )
        for i, st in enumerate(states(self.protocol)):
            for m in self.materials:
                if (
                    isinstance(m, Superconductor)
                    and m.tc_K
                    and st[1] >= m.tc_K
                    and m.normal_resistivity_ohm_m is None
                ):
                    raise ValidationError(
                        f"protocol[{i}]: temperature {st[1]:g} K reaches Tc = {m.tc_K:g} K "
                        f"of {m.name}; without materials.{m.name}.normal_resistivity the model "
                        "covers the superconducting state only"
                    )
        _check_temperature_jumps(self)
        _check_jc_floor(self)
        for why in (
            *map(_implausible_jc, self.materials),
            *map(_jc_rises_with_temperature, self.materials),
            _temperature_changes_nothing(self),
            _above_every_tc(self),
            _jc_held_through_temperatures(self),
            _empty_ramp(self),
            _heat_changes_nothing(self),
            _set_point_below_the_cooler(self),
            _heat_keys_unused(self),
            _temperature_probes_unheated(self),
            _table_ends_below_field(self),
            _table_starts_above_zero(self),
            _temperature_outside_tables(self),
            _heat_tables_start_above(self),
        ):
            if why:
                warnings.warn(why, CaseWarning, stacklevel=3)
        check_thermal(self)
        if not 0 < self.solver.rtol < 1:
            raise ValidationError(f"solver.rtol: must be between 0 and 1, got {self.solver.rtol}")
        smallest_m, smallest_what = self._smallest_dimension()
        check_mesh_fits(self.mesh, self.extent_m, smallest_m, smallest_what)
        parts = thin_parts(self.stack, self.mesh.size_m or self.start_size_m / 2)
        # the whole mesh's estimate, as the plan line says it
        check_element_limit(
            self.stack,
            self.mesh,
            self.start_size_m / 2,
            (smallest_m, smallest_what),
            parts,
            self.first_dimension(),
        )
        check_bounded(
            parts,
            self.mesh,
            self.solver,
            step_durations(self.protocol),
            self.start_size_m / 2,
            sum(len(s.knots_s) for s in self.protocol if isinstance(s, Pulse) and s.times_s),
            len(self.probes) + bool(self.bore),
            3 + len(self.probes) + bool(self.bore) + len(self.temperature_probes),
        )


def _check_temperature_jumps(case: Case) -> None:
    """Refuse (``ValidationError``) a cool step that, under the isothermal model, warms a
    superconductor without a normal-state channel so far at once that its currents, at Jc
    before, drive E past ``MAX_JUMP_E`` x E0 after: the run stopped at the smallest time step
    ("Newton did not converge"), where ramp_temperature lets Jc fall as the currents follow."""
    if case.thermal.coupled:
        return
    ends = states(case.protocol)
    for k, (step, (_, before)) in enumerate(zip(case.protocol[1:], ends, strict=False), 1):
        if not isinstance(step, Cool) or step.to_K <= before:
            continue
        for m in case.materials:
            if not isinstance(m, Superconductor) or m.normal_resistivity_ohm_m is not None:
                continue
            tables = m.jc.tables if isinstance(m.jc, TemperatureTablesJc) else (m.jc,)
            ends = [t.field_T[-1] for t in tables if isinstance(t, TableJc)]
            fields = np.linspace(0.0, max([largest_field(case.protocol), *ends]), 41)
            ratio = float(np.max(m.jc_at(fields, before) / m.jc_at(fields, step.to_K)))
            n = max(m.exponent(before), m.exponent(step.to_K))
            if n * math.log(ratio) > math.log(MAX_JUMP_E):
                raise ValidationError(
                    f"protocol[{k}]: cool to {step.to_K:g} K from {before:g} K sets the temperature "
                    f"at once under the isothermal model: Jc of {m.name} falls {ratio:.3g}x in no "
                    f"time, and its currents, at Jc before, would drive E = E0 x {ratio:.3g}^{n:g} "
                    f"= E0 x 1e{n * math.log10(ratio):.0f}, past the "
                    f"E0 x {MAX_JUMP_E:g} the solver can follow; warm with step = "
                    '"ramp_temperature" and a rate (the currents follow Jc as it falls), or give '
                    "a heat model ([thermal])"
                )


def _check_jc_floor(case: Case) -> None:
    """Refuse (``ValidationError``) a Kim or curve Jc(B) of a layer's superconductor that falls
    below ``JC_RANGE``'s least Jc at the largest field the protocol applies (tables and
    constants are checked when read): a Kim b0 of 1e-9 T put Jc at 0.04 A/m^2 at 7 T, and its
    run crawled into max_wall (8 ms of a 7 s ramp in 100 s)."""
    applied = largest_field(case.protocol)
    used = {x.material for x in case.superconducting}
    for m in case.materials:
        if m.name not in used or not isinstance(m.jc, KimJc | CurveJc):
            continue
        jc = float(np.min(m.jc.at(np.array([0.0, applied]))))
        if not jc >= JC_RANGE[0]:
            how = f" (jc0 / (1 + B / b0), b0 = {m.jc.b0_T:g} T)" if isinstance(m.jc, KimJc) else ""
            raise ValidationError(
                f"materials.{m.name}.jc{'.kim' if how else ''}: Jc falls to {jc:.3g} A/m^2 "
                f"({jc * 1e-4:.3g} A/cm^2) at the {applied:g} T the protocol applies{how}, below "
                f"the {JC_RANGE[0]:g} A/m^2 the power law is solved down to; a unit mistake?"
            )


def _implausible_jc(m: Material) -> str | None:
    """The warning for a superconductor whose largest Jc lies outside ``JC_PLAUSIBLE`` (below
    100 A/cm^2 or above 1e7 A/cm^2), or None: A/cm^2 and A/m^2 swapped put Jc 1e4 off, and the
    run told a trapped field 1e4 off without a word."""
    if not isinstance(m, Superconductor):
        return None
    peak, (lo, hi) = largest_jc(m.jc), JC_PLAUSIBLE
    if lo <= peak <= hi:
        return None
    side = (
        f"below {lo * 1e-4:g} A/cm^2, less than any bulk superconductor's"
        if peak < lo
        else f"above {hi * 1e-4:g} A/cm^2, more than any bulk's (the best reach ~1e6 A/cm^2 at 4 K)"
    )
    return (
        f"materials.{m.name}.jc: the largest Jc is {peak * 1e-4:.3g} A/cm^2 ({peak:.3g} A/m^2), "
        f"{side}: a unit mistake? (A/cm^2 and A/m^2 are 1e4 apart: check jc_unit or the "
        "value's unit)"
    )


def _jc_rises_with_temperature(m: Material) -> str | None:
    """The warning for ``jc.tables`` whose Jc rises from one table to the next warmer one at a
    field both measured (up to ``JC_RISE_REFUSED``, past which they are refused), or None:
    Jc falls with temperature, and a rising table is most often a column mix-up."""
    jc = getattr(m, "jc", None)
    rise = jc.largest_rise() if isinstance(jc, TemperatureTablesJc) else None
    if rise is None:
        return None
    return f"materials.{m.name}.{rise[1]}"


def _table_ends_below_field(case: Case) -> str | None:
    """The warning for a Jc(B) table that ends over 10 % below the largest field the protocol
    applies, or None: Jc is held at its last value beyond, a kink a long time step can cross unseen (the
    step's end agrees with the extrapolation of the steps before): field-cooled at 3 T with a
    table to 2 T, one 5 s step across it put the centre 0.032 T (4 % of its trapped field) off."""
    applied = largest_field(case.protocol)
    for m in case.materials:
        jc = getattr(m, "jc", None)
        tables = jc.tables if isinstance(jc, TemperatureTablesJc) else (jc,)
        kinked = [t for t in tables if isinstance(t, TableJc) and len(set(t.jc_A_m2[-2:])) == 2]
        ends = [t.field_T[-1] for t in kinked]  # a table that ends sloped (not one point)
        if ends and min(ends) < applied / 1.1:  # a measured loop's last penetrated point
            # lies a little below the field it was magnetized at (the demo's 6.85 T at 7 T)
            return (
                f"materials.{m.name}.jc: the table ends at {min(ends):g} T, below the "
                f"{applied:g} T the protocol applies; Jc is held at its last value beyond it, a "
                "kink in Jc(B) that long time steps can cross unseen (a few % off at the probes, "
                "and the accuracy estimate's time part says so); extend the table to the "
                "largest field (e.g. log-linearly), or give [solver] max_step"
            )
    return None


def _table_starts_above_zero(case: Case) -> str | None:
    """The warning for a superconductor's Jc(B) table whose first field is above 0 T and whose
    Jc changes from its first point to the next, or None: Jc is held at its first value from
    there down to 0 T, where a bulk's Jc is largest (and every field-cooled or trapped state
    passes through low fields), unsaid before (a table from 1 T trapped as one whose Jc(0) was
    Jc(1 T)). A table that starts flat, or has one point, holds what it says."""
    for m in case.materials:
        jc = getattr(m, "jc", None)
        several = isinstance(jc, TemperatureTablesJc)
        tables = jc.tables if several else (jc,)
        late = [  # sloped at its start (a flat one, or one point, holds what it says)
            (i, t)
            for i, t in enumerate(tables)
            if isinstance(t, TableJc) and t.field_T[0] > 0 and len(set(t.jc_A_m2[:2])) == 2
        ]
        if late:
            i, t = max(late, key=lambda it: it[1].field_T[0])
            where = f".tables[{i}] (at {jc.temperatures_K[i]:g} K)" if several else ""
            where += f" ({t.source})" if t.source else ""
            return (
                f"materials.{m.name}.jc{where}: the table starts at {t.field_T[0]:g} T, above "
                f"0 T; from 0 to {t.field_T[0]:g} T Jc is held at its first value, "
                f"{t.jc_A_m2[0] * 1e-4:.4g} A/cm^2 (a bulk's Jc is largest at low fields, which "
                "every trapped field passes through); extend the table down to 0 T"
            )
    return None


def _temperature_outside_tables(case: Case) -> str | None:
    """The warning for a protocol temperature below the first of a superconductor's Jc(B)
    tables at several temperatures (``jc.tables``), or outside its n(T) table, or None: there
    the nearest table is held (a case at 4.2 K with Jc tables at 5 and 20 K ran at 5 K's Jc,
    unsaid). Above the last Jc table Jc falls to zero at Tc, as documented."""
    temps = [t for _, t in states(case.protocol)]
    lo, hi = min(temps), max(temps)
    for m in case.materials:
        if not isinstance(m, Superconductor):
            continue
        if isinstance(m.jc, TemperatureTablesJc) and lo < (first := m.jc.temperatures_K[0]):
            # a table at 0 K is refused (temperatures > 0 K): "at 0 K or below" could not be done
            add = f"at {lo:g} K or below" if lo > 0 else "at the lowest temperature measured"
            return (
                f"materials.{m.name}.jc.tables: the protocol goes down to {lo:g} K, below the "
                f"first table's {first:g} K, where that table's Jc is held (Jc grows as the "
                f"temperature falls); add a table {add}"
            )
        n = m.n_table.temperature_K if m.n_table else None
        if n and (lo < n[0] or hi > n[-1]):
            return (
                f"materials.{m.name}.n: the protocol's temperatures {lo:g}..{hi:g} K leave the "
                f"n(T) table's {n[0]:g}..{n[-1]:g} K, beyond which its end value is held; "
                "extend the table"
            )
    return None


def _heat_tables_start_above(case: Case) -> str | None:
    """The warning for a heat capacity or conductivity table of a stack material (the ones the
    heat model uses) that starts above the protocol's lowest temperature, where its first value
    is held, or None: a table written in degC (278-283 K) under a 5 K run was held at its
    278 K value, said only after the run; one of a single row at 300 K, never (a constant is a
    row at 0 K). So for the cold head's heat capacity, which the head, held at or above its
    cooler's base temperature, meets from the larger of the two (a table in degC had been said
    of after the run only)."""
    used = {"adiabatic": ("heat_capacity",), "conduction": MATERIAL_KEYS}.get(case.thermal.model)
    if not used:
        return None
    lowest = min(t for _, t in states(case.protocol))
    head = case.thermal.cold_head
    if head is not None:
        low, t = max(lowest, head.base_K), head.heat_capacity
        if len(t.temperature_K) > 1 and low < t.temperature_K[0]:
            return (
                f"thermal.cold_head.heat_capacity: the cold head goes down to {low:g} K, below "
                f"the table's first {t.temperature_K[0]:g} K, where its {t.values[0]:.3g} J/K is "
                "held; check its temperature_unit (K, not degC) or extend it down"
            )
    stack = {layer.material for layer in case.stack}
    for m in case.materials:
        table = m.thermal and m.name in stack
        for key in used if table else ():
            t = getattr(m.thermal, key)
            if t is not None and lowest < t.temperature_K[0]:
                unit = "J/(m^3*K)" if key == "heat_capacity" else "W/(m*K)"
                return (
                    f"materials.{m.name}.{key}: the protocol goes down to {lowest:g} K, below the "
                    f"table's first {t.temperature_K[0]:g} K, where its {t.values[0]:.3g} {unit} "
                    "is held; check its temperature_unit (K, not degC) or extend it down"
                )
    return None


def _temperature_changes_nothing(case: Case) -> str | None:
    """The warning for a protocol that changes the temperature when nothing in the case
    depends on it (no superconductor's Jc or n, no heat model): the ramp ran and changed
    nothing (a ramp to 300 K kept 0.29 T trapped), or None."""
    sc = [m for m in case.materials if isinstance(m, Superconductor)]
    if case.thermal.coupled or any(m.feels_temperature for m in sc):
        return None
    start = case.protocol[0].temperature_K
    for i, step in enumerate(case.protocol[1:], start=1):
        if isinstance(step, RampTemperature | Cool) and step.to_K != start:
            names = ", ".join(m.name for m in sc) or "none"
            return (
                f"protocol[{i}]: the temperature goes to {step.to_K:g} K, but nothing in the case "
                f"depends on it (superconductors: {names}, none with jc.temperature, Jc tables "
                "at several temperatures or n(T)): the step changes nothing; give the Jc's "
                "temperature dependence"
            )
    return None


def _above_every_tc(case: Case) -> str | None:
    """The warning for a protocol temperature above ``MAX_TC_K`` in a case whose stack has a
    superconductor without a Tc (no jc.temperature or jc.tables), or None: its Jc is taken as
    given at any temperature, so "77 degC" for 77 K (350.15 K) ran as a superconductor at 350 K
    without a word (with a Tc, a temperature at or above it is refused)."""
    used = {x.material for x in case.superconducting}
    blind = [m.name for m in case.materials if m.name in used and not m.tc_K]
    if not blind:
        return None
    for i, step in enumerate(case.protocol):
        if isinstance(step, Set):
            key, value = "temperature", step.temperature_K
        elif isinstance(step, RampTemperature | Cool):
            key, value = "to", step.to_K
        else:
            continue
        if value > MAX_TC_K:
            return (
                f"protocol[{i}].{key}: {value:g} K is above the Tc of every known superconductor "
                "(the highest, at ambient pressure, ~138 K), yet "
                f"{', '.join(blind)} (Jc without a temperature dependence) runs superconducting "
                "there as given: a unit mistake? (77 degC is 350.15 K; liquid nitrogen is 77 K "
                'or "-196 degC")'
            )
    return None


def _jc_held_through_temperatures(case: Case) -> str | None:
    """The warning for superconductors whose Jc does not depend on temperature (no
    jc.temperature, no jc.tables) in a protocol that changes the temperature while another
    superconductor's Jc or n follows it, or None: their Jc was held at its given value unsaid
    (``_temperature_changes_nothing`` spoke only when nothing in the case felt the change)."""
    sc = [m for m in case.materials if isinstance(m, Superconductor)]
    blind = [m.name for m in sc if not m.tc_K]
    if case.thermal.coupled or len(blind) == len(sc) and not any(m.n_table for m in sc):
        return None  # every superconductor blind: _temperature_changes_nothing's case
    start = case.protocol[0].temperature_K
    for i, step in enumerate(case.protocol[1:], start=1):
        if blind and isinstance(step, RampTemperature | Cool) and step.to_K != start:
            keys = ", ".join(f"materials.{name}.jc" for name in blind)
            return (
                f"{keys}: no temperature dependence (jc.temperature or jc.tables), so Jc is held "
                f"at its given value while protocol[{i}] takes the temperature from {start:g} to "
                f"{step.to_K:g} K; give jc.temperature (at, tc) if it should follow"
            )
    return None


def _empty_ramp(case: Case) -> str | None:
    """The warning for a ramp_field or ramp_temperature step to the value it starts at, or None:
    it takes no time and changes nothing (a ramp_temperature from 5 K to 5 K ran unsaid, as if
    it were a hold)."""
    ends = states(case.protocol)
    for k, (step, (b, t)) in enumerate(zip(case.protocol[1:], ends, strict=False), start=1):
        start = b if isinstance(step, RampField) else t
        if isinstance(step, RampField | RampTemperature) and step_duration(step, (b, t)) == 0:
            unit = "T" if isinstance(step, RampField) else "K"
            return (
                f"protocol[{k}] ({step!r}): ramps to {start:g} {unit}, the value it starts at, so "
                'it takes no time and changes nothing; for a hold give step = "hold" and a '
                "duration, or check the step's 'to'"
            )
    return None


def _heat_changes_nothing(case: Case) -> str | None:
    """The warning for a heat model ([thermal], not isothermal) beside superconductors whose Jc
    and n do not depend on temperature: the stack heats and its currents never feel it (the
    paper pair with a 3 T pulse reached 140 K at its 5 K Jc, unsaid), or None."""
    if not case.thermal.coupled:
        return None
    blind = [
        m.name for m in case.materials if isinstance(m, Superconductor) and not m.feels_temperature
    ]
    if not blind:
        return None
    return (
        f"[thermal] model {case.thermal.model!r} heats the stack, but the Jc and n of "
        f"{', '.join(blind)} do not depend on temperature: the heat is computed and the currents "
        "never feel it; give jc.temperature (at, tc) or Jc tables at several temperatures"
    )


def _heat_keys_unused(case: Case) -> str | None:
    """The warning for heat capacities or conductivities given to the stack's materials under
    the isothermal model (the default without [thermal]), which uses neither, or for
    conductivities under the adiabatic model, which has no conduction; or None: magnet_heat.toml
    without its [thermal] table ran isothermal, unsaid; a conductivity under "adiabatic" was
    dropped, unsaid (each element kept its own heat)."""
    model = case.thermal.model
    if model == "conduction":
        return None
    unused = ("thermal_conductivity",) if model == "adiabatic" else MATERIAL_KEYS
    used = {layer.material for layer in case.stack}
    keys = [
        f"materials.{m.name}.{key}"
        for m in case.materials
        if m.name in used and m.thermal
        for key in unused
        if getattr(m.thermal, key)
    ]
    if not keys:
        return None
    if model == "adiabatic":
        return (
            f"{', '.join(keys)}: given, but thermal.model is 'adiabatic', which conducts no "
            'heat: each element keeps what it dissipates; give model = "conduction" (with '
            "[[thermal.cooling]] for cooled surfaces) to conduct it"
        )
    return (
        f"{', '.join(keys)}: given, but thermal.model is 'isothermal' (the default without a "
        "[thermal] table), which uses none of them: the conductors stay at the protocol "
        'temperature; give [thermal] model = "adiabatic" or "conduction" to heat them'
    )


def _temperature_probes_unheated(case: Case) -> str | None:
    """The warning for temperature probes (``quantity = "temperature"``) under the isothermal
    model, or None: they read the protocol's temperature, whatever heats the stack (a probe in a
    disk read 20.000 K through a ramp, unsaid)."""
    if case.thermal.coupled or not case.temperature_probes:
        return None
    probes = case.temperature_probes
    names = ", ".join(repr(p.name) for p in probes)
    return (
        f'probe{"s" * (len(probes) > 1)} {names}: quantity = "temperature", but thermal.model '
        "is 'isothermal' (the default without a [thermal] table): the conductors stay at the "
        "protocol's temperature, "
        'which is all they read; give [thermal] model = "adiabatic" or "conduction" to heat them'
    )


def _set_point_below_the_cooler(case: Case) -> str | None:
    """The warning for a protocol temperature (the cold head's set point) below the cooler's
    base temperature, where it has no power left, or None: the head never gets there and the
    heater never works (a base of "3 degC" left a 5 K set point to a head that warmed to 125 K
    under a 0.1 W load in 600 s, unsaid)."""
    head = case.thermal.cold_head
    if head is None:
        return None
    base, rest = head.base_K, head.rest_K
    lowest = min(t for _, t in states(case.protocol))
    if lowest >= rest:
        return None
    if lowest < base:
        return (
            f"thermal.cold_head.cooling_power: the protocol's set point goes down to {lowest:g} "
            f"K, below the cooler's base temperature {base:g} K (where its power is 0 W): the "
            "cold head cannot reach it and rests above it; check the temperature units (K, not "
            "degC)"
        )
    return (
        f"thermal.cold_head.heat_load: the protocol's set point goes down to {lowest:g} K, but "
        f"the cooler's power meets the heat_load {head.heat_load_W:g} W only at {rest:.4g} K: "
        "the cold head cannot reach the set point and rests there"
    )


def _mesh_options(d: Mapping[str, Any], size: tuple[float, str] | None) -> MeshOptions:
    """``[mesh]`` with its size replaced by ``size`` (m, what gave it), if given."""
    mesh = MeshOptions.from_dict(d)
    if size is None:
        return mesh
    size_m, key = size
    if not size_m > 0:  # 0 would mean "refine": say so
        raise ValidationError(f"{key}: must be > 0, got {size_m!r} m")
    return dataclasses.replace(mesh, size_m=size_m, size_key=key)


def _title(title: Any) -> str:
    """The case's ``title``: a text of at most ``MAX_TITLE`` characters, line breaks and tabs
    allowed but no other hidden characters (``inputs.hidden_characters``)."""
    if not isinstance(title, str):
        raise ValidationError(f"title: expected a text, got {title!r}")
    hidden = hidden_characters(title.replace("\n", "").replace("\t", ""))
    if len(title) > MAX_TITLE or hidden:
        raise ValidationError(
            f"title {title[:40]!r}: at most {MAX_TITLE} characters (got {len(title)}), without "
            f"control or invisible characters{f' (found {hidden})' if hidden else ''}"
        )
    return title


__all__ = [
    "Case",
    "CaseWarning",
    "Cool",
    "Hold",
    "Layer",
    "MeshOptions",
    "Probe",
    "ProbeInsideWarning",
    "Pulse",
    "RampField",
    "RampTemperature",
    "Set",
    "SolverOptions",
    "Step",
    "MU0",
    "states",
    "step_duration",
]
