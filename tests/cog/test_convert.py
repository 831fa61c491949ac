from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pandas.testing as tm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territobs.cog import (
    apply_passage,
    arrondissements_passage,
    convert_table,
    vintage_codes,
)
from territobs.errors import CodeError, MethodError, UnmatchedCodesWarning


def test_merger_sums_counts_and_reports():
    table = pd.DataFrame(
        {"code": ["01039", "01138", "01001"], "pop": [454.0, 3035.0, 776.0]}
    )
    out, report = convert_table(table, 2022, 2023, kinds={"pop": "count"})
    expected = pd.DataFrame({"code": ["01001", "01138"], "pop": [776.0, 3489.0]})
    tm.assert_frame_equal(out, expected, check_dtype=False)
    assert set(report.code_from) == {"01039", "01138"}
    assert (report.event == "fusion").all()


def test_split_uses_population_weights():
    # 2019 → 2020: 14712 split into 14712 and 14666 (rétablissement).
    table = pd.DataFrame({"code": ["14712"], "n": [100.0]})
    population = pd.Series({"14712": 3000.0, "14666": 1000.0})
    out, report = convert_table(
        table, 2019, 2020, kinds={"n": "count"}, population=population
    )
    values = out.set_index("code")["n"]
    np.testing.assert_allclose(values[["14666", "14712"]], [25.0, 75.0])
    np.testing.assert_allclose(report.set_index("code_to").weight["14666"], 0.25)


def test_split_without_population_is_refused():
    table = pd.DataFrame({"code": ["14712"], "n": [100.0]})
    with pytest.raises(MethodError, match="14666") as info:
        convert_table(table, 2019, 2020, kinds={"n": "count"})
    assert "14666" in info.value.codes


def test_ratios_rebuilt_from_components():
    table = pd.DataFrame(
        {
            "code": ["01039", "01138"],
            "poor": [10.0, 90.0],
            "hh": [100.0, 900.0],
            "rate": [10.0, 10.0],
        }
    )
    out, _ = convert_table(
        table,
        2022,
        2023,
        kinds={"poor": "count", "hh": "count"},
        ratios={"rate": ("poor", "hh", 100)},
    )
    np.testing.assert_allclose(out["rate"], [10.0])
    np.testing.assert_allclose(out["hh"], [1000.0])


def test_shares_converted_like_ratios():
    """Every catalogue kind is accepted: a share is rebuilt from its counts."""
    table = pd.DataFrame(
        {"code": ["01039", "01138"], "hlm": [10.0, 90.0], "rp": [100.0, 900.0]}
    )
    out, _ = convert_table(
        table,
        2022,
        2023,
        kinds={"hlm": "count", "rp": "count", "hlm_share": "share"},
        ratios={"hlm_share": ("hlm", "rp", 100)},
    )
    np.testing.assert_allclose(out["hlm_share"], [10.0])


def test_unknown_kind_is_a_french_error():
    table = pd.DataFrame({"code": ["01039"], "pop": [1.0]})
    with pytest.raises(MethodError, match="nature inconnue") as info:
        convert_table(table, 2022, 2023, kinds={"pop": "comptage"})
    assert info.value.codes == ["pop"]


@pytest.mark.parametrize("kind", ["median", "mean", "quantile"])
def test_median_and_mean_refused(kind):
    table = pd.DataFrame({"code": ["01039"], "med": [20000.0]})
    with pytest.raises(MethodError) as info:
        convert_table(table, 2022, 2023, kinds={"med": kind})
    assert info.value.codes == ["med"]


def test_undeclared_column_is_not_dropped_silently():
    table = pd.DataFrame({"code": ["01039"], "pop": [1.0], "other": [2.0]})
    with pytest.raises(MethodError) as info:
        convert_table(table, 2022, 2023, kinds={"pop": "count"})
    assert info.value.codes == ["other"]


def test_masked_input_propagates_as_secret():
    table = pd.DataFrame(
        {
            "code": ["01039", "01138", "01001"],
            "n": [np.nan, 50.0, 7.0],
            "n__secret": [True, False, False],
        }
    )
    out, _ = convert_table(table, 2022, 2023, kinds={"n": "count"})
    out = out.set_index("code")
    assert np.isnan(out.loc["01138", "n"]) and out.loc["01138", "n__secret"]
    assert out.loc["01001", "n"] == 7.0 and not out.loc["01001", "n__secret"]


