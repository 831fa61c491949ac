"""Stage *publish*: secrecy rules and the one publication path over every result."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from territobs.atlas.dag import REFERENCES, BuildContext, Step, StepId, StepProduct
from territobs.atlas.steps._common import _read_frame, _write_frame, load_catalog

if TYPE_CHECKING:  # pragma: no cover
    from territobs.atlas.config import AtlasConfig


def secrecy_rules(config: AtlasConfig, catalog: Any) -> Any:
    """Give each indicator its secrecy rule.

    The config's ``[secrecy.indicators]`` when present; otherwise the
    catalogue's declared rule (CAF, Filosofi...), else the census rule
    ``rp``. Without ``[secrecy.indicators]``, an atlas must not publish a CAF or
    Filosofi figure under a weaker rule than its producer's.
    """
    from territobs.secrecy.rules import BUILTIN_RULES, rule_from_mapping

    if "indicators" not in config.secrecy.section:
        return _catalog_rules(config, catalog)
    custom = {
        rule_id: rule_from_mapping(
            rule_id,
            mapping,
            base=BUILTIN_RULES.get(rule_id),
            key=f"secrecy.rules.{rule_id}",
        )
        for rule_id, mapping in config.secrecy.rules
    }
    return {
        indicator: custom.get(rule_id, rule_id)
        for indicator, rule_id in config.secrecy.assignment
    }


def _catalog_rules(config: AtlasConfig, catalog: Any) -> dict[str, Any]:
    """Map each indicator and governing count to its catalogue rule, else ``rp``."""
    from territobs.publish import default_rules

    return default_rules(list(config.indicators), catalog)


def indicators_to_recompute(
    config: AtlasConfig, catalog: Any, territory: pd.DataFrame | None = None
) -> list[str]:
    """List the atlas's indicators, then the governing counts their rules need.

    Filosofi figures are governed by the zone's fiscal households: that
    count is recomputed with them (and published under its own rule) so that
    secrecy can be applied without the user listing it. With the territory,
    rules whose count the data lack are fitted first
    (:func:`territobs.publish.plan_secrecy`).
    """
    indicators = list(config.indicators)
    if not config.secrecy.enabled:
        return indicators
    if territory is not None:
        return fitted_rules(config, catalog, territory)[1]
    from territobs.publish import with_governing

    return with_governing(indicators, secrecy_rules(config, catalog), catalog)


def fitted_rules(
    config: AtlasConfig, catalog: Any, territory: pd.DataFrame
) -> tuple[dict[str, Any], list[str]]:
    """Rules of the atlas fitted to its data, and the indicators they need."""
    import warnings

    from territobs.publish import plan_secrecy

    given = (
        secrecy_rules(config, catalog)
        if "indicators" in config.secrecy.section
        else None
    )
    with warnings.catch_warnings():
        # said once, by the result step's own call
        warnings.simplefilter("ignore")
        return plan_secrecy(config.indicators, territory, catalog, given)


def _run_secrecy(step: Step, context: BuildContext) -> StepProduct:
    """Secure every result at once: secondary suppression is global.

    Zone ids are namespaced ``<zoning>/<zone>`` while secrecy runs, so that
    zones of different zonings never collide, then split back.
    """
    config = context.config
    zonings = [dep.target for dep in step.dep_refs]
    results = {z: context.load(StepId("result", z)) for z in zonings}
    from territobs.publish import publish

    catalog = load_catalog(config)
    parts = publish(
        results,
        weights={z: context.load(StepId("weights", z)) for z in zonings},
        rules=fitted_rules(config, catalog, context.load(StepId("territory")))[0]
        if config.secrecy.enabled
        else None,
        catalog=catalog,
        secrecy=config.secrecy.enabled,
    )
    audit_figures = next(
        (dict(f.attrs["secrecy"]) for f in parts.values() if f.attrs.get("secrecy")),
        {},
    )
    files = {}
    published: dict[str, pd.DataFrame] = {}
    for zoning, frame in parts.items():
        published[zoning] = frame
        files[zoning] = _write_frame(context, f"{step.id}:{zoning}", frame)
    stats = _published_stats(published)
    # counts and widths only: the manifest sits in the published folder, and
    # the persons masked by secondary suppression are a sum of masked values
    # (one more equation for an attacker; the value itself with one cell)
    audit_figures.pop("persons_masked_secondary", None)
    if audit_figures:
        stats["audit"] = audit_figures
    return StepProduct(published, files, stats)


def _published_stats(published: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    frames = [f for z, f in published.items() if z != REFERENCES]
    every = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    totals = {"estimated": 0, "secret": 0, "incomplete": 0}
    sources = []
    if len(every):
        if "estimated_share" in every:
            totals["estimated"] = int((every["estimated_share"].fillna(0) > 0).sum())
        if "secret" in every:
            totals["secret"] = int(every["secret"].astype(bool).sum())
        if "incomplete" in every:
            totals["incomplete"] = int(every["incomplete"].astype(bool).sum())
        if "state" in every:
            totals["partial"] = int((every["state"] == "partial").sum())
            totals["missing"] = int((every["state"] == "missing").sum())
        columns = [c for c in ("indicator", "label", "source", "vintage") if c in every]
        first = every[columns].drop_duplicates(["indicator", "source", "vintage"])
        sources = [
            {k: str(v) for k, v in row.items()} for row in first.to_dict("records")
        ]
    return {"totals": totals, "sources": sources}


def _load_secrecy(files: dict[str, Path], context: BuildContext) -> dict:
    return {zoning: _read_frame(path) for zoning, path in files.items()}
