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

* :func:`read_text_table` (this module) decodes and splits the file into a
  frame of ``str`` (decoding in :mod:`territobs.io.decode`);
* :func:`territobs.io.values.convert_cells` turns the variable columns into
  floats and adds the ``"{column}__secret"`` flags.
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from territobs.errors import (
    MissingValuesWarning,
    SourceFormatError,
    format_codes,
    where,
)
from territobs.formatting import count_of
from territobs.io.decode import (
    decode_bytes,
    read_bytes,
    require_file,
    sniff_separator,
)

__all__ = ["TableRecord", "check_unique_names", "read_spreadsheet", "read_text_table"]


_SEPARATOR_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation"}


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
    notes : list of str
        What the reader tolerated and how (French), e.g. a trailing separator
        dropped at the end of every data line.
    units : dict
        Unit written after the numbers of a column (``"%"``, ``"€"``),
        stripped before parsing, per numeric column that had one.
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
    notes: list[str] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)

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
            "notes": list(self.notes),
            "units": dict(self.units),
        }


@dataclass
class _Layout:
    """Where each record of a delimited text starts and how many fields it has.

    Only the records pandas reads are listed (lines holding nothing but
    spaces are skipped, as ``skip_blank_lines`` does); the first is the
    header.
    """

    #: 1-based file line where each record starts.
    lines: np.ndarray
    #: Number of fields of each record.
    counts: np.ndarray
    #: Number of empty (blank) fields at the end of each record; equal to the
    #: count when every field is blank.
    trailing: np.ndarray


_SPACES = b" \t\r\n\x0b\x0c"


def _layout_plain(text: str, sep: str) -> _Layout:
    """Vectorised layout of a text without quotes (one record per line)."""
    data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    newline = ord("\n") if "\n" in text else ord("\r")
    ends = np.flatnonzero(data == newline)
    starts = np.concatenate(([0], ends + 1))
    ends = np.concatenate((ends, [len(data)]))
    seps = np.flatnonzero(data == ord(sep))
    spaces = np.isin(data, np.frombuffer(_SPACES, dtype=np.uint8))
    content = ~spaces & (data != ord(sep))
    # position of the last content byte at or before each byte (-1: none)
    last = np.where(content, np.arange(len(data)), -1)
    last = np.maximum.accumulate(last) if len(last) else last
    last_in_line = np.where(ends > 0, last[np.maximum(ends - 1, 0)], -1)
    has_content = last_in_line >= starts
    n_seps = np.searchsorted(seps, ends) - np.searchsorted(seps, starts)
    counts = n_seps + 1
    after = np.where(has_content, last_in_line + 1, starts)
    trailing = np.searchsorted(seps, ends) - np.searchsorted(seps, after)
    trailing = np.where(has_content, trailing, counts)
    kept = has_content | (n_seps > 0)
    lines = np.arange(1, len(starts) + 1)
    return _Layout(lines[kept], counts[kept], trailing[kept])