def test_bad_and_duplicated_codes():
    with pytest.raises(CodeError):
        convert_table(
            pd.DataFrame({"code": [1039], "n": [1.0]}), 2022, 2023, kinds={"n": "count"}
        )
    with pytest.raises(CodeError) as info:
        convert_table(
            pd.DataFrame({"code": ["01039", "01039"], "n": [1.0, 2.0]}),
            2022,
            2023,
            kinds={"n": "count"},
        )
    assert info.value.codes == ["01039"]


def test_foreign_codes_warned_and_kept():
    table = pd.DataFrame({"code": ["01039", "01999"], "n": [1.0, 2.0]})
    with pytest.warns(UnmatchedCodesWarning) as record:
        out, _ = convert_table(
            table,
            2022,
            2023,
            kinds={"n": "count"},
            known_codes=vintage_codes(2022),
        )
    assert record[0].message.codes == ["01999"]
    assert "01999" in set(out.code)


def test_arrondissements_to_commune_and_back():
    table = pd.DataFrame(
        {"code": [f"{n}" for n in range(75101, 75121)], "n": np.arange(20.0)}
    )
    out, _ = apply_passage(table, arrondissements_passage(), kinds={"n": "count"})
    tm.assert_frame_equal(
        out, pd.DataFrame({"code": ["75056"], "n": [190.0]}), check_dtype=False
    )
    population = pd.Series(1.0, index=table.code)
    back, _ = apply_passage(
        out,
        arrondissements_passage(to="arrondissement"),
        kinds={"n": "count"},
        population=population,
    )
    np.testing.assert_allclose(back.n, 9.5)


def _ain_table(seed: int) -> pd.DataFrame:
    codes = sorted(c for c in vintage_codes(2017) if c.startswith("01"))
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"code": codes, "n": rng.integers(0, 5000, len(codes)) * 1.0})


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([2018, 2020, 2024]))
def test_forward_conversion_conserves_totals(seed, target):
    """Invariant: Σ counts is unchanged by a conversion (no commune lost)."""
    table = _ain_table(seed)
    population = pd.Series(1.0, index=sorted(vintage_codes(target)))
    out, _ = convert_table(
        table, 2017, target, kinds={"n": "count"}, population=population
    )
    np.testing.assert_allclose(out.n.sum(), table.n.sum(), rtol=1e-12)
    ain = {c for c in vintage_codes(target) if c.startswith("01")}
    assert set(out.code) == ain


def test_round_trip_2017_2024_2017():
    """Forward then backward with 2017 populations returns to 2017 codes and totals."""
    table = _ain_table(1)
    forward, _ = convert_table(table, 2017, 2024, kinds={"n": "count"})
    population = table.set_index("code")["n"] + 1.0
    back, report = convert_table(
        forward, 2024, 2017, kinds={"n": "count"}, population=population
    )
    assert set(back.code) == set(table.code)
    np.testing.assert_allclose(back.n.sum(), table.n.sum(), rtol=1e-12)
    unchanged = table[~table.code.isin(set(report.code_to))].set_index("code").n
    tm.assert_series_equal(back.set_index("code").n[unchanged.index], unchanged)


@pytest.mark.shared_data
def test_old_table_joined_to_current_boundaries_loses_no_commune(shared_data):
    """A COG 2018 table of Ain converts to COG 2024 and covers every 2024 commune."""
    path = shared_data / "boundaries/france-geojson/communes-01-ain.geojson"
    codes = [
        f["properties"]["code"] for f in json.loads(path.read_text("utf-8"))["features"]
    ]
    table = pd.DataFrame({"code": codes, "n": np.arange(len(codes), dtype=float)})
    membership = pd.read_csv(
        shared_data / "cog/cogugaison-table-appartenance-2024.csv.gz", dtype=str
    ).dropna(subset=["CODGEO"])
    current = set(membership.CODGEO[membership.DEP == "01"])
    out, report = convert_table(
        table, 2018, 2024, kinds={"n": "count"}, known_codes=vintage_codes(2018)
    )
    assert set(out.code) == current
    np.testing.assert_allclose(out.n.sum(), table.n.sum())
    assert {"01039", "01138"} <= set(report.code_from)


@pytest.mark.shared_data
def test_population_of_2024_from_cogugaison(shared_data):
    pop = pd.read_csv(
        shared_data / "cog/cogugaison-cog2024-communes-pop.csv.gz",
        dtype={"CODGEO": str},
    ).set_index("CODGEO")["POP"]
    table = pd.DataFrame({"code": ["60054"], "n": [1000.0]})
    out, _ = convert_table(table, 2023, 2024, kinds={"n": "count"}, population=pop)
    shares = pop[["60054", "60694"]] / pop[["60054", "60694"]].sum()
    np.testing.assert_allclose(
        out.set_index("code").n[["60054", "60694"]], 1000 * shares.to_numpy()
    )
