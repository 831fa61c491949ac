"""Colour-blind-safe palettes for choropleth classes.

Sequential and diverging ramps are sampled from matplotlib's copies of the
ColorBrewer schemes (Cynthia Brewer, Mark Harrower and The Pennsylvania State
University, Apache 2.0 licence; https://colorbrewer2.org) and from the
perceptually uniform ``viridis``/``cividis`` maps. Only schemes rated
colour-blind safe by ColorBrewer (or designed so) are offered.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

__all__ = [
    "DIVERGING",
    "MISSING_COLOR",
    "SECRET_COLOR",
    "SEQUENTIAL",
    "diverging_colors",
    "sequential_colors",
]

SequentialName = Literal["YlGnBu", "YlOrRd", "PuBu", "Blues", "viridis", "cividis"]
DivergingName = Literal["PuOr", "RdBu", "BrBG", "PRGn"]

#: Sequential palettes accepted by :func:`sequential_colors`.
SEQUENTIAL: tuple[str, ...] = get_args(SequentialName)
#: Diverging palettes accepted by :func:`diverging_colors`.
DIVERGING: tuple[str, ...] = get_args(DivergingName)

#: Fill of zones whose value is under statistical secrecy (hatched on maps).
SECRET_COLOR = "#9e9e9e"
#: Fill of zones without a value ("donnée manquante").
MISSING_COLOR = "#ffffff"

# The light end of ColorBrewer ramps is nearly white: start a little inside it
# so that the first class stays distinct from "donnée manquante".
_LIGHT_START = 0.12


def _check(name: str, allowed: tuple[str, ...]) -> None:
    if name not in allowed:
        raise ValueError(
            f"palette « {name} » inconnue ; palettes possibles : {', '.join(allowed)}"
        )


def sequential_colors(name: str, k: int) -> list[str]:
    """Sample ``k`` colours, light to dark, from a sequential palette.

    Parameters
    ----------
    name : {"YlGnBu", "YlOrRd", "PuBu", "Blues", "viridis", "cividis"}
        The palette.
    k : int
        Number of classes (1 or more).

    Returns
    -------
    list of str
        Hex colours ``"#rrggbb"``, lowest class first.

    Raises
    ------
    ValueError
        If the palette is unknown or ``k < 1``.

    Examples
    --------
    >>> sequential_colors("YlGnBu", 3)
    ['#eef8b3', '#2fa4c2', '#081d58']
    """
    _check(name, SEQUENTIAL)
    if k < 1:
        raise ValueError(f"nombre de classes {k} invalide (au moins 1)")
    import matplotlib as mpl
    from matplotlib.colors import to_hex

    cmap = mpl.colormaps[name]
    if name in ("viridis", "cividis"):
        # dark to light in matplotlib: reverse so that high values are dark
        positions = np.linspace(0.95, 0.05, k) if k > 1 else np.array([0.5])
    else:
        positions = np.linspace(_LIGHT_START, 1.0, k) if k > 1 else np.array([0.55])
    return [to_hex(cmap(float(p))) for p in positions]


def diverging_colors(name: str, n_below: int, n_above: int) -> list[str]:
    """Colours for classes below and above a reference value.

    The ramp is symmetric: the classes nearest the reference are the lightest
    on both sides, and the same distance in classes gives the same intensity.

    Parameters
    ----------
    name : {"PuOr", "RdBu", "BrBG", "PRGn"}
        The palette; its first half colours values below the reference.
    n_below, n_above : int
        Number of classes below and above the reference.

    Returns
    -------
    list of str
        ``n_below + n_above`` hex colours, lowest class first.

    Raises
    ------
    ValueError
        If the palette is unknown or both counts are zero.

    Notes
    -----
    With ``m = max(n_below, n_above)``, the class at rank ``i`` (1 = nearest
    the reference) below takes the colour at position ``0.5 - 0.45 i / m`` of
    the colour map, and above ``0.5 + 0.45 i / m``.

    Examples
    --------
    >>> len(diverging_colors("PuOr", 2, 3))
    5
    """
    _check(name, DIVERGING)
    m = max(n_below, n_above)
    if m < 1:
        raise ValueError("il faut au moins une classe pour une palette divergente")
    # matplotlib's RdBu/PuOr/BrBG/PRGn run from the warm/brown/purple end to the
    # other: reverse so that "above the reference" gets the first, warmer half.
    import matplotlib as mpl
    from matplotlib.colors import to_hex

    cmap = mpl.colormaps[name].reversed()
    below = [0.5 - 0.45 * i / m for i in range(n_below, 0, -1)]
    above = [0.5 + 0.45 * i / m for i in range(1, n_above + 1)]
    return [to_hex(cmap(p)) for p in below + above]