def _layout_quoted(text: str, sep: str) -> _Layout:
    """Layout of a text with quoted fields (which may span several lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=False)
    lines: list[int] = []
    counts: list[int] = []
    trailing: list[int] = []
    previous = 0
    for row in reader:
        start, previous = previous + 1, reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        n_blank = 0
        for value in reversed(row):
            if value.strip():
                break
            n_blank += 1
        lines.append(start)
        counts.append(len(row))
        trailing.append(n_blank)
    return _Layout(np.array(lines), np.array(counts), np.array(trailing))


def _lines_text(lines: np.ndarray, shown: int = 5) -> str:
    """``"2, 3, 7 et 12 autres"``: the first file lines of a list."""
    head = ", ".join(str(int(line)) for line in lines[:shown])
    rest = len(lines) - shown
    return head + (f" et {count_of(rest, 'autre')}" if rest > 0 else "")


def _fields_text(counts: np.ndarray) -> str:
    """``"3 champs"`` or ``"1 ou 2 champs"``: the field counts found."""
    found = sorted({int(c) for c in counts})
    head = ", ".join(str(c) for c in found[:-1])
    last = found[-1]
    text = f"{head} ou {last}" if head else str(last)
    return f"{text} {'champ' if last < 2 else 'champs'}"


def _check_layout(
    path: str | os.PathLike[str], sep: str, layout: _Layout, record: TableRecord
) -> np.ndarray:
    """Check every data record has the header's number of fields.

    Returns the file line of each data record. A separator at the end of
    every data line (not of the header) is tolerated and noted in
    ``record``; anything else that would shift or pad columns is an error.
    """
    name = _SEPARATOR_NAMES.get(sep, sep)
    expected = int(layout.counts[0])
    header = (
        f"l'en-tête (ligne {int(layout.lines[0])}) a "
        f"{count_of(expected, 'colonne')} avec le séparateur « {name} »"
    )
    header_blank = int(layout.trailing[0])
    lines, counts, trailing = layout.lines[1:], layout.counts[1:], layout.trailing[1:]
    # rows whose every cell is blank (";;;") are dropped later: nothing to shift.
    filled = trailing < counts
    extra = counts - expected
    long = filled & (extra > 0)
    if long.any():
        excess = np.unique(extra[filled])
        dangling = (
            header_blank == 0
            and len(excess) == 1
            and bool((trailing[filled] >= excess[0]).all())
        )
        if not dangling:
            bad = lines[long]
            msg = (
                f"{where(path)}{header}, mais "
                f"{count_of(len(bad), 'ligne en a', 'lignes en ont')} plus "
                f"({_fields_text(counts[long])}) : "
                f"{'ligne' if len(bad) == 1 else 'lignes'} {_lines_text(bad)}. "
                "Lues ainsi, les colonnes seraient décalées."
            )
            if sep == ",":
                msg += (
                    " Dans un fichier séparé par des virgules, les nombres à "
                    'virgule décimale doivent être entre guillemets ("22,5").'
                )
            if expected == 1:
                msg += (
                    " La première ligne n'est peut-être pas l'en-tête : retirez les "
                    "lignes de titre au-dessus du tableau."
                )
            raise SourceFormatError(
                msg,
                path=path,
                row=int(bad[0]),
                rows=[int(b) for b in bad],
                expected=expected,
                found=sorted({int(c) for c in counts[long]}),
                separator=sep,
            )
        dropped = count_of(int(excess[0]), "champ vide retiré", "champs vides retirés")
        record.notes.append(
            f"séparateur « {name} » en fin de chaque ligne de données (pas de "
            f"l'en-tête) : {dropped} par ligne."
        )
    short = filled & (counts < expected - header_blank)
    if short.any():
        bad = lines[short]
        raise SourceFormatError(
            f"{where(path)}{header}, mais "
            f"{count_of(len(bad), 'ligne en a', 'lignes en ont')} moins "
            f"({_fields_text(counts[short])}) : "
            f"{'ligne' if len(bad) == 1 else 'lignes'} {_lines_text(bad)}. Une "
            "ligne incomplète (fichier tronqué, champ manquant) n'est pas du "
            "secret statistique : corrigez le fichier.",
            path=path,
            row=int(bad[0]),
            rows=[int(b) for b in bad],
            expected=expected,
            found=sorted({int(c) for c in counts[short]}),
            separator=sep,
        )
    return lines


def check_unique_names(
    path: str | os.PathLike[str], names: Iterable[object], *, line: int | None = None
) -> None:
    """Raise if a header names two columns alike (pandas would rename one).

    Parameters
    ----------
    path : path-like
        The file, for the message.
    names : iterable
        The header cells; blank ones (unnamed columns) are ignored.
    line : int, optional
        The header's line (or spreadsheet row).

    Raises
    ------
    SourceFormatError
        Naming the duplicated columns (``error.codes``).
    """
    seen: dict[str, str] = {}
    duplicated: list[str] = []
    by_case: list[str] = []
    for name in names:
        text = str(name).strip()
        if not text:
            continue
        key = text.casefold()
        if key in seen:
            if seen[key] != text:
                by_case.append(f"{seen[key]} » et « {text}")
            elif text not in duplicated:
                duplicated.append(text)
        else:
            seen[key] = text
    if duplicated:
        raise SourceFormatError(
            f"{where(path, row=line)}"
            + (
                f"colonne {format_codes(duplicated)} présente deux fois"
                if len(duplicated) == 1
                else f"colonnes {format_codes(duplicated)} présentes deux fois"
            )
            + " dans l'en-tête : renommez l'une des deux pour dire laquelle lire.",
            path=path,
            row=line,
            codes=duplicated,
        )
    if by_case:
        raise SourceFormatError(
            f"{where(path, row=line)}colonnes {format_codes(by_case)} : l'en-tête "
            "a deux colonnes dont les noms ne diffèrent que par la casse (par "
            "exemple NB_Allocataires et NB_allocataires dans un export CAF) ; "
            "elles seraient confondues. Renommez ou supprimez l'une des deux.",
            path=path,
            row=line,
            codes=by_case,
        )


def _check_header_names(path: str | os.PathLike[str], text: str, sep: str) -> None:
    """Check the names of the header record (the first non-blank one)."""
    if len(sep) != 1:
        return
    for line, row in enumerate(
        csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    ):
        if row and any(cell.strip() for cell in row):
            check_unique_names(path, row, line=line + 1)
            return


def read_spreadsheet(
    path: str | os.PathLike[str], sheet: str | int | None = None, **options: Any
) -> Any:
    """Read spreadsheet sheets with :func:`pandas.read_excel`, errors in French.

    Parameters
    ----------
    path : path-like
        An ``.xlsx``, ``.xlsm``, ``.xls`` or ``.ods`` file.
    sheet : str or int, optional
        The sheet (``None``: every sheet, as a dict).
    **options
        Passed to :func:`pandas.read_excel`.

    Returns
    -------
    pandas.DataFrame or dict of pandas.DataFrame

    Raises
    ------
    SourceFormatError
        A corrupt or misnamed file, a missing sheet, or a format whose reader
        is not installed (``.xls`` needs ``python-calamine``); the original
        error is kept as ``__cause__``.
    """
    require_file(path)
    try:
        return pd.read_excel(path, sheet_name=sheet, **options)
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except ImportError as exc:
        raise SourceFormatError(
            f"{where(path)}ce format de classeur ({Path(path).suffix}) demande un "
            "module non installé : installez python-calamine (pip install "
            "python-calamine), ou réenregistrez le fichier en .xlsx ou en CSV.",
            path=path,
        ) from exc
    except (ValueError, KeyError, IndexError) as exc:
        text = str(exc).lower()
        if sheet is not None and ("not found" in text or "invalid" in text):
            raise SourceFormatError(
                f"{where(path)}feuille « {sheet} » absente du classeur.",
                path=path,
                sheet=sheet,
            ) from exc
        raise SourceFormatError(
            f"{where(path)}classeur illisible : fichier endommagé ou qui n'est pas "
            f"un classeur de ce format ({type(exc).__name__} : {exc}).",
            path=path,
            sheet=sheet,
        ) from exc
    except Exception as exc:  # zipfile.BadZipFile, openpyxl and xlrd errors...
        raise SourceFormatError(
            f"{where(path)}classeur illisible : fichier endommagé ou qui n'est pas "
            f"un classeur de ce format ({type(exc).__name__} : {exc}).",
            path=path,
            sheet=sheet,
        ) from exc


def read_text_table(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    separator: str | None = None,
    header_marker: str | None = None,
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
    header_marker : str, optional
        A column name the header holds (``"CODGEO"``): title lines above the
        first line containing it (within the first 30) are skipped, as in
        spreadsheets saved as CSV. Line numbers stay those of the file.

    Returns
    -------
    frame : pandas.DataFrame
        Every column of dtype ``object`` holding ``str`` (blank cells are
        ``""``, never NaN). Columns without a name (an index written by a
        previous tool) and rows whose cells are all blank are left out and
        counted in the record. The index keeps the position of each row in
        the file: ``index + 2`` is the line where the row starts, even after
        blank lines or quoted fields spanning several lines.
    record : TableRecord
        Encoding, separator and dropped columns.

    Raises
    ------
    SourceFormatError
        If the file is empty, has a header but no data line, or rows with
        more or fewer fields than the header (the message names the first
        lines and the counts; ``error.rows`` lists them all). A separator at
        the end of every data line but not of the header is the one
        tolerated difference: the empty last fields are dropped and
        ``record.notes`` says so.
    """
    raw = read_bytes(path)
    text, used_encoding = decode_bytes(raw, encoding, path=path)
    if header_marker is not None:
        text = _blank_title_lines(text, header_marker)
    stripped = text.strip()
    if not stripped:
        raise SourceFormatError(
            f"{where(path)}le fichier est vide (aucune ligne d'en-tête).",
            path=path,
        )
    header = stripped.splitlines()[0]
    sep = separator or sniff_separator(header)
    record = TableRecord(path=os.fspath(path), encoding=used_encoding, separator=sep)
    lines = None
    if len(sep) == 1:
        plain = '"' not in text and ord(sep) < 128
        layout = _layout_plain(text, sep) if plain else _layout_quoted(text, sep)
        lines = _check_layout(path, sep, layout, record)
        record.header_line = int(layout.lines[0])
    try:
        with warnings.catch_warnings():
            # a separator ending every data line, checked and noted above
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                quoting=csv.QUOTE_MINIMAL,
                skip_blank_lines=True,
                index_col=False,
            )
    except pd.errors.ParserError as exc:
        raise SourceFormatError(
            f"{where(path)}lignes de longueurs inégales avec le séparateur "
            f"« {_SEPARATOR_NAMES.get(sep, sep)} » ({exc}).",
            path=path,
            separator=sep,
        ) from exc
    _check_header_names(path, text, sep)
    if lines is not None and len(lines) == len(frame):
        # label = file line - 2, so that line = index + 2 even after blank or
        # multi-line records
        frame.index = pd.Index(lines - 2)
    unnamed = [
        col
        for col in frame.columns
        if str(col).startswith("Unnamed: ") or str(col).strip() == ""
    ]
    if unnamed:
        _warn_unnamed_with_data(frame, unnamed, path)
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


