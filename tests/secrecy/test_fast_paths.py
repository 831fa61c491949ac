"""The attacker's shortcuts give the verdicts of the plain LP.

:func:`territobs.secrecy.attack.intervals` merges units no published figure
tells apart, warm-starts one simplex per component, proves cells protected
from feasible points already found, and proves cells disclosed from one
published figure (outer bounds), all without an LP of their own. Each
shortcut is checked here against a plain LP over the raw units
(:func:`scipy.optimize.linprog`, one from scratch per functional), on
random nested and overlapping zonings with cut units.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.optimize import linprog

from territobs.secrecy.attack import FamilyProblem, intervals, region_passes
from territobs.secrecy.suppression import passes

WIDTH = 5.0


@st.composite
def systems(draw):
    """Unit counts, zones (unit weights) and which zones are published."""
    n_units = draw(st.integers(3, 10))
    counts = np.array(
        draw(
            st.lists(
                st.sampled_from([0, 1, 2, 3, 4, 6, 9, 15, 40]),
                min_size=n_units,
                max_size=n_units,
            )
        ),
        dtype=float,
    )
    columns = [np.eye(n_units)[u] for u in range(n_units)]  # the units themselves
    groups = draw(st.lists(st.integers(0, 2), min_size=n_units, max_size=n_units))
    for g in range(3):  # a partition (EPCI-like)
        members = np.array([1.0 if k == g else 0.0 for k in groups])
        if members.any():
            columns.append(members)
    for _ in range(draw(st.integers(1, 4))):  # overlapping zones, some cut units
        members = draw(st.sets(st.integers(0, n_units - 1), min_size=1))
        vector = np.zeros(n_units)
        for u in members:
            vector[u] = draw(st.sampled_from([1.0, 1.0, 0.5]))
        columns.append(vector)
        if len(members) > 1 and draw(st.booleans()):  # nested: one unit less
            inner = vector.copy()
            inner[min(members)] = 0.0
            columns.append(inner)
    columns.append(np.ones(n_units))  # the total
    weights = np.column_stack(columns)
    published = np.array(
        draw(st.lists(st.booleans(), min_size=len(columns), max_size=len(columns)))
    )
    return counts, weights, published


def _plain_interval(objective, weights, counts, published):
    """Min and max of ``objective · x`` over x >= 0 with the published figures."""
    a_eq = weights[:, published].T
    b_eq = a_eq @ counts
    kwargs = {"bounds": (0, None), "method": "highs"}
    if published.any():
        kwargs.update(A_eq=a_eq, b_eq=b_eq)
    low = linprog(objective, **kwargs)
    high = linprog(-objective, **kwargs)
    assert low.status in (0, 3) and high.status in (0, 3)
    return (
        low.fun if low.status == 0 else -np.inf,
        -high.fun if high.status == 0 else np.inf,
    )


def _attack(counts, weights, published, certify):
    n_cells = weights.shape[1]
    problem = FamilyProblem(
        np.arange(n_cells), sparse.csc_array(weights), np.arange(len(counts))
    )
    values = weights.T @ counts
    return intervals(
        problem,
        values,
        values,
        published,
        ~published,
        np.full(n_cells, WIDTH),
        threshold=WIDTH,
        mask_zero=True,
        certify=certify,
    )


def _objective(key, interval, weights):
    if key >= 0:
        return weights[:, key]
    objective = np.zeros(weights.shape[0])
    objective[list(interval.units)] = 1.0
    return objective


def _verdict(key, low, high):
    from territobs.secrecy.attack import Interval

    interval = Interval(key, low, high)
    return passes(interval, WIDTH) if key >= 0 else region_passes(interval, WIDTH, True)


@pytest.mark.slow
@settings(max_examples=120, deadline=None)
@given(systems())
def test_shortcuts_match_the_plain_lp(system):
    counts, weights, published = system
    exact = _attack(counts, weights, published, certify=False)
    fast = _attack(counts, weights, published, certify=True)
    assert set(exact) == set(fast)
    for key, interval in exact.items():
        low, high = _plain_interval(
            _objective(key, interval, weights), weights, counts, published
        )
        # merged units, warm starts: the exact bounds of the plain LP
        assert interval.low == pytest.approx(low, abs=1e-6)
        assert interval.high == pytest.approx(high, abs=1e-6)
        # shortcuts: the same verdict, and bounds on the right side
        shortcut = fast[key]
        assert _verdict(key, shortcut.low, shortcut.high) == _verdict(key, low, high)
        if shortcut.exact:
            assert shortcut.low == pytest.approx(low, abs=1e-6)
            assert shortcut.high == pytest.approx(high, abs=1e-6)
        elif _verdict(key, low, high):  # proven wide: inside the true interval
            assert low - 1e-6 <= shortcut.low and shortcut.high <= high + 1e-6
        else:  # proven narrow: around the true interval
            assert shortcut.low <= low + 1e-6 and high <= shortcut.high + 1e-6


def test_a_unit_alone_in_a_published_zone_is_recovered_without_lp():
    # units 0, 1 masked; zone {0, 1} published; zone {1} published: unit 0 known
    weights = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 1.0]])
    counts = np.array([3.0, 40.0])
    published = np.array([False, False, True, True])
    fast = _attack(counts, weights, published, certify=True)
    assert fast[0].low == fast[0].high == pytest.approx(3.0)
    assert not fast[0].exact  # decided from the zone alone, not by an LP
    assert fast[0].binding[0] == 2  # the zone that gives it away
