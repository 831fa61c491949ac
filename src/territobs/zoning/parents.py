"""Parent codes of units: zones given at a coarser level than the units.

A circonscription listed as communes over IRIS units, a bassin listed as
EPCI over commune units: :func:`expand_members` replaces each member by the
units whose parent code it is. :func:`parent_codes` reads the parents from
the units' own columns (``INSEE_COM``/``CODE_COM`` of CONTOURS-IRIS,
``SIREN_EPCI`` of ADMIN EXPRESS communes) or, for communes and départements
over IRIS or communes, from the code itself (an IRIS code starts with its
commune's code).
"""

from __future__ import annotations

import pandas as pd

from territobs.errors import ZoneError, format_codes
from territobs.formatting import count_of

__all__ = ["PARENT_COLUMNS", "expand_members", "guess_level", "parent_codes"]

#: Columns of the units read as parent codes, by parent level, in order.
PARENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "commune": ("INSEE_COM", "CODE_COM", "COM", "DEPCOM", "CODGEO_COM"),
    "epci": ("SIREN_EPCI", "EPCI", "CODE_EPCI", "epci"),
    "departement": ("INSEE_DEP", "DEP", "CODE_DEP", "departement"),
    "region": ("INSEE_REG", "REG", "CODE_REG", "region"),
}

_LEVEL_FR = {
    "iris": "des IRIS",
    "commune": "des communes",
    "arrondissement": "des arrondissements",
    "epci": "des EPCI",
    "departement": "des départements",
    "region": "des régions",
}


def guess_level(codes: list[str]) -> str | None:
    """Level most codes look like, from their shape (None when unclear).

    Examples
    --------
    >>> guess_level(["93001", "2A004"]), guess_level(["930010101"])
    ('commune', 'iris')
    >>> guess_level(["200054781"])
    'epci'
    """
    shapes = []
    for code in codes:
        text = str(code)
        if len(text) == 5:
            shapes.append("commune")
        elif len(text) == 9 and text.startswith("2") and text[:2] not in ("2A", "2B"):
            shapes.append("epci")
        elif len(text) == 9:
            shapes.append("iris")
        elif len(text) in (2, 3):
            shapes.append("departement")
    if not shapes:
        return None
    top = max(set(shapes), key=shapes.count)
    return top if shapes.count(top) * 2 > len(codes) else None


def parent_codes(
    units: pd.DataFrame, member_level: str, column: str | None = None
) -> pd.Series:
    """Parent code of every unit at ``member_level`` (indexed like ``units``).

    Parameters
    ----------
    units : pandas.DataFrame
        Units with ``code`` and, when given, a ``level`` column.
    member_level : str
        Level of the members (``commune``, ``epci``, ``departement``...).
    column : str, optional
        Column of the units giving the parent codes; default: the first of
        :data:`PARENT_COLUMNS` present, else the code's prefix (communes and
        départements over IRIS or communes).

    Raises
    ------
    ZoneError
        No way to know the units' parents at that level.
    """
    if column is not None:
        if column not in units.columns:
            raise ZoneError(
                f"colonne « {column} » absente des unités (codes parents "
                f"{_LEVEL_FR.get(member_level, member_level)}).",
                column=column,
            )
        return units[column].astype("string").str.strip()
    for name in PARENT_COLUMNS.get(member_level, ()):
        if name in units.columns:
            return units[name].astype("string").str.strip()
    codes = units["code"].astype(str)
    level = _units_level(units)
    if member_level == "commune" and level == "iris":
        return codes.str[:5].astype("string")
    if member_level == "departement" and level in ("iris", "commune"):
        overseas = codes.str.startswith("97")
        return codes.str[:2].where(~overseas, codes.str[:3]).astype("string")
    raise ZoneError(
        f"membres donnés au niveau « {member_level} » mais les unités "
        f"({level or 'niveau inconnu'}) n'ont pas de colonne de codes parents "
        f"({format_codes(list(PARENT_COLUMNS.get(member_level, ())))}) : joignez "
        "la table d'appartenance aux unités ou nommez sa colonne (parent=...).",
        member_level=member_level,
    )


def _units_level(units: pd.DataFrame) -> str | None:
    if "level" in units.columns and len(units):
        levels = units["level"].dropna().astype(str).unique()
        if len(levels) == 1:
            return str(levels[0])
    return guess_level(units["code"].astype(str).head(50).tolist())


def expand_members(
    long: pd.DataFrame,
    units: pd.DataFrame,
    member_level: str,
    column: str | None = None,
) -> pd.DataFrame:
    """Replace members given at a coarser level by their units.

    Parameters
    ----------
    long : pandas.DataFrame
        ``zone``, ``member`` (one row per listed member).
    units, member_level, column
        As in :func:`parent_codes`.

    Returns
    -------
    pandas.DataFrame
        ``zone``, ``member`` (unit codes), zones in their first order.

    Raises
    ------
    ZoneError
        Members that are the parent of no unit (``error.unknown`` by zone).
    """
    parents = pd.DataFrame(
        {
            "parent": parent_codes(units, member_level, column).to_numpy(object),
            "unit": units["code"].to_numpy(object),
        }
    )
    merged = long.merge(parents, left_on="member", right_on="parent", how="left")
    unknown = merged[merged["unit"].isna()]
    if len(unknown):
        by_zone: dict[str, list[str]] = {}
        for zone, member in zip(unknown["zone"], unknown["member"], strict=True):
            by_zone.setdefault(str(zone), []).append(str(member))
        detail = " ; ".join(
            f"zone « {z} » : {format_codes(c, 3)}" for z, c in list(by_zone.items())[:5]
        )
        n = len(unknown)
        raise ZoneError(
            f"{count_of(n, 'membre', 'membres')} {_LEVEL_FR.get(member_level, '')} "
            f"sans aucune unité : {detail}.",
            codes=unknown["member"].astype(str).tolist(),
            unknown=by_zone,
        )
    out = merged[["zone", "unit"]].rename(columns={"unit": "member"})
    return out.drop_duplicates().reset_index(drop=True)


def level_hint(unknown: list[str], units: pd.DataFrame) -> str:
    """French hint when unknown members look like codes of another level."""
    members = guess_level(unknown)
    level = _units_level(units)
    if members is None or level is None or members == level:
        return ""
    return (
        f" Ces membres ressemblent à des codes {_LEVEL_FR.get(members, members)} "
        f"alors que les unités sont {_LEVEL_FR.get(level, level)} : passez "
        f'member_level="{members}" (atlas : member_level = "{members}") pour '
        "les remplacer par leurs unités."
    )
