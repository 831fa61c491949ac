from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territobs.cog import builtin_passages, compose, invert, passage_table
from territobs.errors import MethodError


def _p(rows):
    return pd.DataFrame(rows, columns=["code_from", "code_to", "event", "weight"])


def test_culoz_beon_2022_2023():
    p = passage_table(2022, 2023)
    culoz = p[p.code_to == "01138"]
    assert sorted(culoz.code_from) == ["01039", "01138"]
    np.testing.assert_array_equal(culoz.weight, [1.0, 1.0])


def test_builtin_dates_normalised_and_years_complete():
    p = builtin_passages()
    assert set(p.year_from) == set(range(2017, 2024))
    split = p[p.event == "scission"]
    assert split.weight.isna().all() and not split.empty


def test_chain_merges_successive_changes():
    # 27676 → 27058 (2021) then back 27058 → 27676 (2023): identity overall.
    p = passage_table(2020, 2024)
    row = p[p.code_from == "27676"]
    assert row.code_to.tolist() == ["27676"]
    assert "changement de code" in row.event.iloc[0]


def test_compose_and_invert():
    a = _p([("A", "B", "fusion", 1.0), ("B", "B", "fusion", 1.0)])
    b = _p([("B", "C", "changement de code", 1.0)])
    ab = compose(a, b)
    assert set(zip(ab.code_from, ab.code_to, strict=True)) == {("A", "C"), ("B", "C")}
    back = invert(ab)
    assert set(back.code_to) == {"A", "B"} and back.weight.isna().all()


def test_missing_years_refused():
    with pytest.raises(MethodError, match="2024") as info:
        passage_table(2023, 2026)
    assert info.value.years == [2024, 2025]


def test_backward_is_inverse_of_forward():
    forward = passage_table(2017, 2024)
    backward = passage_table(2024, 2017)
    fwd = set(zip(forward.code_from, forward.code_to, strict=True))
    bwd = set(zip(backward.code_to, backward.code_from, strict=True))
    assert fwd == bwd


codes = st.sampled_from([f"01{n:03d}" for n in range(1, 9)])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(codes, codes), min_size=1, max_size=6),
    st.lists(st.tuples(codes, codes), min_size=1, max_size=6),
)
def test_compose_keeps_weights_summing_to_one(first, second):
    """Invariant: if each code's outgoing weights sum to 1, so do the composed ones."""

    def table(pairs):
        frame = pd.DataFrame(pairs, columns=["code_from", "code_to"]).drop_duplicates()
        frame["event"] = "fusion"
        frame["weight"] = 1 / frame.groupby("code_from")["code_to"].transform("size")
        return frame

    out = compose(table(first), table(second))
    sums = out.groupby("code_from")["weight"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, rtol=1e-12)
