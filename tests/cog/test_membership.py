from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from territobs.cog import (
    apply_passage,
    membership_table,
    parents_passage,
    read_commune_list,
    read_membership,
)
from territobs.errors import CodeError, SourceFormatError


def _xlsx(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "COM"
    ws.append(["Table d'appartenance géographique des communes au 1er janvier 2024"])
    ws.append(["Source : Insee, Code officiel géographique"])
    ws.append([])
    ws.append(["Code géographique", "Libellé", "Département", "Région", "EPCI"])
    ws.append(["CODGEO", "LIBGEO", "DEP", "REG", "EPCI"])
    for row in rows:
        ws.append(row)
    wb.save(path)


def test_xlsx_with_header_rows(tmp_path):
    path = tmp_path / "table-appartenance-geo-communes-2024.xlsx"
    _xlsx(
        path,
        [
            ["01001", "L'Abergement", "01", "84", "200069193"],
            ["29155", "Ouessant", "29", "53", "ZZZZZZZZZ"],
        ],
    )
    table = membership_table(2024, path)
    assert table.CODGEO.tolist() == ["01001", "29155"]
    assert pd.isna(table.EPCI[1])
    assert table.attrs["territobs"]["vintage"] == 2024


def test_bad_code_named(tmp_path):
    path = tmp_path / "t.xlsx"
    _xlsx(path, [["1001", "x", "01", "84", "200069193"]])
    with pytest.raises(CodeError) as info:
        read_membership(path)
    assert info.value.column == "CODGEO" and info.value.row == 6


def test_csv_with_title_lines_in_cp1252(tmp_path):
    # The Excel sheet saved "as CSV" by a spreadsheet: title lines with no
    # separator above the header, Windows-1252 accents, ";" separators.
    path = tmp_path / "table-appartenance-2024.csv"
    path.write_bytes(
        "Table d'appartenance géographique des communes au 1er janvier 2024\n"
        "Source : Insee, Code officiel géographique\n"
        "\n"
        "CODGEO;LIBGEO;DEP;REG;EPCI\n"
        "01001;L'Abergement-Clémenciat;01;84;200069193\n"
        "29155;Ouessant;29;53;ZZZZZZZZZ\n"
        "1004;Ambérieu-en-Bugey;01;84;240100883\n".encode("cp1252")
    )
    with pytest.raises(CodeError) as info:
        read_membership(path)
    assert info.value.column == "CODGEO" and info.value.row == 7  # line in file
    path.write_bytes(path.read_bytes().replace(b"\n1004;", b"\n01004;"))
    table = read_membership(path)
    assert table.CODGEO.tolist() == ["01001", "29155", "01004"]
    assert table.LIBGEO[0] == "L'Abergement-Clémenciat"
    assert pd.isna(table.EPCI[1])


def test_ragged_csv_is_a_french_error_naming_the_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Titre\nCODGEO;LIBGEO;DEP\n01001;A;01\n01002;B;01;x;y\n", "utf-8")
    with pytest.raises(SourceFormatError, match="ligne 4") as info:
        read_membership(path)
    assert info.value.path == str(path)


def test_no_header(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a;b\n1;2\n", "utf-8")
    with pytest.raises(SourceFormatError):
        read_membership(path)


@pytest.mark.shared_data
def test_membership_2024_csv(shared_data):
    table = read_membership(
        shared_data / "cog/cogugaison-table-appartenance-2024.csv.gz"
    )
    assert len(table) == 34935
    assert table.EPCI.isna().sum() == 4
    assert set(table.EPT.dropna()[table.DEP == "93"]) == {
        "200057867",
        "200057875",
        "200058097",
        "200058790",
    }


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "name",
    [
        "etalab-decoupage-administratif-6.0.0-communes.json.gz",
        "insee-France2017.txt.gz",
    ],
)
def test_delegated_communes_to_parent(shared_data, name):
    communes = read_commune_list(shared_data / "cog" / name)
    passage = parents_passage(communes)
    assert set(passage.code_to) <= set(communes.code[communes.type == "COM"])
    arm = passage[passage.event.str.startswith("arrondissement")]
    assert set(arm.code_to) == {"75056", "69123", "13055"}


@pytest.mark.shared_data
def test_delegated_table_aggregated(shared_data):
    communes = read_commune_list(
        shared_data / "cog/etalab-decoupage-administratif-6.0.0-communes.json.gz"
    )
    table = pd.DataFrame({"code": ["01039", "01138"], "n": [1.0, 2.0]})
    out, _ = apply_passage(table, parents_passage(communes), kinds={"n": "count"})
    assert out.code.tolist() == ["01138"] and out.n.tolist() == [3.0]
