"""Zones of every shape, in one frame layout.

A zones frame is a :class:`geopandas.GeoDataFrame` with columns ``zone`` (str,
unique id), ``name`` (str), ``members`` (tuple of unit codes for membership
zones, ``None`` for geometric zones) and ``geometry`` (for membership zones the
union of the members when units were given, else ``None``). Zones may overlap.

Builders: :func:`zones_from_members` (circonscriptions = lists of communes or
IRIS), :func:`zones_from_attribute` (EPCI, département), :func:`zones_from_polygons`
(hand-drawn polygons), :func:`zones_from_buffer` (corridors around lines or
points), :func:`grid_zones` (regular squares). :func:`check_zones` and
:func:`units_not_covered` report zones outside the territory and units left out
(defined in :mod:`territobs.zoning._zone_checks`, re-exported here).

Why one module of ~700 lines: one builder per zone shape (members,
attribute, polygons, buffer, grid), all producing the frame of
:data:`ZONE_COLUMNS` through the same private helpers (ids, frame, CRS
checks); the checks against a territory are in
:mod:`territobs.zoning._zone_checks`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from territobs._finite import non_finite, refuse_non_finite
from territobs._repair import polygonal_repair
from territobs.codes import Level, normalize_codes
from territobs.errors import (
    CodeError,
    CRSError,
    GeometryError,
    GeometryRepairedWarning,
    ZoneError,
    ZoneWarning,
    format_codes,
    where,
)
from territobs.formatting import count_of, format_number
from territobs.zoning._members import _member_positions, _unit_codes, is_membership
from territobs.zoning._zone_checks import check_zones, units_not_covered

__all__ = [
    "ZONE_COLUMNS",
    "check_zones",
    "grid_zones",
    "is_membership",
    "units_not_covered",
    "zones_from_attribute",
    "zones_from_buffer",
    "zones_from_members",
    "zones_from_polygons",
]

#: Columns of every zones frame, in order.
ZONE_COLUMNS = ["zone", "name", "members", "geometry"]

_POLYGONAL = {int(shapely.GeometryType.POLYGON), int(shapely.GeometryType.MULTIPOLYGON)}


# --------------------------------------------------------------------------- helpers
def _zone_ids(values: pd.Series, column: str) -> pd.Series:
    """Zone ids as strings; integers are ids, not geographic codes."""
    missing = values.isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)
        raise ZoneError(
            f"{where(column=column, row=int(rows[0]) + 2)}identifiant de zone vide "
            f"({count_of(len(rows), 'ligne')}).",
            column=column,
            row=int(rows[0]) + 2,
            rows=(rows + 2).tolist(),
        )
    if pd.api.types.is_float_dtype(values):
        raise ZoneError(
            f"{where(column=column)}identifiants de zone lus comme des nombres "
            "décimaux : relisez la colonne comme du texte (dtype=str).",
            column=column,
        )
    return values.map(lambda v: v if isinstance(v, str) else str(v)).str.strip()


def _frame(
    zone: Sequence[str],
    name: Sequence[str],
    members: Sequence[tuple[str, ...] | None],
    geometry: Sequence[Any] | np.ndarray,
    crs: Any,
) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "zone": pd.array(list(zone), dtype=object),
            "name": pd.array(list(name), dtype=object),
            "members": pd.Series(list(members), dtype=object),
        },
        geometry=gpd.GeoSeries(list(geometry), crs=crs),
    )
    if not frame["zone"].is_unique:
        dup = frame.loc[frame["zone"].duplicated(), "zone"].unique().tolist()
        raise ZoneError(
            f"identifiants de zone en double : {format_codes(dup)}.", codes=dup
        )
    return frame


def _require_projected(crs: Any, what: str) -> CRS:
    if crs is None:
        raise CRSError(
            f"{what} : aucun système de coordonnées (CRS) défini ; définissez-le "
            "avec set_crs(...) puis reprojetez avec to_crs(2154).",
            found=None,
        )
    crs = CRS.from_user_input(crs)
    if not crs.is_projected:
        raise CRSError(
            f"{what} est en {crs.to_string()} (coordonnées géographiques, en "
            "degrés) : les distances et surfaces exigent un CRS projeté ; "
            "reprojetez avec to_crs(2154) (Lambert-93) ou le CRS officiel local.",
            found=crs.to_string(),
            expected="EPSG:2154",
        )
    return crs


def _union_by_group(geoms: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Union of ``geoms`` per integer group (empty group → None)."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    out = np.full(n_groups, None, dtype=object)
    if not len(order):
        return out
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for s, e in zip(starts, ends, strict=True):
        out[sorted_groups[s]] = shapely.union_all(geoms[order[s:e]])
    return out


# ------------------------------------------------------------------------ membership
def zones_from_members(
    table: pd.DataFrame | Mapping[str, Sequence[str]],
    *,
    zone: str = "zone",
    member: str = "member",
    name: str | None = None,
    units: gpd.GeoDataFrame | None = None,
    level: Level | None = None,
    member_level: str | None = None,
    parent: str | None = None,
    names: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Build zones from member lists (a circonscription = a list of communes).

    Parameters
    ----------
    table : pandas.DataFrame or mapping
        Long table, one row per (zone, member); or a mapping zone id → list of
        unit codes.
    zone, member : str, default "zone", "member"
        Columns of ``table`` holding the zone id and the member code.
    name : str, optional
        Column holding the zone's label (one label per zone); the id otherwise.
    units : geopandas.GeoDataFrame, optional
        Units with a ``code`` column. When given, every member must be one of
        them and each zone's geometry is the union of its members.
    level : {"commune", "arrondissement", "iris", "epci", "departement", "region"}, optional
        Validate and normalise member codes with :mod:`territobs.codes`.
        Without it, members must already be strings.
    member_level : str, optional
        Level of the members when coarser than the units (communes over IRIS
        units, EPCI over communes): each member is replaced by the units
        whose parent code it is (:func:`territobs.zoning.parents.parent_codes`).
        Requires ``units``.
    parent : str, optional
        Column of ``units`` giving the parent codes (default: ``INSEE_COM``,
        ``CODE_COM``, ``SIREN_EPCI``... or the IRIS code's commune prefix).
    names : mapping, optional
        Zone id → label, whatever the source (a mapping of members has no
        name column); ids left out keep the id as label.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``zone, name, members, geometry``, one row per zone in order
        of first appearance.

    Raises
    ------
    ZoneError
        Empty member or zone cells, a member listed twice in a zone, several
        labels for a zone, or members unknown among ``units`` (the message
        names each zone with its unknown codes and counts; ``error.codes`` and
        ``error.unknown`` = {zone: [codes]} hold them all).
    CodeError
        Member codes that are numbers, or invalid for ``level``.

    Examples
    --------
    >>> z = zones_from_members({"nord": ["93001", "93066"], "sud": ["93048"]})
    >>> z[["zone", "members"]].to_dict("list")
    {'zone': ['nord', 'sud'], 'members': [('93001', '93066'), ('93048',)]}
    """
    if isinstance(table, Mapping):
        rows = [(z, m) for z, ms in table.items() for m in ms]
        table = pd.DataFrame(rows, columns=[zone, member], dtype=object)
        table[zone] = table[zone].astype(object)
    missing_cols = [c for c in (zone, member, name) if c is not None and c not in table]
    if missing_cols:
        raise ZoneError(
            f"{where(column=missing_cols[0])}colonne absente de la table des zones ; "
            f"colonnes disponibles : {', '.join(map(str, table.columns))}.",
            column=missing_cols[0],
        )
    frame = table.reset_index(drop=True)
    ids = _zone_ids(frame[zone], zone)
    codes = frame[member]
    empty = codes.isna().to_numpy() | (codes.astype(str).str.strip() == "").to_numpy()
    if empty.any():
        lines = np.flatnonzero(empty) + 2
        raise ZoneError(
            f"{where(column=member, row=int(lines[0]))}membre vide pour la zone "
            f"« {ids.iloc[lines[0] - 2]} » ({count_of(len(lines), 'ligne vide')}).",
            column=member,
            row=int(lines[0]),
            rows=lines.tolist(),
        )
    if level is not None:
        codes = normalize_codes(codes, level, column=member)
    else:
        not_text = codes.map(lambda v: not isinstance(v, str)).to_numpy()
        if not_text.any():
            bad = codes[not_text].tolist()
            raise CodeError(
                f"{where(column=member, row=int(np.flatnonzero(not_text)[0]) + 2)}"
                f"codes de membres lus comme des nombres : {format_codes(bad)}. Les "
                "codes géographiques sont du texte ; relisez la colonne avec dtype=str.",
                column=member,
                codes=bad,
            )
        codes = codes.str.strip()
    long = pd.DataFrame({"zone": ids.to_numpy(), "member": codes.to_numpy(object)})
    dup = long.duplicated()
    if dup.any():
        pairs = [f"{z}/{m}" for z, m in long[dup].itertuples(index=False)]
        raise ZoneError(
            f"{where(column=member, row=int(np.flatnonzero(dup)[0]) + 2)}"
            f"{'membre répété' if len(pairs) == 1 else 'membres répétés'} "
            f"dans une même zone : {format_codes(pairs)}.",
            column=member,
            codes=pairs,
        )
    if name is not None:
        given = pd.DataFrame({"zone": long["zone"], "name": frame[name].astype(str)})
        n_labels = given.drop_duplicates().groupby("zone", sort=False).size()
        if (n_labels > 1).any():
            bad_zones = n_labels.index[n_labels > 1].tolist()
            raise ZoneError(
                f"{where(column=name)}plusieurs libellés pour la zone : "
                f"{format_codes(bad_zones)}.",
                column=name,
                codes=bad_zones,
            )
        label_of = given.drop_duplicates("zone").set_index("zone")["name"]
    else:
        label_of = None
    if member_level is not None:
        if units is None:
            raise ZoneError(
                f"membres au niveau « {member_level} » : les unités (units=...) "
                "sont nécessaires pour les remplacer par leurs unités.",
                key="member_level",
            )
        from territobs.zoning.parents import expand_members

        long = expand_members(long, units, member_level, parent)
    grouped = long.groupby("zone", sort=False)["member"].agg(tuple)
    zone_ids = grouped.index.tolist()
    labels: list[str] = [
        str(x) for x in (label_of.loc[zone_ids] if label_of is not None else zone_ids)
    ]
    if names is not None:
        labels = [
            names.get(z, label) for z, label in zip(zone_ids, labels, strict=True)
        ]
    geometry = np.full(len(zone_ids), None, dtype=object)
    crs = None
    if units is not None:
        geometry = _members_geometry(grouped, units)
        crs = getattr(units, "crs", None)
    return _frame(zone_ids, labels, grouped.tolist(), geometry, crs)


