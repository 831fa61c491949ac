"""Portraits of territory: table, French formatting, secrecy, HTML, files."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territobs.errors import SourceFormatError, ZoneError
from territobs.portrait import (
    PORTRAIT_COLUMNS,
    format_indicator,
    format_share,
    portrait,
    portraits,
)


def result() -> pd.DataFrame:
    rows = []
    for zone, name, pop, rate, est, secret in [
        ("z1", "Quartier <Nord> & Cie", 1234.0, 21.54, 0.35, False),
        ("93", "Seine-Saint-Denis", 1_650_000.0, 27.9, 0.0, False),
        ("fr", "France", 66_000_000.0, 14.6, 0.0, False),
        ("z2", "Petit secret", 12.0, 50.0, 0.0, True),
    ]:
        rows.append(
            (
                zone,
                name,
                "population",
                "Population",
                "count",
                "habitants",
                pop,
                est,
                False,
            )
        )
        rows.append(
            (
                zone,
                name,
                "poverty_rate",
                "Taux de pauvreté",
                "share",
                "%",
                rate,
                0.0,
                secret,
            )
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "zone",
            "zone_name",
            "indicator",
            "label",
            "kind",
            "unit",
            "value",
            "estimated_share",
            "secret",
        ],
    )
    frame["source"] = np.where(
        frame["indicator"] == "population", "INSEE RP", "INSEE Filosofi"
    )
    frame["vintage"] = np.where(frame["indicator"] == "population", "2021", "2020")
    frame["method"] = "exact"
    frame["approximation"] = ""
    return frame


def test_table_holds_zone_then_references() -> None:
    page = portrait(
        result(), "z1", ["93", "fr"], reference_labels={"93": "Département"}
    )
    frame = page.to_frame()
    assert list(frame.columns) == list(PORTRAIT_COLUMNS)
    assert frame["zone"].tolist() == ["z1", "93", "fr"] * 2
    assert frame["role"].tolist() == ["zone", "reference", "reference"] * 2
    assert [c[2] for c in page.columns] == ["Territoire", "Département", "Référence"]
    np.testing.assert_allclose(
        frame["value"].iloc[:3], [1234.0, 1_650_000.0, 66_000_000.0]
    )


def test_indicators_select_and_order() -> None:
    page = portrait(result(), "z1", ["93"], indicators=["poverty_rate", "population"])
    assert page.to_frame()["indicator"].tolist() == [
        "poverty_rate",
        "poverty_rate",
        "population",
        "population",
    ]


def test_html_is_french_escaped_and_flagged() -> None:
    html = portrait(result(), "z1", ["93", "fr"]).to_html()
    assert "Quartier &lt;Nord&gt; &amp; Cie" in html
    assert "<Nord>" not in html
    assert "estimé (35\xa0%)" in html
    assert "1\u202f234" in html
    assert "21,5\xa0%" in html
    assert "INSEE Filosofi, millésime 2020" in html
    assert "@media print" in html
    assert "http://" not in html and "https://" not in html


def test_vintage_written_as_text_reads_as_french() -> None:
    """A vintage sentence (demo data) is written once, never after each source."""
    frame = result().assign(
        vintage="Population municipale : millésime 2017 ; contours : COG 2024"
    )
    lines = portrait(frame, "z1", ["93"]).sources()
    assert lines == [
        "Population : INSEE RP",
        "Taux de pauvreté : INSEE Filosofi",
        "Millésimes : population municipale : millésime 2017 ; contours : COG 2024",
    ]
    assert "{" not in "".join(lines)
    text = " ".join(lines).lower()
    assert text.count("population municipale") == 1


def test_footer_date_is_french() -> None:
    page = portrait(result(), "z1", ["93"])
    page = replace(page, generated="2026-11-23")
    html = page.to_html()
    assert "Produit par territobs le 23 novembre 2026." in html
    assert "2026-11-23" not in html


def test_one_precision_per_indicator_row() -> None:
    """« 85,5 » beside « 112 »: a row shows every figure with one precision."""
    frame = result()
    density = frame[frame["indicator"] == "population"].assign(
        indicator="density",
        label="Densité",
        kind="ratio",
        unit="hab./km²",
        value=[85.504, 111.7, 378.1, 3.0],
        estimated_share=0.0,
    )
    page = portrait(pd.concat([frame, density]), "z1", ["93", "fr"])
    texts = {
        first["indicator"]: [c.text for c in cells] for first, cells in page.rows()
    }
    assert texts["density"] == ["85,5", "111,7", "378,1"]
    # counts keep no decimals beside large counts
    small = frame.assign(value=np.where(frame["zone"] == "z1", 45.3, frame["value"]))
    rows = {
        first["indicator"]: [c.text for c in cells]
        for first, cells in portrait(small, "z1", ["93"]).rows()
    }
    assert rows["population"] == ["45", "1\u202f650\u202f000"]


def test_back_link_to_the_atlas() -> None:
    page = portrait(result(), "z1", ["93"])
    assert "Retour à l" not in page.to_html()
    html = replace(page, back_link="../../index.html").to_html()
    link = '<a class="back" href="../../index.html">← Retour à l\'atlas</a>'
    assert link in html


def test_back_link_refuses_javascript() -> None:
    from territobs.errors import ConfigError

    page = replace(portrait(result(), "z1", ["93"]), back_link="javascript:alert(1)")
    with pytest.raises(ConfigError, match="back_link"):
        page.to_html()


def test_secret_values_are_never_written() -> None:
    page = portrait(result(), "z2", ["93"])
    frame = page.to_frame()
    secret = frame[(frame["zone"] == "z2") & (frame["indicator"] == "poverty_rate")]
    assert secret["secret"].tolist() == [True]
    assert np.isnan(secret["value"].iloc[0])
    html = page.to_html()
    assert "secret statistique" in html
    assert "50,0" not in html


def test_save_writes_html_and_csv(tmp_path) -> None:
    paths = portrait(result(), "z1", ["93"]).save(tmp_path)
    assert paths["html"].name == "z1.html" and paths["html"].is_file()
    back = pd.read_csv(paths["csv"], dtype={"zone": str})
    assert back["zone"].tolist() == ["z1", "93", "z1", "93"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_unknown_zone_or_reference_raises() -> None:
    with pytest.raises(ZoneError) as info:
        portrait(result(), "z9", ["93", "xx"])
    assert info.value.codes == ["z9", "xx"]


def test_missing_column_raises() -> None:
    with pytest.raises(SourceFormatError) as info:
        portrait(result().drop(columns="value"), "z1")
    assert info.value.column == "value"


def test_several_result_frames_are_accepted() -> None:
    frame = result()
    page = portrait(
        [frame[frame["zone"] == "z1"], frame[frame["zone"] == "fr"]], "z1", ["fr"]
    )
    assert page.to_frame()["zone"].tolist() == ["z1", "fr", "z1", "fr"]


@pytest.mark.parametrize("multiline", [False, True])
def test_batch_portraits_match_one_by_one(tmp_path, multiline: bool) -> None:
    """The atlas's batch gives the very files of portrait() zone by zone."""
    frame = result()
    if multiline:  # a cell spanning lines: CSV written portrait by portrait
        frame.loc[frame["zone"] == "fr", "source"] = "INSEE\nRP"
    requests = [
        ("z1", ["93", "fr"], {"93": "Département"}),
        ("z2", ["fr"], None),
        ("93", [], {}),
    ]
    batch = portraits(frame, requests)
    assert [p.zone for p in batch] == ["z1", "z2", "93"]
    for (zone, refs, labels), page in zip(requests, batch, strict=True):
        alone = portrait(frame, zone, refs, reference_labels=labels)
        assert page.to_html() == alone.to_html()
        pd.testing.assert_frame_equal(
            page.to_frame(), alone.to_frame(), check_dtype=False
        )
        one = page.save(tmp_path / "batch", zone)
        two = alone.save(tmp_path / "alone", zone)
        assert one["csv"].read_bytes() == two["csv"].read_bytes()
        assert one["html"].read_bytes() == two["html"].read_bytes()
    with pytest.raises(ZoneError):
        portraits(frame, [("z9", [], None)])


