"""Hostile inputs for the crossings kernel (``_crossings.py``) and its wiring.

Each input was built to attack one step of the algorithm: the order of
crossings along an edge, the prefix sums along a long ring, rings' closing
vertices, holes, parts, scales. Those that failed at first are kept as
regression tests (a comment says what was fixed); the one known limitation
is a strict xfail; the others are the attacks the kernel survives.
GEOS, the oracle, runs on the geometries moved exactly near the origin.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from numpy.testing import assert_allclose
from shapely import GeometryCollection, LineString, MultiPolygon, Polygon, box

from territobs.errors import GeometryError, GeometryRepairedWarning
from territobs.zoning import _crossings
from territobs.zoning._crossings import crossing_overlaps
from territobs.zoning._overlay import overlaps
from territobs.zoning.weights import build_weights
from territobs.zoning.zones import zones_from_polygons

from .overlay_oracle import _threads_always

#: Lambert-93 origin (Paris's inner suburbs).
X0, Y0 = 650_000.0, 6_860_000.0
#: Relative area agreement with GEOS asked of every pair.
REL = 1e-9


def _moved(geoms, shift) -> np.ndarray:
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: xy + shift)


def _dense(units, zones, shift=(0.0, 0.0)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(engine, geos, whole)`` unit × zone matrices; GEOS moved by ``-shift``."""
    units = np.asarray(units, dtype=object)
    zones = np.asarray(zones, dtype=object)
    ov = overlaps(units, zones, tolerance=0, n_jobs=1)
    got = np.zeros((len(units), len(zones)))
    whole = np.zeros(got.shape, dtype=bool)
    got[ov.unit, ov.zone] = ov.area
    whole[ov.unit, ov.zone] = ov.whole
    back = -np.asarray(shift, dtype=float)
    ref = shapely.area(
        shapely.intersection(_moved(units, back)[:, None], _moved(zones, back)[None, :])
    )
    return got, ref, whole


def _assert_like_geos(units, zones, shift=(0.0, 0.0)) -> None:
    got, ref, _ = _dense(units, zones, shift)
    unit_area = shapely.area(np.asarray(units, dtype=object))[:, None]
    assert_allclose(got / unit_area, ref / unit_area, rtol=0, atol=REL)


def _kernel(units, zones):
    units = np.asarray(units, dtype=object)
    zones = np.asarray(zones, dtype=object)
    z, u = shapely.STRtree(units).query(zones)
    shapely.prepare(zones)
    return crossing_overlaps(
        units, shapely.bounds(units), shapely.area(units), zones, u, z
    )


# --- bugs -----------------------------------------------------------------------

#: A unit whose bottom edge is 2 km long, and a valid sliver triangle 1e-13 m
#: wide whose two edges cross that bottom edge 5e-14 m apart: both crossings
#: get the same parameter ``t`` along the unit's edge.
_LONG_EDGE_UNIT = "POLYGON ((-1000 0, 1000 0, 1000 1000, 0 1300, -1000 1000, -1000 0))"
_SLIVER = (
    "POLYGON ((783.1303628179828 -1, 783.1303628179829 -1, "
    "783.1303628179828 1, 783.1303628179828 -1))"
)


# Fixed: crossings of one edge closer than the bound of their t leave the
# pair undecided (GEOS cuts it).
def test_two_crossings_with_equal_t_on_a_unit_edge():
    unit, zone = shapely.from_wkt([_LONG_EDGE_UNIT, _SLIVER])
    assert unit.is_valid and zone.is_valid
    got, ref, whole = _dense([unit], [zone])
    assert not whole[0, 0]
    assert got[0, 0] <= ref[0, 0] + REL * unit.area


# Fixed: as above, along the zone's edge.
def test_two_crossings_with_equal_t_on_a_zone_edge():
    """The same, roles swapped: the sliver is the unit, its overlap the zone's area."""
    zone, unit = shapely.from_wkt([_LONG_EDGE_UNIT, _SLIVER])
    got = _dense([unit], [zone])[0]
    assert got[0, 0] <= unit.area * (1 + REL)


# Fixed: as above (the case found at Lambert-93 magnitudes).
def test_sliver_zone_poking_through_a_unit_edge_at_lambert_coordinates():
    """A 2 km sliver one ulp wide (an overlay leftover) whose tip crosses a
    unit's edge by 0.65 m: 194 of 300 such random slivers hit the tie."""
    unit = Polygon(
        [(X0, Y0), (X0 + 1000, Y0 + 3.7), (X0 + 1010, Y0 + 1000), (X0 - 5, Y0 + 990)]
    )
    zone = shapely.from_wkt(
        "POLYGON ((650168.2193337148 6859000, 650168.2193337149 6859000, "
        "650168.5193337149 6860000.647965775, 650168.2193337148 6859000))"
    )
    assert zone.is_valid
    got, ref, _ = _dense([unit], [zone], (X0, Y0))
    assert ref[0, 0] == 0.0
    assert got[0, 0] <= REL * unit.area  # got: 1,000,581.5 m², the whole unit


