"""Real data: census counts of the 614 IRIS of Seine-Saint-Denis on its 4 EPT.

The EPT are recomputed twice, from the IRIS → EPT membership (``CODE_EPT``)
and from the EPT polygons of ``map_ept.shp``, and must give the same numbers,
equal to a pandas groupby of the membership table.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import sparse

from territobs.errors import MissingValuesWarning
from territobs.zoning.recompute import check_conservation, recompute
from territobs.zoning.weights import Weights

pytestmark = pytest.mark.shared_data

EPT_93 = [
    "T6 Plaine Commune",
    "T7 Paris Terres d'Envol",
    "T8 Est Ensemble",
    "T9 Grand Paris - Grand Est",
]
ACTIVITY = [
    "pop_1564",
    "active_1564",
    "unemployed_1564",
    "activity_rate",
    "unemployment_rate",
]


@pytest.fixture(scope="module")
def iris(shared_data) -> gpd.GeoDataFrame:
    frame = gpd.read_file(shared_data / "boundaries/grand-paris-iris/map_iris.shp")
    frame = frame[frame["CODE_IRIS"].str.startswith("93")]
    # Lambert-93 parameters without an EPSG code in the .prj (see data README)
    frame = frame.set_crs(2154, allow_override=True)
    return frame.rename(columns={"CODE_IRIS": "code", "NOM_IRIS": "name"}).reset_index(
        drop=True
    )


@pytest.fixture(scope="module")
def territory(shared_data, iris) -> gpd.GeoDataFrame:
    activity = pd.read_csv(
        shared_data / "insee/base-ic-activite-residents-2016-idf.csv.gz",
        sep=";",
        dtype={"IRIS": str},
        usecols=["IRIS", "P16_POP1564", "P16_ACT1564", "P16_CHOM1564"],
    )
    population = pd.read_csv(
        shared_data / "insee/rp2016-iris-typeH-population.csv.gz",
        dtype={"IRIS": str},
        usecols=["IRIS", "P16_POP0014", "P16_POP1529", "P16_POP3044",
                 "P16_POP4559", "P16_POP6074", "P16_POP75P"],
    )  # fmt: skip
    terr = iris.merge(
        activity, left_on="code", right_on="IRIS", how="left", validate="1:1"
    )
    terr = terr.merge(
        population, left_on="code", right_on="IRIS", how="left", validate="1:1"
    )
    assert terr["P16_POP1564"].notna().all()  # all 614 IRIS of 93 are in the file
    return terr.drop(columns=["IRIS_x", "IRIS_y"])


@pytest.fixture(scope="module")
def zones(shared_data) -> gpd.GeoDataFrame:
    ept = gpd.read_file(shared_data / "boundaries/grand-paris-iris/map_ept.shp")
    ept = ept[ept["CODE_EPT"].isin(EPT_93)].set_crs(2154, allow_override=True)
    return gpd.GeoDataFrame(
        {"zone": ept["CODE_EPT"].to_numpy(), "name": ept["CODE_EPT"].to_numpy(),
         "members": [None] * len(ept)},
        geometry=ept.geometry.to_numpy(),
        crs=ept.crs,
    )  # fmt: skip


@pytest.fixture(scope="module")
def membership(territory, zones) -> Weights:
    cols = pd.Index(zones["zone"]).get_indexer(territory["CODE_EPT"])
    assert (cols >= 0).all()
    n = len(territory)
    m = sparse.csr_array((np.ones(n), (np.arange(n), cols)), shape=(n, len(zones)))
    return Weights(
        m,
        (m > 0).astype(np.int8),
        pd.Index(territory["code"]),
        pd.Index(zones["zone"]),
        "exact",
    )


def _golden(territory: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return territory.groupby("CODE_EPT")[columns].sum()


def test_membership_matches_groupby(territory, zones, membership):
    res = recompute(territory, zones, ACTIVITY, weights=membership)
    golden = _golden(territory, ["P16_POP1564", "P16_ACT1564", "P16_CHOM1564"])
    wide = res.pivot(index="zone", columns="indicator", values="value").loc[
        golden.index
    ]
    assert_allclose(wide["pop_1564"], golden["P16_POP1564"], rtol=1e-12)
    assert_allclose(wide["active_1564"], golden["P16_ACT1564"], rtol=1e-12)
    assert_allclose(
        wide["unemployment_rate"],
        100 * golden["P16_CHOM1564"] / golden["P16_ACT1564"],
        rtol=1e-12,
    )
    assert (res["method"] == "exact").all()
    assert (res["vintage"] == "2016").all()
    report = check_conservation(res, territory)
    assert report["relative_error"].max() < 1e-9
    # the Seine-Saint-Denis total, a published-scale sanity check
    assert 1_000_000 < golden["P16_POP1564"].sum() < 1_200_000


def test_population_from_age_bands_reports_missing_iris(territory, zones, membership):
    """IRIS absent from the type-H file are missing, never counted as zero."""
    absent = territory.loc[territory["P16_POP0014"].isna(), "code"].tolist()
    assert len(absent) == 614 - 590
    with pytest.warns(MissingValuesWarning) as record:
        res = recompute(territory, zones, "population", weights=membership)
    assert sorted(record[0].message.codes) == sorted(absent)
    bands = ["P16_POP0014", "P16_POP1529", "P16_POP3044", "P16_POP4559", "P16_POP6074",
             "P16_POP75P"]  # fmt: skip
    known = territory.dropna(subset=bands)
    golden = known.groupby("CODE_EPT")[bands].sum().sum(axis=1)
    got = res.set_index("zone")["numerator"].loc[golden.index]
    assert_allclose(got, golden, rtol=1e-12)
    lost = territory["P16_POP0014"].isna().groupby(territory["CODE_EPT"]).sum()
    assert_allclose(res.set_index("zone")["masked_units"].loc[lost.index], lost)
    assert res["incomplete"].eq(lost.loc[res["zone"]].to_numpy() > 0).all()


def test_geometry_gives_same_numbers_as_membership(territory, zones, membership):
    """EPT polygons (built by the data's author from the same IRIS) give the
    exact membership weights: same values, every pair exact."""
    from territobs.zoning import weights as weights_module

    if not hasattr(weights_module, "build_weights"):
        pytest.skip("territobs.zoning.weights.build_weights is not written yet")
    by_members = recompute(territory, zones, ACTIVITY, weights=membership)
    by_geometry = recompute(territory, zones, ACTIVITY, method="auto")
    key = ["zone", "indicator"]
    a = by_members.sort_values(key, ignore_index=True)
    b = by_geometry.sort_values(key, ignore_index=True)
    assert_allclose(b["value"], a["value"], rtol=1e-9)
    assert (b["method"] == "exact").all()
    assert (b["estimated_share"] == 0).all()


def test_invariant_to_reprojection(territory, zones, membership):
    """Exact weights from geometry do not depend on the projected CRS."""
    from territobs.zoning import weights as weights_module

    if not hasattr(weights_module, "build_weights"):
        pytest.skip("territobs.zoning.weights.build_weights is not written yet")
    lambert = recompute(
        territory, zones, ["pop_1564", "unemployment_rate"], method="auto"
    )
    laea = recompute(
        territory.to_crs(3035), zones.to_crs(3035), ["pop_1564", "unemployment_rate"],
        method="auto",
    )  # fmt: skip
    assert_allclose(laea["value"], lambert["value"], rtol=1e-9)
    assert (laea["method"] == lambert["method"]).all()
