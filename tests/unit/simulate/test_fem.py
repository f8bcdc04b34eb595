"""Mesh, edge elements, H-phi map and Biot-Savart probes on small exact cases."""

from __future__ import annotations

import numpy as np
import pytest

from fluxtrap.simulate import Case, probes
from fluxtrap.simulate.analytic import bean_axis_field
from fluxtrap.simulate.fem import edge_space
from fluxtrap.simulate.mesh import AIR, build_mesh
from fluxtrap.simulate.probes import field_matrix, loop_field, probe_matrix
from fluxtrap.simulate.solver import Discretization

CASE = {
    "materials": {
        "sc": {"n": 35, "jc": {"constant": "1e4 A/cm^2"}},
        "cu": {"resistivity": "2e-10 ohm*m"},
    },
    "stack": [
        {"material": "sc", "radius": "5 mm", "thickness": "2 mm"},
        {"material": "cu", "radius": "4 mm", "thickness": "1 mm"},
    ],
    "protocol": [{"step": "set", "field": "1 T", "temperature": "5 K"}],
    "mesh": {"size": "1 mm"},
}


@pytest.fixture(scope="module")
def space():
    return edge_space(build_mesh(Case.from_dict(CASE)))


def test_mesh_follows_layers(space):
    mesh = space.mesh
    assert np.all(mesh.area > 0)
    cen = mesh.centroid
    in_sc = (cen[:, 0] < 5e-3) & (cen[:, 1] > 0) & (cen[:, 1] < 2e-3)
    assert np.all((mesh.region == 0) == in_sc)  # interfaces are mesh lines
    assert np.all(np.sqrt(2 * mesh.area[mesh.region >= 0]) < 1.5e-3)  # fine in conductors
    assert "triangles" in repr(mesh)


def test_air_around_a_thin_wide_disk_grades_out_from_the_conductor_size():
    """A disk 50 times wider than thick, meshed at a quarter of its thickness: the air touching
    it is at the conductors' size, but not the whole band of a tenth of the radius (at the
    conductors' size that was 90 % of 65 229 elements); and ``estimate_elements`` stays an upper
    estimate of what Triangle makes."""
    from fluxtrap.simulate.mesh import estimate_elements

    case = Case.from_dict(
        {
            "materials": {"sc": {"n": 20, "jc": {"constant": "2e4 A/cm^2"}}},
            "stack": [{"material": "sc", "radius": "20 mm", "thickness": "0.4 mm"}],
            "protocol": [{"step": "set", "field": "0 T", "temperature": "5 K"}],
        }
    )
    h = 1e-4
    mesh = build_mesh(case, h)
    conductor = mesh.region != AIR
    assert mesh.n_elements < 12 * conductor.sum()  # 22x with all the band at its size
    assert mesh.n_elements <= estimate_elements(case, h)
    cen = mesh.centroid
    gap = np.maximum(cen[:, 0] - 20e-3, np.maximum(-cen[:, 1], cen[:, 1] - 0.4e-3))
    touching = ~conductor & (gap < h)
    edge = np.sqrt(4 * mesh.area / np.sqrt(3))
    assert np.all(edge[touching] < 1.5 * h)


def test_each_edge_is_listed_once_in_vertex_order_and_each_triangle_names_its_own(space):
    """The edge table (built from one int64 key per edge): rows (low, high) vertex indices,
    sorted, each once; a triangle's three entries are its own sides, signed +1 where the side
    runs low -> high counter-clockwise; every interior side shared by two triangles."""
    e, tri = space.edges, space.mesh.triangles
    assert (e[:, 0] < e[:, 1]).all()
    assert (np.diff(e[:, 0]) >= 0).all() and len(np.unique(e, axis=0)) == len(e)
    order = np.lexsort((e[:, 1], e[:, 0]))
    assert (order == np.arange(len(e))).all()
    a, b = tri, np.roll(tri, -1, axis=1)  # local sides (0, 1), (1, 2), (2, 0)
    sides = e[space.elem_edges]
    assert (sides[..., 0] == np.minimum(a, b)).all() and (sides[..., 1] == np.maximum(a, b)).all()
    assert (space.elem_signs == np.where(a < b, 1.0, -1.0)).all()
    counts = np.bincount(space.elem_edges.ravel(), minlength=len(e))
    assert set(np.unique(counts)) == {1, 2}


