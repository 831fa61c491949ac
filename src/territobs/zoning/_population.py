r"""Population located at a finer grain, summed inside arbitrary polygons.

One job: ``population_in(polygons, fine)`` returns the population of each
polygon from a finer grid, which is either

* polygons (INSEE Filosofi 200 m squares or any small areas): each square's
  population is split by the area share of the square that falls in the
  polygon, :math:`P(A) = \sum_s p_s \, |s \cap A| / |s|`;
* points (square centroids, addresses): :math:`P(A) = \sum_{s \in A} p_s`;
* a raster read with rasterio: the same formula over its cells, i.e. exact
  coverage fractions (the quantity ``exactextract``'s ``sum`` computes)
  without supersampling. No geometry is made per cell: every ring edge is
  split at the grid lines, and Green's theorem turns each piece of edge into
  the covered part of its own cell plus the whole cells above it, read from a
  column-wise cumulative sum of the grid. Cost grows with the polygons'
  vertices and grid-line crossings, not with the cells they cover.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from territobs.errors import CRSError, GeometryError, SourceFormatError, where
from territobs.formatting import count_of
from territobs.zoning._overlay import is_rectangle

__all__ = ["FinePopulation", "as_fine_population", "population_in"]


@dataclass(frozen=True)
class FinePopulation:
    """Population at a fine grain: geometries and their counts, or a grid.

    A raster has empty ``geoms``/``values`` and its cells in ``grid`` (zero
    where no population), with the affine ``transform`` of the grid.
    """

    geoms: np.ndarray
    values: np.ndarray
    points: bool
    source: str
    grid: np.ndarray | None = None
    transform: Any = None


def _check_same_crs(crs: Any, units_crs: Any, what: str) -> None:
    if crs is None:
        raise CRSError(
            f"{what} : aucun système de coordonnées (CRS) ; définissez-le avec "
            "set_crs(...) avant de calculer des poids de population.",
            found=None,
            expected=str(units_crs),
        )
    if CRS.from_user_input(crs) != CRS.from_user_input(units_crs):
        raise CRSError(
            f"{what} est en {CRS.from_user_input(crs).to_string()} mais les unités "
            f"en {CRS.from_user_input(units_crs).to_string()} : reprojetez-la avec "
            "to_crs(2154) (ou le CRS des unités).",
            found=str(crs),
            expected=str(units_crs),
        )


def _from_frame(frame: Any, column: str, units_crs: Any) -> FinePopulation:
    what = "la population fine (carreaux)"
    _check_same_crs(frame.crs, units_crs, what)
    if column not in frame.columns:
        raise SourceFormatError(
            f"{where(column=column)}colonne de population absente des carreaux ; "
            f"colonnes disponibles : {', '.join(map(str, frame.columns))}.",
            column=column,
        )
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if len(bad):
        raise SourceFormatError(
            f"{where(column=column)}{count_of(len(bad), 'carreau', 'carreaux')} "
            f"sans population valide ({'position' if len(bad) == 1 else 'positions'} "
            f"{', '.join(map(str, bad[:5]))}) : une population doit être "
            "un nombre positif ou nul.",
            column=column,
            rows=bad.tolist(),
        )
    geoms = np.asarray(frame.geometry.array, dtype=object)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        raise GeometryError(
            f"{count_of(int(empty.sum()), 'carreau', 'carreaux')} de population "
            "sans géométrie.",
            rows=np.flatnonzero(empty).tolist(),
        )
    types = set(shapely.get_type_id(geoms).tolist())
    point_types = {int(shapely.GeometryType.POINT)}
    polygon_types = {
        int(shapely.GeometryType.POLYGON),
        int(shapely.GeometryType.MULTIPOLYGON),
    }
    if types <= point_types:
        points = True
    elif types <= polygon_types:
        points = False
    else:
        raise GeometryError(
            "la population fine doit être faite de points ou de polygones "
            "(carreaux), pas d'un mélange ni de lignes.",
        )
    keep = values > 0
    return FinePopulation(geoms[keep], values[keep], points, "carreaux")


# Raster read in bands of whole rows of blocks, about this many MB each.
# GDAL's block cache is capped meanwhile at two bands (its default, 5 % of the
# RAM, would keep a decompressed copy of the whole window besides the array;
# two bands let the mask reuse the band's blocks), and the mask and clean-up
# temporaries stay band-sized.
_READ_BAND_MB = 8


def _from_raster(
    path: str | os.PathLike[str], units_crs: Any, bounds: Any
) -> FinePopulation:
    try:
        import rasterio
        from rasterio.windows import Window
    except ImportError as exc:  # an optional dependency since 0.1 (extra "raster")
        raise ImportError(
            "les poids tirés d'un raster de population demandent rasterio : "
            'installez-le avec « pip install "territobs[raster]" ».'
        ) from exc

    with rasterio.open(path) as src:
        _check_same_crs(src.crs, units_crs, f"le raster « {os.fspath(path)} »")
        transform = src.transform
        if transform.b != 0 or transform.d != 0:
            raise SourceFormatError(
                f"{where(path)}raster tourné (transformation non alignée sur les "
                "axes) : rééchantillonnez-le vers une grille nord-sud.",
                path=path,
            )
        inverse = ~transform
        cols, rows = inverse @ (
            np.array([bounds[0], bounds[2], bounds[0], bounds[2]]),
            np.array([bounds[1], bounds[1], bounds[3], bounds[3]]),
        )
        col0 = int(np.clip(np.floor(cols.min()), 0, src.width))
        col1 = int(np.clip(np.ceil(cols.max()), 0, src.width))
        row0 = int(np.clip(np.floor(rows.min()), 0, src.height))
        row1 = int(np.clip(np.ceil(rows.max()), 0, src.height))
        window = Window(col0, row0, col1 - col0, row1 - row0)
        win_transform = src.window_transform(window)
        dtype = np.promote_types(src.dtypes[0], np.float32)
        grid = np.empty((row1 - row0, col1 - col0), dtype=dtype)
        block_rows = src.block_shapes[0][0] if src.block_shapes else 1
        row_bytes = max(grid.shape[1] * grid.itemsize, 1)
        band = max(_READ_BAND_MB * 2**20 // row_bytes, 1)
        band = max(band // block_rows, 1) * block_rows
        cache_mb = max(16, -(-2 * band * row_bytes // 2**20) + 1)
        tops = [row0, *range((row0 // band + 1) * band, row1, band)]
        if grid.size:
            with rasterio.Env(GDAL_CACHEMAX=cache_mb):
                _read_bands(src, grid, tops, row1, col0)
    none = np.empty(0, dtype=object)
    return FinePopulation(
        none, np.empty(0), False, "raster", grid=grid, transform=win_transform
    )


def _read_bands(
    src: Any, grid: np.ndarray, tops: list[int], bottom: int, col0: int
) -> None:
    """Fill ``grid`` (rows ``tops[0]`` to ``bottom``) band by band.

    Cells without population (nodata, mask band or alpha, NaN, negative)
    are set to 0.
    """
    from rasterio.windows import Window

    for top, stop in zip(tops, [*tops[1:], bottom], strict=True):
        part = Window(col0, top, grid.shape[1], stop - top)
        cells = grid[top - tops[0] : stop - tops[0]]
        cells[...] = src.read(1, window=part)
        cells[src.read_masks(1, window=part) == 0] = 0
        cells[~(cells > 0)] = 0


def as_fine_population(
    population: Any, column: str, units_crs: Any, bounds: Any
) -> FinePopulation:
    """Normalise the ``population=`` argument of the weights builder.

    Parameters
    ----------
    population : GeoDataFrame, str or os.PathLike
        Squares / points with a population column, or a raster path.
    column : str
        Population column of a GeoDataFrame.
    units_crs : pyproj.CRS
        The units' CRS; the fine population must share it.
    bounds : tuple
        Bounds of the area where population is needed (raster window).

    Returns
    -------
    FinePopulation
    """
    if isinstance(population, (str, os.PathLike)):
        return _from_raster(population, units_crs, bounds)
    if hasattr(population, "geometry") and hasattr(population, "crs"):
        return _from_frame(population, column, units_crs)
    raise TypeError(
        "population= attend un GeoDataFrame de carreaux ou de points avec une "
        f"colonne de population, ou le chemin d'un raster ; reçu {type(population).__name__}."
    )


def population_in(polygons: np.ndarray, fine: FinePopulation) -> np.ndarray:
    """Sum the fine-grained population inside each polygon.

    Parameters
    ----------
    polygons : numpy.ndarray of shapely geometries
        Polygons in the CRS of ``fine``.
    fine : FinePopulation

    Returns
    -------
    numpy.ndarray
        One float per polygon.
    """
    polygons = np.asarray(polygons, dtype=object)
    if fine.grid is not None:
        return _grid_population_in(polygons, fine.grid, fine.transform)
    total = np.zeros(len(polygons))
    if not len(polygons) or not len(fine.values):
        return total
    tree = shapely.STRtree(fine.geoms)
    if fine.points:
        shapely.prepare(polygons)
        poly, cell = tree.query(polygons, predicate="intersects")
        np.add.at(total, poly, fine.values[cell])
        return total
    shapely.prepare(polygons)
    poly, cell = tree.query(polygons, predicate="intersects")
    if not len(poly):
        return total
    # Cells wholly inside the polygon count fully; only the others are clipped.
    inside = shapely.contains(polygons[poly], fine.geoms[cell])
    rect = is_rectangle(fine.geoms)
    share = np.ones(len(poly))
    cell_area = shapely.area(fine.geoms)
    general = ~rect[cell] & ~inside
    if general.any():
        inter = shapely.intersection(polygons[poly[general]], fine.geoms[cell[general]])
        share[general] = shapely.area(inter) / cell_area[cell[general]]
    on_rect = np.flatnonzero(rect[cell] & ~inside)
    if len(on_rect):
        bounds = shapely.bounds(fine.geoms)
        order = on_rect[np.argsort(cell[on_rect], kind="stable")]
        sorted_cell = cell[order]
        starts = np.flatnonzero(np.r_[True, sorted_cell[1:] != sorted_cell[:-1]])
        ends = np.r_[starts[1:], len(order)]
        for s, e in zip(starts, ends, strict=True):
            idx = order[s:e]
            c = cell[idx[0]]
            try:
                clipped = shapely.clip_by_rect(polygons[poly[idx]], *bounds[c])
            except shapely.errors.GEOSException:
                # GEOS's rectangle clipper rejects some valid pieces with
                # near-degenerate rings; the general overlay handles them.
                clipped = shapely.intersection(polygons[poly[idx]], fine.geoms[c])
            share[idx] = shapely.area(clipped) / cell_area[c]
    np.add.at(total, poly, fine.values[cell] * share)
    return total


# Ring vertices per chunk of polygons: bounds the temporary arrays (about 150
# bytes per piece of edge, a piece per vertex and per grid-line crossing).
_GRID_CHUNK = 10_000

# Rows between two stored rows of the column-wise cumulative sum. Only every
# ``_CUM_STEP``-th row of it is kept (float64, a 1 / (2 * _CUM_STEP) share of
# the float32 grid's memory); the rows in between are summed from the grid
# for each piece of edge that needs them (fewer than ``_CUM_STEP`` adds).
_CUM_STEP = 16


def _grid_population_in(
    polygons: np.ndarray, grid: np.ndarray, transform: Any
) -> np.ndarray:
    r"""Exact coverage-weighted sums of ``grid`` inside each polygon.

    In grid coordinates (:math:`u` columns, :math:`v` rows, unit cells), the
    part of a ring edge in cell :math:`(r, c)` contributes
    :math:`-\Delta u \, [S_{r,c} + (\bar v - r)\, g_{r,c}]`, where
    :math:`S_{r,c} = \sum_{r' < r} g_{r',c}` and :math:`\bar v` is the
    piece's mean row coordinate (Green's theorem with
    :math:`\mathrm{clamp}(v - r, 0, 1)`, column by column). Each ring's sign
    is set from its signed area (exteriors add, holes subtract), so ring
    orientation does not matter. Cells outside the grid count as zero.

    :math:`S` is stored only on the rows :math:`r = kK` (:math:`K` =
    ``_CUM_STEP``), in float64; :math:`S_{r,c} = S_{kK,c} + \sum_{kK \le r'
    < r} g_{r',c}` with :math:`k = \lfloor r / K \rfloor` is completed from
    the grid itself, so no float64 copy of the grid is ever made.
    """
    total = np.zeros(len(polygons))
    if not len(polygons) or not grid.size:
        return total
    height, width = grid.shape
    step = max(int(_CUM_STEP), 1)
    blocks = height // step
    cum = np.zeros((blocks + 1, width))
    if blocks:
        block_sums = grid[: blocks * step].reshape(blocks, step, width)
        np.sum(block_sums, axis=1, dtype=np.float64, out=cum[1:])
        np.cumsum(cum[1:], axis=0, out=cum[1:])
    inverse = ~transform
    ends = np.r_[0, np.cumsum(shapely.get_num_coordinates(polygons))]
    start = 0
    while start < len(polygons):
        stop = int(np.searchsorted(ends, ends[start] + _GRID_CHUNK, side="right")) - 1
        stop = max(stop, start + 1)
        total[start:stop] = _grid_chunk(polygons[start:stop], grid, cum, step, inverse)
        start = stop
    return total


def _cells_above(
    grid: np.ndarray, cum: np.ndarray, step: int, row: np.ndarray, col: np.ndarray
) -> np.ndarray:
    """Column-wise sums of the cells above ``row`` (0 above the grid)."""
    row = np.clip(row, 0, grid.shape[0])
    block, offset = np.divmod(row, step)
    above = cum[block, col]
    if step > 1:
        # Small ints: numpy sorts them stably by radix.
        small = np.int16 if step <= 2**15 else np.int64
        order = np.argsort((step - 1 - offset).astype(small), kind="stable")
        ordered = offset[order]
        descending = -ordered
        base = (block * step)[order]
        ordered_col = col[order]
        partial = np.zeros(len(row))
        for j in range(int(ordered[0]) if len(ordered) else 0):
            # Pieces needing row base + j come first (offset > j).
            n = int(np.searchsorted(descending, -j, side="left"))
            partial[:n] += grid[base[:n] + j, ordered_col[:n]]
        above[order] += partial
    return above


def _grid_chunk(
    polygons: np.ndarray,
    grid: np.ndarray,
    cum: np.ndarray,
    cum_step: int,
    inverse: Any,
) -> np.ndarray:
    height, width = grid.shape
    parts, part_poly = shapely.get_parts(polygons, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    if not len(rings):
        return np.zeros(len(polygons))
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]]
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    u = inverse.a * xy[:, 0] + inverse.b * xy[:, 1] + inverse.c
    v = inverse.d * xy[:, 0] + inverse.e * xy[:, 1] + inverse.f
    same = ring_of[:-1] == ring_of[1:]
    u1, v1, u2, v2 = u[:-1][same], v[:-1][same], u[1:][same], v[1:][same]
    edge_ring = ring_of[:-1][same]
    signed = np.bincount(
        edge_ring, weights=-(u2 - u1) * (v1 + v2) / 2, minlength=len(rings)
    )
    sign = np.sign(signed) * np.where(exterior, 1.0, -1.0)
    # Split every edge at the grid lines it crosses: parameters t in [0, 1].
    n_edges = len(u1)
    every = np.arange(n_edges)
    ts, ids = [np.zeros(n_edges), np.ones(n_edges)], [every, every]
    for a1, a2 in ((u1, u2), (v1, v2)):
        first = np.floor(np.minimum(a1, a2)) + 1
        last = np.ceil(np.maximum(a1, a2)) - 1
        count = np.maximum(last - first + 1, 0).astype(np.int64)
        edge = np.repeat(every, count)
        step = np.arange(len(edge)) - np.repeat(np.cumsum(count) - count, count)
        ts.append((first[edge] + step - a1[edge]) / (a2[edge] - a1[edge]))
        ids.append(edge)
    t, edge = np.concatenate(ts), np.concatenate(ids)
    order = np.lexsort((t, edge))
    t, edge = t[order], edge[order]
    piece = edge[:-1] == edge[1:]
    e, ta, tb = edge[:-1][piece], t[:-1][piece], t[1:][piece]
    du = (u2[e] - u1[e]) * (tb - ta)
    u_mid = u1[e] + (ta + tb) / 2 * (u2[e] - u1[e])
    v_mid = v1[e] + (ta + tb) / 2 * (v2[e] - v1[e])
    col = np.floor(u_mid).astype(np.int64)
    row = np.floor(v_mid).astype(np.int64)
    keep = (col >= 0) & (col < width) & (du != 0)
    e, du, v_mid, col, row = e[keep], du[keep], v_mid[keep], col[keep], row[keep]
    covered = np.zeros(len(e))
    on_grid = (row >= 0) & (row < height)
    covered[on_grid] = (v_mid[on_grid] - row[on_grid]) * grid[
        row[on_grid], col[on_grid]
    ]
    above = _cells_above(grid, cum, cum_step, row, col)
    value = -du * (above + covered) * sign[edge_ring[e]]
    ring_total = np.bincount(edge_ring[e], weights=value, minlength=len(rings))
    part_total = np.bincount(ring_part, weights=ring_total, minlength=len(parts))
    return np.bincount(part_poly, weights=part_total, minlength=len(polygons))