def _blank_title_lines(text: str, marker: str) -> str:
    """Empty the lines above the first one holding ``marker`` (keeps numbering)."""
    lines = text.split("\n")
    wanted = marker.upper()
    first = next(
        (i for i, line in enumerate(lines[:31]) if wanted in line.upper()), None
    )
    if not first:
        return text
    return "\n" * first + "\n".join(lines[first:])


def _warn_unnamed_with_data(
    frame: pd.DataFrame, unnamed: list[Any], path: str | os.PathLike[str]
) -> None:
    """Warn about columns without a header that hold data (they are dropped).

    A first column of increasing non-negative integers (an index written by
    a previous tool, possibly of a filtered table) is dropped silently.
    """
    positions = {col: i for i, col in enumerate(frame.columns)}
    for col in unnamed:
        values = frame[col].str.strip()
        filled = values[values != ""]
        if filled.empty:
            continue
        position = positions[col]
        if position == 0 and filled.size == len(frame):
            counter = pd.to_numeric(filled, errors="coerce").to_numpy(float)
            if (
                np.isfinite(counter).all()
                and (counter >= 0).all()
                and (counter == np.round(counter)).all()
                and (np.diff(counter) > 0).all()
            ):
                continue
        sample = ", ".join(f"« {v} »" for v in filled.head(3))
        warnings.warn(
            MissingValuesWarning(
                f"{where(path)}la colonne n° {position + 1} n'a pas de nom dans "
                f"l'en-tête et n'est pas lue, alors qu'elle contient "
                f"{count_of(int(filled.size), 'valeur')} ({sample}). Donnez-lui un "
                "nom dans l'en-tête pour la garder.",
                path=path,
                column=str(col),
            ),
            stacklevel=4,
        )
