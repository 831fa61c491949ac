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
import difflib
import gzip
import io
import os
import re
import warnings
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from territobs.errors import (
    MissingValuesWarning,
    PlausibilityWarning,
    SourceFormatError,
    SourceNotFoundError,
    format_codes,
    where,
)
from territobs.formatting import count_of

__all__ = [
    "DEFAULT_SECRET_MARKERS",
    "TableRecord",
    "check_unique_names",
    "convert_table",
    "decode_bytes",
    "find_column",
    "read_bytes",
    "read_csv_table",
    "read_spreadsheet",
    "read_text_table",
    "require_file",
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
#: A unit written after a number: ``43,0 %``, ``14 500 €``.
_UNIT = r"^(.*\d)[ \u00a0\u202f]*([%€])$"


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


def require_file(path: str | os.PathLike[str], *, folder_ok: bool = False) -> Path:
    """Return ``path`` as a Path; raise a French error if it is not a readable file.

    Parameters
    ----------
    path : path-like
        The input.
    folder_ok : bool, default False
        Accept a folder (a folder of shapefiles).

    Raises
    ------
    SourceNotFoundError
        If nothing exists there (also a ``FileNotFoundError``).
    SourceFormatError
        If it is a folder.
    """
    file = Path(path)
    if not file.exists():
        folder = file.parent if str(file.parent) else Path(".")
        near = ""
        if folder.is_dir():
            close = difflib.get_close_matches(
                file.name, [p.name for p in folder.iterdir()], n=3
            )
            if close:
                near = f" Fichiers proches : {format_codes(close)}."
        raise SourceNotFoundError(
            f"{where(path)}fichier introuvable. Vérifiez le chemin.{near}",
            path=path,
        )
    if file.is_dir() and not folder_ok:
        raise SourceFormatError(
            f"{where(path)}c'est un dossier, pas un fichier.", path=path
        )
    return file


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """Read a file's bytes, decompressing it if it is gzip-compressed.

    Raises
    ------
    SourceFormatError
        If the file starts like gzip but cannot be decompressed.
    """
    raw = require_file(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise SourceFormatError(
                f"{where(path)}archive gzip illisible ({exc}).", path=path
            ) from exc
    return raw


def _looks_utf16(raw: bytes) -> bool:
    """Tell a UTF-16 file: a byte order mark, or NUL on every other byte."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    head = raw[:400]
    if len(head) < 8:
        return False
    even, odd = head[0::2], head[1::2]
    return max(even.count(0) / len(even), odd.count(0) / len(odd)) > 0.6


def _decode_utf16(raw: bytes, path: str | os.PathLike[str] | None) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = "utf-16"
    else:
        codec = "utf-16-le" if raw[1:2] == b"\x00" else "utf-16-be"
    try:
        return raw.decode(codec).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise _decode_error(raw, codec, exc, path) from exc


def _decode_mixed(raw: bytes, path: str | os.PathLike[str] | None) -> str | None:
    """Decode line by line a UTF-8 file with some Windows-1252 lines, warning.

    Returns ``None`` when no line has accented UTF-8 (a plain CP1252 file).
    """
    lines = raw.split(b"\n")
    utf8, cp1252 = 0, []
    decoded = []
    for number, line in enumerate(lines, start=1):
        try:
            text = line.decode("utf-8")
            utf8 += not line.isascii()
        except UnicodeDecodeError:
            text = line.decode("cp1252", errors="replace")
            cp1252.append(number)
        decoded.append(text)
    if not utf8:
        return None
    warnings.warn(
        PlausibilityWarning(
            f"{where(path)}encodages mêlés : le fichier est en UTF-8 mais "
            f"{count_of(len(cp1252), 'ligne')} en Windows-1252 (ligne"
            f"{'s' if len(cp1252) > 1 else ''} {', '.join(map(str, cp1252[:10]))}"
            f"{' …' if len(cp1252) > 10 else ''}), décodée"
            f"{'s' if len(cp1252) > 1 else ''} ligne par ligne. Vérifiez leurs "
            "accents et réenregistrez le fichier en UTF-8.",
            path=os.fspath(path) if path is not None else None,
            rows=cp1252,
        ),
        stacklevel=4,
    )
    return "\n".join(decoded)


def _decode_error(
    raw: bytes,
    encoding: str,
    exc: UnicodeDecodeError,
    path: str | os.PathLike[str] | None,
    *,
    offset: int = 0,
    bom: bool = False,
) -> SourceFormatError:
    """French error for bytes that ``encoding`` cannot decode."""
    position = exc.start + offset
    line = raw[:position].count(b"\n") + 1
    byte = raw[position : position + 1].hex().upper()
    what = (
        "le fichier commence par la marque UTF-8 (BOM) mais la suite n'est pas en UTF-8"
        if bom
        else "le fichier n'est pas dans cet encodage"
    )
    other = "'cp1252' (Excel sous Windows)" if "utf" in encoding.lower() else "'utf-8'"
    return SourceFormatError(
        f"{where(path, row=line)}octet 0x{byte} illisible avec l'encodage "
        f"« {encoding} » : {what}. Essayez encoding={other}, ou réenregistrez le "
        "fichier en UTF-8.",
        path=path,
        row=line,
        encoding=encoding,
    )


def decode_bytes(
    raw: bytes,
    encoding: str | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
) -> tuple[str, str]:
    """Decode a file's bytes, detecting UTF-8 (with or without BOM) or CP1252.

    Parameters
    ----------
    raw : bytes
        The file content.
    encoding : str, optional
        Force an encoding instead of detecting it. A UTF-8 byte order mark
        is left out whatever the encoding.
    path : path-like, optional
        The file, named in error messages.

    Returns
    -------
    text : str
        The decoded text, without BOM.
    encoding : str
        ``"utf-8-sig"``, ``"utf-8"``, ``"cp1252"`` or ``"latin-1"`` (or the
        forced one).

    Raises
    ------
    SourceFormatError
        An unknown forced encoding, bytes the forced encoding cannot decode,
        or a file starting with a UTF-8 byte order mark whose content is not
        UTF-8 (the message names the line and suggests an encoding).

    Notes
    -----
    Valid UTF-8 is almost never produced by chance from accented Latin-1 text,
    so a file that decodes as UTF-8 is taken as UTF-8. Otherwise Windows-1252
    (a superset of Latin-1 for printable characters, used by Excel on Windows)
    is tried, then Latin-1, which decodes any byte.

    Examples
    --------
    >>> decode_bytes("Ambérieu".encode("cp1252"))
    ('Ambérieu', 'cp1252')
    """
    bom = raw.startswith(codecs.BOM_UTF8)
    if encoding is None and _looks_utf16(raw):
        return _decode_utf16(raw, path), "utf-16"
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise SourceFormatError(
                f"{where(path)}encodage « {encoding} » inconnu (essayez 'utf-8' ou "
                "'cp1252').",
                path=path,
                encoding=encoding,
            ) from exc
        skip = len(codecs.BOM_UTF8) if bom else 0
        try:
            return raw[skip:].decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise _decode_error(raw, encoding, exc, path, offset=skip) from exc
    if bom:
        skip = len(codecs.BOM_UTF8)
        try:
            return raw[skip:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _decode_error(raw, "utf-8", exc, path, offset=skip, bom=True) from exc
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    mixed = _decode_mixed(raw, path)
    if mixed is not None:
        return mixed, "utf-8+cp1252"
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


def convert_table(
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
