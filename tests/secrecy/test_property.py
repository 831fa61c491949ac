"""Hypothesis property of the issue: nothing below the threshold is published
or recoverable by subtracting one published count from another whose zone
contains it."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
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
