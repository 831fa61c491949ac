"""Run every benchmark of this folder and gather their tables into docs/performance.md.

Usage::

    python benchmarks/run_all.py           # full sizes (national data, long)
    python benchmarks/run_all.py weights   # only bench_weights.py, then the report
    python benchmarks/run_all.py --report  # rebuild the docs from results/ only
    python benchmarks/run_all.py --quick   # reduced sizes, for a quick look
    make bench [ONLY="weights maps"] [REPORT=1]   # the same through make
    TERRITOBS_BENCH_QUICK=1 make bench      # reduced sizes through make

In full mode each script runs with the command its tables on the page record
(:func:`planned_runs`), so ``make bench`` reproduces exactly what the page
shows; reduced-size results (``*-quick``) never replace a full table.

Each ``bench_<topic>.py`` is a plain script that measures territobs side by side
with the tool a user would otherwise pick (the skilled shapely-2 code, tobler,
exactextract, geopandas ``explore()``, a hand-written geopandas loop...) in the
same run, each contender in its own process, and writes ``results/<topic>.md``
and ``results/<topic>.json``. Nothing here is asserted: numbers are reported.

:func:`write_report` rebuilds ``docs/performance.md`` (and the robustness
catalogue, ``docs/robustness.md``) from the files of ``results/`` only: the
summary of issue 18's targets and the ratios at a glance are computed from the
JSON files, never typed by hand, so they always say what the last runs
measured. At the end of a run the same ratios are printed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _measure import ratio_text, spread  # noqa: E402

RESULTS = HERE / "results"
DOCS = HERE.parent / "docs"
DOC = DOCS / "performance.md"
ROBUSTNESS = DOCS / "robustness.md"

# Sections in this order; any other result file comes after, by name.
ORDER = [
    "weights",
    "maps_fullres",
    "atlas-zones",
    "atlas",
    "population",
    "maps",
    "demo",
    "labels",
    "read_communes",
    "scenarios",
    "secrecy_national-real",
    "secrecy_national-35000",
    "secrecy_leaks",
]
# Result files that are not performance tables (written elsewhere, or kept
# only as raw data of another table).
NOT_HERE = {"hostile", "hostile-main", "min_versions"}
# Several result files of one script: a heading of their own for each.
HEADINGS = {
    "secrecy_national-35000": "Secrecy at national scale: 35,000 synthetic "
    "communes, one count",
    "secrecy_national-real": "Secrecy at national scale: the real communes, ten counts",
}
# Reduced-size tables kept because no full run of the same benchmark exists.
QUICK_REASONS = {
    "secrecy_leaks-quick": "Reduced size (60 trials): the full 200-trial "
    "search solves two LPs per masked zone and trial, and was not re-run on "
    "the current code; a secrecy measure, not a speed benchmark of issue 18.",
}

INTRO = """# Performance

Measured by `make bench` (`python benchmarks/run_all.py`), each table on the
machine and at the date it names. Every comparison runs territobs and the tool
a user would otherwise pick **in the same run on the same data**, each
contender in its own process importing only its own library (the scenario
comparison, timed in one process, says so), contenders alternated within each
round, on the generalised communes as shipped and, where the table has a
vertices column, densified ones (×4, ×16: closer to IGN's full-resolution
boundaries); ratios are the peer's time (or memory) over
territobs' in the same round, median (min–max) over the rounds: above 1,
territobs is faster (lighter). The machine is shared (2 cores): absolute times
follow its load, which each table records.

This page is rebuilt from `benchmarks/results/*.json` and `*.md` by
`benchmarks/run_all.py` (`python benchmarks/run_all.py --report`); the two
summary tables below are computed from the JSON files, not typed. The
catalogue of hostile inputs (robustness, not speed) is in
[robustness.md](robustness.md).
"""

ROBUSTNESS_INTRO = """# Robustness: hostile inputs

