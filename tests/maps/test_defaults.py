"""What a map says without being told: catalogue label and unit, provenance,
weighting kind in the caption; and how the static map uses its page."""

from __future__ import annotations

import datetime as dt
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from territobs.formatting import NBSP
from territobs.maps import (
    Caption,
    Layer,
    caption_from_result,
    choropleth,
    make_caption,
    static_map,
)
from territobs.maps.caption import weighting_text

DATE = dt.date(2025, 1, 1)
LABEL = "Population municipale"
SOURCE = "INSEE, Recensement de la population"


def _data(html_text: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="territobs-data">(.*?)</script>',
        html_text,
        re.S,
    )
    return json.loads(match.group(1))


def _caption(html_text: str) -> list[str]:
    block = re.search(r'<div id="territobs-caption">(.*?)</div>\n', html_text, re.S)
    return re.findall(r"<div>(.*?)</div>", block.group(1))


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    """Three square communes in Lambert-93 with their population (2021)."""
    frame = gpd.GeoDataFrame(
        {"code": ["a", "b", "c"], "population": [1000.0, 2000.0, 3000.0]},
        geometry=[
            box(650_000 + 2000 * i, 6_860_000, 652_000 + 2000 * i, 6_862_000)
            for i in range(3)
        ],
        crs=2154,
    )
    frame.attrs["territobs"] = {"vintage": "2021"}
    return frame


@pytest.fixture
def wide(units) -> gpd.GeoDataFrame:
    """``to_geodataframe`` of a recomputed population: a zone cutting a commune."""
    from territobs.zoning.recompute import recompute
    from territobs.zoning.result import to_geodataframe
    from territobs.zoning.zones import zones_from_polygons

    zones = zones_from_polygons(
        gpd.GeoDataFrame(
            {"zone": ["ouest", "est"], "name": ["Ouest", "Est"]},
            geometry=[
                box(650_000, 6_860_000, 653_000, 6_862_000),
                box(653_000, 6_860_000, 656_000, 6_862_000),
            ],
            crs=2154,
        )
    )
    result = recompute(units, zones, "population")
    assert set(result["method"]) == {"area"}
    return to_geodataframe(result, zones)


# ------------------------------------------------------------ label and unit


def test_tooltip_and_legend_use_the_catalogue_label_and_unit(wide):
    layer = _data(choropleth(wide, "population").to_html())["layers"][0]
    assert layer["label"] == LABEL
    assert layer["unit"] == "habitants"


def test_static_legend_uses_the_catalogue_label_and_unit(wide):
    fig = static_map(wide, "population", caption=Caption(date=DATE))
    assert fig.legends[0].get_title().get_text() == f"{LABEL} (habitants)"


def test_a_plain_column_named_after_an_indicator_gets_its_label(units):
    layer = _data(choropleth(units, "population", name_column="code").to_html())
    assert layer["layers"][0]["label"] == LABEL


def test_explicit_label_and_unit_win(wide):
    layer = _data(
        choropleth(wide, Layer("population", label="Habitants", unit="hab.")).to_html()
    )["layers"][0]
    assert (layer["label"], layer["unit"]) == ("Habitants", "hab.")
    layer = _data(choropleth(wide, Layer("population", unit="")).to_html())["layers"][0]
    assert (layer["label"], layer["unit"]) == (LABEL, "")  # unit="": no unit
    fig = static_map(
        wide, Layer("population", label="Habitants"), caption=Caption(date=DATE)
    )
    assert fig.legends[0].get_title().get_text() == "Habitants (habitants)"


def test_other_columns_keep_their_name(grid):
    layer = _data(choropleth(grid, "rate").to_html())["layers"][0]
    assert (layer["label"], layer["unit"]) == ("rate", None)


def test_extra_layers_get_the_catalogue_label_too(units):
    frame = units.assign(households=[400.0, 800.0, 1200.0])
    layers = _data(
        choropleth(
            frame, "population", layers=["households"], name_column="code"
        ).to_html()
    )["layers"]
    assert [(lay["label"], lay["unit"]) for lay in layers] == [
        (LABEL, "habitants"),
        ("Nombre de ménages", "ménages"),
    ]


