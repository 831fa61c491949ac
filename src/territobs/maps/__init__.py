"""Choropleth maps: classes, French legends, offline HTML and print maps.

- :func:`classify` → :class:`Classes` (breaks, French labels, colours),
  shareable between maps;
- :func:`choropleth` → :class:`InteractiveMap`, one self-contained HTML file
  (Leaflet inlined, canvas rendering, compact geometry, no request ever);
  every map function takes a :class:`Layer` (the indicator and how it is
  classified) and a :class:`Caption` (title, caption lines, provenance);
- :func:`static_map` / :func:`save_static` → matplotlib figure, PNG/SVG/PDF;
- :func:`format_number` and friends: French number formatting (from
  :mod:`territobs.formatting`).

Submodules are imported on first use of one of their names, so
``import territobs.maps`` stays fast: geopandas, matplotlib and mapclassify
(which pulls scipy and scikit-learn) load only when a map is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from territobs._lazy import lazy_exports

# ``classify`` is both a submodule and a function: importing the submodule
# (as other modules do) sets the package attribute to the module, which would
# hide the function from ``__getattr__``. So these names are bound now; the
# module is light (numpy only: mapclassify and matplotlib load when classes
# are computed).
from territobs.maps.classify import SCHEMES, Classes, classify

#: public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "make_caption": "territobs.maps.caption",
    "caption_from_result": "territobs.maps.caption",
    "centre_reference": "territobs.maps.change",
    "change_caption": "territobs.maps.change",
    "change_layer": "territobs.maps.change",
    "change_map": "territobs.maps.change",
    "InteractiveMap": "territobs.maps.interactive",
    "Outline": "territobs.maps.interactive",
    "Points": "territobs.maps.interactive",
    "Tiles": "territobs.maps.interactive",
    "choropleth": "territobs.maps.interactive",
    "Caption": "territobs.maps.layers",
    "Layer": "territobs.maps.layers",
    "Reference": "territobs.maps.layers",
    "format_date": "territobs.formatting",
    "format_difference": "territobs.formatting",
    "format_interval": "territobs.formatting",
    "format_number": "territobs.formatting",
    "format_percent": "territobs.formatting",
    "format_value": "territobs.formatting",
    "save_static": "territobs.maps.static",
    "static_map": "territobs.maps.static",
}

__all__ = [
    "SCHEMES",
    "Caption",
    "Classes",
    "InteractiveMap",
    "Layer",
    "Outline",
    "Points",
    "Reference",
    "Tiles",
    "caption_from_result",
    "centre_reference",
    "change_caption",
    "change_layer",
    "change_map",
    "choropleth",
    "classify",
    "format_date",
    "format_difference",
    "format_interval",
    "format_number",
    "format_percent",
    "format_value",
    "make_caption",
    "save_static",
    "static_map",
]


__getattr__, __dir__ = lazy_exports("territobs.maps", _EXPORTS, globals())


if TYPE_CHECKING:  # pragma: no cover
    from territobs.formatting import (
        format_date,
        format_difference,
        format_interval,
        format_number,
        format_percent,
        format_value,
    )
    from territobs.maps.caption import caption_from_result, make_caption
    from territobs.maps.change import (
        centre_reference,
        change_caption,
        change_layer,
        change_map,
    )
    from territobs.maps.interactive import (
        InteractiveMap,
        Outline,
        Points,
        Tiles,
        choropleth,
    )
    from territobs.maps.layers import Caption, Layer, Reference
    from territobs.maps.static import save_static, static_map
