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
    zones = read_zones(zones_path, zone=zone_column, member=member_column, units=units)
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
        result.to_csv(output, index=False, encoding="utf-8")
    elif suffix == ".parquet":
        result.to_parquet(output, index=False)
    else:
        to_geodataframe(result, zones).to_file(output, driver="GPKG", layer="resultats")
    n_zones, n_ind = result["zone"].nunique(), result["indicator"].nunique()
    click.echo(
        f"{count_of(n_ind, 'indicateur recalculé')} sur {count_of(n_zones, 'zone')} : "
        f"« {output} »."
    )
