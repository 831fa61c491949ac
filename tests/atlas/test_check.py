"""``territobs atlas --check`` catches what the build would hit, on small files."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from territobs.atlas.check import check_atlas
from territobs.atlas.config import load_config
from territobs.cli import cli
from territobs.errors import ConfigError

GOOD = """
title = "Essai"
output = "out"
indicators = ["population"{extra}]

[[sources]]
id = "communes"
path = "communes.geojson"
reader = "boundaries"

[[sources]]
id = "rp"
path = "rp.csv"
reader = "insee"

[territory]
units = "communes"
tables = ["rp"]

[[zones]]
id = "duo"
label = "Deux communes"
members = {{ duo = ["93001", "{member}"] }}
{secrecy}
"""


@pytest.fixture
def folder(tmp_path):
    features = [
        {
            "type": "Feature",
            "properties": {"INSEE_COM": code, "NOM": name},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[x, 48.9], [x + 0.01, 48.9], [x + 0.01, 48.91], [x, 48.9]]
                ],
            },
        }
        for x, code, name in [
            (2.38, "93001", "Aubervilliers"),
            (2.40, "93055", "Pantin"),
        ]
    ]
    (tmp_path / "communes.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}),
        encoding="utf-8",
    )
    (tmp_path / "rp.csv").write_text(
        "CODGEO;P21_POP\n93001;86000\n93055;59000\n", encoding="utf-8"
    )
    return tmp_path


def _config(folder, extra="", member="93055", secrecy=""):
    path = folder / "atlas.toml"
    path.write_text(
        GOOD.format(extra=extra, member=member, secrecy=secrecy), encoding="utf-8"
    )
    return path


def test_valid_config_passes(folder) -> None:
    assert check_atlas(load_config(_config(folder))) == []
    result = CliRunner().invoke(cli, ["atlas", "--check", str(_config(folder))])
    assert result.exit_code == 0, result.output
    assert "Configuration valide" in result.output
    assert not (folder / "out" / "index.html").exists()


def test_every_build_error_is_caught(folder) -> None:
    path = _config(
        folder,
        extra=', "povrety_rate", "median_living_standard", "rsa_beneficiaries"',
        member="93999",
        secrecy='[secrecy.indicators]\n"*" = "nope"\n',
    )
    problems = dict(check_atlas(load_config(path)))
    assert "povrety_rate" in problems["indicators[1]"]
    assert "approximation" in problems["indicators[2]"]
    assert "ALL_RSA" in problems["indicators[3]"]
    assert "nope" in problems["secrecy.indicators.*"]
    assert "93999" in problems["zones[0]"]
    result = CliRunner().invoke(cli, ["atlas", "--check", str(path)])
    assert isinstance(result.exception, ConfigError)
    assert "la construction échouerait (5 problèmes)" in result.exception.message
    assert result.exception.key == "indicators[1]"


def test_members_of_another_level_are_named(folder) -> None:
    path = _config(folder, member="930550101")
    problems = dict(check_atlas(load_config(path)))
    assert "930550101" in problems["zones[0]"]


BAD_CATALOG = """
[[indicators]]
id = "beds"
kind = "cout"
label = "Lits"
variable = "LITS"

[[indicators]]
id = "rate"
kind = "share"
label = "Taux"
numerator = "N"
scael = 100
"""

BAD_RULES = """
[secrecy.rules.cd93]
threshold = -1
seuil = 3

[secrecy.indicators]
"*" = "cd93"
population = "cnaf"
"""


def test_check_and_build_refuse_the_same_files_listing_every_problem(
    folder,
) -> None:
    """A misspelt indicator, bad catalogue entries and invalid secrecy rules:
    every problem at once, with its key path, from ``--check`` and the build."""
    (folder / "mine.toml").write_text(BAD_CATALOG, encoding="utf-8")
    path = _config(folder, extra=', "populaton"', secrecy=BAD_RULES)
    text = path.read_text(encoding="utf-8").replace(
        'output = "out"', 'output = "out"\ncatalog = "mine.toml"'
    )
    path.write_text(text, encoding="utf-8")
    problems = check_atlas(load_config(path))
    keys = [key for key, _ in problems]
    assert keys[:4] == [
        "catalog (mine.toml) indicators[0].kind",
        "catalog (mine.toml) indicators[1].scael",
        "catalog (mine.toml) indicators[1].denominator",
        "secrecy.rules.cd93.seuil",
    ]
    assert "secrecy.rules.cd93.threshold" in keys
    assert "secrecy.indicators.population" in keys
    messages = dict(problems)
    assert "vouliez-vous dire « scale »" in messages[keys[1]]
    assert "cnaf" in messages["secrecy.indicators.population"]
    result = CliRunner().invoke(cli, ["atlas", "--check", str(path)])
    assert isinstance(result.exception, ConfigError)
    assert "la construction échouerait (6 problèmes)" in result.exception.message

    # the catalogue fixed, the misspelt indicator and the rules remain
    (folder / "mine.toml").write_text("", encoding="utf-8")
    keys = [key for key, _ in check_atlas(load_config(path))]
    assert keys[0] == "indicators[1]"
    assert {"secrecy.rules.cd93.threshold", "secrecy.indicators.population"} <= set(
        keys
    )
    from territobs.atlas.build import build_atlas

    with pytest.raises(ConfigError) as info:
        build_atlas(path)
    assert [k for k, _ in info.value.problems] == [
        k for k in keys if not k.startswith("zones")
    ]
    assert not (folder / "out" / "index.html").exists()


SCENARIO_PROPOSAL = """
[[scenarios]]
id = "redecoupage"
title = "Deux découpages"
indicators = ["population"]

[[scenarios.zonings]]
id = "noms"
label = "Une zone par nom"
column = "name"

[[scenarios.zonings]]
id = "propose"
label = "Proposé"
propose = { method = "kmeans", n_zones = 2, seed = 0 }
"""


def test_check_catches_a_proposal_on_a_count_some_units_lack(folder) -> None:
    """The build would stop in the proposal: --check says so first, naming the unit."""
    config = _config(folder)
    config.write_text(
        config.read_text(encoding="utf-8") + SCENARIO_PROPOSAL, encoding="utf-8"
    )
    assert check_atlas(load_config(config)) == []
    (folder / "rp.csv").write_text("CODGEO;P21_POP\n93001;86000\n", encoding="utf-8")
    problems = dict(check_atlas(load_config(config)))
    text = problems["scenarios[0].zonings[1].propose"]
    assert "« population »" in text and "93055" in text
