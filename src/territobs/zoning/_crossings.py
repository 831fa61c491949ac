r"""Overlap areas from the crossings of unit and zone boundaries.

One job: ``area(unit ∩ zone)`` for candidate pairs of polygons, without
building the intersection. By Green's theorem the area of ``U ∩ Z`` is
``½ ∮ (x dy − y dx)`` along its boundary, and that boundary is made of the
parts of ``∂U`` inside ``Z`` and the parts of ``∂Z`` inside ``U``. Both are
known once the points where ``∂U`` crosses ``∂Z`` are known:

* along a ring of ``U`` (its interior on the left: exterior
  counter-clockwise, holes clockwise; rings stored the other way are read
  backwards, ``sigma``), the parts inside ``Z`` run from each crossing where
  the ring enters ``Z`` to the next crossing; their integral of
  ``2 (x − x_ref) dy`` is a difference of the ring's prefix sums of
  trapezoids ``(x_k + x_{k+1} − 2 x_ref)(y_{k+1} − y_k)`` plus the two
  partial edges (``x_ref``: the polygon's first vertex, for precision);
* along a ring of ``Z``, the parts inside ``U`` run from each crossing where
  ``∂U`` leaves ``Z`` to the next crossing on that ring;
* a ring crossed nowhere lies wholly inside or outside the other polygon:
  one point tells, and its whole signed area counts or not.

Each crossing is one point, on the unit's edge, used by both boundaries, so
the two paths meet exactly (edges crossing at a grazing angle have a badly
conditioned crossing point, but any point where they nearly coincide closes
the loop with no area).

Crossings are found by pruning, all pairs at once in vectorised NumPy: the
zone's blocks and chunks of consecutive edges (with their bounding boxes),
then its edges, against the unit's box; each remaining zone edge against
the unit's blocks, then against the chunks of the blocks it meets (their
boxes computed for those blocks only), then against their edges. The cost
follows the vertices near the zones' boundaries; every vertex of a unit
met by a zone's edge is read about ten times (coordinates, prefix sums,
block boxes), which is the floor of this NumPy kernel on detailed units.
Pairs are processed in batches (sorted by unit) to keep the temporaries
small; with two batches or more, on up to ``workers`` threads. NumPy
releases the GIL on these arrays, which are large enough for the threads
to pay even under load (2026-12-07, 1,000 stars over the communes, cold
and warm runs on the 2-core machine, ×1 and ×16: 2 threads took 0.60-0.79
of one thread's time near idle, 0.58-0.95 beside two busy processes,
0.66-0.85 beside four, load 4; the grid kernel, with many more small calls,
lost there). Points
are located in the shared geometries under a lock: GEOS builds a prepared
geometry's point locator lazily, which is not safe from two threads.

Orientation signs are exact or the pair is not decided here: every
orientation is compared with its floating-point error bound (Shewchuk's
``ccwerrboundA``, with a margin) and a pair with any undecided test (a
vertex on the other's edge, collinear overlapping edges: zones made of the
units' own boundaries) is returned as *degenerate*, for GEOS to cut. So is a
pair whose crossings do not alternate in and out along a ring, and any
polygon with a ring of zero area.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import shapely

from territobs.zoning._crossing_rings import (
    RingLayout,
    block_chunks,
    layout_sizes,
    ring_layout,
)
from territobs.zoning._rings import _ragged, run_chunks

__all__ = ["CrossingResult", "crossing_overlaps"]

#: Relative error bound of a 2x2 orientation determinant computed in double
#: precision from exact coordinates (Shewchuk's ccwerrboundA is 3.33e-16;
#: three times that, for margin).
_ORIENT_BOUND = 1e-15
#: Candidate pairs processed at once. Pairs are sorted by unit, so a unit's
#: rings are read once. Small batches keep the temporaries small enough for
#: the allocator to reuse them from one batch to the next instead of mapping
#: fresh pages each time (measured on the weights benchmark, cold process:
#: 10,000 pairs took 0.6 of the time of 50,000 on 1,000 stars over the
#: communes ×16, and 4,000 was no faster).
_BATCH_PAIRS = 10_000
#: Vertices of units read per batch, for the same reason (cold process, 4
#: alternated runs: 250,000 to 1,000,000 within noise of each other, 4,000,000
#: 5-10 % slower on stars over the communes ×4 and ×16).
_BATCH_VERTICES = 500_000
#: Spans of a ring up to this many whole edges are summed edge by edge.
_DIRECT_EDGES = 64


@dataclass(frozen=True)
class CrossingResult:
    """Overlaps of candidate pairs, as decided by the crossings.

    Attributes
    ----------
    area : numpy.ndarray
        ``area(unit ∩ zone)`` per pair (meaningless where ``degenerate``).
    whole : numpy.ndarray
        The unit lies in the zone (its boundary is crossed nowhere, every
        ring inside the zone, no ring of the zone inside the unit).
    degenerate : numpy.ndarray
        Pairs not decided here (touching or collinear boundaries, rings
        of zero area, crossings that do not alternate): cut them with GEOS.
    """

    area: np.ndarray
    whole: np.ndarray
    degenerate: np.ndarray


def _boxes_meet(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tell which closed boxes (n, 4) meet, row by row."""
    return (
        (a[:, 0] <= b[:, 2])
        & (a[:, 2] >= b[:, 0])
        & (a[:, 1] <= b[:, 3])
        & (a[:, 3] >= b[:, 1])
    )