Developer page. How territobs answers a catalogue of bad inputs (misused
command lines, impossible values, broken geometries, hostile download
servers): each case must end in a clear French error or warning, never a
traceback and never silently. The catalogue is `benchmarks/hostile_catalogue.py`,
checked by `tests/test_hostile_catalogue.py`; the tables below are its recorded
before/after run of issue 15 (`benchmarks/results/hostile*.json`), rebuilt by
`benchmarks/run_all.py`. Speed is in [performance.md](performance.md).
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes")
    parser.add_argument(
        "--report", action="store_true", help="only rebuild the docs from results/"
    )
    parser.add_argument("only", nargs="*", help="topics to run (default: all)")
    args = parser.parse_args()
    args.quick = args.quick or os.environ.get("TERRITOBS_BENCH_QUICK") == "1"
    failed = []
    if not args.report:
        for script, extra in planned_runs(args.quick, args.only):
            print(f"== {script.name} {' '.join(extra)}", flush=True)
            cmd = [sys.executable, str(script), *extra]
            if subprocess.run(cmd, check=False).returncode != 0:
                failed.append(f"{script.name} {' '.join(extra)}")
    write_report()
    print()
    print(format_summary())
    if failed:
        print("benchmarks that failed:", ", ".join(failed), file=sys.stderr)
        return 1
    return 0


COMMAND = re.compile(r"`(?:\S*/)?python benchmarks/(bench_\w+\.py)([^`]*)`")


def planned_runs(quick: bool, only: list[str]) -> list[tuple[Path, list[str]]]:
    """What ``make bench`` runs: each script as its tables on the page were made.

    In full mode, a script runs once per distinct command recorded in the
    result tables the page shows (the weights with their factors, the atlas
    both as a comparison and as the zone scaling, ...), with its defaults when
    none is recorded; ``--quick`` runs every script once with ``--quick``.
    """
    scripts = sorted(HERE.glob("bench_*.py"))
    if only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in only]
    if quick:
        return [(script, ["--quick"]) for script in scripts]
    recorded: dict[str, list[list[str]]] = {}
    for stem in selected_tables():
        text = (RESULTS / f"{stem}.md").read_text(encoding="utf-8")
        for name, args in COMMAND.findall(text):
            extra = args.split()
            if extra not in recorded.setdefault(name, []):
                recorded[name].append(extra)
    return [(s, extra) for s in scripts for extra in recorded.get(s.name, [[]])]


# --------------------------------------------------------------------------
# Reading the results


def _load(stem: str) -> Any:
    path = RESULTS / f"{stem}.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None


def _fmt(r: dict[str, float] | None) -> str:
    return ratio_text(r) if r else "not measured"


WEIGHT_CASES = {
    "a": "grid 5 km",
    "b": "grid 2 km",
    "c": "1,000 buffers",
    "d": "1,000 non-convex stars",
    "e": "200 m squares as units",
    "f": "départements as unions of communes",
}
#: The weights cases issue 18 sets targets for; (f), zones drawn on the
#: units' boundaries, is measured and reported beside them.
ISSUE18_CASES = "abcde"


def _weight_ratios() -> list[dict]:
    data = _load("weights")
    out = []
    for row in (data or {}).get("rows", []):
        if row.get("variant"):
            continue  # size-scaling variants, not cases
        case = WEIGHT_CASES.get(row["case"], row["case"])
        for peer, label in (
            ("shapely-1t", "shapely 2, 1 thread"),
            ("shapely-2t", "shapely 2, 2 threads"),
            ("tobler", "tobler"),
        ):
            if row.get(f"ratio_{peer}"):
                out.append(
                    {
                        "bench": "weights",
                        "case": f"({row['case']}) {case}",
                        "vertices": f"×{row['factor']}",
                        "peer": label,
                        "ratio": row[f"ratio_{peer}"],
                    }
                )
    return out


def _maps_fullres_ratios() -> list[dict]:
    data = _load("maps_fullres")
    out = []
    for row in (data or {}).get("rows", []):
        rounds = [r for r in row.get("rounds", []) if "territobs" in r]
        peers = {k for r in rounds for k in r if k not in ("load",)}
        for peer in sorted(p for p in peers if not p.startswith("territobs")):
            ratios = [
                r[peer]["seconds"] / r["territobs"]["seconds"]
                for r in rounds
                if peer in r
            ]
            if ratios:
                out.append(
                    {
                        "bench": "maps_fullres",
                        "case": "national map geometry",
                        "vertices": f"×{row['factor']}",
                        "peer": peer,
                        "ratio": spread(ratios),
                    }
                )
    return out


