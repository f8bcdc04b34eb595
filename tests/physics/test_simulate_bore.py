"""The bore of a ring stack after FCM against closed forms: harmonics and homogeneity of the
critical state's current, and the drift of its relaxation.

Three rings (r 8..15 mm, 5 mm thick, 1 mm gaps), field-cooled at 3 T and ramped to 0 at
0.01 T/s with constant Jc: fully penetrated, each ring carries the steady-ramp critical state
J(r) = Jc (rate r / 2 E0)^(1/n) (see ``test_simulate_rings``), whose on-axis field is a sum of
thin solenoids in closed form. Its coefficients C_n come from that closed form through
``bore.axis_coefficients`` (checked against current loops in ``tests/unit/simulate/test_bore``),
and the sphere's peak-to-peak from the series sum C_n R^n P_n(cos theta) (n <= 8, whose
remainder is < 1 ppm here).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.polynomial import legendre as L
from scipy.special import ellipe, ellipk

from fluxtrap.simulate import Case, simulate
from fluxtrap.simulate.bore import ORDER, axis_coefficients, summary_lines
from fluxtrap.units import MU0
from tests.conftest import EXAMPLES
from tests.physics.test_simulate_rings import E0, GAUSS_400, JC, power_law_axis_field

RI, RO, T, RATE = 8e-3, 15e-3, 5e-3, 0.01
ZS = (0.0, 6e-3, 12e-3)
ZC, R = 8.5e-3, 3e-3  # the stack's mid height; DSV 6 mm


def ring_stack(n: float, hold_s: float = 0.0) -> dict:
    protocol = [
        {"step": "set", "field": "3 T", "temperature": "5 K"},
        {"step": "ramp_field", "to": "0 T", "rate": f"{RATE} T/s"},
    ]
    if hold_s:
        protocol.append({"step": "hold", "duration": f"{hold_s} s"})
    ring = {"material": "sc", "radius": f"{RO} m", "inner_radius": f"{RI} m", "thickness": f"{T} m"}
    return {
        "materials": {"sc": {"n": n, "e0": "1e-4 V/m", "jc": {"constant": f"{JC} A/m^2"}}},
        "stack": [{**ring, "z": f"{z} m"} for z in ZS],
        "protocol": protocol,
        "mesh": {"size": "1 mm"},
        "bore": {"dsv": f"{2 * R} m"},
    }


@pytest.mark.filterwarnings("ignore::fluxtrap.simulate.simulation.AccuracyWarning")
def test_bore_harmonics_and_homogeneity_after_fcm_match_the_critical_state():
    """Centre field within 1e-3 (measured 1.6e-5), each even C_n R^n / B0 (n = 2, 4, 6: -38947,
    282, -63 ppm) within 2 ppm (measured 0.2), odd ones (zero: the stack is symmetric about z_c)
    below 2 ppm, each within its estimated error, the peak-to-peak (58315 ppm) within 0.1%
    (measured 5e-5). At 0.5 mm these move by < 0.2 ppm."""
    res = simulate(ring_stack(35))
    bore = res.bore

    def reference(z):
        """The closed form on the axis, continued to complex z (``axis_coefficients``' circle)."""
        x, w = GAUSS_400
        r = 0.5 * (RO + RI) + 0.5 * (RO - RI) * x
        J = JC * (RATE * r / (2 * E0)) ** (1 / 35)
        u = np.asarray(z)[:, None] - np.array(ZS)[:, None, None]  # (layers, z, nodes)
        F = u / np.sqrt(u**2 + r**2) - (u - T) / np.sqrt((u - T) ** 2 + r**2)
        return 0.5 * MU0 * (F * 0.5 * (RO - RI) * w * J).sum(axis=(0, 2))

    assert reference(np.array([ZC]))[0] == pytest.approx(
        sum(power_law_axis_field(RI, RO, z0, z0 + T, ZC, RATE, 35) for z0 in ZS), rel=1e-12
    )
    c = axis_coefficients(reference, ZC, 0.5 * RI)  # half way to the middle ring's wall
    ppm = c * R ** np.arange(len(c)) / c[0] * 1e6
    assert bore.centre_T == pytest.approx(c[0], rel=1e-3)
    assert bore.coefficients_ppm[[2, 4, 6]] == pytest.approx(ppm[[2, 4, 6]], abs=2.0)
    assert np.abs(bore.coefficients_ppm[[1, 3, 5, 7]]).max() < 2.0
    # each term's estimated error (the 1 mm / 2 mm pair's) covers its true one, z1..z8: 0.19,
    # 0.22, 0.010, 0.019, 0.0068, 0.0064, 0.0008, 0.0008 ppm for 1.02-13x those (there was none)
    est = res.accuracy["bore"]["axial_terms_error_ppm"]
    true = np.abs(bore.coefficients_ppm - ppm)
    assert all(true[n] <= est[f"z{n}"] <= 20 * true[n] + 0.05 for n in range(1, ORDER + 1))
    theta = np.linspace(0, np.pi, 721)
    series = L.legval(np.cos(theta), c * R ** np.arange(len(c)))
    assert bore.homogeneity_ppm == pytest.approx(
        (series.max() - series.min()) / c[0] * 1e6, rel=1e-3
    )
    assert bore.axial[:, 1].max() == pytest.approx(bore.centre_T, rel=1e-9)  # C_2 < 0: a maximum


@pytest.mark.filterwarnings("ignore::fluxtrap.simulate.simulation.AccuracyWarning")
@pytest.mark.parametrize("n", [15, 60])
def test_bore_drift_after_fcm_follows_the_power_law_creep_rate(n):
    """After an hour's hold the relaxing critical state decays as J ~ t^(-1/(n-1))
    (analytic.md), so the bore centre drifts by -3.6e9 / ((n - 1) t) ppm/h: -71400 ppm/h at
    n = 15 and -16900 at n = 60, within 2% (measured 0.6% and 0.07%; the ramp's end sets a
    small delay tau, which only lowers the rate, as t / (t + tau); a run at rtol 1e-5 and
    max_step 4 s tells -71580 at n = 15, so 0.4% of the 0.6% is this run's time error). The
    drift's own estimate (accuracy.bore.drift_error_ppm_per_h: mostly its time part, from the
    pair's steps halved) is within a factor 2 of its difference from the run at rtol 1e-5
    (from the coarse run's every other step it was 2.7x at n = 15)."""
    res = simulate(ring_stack(n, hold_s=3600))
    assert res.bore.drift_ppm_per_h == pytest.approx(-3.6e9 / ((n - 1) * 3600), rel=0.02)
    summary = res.summary()["bore"]
    assert summary["drift_ppm_per_h"] == res.bore.drift_ppm_per_h
    # the estimate covers the time error of the hour's hold (about 1 % of the centre field at
    # the default rtol 1e-3): within a factor 3 of the difference from a run at rtol 1e-5 (its
    # own time error is about a fifth of that; the space error of the centre is 1.6e-5, above)
    tight = simulate(Case.from_dict(ring_stack(n, hold_s=3600)).with_options(rtol=1e-5))
    errors = res.summary()["accuracy"]["bore"]
    est = errors["centre_error_T"]
    assert 1 / 3 < est / abs(res.bore.centre_T - tight.bore.centre_T) < 3
    drift = errors["drift_error_ppm_per_h"]
    true = abs(res.bore.drift_ppm_per_h - tight.bore.drift_ppm_per_h)
    assert 1 / 2 < drift / true < 2, (drift, true)  # measured 1.0 (n = 15: 471 / 471 ppm/h)


@pytest.mark.filterwarnings("ignore::fluxtrap.simulate.simulation.AccuracyWarning")
def test_the_drift_estimate_of_the_example_ring_stack_is_its_time_error():
    """examples/ring_stack.toml (1 mm, 7 T -> 0 at 4.8 T/h, 6000 s hold): its drift -12 348 ppm/h
    is 26 ppm/h off the same mesh at rtol 1e-5 (-12 374; at 1e-6 -12 374.3). The coarse run's
    every other step ends the hold with a step of another dt / t than the fine run's last (cut
    short to end the hold), which bends the slope of its ln B: the pair's difference read 784
    ppm/h (30x). Halving the steps keeps their pattern: the estimate is within a factor 4 of the
    truth (measured 57 ppm/h, 2.2x)."""
    case = Case.load(EXAMPLES / "ring_stack.toml")
    res, tight = simulate(case), simulate(case.with_options(rtol=1e-5))
    drift = res.summary()["accuracy"]["bore"]["drift_error_ppm_per_h"]
    true = abs(res.bore.drift_ppm_per_h - tight.bore.drift_ppm_per_h)
    assert 1 / 4 < drift / true < 4, (drift, true)


@pytest.mark.filterwarnings("ignore::fluxtrap.simulate.simulation.AccuracyWarning")
def test_holds_in_a_row_drift_as_one_hold():
    """The hour's hold of n = 15 written as 3000 s + 600 s: the relaxation runs from the ramp's
    end, so the drift is the same -71400 ppm/h within 3% (measured -73070, 2.3%: the second
    hold restarts the time steps, whose time error bends the trace's last decade; one hold
    -71860, a converged run -71580); fitted from the last hold's start it was -33970 ppm/h
    (t' = 60..600 s of a decay that began 3000 s earlier)."""
    case = ring_stack(15, hold_s=3000)
    case["protocol"].append({"step": "hold", "duration": "600 s"})
    res = simulate(case)
    assert res.bore.drift_ppm_per_h == pytest.approx(-3.6e9 / (14 * 3600), rel=0.03)


def hand_biot_savart(ri, ro, t, zs, rate, n, r, z, nodes=200):
    """Bz (T) at (r, z) (m) of rings r ri..ro, t tall, bottoms at ``zs``, carrying the
    steady-ramp critical state J(r) = Jc (rate r / 2 E0)^(1/n): the off-axis loop field
    mu0 I / (2 pi sqrt(q)) [K(m) + (a^2 - r^2 - dz^2) / ((a - r)^2 + dz^2) E(m)],
    q = (a + r)^2 + dz^2, m = 4 a r / q, over ``nodes`` x ``nodes`` Gauss-Legendre points of
    each cross-section (written out here, independent of ``probes``)."""
    x, w = L.leggauss(nodes)
    a, wa = (ri + ro) / 2 + (ro - ri) / 2 * x, w * (ro - ri) / 2
    current = wa * JC * (rate * a / (2 * E0)) ** (1 / n)
    out = np.zeros_like(r)
    for z0 in zs:
        zl, wz = z0 + t / 2 * (1 + x), w * t / 2
        dz = z[None, None, :] - zl[None, :, None]
        aa, rr = a[:, None, None], r[None, None, :]
        q = (aa + rr) ** 2 + dz**2
        m = 4 * aa * rr / q
        loop = (
            MU0
            / (2 * np.pi * np.sqrt(q))
            * (ellipk(m) + (aa**2 - rr**2 - dz**2) / ((aa - rr) ** 2 + dz**2) * ellipe(m))
        )
        out += np.einsum("i,j,ijk->k", current, wz, loop)
    return out


@pytest.mark.filterwarnings("ignore::fluxtrap.simulate.simulation.AccuracyWarning")
def test_a_sphere_near_the_bore_wall_against_a_hand_biot_savart_within_the_error_estimate():
    """Two rings of another shape (bore 8 mm, 24 mm across, 3 mm tall, 2 mm gap), FCM 3 T -> 0
    at 0.01 T/s, a 6 mm DSV: the sphere reaches 3/4 of the bore radius, where the axial series
    to n = 8 is 765 ppm short (0.56 %), so the peak-to-peak is checked against the field on the
    sphere itself (hand Biot-Savart of the critical state, 181 angles): 134564.0 ppm, centre
    0.325026 T. At 1 mm the run is 2.0 ppm and 1.4e-5 T off (0.5 mm: 0.23 ppm, 4e-6 T; 0.25 mm:
    0.01 ppm, 1e-6 T) and accuracy.bore says 15 ppm and 5.1e-5 T (1.8 ppm, 1.0e-5 T at 0.5 mm):
    each difference must lie within its estimate, and the estimate within 20 x of it (not
    vacuous)."""
    ri, ro, t, gap, rate, radius = 4e-3, 12e-3, 3e-3, 2e-3, 0.01, 3e-3
    zs, zc = (0.0, t + gap), t + gap / 2
    ring = {"material": "sc", "radius": f"{ro} m", "inner_radius": f"{ri} m", "thickness": f"{t} m"}
    res = simulate(
        {
            "materials": {"sc": {"n": 35, "e0": f"{E0} V/m", "jc": {"constant": f"{JC} A/m^2"}}},
            "stack": [{**ring, "z": f"{z} m"} for z in zs],
            "protocol": [
                {"step": "set", "field": "3 T", "temperature": "5 K"},
                {"step": "ramp_field", "to": "0 T", "rate": f"{rate} T/s"},
            ],
            "mesh": {"size": "1 mm"},
            "bore": {"dsv": f"{2 * radius} m"},
        }
    )
    theta = np.linspace(0, np.pi, 181)
    r = np.concatenate([[0.0], radius * np.sin(theta)])
    z = np.concatenate([[zc], zc + radius * np.cos(theta)])
    b = hand_biot_savart(ri, ro, t, zs, rate, 35, r, z)
    ppm = (b.max() - b.min()) / b[0] * 1e6
    errors = res.summary()["accuracy"]["bore"]
    for got, want, est in (
        (res.bore.homogeneity_ppm, ppm, errors["homogeneity_error_ppm"]),
        (res.bore.centre_T, b[0], errors["centre_error_T"]),
    ):
        assert abs(got - want) <= est <= 20 * abs(got - want)


def critical_state_taylor(ri, ro, z1, z2, zc, rate, n, order=8):
    """C_k (T/m^k), k = 0..``order``, of the on-axis field about ``zc`` of a layer ri..ro x z1..z2
    (m) in the steady-ramp critical state: Bz = mu0/2 int J(r) [F(z - z1) - F(z - z2)] dr with
    F(u) = u / R0, R0 = sqrt(u^2 + r^2), whose k-th derivative is
    r^2 (-1)^(k-1) (k-1)! P'_k(u / R0) / R0^(k+2) (k >= 1), 400-point Gauss-Legendre in r."""
    from math import factorial

    x, w = GAUSS_400
    r = 0.5 * (ro + ri) + 0.5 * (ro - ri) * x
    weight = 0.5 * MU0 * 0.5 * (ro - ri) * w * JC * (rate * r / (2 * E0)) ** (1 / n)

    def derivative(u, k):
        r0 = np.hypot(u, r)
        if k == 0:
            return u / r0
        dp = L.legval(u / r0, L.legder(np.eye(k + 1)[k]))
        return r**2 * (-1) ** (k - 1) * factorial(k - 1) * dp / r0 ** (k + 2)

    return np.array(
        [
            np.sum(weight * (derivative(zc - z1, k) - derivative(zc - z2, k))) / factorial(k)
            for k in range(order + 1)
        ]
    )


@pytest.mark.filterwarnings("ignore::fluxtrap.simulate.simulation.AccuracyWarning")
def test_the_axial_terms_of_a_sphere_above_a_disk_match_its_critical_state():
    """A disk 10 mm across, 4 mm tall, FCM 3 T -> 0 at 0.01 T/s (fully penetrated: the
    steady-ramp critical state of ``test_simulate_rings``), a 4 mm sphere 0.1 mm (0.05 R) above
    its top face: each C_n R^n / B0 (n = 1..8: -940 768, 546 689, ..., 19 710 ppm) within 100
    ppm of the critical state's closed-form Taylor coefficients (measured 32 ppm at this 0.5 mm
    mesh, 136 at 1 mm, 12.6 at 0.25 mm: the mesh's share). The Legendre projection over the
    sphere's diameter, used before, was 5 739 .. 883 375 ppm off for n = 3..8 on the same run
    (0.25 R above: 4 064 ppm)."""
    ro, t, radius = 5e-3, 4e-3, 2e-3
    zc = t + 1.05 * radius
    res = simulate(
        {
            "materials": {"sc": {"n": 35, "e0": f"{E0} V/m", "jc": {"constant": f"{JC} A/m^2"}}},
            "stack": [{"material": "sc", "radius": f"{ro} m", "thickness": f"{t} m"}],
            "protocol": [
                {"step": "set", "field": "3 T", "temperature": "5 K"},
                {"step": "ramp_field", "to": "0 T", "rate": "0.01 T/s"},
            ],
            "mesh": {"size": "0.5 mm"},
            "bore": {"dsv": f"{2 * radius} m", "center_z": f"{zc} m"},
        }
    )
    c = critical_state_taylor(1e-12, ro, 0.0, t, zc, 0.01, 35)
    want = c * radius ** np.arange(len(c)) / c[0] * 1e6
    assert res.bore.centre_T == pytest.approx(c[0], rel=1e-3)
    assert res.bore.coefficients_ppm == pytest.approx(want, abs=100)


@pytest.mark.parametrize("size, under", [("2 mm", 5), ("1 mm", 2)])
def test_a_bore_narrower_than_the_pairs_elements_is_said_unmeasured(size, under):
    """A ring of bore 1 mm (r 0.5..10 mm, 5 mm tall), FCM 3 T -> 0 at 0.01 T/s, a 0.6 mm DSV:
    where the pair's elements are wider than the bore radius, both runs' elements at its wall
    follow the bore, whose wall currents set the bore's field, and the pair measures little of
    their error. The centre's estimate was 10x / 3.7x under its error against the critical
    state's closed form at 2 / 1 mm (the homogeneity's 5x / 1.7x, z2's 43x / 5.8x) and the run
    said its 1 % target reached; it now says the target was not checked, naming the bore and
    the size that measures it (0.5 mm, where the estimate covers the error: 2.7e-4 T for
    6.4e-5 T)."""
    from fluxtrap.simulate.simulation import AccuracyWarning
    from fluxtrap.store.backup import SIMULATION_SUMMARY, _check_shape

    ri, ro, t = 0.5e-3, 10e-3, 5e-3
    case = {
        "materials": {"sc": {"n": 35, "e0": f"{E0} V/m", "jc": {"constant": f"{JC} A/m^2"}}},
        "stack": [
            {
                "material": "sc",
                "radius": f"{ro} m",
                "inner_radius": f"{ri} m",
                "thickness": f"{t} m",
            }
        ],
        "protocol": [
            {"step": "set", "field": "3 T", "temperature": "5 K"},
            {"step": "ramp_field", "to": "0 T", "rate": "0.01 T/s"},
        ],
        "bore": {"dsv": "0.6 mm"},
    }
    truth = power_law_axis_field(ri, ro, 0.0, t, t / 2, 0.01, 35)
    with pytest.warns(AccuracyWarning, match="not checked") as record:
        res = simulate({**case, "mesh": {"size": size}})
    acc = res.accuracy
    assert not acc["reached"] and acc["note"].startswith(str(record[0].message))
    assert "across the bore of stack[0] (radius 0.5 mm)" in acc["note"]
    assert "give [mesh] size at most 0.5 mm" in acc["note"]
    assert abs(res.bore.centre_T - truth) > under * acc["bore"]["centre_error_T"]
    # the bore's numbers say so too, not printed as measured (summary.json keeps the estimates)
    assert "the bore of stack[0] (radius 0.5 mm)" in acc["bore"]["not_measured"]
    lines = summary_lines(res.summary()["bore"], res.summary()["accuracy"]["bore"])
    assert "±" not in lines[0] and lines[2].startswith("bore errors not measured: ")
    _check_shape(res.summary(), SIMULATION_SUMMARY, set(), "summary.json")  # a backup restores it
    with warnings.catch_warnings():
        warnings.simplefilter("error", AccuracyWarning)
        res = simulate({**case, "mesh": {"size": "0.5 mm"}})
    assert res.accuracy["reached"] and "not_measured" not in res.accuracy["bore"]
    assert abs(res.bore.centre_T - truth) < res.accuracy["bore"]["centre_error_T"]
