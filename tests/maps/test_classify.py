from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from territobs.maps.classify import SCHEMES, classify, fisher_jenks_bins
from territobs.maps.legend import NBSP
from territobs.maps.palettes import diverging_colors, sequential_colors

VALUES = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, np.nan])


@pytest.mark.parametrize("scheme", ["quantiles", "fisher_jenks", "equal_interval"])
def test_schemes_ignore_missing_values(scheme):
    classes = classify(VALUES, scheme, k=5)
    assert classes.k == 5
    assert classes.edges[0] == 1.0
    assert classes.edges[-1] == 10.0
    klass = classes.assign(VALUES)
    assert klass[-1] == -1
    assert_array_equal(np.sort(np.unique(klass[:-1])), np.arange(5))


def test_equal_interval_edges_and_french_labels():
    classes = classify([0.0, 10.0, 20.0], "equal_interval", k=2, unit="%")
    assert classes.edges == (0.0, 10.0, 20.0)
    assert classes.labels == (f"de 0,0 à 10,0{NBSP}%", f"de 10,0 à 20,0{NBSP}%")
    assert_array_equal(classes.assign([0.0, 10.0, 10.5, 20.0]), [0, 0, 1, 1])


@pytest.mark.parametrize("scheme", ["quantiles", "fisher_jenks", "equal_interval"])
def test_fewer_distinct_values_than_classes(scheme):
    classes = classify([1.0, 1.0, 2.0, 2.0, 2.0], scheme, k=5, decimals=0)
    assert classes.k == 2
    assert classes.labels == ("1", "2")
    assert_array_equal(classes.assign([1.0, 2.0]), [0, 1])


def test_all_missing_values_do_not_crash():
    classes = classify([np.nan, np.nan], k=5)
    assert classes.k == 0  # no class: secret and missing have their own entries


def test_manual_breaks_and_sharing():
    classes = classify([1.0, 15.0, 29.0], breaks=[0, 10, 20, 30], unit="€", decimals=0)
    assert classes.scheme == "manual"
    assert classes.k == 3
    other = classes.cover([-5.0, 50.0])
    assert other.edges == (-math.inf, 10.0, 20.0, math.inf)
    assert other.labels[0] == f"moins de 10{NBSP}€"
    assert other.labels[-1] == f"20{NBSP}€ et plus"
    assert other.colors == classes.colors
    assert_array_equal(other.assign([-5.0, 15.0, 50.0]), [0, 1, 2])


def test_bad_inputs_name_the_allowed_values():
    with pytest.raises(ValueError, match="fisher_jenks"):
        classify(VALUES, "natural_breaks")
    with pytest.raises(ValueError, match="croissants"):
        classify(VALUES, breaks=[10, 5])
    with pytest.raises(ValueError, match="breaks"):
        classify(VALUES, "manual")


def test_reference_splits_classes_and_diverges():
    classes = classify(VALUES, "equal_interval", k=3, reference=5.0)
    assert 5.0 in classes.edges
    n_below = sum(1 for e in classes.edges[1:] if e <= 5.0)
    expected = diverging_colors("PuOr", n_below, classes.k - n_below)
    assert classes.colors == tuple(expected)


