"""Hostile answers from a real HTTP server on 127.0.0.1: nothing bad is pinned.

Each case is a way a download can look complete while it is not the published
file (issue 15). After each refusal, nothing is left in the cache manifest and
no file is returned.
"""

from __future__ import annotations

import io
import json
import os
import time
import warnings
import zipfile

import pytest

from territobs.errors import SourceFetchError
from territobs.fetch import fetch, safe_extract

CSV = "v_mvt_commune_2024.csv"
MVT = b"MOD,DATE_EFF,TYPECOM_AV,COM_AV\n" + b"32,2024-01-01,COM,01039\n" * 1999
ZIP = "table-appartenance-geo-communes-24.zip"


def _zip(members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns on duplicate names
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members:
                zf.writestr(name, data)
    return buffer.getvalue()


def _get(server, tmp_path, source="insee-cog-mouvements", **kw):
    return fetch(source, year=2024, cache_dir=tmp_path, base_url=server.url, **kw)


def _pinned(tmp_path) -> dict:
    manifest = tmp_path / "manifest.json"
    return json.loads(manifest.read_text()) if manifest.exists() else {}


def test_cut_without_length_mid_line_is_refused(server, tmp_path):
    server.files[CSV] = MVT
    server.no_length.add(CSV)
    server.cut_after[CSV] = len(MVT) // 2 + 7  # inside a line
    with pytest.raises(SourceFetchError, match="tronqué") as info:
        _get(server, tmp_path)
    assert info.value.reason.startswith("la dernière ligne est incomplète")
    assert _pinned(tmp_path) == {}
    assert not list(tmp_path.rglob("*.csv"))


def test_cut_without_length_on_a_line_end_is_caught_by_a_second_download(
    server, tmp_path
):
    server.files[CSV] = MVT
    server.no_length.add(CSV)
    server.cut_after[CSV] = MVT.index(b"\n", len(MVT) // 2) + 1  # once
    with pytest.raises(SourceFetchError, match="deux téléchargements diffèrent"):
        _get(server, tmp_path)
    assert _pinned(tmp_path) == {}
    assert len(server.hits(CSV)) == 2


def test_whole_file_without_length_is_pinned_after_two_identical_downloads(
    server, tmp_path
):
    server.files[CSV] = MVT
    server.no_length.add(CSV)
    assert _get(server, tmp_path).read_bytes() == MVT
    assert len(server.hits(CSV)) == 2
    assert len(_pinned(tmp_path)) == 1


@pytest.mark.parametrize(
    "content_type", ["application/octet-stream", "text/csv", "text/plain"]
)
def test_html_error_page_with_status_200_is_refused(server, tmp_path, content_type):
    server.files[CSV] = b"\n  <!DOCTYPE html>\n<html><body>Erreur 503</body></html>\n"
    server.content_types[CSV] = content_type
    with pytest.raises(SourceFetchError, match="page HTML"):
        _get(server, tmp_path)
    assert _pinned(tmp_path) == {}


def test_csv_without_the_expected_columns_is_refused(server, tmp_path):
    server.files[CSV] = b"a;b\n1;2\n"
    with pytest.raises(SourceFetchError, match="COM_AV"):
        _get(server, tmp_path)


def test_slow_drip_is_cut_by_the_overall_deadline(server, tmp_path):
    server.files[CSV] = MVT
    server.drip[CSV] = 0.05  # 20 bytes per second: reads never time out
    start = time.monotonic()
    with pytest.raises(SourceFetchError, match="délai de 1 s dépassé"):
        _get(server, tmp_path, deadline=1)
    assert time.monotonic() - start < 30
    assert _pinned(tmp_path) == {}


def test_stale_part_and_206_with_the_whole_file(server, tmp_path):
    server.files[CSV] = MVT
    server.whole_206.add(CSV)
    folder = tmp_path / "insee-cog-mouvements" / "2024"
    folder.mkdir(parents=True)
    (folder / "insee-cog-mouvements-2024.csv.part").write_bytes(MVT[:1000])
    path = _get(server, tmp_path)
    assert path.read_bytes() == MVT  # not 1,000 bytes too long
    assert server.hits(CSV) == ["bytes=1000-", None]


@pytest.mark.parametrize("declared", [True, False])
def test_size_cap(server, tmp_path, declared):
    server.files[CSV] = MVT
    if not declared:
        server.no_length.add(CSV)
    with pytest.raises(SourceFetchError, match="limite de 4096 octets"):
        _get(server, tmp_path, max_bytes=4096)
    assert not list(tmp_path.rglob("*.csv*"))


def test_zip_bomb_is_stopped(server, tmp_path):
    server.files[ZIP] = _zip([("table.xlsx", b"\0" * (64 * 2**20))])
    assert len(server.files[ZIP]) < 2**20
    with pytest.raises(SourceFetchError, match="bombe de décompression"):
        _get(server, tmp_path, source="insee-table-appartenance")
    assert not list(tmp_path.rglob("*.xlsx"))


def test_zip_bomb_total_limit(tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(
        _zip([("a.csv", os.urandom(3000)), ("b.csv", os.urandom(3000))])
    )
    with pytest.raises(SourceFetchError, match="plus de 4000 octets"):
        safe_extract(archive, tmp_path / "out", max_extracted_bytes=4000)
    assert list((tmp_path / "out").rglob("*.csv")) == []


def _symlink(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o120777 << 16
    return info


@pytest.mark.parametrize(
    ("members", "match"),
    [
        ([(_symlink("t.xlsx", "/etc/passwd"), b"/etc/passwd")], "lien symbolique"),
        ([("t.xlsx", b"1"), ("t.xlsx", b"2")], "en double"),
        ([("T.xlsx", b"1"), ("t.xlsx", b"2")], "en double"),
        ([("d.xlsx", b"1"), ("d.xlsx/e.xlsx", b"2")], "nom d'un dossier"),
        ([("../../t.xlsx", b"1")], "sortirait"),
    ],
    ids=["symlink", "duplicate", "case-duplicate", "file-and-folder", "traversal"],
)
def test_hostile_archive_members_refused(server, tmp_path, members, match):
    server.files[ZIP] = _zip(members)
    with pytest.raises(SourceFetchError, match=match):
        _get(server, tmp_path / "cache", source="insee-table-appartenance")
    assert not list((tmp_path / "cache").rglob("extrait*/*"))


def test_truncated_zip_without_length_is_refused(server, tmp_path):
    server.files[ZIP] = _zip([("t.xlsx", os.urandom(20_000))])
    server.no_length.add(ZIP)
    server.cut_after[ZIP] = 15_000
    with pytest.raises(SourceFetchError, match="archive illisible"):
        _get(server, tmp_path, source="insee-table-appartenance")
    assert _pinned(tmp_path) == {}


def test_csv_served_for_a_zip_is_refused(server, tmp_path):
    server.files[ZIP] = MVT
    with pytest.raises(SourceFetchError, match="pas un fichier zip"):
        _get(server, tmp_path, source="insee-table-appartenance")


def test_new_archive_version_gets_a_fresh_folder(server, tmp_path):
    server.files[ZIP] = _zip([("old.xlsx", b"1")])
    first = _get(server, tmp_path, source="insee-table-appartenance")
    server.files[ZIP] = _zip([("new.xlsx", b"2")])
    second = _get(server, tmp_path, source="insee-table-appartenance", refresh=True)
    assert first != second
    assert [p.name for p in second.iterdir()] == ["new.xlsx"]


def test_extraction_never_follows_a_link_already_there(tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_bytes(b"keep")
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "x.csv").symlink_to(outside)
    archive = tmp_path / "a.zip"
    archive.write_bytes(_zip([("x.csv", b"evil")]))
    with pytest.raises(SourceFetchError, match="existe déjà"):
        safe_extract(archive, dest)
    assert outside.read_bytes() == b"keep"
    (dest / "x.csv").unlink()
    (dest / "sub").symlink_to(tmp_path)
    archive.write_bytes(_zip([("sub/outside.csv", b"evil")]))
    with pytest.raises(SourceFetchError, match="lien symbolique"):
        safe_extract(archive, dest)
    assert outside.read_bytes() == b"keep"


def test_unreadable_manifest_names_the_fix(server, tmp_path):
    server.files[CSV] = MVT
    _get(server, tmp_path)
    (tmp_path / "manifest.json").write_text("{tronqué")
    with pytest.raises(SourceFetchError, match="--refresh") as info:
        _get(server, tmp_path)
    assert info.value.path == str(tmp_path / "manifest.json")
    assert _get(server, tmp_path, refresh=True).read_bytes() == MVT


def test_declared_length_accepts_a_csv_without_final_line_end(server, tmp_path):
    server.files[CSV] = MVT.rstrip(b"\n")
    assert _get(server, tmp_path).read_bytes() == MVT.rstrip(b"\n")