def _members_geometry(members: pd.Series, units: gpd.GeoDataFrame) -> np.ndarray:
    pos, zone_pos = _member_positions(members, units)
    if not isinstance(units, gpd.GeoDataFrame):
        # Units given as a plain table (codes, no outlines): members are
        # checked, zones get no geometry.
        return np.full(len(members), None, dtype=object)
    geoms = np.asarray(units.geometry.array, dtype=object)
    return _union_by_group(geoms[pos], zone_pos, len(members))


def zones_from_attribute(
    units: gpd.GeoDataFrame,
    column: str,
    names: Mapping[str, str] | pd.Series | None = None,
) -> gpd.GeoDataFrame:
    """Group units into zones by an attribute (EPCI, département...).

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        Units with a ``code`` column and ``column``.
    column : str
        The grouping attribute (e.g. ``"SIREN_EPCI"``, ``"INSEE_DEP"``).
    names : mapping or pandas.Series, optional
        Zone id → label. Ids without a label keep the id as label. A Series
        may repeat a key with the same label, as one taken from the units
        (``units.set_index("epci")["epci_name"]``).

    Returns
    -------
    geopandas.GeoDataFrame
        A membership zones frame (``members`` = codes of the units of the
        group), geometry = union of the members, sorted by zone id.

    Raises
    ------
    ZoneError
        If ``column`` is absent, or ``names`` gives one zone several
        different labels (``error.codes`` lists those zones).

    Warns
    -----
    ZoneWarning
        Units whose attribute is empty belong to no zone; their codes are on
        ``warning.codes``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> units = gpd.GeoDataFrame(
    ...     {"code": ["93001", "93066", "93048"], "ept": ["T6", "T6", "T8"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
    ...     crs=2154,
    ... )
    >>> zones_from_attribute(units, "ept")["members"].tolist()
    [('93001', '93066'), ('93048',)]
    """
    if column not in units.columns:
        raise ZoneError(
            f"{where(column=column)}colonne absente des unités ; colonnes "
            f"disponibles : {', '.join(map(str, units.columns))}.",
            column=column,
        )
    codes = _unit_codes(units)
    values = units[column]
    missing = values.isna().to_numpy()
    if missing.any():
        left = codes[missing].tolist()
        warnings.warn(
            ZoneWarning(
                f"{where(column=column)}{count_of(len(left), 'unité', 'unités')} "
                "sans valeur : "
                + ("elle n'appartient" if len(left) == 1 else "elles n'appartiennent")
                + f" à aucune zone ({format_codes(left)}).",
                codes=left,
            ),
            stacklevel=2,
        )
    present = units.loc[~missing]
    ids = _zone_ids(present[column], column)
    table = pd.DataFrame({"zone": ids.to_numpy(), "member": present["code"].to_numpy()})
    table = table.sort_values("zone", kind="stable")
    zones = zones_from_members(table, units=units)
    if names is not None:
        labels = _zone_labels(names)
        zones["name"] = [labels.get(z, z) for z in zones["zone"]]
    return zones


