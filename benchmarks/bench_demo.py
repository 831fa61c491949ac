"""How long `territobs demo` takes: a full build, then a no-change refresh.

Runs the command a user runs (``python -m territobs demo``) in a subprocess,
from a temporary directory, ``--repeat`` times alternating a forced full
build and a refresh, and records wall time, the child's CPU time (user +
system, less sensitive to the load of a shared machine) and
``os.getloadavg()`` before each run. Writes ``benchmarks/results/demo.json``
and prints a Markdown table. Run: ``python benchmarks/bench_demo.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "demo.json"


def run_once(cwd: Path, force: bool) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "territobs", "demo", "--quiet-progress"]
    proc = subprocess.run(
        [*cmd, *(["--force"] if force else [])], cwd=cwd, capture_output=True
    )
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(proc.stderr.decode()[-2000:])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "loadavg_1min": load}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        runs: dict[str, list[dict[str, float]]] = {"full": [], "refresh": []}
        for _ in range(args.repeat):  # alternated: full build, then refresh
            runs["full"].append(run_once(cwd, force=True))
            runs["refresh"].append(run_once(cwd, force=False))
        files = sum(1 for p in (cwd / "out" / "demo").rglob("*") if p.is_file())
        size = sum(p.stat().st_size for p in (cwd / "out" / "demo").rglob("*"))
    summary = {
        kind: {
            key: {
                "median": statistics.median(r[key] for r in rows),
                "min": min(r[key] for r in rows),
                "max": max(r[key] for r in rows),
            }
            for key in ("wall_s", "cpu_s", "loadavg_1min")
        }
        for kind, rows in runs.items()
    }
    report = {
        "runs": runs,
        "summary": summary,
        "output_files": files,
        "output_mb": round(size / 1e6, 1),
        "cpus": os.cpu_count(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2), "utf-8")
    lines = [
        "# `territobs demo` (IRIS diagnostic of Seine-Saint-Denis)",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
        f"{os.uname().nodename} ({os.cpu_count()} CPU), `python "
        f"benchmarks/bench_demo.py --repeat {args.repeat}` ({args.repeat} "
        "rounds, a forced full build then a no-change refresh in each; the "
        "command a user runs, in a fresh process; load average (1 min) before "
        "each run in the last column, median).",
        "",
        "| run | wall (s) median [min-max] | CPU (s) median [min-max] | load 1 min |",
        "| --- | --- | --- | --- |",
    ]
    for kind, stats in summary.items():
        w, c, load = stats["wall_s"], stats["cpu_s"], stats["loadavg_1min"]
        lines.append(
            f"| {kind} | {w['median']} [{w['min']}-{w['max']}] | "
            f"{c['median']} [{c['min']}-{c['max']}] | {load['median']:.1f} |"
        )
    lines += ["", f"{files} files, {report['output_mb']} MB, {args.repeat} runs each."]
    RESULTS.with_suffix(".md").write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
