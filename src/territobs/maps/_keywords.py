"""The keywords the map functions took before :class:`Layer` and :class:`Caption`.

``choropleth``, ``static_map`` and ``print_map`` used to take the layer's and
the caption's settings as loose keywords (``label=``, ``unit=``, ``k=``,
``title=``, ``source=``...), which callers assembled into dictionaries. They
now take a :class:`~territobs.maps.layers.Layer` and a
:class:`~territobs.maps.layers.Caption`; the old keywords still work for one
release, with a :class:`FutureWarning`, and give the same map. Remove this
module (and the ``**deprecated`` parameters) in the release after.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from typing import Any

from territobs.maps.layers import Caption, Layer

#: Keywords that became fields of :class:`Layer` (``column`` is ``layer``).
LAYER_KEYWORDS = tuple(f.name for f in fields(Layer) if f.name != "column")
#: Keywords that became fields of :class:`Caption`.
CAPTION_KEYWORDS = ("title", "source", "vintage", "date")


def layer_and_caption(
    function: str,
    layer: str | Layer | None,
    caption: Caption | str | Sequence[str] | None,
    deprecated: Mapping[str, Any],
    *,
    caption_keywords: Sequence[str] = CAPTION_KEYWORDS,
) -> tuple[Layer, Caption]:
    """Fold the old keywords of ``function`` into its ``Layer`` and ``Caption``.

    Parameters
    ----------
    function : str
        Name of the map function (for messages).
    layer : str or Layer or None
        The layer argument (a column name is a ``Layer`` of that column).
    caption : Caption, str, sequence of str or None
        The caption argument (text: the caption lines).
    deprecated : mapping
        Old keywords the caller passed.
    caption_keywords : sequence of str
        The old caption keywords ``function`` took.

    Returns
    -------
    (Layer, Caption)

    Raises
    ------
    TypeError
        An unknown keyword, or no layer at all.

    Warns
    -----
    FutureWarning
        When any old keyword was used.
    """
    options = dict(deprecated)
    if "column" in options:  # the second parameter used to be called column
        if layer is not None:
            raise TypeError(f"{function}() got both 'layer' and 'column'")
        layer = options.pop("column")
    unknown = sorted(set(options) - set(LAYER_KEYWORDS) - set(caption_keywords))
    if unknown:
        raise TypeError(
            f"{function}() got unexpected keyword argument(s): {', '.join(unknown)}"
        )
    if layer is None:
        raise TypeError(f"{function}() missing the layer (a column name or a Layer)")
    spec = layer if isinstance(layer, Layer) else Layer(layer)
    text = Caption.of(caption)
    if deprecated:
        warnings.warn(
            f"{function}(): keyword(s) {', '.join(sorted(deprecated))} are "
            "deprecated and will be removed in the next release; pass "
            "layer=Layer(column, label=..., unit=..., k=...) and "
            "caption=Caption(title=..., source=..., vintage=..., date=...).",
            FutureWarning,
            stacklevel=3,
        )
        spec = replace(
            spec, **{k: v for k, v in options.items() if k in LAYER_KEYWORDS}
        )
        text = replace(
            text, **{k: v for k, v in options.items() if k in caption_keywords}
        )
    return spec, text
