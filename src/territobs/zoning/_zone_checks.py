"""Checks of a zones frame against the units of a territory.

:func:`check_zones` reports zones lying outside the territory (or barely in
it) and :func:`units_not_covered` the units no zone covers. Both are
re-exported by :mod:`territobs.zoning.zones` (import them from there).
"""

from __future__ import annotations

import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from territobs.errors import (
    JoinError,
    ZoneError,
    ZoneWarning,
    format_codes,
)
from territobs.formatting import count_of, format_percent
from territobs.zoning._members import _unit_codes
from territobs.zoning.weights import Weights, _check_crs, _overlaps_of, build_weights

__all__ = ["check_zones", "units_not_covered"]


def check_zones(
    zones: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    tolerance: float = 1e-6,
    outside_tolerance: float = 1e-3,
) -> pd.DataFrame:
    r"""Report how each zone sits on the territory.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        A zones frame.
    units : geopandas.GeoDataFrame
        The territory's units (``code``, ``geometry``), assumed not to overlap.
    tolerance : float, default 1e-6
        Sliver tolerance of :func:`territobs.zoning.weights.build_weights`.
    outside_tolerance : float, default 1e-3
        Share of a zone's area outside the territory above which it is
        reported as partly outside.

    Returns
    -------
    pandas.DataFrame
        Index ``zone``; columns ``name``, ``outside_share`` (0-1),
        ``n_units_touched``, ``n_units_whole``.

    Raises
    ------
    ZoneError
        Zones with no overlap at all with the territory (``error.codes``).

    Warns
    -----
    ZoneWarning
        Zones partly outside the territory (``warning.codes``).

    Notes
    -----
    For a geometric zone :math:`z`,
    ``outside_share`` :math:`= 1 - \sum_i |u_i \cap z| / |z|` (units do
    not overlap, so the sum is the area of the territory inside the zone).
    Membership zones lie inside by construction (``outside_share = 0``).
    """
    report = _overlaps_of(
        units, zones, tolerance=tolerance, n_jobs=None, check=_check_crs
    )
    empty = report.index[report["n_units_touched"] == 0].tolist()
    if empty:
        raise ZoneError(
            f"{count_of(len(empty), 'zone', 'zones')} sans aucun recouvrement avec "
            f"le territoire : {format_codes(empty)}. Vérifiez "
            f"{'son emprise et son' if len(empty) == 1 else 'leur emprise et leur'} "
            "CRS.",
            codes=empty,
        )
    outside = report.index[report["outside_share"] > outside_tolerance].tolist()
    if outside:
        shares = report.loc[outside, "outside_share"]
        detail = ", ".join(
            f"« {z} » ({format_percent(100 * s, 1)})" for z, s in shares.head(5).items()
        )
        overflow = "déborde" if len(outside) == 1 else "débordent"
        warnings.warn(
            ZoneWarning(
                f"{count_of(len(outside), 'zone')} {overflow} du territoire : {detail}"
                + (
                    f" et {count_of(len(outside) - 5, 'autre')}"
                    if len(outside) > 5
                    else ""
                )
                + ".",
                codes=outside,
            ),
            stacklevel=2,
        )
    return report


def units_not_covered(
    units: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame | Any,
    *,
    tolerance: float = 1e-6,
) -> gpd.GeoDataFrame:
    """Return the units that lie in no zone.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        The territory's units.
    zones : geopandas.GeoDataFrame or Weights
        A zones frame, or weights already built on ``units``.
    tolerance : float, default 1e-6
        Sliver tolerance (overlaps below it do not count).

    Returns
    -------
    geopandas.GeoDataFrame
        The rows of ``units`` in no zone (possibly empty).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> from territobs.zoning.zones import zones_from_members
    >>> units = gpd.GeoDataFrame(
    ...     {"code": ["93001", "93066"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
    ...     crs=2154,
    ... )
    >>> units_not_covered(units, zones_from_members({"a": ["93001"]}))["code"].tolist()
    ['93066']
    """
    weights = (
        zones
        if isinstance(zones, Weights)
        else build_weights(units, zones, method="area", tolerance=tolerance)
    )
    codes = _unit_codes(units)
    if not codes.equals(weights.units):
        raise JoinError(
            "les poids n'ont pas été calculés sur ces unités (codes différents).",
            column="code",
        )
    touched = np.diff(weights.matrix.indptr) > 0
    return units.loc[~touched]
