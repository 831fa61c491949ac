"""One publication path for the atlas, the command line and Python.

:func:`publish` turns recomputed results into the figures that may leave the
machine: the same catalogue rules, the same secrecy
(:func:`territobs.secrecy.apply_secrecy`, through its public signature) and
the same four states (:mod:`territobs.schema`) whichever command asked.
:func:`default_rules` gives every indicator its rule (the catalogue's, else
the census rule, which never masks) and :func:`with_governing` lists the
counts those rules need recomputed alongside (Filosofi's fiscal households).

Missing data are not secrets: a row masked only because units have no data
(``input:`` reason on a ``missing`` or ``partial`` row) leaves secrecy in
state ``missing``, not ``secret``. A partial value chosen by a
:class:`~territobs.schema.PartialPolicy` goes through the primary and
secondary checks as a published figure; it is never masked merely for
being partial, and never published when a producer blanked one of its units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from territobs.errors import TerritobsError
from territobs.schema import STATE_COLUMN, figure_states

__all__ = [
    "default_rules",
    "plan_secrecy",
    "publish",
    "rules_for_data",
    "rules_for_result",
    "with_governing",
]

_SEP = "/"


def default_rules(indicators: Sequence[str], catalog: Any) -> dict[str, Any]:
    """Map each indicator and governing count to its catalogue rule, else ``rp``.

    An indicator whose catalogue entry declares a rule (CAF, Filosofi...)
    gets it (an invalid declared rule raises: it is never weakened); any
    other indicator is census-like and gets ``rp``, which advises and never
    masks.

    Parameters
    ----------
    indicators : sequence of str
        Indicator ids.
    catalog : territobs.catalog.Catalog

    Returns
    -------
    dict
        Indicator id → :class:`~territobs.secrecy.SecrecyRule`.
    """
    from territobs.secrecy.rules import BUILTIN_RULES, rules_from_catalog

    rules: dict[str, Any] = {}
    pending = list(indicators)
    while pending:
        indicator = pending.pop(0)
        if indicator in rules:
            continue
        if catalog.get(indicator).secrecy:
            rules.update(rules_from_catalog([indicator], catalog))
        else:
            rules[indicator] = BUILTIN_RULES["rp"]
        governing = rules[indicator].governing
        if rules[indicator].action == "mask" and governing and governing not in rules:
            pending.append(governing)
    return rules


def with_governing(
    indicators: Sequence[str], rules: Mapping[str, Any], catalog: Any
) -> list[str]:
    """List the indicators, then the governing counts their rules need."""
    from territobs.secrecy.rules import governing_counts

    ids = [catalog.get(i).id for i in indicators]
    return ids + [
        g for g in governing_counts(ids, rules, catalog=catalog) if g not in ids
    ]


def rules_for_data(
    indicators: Sequence[str],
    rules: Mapping[str, Any],
    territory: pd.DataFrame,
    catalog: Any,
    vintage: str | int | None = None,
) -> dict[str, Any]:
    """Adapt rules whose governing count the data cannot give.

    INSEE's IRIS Filosofi files publish rates and quantiles without the
    count of fiscal households that governs Filosofi secrecy: INSEE has
    already blanked the IRIS under its threshold (those stay ``secret``
    through their input flags), and every zone figure is then a combination
    of figures INSEE already published, which reveals nothing more. Such a
    rule becomes advisory (``action="advise"``: listed by the audit, never
    masking) and a :class:`~territobs.errors.SecrecyWarning` says so.

    Returns
    -------
    dict
        Indicator id → rule, for ``indicators``.
    """
    out = {}
    lacking = []
    for indicator in indicators:
        rule, _ = _fit_rule(indicator, rules[indicator], territory, catalog, vintage)
        if rule is not rules[indicator]:
            lacking.append((indicator, str(rules[indicator].governing)))
        out[indicator] = rule
    _warn_lacking(lacking)
    return out


def _fit_rule(
    indicator: str,
    rule: Any,
    territory: pd.DataFrame,
    catalog: Any,
    vintage: str | int | None,
) -> tuple[Any, str | None]:
    """Keep a rule whose governing count the data give; else make it advise.

    Without the governing count (Filosofi IRIS files have no household
    count), every figure is a combination of figures the producer already
    published (unit values, census counts): it reveals nothing more, and the
    units the producer blanked stay secret through their input flags.
    """
    governing = getattr(rule, "governing", None)
    if (
        rule.action != "mask"
        or governing is None
        or governing == indicator
        or _resolves(governing, territory, catalog, vintage)
    ):
        return rule, governing
    return replace(rule, action="advise"), None


def _warn_lacking(lacking: Sequence[tuple[str, str]]) -> None:
    import warnings

    from territobs.errors import SecrecyWarning

    if not lacking:
        return
    warnings.warn(
        SecrecyWarning(
            "effectif gouvernant absent des données ("
            + ", ".join(f"« {g} » pour « {i} »" for i, g in lacking)
            + ") : les valeurs ne combinent que des chiffres déjà publiés par le "
            "producteur, dont le secret est conservé (unités masquées : zones "
            "« secret statistique ») ; la règle ne fait qu'avertir.",
            codes=[i for i, _ in lacking],
        ),
        stacklevel=3,
    )


def rules_for_result(result: pd.DataFrame, catalog: Any) -> dict[str, Any]:
    """Rules to secure an already recomputed result (a file read back).

    The catalogue's rule of each indicator it knows, ``rp`` for the others;
    a rule whose governing count has no rows in ``result`` only advises
    (:func:`rules_for_data`: the producer's blanks stay secret through the
    rows' states).
    """
    from territobs.secrecy.rules import BUILTIN_RULES

    present = set(result["indicator"].astype(str))
    rules: dict[str, Any] = {}
    lacking = []
    for indicator in sorted(present):
        try:
            rule = default_rules([indicator], catalog)[indicator]
        except (KeyError, TerritobsError):
            rule = BUILTIN_RULES["rp"]
        governing = rule.governing if rule.action == "mask" else None
        if governing and governing != indicator and governing not in present:
            lacking.append((indicator, governing))
            rule = replace(rule, action="advise")
        rules[indicator] = rule
    _warn_lacking(lacking)
    return rules


def plan_secrecy(
    indicators: Sequence[str],
    territory: pd.DataFrame,
    catalog: Any,
    rules: Mapping[str, Any] | None = None,
    vintage: str | int | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Rules fitted to the data, and every indicator to recompute for them.

    Each asked indicator gets its rule from ``rules``, else
    :func:`default_rules`; a rule whose governing count the data lack is
    adapted (:func:`rules_for_data`); the governing counts the rules need
    are added to the indicators to recompute.

    Returns
    -------
    tuple
        ``(rules, indicators)``: indicator id → rule, and the indicator ids
        to recompute (the asked ones first).
    """
    current = {}
    if rules is not None:
        # rule ids ("rp", "caf"...) as an atlas's [secrecy.indicators] gives them
        from territobs.secrecy.rules import resolve_rules

        current = resolve_rules(dict(rules), list(rules))
    todo = [catalog.get(i).id for i in indicators]
    needed: list[str] = []
    lacking: list[tuple[str, str]] = []
    while todo:
        indicator = todo.pop(0)
        if indicator in needed:
            continue
        needed.append(indicator)
        if indicator not in current:
            current[indicator] = (
                current["*"]
                if "*" in current
                else default_rules([indicator], catalog)[indicator]
            )
        rule, _ = _fit_rule(indicator, current[indicator], territory, catalog, vintage)
        if rule is not current[indicator]:
            lacking.append((indicator, str(current[indicator].governing)))
            current[indicator] = rule
        governing = rule.governing if rule.action == "mask" else None
        if governing and governing != indicator and governing not in needed:
            todo.append(governing)
    _warn_lacking(lacking)
    return current, needed


def _resolves(
    key: str, territory: pd.DataFrame, catalog: Any, vintage: str | int | None
) -> bool:
    try:
        catalog.resolve(catalog.get(key), territory, vintage=vintage)
    except Exception:  # unknown key, or the data lack its columns
        return False
    return True


def publish(
    results: pd.DataFrame | Mapping[str, pd.DataFrame],
    *,
    weights: Any = None,
    rules: Any = None,
    catalog: Any = None,
    secrecy: bool = True,
    public: Mapping[str, tuple[pd.DataFrame, Any]] | None = None,
) -> Any:
    """Secure results and settle the published state of every figure.

    Parameters
    ----------
    results : pandas.DataFrame or mapping of str to DataFrame
        One tidy result of :func:`~territobs.zoning.recompute.recompute`, or
        several (zoning id → result) published together: secondary
        suppression is global, so everything shown side by side must go
        through one call.
    weights : Weights or mapping of str to Weights, optional
        Memberships of the zones (the ``Weights`` given to ``recompute``), in
        the same shape as ``results``; required for the differencing check.
        Without them only primary suppression runs.
    rules : optional
        Rules for :func:`~territobs.secrecy.apply_secrecy`; default
        :func:`default_rules` (catalogue rule, else census).
    catalog : territobs.catalog.Catalog, optional
        Default catalogue when omitted.
    secrecy : bool, default True
        Apply secrecy. With False (an atlas that turned it off explicitly)
        only the states are settled.
    public : mapping of str to (DataFrame, Weights), optional
        Figures already published elsewhere (an atlas's own tables beside a
        page of scenarios): name → (published result, its memberships).
        The attacker knows them; they are never masked, and the figures of
        ``results`` are masked so that no combination with them reveals a
        masked count. Their names must differ from the keys of ``results``.

    Returns
    -------
    pandas.DataFrame or dict
        Same shape as ``results``: the safe view
        (:func:`~territobs.secrecy.published`) with ``state`` settled
        (:func:`~territobs.schema.figure_states`). Missing rows are
        ``secret = False``.
    """
    from territobs.catalog import default_catalog

    catalog = catalog if catalog is not None else default_catalog()
    single = isinstance(results, pd.DataFrame)
    frames: dict[str, pd.DataFrame] = (
        {"": results} if isinstance(results, pd.DataFrame) else dict(results)
    )
    if single and weights is not None:
        weights = {"": weights}
    combined = pd.concat(
        [_namespaced_frame(f, z) for z, f in frames.items()], ignore_index=True
    )
    if secrecy and len(combined):
        combined = _secure(combined, frames, weights, rules, catalog, public)
    combined = _settle(combined, secured=secrecy and len(combined) > 0)
    prefix = combined["zone"].astype(str).str.split(_SEP, n=1, expand=True)
    parts = {}
    for zoning in frames:
        rows = combined[(prefix[0] == zoning).to_numpy()]
        part = rows.assign(zone=prefix[1][(prefix[0] == zoning).to_numpy()].to_numpy())
        parts[zoning] = part.reset_index(drop=True)
    return parts[""] if single else parts


def _namespaced_frame(frame: pd.DataFrame, zoning: str) -> pd.DataFrame:
    return frame.assign(zone=zoning + _SEP + frame["zone"].astype(str))


def _secure(
    combined: pd.DataFrame,
    frames: Mapping[str, pd.DataFrame],
    weights: Any,
    rules: Any,
    catalog: Any,
    public: Mapping[str, tuple[pd.DataFrame, Any]] | None = None,
) -> pd.DataFrame:
    from territobs.secrecy import apply_secrecy, published

    if rules is None:
        rules = default_rules(sorted(pd.unique(combined["indicator"])), catalog)
    membership = None
    if weights is not None:
        membership = [
            replace(w, zones=pd.Index([f"{z}{_SEP}{u}" for u in w.zones]))
            for z, w in weights.items()
        ]
    known = None
    if public and membership is not None:
        known = pd.concat(
            [_namespaced_frame(f, z) for z, (f, _) in public.items()],
            ignore_index=True,
        )
        membership += [
            replace(w, zones=pd.Index([f"{z}{_SEP}{u}" for u in w.zones]))
            for z, (_, w) in public.items()
        ]
    state = _states_before(combined)
    partial = (state == "partial").to_numpy()
    shown = combined.copy()
    # a partial value is checked as a published figure, not masked as incomplete
    for column in ("incomplete", "masked_units", "missing_units"):
        if column in shown.columns:
            shown.loc[partial, column] = False if column == "incomplete" else 0.0
    secured = apply_secrecy(
        shown,
        rules,
        membership=membership,
        public=known,
        differencing=membership is not None,
        catalog=catalog,
    )
    for column in ("incomplete", "masked_units", "missing_units"):
        if column in combined.columns:
            secured[column] = combined[column].to_numpy()
    secured[STATE_COLUMN] = state.to_numpy()
    out = published(secured)
    out.attrs["secrecy"] = dict(secured.attrs.get("secrecy", {}))
    return out


def _states_before(frame: pd.DataFrame) -> pd.Series:
    """States before secrecy (results from older versions: derived)."""
    if STATE_COLUMN in frame.columns:
        return frame[STATE_COLUMN].fillna("value").astype(str)
    return figure_states(frame.assign(secret=False))


def _settle(frame: pd.DataFrame, *, secured: bool = True) -> pd.DataFrame:
    """Write the final state; missing data are never left flagged secret.

    Without secrecy applied (``secured`` False), rows whose inputs a
    producer blanked are flagged secret here.
    """
    state = figure_states(frame)
    out = frame.copy()
    out[STATE_COLUMN] = state.to_numpy()
    if "secret" in out.columns:
        missing = (state == "missing").to_numpy() & out["secret"].fillna(False).astype(
            bool
        ).to_numpy()
        out.loc[missing, "secret"] = False
        if "secret_reason" in out.columns:
            out.loc[missing, "secret_reason"] = ""
    else:
        out["secret"] = np.zeros(len(out), dtype=bool)
    if "secret_reason" not in out.columns:
        out["secret_reason"] = ""
    producer = (state == "secret").to_numpy() & ~out["secret"].astype(bool).to_numpy()
    producer &= not secured
    out.loc[producer, "secret"] = True
    out.loc[producer, "secret_reason"] = (
        "input: valeur incomplète, unités masquées par le producteur"
    )
    out.loc[
        (state != "value").to_numpy() & (state != "partial").to_numpy(), "value"
    ] = np.nan
    return out
