"""Leaflet's built files, read from an installed package and inlined.

The PyPI package ``django-js-lib-leaflet`` ships Leaflet 1.9.4's
``leaflet.js``/``leaflet.css`` and images as package data; it is located with
:func:`importlib.util.find_spec` and read as plain files (its Django code is
never imported). The images the stylesheet refers to are inlined as
``data:`` URIs, so an exported map makes no request at all.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import re
from pathlib import Path

__all__ = ["LEAFLET_VERSION", "leaflet_css", "leaflet_dir", "leaflet_js"]

LEAFLET_VERSION = "1.9.4"
_PACKAGE = "js_lib_leaflet"
_URL = re.compile(r"url\((['\"]?)(images/[^)'\"]+)\1\)")


@functools.cache
def leaflet_dir() -> Path:
    """Folder holding Leaflet's built files.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ImportError
        If ``django-js-lib-leaflet`` is not installed (the message gives the
        install command).
    """
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "les fichiers de Leaflet sont introuvables : installez-les avec "
            "« pip install django-js-lib-leaflet »"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "static" / _PACKAGE


@functools.cache
def leaflet_js() -> str:
    """Leaflet's minified script.

    Returns
    -------
    str
    """
    return (leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")


def _data_uri(match: re.Match[str]) -> str:
    path = leaflet_dir() / match.group(2)
    if not path.is_file():  # pragma: no cover - every image ships with Leaflet
        return "none"
    payload = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'url("data:image/png;base64,{payload}")'


@functools.cache
def leaflet_css() -> str:
    """Leaflet's stylesheet with its images inlined as data URIs.

    Returns
    -------
    str
    """
    css = (leaflet_dir() / "leaflet.css").read_text(encoding="utf-8")
    return _URL.sub(_data_uri, css)
