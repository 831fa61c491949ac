"""Geometry engine behind the weights: which unit overlaps which zone, by how much.

One job: given unit and zone geometries (same projected CRS), return every
pair with a positive overlap, its intersection area, and whether the unit lies
wholly in the zone. Speed comes from doing as little geometry as possible:

* when the *units* are the cells of one grid (INSEE's 200 m squares) and
  the pieces are not needed, the zones' rings are walked over that grid
  instead (``area(unit ∩ zone)`` is symmetric; :func:`grid_unit_overlaps`,
  in :mod:`territobs.zoning._grid_units`): no tree, no GEOS per pair;
* otherwise candidate pairs come from one :class:`shapely.STRtree` query;
* a unit wholly inside its zone needs no intersection: for axis-aligned
  rectangles (grids) its bounding box inside the rectangle proves it, for other
  zones no crossing of the two boundaries and one vertex inside (below), or a
  ``contains`` test against the *prepared* zone when the pieces are needed;
* cut pairs with rectangles that are the cells of one (regular or
  rectilinear) grid get their areas without any clipping: each unit's edges
  that cross grid lines are split there and Green's theorem gives the area in
  every cell, in vectorised NumPy with no sort of the vertices
  (:func:`_grid_areas`, in :mod:`territobs.zoning._grid_overlay`); other
  rectangles use
  :func:`shapely.clip_by_rect` (one call per zone, vectorised over its units),
  as do grids when the pieces themselves are needed (population weights);
* other zones, when only areas are needed (buffers of points, project
  zones, communes...): the points where the unit's and the zone's
  boundaries cross give the area of the overlap by Green's theorem, with no
  intersection built (:func:`crossing_overlaps`, in
  :mod:`territobs.zoning._crossings`); a unit crossed nowhere lies wholly
  inside the zone or outside, one point tells; pairs whose boundaries touch
  or run along each other (zones drawn on the units' own boundaries) are
  left to GEOS's ``intersection``, run near the origin (:func:`near_origin`:
  at Lambert-93 magnitudes GEOS lost a unit inside a union of units);
* those pairs, and every cut pair when the pieces themselves are needed,
  use vectorised :func:`shapely.intersection` in chunks on a
  thread pool (shapely releases the GIL inside GEOS).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TypeVar

import numpy as np
import shapely

from territobs._repair import polygonal_repair
from territobs.zoning._crossings import crossing_overlaps
from territobs.zoning._grid_overlay import (
    _cell_of,  # noqa: F401 - re-exported for the tests
    _grid_areas,
    _rect_grid,
)
from territobs.zoning._grid_units import grid_unit_overlaps
from territobs.zoning._rings import AREA_NOISE as _AREA_NOISE
from territobs.zoning._rings import PARALLEL_MIN_WORK as _PARALLEL_MIN_WORK

__all__ = ["Overlaps", "is_rectangle", "n_workers", "overlaps"]

#: A zone with more than this many times the vertices of the unit it cuts is
#: clipped to a window around the unit first (:func:`zone_windows`).
_WINDOW_RATIO = 4

_T = TypeVar("_T")


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
    repaired : numpy.ndarray
        Positions of the invalid units that GEOS cut once made valid
        (:func:`valid_for_geos`).
    """

    unit: np.ndarray
    zone: np.ndarray
    area: np.ndarray
    whole: np.ndarray
    unit_area: np.ndarray
    pieces: np.ndarray | None = None
    repaired: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

    @property
    def share(self) -> np.ndarray:
        """``area / unit_area`` of each pair (1 on whole pairs)."""
        share = self.area / self.unit_area[self.unit]
        return np.where(self.whole, 1.0, share)


def n_workers(n_jobs: int | None) -> int:
    """Resolve ``n_jobs`` to a thread count.

    An explicit count is used as given; None and -1 mean every core this
    process may run on. This is only a ceiling: each kernel uses threads
    only when its measured work (vertices summed over the pairs to cut) is
    at least ``PARALLEL_MIN_WORK``, so the choice depends on the input, never
    on the machine's load, and a given input always runs the same way.
    """
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if n_jobs is not None and n_jobs >= 0:
        return max(1, int(n_jobs))
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
    candidate = shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON
    candidate[candidate] = shapely.get_num_coordinates(geoms[candidate]) == 5
    candidate[candidate] &= shapely.get_num_interior_rings(geoms[candidate]) == 0
    bounds = shapely.bounds(geoms[candidate])
    box_area = (bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])
    area = shapely.area(geoms[candidate])
    candidate[candidate] = (box_area > 0) & (
        np.abs(area - box_area) <= 1e-12 * box_area
    )
    return candidate


