"""Hostile review of the zone windows GEOS cuts with (review20).

``zone_windows`` clips a zone with many times a unit's vertices to a box
around the unit before GEOS intersects them. The oracle is GEOS's
``intersection(unit, zone)`` with the whole zone, near the origin.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point, Polygon, box

from territobs.zoning._overlay import overlaps, zone_windows

from .overlay_oracle import _threads_always

#: A hole of zero area (4.4e-16 m²): the three corners are all but collinear,
#: as a gap left between two communes by a union. Valid for GEOS.
SLIVER = [(6, 3), (4.857142857142857, 3.857142857142857), (2, 6)]
#: A 64-corner disk with that sliver hole: many times a box's vertices.
ZONE = Polygon(Point(4, 4.5).buffer(10, 16).exterior.coords, [SLIVER])


def _assert_pieces_are_geos(found, units, zones, offset):
    """Every pair's area and piece are GEOS's on the whole zone (near origin)."""
    near_units = shapely.transform(units, lambda xy: xy - offset)
    near_zones = shapely.transform(zones, lambda xy: xy - offset)
    ref = shapely.intersection(near_units[:, None], near_zones[None, :])
    ref_area = shapely.area(ref)
    got = np.zeros_like(ref_area)
    got[found.unit, found.zone] = found.area
    scale = shapely.area(near_units)[:, None]
    np.testing.assert_allclose(got / scale, ref_area / scale, rtol=0, atol=1e-9)
    for i in np.flatnonzero(~found.whole):
        piece = shapely.transform(found.pieces[i], lambda xy: xy - offset)
        wrong = shapely.symmetric_difference(piece, ref[found.unit[i], found.zone[i]])
        assert wrong.area <= 1e-9 * scale[found.unit[i], 0]


def test_a_sliver_hole_in_the_window_does_not_stop_the_pieces():
    """clip_by_rect gave up on the sliver ring (a raw GEOSException: "Invalid
    number of points in LinearRing found 3") where GEOS cuts the whole zone."""
    unit = box(5.875, 2.5, 8.75, 7)
    assert ZONE.is_valid
    with pytest.raises(shapely.errors.GEOSException):  # the window's maker
        shapely.clip_by_rect(ZONE, *np.add(unit.bounds, [-0.045, -0.045, 0.045, 0.045]))
    for sound in (None, np.array([True])):  # found flat, or clipped anyway
        (window,) = zone_windows(np.array([ZONE]), np.array([unit]), sound)
        assert shapely.area(shapely.intersection(unit, window)) == pytest.approx(
            shapely.area(shapely.intersection(unit, ZONE)), abs=1e-12
        )
    units, zones = np.array([unit, box(0, 0, 1, 1)]), np.array([ZONE])
    found = overlaps(units, zones, tolerance=0, keep_pieces=True, n_jobs=1)
    _assert_pieces_are_geos(found, units, zones, np.zeros(2))


def test_a_window_across_a_flat_hole_keeps_the_unit():
    """The window of box(1, 2.625, 3, 5.25) came out valid and wrong: the
    sliver hole itself, so 0 of the unit's 5.25 m² in the zone, not all."""
    unit = box(1, 2.625, 3, 5.25)
    assert shapely.intersection(unit, ZONE).area == pytest.approx(5.25, abs=1e-12)
    (window,) = zone_windows(np.array([ZONE]), np.array([unit]))
    assert shapely.intersection(unit, window).area == pytest.approx(5.25, abs=1e-12)
    found = overlaps(np.array([unit]), np.array([ZONE]), keep_pieces=True, n_jobs=1)
    assert found.unit.tolist() == [0]
    assert found.area.tolist() == [5.25]


@settings(max_examples=60, deadline=None)
@given(
    x=st.integers(8, 48),
    y=st.integers(16, 40),
    size=st.tuples(st.integers(1, 24), st.integers(1, 24)),
    lambert=st.booleans(),
    n_jobs=st.sampled_from([1, 2]),
)
def test_windows_across_a_sliver_hole_give_geos_pieces(x, y, size, lambert, n_jobs):
    """Boxes on a 1/8 lattice across the sliver hole, near the origin or at
    Lambert-93 magnitudes (whole offsets: the moves are exact). The window
    of box(1, 2.625, 3, 5.25) was the sliver itself: 0 of the unit's 5.25 m²
    in the zone instead of all of it."""
    offset = np.array([652_000.0, 6_862_000.0]) if lambert else np.zeros(2)
    unit = box(x / 8, y / 8, (x + size[0]) / 8, (y + size[1]) / 8)
    near = [unit, shapely.affinity.translate(unit, 0.5, -0.25), box(9, 4, 15, 5)]
    units = shapely.transform(np.array(near), lambda xy: xy + offset)
    zones = shapely.transform(np.array([ZONE]), lambda xy: xy + offset)
    with _threads_always():  # n_jobs=2 splits even these few pairs
        found = overlaps(units, zones, tolerance=0, keep_pieces=True, n_jobs=n_jobs)
    _assert_pieces_are_geos(found, units, zones, offset)


def test_an_empty_unit_gets_no_window_and_no_numpy_warning():
    """A flat unit (area 0) is repaired to an empty polygon: its bounds are
    NaN and clip_by_rect warned "invalid value encountered in clip_by_rect"."""
    zone = Point(0.5, 0.5).buffer(10, 16)
    flat = Polygon([(0, 0), (2, 0), (1, 0)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (window,) = zone_windows(np.array([zone]), np.array([Polygon()]))
        found = overlaps(
            np.array([flat, box(0, 0, 1, 1)]), np.array([zone]), keep_pieces=True
        )
    assert shapely.intersection(Polygon(), window).is_empty
    assert found.unit.tolist() == [1]
