"""Raster population sums: exact coverage fractions without per-cell geometry.

``population_in`` on a raster splits ring edges at the grid lines (Green's
theorem, column by column). Checked against a hand computation and against a
brute-force reference: every cell as a box, ``area(polygon ∩ cell) / area(cell)
× value``.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from affine import Affine
from shapely import box

from territobs.zoning._population import (
    _grid_population_in,
    as_fine_population,
    population_in,
)

rasterio = pytest.importorskip("rasterio")


def _brute_force(polygons, grid, transform):
    rows, cols = np.indices(grid.shape).reshape(2, -1)
    corners = [transform @ (cols + dc, rows + dr) for dc in (0, 1) for dr in (0, 1)]
    xs = np.stack([c[0] for c in corners])
    ys = np.stack([c[1] for c in corners])
    cells = box(xs.min(0), ys.min(0), xs.max(0), ys.max(0))
    values = np.nan_to_num(grid.ravel(), nan=0.0)
    values[values < 0] = 0
    cell_area = abs(transform.a * transform.e)
    return np.array(
        [
            np.sum(shapely.area(shapely.intersection(p, cells)) / cell_area * values)
            for p in polygons
        ]
    )


def _write(path, grid, transform, nodata=None, **options):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=grid.shape[1],
        height=grid.shape[0],
        count=1,
        dtype=grid.dtype,
        crs="EPSG:2154",
        transform=transform,
        nodata=nodata,
        **options,
    ) as dst:
        dst.write(grid, 1)
    return path


def test_hand_checked_square():
    # 2 × 2 cells of 10 m, north-up from (0, 20): rows top to bottom.
    grid = np.array([[1.0, 2.0], [3.0, 4.0]])
    transform = Affine(10, 0, 0, 0, -10, 20)
    # box x 5-15, y 5-15: a quarter of each cell -> (1 + 2 + 3 + 4) / 4.
    # triangle under x + y = 20: half of the top-left (1) and bottom-right (4)
    # cells, all of the bottom-left one (3), none of the top-right one (2).
    triangle = shapely.Polygon([(0, 0), (20, 0), (0, 20)])
    got = _grid_population_in(
        np.array([box(5, 5, 15, 15), triangle], dtype=object), grid, transform
    )
    assert got == pytest.approx([2.5, 1 * 0.5 + 2 * 0 + 3 * 1 + 4 * 0.5], rel=1e-14)


def test_matches_brute_force_on_awkward_polygons():
    rng = np.random.default_rng(1)
    grid = rng.uniform(0, 10, (9, 11))
    grid[2, 3] = np.nan
    grid[5, 5] = -3.0  # negative: no population
    transform = Affine(25, 0, 1000, 0, -20, 5000)  # non-square cells
    disc = shapely.Point(1130, 4900).buffer(55)
    ring_hole = disc.difference(shapely.Point(1130, 4900).buffer(20))
    polygons = [
        disc,
        ring_hole,
        shapely.orient_polygons(ring_hole, exterior_cw=True),  # other orientation
        shapely.MultiPolygon(
            [box(1000, 4820, 1040, 4860), box(1200, 4930, 1260, 4990)]
        ),
        box(950, 4850, 1075, 4960),  # partly west of the raster
        box(1100, 4980, 1180, 5080),  # partly north of the raster
        box(2000, 0, 2100, 100),  # wholly outside
        box(1025, 4900, 1100, 4960),  # edges on grid lines
        shapely.Polygon([(1010, 4830), (1250, 4850.5), (1013.3, 4991.7)]),
        shapely.GeometryCollection(
            [
                box(1050, 4850, 1080, 4870),
                shapely.LineString([(1000, 4820), (1200, 4990)]),
            ]
        ),
        shapely.Polygon(),
        None,
    ]
    polygons = np.array(polygons, dtype=object)
    expected = _brute_force(polygons[:-1], grid, transform)
    clean = np.where(grid > 0, grid, 0.0)
    got = _grid_population_in(polygons, clean, transform)
    assert got[:-1] == pytest.approx(expected, rel=1e-10, abs=1e-9)
    assert got[-1] == 0
    assert got[1] == pytest.approx(got[2], rel=1e-12)

    # Same grid stored south-up (positive row step): same sums.
    flipped = Affine(25, 0, 1000, 0, 20, 5000 - 9 * 20)
    assert _grid_population_in(polygons, clean[::-1], flipped) == pytest.approx(
        got, rel=1e-10, abs=1e-9
    )


def test_raster_file_window_nodata_and_chunks(tmp_path, monkeypatch):
    rng = np.random.default_rng(2)
    grid = rng.uniform(0, 5, (40, 30)).astype("float32")
    grid[grid < 1] = -1  # nodata
    transform = Affine(200, 0, 600_000, 0, -200, 6_900_000)
    path = _write(tmp_path / "pop.tif", grid, transform, nodata=-1)
    polygons = np.array(
        [
            shapely.Point(603_000 + 400 * k, 6_895_000 - 250 * k).buffer(900)
            for k in range(8)
        ],
        dtype=object,
    )
    fine = as_fine_population(path, 2154, 2154, shapely.total_bounds(polygons))
    assert fine.grid.shape < grid.shape  # only the window around the polygons
    expected = _brute_force(polygons, np.where(grid > 0, grid, 0.0), transform)
    assert population_in(polygons, fine) == pytest.approx(expected, rel=1e-10)

    import territobs.zoning._population as module

    monkeypatch.setattr(module, "_GRID_CHUNK", 50)  # several chunks
    assert population_in(polygons, fine) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("cum_step", [1, 2, 3, 7, 40, 1000])
def test_cumulative_sum_step_spans_blocks(monkeypatch, cum_step):
    # Only every cum_step-th row of the cumulative sum is stored; the rows in
    # between come from the grid. Polygons span several blocks of rows, some
    # edges stop on block boundaries, others reach below the grid.
    import territobs.zoning._population as module

    rng = np.random.default_rng(3)
    grid = rng.uniform(0, 10, (40, 13))
    grid[rng.uniform(size=grid.shape) < 0.2] = 0.0
    transform = Affine(50, 0, 2000, 0, -40, 9000)  # rows: y 9000 down to 7400
    polygons = np.array(
        [
            shapely.Point(2300, 8200).buffer(330),
            shapely.Polygon([(1990, 9010), (2640, 7350), (2330, 8123.4), (2070, 7400)]),
            box(2050, 7480, 2600, 8920).difference(box(2200, 8000, 2400, 8600)),
            box(2100, 7000, 2250, 9500),  # north and south of the grid
            box(2000, 8800, 2650, 8880),  # edges on row lines 3 and 5
        ],
        dtype=object,
    )
    expected = _brute_force(polygons, grid, transform)
    monkeypatch.setattr(module, "_CUM_STEP", cum_step)
    monkeypatch.setattr(module, "_GRID_CHUNK", 40)  # several chunks too
    got = _grid_population_in(polygons, grid, transform)
    assert got == pytest.approx(expected, rel=1e-11, abs=1e-9)


def test_raster_read_in_bands_of_blocks(tmp_path, monkeypatch):
    # Tiled raster (16 × 16 blocks) read in bands of one row of blocks: the
    # window starts and ends inside blocks; same cells as a single read.
    import territobs.zoning._population as module

    rng = np.random.default_rng(4)
    grid = rng.uniform(0, 5, (70, 48)).astype("float32")
    grid[grid < 1] = -1  # nodata
    grid[3, 4] = np.nan
    transform = Affine(200, 0, 600_000, 0, -200, 6_900_000)
    path = _write(
        tmp_path / "tiled.tif",
        grid,
        transform,
        nodata=-1,
        tiled=True,
        blockxsize=16,
        blockysize=16,
    )
    bounds = (600_500, 6_900_000 - 200 * 61.5, 600_000 + 200 * 40.2, 6_899_100)
    monkeypatch.setattr(module, "_READ_BAND_MB", 0)  # one row of blocks a band
    fine = as_fine_population(path, 2154, 2154, bounds)
    window = grid[4:62, 2:41]
    assert fine.grid.shape == window.shape
    np.testing.assert_array_equal(fine.grid, np.where(window > 0, window, 0))
    assert fine.transform == transform @ Affine.translation(2, 4)
