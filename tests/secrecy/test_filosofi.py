"""Filosofi secrecy with the default catalogue: the governing count
``fiscal_households`` is a catalogue indicator, and any row showing the
fiscal households component (a share of households) provides it."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from territobs.errors import SecrecyError
from territobs.secrecy import apply_secrecy, governing_counts
from territobs.zoning.recompute import recompute
from territobs.zoning.weights import Weights

# zone A = u1 (8 households), T = u1 + u2
TERRITORY = pd.DataFrame(
    {
        "code": ["u1", "u2"],
        "TP6021": [20.0, 10.0],
        "NBPERSMENFISC21": [30.0, 200.0],
        "NBMENFISC21": [8.0, 90.0],
    }
)
MATRIX = sparse.csr_array(np.array([[1.0, 1.0], [0.0, 1.0]]))
WEIGHTS = Weights(
    MATRIX,
    sparse.csr_array(MATRIX.astype("int8")),
    pd.Index(TERRITORY["code"]),
    pd.Index(["A", "T"]),
    "exact",
)
ZONES = pd.DataFrame({"zone": ["A", "T"], "name": ["A", "T"]})


def _recompute(territory, indicators):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return recompute(territory, ZONES, indicators, weights=WEIGHTS, check=False)


def test_governing_counts_lists_fiscal_households():
    assert governing_counts(["poverty_rate"]) == ["fiscal_households"]
    assert governing_counts(["poverty_rate", "fiscal_households"]) == []
    assert governing_counts(["rsa_beneficiaries"]) == []


def test_poverty_rate_with_its_governing_count_and_catalogue_rules():
    indicators = ["poverty_rate", *governing_counts(["poverty_rate"])]
    res = _recompute(TERRITORY, indicators)
    out = apply_secrecy(res, membership=WEIGHTS)
    secret = out.set_index(["zone", "indicator"])["secret"]
    assert secret["A", "poverty_rate"] and secret["A", "fiscal_households"]
    assert not secret["T", "poverty_rate"]
    assert "moins de 11 ménages fiscaux" in out["secret_reason"][0]


def test_missing_governing_count_says_what_to_recompute():
    res = _recompute(TERRITORY, ["poverty_rate"])
    with pytest.raises(SecrecyError, match="Recalculez aussi « fiscal_households »"):
        apply_secrecy(res, membership=WEIGHTS)


def test_a_share_of_households_carries_its_own_governing_count():
    """poor_households_share = Men_pauv / Men: Men is the fiscal households
    component, so no separate fiscal_households row is needed."""
    grid = pd.DataFrame(
        {"code": ["u1", "u2"], "Men_pauv": [2.0, 30.0], "Men": [8.0, 90.0]}
    )
    res = _recompute(grid, ["poor_households_share"])
    out = apply_secrecy(res, membership=WEIGHTS)
    assert out["secret"].tolist() == [True, False]
