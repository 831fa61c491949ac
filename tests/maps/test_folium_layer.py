"""territobs results as a layer of a user's own folium map (``territobs[folium]``)."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely import box

from territobs.secrecy import CAF, apply_secrecy
from territobs.zoning.recompute import recompute
from territobs.zoning.weights import build_weights
from territobs.zoning.zones import zones_from_members

folium = pytest.importorskip("folium")

from territobs.maps.folium_layer import NO_VALUE_COLOR, to_folium_layer  # noqa: E402


@pytest.fixture
def result_and_zones():
    units = gpd.GeoDataFrame(
        {
            "code": ["93001", "93066", "93048", "93055"],
            "name": ["Aubervilliers", "Saint-Denis", "Montreuil", "Pantin"],
            "ALL_RSA": [120.0, 3.0, 80.0, float("nan")],
            "ALL_RSA__secret": [False, False, False, True],
        },
        geometry=[box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(4)],
        crs=2154,
    )
    zones = zones_from_members(
        {
            "nord": ["93001"],
            "petite <b>zone</b>": ["93066"],
            "est": ["93048"],
            "pantin": ["93055"],
        },
        units=units,
    )
    weights = build_weights(units, zones, method="exact")
    result = recompute(units, zones, "rsa_beneficiaries", weights=weights)
    return apply_secrecy(result, CAF, membership=weights), zones


def features(layer):
    return {f["properties"]["zone"]: f["properties"] for f in layer.data["features"]}


def test_layer_colours_values_and_says_secret_without_sending_it(result_and_zones):
    result, zones = result_and_zones
    layer = to_folium_layer(result, zones, "rsa_beneficiaries")
    assert isinstance(layer, folium.GeoJson)
    props = features(layer)
    assert props["nord"]["value"].startswith("120")
    assert props["est"]["color"] != NO_VALUE_COLOR
    for zone in ("petite <b>zone</b>", "pantin"):  # rule < 5, producer blank
        assert props[zone]["value"] == "secret statistique"
        assert props[zone]["color"] == NO_VALUE_COLOR
    assert "3" not in props["petite <b>zone</b>"]["value"]
    # names from data are escaped before folium writes them as HTML
    assert props["petite <b>zone</b>"]["name"] == "petite &lt;b&gt;zone&lt;/b&gt;"


def test_layer_goes_on_a_users_map_with_its_attribution(result_and_zones):
    result, zones = result_and_zones
    m = folium.Map(location=[48.9, 2.4], zoom_start=11, tiles=None)
    to_folium_layer(result, zones, "rsa_beneficiaries", name="RSA").add_to(m)
    html = m.get_root().render()
    assert "CAF" in html
    assert "Source" in html
    assert json.dumps("secret statistique")[1:-1] in html
    assert "Foyers allocataires du RSA" in html


def test_unknown_indicator_lists_the_present_ones(result_and_zones):
    result, zones = result_and_zones
    with pytest.raises(KeyError, match="rsa_beneficiaries"):
        to_folium_layer(result, zones, "population")
