"""Four states of recomputed figures: value, secret, missing, partial.

Small hand-made territories: a zone whose units all lack data is missing
(NaN, never 0), producer blanks are secret, a partial value needs an explicit
policy and says its coverage.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from territobs.errors import MissingValuesWarning
from territobs.schema import PartialPolicy, coverage_text, figure_states
from territobs.zoning.recompute import recompute
from territobs.zoning.weights import Weights

from .test_recompute import membership_weights


def _weights(assignment, codes, zone_ids) -> Weights:
    return membership_weights(assignment, list(codes), list(zone_ids))


@pytest.fixture
def territory() -> pd.DataFrame:
    # u4, u5: no row in the census file (NaN, no secret flag): missing data
    # c1: a CAF count blanked by the producer (secret flag)
    return pd.DataFrame(
        {
            "code": ["u1", "u2", "u3", "u4", "u5", "u6"],
            "level": "iris",
            "P21_POP": [100.0, 200.0, 300.0, np.nan, np.nan, 400.0],
            "ALL_RSA": [10.0, np.nan, 30.0, 5.0, 6.0, 7.0],
            "ALL_RSA__secret": [False, True, False, False, False, False],
        }
    )


@pytest.fixture
def zones() -> pd.DataFrame:
    return pd.DataFrame(
        {"zone": ["full", "part", "none"], "name": ["Pleine", "Partielle", "Vide"]}
    )


def _run(territory, zones, indicators, **kwds) -> pd.DataFrame:
    w = _weights([0, 0, 1, 2, 2, 1], territory["code"], zones["zone"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)
        return recompute(territory, zones, indicators, weights=w, **kwds)


def test_default_states(territory, zones) -> None:
    res = _run(territory, zones, "population").set_index("zone")
    assert res.loc["full", "state"] == "value"
    assert res.loc["full", "value"] == 300.0
    assert res.loc["part", "state"] == "value"  # u3, u6 known; u4, u5 elsewhere
    assert res.loc["part", "coverage"] == 1.0
    # zone "none" has only u4 and u5: no data at all
    assert res.loc["none", "state"] == "missing"
    assert np.isnan(res.loc["none", "value"])
    assert res.loc["none", "coverage"] == 0.0
    assert res.loc["none", "coverage_label"] == "0 IRIS sur 2"


def test_zone_without_data_is_never_zero_even_in_legacy_partial_mode(
    territory, zones
) -> None:
    res = _run(territory, zones, "population", on_masked="partial").set_index("zone")
    assert np.isnan(res.loc["none", "value"])
    assert res.loc["none", "state"] == "missing"


def test_partial_policy_publishes_with_coverage(territory, zones) -> None:
    terr = territory.assign(P21_POP=[100.0, 200.0, np.nan, 50.0, 40.0, 400.0])
    zones3 = zones
    w = _weights([0, 0, 1, 1, 2, 1], terr["code"], zones3["zone"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)
        strict = recompute(terr, zones3, "population", weights=w).set_index("zone")
        loose = recompute(terr, zones3, "population", weights=w, partial=0.5).set_index(
            "zone"
        )
        demanding = recompute(
            terr, zones3, "population", weights=w, partial=PartialPolicy(0.9)
        ).set_index("zone")
    # zone "part": u3 (missing), u4, u6 known → 2 units of 3
    assert strict.loc["part", "state"] == "missing"
    assert np.isnan(strict.loc["part", "value"])
    assert loose.loc["part", "state"] == "partial"
    assert loose.loc["part", "value"] == 450.0
    assert loose.loc["part", "coverage"] == pytest.approx(2 / 3)
    assert loose.loc["part", "coverage_label"] == "2 IRIS sur 3"
    assert demanding.loc["part", "state"] == "missing"
    assert loose.loc["full", "coverage_label"] == ""


def test_population_coverage(territory, zones) -> None:
    terr = territory.assign(
        P21_POP=[100.0, 200.0, np.nan, 50.0, 40.0, 400.0],
        POPULATION=[100.0, 200.0, 300.0, 50.0, 40.0, 400.0],
    )
    w = _weights([0, 0, 1, 1, 2, 1], terr["code"], zones["zone"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)
        res = recompute(
            terr,
            zones,
            "population",
            weights=w,
            partial=PartialPolicy(0.6, by="population"),
        ).set_index("zone")
    assert res.loc["part", "coverage"] == pytest.approx(450 / 750)
    assert res.loc["part", "state"] == "partial"
    assert res.loc["part", "coverage_label"] == "2 IRIS sur 3, 60\xa0% de la population"


def test_producer_blank_is_secret_never_partial(territory, zones) -> None:
    res = _run(territory, zones, "rsa_beneficiaries", partial=0.0).set_index("zone")
    assert res.loc["full", "state"] == "secret"  # u2 blanked by the CAF
    assert np.isnan(res.loc["full", "value"])
    assert res.loc["part", "state"] == "value"
    assert res.loc["part", "value"] == 37.0


def test_policy_is_validated() -> None:
    with pytest.raises(ValueError, match="entre 0 et 1"):
        PartialPolicy(90)
    with pytest.raises(ValueError, match="base de couverture"):
        PartialPolicy(0.5, by="households")  # type: ignore[arg-type]
    assert "90\xa0%" in PartialPolicy(0.9).describe()


def test_coverage_text_words() -> None:
    assert coverage_text(1, 3, "commune") == "1 commune sur 3"
    assert coverage_text(32, 41, "iris", 0.94) == (
        "32 IRIS sur 41, 94\xa0% de la population"
    )
    assert coverage_text(40, 41, "iris", 0.996).endswith(
        ">\xa099\xa0% de la population"
    )


def test_figure_states_after_secrecy_keeps_missing_apart() -> None:
    frame = pd.DataFrame(
        {
            "value": [np.nan, np.nan, np.nan, 4.0],
            "secret": [True, True, False, False],
            "secret_reason": ["input: valeur incomplète", "primary: < 5", "", ""],
            "state": ["missing", "partial", "value", "partial"],
        }
    )
    assert figure_states(frame).tolist() == ["missing", "secret", "missing", "partial"]


@st.composite
def gappy(draw):
    n = draw(st.integers(1, 30))
    k = draw(st.integers(1, 6))
    assignment = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    values = draw(
        st.lists(
            st.one_of(st.none(), st.floats(0, 1e6, allow_nan=False)),
            min_size=n,
            max_size=n,
        )
    )
    secret = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    min_cov = draw(st.one_of(st.none(), st.floats(0, 1)))
    return n, k, assignment, values, secret, min_cov


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gappy())
@example((2, 1, [0, 0], [None, None], [False, False], 0.0))
def test_states_invariants(data) -> None:
    """For any gappy territory and policy: a zone with no known unit never gets
    a number (never 0); coverage stays in [0, 1]; values only on value/partial
    rows; partial only with a policy; the known sums are conserved."""
    n, k, assignment, values, secret, min_cov = data
    codes = [f"u{i:02d}" for i in range(n)]
    x = np.array([np.nan if v is None else v for v in values], dtype=float)
    flags = np.array(secret) & np.isnan(x)
    terr = pd.DataFrame({"code": codes, "P21_POP": x, "P21_POP__secret": flags})
    zones = pd.DataFrame({"zone": [f"z{j}" for j in range(k)]})
    w = _weights(assignment, codes, zones["zone"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = recompute(terr, zones, "population", weights=w, partial=min_cov)
    known = pd.Series(~np.isnan(x)).groupby(np.asarray(assignment)).sum()
    members = pd.Series(np.ones(n)).groupby(np.asarray(assignment)).sum()
    for j in range(k):
        row = res.iloc[j]
        if members.get(j, 0) > 0 and known.get(j, 0) == 0:
            assert np.isnan(row["value"]) and row["state"] in ("missing", "secret")
    assert ((res["coverage"] >= 0) & (res["coverage"] <= 1)).all()
    has_value = res["value"].notna()
    assert res.loc[has_value, "state"].isin(["value", "partial"]).all()
    assert res.loc[~has_value, "state"].isin(["missing", "secret"]).all()
    if min_cov is None:
        assert not (res["state"] == "partial").any()
    np.testing.assert_allclose(
        res["numerator"].sum(), np.nansum(x), rtol=1e-9, atol=1e-6
    )


def test_approximations_have_one_home() -> None:
    from territobs import schema
    from territobs.zoning import recompute

    assert recompute.APPROXIMATIONS is schema.APPROXIMATIONS
