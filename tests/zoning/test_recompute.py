from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from pandas.testing import assert_frame_equal
from scipy import sparse

from territobs.catalog import Catalog, Indicator
from territobs.errors import (
    ConfigError,
    JoinError,
    MethodError,
    MissingValuesWarning,
    ZoneError,
    ZoneWarning,
)
from territobs.zoning.recompute import (
    APPROXIMATIONS,
    RESULT_COLUMNS,
    check_conservation,
    check_ratios,
    recompute,
)
from territobs.zoning.weights import METHOD_CODES, Weights

APPROX = next(iter(APPROXIMATIONS))


def make_weights(matrix, units, zones, methods=None, method="exact"):
    matrix = sparse.csr_array(np.asarray(matrix, dtype=float))
    if methods is None:
        methods = (matrix > 0).astype(np.int8)
    else:
        methods = sparse.csr_array(np.asarray(methods, dtype=np.int8))
    return Weights(matrix, methods, pd.Index(units), pd.Index(zones), method)


def membership_weights(assignment, units, zones):
    """Exact weights from a unit -> zone position assignment."""
    n, k = len(units), len(zones)
    m = sparse.csr_array(
        (np.ones(n), (np.arange(n), np.asarray(assignment))), shape=(n, k)
    )
    return Weights(
        m, (m > 0).astype(np.int8), pd.Index(units), pd.Index(zones), "exact"
    )


@pytest.fixture
def territory() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["93001", "93005", "93006", "93007"],
            "name": ["Aubervilliers", "Aulnay", "Bagnolet", "Le Blanc-Mesnil"],
            "P21_POP": [90000.0, 86000, 36000, 57000],
            "P21_POP75P": [4000.0, 6000, 2000, 4000],
            "TP6021": [44.0, 24.0, 30.0, 27.0],
            "NBPERSMENFISC21": [80000.0, 85000, 35000, 56000],
            "MED21": [14000.0, 18000, 17000, 17500],
            "Ind": [100.0, 200, 300, 400],
            "Ind_snv": [1_500_000.0, 4_000_000, 6_600_000, 8_000_000],
        }
    )


@pytest.fixture
def zones() -> pd.DataFrame:
    return pd.DataFrame({"zone": ["ouest", "est"], "name": ["Ouest", "Est"]})


@pytest.fixture
def exact(territory, zones) -> Weights:
    return membership_weights([0, 1, 0, 1], territory["code"], zones["zone"])


# -- shape of the result ----------------------------------------------------------


def test_columns_exactly_as_contract(territory, zones, exact):
    res = recompute(territory, zones, ["population", "poverty_rate"], weights=exact)
    assert tuple(res.columns) == RESULT_COLUMNS
    assert list(res["zone"]) == ["ouest", "ouest", "est", "est"]
    assert list(res["indicator"]) == ["population", "poverty_rate"] * 2
    assert list(res["zone_name"]) == ["Ouest", "Ouest", "Est", "Est"]
    assert res["secret"].dtype == bool
    assert res["incomplete"].dtype == bool
    assert (res["secret_reason"] == "").all()
    assert res["lower"].isna().all() and res["upper"].isna().all()
    assert (res["vintage"] == "2021").all()
    assert res.loc[0, "source"] == "INSEE, Recensement de la population"
    assert res.loc[0, "unit"] == "habitants"
    assert res.loc[0, "label"] == "Population municipale"


def test_counts_golden_groupby(territory, zones, exact):
    """Zone counts equal an independent pandas groupby over the membership table."""
    res = recompute(territory, zones, ["population", "pop_75p"], weights=exact)
    membership = pd.DataFrame(
        {"code": territory["code"], "zone": ["ouest", "est", "ouest", "est"]}
    )
    golden = (
        territory.merge(membership, on="code")
        .groupby("zone")[["P21_POP", "P21_POP75P"]]
        .sum()
        .rename(columns={"P21_POP": "population", "P21_POP75P": "pop_75p"})
    )
    got = res.pivot(index="zone", columns="indicator", values="value")
    got.columns.name = None
    assert_frame_equal(
        got[golden.columns].sort_index(), golden.sort_index(), check_names=False
    )
    assert (res["method"] == "exact").all()
    assert (res["estimated_share"] == 0).all()
    assert res.loc[res["kind"] == "count", "denominator"].isna().all()
    assert_array_equal(res["numerator"], res["value"])


