"""Secrecy rules: who masks what, below which threshold, and what a blank hides.

A :class:`SecrecyRule` is a small frozen value. The built-in rules reproduce
the producers' published dissemination rules (CAF open data, INSEE Filosofi,
INSEE census advice); :func:`departement` builds a rule for a Département's
own files; :func:`rules_from_toml` reads rules and their assignment to
indicators from a TOML file, overriding the built-ins.

Sources are cited in ``docs/methods/secrecy.md``.

The module stays whole (about 700 lines, half of them docstrings citing the
producers' rules): the rule value, its built-ins, its TOML form and its
resolution per indicator are one concept, and splitting the TOML half out
would make it import the rule back (an import cycle).
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from territobs._toml import Problems, Table, problems_error
from territobs.errors import SecrecyError, format_codes
from territobs.formatting import count_of

__all__ = [
    "BUILTIN_RULES",
    "CAF",
    "FILOSOFI",
    "RP",
    "Action",
    "SecrecyRule",
    "departement",
    "governing_counts",
    "resolve_rules",
    "rule_from_mapping",
    "rules_from_catalog",
    "rules_from_toml",
]

Action = Literal["mask", "advise"]
_ACTIONS = ("mask", "advise")


@dataclass(frozen=True)
class SecrecyRule:
    """A producer's dissemination rule.

    Parameters
    ----------
    id : str
        Short identifier (``"caf"``, ``"filosofi"``...).
    label : str
        French description shown in reports.
    producer : str
        Who sets the rule (``"CNAF"``, ``"Insee"``, a Département).
    threshold : float
        A figure is published only if its governing count is at least
        ``threshold`` (CAF 5, Filosofi 11 households).
    governing : str, optional
        Indicator id of the count that governs publication (Filosofi:
        ``"fiscal_households"``, the number of fiscal households of the zone, read
        from the result row of that indicator for the same zone). ``None``
        (default) means each figure is governed by its own counts: the value
        of a count, the numerator and denominator of a ratio or share, the
        denominator of a mean. Medians and quantiles need a governing count.
    governing_label : str, default "unités"
        French plural noun of the governing count, for messages
        (``"allocataires"``, ``"ménages fiscaux"``).
    masked_max : float, optional
        Largest value a producer's blank can hide (CAF: 4). Used for the
        bounds of incomplete counts; ``None`` when unknown (no bounds).
    mask_zero : bool, default False
        Also treat 0 as disclosive (CAF blanks every value below 5,
        including 0). A zero difference between two zones with the same
        units is never disclosive.
    mask_ratio_with_components : bool, default True
        When ``governing`` is set, also mask a ratio whose own numerator or
        denominator falls below the threshold. (With ``governing=None``
        they always govern.)
    publish_bounds : bool, default False
        Publish ``[lower, upper]`` for incomplete counts instead of masking
        them (an explicit choice; :func:`~territobs.secrecy.apply_secrecy`
        can also switch it on for every rule).
    action : {"mask", "advise"}, default "mask"
        ``"advise"`` rules never mask: :func:`~territobs.secrecy.audit`
        lists the figures below the threshold as warnings (census advice).
    source : str, default ""
        Where the rule comes from (document, page).
    protection_width : float, optional
        Narrowest interval an attacker may be left with for a masked figure
        of this rule, from every linear combination of the published
        figures (see :func:`~territobs.secrecy.audit`). ``None`` (default):
        the threshold, so that an attacker can never conclude that a masked
        count lies below it (``docs/methods/secrecy.md``).

    Raises
    ------
    SecrecyError
        If the threshold is not a positive finite number, ``masked_max`` is
        negative or not below the threshold, or ``action`` is unknown.

    Examples
    --------
    >>> rule = departement(threshold=10, producer="Département de l'Ain")
    >>> rule.threshold, rule.masked_max
    (10.0, 9.0)
    """

    id: str
    label: str
    producer: str
    threshold: float
    governing: str | None = None
    governing_label: str = "unités"
    masked_max: float | None = None
    mask_zero: bool = False
    mask_ratio_with_components: bool = True
    publish_bounds: bool = False
    action: Action = "mask"
    source: str = ""
    protection_width: float | None = None

    def __post_init__(self) -> None:
        name = f"règle de secret « {self.id} »"
        try:
            threshold = float(self.threshold)
        except (TypeError, ValueError):
            threshold = math.nan
        if not math.isfinite(threshold) or threshold <= 0:
            raise SecrecyError(
                f"{name} : seuil « {self.threshold} » invalide (nombre positif attendu).",
                rule=self.id,
                key="threshold",
            )
        object.__setattr__(self, "threshold", threshold)
        if self.masked_max is not None:
            masked_max = float(self.masked_max)
            if not math.isfinite(masked_max) or not 0 <= masked_max < threshold:
                raise SecrecyError(
                    f"{name} : « masked_max » = {self.masked_max} invalide (attendu "
                    f"entre 0 et le seuil {threshold:g} exclu).",
                    rule=self.id,
                    key="masked_max",
                )
            object.__setattr__(self, "masked_max", masked_max)
        if self.protection_width is not None:
            try:
                width = float(self.protection_width)
            except (TypeError, ValueError):
                width = math.nan
            if not math.isfinite(width) or width < 0:
                raise SecrecyError(
                    f"{name} : « protection_width » = {self.protection_width!r} "
                    "invalide (nombre positif ou nul attendu).",
                    rule=self.id,
                    key="protection_width",
                )
        if self.action not in _ACTIONS:
            raise SecrecyError(
                f"{name} : action « {self.action} » inconnue "
                f"(possibles : {', '.join(_ACTIONS)}).",
                rule=self.id,
                key="action",
            )

    @property
    def width(self) -> float:
        """Protection width: ``protection_width``, else the threshold."""
        if self.protection_width is None:
            return self.threshold
        return float(self.protection_width)

    def threshold_text(self) -> str:
        """Return the French phrase ``"moins de 11 ménages fiscaux"``."""
        return f"moins de {self.threshold:g} {self.governing_label}"


#: CAF open data (data.caf.fr commune files).
CAF = SecrecyRule(
    id="caf",
    label="CAF : valeurs inférieures à 5 masquées, secret secondaire par différence",
    producer="CNAF (data.caf.fr)",
    threshold=5,
    governing=None,
    governing_label="allocataires",
    masked_max=4,
    mask_zero=True,
    source=(
        "Lisez-moi des fichiers communaux data.caf.fr (cité dans "
        "anthill/open-moulinette, caf/scripts/PajeCom.py) : toutes les valeurs "
        "inférieures à 5 sont blanchies, ainsi que d'autres cellules pour qu'une "
        "valeur blanchie ne puisse être retrouvée par différence avec un total."
    ),
)

#: INSEE Filosofi (revenus localisés sociaux et fiscaux).
FILOSOFI = SecrecyRule(
    id="filosofi",
    label="Insee Filosofi : aucune diffusion sur moins de 11 ménages fiscaux",
    producer="Insee",
    threshold=11,
    governing="fiscal_households",
    governing_label="ménages fiscaux",
    masked_max=None,
    mask_ratio_with_components=False,
    source=(
        "Insee, Documentation des données carroyées Filosofi 2019, « Règles de "
        "confidentialité » : diffusion soumise à la règle d'au moins 11 ménages "
        "par unité géographique d'observation ; les carreaux de 200 m et 1 km "
        "sous ce seuil sont imputés (indicatrices i_est_200, i_est_1km)."
    ),
)

#: INSEE census: no secrecy threshold, but advice on small counts.
RP = SecrecyRule(
    id="rp",
    label="Insee recensement : effectifs inférieurs à 200 à manier avec précaution",
    producer="Insee",
    threshold=200,
    governing=None,
    governing_label="personnes",
    action="advise",
    source=(
        "Insee, bases infracommunales et bases communales du recensement, "
        "« Conseils d'utilisation » : les effectifs inférieurs à 200 doivent être "
        "maniés avec précaution car, en raison de l'imprécision liée au sondage, "
        "ils peuvent ne pas être significatifs."
    ),
)

#: Built-in rules by id.
BUILTIN_RULES: dict[str, SecrecyRule] = {r.id: r for r in (CAF, FILOSOFI, RP)}


def departement(
    threshold: float,
    *,
    producer: str = "Département",
    governing: str | None = None,
    governing_label: str = "bénéficiaires",
    id: str = "departement",
    masked_max: float | None = None,
    **options: Any,
) -> SecrecyRule:
    """Build the rule of a Département's own files.

    Parameters
    ----------
    threshold : float
        Publish only figures whose governing count is at least this.
    producer : str, default "Département"
        Name of the Département, for reports.
    governing, governing_label : optional
        See :class:`SecrecyRule`.
    id : str, default "departement"
        Rule identifier.
    masked_max : float, optional
        Largest value a blank of the Département's files hides; defaults to
        ``ceil(threshold) - 1`` (integer counts).
    **options
        Any other :class:`SecrecyRule` field (``mask_zero``...).

    Returns
    -------
    SecrecyRule

    Raises
    ------
    SecrecyError
        If the rule is invalid.

    Examples
    --------
    >>> departement(11).threshold_text()
    'moins de 11 bénéficiaires'
    """
    if masked_max is None and isinstance(threshold, (int, float)) and threshold > 0:
        masked_max = max(math.ceil(threshold) - 1, 0)
    return SecrecyRule(
        id=id,
        label=options.pop("label", f"{producer} : seuil de diffusion {threshold:g}"),
        producer=producer,
        threshold=threshold,
        governing=governing,
        governing_label=governing_label,
        masked_max=masked_max,
        **options,
    )


_FIELDS = {f.name for f in fields(SecrecyRule)}
#: Type of each field a TOML table may set (``threshold = 5``).
_FIELD_TYPES: dict[str, type] = {
    "label": str,
    "producer": str,
    "threshold": float,
    "governing": str,
    "governing_label": str,
    "masked_max": float,
    "mask_zero": bool,
    "mask_ratio_with_components": bool,
    "publish_bounds": bool,
    "action": str,
    "source": str,
    "protection_width": float,
}


def check_rule(
    table: Table, rule_id: str, base: SecrecyRule | None = None
) -> SecrecyRule | None:
    """Read one ``[rules.<id>]`` table, recording every problem; None if any.

    Parameters
    ----------
    table : territobs._toml.Table
        The rule's table, with its key path (``secrecy.rules.cd93``).
    rule_id : str
    base : SecrecyRule, optional
        Built-in rule of the same id, whose fields the table overrides.

    Returns
    -------
    SecrecyRule or None
    """
    problems = table.problems
    before = len(problems.items)
    values: dict[str, Any] = {}
    table.known.add("id")
    for name, kind in _FIELD_TYPES.items():
        choices = _ACTIONS if name == "action" else None
        value = table.get(name, kind, choices=choices)
        if value is not None:
            values[name] = value
    if table.ok and base is None and "threshold" not in table.data:
        table.add("threshold", "seuil de diffusion obligatoire (nombre positif)")
    typed = len(problems.items) == before
    table.finish()  # unknown keys do not stop the checks of the values
    if not typed or not table.ok:
        return None
    try:
        if base is not None:
            rule = replace(base, id=rule_id, **values)
        else:
            values.setdefault(
                "label", f"Règle « {rule_id} » (seuil {values['threshold']})"
            )
            values.setdefault("producer", "")
            rule = SecrecyRule(id=rule_id, **values)
    except SecrecyError as exc:  # values out of range (threshold <= 0...)
        message = exc.message.split(" : ", 1)[-1].rstrip(".")
        table.add(str(getattr(exc, "key", "")), message)
        return None
    return rule if len(problems.items) == before else None


def _raise(problems: Problems, path: str | os.PathLike[str] | None) -> None:
    if problems:
        error = problems_error(problems.items, path, "fichier de règles de secret")
        unknown = [
            key.rsplit(".", 1)[-1]
            for key, message in problems.items
            if message.startswith("clé inconnue")
        ]
        raise SecrecyError(
            error.message,
            path=path,
            key=error.key,  # type: ignore[attr-defined]
            problems=problems.items,
            codes=unknown,
        )


def rule_from_mapping(
    rule_id: str,
    mapping: Mapping[str, Any],
    *,
    base: SecrecyRule | None = None,
    key: str | None = None,
) -> SecrecyRule:
    """Build a rule from a mapping (a TOML table), optionally over a base rule.

    Parameters
    ----------
    rule_id : str
        Identifier of the rule.
    mapping : mapping
        Field values; unknown keys are an error.
    base : SecrecyRule, optional
        Rule whose fields are overridden (a built-in of the same id).
    key : str, optional
        Key path for messages (``"rules.caf"``).

    Returns
    -------
    SecrecyRule

    Raises
    ------
    SecrecyError
        Listing every problem (unknown keys, also on ``codes``; missing
        ``threshold`` without a base; wrong types; invalid values);
        ``error.key`` names the first key path, ``error.problems`` all.
    """
    problems = Problems()
    rule = check_rule(
        Table(mapping, key or f"rules.{rule_id}", problems), rule_id, base
    )
    _raise(problems, None)
    assert rule is not None
    return rule


def check_rules_section(
    section: Mapping[str, Any],
    problems: Problems,
    *,
    key: str = "",
    other_keys: Collection[str] | None = (),
) -> dict[str, SecrecyRule] | None:
    """Check the ``rules`` and ``indicators`` tables of a rules document.

    Every ``[rules.<id>]`` table is read (:func:`check_rule`) and every
    assignment of ``[indicators]`` must name a built-in or a defined rule.
    Used by :func:`rules_from_toml` and by the atlas's ``[secrecy]``.

    Parameters
    ----------
    section : mapping
        The document (or the atlas's ``[secrecy]`` table).
    problems : territobs._toml.Problems
    key : str, default ""
        Key path of ``section`` (``"secrecy"``).
    other_keys : collection of str or None, default ()
        Other keys ``section`` may hold; None: not checked here (the
        atlas's ``[secrecy]`` table checks its own).

    Returns
    -------
    dict of str to SecrecyRule or None
        Indicator id (or ``"*"``) → rule; None when a problem was recorded.
    """
    before = len(problems.items)
    doc = Table(section, key, problems)
    rules_table = doc.table("rules")
    indicators_table = doc.table("indicators")
    rules = dict(BUILTIN_RULES)
    for rule_id, data in rules_table.data.items():
        rules_table.known.add(rule_id)
        sub = Table(data, rules_table.sub(rule_id), problems)
        rule = check_rule(sub, rule_id, BUILTIN_RULES.get(rule_id))
        if rule is not None:
            rules[rule_id] = rule
    assignment: dict[str, SecrecyRule] = {}
    defined = {*BUILTIN_RULES, *rules_table.data}
    for indicator, rule_id in indicators_table.data.items():
        indicators_table.known.add(indicator)
        if not isinstance(rule_id, str):
            indicators_table.add(
                indicator, f"l'identifiant d'une règle est attendu, trouvé {rule_id!r}"
            )
        elif rule_id not in defined:
            indicators_table.add(
                indicator,
                f"règle « {rule_id} » inconnue (règles : {', '.join(sorted(defined))})",
            )
        elif rule_id in rules:
            assignment[indicator] = rules[rule_id]
    if other_keys is not None:
        doc.known.update(other_keys)
        doc.finish()
    return assignment if len(problems.items) == before else None


def rules_from_toml(path: str | os.PathLike[str]) -> dict[str, SecrecyRule]:
    """Read rules and their assignment to indicators from a TOML file.

    Parameters
    ----------
    path : path-like
        A TOML file with optional ``[rules.<id>]`` tables (new rules, or
        overrides of the built-in ``caf``, ``filosofi``, ``rp``) and an
        ``[indicators]`` table mapping indicator ids (or ``"*"`` for every
        other indicator) to rule ids.

    Returns
    -------
    dict of str to SecrecyRule
        Indicator id (or ``"*"``) → rule, ready for
        :func:`~territobs.secrecy.apply_secrecy`.

    Raises
    ------
    SecrecyError
        If the file is not valid TOML, or listing every invalid rule, unknown
        key and indicator given an unknown rule; ``error.path`` and
        ``error.key`` say where, ``error.problems`` lists them all.

    Examples
    --------
    A file such as::

        [rules.cd93]
        threshold = 10
        governing_label = "bénéficiaires"

        [indicators]
        rsa_beneficiaries = "caf"
        "*" = "cd93"
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SecrecyError(
            f"fichier « {path} » : TOML invalide ({exc}).", path=path
        ) from exc
    except OSError as exc:
        raise SecrecyError(
            f"fichier « {path} » illisible ({exc.strerror}).", path=path
        ) from exc
    problems = Problems()
    assignment = check_rules_section(data, problems)
    if assignment is not None and not data.get("indicators"):
        problems.add(
            "indicators",
            'aucune règle attribuée ; ajoutez une table [indicators] (par ex. « "*" '
            '= "caf" »)',
        )
    _raise(problems, path)
    assert assignment is not None
    return assignment


def resolve_rules(
    rules: SecrecyRule | str | Mapping[str, SecrecyRule | str] | None,
    indicators: list[str],
    *,
    catalog: Any | None = None,
) -> dict[str, SecrecyRule]:
    """Give each indicator its rule.

    Parameters
    ----------
    rules : SecrecyRule, str, mapping or None
        One rule (or built-in rule id) for every indicator, or a mapping
        indicator id → rule (or rule id), with ``"*"`` as the default.
        ``None``: the rules declared in the default catalogue
        (:func:`rules_from_catalog`).
    indicators : list of str
        Indicator ids present in the result.
    catalog : territobs.catalog.Catalog, optional
        Catalogue read when ``rules`` is None (default: the default one).

    Returns
    -------
    dict of str to SecrecyRule

    Raises
    ------
    SecrecyError
        If a rule id is unknown, or indicators have no rule and no ``"*"``
        default (``error.codes`` lists them): no figure goes unchecked.
    """

    def lookup(value: SecrecyRule | str, key: str) -> SecrecyRule:
        if isinstance(value, SecrecyRule):
            return value
        if value in BUILTIN_RULES:
            return BUILTIN_RULES[value]
        raise SecrecyError(
            f"règle de secret « {value} » inconnue pour « {key} » "
            f"(règles intégrées : {', '.join(sorted(BUILTIN_RULES))}).",
            key=key,
            codes=[value],
        )

    if rules is None:
        return rules_from_catalog(indicators, catalog)
    if isinstance(rules, (SecrecyRule, str)):
        rule = lookup(rules, "*")
        return dict.fromkeys(indicators, rule)
    resolved = {k: lookup(v, k) for k, v in rules.items()}
    default = resolved.get("*")
    missing = [i for i in indicators if i not in resolved and default is None]
    if missing:
        raise SecrecyError(
            f"aucune règle de secret pour {count_of(len(missing), 'indicateur')} : "
            f"{format_codes(missing)}. Donnez une règle par indicateur ou une "
            'règle par défaut « "*" ».',
            codes=missing,
        )
    return {i: resolved.get(i, default) for i in indicators}  # type: ignore[misc]


def rules_from_catalog(
    indicators: list[str], catalog: Any | None = None
) -> dict[str, SecrecyRule]:
    """Read the rule of each indicator from the catalogue's ``secrecy`` field.

    Parameters
    ----------
    indicators : list of str
        Indicator ids.
    catalog : territobs.catalog.Catalog, optional
        Default: :func:`territobs.catalog.default_catalog`.

    Returns
    -------
    dict of str to SecrecyRule
        A catalogue entry ``secrecy = "caf"`` gives the built-in rule;
        ``secrecy = { rule = "caf", threshold = 10 }`` overrides its fields.

    Raises
    ------
    SecrecyError
        If indicators are unknown to the catalogue or declare no rule
        (``error.codes`` lists them), or a declared rule is invalid.
    """
    if catalog is None:
        from territobs.catalog import default_catalog

        catalog = default_catalog()
    rules: dict[str, SecrecyRule] = {}
    missing = []
    for indicator in indicators:
        try:
            declared = catalog.get(indicator).secrecy
        except (KeyError, ValueError):
            declared = None
        if not declared:
            missing.append(indicator)
            continue
        declared = dict(declared)
        rule_id = declared.pop("rule")
        base = BUILTIN_RULES.get(rule_id)
        if base is None and "threshold" not in declared:
            raise SecrecyError(
                f"catalogue, indicateur « {indicator} » : règle de secret « {rule_id} » "
                f"inconnue (règles intégrées : {', '.join(sorted(BUILTIN_RULES))}).",
                key=f"{indicator}.secrecy",
                codes=[rule_id],
            )
        rules[indicator] = rule_from_mapping(
            rule_id, declared, base=base, key=f"{indicator}.secrecy"
        )
    if missing:
        raise SecrecyError(
            "le catalogue ne déclare aucune règle de secret pour "
            f"{count_of(len(missing), 'indicateur')} : {format_codes(missing)}. "
            "Passez « rules » explicitement.",
            codes=missing,
        )
    return rules


def governing_counts(
    indicators: list[str],
    rules: SecrecyRule | str | Mapping[str, SecrecyRule | str] | None = None,
    *,
    catalog: Any | None = None,
) -> list[str]:
    """List the governing counts the rules of ``indicators`` need, not among them.

    Recompute them with the indicators so that
    :func:`~territobs.secrecy.apply_secrecy` finds them (Filosofi indicators
    are governed by the zone's fiscal households, ``fiscal_households``).

    Parameters
    ----------
    indicators : list of str
        Indicator ids about to be recomputed.
    rules : SecrecyRule, str, mapping or None
        As in :func:`~territobs.secrecy.apply_secrecy` (default: the
        catalogue's rules).
    catalog : territobs.catalog.Catalog, optional
        Default: the default catalogue.

    Returns
    -------
    list of str
        Governing indicator ids, in first-need order.

    Examples
    --------
    >>> governing_counts(["poverty_rate", "rsa_beneficiaries"])
    ['fiscal_households']
    """
    rule_of = resolve_rules(rules, list(indicators), catalog=catalog)
    needed: list[str] = []
    for indicator in indicators:
        governing = rule_of[indicator].governing
        if rule_of[indicator].action != "mask" or governing is None:
            continue
        if governing not in indicators and governing not in needed:
            needed.append(governing)
    return needed
