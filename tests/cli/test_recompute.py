from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose
from shapely.geometry import box

from territobs.cli import cli
from territobs.errors import MethodError
from territobs.zoning.recompute import RESULT_COLUMNS

CODES = ["93001", "93005", "93006", "93007"]


@pytest.fixture
def files(tmp_path):
    units = gpd.GeoDataFrame(
        {"INSEE_COM": CODES, "NOM": ["Aubervilliers", "Aulnay-sous-Bois", "Bagnolet", "Le Blanc-Mesnil"]},
        geometry=[box(652000 + 1000 * i, 6860000, 653000 + 1000 * i, 6861000) for i in range(4)],
        crs=2154,
    )  # fmt: skip
    units_path = tmp_path / "communes.gpkg"
    units.to_file(units_path, driver="GPKG")
    table = tmp_path / "rp.csv"
    table.write_text(
        "CODGEO;P21_POP;P21_POP75P;TP6021;NBPERSMENFISC21;MED21\n"
        "93001;90000;4000;44,0;80000;14000\n"
        "93005;86000;6000;24,0;85000;18000\n"
        "93006;36000;2000;30,0;35000;17000\n"
        "93007;57000;4000;27,0;56000;17500\n",
        encoding="utf-8",
    )
    zones = tmp_path / "zones.csv"
    zones.write_text(
        "zone;membres\nouest;93001,93006\nest;93005,93007\n", encoding="utf-8"
    )
    return {"units": units_path, "table": table, "zones": zones, "dir": tmp_path}


def _args(files, output, *extra):
    return [
        "recompute", "--units", str(files["units"]), "--table", str(files["table"]),
        "--zones", str(files["zones"]), "--output", str(output), *extra,
    ]  # fmt: skip


def test_recompute_csv(files):
    out = files["dir"] / "res.csv"
    runner = CliRunner()
    result = runner.invoke(
        cli, _args(files, out, "--indicator", "population", "--indicator", "TP6021"),
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 indicateurs recalculés sur" in result.output
    table = pd.read_csv(out, dtype={"zone": str})
    assert tuple(table.columns) == RESULT_COLUMNS
    pop = table[table["indicator"] == "population"].set_index("zone")["value"]
    assert_allclose(pop.loc[["ouest", "est"]], [126000, 143000])
    rate = table[table["indicator"] == "poverty_rate"].set_index("zone")["value"]
    assert rate.loc["ouest"] == pytest.approx(
        100 * (0.44 * 80000 + 0.30 * 35000) / 115000
    )


def test_recompute_gpkg_wide(files):
    out = files["dir"] / "res.gpkg"
    result = CliRunner().invoke(
        cli, _args(files, out, "--indicator", "share_75p"), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    wide = gpd.read_file(out, layer="resultats")
    assert {
        "zone",
        "share_75p",
        "share_75p__secret",
        "share_75p__estimated_share",
    } <= set(wide.columns)
    assert wide.geometry.notna().all()


def test_recompute_parquet_with_approximation(files):
    out = files["dir"] / "res.parquet"
    result = CliRunner().invoke(
        cli,
        _args(files, out, "--indicator", "median_living_standard",
              "--approximation", "population_weighted_mean_of_medians"),
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out)
    assert (table["approximation"] == "population_weighted_mean_of_medians").all()


def test_median_refused_is_a_territobs_error(files):
    out = files["dir"] / "res.csv"
    result = CliRunner().invoke(
        cli, _args(files, out, "--indicator", "median_living_standard")
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, MethodError)
    assert not out.exists()


def test_bad_output_extension(files):
    result = CliRunner().invoke(
        cli, _args(files, files["dir"] / "res.txt", "--indicator", "pop")
    )
    assert result.exit_code == 2
    assert ".csv, .parquet ou .gpkg" in result.output


def test_help_is_french():
    result = CliRunner().invoke(cli, ["recompute", "--help"])
    assert result.exit_code == 0
    assert "Recalcule des indicateurs" in result.output
    assert "Indicateur du catalogue" in result.output
