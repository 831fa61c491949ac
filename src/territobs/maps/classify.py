"""Class breaks for choropleth maps, shareable between maps.

mapclassify computes the breaks on the non-missing values only; the result is
a small frozen :class:`Classes` value (edges, French labels, colours) that can
be passed to another map so that several maps read with one legend.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np

from territobs.formatting import format_number
from territobs.maps.legend import format_interval, format_value
from territobs.maps.palettes import diverging_colors, sequential_colors

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["SCHEMES", "Classes", "Scheme", "classify"]

Scheme = Literal["quantiles", "fisher_jenks", "equal_interval", "manual"]
#: Classification schemes accepted by :func:`classify`.
SCHEMES: tuple[str, ...] = get_args(Scheme)

#: Class index of a missing value and of a value under secrecy.
MISSING = -1
SECRET = -2


@dataclass(frozen=True)
class Classes:
    """Classes of a choropleth: edges, French labels and colours.

    Attributes
    ----------
    edges : tuple of float
        ``k + 1`` increasing edges; class ``i`` holds ``edges[i] < v <=
        edges[i + 1]`` (the first class also holds ``edges[0]``). The end edges
        may be infinite (open classes).
    labels : tuple of str
        French legend labels (``"de 10,0 à 12,5 %"``).
    colors : tuple of str
        One hex colour per class.
    scheme : str
        How the edges were found.
    unit : str or None
        Unit shown in labels.
    decimals : int
        Digits after the decimal comma in labels.
    reference : float or None
        Value the diverging colours are centred on, if any.
    """

    edges: tuple[float, ...]
    labels: tuple[str, ...]
    colors: tuple[str, ...]
    scheme: str
    unit: str | None = None
    decimals: int = 1
    reference: float | None = None

    @property
    def k(self) -> int:
        """Number of classes."""
        return len(self.edges) - 1

    @property
    def breaks(self) -> tuple[float, ...]:
        """Upper bounds of the classes (mapclassify's ``bins``)."""
        return self.edges[1:]

    def assign(self, values: Sequence[float] | pd.Series | np.ndarray) -> np.ndarray:
        """Class index of each value (-1 for a missing value).

        Values beyond the end edges fall into the end classes; use
        :meth:`cover` first to relabel those classes as open.

        Parameters
        ----------
        values : array-like of float

        Returns
        -------
        numpy.ndarray of int
        """
        arr = np.asarray(values, dtype=float)
        index = np.searchsorted(np.asarray(self.edges[1:-1]), arr, side="left")
        return np.where(np.isnan(arr), MISSING, index).astype(int)

    def cover(self, values: Sequence[float] | pd.Series | np.ndarray) -> Classes:
        """Open the end classes if ``values`` reach beyond the edges.

        Shared classes applied to another map keep their breaks; values below
        the first edge or above the last one make the end labels read
        ``moins de ...`` / ``... et plus``, so no value is misdescribed.

        Parameters
        ----------
        values : array-like of float

        Returns
        -------
        Classes
            ``self`` when every value lies within the edges.
        """
        arr = np.asarray(values, dtype=float)
        arr = arr[~np.isnan(arr)]
        if arr.size == 0 or self.k < 2:
            return self
        edges = list(self.edges)
        if arr.min() < edges[0]:
            edges[0] = -math.inf
        if arr.max() > edges[-1]:
            edges[-1] = math.inf
        if edges == list(self.edges):
            return self
        return replace(
            self,
            edges=tuple(edges),
            labels=_labels(edges, self.unit, self.decimals),
        )


def _labels(edges: Sequence[float], unit: str | None, decimals: int) -> tuple[str, ...]:
    return tuple(
        format_interval(lo, hi, unit, decimals) for lo, hi in itertools.pairwise(edges)
    )


#: At most this many digits are added so that no two edges print alike.
EXTRA_DECIMALS = 3


def _distinct_decimals(edges: Sequence[float], decimals: int) -> int:
    """Fewest digits from ``decimals`` on at which distinct edges print distinct.

    Two breaks 5.46 and 5.54 both print « 5,5 » at one decimal: the legend would
    show a class « de 5,5 à 5,5 ». One more digit is added (up to
    :data:`EXTRA_DECIMALS`) until every finite edge reads differently.
    """
    finite = sorted({float(e) for e in edges if math.isfinite(e)})
    for digits in range(decimals, decimals + EXTRA_DECIMALS + 1):
        # as the labels print them (half up: 0.15 reads « 0,2 » like 0.151),
        # not as round() does (0.15 is 0.1499... in binary: 0.1)
        if len({format_number(e, digits) for e in finite}) == len(finite):
            return digits
    return decimals + EXTRA_DECIMALS


#: Fisher-Jenks runs on at most this many groups of sorted values.
FISHER_JENKS_GROUPS = 2000


def fisher_jenks_bins(
    values: np.ndarray, k: int, max_groups: int = FISHER_JENKS_GROUPS
) -> list[float]:
    """Upper bounds of the ``k`` Fisher-Jenks classes (least squares, exact DP).

    mapclassify's ``FisherJenks`` is pure Python and quadratic in the number
    of values without numba (10 s for 2,000 values, hours for the ~35,000
    communes). This dynamic programme gives the same optimum on weighted
    *distinct* values (ties never straddle a break), vectorised over the
    start of the last class: ``O(k n²)`` arithmetic but only ``O(k n)``
    Python steps.

    Parameters
    ----------
    values : numpy.ndarray
        Finite values, more distinct ones than ``k``.
    k : int
        Number of classes.
    max_groups : int, default 2000
        With more distinct values, the sorted values are cut into this many
        consecutive groups of equal counts, each standing for its values
        (mean, weight): breaks then fall at group ends, a 1/2000 quantile
        resolution, deterministic (mapclassify's sampled variant is random).

    Returns
    -------
    list of float
        ``k`` increasing upper bounds, the last being the maximum.
    """
    ordered = np.sort(np.asarray(values, dtype=float))
    distinct, counts = np.unique(ordered, return_counts=True)
    if distinct.size > max_groups:
        cuts = np.linspace(0, ordered.size, max_groups + 1).round().astype(int)
        weights = np.diff(cuts).astype(float)
        means = np.add.reduceat(ordered, cuts[:-1]) / weights
        tops = ordered[cuts[1:] - 1]
    else:
        weights, means, tops = counts.astype(float), distinct, distinct
    n = means.size
    centred = means - np.average(means, weights=weights)
    w_sum = np.concatenate([[0.0], np.cumsum(weights)])
    s_sum = np.concatenate([[0.0], np.cumsum(weights * centred)])
    q_sum = np.concatenate([[0.0], np.cumsum(weights * centred**2)])

    def ssd(start: np.ndarray | int, stop: int | np.ndarray) -> np.ndarray:
        # sum of squared deviations of groups start..stop (inclusive)
        w = w_sum[np.add(stop, 1)] - w_sum[start]
        s = s_sum[np.add(stop, 1)] - s_sum[start]
        return q_sum[np.add(stop, 1)] - q_sum[start] - s * s / w

    cost = ssd(0, np.arange(n))
    back = np.zeros((k, n), dtype=int)
    for c in range(1, k):
        new = np.full(n, np.inf)
        for j in range(c, n):
            starts = np.arange(c, j + 1)
            total = cost[starts - 1] + ssd(starts, j)
            best = int(np.argmin(total))
            new[j] = total[best]
            back[c, j] = starts[best]
        cost = new
    bins, j = [float(tops[-1])], n - 1
    for c in range(k - 1, 0, -1):
        j = int(back[c, j]) - 1
        bins.append(float(tops[j]))
    return bins[::-1]


def _scheme_edges(values: np.ndarray, scheme: str, k: int) -> list[float]:
    distinct = np.unique(values)
    if distinct.size <= k:
        # Fewer distinct values than classes: one class per value.
        return [float(distinct[0]), *map(float, distinct)]
    if scheme == "fisher_jenks":
        bins = fisher_jenks_bins(values, k)
    else:
        import mapclassify  # slow to import (scipy, scikit-learn): only when needed

        classifier = {
            "quantiles": mapclassify.Quantiles,
            "equal_interval": mapclassify.EqualInterval,
        }[scheme]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bins = classifier(values, k=k).bins
    return [float(values.min()), *sorted({float(b) for b in bins})]


def _manual_edges(values: np.ndarray, breaks: Sequence[float]) -> list[float]:
    cuts = [float(b) for b in breaks]
    if any(math.isnan(b) for b in cuts) or cuts != sorted(set(cuts)):
        raise ValueError(
            f"seuils de classes {list(breaks)} invalides : ils doivent être "
            "strictement croissants"
        )
    if len(cuts) == 1:
        low = float(values.min()) if values.size else cuts[0]
        return [min(low, cuts[0]), cuts[0]]
    return cuts


def _colors(
    edges: Sequence[float], palette: str | None, reference: float | None
) -> tuple[str, ...]:
    k = len(edges) - 1
    if reference is None:
        return tuple(sequential_colors(palette or "YlGnBu", k))
    uppers = np.asarray(edges[1:])
    n_below = int(np.sum(uppers <= reference))
    return tuple(diverging_colors(palette or "PuOr", n_below, k - n_below))


def classify(
    values: Sequence[float] | pd.Series | np.ndarray,
    scheme: Scheme = "quantiles",
    k: int = 5,
    *,
    breaks: Sequence[float] | None = None,
    palette: str | None = None,
    reference: float | None = None,
    unit: str | None = None,
    decimals: int = 1,
) -> Classes:
    r"""Compute choropleth classes on the non-missing values.

    Parameters
    ----------
    values : array-like of float
        The values to map; NaN (missing or secret) are ignored.
    scheme : {"quantiles", "fisher_jenks", "equal_interval", "manual"}, default "quantiles"
        mapclassify scheme; ``"manual"`` uses ``breaks``.
    k : int, default 5
        Number of classes wanted. With fewer distinct values than ``k``, each
        distinct value gets its own class (no error).
    breaks : sequence of float, optional
        Edges of the classes, increasing (``[0, 10, 20, 50]`` gives three
        classes). Given alone it implies ``scheme="manual"``. Pass
        ``classes.edges`` of another map to share its classes.
    palette : str, optional
        A sequential palette (default ``"YlGnBu"``) or, with ``reference``, a
        diverging one (default ``"PuOr"``); see :mod:`territobs.maps.palettes`.
    reference : float, optional
        Reference value (e.g. the département's rate). It becomes an edge when
        it falls inside the range (except when each distinct value has its own
        class), so that no class straddles it, and the colours diverge around
        it.
    unit : str, optional
        Unit for the labels (``"%"``, ``"€"``).
    decimals : int, default 1
        Digits after the decimal comma in labels.

    Returns
    -------
    Classes

    Raises
    ------
    ValueError
        Unknown scheme (the message lists the valid ones), ``k < 1``, manual
        scheme without breaks, or breaks not strictly increasing.

    Notes
    -----
    The first class is closed on both sides, ``[e0, e1]``; the others are
    ``(e_i, e_{i+1}]``, as in mapclassify.

    Examples
    --------
    >>> c = classify([1.0, 2.0, 3.0, 4.0, float("nan")], "equal_interval", k=3, unit="%")
    >>> c.labels
    ('de 1,0 à 2,0\xa0%', 'de 2,0 à 3,0\xa0%', 'de 3,0 à 4,0\xa0%')
    >>> classify([5.0, 5.0, 5.0], k=5).k
    1
    """
    if breaks is not None and scheme == "quantiles":
        scheme = "manual"
    key = str(scheme).lower().replace("-", "_").replace(" ", "_")
    if key not in SCHEMES:
        raise ValueError(
            f"méthode de classification « {scheme} » inconnue ; "
            f"méthodes possibles : {', '.join(SCHEMES)}"
        )
    if k < 1:
        raise ValueError(f"nombre de classes {k} invalide (au moins 1)")
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    if key == "manual":
        if breaks is None:
            raise ValueError(
                "la classification « manual » demande des seuils (breaks=)"
            )
        edges = _manual_edges(arr, breaks)
    elif arr.size == 0:
        # nothing to classify (every zone secret or missing): no class, so the
        # legend lists only the secret and missing entries, never « 0,0 »
        return Classes(
            edges=(0.0,),
            labels=(),
            colors=(),
            scheme=key,
            unit=unit,
            decimals=decimals,
            reference=reference,
        )
    else:
        edges = _scheme_edges(arr, key, k)
    distinct = key != "manual" and 0 < np.unique(arr).size <= k
    if reference is not None and edges[0] < reference < edges[-1] and not distinct:
        edges = sorted({*edges, float(reference)})
    decimals = _distinct_decimals(edges[1:] if distinct else edges, decimals)
    if distinct:
        labels = tuple(format_value(v, unit, decimals) for v in edges[1:])
    else:
        labels = _labels(edges, unit, decimals)
    classes = Classes(
        edges=tuple(edges),
        labels=labels,
        colors=_colors(edges, palette, reference),
        scheme=key,
        unit=unit,
        decimals=decimals,
        reference=reference,
    )
    return classes.cover(arr) if key == "manual" else classes
