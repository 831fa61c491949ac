"""Names on maps: anchors inside their polygons, no overlap, density rule."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from territobs.maps import Layer, choropleth, static_map
from territobs.maps.labels import label_anchors


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0, 100), st.floats(0, 100), st.floats(1, 50), st.floats(1, 50)
        ),
        min_size=1,
        max_size=8,
    )
)
def test_anchor_lies_inside_its_polygon(rects):
    """Every anchor lies in its feature; features are placed largest first."""
    shapes = []
    for x, y, w, h in rects:
        # an L shape: its centroid can fall outside it
        shapes.append(box(x, y, x + w, y + h / 5).union(box(x, y, x + w / 5, y + h)))
    anchors = label_anchors(gpd.GeoSeries(shapes, crs=2154))
    for i, shape in enumerate(shapes):
        assert shape.buffer(1e-6).contains(Point(anchors.x[i], anchors.y[i]))
    sizes = anchors.size[anchors.order]
    assert np.all(np.diff(sizes) <= 0)


def _cells(n: int, step: float = 2000.0) -> gpd.GeoDataFrame:
    cells = [
        box(
            650_000 + step * i,
            6_860_000 + step * j,
            650_000 + step * (i + 1),
            6_860_000 + step * (j + 1),
        )
        for j in range(n)
        for i in range(n)
    ]
    return gpd.GeoDataFrame(
        {
            "code": [f"93{k:03d}" for k in range(n * n)],
            "name": [f"Commune {k}" for k in range(n * n)],
            "rate": np.arange(n * n, dtype=float),
        },
        geometry=cells,
        crs=2154,
    )


def _boxes_overlap(boxes) -> bool:
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                return True
    return False


def test_static_labels_do_not_overlap_and_thin_out():
    fig = static_map(_cells(8), Layer("rate", unit="%", k=3))
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    names = [
        t
        for t in ax.texts
        if t.get_text().startswith("Commune") and t.get_gid() != "territobs-halo"
    ]
    assert 0 < len(names) < 64  # some named, not all: the density rule
    boxes = [tuple(t.get_window_extent(renderer).extents) for t in names]
    assert not _boxes_overlap(boxes)
    frame = ax.get_window_extent(renderer)
    for x0, y0, x1, y1 in boxes:
        assert frame.x0 <= x0 and x1 <= frame.x1 and frame.y0 <= y0 and y1 <= frame.y1


def test_static_labels_can_be_turned_off():
    fig = static_map(_cells(2), Layer("rate", unit="%", k=2), labels=False)
    assert not [t for t in fig.axes[0].texts if t.get_text().startswith("Commune")]


def test_one_zone_map_is_a_locator_with_its_figure():
    one = _cells(1).assign(name=["PST Clichy"], rate=[50253.0])
    fig = static_map(one, Layer("rate", unit="habitants"))
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["PST Clichy : 50\u202f253\u00a0habitants"]
    html = choropleth(one, Layer("rate", unit="habitants")).to_html()
    assert "PST Clichy : 50\u202f253\u00a0habitants" in html
    assert "0,0" not in html.split('id="territobs-data">')[1].split("</script>")[0]


def test_one_zone_without_value_has_no_phantom_class():
    one = _cells(1).assign(name=["PST"], rate=[np.nan])
    fig = static_map(one, Layer("rate", unit="habitants"))
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["donnée manquante"]


def test_tooltips_show_official_codes_only():
    frame = _cells(2).assign(code=["est-ensemble", "93001", "751010101", "zone_3"])
    m = choropleth(frame, "rate")
    data = m.to_html().split('id="territobs-data">')[1]
    assert '"codes":["","93001","751010101",""]' in data


@pytest.mark.browser
def test_browser_labels_present_escaped_and_apart(browser, offline_page, tmp_path):
    frame = _cells(6)
    frame.loc[0, "name"] = "<b>Hostile</b> & Cie"
    m = choropleth(frame, Layer("rate", k=3))
    path = tmp_path / "carte.html"
    m.save(path)
    errors: list[str] = []
    page, foreign = offline_page(
        browser, path, errors, viewport={"width": 900, "height": 700}
    )
    try:
        page.wait_for_function("window.__territobs_ready !== undefined", timeout=30_000)
        boxes = page.evaluate(
            "Array.from(document.querySelectorAll('.territobs-label'))"
            ".filter(e => e.style.display === 'block')"
            ".map(e => { const r = e.getBoundingClientRect();"
            " return [r.left, r.top, r.right, r.bottom, e.textContent]; })"
        )
        assert len(boxes) >= 4
        assert not _boxes_overlap([b[:4] for b in boxes])
        texts = {b[4] for b in boxes}
        assert texts <= set(frame["name"])
        assert page.locator("b").count() == 0  # the hostile name stays text
        shown = len(boxes)
        page.evaluate("window.__territobs_map.zoomOut(2)")
        page.wait_for_timeout(500)
        fewer = page.evaluate("window.__territobs_labels")
        assert fewer < shown  # the density rule: small zones lose their names
        page.get_by_label("Noms").uncheck()
        assert page.evaluate("window.__territobs_labels") == 0
        assert errors == [] and foreign == []
    finally:
        page.close()
