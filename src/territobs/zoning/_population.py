r"""Population located at a finer grain, summed inside arbitrary polygons.

One job: ``population_in(polygons, fine)`` returns the population of each
polygon from a finer grid, which is either

* polygons (INSEE Filosofi 200 m squares or any small areas): each square's
  population is split by the area share of the square that falls in the
  polygon, :math:`P(A) = \sum_s p_s \, |s \cap A| / |s|`;
* points (square centroids, addresses): :math:`P(A) = \sum_{s \in A} p_s`;
* a raster read with rasterio: its non-zero cells become squares and are
  treated as above, which gives exact coverage fractions (the same quantity
  ``exactextract``'s ``sum`` computes) without supersampling.
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
from territobs.zoning._overlay import is_rectangle

__all__ = ["FinePopulation", "as_fine_population", "population_in"]


@dataclass(frozen=True)
class FinePopulation:
    """Population at a fine grain: geometries and their counts."""

    geoms: np.ndarray
    values: np.ndarray
    points: bool
    source: str


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
            f"{where(column=column)}{len(bad)} carreau(x) sans population valide "
            f"(positions {', '.join(map(str, bad[:5]))}) : une population doit être "
            "un nombre positif ou nul.",
            column=column,
            rows=bad.tolist(),
        )
    geoms = np.asarray(frame.geometry.array, dtype=object)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        raise GeometryError(
            f"{int(empty.sum())} carreau(x) de population sans géométrie.",
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


def _from_raster(
    path: str | os.PathLike[str], units_crs: Any, bounds: Any
) -> FinePopulation:
    import rasterio
    from rasterio.windows import Window

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
        data = src.read(1, window=window, masked=True).astype(float)
        win_transform = src.window_transform(window)
    values = np.ma.filled(data, 0.0)
    values[~np.isfinite(values)] = 0.0
    rows, cols = np.nonzero(values > 0)
    x0, y0 = win_transform @ (cols, rows)
    x1, y1 = win_transform @ (cols + 1, rows + 1)
    geoms = shapely.box(
        np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1), np.maximum(y0, y1)
    )
    return FinePopulation(
        np.asarray(geoms, dtype=object), values[rows, cols], False, "raster"
    )


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
