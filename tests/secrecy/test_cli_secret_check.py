from __future__ import annotations

from click.testing import CliRunner

from territobs.cli import cli
from territobs.secrecy import apply_secrecy, departement

COUNTS = {"a": 40.0, "b": 3.0, "c": 25.0}
ZONES = {"zone": ["a", "c"], "C1": ["a", "b", "c"]}


def _files(tmp_path, make_counts, secured):
    res = make_counts(COUNTS, ZONES, names={"zone": "Quartier", "C1": "Commune"})
    if secured:
        res = apply_secrecy(res, departement(5), membership=ZONES)
    result = tmp_path / "resultat.csv"
    res.to_csv(result, index=False)
    membership = tmp_path / "membres.csv"
    membership.write_text(
        "unit;zone\n" + "".join(f"{u};{z}\n" for z, m in ZONES.items() for u in m),
        encoding="utf-8",
    )
    rules = tmp_path / "regles.toml"
    rules.write_text(
        '[rules.cd]\nthreshold = 5\n[indicators]\n"*" = "cd"\n', encoding="utf-8"
    )
    return result, membership, rules


def test_secret_check_reports_risks_and_exits_1(tmp_path, make_counts):
    result, membership, rules = _files(tmp_path, make_counts, secured=False)
    run = CliRunner().invoke(
        cli,
        [
            "secret-check",
            str(result),
            "--rules",
            str(rules),
            "--membership",
            str(membership),
        ],
    )
    assert run.exit_code == 1, run.output
    assert "differencing" in run.output
    assert "« Commune » − « Quartier »" in run.output


def test_secret_check_clean_table_exits_0(tmp_path, make_counts):
    result, membership, rules = _files(tmp_path, make_counts, secured=True)
    run = CliRunner().invoke(
        cli,
        [
            "secret-check",
            str(result),
            "--rules",
            str(rules),
            "--membership",
            str(membership),
        ],
    )
    assert run.exit_code == 0, run.output
    assert "Aucun risque trouvé." in run.output


def test_secret_check_needs_one_rule_source(tmp_path, make_counts):
    result, _, rules = _files(tmp_path, make_counts, secured=True)
    run = CliRunner().invoke(
        cli, ["secret-check", str(result), "--rules", str(rules), "--rule", "caf"]
    )
    assert run.exit_code == 2
    assert "--rules" in run.output


def test_secret_check_help_is_french():
    run = CliRunner().invoke(cli, ["secret-check", "--help"])
    assert run.exit_code == 0
    assert "Recherche les risques" in run.output


def test_secret_check_reads_rules_from_a_custom_catalogue(tmp_path, make_counts):
    """Without --rules, the rules come from the catalogue: ``rsa`` is unknown
    to the default one, declared with a CAF-like rule in the user's."""
    result, membership, _ = _files(tmp_path, make_counts, secured=False)
    catalog = tmp_path / "catalogue.toml"
    catalog.write_text(
        'name = "cd"\n\n[[indicators]]\nid = "rsa"\nkind = "count"\n'
        'label = "Foyers au RSA"\nvariable = "RSA"\n'
        'secrecy = { rule = "caf", threshold = 5 }\n',
        encoding="utf-8",
    )
    args = ["secret-check", str(result), "--membership", str(membership)]
    without = CliRunner().invoke(cli, args)
    assert without.exit_code != 0
    # no rule known for it: said, not guessed
    assert "« rsa »" in without.output + str(without.exception)
    run = CliRunner().invoke(cli, [*args, "--catalog", str(catalog)])
    assert run.exit_code == 1, run.output
    assert "« Commune » − « Quartier »" in run.output
