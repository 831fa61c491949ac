"""Flat layout of polygon rings for the crossings kernel.

One job: lay out the rings of some polygons (units or zones) as flat
coordinate arrays, with what :mod:`territobs.zoning._crossings` needs to
find their crossings and integrate along them: each ring's stored direction
against its interior (``sigma``), prefix sums of ``2 (x − x_ref) dy``
restarted at every ring, blocks of consecutive edges with their boxes, and
the boxes of a block's chunks, computed only for the blocks a zone's edge
meets (:func:`block_chunks`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from territobs.zoning._rings import _ragged

__all__ = ["RingLayout", "block_chunks", "layout_sizes", "ring_layout"]


@dataclass(frozen=True)
class RingLayout:
    """Rings of some polygons laid out flat, with prefix sums and block boxes.

    Vertices keep each ring's closing vertex, so edge ``k`` runs from vertex
    ``k`` to ``k + 1`` inside a ring; a polygon's rings are contiguous, as
    are its blocks (runs of edges in one ring; their chunks' boxes are
    computed only when a block is hit, :func:`block_chunks`). Rings keep
    their stored direction; ``sigma`` is +1 when the polygon's interior lies
    on the left of it (exterior counter-clockwise, holes clockwise), -1
    otherwise.
    """

    x: np.ndarray  # absolute coordinates (exact inputs: orientation tests)
    y: np.ndarray
    prefix: np.ndarray  # running sum of 2∫(x - ref) dy, restarted per ring
    ref: np.ndarray  # x reference of each polygon
    ring_start: np.ndarray  # first vertex (sorted)
    ring_last: np.ndarray  # closing vertex
    ring_poly: np.ndarray
    ring_sigma: np.ndarray
    ring_total: np.ndarray  # 2∫(x - ref) dy over the ring, stored direction
    ring_box: np.ndarray  # (n_rings, 4)
    poly_ring: np.ndarray  # first ring of each polygon
    poly_rings: np.ndarray  # number of rings of each polygon
    block_start: np.ndarray  # first edge of each block (run of edges)
    block_count: np.ndarray
    block_box: np.ndarray  # (n_blocks, 4), widened by the margin
    poly_block: np.ndarray  # first block of each polygon
    poly_blocks: np.ndarray
    block: int  # edges per block (a multiple of ``chunk``)
    chunk: int  # edges per chunk, when a block is looked into
    margin: float
    bad: np.ndarray  # polygons with a ring of zero area


def _ring_layout(
    geoms: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vertices (closing ones kept), ring sizes, ring polygons, exterior flags.

    A polygon's rings are contiguous. Parts without holes, the common case
    (including IGN's one-part multipolygons), are read by one
    ``get_coordinates`` call, with no ring geometries built; polygons with
    a holed part through their rings.
    """
    single = shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON
    single_pos = np.flatnonzero(single)
    multi_pos = np.flatnonzero(~single)
    parts, part_of = shapely.get_parts(geoms[multi_pos], return_index=True)
    parts = np.concatenate([geoms[single_pos], parts])
    part_poly = np.concatenate([single_pos, multi_pos[part_of]]).astype(np.int64)
    holed = np.zeros(len(geoms), dtype=bool)
    holed[part_poly[shapely.get_num_interior_rings(parts) > 0]] = True
    simple = ~holed[part_poly]
    blocks_xy = [shapely.get_coordinates(parts[simple])]
    blocks_size = [shapely.get_num_coordinates(parts[simple])]
    blocks_poly = [part_poly[simple]]
    blocks_exterior = [np.ones(int(simple.sum()), dtype=bool)]
    if not simple.all():
        rest = np.flatnonzero(~simple)
        rings, ring_part = shapely.get_rings(parts[rest], return_index=True)
        blocks_xy.append(shapely.get_coordinates(rings))
        blocks_size.append(shapely.get_num_coordinates(rings))
        blocks_poly.append(part_poly[rest[ring_part]])
        blocks_exterior.append(np.r_[True, ring_part[1:] != ring_part[:-1]])
    return (
        np.concatenate(blocks_xy) if len(blocks_xy) > 1 else blocks_xy[0],
        np.concatenate(blocks_size).astype(np.int64),
        np.concatenate(blocks_poly),
        np.concatenate(blocks_exterior),
    )


