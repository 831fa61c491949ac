"""The convex-zone path of the overlaps (half-plane clipping) equals GEOS."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from numpy.testing import assert_allclose

from territobs.zoning import _convex_overlay, _overlay
from territobs.zoning._overlay import _convex_planes, overlaps

from .test_weights_grid import _reference, _units


def _zones(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 100)
    zones = []
    for j in range(16):
        centre = shapely.Point(rng.uniform(0, 1000, 2))
        kind = j % 4
        if kind == 0:  # buffers of points, coarse to fine
            zones.append(centre.buffer(rng.uniform(20, 400), quad_segs=j // 4 + 1))
        elif kind == 1:
            hull = shapely.MultiPoint(rng.uniform(0, 1000, (6, 2))).convex_hull
            zones.append(hull)
        elif kind == 2:  # clockwise
            zones.append(
                shapely.orient_polygons(
                    centre.buffer(rng.uniform(50, 300)), exterior_cw=True
                )
            )
        else:  # collinear vertices
            zones.append(shapely.Polygon([(0, 0), (250, 50), (500, 100), (300, 600)]))
    return np.array(zones, dtype=object)


@pytest.mark.parametrize("seed", range(8))
def test_convex_areas_match_geos(seed):
    units, zones = _units(seed), _zones(seed)
    assert _convex_planes(zones)[0].all()
    ov = overlaps(units, zones, tolerance=0, n_jobs=1)
    ref = _reference(units, zones)
    got = {
        (int(u), int(z)): a for u, z, a in zip(ov.unit, ov.zone, ov.area, strict=True)
    }
    assert set(got) == set(ref)
    keys = sorted(ref)
    unit_area = shapely.area(units)[[k[0] for k in keys]]
    # Absolute error relative to the unit (slivers carry rounding noise only).
    assert_allclose(
        np.array([got[k] for k in keys]) / unit_area,
        np.array([ref[k] for k in keys]) / unit_area,
        rtol=0,
        atol=1e-12,
    )
    contains = shapely.contains(zones[ov.zone], units[ov.unit])
    np.testing.assert_array_equal(ov.whole, contains)


def test_non_convex_zones_use_geos():
    notch = shapely.Polygon([(0, 0), (100, 0), (100, 100), (50, 40), (0, 100)])
    holed = shapely.Point(0, 0).buffer(50).difference(shapely.Point(0, 0).buffer(10))
    convex, _ = _convex_planes(np.array([notch, holed], dtype=object))
    assert not convex.any()


def test_threads_equal_serial(monkeypatch):
    monkeypatch.setattr(_overlay, "_PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(_convex_overlay, "_PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(_convex_overlay, "_NUMPY_PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(_convex_overlay, "_CONVEX_CHUNK", 500)
    units, zones = _units(3), _zones(3)
    one = overlaps(units, zones, tolerance=0, n_jobs=1)
    two = overlaps(units, zones, tolerance=0, n_jobs=2)
    np.testing.assert_array_equal(one.area, two.area)
