"""Overlaps of detailed (densified) units equal GEOS on every path.

Full-resolution boundaries have many more vertices than generalised ones:
the grid path then walks mostly edges inside one cell, and other zones find
the crossings among many more unit edges. Both must still give GEOS's areas.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from shapely import box

from territobs.zoning import _overlay
from territobs.zoning._overlay import n_workers, overlaps


def _units(seed: int, n: int = 30) -> np.ndarray:
    """Star-shaped units, some with holes, densified to ~16x their vertices."""
    rng = np.random.default_rng(seed)
    geoms = []
    for _ in range(n):
        cx, cy = rng.uniform(0, 1000, 2)
        angles = np.linspace(0, 2 * np.pi, 19)[:-1]
        radius = rng.uniform(30, 160, 18)
        star = shapely.Polygon(
            np.c_[cx + radius * np.cos(angles), cy + radius * np.sin(angles)]
        )
        if rng.random() < 0.3:
            star = star.difference(shapely.Point(cx, cy).buffer(12))
        geoms.append(star)
    geoms = np.array(geoms, dtype=object)
    edge = shapely.length(geoms) / shapely.get_num_coordinates(geoms)
    return shapely.segmentize(geoms, edge / 16)


def _reference(units: np.ndarray, zones: np.ndarray) -> dict[tuple[int, int], float]:
    z, u = shapely.STRtree(units).query(zones)
    area = shapely.area(shapely.intersection(units[u], zones[z]))
    return {(int(a), int(b)): s for a, b, s in zip(u, z, area, strict=True) if s > 0}


def _check(units: np.ndarray, zones: np.ndarray) -> None:
    got = overlaps(units, zones, tolerance=0, n_jobs=1)
    ref = _reference(units, zones)
    pairs = dict(
        zip(
            zip(got.unit.tolist(), got.zone.tolist(), strict=True),
            got.area,
            strict=True,
        )
    )
    # Every GEOS pair is found; extra pairs are rounding noise only.
    assert set(ref) <= set(pairs)
    keys = sorted(ref)
    assert_allclose(
        [pairs[k] for k in keys], [ref[k] for k in keys], rtol=1e-9, atol=1e-6
    )
    unit_area = shapely.area(units)
    for (u, _z), area in pairs.items():
        assert area <= unit_area[u] * (1 + 1e-12)
    whole = shapely.covers(zones[got.zone], units[got.unit])
    assert_array_equal(got.whole, whole)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("size", [100.0, 37.5, 400.0])
def test_regular_grid_on_detailed_units(seed, size):
    units = _units(seed)
    xs = np.arange(-200, 1300, size)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, xs))
    _check(units, box(gx, gy, gx + size, gy + size))


def test_grid_lines_through_detailed_vertices():
    """Units whose densified edges run along grid lines, vertices on them."""
    squares = box([0, 100, 250], [0, 0, 100], [100, 250, 300], [100, 100, 200])
    units = shapely.segmentize(squares, 10.0)
    xs = np.arange(-50, 400, 50.0)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, xs))
    _check(units, box(gx, gy, gx + 50, gy + 50))


def test_grid_covering_part_of_the_units():
    """Units reaching beyond the grid: cells outside it are simply absent."""
    units = _units(2)
    xs = np.arange(300, 700, 50.0)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, xs))
    _check(units, box(gx, gy, gx + 50, gy + 50))


@pytest.mark.parametrize("quad_segs", [2, 16])
def test_convex_zones_cut_detailed_units(quad_segs):
    units = _units(3, n=40)
    rng = np.random.default_rng(4)
    centres = shapely.points(rng.uniform(0, 1000, (25, 2)))
    zones = shapely.buffer(centres, rng.uniform(50, 300, 25), quad_segs=quad_segs)
    _check(units, zones)


@pytest.mark.parametrize("points", [3, 10])
def test_stars_cut_detailed_units(points):
    """Non-convex zones over detailed units (the crossings kernel)."""
    units = _units(5, n=40)
    rng = np.random.default_rng(6)
    angle = np.linspace(0, 2 * np.pi, 2 * points + 1)[:-1]
    r = np.where(np.arange(2 * points) % 2 == 0, 1.0, 0.45)
    zones = []
    for cx, cy, radius in zip(
        *rng.uniform(0, 1000, (2, 20)), rng.uniform(60, 300, 20), strict=True
    ):
        zones.append(
            shapely.Polygon(
                np.c_[cx + radius * r * np.cos(angle), cy + radius * r * np.sin(angle)]
            )
        )
    _check(units, np.array(zones, dtype=object))


@settings(max_examples=200, deadline=None)
@given(
    start=st.floats(-1e6, 1e6),
    step=st.floats(0.5, 1e4),
    n=st.integers(3, 40),
    values=st.lists(st.floats(-2e6, 2e6), min_size=1, max_size=50),
    missing=st.sets(st.integers(1, 38), max_size=10),
)
def test_cell_of_regular_lines_is_searchsorted(start, step, n, values, missing):
    """Arithmetic cells equal binary search, except within rounding of a line.

    Lines on a lattice, some missing (grid columns without any cell).
    """
    lines = start + step * np.array([k for k in range(n) if k not in missing])
    n = len(lines)
    v = np.array(values)
    got = _overlay._cell_of(lines, v)
    expected = np.clip(np.searchsorted(lines, v, side="right") - 1, -1, n - 1)
    gap = np.min(np.abs(v[:, None] - lines[None, :]), axis=1)
    clear = gap > 1e-9 * (np.abs(v) + np.abs(lines).max() + step)
    assert_array_equal(got[clear], expected[clear])
    assert (np.abs(got - expected) <= 1).all()


def test_n_workers():
    assert n_workers(1) == 1
    assert n_workers(3) == 3
    assert n_workers(-1) >= 1
    assert 1 <= n_workers(None) <= n_workers(-1)
