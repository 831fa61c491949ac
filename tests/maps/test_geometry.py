from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from shapely.geometry import Polygon, box

from territobs.maps._geometry import _encode, pack_geometry


def _decode(packed):
    """Python twin of the JavaScript decoder (templates/map.js)."""
    s, pos = packed.coords, 0

    def num():
        nonlocal pos
        r, m = 0, 1
        while True:
            b = ord(s[pos]) - 63
            pos += 1
            r += (b & 31) * m
            m *= 32
            if b < 32:
                break
        return -(r + 1) // 2 if r % 2 else r // 2

    x, y = packed.origin
    features, k = [], 0
    while k < len(packed.structure):
        parts = []
        for _ in range(packed.structure[k]):
            k += 1
            rings = []
            for _ in range(packed.structure[k]):
                k += 1
                ring = []
                for _ in range(packed.structure[k]):
                    x += num()
                    y += num()
                    ring.append((x, y))
                rings.append(ring)
            parts.append(rings)
        k += 1
        features.append(parts)
    return features


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-(2**30), 2**30), max_size=50))
def test_encoding_round_trips(values):
    """Invariant: the zig-zag polyline encoding decodes to the same integers
    and uses only ASCII 63-126 (nothing to escape in HTML)."""
    text = _encode(np.array(values, dtype=np.int64))
    assert all(63 <= ord(c) <= 126 for c in text)
    pos, out = 0, []
    while pos < len(text):
        r, m = 0, 1
        while True:
            b = ord(text[pos]) - 63
            pos += 1
            r += (b & 31) * m
            m *= 32
            if b < 32:
                break
        out.append(-(r + 1) // 2 if r % 2 else r // 2)
    assert out == values


def test_shared_borders_stay_shared():
    # two wiggly neighbours sharing a long border
    xs = np.linspace(0, 10_000, 200)
    border = np.column_stack([xs, 5_000 + 300 * np.sin(xs / 700)])
    south = Polygon([(0, 0), (10_000, 0), *border[::-1].tolist()])
    north = Polygon([*border.tolist(), (10_000, 10_000), (0, 10_000)])
    frame = gpd.GeoSeries([south, north], crs=2154)
    packed = pack_geometry(frame, tolerance=100)
    a, b = ({tuple(p) for ring in parts[0] for p in ring} for parts in _decode(packed))
    assert packed.n_vertices < 2 * 204  # simplified
    # every simplified border vertex is the same grid point on both sides:
    # only each polygon's two outer corners are its own
    assert len(a - b) == 2
    assert len(b - a) == 2
    assert len(a & b) >= 3


def test_tiny_feature_is_never_dropped():
    big = box(0, 0, 50_000, 50_000)
    tiny = box(60_000, 0, 60_003, 3)  # 3 m square, collapses once simplified
    packed = pack_geometry(gpd.GeoSeries([big, tiny], crs=2154), quantum=1e-6)
    features = _decode(packed)
    assert len(features) == 2
    assert len(features[1]) == 1 and len(features[1][0][0]) >= 3


def test_structure_counts_multipolygons_and_holes():
    outer = box(0, 0, 1000, 1000).difference(box(400, 400, 600, 600))
    multi = shapely.MultiPolygon([box(2000, 0, 3000, 1000), box(4000, 0, 5000, 1000)])
    packed = pack_geometry(gpd.GeoSeries([outer, multi], crs=2154), tolerance=0)
    features = _decode(packed)
    assert [len(f) for f in features] == [1, 2]
    assert len(features[0][0]) == 2  # exterior + hole
    assert_array_equal([len(r) for r in features[1][0]], [4])


@pytest.mark.shared_data
def test_real_departement_keeps_every_commune(shared_data):
    path = shared_data / "boundaries/france-geojson/communes-01-ain.geojson"
    communes = gpd.read_file(path)
    packed = pack_geometry(communes.geometry)
    assert len(_decode(packed)) == len(communes)
    assert (
        packed.n_vertices < shapely.get_num_coordinates(communes.geometry.values).sum()
    )


def test_no_gap_nor_overlap_between_neighbours():
    """Coverage simplification + quantisation leave no sliver: decoded
    neighbours do not overlap and their union has no hole."""
    xs = np.linspace(0, 10_000, 200)
    border = np.column_stack([xs, 5_000 + 300 * np.sin(xs / 700)])
    south = Polygon([(0, 0), (10_000, 0), *border[::-1].tolist()])
    north = Polygon([*border.tolist(), (10_000, 10_000), (0, 10_000)])
    packed = pack_geometry(gpd.GeoSeries([south, north], crs=2154), tolerance=100)
    a, b = (Polygon(parts[0][0], parts[0][1:]) for parts in _decode(packed))
    assert a.is_valid and b.is_valid
    assert a.intersection(b).area == 0
    union = a.union(b)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    assert union.area == pytest.approx(a.area + b.area)
