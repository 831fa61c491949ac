from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import GeometryCollection, LineString, Point, Polygon, box

from territobs.errors import (
    CodeError,
    CRSError,
    GeometryError,
    GeometryRepairedWarning,
    SourceFormatError,
)
from territobs.io.boundaries import projected_crs_for, read_boundaries, recognise_crs
from territobs.io.insee import read_insee

# Lambert-93 squares in Seine-Saint-Denis
X0, Y0 = 655000, 6865000


def communes(codes=("93001", "93005"), crs=2154, **columns):
    geoms = [
        box(X0 + i * 3000, Y0, X0 + (i + 1) * 3000, Y0 + 3000)
        for i in range(len(codes))
    ]
    data = {"INSEE_COM": list(codes), "NOM": [f"Commune {c}" for c in codes], **columns}
    return gpd.GeoDataFrame(data, geometry=geoms, crs=crs)


def test_admin_express_commune_gpkg(tmp_path):
    path = tmp_path / "COMMUNE.gpkg"
    communes(POPULATION=[87000, 86000]).to_file(path)
    units = read_boundaries(path)
    assert units.columns.tolist() == [
        "code",
        "name",
        "level",
        "INSEE_COM",
        "NOM",
        "POPULATION",
        "geometry",
    ]
    assert units["code"].tolist() == ["93001", "93005"]
    assert units["name"].tolist() == ["Commune 93001", "Commune 93005"]
    assert units.crs.to_epsg() == 2154
    assert units.attrs["territobs"]["code_column"] == "INSEE_COM"


@pytest.mark.parametrize(
    ("columns", "level"),
    [
        (
            {"INSEE_ARM": ["75101"], "INSEE_COM": ["75056"], "NOM": ["Paris 1er"]},
            "arrondissement",
        ),
        ({"CODE_SIREN": ["200057867"], "NOM": ["Plaine Commune"]}, "epci"),
        (
            {"INSEE_DEP": ["93"], "INSEE_REG": ["11"], "NOM": ["Seine-Saint-Denis"]},
            "departement",
        ),
        ({"INSEE_REG": ["11"], "NOM": ["Île-de-France"]}, "region"),
        (
            {
                "CODE_IRIS": ["930010101"],
                "NOM_IRIS": ["Centre"],
                "INSEE_COM": ["93001"],
            },
            "iris",
        ),
    ],
)
def test_layer_level_detected_from_columns(tmp_path, columns, level):
    path = tmp_path / "layer.shp"
    gpd.GeoDataFrame(
        columns, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=2154
    ).to_file(path)
    units = read_boundaries(path)
    assert units["level"].tolist() == [level]
    assert units["code"].tolist() == [next(iter(columns.values()))[0]]


def test_multilayer_gpkg_needs_layer_or_level(tmp_path):
    path = tmp_path / "ADMIN-EXPRESS.gpkg"
    communes().to_file(path, layer="commune")
    gpd.GeoDataFrame(
        {"INSEE_DEP": ["93"], "NOM": ["Seine-Saint-Denis"]},
        geometry=[box(X0, Y0, X0 + 6000, Y0 + 3000)],
        crs=2154,
    ).to_file(path, layer="departement")
    with pytest.raises(SourceFormatError) as info:
        read_boundaries(path)
    assert sorted(info.value.layers) == ["commune", "departement"]
    assert len(read_boundaries(path, level="commune")) == 2
    assert read_boundaries(path, layer="departement")["level"].tolist() == [
        "departement"
    ]


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_missing_crs(tmp_path):
    path = tmp_path / "nocrs.shp"
    communes(crs=None).to_file(path)
    with pytest.raises(CRSError, match="crs=2154"):
        read_boundaries(path)
    assert read_boundaries(path, crs=2154).crs.to_epsg() == 2154


def test_lonlat_labelled_lambert93_is_refused(tmp_path):
    frame = communes(crs=2154)
    frame = frame.set_geometry(
        [box(2.35, 48.90, 2.40, 48.95), box(2.40, 48.90, 2.45, 48.95)], crs=2154
    )
    path = tmp_path / "wrong.gpkg"
    frame.to_file(path)
    with pytest.raises(CRSError) as info:
        read_boundaries(path)
    assert "EPSG:4326" in info.value.message
    assert info.value.crs == "EPSG:2154"
    # the user can say what the CRS really is.
    units = read_boundaries(path, crs=4326)
    assert units.crs.to_epsg() == 2154
    assert "remplacé" in units.attrs["territobs"]["crs_note"]


