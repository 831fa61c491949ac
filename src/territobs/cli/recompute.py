"""``territobs recompute``: recompute catalogue indicators on zones.

A thin wrapper: read the units, the indicator tables and the zones with the
``territobs.io`` readers, join them with :func:`territobs.territory.build_territory`,
call :func:`territobs.zoning.recompute.recompute` and write the tidy result
(CSV, Parquet) or its wide form with the zone geometry (GeoPackage).
"""

from __future__ import annotations

from pathlib import Path

import click

_OUTPUTS = (".csv", ".parquet", ".gpkg")


def _output_path(_ctx: click.Context, _param: click.Parameter, value: Path) -> Path:
    if value.suffix.lower() not in _OUTPUTS:
        raise click.BadParameter(
            f"extension « {value.suffix} » non prise en charge ; utilisez "
            ".csv, .parquet ou .gpkg.",
        )
    return value


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
    from territobs.io.zones import TABLE_SUFFIXES, _read_table

    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return [str(c) for c in _read_table(path).columns]
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
        _read_table,
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
        table = _read_table(path)
        member_col = _pick(columns, member_column, MEMBER_CANDIDATES) or next(
            (c for c in columns if c != zone_col), None
        )
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


@click.command(
    "recompute",
    help=(
        "Recalcule des indicateurs sur des zones : effectifs sommés, taux "
        "reconstitués à partir des numérateurs et dénominateurs, médianes "
        "refusées sauf approximation demandée. Écrit le tableau long (CSV, "
        "Parquet) ou le tableau large avec la géométrie des zones (GeoPackage)."
    ),
)
@click.option(
    "--units",
    "units_path",
    type=_FILE,
    required=True,
    help="Fichier des unités (communes, IRIS...) : shapefile, GeoPackage, GeoJSON.",
)
@click.option(
    "--level",
    default=None,
    help="Niveau des unités (commune, iris...) si la détection échoue.",
)
@click.option(
    "--table",
    "tables",
    type=_FILE,
    multiple=True,
    help="Tableau INSEE (CSV, XLSX) ; option répétable.",
)
@click.option(
    "--caf",
    "caf_tables",
    type=_FILE,
    multiple=True,
    help="Tableau CAF par commune ; option répétable.",
)
@click.option(
    "--zones",
    "zones_path",
    type=_FILE,
    required=True,
    help="Zones : table d'appartenance (CSV, XLSX) ou polygones.",
)
@click.option("--zone-column", default=None, help="Colonne des identifiants de zone.")
@click.option(
    "--name-column",
    default=None,
    help="Colonne des noms des zones, repris dans le résultat et les portraits "
    "(par défaut : une colonne nom, name ou libelle si elle existe ; sinon "
    "l'identifiant).",
)
@click.option(
    "--member-column",
    default=None,
    help="Colonne des codes des unités membres (table d'appartenance).",
)
@click.option(
    "--indicator",
    "indicators",
    multiple=True,
    required=True,
    help="Indicateur du catalogue (identifiant, alias ou variable INSEE) ; répétable.",
)
@click.option(
    "--method",
    type=click.Choice(["auto", "exact", "area", "population"]),
    default="auto",
    show_default=True,
    help="Pondération des unités coupées par les zones.",
)
@click.option(
    "--population",
    "population_path",
    type=_FILE,
    default=None,
    help="Population localisée (carreaux) pour la méthode « population ».",
)
@click.option(
    "--catalog",
    "catalog_path",
    type=_FILE,
    default=None,
    help="Catalogue personnel (TOML ou YAML) ajouté au catalogue par défaut.",
)
@click.option(
    "--approximation",
    default=None,
    help="Approximation nommée pour les médianes et déciles "
    "(population_weighted_mean_of_medians).",
)
@click.option(
    "--vintage", default=None, help="Millésime des colonnes à lire (ex. 2021)."
)
@click.option(
    "--partial",
    is_flag=True,
    help="Calcule aussi les zones dont des données sont masquées "
    "(valeur partielle, signalée « incomplete »).",
)
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    callback=_output_path,
    help="Fichier de sortie : .csv, .parquet ou .gpkg.",
)
def recompute(
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
    vintage: str | None,
    partial: bool,
    output: Path,
) -> None:
    """Run ``territobs recompute`` (see ``--help``)."""
    from territobs.catalog import Catalog, default_catalog
    from territobs.formatting import count_of
    from territobs.io.boundaries import read_boundaries
    from territobs.io.zones import read_zones
    from territobs.territory import build_territory
    from territobs.zoning.recompute import recompute as run
    from territobs.zoning.result import to_geodataframe

    if not tables and not caf_tables:
        raise click.UsageError("donnez au moins un tableau (--table ou --caf).")
    catalog = default_catalog()
    if catalog_path is not None:
        catalog = catalog.merge(Catalog.from_file(catalog_path))
    units = read_boundaries(units_path, level=level)
    frames = []
    if tables:
        from territobs.io.insee import read_insee

        frames += [read_insee(path) for path in tables]
    if caf_tables:
        from territobs.io.caf import read_caf

        frames += [read_caf(path) for path in caf_tables]
    territory = build_territory(units, frames)
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
    result = run(
        territory,
        zones,
        list(indicators),
        method=method,  # type: ignore[arg-type]
        catalog=catalog,
        approximation=approximation,
        vintage=vintage,
        on_masked="partial" if partial else "nan",
        weights_kwds={"population": population_path} if population_path else None,
    )
    suffix = output.suffix.lower()
    if suffix == ".csv":
        from territobs.io.spreadsheet import to_csv

        to_csv(result, output, index=False, encoding="utf-8")
    elif suffix == ".parquet":
        result.to_parquet(output, index=False)
    else:
        to_geodataframe(result, zones).to_file(output, driver="GPKG", layer="resultats")
    n_zones, n_ind = result["zone"].nunique(), result["indicator"].nunique()
    click.echo(
        f"{count_of(n_ind, 'indicateur recalculé')} sur {count_of(n_zones, 'zone')} : "
        f"« {output} »."
    )
