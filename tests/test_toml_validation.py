"""The one TOML validator reports every problem, each once, at its key path.

Invariant (hypothesis): corrupting any subset of the fields of a valid
catalogue entry or secrecy rule yields exactly one problem per corrupted
field, with its full key path, in one error.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from territobs._toml import Problems, Table
from territobs.catalog import Catalog
from territobs.errors import ConfigError, SecrecyError
from territobs.secrecy.rules import rule_from_mapping

INDICATOR = {"id": "beds", "kind": "count", "label": "Lits", "variable": "LITS"}
INDICATOR_CORRUPTIONS = {
    "label": "",
    "scale": -1,
    "unit": 3,
    "aliases": 5,
    "published_as_ratio": "oui",
    "secrecy": 5,
    "vintage": [2021],
    "variabel": "LITS",
    "kind": "cout",
}
RULE = {"threshold": 5}
RULE_CORRUPTIONS = {
    "threshold": "cinq",
    "mask_zero": "oui",
    "action": "publier",
    "label": 3,
    "governing": ["a"],
    "seuil": 5,
}


@given(st.sets(st.sampled_from(sorted(INDICATOR_CORRUPTIONS)), min_size=1))
def test_catalogue_entry_problems_are_all_reported(corrupted) -> None:
    entry = {**INDICATOR, **{k: INDICATOR_CORRUPTIONS[k] for k in corrupted}}
    with pytest.raises(ConfigError) as info:
        Catalog.from_dict({"indicators": [{"id": "ok", **INDICATOR}, entry]})
    keys = [key for key, _ in info.value.problems]
    assert sorted(keys) == sorted(f"indicators[1].{k}" for k in corrupted)
    assert info.value.key == keys[0]
    assert f"({len(keys)} problème" in info.value.message


@given(st.sets(st.sampled_from(sorted(RULE_CORRUPTIONS)), min_size=1))
def test_secrecy_rule_problems_are_all_reported(corrupted) -> None:
    table = {**RULE, **{k: RULE_CORRUPTIONS[k] for k in corrupted}}
    with pytest.raises(SecrecyError) as info:
        rule_from_mapping("cd93", table, key="secrecy.rules.cd93")
    keys = [key for key, _ in info.value.problems]
    assert sorted(keys) == sorted(f"secrecy.rules.cd93.{k}" for k in corrupted)


def test_table_getters_and_hints() -> None:
    problems = Problems("atlas")
    table = Table({"titel": "x", "k": "5", "ok": True}, "maps", problems)
    assert table.get("k", int, 3) == 3
    assert table.get("ok", bool) is True
    table.get("title", str, "Atlas")
    table.finish()
    assert problems.items == [
        ("atlas.maps.k", "un entier est attendu, trouvé '5'"),
        (
            "atlas.maps.titel",
            "clé inconnue (vouliez-vous dire « title » ? clés possibles : k, ok, "
            "title)",
        ),
    ]
    not_a_table = Problems()
    Table(["a"], "zones[0]", not_a_table)
    assert not_a_table.items == [("zones[0]", "une table est attendue, trouvé ['a']")]
