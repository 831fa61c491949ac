"""Figures of portraits and index pages, formatted the French way.

The formatting lives in :mod:`territobs.formatting` (decimal comma, narrow
no-break space between thousands), so portraits, map legends, tooltips and
notebook tables print the same figure identically. Its names are re-exported
here: :func:`decimals_for` chooses how many decimals an indicator deserves,
:func:`format_value` (``territobs.formatting.format_indicator``) formats an
indicator value with its unit, :func:`format_share` an estimated share.
"""

from __future__ import annotations

from territobs.formatting import decimals_for, format_share
from territobs.formatting import format_indicator as format_value

__all__ = ["decimals_for", "format_share", "format_value"]
