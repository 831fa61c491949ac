"""Current sites as seeds of a proposed zoning: one seed per zone, contiguous."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territobs.errors import MethodError, ZoneError
from territobs.scenarios import propose_zoning


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_each_seed_ends_in_its_own_contiguous_zone(make_grid, check_contiguous, data):
    rows = data.draw(st.integers(2, 6))
    cols = data.draw(st.integers(2, 6))
    n = rows * cols
    population = np.asarray(
        data.draw(st.lists(st.integers(0, 5000), min_size=n, max_size=n)), float
    )
    units = make_grid(rows, cols, population=population)
    k = data.draw(st.integers(1, min(5, n)))
    picked = data.draw(
        st.lists(st.integers(0, n - 1), min_size=k, max_size=k, unique=True)
    )
    seeds = units["code"].iloc[picked].tolist()
    proposal = propose_zoning(units, seeds=seeds, seed=data.draw(st.integers(0, 3)))
    zones = proposal.zone.loc[seeds]
    assert zones.nunique() == k  # each seed in a distinct zone
    assert proposal.zone.nunique() == k  # and every zone has its seed
    check_contiguous(units, proposal.zone)
    assert (proposal.report["pieces"] == 1).all()
    assert proposal.parameters["seeds"] == seeds
    assert proposal.parameters["seeds_kept_by"]


def test_sites_as_points_and_balance(make_grid):
    units = make_grid(4, 8, population=np.full(32, 100.0))
    # one site in the first and in the last column
    sites = gpd.GeoDataFrame(
        {"nom": ["Ouest", "Est"]},
        geometry=gpd.points_from_xy([500.0, 7500.0], [1500.0, 2500.0]),
        crs=2154,
    )
    proposal = propose_zoning(units, seeds=sites)
    assert proposal.parameters["seeds"] == ["01009", "01024"]
    totals = proposal.report.set_index("zone")["total"]
    assert totals.tolist() == [1600.0, 1600.0]  # grown in turn: balanced


def test_grown_start_is_balanced_on_the_indicator(make_grid):
    from territobs.scenarios.graph import contiguity
    from territobs.scenarios.seeds import _grow

    units = make_grid(1, 10, population=np.array([9, 1, 1, 1, 1, 1, 1, 1, 1, 1.0]))
    frame = units.assign(_total=units["population_municipale"])
    labels = _grow(frame, contiguity(units), np.array([0, 9]))
    # the heavy seed stops growing: the light one takes the other units
    assert labels.tolist() == [0] + [1] * 9


def test_bad_seeds_are_refused(make_grid):
    units = make_grid(3, 3)
    with pytest.raises(ZoneError, match="germe inconnu"):
        propose_zoning(units, seeds=["99999"])
    with pytest.raises(MethodError, match="azp"):
        propose_zoning(units, seeds=["01001", "01009"], method="kmeans")
    with pytest.raises(MethodError, match="n_zones"):
        propose_zoning(units, seeds=["01001", "01009"], n_zones=3)
    with pytest.raises(MethodError, match="même unité"):
        propose_zoning(units, seeds=["01001", "01001"])
    with pytest.raises(MethodError, match="même groupe"):
        propose_zoning(units, seeds=["01001", "01002"], keep_whole="epci")
