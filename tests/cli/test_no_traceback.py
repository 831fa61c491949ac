"""The command line never shows a raw traceback (issue 15, item 3)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from territobs.cli import main, unexpected_message
from territobs.errors import OutputError, output_error


def test_unexpected_error_is_one_french_line(tmp_path, capsys, monkeypatch):
    from territobs.cli import read as read_module

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(read_module, "_read", broken)
    path = tmp_path / "t.csv"
    path.write_text("CODGEO;P21_POP\n93001;1\n")
    with pytest.raises(SystemExit) as info:
        main(["read", str(path)])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("Erreur : erreur inattendue (RuntimeError : boom)")
    assert "Traceback" not in err and "-v" in err
    with pytest.raises(RuntimeError):  # -v shows the traceback
        main(["-v", "read", str(path)])


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (errno.EACCES, "permission refusée"),
        (errno.EROFS, "lecture seule"),
        (errno.ENOSPC, "disque plein"),
        (errno.EISDIR, "c'est un dossier"),
    ],
)
def test_output_errors_name_the_path_and_the_fix(number, words):
    error = output_error(OSError(number, "x", "/data/sortie.csv"))
    assert isinstance(error, OutputError) and isinstance(error, OSError)
    assert error.message.startswith("impossible d'écrire « /data/sortie.csv » : ")
    assert words in error.message
    assert error.errno == number


def test_output_inside_a_file(tmp_path):
    (tmp_path / "fichier").write_text("x")
    target = tmp_path / "fichier" / "sortie.csv"
    message = unexpected_message(OSError("Cannot save file"), str(target))
    assert f"« {tmp_path / 'fichier'} » est un fichier, pas un dossier" in message


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_full_disk_through_the_command_line(tmp_path, capsys):
    out = tmp_path / "res.csv"
    out.symlink_to("/dev/full")
    (tmp_path / "t.csv").write_text("CODGEO;P21_POP\n93001;1\n")
    import geopandas as gpd
    from shapely.geometry import box

    gpd.GeoDataFrame(
        {"INSEE_COM": ["93001"], "NOM": ["Aubervilliers"]},
        geometry=[box(652000, 6860000, 653000, 6861000)],
        crs=2154,
    ).to_file(tmp_path / "u.gpkg")
    (tmp_path / "z.csv").write_text("zone;membres\na;93001\n")
    with pytest.raises(SystemExit):
        main(
            ["recompute", "--units", str(tmp_path / "u.gpkg"), "--table",
             str(tmp_path / "t.csv"), "--zones", str(tmp_path / "z.csv"),
             "--indicator", "population", "--output", str(out)]
        )  # fmt: skip
    err = capsys.readouterr().err
    assert f"impossible d'écrire « {out} » : disque plein" in err
