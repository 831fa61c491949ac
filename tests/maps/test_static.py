from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.testing.compare import compare_images
from numpy.testing import assert_allclose
from shapely.geometry import box

from territobs.maps import (
    Caption,
    Layer,
    Reference,
    choropleth,
    save_static,
    static_map,
)
from territobs.maps.palettes import MISSING_COLOR, SECRET_COLOR

BASELINE = Path(__file__).parent / "baseline"
DATE = dt.date(2025, 1, 1)


def _grid_map(grid):
    return static_map(
        grid,
        Layer("rate", unit="%", k=3),
        caption=Caption(title="Taux de test", source="INSEE", vintage=2021, date=DATE),
    )


def test_same_classes_and_colours_as_the_interactive_map(grid):
    fig = _grid_map(grid)
    classes = choropleth(grid, Layer("rate", unit="%", k=3)).classes
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


#: RMS tolerance (0-255 scale) of image comparisons. matplotlib renders text
#: with its own bundled FreeType and DejaVu Sans, so the same versions give
#: the same pixels (RMS 0); the tolerance absorbs anti-aliasing drift only:
#: one changed character of the caption already gives RMS 2.3, a missing
#: title 7, another palette 52.
TOLERANCE = 1.5


def _compare(fig, name: str, tmp_path: Path, dpi: int) -> None:
    """Compare with the committed ``baseline/{name}``; regenerate it with
    ``TERRITOBS_UPDATE_BASELINE=1`` (then review and commit the image)."""
    baseline = BASELINE / name
    if os.environ.get("TERRITOBS_UPDATE_BASELINE"):
        save_static(fig, baseline, dpi=dpi)
        pytest.skip(f"{baseline} regenerated: review it, then commit it")
    assert baseline.is_file(), f"{baseline} is missing (committed reference)"
    out = save_static(fig, tmp_path / name, dpi=dpi)
    result = compare_images(str(baseline), str(out), tol=TOLERANCE)
    assert result is None, result


def test_matches_baseline_image(grid, tmp_path):
    _compare(_grid_map(grid), "grid.png", tmp_path, dpi=60)


def test_baseline_comparison_detects_changes(grid, tmp_path):
    """The comparison is not vacuous: a missing title or another unit fails."""
    for fig in (
        static_map(
            grid,
            Layer("rate", unit="%", k=3),
            caption=Caption(source="INSEE", vintage=2021, date=DATE),
        ),
        static_map(
            grid,
            Layer("rate", k=3),
            caption=Caption(
                title="Taux de test", source="INSEE", vintage=2021, date=DATE
            ),
        ),
    ):
        out = save_static(fig, tmp_path / "other.png", dpi=60)
        assert compare_images(str(BASELINE / "grid.png"), str(out), tol=TOLERANCE)


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
    fig = static_map(both, "rate", caption=Caption(date=DATE))
    titles = [ax.get_title() for ax in fig.axes]
    assert "La Réunion" in titles


@pytest.fixture(scope="module")
def france() -> gpd.GeoDataFrame:
    """A coarse France: 40 km squares over the metropolitan extent
    (Lambert-93) and one square per overseas département, in lon/lat."""
    metro = [
        box(x, y, x + 40_000, y + 40_000)
        for x in range(100_000, 1_200_000, 40_000)
        for y in range(6_100_000, 7_100_000, 40_000)
    ]
    metro = gpd.GeoSeries(metro, crs=2154).to_crs(4326)
    overseas = {
        "97105": box(-61.6, 16.0, -61.5, 16.1),  # Guadeloupe
        "97209": box(-61.1, 14.6, -61.0, 14.7),  # Martinique
        "97302": box(-52.4, 4.8, -52.2, 5.0),  # Guyane
        "97411": box(55.4, -20.95, 55.5, -20.85),  # La Réunion
        "97611": box(45.2, -12.8, 45.3, -12.7),  # Mayotte
    }
    n = len(metro)
    codes = [f"{1 + i // 900:02d}{i % 900:03d}" for i in range(n)] + list(overseas)
    return gpd.GeoDataFrame(
        {
            "code": codes,
            "name": codes,
            "rate": np.linspace(0, 40, n + len(overseas)),
        },
        geometry=[*metro, *overseas.values()],
        crs=4326,
    )


