"""Propose contiguous zonings under constraints, with PySAL's ``spopt``.

The regionalisation algorithms are spopt's, not home-made:

* ``"maxp"`` (:class:`spopt.region.MaxPHeuristic`): as many zones as
  possible, each with at least ``min_total`` (e.g. 8,000 inhabitants). A
  ``max_total`` is not a max-p constraint: the best of a few seeded runs is
  kept, then each zone above it is split with spopt's region k-means into as
  few contiguous parts as fit the bounds; a zone still above it (a zone below
  twice the minimum cannot be split) is reported, never hidden.
* ``"skater"`` (:class:`spopt.region.Skater`), ``"azp"``
  (:class:`spopt.region.AZP`), ``"kmeans"``
  (:class:`spopt.region.RegionKMeansHeuristic`): exactly ``n_zones`` zones.
  ``"azp"`` can start from a zoning the user has (``initial=``, e.g. the
  current circonscriptions) and improve it.

Zones are grown from the contiguity of units (communes), or of groups kept
whole (``keep_whole="epci"``: every EPCI stays in one zone). Within the
constraints, units are grouped by similarity of ``features`` (default: the
coordinates of their centroid, which gives compact zones). Every random draw
is seeded (``seed``), so a proposal is reproducible, and the method and its
parameters are recorded in the result.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from territobs.catalog import Catalog, Indicator
from territobs.errors import MethodError, ZoneError
from territobs.formatting import count_of
from territobs.scenarios._values import unit_values
from territobs.scenarios.graph import contiguity, pieces
from territobs.scenarios.seeds import _grow, _keep_seeds, _seed_units

if TYPE_CHECKING:
    from libpysal.weights import W

__all__ = ["MAXP_DEFAULTS", "METHODS", "Proposal", "propose_zoning"]

Method = Literal["maxp", "skater", "azp", "kmeans"]

#: territobs' defaults for max-p: spopt's own (99 constructions, 10 annealing
#: runs) take minutes on a département's communes for little gain.
MAXP_DEFAULTS: dict[str, int] = {
    "max_iterations_construction": 10,
    "max_iterations_sa": 1,
}

#: Method id → spopt class name (recorded in every proposal).
METHODS: dict[str, str] = {
    "maxp": "spopt.region.MaxPHeuristic",
    "skater": "spopt.region.Skater",
    "azp": "spopt.region.AZP",
    "kmeans": "spopt.region.RegionKMeansHeuristic",
}


@dataclass(frozen=True)
class Proposal:
    """A zoning proposed by :func:`propose_zoning`.

    Attributes
    ----------
    zone : pandas.Series
        Unit code → zone id (``"Z01"``, ``"Z02"``… numbered in the order of
        their smallest unit code).
    zones : geopandas.GeoDataFrame
        The zones frame (``zone, name, members, geometry``), ready for
        :func:`~territobs.scenarios.compare.compare_zonings` or ``recompute``.
    report : pandas.DataFrame
        One row per zone: ``zone``, ``n_units``, ``total`` (of the
        constrained count), ``pieces``, ``below_min``, ``above_max``.
    method : str
        The spopt class used.
    parameters : dict
        Every parameter that produced the zoning (seed included).
    """

    zone: pd.Series
    zones: gpd.GeoDataFrame = field(repr=False)
    report: pd.DataFrame = field(repr=False)
    method: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def satisfied(self) -> bool:
        """True when every zone is in one piece and within the bounds."""
        r = self.report
        return bool(
            (r["pieces"] == 1).all()
            and not r["below_min"].any()
            and not r["above_max"].any()
        )

    def _repr_html_(self) -> str:
        from html import escape

        params = ", ".join(f"{k} = {v}" for k, v in self.parameters.items())
        head = (
            f"<h4>Découpage proposé : {count_of(len(self.report), 'zone')}</h4>"
            f"<p>Méthode : <code>{escape(self.method)}</code> ({escape(params)})</p>"
        )
        table = self.report.rename(
            columns={
                "zone": "Zone",
                "n_units": "Nombre d'unités",
                "total": "Total",
                "pieces": "Morceaux",
                "below_min": "Sous le minimum",
                "above_max": "Au-dessus du maximum",
            }
        )
        return head + table.to_html(index=False)


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed numpy's and Python's global generators (spopt draws from them)."""
    np_state = np.random.get_state()
    py_state = random.getstate()
    np.random.seed(seed)
    random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


