from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.testing.compare import compare_images
from numpy.testing import assert_allclose
from shapely.geometry import box

from territobs.maps import choropleth, save_static, static_map
from territobs.maps.palettes import MISSING_COLOR, SECRET_COLOR

BASELINE = Path(__file__).parent / "baseline"
DATE = dt.date(2025, 1, 1)


def _grid_map(grid):
    return static_map(
        grid,
        "rate",
        unit="%",
        k=3,
        title="Taux de test",
        source="INSEE",
        vintage=2021,
        date=DATE,
    )


def test_same_classes_and_colours_as_the_interactive_map(grid):
    fig = _grid_map(grid)
    classes = choropleth(grid, "rate", unit="%", k=3).classes
    ax = fig.axes[0]
    plain = ax.collections[0].get_facecolors()
    rows = [0, 1, 2, 3, 5, 6, 7]  # row 4 secret (hatched), row 8 missing: own layers
    klass = classes.assign(grid["rate"].to_numpy())[rows]
    expected = [
        to_rgba(MISSING_COLOR) if k < 0 else to_rgba(classes.colors[k]) for k in klass
    ]
    assert_allclose(plain, expected, atol=1e-6)
    assert_allclose(ax.collections[1].get_facecolors()[0], to_rgba(MISSING_COLOR))
    secret = ax.collections[2]
    assert_allclose(secret.get_facecolors()[0], to_rgba(SECRET_COLOR), atol=1e-6)
    assert secret.get_hatch() == "////"
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:3] == list(classes.labels[::-1])
    assert legend[3:] == ["secret statistique", "donnée manquante"]
    caption = fig.texts[-1].get_text()
    assert "Source : INSEE, millésime 2021" in caption
    assert "jusqu’à 35" in caption
    assert "1er janvier 2025" in caption


def test_matches_baseline_image(grid, tmp_path):
    out = save_static(_grid_map(grid), tmp_path / "grid.png", dpi=60)
    assert compare_images(str(BASELINE / "grid.png"), str(out), tol=8) is None


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_formats_are_reproducible(grid, tmp_path, suffix):
    a = save_static(_grid_map(grid), tmp_path / f"a{suffix}", dpi=40)
    b = save_static(_grid_map(grid), tmp_path / f"b{suffix}", dpi=40)
    assert a.read_bytes() == b.read_bytes()


def test_unknown_format(grid, tmp_path):
    with pytest.raises(ValueError, match=r"\.png"):
        save_static(_grid_map(grid), tmp_path / "carte.jpg")


def test_overseas_inset(grid):
    reunion = gpd.GeoDataFrame(
        {"code": ["97411"], "name": ["Saint-Denis"], "rate": [12.0]},
        geometry=[box(55.4, -20.95, 55.5, -20.85)],
        crs=4326,
    )
    both = gpd.GeoDataFrame(
        np.concatenate(
            [
                grid.to_crs(4326)[["code", "name", "rate"]].to_numpy(),
                reunion[["code", "name", "rate"]].to_numpy(),
            ]
        ),
        columns=["code", "name", "rate"],
        geometry=list(grid.to_crs(4326).geometry) + list(reunion.geometry),
        crs=4326,
    ).astype({"rate": float})
    fig = static_map(both, "rate", date=DATE)
    titles = [ax.get_title() for ax in fig.axes]
    assert "La Réunion" in titles
