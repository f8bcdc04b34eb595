"""Rings: the inner_radius key, the topology of the air (groups, cuts, closed pockets) and the
discrete H-phi space with a cut per hole (curl-free in air, the jump = the ring's net current)."""

from __future__ import annotations

import collections
import copy
import re

import numpy as np
import pytest
import scipy.sparse as sp

from fluxtrap.errors import UnitError, ValidationError
from fluxtrap.simulate import Case, simulate
from fluxtrap.simulate.fem import edge_space
from fluxtrap.simulate.mesh import AIR, build_mesh
from fluxtrap.simulate.solver import Discretization
from fluxtrap.simulate.topology import cuts, enclosed_nodes, groups
from fluxtrap.units import MU0

SC = {"n": 25, "e0": "1e-4 V/m", "jc": {"constant": "1e4 A/cm^2"}}


def case(*layers: dict, size: str = "1 mm") -> dict:
    return copy.deepcopy(
        {
            "materials": {"sc": SC, "cu": {"resistivity": "2e-10 ohm*m"}},
            "stack": list(layers),
            "probes": [{"name": "c", "r": "0 mm", "z": "1 mm"}],
            "protocol": [
                {"step": "set", "field": "1 T", "temperature": "5 K"},
                {"step": "ramp_field", "to": "0 T", "rate": "0.05 T/s"},
            ],
            "mesh": {"size": size},
        }
    )


def layer(material="sc", radius="6 mm", thickness="2 mm", **kw) -> dict:
    return {"material": material, "radius": radius, "thickness": thickness, **kw}


def test_inner_radius_is_read_in_si_and_round_trips():
    c = Case.from_dict(case(layer(inner_radius="4 mm"), layer()))
    assert c.stack[0].inner_radius_m == pytest.approx(4e-3) and c.stack[0].is_ring
    assert c.stack[1].inner_radius_m == 0 and not c.stack[1].is_ring  # the default: a disk
    assert c.stack[0].width_m == pytest.approx(2e-3)
    assert Case.from_dict(c.to_dict()) == c
    assert 'inner_radius = "0.004 m"' in c.to_toml()
    assert "inner_radius" not in c.to_dict()["stack"][1]  # disks are written as before
    assert "sc r=4..6mm t=2mm / sc r=6mm" in repr(c)


@pytest.mark.parametrize(
    "inner, error, match",
    [
        (
            "6 mm",
            ValidationError,
            r"stack\[0\]\.inner_radius: '6 mm' must be smaller than the outer",
        ),
        ("7 mm", ValidationError, r"stack\[0\]\.inner_radius: '7 mm' must be smaller"),
        ("-1 mm", ValidationError, r"stack\[0\]\.inner_radius: must be >= 0"),
        ("nan mm", UnitError, r"stack\[0\]\.inner_radius"),
        ("2 T", UnitError, r"stack\[0\]\.inner_radius"),
        (3, UnitError, r"stack\[0\]\.inner_radius: got the bare value 3"),
    ],
)
def test_bad_inner_radii_are_refused_naming_the_key(inner, error, match):
    with pytest.raises(error, match=match):
        Case.from_dict(case(layer(inner_radius=inner)))


def test_layers_meeting_only_at_a_corner_are_refused():
    d = case(layer(radius="4 mm", inner_radius="2 mm"), layer(radius="6 mm", inner_radius="4 mm"))
    with pytest.raises(ValidationError, match=r"stack\[0\] and stack\[1\] meet only at a corner"):
        Case.from_dict(d)


def test_groups_and_cuts_of_a_mixed_stack():
    """disk | ring on it (touches the disk: no hole) | gap | ring | ring on that ring (one group,
    one cut, at mid height of the thicker) | copper spacer ring | gap | disk."""
    c = Case.from_dict(
        case(
            layer(),
            layer(inner_radius="3 mm"),
            layer(inner_radius="3 mm", z="5 mm", thickness="1 mm"),
            layer(inner_radius="2 mm", radius="5 mm", thickness="3 mm"),
            layer("cu", inner_radius="2.5 mm", thickness="0.5 mm"),
            layer(z="12 mm"),
        )
    )
    assert groups(c.stack) == [(0, 1), (2, 3, 4), (5,)]
    (cut,) = cuts(c.stack)
    assert cut.group == (2, 3, 4) and cut.layer == 3
    assert cut.z_m == pytest.approx(7.5e-3) and cut.r_m == pytest.approx(2e-3)


