"""``territobs atlas CONFIG``: build or refresh an atlas from its config file."""

from __future__ import annotations

import sys

import click

__all__ = ["atlas"]

_STATUS = {"built": "construit", "reused": "réutilisé"}


@click.command(
    "atlas",
    help=(
        "Construit ou rafraîchit l'atlas décrit par CONFIG (fichier TOML) : "
        "tableaux, cartes, portraits et page d'accueil index.html. Seul ce qui "
        "a changé depuis la dernière construction est refait."
    ),
)
@click.argument(
    "config",
    type=click.Path(exists=True, dir_okay=False),
    metavar="CONFIG",
)
@click.option(
    "--force",
    is_flag=True,
    help="Reconstruit tout, sans rien réutiliser des constructions précédentes.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Vérifie sans rien construire ce que la construction vérifiera : "
    "indicateurs du catalogue, règles de secret, approximations, composantes "
    "présentes dans les fichiers déclarés (lus), membres des zones.",
)
@click.option(
    "--quiet-progress",
    is_flag=True,
    help="Pas de barre de progression (journaux de CI).",
)
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help=(
        "Secondes à attendre la fin d'une autre construction du même atlas "
        "(une seule à la fois)."
    ),
)
def atlas(
    config: str, force: bool, check: bool, quiet_progress: bool, wait: float
) -> None:
    """Build the atlas of CONFIG (thin wrapper over ``build_atlas``)."""
    from territobs.atlas.build import plan
    from territobs.atlas.config import load_config
    from territobs.formatting import count_of

    parsed = load_config(config)
    if check:
        from territobs.atlas.check import check_atlas
        from territobs.errors import ConfigError

        problems = check_atlas(parsed)
        if problems:
            lines = "\n".join(f"  - {key} : {message}" for key, message in problems)
            raise ConfigError(
                f"fichier « {parsed.path} » : la construction échouerait "
                f"({count_of(len(problems), 'problème')})\n{lines}",
                path=parsed.path,
                key=problems[0][0],
                problems=problems,
            )
        steps = plan(parsed)
        click.echo(
            f"Configuration valide : {count_of(len(parsed.zonings), 'zonage')}, "
            f"{count_of(len(parsed.indicators), 'indicateur')}, "
            f"{count_of(len(steps), 'étape')}."
        )
        return
    run_build(parsed, force=force, quiet_progress=quiet_progress, wait=wait)


def run_build(
    parsed, *, force: bool = False, quiet_progress: bool = False, wait: float = 0.0
):
    """Build ``parsed`` with a progress bar on stderr and print the summary.

    Shared by ``territobs atlas`` and ``territobs demo``.

    Parameters
    ----------
    parsed : territobs.atlas.config.AtlasConfig
        A validated config.
    force : bool, default False
        Rebuild everything.
    quiet_progress : bool, default False
        Hide the progress bar.
    wait : float, default 0
        Seconds to wait for another build of the same atlas to end.

    Returns
    -------
    territobs.atlas.build.BuildReport
    """
    from territobs.atlas.build import build_atlas, plan

    steps = plan(parsed)
    with click.progressbar(
        length=len(steps),
        label="Construction de l'atlas",
        file=sys.stderr,
        hidden=quiet_progress,
        item_show_func=lambda label: label,
    ) as bar:

        def progress(step, status: str) -> None:
            bar.update(1, f"{step.label} ({_STATUS[status]})")

        report = build_atlas(parsed, force=force, progress=progress, wait=wait)
    click.echo(report.summary())
    return report
