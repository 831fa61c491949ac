"""Scenario comparisons in an atlas (``[[scenarios]]``).

Each ``[[scenarios]]`` table compares zonings of the atlas's territory::

    [[scenarios]]
    id = "redecoupage"                     # file names
    title = "Bassins : actuels et proposés"
    indicators = ["population", "rsa"]     # recomputed on every zone
    balance_on = "population"              # workload whose balance is measured
    reference = "CODE_EPT"                 # column of the units to align with
    sites = "sites.geojson"                # optional: access to the sites
    threshold = 5000                       #   metres (minutes with a matrix)
    # travel_times = "temps.csv"           #   origins × sites (long or wide)
    # network = "routes.gpkg"              #   or road lines, routed
    # speed = "vitesse"                    #   km/h: a number or a column
    portraits = true                       # one portrait per zone per scenario

    [[scenarios.zonings]]
    zoning = "bassins"                     # a zoning of the atlas ([[zones]])
    [[scenarios.zonings]]
    id = "ept"                             # one zone per value of a column
    label = "Alignés sur les EPT"
    column = "CODE_EPT"
    [[scenarios.zonings]]
    id = "liste"                           # a membership file (or polygons)
    file = "circonscriptions.csv"
    [[scenarios.zonings]]
    id = "proposes"                        # proposed with spopt
    label = "Proposés (population équilibrée)"
    propose = { method = "kmeans", n_zones = 4, seed = 0 }

One step per comparison (``scenarios:<id>``) builds the zonings, compares
them with :func:`territobs.scenarios.compare_zonings`, which publishes every
figure through :func:`territobs.publish.publish` with the atlas's rules and,
as figures already public, everything the atlas's own tables publish (so
that no difference between an atlas zone and a scenario zone reveals a
masked count); a zoning of the atlas keeps the very figures its tables
publish (masked ones stay masked). It writes the
comparison page (side-by-side maps with place names, the table of figures,
the moves), its CSV tables and one portrait per zone per scenario, all
linked from the atlas index.

The parsing part imports only the standard library (a no-change refresh
plans the build without pandas); the step imports the rest when it runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from territobs.atlas._links import IndexZoning, href
from territobs.atlas._scenario_config import (
    PROPOSE_METHODS,
    ZONING_KINDS,
    ScenarioComparisonConfig,
    parse_scenarios,
)

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd

    from territobs.atlas.cache import StepRecord
    from territobs.atlas.config import AtlasConfig
    from territobs.atlas.dag import BuildContext, Step, StepProduct

__all__ = [
    "PROPOSE_METHODS",
    "ZONING_KINDS",
    "ScenarioComparisonConfig",
    "check_scenarios",
    "missing_modules",
    "parse_scenarios",
    "run_scenarios",
    "scenario_entries",
    "scenario_steps",
]

#: Folder of the comparison pages, inside the output folder.
FOLDER = "scenarios"


def scenario_steps(config: AtlasConfig, catalog_inputs: tuple[Path, ...]) -> list:
    """List the steps of the config's comparisons, one per comparison.

    Each depends on the territory, on the zonings it compares and on every
    zoning's published figures (public to its secrecy), and on the published
    figures of the territories of reference when the atlas computes them (the
    portraits show them beside each zone).
    """
    from territobs.atlas._scenario_config import shows_references
    from territobs.atlas.dag import REFERENCES, Step

    steps = []
    labels = {z.id: z.label for z in config.zonings}
    # the atlas's territories of reference, when it computes them: their
    # published figures go beside each scenario zone's in its portrait
    with_references = shows_references(config)
    for wanted in getattr(config, "scenarios", ()):
        deps = ["territory"]
        for zoning in config.zonings:
            deps += [f"zones:{zoning.id}", f"weights:{zoning.id}"]
            deps.append(f"secrecy#{zoning.id}")
        if with_references:
            deps += [f"weights:{REFERENCES}", f"secrecy#{REFERENCES}"]
        steps.append(
            Step(
                f"scenarios:{wanted.id}",
                "scenarios",
                tuple(deps),
                {
                    "section": dict(wanted.section),
                    "zonings": [dict(z) for z in wanted.zonings],
                    "catalog": str(config.catalog),
                    "secrecy": dict(config.secrecy.section),
                    "labels": labels,
                },
                tuple(catalog_inputs) + wanted.inputs,
                f"comparaison de découpages « {wanted.id} »",
            )
        )
    return steps


def _assignment_of(weights: Any, label: str) -> pd.Series:
    """Map each unit code to the zone holding the largest share of it."""
    import numpy as np
    import pandas as pd

    from territobs.errors import ZoneError
    from territobs.formatting import count_of

    matrix = weights.matrix.tocsr()
    empty = np.diff(matrix.indptr) == 0
    if empty.any():
        codes = weights.units[empty].tolist()
        raise ZoneError(
            f"zonage « {label} » : {count_of(len(codes), 'unité')} dans aucune zone "
            f"({', '.join(map(str, codes[:10]))}) ; un scénario couvre tout le "
            "territoire (« partition = true »).",
            codes=codes,
        )
    best = np.asarray(matrix.argmax(axis=1)).ravel()
    return pd.Series(
        weights.zones[best].to_numpy(object),
        index=pd.Index(weights.units, dtype=object),
    )


def _zonings(
    wanted: ScenarioComparisonConfig,
    context: BuildContext,
    territory: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame | None,
    catalog: Any,
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Build each compared zoning; return zonings, labels, method notes."""
    from territobs.scenarios.config import scenario_from_spec
    from territobs.scenarios.propose import propose_zoning

    labels_of = context.config.zoning
    zonings: dict[str, Any] = {}
    labels: dict[str, str] = {}
    notes: dict[str, str] = {}
    for i, entry in enumerate(wanted.zonings):
        sid = entry["id"]
        key = f"scenarios.zonings[{i}]"
        if "zoning" in entry:
            zoning = labels_of(entry["zoning"])
            zone = _assignment_of(context.load(f"weights:{zoning.id}"), zoning.label)
            frame = context.load(f"zones:{zoning.id}")
            names = dict(zip(frame["zone"], frame["name"], strict=True))
            zonings[sid] = {
                z: zone.index[zone == z].tolist() for z in dict.fromkeys(zone)
            }
            zonings[sid] = _named(zonings[sid], names)
            labels[sid] = entry["label"] if entry["label"] != sid else zoning.label
            notes[sid] = f"zonage « {zoning.label} » de l'atlas"
        elif "propose" in entry:
            options = dict(entry["propose"])
            if options.pop("seeds", None) == "sites":
                options["seeds"] = sites
            options.setdefault("indicator", wanted.balance_on or "population")
            proposal = propose_zoning(territory, catalog=catalog, **options)
            zonings[sid] = proposal.zones
            labels[sid] = entry["label"]
            params = ", ".join(
                f"{k} = {v}" for k, v in proposal.parameters.items() if v is not None
            )
            notes[sid] = f"proposé par {proposal.method} ({params})"
        else:
            spec = {k: v for k, v in entry.items() if k not in ("id", "label")}
            zonings[sid] = scenario_from_spec(spec, territory, key=key)
            labels[sid] = entry["label"]
            notes[sid] = (
                f"une zone par valeur de la colonne « {entry['column']} »"
                if "column" in entry
                else f"fichier « {Path(entry['file']).name} »"
            )
    return zonings, labels, notes


