"""Differencing check and secondary suppression.

Two published counts of nested zones give a third by subtraction: if zone A
lies inside zone B (as weighted unit sets), ``B - A`` is the count of the
units of B outside A. When that count is disclosive (below the threshold),
one of the two must be masked too: this is *secondary suppression*.

What is checked
---------------
* every pair of published cells of the same count where one zone's weight
  vector is below the other's everywhere (nested zones, a zone and its
  commune, a zone and the territory total, i.e. its complement), with a
  non-empty difference;
* optionally (``max_terms=3``) every signed combination of three cells whose
  weight vector is a set (entries in [0, 1], not all zero), e.g.
  ``A + B - (A ∪ B) = A ∩ B``.

What is not checked: combinations of four or more cells, and differences of
overlapping zones that are not nested (``B - A`` mixes a count with minus
another). See ``docs/methods/secrecy.md``.

Suppression is a greedy hitting-set heuristic, deterministic and checked
after each step: while some disclosing combination has all its cells
published, mask the suppressible cell that breaks the most such
combinations (ties: the smallest value, then the zone id). Masking only
removes published cells, so it never creates a new disclosure; the loop
stops when no combination is fully published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np
import pandas as pd
from scipy import sparse

from territobs.errors import SecrecyError
from territobs.secrecy._cells import CellTable, combine_rules, surely_discloses

__all__ = ["Disclosure", "find_disclosures", "suppress"]

#: Weight tolerance (shares are floats).
TOL = 1e-9
#: Largest number of cells of one count for the three-term check.
MAX_CELLS_THREE_TERMS = 80


@dataclass(frozen=True)
class Disclosure:
    """A combination of published cells that yields a disclosive count.

    Attributes
    ----------
    family : tuple of str
        The count (:func:`~territobs.secrecy._cells.count_family`).
    plus, minus : tuple of int
        Cells added and subtracted (ids in the :class:`CellTable`).
    lo, hi : float
        Interval of the derived count (equal for exact values).
    threshold : float
        Threshold of the governing rule.
    """

    family: tuple[str, str, str]
    plus: tuple[int, ...]
    minus: tuple[int, ...]
    lo: float
    hi: float
    threshold: float

    @property
    def cells(self) -> tuple[int, ...]:
        """All cells of the combination."""
        return self.plus + self.minus


def _family_cells(
    cells: CellTable, in_play: np.ndarray
) -> dict[tuple[str, str, str], list[int]]:
    families: dict[tuple[str, str, str], list[int]] = {}
    for cell in np.flatnonzero(in_play):
        families.setdefault(cells.family(int(cell)), []).append(int(cell))
    return families


def _pairs(
    weights: sparse.csc_array, lo: np.ndarray, hi: np.ndarray
) -> list[tuple[int, int, float, float]]:
    """Nested pairs ``(inner, outer, dlo, dhi)`` by position in ``weights``."""
    support = sparse.csc_array((weights > TOL).astype(float))
    inter = (support.T @ support).toarray()
    size = np.diag(inter).copy()
    sums = np.asarray(weights.sum(axis=0)).ravel()
    inside = np.isclose(inter, size[:, None]) & (size[:, None] > 0)
    np.fill_diagonal(inside, False)
    inner, outer = np.nonzero(inside & (sums[None, :] - sums[:, None] > TOL))
    exact = bool(np.all(np.abs(weights.data - 1.0) <= TOL))
    found = []
    for a, b in zip(inner.tolist(), outer.tolist(), strict=True):
        if not exact:
            diff = (weights[:, [b]] - weights[:, [a]]).toarray().ravel()
            if diff.min(initial=0.0) < -TOL:
                continue
        # shared blanks cancel: see find_disclosures, Notes
        found.append((a, b, max(lo[b] - lo[a], 0.0), hi[b] - hi[a]))
    return found


def _triples(
    weights: sparse.csc_array, lo: np.ndarray, hi: np.ndarray
) -> list[tuple[tuple[int, ...], tuple[int, ...], float, float]]:
    """Signed three-cell combinations whose weight vector is a set."""
    dense = weights.toarray()
    k = dense.shape[1]
    found = []
    for a in range(k):
        for b in range(a + 1, k):
            for sa, sb in product((1, -1), repeat=2):
                base = sa * dense[:, a] + sb * dense[:, b]
                rest = dense[:, b + 1 :]
                for sc in (1, -1):
                    if sa == sb == sc:
                        continue
                    combo = base[:, None] + sc * rest
                    ok = (
                        (combo >= -TOL).all(axis=0)
                        & (combo <= 1 + TOL).all(axis=0)
                        & (combo > TOL).any(axis=0)
                    )
                    for offset in np.flatnonzero(ok).tolist():
                        c = b + 1 + offset
                        signs = {a: sa, b: sb, c: sc}
                        plus = tuple(i for i, s in signs.items() if s > 0)
                        minus = tuple(i for i, s in signs.items() if s < 0)
                        dlo = sum(lo[i] for i in plus) - sum(lo[i] for i in minus)
                        dhi = sum(hi[i] for i in plus) - sum(hi[i] for i in minus)
                        found.append((plus, minus, max(dlo, 0.0), dhi))
    return found


def find_disclosures(
    cells: CellTable,
    in_play: np.ndarray,
    matrix: sparse.csc_array,
    zones: pd.Index,
    *,
    max_terms: int = 2,
) -> list[Disclosure]:
    r"""List the disclosing combinations among the cells in play.

    Parameters
    ----------
    cells : CellTable
        All cells.
    in_play : numpy.ndarray of bool
        Cells published (or public): known value, not masked, exposed.
    matrix : scipy.sparse.csc_array
        Unit × zone weights, columns in the order of ``zones``.
    zones : pandas.Index
        Zone ids of ``matrix``'s columns.
    max_terms : {2, 3}, default 2
        Largest number of cells in a combination.

    Returns
    -------
    list of Disclosure
        Sorted deterministically (count, derived value, zone ids).

    Raises
    ------
    SecrecyError
        If ``max_terms`` is not 2 or 3, or a count has more than
        :data:`MAX_CELLS_THREE_TERMS` cells with ``max_terms=3``.

    Notes
    -----
    Published bounds are *correlated*: a bounded count is
    :math:`x = K + \sum_{i\ masked} w_i y_i` with the same unknown blanks
    :math:`y_i \in [0, m]` in every zone containing unit :math:`i`, so
    ``lower = K`` and ``upper = K + m \sum w_i``. For a combination
    :math:`\sum_k s_k x_k` whose weight vector :math:`v = \sum_k s_k w_k` lies
    in :math:`[0, 1]` (a nested pair, a three-term set), the known parts give
    :math:`\sum_k s_k K_k` and the blanks that do not cancel add
    :math:`m \sum_i v_i y_i \ge 0`: the derived count lies exactly in
    :math:`[\sum_k s_k\, lower_k, \sum_k s_k\, upper_k]`. Two zones
    containing the same blank with the same weight thus give an exact
    difference, checked like any other.
    """
    if max_terms not in (2, 3):
        raise SecrecyError(
            f"max_terms = {max_terms!r} : 2 (paires) ou 3 (triplets) attendu.",
            key="max_terms",
        )
    lo_all, hi_all, _, _ = cells.arrays()
    found: list[Disclosure] = []
    for family, ids in sorted(_family_cells(cells, in_play).items()):
        if len(ids) < 2:
            continue
        rule = combine_rules(cells.strictest(c) for c in ids)
        columns = zones.get_indexer([cells.zone(c) for c in ids])
        weights = sparse.csc_array(matrix[:, columns])
        lo, hi = lo_all[ids], hi_all[ids]
        combos: list[tuple[Sequence[int], Sequence[int], float, float]] = [
            ((b,), (a,), dlo, dhi) for a, b, dlo, dhi in _pairs(weights, lo, hi)
        ]
        if max_terms == 3:
            if len(ids) > MAX_CELLS_THREE_TERMS:
                raise SecrecyError(
                    f"contrôle à trois termes impossible pour "
                    f"« {cells.label(ids[0])[0]} » : "
                    f"{len(ids)} cellules (au plus {MAX_CELLS_THREE_TERMS}) ; "
                    "utilisez max_terms=2.",
                    codes=[cells.label(ids[0])[0]],
                )
            combos.extend(_triples(weights, lo, hi))
        for plus, minus, dlo, dhi in combos:
            if surely_discloses(
                np.asarray(dlo), np.asarray(dhi), rule.threshold, rule.mask_zero
            ):
                found.append(
                    Disclosure(
                        family=family,
                        plus=tuple(ids[i] for i in plus),
                        minus=tuple(ids[i] for i in minus),
                        lo=float(dlo),
                        hi=float(dhi),
                        threshold=rule.threshold,
                    )
                )
    found.sort(
        key=lambda d: (
            d.family,
            d.hi,
            [cells.zone(c) for c in d.plus],
            [cells.zone(c) for c in d.minus],
        )
    )
    return found


def suppress(
    disclosures: list[Disclosure], cells: CellTable, fixed: np.ndarray
) -> tuple[dict[int, Disclosure], list[Disclosure]]:
    """Choose extra cells to mask so that no disclosure stays fully published.

    Parameters
    ----------
    disclosures : list of Disclosure
        From :func:`find_disclosures`.
    cells : CellTable
        All cells (for zone ids and values).
    fixed : numpy.ndarray of bool
        Cells that cannot be masked (public figures).

    Returns
    -------
    masked : dict
        Cell id → the disclosure its masking breaks first (the reason).
    unresolved : list of Disclosure
        Disclosures made only of public figures (nothing territobs can mask).

    Notes
    -----
    Greedy hitting set: at each step, among the suppressible cells of the
    disclosures still fully published, mask the one hitting the most of them;
    ties go to the smallest value (least information lost), then the zone id.
    """
    _, hi, _, _ = cells.arrays()
    masked: dict[int, Disclosure] = {}
    unresolved = [d for d in disclosures if all(fixed[c] for c in d.cells)]
    pending = [d for d in disclosures if not all(fixed[c] for c in d.cells)]
    while True:
        pending = [d for d in pending if not any(c in masked for c in d.cells)]
        if not pending:
            return masked, unresolved
        hits: dict[int, int] = {}
        for disclosure in pending:
            for cell in set(disclosure.cells):
                if not fixed[cell]:
                    hits[cell] = hits.get(cell, 0) + 1
        chosen = min(
            hits,
            key=lambda c: (-hits[c], hi[c], cells.zone(c), cells.family(c)),
        )
        masked[chosen] = next(d for d in pending if chosen in d.cells)
