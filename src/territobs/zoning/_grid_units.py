"""Overlaps of any zones with units that are the cells of one grid.

``area(unit ∩ zone)`` is symmetric: when the *units* are the cells of one
rectilinear grid (INSEE's 200 m squares), the *zones'* rings are walked once
with the grid kernel of :mod:`territobs.zoning._grid_overlay` (Green's
theorem per cell, no clipping), in O(zone vertices + cells of the zones'
bounding boxes) instead of one GEOS intersection per pair. Candidate pairs
are the cells of each zone's block that are units (a dense cell → unit
lookup), no STRtree query.

Exactness of ``whole``: a cell that no piece of the zone's boundary reaches
lies wholly inside or wholly outside the zone, so its area is set to 0 or
to the cell's area exactly (the winding number of the zone around it,
rounded); a cell the boundary reaches keeps its computed area and is whole
only when the prepared zone ``contains`` it (a boundary lying on the cell's
edge from inside; checked only when the computed area is within rounding of
the cell's).
"""

from __future__ import annotations

import numpy as np
import shapely

from territobs.zoning._grid_overlay import _Axis, _axis, _block_sums
from territobs.zoning._rings import AREA_NOISE, GRID_PARALLEL_MIN_WORK, run_chunks

#: Zone vertices walked per chunk (bounds memory).
_CHUNK_VERTICES = 250_000
#: Most cells of the dense cell → unit lookup per unit (beyond: binary search).
_DENSE_LOOKUP_RATIO = 16
#: Relative closeness to the cell's area from which a touched cell is tested
#: with ``contains`` (rounding of the Green sums is far below it).
_WHOLE_CHECK = 1e-9


def _cell_lookup(
    ncol: int, nrow: int, col: np.ndarray, row: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Cell key → unit table: dense when small, else sorted keys; None on duplicates."""
    key = col * nrow + row
    if ncol * nrow <= _DENSE_LOOKUP_RATIO * len(col) + 1_000_000:
        table = np.full(ncol * nrow, -1, dtype=np.int64)
        table[key] = np.arange(len(col))
        return (
            (table, None) if np.array_equal(table[key], np.arange(len(col))) else None
        )
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    return None if (np.diff(sorted_key) == 0).any() else (order, sorted_key)


def _units_of(
    lookup: tuple[np.ndarray, np.ndarray | None], key: np.ndarray
) -> np.ndarray:
    table, sorted_key = lookup
    if sorted_key is None:
        return table[key]
    pos = np.minimum(np.searchsorted(sorted_key, key), len(sorted_key) - 1)
    return np.where(sorted_key[pos] == key, table[pos], -1)


def grid_unit_overlaps(
    units: np.ndarray,
    zones: np.ndarray,
    grid: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    unit_area: np.ndarray,
    workers: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Pairs (unit, zone, area, whole) of grid-cell units with any zones.

    Parameters
    ----------
    units : numpy.ndarray of shapely geometries
        Axis-aligned rectangles, the cells ``(col, row)`` of ``grid``.
    zones : numpy.ndarray of shapely geometries
        Polygons or multipolygons (holes allowed).
    grid : tuple
        ``(lx, ly, col, row)`` from :func:`_rect_grid` on the units' bounds.
    unit_area : numpy.ndarray
        Area of every unit.
    workers : int
        Threads, used from ``GRID_PARALLEL_MIN_WORK`` zone vertices.

    Returns
    -------
    unit, zone, area, whole : numpy.ndarray
        Every pair with a positive area above rounding noise; ``whole`` is
        exact (closed containment), and ``area`` is the unit's on whole pairs.
        None when two units are the same cell (the caller takes another path).
    """
    lx, ly, col, row = grid
    ax, ay = _axis(lx), _axis(ly)
    ncol, nrow = len(lx) - 1, len(ly) - 1
    lookup = _cell_lookup(ncol, nrow, col, row)
    if lookup is None:
        return None
    zone_ids = np.flatnonzero(~shapely.is_empty(zones))
    if not len(zone_ids):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0), np.empty(0, dtype=bool)
    vertices = shapely.get_num_coordinates(zones[zone_ids])
    cum = np.cumsum(vertices)
    n_chunks = int(cum[-1]) // _CHUNK_VERTICES + 1
    parallel = workers > 1 and cum[-1] >= GRID_PARALLEL_MIN_WORK
    if parallel:
        n_chunks = -(-max(n_chunks, workers) // workers) * workers
    chunk = (cum - 1) * n_chunks // int(cum[-1])
    cuts = np.r_[0, np.flatnonzero(np.diff(chunk)) + 1, len(zone_ids)]

    def work(bounds: tuple[int, int]) -> tuple[np.ndarray, ...]:
        ids = zone_ids[bounds[0] : bounds[1]]
        return _chunk(zones[ids], ids, ax, ay, lookup, unit_area)

    parts = run_chunks(work, cuts, workers, parallel)
    unit, zone, area, touched = (np.concatenate(p) for p in zip(*parts, strict=True))
    whole = ~touched & (area == unit_area[unit])
    check = np.flatnonzero(touched & (area >= (1.0 - _WHOLE_CHECK) * unit_area[unit]))
    if len(check):
        shapely.prepare(zones)
        inside = shapely.contains(zones[zone[check]], units[unit[check]])
        whole[check[inside]] = True
    area[whole] = unit_area[unit[whole]]
    return unit, zone, area, whole


def _chunk(
    zones: np.ndarray,
    ids: np.ndarray,
    ax: _Axis,
    ay: _Axis,
    lookup: tuple[np.ndarray, np.ndarray | None],
    unit_area: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of some zones: (unit, zone, area, touched by the boundary)."""
    blocks = _block_sums(zones, ax, ay, exact=True)
    ncol, nrow = len(ax.lines) - 1, len(ay.lines) - 1
    # Cells of each block that lie in the grid.
    cc0, cc1 = np.maximum(blocks.c0, 0), np.minimum(blocks.c1, ncol - 1)
    rr0, rr1 = np.maximum(blocks.r0, 0), np.minimum(blocks.r1, nrow - 1)
    ncols = np.maximum(cc1 - cc0 + 1, 0)
    nrows = np.maximum(rr1 - rr0 + 1, 0)
    size = ncols * nrows
    k = np.repeat(np.arange(len(zones)), size)
    local = np.arange(len(k)) - np.repeat(np.cumsum(size) - size, size)
    nrk = nrows[k]
    c = cc0[k] + local // nrk
    r = rr0[k] + local % nrk
    unit = _units_of(lookup, c * nrow + r)
    found = unit >= 0
    k, c, r, unit = k[found], c[found], r[found], unit[found]
    area, slot = blocks.area(k, c, r, ay.lines)
    touched = blocks.touched[slot]
    # Cells the boundary does not reach: wholly in or out, exactly.
    cell = unit_area[unit]
    untouched = ~touched
    winding = np.rint(area[untouched] / cell[untouched])
    area[untouched] = np.where(winding >= 1, cell[untouched], 0.0)
    keep = area > AREA_NOISE * cell
    return unit[keep], ids[k[keep]], area[keep], touched[keep]
