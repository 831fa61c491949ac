"""One TOML validator: typed getters that collect every problem with its key path.

The atlas config (:mod:`territobs.atlas.config`), the catalogue
(:mod:`territobs.catalog.load`) and the secrecy rules
(:mod:`territobs.secrecy.rules`) read their documents through :class:`Table`,
so a file is checked whole and every problem is reported at once, in French,
with the key path that holds it (``indicators[3].kind``)::

    problems = Problems()
    doc = Table(document, "", problems)
    title = doc.get("title", str, "Atlas")
    doc.finish()                       # unknown keys
    problems.raise_if_any(path, "configuration d'atlas")

Standard library only: loading a config never imports pandas.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from territobs.errors import ConfigError

__all__ = ["Problems", "Table", "array", "problems_error", "read_toml"]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_EXPECTED: dict[type, str] = {
    str: "une chaîne est attendue",
    bool: "un booléen (true/false) est attendu",
    int: "un entier est attendu",
    float: "un nombre est attendu",
    list: "une liste est attendue",
    dict: "une table est attendue",
}


class Problems:
    """Collects ``(key, message)`` pairs while a document is checked.

    Parameters
    ----------
    prefix : str, default ""
        Key path prepended to every key (``"secrecy"`` for rules read inside
        an atlas config).
    """

    def __init__(self, prefix: str = "") -> None:
        self.items: list[tuple[str, str]] = []
        self.prefix = prefix

    def add(self, key: str, message: str) -> None:
        """Record one problem at ``key`` (relative to :attr:`prefix`)."""
        full = ".".join(p for p in (self.prefix, key) if p)
        self.items.append((full or "(racine)", message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, path: str | os.PathLike[str] | None, what: str) -> None:
        """Raise one :class:`ConfigError` listing every problem, if any."""
        if self.items:
            raise problems_error(self.items, path, what)


def _is(value: Any, kind: type) -> bool:
    if isinstance(value, bool):
        return kind is bool
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, kind)


class Table:
    """A TOML table being read: typed getters that record problems.

    Every key read is marked as known; :meth:`finish` reports the others,
    with the closest known key as a hint.

    Parameters
    ----------
    data : object
        The table (any other value is itself a problem).
    key : str
        Its key path (``""`` for the document).
    problems : Problems
    """

    def __init__(self, data: Any, key: str, problems: Problems) -> None:
        self.key = key
        self.problems = problems
        self.ok = isinstance(data, Mapping)
        if not self.ok:
            problems.add(key, f"une table est attendue, trouvé {data!r}")
        self.data: dict[str, Any] = dict(data) if self.ok else {}
        self.known: set[str] = set()

    def sub(self, name: str) -> str:
        """Return the key path of ``name`` in this table."""
        return f"{self.key}.{name}" if self.key else name

    def has(self, name: str) -> bool:
        """Return whether the table sets ``name``."""
        return name in self.data

    def add(self, name: str, message: str) -> None:
        """Record a problem at ``name`` in this table."""
        self.problems.add(self.sub(name), message)

    def get(
        self,
        name: str,
        kind: type,
        default: Any = None,
        *,
        required: bool = False,
        choices: Iterable[str] | None = None,
    ) -> Any:
        """Return the value of ``name`` if of type ``kind`` (else ``default``)."""
        self.known.add(name)
        if name not in self.data:
            if required:
                self.add(name, "clé obligatoire absente")
            return default
        value = self.data[name]
        if not _is(value, kind):
            self.add(
                name,
                f"{_EXPECTED.get(kind, kind.__name__)}, trouvé {value!r}",
            )
            return default
        if choices is not None and value not in tuple(choices):
            allowed = ", ".join(f"« {c} »" for c in choices)
            self.add(name, f"valeur « {value} » inconnue (valeurs : {allowed})")
            return default
        return value

    def strings(
        self,
        name: str,
        default: tuple[str, ...] = (),
        *,
        choices: Iterable[str] | None = None,
        allow_scalar: bool = False,
    ) -> tuple[str, ...]:
        """Return a list of strings (a lone string too with ``allow_scalar``)."""
        self.known.add(name)
        if name not in self.data:
            return default
        value = self.data[name]
        if allow_scalar and isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(name, f"une liste de chaînes est attendue, trouvé {value!r}")
            return default
        if choices is not None:
            allowed = tuple(choices)
            for i, item in enumerate(value):
                if item not in allowed:
                    names = ", ".join(f"« {c} »" for c in allowed)
                    self.problems.add(
                        f"{self.sub(name)}[{i}]",
                        f"valeur « {item} » inconnue (valeurs : {names})",
                    )
        return tuple(value)

    def ident(self, name: str = "id") -> str:
        """Return a required identifier, usable as a file name."""
        value = self.get(name, str, "", required=True)
        if value and not _ID.match(value):
            self.add(
                name,
                f"identifiant « {value} » invalide (lettres, chiffres, « - », "
                "« _ », « . » ; il sert de nom de fichier)",
            )
        return str(value)

    def table(self, name: str) -> Table:
        """Return the sub-table ``name`` (empty when absent)."""
        self.known.add(name)
        return Table(self.data.get(name, {}), self.sub(name), self.problems)

    def finish(self) -> None:
        """Report every key of the table that no getter read."""
        if not self.ok:
            return
        for name in self.data:
            if name not in self.known:
                close = difflib.get_close_matches(name, sorted(self.known), n=1)
                hint = f"clés possibles : {', '.join(sorted(self.known))}"
                if close:
                    hint = f"vouliez-vous dire « {close[0]} » ? {hint}"
                self.add(name, f"clé inconnue ({hint})")


def array(
    doc: Table, name: str, problems: Problems, *, required: bool = False
) -> list[Table]:
    """Return the tables of an array of tables (``[[name]]``)."""
    doc.known.add(name)
    value = doc.data.get(name, [])
    if name not in doc.data and required:
        doc.add(name, "au moins une entrée est attendue")
    if not isinstance(value, list):
        doc.add(name, "un tableau de tables ([[...]]) est attendu")
        return []
    return [
        Table(item, f"{doc.sub(name)}[{i}]", problems) for i, item in enumerate(value)
    ]


def unique_ids(tables: list[Table], ids: list[str], problems: Problems) -> None:
    """Record every id of an array of tables already used by an earlier entry."""
    seen: dict[str, int] = {}
    for table, ident in zip(tables, ids, strict=True):
        if not ident:
            continue
        if ident in seen:
            problems.add(
                table.sub("id"),
                f"identifiant « {ident} » déjà utilisé par "
                f"{table.key.split('[')[0]}[{seen[ident]}]",
            )
        else:
            seen[ident] = int(table.key.rsplit("[", 1)[1].rstrip("]"))


def problems_error(
    items: list[tuple[str, str]], path: str | os.PathLike[str] | None, what: str
) -> ConfigError:
    """Return one :class:`ConfigError` listing every problem (10 shown).

    Parameters
    ----------
    items : list of (str, str)
        ``(key, message)`` pairs; ``key`` of the error is the first one.
    path : path-like or None
        The file checked.
    what : str
        French name of the document (« configuration d'atlas »).
    """
    shown = items[:10]
    lines = "\n".join(f"  - {key} : {message}" for key, message in shown)
    more = len(items) - len(shown)
    tail = f"\n  ... et {more} autre{'s' if more > 1 else ''}" if more > 0 else ""
    count = len(items)
    where = f"fichier « {path} » : " if path is not None else ""
    return ConfigError(
        f"{where}{what} invalide ({count} problème{'s' if count > 1 else ''})"
        f"\n{lines}{tail}",
        path=path,
        key=items[0][0],
        problems=list(items),
    )


def read_toml(path: str | os.PathLike[str], what: str) -> dict[str, Any]:
    """Read a TOML file, with French errors naming the file and the line.

    Parameters
    ----------
    path : path-like
    what : str
        French name of the document, for messages (« la configuration »).

    Returns
    -------
    dict

    Raises
    ------
    ConfigError
        File unreadable, not UTF-8, or not valid TOML (``row``: the line).
    """
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"fichier « {path} » : impossible de lire {what} ({exc.strerror})",
            path=path,
            key="",
            problems=[],
        ) from exc
    try:
        return tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"fichier « {path} » : {what} doit être en UTF-8",
            path=path,
            key="",
            problems=[],
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        if line is None:
            match = re.search(r"line (\d+)", str(exc))
            line = int(match.group(1)) if match else None
        raise ConfigError(
            f"fichier « {path} »{f', ligne {line}' if line else ''} : TOML invalide "
            f"({exc})",
            path=path,
            row=line,
            key="",
            problems=[],
        ) from exc
