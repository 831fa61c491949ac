"""Draw the maps of one zoning × indicator for the atlas (HTML, PNG, PDF, SVG).

A thin layer over :mod:`territobs.maps`: it widens the secured result onto
the zone geometries, computes the classes (shared across the atlas when
asked, so the same colour means the same value on every zoning) and writes
every format atomically.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from territobs.atlas.cache import atomic_path, atomic_write_text
from territobs.atlas.config import MapOptions
from territobs.errors import TerritobsWarning

__all__ = ["draw_maps", "map_layer", "shared_classes"]


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
        ``{indicator}__estimated_share``, geometry (secret values NaN).
    """
    import geopandas as gpd

    rows = result[result["indicator"] == indicator].set_index("zone")
    layer = zones[["zone", "name", "geometry"]].copy()
    keys = layer["zone"].astype(str)
    secret = rows["secret"].astype(bool).reindex(keys).fillna(False).to_numpy()
    values = rows["value"].astype(float).reindex(keys).to_numpy()
    layer[indicator] = np.where(secret, np.nan, values)
    layer[f"{indicator}__secret"] = secret
    layer[f"{indicator}__estimated_share"] = (
        rows["estimated_share"].astype(float).reindex(keys).fillna(0.0).to_numpy()
    )
    return gpd.GeoDataFrame(layer, geometry="geometry", crs=zones.crs)


def _meta(result: pd.DataFrame, indicator: str) -> dict[str, str]:
    rows = result[result["indicator"] == indicator]
    if not len(rows):
        return {"label": indicator, "unit": "", "source": "", "vintage": ""}
    first = rows.iloc[0]
    return {
        k: str(first.get(k, "") or "") for k in ("label", "unit", "source", "vintage")
    }


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
        options.scheme,
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

    Returns
    -------
    dict of str to pathlib.Path
        Format → file written.

    Warns
    -----
    TerritobsWarning
        When static formats are asked but ``territobs.maps.static_map`` is not
        available (the HTML map is still written).
    """
    from territobs.maps.interactive import choropleth

    meta = _meta(result, indicator)
    layer = map_layer(result, zones, indicator)
    classes = None
    if options.shared_breaks and shared:
        classes = shared_classes([result, *shared], indicator, options)
    common = {
        "label": meta["label"],
        "unit": meta["unit"] or None,
        "scheme": options.scheme,
        "k": options.k,
        "breaks": list(options.breaks) or None,
        "palette": options.palette,
        "classes": classes,
    }
    heading = f"{meta['label']} – {title}" if title else meta["label"]
    files: dict[str, Path] = {}
    if "html" in options.formats:
        chart = choropleth(
            layer,
            indicator,
            **common,
            name_column="name",
            code_column="zone",
            title=heading,
            source=meta["source"] or None,
            vintage=meta["vintage"] or None,
        )
        files["html"] = folder / f"{indicator}.html"
        atomic_write_text(files["html"], chart.to_html())
    static = [f for f in ("png", "pdf", "svg") if f in options.formats]
    if static:
        files.update(_static(layer, indicator, common, heading, meta, folder, static))
    return files


def _static(
    layer: Any,
    indicator: str,
    common: dict[str, Any],
    heading: str,
    meta: dict[str, str],
    folder: Path,
    formats: list[str],
) -> dict[str, Path]:
    try:
        from territobs.maps import static_map
    except ImportError:
        warnings.warn(
            TerritobsWarning(
                "cartes statiques (PNG, PDF, SVG) non produites : "
                "territobs.maps.static_map n'est pas disponible"
            ),
            stacklevel=2,
        )
        return {}
    import matplotlib.pyplot as plt

    figure = static_map(
        layer,
        indicator,
        **common,
        title=heading,
        source=meta["source"] or None,
        vintage=meta["vintage"] or None,
    )
    figure = getattr(figure, "figure", figure)
    files = {}
    try:
        for fmt in formats:
            files[fmt] = folder / f"{indicator}.{fmt}"
            with atomic_path(files[fmt]) as temp:
                figure.savefig(temp, format=fmt, dpi=150, bbox_inches="tight")
    finally:
        plt.close(figure)
    return files
