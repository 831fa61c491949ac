"""Safe extraction of downloaded archives (zip, tar, 7z).

Every member name is checked before anything is written: absolute paths,
``..`` components, drive letters, symbolic and hard links, and devices are
refused, so a malicious or broken archive cannot write outside the target
directory.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath

from territobs.errors import SourceFetchError, SourceFormatError, where

__all__ = ["safe_extract"]


def _check_name(name: str, archive: Path) -> PurePosixPath:
    posix = PurePosixPath(name.replace("\\", "/"))
    if (
        posix.is_absolute()
        or PureWindowsPath(name).drive
        or any(part == ".." for part in posix.parts)
    ):
        raise SourceFetchError(
            where(archive) + f"membre « {name} » refusé : il sortirait du dossier "
            "d'extraction (chemin absolu ou « .. »). L'archive est corrompue ou "
            "malveillante.",
            path=archive,
            codes=[name],
        )
    return posix


def _unsafe_kind(archive: Path, name: str, kind: str) -> SourceFetchError:
    return SourceFetchError(
        where(archive) + f"membre « {name} » refusé : {kind} interdit dans une "
        "archive de données.",
        path=archive,
        codes=[name],
    )


def _wanted(name: str, members: Sequence[str] | None) -> bool:
    if not members:
        return True
    return any(
        fnmatch.fnmatch(name, p) or fnmatch.fnmatch(PurePosixPath(name).name, p)
        for p in members
    )


def _extract_zip(
    archive: Path, dest: Path, members: Sequence[str] | None
) -> list[Path]:
    out = []
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        for info in infos:
            _check_name(info.filename, archive)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise _unsafe_kind(archive, info.filename, "lien symbolique")
        for info in infos:
            if info.is_dir() or not _wanted(info.filename, members):
                continue
            target = dest.joinpath(*_check_name(info.filename, archive).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            out.append(target)
    return out


def _extract_tar(
    archive: Path, dest: Path, members: Sequence[str] | None
) -> list[Path]:
    out = []
    with tarfile.open(archive) as tf:
        infos = tf.getmembers()
        for info in infos:
            _check_name(info.name, archive)
            if info.issym() or info.islnk():
                raise _unsafe_kind(archive, info.name, "lien")
            if not (info.isfile() or info.isdir()):
                raise _unsafe_kind(archive, info.name, "fichier spécial")
        for info in infos:
            if not info.isfile() or not _wanted(info.name, members):
                continue
            target = dest.joinpath(*_check_name(info.name, archive).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            src = tf.extractfile(info)
            if src is None:  # pragma: no cover - isfile() members always have data
                continue
            with src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            out.append(target)
    return out


def _extract_7z(archive: Path, dest: Path, members: Sequence[str] | None) -> list[Path]:
    try:
        import py7zr
    except ImportError as exc:
        raise SourceFetchError(
            where(archive) + "archive 7z : installez py7zr pour l'extraire "
            "(pip install py7zr), ou extrayez-la avec 7-Zip.",
            path=archive,
        ) from exc
    with py7zr.SevenZipFile(archive) as zf:
        infos = zf.list()
        for info in infos:
            _check_name(info.filename, archive)
            if getattr(info, "is_symlink", False):
                raise _unsafe_kind(archive, info.filename, "lien symbolique")
        names = [
            i.filename
            for i in infos
            if not i.is_directory and _wanted(i.filename, members)
        ]
        zf.extract(path=dest, targets=names)
    return [dest.joinpath(*PurePosixPath(n).parts) for n in names]


def safe_extract(
    archive: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    members: Sequence[str] | None = None,
) -> list[Path]:
    r"""Extract an archive, refusing members that would escape ``dest``.

    Parameters
    ----------
    archive : str or path-like
        A ``.zip``, ``.tar``/``.tar.gz``/``.tgz`` or ``.7z`` file (the format
        is detected from the content, not the name, except for 7z).
    dest : str or path-like
        Target directory (created).
    members : sequence of str, optional
        Glob patterns (on the full member name or its base name) of the
        members to extract; default all.

    Returns
    -------
    list of pathlib.Path
        The extracted files.

    Raises
    ------
    SourceFetchError
        If a member is absolute, contains ``..``, is a link or a special file
        (nothing is extracted then), or a 7z archive needs ``py7zr``.
    SourceFormatError
        If the file is not an archive.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> with zipfile.ZipFile(folder / "base-ic.zip", "w") as archive:
    ...     archive.writestr("base-ic.CSV", "IRIS;P21_POP\n010040101;2210\n")
    ...     archive.writestr("notice.pdf", "")
    >>> extracted = safe_extract(folder / "base-ic.zip", folder / "out",
    ...                          members=["*.CSV"])
    >>> [path.name for path in extracted]
    ['base-ic.CSV']
    """
    archive, dest = Path(archive), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        return _extract_zip(archive, dest, members)
    if tarfile.is_tarfile(archive):
        return _extract_tar(archive, dest, members)
    with open(archive, "rb") as fh:
        magic = fh.read(6)
    if magic == b"7z\xbc\xaf\x27\x1c":
        return _extract_7z(archive, dest, members)
    raise SourceFormatError(
        where(archive) + "ce fichier n'est pas une archive zip, tar ou 7z.",
        path=archive,
    )
