from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from scipy import sparse

from territobs.errors import SecrecyError, SecrecyWarning
from territobs.secrecy import (
    CAF,
    FILOSOFI,
    VALUE_COLUMNS,
    apply_secrecy,
    departement,
    published,
)
from territobs.zoning.weights import Weights

# Six IRIS in two communes, C1 = a b c, C2 = d e f.
COUNTS = {"a": 40.0, "b": 3.0, "c": 25.0, "d": 12.0, "e": 0.0, "f": 30.0}
COMMUNES = {"C1": ["a", "b", "c"], "C2": ["d", "e", "f"]}
TERRITORY = {"T": list(COUNTS)}
RULE = departement(5, mask_zero=False)


def secret_of(out: pd.DataFrame) -> dict[str, bool]:
    return dict(zip(out["zone"], out["secret"], strict=True))


def test_primary_masks_small_counts_and_gives_a_reason(make_counts):
    res = make_counts(COUNTS, {u: [u] for u in COUNTS})
    out = apply_secrecy(res, RULE, differencing=False)
    assert secret_of(out) == {
        "a": False,
        "b": True,
        "c": False,
        "d": False,
        "e": False,
        "f": False,
    }
    reason = out.loc[out["zone"] == "b", "secret_reason"].item()
    assert reason.startswith("primary: ")
    assert "moins de 5 bénéficiaires" in reason
    assert "3" not in reason  # the masked value is never quoted


def test_caf_rule_also_masks_zero(make_counts):
    res = make_counts(COUNTS, {u: [u] for u in COUNTS})
    out = apply_secrecy(res, CAF, differencing=False)
    assert out.loc[out["zone"] == "e", "secret"].item()


def test_secret_rows_carry_no_figure(make_counts):
    res = make_counts(COUNTS, {"tiny": ["b"], "big": ["a", "c"]})
    out = apply_secrecy(res, RULE, differencing=False)
    tiny = out[out["zone"] == "tiny"]
    assert tiny[list(VALUE_COLUMNS)].isna().all(axis=None)
    pdt.assert_index_equal(out.index, res.index)
    assert list(out.columns) == list(res.columns)


def test_input_is_untouched(make_counts):
    res = make_counts(COUNTS, {"tiny": ["b"]})
    before = res.copy()
    apply_secrecy(res, RULE, differencing=False)
    pdt.assert_frame_equal(res, before)


def test_incomplete_counts_are_masked_by_default(make_counts):
    res = make_counts(COUNTS, {"z": ["a", "b", "c"]}, masked=["b"])
    out = apply_secrecy(res, CAF, differencing=False)
    row = out.iloc[0]
    assert row["secret"]
    assert row["secret_reason"].startswith("input: ")
    assert "1 unité masquée" in row["secret_reason"]


def test_bounds_published_on_request(make_counts):
    res = make_counts(COUNTS, {"z": ["a", "b", "c"], "w": ["b", "d"]}, masked=["b"])
    out = apply_secrecy(res, CAF, publish_bounds=True, differencing=False)
    z = out[out["zone"] == "z"].iloc[0]
    assert not z["secret"]
    assert (z["lower"], z["upper"]) == (65.0, 69.0)  # known sum, + 4 × 1 masked unit
    assert np.isnan(z["value"])  # the point value is unknown
    w = out[out["zone"] == "w"].iloc[0]  # [12, 16]: may be below... no: 12 ≥ 5
    assert not w["secret"] and (w["lower"], w["upper"]) == (12.0, 16.0)


def test_bounds_are_masked_when_they_may_fall_below_the_threshold(make_counts):
    res = make_counts({"a": 2.0, "b": 0.0}, {"z": ["a", "b"]}, masked=["b"])
    out = apply_secrecy(res, CAF, publish_bounds=True, differencing=False)
    assert out["secret"].item()
    assert "peut compter moins de 5 allocataires" in out["secret_reason"].item()
    assert out[["lower", "upper"]].isna().all(axis=None)


def test_bounds_with_estimated_weights_need_no_rounding(make_counts):
    res = make_counts(COUNTS, {"z": {"a": 1.0, "b": 0.25}}, masked=["b"])
    out = apply_secrecy(res, CAF, publish_bounds=True, differencing=False)
    assert (out["lower"].item(), out["upper"].item()) == (40.0, 41.0)


