r"""Balance of the zones of one scenario on one indicator (workload figures).

For the values :math:`v_1..v_k` of the zones: the smallest and largest, the
ratio max / min, the coefficient of variation :math:`\sigma / \bar v`
(population standard deviation, ``ddof=0``) and the deviation from a target
(the mean when none is given): the largest :math:`|v_j - t| / t` and how many
zones lie outside ``target ± tolerance``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BALANCE_COLUMNS", "balance_figures"]

#: Columns of :func:`balance_figures`, in order.
BALANCE_COLUMNS = [
    "n_zones",
    "total",
    "minimum",
    "maximum",
    "max_min_ratio",
    "cv",
    "target",
    "max_deviation",
    "zones_off_target",
]


def balance_figures(
    values: pd.Series | np.ndarray,
    *,
    target: float | None = None,
    tolerance: float = 0.1,
) -> pd.Series:
    """Balance figures of zone values.

    Parameters
    ----------
    values : array-like
        One value per zone (counts: inhabitants, beneficiaries...). NaN
        (secret or missing) makes every figure NaN: a balance figure on a
        partly unknown set would either be wrong or disclose the hidden value.
    target : float, optional
        Expected value per zone; default the mean of the zones.
    tolerance : float, default 0.1
        Relative band around the target counted as on target (0.1 = ±10 %).

    Returns
    -------
    pandas.Series
        Indexed by :data:`BALANCE_COLUMNS`. ``max_min_ratio`` is inf when the
        smallest zone is 0; ``max_deviation`` is relative (0.25 = 25 %).

    Examples
    --------
    >>> b = balance_figures([10.0, 20.0, 30.0])
    >>> float(b["max_min_ratio"]), round(float(b["cv"]), 4), float(b["max_deviation"])
    (3.0, 0.4082, 0.5)
    """
    v = np.asarray(values, dtype=float)
    n = len(v)
    if n == 0 or np.isnan(v).any():
        unknown = dict.fromkeys(BALANCE_COLUMNS, np.nan)
        unknown["n_zones"] = n
        return pd.Series(unknown, dtype=float)
    mean = v.mean()
    goal = mean if target is None else float(target)
    lo, hi = v.min(), v.max()
    deviation = np.abs(v - goal) / goal if goal else np.full(n, np.nan)
    return pd.Series(
        {
            "n_zones": n,
            "total": v.sum(),
            "minimum": lo,
            "maximum": hi,
            "max_min_ratio": hi / lo if lo > 0 else np.inf,
            "cv": v.std(ddof=0) / mean if mean else np.nan,
            "target": goal,
            "max_deviation": deviation.max(),
            "zones_off_target": int((deviation > tolerance + 1e-12).sum()),
        },
        dtype=float,
    )
