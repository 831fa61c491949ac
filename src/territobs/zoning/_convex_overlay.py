"""Overlaps of units with convex zones without holes, by half-plane clipping.

Bounding-box candidates are tested against the zone's edge half-planes (box
inside all of them: whole; outside one: no pair) and the rest are clipped by
those half-planes in vectorised NumPy (:func:`_clip_convex`, exact areas),
except detailed units crossing several half-planes, which GEOS cuts faster.
Used by :func:`territobs.zoning._overlay.overlaps` (buffers of points, convex
hulls...).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely

from territobs.zoning._rings import AREA_NOISE as _AREA_NOISE
from territobs.zoning._rings import NUMPY_PARALLEL_MIN_WORK as _NUMPY_PARALLEL_MIN_WORK
from territobs.zoning._rings import PARALLEL_MIN_WORK as _PARALLEL_MIN_WORK
from territobs.zoning._rings import _ragged, _rings, run_chunks


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
    parallel = workers > 1 and n > 0 and int(cost[-1]) >= _NUMPY_PARALLEL_MIN_WORK
    if parallel:  # a multiple of the threads: equal shares of the work
        n_chunks = -(-max(n_chunks, 2 * workers) // workers) * workers
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
            # Cut by GEOS after the pool: prepared geometries are not
            # thread-safe (libgeos/geos#825; two threads testing the same
            # prepared zone crashed on densified communes).
            by_geos.append(lo + np.flatnonzero(geos))
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

    by_geos: list[np.ndarray] = []
    run_chunks(work, cuts, workers, parallel)
    g = np.sort(np.concatenate(by_geos)) if by_geos else np.empty(0, np.int64)
    if zones is not None and len(g):
        geos_zones: np.ndarray = zones
        zg = geos_zones[zone[g]]
        inside = shapely.contains(zg, units[unit[g]])  # prepared: one thread
        gc = g[~inside]
        whole[gc] = False
        # Not clip_by_rect first: its output can be invalid, and the overlay
        # of an invalid piece gave wrong areas on real IRIS. Unprepared
        # intersections are thread-safe: threads when the work pays.
        size = (
            int(vertices[gc].sum() + planes.count[zone[gc]].sum()) if workers > 1 else 0
        )
        chunks = np.array_split(gc, 4 * workers) if size >= _PARALLEL_MIN_WORK else [gc]

        def cut(idx: np.ndarray) -> None:
            area[idx] = shapely.area(
                shapely.intersection(units[unit[idx]], geos_zones[zone[idx]])
            )

        if len(chunks) > 1:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(cut, chunks))
        else:
            cut(gc)
    return keep, area, whole
