"""Contiguity of units: the graph every shape figure and proposal rests on.

Two units are neighbours when their boundaries share at least a point (queen
contiguity, :class:`libpysal.weights.Queen`). Boundaries drawn from different
sources, or simplified, leave slivers between neighbours; ``tolerance``
(metres) then uses :func:`libpysal.weights.fuzzy_contiguity`, which counts
units closer than that distance as neighbours.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

from territobs.errors import CRSError, GeometryError

if TYPE_CHECKING:
    import geopandas as gpd
    from libpysal.weights import W

__all__ = ["contiguity", "pieces"]


def contiguity(units: gpd.GeoDataFrame, *, tolerance: float = 0.0) -> W:
    """Queen contiguity of units, in the units' row order.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        Units in a projected CRS (metres), one polygon per row.
    tolerance : float, default 0.0
        Units closer than this distance (metres) are neighbours too, to bridge
        slivers between boundaries from different sources (e.g. ``10``).

    Returns
    -------
    libpysal.weights.W
        Ids are the positions 0..n-1 of the units; units without neighbour
        (islands) are kept, with none.

    Raises
    ------
    CRSError
        ``tolerance`` given for units in longitude/latitude.
    GeometryError
        Units without geometry.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> units = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1),
    ...                                    box(3, 0, 4, 1)], crs=2154)
    >>> contiguity(units).neighbors
    {0: [1], 1: [0], 2: []}
    """
    from libpysal.weights import Queen, fuzzy_contiguity

    empty = units.geometry.isna().to_numpy() | units.geometry.is_empty.to_numpy()
    if empty.any():
        codes = units["code"][empty].tolist() if "code" in units else []
        raise GeometryError(
            f"{int(empty.sum())} unité(s) sans contour : impossible de dire leurs "
            "voisines.",
            codes=codes,
        )
    frame = units[[units.geometry.name]].reset_index(drop=True)
    with warnings.catch_warnings():
        # libpysal warns about islands and disconnected graphs: they are
        # reported by the figures (pieces), not as library warnings
        warnings.simplefilter("ignore")
        if tolerance > 0:
            if units.crs is None or not units.crs.is_projected:
                raise CRSError(
                    "une tolérance en mètres demande des unités en projection "
                    "métrique (par ex. units.to_crs(2154)).",
                )
            w = fuzzy_contiguity(
                frame, tolerance=0, buffering=True, buffer=float(tolerance)
            )
        else:
            w = Queen.from_dataframe(frame, use_index=False, silence_warnings=True)
    return w


def _matrix(w: W | sparse.sparray | sparse.spmatrix) -> sparse.csr_array:
    if hasattr(w, "sparse"):
        return sparse.csr_array(w.sparse)
    return sparse.csr_array(w)


def pieces(w: W | sparse.sparray, zone: pd.Series | np.ndarray) -> np.ndarray:
    """Label each unit with its connected piece inside its own zone.

    Parameters
    ----------
    w : libpysal.weights.W or scipy sparse array
        Contiguity of the units (positions 0..n-1).
    zone : array-like
        Zone of each unit, in the same order.

    Returns
    -------
    numpy.ndarray
        Integer label per unit: two units have the same label when a path of
        neighbours inside their zone joins them. A zone in one piece has one
        label; ``n`` labels mean ``n`` pieces.

    Examples
    --------
    >>> from scipy import sparse
    >>> line = sparse.csr_array(([1, 1, 1, 1], ([0, 1, 1, 2], [1, 0, 2, 1])),
    ...                         shape=(3, 3))
    >>> pieces(line, ["a", "b", "a"]).tolist()  # "a" is cut by "b"
    [0, 1, 2]
    """
    matrix = _matrix(w).tocoo()
    labels = pd.factorize(np.asarray(zone, dtype=object))[0]
    keep = labels[matrix.row] == labels[matrix.col]
    n = len(labels)
    inside = sparse.csr_array(
        (np.ones(int(keep.sum())), (matrix.row[keep], matrix.col[keep])), shape=(n, n)
    )
    return csgraph.connected_components(inside, directed=False)[1]
