"""Access to sites: distances checked against brute force numpy."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from shapely import Point, box

from territobs.errors import CRSError, JoinError
from territobs.scenarios import add_sites, measure_access, nearest_site


def _brute(people_xy, sites_xy):
    d = np.sqrt(((people_xy[:, None, :] - sites_xy[None, :, :]) ** 2).sum(axis=2))
    return d.argmin(axis=1), d.min(axis=1)


coords = st.tuples(
    st.floats(0, 50_000, allow_nan=False), st.floats(0, 50_000, allow_nan=False)
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(coords, min_size=1, max_size=40), st.lists(coords, min_size=1, max_size=8)
)
def test_nearest_matches_brute_force(people, sites):
    people_xy, sites_xy = np.array(people), np.array(sites)
    frame = gpd.GeoDataFrame(geometry=[Point(p) for p in people], crs=2154)
    where = gpd.GeoDataFrame(geometry=[Point(s) for s in sites], crs=2154)
    got = nearest_site(frame, where)
    _, expected = _brute(people_xy, sites_xy)
    assert_allclose(got["distance"].to_numpy(), expected, rtol=1e-9, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(coords, st.floats(0, 1e4), st.sampled_from(["01001", "01002", "01004"])),
        min_size=1, max_size=30,
    ),
    st.lists(coords, min_size=1, max_size=5),
    st.floats(100, 40_000),
)  # fmt: skip
def test_weighted_figures_match_numpy(points, sites, threshold):
    """mean = Σ w d / Σ w, share beyond = Σ w [d > t] / Σ w, per unit and overall."""
    xy = np.array([p[0] for p in points])
    w = np.array([p[1] for p in points])
    unit = np.array([p[2] for p in points])
    people = gpd.GeoDataFrame(
        {"code": unit, "population_municipale": w},
        geometry=[Point(p) for p in xy], crs=2154,
    )  # fmt: skip
    where = gpd.GeoDataFrame(geometry=[Point(s) for s in sites], crs=2154)
    _, d = _brute(xy, np.array(sites))
    access = measure_access(people, where, threshold=threshold)
    for code in np.unique(unit):
        m = unit == code
        row = access.units.loc[code]
        if w[m].sum() > 0:
            assert_allclose(row["mean_distance"], (w[m] * d[m]).sum() / w[m].sum(),
                            rtol=1e-9, atol=1e-6)  # fmt: skip
            assert_allclose(row["share_beyond"], w[m][d[m] > threshold].sum() / w[m].sum(),
                            rtol=1e-9, atol=1e-12)  # fmt: skip
        assert row["n_points"] == m.sum()
    assert_allclose(access.overall["weight"], w.sum())


def test_zones_and_units_by_hand():
    people = gpd.GeoDataFrame(
        {"code": ["a", "b", "c"], "population_municipale": [100.0, 300.0, 600.0]},
        geometry=[Point(0, 0), Point(3000, 4000), Point(0, 20_000)],
        crs=2154,
    )
    sites = gpd.GeoDataFrame({"nom": ["MDS"]}, geometry=[Point(0, 0)], crs=2154)
    access = measure_access(
        people, sites, zoning={"a": "nord", "b": "nord", "c": "sud"}, site_id="nom",
        threshold=10_000,
    )  # fmt: skip
    zones = access.zones
    assert zones.loc["nord", "mean_distance"] == pytest.approx((0 + 300 * 5000) / 400)
    assert zones.loc["sud", "share_beyond"] == 1.0
    assert access.overall["weight_beyond"] == 600.0
    assert set(access.points["site"]) == {"MDS"}
    assert "vol d&#x27;oiseau" in access._repr_html_()


def test_points_placed_in_units():
    """Squares without a commune column are placed in the commune containing them."""
    units = gpd.GeoDataFrame(
        {"code": ["01001", "01002"]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
        crs=2154,
    )
    squares = gpd.GeoDataFrame(
        {"Ind": [10.0, 20.0, 30.0]},
        geometry=[
            box(0, 0, 200, 200),
            box(1200, 0, 1400, 200),
            box(1600, 0, 1800, 200),
        ],
        crs=2154,
    )
    sites = gpd.GeoDataFrame(geometry=[Point(100, 100)], crs=2154)
    access = measure_access(squares, sites, weight="Ind", units=units)
    assert access.units["weight"].to_dict() == {"01001": 10.0, "01002": 50.0}
    outside = squares.assign(geometry=[box(5000, 0, 5200, 200)] * 3)
    with pytest.raises(JoinError):
        measure_access(outside, sites, weight="Ind", units=units)


def test_travel_time_matrix():
    people = gpd.GeoDataFrame(
        {"code": ["a", "b"], "population_municipale": [1.0, 3.0]},
        geometry=[Point(0, 0), Point(1, 1)], crs=2154,
    )  # fmt: skip
    sites = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=2154)
    matrix = pd.DataFrame({"S1": [10.0, 40.0], "S2": [25.0, 15.0]}, index=["a", "b"])
    access = measure_access(people, sites, travel_times=matrix, threshold=12)
    assert access.points["site"].tolist() == ["S1", "S2"]
    assert access.overall["mean_distance"] == pytest.approx((10 + 3 * 15) / 4)
    assert access.overall["share_beyond"] == pytest.approx(0.75)
    assert access.measure == "time"
    with pytest.raises(JoinError, match="« b »"):
        measure_access(people, sites, travel_times=matrix.loc[["a"]])


def test_unprojected_is_refused():
    people = gpd.GeoDataFrame(
        {"code": ["a"], "population_municipale": [1.0]},
        geometry=[Point(5, 45)],
        crs=4326,
    )
    with pytest.raises(CRSError):
        measure_access(people, people)


def test_add_sites_p_median():
    """Two clusters far apart, one site in the first: the new one goes to the second."""
    rng = np.random.default_rng(0)
    pts = np.vstack([rng.normal(0, 500, (20, 2)), rng.normal(30_000, 500, (20, 2))])
    people = gpd.GeoDataFrame(
        {"population_municipale": np.full(40, 100.0)},
        geometry=[Point(p) for p in pts], crs=2154,
    )  # fmt: skip
    candidates = gpd.GeoDataFrame(
        {"nom": ["ouest", "milieu", "est"]},
        geometry=[Point(0, 0), Point(15_000, 15_000), Point(30_000, 30_000)],
        crs=2154,
    )
    existing = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=2154)
    chosen = add_sites(people, candidates, 1, sites=existing)
    assert chosen["nom"].tolist() == ["est"]
