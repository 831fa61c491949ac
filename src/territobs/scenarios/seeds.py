"""Current sites as seeds of a proposed zoning.

A Département that redraws its circonscriptions keeps its Maisons des
solidarités: each site's unit seeds one zone. :func:`_grow` builds a
contiguous, balanced start from the seeds (the lightest zone takes its
nearest free neighbour in turn), which spopt's AZP then improves
(:func:`territobs.scenarios.propose.propose_zoning`, ``seeds=``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np

from territobs.errors import MethodError, ZoneError
from territobs.formatting import count_of

if TYPE_CHECKING:
    from libpysal.weights import W

__all__: list[str] = []


def _seed_units(
    units: gpd.GeoDataFrame, seeds: Sequence[str] | gpd.GeoDataFrame
) -> list[str]:
    """Return the unit codes of the seeds (sites: the unit holding them)."""
    codes = units["code"].astype(str)
    if isinstance(seeds, gpd.GeoDataFrame):
        if seeds.crs is not None and units.crs is not None:
            seeds = seeds.to_crs(units.crs)
        target = gpd.GeoDataFrame(
            {"code": codes.to_numpy()},
            geometry=units.geometry.to_numpy(),
            crs=units.crs,
        )
        joined = gpd.sjoin_nearest(seeds[["geometry"]], target, how="left")
        joined = joined[~joined.index.duplicated()]
        found = joined["code"].astype(str).tolist()
    else:
        found = [str(c) for c in seeds]
        unknown = sorted(set(found) - set(codes))
        if unknown:
            raise ZoneError(
                f"{count_of(len(unknown), 'germe inconnu')} parmi les unités "
                f"({', '.join(unknown[:10])}).",
                codes=unknown,
            )
    doubled = sorted({c for c in found if found.count(c) > 1})
    if doubled:
        raise MethodError(
            f"plusieurs sites dans la même unité ({', '.join(doubled[:10])}) : "
            "chaque germe doit faire sa propre zone.",
            codes=doubled,
        )
    if not found:
        raise MethodError("aucun germe donné.")
    return found


def _grow(frame: gpd.GeoDataFrame, w: W, seeds: np.ndarray) -> np.ndarray:
    """Contiguous zones grown from seeds, the lightest zone growing first.

    At each turn the zone with the smallest total takes, among the units next
    to it not yet taken, the one nearest its seed. Units no seed reaches over
    the graph (islands) go to the zone of the nearest seed.
    """
    import heapq

    n = len(frame)
    labels = np.full(n, -1)
    xy = np.column_stack(
        [frame.geometry.centroid.x.to_numpy(), frame.geometry.centroid.y.to_numpy()]
    )
    total = frame["_total"].to_numpy(float)
    sums = np.zeros(len(seeds))
    heaps: list[list[tuple[float, int]]] = [[] for _ in seeds]
    ids = list(w.id_order)
    place = {ident: i for i, ident in enumerate(ids)}

    def push(zone: int, unit: int) -> None:
        for other in w.neighbors[ids[unit]]:
            j = place[other]
            if labels[j] < 0:
                d = float(np.hypot(*(xy[j] - xy[seeds[zone]])))
                heapq.heappush(heaps[zone], (d, j))

    for zone, unit in enumerate(seeds):
        labels[unit] = zone
        sums[zone] += total[unit]
    for zone, unit in enumerate(seeds):
        push(zone, int(unit))
    while True:
        for heap in heaps:
            while heap and labels[heap[0][1]] >= 0:
                heapq.heappop(heap)
        open_zones = [z for z in range(len(seeds)) if heaps[z]]
        if not open_zones:
            break
        zone = min(open_zones, key=lambda z: (sums[z], z))
        _, unit = heapq.heappop(heaps[zone])
        labels[unit] = zone
        sums[zone] += total[unit]
        push(zone, unit)
    left = np.flatnonzero(labels < 0)
    if len(left):
        d = np.hypot(
            xy[left, None, 0] - xy[None, seeds, 0],
            xy[left, None, 1] - xy[None, seeds, 1],
        )
        labels[left] = d.argmin(axis=1)
    return labels


def _keep_seeds(
    labels: np.ndarray, start: np.ndarray, seeds: np.ndarray
) -> tuple[np.ndarray, str]:
    """AZP's zoning when every seed is in its own zone, else the grown start."""
    if len(set(labels[seeds].tolist())) == len(seeds):
        return labels, "spopt.region.AZP"
    return start, "croissance depuis les germes (AZP réunissait deux germes)"