def test_filosofi_rates_follow_the_households_count(make_counts, make_ratios):
    households = {"a": 120.0, "b": 8.0, "c": 60.0}
    persons = {"a": 260.0, "b": 15.0, "c": 130.0}
    poor = {"a": 40.0, "b": 6.0, "c": 9.0}
    zones = {"big": ["a", "c"], "hamlet": ["b"]}
    res = pd.concat(
        [
            make_counts(households, zones, "fiscal_households"),
            make_ratios(poor, persons, zones, "poverty_rate"),
        ],
        ignore_index=True,
    )
    out = apply_secrecy(res, FILOSOFI, differencing=False)
    hamlet = out[out["zone"] == "hamlet"]
    assert hamlet["secret"].all()
    assert hamlet["secret_reason"].str.contains("moins de 11 ménages fiscaux").all()
    assert not out.loc[out["zone"] == "big", "secret"].any()


def test_governing_count_must_be_in_the_result(make_ratios):
    res = make_ratios({"a": 4.0}, {"a": 50.0}, {"z": ["a"]}, "poverty_rate")
    with pytest.raises(SecrecyError) as info:
        apply_secrecy(res, FILOSOFI, differencing=False)
    assert info.value.codes == ["z/fiscal_households"]


def test_ratio_masked_when_its_numerator_is_small(make_ratios):
    res = make_ratios(
        {"a": 3.0, "b": 30.0},
        {"a": 50.0, "b": 50.0},
        {"za": ["a"], "zb": ["b"]},
        "rsa_share",
    )
    out = apply_secrecy(res, CAF, differencing=False)
    assert secret_of(out) == {"za": True, "zb": False}
    assert "(numérateur)" in out.loc[0, "secret_reason"]


def test_rows_already_secret_keep_their_reason(make_counts):
    res = make_counts(COUNTS, {"z": ["a"]})
    res.loc[0, ["secret", "secret_reason"]] = [True, "input: décidé en amont"]
    out = apply_secrecy(res, RULE, differencing=False)
    assert out.loc[0, "secret_reason"] == "input: décidé en amont"
    assert np.isnan(out.loc[0, "value"])


# ---------------------------------------------------------------- differencing


def test_differencing_catches_a_nested_pair(make_counts):
    """Zone = commune C1 minus IRIS b: C1 − zone reveals b (3 < 5)."""
    zones = {"zone": ["a", "c"], **COMMUNES}
    res = make_counts(COUNTS, zones, names={"zone": "Quartier", "C1": "Commune 1"})
    out = apply_secrecy(res, RULE, membership=zones)
    assert secret_of(out) == {"zone": True, "C1": False, "C2": False}
    reason = out.loc[out["zone"] == "zone", "secret_reason"].item()
    assert reason.startswith("secondary: ")
    assert "« Commune 1 » − « Quartier »" in reason
    assert "moins de 5" in reason


def test_differencing_with_the_territory_total_protects_the_complement(make_counts):
    """A zone covering all but b, published with the territory total."""
    zones = {"most": ["a", "c", "d", "e", "f"], **TERRITORY}
    res = make_counts(COUNTS, zones)
    out = apply_secrecy(res, RULE, membership=zones)
    assert secret_of(out) == {"most": True, "T": False}


def test_the_smaller_cell_of_a_pair_is_masked(make_counts):
    counts = {"x": 100.0, "y": 2.0}
    zones = {"big": ["x", "y"], "small": ["x"]}
    out = apply_secrecy(make_counts(counts, zones), RULE, membership=zones)
    assert secret_of(out) == {"big": False, "small": True}


def test_a_cell_breaking_several_pairs_is_preferred(make_counts):
    """Zones z1 ⊂ z2 ⊂ z3, each adding 2: masking z2 breaks two pairs."""
    counts = {"u": 50.0, "v": 2.0, "w": 2.0}
    zones = {"z1": ["u"], "z2": ["u", "v"], "z3": ["u", "v", "w"]}
    out = apply_secrecy(make_counts(counts, zones), RULE, membership=zones)
    # pairs: z2−z1 = 2, z3−z2 = 2, z3−z1 = 4: one mask cannot break all three;
    # the result must leave no disclosing pair published.
    published_zones = set(out.loc[~out["secret"], "zone"])
    for small, big in [("z1", "z2"), ("z2", "z3"), ("z1", "z3")]:
        assert not {small, big} <= published_zones
    assert out["secret"].sum() == 2


