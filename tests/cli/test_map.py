from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from territobs.cli import cli


@pytest.fixture
def layer(tmp_path):
    cells = [box(2.3 + 0.01 * i, 48.8, 2.31 + 0.01 * i, 48.81) for i in range(4)]
    frame = gpd.GeoDataFrame(
        {
            "name": ["A", "B", "C", "D"],
            "taux": [1.0, 2.0, 3.0, 4.0],
            "pop": [10, 20, 30, 40],
        },
        geometry=cells,
        crs=4326,
    )
    path = tmp_path / "zones.gpkg"
    frame.to_file(path)
    return path


@pytest.mark.parametrize("suffix", [".html", ".png", ".svg", ".pdf"])
def test_map_writes_every_format(layer, tmp_path, suffix):
    out = tmp_path / f"carte{suffix}"
    result = CliRunner().invoke(
        cli,
        [
            "map",
            str(layer),
            "-c",
            "taux",
            "--unit",
            "%",
            "--k",
            "2",
            "--title",
            "Taux",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000
    if suffix == ".html":
        text = out.read_text(encoding="utf-8")
        assert "<script src" not in text
        assert "Taux" in text


def test_map_layers_and_breaks(layer, tmp_path):
    out = tmp_path / "carte.html"
    result = CliRunner().invoke(
        cli,
        [
            "map",
            str(layer),
            "-c",
            "taux",
            "-c",
            "pop",
            "--breaks",
            "0,2,5",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert '"label":"pop"' in out.read_text(encoding="utf-8")


def test_map_errors_are_french(layer, tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        cli, ["map", str(layer), "-c", "taux", "-o", str(tmp_path / "c.jpg")]
    )
    assert result.exit_code == 2
    assert "extensions possibles" in result.output
    result = runner.invoke(
        cli, ["map", str(layer), "-c", "absente", "-o", str(tmp_path / "c.html")]
    )
    assert result.exit_code != 0
    assert "absente" in str(result.exception)


def test_map_help_is_french():
    result = CliRunner().invoke(cli, ["map", "--help"])
    assert result.exit_code == 0
    assert "Colonne numérique" in result.output
    assert np.char.find(result.output, "Exemple") >= 0
