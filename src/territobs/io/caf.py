"""Read CAF open-data commune exports (data.caf.fr) into indicator tables.

The historic CAF exports are one ``;``-separated file per benefit and year
(``RSACom2014.csv``, ``PAJECom2014.csv``, ``BasrevenuCom2014.csv``...) whose
columns start with ``Communes;Codes_Insee;NB_allocataires``. Their quirks:

* a blank cell means *secret or missing*: every value below 5 is blanked,
  plus secondary blanking so that no blanked value can be recovered by
  difference. Blank cells become NaN with a ``__secret`` flag, never 0;
* the first rows may be pseudo-communes ``99999`` (allocataires living
  abroad, or outside their CAF's territory before 2012) and ``XXXXX``
  (commune unknown). They are not communes: they are kept, flagged
  ``pseudo=True`` with level ``"pseudo"``, and reported, so they can be
  counted in totals but are never joined to a commune;
* ``NB_Allocataires`` (2009) became ``NB_allocataires`` (2010 on); the
  reader harmonises to the later spelling and records the renaming.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from territobs.codes import normalize_codes
from territobs.errors import CodeError, SourceFormatError, format_codes, where
from territobs.formatting import count_of
from territobs.io._plausible import check_values
from territobs.io.decode import find_column
from territobs.io.insee import row_levels
from territobs.io.text import read_text_table
from territobs.io.values import DEFAULT_SECRET_MARKERS, convert_cells

__all__ = ["CAF_KEYS", "PSEUDO_COMMUNES", "read_caf", "split_pseudo"]

#: Key columns of CAF exports, by priority.
CAF_KEYS: tuple[str, ...] = ("Codes_Insee", "Code_Insee", "CODGEO", "DEPCOM")

#: CAF pseudo-communes and their meaning (French, for reports).
PSEUDO_COMMUNES: dict[str, str] = {
    "99999": "allocataires résidant à l'étranger (ou hors du territoire de leur CAF avant 2012)",
    "XXXXX": "commune de résidence inconnue",
}

#: Columns whose spelling varies between years, mapped to the current one.
_HARMONISED = {"NB_ALLOCATAIRES": "NB_allocataires"}
_TEXT_COLUMNS = ("Communes", "Commune", "LIBGEO", "LIBCOM")


def _year_from_name(path: str) -> int | None:
    match = re.search(r"(19|20)\d{2}", Path(path).stem)
    return int(match.group(0)) if match else None


def read_caf(
    path: str | os.PathLike[str],
    *,
    year: int | None = None,
    key: str | None = None,
    source: str | None = None,
    secret_markers: Collection[str] = DEFAULT_SECRET_MARKERS,
    encoding: str | None = None,
) -> pd.DataFrame:
    r"""Read a CAF commune export into an indicator table.

    Parameters
    ----------
    path : path-like
        A CAF CSV export (``;``, UTF-8 or Windows-1252/Latin-1, optionally
        gzipped).
    year : int, optional
        The data's year; by default read from the file name
        (``RSACom2014.csv`` → 2014), else ``None``.
    key : str, optional
        The code column (default: ``Codes_Insee``, case-insensitive).
    source : str, optional
        Source name kept in ``attrs`` (default: the file name).
    secret_markers : collection of str, optional
        Cell contents meaning "masked" (default: blank and the usual markers).
    encoding : str, optional
        Force the encoding (default: detected).

    Returns
    -------
    pandas.DataFrame
        ``code``, ``level`` (``"commune"``, ``"arrondissement"`` or
        ``"pseudo"``), ``pseudo`` (bool), ``Communes`` (name, text), then the
        CAF variables as float verbatim (``NB_allocataires``, ``ALL_PAJE``...)
        each followed by ``"{variable}__secret"`` when it had blank cells.
        ``attrs["territobs"]`` holds ``source``, ``vintage`` (the year),
        ``encoding``, ``masked_cells``, ``renamed_columns`` and
        ``pseudo_communes`` (code → meaning and values, as plain dicts).

    Raises
    ------
    SourceFormatError
        Empty file, header only, no code column (columns found listed), or a
        non-numeric value in a variable.
    CodeError
        Malformed commune codes (e.g. ``1001`` that lost its zero), or
        duplicated codes.

    See Also
    --------
    split_pseudo : separate the pseudo-commune rows from the communes.

    Notes
    -----
    A blank CAF cell is either a secret value (< 5, or blanked so that
    another cannot be recovered by difference) or missing information; both
    are NaN and flagged in ``__secret``: their true value lies in ``[0, +∞)``
    and is at most the difference with a published total.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "RSACom2014.csv"
    >>> _ = p.write_text(
    ...     "Communes;Codes_Insee;NB_allocataires;ALL_RSA\n"
    ...     "ETRANGER;99999;12;\nAMBERIEU EN BUGEY;01004;2150;310\n"
    ...     "ABERGEMENT CLEMENCIAT;01001;55;\n", encoding="utf-8")
    >>> table = read_caf(p)
    >>> table[["code", "pseudo", "ALL_RSA", "ALL_RSA__secret"]].values.tolist()
    [['99999', True, nan, True], ['01004', False, 310.0, False], ['01001', False, nan, True]]
    """
    path_str = os.fspath(path)
    raw, record = read_text_table(path, encoding=encoding)
    renamed = {}
    for col in raw.columns:
        target = _HARMONISED.get(col.upper())
        if target is not None and col != target:
            renamed[col] = target
    raw = raw.rename(columns=renamed)
    candidates = [key] if key is not None else list(CAF_KEYS)
    key_column = find_column(raw.columns, candidates)
    if key_column is None:
        raise SourceFormatError(
            f"{where(path)}colonne de codes « {' / '.join(candidates)} » "
            f"introuvable. Colonnes trouvées : "
            f"{format_codes(list(raw.columns), shown=15)}. Précisez key=....",
            path=path,
            columns=list(raw.columns),
        )
    text = {key_column} | {c for c in raw.columns if c in _TEXT_COLUMNS}
    # every CAF column but the names and codes is a count
    table = convert_cells(
        raw,
        record,
        text_columns=text,
        secret_markers=secret_markers,
        variables=lambda column: column not in text,
    )
    counts = [c for c in record.numeric_columns if c in table]
    check_values(table, path_str, 2, counts=counts, integers=counts, producer="la CAF")
    raw_codes = table[key_column].str.strip().str.upper()
    pseudo = raw_codes.isin(PSEUDO_COMMUNES).to_numpy()
    codes = pd.Series(raw_codes.to_numpy(), index=table.index, dtype=str)
    codes[~pseudo] = normalize_codes(
        table.loc[~pseudo, key_column],
        "commune",
        path=path_str,
        column=key_column,
        lines=[int(i) + 2 for i in table.index[~pseudo]],
    ).astype(str)
    duplicated = codes[codes.duplicated(keep=False)]
    if not duplicated.empty:
        unique = list(dict.fromkeys(duplicated))
        rows = [int(i) + 2 for i in duplicated.index]
        raise CodeError(
            f"{where(path, key_column)}"
            f"{count_of(len(unique), 'code en double', 'codes en double')} : "
            f"{format_codes(unique)} (lignes {format_codes(rows)}).",
            path=path,
            column=key_column,
            row=rows[0],
            codes=unique,
            rows=rows,
        )
    level = np.where(
        pseudo,
        "pseudo",
        row_levels(codes, "commune"),
    )
    table = table.drop(columns=[key_column])
    table.insert(0, "code", codes.to_numpy())
    table.insert(1, "level", level)
    table.insert(2, "pseudo", pseudo)
    table = table.reset_index(drop=True)
    variables = record.numeric_columns
    report = {
        code: {
            "signification": PSEUDO_COMMUNES[str(code)],
            **{
                var: (None if pd.isna(value) else float(value))
                for var, value in row[variables].items()
            },
        }
        for code, row in table.loc[table["pseudo"]].set_index("code").iterrows()
    }
    table.attrs["territobs"] = {
        "source": source or Path(path_str).name,
        "vintage": year if year is not None else _year_from_name(path_str),
        "key": key_column,
        "level": "commune",
        "renamed_columns": renamed,
        "pseudo_communes": report,
        **record.to_dict(),
    }
    return table


def split_pseudo(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Separate the CAF pseudo-communes (``99999``, ``XXXXX``) from the communes.

    Parameters
    ----------
    table : pandas.DataFrame
        A table from :func:`read_caf`.

    Returns
    -------
    communes : pandas.DataFrame
        The rows of real communes (and arrondissements).
    pseudo : pandas.DataFrame
        The pseudo-commune rows.

    Examples
    --------
    >>> t = pd.DataFrame({"code": ["99999", "01001"], "pseudo": [True, False]})
    >>> [len(part) for part in split_pseudo(t)]
    [1, 1]
    """
    flag = table["pseudo"].to_numpy(dtype=bool)
    return table.loc[~flag], table.loc[flag]
