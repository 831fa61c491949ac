"""Read INSEE gridded data (Filosofi 200 m / 1 km squares) into square polygons.

Two layouts:

* Filosofi 2015 onwards: each square has an identifier that writes its CRS,
  size and south-west corner, ``CRS3035RES200mN2029800E4252400`` (columns
  ``Idcar_200m``, ``Idcar_1km``, ``Idcar_nat``, or ``IdINSPIRE``), followed by
  ``Ind``, ``Men``, ``Men_pauv``, ``Ind_snv``... The squares are rebuilt from
  the identifiers.
* the older layout of INSEE's ``btb`` package: cell centres in columns ``x``
  and ``y`` in a CRS and size given by the caller (e.g. La Réunion, EPSG:2975,
  200 m). Identifiers are built in the INSEE style.

Squares are built with :func:`shapely.box` on whole arrays (no Python loop
per row), so national files of millions of squares stay fast.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as CRSErrorPyproj

from territobs.errors import CodeError, CRSError, SourceFormatError, format_codes, where
from territobs.formatting import count_of
from territobs.io._crs import check_location
from territobs.io._plausible import check_values
from territobs.io.decode import find_column
from territobs.io.text import read_text_table
from territobs.io.values import DEFAULT_SECRET_MARKERS, convert_cells

__all__ = ["ID_COLUMNS", "parse_square_ids", "read_filosofi_grid"]

#: Identifier columns, by priority: the square's own id comes first.
ID_COLUMNS: tuple[str, ...] = ("Idcar_200m", "IdINSPIRE", "Idcar_1km", "Idcar_nat")
#: Columns kept as text (identifiers, commune lists).
_TEXT_COLUMNS = {
    "IDCAR_200M",
    "IDCAR_1KM",
    "IDCAR_NAT",
    "IDINSPIRE",
    "LCOG_GEO",
    "DEPCOM",
}
_ID_PATTERN = r"^CRS(?P<epsg>\d+)RES(?P<res>\d+)(?P<unit>m|km)N(?P<n>\d+)E(?P<e>\d+)$"


def parse_square_ids(
    ids: pd.Series, *, path: str | None = None, column: str | None = None
) -> tuple[np.ndarray, int]:
    """Rebuild square polygons from INSEE grid identifiers.

    Parameters
    ----------
    ids : pandas.Series of str
        Identifiers such as ``CRS3035RES200mN2029800E4252400``.
    path, column : str, optional
        Where they come from, for messages.

    Returns
    -------
    geometries : numpy.ndarray of shapely.Polygon
        The squares, from the south-west corner ``(E, N)`` to
        ``(E + size, N + size)``.
    epsg : int
        The CRS written in the identifiers.

    Raises
    ------
    CodeError
        If an identifier does not have that shape (``error.codes`` lists
        them, ``error.rows`` their lines).
    CRSError
        If identifiers name several CRSs.

    Examples
    --------
    >>> geoms, epsg = parse_square_ids(pd.Series(["CRS3035RES200mN2029800E4252400"]))
    >>> epsg, geoms[0].bounds
    (3035, (4252400.0, 2029800.0, 4252600.0, 2030000.0))
    """
    parts = ids.astype(str).str.strip().str.extract(_ID_PATTERN)
    bad = parts["epsg"].isna()
    if bad.any():
        rows = [int(i) + 2 for i in ids.index[bad]]
        values = ids[bad].tolist()
        raise CodeError(
            f"{where(path, column, rows[0])}identifiant de carreau « {values[0]} » "
            "invalide (forme attendue : CRS3035RES200mN2029800E4252400). "
            f"{count_of(len(values), 'identifiant invalide')} : "
            f"{format_codes(values)}.",
            path=path,
            column=column,
            row=rows[0],
            rows=rows,
            codes=values,
        )
    epsgs = parts["epsg"].unique()
    if len(epsgs) > 1:
        raise CRSError(
            f"{where(path, column)}les identifiants mêlent plusieurs CRS : "
            f"{format_codes([f'EPSG:{e}' for e in epsgs])}.",
            path=path,
            column=column,
        )
    size = parts["res"].astype("int64").to_numpy() * np.where(
        parts["unit"].to_numpy() == "km", 1000, 1
    )
    east = parts["e"].astype("float64").to_numpy()
    north = parts["n"].astype("float64").to_numpy()
    return shapely.box(east, north, east + size, north + size), int(epsgs[0])


def _square_ids(
    x: np.ndarray, y: np.ndarray, size: float, epsg: int | None
) -> np.ndarray:
    west = np.round(x - size / 2).astype("int64").astype(str)
    south = np.round(y - size / 2).astype("int64").astype(str)
    label = f"{int(size)}m" if size < 1000 or size % 1000 else f"{int(size // 1000)}km"
    prefix = f"CRS{epsg if epsg is not None else ''}RES{label}N"
    return np.char.add(np.char.add(np.char.add(prefix, south), "E"), west)


def _check_crs(
    crs: int | str, path: str, column: str | None, example: object
) -> int | None:
    """Return the EPSG code of ``crs``; a French CRSError if PROJ does not know it."""
    try:
        return CRS.from_user_input(crs).to_epsg()
    except CRSErrorPyproj as exc:
        raise CRSError(
            f"{where(path, column)}CRS « {crs} » inconnu (lu dans « {example} ») : "
            "les carreaux INSEE sont en EPSG:3035 (métropole) ou dans le CRS "
            "local d'outre-mer (2975, 5490, 2972, 4471). Corrigez l'identifiant "
            "ou précisez crs=.",
            path=path,
            column=column,
            codes=[str(crs)],
        ) from exc


def _check_lattice(codes: pd.Series, geoms: np.ndarray, path: str, column: str) -> None:
    """Refuse a grid mixing resolutions, or squares off their lattice."""
    bounds = shapely.bounds(geoms)
    size = bounds[:, 2] - bounds[:, 0]
    sizes, counts = np.unique(size, return_counts=True)
    lines = codes.index.to_numpy() + 2
    if len(sizes) > 1:
        main = sizes[np.argmax(counts)]
        odd = size != main
        raise CodeError(
            f"{where(path, column, int(lines[odd][0]))}carreaux de plusieurs tailles "
            f"({', '.join(f'{s:g} m' for s in sizes)}) : « {codes[odd].iloc[0]} » "
            f"n'a pas la taille des autres ({main:g} m). Des carreaux emboîtés "
            "compteraient deux fois les mêmes ménages : lisez chaque résolution "
            "dans un fichier à part.",
            path=path,
            column=column,
            row=int(lines[odd][0]),
            codes=codes[odd].tolist(),
        )
    off = (np.mod(bounds[:, 0], size) != 0) | (np.mod(bounds[:, 1], size) != 0)
    if off.any():
        raise CodeError(
            f"{where(path, column, int(lines[off][0]))}carreau « {codes[off].iloc[0]} » "
            f"hors de la grille de {size[0]:g} m (coordonnées du coin non multiples "
            f"de {size[0]:g}) ; {count_of(int(off.sum()), 'carreau')} dans ce cas : "
            f"{format_codes(codes[off].tolist())}. L'identifiant est corrompu.",
            path=path,
            column=column,
            row=int(lines[off][0]),
            codes=codes[off].tolist(),
        )


def _check_counts(table: pd.DataFrame, numeric: list[str], path: str) -> None:
    """Refuse negative counts, and households out of order (poor ≤ all ≤ people)."""
    flags = {c for c in numeric if c.lower().startswith("i_est")}
    check_values(table, path, 2, counts=[c for c in numeric if c not in flags])
    columns = {c.lower(): c for c in numeric}
    for small, large, what in (
        ("men_pauv", "men", "ménages pauvres plus nombreux que les ménages"),
        ("men", "ind", "ménages plus nombreux que les individus"),
    ):
        if small not in columns or large not in columns:
            continue
        a = table[columns[small]].to_numpy(dtype="float64")
        b = table[columns[large]].to_numpy(dtype="float64")
        bad = a > b  # NaN (masked) compares False
        if bad.any():
            line = int(table.index[bad][0]) + 2
            raise SourceFormatError(
                f"{where(path, columns[small], line)}{what} "
                f"({columns[small]} = {a[bad][0]:g} > {columns[large]} = "
                f"{b[bad][0]:g}) ; {count_of(int(bad.sum()), 'carreau')} dans ce "
                "cas. Les colonnes sont peut-être décalées ou le fichier corrompu.",
                path=path,
                column=columns[small],
                row=line,
                rows=[int(i) + 2 for i in table.index[bad]],
            )


def read_filosofi_grid(
    path: str | os.PathLike[str],
    *,
    id_column: str | None = None,
    x: str | None = None,
    y: str | None = None,
    size: float | None = None,
    crs: int | str | None = None,
    secret_markers: Collection[str] = DEFAULT_SECRET_MARKERS,
) -> gpd.GeoDataFrame:
    r"""Read an INSEE gridded CSV into square polygons.

    Parameters
    ----------
    path : path-like
        CSV file (``;`` or ``,``, optionally gzipped).
    id_column : str, optional
        The identifier column (default: the first of ``Idcar_200m``,
        ``IdINSPIRE``, ``Idcar_1km``, ``Idcar_nat``, case-insensitive).
    x, y : str, optional
        Columns of the cell centres, for the older layout without
        identifiers (with ``size`` and ``crs``).
    size : float, optional
        Side of the cells in CRS units (e.g. 200), for the centre layout.
    crs : int or str, optional
        CRS of the centres (e.g. 2975 for La Réunion), for the centre layout;
        never assumed.
    secret_markers : collection of str, optional
        Cell contents meaning "masked".

    Returns
    -------
    geopandas.GeoDataFrame
        ``code`` (the square id), ``name`` (the id too), ``level``
        (``"carreau"``), the other identifier and text columns, the
        variables as float (``Ind``, ``Men``, ``Men_pauv``, ``Ind_snv``...)
        with ``__secret`` flags where cells were masked, and the square
        ``geometry`` in the CRS of the ids (or ``crs``).

    Raises
    ------
    SourceFormatError
        No identifier column and no ``x``/``y``, missing ``size``, or a
        non-numeric variable.
    CRSError
        Centre layout without ``crs``; ids naming several CRSs.
    CodeError
        Malformed or duplicated square ids.

    Notes
    -----
    An INSEE id gives the south-west corner ``(E, N)`` and the side ``s``:
    the square is ``[E, E + s] × [N, N + s]``. A centre ``(x, y)`` gives
    ``[x - s/2, x + s/2] × [y - s/2, y + s/2]`` and the id
    ``CRS{epsg}RES{s}mN{y - s/2}E{x - s/2}``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "carreaux.csv"
    >>> _ = p.write_text("Idcar_200m;Ind;Men\nCRS3035RES200mN2029800E4252400;12,5;5\n")
    >>> grid = read_filosofi_grid(p)
    >>> grid[["code", "level", "Ind"]].values.tolist(), grid.crs.to_epsg()
    ([['CRS3035RES200mN2029800E4252400', 'carreau', 12.5]], 3035)
    """
    path_str = os.fspath(path)
    raw, record = read_text_table(path)
    id_col = find_column(raw.columns, [id_column] if id_column else ID_COLUMNS)
    text = {c for c in raw.columns if c.upper() in _TEXT_COLUMNS}
    if id_column is not None and id_col is None:
        raise SourceFormatError(
            f"{where(path)}colonne « {id_column} » absente. Colonnes trouvées : "
            f"{format_codes(list(raw.columns), shown=15)}.",
            path=path,
            columns=list(raw.columns),
        )
    if id_col is not None:
        text.add(id_col)
    elif x is None and find_column(raw.columns, ["x"]) is None:
        raise SourceFormatError(
            f"{where(path)}ni identifiant de carreau ({', '.join(ID_COLUMNS)}) ni "
            "colonnes de centres x/y. Colonnes trouvées : "
            f"{format_codes(list(raw.columns), shown=15)}.",
            path=path,
            columns=list(raw.columns),
        )
    table = convert_cells(raw, record, text_columns=text, secret_markers=secret_markers)
    if id_col is not None:
        codes = table[id_col].astype(str).str.strip()
        geoms, epsg = parse_square_ids(codes, path=path_str, column=id_col)
        _check_crs(epsg, path_str, id_col, codes.iloc[0])
        _check_lattice(codes, geoms, path_str, id_col)
        target_crs: int | str = epsg
    else:
        x_col = find_column(table.columns, [x or "x"])
        y_col = find_column(table.columns, [y or "y"])
        if x_col is None or y_col is None:
            raise SourceFormatError(
                f"{where(path)}colonnes de centres « {x or 'x'} » / « {y or 'y'} » "
                "introuvables.",
                path=path,
                columns=list(raw.columns),
            )
        if crs is None:
            raise CRSError(
                f"{where(path)}carreaux donnés par leurs centres sans CRS : il n'est "
                "jamais deviné ; précisez crs=... (par ex. 2975 pour La Réunion).",
                path=path,
            )
        if size is None or size <= 0:
            raise SourceFormatError(
                f"{where(path)}précisez la taille des carreaux (size=200 par ex.).",
                path=path,
            )
        cx = table[x_col].to_numpy(dtype="float64")
        cy = table[y_col].to_numpy(dtype="float64")
        blank = ~(np.isfinite(cx) & np.isfinite(cy))
        if blank.any():
            lines = [int(i) + 2 for i in table.index[blank]]
            raise SourceFormatError(
                f"{where(path)}{count_of(len(lines), 'carreau')} sans centre "
                f"(« {x_col} » ou « {y_col} » vide ou non numérique), "
                f"{'ligne' if len(lines) == 1 else 'lignes'} "
                f"{', '.join(map(str, lines[:10]))}{' …' if len(lines) > 10 else ''}.",
                path=path,
                row=lines[0],
                rows=lines,
            )
        half = size / 2
        geoms = shapely.box(cx - half, cy - half, cx + half, cy + half)
        epsg_value = _check_crs(crs, path_str, None, crs)
        codes = pd.Series(_square_ids(cx, cy, size, epsg_value), index=table.index)
        target_crs = crs
    duplicated = codes[codes.duplicated(keep=False)]
    if not duplicated.empty:
        unique = list(dict.fromkeys(duplicated.tolist()))
        raise CodeError(
            f"{where(path)}{count_of(len(unique), 'carreau', 'carreaux')} en double : "
            f"{format_codes(unique)}.",
            path=path,
            codes=unique,
        )
    coordinates = set() if id_col is not None else {x_col, y_col}
    _check_counts(
        table, [c for c in record.numeric_columns if c not in coordinates], path_str
    )
    if id_col is not None:
        table = table.drop(columns=[id_col])
    table.insert(0, "code", codes.to_numpy())
    table.insert(1, "name", codes.to_numpy())
    table.insert(2, "level", "carreau")
    grid = gpd.GeoDataFrame(
        table.reset_index(drop=True), geometry=geoms, crs=target_crs
    )
    if id_col is None:  # centres in a declared CRS: check they can be in France
        check_location(grid, path_str, f"EPSG:{epsg_value}" if epsg_value else str(crs))
    grid.attrs["territobs"] = {
        "source": Path(path_str).name,
        "vintage": None,
        "id_column": id_col,
        **record.to_dict(),
    }
    return grid
