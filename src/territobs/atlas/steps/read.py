"""Stage *read*: the sources (readers) and the territory they are joined into."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from territobs.atlas.dag import BuildContext, Step, StepId, StepProduct
from territobs.atlas.steps._common import _write_frame, load_catalog

if TYPE_CHECKING:  # pragma: no cover
    from territobs.atlas.config import AtlasConfig


def read_source(config: AtlasConfig, source_id: str) -> pd.DataFrame:
    """Read one ``[[sources]]`` entry with its reader (or the demo data it names).

    Used by the ``source`` steps and by ``territobs atlas --check``.
    """
    source = config.source(source_id)
    options = dict(source.options)
    if source.demo == "populations":  # two vintages of 93 (territobs.atlas.evolution)
        from territobs.datasets import read_demo_populations

        return read_demo_populations()
    if source.demo == "communes":
        from territobs.datasets import read_communes

        departements = list(source.departements) or None
        return read_communes(departements, **options)
    assert source.path is not None  # the config gives a file to every other source
    from territobs.io.registry import read_source

    return read_source(source.path, source.reader, **options)


def _run_source(step: Step, context: BuildContext) -> StepProduct:
    frame = read_source(context.config, step.target)
    return StepProduct(frame, {"data": _write_frame(context, step.id, frame)})


def _run_territory(step: Step, context: BuildContext) -> StepProduct:
    config = context.config
    units = context.load(StepId("source", config.territory.units))
    tables = [context.load(StepId("source", t)) for t in config.territory.tables]
    territory = assemble_territory(config, units, tables)
    return StepProduct(territory, {"data": _write_frame(context, step.id, territory)})


def assemble_territory(
    config: AtlasConfig, units: pd.DataFrame, tables: list[pd.DataFrame]
) -> pd.DataFrame:
    """Join the tables to the units as the build does (also ``--check``).

    Tables are first brought to the boundaries' COG (``[territory] cog``);
    ``area_km2`` is added from projected geometries.
    """
    if config.territory.cog is not None:
        from territobs.cog.align import align_table, units_population

        catalog = load_catalog(config)
        population = units_population(units)
        tables = [
            align_table(t, config.territory.cog, catalog, population)[0] for t in tables
        ]
    if tables:
        from territobs.territory import build_territory

        territory = build_territory(units, tables)
    else:
        territory = units
    if "area_km2" not in territory.columns and territory.crs is not None:
        if territory.crs.is_projected:
            territory = territory.assign(area_km2=territory.geometry.area / 1e6)
    return territory
