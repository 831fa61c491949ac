"""One count shown by several indicators is one cell (bug: the same ALL_RSA
count under rsa_beneficiaries and rsa_share_of_allocataires was masked in
different zones, and B − A gave 3 households)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from territobs.catalog import default_catalog
from territobs.secrecy import apply_secrecy, audit, published
from territobs.secrecy._cells import count_family
from territobs.zoning.recompute import recompute
from territobs.zoning.weights import Weights


def _weights(units, zones):
    units = pd.Index(units)
    rows, cols, vals = [], [], []
    for j, members in enumerate(zones.values()):
        for unit, weight in members.items():
            rows.append(units.get_loc(unit))
            cols.append(j)
            vals.append(float(weight))
    shape = (len(units), len(zones))
    methods = np.where(np.array(vals) < 1, 2, 1).astype("int8")
    return Weights(
        sparse.csr_array((vals, (rows, cols)), shape=shape),
        sparse.csr_array((methods, (rows, cols)), shape=shape),
        units,
        pd.Index(list(zones)),
        "area",
    )


def _run(territory, zones, indicators):
    weights = _weights(territory["code"], zones)
    frame = pd.DataFrame({"zone": list(zones), "name": list(zones)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = recompute(territory, frame, indicators, weights=weights, check=False)
    return res, weights


def _shown(out, indicator, part):
    kept = out[~out["secret"] & (out["indicator"] == indicator)]
    return dict(zip(kept["zone"], kept[part], strict=True))


def test_count_family_names_the_component():
    cat = default_catalog()
    assert count_family("caf_allocataires", "count", "value", "2021", cat) == (
        count_family("rsa_share_of_allocataires", "share", "denominator", "2021", cat)
    )
    assert count_family("rsa_beneficiaries", "count", "value", "2021", cat) != (
        count_family("rsa_beneficiaries", "count", "value", "2022", cat)
    )
    # a numerator rebuilt from a published rate is not a component
    assert count_family("poverty_rate", "share", "numerator", "2021", cat)[0] == (
        "indicator"
    )


def test_reviewer_case_rsa_count_and_share_numerator():
    territory = pd.DataFrame(
        {
            "code": ["u1", "u2", "u3"],
            "NB_allocataires": [100.0, 60.0, np.nan],
            "ALL_RSA": [20.0, 30.0, 40.0],
            "NB_allocataires__secret": [False, False, True],
            "ALL_RSA__secret": False,
        }
    )
    zones = {
        "A": {"u1": 1, "u2": 0.9},
        "B": {"u1": 1, "u2": 1},
        "C": {"u1": 1, "u2": 1, "u3": 0.05},
    }
    res, weights = _run(
        territory, zones, ["rsa_beneficiaries", "rsa_share_of_allocataires"]
    )
    out = published(apply_secrecy(res, membership=weights))
    rsa = {}
    for zone, value in _shown(out, "rsa_beneficiaries", "value").items():
        rsa.setdefault(zone, set()).add(value)
    for zone, value in _shown(out, "rsa_share_of_allocataires", "numerator").items():
        rsa.setdefault(zone, set()).add(value)
    # each zone shows one RSA count at most, and no two nested zones differ by < 5
    assert all(len(v) == 1 for v in rsa.values())
    shown = {z: v.pop() for z, v in rsa.items()}
    for inner, outer in (("A", "B"), ("B", "C"), ("A", "C")):
        if inner in shown and outer in shown:
            assert shown[outer] - shown[inner] >= 5, (inner, outer)
    assert audit(out, membership=weights).empty


def test_masking_a_count_masks_every_row_showing_it():
    territory = pd.DataFrame(
        {
            "code": ["u1", "u2", "u3"],
            "NB_allocataires": [100.0, 10.0, 50.0],
            "ALL_RSA": [20.0, 3.0, 30.0],
        }
    )
    zones = {
        "A": {"u1": 1},
        "B": {"u1": 1, "u2": 1},
        "T": dict.fromkeys("u1 u2 u3".split(), 1),
    }
    indicators = ["rsa_beneficiaries", "caf_allocataires", "rsa_share_of_allocataires"]
    res, weights = _run(territory, zones, indicators)
    out = apply_secrecy(res, membership=weights)
    key = out.set_index(["zone", "indicator"])["secret"]
    for zone in zones:
        # the RSA count and the share (its numerator) are masked together
        assert key[zone, "rsa_beneficiaries"] <= key[zone, "rsa_share_of_allocataires"]
    assert key["A", "rsa_beneficiaries"] != key["B", "rsa_beneficiaries"]


def test_rows_that_disagree_on_a_count_are_kept_apart():
    """Two indicators claiming the same component but giving different values
    (a user's redefinition) are not merged: each is checked on its own."""
    nan = float("nan")
    res = pd.DataFrame(
        {
            "zone": ["A", "A"],
            "indicator": ["rsa_beneficiaries", "rsa_share_of_allocataires"],
            "kind": ["count", "share"],
            "value": [40.0, 5.0],
            "numerator": [40.0, 3.0],
            "denominator": [nan, 60.0],
            "vintage": "2021",
        }
    )
    out = apply_secrecy(res, "caf", differencing=False)
    assert out["secret"].tolist() == [False, True]


@pytest.mark.parametrize("indicator", ["rsa_beneficiaries"])
def test_public_figure_of_the_same_component_is_fixed(indicator):
    """A public count of ALL_RSA and our share's numerator are one cell."""
    nan = float("nan")
    res = pd.DataFrame(
        {
            "zone": ["A"],
            "indicator": ["rsa_share_of_allocataires"],
            "kind": ["share"],
            "value": [50.0],
            "numerator": [40.0],
            "denominator": [80.0],
            "vintage": "2021",
        }
    )
    public = pd.DataFrame(
        {
            "zone": ["B"],
            "indicator": [indicator],
            "kind": ["count"],
            "value": [42.0],
            "numerator": [42.0],
            "denominator": [nan],
            "vintage": "2021",
        }
    )
    out = apply_secrecy(
        res, "caf", membership={"A": ["a"], "B": ["a", "b"]}, public=public
    )
    assert out["secret"].item()


def test_a_count_masked_under_one_rule_is_not_published_under_advice():
    """The issue's case: the RSA share under the census fallback (advice only)
    published ``numerator = 3`` although the RSA count is masked under CAF."""
    territory = pd.DataFrame(
        {
            "code": ["u1", "u2"],
            "NB_allocataires": [40.0, 60.0],
            "ALL_RSA": [3.0, 20.0],
        }
    )
    zones = {"A": {"u1": 1.0}, "B": {"u2": 1.0}}
    res, weights = _run(
        territory, zones, ["rsa_beneficiaries", "rsa_share_of_allocataires"]
    )
    rules = {"rsa_beneficiaries": "caf", "rsa_share_of_allocataires": "rp"}
    out = apply_secrecy(res, rules, membership=weights)
    assert 3.0 not in _shown(out, "rsa_share_of_allocataires", "numerator").values()
    share = out[
        (out["zone"] == "A") & (out["indicator"] == "rsa_share_of_allocataires")
    ]
    assert share["secret"].item() and "règle « caf »" in share["secret_reason"].item()
