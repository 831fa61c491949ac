"""One registry of readers, shared by ``territobs read`` and the atlas.

Each :class:`Reader` names a reader function (imported on first use, so the
registry is standard library only and the atlas config can list the names
without loading pandas), its French label and the keywords the CLI may pass
it. :func:`guess_reader` chooses one from a file's suffix and header;
:func:`read_source` reads a file with a named (or guessed) reader.

Adding a reader: write ``io/<producer>.py`` returning the indicator-table (or
unit-frame) contract of ``docs/architecture.md``, then add one
:class:`Reader` entry to :data:`READERS`. ``territobs read --kind``, the
atlas's ``reader = ...`` and their validation read this table.

Examples
--------
>>> READER_NAMES
('boundaries', 'insee', 'caf', 'grid', 'table')
>>> READERS["grid"].label
'carreaux INSEE'
"""

from __future__ import annotations

import gzip
import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from territobs.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "READERS",
    "READER_NAMES",
    "Reader",
    "guess_reader",
    "read_source",
]


@dataclass(frozen=True)
class Reader:
    """A reader of one kind of producer file.

    Parameters
    ----------
    name : str
        Name used by ``territobs read --kind`` and the atlas's ``reader``.
    label : str
        French label (« tableau INSEE »).
    function : str
        ``"module:function"`` of the reader, imported on first use.
    cli_options : tuple of str
        Keywords of the reader that ``territobs read`` passes from its
        options (``layer``, ``level``, ``key``, ``crs``, ``size``,
        ``to_crs``).
    """

    name: str
    label: str
    function: str
    cli_options: tuple[str, ...] = ()

    def load(self) -> Callable[..., pd.DataFrame]:
        """Import and return the reader function."""
        module, _, attribute = self.function.partition(":")
        reader: Callable[..., pd.DataFrame] = getattr(
            importlib.import_module(module), attribute
        )
        return reader


#: Every reader, by name, in the order shown to users.
READERS: Mapping[str, Reader] = MappingProxyType(
    {
        reader.name: reader
        for reader in (
            Reader(
                "boundaries",
                "limites administratives",
                "territobs.io.boundaries:read_boundaries",
                ("layer", "level", "crs", "to_crs"),
            ),
            Reader(
                "insee", "tableau INSEE", "territobs.io.insee:read_insee",
                ("key", "level"),
            ),
            Reader("caf", "tableau CAF", "territobs.io.caf:read_caf", ("key",)),
            Reader(
                "grid",
                "carreaux INSEE",
                "territobs.io.filosofi_grid:read_filosofi_grid",
                ("size", "crs"),
            ),
            Reader("table", "table de valeurs par code", "territobs.io.table:read_table"),
        )
    }
)  # fmt: skip
#: Reader names, for option choices and config validation.
READER_NAMES: tuple[str, ...] = tuple(READERS)

_VECTOR_SUFFIXES = frozenset(
    {".shp", ".gpkg", ".geojson", ".json", ".fgb", ".parquet", ".geoparquet",
     ".gml", ".kml", ".zip"}
)  # fmt: skip
_SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xls", ".xlsm", ".ods"})


def _header(path: Path) -> list[str]:
    from territobs.io.decode import decode_bytes, sniff_separator

    with open(path, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    opener: Any = gzip.open if gzipped else open
    with opener(path, "rb") as handle:
        head = handle.read(65536)
    text, _ = decode_bytes(head.split(b"\n")[0])
    sep = sniff_separator(text)
    return [c.strip().strip('"') for c in text.split(sep)]


def guess_reader(path: str | os.PathLike[str]) -> str:
    """Guess which reader fits a file from its suffix and header.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    str
        A name of :data:`READERS`: ``boundaries`` for vector files and
        folders, ``grid`` for INSEE squares (``Idcar_200m``... or ``x``/``y``),
        ``caf`` for CAF tables (``Codes_Insee``), else ``insee``.
    """
    from territobs.io.decode import find_column

    path = Path(path)
    if path.is_dir() or path.suffix.lower() in _VECTOR_SUFFIXES:
        return "boundaries"
    if path.suffix.lower() in _SPREADSHEET_SUFFIXES:
        return "insee"
    columns = _header(path)
    if find_column(columns, ["Idcar_200m", "Idcar_1km", "IdINSPIRE"]) or (
        find_column(columns, ["x"]) and find_column(columns, ["y"])
    ):
        return "grid"
    if find_column(columns, ["Codes_Insee", "Code_Insee"]):
        return "caf"
    return "insee"


def read_source(
    path: str | os.PathLike[str], reader: str | None = "auto", **options: Any
) -> pd.DataFrame:
    """Read a file with a named reader (or the one :func:`guess_reader` picks).

    Parameters
    ----------
    path : path-like
    reader : str, default "auto"
        A name of :data:`READERS`; ``"auto"`` or None: guessed.
    **options
        Keywords of the reader.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        The reader's canonical frame.

    Raises
    ------
    ConfigError
        Unknown reader name (the names are listed).
    """
    name = guess_reader(path) if reader in (None, "auto") else str(reader)
    if name not in READERS:
        raise ConfigError(
            f"lecteur « {name} » inconnu ; lecteurs possibles : "
            f"{', '.join(READER_NAMES)}.",
            key="reader",
            expected=READER_NAMES,
        )
    return READERS[name].load()(path, **options)
