"""Links of the atlas pages: French names of output formats, hrefs, index entries.

Shared by the index page (:mod:`territobs.atlas.index`, which re-exports
these names), the evolution pages (:mod:`territobs.atlas.evolution`) and the
scenario comparisons (:mod:`territobs.atlas.scenarios`), so that none of them
imports another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

__all__ = ["FORMAT_LABELS", "IndexZoning", "href"]

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


@dataclass
class IndexZoning:
    """What the index lists for one zoning.

    Parameters
    ----------
    id, label : str
        Zoning id and French label.
    tables : list of (str, str)
        ``(format label, href)`` of the result tables.
    maps : list of (str, list of (str, str))
        ``(indicator label, [(format label, href)...])``.
    portraits : list of (str, str, str)
        ``(zone name, HTML href, CSV href)``.
    n_zones : int, optional
        Number of zones of the zoning, when the portraits listed are not one
        per zone (portraits of change are listed after the zones' own).
    count_text : str, optional
        What the summary says in brackets instead of « n zones » (a
        comparison of scenarios: « 3 scénarios de 4 à 5 zones »).
    """

    id: str
    label: str
    tables: list[tuple[str, str]] = field(default_factory=list)
    maps: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    portraits: list[tuple[str, str, str]] = field(default_factory=list)
    n_zones: int | None = None
    count_text: str | None = None
