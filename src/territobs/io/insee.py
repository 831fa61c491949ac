"""Read INSEE indicator tables (CSV and Excel) into the indicator-table contract.

INSEE publishes its local data as CSV (``;`` or ``,``, UTF-8 or Windows-1252)
keyed by ``CODGEO`` (communes, EPCI... in the *base comparateur*), ``IRIS``
(infra-communal bases), ``COM``/``DEPCOM``, and as Excel workbooks whose
table starts below a few title rows. :func:`read_insee` reads both and returns
one table: ``code``, ``level``, the descriptive columns as text, the
variables as floats, and a ``"{variable}__secret"`` flag for every variable
that had masked cells.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from territobs.codes import (
    PLM_COMMUNES,
    Level,
    departement_or_region,
    level_of,
    normalize_codes,
)
from territobs.errors import CodeError, SourceFormatError, format_codes, where
from territobs.formatting import count_of
from territobs.io._plausible import (
    CENSUS_COUNT,
    POVERTY_RATE,
    check_values,
    drop_footnotes,
)
from territobs.io._xlsx import check_blank_cells
from territobs.io.decode import find_column
from territobs.io.text import (
    TableRecord,
    check_unique_names,
    read_spreadsheet,
    read_text_table,
)
from territobs.io.values import DEFAULT_SECRET_MARKERS, convert_cells
from territobs.schema import most_frequent_vintage

__all__ = ["INSEE_KEYS", "guess_vintage", "read_insee", "row_levels"]

#: Every Paris, Lyon and Marseille municipal arrondissement code.
ARRONDISSEMENTS: frozenset[str] = frozenset(
    f"{code:05d}"
    for low, high in PLM_COMMUNES.values()
    for code in range(int(low), int(high) + 1)
)


def row_levels(codes: pd.Series, level: str) -> np.ndarray:
    """Return the level of each row: ``"arrondissement"`` on PLM rows of a commune table.

    Parameters
    ----------
    codes : pandas.Series of str
        Validated codes.
    level : str
        The table's level.

    Returns
    -------
    numpy.ndarray of str

    Examples
    --------
    >>> row_levels(pd.Series(["75056", "75101"]), "commune").tolist()
    ['commune', 'arrondissement']
    """
    if level != "commune":
        return np.full(len(codes), level, dtype=object)
    return np.where(codes.isin(ARRONDISSEMENTS), "arrondissement", "commune").astype(
        object
    )


#: Key columns recognised, by priority, with the level they imply
#: (``None``: guessed from the codes).
INSEE_KEYS: dict[str, str | None] = {
    "CODGEO": None,
    "IRIS": "iris",
    "CODE_IRIS": "iris",
    "DEPCOM": "commune",
    "COM": "commune",
    "CODE_COM": "commune",
    "INSEE_COM": "commune",
}

#: Descriptive columns of INSEE files, kept as text (never parsed as numbers,
#: so ``UU2010 = "00851"`` keeps its zeros).
INSEE_TEXT_COLUMNS: frozenset[str] = frozenset(
    {
        "CODGEO",
        "LIBGEO",
        "IRIS",
        "CODE_IRIS",
        "LIBIRIS",
        "NOM_IRIS",
        "TYP_IRIS",
        "MODIF_IRIS",
        "LAB_IRIS",
        "TRIRIS",
        "GRD_QUART",
        "COM",
        "DEPCOM",
        "CODE_COM",
        "INSEE_COM",
        "LIBCOM",
        "REG",
        "LIBREG",
        "DEP",
        "LIBDEP",
        "ARR",
        "CV",
        "CANOV",
        "CTCD",
        "EPCI",
        "LIBEPCI",
        "NATURE_EPCI",
        "EPT",
        "UU2010",
        "UU2020",
        "ZE2010",
        "ZE2020",
        "AU2010",
        "AAV2020",
        "BV2012",
        "BV2022",
        "CATEAAV2020",
        "TAAV2017",
        "TUU2017",
    }
)

#: Names of code columns (``CODE_DEPT``, ``COM_ANC``, ``DEP``, ``IRIS_2015``,
#: ``DCOMIRIS``...), kept as text so that ``"01"`` never becomes ``1.0``.
_CODE_NAME = re.compile(
    r"^COD|^(?:COM|DEP|REG|EPCI|IRIS|DCOMIRIS|DCIRIS|INSEE)(?:$|[_\d])|_CODE$"
)

_XLS_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
#: Spreadsheet rows searched for the header (INSEE puts 4-6 title rows above).
_HEADER_SEARCH_ROWS = 30

# Variable names carrying their vintage: census P16_/C16_, Filosofi DISP_MED15,
# MED21, TP6021, Q121, D121, GI21, PPEN21, NBMENFISC21...
_CENSUS = re.compile(r"^[PC](\d{2})_")
_FILOSOFI = re.compile(
    r"^(?:DISP_|DEC_|DISP|DEC)?(?:NBMENFISC|NBPERSMENFISC|NBUC|PMIMP|MED|TP60|TP50|"
    r"TP40|TP70|Q1|Q3|D1|D2|D3|D4|D6|D7|D8|D9|RD|S80S20|GI|EQ|PACT|PTSA|PCHO|PBEN|"
    r"PPEN|PPAT|PPSOC|PPFAM|PPMINI|PPLOGT|PIMPOT|NOTE|TP60AGE\d|TP60TOL\d)(\d{2})$"
)


def is_variable_name(name: str) -> bool:
    """Tell whether a column name is an INSEE variable carrying its vintage.

    Parameters
    ----------
    name : str
        A column name.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_variable_name("P21_POP"), is_variable_name("MED21"), is_variable_name("LIBGEO")
    (True, True, False)
    """
    upper = str(name).upper()
    return bool(_CENSUS.match(upper) or _FILOSOFI.match(upper))


def guess_vintage(columns: Sequence[str]) -> int | None:
    """Guess a table's vintage from the years written in its variable names.

    Parameters
    ----------
    columns : sequence of str
        Variable names (``P16_POP``, ``C16_ACT1564``, ``DISP_MED15``,
        ``MED21``, ``TP6021``...).

    Returns
    -------
    int or None
        The most frequent year (``2000 + yy``), the latest one on a tie;
        ``None`` when no name carries a year.

    Examples
    --------
    >>> guess_vintage(["IRIS", "P16_POP0014", "C16_POP15P_CS1"])
    2016
    >>> guess_vintage(["CODGEO", "MED21", "TP6021"]), guess_vintage(["CODGEO"])
    (2021, None)
    """
    years = []
    for col in columns:
        name = str(col).upper()
        match = _CENSUS.match(name) or _FILOSOFI.match(name)
        if match:
            years.append(2000 + int(match.group(1)))
    return most_frequent_vintage(years)


def _check_blank_cells(
    path: str | os.PathLike[str],
    sheet: str | int,
    raw: pd.DataFrame,
    header: int,
    cells: list[str],
) -> None:
    """Refuse blank data cells that are uncomputed formulas or merged cells."""
    named = np.array([c != "" for c in cells])
    empty = np.char.strip(raw.iloc[header + 1 :].to_numpy(dtype=str)) == ""
    if not named.any() or not empty.any():
        return
    row_blank = empty[:, named].all(axis=1)
    rows, columns = np.nonzero(empty & named[None, :] & ~row_blank[:, None])
    positions = zip((rows + header + 2).tolist(), (columns + 1).tolist(), strict=True)
    check_blank_cells(path, sheet, positions)


def _read_spreadsheet(
    path: str | os.PathLike[str],
    sheet: str | int | None,
    candidates: Sequence[str],
) -> tuple[pd.DataFrame, TableRecord]:
    """Read an INSEE workbook sheet, finding the header row holding the key."""
    sheets = read_spreadsheet(path, sheet, header=None, dtype=str)
    if not isinstance(sheets, dict):
        sheets = {sheet: sheets}
    for name, raw in sheets.items():
        raw = raw.fillna("")
        head = raw.head(_HEADER_SEARCH_ROWS)
        for position in range(len(head)):
            cells = [str(v).strip() for v in head.iloc[position]]
            if find_column(cells, candidates) is None:
                continue
            check_unique_names(path, cells, line=position + 1)
            _check_blank_cells(path, name, raw, position, cells)
            frame = raw.iloc[position + 1 :].copy()
            frame.columns = cells
            frame = frame.loc[:, [c != "" for c in cells]]
            frame.index = pd.RangeIndex(len(frame))
            frame = frame.map(lambda v: str(v).strip())
            blank = (frame == "").all(axis=1)
            record = TableRecord(
                path=os.fspath(path),
                encoding="excel",
                separator=None,
                header_line=position + 1,
                blank_rows=int(blank.sum()),
            )
            frame = frame.loc[~blank]
            if frame.empty:
                raise SourceFormatError(
                    f"{where(path)}feuille « {name} » : en-tête trouvé ligne "
                    f"{position + 1} mais aucune ligne de données.",
                    path=path,
                    sheet=name,
                )
            record.sheet = str(name)
            return frame, record
    raise SourceFormatError(
        f"{where(path)}aucune feuille ne contient une ligne d'en-tête avec une "
        f"colonne de codes ({', '.join(candidates)}) dans ses "
        f"{_HEADER_SEARCH_ROWS} premières lignes. Feuilles : "
        f"{format_codes(list(sheets), shown=10)}. Précisez key=... ou sheet=....",
        path=path,
        sheets=list(sheets),
    )


def _level_from_codes(codes: pd.Series, path: str, column: str) -> str:
    levels: Counter[str] = Counter()
    for code in codes.drop_duplicates().head(200):
        try:
            found = level_of(str(code))
        except CodeError:
            continue
        levels["commune" if found == "arrondissement" else found] += 1
    if not levels:
        # no valid code at all (e.g. lost leading zeros): CODGEO is a commune
        # code in most INSEE files, and validation will say what is wrong.
        return "commune"
    level = levels.most_common(1)[0][0]
    if level == "departement":
        # region codes have the same shape: the column or file name may tell.
        level = departement_or_region(
            codes.astype(str), hints=[column, Path(path).stem], path=path, column=column
        )
    return level


def _check_duplicates(codes: pd.Series, path: str, key: str, first_row: int) -> None:
    duplicated = codes[codes.duplicated(keep=False)]
    if duplicated.empty:
        return
    unique = list(dict.fromkeys(duplicated.tolist()))
    rows = [int(i) + first_row for i in duplicated.index]
    raise CodeError(
        f"{where(path, key)}"
        f"{count_of(len(unique), 'code en double', 'codes en double')} : "
        f"{format_codes(unique)} (lignes {format_codes(rows)}). Un tableau "
        "d'indicateurs doit avoir une ligne par territoire.",
        path=path,
        column=key,
        row=rows[0],
        codes=unique,
        rows=rows,
    )


def read_insee(
    path: str | os.PathLike[str],
    *,
    key: str | None = None,
    level: str | None = None,
    source: str | None = None,
    vintage: int | None = None,
    columns: Collection[str] | None = None,
    sheet: str | int | None = None,
    secret_markers: Collection[str] = DEFAULT_SECRET_MARKERS,
    encoding: str | None = None,
) -> pd.DataFrame:
    r"""Read an INSEE table (CSV, gzipped CSV or Excel) into an indicator table.

    Parameters
    ----------
    path : path-like
        ``.csv``/``.txt`` (optionally ``.gz``) or ``.xlsx``/``.xls`` file.
    key : str, optional
        The column holding the geographic codes. By default the first of
        ``CODGEO``, ``IRIS``, ``CODE_IRIS``, ``DEPCOM``, ``COM``, ``CODE_COM``,
        ``INSEE_COM`` found (case-insensitive).
    level : {"commune", "arrondissement", "iris", "epci", "departement", "region"}, optional
        The level of the codes. By default implied by the key (``IRIS`` →
        iris, ``COM`` → commune) or, for ``CODGEO``, guessed from the codes.
        Two-digit codes that are all region codes (``11``, ``84``, ``93``...)
        are also département codes: the key or file name must say which
        (``REG``, ``regions-...``), else a :class:`CodeError` asks for
        ``level=``.
    source : str, optional
        Name of the source, kept in ``attrs`` (default: the file name).
    vintage : int, optional
        The data's year; guessed from the variable names when not given
        (``P16_`` → 2016, ``DISP_MED15`` → 2015, ``TP6021`` → 2021).
    columns : collection of str, optional
        Variables to keep (default: all). Descriptive text columns are kept
        anyway.
    sheet : str or int, optional
        Excel sheet; by default the first one whose header row (searched in
        the first 30 rows) holds the key.
    secret_markers : collection of str, optional
        Cell contents meaning "masked" (default: blank, ``s``, ``nd``,
        ``n.d.``, ``secret``, ``c``, ``*``, ``nc``).
    encoding : str, optional
        Force the CSV encoding (default: detected).

    Returns
    -------
    pandas.DataFrame
        ``code`` (str, validated), ``level`` (the file's level, or
        ``"arrondissement"`` on Paris/Lyon/Marseille arrondissement rows of a
        commune file), the descriptive columns as text (``LIBCOM``,
        ``TYP_IRIS``...), the variables as float (NaN where masked), and a
        bool ``"{variable}__secret"`` after each variable that had masked
        cells. ``attrs["territobs"]`` holds ``source``, ``vintage``,
        ``vintage_guessed``, ``path``, ``key``, ``encoding``, ``separator``,
        ``decimal_comma``, ``masked_cells``, ``dropped_columns``.

    Raises
    ------
    SourceFormatError
        Empty file, header only, no key column (the message lists the
        columns found), unknown ``columns``, or a non-numeric value in a
        variable (file, column, line and value named).
    CodeError
        Malformed codes (e.g. ``1001`` that lost its leading zero) or
        duplicated codes; ``error.codes`` lists them all.

    Notes
    -----
    Every cell is read as text first, so codes are never turned into numbers.
    Secrecy markers become NaN and are flagged, never 0. Unnamed columns (an
    index written by a previous tool, as in some re-published RP files) are
    left out and listed in ``attrs["territobs"]["dropped_columns"]``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "filo.csv"
    >>> _ = p.write_text("CODGEO;MED21;TP6021\n01001;23450;s\n", encoding="utf-8")
    >>> table = read_insee(p)
    >>> table[["code", "level", "MED21", "TP6021", "TP6021__secret"]].values.tolist()
    [['01001', 'commune', 23450.0, nan, True]]
    >>> table.attrs["territobs"]["vintage"]
    2021
    """
    path_str = os.fspath(path)
    candidates = [key] if key is not None else list(INSEE_KEYS)
    spreadsheet = Path(path_str).suffix.lower() in _XLS_SUFFIXES
    if spreadsheet:
        raw, record = _read_spreadsheet(path, sheet, candidates)
        first_row = record.header_line + 1
    else:
        raw, record = read_text_table(path, encoding=encoding)
        first_row = 2
    key_column = find_column(raw.columns, candidates)
    if key_column is None:
        wanted = key if key is not None else " / ".join(INSEE_KEYS)
        raise SourceFormatError(
            f"{where(path)}colonne de codes « {wanted} » introuvable. Colonnes "
            f"trouvées : {format_codes(list(raw.columns), shown=15)}. Précisez "
            "key=....",
            path=path,
            column=key,
            columns=list(raw.columns),
        )
    raw = drop_footnotes(raw, key_column, path_str, first_row)
    text_columns = {c for c in raw.columns if c.upper() in INSEE_TEXT_COLUMNS}
    text_columns |= {c for c in raw.columns if re.match(r"^(LIB|NOM)", c.upper())}
    text_columns |= {c for c in raw.columns if _CODE_NAME.search(c.upper())}
    text_columns.add(key_column)
    if columns is not None:
        missing = [c for c in columns if c not in raw.columns]
        if missing:
            raise SourceFormatError(
                f"{where(path)}"
                f"{'variable absente' if len(missing) == 1 else 'variables absentes'}"
                f" : {format_codes(missing)}. "
                f"Colonnes trouvées : {format_codes(list(raw.columns), shown=15)}.",
                path=path,
                codes=missing,
                columns=list(raw.columns),
            )
        keep = [c for c in raw.columns if c in text_columns or c in set(columns)]
        raw = raw[keep]
    table = convert_cells(
        raw,
        record,
        text_columns=text_columns,
        secret_markers=secret_markers,
        first_row=first_row,
        variables=is_variable_name,
    )
    check_values(
        table,
        path_str,
        first_row,
        counts=[c for c in record.numeric_columns if CENSUS_COUNT.match(c)],
        rates=[c for c in record.numeric_columns if POVERTY_RATE.search(c)],
    )
    if level is None:
        level = INSEE_KEYS.get(key_column.upper()) or _level_from_codes(
            table[key_column], path_str, key_column
        )
    codes = normalize_codes(
        table[key_column],
        cast("Level", level),  # checked by normalize_codes
        path=path_str,
        column=key_column,
        lines=[int(i) + first_row for i in table.index],
    )
    _check_duplicates(codes, path_str, key_column, first_row)
    levels = row_levels(codes, level)
    table = table.drop(columns=[key_column])
    table.insert(0, "code", codes.astype(str).to_numpy())
    table.insert(1, "level", levels)
    table = table.reset_index(drop=True)
    guessed = vintage is None
    if guessed:
        vintage = guess_vintage(record.numeric_columns)
    table.attrs["territobs"] = {
        "source": source or Path(path_str).name,
        "vintage": vintage,
        "vintage_guessed": guessed and vintage is not None,
        "key": key_column,
        "level": level,
        **record.to_dict(),
    }
    return table
