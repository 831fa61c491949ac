"""Unit × zone weights: how much of each unit goes to each zone, and how we know.

The :class:`Weights` value is built once per (territory, zones, method) and
reused by every indicator, every map and every atlas page (as tobler's
``table=``, but it remembers which row is which unit and how each pair was
obtained).

Why one module of ~620 lines: it is the :class:`Weights` value (with its
``save``/``load``, so that notebooks cache weights as the atlas does) and
:func:`build_weights`, its one constructor; the geometry kernels are in
:mod:`territobs.zoning._overlay` and the population weights' pieces in
:mod:`territobs.zoning._population`.
"""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse

from territobs._finite import non_finite, refuse_non_finite
from territobs.errors import (
    CRSError,
    GeometryError,
    GeometryRepairedWarning,
    MethodError,
    SourceFormatError,
    ZoneError,
    ZoneWarning,
    format_codes,
)
from territobs.formatting import count_of
from territobs.zoning._members import _member_positions, _unit_codes, is_membership
from territobs.zoning._overlay import overlaps, valid_for_geos
from territobs.zoning._population import as_fine_population, population_in

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "DEFAULT_TOLERANCE",
    "METHOD_CODES",
    "Method",
    "PairMethod",
    "Weights",
    "build_weights",
]

#: Relative sliver tolerance: a unit at least ``1 - tol`` inside a zone is
#: wholly inside; an overlap below ``tol`` of the unit is no pair.
DEFAULT_TOLERANCE = 1e-6

Method = Literal["exact", "area", "population", "auto"]
PairMethod = Literal["exact", "area", "population"]

#: Integer codes stored in :attr:`Weights.pair_method` (0 = no pair).
METHOD_CODES: dict[str, int] = {"exact": 1, "area": 2, "population": 3}
_METHOD_NAMES = {code: name for name, code in METHOD_CODES.items()}


