"""``territobs recompute``: recompute catalogue indicators on zones.

A thin wrapper: read the units, the indicator tables and the zones with the
``territobs.io`` readers, join them with :func:`territobs.territory.build_territory`,
call :func:`territobs.zoning.recompute.recompute` and write the tidy result
(CSV, Parquet) or its wide form with the zone geometry (GeoPackage).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from territobs.cli._inputs import (  # noqa: F401 (re-exported)
    NAME_CANDIDATES,
    guess_name_column,
    output_option,
    publication_options,
    read_inputs,
    zone_input_options,
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
@zone_input_options
@click.option(
    "--vintage", default=None, help="Millésime des colonnes à lire (ex. 2021)."
)
@publication_options
@output_option(
    (".csv", ".parquet", ".gpkg"), "Fichier de sortie : .csv, .parquet ou .gpkg."
)
def recompute(vintage: str | None, output: Path, **options: Any) -> None:
    """Run ``territobs recompute`` (see ``--help``)."""
    from territobs.formatting import count_of
    from territobs.publish import plan_secrecy, publish
    from territobs.territory import build_territory
    from territobs.zoning.recompute import recompute as run
    from territobs.zoning.result import to_geodataframe
    from territobs.zoning.weights import build_weights

    if not options["tables"] and not options["caf_tables"]:
        raise click.UsageError("donnez au moins un tableau (--table ou --caf).")
    given = read_inputs(**options)
    catalog, zones, policy = given.catalog, given.zones, given.policy
    territory = build_territory(given.units, given.frames)
    rules, needed = plan_secrecy(
        given.indicators, territory, catalog, given.rules, vintage
    )
    weights = build_weights(territory, zones, **given.weights_kwds)
    result = run(
        territory,
        zones,
        needed,
        weights=weights,
        catalog=catalog,
        approximation=given.approximation,
        vintage=vintage,
        partial=policy,
    )
    # governing counts (Filosofi's fiscal households) stay in the file: they
    # were published with the rest, and let a portrait re-check secrecy
    result = publish(result, weights=weights, rules=rules, catalog=catalog)
    if policy is not None:
        click.echo(f"Choix de publication : {policy.describe()}.")
    suffix = output.suffix.lower()
    if suffix == ".csv":
        from territobs.io.spreadsheet import to_csv
        from territobs.schema import STATE_WORDS_COLUMN, state_words

        to_csv(
            result.assign(**{STATE_WORDS_COLUMN: state_words(result).to_numpy()}),
            output,
            index=False,
            encoding="utf-8",
        )
    elif suffix == ".parquet":
        result.to_parquet(output, index=False)
    else:
        from territobs.zoning.coverage import unit_level

        wide = to_geodataframe(result, zones, unit_level=unit_level(territory))
        wide.to_file(output, driver="GPKG", layer="resultats")
    n_zones, n_ind = result["zone"].nunique(), result["indicator"].nunique()
    click.echo(
        f"{count_of(n_ind, 'indicateur recalculé')} sur {count_of(n_zones, 'zone')} : "
        f"« {output} »."
    )
