"""Static choropleth maps for print (matplotlib: PNG, SVG, PDF).

Same classes, colours, legend and caption as the interactive map (both use
:func:`territobs.maps.layers.prepare_layer`). A map covering France gets
insets for the overseas départements present and zooms on Paris, Lyon and
Marseille.

Why one module of ~640 lines: :func:`static_map` and the helpers after it
(legend handles, caption wrapping, layout of legend and caption around the
axes, insets and city zooms) all work on the same matplotlib figure and are
tuned together; the classes and colours, shared with the interactive map,
already live in :mod:`territobs.maps.layers`.
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.patches import Patch
from matplotlib.text import Text
from shapely.geometry import box

from territobs.errors import CRSError
from territobs.maps._describe import describe_column, with_defaults
from territobs.maps._france import CITY_ZOOMS, OVERSEAS, covers_france, overseas_of
from territobs.maps._keywords import layer_and_caption
from territobs.maps.caption import layer_caption
from territobs.maps.classify import MISSING, SECRET
from territobs.maps.labels import label_texts, place_labels
from territobs.maps.layers import (
    Caption,
    Layer,
    PreparedLayer,
    prepare_layer,
    single_zone,
)
from territobs.maps.legend import format_value
from territobs.maps.palettes import MISSING_COLOR, SECRET_COLOR

__all__ = ["FORMATS", "save_static", "static_map"]

#: File formats :func:`save_static` writes.
FORMATS = ("png", "svg", "pdf")
_EDGE = "#ffffff"
#: Colour of project zones drawn over a map (atlas key ``outline``).
PROJECT_COLOR = "#d55e00"
#: Top of the band of overseas insets (figure fraction), titles included.
_INSET_TOP = 0.235
#: Left and right page margin, and the gap between blocks (figure fraction).
_SIDE = 0.02
_GAP = 0.015
#: Most rows of a legend laid out under the map (more entries: more columns).
_LEGEND_ROWS = 4
#: Colour of the frame drawn when context outlines are cut at the map's edge.
_FRAME = "#bbbbbb"
_LEGEND_STYLE = {
    "frameon": False,
    "fontsize": 8,
    "title_fontsize": 9,
    "alignment": "left",
}
# matplotlib's stubs key rc_context by literal names: typed Any on purpose
_STYLE: Any = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "svg.hashsalt": "territobs",
    "path.simplify": True,
}


def _png(fig: Figure) -> bytes:
    import io

    buffer = io.BytesIO()
    with mpl.rc_context(_STYLE):
        fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def show_in_notebooks() -> None:
    """Let Jupyter display a territobs figure by itself (as a PNG).

    Figures are made without pyplot (no global state), so ``plt.show()``
    does not know them, and IPython shows them only when matplotlib's inline
    backend registered its formatter. When running under IPython and no
    PNG formatter is registered for :class:`~matplotlib.figure.Figure`, one
    is added; elsewhere nothing happens.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is not a dependency
        return
    shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        formatter.lookup_by_type(Figure)
    except KeyError:
        formatter.for_type(Figure, _png)


def _facecolors(prep: PreparedLayer) -> np.ndarray:
    colors = np.array((*prep.classes.colors, MISSING_COLOR, SECRET_COLOR), dtype=object)
    index = prep.klass.copy()
    index[index == MISSING] = prep.classes.k
    index[index == SECRET] = prep.classes.k + 1
    return colors[index]


def _draw(
    ax: Axes, frame: gpd.GeoDataFrame, prep: PreparedLayer, rows: np.ndarray
) -> None:
    faces = _facecolors(prep)[rows]
    klass = prep.klass[rows]
    plain = klass >= 0
    if plain.any():
        frame[plain].plot(
            ax=ax, color=list(faces[plain]), edgecolor=_EDGE, linewidth=0.2
        )
    missing = klass == MISSING
    if missing.any():
        frame[missing].plot(
            ax=ax, facecolor=MISSING_COLOR, edgecolor="#999999", linewidth=0.3
        )
    secret = klass == SECRET
    if secret.any():
        frame[secret].plot(
            ax=ax,
            facecolor=SECRET_COLOR,
            edgecolor="#ffffff",
            hatch="////",
            linewidth=0.2,
        )
    partial = (
        np.zeros(len(rows), dtype=bool) if prep.partial is None else prep.partial[rows]
    )
    if partial.any():  # partial figures: a dashed dark outline
        frame[partial].boundary.plot(
            ax=ax, color="#222222", linewidth=0.9, linestyle=(0, (3, 2))
        )
    ax.set_axis_off()
    ax.set_aspect("equal")


