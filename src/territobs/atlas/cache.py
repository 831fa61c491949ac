"""Content hashes, the build manifest, and atomic writes.

An atlas output is trusted only when the manifest says it was built from the
same inputs (same *key*) and the file on disk is the one that was written
(same content hash). Files are hashed by content; the hash is cached by
``(path, size, mtime_ns)`` so that a no-change refresh reads no data file.

Every file is written to a temporary file in the same folder, flushed to
disk, then moved over the target with :func:`os.replace` (atomic on POSIX and
Windows): a crash leaves either the old file or the new one, never half of
one, and the manifest is updated only after the move.

Only the standard library is imported here.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "MANIFEST_NAME",
    "FileRecord",
    "Manifest",
    "StepRecord",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "code_fingerprint",
    "digest_bytes",
    "digest_file",
    "key_of",
    "tree_digest",
]

#: Name of the manifest inside the output folder.
MANIFEST_NAME = ".territobs-manifest.json"
#: Manifest layout version; another version is ignored (everything rebuilt).
MANIFEST_VERSION = 1
_CHUNK = 1 << 20


@functools.cache
def _umask() -> int:
    """Return the process umask (read once: reading it means setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def digest_bytes(data: bytes) -> str:
    """Return the hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def digest_file(path: str | os.PathLike[str]) -> str:
    """Return the hex sha256 of a file's content, read in 1 MiB chunks."""
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def _canonical(value: Any) -> Any:
    """Make ``value`` JSON-serialisable in a stable way (paths, tuples, sets)."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=str)}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_canonical(v) for v in value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


@functools.cache
def code_fingerprint() -> str:
    """Return the territobs version and a hash of its installed code and data.

    Every atlas step key includes it, so outputs are rebuilt when territobs
    itself changes, even without a version bump (an editable install being
    developed, a patched copy): the hash covers every ``.py`` file and every
    data file of the installed package, by relative path and content.
    Computed once per process (about 1 MB to read).

    Returns
    -------
    str
        ``"<version>+<16 hex digits>"``.

    Examples
    --------
    >>> from territobs import __version__
    >>> code_fingerprint().startswith(__version__ + "+")
    True
    """
    from territobs._version import __version__

    package = Path(__file__).resolve().parent.parent
    return f"{__version__}+{tree_digest(package)[:16]}"


def tree_digest(folder: str | os.PathLike[str]) -> str:
    """Return the sha256 of a folder's files, by relative path and content.

    Compiled files (``__pycache__``, ``.pyc``) are left out: they change with
    the interpreter, not with the code.

    Parameters
    ----------
    folder : path-like
        The folder to hash, recursively.

    Returns
    -------
    str
        64 hexadecimal characters; the same for two folders holding the same
        files with the same contents, wherever they are.
    """
    root = Path(folder)
    digest = hashlib.sha256()
    files = sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix not in (".pyc", ".pyo")
    )
    for name in files:
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256((root / name).read_bytes()).digest())
    return digest.hexdigest()


def key_of(*parts: Any) -> str:
    """Hash any JSON-like values into one hex sha256 key.

    Parameters
    ----------
    *parts
        Strings, numbers, mappings, sequences, paths. Mappings are hashed
        with sorted keys, so the key does not depend on insertion order.

    Returns
    -------
    str
        64 hexadecimal characters.

    Examples
    --------
    >>> key_of({"b": 1, "a": 2}) == key_of({"a": 2, "b": 1})
    True
    """
    text = json.dumps(_canonical(parts), ensure_ascii=False, separators=(",", ":"))
    return digest_bytes(text.encode("utf-8"))


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike[str], *, durable: bool = False
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it over ``path`` on success.

    Use it for writers that want a file name (``to_parquet``, ``savefig``,
    ``to_excel``). On error the temporary file is removed and ``path`` is
    left untouched.

    Parameters
    ----------
    path : path-like
        The final file. Its folder is created if needed.
    durable : bool, default False
        Also ``fsync`` the file before the move, so that it survives a power
        cut. Not needed against crashed builds (the move is atomic) nor
        for correctness (the manifest re-checks size, mtime and content).

    Yields
    ------
    pathlib.Path
        Where to write. It keeps the suffix of ``path`` (writers that infer
        the format from the suffix keep working).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}"
    )
    os.close(fd)
    temp_path = Path(temp)
    try:
        yield temp_path
        # mkstemp creates 0600 files: give the usual permissions (0666 - umask)
        os.chmod(temp_path, 0o666 & ~_umask())
        if durable:
            with open(temp_path, "rb+") as handle:
                os.fsync(handle.fileno())
        os.replace(temp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp_path.unlink()
        raise


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, durable: bool = False
) -> None:
    """Write ``data`` to ``path`` atomically (temporary file + ``os.replace``)."""
    with atomic_path(path, durable=durable) as temp:
        temp.write_bytes(data)


def atomic_write_text(
    path: str | os.PathLike[str], text: str, *, durable: bool = False
) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"), durable=durable)


@dataclass
class FileRecord:
    """A file as last seen: content hash and the stat that vouches for it.

    Parameters
    ----------
    sha256 : str
        Content hash.
    size : int
        Size in bytes.
    mtime_ns : int
        Modification time in nanoseconds.
    """

    sha256: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str | os.PathLike[str], sha256: str | None = None) -> FileRecord:
        """Stat ``path`` and hash it (unless ``sha256`` is already known)."""
        stat = os.stat(path)
        return cls(sha256 or digest_file(path), stat.st_size, stat.st_mtime_ns)

    def matches_stat(self, path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` exists with the recorded size and mtime."""
        try:
            stat = os.stat(path)
        except OSError:
            return False
        return stat.st_size == self.size and stat.st_mtime_ns == self.mtime_ns


@dataclass
class StepRecord:
    """What the manifest remembers of one built step.

    Parameters
    ----------
    key : str
        Hash of everything the step was built from.
    outputs : dict of str to dict
        Output name → ``{"path": relative path, **FileRecord}``.
    notes : list of str
        French warnings raised while building (kept for the summary).
    stats : dict
        Small figures for the summary (counts of masked or estimated values).
    built_at : str
        ISO timestamp of the build.
    """

    key: str
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    built_at: str = ""

    def digest(self, name: str | None = None) -> str:
        """Content digest of one output, or of all outputs when ``name`` is None."""
        if name is not None:
            return self.outputs[name]["sha256"]
        return key_of({k: v["sha256"] for k, v in self.outputs.items()})


class Manifest:
    """The JSON record of an output folder: steps built and input hashes.

    Parameters
    ----------
    root : path-like
        The output folder; the manifest is ``root / MANIFEST_NAME``.

    Notes
    -----
    A missing, unreadable or other-version manifest is treated as empty:
    everything is rebuilt, nothing is trusted.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.path = self.root / MANIFEST_NAME
        self.steps: dict[str, StepRecord] = {}
        self.inputs: dict[str, FileRecord] = {}
        #: Whether something changed since the manifest was read or saved.
        self.dirty = False
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
            return
        try:
            self.steps = {k: StepRecord(**v) for k, v in data["steps"].items()}
            self.inputs = {k: FileRecord(**v) for k, v in data["inputs"].items()}
        except (KeyError, TypeError):
            self.steps, self.inputs = {}, {}

    def save(self) -> None:
        """Write the manifest atomically."""
        data = {
            "version": MANIFEST_VERSION,
            "steps": {k: asdict(v) for k, v in sorted(self.steps.items())},
            "inputs": {k: asdict(v) for k, v in sorted(self.inputs.items())},
        }
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        atomic_write_text(self.path, text, durable=True)
        self.dirty = False

    def input_digest(self, path: str | os.PathLike[str]) -> str:
        """Content hash of an input file, re-read only if its stat changed.

        Raises
        ------
        OSError
            When the file cannot be read.
        """
        name = os.fspath(Path(path).resolve())
        record = self.inputs.get(name)
        if record is not None and record.matches_stat(name):
            return record.sha256
        record = FileRecord.of(name)
        self.inputs[name] = record
        self.dirty = True
        return record.sha256

    def output_record(self, relative: str, sha256: str | None = None) -> dict[str, Any]:
        """Stat (and hash) an output just written, as stored in a step record."""
        record = FileRecord.of(self.root / relative, sha256)
        return {"path": relative, **asdict(record)}

    def is_fresh(self, step_id: str, key: str) -> bool:
        """Whether ``step_id`` was built with ``key`` and its outputs are intact.

        An output whose stat changed is re-hashed: if its content is still the
        recorded one (a ``touch``, a copy), the new stat is recorded; otherwise
        the step is stale.
        """
        record = self.steps.get(step_id)
        if record is None or record.key != key:
            return False
        for output in record.outputs.values():
            path = self.root / output["path"]
            known = FileRecord(output["sha256"], output["size"], output["mtime_ns"])
            if known.matches_stat(path):
                continue
            try:
                current = FileRecord.of(path)
            except OSError:
                return False
            if current.sha256 != known.sha256:
                return False
            output.update(size=current.size, mtime_ns=current.mtime_ns)
            self.dirty = True
        return True