def test_palettes_are_distinct_and_validated():
    colors = sequential_colors("YlGnBu", 7)
    assert len(set(colors)) == 7
    with pytest.raises(ValueError, match="YlGnBu"):
        sequential_colors("jet", 5)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60),
    st.sampled_from([s for s in SCHEMES if s != "manual"]),
    st.integers(1, 9),
)
def test_every_value_gets_a_class_within_its_edges(values, scheme, k):
    """Invariant: each value falls in exactly one class whose edges contain it,
    and there are never more classes than distinct values or than k (+1 for the
    reference split, unused here)."""
    classes = classify(values, scheme, k=k)
    arr = np.asarray(values)
    klass = classes.assign(arr)
    assert classes.k <= min(k, len(np.unique(arr)))
    assert len(classes.labels) == len(classes.colors) == classes.k
    edges = np.asarray(classes.edges)
    assert np.all(klass >= 0) and np.all(klass < classes.k)
    assert np.all(arr >= edges[klass] - 1e-9 * (1 + abs(arr)))
    assert np.all(arr <= edges[klass + 1] + 1e-9 * (1 + abs(arr)))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(0, 1000, allow_nan=False), min_size=8, max_size=80),
    st.integers(2, 6),
)
def test_fisher_jenks_matches_mapclassify(values, k):
    """Invariant: the vectorised Fisher-Jenks finds mapclassify's optimum
    (same total squared deviation; the breaks when the optimum is unique)."""
    import warnings

    import mapclassify

    arr = np.asarray(values)
    if np.unique(arr).size <= k:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = mapclassify.FisherJenks(arr, k=k)
    ours = fisher_jenks_bins(arr, k)

    def ssd(bins):
        klass = np.searchsorted(np.asarray(bins), arr, side="left")
        return sum(
            ((arr[klass == c] - arr[klass == c].mean()) ** 2).sum() for c in set(klass)
        )

    assert ssd(ours) == pytest.approx(ssd(expected.bins), rel=1e-9, abs=1e-9)


def test_fisher_jenks_is_fast_and_deterministic_on_national_data():
    """~35,000 communes: mapclassify's pure-Python Fisher-Jenks would take
    hours without numba; ours groups the sorted values (2,000 groups)."""
    import time

    values = np.random.default_rng(0).gamma(2.0, 5.0, 35_000)
    start = time.perf_counter()
    classes = classify(values, "fisher_jenks", k=5)
    assert time.perf_counter() - start < 5
    assert classes.k == 5
    assert classify(values, "fisher_jenks", k=5) == classes
    # the grouping moves breaks by at most a group's width (1/2000 of values)
    exact = fisher_jenks_bins(values[:3000], 5, max_groups=10_000)
    sketch = fisher_jenks_bins(values[:3000], 5, max_groups=500)
    ranks = np.searchsorted(np.sort(values[:3000]), [exact[:-1], sketch[:-1]])
    assert np.all(np.abs(ranks[0] - ranks[1]) <= 3000 / 500 * 2)


def test_nothing_to_classify_gives_no_class():
    """Every zone secret or missing: the legend shows no phantom « 0,0 » class."""
    import numpy as np

    from territobs.maps import classify

    classes = classify(np.array([np.nan, np.nan]), "quantiles", 5, unit="%")
    assert classes.k == 0 and classes.labels == ()


def test_breaks_that_round_alike_get_one_more_decimal():
    # 5.46 and 5.54 both read « 5,5 » at one decimal: the legend would show
    # « de 5,5 à 5,5 ». One more digit makes every class readable.
    c = classify([5.4, 5.5, 11.0], breaks=[5.4, 5.46, 5.54, 11.0], unit="%")
    assert c.decimals == 2
    assert c.labels[1] == f"de 5,46 à 5,54{NBSP}%"
    assert len(set(c.labels)) == c.k


def test_edges_that_print_alike_half_up_get_a_digit_more():
    """0.15 and 0.151 both read « 0,2 » (half up), though round(0.15, 1) is 0.1.

    Found by hypothesis: the quantile classes of [0.15, 0.151] read
    « 0,2 » and « 0,2 ».
    """
    c = classify([0.15, 0.151], "quantiles", k=2)
    assert len(set(c.labels)) == len(c.labels) == 2
    assert c.decimals == 3


@settings(max_examples=200, deadline=None)
@given(
    # published figures carry at most 3 decimals (rates like 12,345 %)
    st.lists(st.integers(min_value=-(10**7), max_value=10**7), min_size=2, max_size=60),
    st.sampled_from(["quantiles", "fisher_jenks", "equal_interval"]),
    st.integers(min_value=1, max_value=7),
)
def test_every_legend_label_is_distinct(thousandths, scheme, k):
    c = classify([t / 1000 for t in thousandths], scheme, k=k)
    assert len(set(c.labels)) == len(c.labels)
