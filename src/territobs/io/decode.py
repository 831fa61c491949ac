"""Producers' files as text: decoding, separators, column names.

UTF-8 (with or without BOM), Windows-1252, UTF-16 and mixed encodings decoded
per line; gzip handled; the separator sniffed outside quotes; columns found
case-insensitively. Used by the table readers (:mod:`territobs.io.text`) and
the format guessing of :mod:`territobs.io.registry`.
"""

from __future__ import annotations

import codecs
import difflib
import gzip
import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

from territobs.errors import (
    PlausibilityWarning,
    SourceFormatError,
    SourceNotFoundError,
    format_codes,
    where,
)
from territobs.formatting import count_of

__all__ = [
    "decode_bytes",
    "find_column",
    "read_bytes",
    "require_file",
    "sniff_separator",
]


SEPARATORS: tuple[str, ...] = (";", ",", "\t")


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
