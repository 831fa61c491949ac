"""An atlas on INSEE's IRIS files as published (93): states, coverage, approximations.

Census « type H » extract (activity IRIS have no row), Filosofi IRIS 2015
« DISP » (rates and medians, no count of persons), a circonscription given as
communes over IRIS units, a PST of three IRIS, the département reference.
"""

from __future__ import annotations

import pandas as pd
import pytest

pytestmark = pytest.mark.shared_data

CONFIG = """
title = "Diagnostic IRIS 93"
output = "out"
indicators = ["population", "poverty_rate", "median_living_standard"]

[[sources]]
id = "iris"
path = "{data}/boundaries/grand-paris-iris/map_iris.shp"
reader = "boundaries"
options = {{ level = "iris" }}

[[sources]]
id = "rp"
path = "{data}/insee/rp2016-iris-typeH-population.csv.gz"
reader = "insee"

[[sources]]
id = "filo"
path = "{data}/insee/filosofi-iris-2015-disp.csv.gz"
reader = "insee"

[territory]
units = "iris"
tables = ["rp", "filo"]

[[zones]]
id = "circo"
label = "Circonscriptions"
members = {{ nord = ["93066", "93001"], est = ["93008"] }}
member_level = "commune"
names = {{ nord = "Circonscription Nord", est = "Circonscription Bobigny" }}
maps = ["population"]
references = ["departement"]

[[zones]]
id = "pst"
label = "PST"
members = {{ pst = ["930080101", "930080102", "930080103"] }}
names = {{ pst = "PST Bobigny centre" }}
maps = ["poverty_rate"]
references = ["departement"]

[[references]]
id = "departement"
label = "Département"
departement = "auto"

[publication]
min_coverage = 0.9
[publication.approximations]
poverty_rate = "census_population_weights"
median_living_standard = "census_population_weights"

[maps]
formats = ["html"]
"""


@pytest.fixture(scope="module")
def atlas(shared_data, tmp_path_factory):
    from territobs.atlas import build_atlas

    folder = tmp_path_factory.mktemp("iris-atlas")
    path = folder / "atlas.toml"
    path.write_text(CONFIG.format(data=shared_data), encoding="utf-8")
    build_atlas(path)
    return folder / "out"


def _table(atlas, zoning):
    return pd.read_csv(atlas / "tables" / f"{zoning}.csv", dtype={"zone": str})


def test_circonscription_of_communes_over_iris(atlas) -> None:
    table = _table(atlas, "circo").set_index(["zone", "indicator"])
    nord = table.loc[("nord", "population")]
    assert nord["zone_name"] == "Circonscription Nord"
    assert nord["state"] == "partial"
    assert nord["etat"] == "partielle"
    assert nord["coverage_label"] == "63 IRIS sur 67"
    assert table.loc[("est", "population"), "state"] == "value"
    assert not table["secret"].any()


def test_pst_gets_poverty_rate_and_median_flagged(atlas) -> None:
    table = _table(atlas, "pst").set_index("indicator")
    for indicator in ("poverty_rate", "median_living_standard"):
        row = table.loc[indicator]
        assert row["state"] == "value"
        assert row["value"] > 0
        assert row["approximation"] == "census_population_weights"
        assert row["vintage"] == "2015 ; pondération : population 2016"
    assert table.loc["population", "zone_name"] == "PST Bobigny centre"


def test_census_reference_is_never_secret(atlas) -> None:
    portrait = pd.read_csv(atlas / "portraits" / "circo" / "nord.csv")
    census = portrait[portrait["indicator"] == "population"]
    assert not census["secret"].any()
    assert census["value"].notna().all()


def test_map_caption_names_iris_and_partial_zones(atlas) -> None:
    html = (atlas / "maps" / "circo" / "population.html").read_text(encoding="utf-8")
    assert "communes entières" not in html
    assert "IRIS renseignés" in html
    assert "1 zone à valeur partielle" in html


def test_xlsx_says_state_and_coverage(atlas) -> None:
    notes = pd.read_excel(
        atlas / "tables" / "circo.xlsx", sheet_name="Secret et estimations"
    )
    row = notes[
        (notes["Zone"] == "nord") & (notes["Indicateur"] == "Population municipale")
    ]
    assert row["État"].tolist() == ["partielle"]
    assert row["Couverture"].tolist() == ["63 IRIS sur 67"]