def _declared_ratios() -> list[dict]:
    """Rows of the ``summary`` list a benchmark writes in its JSON."""
    out = []
    for path in sorted(RESULTS.glob("*.json")):
        if path.stem.endswith(("-quick", "_quick")):
            continue
        data = _load(path.stem)
        if isinstance(data, dict) and isinstance(data.get("summary"), list):
            out += [{"bench": path.stem, **row} for row in data["summary"]]
    return out


def ratio_rows() -> list[dict]:
    """Every peer ratio of the last full runs (peer time / territobs time)."""
    rows = []
    for source in (
        _weight_ratios,
        _maps_fullres_ratios,
        _declared_ratios,
    ):
        try:
            rows += source()
        except (KeyError, TypeError, ZeroDivisionError, ValueError) as exc:
            rows.append(
                {
                    "bench": source.__name__.strip("_").removesuffix("_ratios"),
                    "case": f"results unreadable ({exc!r})",
                    "vertices": "",
                    "peer": "",
                    "ratio": None,
                }
            )
    return rows


# --------------------------------------------------------------------------
# Issue 18's targets


def _issue18_rows() -> list[dict]:
    return [r for r in _weight_ratios() if r["case"][1] in ISSUE18_CASES]


def _target_weights_shapely() -> tuple[str, bool]:
    rows = [r for r in _issue18_rows() if r["peer"].startswith("shapely")]
    if not rows:
        return "no weights results", False
    # Per case and vertices: the faster of the two skilled variants.
    best: dict[tuple[str, str], dict] = {}
    for r in rows:
        key = (r["case"], r["vertices"])
        if key not in best or r["ratio"]["median"] < best[key]["ratio"]["median"]:
            best[key] = r
    below = [r for r in best.values() if r["ratio"]["median"] < 1.0]
    worst = min(best.values(), key=lambda r: r["ratio"]["median"])
    text = (
        f"worst {_fmt(worst['ratio'])}: {worst['case']} {worst['vertices']} vs "
        f"{worst['peer']}; {len(below)} of {len(best)} cases × vertices below 1.0"
    )
    return text, not below


def _target_weights_tobler() -> tuple[str, bool]:
    data = _load("weights") or {}
    cases = [
        r
        for r in data.get("rows", [])
        if not r.get("variant") and r["case"] in ISSUE18_CASES
    ]
    rows = [r for r in _issue18_rows() if r["peer"] == "tobler"]
    if not rows:
        return "tobler not measured", False
    below = [r for r in rows if r["ratio"]["median"] < 5.0]
    worst = min(rows, key=lambda r: r["ratio"]["median"])
    text = (
        f"worst {_fmt(worst['ratio'])}: {worst['case']} {worst['vertices']}; "
        f"{len(below)} of {len(rows)} measured below 5"
    )
    if len(rows) < len(cases):
        measured = sorted({r["vertices"] for r in rows})
        text += f" (tobler run on {', '.join(measured)} only)"
    return text, not below and len(rows) == len(cases)


def _map_run(name: str) -> tuple[int, list[dict]] | None:
    data = _load("maps_fullres") or {}
    rows = [r for r in data.get("rows", []) if any(name in x for x in r["rounds"])]
    if not rows:
        return None
    row = max(rows, key=lambda r: r["factor"])
    return row["factor"], [x[name] for x in row["rounds"] if name in x]


def _target_map(what: str) -> tuple[str, bool]:
    found = _map_run("territobs map")
    name = "whole `choropleth(...).save()`"
    if found is None:
        found, name = _map_run("territobs"), "geometry step only (no whole-map run)"
    if found is None:
        return "no full-resolution map results", False
    factor, runs = found
    vertices = (
        (_load("maps_fullres") or {}).get("meta", {}).get("vertices") or {}
    ).get(str(factor))
    where = f"communes ×{factor}" + (f" ({vertices:,} vertices)" if vertices else "")
    if what == "time":
        s = spread([x["seconds"] for x in runs])
        text = f"{s['median']:.1f} s ({s['min']:.1f}–{s['max']:.1f}), {name}, {where}"
        return text, s["median"] <= 10.0
    m = spread([x["peak_mb"] for x in runs])
    extra = spread([x.get("extra_mb", math.nan) for x in runs])
    text = (
        f"{m['median']:,.0f} MB peak RSS of the process, loading the input "
        f"included (+{extra['median']:,.0f} MB during the call), {where}"
    )
    return text, m["median"] <= 1024.0


