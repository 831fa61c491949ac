from __future__ import annotations

import io
import json
import zipfile

import pytest

from territobs.errors import ConfigError, SourceFetchError
from territobs.fetch import fetch, get_source, list_sources, verify_cache

MVT = b"MOD,DATE_EFF,TYPECOM_AV,COM_AV\n" + b"32,2024-01-01,COM,01039\n" * 5000


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_registry_entries_are_complete():
    ids = {s.id for s in list_sources()}
    assert {
        "ign-admin-express-cog-carto",
        "ign-contours-iris",
        "insee-rp-iris-population",
        "insee-filosofi-commune",
        "insee-filosofi-iris",
        "insee-filosofi-200m",
        "insee-cog-communes",
        "insee-cog-mouvements",
        "insee-table-appartenance",
        "caf-foyers-allocataires",
    } <= ids
    url = get_source("insee-cog-mouvements").url_for(2024)
    assert url.endswith("/v_mvt_commune_2024.csv")


def test_unknown_source_and_undeclared_year():
    with pytest.raises(ConfigError, match="nope"):
        get_source("nope")
    with pytest.raises(SourceFetchError, match="1999") as info:
        get_source("insee-cog-mouvements").url_for(1999)
    assert info.value.source == "insee-cog-mouvements"


def test_download_then_cache_hit(server, tmp_path):
    server.files["v_mvt_commune_2024.csv"] = MVT
    path = fetch(
        "insee-cog-mouvements", year=2024, cache_dir=tmp_path, base_url=server.url
    )
    assert path.read_bytes() == MVT
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert len(manifest) == 1 and next(iter(manifest.values()))["size"] == len(MVT)
    again = fetch(
        "insee-cog-mouvements", year=2024, cache_dir=tmp_path, base_url=server.url
    )
    assert again == path
    assert len(server.hits("v_mvt_commune_2024.csv")) == 1  # no second request


def test_offline_uses_cache_only(server, tmp_path):
    with pytest.raises(SourceFetchError, match="hors ligne"):
        fetch(
            "insee-cog-mouvements",
            year=2024,
            cache_dir=tmp_path,
            offline=True,
            base_url=server.url,
        )
    assert server.requests == []
    server.files["v_mvt_commune_2024.csv"] = MVT
    path = fetch(
        "insee-cog-mouvements", year=2024, cache_dir=tmp_path, base_url=server.url
    )
    assert (
        fetch("insee-cog-mouvements", year=2024, cache_dir=tmp_path, offline=True)
        == path
    )


def test_corrupted_cache_detected_and_refreshed(server, tmp_path):
    server.files["v_mvt_commune_2024.csv"] = MVT
    path = fetch(
        "insee-cog-mouvements", year=2024, cache_dir=tmp_path, base_url=server.url
    )
    path.write_bytes(MVT[:-3] + b"XYZ")
    with pytest.raises(SourceFetchError, match="corrompu") as info:
        fetch(
            "insee-cog-mouvements", year=2024, cache_dir=tmp_path, base_url=server.url
        )
    assert info.value.path == str(path)
    assert verify_cache(tmp_path) == {path.relative_to(tmp_path).as_posix(): False}
    fetch(
        "insee-cog-mouvements",
        year=2024,
        cache_dir=tmp_path,
        base_url=server.url,
        refresh=True,
    )
    assert path.read_bytes() == MVT


def test_corrupted_download_against_published_checksum(server, tmp_path, monkeypatch):
    import hashlib
    from dataclasses import replace

    from territobs.fetch import download

    source = get_source("insee-cog-mouvements")
    years = {2024: {**source.years[2024], "sha256": hashlib.sha256(MVT).hexdigest()}}
    monkeypatch.setattr(
        download, "get_source", lambda _id: replace(source, years=years)
    )
    server.files["v_mvt_commune_2024.csv"] = MVT
    server.corrupt.add("v_mvt_commune_2024.csv")
    with pytest.raises(SourceFetchError, match="registre"):
        fetch(
            "insee-cog-mouvements", year=2024, cache_dir=tmp_path, base_url=server.url
        )
    assert not any(tmp_path.rglob("*.csv"))


def test_interrupted_download_resumes_with_range(server, tmp_path):
    server.files["v_mvt_commune_2024.csv"] = MVT
    server.cut_after["v_mvt_commune_2024.csv"] = 10_000
    path = fetch(
        "insee-cog-mouvements", year=2024, cache_dir=tmp_path, base_url=server.url
    )
    assert path.read_bytes() == MVT
    assert server.hits("v_mvt_commune_2024.csv") == [None, "bytes=10000-"]
    assert not list(tmp_path.rglob("*.part"))


def test_missing_file_means_source_moved(server, tmp_path):
    with pytest.raises(SourceFetchError, match="a changé") as info:
        fetch(
            "insee-cog-mouvements", year=2024, cache_dir=tmp_path, base_url=server.url
        )
    assert "sources.insee-cog-mouvements" in info.value.message


def test_html_page_instead_of_file_means_moved(server, tmp_path):
    server.files["v_mvt_commune_2024.csv"] = b"<html>Page introuvable</html>"
    server.content_types["v_mvt_commune_2024.csv"] = "text/html"
    with pytest.raises(SourceFetchError, match="HTML"):
        fetch(
            "insee-cog-mouvements", year=2024, cache_dir=tmp_path, base_url=server.url
        )


def test_archive_members_extracted(server, tmp_path):
    xlsx = b"PK-fake-xlsx"
    server.files["table-appartenance-geo-communes-24.zip"] = _zip(
        {"table-appartenance-geo-communes-24.xlsx": xlsx, "notice.pdf": b"%PDF"}
    )
    out = fetch(
        "insee-table-appartenance", year=2024, cache_dir=tmp_path, base_url=server.url
    )
    assert [p.name for p in out.iterdir()] == [
        "table-appartenance-geo-communes-24.xlsx"
    ]


def test_archive_with_parent_member_refused(server, tmp_path):
    server.files["table-appartenance-geo-communes-24.zip"] = _zip(
        {"../../evil.xlsx": b"x"}
    )
    with pytest.raises(SourceFetchError, match="evil") as info:
        fetch(
            "insee-table-appartenance",
            year=2024,
            cache_dir=tmp_path / "cache",
            base_url=server.url,
        )
    assert info.value.codes == ["../../evil.xlsx"]
    assert not (tmp_path / "evil.xlsx").exists()


def test_cache_dir_from_environment(server, tmp_path, monkeypatch):
    monkeypatch.setenv("TERRITOBS_CACHE_DIR", str(tmp_path / "env"))
    server.files["v_mvt_commune_2024.csv"] = MVT
    path = fetch("insee-cog-mouvements", year=2024, base_url=server.url)
    assert path.is_relative_to(tmp_path / "env")
