"""Print layouts: exact paper sizes, embedded fonts, searchable text, furniture."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pytest
from numpy.testing import assert_allclose

from territobs.maps.layers import Caption, Layer
from territobs.maps.layout import _nice_length, page_size, print_map, save_print

pypdf = pytest.importorskip("pypdf")

#: Points of the paper sizes (portrait), ISO 216.
POINTS = {"A4": (595.28, 841.89), "A3": (841.89, 1190.55)}


def _layout(grid, **kwargs):
    return print_map(
        grid,
        Layer("rate", unit="%", k=3),
        caption=Caption(
            title="Taux de test",
            source="INSEE",
            vintage=2021,
            date=dt.date(2026, 1, 2),
        ),
        subtitle="Communes de test",
        # a wider territory: the zones cover a small part of it
        locator=gpd.GeoDataFrame(
            {"name": ["Département test"]},
            geometry=grid.dissolve().buffer(6000).to_numpy(),
            crs=grid.crs,
        ),
        locator_label="Département test",
        **kwargs,
    )


def _fonts(page) -> list:
    fonts = []
    for ref in page["/Resources"]["/Font"].values():
        font = ref.get_object()
        for child in font.get("/DescendantFonts", [font]):
            fonts.append(child.get_object())
    return fonts


@pytest.mark.parametrize("paper", ["A4", "A3"])
@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
def test_pdf_has_the_paper_size_embedded_fonts_and_text(
    grid, tmp_path, paper, orientation
):
    path = save_print(
        _layout(grid, paper=paper, orientation=orientation), tmp_path / "carte.pdf"
    )
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == 1
    page = reader.pages[0]
    width, height = POINTS[paper]
    if orientation == "landscape":
        width, height = height, width
    assert_allclose(
        [float(page.mediabox.width), float(page.mediabox.height)],
        [width, height],
        atol=0.5,
    )
    fonts = _fonts(page)
    assert fonts
    for font in fonts:
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor  # TrueType program embedded
        assert "DejaVuSans" in str(font["/BaseFont"])
    text = page.extract_text()
    for expected in (
        "Taux de test",
        "Communes de test",
        "Source : INSEE",
        "millésime 2021",
        "2 janvier 2026",
        "Département test",
        "N",
        "Commune 2",
    ):
        assert expected in text, expected
    assert "km" in text  # the scale bar


def test_svg_keeps_the_page_size(grid, tmp_path):
    path = save_print(
        _layout(grid, paper="A4", orientation="portrait"), tmp_path / "carte.svg"
    )
    head = path.read_text(encoding="utf-8")[:2000]
    assert 'width="595.' in head and 'height="841.' in head


def test_page_size_refuses_unknown_paper():
    with pytest.raises(ValueError, match="A5"):
        page_size("A5", "portrait")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="oblique"):
        page_size("A4", "oblique")  # type: ignore[arg-type]


@pytest.mark.parametrize("span", [3.0, 800.0, 11_000.0, 950_000.0])
def test_scale_bar_length_is_round_and_fits(span):
    length = _nice_length(span)
    mantissa = length / 10 ** int(f"{length:e}".split("e")[1])
    assert round(mantissa, 9) in (1.0, 2.0, 5.0)
    assert span / 12.5 <= length <= span / 5


def test_figures_display_in_notebooks(grid):
    """A figure made without pyplot still shows in Jupyter (a PNG formatter)."""
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    from matplotlib.figure import Figure

    shell = interactiveshell.InteractiveShell.instance()
    try:
        fig = _layout(grid)
        data, _ = shell.display_formatter.format(fig)
        assert data["image/png"][:4] == b"\x89PNG"
        assert isinstance(fig, Figure)
    finally:
        interactiveshell.InteractiveShell.clear_instance()


def test_no_locator_when_the_zones_fill_their_territory(grid):
    fig = print_map(grid, "rate", locator=grid.dissolve(), locator_label="Tout")
    assert len(fig.axes) == 1
    assert "Tout" not in [t.get_text() for t in fig.texts]
