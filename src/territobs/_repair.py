"""Invalid polygons made valid the one way every reader and kernel shares.

One job. Each polygon *part* is made valid ring by ring: its shell by
:func:`shapely.make_valid` (its default "linework" method: a self-touching
ring, a spike, a bowtie keep the area they enclose), each hole the same way,
and the part is the shell less its holes; the parts are then united. Made
valid as a whole, a multipolygon whose parts overlap became their symmetric
difference (a hole where they overlap), and so did a polygon's rings: a hole
sharing a side with its shell vanished (a 6 m² bay in a 100 m² square
counted as land), a hole outside its shell became land, two overlapping
holes left their overlap as land. The "structure" method keeps shell less
holes but collapsed some self-touching rings of positive area into lines.
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["polygonal_repair"]

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


def polygonal_repair(geoms: np.ndarray) -> np.ndarray:
    """Make polygons valid: each part its shell less its holes, then their union.

    Each ring is made valid alone by :func:`shapely.make_valid`; lines and
    points left by the repair are dropped; a geometry with no polygonal part
    left (a hole covering its shell, a flat ring) becomes an empty polygon
    (the callers refuse it).

    Examples
    --------
    >>> from shapely import MultiPolygon, Polygon, box
    >>> parts = MultiPolygon([box(0, 0, 2, 2), box(1, 1, 3, 3)])
    >>> float(polygonal_repair([parts])[0].area)
    7.0
    >>> bay = Polygon(box(0, 0, 10, 10).exterior, [box(0, 2, 3, 4).exterior])
    >>> float(polygonal_repair([bay])[0].area)
    94.0
    """
    geoms = np.asarray(geoms, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    rings, of_part = shapely.get_rings(parts, return_index=True)
    shell = np.ones(len(rings), dtype=bool)  # each part's first ring
    shell[1:] = of_part[1:] != of_part[:-1]
    filled = np.asarray(shapely.polygons(rings), dtype=object)
    areas = _united(filled[shell], of_part[shell], len(parts))
    if not shell.all():
        holes = _united(filled[~shell], of_part[~shell], len(parts))
        areas = shapely.difference(areas, holes)
    return _united(areas, owner, len(geoms), repair=False)


def _united(
    geoms: np.ndarray, owner: np.ndarray, n: int, repair: bool = True
) -> np.ndarray:
    """Union of the polygonal pieces of ``geoms`` (made valid) by ``owner``.

    An owner of one geometry that is polygonal takes it as it is; the others
    unite their (multi)polygon pieces, lines and points dropped.
    """
    if repair:
        geoms = shapely.make_valid(geoms)
    out = np.array([shapely.Polygon() for _ in range(n)], dtype=object)
    alone = np.bincount(owner, minlength=n)[owner] == 1
    alone &= np.isin(shapely.get_type_id(geoms), _POLYGONAL)
    out[owner[alone]] = geoms[alone]
    pieces, of_geom = shapely.get_parts(geoms[~alone], return_index=True)
    keep = np.isin(shapely.get_type_id(pieces), _POLYGONAL) & ~shapely.is_empty(pieces)
    pieces, owner = pieces[keep], owner[~alone][of_geom[keep]]
    order = np.argsort(owner, kind="stable")
    starts = np.searchsorted(owner[order], np.arange(n + 1))
    count = np.diff(starts)
    out[count == 1] = pieces[order[starts[:-1][count == 1]]]  # valid already
    for k in np.flatnonzero(count > 1):
        out[k] = shapely.union_all(pieces[order[starts[k] : starts[k + 1]]])
    return out