def test_repr_and_notebook_display() -> None:
    page = portrait(result(), "z1", ["93"])
    assert "Portrait" in repr(page)
    assert "<html" not in page._repr_html_()


@settings(max_examples=80, deadline=None)
@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_share_never_rounds_a_part_to_zero_or_whole(share: float) -> None:
    """Invariant: a share strictly between 0 and 1 never reads « 0 % » or « 100 % »."""
    text = format_share(share)
    if 0 < share < 1:
        assert text not in ("0\xa0%", "100\xa0%")


@pytest.mark.parametrize(
    ("value", "unit", "kind", "expected"),
    [
        (86375.0, "", "count", "86\u202f375"),
        (14.23, "%", "share", "14,2\xa0%"),
        (21350.4, "€", "median", "21\u202f350\xa0€"),
        (3.14159, "", "ratio", "3,14"),
        (float("nan"), "%", "share", "donnée manquante"),
    ],
)
def test_format_indicator(value, unit, kind, expected) -> None:
    assert format_indicator(value, unit, kind) == expected


def test_format_value_is_the_old_name_of_format_indicator() -> None:
    """``portrait.format_value`` meant what ``formatting.format_indicator`` does."""
    import territobs.portrait
    from territobs.portrait import format as portrait_format

    for module in (territobs.portrait, portrait_format):
        with pytest.warns(FutureWarning, match="format_indicator"):
            assert module.format_value is format_indicator
    with pytest.raises(AttributeError):
        territobs.portrait.no_such_name  # noqa: B018


