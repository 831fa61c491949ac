"""Read zone definitions from files: membership tables and polygon layers.

* CSV / TXT / XLSX tables, either one row per member (``zone;member``) or one
  row per zone with its members in one cell separated by ``;`` or ``,``
  (``zone;members`` → ``"93001;93066"``). Every cell is read as text, so codes
  keep their leading zeros.
* Polygon files (GeoJSON, GeoPackage, shapefile, GeoParquet) → one zone per
  feature.

The right :mod:`territobs.zoning.zones` builder is called, and its errors are
re-raised with the file name.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from territobs.codes import Level
from territobs.errors import (
    CRSError,
    SourceFormatError,
    TerritobsError,
    format_codes,
    where,
)
from territobs.formatting import count_of
from territobs.io.decode import decode_bytes, read_bytes
from territobs.io.text import check_unique_names, read_spreadsheet, read_text_table
from territobs.zoning.zones import zones_from_members, zones_from_polygons

__all__ = ["read_zones"]

TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xls"}
VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".parquet", ".geoparquet"}

#: Column names tried, in order, when ``zone=`` / ``member=`` are not given.
ZONE_CANDIDATES = ("zone", "id_zone", "code_zone", "zone_id", "id", "code")
MEMBER_CANDIDATES = (
    "member",
    "members",
    "membre",
    "membres",
    "code_commune",
    "codgeo",
    "code_iris",
    "insee_com",
    "commune",
    "communes",
    "iris",
)
LIST_SEPARATORS = (";", ",", "|")


def _pick(
    columns: list[str], given: str | None, candidates: tuple[str, ...]
) -> str | None:
    if given is not None:
        return given
    lower = {str(c).strip().lower(): c for c in columns}
    for name in candidates:
        if name in lower:
            return lower[name]
    return None


def read_zone_table(path: Path) -> pd.DataFrame:
    """Read a membership table as text; the index is the file line (header = 1)."""
    if path.suffix.lower() in {".xlsx", ".xls"}:
        table = read_spreadsheet(path, 0, dtype=str, keep_default_na=False)
        check_unique_names(path, table.columns, line=1)
        if table.empty:
            raise SourceFormatError(
                f"{where(path)}le classeur ne contient qu'une ligne d'en-tête "
                f"({', '.join(map(str, table.columns)) or 'aucune colonne'}) et "
                "aucune zone.",
                path=path,
            )
        table.index = pd.RangeIndex(2, len(table) + 2)
        return table
    text, _ = decode_bytes(read_bytes(path), path=path)
    first = text.strip().splitlines()[0] if text.strip() else ""
    try:
        sep = csv.Sniffer().sniff(first, delimiters=";,\t|").delimiter
    except csv.Error:
        sep = ";"
    table, _ = read_text_table(path, separator=sep)
    table.index = table.index + 2
    return table


def _explode_lists(table: pd.DataFrame, member: str) -> pd.DataFrame:
    """One row per member when a cell lists several members."""
    cells = table[member].astype(str)
    pattern = "[" + re.escape("".join(LIST_SEPARATORS)) + "]"
    if cells.str.contains(pattern).any():
        # any list separator, even several kinds in one file ("a;b", "c|d")
        table = table.assign(**{member: cells.str.split(pattern, regex=True)})
        table = table.explode(member)
        table[member] = table[member].str.strip()
        # "a;b;" leaves an empty trailing item: not a member.
        return table[table[member] != ""]
    return table


def read_zones(
    path: str | os.PathLike[str],
    *,
    zone: str | None = None,
    member: str | None = None,
    name: str | None = None,
    layer: str | None = None,
    units: gpd.GeoDataFrame | None = None,
    level: Level | None = None,
    member_level: str | None = None,
    parent: str | None = None,
) -> gpd.GeoDataFrame:
    r"""Read a zone file into a zones frame.

    Parameters
    ----------
    path : str or os.PathLike
        A CSV/TXT/XLSX membership table or a polygon file (GeoJSON, GPKG,
        shapefile, GeoParquet).
    zone : str, optional
        Column of zone ids (default: the first of ``zone``, ``id_zone``,
        ``code_zone``, ``zone_id``, ``id``, ``code``; else the first column).
    member : str, optional
        Column of member codes in a table (default: ``member``, ``membres``,
        ``code_commune``, ``CODGEO``, ``code_iris``...; else the second column).
        A cell may list several codes separated by ``;``, ``,`` or ``|``.
    name : str, optional
        Column of zone labels.
    layer : str, optional
        Layer of a multi-layer file (GeoPackage).
    units : geopandas.GeoDataFrame, optional
        Units to check members against and to build membership geometries.
    level : str, optional
        Validate member codes at this level (``"commune"``, ``"iris"``...).
    member_level, parent : str, optional
        Members given at a coarser level than ``units`` (communes over IRIS),
        and the units' column of parent codes: see
        :func:`~territobs.zoning.zones.zones_from_members`.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``zone, name, members, geometry``.

    Raises
    ------
    SourceFormatError
        Unknown extension, missing columns (the message lists those present).
    CRSError
        A polygon file without CRS.
    ZoneError, CodeError, GeometryError
        From the zone builders, with the file name prefixed and ``error.path``
        set; ``error.row`` is the line in the file (header = 1).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "circos.csv"
    >>> _ = p.write_text("zone;membres\n" "nord;93001,93066\n" "sud;93048\n")
    >>> read_zones(p)["members"].tolist()
    [('93001', '93066'), ('93048',)]
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"fichier de zones introuvable : « {path} »")
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return _read_membership(
            path, zone, member, name, units, level, member_level, parent
        )
    if suffix in VECTOR_SUFFIXES:
        return _read_polygons(path, zone, name, layer)
    raise SourceFormatError(
        f"{where(path)}extension « {path.suffix} » non reconnue ; formats lus : "
        f"{', '.join(sorted(TABLE_SUFFIXES | VECTOR_SUFFIXES))}.",
        path=path,
    )


