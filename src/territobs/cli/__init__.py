"""The ``territobs`` command line: a thin mirror of the Python API.

Each subcommand lives in its own module (``territobs.cli.<name>``) and is
imported only when it runs, so ``territobs --help`` stays fast. Library errors
(:class:`~territobs.errors.TerritobsError`) become one French line and exit
code 1; ``-v`` shows the traceback. Library warnings
(:class:`~territobs.errors.TerritobsWarning`) become ``avertissement : …``
lines on standard error (none with ``-q``).
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from territobs._version import __version__
from territobs.cli._french import (
    FrenchContext,
    french_errors,
    frenchify,
    show_error,
)
from territobs.cli._warnings import french_warnings

#: command name -> (module, function, one-line French help shown by --help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("territobs.cli.demo", "demo", "Construit la démonstration hors ligne."),
    "read": (
        "territobs.cli.read",
        "read",
        "Lit un fichier et résume ce qu'il contient.",
    ),
    "recompute": (
        "territobs.cli.recompute",
        "recompute",
        "Recalcule des indicateurs sur des zones.",
    ),
    "evolution": (
        "territobs.cli.evolution",
        "evolution",
        "Mesure l'évolution d'indicateurs entre deux millésimes sur des zones.",
    ),
    "secret-check": (
        "territobs.cli.secret_check",
        "secret_check",
        "Recherche les risques de rupture du secret statistique.",
    ),
    "map": (
        "territobs.cli.map",
        "map_",
        "Dessine une carte (HTML autonome, PNG, SVG, PDF).",
    ),
    "atlas": ("territobs.cli.atlas", "atlas", "Construit ou rafraîchit un atlas."),
    "portrait": (
        "territobs.cli.portrait",
        "portrait",
        "Produit le portrait d'un territoire.",
    ),
    "fetch": (
        "territobs.cli.fetch",
        "fetch",
        "Télécharge les fichiers officiels (avec cache).",
    ),
    "scenarios": (
        "territobs.cli.scenarios",
        "scenarios",
        "Compare et propose des découpages ; mesure l'accès aux sites.",
    ),
    "cog": (
        "territobs.cli.cog",
        "cog",
        "Convertit une table d'un millésime du COG à un autre.",
    ),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use.

    Its help and its errors are in French, click's own words included: the
    context class lays the help out in French, and the click errors raised
    while parsing or running a command show themselves in French (also under
    click's standalone mode, e.g. ``CliRunner``).
    """

    context_class = FrenchContext

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: object,
    ) -> click.Context:
        """Parse the group's own options; click errors are shown in French."""
        with french_errors():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> object:
        """Run the subcommand; click errors and territobs warnings in French."""

        def quiet() -> bool:
            return bool(isinstance(ctx.obj, dict) and ctx.obj.get("quiet"))

        with french_errors(), french_warnings(quiet=quiet):
            return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Return the subcommand names, sorted."""
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import and return the subcommand ``cmd_name`` (None if unknown)."""
        if cmd_name not in COMMANDS:
            return None
        module_name, attr, _ = COMMANDS[cmd_name]
        return frenchify(getattr(importlib.import_module(module_name), attr))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Find the subcommand; an unknown name gets the close registered ones."""
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:
            if exc.possibilities:
                raise
            raise click.exceptions.NoSuchCommand(
                exc.command_name, possibilities=list(COMMANDS), ctx=ctx
            ) from None

    def format_commands(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        """List the subcommands under a French heading."""
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commandes"):
            formatter.write_dl(rows)


def _show_versions(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from territobs._show_versions import show_versions

    show_versions()
    ctx.exit()


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=(
        "territobs : indicateurs INSEE et CAF recalculés sur vos zones de projet, "
        "cartes et atlas consultables hors ligne."
    ),
)
@click.version_option(
    __version__,
    "--version",
    message="territobs %(version)s",
    help="Affiche la version et quitte.",
)
@click.option(
    "--show-versions",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_versions,
    help="Affiche les versions des dépendances (pour signaler un bogue).",
)
@click.option("-v", "--verbose", count=True, help="Plus de détails (-vv : débogage).")
@click.option("-q", "--quiet", is_flag=True, help="N'affiche que les erreurs.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Entry point of the command group."""
    level = logging.ERROR if quiet else (logging.WARNING - 10 * min(verbose, 2))
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    ctx.obj["quiet"] = quiet


frenchify(cli)


def main(argv: list[str] | None = None) -> None:
    """Run the command line, turning every error into one French line.

    territobs errors are printed as they are. An ``OSError`` (read-only
    folder, full disk, a path that is a file...) becomes an
    :class:`~territobs.errors.OutputError` naming the path and the fix; any
    other exception becomes a French line saying it is unexpected and how to
    report it. With ``-v`` the traceback is shown instead.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).
    """
    from territobs.errors import TerritobsError

    args = sys.argv[1:] if argv is None else argv
    verbose = any(a in ("-v", "-vv", "--verbose") for a in args)
    try:
        cli.main(args=argv, prog_name="territobs", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Interrompu.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        show_error(exc)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except TerritobsError as exc:
        if verbose:
            raise
        click.echo(f"Erreur : {exc.message}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrompu.", err=True)
        sys.exit(130)
    except Exception as exc:
        if verbose:
            raise
        click.echo(f"Erreur : {unexpected_message(exc, _output_arg(args))}", err=True)
        sys.exit(1)


def _output_arg(args: list[str]) -> str | None:
    """Return the value of ``-o``/``--output`` in ``args``, if any."""
    for i, arg in enumerate(args):
        if arg in ("-o", "--output") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--output="):
            return arg.split("=", 1)[1]
    return None


def unexpected_message(exc: Exception, output: str | None = None) -> str:
    """Return the French line shown for an exception that is not a territobs error.

    Parameters
    ----------
    exc : Exception
        What escaped the command.
    output : str, optional
        The output path of the command, named when the error does not say
        which file it was writing.

    Returns
    -------
    str
        For an ``OSError``, the message of :func:`territobs.errors.output_error`;
        otherwise the exception's type and text, and how to report it.

    Examples
    --------
    >>> unexpected_message(IsADirectoryError(21, "Is a directory", "out"))
    "impossible d'écrire « out » : c'est un dossier. Donnez un nom de fichier."
    """
    from territobs.errors import output_error

    if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
        return output_error(exc, exc.filename or output).message
    if isinstance(exc, FileNotFoundError):
        return f"fichier introuvable : « {exc.filename} »."
    detail = str(exc).splitlines()[0] if str(exc) else ""
    return (
        f"erreur inattendue ({type(exc).__name__}{' : ' + detail if detail else ''}). "
        "Relancez avec -v pour le détail et signalez-la avec la sortie de "
        "« territobs --show-versions »."
    )
