"""Convert an indicator table from one COG vintage (or unit) to another.

Counts follow the passage table: summed on fusions, shared on splits with
population weights. Ratios are rebuilt from their converted components;
medians (and any non-additive statistic) are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from territobs.catalog.kinds import KIND_SPECS, KINDS, Kind
from territobs.codes import PLM_COMMUNES, normalize_codes
from territobs.cog.passage import passage_table
from territobs.errors import (
    CodeError,
    MethodError,
    UnmatchedCodesWarning,
    format_codes,
)

__all__ = [
    "Conversion",
    "apply_passage",
    "arrondissements_passage",
    "convert_table",
]

RatioSpec = tuple[str, str] | tuple[str, str, float]
REPORT_COLUMNS = ["code_from", "code_to", "event", "weight"]
SECRET_SUFFIX = "__secret"


class Conversion(NamedTuple):
    """A converted table and the report of what was converted.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per code of the target vintage present in the result.
    report : pandas.DataFrame
        One row per flow applied to a code of the input table that changed:
        ``code_from``, ``code_to``, ``event``, ``weight`` (the share used).
    """

    table: pd.DataFrame
    report: pd.DataFrame


def _columns_plan(
    table: pd.DataFrame,
    kinds: Mapping[str, Kind] | None,
    ratios: Mapping[str, RatioSpec] | None,
) -> tuple[list[str], dict[str, tuple[str, str, float]]]:
    kinds = dict(kinds or {})
    ratio_specs = {
        name: (spec[0], spec[1], float(spec[2]) if len(spec) == 3 else 1.0)
        for name, spec in (ratios or {}).items()
    }
    unknown = sorted(c for c, k in kinds.items() if k not in KIND_SPECS)
    if unknown:
        raise MethodError(
            f"colonnes {format_codes(unknown)} : nature inconnue "
            f"({format_codes(sorted({str(kinds[c]) for c in unknown}))}) ; natures "
            f"possibles : {format_codes(KINDS, len(KINDS))}.",
            codes=unknown,
        )
    cog = {c: KIND_SPECS[k].cog for c, k in kinds.items()}
    refused = [c for c, how in cog.items() if how == "refuse"]
    if refused:
        raise MethodError(
            f"colonnes {format_codes(refused)} : une médiane ou une moyenne ne se "
            "convertit pas d'un millésime à l'autre (elle ne s'additionne pas). "
            "Pour une moyenne, déclarez-la comme ratio de deux comptages "
            "(ratios={'moyenne': ('somme', 'effectif')}) ; pour une médiane, "
            "utilisez la valeur publiée sur le nouveau millésime.",
            codes=refused,
        )
    bad_ratios = [
        c for c, how in cog.items() if how == "ratio" and c not in ratio_specs
    ]
    if bad_ratios:
        raise MethodError(
            f"ratios {format_codes(bad_ratios)} sans composantes : donnez "
            "ratios={'taux': ('numérateur', 'dénominateur')} pour les recalculer.",
            codes=bad_ratios,
        )
    counts = [c for c, how in cog.items() if how == "sum"]
    for num, den, _ in ratio_specs.values():
        counts += [c for c in (num, den) if c not in counts]
    declared = {"code", "level", *counts, *ratio_specs}
    declared |= {f"{c}{SECRET_SUFFIX}" for c in declared}
    missing = [c for c in counts if c not in table.columns]
    if missing:
        raise MethodError(
            f"colonnes {format_codes(missing)} absentes de la table.", codes=missing
        )
    undeclared = [c for c in table.columns if c not in declared]
    if undeclared:
        raise MethodError(
            f"colonnes {format_codes(undeclared)} de nature inconnue : déclarez-les "
            "(kinds={'colonne': 'count'} ou ratios={...}) ou retirez-les avant la "
            "conversion (rien n'est abandonné en silence).",
            codes=undeclared,
        )
    return counts, ratio_specs


def _resolve_weights(
    flows: pd.DataFrame, population: pd.Series | None, *, direction: str
) -> pd.DataFrame:
    """Fill NaN weights with population shares, per source code."""
    unknown = flows.groupby("code_from")["weight"].transform(lambda w: w.isna().any())
    single = flows.groupby("code_from")["code_to"].transform("size") == 1
    flows = flows.assign(weight=flows["weight"].mask(unknown & single, 1.0))
    need = unknown & ~single
    if not need.any():
        return flows
    targets = flows.loc[need, "code_to"]
    if population is None:
        raise MethodError(
            f"{targets.nunique()} communes issues d'une scission ({direction}) : "
            f"{format_codes(sorted(set(targets)))}. Donnez leur population "
            "(population=Series code → habitants) pour répartir les comptages.",
            codes=sorted(set(targets)),
        )
    pop = targets.map(population)
    absent = sorted(set(targets[pop.isna()]))
    if absent:
        raise MethodError(
            f"population inconnue pour {format_codes(absent)} : impossible de "
            "répartir les comptages de la scission.",
            codes=absent,
        )
    pop = pop.astype(float)
    total = pop.groupby(flows.loc[need, "code_from"]).transform("sum")
    share = (pop / total).where(total > 0)
    if share.isna().any():
        zero = sorted(set(flows.loc[need, "code_from"][share.isna()]))
        raise MethodError(
            f"population nulle pour toutes les communes issues de {format_codes(zero)}.",
            codes=zero,
        )
    weight = flows["weight"].copy()
    weight[need] = share
    return flows.assign(weight=weight)


def apply_passage(
    table: pd.DataFrame,
    passage: pd.DataFrame,
    *,
    kinds: Mapping[str, Kind] | None = None,
    ratios: Mapping[str, RatioSpec] | None = None,
    population: pd.Series | None = None,
    known_codes: pd.Index | None = None,
    direction: str = "",
) -> Conversion:
    """Apply a passage table to an indicator table.

    Parameters
    ----------
    table : pandas.DataFrame
        A ``code`` column (str) and the columns to convert. Every other
        column must be declared (``level`` and ``{column}__secret`` flags are
        handled).
    passage : pandas.DataFrame
        ``code_from``, ``code_to``, ``event``, ``weight`` (NaN = decided by
        ``population``).
    kinds : mapping, optional
        ``{column: kind}`` (:data:`territobs.catalog.KINDS`): counts are
        summed, ratios and shares rebuilt from ``ratios``, means, medians
        and quantiles refused.
    ratios : mapping, optional
        ``{ratio: (numerator, denominator)}`` or ``(numerator, denominator,
        scale)`` (100 for a percentage). Components are converted as counts;
        the ratio column is (re)computed, whether or not the input has it.
    population : pandas.Series, optional
        Population indexed by the codes resulting from splits.
    known_codes : pandas.Index, optional
        Codes of the source vintage; codes of ``table`` that are neither in it
        nor in the passage are reported (warning) and kept unchanged.
    direction : str, optional
        Free text for messages (``"2019 → 2024"``).

    Returns
    -------
    Conversion
        ``(table, report)``.

    Raises
    ------
    MethodError
        Median or mean column, undeclared column, ratio without components,
        split without population.
    CodeError
        Malformed or duplicated codes.

    Warns
    -----
    UnmatchedCodesWarning
        Codes that belong to neither the source vintage nor the passage.

    Notes
    -----
    For a count ``x``: ``x'_k = Σ_i w_ik · x_i`` where ``w_ik`` is the
    passage weight (1 on fusions and code changes; on a split of ``i`` into
    ``k ∈ K``, ``w_ik = P_k / Σ_{j∈K} P_j`` with ``P`` the given population).
    ``Σ_k w_ik = 1`` for every ``i``, so totals are conserved. A converted
    value is NaN (and flagged secret) when any contribution was masked.
    A ratio is rebuilt as ``r'_k = scale · num'_k / den'_k``.

    Examples
    --------
    >>> t = pd.DataFrame({"code": ["01039", "01138"], "pop": [3035.0, 454.0]})
    >>> p = pd.DataFrame({"code_from": ["01039", "01138"], "code_to": ["01138"] * 2,
    ...                   "event": ["fusion"] * 2, "weight": [1.0, 1.0]})
    >>> apply_passage(t, p, kinds={"pop": "count"}).table
        code     pop
    0  01138  3489.0
    """
    if "code" not in table.columns:
        raise CodeError("la table n'a pas de colonne « code ».", column="code")
    counts, ratio_specs = _columns_plan(table, kinds, ratios)
    codes = normalize_codes(table["code"], "commune", column="code")
    duplicated = sorted(set(codes[codes.duplicated()]))
    if duplicated:
        raise CodeError(
            f"codes en double dans la table : {format_codes(duplicated)}.",
            column="code",
            codes=duplicated,
        )
    passage = passage.astype({"code_from": "string", "code_to": "string"})
    moved = passage[passage["code_from"].isin(set(codes))]
    if known_codes is not None:
        unknown = sorted(set(codes) - set(known_codes) - set(passage["code_from"]))
        if unknown:
            import warnings

            warnings.warn(
                UnmatchedCodesWarning(
                    f"{len(unknown)} codes n'appartiennent pas au millésime de "
                    f"départ {direction} : {format_codes(unknown)} ; ils sont "
                    "conservés tels quels.",
                    codes=unknown,
                ),
                stacklevel=3,
            )
    flows = pd.concat(
        [
            moved[REPORT_COLUMNS],
            pd.DataFrame(
                {
                    "code_from": codes[~codes.isin(set(moved["code_from"]))],
                    "code_to": codes[~codes.isin(set(moved["code_from"]))],
                    "event": "",
                    "weight": 1.0,
                }
            ),
        ],
        ignore_index=True,
    )
    flows = _resolve_weights(flows, population, direction=direction)
    source = table.assign(code=codes).set_index("code")
    values = source.reindex(flows["code_from"])
    values.index = pd.RangeIndex(len(values))
    out = pd.DataFrame(index=pd.Index(sorted(set(flows["code_to"])), name="code"))
    for column in counts:
        x = values[column].astype(float)
        secret_col = f"{column}{SECRET_SUFFIX}"
        masked = x.isna()
        if secret_col in values:
            masked |= values[secret_col].fillna(False).astype(bool)
        contrib = (x * flows["weight"].to_numpy()).groupby(flows["code_to"].to_numpy())
        total = contrib.sum()
        hidden = masked.groupby(flows["code_to"].to_numpy()).any()
        out[column] = total.mask(hidden.reindex(total.index, fill_value=False))
        if secret_col in source.columns or masked.any():
            out[secret_col] = hidden.reindex(out.index, fill_value=False)
    for name, (num, den, scale) in ratio_specs.items():
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = (scale * out[num] / out[den]).where(out[den] != 0)
    if "level" in table.columns:
        out.insert(0, "level", "commune")
    ordered = [c for c in table.columns if c in out.columns]
    ordered += [c for c in out.columns if c not in ordered]
    result = out[ordered].reset_index()
    report = flows[flows["event"] != ""][REPORT_COLUMNS].reset_index(drop=True)
    return Conversion(result, report)


def convert_table(
    table: pd.DataFrame,
    from_year: int,
    to_year: int,
    *,
    kinds: Mapping[str, Kind] | None = None,
    ratios: Mapping[str, RatioSpec] | None = None,
    population: pd.Series | None = None,
    passages: pd.DataFrame | None = None,
    known_codes: pd.Index | None = None,
) -> Conversion:
    """Convert a commune indicator table from COG ``from_year`` to ``to_year``.

    Parameters
    ----------
    table : pandas.DataFrame
        ``code`` (commune codes of vintage ``from_year``) and indicator columns.
    from_year, to_year : int
        COG vintages. Going backwards splits merged communes by population.
    kinds, ratios : mapping, optional
        Nature of each column (see :func:`apply_passage`).
    population : pandas.Series, optional
        Population by code, needed when splits occur: of the *target*
        vintage's communes resulting from a split going forwards, of the
        *old* communes of a fusion going backwards.
    passages : pandas.DataFrame, optional
        Yearly passage tables (default: the shipped 2017 → 2024 ones).
    known_codes : pandas.Index, optional
        Codes of vintage ``from_year`` (e.g.
        :func:`territobs.cog.detect.vintage_codes`) to report foreign codes.

    Returns
    -------
    Conversion
        ``(table, report)``: the converted table and what was converted.

    Raises
    ------
    MethodError
        See :func:`apply_passage`; also when the passages do not cover the span.

    Notes
    -----
    Totals of count columns are conserved: ``Σ_k x'_k = Σ_i x_i``.

    Examples
    --------
    >>> t = pd.DataFrame({"code": ["01039", "01138", "01001"],
    ...                   "pop": [454.0, 3035.0, 776.0]})
    >>> convert_table(t, 2022, 2024, kinds={"pop": "count"}).table
        code     pop
    0  01001   776.0
    1  01138  3489.0
    """
    passage = passage_table(from_year, to_year, passages=passages)
    return apply_passage(
        table,
        passage,
        kinds=kinds,
        ratios=ratios,
        population=population,
        known_codes=known_codes,
        direction=f"{from_year} → {to_year}",
    )


def arrondissements_passage(*, to: Literal["commune", "arrondissement"] = "commune"):
    """Passage between Paris, Lyon, Marseille arrondissements and their commune.

    Parameters
    ----------
    to : {"commune", "arrondissement"}, default "commune"
        ``"commune"`` sums arrondissements (75101-75120 → 75056...);
        ``"arrondissement"`` splits the commune back (weights NaN: give the
        arrondissements' population to :func:`apply_passage`).

    Returns
    -------
    pandas.DataFrame
        A passage table.

    Examples
    --------
    >>> arrondissements_passage().query("code_to == '69123'").shape[0]
    9
    """
    rows = []
    for commune, (low, high) in PLM_COMMUNES.items():
        for number in range(int(low), int(high) + 1):
            rows.append((f"{number:05d}", commune))
    frame = pd.DataFrame(rows, columns=["code_from", "code_to"])
    if to == "commune":
        return frame.assign(event="arrondissement → commune", weight=1.0)
    if to == "arrondissement":
        return frame.rename(
            columns={"code_from": "code_to", "code_to": "code_from"}
        ).assign(event="commune → arrondissement", weight=np.nan)[REPORT_COLUMNS]
    raise MethodError(
        f"to=« {to} » inconnu ; valeurs possibles : commune, arrondissement.",
        codes=[to],
    )
