"""The one robust reader of INSEE and CAF delimited text files.

Producers publish "CSV" files in many dialects: ``;`` or ``,`` or tab
separators, UTF-8 (with or without BOM) or Windows-1252, decimal commas (even
inside quoted fields, ``"22,6"``), thousands separators written as spaces or
non-breaking spaces, and secrecy markers (blank cells, ``s``, ``nd``,
``secret``...). This module reads every cell as text first, so that codes
keep their leading zeros, then converts the variable columns to floats in a
vectorised way and flags the masked cells.

Two steps, usable separately (the Excel path of :mod:`territobs.io.insee`
only needs the second):

* :func:`read_text_table` decodes and splits the file into a frame of ``str``;
* :func:`convert_table` turns the variable columns into floats and adds the
  ``"{column}__secret"`` flags.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import os
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from territobs.errors import SourceFormatError, format_codes, where

__all__ = [
    "DEFAULT_SECRET_MARKERS",
    "TableRecord",
    "convert_table",
    "decode_bytes",
    "find_column",
    "read_bytes",
    "read_csv_table",
    "read_text_table",
    "sniff_separator",
]

#: Cell contents meaning "masked" (secret statistique) or "not available".
#: Compared after stripping spaces, case-insensitively; ``""`` is a blank cell.
DEFAULT_SECRET_MARKERS: frozenset[str] = frozenset(
    {"", "s", "nd", "n.d.", "n.d", "secret", "c", "*", "nc", "n.c."}
)

SEPARATORS: tuple[str, ...] = (";", ",", "\t")
_SEPARATOR_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation"}

#: Spaces that may separate thousands: space, no-break space, narrow no-break.
_THOUSANDS = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d{3}(?:\D|$))")


@dataclass
class TableRecord:
    """What was found while reading a table (for summaries and provenance).

    Attributes
    ----------
    path : str
        The file read.
    encoding : str
        ``"utf-8"``, ``"utf-8-sig"`` (UTF-8 with BOM), ``"cp1252"`` or
        ``"latin-1"``; ``"excel"`` for a spreadsheet.
    separator : str or None
        The field separator (``None`` for a spreadsheet).
    decimal_comma : bool
        Whether some numbers were written with a decimal comma.
    header_line : int
        1-based line (or spreadsheet row) of the header.
    text_columns : list of str
        Columns kept as text (codes, labels).
    numeric_columns : list of str
        Columns converted to float.
    masked_cells : dict
        Number of masked cells per numeric column (only columns with some).
    dropped_columns : list of str
        Columns left out (unnamed index columns written by a previous tool).
    blank_rows : int
        Rows left out because every cell was blank (trailing ``;;;`` lines).
    sheet : str or None
        The spreadsheet sheet read, if any.
    """

    path: str
    encoding: str
    separator: str | None
    decimal_comma: bool = False
    header_line: int = 1
    text_columns: list[str] = field(default_factory=list)
    numeric_columns: list[str] = field(default_factory=list)
    masked_cells: dict[str, int] = field(default_factory=dict)
    dropped_columns: list[str] = field(default_factory=list)
    blank_rows: int = 0
    sheet: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the record as a plain dict (for ``DataFrame.attrs``)."""
        return {
            "path": self.path,
            "encoding": self.encoding,
            "separator": self.separator,
            "decimal_comma": self.decimal_comma,
            "header_line": self.header_line,
            "text_columns": list(self.text_columns),
            "numeric_columns": list(self.numeric_columns),
            "masked_cells": dict(self.masked_cells),
            "dropped_columns": list(self.dropped_columns),
            "blank_rows": self.blank_rows,
            "sheet": self.sheet,
        }


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """Read a file's bytes, decompressing it if it is gzip-compressed.

    Raises
    ------
    SourceFormatError
        If the file starts like gzip but cannot be decompressed.
    """
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise SourceFormatError(
                f"{where(path)}archive gzip illisible ({exc}).", path=path
            ) from exc
    return raw


