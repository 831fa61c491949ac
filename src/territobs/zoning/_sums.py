"""The sums behind recompute: weights aligned on units, each kind's masses summed.

:func:`_align` lays a :class:`~territobs.zoning.weights.Weights` value on the
units of a territory; :func:`_estimation` sums the masses of one indicator
over the zones the way its kind says (counts summed, ratios rebuilt from
summed numerators and denominators, means from summed weighted values, or a
named approximation). Used by :func:`territobs.zoning.recompute.recompute`
only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from territobs.catalog import Indicator, Resolution
from territobs.catalog.kinds import kind_spec
from territobs.errors import (
    ZoneError,
    format_codes,
)
from territobs.formatting import count_of
from territobs.zoning.conservation import (
    RoleInput,
    ratio,
    read_role,
)
from territobs.zoning.weights import METHOD_CODES, Weights

#: Boolean column of a territory flagging units whose outline does not cover
#: the commune their figures describe (an outline from before a merger, as
#: the demo's Saint-Denis): their surfaces are never used.
INCONSISTENT_OUTLINE = "incomplete_geometry"


def _inconsistent_outlines(territory: pd.DataFrame) -> np.ndarray:
    if INCONSISTENT_OUTLINE not in territory.columns:
        return np.zeros(len(territory), dtype=bool)
    return territory[INCONSISTENT_OUTLINE].fillna(False).to_numpy(dtype=bool)


@dataclass(frozen=True)
class _Operands:
    """Weights aligned on the territory's rows and the zones' order."""

    matrix: sparse.csr_array  # n_units (territory order) × n_zones (zones order)
    area: sparse.csr_array  # weights of area-estimated pairs
    population: sparse.csr_array  # weights of population-estimated pairs
    by_area: _Operands | None = None  # same pairs, area shares (surfaces)

    def total(self, x: np.ndarray) -> np.ndarray:
        r"""Return :math:`\sum_i w_{ij} x_i` for every zone."""
        return np.asarray(self.matrix.T @ x, dtype=float)

    def for_role(self, role: str, res: Resolution) -> _Operands:
        """Return the operands that share out one role (surfaces: by area)."""
        if role in res.by_area and self.by_area is not None:
            return self.by_area
        return self


def _align(weights: Weights, codes: pd.Index, zone_ids: pd.Index) -> _Operands:
    """Reorder a Weights' rows to the territory and columns to the zones."""
    rows = codes.get_indexer(weights.units)
    if (rows < 0).any():
        extra = list(weights.units[rows < 0])
        raise ZoneError(
            f"les pondérations citent {count_of(len(extra), 'unité absente')} du "
            f"territoire : "
            f"{format_codes(extra)}. Reconstruisez les pondérations sur ce territoire.",
            codes=extra,
        )
    cols = zone_ids.get_indexer(weights.zones)
    unknown = list(weights.zones[cols < 0])
    absent = list(zone_ids[~zone_ids.isin(weights.zones)])
    if unknown or absent:
        what = unknown or absent
        if unknown:
            side = "absente" if len(what) < 2 else "absentes"
            side += " de la table des zones"
        else:
            side = "sans pondérations"
        raise ZoneError(
            f"{count_of(len(what), 'zone')} {side} : {format_codes(what)}. "
            "Les pondérations "
            "et les zones doivent décrire les mêmes zones.",
            codes=what,
        )
    shape = (len(codes), len(zone_ids))

    def remap(matrix: sparse.sparray) -> sparse.csr_array:
        coo = sparse.coo_array(matrix)
        return sparse.csr_array((coo.data, (rows[coo.row], cols[coo.col])), shape=shape)

    matrix = remap(weights.matrix).astype(float)
    methods = remap(weights.pair_method)
    area = sparse.csr_array(matrix.multiply(methods == METHOD_CODES["area"]))
    population = sparse.csr_array(
        matrix.multiply(methods == METHOD_CODES["population"])
    )
    by_area = None
    if weights.area_matrix is not None:
        area_matrix = remap(weights.area_matrix).astype(float)
        estimated = sparse.csr_array(methods > METHOD_CODES["exact"])
        by_area = _Operands(
            area_matrix,
            sparse.csr_array(area_matrix.multiply(estimated)),
            sparse.csr_array(area_matrix.shape),
        )
    return _Operands(matrix, area, population, by_area)


@dataclass(frozen=True)
class _Sums:
    """Zone sums of one indicator, before formatting as rows."""

    value: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    masses: tuple[np.ndarray, ...]  # unit masses the value rests on
    unknown: np.ndarray  # bool per unit
    missing: np.ndarray  # bool per unit
    operands: tuple[_Operands, ...] = ()  # how each mass was shared out


def _sums(
    ind: Indicator, res: Resolution, territory: pd.DataFrame, ops: _Operands
) -> _Sums:
    """Compute the zone sums of one indicator from its resolved columns."""
    roles = {role: read_role(territory, cols) for role, cols in res.columns.items()}
    outlines = _inconsistent_outlines(territory)
    if outlines.any():
        for role in res.by_area & roles.keys():
            inp = roles[role]
            gap = outlines & ~inp.masked
            roles[role] = RoleInput(
                np.where(gap, np.nan, inp.values), inp.masked, inp.missing | gap
            )
    unknown = np.zeros(len(territory), dtype=bool)
    missing = np.zeros(len(territory), dtype=bool)
    for inp in roles.values():
        unknown |= inp.unknown
        missing |= inp.missing & ~inp.masked
    known = ~unknown

    ctx = _Context(ind, res, roles, ops, known, unknown, missing)
    return _SUMMERS[kind_spec(ind.kind).sums](ctx)


