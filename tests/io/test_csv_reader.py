from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territobs.errors import SourceFormatError
from territobs.io.decode import decode_bytes, sniff_separator
from territobs.io.text import read_text_table
from territobs.io.values import read_csv_table


def write(tmp_path, text, name="t.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_separator_is_sniffed(tmp_path, sep):
    path = write(tmp_path, f"CODGEO{sep}P21_POP\n01001{sep}832\n")
    frame, record = read_csv_table(path, text_columns=["CODGEO"])
    assert record.separator == sep
    assert frame["CODGEO"].tolist() == ["01001"]
    np.testing.assert_array_equal(frame["P21_POP"], [832.0])


def test_sniff_ignores_separators_inside_quotes():
    assert sniff_separator('IRIS,"LIB;IRIS",COM') == ","
    assert sniff_separator("CODGEO;LIBGEO") == ";"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252")],
)
def test_encoding_detected(tmp_path, encoding, expected):
    path = write(
        tmp_path, "CODGEO;LIBGEO\n01004;Ambérieu-en-Bugey\n", encoding=encoding
    )
    frame, record = read_csv_table(path, text_columns=["CODGEO", "LIBGEO"])
    assert record.encoding == expected
    assert frame.columns.tolist() == ["CODGEO", "LIBGEO"]  # no BOM in the name
    assert frame["LIBGEO"].iloc[0] == "Ambérieu-en-Bugey"


def test_latin1_bytes_undefined_in_cp1252_fall_back_to_latin1():
    text, encoding = decode_bytes(b"A;B\n\x81;1\n")
    assert encoding == "latin-1"
    assert text.startswith("A;B")


def test_latin1_file_with_decimal_commas(tmp_path):
    path = write(
        tmp_path,
        "CODGEO;LIBGEO;TP6021;MED21\n01004;Ambérieu;12,5;21 340\n01005;Ambléon;8,0;23\u00a0410\n",
        encoding="latin-1",
    )
    frame, record = read_csv_table(path, text_columns=["CODGEO", "LIBGEO"])
    assert record.encoding == "cp1252"
    assert record.decimal_comma
    np.testing.assert_allclose(frame["TP6021"], [12.5, 8.0])
    np.testing.assert_allclose(frame["MED21"], [21340.0, 23410.0])
    assert frame["LIBGEO"].tolist() == ["Ambérieu", "Ambléon"]


def test_decimal_comma_inside_quoted_fields_with_comma_separator(tmp_path):
    path = write(tmp_path, 'IRIS,DISP_TP6015,DISP_GI15\n010040101,"22,6","0,25"\n')
    frame, _ = read_csv_table(path, text_columns=["IRIS"])
    np.testing.assert_allclose(
        frame[["DISP_TP6015", "DISP_GI15"]].iloc[0], [22.6, 0.25]
    )


def test_codes_are_read_as_text_before_parsing(tmp_path):
    path = write(tmp_path, "CODGEO;UU2010;P21_POP\n01001;00851;832\n")
    frame, _ = read_csv_table(path, text_columns=["CODGEO", "UU2010"])
    assert frame["CODGEO"].iloc[0] == "01001"
    assert frame["UU2010"].iloc[0] == "00851"


@pytest.mark.parametrize(
    "marker", ["", " ", "s", "nd", "n.d.", "secret", "S", "c", "*"]
)
def test_secret_markers_become_nan_and_flagged(tmp_path, marker):
    path = write(tmp_path, f"CODGEO;P21_POP\n01001;{marker}\n01002;12\n")
    frame, record = read_csv_table(path, text_columns=["CODGEO"])
    assert np.isnan(frame["P21_POP"].iloc[0])
    assert frame["P21_POP"].iloc[1] == 12.0
    pd.testing.assert_series_equal(
        frame["P21_POP__secret"], pd.Series([True, False], name="P21_POP__secret")
    )
    assert record.masked_cells == {"P21_POP": 1}


def test_custom_secret_markers(tmp_path):
    path = write(tmp_path, "CODGEO;X\n01001;masqué\n01002;1\n")
    frame, _ = read_csv_table(path, text_columns=["CODGEO"], secret_markers={"masqué"})
    assert frame["X__secret"].tolist() == [True, False]


