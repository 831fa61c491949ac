"""Evolution through the one publication path (secrecy across vintages)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from territobs.publish import publish
from territobs.secrecy.rules import departement
from territobs.zoning.evolution import evolution
from territobs.zoning.recompute import recompute
from territobs.zoning.weights import build_weights
from territobs.zoning.zones import zones_from_members

CODES = ["a", "b", "c", "d", "e", "f"]
MEMBERS = {"z1": ["a", "b"], "z2": ["c"], "z3": ["d", "e", "f"]}


def _vintages(start_counts, end_counts):
    return {
        2019: pd.DataFrame({"code": CODES, "ALL_RSA": np.asarray(start_counts, float)}),
        2023: pd.DataFrame({"code": CODES, "ALL_RSA": np.asarray(end_counts, float)}),
    }


def _evolution(tables, **kwds):
    zones = zones_from_members(MEMBERS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return evolution(
            tables, zones, "rsa_beneficiaries", start=2019, end=2023, **kwds
        ).set_index("zone")


def test_caf_count_masked_at_start_masks_the_change():
    # z2 has 3 RSA households in 2019: under the CAF threshold of 5
    tables = _vintages([20, 30, 3, 10, 10, 10], [25, 30, 40, 12, 10, 10])
    ev = _evolution(tables, publish=True)
    assert ev.loc["z2", "state"] == "secret"
    assert ev.loc["z2", "secret"]
    assert "début" in ev.loc["z2", "secret_reason"]
    # neither end nor the change is given: 40 - change would give 3 back
    assert ev.loc[["z2"], ["value_start", "value_end", "change"]].isna().all(axis=None)
    assert ev.loc["z1", "change"] == 5.0
    assert ev.loc["z3", "value_end"] == 32.0
    assert ev.loc["z1", "state"] == "value"
    # without the publication path nothing is masked
    raw = _evolution(tables)
    assert raw.loc["z2", "change"] == 37.0


def test_given_rules_are_applied_at_both_ends():
    # a stricter departmental rule (threshold 35) masks z3 at the end
    tables = _vintages([20, 30, 40, 30, 30, 30], [25, 30, 40, 12, 10, 10])
    ev = _evolution(tables, rules=departement(35, id="cd"))
    assert ev.loc["z3", "state"] == "secret"
    assert "fin" in ev.loc["z3", "secret_reason"]
    assert np.isnan(ev.loc["z3", "value_start"])
    assert ev.loc["z2", "change"] == 0.0


@settings(max_examples=12, deadline=None)
@given(
    start=st.lists(st.integers(0, 12), min_size=6, max_size=6),
    end=st.lists(st.integers(0, 12), min_size=6, max_size=6),
)
def test_a_change_never_reveals_a_masked_end(start, end):
    tables = _vintages(start, end)
    ev = _evolution(tables, publish=True)
    zones = zones_from_members(MEMBERS)
    weights = build_weights(tables[2019], zones, method="exact")
    for year, column in ((2019, "value_start"), (2023, "value_end")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            alone = publish(
                recompute(tables[year], zones, "rsa_beneficiaries", weights=weights),
                weights=weights,
            ).set_index("zone")
        masked = alone.index[alone["state"] == "secret"]
        # an end masked when published alone is masked in the evolution, and
        # so is the change (which with the other end would give it back)
        assert ev.loc[masked, [column, "change"]].isna().all(axis=None)
        assert ev.loc[masked, "secret"].all()
    shown = ev["change"].notna()
    np.testing.assert_allclose(
        ev.loc[shown, "change"],
        ev.loc[shown, "value_end"] - ev.loc[shown, "value_start"],
    )


def test_governing_count_at_one_end_only_keeps_masking_there():
    # AAH governed by the RSA count: given in 2019, absent in 2023
    start = pd.DataFrame(
        {"code": CODES, "ALL_AAH": [20.0] * 6, "ALL_RSA": [10, 10, 2, 10, 10, 10.0]}
    )
    end = pd.DataFrame({"code": CODES, "ALL_AAH": [30.0] * 6})
    rule = departement(5, id="cd", governing="rsa_beneficiaries")
    zones = zones_from_members(MEMBERS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = evolution(
            {2019: start, 2023: end}, zones, "aah_beneficiaries",
            start=2019, end=2023, rules={"*": rule},
        ).set_index("zone")  # fmt: skip
    # z2 has 2 RSA households in 2019: its AAH count is masked at the start,
    # so the change is masked too
    assert ev.loc["z2", "state"] == "secret"
    assert np.isnan(ev.loc["z2", "change"])
    assert ev.loc["z1", "change"] == 20.0


def test_nested_zonings_published_together_cannot_be_differenced():
    from territobs.zoning.evolution import evolutions

    # f has 3 RSA households in 2019; « est » = e + f and e alone are both
    # published: est - e would give f back unless one of them is masked
    tables = _vintages([20, 30, 10, 10, 10, 3], [25, 30, 40, 12, 10, 10])
    units = zones_from_members({c: [c] for c in CODES})
    grand = zones_from_members({"ouest": ["a", "b", "c", "d"], "est": ["e", "f"]})
    zonings = {
        name: (zones, build_weights(tables[2019], zones, method="exact"))
        for name, zones in (("units", units), ("grand", grand))
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = evolutions(
            tables, zonings, "rsa_beneficiaries", start=2019, end=2023, publish=True
        )
    units_ev = out["units"].set_index("zone")
    grand_ev = out["grand"].set_index("zone")
    assert units_ev.loc["f", "state"] == "secret"
    est_shown = not np.isnan(grand_ev.loc["est", "value_start"])
    e_shown = not np.isnan(units_ev.loc["e", "value_start"])
    assert not (est_shown and e_shown)
    assert np.isnan(grand_ev.loc["est", "change"]) or np.isnan(
        units_ev.loc["e", "change"]
    )
    assert grand_ev.loc["ouest", "change"] == 37.0
