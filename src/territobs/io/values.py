"""Cells of producers' tables as numbers, with their secrecy flags.

:func:`convert_cells` turns the variable columns of a frame of ``str`` (read
by :func:`territobs.io.text.read_text_table` or from a spreadsheet) into
floats, vectorised: decimal commas, thousands separators written as spaces,
units after numbers (``43,0 %``), ambiguous ``12.500``; every masked cell
(blank, ``s``, ``nd``, ``secret``...) becomes NaN with a
``"{column}__secret"`` flag. :func:`read_csv_table` does both steps.
(:func:`convert_cells` was named ``convert_table`` like
:func:`territobs.cog.convert_table`, which converts a table between COG
vintages.)
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Collection

import numpy as np
import pandas as pd

from territobs.errors import (
    MissingValuesWarning,
    SourceFormatError,
    format_codes,
    where,
)
from territobs.formatting import count_of
from territobs.io.text import TableRecord, read_text_table

__all__ = ["DEFAULT_SECRET_MARKERS", "convert_cells", "read_csv_table"]


#: Cell contents meaning "masked" (secret statistique) or "not available".
#: Compared after stripping spaces, case-insensitively; ``""`` is a blank cell.
DEFAULT_SECRET_MARKERS: frozenset[str] = frozenset(
    {"", "s", "nd", "n.d.", "n.d", "secret", "c", "*", "nc", "n.c."}
)


#: Spaces that may separate thousands: space, no-break space, narrow no-break.
_THOUSANDS = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d{3}(?:\D|$))")


#: A unit written after a number: ``43,0 %``, ``14 500 €``.
_UNIT = r"^(.*\d)[ \u00a0\u202f]*([%€])$"


def _normalise_numbers(values: pd.Series) -> tuple[pd.Series, bool, set[str]]:
    """Remove thousands separators and a trailing unit, turn decimal commas into points.

    Returns the cleaned text, whether a decimal comma was seen, and the units
    stripped (``"%"``, ``"€"``).
    """
    text = values.str.replace(_THOUSANDS, "", regex=True)
    parts = text.str.extract(_UNIT)
    with_unit = parts[0].notna()
    units: set[str] = set()
    if with_unit.any():
        units = set(parts.loc[with_unit, 1])
        text = text.where(~with_unit, parts[0])
    has_comma = text.str.contains(",", regex=False)
    decimal_comma = bool(has_comma.any())
    if decimal_comma:
        text = text.str.replace(",", ".", regex=False)
    return text, decimal_comma, units


#: A number whose only dots could group thousands: ``12.500``, ``1.234.567``.
_DOT_GROUPS = r"-?[1-9]\d{0,2}(?:\.\d{3})+"


def _check_numbers(
    path: str | None,
    col: str,
    cleaned: pd.Series,
    numbers: pd.Series,
    masked: pd.Series,
    first_row: int,
) -> None:
    """Refuse infinite numbers and columns whose dots may be thousands separators."""
    values = numbers.to_numpy(dtype="float64")
    infinite = np.isinf(values)
    if infinite.any():
        position = int(np.flatnonzero(infinite)[0])
        row = int(cleaned.index[position]) + first_row
        raise SourceFormatError(
            f"{where(path, col, row)}valeur « {cleaned.iloc[position]} » infinie ou "
            "hors des nombres représentables "
            f"({count_of(int(infinite.sum()), 'valeur')} de ce genre) : un effectif "
            "ou un taux est toujours fini. Corrigez le fichier.",
            path=path,
            column=col,
            row=row,
            value=cleaned.iloc[position],
        )
    dotted = cleaned.str.contains(".", regex=False) & ~masked
    if dotted.any() and cleaned[dotted].str.fullmatch(_DOT_GROUPS).all():
        position = int(np.flatnonzero(dotted.to_numpy())[0])
        row = int(cleaned.index[position]) + first_row
        value = cleaned.iloc[position]
        raise SourceFormatError(
            f"{where(path, col, row)}valeur « {value} » ambiguë : le point sépare-t-il "
            f"les milliers ({value.replace('.', '')}) ou les décimales "
            f"({float(value):g}) ? Toutes les valeurs à point de la colonne "
            f"({count_of(int(dotted.sum()), 'valeur')}) ont trois chiffres après "
            "chaque point. Réécrivez-les sans séparateur de milliers, ou avec une "
            "virgule décimale.",
            path=path,
            column=col,
            row=row,
            value=value,
        )


def _looks_like_codes(cells: pd.Series) -> bool:
    """Whether every cell is a digit string and some start with a zero (``01``)."""
    if cells.empty:
        return False
    zero = cells.str.match(r"^0\d").fillna(False)
    return bool(zero.any()) and bool(cells.str.fullmatch(r"\d+").fillna(False).all())


def convert_cells(
    frame: pd.DataFrame,
    record: TableRecord,
    *,
    text_columns: Collection[str] = (),
    numeric_columns: Collection[str] | None = None,
    secret_markers: Collection[str] = DEFAULT_SECRET_MARKERS,
    first_row: int = 2,
    variables: Callable[[str], bool] | None = None,
) -> pd.DataFrame:
    """Convert the variable columns of a text table to floats, flagging secrecy.

    Parameters
    ----------
    frame : pandas.DataFrame
        Cells as ``str`` (from :func:`read_text_table` or a spreadsheet).
    record : TableRecord
        Updated in place with the columns' kinds and masked cells.
    text_columns : collection of str
        Columns kept as text whatever they hold (codes, labels).
    numeric_columns : collection of str, optional
        Columns that must be numeric. By default every other column is
        numeric unless none of its unmasked cells is a number (a label
        column such as ``LIBCOM``) or every one is a digit string and some
        start with a zero (codes such as ``"01"``, ``"01001"``), in which
        case it is kept as text.
    secret_markers : collection of str, default DEFAULT_SECRET_MARKERS
        Cell contents that mean "masked", compared case-insensitively after
        stripping spaces.
    first_row : int, default 2
        File line (or spreadsheet row) of the row whose index label is 0: the
        line of a row is ``index + first_row`` (the index must hold the
        0-based positions of the rows in the file, as
        :func:`read_text_table` returns them).
    variables : callable, optional
        Tells, from its name, whether a column is a producer variable (e.g.
        ``P21_POP``, ``MED21``). Such a column kept as text because none of
        its cells is a number is warned about instead of being left out
        silently.

    Returns
    -------
    pandas.DataFrame
        Text columns as ``str``; numeric columns as ``float64`` with NaN where
        masked; after each numeric column that had masked cells, a boolean
        column ``"{column}__secret"``.

    Raises
    ------
    SourceFormatError
        If a numeric column holds a value that is neither a number nor a
        secrecy marker; the message names the file, column, line and value
        (``error.column``, ``error.row``, ``error.value``).

    Warns
    -----
    MissingValuesWarning
        A column that ``variables`` names a variable holds no number and is
        kept as text (the message names it and quotes a value).

    Notes
    -----
    Numbers are parsed after removing thousands separators (space, no-break
    space, narrow no-break space between digit groups), a unit written after
    the number (``43,0 %``, ``14 500 €``, recorded in ``record.units``) and
    replacing a decimal comma by a point. Nothing is coerced silently: a masked cell
    becomes NaN *and* is flagged, an unreadable one is an error.
    """
    markers = {str(m).strip().lower() for m in secret_markers}
    text_set = set(text_columns)
    out: dict[str, pd.Series] = {}
    for col in frame.columns:
        values = frame[col]
        forced = numeric_columns is not None and col in numeric_columns
        if col in text_set or (numeric_columns is not None and not forced):
            out[col] = values
            record.text_columns.append(col)
            continue
        cleaned = values.astype(str).str.strip()
        masked = cleaned.str.lower().isin(markers)
        if not forced and _looks_like_codes(cleaned[~masked]):
            # "01", "01001": codes, whose leading zeros a float would lose.
            out[col] = values
            record.text_columns.append(col)
            continue
        numbers = pd.to_numeric(cleaned.where(~masked), errors="coerce")
        bad = numbers.isna() & ~masked
        comma = False
        units: set[str] = set()
        if bad.any():
            # slow path only for the cells plain parsing did not read.
            normalised, comma, units = _normalise_numbers(cleaned[bad])
            numbers[bad] = pd.to_numeric(normalised, errors="coerce")
            bad = numbers.isna() & ~masked
        if not forced and bad.any() and not (~bad & ~masked).any():
            # not a single number: a label column.
            out[col] = values
            record.text_columns.append(col)
            if variables is not None and variables(col):
                sample = values[bad].iloc[0]
                warnings.warn(
                    MissingValuesWarning(
                        f"{where(record.path, col)}aucune valeur lisible comme un "
                        f"nombre (par ex. « {sample} ») : la colonne est gardée "
                        "comme du texte et ne sera pas une variable du territoire. "
                        "Si ce sont des nombres, corrigez leur écriture ; si ce sont "
                        "des marqueurs de secret, ajoutez-les à secret_markers.",
                        path=record.path,
                        column=col,
                        value=sample,
                    ),
                    stacklevel=3,
                )
            continue
        if bad.any():
            position = int(np.flatnonzero(bad.to_numpy())[0])
            value = values.iloc[position]
            others = values[bad].tolist()
            row = int(frame.index[position]) + first_row
            msg = (
                where(record.path, col, row)
                + f"valeur « {value} » non numérique dans une colonne de nombres."
            )
            if len(others) > 1:
                msg += f" {len(others)} valeurs illisibles : {format_codes(others)}."
            msg += (
                " Si c'est un marqueur de secret, ajoutez-le à secret_markers ; "
                "si c'est une colonne de texte, déclarez-la."
            )
            raise SourceFormatError(
                msg,
                path=record.path,
                column=col,
                row=row,
                value=value,
                values=others,
            )
        _check_numbers(record.path, col, cleaned, numbers, masked, first_row)
        out[col] = numbers.astype("float64")
        record.numeric_columns.append(col)
        record.decimal_comma = record.decimal_comma or comma
        if units:
            record.units[col] = " ".join(sorted(units))
        n_masked = int(masked.sum())
        if n_masked:
            out[f"{col}__secret"] = masked.astype(bool)
            record.masked_cells[col] = n_masked
    return pd.DataFrame(out, index=frame.index)


def read_csv_table(
    path: str | os.PathLike[str],
    *,
    text_columns: Collection[str] = (),
    numeric_columns: Collection[str] | None = None,
    secret_markers: Collection[str] = DEFAULT_SECRET_MARKERS,
    encoding: str | None = None,
    separator: str | None = None,
) -> tuple[pd.DataFrame, TableRecord]:
    r"""Read a producer's CSV: text first, then typed variables and secrecy flags.

    Parameters
    ----------
    path : path-like
        The file (optionally gzip-compressed).
    text_columns, numeric_columns, secret_markers
        See :func:`convert_cells`.
    encoding, separator : str, optional
        See :func:`read_text_table`.

    Returns
    -------
    frame : pandas.DataFrame
        As returned by :func:`convert_cells`.
    record : TableRecord
        What was detected (encoding, separator, decimal comma, masked cells).

    Raises
    ------
    SourceFormatError
        Empty file, header only, ragged rows, or a non-numeric value in a
        numeric column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text('CODGEO;TP6021\n01001;"12,5"\n01002;s\n', encoding="utf-8")
    >>> frame, record = read_csv_table(p, text_columns=["CODGEO"])
    >>> frame["TP6021"].tolist(), frame["TP6021__secret"].tolist()
    ([12.5, nan], [False, True])
    """
    frame, record = read_text_table(path, encoding=encoding, separator=separator)
    converted = convert_cells(
        frame,
        record,
        text_columns=text_columns,
        numeric_columns=numeric_columns,
        secret_markers=secret_markers,
    )
    return converted, record