@dataclass(frozen=True)
class _Context:
    """What a summing function reads: the indicator and its unit inputs."""

    ind: Indicator
    res: Resolution
    roles: Mapping[str, RoleInput]
    ops: _Operands
    known: np.ndarray
    unknown: np.ndarray
    missing: np.ndarray

    def clean(self, x: np.ndarray) -> np.ndarray:
        return np.where(self.known, np.nan_to_num(x), 0.0)

    def total(self, role: str, x: np.ndarray) -> np.ndarray:
        return self.ops.for_role(role, self.res).total(x)

    def sums(
        self,
        value: np.ndarray,
        num: np.ndarray,
        den: np.ndarray,
        masses: tuple[np.ndarray, ...],
        roles: tuple[str, ...],
    ) -> _Sums:
        used = tuple(self.ops.for_role(name, self.res) for name in roles)
        return _Sums(value, num, den, masses, self.unknown, self.missing, used)


def _sum_count(c: _Context) -> _Sums:
    """Count: the sum of the units' counts shared out by the weights."""
    x = c.clean(c.roles["value"].values)
    num = c.total("value", x)
    nan = np.full(c.ops.matrix.shape[1], np.nan)
    return c.sums(num, num, nan, (x,), ("value",))


def _sum_ratio(c: _Context) -> _Sums:
    """Ratio or share: scale × Σ shared numerators / Σ shared denominators."""
    roles = c.roles
    d = c.clean(roles["denominator"].values)
    if "rate" in roles:  # published rate: rebuild the numerator per unit
        n = c.clean(roles["rate"].values * roles["denominator"].values / c.ind.scale)
        top = "rate"
    else:
        n = c.clean(roles["numerator"].values)
        top = "numerator"
    num, den = c.total(top, n), c.total("denominator", d)
    value = ratio(num, den, c.ind.scale)
    return c.sums(value, num, den, (n, d), (top, "denominator"))


def _sum_weighted_mean(c: _Context) -> _Sums:
    """Mean (or an approximated median): Σ weight × value / Σ weight."""
    roles = c.roles
    p = c.clean(roles["weight"].values)
    if "numerator" in roles:  # totals given (Ind_snv): Σ t / Σ p
        t = c.clean(roles["numerator"].values)
        top = "numerator"
    else:  # unit means or medians m: Σ p m / Σ p
        t = c.clean(roles["value"].values * roles["weight"].values)
        top = "value"
    num, den = c.total(top, t), c.total("weight", p)
    value = ratio(num, den, c.ind.scale)
    return c.sums(value, num, den, (t, p), (top, "weight"))


#: How each :attr:`territobs.catalog.KindSpec.sums` rebuilds a zone value;
#: ``"none"`` kinds reach here only through an approximation, which gives
#: them a weight (a weighted mean of the units' published values).
_SUMMERS = {
    "sum": _sum_count,
    "ratio": _sum_ratio,
    "weighted_mean": _sum_weighted_mean,
    "none": _sum_weighted_mean,
}


def _estimation(
    ops: _Operands,
    masses: Sequence[np.ndarray],
    fallback: np.ndarray,
    operands: Sequence[_Operands] = (),
) -> tuple[np.ndarray, np.ndarray]:
    r"""Return the estimated share and the method of every zone.

    The share of a mass vector :math:`m` is
    :math:`\sum_i e_{ij} |m_i| / \sum_i w_{ij} |m_i|` (``e`` = weights of the
    estimated pairs); zones where the mass is zero fall back to the weights of
    the known units. The estimated share is the maximum over the masses.
    """
    n_zones = ops.matrix.shape[1]
    share = np.zeros(n_zones)
    by_area = np.zeros(n_zones, dtype=bool)
    by_population = np.zeros(n_zones, dtype=bool)
    for k, mass in enumerate(masses):
        op_k = operands[k] if k < len(operands) else ops
        m = np.abs(mass)
        total, area, pop = (
            np.asarray(op.T @ m, dtype=float)
            for op in (op_k.matrix, op_k.area, op_k.population)
        )
        zero = total <= 0
        if zero.any():
            f_total, f_area, f_pop = (
                np.asarray(op.T @ fallback, dtype=float)
                for op in (op_k.matrix, op_k.area, op_k.population)
            )
            total = np.where(zero, f_total, total)
            area = np.where(zero, f_area, area)
            pop = np.where(zero, f_pop, pop)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.where(total > 0, (area + pop) / total, 0.0)
        share = np.maximum(share, np.clip(s, 0.0, 1.0))
        by_area |= area > 0
        by_population |= pop > 0
    method = np.where(
        share <= 0,
        "exact",
        np.where(
            by_area & by_population, "mixed", np.where(by_area, "area", "population")
        ),
    )
    return share, method
