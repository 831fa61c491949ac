"""Evolution between two vintages on one geography (zoning/evolution.py).

Golden values are computed here with plain pandas from the real INSEE files,
independently of territobs' engine.
"""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territobs.errors import MethodError
from territobs.zoning.evolution import (
    EVOLUTION_COLUMNS,
    evolution,
    evolution_from_results,
    evolution_to_geodataframe,
    to_common_cog,
)
from territobs.zoning.recompute import recompute
from territobs.zoning.zones import zones_from_members


@pytest.fixture(scope="module")
def paris(shared_data):
    """Paris IRIS activity files of RP 2010 and RP 2015, joined on IRIS."""
    read = {"IRIS": str, "COM": str}
    t10 = pd.read_csv(shared_data / "insee/paris-iris-emploi-2010.csv.gz", dtype=read)
    t15 = pd.read_csv(shared_data / "insee/paris-iris-emploi-2015.csv.gz", dtype=read)
    keep = ["IRIS", *(c for c in t15.columns if c.startswith(("P15_", "C15_")))]
    territory = t10.merge(t15[keep], on="IRIS", validate="one_to_one")
    return territory.rename(columns={"IRIS": "code"})


def test_paris_arrondissements_golden(paris):
    members = paris.groupby("COM")["code"].apply(list).to_dict()
    zones = zones_from_members(members, units=paris)
    ev = evolution(
        paris, zones, ["unemployment_rate", "unemployed_1564"], start=2010, end=2015
    )
    assert list(ev.columns) == list(EVOLUTION_COLUMNS)
    sums = paris.groupby("COM")[
        ["P10_CHOM1564", "P10_ACT1564", "P15_CHOM1564", "P15_ACT1564"]
    ].sum()
    rate10 = 100 * sums["P10_CHOM1564"] / sums["P10_ACT1564"]
    rate15 = 100 * sums["P15_CHOM1564"] / sums["P15_ACT1564"]
    rate = ev[ev["indicator"] == "unemployment_rate"].set_index("zone")
    np.testing.assert_allclose(rate["value_start"], rate10.loc[rate.index], rtol=1e-12)
    np.testing.assert_allclose(rate["value_end"], rate15.loc[rate.index], rtol=1e-12)
    # a change of a rate is the difference of the two recomputed rates
    np.testing.assert_allclose(
        rate["change"], (rate15 - rate10).loc[rate.index], rtol=1e-12
    )
    assert set(rate["change_unit"]) == {"points"}
    assert rate["annual_rate"].isna().all()
    count = ev[ev["indicator"] == "unemployed_1564"].set_index("zone")
    np.testing.assert_allclose(
        count["change"],
        (sums["P15_CHOM1564"] - sums["P10_CHOM1564"]).loc[count.index],
        rtol=1e-12,
    )
    tcam = (
        100
        * ((sums["P15_CHOM1564"] / sums["P10_CHOM1564"]) ** (1 / 5) - 1).loc[
            count.index
        ]
    )
    np.testing.assert_allclose(count["annual_rate"], tcam, rtol=1e-12)
    assert (ev["state"] == "value").all() and not ev["secret"].any()


def test_one_territory_per_vintage_gives_the_same(paris):
    members = paris.groupby("COM")["code"].apply(list).to_dict()
    zones = zones_from_members(members, units=paris)
    cols10 = ["code", *(c for c in paris.columns if c.startswith("P10_"))]
    cols15 = ["code", *(c for c in paris.columns if c.startswith("P15_"))]
    one = evolution(paris, zones, "unemployment_rate", start=2010, end=2015)
    # given in reverse order: the result does not depend on it
    split = evolution(
        {2015: paris[cols15], 2010: paris[cols10]},
        zones,
        "unemployment_rate",
        start=2010,
        end=2015,
    )
    pd.testing.assert_frame_equal(one, split)


