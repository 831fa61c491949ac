"""Apply secrecy to a tidy result: bounds, primary and secondary suppression.

:func:`apply_secrecy` fills ``lower``, ``upper``, ``secret`` and
``secret_reason`` of the tidy result and blanks every value of the secret
rows; :func:`published` is the safe view every export uses.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from territobs.catalog import Catalog, default_catalog
from territobs.catalog.kinds import is_count
from territobs.codes import PLM_COMMUNES
from territobs.errors import SecrecyError, SecrecyWarning, format_codes
from territobs.formatting import count_of
from territobs.secrecy._cells import (
    MISSING_TOL,
    PART_LABELS,
    WORK_COLUMNS,
    CellTable,
    build_cells,
    combine_rules,
    compute_bounds,
    may_disclose,
    prepare_result,
)
from territobs.secrecy._membership import MembershipLike, membership_matrix
from territobs.secrecy._parallel import default_workers
from territobs.secrecy.attack import FamilyProblem, family_problems
from territobs.secrecy.rules import SecrecyRule, resolve_rules
from territobs.secrecy.suppression import Protection, Reason, passes, protect

__all__ = ["VALUE_COLUMNS", "apply_secrecy", "protection_report", "published"]

#: Columns that carry a figure: blanked (NaN) on secret rows.
VALUE_COLUMNS = ("value", "numerator", "denominator", "lower", "upper")


def _fr(number: float) -> str:
    """Format a number in French notation, without useless decimals."""
    return f"{number:.6g}".replace(".", ",")


def _secondary_reason(
    reason: Reason,
    cells: CellTable,
    names: Mapping[str, str],
    units: pd.Index | None,
    masked_cell: int,
) -> str:
    """French reason of a secondary suppression: what it protects."""
    kind, what = reason
    if kind == "cell":
        rule = cells.strictest(what)
        indicator, part = cells.label(what)
        zone = cells.zone(what)
        return (
            f"secondary: secret secondaire, protège « {names.get(zone, zone)} » "
            f"({rule.threshold_text()}{PART_LABELS[part]}, « {indicator} », règle "
            f"« {rule.id} ») : sans ce masque, une combinaison des figures publiées "
            "la retrouverait ou l'encadrerait trop étroitement"
        )
    rule = cells.strictest(masked_cell)
    indicator, part = cells.label(masked_cell)
    if kind == "pair":
        outer, inner = what
        combo = (
            f"« {names.get(cells.zone(outer), cells.zone(outer))} » − "
            f"« {names.get(cells.zone(inner), cells.zone(inner))} »"
        )
        return (
            f"secondary: secret secondaire : sinon {combo} révélerait "
            f"{rule.threshold_text()}{PART_LABELS[part]} (« {indicator} », règle "
            f"« {rule.id} »)"
        )
    codes = [str(units[u]) for u in what] if units is not None else []
    return (
        "secondary: secret secondaire : sinon une combinaison des figures publiées "
        f"révélerait {rule.threshold_text()} sur le groupe d'unités "
        f"{format_codes(codes)} (« {indicator} », règle « {rule.id} »)"
    )


def _unresolved_text(
    reason: Reason, cells: CellTable, names: Mapping[str, str], units: pd.Index | None
) -> str:
    kind, what = reason
    if kind == "cell":
        zone = cells.zone(what)
        return f"{names.get(zone, zone)} ({cells.label(what)[0]})"
    if kind == "pair":
        outer, inner = what
        return (
            f"{names.get(cells.zone(outer), cells.zone(outer))} − "
            f"{names.get(cells.zone(inner), cells.zone(inner))}"
        )
    codes = [str(units[u]) for u in what] if units is not None else []
    return "unités " + ", ".join(codes[:5]) + (" …" if len(codes) > 5 else "")


def family_rules(
    problems: list[FamilyProblem], cells: CellTable, maskable: np.ndarray
) -> list[tuple[float, bool] | None]:
    """``(threshold, mask_zero)`` of each count: strictest of its masking rules."""
    out: list[tuple[float, bool] | None] = []
    for problem in problems:
        ids = [int(c) for c in problem.cells if maskable[c]]
        if not ids:
            out.append(None)
            continue
        rule = combine_rules(r for c in ids for r in cells.rules[c])
        out.append((rule.threshold, rule.mask_zero))
    return out


def _primary_reason(
    cell: int, label: tuple[str, str], cells: CellTable, exact: bool
) -> str:
    rule = cells.strictest(cell)
    indicator, part = label
    if exact:
        what = rule.threshold_text()
    else:
        what = f"peut compter {rule.threshold_text()} (entrées masquées)"
    return f"primary: {what}{PART_LABELS[part]} (« {indicator} », règle « {rule.id} »)"


def _units(n: float, singular: str, plural: str) -> str:
    """French agreement for a (possibly fractional) number of units."""
    return f"{_fr(n)} {singular if n < 2 else plural}"


def _input_reason(row: Mapping[Hashable, Any], plm: bool = False) -> str:
    missing = row["missing_units"] if row["missing_units"] > MISSING_TOL else 0.0
    masked = row["masked_units"] - missing
    parts = []
    if missing:
        parts.append(
            f"donnée manquante pour {_units(missing, 'unité', 'unités')} (ni valeur "
            "ni marque de secret du producteur : pas de borne)"
        )
    if masked > MISSING_TOL or not missing:
        parts.append(
            f"{_units(masked, 'unité masquée', 'unités masquées')} par le producteur"
        )
    text = "input: valeur incomplète, " + ", ".join(parts)
    if plm:
        text += (
            " ; la zone contient Paris, Lyon ou Marseille, dont la valeur peut "
            "additionner des arrondissements masqués : pas de borne"
        )
    return text


def _plm_zones(matrix: Any, units: pd.Index, zones: pd.Index) -> set[str]:
    """Zones holding a Paris/Lyon/Marseille commune (a sum of arrondissements).

    Such a commune is flagged secret as a whole when one arrondissement is
    blanked, so its value is not bounded by the rule's ``masked_max``.
    """
    rows = [i for i, u in enumerate(units) if u in PLM_COMMUNES]
    if not rows:
        return set()
    held = np.asarray((matrix[rows, :] > 0).sum(axis=0)).ravel() > 0
    return set(zones[held])


def _publish_bounds(rule: SecrecyRule, publish_bounds: bool) -> bool:
    return publish_bounds or rule.publish_bounds


def _prepare_public(public: pd.DataFrame | None, result: pd.DataFrame) -> pd.DataFrame:
    if public is None:
        return result.iloc[0:0]
    frame = prepare_result(public, name="figures publiques")
    clash = frame.merge(result[["zone", "indicator"]], on=["zone", "indicator"])
    if not clash.empty:
        pairs = [
            f"{z}/{i}" for z, i in zip(clash["zone"], clash["indicator"], strict=True)
        ]
        raise SecrecyError(
            f"{count_of(len(pairs), 'couple')} zone/indicateur à la fois dans le "
            f"résultat et dans les figures publiques : {format_codes(pairs)}.",
            codes=pairs,
        )
    return frame


def apply_secrecy(
    result: pd.DataFrame,
    rules: SecrecyRule | str | Mapping[str, SecrecyRule | str] | None = None,
    *,
    membership: MembershipLike | None = None,
    public: pd.DataFrame | None = None,
    publish_bounds: bool = False,
    differencing: bool = True,
    max_terms: int = 2,
    catalog: Catalog | None = None,
) -> pd.DataFrame:
    """Decide which figures of a result can be published, and say why not.

    Parameters
    ----------
    result : pandas.DataFrame
        Tidy result of :func:`~territobs.zoning.recompute` holding
        **everything published together**: the zones, and the parent
        territories shown beside them (communes, the département, the
        territory total) as extra zones. Any of its rows may be masked.
    rules : SecrecyRule, str, mapping or None
        One rule (or built-in id ``"caf"``, ``"filosofi"``, ``"rp"``) for
        every indicator, or a mapping indicator id → rule with ``"*"`` as the
        default (see :func:`~territobs.secrecy.rules_from_toml`). ``None``
        (default): the rules the catalogue declares for each indicator.
    membership : Weights, DataFrame, mapping or list of these, optional
        Units of every zone of ``result`` and ``public`` (the
        :class:`~territobs.zoning.weights.Weights` used by ``recompute``,
        plus memberships of reference zones). Required when
        ``differencing`` is True.
    public : pandas.DataFrame, optional
        Figures already published elsewhere (the producer's own commune
        totals...), in the result's shape. The attacker knows them, but
        they are never masked; a masked figure they alone narrow is
        reported in a :class:`~territobs.errors.SecrecyWarning`.
    publish_bounds : bool, default False
        Publish ``[lower, upper]`` instead of masking incomplete counts,
        for every rule (a rule can also ask for it). Bounds are published
        only when the lower bound reaches the threshold.
    differencing : bool, default True
        Run the attacker's audit (every linear combination of published
        figures) and secondary suppression.
    max_terms : int, default 2
        Ignored, kept for compatibility: every linear combination is
        checked, whatever its number of terms.
    catalog : territobs.catalog.Catalog, optional
        Catalogue of the result's indicators (default: the default
        catalogue): the rules when ``rules`` is None, and which component
        each count, numerator and denominator is, so that one count shown
        by several indicators is one cell.

    Returns
    -------
    pandas.DataFrame
        A copy of ``result`` (same index and columns, plus any missing
        contract column) with ``lower``, ``upper``, ``secret`` and
        ``secret_reason`` filled. On secret rows ``value``, ``numerator``,
        ``denominator``, ``lower`` and ``upper`` are NaN. Published
        incomplete counts have ``value`` NaN and their bounds set.
        ``attrs["secrecy"]`` holds the audit's figures
        (:func:`protection_report`: cells masked and checked, narrowest
        attacker interval, cells failing, information lost); empty without
        ``differencing``.

    Raises
    ------
    SecrecyError
        If columns are missing, an indicator has no rule, a governing count
        is absent, or zones lack a membership while ``differencing`` is on.

    Warns
    -----
    SecrecyWarning
        When public figures alone narrow a masked count below its protection
        width (nothing territobs can mask).

    Notes
    -----
    Each row exposes *cells* (counts of one zone): a count its value, a
    ratio its numerator and denominator, a mean its denominator, or the
    rule's governing count (Filosofi: the zone's fiscal households). A cell
    is a count of the catalogue (a component) in one zone, whichever
    indicators show it: ``rsa_beneficiaries`` and the numerator of
    ``rsa_share_of_allocataires`` are one cell, masked together.

    1. *Input*: a row whose inputs were masked (``incomplete``) is masked
       (``input: ...``), unless bounds are published for a count.
       Bounds: ``lower = K`` (known sum), ``upper = K + m × masked_units``.
    2. *Primary*: a cell ``x`` with ``0 < x < threshold`` (``x < threshold``
       for rules masking zeros) is masked, with every row exposing it.
    3. *Secondary*: every masked cell is attacked with a linear programme
       over the unit-level values of its count, constrained by every
       published figure (:mod:`territobs.secrecy.attack`); while one is
       narrower than its rule's protection width (default: the threshold),
       one more published cell binding it is masked, the smallest first
       (:mod:`territobs.secrecy.suppression`).

    ``secret_reason`` never quotes a masked figure, only the threshold.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({
    ...     "zone": ["A", "B"], "indicator": "rsa", "kind": "count",
    ...     "value": [3.0, 40.0], "numerator": [3.0, 40.0],
    ...     "denominator": float("nan")})
    >>> out = apply_secrecy(res, "caf", differencing=False)
    >>> out[["zone", "value", "secret"]]
      zone  value  secret
    0    A    NaN    True
    1    B   40.0   False
    """
    frame = prepare_result(result)
    public_frame = _prepare_public(public, frame)
    everything = pd.concat([frame, public_frame], ignore_index=True)
    fixed_rows = np.r_[np.zeros(len(frame), bool), np.ones(len(public_frame), bool)]
    catalog = catalog if catalog is not None else default_catalog()
    rule_of = resolve_rules(
        rules, sorted(pd.unique(everything["indicator"])), catalog=catalog
    )
    lower, upper = compute_bounds(everything, rule_of)
    zones = pd.Index(pd.unique(everything["zone"]))
    matrix: Any = None
    units: pd.Index | None = None
    plm_candidates: set[str] = set()
    if membership is not None:
        matrix, units = membership_matrix(membership, list(zones))
        plm_candidates = _plm_zones(matrix, units, zones)
    plm = plm_candidates & set(everything.loc[everything["incomplete"], "zone"])
    if plm:
        unbounded = everything["zone"].isin(plm).to_numpy()
        lower, upper = lower.copy(), upper.copy()
        lower[unbounded], upper[unbounded] = np.nan, np.nan
    cells = build_cells(
        everything, fixed_rows, rule_of, lower, upper, publish_bounds, catalog
    )
    lo, hi, threshold, mask_zero = cells.arrays()
    n_cells = len(cells.keys)
    fixed_cells = np.asarray(cells.fixed, dtype=bool)
    maskable = cells.maskable()
    widths = cells.widths()
    known = np.isfinite(lo) & np.isfinite(hi)
    primary = known & maskable & may_disclose(lo, hi, threshold, mask_zero)

    reasons = [""] * len(everything)
    secret = np.zeros(len(everything), bool)
    records = everything[list(WORK_COLUMNS)].to_dict("records")
    for pos in range(len(frame)):
        row = records[pos]
        rule = rule_of[row["indicator"]]
        links = cells.links[pos]
        if row["incomplete"] and not (
            is_count(row["kind"])
            and _publish_bounds(rule, publish_bounds)
            and np.isfinite(upper[pos])
        ):
            secret[pos] = True
            reasons[pos] = _input_reason(
                row, row["zone"] in plm and _publish_bounds(rule, publish_bounds)
            )
        elif any(primary[c] for c in links):
            at = next(i for i, c in enumerate(links) if primary[c])
            cell = links[at]
            secret[pos] = True
            reasons[pos] = _primary_reason(
                cell, cells.link_labels[pos][at], cells, lo[cell] == hi[cell]
            )
        elif any(not known[c] for c in links):
            secret[pos] = True
            reasons[pos] = (
                "input: effectif gouvernant incomplet (entrées masquées par le "
                "producteur)"
            )

    report: dict[str, Any] = {}
    if differencing:
        if membership is None:
            raise SecrecyError(
                "contrôle par combinaison linéaire impossible sans l'appartenance des "
                "unités aux zones : passez « membership » (les Weights de recompute) "
                "ou differencing=False.",
                key="membership",
            )
        exposed = np.zeros(n_cells, bool)
        linked = np.zeros(n_cells, bool)
        for pos in range(len(frame)):
            linked[cells.links[pos]] = True
            if not secret[pos]:
                exposed[cells.links[pos]] = True
        in_play = known & (fixed_cells | (~primary & exposed))
        targets = maskable & linked & ~in_play
        problems = family_problems(
            [cells.family(c) for c in range(n_cells)],
            [cells.zone(c) for c in range(n_cells)],
            matrix,
            zones,
        )
        protection = protect(
            problems,
            lo,
            hi,
            in_play,
            fixed_cells,
            targets,
            widths,
            [cells.zone(c) for c in range(n_cells)],
            family_rules(problems, cells, maskable),
            workers=default_workers(),
        )
        names = dict(zip(everything["zone"], everything["zone_name"], strict=True))
        for pos in range(len(frame)):
            hit = [c for c in cells.links[pos] if c in protection.masked]
            if hit and not secret[pos]:
                secret[pos] = True
                reasons[pos] = _secondary_reason(
                    protection.masked[hit[0]], cells, names, units, hit[0]
                )
        report = protection_report(protection, cells, primary, widths, hi)
        if protection.unresolved:
            left = [
                _unresolved_text(r, cells, names, units) for r in protection.unresolved
            ]
            one = len(left) < 2
            them = "la" if one else "les"
            what = (
                "figure masquée ou calculable reste trop étroitement encadrée"
                if one
                else "figures masquées ou calculables restent trop étroitement "
                "encadrées"
            )
            warnings.warn(
                SecrecyWarning(
                    f"{len(left)} {what} par des figures déjà "
                    f"publiques seulement : {format_codes(left)}. territobs ne peut "
                    f"pas {them} protéger davantage.",
                    codes=left,
                ),
                stacklevel=2,
            )

    out = result.copy()
    n = len(frame)
    for column in VALUE_COLUMNS:
        if column in out.columns:
            out[column] = pd.to_numeric(out[column]).astype(float)
    for column in (
        "masked_units",
        "incomplete",
        "lower",
        "upper",
        "secret",
        "secret_reason",
    ):
        if column not in out.columns:
            out[column] = frame[column].to_numpy()
    previous = frame["secret"].to_numpy()
    previous_reason = frame["secret_reason"].to_numpy()
    new_secret = secret[:n] | previous
    new_reason = np.where(
        previous & (previous_reason != ""), previous_reason, reasons[:n]
    )
    out["lower"] = lower[:n]
    out["upper"] = upper[:n]
    bounded = frame["incomplete"].to_numpy() & ~new_secret
    out.loc[bounded, ["value", "numerator"]] = np.nan
    out["secret"] = new_secret
    out["secret_reason"] = np.where(new_secret, new_reason, "")
    out.loc[new_secret, list(VALUE_COLUMNS)] = np.nan
    out.attrs["secrecy"] = report
    return out


def protection_report(
    protection: Protection,
    cells: CellTable,
    primary: np.ndarray,
    widths: np.ndarray,
    values: np.ndarray,
) -> dict[str, Any]:
    """Figures of the attacker's audit after suppression.

    Returns
    -------
    dict
        ``cells_masked`` (cells checked, primary, input and secondary),
        ``cells_checked``, ``primary``, ``secondary``, ``min_width``
        (narrowest attacker interval, ``inf`` when none is bounded; a lower
        bound when certified by feasible points), ``cells_failing``
        (narrower than their protection width), ``persons_masked_secondary``
        (sum of the values masked by secondary suppression: the
        information lost).
    """
    found = protection.intervals
    widths_found = [iv.width for iv in found.values()]
    secondary = list(protection.masked)
    return {
        "cells_masked": len(found),
        "cells_checked": len(found),
        "primary": int(np.count_nonzero(primary)),
        "secondary": len(secondary),
        "min_width": float(min(widths_found)) if widths_found else float("inf"),
        "cells_failing": sum(not passes(iv, widths[c]) for c, iv in found.items()),
        "regions_checked": protection.regions_checked,
        "pairs_checked": protection.pairs_checked,
        "unresolved": len(protection.unresolved),
        "persons_masked_secondary": float(np.nansum(values[secondary]))
        if secondary
        else 0.0,
        "protection_widths": sorted({float(w) for w in widths[list(found)]})
        if found
        else [],
    }


def published(result: pd.DataFrame) -> pd.DataFrame:
    """Return the safe view of a secured result, the one exports must use.

    Parameters
    ----------
    result : pandas.DataFrame
        Output of :func:`apply_secrecy`.

    Returns
    -------
    pandas.DataFrame
        A copy where every secret row has ``value``, ``numerator``,
        ``denominator``, ``lower`` and ``upper`` set to NaN (again, so that
        an edited table cannot leak). Its ``attrs["secrecy"]`` keeps the
        audit's counts and widths but not ``persons_masked_secondary``, a
        sum of masked values (pandas writes ``attrs`` into Parquet files).

    Raises
    ------
    SecrecyError
        If the table has no ``secret`` column, i.e. secrecy was not applied.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"zone": ["A"], "value": [3.0], "secret": [True]})
    >>> published(res)["value"].isna().all()
    np.True_
    """
    if "secret" not in result.columns:
        raise SecrecyError(
            "le tableau n'a pas de colonne « secret » : appliquez apply_secrecy() "
            "avant toute publication.",
            column="secret",
        )
    out = result.copy()
    if isinstance(out.attrs.get("secrecy"), dict):
        out.attrs["secrecy"] = {
            k: v
            for k, v in out.attrs["secrecy"].items()
            if k != "persons_masked_secondary"
        }
    secret = out["secret"].fillna(True).astype(bool)
    columns = [c for c in VALUE_COLUMNS if c in out.columns]
    out[columns] = out[columns].astype(float)
    out.loc[secret, columns] = np.nan
    return out
