"""What a map knows about the column it draws: label, unit, provenance, method.

A map is often drawn from the wide form of a recomputed result
(:func:`~territobs.zoning.result.to_geodataframe`) or from a GeoPackage written
by ``territobs recompute``, whose columns are named after indicator ids
(``population``). :func:`describe_column` gathers what is known about such a
column, most specific first:

1. ``frame.attrs["territobs"]``: per column (``{"sources": {id: {...}}}``,
   set by ``to_geodataframe``) or for the whole frame (``{"source": ...,
   "vintage": ...}``, set by the readers of :mod:`territobs.datasets`);
2. companion columns of the wide form: ``{id}__method`` (per zone),
   ``{id}__source`` and ``{id}__vintage`` (they survive a GeoPackage, where
   ``attrs`` do not);
3. the default catalogue (:func:`territobs.catalog.default_catalog`), when the
   column is an indicator id: French label, unit, source.

Explicit arguments of :func:`~territobs.maps.interactive.choropleth` and
:func:`~territobs.maps.static.static_map` always win over these defaults.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from territobs.maps.layers import Layer

__all__ = ["ColumnInfo", "describe_column", "with_defaults"]

#: Suffixes of the companion columns read by :func:`describe_column`.
METHOD_SUFFIX = "__method"
SOURCE_SUFFIX = "__source"
VINTAGE_SUFFIX = "__vintage"


@dataclass(frozen=True)
class ColumnInfo:
    """What is known about a column (None or empty when unknown).

    Attributes
    ----------
    label : str or None
        French label (``"Population municipale"``).
    unit : str or None
        Unit (``"habitants"``, ``"%"``).
    source : str or None
        Producer and dataset.
    vintage : str or None
        Vintage, a year or text.
    methods : tuple of str
        Distinct values of the result's ``method`` for this column
        (``exact``, ``area``, ``population``, ``mixed`` or an approximation's
        name), in order of appearance.
    """

    label: str | None = None
    unit: str | None = None
    source: str | None = None
    vintage: str | None = None
    methods: tuple[str, ...] = ()


def _text(value: Any) -> str | None:
    """Return ``value`` as stripped text, or None when missing or empty."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text if text and text.lower() != "nan" else None


def _distinct(frame: pd.DataFrame, column: str) -> list[str]:
    if column not in frame.columns:
        return []
    texts = (_text(v) for v in frame[column])
    return list(dict.fromkeys(t for t in texts if t is not None))


def _attrs_record(frame: pd.DataFrame, column: str) -> tuple[dict, dict]:
    """Return the column's own record and the frame-wide record of attrs."""
    meta = getattr(frame, "attrs", {}).get("territobs") or {}
    if not isinstance(meta, dict):
        return {}, {}
    own = (meta.get("sources") or {}).get(column)
    return (own if isinstance(own, dict) else {}), meta


def _catalog_entry(column: str) -> Any:
    """Return the default catalogue's indicator whose id is ``column``, or None."""
    from territobs.catalog import default_catalog

    return next((ind for ind in default_catalog() if ind.id == column), None)


def describe_column(frame: pd.DataFrame, column: str) -> ColumnInfo:
    """Gather the label, unit, source, vintage and methods of a column.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        The map layer.
    column : str
        The drawn column, an indicator id for a recomputed result.

    Returns
    -------
    ColumnInfo
        Fields that nothing tells are None (``methods`` empty).

    Examples
    --------
    >>> import pandas as pd
    >>> info = describe_column(pd.DataFrame({"population": [1.0]}), "population")
    >>> info.label, info.unit, info.source
    ('Population municipale', 'habitants', 'INSEE, Recensement de la population')
    >>> describe_column(pd.DataFrame({"x": [1.0]}), "x").label is None
    True
    """
    own, whole = _attrs_record(frame, column)
    entry = _catalog_entry(column)

    def first(*candidates: Any) -> str | None:
        return next((t for t in (_text(c) for c in candidates) if t is not None), None)

    def joined(suffix: str) -> str | None:
        return ", ".join(_distinct(frame, column + suffix)) or None

    methods = _distinct(frame, column + METHOD_SUFFIX) or [
        t for t in (_text(m) for m in np.atleast_1d(own.get("method", []))) if t
    ]
    return ColumnInfo(
        label=first(own.get("label"), entry and entry.label),
        unit=first(own.get("unit"), entry and entry.unit),
        source=first(
            own.get("source"),
            joined(SOURCE_SUFFIX),
            whole.get("source"),
            entry and entry.source,
        ),
        vintage=first(
            own.get("vintage"),
            joined(VINTAGE_SUFFIX),
            whole.get("vintage"),
            entry and entry.vintage,
        ),
        methods=tuple(dict.fromkeys(methods)),
    )


def with_defaults(layer: Layer, info: ColumnInfo) -> Layer:
    """Fill a layer's missing label and unit from what is known of its column.

    Parameters
    ----------
    layer : Layer
    info : ColumnInfo

    Returns
    -------
    Layer
        ``layer`` itself when it already has both, or nothing is known; an
        explicit ``unit=""`` (no unit) is kept.
    """
    label = layer.label or info.label
    unit = layer.unit if layer.unit is not None else info.unit
    if label == layer.label and unit == layer.unit:
        return layer
    return dataclasses.replace(layer, label=label, unit=unit)
