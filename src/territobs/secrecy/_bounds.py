"""Exact shortcuts of the attacker's LP: merged units, feasible points, outer bounds.

Used by :func:`territobs.secrecy.attack.intervals`; each one is checked
against a plain LP over the raw units in ``tests/secrecy/test_fast_paths.py``.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

__all__ = ["TOL", "Groups", "Points", "outer_failures"]

#: Weight below which a unit is not in a zone.
TOL = 1e-12


class Groups:
    """Units the published figures cannot tell apart, merged into one unknown.

    Units with the same weight in every published figure (a cell of the
    Venn diagram of the published zones) can trade counts freely: any split
    of their total keeps every published figure. So the attacker's LP over
    the groups' totals is exact, and smaller: a functional giving the units
    of a group weights between ``a`` and ``b`` (0 for a unit it leaves out)
    ranges, for a given group total ``y``, over exactly ``[a y, b y]``.

    Parameters
    ----------
    rows : scipy.sparse.csr_array
        Unknown units × published figures weights.
    """

    def __init__(self, rows: sparse.csr_array) -> None:
        rng = np.random.default_rng(0)
        keys = np.round(rows @ rng.random((rows.shape[1], 2)), 9)
        _, first, label = np.unique(
            keys[:, 0] + 1j * keys[:, 1], return_index=True, return_inverse=True
        )
        self.label = np.asarray(label).ravel()
        self.count = len(first)
        self.size = np.bincount(self.label, minlength=self.count)
        self.rows = sparse.csr_array(rows[first].T)  # figures × groups

    def functional(
        self, units: np.ndarray, weights: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the groups a functional touches and its least and most weights there."""
        label = self.label[units]
        order = np.argsort(label, kind="stable")
        label, weights = label[order], np.asarray(weights)[order]
        groups, starts, counts = np.unique(label, return_index=True, return_counts=True)
        least = np.minimum.reduceat(weights, starts)
        most = np.maximum.reduceat(weights, starts)
        least = np.where(counts == self.size[groups], least, np.minimum(least, 0.0))
        return groups, least, most


class Points:
    """Feasible points found so far, in a growing buffer (rows: points)."""

    def __init__(self, n: int) -> None:
        self._buffer = np.zeros((8, n))
        self.count = 0

    def add(self, point: np.ndarray) -> None:
        if self.count == len(self._buffer):
            self._buffer = np.vstack([self._buffer, np.zeros_like(self._buffer)])
        self._buffer[self.count] = point
        self.count += 1

    def values(self, columns: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
        """Value of the functional at every point (only its columns read)."""
        return self._buffer[: self.count, columns] @ coefficients


def outer_failures(
    free: sparse.csc_array,
    free_targets: sparse.csc_array,
    shown: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    exact: np.ndarray,
    skip: set[int],
    n_cells: int,
    needs: list[float],
    threshold: float,
    mask_zero: bool,
) -> dict[int, tuple[float, float, int]]:
    """Find functionals that surely fail from one published figure each, without an LP.

    Every weight is nonnegative, so a published figure ``S`` holding unit
    ``u`` with weight ``a`` bounds it: ``x_u <= upper_S / a``; when ``u`` is
    the only unknown unit of an exact figure, ``x_u = value_S / a``. These
    bounds hold for every solution: the attacker's interval lies inside
    them (an *outer* interval). A one-unit masked cell whose outer interval
    is narrower than its protection width fails, and so does a region whose
    outer maximum is below the threshold when zeros are disclosive. The LP
    would find the same verdict (property-tested against it); it is only
    needed to tell how wide a passing interval is.

    Parameters
    ----------
    free : scipy.sparse.csc_array
        Unknown units × cells weights.
    free_targets : scipy.sparse.csc_array
        Unknown units × functionals weights (cells first, then regions).
    shown : numpy.ndarray of bool
        Cells published with an unknown unit.
    low, high : numpy.ndarray
        Published bounds of each cell, known units' part removed.
    exact : numpy.ndarray of bool
        Cells published exactly.
    skip : set of int
        Functionals already decided.
    n_cells : int
        Number of functionals that are cells (the rest are regions).
    needs : list of float
        Protection width of each cell functional.
    threshold : float
        Threshold of the count (regions).
    mask_zero : bool
        Whether 0 is disclosive (regions).

    Returns
    -------
    dict of int to (low, high, row)
        Failing functional → outer interval (known units' part excluded)
        and the published cell giving it.
    """
    columns = np.flatnonzero(shown)
    if not len(columns):
        return {}
    rows = sparse.csr_array(free[:, columns])  # units × shown cells
    if not rows.nnz:
        return {}
    n_units = rows.shape[0]
    entry_col = rows.indices
    ratio = high[columns][entry_col] / rows.data
    entry_unit = np.repeat(np.arange(n_units), np.diff(rows.indptr))
    order = np.lexsort((entry_col, ratio, entry_unit))  # smallest ratio first
    first = np.full(n_units, -1)
    unit_ids = np.flatnonzero(np.diff(rows.indptr) > 0)
    # within each unit's slice, the entry of smallest ratio (ties: cell order)
    sorted_units = entry_unit[order]
    first_pos = np.searchsorted(sorted_units, unit_ids)
    best = order[first_pos]
    first[unit_ids] = best
    upper = np.full(n_units, np.inf)
    upper[unit_ids] = ratio[best]
    # exact recovery: an exact figure whose only unknown unit is u
    csc = sparse.csc_array(free[:, columns])
    alone = np.flatnonzero((np.diff(csc.indptr) == 1) & exact[columns])
    pinned = np.full(n_units, np.nan)
    pinned_by = np.full(n_units, -1)
    for j in alone.tolist():
        start = csc.indptr[j]
        unit, weight = int(csc.indices[start]), float(csc.data[start])
        if weight > TOL and pinned_by[unit] < 0:
            pinned[unit] = low[columns[j]] / weight
            pinned_by[unit] = columns[j]
    out: dict[int, tuple[float, float, int]] = {}
    targets = sparse.csc_array(free_targets)
    sizes = np.diff(targets.indptr)
    tol = 1e-9 * max(1.0, threshold)
    for t in np.flatnonzero(sizes >= 1).tolist():
        if t in skip:
            continue
        start = targets.indptr[t]
        if t < n_cells:
            if sizes[t] != 1:
                continue
            unit, weight = int(targets.indices[start]), float(targets.data[start])
            if pinned_by[unit] >= 0 and needs[t] * (1 - 1e-9) - 1e-9 > 0:
                value = weight * pinned[unit]
                out[t] = (value, value, int(pinned_by[unit]))
            elif first[unit] >= 0:
                top = weight * upper[unit]
                # narrower than the width even with the suppression's slack
                # (:func:`~.suppression.passes`): the true interval is too
                if top < needs[t] * (1 - 1e-9) - 1e-9:
                    out[t] = (0.0, top, int(columns[entry_col[first[unit]]]))
        elif mask_zero:
            units = targets.indices[start : targets.indptr[t + 1]]
            unit = int(units[0])  # a region's units share every published figure
            if first[unit] >= 0:
                top = float(upper[unit])
                if top < threshold - tol:
                    out[t] = (0.0, top, int(columns[entry_col[first[unit]]]))
    return out
