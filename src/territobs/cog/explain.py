"""Explain unmatched commune codes by the COG history shipped with territobs.

When a table and the units are of different COG vintages, the codes that do
not match are mostly communes merged, split or renumbered in between.
:func:`explain_unmatched` pairs them through the shipped yearly passage
tables (2017-2024) and says, in French, which change of which year explains
each, and how to convert in one step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from territobs.formatting import count_of

__all__ = ["Explanation", "explain_unmatched"]

_EVENTS_FR = {
    "fusion": "fusion",
    "split": "scission",
    "scission": "scission",
    "defusion": "scission",
    "change": "changement de code",
}


@dataclass(frozen=True)
class Explanation:
    """Unmatched codes explained by COG changes.

    Attributes
    ----------
    newer : list of (str, str, int, str)
        ``(unit code, table code, year, event)``: the table is of a later
        COG than the units (the unit's commune became the table's).
    older : list of (str, str, int, str)
        ``(table code, unit code, year, event)``: the table is older.
    """

    newer: list[tuple[str, str, int, str]] = field(default_factory=list)
    older: list[tuple[str, str, int, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        """Whether any code was explained."""
        return bool(self.newer or self.older)

    def text(self, shown: int = 3) -> str:
        """French sentence for a warning (empty when nothing is explained)."""
        parts = []
        for pairs, side in ((self.newer, "plus récent"), (self.older, "plus ancien")):
            if not pairs:
                continue
            years = sorted({y for *_, y, _ in pairs})
            examples = ", ".join(
                f"« {a} » → « {b} » ({_EVENTS_FR.get(e, e)} au 1er janvier {y})"
                for a, b, y, e in pairs[:shown]
            )
            more = f" et {len(pairs) - shown} autres" if len(pairs) > shown else ""
            parts.append(
                f"{count_of(len(pairs), 'écart')} s'explique"
                f"{'nt' if len(pairs) > 1 else ''} par des changements du COG "
                f"({', '.join(map(str, years))}) : le tableau est d'un COG {side} que "
                f"les unités ; {examples}{more}"
            )
        if not parts:
            return ""
        return (
            " ".join(p + "." for p in parts)
            + " Convertissez le tableau au COG des unités en une étape "
            "(territobs.cog.convert_table ; dans un atlas, cog = année des contours "
            "dans [territory])."
        )


def explain_unmatched(
    table_codes: Iterable[str],
    unit_codes: Iterable[str],
    passages: pd.DataFrame | None = None,
    *,
    all_table_codes: Iterable[str] | None = None,
    all_unit_codes: Iterable[str] | None = None,
) -> Explanation:
    """Pair unmatched codes through the COG history.

    Parameters
    ----------
    table_codes : iterable of str
        Codes of the table without unit.
    unit_codes : iterable of str
        Codes of the units without row in the table.
    passages : pandas.DataFrame, optional
        Yearly passages (``year_from, year_to, code_from, code_to, event``);
        default: :func:`territobs.cog.builtin_passages`.
    all_table_codes, all_unit_codes : iterable of str, optional
        Every code of the table and of the units (default: the unmatched
        ones): a commune merged into a pôle that kept its code matches on
        the pôle.

    Returns
    -------
    Explanation

    Examples
    --------
    >>> print(explain_unmatched(["01138"], ["01039"]).text())  # doctest: +ELLIPSIS
    1 écart s'explique par des changements du COG (2023) : le tableau est d'un COG plus récent que les unités ; « 01039 » → « 01138 » (fusion au 1er janvier 2023)...
    """
    table = {c for c in map(str, table_codes) if len(c) == 5}
    units = {c for c in map(str, unit_codes) if len(c) == 5}
    if not table and not units:
        return Explanation()
    every_table = set(map(str, all_table_codes)) if all_table_codes else table
    every_unit = set(map(str, all_unit_codes)) if all_unit_codes else units
    if passages is None:
        from territobs.cog.passage import builtin_passages

        passages = builtin_passages()
    moved = passages[passages["code_from"] != passages["code_to"]]
    newer = moved[moved["code_from"].isin(units) & moved["code_to"].isin(every_table)]
    older = moved[moved["code_from"].isin(table) & moved["code_to"].isin(every_unit)]

    def rows(frame: pd.DataFrame) -> list[tuple[str, str, int, str]]:
        return [
            (str(a), str(b), int(y), str(e))
            for a, b, y, e in frame[
                ["code_from", "code_to", "year_to", "event"]
            ].itertuples(index=False)
        ]

    return Explanation(rows(newer), rows(older))
