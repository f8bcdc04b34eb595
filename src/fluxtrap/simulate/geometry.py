"""The geometry of a case: coaxial layers (``[[stack]]``), Hall probes (``[[probes]]``) and the
sphere of the bore (``[bore]``, analysed by ``bore``), in m."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from fluxtrap.errors import ValidationError
from fluxtrap.simulate.casefile import check_keys, quantity, si

LAYER_KEYS = ("material", "radius", "inner_radius", "thickness", "z")
PROBE_KEYS = ("name", "r", "z", "quantity")  # quantity: read by Case (Bz or temperature)
BORE_KEYS = ("dsv", "center_z")
# a probe's name becomes a column of probes.csv: nothing a spreadsheet would run as a formula
PROBE_NAME = re.compile(r"[^\W_][\w.-]{0,63}")
MAX_LAYERS = 1000  # the stack checks and the cuts compare layers pairwise (quadratic work)
# a layer's faces lie within this many stack extents of z = 0: the mesh and the geometry checks
# work in absolute metres (1e-12 m tolerances), so a stack at z = 1e9 m lost the precision its
# millimetres need (Triangle crashed at 1e300 m, and at 1e9 m Newton crawled into max_wall)
MAX_OFFSET_EXTENTS = 1000
# the [bore] sphere keeps this share of its radius clear of every layer: the Biot-Savart quadrature
# of a point next to a conductor's face is least accurate (a 8 mm sphere touching a ring's 4 mm
# bore read 310 720 ppm at a 0.5 mm mesh for 310 172, its estimate 338 ppm; 1 % clear, at most
# 16 ppm of quadrature error at a 1 mm mesh)
BORE_CLEARANCE = 0.01


@dataclass(frozen=True)
class Layer:
    """A coaxial disk or ring: ``material`` name, outer ``radius_m``, ``thickness_m``, bottom face
    at ``z_m``, ``inner_radius_m`` (0: a disk reaching the axis), all in m.

    A ring leaves a hole in the air region of the r-z plane; ``topology`` gives the solver a cut
    for it (the H-phi formulation needs a potential that may jump there). Layers may share a
    height when one lies in the other's bore (a disk inside a ring)."""

    material: str
    radius_m: float
    thickness_m: float
    z_m: float
    inner_radius_m: float = 0.0

    @property
    def top_m(self) -> float:
        return self.z_m + self.thickness_m

    def contains(self, r: Any, z: Any, strict: bool = True) -> Any:
        """Whether (``r``, ``z``) (m; numbers or arrays) lies inside the layer (``strict``) or
        inside or on its outline."""
        eps = 1e-12 if strict else -1e-12
        inside_bore = np.logical_and(self.is_ring, r <= self.inner_radius_m + eps)
        return (
            ~inside_bore & (r < self.radius_m - eps) & (self.z_m + eps < z) & (z < self.top_m - eps)
        )

    def distance_from_axis_m(self, z_m: float) -> float:
        """Distance (m) from the point on the axis at height ``z_m`` (m) to the layer."""
        return math.hypot(self.inner_radius_m, max(self.z_m - z_m, 0.0, z_m - self.top_m))

    @property
    def is_ring(self) -> bool:
        return self.inner_radius_m > 0

    @property
    def width_m(self) -> float:
        """Radial width of the wall (the radius for a disk), m."""
        return self.radius_m - self.inner_radius_m

    @property
    def area_m2(self) -> float:
        """Cross-section in the r-z half plane, m^2."""
        return self.width_m * self.thickness_m

    def to_dict(self) -> dict[str, Any]:
        d = {
            "material": self.material,
            "radius": si(self.radius_m, "m"),
            "thickness": si(self.thickness_m, "m"),
            "z": si(self.z_m, "m"),
        }
        if self.is_ring:
            d["inner_radius"] = si(self.inner_radius_m, "m")
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str, z_default_m: float = 0.0) -> Layer:
        """A layer from a ``[[stack]]`` table; without ``z`` it sits at ``z_default_m``."""
        check_keys(d, LAYER_KEYS, where)
        if "material" not in d:
            raise ValidationError(f"{where}.material: missing (expected a material name)")
        radius = quantity(d, "radius", "length", where)
        thickness = quantity(d, "thickness", "length", where)
        inner = quantity(d, "inner_radius", "length", where, default="0 m")
        z = quantity(d, "z", "length", where) if "z" in d else z_default_m
        for key, v in (("radius", radius), ("thickness", thickness)):
            if v <= 0:
                raise ValidationError(f"{where}.{key}: must be > 0, got {d[key]!r}")
        if inner < 0:
            raise ValidationError(
                f"{where}.inner_radius: must be >= 0 (0 is a disk), got {d['inner_radius']!r}"
            )
        if inner >= radius * (1 - 1e-9):
            raise ValidationError(
                f"{where}.inner_radius: {d['inner_radius']!r} must be smaller than the outer "
                f"radius {d['radius']!r} (a ring needs a wall)"
            )
        return cls(str(d["material"]), radius, thickness, z, inner)


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
        probe = cls(
            str(d.get("name", default_name)),
            quantity(d, "r", "length", where),
            quantity(d, "z", "length", where),
        )
        probe.check(where)  # here, where the table's index is known (a case splits Bz and
        return probe  # temperature probes into two lists, so its own index would be off)

    def check(self, where: str) -> None:
        """Refuses a name that is no safe probes.csv column and a negative ``r``; ``where`` is
        the table's key (``probes[2]``)."""
        if not PROBE_NAME.fullmatch(self.name):
            raise ValidationError(
                f"{where}.name {self.name[:40]!r}: use up to 64 letters, digits, _ . or -, "
                "starting with a letter or digit"
            )
        if self.r_m < 0:
            raise ValidationError(f"{where}.r: must be >= 0, got {self.r_m} m")


