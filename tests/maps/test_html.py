from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from territobs.errors import CRSError, GeometryError, SourceFormatError
from territobs.formatting import NBSP, NNBSP, format_number
from territobs.maps import (
    Caption,
    Layer,
    Outline,
    Points,
    Reference,
    Tiles,
    choropleth,
)
from territobs.maps._assets import leaflet_css, leaflet_js
from territobs.maps.interactive import _runtime_js

SECRET_VALUE = 87.654321  # the secret value of the grid fixture (conftest.py)


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "action") and value:
                self.refs.append((tag, name, value))


def _data(html_text: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="territobs-data">(.*?)</script>',
        html_text,
        re.S,
    )
    return json.loads(match.group(1))


def test_file_is_self_contained(grid):
    html_text = choropleth(grid, Layer("rate", unit="%")).to_html()
    parser = _Refs()
    parser.feed(html_text)
    assert parser.refs == []  # no src/href at all in markup
    assert "link" not in parser.tags
    assert not re.search(r"<script[^>]*\ssrc\s*=", html_text, re.I)
    assert not re.search(r"<link[^>]*\shref\s*=", html_text, re.I)
    assert not re.search(r"@import|url\((['\"]?)https?:", html_text)
    assert "L.version" in html_text or "1.9.4" in html_text  # Leaflet inlined


def test_names_from_data_are_escaped(grid):
    html_text = choropleth(
        grid, "rate", caption=Caption(title="<b>Titre</b>")
    ).to_html()
    assert "<script>alert" not in html_text
    assert "<b>Titre</b>" not in html_text
    assert "&lt;b&gt;Titre&lt;/b&gt;" in html_text
    assert _data(html_text)["names"][0] == "<script>alert('x')</script> & Cie"


def test_secret_value_appears_nowhere(grid):
    html_text = choropleth(grid, Layer("rate", unit="%", decimals=3)).to_html()
    for text in ("87.65", "87,65", "876.5", "876,5", "87654"):
        assert text not in html_text
    layer = _data(html_text)["layers"][0]
    assert layer["cls"][4] == "*"
    assert layer["v"][4] is None and layer["num"][4] is None
    assert layer["cls"][8] == "-"


def test_secret_numbers_absent_even_from_unrounded_payload(grid):
    grid = grid.assign(rate=grid["rate"].where(~grid["rate__secret"], SECRET_VALUE))
    html_text = choropleth(grid, Layer("rate", decimals=6)).to_html()
    assert str(SECRET_VALUE) not in html_text
    assert "87.654" not in html_text


def test_payload_values_and_tooltip_material(grid):
    m = choropleth(
        grid,
        Layer("rate", unit="%", k=3, reference=Reference(20.0, "Seine-Saint-Denis")),
        tooltip_columns=["pop"],
    )
    data = _data(m.to_html())
    layer = data["layers"][0]
    assert layer["v"][:4] == [5.0, 10.0, 15.0, 20.0]
    assert layer["num"][1] == 100
    assert layer["est"][2] == 35
    assert layer["ref"] == {"label": "Seine-Saint-Denis", "value": 20.0}
    assert data["codes"][0] == "93001"
    assert data["extra"] == [["pop", [str(v) for v in grid["pop"]]]]
    assert m.classes.colors == tuple(layer["colors"])


def test_layers_outlines_and_points(grid):
    epci = gpd.GeoDataFrame(
        {"name": ["EPCI"]}, geometry=[grid.union_all()], crs=grid.crs
    )
    services = gpd.GeoDataFrame(
        {"name": ["MDS <Nord>"]}, geometry=[Point(651_000, 6_861_000)], crs=2154
    )
    m = choropleth(
        grid,
        "rate",
        layers=[Layer("pop", label="Population")],
        outlines=[Outline(epci, "EPCI")],
        points=[Points(services, "Services")],
    )
    data = _data(m.to_html())
    assert [lay["label"] for lay in data["layers"]] == ["rate", "Population"]
    assert data["outlines"][0]["label"] == "EPCI"
    assert data["points"][0]["names"] == ["MDS <Nord>"]
    assert "MDS <Nord>" not in m.to_html()


def test_classes_shared_between_maps(grid):
    first = choropleth(grid, Layer("rate", k=3))
    second = choropleth(
        grid.assign(rate=grid["rate"] * 2), Layer("rate", classes=first.classes)
    )
    assert second.classes.colors == first.classes.colors
    assert second.classes.edges[1:-1] == first.classes.edges[1:-1]
    assert second.classes.labels[-1].endswith("et plus")


def test_bad_inputs(grid):
    with pytest.raises(SourceFormatError, match="absente") as info:
        choropleth(grid, "nope")
    assert info.value.column == "nope"
    with pytest.raises(SourceFormatError, match="numériques"):
        choropleth(grid.assign(txt="a"), "txt")
    with pytest.raises(CRSError):
        choropleth(grid.set_crs(None, allow_override=True), "rate")
    broken = grid.copy()
    broken.loc[2, "geometry"] = None
    with pytest.raises(GeometryError, match="Commune 3") as info:
        choropleth(broken, "rate")
    assert info.value.codes == ["Commune 3"]


