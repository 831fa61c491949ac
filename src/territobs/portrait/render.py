"""HTML rendering of portraits (jinja2, autoescaped, inline CSS)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import jinja2

    from territobs.portrait.model import Portrait

__all__ = ["environment", "render_portrait"]


@cache
def environment() -> jinja2.Environment:
    """Return the jinja2 environment of the portrait templates (autoescape on)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("territobs.portrait", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render_portrait(portrait: Portrait, *, fragment: bool = False) -> str:
    """Render ``portrait`` as a whole HTML page, or as a fragment for Jupyter.

    Parameters
    ----------
    portrait : Portrait
        The portrait.
    fragment : bool, default False
        Leave out ``<html>``/``<head>`` (for ``_repr_html_``); the
        fragment still carries its own stylesheet, scoped to
        ``.territobs-portrait``, so it displays the same in Jupyter.

    Returns
    -------
    str
        Self-contained HTML: no external resource, every name escaped.
    """
    from territobs.formatting import format_share
    from territobs.maps._links import check_link

    check_link(portrait.back_link)
    for _, link in getattr(portrait, "see_also", ()):
        check_link(link, "see_also")
    # a portrait of change (territobs.portrait.change) has its own template,
    # which extends the portrait's
    template = environment().get_template(
        getattr(portrait, "template", "portrait.html.j2")
    )
    return template.render(
        portrait=portrait,
        rows=portrait.rows(),
        sources=portrait.sources(),
        figures=portrait.key_figures(),
        groups=portrait.header_groups(),
        share_text=format_share,
        fragment=fragment,
    )
