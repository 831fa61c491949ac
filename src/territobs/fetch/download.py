"""Download official sources into a verified cache.

Files land in ``<cache>/<source>/<year>[/<département>]/``. The cache is
``platformdirs.user_cache_dir("territobs")``, or ``$TERRITOBS_CACHE_DIR``, or
the ``cache_dir`` argument. A manifest (``manifest.json``) records the URL,
size and SHA-256 of every file at its first download; the checksum is
verified on every later use, so a corrupted or tampered file is detected.

Downloads are resumable: bytes go to ``<file>.part`` and an interrupted
transfer continues with an HTTP ``Range`` request.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import http.client
import json
import os
import re
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from territobs.errors import SourceFetchError
from territobs.fetch.extract import MAX_EXTRACTED_BYTES, MAX_RATIO, safe_extract
from territobs.fetch.registry import Source, get_source
from territobs.fetch.verify import check_payload

__all__ = ["fetch", "resolve_cache_dir", "verify_cache"]

CHUNK = 1 << 16
MANIFEST = "manifest.json"
USER_AGENT = "territobs (https://territobs.readthedocs.io)"
_ARCHIVES = {"zip", "7z", "tar", "tar.gz", "tgz"}
#: Default overall time limit of one download, in seconds.
DEADLINE = 3600.0
#: Default size cap of one download, when the registry gives none.
MAX_BYTES = 4 * 2**30


def resolve_cache_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the cache directory: ``path``, ``$TERRITOBS_CACHE_DIR`` or the user cache.

    Parameters
    ----------
    path : str or path-like, optional
        Explicit directory.

    Returns
    -------
    pathlib.Path
    """
    if path is not None:
        return Path(path)
    env = os.environ.get("TERRITOBS_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("territobs"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_manifest(
    root: Path, *, refresh: bool = False
) -> dict[str, dict[str, object]]:
    path = root / MANIFEST
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text("utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("pas un objet JSON")
    except (ValueError, UnicodeDecodeError) as exc:
        if refresh:
            return {}  # every file will be downloaded and verified again
        raise SourceFetchError(
            f"le registre du cache « {path} » est illisible ({exc}) : les fichiers du "
            "cache ne peuvent plus être vérifiés. Relancez avec --refresh "
            "(refresh=True) pour retélécharger et revérifier, ou supprimez ce "
            "fichier.",
            path=path,
        ) from exc
    return manifest


def _write_manifest(root: Path, manifest: dict[str, dict[str, object]]) -> None:
    tmp = root / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), "utf-8")
    tmp.replace(root / MANIFEST)


def _moved(source: Source, url: str, why: str) -> SourceFetchError:
    return SourceFetchError(
        f"l'adresse de la source « {source.id} » a changé ({why}) : {url}. "
        f"Retrouvez le fichier sur {source.landing} puis mettez à jour l'entrée "
        f"[sources.{source.id}] de territobs/fetch/sources.toml.",
        source=source.id,
        url=url,
    )


def _with_base(url: str, base_url: str | None) -> str:
    if base_url is None:
        return url
    parts = urllib.parse.urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return base_url.rstrip("/") + path


@contextlib.contextmanager
def _progress(total: int | None, label: str, enabled: bool) -> Iterator:
    if not enabled:
        yield lambda n: None
        return
    import click

    bar: Any
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