def test_jupyter_repr_is_an_iframe(grid):
    text = choropleth(grid, "rate")._repr_html_()
    assert text.startswith("<iframe srcdoc=")
    assert "<script>alert" not in text


@pytest.mark.shared_data
def test_size_budget_one_departement(shared_data, tmp_path):
    path = shared_data / "boundaries/france-geojson/communes-01-ain.geojson"
    communes = gpd.read_file(path).rename(columns={"nom": "name"})
    communes["rate"] = np.linspace(0, 40, len(communes))
    out = tmp_path / "ain.html"
    choropleth(communes, Layer("rate", unit="%")).save(out)
    assert out.stat().st_size <= 500_000


def _secret_forms(value: float) -> set[str]:
    """Every way a number could be written: 0-6 decimals, dot or comma,
    grouped or not, as the map's French formatting or as JSON/Python."""
    forms = {repr(value), str(value), json.dumps(value)}
    for decimals in range(7):
        for rounding in ("half_up", "half_even"):
            text = format_number(value, decimals, rounding=rounding)
            forms |= {text, text.replace(",", "."), text.replace(NNBSP, "")}
            forms.add(text.replace(NNBSP, "").replace(",", "."))
    return forms


def _without_assets(html_text: str) -> str:
    """The file minus what is the same in every map (the inlined Leaflet and
    runtime) and minus the encoded coordinates: short numbers such as ``88``
    legitimately occur there. What remains: markup, names, values, counts,
    shares, labels, captions."""
    for asset in (leaflet_js(), leaflet_css(), _runtime_js()):
        assert asset in html_text
        html_text = html_text.replace(asset, "")
    data = _data(html_text)
    data.pop("geom")
    for outline in data["outlines"]:
        outline.pop("geom")
    markup = re.sub(
        r'(id="territobs-data">).*?(</script>)', r"\1\2", html_text, flags=re.S
    )
    markup = re.sub(r"<style>.*?</style>", "", markup, flags=re.S)  # fixed CSS
    return markup + json.dumps(data, ensure_ascii=False)


def test_secret_value_absent_in_every_formatting(grid):
    numerator = grid.loc[4, "rate__numerator"]  # 876.54321
    m = choropleth(
        grid,
        Layer("rate", unit="%", decimals=2),
        tooltip_columns=["rate", "rate__numerator", "pop"],
        layers=[Layer("rate__numerator", label="Numérateur")],
    )
    html_text = m.to_html()
    data_and_markup = _without_assets(html_text)
    for value in (SECRET_VALUE, numerator, SECRET_VALUE / 100):
        for form in _secret_forms(value):
            if len(form) >= 4:  # long enough not to occur by chance anywhere
                assert form not in html_text, form
            if value != SECRET_VALUE / 100:  # "0.9" is also the first class
                assert form not in data_and_markup, form
    data = _data(html_text)
    for layer in data["layers"]:
        assert layer["cls"][4] == "*"
        assert layer["v"][4] is None
    assert data["extra"][0][1][4] == data["extra"][1][1][4] == "secret statistique"
    assert data["extra"][2][1][4] == "500"  # other columns are not secret


def test_file_does_not_depend_on_the_secret_value(grid):
    """The strongest form: change the secret row's value, numerator and
    denominator, and the file stays byte-identical."""
    other = grid.copy()
    other.loc[4, ["rate", "rate__numerator", "rate__denominator"]] = [1.5, 3.0, 2.0]
    day = dt.date(2025, 1, 1)

    def render(frame):
        return choropleth(
            frame,
            Layer("rate", unit="%", k=3),
            caption=Caption(date=day),
            tooltip_columns=["rate"],
        ).to_html()

    assert render(grid) == render(other)


def test_caption_title_and_provenance(grid):
    html_text = choropleth(
        grid,
        Layer("rate", unit="%"),
        caption=Caption(
            title="Taux de test",
            source="INSEE, Filosofi",
            vintage=2021,
            date=dt.date(2025, 3, 1),
        ),
    ).to_html()
    assert '<h1 id="territobs-title">Taux de test</h1>' in html_text
    caption = re.search(r'<div id="territobs-caption">(.*?)</div>\n', html_text, re.S)
    text = caption.group(1)
    assert "Source : INSEE, Filosofi, millésime 2021" in text
    assert f"jusqu’à 35{NBSP}%" in text
    assert "1 zone sous secret statistique" in text
    assert "Réalisation : territobs, le 1er mars 2025" in text


def test_caption_from_a_recomputed_result(grid):
    """to_geodataframe records each indicator's source and vintage in attrs."""
    frame = grid.copy()
    frame.attrs["territobs"] = {
        "sources": {"rate": {"source": "CAF", "vintage": "2023"}}
    }
    html_text = choropleth(frame, "rate").to_html()
    assert "Source : CAF, millésime 2023" in html_text


