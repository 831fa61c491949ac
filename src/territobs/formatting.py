"""French number, interval, percentage and date formatting, in one place.

Maps (legends, tooltips, captions), portraits and notebook tables print the
same figure the same way:

- decimal comma: ``12,5``;
- thousands grouped by a narrow no-break space (U+202F, :data:`NNBSP`):
  ``86 375``;
- a no-break space (U+00A0, :data:`NBSP`) between a number and its unit:
  ``12,5 %``, ``21 350 €``;
- rounding half away from zero (``2,25`` → ``2,3``), as readers expect, not
  banker's rounding; the JavaScript of interactive maps applies the same
  rule (``templates/map.js``, tested in a real browser).

This module imports nothing heavy (standard library only), so any part of
territobs can use it without slowing its import.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable
from typing import Any, Literal

from territobs.catalog.kinds import is_count

__all__ = [
    "MONTHS",
    "NBSP",
    "NNBSP",
    "decimals_for",
    "format_date",
    "format_difference",
    "format_indicator",
    "format_interval",
    "format_number",
    "format_percent",
    "format_provenance",
    "format_share",
    "format_value",
]

#: Narrow no-break space: French thousands separator.
NNBSP = "\u202f"
#: No-break space: before units (``12,5 %``, ``21 350 €``).
NBSP = "\u00a0"

#: French month names, January first.
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

#: Text of a missing value in legends and tooltips.
MISSING_TEXT = "n.d."


def _is_missing(value: object) -> bool:
    """None, NaN (Python or NumPy) or pandas' NA."""
    if value is None or type(value).__name__ == "NAType":
        return True
    try:
        return math.isnan(value)  # type: ignore[arg-type]
    except TypeError:
        return False


def format_number(
    value: float | None,
    decimals: int = 0,
    *,
    missing: str = MISSING_TEXT,
    minus: str = "-",
    rounding: Literal["half_up", "half_even"] = "half_up",
) -> str:
    r"""Format a number the French way.

    Parameters
    ----------
    value : float or None
        The number. NaN or None give ``missing``.
    decimals : int, default 0
        Digits after the decimal comma.
    missing : str, default "n.d."
        Text for a missing value.
    minus : str, default "-"
        Sign of negative numbers (``"\u2212"`` for the typographic minus of
        tables).
    rounding : {"half_up", "half_even"}, default "half_up"
        ``"half_up"`` rounds half away from zero (``2,25`` → ``2,3``), like
        the maps' JavaScript; ``"half_even"`` is Python's correctly rounded
        ``format`` (ties to even), kept for the notebook tables of
        :func:`territobs.zoning.result.style_result`.

    Returns
    -------
    str
        Never ``"-0"``: a value rounding to zero has no sign.

    Examples
    --------
    >>> format_number(12.5, decimals=1), format_number(86375)
    ('12,5', '86\u202f375')
    >>> format_number(-1234.567, decimals=2)
    '-1\u202f234,57'
    >>> format_number(2.25, 1), format_number(2.25, 1, rounding="half_even")
    ('2,3', '2,2')
    >>> format_number(float("nan"), missing="")
    ''
    """
    if _is_missing(value):
        return missing
    number = float(value)  # type: ignore[arg-type]
    if rounding == "half_even":
        digits = f"{abs(number):.{decimals}f}"
        units_text, _, frac_text = digits.partition(".")
        units = int(units_text)
        is_zero = not any(c in "123456789" for c in digits)
    elif rounding == "half_up":
        scale = 10**decimals
        rounded = math.floor(abs(number) * scale + 0.5)
        units, frac = divmod(rounded, scale)
        frac_text = str(frac).zfill(decimals) if decimals > 0 else ""
        is_zero = rounded == 0
    else:
        raise ValueError(
            f"arrondi « {rounding} » inconnu ; arrondis possibles : half_up, half_even"
        )
    text = f"{units:,}".replace(",", NNBSP)
    if decimals > 0:
        text += "," + frac_text
    if number < 0 and not is_zero:
        text = minus + text
    return text


