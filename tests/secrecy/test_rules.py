from __future__ import annotations

import pytest

from territobs.errors import SecrecyError
from territobs.secrecy import (
    BUILTIN_RULES,
    CAF,
    FILOSOFI,
    RP,
    SecrecyRule,
    departement,
    rule_from_mapping,
    rules_from_catalog,
    rules_from_toml,
)
from territobs.secrecy.rules import resolve_rules


def test_builtin_rules_follow_the_producers():
    assert (CAF.threshold, CAF.masked_max, CAF.mask_zero) == (5.0, 4.0, True)
    assert CAF.governing is None
    assert (FILOSOFI.threshold, FILOSOFI.governing) == (11.0, "fiscal_households")
    assert RP.action == "advise" and RP.threshold == 200
    assert set(BUILTIN_RULES) == {"caf", "filosofi", "rp"}
    assert all(rule.source for rule in BUILTIN_RULES.values())


def test_departement_rule_defaults_masked_max_below_threshold():
    rule = departement(10, producer="Département de l'Ain")
    assert (rule.threshold, rule.masked_max, rule.id) == (10.0, 9.0, "departement")
    assert rule.threshold_text() == "moins de 10 bénéficiaires"


@pytest.mark.parametrize("threshold", [0, -3, float("nan"), "abc"])
def test_invalid_threshold_is_refused(threshold):
    with pytest.raises(SecrecyError) as info:
        SecrecyRule(id="x", label="x", producer="x", threshold=threshold)
    assert info.value.key == "threshold"


def test_masked_max_must_be_below_threshold():
    with pytest.raises(SecrecyError) as info:
        SecrecyRule(id="x", label="x", producer="x", threshold=5, masked_max=5)
    assert info.value.key == "masked_max"


def test_unknown_action_is_refused():
    with pytest.raises(SecrecyError, match="publish"):
        SecrecyRule(id="x", label="x", producer="x", threshold=5, action="publish")


def test_rule_from_mapping_overrides_a_builtin():
    rule = rule_from_mapping("caf", {"threshold": 10, "masked_max": 9}, base=CAF)
    assert (rule.threshold, rule.masked_max, rule.mask_zero) == (10.0, 9.0, True)


def test_rule_from_mapping_rejects_unknown_keys():
    with pytest.raises(SecrecyError) as info:
        rule_from_mapping("cd01", {"threshold": 10, "seuil": 3})
    assert info.value.codes == ["seuil"]


def test_rule_from_mapping_needs_a_threshold():
    with pytest.raises(SecrecyError) as info:
        rule_from_mapping("cd01", {"label": "x"})
    assert info.value.key == "rules.cd01.threshold"


def test_rules_from_toml(tmp_path):
    path = tmp_path / "secret.toml"
    path.write_text(
        """
[rules.cd01]
threshold = 10
governing_label = "bénéficiaires"
producer = "Département de l'Ain"

[rules.caf]
publish_bounds = true

[indicators]
rsa_beneficiaries = "caf"
poverty_rate = "filosofi"
"*" = "cd01"
""",
        encoding="utf-8",
    )
    rules = rules_from_toml(path)
    assert rules["rsa_beneficiaries"].publish_bounds is True
    assert rules["rsa_beneficiaries"].threshold == 5
    assert rules["poverty_rate"] is FILOSOFI
    assert rules["*"].threshold == 10 and rules["*"].id == "cd01"


def test_rules_from_toml_unknown_rule(tmp_path):
    path = tmp_path / "secret.toml"
    path.write_text('[indicators]\nrsa = "cnaf"\n', encoding="utf-8")
    with pytest.raises(SecrecyError) as info:
        rules_from_toml(path)
    assert info.value.key == "indicators.rsa"
    assert info.value.path == str(path)


def test_rules_from_toml_invalid_rule_names_the_file(tmp_path):
    path = tmp_path / "secret.toml"
    path.write_text('[rules.cd]\nthreshold = -1\n[indicators]\n"*" = "cd"\n')
    with pytest.raises(SecrecyError, match=r"secret\.toml") as info:
        rules_from_toml(path)
    assert info.value.path == str(path)


def test_rules_from_toml_bad_toml(tmp_path):
    path = tmp_path / "secret.toml"
    path.write_text("[rules\n", encoding="utf-8")
    with pytest.raises(SecrecyError) as info:
        rules_from_toml(path)
    assert info.value.path == str(path)


def test_resolve_rules_reports_indicators_without_rule():
    with pytest.raises(SecrecyError) as info:
        resolve_rules({"rsa": "caf"}, ["rsa", "aah", "pop"])
    assert info.value.codes == ["aah", "pop"]


def test_resolve_rules_default_and_ids():
    rules = resolve_rules({"rsa": "caf", "*": departement(8)}, ["rsa", "aah"])
    assert rules["rsa"] is CAF and rules["aah"].threshold == 8
    assert resolve_rules("filosofi", ["a"]) == {"a": FILOSOFI}
    with pytest.raises(SecrecyError) as info:
        resolve_rules("cnaf", ["a"])
    assert info.value.codes == ["cnaf"]


def test_rules_from_catalog_reads_the_declared_rule():
    rules = rules_from_catalog(["rsa_beneficiaries", "poverty_rate"])
    assert rules["rsa_beneficiaries"].id == "caf"
    assert rules["rsa_beneficiaries"].threshold == 5
    assert rules["poverty_rate"].id == "filosofi"


def test_rules_from_catalog_lists_indicators_without_rule():
    with pytest.raises(SecrecyError) as info:
        rules_from_catalog(["population", "rsa_beneficiaries", "nope"])
    assert info.value.codes == ["population", "nope"]


def test_rules_from_toml_lists_every_problem_with_its_key(tmp_path):
    """One run names every invalid value, unknown key and unknown rule."""
    path = tmp_path / "secret.toml"
    path.write_text(
        '[rules.cd]\nthreshold = -1\nseuil = 3\n[rules.ok]\nthreshold = "dix"\n'
        "[rules.caf]\nmasked_max = 7\n"
        '[indicators]\n"*" = "cd"\nrsa = "cnaf"\n[extra]\nx = 1\n',
        encoding="utf-8",
    )
    with pytest.raises(SecrecyError) as info:
        rules_from_toml(path)
    keys = [key for key, _ in info.value.problems]
    assert sorted(keys) == sorted(
        [
            "rules.cd.seuil",
            "rules.cd.threshold",
            "rules.ok.threshold",
            "rules.caf.masked_max",
            "indicators.rsa",
            "extra",
        ]
    )
    assert info.value.codes == ["seuil", "extra"]
    assert "6 problèmes" in info.value.message
    assert (
        "rules.cd.seuil : clé inconnue (clés possibles : action" in info.value.message
    )


def test_rule_from_mapping_lists_type_and_key_problems():
    with pytest.raises(SecrecyError) as info:
        rule_from_mapping(
            "cd", {"threshold": 5, "mask_zero": "oui", "action": "publier"}
        )
    assert [k for k, _ in info.value.problems] == [
        "rules.cd.mask_zero",
        "rules.cd.action",
    ]
