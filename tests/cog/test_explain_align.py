"""Unmatched codes explained by COG changes; tables brought to the boundaries' COG."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from territobs.catalog import default_catalog
from territobs.cog import vintage_codes
from territobs.cog.align import align_table
from territobs.cog.explain import explain_unmatched
from territobs.errors import MethodError, UnmatchedCodesWarning
from territobs.territory import build_territory


def _ain(year: int) -> list[str]:
    return sorted(c for c in vintage_codes(year) if c.startswith("01"))


def test_explain_names_merger_and_year() -> None:
    explained = explain_unmatched([], ["01039"], all_table_codes=["01138", "01001"])
    assert explained.newer == [("01039", "01138", 2023, "fusion")]
    text = explained.text()
    assert "« 01039 » → « 01138 » (fusion au 1er janvier 2023)" in text
    assert "plus récent" in text


def test_join_warning_explains_mergers() -> None:
    codes = _ain(2022)
    units = gpd.GeoDataFrame(
        {"code": codes, "name": codes, "level": "commune"},
        geometry=[box(i, 0, i + 1, 1) for i in range(len(codes))],
        crs=2154,
    )
    table = pd.DataFrame({"code": _ain(2024), "P21_POP": 100.0})
    with pytest.warns(UnmatchedCodesWarning, match="01039") as record:
        build_territory(units, [table])
    text = " ".join(str(w.message) for w in record)
    assert "fusion au 1er janvier 2023" in text
    assert "cog = " in text


def test_align_table_converts_a_later_table() -> None:
    table = pd.DataFrame({"code": _ain(2024), "level": "commune", "P21_POP": 100.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        population = pd.Series(1000.0, index=_ain(2022))
        out, note = align_table(table, 2022, default_catalog(), population)
    assert note.endswith("→ 2022")
    assert set(out["code"]) == set(_ain(2022))
    assert out["P21_POP"].sum() == pytest.approx(table["P21_POP"].sum())


def test_align_table_refuses_rates() -> None:
    table = pd.DataFrame({"code": _ain(2024), "TP6021": 12.0, "NBPERSMENFISC21": 10.0})
    with pytest.raises(MethodError, match="TP6021"):
        align_table(table, 2022, default_catalog())


def test_align_table_leaves_a_table_of_the_right_cog() -> None:
    table = pd.DataFrame({"code": _ain(2022), "P21_POP": 1.0})
    out, note = align_table(table, 2022, default_catalog())
    assert note == ""
    assert out is table
