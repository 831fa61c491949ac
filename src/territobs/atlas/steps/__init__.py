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
run. A new kind of step is one handler function in a stage module (or in
its own module, like :mod:`territobs.atlas.evolution`) and one entry in
:data:`territobs.atlas.steps.registry.HANDLERS`.
"""

from __future__ import annotations

from territobs.atlas.steps._common import load_catalog
from territobs.atlas.steps.publish import (
    fitted_rules,
    indicators_to_recompute,
    secrecy_rules,
)
from territobs.atlas.steps.read import assemble_territory, read_source
from territobs.atlas.steps.recompute import COVERAGE_WARNING
from territobs.atlas.steps.zones import PARTIAL_COLUMN, zoning_zones

__all__ = [
    "COVERAGE_WARNING",
    "PARTIAL_COLUMN",
    "assemble_territory",
    "fitted_rules",
    "indicators_to_recompute",
    "load_catalog",
    "read_source",
    "secrecy_rules",
    "zoning_zones",
]
