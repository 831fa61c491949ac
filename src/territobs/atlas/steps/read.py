"""Stage *read*: the sources (readers) and the territory they are joined into."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from territobs.atlas.dag import BuildContext, Step, StepId, StepProduct
from territobs.atlas.steps._common import _write_frame, load_catalog
from territobs.errors import SourceFormatError

if TYPE_CHECKING:  # pragma: no cover
    from territobs.atlas.config import AtlasConfig


def _read_source(config: AtlasConfig, source_id: str) -> pd.DataFrame:
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
    if source.reader == "boundaries":
        from territobs.io.boundaries import read_boundaries

        return read_boundaries(source.path, **options)
    if source.reader == "insee":
        from territobs.io.insee import read_insee

        return read_insee(source.path, **options)
    if source.reader == "caf":
        from territobs.io.caf import read_caf

        return read_caf(source.path, **options)
    return _read_table(source.path, options)


def _read_table(path: Path, options: Mapping[str, Any]) -> pd.DataFrame:
    """Read a plain table keyed by ``code`` (Parquet, GeoParquet or CSV)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        if b"geo" in (pq.read_schema(path).metadata or {}):
            import geopandas as gpd

            frame = gpd.read_parquet(path)
        else:
            frame = pd.read_parquet(path)
    else:
        from territobs.io._csv import read_csv_table

        frame, _ = read_csv_table(path, **{"text_columns": ["code"], **options})
    if "code" not in frame.columns:
        raise SourceFormatError(
            f"fichier « {path} » : colonne « code » absente (codes géographiques "
            "des unités attendus)",
            path=path,
            column="code",
        )
    if not pd.api.types.is_string_dtype(frame["code"]):
        raise SourceFormatError(
            f"fichier « {path} », colonne « code » : les codes doivent être du "
            f"texte, trouvé le type {frame['code'].dtype}",
            path=path,
            column="code",
        )
    return frame


def _run_source(step: Step, context: BuildContext) -> StepProduct:
    frame = _read_source(context.config, step.target)
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
