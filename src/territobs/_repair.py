"""Invalid polygons made valid the one way every reader and kernel shares.

One job. Each polygon *part* is made valid by :func:`shapely.make_valid`
(its default "linework" method: a self-touching ring, a spike, a bowtie keep
the area they enclose) and the parts are then united. Made valid as a whole,
a multipolygon whose parts overlap became their symmetric difference (a hole
where they overlap); the "structure" method keeps that union but collapsed
some self-touching rings of positive area into lines.
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["polygonal_repair"]

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


def polygonal_repair(geoms: np.ndarray) -> np.ndarray:
    """Make polygons valid: each part made valid, then their union.

    Lines and points left by the repair are dropped; a geometry with no
    polygonal part left becomes an empty polygon (the callers refuse it).

    Examples
    --------
    >>> from shapely import MultiPolygon, box
    >>> parts = MultiPolygon([box(0, 0, 2, 2), box(1, 1, 3, 3)])
    >>> float(polygonal_repair([parts])[0].area)
    7.0
    """
    geoms = np.asarray(geoms, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    pieces, of_part = shapely.get_parts(shapely.make_valid(parts), return_index=True)
    polygonal = np.isin(shapely.get_type_id(pieces), _POLYGONAL)
    pieces, owner = pieces[polygonal], owner[of_part[polygonal]]
    out = np.array([shapely.Polygon() for _ in range(len(geoms))], dtype=object)
    order = np.argsort(owner, kind="stable")
    starts = np.searchsorted(owner[order], np.arange(len(geoms) + 1))
    for k in np.flatnonzero(np.diff(starts)):
        out[k] = shapely.union_all(pieces[order[starts[k] : starts[k + 1]]])
    return out
