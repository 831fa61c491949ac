"""IRIS redrawn between vintages (zoning/iris_changes.py, MODIF_IRIS)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territobs.errors import MethodError, SourceFormatError, ZoneWarning
from territobs.zoning.evolution import evolution
from territobs.zoning.iris_changes import affected_zones, redrawn_iris
from territobs.zoning.weights import build_weights
from territobs.zoning.zones import zones_from_members

# commune 77316: IRIS 01 redrawn, 02 and 03 created from it (as the RP 2016
# file of Île-de-France flags them); 04 unchanged; commune 77001 unchanged
CODES = ["773160101", "773160102", "773160103", "773160104", "770010000"]
REDRAWN = ["773160101", "773160102", "773160103"]


def _units():
    return pd.DataFrame(
        {
            "code": CODES,
            "P10_POP": [3000.0, np.nan, np.nan, 1000.0, 500.0],
            "P15_POP": [1100.0, 1000.0, 1200.0, 1100.0, 520.0],
        }
    )


def test_redrawn_iris_of_the_real_idf_file(shared_data):
    path = shared_data / "insee/base-ic-activite-residents-2016-idf.csv.gz"
    raw = pd.read_csv(path, sep=";", dtype=str)
    expected = sorted(raw.loc[raw["MODIF_IRIS"] != "0", "IRIS"])
    from territobs.io import read_insee

    assert redrawn_iris(read_insee(path)) == expected
    assert expected == REDRAWN


def test_zones_holding_part_of_the_redrawn_iris_get_no_change():
    units = _units()
    zones = zones_from_members(
        {
            "commune": CODES[:4],  # the whole commune: comparable
            "redrawn": REDRAWN,  # all the redrawn IRIS: same area
            "part": ["773160101", "773160104"],  # part of them: not comparable
            "other": ["770010000"],
        },
        units=units,
    )
    with pytest.warns(ZoneWarning, match="part"):
        ev = evolution(
            units, zones, "population", start=2010, end=2015, redrawn=REDRAWN
        ).set_index("zone")
    assert ev.loc["commune", "change"] == 4400.0 - 4000.0
    assert ev.loc["redrawn", "change"] == 3300.0 - 3000.0
    assert ev.loc["other", "change"] == 20.0
    part = ev.loc["part"]
    assert part["state"] == "missing" and np.isnan(part["change"])
    assert np.isnan(part["value_start"]) and part["value_end"] == 2200.0
    assert "773160101" in part["coverage_label"]
    assert "MODIF_IRIS" in part["coverage_label"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2), min_size=5, max_size=5))
def test_a_zone_is_set_aside_iff_it_holds_part_of_a_group(assignment):
    units = _units()
    members: dict[str, list[str]] = {}
    for code, zone in zip(CODES, assignment, strict=True):
        members.setdefault(f"z{zone}", []).append(code)
    zones = zones_from_members(members, units=units)
    weights = build_weights(units, zones)
    got = set(affected_zones(weights, REDRAWN))
    expected = {
        zone
        for zone, codes in members.items()
        if 0 < len(set(codes) & set(REDRAWN)) < len(REDRAWN)
    }
    assert got == expected


def test_iris_of_one_vintage_only_are_refused_naming_them():
    start = pd.DataFrame({"code": ["773160101", "773160104"], "population": [3e3, 1e3]})
    end = pd.DataFrame(
        {
            "code": ["773160101", "773160102", "773160104"],
            "population": [1.1e3, 1e3, 1.1e3],
        }
    )
    zones = zones_from_members({"a": ["773160101", "773160104"]}, units=start)
    with pytest.raises(MethodError) as info:
        evolution({2010: start, 2015: end}, zones, "population", start=2010, end=2015)
    message = info.value.message
    assert "IRIS redécoupés" in message
    assert "1 IRIS seulement en 2015 : « 773160102 »" in message
    assert "MODIF_IRIS" in message
    assert info.value.codes == ["773160102"]


def test_unreadable_modification_flag_is_refused():
    table = pd.DataFrame({"code": ["773160101"], "MODIF_IRIS": ["oui"]})
    with pytest.raises(SourceFormatError, match="ligne 2") as info:
        redrawn_iris(table)
    assert info.value.column == "MODIF_IRIS"


def test_one_table_per_vintage_with_redrawn_iris_compares_whole_communes():
    start = pd.DataFrame(
        {
            "code": ["773160101", "773160104", "770010000"],
            "population": [3e3, 1e3, 500.0],
        }
    )
    end = pd.DataFrame(
        {"code": CODES, "population": [1100.0, 1000.0, 1200.0, 1100.0, 520.0]}
    )
    zones = zones_from_members(
        {"commune": CODES[:4], "other": ["770010000"]}, units=end
    )
    weights = build_weights(end, zones)
    ev = evolution(
        {2010: start, 2015: end},
        zones,
        "population",
        start=2010,
        end=2015,
        weights=weights,
        redrawn=REDRAWN,
    ).set_index("zone")
    assert ev.loc["commune", "change"] == 4400.0 - 4000.0
    assert ev.loc["other", "change"] == 20.0
    assert set(ev["state"]) == {"value"}