# ---------------------------------------------------------------- caption


def test_caption_carries_source_vintage_and_weighting(wide):
    lines = _caption(
        choropleth(wide, "population", caption=Caption(date=DATE)).to_html()
    )
    assert lines[0] == f"Source : {SOURCE}, millésime 2021"
    assert lines[1].startswith(
        "Méthode : valeurs estimées pour les zones qui coupent des communes "
        f"(jusqu’à 50{NBSP}% de la valeur)"
    )
    fig = static_map(wide, "population", caption=Caption(date=DATE))
    static = fig.texts[-1].get_text()
    assert f"Source : {SOURCE}, millésime 2021" in static


def test_caption_source_from_the_catalogue_without_attrs(wide):
    companions = ("__method", "__source", "__vintage")
    plain = wide.drop(columns=[c for c in wide.columns if c.endswith(companions)])
    plain.attrs = {}
    lines = _caption(
        choropleth(plain, "population", caption=Caption(date=DATE)).to_html()
    )
    assert lines[0] == f"Source : {SOURCE}"


def test_caption_from_companion_columns(wide):
    """``{id}__method``, ``__source``, ``__vintage`` survive a GeoPackage."""
    frame = wide.assign(
        population__method="population",
        population__source="INSEE, RP",
        population__vintage="2020",
    )
    frame.attrs = {}
    lines = _caption(
        choropleth(frame, "population", caption=Caption(date=DATE)).to_html()
    )
    assert lines[0] == "Source : INSEE, RP, millésime 2020"
    assert lines[1].endswith(
        "par répartition selon la population localisée finement "
        "(carreaux, points ou raster)"
    )


@pytest.mark.parametrize(
    ("methods", "expected"),
    [
        (["exact", "area"], "selon la surface"),
        (["population"], "selon la population localisée finement"),
        (["mixed"], "ou selon la surface là où elle manque"),
        (["area", "population"], "ou selon la surface là où elle manque"),
        ([], "selon la surface ou la population"),
        (["population_weighted_mean_of_medians"], "selon la surface ou la"),
    ],
)
def test_caption_names_the_weighting_kind(methods, expected):
    line = make_caption(estimated_share=[0.0, 0.4], method=methods, date=DATE)[0]
    assert line.startswith(
        "Méthode : valeurs estimées pour les zones qui coupent des communes "
        f"(jusqu’à 40{NBSP}% de la valeur), par répartition "
    )
    assert expected in line
    assert expected in weighting_text(methods)


def test_caption_of_exact_values():
    line = make_caption(estimated_share=[0.0, 0.0], date=DATE)[0]
    assert line == "Méthode : valeurs exactes (zones formées de communes entières)"


def test_caption_from_result_reads_the_method_column():
    result = pd.DataFrame(
        {
            "indicator": ["pop", "pop"],
            "source": ["INSEE", "INSEE"],
            "vintage": ["2021", "2021"],
            "estimated_share": [0.0, 0.25],
            "method": ["exact", "area"],
            "approximation": ["", ""],
            "secret": [False, False],
        }
    )
    lines = caption_from_result(result, "pop", date=DATE)
    assert lines[0] == "Source : INSEE, millésime 2021"
    assert lines[1].endswith(
        f"(jusqu’à 25{NBSP}% de la valeur), par répartition selon la surface"
    )


