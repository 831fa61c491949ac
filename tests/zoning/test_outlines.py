"""Known-inconsistent outlines never give a density without a flag.

The demo's Saint-Denis (93066) has its pre-2025 outline but the population of
the commune merged with Pierrefitte in 2025: its density would be about 27 %
too high. Its surface is never used: the zones holding it are « donnée
manquante » for area-based figures (partial if chosen), counts are unchanged.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from territobs.catalog import Catalog, default_catalog
from territobs.errors import MissingValuesWarning
from territobs.zoning.recompute import recompute
from territobs.zoning.weights import Weights

CATALOG = """
[components.area_km2]
label = "Superficie"
variables = ["area_km2"]
spread = "area"

[[indicators]]
id = "density"
kind = "ratio"
label = "Densité de population"
unit = "hab./km²"
numerator = "population"
denominator = "area_km2"
"""


@pytest.fixture
def catalog(tmp_path) -> Catalog:
    path = tmp_path / "catalog.toml"
    path.write_text(CATALOG, encoding="utf-8")
    return default_catalog().merge(Catalog.from_file(path))


def test_density_on_a_pre_merger_outline_is_flagged(catalog) -> None:
    territory = pd.DataFrame(
        {
            "code": ["93066", "93001"],
            "P21_POP": [150000.0, 90000.0],
            "area_km2": [12.4, 5.8],
            "incomplete_geometry": [True, False],
        }
    )
    zones = pd.DataFrame({"zone": ["sd", "plaine", "aub"]})
    matrix = sparse.csr_array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    weights = Weights(
        matrix,
        sparse.csr_array(matrix.astype(np.int8)),
        pd.Index(territory["code"]),
        pd.Index(zones["zone"]),
        "exact",
    )
    with pytest.warns(MissingValuesWarning, match="contour incohérent"):
        result = recompute(
            territory,
            zones,
            ["population", "density"],
            weights=weights,
            catalog=catalog,
        )
    rows = result.set_index(["zone", "indicator"])
    assert rows.loc[("sd", "population"), "value"] == 150000.0
    assert rows.loc[("sd", "density"), "state"] == "missing"
    assert np.isnan(rows.loc[("sd", "density"), "value"])
    assert rows.loc[("plaine", "density"), "state"] == "missing"
    assert rows.loc[("aub", "density"), "value"] == pytest.approx(90000 / 5.8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        partial = recompute(
            territory,
            zones,
            ["density"],
            weights=weights,
            catalog=catalog,
            partial=0.5,
        ).set_index("zone")
    assert partial.loc["plaine", "state"] == "partial"
    assert partial.loc["plaine", "value"] == pytest.approx(90000 / 5.8)
    assert partial.loc["plaine", "coverage_label"].startswith("1 unité sur 2")
