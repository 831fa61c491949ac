"""Errors and warnings raised by territobs.

Every error derives from :class:`TerritobsError` and also from the builtin that
fits (``ValueError``, ``OSError``...), so both ``except TerritobsError`` and
``except ValueError`` work. Messages are in French (they are read by users);
the structured attributes (``path``, ``column``, ``row``, ``codes``...) are
what code and tests should match on.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

__all__ = [
    "CRSError",
    "CodeError",
    "ConfigError",
    "EstimateWarning",
    "GeometryError",
    "GeometryRepairedWarning",
    "JoinError",
    "MethodError",
    "MissingGeometryWarning",
    "MissingValuesWarning",
    "OutputError",
    "PlausibilityWarning",
    "SecrecyError",
    "SecrecyWarning",
    "SourceFetchError",
    "SourceFormatError",
    "SourceNotFoundError",
    "TerritobsError",
    "TerritobsWarning",
    "UnmatchedCodesWarning",
    "ZoneError",
    "ZoneWarning",
]

#: How many codes are quoted in a message; the full list stays on the object.
SHOWN_CODES = 5


def format_codes(codes: Sequence[Any], shown: int = SHOWN_CODES) -> str:
    """Quote the first ``shown`` codes French-style, and say how many remain.

    Parameters
    ----------
    codes : sequence
        Codes (or any values) to quote.
    shown : int, default 5
        How many to quote.

    Returns
    -------
    str
        For example ``« 1001 », « 1002 » et 3 autres``.
    """
    codes = list(codes)
    head = ", ".join(f"« {c} »" for c in codes[:shown])
    rest = len(codes) - shown
    if rest > 0:
        head += f" et {rest} autre{'s' if rest > 1 else ''}"
    return head


def where(
    path: str | os.PathLike[str] | None = None,
    column: str | None = None,
    row: int | None = None,
) -> str:
    """Build the French location prefix of a message.

    Parameters
    ----------
    path, column, row : optional
        Where the problem is. ``row`` is the 1-based line number in the file
        (header = line 1) when known.

    Returns
    -------
    str
        For example ``fichier « a.csv », colonne « CODGEO », ligne 12 : ``,
        or an empty string when nothing is known.
    """
    parts = []
    if path is not None:
        parts.append(f"fichier « {os.fspath(path)} »")
    if column is not None:
        parts.append(f"colonne « {column} »")
    if row is not None:
        parts.append(f"ligne {row}")
    return (", ".join(parts) + " : ") if parts else ""


class TerritobsError(Exception):
    """Base class of every territobs error.

    Parameters
    ----------
    message : str
        The French message shown to the user.
    path, column, row : optional
        Where the problem was found.
    codes : sequence, optional
        The full list of offending codes (the message quotes only a few).
    **details
        Any further structured detail, kept as attributes.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        column: str | None = None,
        row: int | None = None,
        codes: Sequence[Any] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = os.fspath(path) if path is not None else None
        self.column = column
        self.row = row
        self.codes = list(codes) if codes is not None else []
        self.details = details
        for key, value in details.items():
            setattr(self, key, value)


class CodeError(TerritobsError, ValueError):
    """A geographic code is malformed, unknown, duplicated or lost its zeros."""


class CRSError(TerritobsError, ValueError):
    """A layer has no CRS, or one that does not fit the computation."""


class SourceFormatError(TerritobsError, ValueError):
    """A file does not have the layout its producer publishes."""


class GeometryError(TerritobsError, ValueError):
    """Geometries are missing, empty or cannot be repaired."""


class JoinError(TerritobsError, ValueError):
    """A table cannot be joined to its units (no common code, duplicates)."""


class ZoneError(TerritobsError, ValueError):
    """A zone definition is unusable (no overlap, unknown members...)."""


class MethodError(TerritobsError, ValueError):
    """An indicator cannot be computed that way (e.g. a median re-aggregated)."""


class ConfigError(TerritobsError, ValueError):
    """An atlas or catalogue configuration is invalid; ``key`` names the path."""


class SecrecyError(TerritobsError, ValueError):
    """A secrecy rule is invalid, or an output would disclose a masked value."""


