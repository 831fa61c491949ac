"""Where a map covers France: overseas départements and the three big cities.

Detection uses the ``code`` column (commune, IRIS or département codes) when
there is one, else the extent.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = ["CITY_ZOOMS", "OVERSEAS", "covers_france", "overseas_of"]

#: Overseas départements: name and official local projected CRS.
OVERSEAS = {
    "971": ("Guadeloupe", 5490),
    "972": ("Martinique", 5490),
    "973": ("Guyane", 2972),
    "974": ("La Réunion", 2975),
    "976": ("Mayotte", 4471),
}

#: City zooms: name, centre in Lambert-93 (metres), half-width (metres).
CITY_ZOOMS = {
    "Paris": ((652_000.0, 6_862_000.0), 22_000.0),
    "Lyon": ((842_500.0, 6_519_000.0), 18_000.0),
    "Marseille": ((893_000.0, 6_247_000.0), 18_000.0),
}

#: Metropolitan France in Lambert-93 is about 1,000 km wide; a map at least
#: this wide is "national" and gets the city zooms.
_NATIONAL_WIDTH = 600_000.0


def _codes(frame: pd.DataFrame) -> pd.Series | None:
    for column in ("code", "zone"):
        if column in frame.columns:
            return frame[column].astype("string")
    return None


def overseas_of(frame: pd.DataFrame) -> pd.Series:
    """Overseas département of each row (``<NA>`` in metropolitan France).

    Parameters
    ----------
    frame : pandas.DataFrame
        With a ``code`` (or ``zone``) column of commune, IRIS or département
        codes; without one, every row is taken as metropolitan.

    Returns
    -------
    pandas.Series of str
    """
    codes = _codes(frame)
    if codes is None:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    prefix = codes.str[:3]
    return prefix.where(prefix.isin(list(OVERSEAS)))


def covers_france(metro: gpd.GeoDataFrame) -> bool:
    """Whether metropolitan rows span a national extent (Lambert-93 width).

    Parameters
    ----------
    metro : geopandas.GeoDataFrame
        Metropolitan rows, in EPSG:2154.

    Returns
    -------
    bool
    """
    if metro.empty:
        return False
    x0, _, x1, _ = metro.total_bounds
    return bool(np.isfinite(x1 - x0) and x1 - x0 >= _NATIONAL_WIDTH)
