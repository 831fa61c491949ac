"""Indicator definitions: how each indicator is read, labelled and aggregated.

An :class:`Indicator` says how its value is rebuilt on a zone from the values
of the units it covers (its *kind*): counts are summed, ratios are rebuilt
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
"""

from __future__ import annotations

import difflib
import functools
import html
import importlib.resources
import math
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, get_args

import pandas as pd

from territobs.errors import ConfigError, MethodError, format_codes

__all__ = [
    "AGGREGABLE_KINDS",
    "KINDS",
    "Catalog",
    "Component",
    "Indicator",
    "Kind",
    "Resolution",
    "default_catalog",
]

Kind = Literal["count", "ratio", "share", "mean", "median", "quantile"]
#: Every indicator kind.
KINDS: tuple[str, ...] = get_args(Kind)
#: Kinds whose zone value can be rebuilt exactly from the units' values.
AGGREGABLE_KINDS: frozenset[str] = frozenset({"count", "ratio", "share", "mean"})

_PLACEHOLDERS = {"{yy}": r"(?P<yy>\d{2})", "{yyyy}": r"(?P<yyyy>\d{4})"}
_PLACEHOLDER_RE = re.compile(r"\{yyyy\}|\{yy\}")
_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _key(text: str) -> str:
    """Normalise a lookup key: trimmed, case-folded, spaces/dashes as ``_``."""
    return re.sub(r"[\s\-]+", "_", str(text).strip()).casefold()


@functools.lru_cache(maxsize=512)
def _pattern_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile a variable pattern (``P{yy}_POP``) into an anchored regex."""
    parts = []
    last = 0
    for match in _PLACEHOLDER_RE.finditer(pattern):
        parts.append(re.escape(pattern[last : match.start()]))
        parts.append(_PLACEHOLDERS[match.group(0)])
        last = match.end()
    parts.append(re.escape(pattern[last:]))
    return re.compile("".join(parts), re.IGNORECASE if ignore_case else 0)


def _vintage_of(match: re.Match[str]) -> str | None:
    """Return the four-digit vintage written in a matched column, if any."""
    groups = match.groupdict()
    if groups.get("yyyy"):
        return groups["yyyy"]
    if groups.get("yy"):
        yy = int(groups["yy"])
        return f"{1900 + yy if yy >= 50 else 2000 + yy}"
    return None


def _as_tuple(value: Any, key: str) -> tuple[str, ...]:
    """Accept a string or a sequence of strings; return a tuple of strings."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(
        f"clé « {key} » : liste de textes attendue, trouvé {value!r}.", key=key
    )


@dataclass(frozen=True)
class Component:
    """A quantity carried by producer variables that change name with vintages.

    Parameters
    ----------
    id : str
        Identifier used by indicators (``"population"``); a column of that
        name in the data is used first.
    label : str, default ""
        French label.
    variables : tuple of str, default ()
        Producer variable patterns tried in order; ``{yy}`` stands for a
        two-digit vintage (``P{yy}_POP`` matches ``P16_POP`` and ``P21_POP``)
        and ``{yyyy}`` for a four-digit one.
    sum_of : tuple of str, default ()
        Fallback: patterns of columns whose sum gives the component when no
        variable is found (``P{yy}_POP0014 + ... + P{yy}_POP75P``). All of them
        must be present with the same vintage.
    description : str, default ""
        Free text (English or French).
    spread : {"weights", "area"}, default "weights"
        How the part of a cut unit is estimated. ``"weights"``: with the
        zoning's weights (area or population shares). ``"area"``: always with
        the share of the unit's *area*, for quantities that are surfaces
        (``area_km2``): under population weights, a zone crossing a commune's
        fields must get the fields' hectares, not a share of hectares
        proportional to its inhabitants.

    Raises
    ------
    ConfigError
        If the id is not an identifier, no variable is declared, or
        ``spread`` is not ``"weights"`` or ``"area"``.

    Examples
    --------
    >>> c = Component("population", variables=("P{yy}_POP", "PMUN{yy}"))
    >>> c.alternatives()[1]
    ('P{yy}_POP',)
    """

    id: str
    label: str = ""
    variables: tuple[str, ...] = ()
    sum_of: tuple[str, ...] = ()
    description: str = ""
    spread: str = "weights"

    def __post_init__(self) -> None:
        key = f"components.{self.id}"
        if not isinstance(self.id, str) or not _ID_RE.match(self.id):
            raise ConfigError(
                f"clé « {key} » : identifiant de composante invalide {self.id!r} "
                "(lettres, chiffres et « _ », commençant par une lettre).",
                key=key,
            )
        if self.spread not in ("weights", "area"):
            raise ConfigError(
                f"clé « {key}.spread » : « {self.spread} » inconnu ; valeurs "
                "possibles : « weights » (pondérations du zonage) ou « area » "
                "(toujours en part de surface, pour une superficie).",
                key=f"{key}.spread",
            )
        object.__setattr__(self, "variables", _as_tuple(self.variables, key))
        object.__setattr__(self, "sum_of", _as_tuple(self.sum_of, key))

    def alternatives(self) -> list[tuple[str, ...]]:
        """Return the column-pattern tuples tried in order (each tuple is summed).

        Returns
        -------
        list of tuple of str
            ``[(id,), (variable_1,), ..., (sum_of...)]``.
        """
        alts: list[tuple[str, ...]] = [
            (self.id,),
            *((v,) for v in self.variables if v != self.id),
        ]
        if self.sum_of:
            alts.append(self.sum_of)
        return alts


