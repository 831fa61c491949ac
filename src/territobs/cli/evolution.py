"""``territobs evolution``: the change of indicators between two vintages.

The same inputs as ``territobs recompute`` (:mod:`territobs.cli._inputs`),
plus the two vintages: read from the column prefixes of one set of tables
(``P10_`` and ``P15_``), or from one set of tables per vintage
(``--table-start`` / ``--table-end``). Both ends go through the one
publication path (:func:`territobs.zoning.evolution.evolution` with
``publish=True``), so a change is secret whenever either end is. Writes the
tidy evolution table (CSV), its wide form with the zone geometry
(GeoPackage) or the change map (HTML).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from territobs.cli._inputs import (
    output_option,
    publication_options,
    read_inputs,
    read_tables,
    zone_input_options,
)

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command(
    "evolution",
    help=(
        "Mesure l'évolution d'indicateurs entre deux millésimes sur des zones : "
        "chaque extrémité est recalculée sur les zones (taux = somme des "
        "numérateurs / somme des dénominateurs), puis comparée (évolution "
        "absolue et taux de croissance annuel moyen pour un effectif, en points "
        "pour un taux). Une évolution est secrète dès qu'une extrémité l'est. "
        "Les millésimes se lisent dans les préfixes des colonnes (P10_, P15_) "
        "ou dans un tableau par millésime (--table-start, --table-end). Écrit "
        "le tableau long (CSV), le tableau large avec la géométrie des zones "
        "(GeoPackage) ou la carte des évolutions (HTML)."
    ),
)
@zone_input_options
@click.option(
    "--start",
    type=int,
    required=True,
    help="Millésime de début (ex. 2010).",
)
@click.option(
    "--end",
    type=int,
    required=True,
    help="Millésime de fin (ex. 2015).",
)
@click.option(
    "--table-start",
    "tables_start",
    type=_FILE,
    multiple=True,
    help="Tableau INSEE du millésime de début (les deux extrémités lisent "
    "alors chacune leurs tableaux) ; répétable.",
)
@click.option(
    "--table-end",
    "tables_end",
    type=_FILE,
    multiple=True,
    help="Tableau INSEE du millésime de fin ; répétable.",
)
@click.option(
    "--caf-start",
    "caf_start",
    type=_FILE,
    multiple=True,
    help="Tableau CAF du millésime de début ; répétable.",
)
@click.option(
    "--caf-end",
    "caf_end",
    type=_FILE,
    multiple=True,
    help="Tableau CAF du millésime de fin ; répétable.",
)
@click.option(
    "--geography",
    default="",
    help="Géographie commune des deux millésimes, reprise dans les légendes "
    "(ex. « IRIS 2015 »).",
)
@publication_options
@click.option(
    "--map-indicator",
    default=None,
    help="Indicateur de la carte HTML (par défaut le premier --indicator).",
)
@click.option("--title", default=None, help="Titre de la carte HTML.")
@output_option(
    (".csv", ".gpkg", ".html"),
    "Fichier de sortie : .csv, .gpkg ou .html (carte des évolutions).",
)
def evolution(
    start: int,
    end: int,
    tables_start: tuple[Path, ...],
    tables_end: tuple[Path, ...],
    caf_start: tuple[Path, ...],
    caf_end: tuple[Path, ...],
    geography: str,
    map_indicator: str | None,
    title: str | None,
    output: Path,
    **options: Any,
) -> None:
    """Run ``territobs evolution`` (see ``--help``)."""
    from territobs.formatting import count_of
    from territobs.territory import build_territory
    from territobs.zoning.evolution import evolution as run
    from territobs.zoning.weights import build_weights

    per_vintage = bool(tables_start or tables_end or caf_start or caf_end)
    if per_vintage and not ((tables_start or caf_start) and (tables_end or caf_end)):
        raise click.UsageError(
            "donnez les tableaux des deux millésimes (--table-start et --table-end, "
            "ou --caf-start et --caf-end)."
        )
    if not per_vintage and not options["tables"] and not options["caf_tables"]:
        raise click.UsageError(
            "donnez au moins un tableau (--table, --caf, ou --table-start et "
            "--table-end)."
        )
    if start >= end:
        raise click.UsageError(f"--start ({start}) doit précéder --end ({end}).")
    given = read_inputs(**options)
    if map_indicator is not None and output.suffix.lower() == ".html":
        map_indicator = given.catalog.get(map_indicator).id
        if map_indicator not in given.indicators:
            raise click.UsageError(
                f"--map-indicator « {map_indicator} » n'est pas parmi les "
                "indicateurs demandés (--indicator)."
            )
    if per_vintage:
        territory: Any = {
            start: build_territory(
                given.units, given.frames + read_tables(tables_start, caf_start)
            ),
            end: build_territory(
                given.units, given.frames + read_tables(tables_end, caf_end)
            ),
        }
        first = territory[start]
    else:
        territory = first = build_territory(given.units, given.frames)
    weights = build_weights(first, given.zones, **given.weights_kwds)
    table = run(
        territory,
        given.zones,
        given.indicators,
        start=start,
        end=end,
        weights=weights,
        catalog=given.catalog,
        approximation=given.approximation,
        geography=geography,
        publish=True,
        rules=given.rules,
        partial=given.policy,
    )
    if given.policy is not None:
        click.echo(f"Choix de publication : {given.policy.describe()}.")
    _write(table, given.zones, output, map_indicator or given.indicators[0], title)
    click.echo(
        f"Évolution {start}-{end} de {count_of(len(given.indicators), 'indicateur')} "
        f"sur {count_of(table['zone'].nunique(), 'zone')} : « {output} »."
    )


def _write(
    table: Any, zones: Any, output: Path, indicator: str, title: str | None
) -> None:
    from territobs.zoning.evolution import evolution_to_geodataframe, state_words

    suffix = output.suffix.lower()
    if suffix == ".csv":
        table.assign(etat=state_words(table).to_numpy()).to_csv(
            output, index=False, encoding="utf-8"
        )
    elif suffix == ".gpkg":
        wide = evolution_to_geodataframe(table, zones)
        wide.to_file(output, driver="GPKG", layer="evolutions")
    else:
        from territobs.maps.change import change_map

        change_map(table, zones, indicator, title=title or None).save(output)
