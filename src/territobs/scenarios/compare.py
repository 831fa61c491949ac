"""Compare zonings of one territory: figures per zone and per scenario.

:func:`compare_zonings` takes the zonings a user already has (current
circonscriptions, EPCI-aligned, proposed...) over the same units and returns a
:class:`Comparison`:

* ``result``: every catalogue indicator recomputed on every zone of every
  scenario by the engine (:func:`~territobs.zoning.recompute.recompute`), the
  tidy result with a ``scenario`` column; statistical secrecy is applied to
  all scenarios **together** (:func:`~territobs.secrecy.apply_secrecy` with
  every scenario's membership), since the difference of two overlapping zones
  of two scenarios is itself a figure;
* ``zones``: one row per scenario × zone: indicator values, shape figures
  (pieces, enclaves, compactness);
* ``summary``: one row per scenario: balance of the workload indicator,
  shape, alignment with a reference zoning, moves from the first scenario;
* ``alignment``: each reference group (EPCI) and the zones it spans;
* :meth:`Comparison.moves` / :meth:`Comparison.moves_map`: the units that
  change zone between two scenarios.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from territobs.catalog import Catalog, Indicator, default_catalog
from territobs.catalog.kinds import is_count
from territobs.errors import ZoneError
from territobs.scenarios._assign import Assignment, as_assignment
from territobs.scenarios._labels import french
from territobs.scenarios._values import unit_values
from territobs.scenarios.alignment import reference_alignment, split_summary
from territobs.scenarios.balance import balance_figures
from territobs.scenarios.graph import contiguity
from territobs.scenarios.moves import moves_map, unit_moves
from territobs.scenarios.shape import shape_figures
from territobs.schema import STATE_LABELS, figure_states

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from territobs.secrecy import SecrecyRule

__all__ = ["Comparison", "compare_zonings"]


@dataclass(frozen=True)
class Comparison:
    """Zonings of one territory compared (see :func:`compare_zonings`).

    Attributes
    ----------
    scenarios : dict of str to str
        Scenario id → French label, in the order given.
    assignments : pandas.DataFrame
        Units × scenarios: the zone of each unit under each scenario.
    result : pandas.DataFrame
        Tidy recompute result of every scenario (``scenario`` column first),
        secrecy applied; secret values are NaN.
    zones : pandas.DataFrame
        One row per scenario × zone: ``scenario, zone, zone_name``, one column
        per indicator (NaN when not published) and ``{indicator}__state``,
        then the shape figures.
    summary : pandas.DataFrame
        One row per scenario (index = scenario id).
    alignment : pandas.DataFrame or None
        One row per scenario × reference group, when a reference was given.
    units : geopandas.GeoDataFrame
        The territory's units (for maps).
    weight : pandas.Series
        Unit code → weight of moves and split groups: the balance count if no
        secrecy rule protects it, else the population, else 1 per unit.
    geometries : dict of str to geopandas.GeoDataFrame
        Scenario id → zones frame with geometry (union of members).
    parameters : dict
        The options used (balance indicator, target, tolerance...).
    """

    scenarios: dict[str, str]
    assignments: pd.DataFrame
    result: pd.DataFrame
    zones: pd.DataFrame
    summary: pd.DataFrame
    alignment: pd.DataFrame | None
    units: gpd.GeoDataFrame = field(repr=False)
    weight: pd.Series = field(repr=False)
    geometries: dict[str, gpd.GeoDataFrame] = field(repr=False)
    parameters: dict[str, Any] = field(default_factory=dict)

    def _check(self, scenario: str) -> None:
        if scenario not in self.scenarios:
            raise ZoneError(
                f"scénario « {scenario} » inconnu ; scénarios comparés : "
                + ", ".join(f"« {s} »" for s in self.scenarios)
                + ".",
                codes=[scenario],
            )

    def moves(self, before: str, after: str) -> pd.DataFrame:
        """Units that change zone from scenario ``before`` to ``after``.

        Returns
        -------
        pandas.DataFrame
            ``code, name, from_zone, to_zone, weight`` (see
            :func:`territobs.scenarios.moves.unit_moves`).
        """
        self._check(before)
        self._check(after)
        names = self.units.set_index("code")["name"] if "name" in self.units else None
        return unit_moves(
            self.assignments[before],
            self.assignments[after],
            names=names,
            weight=self.weight,
        )

    def moves_map(self, before: str, after: str, **kwds: Any) -> Axes:
        """Draw the map of the moves from ``before`` to ``after``."""
        self._check(before)
        self._check(after)
        kwds.setdefault(
            "title",
            f"De « {self.scenarios[before]} » à « {self.scenarios[after]} »",
        )
        kwds.setdefault("weight", self.weight)
        kwds.setdefault("outlines", self.geometries[after])
        return moves_map(
            self.units, self.assignments[before], self.assignments[after], **kwds
        )

    def zones_of(self, scenario: str) -> gpd.GeoDataFrame:
        """Zones of one scenario with geometry and figures (ready to map)."""
        self._check(scenario)
        figures = self.zones[self.zones["scenario"] == scenario].drop(
            columns=["scenario", "zone_name"]
        )
        return self.geometries[scenario].merge(figures, on="zone", how="left")

    def table(self, name: str = "summary") -> pd.DataFrame:
        """Return one of the tables with French labels, for display.

        Column names, scenario labels and figure states (« secret
        statistique », « donnée manquante »…; empty for a plain value) are in
        French.

        Parameters
        ----------
        name : {"summary", "zones", "alignment"}, default "summary"
        """
        frame = getattr(self, name)
        if frame is None:
            return pd.DataFrame()
        if name == "summary":
            frame = frame.reset_index().assign(
                scenario=lambda f: f["scenario"].map(self.scenarios)
            )
        else:
            frame = frame.assign(scenario=frame["scenario"].map(self.scenarios))
        labels = self._indicator_labels()
        states = [c for c in frame.columns if str(c).endswith("__state")]
        frame = frame.assign(**{c: frame[c].map(STATE_LABELS) for c in states})
        labels.update(
            {c: f"{labels.get(c[: -len('__state')], c)} (état)" for c in states}
        )
        levels = (
            set(self.units["level"].astype(str)) if "level" in self.units else set()
        )
        if levels and not levels <= {"commune", "arrondissement"}:
            # units are IRIS, squares...: not communes
            word = "IRIS" if levels == {"iris"} else "Unités"
            labels |= {
                "n_units": f"Nombre d'{word}" if word == "IRIS" else "Nombre d'unités",
                "moved_units": f"{word} qui changent de zone",
            }
        if self.parameters.get("weight") == "unités":
            # moves and splits counted in units: the population is under secrecy
            labels |= {
                "moved_weight": "Unités qui changent de zone (pondération)",
                "weight_in_split": "Unités des groupes coupés",
                "share_in_split": "Part des unités dans un groupe coupé",
            }
        return french(frame, labels)

    def _indicator_labels(self) -> dict[str, str]:
        pairs = self.result[["indicator", "label"]].drop_duplicates()
        return dict(zip(pairs["indicator"], pairs["label"], strict=True))

    def _repr_html_(self) -> str:
        from territobs.scenarios.report import html_table

        title = f"Comparaison de {len(self.scenarios)} découpages : " + " ; ".join(
            self.scenarios.values()
        )
        return html_table(self.table("summary"), title)


def _reference(
    territory: pd.DataFrame, reference: str | pd.Series | None
) -> pd.Series | None:
    if reference is None:
        return None
    codes = territory["code"].astype(object)
    if isinstance(reference, str):
        if reference not in territory.columns:
            raise ZoneError(
                f"colonne de référence « {reference} » absente des unités ; "
                f"colonnes disponibles : {', '.join(map(str, territory.columns))}.",
                column=reference,
            )
        values = territory[reference].astype(object).where(territory[reference].notna())
        return pd.Series(values.to_numpy(object), index=pd.Index(codes), name=reference)
    ref = reference.copy()
    ref.index = ref.index.astype(object)
    return ref


def protected(key: str, secrecy: Any, catalog: Catalog) -> bool:
    """Whether the secrecy in force may mask the count ``key``.

    ``secrecy`` as :func:`compare_zonings` takes it: ``None`` (the
    catalogue's rules), ``False`` (none), or rules.
    """
    if secrecy is False:
        return False
    if secrecy is None:
        return bool(catalog[key].secrecy)
    from territobs.errors import SecrecyError
    from territobs.secrecy.rules import resolve_rules

    try:
        rule = resolve_rules(secrecy, [key], catalog=catalog)[key]
    except (SecrecyError, KeyError):
        return True  # no rule said: never published per unit
    return rule.action == "mask"


def _move_weight(
    territory: pd.DataFrame, balance_id: str, catalog: Catalog, secrecy: Any = None
) -> pd.Series:
    """Weigh moves and split groups by a count never under secrecy.

    Moves and split groups are published unit by unit: weighting them by a
    count a secrecy rule protects (RSA beneficiaries...) would publish it
    per commune. They are weighted by the balance count only when no rule
    in force masks it, else by the population, else by the number of units.
    """
    from territobs.errors import MethodError

    for key in (balance_id, "population"):
        if protected(key, secrecy, catalog):
            continue
        try:
            return unit_values(territory, key, catalog=catalog, allow_missing=True)
        except MethodError:
            continue
    return pd.Series(
        1.0, index=pd.Index(territory["code"].astype(object)), name="unités"
    )


def _secret(
    results: dict[str, pd.DataFrame],
    weights: dict[str, Any],
    secrecy: Any,
    catalog: Catalog,
    public: Mapping[str, tuple[pd.DataFrame, Any]] | None = None,
    published: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Publish all scenarios at once (their zones are published together).

    Through :func:`territobs.publish.publish`, the one publication path:
    the same rules, secondary suppression and four states as the atlas. A
    scenario already published elsewhere (``published``) keeps those
    figures as they are, and they count as public for the others.
    """
    from territobs.publish import publish

    asked = set(pd.unique(next(iter(results.values()))["indicator"]))
    kept = {
        s: f[f["indicator"].isin(asked)].reset_index(drop=True)
        for s, f in (published or {}).items()
        if s in results and asked <= set(f["indicator"])
    }
    known = dict(public or {})
    for s, frame in kept.items():
        shown = frame[frame["state"].astype(str).isin(["value", "partial"])]
        if len(shown):
            known[f"scenario:{s}"] = (shown.reset_index(drop=True), weights[s])
    own = [s for s in results if s not in kept]
    parts = (
        publish(
            {s: results[s] for s in own},
            weights={s: weights[s] for s in own},
            rules=None if secrecy is None or secrecy is False else secrecy,
            catalog=catalog,
            secrecy=secrecy is not False,
            public=known or None,
        )
        if own
        else {}
    )
    parts |= kept
    frames = [parts[s].assign(scenario=s) for s in results]
    combined = pd.concat(frames, ignore_index=True)
    return combined[["scenario", *combined.columns.drop("scenario")]]


def compare_zonings(
    territory: gpd.GeoDataFrame,
    scenarios: Mapping[str, Any] | Sequence[Any],
    indicators: str | Indicator | Sequence[str | Indicator] = "population",
    *,
    labels: Mapping[str, str] | None = None,
    balance_on: str | Indicator | None = None,
    target: float | None = None,
    tolerance: float = 0.1,
    reference: str | pd.Series | None = None,
    secrecy: SecrecyRule | str | Mapping[str, Any] | bool | None = None,
    catalog: Catalog | None = None,
    contiguity_tolerance: float = 0.0,
    w: Any = None,
    public: Mapping[str, tuple[pd.DataFrame, Any]] | None = None,
    published: Mapping[str, pd.DataFrame] | None = None,
    partial: Any = None,
) -> Comparison:
    """Compare zonings of one territory.

    Parameters
    ----------
    territory : geopandas.GeoDataFrame
        The units (``code``, ``name``, geometry in a projected CRS) with the
        columns the indicators need (:func:`~territobs.territory.build_territory`
        or :func:`~territobs.datasets.read_communes`).
    scenarios : mapping of str to zoning
        Scenario id → zoning, in any shape :func:`as_assignment` reads (zones
        frame, mapping zone → communes, membership table, Series, polygons).
        The first one is the baseline the moves are counted from.
    indicators : str, Indicator or sequence, default "population"
        Catalogue indicators recomputed on every zone.
    labels : mapping, optional
        Scenario id → French label (default: the id).
    balance_on : str or Indicator, optional
        Count indicator whose balance is measured (default: the first count
        among ``indicators``); it also weights splits and moves unless a
        secrecy rule protects it (then the population does).
    target : float, optional
        Target value per zone (default: the mean of each scenario's zones).
    tolerance : float, default 0.1
        Relative band around the target counted as on target.
    reference : str or pandas.Series, optional
        Reference zoning to align with: a column of the units (``"epci"``) or
        a Series unit code → group.
    secrecy : SecrecyRule, str, mapping, bool or None
        ``None`` (default): the catalogue's rules, for the indicators that
        declare one; rules as :func:`~territobs.secrecy.apply_secrecy` takes
        them, for all; ``False``: none (internal work only).
    catalog : Catalog, optional
        Default :func:`~territobs.catalog.default_catalog`.
    contiguity_tolerance : float, default 0.0
        Metres: units closer than this count as neighbours (boundaries with
        slivers); see :func:`territobs.scenarios.graph.contiguity`.
    w : libpysal.weights.W, optional
        A contiguity graph of the units already built (row order).
    public : mapping of str to (DataFrame, Weights), optional
        Figures published elsewhere beside these (an atlas's tables): name →
        (published result, memberships). Secondary suppression makes sure
        no combination of them with the scenarios' figures reveals a masked
        count (see :func:`territobs.publish.publish`).
    partial : PartialPolicy or float, optional
        When a zone with units lacking data is published as partial (see
        :func:`~territobs.zoning.recompute.recompute`); default: never.
    published : mapping of str to DataFrame, optional
        Scenario id → its figures as already published elsewhere (an atlas
        zoning's table, same indicators): shown as they are, and public to
        the secrecy of the other scenarios.

    Returns
    -------
    Comparison

    Raises
    ------
    ZoneError
        A scenario leaves units in no zone, puts one in two zones, or names
        units unknown to the territory.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> units = gpd.GeoDataFrame(
    ...     {"code": ["01001", "01002", "01004", "01005"], "name": list("ABCD"),
    ...      "population_municipale": [100.0, 200.0, 300.0, 400.0]},
    ...     geometry=[box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(4)],
    ...     crs=2154)
    >>> c = compare_zonings(units, {"a": {"o": ["01001", "01002"], "e": ["01004", "01005"]},
    ...                     "b": {"o": ["01001", "01002", "01004"], "e": ["01005"]}})
    >>> c.summary["max_min_ratio"].round(3).to_dict()
    {'a': 2.333, 'b': 1.5}
    >>> c.moves("a", "b")[["code", "from_zone", "to_zone"]].to_dict("records")
    [{'code': '01004', 'from_zone': 'e', 'to_zone': 'o'}]
    """
    from territobs.zoning.recompute import recompute
    from territobs.zoning.weights import build_weights

    catalog = catalog if catalog is not None else default_catalog()
    if not isinstance(scenarios, Mapping):
        scenarios = {f"scenario-{i + 1}": s for i, s in enumerate(scenarios)}
    if not scenarios:
        raise ZoneError("aucun scénario à comparer.")
    names = {str(k): (labels or {}).get(k, str(k)) for k in scenarios}
    asked = (
        [indicators] if isinstance(indicators, str | Indicator) else list(indicators)
    )
    asked_ids = [catalog.get(i).id for i in asked]
    if balance_on is None:
        counts = [i for i in asked_ids if is_count(catalog[i].kind)]
        balance_id = counts[0] if counts else "population"
    else:
        balance_id = catalog.get(balance_on).id
    if balance_id not in asked_ids:
        asked_ids.append(balance_id)
    weight = _move_weight(territory, balance_id, catalog, secrecy)
    codes = pd.Index(territory["code"].astype(object), name="code")
    graph = (
        w if w is not None else contiguity(territory, tolerance=contiguity_tolerance)
    )
    ref = _reference(territory, reference)

    assignments: dict[str, Assignment] = {}
    results: dict[str, pd.DataFrame] = {}
    weights: dict[str, Any] = {}
    geometries: dict[str, gpd.GeoDataFrame] = {}
    shapes: dict[str, pd.DataFrame] = {}
    for sid, scenario in scenarios.items():
        sid = str(sid)
        assignment = as_assignment(scenario, territory, label=names[sid])
        zones = assignment.zones_with_geometry(territory)
        weights[sid] = build_weights(territory, zones, method="exact")
        results[sid] = recompute(
            territory,
            zones,
            asked_ids,
            weights=weights[sid],
            catalog=catalog,
            partial=partial,
        )
        assignments[sid] = assignment
        geometries[sid] = zones[["zone", "name", "geometry"]]
        shapes[sid] = shape_figures(zones, assignment.zone, graph)
    result = _secret(results, weights, secrecy, catalog, public, published)

    shown = result.assign(
        value=result["value"].where(~result["secret"].astype(bool)),
        state=figure_states(result),
    )
    keyed = shown.set_index(["scenario", "zone", "indicator"])
    wide = keyed["value"].unstack("indicator")
    states = keyed["state"].unstack("indicator").add_suffix("__state")
    zone_names = shown.drop_duplicates(["scenario", "zone"]).set_index(
        ["scenario", "zone"]
    )["zone_name"]
    zones_table = (
        pd.concat(
            [zone_names, wide[asked_ids], states[[f"{i}__state" for i in asked_ids]]],
            axis=1,
        )
        .loc[zone_names.index]
        .reset_index()
    )
    shape_table = pd.concat(
        [s.assign(scenario=sid) for sid, s in shapes.items()], ignore_index=True
    )
    zones_table = zones_table.merge(shape_table, on=["scenario", "zone"], how="left")

    assignment_frame = pd.DataFrame(
        {sid: a.zone.reindex(codes).to_numpy(object) for sid, a in assignments.items()},
        index=codes,
    )
    baseline = next(iter(assignments))
    rows = []
    align_tables = []
    for sid in assignments:
        own = zones_table[zones_table["scenario"] == sid]
        row: dict[str, Any] = {"scenario": sid}
        row.update(balance_figures(own[balance_id], target=target, tolerance=tolerance))
        row["zones_in_pieces"] = int((own["pieces"] > 1).sum())
        row["n_enclaves"] = int(own["n_enclaves"].sum())
        row["min_polsby_popper"] = float(own["polsby_popper"].min())
        row["mean_polsby_popper"] = float(own["polsby_popper"].mean())
        if ref is not None:
            table = reference_alignment(assignments[sid].zone, ref, weight)
            row.update(split_summary(table))
            align_tables.append(table.assign(scenario=sid))
        moved = unit_moves(
            assignment_frame[baseline], assignment_frame[sid], weight=weight
        )
        row["moved_units"] = len(moved)
        row["moved_weight"] = float(moved["weight"].sum())
        rows.append(row)
    summary = pd.DataFrame(rows).set_index("scenario")
    align = (
        pd.concat(align_tables, ignore_index=True)[
            ["scenario", *align_tables[0].columns.drop("scenario")]
        ]
        if align_tables
        else None
    )
    return Comparison(
        scenarios=names,
        assignments=assignment_frame,
        result=result,
        zones=zones_table,
        summary=summary,
        alignment=align,
        units=territory,
        weight=weight,
        geometries=geometries,
        parameters={
            "indicators": asked_ids,
            "balance_on": balance_id,
            "target": target,
            "tolerance": tolerance,
            "reference": reference if isinstance(reference, str) else None,
            "contiguity_tolerance": contiguity_tolerance,
            "weight": "unités" if weight.name == "unités" else "population",
        },
    )
