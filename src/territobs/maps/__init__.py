"""Choropleth maps: classes, French legends, offline HTML and print maps.

- :func:`classify` → :class:`Classes` (breaks, French labels, colours),
  shareable between maps;
- :func:`choropleth` → :class:`InteractiveMap`, one self-contained HTML file
  (Leaflet inlined, canvas rendering, compact geometry, no request ever);
- :func:`static_map` / :func:`save_static` → matplotlib figure, PNG/SVG/PDF;
- :func:`format_number` and friends: French number formatting.
"""

from __future__ import annotations

from territobs.maps.caption import caption_from_result, make_caption
from territobs.maps.classify import SCHEMES, Classes, classify
from territobs.maps.interactive import (
    InteractiveMap,
    Outline,
    Points,
    Tiles,
    choropleth,
)
from territobs.maps.layers import Layer, Reference
from territobs.maps.legend import (
    format_date,
    format_difference,
    format_interval,
    format_number,
    format_value,
)
from territobs.maps.static import save_static, static_map

__all__ = [
    "SCHEMES",
    "Classes",
    "InteractiveMap",
    "Layer",
    "Outline",
    "Points",
    "Reference",
    "Tiles",
    "caption_from_result",
    "choropleth",
    "classify",
    "format_date",
    "format_difference",
    "format_interval",
    "format_number",
    "format_value",
    "make_caption",
    "save_static",
    "static_map",
]
