"""``territobs scenarios``: compare, propose and access from the command line."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose
from shapely import Point

from territobs.cli import cli, main


@pytest.fixture
def files(tmp_path, make_grid):
    units = make_grid(3, 4)
    units["geometry"] = units.translate(850_000, 6_500_000)  # in Ain, Lambert-93
    units_path = tmp_path / "communes.gpkg"
    units.rename(columns={"code": "INSEE_COM", "name": "NOM",
                          "population_municipale": "POPULATION"}).to_file(units_path)  # fmt: skip
    codes = units["code"].tolist()
    (tmp_path / "actuel.csv").write_text(
        "zone;membres\nouest;" + ",".join(codes[i] for i in (0, 1, 4, 5, 8, 9))
        + "\nest;" + ",".join(codes[i] for i in (2, 3, 6, 7, 10, 11)) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    (tmp_path / "scenarios.toml").write_text(
        'reference = "epci"\n'
        '[[scenarios]]\nid = "actuel"\nlabel = "Actuel"\nfile = "actuel.csv"\n'
        '[[scenarios]]\nid = "epci"\nlabel = "Par EPCI"\ncolumn = "epci"\n',
        encoding="utf-8",
    )
    sites = gpd.GeoDataFrame(
        {"nom": ["MDS A"]}, geometry=[Point(850_500, 6_500_500)], crs=2154
    )
    sites.to_file(tmp_path / "sites.geojson")
    return tmp_path


def test_compare_writes_tables_and_maps(files):
    out = files / "sortie"
    # the reader keeps the producer columns; the grid's epci column comes along
    result = CliRunner().invoke(
        cli,
        ["scenarios", "compare", "--units", str(files / "communes.gpkg"),
         "--config", str(files / "scenarios.toml"), "-o", str(out)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out / "synthese.csv", sep=";")
    assert "Rapport max / min" in summary.columns
    assert summary["Scénario"].tolist() == ["Actuel", "Par EPCI"]
    assert summary["Groupes coupés"].tolist() == [0, 0]
    moves = pd.read_csv(out / "deplacements-actuel-epci.csv", sep=";", dtype=str)
    assert len(moves) == summary["Communes qui changent de zone"].iloc[1]
    assert (out / "deplacements-actuel-epci.png").stat().st_size > 1000
    assert "Par EPCI" in (out / "comparaison.html").read_text(encoding="utf-8")


def test_propose_then_compare(files):
    members = files / "propose.csv"
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["scenarios", "propose", "--units", str(files / "communes.gpkg"),
         "--zones", "3", "--method", "kmeans", "--seed", "1", "-o", str(members)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "3 zones proposées" in result.output
    table = pd.read_csv(members, sep=";", dtype=str)
    assert table["zone"].nunique() == 3 and len(table) == 12
    out = files / "cmp"
    result = runner.invoke(
        cli,
        ["scenarios", "compare", "--units", str(files / "communes.gpkg"),
         "--scenario", f"actuel={files / 'actuel.csv'}",
         "--scenario", f"propose={members}", "--no-maps", "-o", str(out)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    zones = pd.read_csv(out / "zones.csv", sep=";")
    assert_allclose(zones.groupby("Scénario")["Population municipale"].sum(),
                    sum(range(1, 13)) * 100)  # fmt: skip


def test_access_csv(files):
    out = files / "acces"
    result = CliRunner().invoke(
        cli,
        ["scenarios", "access", "--units", str(files / "communes.gpkg"),
         "--sites", str(files / "sites.geojson"), "--site-id", "nom",
         "--scenario", str(files / "actuel.csv"), "--threshold", "2", "-o", str(out)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    zones = pd.read_csv(out / "acces-zones.csv", sep=";", index_col="code")
    assert set(zones.index) == {"ouest", "est"}
    assert (
        zones.loc["ouest", "distance_moyenne_km"]
        < zones.loc["est", "distance_moyenne_km"]
    )
    assert "Distance moyenne" in result.output


def test_errors_are_french_lines(files, capsys):
    with pytest.raises(SystemExit) as info:
        main(["scenarios", "propose", "--units", str(files / "communes.gpkg"),
              "--min", "1e9", "-o", str(files / "x.csv")])  # fmt: skip
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("Erreur") and "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["scenarios", "compare", "-o", str(files / "y")])
    assert "--units" in capsys.readouterr().err


def test_access_over_a_road_network(files):
    from shapely import LineString

    # a road along the middle row of the grid, from the site eastwards
    roads = gpd.GeoDataFrame(
        {"vitesse": [30.0]},
        geometry=[LineString([(850_500, 6_501_500), (853_500, 6_501_500)])],
        crs=2154,
    )
    roads.to_file(files / "routes.gpkg")
    (files / "temps.csv").write_text("origine;site;minutes\n", encoding="utf-8")
    out = files / "acces-route"
    result = CliRunner().invoke(
        cli,
        ["scenarios", "access", "--units", str(files / "communes.gpkg"),
         "--sites", str(files / "sites.geojson"), "--site-id", "nom",
         "--network", str(files / "routes.gpkg"), "--speed", "vitesse",
         "--threshold", "30", "-o", str(out)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    units = pd.read_csv(out / "acces-unites.csv", sep=";", dtype={"code": str})
    minutes = units.set_index("code")["distance_moyenne_min"]
    assert minutes["01001"] == pytest.approx(0.0)  # the site is there
    # 1 km of road at 30 km/h (2 min) + 1 km on foot from the road to the site
    assert minutes["01006"] == pytest.approx(2.0 + 12.0)
    both = CliRunner().invoke(
        cli,
        ["scenarios", "access", "--units", str(files / "communes.gpkg"),
         "--sites", str(files / "sites.geojson"), "--network", str(files / "routes.gpkg"),
         "--travel-times", str(files / "temps.csv"), "-o", str(out)],
    )  # fmt: skip
    assert both.exit_code != 0 and "pas les deux" in both.output
