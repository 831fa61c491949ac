"""The index page and a portrait render in headless chromium, offline."""

from __future__ import annotations

import pytest

from territobs.atlas import load_config

pytestmark = pytest.mark.browser


def test_index_renders_offline(browser, offline_page, built_atlas) -> None:
    config_path, _ = built_atlas
    out = load_config(config_path).output
    page, external = offline_page(browser, out / "index.html")
    text = page.inner_text("body")
    assert "Atlas d'essai <93>" in text
    assert "Sources et millésimes" in text
    assert "Population municipale" in text
    assert external == []
    page.close()


def test_portrait_renders_offline(browser, offline_page, built_atlas) -> None:
    config_path, _ = built_atlas
    out = load_config(config_path).output
    page, external = offline_page(
        browser, out / "portraits" / "communes" / "93001.html"
    )
    text = page.inner_text("body")
    assert "Aubervilliers" in text
    assert "Plaine Commune" in text
    assert "Densité de population" in text
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert external == []
    page.close()
