"""The atlas index page: one self-contained French HTML page linking everything.

The page is built from the manifest alone (labels, file paths, sources and
warnings recorded by the steps), so writing it reads no data file. Links are
relative: the output folder can be zipped, moved or put on a shared drive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:  # pragma: no cover
    import jinja2

    from territobs.atlas.cache import Manifest

__all__ = ["IndexZoning", "index_from_manifest", "render_index"]

#: French names of the output formats, in the order they are listed.
FORMAT_LABELS = {
    "html": "carte interactive (HTML)",
    "png": "image (PNG)",
    "svg": "image (SVG)",
    "pdf": "PDF",
    "csv": "CSV",
    "xlsx": "Excel (XLSX)",
}


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
    """

    id: str
    label: str
    tables: list[tuple[str, str]] = field(default_factory=list)
    maps: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    portraits: list[tuple[str, str, str]] = field(default_factory=list)


def href(path: str) -> str:
    """Percent-encode a relative POSIX path for an ``href`` attribute."""
    return quote(path, safe="/")


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("territobs.atlas", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render_index(
    title: str,
    zonings: Sequence[IndexZoning],
    *,
    sources: Sequence[Mapping[str, Any]] = (),
    warnings: Sequence[str] = (),
    totals: Mapping[str, int] | None = None,
    built_at: dt.datetime | None = None,
) -> str:
    """Render the index page.

    Parameters
    ----------
    title : str
        Atlas title.
    zonings : sequence of IndexZoning
        What to list, zoning by zoning.
    sources : sequence of mapping
        ``{"indicator", "label", "source", "vintage"}`` per indicator.
    warnings : sequence of str
        French warnings of the build.
    totals : mapping, optional
        ``estimated``, ``secret``, ``incomplete`` counts of published values.
    built_at : datetime, optional
        Build date (default: now).

    Returns
    -------
    str
        A whole HTML page with inline CSS and no external resource; every
        name taken from data is escaped.
    """
    from territobs.maps.legend import format_date

    built_at = built_at or dt.datetime.now()
    return (
        _environment()
        .get_template("index.html.j2")
        .render(
            title=title,
            zonings=zonings,
            sources=sources,
            warnings=warnings,
            totals=dict(totals or {}),
            built_on=f"{format_date(built_at.date())} à {built_at:%H:%M}",
        )
    )


def _links(outputs: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    return [
        (FORMAT_LABELS[name], href(outputs[name]["path"]))
        for name in FORMAT_LABELS
        if name in outputs
    ]


def index_from_manifest(
    title: str,
    zonings: Sequence[tuple[str, str]],
    manifest: Manifest,
    *,
    built_at: dt.datetime | None = None,
) -> str:
    """Render the index page from the records of a build.

    Parameters
    ----------
    title : str
        Atlas title.
    zonings : sequence of (str, str)
        ``(id, label)`` of the zonings, in config order.
    manifest : Manifest
        Records of the ``table:``, ``map:``, ``portraits:`` and ``secrecy``
        steps.
    built_at : datetime, optional
        Build date (default: now).

    Returns
    -------
    str
        See :func:`render_index`.
    """
    steps = manifest.steps
    entries = []
    for zoning_id, label in zonings:
        entry = IndexZoning(zoning_id, label)
        if f"table:{zoning_id}" in steps:
            entry.tables = _links(steps[f"table:{zoning_id}"].outputs)
        prefix = f"map:{zoning_id}:"
        for step_id, record in steps.items():
            if step_id.startswith(prefix):
                name = record.stats.get("label", step_id[len(prefix) :])
                entry.maps.append((name, _links(record.outputs)))
        record = steps.get(f"portraits:{zoning_id}")
        if record is not None:
            for zone, name, stem in record.stats.get("zones", []):
                entry.portraits.append(
                    (
                        name or zone,
                        href(record.outputs[f"{stem}.html"]["path"]),
                        href(record.outputs[f"{stem}.csv"]["path"]),
                    )
                )
        entries.append(entry)
    secrecy = steps.get("secrecy")
    notes = list(dict.fromkeys(n for step_id in steps for n in steps[step_id].notes))
    return render_index(
        title,
        entries,
        sources=secrecy.stats.get("sources", []) if secrecy else [],
        warnings=notes,
        totals=secrecy.stats.get("totals", {}) if secrecy else {},
        built_at=built_at,
    )
