"""Weights.save / Weights.load: round trip, and clear errors on bad files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from territobs.errors import SourceFormatError, SourceNotFoundError
from territobs.zoning import _weights_file
from territobs.zoning.weights import Weights, build_weights
from territobs.zoning.zones import zones_from_members, zones_from_polygons


def assert_same_weights(a: Weights, b: Weights) -> None:
    for left, right in [
        (a.matrix, b.matrix),
        (a.pair_method, b.pair_method),
    ]:
        assert left.shape == right.shape
        assert (sparse.csr_array(left) != sparse.csr_array(right)).nnz == 0
    assert b.pair_method.dtype == np.int8
    pd.testing.assert_index_equal(a.units, b.units)
    pd.testing.assert_index_equal(a.zones, b.zones)
    assert a.method == b.method
    pd.testing.assert_frame_equal(a.zone_report, b.zone_report)
    assert (a.area_matrix is None) == (b.area_matrix is None)
    if a.area_matrix is not None:
        assert b.area_matrix is not None
        assert (a.area_matrix != b.area_matrix).nnz == 0
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())


codes = st.text(
    alphabet="0123456789AB", min_size=1, max_size=9
)  # commune, IRIS, Corsican codes


@st.composite
def weights_values(draw: st.DrawFn) -> Weights:
    units = draw(st.lists(codes, min_size=1, max_size=12, unique=True))
    zones = draw(
        st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=5, unique=True)
    )
    shape = (len(units), len(zones))
    mask = np.array(
        draw(
            st.lists(
                st.booleans(),
                min_size=shape[0] * shape[1],
                max_size=shape[0] * shape[1],
            )
        )
    ).reshape(shape)
    rows, cols = np.nonzero(mask)
    values = draw(
        st.lists(st.floats(0.001, 1.0), min_size=len(rows), max_size=len(rows))
    )
    methods = draw(
        st.lists(st.sampled_from([1, 2, 3]), min_size=len(rows), max_size=len(rows))
    )
    matrix = sparse.csr_array((np.asarray(values, float), (rows, cols)), shape=shape)
    pair_method = sparse.csr_array(
        (np.asarray(methods, np.int8), (rows, cols)), shape=shape
    )
    area = None
    if draw(st.booleans()):
        area = sparse.csr_array((np.asarray(values) / 2, (rows, cols)), shape=shape)
    report = pd.DataFrame(
        {
            "outside_share": draw(
                st.lists(st.floats(0, 1), min_size=shape[1], max_size=shape[1])
            ),
            "n_units": mask.sum(axis=0).astype(np.int64),
        },
        index=pd.Index(zones, name="zone"),
    )
    return Weights(
        matrix=matrix,
        pair_method=pair_method,
        units=pd.Index(
            units,
            dtype=draw(st.sampled_from([object, "str"])),
            name=draw(st.sampled_from([None, "code"])),
        ),
        zones=pd.Index(zones, dtype=draw(st.sampled_from([object, "str"]))),
        method=draw(st.sampled_from(["exact", "area", "population", "auto"])),
        zone_report=report,
        area_matrix=area,
    )


@settings(max_examples=40, deadline=None)
@given(weights=weights_values())
def test_round_trip_keeps_every_part(weights: Weights, tmp_path_factory) -> None:
    path = tmp_path_factory.mktemp("w") / "poids.npz"
    weights.save(path)
    assert_same_weights(weights, Weights.load(path))


def test_round_trip_of_built_weights(tmp_path: Path) -> None:
    units = gpd.GeoDataFrame(
        {"code": ["2A004", "93001", "93066"]},
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(3)],
        crs=2154,
    )
    cut = zones_from_polygons(
        gpd.GeoDataFrame(
            {"zone": ["pst"]}, geometry=[shapely.box(0.5, 0, 3, 1)], crs=2154
        )
    )
    for zones in (zones_from_members({"a": ["2A004", "93001"]}), cut):
        weights = build_weights(units, zones)
        weights.save(tmp_path / "poids")  # any name: no ".npz" appended
        assert not (tmp_path / "poids.npz").exists()
        assert_same_weights(weights, Weights.load(tmp_path / "poids"))


def test_pair_methods_follow_their_pairs_in_any_storage_order(tmp_path: Path) -> None:
    matrix = sparse.csr_array(np.array([[0.5, 0.5], [0.0, 1.0]]))
    # same pairs, the method matrix built from COO in reverse order
    methods = sparse.csr_array(
        (np.array([1, 2, 2], np.int8), (np.array([1, 0, 0]), np.array([1, 1, 0]))),
        shape=(2, 2),
    )
    methods.has_sorted_indices = False
    weights = Weights(
        matrix, methods, pd.Index(["a", "b"]), pd.Index(["x", "y"]), "area"
    )
    weights.save(tmp_path / "w.npz")
    assert_same_weights(weights, Weights.load(tmp_path / "w.npz"))


def _saved(tmp_path: Path) -> Path:
    weights = Weights(
        sparse.csr_array(np.eye(2)),
        sparse.csr_array(np.eye(2, dtype=np.int8)),
        pd.Index(["93001", "93066"]),
        pd.Index(["a", "b"]),
        "exact",
    )
    path = tmp_path / "poids.npz"
    weights.save(path)
    return path


def _rewrite(path: Path, **changes: np.ndarray) -> None:
    with np.load(path) as npz:
        arrays = {key: npz[key] for key in npz.files}
    arrays.update(changes)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def test_missing_file_is_said(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match="introuvable"):
        Weights.load(tmp_path / "absent.npz")


def test_truncated_file_is_refused(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(SourceFormatError, match="illisible ou abîmé") as info:
        Weights.load(path)
    assert info.value.path == str(path)


def test_other_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "autre.npz"
    np.savez(path, x=np.arange(3))
    with pytest.raises(SourceFormatError, match="pas un fichier de poids"):
        Weights.load(path)
    path.write_text("code;poids\n93001;1\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="pas un fichier de poids"):
        Weights.load(path)


def test_other_version_is_refused(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    with np.load(path) as npz:
        meta = json.loads(str(npz["meta"]))
    meta["version"] = _weights_file.VERSION + 1
    _rewrite(path, meta=np.asarray(json.dumps(meta)))
    with pytest.raises(SourceFormatError, match="recalculez les poids") as info:
        Weights.load(path)
    assert info.value.version == _weights_file.VERSION + 1


def test_damaged_arrays_are_refused(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    _rewrite(path, indices=np.array([0, 7], dtype=np.int32))  # column out of range
    with pytest.raises(SourceFormatError, match="illisible ou abîmé"):
        Weights.load(path)
    path = _saved(tmp_path)
    _rewrite(path, units=np.array(["93001", "93001"]))  # duplicated codes
    with pytest.raises(SourceFormatError, match="incohérent"):
        Weights.load(path)
    path = _saved(tmp_path)
    nested = ("[" * 100_000 + "]" * 100_000).encode()  # beyond the recursion limit
    _rewrite(path, units=np.frombuffer(nested, dtype=np.uint8))
    with pytest.raises(SourceFormatError, match="illisible ou abîmé"):
        Weights.load(path)
    path = _saved(tmp_path)
    _rewrite(path, units=np.array([1, 2], dtype=np.int64))  # numbers, not codes
    with pytest.raises(SourceFormatError, match="illisible ou abîmé"):
        Weights.load(path)


def test_pickled_objects_are_never_loaded(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    _rewrite(path, units=np.array(["93001", object()], dtype=object))
    with pytest.raises(SourceFormatError):
        Weights.load(path)
    assert zipfile.is_zipfile(path)


def test_weights_without_pairs_list_no_pairs() -> None:
    """Regression: ``to_frame`` crashed when no unit lies in any zone."""
    empty = Weights(
        sparse.csr_array((2, 1)),
        sparse.csr_array((2, 1), dtype=np.int8),
        pd.Index(["93001", "93066"]),
        pd.Index(["a"]),
        "area",
    )
    frame = empty.to_frame()
    assert frame.empty and list(frame.columns) == ["unit", "zone", "weight", "method"]


def test_codes_keep_every_character(tmp_path: Path) -> None:
    """NumPy's fixed-width strings dropped a trailing NUL (found by hypothesis)."""
    units = pd.Index(["93001", "2A004"], name="code")
    zones = pd.Index(["\x00", "a\x00", "é ", "Zone « 1 »"], dtype="str")
    weights = Weights(
        matrix=sparse.csr_array(np.ones((2, 4)) / 4),
        pair_method=sparse.csr_array(np.ones((2, 4), dtype=np.int8)),
        units=units,
        zones=zones,
        method="exact",
        zone_report=pd.DataFrame(
            {"outside_share": [0.0] * 4, "n_units": [2] * 4},
            index=pd.Index(zones, name="zone"),
        ),
    )
    weights.save(tmp_path / "poids.npz")
    loaded = Weights.load(tmp_path / "poids.npz")
    assert loaded.zones.tolist() == zones.tolist()
    assert_same_weights(weights, loaded)


def test_files_of_the_earlier_layout_are_still_read(tmp_path: Path) -> None:
    """Codes written as NumPy strings by an earlier build load as they were."""
    path = tmp_path / "poids.npz"
    weights = Weights.load(_built(tmp_path))
    with np.load(_built(tmp_path)) as npz:
        arrays = {key: npz[key] for key in npz.files}
    arrays["units"] = weights.units.astype(str).to_numpy(dtype=str)
    arrays["zones"] = weights.zones.astype(str).to_numpy(dtype=str)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    assert_same_weights(weights, Weights.load(path))


def _built(folder: Path) -> Path:
    units = gpd.GeoDataFrame(
        {"code": ["2A004", "93001"]},
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(2)],
        crs=2154,
    )
    path = folder / "built.npz"
    build_weights(units, zones_from_members({"a": ["2A004", "93001"]})).save(path)
    return path
