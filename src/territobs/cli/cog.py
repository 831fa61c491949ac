"""``territobs cog``: convert a commune table between COG vintages, detect a vintage."""

from __future__ import annotations

from pathlib import Path

import click


def _read_commune_table(path: str, code_column: str):
    """Read a CSV as it is (no secret markers, no decimal comma), codes as text.

    Unlike :func:`territobs.io.table.read_table` the code column may have any
    name (renamed ``code``) and a missing one is a ``--code-column`` error.
    """
    import pandas as pd

    with open(path, encoding="utf-8", errors="replace") as fh:
        header = fh.readline()
    sep = max((";", ",", "\t"), key=header.count)
    table = pd.read_csv(path, sep=sep, dtype={code_column: str})
    if code_column not in table.columns:
        raise click.BadParameter(
            f"colonne « {code_column} » absente de {path}.", param_hint="--code-column"
        )
    return table.rename(columns={code_column: "code"})


def _parse_ratio(text: str) -> tuple[str, tuple[str, str, float]]:
    try:
        name, formula = text.split("=", 1)
        scale = 1.0
        if "*" in formula:
            formula, factor = formula.split("*", 1)
            scale = float(factor)
        num, den = formula.split("/", 1)
    except ValueError as exc:
        raise click.BadParameter(
            f"« {text} » : forme attendue NOM=NUMÉRATEUR/DÉNOMINATEUR[*100].",
            param_hint="--ratio",
        ) from exc
    return name.strip(), (num.strip(), den.strip(), scale)


@click.group(
    "cog", help="Millésimes du Code officiel géographique : conversion, détection."
)
def cog() -> None:
    """Group of the COG subcommands."""


@cog.command(
    "convert",
    help=(
        "Convertit une table communale d'un millésime du COG à un autre : comptages "
        "additionnés sur les fusions, répartis selon la population sur les "
        "scissions, ratios recalculés. "
        "Exemple : territobs cog convert caf2019.csv caf2024.csv --from 2019 --to 2024 "
        "--count NB_allocataires"
    ),
)
@click.argument("table", type=click.Path(exists=True, dir_okay=False))
@click.argument("output", type=click.Path(dir_okay=False), metavar="SORTIE")
@click.option(
    "--from", "from_year", type=int, required=True, help="Millésime de la table."
)
@click.option("--to", "to_year", type=int, required=True, help="Millésime visé.")
@click.option(
    "--code-column",
    default="code",
    show_default=True,
    help="Colonne des codes communes.",
)
@click.option(
    "--count", "counts", multiple=True, help="Colonne de comptage (répétable)."
)
@click.option(
    "--ratio",
    "ratios",
    multiple=True,
    help="Ratio à recalculer : NOM=NUMÉRATEUR/DÉNOMINATEUR[*100] (répétable).",
)
@click.option(
    "--population",
    type=click.Path(exists=True, dir_okay=False),
    help="CSV code,population pour répartir les scissions.",
)
@click.option(
    "--history",
    type=click.Path(exists=True, dir_okay=False),
    help="Historique INSEE des communes (v_mvt_commune ou historiq) à utiliser.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False),
    help="Écrit le rapport de conversion (CSV) ; défaut : <sortie>.rapport.csv.",
)
def convert(
    table: str,
    output: str,
    from_year: int,
    to_year: int,
    code_column: str,
    counts: tuple[str, ...],
    ratios: tuple[str, ...],
    population: str | None,
    history: str | None,
    report: str | None,
) -> None:
    """Convert TABLE to OUTPUT."""
    from territobs.cog import convert_table, read_history, yearly_passages

    frame = _read_commune_table(table, code_column)
    ratio_specs = dict(_parse_ratio(r) for r in ratios)
    keep = ["code", *counts, *(r for r in ratio_specs if r in frame.columns)]
    for num, den, _ in ratio_specs.values():
        keep += [num, den]
    dropped = [c for c in frame.columns if c not in keep]
    if dropped:
        click.echo(
            f"Colonnes non converties (ignorées) : {', '.join(dropped)}", err=True
        )
    pop = None
    if population is not None:
        pop_frame = _read_commune_table(population, "code")
        pop = pop_frame.set_index(pop_frame.columns[0])[pop_frame.columns[1]]
    passages = None
    if history is not None:
        low, high = sorted((from_year, to_year))
        passages = yearly_passages(read_history(history), low, high)
    result, flows = convert_table(
        frame[list(dict.fromkeys(keep))],
        from_year,
        to_year,
        kinds=dict.fromkeys(counts, "count"),
        ratios=ratio_specs,
        population=pop,
        passages=passages,
    )
    from territobs.io.spreadsheet import to_csv

    to_csv(result.rename(columns={"code": code_column}), output, index=False)
    report_path = report or str(Path(output).with_suffix("")) + ".rapport.csv"
    to_csv(flows, report_path, index=False)
    changed = flows[flows["code_from"] != flows["code_to"]]
    click.echo(
        f"{len(frame)} lignes → {len(result)} communes du COG {to_year} ; "
        f"{changed['code_from'].nunique()} codes convertis (rapport : {report_path})."
    )


@cog.command(
    "detect",
    help="Devine le millésime du COG d'une table d'après ses codes communes.",
)
@click.argument("table", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--code-column",
    default="code",
    show_default=True,
    help="Colonne des codes communes.",
)
def detect(table: str, code_column: str) -> None:
    """Print the likely vintage of TABLE."""
    from territobs.cog import detect_vintage

    frame = _read_commune_table(table, code_column)
    click.echo(str(detect_vintage(frame["code"])))