def _named(members: dict[str, list[str]], names: Mapping[str, str]) -> Any:
    import pandas as pd

    rows = [
        (zone, code, names.get(zone, zone)) for zone, codes in members.items()
        for code in codes
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["zone", "member", "name"])


def _public(context: BuildContext) -> dict[str, tuple[pd.DataFrame, Any]]:
    """Return the atlas's published figures (values only) and memberships."""
    public = {}
    for zoning in context.config.zonings:
        frame = context.load(f"secrecy#{zoning.id}")
        shown = frame[frame["state"].astype(str).isin(["value", "partial"])]
        if len(shown):
            public[f"atlas:{zoning.id}"] = (
                shown.reset_index(drop=True),
                context.load(f"weights:{zoning.id}"),
            )
    return public


def _rules(
    context: BuildContext, wanted: ScenarioComparisonConfig, catalog: Any
) -> Any:
    """Return the atlas's rules for the comparison (False: no secrecy)."""
    from territobs.atlas import steps as atlas
    from territobs.publish import default_rules

    config = context.config
    if not config.secrecy.enabled:
        return False
    rules = dict(atlas.fitted_rules(config, catalog, context.load("territory"))[0])
    missing = [i for i in wanted.indicators if i not in rules]
    if missing:
        fallback = rules.get("*")
        for indicator in missing:
            rules[indicator] = (
                fallback
                if fallback is not None
                else default_rules([indicator], catalog)[indicator]
            )
    return rules