def test_identical_zones_are_not_a_disclosure(make_counts):
    zones = {"zone": ["a", "b", "c"], "C1": ["a", "b", "c"]}
    out = apply_secrecy(make_counts(COUNTS, zones), CAF, membership=zones)
    assert not out["secret"].any()


def test_zero_difference_is_fine_unless_the_rule_masks_zeros(make_counts):
    zones = {"zone": ["d", "f"], "C2": ["d", "e", "f"]}
    res = make_counts(COUNTS, zones)
    assert not apply_secrecy(res, RULE, membership=zones)["secret"].any()
    assert apply_secrecy(res, CAF, membership=zones)["secret"].sum() == 1


def test_masked_cells_stop_playing(make_counts):
    """A primary-masked zone cannot be subtracted from anything."""
    zones = {"tiny": ["b"], "C1": ["a", "b", "c"], "rest": ["a", "c"]}
    out = apply_secrecy(make_counts(COUNTS, zones), RULE, membership=zones)
    assert out.loc[out["zone"] == "tiny", "secret_reason"].item().startswith("primary")
    # C1 − rest = b = 3 still discloses: one of them is masked too
    assert out.loc[out["zone"].isin(["C1", "rest"]), "secret"].sum() == 1


def test_estimated_weights_nested_vectors(make_counts):
    zones = {"part": {"a": 0.5, "c": 1.0}, "whole": {"a": 0.5, "b": 1.0, "c": 1.0}}
    res = make_counts(COUNTS, zones)
    long = pd.DataFrame(
        [(u, z, w) for z, m in zones.items() for u, w in m.items()],
        columns=["unit", "zone", "weight"],
    )
    out = apply_secrecy(res, RULE, membership=long)
    # whole − part = unit b alone (3 < 5), although both zones halve unit a
    assert out["secret"].sum() == 1


def test_weights_object_as_membership(make_counts):
    zones = {"zone": ["a", "c"], "C1": ["a", "b", "c"]}
    res = make_counts(COUNTS, zones)
    units = pd.Index(["a", "b", "c"])
    matrix = sparse.csr_array(np.array([[1.0, 1.0], [0.0, 1.0], [1.0, 1.0]]))
    weights = Weights(
        matrix,
        sparse.csr_array(matrix.astype("int8")),
        units,
        pd.Index(["zone", "C1"]),
        "exact",
    )
    out = apply_secrecy(res, RULE, membership=weights)
    assert secret_of(out) == {"zone": True, "C1": False}


def test_public_figures_are_never_masked(make_counts):
    """The producer publishes C1 itself: our zone must be masked instead."""
    res = make_counts(COUNTS, {"zone": ["a", "c"]})
    public = make_counts(COUNTS, {"C1": COMMUNES["C1"]})
    out = apply_secrecy(
        res, RULE, membership={**COMMUNES, "zone": ["a", "c"]}, public=public
    )
    assert out["secret"].item() and len(out) == 1


def test_public_figures_that_disclose_alone_are_reported(make_counts):
    res = make_counts(COUNTS, {"zone": ["a"]})
    public = make_counts(COUNTS, {"C1": COMMUNES["C1"], "ac": ["a", "c"]})
    with pytest.warns(SecrecyWarning) as record:
        apply_secrecy(
            res,
            RULE,
            membership={**COMMUNES, "zone": ["a"], "ac": ["a", "c"]},
            public=public,
        )
    assert record[0].message.codes


def test_an_intersection_is_caught_without_asking(make_counts):
    """A, B and A∪B published: A + B − (A∪B) = A∩B = b (3 < 5)."""
    zones = {"A": ["a", "b"], "B": ["b", "c"], "AB": ["a", "b", "c"]}
    res = make_counts(COUNTS, zones)
    out = apply_secrecy(res, RULE, membership=zones)
    assert secret_of(out) == {"A": False, "B": True, "AB": False}  # smallest
    assert "groupe d'unités « b »" in out["secret_reason"][1]
    # max_terms is accepted and has no effect: every combination is checked
    pdt.assert_frame_equal(apply_secrecy(res, RULE, membership=zones, max_terms=3), out)


