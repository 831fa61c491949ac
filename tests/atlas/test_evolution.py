"""``[[evolutions]]`` in an atlas: tables, change maps, index, secrecy, --check."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from territobs.atlas.config import load_config, parse_config
from territobs.atlas.evolution import mask_published
from territobs.errors import ConfigError

RP = """CODGEO;P10_POP;P15_POP;P10_CHOM1564;P10_ACT1564;P15_CHOM1564;P15_ACT1564
93001;1000;1100;100;500;90;520
93002;2000;2100;150;900;160;950
93003;500;450;40;250;50;240
93004;800;900;70;400;60;420
93005;700;750;50;350;55;360
93006;30;80;2;15;5;40
"""
MEMBERS = {"nord": ["93001", "93002", "93003", "93004"], "sud": ["93005", "93006"]}

CONFIG = """
title = "Évolutions"
output = "out"
indicators = ["population"]

[[sources]]
id = "communes"
path = "communes.geojson"
reader = "boundaries"
options = {{ level = "commune" }}

[[sources]]
id = "rp"
path = "rp.csv"
reader = "insee"

[territory]
units = "communes"
tables = ["rp"]

[[zones]]
id = "secteurs"
label = "Secteurs"
members = {{ nord = ["93001", "93002", "93003", "93004"], sud = ["93005", "93006"] }}
portraits = false

[[zones]]
id = "communes"
label = "Communes"
units = true
portraits = false

{evolutions}

[secrecy.indicators]
"*" = "dep"
[secrecy.rules.dep]
threshold = 50

