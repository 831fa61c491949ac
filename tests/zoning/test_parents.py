"""Zones given at a coarser level than the units, and zone names."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from territobs.errors import ZoneError
from territobs.zoning.parents import guess_level
from territobs.zoning.zones import zones_from_members


@pytest.fixture
def iris() -> gpd.GeoDataFrame:
    codes = ["930010101", "930010102", "930050101", "930080101"]
    return gpd.GeoDataFrame(
        {"code": codes, "level": "iris"},
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(len(codes))],
        crs=2154,
    )


def test_communes_over_iris_from_the_code(iris) -> None:
    zones = zones_from_members(
        {"nord": ["93001", "93005"], "sud": ["93008"]},
        units=iris,
        member_level="commune",
        names={"nord": "Circonscription Nord"},
    )
    assert zones["members"].tolist() == [
        ("930010101", "930010102", "930050101"),
        ("930080101",),
    ]
    assert zones["name"].tolist() == ["Circonscription Nord", "sud"]
    assert zones.geometry.area.tolist() == [3.0, 1.0]


def test_parents_from_a_column() -> None:
    communes = gpd.GeoDataFrame(
        {
            "code": ["01001", "01002", "01004"],
            "level": "commune",
            "SIREN_EPCI": ["200069193", "240100883", "200069193"],
        },
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(3)],
        crs=2154,
    )
    zones = zones_from_members(
        {"bassin": ["200069193"]}, units=communes, member_level="epci"
    )
    assert zones["members"].tolist() == [("01001", "01004")]


def test_member_without_unit(iris) -> None:
    with pytest.raises(ZoneError, match="93999") as info:
        zones_from_members(
            {"z": ["93001", "93999"]}, units=iris, member_level="commune"
        )
    assert info.value.unknown == {"z": ["93999"]}


def test_members_of_another_level_get_a_hint(iris) -> None:
    with pytest.raises(ZoneError, match='member_level="commune"'):
        zones_from_members({"z": ["93001", "93005"]}, units=iris)


def test_member_level_needs_units() -> None:
    with pytest.raises(ZoneError, match="unités"):
        zones_from_members({"z": ["93001"]}, member_level="commune")


def test_guess_level() -> None:
    assert guess_level(["93001", "93005"]) == "commune"
    assert guess_level(["930010101"]) == "iris"
    assert guess_level(["200054781", "200069193"]) == "epci"
    assert guess_level(["x"]) is None