def test_membership_is_required_for_differencing(make_counts):
    res = make_counts(COUNTS, {"zone": ["a"]})
    with pytest.raises(SecrecyError) as info:
        apply_secrecy(res, RULE)
    assert info.value.key == "membership"


def test_zones_without_membership_are_listed(make_counts):
    res = make_counts(COUNTS, {"zone": ["a"], "other": ["c"]})
    with pytest.raises(SecrecyError) as info:
        apply_secrecy(res, RULE, membership={"zone": ["a"]})
    assert info.value.codes == ["other"]


def test_missing_columns_are_named():
    with pytest.raises(SecrecyError) as info:
        apply_secrecy(pd.DataFrame({"zone": ["a"], "value": [1.0]}), RULE)
    assert info.value.column == "indicator"


def test_duplicated_rows_are_refused(make_counts):
    res = make_counts(COUNTS, {"zone": ["a"]})
    with pytest.raises(SecrecyError) as info:
        apply_secrecy(pd.concat([res, res]), RULE, differencing=False)
    assert info.value.codes == ["zone/rsa"]


def test_published_blanks_secret_rows_again(make_counts):
    out = apply_secrecy(make_counts(COUNTS, {"tiny": ["b"]}), RULE, differencing=False)
    out.loc[0, "value"] = 3.0  # an edit after apply_secrecy
    assert published(out)["value"].isna().all()


def test_published_requires_secrecy():
    with pytest.raises(SecrecyError) as info:
        published(pd.DataFrame({"zone": ["a"], "value": [1.0]}))
    assert info.value.column == "secret"


def test_weighted_mapping_membership_keeps_its_weights(make_counts):
    """{zone: {unit: weight}}: Z holds 90 % of u0, so T − Z = 1 household."""
    zones = {"Z": {"u0": 0.9, "u1": 1.0}, "T": {"u0": 1.0, "u1": 1.0}}
    res = make_counts({"u0": 10.0, "u1": 52.0}, zones)
    long = pd.DataFrame(
        [(u, z, w) for z, m in zones.items() for u, w in m.items()],
        columns=["unit", "zone", "weight"],
    )
    out = apply_secrecy(res, CAF, membership=zones)
    assert out["secret"].tolist() == [True, False]
    pdt.assert_series_equal(
        out["secret"], apply_secrecy(res, CAF, membership=long)["secret"]
    )


def test_weighted_mapping_membership_refuses_text_weights(make_counts):
    zones = {"Z": {"u0": "beaucoup"}}
    res = make_counts({"u0": 10.0}, {"Z": ["u0"]})
    with pytest.raises(SecrecyError, match="nombre entre 0 et 1"):
        apply_secrecy(res, CAF, membership=zones)


def test_two_rules_on_one_cell_keep_the_highest_threshold_and_mask_zero():
    """rsa is governed by CAF (masks 0) and, as the governing count of a mean,
    by a threshold-10 rule that does not mask zeros: 0 stays masked."""
    nan = float("nan")
    res = pd.DataFrame(
        {
            "zone": ["Z", "Z", "Y", "Y"],
            "indicator": ["rsa", "rsa_amount_mean"] * 2,
            "kind": ["count", "mean"] * 2,
            "value": [0.0, nan, 7.0, nan],
            "numerator": [0.0, nan, 7.0, nan],
            "denominator": [nan, nan, nan, nan],
        }
    )
    rules = {"rsa": CAF, "rsa_amount_mean": departement(10, governing="rsa")}
    out = apply_secrecy(res, rules, differencing=False)
    assert out["secret"].all()
    assert "moins de 10" in out["secret_reason"][0]


def test_bounds_sharing_a_blank_give_an_exact_difference(make_counts):
    """A = m + a, B = A + 10 % of v; m blanked (0-4). lower_B − lower_A =
    upper_B − upper_A = 2: B outside A is known exactly, one zone is masked."""
    zones = {"A": {"m": 1.0, "a": 1.0}, "B": {"m": 1.0, "a": 1.0, "v": 0.1}}
    res = make_counts({"m": 0.0, "a": 50.0, "v": 20.0}, zones, masked=["m"])
    out = apply_secrecy(res, CAF, membership=zones, publish_bounds=True)
    assert out["secret"].sum() == 1
    assert "secondary" in out.loc[out["secret"], "secret_reason"].item()
