r"""The attacker's view: what every linear combination of published figures tells.

One linear model holds everything published together. The unknowns are the
*unit-level* values of each count (a producer variable, or an indicator's
own count: a :func:`~territobs.secrecy._cells.count_family`), one per unit
(commune, IRIS) holding it. Every published figure showing that count (the
count of a zone, the numerator or denominator of a ratio, a governing count,
a reference total, a public figure) is the linear combination
:math:`w_z \cdot x` of the units of its zone, with the zone's weights (1 for
exact membership, the estimated share for a cut unit). A published exact
figure is an equality, published bounds two inequalities, and every unit
value is nonnegative.

For a masked figure :math:`t = w_t \cdot x`, the attacker's interval is

.. math::

   \left[\min_{x \in P} w_t \cdot x,\ \max_{x \in P} w_t \cdot x\right],
   \quad P = \{x \ge 0,\ A_{eq} x = b_{eq},\ A_{ub} x \le b_{ub}\}

computed with HiGHS (:mod:`highspy`, :class:`~territobs.secrecy._lp.Polytope`).
It scales because:

* units fixed by a published figure of their own (a commune's published
  count) are substituted first: only masked units remain unknown;
* the rest splits into independent connected components
  (:func:`scipy.sparse.csgraph.connected_components` over units and
  figures): a figure only ties the units it contains;
* units with the same weight in every published figure are merged into one
  unknown, their total (:class:`~territobs.secrecy._bounds.Groups`): any split of it keeps every
  figure, so the LP over the totals gives the same intervals, exactly;
* one HiGHS model per component, only the objective changing between
  solves: the primal simplex restarts from the last optimal basis;
* every LP solution is a feasible point: a masked figure whose values over
  the points found so far already spread over its protection width is
  proven protected without an LP of its own (the spread is a lower bound
  of the true width);
* every weight is nonnegative, so one published figure bounds each of its
  units: a masked one-unit figure (or a region) already too narrow under
  that outer bound is proven disclosed without an LP
  (:func:`~territobs.secrecy._bounds.outer_failures`), that figure being the one to mask.

``tests/secrecy/test_fast_paths.py`` checks each shortcut against a plain
LP over the raw units.

Nothing here builds a dense zone × zone matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from territobs.secrecy._bounds import TOL, Groups, Points, outer_failures
from territobs.secrecy._lp import Polytope

__all__ = [
    "FamilyProblem",
    "Interval",
    "family_problems",
    "intervals",
    "region_passes",
]

#: Dual value below which a published figure does not bind the attacker.
DUAL_TOL = 1e-9


@dataclass(frozen=True)
class Interval:
    """The attacker's interval of one masked figure.

    Attributes
    ----------
    cell : int
        Cell id (in the :class:`~territobs.secrecy._cells.CellTable`).
    low, high : float
        Smallest and largest values consistent with every published figure
        (``high`` may be ``inf``). When ``exact`` is False they are, for a
        protected figure, the spread over feasible points found (inside the
        true interval), for a disclosed one the bounds one published figure
        gives (around the true interval).
    exact : bool
        Whether the bounds come from the LP optimum (else: a certificate,
        see ``low, high``).
    binding : tuple of int
        Published cells whose masking may widen the interval: those with a
        nonzero dual value at the optimum (or the one figure bounding it),
        then the published figures that fix a unit of the target
        (deterministic order). The figures fixing a unit of a binding
        figure are found by the suppression itself.
    units : tuple of int
        For a region (``cell < 0``): its units (rows of the membership
        matrix).
    """

    cell: int
    low: float
    high: float
    exact: bool = True
    binding: tuple[int, ...] = ()
    units: tuple[int, ...] = ()

    @property
    def width(self) -> float:
        """``high - low`` (``inf`` when unbounded)."""
        return self.high - self.low


@dataclass
class FamilyProblem:
    """The cells of one count and their unit weights.

    Attributes
    ----------
    cells : numpy.ndarray of int
        Cell ids, in increasing order.
    weights : scipy.sparse.csc_array
        ``units × len(cells)`` weights of the units in each cell's zone
        (units in no cell are dropped).
    units : numpy.ndarray of int
        Row of each unit in the membership matrix.
    """

    cells: np.ndarray
    weights: sparse.csc_array
    units: np.ndarray


def family_problems(
    families: Sequence[tuple[str, str, str]],
    zone_of: Sequence[str],
    matrix: sparse.csc_array,
    zones: pd.Index,
    selected: np.ndarray | None = None,
) -> list[FamilyProblem]:
    """Group cells by count and gather their unit weights (sparse).

    Parameters
    ----------
    families : sequence of tuple
        Family (count) of each cell.
    zone_of : sequence of str
        Zone id of each cell.
    matrix : scipy.sparse.csc_array
        Unit × zone weights, columns in the order of ``zones``.
    zones : pandas.Index
        Zone ids of ``matrix``'s columns.
    selected : numpy.ndarray of bool, optional
        Cells taking part (default: all).

    Returns
    -------
    list of FamilyProblem
        One per family, sorted by family.
    """
    groups: dict[tuple[str, str, str], list[int]] = {}
    for cell, family in enumerate(families):
        if selected is None or selected[cell]:
            groups.setdefault(family, []).append(cell)
    matrix = sparse.csc_array(matrix)
    problems = []
    for family in sorted(groups):
        ids = np.asarray(groups[family], dtype=np.int64)
        columns = zones.get_indexer(pd.Index([zone_of[c] for c in ids]))
        weights = sparse.csr_array(matrix[:, columns])
        weights.eliminate_zeros()
        used = np.flatnonzero(np.diff(weights.indptr) > 0)
        problems.append(FamilyProblem(ids, sparse.csc_array(weights[used]), used))
    return problems


def _regions(
    weights: sparse.csc_array, pub: np.ndarray, is_fixed: np.ndarray
) -> list[np.ndarray]:
    """Return the groups of units the published figures cannot tell apart.

    Units with the same weights in every published figure form a region (a
    cell of the Venn diagram of the published zones). Units in no published
    figure, and units fixed by a figure of their own, are left out.
    """
    columns = np.flatnonzero(pub)
    if not len(columns):
        return []
    shown = sparse.csr_array(weights[:, columns])
    rng = np.random.default_rng(0)
    keys = shown @ rng.random((len(columns), 2))
    seen = np.diff(shown.indptr) > 0
    candidates = np.flatnonzero(seen & ~is_fixed)
    if not len(candidates):
        return []
    rounded = np.round(keys[candidates], 9)
    _, group = np.unique(rounded[:, 0] + 1j * rounded[:, 1], return_inverse=True)
    group = np.asarray(group).ravel()
    order = np.argsort(group, kind="stable")
    cuts = np.flatnonzero(np.diff(group[order])) + 1
    return [candidates[part] for part in np.split(order, cuts)]


def _transfer_certificates(
    weights: sparse.csc_array,
    pub: np.ndarray,
    known: np.ndarray,
    value: np.ndarray,
    target_cols: np.ndarray,
    needs: list[float],
    const: np.ndarray,
    regions: list[np.ndarray],
) -> dict[int, Interval]:
    """Prove masked one-unit cells protected without an LP.

    A masked cell counting one unit ``u`` with weight ``w``:

    * if no published figure holds ``u``, its value is unbounded above;
    * units of one region have the same weight in every published figure,
      so moving counts between them keeps every published figure: when the
      region holds another unit and the true value of each of its units is
      known (its own masked cell), the cell takes every value in
      ``[0, w × region total]``.

    Returns the intervals proven wide enough (``exact=False``: sub-intervals
    of the attacker's), keyed by target position.
    """
    nnz = np.diff(weights.indptr)
    n_units = weights.shape[0]
    truth = np.full(n_units, np.nan)
    single = np.flatnonzero(~pub & known & (nnz == 1))
    starts = weights.indptr[single]
    fine = weights.data[starts] > TOL
    truth[weights.indices[starts[fine]]] = (
        value[single[fine]] / weights.data[starts[fine]]
    )
    published_units = np.zeros(n_units, bool)
    columns = np.flatnonzero(pub)
    if len(columns):
        published_units[weights[:, columns].indices] = True
    total = np.full(n_units, np.nan)
    shared = [r for r in regions if len(r) > 1]  # one unit alone cannot move
    if shared:
        members = np.concatenate(shared)
        label = np.repeat(np.arange(len(shared)), [len(r) for r in shared])
        unknown = np.bincount(label, weights=np.isnan(truth[members]))
        sums = np.bincount(label, weights=np.nan_to_num(truth[members]))
        total[members] = np.where(unknown > 0, np.nan, sums)[label]
    out: dict[int, Interval] = {}
    positions = np.flatnonzero(nnz[target_cols] == 1)
    if not len(positions):
        return out
    starts = weights.indptr[target_cols[positions]]
    units, unit_weights = weights.indices[starts], weights.data[starts]
    need = np.asarray(needs, dtype=float)[positions]
    reach = unit_weights * total[units]
    wide = reach >= need * (1 + 1e-9) + 1e-9  # False when NaN
    for t, unit, span, ok in zip(
        positions.tolist(),
        units.tolist(),
        reach.tolist(),
        wide.tolist(),
        strict=True,
    ):
        base = float(const[t])
        if not published_units[unit]:
            out[t] = Interval(-1, base, np.inf, False)
        elif ok:
            out[t] = Interval(-1, base, base + span, False)
    return out


def region_passes(interval: Interval, threshold: float, mask_zero: bool) -> bool:
    """Whether a region's interval leaves it possibly non-disclosive.

    A derived count discloses when every value it can take is disclosive:
    below the threshold, and above zero unless the rule masks zeros.
    """
    tol = 1e-9 * max(1.0, threshold)
    return interval.high >= threshold - tol or (not mask_zero and interval.low <= tol)


def intervals(
    problem: FamilyProblem,
    lo: np.ndarray,
    hi: np.ndarray,
    published: np.ndarray,
    targets: np.ndarray,
    widths: np.ndarray,
    *,
    threshold: float | None = None,
    mask_zero: bool = False,
    certify: bool = True,
    skip_regions: set[tuple[int, ...]] | None = None,
) -> dict[int, Interval]:
    """Compute the attacker's interval of every masked cell (and region) of one count.

    Parameters
    ----------
    problem : FamilyProblem
        The cells of one count and their weights.
    lo, hi : numpy.ndarray
        Value interval of every cell (equal for exact values), global ids.
    published : numpy.ndarray of bool
        Cells the attacker sees (published or public), global ids.
    targets : numpy.ndarray of bool
        Masked cells to attack, global ids.
    widths : numpy.ndarray
        Protection width of every cell: with ``certify``, a target whose
        spread over the feasible points already found reaches it gets no
        LP of its own.
    threshold : float, optional
        Threshold of the count: also attack every *region* (units the
        published figures cannot tell apart, :func:`_regions`), a count of
        an area that must not be surely below it.
    mask_zero : bool, default False
        Whether 0 is disclosive for regions.
    certify : bool, default True
        Use feasible points to skip LPs (``False``: exact LP bounds for
        every target, as an audit reports them).
    skip_regions : set of tuple, optional
        Regions (their unit rows) already known to pass: masking more only
        widens intervals, so they are not attacked again.

    Returns
    -------
    dict of int to Interval
        Target cell id → interval; regions have negative keys
        (``-1 - i``) and ``units`` set. An inconsistent system (published
        figures contradicting each other beyond float noise) gives a zero
        width interval: treated as disclosed, never as safe.
    """
    ids = problem.cells
    pub = published[ids]
    tgt = targets[ids] & ~pub
    low_v, high_v = lo[ids], hi[ids]
    known = np.isfinite(low_v) & np.isfinite(high_v)
    exact = pub & known & (low_v == high_v)
    bounded = pub & known & (low_v < high_v)
    weights = problem.weights
    n_units, k = weights.shape

    # units fixed by a published figure of their own
    nnz = np.diff(weights.indptr)
    fixed_by = np.full(n_units, -1, dtype=np.int64)
    fixed_value = np.zeros(n_units)
    for j in np.flatnonzero(exact & (nnz == 1)):
        start = weights.indptr[j]
        unit, weight = weights.indices[start], weights.data[start]
        if fixed_by[unit] < 0 and weight > TOL:
            fixed_by[unit] = j
            fixed_value[unit] = low_v[j] / weight
    is_fixed = fixed_by >= 0
    all_regions = _regions(weights, pub, is_fixed)
    regions = all_regions if threshold is not None else []
    if regions:
        # a one-unit region that a masked cell counts whole is checked as that
        # cell (width >= threshold implies max >= threshold); known-safe
        # regions are skipped too
        starts = weights.indptr[np.flatnonzero(~pub & (nnz == 1))]
        whole = np.zeros(n_units, bool)
        whole[weights.indices[starts[np.abs(weights.data[starts] - 1.0) <= 1e-12]]] = (
            True
        )
        skip = skip_regions or set()
        regions = [
            r
            for r in regions
            if not (len(r) == 1 and whole[r[0]])
            and not (skip and tuple(problem.units[r].tolist()) in skip)
        ]
    if not tgt.any() and not regions:
        return {}

    # the functionals attacked: masked cells, then regions
    target_cols = np.flatnonzero(tgt)
    region_matrix = sparse.csc_array(
        (
            np.ones(sum(len(r) for r in regions)),
            (
                np.concatenate(regions) if regions else np.zeros(0, np.int64),
                np.repeat(np.arange(len(regions)), [len(r) for r in regions]),
            ),
        ),
        shape=(n_units, len(regions)),
    )
    functionals = sparse.hstack([weights[:, target_cols], region_matrix], "csc")
    keys = [int(ids[j]) for j in target_cols] + [-1 - r for r in range(len(regions))]
    needs = [float(widths[ids[j]]) for j in target_cols] + [np.nan] * len(regions)
    n_targets = functionals.shape[1]

    by_row = sparse.csr_array(weights)
    fixed_vector = np.where(is_fixed, fixed_value, 0.0)
    const_cells = by_row.T @ fixed_vector
    const_targets = sparse.csr_array(functionals).T @ fixed_vector
    free_rows = np.flatnonzero(~is_fixed)
    free = sparse.csc_array(by_row[free_rows])
    free_targets = sparse.csc_array(sparse.csr_array(functionals)[free_rows])
    n_free = len(free_rows)

    def fixing(units: np.ndarray) -> list[int]:
        """Return the published figures fixing one of the units."""
        found = fixed_by[units]
        return np.unique(found[found >= 0]).tolist()

    both = sparse.hstack([free, free_targets], "csc")
    pattern = sparse.csc_array(
        (np.ones(both.nnz), both.indices, both.indptr), shape=both.shape
    )  # units × (cells + targets)
    n_nodes = k + n_targets
    graph = sparse.block_array(
        [
            [sparse.csr_array((n_free, n_free)), pattern],
            [pattern.T, sparse.csr_array((n_nodes, n_nodes))],
        ],
        format="csr",
    )
    _, labels = connected_components(graph, directed=False)
    unit_label, cell_label = labels[:n_free], labels[n_free : n_free + k]
    target_label = labels[n_free + k :]
    order = np.argsort(unit_label, kind="stable")
    present = np.unique(unit_label)
    starts = np.searchsorted(unit_label[order], present)
    units_of = (
        dict(zip(present.tolist(), np.split(order, starts[1:]), strict=True))
        if n_free
        else {}
    )

    def passes_need(t: int, low: float, high: float) -> bool:
        if t < len(target_cols):
            return high - low >= needs[t] * (1 + 1e-9) + 1e-9
        return region_passes(
            Interval(keys[t], low, high), float(threshold or 0), mask_zero
        )

    def region_units(t: int) -> tuple[int, ...]:
        if t < len(target_cols):
            return ()
        return tuple(int(problem.units[u]) for u in regions[t - len(target_cols)])

    out: dict[int, Interval] = {}
    certified = (
        _transfer_certificates(
            weights,
            pub,
            known & (low_v == high_v),
            low_v,
            target_cols,
            needs,
            const_targets,
            all_regions,
        )
        if certify
        else {}
    )
    for t, interval in certified.items():
        out[keys[t]] = replace(interval, cell=keys[t])
    if certify:
        shown_all = (exact | bounded) & (np.diff(free.indptr) > 0)
        outer = outer_failures(
            free,
            free_targets,
            shown_all,
            (low_v - const_cells),
            (high_v - const_cells),
            exact,
            set(certified),
            len(target_cols),
            needs,
            float(threshold or 0),
            mask_zero,
        )
        for t, (low, high, row) in outer.items():
            column = functionals[:, [t]].indices
            binding_all = [row] + [b for b in fixing(column) if b != row]
            const = float(const_targets[t])
            out[keys[t]] = Interval(
                keys[t],
                low + const,
                high + const,
                False,
                tuple(int(ids[b]) for b in binding_all),
                region_units(t),
            )
            certified[t] = out[keys[t]]
    for component in sorted(set(target_label.tolist())):
        cells_c = np.flatnonzero(cell_label == component)
        units_c = units_of.get(component, np.zeros(0, dtype=np.int64))
        targets_c = np.flatnonzero(target_label == component)
        if len(units_c) == 0:  # every unit fixed: recovered exactly
            for t in targets_c.tolist():
                value = float(const_targets[t])
                column = functionals[:, [t]].indices
                binding = tuple(int(ids[b]) for b in fixing(column))
                out[keys[t]] = Interval(
                    keys[t], value, value, True, binding, region_units(t)
                )
            continue
        sub = sparse.csc_array(free[units_c][:, cells_c])
        sub_targets = sparse.csc_array(free_targets[units_c][:, targets_c])
        has_free = np.diff(sub.indptr) > 0
        shown = (exact[cells_c] | bounded[cells_c]) & has_free
        row_cells = cells_c[shown]
        groups = Groups(sparse.csr_array(sub[:, np.flatnonzero(shown)]))
        polytope = Polytope(
            groups.rows,
            (low_v - const_cells)[row_cells],
            (high_v - const_cells)[row_cells],
        )
        points = Points(groups.count)
        for position, t in enumerate(targets_c.tolist()):
            if t in certified:
                continue
            column = sub_targets[:, [position]]
            where, w_low, w_high = groups.functional(column.indices, column.data)
            const = float(const_targets[t])
            if certify and points.count:
                least = points.values(where, w_low).min() + const
                most = points.values(where, w_high).max() + const
                if passes_need(t, least, most):
                    out[keys[t]] = Interval(
                        keys[t],
                        float(least),
                        float(most),
                        False,
                        (),
                        region_units(t),
                    )
                    continue
            low, x_low, dual_low = polytope.optimum(where, w_low, maximise=False)
            high, x_high, dual_high = polytope.optimum(where, w_high, maximise=True)
            for x in (x_low, x_high):
                if x is not None:
                    points.add(x)
            if np.isnan(low) or np.isnan(high):
                low = high = 0.0  # inconsistent: never call it safe
            binding_rows = set(
                row_cells[
                    (np.abs(dual_low) > DUAL_TOL) | (np.abs(dual_high) > DUAL_TOL)
                ].tolist()
            )
            bound_rows = sorted(int(r) for r in binding_rows)
            column = functionals[:, [t]].indices
            binding_all = bound_rows + [
                b for b in fixing(column) if b not in binding_rows
            ]
            out[keys[t]] = Interval(
                keys[t],
                float(low + const),
                float(high + const),
                True,
                tuple(int(ids[b]) for b in binding_all),
                region_units(t),
            )
    return out
