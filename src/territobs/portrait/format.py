"""Figures of portraits and index pages, formatted the French way.

Numbers go through :func:`territobs.maps.legend.format_number` (decimal
comma, narrow no-break space between thousands), so portraits, legends and
tooltips print the same figure identically. This module only chooses how
many decimals an indicator deserves and formats estimated shares.
"""

from __future__ import annotations

import math

from territobs.maps.legend import NBSP, format_number

__all__ = ["decimals_for", "format_share", "format_value"]


def decimals_for(value: float, unit: str = "", kind: str = "") -> int:
    """Choose the decimals shown for ``value``.

    Parameters
    ----------
    value : float
        The figure.
    unit : str, optional
        ``"%"`` gets one decimal; ``"€"`` none.
    kind : str, optional
        Counts get none from 100 upwards (one below, for weighted counts).

    Returns
    -------
    int
        0, 1 or 2.

    Examples
    --------
    >>> decimals_for(14.23, "%"), decimals_for(86375, "habitants", "count")
    (1, 0)
    """
    magnitude = abs(float(value))
    if unit == "%":
        return 1
    if unit == "€" or magnitude >= 100 or float(value).is_integer():
        return 0
    if kind == "count" or magnitude >= 10:
        return 1
    return 2


def format_value(value: float, unit: str = "", kind: str = "") -> str:
    r"""Format an indicator value, with its unit when one is given.

    Parameters
    ----------
    value : float
        The value (NaN gives ``"donnée manquante"``).
    unit : str, optional
        Appended after a no-break space (``"%"``, ``"€"``, ``"habitants"``).
    kind : str, optional
        ``count``, ``ratio``, ``mean``, ``median`` (see :func:`decimals_for`).

    Returns
    -------
    str
        For example ``"14,2 %"`` or ``"86 375"``.

    Examples
    --------
    >>> format_value(14.23, "%").replace("\u00a0", " ")
    '14,2 %'
    >>> format_value(float("nan"), "%")
    'donnée manquante'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "donnée manquante"
    text = format_number(value, decimals_for(value, unit or "", kind or ""))
    return f"{text}{NBSP}{unit}" if unit else text


def format_share(share: float) -> str:
    r"""Format a 0-1 share as a percentage, never rounding a part to 0 or 100.

    Parameters
    ----------
    share : float
        Between 0 and 1.

    Returns
    -------
    str
        ``"35 %"``; ``"< 1 %"`` for a small non-zero share, ``"> 99 %"``
        just below 1.

    Examples
    --------
    >>> format_share(0.349).replace("\u00a0", " ")
    '35 %'
    >>> format_share(0.001).replace("\u00a0", " ")
    '< 1 %'
    """
    percent = 100 * float(share)
    if 0 < percent < 1:
        return f"<{NBSP}1{NBSP}%"
    if 99 < percent < 100:
        return f">{NBSP}99{NBSP}%"
    return f"{format_number(percent, 0)}{NBSP}%"
