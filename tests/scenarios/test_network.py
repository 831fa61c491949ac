"""Travel times over a road network, checked against networkx."""

from __future__ import annotations

import itertools
import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Point

from territobs.errors import CRSError, JoinError, TerritobsWarning
from territobs.scenarios import measure_access
from territobs.scenarios.network import travel_time_matrix

_VERTEX = st.tuples(st.integers(0, 6), st.integers(0, 6)).map(
    lambda p: (p[0] * 1000.0, p[1] * 1000.0)
)
_LINE = st.lists(_VERTEX, min_size=2, max_size=4, unique=True)


def _reference(lines, speeds, origins, targets):
    """Minutes by an independent model: networkx over the segments.

    Each point walks to its projection on every segment nearest to it; the
    projections split their segment (driven along it); walking straight to
    the site is taken when quicker (5 km/h).
    """
    walk_speed = 5 * 1000 / 60
    segments = []
    for line, kmh in zip(lines, speeds, strict=False):
        for a, b in itertools.pairwise(line):
            minutes = float(np.hypot(a[0] - b[0], a[1] - b[1])) / (kmh * 1000 / 60)
            segments.append((a, b, minutes))
    on: dict = {k: [] for k in range(len(segments))}
    graph = nx.Graph()
    for kind, points in (("o", origins), ("s", targets)):
        for i, p in enumerate(points):
            graph.add_node((kind, i))
            gaps = [LineString([a, b]).distance(Point(p)) for a, b, _ in segments]
            for k, (a, b, _) in enumerate(segments):
                if gaps[k] <= min(gaps) + 1e-6:
                    t = LineString([a, b]).project(Point(p), normalized=True)
                    on[k].append((t, (kind, i, k), (kind, i), gaps[k] / walk_speed))
    for k, (a, b, m) in enumerate(segments):
        stops = [(0.0, a, None, 0.0), *sorted(on[k]), (1.0, b, None, 0.0)]
        for (t0, u, _, _), (t1, v, _, _) in itertools.pairwise(stops):
            w = (t1 - t0) * m
            if not graph.has_edge(u, v) or graph.edges[u, v]["m"] > w:
                graph.add_edge(u, v, m=w)
        for _, projection, point, walk in on[k]:
            graph.add_edge(point, projection, m=walk)
    out = np.empty((len(origins), len(targets)))
    for i, o in enumerate(origins):
        lengths = nx.single_source_dijkstra_path_length(graph, ("o", i), weight="m")
        for j, s in enumerate(targets):
            walk = float(np.hypot(o[0] - s[0], o[1] - s[1])) / walk_speed
            out[i, j] = min(lengths.get(("s", j), np.inf), walk)
    return out


_POINT = st.tuples(st.integers(0, 12), st.integers(0, 12)).map(
    lambda p: (p[0] * 500.0, p[1] * 500.0)
)


@settings(max_examples=25, deadline=None)
@given(
    lines=st.lists(_LINE, min_size=1, max_size=8),
    speeds=st.lists(st.sampled_from([30.0, 50.0, 90.0]), min_size=8, max_size=8),
    origins=st.lists(_POINT, min_size=1, max_size=4),
    targets=st.lists(_POINT, min_size=1, max_size=3),
)
def test_times_equal_networkx(lines, speeds, origins, targets):
    roads = gpd.GeoDataFrame(
        {"kmh": speeds[: len(lines)]},
        geometry=[LineString(line) for line in lines],
        crs=2154,
    )
    people = gpd.GeoDataFrame(
        {"code": [f"O{i}" for i in range(len(origins))]},
        geometry=[Point(p) for p in origins],
        crs=2154,
    )
    sites = gpd.GeoDataFrame(geometry=[Point(p) for p in targets], crs=2154)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TerritobsWarning)  # unconnected: walked
        matrix = travel_time_matrix(roads, people, sites, speed="kmh")
    expected = _reference(lines, speeds, origins, targets)
    np.testing.assert_allclose(matrix.to_numpy(), expected, rtol=1e-9, atol=1e-9)


def test_connectors_walk_and_access_uses_the_matrix():
    roads = gpd.GeoDataFrame(
        geometry=[
            LineString([(0, 0), (10_000, 0)]),
            LineString([(20_000, 0), (30_000, 0)]),
        ],
        crs=2154,
    )
    people = gpd.GeoDataFrame(
        {"code": ["01001", "01002"], "population_municipale": [10.0, 30.0]},
        geometry=[Point(0, 500), Point(25_000, 0)],
        crs=2154,
    )
    sites = gpd.GeoDataFrame({"nom": ["MDS"]}, geometry=[Point(10_000, 0)], crs=2154)
    with pytest.warns(TerritobsWarning, match="1 couple"):
        matrix = travel_time_matrix(roads, people, sites, speed=60, site_id="nom")
    # 500 m on foot (6 min) + 10 km at 60 km/h (10 min)
    assert matrix.loc["01001", "MDS"] == pytest.approx(16.0)
    # another road, unconnected: 15 km on foot
    assert matrix.loc["01002", "MDS"] == pytest.approx(180.0)
    access = measure_access(
        people, sites, travel_times=matrix, site_id="nom", threshold=60
    )
    assert access.overall["mean_distance"] == pytest.approx((10 * 16 + 30 * 180) / 40)
    # a site beside a point is walked to, not reached through the road
    near = gpd.GeoDataFrame({"nom": ["Près"]}, geometry=[Point(0, 600)], crs=2154)
    alone = travel_time_matrix(roads, people.iloc[:1], near, speed=60, site_id="nom")
    assert alone.iloc[0, 0] == pytest.approx(100 / (5000 / 60))
    with pytest.raises(JoinError, match="vitesse"):
        travel_time_matrix(roads, people, sites, speed="kmh")
    with pytest.raises(CRSError):
        travel_time_matrix(roads.to_crs(4326), people, sites)
