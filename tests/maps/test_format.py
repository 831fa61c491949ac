from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territobs.maps.legend import (
    NBSP,
    NNBSP,
    format_date,
    format_difference,
    format_interval,
    format_number,
    format_value,
)


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (12.5, 1, "12,5"),
        (86375, 0, f"86{NNBSP}375"),
        (1234567.891, 2, f"1{NNBSP}234{NNBSP}567,89"),
        (0.05, 1, "0,1"),  # half away from zero, not banker's rounding
        (2.25, 1, "2,3"),
        (-1234.5, 0, f"-1{NNBSP}235"),
        (-0.04, 1, "0,0"),  # no "-0,0"
        (999.96, 1, f"1{NNBSP}000,0"),
        (float("nan"), 1, "n.d."),
    ],
)
def test_format_number(value, decimals, expected):
    assert format_number(value, decimals) == expected


def test_units_and_intervals():
    assert format_value(12.5, "%", 1) == f"12,5{NBSP}%"
    assert format_value(21350, "€") == f"21{NNBSP}350{NBSP}€"
    assert format_interval(10, 12.5, "%", 1) == f"de 10,0 à 12,5{NBSP}%"
    assert format_interval(-math.inf, 5, None, 0) == "moins de 5"
    assert format_interval(50, math.inf, "€", 0) == f"50{NBSP}€ et plus"
    assert format_interval(3, 3, None, 0) == "3"


def test_difference_and_date():
    assert format_difference(2.34, "%", 1) == f"+2,3{NBSP}points"
    assert format_difference(-0.5, "%", 1) == f"-0,5{NBSP}point"
    assert format_difference(0.01, "%", 1) == f"0,0{NBSP}point"
    assert format_date(dt.date(2024, 1, 1)) == "1er janvier 2024"
    assert format_date(dt.date(2025, 8, 15)) == "15 août 2025"


@settings(max_examples=100, deadline=None)
@given(st.floats(-1e9, 1e9, allow_nan=False), st.integers(0, 3))
def test_format_number_round_trips(value, decimals):
    """Invariant: the French text parses back to the value within half a unit
    of the last digit."""
    text = format_number(value, decimals)
    parsed = float(text.replace(NNBSP, "").replace(",", "."))
    assert abs(parsed - value) <= 0.5 * 10**-decimals + 1e-9 * max(1, abs(value))


def test_one_formatting_module_shared_by_maps_portraits_and_tables():
    """maps.legend, portrait.format and zoning.result use territobs.formatting."""
    from territobs import formatting
    from territobs.maps import legend
    from territobs.portrait import format as portrait_format
    from territobs.zoning import result

    for name in ("format_number", "format_value", "format_interval", "format_date"):
        assert getattr(legend, name) is getattr(formatting, name)
    assert portrait_format.format_indicator is formatting.format_indicator
    assert portrait_format.format_share is formatting.format_share
    assert portrait_format.decimals_for is formatting.decimals_for
    # tables keep their conventions (1 decimal, typographic minus, blank NaN)
    assert result.format_number(-1234.56) == f"\u22121{NNBSP}234,6"
    assert result.format_number(float("nan")) == ""
    # the same figure reads the same in a map, a portrait and a table
    assert (
        format_value(86375.4, None, 0)
        == portrait_format.format_indicator(86375.4, "", "count")
        == result.format_number(86375.4, 0)
        == f"86{NNBSP}375"
    )


def test_options_percent_share_and_missing_values():
    from territobs.formatting import format_percent, format_share

    assert format_number(2.25, 1, rounding="half_even") == "2,2"
    assert format_number(-3.0, minus="\u2212") == "\u22123"
    assert format_number(None) == format_number(np.float32("nan")) == "n.d."
    assert format_number(pd.NA, missing="") == ""
    assert format_number(np.int64(1234)) == f"1{NNBSP}234"
    assert format_percent(35.04) == f"35{NBSP}%"
    assert format_share(0.004) == f"<{NBSP}1{NBSP}%"
    assert format_share(0.996) == f">{NBSP}99{NBSP}%"
    with pytest.raises(ValueError, match="half_up"):
        format_number(1.0, rounding="bankers")


def test_caption_vintage_years_and_text():
    from territobs.maps.caption import make_caption

    years = make_caption(source="INSEE", vintage="2016, 2021", date=dt.date(2026, 1, 5))
    assert years[0] == "Source : INSEE, millésime 2016, 2021"
    text = make_caption(source="INSEE", vintage="COG 2025", date=dt.date(2026, 1, 5))
    assert text[:2] == ["Source : INSEE", "Millésime : COG 2025"]