def test_rate_without_numerator_rebuilt(territory, zones, exact):
    """Poverty rate: poor persons rebuilt per unit as TP60 × persons / 100."""
    res = recompute(territory, zones, "poverty_rate", weights=exact).set_index("zone")
    poor_ouest = 0.44 * 80000 + 0.30 * 35000  # 35200 + 10500
    pers_ouest = 80000 + 35000
    assert res.loc["ouest", "numerator"] == pytest.approx(poor_ouest, rel=1e-12)
    assert res.loc["ouest", "denominator"] == pers_ouest
    assert res.loc["ouest", "value"] == pytest.approx(100 * 45700 / 115000, rel=1e-12)
    poor_est = 0.24 * 85000 + 0.27 * 56000
    assert res.loc["est", "value"] == pytest.approx(100 * poor_est / 141000, rel=1e-12)
    # never the mean of the rates
    assert res.loc["ouest", "value"] != pytest.approx((44 + 30) / 2)


def test_mean_from_totals_and_weights(territory, zones, exact):
    """Mean living standard = Σ Ind_snv / Σ Ind (the grid's definition)."""
    res = recompute(territory, zones, "mean_living_standard", weights=exact).set_index(
        "zone"
    )
    assert res.loc["ouest", "value"] == pytest.approx((1.5e6 + 6.6e6) / 400, rel=1e-12)
    assert res.loc["est", "value"] == pytest.approx((4e6 + 8e6) / 600, rel=1e-12)
    assert res.loc["ouest", "kind"] == "mean"
    assert res.loc["ouest", "unit"] == "€"


def test_mean_from_unit_means():
    cat = Catalog(
        (Indicator("size", "mean", "Taille moyenne", variable="SIZE", weight="MEN"),)
    )
    terr = pd.DataFrame({"code": ["a", "b"], "SIZE": [2.0, 3.0], "MEN": [10.0, 30.0]})
    zones = pd.DataFrame({"zone": ["z"], "name": ["Z"]})
    w = membership_weights([0, 0], terr["code"], zones["zone"])
    res = recompute(terr, zones, "size", weights=w, catalog=cat)
    assert res.loc[0, "value"] == pytest.approx((2 * 10 + 3 * 30) / 40)


def test_median_refused(territory, zones, exact):
    with pytest.raises(MethodError, match=APPROX) as info:
        recompute(territory, zones, "median_living_standard", weights=exact)
    assert info.value.indicator == "median_living_standard"
    assert APPROX in info.value.approximations


def test_median_approximation_flagged(territory, zones, exact):
    """The approximation is named in `method` and `approximation`; value = Σ p m / Σ p."""
    res = recompute(
        territory, zones, ["population", "median_living_standard"], weights=exact,
        approximation=APPROX,
    ).set_index(["zone", "indicator"])  # fmt: skip
    row = res.loc[("ouest", "median_living_standard")]
    assert row["method"] == APPROX
    assert row["approximation"] == APPROX
    expected = (80000 * 14000 + 35000 * 17000) / 115000
    assert row["value"] == pytest.approx(expected, rel=1e-12)
    assert res.loc[("ouest", "population"), "approximation"] == ""
    assert res.loc[("ouest", "population"), "method"] == "exact"


@pytest.mark.parametrize(
    ("approximation", "match"),
    [("mean", "inconnue"), ({"population": APPROX}, "exactement")],
)
def test_bad_approximation(territory, zones, exact, approximation, match):
    with pytest.raises(MethodError, match=match):
        recompute(
            territory, zones, ["population", "median_living_standard"], weights=exact,
            approximation=approximation,
        )  # fmt: skip


# -- masked and missing inputs --------------------------------------------------------


@pytest.fixture
def masked(territory) -> pd.DataFrame:
    terr = territory.copy()
    terr.loc[2, "TP6021"] = np.nan  # Bagnolet: secret
    terr["TP6021__secret"] = [False, False, True, False]
    return terr


def test_masked_inputs_are_incomplete_not_zero(masked, zones, exact):
    res = recompute(masked, zones, "poverty_rate", weights=exact).set_index("zone")
    assert bool(res.loc["ouest", "incomplete"])
    assert res.loc["ouest", "masked_units"] == 1.0
    assert np.isnan(res.loc["ouest", "value"])
    # known sums only, numerator and denominator over the same units
    assert res.loc["ouest", "numerator"] == pytest.approx(0.44 * 80000)
    assert res.loc["ouest", "denominator"] == 80000
    assert not res.loc["est", "incomplete"]
    assert res.loc["est", "masked_units"] == 0.0


def test_masked_inputs_partial_value(masked, zones, exact):
    res = recompute(masked, zones, "poverty_rate", weights=exact, on_masked="partial")
    row = res.set_index("zone").loc["ouest"]
    assert row["incomplete"]
    assert row["value"] == pytest.approx(44.0)


