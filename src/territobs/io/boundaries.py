"""Read administrative boundaries into the canonical unit frame.

Recognised layouts (column names compared case-insensitively):

=============================  ===============  ==================  ===============
layout                         code column      name column         level
=============================  ===============  ==================  ===============
CONTOURS-IRIS, map_iris        ``CODE_IRIS``    ``NOM_IRIS``        iris
ADMIN EXPRESS ARRONDISSEMENT   ``INSEE_ARM``    ``NOM``             arrondissement
_MUNICIPAL
ADMIN EXPRESS COMMUNE          ``INSEE_COM``    ``NOM``             commune
grand-paris ``map_com``        ``CODE_COM``     ``NOM_COM``         commune
ADMIN EXPRESS EPCI             ``CODE_SIREN``   ``NOM``             epci
ADMIN EXPRESS DEPARTEMENT      ``INSEE_DEP``    ``NOM``             departement
ADMIN EXPRESS REGION           ``INSEE_REG``    ``NOM``             region
grand-paris ``map_ept``        ``CODE_EPT``     ``CODE_EPT``        ept
france-geojson, others         ``code``         ``nom``             from the codes
=============================  ===============  ==================  ===============

Anything pyogrio reads (shapefile, GeoPackage, GeoJSON, FlatGeobuf...) and
GeoParquet are accepted; ``code_column=``/``name_column=``/``level=`` cover
other layouts.

Why one module of ~650 lines: everything after the CRS helpers (moved to
:mod:`territobs.io._crs`) is one step of :func:`read_boundaries` (layer
choice, legacy encodings, layout detection, code checks, geometry repair),
each called once, in order; the geometry checks are in
:mod:`territobs.io._geometry_checks`.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Literal, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from territobs._finite import non_finite, refuse_non_finite
from territobs._repair import polygonal_repair
from territobs.codes import (
    LEVELS,
    Level,
    departement_or_region,
    level_of,
    normalize_codes,
)
from territobs.errors import (
    CodeError,
    CRSError,
    GeometryError,
    GeometryRepairedWarning,
    PlausibilityWarning,
    SourceFormatError,
    format_codes,
    where,
)
from territobs.formatting import count_of
from territobs.io._crs import (
    LOCAL_CRS,
    METROPOLITAN_CRS,  # noqa: F401 - re-exported
    auto_crs,
    check_location,
    projected_crs_for,
    recognise_crs,
)
from territobs.io._geometry_checks import check_units
from territobs.io._geoparquet import read_geoparquet
from territobs.io.decode import find_column, require_file
from territobs.io.insee import row_levels

__all__ = [
    "EXTRA_LEVELS",
    "LOCAL_CRS",
    "projected_crs_for",
    "read_boundaries",
    "recognise_crs",
]

logger = logging.getLogger(__name__)

#: Levels accepted beyond :data:`territobs.codes.LEVELS`; their codes are only
#: checked for presence and uniqueness (no official pattern).
EXTRA_LEVELS: tuple[str, ...] = ("ept", "canton", "carreau", "autre")

# Layouts: (code column, name columns, level), tried in this order.
_LAYOUTS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("CODE_IRIS", ("NOM_IRIS",), "iris"),
    ("INSEE_ARM", ("NOM", "NOM_M"), "arrondissement"),
    ("INSEE_COM", ("NOM", "NOM_COM", "NOM_M"), "commune"),
    ("CODE_COM", ("NOM_COM", "NOM"), "commune"),
    ("CODE_SIREN", ("NOM", "NOM_M"), "epci"),
    ("INSEE_DEP", ("NOM", "NOM_DEP", "NOM_M"), "departement"),
    ("INSEE_REG", ("NOM", "NOM_REG", "NOM_M"), "region"),
    ("CODE_EPT", ("NOM_EPT", "CODE_EPT"), "ept"),
    ("CODE", ("NOM", "NAME", "LIBELLE"), ""),
    ("CODGEO", ("LIBGEO", "NOM"), ""),
)
_LAYER_NAMES = {
    "commune": ("commune",),
    "arrondissement": ("arrondissement_municipal",),
    "epci": ("epci",),
    "departement": ("departement",),
    "region": ("region",),
    "iris": ("contours_iris", "iris"),
}


def _choose_layer(
    path: str, layer: str | int | None, level: str | None
) -> str | int | None:
    if layer is not None or Path(path).suffix.lower() in (".parquet", ".geoparquet"):
        return layer
    try:
        layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except pyogrio.errors.DataSourceError as exc:
        raise SourceFormatError(
            f"{where(path)}fichier géographique illisible ({exc}).", path=path
        ) from exc
    if len(layers) <= 1:
        return None
    if level is not None:
        for wanted in _LAYER_NAMES.get(level, (level,)):
            for name in layers:
                if name.lower() == wanted:
                    return name
    raise SourceFormatError(
        f"{where(path)}{len(layers)} couches : {format_codes(layers, shown=12)}. "
        "Précisez layer=... (ou level=... pour une couche ADMIN EXPRESS).",
        path=path,
        layers=layers,
    )


def _read_frame(path: str, layer: str | int | None) -> gpd.GeoDataFrame:
    if Path(path).suffix.lower() in (".parquet", ".geoparquet"):
        try:
            return read_geoparquet(path)
        except (FileNotFoundError, PermissionError):
            raise
        except Exception as exc:  # pyarrow errors, missing geo metadata
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if "geo metadata" in detail:
                detail = (
                    "fichier Parquet sans métadonnées géographiques : ce n'est pas "
                    "du GeoParquet ; écrivez-le avec GeoDataFrame.to_parquet"
                )
            raise SourceFormatError(
                f"{where(path)}fichier GeoParquet illisible ({detail}).", path=path
            ) from exc
    if Path(path).suffix.lower() == ".zip":
        _check_zip_members(path)
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio", use_arrow=True)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise SourceFormatError(
            f"{where(path)}fichier géographique illisible ({exc}).", path=path
        ) from exc
    except (FileNotFoundError, PermissionError):
        raise
    except Exception as exc:  # arrow cannot decode the attribute table
        frame = _read_legacy_encoding(path, layer, exc)
    else:
        try:  # arrow keeps undecodable text until it is first used
            for column in frame.columns:
                if column != getattr(frame, "_geometry_column_name", None):
                    frame[column].to_numpy()
        except Exception as exc:
            frame = _read_legacy_encoding(path, layer, exc)
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
        raise SourceFormatError(
            f"{where(path)}aucune géométrie : ce n'est pas une couche géographique "
            "(shapefile, GeoPackage, GeoJSON...). Pour un tableau (CSV, XLSX), "
            "utilisez territobs read --kind insee ou --kind caf.",
            path=path,
        )
    return frame


def _check_zip_members(path: str) -> None:
    """Refuse a zip whose members would land on one path (``d.csv``, ``d.csv/e.csv``)."""
    import zipfile

    from territobs.errors import SourceFetchError
    from territobs.fetch.extract import check_members

    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceFormatError(
            f"{where(path)}archive zip illisible ({exc}).", path=path
        ) from exc
    try:
        check_members(
            Path(path),
            [i.filename for i in infos if not i.is_dir()],
            [i.filename for i in infos if i.is_dir()],
        )
    except SourceFetchError as exc:
        raise SourceFormatError(exc.message, path=path, codes=exc.codes) from exc


def _read_legacy_encoding(
    path: str, layer: str | int | None, error: Exception
) -> gpd.GeoDataFrame:
    """Read a shapefile whose text is not UTF-8 and has no ``.cpg``: Windows-1252."""
    shp = Path(path)
    cpg = shp.with_suffix(".cpg")
    if shp.suffix.lower() == ".shp" and not cpg.exists():
        try:
            frame = gpd.read_file(
                path, layer=layer, engine="pyogrio", encoding="cp1252"
            )
        except Exception:  # the retry failed too: report the first error
            pass
        else:
            warnings.warn(
                PlausibilityWarning(
                    f"{where(path)}textes lus en Windows-1252 : le shapefile n'a pas "
                    f"de fichier {cpg.name} et ses textes ne sont pas en UTF-8. "
                    f"Vérifiez les accents ; ajoutez un fichier {cpg.name} contenant "
                    "« 1252 » (ou « UTF-8 ») pour le dire explicitement.",
                    path=os.fspath(path),
                    encoding="cp1252",
                ),
                stacklevel=4,
            )
            return frame
    detail = str(error).splitlines()[0] if str(error) else type(error).__name__
    raise SourceFormatError(
        f"{where(path)}fichier géographique illisible ({detail}). Si ses textes "
        "ne sont pas en UTF-8, ajoutez un fichier .cpg donnant l'encodage "
        "(par ex. « 1252 »).",
        path=path,
    ) from error


def _detect_layout(
    frame: gpd.GeoDataFrame,
    code_column: str | None,
    name_column: str | None,
    path: str,
) -> tuple[str, str | None, str]:
    columns = [c for c in frame.columns if c != frame.geometry.name]
    if code_column is not None:
        if code_column not in columns:
            raise SourceFormatError(
                f"{where(path)}colonne « {code_column} » absente. Colonnes "
                f"trouvées : {format_codes(columns, shown=15)}.",
                path=path,
                column=code_column,
                columns=columns,
            )
        layout = next((lay for lay in _LAYOUTS if lay[0] == code_column.upper()), None)
        names = layout[1] if layout else ("NOM", "NAME", "LIBELLE", "LIBGEO")
        level = layout[2] if layout else ""
    else:
        for layout_code, layout_names, layout_level in _LAYOUTS:
            found = find_column(columns, [layout_code])
            if found is not None:
                code_column, names, level = found, layout_names, layout_level
                break
        else:
            raise SourceFormatError(
                f"{where(path)}aucune colonne de codes reconnue (CODE_IRIS, "
                "INSEE_COM, INSEE_ARM, CODE_SIREN, INSEE_DEP, INSEE_REG, "
                "CODE_COM, CODE_EPT, code). Colonnes trouvées : "
                f"{format_codes(columns, shown=15)}. Précisez code_column=....",
                path=path,
                columns=columns,
            )
    if name_column is None:
        name_column = find_column([c for c in columns if c != code_column], names)
        if name_column is None and code_column.upper() in {n.upper() for n in names}:
            name_column = code_column
    elif name_column not in columns:
        raise SourceFormatError(
            f"{where(path)}colonne de noms « {name_column} » absente. Colonnes "
            f"trouvées : {format_codes(columns, shown=15)}.",
            path=path,
            column=name_column,
            columns=columns,
        )
    return code_column, name_column, level


def _level_hint(path: str) -> str | None:
    """Level told by a france-geojson file name whose codes look like communes.

    Cantons (``9301``...) and départemental arrondissements are published
    with 5-character codes that also fit the commune pattern; the file name
    (``cantons-93-...``, ``arrondissements-93-...``) is the only clue.
    """
    stem = Path(path).stem.lower()
    if stem.startswith("cantons"):
        return "canton"
    if stem.startswith("arrondissements") and "municipa" not in stem:
        return "autre"
    return None


def _guess_level(codes: pd.Series, path: str, column: str) -> str:
    sample = codes.dropna().astype(str)
    levels = set()
    for code in sample.drop_duplicates().head(500):
        try:
            found = level_of(code)
        except CodeError:
            continue
        levels.add("commune" if found == "arrondissement" else found)
    if levels == {"departement"}:
        # region codes have the same shape: the column or file name may tell.
        return departement_or_region(
            sample, hints=[column, Path(path).stem], path=path, column=column
        )
    if len(levels) == 1:
        return levels.pop()
    raise SourceFormatError(
        f"{where(path, column)}niveau géographique non reconnu d'après les codes "
        f"(par ex. {format_codes(sample.head(3).tolist())}) : précisez level=... "
        f"parmi {', '.join(LEVELS + EXTRA_LEVELS)}.",
        path=path,
        column=column,
    )


def _validate_codes(
    frame: gpd.GeoDataFrame, column: str, level: str, path: str
) -> pd.Series:
    if level in LEVELS:
        pattern_level = cast(
            "Level", "commune" if level == "arrondissement" else level
        )  # level in LEVELS
        codes = normalize_codes(frame[column], pattern_level, path=path, column=column)
    else:
        codes = frame[column].astype("string").str.strip()
        empty = codes.isna() | (codes == "")
        if empty.any():
            rows = np.flatnonzero(empty.to_numpy()).tolist()
            raise CodeError(
                f"{where(path, column)}{count_of(len(rows), 'entité', 'entités')} "
                f"sans code ({'entité' if len(rows) == 1 else 'entités'} n° "
                f"{format_codes(rows)}).",
                path=path,
                column=column,
                rows=rows,
            )
    duplicated = codes[codes.duplicated(keep=False)]
    if not duplicated.empty:
        unique = list(dict.fromkeys(duplicated.tolist()))
        raise CodeError(
            f"{where(path, column)}"
            f"{count_of(len(unique), 'code en double', 'codes en double')} : "
            f"{format_codes(unique)}. Une unité doit être une seule entité "
            "(fusionnez les parties avec dissolve(by=...)).",
            path=path,
            column=column,
            codes=unique,
        )
    return codes.astype(str)


def _fix_geometries(
    frame: gpd.GeoDataFrame, codes: pd.Series, path: str
) -> gpd.GeoDataFrame:
    geoms = frame.geometry.array
    empty = np.asarray(frame.geometry.isna() | frame.geometry.is_empty)
    if empty.any():
        bad = codes[empty].tolist()
        raise GeometryError(
            f"{where(path)}{count_of(len(bad), 'unité', 'unités')} sans géométrie "
            "ou à géométrie vide : "
            f"{format_codes(bad)}. Corrigez le fichier ou retirez ces unités.",
            path=path,
            codes=bad,
        )
    frame = _keep_polygons(frame, codes, path)
    geoms = frame.geometry.array
    invalid = ~np.asarray(shapely.is_valid(geoms))
    if invalid.any():
        bad_coords = np.zeros(len(invalid), dtype=bool)
        bad_coords[invalid] = non_finite(np.asarray(geoms)[invalid])
        refuse_non_finite(bad_coords, codes, "unité", "unités", path=path)
        # each part made valid (polygonal part), then their union
        polygonal = polygonal_repair(np.asarray(geoms)[invalid])
        bad = codes[invalid].tolist()
        lost = [c for c, g in zip(bad, polygonal, strict=True) if g.is_empty]
        if lost:
            raise GeometryError(
                f"{where(path)}{count_of(len(lost), 'géométrie invalide')} sans "
                "surface "
                f"après réparation : {format_codes(lost)}.",
                path=path,
                codes=lost,
            )
        values = np.asarray(geoms, dtype=object).copy()
        values[invalid] = polygonal
        frame = frame.set_geometry(
            gpd.GeoSeries(values, index=frame.index, crs=frame.crs)
        )
        warnings.warn(
            GeometryRepairedWarning(
                f"{where(path)}{count_of(len(bad), 'géométrie invalide réparée')} "
                "avec "
                f"make_valid : {format_codes(bad)}.",
                codes=bad,
                path=path,
            ),
            stacklevel=3,
        )
    return frame


def _keep_polygons(
    frame: gpd.GeoDataFrame, codes: pd.Series, path: str
) -> gpd.GeoDataFrame:
    """Refuse units that are not polygons; reduce collections to their polygons.

    A unit is an area: a point or a line has none, and would silently get no
    population. A GeometryCollection holding polygons keeps them (warned).
    """
    values = np.asarray(frame.geometry.array, dtype=object)
    kinds = shapely.get_type_id(values)
    collection = kinds == 7
    reduced = values.copy()
    reduced[collection] = [_polygonal_part(g) for g in values[collection]]
    kept = np.array([g is not None for g in reduced]) & (
        np.isin(kinds, (3, 6)) | collection
    )
    if not kept.all():
        bad = [
            f"{code} ({g.geom_type})"
            for code, g in zip(codes[~kept], values[~kept], strict=True)
        ]
        raise GeometryError(
            f"{where(path)}{count_of(len(bad), 'unité')} sans surface "
            f"({'pas un polygone' if len(bad) == 1 else 'pas des polygones'}) : "
            f"{format_codes(bad)}. Des unités territoriales doivent être des "
            "polygones (Polygon ou MultiPolygon).",
            path=path,
            codes=codes[~kept].tolist(),
        )
    if collection.any():
        fixed = codes[collection].tolist()
        warnings.warn(
            GeometryRepairedWarning(
                f"{where(path)}"
                + (
                    "collection de géométries réduite à ses polygones"
                    if len(fixed) == 1
                    else f"{len(fixed)} collections de géométries réduites à leurs "
                    "polygones"
                )
                + f" : {format_codes(fixed)}.",
                codes=fixed,
                path=path,
            ),
            stacklevel=4,
        )
        frame = frame.set_geometry(
            gpd.GeoSeries(reduced, index=frame.index, crs=frame.crs)
        )
    return frame


_POLYGON_TYPES = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry | None:
    if shapely.get_type_id(geom) in _POLYGON_TYPES:
        return geom
    parts = [
        part
        for part in shapely.get_parts(geom)
        if part.geom_type in ("Polygon", "MultiPolygon")
    ]
    if not parts:
        return None
    return shapely.union_all(parts)


def read_boundaries(
    path: str | os.PathLike[str],
    *,
    layer: str | int | None = None,
    level: str | None = None,
    code_column: str | None = None,
    name_column: str | None = None,
    crs: str | int | CRS | None = None,
    to_crs: Literal["auto"] | str | int | CRS | None = "auto",
) -> gpd.GeoDataFrame:
    """Read a boundary layer into the canonical unit frame.

    Parameters
    ----------
    path : path-like
        A shapefile, GeoPackage, GeoJSON, GeoParquet, a directory of
        shapefiles, or anything pyogrio reads.
    layer : str or int, optional
        The layer of a multi-layer source. By default the only layer, or the
        ADMIN EXPRESS layer of ``level`` (``commune``,
        ``arrondissement_municipal``, ``epci``, ``departement``, ``region``).
    level : str, optional
        One of ``commune``, ``arrondissement``, ``iris``, ``epci``,
        ``departement``, ``region`` (codes validated), or ``ept``,
        ``canton``, ``autre`` (codes only checked for presence and
        uniqueness). By default implied by the code column or guessed from
        the codes.
    code_column, name_column : str, optional
        Columns holding the codes and names, when the layout is not
        recognised (see the module docstring).
    crs : str, int or pyproj.CRS, optional
        The CRS of the coordinates: required for a file that has none (a CRS
        is never assumed); for a file whose CRS is wrong, it replaces it
        (recorded in ``attrs["territobs"]["crs_note"]``).
    to_crs : "auto", str, int, pyproj.CRS or None, default "auto"
        Reproject to this CRS; ``"auto"`` picks the computation CRS of the
        units' département (:func:`projected_crs_for`); ``None`` keeps the
        file's CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code`` (str, unique, validated), ``name`` (str), ``level``
        (``"arrondissement"`` on Paris/Lyon/Marseille rows of a commune
        layer), the producer's columns verbatim, ``geometry``. The CRS is
        set. ``attrs["territobs"]`` holds ``source``, ``path``, ``layer``,
        ``level``, ``code_column``, ``crs_read``, ``crs_note`` and
        ``repaired``.

    Raises
    ------
    SourceFormatError
        Unreadable file, several layers and none chosen, no code column
        (the columns found are listed).
    CRSError
        No CRS and no ``crs=``; coordinates that cannot lie in France in the
        declared CRS (e.g. degrees labelled EPSG:2154); a layer spanning
        several computation CRSs with ``to_crs="auto"``.
    CodeError
        Malformed, missing or duplicated codes.
    GeometryError
        Missing or empty geometries (their codes listed), or invalid ones
        that have no area once repaired.

    Warns
    -----
    GeometryRepairedWarning
        When invalid geometries were repaired with ``shapely.make_valid``
        (``warning.codes`` lists the units).

    Notes
    -----
    A ``.prj`` without authority code (ESRI style) is compared by projection
    method, parameters and ellipsoid with the CRSs used for French data; if
    it matches (e.g. Lambert-93), the layer is labelled with that EPSG code
    and ``attrs["territobs"]["crs_note"]`` says so.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "communes.gpkg"
    >>> gpd.GeoDataFrame(
    ...     {"INSEE_COM": ["93001", "93005"], "NOM": ["Aubervilliers", "Aulnay"]},
    ...     geometry=[box(655000, 6865000, 658000, 6868000),
    ...               box(658000, 6865000, 661000, 6868000)], crs=2154,
    ... ).to_file(p)
    >>> units = read_boundaries(p)
    >>> units[["code", "name", "level"]].values.tolist(), units.crs.to_epsg()
    ([['93001', 'Aubervilliers', 'commune'], ['93005', 'Aulnay', 'commune']], 2154)
    """
    path_str = os.fspath(path)
    if not path_str.startswith("/vsi"):
        require_file(path_str, folder_ok=True)
    chosen = _choose_layer(path_str, layer, level)
    with np.errstate(invalid="ignore"):  # NaN coordinates: refused by name below
        frame = _read_frame(path_str, chosen)
    read_crs = frame.crs
    note = ""
    if crs is not None:
        frame = frame.set_crs(crs, allow_override=True)
        if read_crs is not None and not read_crs.equals(frame.crs):
            note = (
                f"CRS du fichier ({read_crs.name}) remplacé par celui donné "
                f"({frame.crs.name})."
            )
    elif frame.crs is None:
        raise CRSError(
            f"{where(path)}la couche n'a pas de système de coordonnées (CRS) "
            "(fichier .prj absent ?). Il n'est jamais deviné : précisez-le "
            "avec crs=2154 (Lambert-93) ou celui du fichier.",
            path=path,
        )
    epsg = frame.crs.to_epsg()
    if epsg is None:
        epsg = recognise_crs(frame.crs, known_unnamed=True)
        if epsg is not None:
            frame = frame.set_crs(epsg, allow_override=True)
            note = (
                f"CRS sans code d'autorité reconnu comme EPSG:{epsg} "
                f"({frame.crs.name}) : mêmes paramètres de projection."
            )
            logger.info("%s: %s", path_str, note)
    check_location(frame, path_str, f"EPSG:{epsg}" if epsg else frame.crs.name)
    code_col, name_col, layout_level = _detect_layout(
        frame, code_column, name_column, path_str
    )
    if level is None:
        level = (
            layout_level
            or _level_hint(path_str)
            or _guess_level(frame[code_col], path_str, code_col)
        )
    if level not in LEVELS and level not in EXTRA_LEVELS:
        raise SourceFormatError(
            f"niveau « {level} » inconnu ; niveaux possibles : "
            f"{', '.join(LEVELS + EXTRA_LEVELS)}.",
            path=path,
        )
    codes = _validate_codes(frame, code_col, level, path_str)
    n_invalid = int((~frame.geometry.is_valid).sum())
    frame = _fix_geometries(frame, codes, path_str)
    if isinstance(to_crs, str) and to_crs == "auto":
        target: int | str | CRS | None = auto_crs(codes, level, frame, path_str)
    else:
        target = to_crs
    if target is not None:
        frame = frame.to_crs(target)
    check_units(frame, codes, level, path_str)
    names = frame[name_col].astype(str) if name_col is not None else codes
    levels = row_levels(codes, level)
    producer = [
        c
        for c in frame.columns
        if c != frame.geometry.name and c.lower() not in ("code", "name", "level")
    ]
    out = gpd.GeoDataFrame(
        {
            "code": codes.to_numpy(),
            "name": names.to_numpy(),
            "level": levels,
            **{c: frame[c].to_numpy() for c in producer},
        },
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    )
    out.attrs["territobs"] = {
        "source": Path(path_str).name,
        "path": path_str,
        "layer": chosen,
        "level": level,
        "code_column": code_col,
        "name_column": name_col,
        "crs_read": read_crs.name if read_crs is not None else None,
        "crs_note": note,
        "repaired": n_invalid,
    }
    return out
