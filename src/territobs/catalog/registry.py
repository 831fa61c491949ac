"""The :class:`Catalog`: indicators and components, looked up by any name.

Lookups accept an id, an alias or a producer variable; resolving against a
table's columns is in :mod:`territobs.catalog.resolve`, checking files in
:mod:`territobs.catalog.load`. The default catalogue is
:func:`default_catalog`.
"""

from __future__ import annotations

import difflib
import functools
import html
import importlib.resources
import os
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from territobs._toml import Problems
from territobs.catalog import resolve as _resolve
from territobs.catalog.kinds import kind_spec
from territobs.catalog.load import WHAT, check_catalog_dict, read_catalog_document
from territobs.catalog.model import (
    Component,
    Indicator,
    Resolution,
    _key,
    _pattern_regex,
)
from territobs.errors import ConfigError, format_codes

__all__ = ["Catalog", "catalog_from_dict", "default_catalog", "read_catalog"]


@dataclass(frozen=True, eq=False)
class Catalog:
    """A registry of indicators and of the components they are built from.

    Parameters
    ----------
    indicators : iterable of Indicator
        Indicators; ids and aliases must be unique (case-insensitive).
    components : iterable of Component, default ()
        Components referred to by the indicators.
    name : str, default ""
        Name shown in notebooks.

    Raises
    ------
    ConfigError
        Duplicate ids or aliases.

    Notes
    -----
    Lookups (``catalog["TP6021"]``, ``catalog.get("Poverty-Rate")``) are
    case-insensitive and accept, in this order, an id, an alias, or a producer
    variable matching an indicator's ``variable`` (``TP6021`` matches the
    pattern ``TP60{yy}`` of ``poverty_rate``).

    Examples
    --------
    >>> from territobs.catalog import default_catalog
    >>> cat = default_catalog()
    >>> cat["TP6021"].id
    'poverty_rate'
    >>> cat["p16_pop"].id
    'population'
    """

    indicators: tuple[Indicator, ...] = ()
    components: Mapping[str, Component] = field(default_factory=dict)
    name: str = ""
    _index: Mapping[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        indicators = tuple(self.indicators)
        if isinstance(self.components, Mapping):
            comps = list(self.components.values())
        else:
            comps = list(self.components)
        components: dict[str, Component] = {}
        for comp in comps:
            if comp.id in components:
                raise ConfigError(
                    f"composante « {comp.id} » définie deux fois.",
                    key=f"components.{comp.id}",
                )
            components[comp.id] = comp
        index: dict[str, str] = {}
        for pos, ind in enumerate(indicators):
            for name, what in ((ind.id, "id"), *((a, "aliases") for a in ind.aliases)):
                k = _key(name)
                if k in index:
                    raise ConfigError(
                        f"clé « indicators[{pos}].{what} » : « {name} » désigne déjà "
                        f"l'indicateur « {index[k]} ».",
                        key=f"indicators[{pos}].{what}",
                        codes=[name],
                    )
                index[k] = ind.id
        object.__setattr__(self, "indicators", indicators)
        object.__setattr__(self, "components", MappingProxyType(components))
        object.__setattr__(self, "_index", MappingProxyType(index))

    # -- mapping-like access -------------------------------------------------
    def __len__(self) -> int:
        return len(self.indicators)

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self.indicators)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, Indicator):
            return key in self.indicators
        return isinstance(key, str) and self._find(key) is not None

    def __getitem__(self, key: str) -> Indicator:
        return self.get(key)

    @property
    def ids(self) -> list[str]:
        """Indicator ids, in catalogue order."""
        return [ind.id for ind in self.indicators]

    def _by_id(self, ident: str) -> Indicator:
        return next(ind for ind in self.indicators if ind.id == ident)

    def _find(self, key: str) -> Indicator | None:
        ident = self._index.get(_key(key))
        if ident is not None:
            return self._by_id(ident)
        matches = [
            ind
            for ind in self.indicators
            if any(
                _pattern_regex(p, True).fullmatch(key.strip())
                for p in self._variable_patterns(ind)
            )
        ]
        if len(matches) > 1:
            raise ConfigError(
                f"la variable « {key} » correspond à plusieurs indicateurs : "
                f"{format_codes([m.id for m in matches])} ; utilisez l'identifiant.",
                key=key,
                codes=[m.id for m in matches],
            )
        return matches[0] if matches else None

    def _variable_patterns(self, ind: Indicator) -> list[str]:
        if ind.variable is None:
            return []
        comp = self.components.get(ind.variable)
        return [ind.variable] if comp is None else [comp.id, *comp.variables]

    def get(self, key: str | Indicator) -> Indicator:
        """Return the indicator for an id, an alias or a producer variable.

        Parameters
        ----------
        key : str or Indicator
            Case-insensitive id, alias or producer variable (``"TP6021"``);
            an :class:`Indicator` is returned unchanged.

        Returns
        -------
        Indicator

        Raises
        ------
        ConfigError
            Unknown key (the message lists close matches, also on
            ``.candidates``) or a producer variable matching several
            indicators.
        """
        if isinstance(key, Indicator):
            return key
        if not isinstance(key, str):
            raise TypeError(f"indicator key must be str or Indicator, got {key!r}")
        found = self._find(key)
        if found is not None:
            return found
        names = list(self._index)
        close = difflib.get_close_matches(_key(key), names, n=5, cutoff=0.6)
        candidates = list(dict.fromkeys(self._index[c] for c in close))
        hint = (
            f" Indicateurs proches : {format_codes(candidates)}."
            if candidates
            else f" Indicateurs disponibles : {format_codes(self.ids, 8)}."
        )
        raise ConfigError(
            f"indicateur « {key} » inconnu du catalogue{' ' + self.name if self.name else ''}.{hint}",
            key=key,
            candidates=candidates,
        )

    # -- building --------------------------------------------------------------
    def merge(self, other: Catalog, *, override: bool = True) -> Catalog:
        """Return a catalogue with ``other``'s indicators and components added.

        Parameters
        ----------
        other : Catalog
            Typically the user's own catalogue.
        override : bool, default True
            When both define the same indicator or component id, keep
            ``other``'s; with False, a duplicate is a :class:`ConfigError`.

        Returns
        -------
        Catalog

        Raises
        ------
        ConfigError
            Duplicate ids (``override=False``) or conflicting aliases.
        """
        dup = sorted(set(self.ids) & set(other.ids))
        dup_comp = sorted(set(self.components) & set(other.components))
        if not override and (dup or dup_comp):
            raise ConfigError(
                f"identifiants définis dans les deux catalogues : "
                f"{format_codes(dup + dup_comp)}.",
                key="indicators",
                codes=dup + dup_comp,
            )
        mine = [ind for ind in self.indicators if ind.id not in set(other.ids)]
        comps = {**self.components, **other.components}
        return Catalog((*mine, *other.indicators), comps, name=other.name or self.name)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, name: str = "") -> Catalog:
        """Build a catalogue from the mapping read in a TOML or YAML file.

        Parameters
        ----------
        data : mapping
            ``{"name": ..., "components": {id: {...}}, "indicators": [{...}]}``.
        name : str, default ""
            Name used when ``data`` has none.

        Returns
        -------
        Catalog

        Raises
        ------
        ConfigError
            Listing every problem (``problems``: ``(key, message)`` pairs;
            ``key``: the first key path, such as ``indicators[3].kind``).
        """
        return catalog_from_dict(data, name=name)

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Catalog:
        """Read a catalogue from a TOML file.

        Parameters
        ----------
        path : path-like
            A file laid out as ``data/catalog.toml`` (see the user guide
            ``docs/guide/catalogue.md``).

        Returns
        -------
        Catalog

        Raises
        ------
        ConfigError
            Invalid TOML or content; ``path`` and ``key`` say where,
            ``problems`` lists every problem.
        """
        return read_catalog(path, "toml")

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> Catalog:
        """Read a catalogue from a YAML file (needs PyYAML).

        Parameters
        ----------
        path : path-like
            Same layout as the TOML file.

        Returns
        -------
        Catalog

        Raises
        ------
        ImportError
            PyYAML is not installed (``pip install pyyaml``).
        ConfigError
            Invalid YAML or content.
        """
        return read_catalog(path, "yaml")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Catalog:
        """Read a TOML (``.toml``) or YAML (``.yaml``/``.yml``) catalogue.

        Parameters
        ----------
        path : path-like

        Returns
        -------
        Catalog

        Raises
        ------
        ConfigError
            Unknown extension or invalid content.
        """
        return read_catalog(path)

    # -- resolving columns -----------------------------------------------------
    def alternatives(self, reference: str) -> list[tuple[str, ...]]:
        """Return the column-pattern tuples a reference may be read from.

        Parameters
        ----------
        reference : str
            A component id or a variable pattern (``"P{yy}_RP"``).

        Returns
        -------
        list of tuple of str
        """
        return _resolve.alternatives(self, reference)

    def resolve(
        self,
        indicator: str | Indicator,
        columns: Iterable[str] | pd.DataFrame,
        *,
        vintage: str | int | None = None,
    ) -> Resolution:
        """Find the columns that give each role of an indicator.

        Parameters
        ----------
        indicator : str or Indicator
            The indicator (or a key of this catalogue).
        columns : iterable of str or DataFrame
            Available column names (a territory or an indicator table).
        vintage : str or int, optional
            Restrict ``{yy}``/``{yyyy}`` patterns to this vintage. Default: the
            indicator's own ``vintage`` if set, else the most recent vintage
            for which every role is found.

        Returns
        -------
        Resolution
            Columns per role and the vintage read in their names.

        Raises
        ------
        MethodError
            A role cannot be found; the message names the patterns tried and
            the closest columns (``.column`` = reference, ``.candidates``).

        Notes
        -----
        Roles of one indicator are read from a single vintage: ``P16_RP_LOCHLMV``
        is never divided by ``P21_RP``. Patterns without a placeholder
        (``Ind_snv``) match whatever the vintage.

        Examples
        --------
        >>> from territobs.catalog import default_catalog
        >>> cat = default_catalog()
        >>> r = cat.resolve("population", ["CODGEO", "P16_POP", "P21_POP"])
        >>> r.columns["value"], r.vintage
        (('P21_POP',), '2021')
        """
        return _resolve.resolve(self, indicator, columns, vintage=vintage)

    # -- display ---------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """Return one row per indicator (id, label, kind, unit, components...).

        Returns
        -------
        pandas.DataFrame
            Indexed by indicator id.
        """
        rows = []
        for ind in self.indicators:
            rows.append(
                {
                    "id": ind.id,
                    "label": ind.label,
                    "kind": ind.kind,
                    "unit": ind.unit,
                    "variable": ind.variable,
                    "numerator": ind.numerator,
                    "denominator": ind.denominator,
                    "weight": ind.weight,
                    "scale": ind.scale,
                    "published_as_ratio": ind.published_as_ratio,
                    "source": ind.source,
                    "vintage": ind.vintage,
                    "secrecy": None if ind.secrecy is None else ind.secrecy["rule"],
                    "aliases": ", ".join(ind.aliases),
                }
            )
        columns = [
            "id", "label", "kind", "unit", "variable", "numerator", "denominator",
            "weight", "scale", "published_as_ratio", "source", "vintage", "secrecy",
            "aliases",
        ]  # fmt: skip
        return pd.DataFrame(rows, columns=columns).set_index("id")

    def __repr__(self) -> str:
        title = f" « {self.name} »" if self.name else ""
        return (
            f"<Catalog{title} : {len(self)} indicateurs, "
            f"{len(self.components)} composantes>"
        )

    def _repr_html_(self) -> str:
        frame = self.to_frame()[["label", "kind", "unit", "source", "vintage"]]
        frame["kind"] = frame["kind"].map(lambda kind: kind_spec(kind).label)
        frame.columns = ["Libellé", "Type", "Unité", "Source", "Millésime"]
        return f"<p><strong>{html.escape(repr(self))}</strong></p>" + frame.to_html(
            na_rep="(données)", escape=True
        )


def catalog_from_dict(data: Mapping[str, Any], *, name: str = "") -> Catalog:
    """Build a catalogue from the mapping read in a TOML or YAML file.

    Parameters
    ----------
    data : mapping
        ``{"name": ..., "components": {id: {...}}, "indicators": [{...}]}``.
    name : str, default ""
        Name used when ``data`` has none.

    Returns
    -------
    Catalog

    Raises
    ------
    ConfigError
        Listing every problem (``problems``: ``(key, message)`` pairs; ``key``:
        the first key path, such as ``indicators[3].kind``).

    Examples
    --------
    >>> catalog_from_dict({"indicators": [{"id": "a", "kind": "cout"}]})
    Traceback (most recent call last):
    ...
    territobs.errors.ConfigError: catalogue d'indicateurs invalide (2 problèmes)
      - indicators[0].kind : valeur « cout » inconnue (valeurs : « count », « ratio », « share », « mean », « median », « quantile »)
      - indicators[0].label : clé obligatoire absente
    """
    problems = Problems()
    parts = check_catalog_dict(data, problems, name=name)
    problems.raise_if_any(None, WHAT)
    assert parts is not None
    return Catalog(*parts)


def read_catalog(path: str | os.PathLike[str], syntax: str = "") -> Catalog:
    """Read and check a catalogue file.

    Parameters
    ----------
    path : path-like
    syntax : {"", "toml", "yaml"}
        Default: from the extension.

    Returns
    -------
    Catalog

    Raises
    ------
    ConfigError
        Every problem of the file at once (``path``, ``key``, ``problems``).
    """
    path = Path(path)
    data = read_catalog_document(path, syntax)
    problems = Problems()
    parts = check_catalog_dict(data, problems, name=path.stem)
    problems.raise_if_any(path, WHAT)
    assert parts is not None
    return Catalog(*parts)


@functools.cache
def default_catalog() -> Catalog:
    """Return the default catalogue (census, Filosofi and CAF indicators).

    Returns
    -------
    Catalog
        Read once from ``territobs/data/catalog.toml`` (package data) and
        cached; catalogues are immutable.

    Examples
    --------
    >>> cat = default_catalog()
    >>> cat["poverty_rate"].kind
    'share'
    """
    resource = importlib.resources.files("territobs") / "data" / "catalog.toml"
    data = tomllib.loads(resource.read_text(encoding="utf-8"))
    return catalog_from_dict(data, name="territobs")
