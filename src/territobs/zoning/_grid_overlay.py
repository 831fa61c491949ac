"""Areas of units cut by the cells of a rectilinear grid, without clipping.

Each unit's edges crossing grid lines are split there and Green's theorem
gives the area in every cell, in vectorised NumPy with no sort of the
vertices (:func:`_grid_areas`). Used by :func:`territobs.zoning._overlay.overlaps`
when the rectangles of a zoning are the cells of one (regular or rectilinear)
grid.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely

from territobs.zoning._rings import GRID_PARALLEL_MIN_WORK as _PARALLEL_MIN_WORK
from territobs.zoning._rings import _ragged

#: Vertices handled per chunk by the grid areas (bounds memory).
_CLIP_CHUNK_VERTICES = 250_000


def _rect_grid(
    zone_bounds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Lines of the rectilinear grid the rectangles are cells of, or None.

    Returns ``(lx, ly, col, row)``: sorted vertical and horizontal lines and
    each rectangle's cell, when every rectangle spans exactly one interval of
    the lines in both directions (a regular grid, or any rectilinear one).
    """
    x0, y0, x1, y1 = zone_bounds.T
    if not len(x0):
        return None
    lx = _unique_lines(x0, x1)
    ly = _unique_lines(y0, y1)
    col = np.searchsorted(lx, x0)
    row = np.searchsorted(ly, y0)
    if (col + 1 >= len(lx)).any() or (row + 1 >= len(ly)).any():
        return None
    if not (np.array_equal(lx[col + 1], x1) and np.array_equal(ly[row + 1], y1)):
        return None
    return lx, ly, col, row


def _unique_lines(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``np.unique(np.r_[lo, hi])``, without a sort when the values lie on a lattice.

    Cell sides are usually multiples of one step (a 200 m grid): each value's
    lattice index is counted and the distinct values read back in order, in
    O(n). The values read back are checked to be exactly those given (two
    distinct values on one lattice index fall back to the sort).
    """
    values = np.concatenate([lo, hi])
    step = float(np.min(hi - lo))
    start = float(values.min())
    if step > 0 and np.isfinite(step):
        span = (float(values.max()) - start) / step
        if span < 4 * len(values) + 1_000_000:
            k = np.rint((values - start) * (1.0 / step)).astype(np.int64)
            seen = np.full(int(k.max()) + 1, np.nan)
            seen[k] = values
            if np.array_equal(seen[k], values):
                return seen[~np.isnan(seen)]
    return np.unique(values)


@dataclass(frozen=True)
class _Axis:
    """Sorted grid lines along one axis, with their lattice when regular.

    :meth:`cell` is ``searchsorted(lines, v, side="right") - 1`` (-1 below
    the first line, ``len(lines) - 1`` at or beyond the last). When the lines
    lie on a regular lattice (a grid, possibly with whole rows or columns
    missing), each value's lattice step is computed and looked up in a small
    table (``table``, built once) instead of a binary search.
    """

    lines: np.ndarray
    step: float = 0.0  # lattice step, 0 when the lines are not on one
    table: np.ndarray | None = None  # cell of each lattice interval, from -1

    def cell(self, v: np.ndarray, exact: bool = False) -> np.ndarray:
        """Cell of each value along this axis.

        A value within rounding of a line may land on either side of it (the
        areas do not change: the clamped integrand is continuous across
        lines), unless ``exact``: then the lattice's answer is corrected by
        comparing with the lines.
        """
        lines, table = self.lines, self.table
        if table is None:
            return np.searchsorted(lines, v, side="right") - 1
        k = (v - lines[0]) * (1.0 / self.step)
        np.floor(k, out=k)
        np.clip(k, -1, len(table) - 2, out=k)
        cell = table[k.astype(np.int64) + 1]
        if exact:  # off by one at most, within rounding of a line
            n = len(lines)
            cell -= (cell >= 0) & (v < lines[np.maximum(cell, 0)])
            cell += (cell < n - 1) & (v >= lines[np.minimum(cell + 1, n - 1)])
        return cell


def _axis(lines: np.ndarray) -> _Axis:
    """Build the :class:`_Axis` of some sorted lines (its lattice if regular)."""
    n = len(lines)
    gaps = np.diff(lines)
    step = float(gaps.min()) if n > 1 else 0.0
    span = (lines[-1] - lines[0]) / step if step > 0 else 0.0
    regular = n > 2 and span < 1e7
    if regular:
        ratio = gaps / step
        regular = bool(np.allclose(ratio, np.rint(ratio), rtol=0.0, atol=1e-9))
    if not regular:
        return _Axis(lines)
    m = round(span)
    # Cell of each lattice interval (k from -1 to m), values in its middle.
    middle = lines[0] + step * (np.arange(-1, m + 1) + 0.5)
    return _Axis(lines, step, np.searchsorted(lines, middle, side="right") - 1)


def _cell_of(lines: np.ndarray, v: np.ndarray, exact: bool = False) -> np.ndarray:
    """``searchsorted(lines, v, side="right") - 1``, by :class:`_Axis`."""
    return _axis(lines).cell(v, exact)


def _ring_coords(
    geoms: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flat closed rings of polygons: ``x, y, count, geom, factor`` per ring.

    ``factor`` is +1 on counter-clockwise exteriors and clockwise holes, -1
    otherwise, and NaN on the rings of polygons without holes (most): these
    are read as one ring each, without building ring objects, and their
    orientation is left to the caller (the sign of their area).
    """
    simple = shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON
    simple[simple] = shapely.get_num_interior_rings(geoms[simple]) == 0
    simple_pos = np.flatnonzero(simple)
    coords = shapely.get_coordinates(geoms[simple_pos])
    count = shapely.get_num_coordinates(geoms[simple_pos])
    x, y = np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1])
    factor = np.full(len(count), np.nan)
    if len(simple_pos) == len(geoms):
        return x, y, count, simple_pos, factor
    complex_pos = np.flatnonzero(~simple)
    parts, part_geom = shapely.get_parts(geoms[complex_pos], return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_coords = shapely.get_coordinates(rings)
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]]
    # Exterior rings count counter-clockwise, holes clockwise.
    ring_factor = np.where(exterior == shapely.is_ccw(rings), 1.0, -1.0)
    return (
        np.r_[x, ring_coords[:, 0]],
        np.r_[y, ring_coords[:, 1]],
        np.r_[count, shapely.get_num_coordinates(rings)],
        np.r_[simple_pos, complex_pos[part_geom[ring_part]]],
        np.r_[factor, ring_factor],
    )