def _units(values_start, values_end, secret_start=None):
    n = len(values_start)
    frame = pd.DataFrame(
        {
            "code": [f"u{i}" for i in range(n)],
            "P15_POP": values_start,
            "P21_POP": values_end,
        }
    )
    if secret_start is not None:
        frame["P15_POP__secret"] = secret_start
    return frame


def test_secret_end_masks_the_change():
    """A change beside a visible end would give a secret end away: masked."""
    units = _units([10.0, 20.0, 30.0], [12.0, 22.0, 33.0])
    zones = zones_from_members({"a": ["u0"], "b": ["u1", "u2"]}, units=units)
    first = recompute(units, zones, "population", vintage=2015)
    last = recompute(units, zones, "population", vintage=2021)
    # as a secrecy rule would leave it: zone a masked at the start
    first.loc[first["zone"] == "a", ["secret", "secret_reason"]] = [
        True,
        "primaire : moins de 11",
    ]
    ev = evolution_from_results(first, last, start=2015, end=2021).set_index("zone")
    assert ev.loc["a", "state"] == "secret" and ev.loc["a", "secret"]
    assert np.isnan(ev.loc["a", "change"]) and np.isnan(ev.loc["a", "value_start"])
    assert np.isnan(ev.loc["a", "value_end"]) and np.isnan(ev.loc["a", "annual_rate"])
    assert "début : primaire" in ev.loc["a", "secret_reason"]
    assert ev.loc["b", "state"] == "value" and ev.loc["b", "change"] == 5.0


def test_results_of_other_rows_are_refused():
    units = _units([10.0, 20.0], [12.0, 22.0])
    zones = zones_from_members({"a": ["u0"], "b": ["u1"]}, units=units)
    first = recompute(units, zones, "population", vintage=2015)
    last = recompute(units, zones, "population", vintage=2021)
    with pytest.raises(MethodError, match="mêmes zones"):
        evolution_from_results(first.iloc[:1], last, start=2015, end=2021)


def test_no_data_is_missing_never_zero():
    units = _units([np.nan, 20.0], [np.nan, 22.0])
    zones = zones_from_members({"a": ["u0"], "b": ["u1"]}, units=units)
    with pytest.warns(Warning):
        ev = evolution(units, zones, "population", start=2015, end=2021)
    row = ev.set_index("zone").loc["a"]
    assert row["state"] == "missing" and not row["secret"]
    assert np.isnan(row["change"]) and np.isnan(row["annual_rate"])


def test_start_must_precede_end():
    units = _units([1.0], [2.0])
    zones = zones_from_members({"a": ["u0"]}, units=units)
    with pytest.raises(MethodError, match="plus récent"):
        evolution(units, zones, "population", start=2021, end=2015)


def test_per_vintage_territories_must_share_units():
    a = pd.DataFrame({"code": ["x", "y"], "population": [1.0, 2.0]})
    b = pd.DataFrame({"code": ["x", "z"], "population": [1.0, 2.0]})
    zones = zones_from_members({"a": ["x"]}, units=a)
    with pytest.raises(MethodError, match="to_common_cog") as info:
        evolution({2015: a, 2021: b}, zones, "population", start=2015, end=2021)
    assert info.value.codes == ["y", "z"]


def test_median_refused_without_approximation():
    units = pd.DataFrame(
        {
            "code": ["u0"],
            "MED15": [20000.0],
            "MED21": [21000.0],
            "P15_POP": [1.0],
            "P21_POP": [1.0],
        }
    )
    zones = zones_from_members({"a": ["u0"]}, units=units)
    with pytest.raises(MethodError):
        evolution(units, zones, "median_living_standard", start=2015, end=2021)


