"""``territobs evolution``: the change of indicators between two vintages.

The same inputs as ``territobs recompute`` (:mod:`territobs.cli._inputs`),
plus the two vintages: read from the column prefixes of one set of tables
(``P10_`` and ``P15_``), or from one set of tables per vintage
(``--table-start`` / ``--table-end``). Both ends go through the one
publication path (:func:`territobs.zoning.evolution.evolution` with
``publish=True``), so a change is secret whenever either end is. Writes the
tidy evolution table (CSV), the French table with both vintages and the
change (XLSX), its wide form with the zone geometry (GeoPackage), the change
map (HTML, ``--centre``: centred on the change of every unit of the zones
together) or, with ``--portrait``, the portrait of change of one zone (HTML)
beside every unit of the zones together and the zones given with
``--compare``.
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
        "le tableau long (CSV), le tableau des deux millésimes et de "
        "l'évolution (XLSX), le tableau large avec la géométrie des zones "
        "(GeoPackage), la carte des évolutions (HTML) ou, avec --portrait, le "
        "portrait d'évolution d'une zone (HTML)."
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
@click.option(
    "--centre",
    "centre_on_whole",
    is_flag=True,
    help="Carte HTML : couleurs centrées sur l'évolution de l'ensemble des "
    "zones (toutes leurs unités réunies) au lieu de 0.",
)
@click.option(
    "--portrait",
    "portrait_zone",
    default=None,
    help="Écrit en .html le portrait d'évolution de cette zone (les deux "
    "millésimes et l'évolution de chaque indicateur), à côté de l'ensemble "
    "des zones (toutes leurs unités réunies).",
)
@click.option(
    "--compare",
    "compared",
    multiple=True,
    help="Zone montrée à côté de celle du --portrait ; répétable.",
)
@click.option("--title", default=None, help="Titre de la carte HTML.")
@output_option(
    (".csv", ".xlsx", ".gpkg", ".html"),
    "Fichier de sortie : .csv, .xlsx (deux millésimes et évolution), .gpkg ou "
    ".html (carte des évolutions, ou portrait avec --portrait).",
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
    centre_on_whole: bool,
    portrait_zone: str | None,
    compared: tuple[str, ...],
    title: str | None,
    output: Path,
    **options: Any,
) -> None:
    """Run ``territobs evolution`` (see ``--help``)."""
    from territobs.formatting import count_of
    from territobs.territory import build_territory
    from territobs.zoning.evolution import evolutions
    from territobs.zoning.iris_changes import redrawn_iris
    from territobs.zoning.weights import build_weights
    from territobs.zoning.zones import zones_from_members

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
    if (portrait_zone or centre_on_whole) and output.suffix.lower() != ".html":
        raise click.UsageError("--portrait et --centre écrivent un fichier .html.")
    if compared and not portrait_zone:
        raise click.UsageError("--compare accompagne --portrait.")
    given = read_inputs(**options)
    if map_indicator is not None and output.suffix.lower() == ".html":
        map_indicator = given.catalog.get(map_indicator).id
        if map_indicator not in given.indicators:
            raise click.UsageError(
                f"--map-indicator « {map_indicator} » n'est pas parmi les "
                "indicateurs demandés (--indicator)."
            )
    vintage_frames: list[Any] = []
    if per_vintage:
        frames_start = read_tables(tables_start, caf_start)
        frames_end = read_tables(tables_end, caf_end)
        vintage_frames = frames_start + frames_end
        territory: Any = {
            start: build_territory(given.units, given.frames + frames_start),
            end: build_territory(given.units, given.frames + frames_end),
        }
        first = territory[start]
    else:
        territory = first = build_territory(given.units, given.frames)
    weights = build_weights(first, given.zones, **given.weights_kwds)
    zonings = {"zones": (given.zones, weights)}
    if portrait_zone or centre_on_whole:
        # the units of the zones together, published with the zones (one
        # secondary suppression: the zones cannot be subtracted from it)
        used = weights.matrix.sum(axis=1) > 0
        codes = weights.units[used].astype(str).tolist()
        whole = zones_from_members(
            {_WHOLE: codes}, units=first, names={_WHOLE: "Ensemble des zones"}
        )
        zonings[_WHOLE] = (whole, build_weights(first, whole))
    tables = evolutions(
        territory,
        zonings,
        given.indicators,
        start=start,
        end=end,
        catalog=given.catalog,
        approximation=given.approximation,
        geography=geography,
        publish=True,
        rules=given.rules,
        partial=given.policy,
        redrawn=redrawn_iris(*given.frames, *vintage_frames),
    )
    table = tables["zones"]
    if given.policy is not None:
        click.echo(f"Choix de publication : {given.policy.describe()}.")
    if portrait_zone:
        import pandas as pd

        from territobs.portrait.change import change_portrait

        both = pd.concat([table, tables[_WHOLE]], ignore_index=True)
        page = change_portrait(
            both,
            portrait_zone,
            [_WHOLE, *compared],
            reference_labels={_WHOLE: "Ensemble"}
            | dict.fromkeys(compared, "Autre zone"),
            title=title,
        )
        page.save(output.parent, output.stem)
    else:
        _write(
            table,
            given.zones,
            output,
            map_indicator or given.indicators[0],
            title,
            tables.get(_WHOLE),
        )
    click.echo(
        f"Évolution {start}-{end} de {count_of(len(given.indicators), 'indicateur')} "
        f"sur {count_of(table['zone'].nunique(), 'zone')} : « {output} »."
    )


#: Zone id of the whole territory (reference of --portrait and --centre).
_WHOLE = "ensemble-du-territoire"


def _write(
    table: Any,
    zones: Any,
    output: Path,
    indicator: str,
    title: str | None,
    whole: Any = None,
) -> None:
    from territobs.zoning.evolution import (
        evolution_sheet,
        evolution_to_geodataframe,
        state_words,
    )

    suffix = output.suffix.lower()
    if suffix == ".csv":
        table.assign(etat=state_words(table).to_numpy()).to_csv(
            output, index=False, encoding="utf-8"
        )
    elif suffix == ".xlsx":
        evolution_sheet(table).to_excel(output, sheet_name="Évolutions", index=False)
    elif suffix == ".gpkg":
        wide = evolution_to_geodataframe(table, zones)
        wide.to_file(output, driver="GPKG", layer="evolutions")
    else:
        from territobs.maps.change import change_map

        options: dict[str, Any] = {}
        if whole is not None:
            import pandas as pd

            table = pd.concat([table, whole], ignore_index=True)
            options["centre"] = _WHOLE
        change_map(table, zones, indicator, title=title or None, **options).save(output)