def test_no_flag_column_without_markers(tmp_path):
    path = write(tmp_path, "CODGEO;X\n01001;1\n")
    frame, _ = read_csv_table(path, text_columns=["CODGEO"])
    assert "X__secret" not in frame.columns


def test_garbage_in_numeric_column_names_file_column_row_value(tmp_path):
    path = write(tmp_path, "CODGEO;P21_POP\n01001;832\n01002;12\n01003;douze\n")
    with pytest.raises(SourceFormatError) as info:
        read_csv_table(path, text_columns=["CODGEO"])
    error = info.value
    assert error.column == "P21_POP"
    assert error.row == 4
    assert error.value == "douze"
    assert error.path == str(path)
    assert "douze" in error.message and "t.csv" in error.message


def test_label_column_kept_as_text(tmp_path):
    path = write(tmp_path, "CODGEO;LIBELLE;X\n01001;L'Abergement;1\n")
    frame, record = read_csv_table(path, text_columns=["CODGEO"])
    assert frame["LIBELLE"].iloc[0] == "L'Abergement"
    assert "LIBELLE" in record.text_columns


@pytest.mark.parametrize("content", ["", "\n\n", "   "])
def test_empty_file(tmp_path, content):
    path = write(tmp_path, content)
    with pytest.raises(SourceFormatError, match="vide"):
        read_text_table(path)


def test_header_only(tmp_path):
    path = write(tmp_path, "CODGEO;P21_POP\n")
    with pytest.raises(SourceFormatError) as info:
        read_text_table(path)
    assert info.value.columns == ["CODGEO", "P21_POP"]


def test_gzip_and_unnamed_index_column(tmp_path):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(b",IRIS,P16_POP\n2,010040101,319.15\n"))
    frame, record = read_csv_table(path, text_columns=["IRIS"])
    assert frame.columns.tolist() == ["IRIS", "P16_POP"]
    assert record.dropped_columns == ["Unnamed: 0"]


