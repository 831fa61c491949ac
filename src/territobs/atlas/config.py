"""Atlas configuration: a TOML file parsed into frozen dataclasses.

The whole file is checked before any work starts. Every problem found is
reported at once in one :class:`~territobs.errors.ConfigError` whose ``key``
names the first offending key path (``zones[2].members``) and whose
``problems`` lists every ``(key, message)`` pair.

This module imports only the standard library, so that a no-change refresh
can plan the build without loading pandas. The dataclass of each section and
the closed sets of values live in :mod:`territobs.atlas._sections`, the
parsing of each section in :mod:`territobs.atlas._parse_sections`; both are
re-exported here (import them from this module).

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
from territobs._toml import unique_ids as _unique
from territobs.atlas._parse_sections import (
    _check_links,
    _file,
    _parse_link,
    _parse_maps,
    _parse_members,  # noqa: F401 - re-exported
    _parse_publication,
    _parse_reference,
    _parse_secrecy,
    _parse_source,
    _parse_zoning,
    _partition,  # noqa: F401 - re-exported
    _zone_names,  # noqa: F401 - re-exported
    _zoning_departements,  # noqa: F401 - re-exported
    parse_evolutions,
)
from territobs.atlas._scenario_config import ScenarioComparisonConfig, parse_scenarios
from territobs.atlas._sections import (
    DEMO_DATASETS,  # noqa: F401 - re-exported
    MAP_FORMATS,  # noqa: F401 - re-exported
    READERS,  # noqa: F401 - re-exported
    SCHEMES,  # noqa: F401 - re-exported
    TABLE_FORMATS,
    WEIGHT_METHODS,  # noqa: F401 - re-exported
    ZONE_KINDS,  # noqa: F401 - re-exported
    EvolutionConfig,
    MapOptions,
    PublicationConfig,
    ReferenceConfig,
    SecrecyConfig,
    SourceConfig,
    TerritoryConfig,
    ZoningConfig,
)
from territobs.errors import ConfigError  # noqa: F401 - raised through _toml

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
    evolutions: tuple[EvolutionConfig, ...] = ()
    #: ``[[scenarios]]`` (:class:`territobs.atlas.scenarios.ScenarioComparisonConfig`).
    scenarios: tuple[ScenarioComparisonConfig, ...] = ()
    #: ``[[links]]``: ``(label, relative href)`` listed under « Voir aussi ».
    links: tuple[tuple[str, str], ...] = ()

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
    evolutions = parse_evolutions(doc, problems, [z.id for z in zonings])
    scenarios = parse_scenarios(doc, problems, [z.id for z in zonings], base)
    links = tuple(_parse_link(t) for t in _array(doc, "links", problems))
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
        links=links,
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
