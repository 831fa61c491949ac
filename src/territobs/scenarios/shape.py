r"""Shape of the zones of one scenario: pieces, enclaves, compactness.

* **pieces**: connected pieces of each zone in the contiguity graph of its
  units (:func:`territobs.scenarios.graph.pieces`); a well-formed zone has 1.
* **enclaves**: a zone whose outline lies inside another zone's outer
  outline (holes filled) is *enclosed by* it; ``n_enclaves`` counts the zones
  each zone encloses.
* **compactness**: Polsby-Popper :math:`4 \pi A / P^2` of the zone's outline
  (1 for a disc, :math:`\pi / 4 \approx 0.785` for a square, near 0 for a
  ribbon). The perimeter depends on how detailed the boundaries are: compare
  scenarios drawn on the same units, not figures from different sources.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from territobs.scenarios.graph import pieces

__all__ = ["SHAPE_COLUMNS", "shape_figures"]

#: Columns of :func:`shape_figures` (besides ``zone``), in order.
SHAPE_COLUMNS = [
    "n_units",
    "pieces",
    "enclosed_by",
    "n_enclaves",
    "area_km2",
    "polsby_popper",
]


def _outer(geometry: shapely.Geometry, tolerance: float) -> shapely.Geometry:
    """Outline of a zone with its holes filled (slivers closed first)."""
    if tolerance > 0:
        geometry = shapely.buffer(shapely.buffer(geometry, tolerance), -tolerance)
    parts = shapely.get_parts(geometry)
    polygons = [shapely.Polygon(p.exterior) for p in parts if p.geom_type == "Polygon"]
    return shapely.union_all(polygons) if polygons else shapely.Polygon()


def shape_figures(
    zones: gpd.GeoDataFrame,
    zone_of_unit: pd.Series,
    w: object,
    *,
    tolerance: float = 0.0,
) -> pd.DataFrame:
    """Pieces, enclaves and compactness of every zone.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        Zones frame with ``zone`` and ``geometry`` (union of members), in a
        projected CRS (metres).
    zone_of_unit : pandas.Series
        Zone of each unit, in the order of the contiguity graph ``w``.
    w : libpysal.weights.W or scipy sparse array
        Contiguity of the units.
    tolerance : float, default 0.0
        Metres: close slivers narrower than this before filling the holes of
        each zone (only useful when boundaries leave gaps *around* an
        enclave; a hole of the zone contains its enclave either way).

    Returns
    -------
    pandas.DataFrame
        One row per zone: ``zone`` then :data:`SHAPE_COLUMNS`.
        ``enclosed_by`` is the id of the zone around it, or ``""``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> from scipy import sparse
    >>> zones = gpd.GeoDataFrame({"zone": ["a"]}, geometry=[box(0, 0, 1000, 1000)],
    ...                          crs=2154)
    >>> f = shape_figures(zones, pd.Series(["a"]), sparse.csr_array((1, 1)))
    >>> round(float(f.loc[0, "polsby_popper"]), 4)  # a square: pi / 4
    0.7854
    """
    labels = pieces(w, zone_of_unit.to_numpy(object))
    per_zone = pd.DataFrame({"zone": zone_of_unit.to_numpy(object), "piece": labels})
    grouped = per_zone.groupby("zone", sort=False)["piece"]
    n_units = grouped.size()
    n_pieces = grouped.nunique()
    geoms = np.asarray(zones.geometry.array, dtype=object)
    ids = zones["zone"].to_numpy(object)
    outer = np.array([_outer(g, tolerance) for g in geoms], dtype=object)
    enclosed_by = np.full(len(ids), "", dtype=object)
    tree = shapely.STRtree(outer)
    points = shapely.point_on_surface(geoms)
    hits = tree.query(points, predicate="within")
    for inner, around in zip(*hits, strict=True):
        if inner == around:
            continue
        # the candidate must hold (nearly) all of the zone, not just one point
        covered = shapely.area(shapely.intersection(geoms[inner], outer[around]))
        if covered >= 0.99 * shapely.area(geoms[inner]):
            enclosed_by[inner] = ids[around]
    area = shapely.area(geoms)
    length = shapely.length(geoms)
    with np.errstate(divide="ignore", invalid="ignore"):
        polsby = np.where(length > 0, 4 * np.pi * area / length**2, np.nan)
    frame = pd.DataFrame(
        {
            "zone": ids,
            "n_units": n_units.reindex(ids).fillna(0).astype(int).to_numpy(),
            "pieces": n_pieces.reindex(ids).fillna(0).astype(int).to_numpy(),
            "enclosed_by": enclosed_by,
            "n_enclaves": [int((enclosed_by == z).sum()) for z in ids],
            "area_km2": area / 1e6,
            "polsby_popper": polsby,
        }
    )
    return frame