def _segment_meets_box(
    ax: np.ndarray,
    ay: np.ndarray,
    bx: np.ndarray,
    by: np.ndarray,
    box: np.ndarray,
) -> np.ndarray:
    """Whether segments a-b may meet (widened) boxes: never a false negative.

    The box must be widened by a margin far above the rounding of the
    corner tests (see :func:`crossing_overlaps`).
    """
    near = np.flatnonzero(
        (np.maximum(ax, bx) >= box[:, 0])
        & (np.minimum(ax, bx) <= box[:, 2])
        & (np.maximum(ay, by) >= box[:, 1])
        & (np.minimum(ay, by) <= box[:, 3])
    )
    ax, ay, box = ax[near], ay[near], box[near]
    dx, dy = bx[near] - ax, by[near] - ay
    # The side of a corner c is dx (c_y - a_y) - dy (c_x - a_x): it is
    # largest at the corner (x_min if dy > 0 else x_max, y_max if dx > 0
    # else y_min) and smallest at the opposite one. The segment's line
    # misses the box when even the largest is negative or the smallest
    # positive (the four corners strictly on one side).
    up, right = dx > 0, dy > 0
    high = dx * (np.where(up, box[:, 3], box[:, 1]) - ay) - dy * (
        np.where(right, box[:, 0], box[:, 2]) - ax
    )
    low = dx * (np.where(up, box[:, 1], box[:, 3]) - ay) - dy * (
        np.where(right, box[:, 2], box[:, 0]) - ax
    )
    meets = np.zeros(len(bx), dtype=bool)
    meets[near] = (high >= 0) & (low <= 0)
    return meets


