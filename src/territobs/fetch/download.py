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
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from territobs.errors import SourceFetchError
from territobs.fetch.extract import safe_extract
from territobs.fetch.registry import Source, get_source

__all__ = ["fetch", "resolve_cache_dir", "verify_cache"]

CHUNK = 1 << 16
MANIFEST = "manifest.json"
USER_AGENT = "territobs (https://territobs.readthedocs.io)"
_ARCHIVES = {"zip", "7z", "tar", "tar.gz", "tgz"}


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


def _read_manifest(root: Path) -> dict[str, dict[str, object]]:
    path = root / MANIFEST
    if not path.exists():
        return {}
    return json.loads(path.read_text("utf-8"))


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

    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


def _download(
    source: Source, url: str, target: Path, *, progress: bool, retries: int
) -> None:
    part = target.with_name(target.name + ".part")
    for _ in range(retries + 1):
        offset = part.stat().st_size if part.exists() else 0
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        if offset:
            request.add_header("Range", f"bytes={offset}-")
        try:
            response = urllib.request.urlopen(request, timeout=60)
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
            raise SourceFetchError(
                f"téléchargement de « {source.id} » impossible ({url}) : {exc}. "
                "Vérifiez la connexion, ou utilisez le cache (--offline).",
                source=source.id,
                url=url,
            ) from exc
        with response:
            kind = response.headers.get_content_type()
            if kind == "text/html" and source.format != "html":
                raise _moved(source, response.geturl(), "page HTML au lieu du fichier")
            resumed = response.status == 206
            mode = "ab" if resumed else "wb"
            length = response.headers.get("Content-Length")
            expected = int(length) if length is not None else None
            received = 0
            total = (offset if resumed else 0) + (expected or 0) or None
            try:
                with (
                    open(part, mode) as fh,
                    _progress(total, source.id, progress) as update,
                ):
                    if resumed:
                        update(offset)
                    while block := response.read(CHUNK):
                        fh.write(block)
                        received += len(block)
                        update(len(block))
            except (http.client.IncompleteRead, OSError):
                received = -1
        if expected is None or received == expected:
            part.replace(target)
            return
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
    The SHA-256 of a file is recorded in ``manifest.json`` at first download
    (and compared to the registry's ``sha256`` when it has one) and checked
    on every later call.

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
    manifest = _read_manifest(root)
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
        target.parent.mkdir(parents=True, exist_ok=True)
        _download(source, url, target, progress=progress, retries=retries)
        found = _sha256(target)
        published = source.sha256(year)
        if published is not None and found != published:
            target.unlink()
            raise SourceFetchError(
                f"« {source.id} » {year} : le fichier téléchargé n'est pas celui du "
                f"registre (SHA-256 {found[:12]}… au lieu de {published[:12]}…) ; "
                f"vérifiez {source.landing}.",
                source=source.id,
                url=url,
            )
        manifest[key] = {
            "url": url,
            "sha256": found,
            "size": target.stat().st_size,
            "downloaded": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        _write_manifest(root, manifest)
    if source.format in _ARCHIVES and source.members:
        out = target.parent / "extrait"
        safe_extract(target, out, members=source.members)
        return out
    return target


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