@dataclass(frozen=True)
class Bore:
    """The ``[bore]`` table: a sphere of diameter ``dsv_m`` centred on the axis at
    ``center_z_m`` (m), where homogeneity and harmonics are reported."""

    dsv_m: float
    center_z_m: float

    @property
    def radius_m(self) -> float:
        return 0.5 * self.dsv_m

    def to_dict(self) -> dict[str, Any]:
        return {"dsv": si(self.dsv_m, "m"), "center_z": si(self.center_z_m, "m")}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], stack: tuple[Layer, ...]) -> Bore:
        """The table ``d`` for ``stack``; ``center_z`` defaults to the stack's mid height. The
        sphere must lie in air (the expansion holds only where there is no current)."""
        check_keys(d, BORE_KEYS, "bore")
        dsv = quantity(d, "dsv", "length", "bore")
        if dsv <= 0:
            raise ValidationError(f"bore.dsv: must be > 0, got {d['dsv']!r}")
        if not stack:
            raise ValidationError("stack: no layers; add at least one [[stack]] table")
        top = max(x.top_m for x in stack)
        middle = 0.5 * (min(x.z_m for x in stack) + top)
        zc = quantity(d, "center_z", "length", "bore") if "center_z" in d else middle
        bore = cls(dsv, zc)
        # a disk's mid height is no place for a sphere: say where it came from
        default = "" if "center_z" in d else " (center_z: the stack's mid height, by default)"
        # the nearest layer decides (the first one that came within reach, in a graded bore a
        # wider ring below a narrower one, was named with a largest dsv that the narrower refused)
        distances = [x.distance_from_axis_m(zc) for x in stack]
        i = int(np.argmin(distances))
        x, distance = stack[i], distances[i]
        if distance >= bore.radius_m * (1 + BORE_CLEARANCE):
            return bore
        where = (
            f"stack[{i}] ({x.material}, r {x.inner_radius_m * 1e3:g}..{x.radius_m * 1e3:g} "
            f"mm, z {x.z_m * 1e3:g}..{x.top_m * 1e3:g} mm)"
        )
        sphere = f"bore: the sphere of dsv {dsv * 1e3:g} mm at z = {zc * 1e3:g} mm{default}"
        largest = _down(2e3 * distance / (1 + BORE_CLEARANCE))  # mm, shown as allowed
        at_most = f" (dsv at most {largest:.4g} mm here)" if largest > 0 else ""
        if distance >= bore.radius_m * (1 - 1e-9):
            raise ValidationError(
                f"{sphere} "
                + (
                    f"touches {where}"
                    if distance <= bore.radius_m * (1 + 1e-9)
                    else f"comes within {(distance - bore.radius_m) * 1e3:.3g} mm of {where}"
                )
                + f": keep {BORE_CLEARANCE:.0%} of its radius clear of the conductor, "
                "where the field changes fastest and is computed least accurately" + at_most
            )
        raise ValidationError(
            f"{sphere} reaches into {where}; it must lie in air, inside the rings' bore or "
            "above or below the stack"
            + (
                f": give bore.center_z, e.g. {(top + dsv) * 1e3:g} mm (above the stack)"
                if default and not x.is_ring
                else at_most
            )
        )


def _down(x: float) -> float:
    """``x`` (> 0) rounded down to 4 significant digits (0 stays 0): a limit shown rounded up
    (10.097 mm as 10.1) was refused when given back."""
    if x <= 0:
        return 0.0
    step = 10.0 ** (math.floor(math.log10(x)) - 3)
    return math.floor(x / step * (1 + 1e-12)) * step


