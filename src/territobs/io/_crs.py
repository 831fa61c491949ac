"""Coordinate reference systems of French units: which CRS computes where.

The computation CRS of each département (:func:`projected_crs_for`, from the
one table :data:`LOCAL_CRS` of the overseas départements), the EPSG code of a
CRS written without authority (:func:`recognise_crs`), the check that read
coordinates can lie in France (:func:`check_location`) and the CRS chosen for
a layer from its codes or its location (:func:`auto_crs`). Used by the
boundary and grid readers; :mod:`territobs.io.boundaries` re-exports the
public names.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer

from territobs.codes import departement_of
from territobs.errors import CRSError, where

__all__ = [
    "LOCAL_CRS",
    "METROPOLITAN_CRS",
    "auto_crs",
    "check_location",
    "projected_crs_for",
    "recognise_crs",
]

#: Official projected CRS of each overseas département; metropolitan France
#: (and Corsica) use Lambert-93, EPSG:2154.
LOCAL_CRS: dict[str, int] = {
    "971": 5490,  # Guadeloupe, RGAF09 / UTM 20N
    "972": 5490,  # Martinique, RGAF09 / UTM 20N
    "973": 2972,  # Guyane, RGFG95 / UTM 22N
    "974": 2975,  # La Réunion, RGR92 / UTM 40S
    "976": 4471,  # Mayotte, RGM04 / UTM 38S
}
METROPOLITAN_CRS = 2154

# CRSs a file without authority code may really be (compared by parameters).
_KNOWN_CRS = (2154, 5490, 2972, 2975, 4471, 3035, 4326, 4171, 27572)
# Envelopes (lon/lat) where French units lie: metropolitan France and Corsica,
# the five overseas départements, other overseas collectivities.
_FRANCE_ENVELOPES = (
    (-5.5, 41.0, 10.0, 51.5),
    (-63.2, 15.8, -60.8, 18.2),  # Guadeloupe, Saint-Martin, Saint-Barthélemy
    (-61.3, 14.3, -60.7, 15.0),  # Martinique
    (-54.7, 2.0, -51.5, 6.0),  # Guyane
    (55.1, -21.5, 55.9, -20.8),  # La Réunion
    (44.9, -13.1, 45.4, -12.5),  # Mayotte
    (-56.6, 46.7, -56.0, 47.2),  # Saint-Pierre-et-Miquelon
    (-180.0, -30.0, -130.0, -5.0),  # Polynésie, Wallis-et-Futuna (east)
    (160.0, -23.0, 180.0, -12.0),  # Nouvelle-Calédonie, Wallis-et-Futuna
)


def projected_crs_for(departement: str) -> int:
    """Return the EPSG code of the computation CRS of a département.

    Parameters
    ----------
    departement : str
        A département code (``"93"``, ``"2A"``, ``"974"``).

    Returns
    -------
    int
        2154 (Lambert-93) in metropolitan France and Corsica, 5490 for
        Guadeloupe and Martinique, 2972 for Guyane, 2975 for La Réunion,
        4471 for Mayotte.

    Raises
    ------
    CRSError
        For codes of other overseas collectivities (975, 977, 978, 98x), which
        have no single official CRS here: reproject explicitly.

    Examples
    --------
    >>> projected_crs_for("93"), projected_crs_for("974"), projected_crs_for("2A")
    (2154, 2975, 2154)
    """
    code = str(departement).strip().upper()
    if code in LOCAL_CRS:
        return LOCAL_CRS[code]
    if len(code) == 2:
        return METROPOLITAN_CRS
    raise CRSError(
        f"pas de CRS de calcul connu pour « {code} » : reprojetez explicitement "
        "(to_crs=EPSG).",
        codes=[code],
    )


def recognise_crs(crs: CRS, *, known_unnamed: bool = False) -> int | None:
    """Find the EPSG code of a CRS written without authority (an ESRI ``.prj``).

    Parameters
    ----------
    crs : pyproj.CRS
        The CRS as read.
    known_unnamed : bool, default False
        Skip ``crs.to_epsg()`` (slow on unnamed CRSs) when the caller already
        knows it gives ``None``.

    Returns
    -------
    int or None
        Its EPSG code when ``crs.to_epsg()`` knows it, else the first of the
        CRSs French data use (2154, 5490, 2972, 2975, 4471, 3035, 4326...)
        with the same projection method, parameters and ellipsoid;
        ``None`` if none matches.

    Examples
    --------
    >>> lcc = CRS.from_proj4("+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 "
    ...                      "+x_0=700000 +y_0=6600000 +ellps=GRS80 +units=m")
    >>> recognise_crs(lcc, known_unnamed=True)
    2154
    """
    epsg = None if known_unnamed else crs.to_epsg()
    if epsg is not None:
        return epsg
    own = _parameters(crs)
    for candidate in _KNOWN_CRS:
        if _parameters(CRS.from_epsg(candidate)) == own:
            return candidate
    return None


def _parameters(crs: CRS) -> tuple:
    """Projection method, rounded parameters and ellipsoid of a CRS."""
    ellipsoid = crs.ellipsoid
    ell = (
        (round(ellipsoid.semi_major_metre, 3), round(ellipsoid.inverse_flattening, 6))
        if ellipsoid is not None
        else None
    )
    if not crs.is_projected or crs.coordinate_operation is None:
        return ("geographic", crs.is_geographic, ell)
    op = crs.coordinate_operation
    params = tuple(
        sorted((p.code or p.name, round(float(p.value), 8)) for p in op.params)
    )
    return (op.method_code or op.method_name, params, ell)


def _lonlat_bounds(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    transformer = Transformer.from_crs(frame.crs, 4326, always_xy=True)
    return transformer.transform_bounds(*frame.total_bounds)


def check_location(frame: gpd.GeoDataFrame, path: str, label: str) -> None:
    """Raise if the coordinates cannot lie in France in the declared CRS."""
    xmin, ymin, xmax, ymax = frame.total_bounds
    if not np.isfinite([xmin, ymin, xmax, ymax]).all():
        return
    looks_degrees = max(abs(xmin), abs(xmax)) <= 180 and max(abs(ymin), abs(ymax)) <= 90
    hint = (
        " Les coordonnées ressemblent à des degrés (longitude/latitude) : le "
        "fichier est sans doute en EPSG:4326 ; corrigez son CRS (crs=4326)."
        if looks_degrees and frame.crs.is_projected
        else " Vérifiez le CRS déclaré (crs=...) ou reprojetez la couche."
    )
    area = frame.crs.area_of_use
    if frame.crs.is_projected and area is not None:
        aw, as_, ae, an = area.bounds
        # a 2 degree margin around the CRS's area of use, compared in its units.
        inside = _inside_area(frame, (aw - 2, as_ - 2, ae + 2, an + 2))
        if not inside:
            raise CRSError(
                f"{where(path)}les coordonnées ({xmin:.6g}, {ymin:.6g}) – "
                f"({xmax:.6g}, {ymax:.6g}) sortent de la zone de validité du CRS "
                f"déclaré {label} ({area.name}).{hint}",
                path=path,
                crs=label,
                bounds=(xmin, ymin, xmax, ymax),
            )
    west, south, east, north = _lonlat_bounds(frame)
    if not any(
        west <= ex and east >= wx and south <= ny and north >= sy
        for wx, sy, ex, ny in _FRANCE_ENVELOPES
    ):
        raise CRSError(
            f"{where(path)}les coordonnées, lues en {label}, tombent hors de France "
            f"(longitude {west:.3f} à {east:.3f}, latitude {south:.3f} à "
            f"{north:.3f}).{hint}",
            path=path,
            crs=label,
            bounds=(xmin, ymin, xmax, ymax),
        )


def _inside_area(
    frame: gpd.GeoDataFrame, lonlat: tuple[float, float, float, float]
) -> bool:
    west, south, east, north = lonlat
    to_crs = Transformer.from_crs(4326, frame.crs, always_xy=True)
    axmin, aymin, axmax, aymax = to_crs.transform_bounds(
        max(west, -180), max(south, -90), min(east, 180), min(north, 90)
    )
    xmin, ymin, xmax, ymax = frame.total_bounds
    return xmin >= axmin and ymin >= aymin and xmax <= axmax and ymax <= aymax


def auto_crs(codes: pd.Series, level: str, frame: gpd.GeoDataFrame, path: str) -> int:
    if level in ("commune", "arrondissement", "iris", "departement"):
        deps = {departement_of(c) if level != "departement" else c for c in codes}
        targets = {projected_crs_for(dep) for dep in deps}
    else:
        targets = _crs_from_location(frame)
    if len(targets) > 1:
        raise CRSError(
            f"{where(path)}la couche couvre plusieurs territoires aux CRS de calcul "
            f"différents ({', '.join(f'EPSG:{t}' for t in sorted(targets))}) : "
            "traitez-les séparément ou choisissez to_crs=... explicitement.",
            path=path,
            targets=sorted(targets),
        )
    return targets.pop()


def _crs_from_location(frame: gpd.GeoDataFrame) -> set[int]:
    """Return the computation CRSs of the places where the features' bounding boxes are."""
    bounds = frame.geometry.bounds.to_numpy()
    x = (bounds[:, 0] + bounds[:, 2]) / 2
    y = (bounds[:, 1] + bounds[:, 3]) / 2
    lon, lat = Transformer.from_crs(frame.crs, 4326, always_xy=True).transform(x, y)
    places = ("metro", "971", "972", "973", "974", "976")
    found = set()
    for place, (wx, sy, ex, ny) in zip(places, _FRANCE_ENVELOPES, strict=False):
        if ((lon >= wx) & (lon <= ex) & (lat >= sy) & (lat <= ny)).any():
            found.add(METROPOLITAN_CRS if place == "metro" else LOCAL_CRS[place])
    return found or {METROPOLITAN_CRS}
