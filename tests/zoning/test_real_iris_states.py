"""Real INSEE IRIS files of Seine-Saint-Denis, as published: states and coverage.

The census IRIS bases here hold only the residential IRIS (type H): activity
and « divers » IRIS have no row. Filosofi IRIS 2015 (« DISP ») has rates,
medians and deciles but no count of persons, and blanks some cells. Zones: the
communes (from the IRIS' parent code), a PST of three IRIS, the département.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from territobs.catalog import default_catalog
from territobs.publish import plan_secrecy, publish
from territobs.schema import PartialPolicy
from territobs.zoning.recompute import recompute
from territobs.zoning.weights import build_weights
from territobs.zoning.zones import zones_from_members

pytestmark = pytest.mark.shared_data

PST = ("930080101", "930080102", "930080103")  # three IRIS of Bobigny
INDICATORS = ["population", "poverty_rate", "median_living_standard"]


@pytest.fixture(scope="module")
def territory(shared_data):
    from territobs.io.boundaries import read_boundaries
    from territobs.io.insee import read_insee
    from territobs.territory import build_territory

    units = read_boundaries(
        shared_data / "boundaries/grand-paris-iris/map_iris.shp", level="iris"
    )
    units = units[units["code"].str.startswith("93")].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # other départements' rows: unmatched
        tables = [
            read_insee(shared_data / "insee/rp2016-iris-typeH-population.csv.gz"),
            read_insee(shared_data / "insee/filosofi-iris-2015-disp.csv.gz"),
        ]
        return build_territory(units, tables)


@pytest.fixture(scope="module")
def zones(territory):
    members = territory.groupby("CODE_COM")["code"].apply(tuple).to_dict()
    members["pst"] = PST
    members["dep93"] = tuple(territory["code"])
    return zones_from_members(members, units=territory)


@pytest.fixture(scope="module")
def published(territory, zones):
    catalog = default_catalog()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weights = build_weights(territory, zones, method="exact")
        rules, needed = plan_secrecy(INDICATORS, territory, catalog)
        out = {}
        for name, policy in (("strict", None), ("partial", PartialPolicy(0.9))):
            result = recompute(
                territory,
                zones,
                needed,
                weights=weights,
                approximation="census_population_weights",
                partial=policy,
                check=False,
            )
            out[name] = publish(result, weights=weights, rules=rules, catalog=catalog)
    return out


def _row(frame, zone, indicator):
    rows = frame[(frame["zone"] == zone) & (frame["indicator"] == indicator)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_census_figures_are_never_secret(published) -> None:
    for frame in published.values():
        census = frame[frame["indicator"] == "population"]
        assert not census["secret"].any()
        assert not (census["state"] == "secret").any()


def test_departement_population_missing_by_default_partial_when_chosen(
    published, territory, shared_data
) -> None:
    strict = _row(published["strict"], "dep93", "population")
    assert strict["state"] == "missing"
    assert np.isnan(strict["value"])
    absent = territory["P16_POP0014"].isna().sum()
    assert strict["coverage_label"] == f"{614 - absent} IRIS sur 614"
    partial = _row(published["partial"], "dep93", "population")
    assert partial["state"] == "partial"
    raw = pd.read_csv(
        shared_data / "insee/rp2016-iris-typeH-population.csv.gz",
        dtype={"IRIS": str},
    )
    raw = raw[raw["IRIS"].isin(territory["code"])]
    bands = [c for c in raw.columns if c.startswith("P16_POP") and c[7:9].isdigit()]
    assert partial["value"] == pytest.approx(raw[bands].to_numpy().sum(), rel=1e-9)


def test_no_zone_without_data_gets_a_number(published, territory, zones) -> None:
    known = territory.set_index("code")["P16_POP0014"].notna()
    for frame in published.values():
        rows = frame[frame["indicator"] == "population"].set_index("zone")
        for zone, members in zip(zones["zone"], zones["members"], strict=True):
            if not known.loc[list(members)].any():
                assert np.isnan(rows.loc[zone, "value"])
                assert rows.loc[zone, "state"] == "missing"
        assert (rows["value"].dropna() > 0).all()


def test_pst_of_three_iris_gets_poverty_rate_and_median(published) -> None:
    frame = published["strict"]
    for indicator in ("poverty_rate", "median_living_standard"):
        row = _row(frame, "pst", indicator)
        assert row["state"] == "value", row["secret_reason"]
        assert np.isfinite(row["value"])
        assert row["approximation"] == "census_population_weights"
        assert row["method"] == "census_population_weights"
        assert row["vintage"] == "2015 ; pondération : population 2016"


def test_producer_blanks_stay_secret(published, territory) -> None:
    blanked = territory.loc[territory["DISP_TP6015__secret"].fillna(False), "CODE_COM"]
    commune = blanked.iloc[0]
    row = _row(published["partial"], commune, "poverty_rate")
    assert row["state"] == "secret"
    assert np.isnan(row["value"])
