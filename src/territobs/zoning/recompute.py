"""Recompute catalogue indicators on zones: the tidy, provenance-carrying result.

:func:`recompute` applies a :class:`~territobs.zoning.weights.Weights` value
to the units of a territory: counts are summed, ratios rebuilt from summed
numerators and denominators, means from summed weighted values; medians and
other quantiles are refused unless a named approximation is asked for. The
result has one row per zone × indicator with the columns of the
``Result`` contract (:data:`RESULT_COLUMNS`). :func:`check_conservation` and
:func:`check_ratios` are the built-in checks (defined, with the reading of
each role's columns on the units, in :mod:`territobs.zoning.conservation`);
the sums per indicator kind are in :mod:`territobs.zoning._sums`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from territobs.catalog import Catalog, Indicator, Resolution, default_catalog
from territobs.catalog.kinds import kind_spec
from territobs.errors import (
    JoinError,
    MethodError,
    MissingValuesWarning,
    ZoneError,
    ZoneWarning,
    format_codes,
)
from territobs.formatting import count_of
from territobs.schema import APPROXIMATIONS, PartialPolicy, partial_policy
from territobs.zoning import approximate as _approx
from territobs.zoning._sums import (
    INCONSISTENT_OUTLINE,  # noqa: F401 - re-exported
    _align,
    _estimation,
    _inconsistent_outlines,
    _sums,
)
from territobs.zoning.conservation import (
    _EPS,
    RTOL,
    _check_ratios,
    check_conservation,
    check_ratios,
    raise_if_not_conserved,
)
from territobs.zoning.coverage import reference_population, unit_level, zone_states
from territobs.zoning.weights import Weights

__all__ = [
    "APPROXIMATIONS",
    "RESULT_COLUMNS",
    "check_conservation",
    "check_ratios",
    "recompute",
]

#: Columns of the tidy result, in order (``docs/architecture.md``).
RESULT_COLUMNS: tuple[str, ...] = (
    "zone",
    "zone_name",
    "indicator",
    "label",
    "kind",
    "unit",
    "value",
    "numerator",
    "denominator",
    "method",
    "estimated_share",
    "approximation",
    "masked_units",
    "missing_units",
    "incomplete",
    "lower",
    "upper",
    "secret",
    "secret_reason",
    "source",
    "vintage",
    "state",
    "coverage",
    "coverage_label",
)


def _report_outlines(
    ind: Indicator, res: Resolution, codes: pd.Index, territory: pd.DataFrame
) -> None:
    flagged = _inconsistent_outlines(territory)
    if not (res.by_area and flagged.any()):
        return
    units = list(codes[flagged])
    warnings.warn(
        MissingValuesWarning(
            f"indicateur « {ind.id} » : contour incohérent avec la commune des "
            f"données pour {format_codes(units)} (contour antérieur à une fusion) : "
            "sa surface n'est pas utilisée, les zones qui la contiennent sont "
            "« donnée manquante » (ou partielles si vous l'avez choisi).",
            codes=units,
            indicator=ind.id,
        ),
        stacklevel=3,
    )


def _approximation_for(
    ind: Indicator,
    approximation: str | Mapping[str, str] | None,
    exact: Any = None,
) -> str:
    """Return the approximation asked for ``ind`` ("" for aggregable kinds).

    ``exact`` is called (no argument) to know whether an aggregable
    indicator resolves exactly: a census-weighted approximation asked for
    every indicator (a str) only applies to those that do not.
    """
    name = (
        approximation.get(ind.id)
        if isinstance(approximation, Mapping)
        else approximation
    )
    if name == _approx.CENSUS_WEIGHTS and ind.aggregable and _approx.supports(ind):
        if isinstance(approximation, Mapping) or exact is None or not exact():
            return name
        return ""
    if ind.aggregable:
        if isinstance(approximation, Mapping) and name is not None:
            raise MethodError(
                f"indicateur « {ind.id} » ({ind.kind}) : se recalcule exactement, "
                f"l'approximation « {name} » n'a pas lieu d'être.",
                indicator=ind.id,
            )
        return ""
    if name is None:
        raise MethodError(
            f"indicateur « {ind.id} » ({ind.kind}) : {kind_spec(ind.kind).article} ne se "
            "recalcule pas à partir des valeurs des unités. Pour une valeur "
            "approchée, demandez-la explicitement : en Python "
            f"approximation=« {next(iter(APPROXIMATIONS))} », en ligne de commande "
            "--approximation, dans un atlas [publication.approximations] "
            f'{ind.id} = "census_population_weights" (valeurs IRIS de Filosofi '
            "pondérées par la population du recensement) ; elle sera signalée "
            "dans le résultat et sur les cartes.",
            indicator=ind.id,
            kind=ind.kind,
            approximations=list(APPROXIMATIONS),
        )
    if name not in APPROXIMATIONS:
        raise MethodError(
            f"approximation « {name} » inconnue ; approximations possibles : "
            f"{format_codes(list(APPROXIMATIONS))}.",
            indicator=ind.id,
            approximations=list(APPROXIMATIONS),
        )
    if ind.weight is None:
        raise MethodError(
            f"indicateur « {ind.id} » : l'approximation « {name} » demande une "
            "pondération (champ « weight » du catalogue).",
            indicator=ind.id,
        )
    return name


def _resolves_exactly(
    catalog: Catalog, ind: Indicator, territory: pd.DataFrame, vintage: Any
) -> Any:
    def exact() -> bool:
        try:
            catalog.resolve(ind, territory, vintage=vintage)
        except MethodError:
            return False
        return True

    return exact


def _indicator_list(
    indicators: str | Indicator | Sequence[str | Indicator], catalog: Catalog
) -> list[Indicator]:
    if isinstance(indicators, str | Indicator):
        indicators = [indicators]
    out = [catalog.get(key) for key in indicators]
    ids = [ind.id for ind in out]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise MethodError(
            f"{'indicateur demandé' if len(dup) == 1 else 'indicateurs demandés'} "
            f"deux fois : {format_codes(dup)}.",
            codes=dup,
        )
    if not out:
        raise MethodError("aucun indicateur demandé.")
    return out


def _territory_codes(territory: pd.DataFrame) -> pd.Index:
    if "code" not in territory.columns:
        raise JoinError(
            "le territoire n'a pas de colonne « code » (codes des unités).",
            column="code",
        )
    codes = pd.Index(territory["code"])
    if not codes.is_unique:
        dup = list(codes[codes.duplicated()].unique())
        raise JoinError(
            f"colonne « code » du territoire : "
            f"{count_of(len(dup), 'code en double', 'codes en double')} : "
            f"{format_codes(dup)}.",
            column="code",
            codes=dup,
        )
    return codes


def _zone_frame(zones: pd.DataFrame) -> tuple[pd.Index, np.ndarray]:
    if "zone" not in zones.columns:
        raise ZoneError(
            "la table des zones n'a pas de colonne « zone ».", column="zone"
        )
    ids = pd.Index(zones["zone"])
    if not ids.is_unique:
        dup = list(ids[ids.duplicated()].unique())
        raise ZoneError(
            f"colonne « zone » : identifiants en double : {format_codes(dup)}.",
            column="zone",
            codes=dup,
        )
    given = zones["name"] if "name" in zones.columns else zones["zone"]
    names = given.where(given.notna(), zones["zone"]).astype(str).to_numpy()
    return ids, names


def _default_vintage(territory: pd.DataFrame) -> str:
    record = territory.attrs.get("territobs", {}) if hasattr(territory, "attrs") else {}
    vintage = record.get("vintage") if isinstance(record, Mapping) else None
    return "" if vintage is None else str(vintage)


def recompute(
    territory: pd.DataFrame,
    zones: pd.DataFrame,
    indicators: str | Indicator | Sequence[str | Indicator],
    *,
    weights: Weights | None = None,
    method: Literal["auto", "exact", "area", "population"] = "auto",
    catalog: Catalog | None = None,
    approximation: str | Mapping[str, str] | None = None,
    vintage: str | int | None = None,
    on_masked: Literal["nan", "partial"] = "nan",
    partial: PartialPolicy | float | None = None,
    max_vintage_gap: int = _approx.DEFAULT_MAX_VINTAGE_GAP,
    weights_kwds: Mapping[str, Any] | None = None,
    check: bool = True,
) -> pd.DataFrame:
    r"""Recompute indicators on zones from the units of a territory.

    Parameters
    ----------
    territory : pandas.DataFrame or geopandas.GeoDataFrame
        One row per unit: ``code`` (unique), the producer or component
        columns the indicators need, and their ``"{column}__secret"`` flags.
    zones : pandas.DataFrame or geopandas.GeoDataFrame
        Zones with ``zone`` (unique id) and ``name``; the result follows their
        order.
    indicators : str, Indicator or sequence of them
        Catalogue keys (id, alias or producer variable) or indicators.
    weights : Weights, optional
        Unit × zone weights; built with
        :func:`territobs.zoning.weights.build_weights` when omitted.
    method : {"auto", "exact", "area", "population"}, default "auto"
        Method passed to ``build_weights`` (ignored when ``weights`` is given).
    catalog : Catalog, optional
        Where keys are looked up; default :func:`~territobs.catalog.default_catalog`.
    approximation : str or mapping, optional
        Named approximation (see :data:`APPROXIMATIONS`) for medians and
        quantiles, for all of them (str) or per indicator id (mapping).
    vintage : str or int, optional
        Vintage of the columns to read when the territory holds several
        (``2016`` selects ``P16_*``); default: the most recent complete one.
    on_masked : {"nan", "partial"}, default "nan"
        Legacy switch: ``"partial"`` keeps the value computed from the known
        units on every incomplete zone that has a known unit (its ``state``
        still says ``partial``, ``secret`` or ``missing``) and, without
        ``partial``, publishes partial values at any coverage. Either way the
        known sums are in ``numerator``/``denominator`` and the row is
        ``incomplete``. A zone with no known unit is NaN, never 0.
    partial : PartialPolicy or float, optional
        Explicit choice to publish values over part of a zone (state
        ``partial``) when its coverage reaches a minimum: a
        :class:`~territobs.schema.PartialPolicy` (coverage by units or by a
        reference population) or a number (minimum share of units, 0-1).
        Default None: a zone with missing data is ``missing`` (value NaN).
        Inputs masked by a producer are never published partially.
    max_vintage_gap : int, default 2
        Largest gap in years between published values and the census
        population weighting them under the ``census_population_weights``
        approximation (Filosofi 2015 beside census 2016: 1); the gap is
        written in the ``vintage`` column.
    weights_kwds : mapping, optional
        Extra keywords for ``build_weights`` (e.g. the population layer).
    check : bool, default True
        Run the built-in checks: units in no zone are reported, counts over a
        partition must sum to the territory total, ratios must equal
        numerator / denominator.

    Returns
    -------
    pandas.DataFrame
        The tidy result: one row per zone × indicator (zone-major), with
        exactly the columns :data:`RESULT_COLUMNS`. ``lower``, ``upper``,
        ``secret`` and ``secret_reason`` are left for
        :mod:`territobs.secrecy` to fill (NaN, False, ""). ``state`` is the
        published state (:mod:`territobs.schema`: ``value``, ``secret`` for
        producer-masked inputs, ``missing``, ``partial``), ``coverage`` the
        share (0-1) of the zone with data (by units, or by population under
        such a policy) and ``coverage_label`` its French wording on
        incomplete rows (« 32 IRIS sur 41, 94 % de la population »).

    Raises
    ------
    ConfigError
        Unknown indicator key.
    MethodError
        A median or quantile without ``approximation``; an unknown
        approximation; columns missing for an indicator.
    JoinError
        The territory has no ``code`` column or duplicated codes.
    ZoneError
        Weights and zones/territory disagree; counts are not conserved over a
        partition.

    Warns
    -----
    ZoneWarning
        Units of the territory lie in no zone, or only partly (``check``).
    MissingValuesWarning
        Needed inputs are missing (NaN without a secret flag) for units that
        count in some zone.

    See Also
    --------
    territobs.zoning.result.to_geodataframe : widen the result with geometry.
    territobs.zoning.result.style_result : display it in a notebook.

    Notes
    -----
    With weights :math:`w_{ij}` (share of unit :math:`i` in zone :math:`j`),
    counts :math:`v_j = \sum_i w_{ij} x_i`; ratios
    :math:`v_j = s \sum_i w_{ij} n_i / \sum_i w_{ij} d_i`, where a rate
    published without numerator gives :math:`n_i = r_i d_i / s`; means
    :math:`v_j = s \sum_i w_{ij} p_i m_i / \sum_i w_{ij} p_i`. Sums run over
    the units whose needed inputs are all known (the same units for numerator
    and denominator); ``masked_units`` :math:`= \sum_{i\ unknown} w_{ij}`, of
    which ``missing_units`` sums the units without value nor secret flag
    (missing, not blanked by the producer: no bound on their value).

    ``estimated_share`` is :math:`\sum_i e_{ij} |m_i| / \sum_i w_{ij} |m_i|`
    for the mass :math:`m` the value rests on (:math:`x` for a count; the
    maximum over numerator and denominator for ratios and means), where
    :math:`e_{ij}` keeps only the estimated (area or population) pairs.
    ``method`` is ``exact`` when that share is 0, else ``area`` or
    ``population`` (the estimator used), ``mixed`` when both were used, or
    the approximation's name for medians. See ``docs/methods/recompute.md``.

    Examples
    --------
    >>> import pandas as pd
    >>> from scipy import sparse
    >>> from territobs.zoning.weights import Weights
    >>> territory = pd.DataFrame({"code": ["a", "b", "c"], "P21_POP": [10.0, 20, 30]})
    >>> zones = pd.DataFrame({"zone": ["z1", "z2"], "name": ["Nord", "Sud"]})
    >>> m = sparse.csr_array([[1.0, 0], [1, 0], [0, 1]])
    >>> w = Weights(m, sparse.csr_array(m.astype("int8")), pd.Index(territory.code),
    ...             pd.Index(zones.zone), "exact")
    >>> recompute(territory, zones, "population", weights=w)[["zone", "value"]]
      zone  value
    0   z1   30.0
    1   z2   30.0
    """
    catalog = catalog if catalog is not None else default_catalog()
    asked = _indicator_list(indicators, catalog)
    codes = _territory_codes(territory)
    zone_ids, zone_names = _zone_frame(zones)
    approximations = {
        ind.id: _approximation_for(
            ind, approximation, _resolves_exactly(catalog, ind, territory, vintage)
        )
        for ind in asked
    }
    computed: dict[str, Indicator] = {}
    vintage_texts: dict[str, str] = {}
    resolutions = {}
    for ind in asked:
        if approximations[ind.id] == _approx.CENSUS_WEIGHTS:
            computed[ind.id], resolutions[ind.id], vintage_texts[ind.id] = (
                _approx.census_weighted(
                    ind,
                    catalog,
                    territory,
                    vintage=vintage,
                    max_vintage_gap=max_vintage_gap,
                )
            )
        else:
            resolutions[ind.id] = catalog.resolve(ind, territory, vintage=vintage)
    if weights is None:
        from territobs.zoning.weights import build_weights

        weights = build_weights(territory, zones, method=method, **(weights_kwds or {}))
    ops = _align(weights, codes, zone_ids)
    row_sums = np.asarray(ops.matrix.sum(axis=1)).ravel()
    if check:
        _report_lost_units(codes, row_sums)

    partition = bool(np.all(np.abs(row_sums - 1.0) <= RTOL))
    fallback_vintage = _default_vintage(territory)
    policy = partial_policy(partial)
    if policy is None and on_masked == "partial":
        policy = PartialPolicy(0.0)
    reference = reference_population(territory, policy, catalog, vintage)
    level = unit_level(territory)
    blocks: list[dict[str, np.ndarray]] = []
    for ind in asked:
        sums = _sums(computed.get(ind.id, ind), resolutions[ind.id], territory, ops)
        share, methods = _estimation(
            ops, sums.masses, (~sums.unknown).astype(float), sums.operands
        )
        masked_units = ops.total(sums.unknown.astype(float))
        missing_units = ops.total(sums.missing.astype(float))
        incomplete = masked_units > _EPS
        states = zone_states(
            ops.matrix,
            sums.value,
            sums.unknown,
            sums.missing,
            policy=policy,
            reference=reference,
            level=level,
            keep_partial_values=on_masked == "partial",
        )
        approx = approximations[ind.id]
        if check:
            _report_outlines(ind, resolutions[ind.id], codes, territory)
            _report_missing(
                ind,
                codes,
                sums.missing & (row_sums > 0) & ~_inconsistent_outlines(territory),
            )
            if partition and kind_spec(ind.kind).is_count:
                raise_if_not_conserved(
                    ind.id, float(sums.masses[0].sum()), float(sums.numerator.sum())
                )
        blocks.append(
            {
                "value": states.value,
                "numerator": sums.numerator,
                "denominator": sums.denominator,
                "method": np.full(len(zone_ids), approx, dtype=object)
                if approx
                else methods.astype(object),
                "estimated_share": share,
                "masked_units": masked_units,
                "missing_units": missing_units,
                "incomplete": incomplete,
                "state": states.state,
                "coverage": states.coverage,
                "coverage_label": states.label,
            }
        )
    result = _assemble(asked, resolutions, approximations, zone_ids, zone_names, blocks,
                       fallback_vintage, vintage_texts)  # fmt: skip
    if check:
        _check_ratios(result, {ind.id: ind.scale for ind in asked}, RTOL)
    return result


def _assemble(
    asked: Sequence[Indicator],
    resolutions: Mapping[str, Resolution],
    approximations: Mapping[str, str],
    zone_ids: pd.Index,
    zone_names: np.ndarray,
    blocks: Sequence[Mapping[str, np.ndarray]],
    fallback_vintage: str,
    vintage_texts: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Lay the per-indicator zone arrays out as the tidy table (zone-major)."""
    n_ind, n_zones = len(asked), len(zone_ids)

    def per_zone(key: str) -> np.ndarray:
        return np.column_stack([b[key] for b in blocks]).ravel()

    def per_indicator(values: Sequence[Any]) -> np.ndarray:
        return np.tile(np.asarray(values, dtype=object), n_zones)

    texts = vintage_texts or {}
    vintages = [
        texts.get(ind.id)
        or ind.vintage
        or resolutions[ind.id].vintage
        or fallback_vintage
        for ind in asked
    ]
    columns: dict[str, Any] = {
        "zone": np.repeat(zone_ids.astype(str).to_numpy(dtype=object), n_ind),
        "zone_name": np.repeat(zone_names, n_ind),
        "indicator": per_indicator([ind.id for ind in asked]),
        "label": per_indicator([ind.label for ind in asked]),
        "kind": per_indicator([ind.kind for ind in asked]),
        "unit": per_indicator([ind.unit for ind in asked]),
        "value": per_zone("value").astype(float),
        "numerator": per_zone("numerator").astype(float),
        "denominator": per_zone("denominator").astype(float),
        "method": per_zone("method"),
        "estimated_share": per_zone("estimated_share").astype(float),
        "approximation": per_indicator([approximations[ind.id] for ind in asked]),
        "masked_units": per_zone("masked_units").astype(float),
        "missing_units": per_zone("missing_units").astype(float),
        "incomplete": per_zone("incomplete").astype(bool),
        "lower": np.full(n_ind * n_zones, np.nan),
        "upper": np.full(n_ind * n_zones, np.nan),
        "secret": np.zeros(n_ind * n_zones, dtype=bool),
        "secret_reason": np.full(n_ind * n_zones, "", dtype=object),
        "source": per_indicator([ind.source for ind in asked]),
        "vintage": per_indicator(vintages),
        "state": per_zone("state").astype(object),
        "coverage": per_zone("coverage").astype(float),
        "coverage_label": per_zone("coverage_label").astype(object),
    }
    return pd.DataFrame(columns, columns=list(RESULT_COLUMNS))


