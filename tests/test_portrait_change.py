"""Portraits of change (territobs.portrait.change).

Golden values are computed here with plain pandas from the real INSEE files
of Paris (RP 2010 and RP 2015 IRIS bases), independently of the engine.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territobs.errors import SourceFormatError, ZoneError
from territobs.portrait.change import (
    CHANGE_PORTRAIT_COLUMNS,
    ChangePortrait,
    change_portrait,
)
from territobs.zoning.evolution import evolution_from_results, evolutions
from territobs.zoning.recompute import recompute
from territobs.zoning.weights import build_weights
from territobs.zoning.zones import zones_from_members

NBSP = "\xa0"


@pytest.fixture(scope="module")
def paris(shared_data):
    """Paris IRIS activity files of RP 2010 and RP 2015, joined on IRIS."""
    read = {"IRIS": str, "COM": str}
    t10 = pd.read_csv(shared_data / "insee/paris-iris-emploi-2010.csv.gz", dtype=read)
    t15 = pd.read_csv(shared_data / "insee/paris-iris-emploi-2015.csv.gz", dtype=read)
    keep = ["IRIS", *(c for c in t15.columns if c.startswith(("P15_", "C15_")))]
    territory = t10.merge(t15[keep], on="IRIS", validate="one_to_one")
    return territory.rename(columns={"IRIS": "code"})


@pytest.fixture(scope="module")
def paris_portrait(paris):
    """The 1st arrondissement beside Paris and the 2nd, 2010 → 2015."""
    arr = zones_from_members(
        paris.groupby("COM")["code"].apply(list).to_dict(), units=paris
    )
    city = zones_from_members({"75056": list(paris["code"])}, units=paris)
    tables = evolutions(
        paris,
        {
            "arr": (arr, build_weights(paris, arr)),
            "ville": (city, build_weights(paris, city)),
        },
        ["unemployment_rate", "unemployed_1564"],
        start=2010,
        end=2015,
        geography="IRIS de Paris (2015)",
    )
    table = pd.concat(tables.values(), ignore_index=True)
    return change_portrait(
        table,
        "75101",
        ["75056", "75102"],
        reference_labels={"75056": "Ville", "75102": "Arrondissement voisin"},
    )


def test_paris_figures_golden(paris, paris_portrait):
    """Both ends, the change and the TCAM equal pandas sums on the real files."""
    sums = paris.groupby("COM")[
        ["P10_CHOM1564", "P10_ACT1564", "P15_CHOM1564", "P15_ACT1564"]
    ].sum()
    sums.loc["75056"] = sums.sum()
    frame = paris_portrait.to_frame()
    assert list(frame.columns) == list(CHANGE_PORTRAIT_COLUMNS)
    assert list(dict.fromkeys(frame["zone"])) == ["75101", "75056", "75102"]
    rate = frame[frame["indicator"] == "unemployment_rate"].set_index("zone")
    rate10 = 100 * sums["P10_CHOM1564"] / sums["P10_ACT1564"]
    rate15 = 100 * sums["P15_CHOM1564"] / sums["P15_ACT1564"]
    for zone in rate.index:
        assert rate.loc[zone, "value_start"] == pytest.approx(rate10[zone], rel=1e-12)
        assert rate.loc[zone, "value_end"] == pytest.approx(rate15[zone], rel=1e-12)
        # the change shown is the difference of the two recomputed rates
        assert rate.loc[zone, "change"] == pytest.approx(
            rate15[zone] - rate10[zone], rel=1e-12
        )
        assert rate.loc[zone, "change"] == pytest.approx(
            rate.loc[zone, "value_end"] - rate.loc[zone, "value_start"], rel=1e-12
        )
    assert set(rate["change_unit"]) == {"points"}
    count = frame[frame["indicator"] == "unemployed_1564"].set_index("zone")
    for zone in count.index:
        start, end = sums.loc[zone, "P10_CHOM1564"], sums.loc[zone, "P15_CHOM1564"]
        assert count.loc[zone, "change"] == end - start
        tcam = 100 * ((end / start) ** (1 / 5) - 1)
        assert count.loc[zone, "annual_rate"] == pytest.approx(tcam, rel=1e-12)


def test_paris_texts_say_the_golden_figures(paris, paris_portrait):
    sums = paris.groupby("COM")[
        ["P10_CHOM1564", "P10_ACT1564", "P15_CHOM1564", "P15_ACT1564"]
    ].sum()
    first = sums.loc["75101"]
    change = 100 * (
        first["P15_CHOM1564"] / first["P15_ACT1564"]
        - first["P10_CHOM1564"] / first["P10_ACT1564"]
    )
    expected = f"{change:+.1f}".replace(".", ",") + NBSP + "points"
    figures = {f["label"]: f for f in paris_portrait.key_figures()}
    rate = next(
        f for label, f in figures.items() if label.startswith("Taux de chômage")
    )
    assert rate["text"] == expected
    assert [name for name, _ in rate["gaps"]] == ["75056", "75102"]
    total = sums.sum()
    city = 100 * (
        total["P15_CHOM1564"] / total["P15_ACT1564"]
        - total["P10_CHOM1564"] / total["P10_ACT1564"]
    )
    city_text = f"{city:+.1f}".replace(".", ",")
    assert rate["gaps"][0][1].startswith(city_text)
    html = paris_portrait.to_html()
    assert "Portrait d'évolution 2010-2015" in html
    assert "IRIS de Paris (2015)" in html  # the geography, in the method note
    assert "millésimes 2010 et 2015" in html
    assert "Arrondissement voisin" in html and "Ville" in html


def _results(values_start, values_end, **columns):
    """Two tidy results of zones a and b for a count (no engine involved)."""
    base = {
        "zone": ["a", "b"],
        "zone_name": ["Zone <a>", "Département"],
        "indicator": "population",
        "label": "Population",
        "kind": "count",
        "unit": "habitants",
        "method": "exact",
        "estimated_share": 0.0,
        "secret": False,
        "secret_reason": "",
        "source": "INSEE",
        "coverage_label": "",
        "state": "value",
    }
    first = pd.DataFrame({**base, "value": values_start})
    last = pd.DataFrame({**base, "value": values_end})
    for key, value in columns.items():
        which, column = key.split("__")
        frame = first if which == "start" else last
        frame[column] = value
    return first, last


STATES = ("value", "secret", "missing", "partial")


def _end(state: str, value: float) -> dict:
    return {
        "value": np.nan if state == "missing" else value,
        "secret": state == "secret",
        "state": state,
        "coverage_label": "3 IRIS sur 4" if state == "partial" else "",
        "secret_reason": "primaire : moins de 11" if state == "secret" else "",
    }


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(STATES), st.sampled_from(STATES))
def test_states_of_both_ends_and_of_the_change_are_said(state_start, state_end):
    """Secret at one end → change secret; else missing; else partial; said."""
    first, last = _results([987.0, 1000.0], [1008.0, 1100.0])
    for frame, state in ((first, state_start), (last, state_end)):
        for column, value in _end(state, frame.loc[0, "value"]).items():
            frame[column] = frame[column].astype(object)
            frame.loc[0, column] = value
    ev = evolution_from_results(first, last, start=2015, end=2021)
    page = change_portrait(ev, "a", ["b"])
    order = ["secret", "missing", "partial", "value"]
    expected = min(state_start, state_end, key=order.index)
    row = page.to_frame().iloc[0]
    assert row["state"] == expected
    assert (row["state_start"], row["state_end"]) == (state_start, state_end)
    figure = page.key_figures()[0]
    cells = {line["what"]: cells[0] for line, cells in page.rows()}
    change_cell = cells["Évolution 2015-2021"]
    if expected == "secret":
        assert np.isnan(row["change"]) and np.isnan(row["value_start"])
        assert np.isnan(row["value_end"])
        assert figure["text"] == "secret statistique" and change_cell.secret
        assert any("évolution : secret statistique" in s for s in figure["states"])
        # no figure of the zone reaches the page
        text = re.sub(r"<[^>]*>", " ", page.to_html())  # what a reader sees
        assert not re.search(r"(?<![\d,])(987|1008|1\u202f008|21)(?![\d,])", text)
    elif expected == "missing":
        assert np.isnan(row["change"])
        assert figure["text"] == "donnée manquante"
        assert "évolution : donnée manquante" in figure["states"]
    else:
        assert row["change"] == 21.0 and figure["text"] == "+21"
        if expected == "partial":
            assert "partielle" in change_cell.flags
            assert any("2015 : " in s or "2021 : " in s for s in figure["states"])
            assert any("3 IRIS sur 4" in s for s in figure["states"])
        else:
            assert figure["states"] == []
    for year, state in (("2015", state_start), ("2021", state_end)):
        words = {
            "secret": "secret statistique",
            "missing": "donnée manquante",
            "partial": "partielle",
        }
        if state != "value":
            assert any(
                s.startswith(f"{year} : {words[state]}") for s in figure["states"]
            )
    # the reference is never affected by the zone's states
    assert page.to_frame().iloc[1]["change"] == 100.0


def test_names_from_data_are_escaped():
    first, last = _results([100.0, 1000.0], [121.0, 1100.0])
    page = change_portrait(
        evolution_from_results(first, last, start=2015, end=2021), "a", ["b"]
    )
    html = page.to_html()
    assert "Zone &lt;a&gt;" in html and "Zone <a>" not in html
    assert isinstance(page, ChangePortrait)
    assert "<ChangePortrait « Zone <a> » 2015-2021" in repr(page)


def test_bad_inputs_are_refused_in_french():
    first, last = _results([100.0, 1000.0], [121.0, 1100.0])
    ev = evolution_from_results(first, last, start=2015, end=2021)
    with pytest.raises(ZoneError) as info:
        change_portrait(ev, "a", ["inconnue"])
    assert info.value.codes == ["inconnue"]
    with pytest.raises(SourceFormatError, match="change_unit"):
        change_portrait(ev.drop(columns="change_unit"), "a")
    other = ev.assign(start=2010)
    mixed = pd.concat([ev.iloc[:1], other.iloc[1:]])
    with pytest.raises(SourceFormatError, match="une seule période"):
        change_portrait(mixed, "a", ["b"])


def test_save_writes_html_and_csv(tmp_path):
    first, last = _results([100.0, 1000.0], [121.0, 1100.0])
    page = change_portrait(
        evolution_from_results(first, last, start=2015, end=2021), "a", ["b"]
    )
    paths = page.save(tmp_path)
    back = pd.read_csv(paths["csv"], dtype={"zone": str})
    assert list(back.columns) == list(CHANGE_PORTRAIT_COLUMNS)
    assert back["change"].tolist() == [21.0, 100.0]


def test_recomputed_ends_match_the_engine():
    """A change in the portrait is the difference of two recompute() values."""
    units = pd.DataFrame(
        {
            "code": ["u0", "u1", "u2"],
            "P15_POP": [100.0, 50.0, 25.0],
            "P21_POP": [130.0, 40.0, 30.0],
        }
    )
    zones = zones_from_members(
        {"z": ["u0", "u1"], "all": ["u0", "u1", "u2"]}, units=units
    )
    first = recompute(units, zones, "population", vintage=2015)
    last = recompute(units, zones, "population", vintage=2021)
    page = change_portrait(
        evolution_from_results(first, last, start=2015, end=2021), "z", ["all"]
    )
    frame = page.to_frame().set_index("zone")
    ends = first.set_index("zone")["value"], last.set_index("zone")["value"]
    for zone in ("z", "all"):
        assert frame.loc[zone, "change"] == ends[1][zone] - ends[0][zone]


@pytest.mark.browser
def test_portrait_of_change_renders_in_chromium(
    browser, offline_page, tmp_path, paris_portrait
):
    path = paris_portrait.save(tmp_path)["html"]
    errors: list[str] = []
    page, external = offline_page(browser, path, errors)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.reload()
    text = page.inner_text("body")
    assert "Portrait d'évolution 2010-2015" in text
    assert "Évolution 2010-2015" in text and "Taux de croissance annuel moyen" in text
    assert page.locator("svg.territobs-bars").count() == 2
    assert page.pdf(format="A4").startswith(b"%PDF")
    assert errors == [] and console == [] and external == []
    page.close()


def test_estimated_share_is_flagged_on_the_change():
    first, last = _results([100.0, 1000.0], [121.0, 1100.0])
    last["estimated_share"] = [0.25, 0.0]
    page = change_portrait(
        evolution_from_results(first, last, start=2015, end=2021), "a", ["b"]
    )
    cells = {line["what"]: cells for line, cells in page.rows()}
    zone, reference = cells["Évolution 2015-2021"]
    assert "estimé (25\xa0%)" in zone.flags and not reference.flags
    assert any("jusqu'à 25 %" in line for line in page.method_lines())
