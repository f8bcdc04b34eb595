"""A SYNTHETIC virtual lab: spark-plasma-sintering conditions -> Jc(B, 5 K) -> an M(H) loop file.

Nothing here is a measurement. ``VirtualLab`` stands in for the furnace and the magnetometer in the
demo, the tests and benchmarks, so the whole loop (file -> store -> Jc(B) -> optimizer -> magnet)
can run without a lab. Every curve and file it makes says SYNTHETIC.

The landscape is a small, physically motivated process model of K-doped Ba122 bulks. Its
constants were tuned (by differential evolution, once, offline) so that the optima and curves
match the published study's description: Jc(0 T) best near (50 C/min, 596 C, 5 min) at
1.28e5 A/cm^2, Jc(3 T) best near (48 C/min, 554 C, 36 min) at 2.97e4 A/cm^2; at the published
conditions Jc(0 T) = 1.27e5 (Bulk2) and 1.17e5 A/cm^2 (Bulk1), Jc(3 T) = 2.09e4 and 2.97e4 A/cm^2,
crossing below 0.5 T. They are not fitted to measured data.

- thermal budget: the dwell plus an Arrhenius-equivalent share of the heating ramp, ``t_eff`` (min);
- densification / grain connectivity ``K``: an Arrhenius-activated budget ``D = t_eff a_d(T)``,
  ``K = K_min + (1 - K_min)(1 - exp(-D / D0))`` (poorly sintered bulks carry current only inside grains);
- grain growth: ``d^2 = d0^2 + k_g t_eff a_g(T)`` (nm); fine grains give a dense grain-boundary
  network, which carries the large low-field current;
- impurity phases (K loss, FeAs wetting the boundaries) above ~600 C: a factor falling as
  ``exp(-t_eff k_i exp((T - 650 C) / dT_i))`` to a floor;
- heating: slow ramps lose K while heating, fast ramps leave thermal gradients;
- intragranular planar defects (stacking faults, the pinning centres the published work found in
  the long, low-temperature bulk): formed and annealed with different activation energies, so
  their density ``rho = (1 - exp(-t_eff / tau_f)) exp(-t_eff / tau_a)`` peaks at a dwell that
  grows as the temperature falls (like peak ageing).

Jc(B) is a weak-link term, steep in field, plus a pinning term that is flatter the denser the defects:

    Jc(B) = Jw exp(-B / Bw) + Js / (1 + B / Bs)
    Jw = Jw0 K f_imp f_heat (d0 / d)^m,  Js = (Js0 + Jsf rho) K f_imp f_heat (d0 / d)^ms,  Bs = Bs0 + Bs1 rho

so that, as in the published K-Ba122 work, short sintering near 600 C maximises Jc(0 T) (fine,
well-connected grains) and longer sintering below 600 C maximises Jc(3 T) (dense defects), and
the two curves cross at a fraction of a tesla. Each sample gets a seeded sample-to-sample
scatter (log-normal, a few %) on both terms.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from fluxtrap.errors import ValidationError
from fluxtrap.magnetometry import JcCurve, MeasurementTable, synthetic_mh_loop, write_qd_dat
from fluxtrap.units import to_A_cm2

PARAMETERS = ("ramp_rate", "max_temperature", "dwell_time")  # degC/min, degC, min
# Tabulated finer than any sample's self-field: the extended Bean model averages Jc over it, so
# a 0.25 T table's kinks at 1, 2, 3 T read +0.5 % (2 sigma) where the objectives are taken.
FIELDS_T = np.round(np.linspace(0.0, 7.0, 701), 6)  # T, every 0.01 T: no kink in a loop
R_GAS = 8.314462618  # J/(mol K)
T_REF_DEGC = 600.0  # Arrhenius factors are 1 here


@dataclass(frozen=True)
class Landscape:
    """Constants of the synthetic process model (see the module docstring); SI except where named.

    Temperatures of the process are in degC, times in min, grain sizes in nm, energies in J/mol.
    """

    ramp_share: float = (
        0.3  # Arrhenius-equivalent share of the heating above 400 C counted as dwell
    )
    q_densify: float = 241.6e3
    d0_budget_min: float = 2.016
    k_min: float = 0.03  # connectivity floor: current inside grains only
    grain0_nm: float = 25.0
    k_grain_nm2_min: float = 96.5
    q_grain: float = 102.1e3
    k_impurity_per_min: float = 0.492  # impurity formation rate at 650 C
    impurity_width_degC: float = 9.58
    impurity_min: float = 0.05
    k_loss_per_min: float = 0.008  # K loss while heating (slow ramps)
    ramp_gradient_degC_min: float = 233.0  # thermal gradients (fast ramps)
    tau_form_min: float = 5.65  # defect formation time at 600 C
    q_form: float = 115.5e3
    tau_anneal_min: float = 7.47  # defect annealing time at 600 C
    q_anneal: float = 515.3e3
    jw0_A_m2: float = 1.511e9
    weak_link_field_T: float = 0.416
    grain_exponent_weak: float = 0.832
    js0_A_m2: float = 3.815e8
    js_defect_A_m2: float = 4.616e8
    grain_exponent_pinning: float = 0.656
    bs0_T: float = 3.581
    bs_defect_T: float = 4.253


@dataclass(frozen=True)
class Microstructure:
    """What the process model predicts for one set of conditions (noise-free).

    ``connectivity`` K (0..1), ``grain_nm`` mean grain size, ``impurity`` and ``heating`` factors
    (0..1), ``defects`` relative intragranular defect density (0..1), ``t_eff_min`` thermal budget.
    The four Jc(B) terms: ``jw_A_m2`` / ``bw_T`` (weak links) and ``js_A_m2`` / ``bs_T`` (pinning).
    """

    t_eff_min: float
    connectivity: float
    grain_nm: float
    impurity: float
    heating: float
    defects: float
    jw_A_m2: float
    bw_T: float
    js_A_m2: float
    bs_T: float

    def jc(self, field_T: Any) -> np.ndarray:
        """Jc (A/m^2) at ``|field_T|`` (T, any shape)."""
        b = np.abs(np.asarray(field_T, dtype=float))
        return self.jw_A_m2 * np.exp(-b / self.bw_T) + self.js_A_m2 / (1 + b / self.bs_T)


def microstructure(
    ramp_rate: Any, max_temperature: Any, dwell_time: Any, landscape: Landscape = Landscape()
) -> Microstructure:
    """The noise-free process model at ``ramp_rate`` (degC/min), ``max_temperature`` (degC),
    ``dwell_time`` (min); arrays broadcast, so the fields of the result may be arrays."""
    p = landscape
    r = np.asarray(ramp_rate, dtype=float)
    t_c = np.asarray(max_temperature, dtype=float)
    dwell = np.asarray(dwell_time, dtype=float)
    if np.any(r <= 0):
        raise ValidationError(f"virtual lab: ramp_rate must be > 0 degC/min, got {np.min(r):g}")

    def arrhenius(q: float) -> np.ndarray:
        return np.exp(-q / R_GAS * (1 / (t_c + 273.15) - 1 / (T_REF_DEGC + 273.15)))

    t_eff = dwell + p.ramp_share * np.maximum(t_c - 400.0, 0.0) / r
    connectivity = p.k_min + (1 - p.k_min) * (
        1 - np.exp(-t_eff * arrhenius(p.q_densify) / p.d0_budget_min)
    )
    grain = np.sqrt(p.grain0_nm**2 + p.k_grain_nm2_min * t_eff * arrhenius(p.q_grain))
    impurity = p.impurity_min + (1 - p.impurity_min) * np.exp(
        -t_eff * p.k_impurity_per_min * np.exp((t_c - 650.0) / p.impurity_width_degC)
    )
    heating = np.exp(-p.k_loss_per_min * (t_c - 25.0) / r - (r / p.ramp_gradient_degC_min) ** 2)
    tau_f = p.tau_form_min / arrhenius(p.q_form)
    tau_a = p.tau_anneal_min / arrhenius(p.q_anneal)
    defects = (1 - np.exp(-t_eff / tau_f)) * np.exp(-t_eff / tau_a)
    common = connectivity * impurity * heating
    fine = p.grain0_nm / grain
    return Microstructure(
        t_eff_min=t_eff,
        connectivity=connectivity,
        grain_nm=grain,
        impurity=impurity,
        heating=heating,
        defects=defects,
        jw_A_m2=p.jw0_A_m2 * common * fine**p.grain_exponent_weak,
        bw_T=np.full_like(common, p.weak_link_field_T),
        js_A_m2=(p.js0_A_m2 + p.js_defect_A_m2 * defects) * common * fine**p.grain_exponent_pinning,
        bs_T=p.bs0_T + p.bs_defect_T * defects,
    )


@dataclass(frozen=True)
class SyntheticSample:
    """One SYNTHETIC sample of the virtual lab: its conditions, its true Jc(B) and its M(H) loop file.

    ``params`` in campaign units (degC/min, degC, min); ``jc``: the lab's Jc(B, 5 K) with this
    sample's scatter (the truth the file was made from); ``filename`` / ``content``: the MPMS3-style
    ``.dat`` file (header says SYNTHETIC); ``cut_m``: the bar's edges a <= b across the field, c along it.
    """

    label: str
    params: Mapping[str, float]
    jc: JcCurve
    filename: str
    content: bytes = field(repr=False)
    cut_m: tuple[float, float, float]
    seed: int
    synthetic: bool = True

    def __repr__(self) -> str:
        p = self.params
        return (
            f"<SyntheticSample {self.label}: {p['ramp_rate']:g} degC/min, {p['max_temperature']:g} degC, "
            f"{p['dwell_time']:g} min; Jc(0 T) {to_A_cm2(self.jc.at(0.0)):.3g}, Jc(3 T) "
            f"{to_A_cm2(self.jc.at(3.0)):.3g} A/cm^2 at 5 K; SYNTHETIC>"
        )


class VirtualLab:
    """A SYNTHETIC furnace + magnetometer: conditions -> Jc(B) at 5 K -> M(H) loop file.

    Args:
        seed: base seed; a sample's scatter and file noise depend only on it and the sample label.
        scatter: relative sample-to-sample scatter (log-normal sigma) of the two Jc terms.
        cut_m: sample bar edges (a, b, c) in m, a <= b across the field, c along it.
        noise_emu: SQUID noise (standard deviation) on the moment, emu.
        background_emu_per_T: linear background of the sample holder, emu/T.
        landscape: constants of the process model.
    """

    temperature_K = 5.0
    field_max_T = 7.0

    def __init__(
        self,
        seed: int = 0,
        *,
        scatter: float = 0.04,
        cut_m: tuple[float, float, float] = (0.5e-3, 1.2e-3, 2.8e-3),
        noise_emu: float = 2e-5,
        background_emu_per_T: float = -4e-4,
        landscape: Landscape = Landscape(),
    ) -> None:
        self.seed = int(seed)
        self.scatter = float(scatter)
        self.cut_m = tuple(float(x) for x in cut_m)
        self.noise_emu = float(noise_emu)
        self.background_emu_per_T = float(background_emu_per_T)
        self.landscape = landscape

    def __repr__(self) -> str:
        a, b, c = (x * 1e3 for x in self.cut_m)
        return (
            f"VirtualLab(SYNTHETIC, seed={self.seed}, scatter={self.scatter:g}, cut {a:g} x {b:g} x {c:g} mm, "
            f"noise {self.noise_emu:g} emu)"
        )

    @staticmethod
    def conditions(params: Mapping[str, Any]) -> tuple[float, float, float]:
        """``(ramp_rate, max_temperature, dwell_time)`` from a campaign parameter mapping."""
        missing = [k for k in PARAMETERS if k not in params]
        if missing:
            raise ValidationError(f"virtual lab: missing process parameter(s) {', '.join(missing)}")
        return tuple(float(params[k]) for k in PARAMETERS)

    def expected_jc(self, params: Mapping[str, Any], field_T: Any) -> np.ndarray:
        """Noise-free Jc (A/m^2) at ``field_T`` for the conditions ``params`` (values may be arrays)."""
        return microstructure(*self.conditions(params), self.landscape).jc(field_T)

    def sample_seed(self, label: str) -> int:
        """The seed of one sample: from the lab's seed and the label only (order-independent)."""
        return int(
            np.random.SeedSequence([self.seed, zlib.crc32(label.encode())]).generate_state(1)[0]
        )

    def jc_curve(self, params: Mapping[str, Any], label: str) -> JcCurve:
        """Jc(B, 5 K) of the sample ``label`` made at ``params``: the model with this sample's scatter."""
        m = microstructure(*self.conditions(params), self.landscape)
        rng = np.random.default_rng(self.sample_seed(label))
        jw, js = np.exp(rng.normal(0.0, self.scatter, 2)) * (float(m.jw_A_m2), float(m.js_A_m2))
        b = FIELDS_T
        jc = jw * np.exp(-b / float(m.bw_T)) + js / (1 + b / float(m.bs_T))
        return JcCurve(
            field_T=b,
            jc_A_m2=jc,
            temperature_K=self.temperature_K,
            source=f"virtual lab {label} (SYNTHETIC)",
            method="virtual_lab",
            settings={
                "synthetic": True,
                "seed": self.seed,
                "scatter": self.scatter,
                "landscape": asdict(self.landscape),
            },
        )

    def loop_table(self, jc: JcCurve, label: str) -> MeasurementTable:
        """The SYNTHETIC M(H) loop (0 -> 7 -> -7 -> 7 T at 5 K) of the sample's bar cut."""
        a, b, c = self.cut_m
        return synthetic_mh_loop(
            jc,
            a,
            b,
            c,
            temperature_K=self.temperature_K,
            field_max_T=self.field_max_T,
            background_emu_per_T=self.background_emu_per_T,
            noise_emu=self.noise_emu,
            seed=self.sample_seed(label) % 2**31,
            sample_name=label,
        )

    def make(self, params: Mapping[str, Any], label: str) -> SyntheticSample:
        """Sinter, cut and measure one SYNTHETIC sample: its Jc(B) and MPMS3-style ``.dat`` file."""
        jc = self.jc_curve(params, label)
        buffer = io.StringIO(newline="")
        write_qd_dat(self.loop_table(jc, label), buffer, sample_name=label, synthetic=True)
        return SyntheticSample(
            label=label,
            params={k: float(params[k]) for k in PARAMETERS},
            jc=jc,
            filename=f"{label}_MH_5K_SYNTHETIC.dat",
            content=buffer.getvalue().encode("utf-8"),
            cut_m=self.cut_m,
            seed=self.sample_seed(label),
        )