@settings(max_examples=20, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.integers(0, 500),
            st.integers(1, 500),
            st.integers(0, 500),
            st.integers(1, 500),
            st.integers(0, 2),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_change_of_a_share_is_the_difference_of_recomputed_shares(data):
    units = pd.DataFrame(
        {
            "code": [f"u{i}" for i in range(len(data))],
            "P15_CHOM1564": [min(c, a) for c, a, *_ in data],
            "P15_ACT1564": [a for _, a, *_ in data],
            "P21_CHOM1564": [min(c, a) for _, _, c, a, _ in data],
            "P21_ACT1564": [a for _, _, _, a, _ in data],
        }
    ).astype(
        dict.fromkeys(
            ("P15_CHOM1564", "P15_ACT1564", "P21_CHOM1564", "P21_ACT1564"), float
        )
    )
    groups = [g for *_, g in data]
    members = {}
    for code, group in zip(units["code"], groups, strict=True):
        members.setdefault(f"z{group}", []).append(code)
    zones = zones_from_members(members, units=units)
    ev = evolution(units, zones, "unemployment_rate", start=2015, end=2021)
    units["zone"] = [f"z{g}" for g in groups]
    sums = units.groupby("zone").sum(numeric_only=True)
    expected = 100 * (
        sums["P21_CHOM1564"] / sums["P21_ACT1564"]
        - sums["P15_CHOM1564"] / sums["P15_ACT1564"]
    )
    got = ev.set_index("zone")["change"]
    np.testing.assert_allclose(got, expected.loc[got.index], rtol=1e-9, atol=1e-12)


@pytest.fixture(scope="module")
def passages(shared_data):
    with gzip.open(shared_data / "cog/cogugaison-passage-2017-2024.csv.gz", "rt") as f:
        return pd.read_csv(f, dtype=str)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), n_zones=st.integers(1, 6))
def test_converting_then_summing_equals_summing_then_converting(
    passages, seed, n_zones
):
    """Fusions only (ratio 1): a zone of COG-2024 communes sums the 2017 ones."""
    rng = np.random.default_rng(seed)
    split_codes = set(passages.loc[passages["typemodif"] == "d", "code_from"])
    steps = {
        year: dict(zip(group["code_from"], group["code_to"], strict=True))
        for year, group in passages[passages["typemodif"] != "d"].groupby("cog_from")
    }

    def code_in_2024(code: str) -> str:
        for year in range(2017, 2024):
            code = steps.get(str(year), {}).get(code, code)
        return code

    starting = passages.loc[passages["cog_from"] == "2017", "code_from"]
    codes_2017 = sorted(set(starting) - split_codes)
    target = {c: code_in_2024(c) for c in codes_2017}
    codes_2017 = [c for c in codes_2017 if target[c] not in split_codes]
    values = rng.integers(0, 1000, len(codes_2017)).astype(float)
    table = pd.DataFrame({"code": codes_2017, "n": values})
    converted = to_common_cog({2017: table}, 2024)[2017].table
    new_codes = sorted(converted["code"])
    zone_of = {c: f"z{rng.integers(0, n_zones)}" for c in new_codes}
    after = converted.assign(zone=converted["code"].map(zone_of)).groupby("zone")["n"]
    before = table.assign(zone=table["code"].map(target).map(zone_of)).groupby("zone")[
        "n"
    ]
    pd.testing.assert_series_equal(after.sum(), before.sum(), rtol=1e-12)