@dataclass(frozen=True, eq=False)
class Weights:
    r"""A sparse unit × zone allocation matrix, with the method of each pair.

    Parameters
    ----------
    matrix : scipy.sparse.csr_array
        ``n_units × n_zones``; ``matrix[i, j]`` is the share (0-1) of unit
        ``i``'s counts allocated to zone ``j``. Overlapping zones may make a
        row sum above 1; units outside every zone have an empty row.
    pair_method : scipy.sparse.csr_array
        Same shape and sparsity; ``int8`` codes of :data:`METHOD_CODES`
        (1 exact, 2 area, 3 population).
    units : pandas.Index
        Unit codes, in row order.
    zones : pandas.Index
        Zone ids, in column order.
    method : {"exact", "area", "population", "auto"}
        The method that was asked for.
    zone_report : pandas.DataFrame, optional
        One row per zone (index = zone id) with at least ``outside_share``
        (share of the zone's area outside the territory, 0 for membership
        zones) and ``n_units``.
    area_matrix : scipy.sparse.csr_array, optional
        Area shares of the same pairs, kept when population weights replaced
        them: surfaces (components with ``spread = "area"``) are shared out
        with it. None when ``matrix`` already holds area shares.

    Notes
    -----
    A zone's count is :math:`v_j = \sum_i w_{ij} x_i`. A pair is *exact*
    when the unit lies wholly in the zone (membership, or geometry within
    tolerance) so :math:`w_{ij} = 1`; otherwise :math:`w_{ij}` is estimated
    from areas or from population located at a finer grain.
    """

    matrix: sparse.csr_array
    pair_method: sparse.csr_array
    units: pd.Index
    zones: pd.Index
    method: str
    zone_report: pd.DataFrame = field(default_factory=pd.DataFrame)
    area_matrix: sparse.csr_array | None = None

    def __post_init__(self) -> None:
        shape = (len(self.units), len(self.zones))
        if self.area_matrix is not None and self.area_matrix.shape != shape:
            raise ValueError(
                f"Weights: matrice des surfaces {self.area_matrix.shape} "
                f"incohérente avec {shape} (unités × zones)"
            )
        if self.matrix.shape != shape or self.pair_method.shape != shape:
            raise ValueError(
                f"Weights: matrice {self.matrix.shape} / méthodes "
                f"{self.pair_method.shape} incohérentes avec {shape} (unités × zones)"
            )
        if not self.units.is_unique or not self.zones.is_unique:
            raise ValueError(
                "Weights: codes d'unités ou identifiants de zones en double"
            )

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_units, n_zones)``."""
        return self.matrix.shape

    @property
    def estimated(self) -> sparse.csr_array:
        """Weights of the estimated pairs only (area or population), same shape."""
        est = self.pair_method.copy()
        est.data = (est.data > METHOD_CODES["exact"]).astype(float)
        return sparse.csr_array(self.matrix.multiply(est))

    def to_frame(self) -> pd.DataFrame:
        """Return the pairs as a long table: ``unit, zone, weight, method``.

        Returns
        -------
        pandas.DataFrame
            One row per non-zero pair, sorted by zone then unit.
        """
        coo = sparse.coo_array(self.matrix)
        methods = (
            np.asarray(sparse.csr_array(self.pair_method)[coo.row, coo.col])
            if coo.nnz  # scipy returns a sparse array for an empty selection
            else np.zeros(0, np.int8)
        )
        frame = pd.DataFrame(
            {
                "unit": self.units.to_numpy()[coo.row],
                "zone": self.zones.to_numpy()[coo.col],
                "weight": coo.data,
                "method": pd.Categorical(
                    [_METHOD_NAMES.get(int(m), "?") for m in methods],
                    categories=list(METHOD_CODES),
                ),
            }
        )
        return frame.sort_values(["zone", "unit"], ignore_index=True)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the weights to a file, to be read back with :meth:`load`.

        Building weights on cut units is the costly step of a recomputation:
        a notebook (or the atlas, which caches its weights this way) saves
        them once and reloads them with every vintage of the indicators.

        Parameters
        ----------
        path : path-like
            The file to write (a NumPy ``.npz`` archive, no pickle; any
            name, ``.npz`` by convention). Unit codes and zone ids are
            written as strings.

        See Also
        --------
        Weights.load

        Examples
        --------
        >>> import geopandas as gpd, tempfile, pathlib
        >>> from shapely import box
        >>> from territobs.zoning.zones import zones_from_members
        >>> units = gpd.GeoDataFrame({"code": ["93001", "93066"]},
        ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=2154)
        >>> weights = build_weights(units, zones_from_members({"a": ["93001"]}))
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "poids.npz"
        >>> weights.save(path)
        >>> Weights.load(path).to_frame().equals(weights.to_frame())
        True
        """
        from territobs.zoning._weights_file import save_weights

        save_weights(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Weights:
        """Read weights written by :meth:`save`.

        Parameters
        ----------
        path : path-like
            A file written by :meth:`save`.

        Returns
        -------
        Weights
            Equal to the weights saved: same matrices (values, pairs and
            method of each pair), units, zones, method and zone report.

        Raises
        ------
        SourceNotFoundError
            If the file does not exist.
        SourceFormatError
            If the file is not a weights file, is damaged, or was written in
            another version of the format (the message says to rebuild).
        """
        from territobs.zoning._weights_file import load_weights

        parts = load_weights(path)
        try:
            return cls(**parts)
        except ValueError as exc:  # shapes or codes inconsistent with each other
            raise SourceFormatError(
                f"« {os.fspath(path)} » : fichier de poids incohérent ({exc}). "
                "Recalculez les poids (build_weights) puis enregistrez-les à "
                "nouveau.",
                path=path,
            ) from exc

    def __repr__(self) -> str:
        n_units, n_zones = self.shape
        counts = np.bincount(self.pair_method.data.astype(int), minlength=4)
        return (
            f"<Weights {self.method}: {n_units} unités × {n_zones} zones, "
            f"{self.matrix.nnz} paires (exactes {counts[1]}, surface {counts[2]}, "
            f"population {counts[3]})>"
        )

    def _repr_html_(self) -> str:
        frame = self.to_frame()
        summary = frame.groupby("method", observed=False).size().rename("paires")
        return (
            f"<p><code>{self.__repr__().replace('<', '&lt;').replace('>', '&gt;')}"
            f"</code></p>{summary.to_frame().to_html()}"
        )


# ----------------------------------------------------------------------- builders
def _check_crs(units: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> CRS:
    """Units and geometric zones must share one projected CRS."""
    if units.crs is None or zones.crs is None:
        which = "unités" if units.crs is None else "zones"
        raise CRSError(
            f"{which} sans système de coordonnées (CRS) : définissez-le avec "
            "set_crs(...) puis reprojetez les deux couches avec to_crs(2154).",
            found=None,
        )
    ucrs, zcrs = CRS.from_user_input(units.crs), CRS.from_user_input(zones.crs)
    if ucrs != zcrs:
        raise CRSError(
            f"les unités sont en {ucrs.to_string()} et les zones en "
            f"{zcrs.to_string()} : reprojetez-les dans le même CRS projeté, par "
            "ex. units.to_crs(2154) et zones.to_crs(2154).",
            found=[ucrs.to_string(), zcrs.to_string()],
            expected="EPSG:2154",
        )
    if not ucrs.is_projected:
        raise CRSError(
            f"unités et zones sont en {ucrs.to_string()} (coordonnées "
            "géographiques, en degrés) : les surfaces exigent un CRS projeté ; "
            "reprojetez avec to_crs(2154) (Lambert-93) ou le CRS officiel local.",
            found=ucrs.to_string(),
            expected="EPSG:2154",
        )
    return ucrs


@dataclass(frozen=True)
class _Pairs:
    """Every unit × zone pair, membership and geometric, before weighting."""

    unit: np.ndarray
    zone: np.ndarray
    share: np.ndarray
    whole: np.ndarray
    pieces: np.ndarray | None
    outside_share: np.ndarray
    codes: pd.Index  # unit codes, uniqueness checked (hash table cached)
    #: Positions of the invalid units cut over their repaired geometry.
    repaired: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))


