from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from territobs.cog import builtin_vintages, detect_vintage, vintage_codes
from territobs.errors import MethodError


def test_vintage_lists_walk_back_through_passages():
    assert "01039" in vintage_codes(2022)
    assert "01039" not in vintage_codes(2023)
    sizes = {y: len(c) for y, c in builtin_vintages().items() if y <= 2024}
    assert sizes[2017] == 35416 and sizes[2024] == 34935


def test_detect_merger_year_and_unmatched():
    guess = detect_vintage(["01039", "01138", "01001", "99999"])
    assert guess.year == 2022
    assert guess.unmatched == ["99999"]
    assert guess.shares[2022] == 0.75
    assert "99999" in str(guess)
    assert "(75,0\u00a0% des 4 codes)" in str(guess)
    assert "; 1 code d'aucun millésime : « 99999 »" in str(guess)


def test_detect_message_is_french():
    """Decimal comma, no-break space before %, the one tied year listed."""
    guess = detect_vintage(["01039", "01138", "01001"], vintages={
        2021: ["01039", "01138", "01001"],
        2022: ["01039", "01138", "01001"],
        2023: ["01001"],
    })  # fmt: skip
    assert str(guess) == (
        "millésime probable du COG : 2022 (100,0\u00a0% des 3 codes) ; "
        "compatible aussi avec 2021."
    )


def test_detect_says_which_vintage_missing_codes_exclude():
    """A table of the whole département that lacks the communes merged in 2019
    is not « compatible with 2017 and 2018 »: those years are excluded."""
    codes = sorted(c for c in vintage_codes(2019) if c.startswith("01"))
    guess = detect_vintage(codes)
    assert 2018 in guess.excluded and 2017 in guess.excluded
    assert not guess.compatible(2018)
    assert "2018 exclu" in str(guess)
    assert "compatible aussi avec 2017" not in str(guess)
    merged_2019 = sorted(vintage_codes(2018) - vintage_codes(2019))
    assert set(guess.excluded[2018]) == {c for c in merged_2019 if c.startswith("01")}


def test_a_few_codes_exclude_nothing():
    guess = detect_vintage(["01138", "01001"])
    assert guess.excluded == {}


def test_detect_requires_codes():
    with pytest.raises(MethodError):
        detect_vintage([])


@pytest.mark.shared_data
def test_detect_france2017(shared_data):
    f = pd.read_csv(
        shared_data / "cog/insee-France2017.txt.gz",
        sep="\t",
        dtype=str,
        encoding="latin-1",
    )
    codes = (f.DEP + f.COM)[f.ACTUAL == "1"]
    guess = detect_vintage(codes)
    assert guess.year == 2017 and guess.exact and guess.unmatched == []


@pytest.mark.shared_data
def test_detect_2024_membership_table(shared_data):
    t = pd.read_csv(
        shared_data / "cog/cogugaison-table-appartenance-2024.csv.gz", dtype=str
    ).dropna(subset=["CODGEO"])
    guess = detect_vintage(t.CODGEO)
    assert guess.year == 2024 and guess.exact


@pytest.mark.shared_data
def test_detect_2018_boundaries_of_ain(shared_data):
    path = shared_data / "boundaries/france-geojson/communes-01-ain.geojson"
    codes = [
        f["properties"]["code"] for f in json.loads(path.read_text("utf-8"))["features"]
    ]
    guess = detect_vintage(codes)
    assert guess.year == 2018 and guess.exact


@pytest.mark.shared_data
def test_user_vintage_2026(shared_data):
    with gzip.open(
        shared_data / "cog/etalab-decoupage-administratif-6.0.0-communes.json.gz"
    ) as fh:
        communes = pd.DataFrame(json.load(fh))
    c2026 = communes.code[communes.type == "commune-actuelle"]
    vintages = {**builtin_vintages(), 2026: set(c2026)}
    guess = detect_vintage(c2026, vintages=vintages)
    assert guess.year == 2026 and guess.exact
