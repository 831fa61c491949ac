"""Portraits of territory (« fiches territoire »).

A portrait shows one zone's indicators beside its reference territories (its
circonscription, its département, France), with the figures of the same
recomputed and secured result as the maps, their sources and vintages, and
flags for estimated values. It renders as self-contained HTML (printable to
PDF) and exports its data as CSV. A portrait of change
(:func:`change_portrait`) shows a zone's two vintages and its change beside
its references'.
"""

from __future__ import annotations

from typing import Any

from territobs.portrait.change import ChangePortrait, change_portrait
from territobs.portrait.format import (
    decimals_for,
    deprecated,
    format_indicator,
    format_share,
)
from territobs.portrait.model import PORTRAIT_COLUMNS, Portrait, portrait, portraits

__all__ = [
    "PORTRAIT_COLUMNS",
    "ChangePortrait",
    "Portrait",
    "change_portrait",
    "decimals_for",
    "format_indicator",
    "format_share",
    "portrait",
    "portraits",
]


def __getattr__(name: str) -> Any:
    """``format_value`` (renamed :func:`format_indicator`), with a warning."""
    return deprecated(__name__, name)