def test_masked_weighted_by_share(masked, zones):
    w = make_weights([[1, 0], [0, 1], [0.25, 0.75], [0, 1]], masked["code"], zones["zone"],
                     methods=[[1, 0], [0, 1], [2, 2], [0, 1]])  # fmt: skip
    res = recompute(masked, zones, "poverty_rate", weights=w).set_index("zone")
    assert res.loc["ouest", "masked_units"] == pytest.approx(0.25)
    assert res.loc["est", "masked_units"] == pytest.approx(0.75)


def test_missing_without_flag_warns_and_is_incomplete(territory, zones, exact):
    terr = territory.copy()
    terr.loc[1, "P21_POP"] = np.nan
    with pytest.warns(MissingValuesWarning, match="93005") as record:
        res = recompute(terr, zones, "population", weights=exact)
    assert record[0].message.codes == ["93005"]
    est = res.set_index("zone").loc["est"]
    assert est["incomplete"] and np.isnan(est["value"])
    assert est["numerator"] == 57000


# -- estimation ----------------------------------------------------------------


def test_estimated_share_and_method(territory, zones):
    """A unit cut 40/60 by area: share = 0.4·x / Σ w x in the first zone."""
    w = make_weights(
        [[1, 0], [0, 1], [0.4, 0.6], [0, 1]], territory["code"], zones["zone"],
        methods=[[1, 0], [0, 1], [2, 2], [0, 1]], method="area",
    )  # fmt: skip
    res = recompute(territory, zones, ["population", "poverty_rate"], weights=w)
    res = res.set_index(["zone", "indicator"])
    pop = res.loc[("ouest", "population")]
    assert pop["value"] == pytest.approx(90000 + 0.4 * 36000)
    assert pop["estimated_share"] == pytest.approx(0.4 * 36000 / (90000 + 0.4 * 36000))
    assert pop["method"] == "area"
    rate = res.loc[("ouest", "poverty_rate")]
    share_num = 0.4 * 0.30 * 35000 / (0.44 * 80000 + 0.4 * 0.30 * 35000)
    share_den = 0.4 * 35000 / (80000 + 0.4 * 35000)
    assert rate["estimated_share"] == pytest.approx(max(share_num, share_den))


def test_method_mixed_when_area_and_population(territory, zones):
    w = make_weights(
        [[0.5, 0.5], [0, 1], [0.5, 0.5], [0, 1]], territory["code"], zones["zone"],
        methods=[[2, 2], [0, 1], [3, 3], [0, 1]], method="auto",
    )  # fmt: skip
    res = recompute(territory, zones, "population", weights=w).set_index("zone")
    assert res.loc["ouest", "method"] == "mixed"
    assert res.loc["ouest", "estimated_share"] == pytest.approx(1.0)
    assert res.loc["est", "method"] == "mixed"
    assert 0 < res.loc["est", "estimated_share"] < 1


def test_estimated_pair_with_zero_mass_is_exact(territory, zones):
    terr = territory.assign(P21_POP=[90000.0, 86000, 0, 57000])
    w = make_weights([[1, 0], [0, 1], [0.4, 0.6], [0, 1]], terr["code"], zones["zone"],
                     methods=[[1, 0], [0, 1], [2, 2], [0, 1]])  # fmt: skip
    res = recompute(terr, zones, "population", weights=w)
    assert (res["method"] == "exact").all()


# -- checks -----------------------------------------------------------------------


def test_lost_units_reported(territory, zones):
    w = make_weights(
        [[1, 0], [0, 1], [0, 0], [0, 0.5]], territory["code"], zones["zone"]
    )
    with pytest.warns(ZoneWarning, match="93006") as record:
        recompute(territory, zones, "population", weights=w)
    assert record[0].message.codes == ["93006"]
    assert record[0].message.partial_codes == ["93007"]
    message = str(record[0].message)
    assert "1 unité dans aucune zone : « 93006 »" in message
    assert "1 unité en partie hors des zones : « 93007 »" in message
    assert "Leurs valeurs ne comptent" in message
    assert "(s)" not in message


