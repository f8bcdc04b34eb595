"""The field in the bore (the ``[bore]`` sphere, ``geometry.Bore``): homogeneity over the sphere,
axial harmonics, drift.

A magnet designer describes the field near the bore centre by its zonal harmonics. In a region
without currents, Bz is harmonic and, about the centre (spherical r, theta from the axis),

    Bz(r, theta) = sum_n C_n r^n P_n(cos theta),    on the axis Bz(z) = sum_n C_n (z - z_c)^n,

so the on-axis Taylor coefficients C_n (T/m^n) fix the whole field inside the largest sphere free
of currents. ``axis_coefficients`` finds them by Cauchy's integral, from the on-axis field
continued to a circle in the complex z plane inside the nearest current's reach (a Legendre
projection over the sphere's diameter, used before, lost them where a disk's face came within
sqrt(2) R of the centre: 1 495 ppm off a sphere 0.25 R above a disk); ``peak_to_peak_ppm``
takes (max - min) / |B(centre)| over the sphere's surface, where a
harmonic function takes its extremes (maximum principle). Every function takes the field as a
callable, so it can be checked against current loops with no simulation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from fluxtrap.errors import AnalysisError
from fluxtrap.simulate.geometry import Bore
from fluxtrap.units import value_text

ORDER = 8  # highest power of z reported
ANGLES = 181  # polar angles on the sphere (axisymmetric: a meridian covers it)
PROFILE_POINTS = 61
CENTRE_COLUMN = "bore_centre_Bz_T"  # the bore centre's trace in ``Result.probes``
CIRCLE_POINTS = 32  # points on axis_coefficients' circle in the complex z plane
REACH_SHARE = 0.5  # its radius, as a share of the distance to the nearest current
# the second circle's radius, as a share of the first's: the two C_n's difference estimates the
# quadrature error (aliasing grows with the radius, round-off with its inverse)
CHECK_SHARE = 0.75
ERROR_MARGIN = 1.5  # the difference is 0.9998 of the first circle's aliasing error (loops)
# axis points evaluated at once: 64 complex points on 52 000 conductor elements peaked at 3.5 GB
AXIS_BATCH = 8

# z (n,) in m, real or complex (the field continued off the axis) -> Bz (n,) in T
FieldOnAxis = Callable[[np.ndarray], np.ndarray]
Field = Callable[[np.ndarray, np.ndarray], np.ndarray]  # r, z (n,) in m -> Bz (n,) in T


def axis_coefficients(
    bz_axis: FieldOnAxis, center_z: float, radius: float, order: int = ORDER
) -> np.ndarray:
    """C_n (T/m^n), n = 0..``order``: Bz(z) = sum C_n (z - ``center_z``)^n on the axis, by
    Cauchy's integral over the circle z = ``center_z`` + ``radius`` e^(i theta) (m) of the
    complex plane, ``CIRCLE_POINTS`` points (``bz_axis`` takes complex z there): C_n radius^n is
    the field's n-th discrete Fourier coefficient on it. The circle must keep clear of every
    current (the continued field of a loop a at z_l is singular at z_l +- i a): at ``REACH_SHARE``
    of the distance to the nearest one, the aliased terms are that share^CIRCLE_POINTS, 2e-10
    of the centre field (x (R / radius)^n <= 240 at the sphere's edge). ``AXIS_BATCH`` points at
    a time."""
    return _on_circle(bz_axis, center_z, radius, order)[0]


def _on_circle(
    bz_axis: FieldOnAxis, center_z: float, radius: float, order: int
) -> tuple[np.ndarray, float]:
    """(``axis_coefficients``, the largest |Bz| (T) on its circle)."""
    theta = 2 * np.pi * np.arange(CIRCLE_POINTS) / CIRCLE_POINTS
    b = _in_batches(bz_axis, center_z + radius * np.exp(1j * theta))
    n = np.arange(order + 1)
    return (np.fft.fft(b)[: order + 1] / CIRCLE_POINTS).real / radius**n, float(np.abs(b).max())


def axis_terms(
    bz_axis: FieldOnAxis, center_z: float, radius: float, order: int = ORDER
) -> tuple[np.ndarray, np.ndarray]:
    """(C_n, its quadrature error), each (order + 1,) in T/m^n: ``axis_coefficients`` on the
    circle of ``radius`` (m), and the error estimated as ``ERROR_MARGIN`` x (|C_n - C_n'| + the
    sum's round-off), C_n' from a circle ``CHECK_SHARE`` as large. The two circles' errors
    differ (the aliased terms scale as the radius^CIRCLE_POINTS, the round-off as radius^-n),
    so their difference is about the larger one where either matters (the terms had no error
    told: a circle reaching too near a current put C_n R^n / B0 thousands of ppm off, unsaid)."""
    c, _ = _on_circle(bz_axis, center_z, radius, order)
    check, largest = _on_circle(bz_axis, center_z, CHECK_SHARE * radius, order)
    # the round-off of a sum of CIRCLE_POINTS values, on the smaller circle
    floor = (
        CIRCLE_POINTS
        * np.finfo(float).eps
        * largest
        / (CHECK_SHARE * radius) ** np.arange(order + 1)
    )
    return c, ERROR_MARGIN * (np.abs(c - check) + floor)


def _in_batches(bz_axis: FieldOnAxis, z: np.ndarray) -> np.ndarray:
    """``bz_axis`` at ``z``, ``AXIS_BATCH`` points at a time (its temporaries grow with both the
    points and the elements)."""
    return np.concatenate([bz_axis(z[i : i + AXIS_BATCH]) for i in range(0, len(z), AXIS_BATCH)])


def peak_to_peak_ppm(
    bz: Field, center_z: float, radius: float, angles: int = ANGLES
) -> tuple[float, float]:
    """(peak-to-peak of Bz over the sphere in ppm of |Bz(centre)|, Bz(centre) in T): the extremes
    of a harmonic Bz lie on the surface, sampled at ``angles`` polar angles (0..pi) and each of
    the ``REFINED`` highest local maxima and lowest local minima refined by golden-section search
    between its neighbours (``_extremes``: the samples alone missed the peak beside a ring's
    corner by 78 ppm of 1.16e6, a loop 0.03 R off the sphere's by 4 %). NaN ppm when Bz(centre)
    = 0 (no field: ppm of nothing)."""
    theta = np.linspace(0.0, np.pi, angles)

    def on_sphere(t: np.ndarray) -> np.ndarray:
        return bz(np.abs(radius * np.sin(t)), center_z + radius * np.cos(t))

    b = bz(np.array([0.0]), np.array([center_z]))
    centre = float(b[0])
    if centre == 0:
        return math.nan, centre
    high, low = _extremes(on_sphere, theta, on_sphere(theta))
    return float((high - low) / abs(centre) * 1e6), centre


REFINED = 4  # local maxima (and minima) of the samples refined, the highest (lowest) first
GOLDEN_STEPS = 40  # each narrows the bracket by 0.618: 2 pi / 180 rad to 1e-10 rad


def _extremes(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, y: np.ndarray):
    """(max, min) of ``f`` (a vectorised function) on [x[0], x[-1]] from its samples ``y`` at the
    sorted ``x``: each of the ``REFINED`` highest local maxima (lowest minima) of the samples
    searched by golden section between its neighbours, all brackets evaluated at once."""
    inner = np.arange(1, len(x) - 1)
    lo, hi, sign = [], [], []
    for s in (1.0, -1.0):
        v = s * y
        peak = np.concatenate(
            [
                [v[0] >= v[1]],
                (v[inner] >= v[inner - 1]) & (v[inner] >= v[inner + 1]),
                [v[-1] >= v[-2]],
            ]
        )
        best = np.flatnonzero(peak)[np.argsort(-v[peak])][:REFINED]
        lo += list(x[np.maximum(best - 1, 0)])
        hi += list(x[np.minimum(best + 1, len(x) - 1)])
        sign += [s] * len(best)
    a, b, s = np.array(lo), np.array(hi), np.array(sign)
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = s * f(c), s * f(d)
    for _ in range(GOLDEN_STEPS):
        left = fc >= fd  # the peak is in [a, d]: d becomes c
        a, b = np.where(left, a, c), np.where(left, d, b)
        new = np.where(left, b - g * (b - a), a + g * (b - a))
        fn = s * f(new)
        c, d, fc, fd = (
            np.where(left, new, d),
            np.where(left, c, new),
            np.where(left, fn, fd),
            np.where(left, fc, fn),
        )
    found = np.maximum(fc, fd) * s  # the bracket's best, back to Bz
    return max(y.max(), found[s > 0].max()), min(y.min(), found[s < 0].min())


def drift_ppm_per_h(time_s: np.ndarray, bz_T: np.ndarray, start_s: float) -> float:
    """dBz/dt / Bz at the last time, in ppm/h (negative: |Bz| decaying), from ln|Bz| as a
    quadratic in ln(t - ``start_s``) over the last decade of the hold that starts at ``start_s``
    (s), its slope S taken at the last time: dBz/dt / Bz = S / t. A relaxing critical state decays
    as (1 + t / tau)^(-1/(n-1)) (analytic.md, flux creep), whose log-log slope still grows over
    that decade where t is not >> tau (a short hold, a slow ramp's large tau): a straight line
    told its mean, 0.55 of the rate at the end of a 2 min hold after the 4.8 T/h ramp of
    examples/ring_stack.toml. Each time weighs as its share of the decade in ln t, so the time
    steps crowding after a hold's start do not steer the fit; a straight line with 3 times."""
    t = np.asarray(time_s, float) - start_s
    b = np.asarray(bz_T, float)
    keep = (t > 0) & (b != 0)
    t, b = t[keep], b[keep]
    if len(t) < 3:
        raise AnalysisError("bore drift: fewer than 3 times in the last hold")
    late = t >= t[-1] / 10 if np.sum(t >= t[-1] / 10) >= 3 else np.ones(len(t), bool)
    x = np.log(t[late])
    share = np.sqrt(np.gradient(x))  # polyfit squares its weights
    fit = np.polyfit(x, np.log(np.abs(b[late])), 2 if len(x) > 3 else 1, w=share)
    return float(np.polyval(np.polyder(fit), x[-1]) / t[-1] * 3.6e9)


@dataclass(frozen=True)
class BoreField:
    """The bore at the end of a run: ``centre_T`` (T), ``homogeneity_ppm`` (peak-to-peak over the
    sphere), ``coefficients_T_m`` C_n (T/m^n, n = 0..ORDER), ``drift_ppm_per_h`` at the centre
    over the last hold (None without a final hold), the profiles ``axial`` (z, Bz) and ``radial``
    (r, Bz) through the centre, each (PROFILE_POINTS, 2) in m and T; ``coefficients_error_T_m``
    the quadrature error estimate of each C_n (``axis_terms``; None: not estimated)."""

    bore: Bore
    centre_T: float
    homogeneity_ppm: float
    coefficients_T_m: np.ndarray
    drift_ppm_per_h: float | None
    axial: np.ndarray
    radial: np.ndarray
    coefficients_error_T_m: np.ndarray | None = None

    def _ppm(self, values: np.ndarray) -> np.ndarray:
        """``values`` (T/m^n, n = 0..) as ppm of |C_0| at the sphere's edge (NaN when C_0 = 0)."""
        n = np.arange(len(values))
        c0 = self.coefficients_T_m[0]
        scale = self.bore.radius_m**n / c0 * 1e6 if c0 else np.full(len(n), math.nan)
        return values * scale

    @property
    def coefficients_ppm(self) -> np.ndarray:
        """C_n R^n / C_0 in ppm: each term's share at the sphere's edge on the axis (NaN when
        C_0 = 0)."""
        return self._ppm(self.coefficients_T_m)

    @property
    def coefficients_error_ppm(self) -> np.ndarray | None:
        """The quadrature error of ``coefficients_ppm`` (ppm, >= 0; None: not estimated)."""
        err = self.coefficients_error_T_m
        return None if err is None else np.abs(self._ppm(err))

    def to_dict(self) -> dict[str, Any]:
        """The ``bore`` part of ``summary.json`` (SI numbers; the profiles as lists); each axial
        term with its quadrature error, where estimated."""
        terms = {
            f"z{n}": {"T_per_m^n": _finite(c), "ppm_at_dsv": _finite(p)}
            for n, (c, p) in enumerate(
                zip(self.coefficients_T_m, self.coefficients_ppm, strict=True)
            )
        }
        if self.coefficients_error_T_m is not None:
            for term, e, q in zip(
                terms.values(),
                self.coefficients_error_T_m,
                self.coefficients_error_ppm,
                strict=True,
            ):
                term |= {
                    "quadrature_error_T_per_m^n": _finite(e),
                    "quadrature_error_ppm": _finite(q),
                }
        return {
            "dsv_m": self.bore.dsv_m,
            "center_z_m": self.bore.center_z_m,
            "centre_T": self.centre_T,
            "homogeneity_ppm": _finite(self.homogeneity_ppm),
            "drift_ppm_per_h": self.drift_ppm_per_h,
            "axial_coefficients": terms,
            "profiles": {
                "axial_z_m": self.axial[:, 0].tolist(),
                "axial_Bz_T": self.axial[:, 1].tolist(),
                "radial_r_m": self.radial[:, 0].tolist(),
                "radial_Bz_T": self.radial[:, 1].tolist(),
            },
        }

    def __repr__(self) -> str:
        drift = f", drift {self.drift_ppm_per_h:.3g} ppm/h" if self.drift_ppm_per_h else ""
        return (
            f"BoreField(centre {self.centre_T:.6g} T, {self.homogeneity_ppm:.4g} ppm over "
            f"{self.bore.dsv_m * 1e3:g} mm DSV{drift})"
        )

    def plot(self, path=None, errors: Mapping[str, float | None] | None = None):
        """Axial and radial Bz profiles through the centre, in ppm of the centre field; the
        title gives the centre field, homogeneity and drift ± ``errors`` (``accuracy.bore`` of
        summary.json: ``centre_error_T``, ``homogeneity_error_ppm``, ``drift_error_ppm_per_h``),
        where known and measured (``measured``)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
        top = 0.88 if self.drift_ppm_per_h is None else 0.82  # the drift: a second title line
        fig.subplots_adjust(left=0.09, right=0.98, bottom=0.13, top=top, wspace=0.28)
        scale, unit = (1e6 / self.centre_T, "ppm of $B_0$") if self.centre_T else (1e3, "mT")
        zc = self.bore.center_z_m
        a.plot((self.axial[:, 0] - zc) * 1e3, (self.axial[:, 1] - self.centre_T) * scale)
        b.plot(self.radial[:, 0] * 1e3, (self.radial[:, 1] - self.centre_T) * scale)
        a.set(xlabel="z - z$_c$ (mm), on the axis", ylabel=f"$B_z$ - $B_0$ ({unit})")
        b.set(xlabel="r (mm), at z$_c$", ylabel=f"$B_z$ - $B_0$ ({unit})")
        err = measured(errors)
        centre, ptp = err.get("centre_error_T"), err.get("homogeneity_error_ppm")
        drift, drift_err = self.drift_ppm_per_h, err.get("drift_error_ppm_per_h")
        fig.suptitle(
            f"bore: $B_0$ = {value_text(self.centre_T, centre, '.5g')} T, "
            f"{value_text(self.homogeneity_ppm, ptp, '.4g')} ppm "
            f"peak-to-peak over {self.bore.dsv_m * 1e3:g} mm DSV"
            + (
                f"\ndrift {value_text(drift, drift_err, '.3g')} ppm/h at the end of the hold"
                if drift is not None
                else ""
            )
        )
        for ax in (a, b):
            ax.grid(alpha=0.3)
            # 1e5 ppm and more as a power of ten: "-100000" pushed the label off the figure
            ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4))
        if path:
            fig.savefig(path, dpi=110)
            plt.close(fig)
        return fig


def _finite(x: float) -> float | None:
    """``x`` as a JSON number, None when it is not finite."""
    return float(x) if math.isfinite(x) else None


def analyse(
    bore: Bore,
    bz: Field,
    bz_axis: FieldOnAxis,
    drift: float | None = None,
    reach_m: float | None = None,
) -> BoreField:
    """The bore numbers of a field given as callables (see ``Field``, ``FieldOnAxis``);
    ``reach_m``: the distance (m) from the centre to the nearest current (None: the sphere's
    radius reaches no current, the circle of ``axis_coefficients`` is the sphere's)."""
    R, zc = bore.radius_m, bore.center_z_m
    homogeneity, centre = peak_to_peak_ppm(bz, zc, R)
    z = zc + np.linspace(-R, R, PROFILE_POINTS)
    r = np.linspace(0.0, R, PROFILE_POINTS)
    terms, error = axis_terms(bz_axis, zc, R if reach_m is None else REACH_SHARE * reach_m)
    return BoreField(
        bore,
        centre,
        homogeneity,
        terms,
        drift,
        np.column_stack([z, _in_batches(bz_axis, z)]),
        np.column_stack([r, bz(r, np.full_like(r, zc))]),
        error,
    )


def of_result(result: Any) -> BoreField:
    """The bore of ``result`` (a ``simulation.Result`` whose case has a ``[bore]``): the field
    of the last snapshot's currents (Biot-Savart, ``probes``) plus the applied field; the drift
    from the bore centre's trace over the protocol's closing holds, if it ends with one."""
    from fluxtrap.simulate import probes

    bore = result.case.bore
    if bore is None:
        raise AnalysisError("the case has no [bore] table")
    snap = result.snapshots[-1]
    tri = result.mesh.triangles[result.conductor]
    pts = result.mesh.points
    axis_matrix = probes.axis_matrix

    def bz(r: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Bz (T) at (r, z), ``probes.PROBE_BATCH`` point-element entries at a time (the 182
        points of the sphere at once held two 182 x elements matrices: 2.9 GB at 1e6)."""
        out = np.empty(len(r))
        rows = max(1, probes.PROBE_BATCH // max(1, len(tri)))
        for i in range(0, len(r), rows):
            ri, zi = r[i : i + rows], z[i : i + rows]
            _, G = probes.field_matrix(pts, tri, np.column_stack([ri, zi]))
            on_axis = ri == 0
            G[on_axis] = axis_matrix(pts, tri, zi[on_axis])  # exact there
            out[i : i + rows] = G @ snap.J_A_m2
        return out + snap.applied_T

    def bz_axis(z: np.ndarray) -> np.ndarray:
        return axis_matrix(pts, tri, z) @ snap.J_A_m2 + snap.applied_T

    reach = min(x.distance_from_axis_m(bore.center_z_m) for x in result.case.stack)
    return analyse(bore, bz, bz_axis, drift_of(result), reach)


def drift_of(result: Any) -> float | None:
    """``drift_ppm_per_h`` of the bore centre's trace in ``result`` (a ``simulation.Result``)
    over the protocol's closing holds; None without a final hold, a centre trace, or 3 times
    in it, or when the run stopped early."""
    from fluxtrap.simulate.protocol import Hold, relaxation_start

    protocol = result.case.protocol
    if not isinstance(protocol[-1], Hold) or CENTRE_COLUMN not in result.probes or result.error:
        return None
    # the relaxation runs from the end of the last step that changed the field or the
    # temperature: holds in a row are one hold (from the last one's start, a 9 s + 1 s
    # hold told half the drift of the same 10 s hold)
    df = result.probes
    try:
        return drift_ppm_per_h(
            df["time_s"].to_numpy(), df[CENTRE_COLUMN].to_numpy(), relaxation_start(protocol)
        )
    except AnalysisError:  # a hold of fewer than 3 time steps: no drift to tell
        return None


def summary_lines(bore: Mapping[str, Any], errors: Mapping[str, Any] | None = None) -> list[str]:
    """Two lines for people from the ``bore`` part of ``summary.json`` (and the ``accuracy.bore``
    error estimates, if any): centre field, homogeneity, drift; the axial terms in ppm (± the
    mesh's estimate) with the largest quadrature error of theirs. Estimates the run says it did
    not measure (``not_measured``) are left out for a third line saying why (a 3.1e-9 T centre
    estimate of 20 rings 1 mm thick at a 1 mm mesh, its error 4.8e-6 T, was printed as
    measured)."""
    err = measured(errors)
    centre = value_text(bore["centre_T"], err.get("centre_error_T"), ".6g")
    ptp = value_text(bore["homogeneity_ppm"], err.get("homogeneity_error_ppm"), ".4g")
    drift = bore.get("drift_ppm_per_h")
    drift_err = err.get("drift_error_ppm_per_h")  # None: no drift, or stored before it
    mesh = err.get("axial_terms_error_ppm") or {}  # the pair's estimate (``bore_errors``)
    terms = ", ".join(
        f"{name} {value_text(c['ppm_at_dsv'], mesh.get(name), '.4g')}"
        for name, c in bore["axial_coefficients"].items()
        if name != "z0"
    )
    quadrature = [  # None: not finite, or a summary stored before the estimate
        c.get("quadrature_error_ppm") for n, c in bore["axial_coefficients"].items() if n != "z0"
    ]
    if quadrature and all(q is not None for q in quadrature):
        terms += f" (Cauchy-integral error at most {max(quadrature):.2g} ppm)"
    lines = [
        f"bore (DSV {bore['dsv_m'] * 1e3:g} mm at z = {bore['center_z_m'] * 1e3:g} mm): centre "
        f"{centre} T, {ptp} ppm peak-to-peak"
        + (
            f", drift {value_text(drift, drift_err, '.3g')} ppm/h at the end of the hold"
            if drift is not None
            else ""
        ),
        f"axial terms C_n R^n / B0 (ppm): {terms}",
    ]
    if why := (errors or {}).get("not_measured"):
        lines.append(f"bore errors not measured: {why}")
    return lines


def measured(errors: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """``errors`` (``accuracy.bore`` of summary.json), or none where the run says it did not
    measure them (its ``not_measured``: a fixed pair one element across a layer or a bore)."""
    return {} if not errors or errors.get("not_measured") else errors
