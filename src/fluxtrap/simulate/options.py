"""Numerical and output options of a case (``[mesh]``, ``[solver]``, ``[output]``) and the size
limits that keep a run bounded in time and memory.

A case is refused before it starts when an estimate of its work passes a limit: the elements
of the conductors (each layer's r-z area over the area of an equilateral triangle of the mesh
size, or of its thickness or width where the layer or an air gap is thinner, with the elements
graded around it; the real mesh has about 1.6 times more, plus the air) against ``[mesh]
max_elements``, the time steps that ``max_step`` forces (protocol duration / max_step) against
``MAX_TIME_STEPS``, or elements x forced steps x the least solving time per element and step
against ``[solver] max_wall``. So is a mesh size or an outer boundary out of proportion to the
stack (``check_mesh_fits``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fluxtrap.errors import UnitError, ValidationError
from fluxtrap.inputs import is_number
from fluxtrap.simulate.casefile import check_keys, number, quantity, si
from fluxtrap.simulate.geometry import Layer, thin_parts
from fluxtrap.simulate.protocol import MIN_STEP_S

MAX_ELEMENTS = 1_000_000  # the largest [mesh] max_elements a case may ask for
MAX_TIME_STEPS = 200_000  # time steps a max_step may force
RTOL_RANGE = (1e-8, 0.1)  # the solver.rtol a case may give (the default is 1e-3)
MAX_WALL_S = 7 * 86400.0  # solver.max_wall: the longest a run may be allowed to take, s
MAX_SNAPSHOTS = 100  # output.snapshots (each keeps J and B of the whole mesh)
# Values a run keeps per accepted time step: a probes.csv row (time, applied field, temperature,
# each probe) and a heat run's heat.csv row. Past this many in one run it stops, its rows so far
# kept (about 43 bytes a value while running: 0.4 GB; the CSV files about half); a case whose
# forced steps alone pass it is refused before it runs. Before, only max_wall (up to 7 d)
# bounded them: 200 000 forced steps x 1000 probes held 2e8 values, about 9 GB
MAX_OUTPUT_VALUES = 10_000_000
# times J is kept at for the mesh design, spread over the protocol, besides its step ends
SAMPLES = 24
# Each run of a pair holds a probe matrix (probes and the bore centre x conductor elements) and
# the conductors' J at the sample times, 8 bytes an entry; a pair's coarse and time-error runs
# (a quarter of the elements each) and the pair before add half of that again. Past this many
# bytes the case is refused before it runs (1000 probes on 26 000 elements: 0.3 GB).
MAX_MATRIX_BYTES = 2 * 2**30
# Each snapshot a run keeps (each protocol step's end and each [output] snapshot) holds B (B_r,
# B_z) of every mesh element, 16 bytes, besides the conductors' J; the pair's coarse run a
# quarter again. Counted in MAX_MATRIX_BYTES too: 200 holds at 0.5 mm kept 6.5 MB of
# snapshots where the J samples counted took 1.0 MB.
SNAPSHOT_BYTES = 16 * 1.25
# Solving time per conductor element and time step, a lower bound: a Newton iteration costs
# 1.5-2.5 us per conductor element and a step takes 5-7 (bench/bench_simulate.py), so a case
# whose elements x forced steps x this exceeds max_wall cannot finish.
SECONDS_PER_ELEMENT_STEP = 5e-7
# A layer thinner than the mesh size gets elements no larger than its thickness, and the quality
# mesh grades from them back to the mesh size in the layers and air around it: about 5 times the
# layer's own extra elements (a 1 um spacer in the bulk pair at 0.5 mm, 35 000 by its area: the
# mesh had 163 000, 23 000 in the spacer and 137 000 in the bulks beside it).
THIN_GRADING = 5.0
# mesh.size over the smallest superconductor dimension: beyond 2x the layer's outline (or the
# quality bound) sets its mesh whatever the size (a 15 x 6 mm disk at 12 or 24 mm: 4 triangles;
# a 1 mm tube wall at 4 or 20 mm: 244 and 242), while 2 mm on that wall is converged to 0.01 mT
# (tests/physics/test_simulate_rings.py)
SIZE_PER_DIMENSION = 2.0
OUTER_FACTORS = (3.0, 1000.0)  # mesh.outer over the stack's extent: nearer, the far field is cut;
# farther, the graded air adds elements and round-off for nothing
# the mesh's near field (``mesh.build_mesh`` meshes it so, ``mesh_elements`` counts it)
NEAR_BAND = 0.1  # width of the air band meshed like the conductors / the stack extent
# Air boxes are at most this many of their elements deep; where the band or the near-field box
# would be deeper (a stack over ~100 elements wide or tall: a thin wide disk), boxes of doubling
# element size fill the same distance. A disk r 20 x 0.4 mm at 0.1 mm had 65 229 elements, 90 %
# of them air, and took 149 s CPU at 1 %; now 27 145 and 38 s, its probe moved by 2e-5 of its
# value. At 4 a cylinder r 2 x 24 mm at 0.5 mm moved 0.7 % (within its 3 % estimate).
BOX_DEPTH = 8.0
MESH_KEYS = ("size", "outer", "max_elements")
SOLVER_KEYS = ("rtol", "max_step", "accuracy", "max_wall")
OUTPUT_KEYS = ("snapshots",)


@dataclass(frozen=True)
class MeshOptions:
    """``size_m``: element edge in the conductors (m; 0, the default, = refined until
    ``[solver] accuracy`` is met); ``outer_m``: distance of the outer boundary from the stack
    centre (m; 0 = ten times the stack's extent); ``max_elements``: size limit of any mesh
    (1000..``MAX_ELEMENTS``); ``size_key``: what gave the size, for errors ("--mesh-size" when
    the command line replaced the case file's)."""

    size_m: float = 0.0
    outer_m: float = 0.0
    max_elements: int = 100_000
    size_key: str = field(default="mesh.size", compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"max_elements": self.max_elements}
        if self.size_m:
            d["size"] = si(self.size_m, "m")
        if self.outer_m:
            d["outer"] = si(self.outer_m, "m")
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MeshOptions:
        check_keys(d, MESH_KEYS, "mesh")
        size = quantity(d, "size", "length", "mesh", default="0 m")
        if "size" in d and size <= 0:
            raise ValidationError(
                f"mesh.size: must be > 0 (or absent: refined for the accuracy), got {d['size']!r}"
            )
        limit = number(d, "max_elements", "mesh", 100_000)
        if not (1000 <= limit <= MAX_ELEMENTS and limit == int(limit)):
            raise ValidationError(
                f"mesh.max_elements: must be a whole number from 1000 to {MAX_ELEMENTS}, got {limit:g}"
            )
        return cls(size, quantity(d, "outer", "length", "mesh", default="0 m"), int(limit))


@dataclass(frozen=True)
class SolverOptions:
    """``rtol``: local time-error tolerance per step (RMS change of H in the conductors that a
    linear extrapolation misses, relative to mean Jc x stack radius); ``max_step_s``: cap on the
    time step (s, 0 = none); ``accuracy``: target discretization error of the probes, as a
    fraction of each probe's peak self-field (``"1 %"``); ``max_wall_s``: the run stops with a
    ``SolverError`` after this wall time (s). Air needs no resistivity (H-phi formulation)."""

    rtol: float = 1e-3
    max_step_s: float = 0.0
    accuracy: float = 0.01
    max_wall_s: float = 7200.0

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "rtol": self.rtol,
            "accuracy": f"{self.accuracy * 100!r} %",
            "max_wall": si(self.max_wall_s, "s"),
        }
        if self.max_step_s:
            d["max_step"] = si(self.max_step_s, "s")
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SolverOptions:
        check_keys(d, SOLVER_KEYS, "solver")
        bare = d.get("accuracy")
        if isinstance(bare, int | float) or (isinstance(bare, str) and is_number(bare)):
            raise UnitError(
                f'solver.accuracy: got {bare!r} without a unit; write a percentage, e.g. "1 %" '
                '(the default; a fraction 0.01 is "1 %")'
            )
        opts = cls(
            number(d, "rtol", "solver", 1e-3),
            quantity(d, "max_step", "time", "solver", default="0 s"),
            quantity(d, "accuracy", "dimensionless", "solver", default="1 %"),
            quantity(d, "max_wall", "time", "solver", default="2 h"),
        )
        if "max_step" in d and opts.max_step_s < MIN_STEP_S:
            raise ValidationError(
                f"solver.max_step: must be at least {MIN_STEP_S:g} s (1 ns; absent: no cap), "
                f"got {d['max_step']!r}"
            )
        low, high = RTOL_RANGE
        if not low <= opts.rtol <= high:
            raise ValidationError(
                f"solver.rtol: must be from {low:g} to {high:g}, got {opts.rtol:g} (default 1e-3)"
            )
        if not 1e-5 <= opts.accuracy < 1:
            raise ValidationError(
                f"solver.accuracy: must be at least 0.001 % and below 100 %, got {d.get('accuracy')!r}"
            )
        if not 0 < opts.max_wall_s <= MAX_WALL_S:
            raise ValidationError(
                f"solver.max_wall: must be a time > 0 and at most 7 d, got {d.get('max_wall')!r}"
            )
        return opts


def snapshots_from_dict(d: Mapping[str, Any]) -> tuple[float, ...]:
    """``[output] snapshots``: times (s) at which J and B are kept, in the order given."""
    check_keys(d, OUTPUT_KEYS, "output")
    snaps = d.get("snapshots", [])
    if not isinstance(snaps, list):
        raise ValidationError('output.snapshots: expected a list of times, e.g. ["5250 s"]')
    if len(snaps) > MAX_SNAPSHOTS:
        raise ValidationError(
            f"output.snapshots: {len(snaps)} times; at most {MAX_SNAPSHOTS} (each keeps the fields "
            "of the whole mesh)"
        )
    return tuple(
        quantity({f"snapshots[{i}]": t}, f"snapshots[{i}]", "time", "output")
        for i, t in enumerate(snaps)
    )


def check_mesh_fits(mesh: MeshOptions, extent_m: float, smallest_m: float, what: str) -> None:
    """Refuse (``ValidationError``) a ``mesh.size`` over ``SIZE_PER_DIMENSION`` times
    ``smallest_m`` (m), the smallest dimension of the layers it has to resolve (``what`` names
    it: "stack[0] thickness"), and a ``mesh.outer`` outside ``OUTER_FACTORS`` times the stack's
    extent ``extent_m`` (m)."""
    largest = SIZE_PER_DIMENSION * smallest_m
    if mesh.size_m > largest * (1 + 1e-9):
        raise ValidationError(
            f"{mesh.size_key}: {mesh.size_m * 1e3:.4g} mm is more than {SIZE_PER_DIMENSION:g} times the "
            f"smallest dimension it has to resolve, the {what} of {smallest_m * 1e3:.4g} mm (the "
            f"layer's outline would set its mesh, not the size); give at most "
            f"{largest * 1e3:.4g} mm, or leave mesh.size out to have it refined for solver.accuracy"
        )
    low, high = OUTER_FACTORS
    if mesh.outer_m and not low * extent_m <= mesh.outer_m <= high * extent_m:
        raise ValidationError(
            f"mesh.outer: {mesh.outer_m * 1e3:.4g} mm is {mesh.outer_m / extent_m:.3g} times the "
            f"stack's extent (max(radius, height) = {extent_m * 1e3:.4g} mm); give {low:g} to "
            f"{high:g} times it ({low * extent_m * 1e3:.4g} to {high * extent_m * 1e3:.4g} mm), or "
            "leave it out (10 times)"
        )


def estimated_elements(area_m2: float, size_m: float) -> float:
    """Lower bound on the elements covering ``area_m2`` with edges ``size_m``: area / (sqrt3/4
    h^2) (a quality mesh has 1.6-2x). The one element estimate: the case check below and the
    mesh's (``mesh_elements``: conductors and near-field air) both use it."""
    return area_m2 / (math.sqrt(3) / 4 * size_m * size_m)  # inf past 1e154 m, no OverflowError


def layer_elements(width_m: float, thickness_m: float, size_m: float) -> float:
    """Estimated elements of a layer ``width_m`` x ``thickness_m`` (m) meshed at edge ``size_m``
    (m): its area over elements of edge min(size, thickness, width), plus ``THIN_GRADING`` times
    the extra ones a thinner layer forces, graded around it."""
    area = width_m * thickness_m
    own = estimated_elements(area, min(size_m, thickness_m, width_m))
    return own + THIN_GRADING * (own - estimated_elements(area, size_m))


def stack_bounds(stack: Sequence[Layer]) -> tuple[float, float, float, float]:
    """(stack radius, z bottom, z top, extent = max(radius, height)) in m."""
    r_st = max(x.radius_m for x in stack)
    z0, z1 = min(x.z_m for x in stack), max(x.top_m for x in stack)
    return r_st, z0, z1, max(r_st, z1 - z0)


def near_boxes(
    stack: Sequence[Layer], h: float
) -> list[tuple[tuple[float, float, float, float], float]]:
    """Air boxes (r0, z0, r1, z1) around the stack with their element edge (m), innermost
    first: a band NEAR_BAND times the stack extent wide (at least 1.5 elements) meshed at the
    conductors' size ``h`` (m), then a quarter of the extent more at twice that size; each box at
    most BOX_DEPTH elements deep, the rest of the distance in boxes of doubling size."""
    r_st, z0, z1, extent = stack_bounds(stack)
    band = max(NEAR_BAND * extent, 1.5 * h)  # no thinner than the elements: see ``build_mesh``
    boxes, d, size = [], 0.0, h
    for end, least in ((band, h), (band + 0.25 * extent, 2 * h)):
        size = max(size, least)
        while d < end * (1 - 1e-9):
            d = end if end - d <= 1.5 * BOX_DEPTH * size * (1 + 1e-9) else d + BOX_DEPTH * size
            boxes.append(((0.0, z0 - d, r_st + d, z1 + d), size))
            size *= 2
    return boxes


def mesh_elements(
    stack: Sequence[Layer], h: float, parts: Sequence[tuple[str, float, float]] | None = None
) -> float:
    """Upper estimate of the elements of the mesh of ``stack`` at edge ``h`` (m): the layers'
    and the narrow air gaps' (``parts``, ``geometry.thin_parts`` at ``h`` unless given;
    ``layer_elements``: thin ones at their thickness, graded around) and the near-field boxes'
    air (its area over the element area at ``h``), twice, as a quality mesh has (before
    meshing, so a size that would take unbounded memory is refused without trying)."""
    inside, air = sum(x.area_m2 for x in stack), 0.0
    for (a, b, c, d), size in near_boxes(stack, h):
        air += estimated_elements((c - a) * (d - b) - inside, size)
        inside = (c - a) * (d - b)
    if parts is None:
        parts = thin_parts(tuple(stack), h)
    conductors = sum(layer_elements(w, t, h) for _, w, t in parts)
    total = 2 * (air + conductors)  # not finite for a stack past 1e154 m: no mesh
    return int(total) + 500 if math.isfinite(total) else math.inf


def check_element_limit(
    stack: Sequence[Layer],
    mesh: MeshOptions,
    first_size_m: float,
    smallest: tuple[float, str],
    parts: Sequence[tuple[str, float, float]] | None = None,
    first: tuple[float, str] | None = None,
) -> None:
    """Refuse (``ValidationError``, with the estimate and what to change) a first mesh of
    ``stack`` (at ``mesh.size``, else ``first_size_m``, m, the accuracy-driven run's first fine
    mesh) estimated by ``mesh_elements`` past ``mesh.max_elements``. The one refusal of
    too-large meshes, made by the case's check, so the plan line (``simulation.plan_text``)
    states the same count (the check had counted the conductors alone, 69,284 elements of
    0.06 mm, and passed a case the plan then refused at 185,273). ``smallest``: the smallest
    dimension (m) to resolve and what it is ("stack[0] thickness"); ``parts``:
    ``geometry.thin_parts`` at that size, if already computed; ``first``: the dimension and what
    the first mesh is a quarter of, where not ``smallest`` (``Case.first_dimension``: a ring's
    bore with a ``[bore]``), and the size advised is half of it."""
    fixed = mesh.size_m > 0
    h = mesh.size_m if fixed else first_size_m
    limit = mesh.max_elements
    parts = thin_parts(tuple(stack), h) if parts is None else parts
    estimate = mesh_elements(stack, h, parts)
    if estimate <= limit:
        return
    dim, what = smallest
    at_dim, at_what = first or smallest
    key = mesh.size_key
    # without a size the user gave none: say where this one comes from
    at = (
        f"{key}: {h * 1e3:.3g} mm"
        if fixed
        else f"mesh: the first mesh ({h * 1e3:.3g} mm, a quarter of the {at_what} of "
        f"{at_dim * 1e3:.3g} mm: no mesh.size, refined for solver.accuracy)"
    )
    # a part thinner than any mesh size sets the count whatever the size: name it (a 1 um
    # gap between two disks was refused as if their 5 mm width were the cause)
    counts = [2 * layer_elements(w, t, h) for _, w, t in parts]
    k = int(np.argmax(counts))
    name, width, thick = parts[k]
    coarsest = SIZE_PER_DIMENSION * dim  # the largest mesh size a case may give
    if min(width, thick) < h and counts[k] > estimate / 4:
        meant = {
            "the air gap": " (were the layers meant to touch? give them one z or radius)",
            "the bore": " (a bore this narrow: leave inner_radius out for a disk)",
        }
        advice = (
            f"{_count(counts[k])} of them for {name}, {min(width, thick) * 1e3:.3g} mm "
            "across: its elements can be no larger, whatever the mesh size; widen it"
            f"{next((v for key, v in meant.items() if name.startswith(key)), '')}, or "
            f"raise the limit (at most {MAX_ELEMENTS})"
        )
    elif (fewest := mesh_elements(stack, coarsest)) > limit:
        advice = (  # a coarser size would not do (a 1 um film at 2 um: 485 733; a 10 um disk
            # without a size was told to give one, which the case then refused at 143 464)
            f"no mesh size fits: at the coarsest a case may give, {coarsest * 1e3:.3g} "
            f"mm ({SIZE_PER_DIMENSION:g}x the {what} of {dim * 1e3:.3g} mm), about "
            f"{_count(fewest)}; raise the limit (at most {MAX_ELEMENTS})"
        )
    elif fixed:
        advice = f"give a coarser {key} or raise the limit"
    elif (most := mesh_elements(stack, at_dim / 2)) <= limit:
        # a pair's estimate measures the error across the layer up to half of it (its coarse
        # run one element across: ``simulation.unmeasured_layers``); 2x it was advised, where a
        # 0.2 mm disk's estimate was 170x under its error
        advice = (
            f"raise the limit, or give a mesh.size up to {at_dim / 2 * 1e3:.3g} mm (about "
            f"{_count(most)} elements there; a fixed pair, not refined)"
        )
    else:
        advice = (
            f"raise the limit, or give a mesh.size up to {coarsest * 1e3:.3g} mm (about "
            f"{_count(fewest)} elements there; a fixed pair, not refined, whose estimate leaves "
            f"out the error across the {at_what} above {at_dim / 2 * 1e3:.3g} mm)"
        )
    raise ValidationError(
        f"{at} needs about {_count(estimate)} elements (conductors and near air, as the plan "
        f"line counts them); the limit is mesh.max_elements = {limit}: {advice}"
    )


def _count(n: float) -> str:
    """An element count for people: 185,273; 7.98e+15 past a billion."""
    return f"{n:,.0f}" if n < 1e9 else f"{n:.3g}"


def forced_steps(step_durations_s: Sequence[float], max_step_s: float | None) -> float:
    """The fewest time steps a protocol of ``step_durations_s`` (s) takes: each protocol step at
    least one, however short, and its duration over the step cap ``max_step_s`` (s) if any."""
    return sum(max(1.0, d / max_step_s) if max_step_s else 1.0 for d in step_durations_s)


def check_bounded(
    parts: Sequence[tuple[str, float, float]],
    mesh: MeshOptions,
    solver: SolverOptions,
    step_durations_s: Sequence[float],
    first_size_m: float,
    knots: int = 0,
    rows: int = 0,
    columns: int = 0,
) -> None:
    """Refuse (``ValidationError``, with the estimate) a case whose work has no bound: a step cap
    forcing more than ``MAX_TIME_STEPS``, or a lower bound of the solving time (conductor
    elements, the ``layer_elements`` of each of ``parts``: (what, width, thickness) in m of each
    layer and of each air gap narrower than the mesh size, x forced time steps x
    ``SECONDS_PER_ELEMENT_STEP``) past ``solver.max_wall`` (a mesh past ``mesh.max_elements``
    is ``check_element_limit``'s, on the whole mesh's estimate); the
    forced steps are the step cap's over each protocol step (``step_durations_s``, s), at least one
    per protocol step, and one per pulse-table kink (``knots``, the steps land on them).
    ``first_size_m``: the element edge of the first fine mesh of an accuracy-driven run (no
    ``mesh.size``). Also refused: a pair whose probe matrix and J samples (``rows``: the
    probes and the bore centre; the sample times: the protocol steps and ``SAMPLES``) on twice
    the estimate (a quality mesh has 1.6-2x) take over ``MAX_MATRIX_BYTES``
    (``check_matrix_memory``; ``Simulation.run`` adds the snapshots it keeps, on the mesh's
    element estimate, before it meshes), and a protocol whose forced steps, one probes.csv row
    of ``columns`` values each, pass ``MAX_OUTPUT_VALUES``."""
    h = mesh.size_m or first_size_m
    n = sum(layer_elements(w, t, h) for _, w, t in parts)
    first = (
        f"{mesh.size_key} {h * 1e3:.3g} mm" if mesh.size_m else f"the first mesh, {h * 1e3:.3g} mm"
    )
    max_step = solver.max_step_s
    duration_s = sum(step_durations_s)
    steps = duration_s / max_step if max_step else 0.0
    if steps > MAX_TIME_STEPS:
        raise ValidationError(
            f"solver.max_step: {max_step:.3g} s over a protocol of {duration_s:.4g} s needs at "
            f"least {steps:.3g} time steps; the limit is {MAX_TIME_STEPS} "
            f"(max_step >= {duration_s / MAX_TIME_STEPS:.3g} s)"
        )
    # a coarse/fine pair: the fine run's work, an eighth more for the coarse run (a quarter of
    # the elements, half the steps) and a quarter for the coarse mesh at every fine step (the
    # run that splits the pair's estimate into its space and time parts)
    stepped = forced_steps(step_durations_s, max_step)
    work_s = 1.375 * n * (stepped + knots) * SECONDS_PER_ELEMENT_STEP
    if work_s > solver.max_wall_s:
        cap = [f"solver.max_step: {max_step:.3g} s over {duration_s:.4g} s"] if steps else []
        short = stepped - steps > 0.1 * (stepped + knots)  # the steps shorter than max_step count
        forced = [f"{len(step_durations_s)} [[protocol]] steps"] if short else []
        forced += cap + ([f"{knots} pulse-table kinks"] if knots else [])
        raise ValidationError(
            f"{' and '.join(forced)} force{'s' if forced == cap else ''} at least "
            f"{stepped + knots:.3g} time steps on at least {n:.3g} conductor elements: at least "
            f"{work_s:.3g} s of solving, over solver.max_wall = {solver.max_wall_s:g} s "
            "(a larger max_step or mesh.size, fewer protocol steps or pulse-table points, or a "
            "longer max_wall)"
        )
    written = (stepped + knots + 1) * columns
    if written > MAX_OUTPUT_VALUES:
        raise ValidationError(
            f"[[probes]]: {columns} values a probes.csv row (time, applied field, temperature "
            f"and each probe) at each of at least {stepped + knots + 1:.3g} time steps (the "
            f"protocol's steps{', solver.max_step' if max_step else ''}"
            f"{', pulse-table kinks' if knots else ''}) is at least {written:.3g} values, over "
            f"the {MAX_OUTPUT_VALUES:.3g} a run may keep; give fewer probes"
            f"{' or a larger solver.max_step' if max_step else ' or protocol steps'}"
        )
    check_matrix_memory(rows, len(step_durations_s) + SAMPLES + 1, 2 * n, first)


def matrix_elements(rows: int, samples: int, snapshots: int = 0) -> float:
    """The most mesh elements whose probe matrix (``rows``: probes and the bore centre) and J
    samples (``samples`` times), 8 bytes an entry per conductor element, 1.5x for the pair's
    coarse and time-error runs, and ``snapshots`` of B (``SNAPSHOT_BYTES`` per element), fit in
    ``MAX_MATRIX_BYTES`` (every element counted as a conductor: on the safe side)."""
    return MAX_MATRIX_BYTES / (8 * 1.5 * max(1, rows + samples) + SNAPSHOT_BYTES * snapshots)


def check_matrix_memory(
    rows: int, samples: int, conductors: float, what: str, snapshots: int = 0, elements: float = 0
) -> None:
    """Refuse (``ValidationError``, with the estimate) a first mesh of ``conductors`` conductor
    elements and ``elements`` in all (``what``: its size) whose probe matrix and J samples and
    ``snapshots`` of B take over ``MAX_MATRIX_BYTES``; an accuracy-driven run refines no further
    than ``matrix_elements`` (``Simulation.run``)."""
    matrices = 8 * 1.5 * max(1, rows + samples) * conductors
    kept = SNAPSHOT_BYTES * snapshots * elements
    if matrices + kept <= MAX_MATRIX_BYTES:
        return
    limit = f"over the limit of {MAX_MATRIX_BYTES / 2**30:g} GiB"
    if kept > matrices:
        raise ValidationError(
            f"protocol: {snapshots} snapshots (each protocol step's end and [output] snapshots), "
            f"each B of about {elements:,.0f} elements ({what}), need about {kept / 2**30:.3g} "
            f"GiB, with the probe matrices and J samples {(matrices + kept) / 2**30:.3g} GiB, "
            f"{limit} ({SNAPSHOT_BYTES:g} bytes an element per snapshot); give fewer protocol "
            "steps (one hold for holds in a row) or snapshots, or a coarser mesh.size"
        )
    fits = MAX_MATRIX_BYTES * conductors / matrices
    raise ValidationError(
        f"[[probes]]: {rows} probe rows and {samples} J samples (the protocol's steps and "
        f"{SAMPLES + 1} more) on about {conductors:,.0f} conductor elements ({what}) need "
        f"about {(matrices + kept) / 2**30:.3g} GiB, {limit} "
        f"(8 bytes an entry, 1.5x for the coarse runs of a pair: at most {fits:,.0f} "
        "elements); give fewer probes or protocol steps, or a coarser mesh.size"
    )
