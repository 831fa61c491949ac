"""``territobs atlas --check``: check what the build will check, build nothing.

:func:`check_atlas` runs every check the build runs before its first map,
and collects the problems instead of stopping at the first one:

* the indicators against the catalogue;
* the secrecy rules (``[secrecy]``) and the catalogue's declared rules;
* the approximations: a median or decile without one, an unknown name, a
  vintage gap beyond ``max_vintage_gap``;
* the components of every indicator in the declared files (the sources are
  read and joined into the territory exactly as the build does);
* the zones' members against the units (unknown codes, members of another
  level than the units).

Nothing is written.
"""

from __future__ import annotations

import warnings
from typing import Any

from territobs.errors import TerritobsError

__all__ = ["check_atlas"]


def _message(error: Exception) -> str:
    return str(getattr(error, "message", None) or error)


def check_atlas(config: Any) -> list[tuple[str, str]]:
    """Return the problems the build of ``config`` would hit.

    Parameters
    ----------
    config : territobs.atlas.config.AtlasConfig
        A parsed config (its own syntax is checked by ``load_config``).

    Returns
    -------
    list of (str, str)
        ``(key, French message)``, empty when the build would pass these
        checks; keys are config paths (``indicators[1]``, ``zones[0]``,
        ``secrecy``, ``publication.approximations``).
    """
    from territobs.atlas import steps

    problems: list[tuple[str, str]] = []
    rule_problems = config.secrecy.problems()
    try:
        catalog = steps.load_catalog(config)
    except TerritobsError as error:
        problems += _catalog_problems(error)
        catalog = None
    known = []
    for i, indicator in enumerate(config.indicators if catalog is not None else ()):
        try:
            known.append((i, catalog.get(indicator).id))
        except (KeyError, TerritobsError) as error:
            problems.append((f"indicators[{i}]", _message(error)))
    problems += rule_problems
    if config.secrecy.enabled and catalog is not None and not rule_problems:
        try:
            from territobs.secrecy.rules import resolve_rules

            resolve_rules(
                steps.secrecy_rules(config, catalog),
                [ident for _, ident in known],
                catalog=catalog,
            )
        except (TerritobsError, ValueError, TypeError) as error:
            problems.append(("secrecy", _message(error)))
    territory = _territory(config, problems)
    if catalog is None:
        return problems
    from territobs.atlas.evolution import check_evolutions

    problems += check_evolutions(config, catalog, territory)
    from territobs.atlas.scenarios import check_scenarios

    problems += check_scenarios(config, catalog, territory)
    if territory is None:
        return problems
    problems += _indicator_problems(
        config, catalog, known, territory, rules_valid=not rule_problems
    )
    for i, zoning in enumerate(config.zonings):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                steps.zoning_zones(zoning, territory, config)
        except TerritobsError as error:
            problems.append((f"zones[{i}]", f"« {zoning.id} » : {_message(error)}"))
    return problems


def _catalog_problems(error: Exception) -> list[tuple[str, str]]:
    """One ``(key, message)`` per problem of the atlas's catalogue file."""
    items = getattr(error, "problems", None) or []
    if not items:
        return [("catalog", _message(error))]
    path = getattr(error, "path", None) or ""
    name = path.rsplit("/", 1)[-1]
    return [(f"catalog ({name}) {key}", message) for key, message in items]


def _territory(config: Any, problems: list[tuple[str, str]]) -> Any:
    """Read the sources and join them as the build does (None on failure)."""
    from territobs.atlas import steps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            units = steps.read_source(config, config.territory.units)
            tables = [steps.read_source(config, t) for t in config.territory.tables]
            return steps.assemble_territory(config, units, tables)
    except (TerritobsError, OSError) as error:
        problems.append(("sources", _message(error)))
        return None


def _indicator_problems(
    config: Any,
    catalog: Any,
    indicators: list[tuple[int, str]],
    territory: Any,
    *,
    rules_valid: bool = True,
) -> list[tuple[str, str]]:
    """Approximations and components of every indicator, on the real columns."""
    from territobs.atlas import steps
    from territobs.zoning import approximate
    from territobs.zoning.recompute import _approximation_for

    problems = []
    asked = dict(config.publication.approximations)
    for i, ident in indicators:
        ind = catalog.get(ident)
        key = f"indicators[{i}]"
        try:
            name = _approximation_for(ind, asked or None)
            if name == approximate.CENSUS_WEIGHTS:
                approximate.census_weighted(
                    ind,
                    catalog,
                    territory,
                    max_vintage_gap=config.publication.max_vintage_gap,
                )
            else:
                catalog.resolve(ind, territory)
        except TerritobsError as error:
            problems.append((key, _message(error)))
    if config.secrecy.enabled and rules_valid and not problems:
        from territobs.publish import plan_secrecy

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rules = (
                    steps.secrecy_rules(config, catalog)
                    if "indicators" in config.secrecy.section
                    else None
                )
                ids = [ident for _, ident in indicators]
                _, needed = plan_secrecy(ids, territory, catalog, rules)
            for ident in needed[len(ids) :]:
                catalog.resolve(catalog.get(ident), territory)
        except TerritobsError as error:
            problems.append(("secrecy", _message(error)))
    return problems
