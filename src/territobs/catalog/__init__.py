"""Indicator definitions: how each indicator is read, labelled and aggregated.

An :class:`Indicator` says how its value is rebuilt on a zone from the values
of the units it covers (its *kind*, one :class:`~territobs.catalog.kinds.KindSpec`
each in :mod:`territobs.catalog.kinds`): counts are summed, ratios are rebuilt
from summed numerators and denominators, means from summed weighted values,
and medians or other quantiles are refused (they cannot be re-aggregated)
unless an explicitly named approximation is asked for.

Indicators refer to *components* (``population``, ``households``...), each
mapped to the producer variables that carry it in one vintage or another
(``P16_POP``, ``P21_POP``, ``population_municipale``...). A :class:`Catalog`
holds both and resolves an indicator against the columns of a territory,
reporting which vintage it used (:meth:`Catalog.resolve`).

The default catalogue (:func:`default_catalog`) ships in
``territobs/data/catalog.toml``; users add their own indicators in a TOML (or
YAML) file of the same layout and :meth:`Catalog.merge` it.

Modules: :mod:`~territobs.catalog.kinds` (the kinds),
:mod:`~territobs.catalog.model` (``Component``, ``Indicator``,
``Resolution``), :mod:`~territobs.catalog.registry` (``Catalog``),
:mod:`~territobs.catalog.resolve` (columns of each role),
:mod:`~territobs.catalog.load` (files, every problem at once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from territobs._lazy import lazy_exports
from territobs.catalog.kinds import AGGREGABLE_KINDS, KIND_SPECS, KINDS, Kind, KindSpec

# the kinds are standard library only: ``territobs.formatting`` and the atlas
# config read them without loading pandas; the rest is imported on first use
_EXPORTS = {
    "Catalog": "territobs.catalog.registry",
    "Component": "territobs.catalog.model",
    "Indicator": "territobs.catalog.model",
    "Resolution": "territobs.catalog.model",
    "default_catalog": "territobs.catalog.registry",
}

__all__ = [
    "AGGREGABLE_KINDS",
    "KINDS",
    "KIND_SPECS",
    "Catalog",
    "Component",
    "Indicator",
    "Kind",
    "KindSpec",
    "Resolution",
    "default_catalog",
]

__getattr__, __dir__ = lazy_exports("territobs.catalog", _EXPORTS, globals())

if TYPE_CHECKING:  # pragma: no cover
    from territobs.catalog.model import Component, Indicator, Resolution
    from territobs.catalog.registry import Catalog, default_catalog
