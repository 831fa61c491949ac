"""Type-check ``src/territobs`` with mypy, against a baseline that only goes down.

The baseline (``.ci/mypy-baseline.json``) records how many errors each module
had when type checking entered CI. A run fails when any module has more errors
than its baseline (or a module absent from it has any), so no new error lands;
``--update`` rewrites the baseline with the current counts, refusing to raise
any of them. The target is an empty baseline: once it is (a missing file or
all zeros counts as empty), a run is plain ``mypy src/territobs`` and fails on
any error mypy reports, including one this script cannot attribute to a file.

Usage: ``python .ci/mypy_ratchet.py [--update]`` (``make lint`` runs it).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / ".ci" / "mypy-baseline.json"
ERROR = re.compile(r"^(?P<path>[^:]+\.py):\d+: error: ")


def current_errors() -> tuple[Counter[str], str, int]:
    """Run mypy (configured in pyproject.toml); count errors per file.

    Returns the counts, mypy's output and its exit status (0 or 1).
    """
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode not in (0, 1):
        sys.exit(f"mypy failed to run:\n{run.stdout}{run.stderr}")
    counts: Counter[str] = Counter()
    for line in run.stdout.splitlines():
        match = ERROR.match(line)
        if match:
            counts[match["path"]] += 1
    return counts, run.stdout + run.stderr, run.returncode


def main(argv: list[str]) -> int:
    """Compare mypy's errors with the baseline; return the exit status."""
    counts, output, status = current_errors()
    recorded: dict[str, int] = (
        json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    )
    baseline = {path: n for path, n in recorded.items() if n > 0}
    worse = {
        path: (baseline.get(path, 0), n)
        for path, n in counts.items()
        if n > baseline.get(path, 0)
    }
    # mypy failed with errors that name no file line (config, syntax...)
    unattributed = status != 0 and not counts
    if "--update" in argv:
        if unattributed:
            print(output, end="", file=sys.stderr)
            print("refusing to update: mypy failed", file=sys.stderr)
            return 1
        if worse:
            print("refusing to raise the baseline for:", file=sys.stderr)
            for path, (old, new) in sorted(worse.items()):
                print(f"  {path}: {old} -> {new}", file=sys.stderr)
            return 1
        BASELINE.write_text(json.dumps(dict(sorted(counts.items())), indent=1) + "\n")
        print(f"baseline: {sum(counts.values())} errors in {len(counts)} files")
        return 0
    if not baseline:
        # target reached: no error is allowed, as with plain ``mypy``
        if status != 0:
            print(output, end="")
            print("mypy: errors in src/territobs, none allowed (the baseline is empty)")
            return 1
        print("mypy: no errors (baseline empty)")
        return 0
    if worse or unattributed:
        for line in output.splitlines():
            match = ERROR.match(line)
            if unattributed or (match and match["path"] in worse):
                print(line)
        print("mypy: more errors than the baseline (.ci/mypy-baseline.json):")
        for path, (old, new) in sorted(worse.items()):
            print(f"  {path}: {old} -> {new}")
        return 1
    total, allowed = sum(counts.values()), sum(baseline.values())
    print(f"mypy: {total} errors, baseline {allowed} (target 0)")
    if total < allowed:
        print("  the baseline can go down: python .ci/mypy_ratchet.py --update")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
