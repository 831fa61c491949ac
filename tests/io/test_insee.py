from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from territobs.errors import CodeError, SourceFormatError
from territobs.io.insee import guess_vintage, read_insee


@functools.cache
def read_real(path):
    """Read a shared file once per session (the tests only look at it)."""
    return read_insee(path)


def write(tmp_path, text, name="t.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_contract_columns_and_types(tmp_path):
    path = write(
        tmp_path,
        "CODGEO;LIBGEO;P21_POP;TP6021\n01001;L'Abergement;832;s\n75101;Paris 1er;16000;12,1\n",
    )
    table = read_insee(path)
    assert table.columns.tolist() == [
        "code",
        "level",
        "LIBGEO",
        "P21_POP",
        "TP6021",
        "TP6021__secret",
    ]
    assert table["code"].tolist() == ["01001", "75101"]
    assert table["level"].tolist() == ["commune", "arrondissement"]
    assert table["P21_POP"].dtype == np.float64
    assert table.attrs["territobs"]["vintage"] == 2021
    assert table.attrs["territobs"]["vintage_guessed"] is True


def test_codes_read_as_integers_are_reported(tmp_path):
    # a spreadsheet saved the codes as numbers: the leading zero is lost.
    path = write(tmp_path, "CODGEO;P21_POP\n1001;832\n1002;240\n")
    with pytest.raises(CodeError) as info:
        read_insee(path)
    assert info.value.column == "CODGEO"
    assert info.value.row == 2
    assert info.value.codes == ["1001", "1002"]
    assert "01001" in info.value.message


def test_duplicated_codes(tmp_path):
    path = write(tmp_path, "CODGEO;P21_POP\n01001;832\n01002;1\n01001;833\n")
    with pytest.raises(CodeError) as info:
        read_insee(path)
    assert info.value.codes == ["01001"]
    assert info.value.rows == [2, 4]


def test_unknown_key_column_lists_columns(tmp_path):
    path = write(tmp_path, "GEO;P21_POP\n01001;832\n")
    with pytest.raises(SourceFormatError) as info:
        read_insee(path)
    assert info.value.columns == ["GEO", "P21_POP"]
    assert "GEO" in info.value.message
    with pytest.raises(SourceFormatError, match="NUMCOM"):
        read_insee(path, key="NUMCOM")


def test_declared_key_and_level(tmp_path):
    path = write(tmp_path, "GEO;P21_POP\n200054781;1000\n")
    table = read_insee(path, key="GEO", level="epci")
    assert table["code"].tolist() == ["200054781"]
    assert table["level"].tolist() == ["epci"]


def test_columns_selection(tmp_path):
    path = write(tmp_path, "CODGEO;A;B\n01001;1;x\n")
    table = read_insee(path, columns=["A"])
    assert table.columns.tolist() == ["code", "level", "A"]
    with pytest.raises(SourceFormatError, match="Z"):
        read_insee(path, columns=["Z"])


def test_explicit_vintage_and_source(tmp_path):
    path = write(tmp_path, "CODGEO;X\n01001;1\n")
    table = read_insee(path, vintage=2020, source="Filosofi")
    assert table.attrs["territobs"]["vintage"] == 2020
    assert table.attrs["territobs"]["source"] == "Filosofi"
    assert table.attrs["territobs"]["vintage_guessed"] is False


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["P16_POP", "C16_ACT1564"], 2016),
        (["DISP_MED15", "DISP_TP6015", "DISP_NOTE15"], 2015),
        (["MED21", "TP6021"], 2021),
        (["P21_POP", "P15_POP", "P21_MEN"], 2021),
        (["LIBGEO"], None),
    ],
)
def test_guess_vintage(columns, expected):
    assert guess_vintage(columns) == expected


