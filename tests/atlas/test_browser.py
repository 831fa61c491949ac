"""The index page and a portrait render in headless chromium, offline."""

from __future__ import annotations

import os
import shutil

import pytest

from territobs.atlas import load_config

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is absent (CI is set)")
        pytest.skip(f"{CHROMIUM} is absent (make chromium installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _open(browser, path):
    """Open ``path`` with every non-file request blocked and recorded."""
    page = browser.new_page()
    external: list[str] = []

    def route(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, external


def test_index_renders_offline(browser, built_atlas) -> None:
    config_path, _ = built_atlas
    out = load_config(config_path).output
    page, external = _open(browser, out / "index.html")
    text = page.inner_text("body")
    assert "Atlas d'essai <93>" in text
    assert "Sources et millésimes" in text
    assert "Population municipale" in text
    assert external == []
    page.close()


def test_portrait_renders_offline(browser, built_atlas) -> None:
    config_path, _ = built_atlas
    out = load_config(config_path).output
    page, external = _open(browser, out / "portraits" / "communes" / "93001.html")
    text = page.inner_text("body")
    assert "Aubervilliers" in text
    assert "Plaine Commune" in text
    assert "Densité de population" in text
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert external == []
    page.close()
