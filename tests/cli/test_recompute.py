from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose
from shapely.geometry import box

from territobs.cli import cli
from territobs.errors import MethodError, SourceFormatError
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
    assert tuple(table.columns) == (*RESULT_COLUMNS, "etat")
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


# ------------------------------------------------------------- zone names
def _zone_names(out):
    table = pd.read_csv(out, dtype={"zone": str})
    return table.drop_duplicates("zone").set_index("zone")["zone_name"].to_dict()


def test_name_column_option(files):
    """--name-column names the zones in the result (read by portraits)."""
    files["zones"].write_text(
        "zone;libelle_long;membres\n"
        "ouest;Circonscription Ouest;93001,93006\n"
        "est;Circonscription Est;93005,93007\n",
        encoding="utf-8",
    )
    out = files["dir"] / "res.csv"
    result = CliRunner().invoke(
        cli,
        _args(files, out, "--indicator", "population",
              "--name-column", "libelle_long"),
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _zone_names(out) == {
        "ouest": "Circonscription Ouest",
        "est": "Circonscription Est",
    }


def test_name_column_detected_and_reported(files):
    """A ``nom`` column is used for the zone names, and the user is told."""
    files["zones"].write_text(
        "zone;nom;code_commune\n"
        "ouest;Circonscription Ouest;93001\n"
        "ouest;Circonscription Ouest;93006\n"
        "est;Circonscription Est;93005\n"
        "est;Circonscription Est;93007\n",
        encoding="utf-8",
    )
    out = files["dir"] / "res.csv"
    result = CliRunner().invoke(
        cli, _args(files, out, "--indicator", "population"), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "Noms des zones : colonne « nom » (détectée" in result.output
    assert _zone_names(out)["ouest"] == "Circonscription Ouest"


def test_name_column_not_detected_when_it_names_the_members(files):
    """A ``nom`` column of commune names is not taken for zone names."""
    files["zones"].write_text(
        "zone;code_commune;nom\n"
        "ouest;93001;Aubervilliers\n"
        "ouest;93006;Bagnolet\n"
        "est;93005;Aulnay-sous-Bois\n"
        "est;93007;Le Blanc-Mesnil\n",
        encoding="utf-8",
    )
    out = files["dir"] / "res.csv"
    result = CliRunner().invoke(
        cli, _args(files, out, "--indicator", "population"), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "Colonne « nom » non retenue" in result.output
    assert _zone_names(out) == {"ouest": "ouest", "est": "est"}


def test_name_column_detected_in_polygon_file(files):
    zones = gpd.GeoDataFrame(
        {"zone": ["a"], "Nom": ["Quartier A"]},
        geometry=[box(652000, 6860000, 656000, 6861000)],
        crs=2154,
    )
    files["zones"] = files["dir"] / "zones.gpkg"
    zones.to_file(files["zones"], driver="GPKG")
    out = files["dir"] / "res.csv"
    result = CliRunner().invoke(
        cli, _args(files, out, "--indicator", "population"), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "colonne « Nom »" in result.output
    assert _zone_names(out) == {"a": "Quartier A"}


def test_unknown_name_column_is_a_french_error(files):
    out = files["dir"] / "res.csv"
    result = CliRunner().invoke(
        cli, _args(files, out, "--indicator", "population", "--name-column", "absente")
    )
    assert isinstance(result.exception, SourceFormatError)
    assert "colonne absente ; colonnes présentes : zone, membres" in str(
        result.exception
    )
    assert not out.exists()


# ------------------------------------------------------------- warnings
def test_warnings_are_french_lines(files):
    """A territobs warning is one French line, without Python internals."""
    files["zones"].write_text("zone;membres\nouest;93001,93006\n", encoding="utf-8")
    out = files["dir"] / "res.csv"
    result = CliRunner().invoke(
        cli, _args(files, out, "--indicator", "population"), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines == [
        "avertissement : les zones ne couvrent pas tout le territoire ; 2 unités "
        "dans aucune zone : « 93005 », « 93007 ». Leurs valeurs ne comptent dans "
        "aucune zone (ou en partie)."
    ]
    assert "Warning" not in result.output
    assert ".py:" not in result.output
    assert "1 indicateur recalculé sur 1 zone" in result.stdout


def test_quiet_hides_warnings(files):
    files["zones"].write_text("zone;membres\nouest;93001,93006\n", encoding="utf-8")
    out = files["dir"] / "res.csv"
    result = CliRunner().invoke(
        cli,
        ["-q", *_args(files, out, "--indicator", "population")],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
