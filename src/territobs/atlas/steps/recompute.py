"""Stage *recompute*: the indicators recomputed on each zoning."""

from __future__ import annotations

from typing import Any

import pandas as pd

from territobs.atlas.dag import BuildContext, Step, StepId, StepProduct
from territobs.atlas.steps._common import _write_frame, load_catalog
from territobs.atlas.steps.publish import indicators_to_recompute
from territobs.atlas.steps.zones import _in_departements

#: Start of the warning of :func:`territobs.zoning.recompute.recompute` about
#: units left out by the zones: only relevant for zonings declared partitions.
COVERAGE_WARNING = "les zones ne couvrent pas tout le territoire"


def _run_result(step: Step, context: BuildContext) -> StepProduct:
    """Recompute the indicators on one zoning.

    Units left out are reported, and counts checked to sum to the territory
    total, only for zonings declared ``partition = true``: a partial zoning
    (a PST, the bassins of one département) leaves units out by design.
    """
    import warnings

    from territobs.errors import ZoneWarning
    from territobs.zoning.recompute import recompute

    territory = context.load(StepId("territory"))
    zones = context.load(StepId("zones", step.target))
    weights = context.load(StepId("weights", step.target))
    catalog = load_catalog(context.config)
    partition = bool(step.params.get("partition"))
    departements = next(
        (z.departements for z in context.config.zonings if z.id == step.target), ()
    )
    with warnings.catch_warnings():
        # a zoning restricted to some départements is checked on their units
        if not partition or departements:
            warnings.filterwarnings(
                "ignore", message=COVERAGE_WARNING, category=ZoneWarning
            )
        publication = context.config.publication
        result = recompute(
            territory,
            zones,
            indicators_to_recompute(context.config, catalog, territory),
            weights=weights,
            catalog=catalog,
            approximation=dict(publication.approximations) or None,
            partial=publication.policy(),
            max_vintage_gap=publication.max_vintage_gap,
        )
    if partition:
        covered = _in_departements(territory, departements)
        _check_partition(result, covered, catalog, step.target)
    labels = dict(zip(result["indicator"], result["label"], strict=True))
    return StepProduct(
        result,
        {"data": _write_frame(context, step.id, result)},
        {"labels": labels},
    )


def _check_partition(
    result: pd.DataFrame, territory: pd.DataFrame, catalog: Any, zoning: str
) -> None:
    """Check that counts over a declared partition sum to the territory total.

    Raises
    ------
    ZoneError
        Naming the zoning and suggesting to drop ``partition = true``.
    """
    from territobs.errors import ZoneError
    from territobs.zoning.recompute import check_conservation

    try:
        # the atlas recomputes the most recent vintage: resolve it the same way
        # (the result's vintage may be a French sentence, not a year)
        check_conservation(result.assign(vintage=""), territory, catalog=catalog)
    except ZoneError as error:
        raise ZoneError(
            f"zones « {zoning} » déclarées partition du territoire "
            f"(partition = true) : {error.message} Si ces zones ne couvrent "
            "volontairement qu'une partie du territoire, retirez « partition = "
            "true ».",
            codes=error.codes,
            **error.details,
        ) from error