def _legend_handles(prep: PreparedLayer) -> list[Patch]:
    handles = [
        Patch(facecolor=color, edgecolor="#999999", label=label)
        for label, color in zip(prep.classes.labels, prep.classes.colors, strict=True)
    ][::-1]
    if prep.n_secret:
        handles.append(
            Patch(
                facecolor=SECRET_COLOR,
                edgecolor="#ffffff",
                hatch="////",
                label="secret statistique",
            )
        )
    if prep.n_missing:
        handles.append(
            Patch(
                facecolor=MISSING_COLOR, edgecolor="#999999", label="donnée manquante"
            )
        )
    if prep.n_partial:
        handles.append(
            Patch(
                facecolor="white",
                edgecolor="#222222",
                linestyle=(0, (3, 2)),
                label="partielle (couverture incomplète)",
            )
        )
    if prep.reference is not None:
        # last entry, without swatch, wrapped to stay in the right column
        ref = prep.reference
        text = (
            f"Référence : {ref.label}, "
            f"{format_value(ref.value, prep.layer.unit, prep.decimals)}"
        )
        handles.append(
            Patch(
                facecolor="none",
                edgecolor="none",
                label="\n".join(textwrap.wrap(text, 26, break_on_hyphens=False)),
            )
        )
    return handles


def _project(gdf: gpd.GeoDataFrame, crs: int | str | None) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise CRSError(
            "la couche à cartographier n'a pas de système de coordonnées (CRS) : "
            "définissez-le avec set_crs(...)."
        )
    if crs is not None:
        return gdf.to_crs(crs)
    return gdf if gdf.crs.is_projected else gdf.to_crs(gdf.estimate_utm_crs())


