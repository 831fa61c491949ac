from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from territobs.errors import CodeError, SourceFormatError
from territobs.io.caf import read_caf, split_pseudo

DATA = Path(__file__).resolve().parents[1] / "data" / "caf"


def test_rsa_2014_fixture():
    table = read_caf(DATA / "RSACom2014.csv")
    assert table.columns[:4].tolist() == ["code", "level", "pseudo", "Communes"]
    assert len(table) == 13
    assert table.loc[table["pseudo"], "code"].tolist() == ["99999", "XXXXX"]
    assert (table.loc[table["pseudo"], "level"] == "pseudo").all()
    info = table.attrs["territobs"]
    assert info["vintage"] == 2014
    assert info["encoding"] == "utf-8"
    assert set(info["pseudo_communes"]) == {"99999", "XXXXX"}
    assert info["pseudo_communes"]["99999"]["NB_allocataires"] == 41.0
    row = table.set_index("code").loc["01001"]
    # ALL_RSA = 3 < 5 is blanked: NaN and flagged, never 0.
    assert np.isnan(row["ALL_RSA"]) and row["ALL_RSA__secret"]
    assert row["NB_allocataires"] == 58.0
    assert "NB_allocataires__secret" not in table.columns


def test_secondary_blanks_flagged():
    table = read_caf(DATA / "RSACom2014.csv").set_index("code")
    # 01008: socle 4 < 5 (primary) so activite 3 is blanked too (secondary).
    assert table.loc[
        "01008", ["ALL_RSA_socle__secret", "ALL_RSA_activite__secret"]
    ].all()
    assert table.loc["01008", "ALL_RSA"] == 7.0


def test_latin1_2009_fixture_spelling_and_blanks():
    table = read_caf(DATA / "PAJECom2009.csv")
    info = table.attrs["territobs"]
    assert info["encoding"] == "cp1252"
    assert info["renamed_columns"] == {"NB_Allocataires": "NB_allocataires"}
    assert info["vintage"] == 2009
    assert "NB_allocataires" in table.columns
    assert table.set_index("code").loc["01025", "Communes"] == "BÂGÉ-LA-VILLE"
    blank = table.set_index("code").loc["01006"]
    assert blank[["ALL_PAJE__secret", "ALL_PRIM__secret", "ALL_CMG__secret"]].all()
    assert table.loc[table["code"] == "99999", "pseudo"].item()


def test_split_pseudo():
    communes, pseudo = split_pseudo(read_caf(DATA / "RSACom2014.csv"))
    assert len(communes) == 11 and len(pseudo) == 2
    assert not communes["pseudo"].any()


def test_year_argument_overrides_file_name(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "Communes;Codes_Insee;NB_allocataires\nA;01001;12\n", encoding="utf-8"
    )
    assert read_caf(path).attrs["territobs"]["vintage"] is None
    assert read_caf(path, year=2016).attrs["territobs"]["vintage"] == 2016


def test_integer_codes_are_reported(tmp_path):
    path = tmp_path / "RSACom2015.csv"
    path.write_text(
        "Communes;Codes_Insee;NB_allocataires\nA;1001;12\nB;1004;200\n",
        encoding="utf-8",
    )
    with pytest.raises(CodeError) as info:
        read_caf(path)
    assert info.value.codes == ["1001", "1004"]
    assert info.value.column == "Codes_Insee"


def test_duplicated_codes(tmp_path):
    path = tmp_path / "RSACom2015.csv"
    path.write_text(
        "Communes;Codes_Insee;NB_allocataires\nA;01001;12\nA;01001;13\n",
        encoding="utf-8",
    )
    with pytest.raises(CodeError) as info:
        read_caf(path)
    assert info.value.codes == ["01001"]


def test_missing_code_column(tmp_path):
    path = tmp_path / "RSACom2015.csv"
    path.write_text("Communes;NB_allocataires\nA;12\n", encoding="utf-8")
    with pytest.raises(SourceFormatError) as info:
        read_caf(path)
    assert info.value.columns == ["Communes", "NB_allocataires"]


def test_blank_is_never_zero(tmp_path):
    path = tmp_path / "RSACom2015.csv"
    path.write_text("Communes;Codes_Insee;A\nX;01001;\nY;01002;0\n", encoding="utf-8")
    table = read_caf(path)
    pd.testing.assert_series_equal(
        table["A"], pd.Series([np.nan, 0.0], name="A"), check_names=True
    )
    assert table["A__secret"].tolist() == [True, False]


def test_bad_code_line_after_pseudo_communes(tmp_path):
    from territobs.errors import CodeError
    from territobs.io.caf import read_caf

    path = tmp_path / "RSACom2014.csv"
    path.write_text(
        "Communes;Codes_Insee;NB_allocataires\nETRANGER;99999;12\n"
        "INCONNUE;XXXXX;3\nA;01001;55\nB;1002;20\n",
        "utf-8",
    )
    with pytest.raises(CodeError) as info:
        read_caf(path)
    assert info.value.row == 5
