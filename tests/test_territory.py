from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from territobs.errors import CRSError, JoinError, UnmatchedCodesWarning
from territobs.territory import build_territory


def units(codes=("75056", "93001", "93005"), crs=2154):
    return gpd.GeoDataFrame(
        {"code": list(codes), "name": [f"U{c}" for c in codes], "level": "commune"},
        geometry=[box(i, 0, i + 1, 1) for i in range(len(codes))],
        crs=crs,
    )


def table(codes, source=None, **values):
    frame = pd.DataFrame({"code": list(codes), "level": "commune", **values})
    if source:
        frame.attrs["territobs"] = {"source": source}
    return frame


def test_contract_shape():
    t = table(
        ["75056", "93001", "93005"],
        P21_POP=[2.1e6, 8.7e4, 8.6e4],
        LIBGEO=["a", "b", "c"],
    )
    t["X"] = [1.0, np.nan, 3.0]
    t["X__secret"] = [False, True, False]
    terr = build_territory(units(), t)
    assert terr.columns.tolist() == [
        "code",
        "name",
        "level",
        "P21_POP",
        "P21_POP__secret",
        "X",
        "X__secret",
        "geometry",
    ]
    assert terr.crs.to_epsg() == 2154
    assert terr["X__secret"].tolist() == [False, True, False]
    assert terr["P21_POP__secret"].dtype == bool
    assert terr.attrs["territobs"]["join"]["text_columns_ignored"] == {
        "tableau n° 1": ["LIBGEO"]
    }


def test_unmatched_codes_warn_with_full_list():
    t = table(["93001", "93005", "01001", "01002"], P=[1.0, 2.0, 3.0, 4.0])
    with pytest.warns(UnmatchedCodesWarning) as record:
        terr = build_territory(units(), t)
    by_direction = {w.message.direction: w.message for w in record}
    assert by_direction["table"].codes == ["01001", "01002"]
    assert by_direction["units"].codes == ["75056"]
    assert "(2)" in by_direction["table"].message
    assert np.isnan(terr.set_index("code").loc["75056", "P"])
    assert not terr.set_index("code").loc["75056", "P__secret"]


def test_unmatched_codes_raise():
    t = table(["93001", "93005", "01001"], P=[1.0, 2.0, 3.0])
    with pytest.raises(JoinError) as info:
        build_territory(units(("93001", "93005")), t, on_unmatched="raise")
    assert info.value.codes == ["01001"]


def test_inner_keeps_units_found_in_every_table():
    t = table(["93001", "93005"], P=[1.0, 2.0])
    with pytest.warns(UnmatchedCodesWarning):
        terr = build_territory(units(), t, how="inner")
    assert terr["code"].tolist() == ["93001", "93005"]


def test_duplicated_codes_are_errors():
    t = table(["93001", "93001"], P=[1.0, 2.0], source="dup.csv")
    with pytest.raises(JoinError) as info:
        build_territory(units(("93001",)), t)
    assert info.value.codes == ["93001"]
    assert "dup.csv" in info.value.message


def test_column_collision_between_tables():
    a = table(["93001"], P=[1.0], source="a.csv")
    b = table(["93001"], P=[2.0], source="b.csv")
    with pytest.raises(JoinError) as info:
        build_territory(units(("93001",)), [a, b])
    assert info.value.column == "P"


def test_column_collision_with_units():
    u = units(("93001",))
    u["POPULATION"] = [1]
    with pytest.raises(JoinError):
        build_territory(u, table(["93001"], POPULATION=[2.0]))


def test_integer_codes_are_refused():
    t = pd.DataFrame({"code": [93001], "P": [1.0]})
    with pytest.raises(JoinError, match="nombre"):
        build_territory(units(("93001",)), t)


def test_no_common_code():
    t = table(["930010101"], P=[1.0])
    t["level"] = "iris"
    with pytest.raises(JoinError, match="iris"):
        build_territory(units(("93001",)), t)


