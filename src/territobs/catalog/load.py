"""Reading catalogue files (TOML or YAML), checked whole.

A catalogue file is checked whole (:mod:`territobs._toml`): every unknown
key, wrong type, missing field of a kind, duplicate id or alias and invalid
reference is reported at once, with its key path (``indicators[3].kind``),
in one :class:`~territobs.errors.ConfigError` whose ``problems`` lists them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, NamedTuple

from territobs._toml import Problems, Table, array, read_toml
from territobs.catalog.model import (
    REFERENCE_FIELDS,
    Component,
    Indicator,
    _component,
    _indicator,
    _key,
)
from territobs.errors import ConfigError

__all__ = ["WHAT", "CatalogParts", "check_catalog_dict", "read_catalog_document"]


class CatalogParts(NamedTuple):
    """A checked catalogue document: indicators, components (by id), name."""

    indicators: tuple[Indicator, ...]
    components: dict[str, Component]
    name: str


WHAT = "catalogue d'indicateurs"
_REFERENCE = re.compile(r"[A-Za-z0-9_]*(\{yy\}|\{yyyy\})?[A-Za-z0-9_]*")


def _unique_names(tables: list[Table], indicators: list[Indicator | None]) -> None:
    seen: dict[str, str] = {}
    for table, ind in zip(tables, indicators, strict=True):
        if ind is None:
            continue
        for name, what in ((ind.id, "id"), *((a, "aliases") for a in ind.aliases)):
            k = _key(name)
            if k in seen:
                table.add(what, f"« {name} » désigne déjà l'indicateur « {seen[k]} »")
            else:
                seen[k] = ind.id


def _references(
    tables: list[Table], indicators: list[Indicator | None], components: set[str]
) -> None:
    for table, ind in zip(tables, indicators, strict=True):
        if ind is None:
            continue
        for role in REFERENCE_FIELDS:
            ref = getattr(ind, role)
            if ref is not None and ref not in components:
                if not _REFERENCE.fullmatch(ref):
                    table.add(
                        role,
                        f"« {ref} » n'est ni une composante du catalogue ni un "
                        "nom de variable",
                    )


def check_catalog_dict(
    data: Any, problems: Problems, *, name: str = ""
) -> CatalogParts | None:
    """Check a catalogue mapping, recording every problem; None if any.

    Parameters
    ----------
    data : mapping
        ``{"name": ..., "components": {id: {...}}, "indicators": [{...}]}``.
    problems : territobs._toml.Problems
        Where problems are recorded (with its key prefix).
    name : str, default ""
        Name used when ``data`` has none.

    Returns
    -------
    CatalogParts or None
        What :class:`~territobs.catalog.Catalog` is built from.
    """
    before = len(problems.items)
    doc = Table(data, "", problems)
    title = doc.get("name", str, name) or name
    comps_table = doc.table("components")
    components = []
    for cid, spec in comps_table.data.items():
        comps_table.known.add(cid)
        comp = _component(Table(spec, comps_table.sub(cid), problems), str(cid))
        if comp is not None:
            components.append(comp)
    tables = array(doc, "indicators", problems)
    indicators = [_indicator(t) for t in tables]
    doc.finish()
    _unique_names(tables, indicators)
    _references(tables, indicators, {c.id for c in components})
    if len(problems.items) > before:
        return None
    return CatalogParts(
        tuple(i for i in indicators if i is not None),
        {c.id: c for c in components},
        title,
    )


def _read_yaml(path: Path) -> Any:
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - depends on the env
        raise ImportError(
            "La lecture d'un catalogue YAML demande PyYAML : pip install pyyaml"
        ) from exc
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"fichier « {path} » : YAML invalide ({exc}).", path=path, key=""
        ) from exc


def read_catalog_document(path: str | os.PathLike[str], syntax: str = "") -> Any:
    """Read the document of a catalogue file (TOML or YAML) without checking it.

    Parameters
    ----------
    path : path-like
    syntax : {"", "toml", "yaml"}
        Default: from the extension (``.toml``, ``.yaml``, ``.yml``).

    Returns
    -------
    object
        The parsed document.

    Raises
    ------
    ConfigError
        Unknown extension, unreadable file or invalid syntax.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    syntax = syntax or {".toml": "toml", ".yaml": "yaml", ".yml": "yaml"}.get(
        suffix, ""
    )
    if syntax == "toml":
        return read_toml(path, "le catalogue")
    if syntax == "yaml":
        return _read_yaml(path)
    raise ConfigError(
        f"fichier « {path} » : extension « {suffix} » non prise en charge "
        "(.toml, .yaml ou .yml).",
        path=path,
        key="",
    )
