"""Geometries with a NaN or infinite coordinate: found and refused.

One job. GEOS leaves a non-finite coordinate out of a geometry's bounds,
``make_valid`` either raises on it or returns a line through it, and its
area is NaN: such a geometry would be weighted from its other vertices, or
crash a repair with GEOS's English message. Readers and weights refuse it
first, naming the unit or zone.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import shapely

from territobs.errors import GeometryError, format_codes, where
from territobs.formatting import count_of

__all__ = ["non_finite", "refuse_non_finite"]


def non_finite(geoms: np.ndarray) -> np.ndarray:
    """Tell which geometries have a NaN or infinite coordinate."""
    geoms = np.asarray(geoms, dtype=object)
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    bad = np.zeros(len(geoms), dtype=bool)
    bad[index[~np.isfinite(coords).all(axis=1)]] = True
    return bad


def refuse_non_finite(
    bad: np.ndarray,
    codes: Any,
    singular: str,
    plural: str,
    path: str | os.PathLike[str] | None = None,
) -> None:
    """Raise a French :class:`GeometryError` naming the ``bad`` codes, if any.

    ``singular`` / ``plural``: what the codes name (« unité », « zone »).
    """
    if not np.any(bad):
        return
    named = np.asarray(codes, dtype=object)[np.asarray(bad, dtype=bool)].tolist()
    raise GeometryError(
        f"{where(path)}{count_of(len(named), singular, plural)} avec des "
        f"coordonnées non finies (NaN ou infinies) : {format_codes(named)}. "
        "Corrigez ou retirez ces géométries.",
        path=None if path is None else str(path),
        codes=named,
    )