def run_scenarios(step: Step, context: BuildContext) -> StepProduct:
    """Compare the zonings of one ``[[scenarios]]`` table (see module notes)."""
    import geopandas as gpd

    from territobs.atlas import steps as atlas
    from territobs.atlas.dag import StepProduct
    from territobs.scenarios.compare import compare_zonings

    config = context.config
    wanted = next(s for s in config.scenarios if s.id == step.target)
    catalog = atlas.load_catalog(config)
    territory = context.load("territory")
    sites = None
    if wanted.sites is not None:
        sites = gpd.read_file(wanted.sites)
        if sites.crs is None:
            from territobs.errors import CRSError

            raise CRSError(
                f"fichier « {wanted.sites} » : projection (CRS) absente.",
                path=wanted.sites,
            )
        sites = sites.to_crs(territory.crs)
    zonings, labels, notes = _zonings(wanted, context, territory, sites, catalog)
    comparison = compare_zonings(
        gpd.GeoDataFrame(territory),
        zonings,
        list(wanted.indicators),
        labels=labels,
        balance_on=wanted.balance_on or None,
        target=wanted.target,
        tolerance=wanted.tolerance,
        reference=wanted.reference or None,
        secrecy=_rules(context, wanted, catalog),
        catalog=catalog,
        public=_public(context) if config.secrecy.enabled else None,
        published={
            e["id"]: context.load(f"secrecy#{e['zoning']}")
            for e in wanted.zonings
            if "zoning" in e
        },
        partial=config.publication.policy(),
    )
    access = None
    from territobs.scenarios.compare import protected

    if sites is not None and protected(
        "population", _rules(context, wanted, catalog), catalog
    ):
        import warnings

        from territobs.errors import SecrecyWarning

        warnings.warn(
            f"comparaison « {wanted.id} » : accès aux sites non publié, la "
            "population est soumise à une règle de secret qui masque des "
            "valeurs (un accès pondéré par la population la révélerait).",
            SecrecyWarning,
            stacklevel=2,
        )
    elif sites is not None:
        from territobs.atlas.scenario_page import access_table

        access = access_table(comparison, territory, sites, wanted, catalog)
    from territobs.atlas.scenario_page import write_outputs

    files, listed = write_outputs(comparison, access, wanted, notes, context, sites)
    return StepProduct(
        None,
        files,
        {
            "title": wanted.title,
            "scenarios": listed,
            "secret": int(comparison.result["secret"].astype(bool).sum()),
        },
    )


def scenario_entries(steps: Mapping[str, StepRecord]) -> list[IndexZoning]:
    """Index entries of the comparisons: the page, tables, portraits."""
    from territobs.atlas.dag import StepId

    entries = []
    for step_id, record in steps.items():
        if not step_id.startswith("scenarios:"):
            continue
        outputs = record.outputs
        entry = IndexZoning(
            StepId.parse(step_id).target,
            f"Scénarios : {record.stats.get('title', '')}",
        )
        for key, text in (
            ("page", "Page de comparaison (cartes, chiffres, déplacements)"),
            ("summary", "Chiffres par scénario (CSV)"),
            ("zones", "Chiffres par zone (CSV)"),
            ("moves", "Communes qui changent de zone (CSV)"),
        ):
            if key in outputs:
                entry.tables.append((text, href(outputs[key]["path"])))
        listed = record.stats.get("scenarios", [])
        entry.count_text = _scenario_count(len(zones) for _, zones in listed)
        for label, zones in listed:
            for zone_name, stem in zones:
                if f"{stem}.html" in outputs:
                    entry.portraits.append(
                        (
                            f"{label} : {zone_name}",
                            href(outputs[f"{stem}.html"]["path"]),
                            href(outputs[f"{stem}.csv"]["path"]),
                        )
                    )
        entries.append(entry)
    return entries


