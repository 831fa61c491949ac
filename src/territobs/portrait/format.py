"""Figures of portraits and index pages, formatted the French way.

The formatting lives in :mod:`territobs.formatting` (decimal comma, narrow
no-break space between thousands), so portraits, map legends, tooltips and
notebook tables print the same figure identically. Its names are re-exported
here: :func:`decimals_for` chooses how many decimals an indicator deserves,
:func:`format_indicator` formats an indicator value with those decimals and
its unit, :func:`format_share` an estimated share.

``format_value`` here was :func:`format_indicator` under the name that
:func:`territobs.formatting.format_value` (a number with the decimals asked)
already had, so one name gave « 3 % » in a map and « 3,1 % » in a portrait.
It stays for one release, with a :class:`FutureWarning`.
"""

from __future__ import annotations

import warnings
from typing import Any

from territobs.formatting import decimals_for, format_indicator, format_share

__all__ = ["decimals_for", "format_indicator", "format_share"]

#: Names kept for one release: old name -> (new name, the object).
DEPRECATED: dict[str, tuple[str, Any]] = {
    "format_value": ("format_indicator", format_indicator),
}


def deprecated(module: str, name: str) -> Any:
    """Return a renamed object of ``module`` with a :class:`FutureWarning`."""
    if name not in DEPRECATED:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    new, obj = DEPRECATED[name]
    warnings.warn(
        f"{module}.{name} est renommé {new} (territobs.formatting.format_value "
        "formate un nombre avec les décimales demandées) ; l'ancien nom sera "
        "retiré à la prochaine version.",
        FutureWarning,
        stacklevel=3,
    )
    return obj


def __getattr__(name: str) -> Any:
    return deprecated(__name__, name)
