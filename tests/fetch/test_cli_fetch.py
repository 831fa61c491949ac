from __future__ import annotations

from click.testing import CliRunner

from territobs.cli import cli

BODY = b"MOD,DATE_EFF,COM_AV\n32,2024-01-01,01039\n"


def test_fetch_end_to_end(server, tmp_path):
    server.files["v_mvt_commune_2024.csv"] = BODY
    args = [
        "fetch",
        "insee-cog-mouvements",
        "--year",
        "2024",
        "--cache-dir",
        str(tmp_path),
        "--base-url",
        server.url,
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    path = result.stdout.strip().splitlines()[-1]
    assert open(path, "rb").read() == BODY
    offline = CliRunner().invoke(cli, [*args[:-2], "--offline"])
    assert offline.exit_code == 0 and offline.stdout.strip().endswith(path)
    assert len(server.hits("v_mvt_commune_2024.csv")) == 1


def test_fetch_errors_are_french_one_liners(server, tmp_path):
    from territobs.errors import SourceFetchError

    result = CliRunner().invoke(
        cli,
        [
            "fetch",
            "insee-cog-mouvements",
            "--year",
            "2024",
            "--cache-dir",
            str(tmp_path),
            "--offline",
        ],
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, SourceFetchError)


def test_fetch_list_and_usage():
    listed = CliRunner().invoke(cli, ["fetch", "--list"])
    assert "insee-cog-mouvements" in listed.output
    missing = CliRunner().invoke(cli, ["fetch", "insee-cog-mouvements"])
    assert missing.exit_code == 2 and "--year" in missing.output


def test_fetch_size_cap_option(server, tmp_path):
    server.files["v_mvt_commune_2024.csv"] = BODY * 40_000
    args = ["fetch", "insee-cog-mouvements", "--year", "2024"]
    args += ["--cache-dir", str(tmp_path), "--base-url", server.url]
    result = CliRunner().invoke(cli, [*args, "--max-size", "0.5"])
    assert result.exit_code == 1
    assert "limite de 524288 octets" in str(result.exception)
