"""Maps of change between two vintages: a diverging palette centred on 0.

The evolution table (:func:`territobs.zoning.evolution.evolution`) is widened
with the zones' outlines and drawn by :func:`~territobs.maps.choropleth`: the
palette diverges around « aucune évolution » (or around a reference
territory's own change), the caption names both vintages and the geography
they were brought to, and each tooltip shows the two values.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from territobs.errors import MethodError, format_codes
from territobs.maps.interactive import InteractiveMap, choropleth
from territobs.maps.layers import Caption, Layer, Reference

__all__ = ["change_caption", "change_layer", "change_map"]


def _rows(table: pd.DataFrame, indicator: str) -> pd.DataFrame:
    rows = table[table["indicator"] == indicator]
    if rows.empty:
        raise MethodError(
            f"indicateur absent de l'évolution : « {indicator} » (présents : "
            f"{format_codes(list(dict.fromkeys(table['indicator'])))}).",
            codes=[indicator],
        )
    return rows


def change_layer(
    table: pd.DataFrame,
    indicator: str,
    *,
    reference: float | Reference | None = None,
    palette: str = "PuOr",
    k: int = 6,
) -> Layer:
    """Describe how to draw the change of one indicator.

    Parameters
    ----------
    table : pandas.DataFrame
        Evolution table (:func:`territobs.zoning.evolution.evolution`).
    indicator : str
        Indicator id.
    reference : float or Reference, optional
        What the palette diverges around: default 0, « aucune évolution »;
        give a reference territory's own change to show gaps to it.
    palette : str, default "PuOr"
        Diverging palette (:data:`territobs.maps.palettes.DIVERGING`).
    k : int, default 6
        Number of classes.

    Returns
    -------
    Layer
        Label « Évolution de … entre 2015 et 2021 », unit ``points`` for
        rates and shares, the indicator's unit for counts.
    """
    rows = _rows(table, indicator)
    first = rows.iloc[0]
    label = (
        f"Évolution : {first['label']}, de {int(first['start'])} à {int(first['end'])}"
    )
    return Layer(
        column=indicator,
        label=label,
        unit=str(first["change_unit"]),
        scheme="quantiles",
        k=k,
        palette=palette,
        reference=(
            reference if reference is not None else Reference(0.0, "aucune évolution")
        ),
    )


def change_caption(table: pd.DataFrame, indicator: str) -> list[str]:
    """French caption lines saying how a change was computed.

    Parameters
    ----------
    table : pandas.DataFrame
        Evolution table.
    indicator : str
        Indicator id.

    Returns
    -------
    list of str
        Source, both vintages and the geography, the method (rates as
        differences of recomputed rates, in points), estimation and secrecy.
    """
    rows = _rows(table, indicator)
    first = rows.iloc[0]
    start, end = int(first["start"]), int(first["end"])
    where = str(first.get("geography") or "").strip()
    lines = [f"Source : {first['source']}, millésimes {start} et {end}."]
    lines.append(
        "Les deux millésimes sont ramenés à la même géographie"
        + (f" ({where})." if where else ".")
    )
    if first["change_unit"] == "points":
        lines.append(
            "Évolution en points : différence des deux taux, chacun recalculé "
            "sur la zone (somme des numérateurs / somme des dénominateurs)."
        )
    elif first["kind"] == "count":
        lines.append(
            "Évolution absolue ; le taux de croissance annuel moyen est "
            "donné dans l'infobulle."
        )
    share = float(rows["estimated_share"].max())
    if share > 0:
        lines.append(
            f"Valeurs estimées pour les unités coupées par une zone : jusqu'à "
            f"{round(100 * share)} % de la valeur."
        )
    n_secret = int(rows["secret"].sum())
    if n_secret:
        lines.append(
            f"{n_secret} zone{'s' if n_secret > 1 else ''} sous secret "
            "statistique (une des deux valeurs est secrète)."
        )
    n_missing = int((rows["state"] == "missing").sum())
    if n_missing:
        lines.append(
            f"{n_missing} zone{'s' if n_missing > 1 else ''} sans donnée à l'un "
            "des deux millésimes (donnée manquante)."
        )
    return lines


def change_map(
    table: pd.DataFrame,
    zones: pd.DataFrame,
    indicator: str,
    *,
    reference: float | Reference | None = None,
    palette: str = "PuOr",
    k: int = 6,
    **choropleth_kwds: Any,
) -> InteractiveMap:
    """Draw the change of one indicator between two vintages on zones.

    Parameters
    ----------
    table : pandas.DataFrame
        Evolution table (:func:`territobs.zoning.evolution.evolution`).
    zones : geopandas.GeoDataFrame
        The zones, with ``zone``, ``name`` and ``geometry``.
    indicator : str
        Indicator id.
    reference, palette, k
        See :func:`change_layer`.
    **choropleth_kwds
        Passed to :func:`territobs.maps.choropleth` (``title``, ``back_link``...).

    Returns
    -------
    InteractiveMap
        A self-contained map; tooltips show both values and, for counts, the
        annual average growth rate.
    """
    from territobs.zoning.evolution import evolution_to_geodataframe

    rows = _rows(table, indicator)
    gdf = evolution_to_geodataframe(table, zones, [indicator])
    first = rows.iloc[0]
    start, end = int(first["start"]), int(first["end"])
    named = {
        f"{indicator}__start": f"{start}",
        f"{indicator}__end": f"{end}",
    }
    tooltips = list(named)
    if first["kind"] == "count":
        named[f"{indicator}__annual_rate"] = "Taux annuel moyen (%)"
        tooltips.append(f"{indicator}__annual_rate")
    gdf = gdf.rename(columns=named)
    # the secrecy flag of the change also hides both values in tooltips
    for column in named.values():
        gdf[f"{column}__secret"] = gdf[f"{indicator}__secret"]
    caption = Caption.of(choropleth_kwds.pop("caption", None))
    if caption.lines is None:
        caption = replace(caption, lines=tuple(change_caption(table, indicator)))
    if "title" in choropleth_kwds:  # a field of the Caption
        caption = replace(caption, title=choropleth_kwds.pop("title"))
    choropleth_kwds.setdefault("code_column", None)
    return choropleth(
        gdf,
        change_layer(table, indicator, reference=reference, palette=palette, k=k),
        caption=caption,
        tooltip_columns=[named[c] for c in tooltips],
        **choropleth_kwds,
    )