def _pairs(
    units: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    tolerance: float,
    n_jobs: int | None,
    keep_pieces: bool,
    check: Callable[[Any, Any], Any],
    stacklevel: int = 3,
) -> _Pairs:
    codes = _unit_codes(units)
    member = is_membership(zones)
    outside = np.zeros(len(zones))
    parts: list[tuple[Any, ...]] = []
    repaired = np.empty(0, np.int64)
    if member.any():
        # Codes -> rows with the units' (cached) hash table, in one lookup.
        values = zones["members"].to_numpy()[member]
        lengths = np.fromiter(map(len, values), np.int64, len(values))
        flat = np.fromiter(
            itertools.chain.from_iterable(values), object, int(lengths.sum())
        )
        pos = codes.get_indexer(pd.Index(flat))
        if (pos < 0).any():  # let the zones module name the unknown members
            _member_positions(
                pd.Series(values, index=zones["zone"].to_numpy()[member]), units
            )
        zone_pos = np.repeat(np.flatnonzero(member), lengths)
        key = zone_pos * len(codes) + pos
        if pd.Index(key).has_duplicates:
            raise ZoneError("un même membre est répété dans une zone.")
        ones = np.ones(len(pos))
        none = np.full(len(pos), None, dtype=object)
        parts.append((pos, zone_pos, ones, ones.astype(bool), none))
    geometric = np.flatnonzero(~member)
    if len(geometric):
        check(units, zones)
        unit_geoms = np.asarray(units.geometry.array, dtype=object)
        bad = shapely.is_missing(unit_geoms) | shapely.is_empty(unit_geoms)
        unit_area = np.zeros(len(unit_geoms))
        with np.errstate(invalid="ignore"):  # NaN areas: refused just below
            unit_area[~bad] = shapely.area(unit_geoms[~bad])
        refuse_non_finite(~np.isfinite(unit_area), codes, "unité", "unités")
        bad |= unit_area <= 0
        if bad.any():
            raise GeometryError(
                f"{count_of(int(bad.sum()), 'unité', 'unités')} sans géométrie "
                "surfacique : "
                f"{format_codes(codes[bad].tolist())}.",
                codes=codes[bad].tolist(),
            )
        zone_geoms = np.asarray(zones.geometry.array, dtype=object)[geometric]
        missing = shapely.is_missing(zone_geoms) | shapely.is_empty(zone_geoms)
        if missing.any():
            ids = zones["zone"].to_numpy()[geometric][missing].tolist()
            raise GeometryError(
                f"{count_of(len(ids), 'zone', 'zones')} sans géométrie ni membres : "
                f"{format_codes(ids)}.",
                codes=ids,
            )
        with np.errstate(invalid="ignore"):
            zone_area = shapely.area(zone_geoms)
        zone_ids = zones["zone"].to_numpy()[geometric]
        refuse_non_finite(~np.isfinite(zone_area), zone_ids, "zone", "zones")
        try:
            ov = overlaps(
                unit_geoms,
                zone_geoms,
                tolerance=tolerance,
                n_jobs=n_jobs,
                keep_pieces=keep_pieces,
                unit_area=unit_area,
            )
        except shapely.errors.GEOSException as exc:
            raise _invalid_geometries(
                unit_geoms, zone_geoms, codes, zone_ids, exc
            ) from exc
        repaired = ov.repaired
        lost = codes[repaired[ov.unit_area[repaired] <= 0]].tolist()
        if lost:  # nothing polygonal left after the repair: no share to give
            raise GeometryError(
                f"{count_of(len(lost), 'unité invalide')} sans surface après "
                f"réparation (make_valid) : {format_codes(lost)}.",
                codes=lost,
            )
        if len(ov.repaired):
            named = codes[ov.repaired].tolist()
            warnings.warn(
                GeometryRepairedWarning(
                    f"{count_of(len(named), 'unité invalide réparée')} avec "
                    f"make_valid pour calculer sa part des zones : "
                    f"{format_codes(named)}. read_boundaries répare et signale les "
                    "contours invalides dès la lecture.",
                    codes=named,
                ),
                stacklevel=stacklevel,  # the caller of the public function
            )
        inside = np.bincount(ov.zone, weights=ov.area, minlength=len(zone_geoms))
        outside[geometric] = np.clip(1.0 - inside / zone_area, 0.0, 1.0)
        pieces = ov.pieces if keep_pieces else np.full(len(ov.unit), None, dtype=object)
        parts.append((ov.unit, geometric[ov.zone], ov.share, ov.whole, pieces))
    if parts:
        unit, zone, share, whole, pieces = (
            np.concatenate(p) for p in zip(*parts, strict=True)
        )
    else:
        unit = zone = np.empty(0, np.int64)
        share, whole, pieces = np.empty(0), np.empty(0, bool), np.empty(0, object)
    return _Pairs(
        unit.astype(np.int64),
        zone.astype(np.int64),
        share,
        whole.astype(bool),
        pieces if keep_pieces else None,
        outside,
        codes,
        repaired,
    )


