from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from territobs.errors import CodeError, CRSError, SourceFormatError
from territobs.io.filosofi_grid import parse_square_ids, read_filosofi_grid

FIXTURE = (
    Path(__file__).resolve().parents[1]
    / "data"
    / "filosofi"
    / "carreaux_200m_saint_denis.csv"
)


def test_filosofi_2017_layout():
    grid = read_filosofi_grid(FIXTURE)
    assert grid.crs.to_epsg() == 3035
    assert len(grid) == 6
    assert grid.columns[:3].tolist() == ["code", "name", "level"]
    assert (grid["level"] == "carreau").all()
    assert grid["code"].iloc[0].startswith("CRS3035RES200mN")
    np.testing.assert_allclose(grid.geometry.area, 40000.0)
    assert grid["lcog_geo"].tolist()[2] == "9300193066"
    assert grid["Idcar_1km"].iloc[0].startswith("CRS3035RES1000m")
    assert grid["Men_pauv"].dtype == np.float64
    # squares tile: the 6 squares form a 600 m x 400 m block
    union = shapely.union_all(grid.geometry.to_numpy())
    assert union.area == pytest.approx(240000.0)


def test_square_from_id():
    geoms, epsg = parse_square_ids(pd.Series(["CRS3035RES1000mN2029000E4252000"]))
    assert epsg == 3035
    assert geoms[0].bounds == (4252000.0, 2029000.0, 4253000.0, 2030000.0)


def test_bad_id(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("Idcar_200m;Ind\nCRS3035RES200mN1E2;1\nN2029800E4252400;2\n")
    with pytest.raises(CodeError) as info:
        read_filosofi_grid(path)
    assert info.value.codes == ["N2029800E4252400"]
    assert info.value.row == 3


def test_mixed_crs_ids(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("Idcar_200m;Ind\nCRS3035RES200mN0E0;1\nCRS2975RES200mN0E0;2\n")
    with pytest.raises(CRSError):
        read_filosofi_grid(path)


def test_centre_layout_needs_crs_and_size(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("x,y,houhold\n359500.0,7634300.0,5.07\n")
    with pytest.raises(CRSError):
        read_filosofi_grid(path, size=200)
    with pytest.raises(SourceFormatError):
        read_filosofi_grid(path, crs=2975)
    grid = read_filosofi_grid(path, size=200, crs=2975)
    assert grid["code"].tolist() == ["CRS2975RES200mN7634200E359400"]
    assert grid.geometry.iloc[0].bounds == (359400.0, 7634200.0, 359600.0, 7634400.0)


def test_centre_layout_checks_its_centres(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("x,y,houhold\n359500,7634300,3.2\n,7634500,1\n")
    with pytest.raises(SourceFormatError, match=r"sans centre .* ligne 3\.") as info:
        read_filosofi_grid(path, size=200, crs=2975)
    assert info.value.row == 3
    path.write_text("x,y,houhold\n359500,7634300,3.2\n")
    grid = read_filosofi_grid(path, size=200, crs="EPSG:2975")  # as text too
    assert grid["code"].tolist() == ["CRS2975RES200mN7634200E359400"]
    path.write_text("x,y,houhold\n55.5,-21.1,3.2\n")  # degrees, not EPSG:2975
    with pytest.raises(CRSError, match="zone de validité"):
        read_filosofi_grid(path, size=200, crs=2975)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 30000).map(lambda v: v * 200),
    st.integers(0, 30000).map(lambda v: v * 200),
    st.sampled_from([200, 1000]),
)
def test_id_round_trip(east, north, size):
    """Invariant: the square rebuilt from an id contains its corner and has side `size`."""
    unit = f"{size}m"
    geoms, _ = parse_square_ids(pd.Series([f"CRS3035RES{unit}N{north}E{east}"]))
    xmin, ymin, xmax, ymax = geoms[0].bounds
    assert (xmin, ymin) == (east, north)
    assert (xmax - xmin, ymax - ymin) == (size, size)


@pytest.mark.shared_data
def test_real_btb_reunion(shared_data):
    grid = read_filosofi_grid(
        shared_data / "insee" / "btb-reunion-menages-grid200m-rfl2010.csv",
        size=200,
        crs=2975,
    )
    assert len(grid) == 14076
    assert grid.crs.to_epsg() == 2975
    assert grid["code"].is_unique
    assert grid["code"].iloc[0] == "CRS2975RES200mN7634200E359400"
    np.testing.assert_allclose(grid.geometry.area, 40000.0)
    # La Réunion: lon 55.2-55.9, lat -21.4 to -20.8
    west, south, east, north = grid.to_crs(4326).total_bounds
    assert 55.1 < west < east < 56.0 and -21.5 < south < north < -20.8
