"""Tests of the unit × zone weights builders (exact / area / population / auto)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from shapely import box

from territobs.errors import (
    CRSError,
    MethodError,
    TerritobsError,
    ZoneError,
    ZoneWarning,
)
from territobs.zoning.weights import METHOD_CODES, Weights, build_weights
from territobs.zoning.zones import (
    grid_zones,
    zones_from_attribute,
    zones_from_members,
    zones_from_polygons,
)

# 3 × 3 square "communes" of 100 m, codes 93001..93009 row by row from (0, 0).
CODES = [f"930{k:02d}" for k in range(1, 10)]


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    geoms = [
        box(100 * c, 100 * r, 100 * (c + 1), 100 * (r + 1))
        for r in range(3)
        for c in range(3)
    ]
    return gpd.GeoDataFrame(
        {"code": CODES, "pop": np.arange(1.0, 10.0) * 100}, geometry=geoms, crs=2154
    )


def polygons(**zones) -> gpd.GeoDataFrame:
    return zones_from_polygons(
        gpd.GeoDataFrame({"zone": list(zones)}, geometry=list(zones.values()), crs=2154)
    )


def weight_table(w: Weights) -> pd.DataFrame:
    return w.to_frame().set_index(["zone", "unit"])


# ------------------------------------------------------------------ hand-computed
def test_zone_cutting_one_column(units):
    # West zone covers column 0 wholly and half of column 1.
    w = build_weights(units, polygons(west=box(0, 0, 150, 300)))
    table = weight_table(w).loc["west"]
    assert table.loc["93001", "weight"] == 1.0
    assert table.loc["93001", "method"] == "exact"
    assert table.loc["93002", "weight"] == pytest.approx(0.5, rel=1e-12)
    assert table.loc["93002", "method"] == "area"
    assert sorted(table.index) == ["93001", "93002", "93004", "93005", "93007", "93008"]
    report = w.zone_report.loc["west"]
    assert (report.n_units, report.n_exact, report.n_estimated) == (6, 3, 3)
    assert report.outside_share == pytest.approx(0.0, abs=1e-12)


def test_zone_cutting_one_unit_only(units):
    # A 50 × 50 square in the middle of unit 93005 (centre unit).
    w = build_weights(units, polygons(z=box(125, 125, 175, 175)))
    assert_allclose(w.matrix.toarray()[:, 0], np.r_[0, 0, 0, 0, 0.25, 0, 0, 0, 0])
    assert w.pair_method.toarray()[4, 0] == METHOD_CODES["area"]


def test_border_touch_is_not_a_pair(units):
    # Zone = column 1 exactly: columns 0 and 2 only touch its border.
    w = build_weights(units, polygons(z=box(100, 0, 200, 300)))
    assert w.matrix.nnz == 3
    assert set(w.to_frame()["unit"]) == {"93002", "93005", "93008"}
    assert (w.to_frame()["method"] == "exact").all()


def test_sliver_within_tolerance_is_exact(units):
    # 93001 is 99.99999 % inside; 93002 gets a 1e-7 sliver (below tolerance).
    zone = box(1e-5, 0, 100 + 1e-5, 100)
    w = build_weights(units, polygons(z=zone))
    frame = w.to_frame()
    assert frame["unit"].tolist() == ["93001"]
    assert frame["weight"].tolist() == [1.0]
    assert frame["method"].tolist() == ["exact"]
    # With tolerance 0 the raw geometry is kept.
    raw = build_weights(units, polygons(z=zone), tolerance=0).to_frame()
    assert raw["unit"].tolist() == ["93001", "93002"]
    assert_allclose(raw["weight"], [1 - 1e-7, 1e-7], rtol=1e-6)


def test_outside_share_reported(units):
    # Half of the zone lies west of the territory.
    w = build_weights(units, polygons(z=box(-100, 0, 100, 100)))
    assert w.zone_report.loc["z", "outside_share"] == pytest.approx(0.5)


def test_empty_zone_warns(units):
    with pytest.warns(ZoneWarning, match="far") as record:
        build_weights(
            units, polygons(z=box(0, 0, 100, 100), far=box(1e4, 1e4, 1e4 + 5, 1e4 + 5))
        )
    assert record[0].message.codes == ["far"]
    assert str(record[0].message) == (
        "1 zone ne contient aucune unité : « far » ; sa valeur sera vide."
    )


def test_overlapping_zones(units):
    w = build_weights(units, polygons(a=box(0, 0, 300, 300), b=box(0, 0, 200, 200)))
    row_sums = np.asarray(w.matrix.sum(axis=1)).ravel()
    assert_allclose(row_sums, [2, 2, 1, 2, 2, 1, 1, 1, 1])


def test_exact_method_refuses_cut_pairs(units):
    with pytest.raises(MethodError) as info:
        build_weights(units, polygons(z=box(0, 0, 150, 100)), method="exact")
    assert info.value.codes == ["93002"]
    assert info.value.pairs == ["93002→z"]
    assert "impossible : 1 unité coupée par une limite de zone" in str(info.value)


def test_exact_method_on_whole_units(units):
    w = build_weights(units, polygons(z=box(0, 0, 200, 100)), method="exact")
    assert (w.to_frame()["method"] == "exact").all()


def test_unknown_method_and_missing_population(units):
    zones = polygons(z=box(0, 0, 150, 100))
    with pytest.raises(MethodError, match="dasymetric"):
        build_weights(units, zones, method="dasymetric")
    with pytest.raises(MethodError):
        build_weights(units, zones, method="population")


# --------------------------------------------------------------------- membership
def test_membership_zones_need_no_geometry(units):
    zones = zones_from_members({"n": ["93007", "93008", "93009"], "all": CODES})
    w = build_weights(units.drop(columns="geometry").assign(geometry=None), zones)
    assert w.matrix.nnz == 12
    assert (w.to_frame()["method"] == "exact").all()
    assert_array_equal(w.zone_report["n_exact"], [3, 9])


def test_membership_unknown_member(units):
    zones = zones_from_members({"n": ["93007", "93099", "93098"]})
    with pytest.raises(ZoneError) as info:
        build_weights(units, zones)
    assert info.value.codes == ["93099", "93098"]
    assert info.value.unknown == {"n": ["93099", "93098"]}


def test_mixed_membership_and_geometric_zones(units):
    members = zones_from_members({"m": ["93001"]})
    geometric = polygons(g=box(0, 0, 150, 100))
    zones = pd.concat(
        [members.set_crs(2154, allow_override=True), geometric], ignore_index=True
    )
    w = build_weights(units, zones)
    table = weight_table(w)
    assert table.loc[("m", "93001"), "weight"] == 1.0
    assert table.loc[("g", "93002"), "weight"] == pytest.approx(0.5)


# ------------------------------------------------------------------- invariances
def test_invariant_to_zone_order(units):
    zones = polygons(
        a=box(30, 20, 170, 260), b=box(120, 0, 300, 140), c=box(0, 150, 250, 300)
    )
    w1 = build_weights(units, zones)
    w2 = build_weights(units, zones.iloc[::-1].reset_index(drop=True))
    pd.testing.assert_frame_equal(w1.to_frame(), w2.to_frame())


def test_invariant_to_reprojection():
    # Units around Paris in Lambert-93, and the same in ETRS89-LAEA.
    x0, y0 = 650_000, 6_860_000
    geoms = [
        box(x0 + 1000 * c, y0 + 1000 * r, x0 + 1000 * (c + 1), y0 + 1000 * (r + 1))
        for r in range(3)
        for c in range(3)
    ]
    units = gpd.GeoDataFrame({"code": CODES}, geometry=geoms, crs=2154)
    zones = polygons(
        a=shapely.Point(x0 + 1400, y0 + 1600).buffer(900),
        b=box(x0 + 500, y0 - 200, x0 + 2600, y0 + 1300),
    )
    w1 = build_weights(units, zones)
    w2 = build_weights(units.to_crs(3035), zones.to_crs(3035))
    f1, f2 = w1.to_frame(), w2.to_frame()
    pd.testing.assert_frame_equal(
        f1[["unit", "zone", "method"]], f2[["unit", "zone", "method"]]
    )
    assert_allclose(f1["weight"], f2["weight"], rtol=1e-3)


# ---------------------------------------------------------------- conservation
cuts = st.lists(
    st.integers(min_value=1, max_value=29), min_size=1, max_size=4, unique=True
)


@settings(max_examples=60, deadline=None)
@given(xcuts=cuts, ycuts=cuts)
def test_conservation_for_random_partitions(xcuts, ycuts):
    """For any partition of the territory by vertical/horizontal cuts, each
    unit's weights sum to 1 and the zone counts sum to the territory total.

    Cuts lie on a 10 m lattice over a 300 m territory of 100 m units, so they
    never create slivers below the tolerance.
    """
    geoms = [
        box(100 * c, 100 * r, 100 * (c + 1), 100 * (r + 1))
        for r in range(3)
        for c in range(3)
    ]
    pop = np.array([3.0, 1, 4, 1, 5, 9, 2, 6, 5]) * 1000
    units = gpd.GeoDataFrame({"code": CODES}, geometry=geoms, crs=2154)
    xs = [0, *sorted(10 * c for c in xcuts), 300]
    ys = [0, *sorted(10 * c for c in ycuts), 300]
    zones = {
        f"z{i}-{j}": box(xs[i], ys[j], xs[i + 1], ys[j + 1])
        for i in range(len(xs) - 1)
        for j in range(len(ys) - 1)
    }
    w = build_weights(units, polygons(**zones))
    assert_allclose(np.asarray(w.matrix.sum(axis=1)).ravel(), 1.0, rtol=1e-9)
    zone_counts = w.matrix.T @ pop
    assert zone_counts.sum() == pytest.approx(pop.sum(), rel=1e-9)


# --------------------------------------------------------------------- population
@pytest.fixture
def squares() -> gpd.GeoDataFrame:
    """25 m squares over the territory; all people live in the west half of each unit."""
    xs, ys = np.meshgrid(np.arange(0, 300, 25), np.arange(0, 300, 25))
    xs, ys = xs.ravel(), ys.ravel()
    pop = np.where((xs % 100) < 50, 10.0, 0.0)
    return gpd.GeoDataFrame(
        {"population": pop}, geometry=shapely.box(xs, ys, xs + 25, ys + 25), crs=2154
    )


def test_population_all_on_one_side(units, squares):
    # Zone = east half of column 1 (x 150-200): no one lives there.
    zones = polygons(east=box(150, 0, 200, 300), west=box(100, 0, 150, 300))
    w = build_weights(units, zones, population=squares)
    table = weight_table(w)
    assert table.loc[("west", "93002"), "weight"] == pytest.approx(1.0)
    assert table.loc[("west", "93002"), "method"] == "population"
    assert table.loc[("east", "93002"), "weight"] == pytest.approx(0.0, abs=1e-12)
    # Area weights would have said one half.
    area = weight_table(build_weights(units, zones, method="area", population=squares))
    assert area.loc[("east", "93002"), "weight"] == pytest.approx(0.5)


def test_population_square_split_by_area(units, squares):
    # Cut at x = 140: of the 100-125 and 125-150 squares (the people of
    # 93002), the zone holds 25 + 15 of 50 m, i.e. 0.8 of them.
    zones = polygons(w=box(100, 0, 140, 100))
    w = build_weights(units, zones, population=squares, method="population")
    assert weight_table(w).loc[("w", "93002"), "weight"] == pytest.approx(0.8)


def test_population_points(units, squares):
    points = squares.set_geometry(squares.centroid)
    zones = polygons(w=box(100, 0, 130, 100))
    w = build_weights(units, zones, population=points)
    # Populated centroids of 93002 at x = 112.5 and 137.5: one of two is inside.
    assert weight_table(w).loc[("w", "93002"), "weight"] == pytest.approx(0.5)


def test_population_fallback_to_area(units, squares):
    empty = squares.assign(
        population=np.where(
            squares.geometry.x if False else squares.bounds.minx >= 100, 0.0, 10.0
        )
    )
    zones = polygons(w=box(100, 0, 150, 100))
    w = build_weights(units, zones, population=empty)
    table = weight_table(w)
    assert table.loc[("w", "93002"), "method"] == "area"
    assert table.loc[("w", "93002"), "weight"] == pytest.approx(0.5)
    assert w.zone_report.loc["w", "n_area_fallback"] == 1


def test_population_raster_matches_squares_and_exactextract(units, squares, tmp_path):
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import from_origin

    values = squares["population"].to_numpy().reshape(12, 12)[::-1]  # north-up rows
    path = tmp_path / "pop.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=12,
        height=12,
        count=1,
        dtype="float64",
        crs="EPSG:2154",
        transform=from_origin(0, 300, 25, 25),
    ) as dst:
        dst.write(values, 1)
    zones = polygons(c=shapely.Point(130, 140).buffer(60))
    from_raster = build_weights(units, zones, population=path)
    from_squares = build_weights(units, zones, population=squares)
    assert_allclose(
        from_raster.matrix.toarray(), from_squares.matrix.toarray(), rtol=1e-12
    )

    exactextract = pytest.importorskip("exactextract")
    pieces = gpd.GeoDataFrame(
        geometry=[units.geometry[4].intersection(zones.geometry[0]), units.geometry[4]],
        crs=2154,
    )
    sums = exactextract.exact_extract(str(path), pieces, "sum", output="pandas")[
        "sum"
    ].to_numpy()
    # exactextract keeps coverage fractions in float32: equal to ~1e-7.
    assert from_raster.matrix[4, 0] == pytest.approx(sums[0] / sums[1], rel=1e-6)


def test_population_crs_mismatch(units, squares):
    with pytest.raises(CRSError, match="to_crs"):
        build_weights(
            units, polygons(w=box(100, 0, 150, 100)), population=squares.to_crs(3035)
        )


# ------------------------------------------------------------------------- CRS
def test_crs_mismatch_names_both(units):
    zones = polygons(z=box(0, 0, 150, 100)).to_crs(3035)
    with pytest.raises(CRSError, match="EPSG:2154") as info:
        build_weights(units, zones)
    assert "EPSG:3035" in info.value.message
    assert "to_crs(2154)" in info.value.message


def test_geographic_crs_refused(units):
    with pytest.raises(CRSError, match="to_crs"):
        build_weights(units.to_crs(4326), polygons(z=box(0, 0, 150, 100)).to_crs(4326))


def test_missing_crs(units):
    zones = polygons(z=box(0, 0, 150, 100))
    with pytest.raises(CRSError):
        build_weights(units.set_crs(None, allow_override=True), zones)


# ---------------------------------------------------------------- grids, threads
def test_grid_weights_threads_equal_serial(units):
    zones = grid_zones(units, 30)
    w1 = build_weights(units, zones, n_jobs=1)
    w2 = build_weights(units, zones, n_jobs=2)
    assert_allclose(w1.matrix.toarray(), w2.matrix.toarray(), rtol=0, atol=0)
    assert_allclose(np.asarray(w1.matrix.sum(axis=1)).ravel(), 1.0, rtol=1e-12)


def test_errors_are_territobs_errors(units):
    with pytest.raises(TerritobsError):
        build_weights(units, polygons(z=box(0, 0, 150, 100)), method="exact")


# ------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def iris93(shared_data):
    iris = gpd.read_file(
        shared_data / "boundaries" / "grand-paris-iris" / "map_iris.shp"
    )
    iris = iris[iris["CODE_COM"].str.startswith("93")].rename(
        columns={"CODE_IRIS": "code"}
    )
    return iris.reset_index(drop=True)


@pytest.mark.shared_data
def test_membership_equals_geometry_on_ept(shared_data, iris93):
    """IRIS of 93 → EPT: geometric EPT and CODE_EPT membership give the same matrix."""
    ept = gpd.read_file(shared_data / "boundaries" / "grand-paris-iris" / "map_ept.shp")
    ept = ept[ept["CODE_EPT"].isin(iris93["CODE_EPT"].unique())]
    by_geometry = build_weights(iris93, zones_from_polygons(ept, zone="CODE_EPT"))
    by_members = build_weights(iris93, zones_from_attribute(iris93, "CODE_EPT"))
    assert (by_geometry.to_frame()["method"] == "exact").all()
    pd.testing.assert_frame_equal(by_geometry.to_frame(), by_members.to_frame())
    assert by_members.matrix.nnz == len(iris93)


@pytest.mark.shared_data
def test_area_weights_equal_tobler(iris93):
    tobler = pytest.importorskip("tobler")
    from tobler.area_weighted import area_interpolate

    rng = np.random.default_rng(42)
    units = iris93.assign(pop=rng.integers(500, 5000, len(iris93)).astype(float))
    centres = units.geometry.centroid.sample(30, random_state=1)
    zones = polygons(
        **{
            f"b{k}": c.buffer(d)
            for k, (c, d) in enumerate(
                zip(centres, rng.uniform(500, 3000, 30), strict=True)
            )
        }
    )
    w = build_weights(units, zones, method="area", tolerance=0)
    ours = w.matrix.T @ units["pop"].to_numpy()
    # Independent float64 reference: intersect every candidate pair.
    left, right = shapely.STRtree(units.geometry.values).query(
        zones.geometry.values, predicate="intersects"
    )
    areas = shapely.area(
        shapely.intersection(units.geometry.values[right], zones.geometry.values[left])
    )
    share = areas / shapely.area(units.geometry.values[right])
    reference = np.bincount(
        left, weights=share * units["pop"].to_numpy()[right], minlength=len(zones)
    )
    assert_allclose(ours, reference, rtol=1e-9)
    # tobler 0.13 stores its area table as float32: equal to ~1e-7 only.
    theirs = area_interpolate(
        units, zones, extensive_variables=["pop"], allocate_total=False
    )
    assert tobler is not None
    assert_allclose(ours, theirs["pop"].to_numpy(), rtol=1e-6)
