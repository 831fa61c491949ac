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

__all__ = ["centre_reference", "change_caption", "change_layer", "change_map"]


def _rows(table: pd.DataFrame, indicator: str) -> pd.DataFrame:
    rows = table[table["indicator"] == indicator]
    if rows.empty:
        raise MethodError(
            f"indicateur absent de l'évolution : « {indicator} » (présents : "
            f"{format_codes(list(dict.fromkeys(table['indicator'])))}).",
            codes=[indicator],
        )
    return rows


def centre_reference(
    table: pd.DataFrame, indicator: str, zone: str, *, annual: bool = False
) -> Reference:
    """Return the change of a reference territory, to centre a palette on.

    Parameters
    ----------
    table : pandas.DataFrame
        Evolution table holding a row of ``zone`` for ``indicator``.
    indicator : str
        Indicator id.
    zone : str
        Zone id of the reference territory (its département, the whole
        territory...).
    annual : bool, default False
        Take its annual average growth rate (a count's) instead of its change.

    Returns
    -------
    Reference
        Its change, labelled « l'évolution de référence (<name>) » (tooltips then say
        « Écart à l'évolution de référence (…) »).

    Raises
    ------
    MethodError
        ``zone`` has no row for ``indicator``, or its change is not published
        (secret or missing): the palette cannot be centred on it.

    Examples
    --------
    >>> ev = pd.DataFrame({"zone": ["93"], "zone_name": ["Seine-Saint-Denis"],
    ...     "indicator": ["share_75p"], "change": [2.3], "state": ["value"]})
    >>> centre_reference(ev, "share_75p", "93")
    Reference(value=2.3, label="l'évolution de référence (Seine-Saint-Denis)")
    """
    rows = _rows(table, indicator)
    own = rows[rows["zone"].astype(str) == str(zone)]
    if own.empty:
        raise MethodError(
            f"territoire de référence absent de l'évolution de « {indicator} » : "
            f"{format_codes([str(zone)])}.",
            codes=[str(zone)],
        )
    first = own.iloc[0]
    name = str(first.get("zone_name") or zone)
    state = str(first.get("state") or "value")
    change = float(first["annual_rate" if annual else "change"])
    if state not in ("value", "partial") or change != change:
        from territobs.schema import STATE_LABELS

        words = STATE_LABELS.get(state, "donnée manquante")  # type: ignore[call-overload]
        raise MethodError(
            f"l'évolution de « {name} » ({indicator}) n'est pas publiée ({words}) : "
            "la palette ne peut pas être centrée dessus.",
            codes=[str(zone)],
        )
    what = "le taux annuel moyen" if annual else "l'évolution"
    return Reference(change, f"{what} de référence ({name})")


