"""French for the words click writes itself: help layout and error messages.

click (8.x) writes a few English words of its own around the French help
texts of the commands: ``Usage:``, ``Options:``, ``Commands:``, ``[default:
…]``, the type names used as metavars (``TEXT``, ``FLOAT``…) and every usage
error (``Error: No such option…``, ``Missing argument…``). Its messages go
through the process-wide :mod:`gettext` domain, which a library must not
hijack; so the French is given here, in three explicit places:

- :class:`FrenchHelpFormatter`, the formatter of :class:`FrenchContext`, the
  context class of every ``territobs`` command (see :func:`frenchify`), writes
  the usage line and the section headings in French;
- :func:`frenchify` gives a command's ``--help`` option a French description,
  French type metavars to its options and the French context class;
- :func:`french_message` and :func:`show_error` rewrite a click error in
  French, from the exception's fields (parameter, option name, suggestions)
  and, for the messages of click's parameter types, from their known English
  forms. A message that is not recognised (the commands' own messages are
  already French) is kept as is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import IO, Any

import click
from click import exceptions as cx

__all__ = [
    "HELP_TEXT",
    "FrenchContext",
    "FrenchHelpFormatter",
    "french_errors",
    "french_message",
    "frenchify",
    "show_error",
]

#: Description of the ``-h, --help`` option of every command.
HELP_TEXT = "Affiche cette aide et quitte."

#: Usage-line prefix, in place of click's ``Usage:``.
USAGE_PREFIX = "Utilisation : "

#: Section headings click writes (``Options``, ``Commands``...), in French.
HEADINGS = {
    "Options": "Options",
    "Commands": "Commandes",
    "Positional arguments": "Arguments",
    "Arguments": "Arguments",
}

#: Metavar of a group's subcommand, in place of ``COMMAND [ARGS]...``.
SUBCOMMAND_METAVAR = "COMMANDE [ARGUMENTS]..."

#: French metavar of an option, by click type name (upper case).
METAVARS = {
    "TEXT": "TEXTE",
    "INTEGER": "ENTIER",
    "INTEGER RANGE": "ENTIER",
    "FLOAT": "NOMBRE",
    "FLOAT RANGE": "NOMBRE",
    "BOOLEAN": "BOOLÉEN",
    "PATH": "CHEMIN",
    "FILE": "FICHIER",
    "FILENAME": "FICHIER",
    "DIRECTORY": "DOSSIER",
}

# "[default: x; required]" that click appends to an option's help.
_EXTRA = re.compile(r"\[((?:env var|default): [^\]]*|required)(?:; [^\]]*)?\]$")
_EXTRA_WORDS = (
    ("env var: ", "variable d'environnement : "),
    ("default: ", "défaut : "),
    ("required", "obligatoire"),
)


class FrenchHelpFormatter(click.HelpFormatter):
    """A click help formatter writing ``Utilisation :`` and French headings."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        """Write the usage line, prefixed with ``Utilisation :``."""
        super().write_usage(prog, args, USAGE_PREFIX if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        """Write a section heading in French, with French punctuation (`` :``)."""
        heading = HEADINGS.get(heading, heading)
        self.write(f"{'':>{self.current_indent}}{heading} :\n")

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        """Write a definition list, with click's ``[default: …]`` in French."""
        super().write_dl(
            [(term, _french_extra(text)) for term, text in rows], col_max, col_spacing
        )


def _french_extra(text: str) -> str:
    match = _EXTRA.search(text)
    if match is None:
        return text
    extra = match.group(0)
    for english, french in _EXTRA_WORDS:
        extra = extra.replace(english, french)
    return text[: match.start()] + extra


class FrenchContext(click.Context):
    """A click context whose help is laid out by :class:`FrenchHelpFormatter`."""

    formatter_class = FrenchHelpFormatter


def frenchify(command: click.Command) -> click.Command:
    """Make ``command`` (and its subcommands) speak French in ``--help``.

    The command gets :class:`FrenchContext` as context class, a French
    description of its help option, French metavars for the options that use
    a click type name (``TEXT`` → ``TEXTE``) and, for a group, a French
    subcommand metavar. Calling it again is harmless.

    Parameters
    ----------
    command : click.Command
        A command or group, modified in place.

    Returns
    -------
    click.Command
        ``command`` itself.
    """
    command.context_class = FrenchContext
    if not getattr(command, "_territobs_french", False):
        original = command.get_help_option

        def get_help_option(ctx: click.Context) -> click.Option | None:
            option = original(ctx)
            if option is not None:
                option.help = HELP_TEXT
            return option

        command.get_help_option = get_help_option  # type: ignore[method-assign]
        command._territobs_french = True  # type: ignore[attr-defined]
    for param in command.params:
        if (
            isinstance(param, click.Option)
            and param.metavar is None
            and not param.is_flag
            and param.type.name.upper() in METAVARS
        ):
            suffix = "..." if param.nargs != 1 else ""
            param.metavar = METAVARS[param.type.name.upper()] + suffix
    if isinstance(command, click.Group):
        if command.subcommand_metavar == "COMMAND [ARGS]...":
            command.subcommand_metavar = SUBCOMMAND_METAVAR
        for sub in command.commands.values():
            frenchify(sub)
    return command


