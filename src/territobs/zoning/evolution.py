r"""Change of indicators between two vintages, on one geography.

Both ends are recomputed on the zones by :func:`~territobs.zoning.recompute.recompute`
with the same weights, then compared: a count's absolute change and its
annual average growth rate (*taux de croissance annuel moyen*, TCAM); a rate's
or share's change in points, each end being :math:`\sum num / \sum den` on the
zone — never a difference of averaged rates. Medians are refused unless a
named approximation is asked for, and then it is used at both ends.

The units must be of one geography (one COG vintage): bring tables of other
vintages to it first with :func:`to_common_cog`, which sums merged communes and
shares split ones as :func:`territobs.cog.convert_table` documents.

The state of a change (:mod:`territobs.schema`) combines both ends: *secret*
when either end is secret (a change published beside one visible end would
give the masked one away), else *missing* when either end has no data, else
*partial* when either end is partial, else a value.

The evolution table's renderings (:func:`evolution_sheet`,
:func:`evolution_to_geodataframe`, :func:`state_words`) and the combination
of both ends' states are in :mod:`territobs.zoning._evolution_tables`,
re-exported here.

Why one module of ~730 lines: :func:`evolution`, :func:`evolutions` and
:func:`evolution_from_results` are three entries into one computation (plan
both ends, publish them together, combine states and changes) and share its
private helpers; the renderings are in
:mod:`territobs.zoning._evolution_tables`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from territobs.catalog import Catalog, Indicator, default_catalog
from territobs.catalog.kinds import COUNT_KINDS, RATIO_KINDS
from territobs.codes import is_valid
from territobs.cog.convert import Conversion, Kind, convert_table
from territobs.errors import MethodError, format_codes
from territobs.schema import STATE_LABELS, figure_states
from territobs.zoning._evolution_tables import (
    _combined_state,
    evolution_sheet,
    evolution_to_geodataframe,
    state_words,
)
from territobs.zoning.weights import Weights

__all__ = [
    "EVOLUTION_COLUMNS",
    "evolution",
    "evolution_from_results",
    "evolution_sheet",
    "evolution_to_geodataframe",
    "evolutions",
    "state_words",
    "to_common_cog",
]

#: Columns of the tidy evolution table, in order.
EVOLUTION_COLUMNS: tuple[str, ...] = (
    "zone",
    "zone_name",
    "indicator",
    "label",
    "kind",
    "unit",
    "start",
    "end",
    "value_start",
    "value_end",
    "change",
    "change_unit",
    "annual_rate",
    "method",
    "estimated_share",
    "state",
    "state_start",
    "state_end",
    "coverage_label",
    "secret",
    "secret_reason",
    "source",
    "geography",
)

_ENDS = ("start", "end")


def to_common_cog(
    tables: Mapping[int, pd.DataFrame],
    to_year: int,
    *,
    kinds: Mapping[str, Kind] | None = None,
    population: pd.Series | None = None,
    passages: pd.DataFrame | None = None,
) -> dict[int, Conversion]:
    """Bring commune tables of several COG vintages to one COG, in one step.

    Parameters
    ----------
    tables : mapping of int to pandas.DataFrame
        COG vintage → commune table (``code`` and indicator columns) written
        in that vintage's codes.
    to_year : int
        The COG to bring every table to (usually the boundaries' vintage).
    kinds : mapping, optional
        Nature of each column (``count``, ``ratio``...), see
        :func:`territobs.cog.convert_table`; by default every numeric column
        is a count.
    population : pandas.Series, optional
        Population by code, needed to share out split communes.
    passages : pandas.DataFrame, optional
        Yearly passage tables (default: the shipped ones).

    Returns
    -------
    dict of int to Conversion
        For each input vintage, ``(table, report)``: the table in the codes of
        ``to_year`` and the flows applied (empty when nothing changed).

    Raises
    ------
    MethodError
        The passages do not cover a span, or a column cannot be converted.

    Notes
    -----
    Counts are conserved: for each table, the total over the converted codes
    equals the total over the original codes.

    Examples
    --------
    >>> t2022 = pd.DataFrame({"code": ["01039", "01138"], "pop": [454.0, 3035.0]})
    >>> t2024 = pd.DataFrame({"code": ["01138"], "pop": [3600.0]})
    >>> out = to_common_cog({2022: t2022, 2024: t2024}, 2024)
    >>> out[2022].table
        code     pop
    0  01138  3489.0
    """
    out: dict[int, Conversion] = {}
    for year, table in sorted(tables.items()):
        table_kinds = dict(kinds) if kinds is not None else _count_kinds(table)
        if int(year) == int(to_year):
            report = pd.DataFrame(columns=["code_from", "code_to", "event", "weight"])
            out[int(year)] = Conversion(table.copy(), report)
            continue
        out[int(year)] = convert_table(
            table,
            int(year),
            int(to_year),
            kinds=table_kinds,
            population=population,
            passages=passages,
        )
    return out


def _count_kinds(table: pd.DataFrame) -> dict[str, Kind]:
    return {
        str(c): "count"
        for c in table.columns
        if c != "code"
        and not str(c).endswith("__secret")
        and pd.api.types.is_numeric_dtype(table[c])
    }


def evolution(
    territory: pd.DataFrame | Mapping[int, pd.DataFrame],
    zones: pd.DataFrame,
    indicators: str | Indicator | Sequence[str | Indicator],
    *,
    start: int,
    end: int,
    weights: Weights | None = None,
    catalog: Catalog | None = None,
    approximation: str | Mapping[str, str] | None = None,
    on_masked: Literal["nan", "partial"] = "nan",
    geography: str = "",
    publish: bool = False,
    rules: Any = None,
    redrawn: Sequence[str] = (),
    **recompute_kwds: Any,
) -> pd.DataFrame:
    r"""Recompute indicators at two vintages on zones and measure the change.

    Parameters
    ----------
    territory : pandas.DataFrame or mapping of int to pandas.DataFrame
        One territory holding the columns of both vintages (``P15_POP`` and
        ``P21_POP``: each end reads its own), or one territory per vintage
        (``{2015: t15, 2021: t21}``) on the **same units** (bring commune
        tables to one COG with :func:`to_common_cog` first).
    zones : pandas.DataFrame or geopandas.GeoDataFrame
        Zones with ``zone`` and ``name``.
    indicators : str, Indicator or sequence of them
        Catalogue keys or indicators.
    start, end : int
        The two vintages (years). ``start`` must be before ``end``.
    weights : Weights, optional
        Unit × zone weights, used at both ends (built once when omitted).
    catalog : Catalog, optional
        Default :func:`~territobs.catalog.default_catalog`.
    approximation : str or mapping, optional
        Named approximation for medians, used at both ends.
    on_masked : {"nan", "partial"}, default "nan"
        Passed to ``recompute`` at both ends.
    geography : str, optional
        The geography both ends were brought to, for captions (e.g.
        ``"communes, COG 2024"``).
    publish : bool, default False
        Send both ends through the one publication path
        (:func:`territobs.publish.publish`) before comparing them: the same
        catalogue rules (or ``rules``) at both ends, secondary suppression
        over both vintages at once, and the four states settled. A change is
        then secret whenever either end is.
    rules : optional
        Secrecy rules for ``publish`` (:func:`~territobs.secrecy.apply_secrecy`
        forms); default the catalogue's (:func:`territobs.publish.default_rules`).
        Giving rules implies ``publish=True``.
    redrawn : sequence of str, optional
        IRIS that INSEE redrew between the two vintages (its ``MODIF_IRIS``
        flags, :func:`territobs.zoning.iris_changes.redrawn_iris`): a zone
        holding only part of the redrawn IRIS of a commune gets no change (a
        *donnée manquante* naming them), never a difference of two different
        areas; zones holding all of them, or none, are unaffected.
    **recompute_kwds
        Other keywords for :func:`~territobs.zoning.recompute.recompute`
        (``method``, ``weights_kwds``, ``check``).

    Returns
    -------
    pandas.DataFrame
        One row per zone × indicator with :data:`EVOLUTION_COLUMNS`:
        both values, ``change`` (``value_end - value_start``) in
        ``change_unit`` (the indicator's unit for counts and means,
        ``"points"`` for ratios and shares in %), ``annual_rate`` (TCAM in %
        for counts, NaN otherwise), the combined ``state`` and its French
        label in ``coverage_label`` for partial ends, ``secret`` and the
        French ``secret_reason``. A change whose state is not ``value`` or
        ``partial`` is NaN.

    Raises
    ------
    MethodError
        ``start`` is not before ``end``; a territory per vintage misses one
        of them or their units differ; a median without approximation.

    Notes
    -----
    For a count, :math:`\Delta = v_e - v_s` and
    :math:`\mathrm{TCAM} = 100\,((v_e / v_s)^{1/(e-s)} - 1)` (NaN when
    :math:`v_s \le 0`). For a ratio,
    :math:`\Delta = s\,N_e / D_e - s\,N_s / D_s` with :math:`N, D` the zone's
    summed components at each end. The result does not depend on the order
    in which vintages are given.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from territobs import zones_from_members
    >>> units = gpd.GeoDataFrame(
    ...     {"code": ["a", "b"], "P15_POP": [100.0, 50], "P21_POP": [121.0, 50]},
    ...     geometry=[shapely.box(i, 0, i + 1, 1) for i in range(2)], crs=2154)
    >>> zones = zones_from_members({"z": ["a"], "y": ["b"]}, units=units)
    >>> ev = evolution(units, zones, "population", start=2015, end=2021)
    >>> ev[["zone", "value_start", "value_end", "change", "annual_rate"]].round(3)
      zone  value_start  value_end  change  annual_rate
    0    z        100.0      121.0    21.0        3.228
    1    y         50.0       50.0     0.0        0.000
    """
    if weights is None:
        from territobs.zoning.weights import build_weights

        if isinstance(territory, pd.DataFrame):
            first = territory
        else:
            first = next(iter(territory.values()))
        weights = build_weights(
            first,
            zones,
            method=recompute_kwds.pop("method", "auto"),
            **(recompute_kwds.pop("weights_kwds", None) or {}),
        )
    return evolutions(
        territory,
        {"": (zones, weights)},
        indicators,
        start=start,
        end=end,
        catalog=catalog,
        approximation=approximation,
        on_masked=on_masked,
        geography=geography,
        publish=publish,
        rules=rules,
        redrawn=redrawn,
        **recompute_kwds,
    )[""]


def evolutions(
    territory: pd.DataFrame | Mapping[int, pd.DataFrame],
    zonings: Mapping[str, tuple[pd.DataFrame, Weights]],
    indicators: str | Indicator | Sequence[str | Indicator],
    *,
    start: int,
    end: int,
    catalog: Catalog | None = None,
    approximation: str | Mapping[str, str] | None = None,
    on_masked: Literal["nan", "partial"] = "nan",
    geography: str = "",
    publish: bool = False,
    rules: Any = None,
    redrawn: Sequence[str] = (),
    **recompute_kwds: Any,
) -> dict[str, pd.DataFrame]:
    """Measure the change of indicators on several zonings published together.

    Like :func:`evolution`, for several zonings of the same units at once:
    with ``publish`` (or ``rules``), both ends of every zoning go through
    one call of :func:`territobs.publish.publish`, so that secondary
    suppression sees every figure published side by side — a zone of one
    zoning minus the zones of another that it contains cannot give a masked
    value back, at either vintage.

    Parameters
    ----------
    territory : pandas.DataFrame or mapping of int to pandas.DataFrame
        See :func:`evolution`.
    zonings : mapping of str to (DataFrame, Weights)
        Zoning id → its zones and their weights on the territory's units.
    indicators, start, end, catalog, approximation, on_masked, geography,
    publish, rules, redrawn, **recompute_kwds
        See :func:`evolution`.

    Returns
    -------
    dict of str to pandas.DataFrame
        Zoning id → its evolution table (:data:`EVOLUTION_COLUMNS`).

    Raises
    ------
    MethodError
        See :func:`evolution`.
    """
    from territobs.zoning.recompute import recompute

    if int(start) >= int(end):
        raise MethodError(
            f"l'évolution va d'un millésime à un plus récent : début {start}, "
            f"fin {end}."
        )
    catalog = catalog if catalog is not None else default_catalog()
    ends = _territories(territory, int(start), int(end), redrawn)
    publish = publish or rules is not None
    asked = _indicator_ids(indicators, catalog)
    if len(redrawn):
        ends = [
            (year, _absent_redrawn(terr, redrawn, asked, catalog, year, by), by)
            for year, terr, by in ends
        ]
    plans: list[tuple[Any, Any]] = [(None, indicators), (None, indicators)]
    if publish:
        plans = _plan_both_ends(asked, ends, catalog, rules)
    results = [
        {
            name: recompute(
                terr,
                zones,
                needed,
                weights=weights,
                catalog=catalog,
                approximation=approximation,
                vintage=year if terr_has_vintages else None,
                on_masked=on_masked,
                **recompute_kwds,
            )
            for name, (zones, weights) in zonings.items()
        }
        for (year, terr, terr_has_vintages), (_, needed) in zip(
            ends, plans, strict=True
        )
    ]
    if publish:
        weights = {name: w for name, (_, w) in zonings.items()}
        results = _publish_both_ends(
            results, weights, [r for r, _ in plans], catalog, asked
        )
    out = {
        name: evolution_from_results(
            results[0][name],
            results[1][name],
            start=int(start),
            end=int(end),
            geography=geography,
        )
        for name in zonings
    }
    if len(redrawn):
        from territobs.zoning.iris_changes import set_aside_redrawn

        out = {
            name: set_aside_redrawn(table, zonings[name][1], redrawn)
            for name, table in out.items()
        }
    return out


def _indicator_ids(
    indicators: str | Indicator | Sequence[str | Indicator], catalog: Catalog
) -> list[str]:
    items = [indicators] if isinstance(indicators, str | Indicator) else indicators
    return [
        item.id if isinstance(item, Indicator) else catalog.get(item).id
        for item in items
    ]


def _plan_both_ends(
    asked: Sequence[str],
    ends: Sequence[tuple[int, pd.DataFrame, bool]],
    catalog: Catalog,
    rules: Any,
) -> list[tuple[dict[str, Any], list[str]]]:
    """Plan the rules of each end, and the indicators each end recomputes.

    Each end is planned with :func:`territobs.publish.plan_secrecy` on its
    own columns: a rule whose governing count one end lacks only advises at
    that end (the producer's blanks stay secret through the units' flags)
    and keeps masking at the other.
    """
    from territobs.publish import plan_secrecy
    from territobs.secrecy.rules import resolve_rules

    if rules is not None:
        given = rules if isinstance(rules, Mapping) else {"*": rules}
        rules = {k: resolve_rules(v, [k])[k] for k, v in given.items()}
    return [
        plan_secrecy(asked, terr, catalog, rules, year if by_column else None)
        for year, terr, by_column in ends
    ]


def _publish_both_ends(
    results: Sequence[Mapping[str, pd.DataFrame]],
    weights: Mapping[str, Weights],
    rules: Sequence[Mapping[str, Any]],
    catalog: Catalog,
    asked: Sequence[str],
) -> list[dict[str, pd.DataFrame]]:
    """Publish both ends of every zoning, then keep the asked indicators.

    Under the same rules, everything goes through one call: secondary
    suppression then sees both vintages of every zoning at once. When the
    rules differ (a governing count present at one end only), each end is
    published under its own rules, all its zonings together.
    """
    from territobs.publish import publish as publish_results

    def keys(which: str) -> dict[str, str]:
        return {name: f"{name}@{which}" for name in results[0]}

    if rules[0] == rules[1]:
        joint = publish_results(
            {keys(w)[n]: r[n] for w, r in zip(_ENDS, results, strict=True) for n in r},
            weights={keys(w)[n]: weights[n] for w in _ENDS for n in weights},
            rules=rules[0],
            catalog=catalog,
        )
        published = [{n: joint[keys(w)[n]] for n in results[0]} for w in _ENDS]
    else:
        published = [
            publish_results(
                dict(result), weights=dict(weights), rules=own, catalog=catalog
            )
            for result, own in zip(results, rules, strict=True)
        ]
    return [
        {
            name: frame[frame["indicator"].isin(asked)].reset_index(drop=True)
            for name, frame in part.items()
        }
        for part in published
    ]


def _absent_redrawn(
    territory: pd.DataFrame,
    redrawn: Sequence[str],
    asked: Sequence[str],
    catalog: Catalog,
    year: int,
    by_column: bool,
) -> pd.DataFrame:
    """Zeros for the redrawn IRIS that did not exist at ``year``."""
    from territobs.errors import TerritobsError
    from territobs.zoning.iris_changes import count_absent_as_zero

    columns: list[str] = []
    for ident in asked:
        try:
            found = catalog.resolve(
                catalog.get(ident), territory, vintage=year if by_column else None
            )
        except TerritobsError:  # recompute says it, in its own words
            continue
        columns += [c for names in found.columns.values() for c in names]
    return count_absent_as_zero(territory, redrawn, columns)


def _territories(
    territory: pd.DataFrame | Mapping[int, pd.DataFrame],
    start: int,
    end: int,
    redrawn: Sequence[str] = (),
) -> list[tuple[int, pd.DataFrame, bool]]:
    """(year, territory, read that year's columns) for both ends.

    With one territory per vintage, redrawn IRIS present at one vintage
    only are added (blank) to the other, which counts them as 0.
    """
    if isinstance(territory, pd.DataFrame):
        return [(start, territory, True), (end, territory, True)]
    by_year = {int(k): v for k, v in territory.items()}
    if len(redrawn) and start in by_year and end in by_year:
        by_year = _add_redrawn_rows(by_year, start, end, redrawn)
    absent = [y for y in (start, end) if y not in by_year]
    if absent:
        raise MethodError(
            f"millésime absent des territoires donnés : {format_codes(absent)} "
            f"(donnés : {format_codes(sorted(by_year))}).",
            codes=[str(y) for y in absent],
        )
    first, last = by_year[start], by_year[end]
    a, b = set(first["code"].astype(str)), set(last["code"].astype(str))
    if a != b:
        differ = sorted(a ^ b)
        if all(is_valid(code, "iris") for code in differ):
            only = {
                year: sorted(side - other)
                for year, side, other in ((start, a, b), (end, b, a))
            }
            raise MethodError(
                "les IRIS des deux millésimes diffèrent (IRIS redécoupés par "
                "l'INSEE) : "
                + " ; ".join(
                    f"{len(codes)} IRIS seulement en {year} : {format_codes(codes)}"
                    for year, codes in only.items()
                    if codes
                )
                + ". to_common_cog ne convertit que des communes : comparez les "
                "deux millésimes sur des communes, ou donnez-les sur les IRIS "
                "d'une même géographie avec les IRIS modifiés (colonne "
                "MODIF_IRIS de l'INSEE, paramètre redrawn), dont les évolutions "
                "sont alors écartées.",
                codes=differ,
            )
        raise MethodError(
            "les deux millésimes ne portent pas sur les mêmes unités "
            f"({len(differ)} codes dans un seul : {format_codes(differ)}). "
            "Ramenez les tables à une même géographie avec to_common_cog.",
            codes=differ,
        )
    return [(start, first, False), (end, last, False)]


def _add_redrawn_rows(
    by_year: dict[int, pd.DataFrame], start: int, end: int, redrawn: Sequence[str]
) -> dict[int, pd.DataFrame]:
    codes = {y: set(by_year[y]["code"].astype(str)) for y in (start, end)}
    known = set(map(str, redrawn))
    out = dict(by_year)
    for year, other in ((start, end), (end, start)):
        absent = sorted((codes[other] - codes[year]) & known)
        if absent:
            added = pd.DataFrame({"code": absent})
            out[year] = pd.concat([by_year[year], added], ignore_index=True)
    return out


def evolution_from_results(
    first: pd.DataFrame,
    last: pd.DataFrame,
    *,
    start: int,
    end: int,
    geography: str = "",
) -> pd.DataFrame:
    """Compare two tidy results of the same zones and indicators.

    :func:`evolution` recomputes both ends then calls this; call it directly
    on results that went through :func:`territobs.secrecy.apply_secrecy`
    (or any publication step) so that the change inherits their secrecy.

    Parameters
    ----------
    first, last : pandas.DataFrame
        Tidy results (``recompute``) at the start and end vintages, with the
        same zones and indicators.
    start, end : int
        The two vintages (years).
    geography : str, optional
        The geography both ends were brought to, for captions.

    Returns
    -------
    pandas.DataFrame
        The evolution table (:data:`EVOLUTION_COLUMNS`), see :func:`evolution`.

    Raises
    ------
    MethodError
        The two results do not hold the same zone × indicator rows.
    """
    keys = ["zone", "indicator"]
    rows_first = set(map(tuple, first[keys].astype(str).to_numpy()))
    rows_last = set(map(tuple, last[keys].astype(str).to_numpy()))
    if rows_first != rows_last:
        differ = sorted(" × ".join(r) for r in rows_first ^ rows_last)
        raise MethodError(
            "les deux résultats ne portent pas sur les mêmes zones et indicateurs : "
            f"{format_codes(differ)}.",
            codes=differ,
        )
    a = first.assign(_state=figure_states(first).to_numpy())
    b = last.assign(_state=figure_states(last).to_numpy())
    merged = a.merge(b, on=keys, suffixes=("_s", "_e"), validate="one_to_one")
    state = _combined_state(merged["_state_s"], merged["_state_e"])
    kind = merged["kind_e"].astype(str)
    unit = merged["unit_e"].astype(str)
    v_s = merged["value_s"].astype(float)
    v_e = merged["value_e"].astype(float)
    shown = state.isin(["value", "partial"])
    change = (v_e - v_s).where(shown)
    in_points = kind.isin(RATIO_KINDS) & unit.eq("%")
    years = end - start
    with np.errstate(divide="ignore", invalid="ignore"):
        tcam = 100.0 * ((v_e / v_s) ** (1.0 / years) - 1.0)
    tcam = tcam.where(kind.isin(COUNT_KINDS) & shown & (v_s > 0))
    secret = state.eq("secret")
    reason = np.where(
        secret,
        [
            _secret_reason(rs, re_, ss, se)
            for rs, re_, ss, se in zip(
                merged["_state_s"],
                merged["_state_e"],
                merged["secret_reason_s"].astype(str),
                merged["secret_reason_e"].astype(str),
                strict=True,
            )
        ],
        "",
    )
    coverage = [
        _coverage_label(s, cs, ce, start, end)
        for s, cs, ce in zip(
            state,
            merged.get("coverage_label_s", pd.Series("", index=merged.index)),
            merged.get("coverage_label_e", pd.Series("", index=merged.index)),
            strict=True,
        )
    ]
    methods = np.where(
        merged["method_s"] == merged["method_e"],
        merged["method_e"],
        merged["method_s"].astype(str) + " / " + merged["method_e"].astype(str),
    )
    out = pd.DataFrame(
        {
            "zone": merged["zone"],
            "zone_name": merged["zone_name_e"],
            "indicator": merged["indicator"],
            "label": merged["label_e"],
            "kind": kind,
            "unit": unit,
            "start": start,
            "end": end,
            "value_start": v_s.where(~secret & merged["_state_s"].ne("secret")),
            "value_end": v_e.where(~secret & merged["_state_e"].ne("secret")),
            "change": change,
            "change_unit": np.where(in_points, "points", unit),
            "annual_rate": tcam,
            "method": methods,
            "estimated_share": np.fmax(
                merged["estimated_share_s"].astype(float),
                merged["estimated_share_e"].astype(float),
            ),
            "state": state,
            "state_start": merged["_state_s"].astype(str).to_numpy(),
            "state_end": merged["_state_e"].astype(str).to_numpy(),
            "coverage_label": coverage,
            "secret": secret,
            "secret_reason": reason,
            "source": merged["source_e"],
            "geography": geography,
        }
    )
    out = out.loc[:, list(EVOLUTION_COLUMNS)]
    out.attrs["territobs"] = {"start": start, "end": end, "geography": geography}
    return out.reset_index(drop=True)


def _secret_reason(state_s: str, state_e: str, reason_s: str, reason_e: str) -> str:
    ends = [
        f"{which} : {reason or STATE_LABELS['secret']}"
        for which, state, reason in (
            ("début", state_s, reason_s),
            ("fin", state_e, reason_e),
        )
        if state == "secret"
    ]
    return (
        "évolution masquée : publiée à côté de l'autre valeur, elle révélerait "
        "la valeur secrète (" + " ; ".join(ends) + ")"
    )


def _coverage_label(
    state: str, cover_s: Any, cover_e: Any, start: int, end: int
) -> str:
    if state != "partial":
        return ""
    parts = [
        f"{year} : {text}"
        for year, text in ((start, cover_s), (end, cover_e))
        if isinstance(text, str) and text
    ]
    return " ; ".join(parts) if parts else STATE_LABELS["partial"]
