"""Inline SVG of a portrait: the locator map and the small bar charts.

Both are plain SVG strings built from numbers and shapes (no JavaScript, no
external file), so a portrait prints and opens offline. Names from the data
only ever go through :func:`html.escape`.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = ["bar_chart_svg", "locator_svg"]

#: Fill of the zone on its locator map, and of its bar in the charts.
ZONE_COLOR = "#d55e00"
#: Fill of the reference bars.
REFERENCE_COLOR = "#8c96a0"


def _path(geom: BaseGeometry, transform: Callable[[np.ndarray], np.ndarray]) -> str:
    """SVG path data (``M … Z``) of a polygon or multipolygon."""
    out = []
    for part in shapely.get_parts(np.asarray([geom], dtype=object)):
        holes = range(shapely.get_num_interior_rings(part))
        rings = [shapely.get_exterior_ring(part)]
        rings += [shapely.get_interior_ring(part, i) for i in holes]
        for ring in rings:
            xy = transform(shapely.get_coordinates(ring))
            if len(xy) < 3:
                continue
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
            out.append(f"M{points}Z")
    return "".join(out)


#: Path data of context shapes (départements) already drawn at the same scale
#: and offset: every zone of one département shares its view, so an atlas
#: draws each département once, not once per zone. Entries keep their shape
#: alive, so an ``id`` is not reused while cached.
_CONTEXT_PATHS: dict[tuple[int, tuple[float, ...]], tuple[BaseGeometry, str]] = {}
_CONTEXT_PATHS_SIZE = 64


def _context_path(
    geom: BaseGeometry, view: tuple[float, ...], draw: Callable[[BaseGeometry], str]
) -> str:
    hit = _CONTEXT_PATHS.get((id(geom), view))
    if hit is not None and hit[0] is geom:
        return hit[1]
    data = draw(geom)
    if len(_CONTEXT_PATHS) >= _CONTEXT_PATHS_SIZE:
        _CONTEXT_PATHS.pop(next(iter(_CONTEXT_PATHS)))
    _CONTEXT_PATHS[(id(geom), view)] = (geom, data)
    return data


def locator_svg(
    zone: BaseGeometry | None,
    context: Sequence[BaseGeometry | None] = (),
    members: Sequence[BaseGeometry | None] = (),
    *,
    title: str = "",
    width: int = 320,
    height: int = 260,
) -> str:
    """Draw the zone (filled) among its members and its wider territory.

    Parameters
    ----------
    zone : shapely geometry
        The zone's polygon, in a projected CRS.
    context : sequence of shapely geometry
        The territory around it (its département(s)), same CRS: drawn light
        grey; the view covers them.
    members : sequence of shapely geometry
        Its member units, drawn as thin outlines over the zone.
    title : str
        Accessible title of the figure (escaped).
    width, height : int
        Size in pixels.

    Returns
    -------
    str
        An ``<svg>`` element ("" when the zone has no geometry).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> svg = locator_svg(box(0, 0, 1, 1), [box(-5, -5, 5, 5)], title="Zone <A>")
    >>> svg.startswith("<svg") and "Zone &lt;A&gt;" in svg
    True
    """
    if zone is None or shapely.is_empty(zone):
        return ""
    shapes = [g for g in context if g is not None and not shapely.is_empty(g)]
    x0, y0, x1, y1 = shapely.total_bounds(np.asarray([zone, *shapes], dtype=object))
    pad = 6
    span = max(x1 - x0, y1 - y0, 1e-9)
    k = min(
        (width - 2 * pad) / max(x1 - x0, span * 1e-3),
        (height - 2 * pad) / max(y1 - y0, span * 1e-3),
    )
    ox = pad + ((width - 2 * pad) - k * (x1 - x0)) / 2
    oy = pad + ((height - 2 * pad) - k * (y1 - y0)) / 2
    tolerance = 0.7 / k  # under a pixel: invisible, and a much smaller file

    def transform(xy: np.ndarray) -> np.ndarray:
        return np.column_stack((ox + k * (xy[:, 0] - x0), oy + k * (y1 - xy[:, 1])))

    def path(geom: BaseGeometry) -> str:
        return _path(shapely.simplify(geom, tolerance), transform)

    parts = [
        f'<svg class="territobs-locator" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{html.escape(title)}">',
        f"<title>{html.escape(title)}</title>",
    ]
    view = (k, ox, oy, x0, y1)
    for geom in shapes:
        parts.append(
            f'<path d="{_context_path(geom, view, path)}" fill="#eeeeee" '
            'stroke="#888888" '
            'stroke-width="0.8" fill-rule="evenodd"/>'
        )
    parts.append(
        f'<path d="{path(zone)}" fill="{ZONE_COLOR}" fill-opacity="0.85" '
        f'stroke="{ZONE_COLOR}" stroke-width="1.2" fill-rule="evenodd"/>'
    )
    for member in members:
        if member is not None and not shapely.is_empty(member):
            parts.append(
                f'<path d="{path(member)}" fill="none" stroke="#ffffff" '
                'stroke-width="0.6"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart_svg(
    bars: Sequence[tuple[str, float | None, str, bool]],
    *,
    width: int = 300,
    bar_height: int = 14,
) -> str:
    """Horizontal bars of one indicator: the zone and its references.

    Parameters
    ----------
    bars : sequence of (label, value, value text, is the zone)
        One bar each; a value of None (secret, missing) gets no bar, only
        its text (« secret statistique »).
    width : int, default 300
    bar_height : int, default 14

    Returns
    -------
    str
        An ``<svg>`` element, or "" when no bar has a value.

    Examples
    --------
    >>> svg = bar_chart_svg([("Zone", 30.0, "30 %", True), ("Dép.", 20.0, "20 %", False)])
    >>> svg.count("<rect")
    2
    """
    values = [v for _, v, _, _ in bars if v is not None and np.isfinite(v)]
    if not values:
        return ""
    top = max(max(values), 0.0)
    low = min(min(values), 0.0)
    span = (top - low) or 1.0
    label_width, text_width = 128, 80
    plot = width - label_width - text_width
    row = bar_height + 6
    height = row * len(bars) + 2
    zero = label_width + plot * (-low / span)
    out = [
        f'<svg class="territobs-bars" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="img" aria-hidden="true">'
    ]
    for n, (label, value, text, own) in enumerate(bars):
        y = 1 + n * row
        short = label if len(label) <= 18 else label[:17] + "…"
        bold = ' font-weight="bold"' if own else ""
        out.append(
            f'<text x="{label_width - 6}" y="{y + bar_height - 3}" '
            f'text-anchor="end" font-size="10"{bold}>{html.escape(short)}</text>'
        )
        if value is not None and np.isfinite(value):
            x = zero + min(0.0, plot * value / span)
            w = abs(plot * value / span)
            color = ZONE_COLOR if own else REFERENCE_COLOR
            out.append(
                f'<rect x="{x:.1f}" y="{y}" width="{max(w, 0.5):.1f}" '
                f'height="{bar_height}" fill="{color}"/>'
            )
        out.append(
            f'<text x="{label_width + plot + 4}" y="{y + bar_height - 3}" '
            f'font-size="10">{html.escape(text)}</text>'
        )
    out.append(
        f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="0" y2="{height}" '
        'stroke="#444444" stroke-width="0.6"/>'
    )
    out.append("</svg>")
    return "".join(out)
