"""Hypothesis property of the issue: nothing below the threshold is published
or recoverable by subtracting one published count from another whose zone
contains it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from territobs.secrecy import apply_secrecy, departement

THRESHOLD = 5


@st.composite
def territories(draw):
    n_units = draw(st.integers(6, 12))
    units = [f"u{i:02d}" for i in range(n_units)]
    counts = dict(
        zip(
            units,
            draw(st.lists(st.integers(0, 30), min_size=n_units, max_size=n_units)),
            strict=True,
        )
    )
    # communes: a random partition of the units into 2-3 groups
    n_communes = draw(st.integers(2, 3))
    labels = draw(
        st.lists(st.integers(0, n_communes - 1), min_size=n_units, max_size=n_units)
    )
    communes = {
        f"C{k}": [u for u, g in zip(units, labels, strict=True) if g == k]
        for k in range(n_communes)
    }
    communes = {k: v for k, v in communes.items() if v}
    zones = {}
    for i in range(draw(st.integers(1, 5))):
        members = draw(st.sets(st.sampled_from(units), min_size=1))
        zones[f"z{i}"] = sorted(members)
        if draw(st.booleans()):  # a nested zone: drop one unit
            smaller = sorted(members)[1:]
            if smaller:
                zones[f"z{i}n"] = smaller
    zones.update(communes)
    zones["T"] = units
    return counts, zones


def _published_counts(out, zones):
    kept = out[~out["secret"]]
    return {
        z: (set(zones[z]), v) for z, v in zip(kept["zone"], kept["value"], strict=True)
    }


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(territories(), st.booleans())
def test_no_published_or_differenced_count_is_below_the_threshold(
    make_counts, territory, mask_zero
):
    """For any zones over a territory of small units (with their communes and
    the territory total), after apply_secrecy: no published count x has
    0 < x < threshold (x < threshold when zeros are masked), and for any pair
    of published zones A ⊂ B (as unit sets, A ≠ B) the difference x_B − x_A
    is 0 or at least the threshold (≥ threshold when zeros are masked)."""
    counts, zones = territory
    res = make_counts(counts, zones)
    res = res.drop_duplicates("zone")
    rule = departement(THRESHOLD, mask_zero=mask_zero)
    out = apply_secrecy(res, rule, membership=zones)

    def disclosive(x):
        return x < THRESHOLD if mask_zero else 0 < x < THRESHOLD

    shown = _published_counts(out, zones)
    for zone, (_, value) in shown.items():
        assert not disclosive(value), zone
    for a, (units_a, value_a) in shown.items():
        for b, (units_b, value_b) in shown.items():
            if units_a < units_b:
                assert not disclosive(value_b - value_a), (a, b)
    # secret rows carry no figure
    assert out.loc[out["secret"], "value"].isna().all()
    # nothing is masked without a reason
    assert (out["secret_reason"] != "").eq(out["secret"]).all()
    assert np.isfinite(out.loc[~out["secret"], "value"]).all()


@st.composite
def caf_territories(draw):
    """Units with allocataires (sometimes blanked) and RSA households (RSA ≤
    allocataires), and zones with estimated weights, some nested by lowering
    one weight."""
    n_units = draw(st.integers(3, 6))
    units = [f"u{i}" for i in range(n_units)]
    data = {}
    for unit in units:
        allocataires = draw(st.integers(0, 60))
        rsa = draw(st.integers(0, allocataires))
        blank = draw(st.integers(0, 3)) == 0  # allocataires blanked by the CAF
        data[unit] = (float(allocataires), float(rsa), blank)
    share = st.sampled_from([1.0, 1.0, 0.9, 0.5, 0.1])
    zones = {}
    for i in range(draw(st.integers(1, 5))):
        members = draw(st.sets(st.sampled_from(units), min_size=1))
        zones[f"z{i}"] = {u: draw(share) for u in sorted(members)}
        if draw(st.booleans()):  # a nested zone: one weight lowered
            nested = dict(zones[f"z{i}"])
            unit = draw(st.sampled_from(sorted(nested)))
            nested[unit] = nested[unit] * draw(st.sampled_from([0.9, 0.5, 0.0]))
            zones[f"z{i}n"] = {u: w for u, w in nested.items() if w > 0}
    zones["T"] = dict.fromkeys(units, 1.0)
    return data, {z: m for z, m in zones.items() if m}


def _recompute_caf(data, zones, indicators):
    import warnings

    import pandas as pd
    from scipy import sparse

    from territobs.zoning.recompute import recompute
    from territobs.zoning.weights import Weights

    territory = pd.DataFrame(
        {
            "code": list(data),
            "NB_allocataires": [np.nan if b else a for a, _, b in data.values()],
            "NB_allocataires__secret": [b for _, _, b in data.values()],
            "ALL_RSA": [r for _, r, _ in data.values()],
        }
    )
    units = pd.Index(territory["code"])
    rows, cols, vals = [], [], []
    for j, members in enumerate(zones.values()):
        for unit, weight in members.items():
            rows.append(units.get_loc(unit))
            cols.append(j)
            vals.append(weight)
    shape = (len(units), len(zones))
    matrix = sparse.csr_array((vals, (rows, cols)), shape=shape)
    methods = sparse.csr_array(
        (np.where(np.array(vals) < 1, 2, 1).astype("int8"), (rows, cols)), shape=shape
    )
    weights = Weights(matrix, methods, units, pd.Index(list(zones)), "area")
    frame = pd.DataFrame({"zone": list(zones), "name": list(zones)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = recompute(territory, frame, indicators, weights=weights, check=False)
    return res, weights


#: The reviewer's case: u3's allocataires blanked, A ⊂ B ⊂ C by area weights.
REVIEWER_CASE = (
    {"u1": (100.0, 20.0, False), "u2": (60.0, 30.0, False), "u3": (0.0, 40.0, True)},
    {
        "A": {"u1": 1.0, "u2": 0.9},
        "B": {"u1": 1.0, "u2": 1.0},
        "C": {"u1": 1.0, "u2": 1.0, "u3": 0.05},
    },
)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@example(REVIEWER_CASE)
@given(caf_territories())
def test_a_count_shown_by_two_indicators_is_masked_consistently(territory):
    """rsa_beneficiaries is ALL_RSA, the numerator of rsa_share_of_allocataires
    too; caf_allocataires is its denominator. Whatever row shows a count, no
    published count is below 5 (CAF masks zeros) and no published count of a
    zone subtracted from a published count of a zone containing it is."""
    data, zones = territory
    indicators = ["rsa_beneficiaries", "caf_allocataires", "rsa_share_of_allocataires"]
    res, weights = _recompute_caf(data, zones, indicators)
    out = apply_secrecy(res, membership=weights)  # catalogue rules (caf)
    shown = {"ALL_RSA": {}, "NB_allocataires": {}}
    for row in out[~out["secret"]].itertuples():
        if row.indicator == "rsa_beneficiaries":
            shown["ALL_RSA"].setdefault(row.zone, set()).add(row.value)
        elif row.indicator == "caf_allocataires":
            shown["NB_allocataires"].setdefault(row.zone, set()).add(row.value)
        else:
            shown["ALL_RSA"].setdefault(row.zone, set()).add(row.numerator)
            shown["NB_allocataires"].setdefault(row.zone, set()).add(row.denominator)
    units = list(data)
    vector = {z: np.array([m.get(u, 0.0) for u in units]) for z, m in zones.items()}
    for variable, by_zone in shown.items():
        for zone, values in by_zone.items():
            assert all(v >= THRESHOLD - 1e-9 for v in values), (variable, zone)
        for a, values_a in by_zone.items():
            for b, values_b in by_zone.items():
                nested = np.all(vector[a] <= vector[b] + 1e-12)
                if a == b or not nested or np.allclose(vector[a], vector[b]):
                    continue
                for x_a in values_a:
                    for x_b in values_b:
                        assert x_b - x_a >= THRESHOLD - 1e-9, (variable, a, b)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(territories(), st.data())
def test_published_bounds_do_not_disclose_by_difference(make_counts, territory, data):
    """Units blanked by the producer (true value 0-4) enter every zone with
    their weight: published bounds of nested zones A ⊂ B give the difference
    x_B − x_A in [lower_B − lower_A, upper_B − upper_A]. That interval is
    never wholly disclosive (0 < d < 5 with CAF's zeros: d < 5)."""
    counts, zones = territory
    blanked = data.draw(st.sets(st.sampled_from(sorted(counts)), max_size=3))
    counts = {u: (min(c, 4) if u in blanked else c) for u, c in counts.items()}
    res = make_counts(counts, zones, masked=sorted(blanked))
    res = res.drop_duplicates("zone")
    rule = departement(THRESHOLD, mask_zero=True)
    out = apply_secrecy(res, rule, membership=zones, publish_bounds=True)
    shown = {}
    for row in out[~out["secret"]].itertuples():
        lo = row.lower if row.incomplete else row.value
        hi = row.upper if row.incomplete else row.value
        shown[row.zone] = (set(zones[row.zone]), hi)
        assert lo >= THRESHOLD, row.zone
    for a, (units_a, hi_a) in shown.items():
        for b, (units_b, hi_b) in shown.items():
            if units_a < units_b:  # zeros are disclosive: d < 5 whatever lower
                assert hi_b - hi_a >= THRESHOLD - 1e-9, (a, b)