def _features(frame: gpd.GeoDataFrame, features: Sequence[str] | None) -> list[str]:
    if features is None:
        centre = frame.geometry.centroid
        frame["_x"] = (centre.x - centre.x.mean()) / (centre.x.std() or 1.0)
        frame["_y"] = (centre.y - centre.y.mean()) / (centre.y.std() or 1.0)
        return ["_x", "_y"]
    for c in features:
        values = frame[c].astype(float)
        frame[c] = (values - values.mean()) / (values.std() or 1.0)
    return list(features)


def _groups(
    units: gpd.GeoDataFrame, keep_whole: str | None, total: pd.Series
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Units, or groups of units kept whole; and each unit's group position."""
    base = gpd.GeoDataFrame(
        {"_total": total.to_numpy()}, geometry=units.geometry.to_numpy(), crs=units.crs
    )
    if keep_whole is None:
        return base, np.arange(len(units))
    if keep_whole not in units.columns:
        raise ZoneError(
            f"colonne « {keep_whole} » absente des unités (groupes à garder entiers) ; "
            f"colonnes disponibles : {', '.join(map(str, units.columns))}.",
            column=keep_whole,
        )
    key = units[keep_whole].astype(object).to_numpy()
    # a unit without group stays on its own
    key = np.where(pd.isna(key), "\u2400" + units["code"].astype(str).to_numpy(), key)
    position, _ = pd.factorize(key)
    base["_group"] = position
    grouped = base.dissolve("_group", aggfunc={"_total": "sum"}).sort_index()
    return grouped.reset_index(drop=True), position


def _solve(
    frame: gpd.GeoDataFrame,
    w: W,
    method: str,
    n_zones: int | None,
    min_total: float | None,
    attrs: list[str],
    seed: int,
    initial: np.ndarray | None,
    options: Mapping[str, Any],
) -> np.ndarray:
    from spopt.region import AZP, MaxPHeuristic, RegionKMeansHeuristic, Skater

    with _seeded(seed), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "maxp":
            model = MaxPHeuristic(
                frame,
                w,
                attrs,
                "_total",
                float(cast(float, min_total)),
                **options,
            )
        elif method == "skater":
            model = Skater(frame, w, attrs, n_clusters=n_zones, **options)
        elif method == "azp":
            model = AZP(
                frame, w, attrs, n_clusters=n_zones, random_state=seed,
                initial_labels=initial, **options,
            )  # fmt: skip
        else:
            model = RegionKMeansHeuristic(
                frame[attrs].to_numpy(), n_zones, w, seed=seed, **options
            )
        model.solve()
    return np.asarray(model.labels_)


def _split_large(
    frame: gpd.GeoDataFrame,
    w: W,
    labels: np.ndarray,
    attrs: list[str],
    min_total: float,
    max_total: float,
    seed: int,
) -> np.ndarray:
    r"""Split each zone above ``max_total`` with spopt's region k-means.

    A zone of total :math:`T` is cut into :math:`k = \lceil T / max \rceil`
    contiguous parts, then :math:`k + 1`… (at most 5 tries) until every part
    is within the bounds; if no try succeeds the zone is kept whole and the
    report flags it.
    """
    from libpysal.weights import w_subset
    from spopt.region import RegionKMeansHeuristic

    labels = pd.factorize(labels)[0]
    totals = pd.Series(frame["_total"].to_numpy()).groupby(labels).sum()
    next_label = int(labels.max()) + 1
    for zone in totals.index[totals > max_total]:
        inside = np.flatnonzero(labels == zone)
        ids = [w.id_order[i] for i in inside]
        sub_w = _relabel_w(w_subset(w, ids, silence_warnings=True), ids)
        data = frame.iloc[inside][attrs].to_numpy()
        values = frame["_total"].to_numpy()[inside]
        first = int(np.ceil(totals[zone] / max_total))
        for k in range(first, min(first + 5, len(inside) + 1)):
            with _seeded(seed), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = RegionKMeansHeuristic(data, k, sub_w, seed=seed)
                model.solve()
            parts = pd.factorize(np.asarray(model.labels_))[0]
            sums = pd.Series(values).groupby(parts).sum()
            if sums.max() <= max_total and sums.min() >= min_total:
                labels[inside] = np.where(parts == 0, zone, next_label + parts - 1)
                next_label += int(parts.max())
                break
    return labels


def _best_maxp(
    frame: gpd.GeoDataFrame,
    w: W,
    attrs: list[str],
    min_total: float,
    max_total: float,
    seed: int,
    tries: int,
    options: Mapping[str, Any],
) -> np.ndarray:
    """Max-p under a maximum: best of ``tries`` seeds, then split what is above."""
    best: tuple[int, int] | None = None
    chosen = np.zeros(len(frame), dtype=int)
    values = pd.Series(frame["_total"].to_numpy())
    for k in range(max(1, tries)):
        labels = _solve(
            frame, w, "maxp", None, min_total, attrs, seed + k, None, options
        )
        labels = _split_large(frame, w, labels, attrs, min_total, max_total, seed + k)
        sums = values.groupby(labels).sum()
        score = (int((sums > max_total).sum()), -len(sums))
        if best is None or score < best:
            best, chosen = score, labels
        if score[0] == 0:
            break
    return chosen


def _relabel_w(w: W, ids: Sequence[Any]) -> W:
    """Re-index a weights object on positions 0..n-1 (spopt's indexing)."""
    from libpysal.weights import W as WeightsClass

    position = {old: new for new, old in enumerate(ids)}
    neighbors = {position[i]: [position[j] for j in w.neighbors[i]] for i in ids}
    return WeightsClass(neighbors, silence_warnings=True)


def propose_zoning(
    units: gpd.GeoDataFrame,
    *,
    n_zones: int | None = None,
    method: Method | None = None,
    indicator: str | Indicator = "population",
    min_total: float | None = None,
    max_total: float | None = None,
    keep_whole: str | None = None,
    features: Sequence[str] | None = None,
    initial: pd.Series | None = None,
    seed: int = 0,
    w: W | None = None,
    contiguity_tolerance: float = 0.0,
    catalog: Catalog | None = None,
    method_kwds: Mapping[str, Any] | None = None,
    tries: int = 3,
    seeds: Sequence[str] | gpd.GeoDataFrame | None = None,
) -> Proposal:
    """Propose a contiguous zoning of the units.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        Units (``code``, geometry in a projected CRS) with the count the
        constraints are on.
    n_zones : int, optional
        Number of zones (``"skater"``, ``"azp"``, ``"kmeans"``).
    method : {"maxp", "skater", "azp", "kmeans"}, optional
        Default: ``"maxp"`` when ``min_total`` is given, else ``"skater"``.
    indicator : str or Indicator, default "population"
        Count the bounds apply to: a catalogue count (``"population"``,
        ``"rsa_beneficiaries"``…) or a column of the units.
    min_total, max_total : float, optional
        Bounds per zone on that count (e.g. 8,000 and 15,000 inhabitants).
        ``min_total`` is required by ``"maxp"``; ``max_total`` is applied
        with it (zones above are split with region k-means). The other
        methods report zones outside the bounds in ``report``.
    keep_whole : str, optional
        Column of groups never split across zones (``"epci"``).
    features : sequence of str, optional
        Columns whose similarity groups units (standardised). Default: the
        centroid coordinates (compact zones).
    initial : pandas.Series, optional
        Unit code → zone of a zoning to start from (``"azp"`` only).
    seed : int, default 0
        Seed of every random draw: same inputs and seed, same zoning.
    w : libpysal.weights.W, optional
        Contiguity of the units (row order), when already built.
    contiguity_tolerance : float, default 0.0
        Metres bridging slivers between neighbours (see
        :func:`~territobs.scenarios.graph.contiguity`).
    catalog : Catalog, optional
        Where ``indicator`` is looked up.
    method_kwds : mapping, optional
        Extra keywords for the spopt class (e.g. ``max_iterations_sa``).
    seeds : sequence of str or geopandas.GeoDataFrame, optional
        Keep the current sites as seeds: unit codes, or the sites as points
        (each taken in the unit that contains it, else the nearest one).
        Each seed unit starts one zone (so ``n_zones`` is the number of
        seeds): zones are first grown from the seeds over the contiguity
        graph, the lightest zone (on ``indicator``) taking its nearest
        neighbouring unit in turn, which gives contiguous zones of similar
        totals; then spopt's AZP improves that start (``"azp"``, the only
        method seeds apply to). If AZP ends with two seeds in one zone, the
        grown start is kept; ``parameters["seeds_kept_by"]`` says which.
    tries : int, default 3
        With ``max_total``: max-p runs (seeds ``seed``, ``seed + 1``…); the
        run with the fewest zones above the maximum is kept (then the most
        zones), before zones still above it are split.

    Returns
    -------
    Proposal

    Raises
    ------
    MethodError
        Missing or inconsistent parameters (no ``min_total`` for max-p, no
        ``n_zones`` for the others, ``min_total > max_total``, a territory
        whose total is below ``min_total``).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> units = gpd.GeoDataFrame(
    ...     {"code": [f"0100{i}" for i in range(6)],
    ...      "population_municipale": [5.0, 5, 5, 5, 5, 5]},
    ...     geometry=[box(i, 0, i + 1, 1) for i in range(6)], crs=2154)
    >>> p = propose_zoning(units, n_zones=2, method="skater")
    >>> p.report["n_units"].tolist(), p.satisfied
    ([3, 3], True)
    """
    seed_units = None
    if seeds is not None:
        seed_units = _seed_units(units, seeds)
        if method not in (None, "azp"):
            raise MethodError(
                f"des sites comme germes ne servent qu'à la méthode azp (pas « {method} »)."
            )
        if n_zones is not None and n_zones != len(seed_units):
            raise MethodError(
                f"{count_of(len(seed_units), 'germe')} pour {n_zones} zones : avec des "
                "germes, chaque germe fait une zone (n_zones = nombre de germes)."
            )
        if initial is not None:
            raise MethodError(
                "donnez soit des germes (seeds), soit un découpage de départ (initial)."
            )
        method, n_zones = "azp", len(seed_units)
    method = method or ("maxp" if min_total is not None else "skater")
    if method not in METHODS:
        raise MethodError(
            f"méthode « {method} » inconnue ; méthodes : {', '.join(METHODS)}.",
            codes=[method],
        )
    if method == "maxp" and min_total is None:
        raise MethodError(
            "la méthode max-p demande un minimum par zone (min_total), par ex. "
            "8000 habitants.",
        )
    if method != "maxp" and not n_zones:
        raise MethodError(
            f"la méthode « {method} » demande un nombre de zones (n_zones)."
        )
    if min_total is not None and max_total is not None and min_total > max_total:
        raise MethodError(
            f"minimum par zone ({min_total:g}) supérieur au maximum ({max_total:g})."
        )
    if initial is not None and method != "azp":
        raise MethodError(
            "un découpage de départ (initial) ne sert qu'à la méthode azp."
        )
    total = unit_values(units, indicator, catalog=catalog)
    if min_total is not None and total.sum() < min_total:
        raise MethodError(
            f"le territoire compte {total.sum():g} au total, moins que le minimum "
            f"demandé par zone ({min_total:g}).",
        )
    frame, group_of_unit = _groups(units, keep_whole, total)
    if w is None or keep_whole is not None:
        w = contiguity(frame, tolerance=contiguity_tolerance)
    if features is not None:
        missing = [c for c in features if c not in units.columns]
        if missing:
            raise MethodError(
                f"variables de ressemblance absentes des unités : {', '.join(missing)}.",
                codes=missing,
            )
        values = units[list(features)].astype(float).to_numpy()
        means = (
            pd.DataFrame(values, columns=list(features)).groupby(group_of_unit).mean()
        )
        frame = frame.join(means)
    attrs = _features(frame, features)
    start = None
    if initial is not None:
        codes = units["code"].astype(object)
        start_units = pd.factorize(initial.reindex(codes).to_numpy(object))[0]
        start = pd.Series(start_units).groupby(group_of_unit).first().to_numpy()
    kept_by = None
    if seed_units is not None:
        codes = units["code"].astype(object)
        position = pd.Series(np.arange(len(codes)), index=pd.Index(codes))
        seed_groups = group_of_unit[position.loc[seed_units].to_numpy()]
        if len(set(seed_groups.tolist())) < len(seed_groups):
            raise MethodError(
                "deux germes tombent dans le même groupe gardé entier "
                f"(« {keep_whole} ») : chaque germe doit faire sa propre zone."
            )
        start = _grow(frame, w, seed_groups)
    options = {**MAXP_DEFAULTS, **(method_kwds or {})} if method == "maxp" else {}
    options.update({} if method == "maxp" else dict(method_kwds or {}))
    if method == "maxp" and max_total is not None:
        labels = _best_maxp(
            frame,
            w,
            attrs,
            float(cast(float, min_total)),
            float(max_total),
            seed,
            tries,
            options,
        )
    else:
        labels = _solve(
            frame, w, method, n_zones, min_total, attrs, seed, start, options
        )
        if seed_units is not None and start is not None:
            labels, kept_by = _keep_seeds(np.asarray(labels), start, seed_groups)
    unit_labels = np.asarray(labels)[group_of_unit]
    return _proposal(
        units, unit_labels, total, method, w if keep_whole is None else None,
        contiguity_tolerance,
        {
            "n_zones": n_zones, "indicator": str(getattr(indicator, "id", indicator)),
            "min_total": min_total, "max_total": max_total, "keep_whole": keep_whole,
            "features": list(features) if features else "centroïdes",
            "initial": initial is not None, "seed": seed,
            **({"seeds": list(seed_units), "seeds_kept_by": kept_by}
               if seed_units is not None else {}),
            **({"tries": tries} if method == "maxp" and max_total is not None else {}),
            **options,
        },
        min_total, max_total,
    )  # fmt: skip


def _proposal(
    units: gpd.GeoDataFrame,
    labels: np.ndarray,
    total: pd.Series,
    method: str,
    w: W | None,
    tolerance: float,
    parameters: dict[str, Any],
    min_total: float | None,
    max_total: float | None,
) -> Proposal:
    from territobs.zoning.zones import zones_from_members

    codes = units["code"].astype(object).to_numpy()
    order = np.argsort(codes, kind="stable")
    # number zones in the order of their smallest unit code
    first_seen = pd.unique(labels[order])
    rank = {label: i + 1 for i, label in enumerate(first_seen)}
    width = max(2, len(str(len(first_seen))))
    zone = pd.Series(
        [f"Z{rank[x]:0{width}d}" for x in labels], index=pd.Index(codes, name="code"),
        name="zone",
    )  # fmt: skip
    graph = w if w is not None else contiguity(units, tolerance=tolerance)
    piece = pieces(graph, zone.to_numpy(object))
    frame = pd.DataFrame(
        {"zone": zone.to_numpy(object), "total": total.to_numpy(), "piece": piece}
    )
    report = (
        frame.groupby("zone")
        .agg(
            n_units=("piece", "size"),
            total=("total", "sum"),
            pieces=("piece", "nunique"),
        )
        .reset_index()
    )
    low = -np.inf if min_total is None else min_total
    high = np.inf if max_total is None else max_total
    report["below_min"] = report["total"] < low
    report["above_max"] = report["total"] > high
    table = pd.DataFrame({"zone": zone.to_numpy(object), "member": codes})
    table = table.sort_values(["zone", "member"], kind="stable")
    zones = zones_from_members(table, units=units)
    zones["name"] = [f"Zone proposée {z[1:]}" for z in zones["zone"]]
    return Proposal(
        zone=zone,
        zones=zones,
        report=report,
        method=METHODS[method],
        parameters=parameters,
    )
