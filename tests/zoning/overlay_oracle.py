"""GEOS oracle and adversarial geometry builders for the overlap engine's tests.

:func:`_check` compares :func:`territobs.zoning._overlay.overlaps` with GEOS
computed directly (``area(unit ∩ zone)``, ``contains(zone, unit)``, on the
geometries moved exactly next to the origin: :func:`_oracle`) on the whole
dense unit × zone matrix, with the default tolerance, with
``keep_pieces=True`` and with ``n_jobs=2``; the builders make the inputs of
``test_overlay_properties.py`` in Lambert-93 coordinates.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import shapely
from shapely import affinity

from territobs.zoning._overlay import overlaps

#: Lambert-93 (EPSG:2154) origin of the scenes: Paris's inner suburbs.
X0, Y0 = 650_000.0, 6_860_000.0
#: Side of the square the units cover (m).
SIZE = 2_000.0
#: Area agreement with GEOS: relative to the unit's area, plus a tiny absolute.
REL, ABS = 1e-9, 1e-9
#: Relative slack of "at least the unit's area" for a whole pair not proved by
#: ``contains`` (a unit on the zone's boundary from inside).
WHOLE_REL = 1e-12
#: Former bug of the half-plane (convex) path: a unit contained in a convex
#: zone whose bounding box sticks out of it came out one ulp short of the
#: unit's area, not whole with ``tolerance=0`` (see
#: :func:`test_contained_unit_is_whole_with_zero_tolerance`). Fixed: the
#: property tests accept no slack.
CONTAINED_WHOLE_SLACK = 0.0
#: Former bug of the GEOS path (GEOS 3.14.1): at Lambert-93 magnitudes its
#: overlay can lose part or all of a unit inside a union of units that the
#: same overlay gets right near the origin (see
#: :func:`test_unit_lost_in_a_union_of_units`). Fixed (the engine runs GEOS
#: on pairs moved near the origin): True would excuse a pair where the
#: engine agrees with GEOS run where the geometries are.
ACCEPT_GEOS_LAMBERT_FAILURES = False
#: The documented default sliver tolerance of :func:`overlaps`.
TOLERANCE = 1e-6
#: Modules whose size thresholds decide when threads are used.
_KERNELS = (
    "territobs.zoning._overlay",
    "territobs.zoning._convex_overlay",
    "territobs.zoning._grid_overlay",
    "territobs.zoning._grid_units",
    "territobs.zoning._rings",
    "territobs.zoning._crossings",
)


# --- the oracle and the checks ------------------------------------------------


@contextlib.contextmanager
def _threads_always() -> Iterator[None]:
    """Make every kernel use its threads whatever the size of the job.

    Any module-level ``*PARALLEL_MIN_WORK`` threshold is set to 0 so that
    ``n_jobs=2`` really splits the work, even on these small scenes.
    """
    with pytest.MonkeyPatch.context() as mp:
        for name in _KERNELS:
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            for attr in dir(module):
                if attr.endswith("PARALLEL_MIN_WORK"):
                    mp.setattr(module, attr, 0)
        yield


def _wkt(geom: shapely.Geometry) -> str:
    return shapely.to_wkt(geom, rounding_precision=-1)


def _pair_report(
    units: np.ndarray, zones: np.ndarray, i: int, j: int, what: str, **values: object
) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
    return (
        f"{what}: unit {i} × zone {j} ({shown})\n"
        f"unit = {_wkt(units[i])}\nzone = {_wkt(zones[j])}"
    )


def _dense(ov, n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(present, area, whole)`` as n × m matrices (absent pairs: 0)."""
    present = np.zeros((n, m), bool)
    area = np.zeros((n, m))
    whole = np.zeros((n, m), bool)
    present[ov.unit, ov.zone] = True
    area[ov.unit, ov.zone] = ov.area
    whole[ov.unit, ov.zone] = ov.whole
    return present, area, whole


def _first(mask: np.ndarray) -> tuple[int, int]:
    i, j = np.argwhere(mask)[0]
    return int(i), int(j)


def _near_origin(geoms: np.ndarray) -> np.ndarray:
    """The same geometries moved by ``(-X0, -Y0)``, exactly.

    Every coordinate is within a factor 2 of ``X0`` / ``Y0``, so the
    subtraction is exact (Sterbenz); the check below proves it.
    """
    shift = np.array([X0, Y0])
    moved = shapely.transform(geoms, lambda xy: xy - shift)
    back = shapely.get_coordinates(moved) + shift
    assert np.array_equal(back, shapely.get_coordinates(geoms)), "inexact shift"
    return moved


