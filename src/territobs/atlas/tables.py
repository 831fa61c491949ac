"""The XLSX tables of the atlas, ready to hand to partners.

The values keep their full precision in the cells (a partner may recompute
from them); only their display is set: counts as integers with thousands
separators, ratios and means with the decimals of the indicator, estimated
shares as percentages. Methods read in French (« estimée (surfaces) »), the
header row is frozen and the columns are wide enough to read. No text cell
is ever a formula (:mod:`territobs.io.spreadsheet`). The CSV tables
stay as they are: machine-readable, English column names, raw codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from territobs.catalog.kinds import is_count
from territobs.formatting import decimals_for
from territobs.io.spreadsheet import protect_sheet

__all__ = ["METHODS_FR", "number_format", "write_xlsx"]

#: French names of the weighting methods (the vocabulary of the notebook
#: tables, :func:`territobs.zoning.result.style_result`).
METHODS_FR = {
    "exact": "exacte",
    "area": "estimée (surfaces)",
    "population": "estimée (population)",
    "mixed": "estimée (mixte)",
}

#: Excel number format of 0-1 shares (100 % for 1).
PERCENT_FORMAT = "0 %"
#: Widest column, in characters.
_MAX_WIDTH = 60


def number_format(kind: str, unit: str, values: Sequence[float] | None = None) -> str:
    """Excel number format of an indicator's values.

    Parameters
    ----------
    kind : str
        ``count``, ``ratio``, ``mean``, ``median``...
    unit : str
        ``"%"`` values are already percentages (``12.5`` for 12.5 %).
    values : sequence of float, optional
        The column's values: the decimals are those of the one policy
        (:func:`territobs.formatting.decimals_for`) shared with portraits,
        notebook tables and maps. Default: the policy for a count's or a
        euro amount's whole numbers, else one decimal.

    Returns
    -------
    str
        ``"#,##0"`` (shown ``50 253`` by a French spreadsheet),
        ``"#,##0.0"`` or ``"#,##0.00"``.

    Examples
    --------
    >>> number_format("count", "habitants"), number_format("ratio", "hab./km²")
    ('#,##0', '#,##0.0')
    >>> number_format("ratio", "", [3.14159, 2.5])
    '#,##0.00'
    """
    if values is None:
        digits = 0 if is_count(kind) or unit == "€" else 1
    else:
        digits = decimals_for(values, unit, kind)
    return "#,##0" + ("." + "0" * digits if digits else "")


def _heading(label: str, unit: str) -> str:
    return f"{label} ({unit})" if unit and unit != "nan" else label


def _text(value: Any) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _values_sheet(
    result: pd.DataFrame, notes: dict[str, str]
) -> tuple[pd.DataFrame, list[str | None]]:
    """One row per zone, one column per indicator; formats of each column."""
    indicators = result.drop_duplicates("indicator")
    values = result.pivot(index="zone", columns="indicator", values="value")
    names = result.drop_duplicates("zone").set_index("zone")["zone_name"]
    order = pd.Index(names.index)
    wide = pd.DataFrame({"Zone": order.astype(str), "Nom": names.reindex(order)})
    formats: list[str | None] = ["@", "@"]
    for row in indicators.itertuples(index=False):
        unit = _text(row.unit)
        column = values[row.indicator].reindex(order).astype(float)
        wide[_heading(str(row.label), unit)] = column.to_numpy()
        shown = column[np.isfinite(column)].tolist()
        formats.append(number_format(_text(row.kind), unit, shown))
    if notes:
        wide["Remarque"] = [notes.get(str(z), "") for z in order]
        formats.append("@")
    return wide.reset_index(drop=True), formats


#: Prefixes of the result's ``secret_reason`` (developer words) → French.
_REASON_PREFIXES = {
    "primary:": "secret primaire :",
    "secondary:": "secret secondaire (protège une autre valeur) :",
    "input:": "données sources masquées :",
}


def reason_fr(reason: Any) -> str:
    """Return a ``secret_reason`` in French only, for partners.

    Examples
    --------
    >>> reason_fr("input: valeur incomplète, 2 communes")
    'données sources masquées : valeur incomplète, 2 communes'
    >>> reason_fr(None)
    ''
    """
    text = _text(reason).strip()
    for prefix, french in _REASON_PREFIXES.items():
        if text.startswith(prefix):
            return f"{french} {text[len(prefix) :].strip()}"
    return text


def _notes_sheet(result: pd.DataFrame) -> tuple[pd.DataFrame, list[str | None]]:
    from territobs.schema import figure_states, state_words

    states = figure_states(result)
    flagged = result[
        result["secret"].astype(bool)
        | (result["estimated_share"].fillna(0) > 0)
        | (states != "value").to_numpy()
    ]
    coverage = (
        flagged["coverage_label"].map(_text)
        if "coverage_label" in flagged
        else pd.Series("", index=flagged.index)
    )
    notes = pd.DataFrame(
        {
            "Zone": flagged["zone"].astype(str),
            "Nom": flagged["zone_name"],
            "Indicateur": flagged["label"],
            "État": state_words(result).loc[flagged.index],
            "Couverture": coverage,
            "Secret statistique": flagged["secret_reason"].map(reason_fr)
            if "secret_reason" in flagged
            else "",
            "Part estimée": flagged["estimated_share"].astype(float),
            "Méthode": flagged["method"].map(
                lambda m: METHODS_FR.get(_text(m), _text(m))
            ),
        }
    )
    formats: list[str | None] = ["@", "@", "@", "@", "@", "@", PERCENT_FORMAT, "@"]
    return notes.reset_index(drop=True), formats


def _sources_sheet(result: pd.DataFrame) -> tuple[pd.DataFrame, list[str | None]]:
    sources = result.drop_duplicates("indicator")
    frame = pd.DataFrame(
        {
            "Indicateur": sources["label"],
            "Unité": sources["unit"].map(_text),
            "Source": sources["source"].map(_text),
            "Millésime": sources["vintage"].map(_text),
        }
    )
    return frame.reset_index(drop=True), ["@"] * 4


def _layout(sheet: Any, frame: pd.DataFrame, formats: Sequence[str | None]) -> None:
    """Set the number formats, column widths and frozen header of a sheet."""
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = "C2" if list(frame.columns[:2]) == ["Zone", "Nom"] else "A2"
    for j, (column, fmt) in enumerate(zip(frame.columns, formats, strict=True)):
        letter = get_column_letter(j + 1)
        if fmt and fmt != "@":
            for (cell,) in sheet.iter_rows(
                min_row=2, max_row=len(frame) + 1, min_col=j + 1, max_col=j + 1
            ):
                cell.number_format = fmt
            shown = [len(f"{v:,.1f}") for v in frame[column].dropna()]
        else:
            shown = [len(_text(v)) for v in frame[column]]
        width = max([len(str(column)), *shown]) + 2
        sheet.column_dimensions[letter].width = min(max(width, 8), _MAX_WIDTH)


def write_xlsx(
    result: pd.DataFrame, path: str | Path, notes: dict[str, str] | None = None
) -> Path:
    """Write the partner-ready XLSX table of one zoning.

    Parameters
    ----------
    result : pandas.DataFrame
        Secured tidy result of the zoning (secret values already blanked).
    path : str or pathlib.Path
        The file written.
    notes : dict of str to str, optional
        Zone id → remark (a zone only partly in the atlas's data), in a
        « Remarque » column of the values sheet.

    Returns
    -------
    pathlib.Path
        ``path``. Three sheets: « Valeurs » (one row per zone, one column
        per indicator, headed with its unit), « Secret et estimations »,
        « Sources ».
    """
    path = Path(path)
    sheets = {
        "Valeurs": _values_sheet(result, notes or {}),
        "Secret et estimations": _notes_sheet(result),
        "Sources": _sources_sheet(result),
    }
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, (frame, formats) in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            _layout(writer.sheets[name], frame, formats)
            protect_sheet(writer.sheets[name])
    return path
