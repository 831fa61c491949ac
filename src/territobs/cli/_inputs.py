"""Inputs shared by the commands that recompute indicators on zones.

``territobs recompute`` and ``territobs evolution`` read the same things the
same way: units, INSEE and CAF tables, zones (with their names), the
catalogue, the partial-value policy and the secrecy rules. The options are
declared once here (:func:`zone_input_options`, :func:`publication_options`)
and read once (:func:`read_inputs`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = [
    "NAME_CANDIDATES",
    "Inputs",
    "guess_name_column",
    "output_option",
    "publication_options",
    "read_inputs",
    "read_tables",
    "zone_input_options",
]

_F = TypeVar("_F", bound=Callable[..., Any])

_FILE = click.Path(exists=True, dir_okay=True, path_type=Path)

#: Columns tried, in order, for the zone names when --name-column is not given.
NAME_CANDIDATES = (
    "nom",
    "name",
    "libelle",
    "libellé",
    "nom_zone",
    "zone_name",
    "libelle_zone",
    "lib_zone",
)


def _zone_file_columns(path: Path) -> list[str]:
    """Column names of a zone file, geometry excluded (read cheaply)."""
    from territobs.io.zones import TABLE_SUFFIXES, read_zone_table

    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return [str(c) for c in read_zone_table(path).columns]
    if suffix in {".parquet", ".geoparquet"}:
        import pyarrow.parquet as pq

        names = pq.read_schema(path).names
    else:
        import pyogrio

        names = list(pyogrio.read_info(path)["fields"])
    return [str(n) for n in names if str(n).lower() not in ("geometry", "geom")]


def guess_name_column(
    path: Path, zone_column: str | None, member_column: str | None
) -> tuple[str | None, str]:
    """Find the column of zone names of a zone file, when none was given.

    The first column named like ``nom``, ``name`` or ``libelle`` (case
    ignored) that is neither the zone nor the member column is taken. In a
    membership table (one row per member) it must give one name per zone:
    a column of commune names is not a column of zone names.

    Parameters
    ----------
    path : pathlib.Path
        The zone file given to ``--zones``.
    zone_column, member_column : str or None
        The ``--zone-column`` and ``--member-column`` options.

    Returns
    -------
    tuple of (str or None, str)
        The column (None when there is none) and a French sentence saying
        what was chosen, or why nothing was, for the user.
    """
    from territobs.io.zones import (
        MEMBER_CANDIDATES,
        TABLE_SUFFIXES,
        ZONE_CANDIDATES,
        _pick,
        read_zone_table,
    )

    try:
        columns = _zone_file_columns(path)
    except Exception:  # best effort: read_zones reports an unreadable file
        return None, ""
    if not columns:
        return None, ""
    zone_col = _pick(columns, zone_column, ZONE_CANDIDATES) or columns[0]
    taken = {zone_col}
    table = None
    if path.suffix.lower() in TABLE_SUFFIXES:
        table = read_zone_table(path)
        member_col = _pick(columns, member_column, MEMBER_CANDIDATES) or next(
            (c for c in columns if c != zone_col), None
        )
        if member_col is not None:
            taken.add(member_col)
    lower = {c.strip().lower(): c for c in columns if c not in taken}
    found = next((lower[n] for n in NAME_CANDIDATES if n in lower), None)
    if found is None:
        return None, ""
    if table is not None and zone_col in table.columns:
        n_names = table.groupby(zone_col)[found].nunique()
        if (n_names > 1).any():
            return None, (
                f"Colonne « {found} » non retenue pour les noms des zones : elle "
                "donne plusieurs valeurs à une même zone (--name-column pour "
                "en choisir une autre)."
            )
    return found, (
        f"Noms des zones : colonne « {found} » (détectée ; --name-column pour "
        "en choisir une autre)."
    )


#: Options of the units, tables, zones, indicators and weights, in --help order.
_ZONE_INPUT_OPTIONS = [
    click.option(
        "--units",
        "units_path",
        type=_FILE,
        required=True,
        help="Fichier des unités (communes, IRIS...) : shapefile, GeoPackage, GeoJSON.",
    ),
    click.option(
        "--level",
        default=None,
        help="Niveau des unités (commune, iris...) si la détection échoue.",
    ),
    click.option(
        "--table",
        "tables",
        type=_FILE,
        multiple=True,
        help="Tableau INSEE (CSV, XLSX) ; option répétable.",
    ),
    click.option(
        "--caf",
        "caf_tables",
        type=_FILE,
        multiple=True,
        help="Tableau CAF par commune ; option répétable.",
    ),
    click.option(
        "--zones",
        "zones_path",
        type=_FILE,
        required=True,
        help="Zones : table d'appartenance (CSV, XLSX) ou polygones.",
    ),
    click.option(
        "--zone-column", default=None, help="Colonne des identifiants de zone."
    ),
    click.option(
        "--name-column",
        default=None,
        help="Colonne des noms des zones, repris dans le résultat et les portraits "
        "(par défaut : une colonne nom, name ou libelle si elle existe ; sinon "
        "l'identifiant).",
    ),
    click.option(
        "--member-column",
        default=None,
        help="Colonne des codes des unités membres (table d'appartenance).",
    ),
    click.option(
        "--indicator",
        "indicators",
        multiple=True,
        required=True,
        help="Indicateur du catalogue (identifiant, alias ou variable INSEE) ; répétable.",
    ),
    click.option(
        "--method",
        type=click.Choice(["auto", "exact", "area", "population"]),
        default="auto",
        show_default=True,
        help="Pondération des unités coupées par les zones.",
    ),
    click.option(
        "--population",
        "population_path",
        type=_FILE,
        default=None,
        help="Population localisée (carreaux) pour la méthode « population ».",
    ),
    click.option(
        "--catalog",
        "catalog_path",
        type=_FILE,
        default=None,
        help="Catalogue personnel (TOML ou YAML) ajouté au catalogue par défaut.",
    ),
    click.option(
        "--approximation",
        default=None,
        help="Approximation nommée pour les médianes et déciles "
        "(population_weighted_mean_of_medians).",
    ),
]

#: Options of the partial values and secrecy rules, in --help order.
_PUBLICATION_OPTIONS = [
    click.option(
        "--partial",
        is_flag=True,
        help="Publie une valeur partielle (état « partielle », couverture dite) "
        "pour les zones dont des unités n'ont pas de données, quelle que soit la "
        "couverture ; équivaut à --min-coverage 0. Jamais pour des unités "
        "masquées par le producteur.",
    ),
    click.option(
        "--min-coverage",
        type=click.FloatRange(0.0, 1.0),
        default=None,
        help="Publie une valeur partielle quand les données couvrent au moins "
        "cette part de la zone (0,9 = 90 %) ; sinon la zone est « donnée "
        "manquante ».",
    ),
    click.option(
        "--coverage-by",
        type=click.Choice(["units", "population"]),
        default="units",
        show_default=True,
        help="Mesure de la couverture : part des unités, ou de la population de "
        "référence (--reference-column, sinon POPULATION ou la population du "
        "recensement).",
    ),
    click.option(
        "--reference-column",
        default=None,
        help="Colonne de population de référence des unités (--coverage-by population).",
    ),
    click.option(
        "--secrecy-rules",
        "rules_path",
        type=_FILE,
        default=None,
        help="Règles de secret (TOML) ; par défaut celles du catalogue, comme "
        "l'atlas (le recensement ne masque jamais).",
    ),
]


def _apply(options: Sequence[Callable[[_F], _F]], function: _F) -> _F:
    for option in reversed(options):
        function = option(function)
    return function


def zone_input_options(function: _F) -> _F:
    """Add the options of units, tables, zones, indicators and weights."""
    return _apply(_ZONE_INPUT_OPTIONS, function)


def publication_options(function: _F) -> _F:
    """Add the options of partial values and secrecy rules."""
    return _apply(_PUBLICATION_OPTIONS, function)


def output_option(suffixes: Sequence[str], help: str) -> Callable[[_F], _F]:
    """Declare the required ``--output``/``-o`` option, checked against ``suffixes``."""

    def check(_ctx: click.Context, _param: click.Parameter, value: Path) -> Path:
        if value.suffix.lower() not in suffixes:
            allowed = ", ".join(suffixes[:-1]) + f" ou {suffixes[-1]}"
            raise click.BadParameter(
                f"extension « {value.suffix} » non prise en charge ; utilisez "
                f"{allowed}.",
            )
        return value

    return click.option(
        "--output",
        "-o",
        "output",
        type=click.Path(dir_okay=False, path_type=Path),
        required=True,
        callback=check,
        help=help,
    )


@dataclass
class Inputs:
    """What the shared options give, read and checked."""

    #: The catalogue (default, merged with --catalog).
    catalog: Any
    #: The units (boundaries).
    units: Any
    #: Indicator tables read from --table and --caf.
    frames: list[Any]
    #: The zones, named.
    zones: Any
    #: Asked indicator ids (catalogue ids).
    indicators: list[str]
    #: --partial / --min-coverage policy, or None.
    policy: Any
    #: Rules read from --secrecy-rules, or None (catalogue rules).
    rules: Any
    #: Keywords for :func:`territobs.zoning.weights.build_weights`.
    weights_kwds: dict[str, Any]
    #: --approximation.
    approximation: str | None


def read_tables(tables: Sequence[Path], caf_tables: Sequence[Path] = ()) -> list[Any]:
    """Read INSEE then CAF tables with the ``territobs.io`` readers."""
    frames = []
    if tables:
        from territobs.io.insee import read_insee

        frames += [read_insee(path) for path in tables]
    if caf_tables:
        from territobs.io.caf import read_caf

        frames += [read_caf(path) for path in caf_tables]
    return frames


def read_inputs(
    *,
    units_path: Path,
    level: str | None,
    tables: tuple[Path, ...],
    caf_tables: tuple[Path, ...],
    zones_path: Path,
    zone_column: str | None,
    name_column: str | None,
    member_column: str | None,
    indicators: tuple[str, ...],
    method: str,
    population_path: Path | None,
    catalog_path: Path | None,
    approximation: str | None,
    partial: bool = False,
    min_coverage: float | None = None,
    coverage_by: str = "units",
    reference_column: str | None = None,
    rules_path: Path | None = None,
) -> Inputs:
    """Read the inputs the shared options name (see their ``--help``).

    Zone names are guessed (and the guess said) when ``--name-column`` is
    not given. Tables are read but not joined: a command joins them to the
    units with :func:`territobs.territory.build_territory`, once or per
    vintage.
    """
    from territobs.catalog import Catalog, default_catalog
    from territobs.io.boundaries import read_boundaries
    from territobs.io.zones import read_zones
    from territobs.schema import PartialPolicy

    catalog = default_catalog()
    if catalog_path is not None:
        catalog = catalog.merge(Catalog.from_file(catalog_path))
    units = read_boundaries(units_path, level=level)
    frames = read_tables(tables, caf_tables)
    if name_column is None and not zones_path.is_dir():
        name_column, note = guess_name_column(zones_path, zone_column, member_column)
        if note:
            click.echo(note)
    zones = read_zones(
        zones_path,
        zone=zone_column,
        member=member_column,
        name=name_column,
        units=units,
    )
    policy = None
    if min_coverage is not None or partial:
        policy = PartialPolicy(
            0.0 if min_coverage is None else min_coverage,
            by=coverage_by,  # type: ignore[arg-type]
            reference=reference_column,
        )
    rules = None
    if rules_path is not None:
        from territobs.secrecy import rules_from_toml

        rules = rules_from_toml(rules_path)
    return Inputs(
        catalog=catalog,
        units=units,
        frames=frames,
        zones=zones,
        indicators=[catalog.get(i).id for i in indicators],
        policy=policy,
        rules=rules,
        weights_kwds={"method": method, "population": population_path},
        approximation=approximation,
    )
