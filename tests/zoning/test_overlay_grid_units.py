"""Grid squares as units: the zones' rings walked over the grid equal GEOS."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from shapely import box

from territobs.zoning import _overlay
from territobs.zoning._overlay import overlaps
from territobs.zoning._rings import AREA_NOISE


def _grid(rng: np.random.Generator, step: float, missing: float) -> np.ndarray:
    nx, ny = rng.integers(3, 12, 2)
    x0, y0 = rng.uniform(-50, 50, 2).round(1)
    cells = [
        box(x0 + i * step, y0 + j * step, x0 + (i + 1) * step, y0 + (j + 1) * step)
        for i in range(nx)
        for j in range(ny)
        if rng.random() >= missing
    ]
    if len(cells) < 2:
        cells = [
            box(x0, y0, x0 + step, y0 + step),
            box(x0 + step, y0, x0 + 2 * step, y0 + step),
        ]
    geoms = np.array(cells, dtype=object)
    return geoms[rng.permutation(len(geoms))]


def _star(rng: np.random.Generator, cx: float, cy: float, r: float) -> shapely.Polygon:
    n = int(rng.integers(3, 25))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = rng.uniform(0.2, 1.0, n) * r
    ring = np.c_[cx + radii * np.cos(angles), cy + radii * np.sin(angles)]
    return shapely.Polygon(ring).buffer(0)  # valid (repeated angles)


def _zone(rng: np.random.Generator, units: np.ndarray, step: float) -> shapely.Geometry:
    xmin, ymin, xmax, ymax = shapely.total_bounds(units)
    kind = rng.integers(0, 5)
    if kind == 0:  # a rectangle on grid lines, or half-way between them
        snap = step / rng.choice([1, 2])
        a = xmin + snap * rng.integers(-2, 8, 2)
        b = ymin + snap * rng.integers(-2, 8, 2)
        geom = box(a.min(), b.min(), a.max() + snap, b.max() + snap)
    elif kind == 1:  # far outside the grid
        geom = box(
            xmax + 10 * step, ymax + 10 * step, xmax + 12 * step, ymax + 11 * step
        )
    else:
        cx, cy = (
            rng.uniform(xmin - step, xmax + step),
            rng.uniform(ymin - step, ymax + step),
        )
        geom = _star(rng, cx, cy, step * rng.uniform(0.3, 4))
        if kind == 3:  # a hole
            geom = geom.difference(
                shapely.Point(cx, cy).buffer(step * 0.3, quad_segs=3)
            )
        if kind == 4:  # several parts
            other = _star(rng, cx + 4 * step, cy - step, step * rng.uniform(0.3, 2))
            geom = shapely.union(geom, other)
    if rng.random() < 0.3:  # clockwise exterior
        geom = shapely.orient_polygons(geom, exterior_cw=True)
    return geom


def _check(units: np.ndarray, zones: np.ndarray, tolerance: float = 0.0) -> None:
    assert _overlay._unit_grid(units, shapely.bounds(units)) is not None
    ov = overlaps(units, zones, tolerance=tolerance, n_jobs=1)
    cell = shapely.area(units)
    z, u = shapely.STRtree(units).query(zones)
    ref_area = shapely.area(shapely.intersection(units[u], zones[z]))
    ref_whole = shapely.contains(zones[z], units[u])
    ref = {
        (int(a), int(b)): (s, w)
        for a, b, s, w in zip(u, z, ref_area, ref_whole, strict=True)
        if s > max(AREA_NOISE, tolerance) * cell[a] or w
    }
    got = {
        (int(a), int(b)): (s, w)
        for a, b, s, w in zip(ov.unit, ov.zone, ov.area, ov.whole, strict=True)
    }
    # Pairs at the noise threshold may go either way: only larger ones count.
    sure = {k for k, (s, w) in ref.items() if s > 1e-9 * cell[k[0]] or w}
    assert sure <= set(got)
    assert set(got) <= set(ref)
    keys = sorted(got)
    assert_allclose(
        [got[k][0] for k in keys],
        [ref[k][0] for k in keys],
        rtol=0,
        atol=1e-9 * float(cell.max()),
    )
    if tolerance == 0:
        assert [got[k][1] for k in keys] == [bool(ref[k][1]) for k in keys]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    step=st.sampled_from([1.0, 200.0, 0.3, 1000.0]),
    missing=st.sampled_from([0.0, 0.3]),
    n_zones=st.integers(1, 6),
)
def test_grid_units_match_geos(seed, step, missing, n_zones):
    rng = np.random.default_rng(seed)
    units = _grid(rng, step, missing)
    zones = np.array([_zone(rng, units, step) for _ in range(n_zones)], dtype=object)
    _check(units, zones)


def test_touching_squares_are_not_pairs_and_inner_squares_are_whole():
    units = np.array(
        [box(x, y, x + 1, y + 1) for x in range(6) for y in range(6)], dtype=object
    )
    zone = box(1, 1, 4, 4)  # its edges lie on grid lines
    ov = overlaps(units, np.array([zone], dtype=object), tolerance=0, n_jobs=1)
    inside = {i for i, u in enumerate(units) if zone.contains(u)}
    assert set(ov.unit.tolist()) == inside  # edge- and corner-touching: no pair
    assert ov.whole.all()
    assert_allclose(ov.area, 1.0)


def test_boundary_through_a_square_is_not_whole():
    units = np.array([box(x, 0, x + 1, 1) for x in range(3)], dtype=object)
    # Zone covering the first two squares but for a notch entering square 1
    # from its right edge, and a vertical edge crossing square 2.
    zone = shapely.Polygon(
        [(0, 0), (2.5, 0), (2.5, 1), (2, 1), (1.5, 0.5), (2, 0.4), (2, 1), (0, 1)]
    )
    zone = shapely.make_valid(zone)
    _check(units, np.array([zone], dtype=object))
    _check(units, np.array([zone], dtype=object), tolerance=1e-3)


def test_duplicate_squares_fall_back_to_geos():
    units = np.array([box(0, 0, 1, 1), box(0, 0, 1, 1), box(1, 0, 2, 1)], dtype=object)
    zones = np.array([box(0.5, 0, 1.5, 1)], dtype=object)
    ov = overlaps(units, zones, tolerance=0, n_jobs=1)
    assert sorted(ov.unit.tolist()) == [0, 1, 2]
    assert_allclose(ov.area, 0.5)


def test_ring_layouts_of_units_over_a_grid():
    """Single-part multipolygons, holes, clockwise rings, a ring through its start."""
    star = shapely.Polygon([(5, 5), (40, 8), (22, 37)])
    units = np.array(
        [
            shapely.MultiPolygon([star]),
            shapely.orient_polygons(star, exterior_cw=True),
            box(1, 1, 29, 29).difference(box(9, 9, 21, 21)),
            shapely.MultiPolygon([box(1, 1, 9, 9), box(12, 12, 33, 18)]),
            # Exterior ring touching its first vertex (15, 15) again halfway.
            shapely.Polygon(
                [(15, 15), (30, 5), (35, 15), (15, 15), (30, 25), (10, 30)]
            ),
        ],
        dtype=object,
    )
    zones = np.array(
        [box(x, y, x + 10, y + 10) for x in range(0, 40, 10) for y in range(0, 40, 10)],
        dtype=object,
    )
    assert _overlay._rect_grid(shapely.bounds(zones)) is not None
    ov = overlaps(units, zones, tolerance=0, n_jobs=1)
    z, u = shapely.STRtree(units).query(zones)
    ref = shapely.area(shapely.intersection(units[u], zones[z]))
    expected = {(int(a), int(b)): r for a, b, r in zip(u, z, ref, strict=True) if r > 0}
    got = dict(
        zip(zip(ov.unit.tolist(), ov.zone.tolist(), strict=True), ov.area, strict=True)
    )
    assert set(got) == set(expected)
    keys = sorted(got)
    assert_allclose([got[k] for k in keys], [expected[k] for k in keys], rtol=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    start=st.floats(-1e6, 1e6),
    step=st.floats(0.5, 1e4),
    n=st.integers(3, 40),
    values=st.lists(st.floats(-2e6, 2e6), min_size=1, max_size=50),
    near=st.lists(st.integers(0, 39), max_size=10),
)
def test_exact_cells_are_searchsorted(start, step, n, values, near):
    """With ``exact``, lattice cells equal binary search even next to lines."""
    lines = start + step * np.arange(n)
    v = np.r_[values, lines[np.minimum(np.array(near, dtype=int), n - 1)]]
    v = np.r_[v, np.nextafter(v, -np.inf), np.nextafter(v, np.inf)]
    got = _overlay._cell_of(lines, v, exact=True)
    expected = np.clip(np.searchsorted(lines, v, side="right") - 1, -1, n - 1)
    np.testing.assert_array_equal(got, expected)
