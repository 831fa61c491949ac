"""Passage tables between two vintages of the Code Officiel Géographique.

A *passage table* lists, for the communes that changed between vintage ``a``
(state at 1 January of year ``a``) and vintage ``b``, where their territory
went: columns ``code_from``, ``code_to``, ``event``, ``weight``. Codes absent
from the table are unchanged. ``weight`` is the share of the old commune's
counts going to the new one: 1 for fusions and code changes, NaN for splits,
whose shares are decided at conversion time from populations (see
:func:`territobs.cog.convert.convert_table`).

Yearly tables are chained to go from any vintage to any later one; going
backwards inverts the chain (a fusion becomes a split, to be weighted by the
population of the old communes).

The yearly tables shipped with territobs (COG 2017 → 2024) derive from the
COGugaison passage tables (antuki/COGugaison, ODbL; INSEE data under Licence
Ouverte): see ``territobs/data/cog/README.md``. Any other span is built from
INSEE's history file with :func:`yearly_passages`.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from territobs.cog.history import CODE_CHANGE, FUSION, RENAME, SPLIT
from territobs.errors import MethodError, SourceFormatError, format_codes

__all__ = [
    "PASSAGE_COLUMNS",
    "builtin_passages",
    "compose",
    "invert",
    "passage_table",
    "yearly_passages",
]

#: Columns of a passage table.
PASSAGE_COLUMNS = ["code_from", "code_to", "event", "weight"]
#: Columns of a stack of yearly passage tables.
YEARLY_COLUMNS = ["year_from", "year_to", *PASSAGE_COLUMNS]

_SEP = " puis "


@lru_cache(maxsize=1)
def _builtin_passages() -> pd.DataFrame:
    path = resources.files("territobs") / "data" / "cog" / "passages.csv"
    with resources.as_file(path) as file:
        table = pd.read_csv(file, dtype=str, keep_default_na=False)
    table["year_from"] = table["year_from"].astype(int)
    table["year_to"] = table["year_to"].astype(int)
    table["weight"] = np.where(table["event"] == SPLIT, np.nan, 1.0)
    return table[YEARLY_COLUMNS]


def builtin_passages() -> pd.DataFrame:
    """Return the yearly passage tables shipped with territobs (COG 2017 → 2024).

    Returns
    -------
    pandas.DataFrame
        Columns ``year_from``, ``year_to`` (int), ``code_from``, ``code_to``,
        ``event``, ``weight`` (1, or NaN for splits).

    Notes
    -----
    Derived from the COGugaison passage tables (ODbL, attribution: Kim
    Antunez, antuki/COGugaison; INSEE data, Licence Ouverte). Dates of effect
    were normalised to ISO; split shares were removed (they are recomputed
    from the population the user gives).

    Examples
    --------
    >>> p = builtin_passages()
    >>> p[(p.year_from == 2022) & (p.code_from == "01039")][
    ...     ["code_to", "event"]
    ... ].values.tolist()
    [['01138', 'fusion']]
    """
    return _builtin_passages().copy()


def _combine_events(first: pd.Series, second: pd.Series) -> pd.Series:
    out = []
    for a, b in zip(first, second, strict=True):
        parts = [e for e in (a, b) if isinstance(e, str) and e and e != RENAME]
        unique = list(dict.fromkeys(_SEP.join(parts).split(_SEP))) if parts else []
        out.append(_SEP.join(unique) if unique else RENAME)
    return pd.Series(out, index=first.index, dtype="string")


def _group(rows: pd.DataFrame) -> pd.DataFrame:
    """Merge duplicate (code_from, code_to) pairs; NaN weights stay NaN."""
    rows = rows[PASSAGE_COLUMNS].astype(
        {"code_from": "string", "code_to": "string", "event": "string"}
    )
    keys = ["code_from", "code_to"]
    repeated = rows.duplicated(keys, keep=False)
    single, multiple = rows[~repeated], rows[repeated]
    if not multiple.empty:
        grouped = multiple.groupby(keys, sort=False)
        weight = grouped["weight"].sum(min_count=1)
        unknown = (
            multiple["weight"]
            .isna()
            .groupby([multiple["code_from"], multiple["code_to"]], sort=False)
            .any()
        )
        event = grouped["event"].agg(
            lambda e: _SEP.join(dict.fromkeys(_SEP.join(e).split(_SEP)))
        )
        merged = pd.DataFrame(
            {"event": event, "weight": weight.mask(unknown.reindex(weight.index))}
        ).reset_index()
        rows = pd.concat([single, merged[PASSAGE_COLUMNS]], ignore_index=True)
    return (
        rows.sort_values(keys, kind="stable")
        .reset_index(drop=True)
        .astype({"code_from": "string", "code_to": "string", "event": "string"})
    )


def compose(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """Chain two passage tables: vintage a → b, then b → c.

    Parameters
    ----------
    first, second : pandas.DataFrame
        Passage tables (``code_from``, ``code_to``, ``event``, ``weight``).

    Returns
    -------
    pandas.DataFrame
        The passage table a → c.

    Notes
    -----
    For a code ``i`` of vintage a, ``w_ik = Σ_j w_ij · w'_jk`` where ``w`` is
    ``first`` (identity for unlisted codes) and ``w'`` is ``second``. A NaN
    weight (a split) makes the composed weight NaN.

    Examples
    --------
    >>> a = pd.DataFrame({"code_from": ["01001", "01002"],
    ...                   "code_to": ["01002", "01002"],
    ...                   "event": ["fusion"] * 2, "weight": [1.0, 1.0]})
    >>> b = pd.DataFrame({"code_from": ["01002"], "code_to": ["01003"],
    ...                   "event": ["changement de code"], "weight": [1.0]})
    >>> compose(a, b)[["code_from", "code_to"]].values.tolist()
    [['01001', '01003'], ['01002', '01003']]
    """
    merged = first.merge(
        second, left_on="code_to", right_on="code_from", how="left", suffixes=("", "_2")
    )
    hit = merged["code_to_2"].notna()
    chained = pd.DataFrame(
        {
            "code_from": merged["code_from"],
            "code_to": merged["code_to_2"].where(hit, merged["code_to"]),
            "event": _combine_events(merged["event"], merged["event_2"].where(hit)),
            "weight": merged["weight"] * merged["weight_2"].where(hit, 1.0),
        }
    )
    touched = set(first["code_from"]) | set(first["code_to"])
    passthrough = second[~second["code_from"].isin(touched)]
    return _group(pd.concat([chained, passthrough[PASSAGE_COLUMNS]]))


def invert(passage: pd.DataFrame) -> pd.DataFrame:
    """Reverse a passage table (vintage b → a from a → b).

    Parameters
    ----------
    passage : pandas.DataFrame
        A passage table a → b.

    Returns
    -------
    pandas.DataFrame
        The passage table b → a. A new commune that came from several old
        ones (a fusion) is split back with weight NaN, to be decided from the
        population of the old communes at conversion time; a commune that
        came from one old commune goes back entirely (weight 1).

    Notes
    -----
    A backward split of a fusion is an *estimate*: counts of the merged
    commune are shared in proportion to the old communes' population, which
    is exact only for population itself.

    Examples
    --------
    >>> p = pd.DataFrame({"code_from": ["01039", "01138"],
    ...                   "code_to": ["01138", "01138"],
    ...                   "event": ["fusion", "fusion"], "weight": [1.0, 1.0]})
    >>> bool(invert(p)["weight"].isna().all())
    True
    """
    sources = passage.groupby("code_to")["code_from"].transform("nunique")
    inverted = pd.DataFrame(
        {
            "code_from": passage["code_to"],
            "code_to": passage["code_from"],
            "event": passage["event"].astype("string") + " (inverse)",
            "weight": np.where(sources > 1, np.nan, 1.0),
        }
    )
    return _group(inverted)


def _step(events: pd.DataFrame) -> pd.DataFrame:
    """Passage table of the events of one date."""
    moved = events[
        (events["code_av"] != events["code_ap"]) & (events["event"] != SPLIT)
    ]
    keep = ~(
        (events["event"] == RENAME) & events["code_av"].isin(set(moved["code_av"]))
    )
    events = events[keep]
    return _group(
        pd.DataFrame(
            {
                "code_from": events["code_av"],
                "code_to": events["code_ap"],
                "event": events["event"],
                "weight": np.where(events["event"] == SPLIT, np.nan, 1.0),
            }
        )
    )


def yearly_passages(events: pd.DataFrame, start: int, end: int) -> pd.DataFrame:
    """Build the yearly passage tables ``start → start+1 → ... → end``.

    Parameters
    ----------
    events : pandas.DataFrame
        An event table from :func:`territobs.cog.history.read_history`.
    start, end : int
        First and last vintage (``end > start``).

    Returns
    -------
    pandas.DataFrame
        Columns ``year_from``, ``year_to``, ``code_from``, ``code_to``,
        ``event``, ``weight``; only changed communes (and the pôle of each
        fusion) are listed.

    Raises
    ------
    MethodError
        If ``end <= start``.

    Notes
    -----
    Vintage ``y`` is the state at 1 January of ``y``: the table ``y → y+1``
    applies, in date order, the events effective after 1 January ``y`` and
    up to 1 January ``y+1`` included. Name changes are dropped.

    Examples
    --------
    Béon merged into Culoz (Culoz-Béon) on 1 January 2023:

    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "date": pd.to_datetime(["2023-01-01", "2023-01-01"]),
    ...     "event": ["fusion", "fusion"], "mod": ["32", "32"],
    ...     "code_av": ["01039", "01138"], "code_ap": ["01138", "01138"],
    ...     "name_av": ["Béon", "Culoz"], "name_ap": ["Culoz-Béon", "Culoz-Béon"],
    ... })
    >>> yearly_passages(events, 2022, 2024)
       year_from  year_to code_from code_to   event  weight
    0       2022     2023     01039   01138  fusion     1.0
    1       2022     2023     01138   01138  fusion     1.0

    With INSEE's full history (``territobs fetch insee-cog-mouvements``), the
    same call gives every commune's passage between any two vintages:
    ``yearly_passages(read_history(path), 2010, 2024)``.
    """
    if end <= start:
        raise MethodError(
            f"millésimes {start} → {end} : le second doit être postérieur au premier.",
            start=start,
            end=end,
        )
    tables = []
    for year in range(start, end):
        low, high = pd.Timestamp(year, 1, 1), pd.Timestamp(year + 1, 1, 1)
        span = events[(events["date"] > low) & (events["date"] <= high)]
        passage = pd.DataFrame(
            {c: pd.Series(dtype="string") for c in PASSAGE_COLUMNS[:3]}
            | {"weight": pd.Series(dtype=float)}
        )
        # Within one day, code changes come first (a commune changing
        # département and joining a commune nouvelle the same day).
        stage = (span["event"] != CODE_CHANGE).astype(int)
        for _, day in span.groupby([span["date"], stage], sort=True):
            passage = compose(passage, _step(day))
        passage = passage[~passage["event"].eq(RENAME)]
        tables.append(passage.assign(year_from=year, year_to=year + 1))
    return pd.concat(tables, ignore_index=True)[YEARLY_COLUMNS]


def passage_table(
    from_year: int, to_year: int, *, passages: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Passage table between any two vintages, chaining yearly tables.

    Parameters
    ----------
    from_year, to_year : int
        Vintages (COG at 1 January). ``to_year < from_year`` goes backwards.
    passages : pandas.DataFrame, optional
        Yearly tables (from :func:`yearly_passages`, or the user's own with the
        same columns). Default: :func:`builtin_passages` (2017 → 2024).

    Returns
    -------
    pandas.DataFrame
        ``code_from``, ``code_to``, ``event``, ``weight``.

    Raises
    ------
    MethodError
        If the yearly tables do not cover the span.

    Examples
    --------
    >>> p = passage_table(2022, 2024)
    >>> p[p.code_from.isin(["01039", "01138"])][["code_from", "code_to"]].values.tolist()
    [['01039', '01138'], ['01138', '01138']]
    """
    yearly = builtin_passages() if passages is None else passages
    missing = {"year_from", "year_to", *PASSAGE_COLUMNS} - set(yearly.columns)
    if missing:
        raise SourceFormatError(
            f"table de passage : colonnes {format_codes(sorted(missing))} absentes.",
            missing=sorted(missing),
        )
    low, high = sorted((from_year, to_year))
    covered = range(int(yearly["year_from"].min()), int(yearly["year_to"].max()))
    absent = [y for y in range(low, high) if y not in covered]
    if absent:
        raise MethodError(
            f"pas de table de passage pour {absent[0]} → {absent[0] + 1} "
            f"(tables disponibles : {covered.start} → {covered.stop}). Lisez "
            "l'historique des communes de l'INSEE (territobs fetch insee-cog-mouvements) "
            "et passez passages=yearly_passages(read_history(...), début, fin).",
            years=absent,
        )
    result = pd.DataFrame(
        {c: pd.Series(dtype="string") for c in PASSAGE_COLUMNS[:3]}
        | {"weight": pd.Series(dtype=float)}
    )
    for year in range(low, high):
        step = yearly[yearly["year_from"] == year][PASSAGE_COLUMNS]
        result = compose(result, step.astype({"weight": float}))
    result = result[result["event"] != RENAME]
    if to_year < from_year:
        result = invert(result)
    return result.reset_index(drop=True)


#: Event names, re-exported for callers that filter reports.
EVENTS = (FUSION, SPLIT, CODE_CHANGE)
