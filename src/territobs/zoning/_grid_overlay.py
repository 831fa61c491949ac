"""Areas of units cut by the cells of a rectilinear grid, without clipping.

Each unit's edges crossing grid lines are split there and Green's theorem
gives the area in every cell, in vectorised NumPy with no sort of the
vertices (:func:`_grid_areas`). Used by :func:`territobs.zoning._overlay.overlaps`
when the rectangles of a zoning are the cells of one (regular or rectilinear)
grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from territobs.zoning._rings import GRID_PARALLEL_MIN_WORK as _PARALLEL_MIN_WORK
from territobs.zoning._rings import _ragged, run_chunks

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
    missing), each value's lattice interval ``(v - origin) // step`` is
    looked up in a table built once (``table``; ``line``: the line at or
    below each interval, clamped to the grid) instead of a binary search.
    The table covers the range given to :func:`_axis`, so values in that
    range need no clamping (:meth:`index`).
    """

    lines: np.ndarray
    step: float = 0.0  # lattice step, 0 when the lines are not on one
    origin: float = 0.0  # start of lattice interval 0
    table: np.ndarray | None = None  # cell of each lattice interval
    line: np.ndarray | None = None  # lines[clip(table)]

    def index(self, v: np.ndarray) -> np.ndarray:
        """Lattice interval of values within the covered range (no clamping)."""
        k = v - self.origin
        k *= 1.0 / self.step
        return k.astype(np.int64)

    def covers(self, lo: np.ndarray, hi: np.ndarray) -> bool:
        """Tell whether :meth:`index` may look up values from ``lo`` to ``hi``."""
        if self.table is None or not len(lo):
            return False
        end = self.origin + self.step * (len(self.table) - 1)
        return bool((lo >= self.origin).all() and (hi < end).all())

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
        k = v - self.origin
        k *= 1.0 / self.step
        np.clip(k, 0, len(table) - 1, out=k)
        cell = table[k.astype(np.int64)]
        if exact:  # off by one at most, within rounding of a line
            n = len(lines)
            cell -= (cell >= 0) & (v < lines[np.maximum(cell, 0)])
            cell += (cell < n - 1) & (v >= lines[np.minimum(cell + 1, n - 1)])
        return cell


def _axis(lines: np.ndarray, lo: float | None = None, hi: float | None = None) -> _Axis:
    """Build the :class:`_Axis` of some sorted lines (its lattice if regular).

    ``lo`` and ``hi`` bound the values to look up without clamping.
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
        return _Axis(lines)
    m = round(span)
    lo = lines[0] if lo is None else min(lo, lines[0])
    hi = lines[-1] if hi is None else max(hi, lines[-1])
    kmin = int(np.floor((lo - lines[0]) / step)) - 2
    kmax = int(np.ceil((hi - lines[0]) / step)) + 2
    if kmax - kmin > 1e7:  # values far off the grid: cover the grid only
        kmin, kmax = -2, m + 2
    origin = lines[0] + step * kmin
    middle = origin + step * (np.arange(kmax - kmin + 1) + 0.5)
    table = np.searchsorted(lines, middle, side="right") - 1
    return _Axis(lines, step, origin, table, lines[np.clip(table, 0, n - 1)])


def _cell_of(lines: np.ndarray, v: np.ndarray, exact: bool = False) -> np.ndarray:
    """``searchsorted(lines, v, side="right") - 1``, by :class:`_Axis`."""
    return _axis(lines).cell(v, exact)


def _ring_coords(
    geoms: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flat closed rings of polygons: ``x, y, count, geom, factor`` per ring.

    ``factor`` is +1 on counter-clockwise exteriors and clockwise holes, -1
    otherwise, and NaN on single-ring geometries (most): these are read as
    one ring each from the geometries' coordinates, without building part or
    ring objects, and their orientation is left to the caller (the sign of
    their area). A geometry is single-ring when its first vertex comes back
    only at its end: a second ring (hole or part) starts after the first
    one closes on it (and an invalid ring through its first vertex only
    takes the general path).
    """
    coords = shapely.get_coordinates(geoms)
    count = shapely.get_num_coordinates(geoms)
    x, y = coords[:, 0], coords[:, 1]
    start = np.cumsum(count) - count
    hit = np.flatnonzero(x == np.repeat(x[start], count))
    hit_geom = np.searchsorted(start, hit, side="right") - 1
    inner = (hit != start[hit_geom]) & (hit != start[hit_geom] + count[hit_geom] - 1)
    inner &= y[hit] == y[start[hit_geom]]
    multi = np.zeros(len(geoms), dtype=bool)
    multi[hit_geom[inner]] = True
    if not multi.any():
        return x, y, count, np.arange(len(geoms)), np.full(len(geoms), np.nan)
    # Rings of the other geometries (in the order of their coordinates).
    complex_pos = np.flatnonzero(multi)
    parts, part_geom = shapely.get_parts(geoms[complex_pos], return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    n_rings = np.ones(len(geoms), dtype=np.int64)
    n_rings[complex_pos] = np.bincount(part_geom[ring_part], minlength=len(complex_pos))
    ring_geom = np.repeat(np.arange(len(geoms)), n_rings)
    ring_count = count[ring_geom]
    factor = np.full(len(ring_geom), np.nan)
    general = np.repeat(multi, n_rings)
    ring_count[general] = shapely.get_num_coordinates(rings)
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]]
    # Exterior rings count counter-clockwise, holes clockwise.
    factor[general] = np.where(exterior == shapely.is_ccw(rings), 1.0, -1.0)
    return x, y, ring_count, ring_geom, factor


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


