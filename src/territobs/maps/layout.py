"""Print layouts: a map on an A4 or A3 page, as a cartographer would sign it.

:func:`print_map` lays one indicator out on a page of the exact paper size,
portrait or landscape, with what a QGIS print layout carries: title and
subtitle, the map with the zones' names, its legend, a scale bar, a north
arrow, a locator inset (the zones in their département), the block of
sources, vintages and method, and the date. :func:`save_print` writes it as
vector PDF (TrueType fonts embedded and subset, so the text can be searched
and copied) or SVG (glyphs as paths, so it looks the same everywhere), or PNG.

The scale bar is drawn here rather than with ``matplotlib-scalebar``: the
map is always in a projected CRS in metres, and the bar needs French labels
(« 2 km », « 500 m ») and a size rounded to 1, 2 or 5 × 10ⁿ, a dozen lines.
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle

from territobs.maps._describe import describe_column, with_defaults
from territobs.maps._france import covers_france, overseas_of
from territobs.maps._keywords import layer_and_caption
from territobs.maps.caption import layer_caption
from territobs.maps.labels import label_texts
from territobs.maps.layers import Caption, Layer, prepare_layer, single_zone
from territobs.maps.static import (
    PROJECT_COLOR,
    _draw,
    _legend_handles,
    _project,
    draw_names,
    show_in_notebooks,
    static_map,
)

__all__ = ["PAPERS", "print_map", "save_print"]

#: Paper sizes in millimetres (portrait: width, height).
PAPERS: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
Paper = Literal["A4", "A3"]
Orientation = Literal["portrait", "landscape"]
_MM = 1 / 25.4
#: Page margin (mm).
_MARGIN = 10.0
# matplotlib's stubs key rc_context by literal names: typed Any on purpose
_STYLE: Any = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "pdf.fonttype": 42,  # TrueType, embedded and subset: searchable text
    "svg.fonttype": "path",
    "svg.hashsalt": "territobs",
}


def page_size(paper: Paper, orientation: Orientation) -> tuple[float, float]:
    """Page width and height in inches.

    Examples
    --------
    >>> [round(v, 2) for v in page_size("A4", "landscape")]
    [11.69, 8.27]
    """
    if paper not in PAPERS:
        raise ValueError(
            f"format de papier « {paper} » inconnu ; formats possibles : "
            + ", ".join(PAPERS)
        )
    if orientation not in ("portrait", "landscape"):
        raise ValueError(
            f"orientation « {orientation} » inconnue : « portrait » ou « landscape »"
        )
    width, height = PAPERS[paper]
    if orientation == "landscape":
        width, height = height, width
    return width * _MM, height * _MM


def _nice_length(span: float) -> float:
    """Return a length of 1, 2 or 5 × 10ⁿ metres close to a fifth of ``span``.

    Examples
    --------
    >>> _nice_length(11_000), _nice_length(800)
    (2000.0, 100.0)
    """
    target = max(span / 5, 1e-9)
    power = 10 ** math.floor(math.log10(target))
    return float(max(m * power for m in (1, 2, 5) if m * power <= target))


def _distance_text(metres: float) -> str:
    from territobs.formatting import format_number

    if metres >= 1000:
        return f"{format_number(metres / 1000, 0 if metres % 1000 == 0 else 1)} km"
    return f"{format_number(metres, 0)} m"


def scale_bar(ax: Axes, *, fontsize: float = 7) -> list:
    """Draw a two-segment scale bar in the map's lower left corner.

    The axes must be in a projected CRS in metres (the caller projects).
    """
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    length = _nice_length(x1 - x0)
    left, bottom = x0 + 0.03 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    height = 0.008 * (y1 - y0)
    for n, color in enumerate(("#222222", "#ffffff")):
        ax.add_patch(
            Rectangle(
                (left + n * length / 2, bottom),
                length / 2,
                height,
                facecolor=color,
                edgecolor="#222222",
                linewidth=0.6,
                zorder=30,
            )
        )
    texts = []
    for x, text in ((left, "0"), (left + length, _distance_text(length))):
        texts.append(
            ax.text(
                x,
                bottom + 1.8 * height,
                text,
                ha="center",
                va="bottom",
                fontsize=fontsize,
                zorder=30,
                bbox={
                    "facecolor": "white",
                    "edgecolor": "none",
                    "alpha": 0.8,
                    "pad": 0.6,
                },
            )
        )
    return texts


def north_arrow(ax: Axes) -> object:
    """Draw a north arrow in the map's upper right corner (grid north)."""
    x, y = 0.96, 0.90
    ax.add_patch(
        Polygon(
            [(x - 0.012, y - 0.06), (x, y), (x + 0.012, y - 0.06), (x, y - 0.045)],
            closed=True,
            transform=ax.transAxes,
            facecolor="#222222",
            edgecolor="#222222",
            zorder=30,
        )
    )
    return ax.text(
        x,
        y + 0.008,
        "N",
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=9,
        fontweight="bold",
        zorder=30,
    )


