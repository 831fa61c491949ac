"""One build of an atlas at a time: a lock on its output folder.

Two builds writing one folder would mix their files (tables of one input,
maps of the other, a manifest out of step with both). :func:`atlas_lock`
takes an exclusive lock on ``<output>/.territobs-build.lock`` with the
operating system's file locks (``fcntl.flock`` on POSIX, ``msvcrt.locking``
on Windows): the kernel releases it when the process ends, however it ends
(``kill -9`` included), so a lock can never be left behind by a dead build.
The file records the holder's process id, host and start time, for the
message the second build shows.

Under the lock, the temporary files that interrupted builds left in the
folder (``.<name>.<random>.tmp<suffix>``, see
:func:`territobs.atlas.cache.atomic_path`) are removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from territobs.errors import OutputError, output_error

__all__ = ["LOCK_NAME", "AtlasBusyError", "atlas_lock", "clean_leftovers"]

#: Name of the lock file in the atlas output folder.
LOCK_NAME = ".territobs-build.lock"
_TEMP = re.compile(r"^\..+\.tmp(?:\.[A-Za-z0-9]+)?$")


class AtlasBusyError(OutputError):
    """Another build holds the atlas folder (``holder`` describes it)."""


def _try_lock(handle: IO[str]) -> bool:
    try:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _holder(path: Path) -> dict[str, object]:
    try:
        return json.loads(path.read_text("utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def clean_leftovers(folder: Path) -> list[Path]:
    """Remove the temporary files of interrupted builds from ``folder``.

    Parameters
    ----------
    folder : pathlib.Path
        The atlas output folder (call it only under :func:`atlas_lock`).

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    removed = []
    for path in folder.rglob(".*"):
        if path.is_file() and not path.is_symlink() and _TEMP.match(path.name):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


@contextlib.contextmanager
def atlas_lock(folder: str | os.PathLike[str], *, wait: float = 0.0) -> Iterator[Path]:
    """Hold the build lock of an atlas folder for the duration of the block.

    Parameters
    ----------
    folder : str or path-like
        The atlas output folder (created if needed).
    wait : float, default 0
        Seconds to wait for another build to finish before giving up.

    Yields
    ------
    pathlib.Path
        The lock file.

    Raises
    ------
    AtlasBusyError
        If another process still holds the lock after ``wait`` seconds; the
        message names its process id, host and start time.
    OutputError
        If the folder or the lock file cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> with atlas_lock(tempfile.mkdtemp()) as lock:
    ...     lock.name
    '.territobs-build.lock'
    """
    out = Path(folder)
    path = out / LOCK_NAME
    try:
        out.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")
    except OSError as exc:
        raise output_error(exc, path) from exc
    try:
        deadline = time.monotonic() + wait
        while not _try_lock(handle):
            if time.monotonic() >= deadline:
                holder = _holder(path)
                since = holder.get("since", "?")
                raise AtlasBusyError(
                    f"l'atlas « {out} » est déjà en cours de construction (processus "
                    f"{holder.get('pid', '?')} sur {holder.get('host', '?')}, depuis "
                    f"{since}). Deux constructions simultanées mêleraient leurs "
                    "fichiers : attendez la fin de l'autre, ou relancez avec "
                    "--wait SECONDES pour l'attendre.",
                    path=path,
                    holder=holder,
                )
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "since": dt.datetime.now().isoformat(timespec="seconds"),
                }
            )
        )
        handle.flush()
        clean_leftovers(out)
        yield path
    finally:
        handle.close()  # releases the lock