def test_invalid_geometries_repaired_with_warning(tmp_path):
    frame = communes()
    x = X0 + 3000  # inside the square of 93005, overlapping no other unit
    bowtie = Polygon([(x, Y0), (x + 1000, Y0 + 1000), (x + 1000, Y0), (x, Y0 + 1000)])
    frame.loc[1, "geometry"] = bowtie
    path = tmp_path / "invalid.gpkg"
    frame.to_file(path)
    with pytest.warns(GeometryRepairedWarning) as record:
        units = read_boundaries(path)
    assert record[0].message.codes == ["93005"]
    assert units.geometry.is_valid.all()
    assert units.geometry.iloc[1].area == pytest.approx(500000.0)
    assert units.attrs["territobs"]["repaired"] == 1


@pytest.mark.parametrize("suffix", [".gpkg", ".parquet"])
def test_nan_coordinate_is_an_error_naming_file_and_unit(write_layer, tmp_path, suffix):
    """make_valid raised GEOS's English message on it, or drew a line.

    (GDAL refuses to write one to a shapefile or GeoJSON.)
    """
    frame = communes()
    x = X0 + 3000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # shapely warns on NaN
        frame.loc[1, "geometry"] = Polygon(
            [(x, Y0), (x + 1000, Y0), (float("nan"), Y0 + 500), (x, Y0 + 1000)]
        )
    path = write_layer(frame, tmp_path / f"nan{suffix}")
    with pytest.raises(GeometryError) as info:
        read_boundaries(path)
    assert info.value.codes == ["93005"]
    assert "coordonnées non finies" in info.value.message
    assert path.name in info.value.message


def test_empty_geometry_is_an_error(tmp_path):
    frame = communes()
    frame.loc[0, "geometry"] = Polygon()
    path = tmp_path / "empty.gpkg"
    frame.to_file(path)
    with pytest.raises(GeometryError) as info:
        read_boundaries(path)
    assert info.value.codes == ["93001"]


def test_points_and_lines_are_not_units(tmp_path):
    frame = communes(("93001", "93005", "93006"))
    frame.loc[1, "geometry"] = Point(X0 + 4000, Y0 + 1000)
    frame.loc[2, "geometry"] = LineString([(X0, Y0), (X0 + 500, Y0 + 500)])
    path = tmp_path / "points.gpkg"
    frame.to_file(path)
    with pytest.raises(GeometryError, match="pas des polygones") as info:
        read_boundaries(path)
    assert info.value.codes == ["93005", "93006"]
    assert "93005 (Point)" in str(info.value) and "points.gpkg" in str(info.value)


def test_collection_reduced_to_its_polygons(tmp_path):
    frame = communes()
    square = frame.geometry.iloc[1]
    frame.loc[1, "geometry"] = GeometryCollection([square, Point(X0 + 4000, Y0 + 1000)])
    path = tmp_path / "collection.geojson"
    frame.to_file(path, driver="GeoJSON")
    with pytest.warns(GeometryRepairedWarning, match="réduite à ses polygones"):
        units = read_boundaries(path)
    assert units.geometry.iloc[1].geom_type == "Polygon"
    assert units.geometry.iloc[1].area == pytest.approx(square.area)


def test_duplicated_codes(tmp_path):
    path = tmp_path / "dup.gpkg"
    communes(codes=("93001", "93001", "93005")).to_file(path)
    with pytest.raises(CodeError) as info:
        read_boundaries(path)
    assert info.value.codes == ["93001"]


def test_codes_read_as_integers(tmp_path):
    path = tmp_path / "int.geojson"
    frame = communes(codes=("01001", "01004"))
    frame["INSEE_COM"] = [1001, 1004]
    frame.to_file(path)
    with pytest.raises(CodeError) as info:
        read_boundaries(path)
    assert info.value.codes == [1001, 1004]
    assert "01001" in info.value.message


def test_unknown_code_column(tmp_path):
    path = tmp_path / "x.gpkg"
    gpd.GeoDataFrame(
        {"ID": ["a"]}, geometry=[box(X0, Y0, X0 + 1, Y0 + 1)], crs=2154
    ).to_file(path)
    with pytest.raises(SourceFormatError) as info:
        read_boundaries(path)
    assert info.value.columns == ["ID"]
    units = read_boundaries(path, code_column="ID", level="autre")
    assert units["code"].tolist() == ["a"] and units["name"].tolist() == ["a"]


def test_geoparquet_and_to_crs_none(tmp_path):
    path = tmp_path / "c.parquet"
    communes().to_crs(4326).to_parquet(path)
    assert read_boundaries(path, to_crs=None).crs.to_epsg() == 4326
    assert read_boundaries(path).crs.to_epsg() == 2154


def test_auto_crs_overseas(tmp_path):
    # two communes of La Réunion, written in WGS84
    frame = gpd.GeoDataFrame(
        {"code": ["97411", "97415"], "nom": ["Saint-Denis", "Saint-Paul"]},
        geometry=[box(55.40, -20.95, 55.50, -20.88), box(55.25, -21.05, 55.35, -20.95)],
        crs=4326,
    )
    path = tmp_path / "reunion.geojson"
    frame.to_file(path)
    units = read_boundaries(path)
    assert units.crs.to_epsg() == 2975
    assert units["level"].tolist() == ["commune", "commune"]