def format_value(
    value: float | None,
    unit: str | None = None,
    decimals: int = 0,
    *,
    missing: str = MISSING_TEXT,
) -> str:
    r"""Format a number with its unit.

    Parameters
    ----------
    value : float or None
        The number.
    unit : str, optional
        Written after a no-break space (``"%"``, ``"€"``, ``"‰"``,
        ``"habitants"``); not after a missing value.
    decimals : int, default 0
        Digits after the decimal comma.
    missing : str, default "n.d."
        Text for a missing value.

    Returns
    -------
    str

    Examples
    --------
    >>> format_value(12.5, "%", 1), format_value(21350, "€")
    ('12,5\xa0%', '21\u202f350\xa0€')
    >>> format_value(float("nan"), "%")
    'n.d.'
    """
    if _is_missing(value):
        return missing
    text = format_number(value, decimals)
    return text + NBSP + unit if unit else text


def format_percent(percent: float | None, decimals: int = 0) -> str:
    r"""Format a percentage (already multiplied by 100): ``35 %``.

    Parameters
    ----------
    percent : float or None
        The percentage, e.g. ``35.0`` for 35 %.
    decimals : int, default 0
        Digits after the decimal comma.

    Returns
    -------
    str

    See Also
    --------
    format_share : for a 0-1 share that must never read 0 % or 100 %.

    Examples
    --------
    >>> format_percent(35.2), format_percent(12.345, 1)
    ('35\xa0%', '12,3\xa0%')
    """
    return format_value(percent, "%", decimals)


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
    >>> format_share(0.349)
    '35\xa0%'
    >>> format_share(0.001)
    '<\xa01\xa0%'
    """
    percent = 100 * float(share)
    if 0 < percent < 1:
        return f"<{NBSP}1{NBSP}%"
    if 99 < percent < 100:
        return f">{NBSP}99{NBSP}%"
    return format_percent(percent, 0)


def format_interval(
    lower: float, upper: float, unit: str | None = None, decimals: int = 0
) -> str:
    r"""Legend label of a class: ``de 10,0 à 12,5 %``.

    Parameters
    ----------
    lower, upper : float
        Class bounds; ``-inf`` or ``+inf`` give ``moins de ...`` or
        ``... et plus``. Bounds equal once rounded give the single value.
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
    >>> format_interval(float("-inf"), 5), format_interval(50, float("inf"), "€")
    ('moins de 5', '50\xa0€ et plus')
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
        For ``"%"`` the difference is in percentage points (``point`` below
        2, ``points`` from 2).
    decimals : int, default 0
        Digits after the decimal comma.

    Returns
    -------
    str
        ``+`` before a positive difference that does not round to zero.

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


def decimals_for(value: float | Iterable[float], unit: str = "", kind: str = "") -> int:
    """Choose the decimals shown for an indicator: the one policy of every output.

    Portraits, tables, spreadsheets and maps all ask this function, with the
    values shown together (a portrait's row, a table's indicator, a map's
    zones), so one figure reads the same everywhere.

    Parameters
    ----------
    value : float or iterable of float
        The figure, or every figure shown together (NaN ignored).
    unit : str, optional
        ``"%"`` and ``"‰"`` get one decimal; ``"€"`` none.
    kind : str, optional
        The indicator kind (:data:`territobs.catalog.KINDS`): a count gets
        at most one decimal (a weighted count below 100).

    Returns
    -------
    int
        0, 1 or 2.

    Notes
    -----
    With *m* the lower quartile of the non-zero absolute values: whole
    numbers and m ≥ 100 get 0 decimals; counts and 10 ≤ m < 100 get 1; smaller figures 2 (a
    household size of 2,31).

    Examples
    --------
    >>> decimals_for(14.23, "%"), decimals_for(86375, "habitants", "count")
    (1, 0)
    >>> decimals_for(3.14159, "", "ratio"), decimals_for([3.14159, 2.5, 12.0])
    (2, 2)
    >>> decimals_for([4.5, 12.5], "", "count")
    1
    """
    if unit in ("%", "‰"):
        return 1
    if unit == "€":
        return 0
    values = list(value) if isinstance(value, Iterable) else [value]
    finite = [abs(float(v)) for v in values if v is not None and math.isfinite(v)]
    if not finite or all(v.is_integer() for v in finite):
        return 0
    nonzero = sorted(v for v in finite if v > 0) or [0.0]
    # the lower quartile: the small figures keep the precision they need
    # (« 85,5 » beside « 378,1 »), a few tiny ones do not add decimals to all
    typical = (
        statistics.quantiles(nonzero, n=4, method="inclusive")[0]
        if len(nonzero) > 1
        else nonzero[0]
    )
    if typical >= 100:
        return 0
    if is_count(kind) or typical >= 10:
        return 1
    return 2


