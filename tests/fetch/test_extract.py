from __future__ import annotations

import io
import tarfile
import zipfile

import pytest

from territobs.errors import SourceFetchError, SourceFormatError
from territobs.fetch import safe_extract


def _tar(path, entries):
    with tarfile.open(path, "w:gz") as tf:
        for info, data in entries:
            tf.addfile(info, io.BytesIO(data) if data is not None else None)


def test_zip_members_filtered(tmp_path):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("dir/COMMUNE.shp", b"shp")
        zf.writestr("dir/README.txt", b"txt")
    out = safe_extract(archive, tmp_path / "out", members=["COMMUNE.*"])
    assert [p.relative_to(tmp_path / "out").as_posix() for p in out] == [
        "dir/COMMUNE.shp"
    ]


@pytest.mark.parametrize(
    "name", ["../x.csv", "/etc/x.csv", "a/../../x.csv", "C:\\x.csv"]
)
def test_zip_escaping_members_refused(tmp_path, name):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok.csv", b"1")
        zf.writestr(name, b"2")
    with pytest.raises(SourceFetchError):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out" / "ok.csv").exists()  # nothing written


def test_zip_symlink_refused(tmp_path):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("link")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(SourceFetchError, match="lien"):
        safe_extract(archive, tmp_path / "out")


def test_tar_links_and_traversal_refused(tmp_path):
    link = tarfile.TarInfo("link")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    _tar(tmp_path / "l.tar.gz", [(link, None)])
    with pytest.raises(SourceFetchError, match="lien"):
        safe_extract(tmp_path / "l.tar.gz", tmp_path / "out")
    evil = tarfile.TarInfo("../evil.csv")
    evil.size = 1
    _tar(tmp_path / "e.tar.gz", [(evil, b"x")])
    with pytest.raises(SourceFetchError, match="evil"):
        safe_extract(tmp_path / "e.tar.gz", tmp_path / "out")


def test_tar_ok(tmp_path):
    info = tarfile.TarInfo("data/x.csv")
    info.size = 3
    _tar(tmp_path / "t.tgz", [(info, b"a,b")])
    out = safe_extract(tmp_path / "t.tgz", tmp_path / "out")
    assert out[0].read_bytes() == b"a,b"


def test_not_an_archive(tmp_path):
    path = tmp_path / "x.zip"
    path.write_bytes(b"hello")
    with pytest.raises(SourceFormatError):
        safe_extract(path, tmp_path / "out")
