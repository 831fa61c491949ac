"""What each atlas step does: the wiring to readers, zoning, secrecy, maps.

One module per stage; each handler ``run``s a step (reading its upstream
values through the build context, writing its files atomically) and
``load``s a cached output back:

================  ==============================  ===========================
stage module      step kinds                      cached as
================  ==============================  ===========================
:mod:`.read`      ``source``, ``territory``       (Geo)Parquet
:mod:`.zones`     ``zones``                       GeoParquet
:mod:`.weights`   ``weights``                     :meth:`Weights.save` (NPZ)
:mod:`.recompute` ``result``                      Parquet
:mod:`.publish`   ``secrecy``                     Parquet per zoning
:mod:`.tables`    ``table``                       (published CSV, XLSX)
:mod:`.maps`      ``map``                         (published HTML, PNG, PDF)
:mod:`.portraits` ``portraits``                   (published HTML)
:mod:`.index`     ``index``                       (published HTML)
================  ==============================  ===========================

plus ``evolution`` (:mod:`territobs.atlas.evolution`). Cached intermediates
live beside the output, in ``<parent>/.<output>-cache/`` (never inside the
published folder: they hold unmasked results), so that a refresh after a
map-option change recomputes no weights.

These are the only atlas modules that import pandas, geopandas and the other
territobs stages; the build imports this package only when a step has to
run. A new kind of step is one handler function here (or in its own module,
like :mod:`territobs.atlas.evolution`) and one entry in :data:`HANDLERS`.
"""

from __future__ import annotations

from territobs.atlas.dag import Handler
from territobs.atlas.evolution import run_evolution
from territobs.atlas.steps._common import (
    _load_single,
    _nothing,
    _read_frame,
    _write_frame,
    check_config,
    load_catalog,
)
from territobs.atlas.steps.index import _run_index
from territobs.atlas.steps.maps import _run_map, _unit_outlines
from territobs.atlas.steps.portraits import _run_portraits
from territobs.atlas.steps.publish import (
    _catalog_rules,
    _load_secrecy,
    _run_secrecy,
    _secrecy_rules,
    fitted_rules,
    indicators_to_recompute,
)
from territobs.atlas.steps.read import (
    _read_source,
    _read_table,
    _run_source,
    _run_territory,
    assemble_territory,
)
from territobs.atlas.steps.recompute import COVERAGE_WARNING, _run_result
from territobs.atlas.steps.tables import _run_table
from territobs.atlas.steps.weights import _load_weights, _run_weights
from territobs.atlas.steps.zones import (
    PARTIAL_COLUMN,
    _load_zones,
    _run_zones,
    _zoning_zones,
)

__all__ = [
    "COVERAGE_WARNING",
    "HANDLERS",
    "PARTIAL_COLUMN",
    "assemble_territory",
    "check_config",
    "fitted_rules",
    "indicators_to_recompute",
    "load_catalog",
]

# Names other atlas modules (evolution, check) reach through this package.
_REEXPORTED = (
    _catalog_rules,
    _read_frame,
    _read_source,
    _read_table,
    _secrecy_rules,
    _unit_outlines,
    _write_frame,
    _zoning_zones,
)

#: Step kind → handler.
HANDLERS: dict[str, Handler] = {
    "source": Handler(_run_source, _load_single),
    "territory": Handler(_run_territory, _load_single),
    "zones": Handler(_run_zones, _load_zones),
    "weights": Handler(_run_weights, _load_weights),
    "result": Handler(_run_result, _load_single),
    "secrecy": Handler(_run_secrecy, _load_secrecy),
    "table": Handler(_run_table, _nothing),
    "map": Handler(_run_map, _nothing),
    "portraits": Handler(_run_portraits, _nothing),
    "evolution": Handler(run_evolution, _nothing),
    "index": Handler(_run_index, _nothing),
}