def format_indicator(value: float | None, unit: str = "", kind: str = "") -> str:
    r"""Format an indicator value with the decimals it deserves and its unit.

    Parameters
    ----------
    value : float or None
        The value (NaN gives ``"donnée manquante"``).
    unit : str, optional
        Appended after a no-break space (``"%"``, ``"€"``, ``"habitants"``).
    kind : str, optional
        ``count``, ``ratio``, ``mean``, ``median`` (see :func:`decimals_for`).

    Returns
    -------
    str

    Examples
    --------
    >>> format_indicator(14.23, "%"), format_indicator(86375.0, "", "count")
    ('14,2\xa0%', '86\u202f375')
    >>> format_indicator(float("nan"), "%")
    'donnée manquante'
    """
    if _is_missing(value):
        return "donnée manquante"
    decimals = decimals_for(value, unit or "", kind or "")  # type: ignore[arg-type]
    return format_value(value, unit or None, decimals)


def format_provenance(source: Any, vintage: Any) -> str:
    """French provenance text: ``"INSEE, millésime 2021"``.

    Portraits write a figure's source and vintage this way (a map caption
    writes them on two lines, :func:`territobs.maps.caption.vintage_line`).

    A bare year (or list of years) is introduced by « millésime »; a vintage
    written as text (``"Population municipale : millésime 2017 ; contours :
    COG 2024"``) follows the source after « ; ».

    Examples
    --------
    >>> format_provenance("INSEE", "2021")
    'INSEE, millésime 2021'
    >>> format_provenance("INSEE", "Population municipale : millésime 2017")
    'INSEE ; population municipale : millésime 2017'
    >>> format_provenance("IGN", "COG 2025")
    'IGN ; COG 2025'
    """
    source_text = "" if _blank_text(source) else str(source).strip()
    vintage_text = "" if _blank_text(vintage) else str(vintage).strip()
    if not vintage_text:
        return source_text
    if all(part.strip().isdigit() for part in vintage_text.split(",")):
        vintage_text = f"millésime {vintage_text}"
    if not source_text:
        return vintage_text[0].upper() + vintage_text[1:]
    if vintage_text.startswith("millésime"):
        return f"{source_text}, {vintage_text}"
    if vintage_text[1:2].islower():  # "Population ..." but not "COG 2025"
        vintage_text = vintage_text[0].lower() + vintage_text[1:]
    return f"{source_text} ; {vintage_text}"


def _blank_text(value: Any) -> bool:
    """Missing, or text that says nothing (``""``, ``"nan"``, ``"None"``)."""
    return _is_missing(value) or str(value).strip().lower() in ("", "nan", "none")


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
    >>> format_date(datetime.date(2024, 1, 1)), format_date(datetime.date(2025, 8, 15))
    ('1er janvier 2024', '15 août 2025')
    """
    date = date or dt.date.today()
    day = "1er" if date.day == 1 else str(date.day)
    return f"{day} {MONTHS[date.month - 1]} {date.year}"


def count_of(n: int, singular: str, plural: str | None = None) -> str:
    """Write a count with its noun agreed in French (0 and 1 take the singular).

    Parameters
    ----------
    n : int
        The count.
    singular : str
        The noun phrase for 0 or 1 (``"fichier publié"``).
    plural : str, optional
        For 2 and more; default: ``s`` added to each word.

    Returns
    -------
    str

    Examples
    --------
    >>> count_of(0, "fichier publié"), count_of(939, "fichier publié")
    ('0 fichier publié', '939 fichiers publiés')
    >>> count_of(2, "zonage")
    '2 zonages'
    """
    if plural is None:
        plural = " ".join(word + "s" for word in singular.split(" "))
    return f"{format_number(n, 0)} {singular if abs(n) < 2 else plural}"
