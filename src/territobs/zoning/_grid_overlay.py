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
    lx = np.unique(np.r_[x0, x1])
    ly = np.unique(np.r_[y0, y1])
    col = np.searchsorted(lx, x0)
    row = np.searchsorted(ly, y0)
    if (col + 1 >= len(lx)).any() or (row + 1 >= len(ly)).any():
        return None
    if not (np.array_equal(lx[col + 1], x1) and np.array_equal(ly[row + 1], y1)):
        return None
    return lx, ly, col, row


def _cell_of(lines: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``searchsorted(lines, v, side="right") - 1``, by arithmetic on a lattice.

    Values below the first line give -1, at or beyond the last ``len(lines) - 1``.
    When the lines lie on a regular lattice (a grid, possibly with whole
    rows or columns missing), the lattice step of each value is computed
    and looked up in a small table; otherwise a binary search is used.
    """
    n = len(lines)
    gaps = np.diff(lines)
    step = float(gaps.min()) if n > 1 else 0.0
    span = (lines[-1] - lines[0]) / step if step > 0 else 0.0
    regular = n > 2 and span < 1e7
    if regular:
        ratio = gaps / step
        regular = bool(np.allclose(ratio, np.rint(ratio), rtol=0.0, atol=1e-9))
    if not regular:
        return np.searchsorted(lines, v, side="right") - 1
    m = round(span)
    # Cell of each lattice interval (k from -1 to m), values in its middle.
    middle = lines[0] + step * (np.arange(-1, m + 1) + 0.5)
    table = np.searchsorted(lines, middle, side="right") - 1
    # A value within rounding of a line may land on either side of it: the
    # areas do not change (the clamped integrand is continuous across lines).
    k = np.floor((v - lines[0]) * (1.0 / step)).astype(np.int64)
    np.clip(k, -1, m, out=k)
    return table[k + 1]


def _grid_areas_chunk(
    units: np.ndarray,
    lx: np.ndarray,
    ly: np.ndarray,
    unit: np.ndarray,
    col: np.ndarray,
    row: np.ndarray,
) -> np.ndarray:
    r"""Areas of ``unit[k] ∩ cell(col[k], row[k])`` of a rectilinear grid.

    By Green's theorem the area of a polygon inside cell :math:`(i, j)` is
    :math:`-\sum_s \int_s \mathrm{clamp}(y - y_j, 0, h_j)\,dx` over the
    pieces :math:`s` of its boundary in column :math:`i`: a piece in row
    :math:`j` adds :math:`-\Delta x\,(\bar y - y_j)`, a piece in a row above
    adds :math:`-\Delta x\,h_j`. Edges that stay in one cell (most of them
    on detailed boundaries) are used as they are; only edges crossing grid
    lines are split there. Sums go to a dense block of cells per unit (its
    bounding box, the same cells as its candidate pairs), so each unit is
    walked once whatever the number of its cells, with no polygon clipping
    and no sort of the vertices.
    """
    if not len(unit):
        return np.empty(0)
    uniq, local = np.unique(unit, return_inverse=True)
    parts, part_unit = shapely.get_parts(units[uniq], return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords = shapely.get_coordinates(rings)
    ring_count = shapely.get_num_coordinates(rings)
    x, y = np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1])
    ring_unit = part_unit[ring_part]
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]]
    # Exterior rings count counter-clockwise, holes clockwise.
    factor = np.where(exterior == shapely.is_ccw(rings), 1.0, -1.0)
    # Dense block of cells per unit: columns c0..c1, rows r0..r1 (row -1:
    # below the grid, len(ly) - 1: above it; both are needed by the sums).
    ubounds = shapely.bounds(units[uniq])
    c0, c1 = _cell_of(lx, ubounds[:, 0]), _cell_of(lx, ubounds[:, 2])
    r0, r1 = _cell_of(ly, ubounds[:, 1]), _cell_of(ly, ubounds[:, 3])
    nr = r1 - r0 + 1
    size = (c1 - c0 + 1) * nr
    base = np.cumsum(size) - size
    # Slot of every vertex's cell in its unit's block.
    vrow = _cell_of(ly, y)
    vslot = _cell_of(lx, x)
    vslot *= np.repeat(nr[ring_unit], ring_count)
    vslot += vrow
    vslot += np.repeat((base - c0 * nr - r0)[ring_unit], ring_count)
    # Edges v[i] -> v[i + 1] (closed rings; the edge between two rings is
    # cut off by ``last``). Edges within one cell count in its slot as is.
    last = np.cumsum(ring_count) - 1
    x0, x1, y0, y1 = x[:-1], x[1:], y[:-1], y[1:]
    same = vslot[:-1] == vslot[1:]
    same[last[:-1]] = False
    edge_factor = np.repeat(factor, ring_count)[:-1]
    flux = np.where(same, (x0 - x1) * edge_factor, 0.0)
    row_y = ly[np.clip(vrow[:-1], 0, len(ly) - 1)]
    own = flux * ((y0 + y1) * 0.5 - row_y)
    total = int(size.sum())
    own_sum = np.bincount(vslot[:-1], weights=own, minlength=total)
    flux_sum = np.bincount(vslot[:-1], weights=flux, minlength=total)
    # Edges crossing grid lines: split at every line they cross.
    cross = ~same
    cross[last[:-1]] = False
    cross = np.flatnonzero(cross)
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
        keep = (all_e[a] == all_e[b]) & (all_x[b] != all_x[a])
        a, b = a[keep], b[keep]
        pring = np.searchsorted(last, cross[all_e[a]])
        pu = ring_unit[pring]
        pcol = np.clip(_cell_of(lx, (all_x[a] + all_x[b]) / 2), c0[pu], c1[pu])
        prow = np.clip(_cell_of(ly, (all_y[a] + all_y[b]) / 2), r0[pu], r1[pu])
        slot = base[pu] + (pcol - c0[pu]) * nr[pu] + prow - r0[pu]
        pflux = (all_x[a] - all_x[b]) * factor[pring]
        pown = pflux * ((all_y[a] + all_y[b]) / 2 - ly[np.clip(prow, 0, len(ly) - 1)])
        own_sum += np.bincount(slot, weights=pown, minlength=total)
        flux_sum += np.bincount(slot, weights=pflux, minlength=total)
    cum = np.cumsum(flux_sum)
    # Query cells: own sum of the cell, plus the flux of the rows above it.
    inside = (col >= c0[local]) & (col <= c1[local]) & (row >= r0[local])
    inside &= row <= r1[local]
    colbase = base[local] + (np.clip(col, c0[local], c1[local]) - c0[local]) * nr[local]
    q = colbase + np.clip(row, r0[local], r1[local]) - r0[local]
    top = colbase + nr[local] - 1
    height = ly[row + 1] - ly[row]
    return np.where(inside, own_sum[q] + height * (cum[top] - cum[q]), 0.0)


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
        area[idx] = _grid_areas_chunk(units, lx, ly, unit[idx], col[idx], row[idx])

    ranges = list(itertools.pairwise(cuts.tolist()))
    if parallel and len(ranges) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(work, ranges))
    else:
        for r in ranges:
            work(r)
    return area
