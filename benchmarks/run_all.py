"""Run every benchmark of this folder and gather their tables into docs/performance.md.

Usage::

    python benchmarks/run_all.py           # full sizes (national data, several minutes)
    python benchmarks/run_all.py --quick   # reduced sizes, for a quick look
    TERRITOBS_BENCH_QUICK=1 make bench      # the same, through make

Each ``bench_<topic>.py`` is a plain script that measures territobs side by side
with the tool a user would otherwise pick (tobler, geopandas ``explore()``, a
naive pandas reader...) in the same run, and writes ``results/<topic>.md`` and
``results/<topic>.json``. Nothing here is asserted: numbers are reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DOC = HERE.parent / "docs" / "performance.md"

INTRO = """# Performance

Measured by `make bench` (`python benchmarks/run_all.py`) on the project's
machine ({machine}). Every table compares territobs with the tool a user would
otherwise pick, **in the same run on the same data**, each contender in its own
process; ratios above 1 mean territobs is faster (time) or lighter (memory).
The machine is shared: absolute times are noisy, which is why contenders
alternate within each round and ratios are reported with their spread.

Report assembled: {date} (load average {load}); each table says how and when
it was measured.

Figures withdrawn (the independent re-measurement of issue 18 contradicted
them and these benchmarks were not re-run here with equal work yet): the
atlas's 1.31× over a hand-written geopandas loop (issue 18: at parity), the
population path's 17× over exactextract (the peer summed every commune and
piece; issue 18: about 3× on the cut pairs only), and the interactive-map comparison with `explore()`
(which was given raw, not simplified and rounded, geometry). `bench_population.py`
(cut pairs only, each child importing only its own library; its quick run is
below) and `bench_maps.py` now give their peers equal work; the full-size
figures will be back after their next run. The national commune map from
full-resolution-like (densified) boundaries is measured by
`bench_maps_fullres.py`, the atlas's per-zone cost at 1,000 and 3,000 zones by
`bench_atlas.py --zones 1000,3000`. Each table is from its script's last run on
the code it names (the weights table was re-run after threads came to be decided
by the size of the work).
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes")
    parser.add_argument("only", nargs="*", help="topics to run (default: all)")
    args = parser.parse_args()
    args.quick = args.quick or os.environ.get("TERRITOBS_BENCH_QUICK") == "1"
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.only]
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        cmd = [sys.executable, str(script), *(["--quick"] if args.quick else [])]
        if subprocess.run(cmd, check=False).returncode != 0:
            failed.append(script.name)
    write_report()
    if failed:
        print("benchmarks that failed:", ", ".join(failed), file=sys.stderr)
        return 1
    return 0


def _is_quick(path: Path) -> bool:
    return path.stem.endswith(("-quick", "_quick"))


def _full_before_quick(path: Path) -> tuple[str, bool]:
    topic = path.stem.removesuffix("-quick").removesuffix("_quick")
    return topic, _is_quick(path)


def write_report() -> None:
    """Concatenate ``results/*.md`` into ``docs/performance.md``."""
    parts = [
        INTRO.format(
            machine=f"{platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {platform.node()}",
            date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            load=" / ".join(f"{x:.1f}" for x in os.getloadavg()),
        )
    ]
    for table in sorted(RESULTS.glob("*.md"), key=_full_before_quick):
        text = table.read_text(encoding="utf-8").strip()
        # Each result file is a page of its own (``# Title``): one level down here.
        lines = [
            f"#{line}" if line.startswith("#") else line for line in text.split("\n")
        ]
        if _is_quick(table) and "quick" not in lines[0]:
            lines[0] += " (quick, reduced sizes)"
        parts.append("\n".join(lines) + "\n")
    DOC.write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    sys.exit(main())
