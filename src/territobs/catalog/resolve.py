"""Resolving an indicator against the columns of a table.

:func:`resolve` finds, for each role of an indicator (value, numerator,
denominator, published rate, weight), the columns that carry it, all read
from one vintage: ``P16_RP_LOCHLMV`` is never divided by ``P21_RP``.
:meth:`territobs.catalog.Catalog.resolve` is the method form.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

import pandas as pd

from territobs.catalog.model import (
    _PLACEHOLDER_RE,
    Indicator,
    Resolution,
    _pattern_regex,
    _vintage_of,
)
from territobs.errors import MethodError, format_codes
from territobs.schema import most_frequent_vintage

if TYPE_CHECKING:
    from territobs.catalog.registry import Catalog

__all__ = ["alternatives", "catalog_vintage", "resolve"]


def alternatives(catalog: Catalog, reference: str) -> list[tuple[str, ...]]:
    """Return the column-pattern tuples a reference may be read from.

    See :meth:`territobs.catalog.Catalog.alternatives`.
    """
    comp = catalog.components.get(reference)
    return comp.alternatives() if comp is not None else [(reference,)]


def resolve(
    catalog: Catalog,
    indicator: str | Indicator,
    columns: Iterable[str] | pd.DataFrame,
    *,
    vintage: str | int | None = None,
) -> Resolution:
    """Find the columns that give each role of an indicator.

    The function behind :meth:`territobs.catalog.Catalog.resolve`, which
    documents the parameters (``catalog`` aside) and gives examples.

    Returns
    -------
    Resolution

    Raises
    ------
    MethodError
        A role cannot be found.
    """
    ind = catalog.get(indicator)
    cols = list(columns.columns if isinstance(columns, pd.DataFrame) else columns)
    wanted = str(vintage) if vintage is not None else ind.vintage
    if wanted is not None and len(wanted) == 2 and wanted.isdigit():
        wanted = f"{1900 + int(wanted) if int(wanted) >= 50 else 2000 + int(wanted)}"
    first_error: MethodError | None = None
    for roles in ind.role_sets():
        try:
            return _resolve_roles(catalog, ind, roles, cols, wanted)
        except MethodError as exc:
            first_error = first_error or exc
    assert first_error is not None  # role_sets() is never empty
    raise first_error


def _options(
    catalog: Catalog, reference: str, cols: list[str]
) -> list[tuple[str | None, tuple[str, ...]]]:
    """List (vintage, columns) options of a reference, preferred first."""
    options: list[tuple[str | None, tuple[str, ...]]] = []
    for alt in alternatives(catalog, reference):
        per_pattern: list[dict[str | None, str]] = []
        for pattern in alt:
            regex = _pattern_regex(pattern)
            found: dict[str | None, str] = {}
            for col in cols:
                m = regex.fullmatch(str(col))
                if m is not None:
                    found.setdefault(_vintage_of(m), col)
            per_pattern.append(found)
        if not all(per_pattern):
            continue
        vintages = {v for found in per_pattern for v in found if v is not None}
        candidates: list[str | None] = [*sorted(vintages, reverse=True)]
        for v in candidates or [None]:
            if all(v in found or None in found for found in per_pattern):
                picked = tuple(
                    found[v] if v in found else found[None] for found in per_pattern
                )
                options.append((v, picked))
        if vintages and all(None in found for found in per_pattern):
            options.append((None, tuple(found[None] for found in per_pattern)))
    return options


def _resolve_roles(
    catalog: Catalog,
    ind: Indicator,
    roles: Mapping[str, str],
    cols: list[str],
    wanted: str | None,
) -> Resolution:
    options = {role: _options(catalog, ref, cols) for role, ref in roles.items()}
    for role, opts in options.items():
        if wanted is not None:
            opts = [o for o in opts if o[0] in (wanted, None)]
        if not opts:
            ref = roles[role]
            tried = [" + ".join(alt) for alt in alternatives(catalog, ref)]
            close = difflib.get_close_matches(
                _PLACEHOLDER_RE.sub("16", tried[min(1, len(tried) - 1)]),
                [str(c) for c in cols],
                n=3,
                cutoff=0.5,
            )
            at = f" du millésime {wanted}" if wanted else ""
            hint = f" Colonnes proches : {format_codes(close)}." if close else ""
            raise MethodError(
                f"indicateur « {ind.id} », {_ROLE_FR.get(role, role)} « {ref} » : "
                f"aucune colonne{at} ne correspond à {format_codes(tried, 6)}.{hint}",
                column=ref,
                indicator=ind.id,
                role=role,
                candidates=close,
                vintage=wanted,
            )
    vintages = {v for opts in options.values() for v, _ in opts if v is not None}
    if wanted is not None:
        order: list[str | None] = [wanted]
    else:
        order = [*sorted(vintages, reverse=True), None]
    for v in order:
        chosen: dict[str, tuple[str, ...]] = {}
        used: set[str] = set()
        for role, opts in options.items():
            # first option in the catalogue's order that fits vintage v
            pick = next(((ov, c) for ov, c in opts if ov in (v, None)), None)
            if pick is None:
                break
            chosen[role] = pick[1]
            used.update([pick[0]] if pick[0] else [])
        else:
            by_area = frozenset(
                role
                for role, ref in roles.items()
                if ref in catalog.components
                and catalog.components[ref].spread == "area"
            )
            return Resolution(
                ind.id, MappingProxyType(chosen), v if used else None, by_area
            )
    found = {
        role: sorted({ov for ov, _ in opts if ov}) for role, opts in options.items()
    }
    raise MethodError(
        f"indicateur « {ind.id} » : ses composantes ne sont pas disponibles pour un "
        f"même millésime ({'; '.join(f'{r} : {v}' for r, v in found.items())}).",
        indicator=ind.id,
        vintages=found,
    )


_ROLE_FR = {
    "value": "variable",
    "numerator": "numérateur",
    "denominator": "dénominateur",
    "rate": "taux publié",
    "weight": "pondération",
}


def catalog_vintage(
    columns: Sequence[str], catalog: Catalog
) -> tuple[int, list[str]] | None:
    """Infer a vintage from column names matching the catalogue's patterns.

    The default catalogue knows the producer variables of its indicators
    with their vintage written in (``PMUN{yy}``, ``P{yy}_POP``, ``TP60{yy}``);
    a column matching one of them carries its vintage (``PMUN17`` → 2017).

    Parameters
    ----------
    columns : sequence of str
        Column names of a table.
    catalog : Catalog
        Whose patterns are matched (e.g. :func:`territobs.catalog.default_catalog`).

    Returns
    -------
    tuple of (int, list of str) or None
        The most frequent vintage (the latest on a tie) and the columns it
        was read in; None when no column matches a pattern with a vintage.

    Examples
    --------
    >>> from territobs.catalog import default_catalog
    >>> catalog_vintage(["code", "PMUN17"], default_catalog())
    (2017, ['PMUN17'])
    >>> catalog_vintage(["code", "population"], default_catalog()) is None
    True
    """
    patterns: set[str] = set()
    for component in catalog.components.values():
        patterns.update(component.variables)
        patterns.update(component.sum_of)
    for indicator in catalog.indicators:
        for roles in indicator.role_sets():
            patterns.update(ref for ref in roles.values() if ref)
    with_year = sorted(p for p in patterns if "{yy" in p)
    found: dict[int, list[str]] = {}
    for column in columns:
        for pattern in with_year:
            match = _pattern_regex(pattern, ignore_case=True).fullmatch(str(column))
            year = _vintage_of(match) if match is not None else None
            if year is not None:
                found.setdefault(int(year), []).append(str(column))
                break
    best = most_frequent_vintage(
        year for year, matched in found.items() for _ in matched
    )
    return None if best is None else (best, found[best])