# ---------------------------------------------------------------- errors
def _quote(name: object) -> str:
    return f"« {name} »"


def _requote(text: str) -> str:
    """``'--kind'`` (click's quoting of a name) → ``« --kind »``."""
    return re.sub(r"'([^']*)'", lambda m: _quote(m.group(1)), text)


#: click's English messages of its parameter types and parser → French.
_MESSAGES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"^(.*) is not one of (.*)\.$", re.S),
        lambda m: f"{_requote(m[1])} ne fait pas partie des choix : {_requote(m[2])}.",
    ),
    (
        re.compile(
            r"^(.*) is not a valid (integer|float|integer range|float range)\.$"
        ),
        lambda m: (
            f"{_requote(m[1])} n'est pas un nombre "
            + ("entier valide." if m[2].startswith("integer") else "valide.")
        ),
    ),
    (
        re.compile(r"^(.*) is not a valid boolean\. Recognized values: (.*)$"),
        lambda m: f"{_requote(m[1])} n'est pas un booléen ; valeurs reconnues : {m[2]}",
    ),
    (
        re.compile(r"^(.*) is not a valid UUID\.$"),
        lambda m: f"{_requote(m[1])} n'est pas un UUID valide.",
    ),
    (
        re.compile(r"^(.*) is not in the range (.*)\.$"),
        lambda m: f"{m[1]} n'est pas dans l'intervalle {m[2]}.",
    ),
    (
        re.compile(
            r"^(File|Directory|Path|file|directory|path) '(.*)' "
            r"(does not exist|is a file|is a directory|is not readable|"
            r"is not writable|is not executable)\.$"
        ),
        lambda m: _path_message(m[1].lower(), m[2], m[3]),
    ),
    (
        re.compile(r"^(.*) is not (.*)\.$", re.S),
        lambda m: f"{_requote(m[1])} n'est pas {_requote(m[2])}.",
    ),
    (
        re.compile(r"^Option '(.*)' requires an argument\.$"),
        lambda m: f"l'option {_quote(m[1])} attend une valeur.",
    ),
    (
        re.compile(r"^Option '(.*)' requires (\d+) arguments\.$"),
        lambda m: f"l'option {_quote(m[1])} attend {m[2]} valeurs.",
    ),
    (
        re.compile(r"^Option '(.*)' does not take a value\.$"),
        lambda m: f"l'option {_quote(m[1])} ne prend pas de valeur.",
    ),
    (
        re.compile(r"^Argument '(.*)' takes (\d+) values\.$"),
        lambda m: f"l'argument {_quote(m[1])} attend {m[2]} valeurs.",
    ),
    (
        re.compile(r"^Got unexpected extra argument(s?) \((.*)\)$", re.S),
        lambda m: f"argument{m[1]} en trop : {m[2]}.",
    ),
    (
        re.compile(r"^Takes (\d+) values but (\d+) (?:was|were) given\.$"),
        lambda m: f"{m[1]} valeurs attendues, {m[2]} données.",
    ),
    (re.compile(r"^Missing command\.$"), lambda m: "commande manquante."),
    (re.compile(r"^Value must be an iterable\.$"), lambda m: "valeur non itérable."),
    (re.compile(r"^unknown error$"), lambda m: "erreur inconnue"),
]

_PATH_WORDS = {"file": "le fichier", "directory": "le dossier", "path": "le chemin"}
_PATH_STATES = {
    "does not exist": "n'existe pas",
    "is a file": "est un fichier",
    "is a directory": "est un dossier",
    "is not readable": "n'est pas lisible",
    "is not writable": "n'est pas accessible en écriture",
    "is not executable": "n'est pas exécutable",
}


def _path_message(kind: str, filename: str, state: str) -> str:
    return f"{_PATH_WORDS[kind]} {_quote(filename)} {_PATH_STATES[state]}."