def test_auto_crs_refuses_mixed_territories(tmp_path):
    frame = gpd.GeoDataFrame(
        {"code": ["97411", "93001"], "nom": ["Saint-Denis", "Aubervilliers"]},
        geometry=[box(55.40, -20.95, 55.50, -20.88), box(2.36, 48.90, 2.40, 48.92)],
        crs=4326,
    )
    path = tmp_path / "mixed.geojson"
    frame.to_file(path)
    with pytest.raises(CRSError) as info:
        read_boundaries(path)
    assert info.value.targets == [2154, 2975]
    assert read_boundaries(path, to_crs=None).crs.to_epsg() == 4326


@pytest.mark.parametrize(
    ("dep", "epsg"),
    [
        ("01", 2154),
        ("2A", 2154),
        ("93", 2154),
        ("971", 5490),
        ("972", 5490),
        ("973", 2972),
        ("974", 2975),
        ("976", 4471),
    ],
)
def test_projected_crs_for(dep, epsg):
    assert projected_crs_for(dep) == epsg


def test_projected_crs_for_unknown_collectivity():
    with pytest.raises(CRSError):
        projected_crs_for("987")


def test_recognise_unnamed_lambert93():
    from pyproj import CRS

    wkt = CRS.from_epsg(2154).to_wkt().replace('ID["EPSG",2154]', "")
    assert recognise_crs(CRS.from_wkt(wkt)) == 2154


# --------------------------------------------------------------------- real data


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "rows", "level"),
    [
        ("france-geojson/communes-01-ain.geojson", 407, "commune"),
        ("france-geojson/communes-93-seine-saint-denis.geojson", 40, "commune"),
        ("france-geojson/cantons-01-ain.geojson", 23, "canton"),
        ("france-geojson/cantons-93-seine-saint-denis.geojson", 21, "canton"),
        ("france-geojson/arrondissements-01-ain.geojson", 4, "autre"),
        ("france-geojson/arrondissements-93-seine-saint-denis.geojson", 3, "autre"),
        ("france-geojson/departement-01-ain.geojson", 1, "departement"),
        ("france-geojson/departement-93-seine-saint-denis.geojson", 1, "departement"),
        ("france-geojson/departements-version-simplifiee.geojson", 96, "departement"),
        ("grand-paris-iris/map_iris.shp", 2841, "iris"),
        ("grand-paris-iris/map_ept.shp", 12, "ept"),
    ],
)
def test_real_boundaries(shared_data, name, rows, level):
    units = read_boundaries(shared_data / "boundaries" / name)
    assert len(units) == rows
    assert set(units["level"]) == {level}
    assert units.crs.to_epsg() == 2154
    assert units["code"].is_unique
    assert units.geometry.is_valid.all()


@pytest.mark.shared_data
def test_real_grand_paris_unnamed_lambert93(shared_data):
    units = read_boundaries(
        shared_data / "boundaries" / "grand-paris-iris" / "map_com.shp"
    )
    assert len(units) == 150
    assert units.attrs["territobs"]["crs_note"].startswith(
        "CRS sans code d'autorité reconnu comme EPSG:2154"
    )
    assert (units["level"] == "arrondissement").sum() == 20
    assert units["CODE_EPT"].nunique() == 12


@pytest.mark.shared_data
def test_real_93_iris_match_base_ic(shared_data):
    units = read_boundaries(
        shared_data / "boundaries" / "grand-paris-iris" / "map_iris.shp"
    )
    table = read_insee(
        shared_data / "insee" / "base-ic-activite-residents-2016-idf.csv.gz",
        columns=["P16_POP1564"],
    )
    iris_93 = set(units.loc[units["code"].str.startswith("93"), "code"])
    table_93 = set(table.loc[table["code"].str.startswith("93"), "code"])
    assert len(iris_93) == len(table_93) == 614
    assert iris_93 == table_93
    by_dep = units["code"].str[:2].value_counts().to_dict()
    assert by_dep == {"75": 992, "92": 616, "93": 614, "94": 527, "91": 55, "95": 37}
    np.testing.assert_array_less(0, units.geometry.area)


def test_unreadable_parquet_boundaries_are_french_errors(tmp_path):
    import pandas as pd

    from territobs.errors import SourceFormatError
    from territobs.io import read_boundaries

    plain = tmp_path / "plain.parquet"
    pd.DataFrame({"INSEE_COM": ["93001"]}).to_parquet(plain)
    with pytest.raises(SourceFormatError, match="GeoParquet"):
        read_boundaries(plain)
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"not parquet")
    with pytest.raises(SourceFormatError, match="illisible") as info:
        read_boundaries(garbage)
    assert info.value.__cause__ is not None