def test_geographic_units_refused():
    with pytest.raises(CRSError):
        build_territory(units(crs=4326), table(["93001"], P=[1.0]))


def test_arrondissements_summed_onto_commune():
    codes = [f"751{i:02d}" for i in range(1, 21)] + ["93001", "93005"]
    t = table(codes, P=[float(i) for i in range(1, 23)])
    terr = build_territory(units(), t).set_index("code")
    assert terr.loc["75056", "P"] == sum(range(1, 21))
    assert not terr.loc["75056", "P__secret"]
    assert terr.attrs["territobs"]["join"]["arrondissements_summed"] == {
        "tableau n° 1": ["75056"]
    }


def test_masked_arrondissement_makes_sum_unknown():
    t = table(["75101", "75102", "93001", "93005"], P=[1.0, np.nan, 2.0, 3.0])
    t["P__secret"] = [False, True, False, False]
    terr = build_territory(units(), t).set_index("code")
    assert np.isnan(terr.loc["75056", "P"])
    assert terr.loc["75056", "P__secret"]


def test_commune_row_wins_over_its_arrondissements():
    t = table(["75056", "75101", "93001", "93005"], P=[10.0, 1.0, 2.0, 3.0])
    terr = build_territory(units(), t)
    assert terr.set_index("code").loc["75056", "P"] == 10.0
    assert terr.attrs["territobs"]["join"]["arrondissements_unused"] == {
        "tableau n° 1": ["75101"]
    }


def test_arrondissements_keep():
    u = units(("75101", "75102"))
    t = table(["75101", "75102"], P=[1.0, 2.0])
    terr = build_territory(u, t, arrondissements="keep")
    assert terr["P"].tolist() == [1.0, 2.0]


def test_caf_pseudo_communes_never_joined():
    t = table(["99999", "XXXXX", "93001"], P=[5.0, 6.0, 7.0])
    t["pseudo"] = [True, True, False]
    with pytest.warns(UnmatchedCodesWarning) as record:
        terr = build_territory(units(("93001", "93005")), t)
    assert [w.message.direction for w in record] == ["units"]
    assert terr.attrs["territobs"]["join"]["pseudo_rows"] == {
        "tableau n° 1": ["99999", "XXXXX"]
    }


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0, 1e6, allow_nan=False), min_size=20, max_size=20),
    st.lists(st.booleans(), min_size=20, max_size=20),
)
def test_arrondissement_sum_conserves_total(values, masked):
    """Invariant: the Paris sum equals Σ arrondissements when none is masked, else NaN + flagged."""
    codes = [f"751{i:02d}" for i in range(1, 21)]
    t = table(
        codes, P=[np.nan if m else v for v, m in zip(values, masked, strict=True)]
    )
    t["P__secret"] = masked
    with pytest.warns(UnmatchedCodesWarning):
        terr = build_territory(units(("75056", "93001")), t)
    row = terr.set_index("code").loc["75056"]
    if any(masked):
        assert np.isnan(row["P"]) and row["P__secret"]
    else:
        np.testing.assert_allclose(row["P"], sum(values), rtol=1e-12)
        assert not row["P__secret"]


@pytest.mark.shared_data
def test_real_iris_territory(shared_data):
    from territobs.io import read_boundaries, read_insee

    iris = read_boundaries(
        shared_data / "boundaries" / "grand-paris-iris" / "map_iris.shp"
    )
    iris93 = iris[iris["code"].str.startswith("93")]
    pop = read_insee(
        shared_data / "insee" / "base-ic-activite-residents-2016-idf.csv.gz",
        columns=["P16_POP1564"],
    )
    filo = read_insee(
        shared_data / "insee" / "filosofi-iris-2015-disp.csv.gz", columns=["DISP_MED15"]
    )
    pop93 = pop[pop["code"].str.startswith("93")]
    filo93 = filo[filo["code"].str.startswith("93")]
    with pytest.warns(UnmatchedCodesWarning) as record:
        terr = build_territory(iris93, [pop93, filo93])
    assert len(terr) == 614
    np.testing.assert_allclose(terr["P16_POP1564"].sum(), pop93["P16_POP1564"].sum())
    units_without = [w.message for w in record if w.message.direction == "units"]
    assert len(units_without) == 1  # Filosofi covers 583 IRIS of 93 only
    assert terr["DISP_MED15"].notna().sum() <= 583


