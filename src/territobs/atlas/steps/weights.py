"""Stage *weights*: units × zones weights, cached with :meth:`Weights.save`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from territobs.atlas.cache import atomic_path
from territobs.atlas.dag import BuildContext, Step, StepId, StepProduct


def _run_weights(step: Step, context: BuildContext) -> StepProduct:
    from territobs.zoning.weights import build_weights

    territory = context.load(StepId("territory"))
    zones = context.load(StepId("zones", step.target))
    weights = build_weights(territory, zones, method=step.params["method"])
    relative = context.cache_path(step.id, ".npz")
    report = context.cache_path(step.id, "-report.parquet")
    with atomic_path(context.path(relative)) as temp, open(temp, "wb") as handle:
        np.savez(
            handle,
            data=weights.matrix.data,
            indices=weights.matrix.indices,
            indptr=weights.matrix.indptr,
            methods=weights.pair_method.data,
            shape=np.asarray(weights.shape),
            units=weights.units.astype(str).to_numpy(dtype=str),
            zones=weights.zones.astype(str).to_numpy(dtype=str),
            method=np.asarray(weights.method),
            **(
                {}
                if weights.area_matrix is None
                else {
                    "area_data": weights.area_matrix.data,
                    "area_indices": weights.area_matrix.indices,
                    "area_indptr": weights.area_matrix.indptr,
                }
            ),
        )
    with atomic_path(context.path(report)) as temp:
        weights.zone_report.to_parquet(temp)
    return StepProduct(weights, {"data": relative, "report": report})


def _load_weights(files: dict[str, Path], context: BuildContext) -> Any:
    from scipy import sparse

    from territobs.zoning.weights import Weights

    with np.load(files["data"]) as npz:
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
        return Weights(
            matrix=matrix,
            pair_method=methods,
            units=pd.Index(npz["units"].astype(object)),
            zones=pd.Index(npz["zones"].astype(object)),
            method=str(npz["method"]),
            zone_report=pd.read_parquet(files["report"]),
            area_matrix=area,
        )
