"""Access to sites: how far the population lives from the nearest site.

The population is located at the finest grain the user has: IRIS centroids,
200 m squares (:func:`~territobs.io.filosofi_grid.read_filosofi_grid`), or,
failing those, the communes themselves (their representative point; the
coarsest choice, and the result says so in ``grain``). Each point goes to its
nearest site:

* **straight line** by default (:meth:`shapely.STRtree.query_nearest`, in the
  projected CRS, metres);
* **travel time** when the user gives a matrix (origins × sites, minutes):
  the nearest site is then the quickest. No road routing is done here; a
  matrix computed elsewhere (an OSM extract routed with pandana, a GIS
  service area) is read as is.

Figures per unit and per zone: the population-weighted mean distance, and the
share of the population beyond a threshold (e.g. 10 km, or 20 minutes).
:func:`add_sites` picks where to open ``k`` more sites to minimise the
population-weighted distance (spopt's p-median, solved by the CBC solver
shipped with PuLP).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from territobs.catalog import Catalog, Indicator
from territobs.errors import CRSError, JoinError, MethodError, format_codes
from territobs.formatting import count_of
from territobs.scenarios._values import unit_values

__all__ = ["Access", "add_sites", "measure_access", "nearest_site"]


def _projected(frame: gpd.GeoDataFrame, what: str) -> None:
    if frame.crs is None or not frame.crs.is_projected:
        raise CRSError(
            f"{what} : coordonnées non projetées (CRS {frame.crs}) ; les distances "
            "se mesurent en mètres, reprojetez d'abord (par ex. .to_crs(2154)).",
        )


def _points(frame: gpd.GeoDataFrame) -> np.ndarray:
    geoms = np.asarray(frame.geometry.array, dtype=object)
    is_point = shapely.get_type_id(geoms) == shapely.GeometryType.POINT
    return np.where(is_point, geoms, shapely.point_on_surface(geoms))


def _site_ids(sites: gpd.GeoDataFrame, site_id: str | None) -> np.ndarray:
    if site_id is None:
        return np.asarray([str(i) for i in sites.index], dtype=object)
    if site_id not in sites.columns:
        raise JoinError(
            f"colonne « {site_id} » absente des sites ; colonnes disponibles : "
            f"{', '.join(map(str, sites.columns))}.",
            column=site_id,
        )
    return sites[site_id].astype(str).to_numpy(object)


def nearest_site(
    points: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    site_id: str | None = None,
) -> pd.DataFrame:
    """Nearest site of each point, straight line.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Where people live (points; polygons are taken at a point on their
        surface).
    sites : geopandas.GeoDataFrame
        The sites (points), same projected CRS.
    site_id : str, optional
        Column of site ids (default: the index).

    Returns
    -------
    pandas.DataFrame
        Aligned on ``points``: ``site`` (id of the nearest site) and
        ``distance`` (metres).

    Raises
    ------
    CRSError
        Longitude/latitude, or the two layers in different CRSs.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> people = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(9, 0)], crs=2154)
    >>> sites = gpd.GeoDataFrame({"nom": ["A", "B"]},
    ...                          geometry=[Point(3, 4), Point(10, 0)], crs=2154)
    >>> nearest_site(people, sites, site_id="nom").to_dict("list")
    {'site': ['A', 'B'], 'distance': [5.0, 1.0]}
    """
    _projected(points, "population")
    _projected(sites, "sites")
    if not points.crs.equals(sites.crs):
        raise CRSError(
            f"population et sites dans deux projections différentes ({points.crs} / "
            f"{sites.crs}) ; reprojetez les sites avec sites.to_crs(population.crs).",
        )
    if len(sites) == 0:
        raise MethodError("aucun site : impossible de mesurer un accès.")
    ids = _site_ids(sites, site_id)
    tree = shapely.STRtree(_points(sites))
    (src, hit), dist = tree.query_nearest(
        _points(points), return_distance=True, all_matches=False
    )
    site = np.empty(len(points), dtype=object)
    distance = np.full(len(points), np.nan)
    site[src] = ids[hit]
    distance[src] = dist
    return pd.DataFrame({"site": site, "distance": distance}, index=points.index)


def _from_matrix(
    points: pd.DataFrame, matrix: pd.DataFrame, origin: str
) -> pd.DataFrame:
    """Quickest site of each point from an origins × sites travel-time matrix."""
    if origin not in points.columns:
        raise JoinError(
            f"colonne « {origin} » absente de la population : elle relie chaque "
            "point à une ligne de la matrice des temps de trajet.",
            column=origin,
        )
    keys = points[origin].astype(str)
    table = matrix.copy()
    table.index = table.index.astype(str)
    table.columns = table.columns.astype(str)
    from territobs.scenarios.travel import check_pairs

    check_pairs(table, keys.tolist())
    values = table.reindex(keys.to_numpy()).to_numpy(dtype=float)
    empty = np.isnan(values).all(axis=1)
    best = np.nanargmin(np.where(np.isnan(values), np.inf, values), axis=1)
    time = np.where(empty, np.nan, values[np.arange(len(values)), best])
    site = np.where(empty, None, table.columns.to_numpy(object)[best])
    return pd.DataFrame({"site": site, "distance": time}, index=points.index)


@dataclass(frozen=True)
class Access:
    """Access figures (see :func:`measure_access`).

    Attributes
    ----------
    points : geopandas.GeoDataFrame
        Each population point: ``unit``, ``zone``, ``weight``, ``site``,
        ``distance``, ``beyond`` (bool).
    units, zones : pandas.DataFrame
        Per unit and per zone: ``weight`` (population), ``mean_distance``
        (population-weighted), ``max_distance``, ``weight_beyond``,
        ``share_beyond``, ``n_points``.
    overall : pandas.Series
        The same figures over the whole territory.
    measure : str
        ``"distance"`` (metres, straight line) or ``"time"`` (matrix units).
    threshold : float
    grain : str
        Where the population was located (``"iris"``, ``"carreaux"``,
        ``"communes"``...).
    """

    points: gpd.GeoDataFrame = field(repr=False)
    units: pd.DataFrame = field(repr=False)
    zones: pd.DataFrame = field(repr=False)
    overall: pd.Series = field(repr=False)
    measure: str = "distance"
    threshold: float = np.nan
    grain: str = ""

    def _repr_html_(self) -> str:
        from html import escape

        unit = "km" if self.measure == "distance" else "min"
        scale = 1000.0 if self.measure == "distance" else 1.0
        table = self.zones.assign(
            mean_distance=self.zones["mean_distance"] / scale,
            max_distance=self.zones["max_distance"] / scale,
            share_beyond=100 * self.zones["share_beyond"],
        ).rename(
            columns={
                "weight": "Population",
                "mean_distance": f"Distance moyenne ({unit})",
                "max_distance": f"Distance maximale ({unit})",
                "weight_beyond": "Population au-delà du seuil",
                "share_beyond": "Part au-delà du seuil (%)",
                "n_points": "Points de population",
            }
        )
        what = "à vol d'oiseau" if self.measure == "distance" else "en temps de trajet"
        head = escape(
            f"Accès au site le plus proche, {what} ; seuil "
            f"{self.threshold / scale:g} {unit} ; population localisée par {self.grain}"
        )
        return f"<h4>{head}</h4>" + table.to_html(float_format=lambda v: f"{v:.1f}")


def _summarise(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    data = frame.assign(
        _wd=frame["weight"] * frame["distance"],
        _wb=frame["weight"] * frame["beyond"],
    )
    groups = data.groupby(by, sort=False)
    out = pd.DataFrame(
        {
            "weight": groups["weight"].sum(),
            "_wd": groups["_wd"].sum(),
            "max_distance": groups["distance"].max(),
            "weight_beyond": groups["_wb"].sum(),
            "n_points": groups.size(),
        }
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        out["mean_distance"] = out["_wd"] / out["weight"]
        out["share_beyond"] = out["weight_beyond"] / out["weight"]
    out = out[
        ["weight", "mean_distance", "max_distance", "weight_beyond", "share_beyond",
         "n_points"]
    ]  # fmt: skip
    return out


def measure_access(
    population: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    weight: str | Indicator = "population",
    unit: str | None = None,
    units: gpd.GeoDataFrame | None = None,
    zoning: pd.Series | Mapping[str, str] | None = None,
    threshold: float = 10_000.0,
    site_id: str | None = None,
    travel_times: pd.DataFrame | str | os.PathLike[str] | None = None,
    origin: str | None = None,
    grain: str | None = None,
    catalog: Catalog | None = None,
) -> Access:
    """Population-weighted distance to the nearest site, per unit and zone.

    Parameters
    ----------
    population : geopandas.GeoDataFrame
        Where people live, at the finest grain available: IRIS (centroids),
        200 m squares, or communes. Polygons are taken at a point on their
        surface.
    sites : geopandas.GeoDataFrame
        The sites (Maisons des solidarités...), points in the same CRS.
    weight : str or Indicator, default "population"
        Count located at each point: a catalogue count or a column.
    unit : str, optional
        Column of ``population`` giving each point's unit (commune code).
        Default: ``"code"`` when ``units`` is not given.
    units : geopandas.GeoDataFrame, optional
        Units with ``code``: points without ``unit`` are placed in the unit
        that contains them.
    zoning : pandas.Series or mapping, optional
        Unit code → zone (a scenario's
        :attr:`~territobs.scenarios.compare.Comparison.assignments` column).
    threshold : float, default 10000
        Distance (metres) or time (matrix units) beyond which a point counts
        as far.
    site_id : str, optional
        Column of site ids (default: the index).
    travel_times : pandas.DataFrame or path-like, optional
        Origins × sites matrix of travel times (minutes), or a CSV file of
        it, long or wide (:func:`~territobs.scenarios.travel.read_travel_times`);
        replaces straight lines. Every origin of the population needs a time
        to every site: a missing pair is an error naming the codes.
    origin : str, optional
        Column of ``population`` matching the matrix's index (default
        ``unit``).
    grain : str, optional
        French word for where the population was located, shown in outputs
        (default: guessed from ``population["level"]``).
    catalog : Catalog, optional
        Where ``weight`` is looked up.

    Returns
    -------
    Access

    Raises
    ------
    CRSError
        Unprojected layers or different CRSs.
    JoinError
        Points outside every unit, or origins missing from the matrix.
    MethodError
        Points without population (NaN), or no site.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> people = gpd.GeoDataFrame(
    ...     {"code": ["01001", "01002"], "population_municipale": [300.0, 100.0]},
    ...     geometry=[Point(0, 0), Point(20_000, 0)], crs=2154)
    >>> sites = gpd.GeoDataFrame(geometry=[Point(0, 1000)], crs=2154)
    >>> a = measure_access(people, sites, threshold=10_000)
    >>> # (300 × 1,000 m + 100 × 20,025 m) / 400 inhabitants
    >>> round(float(a.overall["mean_distance"])), float(a.overall["share_beyond"])
    (5756, 0.25)
    """
    values = unit_values(
        population.assign(code=np.arange(len(population)).astype(str)),
        weight,
        catalog=catalog,
    ).to_numpy()
    frame = gpd.GeoDataFrame(
        {"weight": values}, geometry=_points(population), crs=population.crs,
        index=population.index,
    )  # fmt: skip
    if units is not None and unit is None:
        _projected(units, "unités")
        joined = gpd.sjoin(
            frame[["geometry"]], units[["code", "geometry"]].to_crs(frame.crs),
            how="left", predicate="within",
        )  # fmt: skip
        joined = joined[~joined.index.duplicated()]
        outside = joined["code"].isna().to_numpy()
        if outside.any():
            raise JoinError(
                f"{count_of(int(outside.sum()), 'point de population')} hors de "
                "toutes les unités.",
                codes=list(population.index[outside]),
            )
        frame["unit"] = joined["code"].to_numpy(object)
    else:
        unit = unit or "code"
        if unit not in population.columns:
            raise JoinError(
                f"colonne « {unit} » absente de la population ; donnez unit= ou "
                "units= pour rattacher chaque point à une unité.",
                column=unit,
            )
        frame["unit"] = population[unit].astype(str).to_numpy(object)
    if zoning is not None:
        zone = pd.Series(zoning) if isinstance(zoning, Mapping) else zoning
        frame["zone"] = frame["unit"].map(zone)
        lost = frame["zone"].isna().to_numpy()
        if lost.any():
            codes = sorted(set(frame.loc[lost, "unit"]))
            raise JoinError(
                f"{count_of(len(codes), 'unité')} de la population sans zone "
                f"({format_codes(codes)}).",
                codes=codes,
            )
    else:
        frame["zone"] = "ensemble"
    if travel_times is not None:
        if not isinstance(travel_times, pd.DataFrame):
            from territobs.scenarios.travel import read_travel_times

            travel_times = read_travel_times(travel_times)
        key = origin or unit or "code"
        nearest = _from_matrix(population, travel_times, key)
        measure = "time"
    else:
        nearest = nearest_site(frame, sites, site_id=site_id)
        measure = "distance"
    frame["site"] = nearest["site"].to_numpy(object)
    frame["distance"] = nearest["distance"].to_numpy(float)
    frame["beyond"] = frame["distance"] > threshold
    if grain is None:
        levels = population["level"].unique() if "level" in population else []
        grain = {"iris": "IRIS", "carreau": "carreaux", "commune": "communes"}.get(
            str(levels[0]) if len(levels) == 1 else "", "points fournis"
        )
    return Access(
        points=frame,
        units=_summarise(frame, "unit"),
        zones=_summarise(frame, "zone"),
        overall=_summarise(frame.assign(_all="ensemble"), "_all").iloc[0],
        measure=measure,
        threshold=float(threshold),
        grain=grain,
    )


def add_sites(
    population: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    k: int,
    *,
    sites: gpd.GeoDataFrame | None = None,
    weight: str | Indicator = "population",
    catalog: Catalog | None = None,
) -> gpd.GeoDataFrame:
    """Where to open ``k`` more sites to minimise the weighted distance.

    Solves spopt's p-median (:class:`spopt.locate.PMedian`) on straight-line
    distances with the CBC solver shipped with PuLP (offline): the existing
    ``sites`` stay open, ``k`` candidates are added.

    Parameters
    ----------
    population : geopandas.GeoDataFrame
        Where people live, with the ``weight`` count.
    candidates : geopandas.GeoDataFrame
        Possible new sites (e.g. the chef-lieux of the communes).
    k : int
        Number of sites to add.
    sites : geopandas.GeoDataFrame, optional
        Existing sites, kept open.
    weight : str or Indicator, default "population"
    catalog : Catalog, optional

    Returns
    -------
    geopandas.GeoDataFrame
        The ``k`` chosen rows of ``candidates``.

    Raises
    ------
    MethodError
        ``k`` < 1 or more than the candidates; the solver found no optimum.
    """
    import pulp
    from scipy.spatial.distance import cdist
    from spopt.locate import PMedian

    if k < 1 or k > len(candidates):
        raise MethodError(
            f"nombre de sites à ajouter ({k}) hors de 1 à {len(candidates)} "
            "(nombre de candidats).",
        )
    _projected(population, "population")
    values = unit_values(
        population.assign(code=np.arange(len(population)).astype(str)),
        weight,
        catalog=catalog,
    ).to_numpy()
    existing = _points(sites) if sites is not None else np.empty(0, dtype=object)
    supply = np.concatenate([existing, _points(candidates.to_crs(population.crs))])
    xy = shapely.get_coordinates(_points(population))
    cost = cdist(xy, shapely.get_coordinates(supply))
    fixed = np.zeros(len(supply), dtype=int)
    fixed[: len(existing)] = 1
    with warnings.catch_warnings():
        # PuLP 3.3 announces its 4.0 API; the bundled CBC is what runs offline
        warnings.simplefilter("ignore", DeprecationWarning)
        model = PMedian.from_cost_matrix(
            cost, values, p_facilities=len(existing) + k,
            predefined_facilities_arr=fixed if len(existing) else None,
        )  # fmt: skip
        model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    if pulp.LpStatus[model.problem.status] != "Optimal":
        raise MethodError(
            "le solveur n'a pas trouvé de solution optimale "
            f"(statut « {pulp.LpStatus[model.problem.status]} »).",
        )
    opened = np.array([bool(v.value() > 0.5) for v in model.fac_vars])
    chosen = np.flatnonzero(opened[len(existing) :])
    return candidates.iloc[chosen]