def test_table_of_another_level_is_refused():
    deps = gpd.GeoDataFrame(
        {"code": ["11", "93"], "name": ["Aude", "SSD"], "level": "departement"},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs=2154,
    )
    regions = pd.DataFrame({"code": ["11", "93"], "level": "region", "P": [1.0, 2.0]})
    regions.attrs["territobs"] = {"source": "regions.csv", "level": "region"}
    with pytest.raises(JoinError, match="régions") as info:
        build_territory(deps, regions)
    assert "départements" in str(info.value)
    assert info.value.table_level == "region"
    # without attrs, the level column tells
    regions.attrs = {}
    with pytest.raises(JoinError):
        build_territory(deps, regions)


def test_commune_table_with_arrondissements_joins_arrondissement_units():
    u = units(("75101", "75102"))
    u["level"] = "arrondissement"
    t = table(["75101", "75102"], P=[1.0, 2.0])
    t["level"] = "arrondissement"
    t.attrs["territobs"] = {"level": "commune"}
    terr = build_territory(u, t, arrondissements="keep")
    assert terr["P"].tolist() == [1.0, 2.0]


def test_arrondissements_only_counts_are_summed():
    """Medians and rates of arrondissements do not add up: NaN, warned."""
    from territobs.errors import MissingValuesWarning

    codes = [f"751{i:02d}" for i in range(1, 21)]
    t = table(
        codes,
        P21_POP=[10000.0 * i for i in range(1, 21)],
        MED21=[20000.0 + 100 * i for i in range(1, 21)],
        TP6021=[10.0 + i for i in range(1, 21)],
        TX_CHOM=[8.0] * 20,
    )
    t.attrs["territobs"] = {"source": "plm.csv"}
    with pytest.warns(MissingValuesWarning, match="75056") as record:
        terr = build_territory(units(("75056",)), t)
    row = terr.set_index("code").loc["75056"]
    assert row["P21_POP"] == 2100000.0
    for col in ("MED21", "TP6021", "TX_CHOM"):
        assert np.isnan(row[col]) and not row[f"{col}__secret"]
    message = str(record[0].message)
    assert "« MED21 », « TP6021 », « TX_CHOM »" in message
    assert "plm.csv" in message
    assert record[0].message.codes == ["75056"]
    join = terr.attrs["territobs"]["join"]
    assert join["arrondissements_not_summed"] == {
        "tableau « plm.csv »": {"75056": ["MED21", "TP6021", "TX_CHOM"]}
    }


def test_commune_row_keeps_its_median_over_arrondissements():
    t = table(["75056", "75101", "93001"], MED21=[25000.0, 30000.0, 18000.0])
    terr = build_territory(units(("75056", "93001")), t)
    assert terr.set_index("code").loc["75056", "MED21"] == 25000.0


def test_text_variable_left_out_of_the_territory_is_warned_about():
    from territobs.errors import MissingValuesWarning

    t = table(["93001", "93005"], P21_POP=[1.0, 2.0], MED21=["n.s.", "n.s."])
    t["LIBGEO"] = ["a", "b"]
    with (
        pytest.warns(MissingValuesWarning, match="« MED21 »") as record,
        pytest.warns(UnmatchedCodesWarning),
    ):
        terr = build_territory(units(), t)
    assert "MED21" not in terr.columns
    assert "LIBGEO" not in str(record[0].message)
    assert terr.attrs["territobs"]["join"]["text_columns_ignored"] == {
        "tableau n° 1": ["MED21", "LIBGEO"]
    }