class SourceFetchError(TerritobsError, OSError):
    """An official source could not be downloaded or failed verification."""


class SourceNotFoundError(TerritobsError, FileNotFoundError):
    """An input file does not exist (also a ``FileNotFoundError``)."""


class OutputError(TerritobsError, OSError):
    """An output cannot be written (read-only folder, full disk, path is a file...)."""


def _blocking_file(path: os.PathLike[str] | str) -> str | None:
    """Return the first ancestor of ``path`` that exists and is not a folder."""
    import pathlib

    for parent in reversed(pathlib.Path(path).absolute().parents):
        if parent.exists() and not parent.is_dir():
            return os.fspath(parent)
    return None


def output_error(
    exc: OSError, path: str | os.PathLike[str] | None = None
) -> OutputError:
    """Turn an ``OSError`` met while writing ``path`` into a French :class:`OutputError`.

    Parameters
    ----------
    exc : OSError
        The error raised by the writer.
    path : str or path-like, optional
        The output being written (default: the error's ``filename``).

    Returns
    -------
    OutputError
        With the path, the cause and the fix in French; ``errno`` kept.

    Examples
    --------
    >>> error = output_error(PermissionError(13, "Permission denied", "/x/a.csv"))
    >>> print(error.message)
    impossible d'écrire « /x/a.csv » : permission refusée (dossier en lecture seule ?). Choisissez un dossier où vous pouvez écrire, ou changez ses droits.
    """
    import errno as codes

    target = os.fspath(path) if path is not None else (exc.filename or "?")
    blocking = _blocking_file(target) if target != "?" else None
    number = exc.errno
    if number in (codes.EACCES, codes.EPERM, codes.EROFS):
        why = (
            "permission refusée (dossier en lecture seule ?). Choisissez un dossier "
            "où vous pouvez écrire, ou changez ses droits."
        )
    elif number in (codes.ENOSPC, getattr(codes, "EDQUOT", -1), codes.EFBIG):
        why = (
            "disque plein (ou quota atteint). Libérez de la place ou écrivez "
            "ailleurs ; le fichier partiel a été laissé tel quel, supprimez-le."
        )
    elif number == codes.EISDIR:
        why = "c'est un dossier. Donnez un nom de fichier."
    elif number == codes.ENOTDIR or blocking is not None:
        why = (
            f"« {blocking or target} » est un fichier, pas un dossier. Choisissez "
            "un autre chemin."
        )
    elif number == codes.ENOENT or not os.path.isdir(os.path.dirname(target) or "."):
        why = "le dossier n'existe pas. Créez-le ou choisissez-en un autre."
    else:
        why = f"{exc.strerror or exc}."
    return OutputError(
        f"impossible d'écrire « {target} » : {why}", path=target, errno=number
    )


class TerritobsWarning(UserWarning):
    """Base class of every territobs warning."""

    def __init__(
        self, message: str, *, codes: Sequence[Any] | None = None, **details: Any
    ):
        super().__init__(message)
        self.message = message
        self.codes = list(codes) if codes is not None else []
        self.details = details
        for key, value in details.items():
            setattr(self, key, value)


class UnmatchedCodesWarning(TerritobsWarning):
    """Some codes of a table found no unit (or units found no row)."""


class EstimateWarning(TerritobsWarning):
    """A value rests partly on estimation (area or population weights)."""


class GeometryRepairedWarning(TerritobsWarning):
    """Invalid geometries were repaired with ``make_valid``."""


class MissingGeometryWarning(TerritobsWarning):
    """Units were kept without a geometry, or with an outdated one."""


class MissingValuesWarning(TerritobsWarning):
    """Needed inputs are missing (no value and no secrecy marker) for some units."""


class ZoneWarning(TerritobsWarning):
    """A zone lies partly outside the territory, or zones leave units out."""


class PlausibilityWarning(TerritobsWarning):
    """A value, a row or a geometry is possible but suspicious (``path``, ``column``, ``row``)."""


class SecrecyWarning(TerritobsWarning):
    """Values were masked, or are incomplete because inputs were masked."""
