"""The file format of :meth:`Weights.save <territobs.zoning.weights.Weights.save>`.

One NumPy ``.npz`` archive, read back without pickle:

======================  ==============================================
member                  content
======================  ==============================================
``meta``                JSON: ``format``, ``version``, ``method``, the
                        names of the unit and zone indexes
``data``, ``indices``,  the CSR arrays of ``matrix``
``indptr``
``methods``             the CSR data of ``pair_method`` (same sparsity)
``shape``               ``(n_units, n_zones)``
``units``, ``zones``    codes and ids, a JSON list of strings in UTF-8 bytes
                        (NumPy's fixed-width strings drop trailing NUL
                        characters; files of an earlier build hold such
                        strings and are still read)
``area_*``              the CSR arrays of ``area_matrix``, when it exists
``zone_report``         the zone report as Parquet bytes
======================  ==============================================

Kept apart from :mod:`territobs.zoning.weights` so that the builders stay
short; it never imports that module at run time.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from territobs.errors import SourceFormatError, SourceNotFoundError

if TYPE_CHECKING:  # pragma: no cover
    from territobs.zoning.weights import Weights

#: Written in every file; a file of another format is refused.
FORMAT = "territobs-weights"
#: Version of the layout; a file of another version is refused (rebuild it).
VERSION = 1

_REQUIRED = ("meta", "data", "indices", "indptr", "methods", "shape", "units", "zones")


def save_weights(weights: Weights, path: str | os.PathLike[str]) -> None:
    """Write ``weights`` to ``path`` (see the module notes for the layout)."""
    matrix = sparse.csr_array(weights.matrix)
    methods = sparse.csr_array(weights.pair_method)
    if not (
        np.array_equal(matrix.indptr, methods.indptr)
        and np.array_equal(matrix.indices, methods.indices)
    ):  # same pairs, possibly stored in another order or with explicit zeros
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        codes = (
            np.asarray(methods[rows, matrix.indices]).ravel()
            if matrix.nnz
            else np.zeros(0, np.int8)
        )
        methods = sparse.csr_array(
            (codes, matrix.indices, matrix.indptr), shape=matrix.shape
        )
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "method": str(weights.method),
        "units_name": _name(weights.units.name),
        "zones_name": _name(weights.zones.name),
        "units_dtype": _text_dtype(weights.units),
        "zones_dtype": _text_dtype(weights.zones),
    }
    report = io.BytesIO()
    weights.zone_report.to_parquet(report)
    arrays: dict[str, Any] = {
        "meta": np.asarray(json.dumps(meta)),
        "data": matrix.data,
        "indices": matrix.indices,
        "indptr": matrix.indptr,
        "methods": methods.data.astype(np.int8),
        "shape": np.asarray(matrix.shape, dtype=np.int64),
        "units": _encoded(weights.units),
        "zones": _encoded(weights.zones),
        "zone_report": np.frombuffer(report.getvalue(), dtype=np.uint8),
    }
    if weights.area_matrix is not None:
        area = sparse.csr_array(weights.area_matrix)
        arrays |= {
            "area_data": area.data,
            "area_indices": area.indices,
            "area_indptr": area.indptr,
        }
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def load_weights(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a file of :func:`save_weights`: the keyword arguments of ``Weights``.

    Raises
    ------
    SourceNotFoundError
        If the file does not exist.
    SourceFormatError
        If it is not a weights file, is damaged, or was written by another
        version of the format.
    """
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise SourceNotFoundError(
            f"fichier de poids « {name} » introuvable.", path=name
        )
    try:
        with np.load(name, allow_pickle=False) as npz:
            missing = [key for key in _REQUIRED if key not in npz.files]
            if missing:
                raise _not_weights(name, f"il manque {', '.join(missing)}")
            meta = json.loads(str(npz["meta"]))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise _not_weights(name, "format inconnu")
            if meta.get("version") != VERSION:
                raise SourceFormatError(
                    f"fichier de poids « {name} » écrit au format "
                    f"{meta.get('version')!r}, cette version de territobs lit le "
                    f"format {VERSION} : recalculez les poids (build_weights) puis "
                    "enregistrez-les à nouveau.",
                    path=name,
                    version=meta.get("version"),
                )
            shape = tuple(int(n) for n in npz["shape"])
            structure = (npz["indices"], npz["indptr"])
            matrix = sparse.csr_array((npz["data"], *structure), shape=shape)
            methods = sparse.csr_array((npz["methods"], *structure), shape=shape)
            area = None
            if "area_data" in npz.files:
                area = sparse.csr_array(
                    (npz["area_data"], npz["area_indices"], npz["area_indptr"]),
                    shape=shape,
                )
            for array in (matrix, methods, area):
                if array is not None:  # indices within the shape, sorted rows
                    array.check_format(full_check=True)
            report = (
                pd.read_parquet(io.BytesIO(npz["zone_report"].tobytes()))
                if "zone_report" in npz.files
                else pd.DataFrame()
            )
            units = _index(npz["units"], meta, "units")
            zones = _index(npz["zones"], meta, "zones")
    except SourceFormatError:
        raise
    except (
        OSError,
        ValueError,
        KeyError,
        EOFError,
        RecursionError,  # JSON nested beyond the interpreter's limit
        zipfile.BadZipFile,
    ) as exc:
        # a truncated or foreign archive, damaged arrays, inconsistent CSR
        raise _not_weights(name, f"fichier illisible ou abîmé ({exc})") from exc
    return {
        "matrix": matrix,
        "pair_method": methods,
        "units": units,
        "zones": zones,
        "method": str(meta.get("method", "")),
        "zone_report": report,
        "area_matrix": area,
    }


def _name(value: Any) -> str | None:
    return None if value is None else str(value)


def _text_dtype(index: pd.Index) -> str:
    """``"object"`` or ``"str"``: how the codes were held (written as text)."""
    return "object" if index.dtype == object else "str"


def _encoded(index: pd.Index) -> np.ndarray:
    """Codes as the UTF-8 bytes of a JSON list: every character kept."""
    codes = json.dumps(index.astype(str).tolist(), ensure_ascii=False)
    return np.frombuffer(codes.encode("utf-8"), dtype=np.uint8)


def _index(values: np.ndarray, meta: dict[str, Any], which: str) -> pd.Index:
    dtype = "object" if meta.get(f"{which}_dtype") == "object" else "str"
    if values.dtype == np.uint8:
        codes = json.loads(values.tobytes().decode("utf-8"))
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ValueError(f"{which} : liste de codes attendue")
    elif values.dtype.kind == "U":  # an earlier layout: NumPy strings
        codes = values.astype(object).tolist()
    else:
        raise ValueError(f"{which} : codes de type {values.dtype} inattendu")
    return pd.Index(codes, dtype=dtype, name=meta.get(f"{which}_name"))


def _not_weights(name: str, why: str) -> SourceFormatError:
    return SourceFormatError(
        f"« {name} » n'est pas un fichier de poids territobs lisible : {why}. "
        "Recalculez les poids (build_weights) puis enregistrez-les avec "
        "Weights.save.",
        path=name,
    )