def _is_missing(value: Any) -> bool:
    return bool(pd.api.types.is_scalar(value) and pd.isna(value))


def _zone_labels(names: Mapping[Any, Any] | pd.Series) -> dict[str, str]:
    """Zone id → label, from a mapping or a Series that may repeat its keys.

    A Series taken from the units (``units.set_index("epci")["epci_name"]``)
    repeats each key once per unit: repeated keys with the same label are one
    entry; a key with several different labels raises :class:`ZoneError`.
    Keys are compared as zone ids (text, trimmed); missing labels are skipped.
    """
    if isinstance(names, pd.Series):
        keys, values = list(names.index), list(names.to_numpy(dtype=object))
    else:
        keys, values = list(names.keys()), list(names.values())
    labels: dict[str, set[str]] = {}
    for key, value in zip(keys, values, strict=True):
        if _is_missing(key) or _is_missing(value):
            continue
        text = key.strip() if isinstance(key, str) else str(key).strip()
        labels.setdefault(text, set()).add(str(value))
    conflicts = {key: sorted(found) for key, found in labels.items() if len(found) > 1}
    if conflicts:
        bad = sorted(conflicts)
        detail = ", ".join(
            f"« {key} » ("
            + ", ".join(f"« {n} »" for n in conflicts[key][:3])
            + (", ..." if len(conflicts[key]) > 3 else "")
            + ")"
            for key in bad[:5]
        )
        more = f" et {count_of(len(bad) - 5, 'autre')}" if len(bad) > 5 else ""
        raise ZoneError(
            f"names : {count_of(len(bad), 'zone')} "
            f"{'a' if len(bad) == 1 else 'ont'} plusieurs libellés différents : "
            f"{detail}{more}. Donnez un seul libellé par zone.",
            codes=bad,
            labels=conflicts,
        )
    return {key: found.pop() for key, found in labels.items()}