def _locator(
    fig: Figure,
    box: tuple[float, float, float, float],
    zones: gpd.GeoDataFrame,
    context: gpd.GeoDataFrame,
    label: str | None,
) -> Axes:
    """Draw the zones (filled) in their département(s) (outlined), small."""
    ax = fig.add_axes(box)
    context = _project(context, zones.crs)
    context.plot(ax=ax, facecolor="#eeeeee", edgecolor="#777777", linewidth=0.5)
    zones.plot(ax=ax, facecolor=PROJECT_COLOR, edgecolor=PROJECT_COLOR, linewidth=0.6)
    ax.set_axis_off()
    ax.set_aspect("equal")
    if label:
        fig.text(
            box[0],
            box[1] + box[3] + 0.005,
            label,
            fontsize=7,
            color="#444444",
            ha="left",
            va="bottom",
        )
    return ax


def _situates(zones: gpd.GeoDataFrame, context: gpd.GeoDataFrame) -> bool:
    """Whether a locator inset tells something: the zones are not all of it.

    A map of every commune of a département would get an inset filled in
    orange: the inset is left out when the zones cover 90 % of it or more.
    """
    context = _project(context, zones.crs)
    total = float(context.geometry.area.sum())
    covered = float(zones.geometry.area.sum())
    return total <= 0 or covered / total < 0.9