def test_excel_sheet_with_title_rows(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    doc = book.active
    doc.title = "Documentation"
    doc["A1"] = "Notes"
    sheet = book.create_sheet("COM")
    sheet.append(["Revenus et pauvreté des ménages en 2021"])
    sheet.append(["Source : Insee-DGFiP-Cnaf-Cnav-CCMSA, Filosofi 2021"])
    sheet.append([])
    sheet.append(["Code géographique", "Libellé", "Médiane", "Taux de pauvreté"])
    sheet.append(["CODGEO", "LIBGEO", "MED21", "TP6021"])
    sheet.append(["01001", "L'Abergement-Clémenciat", 23450, None])
    sheet.append(["01004", "Ambérieu-en-Bugey", 21340, 15.5])
    path = tmp_path / "base-cc-filosofi-2021.xlsx"
    book.save(path)
    table = read_insee(path)
    assert table["code"].tolist() == ["01001", "01004"]
    np.testing.assert_allclose(table["MED21"], [23450.0, 21340.0])
    assert table["TP6021__secret"].tolist() == [True, False]
    info = table.attrs["territobs"]
    assert (info["sheet"], info["header_line"], info["vintage"]) == ("COM", 5, 2021)


def test_excel_numeric_codes_are_an_error(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["CODGEO", "P21_POP"])
    sheet.append([1001, 832])
    path = tmp_path / "t.xlsx"
    book.save(path)
    with pytest.raises(CodeError) as info:
        read_insee(path)
    assert info.value.row == 2


# --------------------------------------------------------------------- real data

REAL = {
    "base-ic-activite-residents-2016-idf.csv.gz": (5258, 2016, ";"),
    "filosofi-iris-2015-disp.csv.gz": (11648, 2015, ","),
    "rp2016-iris-typeH-population.csv.gz": (14269, 2016, ","),
    "rp2016-iris-typeH-menages.csv.gz": (14269, 2016, ","),
    "rp2016-iris-typeH-logement.csv.gz": (14269, 2016, ","),
    "paris-iris-emploi-2010.csv.gz": (992, 2010, ","),
    "paris-iris-emploi-2015.csv.gz": (992, 2015, ","),
    "paris-iris-diplomes-2015.csv.gz": (992, 2015, ","),
}


@pytest.mark.shared_data
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_insee_files(shared_data, name):
    rows, vintage, sep = REAL[name]
    table = read_real(shared_data / "insee" / name)
    info = table.attrs["territobs"]
    assert len(table) == rows
    assert info["vintage"] == vintage
    assert info["separator"] == sep
    assert (table["level"] == "iris").all()
    assert table["code"].str.len().eq(9).all()
    assert table["code"].is_unique


@pytest.mark.shared_data
def test_real_filosofi_decimal_comma_and_secrecy(shared_data):
    table = read_real(shared_data / "insee" / "filosofi-iris-2015-disp.csv.gz")
    first = table.set_index("code").loc["010040101"]
    assert first["DISP_TP6015"] == pytest.approx(22.6)
    assert first["DISP_GI15"] == pytest.approx(0.25)
    assert first["DISP_PIMPOT15"] == pytest.approx(-13.9)
    assert table.attrs["territobs"]["decimal_comma"]
    counts = table["DISP_NOTE15"].value_counts().to_dict()
    assert counts == {0.0: 11390, 1.0: 243, 2.0: 15}
    unpublished = table[table["DISP_NOTE15"] == 2]
    variables = [
        c
        for c in table.columns
        if c.startswith("DISP_") and not c.endswith("__secret") and c != "DISP_NOTE15"
    ]
    assert unpublished[variables].isna().all().all()
    flags = [f"{c}__secret" for c in variables]
    assert unpublished[flags].all().all()
    # ~2,700 poverty rates suppressed: NaN and flagged, never 0.
    assert 2500 < table["DISP_TP6015__secret"].sum() < 2900
    pd.testing.assert_series_equal(
        table["DISP_TP6015"].isna(), table["DISP_TP6015__secret"], check_names=False
    )


@pytest.mark.shared_data
def test_real_rp_files_weighted_counts_and_unnamed_column(shared_data):
    table = read_real(shared_data / "insee" / "rp2016-iris-typeH-population.csv.gz")
    assert table.attrs["territobs"]["dropped_columns"] == ["Unnamed: 0"]
    assert table.set_index("code").loc["010040101", "P16_POP0014"] == pytest.approx(
        319.1555753018585
    )
    assert (table["code"].str[:2] == "93").sum() == 590


@pytest.mark.shared_data
def test_real_base_ic_keeps_text_codes(shared_data):
    table = read_real(
        shared_data / "insee" / "base-ic-activite-residents-2016-idf.csv.gz"
    )
    assert table["UU2010"].iloc[0] == "00851"
    assert (table["code"].str[:2] == "93").sum() == 614


def test_region_codes_need_a_level(tmp_path):
    text = "CODGEO;LIBGEO;P21_POP\n11;IDF;12300000\n84;ARA;8100000\n93;PACA;5100000\n"
    path = tmp_path / "tableau.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodeError, match="level=") as info:
        read_insee(path)
    assert str(path) in str(info.value)
    assert read_insee(path, level="region").attrs["territobs"]["level"] == "region"
    hinted = tmp_path / "base_cc_reg.csv"
    hinted.write_text(text, encoding="utf-8")
    assert read_insee(hinted).attrs["territobs"]["level"] == "region"
    deps = tmp_path / "deps.csv"
    deps.write_text("CODGEO;P\n11;1\n05;2\n", encoding="utf-8")
    assert read_insee(deps).attrs["territobs"]["level"] == "departement"


def test_insee_variable_kept_as_text_is_warned_about(tmp_path):
    from territobs.errors import MissingValuesWarning

    path = tmp_path / "t.csv"
    path.write_text("CODGEO;LIBGEO;MED21\n93001;A;n.s.\n93005;B;n.s.\n", "utf-8")
    with pytest.warns(MissingValuesWarning, match="« MED21 »"):
        table = read_insee(path)
    assert table["LIBGEO"].tolist() == ["A", "B"]


def test_percent_and_euro_units_are_read(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("CODGEO;TP6021;MED21\n93001;43,0 %;14 500 €\n", "utf-8")
    table = read_insee(path)
    assert table[["TP6021", "MED21"]].values.tolist() == [[43.0, 14500.0]]
    assert table.attrs["territobs"]["units"] == {"TP6021": "%", "MED21": "€"}


def test_secondary_code_columns_keep_their_zeros(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "CODGEO;LIBGEO;CODE_DEPT;COM_ANC;REG;P21_POP\n"
        "01001;L'Abergement;01;01001;84;832\n"
        "93001;Aubervilliers;93;93001;11;87000\n",
        "utf-8",
    )
    table = read_insee(path)
    assert table["CODE_DEPT"].tolist() == ["01", "93"]
    assert table["COM_ANC"].tolist() == ["01001", "93001"]
    assert table["REG"].tolist() == ["84", "11"]
    assert table["P21_POP"].tolist() == [832.0, 87000.0]


def test_spreadsheet_errors_are_french(tmp_path):
    import zipfile

    import openpyxl

    wb = openpyxl.Workbook()
    for row in [["CODGEO", "P21_POP", "P21_POP"], ["01001", 1, 2]]:
        wb.active.append(row)
    wb.save(tmp_path / "dup.xlsx")
    with pytest.raises(SourceFormatError, match="deux fois"):
        read_insee(tmp_path / "dup.xlsx")
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(SourceFormatError, match="illisible") as info:
        read_insee(tmp_path / "bad.xlsx")
    assert isinstance(info.value.__cause__, zipfile.BadZipFile)
    assert str(tmp_path / "bad.xlsx") in str(info.value)


def test_bad_code_line_counts_blank_and_empty_rows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("CODGEO;A\n01001;1\n;\n\n1002;3\n", "utf-8")
    with pytest.raises(CodeError) as info:
        read_insee(path)
    assert info.value.row == 5 and "ligne 5" in str(info.value)
