"""Scenarios listed in a TOML file, for the command line and for scripts.

.. code-block:: toml

    reference = "epci"             # optional: column of the units to align with

    [[scenarios]]
    id = "actuel"
    label = "Circonscriptions actuelles"
    file = "circonscriptions.csv"  # membership table or polygons (read_zones)

    [[scenarios]]
    id = "epci"
    label = "Alignées sur les EPCI"
    column = "epci"                # one zone per value of a column of the units

    [[scenarios]]
    id = "main"
    label = "Dessinées à la main"
    [scenarios.zones]              # zone id = list of unit codes
    nord = ["01001", "01002"]
    sud = ["01004"]

Paths are relative to the TOML file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from territobs.errors import ConfigError

__all__ = ["ScenarioSet", "read_scenarios", "scenario_from_spec"]

_KEYS = {"id", "label", "file", "column", "zones", "zone_column", "member_column",
         "name_column"}  # fmt: skip


@dataclass(frozen=True)
class ScenarioSet:
    """Scenarios read from a file: zonings, labels and the reference column."""

    zonings: dict[str, Any]
    labels: dict[str, str]
    reference: str | None = None


def scenario_from_spec(
    spec: dict[str, Any],
    units: gpd.GeoDataFrame,
    *,
    base: Path | None = None,
    key: str = "scenarios",
) -> Any:
    """Build one zoning from a mapping with ``file``, ``column`` or ``zones``.

    Parameters
    ----------
    spec : dict
        One ``[[scenarios]]`` table.
    units : geopandas.GeoDataFrame
        The territory's units.
    base : pathlib.Path, optional
        Folder that relative ``file`` paths start from.
    key : str
        Key path for error messages.

    Returns
    -------
    zones frame, pandas.Series or dict
        A zoning :func:`~territobs.scenarios.as_assignment` reads.

    Raises
    ------
    ConfigError
        Unknown keys, none or several of ``file``/``column``/``zones``, or a
        column absent from the units.
    """
    unknown = sorted(set(spec) - _KEYS)
    if unknown:
        raise ConfigError(
            f"{key} : clé(s) inconnue(s) {', '.join(unknown)} ; clés possibles : "
            f"{', '.join(sorted(_KEYS))}.",
            key=f"{key}.{unknown[0]}",
        )
    given = [k for k in ("file", "column", "zones") if k in spec]
    if len(given) != 1:
        raise ConfigError(
            f"{key} : donnez exactement une des clés « file », « column » ou "
            f"« zones » (trouvé : {', '.join(given) or 'aucune'}).",
            key=key,
        )
    if "file" in spec:
        from territobs.io.zones import read_zones

        path = Path(spec["file"])
        if base is not None and not path.is_absolute():
            path = base / path
        return read_zones(
            path,
            zone=spec.get("zone_column"),
            member=spec.get("member_column"),
            name=spec.get("name_column"),
            units=units if path.suffix.lower() in {".csv", ".txt", ".xlsx"} else None,
        ).pipe(lambda z: z.to_crs(units.crs) if z.crs is not None else z)
    if "column" in spec:
        column = spec["column"]
        if column not in units.columns:
            raise ConfigError(
                f"{key}.column : colonne « {column} » absente des unités ; colonnes "
                f"disponibles : {', '.join(map(str, units.columns))}.",
                key=f"{key}.column",
            )
        return pd.Series(
            units[column].astype(object).to_numpy(),
            index=units["code"].astype(object).to_numpy(),
        )
    zones = spec["zones"]
    if not isinstance(zones, dict):
        raise ConfigError(
            f"{key}.zones : une table « zone = [codes] » est attendue.",
            key=f"{key}.zones",
        )
    return {str(z): [str(c) for c in codes] for z, codes in zones.items()}


def read_scenarios(
    path: str | os.PathLike[str], units: gpd.GeoDataFrame
) -> ScenarioSet:
    """Read the scenarios of a TOML file (see the module docstring).

    Parameters
    ----------
    path : path-like
        The TOML file.
    units : geopandas.GeoDataFrame
        The territory's units.

    Returns
    -------
    ScenarioSet

    Raises
    ------
    ConfigError
        Invalid TOML, no ``[[scenarios]]``, duplicated or missing ids (the
        message names the key path, e.g. ``scenarios[2].id``).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"fichier « {path} » : TOML invalide ({exc}).", path=path
        ) from exc
    items = data.get("scenarios")
    if not isinstance(items, list) or not items:
        raise ConfigError(
            f"fichier « {path} » : aucun scénario ([[scenarios]] attendu).", path=path
        )
    zonings: dict[str, Any] = {}
    labels: dict[str, str] = {}
    for i, spec in enumerate(items):
        key = f"scenarios[{i}]"
        sid = spec.get("id")
        if not isinstance(sid, str) or not sid:
            raise ConfigError(f"fichier « {path} », {key}.id : identifiant manquant.",
                              path=path, key=f"{key}.id")  # fmt: skip
        if sid in zonings:
            raise ConfigError(
                f"fichier « {path} », {key}.id : scénario « {sid} » en double.",
                path=path, key=f"{key}.id",
            )  # fmt: skip
        zonings[sid] = scenario_from_spec(spec, units, base=path.parent, key=key)
        labels[sid] = str(spec.get("label", sid))
    reference = data.get("reference")
    return ScenarioSet(zonings, labels, str(reference) if reference else None)
