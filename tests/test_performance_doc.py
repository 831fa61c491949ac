"""docs/performance.md and docs/robustness.md are rebuilt from benchmarks/results only.

The pages carry no hand-typed figure: ``benchmarks/run_all.py`` computes the
summary of issue 18's targets and the ratios at a glance from the results'
JSON files and appends each benchmark's last table. These tests fail when a
results file changed without the pages being rebuilt, and check that a target
the results do not meet reads as not met.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"


@pytest.fixture(scope="module")
def run_all():
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("run_all", BENCH / "run_all.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCH))


def test_pages_are_rebuilt_from_results(run_all):
    for path, text in run_all.render().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is stale: run "
            "`python benchmarks/run_all.py --report`"
        )


def test_one_table_per_benchmark(run_all):
    stems = run_all.selected_tables()
    full = {run_all._full_stem(s) for s in stems}
    assert len(full) == len(stems), stems
    text = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert len(headings) == len(set(headings)), headings
    assert "Hostile inputs" not in text  # robustness has its own page


def _weights(ratio_2t: float, tobler: float) -> dict:
    spread = {"median": ratio_2t, "min": ratio_2t * 0.9, "max": ratio_2t * 1.1}
    return {
        "rows": [
            {
                "case": "a",
                "factor": 1,
                "variant": "",
                "ratio_shapely-1t": {"median": 2.0, "min": 1.9, "max": 2.1},
                "ratio_shapely-2t": spread,
                "ratio_tobler": {"median": tobler, "min": tobler, "max": tobler},
            }
        ]
    }


@pytest.mark.parametrize(
    ("ratio_2t", "tobler", "verdicts"),
    [(0.9, 6.0, ["not met", "met"]), (1.2, 4.0, ["met", "not met"])],
)
def test_targets_follow_the_results(
    run_all, tmp_path, monkeypatch, ratio_2t, tobler, verdicts
):
    (tmp_path / "weights.json").write_text(json.dumps(_weights(ratio_2t, tobler)))
    monkeypatch.setattr(run_all, "RESULTS", tmp_path)
    table = run_all.targets_table()
    rows = [line for line in table.splitlines() if line.startswith("| weights")]
    assert [("not met" if "**not met**" in r else "met") for r in rows] == verdicts
    # the worse of the two skilled variants' medians is the one compared
    assert f"{min(ratio_2t, 2.0):.2f}×" in rows[0]
    # targets without results read as not met, never as met
    other = [
        line
        for line in table.splitlines()
        if line.startswith("| ") and not line.startswith(("| weights", "| target"))
    ]
    assert len(other) == 3
    assert all("**not met**" in line for line in other)


def test_make_bench_reruns_every_table_as_it_was_made(run_all):
    """Each table's recorded command is one of the runs ``make bench`` makes."""
    planned = {
        (script.name, " ".join(extra))
        for script, extra in run_all.planned_runs(False, [])
    }
    for stem in run_all.selected_tables():
        text = (run_all.RESULTS / f"{stem}.md").read_text(encoding="utf-8")
        for name, args in run_all.COMMAND.findall(text):
            assert (name, " ".join(args.split())) in planned, (stem, name, args)
    quick = run_all.planned_runs(True, ["maps"])
    assert [(s.name, extra) for s, extra in quick] == [("bench_maps.py", ["--quick"])]