# ------------------------------------------------------------------------- geometric
def _polygons(geoms: np.ndarray, ids: pd.Series, what: str) -> np.ndarray:
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        bad = ids[missing].tolist()
        raise GeometryError(
            f"{what} : {count_of(len(bad), 'zone', 'zones')} sans géométrie : "
            f"{format_codes(bad)}.",
            codes=bad,
        )
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        bad_coords = np.zeros(len(geoms), dtype=bool)
        bad_coords[invalid] = non_finite(geoms[invalid])
        refuse_non_finite(bad_coords, ids, "zone", "zones")
        bad = ids[invalid].tolist()
        reasons = shapely.is_valid_reason(geoms[invalid])
        geoms = geoms.copy()
        geoms[invalid] = polygonal_repair(geoms[invalid])
        lost = ids[invalid & shapely.is_empty(geoms)].tolist()
        if lost:
            raise GeometryError(
                f"{what} : {count_of(len(lost), 'géométrie invalide')} sans "
                f"surface après réparation : {format_codes(lost)}.",
                codes=lost,
            )
        warnings.warn(
            GeometryRepairedWarning(
                f"{what} : {count_of(len(bad), 'géométrie invalide réparée')} avec "
                f"make_valid : {format_codes(bad)} (ex. {reasons[0]}).",
                codes=bad,
            ),
            stacklevel=3,
        )
    # A (valid) collection counts by its polygonal parts; lines and points
    # in it have no area. (It was reduced only when another zone was invalid.)
    collection = shapely.get_type_id(geoms) == shapely.GeometryType.GEOMETRYCOLLECTION
    if collection.any():
        geoms = geoms.copy()
        for k in np.flatnonzero(collection):
            parts = shapely.get_parts(geoms[k])
            polys = parts[np.isin(shapely.get_type_id(parts), list(_POLYGONAL))]
            geoms[k] = shapely.union_all(polys)
    not_polygon = ~np.isin(shapely.get_type_id(geoms), list(_POLYGONAL))
    not_polygon |= shapely.is_empty(geoms)
    if not_polygon.any():
        bad = ids[not_polygon].tolist()
        raise GeometryError(
            f"{what} : {count_of(len(bad), 'zone non surfacique')} : "
            f"{format_codes(bad)}. "
            "Pour un corridor autour d'une ligne ou d'un point, utilisez "
            "zones_from_buffer.",
            codes=bad,
        )
    return geoms


