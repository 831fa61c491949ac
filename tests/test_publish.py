"""One publication path: catalogue rules, secrecy and the four states."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from territobs.catalog import default_catalog
from territobs.errors import SecrecyWarning
from territobs.publish import default_rules, plan_secrecy, publish
from territobs.zoning.recompute import recompute
from territobs.zoning.weights import build_weights
from territobs.zoning.zones import zones_from_members


@pytest.fixture
def setup():
    territory = pd.DataFrame(
        {
            "code": ["a", "b", "c", "d", "e"],
            "P21_POP": [1000.0, 2000.0, np.nan, 500.0, 800.0],
            "ALL_RSA": [30.0, 3.0, 40.0, 50.0, 60.0],
        }
    )
    zones = zones_from_members(
        {"z1": ["a"], "z2": ["b", "c"], "z3": ["d", "e"]},
        names={"z1": "Un", "z2": "Deux", "z3": "Trois"},
    )
    weights = build_weights(territory, zones, method="exact")
    return territory, zones, weights


def _recompute(setup, **kwds):
    territory, zones, weights = setup
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return recompute(
            territory,
            zones,
            ["population", "rsa_beneficiaries"],
            weights=weights,
            **kwds,
        )


def test_missing_census_rows_are_missing_not_secret(setup) -> None:
    out = publish(_recompute(setup), weights=setup[2]).set_index(["zone", "indicator"])
    row = out.loc[("z2", "population")]
    assert row["state"] == "missing"
    assert not row["secret"]
    assert row["secret_reason"] == ""
    assert out.loc[("z3", "population"), "value"] == 1300.0


def test_partial_value_goes_through_primary_checks(setup) -> None:
    territory, zones, weights = setup
    territory = territory.assign(ALL_RSA=[30.0, 3.0, np.nan, 50.0, 60.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = recompute(
            territory,
            zones,
            ["population", "rsa_beneficiaries"],
            weights=weights,
            partial=0.0,
        )
    out = publish(result, weights=weights).set_index(["zone", "indicator"])
    assert out.loc[("z2", "population"), "state"] == "partial"
    assert out.loc[("z2", "population"), "value"] == 2000.0
    # the partial RSA count of z2 is 3 < 5: the CAF rule masks it
    assert out.loc[("z2", "rsa_beneficiaries"), "state"] == "secret"
    assert out.loc[("z2", "rsa_beneficiaries"), "secret_reason"].startswith("primary")
    assert np.isnan(out.loc[("z2", "rsa_beneficiaries"), "value"])


def test_several_zonings_at_once(setup) -> None:
    result = _recompute(setup)
    weights = setup[2]
    parts = publish({"a": result, "b": result}, weights={"a": weights, "b": weights})
    assert set(parts) == {"a", "b"}
    pd.testing.assert_series_equal(parts["a"]["zone"], result["zone"])


def test_default_rules_census_never_masks() -> None:
    rules = default_rules(["population", "rsa_beneficiaries"], default_catalog())
    assert rules["population"].action == "advise"
    assert rules["rsa_beneficiaries"].action == "mask"


def test_rule_without_its_governing_count_only_advises() -> None:
    territory = pd.DataFrame({"code": ["a"], "DISP_TP6015": [20.0], "P16_POP": [10.0]})
    with pytest.warns(SecrecyWarning, match="fiscal_households"):
        rules, needed = plan_secrecy(["poverty_rate"], territory, default_catalog())
    assert rules["poverty_rate"].action == "advise"
    assert needed == ["poverty_rate"]


def test_plan_secrecy_takes_rule_ids_as_an_atlas_gives_them(setup) -> None:
    """``[secrecy.indicators]`` of an atlas maps indicators to rule ids (str)."""
    from territobs.secrecy.rules import BUILTIN_RULES

    territory, _, _ = setup
    rules, needed = plan_secrecy(
        ["population", "rsa_beneficiaries"],
        territory,
        default_catalog(),
        {"*": "rp", "rsa_beneficiaries": "caf"},
    )
    assert rules["population"] is BUILTIN_RULES["rp"]
    assert rules["rsa_beneficiaries"].id == "caf"
    assert rules["rsa_beneficiaries"].action == "mask"
    assert needed[:2] == ["population", "rsa_beneficiaries"]


def test_without_secrecy_producer_blanks_stay_secret(setup) -> None:
    territory, zones, weights = setup
    territory = territory.assign(
        ALL_RSA=[30.0, np.nan, 40.0, 50.0, 60.0],
        ALL_RSA__secret=[False, True, False, False, False],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = recompute(
            territory,
            zones,
            ["rsa_beneficiaries"],
            weights=weights,
            on_masked="partial",
        )
    out = publish(result, secrecy=False).set_index("zone")
    assert out.loc["z2", "state"] == "secret"
    assert out.loc["z2", "secret"]
    assert np.isnan(out.loc["z2", "value"])
    assert out.loc["z3", "value"] == 110.0
