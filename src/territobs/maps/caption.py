"""Map captions: sources, vintages, method, approximations, production date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from territobs.maps.layers import Caption
from territobs.maps.legend import format_date, format_number

__all__ = [
    "WEIGHTING_FR",
    "caption_from_result",
    "make_caption",
    "source_and_vintage",
    "weighting_text",
]


def _join(values: Iterable[object]) -> str:
    seen = []
    for v in values:
        text = str(v).strip()
        if text and text.lower() != "nan" and text not in seen:
            seen.append(text)
    return ", ".join(seen)


def _items(value: object) -> list[object]:
    """Return a text or number as a one-item list, any iterable as a list."""
    if value is None:
        return []
    if isinstance(value, (str, int, float)):
        return [value]
    return list(value)  # type: ignore[call-overload]


def is_year_list(text: str) -> bool:
    """Tell ``"2021"`` or ``"2016, 2021"`` (written « millésime ») from text.

    Parameters
    ----------
    text : str

    Returns
    -------
    bool

    Examples
    --------
    >>> is_year_list("2016, 2021"), is_year_list("COG 2025")
    (True, False)
    """
    return bool(text) and all(part.strip().isdigit() for part in text.split(","))


def vintage_line(vintage: str) -> str:
    """Return the French caption line of a vintage written as text.

    Parameters
    ----------
    vintage : str
        A vintage that is not a bare year, e.g. the demo data's
        ``"Population municipale : millésime 2017 ; contours : COG 2024"``.

    Returns
    -------
    str
        The text itself when it names its fields (it holds « : »), else
        ``"Millésime : <text>"``.

    Examples
    --------
    >>> vintage_line("COG 2025")
    'Millésime : COG 2025'
    """
    text = vintage.strip()
    return text if ":" in text else f"Millésime : {text}"


#: How the cut units were spread between zones, by value of the result's
#: ``method`` column (``docs/methods/weights.md``), as the caption says it.
WEIGHTING_FR: dict[str, str] = {
    "area": "selon la surface",
    "population": "selon la population localisée finement (carreaux, points ou raster)",
    "mixed": "selon la population localisée finement (carreaux, points ou "
    "raster), ou selon la surface là où elle manque",
}


#: Words for the units zones are made of: singular, plural, « formées … ».
_UNIT_PHRASES = {
    "commune": ("commune", "communes", "de communes entières"),
    "arrondissement": (
        "arrondissement",
        "arrondissements",
        "d'arrondissements entiers",
    ),
    "iris": ("IRIS", "IRIS", "d'IRIS entiers"),
    "epci": ("EPCI", "EPCI", "d'EPCI entiers"),
    "departement": ("département", "départements", "de départements entiers"),
    "carreau": ("carreau", "carreaux", "de carreaux entiers"),
}


_FEMININE = {"commune", "None", "region"}


def weighting_text(methods: Iterable[str]) -> str:
    """Say in French how the cut units were spread between the zones.

    Parameters
    ----------
    methods : iterable of str
        Values of the result's ``method`` column (``exact``, ``area``,
        ``population``, ``mixed``); other values (approximations of medians,
        reported on their own line) are ignored.

    Returns
    -------
    str
        ``"par répartition selon la surface"``...; without a known method,
        ``"par répartition selon la surface ou la population"`` (the only
        two ways territobs estimates).

    Examples
    --------
    >>> weighting_text(["exact", "area"])
    'par répartition selon la surface'
    >>> weighting_text([])
    'par répartition selon la surface ou la population'
    """
    kinds = {str(m) for m in methods} & set(WEIGHTING_FR)
    if not kinds:
        return "par répartition selon la surface ou la population"
    kind = kinds.pop() if len(kinds) == 1 else "mixed"
    return f"par répartition {WEIGHTING_FR[kind]}"


def make_caption(
    *,
    source: str | Iterable[str] | None = None,
    vintage: str | int | Iterable[str | int] | None = None,
    estimated_share: float | Iterable[float] | None = None,
    approximation: str | Iterable[str] | None = None,
    secret_count: int = 0,
    note: str | None = None,
    date: dt.date | None = None,
    method: str | Iterable[str] | None = None,
    units: str | None = "commune",
    partial_count: int = 0,
    missing_count: int = 0,
    approximated: bool = False,
    unit_map: bool = False,
) -> list[str]:
    r"""French caption lines for a map.

    Parameters
    ----------
    source : str or iterable of str, optional
        Producers (``"INSEE, Filosofi"``); several are joined.
    vintage : str, int or iterable, optional
        Vintages (``2021``).
    estimated_share : float or iterable of float, optional
        Share (0-1) of each zone's value resting on estimated weights; the
        largest is reported (``"jusqu’à 35 % de la valeur"``).
    approximation : str or iterable of str, optional
        Named approximations (medians), each reported.
    secret_count : int, default 0
        Number of zones under statistical secrecy.
    note : str, optional
        Free text, appended as its own line.
    date : datetime.date, optional
        Production date (default today).
    method : str or iterable of str, optional
        The result's ``method`` values (``area``, ``population``,
        ``mixed``): the caption names how cut units were spread (see
        :func:`weighting_text`).
    units : str, optional
        Level of the units the zones are made of (``commune``, ``iris``...):
        the method line names it (« zones formées d'IRIS entiers »); None
        says « unités ».
    partial_count, missing_count : int, default 0
        Zones whose value covers only part of the zone (state ``partial``),
        and zones without data (``missing``): each gets its line. Exact
        values then read « sur les unités renseignées ».
    approximated : bool, default False
        The values are a named approximation, not exact: never called
        « valeurs exactes ».
    unit_map : bool, default False
        The map shows the units themselves: their figures are the source's,
        nothing was recomputed, and the caption says so.

    Returns
    -------
    list of str
        One line each: sources and vintages, method, secrecy, note, date.

    Examples
    --------
    >>> import datetime
    >>> make_caption(source="INSEE", vintage=2021, estimated_share=[0, 0.35],
    ...              method=["exact", "area"],
    ...              date=datetime.date(2025, 3, 1))  # doctest: +NORMALIZE_WHITESPACE
    ['Source : INSEE, millésime 2021',
     'Méthode : valeurs estimées pour les zones qui coupent des communes
      (jusqu’à 35\xa0% de la valeur), par répartition selon la surface',
     'Réalisation : territobs, le 1er mars 2025']
    """
    lines = []
    sources = _join(_items(source))
    vintages = _join(_items(vintage))
    if sources or vintages:
        years = is_year_list(vintages)
        parts = [f"Source : {sources}" if sources else "Source non précisée"]
        if vintages and years:
            parts.append(f"millésime {vintages}")
        lines.append(", ".join(parts))
        if vintages and not years:
            lines.append(vintage_line(vintages))
    if estimated_share is not None:
        shares = np.atleast_1d(np.asarray(estimated_share, dtype=float))
        shares = shares[~np.isnan(shares)]
        if shares.size:
            top = float(shares.max())
            _, plural, whole = _UNIT_PHRASES.get(
                str(units), ("unité", "unités", "d'unités entières")
            )
            if top > 0:
                methods = _items(method)
                lines.append(
                    "Méthode : valeurs estimées pour les zones qui coupent des "
                    f"{plural} (jusqu’à {format_number(100 * top)}\xa0% de la "
                    f"valeur), {weighting_text(str(m) for m in methods)}"
                )
            elif unit_map:
                lines.append(f"Méthode : valeurs des {plural}, telles que publiées")
            elif approximated:
                lines.append(f"Méthode : zones formées {whole}")
            elif partial_count:
                lines.append(
                    f"Méthode : valeurs exactes sur les {plural} "
                    f"{'renseignées' if str(units) in _FEMININE else 'renseignés'}"
                    f" (zones formées {whole})"
                )
            else:
                lines.append(f"Méthode : valeurs exactes (zones formées {whole})")
    if partial_count:
        lines.append(
            f"{partial_count} zone{'s' if partial_count > 1 else ''} à valeur "
            "partielle (données pour une partie de la zone seulement ; couverture "
            "indiquée zone par zone)"
        )
    if missing_count:
        lines.append(
            f"{missing_count} zone{'s' if missing_count > 1 else ''} sans donnée "
            "(donnée manquante, ni zéro ni secret)"
        )
    from territobs.schema import APPROXIMATIONS

    approximations = _join(
        [APPROXIMATIONS.get(str(name), str(name)) for name in _items(approximation)]
    )
    if approximations:
        lines.append(f"Approximation : {approximations}")
    if secret_count:
        lines.append(
            f"{secret_count} zone{'s' if secret_count > 1 else ''} sous secret "
            "statistique (valeur non diffusée)"
        )
    if note:
        lines.append(note)
    lines.append(f"Réalisation : territobs, le {format_date(date)}")
    return lines


def units_of(frame: pd.DataFrame, column: str) -> str | None:
    """Level of the units a wide layer's zones are made of (``{column}__units``).

    Written by :func:`~territobs.zoning.result.to_geodataframe` when it is
    given ``unit_level``; without it the caption keeps speaking of communes.
    """
    name = f"{column}__units"
    if name not in frame.columns:
        return "commune"
    values = frame[name].dropna().astype(str)
    return str(values.iloc[0]) if len(values) else None


def source_and_vintage(frame: pd.DataFrame, column: str) -> tuple[object, object]:
    """Source and vintage of a column, read from ``frame.attrs["territobs"]``.

    :func:`~territobs.zoning.result.to_geodataframe` records them per
    indicator (``{"sources": {id: {"source": ..., "vintage": ...}}}``), the
    readers of :mod:`territobs.datasets` for the whole frame
    (``{"source": ..., "vintage": ...}``).

    Parameters
    ----------
    frame : pandas.DataFrame
    column : str

    Returns
    -------
    tuple
        ``(source, vintage)``, each None when unknown.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"rate": [1.0]})
    >>> frame.attrs["territobs"] = {"sources": {"rate": {"source": "INSEE", "vintage": 2021}}}
    >>> source_and_vintage(frame, "rate")
    ('INSEE', 2021)
    """
    meta = getattr(frame, "attrs", {}).get("territobs") or {}
    if not isinstance(meta, dict):
        return None, None
    record = (meta.get("sources") or {}).get(column)
    if not isinstance(record, dict):
        record = meta
    return _known(record.get("source")), _known(record.get("vintage"))


def _known(value: object) -> object:
    return (
        None
        if value is None or (isinstance(value, float) and np.isnan(value))
        else value
    )


def caption_from_result(
    result: pd.DataFrame, indicator: str, *, date: dt.date | None = None
) -> list[str]:
    """Caption lines for one indicator of a tidy recomputed result.

    Parameters
    ----------
    result : pandas.DataFrame
        The tidy result (``docs/architecture.md``): columns ``indicator``,
        ``source``, ``vintage``, ``estimated_share``, ``method``,
        ``approximation``, ``secret``.
    indicator : str
        The indicator id.
    date : datetime.date, optional
        Production date (default today).

    Returns
    -------
    list of str

    Raises
    ------
    KeyError
        If the indicator has no row in ``result``.
    """
    rows = result[result["indicator"] == indicator]
    if rows.empty:
        raise KeyError(f"indicateur « {indicator} » absent du résultat")

    def col(name: str) -> pd.Series:
        return rows[name] if name in rows else pd.Series([], dtype=object)

    return make_caption(
        source=col("source").dropna().astype(str),
        vintage=col("vintage").dropna().astype(str),
        estimated_share=col("estimated_share").to_numpy(dtype=float),
        approximation=col("approximation").dropna().astype(str),
        method=col("method").dropna().astype(str),
        secret_count=int(col("secret").fillna(False).astype(bool).sum()),
        date=date,
    )


def layer_caption(
    gdf: pd.DataFrame,
    prep: Any,
    info: Any,
    *,
    caption: Caption | str | Sequence[str] | None = None,
    source: str | None = None,
    vintage: str | int | None = None,
    date: dt.date | None = None,
) -> list[str]:
    """Caption lines of a drawn layer, the same on every kind of map.

    Parameters
    ----------
    gdf : pandas.DataFrame
        The drawn frame (``{column}__units`` names the unit level).
    prep : territobs.maps.layers.PreparedLayer
        The prepared layer (estimated shares, secret, partial, missing rows).
    info : object
        What :func:`territobs.maps._describe.describe_column` read of the
        column (``source``, ``vintage``, ``methods``).
    caption : Caption, str or sequence of str, optional
        Lines given by the caller, used as they are; a
        :class:`~territobs.maps.layers.Caption` without lines gives the
        provenance and date of the default lines.
    source, vintage : optional
        Override the column's provenance (when ``caption`` does not).
    date : datetime.date, optional
        Production date (default today).

    Returns
    -------
    list of str
    """
    if isinstance(caption, Caption):
        source = caption.source if caption.source is not None else source
        vintage = caption.vintage if caption.vintage is not None else vintage
        date = caption.date if caption.date is not None else date
        caption = None if caption.lines is None else list(caption.lines)
    if caption is not None:
        return [caption] if isinstance(caption, str) else list(caption)
    return make_caption(
        source=info.source if source is None else source,
        vintage=info.vintage if vintage is None else vintage,
        estimated_share=prep.estimated_share,
        method=info.methods,
        secret_count=prep.n_secret,
        date=date,
        units=units_of(gdf, prep.layer.column),
        partial_count=prep.n_partial,
        missing_count=prep.n_absent,
    )