@pytest.fixture(scope="module")
def ring():
    c = Case.from_dict(case(layer(inner_radius="3 mm", radius="6 mm", thickness="3 mm")))
    return c, Discretization(c, edge_space(build_mesh(c)))


def test_the_mesh_leaves_the_bore_air_and_has_the_cut_as_a_mesh_line(ring):
    c, d = ring
    mesh = d.space.mesh
    cen = mesh.centroid
    in_ring = (cen[:, 0] > 3e-3) & (cen[:, 0] < 6e-3) & (cen[:, 1] > 0) & (cen[:, 1] < 3e-3)
    assert np.all((mesh.region == 0) == in_ring)
    (cut,) = cuts(c.stack)
    r, z = mesh.points[:, 0], mesh.points[:, 1]
    on_cut = np.abs(z - cut.z_m) < 1e-12
    assert r[on_cut].min() == 0 and np.isclose(r[on_cut], 3e-3).any()
    # the bore is meshed at the conductors' size (seeded region), not left coarse
    bore = (mesh.region == AIR) & (cen[:, 0] < 3e-3) & (cen[:, 1] > 0) & (cen[:, 1] < 3e-3)
    assert np.sqrt(2 * mesh.area[bore]).max() < 1.5e-3


def test_every_column_is_curl_free_in_air_and_the_jump_is_the_net_current(ring):
    """H = T x: curl(T x) = 0 on every air element for any x (air carries no current), and the
    ring's net current sum(J area) equals the jump of phi across the cut (discrete Ampere)."""
    _, d = ring
    space = d.space
    air = np.where(space.mesh.region == AIR)[0]
    curl_air = space.C[air] @ d.T
    assert d.n_cuts == 1
    assert abs(curl_air).max() < 1e-9 * abs(space.C @ d.T).max()
    x = np.random.default_rng(0).normal(size=d.n_dofs)
    area = space.mesh.area[d.conductor]
    net = (d.C @ x) @ area
    assert abs(net) == pytest.approx(abs(x[-1]), rel=1e-9)
    # the jump is a new direction: without it the ring could carry no net current
    x[-1] = 0.0
    assert abs((d.C @ x) @ area) < 1e-9 * np.abs(d.C @ x).max() * area.sum()


@pytest.mark.filterwarnings("ignore::fluxtrap.simulate.simulation.AccuracyWarning")
def test_a_closed_air_pocket_gets_one_fixed_node_and_the_run_is_solvable():
    """disk / ring / disk: the bore of the ring is a closed pocket (phi there is free up to a
    constant, which one fixed node removes; without it K is singular). No hole: no cut."""
    c = Case.from_dict(
        case(layer(thickness="1 mm"), layer(inner_radius="3 mm"), layer(thickness="1 mm"))
    )
    assert cuts(c.stack) == []
    mesh = build_mesh(c)
    r_max, z_min, z_max = mesh.box
    pr, pz = mesh.points.T
    on_box = (pr > r_max * (1 - 1e-9)) | (pz < z_min + 1e-12) | (pz > z_max - 1e-12)
    (node,) = enclosed_nodes(mesh.triangles, mesh.region == AIR, len(mesh.points), on_box)
    assert pr[node] < 3e-3 and 1e-3 <= pz[node] <= 3e-3
    d = Discretization(c, edge_space(mesh))
    K = (MU0 * d.Mff + d.Cf.T @ sp.diags(d.w * 1e-10) @ d.Cf).toarray()  # dt = 1 s, copper-like
    eig = np.linalg.eigvalsh(K)
    assert eig[0] > 1e-9 * eig[-1]  # 3e-18 of it with the pocket's constant left free
    res = simulate(c)
    assert np.isfinite(res.probes["c_Bz_T"]).all() and res.probes["c_Bz_T"].iloc[-1] > 0.05


# a ring around a disk (or an inner ring) at the same height ------------------------------------


