"""Travel times over a road network given as lines (GeoPackage, shapefile).

:func:`travel_time_matrix` routes each population point to each site over
the lines of a network file (an OpenStreetMap extract exported by QGIS or
``ogr2ogr``, the IGN BD TOPO ``TRONCON_DE_ROUTE``...) and returns the
origins × sites matrix of minutes that
:func:`~territobs.scenarios.access.measure_access` takes as
``travel_times``.

How it is computed, and what it leaves out:

* every vertex of every line is a node; two lines are connected where they
  share a vertex (coordinates equal to the centimetre), as in OSM data, not
  where they merely cross (a bridge over a road is no junction);
* the time of a segment is its length at the line's speed (a column of
  km/h, or one speed for all); the network is undirected (one-way streets
  and turn costs are not modelled);
* a point joins the network where it projects onto its nearest segment
  (every nearest one, on a tie: a point on a junction joins all its roads),
  walking there at ``connector_speed`` (5 km/h by default): the projections
  split the segment, so points on one road are joined along it; a site
  likewise; walking straight to the site is taken when quicker;
* shortest paths are SciPy's Dijkstra (:func:`scipy.sparse.csgraph.dijkstra`)
  from the sites, over the vertices, the projections and the points; a pair
  the network does not join is walked in a straight line, and a warning
  counts such pairs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from territobs.errors import CRSError, GeometryError, JoinError

__all__ = ["travel_time_matrix"]

#: Metres within which two segments are equally near a point.
_TIE = 1e-6


def _lines(network: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Line parts, and the index of the feature of each."""
    parts, index = shapely.get_parts(
        np.asarray(network.geometry.array, dtype=object), return_index=True
    )
    kinds = shapely.get_type_id(parts)
    keep = kinds == shapely.GeometryType.LINESTRING
    if not keep.any():
        raise GeometryError(
            "réseau routier : aucune ligne (LineString) dans le fichier."
        )
    return parts[keep], index[keep]


@dataclass(frozen=True)
class _Segments:
    """The network's segments: end nodes, minutes, geometry."""

    a: np.ndarray
    b: np.ndarray
    minutes: np.ndarray
    lines: np.ndarray
    n_nodes: int


def _segments(network: gpd.GeoDataFrame, speed: np.ndarray) -> _Segments:
    """Cut the lines into segments between vertices merged to the centimetre."""
    parts, feature = _lines(network)
    coords, owner = shapely.get_coordinates(parts, return_index=True)
    vertices, node_of = np.unique(np.round(coords, 2), axis=0, return_inverse=True)
    node_of = node_of.ravel()
    same = (owner[1:] == owner[:-1]) & (node_of[1:] != node_of[:-1])
    start, end = coords[:-1][same], coords[1:][same]
    length = np.hypot(*(end - start).T)
    kmh = speed[feature[owner[:-1][same]]]
    return _Segments(
        a=node_of[:-1][same],
        b=node_of[1:][same],
        minutes=length / (kmh * 1000.0 / 60.0),
        lines=np.asarray(
            shapely.linestrings(np.stack([start, end], axis=1)), dtype=object
        ),
        n_nodes=len(vertices),
    )


def _attach(
    segments: _Segments, tree: shapely.STRtree, points: np.ndarray
) -> pd.DataFrame:
    """Each point on its nearest segment(s): ``point, segment, t, gap``.

    Segments within a micrometre of the nearest one count as tied (a point
    on a junction, or halfway between two roads, joins each).
    """
    (first, _), nearest = tree.query_nearest(
        points, return_distance=True, all_matches=False
    )
    best = np.full(len(points), np.inf)
    best[first] = nearest
    point, segment = tree.query(points, predicate="dwithin", distance=best + _TIE)
    gap = shapely.distance(points[point], segments.lines[segment])
    keep = gap <= best[point] + _TIE
    point, segment, gap = point[keep], segment[keep], gap[keep]
    t = shapely.line_locate_point(
        segments.lines[segment], points[point], normalized=True
    )
    return pd.DataFrame({"point": point, "segment": segment, "t": t, "gap": gap})