def static_map(
    gdf: gpd.GeoDataFrame,
    layer: str | Layer | None = None,
    *,
    caption: Caption | str | Sequence[str] | None = None,
    outlines: Sequence[tuple[gpd.GeoDataFrame, str]] | None = None,
    points: Sequence[tuple[gpd.GeoDataFrame, str]] | None = None,
    insets: bool | None = None,
    figsize: tuple[float, float] = (8.0, 8.0),
    margin: float = 0.0,
    name_column: str | None = "name",
    labels: bool = True,
    projects: Sequence[tuple[gpd.GeoDataFrame, str]] | None = None,
    **deprecated: Any,
) -> Figure:
    """Draw a static choropleth map.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons with a numeric column (same inputs as
        :func:`~territobs.maps.interactive.choropleth`).
    layer : str or Layer
        The indicator drawn, as for
        :func:`~territobs.maps.interactive.choropleth`; pass
        ``Layer(column, classes=interactive_map.classes)`` for identical
        classes.
    caption : Caption, str or list of str, optional
        Title and caption (:class:`~territobs.maps.layers.Caption`); default
        lines built from the provenance (by default read from
        ``gdf.attrs["territobs"]``), estimated shares, secrecy and the date.
    outlines : sequence of (GeoDataFrame, label), optional
        Boundaries of other zonings drawn on top.
    points : sequence of (GeoDataFrame, label), optional
        Point layers drawn on top.
    insets : bool, optional
        Overseas insets and city zooms; default: when the map covers France
        (detected from the codes and the extent).
    figsize : tuple of float, default (8, 8)
        Inches.
    margin : float, default 0
        Room left around the zones, as a fraction of their extent (``0.15``:
        15 % on each side), so that outlines around a single small zone show
        where it lies.
    name_column : str or None, default "name"
        Names of the zones (``zone_name`` is tried too), written on the map
        and naming a single zone in its legend.
    labels : bool, default True
        Write the names on the map, largest zones first, dropping those that
        collide or do not fit their zone (:func:`~territobs.maps.labels.place_labels`);
        names of the outlines (a ``name`` column) follow, in grey.
    projects : sequence of (GeoDataFrame, label), optional
        Project zones (a PST) drawn as thick orange outlines, named.
    **deprecated
        The keywords taken before ``Layer`` and ``Caption`` (``column``, the
        fields of ``Layer``, ``title``, ``source``, ``vintage``, ``date``):
        same map, with a ``FutureWarning``; removed in the next release.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    SourceFormatError
        A column is absent or not numeric.
    CRSError
        The layer has no CRS.

    Notes
    -----
    Metropolitan rows are drawn in Lambert-93 (EPSG:2154) when overseas rows
    are present or the map covers France; overseas départements each in their
    official CRS (``_france.OVERSEAS``). Secret rows are hatched grey.
    """
    spec, about = layer_and_caption("static_map", layer, caption, deprecated)
    title = about.title
    info = describe_column(gdf, spec.column)
    prep = prepare_layer(gdf, with_defaults(spec, info))
    names = label_texts(gdf, name_column)
    if len(gdf) == 1:  # a locator map: the zone and its figure, no classes
        prep = single_zone(prep, names[0])
    overseas = overseas_of(gdf).fillna("").to_numpy(dtype=object)
    is_metro = overseas == ""
    has_metro = bool(is_metro.any())
    french = bool((~is_metro).any())
    if has_metro:
        crs = 2154 if french or _looks_french(gdf) else None
    else:
        # only overseas rows (La Réunion alone...): the main map, no inset,
        # in the official CRS when there is a single département
        present = sorted(set(overseas))
        crs = OVERSEAS[present[0]][1] if len(present) == 1 else None
    metro = _project(gdf, crs)
    national = (
        has_metro and metro.crs.to_epsg() == 2154 and covers_france(metro[is_metro])
    )
    insets = (national or french) if insets is None else insets
    insets = bool(insets) and has_metro  # the main map is metropolitan France

    show_in_notebooks()
    with mpl.rc_context(_STYLE):
        fig = Figure(figsize=figsize, dpi=150)
        FigureCanvasAgg(fig)  # a renderer, to measure the legend and caption
        overseas_insets = insets and french
        top = 0.92 if title or insets else 0.96
        if insets:
            # overseas insets take a band under the main map, above the
            # caption; the legend and the city zooms take the right column
            bottom = _INSET_TOP + 0.01 if overseas_insets else 0.12
            ax = fig.add_axes((_SIDE, bottom, 0.72, 0.92 - bottom))
        else:
            # placed by _lay_out once the legend and caption are measured
            ax = fig.add_axes((_SIDE, 0.12, 1 - 2 * _SIDE, top - 0.12))
        rows = np.flatnonzero(is_metro) if insets else np.arange(len(gdf))
        _draw(ax, metro.iloc[rows], prep, rows)
        # overlays must not stretch the map (points overseas, wider outlines)
        limits: tuple[tuple[float, float], ...] = (ax.get_xlim(), ax.get_ylim())
        context = []
        named = []
        for frame, _name in outlines or ():
            projected = _project(frame, metro.crs)
            projected.boundary.plot(ax=ax, color="#222222", linewidth=0.8)
            context.append(projected.total_bounds)
            named.append((projected, "#555555"))
        for frame, _name in projects or ():
            projected = _project(frame, metro.crs)
            projected.boundary.plot(ax=ax, color=PROJECT_COLOR, linewidth=2.2)
            named.insert(0, (projected, PROJECT_COLOR))
        for frame, _name in points or ():
            _project(frame, metro.crs).plot(
                ax=ax, color="#d55e00", markersize=8, zorder=5
            )
        if margin > 0:
            limits = tuple(
                (low - (high - low) * margin, high + (high - low) * margin)
                for low, high in limits
            )
        ax.set_xlim(*limits[0])
        ax.set_ylim(*limits[1])
        if any(_beyond(bounds, limits) for bounds in context):
            _frame(ax)
        if overseas_insets:
            _overseas_insets(fig, gdf, prep, overseas)
        if insets:
            if national:
                _city_zooms(fig, ax, metro, prep, is_metro)
        handles = _legend_handles(prep)
        legend_title = prep.label + (f" ({prep.layer.unit})" if prep.layer.unit else "")
        if title:
            fig.suptitle(
                title, x=_SIDE, y=0.97, ha="left", fontsize=13, fontweight="bold"
            )
        lines = layer_caption(gdf, prep, info, caption=about)
        text = fig.text(
            _SIDE,
            _SIDE,
            "\n".join(_wrap(lines, figsize[0])),
            fontsize=7,
            color="#444444",
            va="bottom",
        )
        if insets:
            fig.legend(
                handles=handles,
                title=legend_title,
                loc="upper right",
                bbox_to_anchor=(0.99, 0.92),
                **_LEGEND_STYLE,
            )
        else:
            _lay_out(fig, ax, handles, legend_title, text, top)
        if labels:
            draw_names(ax, metro.iloc[rows], [names[i] for i in rows], named)
    return fig