def test_a_stack_of_more_than_a_thousand_layers_is_refused_before_it_is_read():
    d = case(*(layer(thickness="0.01 mm") for _ in range(1001)))
    with pytest.raises(ValidationError, match=r"stack: 1001 layers; at most 1000"):
        Case.from_dict(d)


def test_layers_overlapping_in_r_and_z_are_refused_naming_both():
    d = case(layer(radius="5 mm", z="0 mm"), layer(inner_radius="4 mm", z="1 mm"))
    with pytest.raises(
        ValidationError, match=r"stack\[1\] \(sc, r 4\.\.6 mm, z 1\.\.3 mm\) overlaps"
    ):
        Case.from_dict(d)


def test_a_disk_inside_a_ring_at_the_same_height_gets_a_cut_through_the_gap():
    """disk r < 4 mm inside a ring 5..6 mm, both z 0..2 mm: two groups (they do not touch); the
    ring's cut runs at mid height from the disk's outer face to the ring's inner face, through
    air only, and is a mesh line there; the gap's air is meshed at the conductors' size."""
    c = Case.from_dict(case(layer(radius="4 mm", z="0 mm"), layer(inner_radius="5 mm", z="0 mm")))
    assert groups(c.stack) == [(0,), (1,)]
    (cut,) = cuts(c.stack)
    assert (cut.group, cut.layer, cut.inside) == ((1,), 1, 0)
    assert (cut.r0_m, cut.r_m, cut.z_m) == pytest.approx((4e-3, 5e-3, 1e-3))
    mesh = build_mesh(c)
    r, z = mesh.points.T
    on_cut = np.abs(z - 1e-3) < 1e-12
    assert np.isclose(r[on_cut], 4e-3).any() and np.isclose(r[on_cut], 5e-3).any()
    cen = mesh.centroid
    gap = (cen[:, 0] > 4e-3) & (cen[:, 0] < 5e-3) & (cen[:, 1] > 0) & (cen[:, 1] < 2e-3)
    assert np.all(mesh.region[gap] == AIR) and np.sqrt(2 * mesh.area[gap]).max() < 1.5e-3
    # a disk touching the ring's inner face is one conductor: no hole, no cut
    c = Case.from_dict(case(layer(radius="5 mm", z="0 mm"), layer(inner_radius="5 mm", z="1 mm")))
    assert groups(c.stack) == [(0, 1)] and cuts(c.stack) == []


def test_a_cut_avoids_a_face_that_crosses_its_layer():
    """A disk z 0.5..2 mm inside a ring z 0..4 mm: the disk's top face lies at the ring's mid
    height. The cut runs at mid height of the ring's longest stretch clear of faces (2..4 mm),
    where nothing is inside the ring: it reaches the axis."""
    c = Case.from_dict(
        case(
            layer(radius="4 mm", thickness="1.5 mm", z="0.5 mm"),
            layer(inner_radius="5 mm", thickness="4 mm", z="0 mm"),
        )
    )
    (cut,) = cuts(c.stack)
    assert cut.z_m == pytest.approx(3e-3) and cut.r0_m == 0 and cut.inside is None


def test_a_ring_inside_a_ring_ties_its_cut_to_the_inner_one():
    """Concentric rings 2..3 and 5..6 mm at the same height: the inner ring's cut reaches the
    axis, the outer one's ends on the inner ring (tied to the axis through its own cut)."""
    c = Case.from_dict(
        case(
            layer(radius="3 mm", inner_radius="2 mm", z="0 mm"),
            layer(inner_radius="5 mm", z="0 mm"),
        )
    )
    inner, outer = cuts(c.stack)
    assert (inner.r0_m, inner.r_m, inner.inside) == (0.0, pytest.approx(2e-3), None)
    assert (outer.r0_m, outer.r_m, outer.inside) == (pytest.approx(3e-3), pytest.approx(5e-3), 0)


