"""Indicator and component definitions: the values a catalogue holds.

An :class:`Indicator` says how its value is rebuilt on a zone from the values
of the units it covers (its *kind*, :mod:`territobs.catalog.kinds`).
Indicators refer to *components* (:class:`Component`: ``population``,
``households``...), each mapped to the producer variables that carry it in one
vintage or another (``P16_POP``, ``P21_POP``). A :class:`Resolution` says which
columns of a table gave each role of an indicator.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

from territobs._toml import Problems, Table
from territobs.catalog.kinds import KINDS, Kind, kind_spec
from territobs.errors import ConfigError, format_codes

__all__ = ["Component", "Indicator", "Resolution"]

_PLACEHOLDERS = {"{yy}": r"(?P<yy>\d{2})", "{yyyy}": r"(?P<yyyy>\d{4})"}
_PLACEHOLDER_RE = re.compile(r"\{yyyy\}|\{yy\}")
#: Fields of an indicator naming a component or a producer variable.
REFERENCE_FIELDS = ("variable", "numerator", "denominator", "weight")
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
        spec = kind_spec(self.kind)
        if self.published_as_ratio and not spec.published_rate:
            raise ConfigError(
                f"clé « {key}.published_as_ratio » : réservé aux types « ratio » "
                f"et « share », pas « {self.kind} ».",
                key=f"{key}.published_as_ratio",
            )
        for name, why in spec.requires(self):
            raise ConfigError(
                f"clé « {key}.{name} » : obligatoire pour un indicateur de type "
                f"« {self.kind} » ({why}).",
                key=f"{key}.{name}",
            )

    def __hash__(self) -> int:
        return hash((self.id, self.kind, self.vintage, self.variable))

    @property
    def aggregable(self) -> bool:
        """True when the zone value can be rebuilt exactly (not a median)."""
        return kind_spec(self.kind).aggregable

    def role_sets(self) -> list[dict[str, str]]:
        """Return the alternative sets of roles → references, preferred first.

        Returns
        -------
        list of dict
            For a ratio published without numerator:
            ``[{"numerator": n, "denominator": d}, {"rate": v, "denominator": d}]``
            (the first only when a numerator is declared).
        """
        return kind_spec(self.kind).roles(self)

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
            Listing every unknown or invalid field (``problems``); ``key`` is
            the first full path (``"indicators[3].denominator"``).
        """
        problems = Problems()
        indicator = _indicator(Table(data, key, problems))
        problems.raise_if_any(None, "indicateur")
        assert indicator is not None
        return indicator


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


def _component(table: Table, cid: str) -> Component | None:
    if not _ID_RE.match(cid):
        table.problems.add(
            table.key,
            f"identifiant de composante invalide {cid!r} (lettres, chiffres et "
            "« _ », commençant par une lettre)",
        )
    label = table.get("label", str, "")
    variables = table.strings("variables", allow_scalar=True)
    sum_of = table.strings("sum_of", allow_scalar=True)
    description = table.get("description", str, "")
    spread = table.get("spread", str, "weights", choices=("weights", "area"))
    table.finish()
    if not table.ok or not _ID_RE.match(cid):
        return None
    return Component(cid, label, variables, sum_of, description, spread)


def _positive(table: Table, name: str) -> float:
    value = table.get(name, float, 1.0)
    if not math.isfinite(value) or value <= 0:
        table.add(name, f"nombre strictement positif attendu, trouvé {value!r}")
        return 1.0
    return float(value)


def _indicator(table: Table) -> Indicator | None:
    before = len(table.problems.items)
    ident = table.get("id", str, "", required=True)
    if ident and not _ID_RE.match(ident):
        table.add(
            "id",
            f"identifiant d'indicateur invalide {ident!r} (lettres, chiffres et "
            "« _ », commençant par une lettre)",
        )
    kind = table.get("kind", str, None, required=True, choices=KINDS)
    label = table.get("label", str, "", required=True)
    if table.has("label") and isinstance(label, str) and not label.strip():
        table.add("label", "libellé français manquant")
    fields: dict[str, Any] = {"id": ident, "kind": kind, "label": label}
    for name in ("unit", "source", "description"):
        fields[name] = table.get(name, str, "")
    table.known.add("vintage")
    if table.has("vintage"):
        vintage = table.data["vintage"]
        if isinstance(vintage, bool) or not isinstance(vintage, str | int):
            table.add("vintage", f"une année est attendue, trouvé {vintage!r}")
        else:
            fields["vintage"] = str(vintage)
    for name in REFERENCE_FIELDS:
        value = table.get(name, str)
        if value == "":
            table.add(name, "nom de variable ou de composante attendu, trouvé ''")
        elif value is not None:
            fields[name] = value
    fields["scale"] = _positive(table, "scale")
    fields["published_as_ratio"] = table.get("published_as_ratio", bool, False)
    fields["aliases"] = table.strings("aliases", allow_scalar=True)
    table.known.add("secrecy")
    if table.has("secrecy"):
        secrecy = table.data["secrecy"]
        if isinstance(secrecy, str) or (
            isinstance(secrecy, Mapping) and isinstance(secrecy.get("rule"), str)
        ):
            fields["secrecy"] = secrecy
        else:
            table.add(
                "secrecy",
                "nom de règle (« caf ») ou table avec une clé « rule » attendu, "
                f"trouvé {secrecy!r}",
            )
    table.finish()
    if kind is not None:
        _kind_problems(table, kind, fields)
    if len(table.problems.items) > before:
        return None
    try:
        return Indicator(**fields)
    except ConfigError as exc:  # a check of the dataclass this loader lacks
        table.problems.add(table.key, exc.message)
        return None


def _kind_problems(table: Table, kind: str, fields: Mapping[str, Any]) -> None:
    spec = kind_spec(kind)

    class _Fields:
        variable = fields.get("variable")
        numerator = fields.get("numerator")
        denominator = fields.get("denominator")
        weight = fields.get("weight")
        published_as_ratio = bool(fields.get("published_as_ratio"))

    if _Fields.published_as_ratio and not spec.published_rate:
        table.add(
            "published_as_ratio",
            f"réservé aux types « ratio » et « share », pas « {kind} »",
        )
    for name, why in spec.requires(_Fields()):
        table.add(name, f"obligatoire pour un indicateur de type « {kind} » ({why})")