def _translate(message: str) -> str:
    """Translate one of click's known English messages; others are kept."""
    for pattern, french in _MESSAGES:
        match = pattern.match(message)
        if match is not None:
            return french(match)
    return message


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _suggestions(possibilities: Sequence[str] | None) -> str:
    if not possibilities:
        return ""
    names = ", ".join(_quote(p) for p in sorted(possibilities))
    if len(possibilities) == 1:
        return f" Vouliez-vous dire {names} ?"
    return f" Vouliez-vous dire l'un de : {names} ?"


def _param_hint(exc: cx.BadParameter) -> str | None:
    if exc.param_hint is not None:
        hints = [exc.param_hint] if isinstance(exc.param_hint, str) else exc.param_hint
        return " / ".join(_quote(hint) for hint in hints)
    if exc.param is not None:
        return _requote(exc.param.get_error_hint(exc.ctx))
    return None


def french_message(exc: click.ClickException) -> str:
    """Return the message of a click error, in French.

    Parameters
    ----------
    exc : click.ClickException
        Any click error: unknown option or command, missing or invalid
        parameter, or a command's own (already French) error.

    Returns
    -------
    str
        The message, without the ``Erreur :`` prefix.

    Examples
    --------
    >>> import click
    >>> french_message(click.exceptions.NoSuchOption("--bogus"))
    'Option « --bogus » inconnue.'
    >>> print(french_message(click.BadParameter("'x' is not a valid integer.",
    ...                                         param_hint="--size")))
    Valeur invalide pour « --size » : « x » n'est pas un nombre entier valide.
    """
    if isinstance(exc, cx.NoSuchOption):
        default = exc.message == f"No such option {exc.option_name!r}."
        text = f"Option {_quote(exc.option_name)} inconnue." if default else exc.message
        return _translate(text) + _suggestions(exc.possibilities)
    if isinstance(exc, cx.NoSuchCommand):
        default = exc.message == f"No such command {exc.command_name!r}."
        text = (
            f"Commande {_quote(exc.command_name)} inconnue." if default else exc.message
        )
        return _translate(text) + _suggestions(exc.possibilities)
    if isinstance(exc, cx.MissingParameter):
        return _missing(exc)
    if isinstance(exc, cx.BadParameter):
        hint = _param_hint(exc)
        message = _translate(exc.message)
        if hint is None:
            return f"Valeur invalide : {message}"
        return f"Valeur invalide pour {hint} : {message}"
    if isinstance(exc, cx.FileError):
        return f"impossible d'ouvrir le fichier {_quote(exc.ui_filename)} : " + (
            _translate(exc.message)
        )
    return _capitalised(_translate(exc.message))


def _missing(exc: cx.MissingParameter) -> str:
    hint = _param_hint(exc)
    kind = exc.param_type
    if kind is None and exc.param is not None:
        kind = exc.param.param_type_name
    if kind == "option":
        text = f"Option {hint} manquante." if hint else "Option manquante."
    elif kind == "argument":
        text = f"Argument {hint} manquant." if hint else "Argument manquant."
    else:
        text = f"Paramètre {hint} manquant." if hint else "Paramètre manquant."
    if exc.message:
        text += f" {exc.message}"
    if exc.param is not None and isinstance(exc.param.type, click.Choice):
        choices = ", ".join(map(str, exc.param.type.choices))
        text += f" Choisir parmi : {choices}."
    return text


def show_error(exc: click.ClickException, file: IO[Any] | None = None) -> None:
    """Write a click error to stderr in French, as click would in English.

    A usage error shows the French usage line, the way to get help, then
    ``Erreur : <message>``; any other error only the last line.

    Parameters
    ----------
    exc : click.ClickException
        The error.
    file : file object, optional
        Where to write (default: standard error).
    """
    if isinstance(exc, cx.NoArgsIsHelpError):  # the help itself: already French
        exc.show(file)
        return
    err = file is None
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        lines = [ctx.get_usage()]
        if ctx.command.get_help_option(ctx) is not None:
            option = max(ctx.command.get_help_option_names(ctx), key=len)
            lines.append(
                f"Essayez {_quote(f'{ctx.command_path} {option}')} pour l'aide."
            )
        click.echo("\n".join(lines) + "\n", file=file, err=err, color=ctx.color)
    click.echo(f"Erreur : {french_message(exc)}", file=file, err=err)


@contextmanager
def french_errors() -> Iterator[None]:
    """Make the click errors raised inside the block show themselves in French.

    The exception keeps its type (callers and tests may still catch
    ``click.UsageError``); only its :meth:`~click.ClickException.show`, which
    click's standalone mode calls, is replaced by :func:`show_error`.
    """
    try:
        yield
    except click.ClickException as exc:
        if not isinstance(exc, cx.NoArgsIsHelpError):
            exc.show = partial(show_error, exc)  # type: ignore[method-assign]
        raise