@pytest.mark.parametrize("inner_radius", ["0 mm", "2 mm"], ids=["disk", "ring"])
def test_discrete_ampere_around_a_ring_with_a_conductor_inside(inner_radius):
    """H = T x is curl-free in every air element, and the jump across the outer ring's cut is
    its net current; with a ring inside, the inner cut's jump is the current of both rings (a
    loop around the inner ring crosses both cuts), with a disk inside its current is free."""
    c = Case.from_dict(
        case(
            layer(radius="3 mm", inner_radius=inner_radius, z="0 mm"),
            layer(inner_radius="5 mm", z="0 mm"),
        )
    )
    d = Discretization(c, edge_space(build_mesh(c)))
    space = d.space
    air = np.where(space.mesh.region == AIR)[0]
    assert abs(space.C[air] @ d.T).max() < 1e-9 * abs(space.C @ d.T).max()
    x = np.random.default_rng(1).normal(size=d.n_dofs)
    current = (d.C @ x) * space.mesh.area[d.conductor]
    outer = space.mesh.region[d.conductor] == 1
    jumps = x[-d.n_cuts :]
    assert abs(current[outer].sum()) == pytest.approx(abs(jumps[-1]), rel=1e-9)
    if inner_radius == "0 mm":
        assert d.n_cuts == 1
    else:
        assert d.n_cuts == 2
        assert abs(current.sum()) == pytest.approx(abs(jumps[0]), rel=1e-9)


def _pairwise_groups(stack):
    """The groups as the pairwise loop found them (before the all-pairs arrays): the reference."""
    tol = 1e-12

    def touch(a, b):
        if min(abs(a.top_m - b.z_m), abs(b.top_m - a.z_m)) <= tol:
            overlap = min(a.radius_m, b.radius_m) - max(a.inner_radius_m, b.inner_radius_m)
        elif min(abs(a.radius_m - b.inner_radius_m), abs(b.radius_m - a.inner_radius_m)) <= tol:
            overlap = min(a.top_m, b.top_m) - max(a.z_m, b.z_m)
        else:
            return None
        return None if overlap < -tol else (overlap if overlap > tol else 0.0)

    label = list(range(len(stack)))

    def root(i):
        while label[i] != i:
            i = label[i]
        return i

    for i in range(len(stack)):
        for j in range(i):
            t = touch(stack[i], stack[j])
            if t == 0.0:
                return f"stack[{j}] and stack[{i}] meet only at a corner"
            if t is not None:
                label[max(root(i), root(j))] = min(root(i), root(j))
    out: dict[int, list[int]] = {}
    for i in range(len(stack)):
        out.setdefault(root(i), []).append(i)
    return [tuple(g) for g in out.values()]


@pytest.mark.parametrize("seed", range(40))
def test_groups_of_random_stacks_are_the_pairwise_loops(seed):
    """Random disks and rings on a 1 mm grid (faces shared, corners met, nested rings): the
    all-pairs groups, their order and the corner refused (which pair) are those of a pairwise
    union of touching layers."""
    from fluxtrap.simulate.geometry import Layer

    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 9))
    inner = rng.choice([0.0, 1e-3, 2e-3, 3e-3], n)
    stack = tuple(
        Layer("sc", r_in + rng.choice([1e-3, 2e-3]), rng.choice([1e-3, 2e-3]), z, r_in)
        for r_in, z in zip(inner, rng.choice([0.0, 1e-3, 2e-3, 3e-3, 5e-3], n), strict=True)
    )
    expected = _pairwise_groups(stack)
    if isinstance(expected, str):
        with pytest.raises(ValidationError, match=re.escape(expected)):
            groups(stack)
    else:
        assert groups(stack) == expected


def test_groups_of_a_thousand_layers_take_no_pairwise_python_loop():
    """1000 layers (MAX_LAYERS), every other pair touching: the pairwise loop over _touch took
    0.22-0.6 s here (2 s on a loaded machine) before a too-large case was refused; all pairs
    at once take ~0.03 s. The groups are the 500 touching pairs. Counted, not timed (a timing
    failed under load): a pairwise loop reads each layer's attributes about n times (1e6 reads
    in all), the arrays of all pairs a few times each."""
    from fluxtrap.simulate.geometry import Layer

    reads = collections.Counter()

    class Counted(Layer):
        def __getattribute__(self, name):
            reads[name] += 1
            return super().__getattribute__(name)

    stack = tuple(Counted("sc", 15e-3, 1e-3, 1e-3 * (i + i // 2)) for i in range(1000))
    found = groups(stack)
    assert found == [(i, i + 1) for i in range(0, 1000, 2)]
    assert sum(reads.values()) < 10 * len(stack), reads
