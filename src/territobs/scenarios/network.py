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
* segments longer than ``max_segment`` metres (100 by default) get nodes
  inserted along them, so that a point is never far from a node (inserted
  nodes join nothing but their own segment); a point reaches the network at its nearest node at
  ``connector_speed`` (walking, 5 km/h, by default), and a site likewise;
  walking straight to the site is taken when it is quicker;
* shortest paths are SciPy's Dijkstra (:func:`scipy.sparse.csgraph.dijkstra`)
  from each site; a pair the network does not join is walked in a straight
  line, and a warning counts such pairs.
"""

from __future__ import annotations

import os

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from territobs.errors import CRSError, GeometryError, JoinError

__all__ = ["travel_time_matrix"]


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


def _graph(
    network: gpd.GeoDataFrame, speed: np.ndarray, max_segment: float
) -> tuple[object, np.ndarray]:
    """Sparse graph of minutes between nodes, and the node coordinates.

    Nodes are the lines' vertices (merged by coordinates, to the
    centimetre), plus points inserted along each segment longer than
    ``max_segment``; inserted points belong to their segment only, never
    joining another line that happens to pass there.
    """
    from scipy.sparse import coo_matrix

    parts, feature = _lines(network)
    coords, owner = shapely.get_coordinates(parts, return_index=True)
    vertices, node_of = np.unique(np.round(coords, 2), axis=0, return_inverse=True)
    node_of = node_of.ravel()
    same = owner[1:] == owner[:-1]
    a, b = node_of[:-1][same], node_of[1:][same]
    start, end = coords[:-1][same], coords[1:][same]
    length = np.hypot(*(end - start).T)
    kmh = speed[feature[owner[:-1][same]]]
    pieces = np.maximum(1, np.ceil(length / max_segment)).astype(int)
    # piece k of segment i joins node (i, k) to node (i, k + 1); its ends are
    # the segment's vertices, the nodes between them are new
    segment = np.repeat(np.arange(len(a)), pieces)
    k = np.arange(len(segment)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    first_new = len(vertices) + np.cumsum(pieces - 1) - (pieces - 1)
    new_id = first_new[segment] + k  # id of the node ending piece k (if inner)
    last = k == pieces[segment] - 1
    tail = np.where(k == 0, a[segment], new_id - 1)
    head = np.where(last, b[segment], new_id)
    inner = ~last
    fraction = ((k + 1) / pieces[segment])[inner, None]
    inserted = start[segment[inner]] + (end - start)[segment[inner]] * fraction
    nodes = np.vstack([vertices, inserted])
    minutes = (length / pieces)[segment] / (kmh[segment] * 1000.0 / 60.0)
    loop = tail == head
    # parallel segments between two nodes: the quickest one
    edges = (
        pd.DataFrame(
            {
                "a": np.minimum(tail, head),
                "b": np.maximum(tail, head),
                "minutes": minutes,
            }
        )[~loop]
        .groupby(["a", "b"])["minutes"]
        .min()
        .reset_index()
    )
    matrix = coo_matrix(
        (edges["minutes"], (edges["a"], edges["b"])), shape=(len(nodes), len(nodes))
    ).tocsr()
    return matrix, nodes


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
    max_segment: float = 100.0,
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
    max_segment : float, default 100
        Metres: lines are cut into segments no longer than this, the nodes a
        point can join the network at.
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
    graph, nodes = _graph(network, _speeds(network, speed), max_segment)
    tree = shapely.STRtree(np.asarray(shapely.points(nodes), dtype=object))
    per_minute = connector_speed * 1000.0 / 60.0

    def snap(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        (_, hit), gap = tree.query_nearest(
            points, return_distance=True, all_matches=False
        )
        return hit, gap / per_minute

    origin_node, origin_walk = snap(_points(origins))
    site_node, site_walk = snap(_points(sites))
    # one site at a time: a row over every node is kept only for the origins
    network_minutes = (
        np.column_stack(
            [
                dijkstra(graph, directed=False, indices=int(s))[origin_node]
                for s in site_node
            ]
        )
        if len(site_node)
        else np.empty((len(origin_node), 0))
    )
    minutes = network_minutes + origin_walk[:, None] + site_walk[None, :]
    o = shapely.get_coordinates(_points(origins))
    s = shapely.get_coordinates(_points(sites))
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
