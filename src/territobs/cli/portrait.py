"""``territobs portrait RESULT ZONE``: the portrait of one territory."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["portrait"]


def _read_result(path: Path):
    """Read a tidy result (CSV or Parquet) keeping codes as text."""
    import pandas as pd

    from territobs.cli._result_tables import require_table, unreadable_table

    require_table(path)
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        table = pd.read_csv(
            path,
            dtype={"zone": str, "zone_name": str, "indicator": str, "vintage": str},
            keep_default_na=True,
        )
    except (ValueError, OSError, ImportError) as exc:  # pyarrow, parser, decoding
        raise unreadable_table(path, exc) from exc
    return table.fillna(
        {"approximation": "", "secret_reason": "", "source": "", "vintage": ""}
    )


def _complete(frame, catalog):
    """Give a hand-made result the columns secrecy reads (kind, figures).

    ``kind`` comes from the catalogue (``count`` for unknown indicators),
    ``numerator`` is the value of a count, ``denominator`` NaN when absent.
    """
    import numpy as np

    frame = frame.copy()
    if "kind" not in frame.columns:

        def kind(ident: str) -> str:
            try:
                return catalog.get(ident).kind
            except Exception:  # unknown to the catalogue: no rule masks it
                return "count"

        frame["kind"] = frame["indicator"].astype(str).map(kind)
    if "numerator" not in frame.columns:
        frame["numerator"] = frame["value"].where(frame["kind"] == "count")
    if "denominator" not in frame.columns:
        frame["denominator"] = np.nan
    return frame


@click.command(
    "portrait",
    help=(
        "Produit le portrait (fiche territoire) de la zone ZONE à partir d'un "
        "ou plusieurs tableaux de résultats RÉSULTAT (CSV ou Parquet, tels "
        "qu'écrits par « territobs recompute » ou par un atlas) : une page HTML "
        "imprimable et ses données en CSV."
    ),
)
@click.argument(
    "results",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="RÉSULTAT...",
)
@click.option("-z", "--zone", required=True, help="Identifiant de la zone décrite.")
@click.option(
    "-r",
    "--reference",
    "references",
    multiple=True,
    help="Zone de comparaison (répétable, dans l'ordre d'affichage).",
)
@click.option(
    "-i",
    "--indicator",
    "indicators",
    multiple=True,
    help="Indicateur à montrer (répétable ; par défaut tous).",
)
@click.option("--title", help="Titre de la page (par défaut : le nom de la zone).")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Dossier où écrire ZONE.html et ZONE.csv.",
)
def portrait(
    results: tuple[Path, ...],
    zone: str,
    references: tuple[str, ...],
    indicators: tuple[str, ...],
    title: str | None,
    output: Path,
) -> None:
    """Write the portrait of ZONE (thin wrapper over ``territobs.portrait``)."""
    from territobs.catalog import default_catalog
    from territobs.portrait import portrait as make_portrait
    from territobs.publish import publish, rules_for_result

    catalog = default_catalog()
    # the same rules and states as the atlas, whatever wrote the files
    frames = [
        publish(frame, rules=rules_for_result(frame, catalog), catalog=catalog)
        for frame in (_complete(_read_result(path), catalog) for path in results)
    ]
    page = make_portrait(
        frames,
        zone,
        list(references),
        indicators=list(indicators) or None,
        title=title,
    )
    paths = page.save(output)
    click.echo(f"Portrait écrit : {paths['html']} (données : {paths['csv']})")
