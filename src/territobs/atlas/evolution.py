"""Evolutions between two vintages in an atlas (``[[evolutions]]``).

Each ``[[evolutions]]`` table of the config asks for the change of some
indicators between two vintages on some zonings::

    [[evolutions]]
    id = "rp-2010-2015"                  # file names (default "2010-2015")
    indicators = ["unemployment_rate", "unemployed_1564"]
    start = 2010                         # vintages read from the column
    end = 2015                           #   prefixes (P10_, P15_)
    zonings = ["arrondissements"]        # default: every zoning
    geography = "IRIS de Paris"          # named in captions (optional)
    centre = "departement"               # change maps centred on this
                                         #   reference's change (default 0)
    portraits = true                     # portraits of change (default: the
                                         #   zonings' own `portraits`)

One step per evolution (``evolution:<id>``) recomputes both ends on every
listed zoning with its weights through
:func:`territobs.zoning.evolution.evolutions` (the publication path: the
atlas's secrecy rules at both ends, both vintages of every zoning published
together so that nested zones cannot be differenced, a change secret when
either end is, and any end the atlas masks in its own tables masked here
too), then writes for each zoning the table (CSV, XLSX: both vintages and
the change), one change map per indicator
(:func:`territobs.maps.change_map`, its palette centred on 0 or, with
``centre``, on the change of a ``[[references]]`` territory) and one
portrait of change per zone (:func:`territobs.portrait.change.change_portrait`),
all listed on the index under the zoning.

Portraits of change are pages of their own (``evolutions/<zoning>/<id>/<zone>.html``),
listed beside the zones' portraits on the index, rather than a section of
those portraits: each evolution is one step whose figures are published
together (both vintages of the zones and of their references), so an
evolution added, changed or removed rebuilds its own pages only, never every
portrait of the atlas; and a partner reads the change of a period as one
page, the way the zone's portrait reads one vintage. The references of each
zone are those of its portrait (the zoning's ``references``), their changes
computed in the same step and published with the zones'.

The parsing part (:class:`EvolutionConfig`, :func:`parse_evolutions`, defined
with the other config sections in :mod:`territobs.atlas._sections` and
:mod:`territobs.atlas._parse_sections`) imports only the standard library (a
no-change refresh plans the build without pandas); the step imports the rest
when it runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from territobs.atlas._parse_sections import parse_evolutions
from territobs.atlas._sections import EVOLUTIONS_FOLDER, EvolutionConfig

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from territobs.atlas.cache import StepRecord
    from territobs.atlas.config import AtlasConfig
    from territobs.atlas.dag import BuildContext, Step, StepProduct

__all__ = [
    "EvolutionConfig",
    "check_evolutions",
    "evolution_links",
    "evolution_steps",
    "parse_evolutions",
    "run_evolution",
]

#: Folder of the evolution tables and maps, inside the output folder.
FOLDER = EVOLUTIONS_FOLDER

#: Package files behind the ``demo = "populations"`` source (hashed by the build).
DEMO_INPUTS: tuple[Path, ...] = tuple(
    Path(__file__).resolve().parents[1] / "data" / "demo" / name
    for name in ("populations-communes-93.csv", "iris-93-contours.gpkg")
)


def evolution_steps(config: AtlasConfig, catalog_inputs: tuple[Path, ...]) -> list:
    """List the steps of the config's evolutions, one per evolution.

    One step covers every zoning of an evolution: their figures are
    published together (secondary suppression across nested zonings).
    """
    from territobs.atlas.dag import Step

    steps = []
    labels = {z.id: z.label for z in config.zonings}
    for evolution in getattr(config, "evolutions", ()):
        # the tables' IRIS modification flags (MODIF_IRIS)
        deps = ["territory", *(f"source:{t}" for t in config.territory.tables)]
        for zoning in computed_zonings(config, evolution):
            deps += [f"zones:{zoning}", f"weights:{zoning}", f"secrecy#{zoning}"]
        steps.append(
            Step(
                f"evolution:{evolution.id}",
                "evolution",
                tuple(deps),
                {
                    "section": dict(evolution.section),
                    "zonings": list(evolution.zonings),
                    "catalog": str(config.catalog),
                    "publication": dict(config.publication.section),
                    "secrecy": dict(config.secrecy.section),
                    "formats": list(config.tables),
                    "titles": {z: labels[z] for z in evolution.zonings},
                    "references": {
                        z: list(config.zoning(z).references)
                        for z in portrait_zonings(config, evolution)
                    },
                    "labels": {r.id: r.label for r in config.references} | labels,
                },
                catalog_inputs,
                f"évolution {evolution.period} « {evolution.id} »",
            )
        )
    return steps


def portrait_zonings(config: AtlasConfig, evolution: EvolutionConfig) -> list[str]:
    """Zonings of ``evolution`` that get portraits of change."""
    return [
        z
        for z in evolution.zonings
        if evolution.has_portraits(z, config.zoning(z).portraits)
    ]


def _target(config: AtlasConfig, ident: str) -> str:
    """Return the zoning computing ``ident``: itself, or the references' one."""
    from territobs.atlas.dag import REFERENCES

    return REFERENCES if ident in {r.id for r in config.references} else ident


