"""Travel-time matrices given by the user: origins × sites, in minutes.

A matrix computed elsewhere (a routing engine on an OpenStreetMap extract, a
GIS service area, the Département's own study) is read from a CSV file in
either shape:

* **long**: one row per pair, columns ``origine; site; minutes`` (the names
  can be given: ``origin=``, ``site=``, ``minutes=``);
* **wide**: one row per origin, its code in the first column, one column per
  site.

Codes stay strings (« 01001 » is never read as 1001); decimal commas are
accepted. A pair missing from the matrix is never guessed: the error names
the origin and site codes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from territobs.errors import JoinError, SourceFormatError, format_codes
from territobs.formatting import count_of

__all__ = ["check_pairs", "read_travel_times"]

_LONG = (("origine", "origin", "code"), ("site", "destination"), ("minutes", "temps"))


def _numbers(column: pd.Series, path: Path, what: str, rows: pd.Index) -> pd.Series:
    text = column.astype("string").str.strip().str.replace(",", ".", regex=False)
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() & text.notna() & (text != "")
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise SourceFormatError(
            f"fichier « {path} », ligne {int(rows[first]) + 2}, {what} : « "
            f"{column.iloc[first]} » n'est pas un nombre de minutes.",
            path=path,
            row=int(rows[first]) + 2,
            column=what,
        )
    if (values < 0).any():
        first = int(np.flatnonzero((values < 0).to_numpy())[0])
        raise SourceFormatError(
            f"fichier « {path} », ligne {int(rows[first]) + 2}, {what} : temps "
            f"négatif ({column.iloc[first]}).",
            path=path,
            row=int(rows[first]) + 2,
            column=what,
        )
    return values.astype(float)


def _find(
    columns: Sequence[str], given: str | None, names: Sequence[str]
) -> str | None:
    if given is not None:
        return given if given in columns else None
    lowered = {c.lower(): c for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


def read_travel_times(
    path: str | os.PathLike[str],
    *,
    origin: str | None = None,
    site: str | None = None,
    minutes: str | None = None,
) -> pd.DataFrame:
    r"""Read a travel-time matrix (CSV, long or wide) as origins × sites.

    Parameters
    ----------
    path : path-like
        The CSV file (``;`` or ``,`` separated, UTF-8).
    origin, site, minutes : str, optional
        Columns of a long file (default: ``origine``/``origin``/``code``,
        ``site``/``destination``, ``minutes``/``temps``). When no such
        columns are found the file is read as wide: origin codes in the
        first column, one column per site.

    Returns
    -------
    pandas.DataFrame
        Index: origin codes (str); columns: site ids (str); values: minutes
        (NaN where the file has no figure for a pair).

    Raises
    ------
    SourceFormatError
        Unreadable file, a value that is not a number of minutes (the row
        and column are named), a pair given twice, a named column absent.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.csv").write_text("origine;site;minutes\n01001;A;12,5\n")
    >>> read_travel_times(folder / "t.csv").loc["01001", "A"]
    np.float64(12.5)
    """
    path = Path(path)
    try:
        table = pd.read_csv(
            path, sep=None, engine="python", dtype=str, keep_default_na=False,
            encoding="utf-8-sig",
        )  # fmt: skip
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise SourceFormatError(
            f"fichier « {path} » : matrice des temps de trajet illisible ({exc}).",
            path=path,
        ) from exc
    columns = [str(c) for c in table.columns]
    for given in (origin, site, minutes):
        if given is not None and given not in columns:
            raise SourceFormatError(
                f"fichier « {path} » : colonne « {given} » absente ; colonnes : "
                f"{', '.join(columns)}.",
                path=path,
                column=given,
            )
    keys = [
        _find(columns, g, n)
        for g, n in zip((origin, site, minutes), _LONG, strict=True)
    ]
    if all(k is not None for k in keys):
        o, s, m = (str(k) for k in keys)
        long = pd.DataFrame(
            {
                "origin": table[o].str.strip(),
                "site": table[s].str.strip(),
                "minutes": _numbers(table[m], path, m, table.index),
            }
        )
        doubled = long.duplicated(["origin", "site"], keep=False)
        if doubled.any():
            pairs = sorted(
                {
                    f"{a} → {b}"
                    for a, b in long.loc[doubled, ["origin", "site"]].to_numpy()
                }
            )
            raise SourceFormatError(
                f"fichier « {path} » : {count_of(len(pairs), 'couple donné', 'couples donnés')}"
                f" deux fois ({format_codes(pairs)}).",
                path=path,
            )
        wide = long.pivot(index="origin", columns="site", values="minutes")
    else:
        if len(columns) < 2:
            raise SourceFormatError(
                f"fichier « {path} » : ni colonnes origine/site/minutes (format long),"
                " ni une colonne de codes suivie d'une colonne par site (format large).",
                path=path,
            )
        codes = table[columns[0]].str.strip()
        repeated = codes[codes.duplicated()].unique().tolist()
        if repeated:
            raise SourceFormatError(
                f"fichier « {path} » : {count_of(len(repeated), 'origine répétée', 'origines répétées')}"
                f" ({format_codes(repeated)}).",
                path=path,
                column=columns[0],
            )
        wide = pd.DataFrame(
            {
                c: _numbers(table[c], path, c, table.index).to_numpy()
                for c in columns[1:]
            },
            index=pd.Index(codes.to_numpy(object)),
        )
    wide.index = pd.Index(wide.index.astype(str), name="origin")
    wide.columns = pd.Index(wide.columns.astype(str), name="site")
    return wide


def check_pairs(matrix: pd.DataFrame, origins: Sequence[str]) -> None:
    """Raise when an origin lacks its row, or a time to some site.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Origins × sites (:func:`read_travel_times`).
    origins : sequence of str
        The origins the population is located at.

    Raises
    ------
    JoinError
        Origins absent from the matrix, or pairs origin → site without a
        time (``error.codes`` lists them, « origine → site »).
    """
    wanted = pd.Index(pd.unique(np.asarray(origins, dtype=object)).astype(str))
    absent = wanted.difference(matrix.index).tolist()
    if absent:
        raise JoinError(
            f"{count_of(len(absent), 'origine absente', 'origines absentes')} de la "
            f"matrice des temps de trajet ({format_codes(absent)}).",
            codes=absent,
        )
    part = matrix.loc[wanted]
    holes = np.argwhere(part.isna().to_numpy())
    if len(holes):
        pairs = [f"{part.index[i]} → {part.columns[j]}" for i, j in holes]
        raise JoinError(
            f"{count_of(len(pairs), 'couple origine → site', 'couples origine → site')}"
            f" sans temps de trajet dans la matrice ({format_codes(pairs)}) ; "
            "complétez la matrice (un temps manquant n'est jamais deviné).",
            codes=pairs,
        )