def decode_bytes(raw: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode a file's bytes, detecting UTF-8 (with or without BOM) or CP1252.

    Parameters
    ----------
    raw : bytes
        The file content.
    encoding : str, optional
        Force an encoding instead of detecting it.

    Returns
    -------
    text : str
        The decoded text, without BOM.
    encoding : str
        ``"utf-8-sig"``, ``"utf-8"``, ``"cp1252"`` or ``"latin-1"`` (or the
        forced one).

    Notes
    -----
    Valid UTF-8 is almost never produced by chance from accented Latin-1 text,
    so a file that decodes as UTF-8 is taken as UTF-8. Otherwise Windows-1252
    (a superset of Latin-1 for printable characters, used by Excel on Windows)
    is tried, then Latin-1, which decodes any byte.
    """
    if encoding is not None:
        return raw.decode(encoding), encoding
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _count_outside_quotes(line: str, sep: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == sep and not quoted:
            count += 1
    return count


def sniff_separator(header: str) -> str:
    r"""Guess the field separator from the header line.

    Parameters
    ----------
    header : str
        The first line of the file.

    Returns
    -------
    str
        ``";"``, ``","`` or ``"\t"``: the one that splits the header into the
        most fields (outside quotes); ``";"`` wins ties, as in French files.
        A one-column file gives ``";"``.
    """
    counts = {sep: _count_outside_quotes(header, sep) for sep in SEPARATORS}
    return max(SEPARATORS, key=lambda sep: counts[sep])


def find_column(columns: Iterable[str], candidates: Sequence[str]) -> str | None:
    """Return the first column matching one of ``candidates``, ignoring case.

    Parameters
    ----------
    columns : iterable of str
        The columns of a table.
    candidates : sequence of str
        Names to look for, by priority.

    Returns
    -------
    str or None
        The column as spelled in the table.
    """
    by_upper = {str(col).strip().upper(): col for col in columns}
    for candidate in candidates:
        found = by_upper.get(candidate.upper())
        if found is not None:
            return found
    return None


def read_text_table(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    separator: str | None = None,
) -> tuple[pd.DataFrame, TableRecord]:
    """Read a delimited text file with every cell as text.

    Parameters
    ----------
    path : path-like
        A ``.csv``/``.txt`` file, optionally gzip-compressed.
    encoding : str, optional
        Force the encoding (default: detected, see :func:`decode_bytes`).
    separator : str, optional
        Force the separator (default: sniffed, see :func:`sniff_separator`).

    Returns
    -------
    frame : pandas.DataFrame
        Every column of dtype ``object`` holding ``str`` (blank cells are
        ``""``, never NaN). Columns without a name (an index written by a
        previous tool) and rows whose cells are all blank are left out and
        counted in the record. The index keeps the position of each row in
        the file (line = index + 2).
    record : TableRecord
        Encoding, separator and dropped columns.

    Raises
    ------
    SourceFormatError
        If the file is empty, has a header but no data line, or rows of
        inconsistent length.
    """
    raw = read_bytes(path)
    text, used_encoding = decode_bytes(raw, encoding)
    stripped = text.strip()
    if not stripped:
        raise SourceFormatError(
            f"{where(path)}le fichier est vide (aucune ligne d'en-tête).",
            path=path,
        )
    header = stripped.splitlines()[0]
    sep = separator or sniff_separator(header)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            quoting=csv.QUOTE_MINIMAL,
            skip_blank_lines=True,
        )
    except pd.errors.ParserError as exc:
        raise SourceFormatError(
            f"{where(path)}lignes de longueurs inégales avec le séparateur "
            f"« {_SEPARATOR_NAMES.get(sep, sep)} » ({exc}).",
            path=path,
            separator=sep,
        ) from exc
    record = TableRecord(path=os.fspath(path), encoding=used_encoding, separator=sep)
    unnamed = [
        col
        for col in frame.columns
        if str(col).startswith("Unnamed: ") or str(col).strip() == ""
    ]
    if unnamed:
        frame = frame.drop(columns=unnamed)
        record.dropped_columns = [str(col) for col in unnamed]
    frame.columns = [str(col).strip() for col in frame.columns]
    blank = (frame.apply(lambda col: col.str.strip()) == "").all(axis=1)
    if blank.any():
        frame = frame.loc[~blank]
        record.blank_rows = int(blank.sum())
    if frame.empty:
        raise SourceFormatError(
            f"{where(path)}le fichier ne contient qu'une ligne d'en-tête "
            f"({len(frame.columns)} colonnes) et aucune ligne de données.",
            path=path,
            columns=list(frame.columns),
        )
    return frame, record


def _normalise_numbers(values: pd.Series) -> tuple[pd.Series, bool]:
    """Remove thousands separators and turn decimal commas into points."""
    text = values.str.replace(_THOUSANDS, "", regex=True)
    has_comma = text.str.contains(",", regex=False)
    decimal_comma = bool(has_comma.any())
    if decimal_comma:
        text = text.str.replace(",", ".", regex=False)
    return text, decimal_comma


def convert_table(
    frame: pd.DataFrame,
    record: TableRecord,
    *,
    text_columns: Collection[str] = (),
    numeric_columns: Collection[str] | None = None,
    secret_markers: Collection[str] = DEFAULT_SECRET_MARKERS,
    first_row: int = 2,
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
        column such as ``LIBCOM``), in which case it is kept as text.
    secret_markers : collection of str, default DEFAULT_SECRET_MARKERS
        Cell contents that mean "masked", compared case-insensitively after
        stripping spaces.
    first_row : int, default 2
        File line (or spreadsheet row) of the row whose index label is 0: the
        line of a row is ``index + first_row`` (the index must hold the
        0-based positions of the rows in the file, as
        :func:`read_text_table` returns them).

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

    Notes
    -----
    Numbers are parsed after removing thousands separators (space, no-break
    space, narrow no-break space between digit groups) and replacing a
    decimal comma by a point. Nothing is coerced silently: a masked cell
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
        numbers = pd.to_numeric(cleaned.where(~masked), errors="coerce")
        bad = numbers.isna() & ~masked
        comma = False
        if bad.any():
            # slow path only for the cells plain parsing did not read.
            normalised, comma = _normalise_numbers(cleaned[bad])
            numbers[bad] = pd.to_numeric(normalised, errors="coerce")
            bad = numbers.isna() & ~masked
        if not forced and bad.any() and not (~bad & ~masked).any():
            # not a single number: a label column.
            out[col] = values
            record.text_columns.append(col)
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
        out[col] = numbers.astype("float64")
        record.numeric_columns.append(col)
        record.decimal_comma = record.decimal_comma or comma
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
        See :func:`convert_table`.
    encoding, separator : str, optional
        See :func:`read_text_table`.

    Returns
    -------
    frame : pandas.DataFrame
        As returned by :func:`convert_table`.
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
    converted = convert_table(
        frame,
        record,
        text_columns=text_columns,
        numeric_columns=numeric_columns,
        secret_markers=secret_markers,
    )
    return converted, record
