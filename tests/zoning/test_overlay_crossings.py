"""Overlap areas from boundary crossings (Green's theorem) equal GEOS's.

These tests call the kernel itself (:func:`crossing_overlaps`) as well as
:func:`overlaps`, and check that the generic inputs were decided by the
kernel (not left to the GEOS fallback), so that they test it.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from shapely import box

from territobs.zoning import _crossings, _overlay
from territobs.zoning._crossings import crossing_overlaps
from territobs.zoning._overlay import overlaps

from .test_weights_grid import _reference, _units

#: Lambert-93 coordinates near Paris: rounding shows at this scale only.
FAR = np.array([652_000.0, 6_862_000.0])


def _star(cx: float, cy: float, radius: float, points: int = 10) -> shapely.Polygon:
    angle = np.linspace(0, 2 * np.pi, 2 * points + 1)[:-1]
    r = np.where(np.arange(2 * points) % 2 == 0, radius, radius / 2)
    return shapely.Polygon(np.c_[cx + r * np.cos(angle), cy + r * np.sin(angle)])


def _zones(seed: int) -> np.ndarray:
    """Convex and non-convex zones, holes, several parts, both orientations."""
    rng = np.random.default_rng(seed + 100)
    zones = []
    for j in range(20):
        cx, cy = rng.uniform(0, 1000, 2)
        kind = j % 5
        if kind == 0:  # buffers of points, coarse to fine
            zones.append(
                shapely.Point(cx, cy).buffer(rng.uniform(20, 400), quad_segs=j // 5 + 1)
            )
        elif kind == 1:  # non-convex stars, clockwise half of the time
            star = _star(cx, cy, rng.uniform(50, 400))
            zones.append(shapely.orient_polygons(star, exterior_cw=bool(j % 2)))
        elif kind == 2:  # a hole
            outer = shapely.Point(cx, cy).buffer(rng.uniform(150, 300))
            zones.append(outer.difference(_star(cx + 5, cy - 3, 80, 7)))
        elif kind == 3:  # two parts
            zones.append(
                shapely.MultiPolygon(
                    [_star(cx, cy, 120, 6), box(cx + 200, cy - 40, cx + 330, cy + 90)]
                )
            )
        else:  # collinear and repeated vertices
            zones.append(
                shapely.Polygon(
                    [
                        (cx, cy),
                        (cx + 250, cy + 50),
                        (cx + 500, cy + 100),
                        (cx + 500, cy + 100),
                        (cx + 300, cy + 600),
                        (cx - 50, cy + 200),
                    ]
                )
            )
    return np.array(zones, dtype=object)


def _moved(geoms: np.ndarray, offset: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: xy + offset)


def _kernel(units: np.ndarray, zones: np.ndarray):
    z, u = shapely.STRtree(units).query(zones)
    shapely.prepare(zones)
    found = crossing_overlaps(
        units, shapely.bounds(units), shapely.area(units), zones, u, z
    )
    return u, z, found


def _assert_like_geos(units: np.ndarray, zones: np.ndarray, atol: float = 1e-12):
    """Kernel areas and whole flags equal GEOS on every decided pair."""
    u, z, found = _kernel(units, zones)
    decided = ~found.degenerate
    unit_area = shapely.area(units)[u]
    geos = shapely.area(shapely.intersection(units[u], zones[z]))
    assert_allclose(
        found.area[decided] / unit_area[decided],
        geos[decided] / unit_area[decided],
        rtol=0,
        atol=atol,
    )
    inside = shapely.contains(zones[z], units[u])
    assert_array_equal(found.whole[decided], inside[decided])
    return found


@pytest.mark.parametrize("offset", [np.zeros(2), FAR])
@pytest.mark.parametrize("seed", range(6))
def test_kernel_equals_geos(seed, offset):
    units = _moved(_units(seed), offset)
    zones = _moved(_zones(seed), offset)
    found = _assert_like_geos(units, zones)
    # Generic positions: every pair decided by the kernel itself.
    assert not found.degenerate.any()
    assert found.whole.any() and (~found.whole & (found.area > 0)).any()


@pytest.mark.parametrize("seed", range(4))
def test_overlaps_equal_geos(seed):
    units, zones = _units(seed), _zones(seed)
    ov = overlaps(units, zones, tolerance=0, n_jobs=1)
    ref = _reference(units, zones)
    got = dict(
        zip(zip(ov.unit.tolist(), ov.zone.tolist(), strict=True), ov.area, strict=True)
    )
    assert set(got) == set(ref)
    keys = sorted(ref)
    unit_area = shapely.area(units)[[k[0] for k in keys]]
    assert_allclose(
        np.array([got[k] for k in keys]) / unit_area,
        np.array([ref[k] for k in keys]) / unit_area,
        rtol=0,
        atol=1e-12,
    )
    assert_array_equal(ov.whole, shapely.contains(zones[ov.zone], units[ov.unit]))


def test_zones_drawn_on_the_units_boundaries_go_to_geos():
    """Shared edges and vertices are undecided: GEOS cuts those pairs."""
    cells = box(
        *np.meshgrid(np.arange(4.0), np.arange(4.0)),
        *np.meshgrid(np.arange(1.0, 5.0), np.arange(1.0, 5.0)),
    )
    units = _moved(shapely.segmentize(cells.ravel(), 0.25), FAR)
    zones = np.array(
        [
            shapely.union_all(units[[0, 1, 5]]),  # edges along the units'
            units[10],  # a zone equal to a unit
            _moved(np.array([shapely.Polygon([(0, 0), (2, 2), (0, 3)])]), FAR)[0],
        ],
        dtype=object,
    )
    found = _kernel(units, zones)[2]
    assert found.degenerate.any()
    ov = overlaps(units, zones, tolerance=0, n_jobs=1)
    ref = _reference(units, zones)
    got = dict(
        zip(zip(ov.unit.tolist(), ov.zone.tolist(), strict=True), ov.area, strict=True)
    )
    assert set(got) == set(ref)
    for key, area in ref.items():
        assert got[key] == pytest.approx(area, rel=1e-12)
    whole = dict(
        zip(zip(ov.unit.tolist(), ov.zone.tolist(), strict=True), ov.whole, strict=True)
    )
    assert whole[(0, 0)] and whole[(1, 0)] and whole[(5, 0)] and whole[(10, 1)]
    assert (4, 0) not in whole  # touches the zone along an edge only


def test_zone_inside_one_unit_and_unit_in_a_hole():
    big = _moved(np.array([box(0, 0, 100, 100), box(40, 40, 60, 60)]), FAR)
    holed = shapely.Polygon(
        box(0, 0, 100, 100).exterior.coords, [box(30, 30, 70, 70).exterior.coords]
    )
    zones = _moved(np.array([box(10, 10, 20, 25), _star(80, 80, 8), holed]), FAR)
    units = np.array([big[0], big[1]], dtype=object)
    found = _assert_like_geos(units, zones)
    u, z, _ = _kernel(units, zones)
    by_pair = dict(
        zip(zip(u.tolist(), z.tolist(), strict=True), found.area, strict=True)
    )
    assert by_pair[(0, 0)] == pytest.approx(150.0, rel=1e-12)  # zone inside unit
    assert by_pair[(1, 2)] == 0.0  # unit inside the zone's hole


def test_batches_give_the_same_result(monkeypatch):
    units, zones = _units(2), _zones(2)
    one = _kernel(units, zones)[2]
    monkeypatch.setattr(_crossings, "_BATCH_PAIRS", 7)
    many = _kernel(units, zones)[2]
    assert_array_equal(one.whole, many.whole)
    assert_array_equal(one.degenerate, many.degenerate)
    assert_allclose(one.area, many.area, rtol=1e-13, atol=1e-9)


def test_batches_on_threads_give_the_same_result(monkeypatch):
    """Batches run on 2 threads: the same bits as one after the other.

    Units prepared by an earlier call are shared between the threads, as
    are the zones (GEOS builds their point locators lazily: under a lock).
    """
    units = _units(5)
    zones = np.concatenate(
        [_zones(5), np.array([shapely.union_all(units[:4])], dtype=object)]
    )
    monkeypatch.setattr(_crossings, "_BATCH_PAIRS", 7)
    z, u = shapely.STRtree(units).query(zones)
    bounds, area = shapely.bounds(units), shapely.area(units)
    one = crossing_overlaps(units, bounds, area, zones, u, z, workers=1)
    shapely.prepare(units)
    shapely.prepare(zones)
    threads: set[int] = set()
    batch = _crossings._batch

    def recorded(*args):
        threads.add(threading.get_ident())
        return batch(*args)

    monkeypatch.setattr(_crossings, "_batch", recorded)
    two = crossing_overlaps(units, bounds, area, zones, u, z, workers=2)
    assert len(threads) == 2 and threading.get_ident() not in threads
    assert one.degenerate.any() and (~one.degenerate).any()
    assert_array_equal(one.degenerate, two.degenerate)
    assert_array_equal(one.whole, two.whole)
    assert_array_equal(one.area, two.area)
    shapely.destroy_prepared(units)


def test_threads_do_not_change_the_result(monkeypatch):
    """Pairs left to GEOS (zones drawn on the units) cut on 2 threads or 1."""
    units = _units(3)
    zones = np.concatenate(
        [
            _zones(3),
            np.array(
                [shapely.union_all(units[i : i + 3]) for i in range(0, 30, 3)],
                dtype=object,
            ),
        ]
    )
    assert _kernel(units, zones)[2].degenerate.sum() >= 10  # GEOS really cuts some
    monkeypatch.setattr(_overlay, "_PARALLEL_MIN_WORK", 0)  # threads from any size
    one = overlaps(units, zones, tolerance=0, n_jobs=1)
    two = overlaps(units, zones, tolerance=0, n_jobs=2)
    assert_array_equal(one.unit, two.unit)
    assert_array_equal(one.whole, two.whole)
    assert_array_equal(one.area, two.area)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    points=st.integers(3, 12),
    density=st.sampled_from([1, 4, 16]),
    far=st.booleans(),
)
def test_stars_over_a_voronoi_coverage(seed, points, density, far):
    """Random stars over a coverage of random cells, densified: like GEOS."""
    rng = np.random.default_rng(seed)
    sites = shapely.MultiPoint(rng.uniform(0, 1000, (30, 2)))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(sites, extend_to=box(-100, -100, 1100, 1100))
    )
    cells = shapely.intersection(cells, box(0, 0, 1000, 1000))
    cells = cells[shapely.area(cells) > 0]
    if density > 1:
        edge = shapely.length(cells) / shapely.get_num_coordinates(cells)
        cells = shapely.segmentize(cells, edge / density)
    zones = np.array(
        [
            _star(*rng.uniform(0, 1000, 2), rng.uniform(30, 500), points)
            for _ in range(6)
        ],
        dtype=object,
    )
    offset = FAR if far else np.zeros(2)
    _assert_like_geos(_moved(cells, offset), _moved(zones, offset), atol=1e-11)


def test_batches_by_vertices_give_the_same_result(monkeypatch):
    """Batches cut by the units' vertices, a unit's pairs in one batch."""
    units, zones = _units(4), _zones(4)
    one = _kernel(units, zones)[2]
    monkeypatch.setattr(_crossings, "_BATCH_VERTICES", 50)
    cuts = _crossings._batch_cuts(units, np.sort(_kernel(units, zones)[0]))
    assert len(cuts) > 5
    many = _kernel(units, zones)[2]
    assert_array_equal(one.whole, many.whole)
    assert_allclose(one.area, many.area, rtol=1e-13, atol=1e-9)
