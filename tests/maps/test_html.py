from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from territobs.errors import CRSError, GeometryError, SourceFormatError
from territobs.maps import Layer, Outline, Points, Reference, choropleth

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
    html_text = choropleth(grid, "rate", unit="%").to_html()
    parser = _Refs()
    parser.feed(html_text)
    assert parser.refs == []  # no src/href at all in markup
    assert "link" not in parser.tags
    assert not re.search(r"<script[^>]*\ssrc\s*=", html_text, re.I)
    assert not re.search(r"<link[^>]*\shref\s*=", html_text, re.I)
    assert not re.search(r"@import|url\((['\"]?)https?:", html_text)
    assert "L.version" in html_text or "1.9.4" in html_text  # Leaflet inlined


def test_names_from_data_are_escaped(grid):
    html_text = choropleth(grid, "rate", title="<b>Titre</b>").to_html()
    assert "<script>alert" not in html_text
    assert "<b>Titre</b>" not in html_text
    assert "&lt;b&gt;Titre&lt;/b&gt;" in html_text
    assert _data(html_text)["names"][0] == "<script>alert('x')</script> & Cie"


def test_secret_value_appears_nowhere(grid):
    html_text = choropleth(grid, "rate", unit="%", decimals=3).to_html()
    for text in ("87.65", "87,65", "876.5", "876,5", "87654"):
        assert text not in html_text
    layer = _data(html_text)["layers"][0]
    assert layer["cls"][4] == "*"
    assert layer["v"][4] is None and layer["num"][4] is None
    assert layer["cls"][8] == "-"


def test_secret_numbers_absent_even_from_unrounded_payload(grid):
    grid = grid.assign(rate=grid["rate"].where(~grid["rate__secret"], SECRET_VALUE))
    html_text = choropleth(grid, "rate", decimals=6).to_html()
    assert str(SECRET_VALUE) not in html_text
    assert "87.654" not in html_text


def test_payload_values_and_tooltip_material(grid):
    m = choropleth(
        grid,
        "rate",
        unit="%",
        k=3,
        reference=Reference(20.0, "Seine-Saint-Denis"),
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
    first = choropleth(grid, "rate", k=3)
    second = choropleth(
        grid.assign(rate=grid["rate"] * 2), "rate", classes=first.classes
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
    choropleth(communes, "rate", unit="%").save(out)
    assert out.stat().st_size <= 500_000