def change_layer(
    table: pd.DataFrame,
    indicator: str,
    *,
    reference: float | Reference | None = None,
    palette: str = "PuOr",
    k: int = 6,
    annual: bool = False,
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
    annual : bool, default False
        Draw a count's annual average growth rate (in %) instead of its
        change.

    Returns
    -------
    Layer
        Label « Évolution de … entre 2015 et 2021 », unit ``points`` for
        rates and shares, the indicator's unit for counts.
    """
    rows = _rows(table, indicator)
    first = rows.iloc[0]
    what = "Taux de croissance annuel moyen" if annual else "Évolution"
    label = f"{what} : {first['label']}, de {int(first['start'])} à {int(first['end'])}"
    return Layer(
        column=indicator,
        label=label,
        unit="%" if annual else str(first["change_unit"]),
        scheme="quantiles",
        k=k,
        palette=palette,
        reference=(
            reference if reference is not None else Reference(0.0, "aucune évolution")
        ),
    )


def change_caption(
    table: pd.DataFrame, indicator: str, centre: Reference | None = None
) -> list[str]:
    """French caption lines saying how a change was computed.

    Parameters
    ----------
    table : pandas.DataFrame
        Evolution table.
    indicator : str
        Indicator id.
    centre : Reference, optional
        The reference change the palette is centred on
        (:func:`centre_reference`), said in the caption.

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
    if centre is not None:
        from territobs.formatting import format_difference

        if centre.label.startswith("le taux annuel"):
            value = format_difference(centre.value, None, 1) + "\xa0% par an"
        else:
            unit = (
                "%" if first["change_unit"] == "points" else str(first["change_unit"])
            )
            decimals = 1 if unit == "%" or abs(centre.value) < 100 else 0
            value = format_difference(centre.value, unit, decimals)
        lines.append(f"Couleurs centrées sur {centre.label} : {value} (et non sur 0).")
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
    centre: str | None = None,
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
    centre : str, optional
        Zone id of a reference territory whose row ``table`` holds (its
        département, the whole territory): the palette is centred on its
        change instead of 0, and the caption says so (« Couleurs centrées
        sur l'évolution de référence (Seine-Saint-Denis) : +2,3 points »). Its
        row is not drawn unless it is one of ``zones``. Overrides
        ``reference``. For a count, whose absolute changes differ with the
        zones' sizes, the map then shows the annual average growth rate,
        centred on the reference's (« +0,8 % par an »), the absolute change
        in the tooltips.
    **choropleth_kwds
        Passed to :func:`territobs.maps.choropleth` (``title``, ``back_link``...).

    Returns
    -------
    InteractiveMap
        A self-contained map; tooltips show both values and, for counts, the
        annual average growth rate.

    Raises
    ------
    MethodError
        The indicator is absent, or the ``centre`` territory is absent or its
        change is not published (:func:`centre_reference`).
    """
    from territobs.zoning.evolution import evolution_to_geodataframe

    annual = centre is not None and _rows(table, indicator)["kind"].iloc[0] == "count"
    if centre is not None:
        reference = centre_reference(table, indicator, centre, annual=annual)
        drawn = set(zones["zone"].astype(str))
        table = table[
            table["zone"].astype(str).isin(drawn)
            | (table["zone"].astype(str) != str(centre))
        ]
    rows = _rows(table, indicator)
    gdf = evolution_to_geodataframe(table, zones, [indicator])
    first = rows.iloc[0]
    start, end = int(first["start"]), int(first["end"])
    named = {
        f"{indicator}__start": f"{start}",
        f"{indicator}__end": f"{end}",
    }
    tooltips = list(named)
    if annual:  # the rate is drawn; the absolute change goes to the tooltips
        gdf[f"{indicator}__change"] = gdf[indicator]
        gdf[indicator] = gdf[f"{indicator}__annual_rate"]
        named[f"{indicator}__change"] = f"Évolution ({first['change_unit']})"
        tooltips.append(f"{indicator}__change")
    elif first["kind"] == "count":
        named[f"{indicator}__annual_rate"] = "Taux annuel moyen (%)"
        tooltips.append(f"{indicator}__annual_rate")
    gdf = gdf.rename(columns=named)
    # the secrecy flag of the change also hides both values in tooltips
    for column in named.values():
        gdf[f"{column}__secret"] = gdf[f"{indicator}__secret"]
    caption = Caption.of(choropleth_kwds.pop("caption", None))
    if caption.lines is None:
        lines = change_caption(
            table,
            indicator,
            reference if centre is not None else None,  # type: ignore[arg-type]
        )
        caption = replace(caption, lines=tuple(lines))
    if "title" in choropleth_kwds:  # a field of the Caption
        caption = replace(caption, title=choropleth_kwds.pop("title"))
    choropleth_kwds.setdefault("code_column", None)
    return choropleth(
        gdf,
        change_layer(
            table, indicator, reference=reference, palette=palette, k=k, annual=annual
        ),
        caption=caption,
        tooltip_columns=[named[c] for c in tooltips],
        **choropleth_kwds,
    )
