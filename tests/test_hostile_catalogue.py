"""The catalogue of hostile inputs of issue 15: no traceback, nothing silent.

``benchmarks/hostile_catalogue.py`` builds each bad input (misused command
lines, impossible values, broken geometries, hostile download servers on
127.0.0.1) and classifies territobs's answer; it is also run alone to print
the before/after count table. Here every case must end in a clear French
error, a typed warning, or a correct result ("ok").
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

CATALOGUE = Path(__file__).resolve().parents[1] / "benchmarks" / "hostile_catalogue.py"
_spec = importlib.util.spec_from_file_location("hostile_catalogue", CATALOGUE)
catalogue = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(catalogue)


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict[str, str]]:
    return catalogue.run_all()


@pytest.mark.parametrize("name", sorted(catalogue.CASES))
def test_every_hostile_input_gets_a_clear_answer(outcomes, name):
    outcome = outcomes[name]
    if outcome["outcome"] == "skipped":
        pytest.skip(outcome["detail"])
    assert outcome["outcome"] in ("error", "warning", "ok"), outcome
    assert "Traceback" not in outcome["detail"]
    if outcome["outcome"] in ("error", "warning"):
        # French, and says where: a file, a column, a line or a code.
        assert "«" in outcome["detail"], outcome


def test_catalogue_covers_the_issue():
    groups = {catalogue.GROUPS[name] for name in catalogue.CASES}
    assert groups == {"cli", "api", "reader", "geometry", "fetch"}
    assert len(catalogue.CASES) >= 45
