"""Tests of reading zone files (membership tables and polygon layers)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely import box

from territobs.errors import CodeError, CRSError, SourceFormatError, ZoneError
from territobs.io.zones import read_zones


def test_long_csv_semicolon(tmp_path):
    path = tmp_path / "circos.csv"
    path.write_text(
        "zone;code_commune;libelle\nC1;01001;Nord\nC1;01002;Nord\nC2;01004;Sud\n"
    )
    zones = read_zones(path, name="libelle")
    assert zones["zone"].tolist() == ["C1", "C2"]
    assert zones["members"].tolist() == [("01001", "01002"), ("01004",)]
    assert zones["name"].tolist() == ["Nord", "Sud"]


def test_one_row_per_zone_with_list(tmp_path):
    path = tmp_path / "circos.csv"
    path.write_text('zone,membres\nC1,"01001;01002"\nC2,01004\n', encoding="latin-1")
    zones = read_zones(path)
    assert zones["members"].tolist() == [("01001", "01002"), ("01004",)]


def test_xlsx_keeps_leading_zeros(tmp_path):
    path = tmp_path / "circos.xlsx"
    pd.DataFrame({"zone": ["C1", "C1"], "member": ["01001", "01002"]}).to_excel(
        path, index=False
    )
    assert read_zones(path)["members"].tolist() == [("01001", "01002")]


def test_bad_code_names_file_and_line(tmp_path):
    path = tmp_path / "circos.csv"
    path.write_text("zone;membres\nC1;01001,1002\nC2;01004\n")
    with pytest.raises(CodeError, match=r"circos\.csv") as info:
        read_zones(path, level="commune")
    assert info.value.path == str(path)
    assert info.value.row == 2


def test_empty_member_and_missing_column(tmp_path):
    path = tmp_path / "circos.csv"
    path.write_text("zone;membre\nC1;01001\nC2;\n")
    with pytest.raises(SourceFormatError) as info:
        read_zones(path)
    assert info.value.row == 3
    with pytest.raises(SourceFormatError, match="absente"):
        read_zones(path, member="CODGEO")


def test_unknown_members_against_units(tmp_path):
    path = tmp_path / "circos.csv"
    path.write_text("zone;membre\nC1;01001\nC1;01999\n")
    units = gpd.GeoDataFrame({"code": ["01001"]}, geometry=[box(0, 0, 1, 1)], crs=2154)
    with pytest.raises(ZoneError, match="01999") as info:
        read_zones(path, units=units)
    assert info.value.path == str(path)


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp", ".parquet"])
def test_polygon_files(write_layer, tmp_path, suffix):
    gdf = gpd.GeoDataFrame(
        {"zone": ["Z1", "Z2"], "nom": ["Un", "Deux"]},
        geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)],
        crs=2154,
    )
    path = write_layer(gdf, tmp_path / f"zones{suffix}")
    zones = read_zones(path, name="nom")
    assert zones["zone"].tolist() == ["Z1", "Z2"]
    assert zones["name"].tolist() == ["Un", "Deux"]
    assert zones["members"].isna().all()
    assert zones.crs.to_epsg() == 2154


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_polygon_file_without_crs(tmp_path):
    path = tmp_path / "zones.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"zone":"Z"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}'
    )
    # GeoJSON defaults to WGS84, so strip it through a shapefile without .prj.
    gpd.read_file(path).set_crs(None, allow_override=True).to_file(
        tmp_path / "nocrs.shp"
    )
    with pytest.raises(CRSError, match=r"nocrs\.shp"):
        read_zones(tmp_path / "nocrs.shp")


def test_unknown_extension(tmp_path):
    path = tmp_path / "zones.kml"
    path.write_text("")
    with pytest.raises(SourceFormatError, match="kml"):
        read_zones(path)


@pytest.mark.shared_data
def test_real_ept_shapefile(shared_data):
    zones = read_zones(
        shared_data / "boundaries" / "grand-paris-iris" / "map_ept.shp", zone="CODE_EPT"
    )
    assert len(zones) == 12
    assert "T6 Plaine Commune" in zones["zone"].tolist()


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("empty.csv", b"", "vide"),
        ("header.csv", b"zone;membres\n", "en-t\u00eate"),
        ("bad.xlsx", b"PK\x03\x04zz", "classeur illisible"),
        ("bad.geojson", b"{oops", "illisible"),
        ("bad.parquet", b"not parquet", "illisible"),
    ],
)
def test_unreadable_zone_files_are_french_errors(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceFormatError, match=match) as info:
        read_zones(path)
    assert str(path) in str(info.value)


def test_zone_table_in_cp1252_and_mixed_list_separators(tmp_path):
    path = tmp_path / "z.csv"
    path.write_bytes(
        b'zone,libelle,membres\nA,Secteur \x80 \x9cuvre,"93001;93066"\n'
        b"B,Autre,93048|93010\n"
    )
    zones = read_zones(path, name="libelle")
    assert zones["name"].tolist() == ["Secteur € œuvre", "Autre"]
    assert zones["members"].tolist() == [("93001", "93066"), ("93048", "93010")]


def test_zone_table_line_numbers_after_blank_lines(tmp_path):
    path = tmp_path / "z.csv"
    path.write_text("zone;membres\n\nC1;01001\nC2;1002\n")
    with pytest.raises(CodeError) as info:
        read_zones(path, level="commune")
    assert info.value.row == 4


def test_geopackage_with_several_layers_needs_a_layer(tmp_path):
    path = tmp_path / "z.gpkg"
    one = gpd.GeoDataFrame({"zone": ["A"]}, geometry=[box(0, 0, 1, 1)], crs=2154)
    two = gpd.GeoDataFrame({"zone": ["X"]}, geometry=[box(2, 2, 3, 3)], crs=2154)
    one.to_file(path, layer="secteurs")
    two.to_file(path, layer="brouillon", mode="a")
    with pytest.raises(SourceFormatError, match="layer=") as info:
        read_zones(path)
    assert sorted(info.value.layers) == ["brouillon", "secteurs"]
    assert read_zones(path, layer="secteurs")["zone"].tolist() == ["A"]