def _target_atlas() -> tuple[str, bool]:
    data = _load("atlas-zones")
    if not data:
        return "no atlas zone-scaling results", False
    counts = [int(n) for n in data["counts"]]
    per_zone = {}
    for n in counts:
        own = [sum(r.get("custom", {}).values()) / n for r in data["runs"][str(n)]]
        per_zone[n] = spread([1000 * x for x in own])
    a, b = counts[0], counts[-1]
    growth = per_zone[b]["median"] / per_zone[a]["median"]
    text = (
        f"{per_zone[a]['median']:.1f} ms per zone at {a:,} zones, "
        f"{per_zone[b]['median']:.1f} at {b:,} ({growth:.2f}×; zones exponent "
        f"{1 + math.log(growth) / math.log(b / a):.2f})"
    )
    return text, growth <= 1.10


TARGETS: list[tuple[str, Callable[[], tuple[str, bool]], str]] = [
    (
        "weights ≥ 1.0× the skilled shapely-2 code, every case, generalised "
        "and densified (median of the rounds, vs the faster of its 1- and "
        "2-thread variants)",
        _target_weights_shapely,
        "weights",
    ),
    (
        "weights ≥ 5× tobler, every case (median)",
        _target_weights_tobler,
        "weights",
    ),
    (
        "national commune map from full-resolution(-like) boundaries ≤ 10 s",
        lambda: _target_map("time"),
        "maps_fullres",
    ),
    (
        "the same map ≤ 1 GB (1,024 MB as printed)",
        lambda: _target_map("memory"),
        "maps_fullres",
    ),
    (
        "atlas per-zone cost flat from 1,000 to 3,000 zones (≤ 1.10× per zone)",
        _target_atlas,
        "atlas-zones",
    ),
]


def _measured_when(stem: str) -> str:
    data = _load(stem)
    if isinstance(data, dict):
        meta = data.get("meta", data)
        if isinstance(meta, dict) and meta.get("date"):
            return str(meta["date"])
    table = RESULTS / f"{stem}.md"
    found = re.search(
        r"Measured (\d{4}-\d\d-\d\d[ \d:]*(?:UTC)?)",
        table.read_text(encoding="utf-8") if table.exists() else "",
    )
    return found.group(1).strip() if found else "date not recorded"


def targets_table() -> str:
    lines = [
        "## Issue 18 targets vs measured",
        "",
        "Computed by `run_all.py` from the last full runs' JSON files.",
        "",
        "| target | measured | met? | from (run) |",
        "|---|---|---|---|",
    ]
    for label, compute, stem in TARGETS:
        try:
            text, met = compute()
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            text, met = f"results unreadable ({exc!r})", False
        lines.append(
            f"| {label} | {text} | {'**met**' if met else '**not met**'} | "
            f"`results/{stem}.json` ({_measured_when(stem)}) |"
        )
    lines += ["", _outside_targets()]
    return "\n".join(lines) + "\n"


def _outside_targets() -> str:
    """The weights cases measured beside issue 18's, with their worst ratios."""
    try:
        rows = [r for r in _weight_ratios() if r["case"][1] not in ISSUE18_CASES]
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        return f"Weights cases outside the targets: results unreadable ({exc!r})."
    if not rows:
        return "No weights case outside issue 18's was measured."
    parts = []
    for case in sorted({r["case"] for r in rows}):
        own = [r for r in rows if r["case"] == case]
        worst = {}
        for r in own:
            peer = "shapely 2" if r["peer"].startswith("shapely") else r["peer"]
            if (
                peer not in worst
                or r["ratio"]["median"] < worst[peer]["ratio"]["median"]
            ):
                worst[peer] = r
        parts.append(
            f"{case}: "
            + "; ".join(
                f"vs {peer} worst {_fmt(r['ratio'])} ({r['vertices']})"
                for peer, r in sorted(worst.items())
            )
        )
    return (
        "Measured beside the targets, not held to them (zones drawn on the "
        "units' own boundaries: their boundary pairs go to GEOS): "
        + "; ".join(parts)
        + "."
    )


