"""Simplify a polygon coverage one shared arc at a time, in linear time.

``shapely.coverage_simplify`` keeps a coverage's topology but its cost grows
faster than the number of vertices (on France's communes densified to a
full-resolution-like 17 million vertices: two minutes and 3.7 GB). A map only
needs what a TopoJSON encoder does:

1. **Snap** every vertex to a fine grid (``snap``, CRS units), so that the two
   sides of a shared border hold the very same points even where the
   producer's layer is off by rounding; consecutive duplicates go. Each
   vertex becomes one int64 grid key, a chunk of features at a time (only
   one chunk's float coordinates are ever held).
2. **Points**: one in-place sort of the keys (the vertex index riding in
   their low bits) numbers the distinct grid points; nothing else is sorted
   over all vertices.
3. **Junctions**: a point is a junction when its rings do not all pass
   through it between the same two neighbours (three or more communes meet
   there, or a border reaches the coast), found by writing one occurrence's
   neighbour pair per point and comparing every occurrence with it. Rings
   are cut at junctions into *arcs* (positions taken modulo the ring, no
   ring rotated); a ring with no junction (an island, an enclave) is one
   closed arc starting at its smallest point.
4. **One simplification per arc**: an arc and its reverse are the same arc
   (named by its first two points in the direction whose first two points
   sort lower), so each border is simplified once, by Douglas-Peucker with
   its end points fixed (``shapely.simplify``), and both neighbours get the
   same vertices: no gap, no overlap. An arc keeps at least its farthest
   vertex from its chord, and a closed arc is simplified as two halves, so
   no ring collapses. Arcs are gathered and simplified about a million
   vertices at a time.
5. **Rebuild** every ring from its arcs (reversed where it runs the other
   way), in one vectorised pass, as coordinates and offsets
   (:func:`simplify_arcs_ragged`, what the map packer reprojects and
   quantises) or as geometries (:func:`simplify_arcs`).

Every step but the one sort is a scatter, a cumulative sum or a gather, the
layer-wide ones done a slice of vertices at a time, so the cost is linear in
vertices up to the ``log`` of that sort, and the memory beyond the input is
about 16 bytes a vertex (national communes densified to 17 million
vertices: +267 MB for the whole map geometry step, measured by
``benchmarks/bench_maps_fullres.py``). Douglas-Peucker moves no kept vertex and
leaves every dropped vertex within ``tolerance`` of the simplified border;
arcs simplified apart may cross where two borders run closer than
``tolerance`` (a tenth of a pixel at the map's scale).
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely import GeometryType

__all__ = ["simplify_arcs", "simplify_arcs_ragged"]


def _starts(counts: np.ndarray) -> np.ndarray:
    """First position of each group of ``counts`` consecutive items."""
    out = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=out[1:])
    return out


def _ragged_index(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, rank within owner) of ``counts[i]`` consecutive slots per i."""
    owner = np.repeat(np.arange(len(counts)), counts)
    return owner, np.arange(owner.size) - _starts(counts)[owner]


def _flags_start(values: np.ndarray) -> np.ndarray:
    """Flag where each run of equal values starts."""
    out = np.ones(len(values), dtype=bool)
    np.not_equal(values[1:], values[:-1], out=out[1:])
    return out


