"""Build the demo atlas and take screenshots of each kind of output.

Run from the project root (it takes about two minutes)::

    .venv/bin/python docs/gen_screenshots.py

It builds the demo atlas (``territobs.datasets.demo_path()``, maps also as SVG print
layouts) into a temporary folder, opens its pages in headless Chromium
(Debian's ``/usr/bin/chromium``, driven by Playwright, every network request
blocked) and writes small PNG files into ``docs/images/``, shown by
``docs/guide/outputs.md``. The images are committed: regenerate them when an
output changes.
"""

from __future__ import annotations

import dataclasses
import io
import sys
import tempfile
import warnings
from pathlib import Path

IMAGES = Path(__file__).resolve().parent / "images"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: name -> (page of the atlas, viewport, full page, what to wait for)
SHOTS = {
    "index": ("index.html", (1200, 900), False, None),
    "journal": ("journal.html", (1200, 700), False, None),
    "carte-zones": ("maps/bassins-93/population.html", (1200, 800), False, "map"),
    "carte-communes": ("maps/communes-93/density.html", (1200, 800), False, "map"),
    "carte-pst": ("maps/pst/population.html", (1200, 800), False, "map"),
    "mise-en-page-a4": ("maps/communes-93/density.svg", (1123, 794), False, None),
    "portrait": ("portraits/pst/pst-clichy-montfermeil.html", (1200, 900), True, None),
}
#: Width of the committed images (pixels), and their number of colours.
WIDTH = 1000
COLOURS = 128


def build(folder: Path) -> Path:
    """Build the demo atlas into ``folder`` (with SVG print layouts)."""
    from territobs.atlas.config import load_config
    from territobs.cli.atlas import run_build
    from territobs.datasets import demo_path

    config = load_config(demo_path() / "atlas.toml")
    maps = dataclasses.replace(config.maps, formats=("html", "png", "pdf", "svg"))
    config = dataclasses.replace(config, output=folder, maps=maps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_build(config, force=True, quiet_progress=True)
    return folder


def shrink(png: bytes) -> bytes:
    """Resize to :data:`WIDTH` and reduce the palette: small files for git."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.width > WIDTH:
        height = round(image.height * WIDTH / image.width)
        image = image.resize((WIDTH, height), Image.LANCZOS)
    image = image.quantize(COLOURS, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def shoot(atlas: Path, images: Path) -> list[Path]:
    """Take the screenshots of :data:`SHOTS`; return the files written."""
    from playwright.sync_api import sync_playwright

    images.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, (page_path, (width, height), full, wait) in SHOTS.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            foreign: list[str] = []

            def route(r, foreign=foreign):
                if r.request.url.startswith(("file:", "data:")):
                    r.continue_()
                else:
                    foreign.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto((atlas / page_path).as_uri())
            if wait == "map":
                page.wait_for_function("window.__territobs_ready !== undefined")
            page.wait_for_timeout(300)
            if foreign:
                raise RuntimeError(f"{page_path} made requests: {foreign}")
            path = images / f"{name}.png"
            path.write_bytes(shrink(page.screenshot(full_page=full)))
            written.append(path)
            page.close()
        browser.close()
    return written


def main() -> int:
    """Build, shoot, and list the images written."""
    with tempfile.TemporaryDirectory(prefix="territobs-shots-") as tmp:
        atlas = build(Path(tmp) / "atlas")
        for path in shoot(atlas, IMAGES):
            print(
                f"{path.relative_to(IMAGES.parent.parent)} ({path.stat().st_size // 1024} Ko)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
