from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from territobs.cli import cli, main
from territobs.errors import CRSError

DATA = Path(__file__).resolve().parents[1] / "data"


def run(*args):
    return CliRunner().invoke(cli, ["read", *map(str, args)], catch_exceptions=False)


def test_help_is_french():
    result = CliRunner().invoke(cli, ["read", "--help"])
    assert result.exit_code == 0
    assert "Lit FICHIER" in result.output
    assert "Nature du fichier" in result.output


def test_caf_summary():
    result = run(DATA / "caf" / "PAJECom2009.csv")
    assert result.exit_code == 0
    out = result.output
    assert "Type : tableau CAF" in out
    assert "Lignes : 7" in out
    assert "Encodage : cp1252" in out
    assert "Millésime : 2009" in out
    assert "Pseudo-commune 99999" in out
    assert "NB_Allocataires → NB_allocataires" in out
    assert "Cellules masquées (secret ou manquantes) : 8 dans 4 variables" in out


def test_grid_summary():
    result = run(DATA / "filosofi" / "carreaux_200m_saint_denis.csv")
    assert result.exit_code == 0
    assert "Type : carreaux INSEE" in result.output
    assert "EPSG:3035" in result.output
    assert "carreau (6)" in result.output


def test_insee_summary(tmp_path):
    path = tmp_path / "filo.csv"
    path.write_text(
        'CODGEO;MED21;TP6021\n01001;23450;s\n01004;21340;"15,5"\n', encoding="utf-8"
    )
    result = run(path)
    assert result.exit_code == 0
    assert "Millésime : 2021 (deviné d'après les noms de variables)" in result.output
    assert "virgule décimale : oui" in result.output
    assert "TP6021 : 1" in result.output


def test_vintage_inferred_from_catalogue_pattern(tmp_path):
    """``PMUN17`` matches the catalogue's ``PMUN{yy}``: vintage 2017, said so."""
    path = tmp_path / "population-93.csv"
    path.write_text("CODGEO;PMUN17\n93001;86375\n93005;85740\n", encoding="utf-8")
    result = run(path)
    assert result.exit_code == 0, result.output
    assert (
        "Millésime : 2017 (déduit du nom de colonne PMUN17, d'après le catalogue)"
        in result.output
    )
    assert "Cellules masquées (secret ou manquantes) : aucune" in result.output


def test_vintage_unknown_without_pattern(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("CODGEO;habitants\n93001;86375\n", encoding="utf-8")
    result = run(path)
    assert result.exit_code == 0, result.output
    assert "Millésime : inconnu" in result.output


def test_boundaries_summary_and_options(tmp_path):
    path = tmp_path / "communes.gpkg"
    gpd.GeoDataFrame(
        {"INSEE_COM": ["93001"], "NOM": ["Aubervilliers"]},
        geometry=[box(655000, 6865000, 658000, 6868000)],
        crs=2154,
    ).to_file(path)
    result = run(path, "--kind", "boundaries", "--level", "commune")
    assert result.exit_code == 0
    assert "CRS : EPSG:2154" in result.output
    assert "commune (1)" in result.output


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_library_error_propagates_and_main_prints_french_line(tmp_path, capsys):
    path = tmp_path / "nocrs.shp"
    gpd.GeoDataFrame(
        {"INSEE_COM": ["93001"]}, geometry=[box(655000, 6865000, 658000, 6868000)]
    ).to_file(path)
    with pytest.raises(CRSError):
        run(path)
    with pytest.raises(SystemExit) as info:
        main(["read", str(path)])
    assert info.value.code == 1
    assert capsys.readouterr().err.startswith("Erreur : fichier")
    assert run(path, "--crs", "2154").exit_code == 0


@pytest.mark.shared_data
def test_real_filosofi(shared_data):
    result = run(shared_data / "insee" / "filosofi-iris-2015-disp.csv.gz")
    assert result.exit_code == 0
    assert "Lignes : 11\u202f648" in result.output
    assert "iris (11\u202f648)" in result.output


@pytest.mark.shared_data
def test_real_btb_grid(shared_data):
    result = run(
        shared_data / "insee" / "btb-reunion-menages-grid200m-rfl2010.csv",
        "--crs",
        "2975",
        "--size",
        "200",
    )
    assert result.exit_code == 0
    assert "EPSG:2975" in result.output
