"""Which zones are member lists, and where their members are among the units.

Shared by :mod:`territobs.zoning.zones` (building zones) and
:mod:`territobs.zoning.weights` (building weights from them), so that
neither imports the other's internals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from territobs.errors import JoinError, ZoneError, format_codes, where
from territobs.formatting import count_of
from territobs.zoning.parents import level_hint

__all__ = ["is_membership"]


def is_membership(zones: pd.DataFrame) -> np.ndarray:
    """Boolean mask of the zones defined by a member list.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        A zones frame.

    Returns
    -------
    numpy.ndarray
    """
    if "members" not in zones.columns:
        return np.zeros(len(zones), dtype=bool)
    # Vectorised: pandas.isna sees a tuple (or list, array) as one value.
    return ~pd.isna(zones["members"].to_numpy(dtype=object))


def _unit_codes(units: pd.DataFrame) -> pd.Index:
    if "code" not in units.columns:
        raise JoinError(
            "les unités n'ont pas de colonne « code » (identifiant des unités) ; "
            f"colonnes disponibles : {', '.join(map(str, units.columns))}.",
            column="code",
        )
    codes = pd.Index(units["code"], name="code")
    if not codes.is_unique:
        dup = codes[codes.duplicated()].unique().tolist()
        raise JoinError(
            f"{where(column='code')}codes d'unités en double : {format_codes(dup)}.",
            column="code",
            codes=dup,
        )
    return codes


def _member_positions(
    members: pd.Series, units: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Locate every member among the units (ZoneError if unknown)."""
    codes = _unit_codes(units)
    lengths = members.map(len).to_numpy()
    flat = (
        np.concatenate([np.asarray(m, dtype=object) for m in members])
        if len(members)
        else np.empty(0, object)
    )
    zone_pos = np.repeat(np.arange(len(members)), lengths)
    pos = codes.get_indexer(pd.Index(flat))
    unknown = pos < 0
    if unknown.any():
        by_zone: dict[str, list[str]] = {}
        for z, code in zip(
            np.asarray(members.index)[zone_pos[unknown]], flat[unknown], strict=True
        ):
            by_zone.setdefault(str(z), []).append(code)
        detail = " ; ".join(
            f"zone « {z} » : {count_of(len(c), 'membre inconnu')} "
            f"({format_codes(c, 3)})"
            for z, c in list(by_zone.items())[:5]
        )
        more = (
            f" ; et {count_of(len(by_zone) - 5, 'autre zone')}"
            if len(by_zone) > 5
            else ""
        )
        n_unknown = int(unknown.sum())
        hint = level_hint(flat[unknown].tolist(), units)
        raise ZoneError(
            f"{count_of(n_unknown, 'code membre absent', 'codes membres absents')} "
            f"des unités, dans {count_of(len(by_zone), 'zone')} : {detail}{more}."
            f"{hint}",
            codes=flat[unknown].tolist(),
            unknown=by_zone,
        )
    return pos, zone_pos
