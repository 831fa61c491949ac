"""Self-contained interactive choropleth maps (Leaflet, one offline HTML file).

The exported file inlines Leaflet 1.9.4 (read from the installed
``django-js-lib-leaflet`` package), a small runtime script and the data, so it
opens from a USB stick with no network: no ``<script src>``, no
``<link href>``, no tiles unless asked for. Polygons are drawn on Leaflet's
Canvas renderer (35,000 communes stay fluid where SVG would freeze), from
geometry that is coverage-simplified for the map's scale, quantised and
delta-encoded (see :mod:`territobs.maps._geometry`).

Why not folium's object tree: folium's elements carry CDN asset lists and
emit one GeoJSON per layer with full-precision coordinates and HTML tooltips
per feature; replacing all of that left little of folium but its template
engine, so territobs renders its own small jinja2 template.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import geopandas as gpd
import jinja2
import numpy as np
import pandas as pd

from territobs._version import __version__
from territobs.errors import CRSError, GeometryError, SourceFormatError
from territobs.formatting import count_of
from territobs.maps._assets import leaflet_css, leaflet_js
from territobs.maps._describe import describe_column, with_defaults
from territobs.maps._geometry import PackedGeometry, pack_geometry
from territobs.maps._keywords import layer_and_caption
from territobs.maps._links import check_link
from territobs.maps._memo import geometry_memo
from territobs.maps.caption import layer_caption
from territobs.maps.classify import Classes
from territobs.maps.labels import label_anchors
from territobs.maps.layers import (
    Caption,
    Layer,
    PreparedLayer,
    prepare_layer,
    secret_mask,
    single_zone,
)
from territobs.maps.layers import round_half_up as _round
from territobs.maps.palettes import MISSING_COLOR, SECRET_COLOR

__all__ = ["InteractiveMap", "Outline", "Points", "Tiles", "choropleth"]

#: Colours cycled through for outline and point layers (Okabe-Ito).
_OVERLAY_COLORS = ("#000000", "#d55e00", "#0072b2", "#009e73", "#cc79a7")


@dataclass(frozen=True)
class Outline:
    """Boundaries of another zoning drawn on top (EPCI, circonscriptions).

    Attributes
    ----------
    frame : geopandas.GeoDataFrame
        Polygons.
    label : str
        French name shown in the layer switcher.
    color : str, optional
    weight : float, default 2
        Line width in pixels.
    name_column : str, optional
        Column of names written on the map (communes around a PST zone),
        after the zones' own names and only where they do not collide.
    """

    frame: gpd.GeoDataFrame
    label: str
    color: str | None = None
    weight: float = 2.0
    name_column: str | None = None
    """Column of names written on the map (grey, after the zones' own names)."""


@dataclass(frozen=True)
class Points:
    """Point locations drawn on top (service locations).

    Attributes
    ----------
    frame : geopandas.GeoDataFrame
        Points.
    label : str
        French name shown in the layer switcher.
    name_column : str, optional
        Column shown on hover.
    color : str, optional
    """

    frame: gpd.GeoDataFrame
    label: str
    name_column: str | None = "name"
    color: str | None = None


@dataclass(frozen=True)
class Tiles:
    """Optional base tiles (they need a network: the map then makes requests).

    Attributes
    ----------
    url : str
        Template such as ``https://tile.openstreetmap.org/{z}/{x}/{y}.png``.
    attribution : str
        Required credit text.
    """

    url: str
    attribution: str


def _script_json(data: Any) -> str:
    """JSON safe inside ``<script>``: ``<``, ``>``, ``&``, U+2028/9 escaped."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, code)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _floats(values: np.ndarray | None, decimals: int) -> list[float | None] | None:
    if values is None:
        return None
    rounded = _round(values, decimals)
    return [
        None if np.isnan(v) else (int(v) if decimals == 0 else float(v))
        for v in rounded
    ]


def _widen(bounds: Sequence[float], margin: float) -> list[float]:
    """Return ``(x0, y0, x1, y1)`` widened by ``margin`` × its size on each side."""
    x0, y0, x1, y1 = (float(v) for v in bounds)
    dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
    return [x0 - dx, y0 - dy, x1 + dx, y1 + dy]


def _geom_payload(packed: PackedGeometry) -> dict[str, Any]:
    return {
        "c": packed.coords,
        "s": packed.structure,
        "q": packed.quantum,
        "o": list(packed.origin),
        "b": list(packed.bounds),
    }


def _layer_payload(prep: PreparedLayer) -> dict[str, Any]:
    ref = prep.reference
    d = prep.decimals
    counts_decimals = 0
    return {
        "label": prep.label,
        "unit": prep.layer.unit,
        "decimals": d,
        "labels": list(prep.classes.labels),
        "colors": list(prep.classes.colors),
        "cls": prep.class_string(),
        "v": _floats(prep.values, d),
        "num": _floats(prep.numerator, counts_decimals),
        "den": _floats(prep.denominator, counts_decimals),
        "num_label": "Numérateur",
        "den_label": "Dénominateur",
        "num_decimals": counts_decimals,
        "est": _floats(
            None if prep.estimated_share is None else 100 * prep.estimated_share, 0
        ),
        "ref": None if ref is None else {"label": ref.label, "value": ref.value},
        "part": None
        if not prep.n_partial
        else [int(i) for i in np.flatnonzero(np.asarray(prep.partial))],
        "cov": None
        if not prep.n_partial
        else [
            prep.coverage[i] if prep.coverage else "" for i in range(len(prep.values))
        ],
    }


def _text_column(frame: pd.DataFrame, column: str) -> list[str]:
    return ["" if pd.isna(v) else str(v) for v in frame[column]]


def _as_layers(first: Layer, layers: Sequence[str | Layer] | None) -> list[Layer]:
    out = [first]
    for extra in layers or ():
        out.append(extra if isinstance(extra, Layer) else Layer(column=extra))
    return out


class InteractiveMap:
    """A rendered choropleth: save it, or show it inline in Jupyter.

    Parameters
    ----------
    html_text : str
        The complete self-contained HTML document.
    layers : list of PreparedLayer
        The published data of each indicator (secret values removed).
    geometry : PackedGeometry
        The encoded polygons.

    Attributes
    ----------
    classes : Classes
        Classes of the first layer, to share with another map.
    """

    def __init__(
        self, html_text: str, layers: list[PreparedLayer], geometry: PackedGeometry
    ) -> None:
        self._html = html_text
        self.layers = layers
        self.geometry = geometry

    @property
    def classes(self) -> Classes:
        """Classes of the first layer."""
        return self.layers[0].classes

    def to_html(self) -> str:
        """Return the self-contained HTML document.

        Returns
        -------
        str
        """
        return self._html

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the HTML file (UTF-8).

        Parameters
        ----------
        path : str or path-like
        """
        with open(path, "w", encoding="utf-8") as f:
            f.write(self._html)

    def _repr_html_(self) -> str:
        srcdoc = html.escape(self._html, quote=True)
        return (
            f'<iframe srcdoc="{srcdoc}" style="width:100%;height:520px;border:none" '
            'sandbox="allow-scripts" title="carte territobs"></iframe>'
        )

    def __repr__(self) -> str:
        labels = ", ".join(p.label for p in self.layers)
        return (
            f"<InteractiveMap {count_of(len(self.layers), 'couche')} [{labels}], "
            f"{self.geometry.n_vertices} sommets, {len(self._html) / 1e6:.2f} Mo>"
        )


def _packed_outline(frame: Any, tolerance: float | None) -> PackedGeometry:
    return geometry_memo(
        "pack",
        frame.geometry,
        (tolerance,),
        lambda: pack_geometry(frame.geometry, tolerance=tolerance),
    )


def _outline_payload(outline: Outline, n: int, tolerance: float | None) -> dict:
    packed = _packed_outline(outline.frame, tolerance)
    names = None
    if outline.name_column and outline.name_column in outline.frame.columns:
        names = _text_column(outline.frame, outline.name_column)
    geom = _geom_payload(packed)
    geom["lab"] = None if names is None else _labels_of(outline.frame.geometry)
    return {
        "label": outline.label,
        "geom": geom,
        "color": outline.color or _OVERLAY_COLORS[n % len(_OVERLAY_COLORS)],
        "weight": outline.weight,
        "names": names,
    }


def _labels_of(geoms: gpd.GeoSeries) -> dict[str, Any]:
    """Label payload of a layer, computed once per set of geometries."""
    return geometry_memo("labels", geoms, (), lambda: _label_payload(geoms))


def _label_payload(geoms: gpd.GeoSeries) -> dict[str, Any]:
    """Label anchors (lat, lon), feature sizes (m) and placing order."""
    anchors = label_anchors(geoms)
    points = gpd.GeoSeries(gpd.points_from_xy(anchors.x, anchors.y), crs=geoms.crs)
    if geoms.crs is not None:
        points = points.to_crs(4326)
    # 4 decimals (about 10 m) place a name well enough, and keep files small
    lat = np.nan_to_num(np.round(points.y.to_numpy(), 4), nan=0.0)
    lon = np.nan_to_num(np.round(points.x.to_numpy(), 4), nan=0.0)
    return {
        "lat": lat.tolist(),
        "lon": lon.tolist(),
        "s": np.round(anchors.size).astype(int).tolist(),
        "o": [int(i) for i in anchors.order if anchors.size[i] > 0],
    }


#: Official codes shown after a name in tooltips (commune, IRIS, EPCI...);
#: other ids (« est-ensemble », a zone's slug) are internal and not shown.
_OFFICIAL_CODE = re.compile(r"^(?:\d[\dAB]\d{3}(?:\d{4})?|\d{9}|\d{2,3}|2[AB])$")


def _shown_codes(codes: list[str]) -> list[str]:
    return [c if _OFFICIAL_CODE.match(c) else "" for c in codes]


def _points_payload(points: Points, n: int) -> dict:
    frame = points.frame
    if frame.crs is None:
        raise CRSError(
            f"la couche de points « {points.label} » n'a pas de système de "
            "coordonnées (CRS)."
        )
    geoms = frame.geometry.to_crs(4326)
    if not geoms.geom_type.eq("Point").all():
        raise GeometryError(
            f"la couche « {points.label} » doit ne contenir que des points.",
        )
    names = None
    if points.name_column and points.name_column in frame.columns:
        names = _text_column(frame, points.name_column)
    return {
        "label": points.label,
        "lat": np.round(geoms.y.to_numpy(), 6).tolist(),
        "lon": np.round(geoms.x.to_numpy(), 6).tolist(),
        "names": names,
        "color": points.color or _OVERLAY_COLORS[(n + 1) % len(_OVERLAY_COLORS)],
    }


def _template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    text = resources.files("territobs.maps").joinpath("templates/map.html.j2")
    return env.from_string(text.read_text(encoding="utf-8"))


def _runtime_js() -> str:
    path = resources.files("territobs.maps").joinpath("templates/map.js")
    return path.read_text(encoding="utf-8")


def choropleth(
    gdf: gpd.GeoDataFrame,
    layer: str | Layer | None = None,
    *,
    caption: Caption | str | Sequence[str] | None = None,
    name_column: str = "name",
    code_column: str | None = "code",
    tooltip_columns: Sequence[str] | None = None,
    layers: Sequence[str | Layer] | None = None,
    outlines: Sequence[Outline] | None = None,
    points: Sequence[Points] | None = None,
    tiles: Tiles | None = None,
    tolerance: float | None = None,
    background: str = "#f4f4f0",
    margin: float = 0.0,
    back_link: str | None = None,
    back_label: str = "← Retour à l'atlas",
    labels: bool = True,
    **deprecated: Any,
) -> InteractiveMap:
    """Draw a self-contained interactive choropleth map.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons with a numeric column: any layer, or the wide form of a
        recomputed result (``{indicator}``, ``{indicator}__secret``,
        ``{indicator}__estimated_share``; optional ``{indicator}__numerator``
        and ``{indicator}__denominator`` are shown in tooltips).
    layer : str or Layer
        The first indicator drawn: a column, or a
        :class:`~territobs.maps.layers.Layer` saying how it is labelled and
        classified (``label``, ``unit``, ``scheme``, ``k``, ``breaks``,
        ``palette``, ``reference``, ``classes``, ``decimals``). Without
        ``label``/``unit``, an indicator of a recomputed result or of the
        default catalogue gets the catalogue's French label and unit
        (« Population municipale », « habitants »), else the column name and
        no unit; the same holds for ``layers``.
    caption : Caption, str or list of str, optional
        The title above the map and the caption
        (:class:`~territobs.maps.layers.Caption`); text gives the caption
        lines. By default the lines are built from the provenance (read from
        ``gdf.attrs["territobs"]``, set by ``to_geodataframe`` and the
        readers, from ``{column}__source``/``{column}__vintage`` columns, or
        from the default catalogue: see
        :func:`~territobs.maps._describe.describe_column`), the estimated
        shares, how cut units were spread (``{column}__method`` when
        present), the number of secret, partial and missing zones, and the
        date.
    name_column : str, default "name"
        Zone names for tooltips (``zone_name`` is tried too); HTML in names is
        shown as text, never interpreted.
    code_column : str or None, default "code"
        Codes shown after the name when the column exists (``zone`` is tried
        too).
    tooltip_columns : sequence of str, optional
        Further columns shown as text in tooltips.
    layers : sequence of str or Layer, optional
        Further indicators, switchable with radio buttons.
    outlines : sequence of Outline, optional
        Other zonings drawn as outlines on top.
    points : sequence of Points, optional
        Point layers on top.
    tiles : Tiles, optional
        Base tiles (the file then needs a network); none by default.
    tolerance : float, optional
        Simplification tolerance in metres (default from the extent).
    background : str, default "#f4f4f0"
        Background colour of the map.
    margin : float, default 0
        Room left around the zones in the initial view, as a fraction of
        their extent (``0.15``: 15 % on each side), so that outlines around
        a single small zone show where it lies.
    back_link : str, optional
        Address (usually relative, ``"../../index.html"``) of a page the map
        belongs to: a discreet link to it is shown above the map, hidden
        when printing. None by default.
    back_label : str, default "← Retour à l'atlas"
        Text of that link.
    labels : bool, default True
        Write the names on the map, largest zones first, dropping those that
        would overlap or not fit their zone at the current zoom (they show
        up when zooming in); a « Noms » switch hides them.
    **deprecated
        The keywords taken before ``Layer`` and ``Caption`` (``column``,
        ``label``, ``unit``, ``scheme``, ``k``, ``breaks``, ``palette``,
        ``reference``, ``classes``, ``decimals``, ``title``, ``source``,
        ``vintage``, ``date``): same map, with a ``FutureWarning``; removed
        in the next release.

    Returns
    -------
    InteractiveMap

    Raises
    ------
    SourceFormatError
        A column is absent or not numeric.
    CRSError
        The layer has no CRS.
    GeometryError
        A row has no polygon.

    Notes
    -----
    Secret values (``{column}__secret`` True) are removed before the data
    is serialised: their value, numerator and denominator appear nowhere in
    the file. Numbers are shipped rounded (half away from zero) to the
    displayed decimals.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> gdf = gpd.GeoDataFrame(
    ...     {"name": ["A", "B"], "rate": [10.0, 20.0]},
    ...     geometry=[box(0, 45, 1, 46), box(1, 45, 2, 46)], crs=4326)
    >>> m = choropleth(gdf, Layer("rate", unit="%", k=2), caption=Caption("Taux"))
    >>> "<script src" in m.to_html()
    False
    """
    first, text = layer_and_caption("choropleth", layer, caption, deprecated)
    specs = _as_layers(first, layers)
    infos = [describe_column(gdf, spec.column) for spec in specs]
    prepared = [
        prepare_layer(gdf, with_defaults(spec, info))
        for spec, info in zip(specs, infos, strict=True)
    ]
    names_col = next((c for c in (name_column, "zone_name") if c in gdf.columns), None)
    codes_col = next((c for c in (code_column, "zone") if c and c in gdf.columns), None)
    if names_col is None:
        raise SourceFormatError(
            f"colonne des noms « {name_column} » absente (name_column=...).",
            column=name_column,
        )
    names = _text_column(gdf, names_col)
    if len(gdf) == 1:  # a locator map: the zone and its figure, no classes
        prepared = [single_zone(p, names[0]) for p in prepared]
    packed = geometry_memo(
        "pack",
        gdf.geometry,
        (tolerance,),
        lambda: pack_geometry(gdf.geometry, tolerance=tolerance, labels=names),
    )
    extra = []
    for col in tooltip_columns or ():
        if col not in gdf.columns:
            raise SourceFormatError(f"colonne « {col} » absente.", column=col)
        texts = _text_column(gdf, col)
        for row in np.flatnonzero(secret_mask(gdf, col)):
            texts[row] = "secret statistique"
        extra.append([col, texts])
    caption_lines = layer_caption(gdf, prepared[0], infos[0], caption=text)
    geom = _geom_payload(packed)
    # label anchors are geometry: shipped with it
    geom["lab"] = _labels_of(gdf.geometry) if labels else None
    payload = {
        "geom": geom,
        "names": names,
        "codes": _shown_codes(_text_column(gdf, codes_col)) if codes_col else None,
        "layers": [_layer_payload(p) for p in prepared],
        "extra": extra,
        "outlines": [
            _outline_payload(o, n, None) for n, o in enumerate(outlines or ())
        ],
        "points": [_points_payload(p, n) for n, p in enumerate(points or ())],
        "missing": MISSING_COLOR,
        "secret": SECRET_COLOR,
        "tiles": None if tiles is None else vars(tiles),
        "view": _widen(packed.bounds, margin) if margin > 0 else None,
    }
    check_link(back_link)
    html_text = _template().render(
        version=__version__,
        title=text.title,
        back_link=back_link,
        back_label=back_label,
        caption_lines=caption_lines,
        background=background,
        secret_color=SECRET_COLOR,
        leaflet_css=leaflet_css(),
        leaflet_js=leaflet_js(),
        runtime_js=_runtime_js(),
        payload=_script_json(payload),
    )
    return InteractiveMap(html_text, prepared, packed)
