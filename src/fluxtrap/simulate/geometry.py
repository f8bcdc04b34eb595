"""The geometry of a case: coaxial layers (``[[stack]]``) and Hall probes (``[[probes]]``), in m."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fluxtrap.errors import ValidationError
from fluxtrap.simulate.casefile import check_keys, quantity, si

LAYER_KEYS = ("material", "radius", "thickness", "z")
PROBE_KEYS = ("name", "r", "z", "quantity")  # quantity: read by Case (Bz or temperature)
NOT_YET = {"inner_radius": "rings are not supported yet (every layer is a disk reaching the axis)"}


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
        return {
            "material": self.material,
            "radius": si(self.radius_m, "m"),
            "thickness": si(self.thickness_m, "m"),
            "z": si(self.z_m, "m"),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str, z_default_m: float = 0.0) -> Layer:
        """A layer from a ``[[stack]]`` table; without ``z`` it sits at ``z_default_m``."""
        check_keys(d, LAYER_KEYS, where, refused=NOT_YET)
        if "material" not in d:
            raise ValidationError(f"{where}.material: missing (expected a material name)")
        radius = quantity(d, "radius", "length", where)
        thickness = quantity(d, "thickness", "length", where)
        z = quantity(d, "z", "length", where) if "z" in d else z_default_m
        for key, v in (("radius", radius), ("thickness", thickness)):
            if v <= 0:
                raise ValidationError(f"{where}.{key}: must be > 0, got {d[key]!r}")
        return cls(str(d["material"]), radius, thickness, z)


@dataclass(frozen=True)
class Probe:
    """A Hall probe measuring Bz at (``r_m``, ``z_m``), m."""

    name: str
    r_m: float
    z_m: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "r": si(self.r_m, "m"), "z": si(self.z_m, "m")}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str, default_name: str) -> Probe:
        check_keys(d, PROBE_KEYS, where)
        return cls(
            str(d.get("name", default_name)),
            quantity(d, "r", "length", where),
            quantity(d, "z", "length", where),
        )


def stack_from_list(items: list[Mapping[str, Any]]) -> tuple[Layer, ...]:
    """Layers from ``[[stack]]`` tables, bottom to top; a layer without ``z`` sits on the last."""
    stack: list[Layer] = []
    z_next = 0.0
    for i, d in enumerate(items):
        layer = Layer.from_dict(d, f"stack[{i}]", z_next)
        stack.append(layer)
        z_next = layer.top_m
    return tuple(stack)


def conductor_area_m2(stack: tuple[Layer, ...]) -> float:
    """Area of the layers in the r-z half plane (m^2): what the fine mesh has to cover."""
    return sum(x.radius_m * x.thickness_m for x in stack)
