import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from territobs import codes
from territobs.errors import CodeError, TerritobsError


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("01001", "commune"),
        ("2A004", "commune"),
        ("2B033", "commune"),
        ("97411", "commune"),
        ("75101", "arrondissement"),
        ("69389", "arrondissement"),
        ("13216", "arrondissement"),
        ("751010101", "iris"),
        ("2A0040000", "iris"),
        ("200054781", "epci"),
        ("01", "departement"),
        ("2A", "departement"),
        ("971", "departement"),
        ("84", "region"),
    ],
)
def test_valid_codes(code, level):
    assert codes.is_valid(code, level)
    assert codes.normalize_code(code, level) == code


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("1001", "commune"),
        ("20004", "commune"),
        ("96001", "commune"),
        ("75121", "arrondissement"),
        ("69380", "arrondissement"),
        ("13217", "arrondissement"),
        ("75101010", "iris"),
        ("20005478", "epci"),
        ("1", "departement"),
        ("00", "departement"),
    ],
)
def test_invalid_codes(code, level):
    assert not codes.is_valid(code, level)
    with pytest.raises(CodeError) as info:
        codes.normalize_code(code, level)
    assert info.value.codes == [code]


def test_lost_leading_zero_is_reported_not_fixed():
    with pytest.raises(CodeError, match="01001") as info:
        codes.normalize_code("1001", "commune")
    assert info.value.suggestion == "01001"
    assert isinstance(info.value, ValueError) and isinstance(info.value, TerritobsError)


def test_integer_code_is_refused_even_when_well_formed():
    with pytest.raises(CodeError, match="nombre"):
        codes.normalize_code(75056, "commune")
    assert not codes.is_valid(75056, "commune")


def test_corsica_lower_case_and_spaces():
    assert codes.normalize_code(" 2b033 ", "commune") == "2B033"


def test_column_reports_every_bad_row_with_line_numbers():
    column = pd.Series(["01001", "1004", "93001", "1053", ""])
    with pytest.raises(CodeError) as info:
        codes.normalize_codes(column, "commune", path="a.csv", column="CODGEO")
    err = info.value
    assert err.rows == [3, 5, 6]
    assert err.codes == ["1004", "1053", ""]
    assert err.suggestions == {"1004": "01004", "1053": "01053"}
    assert "a.csv" in str(err) and "CODGEO" in str(err) and "ligne 3" in str(err)


def test_numeric_column_with_lost_zeros_is_refused():
    with pytest.raises(CodeError, match="nombres"):
        codes.normalize_codes(pd.Series([1001, 93001]), "commune")


def test_lossless_numeric_column_is_accepted():
    out = codes.normalize_codes(pd.Series([93001.0, 75056.0]), "commune")
    assert out.tolist() == ["93001", "75056"]


def test_missing_markers_allowed_when_asked():
    out = codes.normalize_codes(
        pd.Series(["200054781", "ZZZZZZZZZ", None]), "epci", allow_missing=True
    )
    assert out.tolist()[0] == "200054781"
    assert out.isna().tolist() == [False, True, True]
    with pytest.raises(CodeError):
        codes.normalize_codes(pd.Series(["200054781", None]), "epci")


@pytest.mark.parametrize(
    ("arr", "commune"),
    [
        ("75101", "75056"),
        ("75120", "75056"),
        ("69381", "69123"),
        ("13216", "13055"),
        ("93001", "93001"),
    ],
)
def test_arrondissement_to_commune(arr, commune):
    assert codes.arrondissement_to_commune(arr) == commune


def test_level_of_and_departement_of():
    assert codes.level_of("930010101") == "iris"
    assert codes.level_of("01") == "departement"
    assert codes.departement_of("97209") == "972"
    assert codes.departement_of("2A0040101") == "2A"
    with pytest.raises(CodeError):
        codes.departement_of("1001")


commune_codes = st.builds(
    lambda dep, num: dep + num,
    st.sampled_from(["01", "09", "2A", "2B", "75", "93", "95"]),
    st.integers(1, 999).map(lambda n: f"{n:03d}"),
)


@given(commune_codes, st.sampled_from(["", " ", "  "]))
@example("01001", "")
def test_normalisation_is_idempotent_and_keeps_zeros(code, pad):
    """Invariant: normalising twice equals normalising once, and zeros stay."""
    once = codes.normalize_code(pad + code.lower() + pad, "commune")
    assert once == code
    assert codes.normalize_code(once, "commune") == once
    assert len(once) == 5


@given(st.lists(commune_codes, min_size=1, max_size=30))
def test_column_normalisation_is_idempotent(values):
    once = codes.normalize_codes(pd.Series(values), "commune")
    twice = codes.normalize_codes(once, "commune")
    pd.testing.assert_series_equal(once, twice)
    assert (once.str.len() == 5).all()


@given(st.integers(1, 9999))
def test_any_number_with_lost_zero_is_caught(n):
    """Invariant: a 4-digit number is never accepted as a commune code."""
    with pytest.raises(CodeError):
        codes.normalize_codes(pd.Series([n], dtype=np.int64), "commune")


def test_region_codes_are_not_claimed_as_departements_without_a_hint():
    assert codes.departement_or_region(["01", "05", "93"]) == "departement"
    assert codes.departement_or_region(["971", "11"]) == "departement"
    assert codes.departement_or_region(["11", "84"], hints=["REG"]) == "region"
    assert codes.departement_or_region(["11"], hints=["CODGEO", "regions-2016"]) == (
        "region"
    )
    assert codes.departement_or_region(["11"], hints=["CODE_DEPT"]) == "departement"
    # the first telling hint wins: the column before the file name
    assert codes.departement_or_region(["11"], hints=["INSEE_REG", "dep"]) == "region"
    with pytest.raises(CodeError, match="level=") as info:
        codes.departement_or_region(["11", "93"], hints=["CODGEO", "t"], path="t.csv")
    assert info.value.codes == ["11", "93"]
    assert "t.csv" in str(info.value)


def test_normalize_codes_reports_given_lines():
    with pytest.raises(CodeError) as info:
        codes.normalize_codes(pd.Series(["01001", "1002"]), "commune", lines=[3, 7])
    assert info.value.row == 7 and info.value.rows == [7]


@pytest.mark.parametrize(
    ("code", "level", "hint", "not_hint"),
    [
        ("1001.0", "commune", "perdu son zéro initial (« 01001 »)", "Corse"),
        ("20004", "commune", "Corse", "zéro initial"),
        ("243220101", "commune", "celui d'un IRIS", "Corse"),
        ("200054781", "commune", "SIREN d'un EPCI", "Corse"),
        ("200040101", "iris", "Corse", "celui d'un IRIS"),
    ],
)
def test_invalid_code_hints(code, level, hint, not_hint):
    with pytest.raises(CodeError) as info:
        codes.normalize_code(code, level)
    assert hint in str(info.value)
    assert not_hint not in str(info.value)
