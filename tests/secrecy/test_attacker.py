"""An attacker written here, independently of territobs' own model.

The attacker sees the published table and the zones' units (and weights).
Its unknowns are the units' counts, nonnegative; every published count is an
equality. For each masked count it solves two LPs (min and max of the
masked zone's count). After :func:`apply_secrecy`, every masked count must
keep an interval at least as wide as its protection width (the threshold
here), so never be recovered exactly; and no unit's count can be pinned
below the threshold either.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from territobs.secrecy import apply_secrecy, departement, published

THRESHOLD = 5.0


def attacker_interval(objective, a_eq, b_eq):
    """Min and max of ``objective · x`` for x ≥ 0 with ``a_eq x = b_eq``."""
    kwargs = {"bounds": (0, None), "method": "highs"}
    if len(b_eq):
        kwargs.update(A_eq=np.asarray(a_eq), b_eq=np.asarray(b_eq))
    low = linprog(objective, **kwargs)
    high = linprog(-np.asarray(objective), **kwargs)
    assert low.status in (0, 3) and high.status in (0, 3), (low.message, high.message)
    lo = low.fun if low.status == 0 else -np.inf
    hi = -high.fun if high.status == 0 else np.inf
    return lo, hi


def attack(out: pd.DataFrame, zones: dict, units: list[str]):
    """Yield ``(zone, low, high)`` for every masked zone, then for every unit."""
    vectors = {
        z: np.array([members.get(u, 0.0) for u in units])
        for z, members in zones.items()
    }
    shown = out[~out["secret"]]
    a_eq = [vectors[z] for z in shown["zone"]]
    b_eq = list(shown["value"])
    for zone in out.loc[out["secret"], "zone"]:
        yield (zone, *attacker_interval(vectors[zone], a_eq, b_eq))
    for i, unit in enumerate(units):
        yield (unit, *attacker_interval(np.eye(len(units))[i], a_eq, b_eq))


@st.composite
def territories(draw):
    """Small units, communes, overlapping and nested zones, cut units, a total."""
    n_units = draw(st.integers(4, 9))
    units = [f"u{i}" for i in range(n_units)]
    counts = {
        u: float(draw(st.sampled_from([0, 1, 2, 3, 4, 6, 9, 15, 40]))) for u in units
    }
    labels = draw(st.lists(st.integers(0, 2), min_size=n_units, max_size=n_units))
    zones: dict[str, dict[str, float]] = {}
    for k in range(3):
        members = {u: 1.0 for u, g in zip(units, labels, strict=True) if g == k}
        if members:
            zones[f"C{k}"] = members
    for i in range(draw(st.integers(1, 4))):
        members = sorted(draw(st.sets(st.sampled_from(units), min_size=1)))
        weights = {u: draw(st.sampled_from([1.0, 1.0, 1.0, 0.5])) for u in members}
        zones[f"z{i}"] = weights
        if len(members) > 1 and draw(st.booleans()):  # nested: one unit less
            zones[f"z{i}n"] = {u: w for u, w in weights.items() if u != members[0]}
    zones["T"] = dict.fromkeys(units, 1.0)
    return counts, zones


def _result(counts, zones) -> pd.DataFrame:
    rows = []
    for zone, members in zones.items():
        value = sum(w * counts[u] for u, w in members.items())
        rows.append(
            {
                "zone": zone,
                "indicator": "rsa",
                "kind": "count",
                "value": value,
                "numerator": value,
                "denominator": np.nan,
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(territories(), st.booleans())
def test_no_linear_combination_recovers_or_narrows_a_masked_count(territory, zeros):
    counts, zones = territory
    rule = departement(THRESHOLD, mask_zero=zeros)
    out = apply_secrecy(_result(counts, zones), rule, membership=zones)
    units = list(counts)
    masked = set(out.loc[out["secret"], "zone"])
    tol = 1e-6
    for name, low, high in attack(out, zones, units):
        if name in masked:
            assert high - low >= THRESHOLD - tol, (name, low, high)  # protected
        else:  # a unit: its count is never pinned below the threshold
            surely_small = high < THRESHOLD - tol and (low > tol or zeros)
            assert not surely_small, (name, low, high)
    # what is published is not below the threshold either
    shown = out.loc[~out["secret"], "value"]
    small = shown < THRESHOLD if zeros else (shown > 0) & (shown < THRESHOLD)
    assert not small.any()


def test_the_total_minus_the_others_is_caught():
    """The issue's attack: a masked commune = département − Σ other communes."""
    counts = {f"c{i}": float(v) for i, v in enumerate([3, 40, 55, 60, 70])}
    zones = {u: {u: 1.0} for u in counts} | {"D": dict.fromkeys(counts, 1.0)}
    out = apply_secrecy(_result(counts, zones), departement(5), membership=zones)
    assert out.set_index("zone").loc["c0", "secret"]
    assert out["secret"].sum() == 2  # and the smallest other commune
    assert out.set_index("zone").loc["c1", "secret"]
    for name, low, high in attack(out, zones, list(counts)):
        if name in ("c0", "c1"):
            assert high - low >= THRESHOLD
    assert out.attrs["secrecy"]["cells_failing"] == 0
    assert out.attrs["secrecy"]["secondary"] == 1


def test_the_published_view_carries_no_sum_of_masked_values(tmp_path):
    """With one secondary cell, its value is the audit's persons masked.

    The audit keeps that figure for the producer; the safe view drops it from
    ``attrs``, which pandas writes into Parquet files.
    """
    counts = {f"c{i}": float(v) for i, v in enumerate([3, 40, 55, 60, 70])}
    zones = {u: {u: 1.0} for u in counts} | {"D": dict.fromkeys(counts, 1.0)}
    out = apply_secrecy(_result(counts, zones), departement(5), membership=zones)
    assert out.attrs["secrecy"]["persons_masked_secondary"] == 40.0  # c1
    view = published(out)
    assert "persons_masked_secondary" not in view.attrs["secrecy"]
    assert view.attrs["secrecy"]["secondary"] == 1  # the counts stay
    view.to_parquet(tmp_path / "published.parquet")
    raw = (tmp_path / "published.parquet").read_bytes()
    assert b"persons_masked_secondary" not in raw and b"40.0" not in raw


def test_a_lone_masked_commune_between_two_published_zones_is_caught():
    """z0 − z0n is exactly commune c7 (60, masked as secondary): c7 alone in
    its group of indistinguishable units cannot be proven safe by moving
    counts around (regression of the leak benchmark, seed 5)."""
    counts = {"c0": 4.0, "c1": 6.0, "c2": 60.0, "c3": 20.0, "c4": 0.0}
    counts |= {"c5": 12.0, "c6": 3.0, "c7": 60.0, "c8": 0.0}
    zones = {u: {u: 1.0} for u in counts}
    zones["epci1"] = dict.fromkeys(["c0", "c1", "c2"], 1.0)
    zones["epci2"] = dict.fromkeys(["c3", "c4", "c5", "c6", "c7", "c8"], 1.0)
    inner = {"c3": 0.5, "c8": 1.0, "c4": 1.0, "c0": 0.5, "c1": 1.0, "c5": 1.0}
    zones["z0"] = {"c7": 1.0, **inner}
    zones["z0n"] = inner
    zones["T"] = dict.fromkeys(counts, 1.0)
    rule = departement(THRESHOLD, mask_zero=True)
    out = apply_secrecy(_result(counts, zones), rule, membership=zones)
    masked = set(out.loc[out["secret"], "zone"])
    for name, low, high in attack(out, zones, list(counts)):
        if name in masked:
            assert high - low >= THRESHOLD - 1e-6, (name, low, high)