def _oracle(
    units: np.ndarray, zones: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GEOS's ``area(unit ∩ zone)``, ``contains(zone, unit)``, and its trust.

    GEOS's overlay fails at Lambert-93 magnitudes where it does not near the
    origin: with GEOS 3.14.1 the intersection of a unit with the union of
    the units around it came out as lines (area 0)
    (``test_unit_lost_in_a_union_of_units``). So the oracle runs on the
    geometries moved exactly next to the origin; the engine under test
    still gets them where they are. A pair is also *trusted* only when the
    overlay and the predicates (RelateNG) agree: a positive area exactly when
    the interiors meet in 2-D, the unit's area when it is contained; the
    checks skip the others.
    """
    units, zones = _near_origin(units), _near_origin(zones)
    ref = shapely.area(shapely.intersection(units[:, None], zones[None, :]))
    contains = shapely.contains(zones[None, :], units[:, None])
    interior = shapely.relate_pattern(units[:, None], zones[None, :], "2********")
    unit_area = shapely.area(units)[:, None]
    trusted = (interior == (ref > 0)) & ~(contains & (ref < unit_area * (1 - REL)))
    return ref, contains, trusted


def _check(
    units: list | np.ndarray,
    zones: list | np.ndarray,
    *,
    coverage: np.ndarray | None = None,
    threads: bool = True,
) -> None:
    """Compare :func:`overlaps` with GEOS on every unit × zone pair.

    ``coverage``: positions of zones that together cover every unit (their
    shares then sum to 1 per unit). ``threads``: also compare ``n_jobs=2``
    (thresholds forced to 0) with ``n_jobs=1``.
    """
    units = np.asarray(units, dtype=object)
    zones = np.asarray(zones, dtype=object)
    assert shapely.is_valid(units).all(), [_wkt(u) for u in units if not u.is_valid]
    assert shapely.is_valid(zones).all(), [_wkt(z) for z in zones if not z.is_valid]
    n, m = len(units), len(zones)
    unit_area = shapely.area(units)
    ref, contains, trusted = _oracle(units, zones)
    ua = unit_area[:, None]
    slack = REL * ua + ABS

    ov = overlaps(units, zones, tolerance=0, n_jobs=1)
    present, area, whole = _dense(ov, n, m)
    if ACCEPT_GEOS_LAMBERT_FAILURES:
        # GEOS's overlay where the geometries are: today's engine's answer.
        raw = shapely.area(shapely.intersection(units[:, None], zones[None, :]))
        known = (np.abs(raw - ref) > slack) & (np.abs(area - raw) <= slack)
        trusted = trusted & ~known
    np.testing.assert_allclose(ov.unit_area, unit_area, rtol=1e-12, atol=0)
    assert len(ov.unit) == len(ov.zone) == len(ov.area) == len(ov.whole)
    keys = ov.unit * max(m, 1) + ov.zone
    assert len(np.unique(keys)) == len(keys), "a pair is listed twice"

    problems = (
        ("area differs from GEOS", present & (np.abs(area - ref) > slack)),
        ("GEOS overlap missing", ~present & (ref > REL * ua)),
        ("pair with zero GEOS overlap (contact only)", present & (ref == 0)),
        (
            "contained unit not whole",
            contains & ~whole & (area < ua * (1 - CONTAINED_WHOLE_SLACK)),
        ),
        # Whole without ``contains``: only with (at least) the unit's area, which
        # the first check holds to GEOS's (GEOS's own rounding at these
        # magnitudes reaches 1e-12 of the unit, so not the stricter ref test).
        ("whole unit not inside", whole & ~contains & (area < ua * (1 - WHOLE_REL))),
        # GEOS itself may give a hair more than the unit (pieces with new vertices).
        ("area above the unit's", present & (area > ua * (1 + REL))),
        ("non-positive area", present & ~(area > 0)),
    )
    _raise_first(
        problems,
        trusted,
        units,
        zones,
        lambda i, j: {
            "got": area[i, j] if present[i, j] else None,
            "geos": ref[i, j],
            "unit_area": unit_area[i],
            "contains": bool(contains[i, j]),
            "whole": bool(whole[i, j]),
        },
    )

    if coverage is not None:
        share = np.zeros((n, m))
        share[ov.unit, ov.zone] = ov.share
        total = share[:, coverage].sum(axis=1)
        bad = np.abs(total - 1) > 1e-9 * len(coverage)
        bad &= trusted[:, coverage].all(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise AssertionError(
                f"unit {i}: shares over the covering zones sum to {total[i]!r}\n"
                f"unit = {_wkt(units[i])}\n"
                + "\n".join(
                    f"zone {j}: share {share[i, j]!r}, geos {ref[i, j] / unit_area[i]!r}"
                    for j in coverage
                    if share[i, j] or ref[i, j]
                )
            )

    _check_tolerance(units, zones, ref, contains, trusted)
    _check_pieces(units, zones, ov)
    if threads:
        with _threads_always():
            two = overlaps(units, zones, tolerance=0, n_jobs=2)
        order_one = np.lexsort((ov.zone, ov.unit))
        order_two = np.lexsort((two.zone, two.unit))
        for field in ("unit", "zone", "area", "whole"):
            np.testing.assert_array_equal(
                getattr(two, field)[order_two],
                getattr(ov, field)[order_one],
                err_msg=f"n_jobs=2 changed {field}",
            )


def _check_pieces(units: np.ndarray, zones: np.ndarray, ov) -> None:
    """``keep_pieces=True``: the same pairs and areas, pieces of those areas.

    A pair may be in one result and not the other only when its area is
    rounding noise (below the area slack).
    """
    n, m = len(units), len(zones)
    kept = overlaps(units, zones, tolerance=0, n_jobs=1, keep_pieces=True)
    assert kept.pieces is not None and len(kept.pieces) == len(kept.unit)
    slack = REL * ov.unit_area[:, None] + ABS
    present, area, _ = _dense(ov, n, m)
    present_p, area_p, _ = _dense(kept, n, m)
    mask = np.abs(area_p - area) > slack
    if mask.any():
        i, j = _first(mask)
        raise AssertionError(
            _pair_report(
                units,
                zones,
                i,
                j,
                "keep_pieces=True changed an area",
                without_pieces=area[i, j] if present[i, j] else None,
                with_pieces=area_p[i, j] if present_p[i, j] else None,
                unit_area=ov.unit_area[i],
            )
        )
    cut = ~kept.whole
    assert all(p is None for p in kept.pieces[kept.whole])
    piece_area = shapely.area(kept.pieces[cut].astype(object))
    err = np.abs(piece_area - kept.area[cut])
    assert (err <= REL * kept.unit_area[kept.unit[cut]] + ABS).all()


def _check_tolerance(
    units: np.ndarray,
    zones: np.ndarray,
    ref: np.ndarray,
    contains: np.ndarray,
    trusted: np.ndarray,
) -> None:
    """The default tolerance: shares below it dropped, above ``1 - tol`` whole."""
    n, m = ref.shape
    unit_area = shapely.area(units)
    share = ref / unit_area[:, None]
    ov = overlaps(units, zones, n_jobs=1)  # the default tolerance
    present, area, whole = _dense(ov, n, m)
    # Shares within 1e-9 of a threshold may fall either side of it.
    sure_in = contains | (share >= TOLERANCE + REL)
    sure_out = ~contains & (share < TOLERANCE - REL)
    sure_whole = contains | (share >= 1 - TOLERANCE + REL)
    sure_cut = ~contains & (share < 1 - TOLERANCE - REL)
    slack = REL * unit_area[:, None] + ABS
    problems = (
        ("tolerance dropped a pair", sure_in & ~present),
        ("tolerance kept a sliver", sure_out & present),
        ("tolerance: unit not whole", sure_whole & ~whole),
        ("tolerance: cut unit whole", sure_cut & whole),
        ("tolerance: area differs", present & ~whole & (np.abs(area - ref) > slack)),
    )
    _raise_first(
        problems,
        trusted,
        units,
        zones,
        lambda i, j: {
            "share_geos": share[i, j],
            "present": bool(present[i, j]),
            "whole": bool(whole[i, j]),
            "got": area[i, j],
        },
    )


def _raise_first(problems, trusted, units, zones, fields) -> None:
    """Raise on the first trusted pair of the first problem found, with its WKT."""
    for what, mask in problems:
        if (mask & trusted).any():
            i, j = _first(mask & trusted)
            raise AssertionError(_pair_report(units, zones, i, j, what, **fields(i, j)))


# --- geometry builders ---------------------------------------------------------


def _star(
    cx: float, cy: float, radii: np.ndarray, phase: float = 0.0
) -> shapely.Polygon:
    """Star-shaped polygon: one vertex per radius, at evenly spaced angles."""
    angles = phase + np.linspace(0, 2 * np.pi, len(radii), endpoint=False)
    return shapely.Polygon(
        np.c_[cx + radii * np.cos(angles), cy + radii * np.sin(angles)]
    )


def _ten_star(cx: float, cy: float, r: float, phase: float = 0.0) -> shapely.Polygon:
    """A 10-pointed star (20 vertices) of outer radius ``r``."""
    return _star(cx, cy, np.tile([r, 0.45 * r], 10), phase)


def _map_rings(geom: shapely.Geometry, f: Callable[[np.ndarray], np.ndarray]):
    """Rebuild a (multi)polygon with ``f`` applied to each ring's coordinates."""
    if geom.geom_type == "MultiPolygon":
        return shapely.MultiPolygon([_map_rings(p, f) for p in geom.geoms])
    return shapely.Polygon(
        f(np.asarray(geom.exterior.coords)),
        [f(np.asarray(h.coords)) for h in geom.interiors],
    )


def _repeat_vertex(k: int) -> Callable[[np.ndarray], np.ndarray]:
    def f(ring: np.ndarray) -> np.ndarray:
        i = k % (len(ring) - 1)
        return np.insert(ring, i, ring[i], axis=0)

    return f


def _add_collinear(k: int) -> Callable[[np.ndarray], np.ndarray]:
    """Insert the midpoint (and quarter points) of one edge."""

    def f(ring: np.ndarray) -> np.ndarray:
        i = k % (len(ring) - 1)
        a, b = ring[i], ring[i + 1]
        extra = a + np.outer([0.25, 0.5, 0.75], b - a)
        return np.insert(ring, i + 1, extra, axis=0)

    return f


def _roll_start(k: int) -> Callable[[np.ndarray], np.ndarray]:
    """Same ring, starting at another vertex."""

    def f(ring: np.ndarray) -> np.ndarray:
        open_ring = np.roll(ring[:-1], k % (len(ring) - 1), axis=0)
        return np.vstack([open_ring, open_ring[:1]])

    return f


def _reverse(ring: np.ndarray) -> np.ndarray:
    return ring[::-1].copy()


def _oriented(geom: shapely.Geometry, clockwise: bool) -> shapely.Geometry:
    return shapely.orient_polygons(geom, exterior_cw=clockwise)


def _voronoi_units(rng: np.random.Generator, n: int) -> np.ndarray:
    """Voronoi cells of ``n`` random points, clipped to the scene's square."""
    square = shapely.box(X0, Y0, X0 + SIZE, Y0 + SIZE)
    points = shapely.multipoints(rng.uniform((X0, Y0), (X0 + SIZE, Y0 + SIZE), (n, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=square))
    cells = shapely.intersection(cells, square)
    cells = cells[(shapely.get_type_id(cells) == 3) & (shapely.area(cells) > 0)]
    return cells


def _grid_nodes(
    rng: np.random.Generator, nx: int, ny: int, step: int = 200
) -> np.ndarray:
    """Integer nodes of a perturbed grid: even coordinates, even jitter.

    Every edge midpoint, and the reflection of a node through another, is
    then exactly representable: zone vertices placed there are exactly on
    the unit edges (or vertices).
    """
    i, j = np.meshgrid(np.arange(nx + 1), np.arange(ny + 1), indexing="ij")
    jitter = 2 * rng.integers(-step // 10, step // 10 + 1, (nx + 1, ny + 1, 2))
    nodes = np.stack([X0 + i * step, Y0 + j * step], axis=-1) + jitter
    return nodes.astype(float)


def _grid_units(nodes: np.ndarray) -> np.ndarray:
    """Quadrilateral cells (counter-clockwise) of perturbed grid nodes."""
    nx, ny = nodes.shape[0] - 1, nodes.shape[1] - 1
    cells = [
        shapely.Polygon(
            [nodes[a, b], nodes[a + 1, b], nodes[a + 1, b + 1], nodes[a, b + 1]]
        )
        for a in range(nx)
        for b in range(ny)
    ]
    return np.array(cells, dtype=object)


def _with_enclave(units: np.ndarray, i: int, scale: float) -> np.ndarray:
    """Unit ``i`` gets a hole, filled exactly by a new unit (an enclave)."""
    unit = units[i]
    if scale > 0:
        inner = affinity.scale(unit, scale, scale, origin=unit.centroid)
    else:  # a 1 m enclave
        c = unit.centroid
        inner = _star(c.x, c.y, np.array([1.0, 0.6, 0.9, 0.5, 1.0, 0.7]))
    ring = np.asarray(inner.exterior.coords)
    holed = shapely.Polygon(unit.exterior.coords, [*unit.interiors, ring])
    out = units.copy()
    out[i] = holed
    return np.append(out, shapely.Polygon(ring))


def _with_multipolygon(units: np.ndarray, i: int) -> np.ndarray:
    """Unit ``i`` absorbs a unit it does not touch: a multipolygon unit."""
    far = [
        k for k in range(len(units)) if k != i and shapely.disjoint(units[i], units[k])
    ]
    if not far:
        return units
    k = far[len(far) // 2]
    out = units.copy()
    parts = [*shapely.get_parts(units[i]), *shapely.get_parts(units[k])]
    out[i] = shapely.MultiPolygon(parts)
    return np.delete(out, k)
