"""The table of step handlers, and the check run before the first step.

:data:`HANDLERS` maps each step kind of :func:`territobs.atlas.plan.plan` to
the :class:`~territobs.atlas.dag.Handler` that runs it and reads its cached
output back. The stage modules of this package never import this one, nor
:mod:`territobs.atlas.evolution` (whose step is registered here): the
evolution step may use them without an import cycle.
"""

from __future__ import annotations

from territobs.atlas.config import AtlasConfig
from territobs.atlas.dag import Handler
from territobs.atlas.evolution import check_evolutions, run_evolution
from territobs.atlas.scenarios import check_scenarios, run_scenarios
from territobs.atlas.steps._common import _load_single, _nothing, load_catalog
from territobs.atlas.steps.index import _run_index
from territobs.atlas.steps.maps import _run_map
from territobs.atlas.steps.portraits import _run_portraits
from territobs.atlas.steps.publish import _load_secrecy, _run_secrecy
from territobs.atlas.steps.read import _run_source, _run_territory
from territobs.atlas.steps.recompute import _run_result
from territobs.atlas.steps.tables import _run_table
from territobs.atlas.steps.weights import _load_weights, _run_weights
from territobs.atlas.steps.zones import _load_zones, _run_zones
from territobs.errors import ConfigError

__all__ = ["HANDLERS", "check_config"]


def check_config(config: AtlasConfig) -> None:
    """Check what the config refers to outside itself: catalogue indicators.

    Called once before the first step runs (a no-change refresh skips it:
    its inputs were checked when they were built).

    Raises
    ------
    ConfigError
        ``key="indicators[i]"`` for an indicator unknown to the catalogue.
    """
    catalog = load_catalog(config)
    problems = []
    for i, indicator in enumerate(config.indicators):
        try:
            catalog.get(indicator)
        except (KeyError, ConfigError) as exc:
            problems.append((f"indicators[{i}]", str(getattr(exc, "message", exc))))
    problems += config.secrecy.problems()
    problems += check_evolutions(config, catalog, None)
    problems += check_scenarios(config, catalog, None)
    if problems:
        lines = "\n".join(f"  - {key} : {message}" for key, message in problems)
        raise ConfigError(
            f"fichier « {config.path} » : construction impossible "
            f"({len(problems)} problème{'s' if len(problems) > 1 else ''})\n{lines}",
            path=config.path,
            key=problems[0][0],
            problems=problems,
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
    "scenarios": Handler(run_scenarios, _nothing),
    "index": Handler(_run_index, _nothing),
}
