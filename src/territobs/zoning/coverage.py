"""Coverage and published state of recomputed figures.

:func:`zone_states` decides, for one indicator on every zone, which of the
four states of :mod:`territobs.schema` its figure is in, how much of the
zone the value rests on (``coverage``) and the French coverage label
(« 32 IRIS sur 41, 94 % de la population »). :func:`recompute
<territobs.zoning.recompute.recompute>` calls it once per indicator.

Rules (DESIGN, "what correct means"):

* a zone where every needed input is known has a ``value``;
* a zone where some unit was blanked by its producer is ``secret``
  (secrecy rules may mask more later, never less);
* a zone where units merely have no row or no value (missing data, e.g. the
  activity IRIS absent from a census « type H » extract) is ``missing`` and
  its value NaN — never 0, never secret — unless a
  :class:`~territobs.schema.PartialPolicy` publishes it as ``partial``
  because its coverage reaches the policy's minimum;
* a zone with no known unit at all is ``missing`` whatever the policy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from territobs.errors import MethodError
from territobs.schema import PartialPolicy, coverage_text

__all__ = ["ZoneStates", "reference_population", "unit_level", "zone_states"]

_EPS = 1e-12

#: Columns read as a unit's reference population when none is named.
REFERENCE_CANDIDATES = ("POPULATION", "population", "PMUN", "P_MUN")


@dataclass(frozen=True)
class ZoneStates:
    """Per-zone state, coverage and value of one indicator."""

    value: np.ndarray  # float, NaN where not published
    state: np.ndarray  # object: value / secret / missing / partial
    coverage: np.ndarray  # float 0-1 (NaN: population basis, reference unknown)
    label: np.ndarray  # object: French coverage label ("" when complete)


def unit_level(territory: pd.DataFrame) -> str | None:
    """Level of a territory's units (its ``level`` column), if it has one."""
    if "level" not in territory.columns or territory.empty:
        return None
    levels = territory["level"].dropna().astype(str).unique()
    return str(levels[0]) if len(levels) == 1 else None


def reference_population(
    territory: pd.DataFrame,
    policy: PartialPolicy | None,
    catalog: object | None = None,
    vintage: str | int | None = None,
) -> np.ndarray | None:
    """Return the reference population of every unit (NaN where unknown), if any.

    The policy's ``reference`` column; else a ``POPULATION``-like column;
    else the catalogue's ``population`` indicator read on the territory.

    Raises
    ------
    MethodError
        The policy names a column the territory lacks, or asks for a
        population basis while no reference population is found.
    """
    column = policy.reference if policy is not None else None
    if column is not None:
        if column not in territory.columns:
            raise MethodError(
                f"population de référence : colonne « {column} » absente du "
                "territoire.",
                column=column,
            )
        return pd.to_numeric(territory[column], errors="coerce").to_numpy(float)
    for name in REFERENCE_CANDIDATES:
        if name in territory.columns:
            return pd.to_numeric(territory[name], errors="coerce").to_numpy(float)
    found = None
    if catalog is not None:
        found = _catalog_population(territory, catalog, vintage)
    if found is None and policy is not None and policy.by == "population":
        raise MethodError(
            "couverture par la population demandée, mais le territoire n'a pas "
            "de population de référence : nommez sa colonne (reference=...) ou "
            "joignez un tableau de population.",
            column="reference",
        )
    return found


def _catalog_population(
    territory: pd.DataFrame, catalog: object, vintage: str | int | None
) -> np.ndarray | None:
    from territobs.zoning.conservation import read_role

    try:
        ind = catalog.get("population")  # type: ignore[attr-defined]
        res = catalog.resolve(ind, territory, vintage=vintage)  # type: ignore[attr-defined]
    except Exception:  # no population columns: no population coverage
        return None
    return read_role(territory, res.columns["value"]).values


def zone_states(
    matrix: object,
    value: np.ndarray,
    unknown: np.ndarray,
    missing: np.ndarray,
    *,
    policy: PartialPolicy | None,
    reference: np.ndarray | None,
    level: str | None,
    keep_partial_values: bool = False,
) -> ZoneStates:
    r"""State, coverage and published value of one indicator on every zone.

    Parameters
    ----------
    matrix : scipy sparse array
        Weights, units × zones.
    value : numpy.ndarray
        Zone values computed from the known units only.
    unknown, missing : numpy.ndarray of bool
        Per unit: a needed input is unknown (masked or missing); missing
        only (no value and no producer secret flag).
    policy : PartialPolicy or None
        Partial publication chosen; None publishes no partial value.
    reference : numpy.ndarray, optional
        Reference population per unit (NaN where unknown).
    level : str, optional
        Level of the units, for the label.
    keep_partial_values : bool, default False
        Keep the known-units value on every incomplete zone that has one
        (the legacy ``on_masked="partial"``), whatever its state.

    Returns
    -------
    ZoneStates

    Notes
    -----
    With weights :math:`w_{ij}` and :math:`k_i = 1` for units whose inputs
    are known, coverage by units is :math:`\sum_i w_{ij} k_i / \sum_i
    w_{ij}`; by population :math:`\sum_i w_{ij} k_i p_i / \sum_i w_{ij} p_i`
    with the reference population :math:`p`, NaN when a unit of the zone
    has no reference.
    """
    known = (~unknown).astype(float)
    mt = matrix.T  # type: ignore[attr-defined]
    known_w = np.asarray(mt @ known, dtype=float)
    all_w = np.asarray(mt @ np.ones(len(known)), dtype=float)
    masked_w = np.asarray(mt @ unknown.astype(float), dtype=float)
    missing_w = np.asarray(mt @ (missing & unknown).astype(float), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_units = np.where(all_w > _EPS, known_w / all_w, 0.0)
    by_units = np.clip(by_units, 0.0, 1.0)
    by_population = np.full(len(all_w), np.nan)
    if reference is not None:
        ref = np.asarray(reference, dtype=float)
        gap = np.asarray(mt @ (~np.isfinite(ref)).astype(float), dtype=float) > _EPS
        pop = np.nan_to_num(ref)
        pop_all = np.asarray(mt @ pop, dtype=float)
        pop_known = np.asarray(mt @ (pop * known), dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(pop_all > _EPS, pop_known / pop_all, np.nan)
        by_population = np.where(gap, np.nan, np.clip(share, 0.0, 1.0))
    basis = policy.by if policy is not None else "units"
    coverage = by_population if basis == "population" else by_units

    incomplete = masked_w > _EPS
    producer = (masked_w - missing_w) > _EPS
    nothing = (known_w <= _EPS) & incomplete  # units, none with data
    computed = np.where(nothing, np.nan, np.asarray(value, dtype=float))
    if policy is not None:
        with np.errstate(invalid="ignore"):
            enough = np.nan_to_num(coverage, nan=-1.0) >= policy.min_coverage - 1e-12
        publish = incomplete & ~producer & ~nothing & enough
    else:
        publish = np.zeros(len(all_w), dtype=bool)
    state = np.select(
        [~incomplete, producer, publish], ["value", "secret", "partial"], "missing"
    ).astype(object)
    shown = np.where(incomplete & ~publish, np.nan, computed)
    if keep_partial_values:
        shown = computed
    state[(state == "value") & np.isnan(shown)] = "missing"
    labels = np.full(len(all_w), "", dtype=object)
    for j in np.flatnonzero(incomplete):
        labels[j] = coverage_text(known_w[j], all_w[j], level, by_population[j])
    return ZoneStates(shown, state, coverage, labels)
