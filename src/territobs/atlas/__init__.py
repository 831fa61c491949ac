"""Config-driven, incremental atlases: tables, maps, portraits, index page.

One TOML file describes the data sources, the zonings, the reference
territories, the indicators and the map options (:mod:`.config`);
:func:`build_atlas` plans the work as a DAG of steps (:mod:`.build`) and
rebuilds only the steps whose inputs changed, keyed by content hashes
(:mod:`.cache`). The index page (:mod:`.index`) links every output.

Importing this package is light (standard library only): a refresh with
nothing to do never loads pandas.
"""

from __future__ import annotations

from territobs.atlas.build import BuildReport, Step, StepOutcome, build_atlas, plan
from territobs.atlas.config import AtlasConfig, load_config, parse_config

__all__ = [
    "AtlasConfig",
    "BuildReport",
    "Step",
    "StepOutcome",
    "build_atlas",
    "load_config",
    "parse_config",
    "plan",
]
