"""Plausibility checks of the readers: values a producer cannot have published.

A count below zero, a poverty rate of 150 %, a fractional CAF count or an
INSEE footnote read as a commune are not secrets nor missing values: they are
a broken file, and a figure computed from them is silently wrong. These
helpers raise a French :class:`~territobs.errors.SourceFormatError` naming the
file, column, line and value, or, for what may be legitimate, warn with a
:class:`~territobs.errors.PlausibilityWarning`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from territobs.errors import PlausibilityWarning, SourceFormatError, format_codes, where
from territobs.formatting import count_of

__all__ = [
    "CENSUS_COUNT",
    "POVERTY_RATE",
    "check_values",
    "drop_footnotes",
]

#: Census and Filosofi counts (``P21_POP``, ``C21_MEN``, ``NBMENFISC21``).
CENSUS_COUNT = re.compile(r"^(?:[PC]\d{2}_|NB)", re.IGNORECASE)
#: Poverty rates in percent (``TP6021``, ``DISP_TP6015``).
POVERTY_RATE = re.compile(r"(?:^|_)TP[4-7]0\d{2}$", re.IGNORECASE)
#: First words of the notes INSEE writes under its tables.
_FOOTNOTE = re.compile(
    r"^\s*(?:sources?|champ|notes?|lecture|d[ée]finitions?|avertissement|"
    r"unit[ée]|\*|\(\d+\)|©)\s*[:.\s]",
    re.IGNORECASE,
)


def drop_footnotes(
    raw: pd.DataFrame, key: str, path: str, first_row: int
) -> pd.DataFrame:
    """Leave out the note rows of an INSEE table (« Source : Insee, RP2016 »).

    A row is a note when its code cell starts like one (``Source``, ``Champ``,
    ``Note``, ``Lecture``, ``(1)``...) and every other cell is blank.

    Parameters
    ----------
    raw : pandas.DataFrame
        Cells as text, index = 0-based data row.
    key : str
        The code column.
    path : str
        The file, for the warning.
    first_row : int
        File line of the row of index 0.

    Returns
    -------
    pandas.DataFrame
        ``raw`` without the note rows.

    Warns
    -----
    PlausibilityWarning
        Naming the lines left out and quoting the first note.
    """
    cells = raw[key].astype(str)
    note = cells.str.match(_FOOTNOTE)
    if not note.any():
        return raw
    others = raw.drop(columns=[key]).astype(str).apply(lambda c: c.str.strip() == "")
    note &= others.all(axis=1)
    if not note.any():
        return raw
    lines = [int(i) + first_row for i in raw.index[note]]
    warnings.warn(
        PlausibilityWarning(
            f"{where(path, key)}{count_of(len(lines), 'ligne')} de notes sous le "
            f"tableau laissée{'s' if len(lines) > 1 else ''} de côté "
            f"(ligne{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines[:10]))}"
            f" : « {cells[note].iloc[0].strip()} »).",
            path=path,
            column=key,
            rows=lines,
        ),
        stacklevel=3,
    )
    return raw.loc[~note]


def _refuse(
    path: str, column: str, lines: list[int], values: list, why: str, fix: str
) -> SourceFormatError:
    texts = [f"{v:g}" if isinstance(v, float) else str(v) for v in values]
    shown = format_codes(texts)
    more = f" ({count_of(len(lines), 'valeur')} : {shown})" if len(lines) > 1 else ""
    return SourceFormatError(
        f"{where(path, column, lines[0])}valeur « {texts[0]} » impossible : "
        f"{why}{more}. {fix}",
        path=path,
        column=column,
        row=lines[0],
        rows=lines,
        value=texts[0],
        values=values,
    )


def check_values(
    table: pd.DataFrame,
    path: str,
    first_row: int,
    *,
    counts: Iterable[str] = (),
    rates: Iterable[str] = (),
    integers: Iterable[str] = (),
    producer: str = "le producteur",
) -> None:
    """Refuse counts below zero and rates outside [0, 100]; warn on fractional counts.

    Parameters
    ----------
    table : pandas.DataFrame
        Numeric columns as floats (NaN where masked), index = 0-based data row.
    path : str
        The file.
    first_row : int
        File line of the row of index 0.
    counts : iterable of str
        Columns that are counts (never negative).
    rates : iterable of str
        Columns that are percentages (within [0, 100]).
    integers : iterable of str
        Counts the producer publishes as whole numbers.
    producer : str
        Who publishes them, for the warning.

    Raises
    ------
    SourceFormatError
        A negative count or a rate outside [0, 100], naming the line and value.

    Warns
    -----
    PlausibilityWarning
        A fractional value in a column of ``integers``.
    """
    lines = table.index.to_numpy() + first_row
    for column in counts:
        values = table[column].to_numpy(dtype="float64")
        bad = values < 0
        if bad.any():
            raise _refuse(
                path, column, lines[bad].tolist(), values[bad].tolist(),
                "un effectif ne peut pas être négatif",
                "Corrigez le fichier ; s'il s'agit d'un code de secret, ajoutez-le "
                "à secret_markers.",
            )  # fmt: skip
    for column in rates:
        values = table[column].to_numpy(dtype="float64")
        bad = (values < 0) | (values > 100)
        if bad.any():
            raise _refuse(
                path, column, lines[bad].tolist(), values[bad].tolist(),
                "un taux en pourcentage est compris entre 0 et 100",
                "Vérifiez la colonne (un taux pour mille, ou une autre variable ?).",
            )  # fmt: skip
    for column in integers:
        values = table[column].to_numpy(dtype="float64")
        bad = np.isfinite(values) & (values != np.round(values))
        if bad.any():
            first = lines[bad].tolist()
            warnings.warn(
                PlausibilityWarning(
                    f"{where(path, column, first[0])}effectif non entier "
                    f"« {values[bad][0]:g} » ({count_of(len(first), 'valeur')}) alors "
                    f"que {producer} publie des nombres entiers : le fichier a-t-il "
                    "été retraité (moyenne, estimation) ? Les valeurs sont gardées.",
                    path=path,
                    column=column,
                    rows=first,
                ),
                stacklevel=3,
            )