def _orient(
    ax: np.ndarray,
    ay: np.ndarray,
    bx: np.ndarray,
    by: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orientation of p to the line a→b (positive: left), its sign, its bound.

    The sign is 0 when the value is within its error bound (undecided).
    """
    left = (bx - ax) * (py - ay)
    right = (by - ay) * (px - ax)
    det = left - right
    bound = _ORIENT_BOUND * (np.abs(left) + np.abs(right))
    sign = (det > bound).astype(np.int8) - (det < -bound).astype(np.int8)
    return det, sign, bound


def _span_sums(
    side: RingLayout,
    ring: np.ndarray,
    enter_edge: np.ndarray,
    enter_t: np.ndarray,
    enter_pt: tuple[np.ndarray, np.ndarray],
    leave_edge: np.ndarray,
    leave_t: np.ndarray,
    leave_pt: tuple[np.ndarray, np.ndarray],
    ref: np.ndarray,
) -> np.ndarray:
    """``2∫(x - ref) dy`` along rings, stored direction, between two points.

    Each span starts at ``enter_pt`` on edge ``enter_edge`` and runs forward
    along ``ring`` to ``leave_pt`` on ``leave_edge``, past the ring's closing
    vertex when needed. Points are given with ``x`` relative to ``ref`` (one
    per span) and ``y`` absolute. Spans of up to ``_DIRECT_EDGES`` whole
    edges are summed edge by edge about ``ref``; longer ones by the ring's
    prefix sums, whose values grow to the ring's scale (a short span of a
    long zone ring inside a small unit lost up to 3e-9 of the unit's area
    to their rounding).
    """
    start = side.ring_start[ring]
    last = side.ring_last[ring]
    ex, ey = enter_pt
    lx, ly = leave_pt
    same = (leave_edge == enter_edge) & (leave_t > enter_t)
    wrap = (leave_edge < enter_edge) | ((leave_edge == enter_edge) & ~same)
    after = enter_edge + 1  # the vertex ending the entering edge
    ax, ay = side.x[after] - ref, side.y[after]
    bx, by = side.x[leave_edge] - ref, side.y[leave_edge]
    count = np.where(wrap, (last - after) + (leave_edge - start), leave_edge - after)
    count[same] = 0
    direct = count <= _DIRECT_EDGES
    between = np.zeros(len(ring))
    # Short spans: the whole edges one by one (those after the closing vertex
    # are renumbered from the ring's start).
    d = np.flatnonzero(direct & (count > 0))
    k, which = _ragged(after[d], count[d])
    k = np.where(k >= last[d][which], k - (last - start)[d][which], k)
    r = ref[d][which]
    between[d] = np.bincount(
        which,
        weights=((side.x[k] - r) + (side.x[k + 1] - r)) * (side.y[k + 1] - side.y[k]),
        minlength=len(d),
    )
    # Long spans: prefix sums (about the polygon's reference, then moved).
    g = np.flatnonzero(~direct)
    own = side.ref[side.ring_poly[ring[g]]]
    between[g] = (
        side.prefix[leave_edge[g]]
        - side.prefix[after[g]]
        + np.where(wrap[g], side.prefix[last[g]] - side.prefix[start[g]], 0.0)
        + 2 * (own - ref[g]) * (by[g] - ay[g])
    )
    value = (ex + ax) * (ay - ey) + between + (bx + lx) * (ly - by)
    return np.where(same, (ex + lx) * (ly - ey), value)


def crossing_overlaps(
    units: np.ndarray,
    unit_bounds: np.ndarray,
    unit_area: np.ndarray,
    zones: np.ndarray,
    unit: np.ndarray,
    zone: np.ndarray,
    workers: int = 1,
) -> CrossingResult:
    """Overlap areas of candidate pairs from their boundaries' crossings.

    Parameters
    ----------
    units, zones : numpy.ndarray of shapely polygons or multipolygons
        Valid, non-empty, in one projected CRS. ``zones`` should be
        prepared (:func:`shapely.prepare`): points are located in them.
    unit_bounds, unit_area : numpy.ndarray
        Bounds and areas of every unit.
    unit, zone : numpy.ndarray
        Positions of the candidate pairs (bounding boxes meeting).
    workers : int, default 1
        Most threads; used only when the pairs make two batches or more.
        Results do not depend on it.

    Returns
    -------
    CrossingResult
    """
    n = len(unit)
    area = np.zeros(n)
    whole = np.zeros(n, dtype=bool)
    degenerate = np.zeros(n, dtype=bool)
    if not n:
        return CrossingResult(area, whole, degenerate)
    # Only polygons and multipolygons are read here; other geometries (a
    # collection from ``make_valid`` with a line in it) are left to GEOS.
    other = ~_polygonal(units[unit]) | ~_polygonal(zones[zone])
    if other.any():
        degenerate[other] = True
        kept = np.flatnonzero(~other)
        found = crossing_overlaps(
            units, unit_bounds, unit_area, zones, unit[kept], zone[kept], workers
        )
        area[kept], whole[kept] = found.area, found.whole
        degenerate[kept] = found.degenerate
        return CrossingResult(area, whole, degenerate)
    zone_ids, zone_local = np.unique(zone, return_inverse=True)
    zone_geoms = zones[zone_ids]
    # Boxes are widened by far more than the rounding of the tests that
    # use them (coordinates up to ``scale``), so pruning never drops a pair
    # of edges that meet.
    scale = float(np.abs(unit_bounds[unit]).max())
    margin = 1e-6 + 1e-12 * scale
    zs = ring_layout(zone_geoms, *layout_sizes(zone_geoms), margin)
    zone_chunks = block_chunks(zs, np.arange(len(zs.block_start)))
    order = np.argsort(unit, kind="stable")
    unit_sizes = layout_sizes(units[unit[order[:: max(1, n // 1000)]]])
    locate = threading.Lock()

    def one_batch(
        bounds: tuple[int, int],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        idx = order[bounds[0] : bounds[1]]
        found = _batch(
            units,
            unit_bounds,
            unit_area,
            zone_geoms,
            zs,
            zone_chunks,
            unit[idx],
            zone_local[idx],
            unit_sizes,
            margin,
            locate,
        )
        return (idx, *found)

    cuts = _batch_cuts(units, unit[order])
    for idx, a, w, d in run_chunks(one_batch, cuts, workers, workers > 1):
        area[idx], whole[idx], degenerate[idx] = a, w, d
    return CrossingResult(area, whole, degenerate)


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Tell which geometries are polygons or multipolygons."""
    kind = shapely.get_type_id(geoms)
    return (kind == shapely.GeometryType.POLYGON) | (
        kind == shapely.GeometryType.MULTIPOLYGON
    )


