"""Secondary suppression driven by the attacker's intervals.

Greedy and deterministic, count by count (:class:`~.attack.FamilyProblem`):

1. nested pairs of published cells whose difference is surely below the
   threshold (the count of a real area) get the smaller of the two masked;
2. every masked cell, and every *region* (units the published figures
   cannot tell apart), is attacked (:func:`~.attack.intervals`);
3. for each one failing (a masked cell narrower than its protection width,
   a region surely below the threshold), in cell order, one more published
   cell binding the attacker there is masked: among the binding figures
   (nonzero dual value at the optimum), from the most local one (fewest
   units) up, that figure or a published figure fixing one of its units,
   the smallest value first (least information lost), then the zone id. A
   failing cell is skipped in a round when a cell chosen in that round
   already binds it;
4. newly masked cells become targets; repeat until everything passes.

Masking only removes equalities from the attacker's system, so intervals
only widen: a cell that passed is not attacked again, and the loop ends
(each round masks at least one cell, or stops). What only public figures
bind is reported as unresolved. The result is not guaranteed minimal (the
optimal pattern is an integer programme; ``benchmarks/bench_secrecy_leaks.py``
measures the gap on small cases).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from territobs.secrecy._parallel import run_split, split_work
from territobs.secrecy.attack import (
    FamilyProblem,
    Interval,
    intervals,
    region_passes,
)

__all__ = ["Protection", "nested_pairs", "passes", "protect"]

#: Relative slack when comparing an interval's width with the protection width.
WIDTH_RTOL = 1e-9


def passes(interval: Interval, width: float) -> bool:
    """Whether an attacker's interval is at least the protection width wide."""
    return interval.width >= width * (1 - WIDTH_RTOL) - WIDTH_RTOL


#: Why a cell was masked: ``("cell", c)`` protects masked cell ``c``;
#: ``("region", units)`` a group of units; ``("pair", (outer, inner))`` the
#: difference of two nested published cells.
Reason = tuple[str, Any]


@dataclass
class Protection:
    """Outcome of :func:`protect`.

    Attributes
    ----------
    masked : dict of int to Reason
        Cell masked by secondary suppression → what it protects.
    unresolved : list of Reason
        What stays disclosed because only public figures bind it.
    intervals : dict of int to Interval
        Final interval of every masked cell checked (regions: negative
        keys, per count).
    regions_checked : int
        Regions (groups of units) attacked.
    pairs_checked : int
        Nested pairs of published cells compared.
    """

    masked: dict[int, Reason] = field(default_factory=dict)
    unresolved: list[Reason] = field(default_factory=list)
    intervals: dict[int, Interval] = field(default_factory=dict)
    regions_checked: int = 0
    pairs_checked: int = 0


def nested_pairs(
    problem: FamilyProblem,
    lo: np.ndarray,
    hi: np.ndarray,
    published: np.ndarray,
    threshold: float,
    mask_zero: bool,
) -> tuple[list[tuple[int, int]], int]:
    """Nested published cells whose difference surely discloses (sparse).

    ``A ⊂ B`` when every unit of A is in B with at most its weight in B; the
    difference ``B − A`` is then the count of an area. Found from the sparse
    co-occurrence of units (no zone × zone matrix is ever dense).

    Returns
    -------
    pairs : list of (outer, inner) cell ids
    checked : int
        Number of nested pairs compared.
    """
    ids = problem.cells
    columns = np.flatnonzero(
        published[ids] & np.isfinite(lo[ids]) & np.isfinite(hi[ids])
    )
    if len(columns) < 2:
        return [], 0
    weights = sparse.csc_array(problem.weights[:, columns])
    support = sparse.csc_array(
        (np.ones(weights.nnz), weights.indices, weights.indptr), shape=weights.shape
    )
    size = np.diff(support.indptr)
    sums = np.asarray(weights.sum(axis=0)).ravel()
    co = sparse.coo_array(support.T @ support)
    inner, outer, shared = co.row, co.col, co.data
    keep = (
        (inner != outer) & (shared == size[inner]) & (sums[outer] - sums[inner] > 1e-9)
    )
    inner, outer = inner[keep], outer[keep]
    cell_a, cell_b = ids[columns[inner]], ids[columns[outer]]
    low = np.maximum(lo[cell_b] - lo[cell_a], 0.0)
    high = hi[cell_b] - hi[cell_a]
    tol = 1e-9 * max(1.0, threshold)
    bad = (high < threshold - tol) & ((low > tol) | mask_zero)
    fractional = np.zeros(weights.shape[1], bool)
    fractional[
        np.repeat(np.arange(weights.shape[1]), np.diff(weights.indptr))[
            np.abs(weights.data - 1.0) > 1e-9
        ]
    ] = True
    found = []
    for a, b in sorted(zip(inner[bad].tolist(), outer[bad].tolist(), strict=True)):
        if fractional[a] or fractional[b]:
            diff = (weights[:, [b]] - weights[:, [a]]).toarray()
            if diff.min(initial=0.0) < -1e-9:
                continue
        found.append((int(ids[columns[b]]), int(ids[columns[a]])))
    return found, len(inner)