@dataclass(frozen=True)
class _Blocks:
    """Green's-theorem sums of some polygons over dense blocks of grid cells.

    Polygon ``k`` owns the cells of columns ``c0[k]..c1[k]`` and rows
    ``r0[k]..r1[k]`` (its bounding box; column or row -1 and ``len(lines) - 1``
    lie outside the grid), stored column by column from slot ``base[k]``
    (``nr[k]`` rows per column). ``own[s]`` sums the pieces of boundary in
    cell ``s``, ``flux[s]`` their ``-dx``; ``touched[s]`` tells whether any
    piece of boundary (even vertical or a single vertex) lies in the cell.
    """

    c0: np.ndarray
    c1: np.ndarray
    r0: np.ndarray
    r1: np.ndarray
    nr: np.ndarray
    base: np.ndarray
    own: np.ndarray
    flux: np.ndarray
    touched: np.ndarray

    def area(self, k: np.ndarray, col: np.ndarray, row: np.ndarray, ly: np.ndarray):
        """Area of polygon ``k`` in cell ``(col, row)`` (cells of its block)."""
        colbase = self.base[k] + (col - self.c0[k]) * self.nr[k]
        slot = colbase + row - self.r0[k]
        top = colbase + self.nr[k] - 1
        cum = np.cumsum(self.flux)
        return self.own[slot] + (ly[row + 1] - ly[row]) * (cum[top] - cum[slot]), slot


