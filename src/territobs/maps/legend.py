"""French number, interval and date formatting for legends, tooltips and captions.

French typography: decimal comma, thousands grouped by a narrow no-break space
(U+202F), a no-break space (U+00A0) before ``%`` and ``€``. The JavaScript of
interactive maps applies the same rules (tested in a real browser).
"""

from __future__ import annotations

import datetime as dt
import math

__all__ = [
    "MONTHS",
    "NBSP",
    "NNBSP",
    "format_date",
    "format_difference",
    "format_interval",
    "format_number",
    "format_value",
]

#: Narrow no-break space: French thousands separator.
NNBSP = "\u202f"
#: No-break space: before units (``12,5 %``, ``21 350 €``).
NBSP = "\u00a0"

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

#: Units written right after the number (with a no-break space).
_SYMBOLS = frozenset({"%", "€", "‰"})


def format_number(value: float, decimals: int = 0) -> str:
    """Format a number the French way.

    Parameters
    ----------
    value : float
        The number. NaN gives ``"n.d."``.
    decimals : int, default 0
        Digits after the decimal comma (rounded half away from zero, as
        readers expect, not banker's rounding).

    Returns
    -------
    str

    Examples
    --------
    >>> format_number(12.5, decimals=1), format_number(86375)
    ('12,5', '86\u202f375')
    >>> format_number(-1234.567, decimals=2)
    '-1\u202f234,57'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n.d."
    scale = 10**decimals
    rounded = math.floor(abs(float(value)) * scale + 0.5)
    units, frac = divmod(rounded, scale)
    text = f"{units:,}".replace(",", NNBSP)
    if decimals > 0:
        text += "," + str(frac).zfill(decimals)
    if value < 0 and rounded != 0:
        text = "-" + text
    return text


def format_value(value: float, unit: str | None = None, decimals: int = 0) -> str:
    r"""Format a number with its unit.

    Parameters
    ----------
    value : float
        The number.
    unit : str, optional
        ``"%"``, ``"€"``, ``"‰"`` are glued with a no-break space; any other
        unit (``"habitants"``) follows after a no-break space too.
    decimals : int, default 0
        Digits after the decimal comma.

    Returns
    -------
    str

    Examples
    --------
    >>> format_value(12.5, "%", 1), format_value(21350, "€")
    ('12,5\xa0%', '21\u202f350\xa0€')
    """
    text = format_number(value, decimals)
    if unit and text != "n.d.":
        text += NBSP + unit
    return text


def format_interval(
    lower: float, upper: float, unit: str | None = None, decimals: int = 0
) -> str:
    r"""Legend label of a class: ``de 10,0 à 12,5 %``.

    Parameters
    ----------
    lower, upper : float
        Class bounds; ``-inf`` or ``+inf`` give ``moins de ...`` or
        ``... et plus``. Equal bounds give the single value.
    unit : str, optional
        Unit written once, after the upper bound.
    decimals : int, default 0
        Digits after the decimal comma.

    Returns
    -------
    str

    Examples
    --------
    >>> format_interval(10, 12.5, "%", 1)
    'de 10,0 à 12,5\xa0%'
    >>> format_interval(float("-inf"), 5, None, 0)
    'moins de 5'
    """
    if math.isinf(lower) and lower < 0:
        return "moins de " + format_value(upper, unit, decimals)
    if math.isinf(upper) and upper > 0:
        return format_value(lower, unit, decimals) + " et plus"
    if format_number(lower, decimals) == format_number(upper, decimals):
        return format_value(upper, unit, decimals)
    return (
        f"de {format_number(lower, decimals)} à {format_value(upper, unit, decimals)}"
    )


def format_difference(value: float, unit: str | None = None, decimals: int = 0) -> str:
    r"""Signed difference with a reference: ``+2,3 points`` for rates.

    Parameters
    ----------
    value : float
        The difference (value minus reference).
    unit : str, optional
        For ``"%"`` the difference is in percentage points (``points``).
    decimals : int, default 0
        Digits after the decimal comma.

    Returns
    -------
    str

    Examples
    --------
    >>> format_difference(2.34, "%", 1), format_difference(-150, "€")
    ('+2,3\xa0points', '-150\xa0€')
    """
    unit = ("points" if abs(value) >= 2 else "point") if unit == "%" else unit
    text = format_value(value, unit, decimals)
    if value > 0 and format_number(value, decimals).strip("0,") != "":
        text = "+" + text
    return text


def format_date(date: dt.date | None = None) -> str:
    """French date: ``3 mars 2025``, ``1er janvier 2024``.

    Parameters
    ----------
    date : datetime.date, optional
        Default: today.

    Returns
    -------
    str

    Examples
    --------
    >>> import datetime
    >>> format_date(datetime.date(2024, 1, 1))
    '1er janvier 2024'
    """
    date = date or dt.date.today()
    day = "1er" if date.day == 1 else str(date.day)
    return f"{day} {MONTHS[date.month - 1]} {date.year}"
