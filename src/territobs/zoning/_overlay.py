"""Geometry engine behind the weights: which unit overlaps which zone, by how much.

One job: given unit and zone geometries (same projected CRS), return every
pair with a positive overlap, its intersection area, and whether the unit lies
wholly in the zone. Speed comes from doing as little geometry as possible:

* candidate pairs come from one :class:`shapely.STRtree` query;
* a unit wholly inside its zone needs no intersection: for axis-aligned
  rectangles (grids) its bounding box inside the rectangle proves it, for other
  zones a ``contains`` test against the *prepared* zone;
* cut pairs with rectangles that are the cells of one (regular or
  rectilinear) grid get their areas without any clipping: each unit's edges
  that cross grid lines are split there and Green's theorem gives the area in
  every cell, in vectorised NumPy with no sort of the vertices
  (:func:`_grid_areas`); other rectangles use
  :func:`shapely.clip_by_rect` (one call per zone, vectorised over its units),
  as do grids when the pieces themselves are needed (population weights);
* convex zones without holes (buffers of points, convex hulls...): bounding-box
  candidates are tested against the zone's edge half-planes (box inside all
  of them: whole; outside one: no pair) and the rest are clipped by those
  half-planes in vectorised NumPy (:func:`_clip_convex`, exact areas), except
  detailed units crossing several half-planes, which GEOS cuts faster
  (prepared ``contains``, then ``intersection``); not used when the pieces
  themselves are needed;
* other cut pairs use vectorised :func:`shapely.intersection` in chunks on a
  thread pool (shapely releases the GIL inside GEOS).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["Overlaps", "is_rectangle", "n_workers", "overlaps"]

#: Below this many cut pairs a thread pool costs more than it saves.
_PARALLEL_MIN_PAIRS = 4000


@dataclass(frozen=True)
class Overlaps:
    """Unit × zone pairs with a positive overlap.

    Attributes
    ----------
    unit, zone : numpy.ndarray
        Positions (int64) of the unit and the zone of each pair.
    area : numpy.ndarray
        ``area(unit ∩ zone)`` of each pair (the unit's area when it lies
        wholly inside by ``contains`` or by its bounding box).
    whole : numpy.ndarray
        Boolean: the unit lies wholly in the zone, within tolerance.
    unit_area : numpy.ndarray
        Area of every unit (length ``n_units``).
    pieces : numpy.ndarray or None
        ``unit ∩ zone`` geometries of the cut pairs (``None`` on whole pairs),
        only when asked for.
    """

    unit: np.ndarray
    zone: np.ndarray
    area: np.ndarray
    whole: np.ndarray
    unit_area: np.ndarray
    pieces: np.ndarray | None = None

    @property
    def share(self) -> np.ndarray:
        """``area / unit_area`` of each pair (1 on whole pairs)."""
        share = self.area / self.unit_area[self.unit]
        return np.where(self.whole, 1.0, share)


def n_workers(n_jobs: int | None) -> int:
    """Resolve ``n_jobs`` to a thread count.

    An explicit count is used as given; -1 means every core available. The
    default (None) uses only the cores left idle by the machine's load (one-
    minute load average): threads on busy cores were measured slower than one
    thread (they compete with other processes and with each other).
    """
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if n_jobs is not None and n_jobs >= 0:
        return max(1, int(n_jobs))
    if n_jobs is None and hasattr(os, "getloadavg"):
        # The load counts this process itself (about 1 while it computes).
        others = max(os.getloadavg()[0] - 1.0, 0.0)
        return max(1, min(available, int(available - others + 0.5)))
    return max(1, available)


def is_rectangle(geoms: np.ndarray) -> np.ndarray:
    """Tell which geometries are axis-aligned rectangles (4 corners, no hole).

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries

    Returns
    -------
    numpy.ndarray
        Boolean mask.
    """
    geoms = np.asarray(geoms, dtype=object)
    polygon = shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON
    five = shapely.get_num_coordinates(geoms) == 5
    candidate = polygon & five
    candidate[candidate] &= shapely.get_num_interior_rings(geoms[candidate]) == 0
    bounds = shapely.bounds(geoms[candidate])
    box_area = (bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])
    area = shapely.area(geoms[candidate])
    candidate[candidate] = (box_area > 0) & (
        np.abs(area - box_area) <= 1e-12 * box_area
    )
    return candidate


def _map_chunks(
    func: Callable[[np.ndarray], list[np.ndarray] | np.ndarray],
    index: np.ndarray,
    workers: int,
) -> list:
    """Apply ``func`` to chunks of ``index``, on threads when it pays."""
    if workers <= 1 or len(index) < _PARALLEL_MIN_PAIRS:
        return [func(index)]
    chunks = np.array_split(index, workers * 4)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(func, chunks))


def _cut_general(
    units: np.ndarray,
    zones: np.ndarray,
    unit: np.ndarray,
    zone: np.ndarray,
    workers: int,
    keep_pieces: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Intersection areas (and pieces) of general cut pairs."""

    def work(chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        piece = shapely.intersection(units[unit[chunk]], zones[zone[chunk]])
        return shapely.area(piece), (piece if keep_pieces else np.empty(0, object))

    parts = _map_chunks(work, np.arange(len(unit)), workers)
    area = np.concatenate([p[0] for p in parts]) if parts else np.empty(0)
    pieces = np.concatenate([p[1] for p in parts]) if keep_pieces and parts else None
    return area, pieces


def _cut_rectangles(
    units: np.ndarray,
    zone_bounds: np.ndarray,
    unit: np.ndarray,
    zone: np.ndarray,
    workers: int,
    keep_pieces: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Intersection areas (and pieces) of cut pairs with rectangular zones.

    ``clip_by_rect`` takes scalar bounds, so pairs are grouped by zone and each
    zone clips all its units in one vectorised call.
    """
    if not len(unit):
        return np.empty(0), (np.empty(0, dtype=object) if keep_pieces else None)
    order = np.argsort(zone, kind="stable")
    sorted_zone = zone[order]
    starts = np.flatnonzero(np.r_[True, sorted_zone[1:] != sorted_zone[:-1]])
    ends = np.r_[starts[1:], len(order)]
    area = np.empty(len(unit))
    pieces = np.empty(len(unit), dtype=object) if keep_pieces else None

    def work(groups: np.ndarray) -> np.ndarray:
        for g in groups:
            idx = order[starts[g] : ends[g]]
            piece = shapely.clip_by_rect(units[unit[idx]], *zone_bounds[zone[idx[0]]])
            area[idx] = shapely.area(piece)
            if pieces is not None:
                pieces[idx] = piece
        return groups

    groups = np.arange(len(starts))
    if len(unit) >= _PARALLEL_MIN_PAIRS * 4:
        _map_chunks(work, groups, workers)
    else:
        work(groups)
    return area, pieces


# ------------------------------------------------------------ rectilinear grids
#: Vertices handled per chunk by the grid areas (bounds memory).
_CLIP_CHUNK_VERTICES = 250_000
#: Vertices from which the grid areas use threads (measured: below it the
#: pool costs more than it saves).
_GRID_PARALLEL_MIN_VERTICES = 500_000
#: Relative area below which a computed overlap is rounding noise (no pair).
_AREA_NOISE = 1e-12


@dataclass(frozen=True)
class _Rings:
    """Rings of some units as flat coordinates, without the closing vertex."""

    x: np.ndarray
    y: np.ndarray
    start: np.ndarray  # first vertex of each ring
    count: np.ndarray  # vertices of each ring
    sign: np.ndarray  # +1 exterior ring, -1 hole
    xmin: np.ndarray
    ymin: np.ndarray
    xmax: np.ndarray
    ymax: np.ndarray
    unit_start: np.ndarray  # first ring of each unit
    unit_count: np.ndarray  # rings of each unit


def _rings(units: np.ndarray) -> _Rings:
    parts, part_unit = shapely.get_parts(units, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, vert_ring = shapely.get_coordinates(rings, return_index=True)
    size = np.bincount(vert_ring, minlength=len(rings))
    keep = np.ones(len(coords), dtype=bool)
    keep[np.cumsum(size) - 1] = False
    coords, vert_ring = coords[keep], vert_ring[keep]
    count = size - 1
    start = np.r_[0, np.cumsum(count)[:-1]].astype(np.int64)
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]]
    x, y = coords[:, 0], coords[:, 1]
    ring_unit = part_unit[ring_part]
    unit_count = np.bincount(ring_unit, minlength=len(units))
    unit_start = np.r_[0, np.cumsum(unit_count)[:-1]].astype(np.int64)
    big = np.inf
    return _Rings(
        x,
        y,
        start,
        count,
        np.where(exterior, 1.0, -1.0),
        np.minimum.reduceat(x, start) if len(x) else np.full(0, big),
        np.minimum.reduceat(y, start) if len(y) else np.full(0, big),
        np.maximum.reduceat(x, start) if len(x) else np.full(0, big),
        np.maximum.reduceat(y, start) if len(y) else np.full(0, big),
        unit_start,
        unit_count,
    )


def _ragged(start: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ``arange(start[i], start[i] + count[i])`` and their ``i``."""
    owner = np.repeat(np.arange(len(count)), count)
    offsets = np.r_[0, np.cumsum(count)[:-1]]
    return start[owner] + np.arange(len(owner)) - offsets[owner], owner


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
    ``_GRID_PARALLEL_MIN_VERTICES`` vertices to walk.
    """
    area = np.empty(len(unit))
    if not len(unit):
        return area
    order = np.argsort(unit, kind="stable")
    vertices = shapely.get_num_coordinates(units[unit[order]])
    first = np.r_[True, unit[order][1:] != unit[order][:-1]]
    cum = np.cumsum(np.where(first, vertices, 0))
    chunk = cum // _CLIP_CHUNK_VERTICES
    cuts = np.r_[0, np.flatnonzero(np.diff(chunk)) + 1, len(order)]

    def work(bounds: tuple[int, int]) -> None:
        idx = order[bounds[0] : bounds[1]]
        area[idx] = _grid_areas_chunk(units, lx, ly, unit[idx], col[idx], row[idx])

    ranges = list(itertools.pairwise(cuts.tolist()))
    if workers > 1 and len(ranges) > 1 and cum[-1] >= _GRID_PARALLEL_MIN_VERTICES:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(work, ranges))
    else:
        for r in ranges:
            work(r)
    return area


# ------------------------------------------------------------------ convex zones
@dataclass(frozen=True)
class _Planes:
    """Edges of convex zones as half-planes ``a (x - px) + b (y - py) <= 0``.

    Coordinates are relative to each zone's first vertex ``ref`` (precision);
    ``start`` and ``count`` locate each zone's planes.
    """

    a: np.ndarray
    b: np.ndarray
    px: np.ndarray
    py: np.ndarray
    start: np.ndarray
    count: np.ndarray
    ref: np.ndarray  # (n_zones, 2)
    centre: np.ndarray  # (n_zones, 2) mean vertex, relative to ref
    inner2: np.ndarray  # squared radius of a disc inside the zone, at centre
    box: np.ndarray  # (n_zones, 4) bounds, relative to ref


def _convex_planes(zones: np.ndarray) -> tuple[np.ndarray, _Planes]:
    """Tell which zones are convex polygons without holes; their half-planes.

    Returns the boolean mask and the planes of the convex zones, in order.
    A vertex counts as a turn only when its cross product is clearly non-zero
    (collinear vertices are allowed); zones turning both ways are not convex.
    """
    convex = shapely.get_type_id(zones) == shapely.GeometryType.POLYGON
    convex[convex] &= shapely.get_num_interior_rings(zones[convex]) == 0
    pos = np.flatnonzero(convex)
    coords, owner = shapely.get_coordinates(
        shapely.get_exterior_ring(zones[pos]), return_index=True
    )
    same = owner[1:] == owner[:-1]  # edges v[i] -> v[i + 1] of closed rings
    x0, y0 = coords[:-1, 0][same], coords[:-1, 1][same]
    ex, ey = coords[1:, 0][same] - x0, coords[1:, 1][same] - y0
    edge_zone = owner[:-1][same]
    moving = (ex != 0) | (ey != 0)
    x0, y0, ex, ey, edge_zone = (v[moving] for v in (x0, y0, ex, ey, edge_zone))
    count = np.bincount(edge_zone, minlength=len(pos))
    start = np.cumsum(count) - count
    nxt = np.arange(1, len(ex) + 1)
    nxt[(start + count - 1)[count > 0]] = start[count > 0]
    turn = ex * ey[nxt] - ey * ex[nxt]
    noise = _AREA_NOISE * np.hypot(ex, ey) * np.hypot(ex[nxt], ey[nxt])
    left = np.bincount(edge_zone, weights=turn > noise, minlength=len(pos))
    right = np.bincount(edge_zone, weights=turn < -noise, minlength=len(pos))
    ok = (count >= 3) & ((left == 0) | (right == 0)) & (left + right > 0)
    convex[pos] = ok
    # Inside is left of counter-clockwise edges: e_y (x - x0) - e_x (y - y0) <= 0.
    keep = ok[edge_zone]
    renum = np.cumsum(ok) - 1
    zone_of = renum[edge_zone[keep]]
    orient = np.where(left > 0, 1.0, -1.0)[edge_zone[keep]]
    count = np.bincount(zone_of, minlength=int(ok.sum()))
    start = np.cumsum(count) - count
    x0, y0 = x0[keep], y0[keep]
    ref = np.column_stack([x0[start], y0[start]])
    px, py = x0 - ref[zone_of, 0], y0 - ref[zone_of, 1]
    pa, pb = orient * ey[keep], -orient * ex[keep]
    n_conv = len(count)
    centre = np.column_stack(
        [
            np.bincount(zone_of, weights=px, minlength=n_conv) / np.maximum(count, 1),
            np.bincount(zone_of, weights=py, minlength=n_conv) / np.maximum(count, 1),
        ]
    )
    # Distance from the centre to every edge line; the smallest bounds a disc
    # inside the zone (shrunk a little: only used to skip work, never to decide).
    gap = -(pa * (centre[zone_of, 0] - px) + pb * (centre[zone_of, 1] - py))
    gap /= np.hypot(pa, pb)
    inner = np.full(n_conv, np.inf)
    np.minimum.at(inner, zone_of, gap)
    inner = np.maximum(inner, 0.0) * (1 - 1e-9)
    box = shapely.bounds(zones[pos[ok]]) - np.c_[ref, ref]
    planes = _Planes(pa, pb, px, py, start, count, ref, centre, inner**2, box)
    return convex, planes


def _next_in_ring(ring: np.ndarray) -> np.ndarray:
    """Index of the next vertex of each vertex, rings stored contiguously."""
    n = len(ring)
    if not n:
        return np.empty(0, dtype=np.int64)
    change = np.flatnonzero(ring[1:] != ring[:-1]) + 1
    starts = np.r_[0, change]
    ends = np.r_[change, n] - 1
    nxt = np.arange(1, n + 1)
    nxt[ends] = starts
    return nxt


def _clip_convex(
    units: np.ndarray,
    planes: _Planes,
    unit: np.ndarray,
    zone: np.ndarray,
    act_start: np.ndarray,
    act_count: np.ndarray,
    act_plane: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Areas of ``unit[k] ∩ zone[k]`` for convex zones, by half-plane clipping.

    Every ring of the unit is clipped (Sutherland-Hodgman) by the pair's
    active half-planes ``act_plane[act_start[k] : act_start[k] + act_count[k]]``
    (those its bounding box crosses), all pairs at once, one half-plane per
    round. Clipping a closed ring by a half-plane multiplies its winding
    number by the half-plane's indicator, so the shoelace areas of the clipped
    rings (signed by orientation, holes negative) sum to the exact overlap,
    even for non-convex units. Also returns whether the pair was clipped at
    all: when no vertex is ever outside, the unit lies in the (convex) zone.
    """
    area = np.zeros(len(unit))
    clipped = np.zeros(len(unit), dtype=bool)
    if not len(unit):
        return area, clipped
    uniq, local = np.unique(unit, return_inverse=True)
    rings = _rings(units[uniq])
    # Ring instances: every ring of every pair's unit.
    ring, inst_pair = _ragged(rings.unit_start[local], rings.unit_count[local])
    vert, vi = _ragged(rings.start[ring], rings.count[ring])
    ref = planes.ref[zone[inst_pair]]
    x = rings.x[vert] - ref[vi, 0]
    y = rings.y[vert] - ref[vi, 1]
    # Orientation of the original rings: exterior counts +, hole -.
    nxt = _next_in_ring(vi)
    cross = x * y[nxt] - x[nxt] * y
    signed = np.bincount(vi, weights=cross, minlength=len(ring))
    factor = rings.sign[ring] * np.where(signed >= 0, 1.0, -1.0)
    # Shortcut runs of vertices that are all deep inside the zone, or all
    # beyond one side of its bounding box: the loop a run makes with its
    # shortcut lies inside the zone (its area is added as is) or outside one
    # half-plane containing the zone (it adds nothing); clipping is exact on
    # the shortened rings, which keep the vertices near the zone's boundary.
    zi = zone[inst_pair[vi]]
    box = planes.box[zi]
    state = np.zeros(len(vi), dtype=np.int8)
    state[x > box[:, 2]] = 2
    state[x < box[:, 0]] = 3
    state[y > box[:, 3]] = 4
    state[y < box[:, 1]] = 5
    clipped[inst_pair[vi[state > 0]]] = True
    deep = (x - planes.centre[zi, 0]) ** 2 + (y - planes.centre[zi, 1]) ** 2
    state[deep < planes.inner2[zi]] = 1
    prv = np.empty_like(nxt)
    prv[nxt] = np.arange(len(nxt))
    drop = (state > 0) & (state[prv] == state) & (state[nxt] == state)
    if drop.any():
        run_state = np.where(drop, state, state[nxt])
        chain = (drop | drop[nxt]) & (run_state == 1)
        loop = np.bincount(vi[chain], weights=cross[chain], minlength=len(ring))
        kept = np.flatnonzero(~drop)
        x, y, vi = x[kept], y[kept], vi[kept]
        short = (state[kept] == 1) & drop[nxt[kept]]
        if short.any():
            knxt = _next_in_ring(vi)[short]
            a = np.flatnonzero(short)
            loop -= np.bincount(
                vi[a], weights=x[a] * y[knxt] - x[knxt] * y[a], minlength=len(ring)
            )
        area += np.bincount(inst_pair, weights=loop * factor, minlength=len(unit))
    ring_of = np.arange(len(ring))
    done_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    rnd = 0
    while len(vi):
        live = act_count[inst_pair[ring_of]] > rnd  # per live instance
        if not live.all():
            dead = ~live[vi]
            done_parts.append((x[dead], y[dead], ring_of[vi[dead]]))
            renum = np.cumsum(live) - 1
            x, y, vi = x[~dead], y[~dead], renum[vi[~dead]]
            ring_of = ring_of[live]
            if not len(vi):
                break
        pair = inst_pair[ring_of]
        inst_k = act_plane[act_start[pair] + rnd]
        pa, pb = planes.a[inst_k], planes.b[inst_k]
        pc = pa * planes.px[inst_k] + pb * planes.py[inst_k]
        d = pa[vi] * x + pb[vi] * y - pc[vi]
        inside = d <= 0
        clipped[pair[vi[~inside]]] = True
        nxt = _next_in_ring(vi)
        in_next = inside[nxt]
        cut = inside != in_next
        # Each edge i -> nxt emits its crossing (if any), then its end if inside.
        emit = np.cumsum(cut.astype(np.int64) + in_next)
        total = int(emit[-1])
        ends = np.flatnonzero(in_next)
        crosses = np.flatnonzero(cut)
        nx, ny = np.empty(total), np.empty(total)
        nvi = np.empty(total, dtype=np.int64)
        at = emit[ends] - 1
        nx[at], ny[at], nvi[at] = x[nxt[ends]], y[nxt[ends]], vi[ends]
        at = emit[crosses] - 1 - in_next[crosses]
        j = nxt[crosses]
        t = d[crosses] / (d[crosses] - d[j])
        nx[at] = x[crosses] + t * (x[j] - x[crosses])
        ny[at] = y[crosses] + t * (y[j] - y[crosses])
        nvi[at] = vi[crosses]
        x, y, vi = nx, ny, nvi
        rnd += 1
    for fx, fy, fr in done_parts:
        nxt = _next_in_ring(fr)
        cross = fx * fy[nxt] - fx[nxt] * fy
        area += np.bincount(
            inst_pair[fr], weights=cross * factor[fr], minlength=len(unit)
        )
    return area / 2, clipped


#: Pair × half-plane (and pair × vertex) entries handled per chunk (memory).
_CONVEX_CHUNK = 100_000
#: Pairs whose unit vertices × active half-planes exceed this are cut by GEOS
#: (measured on densified communes: NumPy clipping costs a pass over every
#: vertex per half-plane, GEOS one sweep).
_CONVEX_GEOS_MIN_WORK = 1000


def _convex_overlaps(
    units: np.ndarray,
    unit_bounds: np.ndarray,
    unit_area: np.ndarray,
    unit: np.ndarray,
    zone: np.ndarray,
    planes: _Planes,
    workers: int = 1,
    zones: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overlaps of bounding-box candidate pairs with convex zones.

    A half-plane is *active* for a pair when the unit's bounding box crosses
    its line. A box wholly outside one half-plane is no pair; a box with no
    active half-plane lies in the zone (whole); the others are clipped by
    :func:`_clip_convex`, or by GEOS when ``zones`` are given and the unit's
    vertices times active half-planes exceed ``_CONVEX_GEOS_MIN_WORK``.
    Returns the kept pairs' mask, areas and whole flags.
    """
    n = len(unit)
    area = unit_area[unit].copy()
    whole = np.ones(n, dtype=bool)
    keep = np.ones(n, dtype=bool)
    vertices = shapely.get_num_coordinates(units[unit])
    cost = np.cumsum(planes.count[zone] + vertices)
    n_chunks = max(int(cost[-1]) // _CONVEX_CHUNK + 1 if n else 1, 1)
    if workers > 1 and n >= _PARALLEL_MIN_PAIRS:
        n_chunks = max(n_chunks, 2 * workers)
    chunk = cost * n_chunks // (int(cost[-1]) + 1) if n else cost
    cuts = np.r_[0, np.flatnonzero(np.diff(chunk)) + 1, n]

    def work(bounds: tuple[int, int]) -> None:
        lo, hi = bounds
        u, z = unit[lo:hi], zone[lo:hi]
        k, pair = _ragged(planes.start[z], planes.count[z])
        ref = planes.ref[z]
        b = unit_bounds[u]
        x_lo, x_hi = b[:, 0] - ref[:, 0], b[:, 2] - ref[:, 0]
        y_lo, y_hi = b[:, 1] - ref[:, 1], b[:, 3] - ref[:, 1]
        pa, pb = planes.a[k], planes.b[k]
        dx_hi = np.where(pa > 0, x_hi[pair], x_lo[pair]) - planes.px[k]
        dx_lo = np.where(pa > 0, x_lo[pair], x_hi[pair]) - planes.px[k]
        dy_hi = np.where(pb > 0, y_hi[pair], y_lo[pair]) - planes.py[k]
        dy_lo = np.where(pb > 0, y_lo[pair], y_hi[pair]) - planes.py[k]
        active = pa * dx_hi + pb * dy_hi > 0  # some corner outside
        outside = pa * dx_lo + pb * dy_lo > 0  # every corner outside
        gone = np.bincount(pair[outside], minlength=len(u)) > 0
        act_count = np.bincount(pair[active], minlength=len(u))
        act_start = np.cumsum(act_count) - act_count
        todo = ~gone & (act_count > 0)
        if zones is not None:
            geos = todo & (vertices[lo:hi] * act_count > _CONVEX_GEOS_MIN_WORK)
            todo &= ~geos
            g = np.flatnonzero(geos)
            if len(g):
                inside = shapely.contains(zones[z[g]], units[u[g]])
                gc = g[~inside]
                whole[lo + gc] = False
                # Not clip_by_rect first: its output can be invalid, and the
                # overlay of an invalid piece gave wrong areas on real IRIS.
                area[lo + gc] = shapely.area(
                    shapely.intersection(units[u[gc]], zones[z[gc]])
                )
        clip = np.flatnonzero(todo)
        cut_area, clipped = _clip_convex(
            units,
            planes,
            u[clip],
            z[clip],
            act_start[clip],
            act_count[clip],
            k[active],
        )
        keep[lo:hi] = ~gone
        sel = lo + clip[clipped]
        whole[sel] = False
        area[sel] = np.where(
            cut_area[clipped] <= _AREA_NOISE * unit_area[unit[sel]],
            0.0,
            cut_area[clipped],
        )

    ranges = list(itertools.pairwise(cuts.tolist()))
    if workers > 1 and len(ranges) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(work, ranges))
    else:
        for r in ranges:
            work(r)
    return keep, area, whole


def overlaps(
    units: np.ndarray,
    zones: np.ndarray,
    *,
    tolerance: float = 1e-6,
    n_jobs: int | None = None,
    keep_pieces: bool = False,
) -> Overlaps:
    """Find every unit × zone pair with a positive overlap.

    Parameters
    ----------
    units, zones : numpy.ndarray of shapely geometries
        Polygons in the same projected CRS. Units are assumed non-empty.
    tolerance : float, default 1e-6
        Relative sliver tolerance: a pair whose overlap is at least
        ``(1 - tolerance)`` of the unit's area is *whole*; one below
        ``tolerance`` of it is not a pair (a unit touching a zone on its
        border only has a zero overlap and is never a pair).
    n_jobs : int, optional
        Threads for the cut pairs (GEOS intersections, convex clipping chunks);
        None or -1: every core available. Only large jobs use threads (from
        ``_PARALLEL_MIN_PAIRS`` pairs); results do not depend on it.
    keep_pieces : bool, default False
        Also return the ``unit ∩ zone`` geometries of the cut pairs.

    Returns
    -------
    Overlaps
    """
    units = np.asarray(units, dtype=object)
    zones = np.asarray(zones, dtype=object)
    workers = n_workers(n_jobs)
    unit_area = shapely.area(units)
    tree = shapely.STRtree(units)
    unit_bounds = shapely.bounds(units)
    rect = is_rectangle(zones)
    parts: list[tuple[np.ndarray, ...]] = []

    # Rectangles: bounding-box candidates, bbox-inside = whole, clip the rest.
    rect_pos = np.flatnonzero(rect)
    if len(rect_pos):
        z_local, u = tree.query(zones[rect_pos])
        z = rect_pos[z_local]
        zb = shapely.bounds(zones)
        ub = unit_bounds
        whole = (
            (ub[u, 0] >= zb[z, 0])
            & (ub[u, 1] >= zb[z, 1])
            & (ub[u, 2] <= zb[z, 2])
            & (ub[u, 3] <= zb[z, 3])
        )
        area = unit_area[u].copy()
        cut = ~whole
        pieces = np.full(len(u), None, dtype=object) if keep_pieces else None
        if keep_pieces:
            cut_area, cut_pieces = _cut_rectangles(
                units, zb, u[cut], z[cut], workers, keep_pieces
            )
            pieces[cut] = cut_pieces
        elif (grid := _rect_grid(zb[rect_pos])) is not None:
            lx, ly, grid_col, grid_row = grid
            rect_local = np.full(len(zones), -1, dtype=np.int64)
            rect_local[rect_pos] = np.arange(len(rect_pos))
            zc = rect_local[z[cut]]
            cut_area = _grid_areas(
                units, lx, ly, u[cut], grid_col[zc], grid_row[zc], workers
            )
            cut_area[cut_area <= _AREA_NOISE * unit_area[u[cut]]] = 0.0
        else:
            cut_area, _ = _cut_rectangles(units, zb, u[cut], z[cut], workers, False)
        area[cut] = cut_area
        parts.append((u, z, area, whole, pieces))

    # Convex zones (buffers of points...): half-plane clipping, no GEOS.
    other_pos = np.flatnonzero(~rect)
    if len(other_pos) and not keep_pieces:
        convex, planes = _convex_planes(zones[other_pos])
        convex_pos = other_pos[convex]
        if len(convex_pos):
            z_local, u = tree.query(zones[convex_pos])
            convex_zones = zones[convex_pos]
            shapely.prepare(convex_zones)
            keep, area, whole = _convex_overlaps(
                units, unit_bounds, unit_area, u, z_local, planes, workers, convex_zones
            )
            parts.append(
                (u[keep], convex_pos[z_local[keep]], area[keep], whole[keep], None)
            )
        other_pos = other_pos[~convex]

    # Other zones: prepared intersects / contains, intersection of cut pairs only.
    if len(other_pos):
        other = zones[other_pos]
        shapely.prepare(other)
        z_local, u = tree.query(other, predicate="intersects")
        whole = shapely.contains(other[z_local], units[u])
        z = other_pos[z_local]
        area = unit_area[u].copy()
        cut = ~whole
        pieces = np.full(len(u), None, dtype=object) if keep_pieces else None
        cut_area, cut_pieces = _cut_general(
            units, zones, u[cut], z[cut], workers, keep_pieces
        )
        area[cut] = cut_area
        if pieces is not None:
            pieces[cut] = cut_pieces
        parts.append((u, z, area, whole, pieces))

    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return Overlaps(empty, empty, np.empty(0), np.empty(0, bool), unit_area, None)
    unit = np.concatenate([p[0] for p in parts]).astype(np.int64)
    zone = np.concatenate([p[1] for p in parts]).astype(np.int64)
    area = np.concatenate([p[2] for p in parts])
    whole = np.concatenate([p[3] for p in parts])
    pieces = np.concatenate([p[4] for p in parts]) if keep_pieces else None

    with np.errstate(divide="ignore", invalid="ignore"):
        share = area / unit_area[unit]
    whole = whole | (share >= 1.0 - tolerance)
    keep = whole | ((area > 0) & (share >= tolerance))
    if pieces is not None:
        pieces = pieces[keep]
        pieces[whole[keep]] = None
    return Overlaps(unit[keep], zone[keep], area[keep], whole[keep], unit_area, pieces)