def test_change_map_diverges_around_no_change_and_hides_secret_ends():
    import geopandas as gpd
    import shapely

    from territobs.maps import change_map
    from territobs.zoning.evolution import evolution_to_geodataframe

    units = gpd.GeoDataFrame(
        {
            "code": ["u0", "u1", "u2", "u3"],
            "P15_POP": [1234.0, 2000.0, 3000.0, 4000.0],
            "P21_POP": [1357.0, 1800.0, 3300.0, 4100.0],
        },
        geometry=[shapely.box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(4)],
        crs=2154,
    )
    zones = zones_from_members(
        {"a": ["u0"], "b": ["u1"], "c": ["u2"], "d": ["u3"]}, units=units
    )
    first = recompute(units, zones, "population", vintage=2015)
    last = recompute(units, zones, "population", vintage=2021)
    first.loc[first["zone"] == "a", ["secret", "secret_reason"]] = [True, "règle"]
    ev = evolution_from_results(first, last, start=2015, end=2021, geography="COG 2024")
    wide = evolution_to_geodataframe(ev, zones)
    assert wide.loc[wide["zone"] == "b", "population"].item() == -200.0
    assert wide.loc[wide["zone"] == "a", "population__state"].item() == "secret"
    html = change_map(ev, zones, "population", title="Population").to_html()
    assert "aucune évolution" in html and "millésimes 2015 et 2021" in html
    assert "COG 2024" in html
    # neither end of the secret zone, nor its change, reaches the page
    import re

    def shown(figure: str) -> bool:
        number = re.escape(figure)
        return bool(re.search(rf"(?<![\d.]){number}(?:[.,]0+)?(?![\d.])", html))

    assert shown("2000") and shown("1800")  # both ends of a visible zone
    for figure in ("1234", "1 234", "1357", "1 357", "123"):
        assert not shown(figure), figure


def test_change_map_centred_on_the_reference_change():
    import geopandas as gpd
    import shapely

    from territobs.errors import MethodError as Refused
    from territobs.maps import change_map
    from territobs.maps.change import centre_reference, change_layer
    from territobs.maps.layers import prepare_layer

    units = gpd.GeoDataFrame(
        {
            "code": ["u0", "u1", "u2", "u3"],
            "P15_CHOM1564": [10.0, 20.0, 30.0, 40.0],
            "P15_ACT1564": [100.0, 100.0, 100.0, 100.0],
            "P21_CHOM1564": [12.0, 21.0, 36.0, 40.0],
            "P21_ACT1564": [100.0, 100.0, 100.0, 100.0],
        },
        geometry=[shapely.box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(4)],
        crs=2154,
    )
    members = {"a": ["u0"], "b": ["u1"], "c": ["u2"], "d": ["u3"]}
    zones = zones_from_members(members, units=units)
    everything = zones_from_members(
        {"93": ["u0", "u1", "u2", "u3"]}, units=units, names={"93": "Seine-Saint-Denis"}
    )
    table = pd.concat(
        [
            evolution(units, zones, "unemployment_rate", start=2015, end=2021),
            evolution(units, everything, "unemployment_rate", start=2015, end=2021),
        ],
        ignore_index=True,
    )
    # the reference's change, recomputed independently: (109 - 100) / 400
    expected = 100 * (109 / 400 - 100 / 400)
    centre = centre_reference(table, "unemployment_rate", "93")
    assert centre.value == pytest.approx(expected, rel=1e-12)
    html = change_map(table, zones, "unemployment_rate", centre="93").to_html()
    assert (
        "Couleurs centrées sur l'évolution de référence (Seine-Saint-Denis) : "
        "+2,3\xa0points (et non sur 0)."
    ) in html.replace("&#39;", "'")
    # the palette diverges around the reference's change, not around 0
    layer = change_layer(table, "unemployment_rate", reference=centre)
    wide = evolution_to_geodataframe(
        table[table["zone"] != "93"], zones, ["unemployment_rate"]
    )
    classes = prepare_layer(wide, layer).classes
    assert classes.reference == pytest.approx(expected, rel=1e-12)
    # a secret change of the reference cannot centre a palette
    hidden = table.copy()
    hidden.loc[hidden["zone"] == "93", ["state", "change"]] = ["secret", np.nan]
    with pytest.raises(Refused, match=r"Seine-Saint-Denis.*secret statistique"):
        change_map(hidden, zones, "unemployment_rate", centre="93")
    with pytest.raises(Refused, match="absent"):
        change_map(table, zones, "unemployment_rate", centre="94")