def _graph(
    segments: _Segments, joins: list[tuple[pd.DataFrame, int]], size: int
) -> object:
    """Sparse graph: vertices, point nodes, and one node per projection.

    Each point's projection onto each of its nearest segments is a node on
    that segment (the segment's ends and projections chained in order along
    it, at the drive time between them); the point's node joins it at the
    walking time. Parallel edges between two nodes keep their quickest time;
    an edge of zero minutes is kept (a tiny positive weight: SciPy drops
    zeros).
    """
    from scipy.sparse import coo_matrix

    attached = pd.concat(
        [j.assign(node=first + j["point"].to_numpy()) for j, first in joins],
        ignore_index=True,
    )
    attached["projection"] = size + np.arange(len(attached))
    # chains along each segment: its start, the projections by t, its end
    seg = attached["segment"].to_numpy()
    chain = pd.concat(
        [
            pd.DataFrame({"segment": np.arange(len(segments.a)), "t": 0.0,
                          "id": segments.a}),
            pd.DataFrame({"segment": seg, "t": attached["t"].to_numpy(),
                          "id": attached["projection"].to_numpy()}),
            pd.DataFrame({"segment": np.arange(len(segments.a)), "t": 1.0,
                          "id": segments.b}),
        ],
        ignore_index=True,
    ).sort_values(["segment", "t"], kind="stable")  # fmt: skip
    ids, where, ts = (chain[c].to_numpy() for c in ("id", "segment", "t"))
    step = where[1:] == where[:-1]
    tail = np.concatenate([ids[:-1][step], attached["node"].to_numpy()])
    head = np.concatenate([ids[1:][step], attached["projection"].to_numpy()])
    minutes = np.concatenate(
        [
            (ts[1:] - ts[:-1])[step] * segments.minutes[where[1:][step]],
            attached["walk"].to_numpy(),
        ]
    )
    edges = (
        pd.DataFrame(
            {
                "a": np.minimum(tail, head),
                "b": np.maximum(tail, head),
                "minutes": np.maximum(minutes, 1e-12),
            }
        )[tail != head]
        .groupby(["a", "b"])["minutes"]
        .min()
        .reset_index()
    )
    n = size + len(attached)
    return coo_matrix(
        (edges["minutes"], (edges["a"], edges["b"])), shape=(n, n)
    ).tocsr()


def _speeds(network: gpd.GeoDataFrame, speed: float | str) -> np.ndarray:
    if isinstance(speed, str):
        if speed not in network.columns:
            raise JoinError(
                f"réseau routier : colonne de vitesse « {speed} » absente ; "
                f"colonnes : {', '.join(map(str, network.columns))}.",
                column=speed,
            )
        values = pd.to_numeric(network[speed], errors="coerce").to_numpy(float)
    else:
        values = np.full(len(network), float(speed))
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        rows = np.flatnonzero(bad)[:10].tolist()
        raise JoinError(
            f"réseau routier : {int(bad.sum())} tronçon(s) sans vitesse positive "
            f"(lignes {', '.join(str(r + 1) for r in rows)}).",
            column=speed if isinstance(speed, str) else None,
        )
    return values


