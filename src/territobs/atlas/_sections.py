"""The sections of an atlas configuration, as frozen dataclasses.

One dataclass per TOML section (``[[sources]]``, ``[territory]``,
``[[zones]]``, ``[[references]]``, ``[maps]``, ``[secrecy]``,
``[publication]``) and the closed sets of values they accept. They are built
by :mod:`territobs.atlas._parse_sections` and gathered in
:class:`territobs.atlas.config.AtlasConfig`, which re-exports every name
defined here (import them from :mod:`territobs.atlas.config`).

This module imports only the standard library (and the reader names of
:mod:`territobs.io.registry`), so that a no-change refresh can plan the
build without loading pandas.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from territobs.io.registry import READER_NAMES

#: Readers a file source may name (one registry with ``territobs read``).
READERS = READER_NAMES
#: Folder of the evolutions' tables, maps and portraits of change in an atlas.
EVOLUTIONS_FOLDER = "evolutions"
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
class EvolutionConfig:
    """One ``[[evolutions]]`` table.

    Parameters
    ----------
    id : str
        Identifier, used in file names.
    indicators : tuple of str
        Catalogue indicators whose change is computed.
    start, end : int
        The two vintages (``start < end``).
    zonings : tuple of str
        Zoning ids (every zoning when the key is absent).
    geography : str
        The geography both vintages are on, named in captions.
    centre : str
        Id of the ``[[references]]`` territory whose change the maps'
        palettes are centred on ("" for 0).
    portraits : bool or None
        Write portraits of change (None: for the zonings whose own
        ``portraits`` is true).
    section : dict
        The raw TOML table (hashed into the step key).
    """

    id: str
    indicators: tuple[str, ...]
    start: int
    end: int
    zonings: tuple[str, ...]
    geography: str = ""
    centre: str = ""
    portraits: bool | None = None
    section: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def period(self) -> str:
        """``"2010-2015"``."""
        return f"{self.start}-{self.end}"

    def has_portraits(self, zoning: str, zoning_portraits: bool) -> bool:
        """Tell whether ``zoning``'s zones get portraits of change.

        ``zoning_portraits`` is the zoning's own ``portraits`` setting, the
        default when the evolution does not say.
        """
        if zoning not in self.zonings:
            return False
        return self.portraits if self.portraits is not None else zoning_portraits

    def portrait_folder(self, zoning: str) -> str:
        """Folder of ``zoning``'s portraits of change, relative to the atlas."""
        return f"{EVOLUTIONS_FOLDER}/{zoning}/{self.id}"
