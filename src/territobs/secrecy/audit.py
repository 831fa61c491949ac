"""Audit a result table (and the files made from it) for disclosure risks.

:func:`audit` re-checks a table as it would be published: figures below a
threshold left visible, secret rows that still carry a value, masked
figures that a linear combination of the published ones recovers or narrows
below the rule's protection width (the attacker's LP,
:mod:`territobs.secrecy.attack`), census advice, and, given
the table before secrecy, masked values that reached an output file (HTML,
CSV, JSON...).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from territobs.catalog import Catalog, default_catalog
from territobs.catalog.kinds import is_count
from territobs.errors import SecrecyError, format_codes
from territobs.formatting import count_of
from territobs.secrecy._cells import (
    PART_LABELS,
    build_cells,
    may_disclose,
    prepare_result,
)
from territobs.secrecy._membership import MembershipLike, membership_matrix
from territobs.secrecy.apply import VALUE_COLUMNS, family_rules, protection_report
from territobs.secrecy.attack import family_problems
from territobs.secrecy.rules import SecrecyRule, resolve_rules
from territobs.secrecy.suppression import Protection, protect

__all__ = [
    "AUDIT_COLUMNS",
    "SCANNED_SUFFIXES",
    "audit",
    "audit_summary",
    "read_result",
]

#: Columns of the audit table.
AUDIT_COLUMNS = ("severity", "check", "zone", "indicator", "detail", "path")
#: File types searched for masked values.
SCANNED_SUFFIXES = (
    ".html",
    ".htm",
    ".csv",
    ".json",
    ".geojson",
    ".svg",
    ".md",
    ".txt",
    ".js",
)

_TEXT_COLUMNS = ("zone", "zone_name", "indicator", "label", "kind", "unit", "method")


def read_result(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a tidy result written as CSV, keeping codes as text.

    Parameters
    ----------
    path : path-like
        CSV file (``,`` or ``;`` separated) with the result's columns.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    SecrecyError
        If the file cannot be read or lacks the result's columns.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(
            path,
            sep=None,
            engine="python",
            dtype=dict.fromkeys(
                (*_TEXT_COLUMNS, "secret_reason", "approximation"), str
            ),
            keep_default_na=False,
            na_values={c: [""] for c in (*VALUE_COLUMNS, "masked_units")},
        )
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SecrecyError(f"fichier « {path} » illisible : {exc}", path=path) from exc
    for column in ("secret", "incomplete"):
        if column in frame.columns and frame[column].dtype != bool:
            text = frame[column].astype(str).str.strip().str.lower()
            frame[column] = text.isin(["true", "1", "vrai", "oui"])
    try:
        prepare_result(frame, name=f"fichier « {path} »")
    except SecrecyError as exc:
        exc.path = os.fspath(path)
        raise
    return frame


def audit_summary(figures: Mapping[str, Any]) -> str:
    """Say the figures of a linear audit in one French sentence.

    Parameters
    ----------
    figures : mapping
        ``attrs["secrecy"]`` of :func:`audit` or of
        :func:`~territobs.secrecy.apply_secrecy`.

    Returns
    -------
    str

    Examples
    --------
    >>> print(audit_summary({"cells_masked": 3, "cells_checked": 3,
    ...     "min_width": 12.0, "cells_failing": 0}))
    Attaque linéaire : 3 cellules masquées, 3 contrôlées, intervalle le plus étroit 12, 0 en défaut.
    >>> print(audit_summary({"cells_masked": 3, "cells_checked": 3,
    ...     "min_width": 12.0, "cells_failing": 0, "secondary": 1}))
    Attaque linéaire : 3 cellules masquées, 3 contrôlées, intervalle le plus étroit 12, 0 en défaut, secret secondaire : 1 cellule.
    """

    def fr(number: float) -> str:
        return f"{number:,.4g}".replace(",", "\u202f").replace(".", ",")

    width = float(figures.get("min_width", np.inf))
    parts = [
        count_of(int(figures.get("cells_masked", 0)), "cellule masquée"),
        f"{int(figures.get('cells_checked', 0))} contrôlées",
        "aucune cellule encadrée par les chiffres publiés"
        if not np.isfinite(width)
        else f"intervalle le plus étroit {fr(width)}",
        f"{int(figures.get('cells_failing', 0))} en défaut",
    ]
    if "secondary" in figures:
        text = f"secret secondaire : {count_of(int(figures['secondary']), 'cellule')}"
        if "persons_masked_secondary" in figures:  # not in a published manifest
            persons = float(figures["persons_masked_secondary"])
            text += f" ({fr(persons)} {'personne' if persons < 2 else 'personnes'})"
        parts.append(text)
    return "Attaque linéaire : " + ", ".join(parts) + "."


class _ResultRow(NamedTuple):
    """The fields of a :func:`prepare_result` row that the checks read."""

    zone: str
    zone_name: str
    indicator: str
    kind: str
    value: float
    denominator: float


def _result_rows(frame: pd.DataFrame) -> list[_ResultRow]:
    """Rows of a prepared result (text codes, float figures), typed."""
    columns = frame[list(_ResultRow._fields)]
    return [_ResultRow._make(t) for t in columns.itertuples(index=False, name=None)]


def _row(
    severity: str, check: str, zone: str, indicator: str, detail: str, path: str = ""
) -> dict:
    return dict(
        zip(
            AUDIT_COLUMNS, (severity, check, zone, indicator, detail, path), strict=True
        )
    )


def _interval_row(
    kind: str,
    what: Any,
    protection: Protection,
    cells: Any,
    names: Mapping[str, str],
    units: pd.Index,
) -> dict:
    """Audit row of a masked cell, region or pair an attacker narrows too much."""
    if kind == "cell":
        interval = protection.intervals[what]
        indicator, part = cells.label(what)
        rule = cells.strictest(what)
        zone = cells.zone(what)
        if interval.width <= 1e-9 * max(1.0, abs(interval.high)):
            how = "est retrouvée exactement"
        else:
            width = f"{interval.width:.4g}".replace(".", ",")
            how = (
                f"est encadrée dans un intervalle de largeur {width} (largeur de "
                f"protection : {rule.width:g})"
            )
        detail = (
            f"la figure masquée de « {names.get(zone, zone)} »{PART_LABELS[part]} "
            f"{how} par une combinaison linéaire des figures publiées (règle "
            f"« {rule.id} »)."
        )
        return _row("risque", "interval", zone, indicator, detail)
    if kind == "pair":
        outer, inner = what
        rule = cells.strictest(outer)
        indicator, part = cells.label(outer)
        detail = (
            f"« {names.get(cells.zone(outer))} » − « {names.get(cells.zone(inner))} » "
            f"révèle {rule.threshold_text()}{PART_LABELS[part]} (règle « {rule.id} »)."
        )
        zone = f"{cells.zone(outer)}, {cells.zone(inner)}"
        return _row("risque", "differencing", zone, indicator, detail)
    codes = [str(units[u]) for u in what]
    detail = (
        "une combinaison linéaire des figures publiées révèle un effectif sous le "
        f"seuil sur le groupe d'unités {format_codes(codes)}."
    )
    return _row("risque", "interval", ", ".join(codes[:5]), "", detail)


def _leaked_values(frame: pd.DataFrame) -> list[dict]:
    leaked = frame["secret"] & frame[list(VALUE_COLUMNS)].notna().any(axis=1)
    return [
        _row(
            "risque",
            "secret_value",
            row.zone,
            row.indicator,
            "ligne secrète qui porte encore une valeur (elle doit être vide).",
        )
        for row in _result_rows(frame[leaked])
    ]


def _advice(frame: pd.DataFrame, rule_of: Mapping[str, SecrecyRule]) -> list[dict]:
    rows: list[dict] = []
    for row in _result_rows(frame[~frame["secret"]]):
        rule = rule_of[row.indicator]
        if rule.action != "advise":
            continue
        count = row.value if is_count(row.kind) else row.denominator
        if pd.notna(count) and count < rule.threshold:
            rows.append(
                _row(
                    "avertissement",
                    "advisory",
                    row.zone,
                    row.indicator,
                    f"{rule.threshold_text()} : {rule.label}.",
                )
            )
    return rows


def _tokens(value: float, min_digits: int) -> set[str]:
    if not np.isfinite(value):
        return set()
    texts = {f"{value:.1f}", f"{value:.2f}", f"{value:g}", repr(float(value))}
    if float(value).is_integer():
        texts.add(str(int(value)))
        grouped = f"{int(value):,}"
        if "," in grouped:  # French thousands separators: space, nbsp, narrow nbsp
            texts |= {grouped.replace(",", sep) for sep in (" ", "\u00a0", "\u202f")}
    texts |= {t.replace(".", ",") for t in texts}
    return {t for t in texts if sum(ch.isdigit() for ch in t) >= min_digits}


def _output_files(
    outputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> list[Path]:
    items = [outputs] if isinstance(outputs, (str, os.PathLike)) else list(outputs)
    files: list[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            files.extend(
                p
                for p in sorted(item.rglob("*"))
                if p.suffix.lower() in SCANNED_SUFFIXES
            )
        elif item.is_file():
            files.append(item)
        else:
            raise SecrecyError(f"« {item} » introuvable.", path=item)
    return files


def _file_leaks(
    frame: pd.DataFrame,
    unmasked: pd.DataFrame,
    outputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    min_digits: int,
) -> list[dict]:
    truth = prepare_result(unmasked, name="résultat avant secret")
    # (zone, indicator) pairs are unique: prepare_result refuses duplicates
    figures_before = {
        (zone, indicator): figures
        for zone, indicator, *figures in truth[
            ["zone", "indicator", "value", "numerator", "denominator"]
        ].itertuples(index=False, name=None)
    }
    secret = frame[frame["secret"]]
    wanted = []
    for row in _result_rows(secret):
        original = figures_before.get((row.zone, row.indicator))
        if original is None:
            continue
        tokens: set[str] = set()
        for figure in original:
            tokens |= _tokens(float(figure), min_digits)
        if tokens:
            wanted.append((row.zone, row.zone_name, row.indicator, tokens))
    rows = []
    for path in _output_files(outputs):
        text = path.read_text(encoding="utf-8", errors="replace")
        for zone, name, indicator, tokens in wanted:
            if zone not in text and name not in text:
                continue
            found = sorted(
                t
                for t in tokens
                if re.search(rf"(?<![\d.,]){re.escape(t)}(?!\d)", text)
            )
            if found:
                rows.append(
                    _row(
                        "risque",
                        "file_leak",
                        zone,
                        indicator,
                        f"valeur masquée présente dans le fichier ({format_codes(found)}).",
                        os.fspath(path),
                    )
                )
    return rows


def audit(
    result: pd.DataFrame | str | os.PathLike[str],
    rules: SecrecyRule | str | Mapping[str, SecrecyRule | str] | None = None,
    *,
    membership: MembershipLike | None = None,
    public: pd.DataFrame | None = None,
    unmasked: pd.DataFrame | None = None,
    outputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
    max_terms: int = 2,
    min_digits: int = 3,
    catalog: Catalog | None = None,
) -> pd.DataFrame:
    """List the disclosure risks of a result as it would be published.

    Parameters
    ----------
    result : pandas.DataFrame or path-like
        The table to audit (a CSV path is read with :func:`read_result`).
    rules : SecrecyRule, str, mapping or None
        As in :func:`~territobs.secrecy.apply_secrecy`.
    membership : optional
        Units of each zone; without it the linear audit is skipped
        (reported as a warning row).
    public : pandas.DataFrame, optional
        Figures published elsewhere, known to the attacker.
    unmasked : pandas.DataFrame, optional
        The result before secrecy, to look for masked values in ``outputs``.
    outputs : path-like or iterable of path-like, optional
        Files or folders (an atlas output) to scan for masked values.
    max_terms : int, default 2
        Ignored (kept for compatibility): every linear combination is
        checked.
    min_digits : int, default 3
        Only values written with at least this many digits are searched in
        files (shorter ones match everywhere).
    catalog : territobs.catalog.Catalog, optional
        As in :func:`~territobs.secrecy.apply_secrecy`.

    Returns
    -------
    pandas.DataFrame
        One row per risk: ``severity`` (``"risque"`` or ``"avertissement"``),
        ``check`` (``primary``, ``interval``, ``secret_value``,
        ``file_leak``, ``advisory``, ``not_checked``), ``zone``,
        ``indicator``, ``detail`` (French), ``path``. Empty when nothing was
        found. ``attrs["secrecy"]`` holds the figures of the linear audit:
        ``cells_masked``, ``cells_checked``, ``min_width`` (narrowest exact
        attacker interval) and ``cells_failing``.

    Raises
    ------
    SecrecyError
        If the table is malformed or an indicator has no rule.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"zone": ["A"], "indicator": "rsa", "kind": "count",
    ...     "value": [3.0], "numerator": [3.0], "denominator": [float("nan")],
    ...     "secret": [False]})
    >>> audit(res, "caf")["check"].tolist()
    ['primary', 'not_checked']
    """
    if not isinstance(result, pd.DataFrame):
        result = read_result(result)
    frame = prepare_result(result)
    public_frame = (
        prepare_result(public, name="figures publiques")
        if public is not None
        else frame.iloc[0:0]
    )
    everything = pd.concat([frame, public_frame], ignore_index=True)
    fixed_rows = np.r_[np.zeros(len(frame), bool), np.ones(len(public_frame), bool)]
    catalog = catalog if catalog is not None else default_catalog()
    rule_of = resolve_rules(
        rules, sorted(pd.unique(everything["indicator"])), catalog=catalog
    )
    rows = _leaked_values(frame)

    shown = everything.copy()
    shown.loc[shown["secret"] & ~fixed_rows, list(VALUE_COLUMNS)] = np.nan
    cells = build_cells(
        shown,
        fixed_rows,
        rule_of,
        shown["lower"].to_numpy(),
        shown["upper"].to_numpy(),
        publish_bounds=True,
        catalog=catalog,
    )
    lo, hi, threshold, mask_zero = cells.arrays()
    known = np.isfinite(lo) & np.isfinite(hi)
    exposed = np.zeros(len(cells.keys), bool)
    for pos in range(len(frame)):
        if not frame["secret"].iloc[pos]:
            exposed[cells.links[pos]] = True
    fixed_cells = np.asarray(cells.fixed, bool)
    primary = (
        known & exposed & cells.maskable() & may_disclose(lo, hi, threshold, mask_zero)
    )
    for cell in map(int, np.flatnonzero(primary)):
        indicator, part = cells.label(cell)
        zone = cells.zone(cell)
        rule = cells.strictest(cell)
        rows.append(
            _row(
                "risque",
                "primary",
                zone,
                indicator,
                f"figure publiée qui peut compter {rule.threshold_text()}"
                f"{PART_LABELS[part]} (règle « {rule.id} »).",
            )
        )
    figures: dict[str, object] = {}
    if membership is None:
        rows.append(
            _row(
                "avertissement",
                "not_checked",
                "",
                "",
                "contrôle par combinaison linéaire non effectué : appartenance des "
                "unités aux zones non fournie.",
            )
        )
    else:
        zones = pd.Index(pd.unique(everything["zone"]))
        matrix, units = membership_matrix(membership, list(zones))
        in_play = known & (exposed | fixed_cells)
        linked = np.zeros(len(cells.keys), bool)
        for pos in range(len(frame)):
            linked[cells.links[pos]] = True
        maskable = cells.maskable()
        targets = maskable & linked & ~in_play
        widths = cells.widths()
        zone_of = [cells.zone(c) for c in range(len(cells.keys))]
        problems = family_problems(
            [cells.family(c) for c in range(len(cells.keys))], zone_of, matrix, zones
        )
        protection = protect(
            problems,
            lo,
            hi,
            in_play,
            fixed_cells,
            targets,
            widths,
            zone_of,
            family_rules(problems, cells, maskable),
            suppress=False,
            certify=False,
        )
        names = dict(zip(everything["zone"], everything["zone_name"], strict=True))
        for kind, what in protection.unresolved:
            rows.append(_interval_row(kind, what, protection, cells, names, units))
        figures = protection_report(protection, cells, primary, widths, hi)
        del figures["secondary"], figures["persons_masked_secondary"]
    rows.extend(_advice(frame, rule_of))
    if outputs is not None:
        if unmasked is None:
            raise SecrecyError(
                "recherche dans les fichiers impossible sans le résultat avant secret "
                "(« unmasked »).",
                key="unmasked",
            )
        rows.extend(_file_leaks(frame, unmasked, outputs, min_digits))
    report = pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))
    order = {"risque": 0, "avertissement": 1}
    report = report.sort_values(
        ["severity", "check", "zone", "indicator"],
        key=lambda s: s.map(order) if s.name == "severity" else s,
        ignore_index=True,
    )
    report.attrs["secrecy"] = figures
    return report
