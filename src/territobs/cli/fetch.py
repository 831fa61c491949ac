"""``territobs fetch``: download an official source into the verified cache."""

from __future__ import annotations

import click


@click.command(
    "fetch",
    help=(
        "Télécharge une source officielle (IGN, INSEE, CAF) dans le cache, "
        "vérifie sa somme de contrôle et affiche son chemin. "
        "Exemple : territobs fetch insee-cog-mouvements --year 2024"
    ),
)
@click.argument("source", required=False)
@click.option("--year", type=int, help="Millésime à télécharger.")
@click.option("--departement", help="Code du département (sources départementales).")
@click.option("--offline", is_flag=True, help="N'utilise que le cache, sans réseau.")
@click.option(
    "--refresh", is_flag=True, help="Retélécharge même si le fichier est en cache."
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    help="Dossier du cache (défaut : $TERRITOBS_CACHE_DIR ou le cache utilisateur).",
)
@click.option(
    "--base-url", help="Remplace le serveur des adresses du registre (miroir)."
)
@click.option(
    "--deadline",
    type=click.FloatRange(min=1),
    default=3600,
    show_default=True,
    help="Délai total du téléchargement, en secondes.",
)
@click.option(
    "--max-size",
    type=click.FloatRange(min=0, min_open=True),
    help="Taille maximale du fichier, en Mo (défaut : celle du registre).",
)
@click.option("--list", "list_", is_flag=True, help="Liste les sources disponibles.")
def fetch(
    source: str | None,
    year: int | None,
    departement: str | None,
    offline: bool,
    refresh: bool,
    cache_dir: str | None,
    base_url: str | None,
    deadline: float,
    max_size: float | None,
    list_: bool,
) -> None:
    """Download SOURCE for --year and print the local path."""
    from territobs.fetch import fetch as fetch_source
    from territobs.fetch import list_sources

    if list_:
        for entry in list_sources():
            click.echo(f"{entry.id}\t{entry.producer}\t{entry.title}")
        return
    if source is None:
        raise click.UsageError(
            "précisez la source (territobs fetch --list pour la liste)."
        )
    if year is None:
        raise click.UsageError("précisez le millésime (--year).")
    path = fetch_source(
        source,
        year=year,
        departement=departement,
        cache_dir=cache_dir,
        offline=offline,
        refresh=refresh,
        base_url=base_url,
        progress=True,
        deadline=deadline,
        max_bytes=int(max_size * 2**20) if max_size else None,
    )
    click.echo(str(path))