def travel_time_matrix(
    network: gpd.GeoDataFrame | str | os.PathLike[str],
    origins: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    speed: float | str = 50.0,
    connector_speed: float = 5.0,
    origin_id: str = "code",
    site_id: str | None = None,
) -> pd.DataFrame:
    """Minutes from each origin to each site over a road network.

    Parameters
    ----------
    network : geopandas.GeoDataFrame or path-like
        Lines of the network (a file is read with :func:`geopandas.read_file`),
        in a projected CRS (metres).
    origins : geopandas.GeoDataFrame
        Where people live (points, or polygons taken at a point on their
        surface), with ``origin_id``.
    sites : geopandas.GeoDataFrame
        The sites (points).
    speed : float or str, default 50
        km/h on every line, or the column of the network giving it.
    connector_speed : float, default 5
        km/h from a point to its nearest network node (walking), and
        straight to a site when that is quicker.
    origin_id : str, default "code"
        Column of origin codes (the matrix's index).
    site_id : str, optional
        Column of site ids (default: the index).

    Returns
    -------
    pandas.DataFrame
        Origins × sites, minutes.

    Raises
    ------
    CRSError
        Layers not projected, or in different CRSs.
    GeometryError
        A network without lines.
    JoinError
        A speed column absent or not positive.

    Examples
    --------
    >>> from shapely import LineString, Point
    >>> roads = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (6000, 0)])], crs=2154)
    >>> people = gpd.GeoDataFrame({"code": ["01001"]}, geometry=[Point(0, 0)], crs=2154)
    >>> mds = gpd.GeoDataFrame({"nom": ["A"]}, geometry=[Point(6000, 0)], crs=2154)
    >>> times = travel_time_matrix(roads, people, mds, speed=60, site_id="nom")
    >>> round(float(times.loc["01001", "A"]), 6)  # 6 km at 60 km/h
    6.0
    """
    from scipy.sparse.csgraph import dijkstra

    from territobs.scenarios.access import _points, _site_ids

    if not isinstance(network, gpd.GeoDataFrame):
        network = gpd.read_file(network)
    for frame, what in (
        (network, "réseau routier"),
        (origins, "origines"),
        (sites, "sites"),
    ):
        if frame.crs is None or not frame.crs.is_projected:
            raise CRSError(
                f"{what} : coordonnées non projetées (CRS {frame.crs}) ; reprojetez "
                "d'abord (par ex. .to_crs(2154)).",
            )
    if not (network.crs.equals(origins.crs) and network.crs.equals(sites.crs)):
        raise CRSError(
            "réseau, origines et sites dans des projections différentes ; "
            "reprojetez-les dans celle du réseau.",
        )
    if origin_id not in origins.columns:
        raise JoinError(
            f"colonne « {origin_id} » absente des origines.", column=origin_id
        )
    segments = _segments(network, _speeds(network, speed))
    tree = shapely.STRtree(segments.lines)
    per_minute = connector_speed * 1000.0 / 60.0
    o_points, s_points = _points(origins), _points(sites)
    o_join = _attach(segments, tree, o_points)
    s_join = _attach(segments, tree, s_points)
    o_join["walk"] = o_join["gap"] / per_minute
    s_join["walk"] = s_join["gap"] / per_minute
    first_origin = segments.n_nodes
    first_site = first_origin + len(o_points)
    n_o, n_s = len(o_points), len(s_points)
    graph = _graph(
        segments, [(o_join, first_origin), (s_join, first_site)], first_site + n_s
    )
    if n_s and n_o:
        times = dijkstra(graph, directed=False, indices=first_site + np.arange(n_s))
        network_minutes = times[:, first_origin : first_origin + n_o].T
    else:
        network_minutes = np.full((n_o, n_s), np.inf)
    minutes = network_minutes
    o = shapely.get_coordinates(o_points)
    s = shapely.get_coordinates(s_points)
    on_foot = np.hypot(o[:, None, 0] - s[None, :, 0], o[:, None, 1] - s[None, :, 1])
    unlinked = ~np.isfinite(minutes)
    if unlinked.any():
        import warnings

        from territobs.errors import TerritobsWarning

        warnings.warn(
            f"réseau routier : {int(unlinked.sum())} couple(s) origine → site sans "
            "chemin sur le réseau (réseau en plusieurs morceaux) ; leur temps est "
            "celui du trajet à pied en ligne droite.",
            TerritobsWarning,
            stacklevel=2,
        )
    minutes = np.fmin(minutes, on_foot / per_minute)
    minutes[~np.isfinite(minutes)] = np.nan
    return pd.DataFrame(
        minutes,
        index=pd.Index(origins[origin_id].astype(str).to_numpy(object), name="origin"),
        columns=pd.Index(_site_ids(sites, site_id), name="site"),
    )