def draw_names(
    ax: Axes,
    frame: gpd.GeoDataFrame,
    names: Sequence[str],
    named: Sequence[tuple[gpd.GeoDataFrame, str]] = (),
    *,
    fontsize: float = 6.5,
    avoid: Sequence[object] = (),
) -> None:
    """Write the zones' names, then those of named outlines, without collision.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The map, laid out.
    frame : geopandas.GeoDataFrame
        The zones drawn, in the axes' CRS.
    names : sequence of str
        Their names.
    named : sequence of (GeoDataFrame, colour)
        Outline layers with a ``name`` column, labelled after the zones
        (project zones first, in their colour; then the context units).
    fontsize : float, default 6.5
    avoid : sequence of matplotlib.text.Text
        Texts already on the map (scale bar, north arrow) kept clear of.
    """
    placed = list(avoid)
    placed += place_labels(
        ax, frame, names, fontsize=fontsize, weight="bold", avoid=placed
    )
    for outline, color in named:
        if "name" not in outline.columns:
            continue
        placed += place_labels(
            ax,
            outline,
            [str(v) for v in outline["name"]],
            fontsize=fontsize - 0.5,
            color=color,
            style="italic",
            avoid=placed,
        )


def _wrap(lines: Sequence[str], width_inches: float) -> list[str]:
    """Wrap caption lines to the page width (7-point DejaVu Sans).

    About 19 characters an inch, on the page less its side margins.
    """
    chars = max(int(width_inches * (1 - 2 * _SIDE) * 19), 40)
    out = []
    for line in lines:
        out.extend(
            textwrap.wrap(line, chars, break_on_hyphens=False, subsequent_indent="  ")
            or [""]
        )
    return out


def _beyond(bounds: np.ndarray, limits: tuple[tuple[float, float], ...]) -> bool:
    """Whether ``(x0, y0, x1, y1)`` reaches past the view ``(xlim, ylim)``."""
    (vx0, vx1), (vy0, vy1) = limits
    x0, y0, x1, y1 = bounds
    return bool(x0 < vx0 or y0 < vy0 or x1 > vx1 or y1 > vy1)


def _frame(ax: Axes) -> None:
    """Draw a thin frame round the map, where context outlines are cut."""
    ax.set_axis_on()
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_edgecolor(_FRAME)
        spine.set_linewidth(0.6)


def _fraction(fig: Figure, artist: Legend | Text) -> tuple[float, float]:
    """Width and height of a drawn artist, as fractions of the figure."""
    box = artist.get_window_extent(cast(FigureCanvasAgg, fig.canvas).get_renderer())
    return box.width / fig.bbox.width, box.height / fig.bbox.height


def _lay_out(
    fig: Figure,
    ax: Axes,
    handles: list[Patch],
    title: str,
    caption: Text,
    top: float,
) -> None:
    """Place the map and its legend so that the map is drawn as large as it can.

    Two layouts are measured: the legend in a column right of the map (best
    for a tall map) or in rows under it, above the caption (best for a wide
    map, which then spans the page). The one giving the larger scale wins;
    the view is then widened to fill the map's box (:func:`_fill`).
    """
    bottom = _SIDE + _fraction(fig, caption)[1] + _GAP
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    width, height = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)

    def scale(box: tuple[float, float, float, float]) -> float:
        return min(box[2] * fig.bbox.width / width, box[3] * fig.bbox.height / height)

    right = fig.legend(
        handles=handles,
        title=title,
        loc="upper right",
        bbox_to_anchor=(1 - _SIDE / 2, top),
        **_LEGEND_STYLE,
    )
    right_width = _fraction(fig, right)[0]
    beside = (
        _SIDE,
        bottom,
        max(1 - _SIDE / 2 - right_width - _GAP - _SIDE, 0.3),
        top - bottom,
    )
    under = fig.legend(
        handles=handles,
        title=title,
        loc="lower left",
        bbox_to_anchor=(_SIDE / 2, bottom - _GAP / 2),
        ncols=math.ceil(len(handles) / _LEGEND_ROWS),
        **_LEGEND_STYLE,
    )
    under_height = _fraction(fig, under)[1]
    below = (
        _SIDE,
        bottom + under_height + _GAP,
        1 - 2 * _SIDE,
        max(top - bottom - under_height - _GAP, 0.3),
    )
    if scale(below) > scale(beside):
        right.remove()
        ax.set_position(below)
    else:
        under.remove()
        ax.set_position(beside)
    _fill(fig, ax)