def test_no_tiles_by_default_optional_tiles(grid):
    assert _data(choropleth(grid, "rate").to_html())["tiles"] is None
    tiles = Tiles("https://tile.example.org/{z}/{x}/{y}.png", "© contributeurs")
    data = _data(choropleth(grid, "rate", tiles=tiles).to_html())
    assert data["tiles"] == {
        "url": "https://tile.example.org/{z}/{x}/{y}.png",
        "attribution": "© contributeurs",
    }


def test_reference_gives_diverging_colours(grid):
    m = choropleth(
        grid, Layer("rate", k=4, reference=Reference(20.0, "le département"))
    )
    assert 20.0 in m.classes.edges
    layer = _data(m.to_html())["layers"][0]
    assert layer["ref"] == {"label": "le département", "value": 20.0}
    uppers = m.classes.edges[1:]
    below = [c for c, e in zip(layer["colors"], uppers, strict=True) if e <= 20.0]
    above = layer["colors"][len(below) :]
    assert below and above and not set(below) & set(above)


def test_margin_widens_the_initial_view_only(grid):
    plain = _data(choropleth(grid, "rate").to_html())
    wide = _data(choropleth(grid, "rate", margin=0.5).to_html())
    assert plain["view"] is None
    x0, y0, x1, y1 = plain["geom"]["b"]
    assert wide["geom"] == plain["geom"]  # the geometry itself is unchanged
    w0, v0, w1, v1 = wide["view"]
    assert w1 - w0 == pytest.approx(2 * (x1 - x0))
    assert v1 - v0 == pytest.approx(2 * (y1 - y0))
    assert (w0 + w1) / 2 == pytest.approx((x0 + x1) / 2)


def test_caption_with_a_vintage_written_as_text(grid):
    html_text = choropleth(
        grid,
        "rate",
        caption=Caption(
            source="INSEE",
            vintage="Population municipale : millésime 2017 ; contours : COG 2024",
            date=dt.date(2026, 1, 5),
        ),
    ).to_html()
    assert "Source : INSEE<" in html_text or "Source : INSEE\n" in html_text
    assert "millésime Population" not in html_text
    assert "Population municipale : millésime 2017 ; contours : COG 2024" in html_text


def test_large_figures_have_no_decimals_even_alone(grid):
    one = grid.iloc[[1]].assign(pop=[50_252.8])
    prepared = choropleth(one, Layer("pop", unit="habitants")).layers[0]
    assert prepared.decimals == 0
    assert choropleth(grid, Layer("rate", unit="%")).layers[0].decimals == 1


def test_geometry_packed_once_per_set_of_geometries(grid, monkeypatch):
    """An atlas's maps of one zoning (and outlines drawn from the same
    geometries) simplify and encode them once; new geometries are packed."""
    from territobs.maps import _memo, interactive

    calls = []
    real = interactive.pack_geometry

    def counting(geoms, **kwds):
        calls.append(len(geoms))
        return real(geoms, **kwds)

    monkeypatch.setattr(interactive, "pack_geometry", counting)
    monkeypatch.setattr(_memo, "_ENTRIES", [])
    frame = grid[["code", "geometry"]].copy()
    first = _data(
        choropleth(grid, "rate", outlines=[Outline(frame, "Communes")]).to_html()
    )
    again = _data(
        choropleth(grid, "pop", outlines=[Outline(frame, "Communes")]).to_html()
    )
    assert first["outlines"] == again["outlines"]
    # the same shapely objects in both layers and the outline: packed once
    assert calls == [len(frame)]
    frame.geometry = frame.geometry.translate(1000, 0)  # edited in place
    moved = _data(
        choropleth(grid, "rate", outlines=[Outline(frame, "Communes")]).to_html()
    )
    assert moved["outlines"] != first["outlines"]
    assert calls == [len(frame)] * 2


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "\\\\evil.example\\x",
    ],
)
def test_back_link_refuses_scripts_and_other_hosts(grid, link):
    from territobs.errors import ConfigError

    with pytest.raises(ConfigError, match="back_link"):
        choropleth(grid, "rate", back_link=link).to_html()


@pytest.mark.parametrize(
    "link", ["../../index.html", "index.html#z1", "https://obs.example.fr/atlas/"]
)
def test_back_link_accepts_relative_and_http(grid, link):
    assert f'href="{link}"' in choropleth(grid, "rate", back_link=link).to_html()


def test_back_link_is_optional_and_escaped(grid):
    day = Caption(date=dt.date(2026, 1, 1))
    plain = choropleth(grid, "rate", caption=day).to_html()
    assert "territobs-back" not in plain.split("</style>")[-1]
    html_text = choropleth(
        grid, "rate", caption=day, back_link='../index.html?a="b"&c'
    ).to_html()
    body = html_text.split("<body>", 1)[1]
    assert body.lstrip().startswith('<nav aria-label="Navigation">')
    assert 'href="../index.html?a=&#34;b&#34;&amp;c"' in body
    assert "← Retour à l&#39;atlas</a></nav>" in body
