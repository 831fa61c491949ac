"""Shared by the atlas steps: cached frames, the atlas's catalogue, the config check."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from territobs.atlas.cache import atomic_path
from territobs.atlas.dag import BuildContext

if TYPE_CHECKING:  # pragma: no cover
    from territobs.atlas.config import AtlasConfig


def _write_frame(context: BuildContext, step_id: str, frame: pd.DataFrame) -> str:
    """Cache a (Geo)DataFrame as (Geo)Parquet; return its relative path."""
    import geopandas as gpd

    is_geo = isinstance(frame, gpd.GeoDataFrame)
    relative = context.cache_path(step_id, ".geo.parquet" if is_geo else ".parquet")
    with atomic_path(context.path(relative)) as temp:
        frame.to_parquet(temp, index=False)
    return relative


def _read_frame(path: Path) -> pd.DataFrame:
    if path.name.endswith(".geo.parquet"):
        import geopandas as gpd

        return gpd.read_parquet(path)
    return pd.read_parquet(path)


def _load_single(files: dict[str, Path], context: BuildContext) -> pd.DataFrame:
    return _read_frame(files["data"])


def load_catalog(config: AtlasConfig) -> Any:
    """Return the catalogue of the atlas (default, or default + the config's file).

    Raises
    ------
    ConfigError
        If the catalogue file is invalid.
    """
    from territobs.catalog import Catalog, default_catalog

    catalog = default_catalog()
    if config.catalog != "default":
        catalog = catalog.merge(Catalog.from_file(config.catalog))
    return catalog


def _nothing(files: dict[str, Path], context: BuildContext) -> None:
    return None