def _batch_cuts(units: np.ndarray, sorted_unit: np.ndarray) -> np.ndarray:
    """Cut the pairs, sorted by unit, into batches; return their bounds.

    A batch has at most ``_BATCH_PAIRS`` pairs and ``_BATCH_VERTICES``
    vertices of distinct units, so its arrays stay small.
    """
    n = len(sorted_unit)
    first = np.r_[True, sorted_unit[1:] != sorted_unit[:-1]]
    verts = np.where(first, shapely.get_num_coordinates(units[sorted_unit]), 0)
    load = np.maximum(
        np.cumsum(verts) / _BATCH_VERTICES, np.arange(1, n + 1) / _BATCH_PAIRS
    )
    batch = np.ceil(load).astype(np.int64)
    return np.r_[0, np.flatnonzero(np.diff(batch)) + 1, n]


def _batch(
    units: np.ndarray,
    unit_bounds: np.ndarray,
    unit_area: np.ndarray,
    zone_geoms: np.ndarray,
    zs: RingLayout,
    zone_chunks: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    unit: np.ndarray,
    zl: np.ndarray,
    unit_sizes: tuple[int, int],
    margin: float,
    locate: threading.Lock,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`crossing_overlaps` on one batch of pairs (``zl``: in ``zs``).

    ``locate`` is held while points are located in shared geometries.
    """
    n = len(unit)
    area = np.zeros(n)
    whole = np.zeros(n, dtype=bool)
    deg = np.zeros(n, dtype=bool)
    ub = unit_bounds[unit] + np.array([-margin, -margin, margin, margin])
    e, j = _zone_edges_near(zs, zone_chunks, zl, ub)
    touched = np.zeros(n, dtype=bool)
    touched[j] = True
    # No zone edge comes near the unit's box: the box lies wholly inside the
    # zone or wholly outside, and one corner of it tells.
    free = np.flatnonzero(~touched)
    if len(free):
        with locate:
            inside = shapely.contains_xy(zone_geoms[zl[free]], ub[free, 0], ub[free, 1])
        whole[free] = inside
        area[free] = np.where(inside, unit_area[unit[free]], 0.0)
    tp = np.flatnonzero(touched)
    if not len(tp):
        return area, whole, deg
    uniq, inv = np.unique(unit[tp], return_inverse=True)
    us = ring_layout(units[uniq], *unit_sizes, margin, ring_box=False)
    owner = np.full(n, -1, dtype=np.int64)
    owner[tp] = inv
    deg[tp] = us.bad[inv] | zs.bad[zl[tp]]
    cr, undecided = _find_crossings(us, zs, e, j, owner)
    deg[undecided] = True
    orders = _orders(us, zs, cr)
    deg[_disordered(cr, orders)] = True
    twice = _along_rings(us, zs, cr, orders, ~deg[cr.pair], n)
    crossed = np.zeros(n, dtype=bool)
    crossed[cr.pair] = True
    live = tp[~deg[tp]]
    ok = ~deg[cr.pair]
    rest, unit_out, zone_in = _uncrossed_rings(
        us, zs, units[unit], zone_geoms[zl], owner, zl, ub, live, cr, ok, n, locate
    )
    twice += rest
    area[live] = np.maximum(twice[live] / 2, 0.0)
    whole[live] = ~crossed[live] & ~unit_out[live] & ~zone_in[live]
    area[whole] = unit_area[unit[whole]]
    return area, whole, deg


def _zone_edges_near(
    zs: RingLayout,
    zone_chunks: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    zl: np.ndarray,
    ub: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Zone edges (vertex index) that may meet the unit's box, and their pair.

    Zone blocks, then their chunks, against the box; then the edges.
    """
    k, j = _ragged(zs.poly_block[zl], zs.poly_blocks[zl])
    hit = _boxes_meet(zs.block_box[k], ub[j])
    k, m = _ragged(zone_chunks[0][k[hit]], zone_chunks[1][k[hit]])
    j = j[hit][m]
    hit = _boxes_meet(zone_chunks[4][k], ub[j])
    e, m = _ragged(zone_chunks[2][k[hit]], zone_chunks[3][k[hit]])
    j = j[hit][m]
    hit = _segment_meets_box(zs.x[e], zs.y[e], zs.x[e + 1], zs.y[e + 1], ub[j])
    return e[hit], j[hit]


@dataclass(frozen=True)
class _Crossings:
    """Where the unit's and the zone's boundaries cross, one row per crossing.

    ``x`` is relative to the unit's reference ``ref``, ``y`` absolute: one
    point on the unit's edge, used by both boundaries, so that the parts of
    ``∂U`` and ``∂Z`` meet exactly there. (With two points, one per edge,
    edges crossing at a grazing angle put them metres apart along the
    edges, the two paths no longer closed and the gap's triangle counted as
    area; where the edges nearly coincide any point of the overlap is as
    good, both run within rounding of each other there.)
    """

    pair: np.ndarray
    unit_edge: np.ndarray  # vertex index of the edge's start, in ``us``
    zone_edge: np.ndarray  # the same in ``zs``
    unit_ring: np.ndarray
    zone_ring: np.ndarray
    t_unit: np.ndarray  # position along the unit's edge
    t_zone: np.ndarray
    t_unit_err: np.ndarray  # bounds of their rounding
    t_zone_err: np.ndarray
    leave: np.ndarray  # the unit's edge leaves the zone (stored direction)
    into: np.ndarray  # forward along the zone's ring enters the unit
    x: np.ndarray
    y: np.ndarray
    ref: np.ndarray


def _find_crossings(
    us: RingLayout, zs: RingLayout, e: np.ndarray, j: np.ndarray, owner: np.ndarray
) -> tuple[_Crossings, np.ndarray]:
    """Crossings of zone edges ``e`` (pairs ``j``) with their unit's edges.

    Each zone edge against the unit's blocks, the chunks of the blocks it
    meets, then their edges, whose orientations decide. Also returns the
    pairs with an undecided test (for GEOS); their crossings are dropped.
    """
    ax, ay, bx, by = zs.x[e], zs.y[e], zs.x[e + 1], zs.y[e + 1]
    c, m = _ragged(us.poly_block[owner[j]], us.poly_blocks[owner[j]])
    hit = _segment_meets_box(ax[m], ay[m], bx[m], by[m], us.block_box[c])
    m = m[hit]
    blocks, inv = np.unique(c[hit], return_inverse=True)
    first, n_chunks, c_start, c_count, c_box = block_chunks(us, blocks)
    c, m2 = _ragged(first[inv], n_chunks[inv])
    m = m[m2]
    hit = _segment_meets_box(ax[m], ay[m], bx[m], by[m], c_box[c])
    m = m[hit]
    f, m2 = _ragged(c_start[c[hit]], c_count[c[hit]])
    m = m[m2]
    px, py, qx, qy = us.x[f], us.y[f], us.x[f + 1], us.y[f + 1]
    ax, ay, bx, by = ax[m], ay[m], bx[m], by[m]
    near = np.maximum(ax, bx) >= np.minimum(px, qx)
    near &= np.minimum(ax, bx) <= np.maximum(px, qx)
    near &= np.maximum(ay, by) >= np.minimum(py, qy)
    near &= np.minimum(ay, by) <= np.maximum(py, qy)
    s = np.flatnonzero(near)
    m, f = m[s], f[s]
    ax, ay, bx, by = ax[s], ay[s], bx[s], by[s]
    px, py, qx, qy = px[s], py[s], qx[s], qy[s]
    o1, s1, e1 = _orient(ax, ay, bx, by, px, py)
    o2, s2, e2 = _orient(ax, ay, bx, by, qx, qy)
    o3, s3, e3 = _orient(px, py, qx, qy, ax, ay)
    o4, s4, e4 = _orient(px, py, qx, qy, bx, by)
    cross = (s1 * s2 < 0) & (s3 * s4 < 0)
    undecided = np.unique(j[m[(s1 * s2 <= 0) & (s3 * s4 <= 0) & ~cross]])
    x = np.flatnonzero(cross & ~np.isin(j[m], undecided))
    pair = j[m[x]]
    t_unit = o1[x] / (o1[x] - o2[x])
    t_zone = o3[x] / (o3[x] - o4[x])
    unit_ring = np.searchsorted(us.ring_start, f[x], side="right") - 1
    zone_ring = np.searchsorted(zs.ring_start, e[m[x]], side="right") - 1
    sig_u = us.ring_sigma[unit_ring]
    sig_z = zs.ring_sigma[zone_ring]
    leave = (o1[x] > 0) == (sig_z > 0)  # the edge starts inside the zone
    ref = us.ref[owner[pair]]
    crossings = _Crossings(
        pair=pair,
        unit_edge=f[x],
        zone_edge=e[m[x]],
        unit_ring=unit_ring,
        zone_ring=zone_ring,
        t_unit=t_unit,
        t_zone=t_zone,
        # The orientations' bounds over the span of the two values, with
        # margin: two crossings of one edge closer than that may be in
        # either order.
        t_unit_err=2 * (e1[x] + e2[x]) / np.abs(o1[x] - o2[x]) + 1e-15,
        t_zone_err=2 * (e3[x] + e4[x]) / np.abs(o3[x] - o4[x]) + 1e-15,
        leave=leave,
        into=leave ^ (sig_u < 0) ^ (sig_z < 0),
        x=(px[x] - ref) + t_unit * (qx[x] - px[x]),
        y=py[x] + t_unit * (qy[x] - py[x]),
        ref=ref,
    )
    return crossings, undecided


def _orders(
    us: RingLayout, zs: RingLayout, cr: _Crossings
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Crossings sorted along the units' rings, and along the zones' rings.

    Edges are numbered along the rings, rings along the polygons: sorting by
    (pair, edge, t) orders the crossings along each ring of each pair.
    Returns both orders and their sort keys (pair and edge).
    """
    key_u = cr.pair * len(us.x) + cr.unit_edge
    key_z = cr.pair * len(zs.x) + cr.zone_edge
    return np.lexsort((cr.t_unit, key_u)), np.lexsort((cr.t_zone, key_z)), key_u, key_z


def _disordered(
    cr: _Crossings, orders: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
) -> np.ndarray:
    """Pairs whose crossings cannot be ordered for sure along a ring.

    Their flags do not alternate in and out along a ring, or two crossings
    of one edge are closer than the bounds of their ``t``. ``orders``: from
    :func:`_orders`.
    """
    order_u, order_z, key_u, key_z = orders
    _, bad_u = _cyclic_next(cr.pair[order_u], cr.unit_ring[order_u], cr.leave[order_u])
    _, bad_z = _cyclic_next(cr.pair[order_z], cr.zone_ring[order_z], cr.into[order_z])
    return np.concatenate(
        [
            cr.pair[order_u][bad_u],
            cr.pair[order_z][bad_z],
            _too_close(cr.pair, key_u, cr.t_unit, cr.t_unit_err, order_u),
            _too_close(cr.pair, key_z, cr.t_zone, cr.t_zone_err, order_z),
        ]
    )


def _along_rings(
    us: RingLayout,
    zs: RingLayout,
    cr: _Crossings,
    orders: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    ok: np.ndarray,
    n: int,
) -> np.ndarray:
    """``2∫(x - ref) dy`` of each pair along the crossed parts of its rings.

    Along the units' rings from each entry into the zone to the next
    crossing, along the zones' rings from each point where it enters the
    unit to the next; ``orders``: from :func:`_orders`; ``ok``: the
    crossings of decided pairs.
    """
    order_u, order_z, _, _ = orders
    nxt_u, _ = _cyclic_next(cr.pair[order_u], cr.unit_ring[order_u], cr.leave[order_u])
    nxt_z, _ = _cyclic_next(cr.pair[order_z], cr.zone_ring[order_z], cr.into[order_z])
    twice = np.zeros(n)
    for side, order, nxt, start, ring, edge, t in (
        (us, order_u, nxt_u, ~cr.leave, cr.unit_ring, cr.unit_edge, cr.t_unit),
        (zs, order_z, nxt_z, cr.into, cr.zone_ring, cr.zone_edge, cr.t_zone),
    ):
        pick = start[order] & ok[order]
        go, to = order[pick], order[nxt[pick]]
        span = _span_sums(
            side,
            ring[go],
            edge[go],
            t[go],
            (cr.x[go], cr.y[go]),
            edge[to],
            t[to],
            (cr.x[to], cr.y[to]),
            cr.ref[go],
        )
        weight = span * side.ring_sigma[ring[go]]
        twice += np.bincount(cr.pair[go], weights=weight, minlength=n)
    return twice


def _uncrossed_rings(
    us: RingLayout,
    zs: RingLayout,
    pair_units: np.ndarray,
    pair_zones: np.ndarray,
    owner: np.ndarray,
    zl: np.ndarray,
    ub: np.ndarray,
    live: np.ndarray,
    cr: _Crossings,
    ok: np.ndarray,
    n: int,
    locate: threading.Lock,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rings crossed nowhere: wholly inside the other polygon, or outside.

    Returns the signed twice-areas they add per pair, and whether a ring of
    the unit lies outside the zone, or a ring of the zone inside the unit
    (points located holding ``locate``).
    """
    twice = np.zeros(n)
    rings, rp = _rings_of(us, owner[live], live, cr.pair[ok], cr.unit_ring[ok])
    v = us.ring_start[rings]
    with locate:
        inside = shapely.contains_xy(pair_zones[rp], us.x[v], us.y[v])
    signed = us.ring_total[rings] * us.ring_sigma[rings]
    twice += np.bincount(rp[inside], weights=signed[inside], minlength=n)
    unit_out = np.bincount(rp[~inside], minlength=n) > 0
    rings, rp = _rings_of(zs, zl[live], live, cr.pair[ok], cr.zone_ring[ok])
    # A zone ring inside the unit has its box inside the unit's.
    rb, bu = zs.ring_box[rings], ub[rp]
    maybe = (rb[:, 0] >= bu[:, 0]) & (rb[:, 1] >= bu[:, 1])
    maybe &= (rb[:, 2] <= bu[:, 2]) & (rb[:, 3] <= bu[:, 3])
    rings, rp = rings[maybe], rp[maybe]
    v = zs.ring_start[rings]
    with locate:
        inside = shapely.contains_xy(pair_units[rp], zs.x[v], zs.y[v])
    signed = zs.ring_total[rings] * zs.ring_sigma[rings]
    twice += np.bincount(rp[inside], weights=signed[inside], minlength=n)
    zone_in = np.bincount(rp[inside], minlength=n) > 0
    return twice, unit_out, zone_in


def _rings_of(
    side: RingLayout,
    poly: np.ndarray,
    pair: np.ndarray,
    crossed_pair: np.ndarray,
    crossed_ring: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """List the rings of ``poly[i]`` (pair ``pair[i]``) that no crossing names."""
    rings, m = _ragged(side.poly_ring[poly], side.poly_rings[poly])
    rp = pair[m]
    width = len(side.ring_start)
    named = np.isin(rp * width + rings, crossed_pair * width + crossed_ring)
    return rings[~named], rp[~named]


def _too_close(
    pair: np.ndarray,
    key: np.ndarray,
    t: np.ndarray,
    t_err: np.ndarray,
    order: np.ndarray,
) -> np.ndarray:
    """Pairs with two crossings of one edge closer than their ``t`` bounds.

    ``order`` sorts the crossings by (``key``: pair and edge, ``t``).
    """
    k, tt, err = key[order], t[order], t_err[order]
    close = (k[1:] == k[:-1]) & (tt[1:] - tt[:-1] <= err[1:] + err[:-1])
    return np.unique(pair[order][1:][close])


def _cyclic_next(
    pair: np.ndarray, ring: np.ndarray, flag: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Next crossing along the same ring (cyclically), in sorted order.

    Returns, for each sorted crossing, the sorted position of the next one
    on its (pair, ring), and a mask of the crossings whose (pair, ring)
    does not alternate ``flag`` (then the pair is degenerate).
    """
    m = len(pair)
    if not m:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=bool)
    new = np.r_[True, (pair[1:] != pair[:-1]) | (ring[1:] != ring[:-1])]
    group = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    size = np.diff(np.r_[first, m])
    nxt = np.arange(1, m + 1)
    nxt[first + size - 1] = first
    same = np.bincount(group, weights=flag[nxt] == flag, minlength=len(first))
    bad_group = (size % 2 == 1) | (same > 0)
    return nxt, bad_group[group]
