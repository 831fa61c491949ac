"""The ``[[scenarios]]`` tables of an atlas config: dataclass and parsing.

Standard library only (loading a config never imports pandas); the steps,
pages and index entries of a comparison are in :mod:`territobs.atlas.scenarios`,
which re-exports these names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from territobs._toml import _ID, Table, array, unique_ids
from territobs.atlas._parse_sections import _file

__all__ = [
    "PROPOSE_METHODS",
    "ZONING_KINDS",
    "ScenarioComparisonConfig",
    "parse_scenarios",
    "shows_references",
]

ZONING_KINDS = ("zoning", "column", "file", "propose")
#: Keys of a ``propose`` table (keywords of ``propose_zoning``).
PROPOSE_KEYS: dict[str, type | tuple[type, ...]] = {
    "method": str,
    "n_zones": int,
    "indicator": str,
    "min_total": (int, float),
    "max_total": (int, float),
    "keep_whole": str,
    "seed": int,
    "seeds": str,
    "tries": int,
}
#: spopt methods of ``propose_zoning``.
PROPOSE_METHODS = ("maxp", "skater", "azp", "kmeans")


@dataclass(frozen=True)
class ScenarioComparisonConfig:
    """One ``[[scenarios]]`` table (see the module notes).

    Parameters
    ----------
    id, title : str
    indicators : tuple of str
    zonings : tuple of dict
        The ``[[scenarios.zonings]]`` tables, each with its ``id`` and
        ``label`` filled and paths made absolute.
    balance_on, reference, map : str
        Empty when not given.
    target : float or None
    tolerance : float
    sites, travel_times : pathlib.Path or None
    site_id : str
    threshold : float
    portraits : bool
    section : dict
        The raw TOML table (hashed into the step key).
    """

    id: str
    title: str
    indicators: tuple[str, ...]
    zonings: tuple[Mapping[str, Any], ...]
    balance_on: str = ""
    target: float | None = None
    tolerance: float = 0.1
    reference: str = ""
    map: str = ""
    sites: Path | None = None
    site_id: str = ""
    threshold: float = 10_000.0
    travel_times: Path | None = None
    network: Path | None = None
    speed: float | str = 50.0
    portraits: bool = True
    section: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def inputs(self) -> tuple[Path, ...]:
        """Files the comparison reads (hashed by content)."""
        files = [self.sites, self.travel_times, self.network]
        files += [Path(z["file"]) for z in self.zonings if "file" in z]
        return tuple(p for p in files if p is not None)


def _number(table: Any, name: str, default: float | None) -> float | None:
    table.known.add(name)
    if name not in table.data:
        return default
    value = table.data[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        table.problems.add(table.sub(name), f"un nombre est attendu, trouvé {value!r}")
        return default
    return float(value)


def _parse_zoning(table: Any, base: Path, atlas_zonings: list[str]) -> dict[str, Any]:

    given = [k for k in ZONING_KINDS if table.has(k)]
    if len(given) != 1:
        table.problems.add(
            table.key,
            "indiquez exactement une des clés « zoning » (zonage de l'atlas), "
            "« column », « file » ou « propose » (trouvé : "
            f"{', '.join(given) or 'aucune'})",
        )
    out: dict[str, Any] = {}
    zoning = table.get("zoning", str)
    if zoning is not None:
        if zoning not in atlas_zonings:
            table.problems.add(
                table.sub("zoning"),
                f"« {zoning} » n'est pas une zone de l'atlas ([[zones]])",
            )
        out["zoning"] = zoning
    ident = table.get("id", str, zoning or "", required=zoning is None)
    if ident and not _ID.match(ident):
        table.problems.add(table.sub("id"), f"identifiant « {ident} » invalide")
    out["id"] = ident
    out["label"] = table.get("label", str, "")
    column = table.get("column", str)
    if column is not None:
        out["column"] = column
    if table.has("file"):
        path = _file(table, "file", base)
        if path is not None:
            out["file"] = str(path)
        for key in ("zone_column", "member_column", "name_column"):
            value = table.get(key, str)
            if value is not None:
                out[key] = value
    propose = table.get("propose", dict)
    if propose is not None:
        out["propose"] = _parse_propose(propose, table.sub("propose"), table.problems)
    table.finish()
    return out


def _parse_propose(data: dict[str, Any], key: str, problems: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in data.items():
        kind = PROPOSE_KEYS.get(name)
        if kind is None:
            problems.add(
                f"{key}.{name}",
                f"clé inconnue (clés possibles : {', '.join(sorted(PROPOSE_KEYS))})",
            )
            continue
        if isinstance(value, bool) or not isinstance(value, kind):
            problems.add(f"{key}.{name}", f"valeur invalide {value!r}")
            continue
        out[name] = value
    method = out.get("method")
    if method is not None and method not in PROPOSE_METHODS:
        problems.add(
            f"{key}.method",
            f"méthode « {method} » inconnue (méthodes : {', '.join(PROPOSE_METHODS)})",
        )
    if out.get("seeds") not in (None, "sites"):
        problems.add(
            f"{key}.seeds",
            "seule la valeur « sites » est possible (les sites de la comparaison)",
        )
    if "seeds" not in out and "n_zones" not in out and "min_total" not in out:
        problems.add(key, 'donnez « n_zones », « min_total » ou « seeds = "sites" »')
    return out


def parse_scenarios(
    doc: Any, problems: Any, zonings: list[str], base: Path
) -> tuple[ScenarioComparisonConfig, ...]:
    """Read the ``[[scenarios]]`` tables of a config document.

    Every problem is recorded with its key path (``scenarios[0].zonings[1]``)
    in ``problems`` (see :mod:`territobs.atlas.config`).

    Parameters
    ----------
    doc : territobs.atlas.config.Table
        The root table of the document.
    problems : territobs.atlas.config._Problems
    zonings : list of str
        Ids of the config's zonings.
    base : pathlib.Path
        Folder of the config file (relative paths start there).

    Returns
    -------
    tuple of ScenarioComparisonConfig
    """
    tables = array(doc, "scenarios", problems)
    out = []
    for table in tables:
        ident = table.ident()
        indicators = table.strings("indicators")
        if not indicators:
            problems.add(table.sub("indicators"), "au moins un indicateur est attendu")
        table.known.add("zonings")
        raw = table.data.get("zonings", [])
        if not isinstance(raw, list) or len(raw) < 2:
            problems.add(
                table.sub("zonings"),
                "au moins deux découpages à comparer ([[scenarios.zonings]])",
            )
            raw = raw if isinstance(raw, list) else []
        entries = []
        subtables = []
        for i, item in enumerate(raw):
            sub = Table(item, f"{table.sub('zonings')}[{i}]", problems)
            subtables.append(sub)
            entries.append(_parse_zoning(sub, base, zonings) if sub.ok else {})
        unique_ids(subtables, [e.get("id", "") for e in entries], problems)
        balance_on = table.get("balance_on", str, "")
        chosen_map = table.get("map", str, "")
        for name, value in (("balance_on", balance_on), ("map", chosen_map)):
            if value and value not in indicators:
                problems.add(table.sub(name), f"« {value} » absent de « indicators »")
        sites = _file(table, "sites", base)
        travel = _file(table, "travel_times", base)
        network = _file(table, "network", base)
        for name, given in (("travel_times", travel), ("network", network)):
            if given is not None and sites is None:
                problems.add(
                    table.sub(name), "des temps de trajet demandent des « sites »"
                )
        if travel is not None and network is not None:
            problems.add(
                table.sub("network"),
                "donnez soit une matrice (« travel_times »), soit un réseau (« network »)",
            )
        table.known.add("speed")
        speed = table.data.get("speed", 50.0)
        if isinstance(speed, bool) or not isinstance(speed, int | float | str):
            problems.add(
                table.sub("speed"), "un nombre (km/h) ou une colonne est attendu"
            )
            speed = 50.0
        for i, entry in enumerate(entries):
            if entry.get("propose", {}).get("seeds") and sites is None:
                problems.add(
                    f"{table.sub('zonings')}[{i}].propose.seeds",
                    "des germes « sites » demandent la clé « sites » de la comparaison",
                )
        out.append(
            ScenarioComparisonConfig(
                id=ident,
                title=table.get("title", str, ident),
                indicators=indicators,
                zonings=tuple(
                    e | {"label": e.get("label") or e.get("id", "")} for e in entries
                ),
                balance_on=balance_on,
                target=_number(table, "target", None),
                tolerance=_number(table, "tolerance", 0.1) or 0.0,
                reference=table.get("reference", str, ""),
                map=chosen_map,
                sites=sites,
                site_id=table.get("site_id", str, ""),
                threshold=_number(table, "threshold", 10_000.0) or 0.0,
                travel_times=travel,
                network=network,
                speed=speed if isinstance(speed, str) else float(speed),
                portraits=table.get("portraits", bool, True),
                section=table.data,
            )
        )
        table.finish()
    unique_ids(tables, [s.id for s in out], problems)
    return tuple(out)


def shows_references(config: Any) -> bool:
    """Tell whether the atlas computes territories of reference to show.

    Those of ``[[references]]`` that a zoning names in its ``references``;
    the comparison steps then depend on their published figures.
    """
    referenced = {r for z in config.zonings for r in z.references}
    return bool(referenced & {r.id for r in config.references})
