"""Stage *weights*: units × zones weights, cached with :meth:`Weights.save`."""

from __future__ import annotations

from pathlib import Path

from territobs.atlas.cache import atomic_path
from territobs.atlas.dag import BuildContext, Step, StepId, StepProduct
from territobs.zoning.weights import Weights, build_weights


def _run_weights(step: Step, context: BuildContext) -> StepProduct:
    territory = context.load(StepId("territory"))
    zones = context.load(StepId("zones", step.target))
    weights = build_weights(territory, zones, method=step.params["method"])
    relative = context.cache_path(step.id, ".npz")
    with atomic_path(context.path(relative)) as temp:
        weights.save(temp)
    return StepProduct(weights, {"data": relative})


def _load_weights(files: dict[str, Path], context: BuildContext) -> Weights:
    return Weights.load(files["data"])
