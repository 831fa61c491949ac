"""The comparison page: self-contained, escaped, one map per scenario."""

from __future__ import annotations

import re

import pytest

from territobs.scenarios import compare_zonings, comparison_page


def test_page_is_offline_and_escaped(grid, tmp_path):
    grid = grid.copy()
    grid.loc[0, "name"] = "<script>alert(1)</script>"
    codes = grid["code"].tolist()
    result = compare_zonings(
        grid,
        {"a": {"<b>ouest</b>": codes[:8], "est": codes[8:]}, "epci": grid.set_index("code")["epci"]},
        labels={"a": "Actuel & co"},
        reference="epci",
    )  # fmt: skip
    path = tmp_path / "comparaison.html"
    html = comparison_page(result, path, title="Ain <test>")
    assert path.read_text(encoding="utf-8") == html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # a moved commune's name
    assert "&lt;b&gt;ouest&lt;/b&gt;" in html
    assert "Actuel &amp; co" in html and "Ain &lt;test&gt;" in html
    assert len(re.findall(r'src="data:image/png;base64,', html)) == 2
    # nothing fetched from elsewhere: no remote URL anywhere in the page
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "Rapport max / min" in html


@pytest.mark.browser
def test_page_opens_offline_in_chromium(grid, tmp_path, browser, offline_page):
    """The page shows its maps and tables with every remote request blocked."""
    codes = grid["code"].tolist()
    result = compare_zonings(
        grid, {"a": {"o": codes[:8], "e": codes[8:]}, "b": {"o": codes[:4], "e": codes[4:]}}
    )  # fmt: skip
    path = tmp_path / "comparaison.html"
    comparison_page(result, path)
    errors: list[str] = []
    page, foreign = offline_page(browser, path, errors)
    widths = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
    assert len(widths) == 2 and min(widths) > 100
    assert page.locator("table").count() == 2  # figures, then the moves
    assert "changent de zone" in page.inner_text("body")
    assert foreign == [] and errors == []
    page.close()


def test_a_moved_unit_without_population_reads_missing(grid):
    """The moves table says « donnée manquante », never a bare dash."""
    grid = grid.copy()
    grid.loc[0, "population_municipale"] = float("nan")
    codes = grid["code"].tolist()
    with pytest.warns(Warning):  # the unit without value is reported
        result = compare_zonings(
            grid, {"a": {"o": codes[:8], "e": codes[8:]}, "b": {"o": codes[1:8], "e": [codes[0], *codes[8:]]}}
        )  # fmt: skip
    html = comparison_page(result)
    moves = html[html.index("changent de zone") :]
    row = re.search(r"<tr><td>01001</td>.*?</tr>", moves).group(0)
    assert "donnée manquante" in row and "—" not in row
