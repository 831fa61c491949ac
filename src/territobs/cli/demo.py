"""``territobs demo``: build the offline demo atlas and say where to open it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

__all__ = ["demo"]

#: Default output folder of the demo, relative to the current directory.
DEFAULT_OUTPUT = Path("out") / "demo"


@click.command(
    "demo",
    help=(
        "Construit hors ligne l'atlas de démonstration : un diagnostic social de la "
        "Seine-Saint-Denis à l'IRIS (données INSEE réelles du recensement 2016 et de "
        "Filosofi, fournies avec territobs), sur ses quatre bassins, une "
        "circonscription formée de communes et une zone de PST dessinée à travers "
        "Clichy-sous-Bois et Montfermeil, avec un indicateur au format CAF "
        "(données illustratives) où le secret statistique s'applique ; puis, dans "
        "le sous-dossier evolution, l'évolution de la population des communes et "
        "des bassins entre 2017 et 2023 (portraits d'évolution, cartes centrées "
        "sur l'évolution du département). Un second lancement réutilise tout ce "
        "qui n'a pas changé."
    ),
)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUTPUT,
    show_default=True,
    help="Dossier de sortie (créé au besoin, relatif au dossier courant).",
)
@click.option("--force", is_flag=True, help="Reconstruit tout.")
@click.option("--quiet-progress", is_flag=True, help="Pas de barre de progression.")
def demo(output: Path, force: bool, quiet_progress: bool) -> None:
    """Build the demo atlas shipped as package data (``territobs/data/demo``)."""
    from territobs.atlas.config import load_config
    from territobs.atlas.scenarios import missing_modules
    from territobs.cli.atlas import run_build
    from territobs.datasets import demo_path

    config = load_config(demo_path() / "atlas.toml")
    config = dataclasses.replace(config, output=output.resolve())
    missing = missing_modules(config)
    if missing:  # `pip install territobs` alone: the rest of the demo still builds
        config = dataclasses.replace(config, scenarios=())
    report = run_build(config, force=force, quiet_progress=quiet_progress)
    # the change of the population 2017-2023 of the communes and bassins,
    # with portraits of change (territobs.atlas.evolution)
    changes = load_config(demo_path() / "evolution.toml")
    changes = dataclasses.replace(changes, output=(output / "evolution").resolve())
    evolution = run_build(changes, force=force, quiet_progress=quiet_progress)
    click.echo("")
    click.echo(f"Ouvrez dans un navigateur : {report.index.resolve()}")
    click.echo(
        "Évolution de la population 2017-2023 (portraits d'évolution) : "
        f"{evolution.index.resolve()}"
    )
    if missing:
        click.echo(
            "Comparaison de découpages non construite : elle demande l'extension "
            f"« scenarios » ({', '.join(missing)} absent). Pour l'ajouter : "
            'pip install "territobs[scenarios]" puis relancez territobs demo.'
        )