def _big_zone(n: int = 100_000) -> tuple[Polygon, np.ndarray]:
    """A département-sized zone (50 km radius) with ``n`` vertices ~3 m apart."""
    rng = np.random.default_rng(1)
    angle = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = 50_000 * (1 + 0.05 * np.sin(37 * angle) + 0.01 * rng.standard_normal(n))
    ring = np.c_[X0 + 60_000 + r * np.cos(angle), Y0 + 60_000 + r * np.sin(angle)]
    return Polygon(ring), ring


def _square(cx: float, cy: float, side: float) -> Polygon:
    """A square turned by 0.3 rad (not a rectangle: no grid path)."""
    c, s = np.cos(0.3), np.sin(0.3)
    corners = np.array([(-1, -1), (1, -1), (1, 1), (-1, 1)]) * side / 2
    return Polygon(corners @ np.array([[c, s], [-s, c]]) + [cx, cy])


# Fixed: a span past the closing vertex adds the prefix sums' own total.
def test_unit_around_the_first_vertex_of_a_long_zone_ring():
    zone, ring = _big_zone()
    units = [_square(*ring[0], 20.0), _square(*ring[50_000], 20.0)]
    _assert_like_geos(units, [zone], (X0, Y0))


# Fixed: short spans are summed edge by edge about the unit's reference.
def test_small_unit_on_a_long_zone_ring_far_from_its_start():
    zone, ring = _big_zone()
    _assert_like_geos([_square(*ring[76_508], 10.0)], [zone], (X0, Y0))


_STAR_ZONE = Polygon(
    [
        (62.5 + r * np.cos(a), 55 + r * np.sin(a))
        for r, a in zip(
            np.tile([54.0, 67.5], 20), np.linspace(0, 2 * np.pi, 41)[:-1], strict=True
        )
    ]
)


def _unit_weight(unit: shapely.Geometry) -> float:
    """``build_weights(method="area", tolerance=0)`` weight of ``unit`` in the star."""
    units = gpd.GeoDataFrame(
        {"code": ["A", "B"]}, geometry=[unit, box(500, 500, 510, 510)], crs=2154
    )
    zones = zones_from_polygons(
        gpd.GeoDataFrame({"zone": ["Z"]}, geometry=[_STAR_ZONE], crs=2154)
    )
    frame = build_weights(units, zones, method="area", tolerance=0).to_frame()
    return float(frame.loc[frame["unit"] == "A", "weight"].sum())


def _repaired_share(unit: shapely.Geometry) -> float:
    valid = shapely.make_valid(unit, method="structure")  # parts: their union
    return shapely.area(shapely.intersection(valid, _STAR_ZONE)) / valid.area


# Fixed: units GEOS is about to cut are checked; invalid ones are made valid
# (with a warning naming them) and all their pairs cut over the repaired unit.
# (Units the crossings kernel decides alone are read as given: is_valid on the
# communes of France costs 0.18-0.32 s, more than the weights.)
def test_unit_with_a_spike_in_build_weights():
    spike = Polygon(
        [(0, 0), (100, 0), (100, 100), (50, 100), (50, 150), (50, 100), (0, 100)]
    )
    assert not spike.is_valid
    with pytest.warns(GeometryRepairedWarning, match=r"1 unité invalide.*« A »"):
        weight = _unit_weight(spike)
    assert weight == pytest.approx(_repaired_share(spike), abs=REL)


def test_unit_with_overlapping_parts_in_build_weights():
    """GEOS raised on it (a French error since); it is now repaired: the
    union of its parts, whose area is the share's denominator."""
    unit = MultiPolygon([box(0, 0, 100, 100), box(50, 50, 150, 150)])
    with pytest.warns(GeometryRepairedWarning, match=r"1 unité invalide.*« A »"):
        weight = _unit_weight(unit)
    assert weight == pytest.approx(_repaired_share(unit), abs=REL)


@pytest.mark.parametrize("keep_pieces", [False, True])
def test_overlaps_report_the_units_they_repaired(keep_pieces):
    """Both GEOS paths (areas only, pieces kept) cut the repaired unit."""
    spike = Polygon(
        [(0, 0), (100, 0), (100, 100), (50, 100), (50, 150), (50, 100), (0, 100)]
    )
    units = np.array([box(500, 500, 510, 510), spike], dtype=object)
    found = overlaps(
        units, np.array([_STAR_ZONE]), tolerance=0, keep_pieces=keep_pieces
    )
    assert found.repaired.tolist() == [1]
    share = found.area[found.unit == 1].sum() / found.unit_area[1]
    assert share == pytest.approx(_repaired_share(spike), abs=REL)
    assert found.unit_area[1] == pytest.approx(shapely.make_valid(spike).area)


