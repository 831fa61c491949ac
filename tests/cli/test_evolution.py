"""``territobs evolution`` end to end on the real Paris IRIS census files.

Golden values are computed here with plain pandas from the INSEE files.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from territobs.cli import cli
from territobs.zoning.evolution import EVOLUTION_COLUMNS

INDICATORS = ["unemployment_rate", "unemployed_1564"]


@pytest.fixture(scope="module")
def paris(shared_data, tmp_path_factory):
    files = {
        "units": shared_data / "boundaries/grand-paris-iris/map_iris.shp",
        2010: shared_data / "insee/paris-iris-emploi-2010.csv.gz",
        2015: shared_data / "insee/paris-iris-emploi-2015.csv.gz",
    }
    read = {"IRIS": str, "COM": str}
    t10 = pd.read_csv(files[2010], dtype=read)
    t15 = pd.read_csv(files[2015], dtype=read)
    # zones: the arrondissements, as a membership table of IRIS
    members = t15.groupby("COM")["IRIS"].apply(",".join)
    folder = tmp_path_factory.mktemp("evolution")
    zones = folder / "zones.csv"
    pd.DataFrame({"zone": members.index, "membres": members.to_numpy()}).to_csv(
        zones, sep=";", index=False
    )
    columns = ["CHOM1564", "ACT1564"]
    sums = pd.concat(
        [
            t10.groupby("COM")[[f"P10_{c}" for c in columns]].sum(),
            t15.groupby("COM")[[f"P15_{c}" for c in columns]].sum(),
        ],
        axis=1,
    )
    return files, zones, folder, sums


def _run(files, zones, output, *tables, extra=()):
    args = ["evolution", "--units", str(files["units"]), *tables,
            "--zones", str(zones), "--start", "2010", "--end", "2015",
            "--geography", "IRIS de Paris", "-o", str(output), *extra]  # fmt: skip
    for indicator in INDICATORS:
        args += ["--indicator", indicator]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_prefixed_columns_of_one_table_set_golden(paris):
    files, zones, folder, sums = paris
    out = folder / "evolution.csv"
    result = _run(
        files, zones, out, "--table", str(files[2010]), "--table", str(files[2015])
    )
    assert "Évolution 2010-2015 de 2 indicateurs sur 20 zones" in result.output
    table = pd.read_csv(out, dtype={"zone": str})
    assert list(table.columns) == [*EVOLUTION_COLUMNS, "etat"]
    assert set(table["etat"]) == {"valeur"}
    assert set(table["geography"]) == {"IRIS de Paris"}
    rate = table[table["indicator"] == "unemployment_rate"].set_index("zone")
    rate10 = 100 * sums["P10_CHOM1564"] / sums["P10_ACT1564"]
    rate15 = 100 * sums["P15_CHOM1564"] / sums["P15_ACT1564"]
    idx = rate.index
    np.testing.assert_allclose(rate["value_start"], rate10.loc[idx], rtol=1e-12)
    np.testing.assert_allclose(rate["value_end"], rate15.loc[idx], rtol=1e-12)
    np.testing.assert_allclose(rate["change"], (rate15 - rate10).loc[idx], rtol=1e-12)
    assert set(rate["change_unit"]) == {"points"}
    count = table[table["indicator"] == "unemployed_1564"].set_index("zone")
    c10, c15 = sums["P10_CHOM1564"].loc[idx], sums["P15_CHOM1564"].loc[idx]
    np.testing.assert_allclose(count["change"], c15 - c10, rtol=1e-12)
    np.testing.assert_allclose(
        count["annual_rate"], 100 * ((c15 / c10) ** (1 / 5) - 1), rtol=1e-12
    )


def test_one_table_per_vintage_gives_the_same_gpkg(paris):
    files, zones, folder, sums = paris
    out = folder / "evolution.gpkg"
    _run(files, zones, out, "--table-start", str(files[2010]),
         "--table-end", str(files[2015]))  # fmt: skip
    wide = gpd.read_file(out, layer="evolutions").set_index("zone")
    assert len(wide) == 20
    assert wide.geometry.notna().all()
    c10, c15 = sums["P10_CHOM1564"], sums["P15_CHOM1564"]
    np.testing.assert_allclose(
        wide["unemployed_1564"], (c15 - c10).loc[wide.index], rtol=1e-12
    )
    np.testing.assert_allclose(
        wide["unemployed_1564__start"], c10.loc[wide.index], rtol=1e-12
    )


def test_change_map_html(paris):
    files, zones, folder, _ = paris
    out = folder / "evolution.html"
    _run(files, zones, out, "--table", str(files[2010]), "--table", str(files[2015]),
         extra=("--map-indicator", "unemployment_rate", "--title", "Chômage à Paris"))  # fmt: skip
    html = out.read_text(encoding="utf-8")
    assert "Chômage à Paris" in html
    assert "2010" in html and "2015" in html


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--start", "2015", "--end", "2010", "--table", "t.csv"], "doit précéder"),
        (["--start", "2010", "--end", "2015", "--table-start", "t.csv"],
         "des deux millésimes"),
        (["--start", "2010", "--end", "2015"], "au moins un tableau"),
    ],
)  # fmt: skip
def test_french_usage_errors(tmp_path, extra, message):
    table = tmp_path / "t.csv"
    table.write_text("CODGEO;P10_POP\n75101;1\n", encoding="utf-8")
    units = tmp_path / "u.csv"
    units.write_text("x\n", encoding="utf-8")
    extra = [str(table) if e == "t.csv" else e for e in extra]
    args = ["evolution", "--units", str(units), "--zones", str(units),
            "--indicator", "population", "-o", str(tmp_path / "o.csv"), *extra]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert message in result.output


def test_bad_output_extension(tmp_path):
    units = tmp_path / "u.csv"
    units.write_text("x\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["evolution", "--units", str(units), "--zones", str(units), "--indicator",
         "population", "--start", "2010", "--end", "2015", "-o", "x.parquet"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "« .parquet » non prise en charge" in result.output


def test_secrecy_rules_mask_a_change_whose_end_is_masked(tmp_path):
    from shapely.geometry import box

    codes = ["93001", "93005", "93006"]
    units = gpd.GeoDataFrame(
        {"INSEE_COM": codes, "NOM": ["A", "B", "C"]},
        geometry=[box(652000 + 1000 * i, 6860000, 653000 + 1000 * i, 6861000)
                  for i in range(3)],
        crs=2154,
    )  # fmt: skip
    units.to_file(tmp_path / "communes.gpkg", driver="GPKG")
    (tmp_path / "rp.csv").write_text(
        "CODGEO;P15_POP;P21_POP\n93001;900;950\n93005;800;820\n93006;8;40\n",
        encoding="utf-8",
    )
    (tmp_path / "zones.csv").write_text(
        "zone;membres\nouest;93001,93005\npetit;93006\n", encoding="utf-8"
    )
    (tmp_path / "regles.toml").write_text(
        '[rules.cd93]\nthreshold = 10\n\n[indicators]\n"*" = "cd93"\n',
        encoding="utf-8",
    )
    out = tmp_path / "evolution.csv"
    result = CliRunner().invoke(
        cli,
        ["evolution", "--units", str(tmp_path / "communes.gpkg"),
         "--table", str(tmp_path / "rp.csv"), "--zones", str(tmp_path / "zones.csv"),
         "--indicator", "population", "--start", "2015", "--end", "2021",
         "--secrecy-rules", str(tmp_path / "regles.toml"), "-o", str(out)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out).set_index("zone")
    # 8 inhabitants in 2015, under the threshold of 10: with the 2021 value
    # (40), the change would give it back; both ends and the change are masked
    assert table.loc["petit", "etat"] == "secret statistique"
    assert (
        table.loc[["petit"], ["value_start", "value_end", "change"]]
        .isna()
        .all(axis=None)
    )
    assert table.loc["ouest", "change"] == 70.0
    assert table.loc["ouest", "value_end"] == 1770.0


def test_caf_files_per_vintage_use_the_catalogue_rule(tmp_path):
    from shapely.geometry import box

    codes = ["93001", "93005", "93006"]
    gpd.GeoDataFrame(
        {"INSEE_COM": codes, "NOM": ["A", "B", "C"]},
        geometry=[box(652000 + 1000 * i, 6860000, 653000 + 1000 * i, 6861000)
                  for i in range(3)],
        crs=2154,
    ).to_file(tmp_path / "communes.gpkg", driver="GPKG")  # fmt: skip
    header = "Communes;Codes_Insee;NB_allocataires;ALL_RSA\n"
    (tmp_path / "caf2019.csv").write_text(
        header + "A;93001;9000;800\nB;93005;8000;700\nC;93006;100;3\n",
        encoding="utf-8",
    )
    (tmp_path / "caf2023.csv").write_text(
        header + "A;93001;9100;820\nB;93005;8100;690\nC;93006;120;30\n",
        encoding="utf-8",
    )
    (tmp_path / "zones.csv").write_text(
        "zone;membres\nouest;93001,93005\nest;93006\n", encoding="utf-8"
    )
    out = tmp_path / "evolution.gpkg"
    result = CliRunner().invoke(
        cli,
        ["evolution", "--units", str(tmp_path / "communes.gpkg"),
         "--caf-start", str(tmp_path / "caf2019.csv"),
         "--caf-end", str(tmp_path / "caf2023.csv"),
         "--zones", str(tmp_path / "zones.csv"), "--indicator", "rsa_beneficiaries",
         "--start", "2019", "--end", "2023", "-o", str(out)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    wide = gpd.read_file(out, layer="evolutions").set_index("zone")
    # 3 RSA households in 2019 (< 5, CAF rule): nothing of « est » is given
    assert wide.loc["est", "rsa_beneficiaries__state"] == "secret"
    assert np.isnan(
        wide.loc["est", ["rsa_beneficiaries", "rsa_beneficiaries__end"]]
    ).all()
    assert wide.loc["ouest", "rsa_beneficiaries"] == 10.0


def test_xlsx_holds_both_vintages_and_the_change(paris):
    files, zones, folder, sums = paris
    out = folder / "evolution.xlsx"
    _run(files, zones, out, "--table", str(files[2010]), "--table", str(files[2015]))
    sheet = pd.read_excel(out, sheet_name="Évolutions", dtype={"Zone": str})
    rate = sheet[sheet["Indicateur"].str.startswith("Taux de chômage")].set_index(
        "Zone"
    )
    rate10 = 100 * sums["P10_CHOM1564"] / sums["P10_ACT1564"]
    rate15 = 100 * sums["P15_CHOM1564"] / sums["P15_ACT1564"]
    idx = rate.index
    np.testing.assert_allclose(rate["Valeur 2010"], rate10.loc[idx], rtol=1e-12)
    np.testing.assert_allclose(rate["Valeur 2015"], rate15.loc[idx], rtol=1e-12)
    np.testing.assert_allclose(
        rate["Évolution 2010-2015"], (rate15 - rate10).loc[idx], rtol=1e-12
    )
    assert {"État 2010", "État 2015", "Géographie"} <= set(sheet.columns)


def test_portrait_of_change_html(paris):
    files, zones, folder, sums = paris
    out = folder / "portrait-75101.html"
    _run(files, zones, out, "--table", str(files[2010]), "--table", str(files[2015]),
         extra=("--portrait", "75101", "--compare", "75102"))  # fmt: skip
    page = pd.read_csv(out.with_suffix(".csv"), dtype={"zone": str})
    assert list(dict.fromkeys(page["zone"])) == [
        "75101",
        "ensemble-du-territoire",
        "75102",
    ]
    count = page[page["indicator"] == "unemployed_1564"].set_index("zone")
    total = sums.sum()
    whole = count.loc["ensemble-du-territoire"]
    assert whole["change"] == total["P15_CHOM1564"] - total["P10_CHOM1564"]
    html = out.read_text(encoding="utf-8")
    assert "Ensemble des zones" in html and "IRIS de Paris" in html


def test_change_map_centred_on_the_whole_territory(paris):
    files, zones, folder, sums = paris
    out = folder / "centre.html"
    _run(files, zones, out, "--table", str(files[2010]), "--table", str(files[2015]),
         extra=("--map-indicator", "unemployment_rate", "--centre"))  # fmt: skip
    total = sums.sum()
    change = 100 * (
        total["P15_CHOM1564"] / total["P15_ACT1564"]
        - total["P10_CHOM1564"] / total["P10_ACT1564"]
    )
    text = f"{change:+.1f}".replace(".", ",")
    html = out.read_text(encoding="utf-8").replace("&#39;", "'")
    assert (
        f"Couleurs centrées sur l'évolution de référence (Ensemble des zones) : {text}"
        in html
    )
