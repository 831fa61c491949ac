"""Stage *maps*: interactive and print maps of each zoning × indicator."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from territobs.atlas.dag import BuildContext, Step, StepId, StepProduct
from territobs.atlas.steps.zones import PARTIAL_COLUMN, _departement_names


def _run_map(step: Step, context: BuildContext) -> StepProduct:
    from territobs.atlas.maps import draw_maps

    config = context.config
    zoning, indicator = step.ref.target, step.ref.item
    result = context.load(StepId("secrecy", part=zoning))
    zones = context.load(StepId("zones", zoning))
    shared = [
        context.load(dep)
        for dep in step.dep_refs
        if dep.kind == "secrecy" and dep.part and dep.part != zoning
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
            (context.load(StepId("zones", other)), config.zoning(other).label)
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

    if StepId("territory") in step.dep_refs:
        return unit_level(context.load(StepId("territory")))
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
        found = _unit_outlines(context.load(StepId("territory")), zones)
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

        territory = context.load(StepId("territory"))
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