def _split_edges(
    lx: np.ndarray,
    ly: np.ndarray,
    x0: np.ndarray,
    y0: np.ndarray,
    x1: np.ndarray,
    y1: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pieces of edges ``(x0, y0) -> (x1, y1)`` split at the grid lines they cross.

    Returns the pieces' ends ``(px, py) -> (qx, qy)`` and their edge. Edges
    crossing one line (most) are split in two directly; only those crossing
    several have their crossings sorted along the edge.
    """
    vlo = np.searchsorted(lx, np.minimum(x0, x1), side="right")
    nv = np.maximum(np.searchsorted(lx, np.maximum(x0, x1), side="left") - vlo, 0)
    hlo = np.searchsorted(ly, np.minimum(y0, y1), side="right")
    nh = np.maximum(np.searchsorted(ly, np.maximum(y0, y1), side="left") - hlo, 0)
    n = nv + nh
    # No crossing (vertices within rounding of a line): the edge itself.
    e0 = np.flatnonzero(n == 0)
    # One crossing: two pieces meeting on the line.
    e1v = np.flatnonzero((nv == 1) & (nh == 0))
    e1h = np.flatnonzero((nh == 1) & (nv == 0))
    cxv = lx[vlo[e1v]]
    cyv = y0[e1v] + (cxv - x0[e1v]) / (x1[e1v] - x0[e1v]) * (y1[e1v] - y0[e1v])
    cyh = ly[hlo[e1h]]
    cxh = x0[e1h] + (cyh - y0[e1h]) / (y1[e1h] - y0[e1h]) * (x1[e1h] - x0[e1h])
    e1 = np.r_[e1v, e1h]
    cx, cy = np.r_[cxv, cxh], np.r_[cyv, cyh]
    parts = [
        (x0[e0], y0[e0], x1[e0], y1[e0], e0),
        (x0[e1], y0[e1], cx, cy, e1),
        (cx, cy, x1[e1], y1[e1], e1),
    ]
    # Several crossings: all the points of each edge sorted along it.
    em = np.flatnonzero(n >= 2)
    if len(em):
        mx0, my0, mx1, my1 = x0[em], y0[em], x1[em], y1[em]

        def crossings(
            lines: np.ndarray,
            lo: np.ndarray,
            count: np.ndarray,
            a0: np.ndarray,
            a1: np.ndarray,
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            k, i = _ragged(lo, count)
            value = lines[k]
            return i, value, (value - a0[i]) / (a1[i] - a0[i])

        ev, xv, tv = crossings(lx, vlo[em], nv[em], mx0, mx1)
        eh, yh, th = crossings(ly, hlo[em], nh[em], my0, my1)
        m = len(em)
        edge = np.arange(m)
        all_e = np.concatenate([edge, ev, eh, edge])
        all_t = np.concatenate([np.zeros(m), tv, th, np.ones(m)])
        all_x = np.concatenate([mx0, xv, mx0[eh] + th * (mx1[eh] - mx0[eh]), mx1])
        all_y = np.concatenate([my0, my0[ev] + tv * (my1[ev] - my0[ev]), yh, my1])
        order = np.lexsort((all_t, all_e))
        a, b = order[:-1], order[1:]
        same = all_e[a] == all_e[b]
        a, b = a[same], b[same]
        parts.append((all_x[a], all_y[a], all_x[b], all_y[b], em[all_e[a]]))
    px, py, qx, qy, pe = (np.concatenate(c) for c in zip(*parts, strict=True))
    return px, py, qx, qy, pe


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
    # Cell of every vertex (the lattice index, when its axis has one and the
    # values are in its range; ``exact`` asks for the correction near lines).
    fast = not exact and ax.covers(ubounds[:, 0], ubounds[:, 2])
    fast = fast and ay.covers(ubounds[:, 1], ubounds[:, 3])
    if fast:
        assert ax.table is not None and ay.table is not None and ay.line is not None
        ky = ay.index(y)
        vrow = ay.table[ky]
        rel = ay.line[ky]
        vcol = ax.table[ax.index(x)]
    else:
        vrow = ay.cell(y, exact)
        vcol = ax.cell(x, exact)
        rel = ly[np.clip(vrow, 0, len(ly) - 1)]
    np.subtract(y, rel, out=rel)  # y above the row line of its cell
    # Global cell key (rows -1 to len(ly) - 1: len(ly) + 1 of them).
    vkey = vcol * (len(ly) + 1)
    vkey += vrow
    # Edges v[i] -> v[i + 1] (closed rings; the edge between two rings is
    # cut off by ``last``). Consecutive vertices in one cell form a run: its
    # edges count in the cell as they are, summed along the run (no scatter
    # per vertex); edges leaving the cell end runs and are split below.
    last = np.cumsum(ring_count) - 1
    x0, x1, y0, y1 = x[:-1], x[1:], y[:-1], y[1:]
    brk = vkey[:-1] != vkey[1:]
    brk[last[:-1]] = True
    ends = np.flatnonzero(brk)  # last edge of each run but the final one
    gap = np.isin(ends, last, assume_unique=True)  # from one ring to the next
    starts = np.r_[0, ends + 1]
    stops = np.r_[ends, len(x) - 1]  # last vertex of each run
    run_ring = np.asarray(np.searchsorted(last, starts), dtype=np.int64)
    ru = ring_unit[run_ring]
    run_row = vrow[starts]
    run_slot = base[ru] + (vcol[starts] - c0[ru]) * nr[ru] + run_row - r0[ru]
    run_line = ly[np.clip(run_row, 0, len(ly) - 1)]
    # Own sum of a run: sum of -dx * (mean y - y of the cell's row line), y
    # taken from the row line before the products (exact on lines).
    trap = np.empty(len(x))
    np.subtract(x0, x1, out=trap[:-1])
    trap[:-1] *= rel[:-1] + rel[1:]
    leave: np.ndarray = trap[ends]  # -dx * (y0 - row + y1 - row) of the edges leaving
    trap[ends] = 0.0
    trap[-1] = 0.0
    run_own = np.add.reduceat(trap, starts)
    run_flux = x[starts] - x[stops]
    unknown = np.isnan(factor)
    if unknown.any():
        # Twice the signed area of each ring: its runs, plus the edges
        # leaving them (the last edge of a run, relative to its row line).
        rows = run_line[:-1] + run_line[1:]
        leave += rows * (x0[ends] - x1[ends])
        leave[gap] = 0.0
        n_rings = len(factor)
        ring_area = np.asarray(
            np.bincount(run_ring, run_own + 2 * run_line * run_flux, n_rings)
            + np.bincount(run_ring[:-1], leave, n_rings),
            dtype=float,
        )
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
        px, py, qx, qy, pe = _split_edges(
            lx, ly, x0[cross], y0[cross], x1[cross], y1[cross]
        )
        pring = np.searchsorted(last, cross[pe])
        pu = ring_unit[pring]
        pcol = np.clip(ax.cell((px + qx) / 2, exact), c0[pu], c1[pu])
        prow = np.clip(ay.cell((py + qy) / 2, exact), r0[pu], r1[pu])
        slot = base[pu] + (pcol - c0[pu]) * nr[pu] + prow - r0[pu]
        if exact:
            touched[slot] = True
        pflux = (px - qx) * factor[pring]
        pown = pflux * ((py + qy) / 2 - ly[np.clip(prow, 0, len(ly) - 1)])
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
    xmin, ymin, xmax, ymax = shapely.total_bounds(units[np.unique(unit)])
    ax, ay = _axis(lx, xmin, xmax), _axis(ly, ymin, ymax)
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

    run_chunks(work, cuts, workers, parallel)
    return area