def test_all_blank_rows_dropped_and_counted(tmp_path):
    path = write(tmp_path, "CODGEO;X\n01001;1\n;\n")
    frame, record = read_csv_table(path, text_columns=["CODGEO"])
    assert len(frame) == 1
    assert record.blank_rows == 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.floats(min_value=-1e7, max_value=1e7, allow_nan=False).map(
            lambda v: round(v, 3)
        ),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from([";", ","]),
)
def test_decimal_comma_round_trip(tmp_path_factory, values, sep):
    """Invariant: a French-written number (decimal comma, quoted) reads back exactly."""
    path = tmp_path_factory.mktemp("h") / "t.csv"
    lines = ["CODGEO" + sep + "X"]
    for i, value in enumerate(values):
        written = repr(value).replace(".", ",")
        lines.append(f'{i:05d}{sep}"{written}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame, _ = read_csv_table(path, text_columns=["CODGEO"])
    np.testing.assert_array_equal(frame["X"].to_numpy(), np.array(values))


# --- field counts: rows must have the header's number of fields -------------


def test_unquoted_decimal_comma_in_comma_file_is_an_error(tmp_path):
    """A row with more fields than the header must not shift the columns."""
    path = write(tmp_path, "CODGEO,MED21\n01001,22,5\n93001,18,7\n")
    with pytest.raises(SourceFormatError) as info:
        read_text_table(path)
    error = info.value
    assert error.rows == [2, 3]
    assert (error.expected, error.found) == (2, [3])
    assert "lignes 2, 3" in str(error)
    assert "guillemets" in str(error)
    assert str(path) in str(error)


def test_one_long_row_names_its_line(tmp_path):
    path = write(tmp_path, "CODGEO;A;B\n01001;1;2\n01002;3;4;5\n01003;6;7\n")
    with pytest.raises(SourceFormatError, match="ligne 3") as info:
        read_text_table(path)
    assert info.value.rows == [3]


def test_trailing_separator_on_every_data_row_is_dropped_and_noted(tmp_path):
    path = write(tmp_path, "CODGEO;REG;P21_POP\n01001;84;832;\n75056;11;2100000;\n")
    frame, record = read_csv_table(path, text_columns=["CODGEO", "REG"])
    assert frame.columns.tolist() == ["CODGEO", "REG", "P21_POP"]
    assert frame["CODGEO"].tolist() == ["01001", "75056"]
    assert frame["P21_POP"].tolist() == [832.0, 2100000.0]
    assert "P21_POP__secret" not in frame
    assert len(record.notes) == 1 and "fin de chaque ligne" in record.notes[0]
    assert record.to_dict()["notes"] == record.notes


def test_trailing_separator_on_some_rows_only_is_an_error(tmp_path):
    path = write(tmp_path, "CODGEO;A\n01001;1;\n01002;2\n")
    with pytest.raises(SourceFormatError) as info:
        read_text_table(path)
    assert info.value.rows == [2]


def test_non_empty_extra_field_is_an_error_even_on_every_row(tmp_path):
    path = write(tmp_path, "CODGEO;A\n01001;1;x\n01002;2;y\n")
    with pytest.raises(SourceFormatError):
        read_text_table(path)


def test_short_row_is_an_error_not_secrecy(tmp_path):
    path = write(tmp_path, "CODGEO;A;B\n01001;1;2\n01002;3\n")
    with pytest.raises(SourceFormatError, match="moins") as info:
        read_csv_table(path, text_columns=["CODGEO"])
    assert info.value.rows == [3]
    assert (info.value.expected, info.value.found) == (3, [2])


def test_short_rows_in_quoted_file_name_the_start_line(tmp_path):
    path = write(tmp_path, 'CODGEO;LIB;A\n01001;"deux\nlignes";1\n01002;"x"\n')
    with pytest.raises(SourceFormatError) as info:
        read_text_table(path)
    assert info.value.rows == [4]


def test_header_with_trailing_separator_and_rows_without(tmp_path):
    """An unnamed last header column may be absent from the data rows."""
    path = write(tmp_path, "CODGEO;A;\n01001;1\n01002;2\n")
    frame, _ = read_csv_table(path, text_columns=["CODGEO"])
    assert frame.columns.tolist() == ["CODGEO", "A"]
    assert frame["A"].tolist() == [1.0, 2.0]


def test_title_lines_above_the_header_are_reported(tmp_path):
    path = write(tmp_path, "Titre : population\nSource : Insee\nCODGEO;P\n01001;8\n")
    with pytest.raises(SourceFormatError, match="titre"):
        read_text_table(path)


def test_blank_content_rows_with_fewer_separators_are_just_blank(tmp_path):
    path = write(tmp_path, "CODGEO;A;B\n01001;1;2\n;\n\n")
    frame, record = read_csv_table(path, text_columns=["CODGEO"])
    assert len(frame) == 1 and record.blank_rows == 1


def test_index_is_file_line_after_blank_and_multiline_records(tmp_path):
    path = write(tmp_path, 'CODGEO;LIB;A\n\n01001;"a\nb";1\n;;\n01002;X;zz\n')
    with pytest.raises(SourceFormatError) as info:
        read_csv_table(path, text_columns=["CODGEO", "LIB"])
    assert info.value.row == 6
    path = write(tmp_path, "CODGEO;A\n\n01001;1\n;\n01002;zz\n")
    with pytest.raises(SourceFormatError) as info:
        read_csv_table(path, text_columns=["CODGEO"])
    assert info.value.row == 5


def test_crlf_and_cr_only_line_endings(tmp_path):
    for newline in ("\r\n", "\r"):
        text = newline.join(["CODGEO;A", "01001;1", "01002;2", ""])
        frame, _ = read_csv_table(write(tmp_path, text), text_columns=["CODGEO"])
        assert frame["A"].tolist() == [1.0, 2.0]
        bad = newline.join(["CODGEO;A", "01001;1", "01002", ""])
        with pytest.raises(SourceFormatError) as info:
            read_text_table(write(tmp_path, bad))
        assert info.value.rows == [3]


def test_unit_after_numbers_is_stripped_and_recorded(tmp_path):
    path = write(
        tmp_path,
        "CODGEO;TP6021;MED21\n93001;43,0 %;14 500 €\n93005;28,5\u00a0%;18\u00a0200\u00a0€\n",
    )
    frame, record = read_csv_table(path, text_columns=["CODGEO"])
    assert frame["TP6021"].tolist() == [43.0, 28.5]
    assert frame["MED21"].tolist() == [14500.0, 18200.0]
    assert record.units == {"TP6021": "%", "MED21": "€"}
    assert record.to_dict()["units"] == record.units


def test_variable_without_any_number_is_warned_about(tmp_path):
    from territobs.errors import MissingValuesWarning
    from territobs.io.values import convert_cells

    path = write(tmp_path, "CODGEO;LIBGEO;MED21\n93001;A;n.s.\n93005;B;n.s.\n")
    frame, record = read_text_table(path)
    with pytest.warns(MissingValuesWarning, match="MED21") as info:
        out = convert_cells(
            frame, record, text_columns=["CODGEO"], variables=lambda c: c == "MED21"
        )
    assert "n.s." in str(info[0].message) and str(path) in str(info[0].message)
    assert out["MED21"].tolist() == ["n.s.", "n.s."]
    assert len(info) == 1  # LIBGEO is not a variable: no warning


def test_digit_codes_with_leading_zeros_stay_text(tmp_path):
    path = write(tmp_path, "CODGEO;X;N\n01001;01;5\n01002;13;07\n01003;s;12\n")
    frame, record = read_csv_table(path, text_columns=["CODGEO"])
    assert frame["X"].tolist() == ["01", "13", "s"]
    assert frame["N"].tolist() == ["5", "07", "12"]
    assert record.numeric_columns == []


def test_bom_followed_by_cp1252_bytes_is_a_french_error(tmp_path):
    raw = b"\xef\xbb\xbfCommunes;Codes_Insee\r\nAMB\xc9RIEU;01004\r\n"
    path = tmp_path / "t.csv"
    path.write_bytes(raw)
    with pytest.raises(SourceFormatError, match="BOM") as info:
        read_text_table(path)
    assert info.value.row == 2 and "0xC9" in str(info.value)
    assert isinstance(info.value.__cause__, UnicodeDecodeError)
    frame, _ = read_text_table(path, encoding="cp1252")
    assert frame.columns.tolist() == ["Communes", "Codes_Insee"]  # BOM left out
    assert frame["Communes"].iloc[0] == "AMBÉRIEU"


def test_forced_wrong_or_unknown_encoding_is_a_french_error(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"CODGEO;LIBGEO\n01004;AMB\xc9RIEU\n")
    with pytest.raises(SourceFormatError, match="cp1252") as info:
        read_text_table(path, encoding="utf-8")
    assert info.value.row == 2 and str(path) in str(info.value)
    with pytest.raises(SourceFormatError, match="inconnu") as info:
        read_text_table(path, encoding="utf-9")
    assert isinstance(info.value.__cause__, LookupError)


def test_duplicated_header_is_an_error(tmp_path):
    path = write(tmp_path, "CODGEO;P21_POP;P21_POP\n01001;1;2\n")
    with pytest.raises(SourceFormatError, match="deux fois") as info:
        read_text_table(path)
    assert info.value.codes == ["P21_POP"]


def test_unnamed_column_with_data_is_warned_an_index_is_not(tmp_path):
    import warnings

    from territobs.errors import MissingValuesWarning

    index = write(tmp_path, ";CODGEO;P21_POP\n0;01001;832\n1;01002;250\n", "i.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error", MissingValuesWarning)
        frame, record = read_text_table(index)  # an index written by pandas
    assert record.dropped_columns == ["Unnamed: 0"]
    data = write(tmp_path, "CODGEO;;P21_POP\n01001;999;832\n01002;;250\n", "d.csv")
    with pytest.warns(MissingValuesWarning, match=r"colonne n° 2 .*« 999 »") as info:
        frame, _ = read_text_table(data)
    assert "d.csv" in str(info[0].message)
    assert list(frame.columns) == ["CODGEO", "P21_POP"]