def computed_zonings(config: AtlasConfig, evolution: EvolutionConfig) -> list[str]:
    """Zonings whose change ``evolution`` computes (and publishes together).

    Its own zonings, the references of those with portraits of change, and
    the reference territories when the maps are centred on one of them.
    """
    out = list(evolution.zonings)
    for zoning in portrait_zonings(config, evolution):
        out += [_target(config, r) for r in config.zoning(zoning).references]
    if evolution.centre:
        out.append(_target(config, evolution.centre))
    return list(dict.fromkeys(out))


def _config_of(config: AtlasConfig, ident: str) -> EvolutionConfig:
    return next(e for e in config.evolutions if e.id == ident)


def run_evolution(step: Step, context: BuildContext) -> StepProduct:
    """Compute, secure and write one evolution on its zonings (see module notes)."""
    import warnings

    from territobs.atlas import steps as atlas
    from territobs.atlas.dag import StepProduct
    from territobs.errors import ZoneWarning
    from territobs.zoning.evolution import evolutions
    from territobs.zoning.iris_changes import redrawn_iris

    config = context.config
    wanted = _config_of(config, step.target)
    zonings = computed_zonings(config, wanted)
    catalog = atlas.load_catalog(config)
    publication = config.publication
    rules = None
    if config.secrecy.enabled and "indicators" in config.secrecy.section:
        rules = atlas.secrecy_rules(config, catalog)
    with warnings.catch_warnings():
        if not all(_partition(config, z) for z in zonings):
            warnings.filterwarnings(
                "ignore", message=atlas.COVERAGE_WARNING, category=ZoneWarning
            )
        tables = evolutions(
            context.load("territory"),
            {
                z: (context.load(f"zones:{z}"), context.load(f"weights:{z}"))
                for z in zonings
            },
            list(wanted.indicators),
            start=wanted.start,
            end=wanted.end,
            catalog=catalog,
            approximation=dict(publication.approximations) or None,
            geography=wanted.geography,
            publish=config.secrecy.enabled,
            rules=rules,
            partial=publication.policy(),
            redrawn=redrawn_iris(
                *(context.load(f"source:{t}") for t in config.territory.tables)
            ),
        )
    files: dict[str, str] = {}
    listed: dict[str, Any] = {}
    secret = 0
    tables = {
        z: mask_published(table, context.load(f"secrecy#{z}"))
        for z, table in tables.items()
    }
    centre = _centre_zone(tables, config, wanted)
    for zoning in step.params["zonings"]:
        table = tables[zoning]
        written, maps = _write_zoning(table, zoning, wanted, step, context, centre)
        files |= written
        listed[zoning] = {"maps": maps}
        secret += int(table["secret"].sum())
        if zoning in step.params["references"]:
            from territobs.atlas.evolution_portraits import write_change_portraits

            written, pages = write_change_portraits(
                tables, zoning, wanted, step, context
            )
            files |= written
            listed[zoning]["portraits"] = pages
    return StepProduct(
        None, files, {"period": wanted.period, "zonings": listed, "secret": secret}
    )


def _partition(config: AtlasConfig, zoning: str) -> bool:
    from territobs.atlas.dag import REFERENCES

    return zoning != REFERENCES and config.zoning(zoning).partition