def test_lost_units_agree_in_number(territory, zones):
    """One unit left out: singular; several: plural."""
    w = make_weights([[1, 0], [0, 1], [0, 0], [0, 1]], territory["code"], zones["zone"])
    with pytest.warns(ZoneWarning) as record:
        recompute(territory, zones, "population", weights=w)
    assert str(record[0].message).endswith(
        "1 unité dans aucune zone : « 93006 ». Sa valeur ne compte dans aucune "
        "zone (ou en partie)."
    )
    w = make_weights([[1, 0], [0, 0], [0, 0], [0, 1]], territory["code"], zones["zone"])
    with pytest.warns(ZoneWarning) as record:
        recompute(territory, zones, "population", weights=w)
    assert "2 unités dans aucune zone : « 93005 », « 93006 »" in str(record[0].message)


def test_conservation_check_detects_tampering(territory, zones, exact):
    res = recompute(territory, zones, ["population", "share_75p"], weights=exact)
    report = check_conservation(res, territory)
    assert report["relative_error"].max() <= 1e-9
    bad = res.copy()
    bad.loc[0, "numerator"] += 1.0
    with pytest.raises(ZoneError, match="conservation") as info:
        check_conservation(bad, territory)
    assert info.value.indicators == ["population"]


def test_ratio_check_detects_tampering(territory, zones, exact):
    res = recompute(territory, zones, "share_75p", weights=exact)
    check_ratios(res)
    bad = res.copy()
    bad.loc[1, "value"] *= 1.01
    with pytest.raises(MethodError) as info:
        check_ratios(bad)
    assert info.value.codes == ["est"]


# -- input errors -------------------------------------------------------------------


def test_unknown_indicator(territory, zones, exact):
    with pytest.raises(ConfigError, match="population"):
        recompute(territory, zones, "populaton", weights=exact)


def test_missing_columns(territory, zones, exact):
    with pytest.raises(MethodError, match="P\\{yy\\}_RP"):
        recompute(territory, zones, "hlm_tenants_share", weights=exact)


def test_weights_for_other_units(territory, zones):
    w = membership_weights(
        [0, 1, 0, 1, 1], [*territory["code"], "93008"], zones["zone"]
    )
    with pytest.raises(ZoneError, match="93008") as info:
        recompute(territory, zones, "population", weights=w)
    assert info.value.codes == ["93008"]


def test_weights_for_other_zones(territory, zones):
    w = membership_weights([0, 1, 0, 1], territory["code"], ["ouest", "nord"])
    with pytest.raises(ZoneError, match="nord"):
        recompute(territory, zones, "population", weights=w)


def test_territory_without_code_or_with_duplicates(territory, zones, exact):
    with pytest.raises(JoinError, match="code"):
        recompute(territory.drop(columns="code"), zones, "population", weights=exact)
    dup = territory.assign(code=["93001", "93001", "93006", "93007"])
    with pytest.raises(JoinError, match="93001") as info:
        recompute(dup, zones, "population", weights=exact)
    assert info.value.codes == ["93001"]


def test_units_aligned_by_code_not_position(territory, zones, exact):
    shuffled = territory.iloc[[3, 1, 0, 2]].reset_index(drop=True)
    a = recompute(territory, zones, "population", weights=exact)
    b = recompute(shuffled, zones, "population", weights=exact)
    assert_frame_equal(a, b)


def test_duplicate_indicator(territory, zones, exact):
    with pytest.raises(MethodError, match="population"):
        recompute(territory, zones, ["population", "pop"], weights=exact)


def test_vintage_choice():
    terr = pd.DataFrame(
        {"code": ["a", "b"], "P16_POP": [1.0, 2.0], "P21_POP": [3.0, 4.0]}
    )
    zones = pd.DataFrame({"zone": ["z"], "name": ["Z"]})
    w = membership_weights([0, 0], terr["code"], zones["zone"])
    latest = recompute(terr, zones, "population", weights=w)
    assert latest.loc[0, "value"] == 7.0 and latest.loc[0, "vintage"] == "2021"
    old = recompute(terr, zones, "population", weights=w, vintage=2016)
    assert old.loc[0, "value"] == 3.0 and old.loc[0, "vintage"] == "2016"


# -- properties -----------------------------------------------------------------------


