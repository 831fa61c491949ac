"""The grid fast path of the overlaps equals GEOS rectangle clipping."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import shapely
from numpy.testing import assert_allclose, assert_array_equal
from shapely import box

from territobs.zoning import _overlay
from territobs.zoning._overlay import overlaps


def _units(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    geoms = []
    for _ in range(40):
        cx, cy = rng.uniform(0, 1000, 2)
        star = shapely.Polygon(
            [
                (cx + r * np.cos(a), cy + r * np.sin(a))
                for a, r in zip(
                    np.linspace(0, 2 * np.pi, 23)[:-1],
                    rng.uniform(20, 150, 22),
                    strict=True,
                )
            ]
        )
        if rng.random() < 0.3:  # a hole
            star = star.difference(shapely.Point(cx, cy).buffer(10))
        if rng.random() < 0.3:  # clockwise exterior
            star = shapely.orient_polygons(star, exterior_cw=True)
        if rng.random() < 0.2:  # a second part
            star = shapely.MultiPolygon([star, box(cx + 200, cy, cx + 260, cy + 30)])
        geoms.append(star)
    return np.array(geoms, dtype=object)


def _reference(units: np.ndarray, zones: np.ndarray) -> dict[tuple[int, int], float]:
    tree = shapely.STRtree(units)
    z, u = tree.query(zones)
    area = shapely.area(shapely.intersection(units[u], zones[z]))
    return {(int(a), int(b)): s for a, b, s in zip(u, z, area, strict=True) if s > 0}


@pytest.mark.parametrize(
    ("xs", "ys"),
    [
        (np.arange(-200, 1400, 100.0), np.arange(-200, 1400, 100.0)),
        (
            np.r_[-300, 0, 7.5, 250, 251, 600, 1001, 1500],
            np.r_[-300, 3, 333.3, 900, 1500],
        ),
    ],
)
def test_grid_areas_match_geos(xs, ys):
    units = _units(0)
    zones = np.array(
        [
            box(x0, y0, x1, y1)
            for x0, x1 in itertools.pairwise(xs)
            for y0, y1 in itertools.pairwise(ys)
        ],
        dtype=object,
    )
    assert _overlay._rect_grid(shapely.bounds(zones)) is not None
    ov = overlaps(units, zones, tolerance=0, n_jobs=1)
    ref = _reference(units, zones)
    got = dict(
        zip(zip(ov.unit.tolist(), ov.zone.tolist(), strict=True), ov.area, strict=True)
    )
    assert set(got) == set(ref)
    keys = sorted(ref)
    assert_allclose([got[k] for k in keys], [ref[k] for k in keys], rtol=1e-10)


def test_rectangles_off_grid_fall_back():
    units = _units(1)
    zones = np.array([box(0, 0, 500, 500), box(250, 250, 900, 700)], dtype=object)
    assert _overlay._rect_grid(shapely.bounds(zones)) is None
    ov = overlaps(units, zones, tolerance=0, n_jobs=1)
    ref = _reference(units, zones)
    assert_array_equal(
        np.sort(ov.unit * 2 + ov.zone), np.sort([u * 2 + z for u, z in ref])
    )


def test_unit_on_grid_lines_is_exact():
    # A unit made of whole cells plus a half cell: edges lie on grid lines.
    unit = shapely.union(box(0, 0, 200, 100), box(0, 100, 50, 200))
    zones = np.array(
        [box(x, y, x + 100, y + 100) for x in (0, 100) for y in (0, 100)], dtype=object
    )
    ov = overlaps(np.array([unit], dtype=object), zones, tolerance=0, n_jobs=1)
    got = dict(zip(ov.zone.tolist(), ov.area, strict=True))
    assert got == {0: 10000.0, 1: 5000.0, 2: 10000.0}
    assert not ov.whole.any()  # the unit spans several cells


def test_grid_threads_equal_serial(monkeypatch):
    from territobs.zoning import _grid_overlay

    monkeypatch.setattr(_grid_overlay, "_PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(_grid_overlay, "_CLIP_CHUNK_VERTICES", 50)
    units = _units(1)
    xs = np.arange(-200, 1400, 100.0)
    zones = np.array(
        [box(x0, y0, x0 + 100, y0 + 100) for x0 in xs for y0 in xs], dtype=object
    )
    one = overlaps(units, zones, tolerance=0, n_jobs=1)
    two = overlaps(units, zones, tolerance=0, n_jobs=2)
    assert_array_equal(one.unit, two.unit)
    assert_array_equal(one.area, two.area)
