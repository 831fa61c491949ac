"""Checks of the command line's input files before a reader sees them."""

from __future__ import annotations

import os

from territobs.errors import SourceFormatError, where

__all__ = ["require_table"]


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
