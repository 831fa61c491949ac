"""The command line speaks French, click's own words included (issue 2)."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from territobs.cli import COMMANDS, cli, main
from territobs.cli._french import french_message

#: Words click writes in English when left alone.
ENGLISH_CLICK = re.compile(
    r"Usage:|Options:|Commands:|Arguments:|Show this message|Show the version"
    r"|\[default:|\[required\]|env var:|\b(TEXT|INTEGER|FLOAT|PATH|FILENAME|DIRECTORY)\b"
    r"|COMMAND \[ARGS\]|Error:|Try '|No such|Missing|Invalid value|Did you mean"
    r"|is not one of|does not exist|requires an argument|unexpected extra"
)


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args), prog_name="territobs")


def assert_french(text: str) -> None:
    found = ENGLISH_CLICK.search(text)
    assert found is None, f"English click word {found.group(0)!r} in:\n{text}"


def test_group_help_is_french():
    result = invoke("--help")
    assert result.exit_code == 0
    assert result.output.startswith("Utilisation : territobs [OPTIONS] COMMANDE")
    assert "\nOptions :\n" in result.output
    assert "\nCommandes :\n" in result.output
    assert "Affiche cette aide et quitte." in result.output
    assert "Affiche la version et quitte." in result.output
    assert_french(result.output)


def test_no_arguments_shows_the_french_help():
    result = invoke()
    assert "Utilisation : territobs" in result.output
    assert_french(result.output)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_subcommand_help_is_french(name):
    result = invoke(name, "--help")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Utilisation : territobs {name} ")
    assert "Options :" in result.output
    assert "-h, --help" in result.output
    assert_french(result.output)


def test_nested_group_help_is_french():
    for args in (
        ["cog", "--help"],
        ["cog", "convert", "--help"],
        ["cog", "detect", "-h"],
    ):
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        assert_french(result.output)
    assert "[obligatoire]" in invoke("cog", "convert", "--help").output
    assert "[défaut : code]" in invoke("cog", "convert", "--help").output


def test_bad_option_error_is_french():
    result = invoke("--bogus")
    assert result.exit_code == 2
    assert "Utilisation : territobs [OPTIONS]" in result.output
    assert "Essayez « territobs --help » pour l'aide." in result.output
    assert "Erreur : Option « --bogus » inconnue." in result.output
    assert_french(result.output)


def test_bad_subcommand_option_error_is_french():
    result = invoke("read", "--verbeux", "x.csv")
    assert result.exit_code == 2
    assert "Utilisation : territobs read [OPTIONS] FICHIER" in result.output
    assert "Erreur : Option « --verbeux » inconnue." in result.output
    assert_french(result.output)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["read"], "Erreur : Argument « FICHIER » manquant."),
        (["nope"], "Erreur : Commande « nope » inconnue."),
        (["reda"], "Vouliez-vous dire « read » ?"),
        (["read", "--kind", "zz", "x"], "Valeur invalide pour « --kind » : « zz »"),
        (["read", "--kind"], "L'option « --kind » attend une valeur."),
        (["read", "absent.csv"], "le chemin « absent.csv » n'existe pas."),
        (["read", "a", "b"], "Erreur : Argument en trop : b."),
        (["read", "a", "b", "c"], "Erreur : Arguments en trop : b c."),
        (["cog", "detect", "--bogus"], "territobs cog detect --help » pour l'aide."),
    ],
)
def test_usage_errors_are_french(args, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").write_text("x\n", encoding="utf-8")
    result = invoke(*args)
    assert expected in result.output
    assert_french(result.output)


def test_missing_required_option_is_french(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("code\n01001\n", encoding="utf-8")
    result = invoke("cog", "convert", str(table), str(tmp_path / "out.csv"))
    assert result.exit_code == 2
    assert "Erreur : Option « --from » manquante." in result.output
    assert_french(result.output)


def test_console_entry_point_errors_are_french(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--bogus"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Erreur : Option « --bogus » inconnue." in err
    assert "Utilisation : territobs" in err
    assert_french(err)


def test_non_standalone_callers_keep_click_exception_types():
    with pytest.raises(click.UsageError):
        cli.main(["--bogus"], prog_name="territobs", standalone_mode=False)


def test_french_message_keeps_unknown_messages():
    assert french_message(click.ClickException("déjà en français")) == (
        "Déjà en français"
    )
    assert (
        french_message(
            click.BadParameter("colonne « x » absente.", param_hint="--code-column")
        )
        == "Valeur invalide pour « --code-column » : colonne « x » absente."
    )
