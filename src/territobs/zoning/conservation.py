"""What recompute reads on the units and the checks of what it wrote.

:func:`read_role` sums the columns of one role of an indicator on the
units (a numerator, a denominator, a count), keeping apart the units masked
by a secret flag and those merely missing; :func:`check_conservation` and
:func:`check_ratios` are the built-in checks of a
:func:`territobs.zoning.recompute` result (re-exported there). Coverage
(:mod:`territobs.zoning.coverage`) reads roles the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from territobs.catalog import Catalog, default_catalog
from territobs.errors import (
    MethodError,
    ZoneError,
    format_codes,
)
from territobs.formatting import count_of

__all__ = ["RTOL", "RoleInput", "check_conservation", "check_ratios", "read_role"]

#: Relative tolerance of the built-in checks.
RTOL = 1e-9
_EPS = 1e-12


@dataclass(frozen=True)
class RoleInput:
    """One role of an indicator read on the units: values and what is unknown."""

    values: np.ndarray  # float, NaN where unknown
    masked: np.ndarray  # bool: a secret flag is set on a needed column
    missing: np.ndarray  # bool: NaN without secret flag

    @property
    def unknown(self) -> np.ndarray:
        """Units whose value is not known (masked or missing)."""
        return self.masked | self.missing


def read_role(territory: pd.DataFrame, columns: Sequence[str]) -> RoleInput:
    """Sum the columns of one role, tracking secret flags and missing values."""
    n = len(territory)
    total = np.zeros(n)
    masked = np.zeros(n, dtype=bool)
    nan = np.zeros(n, dtype=bool)
    for col in columns:
        try:
            values = territory[col].to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise MethodError(
                f"colonne « {col} » : valeurs numériques attendues "
                f"(type trouvé : {territory[col].dtype}).",
                column=col,
            ) from exc
        flag = f"{col}__secret"
        if flag in territory.columns:
            masked |= territory[flag].fillna(False).to_numpy(dtype=bool)
        nan |= np.isnan(values)
        total += np.nan_to_num(values)
    missing = nan & ~masked
    unknown = masked | missing
    return RoleInput(np.where(unknown, np.nan, total), masked, missing)


def ratio(num: np.ndarray, den: np.ndarray, scale: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / den * scale, np.nan)


def raise_if_not_conserved(
    indicator: str, expected: float, got: float, rtol: float = RTOL
) -> float:
    """Return the relative error of a zones total; raise ZoneError above rtol."""
    error = abs(got - expected) / max(abs(expected), _EPS)
    if error > rtol:
        raise ZoneError(
            f"conservation non respectée pour « {indicator} » : total des zones "
            f"{got:.6g} au lieu de {expected:.6g} (écart relatif {error:.2g}). Les "
            "zones forment-elles bien une partition du territoire ?",
            indicators=[indicator],
            expected=expected,
            got=got,
            relative_error=error,
        )
    return error


def check_conservation(
    result: pd.DataFrame,
    territory: pd.DataFrame,
    zones: Sequence[str] | pd.DataFrame | None = None,
    *,
    catalog: Catalog | None = None,
    rtol: float = RTOL,
) -> pd.DataFrame:
    r"""Check that count indicators over a partition sum to the territory total.

    Parameters
    ----------
    result : pandas.DataFrame
        A tidy result of :func:`recompute`.
    territory : pandas.DataFrame
        The territory it was computed from.
    zones : sequence of str or DataFrame, optional
        Zones forming a partition of the territory (default: every zone of
        ``result``).
    catalog : Catalog, optional
        Catalogue of the result's indicators (default catalogue).
    rtol : float, default 1e-9
        Largest relative error accepted.

    Returns
    -------
    pandas.DataFrame
        One row per count indicator: ``indicator``, ``territory_total`` (sum
        of the known unit values), ``zones_total`` (sum of the zones'
        numerators), ``relative_error``.

    Raises
    ------
    ZoneError
        Some indicator is not conserved (``.indicators``, ``.report``).

    Notes
    -----
    Over a partition :math:`\sum_j w_{ij} = 1` for every unit, so
    :math:`\sum_j \sum_i w_{ij} x_i = \sum_i x_i`. The relative error is
    :math:`|Z - T| / \max(|T|, \epsilon)`.
    """
    catalog = catalog if catalog is not None else default_catalog()
    rows = result[result["kind"] == "count"]
    if zones is not None:
        ids = zones["zone"] if isinstance(zones, pd.DataFrame) else zones
        rows = rows[rows["zone"].isin(list(ids))]
    report = []
    for ident, group in rows.groupby("indicator", sort=False):
        vintage = group["vintage"].iloc[0] or None
        res = catalog.resolve(str(ident), territory, vintage=vintage)
        x = read_role(territory, res.columns["value"])
        expected = float(np.nansum(x.values))
        got = float(group["numerator"].sum())
        report.append(
            (ident, expected, got, abs(got - expected) / max(abs(expected), _EPS))
        )
    frame = pd.DataFrame(
        report,
        columns=["indicator", "territory_total", "zones_total", "relative_error"],
    )
    for ident, expected, got, _ in report:
        raise_if_not_conserved(str(ident), expected, got, rtol)
    return frame


def check_ratios(
    result: pd.DataFrame, *, catalog: Catalog | None = None, rtol: float = RTOL
) -> None:
    r"""Check that every ratio, share and mean equals numerator / denominator.

    Parameters
    ----------
    result : pandas.DataFrame
        A tidy result.
    catalog : Catalog, optional
        Gives each indicator's ``scale`` (default catalogue); unknown ids are
        skipped.
    rtol : float, default 1e-9
        Relative tolerance.

    Raises
    ------
    MethodError
        Some rows disagree (``.codes`` lists their zones, ``.indicators``).

    Notes
    -----
    Checks :math:`v = s \cdot N / D` on rows of kind ratio, share or mean
    with a finite value.
    """
    catalog = catalog if catalog is not None else default_catalog()
    ids = result.loc[result["kind"].isin(["ratio", "share", "mean"]), "indicator"]
    scales = {i: catalog[i].scale for i in ids.unique() if i in catalog}
    _check_ratios(result, scales, rtol)


def _check_ratios(
    result: pd.DataFrame, scales: Mapping[str, float], rtol: float
) -> None:
    rows = result[
        result["kind"].isin(["ratio", "share", "mean"]) & result["value"].notna()
    ]
    if rows.empty:
        return
    scale = rows["indicator"].map(scales).to_numpy(dtype=float)
    expected = (
        ratio(
            rows["numerator"].to_numpy(dtype=float),
            rows["denominator"].to_numpy(dtype=float),
            1.0,
        )
        * scale
    )
    value = rows["value"].to_numpy(dtype=float)
    ok = np.isnan(scale) | np.isclose(value, expected, rtol=rtol, atol=0.0)
    if not ok.all():
        bad = rows[~ok]
        raise MethodError(
            f"{count_of(len(bad), 'valeur différente')} de numérateur / dénominateur, "
            f"{'zone' if len(bad) == 1 else 'zones'} {format_codes(list(bad['zone']))}.",
            codes=list(bad["zone"]),
            indicators=sorted(set(bad["indicator"])),
        )