def _map_chunks(
    func: Callable[[np.ndarray], _T],
    index: np.ndarray,
    workers: int,
    work: int,
) -> list[_T]:
    """Apply ``func`` to chunks of ``index``, on threads when ``work`` pays.

    ``work`` is the measured size of the job (vertices summed over its
    pairs); from ``_PARALLEL_MIN_WORK`` the index is split in ``4 * workers``
    chunks (balance: pairs differ in cost) on ``workers`` threads.
    """
    if workers <= 1 or len(index) < workers or work < _PARALLEL_MIN_WORK:
        return [func(index)]
    chunks = np.array_split(index, workers * 4)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(func, chunks))


def valid_for_geos(
    units: np.ndarray, unit: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Make the units at ``unit`` valid where they are not.

    GEOS's overlay of an invalid unit is wrong without a word (a unit with a
    zero-width spike: 0.26 of it in a zone that holds 0.88 of the repaired
    unit). Only the units GEOS is about to cut are checked (``is_valid`` on
    every commune of France costs more than the weights); those the
    crossings kernel decides are read as given. Returns the units (a copy
    when one is repaired by :func:`territobs._repair.polygonal_repair`: each
    part made valid, then their union) and the positions repaired.
    """
    met = np.unique(unit)
    bad = met[~shapely.is_valid(units[met])]
    if not len(bad):
        return units, bad
    units = units.copy()
    units[bad] = polygonal_repair(units[bad])
    return units, bad


def zone_windows(
    zones: np.ndarray, units: np.ndarray, sound: np.ndarray | None = None
) -> np.ndarray:
    """Each zone clipped to a window around its unit (pairs, row by row).

    ``unit ∩ zone = unit ∩ (zone ∩ W)`` for any rectangle ``W`` holding the
    unit: GEOS then overlays the unit with the few zone edges near it
    instead of the whole zone (a département cut against each of its
    boundary communes). ``clip_by_rect`` keeps the zone's own vertices and
    adds new ones only on ``W``'s sides, 1 % of the unit's size away from
    it; its output is not guaranteed valid (1 in 4,000 on the départements
    over their communes), so an invalid window gives way to the whole zone.
    So does a zone with a ring all but flat (:func:`_sound_for_windows`,
    or ``sound`` when the caller has it), an error of ``clip_by_rect`` and
    an empty unit. Measured on those pairs (16,349, cut near the origin):
    intersections 1.3 times faster on the communes as shipped, 1.7 times
    densified ×16.
    """
    if sound is None:
        sound = _sound_for_windows(zones)
    bounds = shapely.bounds(units)
    pad = 0.01 * np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
    low = bounds[:, :2] - pad[:, None]
    high = bounds[:, 2:] + pad[:, None]
    sound = sound & np.isfinite(pad)
    windows = np.array(zones, dtype=object).reshape(len(zones))
    for k in np.flatnonzero(sound):
        try:
            windows[k] = shapely.clip_by_rect(zones[k], *low[k], *high[k])
        except shapely.errors.GEOSException:  # "found 3 points in LinearRing"
            continue
    valid = shapely.is_valid(windows)
    windows[~valid] = zones[~valid]
    return windows


def _sound_for_windows(zones: np.ndarray) -> np.ndarray:
    """Tell the zones whose every ring encloses more than flat-ring noise.

    ``clip_by_rect`` is wrong without a word across a ring all but flat (a
    hole of 4.4e-16 m² left between two communes: the window came out as
    that sliver, and a 5.25 m² unit inside the zone lost all of it) or
    raises. Measured on thin triangular holes: failures from a width
    1e-14 of their length, none to 1e-13; a ring below 1e-10 of its squared
    perimeter (a width about 1e-9 of its length) keeps the whole zone.
    """
    rings, owner = shapely.get_rings(zones, return_index=True)
    flat = shapely.area(shapely.polygons(rings)) <= 1e-10 * shapely.length(rings) ** 2
    return ~np.isin(np.arange(len(zones)), owner[flat])


def _cut_general(
    units: np.ndarray,
    zones: np.ndarray,
    unit: np.ndarray,
    zone: np.ndarray,
    workers: int,
    keep_pieces: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Intersection areas (and pieces) of general cut pairs.

    Pairs are cut near the origin (:func:`near_origin`); pieces are moved
    back. ``units`` must be valid where cut (:func:`valid_for_geos`).
    """
    near = near_origin(units, zones, unit, zone)
    sound = _sound_for_windows(near.zones)
    unit_verts = shapely.get_num_coordinates(near.units)
    zone_verts = shapely.get_num_coordinates(near.zones)[near.zone]

    def work(chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        local = near.zone[chunk]
        cutting = near.zones[local]
        big = np.flatnonzero(zone_verts[chunk] > _WINDOW_RATIO * unit_verts[chunk])
        cutting[big] = zone_windows(
            cutting[big], near.units[chunk[big]], sound[local[big]]
        )
        piece = shapely.intersection(near.units[chunk], cutting)
        area = shapely.area(piece)
        if not keep_pieces:
            return area, np.empty(0, object)
        return area, _moved(piece, near.origin[local])

    size = int(unit_verts.sum() + zone_verts.sum())
    parts = _map_chunks(work, np.arange(len(unit)), workers, size)
    area = np.concatenate([p[0] for p in parts]) if parts else np.empty(0)
    pieces = np.concatenate([p[1] for p in parts]) if keep_pieces and parts else None
    return area, pieces


@dataclass(frozen=True)
class NearOrigin:
    """Pairs moved near the origin, one vector per zone (:func:`near_origin`).

    Attributes
    ----------
    units : numpy.ndarray
        The pairs' units, each moved by its zone's vector.
    zones : numpy.ndarray
        Every zone of the pairs, once, moved.
    zone : numpy.ndarray
        Position in ``zones`` of each pair's zone.
    origin : numpy.ndarray
        (len(zones), 2): where each zone's origin was.
    """

    units: np.ndarray
    zones: np.ndarray
    zone: np.ndarray
    origin: np.ndarray


def near_origin(
    units: np.ndarray, zones: np.ndarray, unit: np.ndarray, zone: np.ndarray
) -> NearOrigin:
    """Move the pairs ``(units[unit[i]], zones[zone[i]])`` near the origin.

    GEOS's overlay and predicates can go wrong at the magnitude of
    Lambert-93 coordinates where they are right near the origin (GEOS 3.14:
    a unit inside a union of units came out as lines, area 0, and prepared
    ``contains`` said False; ``tests/zoning/test_overlay_properties.py``).
    Each zone is moved once, by minus its lower-left corner rounded down to
    a whole number, and the units of its pairs by the same vector: equal
    coordinates stay equal, so shared vertices stay shared (and near the
    corner the subtraction is exact, Sterbenz).
    """
    met, local = np.unique(zone, return_inverse=True)
    origin = np.floor(shapely.bounds(zones[met])[:, :2])
    origin[~np.isfinite(origin)] = 0.0
    return NearOrigin(
        units=_moved(units[unit], -origin[local]),
        zones=_moved(zones[met], -origin),
        zone=local,
        origin=origin,
    )


def _moved(geoms: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Geometries moved by one vector each (``shift`` of shape (n, 2))."""
    counts = shapely.get_num_coordinates(geoms)
    offset = np.repeat(shift, counts, axis=0)
    return shapely.transform(geoms, lambda xy: xy + offset)


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
    size = int(shapely.get_num_coordinates(units[unit]).sum()) if workers > 1 else 0
    _map_chunks(work, groups, workers, size)
    return area, pieces


def overlaps(
    units: np.ndarray,
    zones: np.ndarray,
    *,
    tolerance: float = 1e-6,
    n_jobs: int | None = None,
    keep_pieces: bool = False,
    unit_area: np.ndarray | None = None,
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
        Most threads for the cut pairs (GEOS intersections, grid
        kernels); None or -1: every core available. Only jobs of at least
        ``PARALLEL_MIN_WORK`` pair vertices use threads (decided by the size
        of the work, not by the machine's load); results do not depend on it.
    keep_pieces : bool, default False
        Also return the ``unit ∩ zone`` geometries of the cut pairs.
    unit_area : numpy.ndarray, optional
        The units' areas when the caller has them already.

    Returns
    -------
    Overlaps
    """
    units = np.asarray(units, dtype=object)
    zones = np.asarray(zones, dtype=object)
    workers = n_workers(n_jobs)
    if unit_area is None:
        unit_area = shapely.area(units)
    unit_bounds = shapely.bounds(units)
    if not keep_pieces and (grid := _unit_grid(units, unit_bounds)) is not None:
        # Units are grid cells: walk the zones' rings over the grid instead.
        found = grid_unit_overlaps(units, zones, grid, unit_area, workers)
        if found is not None:  # None: two units are the same cell
            return _filtered(*found, None, unit_area, tolerance)
    tree = shapely.STRtree(units)
    rect = is_rectangle(zones)
    parts: list[
        tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]
    ] = []

    # Rectangles: bounding-box candidates, bbox-inside = whole, clip the rest.
    rect_pos = np.flatnonzero(rect)
    clipped = np.empty(0, np.int64)  # units repaired for clip_by_rect
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
        if pieces is not None:  # keep_pieces
            valid, clipped = valid_for_geos(units, u[cut])
            cut_area, cut_pieces = _cut_rectangles(
                valid, zb, u[cut], z[cut], workers, keep_pieces
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
            valid, clipped = valid_for_geos(units, u[cut])
            cut_area, _ = _cut_rectangles(valid, zb, u[cut], z[cut], workers, False)
        area[cut] = cut_area
        parts.append((u, z, area, whole, pieces))

    other_pos = np.flatnonzero(~rect)
    repaired = np.empty(0, np.int64)
    if len(other_pos) and not keep_pieces:
        # Areas only: Green's theorem on the crossings of the boundaries.
        part, repaired, unit_area = _crossing_part(
            units, unit_bounds, unit_area, zones, other_pos, tree, workers
        )
        parts.append(part)
    elif len(other_pos):
        # Pieces: prepared intersects / contains, intersection of cut pairs only.
        other = zones[other_pos]
        shapely.prepare(other)
        z_local, u = tree.query(other, predicate="intersects")
        valid, repaired = valid_for_geos(units, u)
        unit_area = _areas_of_repaired(unit_area, valid, repaired)
        whole = shapely.contains(other[z_local], valid[u])
        z = other_pos[z_local]
        area = unit_area[u].copy()
        cut = ~whole
        pieces = np.full(len(u), None, dtype=object)
        area[cut], pieces[cut] = _cut_general(
            valid, zones, u[cut], z[cut], workers, True
        )
        parts.append((u, z, area, whole, pieces))

    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return Overlaps(empty, empty, np.empty(0), np.empty(0, bool), unit_area, None)
    # A pair larger than its unit can only come from an invalid unit the
    # kernels read as given (a bowtie: 3,250 m² of its 1,000 m² in a zone):
    # those units are checked, and repaired ones cut by GEOS like the others.
    _, oversized = valid_for_geos(units, _oversized_units(parts, unit_area))
    if len(oversized) or (len(rect_pos) and (len(clipped) or len(repaired))):
        # clip_by_rect of an invalid unit is wrong without a word (a unit with
        # a spike: the part of the rectangle outside it) or raises, and a unit
        # repaired for some zones must be cut over its repaired area in all.
        repaired = np.union1d(np.union1d(repaired, clipped), oversized)
        valid, _ = valid_for_geos(units, repaired)
        unit_area = _areas_of_repaired(unit_area, valid, repaired)
        parts = [
            _recut(part, valid, zones, repaired, unit_area, workers, keep_pieces)
            for part in parts
        ]
    unit = np.concatenate([p[0] for p in parts]).astype(np.int64)
    zone = np.concatenate([p[1] for p in parts]).astype(np.int64)
    area = np.concatenate([p[2] for p in parts])
    whole = np.concatenate([p[3] for p in parts])
    pieces = np.concatenate([p[4] for p in parts]) if keep_pieces else None
    kept = _filtered(unit, zone, area, whole, pieces, unit_area, tolerance)
    return replace(kept, repaired=repaired)


def _crossing_part(
    units: np.ndarray,
    unit_bounds: np.ndarray,
    unit_area: np.ndarray,
    zones: np.ndarray,
    zone_pos: np.ndarray,
    tree: shapely.STRtree,
    workers: int,
) -> tuple[
    tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, None], np.ndarray, np.ndarray
]:
    """Pairs of the zones at ``zone_pos`` by :func:`crossing_overlaps`.

    The pairs it leaves undecided (touching or collinear boundaries: zones
    drawn from the units' own boundaries) are cut by GEOS near the origin.
    There a unit missing less than rounding noise of its area is whole, and
    an overlap below that noise is none: GEOS's areas on shared boundaries
    are off by a few ulps either way. (No prepared ``contains`` first: on
    such pairs it costs about an intersection; measured on the départements
    as unions of their communes, 1.09-1.24 s without it, 1.39 s with.)
    Invalid units found there are made valid (:func:`valid_for_geos`), and
    all their pairs cut by GEOS over their repaired area. Returns the pairs,
    the positions of the units repaired and the units' areas.
    """
    zones = zones[zone_pos]
    shapely.prepare(zones)
    z, u = tree.query(zones)
    found = crossing_overlaps(units, unit_bounds, unit_area, zones, u, z, workers)
    area, whole = found.area, found.whole
    geos = found.degenerate
    repaired = np.empty(0, np.int64)
    if geos.any():
        valid, repaired = valid_for_geos(units, u[geos])
        if len(repaired):
            geos = geos | np.isin(u, repaired)
            unit_area = _areas_of_repaired(unit_area, valid, repaired)
        cut = np.flatnonzero(geos)
        area[cut], _ = _cut_general(valid, zones, u[cut], z[cut], workers, False)
        whole[cut] = area[cut] >= (1 - _AREA_NOISE) * unit_area[u[cut]]
    area[whole] = unit_area[u[whole]]
    area[~whole & (area <= _AREA_NOISE * unit_area[u])] = 0.0
    return (u, zone_pos[z], area, whole, None), repaired, unit_area


def _oversized_units(
    parts: list[
        tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]
    ],
    unit_area: np.ndarray,
) -> np.ndarray:
    """Units with a pair whose overlap exceeds the unit's area (beyond noise)."""
    found = [
        u[area > unit_area[u] * (1 + 1e-9)] for u, _, area, _, _ in parts if len(u)
    ]
    return np.unique(np.concatenate(found)) if found else np.empty(0, np.int64)


