"""Readers of producers' files: boundaries, INSEE and CAF tables, Filosofi grids.

Each reader returns a canonical pandas/geopandas object (see
``docs/architecture.md``): unit frames with ``code``, ``name``, ``level`` and
``geometry``; indicator tables with ``code``, ``level``, the producer's
variables as floats and ``"{variable}__secret"`` flags. Readers are imported
on first use, so reading a CSV does not load geopandas.
"""

from __future__ import annotations

from territobs._lazy import lazy_exports

#: public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "read_boundaries": "territobs.io.boundaries",
    "projected_crs_for": "territobs.io.boundaries",
    "read_insee": "territobs.io.insee",
    "guess_vintage": "territobs.io.insee",
    "read_caf": "territobs.io.caf",
    "split_pseudo": "territobs.io.caf",
    "read_filosofi_grid": "territobs.io.filosofi_grid",
    "read_zones": "territobs.io.zones",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports("territobs.io", _EXPORTS, globals())
