"""The SYNTHETIC virtual lab: its landscape against the published K-Ba122 study, its files, its seeds.

Published numbers (shared/reference/published-work.txt): researcher-driven Bulk2 (50 C/min, 600 C,
5 min) has the highest Jc at 0 T, 1.2e5 A/cm^2 at 5 K; data-driven Bulk1 (49.8 C/min, 556 C,
32.47 min, "extended sintering at a lower temperature") the highest at 3 T; their Jc(B) curves
cross at about 0.5 T.
"""

from __future__ import annotations

import numpy as np
import pytest

from fluxtrap.demo.lab import VirtualLab, microstructure
from fluxtrap.magnetometry import read
from fluxtrap.magnetometry.pipeline import derive

A_CM2 = 1e4
BULK1 = {"ramp_rate": 49.8, "max_temperature": 556, "dwell_time": 32.47}
BULK2 = {"ramp_rate": 50, "max_temperature": 600, "dwell_time": 5}


@pytest.fixture(scope="module")
def grid():
    """The campaign's box on a 2 C/min x 2 C x 1 min grid, with the noise-free Jc at 0 and 3 T."""
    r, t_c, dwell = np.meshgrid(
        np.arange(10, 100.1, 2.0),
        np.arange(450, 750.1, 2.0),
        np.arange(0, 60.1, 1.0),
        indexing="ij",
    )
    m = microstructure(r, t_c, dwell)
    return (
        r,
        t_c,
        dwell,
        {b: m.jw_A_m2 * np.exp(-b / m.bw_T) + m.js_A_m2 / (1 + b / m.bs_T) for b in (0.0, 3.0)},
    )


def _argmax(grid, field_T):
    r, t_c, dwell, jc = grid
    i = np.unravel_index(np.argmax(jc[field_T]), r.shape)
    return r[i], t_c[i], dwell[i], jc[field_T][i]


def test_jc_at_0T_is_best_for_short_sintering_near_600C(grid):
    r, t_c, dwell, jc = _argmax(grid, 0.0)
    assert 580 <= t_c <= 620 and dwell <= 10, (r, t_c, dwell)
    # published: 1.2e5 A/cm^2 for the best 0 T bulk; within 15 %
    assert jc / A_CM2 == pytest.approx(1.2e5, rel=0.15)


def test_jc_at_3T_is_best_for_longer_sintering_below_600C(grid):
    r, t_c, dwell, jc = _argmax(grid, 3.0)
    assert 530 <= t_c < 590 and 15 <= dwell <= 50, (r, t_c, dwell)
    # the published data-driven optimum (49.8 C/min, 556 C, 32.47 min) within one grid cell of 4 C, 4 min
    assert abs(t_c - 556) <= 6 and abs(dwell - 32.47) <= 6
    assert 1.5e4 < jc / A_CM2 < 5e4  # Ba122 bulk range at 3 T, 5 K


def test_published_pair_orders_and_crosses_near_half_a_tesla():
    lab = VirtualLab()
    b = np.linspace(0, 7, 701)
    j1, j2 = lab.expected_jc(BULK1, b), lab.expected_jc(BULK2, b)
    assert j2[0] > j1[0]  # researcher-driven bulk best at 0 T
    assert lab.expected_jc(BULK1, 3.0) > 1.1 * lab.expected_jc(
        BULK2, 3.0
    )  # data-driven best at 3 T
    cross = b[np.nonzero(np.diff(np.sign(j1 - j2)))[0]]
    assert cross.size == 1 and 0.2 <= cross[0] <= 0.8, cross  # published: ~0.5 T
    assert j2[0] / A_CM2 == pytest.approx(1.2e5, rel=0.1)  # published Bulk2 Jc(0 T, 5 K)


def test_poor_conditions_still_give_a_measurable_positive_jc(grid):
    *_, jc = grid
    low = min(jc[0.0].min(), jc[3.0].min()) / A_CM2
    assert 10 < low < 2e3  # poorly sintered or decomposed: weak but measurable, never zero


def test_same_seed_and_label_give_the_same_sample_whatever_the_order():
    a, b = VirtualLab(seed=3), VirtualLab(seed=3)
    s1 = a.make(BULK2, "S1")
    b.make(BULK1, "S0")
    assert b.make(BULK2, "S1").content == s1.content
    other = VirtualLab(seed=4).make(BULK2, "S1")
    assert other.content != s1.content
    assert not np.allclose(other.jc.jc_A_m2, s1.jc.jc_A_m2)


def test_sample_scatter_has_the_stated_spread():
    lab = VirtualLab(seed=0, scatter=0.04)
    values = np.array([lab.jc_curve(BULK1, f"X{i}").at(3.0) for i in range(400)])
    spread = np.std(np.log(values))
    # at 3 T the pinning term dominates: log-spread close to the scatter (4 %), mean at the model
    assert 0.03 < spread < 0.05
    assert np.exp(np.mean(np.log(values))) == pytest.approx(lab.expected_jc(BULK1, 3.0), rel=0.01)


def test_loop_file_is_labelled_synthetic_and_gives_back_the_lab_jc():
    lab = VirtualLab(seed=1)
    s = lab.make(BULK1, "B1")
    head = s.content[:600].decode()
    assert "SYNTHETIC" in head and "SAMPLE_SIZE" in head
    table = read(s.content, filename=s.filename)
    assert table.metadata.synthetic and table.kind == "mh_loop"
    assert np.ptp(table.field_T) == pytest.approx(14.0)
    _, _, jc = derive("mh_loop", s.content, s.filename, *s.cut_m)
    # extended Bean on the loop recovers the lab's Jc where the bar is fully penetrated (1 %)
    for b in (1.0, 3.0, 5.0):
        assert jc.at(b) == pytest.approx(s.jc.at(b), rel=0.01)


def test_microstructure_trends_are_physical():
    dwell = np.linspace(0, 60, 121)
    m600, m560 = microstructure(50.0, 600.0, dwell), microstructure(50.0, 560.0, dwell)
    # densification and grain growth only advance with time, and faster when hotter
    assert np.all(np.diff(m600.connectivity) >= 0) and np.all(np.diff(m600.grain_nm) > 0)
    assert np.all(m600.grain_nm > m560.grain_nm) and np.all(m600.connectivity >= m560.connectivity)
    # impurity phases appear above ~600 C
    hot = microstructure(50.0, np.array([550.0, 600.0, 650.0, 700.0]), 10.0).impurity
    assert np.all(np.diff(hot) < 0) and hot[0] > 0.95 and hot[-1] < 0.2
    # planar defects peak at a dwell that grows as the temperature falls (formation vs annealing)
    assert 0 < dwell[np.argmax(m600.defects)] < dwell[np.argmax(m560.defects)] < 60