def _block_sums(
    geoms: np.ndarray, ax: _Axis, ay: _Axis, exact: bool = False
) -> _Blocks:
    r"""Green's-theorem sums of ``geoms`` over the cells of their blocks.

    By Green's theorem the area of a polygon inside cell :math:`(i, j)` is
    :math:`-\sum_s \int_s \mathrm{clamp}(y - y_j, 0, h_j)\,dx` over the
    pieces :math:`s` of its boundary in column :math:`i`: a piece in row
    :math:`j` adds :math:`-\Delta x\,(\bar y - y_j)`, a piece in a row above
    adds :math:`-\Delta x\,h_j`. Edges that stay in one cell (most of them
    on detailed boundaries) are used as they are; only edges crossing grid
    lines are split there. Sums go to a dense block of cells per polygon (its
    bounding box), so each polygon is walked once whatever the number of its
    cells, with no polygon clipping and no sort of the vertices. ``exact``
    places values within rounding of a grid line on their own side of it, so
    that ``touched`` is exact (see :meth:`_Axis.cell`); ``touched`` is only
    filled then.
    """
    lx, ly = ax.lines, ay.lines
    x, y, ring_count, ring_unit, factor = _ring_coords(geoms)
    # Dense block of cells per unit: columns c0..c1, rows r0..r1 (row -1:
    # below the grid, len(ly) - 1: above it; both are needed by the sums).
    ubounds = shapely.bounds(geoms)
    c0, c1 = ax.cell(ubounds[:, 0], exact), ax.cell(ubounds[:, 2], exact)
    r0, r1 = ay.cell(ubounds[:, 1], exact), ay.cell(ubounds[:, 3], exact)
    nr = r1 - r0 + 1
    size = (c1 - c0 + 1) * nr
    base = np.cumsum(size) - size
    # Slot of every vertex's cell in its unit's block.
    vrow = ay.cell(y, exact)
    vslot = ax.cell(x, exact)
    vslot *= np.repeat(nr[ring_unit], ring_count)
    vslot += vrow
    vslot += np.repeat((base - c0 * nr - r0)[ring_unit], ring_count)
    # Edges v[i] -> v[i + 1] (closed rings; the edge between two rings is
    # cut off by ``last``). Consecutive vertices in one cell form a run: its
    # edges count in the cell as they are, summed along the run (no scatter
    # per vertex); edges leaving the cell end runs and are split below.
    last = np.cumsum(ring_count) - 1
    x0, x1, y0, y1 = x[:-1], x[1:], y[:-1], y[1:]
    brk = vslot[:-1] != vslot[1:]
    brk[last[:-1]] = True
    ends = np.flatnonzero(brk)  # last edge of each run but the final one
    gap = np.isin(ends, last, assume_unique=True)  # from one ring to the next
    starts = np.r_[0, ends + 1]
    stops = np.r_[ends, len(x) - 1]  # last vertex of each run
    run_slot = vslot[starts]
    run_ring = np.searchsorted(last, starts)
    # Own sum of a run: sum of -dx * (mean y - y of the cell's row line), y
    # taken from the row line before the products (exact on lines).
    np.clip(vrow, 0, len(ly) - 1, out=vrow)
    rel = ly[vrow]
    np.subtract(y, rel, out=rel)
    trap = np.empty(len(x))
    np.subtract(x0, x1, out=trap[:-1])
    trap[:-1] *= rel[:-1] + rel[1:]
    leave = trap[ends]  # -dx * (y0 - row + y1 - row) of the edges leaving
    trap[ends] = 0.0
    trap[-1] = 0.0
    run_own = np.add.reduceat(trap, starts)
    run_flux = x[starts] - x[stops]
    unknown = np.isnan(factor)
    if unknown.any():
        # Twice the signed area of each ring: its runs, plus the edges
        # leaving them (the last edge of a run, relative to its row line).
        run_row = ly[vrow[starts]]
        ring_area = np.bincount(
            run_ring, weights=run_own + 2 * run_row * run_flux, minlength=len(factor)
        )
        rows = ly[vrow[ends]] + ly[vrow[ends + 1]]
        leave += rows * (x0[ends] - x1[ends])
        leave[gap] = 0.0
        ring_area += np.bincount(run_ring[:-1], weights=leave, minlength=len(factor))
        factor[unknown] = np.where(ring_area[unknown] >= 0, 1.0, -1.0)
    run_factor = factor[run_ring]
    run_own *= 0.5 * run_factor
    run_flux *= run_factor
    total = int(size.sum())
    own_sum = np.bincount(run_slot, weights=run_own, minlength=total)
    flux_sum = np.bincount(run_slot, weights=run_flux, minlength=total)
    touched = np.zeros(total if exact else 0, dtype=bool)
    if exact:
        touched[run_slot] = True
    # Edges crossing grid lines: split at every line they cross.
    cross = ends[~gap]
    if len(cross):
        cpx, cpy, cqx, cqy = x0[cross], y0[cross], x1[cross], y1[cross]
        m = len(cross)

        def crossings(
            lines: np.ndarray, a0: np.ndarray, a1: np.ndarray
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            lo = np.searchsorted(lines, np.minimum(a0, a1), side="right")
            hi = np.searchsorted(lines, np.maximum(a0, a1), side="left")
            k, i = _ragged(lo, np.maximum(hi - lo, 0))
            value = lines[k]
            return i, value, (value - a0[i]) / (a1[i] - a0[i])

        ev, xv, tv = crossings(lx, cpx, cqx)
        eh, yh, th = crossings(ly, cpy, cqy)
        edge = np.arange(m)
        all_e = np.concatenate([edge, ev, eh, edge])
        all_t = np.concatenate([np.zeros(m), tv, th, np.ones(m)])
        all_x = np.concatenate([cpx, xv, cpx[eh] + th * (cqx[eh] - cpx[eh]), cqx])
        all_y = np.concatenate([cpy, cpy[ev] + tv * (cqy[ev] - cpy[ev]), yh, cqy])
        order = np.lexsort((all_t, all_e))
        a, b = order[:-1], order[1:]
        a, b = a[all_e[a] == all_e[b]], b[all_e[a] == all_e[b]]
        pring = np.searchsorted(last, cross[all_e[a]])
        pu = ring_unit[pring]
        pcol = np.clip(ax.cell((all_x[a] + all_x[b]) / 2, exact), c0[pu], c1[pu])
        prow = np.clip(ay.cell((all_y[a] + all_y[b]) / 2, exact), r0[pu], r1[pu])
        slot = base[pu] + (pcol - c0[pu]) * nr[pu] + prow - r0[pu]
        if exact:
            touched[slot] = True
        pflux = (all_x[a] - all_x[b]) * factor[pring]
        pown = pflux * ((all_y[a] + all_y[b]) / 2 - ly[np.clip(prow, 0, len(ly) - 1)])
        own_sum += np.bincount(slot, weights=pown, minlength=total)
        flux_sum += np.bincount(slot, weights=pflux, minlength=total)
    return _Blocks(c0, c1, r0, r1, nr, base, own_sum, flux_sum, touched)


def _grid_areas_chunk(
    units: np.ndarray,
    ax: _Axis,
    ay: _Axis,
    unit: np.ndarray,
    col: np.ndarray,
    row: np.ndarray,
) -> np.ndarray:
    """Areas of ``unit[k] ∩ cell(col[k], row[k])`` of a rectilinear grid.

    The sums of :func:`_block_sums` over each unit's block (its bounding box,
    the same cells as its candidate pairs), read at the asked cells.
    """
    if not len(unit):
        return np.empty(0)
    uniq, local = np.unique(unit, return_inverse=True)
    blocks = _block_sums(units[uniq], ax, ay)
    c0, c1, r0, r1 = (
        blocks.c0[local],
        blocks.c1[local],
        blocks.r0[local],
        blocks.r1[local],
    )
    inside = (col >= c0) & (col <= c1) & (row >= r0) & (row <= r1)
    area, _ = blocks.area(local, np.clip(col, c0, c1), np.clip(row, r0, r1), ay.lines)
    return np.where(inside, area, 0.0)


def _grid_areas(
    units: np.ndarray,
    lx: np.ndarray,
    ly: np.ndarray,
    unit: np.ndarray,
    col: np.ndarray,
    row: np.ndarray,
    workers: int = 1,
) -> np.ndarray:
    """:func:`_grid_areas_chunk` by groups of units (bounded memory).

    Groups go to ``workers`` threads when there are at least
    ``GRID_PARALLEL_MIN_WORK`` vertices to walk (in a multiple of ``workers``
    groups of equal vertices, so the threads get equal shares).
    """
    area = np.empty(len(unit))
    if not len(unit):
        return area
    ax, ay = _axis(lx), _axis(ly)
    order = np.argsort(unit, kind="stable")
    vertices = shapely.get_num_coordinates(units[unit[order]])
    first = np.r_[True, unit[order][1:] != unit[order][:-1]]
    cum = np.cumsum(np.where(first, vertices, 0))
    n_chunks = int(cum[-1]) // _CLIP_CHUNK_VERTICES + 1
    parallel = workers > 1 and cum[-1] >= _PARALLEL_MIN_WORK
    if parallel:
        n_chunks = -(-max(n_chunks, workers) // workers) * workers
    chunk = (cum - 1) * n_chunks // int(cum[-1])
    cuts = np.r_[0, np.flatnonzero(np.diff(chunk)) + 1, len(order)]

    def work(bounds: tuple[int, int]) -> None:
        idx = order[bounds[0] : bounds[1]]
        area[idx] = _grid_areas_chunk(units, ax, ay, unit[idx], col[idx], row[idx])

    ranges = list(itertools.pairwise(cuts.tolist()))
    if parallel and len(ranges) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(work, ranges))
    else:
        for r in ranges:
            work(r)
    return area