def _centre_zone(
    tables: Mapping[str, pd.DataFrame], config: AtlasConfig, wanted: EvolutionConfig
) -> pd.DataFrame | None:
    """Rows of the reference territory the maps are centred on (or None).

    Raises
    ------
    ConfigError
        The reference holds several territories (one per département...):
        which one to centre on would be a guess.
    """
    if not wanted.centre:
        return None
    from territobs.errors import ConfigError

    table = tables[_target(config, wanted.centre)]
    zones = table["zone"].astype(str)
    rows = table[(zones == wanted.centre) | zones.str.startswith(f"{wanted.centre}-")]
    found = list(dict.fromkeys(rows["zone"].astype(str)))
    if len(found) != 1:
        raise ConfigError(
            f"évolution « {wanted.id} » : la référence « {wanted.centre} » "
            f"compte {len(found)} territoires ({', '.join(found[:5])}) ; les "
            "cartes se centrent sur un seul (une référence « all = true » ou "
            "restreinte à un département)."
        )
    return rows


def _write_zoning(
    table: pd.DataFrame,
    zoning: str,
    wanted: EvolutionConfig,
    step: Step,
    context: BuildContext,
    centre: pd.DataFrame | None = None,
) -> tuple[dict[str, str], list[list[str]]]:
    """Write one zoning's table and change maps; return files and map rows."""
    from territobs.atlas.cache import atomic_path

    stem = f"{FOLDER}/{zoning}/{wanted.id}"
    files: dict[str, str] = {}
    if "csv" in step.params["formats"]:
        from territobs.zoning.evolution import state_words

        files[f"{zoning}/csv"] = f"{stem}.csv"
        with atomic_path(context.path(f"{stem}.csv")) as temp:
            table.assign(etat=state_words(table).to_numpy()).to_csv(
                temp, index=False, encoding="utf-8"
            )
    if "xlsx" in step.params["formats"]:
        files[f"{zoning}/xlsx"] = f"{stem}.xlsx"
        with atomic_path(context.path(f"{stem}.xlsx")) as temp:
            _write_xlsx(table, temp)
    zones = context.load(f"zones:{zoning}")
    title = step.params["titles"][zoning]
    maps = []
    for indicator in dict.fromkeys(table["indicator"]):
        key = f"{zoning}/map:{indicator}"
        files[key] = f"{stem}-{indicator}.html"
        label = str(table.loc[table["indicator"] == indicator, "label"].iloc[0])
        _draw(table, zones, indicator, context.path(files[key]), title, label, centre)
        maps.append([key, label])
    return files, maps