def zones_from_polygons(
    gdf: gpd.GeoDataFrame, *, zone: str = "zone", name: str | None = None
) -> gpd.GeoDataFrame:
    """Build zones from polygons (drawn by hand, or from a file).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        One row per zone, polygon or multipolygon geometries, a CRS.
    zone : str, default "zone"
        Column of unique zone ids.
    name : str, optional
        Column of labels (the id otherwise).

    Returns
    -------
    geopandas.GeoDataFrame
        A zones frame with ``members = None``, in the CRS of ``gdf``.

    Raises
    ------
    CRSError
        If ``gdf`` has no CRS.
    ZoneError
        Missing column, empty or duplicated ids.
    GeometryError
        Missing, empty or non-polygonal geometries.

    Warns
    -----
    GeometryRepairedWarning
        Invalid polygons repaired with :func:`shapely.make_valid`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> gdf = gpd.GeoDataFrame({"zone": ["A"]}, geometry=[box(0, 0, 10, 10)], crs=2154)
    >>> zones_from_polygons(gdf).columns.tolist()
    ['zone', 'name', 'members', 'geometry']
    """
    if gdf.crs is None:
        raise CRSError(
            "zones : aucun système de coordonnées (CRS) défini ; définissez-le avec "
            "set_crs(...) (par ex. set_crs(2154)).",
            found=None,
        )
    for col in (zone, name):
        if col is not None and col not in gdf.columns:
            raise ZoneError(
                f"{where(column=col)}colonne absente des zones ; colonnes "
                f"disponibles : {', '.join(map(str, gdf.columns))}.",
                column=col,
            )
    ids = _zone_ids(gdf[zone].reset_index(drop=True), zone)
    if not ids.is_unique:
        dup = ids[ids.duplicated()].unique().tolist()
        raise ZoneError(
            f"{where(column=zone)}identifiants de zone en double : {format_codes(dup)}. "
            "Fusionnez-les d'abord (GeoDataFrame.dissolve).",
            column=zone,
            codes=dup,
        )
    geoms = _polygons(np.asarray(gdf.geometry.array, dtype=object), ids, "zones")
    labels = gdf[name].astype(str).tolist() if name is not None else ids.tolist()
    return _frame(ids.tolist(), labels, [None] * len(ids), geoms, gdf.crs)


