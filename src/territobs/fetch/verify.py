"""Check that a downloaded file is the file its registry entry declares.

Without a published checksum, "verified" must not mean "the same as the first
download": a first download is checked before it is pinned in the manifest
(pooch and pip's hash-checking mode trust nothing without a hash; until the
registry has one, the content is checked instead). The checks are cheap and
read only what is needed: the magic bytes of the declared format, no HTML
error page, text that ends on a complete line (when the server did not
declare the length), the expected CSV columns, an
archive whose table of contents can be read and holds the expected members.
"""

from __future__ import annotations

import fnmatch
import json
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from territobs.errors import SourceFetchError
from territobs.fetch.registry import Source

__all__ = ["check_payload"]

_MAGIC = {
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "xlsx": (b"PK\x03\x04",),
    "7z": (b"7z\xbc\xaf\x27\x1c",),
    "gpkg": (b"SQLite format 3\x00",),
    "tar.gz": (b"\x1f\x8b",),
    "tgz": (b"\x1f\x8b",),
}
_TEXT = {"csv", "txt", "json"}
_HTML = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")


def _bad(source: Source, path: Path, why: str) -> SourceFetchError:
    return SourceFetchError(
        f"le fichier reçu pour « {source.id} » n'est pas le fichier attendu ({why}) ; "
        "il n'a pas été conservé. Réessayez plus tard ; si cela persiste, l'adresse "
        f"a sans doute changé : vérifiez {source.landing} et l'entrée "
        f"[sources.{source.id}] de territobs/fetch/sources.toml.",
        source=source.id,
        path=path,
        reason=why,
    )


def _member_ok(name: str, patterns: tuple[str, ...]) -> bool:
    base = PurePosixPath(name).name
    return any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(base, p) for p in patterns)


def _header(source: Source, path: Path, head: bytes) -> None:
    line = head.split(b"\n", 1)[0].strip(b"\r")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = line.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    names = {
        n.strip().strip('"').casefold()
        for n in text.replace(",", ";").replace("\t", ";").split(";")
    }
    missing = [c for c in source.columns if c.casefold() not in names]
    if missing:
        raise _bad(source, path, f"colonnes {', '.join(missing)} absentes de l'en-tête")


def _check_text(source: Source, path: Path, head: bytes, declared: bool) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # UTF-16: the readers decode it; no byte-level check below
    if b"\x00" in head:
        raise _bad(source, path, "contenu binaire au lieu de texte")
    if source.format == "json":
        try:
            with open(path, "rb") as fh:
                json.load(fh)
        except ValueError as exc:
            raise _bad(source, path, f"JSON illisible : {exc}") from exc
        return
    if not declared:
        # Without a declared length, a cut transfer looks complete: a text
        # file must then end on a line end (a declared length is checked
        # instead, and a published file may lack the final line end).
        with open(path, "rb") as fh:
            fh.seek(max(0, path.stat().st_size - 1))
            last = fh.read(1)
        if last not in (b"\n", b"\r"):
            raise _bad(
                source, path, "la dernière ligne est incomplète : transfert tronqué"
            )
    if source.columns:
        _header(source, path, head)


def _check_archive(source: Source, path: Path) -> None:
    try:
        if source.format in ("zip", "xlsx"):
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        elif source.format in ("tar", "tar.gz", "tgz"):
            with tarfile.open(path) as tf:
                names = tf.getnames()
        elif source.format == "7z":
            try:
                import py7zr
            except ImportError:
                return  # magic bytes checked; the listing needs py7zr
            with py7zr.SevenZipFile(path) as zf:
                names = zf.getnames()
        else:
            return
    except Exception as exc:  # every reader error means "bad archive"
        raise _bad(source, path, f"archive illisible ou tronquée : {exc}") from exc
    if source.format == "xlsx" and "xl/workbook.xml" not in names:
        raise _bad(source, path, "classeur XLSX sans xl/workbook.xml")
    if source.members and not any(_member_ok(n, source.members) for n in names):
        raise _bad(
            source,
            path,
            f"aucun membre ne correspond à {', '.join(source.members)}",
        )


def check_payload(source: Source, path: Path, *, declared: bool = True) -> None:
    """Raise if ``path`` does not look like the file ``source`` declares.

    Parameters
    ----------
    source : Source
        The registry entry (its ``format``, ``members`` and ``columns``).
    path : pathlib.Path
        The downloaded file.
    declared : bool, default True
        Whether the server declared the length (then checked by the
        download); without it, a text file must end on a line end.

    Raises
    ------
    SourceFetchError
        An HTML page, wrong magic bytes, a text file whose last line is cut,
        missing CSV columns, an unreadable archive or one without the
        expected members. ``reason`` says which.
    """
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head:
        raise _bad(source, path, "fichier vide")
    sniff = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if source.format != "html" and sniff.startswith(_HTML):
        raise _bad(source, path, "page HTML (page d'erreur du serveur ?)")
    magic = _MAGIC.get(source.format)
    if magic is not None and not head.startswith(magic):
        raise _bad(source, path, f"ce n'est pas un fichier {source.format}")
    if source.format in _TEXT:
        _check_text(source, path, head, declared)
    else:
        _check_archive(source, path)