def _snap(
    xy: np.ndarray,
    ring_off: np.ndarray,
    poly_off: np.ndarray,
    origin: np.ndarray,
    snap: float,
    span: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Grid points of every ring without closing vertex nor repeats.

    Returns each vertex's grid point as one int64 key ``qx * span + qy``
    (grid indices from ``origin``) and the vertex count of each ring; a degenerate ring (fewer than 3 points), and
    every ring of a polygon whose exterior is degenerate, are dropped
    (count 0).
    """
    n_rings = len(ring_off) - 1
    ring = np.repeat(np.arange(n_rings, dtype=np.int32), np.diff(ring_off))
    key = np.rint((xy[:, 0] - origin[0]) / snap).astype(np.int64)
    key *= span
    key += np.rint((xy[:, 1] - origin[1]) / snap).astype(np.int64)
    first = _flags_start(ring)
    keep = ~np.roll(first, -1)
    keep[1:] &= first[1:] | (key[1:] != key[:-1])
    key, ring = key[keep], ring[keep]
    # a last vertex snapped onto its ring's first one
    length = np.bincount(ring, minlength=n_rings)
    start = _starts(length)
    tail, head = (start + length - 1)[length > 1], start[length > 1]
    drop = np.zeros(len(ring), dtype=bool)
    drop[tail[key[tail] == key[head]]] = True
    length -= np.bincount(ring[drop], minlength=n_rings)
    # degenerate rings; a polygon whose exterior is degenerate goes whole
    n_polys = len(poly_off) - 1
    poly_of_ring = np.repeat(np.arange(n_polys), np.diff(poly_off))
    ring_ok = length >= 3
    exterior = poly_off[:-1][np.diff(poly_off) > 0]
    poly_ok = np.zeros(n_polys, dtype=bool)
    poly_ok[poly_of_ring[exterior]] = ring_ok[exterior]
    ring_ok &= poly_ok[poly_of_ring]
    drop |= ~ring_ok[ring]
    length[~ring_ok] = 0
    return key[~drop], length


def _snap_layer(
    geoms: np.ndarray, snap: float, chunk: int = 512
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, int]:
    """Snap a layer's vertices, one chunk of features at a time.

    Only one chunk's float coordinates are ever held.
    Returns ``key, ring_len, poly_off, geom_off, origin, snap, span``
    where ``key`` is each vertex's grid point (``qx * span + qy``), the
    offsets are those of ``shapely.to_ragged_array`` (as multipolygons) and
    ``ring_len`` counts each ring's snapped vertices (0 for a dropped ring).
    """
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    origin = np.array([x0, y0])
    snap = max(snap, max(x1 - x0, y1 - y0) / 2e9)  # grid indices fit in int32
    span = int(np.rint((y1 - y0) / snap)) + 2
    key = np.empty(int(shapely.get_num_coordinates(geoms).sum()), dtype=np.int64)
    n = 0
    lengths, polys_per_geom, rings_per_poly = [], [], []
    for lo in range(0, len(geoms), chunk):
        typ, xy, offsets = shapely.to_ragged_array(geoms[lo : lo + chunk])
        if typ == GeometryType.POLYGON:
            ring_off, poly_off = offsets
            geom_off: np.ndarray = np.arange(len(poly_off), dtype=np.int64)
        else:
            ring_off, poly_off, geom_off = offsets
        part, length = _snap(xy, ring_off, poly_off, origin, snap, span)
        del xy
        key[n : n + len(part)] = part
        n += len(part)
        lengths.append(length)
        rings_per_poly.append(np.diff(poly_off))
        polys_per_geom.append(np.diff(geom_off))
    key.resize(n, refcheck=False)  # shrinks in place
    ring_len = np.concatenate(lengths)
    poly_off = np.concatenate([[0], np.cumsum(np.concatenate(rings_per_poly))])
    geom_off = np.concatenate([[0], np.cumsum(np.concatenate(polys_per_geom))])
    return key, ring_len, poly_off, geom_off, origin, snap, span


#: Vertices per slice where a layer-wide temporary is avoided.
_SLICE = 1 << 20


def _points(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Point id of each vertex, and the key of each point.

    Point ids number the distinct keys in increasing order. ``key`` is
    consumed (sorted in place). The vertex index rides in the low bits of the
    sorted key where it fits, so one sort of int64 keys replaces an argsort
    (half the time).
    """
    n = len(key)
    if n == 0:
        return np.empty(0, dtype=np.int32), key
    ibits = max(n - 1, 1).bit_length()
    if n >= 2**31 or int(key.max()).bit_length() + ibits > 63:  # pragma: no cover
        # grids beyond 2**30 points a side
        by_key = np.argsort(key)
        starts = _flags_start(key[by_key])
        ids = np.empty(n, dtype=np.int64)
        ids[by_key] = np.cumsum(starts) - 1
        return ids, key[by_key][starts]
    key <<= ibits
    for lo in range(0, n, _SLICE):
        key[lo : lo + _SLICE] |= np.arange(lo, min(lo + _SLICE, n))
    key.sort()
    # where a new point starts, read in slices (no second layer-wide
    # int64 array)
    new = np.empty(n, dtype=bool)
    new[0] = True
    for lo in range(0, n, _SLICE):
        top = key[max(lo - 1, 0) : lo + _SLICE] >> ibits
        new[max(lo, 1) : lo + _SLICE] = top[1:] != top[:-1]
    del top  # a view that would keep ``key`` alive
    point_key = key[new]
    point_key >>= ibits
    # the sorted keys' buffer, as 2n int32, then holds the vertex of each
    # sorted slot (its first half, written over keys already read) and
    # the point ids (its second half): no other layer-wide array
    halves = key.view(np.int32)
    order, pid = halves[:n], halves[n:]
    for lo in range(0, n, _SLICE):
        order[lo : lo + _SLICE] = key[lo : lo + _SLICE] & ((1 << ibits) - 1)
    rank = 0
    for lo in range(0, n, _SLICE):  # int32 indices become intp a slice at a time
        ranks = np.cumsum(new[lo : lo + _SLICE], dtype=np.int32)
        ranks += rank - 1
        pid[order[lo : lo + _SLICE]] = ranks
        rank = int(ranks[-1]) + 1
    del new, ranks
    order[:] = pid  # the ids into the first half; the second half goes
    del order, pid, halves
    key.resize((n + 1) // 2, refcheck=False)  # shrinks in place
    return key.view(np.int32)[:n], point_key


def _neighbours(
    pid: np.ndarray, start: np.ndarray, last: np.ndarray, a: int, b: int
) -> np.ndarray:
    """Unordered pair of the previous and next points of vertices a..b-1.

    One int64 per vertex: the lower point id in the high 32 bits.
    """
    prev = np.empty(b - a, dtype=np.int64)
    prev[1:] = pid[a : b - 1]
    prev[0] = pid[a - 1] if a else 0
    nxt = np.empty(b - a, dtype=np.int64)
    nxt[:-1] = pid[a + 1 : b]
    nxt[-1] = pid[b] if b < len(pid) else 0
    r0, r1 = np.searchsorted(start, [a, b])
    prev[start[r0:r1] - a] = pid[last[r0:r1]]
    r0, r1 = np.searchsorted(last, [a, b])
    nxt[last[r0:r1] - a] = pid[start[r0:r1]]
    pair = np.minimum(prev, nxt)
    pair <<= 32
    np.maximum(prev, nxt, out=prev)
    pair |= prev
    return pair


def _junctions(pid: np.ndarray, start: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Whether each vertex's point is passed between different neighbours.

    ``start`` and ``last`` are each ring's first and last vertex (rings are
    stored one after the other, without closing vertex). Every occurrence of
    a point is compared with one occurrence written for it (a scatter then a
    gather: no sort), a slice of vertices at a time.
    """
    n = len(pid)
    if n == 0:
        return np.zeros(0, dtype=bool)
    n_points = int(pid.max()) + 1
    slices = [(at, min(at + _SLICE, n)) for at in range(0, n, _SLICE)]
    seen = np.empty(n_points, dtype=np.int64)
    for a, b in slices:
        seen[pid[a:b]] = _neighbours(pid, start, last, a, b)
    junction = np.zeros(n_points, dtype=bool)
    for a, b in slices:
        here = pid[a:b]
        junction[here[seen[here] != _neighbours(pid, start, last, a, b)]] = True
    del seen
    out = np.empty(n, dtype=bool)
    for at in range(0, n, _SLICE):
        out[at : at + _SLICE] = junction[pid[at : at + _SLICE]]
    return out


def _keep_farthest(
    coords: np.ndarray,
    piece: np.ndarray,
    simple: np.ndarray,
    n_pieces: int,
    tolerance: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the simplified pieces' coordinates and piece ids.

    A piece that had interior vertices and that Douglas-Peucker reduced to
    its chord is cut at its vertex farthest from that chord and each side
    is simplified again: the piece keeps that vertex, and every dropped
    vertex stays within ``tolerance`` of the result.
    """
    out_xy, out_piece = shapely.get_coordinates(simple, return_index=True)
    n_out = np.bincount(out_piece, minlength=n_pieces)
    n_in = np.bincount(piece, minlength=n_pieces)
    bare = (n_out == 2) & (n_in > 2)
    if not bare.any():
        return out_xy, out_piece
    in_start = _starts(n_in)
    sel = np.flatnonzero(bare[piece])
    p = piece[sel]
    a = coords[in_start[p]]
    d = coords[in_start[p] + n_in[p] - 1] - a
    v = coords[sel] - a
    chord = np.hypot(d[:, 0], d[:, 1])
    dist = np.where(
        chord > 0,
        np.abs(d[:, 0] * v[:, 1] - d[:, 1] * v[:, 0]) / np.maximum(chord, 1e-300),
        np.hypot(v[:, 0], v[:, 1]),
    )
    # pieces are contiguous in ``sel``: the first interior vertex at each
    # one's maximum
    starts = _flags_start(p)
    dist[starts | np.roll(starts, -1)] = -1.0
    group = np.cumsum(starts) - 1
    top = np.maximum.reduceat(dist, np.flatnonzero(starts))
    hits = np.flatnonzero(dist == top[group])
    at = hits[_flags_start(group[hits])]  # position of each far vertex in sel
    # the two sides of each bare piece, the far vertex ending the first too
    sub = group * 2 + (np.arange(len(sel)) > at[group])
    sub_xy = np.insert(coords[sel], at + 1, coords[sel[at]], axis=0)
    sub_id = np.insert(sub, at + 1, group[at] * 2 + 1)
    sub_simple = shapely.simplify(
        shapely.linestrings(sub_xy, indices=sub_id), tolerance, preserve_topology=False
    )
    new_xy, new_sub = shapely.get_coordinates(sub_simple, return_index=True)
    drop = np.zeros(len(new_sub), dtype=bool)  # the far vertex, twice
    drop[1:] = (new_sub[1:] != new_sub[:-1]) & (new_sub[1:] % 2 == 1)
    new_xy, new_piece = new_xy[~drop], p[starts][new_sub[~drop] // 2]
    keep = ~bare[out_piece]
    xy = np.concatenate([out_xy[keep], new_xy])
    ids = np.concatenate([out_piece[keep], new_piece])
    order = np.argsort(ids, kind="stable")
    return xy[order], ids[order]


#: Arc vertices simplified together (bounds the memory of the step).
_CHUNK = 1 << 20


def _chunks(sizes: np.ndarray, target: int) -> list[tuple[int, int]]:
    """Consecutive ranges of items whose ``sizes`` sum to about ``target``."""
    if len(sizes) == 0:
        return []
    cum = np.cumsum(sizes)
    cuts = np.searchsorted(cum, np.arange(target, int(cum[-1]), target))
    bounds = np.unique(np.concatenate([[0], cuts + 1, [len(sizes)]]))
    bounds = bounds[bounds <= len(sizes)]
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


def _simplify_chunk(
    pid: np.ndarray,
    point_key: np.ndarray,
    span: int,
    origin: np.ndarray,
    grid_step: float,
    tolerance: float,
    arcs: tuple[int, int],
    a_len: np.ndarray,
    closed: np.ndarray,
    head: np.ndarray,
    rev: np.ndarray,
    ring_end: np.ndarray,
    ring_len: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Simplify arcs ``arcs[0]`` to ``arcs[1] - 1`` (end points included).

    Arc ``k`` runs ``a_len[k]`` vertices from position ``head[k]`` (backwards
    where ``rev[k]``), positions wrapping at ``ring_end[k]`` by
    ``ring_len[k]``. A closed arc is simplified as two halves sharing their
    middle vertex. Vertex ``v`` lies on grid point ``point_key[pid[v]]``
    (``qx * span + qy``). Returns the kept coordinates and their arc
    (numbered from ``arcs[0]``), arc after arc.
    """
    half = (a_len - 1) // 2
    split = closed & (half > 0)
    # one more slot for a split arc: its middle vertex ends the first half
    owner, slot = _ragged_index(a_len + split)
    second = split[owner] & (slot > half[owner])
    j = slot - second
    v = np.where(rev[owner], a_len[owner] - 1 - j, j)
    v += head[owner]
    over = v >= ring_end[owner]
    v[over] -= ring_len[owner][over]
    del slot, j, over
    coords = np.empty((len(v), 2))
    k = point_key[pid[v]]
    coords[:, 0] = k // span
    coords[:, 1] = k % span
    del k
    coords *= grid_step
    coords += origin
    del v
    piece_of = owner * 2 + second
    new_piece = _flags_start(piece_of)
    piece = np.cumsum(new_piece) - 1
    piece_arc = piece_of[new_piece] // 2
    del piece_of, new_piece, owner, second
    lines = shapely.linestrings(coords, indices=piece)
    simple = np.asarray(shapely.simplify(lines, tolerance, preserve_topology=False))
    del lines
    s_xy, s_piece = _keep_farthest(coords, piece, simple, len(piece_arc), tolerance)
    del coords, piece, simple
    # join the halves of closed arcs (drop the repeated middle vertex)
    s_arc = piece_arc[s_piece]
    dup = np.zeros(len(s_arc), dtype=bool)
    dup[1:] = (s_piece[1:] != s_piece[:-1]) & (s_arc[1:] == s_arc[:-1])
    return s_xy[~dup], s_arc[~dup] + arcs[0]


def simplify_arcs(
    geoms: np.ndarray, tolerance: float, *, snap: float | None = None
) -> np.ndarray:
    """Simplify a polygon coverage per shared arc (see the module's notes).

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
        Polygons and multipolygons (a coverage), metric CRS.
    tolerance : float
        Douglas-Peucker distance tolerance, CRS units.
    snap : float, optional
        Grid step the vertices are snapped to before arcs are matched;
        default ``tolerance / 16`` (a vertex moves by at most 4.5 % of the
        tolerance).

    Returns
    -------
    numpy.ndarray of shapely geometries
        MultiPolygons in the same order; a feature whose every ring was
        degenerate once snapped is an empty MultiPolygon.
    """
    if len(geoms) == 0:
        return np.empty(0, dtype=object)
    xy, offsets = simplify_arcs_ragged(geoms, tolerance, snap=snap)
    return shapely.from_ragged_array(GeometryType.MULTIPOLYGON, xy, offsets)


def simplify_arcs_ragged(
    geoms: np.ndarray, tolerance: float, *, snap: float | None = None
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """:func:`simplify_arcs` as coordinates and offsets, no geometry built.

    Returns
    -------
    xy : numpy.ndarray
        ``(n, 2)`` coordinates, every ring closed.
    offsets : tuple of numpy.ndarray
        Ring, polygon and feature offsets, as
        ``shapely.to_ragged_array`` gives them for multipolygons (one
        feature per input geometry, in order).
    """
    if len(geoms) == 0:
        zero = np.zeros(1, dtype=np.int64)
        return np.empty((0, 2)), (zero, zero, zero)
    key, ring_len, poly_off, geom_off, origin, grid_step, span = _snap_layer(
        np.asarray(geoms), snap or tolerance / 16.0
    )
    n_polys = len(poly_off) - 1
    poly_of_ring = np.repeat(np.arange(n_polys), np.diff(poly_off))
    ring_ok = ring_len > 0
    length = ring_len[ring_ok]
    n_r = len(length)
    start = _starts(length)

    pid, point_key = _points(key)
    del key
    cuts = np.flatnonzero(_junctions(pid, start, start + length - 1))
    # a ring with no junction (island, enclave) is cut at its smallest point
    has_cut = np.zeros(n_r, dtype=bool)
    has_cut[np.searchsorted(start, cuts, side="right") - 1] = True
    bare = np.flatnonzero(~has_cut)
    if bare.size:
        b_owner, b_j = _ragged_index(length[bare])
        at = start[bare][b_owner] + b_j
        b_pid = pid[at]
        smallest = np.minimum.reduceat(b_pid, _starts(length[bare]))
        hit = b_owner[b_pid == smallest[b_owner]]
        at = at[b_pid == smallest[b_owner]][_flags_start(hit)]
        cuts = np.sort(np.concatenate([cuts, at]))
        del b_owner, b_j, b_pid, at, hit

    # arc occurrences: from each cut to the next one of its ring (the last
    # cut of a ring to its first), positions taken modulo the ring
    occ_start = cuts
    occ_ring = np.searchsorted(start, cuts, side="right") - 1
    r_len, r_end = length[occ_ring], (start + length)[occ_ring]
    first_of_ring = _flags_start(occ_ring)
    nxt = np.empty_like(cuts)
    nxt[:-1] = cuts[1:]
    nxt[np.roll(first_of_ring, -1)] = cuts[first_of_ring]
    occ_count = nxt - cuts
    occ_count[occ_count <= 0] += r_len[occ_count <= 0]

    def wrap(i: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Positions ``i`` of occurrences ``at`` brought back into their ring."""
        over = i >= r_end[at]
        i[over] -= r_len[at][over]
        return i

    every = np.arange(len(cuts))
    s_pid, e_pid = pid[occ_start], pid[nxt]
    inner = occ_count > 1
    second = np.where(inner, pid[wrap(occ_start + 1, every)], e_pid)
    penult = np.where(inner, pid[wrap(occ_start + occ_count - 1, every)], s_pid)
    # an arc and its reverse are one arc: name it by its lower-sorting end
    rev = (e_pid < s_pid) | ((e_pid == s_pid) & (penult < second))
    m = int(pid.max()) + 1 if len(pid) else 1
    s_pid, e_pid = s_pid.astype(np.int64), e_pid.astype(np.int64)
    arc_key = np.where(rev, e_pid * m + penult, s_pid * m + second)
    _, rep, arc = np.unique(arc_key, return_index=True, return_inverse=True)
    arc = arc.ravel()
    closed = s_pid[rep] == e_pid[rep]
    del s_pid, e_pid, second, penult, nxt

    # vertices of each distinct arc, canonical direction, end point included;
    # simplified a chunk of arcs at a time (memory bounded by the chunk)
    a_len = occ_count[rep] + 1
    head = occ_start[rep]
    a_rev, a_end, a_ring_len = rev[rep], r_end[rep], r_len[rep]
    out = [
        _simplify_chunk(
            pid,
            point_key,
            span,
            origin,
            grid_step,
            tolerance,
            (lo, hi),
            a_len[lo:hi],
            closed[lo:hi],
            head[lo:hi],
            a_rev[lo:hi],
            a_end[lo:hi],
            a_ring_len[lo:hi],
        )
        for lo, hi in _chunks(a_len, _CHUNK)
    ]
    del pid, point_key
    s_xy = np.concatenate([o[0] for o in out]) if out else np.empty((0, 2))
    s_arc = np.concatenate([o[1] for o in out]) if out else np.empty(0, np.int64)
    del out
    s_len = np.bincount(s_arc, minlength=len(rep))
    s_start = _starts(s_len)

    # rebuild rings: each occurrence gives its arc but the last vertex
    o_owner, o_j = _ragged_index(s_len[arc] - 1)
    k = arc[o_owner]
    src = np.where(rev[o_owner], s_start[k] + s_len[k] - 1 - o_j, s_start[k] + o_j)
    r_len = np.bincount(occ_ring[o_owner], minlength=n_r)
    r_start = _starts(r_len)
    # close every ring: its first vertex again after its last
    src = np.insert(src, np.append(r_start[1:], len(src)), src[r_start])
    ring_off_out = np.zeros(n_r + 1, dtype=np.int64)
    np.cumsum(r_len + 1, out=ring_off_out[1:])

    kept_rings = np.flatnonzero(ring_ok)
    rings_per_poly = np.bincount(poly_of_ring[kept_rings], minlength=n_polys)
    kept_polys = np.flatnonzero(rings_per_poly > 0)
    poly_off_out = np.concatenate([[0], np.cumsum(rings_per_poly[kept_polys])])
    geom_of_poly = np.repeat(np.arange(len(geom_off) - 1), np.diff(geom_off))
    per_geom = np.bincount(geom_of_poly[kept_polys], minlength=len(geom_off) - 1)
    geom_off_out = np.concatenate([[0], np.cumsum(per_geom)])
    return s_xy[src], (ring_off_out, poly_off_out, geom_off_out)
