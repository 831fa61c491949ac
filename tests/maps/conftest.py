from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

#: The value of the secret zone: it must appear nowhere in exported files.
SECRET_VALUE = 87.654321


@pytest.fixture
def grid() -> gpd.GeoDataFrame:
    """3 x 3 square communes near Paris, in Lambert-93, with a rate column.

    Row 4 (centre) is secret, row 8 has no value, row 0 has a hostile name.
    """
    cells = [
        box(
            650_000 + 2000 * i,
            6_860_000 + 2000 * j,
            652_000 + 2000 * i,
            6_862_000 + 2000 * j,
        )
        for j in range(3)
        for i in range(3)
    ]
    rate = np.array([5.0, 10.0, 15.0, 20.0, SECRET_VALUE, 30.0, 35.0, 40.0, np.nan])
    frame = gpd.GeoDataFrame(
        {
            "code": [f"9300{i}" for i in range(1, 10)],
            "name": [f"Commune {i}" for i in range(1, 10)],
            "rate": rate,
            "rate__secret": [False] * 4 + [True] + [False] * 4,
            "rate__estimated_share": [0, 0, 0.35, 0, 0, 0, 0, 0, 0],
            "rate__numerator": rate * 10,
            "rate__denominator": np.full(9, 1000.0),
            "pop": [100, 200, 300, 400, 500, 600, 700, 800, 900],
        },
        geometry=cells,
        crs=2154,
    )
    frame.loc[0, "name"] = "<script>alert('x')</script> & Cie"
    return frame
