"""Flat ring arrays of polygons, shared by the overlap kernels.

:func:`rings` lays out the rings of some units as flat coordinate arrays
(one bounding box per ring, exterior or hole) for the vectorised grid
kernels (:mod:`territobs.zoning._grid_overlay`,
:mod:`territobs.zoning._grid_units`) of :mod:`territobs.zoning._overlay`,
with the thresholds the kernels share and :func:`_ragged`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import shapely

#: Size of a GEOS job (intersections, clips), in vertices summed over its
#: pairs (unit's plus zone's), from which it is split over threads. Decided by
#: the work's measured size only, never by the machine's load, so an input
#: always runs the same way. Measured on the 2-core benchmark machine
#: (2026-12-07, load 2.2-2.6, 1,000 stars over the communes of
#: ``benchmarks/bench_weights.py``, subsets of 30 to 1,000 zones): 2 threads
#: took 0.88-0.94 of one thread's time from 65,000 pair vertices (0.05 s) up;
#: the threshold keeps jobs under about 0.1 s on one thread.
PARALLEL_MIN_WORK = 200_000
#: The same for the vectorised NumPy kernels (then convex clipping; grid below):
#: on the same machine and day 2 threads did not pay at load 2.2 (1t/2t 0.73-1.01
#: on the 5 km grid from 60,000 to 90 million pair vertices, 0.85-1.01 on
#: 1,000 buffers): NumPy holds the GIL between its many small operations. So
#: they run on one thread; the code path stays for machines where it pays.
NUMPY_PARALLEL_MIN_WORK = 1 << 62
#: The grid kernel too, since 2026-12-07 02:40 UTC: on the same machine
#: under the load of three engineers' jobs (load 4.2-5.3), 2 threads took
#: 1.5-3.6 times one thread's time on the 5 km grid (x4, x16: 4.7 and 17
#: million vertices) and 1.1-1.5 on the 2 km grid x16; near idle (load 0.8,
#: 01:40 UTC) they had taken 0.73-0.95 of it from 1.1 million vertices. A
#: thread holding the GIL between NumPy calls while descheduled stalls the
#: other one, so the gain near idle does not pay for the loss under load.
GRID_PARALLEL_MIN_WORK = NUMPY_PARALLEL_MIN_WORK
#: Relative area below which a computed overlap is rounding noise (no pair).
AREA_NOISE = 1e-12

_T = TypeVar("_T")


def run_chunks(
    work: Callable[[tuple[int, int]], _T],
    cuts: np.ndarray,
    workers: int,
    parallel: bool,
) -> list[_T]:
    """Run ``work`` on each ``(cuts[i], cuts[i + 1])`` range, in order.

    On ``workers`` threads when ``parallel`` (the kernel's measured size
    paid for them) and there is more than one range; otherwise one by one.
    """
    ranges = list(itertools.pairwise(cuts.tolist()))
    if parallel and len(ranges) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(work, ranges))
    return [work(r) for r in ranges]


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
    offsets = np.cumsum(count) - count
    # One repeat of the shifted starts instead of two gathers by owner.
    return np.repeat(start - offsets, count) + np.arange(len(owner)), owner
