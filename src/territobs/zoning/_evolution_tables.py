"""Renderings of an evolution table, and the state of a change.

The wide French sheet of an evolution table (:func:`evolution_sheet`), the
one-row-per-zone frame with geometries a change map draws
(:func:`evolution_to_geodataframe`), the French words of states
(:func:`state_words`) and the state of a change from its two ends. Every
public name is re-exported by :mod:`territobs.zoning.evolution` (import them
from there).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from territobs.errors import MethodError, format_codes

__all__ = ["evolution_sheet", "evolution_to_geodataframe", "state_words"]

_COMBINED_ORDER = ("secret", "missing", "partial", "value")


def _combined_state(first: pd.Series, last: pd.Series) -> pd.Series:
    """Return the more severe state of two ends (secret > missing > partial)."""
    rank = {s: i for i, s in enumerate(_COMBINED_ORDER)}
    a = first.map(rank).to_numpy()
    b = last.map(rank).to_numpy()
    worst = np.minimum(a, b)
    return pd.Series(np.asarray(_COMBINED_ORDER)[worst], index=first.index)


def state_words(table: pd.DataFrame) -> pd.Series:
    """French state of each row of an evolution table, for written tables.

    The words of :func:`territobs.schema.state_words`, read from the table's
    combined ``state`` (an evolution table has no ``value`` to derive it from).

    Examples
    --------
    >>> state_words(pd.DataFrame({"state": ["value", "secret"]})).tolist()
    ['valeur', 'secret statistique']
    """
    from territobs.schema import STATE_WORDS, STATE_WORDS_COLUMN

    return table["state"].map(STATE_WORDS).rename(STATE_WORDS_COLUMN)


def evolution_sheet(table: pd.DataFrame) -> pd.DataFrame:
    """French table of an evolution: both vintages, the change, the states.

    What the atlas and ``territobs evolution`` write to spreadsheets: one row
    per zone × indicator with French headers naming the vintages.

    Parameters
    ----------
    table : pandas.DataFrame
        Evolution table (:data:`EVOLUTION_COLUMNS`), not empty.

    Returns
    -------
    pandas.DataFrame
        Columns « Zone », « Nom », « Indicateur », « Unité », « Valeur 2015 »,
        « Valeur 2021 », « Évolution 2015-2021 », « Unité de l'évolution »,
        « Taux de croissance annuel moyen (%) », « État » (of the change),
        « État 2015 », « État 2021 », « Couverture », « Secret statistique »,
        « Géographie », « Source ».

    Examples
    --------
    >>> ev = pd.DataFrame({"zone": ["a"], "zone_name": ["A"], "label": ["Pop."],
    ...     "unit": ["habitants"], "start": [2015], "end": [2021],
    ...     "value_start": [100.0], "value_end": [121.0], "change": [21.0],
    ...     "change_unit": ["habitants"], "annual_rate": [3.2], "state": ["value"],
    ...     "state_start": ["value"], "state_end": ["partial"],
    ...     "coverage_label": ["2021 : 3 IRIS sur 4"], "secret_reason": [""],
    ...     "geography": ["IRIS 2021"], "source": ["INSEE"]})
    >>> sheet = evolution_sheet(ev)
    >>> sheet[["Valeur 2015", "Évolution 2015-2021", "État 2021"]]
       Valeur 2015  Évolution 2015-2021  État 2021
    0        100.0                 21.0  partielle
    """
    start, end = int(table["start"].iloc[0]), int(table["end"].iloc[0])
    ends = {
        f"État {year}": state_words(
            pd.DataFrame({"state": table.get(f"state_{which}", table["state"])})
        ).to_numpy()
        for year, which in ((start, "start"), (end, "end"))
    }
    return pd.DataFrame(
        {
            "Zone": table["zone"],
            "Nom": table["zone_name"],
            "Indicateur": table["label"],
            "Unité": table["unit"],
            f"Valeur {start}": table["value_start"],
            f"Valeur {end}": table["value_end"],
            f"Évolution {start}-{end}": table["change"],
            "Unité de l'évolution": table["change_unit"],
            "Taux de croissance annuel moyen (%)": table["annual_rate"],
            "État": state_words(table).to_numpy(),
            **ends,
            "Couverture": table["coverage_label"],
            "Secret statistique": table["secret_reason"],
            "Géographie": table["geography"],
            "Source": table["source"],
        }
    )


def evolution_to_geodataframe(
    table: pd.DataFrame, zones: pd.DataFrame, indicators: Sequence[str] | None = None
) -> gpd.GeoDataFrame:
    """Widen an evolution table: one change column per indicator, with geometry.

    Parameters
    ----------
    table : pandas.DataFrame
        Result of :func:`evolution` or :func:`evolution_from_results`.
    zones : pandas.DataFrame or geopandas.GeoDataFrame
        Zones with ``zone``, ``name`` and ``geometry``.
    indicators : sequence of str, optional
        Indicator ids to keep (default: all, in table order).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per zone (in ``zones`` order): ``zone``, ``name``, then for
        each indicator ``{id}`` (the change, NaN unless its state is a value
        or partial), ``{id}__secret``, ``{id}__state``,
        ``{id}__estimated_share``, ``{id}__start`` and ``{id}__end`` (the two
        values), ``{id}__annual_rate``, then ``geometry``. It can be drawn
        with :func:`territobs.maps.change_map` or any choropleth.

    Raises
    ------
    MethodError
        An asked indicator is absent, or zones of the table are absent from
        ``zones``.
    """
    available = list(dict.fromkeys(table["indicator"]))
    wanted = list(indicators) if indicators is not None else available
    absent = [i for i in wanted if i not in available]
    unknown = sorted(set(table["zone"]) - set(zones["zone"]))
    if absent or unknown:
        what = absent or unknown
        raise MethodError(
            (
                f"indicateurs absents de l'évolution : {format_codes(absent)}."
                if absent
                else f"zones absentes de la table des zones : {format_codes(unknown)}."
            ),
            codes=list(what),
        )
    rows = table[table["indicator"].isin(wanted)]
    wide = rows.pivot(
        index="zone",
        columns="indicator",
        values=[
            "change",
            "secret",
            "state",
            "estimated_share",
            "value_start",
            "value_end",
            "annual_rate",
        ],
    )
    columns: dict[str, pd.Series] = {}
    for ident in wanted:
        columns[ident] = wide[("change", ident)].astype(float)
        columns[f"{ident}__secret"] = wide[("secret", ident)].astype(bool)
        columns[f"{ident}__state"] = wide[("state", ident)].astype(str)
        columns[f"{ident}__estimated_share"] = wide[("estimated_share", ident)].astype(
            float
        )
        columns[f"{ident}__start"] = wide[("value_start", ident)].astype(float)
        columns[f"{ident}__end"] = wide[("value_end", ident)].astype(float)
        columns[f"{ident}__annual_rate"] = wide[("annual_rate", ident)].astype(float)
    values = pd.DataFrame(columns).reindex(pd.Index(zones["zone"], name="zone"))
    names = zones["name"] if "name" in zones.columns else zones["zone"]
    base = pd.DataFrame({"zone": zones["zone"].to_numpy(), "name": names.to_numpy()})
    frame = pd.concat([base, values.reset_index(drop=True)], axis=1)
    geometry = (
        zones["geometry"].to_numpy()
        if "geometry" in zones.columns
        else np.full(len(zones), None, dtype=object)
    )
    out = gpd.GeoDataFrame(frame, geometry=geometry, crs=getattr(zones, "crs", None))
    out.attrs["territobs"] = dict(table.attrs.get("territobs", {}))
    return out
