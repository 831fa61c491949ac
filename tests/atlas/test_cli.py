"""``territobs atlas`` and ``territobs portrait`` through click's runner."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from territobs.cli import cli

from .conftest import make_atlas


def test_atlas_check_only(tmp_path) -> None:
    config = make_atlas(tmp_path)
    result = CliRunner().invoke(cli, ["atlas", str(config), "--check"])
    assert result.exit_code == 0, result.output
    assert "Configuration valide : 4 zonages" in result.output
    assert not (tmp_path / "out").exists()


def test_atlas_invalid_config_is_a_territobs_error(tmp_path) -> None:
    from territobs.errors import ConfigError

    config = make_atlas(tmp_path)
    config.write_text(
        config.read_text(encoding="utf-8")
        .replace("k = ", "k = ")
        .replace('formats = ["html"]', 'formats = ["gif"]'),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["atlas", str(config)])
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError)
    assert result.exception.key == "maps.formats[0]"


def test_atlas_builds_then_reuses(built_atlas) -> None:
    config, _ = built_atlas
    result = CliRunner().invoke(cli, ["atlas", str(config), "--quiet-progress"])
    assert result.exit_code == 0, result.output
    assert "construit : 0 étape" in result.output
    assert "index :" in result.output


def test_atlas_help_is_french() -> None:
    result = CliRunner().invoke(cli, ["atlas", "--help"])
    assert "Reconstruit tout" in result.output
    assert "Affiche cette aide" in result.output


def test_portrait_command(tmp_path) -> None:
    table = pd.DataFrame(
        {
            "zone": ["01001", "01"],
            "zone_name": ["L'Abergement-Clémenciat", "Ain"],
            "indicator": "population",
            "label": "Population municipale",
            "kind": "count",
            "unit": "habitants",
            "value": [776.0, 600_000.0],
            "estimated_share": 0.0,
            "secret": False,
            "source": "INSEE",
            "vintage": "2016",
        }
    )
    path = tmp_path / "result.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "fiches"
    result = CliRunner().invoke(
        cli, ["portrait", str(path), "-z", "01001", "-r", "01", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    html = (out / "01001.html").read_text(encoding="utf-8")
    assert "Abergement" in html and "Ain" in html
    back = pd.read_csv(out / "01001.csv", dtype={"zone": str})
    assert back["zone"].tolist() == ["01001", "01"]


def test_portrait_unknown_zone(tmp_path) -> None:
    from territobs.errors import ZoneError

    path = tmp_path / "r.csv"
    pd.DataFrame(
        {
            "zone": ["a"],
            "zone_name": ["A"],
            "indicator": ["x"],
            "label": ["X"],
            "unit": [""],
            "value": [1.0],
        }
    ).to_csv(path, index=False)
    result = CliRunner().invoke(cli, ["portrait", str(path), "-z", "b"])
    assert isinstance(result.exception, ZoneError)
