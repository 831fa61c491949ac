"""Work with the tidy result of :func:`~territobs.zoning.recompute.recompute`.

The result stays a plain :class:`pandas.DataFrame` (one row per zone ×
indicator). This module widens it with the zone geometry
(:func:`to_geodataframe`), summarises it per indicator (:func:`summarize`) and
formats it for notebooks (:func:`style_result`, :func:`result_html`): French
number formatting, estimated values marked ``≈``, secret cells shown as
« secret ».
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from territobs.errors import MethodError, ZoneError, format_codes
from territobs.formatting import count_of as _count_of
from territobs.formatting import decimals_for
from territobs.formatting import format_number as _format_number

__all__ = [
    "format_number",
    "result_html",
    "style_result",
    "summarize",
    "to_geodataframe",
]

_NEEDED = ("zone", "indicator", "value", "estimated_share", "secret")


def _check_result(result: pd.DataFrame, needed: Sequence[str] = _NEEDED) -> None:
    missing = [c for c in needed if c not in result.columns]
    if missing:
        raise MethodError(
            "ce tableau n'est pas un résultat de recompute : "
            + (
                f"colonne {format_codes(missing)} absente."
                if len(missing) == 1
                else f"colonnes {format_codes(missing)} absentes."
            ),
            column=missing[0],
        )


def _published_values(result: pd.DataFrame) -> pd.Series:
    """Values with secret cells blanked (NaN): secret values are never written."""
    return result["value"].where(~result["secret"].astype(bool))


def to_geodataframe(
    result: pd.DataFrame,
    zones: pd.DataFrame,
    indicators: Sequence[str] | None = None,
    *,
    unit_level: str | None = None,
) -> gpd.GeoDataFrame:
    """Widen a tidy result: one column per indicator, with the zone geometry.

    Parameters
    ----------
    result : pandas.DataFrame
        Tidy result of :func:`~territobs.zoning.recompute.recompute` (possibly
        passed through :func:`territobs.secrecy.apply_secrecy`).
    zones : pandas.DataFrame or geopandas.GeoDataFrame
        Zones with ``zone``, ``name`` and ``geometry`` (the geometry may be
        missing; the CRS is kept).
    indicators : sequence of str, optional
        Indicator ids to keep, in this order (default: all, in result order).
    unit_level : str, optional
        Level of the units the zones are made of (``iris``, ``commune``):
        written in ``{id}__units`` so that map captions name it, even read
        back from a GeoPackage.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per zone (in ``zones`` order): ``zone``, ``name``, then for
        each indicator ``{id}`` (value), ``{id}__secret`` (bool),
        ``{id}__estimated_share`` and ``{id}__method`` (``exact``, ``area``,
        ``population``, ``mixed``...), ``{id}__state`` (``value``,
        ``secret``, ``missing``, ``partial``: :mod:`territobs.schema`),
        ``{id}__coverage`` (0-1) and ``{id}__coverage_label`` (French, empty
        when complete), then ``{id}__source`` and
        ``{id}__vintage`` (text, the same on every row: they keep the
        provenance in files such as a GeoPackage, where ``attrs`` are lost),
        then ``geometry``. Secret values are NaN.

    Raises
    ------
    MethodError
        ``result`` is not a tidy result, or an asked indicator is absent.
    ZoneError
        Zones of the result are absent from ``zones``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from territobs import recompute, zones_from_members
    >>> units = gpd.GeoDataFrame(
    ...     {"code": ["a", "b", "c"], "population": [10.0, 20, 30]},
    ...     geometry=[shapely.box(i, 0, i + 1, 1) for i in range(3)], crs=2154)
    >>> zones = zones_from_members({"nord": ["a", "b"], "sud": ["c"]}, units=units)
    >>> result = recompute(units, zones, "population")
    >>> wide = to_geodataframe(result, zones)
    >>> wide[["zone", "population", "population__secret"]]
       zone  population  population__secret
    0  nord        30.0               False
    1   sud        30.0               False
    """
    _check_result(result)
    available = list(dict.fromkeys(result["indicator"]))
    if indicators is None:
        indicators = available
    absent = [i for i in indicators if i not in available]
    if absent:
        raise MethodError(
            f"{'indicateur absent' if len(absent) == 1 else 'indicateurs absents'} "
            f"du résultat : {format_codes(absent)} "
            f"(présents : {format_codes(available)}).",
            codes=absent,
        )
    unknown = sorted(set(result["zone"]) - set(zones["zone"]))
    if unknown:
        raise ZoneError(
            f"{_count_of(len(unknown), 'zone')} du résultat "
            f"{'absente' if len(unknown) == 1 else 'absentes'} de la table des zones : "
            f"{format_codes(unknown)}.",
            codes=unknown,
        )
    from territobs.schema import figure_states

    coverage = (
        result["coverage"].astype(float)
        if "coverage" in result.columns
        else pd.Series(np.where(result["value"].notna(), 1.0, 0.0), index=result.index)
    )
    labels = (
        result["coverage_label"].fillna("").astype(str)
        if "coverage_label" in result.columns
        else pd.Series("", index=result.index)
    )
    rows = result.assign(
        value=_published_values(result),
        secret=result["secret"].astype(bool),
        state=figure_states(result).to_numpy(),
        coverage=coverage.to_numpy(),
        coverage_label=labels.to_numpy(),
    )
    rows = rows[rows["indicator"].isin(list(indicators))]
    wide = rows.pivot(
        index="zone",
        columns="indicator",
        values=[
            "value",
            "secret",
            "estimated_share",
            "method",
            "state",
            "coverage",
            "coverage_label",
        ],
    )
    provenance = _provenance(result)
    columns = {}
    for ident in indicators:
        columns[ident] = wide[("value", ident)].astype(float)
        columns[f"{ident}__secret"] = wide[("secret", ident)].astype(bool)
        columns[f"{ident}__estimated_share"] = wide[("estimated_share", ident)].astype(
            float
        )
        columns[f"{ident}__method"] = wide[("method", ident)].astype(object)
        columns[f"{ident}__state"] = wide[("state", ident)].astype(object)
        columns[f"{ident}__coverage"] = wide[("coverage", ident)].astype(float)
        columns[f"{ident}__coverage_label"] = wide[("coverage_label", ident)].astype(
            object
        )
        if unit_level is not None:
            columns[f"{ident}__units"] = unit_level
        for field in ("source", "vintage"):
            columns[f"{ident}__{field}"] = provenance.get((ident, field))
    table = pd.DataFrame(columns).reindex(pd.Index(zones["zone"], name="zone"))
    names = zones["name"] if "name" in zones.columns else zones["zone"]
    base = pd.DataFrame({"zone": zones["zone"].to_numpy(), "name": names.to_numpy()})
    frame = pd.concat([base, table.reset_index(drop=True)], axis=1)
    if "geometry" in zones.columns:
        geometry = gpd.GeoSeries(
            zones["geometry"].to_numpy(), crs=getattr(zones, "crs", None)
        )
    else:
        geometry = gpd.GeoSeries([None] * len(zones))
    out = gpd.GeoDataFrame(frame, geometry=geometry.to_numpy(), crs=geometry.crs)
    sources = (
        result.drop_duplicates("indicator").set_index("indicator")[
            ["source", "vintage"]
        ]
        if {"source", "vintage"} <= set(result.columns)
        else pd.DataFrame()
    )
    out.attrs["territobs"] = {
        "sources": {i: dict(sources.loc[i]) for i in indicators if i in sources.index}
    }
    return out


def _provenance(result: pd.DataFrame) -> dict[tuple[str, str], str | None]:
    """Map (indicator, "source" or "vintage") to its text, distinct values joined."""
    out: dict[tuple[str, str], str | None] = {}
    for field in ("source", "vintage"):
        if field not in result.columns:
            continue
        for ident, values in result.groupby("indicator", sort=False)[field]:
            texts = [str(v).strip() for v in values.dropna().unique() if str(v).strip()]
            out[(str(ident), field)] = " ; ".join(texts) or None
    return out


def summarize(result: pd.DataFrame) -> pd.DataFrame:
    """Summarise a result per indicator: coverage, estimation, secrecy.

    Parameters
    ----------
    result : pandas.DataFrame
        Tidy result.

    Returns
    -------
    pandas.DataFrame
        Indexed by indicator: ``label``, ``kind``, ``unit``, ``n_zones``,
        ``n_exact`` (zones with no estimation), ``max_estimated_share``,
        ``n_incomplete``, ``n_secret``, ``n_missing`` (NaN values),
        ``approximation``, ``source``, ``vintage``.

    Raises
    ------
    MethodError
        ``result`` is not a tidy result.
    """
    _check_result(
        result,
        (
            *_NEEDED,
            "label",
            "kind",
            "unit",
            "incomplete",
            "approximation",
            "source",
            "vintage",
        ),
    )
    grouped = result.assign(
        _exact=result["estimated_share"] <= 0,
        _missing=result["value"].isna(),
    ).groupby("indicator", sort=False)
    return pd.DataFrame(
        {
            "label": grouped["label"].first(),
            "kind": grouped["kind"].first(),
            "unit": grouped["unit"].first(),
            "n_zones": grouped.size(),
            "n_exact": grouped["_exact"].sum(),
            "max_estimated_share": grouped["estimated_share"].max(),
            "n_incomplete": grouped["incomplete"].sum(),
            "n_secret": grouped["secret"].sum(),
            "n_missing": grouped["_missing"].sum(),
            "approximation": grouped["approximation"].first(),
            "source": grouped["source"].first(),
            "vintage": grouped["vintage"].first(),
        }
    )


def format_number(value: float, decimals: int = 1) -> str:
    r"""Format a number for result tables: narrow no-break space, decimal comma.

    A thin wrapper over :func:`territobs.formatting.format_number` with the
    conventions of tables: one decimal by default, a typographic minus
    (U+2212) and an empty cell for NaN. Ties round half away from zero, as on
    the maps and portraits, so a table and its map never disagree.

    Parameters
    ----------
    value : float
        The number (NaN gives an empty string).
    decimals : int, default 1
        Digits after the decimal comma.

    Returns
    -------
    str

    Examples
    --------
    >>> format_number(12345.678, 1)
    '12\u202f345,7'
    """
    return _format_number(value, decimals, missing="", minus="\u2212")


_COLUMNS_FR = {
    "zone_name": "Zone",
    "label": "Indicateur",
    "value": "Valeur",
    "unit": "Unité",
    "method": "Méthode",
    "estimated_share": "Part estimée",
    "source": "Source",
    "vintage": "Millésime",
}
_METHODS_FR = {
    "exact": "exacte",
    "area": "estimée (surfaces)",
    "population": "estimée (population)",
    "mixed": "estimée (mixte)",
}


def style_result(result: pd.DataFrame) -> Styler:
    """Return a pandas Styler showing a result the French way, for notebooks.

    Parameters
    ----------
    result : pandas.DataFrame
        Tidy result.

    Returns
    -------
    pandas.io.formats.style.Styler
        Columns Zone, Indicateur, Valeur, Unité, Méthode, Part estimée,
        Source, Millésime. Numbers use a decimal comma; estimated values are
        prefixed ``≈`` and in italics; secret values read « secret »;
        incomplete values « incomplet » (when NaN); approximated values are
        prefixed ``~`` and the method names the approximation.

    Raises
    ------
    MethodError
        ``result`` is not a tidy result.

    Notes
    -----
    The result is a plain DataFrame (no subclass), so a notebook shows its
    raw columns; call ``style_result(result)`` as the cell's last line for
    the readable display, or :func:`result_html` for an HTML string.

    Examples
    --------
    >>> import pandas as pd
    >>> from scipy import sparse
    >>> from territobs import Weights, recompute
    >>> units = pd.DataFrame({"code": ["a", "b"], "population": [10.0, 20.0]})
    >>> zones = pd.DataFrame({"zone": ["z"], "name": ["Zone"]})
    >>> m = sparse.csr_array([[1.0], [0.5]])
    >>> w = Weights(m, sparse.csr_array([[1], [2]], dtype="int8"),
    ...             pd.Index(units.code), pd.Index(zones.zone), "area")
    >>> result = recompute(units, zones, "population", weights=w, check=False)
    >>> styled = style_result(result)
    >>> "estimée (surfaces)" in styled.to_html()
    True
    """
    _check_result(result, (*_NEEDED, "zone_name", "label", "kind", "unit", "method"))
    secret = result["secret"].astype(bool).to_numpy()
    estimated = (result["estimated_share"] > 0).to_numpy()
    incomplete = (
        result["incomplete"].astype(bool).to_numpy()
        if "incomplete" in result.columns
        else np.zeros(len(result), dtype=bool)
    )
    approximated = (
        (result["approximation"].fillna("") != "").to_numpy()
        if "approximation" in result.columns
        else np.zeros(len(result), dtype=bool)
    )
    # one decimals policy per indicator (formatting.decimals_for): every
    # zone of an indicator shows the same decimals, as on its map
    published = pd.Series(
        np.where(secret, np.nan, result["value"].astype(float)), index=result.index
    )
    digits = {
        ind: decimals_for(
            group.tolist(),
            str(result.at[group.index[0], "unit"] or ""),
            str(result.at[group.index[0], "kind"] or ""),
        )
        for ind, group in published.groupby(result["indicator"], sort=False)
    }
    texts = []
    for i, (value, indicator) in enumerate(
        zip(result["value"], result["indicator"], strict=True)
    ):
        if secret[i]:
            texts.append("secret")
        elif pd.isna(value):
            texts.append("incomplet" if incomplete[i] else "—")
        else:
            prefix = "~ " if approximated[i] else ("≈ " if estimated[i] else "")
            texts.append(prefix + format_number(float(value), digits[indicator]))
    shown = [c for c in _COLUMNS_FR if c in result.columns]
    table = result[shown].copy()
    table["value"] = texts
    table["method"] = result["method"].map(lambda m: _METHODS_FR.get(m, m))
    table = table.rename(columns=_COLUMNS_FR).reset_index(drop=True)
    text_columns: list[Hashable] = [c for c in table.columns if c != "Part estimée"]
    styler = (
        table.style.format(escape="html", subset=text_columns)
        .format(
            _percent_of_share,
            subset=["Part estimée"],
        )
        .hide(axis="index")
        .set_uuid("territobs_result")
    )
    flags = pd.DataFrame("", index=table.index, columns=table.columns)
    flags.loc[estimated & ~secret, "Valeur"] = "font-style: italic"
    flags.loc[secret, "Valeur"] = "color: #777"
    return styler.apply(lambda _: flags, axis=None)


def result_html(result: pd.DataFrame) -> str:
    """Return the notebook display of a result as an HTML string.

    Parameters
    ----------
    result : pandas.DataFrame
        Tidy result.

    Returns
    -------
    str
        HTML of :func:`style_result` (names taken from data are escaped).
    """
    return style_result(result).to_html()


def _percent_of_share(share: object) -> str:
    """Write a share (0-1) as a French percentage without decimals: « 35 % »."""
    return format_number(100 * cast(float, share), 0) + "\u202f%"