def test_curl_and_mass_are_exact_for_simple_fields(space):
    p = space.mesh.points[space.edges]
    uniform = space.unit_field  # H = (0, 1)
    assert np.abs(space.C @ uniform).max() < 1e-9
    assert space.Hz @ uniform == pytest.approx(np.ones(space.mesh.n_elements))
    # H = (z, 0): J_phi = dH_r/dz - dH_z/dr = 1 everywhere
    u = 0.5 * (p[:, 0, 1] + p[:, 1, 1]) * (p[:, 1, 0] - p[:, 0, 0])
    assert space.C @ u == pytest.approx(np.ones(space.mesh.n_elements))
    # uniform field: u^T M u = ∫ r dA over the box
    r_max, z0, z1 = space.mesh.box
    assert uniform @ space.M @ uniform == pytest.approx(r_max**2 / 2 * (z1 - z0))


def test_h_phi_map_carries_no_air_current(space):
    d = Discretization(Case.from_dict(CASE), space)
    rng = np.random.default_rng(0)
    u = d.edge_dofs(rng.normal(size=d.n_dofs))
    air = space.mesh.region == AIR
    J = space.C @ u
    assert np.abs(J[air]).max() < 1e-9 * np.abs(J[~air]).max()
    assert d.edge_dofs(d.initial(1.0)) == pytest.approx(space.unit_field / (4e-7 * np.pi))


def test_probes_on_axis_are_exact_for_uniform_current(space):
    sc = np.where(space.mesh.region == 0)[0]
    z = np.array([-1e-3, 0.0, 1e-3, 2e-3, 2.5e-3])
    G = probe_matrix(space.mesh.points, space.mesh.triangles[sc], np.column_stack([np.zeros(5), z]))
    assert G @ np.full(len(sc), 1e8) == pytest.approx(
        bean_axis_field(1e8, 5e-3, 0.0, 2e-3, z), rel=1e-5
    )
    # off the axis, quadrature with refinement near the point
    Gr, Gz = field_matrix(space.mesh.points, space.mesh.triangles[sc], np.array([[1e-7, 2.5e-3]]))
    assert (Gz @ np.full(len(sc), 1e8))[0] == pytest.approx(
        bean_axis_field(1e8, 5e-3, 0.0, 2e-3, 2.5e-3), rel=1e-3
    )


def test_loop_field_on_axis_and_far_away():
    br, bz = loop_field(0.01, 0.0, 0.0, 0.02)
    assert (
        bz == pytest.approx(4e-7 * np.pi * 0.01**2 / (2 * (0.01**2 + 0.02**2) ** 1.5)) and br == 0
    )
    # dipole limit in the plane of the loop: Bz = -mu0 m / (4 pi r^3), m = pi a^2
    r = 1.0
    assert loop_field(1e-3, 0.0, r, 0.0)[1] == pytest.approx(-1e-7 * np.pi * 1e-6 / r**3, rel=1e-5)


def test_inverse_law_inverts_the_power_law(space):
    d = Discretization(Case.from_dict(CASE), space)
    jc = np.full(len(d.sc), 1e8)
    J = np.zeros(len(d.conductor))
    x = np.linspace(-3.0, 3.0, len(d.sc))  # the power law holds beyond 2 Jc too (issue 15)
    J[d.sc] = x * 1e8
    E, dE = d.law(J, jc)
    J_back, g = d.inverse_law(E[d.sc], jc)
    assert J_back == pytest.approx(J[d.sc], rel=1e-9, abs=1e-3)
    assert g == pytest.approx(dE[d.sc], rel=1e-9)
    assert E[d.sc] == pytest.approx(1e-4 * np.sign(x) * np.abs(x) ** 35, rel=1e-12)
    assert dE[d.sc] == pytest.approx(35 * 1e-4 * np.abs(x) ** 34 / 1e8, rel=1e-12)


