"""Reuse what was computed from the same geometries (maps of one zoning).

An atlas draws one map per indicator of a zoning: the geometry is the same
shapely objects every time (frames are rebuilt, the geometries are not), so
the simplified, encoded layer and the label anchors are computed once.
Shapely geometries are immutable: the same objects, in the same order, with
the same CRS and parameters, give the same result. Entries keep their
geometries alive, so an object's ``id`` cannot be reused while cached.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np

__all__ = ["geometry_memo"]

T = TypeVar("T")

#: Most recent entries kept (a few zonings and their outlines).
SIZE = 8
_ENTRIES: list[tuple[str, tuple[Any, ...], Any, np.ndarray, np.ndarray, Any]] = []


def geometry_memo(
    kind: str, geoms: gpd.GeoSeries, params: tuple[Any, ...], compute: Callable[[], T]
) -> T:
    """Return ``compute()``, or its result for the same geometries before.

    Parameters
    ----------
    kind : str
        What is computed (``"pack"``, ``"labels"``...).
    geoms : geopandas.GeoSeries
        The geometries the result depends on.
    params : tuple
        Every other input the result depends on (hashable, comparable).
    compute : callable
        Called without arguments on a miss.
    """
    values = geoms.to_numpy()
    ids = np.fromiter(map(id, values), dtype=np.int64, count=len(values))
    crs = geoms.crs
    for entry in _ENTRIES:
        e_kind, e_params, e_crs, _, e_ids, result = entry
        if (
            e_kind == kind
            and e_params == params
            and e_crs == crs
            and np.array_equal(e_ids, ids)
        ):
            return result
    result = compute()
    _ENTRIES.append((kind, params, crs, values, ids, result))
    if len(_ENTRIES) > SIZE:
        _ENTRIES.pop(0)
    return result