def _invalid_geometries(
    unit_geoms: np.ndarray,
    zone_geoms: np.ndarray,
    codes: pd.Index,
    zone_ids: np.ndarray,
    exc: Exception,
) -> GeometryError:
    """Build the French error for GEOS failing on invalid units (or zones).

    Units are not checked before the weights (on the communes of France
    ``is_valid`` costs more than the weights themselves):
    :func:`territobs.read_boundaries` repairs them on reading. GEOS then
    raises on some invalid ones; this names them.
    """
    bad_units = ~shapely.is_valid(unit_geoms)
    if bad_units.any():
        bad = codes[bad_units].tolist()
        what = count_of(len(bad), "unité invalide", "unités invalides")
    else:
        bad = zone_ids[~shapely.is_valid(zone_geoms)].tolist()
        what = count_of(len(bad), "zone invalide", "zones invalides")
    if not bad:
        return GeometryError(f"le calcul des intersections a échoué (GEOS : {exc}).")
    return GeometryError(
        f"{what} (contours qui se croisent ou se recouvrent) : "
        f"{format_codes(bad)}. Réparez ces contours (shapely.make_valid) ou lisez-"
        "les avec read_boundaries, qui les répare.",
        codes=bad,
    )


def _overlaps_of(
    units: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    tolerance: float,
    n_jobs: int | None,
    check: Callable[[Any, Any], Any],
) -> pd.DataFrame:
    """Per-zone overlap report used by :func:`territobs.zoning.zones.check_zones`."""
    pairs = _pairs(
        units,
        zones,
        tolerance=tolerance,
        n_jobs=n_jobs,
        keep_pieces=False,
        check=check,
        stacklevel=4,  # check_zones -> _overlaps_of -> _pairs
    )
    n = len(zones)
    return pd.DataFrame(
        {
            "name": zones["name"].to_numpy(),
            "outside_share": pairs.outside_share,
            "n_units_touched": np.bincount(pairs.zone, minlength=n),
            "n_units_whole": np.bincount(pairs.zone[pairs.whole], minlength=n),
        },
        index=pd.Index(zones["zone"].to_numpy(), name="zone"),
    )


