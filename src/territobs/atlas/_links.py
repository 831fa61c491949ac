"""Links of the atlas pages: the French names of output formats and hrefs.

Shared by the index page (:mod:`territobs.atlas.index`, which re-exports
both names) and the evolution pages (:mod:`territobs.atlas.evolution`), so
that neither imports the other.
"""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["FORMAT_LABELS", "href"]

#: French names of the output formats, in the order they are listed.
FORMAT_LABELS = {
    "html": "carte interactive (HTML)",
    "png": "image (PNG)",
    "svg": "image (SVG)",
    "pdf": "PDF",
    "csv": "CSV",
    "xlsx": "Excel (XLSX)",
}


def href(path: str) -> str:
    """Percent-encode a relative POSIX path for an ``href`` attribute."""
    return quote(path, safe="/")
