"""Fit parameters of a calibration, named ``<material>.<parameter>`` or ``<probe>.z``.

==================== ====================================================== ========== ===========
name                 what it changes in the case                            fitted in  default bounds
==================== ====================================================== ========== ===========
``<material>.n``     the power-law exponent n of that superconductor        ln n       5 .. 300
``<material>.jc_scale`` a factor on its Jc(B) (table, Kim jc0, constant,    ln k       0.2 .. 5
                     csv points or a curve object), 1 = the case's Jc
``<material>.e0``    its E0 (V/m)                                           ln E0      1e-8 .. 1
``<probe>.z``        the probe's height (m): a nuisance parameter for a     z (mm)     drawn ± 1 mm,
                     Hall sensor that sits off where it is drawn                       outside every
                                                                                       superconductor
``<probe>.offset``   a constant added to every series of that probe (T):    T          ± 1 T
                     its zero-field reading
``<probe>.drift``    a linear drift added to them (T/s), times the time     T/s        ± 1e-3 T/s
                     since each series' origin
==================== ====================================================== ========== ===========

``offset`` and ``drift`` (``LINEAR``) do not change the case: they enter the residuals additively,
so they are not simulated but profiled out by linear least squares at each evaluation (the fit's
``Model``), and their covariance with the others follows from the Jacobian.

A probe height stays outside the superconductors (no Hall sensor sits inside one): the default
bounds stop at their faces, bounds given that reach into one are refused (``fenced``).

``*.n``, ``*.jc_scale``, ``*.e0``: one value for every superconductor of the case (a stack of
bulks from one batch), starting from the first one's.

The optimizer works on internal coordinates ``u`` (the "fitted in" column): logs for the
positive material parameters, millimetres for heights, so that one step means a similar change
for each. ``apply`` writes values (natural units: n, factor, V/m, m) into a ``Case``.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np

from fluxtrap.errors import ValidationError
from fluxtrap.simulate import (
    Case,
    ConstantJc,
    CurveJc,
    KimJc,
    Layer,
    Superconductor,
    TableJc,
    TemperatureTablesJc,
)
from fluxtrap.simulate.case import ProbeInsideWarning
from fluxtrap.simulate.materials import E0_RANGE, N_MAX

MATERIAL_PARAMETERS = ("n", "jc_scale", "e0")
PROBE_PARAMETERS = ("z", "offset", "drift")
LINEAR = ("offset", "drift")  # added to the measured model, not simulated
_LOG = {"n": (5.0, 300.0), "jc_scale": (0.2, 5.0), "e0": (1e-8, 1.0)}
_LINEAR_BOUNDS = {"offset": (-1.0, 1.0), "drift": (-1e-3, 1e-3)}
_UNIT = {"n": "", "jc_scale": "", "e0": "V/m", "z": "m", "offset": "T", "drift": "T/s"}
MM = 1e-3
Z_REACH = 10.0  # a probe height's bounds reach at most this x the stack's size from the drawn one
FACE_M = 1e-9  # a probe height's bound this near a superconductor's face (m) stands on it


@dataclass(frozen=True)
class FitParameter:
    """One fitted quantity: ``target`` (material or probe name) and ``attribute`` (n, jc_scale,
    e0, z, offset, drift), its ``start`` value and ``bounds`` in natural units (n, factor, V/m, m);
    ``walls``: for a probe height, the superconductor's face each bound stands on, as text ("" for
    a bound that is a choice; ``fenced`` sets them)."""

    target: str
    attribute: str
    start: float
    bounds: tuple[float, float]
    walls: tuple[str, str] = ("", "")

    @property
    def name(self) -> str:
        return f"{self.target}.{self.attribute}"

    @property
    def is_log(self) -> bool:
        return self.attribute in _LOG

    @property
    def linear(self) -> bool:
        """A probe offset or drift: profiled out linearly, not simulated."""
        return self.attribute in LINEAR

    @property
    def unit(self) -> str:
        return _UNIT[self.attribute]

    @property
    def nuisance(self) -> bool:
        """A property of the measurement set-up (a probe), not of the material."""
        return self.attribute in PROBE_PARAMETERS

    @property
    def step_u(self) -> float:
        """Finite-difference step in internal coordinates: 1 % for logs, 0.05 mm for heights."""
        return 0.01 if self.is_log else 0.05

    @property
    def _scale(self) -> float:
        return 1.0 if self.linear else MM

    def to_u(self, value: float) -> float:
        """Natural value -> internal coordinate (log, mm, or itself for offset and drift)."""
        return math.log(value) if self.is_log else value / self._scale

    def from_u(self, u: float) -> float:
        """Internal coordinate -> natural value."""
        return math.exp(u) if self.is_log else u * self._scale

    def dvalue_du(self, value: float) -> float:
        """d(natural value)/du at ``value`` (for covariances in natural units)."""
        return value if self.is_log else self._scale

    def __repr__(self) -> str:
        lo, hi = self.bounds
        return f"FitParameter({self.name} from {self.start:.4g}, bounds {lo:.4g}..{hi:.4g} {self.unit})".replace(
            " )", ")"
        )


def parse_fit(
    spec: str | Sequence[str],
    case: Case,
    bounds: Mapping[str, tuple[float, float]] | None = None,
) -> tuple[FitParameter, ...]:
    """The fit parameters named in ``spec`` (``"sc.n,sc.jc_scale"`` or a list) for ``case``.

    ``bounds``: name -> (low, high) in natural units, replacing the defaults. Errors name the
    parameter and list what the case offers.
    """
    items = spec.split(",") if isinstance(spec, str) else spec
    if not (isinstance(items, Sequence) and all(isinstance(s, str) for s in items)):
        raise ValidationError(  # 5 or [5] was a TypeError or an AttributeError
            f'--fit: expected parameter names, "bulk1.n,bulk1.jc_scale" or a list of them, got '
            f"{spec!r}"
        )
    names = [s.strip() for s in items if s.strip()]
    if not names:
        raise ValidationError('--fit: no parameter given (e.g. "bulk1.n,bulk1.jc_scale")')
    if len(set(names)) != len(names):
        raise ValidationError(f"--fit: a parameter is named twice in {names}")
    bounds = dict(bounds or {})
    unknown = set(bounds) - set(names)
    if unknown:  # a misspelt name: say which are fitted (difflib's near one first)
        near = [m for u in sorted(unknown) for m in difflib.get_close_matches(u, names, 1, 0.6)]
        raise ValidationError(
            f"bounds for {', '.join(sorted(unknown))}: not a fitted parameter"
            + (f" (did you mean {', '.join(near)}?)" if near else "")
            + f"; fitted: {', '.join(names)}"
        )
    both = [n for n in names if n.startswith("*.") and any(
        m.endswith(n[1:]) and m != n for m in names)]  # fmt: skip
    if both:  # the same attribute twice: a singular fit
        raise ValidationError(
            f"--fit: {both[0]} sets {both[0][2:]} of every superconductor, so it cannot be fitted "
            f"beside {', '.join(m for m in names if m.endswith(both[0][1:]) and m != both[0])}"
        )
    return tuple(_parameter(name, case, bounds.get(name)) for name in names)


def _parameter(name: str, case: Case, bounds: tuple[float, float] | None) -> FitParameter:
    target, _, attribute = name.rpartition(".")
    materials = {m.name: m for m in case.materials if isinstance(m, Superconductor)}
    probes = {p.name: p for p in case.probes}
    offer = [f"{m}.{a}" for m in ["*", *materials] for a in MATERIAL_PARAMETERS] + [
        f"{p}.{a}" for p in probes for a in PROBE_PARAMETERS
    ]
    if target in materials and target in probes:
        raise ValidationError(
            f"--fit {name}: {target!r} is both a material and a probe; rename one"
        )
    if target == "*" and attribute in MATERIAL_PARAMETERS:
        if not materials:
            raise ValidationError(f"--fit {name}: the case has no superconductor")
        m = next(iter(materials.values()))
        start = {"n": m.n, "jc_scale": 1.0, "e0": m.e0_V_m}[attribute]
        default = _LOG[attribute]
    elif target in materials and attribute in MATERIAL_PARAMETERS:
        m = materials[target]
        start = {"n": m.n, "jc_scale": 1.0, "e0": m.e0_V_m}[attribute]
        default = _LOG[attribute]
    elif target in probes and attribute in LINEAR:
        start, default = 0.0, _LINEAR_BOUNDS[attribute]
    elif target in probes and attribute in PROBE_PARAMETERS:
        start = probes[target].z_m
        room = height_room(case, target)
        if room is not None and room[0] >= room[1]:
            raise ValidationError(
                f"--fit {name}: probe {target!r} at z = {start * 1e3:g} mm sits where the "
                f"superconductors {room[2].material!r} and {room[3].material!r} meet, with no "
                "room between them: its height cannot be fitted without entering one"
            )
        low, high = (-math.inf, math.inf) if room is None else room[:2]
        default = (max(start - MM, low), min(start + MM, high))  # outside the superconductors
    else:
        raise ValidationError(
            f"--fit {name}: not a parameter of this case; expected <superconductor>.n|jc_scale|e0 "
            f"or <probe>.z|offset|drift, here: {', '.join(offer)}"
        )
    lo, hi = default if bounds is None else _pair(name, bounds)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):  # "need low < high" for 1..inf
        why = "low < high" if np.isfinite(lo) and np.isfinite(hi) else "finite numbers"
        swapped = " (swapped? give NAME=LOW:HIGH)" if lo > hi else ""
        if lo == hi:  # a value to hold, not to fit
            swapped = (
                f" (to hold {name} at {lo:g}, leave it out of --fit and give that value in the "
                "case)"
            )
        raise ValidationError(f"bounds of {name}: need {why}, got {lo:g}..{hi:g}{swapped}")
    if attribute in _LOG and lo <= 0:
        raise ValidationError(f"bounds of {name}: must be > 0, got {lo:g}..{hi:g}")
    if attribute == "n" and not (lo > 1 and hi <= N_MAX):
        raise ValidationError(
            f"bounds of {name}: n must stay in (1, {N_MAX:g}], got {lo:g}..{hi:g}"
        )
    if attribute == "e0" and not (E0_RANGE[0] <= lo and hi <= E0_RANGE[1]):
        raise ValidationError(
            f"bounds of {name}: E0 must stay in [{E0_RANGE[0]:g}, {E0_RANGE[1]:g}] V/m, got "
            f"{lo:g}..{hi:g}"
        )
    far = max(abs(lo - start), abs(hi - start))  # the drawn height (start) to the farther bound
    if attribute == "z" and far > Z_REACH * case.extent_m:  # millimetres read as metres
        raise ValidationError(
            f"bounds of {name}: {lo:g}..{hi:g} m reach {far:.3g} m from its drawn height "
            f"{start:g} m, more than {Z_REACH:g} x the stack's size ({case.extent_m:g} m); "
            "--bounds are in SI units, m (8 mm is 8e-3)"
        )
    start = min(max(start, lo), hi)
    return fenced(FitParameter(target, attribute, float(start), (float(lo), float(hi))), case)


def _pair(name: str, bounds: Any) -> tuple[float, float]:
    """``bounds`` of ``name`` as (low, high) floats in natural units; ``ValidationError`` for
    anything but two real numbers ("10", a bool, one value: a raw TypeError or ValueError)."""
    try:
        lo, hi = bounds
        if all(isinstance(x, Real) and not isinstance(x, bool) for x in (lo, hi)):
            return float(lo), float(hi)
    except (TypeError, ValueError, OverflowError):  # not a pair; an int past any float
        pass
    raise ValidationError(
        f"bounds of {name}: expected (low, high), two numbers in SI units, got {bounds!r}"
    )


def height_room(case: Case, probe: str) -> tuple[float, float, Layer | None, Layer | None] | None:
    """The heights (m) ``probe`` of ``case`` can take at its radius without entering a
    superconductor, around its drawn height: (low, high, the superconducting layer below, the one
    above; -inf, inf and None where there is none); None where the drawn height is inside one."""
    p = next(q for q in case.probes if q.name == probe)
    crossed = [  # the superconducting layers a vertical line at the probe's radius passes through
        x
        for x in case.stack
        if isinstance(case.material(x.material), Superconductor)
        and x.contains(p.r_m, 0.5 * (x.z_m + x.top_m))
    ]
    if any(x.contains(p.r_m, p.z_m) for x in crossed):
        return None
    below = max((x for x in crossed if x.top_m <= p.z_m + FACE_M), key=lambda x: x.top_m,
                default=None)  # fmt: skip
    above = min((x for x in crossed if x.z_m >= p.z_m - FACE_M), key=lambda x: x.z_m,
                default=None)  # fmt: skip
    return (
        -math.inf if below is None else below.top_m,
        math.inf if above is None else above.z_m,
        below,
        above,
    )


def fenced(p: FitParameter, case: Case, where: str = "") -> FitParameter:
    """``p`` with its ``walls`` set when it is a probe height of ``case`` whose bounds stand on a
    superconductor's face; other parameters as they are. Bounds of a height that reach into a
    superconductor from a probe drawn outside them are refused (``ValidationError``: the fit put
    the probe inside the disk, where no Hall sensor sits); a probe drawn inside one is warned of
    once (``ProbeInsideWarning``), with the heights the fit tries, not once per height tried.
    ``where``: which case, when several are calibrated."""
    if p.attribute != "z":
        return p
    lo, hi = p.bounds
    room = height_room(case, p.target)
    r_mm = next(q.r_m for q in case.probes if q.name == p.target) * 1e3
    if room is None:  # drawn inside: the case warned of it; the heights tried, once here
        drawn = next(q.z_m for q in case.probes if q.name == p.target)
        layer = next(x for x in case.stack if x.contains(r_mm / 1e3, drawn)
                     and isinstance(case.material(x.material), Superconductor))  # fmt: skip
        warnings.warn(
            f"{p.name}{where}: probe {p.target!r} is drawn at z = {drawn * 1e3:g} mm, inside the "
            f"superconductor {layer.material!r} (z {layer.z_m * 1e3:g}..{layer.top_m * 1e3:g} mm "
            f"at r = {r_mm:g} mm), and the fit tries heights {lo * 1e3:.4g}..{hi * 1e3:.4g} mm: "
            "inside it the probe reads Bz where no Hall sensor sits",
            ProbeInsideWarning,
            stacklevel=4,
        )
        return p
    low, high, below, above = room
    into = [x for x, crossing in ((below, lo < low - FACE_M), (above, hi > high + FACE_M))
            if crossing]  # fmt: skip
    if into:
        x = into[0]
        fit = (max(lo, low), min(hi, high))
        if not fit[0] < fit[1]:  # wholly inside: the default's range
            fit = (max(p.start - MM, low), min(p.start + MM, high))
        raise ValidationError(
            f"bounds of {p.name}{where}: {lo:g}..{hi:g} m reach into the superconductor "
            f"{x.material!r} (z {x.z_m * 1e3:g}..{x.top_m * 1e3:g} mm at the probe's r = "
            f"{r_mm:g} mm), where no Hall sensor sits; its height must stay "
            + _room_text(low, high)
            + f", e.g. --bounds {p.name}={fit[0]:g}:{fit[1]:g}"
        )
    faces = (
        "" if below is None or lo > low + FACE_M else _face(below, "top", r_mm),
        "" if above is None or hi < high - FACE_M else _face(above, "bottom", r_mm),
    )
    return dataclasses.replace(p, walls=faces)


def _room_text(low: float, high: float) -> str:
    """Where a height may lie, for people: above 8 mm, below 3 mm or between 8 and 11 mm
    (``low``, ``high`` in m, infinite where open)."""
    if math.isinf(low):
        return f"below {high * 1e3:g} mm"
    if math.isinf(high):
        return f"above {low * 1e3:g} mm"
    return f"between {low * 1e3:g} and {high * 1e3:g} mm"


def _face(layer: Layer, side: str, r_mm: float) -> str:
    """The face ``side`` (top or bottom) of ``layer`` at the probe's radius ``r_mm``, for people:
    the top face of the superconductor 'sc' (z 8 mm at r = 0 mm)."""
    z = layer.top_m if side == "top" else layer.z_m
    return (
        f"the {side} face of the superconductor {layer.material!r} (z {z * 1e3:g} mm at r = "
        f"{r_mm:g} mm)"
    )


def parse_bounds(items: Sequence[str]) -> dict[str, tuple[float, float]]:
    """``["bulk1.n=10:200", "center.z=6.1e-3:7.1e-3"]`` -> name -> (low, high), natural units."""
    out: dict[str, tuple[float, float]] = {}
    for item in items:
        name, sep, rng = item.partition("=")
        lo, colon, hi = rng.partition(":")
        if name.strip() in out:  # the last one won silently
            raise ValidationError(f"--bounds: {name.strip()} is bounded twice")
        try:
            if not (sep and colon):
                raise ValueError
            out[name.strip()] = (float(lo), float(hi))
        except ValueError:
            raise ValidationError(
                f"--bounds {item!r}: expected NAME=LOW:HIGH in SI units, e.g. bulk1.n=10:200"
            ) from None
    return out


# -- writing values into a case ------------------------------------------------------------------
@dataclass(frozen=True)
class _ScaledCurve:
    """A Jc(B) curve object times ``factor`` (for ``CurveJc``, which has no numbers to scale)."""

    curve: Any
    factor: float

    def at(self, field_T: Any) -> np.ndarray:
        return self.factor * np.asarray(self.curve.at(field_T), float)


def scaled_jc(jc: Any, factor: float) -> Any:
    """The Jc model ``jc`` times ``factor``, as a model of the same kind (a table loses its csv
    source name: its numbers are no longer the file's)."""
    if isinstance(jc, TableJc):
        return TableJc(jc.field_T, tuple(factor * j for j in jc.jc_A_m2))
    if isinstance(jc, KimJc):
        return KimJc(factor * jc.jc0_A_m2, jc.b0_T)
    if isinstance(jc, ConstantJc):
        return ConstantJc(factor * jc.jc_A_m2)
    if isinstance(jc, TemperatureTablesJc):
        return TemperatureTablesJc(
            jc.temperatures_K, tuple(scaled_jc(t, factor) for t in jc.tables), jc.tc_K
        )
    if isinstance(jc, CurveJc):  # the name carries the factor: it is the curve's identity in keys
        return CurveJc(_ScaledCurve(jc.curve, factor), name=f"{jc.name} x {factor!r}")
    raise ValidationError(f"jc_scale: cannot scale a {type(jc).__name__}")


def apply(
    case: Case, params: Sequence[FitParameter], values: Sequence[float], quiet: bool = False
) -> Case:
    """A copy of ``case`` with each parameter set to its value (natural units).

    A parameter whose target the case lacks raises ``ValidationError``. ``quiet``: no
    ``ProbeInsideWarning`` for a probe height tried (the fit's and a prediction's points: the
    range was said once, by ``fenced`` or the central case; one per height had been printed).
    """
    materials = {m.name: m for m in case.materials}
    probes = {p.name: p for p in case.probes}
    for p, v in zip(params, values, strict=True):
        if p.linear:  # added to the measured model, not to the case
            continue
        if p.nuisance:
            if p.target not in probes:
                raise ValidationError(f"{p.name}: the case has no probe {p.target!r}")
            probes[p.target] = dataclasses.replace(probes[p.target], z_m=float(v))
            continue
        targets = (
            [k for k, m in materials.items() if isinstance(m, Superconductor)]
            if p.target == "*"
            else [p.target]
        )
        for name in targets:
            m = materials.get(name)
            if not isinstance(m, Superconductor):
                raise ValidationError(f"{p.name}: the case has no superconductor {name!r}")
            if p.attribute == "n":
                m = dataclasses.replace(m, n=float(v), n_table=None)  # one n replaces n(T)
            elif p.attribute == "e0":
                m = dataclasses.replace(m, e0_V_m=float(v))
            else:
                m = dataclasses.replace(m, jc=scaled_jc(m.jc, float(v)))
            materials[name] = m
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore", ProbeInsideWarning)
        return dataclasses.replace(
            case,
            materials=tuple(materials[m.name] for m in case.materials),
            probes=tuple(probes[p.name] for p in case.probes),
        )
