"""French number, interval and date formatting for legends, tooltips and captions.

The functions live in :mod:`territobs.formatting` (shared with portraits and
notebook tables); they are re-exported here, where maps have always imported
them. The JavaScript of interactive maps applies the same rules (tested in a
real browser).
"""

from __future__ import annotations

from territobs.formatting import (
    MONTHS,
    NBSP,
    NNBSP,
    format_date,
    format_difference,
    format_interval,
    format_number,
    format_percent,
    format_value,
)

__all__ = [
    "MONTHS",
    "NBSP",
    "NNBSP",
    "format_date",
    "format_difference",
    "format_interval",
    "format_number",
    "format_percent",
    "format_value",
]
