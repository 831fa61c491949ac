"""The four published states on maps: partial figures are marked, with coverage."""

from __future__ import annotations

import json

import pytest

from territobs.maps import Layer, choropleth, static_map


@pytest.fixture
def stated(grid):
    states = ["value"] * 9
    states[2], states[4], states[8] = "partial", "secret", "missing"
    coverage = [""] * 9
    coverage[2] = "3 IRIS sur 4, 80 % de la population"
    return grid.assign(rate__state=states, rate__coverage_label=coverage)


def _data(html: str) -> dict:
    return json.loads(html.split('id="territobs-data">')[1].split("</script>")[0])


def test_partial_figures_travel_with_their_coverage(stated):
    data = _data(choropleth(stated, Layer("rate", unit="%")).to_html())
    layer = data["layers"][0]
    assert layer["part"] == [2]
    assert layer["cov"][2] == "3 IRIS sur 4, 80 % de la population"
    assert layer["cls"][4] == "*" and layer["cls"][8] == "-"


def test_static_legend_says_every_state(stated):
    fig = static_map(stated, Layer("rate", unit="%", k=3))
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[-3:] == [
        "secret statistique",
        "donnée manquante",
        "partielle (couverture incomplète)",
    ]


def test_no_partial_entry_without_partial_figures(grid):
    fig = static_map(grid, Layer("rate", unit="%", k=3))
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert not [t for t in legend if t.startswith("partielle")]
    assert "part" in _data(choropleth(grid, "rate").to_html())["layers"][0]


@pytest.mark.browser
def test_partial_tooltip_and_legend_in_the_browser(
    stated, browser, offline_page, tmp_path
):
    path = tmp_path / "carte.html"
    choropleth(stated, Layer("rate", unit="%", k=3)).save(path)
    errors: list[str] = []
    page, foreign = offline_page(
        browser, path, errors, viewport={"width": 900, "height": 700}
    )
    try:
        page.wait_for_function("window.__territobs_ready !== undefined", timeout=30_000)
        legend = page.locator(".territobs-legend-box").inner_text()
        assert "partielle (couverture incomplète)" in legend
        c = stated.to_crs(4326).geometry.iloc[2].centroid
        point = page.evaluate(
            "([lat, lon]) => { const p = window.__territobs_map.latLngToContainerPoint([lat, lon]);"
            " const r = document.getElementById('territobs-map').getBoundingClientRect();"
            " return [p.x + r.left, p.y + r.top]; }",
            [c.y, c.x],
        )
        page.mouse.move(point[0] + 1, point[1] + 1)
        page.mouse.move(*point)
        tip = page.locator(".leaflet-tooltip")
        tip.wait_for(state="visible", timeout=5_000)
        assert "partielle : 3 IRIS sur 4" in tip.inner_text()
        assert errors == [] and foreign == []
    finally:
        page.close()