@st.composite
def partitions(draw):
    n = draw(st.integers(1, 40))
    k = draw(st.integers(1, 8))
    assignment = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    pop = draw(
        st.lists(
            st.floats(0, 1e7, allow_nan=False, allow_infinity=False),
            min_size=n,
            max_size=n,
        )
    )
    return n, k, assignment, pop


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(partitions())
def test_conservation_over_random_partitions(data):
    """Over any partition, zone counts sum to the territory total (rel. err. < 1e-9)
    and equal a pandas groupby of the membership table."""
    n, k, assignment, pop = data
    codes = [f"u{i:03d}" for i in range(n)]
    terr = pd.DataFrame({"code": codes, "P21_POP": pop})
    zones = pd.DataFrame(
        {"zone": [f"z{j}" for j in range(k)], "name": [f"Z{j}" for j in range(k)]}
    )
    w = membership_weights(assignment, codes, zones["zone"])
    res = recompute(terr, zones, "population", weights=w)
    total = float(np.sum(pop))
    assert abs(res["value"].sum() - total) <= 1e-9 * max(total, 1e-12)
    golden = (
        pd.DataFrame({"zone": [f"z{a}" for a in assignment], "x": pop})
        .groupby("zone")["x"].sum()
        .reindex(zones["zone"], fill_value=0.0)
    )  # fmt: skip
    assert_allclose(res["value"].to_numpy(), golden.to_numpy(), rtol=1e-12, atol=1e-6)


@st.composite
def sparse_weights(draw):
    n = draw(st.integers(1, 25))
    k = draw(st.integers(1, 6))
    values = st.floats(0, 1, allow_nan=False).map(lambda v: 0.0 if v < 0.4 else v)
    dense = np.array(draw(st.lists(values, min_size=n * k, max_size=n * k))).reshape(
        n, k
    )
    methods = np.array(
        draw(st.lists(st.sampled_from([1, 2, 3]), min_size=n * k, max_size=n * k))
    ).reshape(n, k)
    # Counts are 0 or at least 1e-6: subnormal counts (~1e-322) carry too few
    # significant bits for any relative tolerance, whatever the summation order.
    counts = st.floats(0, 1e5).map(lambda v: 0.0 if v < 1e-6 else v)
    num = np.array(draw(st.lists(counts, min_size=n, max_size=n)))
    den = num + np.array(draw(st.lists(counts, min_size=n, max_size=n)))
    return dense, np.where(dense > 0, methods, 0), num, den


@settings(max_examples=50, deadline=None)
@given(sparse_weights())
def test_ratio_equals_sum_num_over_sum_den(data):
    """For any weights (overlapping, partial), ratio = s·Σ w n / Σ w d, and
    0 <= estimated_share <= 1."""
    dense, methods, num, den = data
    n, k = dense.shape
    codes = [f"u{i}" for i in range(n)]
    terr = pd.DataFrame({"code": codes, "P21_POP75P": num, "P21_POP": den})
    zones = pd.DataFrame({"zone": [f"z{j}" for j in range(k)], "name": "Z"})
    w = make_weights(dense, codes, zones["zone"], methods=methods)
    res = recompute(terr, zones, "share_75p", weights=w, check=False)
    sum_num, sum_den = dense.T @ num, dense.T @ den
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(sum_den != 0, 100 * sum_num / sum_den, np.nan)
    assert_allclose(res["value"].to_numpy(), expected, rtol=1e-10)
    assert_allclose(res["numerator"].to_numpy(), sum_num, rtol=1e-10, atol=1e-9)
    assert ((res["estimated_share"] >= 0) & (res["estimated_share"] <= 1)).all()
    only_exact = ~((methods > 1) & (dense > 0)).any(axis=0)
    assert (res.loc[only_exact, "method"] == "exact").all()
    check_ratios(res)


@settings(max_examples=50, deadline=None)
@given(partitions(), st.randoms(use_true_random=False))
def test_invariant_to_zone_order(data, rnd):
    """Permuting the zones (frame and weight columns) gives the same rows."""
    n, k, assignment, pop = data
    codes = [f"u{i:03d}" for i in range(n)]
    terr = pd.DataFrame(
        {"code": codes, "P21_POP": pop, "P21_POP75P": np.asarray(pop) / 10}
    )
    zones = pd.DataFrame(
        {"zone": [f"z{j}" for j in range(k)], "name": [f"Z{j}" for j in range(k)]}
    )
    w = membership_weights(assignment, codes, zones["zone"])
    perm = list(range(k))
    rnd.shuffle(perm)
    zones_p = zones.iloc[perm].reset_index(drop=True)
    inverse = np.argsort(perm)
    w_p = membership_weights([inverse[a] for a in assignment], codes, zones_p["zone"])
    a = recompute(terr, zones, ["population", "share_75p"], weights=w)
    b = recompute(terr, zones_p, ["population", "share_75p"], weights=w_p)
    key = ["zone", "indicator"]
    assert_frame_equal(
        a.sort_values(key, ignore_index=True), b.sort_values(key, ignore_index=True)
    )


def test_exact_methods_code_is_one():
    # the int8 codes this module relies on
    assert METHOD_CODES == {"exact": 1, "area": 2, "population": 3}
