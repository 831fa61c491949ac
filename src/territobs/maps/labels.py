"""Place names on maps: anchors inside the polygons, and decluttering.

A map a partner can read without hovering names its zones. Two steps, shared
by the interactive and the print maps:

1. :func:`label_anchors` picks one point per feature, inside it (the pole of
   inaccessibility of its largest part, :func:`shapely.polylabel`, so a
   crescent-shaped commune is not labelled outside itself), and a size (the
   square root of its area) that ranks the features: larger zones are named
   first.
2. The renderer lays the names out by rank and drops any that would overlap
   one already placed or that would not fit its feature (the density rule):
   the interactive map does it in the browser at each zoom (``map.js``), the
   print map here (:func:`place_labels`), with the renderer's own text
   extents.

Dropping a name rather than moving it is what QGIS and mapsf do by default
for polygon labels: a name pushed outside its zone, with a leader line, reads
worse on a choropleth than no name. This is why the ``adjustText`` package
(which moves labels and draws arrows) is not used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import polylabel

__all__ = ["LabelAnchors", "label_anchors", "place_labels"]

#: Above this many features, anchors are shapely's cheaper point on surface.
_POLYLABEL_MAX = 5000


@dataclass(frozen=True)
class LabelAnchors:
    """One anchor per feature, in the CRS of the layer given.

    Attributes
    ----------
    x, y : numpy.ndarray
        Anchor coordinates (NaN for a feature without geometry).
    size : numpy.ndarray
        Square root of the feature's area, in metres when the layer is
        projected (0 for a feature without geometry).
    order : numpy.ndarray
        Feature indices, largest first: the order in which names are placed.
    """

    x: np.ndarray
    y: np.ndarray
    size: np.ndarray
    order: np.ndarray


def _largest_parts(geoms: np.ndarray) -> np.ndarray:
    """Each feature's part of largest area (a polygon is its own part).

    Only multi-part features are split: ``get_parts`` copies every part, and
    on full-resolution boundaries that copy was the map's memory peak.
    """
    out = np.full(len(geoms), None, dtype=object)
    single = shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON
    out[single] = geoms[single]
    multi = np.flatnonzero(~single)
    parts, index = shapely.get_parts(geoms[multi], return_index=True)
    if not len(parts):
        return out
    areas = shapely.area(parts)
    # for each feature, the part of largest area
    order = np.lexsort((-areas, index))
    first = np.ones(len(order), dtype=bool)
    first[1:] = index[order][1:] != index[order][:-1]
    out[multi[index[order][first]]] = parts[order][first]
    return out


def label_anchors(geoms: gpd.GeoSeries) -> LabelAnchors:
    """Return a label anchor inside each polygon, and the placing order.

    Parameters
    ----------
    geoms : geopandas.GeoSeries
        Polygons or multipolygons. A geographic CRS is projected to a local
        metric CRS to measure sizes (anchors are returned in ``geoms``' CRS).

    Returns
    -------
    LabelAnchors

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> a = label_anchors(gpd.GeoSeries([box(0, 0, 1, 1), box(1, 0, 4, 3)]))
    >>> a.order.tolist(), round(float(a.x[0]), 6), round(float(a.y[0]), 6)
    ([1, 0], 0.5, 0.5)
    """
    metric = geoms
    if geoms.crs is not None and not geoms.crs.is_projected:
        metric = geoms.to_crs(geoms.estimate_utm_crs())
    size = np.sqrt(np.nan_to_num(shapely.area(metric.to_numpy()), nan=0.0))
    values = geoms.to_numpy()
    x = np.full(len(values), np.nan)
    y = np.full(len(values), np.nan)
    valid = ~(shapely.is_missing(values) | shapely.is_empty(values))
    if valid.any():
        largest = _largest_parts(values[valid])
        if valid.sum() <= _POLYLABEL_MAX:
            extent = np.sqrt(np.maximum(shapely.area(largest), 1e-18))
            points = [
                polylabel(part, tolerance=float(t) / 50)
                for part, t in zip(largest, extent, strict=True)
            ]
        else:
            points = list(shapely.point_on_surface(largest))
        coords = shapely.get_coordinates(np.asarray(points, dtype=object))
        x[valid], y[valid] = coords[:, 0], coords[:, 1]
    size[~valid] = 0.0
    order = np.argsort(-size, kind="stable")
    return LabelAnchors(x=x, y=y, size=size, order=order)


def _overlaps(box: np.ndarray, placed: list[np.ndarray]) -> bool:
    return any(
        box[0] < other[2]
        and other[0] < box[2]
        and box[1] < other[3]
        and other[1] < box[3]
        for other in placed
    )


def place_labels(
    ax: object,
    frame: gpd.GeoDataFrame,
    names: Sequence[str],
    *,
    fontsize: float = 6.5,
    color: str = "#1a1a1a",
    fit: float = 0.6,
    gap: float = 2.0,
    max_labels: int | None = None,
    weight: str = "normal",
    style: Literal["normal", "italic", "oblique"] = "normal",
    avoid: Sequence[object] = (),
) -> list[object]:
    """Write names on a matplotlib map, dropping those that collide.

    Names are placed largest feature first. A name is dropped when it would
    overlap a name already placed (with ``gap`` points between them), when
    it would pass the edge of the axes, or when it is wider than ``1 / fit``
    times its feature's size on the page (the density rule: a commune too
    small at this scale is not named).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The map, already laid out (its final position and limits set).
    frame : geopandas.GeoDataFrame
        The features drawn on ``ax``, in its coordinates.
    names : sequence of str
        One name per row of ``frame`` (empty: not labelled).
    fontsize : float, default 6.5
    color : str, default "#1a1a1a"
    fit : float, default 0.6
        Smallest feature size on the page, as a share of the name's width.
    gap : float, default 2
        Points kept free around each name.
    max_labels : int, optional
        Stop after this many names.
    weight, style : str
        Font weight and style (``"bold"``, ``"italic"``).
    avoid : sequence of matplotlib.text.Text
        Names already written (another layer's), kept clear of.

    Returns
    -------
    list of matplotlib.text.Text
        The names kept (the others are removed from the axes).
    """
    import matplotlib as mpl
    from matplotlib import patheffects
    from matplotlib.font_manager import FontProperties

    fig = ax.figure  # type: ignore[attr-defined]
    renderer = fig.canvas.get_renderer()
    anchors = label_anchors(frame.geometry)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()  # type: ignore[attr-defined]
    axes_box = ax.get_window_extent(renderer)  # type: ignore[attr-defined]
    pixels_per_unit = axes_box.width / max(x1 - x0, 1e-12)
    pad = gap * fig.dpi / 72
    placed: list[np.ndarray] = []
    for other in avoid:
        e = other.get_window_extent(renderer)  # type: ignore[attr-defined]
        placed.append(np.array([e.x0 - pad, e.y0 - pad, e.x1 + pad, e.y1 + pad]))
    kept = []
    # the halo is a copy drawn as a white outline only, under the name: the
    # name itself stays text (searchable in a PDF), not a path
    halo = [patheffects.Stroke(linewidth=2.2, foreground="white")]
    look: dict[str, Any] = {
        "fontsize": fontsize,
        "fontweight": weight,
        "fontstyle": style,
        "ha": "center",
        "va": "center",
    }
    font = FontProperties(
        family=mpl.rcParams["font.family"], size=fontsize, weight=weight, style=style
    )
    scale = fig.dpi / 72  # points to pixels
    centres = ax.transData.transform(  # type: ignore[attr-defined]
        np.column_stack((np.nan_to_num(anchors.x), np.nan_to_num(anchors.y)))
    )
    for i in anchors.order:
        name = str(names[i]).strip()
        if not name or np.isnan(anchors.x[i]):
            continue
        if not (x0 <= anchors.x[i] <= x1 and y0 <= anchors.y[i] <= y1):
            continue
        size_on_page = anchors.size[i] * pixels_per_unit
        if size_on_page < fit * 2 * fontsize * scale:
            break  # sorted by size: no shorter name fits in the rest
        # measure the name without making an artist (thousands of candidates)
        width, height, _ = renderer.get_text_width_height_descent(
            name, font, ismath=False
        )
        if size_on_page < fit * width:
            continue  # the density rule
        cx, cy = centres[i]
        extent = (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)
        box = np.array(
            [extent[0] - pad, extent[1] - pad, extent[2] + pad, extent[3] + pad]
        )
        inside = (
            extent[0] >= axes_box.x0
            and extent[2] <= axes_box.x1
            and extent[1] >= axes_box.y0
            and extent[3] <= axes_box.y1
        )
        if not inside or _overlaps(box, placed):
            continue
        where = (anchors.x[i], anchors.y[i], name)
        text = ax.text(*where, color=color, zorder=20, **look)  # type: ignore[attr-defined]
        placed.append(box)
        kept.append(text)
        under = ax.text(*where, zorder=19, path_effects=halo, **look)  # type: ignore[attr-defined]
        under.set_gid("territobs-halo")
        if max_labels is not None and len(kept) >= max_labels:
            break
    return kept


def label_texts(frame: pd.DataFrame, name_column: str | None) -> list[str]:
    """Return the name to write on each feature ("" where there is none).

    Parameters
    ----------
    frame : pandas.DataFrame
        The drawn features.
    name_column : str or None
        Column of names; ``zone_name`` is tried after it.

    Returns
    -------
    list of str
        One text per row, empty for a missing name or a frame without names.
    """
    column = next(
        (c for c in (name_column, "zone_name") if c and c in frame.columns), None
    )
    if column is None:
        return [""] * len(frame)
    return ["" if v is None or v != v else str(v) for v in frame[column]]