def test_notebook_fragment_carries_its_own_css() -> None:
    page = portrait(result(), "z1", ["93", "fr"])
    fragment = page._repr_html_()
    assert "<html" not in fragment
    assert "<style>" in fragment and ".territobs-portrait" in fragment


def test_key_figures_state_gaps_and_charts() -> None:
    page = portrait(result(), "z1", ["93", "fr"])
    figures = {f["label"]: f for f in page.key_figures()}
    rate = figures["Taux de pauvreté"]
    gaps = dict(rate["gaps"])
    assert gaps["Seine-Saint-Denis"] == "-6,4\xa0points"
    assert gaps["France"] == "+6,9\xa0points"
    assert rate["chart"].startswith('<svg class="territobs-bars"')
    count = figures["Population"]
    assert dict(count["gaps"])["Seine-Saint-Denis"] == "0,1\xa0% du total"
    assert count["chart"] == ""  # counts of different sizes: no bars
    secret = portrait(result(), "z2", ["93"])
    rate = {f["label"]: f for f in secret.key_figures()}["Taux de pauvreté"]
    assert rate["state"] == "secret statistique"
    assert dict(rate["gaps"])["Seine-Saint-Denis"] == "écart non calculable"
    html = secret.to_html()
    assert "50,0" not in html  # the secret rate appears nowhere


def test_missing_and_partial_states_are_said() -> None:
    frame = result()
    frame["state"] = ""
    frame["coverage_label"] = ""
    z1 = frame["zone"] == "z1"
    frame.loc[z1 & (frame["indicator"] == "population"), "state"] = "partial"
    frame.loc[z1 & (frame["indicator"] == "population"), "coverage_label"] = (
        "3 IRIS sur 4, 80 % de la population"
    )
    frame.loc[z1 & (frame["indicator"] == "poverty_rate"), "value"] = np.nan
    page = portrait(frame, "z1", ["93"])
    figures = {f["label"]: f for f in page.key_figures()}
    assert figures["Population"]["state"] == "partielle"
    assert figures["Population"]["coverage"].startswith("3 IRIS sur 4")
    assert figures["Taux de pauvreté"]["state"] == "donnée manquante"
    assert figures["Taux de pauvreté"]["text"] == "donnée manquante"
    html = page.to_html()
    assert "partielle : 3 IRIS sur 4" in html


def test_roles_are_said_once_over_their_columns() -> None:
    page = portrait(
        result(),
        "z1",
        ["93", "fr"],
        reference_labels={"93": "Voisins", "fr": "Voisins"},
    )
    assert page.header_groups() == [("Territoire", 1), ("Voisins", 2)]
    assert page.to_html().count(">Voisins<") == 1


def test_locator_context_drawn_once_per_view_and_unchanged(monkeypatch):
    """Zones of one département share its view: the département's path is
    computed once and is the same text as when drawn afresh."""
    import shapely
    from shapely.geometry import box

    from territobs.portrait import graphics

    monkeypatch.setattr(graphics, "_CONTEXT_PATHS", {})
    dep = shapely.Point(0, 0).buffer(50_000, quad_segs=64)
    zones = [box(-1000, -1000, 1000, 1000), box(5000, 5000, 9000, 8000)]
    calls = []
    real = graphics._path

    def counting(geom, transform):
        calls.append(geom)
        return real(geom, transform)

    monkeypatch.setattr(graphics, "_path", counting)
    cached = [graphics.locator_svg(z, [dep]) for z in zones]
    assert sum(1 for g in calls if g.area > 1e9) == 1  # the département once
    monkeypatch.setattr(graphics, "_CONTEXT_PATHS", {})
    assert graphics.locator_svg(zones[1], [dep]) == cached[1]
