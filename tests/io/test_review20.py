"""Hostile review of the repair of invalid polygons (review20).

``polygonal_repair`` serves ``read_boundaries``, ``zones_from_polygons`` and
the units GEOS cuts in ``build_weights``. A careful user's polygon is its
shell less its holes: a hole never adds land, and land never vanishes
because a hole touches its shell.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import MultiPolygon, Polygon, box

from territobs._repair import polygonal_repair
from territobs.errors import GeometryError, GeometryRepairedWarning
from territobs.io.boundaries import read_boundaries
from territobs.zoning.weights import build_weights
from territobs.zoning.zones import zones_from_polygons

X0, Y0 = 655000, 6865000


def _with_holes(shell, *holes):
    return Polygon(shell.exterior, [h.exterior for h in holes])


SQUARE = box(0, 0, 10, 10)
#: (input, area a careful user expects). Before: a bay (a hole sharing a side
#: with its shell) vanished (100 for 94), a hole outside its shell became land
#: (104 for 100), a hole across the shell added its outer half (100 for 96),
#: two overlapping holes left their overlap as land (76 for 72), a hole
#: covering its shell gave land (100 or 96 for nothing).
CASES = {
    "bay": (_with_holes(SQUARE, box(0, 2, 3, 4)), 94.0),
    "hole outside": (_with_holes(SQUARE, box(20, 20, 22, 22)), 100.0),
    "hole across the shell": (_with_holes(SQUARE, box(8, 2, 12, 4)), 96.0),
    "overlapping holes": (_with_holes(SQUARE, box(1, 1, 5, 5), box(3, 3, 7, 7)), 72.0),
    "hole = shell": (_with_holes(SQUARE, SQUARE), 0.0),
    "hole around the shell": (_with_holes(box(2, 2, 4, 4), SQUARE), 0.0),
    # unchanged: these kept what they enclose already
    "bowtie": (Polygon([(0, 0), (2, 2), (2, 0), (0, 2)]), 2.0),
    "spike": (
        Polygon([(0, 0), (10, 0), (10, 10), (5, 10), (5, 15), (5, 10), (0, 10)]),
        100.0,
    ),
    "overlapping parts": (MultiPolygon([box(0, 0, 2, 2), box(1, 1, 3, 3)]), 7.0),
    "nested shells": (MultiPolygon([SQUARE, box(2, 2, 4, 4)]), 100.0),
    "self-touching": (Polygon([(0, 3), (2, 3), (1, 3), (1, 0), (2, 3), (0, 3)]), 1.5),
    "bowtie hole": (
        _with_holes(SQUARE, Polygon([(1, 1), (3, 3), (3, 1), (1, 3)])),
        98.0,
    ),
    "repeated points": (Polygon([(0, 0), (0, 0), (1, 0), (1, 0), (1, 1), (0, 1)]), 1.0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_repair_keeps_the_shell_less_its_holes(name):
    geom, expected = CASES[name]
    (repaired,) = polygonal_repair(np.array([geom]))
    assert repaired.is_valid
    assert repaired.area == pytest.approx(expected, abs=1e-12)
    assert shapely.get_type_id(repaired) in (3, 6)
    assert repaired.is_empty == (expected == 0)


boxes = st.tuples(
    st.integers(0, 12), st.integers(0, 12), st.integers(1, 8), st.integers(1, 8)
).map(lambda t: box(t[0], t[1], t[0] + t[2], t[1] + t[3]))


@settings(max_examples=80, deadline=None)
@given(
    shell=boxes, holes=st.lists(boxes, min_size=1, max_size=4), parts=st.integers(1, 2)
)
def test_repair_is_the_shells_less_their_holes_united(shell, holes, parts):
    """Box shells with box holes anywhere (touching, crossing, outside,
    overlapping): the repair is the union over parts of shell − ∪ holes."""
    shells, hole_sets = [shell], [holes]
    if parts == 2:  # a second part overlapping the first, holes shifted
        shells.append(shapely.affinity.translate(shell, 2, 2))
        hole_sets.append([shapely.affinity.translate(h, 3, 1) for h in holes])
    polys = [_with_holes(s, *h) for s, h in zip(shells, hole_sets, strict=True)]
    expected = shapely.union_all(
        [
            shapely.difference(s, shapely.union_all(h))
            for s, h in zip(shells, hole_sets, strict=True)
        ]
    )
    (repaired,) = polygonal_repair(
        np.array([MultiPolygon(polys) if parts == 2 else polys[0]])
    )
    assert repaired.is_valid
    assert repaired.area == pytest.approx(expected.area, abs=1e-9)
    assert shapely.symmetric_difference(repaired, expected).area <= 1e-9


def _frame(geoms, column="INSEE_COM"):
    codes = ["93001", "93005"][: len(geoms)]
    return gpd.GeoDataFrame({column: codes}, geometry=geoms, crs=2154)


def _moved(geom):
    return shapely.affinity.translate(geom, X0, Y0)


def test_read_boundaries_keeps_the_bay_out(tmp_path):
    """A commune with a bay drawn as a hole on its border: 94 m², not 100 m²
    (the bay belongs to its neighbour: counted twice before)."""
    bay, _ = CASES["bay"]
    path = tmp_path / "communes.parquet"
    _frame([_moved(box(20, 0, 30, 10)), _moved(bay)]).to_parquet(path)
    with pytest.warns(GeometryRepairedWarning) as record:
        units = read_boundaries(path)
    assert record[0].message.codes == ["93005"]
    assert units.geometry.iloc[1].area == pytest.approx(94.0)


def test_zones_from_polygons_keep_the_bay_out():
    bay, _ = CASES["bay"]
    frame = gpd.GeoDataFrame(
        {"zone": ["A", "B"]}, geometry=[box(20, 0, 30, 10), bay], crs=2154
    )
    with pytest.warns(GeometryRepairedWarning) as record:
        zones = zones_from_polygons(frame)
    assert record[0].message.codes == ["B"]
    assert zones.geometry.iloc[1].area == pytest.approx(94.0)


def test_weights_keep_the_bay_out():
    """A unit with a bay, a zone over its left half drawn on its sides (so
    GEOS cuts it, repaired): 44 m² of its 94 m², not 50 of 100."""
    bay, _ = CASES["bay"]
    units = _frame([bay, box(20, 0, 30, 10)], column="code")
    left = Polygon([(0, 0), (5, 0), (5, 10), (0, 10), (-0.5, 5)])
    zones = zones_from_polygons(
        gpd.GeoDataFrame({"zone": ["Z0"]}, geometry=[left], crs=2154)
    )
    with pytest.warns(GeometryRepairedWarning) as record:
        weights = build_weights(units, zones, method="area", tolerance=0)
    assert record[0].message.codes == ["93001"]
    frame = weights.to_frame().set_index(["unit", "zone"])
    assert frame.loc[("93001", "Z0"), "weight"] == pytest.approx(44 / 94, abs=1e-12)


def test_a_hole_covering_its_shell_is_refused_by_code_everywhere(tmp_path):
    covered, _ = CASES["hole around the shell"]
    path = tmp_path / "communes.parquet"
    _frame([_moved(box(20, 0, 30, 10)), _moved(covered)]).to_parquet(path)
    with pytest.raises(GeometryError, match="sans surface") as info:
        read_boundaries(path)
    assert info.value.codes == ["93005"]
    frame = gpd.GeoDataFrame({"zone": ["A", "B"]}, geometry=[SQUARE, covered], crs=2154)
    # "zone non surfacique ... utilisez zones_from_buffer" before: a polygon
    # was given, its repair left nothing
    with pytest.raises(GeometryError, match="sans surface après réparation") as info:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", GeometryRepairedWarning)
            zones_from_polygons(frame)
    assert info.value.codes == ["B"]
    units = _frame([SQUARE, covered], column="code")
    zones = zones_from_polygons(
        gpd.GeoDataFrame({"zone": ["Z"]}, geometry=[box(0, 0, 5, 5)], crs=2154)
    )
    with pytest.raises(GeometryError, match="surfacique") as info:
        build_weights(units, zones, method="area")
    assert info.value.codes == ["93005"]
