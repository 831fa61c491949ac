from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "cog"


@pytest.fixture(scope="session")
def mvt_fixture() -> Path:
    return FIXTURES / "v_mvt_commune_fixture.csv"


@pytest.fixture(scope="session")
def historiq(shared_data: Path) -> Path:
    return shared_data / "cog" / "insee-historiq2018.txt.gz"
