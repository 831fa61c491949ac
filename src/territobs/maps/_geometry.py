"""Compact geometry for interactive maps: simplify, quantise, encode.

Three steps turn a polygon layer into a few characters per vertex:

1. **Coverage simplification** per shared arc (:mod:`territobs.maps._arcs`):
   the layer is simplified as a whole, in a metric CRS, so that a border
   shared by two communes is simplified once and stays shared (no gap, no
   sliver), in time linear in the vertices (GEOS's ``coverage_simplify``,
   ``method="coverage"``, keeps the same topology but grows faster than the
   vertices: minutes on full-resolution national layers). The tolerance
   follows the map's scale (its extent).
2. **Quantisation** to a grid of ``quantum`` degrees in EPSG:4326 (what
   Leaflet draws). A shared vertex lands on the same grid point on both sides,
   so shared borders stay shared. Consecutive duplicates and the closing
   vertex are dropped.
3. **Encoding**: all coordinates form one chain of integer deltas, written with
   the zig-zag + 5-bit "polyline" encoding (Google's encoded polyline
   alphabet, ASCII 63-126: no quote, ``<`` or ``&`` can appear). The nesting
   (features → polygons → rings → vertex counts) is a flat integer list.

No feature is dropped: a feature whose every polygon collapses on the grid
falls back to its unsimplified geometry (``PackedGeometry.refined`` lists
them); holes and islets smaller than one grid cell are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.errors import GEOSException

from territobs.errors import CRSError, GeometryError, format_codes
from territobs.formatting import count_of
from territobs.maps._arcs import simplify_arcs, simplify_arcs_ragged

__all__ = ["PackedGeometry", "default_tolerance", "pack_geometry", "simplify_coverage"]

#: Map extent (diagonal) divided by this gives the default tolerance: about a
#: tenth of a pixel when the whole extent fills a full-HD screen.
SCALE_DIVISOR = 5000
#: Metres per degree of latitude.
_M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class PackedGeometry:
    """A polygon layer encoded for the map's JavaScript decoder.

    Attributes
    ----------
    coords : str
        Zig-zag polyline encoding of the chain of coordinate deltas
        (``x`` then ``y``, in grid units).
    structure : list of int
        For each feature: number of polygons; for each polygon: number of
        rings; for each ring: number of vertices.
    quantum : float
        Grid step in degrees.
    origin : tuple of int
        Grid coordinates the delta chain starts from.
    bounds : tuple of float
        ``(west, south, east, north)`` in degrees.
    refined : tuple of int
        Positions of features drawn with their unsimplified geometry because
        the simplified one collapsed.
    n_vertices : int
        Vertices written.
    """

    coords: str
    structure: list[int]
    quantum: float
    origin: tuple[int, int]
    bounds: tuple[float, float, float, float]
    refined: tuple[int, ...]
    n_vertices: int


def _check_polygons(geoms: gpd.GeoSeries, labels: list[str] | None) -> None:
    if geoms.crs is None:
        raise CRSError(
            "la couche à cartographier n'a pas de système de coordonnées (CRS) : "
            "définissez-le avec set_crs(...)."
        )
    bad = (
        geoms.isna()
        | geoms.is_empty
        | ~geoms.geom_type.isin(["Polygon", "MultiPolygon"])
    )
    if bad.any():
        where_bad = np.flatnonzero(bad.to_numpy())
        names = [labels[i] if labels else str(geoms.index[i]) for i in where_bad]
        raise GeometryError(
            f"{count_of(len(names), 'entité')} sans géométrie polygonale : "
            f"{format_codes(names)}. "
            "Une carte choroplèthe dessine des polygones ; retirez ou corrigez-les.",
            codes=names,
        )


def _metric(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    if geoms.crs.is_projected:
        return geoms
    return geoms.to_crs(geoms.estimate_utm_crs())


def default_tolerance(geoms: gpd.GeoSeries) -> float:
    """Simplification tolerance (CRS units) fitted to the map's scale.

    Parameters
    ----------
    geoms : geopandas.GeoSeries
        Polygons in a metric CRS.

    Returns
    -------
    float

    Notes
    -----
    ``tolerance = diagonal / 5000`` where the diagonal is that of the box
    holding the 1st-99th percentiles of the centroids (so that far-away
    overseas territories do not coarsen a national map), or of the whole
    layer when that box is degenerate. A commune map of France gets about
    280 m, one département about 25 m.
    """
    pts = shapely.centroid(geoms.to_numpy())
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    x0, x1 = np.nanpercentile(x, [1, 99])
    y0, y1 = np.nanpercentile(y, [1, 99])
    diag = math.hypot(x1 - x0, y1 - y0)
    if diag == 0:
        bx0, by0, bx1, by1 = geoms.total_bounds
        diag = math.hypot(bx1 - bx0, by1 - by0)
    return diag / SCALE_DIVISOR


SimplifyMethod = Literal["arcs", "coverage"]


def simplify_coverage(
    geoms: gpd.GeoSeries, tolerance: float, *, method: SimplifyMethod = "arcs"
) -> gpd.GeoSeries:
    """Simplify a polygon coverage keeping shared edges shared.

    Parameters
    ----------
    geoms : geopandas.GeoSeries
        Non-overlapping polygons (a coverage), metric CRS.
    tolerance : float
        In CRS units. ``"arcs"``: Douglas-Peucker distance (no dropped
        vertex is farther than this from the simplified border);
        ``"coverage"``: Visvalingam-Whyatt tolerance (square root of the
        area threshold). ``0`` returns the input.
    method : {"arcs", "coverage"}
        ``"arcs"`` (default): each shared arc simplified once
        (:func:`territobs.maps._arcs.simplify_arcs`), linear in vertices;
        ``"coverage"``: ``shapely.coverage_simplify``.

    Returns
    -------
    geopandas.GeoSeries
        Same index and CRS.

    Notes
    -----
    Where the layer is not an exact coverage (real commune layers have a few
    mismatched edges), those edges are simplified on each side
    independently. With ``"coverage"``, if GEOS refuses the layer
    altogether, each polygon is simplified alone with
    ``preserve_topology=True``.
    """
    if method not in ("arcs", "coverage"):
        raise ValueError(f"method was {method!r}; expected 'arcs' or 'coverage'")
    if tolerance <= 0:
        return geoms
    values = geoms.to_numpy()
    if method == "arcs":
        out = simplify_arcs(values, tolerance)
    else:
        try:
            out = shapely.coverage_simplify(values, tolerance)
        except GEOSException:
            out = shapely.simplify(values, tolerance, preserve_topology=True)
    return gpd.GeoSeries(out, index=geoms.index, crs=geoms.crs)


def _default_quantum(tolerance_m: float) -> float:
    step = max(tolerance_m / 4.0, 0.05) / _M_PER_DEG
    return 10.0 ** math.floor(math.log10(step))


@dataclass(frozen=True)
class _Grid:
    """Quantised rings of a layer, flattened (collapsed ones left out)."""

    coords: np.ndarray  # (n, 2) int64 grid coordinates, ring after ring
    ring_len: np.ndarray  # vertices per ring
    ring_part: np.ndarray  # part (polygon) of each ring
    part_feature: np.ndarray  # feature of each part, parts sorted by feature


def _quantise(geoms: np.ndarray, quantum: float) -> _Grid:
    """Quantise every ring; drop collapsed rings and polygons (vectorised)."""
    parts, part_feature = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, vertex_ring = shapely.get_coordinates(rings, return_index=True)
    return _quantise_flat(xy, vertex_ring, ring_part, part_feature, quantum)


def _quantise_ragged(
    xy: np.ndarray,
    offsets: tuple[np.ndarray, np.ndarray, np.ndarray],
    quantum: float,
) -> _Grid:
    """:func:`_quantise` of multipolygons given as coordinates and offsets."""
    ring_off, poly_off, geom_off = offsets
    return _quantise_flat(
        xy,
        np.repeat(np.arange(len(ring_off) - 1), np.diff(ring_off)),
        np.repeat(np.arange(len(poly_off) - 1), np.diff(poly_off)),
        np.repeat(np.arange(len(geom_off) - 1), np.diff(geom_off)),
        quantum,
    )


def _quantise_flat(
    xy: np.ndarray,
    vertex_ring: np.ndarray,
    ring_part: np.ndarray,
    part_feature: np.ndarray,
    quantum: float,
) -> _Grid:
    """Quantise rings given flat (rings closed, parts grouped by feature).

    ``vertex_ring``, ``ring_part`` and ``part_feature`` give each vertex's
    ring, each ring's part and each part's feature.
    """
    q = np.rint(xy / quantum).astype(np.int64)
    # drop consecutive duplicates and the closing vertex of every ring
    first = np.ones(len(q), dtype=bool)
    first[1:] = vertex_ring[1:] != vertex_ring[:-1]
    last = np.ones(len(q), dtype=bool)
    last[:-1] = vertex_ring[1:] != vertex_ring[:-1]
    same = np.zeros(len(q), dtype=bool)
    same[1:] = np.all(q[1:] == q[:-1], axis=1) & ~first[1:]
    keep = ~same & ~last
    q, vertex_ring = q[keep], vertex_ring[keep]
    n_rings = len(ring_part)
    ring_len = np.bincount(vertex_ring, minlength=n_rings)
    # twice the signed area of each ring (shoelace)
    nxt = np.arange(len(q)) + 1
    starts = np.concatenate([[0], np.cumsum(ring_len)[:-1]])
    ends = starts + ring_len
    nxt[ends[ring_len > 0] - 1] = starts[ring_len > 0]
    cross = q[:, 0] * q[nxt, 1] - q[nxt, 0] * q[:, 1]
    area2 = np.bincount(vertex_ring, weights=cross.astype(float), minlength=n_rings)
    ok_ring = (ring_len >= 3) & (area2 != 0)
    is_exterior = np.ones(n_rings, dtype=bool)
    is_exterior[1:] = ring_part[1:] != ring_part[:-1]
    ok_part = np.zeros(len(part_feature), dtype=bool)
    ok_part[ring_part[is_exterior]] = ok_ring[is_exterior]
    ok_ring &= ok_part[ring_part]
    keep_vertex = ok_ring[vertex_ring]
    return _Grid(
        coords=q[keep_vertex],
        ring_len=ring_len[ok_ring],
        ring_part=ring_part[ok_ring],
        part_feature=part_feature,
    )


def _bounds(xy: np.ndarray) -> np.ndarray:
    """``(west, south, east, north)`` of coordinates, NaN rows ignored."""
    if len(xy) == 0 or np.isnan(xy).all():
        return np.full(4, np.nan)
    return np.concatenate([np.nanmin(xy, axis=0), np.nanmax(xy, axis=0)])


def _encode(values: np.ndarray) -> str:
    """Zig-zag + 5-bit polyline encoding of signed integers.

    Written one 5-bit digit position at a time straight into the output
    bytes: no (values × digits) table is held (on a national map that table
    was the map's memory peak).
    """
    v = values.astype(np.int64)
    z = np.where(v < 0, (-v << 1) - 1, v << 1).astype(np.uint64)
    del v
    nbits = np.zeros(len(z), dtype=np.int64)
    nz = z > 0
    nbits[nz] = np.floor(np.log2(z[nz].astype(np.float64))).astype(np.int64) + 1
    del nz
    nchunks = np.maximum(1, -(-nbits // 5))
    del nbits
    width = int(nchunks.max()) if len(z) else 1
    start = np.zeros(len(z), dtype=np.int64)
    np.cumsum(nchunks[:-1], out=start[1:])
    out = np.empty(int(nchunks.sum()), dtype=np.uint8)
    for j in range(width):
        at = np.flatnonzero(nchunks > j)
        digit = (z[at] >> np.uint64(5 * j)) & np.uint64(31)
        more = nchunks[at] - 1 > j
        out[start[at] + j] = (digit + np.uint64(63) + np.uint64(32) * more).astype(
            np.uint8
        )
    return out.tobytes().decode("ascii")


def _merge(grid: _Grid, extra: _Grid, features: np.ndarray, n: int) -> _Grid:
    """Add the rings of ``extra`` (features renumbered) in feature order."""
    part_feature = np.concatenate([grid.part_feature, features[extra.part_feature]])
    ring_part = np.concatenate(
        [grid.ring_part, extra.ring_part + len(grid.part_feature)]
    )
    starts = np.concatenate([[0], np.cumsum(grid.ring_len)])
    extra_starts = np.concatenate([[0], np.cumsum(extra.ring_len)])
    ring_len = np.concatenate([grid.ring_len, extra.ring_len])
    # order rings by feature, then by original position
    order = np.argsort(part_feature[ring_part], kind="stable")
    pieces = []
    for r in order:
        if r < len(grid.ring_len):
            pieces.append(grid.coords[starts[r] : starts[r + 1]])
        else:
            e = r - len(grid.ring_len)
            pieces.append(extra.coords[extra_starts[e] : extra_starts[e + 1]])
    new_part, old_part = pd.factorize(ring_part[order])
    return _Grid(
        coords=np.concatenate(pieces),
        ring_len=ring_len[order],
        ring_part=new_part,
        part_feature=part_feature[old_part],
    )


def _structure(grid: _Grid, n_features: int) -> list[int]:
    """Flat nesting list: per feature n_parts, per part n_rings, ring lengths."""
    parts, rings_per_part = np.unique(grid.ring_part, return_counts=True)
    feature_of_part = grid.part_feature[parts]
    structure: list[int] = []
    ring = 0
    p = 0
    for f in range(n_features):
        start = p
        while p < len(parts) and feature_of_part[p] == f:
            p += 1
        structure.append(p - start)
        for j in range(start, p):
            n = int(rings_per_part[j])
            structure.append(n)
            structure.extend(int(x) for x in grid.ring_len[ring : ring + n])
            ring += n
    return structure


def pack_geometry(
    geoms: gpd.GeoSeries,
    *,
    tolerance: float | None = None,
    quantum: float | None = None,
    labels: list[str] | None = None,
    method: SimplifyMethod = "arcs",
) -> PackedGeometry:
    """Simplify, quantise and encode a polygon layer for the browser.

    Parameters
    ----------
    geoms : geopandas.GeoSeries
        Polygons or multipolygons, any CRS (it must be set).
    tolerance : float, optional
        Simplification tolerance in metres; default from the extent
        (:func:`default_tolerance`); ``0`` keeps every vertex.
    quantum : float, optional
        Grid step in degrees; default a power of ten near a quarter of the
        tolerance (``1e-4`` ≈ 10 m for France's communes).
    labels : list of str, optional
        Feature names, used in error messages.
    method : {"arcs", "coverage"}
        Coverage simplification (:func:`simplify_coverage`).

    Returns
    -------
    PackedGeometry

    Raises
    ------
    CRSError
        If the layer has no CRS.
    GeometryError
        If a feature has no polygon (missing, empty, point or line), naming it.
    """
    _check_polygons(geoms, labels)
    metric = _metric(geoms)
    if tolerance is None:
        tolerance = default_tolerance(metric)
    quantum = quantum or _default_quantum(tolerance)
    if method == "arcs" and tolerance > 0:
        # coordinates only: reprojected once, no geometry rebuilt
        xy, offsets = simplify_arcs_ragged(metric.to_numpy(), tolerance)
        to_wgs84 = Transformer.from_crs(metric.crs, 4326, always_xy=True)
        xy = np.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1]))
        grid = _quantise_ragged(xy, offsets, quantum)
        bounds = _bounds(xy)
    else:
        simple = simplify_coverage(metric, tolerance, method=method)
        simple_wgs84 = simple.to_crs(4326).to_numpy()
        grid = _quantise(simple_wgs84, quantum)
        bounds = shapely.total_bounds(simple_wgs84)
    n_features = len(geoms)
    drawn = np.zeros(n_features, dtype=bool)
    drawn[grid.part_feature[np.unique(grid.ring_part)]] = True
    refined = np.flatnonzero(~drawn)
    if refined.size:
        original = geoms.iloc[refined].to_crs(4326).to_numpy()
        bounds = _bounds(
            np.array([bounds[:2], bounds[2:], *shapely.get_coordinates(original)])
        )
        fallback = _quantise(original, quantum)
        again = np.zeros(len(refined), dtype=bool)
        again[fallback.part_feature[np.unique(fallback.ring_part)]] = True
        if not again.all():
            lost = [labels[i] if labels else geoms.index[i] for i in refined[~again]]
            raise GeometryError(
                f"{count_of(len(lost), 'entité plus petite', 'entités plus petites')} "
                "que la grille de la carte "
                f"({quantum:g}°) : {format_codes(lost)}. Passez un pas plus fin "
                "(quantum=...).",
                codes=lost,
            )
        grid = _merge(grid, fallback, refined, n_features)
    structure = _structure(grid, n_features)
    origin = (int(grid.coords[0, 0]), int(grid.coords[0, 1]))
    deltas = np.diff(grid.coords, axis=0, prepend=np.array([origin])).ravel()
    # bounds of what is drawn (the simplified layer lies within the
    # tolerance of the original one)
    west, south, east, north = (float(b) for b in bounds)
    return PackedGeometry(
        coords=_encode(deltas),
        structure=structure,
        quantum=quantum,
        origin=origin,
        bounds=(west, south, east, north),
        refined=tuple(int(i) for i in refined),
        n_vertices=len(grid.coords),
    )
