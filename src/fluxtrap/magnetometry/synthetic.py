"""SYNTHETIC M(H) loops from a known Jc(B), and an MPMS3-style ``.dat`` writer for them.

Not a measurement: for round-trip tests and the demo's virtual lab. The model is the critical
state of a long a x b bar in the applied field: local Jc(B) with |grad B| = mu0 Jc(B), flux
entering and leaving from the surface with the full field history, so B depends on the depth x
from the nearest edge alone, which the rectangle's area 2 (a + b - 4x) dx / (a b) weighs; fully
penetrated it has the extended-Bean moment m = Jc a (1 - a/(3b)) V / 4 (with Jc(B), Bean's
self-field bias of the long bar, not a slab's: 0.6 of it for a square; a slab scaled to that
moment had read 1.67x). Demagnetization is
neglected, except that a plate thinner along the field than across it is a slab of the
half-width ``bean.penetration_depth`` (the thin strip's field scale, Brandt & Indenbom 1993) rather
than a / 2, scaled to that moment: its self-field and penetration field are those of the plate, not 3.4x larger as
they were for a 2 x 2 x 0.3 mm plate. A linear background and Gaussian noise are added.

A cylinder (``shape="cylinder"``, diameter a = b, thickness c) is the long cylinder's critical
state across its radius R: the same profiles in the depth x = R - r, averaged with the area
weight 2 r / R^2, so that fully penetrated it carries M = Jc R / 3, the moment
m = pi Jc R^3 c / 3 of a fully penetrated disc. Its depth is the cylinder's
``bean.penetration_depth``, h asinh(R / h) for a thickness 2h (R for a long rod, less for a disc:
its self-field and penetration field are the cylinder's own), and the moment is scaled to that
closed form.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from fluxtrap.errors import ValidationError
from fluxtrap.magnetometry.jc import JcCurve
from fluxtrap.magnetometry.loops import check_sample, sample_text, sample_volume
from fluxtrap.magnetometry.table import MU0, MeasurementTable, TableMetadata

EMU = 1e-3  # A*m^2


def critical_state_moment(
    jc: JcCurve | Callable[[np.ndarray], np.ndarray],
    fields_T: np.ndarray,
    a_m: float,
    b_m: float,
    c_m: float,
    *,
    n_x: int = 400,
    shape: str = "bar",
) -> np.ndarray:
    """Irreversible moment (A*m^2) of the bar (or cylinder, ``shape``; edges in m or with a unit,
    ``check_sample``) along the applied-field history ``fields_T``, ``(n,)``.

    Starts from the virgin state (no flux) at the first field. Profiles use the inverse of
    G(B) = int_0^B dB' / (mu0 Jc(B')): from a surface field Bs a front rising inward is
    G^-1(G(Bs) + x), one falling inward G^-1(G(Bs) - x), x the depth; each field step keeps the
    old profile where the new front has not reached it (max for a rising field, min for falling).
    """
    a_m, b_m, c_m = check_sample(a_m, b_m, c_m, shape)
    from fluxtrap.magnetometry.bean import penetration_depth

    jc_of = jc.at if isinstance(jc, JcCurve) else jc
    fields_T = np.asarray(fields_T, dtype=float)
    half = penetration_depth(a_m, c_m, shape)  # a / 2 unless a thin plate or a cylinder
    x = np.linspace(0.0, half, n_x)
    jc0 = float(np.max(jc_of(np.array([0.0]))))
    if not np.isfinite(jc0):
        raise ValidationError(f"synthetic loop: Jc(B) must be finite; it is {jc0} A/m^2 at B = 0 T")
    reach = MU0 * jc0 * half * 1.5 + 0.1
    bmax = float(np.max(np.abs(fields_T))) + reach
    btab = np.linspace(-bmax, bmax, 40001)
    jc_tab = np.asarray(jc_of(btab), dtype=float)
    bad = ~(jc_tab >= 0)  # NaN or negative
    if bad.any() or not jc_tab.max() > 0:
        at = btab[np.argmax(bad)] if bad.any() else 0.0
        value = float(jc_tab[np.argmax(bad)]) if bad.any() else 0.0
        raise ValidationError(
            "synthetic loop: Jc(B) must be finite, >= 0 and somewhere > 0; it is "
            f"{value:.4g} A/m^2 at B = {at:.4g} T"
        )
    # Jc = 0 (above an irreversibility field) is a reversible range: the profile follows the
    # surface at once; a floor of 1e-9 of the peak keeps G finite (inf had made every moment NaN
    # or garbage: 8.7e-3 A m^2 at B = 0 of the virgin state for Jc = 1e9 (1 - B/5 T)^2)
    inv = 1.0 / (MU0 * np.maximum(jc_tab, 1e-9 * jc_tab.max()))
    gtab = np.concatenate([[0.0], np.cumsum(0.5 * (inv[1:] + inv[:-1]) * np.diff(btab))])
    profile = np.zeros(n_x)  # virgin: no flux inside
    previous = 0.0
    moment = np.empty(fields_T.size)
    if shape == "cylinder":
        # area weight 2 r / R^2 in the depth x = R - r (over the cylinder's own depth): the
        # mean field mu0 Jc half / 3 fully penetrated -> the disc's moment pi Jc R^3 c / 3
        weight = 2.0 * (1.0 - x / half) / half
        factor = sample_volume(a_m, b_m, c_m, shape) * (a_m / 2) / half
    elif half < a_m / 2:  # a thin plate: the slab of its strip's depth, scaled to Bean's moment
        weight = np.full(n_x, 1.0 / half)
        # the slab's fully penetrated mean field mu0 Jc half / 2 -> the bar's moment Jc a (1 - a/3b) V / 4
        factor = (1.0 - a_m / (3.0 * b_m)) * a_m * b_m * c_m * a_m / (2 * half)
    else:  # a long bar: the a x b rectangle's area at depth x from its edges, 2 (a + b - 4x) dx
        weight = 2.0 * (a_m + b_m - 4.0 * x) / (a_m * b_m)
        factor = sample_volume(a_m, b_m, c_m, shape)
    for k, bs in enumerate(fields_T):
        gs = np.interp(bs, btab, gtab)
        if bs >= previous:
            profile = np.maximum(profile, np.interp(gs - x, gtab, btab))
        else:
            profile = np.minimum(profile, np.interp(gs + x, gtab, btab))
        previous = bs
        mean_b = np.trapezoid(profile * weight, x)
        moment[k] = (mean_b - bs) / MU0 * factor
    return moment


def loop_fields(field_max_T: float, n_points: int) -> np.ndarray:
    """Field history of a full loop with virgin curve: 0 -> +max -> -max -> +max, T.

    ``n_points`` per half-branch (0 -> max), so the loop has 5 * n_points - 4 points on one grid.
    """
    up = np.linspace(0.0, field_max_T, n_points)
    down = np.linspace(field_max_T, -field_max_T, 2 * n_points - 1)
    return np.concatenate([up, down[1:], down[::-1][1:]])


def synthetic_mh_loop(
    jc: JcCurve | Callable[[np.ndarray], np.ndarray],
    a_m: float,
    b_m: float,
    c_m: float,
    *,
    temperature_K: float = 5.0,
    field_max_T: float = 7.0,
    n_points: int = 141,
    background_emu_per_T: float = 0.0,
    noise_emu: float = 0.0,
    sweep_rate_T_s: float = 0.01,
    seed: int | None = 0,
    sample_name: str = "synthetic",
    shape: str = "bar",
) -> MeasurementTable:
    """A SYNTHETIC M(H) loop (virgin, decreasing, increasing branch) of an a x b x c bar (m, or
    with a unit, "0.5 mm"), or of a cylinder of diameter a = b and thickness c (``shape="cylinder"``).

    ``jc``: a ``JcCurve`` or a vectorised callable B (T) -> Jc (A/m^2), e.g. ``jc.kim(...)``.
    ``n_points`` per 0..max half-branch; ``background_emu_per_T`` a linear (para/diamagnetic)
    background; ``noise_emu`` the standard deviation of Gaussian noise on the moment (seeded).
    """
    a_m, b_m, c_m = check_sample(a_m, b_m, c_m, shape)
    b = loop_fields(field_max_T, n_points)
    m = critical_state_moment(jc, b, a_m, b_m, c_m, shape=shape)
    rng = np.random.default_rng(seed)
    m = m + background_emu_per_T * EMU * b + rng.normal(0.0, noise_emu * EMU, b.size)
    time = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(b)))]) / sweep_rate_T_s
    meta = TableMetadata(
        filename=f"{sample_name}.dat",
        instrument="MPMS3",
        mode="VSM",
        sample_name=sample_name,
        title="SYNTHETIC M(H) loop generated by fluxtrap (not a measurement)",
        synthetic=True,
        info={
            "SAMPLE_MATERIAL": sample_name,
            "SAMPLE_COMMENT": f"SYNTHETIC: critical-state {shape} model, "
            "fluxtrap.magnetometry.synthetic",
            "SAMPLE_SIZE": sample_text(a_m, b_m, c_m, shape),
            "SYNTHETIC_SETTINGS": (
                f"T={temperature_K:g} K; Bmax={field_max_T:g} T; background={background_emu_per_T:g} emu/T; "
                f"noise={noise_emu:g} emu; seed={seed}"
            ),
        },
    )
    return MeasurementTable.from_arrays(
        b,
        m,
        meta,
        temperature_K=np.full(b.size, float(temperature_K)),
        time_s=time,
        moment_err_Am2=np.full(b.size, noise_emu * EMU),
    )


_COLUMNS = (
    "Comment",
    "Time Stamp (sec)",
    "Temperature (K)",
    "Magnetic Field (Oe)",
    "Moment (emu)",
    "M. Std. Err. (emu)",
)


def write_qd_dat(
    table: MeasurementTable,
    path_or_buffer: str | Path | io.TextIOBase,
    *,
    sample_name: str | None = None,
    synthetic: bool = True,
) -> None:
    """Write ``table`` as an MPMS3-style VSM ``.dat`` file (CRLF, comma-delimited, 6 columns).

    With ``synthetic`` (the default) the TITLE and SAMPLE_COMMENT say SYNTHETIC, so the file can
    never pass for a measurement.
    """
    name = sample_name or table.metadata.sample_name or "sample"
    title = (
        "SYNTHETIC data generated by fluxtrap (not a measurement)"
        if synthetic
        else table.metadata.title
    )
    info = dict(table.metadata.info)
    info["SAMPLE_MATERIAL"] = name
    if synthetic and "SYNTHETIC" not in info.get("SAMPLE_COMMENT", "").upper():
        info["SAMPLE_COMMENT"] = "SYNTHETIC " + info.get("SAMPLE_COMMENT", "")
    info.setdefault("APPNAME", "fluxtrap synthetic writer")

    def cell(v: Any) -> str:
        text = str(v).replace('"', "'")
        return f'"{text}"' if "," in text else text

    out = [
        "[Header]",
        "; MPMS3 Data File (default extension .dat)",
        f"TITLE,{cell(title)}",
        "BYAPP,MPMS3 (fluxtrap synthetic),1.0,1.1",
    ]
    out += [f"INFO,{cell(v)},{k}" for k, v in info.items()]
    out += ["[Data]", ",".join(_COLUMNS)]
    oe = 1e4  # mu0 H = 1 T is H = 1e4 Oe
    err = np.where(np.isfinite(table.moment_err_Am2), table.moment_err_Am2 / EMU, np.nan)
    for k in range(len(table)):
        vals = (
            table.time_s[k],
            table.temperature_K[k],
            table.field_T[k] * oe,
            table.moment_Am2[k] / EMU,
            err[k],
        )
        out.append("," + ",".join("" if not np.isfinite(v) else f"{v:.10g}" for v in vals))
    text = "\r\n".join(out) + "\r\n"
    if isinstance(path_or_buffer, str | Path):
        Path(path_or_buffer).write_bytes(text.encode("utf-8"))
    else:
        path_or_buffer.write(text)
