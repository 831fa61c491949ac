"""Bring a commune table to a given COG in one step (the atlas's ``cog`` key).

:func:`align_table` detects the table's vintage from its codes, then converts
it with :func:`territobs.cog.convert_table`, deciding the nature of each
column from the catalogue: counts (values of count indicators, numerators,
denominators, weights) are summed or split by population; a column the
catalogue uses otherwise (a published rate, a median) cannot be converted
and is refused by name, never summed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from territobs.catalog.kinds import is_count
from territobs.errors import MethodError, format_codes
from territobs.schema import SECRET_SUFFIX

__all__ = ["align_table", "column_kinds", "units_population"]

_COUNT_ROLES = ("numerator", "denominator", "weight")


def column_kinds(table: pd.DataFrame, catalog: Any) -> dict[str, str]:
    """Nature of each numeric column of ``table`` according to the catalogue.

    Returns
    -------
    dict
        Column → ``"count"`` or ``"other"`` (used as a rate, mean or median).
    """
    kinds: dict[str, str] = {}
    for ind in catalog.indicators:
        try:
            res = catalog.resolve(ind, table)
        except Exception:  # the table does not give this indicator
            continue
        for role, columns in res.columns.items():
            count = role in _COUNT_ROLES or (role == "value" and is_count(ind.kind))
            for column in columns:
                if not count:
                    kinds[column] = "other"
                else:
                    kinds.setdefault(column, "count")
    return kinds


def align_table(
    table: pd.DataFrame,
    to_year: int,
    catalog: Any,
    population: pd.Series | None = None,
) -> tuple[pd.DataFrame, str]:
    """Convert a commune table to COG ``to_year`` (no-op when already there).

    Parameters
    ----------
    table : pandas.DataFrame
        ``code`` (commune codes) and numeric columns.
    to_year : int
        The boundaries' COG.
    catalog : territobs.catalog.Catalog
        Says which columns are counts.
    population : pandas.Series, optional
        Population by commune code of the boundaries (``POPULATION`` of the
        units), to split a merged commune's counts going backwards.

    Returns
    -------
    tuple
        The converted table and a French note (« COG 2023 → 2018 »), empty
        when nothing changed.

    Raises
    ------
    MethodError
        A column that is not a count (rates, medians) would have to be
        converted, or a numeric column is unknown to the catalogue.
    """
    from territobs.cog.convert import convert_table
    from territobs.cog.detect import detect_vintage

    codes = table["code"].astype(str)
    if not (codes.str.len() == 5).all():
        return table, ""
    guess = detect_vintage(codes)
    if guess.year == to_year or guess.compatible(to_year):
        return table, ""
    kinds = column_kinds(table, catalog)
    numeric = [
        c
        for c in table.columns
        if c not in ("code", "level")
        and not c.endswith(SECRET_SUFFIX)
        and pd.api.types.is_numeric_dtype(table[c])
    ]
    other = [c for c in numeric if kinds.get(c) == "other"]
    unknown = [c for c in numeric if c not in kinds]
    if other or unknown:
        parts = []
        if other:
            parts.append(
                f"{format_codes(other)} ne sont pas des effectifs (taux, médianes) "
                "et ne se convertissent pas"
            )
        if unknown:
            parts.append(f"{format_codes(unknown)} sont inconnues du catalogue")
        raise MethodError(
            f"conversion du COG {guess.year} au COG {to_year} : colonnes "
            + " ; ".join(parts)
            + ". Retirez-les du tableau, ou utilisez un tableau publié au COG "
            f"{to_year}.",
            codes=other + unknown,
        )
    columns = ["code", *numeric] + [
        f"{c}{SECRET_SUFFIX}" for c in numeric if f"{c}{SECRET_SUFFIX}" in table
    ]
    # any vintage fitting the codes gives the same conversion: the earliest
    # (passage tables ship up to 2024 only)
    source = min(int(y) for y in guess.shares.index if guess.compatible(int(y)))
    converted = convert_table(
        table[columns],
        source,
        to_year,
        kinds=dict.fromkeys(numeric, "count"),
        population=population,
    ).table
    if "level" in table.columns:
        converted = converted.assign(level="commune")
    return converted, f"COG {source} → {to_year}"


def units_population(units: pd.DataFrame) -> pd.Series | None:
    """Return the population by code of the units (``POPULATION``-like), if any."""
    from territobs.zoning.coverage import REFERENCE_CANDIDATES

    for name in REFERENCE_CANDIDATES:
        if name in units.columns:
            return pd.Series(
                pd.to_numeric(units[name], errors="coerce").to_numpy(float),
                index=units["code"].astype(str),
            )
    return None