def _scenario_count(zones_per_scenario: Iterable[int]) -> str | None:
    """« 3 scénarios de 4 à 5 zones »: what the index summary says of a comparison.

    Examples
    --------
    >>> _scenario_count([4, 5, 4])
    '3 scénarios de 4 à 5 zones'
    >>> _scenario_count([6, 6])
    '2 scénarios de 6 zones'
    >>> _scenario_count([]) is None
    True
    """
    from territobs.formatting import count_of

    counts = [n for n in zones_per_scenario if n]
    if not counts:
        return None
    low, high = min(counts), max(counts)
    zones = count_of(high, "zone") if low == high else f"{low} à {high} zones"
    return f"{count_of(len(counts), 'scénario')} de {zones}"


def missing_modules(config: AtlasConfig) -> list[str]:
    """Return the packages of the ``scenarios`` extra the comparisons need but lack.

    Every comparison needs libpysal (contiguity); a proposed zoning needs
    spopt too. An empty list when nothing is missing (or nothing compared).

    Parameters
    ----------
    config : AtlasConfig

    Returns
    -------
    list of str
    """
    import importlib.util

    comparisons = getattr(config, "scenarios", ())
    if not comparisons:
        return []
    needed = ["libpysal"]
    if any("propose" in entry for c in comparisons for entry in c.zonings):
        needed.append("spopt")
    return [name for name in needed if importlib.util.find_spec(name) is None]


def check_scenarios(
    config: AtlasConfig, catalog: Any, territory: Any
) -> list[tuple[str, str]]:
    """Problems the comparison steps would hit: extra, indicators, unit columns."""
    from territobs.errors import TerritobsError

    problems = []
    missing = missing_modules(config)
    if missing:
        problems.append(
            (
                "scenarios",
                "les comparaisons de découpages demandent l'extension « scenarios » "
                f"de territobs ({', '.join(missing)} absent) : "
                'pip install "territobs[scenarios]"',
            )
        )
    for i, wanted in enumerate(getattr(config, "scenarios", ())):
        for j, ident in enumerate(wanted.indicators):
            try:
                catalog.get(ident)
            except (KeyError, TerritobsError) as error:
                problems.append(
                    (
                        f"scenarios[{i}].indicators[{j}]",
                        str(getattr(error, "message", error)),
                    )
                )
        if territory is None:
            continue
        columns = set(map(str, territory.columns))
        wanted_columns = [("reference", wanted.reference)]
        for k, entry in enumerate(wanted.zonings):
            wanted_columns.append((f"zonings[{k}].column", entry.get("column", "")))
            keep = entry.get("propose", {}).get("keep_whole", "")
            wanted_columns.append((f"zonings[{k}].propose.keep_whole", keep))
        for key, column in wanted_columns:
            if column and column not in columns:
                problems.append(
                    (
                        f"scenarios[{i}].{key}",
                        f"colonne « {column} » absente des unités du territoire",
                    )
                )
        for k, entry in enumerate(wanted.zonings):
            if "propose" in entry:
                problem = _proposal_count_problem(entry, wanted, territory, catalog)
                if problem:
                    problems.append((f"scenarios[{i}].zonings[{k}].propose", problem))
            if "zoning" in entry:
                try:
                    zoning = config.zoning(entry["zoning"])
                except KeyError:
                    continue
                if not zoning.partition and zoning.kind != "units":
                    problems.append(
                        (
                            f"scenarios[{i}].zonings[{k}].zoning",
                            f"« {zoning.id} » ne partitionne pas le territoire "
                            "(« partition = true ») : un scénario couvre tout le "
                            "territoire",
                        )
                    )
    return problems


def _proposal_count_problem(
    entry: Mapping[str, Any],
    wanted: ScenarioComparisonConfig,
    territory: Any,
    catalog: Any,
) -> str | None:
    """Return what stops a proposal (a count it balances that units lack), if any."""
    from territobs.errors import TerritobsError
    from territobs.scenarios._values import unit_values

    indicator = entry["propose"].get("indicator", wanted.balance_on or "population")
    try:
        unit_values(territory, str(indicator), catalog=catalog)
    except (KeyError, TerritobsError) as error:
        return (
            f"découpage proposé sur « {indicator} » impossible : "
            f"{getattr(error, 'message', error)}"
        )
    return None