[maps]
formats = ["html"]
"""

EVOLUTION = """
[[evolutions]]
indicators = ["population", "unemployment_rate"]
start = 2010
end = 2015
geography = "communes, COG 2024"
"""


def _atlas(folder, evolutions=EVOLUTION):
    folder.mkdir(parents=True, exist_ok=True)
    codes = [f"9300{i}" for i in range(1, 7)]
    gpd.GeoDataFrame(
        {"INSEE_COM": codes, "NOM": [f"C{i}" for i in range(6)]},
        geometry=[
            shapely.box(650000 + 1000 * i, 6860000, 651000 + 1000 * i, 6861000)
            for i in range(6)
        ],
        crs=2154,
    ).to_file(folder / "communes.geojson")
    (folder / "rp.csv").write_text(RP, encoding="utf-8")
    path = folder / "atlas.toml"
    path.write_text(CONFIG.format(evolutions=evolutions), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from territobs.atlas import build_atlas

    path = _atlas(tmp_path_factory.mktemp("evolution-atlas"))
    return path, build_atlas(path)


def _read(path, zoning):
    folder = path.parent / "out" / "evolutions" / zoning
    return pd.read_csv(folder / "2010-2015.csv", dtype={"zone": str}).set_index(
        ["zone", "indicator"]
    )


def test_table_golden(built):
    path, report = built
    assert "evolution:2010-2015" in report.built
    table = _read(path, "secteurs")
    rp = pd.read_csv(io.StringIO(RP), sep=";", dtype={"CODGEO": str})
    zone_of = {c: z for z, cs in MEMBERS.items() for c in cs}
    sums = rp.groupby(rp["CODGEO"].map(zone_of)).sum(numeric_only=True)
    pop = table.loc[("nord", "population")]
    assert pop["value_start"] == sums.loc["nord", "P10_POP"]
    assert pop["change"] == sums.loc["nord", "P15_POP"] - sums.loc["nord", "P10_POP"]
    rate = table.loc[("nord", "unemployment_rate")]
    expected = 100 * (
        sums.loc["nord", "P15_CHOM1564"] / sums.loc["nord", "P15_ACT1564"]
        - sums.loc["nord", "P10_CHOM1564"] / sums.loc["nord", "P10_ACT1564"]
    )
    np.testing.assert_allclose(rate["change"], expected, rtol=1e-12)
    assert rate["change_unit"] == "points"
    assert set(table["geography"]) == {"communes, COG 2024"}
    out = path.parent / "out" / "evolutions" / "secteurs"
    sheet = pd.read_excel(out / "2010-2015.xlsx", sheet_name="Évolutions")
    assert {"Valeur 2010", "Valeur 2015", "Évolution 2010-2015"} <= set(sheet.columns)
    html = (out / "2010-2015-unemployment_rate.html").read_text(encoding="utf-8")
    assert "2010" in html and "2015" in html and "communes, COG 2024" in html


def test_secret_start_is_not_given_back(built):
    path, _ = built
    communes = _read(path, "communes")
    secteurs = _read(path, "secteurs")
    # 93006 has 30 inhabitants in 2010, under the threshold of 50: its 2015
    # value (80) is published in the atlas's own table, so the change (which
    # would give 30 back) and both ends are masked
    masked = communes.loc[("93006", "population")]
    assert masked["etat"] == "secret statistique"
    assert masked[["value_start", "value_end", "change"]].isna().all()
    # « sud » = 93005 + 93006: both zonings are published together, so
    # sud − 93005 cannot give the masked 2010 value back
    sud = secteurs.loc[("sud", "population"), "value_start"]
    other = communes.loc[("93005", "population"), "value_start"]
    assert np.isnan(sud) or np.isnan(other)


def test_index_lists_the_evolutions(built):
    path, _ = built
    index = (path.parent / "out" / "index.html").read_text(encoding="utf-8")
    assert 'href="evolutions/secteurs/2010-2015.csv"' in index
    assert 'href="evolutions/secteurs/2010-2015-population.html"' in index
    assert 'href="evolutions/communes/2010-2015.xlsx"' in index
    assert "évolution 2010-2015" in index


def test_no_change_refresh_reuses_it_without_pandas(built):
    import subprocess
    import sys

    path, _ = built
    code = (
        "import sys; from territobs.atlas import build_atlas; "
        f"r = build_atlas({str(path)!r}); "
        "assert r.built == [], r.built; "
        "assert 'evolution:2010-2015' in r.reused, r.reused; "
        "print(sorted(m for m in ('pandas', 'geopandas', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("block", "key"),
    [
        ("[[evolutions]]\nindicators = ['population']\nstart = 2015\nend = 2010\n",
         "evolutions[0].end"),
        ("[[evolutions]]\nindicators = ['population']\nend = 2015\n",
         "evolutions[0].start"),
        ("[[evolutions]]\nstart = 2010\nend = 2015\n", "evolutions[0].indicators"),
        ("[[evolutions]]\nindicators = ['population']\nstart = 2010\nend = 2015\n"
         "zonings = ['nope']\n", "evolutions[0].zonings[0]"),
        ("[[evolutions]]\nindicators = ['population']\nstart = 2010\nend = 2015\n"
         "colour = 'red'\n", "evolutions[0].colour"),
        ("[[evolutions]]\nindicators = ['population']\nstart = 2010\nend = 2015\n"
         "[[evolutions]]\nindicators = ['density']\nstart = 2010\nend = 2015\n",
         "evolutions[1].id"),
        ("evolutions = 3\n", "evolutions"),
    ],
)  # fmt: skip
def test_config_problems_name_their_key(tmp_path, block, key):
    import tomllib

    text = CONFIG.format(evolutions="").replace(
        'indicators = ["population"]', 'indicators = ["population"]\n' + block, 1
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(tomllib.loads(text), tmp_path / "atlas.toml")
    assert key in [k for k, _ in caught.value.problems]


def test_check_reports_unknown_indicator_and_absent_vintage(tmp_path):
    from territobs.atlas.check import check_atlas

    block = EVOLUTION.replace('"unemployment_rate"', '"chomage_inconnu"').replace(
        "start = 2010", "start = 2005"
    )
    problems = check_atlas(load_config(_atlas(tmp_path, block)))
    keys = [k for k, _ in problems]
    assert "evolutions[0].indicators[1]" in keys
    absent = dict(problems)["evolutions[0].indicators[0]"]
    assert "2005" in absent


def test_a_figure_masked_by_the_atlas_masks_the_change():
    table = pd.DataFrame(
        {
            "zone": ["a", "b"],
            "indicator": ["population", "population"],
            "start": 2010,
            "end": 2015,
            "value_start": [10.0, 20.0],
            "value_end": [12.0, 25.0],
            "change": [2.0, 5.0],
            "annual_rate": [3.7, 4.6],
            "state": ["value", "value"],
            "state_start": ["value", "value"],
            "state_end": ["value", "value"],
            "coverage_label": "",
            "secret": False,
            "secret_reason": "",
        }
    )
    published = pd.DataFrame(
        {
            "zone": ["a", "b", "b"],
            "indicator": ["population"] * 3,
            "vintage": ["2015", "2021", "2015"],
            "state": ["secret", "secret", "value"],
        }
    )
    out = mask_published(table, published).set_index("zone")
    assert out.loc["a", "state"] == "secret"
    # the end masked by the atlas (2015) is said secret, the other end not
    assert (out.loc["a", "state_start"], out.loc["a", "state_end"]) == (
        "value",
        "secret",
    )
    assert np.isnan(out.loc["a", ["value_start", "value_end", "change"]]).all()
    # a masked figure of another vintage says nothing about this change
    assert out.loc["b", "change"] == 5.0


# ------------------------------------------------ portraits of change, centre

PORTRAITS = CONFIG.replace(
    'portraits = false\n\n[[zones]]\nid = "communes"',
    'references = ["departement"]\nportraits = true\n\n[[zones]]\nid = "communes"',
).replace(
    "units = true\nportraits = false",
    'units = true\nreferences = ["secteurs", "departement"]\nportraits = true',
) + (
    '\n[[references]]\nid = "departement"\nlabel = "Département"\nall = true\n'
    'name = "Seine-Saint-Denis"\n'
)


def _atlas_with_portraits(folder, evolutions):
    path = _atlas(folder, evolutions)
    path.write_text(PORTRAITS.format(evolutions=evolutions), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def with_portraits(tmp_path_factory):
    from territobs.atlas import build_atlas

    path = _atlas_with_portraits(
        tmp_path_factory.mktemp("evolution-portraits"),
        EVOLUTION + 'centre = "departement"\n',
    )
    return path, build_atlas(path)


def test_portraits_of_change_golden(with_portraits):
    """Each zone's page: its change beside its references', from the same sums."""
    path, _ = with_portraits
    out = path.parent / "out" / "evolutions"
    page = pd.read_csv(out / "secteurs" / "2010-2015" / "nord.csv", dtype={"zone": str})
    rp = pd.read_csv(io.StringIO(RP), sep=";", dtype={"CODGEO": str})
    zone_of = {c: z for z, cs in MEMBERS.items() for c in cs}
    sums = rp.groupby(rp["CODGEO"].map(zone_of)).sum(numeric_only=True)
    sums.loc["departement/departement"] = rp.sum(numeric_only=True)
    rate = page[page["indicator"] == "unemployment_rate"].set_index("zone")
    assert list(rate.index) == ["nord", "departement/departement"]
    for zone, key in (
        ("nord", "nord"),
        ("departement/departement", "departement/departement"),
    ):
        s = sums.loc[key]
        expected = 100 * (
            s["P15_CHOM1564"] / s["P15_ACT1564"] - s["P10_CHOM1564"] / s["P10_ACT1564"]
        )
        np.testing.assert_allclose(rate.loc[zone, "change"], expected, rtol=1e-12)
        # the change shown is the difference of the two values shown
        np.testing.assert_allclose(
            rate.loc[zone, "change"],
            rate.loc[zone, "value_end"] - rate.loc[zone, "value_start"],
            rtol=1e-12,
        )
    # the same figures as the evolution table of the zoning
    table = _read(path, "secteurs")
    assert (
        rate.loc["nord", "change"] == table.loc[("nord", "unemployment_rate"), "change"]
    )
    html = (out / "secteurs" / "2010-2015" / "nord.html").read_text(encoding="utf-8")
    assert "Portrait d'évolution 2010-2015" in html
    assert "communes, COG 2024" in html and 'href="../../../index.html"' in html


def test_portrait_of_change_says_secret_ends(with_portraits):
    """93006 is secret in 2010 (30 < 50): its page says so, shows none of it."""
    path, _ = with_portraits
    folder = path.parent / "out" / "evolutions" / "communes" / "2010-2015"
    page = pd.read_csv(folder / "93006.csv", dtype={"zone": str})
    own = page[(page["zone"] == "93006") & (page["indicator"] == "population")].iloc[0]
    assert own["state"] == "secret" and own["state_start"] == "secret"
    assert np.isnan(own[["value_start", "value_end", "change"]].astype(float)).all()
    html = (folder / "93006.html").read_text(encoding="utf-8")
    assert "2010 : secret statistique" in html
    assert "évolution : secret statistique" in html
    assert ">30<" not in html and ">50<" not in html
    # its references: the sector it belongs to and the département
    assert set(page["zone"]) == {"93006", "secteurs/sud", "departement/departement"}


def test_index_lists_the_portraits_of_change(with_portraits):
    path, _ = with_portraits
    index = (path.parent / "out" / "index.html").read_text(encoding="utf-8")
    assert 'href="evolutions/secteurs/2010-2015/nord.html"' in index
    assert 'href="evolutions/communes/2010-2015/93001.csv"' in index
    assert "nord : évolution 2010-2015" in index
    # the zones' own portraits are still listed
    assert 'href="portraits/secteurs/nord.html"' in index


def test_change_maps_centred_on_the_departement(with_portraits):
    path, _ = with_portraits
    out = path.parent / "out" / "evolutions" / "secteurs"
    html = (out / "2010-2015-unemployment_rate.html").read_text(encoding="utf-8")
    rp = pd.read_csv(io.StringIO(RP), sep=";", dtype={"CODGEO": str})
    s = rp.sum(numeric_only=True)
    change = 100 * (
        s["P15_CHOM1564"] / s["P15_ACT1564"] - s["P10_CHOM1564"] / s["P10_ACT1564"]
    )
    text = f"{change:+.1f}".replace(".", ",").replace("-", "-")
    assert (
        "Couleurs centrées sur l&#39;évolution de référence (Seine-Saint-Denis) : "
        f"{text}\xa0point" in html
    )


@pytest.mark.browser
def test_portrait_of_change_renders_in_chromium(browser, offline_page, with_portraits):
    path, _ = with_portraits
    errors: list[str] = []
    page, external = offline_page(
        browser,
        path.parent / "out" / "evolutions" / "secteurs" / "2010-2015" / "sud.html",
        errors,
    )
    text = page.inner_text("body")
    assert "Portrait d'évolution 2010-2015" in text and "Seine-Saint-Denis" in text
    assert page.locator("svg.territobs-locator").count() == 1
    assert errors == [] and external == []
    page.close()


def test_centre_must_be_a_reference(tmp_path):
    import tomllib

    text = PORTRAITS.format(evolutions=EVOLUTION + 'centre = "secteurs"\n')
    with pytest.raises(ConfigError) as caught:
        parse_config(tomllib.loads(text), tmp_path / "atlas.toml")
    assert "evolutions[0].centre" in [k for k, _ in caught.value.problems]


def test_portraits_can_be_turned_off(tmp_path):
    from territobs.atlas import build_atlas

    path = _atlas_with_portraits(tmp_path, EVOLUTION + "portraits = false\n")
    build_atlas(path)
    assert not (path.parent / "out" / "evolutions" / "secteurs" / "2010-2015").exists()
    assert (path.parent / "out" / "portraits" / "secteurs" / "nord.html").exists()


def test_check_refuses_a_centre_of_several_territories(tmp_path):
    from territobs.atlas.check import check_atlas

    path = _atlas_with_portraits(tmp_path, EVOLUTION + 'centre = "departement"\n')
    text = path.read_text(encoding="utf-8").replace(
        "all = true", 'departement = "auto"', 1
    )
    path.write_text(text, encoding="utf-8")
    problems = dict(check_atlas(load_config(path)))
    assert "plusieurs" in problems["evolutions[0].centre"]


def test_portrait_of_a_zone_masked_at_both_ends_without_references(tmp_path):
    """Commune 93006 (30 and 80 inhabitants) is secret in both vintages and its
    portrait has no reference: no value to take decimals from (the build
    stopped on a KeyError)."""
    from territobs.atlas import build_atlas

    path = _atlas(tmp_path, EVOLUTION + "portraits = true\n")
    build_atlas(path)
    page = tmp_path / "out" / "evolutions" / "communes" / "2010-2015" / "93006.html"
    text = page.read_text(encoding="utf-8")
    assert "secret statistique" in text
    assert ">30<" not in text and ">80<" not in text
