"""Addresses given through the API and written into HTML links.

Jinja escapes ``<``, ``>``, quotes and ``&``, but not a ``javascript:``
address, which runs when the link is clicked. Only a relative path or an
``http(s)`` URL is written into an ``href``.
"""

from __future__ import annotations

import re
import urllib.parse

from territobs.errors import ConfigError

__all__ = ["check_link"]

# What browsers drop from an address before reading its scheme (WHATWG URL).
_IGNORED = re.compile(r"[\x00-\x20\x7f]")


def check_link(url: str | None, name: str = "back_link") -> str | None:
    """Return ``url`` if it is a relative path or an http(s) URL; raise otherwise.

    Parameters
    ----------
    url : str or None
        The address (``None`` and ``""`` are returned as they are).
    name : str, default "back_link"
        The parameter, for the message.

    Returns
    -------
    str or None
        ``url`` unchanged.

    Raises
    ------
    ConfigError
        A ``javascript:``, ``data:``, ``file:`` or any other scheme, or an
        address starting with ``//`` or a backslash (another host).

    Examples
    --------
    >>> check_link("../../index.html")
    '../../index.html'
    >>> check_link("https://observatoire.example.fr/atlas/")
    'https://observatoire.example.fr/atlas/'
    >>> check_link("javascript:alert(1)")
    Traceback (most recent call last):
    ...
    territobs.errors.ConfigError: back_link « javascript:alert(1) » refusé : seuls un chemin relatif (../../index.html) ou une adresse http(s) sont acceptés.
    """
    if not url:
        return url
    bare = _IGNORED.sub("", url)
    scheme = urllib.parse.urlsplit(bare).scheme.lower()
    if (scheme and scheme not in ("http", "https")) or bare.startswith(
        ("//", "\\", "/\\")
    ):
        raise ConfigError(
            f"{name} « {url} » refusé : seuls un chemin relatif (../../index.html) "
            "ou une adresse http(s) sont acceptés.",
            key=name,
            codes=[url],
        )
    return url