def protect(
    problems: Sequence[FamilyProblem],
    lo: np.ndarray,
    hi: np.ndarray,
    published: np.ndarray,
    fixed: np.ndarray,
    targets: np.ndarray,
    widths: np.ndarray,
    zone_of: Sequence[str],
    rules: Sequence[tuple[float, bool] | None],
    *,
    suppress: bool = True,
    certify: bool = True,
    workers: int = 1,
) -> Protection:
    """Mask extra cells until every masked cell, region and pair is protected.

    Parameters
    ----------
    problems : sequence of FamilyProblem
        One per count.
    lo, hi : numpy.ndarray
        Value interval of every cell.
    published : numpy.ndarray of bool
        Cells published before secondary suppression (and public ones).
    fixed : numpy.ndarray of bool
        Public cells: never masked.
    targets : numpy.ndarray of bool
        Masked cells to protect.
    widths : numpy.ndarray
        Protection width of every cell.
    zone_of : sequence of str
        Zone id of every cell (ties).
    rules : sequence
        ``(threshold, mask_zero)`` of each problem's count (strictest
        masking rule of its cells), ``None`` for counts under advice only
        (skipped).
    suppress : bool, default True
        ``False``: only attack (an audit), mask nothing; what fails is in
        ``unresolved``.
    certify : bool, default True
        Let feasible points prove a cell protected without its own LP
        (:func:`~territobs.secrecy.attack.intervals`).
    workers : int, default 1
        Processes sharing the counts (independent problems) when the work
        is large enough to pay for a second process
        (:func:`~territobs.secrecy._parallel.split_work`); the outcome is
        the same whatever the number.

    Returns
    -------
    Protection
    """
    active = [
        (problem, rule)
        for problem, rule in zip(problems, rules, strict=True)
        if rule is not None
    ]
    args = (lo, hi, published, fixed, targets, widths, zone_of, suppress, certify)
    parts = split_work([p for p, _ in active], workers)
    if len(parts) < 2:
        return protect_families(active, *args)
    return merge(
        run_split([[active[i] for i in part] for part in parts], args, protect_families)
    )


def protect_families(
    active: Sequence[tuple[FamilyProblem, tuple[float, bool]]],
    lo: np.ndarray,
    hi: np.ndarray,
    published: np.ndarray,
    fixed: np.ndarray,
    targets: np.ndarray,
    widths: np.ndarray,
    zone_of: Sequence[str],
    suppress: bool,
    certify: bool,
) -> Protection:
    """Run :func:`protect` on the given counts, one after the other."""
    published = published.copy()
    targets = targets.copy()
    outcome = Protection()
    unresolved: set[Any] = set()

    def mask(candidates: list[int], reason: Reason, chosen: set[int]) -> bool:
        candidates = [b for b in candidates if published[b] and not fixed[b]]
        if not candidates:
            return False
        pick = min(candidates, key=lambda b: (hi[b], zone_of[b], b))
        chosen.add(pick)
        published[pick] = False
        targets[pick] = True
        outcome.masked[pick] = reason
        return True

    def local_candidates(binding: tuple[int, ...]) -> list[int]:
        """Candidates of the most local binding figure that has any.

        Binding figures are tried from the smallest zone (fewest units) up:
        the figure itself, or a published figure fixing one of its units.
        """
        rows = [b for b in binding if support.get(b, 0) > 1]  # dual rows
        for row in sorted(rows, key=lambda b: (support[b], hi[b], b)):
            found = [
                c for c in (row, *fixers.get(row, ())) if published[c] and not fixed[c]
            ]
            if found:
                return found
        return [b for b in binding if published[b] and not fixed[b]]

    for problem, (threshold, mask_zero) in active:
        support = dict(
            zip(
                problem.cells.tolist(),
                np.diff(problem.weights.indptr).tolist(),
                strict=True,
            )
        )
        single = {
            int(problem.weights.indices[problem.weights.indptr[j]]): int(c)
            for j, c in enumerate(problem.cells.tolist())
            if support[c] == 1
        }
        fixers = {
            int(c): tuple(
                single[u]
                for u in problem.weights.indices[
                    problem.weights.indptr[j] : problem.weights.indptr[j + 1]
                ].tolist()
                if u in single and single[u] != c
            )
            for j, c in enumerate(problem.cells.tolist())
        }
        passed: set[int] = set()
        safe_regions: set[tuple[int, ...]] = set()
        final: dict[int, Interval] = {}
        while True:
            chosen: set[int] = set()
            pairs, n_pairs = nested_pairs(
                problem, lo, hi, published, threshold, mask_zero
            )
            for outer, inner in pairs:
                if not suppress or {outer, inner} & chosen:
                    continue
                reason: Reason = ("pair", (outer, inner))
                if not mask([outer, inner], reason, chosen):
                    unresolved.add(reason)
            if chosen:
                continue  # pairs first: cheap, and they narrow no LP
            pending = targets.copy()
            pending[list(passed)] = False
            found = intervals(
                problem,
                lo,
                hi,
                published,
                pending,
                widths,
                threshold=threshold,
                mask_zero=mask_zero,
                certify=certify,
                skip_regions=safe_regions,
            )
            for key, iv in found.items():
                if _passes(iv, key, widths, threshold, mask_zero):
                    if key >= 0:
                        passed.add(key)
                        final[key] = iv
                    else:
                        safe_regions.add(iv.units)
            failing = [
                key
                for key, iv in sorted(
                    found.items(), key=lambda kv: (kv[0] < 0, abs(kv[0]))
                )
                if not _passes(iv, key, widths, threshold, mask_zero)
            ]
            for key in failing:
                if not suppress:
                    break
                iv = found[key]
                reason = ("cell", key) if key >= 0 else ("region", iv.units)
                if reason in unresolved:
                    continue
                candidates = local_candidates(iv.binding)
                rows = [b for b in iv.binding if support.get(b, 0) > 1]
                watched = [*candidates, *rows] if candidates else iv.binding
                if chosen.intersection(watched):
                    continue  # already being widened this round
                if not mask(candidates, reason, chosen):
                    unresolved.add(reason)
            if not chosen:
                final.update({k: v for k, v in found.items() if k >= 0})
                if suppress and not failing and not pairs:
                    final = (
                        _clean_up(
                            problem,
                            lo,
                            hi,
                            published,
                            targets,
                            widths,
                            (threshold, mask_zero),
                            outcome.masked,
                            certify,
                        )
                        or final
                    )
                outcome.intervals.update(final)
                outcome.regions_checked += len(safe_regions) + sum(
                    k < 0 for k in failing
                )
                outcome.pairs_checked += n_pairs
                if not suppress:
                    for key in failing:
                        iv = found[key]
                        unresolved.add(
                            ("cell", key) if key >= 0 else ("region", iv.units)
                        )
                    unresolved.update(("pair", p) for p in pairs)
                break
    outcome.unresolved = sorted(unresolved, key=repr)
    outcome.masked = dict(sorted(outcome.masked.items()))
    return outcome