def _missing_column(path: Path, column: str, columns: list[Any]) -> SourceFormatError:
    return SourceFormatError(
        f"{where(path, column)}colonne absente ; colonnes présentes : "
        f"{', '.join(map(str, columns))}.",
        path=path,
        column=column,
    )


def _reraise(error: TerritobsError, path: Path) -> TerritobsError:
    """Rebuild ``error`` with the file name in front and ``path`` set."""
    details = dict(error.details)
    return type(error)(
        where(path) + error.message,
        path=path,
        column=error.column,
        row=error.row,
        codes=error.codes,
        **details,
    )


def _read_membership(
    path: Path,
    zone: str | None,
    member: str | None,
    name: str | None,
    units: gpd.GeoDataFrame | None,
    level: Level | None,
    member_level: str | None = None,
    parent: str | None = None,
) -> gpd.GeoDataFrame:
    table = read_zone_table(path)
    columns = list(table.columns)
    if len(columns) < 2:
        raise SourceFormatError(
            f"{where(path)}une table de zones a au moins deux colonnes (zone et "
            f"membre) ; trouvé : {', '.join(map(str, columns)) or '(aucune)'}.",
            path=path,
        )
    zone_col = _pick(columns, zone, ZONE_CANDIDATES) or columns[0]
    member_col = _pick(columns, member, MEMBER_CANDIDATES) or next(
        c for c in columns if c != zone_col
    )
    for col in (zone_col, member_col, name):
        if col is not None and col not in columns:
            raise _missing_column(path, col, columns)
    # The index is the file line number (header = 1), kept through the explode.
    table = _explode_lists(table, member_col)
    empty = table[member_col].isna() | (table[member_col].str.strip() == "")
    empty |= table[zone_col].isna() | (table[zone_col].str.strip() == "")
    if empty.any():
        rows = sorted(set(table.index[empty].tolist()))
        raise SourceFormatError(
            f"{where(path, member_col, rows[0])}zone ou membre vide "
            f"({count_of(len(rows), 'ligne')} : {', '.join(map(str, rows[:5]))}).",
            path=path,
            column=member_col,
            row=rows[0],
            rows=rows,
        )
    try:
        return zones_from_members(
            table.reset_index(drop=True),
            zone=zone_col,
            member=member_col,
            name=name,
            units=units,
            level=level,
            member_level=member_level,
            parent=parent,
        )
    except TerritobsError as error:
        if error.row is not None:
            # The builder counts rows of the exploded table; map back to the file.
            line = int(table.index[error.row - 2])
            error.message = error.message.replace(
                f"ligne {error.row}", f"ligne {line}", 1
            )
            error.row = line
        raise _reraise(error, path) from error


def _read_vector(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    """Read a polygon file; library errors become French SourceFormatError."""
    try:
        if path.suffix.lower() in {".parquet", ".geoparquet"}:
            return gpd.read_parquet(path)
        if layer is None:
            layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
            if len(layers) > 1:
                raise SourceFormatError(
                    f"{where(path)}le fichier contient {len(layers)} couches "
                    f"({format_codes(layers, shown=10)}) : précisez laquelle lire "
                    "(layer=...).",
                    path=path,
                    layers=layers,
                )
        return gpd.read_file(path, layer=layer)
    except TerritobsError:
        raise
    except (FileNotFoundError, PermissionError):
        raise
    except Exception as exc:  # pyogrio, pyarrow and GDAL errors
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "geo metadata" in detail:
            detail = (
                "fichier Parquet sans métadonnées géographiques (pas du GeoParquet)"
            )
        raise SourceFormatError(
            f"{where(path)}fichier géographique illisible : fichier vide, endommagé "
            f"ou d'un autre format que son extension ({detail}).",
            path=path,
            layer=layer,
        ) from exc


def _read_polygons(
    path: Path, zone: str | None, name: str | None, layer: str | None
) -> gpd.GeoDataFrame:
    frame = _read_vector(path, layer)
    if frame.crs is None:
        raise CRSError(
            f"{where(path)}aucun système de coordonnées (CRS) : ajoutez le fichier "
            ".prj ou définissez-le avec set_crs(...).",
            path=path,
            found=None,
        )
    columns = [c for c in frame.columns if c != frame.geometry.name]
    zone_col = _pick(columns, zone, ZONE_CANDIDATES) or (
        columns[0] if columns else None
    )
    if zone_col is None:
        raise SourceFormatError(
            f"{where(path)}aucune colonne d'identifiant de zone.", path=path
        )
    for col in (zone_col, name):
        if col is not None and col not in frame.columns:
            raise _missing_column(path, col, columns)
    try:
        return zones_from_polygons(frame, zone=zone_col, name=name)
    except TerritobsError as error:
        raise _reraise(error, path) from error