def build_weights(
    units: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    method: Method = "auto",
    *,
    population: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
    population_column: str = "population",
    tolerance: float = DEFAULT_TOLERANCE,
    n_jobs: int | None = None,
) -> Weights:
    r"""Build the unit × zone weights, once, for every indicator and map.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        The territory's units: unique ``code`` column, non-overlapping
        polygons in a projected CRS (only needed for geometric zones).
    zones : geopandas.GeoDataFrame
        A zones frame (:mod:`territobs.zoning.zones`): membership zones use
        their ``members``, the others their geometry.
    method : {"auto", "exact", "area", "population"}, default "auto"
        How cut pairs (units a zone boundary actually cuts) are weighted:
        ``"exact"`` refuses them, ``"area"`` uses area shares,
        ``"population"`` population shares from ``population``, ``"auto"``
        population shares when ``population`` is given, else area shares.
        Units wholly in a zone always get weight 1 (exact).
    population : GeoDataFrame or path, optional
        Population at a finer grain: squares (e.g. INSEE Filosofi 200 m) or
        points with a ``population_column``, or the path of a raster read
        with rasterio; same CRS as the units.
    population_column : str, default "population"
        Population column of a ``population`` GeoDataFrame (``"Ind"`` for
        Filosofi squares).
    tolerance : float, default 1e-6
        Relative sliver tolerance: a unit at least ``1 - tolerance`` inside a
        zone counts as wholly inside (exact); an overlap below ``tolerance``
        of the unit's area is no pair. Use 0 for raw geometry.
    n_jobs : int, optional
        Most threads for the cut pairs of geometric zones (None or -1: every
        core available; 1: no thread). Threads are used only for jobs whose
        measured size pays for them (GEOS intersections of at least 200,000
        pair vertices), never depending on the machine's load, so an input
        always runs the same way. Results do not depend on it.

    Returns
    -------
    Weights
        ``zone_report`` has, per zone: ``name``, ``outside_share``,
        ``n_units``, ``n_exact``, ``n_estimated``, ``n_area_fallback`` (cut
        units with no fine-grained population, weighted by area instead).

    Raises
    ------
    MethodError
        Unknown method, ``"population"`` without ``population=``, or
        ``"exact"`` on zones that cut units (``error.pairs`` lists them).
    CRSError
        Units or zones without CRS, different CRSs, or a geographic CRS.
    ZoneError
        Members absent from the units.
    GeometryError
        Units or geometric zones without a polygon.

    Warns
    -----
    ZoneWarning
        Zones that contain no unit at all (``warning.codes``).

    Notes
    -----
    For unit :math:`i` and zone :math:`j`:

    * exact: :math:`w_{ij} = 1` when the unit is a member of the zone, or
      lies in it (``contains``, bounding box inside a rectangular zone, or
      :math:`|u_i \\cap z_j| \\ge (1 - \text{tol}) |u_i|`);
    * area: :math:`w_{ij} = |u_i \\cap z_j| / |u_i|`;
    * population: :math:`w_{ij} = P(u_i \\cap z_j) / P(u_i)` with
      :math:`P(A) = \\sum_s p_s |s \\cap A| / |s|` over fine squares or
      raster cells :math:`s` (:math:`\\sum_{s \\in A} p_s` for points);
      when :math:`P(u_i) = 0` the pair falls back to area weights.

    A zone's count is then :math:`v_j = \\sum_i w_{ij} x_i`.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> from territobs.zoning.zones import zones_from_polygons
    >>> units = gpd.GeoDataFrame(
    ...     {"code": ["93001", "93066"]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
    ...     crs=2154,
    ... )
    >>> zones = zones_from_polygons(
    ...     gpd.GeoDataFrame({"zone": ["Z"]}, geometry=[box(0, 0, 150, 100)], crs=2154)
    ... )
    >>> build_weights(units, zones).to_frame()[["unit", "weight", "method"]].values.tolist()
    [['93001', 1.0, 'exact'], ['93066', 0.5, 'area']]
    """
    if method not in ("auto", "exact", "area", "population"):
        raise MethodError(
            f"méthode de pondération « {method} » inconnue ; méthodes possibles : "
            "auto, exact, area, population.",
            expected=["auto", "exact", "area", "population"],
        )
    if method == "population" and population is None:
        raise MethodError(
            "la méthode « population » exige une population localisée plus finement "
            "(population= : carreaux Filosofi 200 m, points ou raster).",
        )
    use_population = population is not None and method in ("population", "auto")
    pairs = _pairs(
        units,
        zones,
        tolerance=tolerance,
        n_jobs=n_jobs,
        keep_pieces=use_population,
        check=_check_crs,
    )
    if isinstance(pairs.codes.dtype, pd.StringDtype):
        unit_codes = pairs.codes.rename("unit")  # shares the checked hash table
    else:
        unit_codes = pd.Index(units["code"].to_numpy(), name="unit")
    zone_ids = pd.Index(zones["zone"].to_numpy(), name="zone")
    cut = ~pairs.whole
    if method == "exact" and cut.any():
        cut_pairs = [
            f"{unit_codes[u]}→{zone_ids[z]}"
            for u, z in zip(pairs.unit[cut], pairs.zone[cut], strict=True)
        ]
        cut_units = sorted({str(unit_codes[u]) for u in pairs.unit[cut]})
        raise MethodError(
            f"méthode « exact » impossible : "
            f"{count_of(len(cut_units), 'unité coupée')} par une limite de zone "
            f"({format_codes(cut_pairs)}). Utilisez method='auto', 'area' ou "
            "'population'.",
            codes=cut_units,
            pairs=cut_pairs,
        )
    data = np.where(pairs.whole, 1.0, pairs.share)
    codes = np.where(pairs.whole, METHOD_CODES["exact"], METHOD_CODES["area"]).astype(
        np.int8
    )
    fallback = np.zeros(len(data), dtype=bool)
    area_data = data
    if use_population and cut.any():
        data, codes, fallback = _population_weights(
            units, pairs, data, codes, population, population_column
        )
    n_units, n_zones = len(unit_codes), len(zone_ids)
    matrix = sparse.csr_array(
        (data, (pairs.unit, pairs.zone)), shape=(n_units, n_zones)
    )
    pair_method = sparse.csr_array(
        (codes, (pairs.unit, pairs.zone)), shape=(n_units, n_zones), dtype=np.int8
    )
    area_matrix = None
    if area_data is not data:
        area_matrix = sparse.csr_array(
            (area_data, (pairs.unit, pairs.zone)), shape=(n_units, n_zones)
        )
    report = pd.DataFrame(
        {
            "name": zones["name"].to_numpy()
            if "name" in zones
            else zone_ids.to_numpy(),
            "outside_share": pairs.outside_share,
            "n_units": np.bincount(pairs.zone, minlength=n_zones),
            "n_exact": np.bincount(pairs.zone[pairs.whole], minlength=n_zones),
            "n_estimated": np.bincount(pairs.zone[cut], minlength=n_zones),
            "n_area_fallback": np.bincount(pairs.zone[fallback], minlength=n_zones),
        },
        index=zone_ids,
    )
    empty = zone_ids[report["n_units"].to_numpy() == 0].tolist()
    if empty:
        warnings.warn(
            ZoneWarning(
                (
                    f"1 zone ne contient aucune unité : {format_codes(empty)} ; "
                    "sa valeur sera vide."
                    if len(empty) == 1
                    else f"{count_of(len(empty), 'zone')} ne contiennent aucune "
                    f"unité : {format_codes(empty)} ; leurs valeurs seront vides."
                ),
                codes=empty,
            ),
            stacklevel=2,
        )
    return Weights(
        matrix=matrix,
        pair_method=pair_method,
        units=unit_codes,
        zones=zone_ids,
        method=method,
        zone_report=report,
        area_matrix=area_matrix,
    )