def _recut(
    part: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None],
    valid: np.ndarray,
    zones: np.ndarray,
    repaired: np.ndarray,
    unit_area: np.ndarray,
    workers: int,
    keep_pieces: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """``part`` with the pairs of the ``repaired`` units cut by GEOS over ``valid``."""
    u, z, area, whole, pieces = part
    redo = np.flatnonzero(np.isin(u, repaired))
    if not len(redo):
        return part
    found, cut_pieces = _cut_general(
        valid, zones, u[redo], z[redo], workers, keep_pieces
    )
    full = found >= (1 - _AREA_NOISE) * unit_area[u[redo]]
    found[full] = unit_area[u[redo]][full]
    found[~full & (found <= _AREA_NOISE * unit_area[u[redo]])] = 0.0
    area, whole = area.copy(), whole.copy()
    area[redo], whole[redo] = found, full
    if pieces is not None and cut_pieces is not None:
        pieces = pieces.copy()
        pieces[redo] = cut_pieces
    return u, z, area, whole, pieces


def _areas_of_repaired(
    unit_area: np.ndarray, valid: np.ndarray, repaired: np.ndarray
) -> np.ndarray:
    """Give the units' areas, those of the ``repaired`` ones from ``valid``."""
    if not len(repaired):
        return unit_area
    unit_area = unit_area.copy()
    unit_area[repaired] = shapely.area(valid[repaired])
    return unit_area


def _unit_grid(
    units: np.ndarray, unit_bounds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """``(lx, ly, col, row)`` when the units are cells of one grid."""
    if len(units) < 2 or not is_rectangle(units).all():
        return None
    return _rect_grid(unit_bounds)


def _filtered(
    unit: np.ndarray,
    zone: np.ndarray,
    area: np.ndarray,
    whole: np.ndarray,
    pieces: np.ndarray | None,
    unit_area: np.ndarray,
    tolerance: float,
) -> Overlaps:
    """Apply the sliver tolerance: whole pairs, dropped pairs."""
    unit, zone = unit.astype(np.int64), zone.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = area / unit_area[unit]
    whole = whole | (share >= 1.0 - tolerance)
    keep = whole | ((area > 0) & (share >= tolerance))
    if pieces is not None:
        pieces = pieces[keep]
        pieces[whole[keep]] = None
    return Overlaps(unit[keep], zone[keep], area[keep], whole[keep], unit_area, pieces)
