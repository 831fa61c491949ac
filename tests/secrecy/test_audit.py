from __future__ import annotations

import pandas as pd

from territobs.secrecy import CAF, RP, apply_secrecy, audit, departement, read_result

COUNTS = {"a": 40.0, "b": 3.0, "c": 25.0}
ZONES = {"zone": ["a", "c"], "C1": ["a", "b", "c"], "tiny": ["b"]}
RULE = departement(5)


def test_audit_of_an_unprotected_table_lists_every_risk(make_counts):
    res = make_counts(COUNTS, ZONES)
    report = audit(res, RULE, membership=ZONES)
    checks = set(zip(report["check"], report["zone"], strict=True))
    assert ("primary", "tiny") in checks
    assert ("differencing", "C1, zone") in checks
    assert (report["severity"] == "risque").all()


def test_audit_of_a_protected_table_is_clean(make_counts):
    out = apply_secrecy(make_counts(COUNTS, ZONES), RULE, membership=ZONES)
    assert audit(out, RULE, membership=ZONES).empty


def test_audit_finds_a_secret_row_that_kept_its_value(make_counts):
    out = apply_secrecy(make_counts(COUNTS, ZONES), RULE, membership=ZONES)
    out.loc[out["zone"] == "tiny", "value"] = 3.0
    report = audit(out, RULE, membership=ZONES)
    assert report["check"].tolist() == ["secret_value"]


def test_audit_without_membership_says_what_was_not_checked(make_counts):
    report = audit(make_counts(COUNTS, {"zone": ["a", "c"]}), RULE)
    assert report["check"].tolist() == ["not_checked"]
    assert report["severity"].tolist() == ["avertissement"]


def test_census_advice_is_a_warning(make_counts):
    res = make_counts({"a": 150.0, "b": 900.0}, {"za": ["a"], "zb": ["b"]})
    report = audit(res, RP, membership={"za": ["a"], "zb": ["b"]})
    assert report[["severity", "check", "zone"]].values.tolist() == [
        ["avertissement", "advisory", "za"]
    ]
    assert not apply_secrecy(res, RP, membership={"za": ["a"], "zb": ["b"]})[
        "secret"
    ].any()


def test_audit_finds_masked_values_in_output_files(make_counts, tmp_path):
    counts = {"a": 1234.0, "b": 2.0, "c": 25.0}
    zones = {"big": ["a", "b"], "small": ["a"]}
    res = make_counts(counts, zones, names={"big": "Bourg", "small": "Centre"})
    out = apply_secrecy(res, CAF, membership=zones)
    masked = out.loc[out["secret"], "zone"].tolist()
    assert masked == ["small"]
    atlas = tmp_path / "atlas"
    atlas.mkdir()
    (atlas / "carte.html").write_text(
        '<script>var data = {"zone": "small", "name": "Centre", "tip": "1\u202f234"};</script>',
        encoding="utf-8",
    )
    (atlas / "autre.html").write_text("<p>Bourg : 1236</p>", encoding="utf-8")
    (atlas / "sans_zone.csv").write_text("x;1234\n", encoding="utf-8")
    report = audit(out, CAF, membership=zones, unmasked=res, outputs=atlas)
    leaks = report[report["check"] == "file_leak"]
    assert leaks["zone"].tolist() == ["small"]
    assert leaks["path"].str.endswith("carte.html").all()


def test_read_result_round_trip(make_counts, tmp_path):
    out = apply_secrecy(make_counts(COUNTS, ZONES), RULE, membership=ZONES)
    out.loc[0, "zone"] = "01001"
    path = tmp_path / "resultat.csv"
    out.to_csv(path, index=False, sep=";")
    back = read_result(path)
    assert back.loc[0, "zone"] == "01001"
    pd.testing.assert_series_equal(back["secret"], out["secret"])
    pd.testing.assert_series_equal(back["value"], out["value"])
