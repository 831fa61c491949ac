"""Reading catalogues: TOML or YAML files, and the default catalogue.

A catalogue file is checked whole (:mod:`territobs._toml`): every unknown
key, wrong type, missing field of a kind, duplicate id or alias and invalid
reference is reported at once, with its key path (``indicators[3].kind``),
in one :class:`~territobs.errors.ConfigError` whose ``problems`` lists them.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from territobs._toml import Problems, Table, array, read_toml
from territobs.catalog.model import (
    REFERENCE_FIELDS,
    Indicator,
    _component,
    _indicator,
    _key,
)
from territobs.catalog.registry import Catalog
from territobs.errors import ConfigError

__all__ = ["catalog_from_dict", "default_catalog", "read_catalog"]

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
) -> Catalog | None:
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
    Catalog or None
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
    return Catalog(
        tuple(i for i in indicators if i is not None),
        {c.id: c for c in components},
        name=title,
    )


def catalog_from_dict(data: Mapping[str, Any], *, name: str = "") -> Catalog:
    """Build a catalogue from the mapping read in a TOML or YAML file.

    Parameters
    ----------
    data : mapping
        ``{"name": ..., "components": {id: {...}}, "indicators": [{...}]}``.
    name : str, default ""
        Name used when ``data`` has none.

    Returns
    -------
    Catalog

    Raises
    ------
    ConfigError
        Listing every problem (``problems``: ``(key, message)`` pairs; ``key``:
        the first key path, such as ``indicators[3].kind``).

    Examples
    --------
    >>> catalog_from_dict({"indicators": [{"id": "a", "kind": "cout"}]})
    Traceback (most recent call last):
    ...
    territobs.errors.ConfigError: catalogue d'indicateurs invalide (2 problèmes)
      - indicators[0].kind : valeur « cout » inconnue (valeurs : « count », « ratio », « share », « mean », « median », « quantile »)
      - indicators[0].label : clé obligatoire absente
    """
    problems = Problems()
    catalog = check_catalog_dict(data, problems, name=name)
    problems.raise_if_any(None, WHAT)
    assert catalog is not None
    return catalog


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


def read_catalog(path: str | os.PathLike[str], syntax: str = "") -> Catalog:
    """Read and check a catalogue file.

    Parameters
    ----------
    path : path-like
    syntax : {"", "toml", "yaml"}
        Default: from the extension.

    Returns
    -------
    Catalog

    Raises
    ------
    ConfigError
        Every problem of the file at once (``path``, ``key``, ``problems``).
    """
    path = Path(path)
    data = read_catalog_document(path, syntax)
    problems = Problems()
    catalog = check_catalog_dict(data, problems, name=path.stem)
    problems.raise_if_any(path, WHAT)
    assert catalog is not None
    return catalog


@functools.cache
def default_catalog() -> Catalog:
    """Return the default catalogue (census, Filosofi and CAF indicators).

    Returns
    -------
    Catalog
        Read once from ``territobs/data/catalog.toml`` (package data) and
        cached; catalogues are immutable.

    Examples
    --------
    >>> cat = default_catalog()
    >>> cat["poverty_rate"].kind
    'share'
    """
    resource = importlib.resources.files("territobs") / "data" / "catalog.toml"
    data = tomllib.loads(resource.read_text(encoding="utf-8"))
    return catalog_from_dict(data, name="territobs")
