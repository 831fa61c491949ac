"""Portraits of change in an atlas: one page per zone and evolution.

The evolution step (:mod:`territobs.atlas.evolution`) computes the change of
its indicators on its zonings and on their references, all published
together; this module lays out, for each zone of a zoning with portraits,
its change beside the change of the reference territories its own portrait
shows (the same selection: the references sharing a unit with the zone, in
the départements it touches), with the same locator map and member list,
and writes ``evolutions/<zoning>/<id>/<zone>.html`` and ``.csv``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from territobs.atlas.dag import BuildContext, Step
    from territobs.atlas.evolution import EvolutionConfig

__all__ = ["write_change_portraits"]


def _reference_rows(
    tables: Mapping[str, pd.DataFrame], ref: str, target: str
) -> pd.DataFrame:
    """Rows of reference ``ref`` (computed on ``target``), ids ``ref/zone``."""
    from territobs.atlas.dag import REFERENCES

    rows = tables[target]
    if target == REFERENCES:
        zones = rows["zone"].astype(str)
        rows = rows[zones.str.startswith(f"{ref}-") | (zones == ref)]
    return rows.assign(zone=f"{ref}/" + rows["zone"].astype(str))


def write_change_portraits(
    tables: Mapping[str, pd.DataFrame],
    zoning: str,
    wanted: EvolutionConfig,
    step: Step,
    context: BuildContext,
) -> tuple[dict[str, str], list[list[str]]]:
    """Write the portraits of change of one zoning's zones.

    They go to :meth:`EvolutionConfig.portrait_folder`
    (``evolutions/<zoning>/<evolution id>/``).

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Evolution table of every zoning the step computed (published, with
        the atlas's own masks applied).
    zoning : str
        The zoning whose zones get a portrait.
    wanted : EvolutionConfig
        The evolution.
    step : Step
        The evolution step (its ``references`` and ``labels`` params).
    context : BuildContext
        The build.

    Returns
    -------
    files : dict of str to str
        Output name → relative path.
    pages : list of [zone, name, stem]
        The portraits written, for the index.
    """
    import numpy as np
    import pandas as pd

    from territobs.atlas.dag import REFERENCES
    from territobs.atlas.steps.maps import _overlaps
    from territobs.atlas.steps.portraits import (
        _portrait_extras,
        _unit_departements,
        _zone_departements,
    )
    from territobs.portrait.change import change_portrait
    from territobs.portrait.model import _safe_stem

    config = context.config
    reference_ids = {r.id for r in config.references}
    labels = step.params["labels"]
    weights = context.load(f"weights:{zoning}")
    own = tables[zoning]
    targets = []
    for ref in step.params["references"][zoning]:
        target = REFERENCES if ref in reference_ids else ref
        other = context.load(f"weights:{target}")
        targets.append(
            (
                ref,
                other,
                _overlaps(weights, other),
                _reference_rows(tables, ref, target),
            )
        )
    territory = context.load("territory")
    unit_deps = _unit_departements(territory)
    ref_deps = [_zone_departements(other, unit_deps) for _, other, _, _ in targets]
    combined = pd.concat([own, *(rows for *_, rows in targets)], ignore_index=True)
    combined["zone"] = combined["zone"].astype(str)
    positions = combined.groupby("zone", sort=False).indices
    present = set(positions)
    zone_deps = _zone_departements(weights, unit_deps)
    zones = context.load(f"zones:{zoning}")
    extras = _portrait_extras(context, weights, zones, territory, zone_deps)
    folder = wanted.portrait_folder(zoning)
    # back to the zone's own portrait, when the atlas writes one
    own_portraits: set[str] = set()
    if config.zoning(zoning).portraits:
        own_portraits = set(context.load(f"secrecy#{zoning}")["zone"].astype(str))
    files: dict[str, str] = {}
    pages = []
    for j, zone in enumerate(weights.zones.astype(str)):
        if zone not in present:
            continue
        ids, roles = [], {}
        for (ref, other, overlap, _), deps in zip(targets, ref_deps, strict=True):
            for k in overlap.indices[overlap.indptr[j] : overlap.indptr[j + 1]]:
                ident = f"{ref}/{other.zones[k]}"
                # never an aggregate of départements the zone does not touch
                if ident in present and deps[k] <= zone_deps[j]:
                    ids.append(ident)
                    roles[ident] = labels.get(ref, ref)
        rows = combined.iloc[np.concatenate([positions[z] for z in [zone, *ids]])]
        page = change_portrait(rows, zone, ids, reference_labels=roles)
        stem = _safe_stem(zone)
        page = replace(
            page,
            back_link="../../../index.html",
            see_also=(
                (("Portrait de la zone", f"../../../portraits/{zoning}/{stem}.html"),)
                if zone in own_portraits
                else ()
            ),
            **extras.get(zone, {}),
        )
        page.save(context.path(folder), stem)
        files[f"{zoning}/portrait:{stem}.html"] = f"{folder}/{stem}.html"
        files[f"{zoning}/portrait:{stem}.csv"] = f"{folder}/{stem}.csv"
        pages.append([zone, page.title, stem])
    return files, pages