class _Limits:
    """The overall deadline and size cap of one :func:`fetch` call."""

    def __init__(self, source: Source, deadline: float, max_bytes: int) -> None:
        self.source = source
        self.deadline = deadline
        self.end = time.monotonic() + deadline
        self.max_bytes = max_bytes

    def timeout(self, url: str) -> float:
        """Seconds left, for the socket; raise when the deadline has passed."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise SourceFetchError(
                f"téléchargement de « {self.source.id} » arrêté : délai de "
                f"{self.deadline:g} s dépassé ({url}). Le serveur est trop lent ; "
                "relancez plus tard (il reprendra où il s'est arrêté) ou allongez "
                "le délai (deadline=, --deadline).",
                source=self.source.id,
                url=url,
            )
        return min(60.0, left)

    def too_big(self, url: str, size: int, part: Path) -> SourceFetchError:
        part.unlink(missing_ok=True)
        return SourceFetchError(
            f"téléchargement de « {self.source.id} » refusé : {size} octets, plus "
            f"que la limite de {self.max_bytes} octets ({url}). Ce n'est "
            "probablement pas le fichier attendu ; si c'est bien lui, relevez la "
            "limite (max_bytes=, --max-size).",
            source=self.source.id,
            url=url,
            size=size,
        )


_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


def _resumed_total(response: http.client.HTTPResponse, offset: int) -> int | None:
    """Check a 206 answer continues the ``.part`` at ``offset``.

    Returns the full size announced by ``Content-Range``, ``None`` if unknown;
    raises ``ValueError`` when the answer does not start at ``offset`` (a
    server answering 206 with the whole file, or another range).
    """
    match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
    if match is None or int(match[1]) != offset:
        raise ValueError(response.headers.get("Content-Range"))
    return None if match[3] == "*" else int(match[3])


def _download(
    source: Source,
    url: str,
    target: Path,
    *,
    progress: bool,
    retries: int,
    limits: _Limits,
) -> bool:
    """Download ``url`` to ``target``; return whether its length was declared.

    A length is declared by ``Content-Length``, ``Content-Range`` or chunked
    transfer (whose end is marked): only then can a transfer cut short be
    told from a complete one.
    """
    part = target.with_name(target.name + ".part")
    for _ in range(retries + 1):
        offset = part.stat().st_size if part.exists() else 0
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        if offset:
            request.add_header("Range", f"bytes={offset}-")
        try:
            response = urllib.request.urlopen(request, timeout=limits.timeout(url))
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                raise _moved(source, url, f"HTTP {exc.code}") from exc
            if exc.code == 416 and offset:
                part.unlink()
                continue
            raise SourceFetchError(
                f"téléchargement de « {source.id} » impossible : HTTP {exc.code} "
                f"{exc.reason} ({url}).",
                source=source.id,
                url=url,
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            limits.timeout(url)  # the deadline, if that is what was hit
            raise SourceFetchError(
                f"téléchargement de « {source.id} » impossible ({url}) : {exc}. "
                "Vérifiez la connexion, ou utilisez le cache (--offline).",
                source=source.id,
                url=url,
            ) from exc
        with response:
            kind = response.headers.get_content_type()
            if (
                kind in ("text/html", "application/xhtml+xml")
                and source.format != "html"
            ):
                raise _moved(source, response.geturl(), "page HTML au lieu du fichier")
            length = response.headers.get("Content-Length")
            expected = int(length) if length is not None else None
            total = expected
            resumed = response.status == 206
            if resumed:
                try:
                    announced = _resumed_total(response, offset)
                except ValueError:
                    # Not the continuation of our .part (stale, or a server that
                    # answers 206 with the whole file): start again from zero.
                    part.unlink(missing_ok=True)
                    continue
                total = (
                    announced
                    if announced is not None
                    else (offset + expected if expected is not None else None)
                )
            elif offset:
                offset = 0  # 200: the server ignored Range and sends everything
            chunked = "chunked" in response.headers.get("Transfer-Encoding", "").lower()
            declared = total is not None or chunked
            if total is not None and total > limits.max_bytes:
                raise limits.too_big(url, total, part)
            received = offset
            sock = getattr(getattr(response.fp, "raw", None), "_sock", None)
            try:
                with (
                    open(part, "ab" if resumed else "wb") as fh,
                    _progress(total, source.id, progress) as update,
                ):
                    update(offset)
                    while True:
                        # read1: return what has arrived, so a server that
                        # drips bytes still meets the overall deadline.
                        if sock is not None:
                            sock.settimeout(limits.timeout(url))
                        block = response.read1(CHUNK)
                        if not block:
                            break
                        fh.write(block)
                        received += len(block)
                        if received > limits.max_bytes:
                            raise limits.too_big(url, received, part)
                        update(len(block))
            except (http.client.IncompleteRead, OSError) as exc:
                if isinstance(exc, SourceFetchError):
                    raise
                limits.timeout(url)
                continue
        if total is None or received == total:
            part.replace(target)
            return declared
        if received > total:
            part.unlink()  # longer than announced: never resume from it
    raise SourceFetchError(
        f"téléchargement de « {source.id} » interrompu {retries + 1} fois ({url}) ; "
        f"relancez la commande : il reprendra où il s'est arrêté ({part}).",
        source=source.id,
        url=url,
        path=part,
    )


def _corrupted(
    source: Source, path: Path, expected: str, found: str
) -> SourceFetchError:
    return SourceFetchError(
        f"fichier en cache corrompu pour « {source.id} » : {path} (SHA-256 "
        f"{found[:12]}… au lieu de {expected[:12]}…). Retéléchargez-le avec "
        "refresh=True (territobs fetch ... --refresh).",
        path=path,
        source=source.id,
        expected=expected,
        found=found,
    )


def fetch(
    source_id: str,
    *,
    year: int,
    departement: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    offline: bool = False,
    refresh: bool = False,
    base_url: str | None = None,
    progress: bool = False,
    retries: int = 3,
    deadline: float = DEADLINE,
    max_bytes: int | None = None,
    max_extracted_bytes: int = MAX_EXTRACTED_BYTES,
    max_ratio: float = MAX_RATIO,
) -> Path:
    """Download an official source (or take it from the cache) and verify it.

    Parameters
    ----------
    source_id : str
        Registry id (:func:`territobs.fetch.list_sources`).
    year : int
        Vintage.
    departement : str, optional
        Département code, for sources published by département.
    cache_dir : str or path-like, optional
        Cache root (default ``$TERRITOBS_CACHE_DIR`` or the user cache).
    offline : bool, default False
        Use only the cache; never touch the network.
    refresh : bool, default False
        Download again even if cached (after a corruption was reported).
    base_url : str, optional
        Replace the scheme and host of the registry URL (mirrors, tests).
    progress : bool, default False
        Show a progress bar on stderr.
    retries : int, default 3
        How many times an interrupted transfer is resumed.
    deadline : float, default 3600
        Overall time limit of the download in seconds (not per read: a server
        that drips bytes is cut off too).
    max_bytes : int, optional
        Size cap of the download (default: the registry's ``max_size``, else
        4 GiB); a larger announced or received body is refused.
    max_extracted_bytes, max_ratio : optional
        Limits of the archive extraction against decompression bombs
        (:func:`territobs.fetch.safe_extract`).

    Returns
    -------
    pathlib.Path
        The downloaded file, or, for archives with member patterns, the
        directory the matching members were extracted to.

    Raises
    ------
    SourceFetchError
        Network failure; source moved (HTTP 404/410 or an HTML page instead of
        the file: the message names the registry entry to update); checksum
        mismatch (cached file corrupted, or not the published file); offline
        with nothing cached; unsafe archive member.
    ConfigError
        Unknown source id.

    Notes
    -----
    A first download is pinned in ``manifest.json`` (URL, size, SHA-256) only
    once it is verified: against the registry's ``sha256`` when it has one,
    else by its content (:func:`territobs.fetch.verify.check_payload`: declared
    length, no HTML page, magic bytes, archive members, CSV header and last
    line). A body whose length the server did not declare is downloaded twice
    and must be identical. Every later call checks the SHA-256. Archives are
    extracted into ``extrait-<first 12 hex digits of the SHA-256>/``, a fresh
    folder per archive version.

    Examples
    --------
    Skipped by the doctests: it downloads from insee.fr (the tests of
    :mod:`territobs.fetch` serve the files from a local HTTP server).

    >>> path = fetch("insee-cog-mouvements", year=2024)  # doctest: +SKIP
    """
    source = get_source(source_id)
    url = _with_base(source.url_for(year, departement), base_url)
    root = resolve_cache_dir(cache_dir)
    folder = Path(source.id, str(year), departement or "")
    suffix = source.format
    name = f"{source.id}-{year}{'-' + departement if departement else ''}.{suffix}"
    target = root / folder / name
    key = (folder / name).as_posix()
    manifest = _read_manifest(root, refresh=refresh and not offline)
    if refresh and not offline:
        target.unlink(missing_ok=True)
        manifest.pop(key, None)
    if target.exists() and key in manifest:
        found = _sha256(target)
        expected = str(manifest[key]["sha256"])
        if found != expected:
            raise _corrupted(source, target, expected, found)
    elif offline:
        raise SourceFetchError(
            f"mode hors ligne : « {source.id} » {year}"
            f"{' (département ' + departement + ')' if departement else ''} n'est "
            f"pas dans le cache ({root}). Téléchargez-le d'abord sans --offline.",
            source=source.id,
            path=target,
        )
    else:
        limits = _Limits(source, deadline, max_bytes or source.max_size or MAX_BYTES)
        target.parent.mkdir(parents=True, exist_ok=True)
        found = _download_verified(
            source, url, target, limits, progress, retries, source.sha256(year)
        )
        manifest[key] = {
            "url": url,
            "sha256": found,
            "size": target.stat().st_size,
            "downloaded": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        _write_manifest(root, manifest)
    if source.format in _ARCHIVES and source.members:
        return _extracted(
            source,
            target,
            found,
            members=source.members,
            max_extracted_bytes=max_extracted_bytes,
            max_ratio=max_ratio,
        )
    return target


def _download_verified(
    source: Source,
    url: str,
    target: Path,
    limits: _Limits,
    progress: bool,
    retries: int,
    published: str | None,
) -> str:
    """Download ``target`` and check it before it may be pinned; return its SHA-256."""
    declared = _download(
        source, url, target, progress=progress, retries=retries, limits=limits
    )
    found = _sha256(target)
    if published is not None:
        if found != published:
            target.unlink()
            raise SourceFetchError(
                f"« {source.id} » : le fichier téléchargé n'est pas celui du "
                f"registre (SHA-256 {found[:12]}… au lieu de {published[:12]}…) ; "
                f"vérifiez {source.landing}.",
                source=source.id,
                url=url,
            )
        return found
    try:
        check_payload(source, target, declared=declared)
        if not declared:
            # No declared length: a transfer cut short looks complete. A
            # second download must give the same bytes.
            second = target.with_name(target.name + ".check")
            _download(source, url, second, progress=False, retries=0, limits=limits)
            again = _sha256(second)
            second.unlink()
            if again != found:
                raise SourceFetchError(
                    f"« {source.id} » : le serveur n'annonce pas la taille du "
                    "fichier et deux téléchargements diffèrent (transfert tronqué ?) ; "
                    f"rien n'a été conservé. Relancez plus tard ({url}).",
                    source=source.id,
                    url=url,
                )
    except SourceFetchError:
        target.unlink(missing_ok=True)
        raise
    return found


def _extracted(source: Source, archive: Path, sha256: str, **options: object) -> Path:
    """Extract ``archive`` once into a folder of its own version; return the folder."""
    out = archive.parent / f"extrait-{sha256[:12]}"
    if out.is_dir() and not out.is_symlink():
        return out
    tmp = archive.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        safe_extract(archive, tmp, **options)  # type: ignore[arg-type]
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def verify_cache(cache_dir: str | os.PathLike[str] | None = None) -> dict[str, bool]:
    """Check every file of the cache against its recorded checksum.

    Parameters
    ----------
    cache_dir : str or path-like, optional
        Cache root.

    Returns
    -------
    dict
        ``{relative path: ok}``; a missing file counts as not ok.
    """
    root = resolve_cache_dir(cache_dir)
    manifest = _read_manifest(root)
    return {
        key: (root / key).exists() and _sha256(root / key) == entry["sha256"]
        for key, entry in manifest.items()
    }
