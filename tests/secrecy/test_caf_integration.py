"""CAF-format fixture → read_caf → recompute → apply_secrecy (the whole chain)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from territobs.io.caf import read_caf, split_pseudo
from territobs.secrecy import apply_secrecy, audit, published
from territobs.zoning.recompute import recompute
from territobs.zoning.weights import Weights

FIXTURE = Path(__file__).parents[1] / "data" / "caf_secret" / "RSACom2021.csv"

# Zones drawn by hand over Ain communes: weights are shares of each commune.
ZONES = {
    "bourg": {"01004": 1.0, "01007": 1.0},
    "hameaux": {"01001": 1.0, "01002": 1.0, "01006": 1.0},
    "rues": {"01008": 0.1},  # a few streets of Ambutrix: the deliberately tiny zone
    "est": {"01005": 1.0, "01008": 0.9},
    "est_plus": {"01005": 1.0, "01008": 1.0},  # differs from "est" by a sliver
}


def _weights(units: pd.Index) -> Weights:
    rows, cols, values, methods = [], [], [], []
    for j, members in enumerate(ZONES.values()):
        for unit, weight in members.items():
            rows.append(units.get_loc(unit))
            cols.append(j)
            values.append(weight)
            methods.append(1 if weight == 1 else 2)
    shape = (len(units), len(ZONES))
    return Weights(
        sparse.csr_array((values, (rows, cols)), shape=shape),
        sparse.csr_array((np.array(methods, dtype="int8"), (rows, cols)), shape=shape),
        units,
        pd.Index(list(ZONES)),
        "area",
    )


@pytest.fixture(scope="module")
def chain():
    communes, _ = split_pseudo(read_caf(FIXTURE))
    zones = pd.DataFrame(
        {"zone": list(ZONES), "name": [z.replace("_", " ").title() for z in ZONES]}
    )
    weights = _weights(pd.Index(communes["code"]))
    result = recompute(
        communes,
        zones,
        ["rsa_beneficiaries", "caf_allocataires"],
        weights=weights,
        check=False,
    )
    return result, weights


def _row(frame, zone, indicator="rsa_beneficiaries"):
    return frame[(frame["zone"] == zone) & (frame["indicator"] == indicator)].iloc[0]


def test_blank_cells_stay_masked_through_aggregation(chain):
    result, weights = chain
    out = apply_secrecy(result, membership=weights)  # rules from the catalogue
    hameaux = _row(out, "hameaux")
    assert hameaux["secret"] and hameaux["secret_reason"].startswith("input: ")
    assert "3 unités masquées" in hameaux["secret_reason"]


def test_the_tiny_zone_is_masked_with_a_reason(chain):
    result, weights = chain
    out = apply_secrecy(result, membership=weights)
    rues = _row(out, "rues")
    assert rues["secret"] and np.isnan(rues["value"])
    assert rues["secret_reason"] == (
        "primary: moins de 5 allocataires (« rsa_beneficiaries », règle « caf »)"
    )


def test_the_nested_pair_is_caught(chain):
    result, weights = chain
    out = apply_secrecy(result, membership=weights)
    est, est_plus = _row(out, "est"), _row(out, "est_plus")
    # one of the pair is masked for the difference (a sliver of Ambutrix);
    # the other then pins it within less than 5: it is masked to protect it
    assert est["secret"] and est_plus["secret"]
    reasons = {est["secret_reason"], est_plus["secret_reason"]}
    assert any("sinon « Est Plus » − « Est »" in r for r in reasons), reasons
    assert any("secondary: secret secondaire, protège «" in r for r in reasons)
    # the allocataires differ by 8.4 ≥ 5: nothing to mask there
    assert not _row(out, "est", "caf_allocataires")["secret"]


def test_bounds_on_request(chain):
    result, weights = chain
    out = apply_secrecy(result, membership=weights, publish_bounds=True)
    alloc = _row(out, "hameaux", "caf_allocataires")  # 61 + 17 known, one blank
    assert not alloc["secret"]
    assert (alloc["lower"], alloc["upper"]) == (78.0, 82.0)


def test_the_secured_result_passes_the_audit(chain):
    result, weights = chain
    out = published(apply_secrecy(result, membership=weights))
    assert audit(out, membership=weights).empty
    assert not audit(result, membership=weights).empty
