"""Hostile review of the repair of invalid units on reading (review19)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely import MultiPolygon, Polygon, box

from territobs.errors import GeometryRepairedWarning
from territobs.io.boundaries import read_boundaries

X0, Y0 = 655000, 6865000


# Fixed: a commune drawn as two overlapping parts was repaired by make_valid's
# default (linework) into their symmetric difference: the 1 km² where they
# overlap became a hole (3.5 km² for 4.5 km² of union, 2 km² lost from 6.5 km²
# drawn). make_valid(method="structure") keeps the union.
@pytest.mark.parametrize("suffix", [".gpkg", ".parquet"])
def test_commune_with_overlapping_parts_is_read_as_their_union(
    write_layer, tmp_path, suffix
):
    overlapping = MultiPolygon(
        [
            box(X0 + 3000, Y0, X0 + 5000, Y0 + 2000),
            box(X0 + 4000, Y0 + 1000, X0 + 5500, Y0 + 2500),
        ]
    )
    frame = gpd.GeoDataFrame(
        {"INSEE_COM": ["93001", "93005"], "NOM": ["A", "B"]},
        geometry=[box(X0, Y0, X0 + 3000, Y0 + 3000), overlapping],
        crs=2154,
    )
    path = write_layer(frame, tmp_path / f"communes{suffix}")
    with pytest.warns(GeometryRepairedWarning) as record:
        units = read_boundaries(path)
    assert record[0].message.codes == ["93005"]
    repaired = units.geometry.iloc[1]
    assert repaired.is_valid
    assert repaired.area == pytest.approx(4_000_000 + 2_250_000 - 1_000_000)
    assert repaired.equals(overlapping.geoms[0].union(overlapping.geoms[1]))


def test_self_touching_commune_keeps_its_area(tmp_path):
    """A ring enclosing a triangle with a spike along its top: repaired, not lost."""
    x, y = X0 + 3000, Y0
    ring = [(0, 3), (2, 3), (1, 3), (1, 0), (2, 3), (0, 3)]
    touching = Polygon([(x + 1000 * a, y + 1000 * b) for a, b in ring])
    frame = gpd.GeoDataFrame(
        {"INSEE_COM": ["93001", "93005"], "NOM": ["A", "B"]},
        geometry=[box(X0, Y0, X0 + 3000, Y0 + 3000), touching],
        crs=2154,
    )
    path = tmp_path / "communes.parquet"
    frame.to_parquet(path)
    with pytest.warns(GeometryRepairedWarning):
        units = read_boundaries(path)
    assert units.geometry.iloc[1].area == pytest.approx(1_500_000)
