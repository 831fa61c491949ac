"""Coverage simplification per shared arc: topology, distance and area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territobs.maps._arcs import simplify_arcs


def _grid_points(geom, origin, snap) -> set[tuple[int, int]]:
    xy = shapely.get_coordinates(geom)
    q = np.rint((xy - origin) / snap).astype(np.int64)
    return set(map(tuple, q.tolist()))


def _check_coverage(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify and check the invariants that hold on any coverage."""
    snap = tolerance / 16
    out = simplify_arcs(geoms, tolerance)
    assert len(out) == len(geoms)
    assert not shapely.is_empty(out).any()
    # every dropped vertex within the tolerance (plus the snap) of the result
    bound = tolerance + snap * np.sqrt(2) / 2 + 1e-6
    dist = shapely.hausdorff_distance(shapely.boundary(geoms), shapely.boundary(out))
    assert dist.max() <= bound
    # shared borders stay shared: a grid point on both sides of a border is
    # kept by both neighbours or by neither (no gap, no sliver)
    x0, y0, _, _ = shapely.total_bounds(geoms)
    origin = np.array([x0, y0])
    before = [_grid_points(g, origin, snap) for g in geoms]
    after = [_grid_points(g, origin, snap) for g in out]
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="touches")
    for i, j in zip(left, right, strict=True):
        if i < j:
            shared = before[i] & before[j]
            assert after[i] & shared == after[j] & shared
    return out


def _voronoi_coverage(seed: int, n: int, wiggle: float) -> np.ndarray:
    """Voronoi cells in a 10 km box, densified and wiggled consistently on
    both sides of every border (the wiggle is a function of the point)."""
    rng = np.random.default_rng(seed)
    pts = shapely.multipoints(rng.uniform(0, 10_000, (n, 2)))
    box = shapely.box(0, 0, 10_000, 10_000)
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=box))
    cells = shapely.intersection(cells, box)
    cells = shapely.segmentize(cells, 50.0)

    def wiggle_xy(xy: np.ndarray) -> np.ndarray:
        x, y = np.round(xy[:, 0], 3), np.round(xy[:, 1], 3)
        return np.column_stack(
            [
                x + wiggle * np.sin(x * 0.37 + y * 0.91),
                y + wiggle * np.sin(x * 0.73 - y * 0.29),
            ]
        )

    return shapely.transform(cells, wiggle_xy)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 40),
    wiggle=st.sampled_from([0.0, 5.0, 20.0]),
    tolerance=st.sampled_from([10.0, 60.0, 250.0, 2_000.0]),
)
def test_random_coverages_keep_their_topology(seed, n, wiggle, tolerance):
    """Invariants on random coverages: every feature kept, distance bounded,
    shared borders simplified identically on both sides."""
    cells = _voronoi_coverage(seed, n, wiggle)
    _check_coverage(cells, tolerance)


def test_enclave_and_island_survive():
    host = shapely.box(0, 0, 10_000, 10_000).difference(
        shapely.box(4_000, 4_000, 4_050, 4_050)
    )
    enclave = shapely.box(4_000, 4_000, 4_050, 4_050)  # far below the tolerance
    island = shapely.Point(20_000, 0).buffer(30)
    out = _check_coverage(np.array([host, enclave, island]), 500.0)
    # the enclave is the host's hole, vertex for vertex
    hole = shapely.Polygon(out[0].geoms[0].interiors[0])
    assert shapely.equals(hole, out[1].geoms[0])
    assert shapely.get_num_coordinates(out[2]) >= 4


@pytest.mark.shared_data
@pytest.mark.parametrize("tolerance", [25.0, 260.0, 1_000.0])
def test_real_communes_topology_and_area(shared_data, tolerance):
    """Ain's 400 communes at a département's, France's and a coarse map's
    tolerance: invariants above, overlaps negligible, no new hole, areas
    kept."""
    path = shared_data / "boundaries/france-geojson/communes-01-ain.geojson"
    communes = gpd.read_file(path).to_crs(2154).geometry.to_numpy()
    out = _check_coverage(communes, tolerance)
    valid = shapely.is_valid(out)
    assert valid.mean() > 0.99
    union = shapely.union_all(out[valid])
    # shared borders are the same lines; two different borders simplified
    # apart may cross where they run closer than the tolerance (near a
    # junction): the overlaps that leaves stay a few sub-pixel slivers
    overlap = shapely.area(out[valid]).sum() - union.area
    assert overlap <= 1e-5 * union.area
    # no gap opens between communes
    whole = shapely.union_all(shapely.make_valid(out))
    holes = sum(len(p.interiors) for p in shapely.get_parts(whole))
    original = shapely.union_all(communes)
    assert holes <= sum(len(p.interiors) for p in shapely.get_parts(original))
    # each area changes by at most the band swept along its border
    reach = tolerance * (1 + np.sqrt(2) / 32)
    change = np.abs(shapely.area(out) - shapely.area(communes))
    assert (change <= reach * shapely.length(communes)).all()
    total = shapely.area(out).sum()
    assert abs(total - original.area) <= reach * original.length
    assert abs(total - original.area) / original.area < 1e-3


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 30),
    slice_size=st.integers(1, 64),
    chunk=st.integers(1, 200),
)
def test_slices_and_chunks_do_not_change_the_result(
    monkeypatch, seed, n, slice_size, chunk
):
    """Point ids, junctions and arcs are computed a slice / chunk at a time
    to bound memory: any slice and chunk size gives the very same output
    (slice and chunk edges fall inside rings and arcs)."""
    import territobs.maps._arcs as arcs

    cells = _voronoi_coverage(seed, n, 5.0)
    whole = simplify_arcs(cells, 60.0)
    with monkeypatch.context() as m:
        m.setattr(arcs, "_SLICE", slice_size)
        m.setattr(arcs, "_CHUNK", chunk)
        sliced = simplify_arcs(cells, 60.0)
    assert shapely.equals_exact(sliced, whole, tolerance=0).all()
    assert (
        shapely.get_num_coordinates(sliced) == shapely.get_num_coordinates(whole)
    ).all()


def test_point_ids_follow_key_order():
    """Point ids number the distinct keys in increasing order."""
    from territobs.maps._arcs import _points

    key = np.array([5, 3, 5, 9, 3, 0], dtype=np.int64)
    pid, point_key = _points(key.copy())
    assert pid.tolist() == [2, 1, 2, 3, 1, 0]
    assert point_key.tolist() == [0, 3, 5, 9]