def mask_published(table: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Mask the changes whose end the atlas's own tables mask.

    The atlas publishes its indicators through one global secrecy step; a
    figure it masks there (secondary suppression included) must not come
    back as an end of an evolution. A row of ``published`` is matched when
    its zone and indicator are those of the evolution row and its vintage
    names the start or the end year.
    """
    import numpy as np

    if not len(published) or "state" not in published.columns:
        return table
    secret = published[published["state"].astype(str) == "secret"]
    vintages = secret["vintage"] if "vintage" in secret.columns else secret["zone"]
    years = vintages.astype(str).map(_years)
    if not len(table):
        return table
    start, end = str(table["start"].iloc[0]), str(table["end"].iloc[0])
    hidden: dict[tuple[str, str], set[str]] = {}
    for zone, indicator, named in zip(
        secret["zone"].astype(str), secret["indicator"], years, strict=True
    ):
        if named & {start, end}:
            hidden.setdefault((zone, indicator), set()).update(named & {start, end})
    if not hidden:
        return table
    rows = np.array(
        [
            (z, i) in hidden
            for z, i in zip(table["zone"].astype(str), table["indicator"], strict=True)
        ]
    )
    rows &= table["state"].to_numpy() != "secret"
    if not rows.any():
        return table
    out = table.copy()
    for column in ("value_start", "value_end", "change", "annual_rate"):
        out.loc[rows, column] = np.nan
    out.loc[rows, "state"] = "secret"
    keys = list(zip(out["zone"].astype(str), out["indicator"], strict=True))
    for which, year in (("state_start", start), ("state_end", end)):
        if which in out.columns:  # the end the atlas masks is said secret
            named = np.array([year in hidden.get(k, ()) for k in keys])
            out.loc[rows & named, which] = "secret"
    out.loc[rows, "coverage_label"] = ""
    out.loc[rows, "secret"] = True
    out.loc[rows, "secret_reason"] = (
        "évolution masquée : une de ses extrémités est masquée dans les "
        "tableaux de l'atlas (secret statistique)"
    )
    return out


def _years(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"(?<!\d)(?:19|20)\d{2}(?!\d)", text))


def _write_xlsx(table: pd.DataFrame, path: Path) -> None:
    import pandas as pd

    from territobs.zoning.evolution import evolution_sheet

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        evolution_sheet(table).to_excel(writer, sheet_name="Évolutions", index=False)


def _draw(
    table: pd.DataFrame,
    zones: pd.DataFrame,
    indicator: str,
    path: Path,
    title: str,
    label: str,
    centre: pd.DataFrame | None = None,
) -> None:
    import pandas as pd

    from territobs.atlas.cache import atomic_path
    from territobs.errors import MethodError
    from territobs.maps.change import centre_reference, change_map

    start, end = int(table["start"].iloc[0]), int(table["end"].iloc[0])
    options: dict[str, Any] = {}
    if centre is not None:
        own = centre[centre["indicator"] == indicator]
        ident = str(own["zone"].iloc[0])
        options["centre"] = ident
        table = pd.concat([table[table["zone"].astype(str) != ident], own])
        try:  # a secret or missing change of the reference: centred on 0
            kind = own["kind"].iloc[0]
            centre_reference(table, indicator, ident, annual=kind == "count")
        except MethodError:
            options = {}
            table = table[table["zone"].astype(str) != ident]
    drawn = change_map(
        table,
        zones,
        indicator,
        title=f"{title} : {label}, évolution {start}-{end}",
        back_link="../../index.html",
        **options,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temp:
        drawn.save(temp)


def evolution_links(
    record: StepRecord, zoning: str
) -> tuple[list[tuple[str, str]], list[tuple[str, list[tuple[str, str]]]]]:
    """Index entries of one evolution step for one zoning: tables and map rows."""
    from territobs.atlas._links import FORMAT_LABELS, href

    period = record.stats.get("period", "")
    outputs = record.outputs
    listed = record.stats.get("zonings", {}).get(zoning)
    if listed is None:
        return [], []
    tables = [
        (
            f"Évolution {period} : {FORMAT_LABELS[fmt]}",
            href(outputs[f"{zoning}/{fmt}"]["path"]),
        )
        for fmt in ("csv", "xlsx")
        if f"{zoning}/{fmt}" in outputs
    ]
    maps = [
        (
            f"{label} : évolution {period}",
            [(FORMAT_LABELS["html"], href(outputs[key]["path"]))],
        )
        for key, label in listed.get("maps", [])
        if key in outputs
    ]
    return tables, maps


def check_evolutions(
    config: AtlasConfig, catalog: Any, territory: Any
) -> list[tuple[str, str]]:
    """Problems the evolution steps would hit: indicators and their vintages."""
    from territobs.errors import TerritobsError

    problems = []
    for i, wanted in enumerate(getattr(config, "evolutions", ())):
        centre = next((r for r in config.references if r.id == wanted.centre), None)
        if centre is not None and centre.kind != "all" and len(centre.codes) != 1:
            problems.append(
                (
                    f"evolutions[{i}].centre",
                    f"la référence « {centre.id} » peut compter plusieurs "
                    "territoires (un par département ou par valeur) : les cartes "
                    "se centrent sur un seul (une référence « all = true » ou "
                    "restreinte à un code).",
                )
            )
        for j, ident in enumerate(wanted.indicators):
            key = f"evolutions[{i}].indicators[{j}]"
            try:
                indicator = catalog.get(ident)
            except (KeyError, TerritobsError) as error:
                problems.append((key, str(getattr(error, "message", error))))
                continue
            if territory is None:
                continue
            for year in (wanted.start, wanted.end):
                try:
                    catalog.resolve(indicator, territory, vintage=year)
                except TerritobsError as error:
                    problems.append(
                        (key, f"millésime {year} : {getattr(error, 'message', error)}")
                    )
    return problems


def change_portrait_links(record: Any, zoning: str) -> list[tuple[str, str, str]]:
    """Index entries of the portraits of change of one zoning: (name, HTML, CSV)."""
    from territobs.atlas._links import href

    listed = record.stats.get("zonings", {}).get(zoning) or {}
    period = record.stats.get("period", "")
    outputs = record.outputs
    out = []
    for _zone, name, stem in listed.get("portraits", []):
        html = outputs.get(f"{zoning}/portrait:{stem}.html")
        csv = outputs.get(f"{zoning}/portrait:{stem}.csv")
        if html and csv:
            out.append(
                (
                    f"{name} : évolution {period}",
                    href(html["path"]),
                    href(csv["path"]),
                )
            )
    return out