def test_a_normal_state_channel_shares_E_with_the_power_law(space):
    """normal_resistivity rho_n: J = Jc (|E|/E0)^(1/n) sign(E) + E/rho_n (the two channels at one
    E). ``law`` (E(J) by Newton in ln E) and ``inverse_law`` (explicit) invert each other to
    1e-9, dE/dJ is the slope of E(J) (central differences, 1e-5), and where Jc = 0 (past Tc)
    the element is an ohmic conductor, dE/dJ = rho_n also at E = 0."""
    case = {**CASE, "materials": {**CASE["materials"]}}
    case["materials"]["sc"] = {**CASE["materials"]["sc"], "normal_resistivity": "2e-6 ohm*m"}
    d = Discretization(Case.from_dict(case), space)
    rho, e0, n, k = 2e-6, 1e-4, 35, len(d.sc)
    jc = np.full(k, 1e8)
    jc[::4] = 0.0  # past Tc
    J = np.zeros(len(d.conductor))
    J[d.sc] = np.linspace(-5.0, 5.0, k) * 1e8  # from below Jc to where rho_n carries most
    E, dE = d.law(J, jc)
    Es = E[d.sc]
    J_back, g = d.inverse_law(Es, jc)
    assert J_back == pytest.approx(J[d.sc], rel=1e-9, abs=1e-3)
    assert g == pytest.approx(dE[d.sc], rel=1e-9)
    closed = jc * (np.abs(Es) / e0) ** (1 / n) * np.sign(Es) + Es / rho
    assert closed == pytest.approx(J[d.sc], rel=1e-9, abs=1e-3)
    assert Es[::4] == pytest.approx(rho * J[d.sc][::4], rel=1e-12)
    assert np.abs(Es[5:-5:4]).max() > 10 * e0  # the test reaches where both channels matter
    h = 1e-6 * np.maximum(np.abs(J), 1.0)
    Ep, Em = d.law(J + h, jc)[0], d.law(J - h, jc)[0]
    slope = ((Ep - Em) / (2 * h))[d.sc]
    live = np.abs(Es) > 1e-30  # below, the slope is below rounding
    assert dE[d.sc][live] == pytest.approx(slope[live], rel=1e-5)
    zero = np.zeros(k)
    assert d.inverse_law(zero, jc)[1] == pytest.approx(np.where(jc == 0, rho, 0.0))


def test_field_matrix_batches_its_points_by_memory_not_by_count():
    """1000 probes over 26 000 conductor elements peaked at 7.4 GB: 256 points went in one batch,
    each pair with 6 quadrature points and a dozen temporaries. Batched by pairs, 64 points over
    23 000 elements stay under 300 MB (about 850 MB as one batch) with the same numbers."""
    import tracemalloc

    nx, nz = 170, 70
    r, z = np.meshgrid(np.linspace(0, 25e-3, nx), np.linspace(0, 10e-3, nz))
    points = np.column_stack([r.ravel(), z.ravel()])
    a = (np.arange(nz - 1)[:, None] * nx + np.arange(nx - 1)[None, :]).ravel()
    triangles = np.concatenate([np.c_[a, a + 1, a + nx], np.c_[a + 1, a + nx + 1, a + nx]])
    where = np.column_stack([np.linspace(1e-3, 24e-3, 64), np.full(64, 10.5e-3)])
    tracemalloc.start()
    try:
        Gr, Gz = field_matrix(points, triangles, where)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 300e6, peak
    one_batch = field_matrix(points, triangles, where[:4], chunk=2**40)
    np.testing.assert_array_equal(Gz[:4], one_batch[1])
    np.testing.assert_array_equal(Gr[:4], one_batch[0])


def test_probe_matrix_batches_its_probes_by_memory(monkeypatch):
    """1000 probes over 32 425 conductor elements (G 259 MB) peaked at 17 GB RSS on the axis (its
    16-point rule held probes x elements x 16 per temporary) and 1.5 GB off it; batched by
    ``PROBE_BATCH`` entries, 522 / 496 MB. Here 48 axis probes and 8 off it over 11 662
    elements: the batches' temporaries stay under 100 MB besides G, every row as computed alone,
    and a uniform current gives the Bean axis field of the slab (``bean_axis_field``)."""
    import tracemalloc

    nx, nz = 120, 50
    r, z = np.meshgrid(np.linspace(0, 10e-3, nx), np.linspace(0, 4e-3, nz))
    points = np.column_stack([r.ravel(), z.ravel()])
    a = (np.arange(nz - 1)[:, None] * nx + np.arange(nx - 1)[None, :]).ravel()
    triangles = np.concatenate([np.c_[a, a + 1, a + nx], np.c_[a + 1, a + nx + 1, a + nx]])
    z_axis = np.linspace(4.5e-3, 20e-3, 48)
    where = np.concatenate(
        [np.column_stack([np.zeros(48), z_axis]), np.column_stack([np.full(8, 3e-3), z_axis[:8]])]
    )
    tracemalloc.start()
    try:
        G = probe_matrix(points, triangles, where)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak - G.nbytes < 100e6, peak
    for i in (0, 47, 48, 55):
        np.testing.assert_array_equal(G[i], probe_matrix(points, triangles, where[i : i + 1])[0])
    done: list[int] = []  # rows built, after each batch: the progress of `fluxtrap simulate`
    monkeypatch.setattr(probes, "PROBE_BATCH", 10 * len(triangles))
    np.testing.assert_array_equal(probe_matrix(points, triangles, where, done.append), G)
    assert done == sorted(done) and len(done) > 2 and done[-1] == len(where)
    assert G[:48] @ np.full(len(triangles), 1e8) == pytest.approx(
        bean_axis_field(1e8, 10e-3, 0.0, 4e-3, z_axis), rel=1e-5
    )
