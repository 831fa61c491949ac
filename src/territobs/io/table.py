"""Reader of a plain table keyed by ``code`` (Parquet, GeoParquet or CSV).

For figures a partner already prepared: one row per unit, a ``code`` column of
text and numeric columns, read with the robust CSV reader
(:func:`territobs.io.text.read_csv_table`) or from (Geo)Parquet.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from territobs.errors import SourceFormatError

__all__ = ["read_table"]


def read_table(path: str | os.PathLike[str], **options: Any) -> pd.DataFrame:
    """Read a plain table keyed by ``code``.

    Parameters
    ----------
    path : path-like
        A ``.parquet`` file (GeoParquet gives a GeoDataFrame) or a delimited
        text file.
    **options
        Keywords of :func:`territobs.io.text.read_csv_table` (text files).

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame

    Raises
    ------
    SourceFormatError
        No ``code`` column, or codes that are not text.
    """
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        if b"geo" in (pq.read_schema(path).metadata or {}):
            import geopandas as gpd

            frame = gpd.read_parquet(path)
        else:
            frame = pd.read_parquet(path)
    else:
        from territobs.io.values import read_csv_table

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
