"""Open exported maps in headless Chromium with every network request blocked."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from matplotlib import image as mpimg
from matplotlib.colors import to_rgb
from shapely.geometry import Point

from territobs.maps import Caption, Layer, Outline, Points, Reference, choropleth
from territobs.maps.legend import NBSP, NNBSP, format_value
from territobs.maps.palettes import SECRET_COLOR

pytestmark = pytest.mark.browser


@pytest.fixture
def open_offline(browser, offline_page, tmp_path):
    """Open a map file with all network blocked; return (page, foreign requests)."""
    pages = []

    def _open(map_):
        path = tmp_path / "carte.html"
        map_.save(path)
        errors: list[str] = []
        viewport = {"width": 900, "height": 700}
        page, foreign = offline_page(browser, path, errors, viewport=viewport)
        pages.append(page)
        page.wait_for_function("window.__territobs_ready !== undefined", timeout=30_000)
        assert errors == []
        return page, foreign

    yield _open
    for page in pages:
        page.close()


def _pixels(page) -> np.ndarray:
    shot = page.locator("#territobs-map").screenshot(type="png")
    import io

    return (
        (mpimg.imread(io.BytesIO(shot), format="png")[..., :3] * 255)
        .round()
        .astype(int)
    )


def _has_color(pixels: np.ndarray, color: str, tol: int = 3) -> bool:
    rgb = np.array([round(255 * c) for c in to_rgb(color)])
    return bool(np.any(np.all(np.abs(pixels - rgb) <= tol, axis=-1)))


def _hover(page, lat: float, lon: float) -> str:
    point = page.evaluate(
        "([lat, lon]) => { const p = window.__territobs_map.latLngToContainerPoint([lat, lon]);"
        " const r = document.getElementById('territobs-map').getBoundingClientRect();"
        " return [p.x + r.left, p.y + r.top]; }",
        [lat, lon],
    )
    page.mouse.move(point[0] + 1, point[1] + 1)
    page.mouse.move(*point)
    tip = page.locator(".leaflet-tooltip")
    tip.wait_for(state="visible", timeout=5_000)
    return tip.inner_text()


def _centre(grid, row):
    c = grid.to_crs(4326).geometry.iloc[row].centroid
    return c.y, c.x


def test_renders_offline_with_legend_colours_and_tooltip(grid, open_offline):
    m = choropleth(
        grid,
        Layer("rate", unit="%", k=3, reference=Reference(20.0, "Seine-Saint-Denis")),
        caption=Caption(title="Taux de test"),
    )
    page, foreign = open_offline(m)
    pixels = _pixels(page)
    assert pixels.std() > 10  # not blank
    for color in m.classes.colors:
        assert _has_color(pixels, color), color
    assert _has_color(pixels, SECRET_COLOR)
    legend = page.locator(".territobs-legend-box").inner_text()
    for label in m.classes.labels:
        assert label.replace(NBSP, " ") in legend.replace(NBSP, " ")
    assert "secret statistique" in legend
    assert "donnée manquante" in legend
    assert "Taux de test" in page.locator("#territobs-title").inner_text()

    text = _hover(page, *_centre(grid, 1)).replace(NBSP, " ")
    assert "Commune 2 (93002)" in text
    assert format_value(10.0, "%", 1).replace(NBSP, " ") in text
    assert "Écart à Seine-Saint-Denis" in text
    assert foreign == []


def test_secret_and_hostile_names_in_the_browser(grid, open_offline):
    page, foreign = open_offline(choropleth(grid, Layer("rate", unit="%")))
    scripts = page.evaluate("document.scripts.length")
    text = _hover(page, *_centre(grid, 0))
    assert "<script>alert('x')</script> & Cie" in text  # shown as text
    assert page.evaluate("document.scripts.length") == scripts
    text = _hover(page, *_centre(grid, 4))
    assert "secret statistique" in text
    assert "87" not in text
    assert foreign == []


def test_layer_switch_restyles(grid, open_offline):
    m = choropleth(grid, Layer("rate", k=3), layers=["pop"])
    page, foreign = open_offline(m)
    page.get_by_label("pop").check()
    page.wait_for_timeout(200)
    legend = page.locator(".territobs-legend-box").inner_text()
    assert legend.startswith("pop")
    pixels = _pixels(page)
    for color in m.layers[1].classes.colors:
        assert _has_color(pixels, color), color
    assert foreign == []


def test_tooltip_details_counts_estimate_and_reference(grid, open_offline):
    m = choropleth(
        grid, Layer("rate", unit="%", k=3, reference=Reference(20.0, "la SSD"))
    )
    page, foreign = open_offline(m)
    text = _hover(page, *_centre(grid, 2)).replace(NBSP, " ").replace(NNBSP, " ")
    assert "Commune 3 (93003)" in text
    assert "15,0 %" in text
    assert "Numérateur\t150" in text
    assert "Dénominateur\t1 000" in text
    assert "Part estimée\t35 %" in text
    assert "Écart à la SSD (20,0 %)\t-5,0 points" in text
    text = _hover(page, *_centre(grid, 8))
    assert "donnée manquante" in text
    assert foreign == []


def test_hostile_layer_labels_stay_text(grid, open_offline):
    """Leaflet's layer switcher writes names with innerHTML: labels taken from
    data (column names) must be escaped, never become elements or requests."""
    hostile = "<img src='https://evil.example/x.png' onerror='window.__pwned=1'>"
    services = gpd.GeoDataFrame(
        {"name": ["<b>MDS</b>"]}, geometry=[Point(653_000, 6_863_000)], crs=2154
    )
    m = choropleth(
        grid.assign(**{hostile: grid["pop"]}),
        "rate",
        layers=[hostile],
        outlines=[Outline(grid.dissolve(), "<i>EPCI</i>", color="#000000")],
        points=[Points(services, "<u>Services</u>", color="#d55e00")],
    )
    page, foreign = open_offline(m)
    control = page.locator(".leaflet-control-layers")
    text = control.inner_text()
    assert hostile in text and "<i>EPCI</i>" in text and "<u>Services</u>" in text
    assert control.locator("img, i, u").count() == 0
    assert page.evaluate("window.__pwned") is None
    pixels = _pixels(page)
    assert _has_color(pixels, "#d55e00")  # the point is drawn on top
    page.get_by_label(hostile).check()
    page.wait_for_timeout(200)
    assert page.locator(".territobs-legend-box").inner_text().startswith(hostile)
    assert foreign == []
