"""Draw the maps of one zoning × indicator for the atlas (HTML, PNG, PDF, SVG).

A thin layer over :mod:`territobs.maps`: it widens the secured result onto
the zone geometries (:func:`territobs.zoning.result.to_geodataframe`),
computes the classes (shared across the atlas when asked, so the same colour
means the same value on every zoning), writes the caption (sources and
vintages in French), draws the unit outlines around the zones so that a
single zone shows where it sits, and writes every format atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from territobs.atlas.cache import atomic_path, atomic_write_text
from territobs.atlas.config import MapOptions
from territobs.formatting import count_of
from territobs.maps.caption import is_year_list, vintage_line
from territobs.maps.classify import Scheme
from territobs.maps.layers import Caption, Layer

__all__ = [
    "draw_maps",
    "map_caption",
    "map_layer",
    "shared_classes",
]

#: Room left around the zones when unit outlines situate them (share of the
#: zones' extent on each side).
_CONTEXT_MARGIN = 0.15

#: Colour of the unit outlines drawn around the zones (grey, under the
#: highlight of the hovered zone).
_OUTLINE_COLOR = "#666666"

#: Colour of the project zones (atlas key ``outline``) drawn over a map.
_PROJECT_COLOR = "#d55e00"


def map_layer(result: pd.DataFrame, zones: pd.DataFrame, indicator: str) -> Any:
    """Widen one indicator of a secured result onto the zone geometries.

    Parameters
    ----------
    result : pandas.DataFrame
        Secured tidy result of one zoning.
    zones : geopandas.GeoDataFrame
        Its zones (``zone``, ``name``, ``geometry``).
    indicator : str
        The indicator mapped.

    Returns
    -------
    geopandas.GeoDataFrame
        ``zone``, ``name``, ``{indicator}``, ``{indicator}__secret``,
        ``{indicator}__estimated_share``, geometry (secret values NaN), one
        row per zone in ``zones`` order; a zone without a result row has a
        NaN value, not secret, nothing estimated.

    Notes
    -----
    Rows of zones absent from ``zones`` are left out (a stale cache, a result
    holding other zonings): :func:`territobs.zoning.result.to_geodataframe`
    refuses them.
    """
    from territobs.zoning.result import to_geodataframe

    known = set(zones["zone"].astype(str))
    rows = result[
        (result["indicator"] == indicator) & result["zone"].astype(str).isin(known)
    ]
    rows = rows.assign(zone=rows["zone"].astype(str))
    zones = zones.assign(zone=zones["zone"].astype(str))
    if rows.empty:  # the indicator has no row: every zone without a value
        rows = pd.DataFrame(
            {
                "zone": zones["zone"].to_numpy(),
                "indicator": indicator,
                "value": np.nan,
                "estimated_share": 0.0,
                "secret": False,
            }
        )
    layer = to_geodataframe(rows, zones, [indicator])
    secret = f"{indicator}__secret"
    share = f"{indicator}__estimated_share"
    layer[secret] = layer[secret].astype("boolean").fillna(False).astype(bool)
    layer[share] = layer[share].astype(float).fillna(0.0)
    return _with_states(layer, rows, indicator)


def _with_states(layer: Any, rows: pd.DataFrame, indicator: str) -> Any:
    """Add ``{indicator}__state`` and ``{indicator}__coverage_label`` to a layer.

    States come from :func:`territobs.schema.figure_states` (the result's
    ``state`` column, or derived for older results); a zone without a row is
    ``missing``.
    """
    from territobs.schema import COVERAGE_LABEL, figure_states

    if "value" not in rows.columns or "secret" not in rows.columns:
        return layer
    states = pd.Series(figure_states(rows).to_numpy(), index=rows["zone"].to_numpy())
    coverage = (
        pd.Series(
            rows[COVERAGE_LABEL].fillna("").astype(str).to_numpy(),
            index=rows["zone"].to_numpy(),
        )
        if COVERAGE_LABEL in rows.columns
        else pd.Series(dtype=object)
    )
    zones = layer["zone"].astype(str)
    layer[f"{indicator}__state"] = zones.map(states).fillna("missing").to_numpy()
    layer[f"{indicator}__coverage_label"] = [
        "" if pd.isna(text) else str(text) for text in zones.map(coverage)
    ]
    return layer


def _meta(result: pd.DataFrame, indicator: str) -> dict[str, str]:
    rows = result[result["indicator"] == indicator]
    keys = ("label", "unit", "source", "vintage", "approximation")
    if not len(rows):
        return dict.fromkeys(keys, "") | {"label": indicator}
    first = rows.iloc[0]
    return {k: _text(first.get(k, "")) for k in keys}


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def map_caption(
    result: pd.DataFrame,
    layer: Any,
    indicator: str,
    note: str | None = None,
    *,
    units: str | None = "commune",
    unit_map: bool = False,
) -> list[str]:
    """Return the French caption lines of one atlas map.

    Built by :func:`territobs.maps.caption.make_caption` from the result's
    source, vintage and approximation and the layer's estimated shares and
    secret zones. A vintage that is a year (``2021``) reads « millésime
    2021 » after the source; a vintage written as text (the demo data's
    « Population municipale : millésime 2017 ; contours : COG 2024 ; liste
    des communes : COG 2025 ») gets its own line right after it.

    Parameters
    ----------
    result : pandas.DataFrame
        Secured tidy result.
    layer : geopandas.GeoDataFrame
        The map layer of :func:`map_layer`.
    indicator : str
        Indicator id.
    note : str, optional
        A further line (zones only partly in the data).
    units : str, optional
        Level of the units the zones are made of (method line).
    unit_map : bool, default False
        The map shows the units themselves (figures as published).

    Returns
    -------
    list of str
    """
    from territobs.maps.caption import make_caption

    meta = _meta(result, indicator)
    vintage = meta["vintage"]
    year = vintage if is_year_list(vintage) else None
    column = f"{indicator}__state"
    states = layer[column] if column in layer.columns else pd.Series([], dtype=object)
    lines = make_caption(
        source=meta["source"] or None,
        vintage=year,
        estimated_share=layer[f"{indicator}__estimated_share"].to_numpy(float),
        approximation=meta["approximation"] or None,
        secret_count=int(layer[f"{indicator}__secret"].sum()),
        note=note,
        method=result.loc[result["indicator"] == indicator, "method"],
        units=units,
        partial_count=int((states == "partial").sum()),
        missing_count=int((states == "missing").sum()),
        approximated=bool(meta["approximation"]),
        unit_map=unit_map,
    )
    if vintage and year is None:
        lines.insert(1 if meta["source"] else 0, vintage_line(vintage))
    return lines


def shared_classes(
    results: Sequence[pd.DataFrame], indicator: str, options: MapOptions
) -> Any:
    """Classes computed on the published values of every zoning at once.

    Parameters
    ----------
    results : sequence of DataFrame
        Secured results of the zonings that map ``indicator``.
    indicator : str
        The indicator.
    options : MapOptions
        Scheme, number of classes, breaks, palette.

    Returns
    -------
    territobs.maps.classify.Classes
    """
    from territobs.maps.classify import classify

    values = []
    for result in results:
        rows = result[result["indicator"] == indicator]
        secret = rows["secret"].astype(bool).to_numpy()
        values.append(np.where(secret, np.nan, rows["value"].astype(float)))
    unit = _meta(results[0], indicator)["unit"] or None
    return classify(
        np.concatenate(values) if values else np.array([]),
        cast(Scheme, options.scheme),  # checked by the config
        options.k,
        breaks=list(options.breaks) or None,
        palette=options.palette,
        unit=unit,
    )


def draw_maps(
    result: pd.DataFrame,
    zones: pd.DataFrame,
    indicator: str,
    *,
    options: MapOptions,
    folder: Path,
    shared: Sequence[pd.DataFrame] = (),
    title: str | None = None,
    outlines: tuple[Any, str] | None = None,
    partial: Sequence[str] = (),
    back_link: str | None = None,
    units: str | None = "commune",
    projects: Sequence[tuple[Any, str]] = (),
    units_map: bool = False,
    locator: Any = None,
) -> dict[str, Path]:
    """Draw ``indicator`` on ``zones`` in every format of ``options``.

    Parameters
    ----------
    result : pandas.DataFrame
        Secured tidy result of the zoning.
    zones : geopandas.GeoDataFrame
        The zones.
    indicator : str
        Indicator id.
    options : MapOptions
        Classification and formats.
    folder : pathlib.Path
        Where ``<indicator>.<format>`` files go.
    shared : sequence of DataFrame, optional
        Results of the other zonings sharing the classes (with
        ``options.shared_breaks``).
    title : str, optional
        Zoning label, shown in the map title.
    outlines : tuple of (GeoDataFrame, str), optional
        Unit outlines drawn on top to situate the zones (frame, French label
        such as « Communes »).
    partial : sequence of str, optional
        Zones only partly in the data (an EPCI « partie Ain »): drawn, but
        left out of the classes, so that a fragment never sets the legend,
        and named in the caption.
    back_link : str, optional
        Relative address of the atlas index: the interactive map gets a
        « ← Retour à l'atlas » link (``back_link`` of
        :func:`territobs.maps.interactive.choropleth`).
    units : str, optional
        Level of the units the zones are made of, named by the caption's
        method line (« zones formées d'IRIS entiers »).
    projects : sequence of (GeoDataFrame, str), optional
        Zones of other zonings (a PST) drawn as thick named outlines on top
        (atlas key ``outline``).
    units_map : bool, default False
        The zones are the units themselves (caption: figures as published).
    locator : GeoDataFrame, optional
        The départements the zones lie in (``code``, ``name``): the locator
        inset of the print layouts (PDF, SVG).

    Returns
    -------
    dict of str to pathlib.Path
        Format → file written.
    """
    from territobs.maps.interactive import Outline, choropleth

    meta = _meta(result, indicator)
    layer = map_layer(result, zones, indicator)
    drawn = set(layer["zone"])  # once: not rebuilt for every partial zone
    partial = [z for z in map(str, partial) if z in drawn]
    note = None
    if partial:
        note = (
            f"{count_of(len(partial), 'zone')} en partie hors des données de "
            "l'atlas (« partie … ») : valeur de la seule partie couverte, hors "
            "du calcul des classes."
        )
    caption = map_caption(
        result, layer, indicator, note=note, units=units, unit_map=units_map
    )
    classes = None
    whole = result[~result["zone"].astype(str).isin(partial)] if partial else result
    if options.shared_breaks and shared:
        classes = shared_classes([whole, *shared], indicator, options)
    elif partial:
        classes = shared_classes([whole], indicator, options)
    spec = Layer(
        indicator,
        label=meta["label"],
        unit=meta["unit"] or None,
        scheme=cast(Scheme, options.scheme),  # checked by the config
        k=options.k,
        breaks=list(options.breaks) or None,
        palette=options.palette,
        classes=classes,
    )
    # room around the zones, so that the unit outlines situate them
    margin = _CONTEXT_MARGIN if outlines is not None else 0.0
    heading = f"{meta['label']} – {title}" if title else meta["label"]
    files: dict[str, Path] = {}
    if "html" in options.formats:
        chart = choropleth(
            layer,
            spec,
            caption=Caption(heading, tuple(caption)),
            margin=margin,
            name_column="name",
            code_column="zone",
            back_link=back_link,
            outlines=[
                *(
                    []
                    if outlines is None
                    else [
                        Outline(
                            outlines[0],
                            outlines[1],
                            color=_OUTLINE_COLOR,
                            weight=1,
                            name_column="name",
                        )
                    ]
                ),
                *(
                    Outline(
                        frame, label, color=_PROJECT_COLOR, weight=3, name_column="name"
                    )
                    for frame, label in projects
                ),
            ],
        )
        files["html"] = folder / f"{indicator}.html"
        atomic_write_text(files["html"], chart.to_html())
    static = [f for f in ("png",) if f in options.formats]
    if static:
        files.update(
            _static(
                layer,
                spec,
                margin,
                heading,
                caption,
                outlines,
                folder,
                static,
                projects,
            )
        )
    prints = [f for f in ("pdf", "svg") if f in options.formats]
    if prints:
        files.update(
            _prints(
                layer,
                spec,
                margin,
                (meta["label"], title),
                caption,
                (outlines, projects, locator),
                folder,
                prints,
                options,
            )
        )
    return files


def _static(
    layer: Any,
    spec: Layer,
    margin: float,
    heading: str,
    caption: list[str],
    outlines: tuple[Any, str] | None,
    folder: Path,
    formats: list[str],
    projects: Sequence[tuple[Any, str]] = (),
) -> dict[str, Path]:
    import matplotlib.pyplot as plt

    from territobs.maps import static_map

    figure = static_map(
        layer,
        spec,
        caption=Caption(heading, tuple(caption)),
        margin=margin,
        outlines=None if outlines is None else [outlines],
        projects=list(projects),
    )
    figure = getattr(figure, "figure", figure)
    from territobs.maps.static import file_metadata

    files = {}
    try:
        for fmt in formats:
            files[fmt] = folder / f"{spec.column}.{fmt}"
            with atomic_path(files[fmt]) as temp:
                figure.savefig(
                    temp,
                    format=fmt,
                    dpi=150,
                    bbox_inches="tight",
                    metadata=file_metadata(fmt),
                )
    finally:
        plt.close(figure)
    return files


def _prints(
    layer: Any,
    spec: Layer,
    margin: float,
    heading: tuple[str, str | None],
    caption: list[str],
    overlays: tuple[Any, Sequence[tuple[Any, str]], Any],
    folder: Path,
    formats: Sequence[str],
    options: MapOptions,
) -> dict[str, Path]:
    """Write the PDF/SVG print layouts (A4 or A3, scale, north, locator)."""
    from territobs.maps.layout import print_map, save_print

    outlines, projects, locator = overlays
    label = None
    if locator is not None and len(locator):
        label = ", ".join(str(n) for n in locator["name"])
    figure = print_map(
        layer,
        spec,
        caption=Caption(heading[0], tuple(caption)),
        paper=options.paper,  # type: ignore[arg-type]
        orientation=options.orientation,  # type: ignore[arg-type]
        subtitle=heading[1],
        outlines=None if outlines is None else [outlines],
        projects=list(projects),
        locator=locator,
        locator_label=label,
        margin=margin or 0.04,
    )
    files = {}
    try:
        for fmt in formats:
            files[fmt] = folder / f"{spec.column}.{fmt}"
            with atomic_path(files[fmt]) as temp:
                save_print(figure, temp)
    finally:
        figure.clear()
    return files
