"""Real INSEE IRIS counts (RP 2016, Seine-Saint-Denis) through the differencing check."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from territobs.secrecy import apply_secrecy, audit, departement

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def iris_93(shared_data):
    path = shared_data / "insee" / "rp2016-iris-typeH-menages.csv.gz"
    frame = pd.read_csv(
        path, dtype={"IRIS": str}, usecols=["IRIS", "C16_PMEN_MENFAMMONO"]
    )
    return frame[frame["IRIS"].str.startswith("93")]


def test_zone_cut_from_its_commune_is_protected(iris_93, make_counts):
    """A zone made of all IRIS of a commune but one, published with the
    commune: the difference is that IRIS's count, below a Département's
    threshold chosen just above it, so one of the two is masked."""
    iris_93 = iris_93.assign(commune=iris_93["IRIS"].str[:5])
    commune = iris_93["commune"].value_counts().index[0]  # the most divided one
    units = iris_93[iris_93["commune"] == commune]
    positive = units[units["C16_PMEN_MENFAMMONO"] > 0]
    small = positive.loc[positive["C16_PMEN_MENFAMMONO"].idxmin()]
    counts = dict(zip(units["IRIS"], units["C16_PMEN_MENFAMMONO"], strict=True))
    zones = {
        commune: sorted(counts),
        "zone": sorted(set(counts) - {small["IRIS"]}),
    }
    rule = departement(math.floor(small["C16_PMEN_MENFAMMONO"]) + 1)
    res = make_counts(counts, zones, "single_parent_household_persons")
    assert not audit(res, rule, membership=zones).empty
    out = apply_secrecy(res, rule, membership=zones)
    assert out["secret"].sum() == 1
    assert out.loc[out["secret"], "secret_reason"].str.startswith("secondary: ").all()
    assert audit(out, rule, membership=zones).empty