def ratios_table() -> str:
    lines = [
        "## Ratios at a glance",
        "",
        "Peer's time over territobs' in the same round, median (min–max) over "
        "the rounds (above 1: territobs is faster); the sections below give the "
        "times, memory, loads and commands.",
        "",
        "| benchmark | case | vertices | peer | ratio |",
        "|---|---|---|---|---|",
    ]
    for r in ratio_rows():
        lines.append(
            f"| {r['bench']} | {r['case']} | {r.get('vertices', '')} | {r['peer']} "
            f"| {_fmt(r['ratio'])} |"
        )
    return "\n".join(lines) + "\n"


def format_summary() -> str:
    """The plain-text summary ``make bench`` prints at the end."""
    out = ["Issue 18 targets (from benchmarks/results/*.json):"]
    for label, compute, _ in TARGETS:
        try:
            text, met = compute()
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            text, met = f"results unreadable ({exc!r})", False
        out.append(f"  [{'met' if met else 'NOT MET'}] {label.split(' (')[0]}: {text}")
    out += ["", "Peer time / territobs time, median (min-max):"]
    rows = ratio_rows()
    width = max((len(r["case"]) for r in rows), default=0)
    for r in rows:
        out.append(
            f"  {r['bench']:<14} {r['case']:<{width}} {r.get('vertices', ''):>4} "
            f"{r['peer'][:22]:<22} {_fmt(r['ratio'])}"
        )
    return "\n".join(out)


# --------------------------------------------------------------------------
# Assembling the pages


def _is_quick(stem: str) -> bool:
    return stem.endswith(("-quick", "_quick"))


def _full_stem(stem: str) -> str:
    return stem.removesuffix("-quick").removesuffix("_quick")


def selected_tables() -> list[str]:
    """One table per benchmark: its full run, or its quick run with a reason."""
    stems = {p.stem for p in RESULTS.glob("*.md")} - NOT_HERE
    chosen = [
        s
        for s in stems
        if not _is_quick(s) or (_full_stem(s) not in stems and s in QUICK_REASONS)
    ]

    def rank(stem: str) -> tuple[int, str]:
        base = _full_stem(stem)
        return (ORDER.index(base) if base in ORDER else len(ORDER), stem)

    return sorted(chosen, key=rank)


def _section(stem: str) -> str:
    text = (RESULTS / f"{stem}.md").read_text(encoding="utf-8").strip()
    # Each result file is a page of its own (``# Title``): one level down here.
    lines = [f"#{line}" if line.startswith("#") else line for line in text.split("\n")]
    if not lines[0].startswith("## "):
        lines.insert(0, f"## {stem}\n")
    if stem in HEADINGS:
        lines[0] = f"## {HEADINGS[stem]}"
    if stem in QUICK_REASONS:
        lines[0] += " (reduced size)"
        lines.insert(1, f"\n{QUICK_REASONS[stem]}")
    if "Measured 20" not in text:
        lines.insert(
            1,
            "\n*This run recorded no date in its result file "
            f"(`benchmarks/results/{stem}.md`); its command and load are below.*",
        )
    return "\n".join(lines) + "\n"


def render() -> dict[Path, str]:
    """The pages rebuilt from ``results/`` only: ``{path: text}``."""
    pages = {
        DOC: "\n".join(
            [INTRO, targets_table(), ratios_table()]
            + [_section(stem) for stem in selected_tables()]
        )
    }
    hostile = RESULTS / "hostile.md"
    if hostile.exists():
        body = hostile.read_text(encoding="utf-8").strip().split("\n")
        body = [f"#{line}" if line.startswith("#") else line for line in body]
        pages[ROBUSTNESS] = ROBUSTNESS_INTRO + "\n" + "\n".join(body) + "\n"
    return pages


def write_report() -> None:
    """Rebuild ``docs/performance.md`` and ``docs/robustness.md`` from results/."""
    for path, text in render().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