@dataclass(frozen=True)
class Resolution:
    """Which columns of a table give each role of an indicator.

    Parameters
    ----------
    indicator : str
        Indicator id.
    columns : mapping of str to tuple of str
        Role (``value``, ``numerator``, ``denominator``, ``rate``, ``weight``)
        → columns summed to obtain it.
    vintage : str or None
        Vintage read in the column names (``"2016"`` for ``P16_POP``), None
        when no column name carries one.
    by_area : frozenset of str, default frozenset()
        Roles whose component is a surface (``spread = "area"``): their cut
        units are always shared out by area.
    """

    indicator: str
    columns: Mapping[str, tuple[str, ...]]
    vintage: str | None
    by_area: frozenset[str] = frozenset()

    @property
    def rebuilt_numerator(self) -> bool:
        """True when the numerator is rebuilt from a published rate."""
        return "rate" in self.columns


_INDICATOR_KEYS = {
    "id",
    "kind",
    "label",
    "unit",
    "source",
    "vintage",
    "variable",
    "numerator",
    "denominator",
    "scale",
    "weight",
    "published_as_ratio",
    "secrecy",
    "aliases",
    "description",
}


@dataclass(frozen=True)
class Indicator:
    r"""An indicator: what it measures, where it comes from, how it aggregates.

    Parameters
    ----------
    id : str
        English snake_case identifier (``"poverty_rate"``).
    kind : {"count", "ratio", "share", "mean", "median", "quantile"}
        How the zone value is rebuilt from the units (see Notes).
    label : str
        French label shown on maps and tables.
    unit : str, default ""
        Unit shown to users (``"habitants"``, ``"%"``, ``"€"``).
    source : str, default ""
        Producer and dataset (``"INSEE, Recensement de la population"``).
    vintage : str, optional
        Vintage of the data. None (the default) means "read it in the data":
        the vintage written in the matched column names is used. When set, it
        also restricts which columns match (``"2021"`` only matches
        ``P21_...``).
    variable : str, optional
        Producer variable or component: the counted quantity (count), the
        published rate (ratio published without numerator), the unit values
        (mean given as a per-unit mean; median; quantile). Also a lookup alias.
    numerator, denominator : str, optional
        Components (or variable patterns) of a ratio or share.
    scale : float, default 1.0
        Multiplier of a ratio (100 for a percentage, 1000 for a rate per
        thousand).
    weight : str, optional
        Component weighting a mean, or the units' medians in an approximation.
    published_as_ratio : bool, default False
        The producer publishes the rate ``variable`` but not its numerator;
        the numerator is rebuilt per unit as ``rate × denominator / scale``.
    secrecy : str or mapping, optional
        Secrecy rule applied to the indicator (``"caf"`` or
        ``{"rule": "caf", "threshold": 5}``); stored as a read-only mapping.
    aliases : tuple of str, default ()
        Other keys that find the indicator in a :class:`Catalog`.
    description : str, default ""
        Definition, with the producer's wording when useful.

    Raises
    ------
    ConfigError
        If a field is missing or inconsistent with the kind; ``key`` names the
        offending field (``poverty_rate.denominator``).

    Notes
    -----
    For a zone :math:`j` and weights :math:`w_{ij}` (share of unit :math:`i`
    in zone :math:`j`):

    * ``count``: :math:`v_j = \sum_i w_{ij} x_i`;
    * ``ratio``/``share``: :math:`v_j = s \sum_i w_{ij} n_i / \sum_i w_{ij} d_i`
      (a share is a ratio whose numerator is a part of its denominator);
      with ``published_as_ratio``, :math:`n_i = r_i d_i / s`;
    * ``mean``: :math:`v_j = \sum_i w_{ij} p_i m_i / \sum_i w_{ij} p_i` with
      unit means :math:`m_i` and weights :math:`p_i` (or
      :math:`\sum_i w_{ij} t_i / \sum_i w_{ij} p_i` when the totals
      :math:`t_i` are given as ``numerator``);
    * ``median``/``quantile``: not aggregable.

    Examples
    --------
    >>> hlm = Indicator(
    ...     "hlm_share", "share", "Part des locataires HLM", unit="%",
    ...     numerator="P{yy}_RP_LOCHLMV", denominator="P{yy}_RP", scale=100,
    ... )
    >>> hlm.aggregable
    True
    """

    id: str
    kind: Kind
    label: str
    unit: str = ""
    source: str = ""
    vintage: str | None = None
    variable: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    scale: float = 1.0
    weight: str | None = None
    published_as_ratio: bool = False
    secrecy: Mapping[str, Any] | None = None
    aliases: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        key = str(self.id)
        if not isinstance(self.id, str) or not _ID_RE.match(self.id):
            raise ConfigError(
                f"clé « id » : identifiant d'indicateur invalide {self.id!r} "
                "(lettres, chiffres et « _ », commençant par une lettre).",
                key="id",
            )
        if self.kind not in KINDS:
            raise ConfigError(
                f"clé « {key}.kind » : type « {self.kind} » inconnu ; types "
                f"possibles : {format_codes(KINDS, len(KINDS))}.",
                key=f"{key}.kind",
                expected=KINDS,
            )
        if not isinstance(self.label, str) or not self.label.strip():
            raise ConfigError(
                f"clé « {key}.label » : libellé français manquant.", key=f"{key}.label"
            )
        for name in ("unit", "source", "description"):
            if not isinstance(getattr(self, name), str):
                raise ConfigError(
                    f"clé « {key}.{name} » : texte attendue.", key=f"{key}.{name}"
                )
        if self.vintage is not None:
            object.__setattr__(self, "vintage", str(self.vintage))
        scale = self.scale
        if isinstance(scale, bool) or not isinstance(scale, int | float):
            raise ConfigError(
                f"clé « {key}.scale » : nombre attendu, trouvé {scale!r}.",
                key=f"{key}.scale",
            )
        if not math.isfinite(scale) or scale <= 0:
            raise ConfigError(
                f"clé « {key}.scale » : nombre strictement positif attendu, "
                f"trouvé {scale!r}.",
                key=f"{key}.scale",
            )
        object.__setattr__(self, "scale", float(scale))
        object.__setattr__(self, "aliases", _as_tuple(self.aliases, f"{key}.aliases"))
        object.__setattr__(self, "secrecy", _freeze_secrecy(self.secrecy, key))
        for name in ("variable", "numerator", "denominator", "weight"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise ConfigError(
                    f"clé « {key}.{name} » : nom de variable ou de composante "
                    f"attendu, trouvé {value!r}.",
                    key=f"{key}.{name}",
                )
        self._check_kind(key)

    def _check_kind(self, key: str) -> None:
        def need(name: str, why: str) -> None:
            if getattr(self, name) is None:
                raise ConfigError(
                    f"clé « {key}.{name} » : obligatoire pour un indicateur de type "
                    f"« {self.kind} » ({why}).",
                    key=f"{key}.{name}",
                )

        if self.published_as_ratio and self.kind not in ("ratio", "share"):
            raise ConfigError(
                f"clé « {key}.published_as_ratio » : réservé aux types « ratio » "
                f"et « share », pas « {self.kind} ».",
                key=f"{key}.published_as_ratio",
            )
        if self.kind == "count":
            need("variable", "la variable comptée")
        elif self.kind in ("ratio", "share"):
            need("denominator", "le dénominateur")
            if self.published_as_ratio:
                need("variable", "le taux publié dont on reconstitue le numérateur")
            else:
                need("numerator", "le numérateur")
        elif self.kind == "mean":
            need("weight", "la pondération de la moyenne")
            if self.variable is None and self.numerator is None:
                raise ConfigError(
                    f"clé « {key}.variable » : une moyenne demande la moyenne de "
                    "chaque unité (variable) ou la somme des valeurs (numerator).",
                    key=f"{key}.variable",
                )
        else:
            need("variable", "la valeur publiée pour chaque unité")

    def __hash__(self) -> int:
        return hash((self.id, self.kind, self.vintage, self.variable))

    @property
    def aggregable(self) -> bool:
        """True when the zone value can be rebuilt exactly (not a median)."""
        return self.kind in AGGREGABLE_KINDS

    def role_sets(self) -> list[dict[str, str]]:
        """Return the alternative sets of roles → references, preferred first.

        Returns
        -------
        list of dict
            For a ratio published without numerator:
            ``[{"numerator": n, "denominator": d}, {"rate": v, "denominator": d}]``
            (the first only when a numerator is declared).
        """
        need = self._required
        if self.kind == "count":
            return [{"value": need("variable")}]
        if self.kind in ("ratio", "share"):
            sets = []
            if self.numerator is not None:
                sets.append(
                    {"numerator": self.numerator, "denominator": need("denominator")}
                )
            if self.published_as_ratio:
                sets.append(
                    {"rate": need("variable"), "denominator": need("denominator")}
                )
            return sets
        if self.kind == "mean":
            sets = []
            if self.numerator is not None:
                sets.append({"numerator": self.numerator, "weight": need("weight")})
            if self.variable is not None:
                sets.append({"value": self.variable, "weight": need("weight")})
            return sets
        roles = {"value": need("variable")}
        if self.weight is not None:
            roles["weight"] = self.weight
        return [roles]

    def _required(self, field_name: str) -> str:
        """Return a reference field that this indicator's kind requires."""
        value = getattr(self, field_name)
        if value is None:  # __post_init__ checks the fields of each kind
            raise ConfigError(
                f"indicateur « {self.id} » : champ « {field_name} » manquant pour "
                f"le type « {self.kind} ».",
                key=field_name,
            )
        return str(value)

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as plain Python values (TOML-ready, no None).

        Returns
        -------
        dict
        """
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == () or (f.name == "description" and not value):
                continue
            if isinstance(value, Mapping):
                value = dict(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], key: str = "indicators") -> Indicator:
        """Build an indicator from a mapping read in a catalogue file.

        Parameters
        ----------
        data : mapping
            Fields of :class:`Indicator`.
        key : str, default "indicators"
            Key path of the mapping in its file (``"indicators[3]"``), used in
            error messages.

        Returns
        -------
        Indicator

        Raises
        ------
        ConfigError
            Unknown or invalid field; ``key`` is the full path
            (``"indicators[3].denominator"``).
        """
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"clé « {key} » : table attendue, trouvé {data!r}.", key=key
            )
        unknown = sorted(set(data) - _INDICATOR_KEYS)
        if unknown:
            hint = difflib.get_close_matches(unknown[0], _INDICATOR_KEYS, n=1)
            extra = f" (vouliez-vous dire « {hint[0]} » ?)" if hint else ""
            raise ConfigError(
                f"clé « {key}.{unknown[0]} » : champ inconnu{extra}.",
                key=f"{key}.{unknown[0]}",
            )
        try:
            return cls(**dict(data))
        except ConfigError as exc:
            raise _rekey(exc, key) from None
        except TypeError:
            missing = [n for n in ("id", "kind", "label") if n not in data]
            name = missing[0] if missing else "id"
            raise ConfigError(
                f"clé « {key}.{name} » : champ obligatoire manquant.",
                key=f"{key}.{name}",
            ) from None


def _freeze_secrecy(value: Any, key: str) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return MappingProxyType({"rule": value})
    if isinstance(value, Mapping) and isinstance(value.get("rule"), str):
        return MappingProxyType(dict(value))
    raise ConfigError(
        f"clé « {key}.secrecy » : nom de règle (« caf ») ou table avec une clé "
        f"« rule » attendu, trouvé {value!r}.",
        key=f"{key}.secrecy",
    )


def _rekey(exc: ConfigError, prefix: str) -> ConfigError:
    """Re-raise a field error under the full key path of the file."""
    sub = getattr(exc, "key", "") or ""
    field_name = sub.split(".", 1)[1] if "." in sub else sub
    full = f"{prefix}.{field_name}" if field_name else prefix
    message = exc.message.replace(f"« {sub} »", f"« {full} »", 1)
    return ConfigError(
        message, key=full, **{k: v for k, v in exc.details.items() if k != "key"}
    )


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
            Unknown section or field, invalid indicator; ``key`` names the path.
        """
        unknown = sorted(set(data) - {"name", "components", "indicators"})
        if unknown:
            raise ConfigError(
                f"clé « {unknown[0]} » : section inconnue (attendu « name », "
                "« components », « indicators »).",
                key=unknown[0],
            )
        comps_data = data.get("components", {})
        if not isinstance(comps_data, Mapping):
            raise ConfigError(
                "clé « components » : table de composantes attendue.", key="components"
            )
        components = []
        for cid, spec in comps_data.items():
            key = f"components.{cid}"
            if not isinstance(spec, Mapping):
                raise ConfigError(f"clé « {key} » : table attendue.", key=key)
            bad = sorted(
                set(spec) - {"label", "variables", "sum_of", "description", "spread"}
            )
            if bad:
                raise ConfigError(
                    f"clé « {key}.{bad[0]} » : champ inconnu.", key=f"{key}.{bad[0]}"
                )
            components.append(
                Component(
                    cid,
                    label=spec.get("label", ""),
                    variables=_as_tuple(spec.get("variables"), f"{key}.variables"),
                    sum_of=_as_tuple(spec.get("sum_of"), f"{key}.sum_of"),
                    description=spec.get("description", ""),
                    spread=spec.get("spread", "weights"),
                )
            )
        items = data.get("indicators", [])
        if not isinstance(items, list):
            raise ConfigError(
                "clé « indicators » : liste de tables attendue ([[indicators]]).",
                key="indicators",
            )
        indicators = [
            Indicator.from_dict(item, f"indicators[{i}]")
            for i, item in enumerate(items)
        ]
        catalog = cls(
            tuple(indicators),
            {c.id: c for c in components},  # ids are keys of one TOML table
            name=data.get("name", name),
        )
        catalog._check_references()
        return catalog

    def _check_references(self) -> None:
        """Refuse references that are neither components nor variable names."""
        for pos, ind in enumerate(self.indicators):
            for role in ("variable", "numerator", "denominator", "weight"):
                ref = getattr(ind, role)
                if ref is None or ref in self.components:
                    continue
                if not re.fullmatch(
                    r"[A-Za-z0-9_]*(\{yy\}|\{yyyy\})?[A-Za-z0-9_]*", ref
                ):
                    raise ConfigError(
                        f"clé « indicators[{pos}].{role} » : « {ref} » n'est ni une "
                        "composante du catalogue ni un nom de variable.",
                        key=f"indicators[{pos}].{role}",
                    )

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
            Invalid TOML or content; ``path`` and ``key`` say where.
        OSError
            The file cannot be read.
        """
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"fichier « {path} » : TOML invalide ({exc}).", path=path, key=""
            ) from exc
        return cls._from_file_data(data, path)

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
        try:
            import yaml
        except ImportError as exc:  # pragma: no cover - depends on the env
            raise ImportError(
                "La lecture d'un catalogue YAML demande PyYAML : pip install pyyaml"
            ) from exc
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(
                f"fichier « {path} » : YAML invalide ({exc}).", path=path, key=""
            ) from exc
        return cls._from_file_data(data, path)

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
        suffix = Path(path).suffix.lower()
        if suffix == ".toml":
            return cls.from_toml(path)
        if suffix in (".yaml", ".yml"):
            return cls.from_yaml(path)
        raise ConfigError(
            f"fichier « {path} » : extension « {suffix} » non prise en charge "
            "(.toml, .yaml ou .yml).",
            path=path,
            key="",
        )

    @classmethod
    def _from_file_data(cls, data: Any, path: Path) -> Catalog:
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"fichier « {path} » : table attendue au premier niveau.",
                path=path,
                key="",
            )
        try:
            return cls.from_dict(data, name=path.stem)
        except ConfigError as exc:
            raise ConfigError(
                f"fichier « {path} », {exc.message}",
                path=path,
                **exc.details,
            ) from None

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
        comp = self.components.get(reference)
        return comp.alternatives() if comp is not None else [(reference,)]

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
        >>> cat = default_catalog()
        >>> r = cat.resolve("population", ["CODGEO", "P16_POP", "P21_POP"])
        >>> r.columns["value"], r.vintage
        (('P21_POP',), '2021')
        """
        ind = self.get(indicator)
        cols = list(columns.columns if isinstance(columns, pd.DataFrame) else columns)
        wanted = str(vintage) if vintage is not None else ind.vintage
        if wanted is not None and len(wanted) == 2 and wanted.isdigit():
            wanted = (
                f"{1900 + int(wanted) if int(wanted) >= 50 else 2000 + int(wanted)}"
            )
        first_error: MethodError | None = None
        for roles in ind.role_sets():
            try:
                return self._resolve_roles(ind, roles, cols, wanted)
            except MethodError as exc:
                first_error = first_error or exc
        assert first_error is not None  # role_sets() is never empty
        raise first_error

    def _options(
        self, reference: str, cols: list[str]
    ) -> list[tuple[str | None, tuple[str, ...]]]:
        """List (vintage, columns) options of a reference, preferred first."""
        options: list[tuple[str | None, tuple[str, ...]]] = []
        for alt in self.alternatives(reference):
            per_pattern: list[dict[str | None, str]] = []
            for pattern in alt:
                regex = _pattern_regex(pattern)
                found: dict[str | None, str] = {}
                for col in cols:
                    m = regex.fullmatch(str(col))
                    if m is not None:
                        found.setdefault(_vintage_of(m), col)
                per_pattern.append(found)
            if not all(per_pattern):
                continue
            vintages = {v for found in per_pattern for v in found if v is not None}
            candidates: list[str | None] = [*sorted(vintages, reverse=True)]
            for v in candidates or [None]:
                if all(v in found or None in found for found in per_pattern):
                    picked = tuple(
                        found[v] if v in found else found[None] for found in per_pattern
                    )
                    options.append((v, picked))
            if vintages and all(None in found for found in per_pattern):
                options.append((None, tuple(found[None] for found in per_pattern)))
        return options

    def _resolve_roles(
        self,
        ind: Indicator,
        roles: Mapping[str, str],
        cols: list[str],
        wanted: str | None,
    ) -> Resolution:
        options = {role: self._options(ref, cols) for role, ref in roles.items()}
        for role, opts in options.items():
            if wanted is not None:
                opts = [o for o in opts if o[0] in (wanted, None)]
            if not opts:
                ref = roles[role]
                tried = [" + ".join(alt) for alt in self.alternatives(ref)]
                close = difflib.get_close_matches(
                    _PLACEHOLDER_RE.sub("16", tried[min(1, len(tried) - 1)]),
                    [str(c) for c in cols],
                    n=3,
                    cutoff=0.5,
                )
                at = f" du millésime {wanted}" if wanted else ""
                hint = f" Colonnes proches : {format_codes(close)}." if close else ""
                raise MethodError(
                    f"indicateur « {ind.id} », {_ROLE_FR.get(role, role)} « {ref} » : "
                    f"aucune colonne{at} ne correspond à {format_codes(tried, 6)}.{hint}",
                    column=ref,
                    indicator=ind.id,
                    role=role,
                    candidates=close,
                    vintage=wanted,
                )
        vintages = {v for opts in options.values() for v, _ in opts if v is not None}
        if wanted is not None:
            order: list[str | None] = [wanted]
        else:
            order = [*sorted(vintages, reverse=True), None]
        for v in order:
            chosen: dict[str, tuple[str, ...]] = {}
            used: set[str] = set()
            for role, opts in options.items():
                # first option in the catalogue's order that fits vintage v
                pick = next(((ov, c) for ov, c in opts if ov in (v, None)), None)
                if pick is None:
                    break
                chosen[role] = pick[1]
                used.update([pick[0]] if pick[0] else [])
            else:
                by_area = frozenset(
                    role
                    for role, ref in roles.items()
                    if ref in self.components and self.components[ref].spread == "area"
                )
                return Resolution(
                    ind.id, MappingProxyType(chosen), v if used else None, by_area
                )
        found = {
            role: sorted({ov for ov, _ in opts if ov}) for role, opts in options.items()
        }
        raise MethodError(
            f"indicateur « {ind.id} » : ses composantes ne sont pas disponibles pour un "
            f"même millésime ({'; '.join(f'{r} : {v}' for r, v in found.items())}).",
            indicator=ind.id,
            vintages=found,
        )

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
        frame.columns = ["Libellé", "Type", "Unité", "Source", "Millésime"]
        return f"<p><strong>{html.escape(repr(self))}</strong></p>" + frame.to_html(
            na_rep="(données)", escape=True
        )


_ROLE_FR = {
    "value": "variable",
    "numerator": "numérateur",
    "denominator": "dénominateur",
    "rate": "taux publié",
    "weight": "pondération",
}


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
    return Catalog.from_dict(data, name="territobs")
