"""The command line publishes like the atlas: same rules, secrecy and states."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from territobs.cli import cli
from territobs.publish import publish
from territobs.zoning.recompute import recompute
from territobs.zoning.weights import build_weights
from territobs.zoning.zones import zones_from_members

CODES = ["93001", "93005", "93006", "93007"]
ZONES = {"ouest": ["93001", "93006"], "est": ["93005", "93007"], "seul": ["93006"]}


@pytest.fixture
def files(tmp_path):
    units = gpd.GeoDataFrame(
        {"INSEE_COM": CODES, "NOM": ["A", "B", "C", "D"]},
        geometry=[box(652000 + 1000 * i, 6860000, 653000 + 1000 * i, 6861000) for i in range(4)],
        crs=2154,
    )  # fmt: skip
    units.to_file(tmp_path / "communes.gpkg", driver="GPKG")
    # 93006 has no census row (missing); RSA count of 93006 is 3 (< 5, CAF)
    (tmp_path / "rp.csv").write_text(
        "CODGEO;P21_POP\n93001;90000\n93005;86000\n93007;57000\n", encoding="utf-8"
    )
    (tmp_path / "caf.csv").write_text(
        "Communes;Codes_Insee;NB_allocataires;ALL_RSA\n"
        "A;93001;9000;800\nB;93005;8000;700\nC;93006;100;3\nD;93007;5000;400\n",
        encoding="utf-8",
    )
    rows = [f"{z};{c}" for z, cs in ZONES.items() for c in cs]
    (tmp_path / "zones.csv").write_text(
        "zone;code\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    return tmp_path


def _cli(files, out, *extra):
    args = [
        "recompute", "--units", str(files / "communes.gpkg"),
        "--table", str(files / "rp.csv"), "--caf", str(files / "caf.csv"),
        "--zones", str(files / "zones.csv"), "--zone-column", "zone",
        "--member-column", "code", "--indicator", "population",
        "--indicator", "rsa_beneficiaries", "-o", str(out), *extra,
    ]  # fmt: skip
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return pd.read_csv(out, dtype={"zone": str}).set_index(["zone", "indicator"])


def test_cli_masks_and_states_like_python(files) -> None:
    table = _cli(files, files / "res.csv")
    # census: missing, never secret
    assert table.loc[("ouest", "population"), "state"] == "missing"
    assert table.loc[("ouest", "population"), "etat"] == "donnée manquante"
    assert not table.loc[("ouest", "population"), "secret"]
    # CAF: a count of 3 never reaches the file
    assert table.loc[("seul", "rsa_beneficiaries"), "state"] == "secret"
    assert np.isnan(table.loc[("seul", "rsa_beneficiaries"), "value"])
    assert table.loc[("ouest", "rsa_beneficiaries"), "value"] == 803

    from territobs.io.boundaries import read_boundaries
    from territobs.io.caf import read_caf
    from territobs.io.insee import read_insee
    from territobs.territory import build_territory

    units = read_boundaries(files / "communes.gpkg")
    with pytest.warns(UserWarning):
        territory = build_territory(
            units, [read_insee(files / "rp.csv"), read_caf(files / "caf.csv")]
        )
    zones = zones_from_members(ZONES, units=units)
    weights = build_weights(territory, zones, method="exact")
    with pytest.warns(UserWarning):
        result = recompute(
            territory, zones, ["population", "rsa_beneficiaries"], weights=weights
        )
    python = publish(result, weights=weights).set_index(["zone", "indicator"])
    pd.testing.assert_series_equal(
        python["state"], table["state"].loc[python.index], check_names=False
    )


def test_cli_partial_choice_is_said(files) -> None:
    out = files / "res.csv"
    args = ["--min-coverage", "0.5"]
    table = _cli(files, out, *args)
    row = table.loc[("ouest", "population")]
    assert row["state"] == "partial"
    assert row["value"] == 90000
    assert row["coverage_label"] == "1 commune sur 2"


def test_portrait_applies_the_same_secrecy(files, tmp_path) -> None:
    raw = pd.DataFrame(
        {
            "zone": ["a", "b"],
            "zone_name": ["A", "B"],
            "indicator": "rsa_beneficiaries",
            "label": "Bénéficiaires du RSA",
            "kind": "count",
            "unit": "foyers",
            "value": [3.0, 40.0],
            "numerator": [3.0, 40.0],
            "denominator": np.nan,
            "secret": False,
            "source": "CAF",
            "vintage": "2021",
        }
    )
    path = tmp_path / "raw.csv"
    raw.to_csv(path, index=False)
    result = CliRunner().invoke(
        cli, ["portrait", str(path), "-z", "a", "-o", str(tmp_path / "p")]
    )
    assert result.exit_code == 0, result.output
    page = pd.read_csv(tmp_path / "p" / "a.csv")
    assert page["value"].isna().all()
    assert page["secret"].all()


def test_recompute_then_map_says_partial_and_units(files, tmp_path) -> None:
    """The GeoPackage carries states, coverage and the unit level to the map."""
    gpkg = tmp_path / "res.gpkg"
    args = [
        "recompute", "--units", str(files / "communes.gpkg"),
        "--table", str(files / "rp.csv"), "--zones", str(files / "zones.csv"),
        "--zone-column", "zone", "--member-column", "code",
        "--indicator", "population", "--min-coverage", "0.5", "-o", str(gpkg),
    ]  # fmt: skip
    runner = CliRunner()
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Choix de publication : valeurs partielles" in result.output
    wide = gpd.read_file(gpkg).set_index("zone")
    assert wide.loc["ouest", "population__state"] == "partial"
    assert wide.loc["ouest", "population__coverage_label"] == "1 commune sur 2"
    assert wide.loc["seul", "population__state"] == "missing"
    assert np.isnan(wide.loc["seul", "population"])
    html = tmp_path / "carte.html"
    result = runner.invoke(
        cli, ["map", str(gpkg), "-c", "population", "-o", str(html)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = html.read_text(encoding="utf-8")
    assert "1 zone à valeur partielle" in text
    assert "1 zone sans donnée" in text
