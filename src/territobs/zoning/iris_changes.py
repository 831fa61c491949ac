"""IRIS redrawn between two vintages: which changes they make meaningless.

INSEE redraws some IRIS between census geographies (a district rebuilt, a
commune merged) and says so in the ``MODIF_IRIS`` column of its IRIS files:
``0`` for an IRIS left unchanged since the previous IRIS geography, another
value when it was modified (its outline, its code or its creation). The
values of a redrawn IRIS at two vintages describe two different areas, so
their difference is not a change of anything.

What stays comparable: INSEE redraws IRIS *inside* their commune, so the
redrawn IRIS of one commune, taken together, cover the same area at both
vintages. A zone holding all of them in full (or none), such as a zone made
of whole communes, keeps a true change; a zone holding only some of them, or
part of one, does not, and :func:`set_aside_redrawn` makes its change a
*donnée manquante* that names the IRIS, never a wrong figure.

This needs INSEE's modification flags. Without them, IRIS present at one
vintage only are refused by :func:`territobs.zoning.evolution.evolution`
(naming them); commune tables go through
:func:`territobs.zoning.evolution.to_common_cog` instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from territobs.errors import SourceFormatError, ZoneWarning, format_codes
from territobs.zoning.weights import Weights

__all__ = ["MODIF_COLUMN", "count_absent_as_zero", "redrawn_iris", "set_aside_redrawn"]

#: INSEE's column of IRIS modifications in its IRIS files.
MODIF_COLUMN = "MODIF_IRIS"


def redrawn_iris(*tables: pd.DataFrame) -> list[str]:
    """Return the IRIS that INSEE flags as modified in its IRIS files.

    Parameters
    ----------
    *tables : pandas.DataFrame
        INSEE IRIS tables as read by :func:`territobs.io.read_insee` (``code``
        and ``MODIF_IRIS``); tables without ``MODIF_IRIS`` are ignored.

    Returns
    -------
    list of str
        Sorted IRIS codes whose ``MODIF_IRIS`` is not 0.

    Raises
    ------
    SourceFormatError
        A ``MODIF_IRIS`` value is not a number (row and value named).

    Examples
    --------
    >>> t = pd.DataFrame({"code": ["773160101", "773160102", "751010101"],
    ...                   "MODIF_IRIS": ["2", "3", "0"]})
    >>> redrawn_iris(t)
    ['773160101', '773160102']
    """
    found: set[str] = set()
    for table in tables:
        if MODIF_COLUMN not in table.columns:
            continue
        raw = table[MODIF_COLUMN].astype("string").str.strip()
        flags = pd.to_numeric(raw, errors="coerce")
        bad = flags.isna() & raw.notna() & raw.ne("")
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise SourceFormatError(
                f"colonne {MODIF_COLUMN} : valeur « {raw.iloc[row]} » illisible "
                f"(ligne {row + 2}) ; l'INSEE y écrit 0 pour un IRIS inchangé, "
                "un autre chiffre pour un IRIS modifié.",
                column=MODIF_COLUMN,
                row=row + 2,
            )
        codes = table["code"] if "code" in table.columns else table.index.to_series()
        found |= set(codes[flags.fillna(0).ne(0).to_numpy()].astype(str))
    return sorted(found)


def count_absent_as_zero(
    territory: pd.DataFrame, redrawn: Iterable[str], columns: Iterable[str]
) -> pd.DataFrame:
    """Give 0 to the redrawn IRIS that do not exist at a vintage.

    An IRIS created by a redrawing has no row (or only blanks) in the file of
    the vintage before it: its area was then counted in the other IRIS of
    its group, so within the group it adds nothing. A zone holding the whole
    group is thus computed right; one holding part of it is set aside by
    :func:`set_aside_redrawn`.

    Parameters
    ----------
    territory : pandas.DataFrame
        Units with ``code``.
    redrawn : iterable of str
        Redrawn IRIS codes.
    columns : iterable of str
        The columns read at that vintage; only a redrawn IRIS blank in all
        of them gets zeros.

    Returns
    -------
    pandas.DataFrame
        A copy when something was filled, else ``territory``.
    """
    names = [c for c in dict.fromkeys(columns) if c in territory.columns]
    if not names:
        return territory
    rows = territory["code"].astype(str).isin(set(map(str, redrawn)))
    absent = (rows & territory[names].isna().all(axis=1)).to_numpy()
    if not absent.any():
        return territory
    out = territory.copy()
    out.loc[absent, names] = 0.0
    return out


def affected_zones(weights: Weights, redrawn: Iterable[str]) -> dict[str, list[str]]:
    """Zones whose change the redrawn IRIS make meaningless, with those IRIS.

    The redrawn IRIS of one commune (the first five characters of their
    code) form a group covering the same area at both vintages; a zone is
    affected when it holds part of a group: some of its IRIS and not
    others, or a share of one.
    """
    units = pd.Index(weights.units.astype(str))
    codes = [c for c in dict.fromkeys(str(r) for r in redrawn) if c in units]
    if not codes:
        return {}
    matrix = (
        weights.matrix.tocsr() if hasattr(weights.matrix, "tocsr") else weights.matrix
    )
    out: dict[str, list[str]] = {}
    for _commune, group in pd.Series(codes).groupby(pd.Series(codes).str[:5]):
        rows = units.get_indexer(group.to_numpy())
        shares = np.asarray(matrix[rows].toarray())  # group × zones
        whole = np.isclose(shares, 1.0).all(axis=0)
        none = np.isclose(shares, 0.0).all(axis=0)
        zones = [str(z) for z in weights.zones]
        for j in np.flatnonzero(~(whole | none)):
            out.setdefault(zones[int(j)], []).extend(group.tolist())
    return out


def set_aside_redrawn(
    table: pd.DataFrame, weights: Weights, redrawn: Iterable[str]
) -> pd.DataFrame:
    """Make the changes the redrawn IRIS falsify *données manquantes*.

    Parameters
    ----------
    table : pandas.DataFrame
        Evolution table of the zones of ``weights``.
    weights : Weights
        The zones' weights on the IRIS.
    redrawn : iterable of str
        IRIS codes INSEE flags as modified (:func:`redrawn_iris`).

    Returns
    -------
    pandas.DataFrame
        ``table`` where every row of an affected zone (see module notes) has
        its start value, change and annual rate NaN, the state ``missing``
        (unless secret) and, in ``coverage_label``, the French reason naming
        the IRIS. A :class:`~territobs.errors.ZoneWarning` names the zones.
    """
    affected = affected_zones(weights, redrawn)
    if not affected:
        return table
    out = table.copy()
    zones = out["zone"].astype(str)
    for zone, codes in affected.items():
        rows = zones.eq(zone) & out["state"].ne("secret")
        out.loc[rows, ["value_start", "change", "annual_rate"]] = np.nan
        out.loc[rows, "state"] = "missing"
        if "state_start" in out.columns:
            out.loc[rows, "state_start"] = "missing"
        out.loc[rows, "coverage_label"] = (
            "évolution non calculable : IRIS redécoupés par l'INSEE entre les "
            f"deux millésimes ({MODIF_COLUMN}), que la zone ne contient qu'en "
            f"partie : {format_codes(sorted(set(codes)))}"
        )
    names = sorted(affected)
    warnings.warn(
        f"{len(names)} zone{'s' if len(names) > 1 else ''} sans évolution "
        f"calculable, car elle{'s' if len(names) > 1 else ''} ne contien"
        f"{'nent' if len(names) > 1 else 't'} qu'une partie d'IRIS redécoupés par "
        f"l'INSEE ({MODIF_COLUMN}) : {format_codes(names)} (données manquantes).",
        ZoneWarning,
        stacklevel=3,
    )
    return out