def test_france_map_has_overseas_insets_and_city_zooms(france):
    fig = static_map(france, Layer("rate", unit="%", k=4), caption=Caption(date=DATE))
    titles = [ax.get_title() for ax in fig.axes]
    for name in ("Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte"):
        assert name in titles
    for city in ("Paris", "Lyon", "Marseille"):
        assert city in titles
    main = fig.axes[0]
    assert main.get_title() == ""
    # the main map shows metropolitan France only, in Lambert-93 metres
    x0, x1 = main.get_xlim()
    assert 0 < x0 and x1 < 1_300_000
    assert len(main.patches) == 3  # one frame per city zoom
    from territobs.maps._france import CITY_ZOOMS

    for city, ((cx, cy), half) in CITY_ZOOMS.items():
        zoom = fig.axes[titles.index(city)]
        assert_allclose(zoom.get_xlim(), (cx - half, cx + half))
        assert_allclose(zoom.get_ylim(), (cy - half, cy + half))
        assert len(zoom.collections[0].get_paths()) > 0
    # each inset draws its département's square in its class colour
    classes = choropleth(france, Layer("rate", unit="%", k=4)).classes
    reunion = fig.axes[titles.index("La Réunion")]
    klass = classes.assign([france["rate"].iloc[-2]])[0]
    assert_allclose(
        reunion.collections[0].get_facecolors()[0], to_rgba(classes.colors[klass])
    )


def test_regional_map_has_no_inset_nor_zoom(grid):
    fig = _grid_map(grid)
    assert [ax.get_title() for ax in fig.axes] == [""]
    assert len(fig.axes[0].patches) == 0


def test_overseas_only_map_is_drawn_in_the_main_axes():
    reunion = gpd.GeoDataFrame(
        {"code": ["97411", "97415"], "name": ["Saint-Denis", "Saint-Paul"]},
        geometry=[box(55.4, -20.95, 55.5, -20.85), box(55.2, -21.1, 55.35, -20.95)],
        crs=4326,
    ).assign(rate=[12.0, 20.0])
    fig = static_map(reunion, "rate", caption=Caption(date=DATE))
    assert len(fig.axes) == 1
    main = fig.axes[0]
    assert len(main.collections[0].get_paths()) == 2
    assert main.get_xlim()[0] > 300_000  # RGR92 / UTM 40S metres (EPSG:2975)


def test_points_outside_do_not_stretch_the_map(grid):
    far = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1).centroid], crs=4326)
    fig = static_map(grid, "rate", caption=Caption(date=DATE), points=[(far, "loin")])
    x0, x1 = fig.axes[0].get_xlim()
    assert x1 - x0 < 20_000


def test_france_map_matches_baseline_image(france, tmp_path):
    fig = static_map(
        france,
        Layer(
            "rate",
            unit="%",
            k=4,
            reference=Reference(20.0, "la France métropolitaine"),
        ),
        caption=Caption(
            title="France de test", source="INSEE", vintage=2021, date=DATE
        ),
    )
    _compare(fig, "france.png", tmp_path, dpi=50)


def test_margin_leaves_room_around_the_zones(grid):
    tight = static_map(grid, "rate", caption=Caption(date=DATE)).axes[0]
    wide = static_map(grid, "rate", caption=Caption(date=DATE), margin=0.25).axes[0]
    (a0, a1), (b0, b1) = tight.get_xlim(), wide.get_xlim()
    assert b1 - b0 == pytest.approx(1.5 * (a1 - a0))
    (c0, c1), (d0, d1) = tight.get_ylim(), wide.get_ylim()
    assert d1 - d0 == pytest.approx(1.5 * (c1 - c0))


def test_print_layout_of_france_keeps_the_overseas_insets(france, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from territobs.maps.layout import print_map, save_print

    fig = print_map(
        france,
        Layer("rate", unit="%", k=4),
        caption=Caption(date=DATE),
        paper="A3",
    )
    titles = [ax.get_title() for ax in fig.axes]
    for name in ("Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte"):
        assert name in titles
    page = pypdf.PdfReader(save_print(fig, tmp_path / "france.pdf")).pages[0]
    assert round(float(page.mediabox.width)) == 1191  # A3 landscape


def test_print_layout_matches_baseline_image(grid, tmp_path):
    from territobs.maps.layout import print_map

    locator = gpd.GeoDataFrame(
        {"name": ["Département test"]},
        geometry=grid.dissolve().buffer(6000).to_numpy(),
        crs=grid.crs,
    )
    fig = print_map(
        grid,
        Layer("rate", unit="%", k=3),
        caption=Caption(title="Taux de test", source="INSEE", vintage=2021, date=DATE),
        subtitle="Communes de test",
        locator=locator,
        locator_label="Département test",
    )
    _compare(fig, "print-a4.png", tmp_path, dpi=40)