def zones_from_buffer(
    geometries: gpd.GeoDataFrame | gpd.GeoSeries,
    distance: float | str,
    *,
    zone: str | None = None,
    name: str | None = None,
    quad_segs: int = 8,
    cap_style: Literal["round", "flat", "square"] = "round",
) -> gpd.GeoDataFrame:
    """Build zones as buffers around lines or points (a transport corridor).

    Parameters
    ----------
    geometries : geopandas.GeoDataFrame or geopandas.GeoSeries
        Lines or points (any geometry), in a projected CRS (metres).
    distance : float or str
        Buffer distance in CRS units (> 0), or the name of a column of
        per-row distances.
    zone : str, optional
        Column of zone ids; the index (as text) otherwise.
    name : str, optional
        Column of labels (the id otherwise).
    quad_segs : int, default 8
        Segments per quarter circle (:func:`shapely.buffer`).
    cap_style : {"round", "flat", "square"}, default "round"
        End caps of line buffers.

    Returns
    -------
    geopandas.GeoDataFrame
        A zones frame with ``members = None``.

    Raises
    ------
    CRSError
        No CRS or a geographic one (degrees are no distance).
    ZoneError
        Non-positive distances, missing columns, duplicated ids.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString
    >>> line = gpd.GeoSeries([LineString([(0, 0), (1000, 0)])], crs=2154)
    >>> round(zones_from_buffer(line, 100).area.iloc[0])
    231214
    """
    _require_projected(geometries.crs, "géométries à tamponner")
    frame = (
        geometries.to_frame("geometry")
        if isinstance(geometries, gpd.GeoSeries)
        else geometries
    )
    if isinstance(distance, str):
        if distance not in frame.columns:
            raise ZoneError(
                f"{where(column=distance)}colonne de distances absente.",
                column=distance,
            )
        dist = pd.to_numeric(frame[distance], errors="coerce").to_numpy(float)
    else:
        dist = np.full(len(frame), float(distance))
    bad = ~(np.isfinite(dist) & (dist > 0))
    if bad.any():
        raise ZoneError(
            f"distance de tampon invalide sur {count_of(int(bad.sum()), 'ligne')} "
            "(un nombre strictement positif, en mètres, est attendu).",
            column=distance if isinstance(distance, str) else None,
            rows=np.flatnonzero(bad).tolist(),
        )
    if zone is not None and zone not in frame.columns:
        raise ZoneError(f"{where(column=zone)}colonne absente.", column=zone)
    ids_source = frame[zone] if zone is not None else frame.index.to_series()
    ids = _zone_ids(ids_source.reset_index(drop=True), zone or "index")
    geoms = np.asarray(frame.geometry.array, dtype=object)
    # GEOS buffers a line around a NaN vertex as if it were not there.
    refuse_non_finite(non_finite(geoms), ids, "zone", "zones")
    buffered = shapely.buffer(
        geoms,
        dist,
        quad_segs=quad_segs,
        cap_style=cap_style,
    )
    polygons = gpd.GeoDataFrame(
        {
            "zone": ids.to_numpy(),
            "name": frame[name].astype(str).to_numpy()
            if name is not None
            else ids.to_numpy(),
        },
        geometry=buffered,
        crs=geometries.crs,
    )
    return zones_from_polygons(polygons, zone="zone", name="name")


