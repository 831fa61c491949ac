"""XLSX tables of the atlas: French, formatted, full precision."""

from __future__ import annotations

import pandas as pd
import pytest

from territobs.atlas.tables import write_xlsx

openpyxl = pytest.importorskip("openpyxl")


def _result() -> pd.DataFrame:
    rows = []
    for indicator, label, kind, unit, value in [
        (
            "population",
            "Population municipale",
            "count",
            "habitants",
            50252.78424897277,
        ),
        ("density", "Densité de population", "ratio", "hab./km²", 5749.384104580369),
    ]:
        rows.append(
            {
                "zone": "pst",
                "zone_name": "PST Clichy-sous-Bois – Montfermeil",
                "indicator": indicator,
                "label": label,
                "kind": kind,
                "unit": unit,
                "value": value,
                "method": "area",
                "estimated_share": 1.0,
                "secret": False,
                "secret_reason": "",
                "source": "INSEE",
                "vintage": "2021",
            }
        )
    return pd.DataFrame(rows)


def test_xlsx_is_partner_ready(tmp_path) -> None:
    path = write_xlsx(_result(), tmp_path / "pst.xlsx", notes={"pst": "partie"})
    book = openpyxl.load_workbook(path)
    values = book["Valeurs"]
    header = [c.value for c in values[1]]
    assert header == [
        "Zone",
        "Nom",
        "Population municipale (habitants)",
        "Densité de population (hab./km²)",
        "Remarque",
    ]
    pop, density = values["C2"], values["D2"]
    assert pop.value == 50252.78424897277  # full precision: formatted, not rounded
    assert pop.number_format == "#,##0"
    # one decimals policy with maps and portraits: 5 749 hab./km² has none
    assert density.number_format == "#,##0"
    assert values.freeze_panes == "C2"
    assert values.column_dimensions["B"].width >= len("PST Clichy-sous-Bois")
    assert values["E2"].value == "partie"
    notes = book["Secret et estimations"]
    row = {h.value: c for h, c in zip(notes[1], notes[2], strict=True)}
    assert row["Méthode"].value == "estimée (surfaces)"
    assert row["Part estimée"].value == 1
    assert "%" in row["Part estimée"].number_format
    assert notes.freeze_panes is not None
    assert book["Sources"].freeze_panes == "A2"


@pytest.mark.parametrize(
    ("method", "french"),
    [
        ("exact", "exacte"),
        ("population", "estimée (population)"),
        ("mixed", "estimée (mixte)"),
    ],
)
def test_methods_read_in_french(tmp_path, method, french) -> None:
    path = write_xlsx(_result().assign(method=method), tmp_path / "t.xlsx")
    notes = pd.read_excel(path, sheet_name="Secret et estimations")
    assert set(notes["Méthode"]) == {french}


def test_xlsx_reasons_are_french_only(tmp_path) -> None:
    import openpyxl
    import pandas as pd

    from territobs.atlas.tables import write_xlsx

    frame = pd.DataFrame(
        {
            "zone": ["a", "b"],
            "zone_name": ["Zone A", "Zone B"],
            "indicator": "population",
            "label": "Population",
            "kind": "count",
            "unit": "habitants",
            "value": [float("nan"), 120.0],
            "estimated_share": [0.0, 0.0],
            "secret": [True, False],
            "secret_reason": ["input: valeur incomplète, 1 commune masquée", ""],
            # recompute's state: a commune blanked by the producer is a secret
            "state": ["secret", "value"],
            "method": "exact",
            "source": "INSEE",
            "vintage": "2021",
        }
    )
    path = write_xlsx(frame, tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    cells = [
        str(c.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for c in row
        if c.value is not None
    ]
    assert not [c for c in cells if c.startswith(("input:", "primary:", "secondary:"))]
    assert "données sources masquées : valeur incomplète, 1 commune masquée" in cells
    assert "secret statistique" in cells  # the state column
