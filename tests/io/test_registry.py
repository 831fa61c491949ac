"""One registry of readers for ``territobs read`` and the atlas."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from territobs.atlas import config as atlas_config
from territobs.atlas import steps
from territobs.cli import cli
from territobs.cli.read import read
from territobs.errors import ConfigError
from territobs.io.registry import READER_NAMES, READERS, guess_reader, read_source

GRID = Path(__file__).resolve().parents[1] / "data" / "filosofi"
GRID_FILE = GRID / "carreaux_200m_saint_denis.csv"


def test_one_vocabulary_for_cli_and_atlas() -> None:
    option = next(p for p in read.params if p.name == "kind")
    assert list(option.type.choices) == ["auto", *READER_NAMES]
    assert atlas_config.READERS == READER_NAMES
    for reader in READERS.values():
        assert callable(reader.load())


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("carreaux.csv", "Idcar_200m;Ind\nCRS3035RES200mN1E2;1\n", "grid"),
        ("caf.csv", "Codes_Insee;NB_allocataires\n93001;12\n", "caf"),
        ("rp.csv", "CODGEO;P21_POP\n93001;12\n", "insee"),
        ("limites.gpkg", "", "boundaries"),
        ("rp.xlsx", "", "insee"),
    ],
)
def test_guess_reader(tmp_path, name, text, expected) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert guess_reader(path) == expected


def test_unknown_reader_is_a_french_error(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("code;x\n93001;1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="lecteurs possibles") as info:
        read_source(path, "grille")
    assert info.value.key == "reader"


def test_table_reader_through_registry(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("code;x\n01001;1,5\n", encoding="utf-8")
    frame = read_source(path, "table")
    assert frame["code"].tolist() == ["01001"]
    assert frame["x"].tolist() == [1.5]


def test_grid_reader_reachable_from_an_atlas(tmp_path) -> None:
    """Before the registry, ``reader = "grid"`` was refused by the atlas."""
    (tmp_path / "z.csv").write_text("zone;code\na;x\n", encoding="utf-8")
    text = f"""
indicators = ["population"]
[[sources]]
id = "carreaux"
path = "{GRID_FILE.as_posix()}"
reader = "grid"
[[zones]]
id = "z"
members = "z.csv"
"""
    path = tmp_path / "atlas.toml"
    path.write_text(text, encoding="utf-8")
    config = atlas_config.parse_config(tomllib.loads(text), path)
    frame = steps.read_source(config, "carreaux")
    assert len(frame) == 6
    assert (frame["level"] == "carreau").all()


def test_cli_reads_a_grid_and_a_table(tmp_path) -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["read", str(GRID_FILE)])
    assert out.exit_code == 0, out.output
    assert "Type : carreaux INSEE" in out.output
    table = tmp_path / "t.csv"
    table.write_text("code;x\n01001;1\n", encoding="utf-8")
    out = runner.invoke(cli, ["read", str(table), "--kind", "table"])
    assert out.exit_code == 0, out.output
    assert "Type : table de valeurs par code" in out.output
