"""Content hashes, manifest freshness and atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from territobs.atlas.cache import (
    Manifest,
    StepRecord,
    atomic_path,
    atomic_write_text,
    code_fingerprint,
    digest_file,
    key_of,
    tree_digest,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=4), json_values, max_size=5))
def test_key_ignores_mapping_order(mapping: dict) -> None:
    """Invariant: a key depends on a mapping's content, not on its key order."""
    reordered = dict(reversed(list(mapping.items())))
    assert key_of(mapping) == key_of(reordered)


@settings(max_examples=60, deadline=None)
@given(json_values, json_values)
def test_key_separates_values(a, b) -> None:
    """Invariant: different JSON values give different keys (no collision)."""
    if a != b and not (isinstance(a, bool) or isinstance(b, bool)):
        assert key_of(a) != key_of(b)


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.txt"
    atomic_write_text(target, "first")
    atomic_write_text(target, "second")
    assert target.read_text(encoding="utf-8") == "second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.txt"]


def test_failed_write_keeps_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as temp:
        temp.write_text("half", encoding="utf-8")
        raise RuntimeError("crash")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_path_keeps_suffix(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "t.parquet") as temp:
        assert temp.suffix == ".parquet"
        temp.write_bytes(b"x")


def _manifest_with(tmp_path: Path, content: str = "data") -> Manifest:
    manifest = Manifest(tmp_path)
    atomic_write_text(tmp_path / "out.txt", content)
    manifest.steps["s"] = StepRecord(
        key="k", outputs={"out": manifest.output_record("out.txt")}
    )
    manifest.save()
    return Manifest(tmp_path)


def test_manifest_round_trip_and_freshness(tmp_path: Path) -> None:
    manifest = _manifest_with(tmp_path)
    assert manifest.is_fresh("s", "k")
    assert not manifest.is_fresh("s", "other key")
    assert not manifest.is_fresh("unknown", "k")


def test_missing_output_is_stale(tmp_path: Path) -> None:
    manifest = _manifest_with(tmp_path)
    (tmp_path / "out.txt").unlink()
    assert not manifest.is_fresh("s", "k")


def test_altered_output_is_stale(tmp_path: Path) -> None:
    manifest = _manifest_with(tmp_path)
    (tmp_path / "out.txt").write_text("tampered", encoding="utf-8")
    assert not manifest.is_fresh("s", "k")


def test_touched_output_with_same_content_is_fresh(tmp_path: Path) -> None:
    manifest = _manifest_with(tmp_path)
    stat = os.stat(tmp_path / "out.txt")
    os.utime(tmp_path / "out.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert manifest.is_fresh("s", "k")
    assert manifest.dirty


def test_input_digest_is_cached_by_stat(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("a;b\n", encoding="utf-8")
    manifest = Manifest(tmp_path)
    first = manifest.input_digest(path)
    assert first == digest_file(path)
    manifest.save()
    again = Manifest(tmp_path)
    assert again.input_digest(path) == first
    assert not again.dirty  # stat unchanged: not re-read
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    assert again.input_digest(path) != first


def test_corrupt_manifest_is_ignored(tmp_path: Path) -> None:
    (tmp_path / ".territobs-manifest.json").write_text("{not json", encoding="utf-8")
    assert Manifest(tmp_path).steps == {}


def test_atomic_files_get_usual_permissions(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    os.umask(mask)
    atomic_write_text(tmp_path / "a.txt", "x")
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~mask


def test_tree_digest_follows_names_and_contents_not_place(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for root in (one, two):
        (root / "sub" / "__pycache__").mkdir(parents=True)
        (root / "a.py").write_text("x = 1\n")
        (root / "sub" / "data.toml").write_text("k = 2\n")
    (two / "sub" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert tree_digest(one) == tree_digest(two)  # compiled files ignored
    (two / "a.py").write_text("x = 2\n")
    assert tree_digest(one) != tree_digest(two)  # an edit
    (two / "a.py").write_text("x = 1\n")
    (two / "sub" / "data.toml").rename(two / "data.toml")
    assert tree_digest(one) != tree_digest(two)  # a move
    (two / "data.toml").rename(two / "sub" / "data.toml")
    (two / "b.py").write_text("")
    assert tree_digest(one) != tree_digest(two)  # a new empty file


def test_step_keys_change_with_the_code(tmp_path: Path, monkeypatch) -> None:
    import territobs.atlas.build as build
    import territobs.atlas.dag as dag
    from territobs import __version__

    from .conftest import make_atlas

    config = build.load_config(make_atlas(tmp_path))
    manifest = Manifest(config.output)
    steps = build.plan(config)
    before = [dag.step_key(step, manifest) for step in steps]
    assert code_fingerprint().startswith(__version__ + "+")
    monkeypatch.setattr(dag, "code_fingerprint", lambda: __version__ + "+edited")
    after = [dag.step_key(step, manifest) for step in steps]
    assert all(b != a for b, a in zip(before, after, strict=True))
