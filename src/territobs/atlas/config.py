"""Atlas configuration: a TOML file parsed into frozen dataclasses.

The whole file is checked before any work starts. Every problem found is
reported at once in one :class:`~territobs.errors.ConfigError` whose ``key``
names the first offending key path (``zones[2].members``) and whose
``problems`` lists every ``(key, message)`` pair.

This module imports only the standard library, so that a no-change refresh
can plan the build without loading pandas.

Schema (every path is relative to the folder of the config file)::

    title = "Atlas social"            # shown on the index page
    output = "../out/atlas"           # output folder
    catalog = "default"               # or the path of a catalogue TOML
    indicators = ["population"]       # computed on every zoning

    [[sources]]                       # one per data source
    id = "communes"
    demo = "communes"                 # a demo dataset of territobs.datasets,
    departements = ["93"]             #   restricted to these départements
    # path = "rp.csv"                 # or a file, read by
    # reader = "insee"                #   boundaries | insee | caf | grid | table
    # options = { vintage = 2021 }    #   extra keywords of the reader

    [territory]
    units = "communes"                # the source giving unit geometries
    tables = []                       # sources joined to them on ``code``

    [[zones]]                         # one per zoning: exactly one of
    id = "bassins"
    members = "bassins.csv"           #   membership table (or inline table)
    # polygons = "pst.geojson"        #   polygon file
    # attribute = "epci"              #   grouping of units by a column
    # units = true                    #   the units themselves
    # departements = ["01"]           # attribute/units: only the groups
                                      #   (or units) of these départements
    references = ["departement"]      # reference ids or other zoning ids
    maps = ["population"]             # indicators mapped (default: all)
    partition = true                  # zones cover the territory exactly
                                      #   once: coverage and conservation
                                      #   checked (default false; true for
                                      #   units = true)

    [[references]]
    id = "departement"
    departement = "auto"              # or a list of codes; or all = true;
                                      # or column = "REG", values = ["84"]

    [maps]
    scheme = "quantiles"              # fisher_jenks, equal_interval, manual
    k = 5
    # breaks = [0, 10, 20]            # edges of the manual scheme
    shared_breaks = true              # same classes on every zoning
    palette = "YlGnBu"
    formats = ["html", "png", "pdf"]

    [[evolutions]]                    # change between two vintages
    indicators = ["population"]       #   (territobs.atlas.evolution)
    start = 2015
    end = 2021

    [secrecy]
    enabled = true
    indicators = { "*" = "caf" }      # indicator (or "*") -> rule id
    [secrecy.rules.dep]               # own rules (SecrecyRule fields)
    threshold = 11
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from territobs._toml import Problems as _Problems
from territobs._toml import Table as _Table
from territobs._toml import array as _array
from territobs._toml import problems_error, read_toml
from territobs.errors import ConfigError  # noqa: F401 - raised through _toml
from territobs.io.registry import READER_NAMES

__all__ = [
    "AtlasConfig",
    "MapOptions",
    "ReferenceConfig",
    "SecrecyConfig",
    "SourceConfig",
    "TerritoryConfig",
    "ZoningConfig",
    "load_config",
    "parse_config",
]

#: Readers a file source may name (one registry with ``territobs read``).
READERS = READER_NAMES
#: Demo datasets a source may name.
DEMO_DATASETS = ("communes", "populations")
#: Ways a zoning may be defined (exactly one per zoning).
ZONE_KINDS = ("members", "polygons", "attribute", "units")
#: Weighting methods of :func:`territobs.zoning.weights.build_weights`.
WEIGHT_METHODS = ("exact", "area", "population", "auto")
#: Map output formats.
MAP_FORMATS = ("html", "png", "pdf", "svg")
#: Table output formats.
TABLE_FORMATS = ("csv", "xlsx")
#: Classification schemes of :func:`territobs.maps.classify` (``manual`` needs
#: ``breaks``).
SCHEMES = ("quantiles", "fisher_jenks", "equal_interval", "manual")


@dataclass(frozen=True)
class SourceConfig:
    """One data source: a demo dataset or a file read by a territobs reader.

    Parameters
    ----------
    id : str
        Identifier used by ``[territory]``.
    demo : str or None
        Name of a demo dataset (``"communes"``), or None for a file.
    departements : tuple of str
        Départements kept from a demo dataset (empty: all).
    path : pathlib.Path or None
        Absolute path of the file (None for a demo dataset).
    reader : str or None
        ``boundaries``, ``insee``, ``caf`` or ``table``.
    options : tuple of (str, object)
        Extra keywords passed to the reader, sorted by name.
    section : dict
        The raw TOML table (what the content hash covers).
    """

    id: str
    demo: str | None = None
    departements: tuple[str, ...] = ()
    path: Path | None = None
    reader: str | None = None
    options: tuple[tuple[str, Any], ...] = ()
    section: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class TerritoryConfig:
    """How the territory of units is assembled from the sources.

    Parameters
    ----------
    units : str
        Id of the source giving the unit geometries.
    tables : tuple of str
        Ids of the sources whose indicator tables are joined on ``code``.
    section : dict
        The raw TOML table.
    cog : int, optional
        COG of the boundaries: every commune table of another vintage is
        converted to it before the join (:func:`territobs.cog.align.align_table`).
    """

    units: str
    tables: tuple[str, ...] = ()
    section: Mapping[str, Any] = field(default_factory=dict, compare=False)
    cog: int | None = None


@dataclass(frozen=True)
class ZoningConfig:
    """One zoning: a set of zones, its comparisons, maps and portraits.

    Parameters
    ----------
    id : str
        Identifier (used in file names).
    label : str
        French label shown on the index page.
    kind : {"members", "polygons", "attribute", "units"}
        How zones are defined.
    path : pathlib.Path or None
        Membership table or polygon file (absolute).
    inline_members : tuple of (str, tuple of str)
        Zone id → unit codes, when ``members`` is an inline TOML table.
    attribute : str or None
        Unit column whose values group units into zones.
    name_column, zone_column, code_column : str or None
        Column names in the zone file or for the zone names.
    method : str
        Weighting method (``auto`` by default).
    references : tuple of str
        Reference ids or other zoning ids each zone is compared with.
    maps : tuple of str
        Indicators mapped on this zoning.
    portraits : bool
        Whether to write one portrait per zone.
    departements : tuple of str
        For ``attribute`` and ``units`` zonings: keep only the groups having
        a unit in these départements (all their units), or only the units of
        these départements (« les EPCI de l'Ain » in a two-département atlas).
    outlines : tuple of str
        Other zonings (a PST, circonscriptions) whose zones are drawn as
        named outlines over this zoning's maps (key ``outline``, one id or a
        list).
    partition : bool
        The zones are declared to cover every unit of the territory exactly
        once: units left out are reported and count indicators must sum to
        the territory total (``ZoneError`` otherwise). Partial zonings (a PST,
        the bassins of one département in a two-département atlas) leave it
        false and are not warned about the units they leave out.
    section : dict
        The raw TOML table.
    """

    id: str
    label: str
    kind: str
    path: Path | None = None
    inline_members: tuple[tuple[str, tuple[str, ...]], ...] = ()
    attribute: str | None = None
    name_column: str | None = None
    zone_column: str | None = None
    code_column: str | None = None
    method: str = "auto"
    references: tuple[str, ...] = ()
    maps: tuple[str, ...] = ()
    portraits: bool = True
    partition: bool = False
    departements: tuple[str, ...] = ()
    section: Mapping[str, Any] = field(default_factory=dict, compare=False)
    member_level: str | None = None
    parent_column: str | None = None
    names: tuple[tuple[str, str], ...] = ()
    outlines: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReferenceConfig:
    """A set of reference territories (département, region, whole territory).

    Parameters
    ----------
    id : str
        Identifier used in ``zones[i].references``.
    label : str
        French label (for example ``"Département"``).
    kind : {"departement", "all", "column"}
        ``departement``: one reference zone per département of the units
        (``codes`` restricts them); ``all``: the whole territory;
        ``column``: one zone per value of a unit column (``values``
        restricts them), for example regions.
    codes : tuple of str
        Départements or column values kept (empty: all).
    column : str or None
        The unit column of a ``column`` reference.
    name : str or None
        Name of the single ``all`` zone (default ``"Ensemble du territoire"``).
    section : dict
        The raw TOML table.
    """

    id: str
    label: str
    kind: str
    codes: tuple[str, ...] = ()
    column: str | None = None
    name: str | None = None
    section: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class MapOptions:
    """Map options shared by every map of the atlas.

    Parameters
    ----------
    scheme : {"quantiles", "fisher_jenks", "equal_interval", "manual"}
        Classification scheme.
    k : int
        Number of classes.
    breaks : tuple of float
        Class edges of the ``manual`` scheme.
    shared_breaks : bool
        Same class breaks for an indicator on every zoning of the atlas.
    palette : str or None
        Sequential palette of :mod:`territobs.maps.palettes` (None: the
        maps' default).
    formats : tuple of str
        Among ``html``, ``png``, ``pdf``, ``svg``.
    paper : {"A4", "A3"}
        Page of the PDF and SVG print layouts.
    orientation : {"landscape", "portrait"}
        Orientation of that page.
    section : dict
        The raw TOML table.
    """

    scheme: str = "quantiles"
    k: int = 5
    breaks: tuple[float, ...] = ()
    shared_breaks: bool = False
    palette: str | None = None
    formats: tuple[str, ...] = ("html", "png", "pdf")
    section: Mapping[str, Any] = field(default_factory=dict, compare=False)
    paper: str = "A4"
    orientation: str = "landscape"


@dataclass(frozen=True)
class SecrecyConfig:
    """Statistical secrecy applied to every published result.

    Parameters
    ----------
    enabled : bool
        Apply :func:`territobs.secrecy.apply_secrecy` (default True).
    rules : tuple of (str, dict)
        Rules defined or overridden in the config (``[secrecy.rules.<id>]``,
        fields of :class:`territobs.secrecy.SecrecyRule`).
    assignment : tuple of (str, str)
        Indicator id (or ``"*"``) → rule id (``[secrecy.indicators]``).
        When the config has no such table, the build uses each indicator's
        rule declared in the catalogue, and the census rule ``rp`` for the
        others (the ``(("*", "rp"),)`` default here is only that fallback).
    section : dict
        The raw TOML table.
    """

    enabled: bool = True
    rules: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    assignment: tuple[tuple[str, str], ...] = (("*", "rp"),)
    section: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def problems(self) -> list[tuple[str, str]]:
        """Return every problem of the rules, with its key path.

        The rules are checked as :func:`territobs.secrecy.rules_from_toml`
        checks a rules file (types, values, unknown keys, rules named but not
        defined). Parsing the config does not load :mod:`territobs.secrecy`
        (a no-change refresh stays light): the build calls this before its
        first step (:func:`territobs.atlas.steps.check_config`), and so does
        ``territobs atlas --check``.

        Returns
        -------
        list of (str, str)
            ``(key, French message)``, keys such as
            ``secrecy.rules.cd93.threshold``; empty when secrecy is off.
        """
        if not self.enabled:
            return []
        from territobs._toml import Problems
        from territobs.secrecy.rules import check_rules_section

        problems = Problems()
        check_rules_section(self.section, problems, key="secrecy", other_keys=None)
        return problems.items


@dataclass(frozen=True)
class PublicationConfig:
    """How incomplete figures and approximations are published (``[publication]``).

    Parameters
    ----------
    min_coverage : float, optional
        Publish a partial value (state « partielle », coverage said) when
        the data cover at least this share of a zone; absent: a zone with
        missing data is « donnée manquante ».
    coverage_by : {"units", "population"}
        Coverage measured on the units or on a reference population.
    reference : str, optional
        Column of the territory with the reference population.
    approximations : tuple of (str, str)
        Indicator id → named approximation (``[publication.approximations]``,
        e.g. ``median_living_standard = "census_population_weights"``).
    max_vintage_gap : int
        Largest gap in years between published values and the census
        population weighting them.
    section : dict
        The raw TOML table.
    """

    min_coverage: float | None = None
    coverage_by: str = "units"
    reference: str | None = None
    approximations: tuple[tuple[str, str], ...] = ()
    max_vintage_gap: int = 2
    section: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def policy(self) -> Any:
        """Return the :class:`~territobs.schema.PartialPolicy` chosen, or None."""
        if self.min_coverage is None:
            return None
        from territobs.schema import PartialPolicy

        return PartialPolicy(
            self.min_coverage,
            by=self.coverage_by,  # type: ignore[arg-type]
            reference=self.reference,
        )


@dataclass(frozen=True)
class AtlasConfig:
    """A whole atlas: sources, territory, zonings, references, options.

    Parameters
    ----------
    path : pathlib.Path
        The config file (absolute).
    title : str
        Title of the index page.
    output : pathlib.Path
        Output folder (absolute).
    catalog : str or pathlib.Path
        ``"default"`` or the path of a catalogue TOML.
    indicators : tuple of str
        Indicators computed on every zoning.
    sources, zonings, references : tuple
        The parsed sections, in file order.
    territory : TerritoryConfig
    maps : MapOptions
    secrecy : SecrecyConfig
    tables : tuple of str
        Table formats (``csv``, ``xlsx``).
    raw : dict
        The whole TOML document.
    """

    path: Path
    title: str
    output: Path
    catalog: str | Path
    indicators: tuple[str, ...]
    sources: tuple[SourceConfig, ...]
    territory: TerritoryConfig
    zonings: tuple[ZoningConfig, ...]
    references: tuple[ReferenceConfig, ...]
    maps: MapOptions
    secrecy: SecrecyConfig
    tables: tuple[str, ...] = TABLE_FORMATS
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)
    publication: PublicationConfig = field(default_factory=PublicationConfig)
    #: ``[[evolutions]]`` (:class:`territobs.atlas.evolution.EvolutionConfig`).
    evolutions: tuple[Any, ...] = ()
    #: ``[[scenarios]]`` (:class:`territobs.atlas.scenarios.ScenarioComparisonConfig`).
    scenarios: tuple[Any, ...] = ()

    def zoning(self, zoning_id: str) -> ZoningConfig:
        """Return the zoning ``zoning_id`` (``KeyError`` if absent)."""
        for zoning in self.zonings:
            if zoning.id == zoning_id:
                return zoning
        raise KeyError(zoning_id)

    def source(self, source_id: str) -> SourceConfig:
        """Return the source ``source_id`` (``KeyError`` if absent)."""
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)


def _file(table: _Table, name: str, base: Path) -> Path | None:
    value = table.get(name, str)
    if value is None:
        return None
    path = (base / value).resolve()
    if not path.is_file():
        table.problems.add(table.sub(name), f"fichier « {path} » introuvable")
    return path


def _unique(tables: list[_Table], ids: list[str], problems: _Problems) -> None:
    seen: dict[str, int] = {}
    for table, ident in zip(tables, ids, strict=True):
        if not ident:
            continue
        if ident in seen:
            problems.add(
                table.sub("id"),
                f"identifiant « {ident} » déjà utilisé par "
                f"{table.key.split('[')[0]}[{seen[ident]}]",
            )
        else:
            seen[ident] = int(table.key.rsplit("[", 1)[1].rstrip("]"))


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


def parse_config(
    document: Mapping[str, Any], path: str | os.PathLike[str]
) -> AtlasConfig:
    """Validate a parsed TOML document and build the :class:`AtlasConfig`.

    Parameters
    ----------
    document : mapping
        The TOML document (as returned by :func:`tomllib.load`).
    path : path-like
        The config file; relative paths are resolved from its folder.

    Returns
    -------
    AtlasConfig
        Frozen, fully checked configuration.

    Raises
    ------
    ConfigError
        Listing every problem; ``key`` is the first offending key path,
        ``problems`` the list of ``(key, message)`` pairs.
    """
    path = Path(path).resolve()
    base = path.parent
    problems = _Problems()
    doc = _Table(dict(document), "", problems)
    title = doc.get("title", str, "Atlas")
    output_text = doc.get("output", str, "out/atlas")
    catalog_text = doc.get("catalog", str, "default")
    catalog: str | Path = catalog_text
    if catalog_text != "default":
        catalog = _file(doc, "catalog", base) or catalog_text
    indicators = doc.strings("indicators")
    if not doc.has("indicators"):
        problems.add("indicators", "clé obligatoire absente (liste d'indicateurs)")
    elif not indicators:
        problems.add("indicators", "au moins un indicateur est attendu")
    tables = doc.strings("tables", TABLE_FORMATS, choices=TABLE_FORMATS)

    source_tables = _array(doc, "sources", problems, required=True)
    sources = [_parse_source(t, base) for t in source_tables]
    _unique(source_tables, [s.id for s in sources], problems)

    doc.known.add("territory")
    territory_table = _Table(doc.data.get("territory", {}), "territory", problems)
    default_units = sources[0].id if len(sources) == 1 else ""
    territory = TerritoryConfig(
        units=territory_table.get(
            "units", str, default_units, required=len(sources) != 1
        ),
        tables=territory_table.strings("tables"),
        section=territory_table.data,
        cog=territory_table.get("cog", int),
    )
    territory_table.finish()

    zone_tables = _array(doc, "zones", problems, required=True)
    zonings = [_parse_zoning(t, base) for t in zone_tables]
    _unique(zone_tables, [z.id for z in zonings], problems)
    # a zoning without ``maps`` maps every indicator
    zonings = [
        z if "maps" in z.section else replace(z, maps=tuple(indicators))
        for z in zonings
    ]

    reference_tables = _array(doc, "references", problems)
    references = [_parse_reference(t) for t in reference_tables]
    _unique(reference_tables, [r.id for r in references], problems)

    doc.known.add("maps")
    maps = _parse_maps(_Table(doc.data.get("maps", {}), "maps", problems))
    doc.known.add("secrecy")
    secrecy = _parse_secrecy(
        _Table(doc.data.get("secrecy", {}), "secrecy", problems), problems
    )
    doc.known.add("publication")
    publication = _parse_publication(
        _Table(doc.data.get("publication", {}), "publication", problems), problems
    )
    for indicator, _ in publication.approximations:
        if indicator not in indicators:
            problems.add(
                f"publication.approximations.{indicator}",
                f"indicateur « {indicator} » absent de « indicators »",
            )
    from territobs.atlas.evolution import parse_evolutions

    evolutions = parse_evolutions(doc, problems, [z.id for z in zonings])
    from territobs.atlas.scenarios import parse_scenarios

    scenarios = parse_scenarios(doc, problems, [z.id for z in zonings], base)
    doc.finish()
    _check_links(
        {
            "sources": sources,
            "territory": territory,
            "zonings": zonings,
            "references": references,
            "indicators": indicators,
        },
        problems,
    )
    if problems.items:
        raise problems_error(problems.items, path, "configuration d'atlas")
    return AtlasConfig(
        path=path,
        title=title,
        output=(base / output_text).resolve(),
        catalog=catalog,
        indicators=indicators,
        sources=tuple(sources),
        territory=territory,
        zonings=tuple(zonings),
        references=tuple(references),
        maps=maps,
        secrecy=secrecy,
        tables=tables,
        raw=dict(document),
        publication=publication,
        evolutions=evolutions,
        scenarios=scenarios,
    )


def load_config(path: str | os.PathLike[str]) -> AtlasConfig:
    """Read and validate an atlas config file (TOML).

    Parameters
    ----------
    path : path-like
        The TOML file.

    Returns
    -------
    AtlasConfig
        The frozen configuration, with every path made absolute.

    Raises
    ------
    ConfigError
        When the file is missing, is not valid TOML (``row`` gives the
        line), or any key is invalid (``key`` names the first one, for
        example ``"zones[2].members"``; ``problems`` lists them all).

    Notes
    -----
    Only the standard library is used: loading a config never imports
    pandas, so a no-change refresh stays fast.

    Examples
    --------
    >>> from territobs.datasets import demo_path
    >>> config = load_config(demo_path() / "atlas.toml")
    >>> [z.id for z in config.zonings]
    ['iris', 'bassins', 'circonscription', 'pst']
    """
    document = read_toml(path, "la configuration")
    return parse_config(document, path)