def _first_of_runs(owner: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """First index and length of each owner's contiguous run in ``owner``."""
    count = np.bincount(owner, minlength=n)
    first = np.zeros(n, dtype=np.int64)
    if len(owner):
        new = np.r_[True, owner[1:] != owner[:-1]]
        first[owner[new]] = np.flatnonzero(new)
    return first, count


def ring_layout(
    geoms: np.ndarray, chunk: int, block: int, margin: float, ring_box: bool = True
) -> RingLayout:
    """Lay out the rings of ``geoms`` (see :class:`RingLayout`).

    ``ring_box``: compute the rings' bounds (else an empty array).
    """
    n_polys = len(geoms)
    xy, size, ring_poly, exterior = _ring_layout(geoms)
    x = np.ascontiguousarray(xy[:, 0])
    y = np.ascontiguousarray(xy[:, 1])
    del xy
    n_rings = len(size)
    start = np.cumsum(size) - size
    last = start + size - 1
    poly_ring, poly_rings = _first_of_runs(ring_poly, n_polys)
    ref = np.zeros(n_polys)
    has = poly_rings > 0
    ref[has] = x[start[poly_ring[has]]]
    # 2∫(x - ref) dy per edge, trapezoids; the step from a ring's closing
    # vertex to the next ring's first one cancels the ring's total, so the
    # running sum restarts at every ring and stays at the polygon's scale.
    poly_verts = np.bincount(ring_poly, weights=size, minlength=n_polys)
    run_poly = (
        ring_poly[np.r_[True, ring_poly[1:] != ring_poly[:-1]]]
        if n_rings
        else ring_poly
    )
    # (Two buffers of the vertices' size, reused: these are the big arrays.)
    buf = np.repeat(ref[run_poly], poly_verts[run_poly].astype(np.int64))
    np.subtract(x, buf, out=buf)  # x - ref
    term = np.zeros(len(x))
    np.add(buf[:-1], buf[1:], out=term[:-1])
    np.subtract(y[1:], y[:-1], out=buf[:-1])
    np.multiply(term[:-1], buf[:-1], out=term[:-1])
    term[last] = 0.0
    total = np.add.reduceat(term, start) if n_rings else np.zeros(0)
    term[last] = -total
    prefix = buf
    prefix[0] = 0.0
    np.cumsum(term[:-1], out=prefix[1:])
    del term
    sigma = np.where(exterior == (total > 0), 1, -1).astype(np.int8)
    bad = np.zeros(n_polys, dtype=bool)
    bad[ring_poly[(total == 0) | (size < 4)]] = True
    # Blocks of ``block`` edges (a ring of n vertices has n - 1 edges).
    per_ring = -(-(size - 1) // block)
    b_index, b_ring = _ragged(np.zeros(n_rings, dtype=np.int64), per_ring)
    block_start = start[b_ring] + b_index * block
    block_count = np.minimum(block, last[b_ring] - block_start)
    poly_block, poly_blocks = _first_of_runs(ring_poly[b_ring], n_polys)
    return RingLayout(
        x=x,
        y=y,
        prefix=prefix,
        ref=ref,
        ring_start=start,
        ring_last=last,
        ring_poly=ring_poly,
        ring_sigma=sigma,
        ring_total=total,
        ring_box=_run_boxes(x, y, start, last, 0.0) if ring_box else np.empty((0, 4)),
        poly_ring=poly_ring,
        poly_rings=poly_rings,
        block_start=block_start,
        block_count=block_count,
        block_box=_run_boxes(x, y, block_start, block_start + block_count, margin),
        poly_block=poly_block,
        poly_blocks=poly_blocks,
        block=block,
        chunk=chunk,
        margin=margin,
        bad=bad,
    )


def _run_boxes(
    x: np.ndarray, y: np.ndarray, first: np.ndarray, last: np.ndarray, margin: float
) -> np.ndarray:
    """Bounds of vertices ``first[i]..last[i]`` (inclusive), widened.

    Runs are sorted and do not overlap but may leave gaps; ``reduceat``
    covers ``first[i]`` up to the next run's start, which may include more
    vertices than asked (a wider box: never wrong for pruning), and the
    vertex ``last[i]`` is added explicitly.
    """
    if not len(first):
        return np.empty((0, 4))
    return np.column_stack(
        [
            np.minimum(np.minimum.reduceat(x, first), x[last]) - margin,
            np.minimum(np.minimum.reduceat(y, first), y[last]) - margin,
            np.maximum(np.maximum.reduceat(x, first), x[last]) + margin,
            np.maximum(np.maximum.reduceat(y, first), y[last]) + margin,
        ]
    )


def layout_sizes(geoms: np.ndarray) -> tuple[int, int]:
    """Edges per chunk and per block for these polygons.

    A chunk has about the cube root of a ring's size, a block its square:
    balances the three pruning steps (blocks of a polygon, chunks of a
    block, edges of a chunk) for rings crossed a few times.
    """
    if not len(geoms):
        return 1, 1
    mean = float(shapely.get_num_coordinates(geoms).mean())
    k = max(1, round(mean ** (1 / 3)))
    return k, k * k


def block_chunks(
    side: RingLayout, blocks: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut some blocks into chunks of ``side.chunk`` edges.

    Returns the first chunk and the chunk count of each block, then each
    chunk's first edge, edge count (0 past the block's end) and widened
    box. Every block is read as a fixed-width row of ``block + 1`` vertices
    (the last one repeated past a short block's end), so the boxes are
    reductions over contiguous rows, not per-chunk ``reduceat`` calls.
    """
    k = side.chunk
    per_block = side.block // k
    start = side.block_start[blocks]
    count = side.block_count[blocks]
    width = np.arange(side.block + 1)
    verts = np.minimum(start[:, None] + width, (start + count)[:, None])
    chunk_start = (start[:, None] + width[:-1:k]).ravel()
    chunk_count = np.clip(count[:, None] - width[:-1:k], 0, k).ravel()
    # Gathered block by block (sequential reads), then one row per vertex
    # position: each chunk reduces contiguous rows.
    vx = np.ascontiguousarray(side.x[verts].T)
    vy = np.ascontiguousarray(side.y[verts].T)
    box = np.empty((4, per_block, len(blocks)))
    for c in range(per_block):
        rows = slice(c * k, c * k + k + 1)
        vx[rows].min(axis=0, out=box[0, c])
        vy[rows].min(axis=0, out=box[1, c])
        vx[rows].max(axis=0, out=box[2, c])
        vy[rows].max(axis=0, out=box[3, c])
    box[:2] -= side.margin
    box[2:] += side.margin
    boxes = box.transpose(0, 2, 1).reshape(4, -1)
    first = np.arange(len(blocks)) * per_block
    return (
        first,
        np.full(len(blocks), per_block),
        chunk_start,
        chunk_count,
        np.ascontiguousarray(boxes.T),
    )
