"""territobs warnings shown as plain French lines on the command line.

Python shows a warning as ``/chemin/du/module.py:173: ZoneWarning: …`` followed
by the source line: internals a user of ``territobs`` has no use for. While a
command runs, :func:`french_warnings` shows every
:class:`~territobs.errors.TerritobsWarning` as one line on standard error,
``avertissement : …`` (the form of the atlas build summary), once per message.
Other warnings (from pandas, pyogrio...) keep Python's display.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

import click

__all__ = ["WARNING_PREFIX", "french_warnings", "warning_line"]

#: Start of a warning line, as in the atlas build summary.
WARNING_PREFIX = "avertissement : "


def warning_line(message: Warning | str) -> str:
    """Return the French line showing a territobs warning.

    Parameters
    ----------
    message : Warning or str
        The warning (its message is used) or its text.

    Returns
    -------
    str

    Examples
    --------
    >>> from territobs.errors import ZoneWarning
    >>> warning_line(ZoneWarning("2 zones débordent du territoire."))
    'avertissement : 2 zones débordent du territoire.'
    """
    return f"{WARNING_PREFIX}{message}"


@contextmanager
def french_warnings(quiet: Callable[[], bool] = lambda: False) -> Iterator[None]:
    """Show the territobs warnings raised inside the block as French lines.

    Each distinct message is written once to standard error, when it is
    raised (so it comes before the command's summary or its error). The
    warning filters and display are restored on exit.

    Parameters
    ----------
    quiet : callable, optional
        Called for each warning; when it returns True the warning is not
        shown (``territobs -q``).
    """
    from territobs.errors import TerritobsWarning

    seen: set[str] = set()
    with warnings.catch_warnings():
        # Always reach the display below, whatever the filters (pytest turns
        # territobs warnings into errors); repeats are dropped there.
        warnings.simplefilter("always", TerritobsWarning)
        python_display = warnings.showwarning

        def show(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: TextIO | None = None,
            line: str | None = None,
        ) -> None:
            if not issubclass(category, TerritobsWarning):
                python_display(message, category, filename, lineno, file, line)
                return
            text = warning_line(message)
            if text in seen or quiet():
                return
            seen.add(text)
            click.echo(text, err=True)

        warnings.showwarning = show
        yield
