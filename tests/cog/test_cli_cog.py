from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from territobs.cli import cli


def test_cog_convert_end_to_end(tmp_path):
    table = tmp_path / "caf2019.csv"
    pd.DataFrame(
        {
            "CODGEO": ["14712", "01039", "01138"],
            "NB": [100.0, 10.0, 20.0],
            "PAUVRES": [10.0, 1.0, 2.0],
            "LIBELLE": ["a", "b", "c"],
        }
    ).to_csv(table, index=False, sep=";")
    population = tmp_path / "pop.csv"
    population.write_text("code,pop\n14712,3000\n14666,1000\n", "utf-8")
    out = tmp_path / "caf2024.csv"
    result = CliRunner().invoke(
        cli,
        [
            "cog",
            "convert",
            str(table),
            str(out),
            "--from",
            "2019",
            "--to",
            "2024",
            "--code-column",
            "CODGEO",
            "--count",
            "NB",
            "--ratio",
            "TAUX=PAUVRES/NB*100",
            "--population",
            str(population),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "LIBELLE" in result.stderr
    converted = pd.read_csv(out, dtype={"CODGEO": str}).set_index("CODGEO")
    assert converted.NB.sum() == 130.0
    assert converted.loc["01138", "NB"] == 30.0
    assert converted.loc["14666", "NB"] == 25.0
    assert converted.loc["01138", "TAUX"] == 10.0
    report = pd.read_csv(tmp_path / "caf2024.rapport.csv", dtype=str)
    assert {"01039", "14712"} <= set(report.code_from)


def test_cog_detect(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("code\n01039\n01138\n", "utf-8")
    result = CliRunner().invoke(cli, ["cog", "detect", str(table)])
    assert result.exit_code == 0 and "2022" in result.output


def test_cog_convert_split_without_population(tmp_path):
    from territobs.errors import MethodError

    table = tmp_path / "t.csv"
    table.write_text("code,n\n14712,1\n", "utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "cog",
            "convert",
            str(table),
            str(tmp_path / "o.csv"),
            "--from",
            "2019",
            "--to",
            "2020",
            "--count",
            "n",
        ],
    )
    assert isinstance(result.exception, MethodError)
