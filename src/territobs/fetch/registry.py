"""The declarative registry of official sources (``sources.toml``)."""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from territobs.codes import normalize_code
from territobs.errors import ConfigError, SourceFetchError, format_codes

__all__ = ["Source", "get_source", "list_sources"]

Scope = Literal["national", "departement"]
_REQUIRED = ("producer", "title", "url", "scope", "format", "licence", "landing")


@dataclass(frozen=True)
class Source:
    """One downloadable official source.

    Attributes
    ----------
    id : str
        Registry key (``"insee-cog-mouvements"``).
    producer, title : str
        Who publishes it and what it is (French).
    url : str
        Template with ``{year}``, ``{yy}``, ``{departement}`` and per-year
        variables.
    scope : {"national", "departement"}
        One file for France, or one per département.
    format : str
        ``zip``, ``7z``, ``csv``, ``xlsx``...
    members : tuple of str
        Glob patterns of the archive members to extract (empty: keep the file).
    licence, landing : str
        Licence, and the producer's page to look at when the URL moved.
    years : dict
        ``{year: {variable: value}}``; ``sha256`` there is checked.
    verified : bool
        Whether the address was checked against the producer's site.
    columns : tuple of str
        Columns the header of a CSV source must hold (checked, case
        insensitive, before a first download is pinned).
    max_size : int or None
        Size cap in bytes of the download (``None``: the default of
        :func:`territobs.fetch.fetch`).
    """

    id: str
    producer: str
    title: str
    url: str
    scope: Scope
    format: str
    licence: str
    landing: str
    members: tuple[str, ...] = ()
    years: dict[int, dict[str, str]] = field(default_factory=dict)
    verified: bool = True
    columns: tuple[str, ...] = ()
    max_size: int | None = None

    def variables(self, year: int, departement: str | None = None) -> dict[str, str]:
        """Values of the URL template variables for ``year`` (and département).

        Parameters
        ----------
        year : int
            Vintage.
        departement : str, optional
            Département code (required when ``scope == "departement"``).

        Returns
        -------
        dict

        Raises
        ------
        SourceFetchError
            If the template needs a per-year variable that the registry does
            not declare for ``year``, or a département is missing.
        """
        values = {"year": str(year), "yy": f"{year % 100:02d}"}
        values.update(self.years.get(year, {}))
        if departement is not None:
            values["departement"] = normalize_code(departement, "departement")
        needed = {f for _, f, _, _ in string.Formatter().parse(self.url) if f}
        missing = sorted(needed - set(values))
        if "departement" in missing:
            raise SourceFetchError(
                f"la source « {self.id} » est publiée par département : précisez-le "
                "(departement=..., ou --departement).",
                source=self.id,
            )
        if missing:
            known = ", ".join(str(y) for y in sorted(self.years)) or "aucune"
            raise SourceFetchError(
                f"source « {self.id} » : année {year} non déclarée dans le registre "
                f"(variables {format_codes(missing)} inconnues ; années déclarées : "
                f"{known}). Ajoutez [sources.{self.id}.years.{year}] dans "
                f"sources.toml (voir {self.landing}).",
                source=self.id,
                year=year,
            )
        return values

    def url_for(self, year: int, departement: str | None = None) -> str:
        """Return the download address for ``year`` (and département).

        Parameters
        ----------
        year : int
            Vintage.
        departement : str, optional
            Département code.

        Returns
        -------
        str

        Examples
        --------
        >>> get_source("insee-table-appartenance").url_for(2024)[-38:]
        'table-appartenance-geo-communes-24.zip'
        """
        return self.url.format(**self.variables(year, departement))

    def sha256(self, year: int) -> str | None:
        """Return the published checksum of the file of ``year``, if the registry has one."""
        return self.years.get(year, {}).get("sha256")


def _parse(key: str, entry: dict[str, Any]) -> Source:
    missing = [f for f in _REQUIRED if f not in entry]
    if missing:
        raise ConfigError(
            f"sources.toml : entrée [sources.{key}], clés {format_codes(missing)} "
            "absentes.",
            key=f"sources.{key}",
        )
    if entry["scope"] not in ("national", "departement"):
        raise ConfigError(
            f"sources.toml : [sources.{key}] scope « {entry['scope']} » inconnu "
            "(national ou departement).",
            key=f"sources.{key}.scope",
        )
    years = {
        int(y): {k: str(v) for k, v in values.items()}
        for y, values in entry.get("years", {}).items()
    }
    return Source(
        id=key,
        producer=entry["producer"],
        title=entry["title"],
        url=entry["url"],
        scope=entry["scope"],
        format=entry["format"],
        licence=entry["licence"],
        landing=entry["landing"],
        members=tuple(entry.get("members", ())),
        years=years,
        verified=bool(entry.get("verified", True)),
        columns=tuple(entry.get("columns", ())),
        max_size=int(entry["max_size"]) if "max_size" in entry else None,
    )


@lru_cache(maxsize=1)
def _registry() -> dict[str, Source]:
    text = (resources.files("territobs.fetch") / "sources.toml").read_text("utf-8")
    data = tomllib.loads(text)
    return {key: _parse(key, entry) for key, entry in data["sources"].items()}


def list_sources() -> list[Source]:
    """Every source of the registry, sorted by id.

    Returns
    -------
    list of Source

    Examples
    --------
    >>> "insee-cog-mouvements" in [s.id for s in list_sources()]
    True
    """
    return [source for _, source in sorted(_registry().items())]


def get_source(source_id: str) -> Source:
    """Look a source up by id.

    Parameters
    ----------
    source_id : str
        Registry key.

    Returns
    -------
    Source

    Raises
    ------
    ConfigError
        If the id is unknown (the message lists the known ones).
    """
    registry = _registry()
    if source_id not in registry:
        raise ConfigError(
            f"source « {source_id} » inconnue ; sources disponibles : "
            f"{', '.join(sorted(registry))}.",
            key=source_id,
            codes=[source_id],
        )
    return registry[source_id]
