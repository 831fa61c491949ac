"""One decimals policy: a figure reads the same in a portrait, a table, a
spreadsheet and on a map (issue 12: a ratio of 3,14159 showed 2 decimals in
a portrait, 1 in the table and on the map)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import sparse
from shapely.geometry import box

from territobs import Weights, recompute
from territobs.atlas.tables import number_format
from territobs.catalog import Catalog, Indicator
from territobs.formatting import decimals_for
from territobs.maps.layers import Layer, prepare_layer
from territobs.portrait import portrait
from territobs.zoning.result import style_result

SIZE = Indicator(
    "household_size", "ratio", "Taille des ménages", unit="personnes",
    numerator="persons", denominator="households",
)  # fmt: skip


def _result() -> pd.DataFrame:
    units = pd.DataFrame(
        {
            "code": ["a", "b", "c"],
            "persons": [314159.0, 271828.0, 141421.0],
            "households": [100000.0, 100000.0, 100000.0],
        }
    )
    zones = pd.DataFrame({"zone": ["a", "b", "c"], "name": ["A", "B", "C"]})
    weights = Weights(
        sparse.csr_array(np.eye(3)),
        sparse.csr_array(np.eye(3, dtype="int8")),
        pd.Index(units.code),
        pd.Index(zones.zone),
        "area",
    )
    return recompute(
        units, zones, SIZE, weights=weights, catalog=Catalog((SIZE,)), check=False
    )


def test_a_ratio_reads_the_same_everywhere() -> None:
    result = _result()
    values = result["value"].tolist()
    assert values[0] == pytest.approx(3.14159)
    assert decimals_for(values, "personnes", "ratio") == 2
    # portrait
    page = portrait(result, "a", ["b", "c"])
    cells = next(cells for first, cells in page.rows())
    assert [c.text for c in cells] == ["3,14", "2,72", "1,41"]
    # notebook table
    table = style_result(result).data
    assert table["Valeur"].tolist() == ["3,14", "2,72", "1,41"]
    # spreadsheet
    assert number_format("ratio", "personnes", values) == "#,##0.00"
    # map
    frame = gpd.GeoDataFrame(
        {"household_size": values},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
        crs=2154,
    )
    prepared = prepare_layer(frame, Layer("household_size", unit="personnes"))
    assert prepared.decimals == 2


@given(
    st.lists(
        st.floats(0, 1e7, allow_nan=False, allow_infinity=False),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(["", "%", "€", "habitants"]),
    st.sampled_from(["count", "ratio", "share", "mean", "median"]),
)
def test_policy_is_a_function_of_the_figures_shown(values, unit, kind) -> None:
    digits = decimals_for(values, unit, kind)
    assert digits in (0, 1, 2)
    # order does not matter, and one figure alone is its own set
    assert decimals_for(values[::-1], unit, kind) == digits
    assert decimals_for(values[0], unit, kind) == decimals_for([values[0]], unit, kind)
    if unit == "%":
        assert digits == 1
    if unit == "€" or all(float(v).is_integer() for v in values):
        assert digits == 0 or unit == "%"
    if kind == "count":
        assert digits <= 1 or unit == "%"
