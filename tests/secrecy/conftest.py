"""Builders of tiny tidy results in the contract's shape (docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import pytest

from territobs.zoning.recompute import RESULT_COLUMNS as _RESULT_COLUMNS

RESULT_COLUMNS = list(_RESULT_COLUMNS)


def count_rows(
    counts: Mapping[str, float],
    zones: Mapping[str, Sequence[str] | Mapping[str, float]],
    indicator: str = "rsa",
    *,
    masked: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Sum unit counts over zones as recompute() does (masked units unknown).

    ``zones`` maps a zone id to its members, or to ``{unit: weight}``.
    """
    rows = []
    for zone, members in zones.items():
        weights = (
            members if isinstance(members, Mapping) else dict.fromkeys(members, 1.0)
        )
        known = sum(w * counts[u] for u, w in weights.items() if u not in masked)
        masked_units = sum(w for u, w in weights.items() if u in masked)
        incomplete = masked_units > 0
        rows.append(
            {
                "zone": zone,
                "zone_name": (names or {}).get(zone, f"Zone {zone}"),
                "indicator": indicator,
                "label": indicator,
                "kind": "count",
                "unit": "foyers",
                "value": np.nan if incomplete else known,
                "numerator": known,
                "denominator": np.nan,
                "method": "exact",
                "estimated_share": 0.0,
                "approximation": "",
                "masked_units": masked_units,
                "incomplete": incomplete,
                "lower": np.nan,
                "upper": np.nan,
                "secret": False,
                "secret_reason": "",
                "source": "test",
                "vintage": "2021",
            }
        )
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def ratio_rows(
    numerators: Mapping[str, float],
    denominators: Mapping[str, float],
    zones: Mapping[str, Sequence[str]],
    indicator: str,
    *,
    kind: str = "share",
    scale: float = 100.0,
) -> pd.DataFrame:
    """Ratios rebuilt from summed numerators and denominators."""
    frame = count_rows(numerators, zones, indicator)
    den = count_rows(denominators, zones, indicator)["numerator"]
    frame["kind"] = kind
    frame["denominator"] = den
    frame["value"] = scale * frame["numerator"] / den
    frame["unit"] = "%"
    return frame


@pytest.fixture(scope="session")
def make_counts() -> Callable[..., pd.DataFrame]:
    return count_rows


@pytest.fixture(scope="session")
def make_ratios() -> Callable[..., pd.DataFrame]:
    return ratio_rows
