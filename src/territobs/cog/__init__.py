"""COG vintages: commune history, passage tables, conversion, detection, membership.

Typical use::

    from territobs.cog import convert_table, detect_vintage

    guess = detect_vintage(table["code"])          # e.g. 2019
    converted, report = convert_table(
        table, guess.year, 2024, kinds={"pop": "count"}, ratios={"taux": ("a", "b", 100)}
    )
"""

from __future__ import annotations

from territobs.cog.convert import (
    Conversion,
    apply_passage,
    arrondissements_passage,
    convert_table,
)
from territobs.cog.detect import (
    VintageGuess,
    builtin_vintages,
    detect_vintage,
    vintage_codes,
)
from territobs.cog.history import read_historiq, read_history, read_mvt_commune
from territobs.cog.membership import (
    membership_table,
    parents_passage,
    read_commune_list,
    read_membership,
)
from territobs.cog.passage import (
    builtin_passages,
    compose,
    invert,
    passage_table,
    yearly_passages,
)

__all__ = [
    "Conversion",
    "VintageGuess",
    "apply_passage",
    "arrondissements_passage",
    "builtin_passages",
    "builtin_vintages",
    "compose",
    "convert_table",
    "detect_vintage",
    "invert",
    "membership_table",
    "parents_passage",
    "passage_table",
    "read_commune_list",
    "read_historiq",
    "read_history",
    "read_membership",
    "read_mvt_commune",
    "vintage_codes",
    "yearly_passages",
]
