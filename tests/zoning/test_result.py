from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from scipy import sparse
from shapely.geometry import box

from territobs.errors import MethodError, ZoneError
from territobs.zoning.recompute import recompute
from territobs.zoning.result import (
    format_number,
    result_html,
    style_result,
    summarize,
    to_geodataframe,
)
from territobs.zoning.weights import Weights


@pytest.fixture
def zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"zone": ["b", "a"], "name": ["Zone <B>", "Zone A"], "members": [None, None]},
        geometry=[box(1, 0, 2, 1), box(0, 0, 1, 1)],
        crs=2154,
    )


@pytest.fixture
def result(zones) -> pd.DataFrame:
    territory = pd.DataFrame(
        {
            "code": ["u1", "u2", "u3"],
            "P21_POP": [1000.0, 2500.0, 1234.5],
            "P21_POP75P": [100.0, 200.0, 50.0],
        }
    )
    matrix = sparse.csr_array([[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]])
    methods = sparse.csr_array([[0, 1], [2, 2], [1, 0]]).astype(np.int8)
    w = Weights(
        matrix, methods, pd.Index(territory["code"]), pd.Index(["b", "a"]), "area"
    )
    return recompute(territory, zones, ["population", "share_75p"], weights=w)


def test_to_geodataframe_wide(result, zones):
    wide = to_geodataframe(result, zones)
    assert isinstance(wide, gpd.GeoDataFrame)
    assert list(wide.columns) == [
        "zone", "name",
        "population", "population__secret", "population__estimated_share",
        "population__method", "population__state", "population__coverage",
        "population__coverage_label", "population__source", "population__vintage",
        "share_75p", "share_75p__secret", "share_75p__estimated_share",
        "share_75p__method", "share_75p__state", "share_75p__coverage",
        "share_75p__coverage_label", "share_75p__source", "share_75p__vintage",
        "geometry",
    ]  # fmt: skip
    assert list(wide["zone"]) == ["b", "a"]
    methods = result[result["indicator"] == "population"].set_index("zone")["method"]
    assert list(wide["population__method"]) == list(methods.loc[["b", "a"]])
    assert set(wide["population__vintage"]) == {"2021"}
    assert wide["population__source"].notna().all()
    assert wide.crs.to_epsg() == 2154
    assert wide.geometry.equals(zones.geometry)
    expected = result[result["indicator"] == "population"].set_index("zone")["value"]
    assert_array_equal(wide["population"], expected.loc[["b", "a"]].to_numpy())
    assert wide.attrs["territobs"]["sources"]["population"]["vintage"] == "2021"


def test_secret_values_are_nan_in_wide_output(result, zones):
    secret = result.assign(
        secret=result["zone"].eq("a") & result["indicator"].eq("population")
    )
    wide = to_geodataframe(secret, zones, indicators=["population"]).set_index("zone")
    assert np.isnan(wide.loc["a", "population"])
    assert wide.loc["a", "population__secret"]
    assert not wide.loc["b", "population__secret"]
    assert wide.loc["a", "population__state"] == "secret"
    assert wide.loc["b", "population__state"] == "value"
    assert list(wide.columns) == [
        "name", "population", "population__secret", "population__estimated_share",
        "population__method", "population__state", "population__coverage",
        "population__coverage_label", "population__source", "population__vintage",
        "geometry",
    ]  # fmt: skip


def test_to_geodataframe_errors(result, zones):
    with pytest.raises(MethodError, match=r"^indicateur absent du résultat : "):
        to_geodataframe(result, zones, indicators=["poverty_rate"])
    with pytest.raises(MethodError, match=r"^indicateurs absents du résultat : "):
        to_geodataframe(result, zones, indicators=["poverty_rate", "median"])
    with pytest.raises(
        ZoneError, match=r"^1 zone du résultat absente de la table des zones : « a »"
    ):
        to_geodataframe(result, zones[zones["zone"] == "b"])
    with pytest.raises(MethodError, match="colonne « value » absente"):
        to_geodataframe(result.drop(columns="value"), zones)
    with pytest.raises(MethodError, match="colonnes « value », « secret » absentes"):
        to_geodataframe(result.drop(columns=["value", "secret"]), zones)


def test_summarize(result):
    summary = summarize(result)
    assert list(summary.index) == ["population", "share_75p"]
    assert summary.loc["population", "n_zones"] == 2
    assert summary.loc["population", "n_exact"] == 0
    assert 0 < summary.loc["population", "max_estimated_share"] <= 1
    assert summary.loc["share_75p", "unit"] == "%"
    assert summary.loc["share_75p", "n_secret"] == 0


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (12345.678, 1, "12\u202f345,7"),
        (0.5, 0, "1"),  # half away from zero, as on maps and portraits
        (-1234.0, 0, "\u22121\u202f234"),
        (np.nan, 1, ""),
    ],
)
def test_format_number(value, decimals, text):
    assert format_number(value, decimals) == text


def test_style_result_french_flags_and_escaping(result):
    flagged = result.copy()
    flagged.loc[0, "secret"] = True
    flagged.loc[1, "value"] = np.nan
    flagged.loc[1, "incomplete"] = True
    styler = style_result(flagged)
    html = styler.to_html()
    assert "secret" in html
    assert "incomplet" in html
    assert "≈ " in html  # estimated values
    assert "Zone &lt;B&gt;" in html and "Zone <B>" not in html
    assert "Part estimée" in html and "Millésime" in html
    assert "estimée (surfaces)" in html
    assert "font-style: italic" in html
    assert result_html(flagged) == html
    # the value of the secret row is not written anywhere
    secret_value = format_number(float(result.loc[0, "value"]), 0)
    assert secret_value not in html
