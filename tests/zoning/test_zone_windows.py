"""GEOS cuts a unit with the zone clipped to a window around it.

``zone_windows`` must never change an area: ``unit ∩ zone = unit ∩ (zone ∩ W)``
for a window ``W`` holding the unit, and ``clip_by_rect``'s invalid outputs
(it does not promise validity) give way to the whole zone.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from shapely import Polygon, box

from territobs.zoning import _overlay
from territobs.zoning._overlay import overlaps, zone_windows


def test_an_invalid_window_gives_way_to_the_whole_zone():
    zone = shapely.from_wkt("POLYGON ((5 4, 4 5, 3 3, 0 5, 5 0, 5 4))")
    side = 2 / 1.02  # the unit's window (its box widened by 1 %) is (2, 3, 4, 5)
    unit = box(2 + 0.01 * side, 3 + 0.01 * side, 2 + 1.01 * side, 3 + 1.01 * side)
    assert not shapely.clip_by_rect(zone, 2.0, 3.0, 4.0, 5.0).is_valid
    (window,) = zone_windows(np.array([zone]), np.array([unit]))
    assert window.is_valid
    assert shapely.area(shapely.intersection(unit, window)) == pytest.approx(
        shapely.area(shapely.intersection(unit, zone)), abs=1e-12
    )


def _lattice_polygon(points: list[tuple[int, int]]) -> shapely.Geometry:
    """The polygonal part of a random polygon on the integer lattice, made valid."""
    geom = shapely.make_valid(Polygon(points))
    parts = shapely.get_parts(geom)
    parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
    return shapely.union_all(parts)


lattice_points = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=4, max_size=9
)


@settings(max_examples=150, deadline=None)
@given(
    zone_points=lattice_points,
    corner=st.tuples(st.integers(0, 50), st.integers(0, 50)),
    size=st.tuples(st.integers(1, 30), st.integers(1, 30)),
    tenths=st.booleans(),
)
def test_windows_never_change_an_area(zone_points, corner, size, tenths):
    """Lattice zones (vertices on the windows' sides happen), units on a finer
    lattice: the window is valid and the overlap's area is the zone's."""
    zone = _lattice_polygon(zone_points)
    if zone.is_empty or zone.area == 0:
        return
    scale = 10.0 if tenths else 8.0  # windows on or off the zone's lattice
    x0, y0 = corner[0] / scale, corner[1] / scale
    unit = box(x0, y0, x0 + size[0] / scale, y0 + size[1] / scale)
    (window,) = zone_windows(np.array([zone]), np.array([unit]))
    assert window.is_valid
    assert shapely.area(shapely.intersection(unit, window)) == pytest.approx(
        shapely.area(shapely.intersection(unit, zone)), abs=1e-12
    )


def test_overlaps_with_and_without_windows_agree(monkeypatch):
    """Zones drawn on the units (every boundary pair goes to GEOS), each with
    many times a unit's vertices: the windows are used, the areas unchanged."""
    rng = np.random.default_rng(3)
    sites = shapely.MultiPoint(rng.uniform(0, 1000, (120, 2)))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(sites, extend_to=box(-100, -100, 1100, 1100))
    )
    units = shapely.intersection(cells, box(0, 0, 1000, 1000))
    units = shapely.segmentize(units, 5.0)
    units = shapely.transform(units, lambda xy: xy + np.array([652_000.0, 6_862_000.0]))
    order = np.argsort(shapely.get_x(shapely.centroid(units)))
    zones = np.array(
        [shapely.union_all(units[order[k : k + 40]]) for k in range(0, 120, 40)],
        dtype=object,
    )
    assert shapely.get_num_coordinates(zones).min() > 4 * (
        shapely.get_num_coordinates(units).max()
    )
    used = []
    windows = _overlay.zone_windows

    def recorded(z, u, *sound):
        used.append(len(z))
        return windows(z, u, *sound)

    monkeypatch.setattr(_overlay, "zone_windows", recorded)
    with_windows = overlaps(units, zones, tolerance=0, n_jobs=1)
    assert sum(used) > 20
    monkeypatch.setattr(_overlay, "_WINDOW_RATIO", np.inf)
    plain = overlaps(units, zones, tolerance=0, n_jobs=1)
    assert_array_equal(with_windows.unit, plain.unit)
    assert_array_equal(with_windows.zone, plain.zone)
    assert_array_equal(with_windows.whole, plain.whole)
    assert_allclose(
        with_windows.area / plain.unit_area[plain.unit],
        plain.area / plain.unit_area[plain.unit],
        rtol=0,
        atol=1e-12,
    )
