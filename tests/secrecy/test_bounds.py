"""Bounds of incomplete counts: only producer blanks are bounded."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import sparse

from territobs.secrecy import apply_secrecy, published
from territobs.zoning.recompute import recompute
from territobs.zoning.weights import Weights


def _run(territory, zones, **kwds):
    units = pd.Index(territory["code"])
    rows, cols = [], []
    for j, members in enumerate(zones.values()):
        for unit in members:
            rows.append(units.get_loc(unit))
            cols.append(j)
    shape = (len(units), len(zones))
    matrix = sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=shape)
    weights = Weights(
        matrix,
        sparse.csr_array(matrix.astype("int8")),
        units,
        pd.Index(list(zones)),
        "exact",
    )
    frame = pd.DataFrame({"zone": list(zones), "name": list(zones)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = recompute(territory, frame, ["rsa_beneficiaries"], weights=weights)
    out = apply_secrecy(res, membership=weights, publish_bounds=True, **kwds)
    return res, published(out).set_index("zone")


def test_missing_input_is_not_bounded_like_a_producer_blank():
    """Commune n is absent from the CAF file (NaN, no flag): it may hold any
    number of households, so Z gets no bound and says why."""
    territory = pd.DataFrame(
        {"code": ["a", "n"], "ALL_RSA": [50.0, np.nan], "ALL_RSA__secret": False}
    )
    res, out = _run(territory, {"Z": ["a", "n"]})
    assert res["missing_units"].item() == 1.0
    assert out.loc["Z", "secret"]
    assert np.isnan(out.loc["Z", "upper"])
    assert "donnée manquante pour 1 unité" in out.loc["Z", "secret_reason"]
    assert "masquée par le producteur" not in out.loc["Z", "secret_reason"]


def test_producer_blank_and_missing_input_are_told_apart():
    territory = pd.DataFrame(
        {
            "code": ["a", "m", "n", "p"],
            "ALL_RSA": [50.0, np.nan, np.nan, np.nan],
            "ALL_RSA__secret": [False, True, False, False],
        }
    )
    _, out = _run(territory, {"Z": ["a", "m", "n", "p"], "Y": ["a", "m"]})
    reason = out.loc["Z", "secret_reason"]
    assert "donnée manquante pour 2 unités" in reason
    assert "1 unité masquée par le producteur" in reason
    # a zone with producer blanks only keeps its bounds [50, 54]
    assert not out.loc["Y", "secret"]
    assert (out.loc["Y", "lower"], out.loc["Y", "upper"]) == (50.0, 54.0)


def test_paris_summed_from_arrondissements_is_not_bounded_by_four():
    """75056 is NaN + secret because one arrondissement was blanked: it holds
    thousands, so a zone containing it gets no [K, K + 4] bound."""
    territory = pd.DataFrame(
        {
            "code": ["75056", "93001", "93002"],
            "ALL_RSA": [np.nan, 100.0, np.nan],
            "ALL_RSA__secret": [True, False, True],
        }
    )
    _, out = _run(
        territory, {"paris_auber": ["75056", "93001"], "Z": ["93001", "93002"]}
    )
    assert out.loc["paris_auber", "secret"]
    assert np.isnan(out.loc["paris_auber", "upper"])
    assert "Paris, Lyon ou Marseille" in out.loc["paris_auber", "secret_reason"]
    assert not out.loc["Z", "secret"] and out.loc["Z", "upper"] == 104.0
