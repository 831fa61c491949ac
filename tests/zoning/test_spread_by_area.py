"""Surfaces are shared out by area, even under population weights."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from territobs.catalog import Catalog, default_catalog
from territobs.errors import ConfigError
from territobs.zoning.recompute import recompute
from territobs.zoning.weights import build_weights

CRS = "EPSG:2154"


def _catalog(spread: str) -> Catalog:
    extra = Catalog.from_dict(
        {
            "components": {
                "area_km2": {"variables": ["area_km2"], "spread": spread},
            },
            "indicators": [
                {
                    "id": "density",
                    "kind": "ratio",
                    "label": "Densité",
                    "unit": "hab./km²",
                    "numerator": "population",
                    "denominator": "area_km2",
                }
            ],
        }
    )
    return default_catalog().merge(extra)


@pytest.fixture
def case():
    # Unit "a": 10 × 10, its 100 inhabitants all in its western half; unit
    # "b": beside it, wholly in no zone. The zone is the western half of "a".
    units = gpd.GeoDataFrame(
        {
            "code": ["a", "b"],
            "population": [100.0, 40.0],
            "area_km2": [100.0, 100.0],
        },
        geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)],
        crs=CRS,
    )
    zones = gpd.GeoDataFrame(
        {"zone": ["ouest"], "name": ["Ouest"]},
        geometry=[shapely.box(0, 0, 5, 10)],
        crs=CRS,
    )
    squares = gpd.GeoDataFrame(
        {"population": [100.0, 0.0, 40.0]},
        geometry=[
            shapely.box(0, 0, 5, 10),
            shapely.box(5, 0, 10, 10),
            shapely.box(10, 0, 20, 10),
        ],
        crs=CRS,
    )
    weights = build_weights(units, zones, method="population", population=squares)
    return units, zones, weights


def test_population_weights_keep_area_shares(case):
    _, _, weights = case
    assert weights.matrix.toarray()[0, 0] == pytest.approx(1.0)
    assert weights.area_matrix is not None
    assert weights.area_matrix.toarray()[0, 0] == pytest.approx(0.5)


def test_surface_spread_by_area_under_population_weights(case):
    units, zones, weights = case
    result = recompute(
        units, zones, ["population", "density"], weights=weights,
        catalog=_catalog("area"), check=False,
    )  # fmt: skip
    row = result.set_index("indicator").loc["density"]
    # all 100 inhabitants live in the zone, on half of the unit's 100 km²
    assert row["numerator"] == pytest.approx(100.0)
    assert row["denominator"] == pytest.approx(50.0)
    assert row["value"] == pytest.approx(2.0)
    assert row["method"] == "mixed"
    assert row["estimated_share"] == pytest.approx(1.0)
    pop = result.set_index("indicator").loc["population"]
    assert pop["value"] == pytest.approx(100.0)
    assert pop["method"] == "population"


def test_default_spread_follows_the_weights(case):
    units, zones, weights = case
    result = recompute(
        units, zones, "density", weights=weights, catalog=_catalog("weights"),
        check=False,
    )  # fmt: skip
    assert result["denominator"].iloc[0] == pytest.approx(100.0)


def test_area_weights_unchanged_by_spread(case):
    units, zones, _ = case
    weights = build_weights(units, zones, method="area")
    assert weights.area_matrix is None
    by_area = recompute(
        units, zones, "density", weights=weights, catalog=_catalog("area"), check=False
    )
    plain = recompute(
        units, zones, "density", weights=weights, catalog=_catalog("weights"),
        check=False,
    )  # fmt: skip
    np.testing.assert_allclose(by_area["value"], plain["value"])
    assert by_area["value"].iloc[0] == pytest.approx(1.0)


def test_unknown_spread_names_the_key():
    with pytest.raises(ConfigError, match=r"components\.area_km2\.spread") as info:
        _catalog("surface")
    assert info.value.key == "components.area_km2.spread"