def test_cli_map_of_a_recompute_geopackage(wide, tmp_path):
    """``territobs recompute -o resultat.gpkg`` then ``territobs map``: the
    GeoPackage keeps no attrs; the catalogue gives the label, the companion
    columns written by ``to_geodataframe`` the source, vintage and method."""
    from territobs.cli import cli

    path = tmp_path / "resultat.gpkg"
    wide.to_file(path, driver="GPKG", layer="resultats")
    out = tmp_path / "carte.html"
    run = CliRunner().invoke(
        cli, ["map", str(path), "-c", "population", "-o", str(out)]
    )
    assert run.exit_code == 0, run.output
    html_text = out.read_text(encoding="utf-8")
    assert _data(html_text)["layers"][0]["label"] == LABEL
    lines = _caption(html_text)
    assert lines[0] == f"Source : {SOURCE}, millésime 2021"
    assert lines[1].endswith("par répartition selon la surface")


# ------------------------------------------------------------ static layout


def _context() -> gpd.GeoDataFrame:
    """Communes around the zone, well beyond the map's margin."""
    return gpd.GeoDataFrame(
        geometry=[
            box(
                640_000 + 4000 * i,
                6_850_000 + 4000 * j,
                644_000 + 4000 * i,
                6_854_000 + 4000 * j,
            )
            for i in range(8)
            for j in range(7)
        ],
        crs=2154,
    )


def _zone(x0: float, y0: float, x1: float, y1: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["z"], "name": ["Zone"], "density": [5749.0]},
        geometry=[box(x0, y0, x1, y1)],
        crs=2154,
    )


WIDE_ZONE = (650_000, 6_860_000, 660_000, 6_865_000)
TALL_ZONE = (650_000, 6_860_000, 654_000, 6_872_000)


@pytest.mark.parametrize("bounds", [WIDE_ZONE, TALL_ZONE])
def test_context_outlines_reach_the_edge_of_the_map(bounds):
    fig = static_map(
        _zone(*bounds),
        Layer("density", unit="hab./km²"),
        caption=Caption(date=DATE),
        outlines=[(_context(), "Communes")],
        margin=0.15,
    )
    fig.canvas.draw()
    ax = fig.axes[0]
    given, drawn = ax.get_position(original=True), ax.get_position()
    # the box is not shrunk to the view's shape: lines are cut at its edge
    np.testing.assert_allclose(drawn.bounds, given.bounds, atol=1e-3)
    # and dark outline pixels touch the four sides of the box given to the map
    pixels = np.asarray(fig.canvas.buffer_rgba())[::-1, :, :3].astype(int)
    height, width = pixels.shape[:2]
    x0, x1 = round(given.x0 * width) + 2, round(given.x1 * width) - 3
    y0, y1 = round(given.y0 * height) + 2, round(given.y1 * height) - 3
    dark = pixels.max(axis=2) < 100
    for side in (dark[y0:y1, x0], dark[y0:y1, x1], dark[y0, x0:x1], dark[y1, x0:x1]):
        assert side.any()
    # a thin frame shows where the context is cut
    assert ax.axison and ax.spines["left"].get_visible()


def test_wide_map_spans_the_page_with_the_legend_below():
    fig = static_map(
        _zone(*WIDE_ZONE), "density", caption=Caption(title="Large", date=DATE)
    )
    fig.canvas.draw()
    ax, legend = fig.axes[0], fig.legends[0]
    assert ax.get_position().width > 0.9
    box_legend = legend.get_window_extent().transformed(fig.transFigure.inverted())
    assert box_legend.y1 <= ax.get_position().y0 + 1e-3
    caption = fig.texts[-1].get_window_extent().transformed(fig.transFigure.inverted())
    assert caption.y1 <= box_legend.y0 + 1e-3


def test_tall_map_keeps_the_legend_on_its_right():
    fig = static_map(_zone(*TALL_ZONE), "density", caption=Caption(date=DATE))
    fig.canvas.draw()
    ax, legend = fig.axes[0], fig.legends[0]
    box_legend = legend.get_window_extent().transformed(fig.transFigure.inverted())
    assert box_legend.x0 >= ax.get_position().x1 - 1e-3
    assert ax.get_position().height > 0.75


def test_no_frame_without_context(grid):
    ax = static_map(grid, "rate", caption=Caption(date=DATE)).axes[0]
    assert not ax.axison