#: Most squares :func:`grid_zones` builds (metropolitan France in 200 m squares
#: is about 31 million cells of its bounding box; 50 million take ~10 GB).
_MAX_GRID_CELLS = 50_000_000


def grid_zones(
    extent_or_units: gpd.GeoDataFrame | gpd.GeoSeries | Sequence[float],
    size: float,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Build a regular grid of squares aligned on multiples of ``size``.

    Parameters
    ----------
    extent_or_units : GeoDataFrame, GeoSeries or (xmin, ymin, xmax, ymax)
        Units (only squares overlapping them with a positive area are kept)
        or an extent (every square meeting it is kept).
    size : float
        Side of the squares, in CRS units (metres).
    crs : optional
        CRS of an extent; taken from the units otherwise.

    Returns
    -------
    geopandas.GeoDataFrame
        A zones frame whose ids follow INSEE's grid naming,
        ``CRS{epsg}RES{size}mN{ymin}E{xmin}`` (lower-left corner), e.g.
        ``CRS2154RES5000mN6860000E650000``.

    Raises
    ------
    CRSError
        No CRS, or a geographic one.
    ZoneError
        Non-positive size or empty extent.

    Examples
    --------
    >>> grid_zones((0, 0, 2000, 1000), 1000, crs=2154)["zone"].tolist()
    ['CRS2154RES1000mN0E0', 'CRS2154RES1000mN0E1000']
    """
    if not np.isfinite(size) or size <= 0:
        raise ZoneError(
            f"taille de carreau invalide ({size!r}) : un nombre strictement positif "
            "est attendu."
        )
    units = None
    if isinstance(extent_or_units, (gpd.GeoDataFrame, gpd.GeoSeries)):
        units = extent_or_units
        crs = units.crs
        bounds = units.total_bounds
    else:
        bounds = np.asarray(extent_or_units, dtype=float)
    crs = _require_projected(crs, "grille")
    xmin, ymin, xmax, ymax = bounds
    if not (np.isfinite(bounds).all() and xmax > xmin and ymax > ymin):
        shown = ", ".join(f"{float(b):g}" for b in bounds)
        raise ZoneError(f"emprise vide, infinie ou invalide : ({shown}).")
    x0 = np.floor(xmin / size) * size
    y0 = np.floor(ymin / size) * size
    cells = np.ceil((xmax - x0) / size) * np.ceil((ymax - y0) / size)
    if cells > _MAX_GRID_CELLS:
        limit = format_number(_MAX_GRID_CELLS, 0)
        raise ZoneError(
            f"grille trop grande : {cells:.3g} carreaux de {size:g} m sur l'emprise "
            f"(au plus {limit} ; la France métropolitaine en carreaux de 200 m en "
            "compte environ 31 millions dans son rectangle englobant). Vérifiez "
            "l'emprise et son unité (des mètres, dans un CRS projeté), ou "
            "choisissez des carreaux plus grands.",
            size=size,
        )
    xs = np.arange(x0, xmax, size)
    ys = np.arange(y0, ymax, size)
    grid_x, grid_y = np.meshgrid(xs, ys)
    gx, gy = grid_x.ravel(), grid_y.ravel()
    squares = shapely.box(gx, gy, gx + size, gy + size)
    if units is not None:
        geoms = np.asarray(units.geometry.array, dtype=object)
        tree = shapely.STRtree(geoms)
        sq, unit = tree.query(squares, predicate="intersects")
        overlapping = ~shapely.touches(squares[sq], geoms[unit])
        keep = np.unique(sq[overlapping])
        squares, gx, gy = squares[keep], gx[keep], gy[keep]
    epsg = crs.to_epsg()
    prefix = f"CRS{epsg}" if epsg is not None else ""
    res = f"RES{size:g}m"
    ids = [f"{prefix}{res}N{y:.0f}E{x:.0f}" for x, y in zip(gx, gy, strict=True)]
    return _frame(ids, ids, [None] * len(ids), squares, crs)


# -------------------------------------------------------------------------- checks
