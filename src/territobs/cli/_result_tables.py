"""Checks of the result tables given on the command line, before a reader sees them."""

from __future__ import annotations

import os

from territobs.errors import SourceFormatError, where

__all__ = ["require_table", "unreadable_table"]


def require_table(path: str | os.PathLike[str]) -> None:
    """Raise a French error if a table given on the command line is empty.

    Parameters
    ----------
    path : path-like
        A CSV or Parquet table.

    Raises
    ------
    SourceFormatError
        If the file has no byte, or only blanks.
    """
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise SourceFormatError(
            f"{where(path)}fichier vide : aucun en-tête ni aucune ligne. Donnez le "
            "tableau écrit par « territobs recompute » (CSV ou Parquet).",
            path=path,
        )


def unreadable_table(path: str | os.PathLike[str], exc: Exception) -> SourceFormatError:
    """Return the French error for a result table pandas or pyarrow cannot read.

    Parameters
    ----------
    path : path-like
        The table.
    exc : Exception
        What the reader raised.

    Returns
    -------
    SourceFormatError
    """
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return SourceFormatError(
        f"{where(path)}tableau illisible ({type(exc).__name__} : {detail}). Donnez "
        "le tableau écrit par « territobs recompute » (CSV en UTF-8 ou Parquet).",
        path=path,
    )
