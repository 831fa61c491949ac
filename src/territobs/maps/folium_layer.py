"""A recomputed indicator as a layer of the user's own ``folium.Map``.

territobs writes its own self-contained maps (:func:`territobs.maps.choropleth`)
and never needs folium. Users who already build their maps with folium add a
territobs result to them with :func:`to_folium_layer`: the same classes and
colours as territobs' maps, the four published states in the tooltips
(a secret value is never sent to the browser), and the source and vintage as
the layer's attribution. Install it with ``pip install "territobs[folium]"``.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from territobs.formatting import format_value
from territobs.schema import STATE_LABELS, figure_states

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from territobs.maps.classify import Classes

__all__ = ["to_folium_layer"]

#: Fill colour of zones without a published value (secret, missing).
NO_VALUE_COLOR = "#d9d9d9"


def _import_folium() -> Any:
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "folium n'est pas installé : installez-le avec "
            '« pip install "territobs[folium]" ».'
        ) from exc
    return folium


def to_folium_layer(
    result: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    indicator: str,
    *,
    classes: Classes | None = None,
    name: str | None = None,
    decimals: int = 1,
) -> folium.GeoJson:
    """Return one indicator of a result as a ``folium.GeoJson`` layer.

    Parameters
    ----------
    result : pandas.DataFrame
        Tidy result (:func:`territobs.recompute`, possibly through
        :func:`territobs.secrecy.apply_secrecy`).
    zones : geopandas.GeoDataFrame
        The zones of the result (``zone``, ``name``, geometry).
    indicator : str
        The indicator id to draw.
    classes : territobs.maps.Classes, optional
        Classes to colour by (default: :func:`territobs.maps.classify` on the
        published values, quantiles in 5 classes).
    name : str, optional
        Layer name in folium's layer control (default: the indicator label).
    decimals : int, default 1
        Decimals of the values in the tooltips.

    Returns
    -------
    folium.GeoJson
        Add it to a map with ``layer.add_to(m)``. Each feature carries
        ``zone``, ``name``, ``value`` (French text with the unit, or the
        state: « secret statistique », « donnée manquante », « partielle »)
        and ``color``; secret values are not in the layer at all.

    Raises
    ------
    KeyError
        If ``indicator`` is not in ``result`` (the message lists those present).
    ImportError
        If folium is not installed (``pip install "territobs[folium]"``).

    Examples
    --------
    >>> import folium  # doctest: +SKIP
    >>> m = folium.Map(location=[48.91, 2.48], zoom_start=11)  # doctest: +SKIP
    >>> to_folium_layer(result, zones, "population").add_to(m)  # doctest: +SKIP
    """
    folium = _import_folium()
    from territobs.maps.classify import classify

    rows = result[result["indicator"] == indicator]
    if rows.empty:
        present = sorted(result["indicator"].unique())
        raise KeyError(
            f"indicateur « {indicator} » absent du résultat ; indicateurs présents : "
            f"{', '.join(present)}."
        )
    states = figure_states(rows)
    published = rows["value"].where(states.isin(["value", "partial"]))
    unit = str(rows["unit"].iloc[0]) if "unit" in rows else None
    if classes is None:
        classes = classify(published.to_numpy(dtype=float), unit=unit)
    index = classes.assign(published.to_numpy(dtype=float))
    colors = np.where(
        index >= 0, np.asarray(classes.colors, dtype=object)[index], NO_VALUE_COLOR
    )
    texts = [
        _text(v, s, unit, decimals) for v, s in zip(published, states, strict=True)
    ]
    by_zone = pd.DataFrame(
        {"value": texts, "color": colors}, index=rows["zone"].astype(str).to_numpy()
    )
    frame = zones[["zone", "name", "geometry"]].to_crs(4326)
    frame = frame.assign(zone=frame["zone"].astype(str))
    frame = frame.join(by_zone, on="zone")
    # folium writes tooltip fields as HTML: names from data are escaped
    frame["name"] = frame["name"].astype(str).map(html.escape)
    frame["value"] = frame["value"].fillna(STATE_LABELS["missing"])
    frame["color"] = frame["color"].fillna(NO_VALUE_COLOR)
    label = str(rows["label"].iloc[0]) if "label" in rows else indicator
    source = ""
    if "source" in rows:
        vintages = rows["vintage"] if "vintage" in rows else [""] * len(rows)
        pairs = zip(rows["source"], vintages, strict=True)
        source = " ; ".join(dict.fromkeys(f"{s}, {v}".rstrip(", ") for s, v in pairs))
    return folium.GeoJson(
        frame.__geo_interface__,
        name=name or label,
        style_function=lambda feature: {
            "fillColor": feature["properties"]["color"],
            "color": "#555555",
            "weight": 0.6,
            "fillOpacity": 0.75,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "value"], aliases=["Zone", label], localize=False
        ),
        attribution=html.escape(f"Source : {source}") if source else None,
    )


def _text(value: float, state: str, unit: str | None, decimals: int) -> str:
    """Tooltip text of one figure: its value, or the word for its state."""
    if state == "value":
        return format_value(value, unit, decimals)
    if state == "partial":
        return f"{format_value(value, unit, decimals)} ({STATE_LABELS['partial']})"
    return STATE_LABELS[state]  # type: ignore[index]