#: Largest count (cells) whose secondary cells are each tried unmasked again.
CLEAN_UP_MAX_CELLS = 2_000
#: Largest number of secondary cells tried unmasked again in one count.
CLEAN_UP_MAX_SECONDARY = 200


def _clean_up(
    problem: FamilyProblem,
    lo: np.ndarray,
    hi: np.ndarray,
    published: np.ndarray,
    targets: np.ndarray,
    widths: np.ndarray,
    rule: tuple[float, bool],
    masked: dict[int, Reason],
    certify: bool,
) -> dict[int, Interval] | None:
    """Publish again the secondary cells the final pattern does not need.

    The greedy masks in rounds: a cell masked early may be useless once
    later cells are masked. Each secondary cell of the count, largest value
    first (most persons given back), is published again when the whole
    count still passes the attack (every masked cell, region and nested
    pair); else it stays masked. Only on counts small enough
    (:data:`CLEAN_UP_MAX_CELLS`, :data:`CLEAN_UP_MAX_SECONDARY`): each try
    is a full attack of the count.

    Returns the intervals of the final pattern, or None when nothing was
    tried.
    """
    threshold, mask_zero = rule
    ids = set(problem.cells.tolist())
    secondary = sorted((c for c in masked if c in ids), key=lambda c: (-hi[c], c))
    if not secondary or len(ids) > CLEAN_UP_MAX_CELLS:
        return None
    if len(secondary) > CLEAN_UP_MAX_SECONDARY:
        return None
    last: dict[int, Interval] | None = None
    for cell in secondary:
        published[cell], targets[cell] = True, False
        pairs, _ = nested_pairs(problem, lo, hi, published, threshold, mask_zero)
        found = (
            {}
            if pairs
            else intervals(
                problem,
                lo,
                hi,
                published,
                targets,
                widths,
                threshold=threshold,
                mask_zero=mask_zero,
                certify=certify,
            )
        )
        if not pairs and all(
            _passes(iv, key, widths, threshold, mask_zero) for key, iv in found.items()
        ):
            del masked[cell]
            last = {k: v for k, v in found.items() if k >= 0}
        else:
            published[cell], targets[cell] = False, True
    if last is None:
        return None
    return last


def merge(parts: Sequence[Protection]) -> Protection:
    """One :class:`Protection` of several run on disjoint counts."""
    outcome = Protection()
    for part in parts:
        outcome.masked.update(part.masked)
        outcome.unresolved.extend(part.unresolved)
        outcome.intervals.update(part.intervals)
        outcome.regions_checked += part.regions_checked
        outcome.pairs_checked += part.pairs_checked
    outcome.unresolved.sort(key=repr)
    outcome.masked = dict(sorted(outcome.masked.items()))
    return outcome


def _passes(
    interval: Interval,
    key: int,
    widths: np.ndarray,
    threshold: float,
    mask_zero: bool,
) -> bool:
    if key >= 0:
        return passes(interval, widths[key])
    return region_passes(interval, threshold, mask_zero)
