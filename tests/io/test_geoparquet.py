"""The batched GeoParquet reader gives what ``geopandas.read_parquet`` gives."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import MultiPolygon, box

from territobs.errors import SourceFormatError
from territobs.io import read_boundaries
from territobs.io._geoparquet import read_geoparquet


def _frame(n: int = 11) -> gpd.GeoDataFrame:
    geoms = [box(i, 0, i + 1, 1) for i in range(n)]
    geoms[3] = MultiPolygon([box(3, 0, 3.4, 1), box(3.6, 0, 4, 1)])
    geoms[5] = None
    frame = gpd.GeoDataFrame(
        {
            "code": [f"93{i:03d}" for i in range(n)],
            "count": pd.array([i if i != 2 else None for i in range(n)], "Int64"),
            "share": [i / 3 for i in range(n)],
            "kind": pd.Categorical(["a", "b"] * (n // 2) + ["a"] * (n % 2)),
        },
        geometry=geoms,
        crs=2154,
        index=pd.Index([f"r{i}" for i in range(n)], name="row"),
    )
    frame["centre"] = gpd.GeoSeries(frame.geometry.centroid, crs=2154)
    frame.attrs = {"source": "test"}
    return frame


@pytest.mark.parametrize("batch_size", [1, 2, 4, 1024])
def test_batched_read_equals_geopandas(tmp_path, batch_size):
    path = tmp_path / "c.parquet"
    _frame().to_parquet(path, row_group_size=3)
    assert pq.ParquetFile(path).num_row_groups == 4
    expected = gpd.read_parquet(path)
    got = read_geoparquet(str(path), batch_size=batch_size)
    assert_geodataframe_equal(got, expected, check_dtype=True, check_crs=True)
    assert list(got.columns) == list(expected.columns)
    assert got.geometry.name == expected.geometry.name == "geometry"
    assert got["centre"].crs == expected["centre"].crs
    assert got.attrs == expected.attrs == {"source": "test"}
    assert got.index.equals(expected.index) and got.index.name == "row"


def test_range_index_and_geometry_first(tmp_path):
    frame = _frame().reset_index(drop=True)[["geometry", "code", "share"]]
    path = tmp_path / "c.parquet"
    frame.to_parquet(path, row_group_size=5)
    got = read_geoparquet(str(path), batch_size=2)
    assert_geodataframe_equal(got, gpd.read_parquet(path))
    assert isinstance(got.index, pd.RangeIndex)


def test_empty_file(tmp_path):
    path = tmp_path / "c.parquet"
    _frame().iloc[:0].to_parquet(path)
    assert_geodataframe_equal(read_geoparquet(str(path)), gpd.read_parquet(path))


def test_damaged_wkb_is_a_french_error(tmp_path):
    frame = pd.DataFrame(
        {
            "INSEE_COM": ["93001", "93002"],
            "geometry": [shapely.to_wkb(box(0, 0, 1, 1)), b"\x01\x03"],
        }
    )
    good = gpd.GeoDataFrame(
        {"INSEE_COM": ["93001"]}, geometry=[box(0, 0, 1, 1)], crs=2154
    )
    path = tmp_path / "bad.parquet"
    good.to_parquet(path)  # copy its geo metadata onto damaged WKB
    meta = pq.ParquetFile(path).schema_arrow.metadata
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table.replace_schema_metadata(meta), path)
    with pytest.raises(shapely.errors.GEOSException):
        gpd.read_parquet(path)
    with pytest.raises(SourceFormatError, match="GeoParquet illisible"):
        read_boundaries(path)
