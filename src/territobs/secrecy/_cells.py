"""Cells: the counts that govern publication, shared by the rows that expose them.

A row of the tidy result exposes one or more *cells*, each a count of one
zone: the value of a count, the numerator and denominator of a ratio, the
denominator of a mean, or the governing count of its rule (Filosofi: the
zone's fiscal households, read from the ``households`` row of the same
zone). Secrecy is decided on cells (primary threshold, linear audit), then
carried to every row that exposes a masked cell.

A cell's value is an interval ``[lo, hi]``: exact values have ``lo == hi``;
incomplete counts published with bounds keep their bounds; cells whose value
is unknown (masked inputs, no bounds) have NaN and are never published.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from territobs.catalog.kinds import COUNT_KINDS, KINDS, kind_spec
from territobs.errors import SecrecyError, format_codes
from territobs.formatting import count_of
from territobs.secrecy.rules import SecrecyRule

__all__ = [
    "KINDS",
    "REQUIRED_COLUMNS",
    "WORK_COLUMNS",
    "CellTable",
    "build_cells",
    "combine_rules",
    "compute_bounds",
    "count_family",
    "may_disclose",
    "prepare_result",
    "surely_discloses",
]

REQUIRED_COLUMNS = ("zone", "indicator", "kind", "value", "numerator", "denominator")
#: Columns the row-wise decisions read.
WORK_COLUMNS = (*REQUIRED_COLUMNS, "masked_units", "missing_units", "incomplete")
#: Relative tolerance when comparing sums of floats with a threshold.
RTOL = 1e-9
#: Units below this weight sum are not missing (float noise of recompute).
MISSING_TOL = 1e-9
#: Relative tolerance when checking that two rows give the same count.
SAME_COUNT_RTOL = 1e-6

#: A count family: ``("count", component or variable, vintage)`` for a count
#: the catalogue names, ``("indicator", indicator, part)`` otherwise.
Family = tuple[str, str, str]

PART_LABELS = {
    "value": "",
    "numerator": " (numérateur)",
    "denominator": " (dénominateur)",
}


def prepare_result(result: pd.DataFrame, *, name: str = "résultat") -> pd.DataFrame:
    """Check the tidy result's columns and return a working copy.

    Parameters
    ----------
    result : pandas.DataFrame
        Tidy result (``docs/architecture.md``).
    name : str
        How the table is called in messages.

    Returns
    -------
    pandas.DataFrame
        A copy with a fresh ``RangeIndex``, ``zone``/``indicator`` as text,
        and ``masked_units``, ``incomplete``, ``lower``, ``upper``,
        ``secret``, ``secret_reason``, ``zone_name`` present.

    Raises
    ------
    SecrecyError
        If a required column is missing, a ``kind`` is unknown, or a
        (zone, indicator) pair is duplicated.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in result.columns]
    if missing:
        raise SecrecyError(
            f"{name} : {'colonne' if len(missing) == 1 else 'colonnes'} "
            f"{format_codes(missing)} "
            f"{'manquante' if len(missing) == 1 else 'manquantes'} ; le tableau "
            "doit suivre le format du résultat de recompute().",
            column=missing[0],
            codes=missing,
        )
    frame = result.copy().reset_index(drop=True)
    for column in ("zone", "indicator"):
        frame[column] = frame[column].astype(str)
    if "zone_name" not in frame.columns:
        frame["zone_name"] = frame["zone"]
    frame["zone_name"] = frame["zone_name"].fillna(frame["zone"]).astype(str)
    for column in ("value", "numerator", "denominator"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    if "masked_units" not in frame.columns:
        frame["masked_units"] = 0.0
    frame["masked_units"] = pd.to_numeric(frame["masked_units"]).fillna(0.0)
    if "missing_units" not in frame.columns:
        frame["missing_units"] = 0.0
    frame["missing_units"] = pd.to_numeric(frame["missing_units"]).fillna(0.0)
    if "incomplete" not in frame.columns:
        frame["incomplete"] = frame["masked_units"] > 0
    frame["incomplete"] = frame["incomplete"].fillna(False).astype(bool)
    for column in ("lower", "upper"):
        if column not in frame.columns:
            frame[column] = np.nan
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    if "secret" not in frame.columns:
        frame["secret"] = False
    frame["secret"] = frame["secret"].fillna(False).astype(bool)
    if "secret_reason" not in frame.columns:
        frame["secret_reason"] = ""
    frame["secret_reason"] = frame["secret_reason"].fillna("").astype(str)
    bad_kind = ~frame["kind"].isin(KINDS)
    if bad_kind.any():
        first = int(np.flatnonzero(bad_kind)[0])
        raise SecrecyError(
            f"{name}, colonne « kind », ligne {first + 2} : type « {frame['kind'][first]} » "
            f"inconnu (possibles : {', '.join(KINDS)}).",
            column="kind",
            row=first + 2,
            codes=sorted(set(frame.loc[bad_kind, "kind"].astype(str))),
        )
    duplicated = frame.duplicated(["zone", "indicator"])
    if duplicated.any():
        dup = frame.loc[duplicated, ["zone", "indicator"]]
        pairs = [f"{z}/{i}" for z, i in dup.itertuples(index=False)]
        raise SecrecyError(
            f"{name} : {count_of(len(pairs), 'couple')} zone/indicateur en double : "
            f"{format_codes(pairs)}.",
            codes=pairs,
        )
    return frame


def compute_bounds(
    frame: pd.DataFrame, rule_of: dict[str, SecrecyRule]
) -> tuple[np.ndarray, np.ndarray]:
    r"""Bounds of incomplete counts.

    Parameters
    ----------
    frame : pandas.DataFrame
        Prepared result.
    rule_of : dict
        Indicator id → rule.

    Returns
    -------
    lower, upper : numpy.ndarray
        NaN except for incomplete counts: ``lower`` is the known sum and
        ``upper = lower + masked_max × masked_units`` (NaN when the rule has
        no ``masked_max``). Counts with missing units (``missing_units > 0``:
        no value and no producer flag, e.g. a commune absent from the file)
        have no bounds: a missing value can be anything.

    Notes
    -----
    With weights :math:`w_i` and masked inputs :math:`x_i \in [0, m]`
    (``m = masked_max``), the zone count is
    :math:`\sum_{known} w_i x_i + \sum_{masked} w_i x_i`, so it lies in
    :math:`[K, K + m \sum_{masked} w_i] = [K, K + m \cdot masked\_units]`.
    The bound is exact for fractional (estimated) weights too: no rounding
    of ``masked_units`` is needed.
    """
    known = frame["numerator"].where(frame["numerator"].notna(), frame["value"])
    is_count = (
        frame["kind"].isin(COUNT_KINDS)
        & frame["incomplete"]
        & ~(frame["missing_units"] > MISSING_TOL)
    )
    masked_max = frame["indicator"].map(
        lambda i: np.nan if rule_of[i].masked_max is None else rule_of[i].masked_max
    )
    lower = known.where(is_count).to_numpy(dtype=float)
    upper = (known + masked_max.astype(float) * frame["masked_units"]).where(is_count)
    return lower, upper.to_numpy(dtype=float)


def may_disclose(
    lo: np.ndarray, hi: np.ndarray, threshold: np.ndarray, mask_zero: np.ndarray
) -> np.ndarray:
    """Whether a count known to lie in ``[lo, hi]`` might be disclosive.

    Disclosive values are ``0 < x < threshold`` (``x < threshold`` when
    ``mask_zero``). Used for publication: a figure is published only if it
    is certainly not disclosive. Unknown values (NaN) may disclose.
    """
    tol = RTOL * np.maximum(1.0, np.abs(threshold))
    below = ~(lo >= threshold - tol)
    nonzero = ~(hi <= tol)
    return below & (nonzero | mask_zero)


def surely_discloses(
    lo: np.ndarray, hi: np.ndarray, threshold: float, mask_zero: bool
) -> np.ndarray:
    """Whether a derived count known to lie in ``[lo, hi]`` is surely disclosive.

    Used for differences: an attacker learns something below the threshold
    only if every value of the interval is disclosive. For exact values
    (``lo == hi``) this is the same test as :func:`may_disclose`.
    """
    tol = RTOL * max(1.0, abs(threshold))
    below = hi < threshold - tol
    positive = lo > tol
    return below & (positive | mask_zero)


def combine_rules(rules: Iterable[SecrecyRule]) -> SecrecyRule:
    """Return the rule that judges a count governed by several rules.

    A value is disclosive if any rule says so: the highest threshold is kept,
    and zeros are masked if any of the rules masks them.

    Parameters
    ----------
    rules : iterable of SecrecyRule
        At least one rule.

    Returns
    -------
    SecrecyRule
        Among the masking rules (advice rules only when there is none), the
        one with the highest threshold, with ``mask_zero`` set when any rule
        masks zeros and the widest protection width.
    """
    rules = list(rules)
    masking = [r for r in rules if r.action == "mask"]
    rules = masking or rules  # advice never weakens nor hardens a masking rule
    top = max(rules, key=lambda r: (r.threshold, r.mask_zero, r.width))
    if not top.mask_zero and any(r.mask_zero for r in rules):
        top = replace(top, mask_zero=True)
    width = max(r.width for r in rules)
    if width > top.width:
        top = replace(top, protection_width=width)
    return top


@dataclass
class CellTable:
    """Cells of one result (plus public figures), and the rows exposing them."""

    #: ``(family, zone)`` of each cell; a family names the count
    #: (:func:`count_family`), shared by every indicator exposing it.
    keys: list[tuple[Family, str]] = field(default_factory=list)
    #: ``(indicator, part)`` of the first row exposing each cell (messages).
    labels: list[tuple[str, str]] = field(default_factory=list)
    lo: list[float] = field(default_factory=list)
    hi: list[float] = field(default_factory=list)
    fixed: list[bool] = field(default_factory=list)
    rules: list[list[SecrecyRule]] = field(default_factory=list)
    #: Cells exposed by each row, and as which ``(indicator, part)``.
    links: list[list[int]] = field(default_factory=list)
    link_labels: list[list[tuple[str, str]]] = field(default_factory=list)

    def family(self, cell: int) -> Family:
        """Return the family (the count) of a cell."""
        return self.keys[cell][0]

    def label(self, cell: int) -> tuple[str, str]:
        """Return the ``(indicator, part)`` a cell is shown as in messages."""
        return self.labels[cell]

    def zone(self, cell: int) -> str:
        """Zone id of a cell."""
        return self.keys[cell][1]

    def strictest(self, cell: int) -> SecrecyRule:
        """Return the combined rule of ``cell`` (see :func:`combine_rules`)."""
        return combine_rules(self.rules[cell])

    def maskable(self) -> np.ndarray:
        """Whether each cell is under at least one masking rule (not advice)."""
        return np.asarray(
            [any(r.action == "mask" for r in rules) for rules in self.rules], bool
        )

    def widths(self) -> np.ndarray:
        """Protection width of each cell (:attr:`SecrecyRule.width`, strictest)."""
        return np.asarray([self.strictest(c).width for c in range(len(self.keys))])

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``lo, hi, threshold, mask_zero`` as arrays."""
        strict = [self.strictest(c) for c in range(len(self.keys))]
        return (
            np.asarray(self.lo, dtype=float),
            np.asarray(self.hi, dtype=float),
            np.asarray([r.threshold for r in strict], dtype=float),
            np.asarray([r.mask_zero for r in strict], dtype=bool),
        )


def _own_parts(kind: str) -> tuple[str, ...]:
    return tuple(kind_spec(kind).secrecy_parts)


def _parts_of(row: Mapping[Hashable, Any], rule: SecrecyRule) -> list[tuple[str, str]]:
    """List the (indicator, part) counts a row exposes under its rule.

    A governing count is ``(rule.governing, "value")``: an indicator id, or a
    catalogue component id (resolved by :func:`count_family`).
    """
    indicator, kind = row["indicator"], row["kind"]
    if rule.action != "mask":
        # advice rules mask nothing, but their rows show counts: a count
        # masked under another rule must not be published through them
        return [(indicator, part) for part in _own_parts(kind)]
    families: list[tuple[str, str]] = []
    # the count that governs this row when it is another indicator's
    other = rule.governing if rule.governing != indicator else None
    if other is not None:
        families.append((other, "value"))
    is_ratio = kind_spec(kind).sums == "ratio"
    if other is None or (is_ratio and rule.mask_ratio_with_components):
        families.extend((indicator, part) for part in _own_parts(kind))
    if not families:
        raise SecrecyError(
            f"indicateur « {indicator} » ({kind}) : aucun effectif ne gouverne sa "
            f"diffusion ; donnez à la règle « {rule.id} » un indicateur « governing » "
            "(par ex. le nombre de ménages).",
            codes=[indicator],
            rule=rule.id,
        )
    return families


def _cell_value(
    row: Mapping[Hashable, Any], part: str, publish: bool, lower: float, upper: float
) -> tuple[float, float]:
    """Return the interval of one part of a row (NaN, NaN when unknown)."""
    if row["incomplete"]:
        if part == "value" and kind_spec(row["kind"]).is_count and publish:
            return lower, upper
        return np.nan, np.nan
    if part == "value":
        value = row["value"] if pd.notna(row["value"]) else row["numerator"]
    else:
        value = row[part]
    return float(value), float(value)


def _reference(catalog: Any, indicator: str, kind: str | None, part: str) -> str | None:
    """Return the catalogue component (or variable) a part of an indicator counts.

    ``None`` when the indicator is not in the catalogue with this kind, or
    the part is not a plain count of one reference (a numerator rebuilt from
    a published rate, a mean's weighted sum).
    """
    if catalog is None:
        return None
    try:
        ind = catalog.get(indicator)
    except (KeyError, ValueError, TypeError):  # ConfigError is a ValueError
        ind = None
    if ind is None or ind.id != indicator:
        return (
            indicator if part == "value" and indicator in catalog.components else None
        )
    if kind is not None and ind.kind != kind:
        return None
    ref = kind_spec(ind.kind).part_reference(ind, part)
    if ref is None or ref in catalog.components:
        return ref
    owners = [c.id for c in catalog.components.values() if ref in c.variables]
    return owners[0] if len(owners) == 1 else ref


def count_family(
    indicator: str,
    kind: str | None,
    part: str,
    vintage: str = "",
    catalog: Any | None = None,
) -> Family:
    """Name the count a part of an indicator's row equals.

    Parameters
    ----------
    indicator : str
        Indicator id (or, for a governing count, a catalogue component id).
    kind : str or None
        Kind of the row (``None``: whatever the catalogue says).
    part : {"value", "numerator", "denominator"}
        Which figure of the row.
    vintage : str, default ""
        Vintage of the row: counts of different vintages differ.
    catalog : territobs.catalog.Catalog, optional
        Catalogue describing the indicators.

    Returns
    -------
    tuple of str
        ``("count", reference, vintage)`` when the catalogue says which
        component (or producer variable) the part counts: the count of
        ``rsa_beneficiaries`` and the numerator of
        ``rsa_share_of_allocataires`` are both ``ALL_RSA``, one family.
        ``("indicator", indicator, part)`` otherwise.

    Examples
    --------
    >>> from territobs.catalog import default_catalog
    >>> cat = default_catalog()
    >>> count_family("rsa_beneficiaries", "count", "value", "2021", cat)
    ('count', 'ALL_RSA', '2021')
    >>> count_family("rsa_share_of_allocataires", "share", "numerator", "2021", cat)
    ('count', 'ALL_RSA', '2021')
    >>> count_family("rsa", "count", "value", "2021", cat)
    ('indicator', 'rsa', 'value')
    """
    ref = _reference(catalog, indicator, kind, part)
    if ref is None:
        return ("indicator", indicator, part)
    return ("count", ref, vintage)


def _vintages(frame: pd.DataFrame) -> list[str]:
    if "vintage" not in frame.columns:
        return [""] * len(frame)
    return [
        "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
        for v in frame["vintage"]
    ]


def _pick(values: list[tuple[float, float]]) -> tuple[float, float, bool]:
    """Most precise interval among sources; also whether exact values disagree."""
    exact = [(lo, hi) for lo, hi in values if np.isfinite(lo) and lo == hi]
    if exact:
        first = exact[0][0]
        tol = SAME_COUNT_RTOL * max(1.0, abs(first))
        conflict = any(abs(lo - first) > tol for lo, _ in exact)
        return first, first, conflict
    bounded = [(lo, hi) for lo, hi in values if np.isfinite(lo) and np.isfinite(hi)]
    if bounded:
        return max(lo for lo, _ in bounded), min(hi for _, hi in bounded), False
    return np.nan, np.nan, False


def build_cells(
    frame: pd.DataFrame,
    fixed: np.ndarray,
    rule_of: dict[str, SecrecyRule],
    lower: np.ndarray,
    upper: np.ndarray,
    publish_bounds: bool,
    catalog: Any | None = None,
) -> CellTable:
    """Build the cells exposed by the rows of ``frame``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Prepared result rows followed by public rows.
    fixed : numpy.ndarray of bool
        True for public rows (already published elsewhere, never masked).
    rule_of : dict
        Indicator id → rule.
    lower, upper : numpy.ndarray
        Bounds from :func:`compute_bounds`.
    publish_bounds : bool
        Publish bounds for every rule (else per rule).
    catalog : territobs.catalog.Catalog, optional
        Catalogue saying which component each count, numerator and
        denominator is (:func:`count_family`). ``None``: every indicator's
        counts are a family of their own.

    Returns
    -------
    CellTable

    Raises
    ------
    SecrecyError
        If a governing count has no row for a zone that needs it.

    Notes
    -----
    One cell per (count, zone): every row whose figure equals the same
    component in the same zone (the value of ``rsa_beneficiaries``, the
    numerator of ``rsa_share_of_allocataires``...) exposes the same cell, so
    masking it masks all of them. If two rows that should give the same
    count disagree (different definitions under one id), that count is split
    back into one family per indicator.
    """
    table = CellTable()
    records = frame[list(WORK_COLUMNS)].to_dict("records")
    vintages = _vintages(frame)
    kind_of = dict(zip(frame["indicator"], frame["kind"], strict=True))
    cache: dict[tuple[str, str | None, str, str], Family] = {}

    def merged(indicator: str, kind: str | None, part: str, vintage: str) -> Family:
        key = (indicator, kind, part, vintage)
        if key not in cache:
            cache[key] = count_family(indicator, kind, part, vintage, catalog)
        return cache[key]

    def value_of(pos: int, part: str) -> tuple[float, float]:
        row = records[pos]
        rule = rule_of[row["indicator"]]
        publish = publish_bounds or rule.publish_bounds
        return _cell_value(row, part, publish, lower[pos], upper[pos])

    def collect(
        family_of: Any,
    ) -> dict[tuple[Family, str], list[tuple[int, str]]]:
        found: dict[tuple[Family, str], list[tuple[int, str]]] = {}
        for pos, row in enumerate(records):
            for part in _own_parts(row["kind"]):
                fam = family_of(row["indicator"], row["kind"], part, vintages[pos])
                found.setdefault((fam, row["zone"]), []).append((pos, part))
        return found

    conflicted = {
        key[0]
        for key, srcs in collect(merged).items()
        if key[0][0] == "count"
        and len({p for p, _ in srcs}) > 1
        and _pick([value_of(p, part) for p, part in srcs])[2]
    }

    def final(indicator: str, kind: str | None, part: str, vintage: str) -> Family:
        fam = merged(indicator, kind, part, vintage)
        return ("indicator", indicator, part) if fam in conflicted else fam

    sources = collect(final)
    index: dict[tuple[Family, str], int] = {}
    missing: list[str] = []
    for pos, row in enumerate(records):
        rule = rule_of[row["indicator"]]
        links: list[int] = []
        labels: list[tuple[str, str]] = []
        for indicator, part in _parts_of(row, rule):
            kind = (
                row["kind"] if indicator == row["indicator"] else kind_of.get(indicator)
            )
            key = (final(indicator, kind, part, vintages[pos]), row["zone"])
            if key not in index:
                srcs = sources.get(key)
                if not srcs:
                    missing.append(f"{row['zone']}/{indicator}")
                    continue
                lo, hi, _ = _pick([value_of(p, src_part) for p, src_part in srcs])
                index[key] = len(table.keys)
                table.keys.append(key)
                table.labels.append((indicator, part))
                table.lo.append(lo)
                table.hi.append(hi)
                table.fixed.append(any(bool(fixed[p]) for p, _ in srcs))
                table.rules.append([])
            cell = index[key]
            table.rules[cell].append(rule)
            links.append(cell)
            labels.append((indicator, part))
        table.links.append(links)
        table.link_labels.append(labels)
    if missing:
        absent = list(dict.fromkeys(m.split("/", 1)[1] for m in missing))
        them = "le" if len(absent) == 1 else "les"
        raise SecrecyError(
            f"effectif gouvernant absent pour {count_of(len(missing), 'couple')} "
            "zone/indicateur : "
            f"{format_codes(missing)}. Recalculez aussi {format_codes(absent)} avec "
            f"les autres indicateurs et ajoutez-{them} au résultat (par ex. "
            "« fiscal_households », le nombre de ménages fiscaux de chaque zone, "
            "pour Filosofi ; voir governing_counts()).",
            codes=missing,
        )
    return table
