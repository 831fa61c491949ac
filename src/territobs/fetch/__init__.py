"""Download official sources (IGN, INSEE, CAF) into a verified local cache.

The addresses live in one declarative registry, ``sources.toml``;
:func:`fetch` downloads (resumably), records and verifies SHA-256 checksums,
and extracts archives safely.
"""

from __future__ import annotations

from territobs.fetch.download import fetch, resolve_cache_dir, verify_cache
from territobs.fetch.extract import safe_extract
from territobs.fetch.registry import Source, get_source, list_sources

__all__ = [
    "Source",
    "fetch",
    "get_source",
    "list_sources",
    "resolve_cache_dir",
    "safe_extract",
    "verify_cache",
]