# Fixed: a NaN or infinite coordinate is refused, naming the unit or zone (GEOS
# leaves it out of the bounds: the unit had weight 1 « exact »).
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_unit_with_a_non_finite_coordinate_is_refused(bad):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # shapely warns on NaN
        unit = Polygon([(10, 10), (90, 10), (bad, 50), (90, 90), (10, 90)])
    with pytest.raises(
        GeometryError, match=r"1 unité avec des coordonnées non finies.*« A »"
    ):
        _unit_weight(unit)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_zone_with_a_non_finite_coordinate_is_refused(bad):
    """Refused by zones_from_polygons (make_valid raised GEOS's English error
    or returned a line through the NaN), and by build_weights when the zone
    table is built by hand."""
    units = gpd.GeoDataFrame({"code": ["A"]}, geometry=[box(0, 0, 10, 10)], crs=2154)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        zone = Polygon([(0, 0), (20, 0), (20, bad), (0, 20)])
    frame = gpd.GeoDataFrame({"zone": ["Z1"]}, geometry=[zone], crs=2154)
    with pytest.raises(
        GeometryError, match=r"1 zone avec des coordonnées non finies.*« Z1 »"
    ):
        zones_from_polygons(frame)
    zones = zones_from_polygons(
        gpd.GeoDataFrame({"zone": ["Z1"]}, geometry=[box(0, 0, 20, 20)], crs=2154)
    )
    zones.geometry.array[0] = zone  # a table built by hand
    with pytest.raises(
        GeometryError, match=r"1 zone avec des coordonnées non finies.*« Z1 »"
    ):
        build_weights(units, zones, method="area", tolerance=0)


# Fixed: non-polygonal geometries are left to GEOS.
def test_geometry_collection_unit_with_a_closed_line():
    square = Polygon([(10, 10), (90, 12), (88, 90), (12, 88)])
    line = LineString([(100, 100), (115, 100), (115, 115), (100, 115), (100, 100)])
    unit = GeometryCollection([square, line])
    share = shapely.area(shapely.intersection(unit, _STAR_ZONE)) / unit.area
    assert _unit_weight(unit) == pytest.approx(share, abs=REL)


# --- attacks that pass ------------------------------------------------------------


def _roll(poly: Polygon, k: int) -> Polygon:
    def ring(r):
        c = np.asarray(r.coords)[:-1]
        c = np.roll(c, k, axis=0)
        return np.r_[c, c[:1]]

    return Polygon(ring(poly.exterior), [ring(h) for h in poly.interiors])


def _reversed(poly: Polygon) -> Polygon:
    return Polygon(poly.exterior.coords[::-1], [h.coords[::-1] for h in poly.interiors])


def _comb(teeth: int = 20) -> Polygon:
    """Teeth crossing one unit edge 40 times (several crossings per edge)."""
    pts = [(0.0, -5.0)]
    for i in range(teeth):
        a = i * 7.0
        pts += [(a, 5.0), (a + 3, 5.0), (a + 3, -5.0)]
    pts += [(teeth * 7.0, -15.0), (0.0, -15.0)]
    return Polygon(pts)


_HOLED = Polygon(
    box(0, 0, 100, 100).exterior.coords, [[(30, 30), (70, 32), (68, 71), (31, 69)]]
)
_STAR = Polygon(
    [
        (50 + r * np.cos(a), 50 + r * np.sin(a))
        for r, a in zip(
            np.tile([36.0, 45.0], 20), np.linspace(0, 2 * np.pi, 41)[:-1], strict=True
        )
    ]
)
_SCALES = [
    pytest.param(lambda xy: xy, id="1"),
    pytest.param(lambda xy: xy + 1e7, id="1e7"),
    pytest.param(lambda xy: xy * 1e-5 + 1e-3, id="1e-3"),
]


