r"""Indicator kinds: one :class:`KindSpec` per kind, read by every stage.

A kind says how an indicator's zone value is rebuilt from its units and
everything that follows from it. Recompute (:mod:`territobs.zoning.recompute`),
secrecy (:mod:`territobs.secrecy`), territory, formatting and COG conversion
read the spec instead of branching on the kind's name, so adding a kind is one
entry in :data:`KIND_SPECS` (and, if it aggregates in a new way, one summing
function in ``zoning/recompute.py``).

For a zone :math:`j` and weights :math:`w_{ij}`:

* ``count``: :math:`v_j = \sum_i w_{ij} x_i`;
* ``ratio``/``share``: :math:`v_j = s \sum_i w_{ij} n_i / \sum_i w_{ij} d_i`;
* ``mean``: :math:`v_j = \sum_i w_{ij} p_i m_i / \sum_i w_{ij} p_i`;
* ``median``/``quantile``: not aggregable (only a named approximation).

Examples
--------
>>> kind_spec("share").sums, kind_spec("share").label
('ratio', 'part')
>>> [k for k in KINDS if kind_spec(k).aggregable]
['count', 'ratio', 'share', 'mean']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, Protocol, get_args

__all__ = [
    "AGGREGABLE_KINDS",
    "COUNT_KINDS",
    "KINDS",
    "KIND_SPECS",
    "RATIO_KINDS",
    "Kind",
    "KindSpec",
    "is_count",
    "kind_spec",
]

Kind = Literal["count", "ratio", "share", "mean", "median", "quantile"]
#: Every indicator kind.
KINDS: tuple[str, ...] = get_args(Kind)

#: How a zone value is rebuilt: a sum, Σ numerator / Σ denominator, a
#: weighted mean, or not at all.
Sums = Literal["sum", "ratio", "weighted_mean", "none"]
#: What converting a table to another COG vintage does with a column:
#: sum it, rebuild it from its two converted components, or refuse.
CogConversion = Literal["sum", "ratio", "refuse"]


class IndicatorFields(Protocol):
    """The reference fields of an indicator a kind reads."""

    @property
    def variable(self) -> str | None: ...
    @property
    def numerator(self) -> str | None: ...
    @property
    def denominator(self) -> str | None: ...
    @property
    def weight(self) -> str | None: ...
    @property
    def published_as_ratio(self) -> bool: ...


Problem = tuple[str, str]  # (field, French reason)


@dataclass(frozen=True)
class KindSpec:
    """What one indicator kind means for every stage.

    Parameters
    ----------
    name : str
        The kind (``"share"``).
    label : str
        French name (« part »), shown in tables and messages.
    article : str
        French name with its article (« une part »), for sentences.
    sums : {"sum", "ratio", "weighted_mean", "none"}
        How the zone value is rebuilt (``"none"``: not aggregable).
    is_count : bool
        The value is itself a count: shown without decimals from 100 up,
        compared as a share of a total, summed over a partition.
    secrecy_parts : mapping of str to str
        Parts of a result row that are counts seen by secrecy rules
        (``value``, ``numerator``, ``denominator``) → the indicator field
        naming the component counted there.
    cog : {"sum", "ratio", "refuse"}
        What COG conversion does with a column of this kind.
    published_rate : bool
        The producer may publish the value without its numerator
        (``published_as_ratio``); the numerator is rebuilt per unit.
    roles : callable
        ``roles(indicator)`` → alternative sets of role → reference,
        preferred first (:meth:`territobs.catalog.Indicator.role_sets`).
    requires : callable
        ``requires(indicator)`` → list of ``(field, French reason)`` for
        each missing field (empty when the indicator is complete).
    """

    name: str
    label: str
    article: str
    sums: Sums
    is_count: bool
    secrecy_parts: Mapping[str, str]
    cog: CogConversion
    published_rate: bool
    roles: Callable[[IndicatorFields], list[dict[str, str]]]
    requires: Callable[[IndicatorFields], list[Problem]]

    @property
    def aggregable(self) -> bool:
        """True when the zone value can be rebuilt exactly from the units."""
        return self.sums != "none"

    def part_reference(self, ind: IndicatorFields, part: str) -> str | None:
        """Return the reference counted in one part of a row, if a plain count.

        Parameters
        ----------
        ind : Indicator
        part : {"value", "numerator", "denominator"}

        Returns
        -------
        str or None
            None when the part is not a plain count of one reference (a
            numerator rebuilt from a published rate, a mean's weighted sum).
        """
        field = self.secrecy_parts.get(part)
        if field is None:
            return None
        if field == "numerator" and ind.published_as_ratio:
            return None
        value = getattr(ind, field)
        return None if value is None else str(value)


def _missing(ind: IndicatorFields, *needs: tuple[str, str]) -> list[Problem]:
    return [(name, why) for name, why in needs if getattr(ind, name) is None]


def _count_roles(ind: IndicatorFields) -> list[dict[str, str]]:
    return [{"value": str(ind.variable)}]


def _ratio_roles(ind: IndicatorFields) -> list[dict[str, str]]:
    sets = []
    if ind.numerator is not None:
        sets.append({"numerator": ind.numerator, "denominator": str(ind.denominator)})
    if ind.published_as_ratio:
        sets.append({"rate": str(ind.variable), "denominator": str(ind.denominator)})
    return sets


def _ratio_requires(ind: IndicatorFields) -> list[Problem]:
    top = (
        ("variable", "le taux publié dont on reconstitue le numérateur")
        if ind.published_as_ratio
        else ("numerator", "le numérateur")
    )
    return _missing(ind, ("denominator", "le dénominateur"), top)


def _mean_roles(ind: IndicatorFields) -> list[dict[str, str]]:
    sets = []
    if ind.numerator is not None:
        sets.append({"numerator": ind.numerator, "weight": str(ind.weight)})
    if ind.variable is not None:
        sets.append({"value": ind.variable, "weight": str(ind.weight)})
    return sets


def _mean_requires(ind: IndicatorFields) -> list[Problem]:
    problems = _missing(ind, ("weight", "la pondération de la moyenne"))
    if ind.variable is None and ind.numerator is None:
        problems.append(
            (
                "variable",
                "la moyenne de chaque unité (variable) ou la somme des valeurs "
                "(numerator)",
            )
        )
    return problems


def _unit_value_roles(ind: IndicatorFields) -> list[dict[str, str]]:
    roles = {"value": str(ind.variable)}
    if ind.weight is not None:
        roles["weight"] = ind.weight
    return [roles]


def _count_requires(ind: IndicatorFields) -> list[Problem]:
    return _missing(ind, ("variable", "la variable comptée"))


def _unit_value_requires(ind: IndicatorFields) -> list[Problem]:
    return _missing(ind, ("variable", "la valeur publiée pour chaque unité"))


_RATIO_PARTS = MappingProxyType(
    {"numerator": "numerator", "denominator": "denominator"}
)
_NO_PARTS: Mapping[str, str] = MappingProxyType({})


def _ratio_spec(name: str, label: str, article: str) -> KindSpec:
    return KindSpec(
        name, label, article, "ratio", False, _RATIO_PARTS, "ratio", True,
        _ratio_roles, _ratio_requires,
    )  # fmt: skip


def _unit_value_spec(name: str, label: str, article: str) -> KindSpec:
    return KindSpec(
        name, label, article, "none", False, _NO_PARTS, "refuse", False,
        _unit_value_roles, _unit_value_requires,
    )  # fmt: skip


#: One spec per kind, in the order of :data:`KINDS`.
KIND_SPECS: Mapping[str, KindSpec] = MappingProxyType(
    {
        "count": KindSpec(
            "count", "effectif", "un effectif", "sum", True,
            MappingProxyType({"value": "variable"}), "sum", False,
            _count_roles, _count_requires,
        ),
        "ratio": _ratio_spec("ratio", "ratio", "un ratio"),
        "share": _ratio_spec("share", "part", "une part"),
        "mean": KindSpec(
            "mean", "moyenne", "une moyenne", "weighted_mean", False,
            MappingProxyType({"denominator": "weight"}), "refuse", False,
            _mean_roles, _mean_requires,
        ),
        "median": _unit_value_spec("median", "médiane", "une médiane"),
        "quantile": _unit_value_spec(
            "quantile", "quantile", "un quantile (décile, quartile)"
        ),
    }
)  # fmt: skip

#: Kinds whose value is a count (for vectorised tests on a ``kind`` column).
COUNT_KINDS: frozenset[str] = frozenset(
    name for name, spec in KIND_SPECS.items() if spec.is_count
)
#: Kinds rebuilt as Σ numerator / Σ denominator (ratios and shares).
RATIO_KINDS: frozenset[str] = frozenset(
    name for name, spec in KIND_SPECS.items() if spec.sums == "ratio"
)
#: Kinds whose zone value can be rebuilt exactly from the units' values.
AGGREGABLE_KINDS: frozenset[str] = frozenset(
    name for name, spec in KIND_SPECS.items() if spec.aggregable
)

assert tuple(KIND_SPECS) == KINDS  # one spec per kind, same order


def kind_spec(kind: str) -> KindSpec:
    """Return the spec of a kind.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.

    Returns
    -------
    KindSpec

    Raises
    ------
    KeyError
        Unknown kind (indicators check their kind when built, so this only
        happens on a hand-made result frame).
    """
    return KIND_SPECS[kind]


def is_count(kind: object) -> bool:
    """Return whether ``kind`` counts (False for other text, blank or unknown).

    Examples
    --------
    >>> is_count("count"), is_count("ratio"), is_count("")
    (True, False, False)
    """
    spec = KIND_SPECS.get(str(kind))
    return spec is not None and spec.is_count
