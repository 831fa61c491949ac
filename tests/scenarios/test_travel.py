"""Travel-time matrices read from CSV, long or wide; missing pairs named."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely import Point

from territobs.errors import JoinError, SourceFormatError
from territobs.scenarios import measure_access
from territobs.scenarios.travel import read_travel_times


def test_long_and_wide_give_the_same_matrix(tmp_path):
    long = tmp_path / "long.csv"
    long.write_text(
        "origine;site;minutes\n01001;MDS A;12,5\n01001;MDS B;30\n"
        "01002;MDS A;40\n01002;MDS B;8\n",
        encoding="utf-8",
    )
    wide = tmp_path / "wide.csv"
    wide.write_text("code,MDS A,MDS B\n01001,12.5,30\n01002,40,8\n", encoding="utf-8")
    a, b = read_travel_times(long), read_travel_times(wide)
    assert a.index.tolist() == ["01001", "01002"]  # codes keep their zeros
    assert a.loc["01001", "MDS A"] == 12.5
    assert (a.sort_index(axis=1) == b.sort_index(axis=1)).all().all()


def test_named_columns_and_bad_values(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("de;vers;duree\n01001;A;douze\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="ligne 2, duree"):
        read_travel_times(path, origin="de", site="vers", minutes="duree")
    with pytest.raises(SourceFormatError, match="colonne « x » absente"):
        read_travel_times(path, origin="x")
    path.write_text("origine;site;minutes\n01001;A;3\n01001;A;4\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="01001 → A"):
        read_travel_times(path)


def test_missing_pairs_are_named(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "origine;site;minutes\n01001;A;10\n01001;B;20\n01002;A;5\n", encoding="utf-8"
    )
    people = gpd.GeoDataFrame(
        {"code": ["01001", "01002"], "population_municipale": [10.0, 20.0]},
        geometry=[Point(0, 0), Point(1, 1)],
        crs=2154,
    )
    sites = gpd.GeoDataFrame({"id": ["A", "B"]}, geometry=[Point(0, 0)] * 2, crs=2154)
    with pytest.raises(JoinError, match="01002 → B") as caught:
        measure_access(people, sites, travel_times=path, threshold=15)
    assert caught.value.codes == ["01002 → B"]
    path.write_text(
        "origine;site;minutes\n01001;A;10\n01001;B;20\n01002;A;5\n01002;B;1\n",
        encoding="utf-8",
    )
    access = measure_access(people, sites, travel_times=path, threshold=15)
    assert access.points["site"].tolist() == ["A", "B"]
    assert access.points["distance"].tolist() == [10.0, 1.0]
    assert access.overall["mean_distance"] == pytest.approx((10 * 10 + 20 * 1) / 30)