def _attacks() -> dict[str, tuple[list, list]]:
    unit = Polygon([(-5.5, 0), (200, 0.1), (201, 50), (-5, 49)])
    closing = Polygon([(10, 50), (50, -10), (90, 50), (50, 110.5)])
    zone_holed = Polygon(_STAR.exterior.coords, [[(45, 45), (55, 46), (54, 56)]])
    return {
        "comb, every start vertex, both orientations": (
            [f(_roll(unit, k)) for k in range(4) for f in (_roll, _reversed)[1:]]
            + [_roll(unit, k) for k in range(4)],
            [f(_roll(_comb(), k)) for k in (0, 1, 2, 17, 30) for f in (_reversed,)]
            + [_roll(_comb(), k) for k in (0, 1, 2, 17, 30)],
        ),
        "crossings on the closing edge": (
            [closing, _reversed(closing), _roll(closing, 1)],
            [Polygon([(0, 80.3), (40, 60), (0, 70.7), (-5, 75)])],
        ),
        "zone crossing a hole, not the exterior": (
            [_HOLED, MultiPolygon([_HOLED])],
            [Polygon([(40, 20.5), (60, 21), (61, 45), (41, 44)])],
        ),
        "zone in the hole, zone round the hole": (
            [_HOLED],
            [
                Polygon([(40, 40.5), (60, 41), (61, 55), (41, 54)]),
                Polygon([(20, 20.5), (80, 21), (81, 85), (21, 84)]),
            ],
        ),
        "multipolygon: a simple part and a holed part both crossed": (
            [MultiPolygon([box(200, 0, 250, 50), _HOLED]), box(200, 0, 250, 50)],
            [Polygon([(-10, 50.5), (300, 40), (300, 60), (-10, 61)]), _STAR],
        ),
        "zone with a hole, both orientations": (
            [
                Polygon([(40, 40), (60, 41), (59, 60), (41, 59)]),
                Polygon([(44, 44), (56, 45), (55, 57)]),
                _HOLED,
            ],
            [zone_holed, _reversed(zone_holed)],
        ),
        "repeated vertices (zero-length edges), at index 0 too": (
            [
                _roll(
                    Polygon(
                        [
                            (0, 0),
                            (0, 0),
                            (100, 1),
                            (100, 1),
                            (99, 100),
                            (0, 99),
                            (0, 99),
                        ]
                    ),
                    k,
                )
                for k in range(3)
            ],
            [_STAR, _reversed(_STAR)],
        ),
        "hole touching the exterior (zero-width neck)": (
            [
                Polygon(
                    box(0, 0, 100, 100).exterior.coords, [[(0, 50), (50, 40), (50, 60)]]
                )
            ],
            [_STAR, Polygon([(-10, 45), (30, 45.5), (31, 55), (-10, 56)])],
        ),
    }


@pytest.mark.parametrize("scale", _SCALES)
@pytest.mark.parametrize("name", list(_attacks()))
def test_attacks_decided_by_the_kernel_match_geos(name, scale):
    units, zones = _attacks()[name]
    units = shapely.transform(np.array(units, dtype=object), scale)
    zones = shapely.transform(np.array(zones, dtype=object), scale)
    assert shapely.is_valid(units).all() and shapely.is_valid(zones).all()
    assert not _kernel(units, zones).degenerate.any()  # the kernel decided them
    # Near 1e7, GEOS runs on them moved back exactly (Sterbenz).
    far = scale(np.zeros((1, 2)))[0, 0] == 1e7
    _assert_like_geos(units, zones, (1e7, 1e7) if far else (0.0, 0.0))


def _mixed_batch() -> tuple[np.ndarray, np.ndarray]:
    """Every attack, plus degenerate pairs (shared edges, a zone equal to a unit)."""
    units, zones = [], []
    for us, zs in _attacks().values():
        units += us
        zones += zs
    cells = [box(x, 300, x + 10, 310) for x in range(300, 340, 10)]
    units += [shapely.segmentize(c, 2.5) for c in cells]
    zones += [
        shapely.union_all(cells[:2]),
        cells[3],
        Polygon([(300, 300), (320, 310), (300, 310)]),
    ]
    units = _moved(units, (X0, Y0))
    zones = _moved(zones, (X0, Y0))
    return units, zones


def test_batches_of_one_pair_and_threads_change_nothing(monkeypatch):
    """Pairs of a unit split over batches, degenerate pairs mixed in: same result."""
    units, zones = _mixed_batch()
    assert _kernel(units, zones).degenerate.any()
    assert (~_kernel(units, zones).degenerate).sum() > 50
    got, ref, whole = _dense(units, zones, (X0, Y0))
    unit_area = shapely.area(units)[:, None]
    assert_allclose(got / unit_area, ref / unit_area, rtol=0, atol=REL)
    assert ((got > 0) == (ref > REL * unit_area)).all()
    assert (whole == shapely.contains(zones[None, :], units[:, None])).all()
    monkeypatch.setattr(_crossings, "_BATCH_PAIRS", 1)
    monkeypatch.setattr(_crossings, "_BATCH_VERTICES", 1)
    with _threads_always():
        two = overlaps(units, zones, tolerance=0, n_jobs=2)
    again = np.zeros_like(got)
    again[two.unit, two.zone] = two.area
    assert_allclose(again, got, rtol=1e-13, atol=0)