def stack_from_list(items: list[Mapping[str, Any]]) -> tuple[Layer, ...]:
    """Layers from ``[[stack]]`` tables, bottom to top; a layer without ``z`` sits on the last.
    At most ``MAX_LAYERS``."""
    if len(items) > MAX_LAYERS:
        raise ValidationError(
            f"stack: {len(items)} layers; at most {MAX_LAYERS} (layers are compared pairwise)"
        )
    stack: list[Layer] = []
    z_next = 0.0
    for i, d in enumerate(items):
        layer = Layer.from_dict(d, f"stack[{i}]", z_next)
        stack.append(layer)
        z_next = layer.top_m
    return tuple(stack)


def check_offset(
    stack: tuple[Layer, ...],
    extent_m: float,
    probes: tuple[Probe, ...] = (),
    bore: Bore | None = None,
) -> None:
    """Refuses a layer whose bottom or top face lies more than ``MAX_OFFSET_EXTENTS`` times the
    stack's extent ``extent_m`` (m) from z = 0, and a probe or the bore's sphere further than
    that from the origin (their Biot-Savart sums overflowed into NaN there)."""
    limit = MAX_OFFSET_EXTENTS * extent_m
    for i, x in enumerate(stack):
        far = max(abs(x.z_m), abs(x.top_m))
        if not far <= limit:
            raise ValidationError(
                f"stack[{i}].z: the layer spans z = {x.z_m:.4g}..{x.top_m:.4g} m, more than "
                f"{MAX_OFFSET_EXTENTS} times the stack's extent ({extent_m * 1e3:.4g} mm, so "
                f"|z| <= {limit:.4g} m) from z = 0: coordinates that far out lose the precision "
                "its mesh needs; place the stack near z = 0 and move the probes and the bore with it"
            )
    points = [
        (f"probes[{i}] ({p.name})", max(abs(p.r_m), abs(p.z_m))) for i, p in enumerate(probes)
    ]
    if bore is not None:
        points.append(("bore.center_z", abs(bore.center_z_m) + bore.radius_m))
    for what, far in points:
        if not far <= limit:
            raise ValidationError(
                f"{what}: {far:.4g} m from the origin, more than {MAX_OFFSET_EXTENTS} times the "
                f"stack's extent ({extent_m * 1e3:.4g} mm, so at most {limit:.4g} m): the stack's "
                "own field falls as 1/d^3 to 1e-9 of its value by then, and the sums that give "
                "it overflowed further out"
            )


def thin_parts(stack: tuple[Layer, ...], size_m: float) -> list[tuple[str, float, float]]:
    """What the mesh at edge ``size_m`` (m) has to resolve, as (what, width, thickness) in m:
    every layer ("stack[1]"), and the air narrower than ``size_m`` between two layers facing
    each other in z or in r (over the length they face), unless a layer fills it, and in a
    ring's bore. Pairwise, as arrays: 1000 layers take ~0.1 s."""
    parts = [(f"stack[{i}]", x.width_m, x.thickness_m) for i, x in enumerate(stack)]
    parts += [
        (f"the bore of stack[{i}]", x.inner_radius_m, x.thickness_m)
        for i, x in enumerate(stack)
        if 0 < x.inner_radius_m < size_m
    ]
    r0, r1, z0, z1 = (
        np.array([getattr(x, k) for x in stack])
        for k in ("inner_radius_m", "radius_m", "z_m", "top_m")
    )
    face_r = np.minimum.outer(r1, r1) - np.maximum.outer(r0, r0)
    face_z = np.minimum.outer(z1, z1) - np.maximum.outer(z0, z0)
    gap_z = np.maximum(np.subtract.outer(z0, z1), np.subtract.outer(z0, z1).T)
    gap_r = np.maximum(np.subtract.outer(r0, r1), np.subtract.outer(r0, r1).T)
    # the middle of the gap (between the faces in one direction, of the facing span in the
    # other): a layer there fills it, and counts itself
    r_mid = 0.5 * (np.maximum.outer(r0, r0) + np.minimum.outer(r1, r1))
    z_mid = 0.5 * (np.maximum.outer(z0, z0) + np.minimum.outer(z1, z1))
    lower = np.tri(len(stack), k=-1, dtype=bool)  # each pair (i, j < i) once
    for gap, face in ((gap_z, face_r), (gap_r, face_z)):
        i, j = np.nonzero(lower & (gap > 0) & (gap < np.minimum(size_m, face)))
        filled = np.any([c.contains(r_mid[i, j], z_mid[i, j]) for c in stack], axis=0)
        parts += [
            (f"the air gap between stack[{b}] and stack[{a}]", float(face[a, b]), float(gap[a, b]))
            for a, b in zip(i[~filled], j[~filled], strict=True)
        ]
    return parts
