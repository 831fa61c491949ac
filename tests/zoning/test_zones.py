"""Tests of the zone builders and zone checks."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose
from shapely import LineString, Point, box

from territobs.errors import (
    CodeError,
    CRSError,
    GeometryError,
    GeometryRepairedWarning,
    ZoneError,
    ZoneWarning,
)
from territobs.zoning.weights import build_weights
from territobs.zoning.zones import (
    ZONE_COLUMNS,
    check_zones,
    grid_zones,
    units_not_covered,
    zones_from_attribute,
    zones_from_buffer,
    zones_from_members,
    zones_from_polygons,
)

CODES = [f"930{k:02d}" for k in range(1, 10)]


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    geoms = [
        box(100 * c, 100 * r, 100 * (c + 1), 100 * (r + 1))
        for r in range(3)
        for c in range(3)
    ]
    return gpd.GeoDataFrame(
        {"code": CODES, "ept": ["A", "A", "B", "A", "A", "B", None, "C", "C"]},
        geometry=geoms,
        crs=2154,
    )


# ------------------------------------------------------------------ membership
def test_members_from_long_table_and_dict_agree(units):
    table = pd.DataFrame(
        {
            "zone": ["n", "n", "s"],
            "member": ["93007", "93008", "93001"],
            "label": ["Nord", "Nord", "Sud"],
        }
    )
    long = zones_from_members(table, name="label", units=units)
    assert long.columns.tolist() == ZONE_COLUMNS
    assert long["name"].tolist() == ["Nord", "Sud"]
    assert long["members"].tolist() == [("93007", "93008"), ("93001",)]
    assert long.geometry.iloc[0].equals(box(0, 200, 200, 300))
    short = zones_from_members({"n": ["93007", "93008"], "s": ["93001"]})
    assert short["members"].tolist() == long["members"].tolist()
    assert short.geometry.isna().all()


def test_members_unknown_codes_listed_per_zone(units):
    with pytest.raises(ZoneError, match="93099") as info:
        zones_from_members(
            {"n": ["93007", "93099"], "s": ["93098", "93001"]}, units=units
        )
    assert info.value.unknown == {"n": ["93099"], "s": ["93098"]}
    assert sorted(info.value.codes) == ["93098", "93099"]


def test_members_numbers_refused():
    table = pd.DataFrame({"zone": ["n"], "member": [1001]})
    with pytest.raises(CodeError, match="1001"):
        zones_from_members(table)


def test_members_validated_with_level():
    with pytest.raises(CodeError, match="1001"):
        zones_from_members({"n": ["1001"]}, level="commune")
    zones = zones_from_members({"n": [" 2a004 "]}, level="commune")
    assert zones["members"].tolist() == [("2A004",)]


def test_members_duplicates_and_empty():
    with pytest.raises(ZoneError, match="93001"):
        zones_from_members({"n": ["93001", "93001"]})
    with pytest.raises(ZoneError) as info:
        zones_from_members(
            pd.DataFrame({"zone": ["n", "n"], "member": ["93001", None]})
        )
    assert info.value.row == 3


def test_members_conflicting_labels():
    table = pd.DataFrame(
        {"zone": ["n", "n"], "member": ["93001", "93002"], "label": ["a", "b"]}
    )
    with pytest.raises(ZoneError, match="n"):
        zones_from_members(table, name="label")


def test_zones_from_attribute(units):
    with pytest.warns(ZoneWarning, match="93007") as record:
        zones = zones_from_attribute(units, "ept", names={"A": "Territoire A"})
    assert record[0].message.codes == ["93007"]
    assert zones["zone"].tolist() == ["A", "B", "C"]
    assert zones["name"].tolist() == ["Territoire A", "B", "C"]
    assert zones["members"].iloc[0] == ("93001", "93002", "93004", "93005")
    assert zones.geometry.iloc[0].area == pytest.approx(40_000)


def test_zones_from_attribute_names_from_the_units(units):
    """A Series taken from the units repeats each zone id: one label each."""
    units = units.assign(
        ept_name=units["ept"].map({"A": "Est ensemble", "B": "Paris Terres d'envol"})
    )
    names = units.set_index("ept")["ept_name"]
    assert not names.index.is_unique
    with pytest.warns(ZoneWarning):
        zones = zones_from_attribute(units, "ept", names=names)
    assert zones["name"].tolist() == ["Est ensemble", "Paris Terres d'envol", "C"]


def test_zones_from_attribute_conflicting_names(units):
    """One zone id with two different labels is a French error naming it."""
    units = units.assign(
        ept_name=["Est", "Est", "B", "Est", "Autre", "B", "x", "C", "C"]
    )
    names = units.set_index("ept")["ept_name"]
    with (
        pytest.warns(ZoneWarning),
        pytest.raises(ZoneError, match="plusieurs libellés différents") as info,
    ):
        zones_from_attribute(units, "ept", names=names)
    assert info.value.codes == ["A"]
    assert "« A » (« Autre », « Est »)" in str(info.value)
    assert "1 zone a plusieurs" in str(info.value)


# ------------------------------------------------------------------- geometric
def test_polygons_need_crs():
    gdf = gpd.GeoDataFrame({"zone": ["a"]}, geometry=[box(0, 0, 1, 1)])
    with pytest.raises(CRSError):
        zones_from_polygons(gdf)


def test_polygons_repaired_with_warning():
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    gdf = gpd.GeoDataFrame({"zone": ["a"]}, geometry=[bowtie], crs=2154)
    with pytest.warns(GeometryRepairedWarning, match="a"):
        zones = zones_from_polygons(gdf)
    assert zones.geometry.is_valid.all()
    assert zones.geometry.iloc[0].area == pytest.approx(50)


def test_polygons_refuse_lines_and_duplicates():
    lines = gpd.GeoDataFrame(
        {"zone": ["a"]}, geometry=[LineString([(0, 0), (1, 1)])], crs=2154
    )
    with pytest.raises(GeometryError, match="zones_from_buffer"):
        zones_from_polygons(lines)
    dup = gpd.GeoDataFrame(
        {"zone": ["a", "a"]}, geometry=[box(0, 0, 1, 1)] * 2, crs=2154
    )
    with pytest.raises(ZoneError, match="dissolve"):
        zones_from_polygons(dup)


def test_buffer_corridor(units):
    line = gpd.GeoDataFrame(
        {"ligne": ["T1"]}, geometry=[LineString([(0, 150), (300, 150)])], crs=2154
    )
    zones = zones_from_buffer(line, 20, zone="ligne", cap_style="flat")
    assert zones["zone"].tolist() == ["T1"]
    assert zones.geometry.iloc[0].area == pytest.approx(300 * 40)
    w = build_weights(units, zones)
    assert_allclose(w.matrix.toarray()[3:6, 0], 0.4)


def test_buffer_refuses_geographic_and_bad_distance():
    pts = gpd.GeoSeries([Point(2.35, 48.85)], crs=4326)
    with pytest.raises(CRSError, match="to_crs"):
        zones_from_buffer(pts, 1000)
    with pytest.raises(ZoneError):
        zones_from_buffer(pts.to_crs(2154), -5)


def test_grid_ids_and_extent():
    grid = grid_zones((0, 0, 2000, 1000), 1000, crs=2154)
    assert grid["zone"].tolist() == ["CRS2154RES1000mN0E0", "CRS2154RES1000mN0E1000"]
    assert grid.crs.to_epsg() == 2154
    with pytest.raises(CRSError):
        grid_zones((0, 0, 1, 1), 1, crs=4326)
    with pytest.raises(ZoneError):
        grid_zones((0, 0, 1, 1), 0, crs=2154)


def test_grid_on_units_keeps_overlapping_squares(units):
    grid = grid_zones(units, 150)
    # 300 m / 150 m = 2 × 2 squares; no square merely touching.
    assert len(grid) == 4
    assert grid["zone"].iloc[0] == "CRS2154RES150mN0E0"


# ---------------------------------------------------------------------- checks
def test_check_zones_report_and_warning(units):
    zones = zones_from_polygons(
        gpd.GeoDataFrame(
            {"zone": ["in", "half"]},
            geometry=[box(0, 0, 150, 100), box(-100, 0, 100, 100)],
            crs=2154,
        )
    )
    with pytest.warns(ZoneWarning, match="half") as record:
        report = check_zones(zones, units)
    assert record[0].message.codes == ["half"]
    assert report.loc["half", "outside_share"] == pytest.approx(0.5)
    assert report.loc["in", "n_units_touched"] == 2
    assert report.loc["in", "n_units_whole"] == 1


def test_check_zones_no_overlap_is_an_error(units):
    zones = zones_from_polygons(
        gpd.GeoDataFrame({"zone": ["sea"]}, geometry=[box(1e4, 0, 2e4, 10)], crs=2154)
    )
    with pytest.raises(ZoneError, match="sea") as info:
        check_zones(zones, units)
    assert info.value.codes == ["sea"]


def test_units_not_covered(units):
    zones = zones_from_members({"a": CODES[:5]})
    left = units_not_covered(units, zones)
    assert left["code"].tolist() == CODES[5:]
    w = build_weights(units, zones)
    assert units_not_covered(units, w)["code"].tolist() == CODES[5:]


@pytest.mark.shared_data
def test_members_geometry_on_real_ept(shared_data):
    iris = gpd.read_file(
        shared_data / "boundaries" / "grand-paris-iris" / "map_iris.shp"
    )
    iris = iris[iris["CODE_COM"].str.startswith("93")].rename(
        columns={"CODE_IRIS": "code"}
    )
    zones = zones_from_attribute(iris, "CODE_EPT")
    ept = gpd.read_file(
        shared_data / "boundaries" / "grand-paris-iris" / "map_ept.shp"
    ).set_index("CODE_EPT")
    for zone, geom in zip(zones["zone"], zones.geometry, strict=True):
        assert geom.symmetric_difference(ept.geometry[zone]).area < 1e-6 * geom.area
    report = check_zones(zones, iris)
    assert (report["outside_share"] == 0).all()
    assert np.array_equal(report["n_units_touched"], report["n_units_whole"])