def _fit_view(ax: Axes, bounds: np.ndarray, margin: float) -> None:
    """Show ``bounds`` (plus ``margin``) filling the axes' box at equal scale."""
    x0, y0, x1, y1 = bounds
    dx, dy = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    x0, x1 = x0 - margin * dx, x1 + margin * dx
    y0, y1 = y0 - margin * dy, y1 + margin * dy
    pos = ax.get_position()
    fig = ax.figure
    ratio = (pos.width * fig.bbox.width) / (pos.height * fig.bbox.height)
    if (x1 - x0) / (y1 - y0) < ratio:
        half = (y1 - y0) * ratio / 2
        cx = (x0 + x1) / 2
        x0, x1 = cx - half, cx + half
    else:
        half = (x1 - x0) / ratio / 2
        cy = (y0 + y1) / 2
        y0, y1 = cy - half, cy + half
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def print_map(
    gdf: gpd.GeoDataFrame,
    layer: str | Layer | None = None,
    *,
    caption: Caption | str | Sequence[str] | None = None,
    paper: Paper = "A4",
    orientation: Orientation = "landscape",
    subtitle: str | None = None,
    outlines: Sequence[tuple[gpd.GeoDataFrame, str]] | None = None,
    projects: Sequence[tuple[gpd.GeoDataFrame, str]] | None = None,
    locator: gpd.GeoDataFrame | None = None,
    locator_label: str | None = None,
    name_column: str | None = "name",
    labels: bool = True,
    margin: float = 0.04,
    crs: int | str | None = 2154,
    **deprecated: Any,
) -> Figure:
    """Lay a choropleth out on an A4 or A3 page, ready to print.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons with the column (same inputs as
        :func:`~territobs.maps.static.static_map`).
    layer : str or Layer
        The indicator drawn (a column, or a
        :class:`~territobs.maps.layers.Layer`).
    caption : Caption, str or list of str, optional
        Title printed at the top (default: the indicator's label) and the
        sources, vintages, method and date block
        (:class:`~territobs.maps.layers.Caption`); default lines built from
        the provenance and the layer as for
        :func:`~territobs.maps.static.static_map`.
    paper : {"A4", "A3"}, default "A4"
    orientation : {"portrait", "landscape"}, default "landscape"
    subtitle : str, optional
        Printed under the title.
    outlines : sequence of (GeoDataFrame, label), optional
        Context outlines (the communes around a PST), names in grey.
    projects : sequence of (GeoDataFrame, label), optional
        Project zones drawn as thick orange outlines, named.
    locator : GeoDataFrame, optional
        Polygons of the wider territory (the département) for the locator
        inset, where the zones are shown filled. None, or zones covering
        90 % of it or more: no inset.
    locator_label : str, optional
        Title of the inset (« Seine-Saint-Denis »).
    name_column : str or None, default "name"
    labels : bool, default True
        Zone names on the map, without collisions.
    margin : float, default 0.04
        Room around the zones, as a share of their extent.
    crs : int or str, default 2154
        Projected CRS of the map (metres: the scale bar relies on it); None
        keeps the layer's if projected.
    **deprecated
        The keywords taken before ``Layer`` and ``Caption`` (``column``, the
        fields of ``Layer``, ``title``, ``source``, ``vintage``, ``date``):
        same page, with a ``FutureWarning``; removed in the next release.

    Returns
    -------
    matplotlib.figure.Figure
        Of the exact page size; save it with :func:`save_print`.

    Notes
    -----
    A map of France (overseas départements present, or a national extent)
    is laid out by :func:`~territobs.maps.static.static_map` on the page,
    with its overseas insets and city zooms, and no scale bar (it would be
    false across the insets).

    Raises
    ------
    ValueError
        Unknown paper or orientation.
    CRSError
        The layer has no CRS.
    """
    width, height = page_size(paper, orientation)
    spec, about = layer_and_caption("print_map", layer, caption, deprecated)
    title = about.title
    info = describe_column(gdf, spec.column)
    prep = prepare_layer(gdf, with_defaults(spec, info))
    names = label_texts(gdf, name_column)
    if len(gdf) == 1:
        prep = single_zone(prep, names[0])
    frame = _project(gdf, crs)
    if not frame.crs.is_projected:  # pragma: no cover - _project projects
        frame = frame.to_crs(frame.estimate_utm_crs())
    lines = layer_caption(gdf, prep, info, caption=about)
    overseas = overseas_of(gdf).fillna("").to_numpy(dtype=object)
    metro = frame[overseas == ""]
    if (overseas != "").any() or (len(metro) and covers_france(metro)):
        # France: the overseas insets and city zooms of the static map, on
        # the page (a scale bar would be false across insets)
        return static_map(
            gdf,
            spec,
            caption=Caption(
                title if not subtitle else f"{title or prep.label} – {subtitle}",
                tuple(lines),
                date=about.date,
            ),
            outlines=outlines,
            projects=projects,
            insets=True,
            figsize=(width, height),
            name_column=name_column,
            labels=labels,
        )
    m = _MARGIN * _MM  # inches
    mx, my = m / width, m / height  # margins as figure fractions
    landscape = orientation == "landscape"
    scale = 1.0 if paper == "A4" else 1.3
    show_in_notebooks()
    with mpl.rc_context(_STYLE):
        fig = Figure(figsize=(width, height), dpi=150)
        FigureCanvasAgg(fig)
        title_text = title or prep.label
        fig.text(
            mx,
            1 - my,
            title_text,
            ha="left",
            va="top",
            fontsize=16 * scale,
            fontweight="bold",
        )
        top = 1 - my - (0.045 if landscape else 0.032) * scale
        if subtitle:
            fig.text(
                mx,
                top,
                subtitle,
                ha="left",
                va="top",
                fontsize=10 * scale,
                color="#444444",
            )
            top -= (0.03 if landscape else 0.022) * scale
        top -= 0.01
        wrap = int((0.27 if landscape else 0.96) * width * 17 / scale)
        block = [
            w
            for line in lines
            for w in (
                textwrap.wrap(
                    line, wrap, break_on_hyphens=False, subsequent_indent="  "
                )
                or [""]
            )
        ]
        if landscape:
            side = 0.28  # right column: legend, locator, sources
            map_box = (mx, my, 1 - 2 * mx - side - 0.01, top - my)
            column_left = 1 - mx - side
        else:
            block_height = (len(block) * 7.5 * scale / 72) / height + 0.01
            legend_band = 0.2
            bottom = my + block_height + legend_band
            map_box = (mx, bottom, 1 - 2 * mx, top - bottom)
            column_left = mx
        ax = fig.add_axes(map_box)
        rows = np.arange(len(frame))
        _draw(ax, frame, prep, rows)
        named = []
        for other, _label in outlines or ():
            projected = _project(other, frame.crs)
            projected.boundary.plot(ax=ax, color="#555555", linewidth=0.5)
            named.append((projected, "#555555"))
        for other, _label in projects or ():
            projected = _project(other, frame.crs)
            projected.boundary.plot(ax=ax, color=PROJECT_COLOR, linewidth=2.0)
            named.insert(0, (projected, PROJECT_COLOR))
        ax.set_aspect("equal", adjustable="datalim")  # the map fills its box
        _fit_view(ax, frame.total_bounds, margin)
        ax.set_axis_on()
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
        for spine in ax.spines.values():
            spine.set_edgecolor("#999999")
            spine.set_linewidth(0.6)
        furniture = [*scale_bar(ax, fontsize=7 * scale), north_arrow(ax)]
        legend_title = prep.label + (f" ({prep.layer.unit})" if prep.layer.unit else "")
        legend_title = "\n".join(textwrap.wrap(legend_title, int(32 * scale)))
        style = {
            "frameon": False,
            "fontsize": 8 * scale,
            "title_fontsize": 9 * scale,
            "alignment": "left",
        }
        handles = _legend_handles(prep)
        if landscape:
            fig.legend(
                handles=handles,
                title=legend_title,
                loc="upper left",
                bbox_to_anchor=(column_left, top),
                **style,
            )
            fig.text(
                column_left,
                my,
                "\n".join(block),
                ha="left",
                va="bottom",
                fontsize=7 * scale,
                color="#444444",
                linespacing=1.4,
            )
            locator_box = (column_left, my + 0.30, side, 0.25)
        else:
            fig.legend(
                handles=handles,
                title=legend_title,
                loc="upper left",
                bbox_to_anchor=(mx, bottom - 0.01),
                ncols=1 if len(handles) <= 6 else 2,
                **style,
            )
            fig.text(
                mx,
                my,
                "\n".join(block),
                ha="left",
                va="bottom",
                fontsize=7 * scale,
                color="#444444",
                linespacing=1.4,
            )
            locator_box = (0.62, bottom - legend_band + 0.01, 0.34, legend_band - 0.03)
        if locator is not None and len(locator) and _situates(frame, locator):
            _locator(fig, locator_box, frame, locator, locator_label)
        if labels:
            draw_names(ax, frame, names, named, fontsize=6.5 * scale, avoid=furniture)
    return fig


def save_print(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 200) -> Path:
    """Write a print layout as PDF, SVG or PNG, at its page size.

    No ``bbox_inches="tight"``: the page keeps its paper size. Metadata that
    changes between runs is left out, so the same map gives the same file.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        From :func:`print_map`.
    path : str or path-like
        Ends in ``.pdf``, ``.svg`` or ``.png``.
    dpi : int, default 200
        Resolution of PNG files.

    Returns
    -------
    pathlib.Path
    """
    from territobs.maps.static import save_static

    with mpl.rc_context(_STYLE):
        return save_static(fig, path, dpi=dpi)
