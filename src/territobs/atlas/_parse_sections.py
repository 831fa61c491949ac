"""Parsing of each section of an atlas configuration.

One function per TOML section, each recording every problem with its key
path in the :class:`territobs._toml.Problems` of the document (nothing stops
at the first problem), and :func:`check_links` for the cross references
between sections. :func:`territobs.atlas.config.parse_config` calls them in
file order.

Standard library only, like :mod:`territobs.atlas.config`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from territobs._toml import Problems as _Problems
from territobs._toml import Table as _Table
from territobs._toml import array, unique_ids
from territobs.atlas._sections import (
    DEMO_DATASETS,
    MAP_FORMATS,
    READERS,
    SCHEMES,
    WEIGHT_METHODS,
    ZONE_KINDS,
    EvolutionConfig,
    MapOptions,
    PublicationConfig,
    ReferenceConfig,
    SecrecyConfig,
    SourceConfig,
    TerritoryConfig,
    ZoningConfig,
)


def _file(table: _Table, name: str, base: Path) -> Path | None:
    value = table.get(name, str)
    if value is None:
        return None
    path = (base / value).resolve()
    if not path.is_file():
        table.problems.add(table.sub(name), f"fichier « {path} » introuvable")
    return path


def _parse_source(table: _Table, base: Path) -> SourceConfig:
    ident = table.ident()
    demo = table.get("demo", str, choices=DEMO_DATASETS)
    departements = table.strings("departements")
    has_path = table.has("path")
    if table.has("demo") == has_path:
        table.problems.add(
            table.key, "indiquez soit « demo » (jeu de démonstration) soit « path »"
        )
    path = _file(table, "path", base)
    reader = table.get("reader", str, choices=READERS, required=has_path)
    if demo is not None and table.has("reader"):
        table.problems.add(
            table.sub("reader"), "« reader » ne s'applique qu'à un fichier (« path »)"
        )
    if has_path and departements:
        table.problems.add(
            table.sub("departements"),
            "« departements » ne s'applique qu'à un jeu de démonstration",
        )
    options = table.get("options", dict, {})
    table.finish()
    return SourceConfig(
        id=ident,
        demo=demo,
        departements=departements,
        path=path,
        reader=reader,
        options=tuple(sorted(options.items())),
        section=table.data,
    )


def _parse_members(table: _Table, base: Path) -> tuple[Path | None, tuple]:
    value = table.data.get("members")
    table.known.add("members")
    if isinstance(value, str):
        return _file(table, "members", base), ()
    if isinstance(value, dict) and value:
        inline = []
        for zone, codes in value.items():
            if not (
                isinstance(codes, list)
                and codes
                and all(isinstance(c, str) for c in codes)
            ):
                table.problems.add(
                    f"{table.sub('members')}.{zone}",
                    "une liste non vide de codes (chaînes entre guillemets, "
                    f'par ex. ["93001"]) est attendue, trouvé {codes!r}',
                )
                continue
            inline.append((zone, tuple(codes)))
        return None, tuple(inline)
    table.problems.add(
        table.sub("members"),
        "le chemin d'une table d'appartenance ou une table "
        f"{{ zone = [codes] }} est attendu, trouvé {value!r}",
    )
    return None, ()


def _parse_zoning(table: _Table, base: Path) -> ZoningConfig:
    ident = table.ident()
    label = table.get("label", str, ident or "")
    kinds = [k for k in ZONE_KINDS if table.has(k)]
    if len(kinds) != 1:
        found = ", ".join(kinds) if kinds else "aucune"
        table.problems.add(
            table.key,
            "exactement une des clés « members », « polygons », « attribute », "
            f"« units » est attendue (trouvé : {found})",
        )
    kind = kinds[0] if kinds else "units"
    path: Path | None = None
    inline: tuple = ()
    attribute = None
    if table.has("members"):
        path, inline = _parse_members(table, base)
    if table.has("polygons"):
        path = _file(table, "polygons", base)
    attribute = table.get("attribute", str)
    units = table.get("units", bool)
    if units is False:
        table.problems.add(table.sub("units"), "seule la valeur true a un sens")
    method = table.get("method", str, "auto", choices=WEIGHT_METHODS)
    if kind in ("members", "attribute", "units") and method in ("area", "population"):
        table.problems.add(
            table.sub("method"),
            f"des zones « {kind} » sont faites d'unités entières : "
            "méthode « exact » ou « auto » attendue",
        )
    zoning = ZoningConfig(
        id=ident,
        label=label,
        kind=kind,
        path=path,
        inline_members=inline,
        attribute=attribute,
        name_column=table.get("name_column", str),
        zone_column=table.get("zone_column", str),
        code_column=table.get("code_column", str),
        method=method,
        references=table.strings("references"),
        maps=table.strings("maps"),
        portraits=table.get("portraits", bool, True),
        partition=_partition(table, kind),
        departements=_zoning_departements(table, kind),
        section=table.data,
        member_level=table.get(
            "member_level",
            str,
            choices=("commune", "epci", "departement", "region"),
        ),
        parent_column=table.get("parent_column", str),
        names=_zone_names(table),
        outlines=table.strings("outline", allow_scalar=True),
    )
    if zoning.member_level and kind != "members":
        table.problems.add(
            table.sub("member_level"),
            "« member_level » ne s'applique qu'aux zonages « members »",
        )
    table.finish()
    return zoning


def _zone_names(table: _Table) -> tuple[tuple[str, str], ...]:
    """``names = { zone = "Nom" }``: labels of zones, whatever their source."""
    names = table.get("names", dict, {})
    out = []
    for zone, label in names.items():
        if not isinstance(label, str) or not label.strip():
            table.problems.add(
                f"{table.sub('names')}.{zone}",
                f"un nom (chaîne non vide) est attendu, trouvé {label!r}",
            )
            continue
        out.append((str(zone), label.strip()))
    return tuple(out)


def _zoning_departements(table: _Table, kind: str) -> tuple[str, ...]:
    """``departements`` of a zoning: only for groupings and the units."""
    codes = table.strings("departements")
    if codes and kind not in ("attribute", "units"):
        table.problems.add(
            table.sub("departements"),
            "« departements » ne s'applique qu'aux zonages « attribute » et "
            "« units » (les autres zonages disent eux-mêmes leurs zones)",
        )
    return codes


def _partition(table: _Table, kind: str) -> bool:
    """``partition``: a boolean; the units themselves always are one."""
    value = table.get("partition", bool)
    if kind == "units":
        if value is False:
            table.problems.add(
                table.sub("partition"),
                "les unités elles-mêmes forment toujours une partition du "
                "territoire : retirez « partition = false »",
            )
        return True
    return bool(value)


def _parse_reference(table: _Table) -> ReferenceConfig:
    ident = table.ident()
    label = table.get("label", str, ident or "")
    kinds = [k for k in ("departement", "all", "column") if table.has(k)]
    if len(kinds) != 1:
        table.problems.add(
            table.key,
            "exactement une des clés « departement », « all », « column » est attendue",
        )
    kind = kinds[0] if kinds else "all"
    codes: tuple[str, ...] = ()
    column = None
    if kind == "departement":
        value = table.data["departement"]
        table.known.add("departement")
        if value != "auto":
            codes = table.strings("departement", allow_scalar=True)
    if kind == "all":
        if table.get("all", bool) is not True:
            table.problems.add(table.sub("all"), "seule la valeur true a un sens")
    if kind == "column":
        column = table.get("column", str)
        codes = table.strings("values")
    elif table.has("values"):
        codes = table.strings("values")
        table.problems.add(
            table.sub("values"), "« values » ne s'applique qu'avec « column »"
        )
    name = table.get("name", str)
    table.finish()
    return ReferenceConfig(
        id=ident,
        label=label,
        kind=kind,
        codes=codes,
        column=column,
        name=name,
        section=table.data,
    )


def _parse_maps(table: _Table) -> MapOptions:
    scheme = table.get("scheme", str, "quantiles")
    normalized = scheme.lower().replace("-", "_").replace(" ", "_")
    if normalized not in SCHEMES:
        table.problems.add(
            table.sub("scheme"),
            f"méthode de classification « {scheme} » inconnue (valeurs : "
            + ", ".join(SCHEMES)
            + ")",
        )
    k = table.get("k", int, 5)
    if not 2 <= k <= 9:
        table.problems.add(table.sub("k"), f"entre 2 et 9 classes, trouvé {k}")
    breaks = table.get("breaks", list, [])
    numbers = [
        b for b in breaks if isinstance(b, (int, float)) and not isinstance(b, bool)
    ]
    if len(numbers) != len(breaks) or sorted(set(numbers)) != numbers:
        table.problems.add(
            table.sub("breaks"),
            f"une liste de nombres croissants est attendue, trouvé {breaks!r}",
        )
    if normalized == "manual" and not breaks:
        table.problems.add(
            table.sub("breaks"), "la classification « manual » demande des seuils"
        )
    options = MapOptions(
        scheme=normalized,
        k=k,
        breaks=tuple(float(b) for b in numbers),
        shared_breaks=table.get("shared_breaks", bool, False),
        palette=table.get("palette", str),
        formats=table.strings("formats", ("html", "png", "pdf"), choices=MAP_FORMATS),
        section=table.data,
        paper=table.get("paper", str, "A4", choices=("A4", "A3")),
        orientation=table.get(
            "orientation", str, "landscape", choices=("landscape", "portrait")
        ),
    )
    table.finish()
    return options


def _parse_secrecy(table: _Table, problems: _Problems) -> SecrecyConfig:
    enabled = table.get("enabled", bool, True)
    rules = table.get("rules", dict, {})
    for rule_id, rule in rules.items():
        if not isinstance(rule, dict):
            problems.add(f"{table.sub('rules')}.{rule_id}", "une table est attendue")
    assignment = table.get("indicators", dict, {"*": "rp"})
    for indicator, rule_id in assignment.items():
        if not isinstance(rule_id, str):
            problems.add(
                f"{table.sub('indicators')}.{indicator}",
                f"l'identifiant d'une règle est attendu, trouvé {rule_id!r}",
            )
    table.finish()
    return SecrecyConfig(
        enabled=enabled,
        rules=tuple(
            sorted((k, dict(v)) for k, v in rules.items() if isinstance(v, dict))
        ),
        assignment=tuple(sorted(assignment.items())),
        section=table.data,
    )


def _parse_publication(table: _Table, problems: _Problems) -> PublicationConfig:
    from territobs.schema import APPROXIMATIONS

    table.known.add("min_coverage")
    minimum = table.data.get("min_coverage")
    if minimum is not None and (
        isinstance(minimum, bool)
        or not isinstance(minimum, int | float)
        or not 0 <= minimum <= 1
    ):
        problems.add(
            table.sub("min_coverage"),
            f"une part entre 0 et 1 est attendue (0.9 pour 90 %), trouvé {minimum!r}",
        )
        minimum = None
    approximations = table.get("approximations", dict, {})
    for indicator, name in approximations.items():
        if name not in APPROXIMATIONS:
            names = ", ".join(f"« {a} »" for a in APPROXIMATIONS)
            problems.add(
                f"{table.sub('approximations')}.{indicator}",
                f"approximation {name!r} inconnue (approximations : {names})",
            )
    gap = table.get("max_vintage_gap", int, 2)
    if gap < 0:
        problems.add(table.sub("max_vintage_gap"), "un entier positif est attendu")
    publication = PublicationConfig(
        min_coverage=None if minimum is None else float(minimum),
        coverage_by=table.get(
            "coverage_by", str, "units", choices=("units", "population")
        ),
        reference=table.get("reference", str),
        approximations=tuple(
            sorted((k, v) for k, v in approximations.items() if isinstance(v, str))
        ),
        max_vintage_gap=gap,
        section=table.data,
    )
    table.finish()
    return publication


def _check_links(config_parts: dict[str, Any], problems: _Problems) -> None:
    """Check cross references: ids used by territory, zonings and maps."""
    sources = {s.id for s in config_parts["sources"]}
    territory: TerritoryConfig = config_parts["territory"]
    if territory.units and territory.units not in sources:
        problems.add("territory.units", f"source « {territory.units} » inconnue")
    for i, table_id in enumerate(territory.tables):
        if table_id not in sources:
            problems.add(f"territory.tables[{i}]", f"source « {table_id} » inconnue")
    zonings = [z.id for z in config_parts["zonings"]]
    references = [r.id for r in config_parts["references"]]
    for name in set(zonings) & set(references):
        problems.add(
            "references",
            f"« {name} » est à la fois une zone et une référence : renommez l'une",
        )
    indicators = config_parts["indicators"]
    for i, zoning in enumerate(config_parts["zonings"]):
        for j, ref in enumerate(zoning.references):
            if ref not in zonings and ref not in references:
                problems.add(
                    f"zones[{i}].references[{j}]",
                    f"« {ref} » n'est ni une référence ([[references]]) ni une zone",
                )
            elif ref == zoning.id:
                problems.add(
                    f"zones[{i}].references[{j}]",
                    "une zone ne se compare pas à elle-même",
                )
        for j, other in enumerate(zoning.outlines):
            if other not in zonings or other == zoning.id:
                problems.add(
                    f"zones[{i}].outline[{j}]",
                    f"« {other} » n'est pas une autre zone de l'atlas ([[zones]])",
                )
        for j, indicator in enumerate(zoning.maps):
            if indicator not in indicators:
                problems.add(
                    f"zones[{i}].maps[{j}]",
                    f"indicateur « {indicator} » absent de « indicators »",
                )


def parse_evolutions(
    doc: _Table, problems: _Problems, zonings: Sequence[str]
) -> tuple[EvolutionConfig, ...]:
    """Read the ``[[evolutions]]`` tables of a config document.

    Every problem is recorded with its key path (``evolutions[0].start``)
    in ``problems`` (see :mod:`territobs.atlas.config`); documented in
    :mod:`territobs.atlas.evolution`.

    Parameters
    ----------
    doc : territobs._toml.Table
        The root table of the document.
    problems : territobs._toml.Problems
        Where problems are recorded.
    zonings : sequence of str
        Ids of the config's zonings.

    Returns
    -------
    tuple of EvolutionConfig
    """
    tables = array(doc, "evolutions", problems)
    raw_references = getattr(doc, "data", {}).get("references", [])
    references = [
        str(r.get("id"))
        for r in (raw_references if isinstance(raw_references, list) else [])
        if isinstance(r, dict)
    ]
    out = []
    for table in tables:
        indicators = table.strings("indicators")
        if not table.has("indicators"):
            problems.add(table.sub("indicators"), "clé obligatoire absente")
        elif not indicators:
            problems.add(table.sub("indicators"), "au moins un indicateur est attendu")
        start = table.get("start", int, required=True)
        end = table.get("end", int, required=True)
        if start is not None and end is not None and start >= end:
            problems.add(
                table.sub("end"),
                f"la fin ({end}) doit suivre le début ({start}) de l'évolution",
            )
        chosen = table.strings("zonings", tuple(zonings), allow_scalar=True)
        for i, zoning in enumerate(chosen):
            if zoning not in zonings:
                problems.add(
                    f"{table.sub('zonings')}[{i}]",
                    f"« {zoning} » n'est pas une zone de l'atlas ([[zones]])",
                )
        geography = table.get("geography", str, "")
        centre = table.get("centre", str, "")
        if centre and centre not in references:
            problems.add(
                table.sub("centre"),
                f"« {centre} » n'est pas un territoire de référence ([[references]]) : "
                "les cartes d'évolution se centrent sur l'évolution d'une référence",
            )
        portraits = table.get("portraits", bool, None)
        ident = (
            table.ident()
            if table.has("id")
            else (f"{start}-{end}" if start is not None and end is not None else "")
        )
        table.finish()
        out.append(
            EvolutionConfig(
                id=ident,
                indicators=indicators,
                start=start or 0,
                end=end or 0,
                zonings=chosen,
                geography=geography,
                centre=centre or "",
                portraits=portraits,
                section=table.data,
            )
        )
    # two evolutions without id over the same vintages would share files
    unique_ids(tables, [e.id for e in out], problems)
    return tuple(out)


def _parse_link(table: _Table) -> tuple[str, str]:
    """Read one ``[[links]]`` table: a page shown under « Voir aussi » on the index.

    ``href`` is relative to the atlas folder (another atlas built beside it,
    a guide saved with it): never an address on the internet, so that the
    atlas still opens offline, and never an absolute path of this machine.
    """
    label = table.get("label", str, "", required=True)
    href = table.get("href", str, "", required=True)
    if href and (
        ":" in href.split("/", 1)[0] or href.startswith(("/", "\\")) or "\\" in href
    ):
        table.problems.add(
            table.sub("href"),
            f"« {href} » : un chemin relatif au dossier de l'atlas est attendu "
            "(par exemple « evolution/index.html ») ; ni adresse internet ni chemin "
            "absolu, pour que l'atlas s'ouvre hors ligne et sur un autre poste",
        )
    table.finish()
    return label, href