def _fill(fig: Figure, ax: Axes) -> None:
    """Widen the view (around its centre) to the shape of the axes' box.

    With equal aspect, matplotlib would otherwise shrink the box to the shape
    of the view: context outlines would then stop short of the space given to
    the map, cut at an invisible edge.
    """
    pos = ax.get_position(original=True)  # the box given, not yet shrunk
    box = (pos.width * fig.bbox.width) / (pos.height * fig.bbox.height)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    width, height = x1 - x0, y1 - y0
    if width <= 0 or height <= 0:
        return
    if width / height < box:
        half = height * box / 2
        ax.set_xlim((x0 + x1) / 2 - half, (x0 + x1) / 2 + half)
    else:
        half = width / box / 2
        ax.set_ylim((y0 + y1) / 2 - half, (y0 + y1) / 2 + half)


def _looks_french(gdf: gpd.GeoDataFrame) -> bool:
    """Whether the layer lies in metropolitan France (lon/lat box)."""
    x0, y0, x1, y1 = gdf.to_crs(4326).total_bounds
    return bool(x0 > -6 and x1 < 10 and y0 > 41 and y1 < 52)


def _overseas_insets(
    fig: Figure, gdf: gpd.GeoDataFrame, prep: PreparedLayer, overseas: np.ndarray
) -> None:
    present = [d for d in OVERSEAS if (overseas == d).any()]
    width = 0.72 / max(len(present), 1)
    for n, dep in enumerate(present):
        name, crs = OVERSEAS[dep]
        rows = np.flatnonzero(overseas == dep)
        ax = fig.add_axes((0.02 + n * width, _INSET_TOP - 0.14, width * 0.9, 0.12))
        _draw(ax, gdf.iloc[rows].to_crs(crs), prep, rows)
        ax.set_title(name, fontsize=7)


def _city_zooms(
    fig: Figure,
    main: Axes,
    metro: gpd.GeoDataFrame,
    prep: PreparedLayer,
    is_metro: np.ndarray,
) -> None:
    for n, (city, ((cx, cy), half)) in enumerate(CITY_ZOOMS.items()):
        frame = box(cx - half, cy - half, cx + half, cy + half)
        near = is_metro & metro.geometry.intersects(frame).to_numpy()
        if not near.any():
            continue
        rows = np.flatnonzero(near)
        # right column, under the legend (at most k + 3 entries)
        ax = fig.add_axes((0.78, 0.44 - n * 0.135, 0.11, 0.11))
        _draw(ax, metro.iloc[rows], prep, rows)
        ax.set_xlim(cx - half, cx + half)
        ax.set_ylim(cy - half, cy + half)
        ax.set_title(city, fontsize=7)
        main.add_patch(
            mpl.patches.Rectangle(
                (cx - half, cy - half),
                2 * half,
                2 * half,
                fill=False,
                edgecolor="#222222",
                linewidth=0.6,
            )
        )


def save_static(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 150) -> Path:
    """Write a static map as PNG, SVG or PDF (chosen from the suffix).

    Metadata that changes between runs (creation date, software version) is
    left out, so the same map gives the same file.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or path-like
        Ends in ``.png``, ``.svg`` or ``.pdf``.
    dpi : int, default 150
        Resolution of PNG files.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        For another suffix (the message lists the valid ones).
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(
            f"format « {path.suffix} » non pris en charge ; formats possibles : "
            f"{', '.join('.' + f for f in FORMATS)}"
        )
    with mpl.rc_context(_STYLE):
        fig.savefig(path, format=fmt, dpi=dpi, metadata=file_metadata(fmt))
    return path


def file_metadata(fmt: str) -> dict[str, None]:
    """Matplotlib ``metadata`` that leaves no date nor version in a file.

    The same figure then gives the same bytes (reproducible refreshes), and
    no clock reading sits among a published file's digits.

    Parameters
    ----------
    fmt : str
        ``"png"``, ``"svg"`` or ``"pdf"`` (others: no metadata to drop).

    Returns
    -------
    dict

    Examples
    --------
    >>> file_metadata("svg")
    {'Date': None, 'Creator': None}
    """
    return {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
    }.get(fmt, {})
