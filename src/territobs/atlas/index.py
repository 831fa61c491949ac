"""The atlas index page: one self-contained French HTML page linking everything.

The page is built from the manifest alone (labels, file paths, sources and
warnings recorded by the steps), so writing it reads no data file. Links are
relative: the output folder can be zipped, moved or put on a shared drive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from territobs.atlas._links import FORMAT_LABELS, IndexZoning, href

if TYPE_CHECKING:  # pragma: no cover
    import jinja2

    from territobs.atlas.cache import Manifest

__all__ = [
    "JOURNAL",
    "IndexZoning",
    "index_from_manifest",
    "journal_from_manifest",
    "render_index",
    "render_journal",
    "summary_lines",
]

#: File name of the build journal (technical warnings), beside the index.
JOURNAL = "journal.html"


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


def summary_lines(
    zonings: Sequence[IndexZoning],
    sources: Sequence[Mapping[str, Any]],
    totals: Mapping[str, int],
    n_warnings: int,
) -> list[str]:
    """Return the plain-language summary of an atlas, one French sentence each.

    What was computed and on which zones, from which sources and vintages,
    what is estimated, masked or partial and why, and where the technical
    remarks are.

    Parameters
    ----------
    zonings : sequence of IndexZoning
    sources : sequence of mapping
        ``{"label", "source", "vintage"}`` per indicator.
    totals : mapping
        ``estimated``, ``secret``, ``incomplete`` counts.
    n_warnings : int
        Remarks in the build journal.

    Returns
    -------
    list of str

    Examples
    --------
    >>> lines = summary_lines([IndexZoning("b", "Bassins")],
    ...     [{"label": "Population", "source": "INSEE", "vintage": "2021"}],
    ...     {"estimated": 0, "secret": 2}, 0)
    >>> lines[0]
    'Cet atlas présente 1 indicateur (Population) sur 1 découpage du territoire : Bassins.'
    >>> lines[3].startswith("2 valeurs sont masquées")
    True
    """
    from territobs.formatting import count_of

    labels = list(dict.fromkeys(str(row.get("label", "")) for row in sources))
    labels = [label for label in labels if label]
    if not labels:
        labels = list(dict.fromkeys(label for z in zonings for label, _ in z.maps))
    zoning_texts = []
    for zoning in zonings:
        n = zoning.n_zones if zoning.n_zones is not None else len(zoning.portraits)
        count = zoning.count_text or (count_of(n, "zone") if n else "")
        zoning_texts.append(f"{zoning.label} ({count})" if count else zoning.label)
    lines = [
        f"Cet atlas présente {count_of(len(labels), 'indicateur')}"
        + (f" ({', '.join(labels)})" if labels else "")
        + f" sur {count_of(len(zonings), 'découpage')} du territoire : "
        + " ; ".join(zoning_texts)
        + "."
    ]
    texts = {str(row.get("vintage") or "").strip() for row in sources}
    shared = len(texts) == 1 and not next(iter(texts)).isdigit() and len(sources) > 1
    # one entry per source file and vintage, naming the indicators it gives
    by_source: dict[tuple[str, str], list[str]] = {}
    for row in sources:
        source = str(row.get("source") or "source non renseignée")
        vintage = str(row.get("vintage") or "").strip()
        by_source.setdefault((source, "" if shared else vintage), []).append(
            str(row.get("label", ""))
        )
    source_texts = []
    for (source, vintage), labels in by_source.items():
        text = source
        if vintage:
            text += f", millésime {vintage}" if vintage.isdigit() else f" ({vintage})"
        source_texts.append(f"{text} : {', '.join(labels)}")
    if source_texts:
        lines.append("Sources : " + " ; ".join(source_texts) + ".")
    else:
        lines.append("Les sources ne sont pas renseignées.")
    if shared and next(iter(texts)):
        lines.append(f"Millésimes : {next(iter(texts))}.")
    estimated = int(totals.get("estimated", 0) or 0)
    secret = int(totals.get("secret", 0) or 0)
    # the published states when the results carry them (older manifests:
    # rows flagged incomplete)
    partial = int(totals.get("partial", totals.get("incomplete", 0)) or 0)
    missing = int(totals.get("missing", 0) or 0)
    if estimated:
        lines.append(
            f"{count_of(estimated, 'valeur est estimée', 'valeurs sont estimées')} "
            ": leur zone coupe des communes ou des IRIS, répartis selon la "
            "surface ou la population ; la part estimée de chaque valeur est "
            "indiquée sur les cartes, les tableaux et les portraits."
        )
    else:
        lines.append(
            "Aucune valeur n'est estimée : chaque zone est formée d'unités entières."
        )
    if secret:
        lines.append(
            f"{count_of(secret, 'valeur est masquée', 'valeurs sont masquées')} "
            "(secret statistique) : elles porteraient sur trop peu de personnes, "
            "ou permettraient d'en recalculer une autre ; elles ne figurent dans "
            "aucun fichier."
        )
    else:
        lines.append("Aucune valeur n'est masquée par le secret statistique.")
    if partial:
        lines.append(
            f"{count_of(partial, 'valeur est partielle', 'valeurs sont partielles')} "
            ": elles portent sur la partie de la zone couverte par des données, "
            "selon le choix de publication de l'atlas ; leur couverture est "
            "indiquée à côté de la valeur."
        )
    if missing:
        lines.append(
            f"{count_of(missing, 'valeur manque', 'valeurs manquent')} "
            "(donnée manquante) : les fichiers sources n'ont pas de donnée pour "
            "la zone ; ce n'est ni un zéro ni un secret."
        )
    if n_warnings:
        lines.append(
            f"{count_of(n_warnings, 'remarque technique', 'remarques techniques')} "
            "de la construction sont consignées dans le journal de construction."
        )
    return lines


def _by_indicator(
    zonings: Sequence[IndexZoning],
) -> list[tuple[str, list[tuple[str, str, list[tuple[str, str]]]]]]:
    """Return the maps by indicator: ``(label, [(zoning id, label, links)])``."""
    out: dict[str, list[tuple[str, str, list[tuple[str, str]]]]] = {}
    for zoning in zonings:
        for label, links in zoning.maps:
            out.setdefault(label, []).append((zoning.id, zoning.label, links))
    return list(out.items())


def render_index(
    title: str,
    zonings: Sequence[IndexZoning],
    *,
    sources: Sequence[Mapping[str, Any]] = (),
    warnings: Sequence[str] = (),
    totals: Mapping[str, int] | None = None,
    built_at: dt.datetime | None = None,
    links: Sequence[tuple[str, str]] = (),
) -> str:
    """Render the index page.

    It opens on a plain-language summary (:func:`summary_lines`), then lets
    partners find a map by zoning or by indicator. The technical warnings
    of the build are not shown here but on the separate journal page
    (:func:`render_journal`), linked from the summary.

    Parameters
    ----------
    title : str
        Atlas title.
    zonings : sequence of IndexZoning
        What to list, zoning by zoning.
    sources : sequence of mapping
        ``{"indicator", "label", "source", "vintage"}`` per indicator.
    warnings : sequence of str
        French warnings of the build (counted; listed in the journal).
    totals : mapping, optional
        ``estimated``, ``secret``, ``incomplete`` counts of published values.
    built_at : datetime, optional
        Build date (default: now).
    links : sequence of (str, str), optional
        ``(label, relative href)`` of related pages (another atlas built
        beside this one…), listed under « Voir aussi ».

    Returns
    -------
    str
        A whole HTML page with inline CSS and no external resource; every
        name taken from data is escaped.
    """
    from territobs.maps.legend import format_date

    built_at = built_at or dt.datetime.now()
    totals = dict(totals or {})
    return (
        _environment()
        .get_template("index.html.j2")
        .render(
            title=title,
            zonings=zonings,
            sources=sources,
            summary=summary_lines(zonings, sources, totals, len(warnings)),
            by_indicator=_by_indicator(zonings),
            journal=JOURNAL,
            n_warnings=len(warnings),
            totals=totals,
            built_on=f"{format_date(built_at.date())} à {built_at:%H:%M}",
            links=[(label, href(target)) for label, target in links],
        )
    )


def render_journal(
    title: str,
    warnings: Sequence[str],
    *,
    totals: Mapping[str, int] | None = None,
    built_at: dt.datetime | None = None,
) -> str:
    """Render the build journal: the technical warnings, for the analysts.

    Parameters
    ----------
    title : str
        Atlas title.
    warnings : sequence of str
        French warnings of the build.
    totals : mapping, optional
        ``estimated``, ``secret``, ``incomplete`` counts.
    built_at : datetime, optional

    Returns
    -------
    str
        A whole HTML page (escaped, offline), linking back to the index.
    """
    from territobs.maps.legend import format_date

    built_at = built_at or dt.datetime.now()
    return (
        _environment()
        .get_template("journal.html.j2")
        .render(
            title=title,
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
    links: Sequence[tuple[str, str]] = (),
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
    links : sequence of (str, str), optional
        Related pages, see :func:`render_index`.

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
        for step_id, record in steps.items():
            if step_id.startswith("evolution:"):
                from territobs.atlas.evolution import evolution_links

                tables, maps = evolution_links(record, zoning_id)
                entry.tables += tables
                entry.maps += maps
        portraits = steps.get(f"portraits:{zoning_id}")
        if portraits is not None:
            for zone, name, stem in portraits.stats.get("zones", []):
                entry.portraits.append(
                    (
                        name or zone,
                        href(portraits.outputs[f"{stem}.html"]["path"]),
                        href(portraits.outputs[f"{stem}.csv"]["path"]),
                    )
                )
        # one portrait per zone: counted before the portraits of change join them
        entry.n_zones = len(entry.portraits)
        for step_id, record in steps.items():  # portraits of change, after the zones'
            if step_id.startswith("evolution:"):
                from territobs.atlas.evolution import change_portrait_links

                entry.portraits += change_portrait_links(record, zoning_id)
        entries.append(entry)
    from territobs.atlas.scenarios import scenario_entries

    entries += scenario_entries(steps)
    secrecy = steps.get("secrecy")
    notes = _notes(manifest)
    return render_index(
        title,
        entries,
        sources=secrecy.stats.get("sources", []) if secrecy else [],
        warnings=notes,
        totals=secrecy.stats.get("totals", {}) if secrecy else {},
        built_at=built_at,
        links=links,
    )


def _notes(manifest: Manifest) -> list[str]:
    steps = manifest.steps
    return list(dict.fromkeys(n for step_id in steps for n in steps[step_id].notes))


def journal_from_manifest(
    title: str, manifest: Manifest, *, built_at: dt.datetime | None = None
) -> str:
    """Render the build journal from the records of a build.

    Parameters
    ----------
    title : str
        Atlas title.
    manifest : Manifest
    built_at : datetime, optional

    Returns
    -------
    str
        See :func:`render_journal`.
    """
    secrecy = manifest.steps.get("secrecy")
    return render_journal(
        title,
        _notes(manifest),
        totals=secrecy.stats.get("totals", {}) if secrecy else {},
        built_at=built_at,
    )
