"""Safe extraction of downloaded archives (zip, tar, 7z).

The guarantees are those of :pep:`706`'s ``"data"`` filter for ``tarfile``,
applied to every archive format, plus limits against decompression bombs:

- every member name is checked before anything is written: absolute paths,
  ``..`` components, drive letters, symbolic and hard links, and devices are
  refused, so an archive cannot write outside the target directory;
- two members that land on one path (same name, names differing only by case,
  or a file that another member uses as a folder: ``d.csv`` and ``d.csv/e.csv``)
  are refused instead of the last one silently winning;
- the bytes written are counted while they are written (the sizes an archive
  declares can lie): more than ``max_total`` bytes in all, or a member that
  expands more than ``max_ratio`` times its compressed size, stops the
  extraction;
- files are created with ``O_EXCL | O_NOFOLLOW``: extraction never writes
  through a link, nor over a file already there. :func:`territobs.fetch.fetch`
  extracts into a fresh folder per archive version (named after its SHA-256),
  so files of an older archive are never returned beside the new members.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import tarfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO

from territobs.errors import SourceFetchError, SourceFormatError, format_codes, where

__all__ = ["MAX_EXTRACTED_BYTES", "MAX_RATIO", "check_members", "safe_extract"]

#: Default cap on the bytes an archive may expand to (all members together).
MAX_EXTRACTED_BYTES = 20 * 2**30
#: Default cap on a member's expansion ratio (uncompressed / compressed size).
MAX_RATIO = 200
#: Members smaller than this are not subject to the ratio limit (tiny files
#: of repeated bytes compress very well and are harmless).
RATIO_FLOOR = 2**20
_CHUNK = 1 << 16


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


def check_members(archive: Path, files: Iterable[str], dirs: Iterable[str]) -> None:
    """Refuse members that would land on one path, or a file used as a folder.

    Parameters
    ----------
    archive : pathlib.Path
        The archive, for the message.
    files, dirs : iterable of str
        The names of its file and folder members.

    Raises
    ------
    SourceFetchError
        Duplicated names (also differing only by case), a file named like a
        folder of the archive (``d.csv`` and ``d.csv/e.csv``), or a name
        escaping the folder.
    """
    seen: dict[tuple[str, ...], str] = {}
    duplicates = []
    for name in files:
        key = tuple(p.casefold() for p in _check_name(name, archive).parts if p != ".")
        if key in seen:
            duplicates.append(name)
        seen[key] = name
    if duplicates:
        raise SourceFetchError(
            where(archive) + f"membres en double : {format_codes(duplicates)} "
            "(même nom, ou noms qui ne diffèrent que par la casse) ; le dernier "
            "écraserait le premier. L'archive est corrompue ou malveillante.",
            path=archive,
            codes=duplicates,
        )
    folders = {key[:i] for key in seen for i in range(1, len(key))} | {
        tuple(p.casefold() for p in PurePosixPath(d).parts) for d in dirs
    }
    clashes = sorted(seen[key] for key in seen if key in folders)
    if clashes:
        raise SourceFetchError(
            where(archive) + f"membres {format_codes(clashes)} refusés : un "
            "fichier de l'archive porte le nom d'un dossier de la même archive. "
            "L'archive est corrompue ou malveillante.",
            path=archive,
            codes=clashes,
        )


def _wanted(name: str, members: Sequence[str] | None) -> bool:
    if not members:
        return True
    return any(
        fnmatch.fnmatch(name, p) or fnmatch.fnmatch(PurePosixPath(name).name, p)
        for p in members
    )


class _Budget:
    """Bytes still allowed, and the ratio limit, for one extraction."""

    def __init__(self, archive: Path, max_total: int, max_ratio: float) -> None:
        self.archive = archive
        self.left = max_total
        self.max_total = max_total
        self.max_ratio = max_ratio
        self.created: list[Path] = []

    def bomb(self, name: str, why: str) -> SourceFetchError:
        return SourceFetchError(
            where(self.archive) + f"extraction arrêtée au membre « {name} » : "
            f"{why}. C'est le signe d'une « bombe de décompression » ou d'une "
            "archive corrompue ; rien n'a été conservé. Si l'archive est "
            "légitime, relevez la limite (max_extracted_bytes=, max_ratio=).",
            path=self.archive,
            codes=[name],
        )

    def copy(self, src: IO[bytes], target: Path, name: str, packed: int) -> None:
        limit = max(RATIO_FLOOR, packed * self.max_ratio)
        written = 0
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(target, flags | getattr(os, "O_BINARY", 0), 0o644)
        self.created.append(target)
        with os.fdopen(fd, "wb") as dst:
            while block := src.read(_CHUNK):
                written += len(block)
                if written > self.left:
                    raise self.bomb(
                        name, f"plus de {self.max_total} octets décompressés"
                    )
                if written > limit:
                    raise self.bomb(
                        name,
                        f"taux de compression supérieur à {self.max_ratio:g} "
                        f"({packed} octets compressés)",
                    )
                dst.write(block)
        self.left -= written


def _make_parent(dest: Path, target: Path) -> None:
    """Create the folders of ``target`` inside ``dest``, refusing links."""
    current = dest
    for part in target.relative_to(dest).parts[:-1]:
        current = current / part
        if current.is_symlink():
            raise SourceFetchError(
                where(current) + "lien symbolique dans le dossier d'extraction : "
                "refusé (l'extraction ne suit jamais les liens).",
                path=current,
            )
        current.mkdir(exist_ok=True)


def _extract_zip(
    archive: Path, dest: Path, members: Sequence[str] | None, budget: _Budget
) -> list[Path]:
    out = []
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        for info in infos:
            _check_name(info.filename, archive)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise _unsafe_kind(archive, info.filename, "lien symbolique")
        check_members(
            archive,
            [i.filename for i in infos if not i.is_dir()],
            [i.filename for i in infos if i.is_dir()],
        )
        for info in infos:
            if info.is_dir() or not _wanted(info.filename, members):
                continue
            target = dest.joinpath(*_check_name(info.filename, archive).parts)
            _make_parent(dest, target)
            with zf.open(info) as src:
                budget.copy(src, target, info.filename, info.compress_size)
            out.append(target)
    return out


def _extract_tar(
    archive: Path, dest: Path, members: Sequence[str] | None, budget: _Budget
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
        check_members(
            archive,
            [i.name for i in infos if i.isfile()],
            [i.name for i in infos if i.isdir()],
        )
        # A tar compresses as a whole: the ratio is taken against the archive.
        packed = archive.stat().st_size
        for info in infos:
            if not info.isfile() or not _wanted(info.name, members):
                continue
            target = dest.joinpath(*_check_name(info.name, archive).parts)
            _make_parent(dest, target)
            src = tf.extractfile(info)
            if src is None:  # pragma: no cover - isfile() members always have data
                continue
            with src:
                budget.copy(src, target, info.name, packed)
            out.append(target)
    return out


def _extract_7z(
    archive: Path, dest: Path, members: Sequence[str] | None, budget: _Budget
) -> list[Path]:
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
        check_members(
            archive,
            [i.filename for i in infos if not i.is_directory],
            [i.filename for i in infos if i.is_directory],
        )
        chosen = [
            i for i in infos if not i.is_directory and _wanted(i.filename, members)
        ]
        # py7zr writes the files itself: the declared sizes are checked first.
        total = sum(int(i.uncompressed or 0) for i in chosen)
        packed = archive.stat().st_size
        if total > budget.left:
            raise budget.bomb(chosen[-1].filename, f"{total} octets annoncés")
        if total > max(RATIO_FLOOR, packed * budget.max_ratio):
            raise budget.bomb(
                chosen[-1].filename,
                f"taux de compression supérieur à {budget.max_ratio:g}",
            )
        names = [i.filename for i in chosen]
        zf.extract(path=dest, targets=names)
    return [dest.joinpath(*PurePosixPath(n).parts) for n in names]


def safe_extract(
    archive: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    members: Sequence[str] | None = None,
    max_extracted_bytes: int = MAX_EXTRACTED_BYTES,
    max_ratio: float = MAX_RATIO,
) -> list[Path]:
    r"""Extract an archive, refusing members that would escape ``dest``.

    Parameters
    ----------
    archive : str or path-like
        A ``.zip``, ``.tar``/``.tar.gz``/``.tgz`` or ``.7z`` file (the format
        is detected from the content, not the name, except for 7z).
    dest : str or path-like
        Target directory (created). Files already there are never overwritten
        and links there are never followed; extract into a fresh folder.
    members : sequence of str, optional
        Glob patterns (on the full member name or its base name) of the
        members to extract; default all.
    max_extracted_bytes : int, default 20 GiB
        Stop when the members written exceed this many bytes in all.
    max_ratio : float, default 200
        Stop when a member of more than 1 MiB expands more than this many
        times its compressed size.

    Returns
    -------
    list of pathlib.Path
        The extracted files.

    Raises
    ------
    SourceFetchError
        If a member is absolute, contains ``..``, is a link or a special file,
        lands on the path of another member (nothing is extracted then);
        if the limits are exceeded (the files written so far are removed);
        or a 7z archive needs ``py7zr``.
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
    if dest.is_symlink():
        raise SourceFetchError(
            where(dest) + "le dossier d'extraction est un lien symbolique : refusé.",
            path=dest,
        )
    dest.mkdir(parents=True, exist_ok=True)
    budget = _Budget(archive, max_extracted_bytes, max_ratio)
    if zipfile.is_zipfile(archive):
        extract = _extract_zip
    elif tarfile.is_tarfile(archive):
        extract = _extract_tar
    else:
        with open(archive, "rb") as fh:
            magic = fh.read(6)
        if magic != b"7z\xbc\xaf\x27\x1c":
            raise SourceFormatError(
                where(archive) + "ce fichier n'est pas une archive zip, tar ou 7z.",
                path=archive,
            )
        extract = _extract_7z
    try:
        return extract(archive, dest, members, budget)
    except SourceFetchError:
        for path in budget.created:  # never a partial extraction
            path.unlink(missing_ok=True)
        raise
    except FileExistsError as exc:
        raise SourceFetchError(
            where(archive) + f"« {exc.filename} » existe déjà dans le dossier "
            "d'extraction (ou est un lien) : extrayez dans un dossier neuf.",
            path=archive,
        ) from exc
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        raise SourceFormatError(
            where(archive) + f"archive illisible ou tronquée ({exc}). Retéléchargez-"
            "la (territobs fetch ... --refresh).",
            path=archive,
        ) from exc
