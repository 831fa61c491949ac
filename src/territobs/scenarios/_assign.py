"""One scenario as an assignment: each unit of the territory → one zone.

A scenario is a zoning the user already has, in any of the shapes territobs
reads: a zones frame (:func:`~territobs.zoning.zones.zones_from_members`,
:func:`~territobs.io.zones.read_zones`), a mapping zone → member codes, a long
membership table, a Series unit code → zone, or drawn polygons. Scenarios are
compared unit by unit, so each becomes an :class:`Assignment`: one zone per
unit of the territory. Drawn polygons are assigned by the engine's area
weights (:func:`~territobs.zoning.weights.build_weights`): a unit goes to the
zone holding the largest share of its surface, and how much of the unit lies
in that zone is kept (``share``) so a cut unit is never hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from territobs.errors import ZoneError, format_codes
from territobs.formatting import count_of
from territobs.zoning.zones import is_membership, zones_from_members

__all__ = ["Assignment", "as_assignment"]


@dataclass(frozen=True)
class Assignment:
    """The zone of every unit under one scenario.

    Attributes
    ----------
    zone : pandas.Series
        Unit code → zone id (str), in the order of the territory's units.
    names : pandas.Series
        Zone id → zone label, in the scenario's zone order.
    share : pandas.Series
        Unit code → share (0-1) of the unit in its zone: 1 for membership
        zones; the area share for drawn polygons.
    """

    zone: pd.Series
    names: pd.Series
    share: pd.Series

    def _table(self) -> pd.DataFrame:
        """Long membership table, zones in the scenario's order."""
        table = pd.DataFrame(
            {"zone": self.zone.to_numpy(object), "member": self.zone.index.to_numpy()}
        )
        table["name"] = table["zone"].map(self.names)
        order = {z: i for i, z in enumerate(self.names.index)}
        return table.sort_values("zone", key=lambda s: s.map(order), kind="stable")

    @property
    def zones(self) -> gpd.GeoDataFrame:
        """Scenario as a membership zones frame (no geometry)."""
        return zones_from_members(self._table(), name="name")

    def zones_with_geometry(self, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Build the scenario's zones frame, geometry = union of the members."""
        return zones_from_members(self._table(), name="name", units=units)


def _from_series(zone: pd.Series, names: Mapping[str, str] | None) -> Assignment:
    zone = zone.astype(object)
    order = pd.unique(zone.to_numpy(object))
    labels = pd.Series(
        [names.get(z, z) if names else z for z in order], index=pd.Index(order)
    )
    return Assignment(zone, labels, pd.Series(1.0, index=zone.index))


def _membership(zones: pd.DataFrame, label: str) -> Assignment:
    pieces = zones[["zone", "members"]].explode("members")
    counts = pieces["members"].value_counts()
    doubled = counts.index[counts > 1].tolist()
    if doubled:
        raise ZoneError(
            f"scénario « {label} » : {count_of(len(doubled), 'unité')} dans plusieurs "
            f"zones ({format_codes(doubled)}) ; un scénario est un découpage où "
            "chaque unité appartient à une seule zone.",
            codes=doubled,
        )
    zone = pieces.set_index("members")["zone"].astype(object)
    names = zones.set_index("zone")["name"].astype(object)
    return Assignment(zone, names, pd.Series(1.0, index=zone.index))


def _polygons(zones: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> Assignment:
    from territobs.zoning.weights import build_weights

    weights = build_weights(units, zones, method="area")
    pairs = weights.matrix.tocoo()
    long = pd.DataFrame({"unit": pairs.row, "zone": pairs.col, "share": pairs.data})
    # the zone with the largest share of each unit (first zone on ties)
    best = long.sort_values(["unit", "share", "zone"], ascending=[True, False, True])
    best = best.drop_duplicates("unit")
    codes = weights.units[best["unit"].to_numpy()]
    zone = pd.Series(weights.zones[best["zone"].to_numpy()].to_numpy(object), codes)
    share = pd.Series(best["share"].to_numpy(), index=codes)
    names = zones.set_index("zone")["name"].astype(object)
    return Assignment(zone, names, share)


def as_assignment(
    scenario: Any,
    units: gpd.GeoDataFrame | pd.DataFrame,
    *,
    label: str = "scénario",
) -> Assignment:
    """Turn a zoning given in any supported shape into an :class:`Assignment`.

    Parameters
    ----------
    scenario : zones frame, mapping, DataFrame, Series or Assignment
        A zones frame (membership zones, or drawn polygons, assigned by area);
        a mapping zone id → member codes; a long table with ``zone`` and
        ``member`` columns (and optionally ``name``); a Series unit code →
        zone id.
    units : geopandas.GeoDataFrame or pandas.DataFrame
        The units of the territory, with a ``code`` column (geometry needed
        for drawn polygons only).
    label : str, default "scénario"
        Name of the scenario in error messages.

    Returns
    -------
    Assignment

    Raises
    ------
    ZoneError
        A unit in several zones, members unknown among the units, or units of
        the territory left in no zone (``error.codes`` lists them all).

    Examples
    --------
    >>> import pandas as pd
    >>> units = pd.DataFrame({"code": ["01001", "01002", "01004"]})
    >>> a = as_assignment({"n": ["01001", "01002"], "s": ["01004"]}, units)
    >>> a.zone.tolist()
    ['n', 'n', 's']
    """
    codes = pd.Index(units["code"].astype(object), name="code")
    if isinstance(scenario, Assignment):
        result = scenario
    elif isinstance(scenario, pd.Series):
        series = scenario.copy()
        series.index = series.index.astype(object)
        result = _from_series(series, None)
    elif isinstance(scenario, Mapping):
        result = _membership(
            zones_from_members({str(k): list(v) for k, v in scenario.items()}),
            label,
        )
    elif isinstance(scenario, pd.DataFrame) and "members" in scenario.columns:
        member = is_membership(scenario)
        if member.all():
            result = _membership(scenario, label)
        elif not member.any() and isinstance(scenario, gpd.GeoDataFrame):
            result = _polygons(scenario, units)
        else:
            raise ZoneError(
                f"scénario « {label} » : zones à la fois listes de communes et "
                "polygones ; donnez l'un ou l'autre."
            )
    elif isinstance(scenario, gpd.GeoDataFrame):
        from territobs.zoning.zones import zones_from_polygons

        name = "name" if "name" in scenario.columns else None
        result = _polygons(zones_from_polygons(scenario, name=name), units)
    elif isinstance(scenario, pd.DataFrame):
        name = "name" if "name" in scenario.columns else None
        result = _membership(zones_from_members(scenario, name=name), label)
    else:
        raise TypeError(
            f"scénario « {label} » : type {type(scenario).__name__} non pris en "
            "charge (table zone/membre, dictionnaire zone → communes, zones "
            "ou polygones attendus)."
        )
    return _complete(result, codes, label)


def _complete(result: Assignment, codes: pd.Index, label: str) -> Assignment:
    zone = result.zone
    unknown = zone.index.difference(codes).tolist()
    if unknown:
        raise ZoneError(
            f"scénario « {label} » : {count_of(len(unknown), 'membre inconnu')} "
            f"du territoire ({format_codes(unknown)}).",
            codes=unknown,
        )
    left = codes.difference(zone.index).tolist()
    if left:
        raise ZoneError(
            f"scénario « {label} » : {count_of(len(left), 'unité')} du territoire "
            f"dans aucune zone ({format_codes(left)}) ; un scénario couvre tout le "
            "territoire.",
            codes=left,
        )
    zone = zone.reindex(codes).astype(object)
    share = result.share.reindex(codes)
    names = result.names[result.names.index.isin(pd.unique(zone.to_numpy(object)))]
    return Assignment(zone.rename("zone"), names.rename("name"), share.rename("share"))