def _report_lost_units(codes: pd.Index, row_sums: np.ndarray) -> None:
    lost = list(codes[row_sums <= _EPS])
    partial = list(codes[(row_sums > _EPS) & (row_sums < 1.0 - RTOL)])
    if not lost and not partial:
        return
    parts = []
    if lost:
        parts.append(
            f"{count_of(len(lost), 'unité dans aucune zone', 'unités dans aucune zone')}"
            f" : {format_codes(lost)}"
        )
    if partial:
        parts.append(
            f"{count_of(len(partial), 'unité', 'unités')} en partie hors des zones : "
            f"{format_codes(partial)}"
        )
    their = (
        "Sa valeur ne compte"
        if len(lost) + len(partial) == 1
        else "Leurs valeurs ne comptent"
    )
    warnings.warn(
        ZoneWarning(
            "les zones ne couvrent pas tout le territoire ; "
            + " ; ".join(parts)
            + f". {their} dans aucune zone (ou en partie).",
            codes=lost,
            partial_codes=partial,
        ),
        stacklevel=3,
    )


def _report_missing(ind: Indicator, codes: pd.Index, missing: np.ndarray) -> None:
    if not missing.any():
        return
    units = list(codes[missing])
    warnings.warn(
        MissingValuesWarning(
            f"indicateur « {ind.id} » : {count_of(len(units), 'unité', 'unités')} "
            f"sans valeur (ni marque de secret) : {format_codes(units)}. "
            + (
                "Elle n'est pas comptée comme zéro : les zones concernées sont "
                "marquées incomplètes."
                if len(units) == 1
                else "Elles ne sont pas comptées comme zéro : les zones concernées "
                "sont marquées incomplètes."
            ),
            codes=units,
            indicator=ind.id,
        ),
        stacklevel=3,
    )