def _population_weights(
    units: gpd.GeoDataFrame,
    pairs: _Pairs,
    data: np.ndarray,
    codes: np.ndarray,
    population: Any,
    column: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Replace the area shares of cut pairs by population shares."""
    cut = np.flatnonzero(~pairs.whole)
    cut_units, inverse = np.unique(pairs.unit[cut], return_inverse=True)
    unit_geoms = np.asarray(units.geometry.array, dtype=object)
    # The pieces were cut from the repaired units: so is their population.
    unit_geoms = valid_for_geos(unit_geoms, pairs.repaired)[0][cut_units]
    bounds = shapely.total_bounds(unit_geoms)
    if hasattr(population, "geometry"):
        # GEOS drops a point with a NaN coordinate, weighs a square with one.
        _refuse_non_finite_population(population)
    fine = as_fine_population(population, column, units.crs, bounds)
    unit_pop = population_in(unit_geoms, fine)
    assert pairs.pieces is not None  # kept because population weights were asked
    piece_pop = population_in(pairs.pieces[cut], fine)
    denominator = unit_pop[inverse]
    has_pop = denominator > 0
    data = data.copy()
    codes = codes.copy()
    data[cut[has_pop]] = piece_pop[has_pop] / denominator[has_pop]
    codes[cut[has_pop]] = METHOD_CODES["population"]
    fallback = np.zeros(len(data), dtype=bool)
    fallback[cut[~has_pop]] = True
    return data, codes, fallback


def _refuse_non_finite_population(population: Any) -> None:
    """Raise a French :class:`GeometryError` on population rows with NaN or inf."""
    bad = np.flatnonzero(
        non_finite(np.asarray(population.geometry.array, dtype=object))
    )
    if len(bad):
        raise GeometryError(
            f"{count_of(len(bad), 'carreau ou point', 'carreaux ou points')} de "
            "population avec des coordonnées non finies (NaN ou infinies) "
            f"({'position' if len(bad) == 1 else 'positions'} "
            f"{', '.join(map(str, bad[:5].tolist()))}) : corrigez ou retirez-les.",
            rows=bad.tolist(),
        )
