"""Static choropleth maps for print (matplotlib: PNG, SVG, PDF).

Same classes, colours, legend and caption as the interactive map (both use
:func:`territobs.maps.layers.prepare_layer`). A map covering France gets
insets for the overseas départements present and zooms on Paris, Lyon and
Marseille.
"""

from __future__ import annotations

import datetime as dt
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from shapely.geometry import box

from territobs.errors import CRSError
from territobs.maps._france import CITY_ZOOMS, OVERSEAS, covers_france, overseas_of
from territobs.maps.caption import make_caption, provenance
from territobs.maps.classify import MISSING, SECRET, Classes, Scheme
from territobs.maps.layers import Layer, PreparedLayer, Reference, prepare_layer
from territobs.maps.legend import format_value
from territobs.maps.palettes import MISSING_COLOR, SECRET_COLOR

__all__ = ["FORMATS", "save_static", "static_map"]

#: File formats :func:`save_static` writes.
FORMATS = ("png", "svg", "pdf")
_EDGE = "#ffffff"
#: Top of the band of overseas insets (figure fraction), titles included.
_INSET_TOP = 0.235
_STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "svg.hashsalt": "territobs",
    "path.simplify": True,
}


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
    column: str | Layer,
    *,
    label: str | None = None,
    unit: str | None = None,
    scheme: Scheme = "quantiles",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    palette: str | None = None,
    reference: float | Reference | None = None,
    classes: Classes | None = None,
    decimals: int | None = None,
    title: str | None = None,
    caption: str | Sequence[str] | None = None,
    source: str | None = None,
    vintage: str | int | None = None,
    outlines: Sequence[tuple[gpd.GeoDataFrame, str]] | None = None,
    points: Sequence[tuple[gpd.GeoDataFrame, str]] | None = None,
    insets: bool | None = None,
    figsize: tuple[float, float] = (8.0, 8.0),
    date: dt.date | None = None,
    margin: float = 0.0,
) -> Figure:
    """Draw a static choropleth map.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons with a numeric column (same inputs as
        :func:`~territobs.maps.interactive.choropleth`).
    column : str or Layer
        The indicator drawn.
    label, unit, scheme, k, breaks, palette, reference, classes, decimals
        As for :func:`~territobs.maps.interactive.choropleth`; pass
        ``classes=interactive_map.classes`` for identical classes.
    title : str, optional
    caption : str or list of str, optional
        Default: built from ``source``, ``vintage``, estimated shares, secrecy
        and ``date``.
    source, vintage : optional
        Provenance for the default caption; by default read from
        ``gdf.attrs["territobs"]``.
    outlines : sequence of (GeoDataFrame, label), optional
        Boundaries of other zonings drawn on top.
    points : sequence of (GeoDataFrame, label), optional
        Point layers drawn on top.
    insets : bool, optional
        Overseas insets and city zooms; default: when the map covers France
        (detected from the codes and the extent).
    figsize : tuple of float, default (8, 8)
        Inches.
    date : datetime.date, optional
        Production date in the caption (default today; fix it for
        reproducible files).
    margin : float, default 0
        Room left around the zones, as a fraction of their extent (``0.15``:
        15 % on each side), so that outlines around a single small zone show
        where it lies.

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
    spec = (
        column
        if isinstance(column, Layer)
        else Layer(
            column,
            label,
            unit,
            scheme,
            k,
            breaks,
            palette,
            reference,
            classes,
            decimals,
        )
    )
    prep = prepare_layer(gdf, spec)
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

    with mpl.rc_context(_STYLE):
        fig = Figure(figsize=figsize, dpi=150)
        overseas_insets = insets and french
        # overseas insets take a band under the main map, above the caption
        bottom = _INSET_TOP + 0.01 if overseas_insets else 0.12
        ax = fig.add_axes((0.02, bottom, 0.72, 0.92 - bottom))
        rows = np.flatnonzero(is_metro) if insets else np.arange(len(gdf))
        _draw(ax, metro.iloc[rows], prep, rows)
        # overlays must not stretch the map (points overseas, wider outlines)
        limits = ax.get_xlim(), ax.get_ylim()
        for frame, _name in outlines or ():
            _project(frame, metro.crs).boundary.plot(
                ax=ax, color="#222222", linewidth=0.8
            )
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
        if overseas_insets:
            _overseas_insets(fig, gdf, prep, overseas)
        if insets:
            if national:
                _city_zooms(fig, ax, metro, prep, is_metro)
        handles = _legend_handles(prep)
        legend_title = prep.label + (f" ({prep.layer.unit})" if prep.layer.unit else "")
        fig.legend(
            handles=handles,
            title=legend_title,
            loc="upper right",
            bbox_to_anchor=(0.99, 0.92),
            frameon=False,
            fontsize=8,
            title_fontsize=9,
            alignment="left",
        )
        if title:
            fig.suptitle(
                title, x=0.02, y=0.97, ha="left", fontsize=13, fontweight="bold"
            )
        if caption is None:
            if source is None and vintage is None:
                source, vintage = provenance(gdf, prep.layer.column)
            lines = make_caption(
                source=source,
                vintage=vintage,
                estimated_share=prep.estimated_share,
                secret_count=prep.n_secret,
                date=date,
            )
        else:
            lines = [caption] if isinstance(caption, str) else list(caption)
        fig.text(0.02, 0.02, "\n".join(lines), fontsize=7, color="#444444", va="bottom")
    return fig


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
    metadata = {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
    }[fmt]
    with mpl.rc_context(_STYLE):
        fig.savefig(path, format=fmt, dpi=dpi, metadata=metadata)
    return path
