"""Units that change zone between two scenarios: the table and the map."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes

__all__ = ["match_zones", "moves_map", "unit_moves"]


def match_zones(
    before: pd.Series,
    after: pd.Series,
    *,
    weight: pd.Series | None = None,
    match: Literal["auto", "id", "overlap"] = "auto",
) -> pd.Series:
    """Which zone of ``before`` each zone of ``after`` continues.

    Parameters
    ----------
    before, after : pandas.Series
        Unit code → zone id under each scenario (same units).
    weight : pandas.Series, optional
        Unit code → population; the overlap of two zones is their shared
        population plus their shared units (so empty units still count).
    match : {"auto", "id", "overlap"}, default "auto"
        ``"id"``: a zone continues the zone of the same id. ``"overlap"``: a
        one-to-one matching maximising the overlap
        (:func:`scipy.optimize.linear_sum_assignment`); zones left over (one
        scenario has more zones) continue none. ``"auto"``: by id when every
        zone id of ``after`` exists in ``before``, else by overlap.

    Returns
    -------
    pandas.Series
        Zone id of ``after`` → zone id of ``before`` (None: a new zone).

    Examples
    --------
    >>> a = pd.Series({"x": "n", "y": "n", "z": "s"})
    >>> b = pd.Series({"x": "E1", "y": "E2", "z": "E2"})
    >>> match_zones(a, b).to_dict()
    {'E1': 'n', 'E2': 's'}
    """
    from scipy.optimize import linear_sum_assignment

    after = after.reindex(before.index)
    new_ids = pd.unique(after.dropna().to_numpy(object))
    old_ids = pd.unique(before.to_numpy(object))
    if match == "id" or (match == "auto" and set(new_ids) <= set(old_ids)):
        return pd.Series(
            [z if z in set(old_ids) else None for z in new_ids],
            index=pd.Index(new_ids),
            dtype=object,
        )
    w = np.ones(len(before)) if weight is None else weight.reindex(before.index)
    w = np.nan_to_num(np.asarray(w, dtype=float)) + 1.0
    keep = after.notna().to_numpy()
    overlap = (
        pd.DataFrame(
            {"old": before.to_numpy(object)[keep], "new": after.to_numpy(object)[keep],
             "w": w[keep]}
        )
        .pivot_table(index="new", columns="old", values="w", aggfunc="sum", fill_value=0)
        .reindex(index=new_ids, columns=old_ids, fill_value=0)
    )  # fmt: skip
    rows, cols = linear_sum_assignment(overlap.to_numpy(), maximize=True)
    matched = pd.Series(None, index=pd.Index(new_ids), dtype=object)
    matched.iloc[rows] = old_ids[cols]
    return matched


def unit_moves(
    before: pd.Series,
    after: pd.Series,
    *,
    names: pd.Series | None = None,
    weight: pd.Series | None = None,
    match: Literal["auto", "id", "overlap"] = "auto",
) -> pd.DataFrame:
    """Units that change zone between two scenarios.

    Zone ids usually differ between scenarios (circonscriptions vs EPCI):
    each zone of ``after`` is first matched to the zone of ``before`` it
    continues (:func:`match_zones`); a unit *moves* when its new zone does not
    continue its old one.

    Parameters
    ----------
    before, after : pandas.Series
        Unit code → zone id under each scenario (same units).
    names : pandas.Series, optional
        Unit code → unit name.
    weight : pandas.Series, optional
        Unit code → population (or any count) moved with the unit; also
        weights the matching.
    match : {"auto", "id", "overlap"}, default "auto"
        How zones are matched (see :func:`match_zones`).

    Returns
    -------
    pandas.DataFrame
        One row per moved unit, sorted by (from, to, code): ``code``,
        ``name``, ``from_zone``, ``to_zone``, ``to_continues`` (the zone of
        ``before`` that ``to_zone`` continues, None for a new zone),
        ``weight``.

    Examples
    --------
    >>> a = pd.Series({"01001": "n", "01002": "n", "01004": "s"})
    >>> b = pd.Series({"01001": "n", "01002": "s", "01004": "s"})
    >>> unit_moves(a, b)[["code", "from_zone", "to_zone"]].to_dict("records")
    [{'code': '01002', 'from_zone': 'n', 'to_zone': 's'}]
    """
    codes = before.index
    after = after.reindex(codes)
    matched = match_zones(before, after, weight=weight, match=match)
    continues = after.map(matched).to_numpy(object)
    old = before.to_numpy(object)
    moved = after.notna().to_numpy() & np.array(
        [c is None or c != o for c, o in zip(continues, old, strict=True)], dtype=bool
    )
    index = codes[moved]
    frame = pd.DataFrame(
        {
            "code": index.to_numpy(object),
            "name": (
                names.reindex(index).to_numpy(object)
                if names is not None
                else np.full(len(index), "", dtype=object)
            ),
            "from_zone": old[moved],
            "to_zone": after.to_numpy(object)[moved],
            "to_continues": continues[moved],
            "weight": (
                weight.reindex(index).astype(float).to_numpy()
                if weight is not None
                else np.full(len(index), np.nan)
            ),
        }
    )
    return frame.sort_values(["from_zone", "to_zone", "code"], ignore_index=True)


def moves_map(
    units: gpd.GeoDataFrame,
    before: pd.Series,
    after: pd.Series,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    labels: bool = True,
    weight: pd.Series | None = None,
    match: Literal["auto", "id", "overlap"] = "auto",
    outlines: gpd.GeoDataFrame | None = None,
    **kwds: Any,
) -> Axes:
    """Draw the moves: the new zones, moved units coloured.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        Units with ``code`` and geometry (projected).
    before, after : pandas.Series
        Unit code → zone id under each scenario.
    ax : matplotlib.axes.Axes, optional
        Where to draw (a new figure otherwise).
    title : str, optional
        Title (default « Communes qui changent de zone »).
    labels : bool, default True
        Write the new zone id at the centre of each zone.
    weight, match
        As for :func:`unit_moves`.
    outlines : geopandas.GeoDataFrame, optional
        The zones of ``after`` with ``zone`` and geometry, when already built
        (otherwise the units are dissolved by zone).
    **kwds
        Passed to ``GeoDataFrame.plot`` for the moved units.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 7))
    codes = units["code"].astype(object)
    new = after.reindex(codes).to_numpy(object)
    moved = codes.isin(
        unit_moves(before, after, weight=weight, match=match)["code"]
    ).to_numpy()
    frame = units.assign(_new=new, _moved=moved)
    frame.plot(ax=ax, color="#f2f2f2", edgecolor="#bbbbbb", linewidth=0.2)
    if moved.any():
        frame[moved].plot(
            ax=ax, column="_new", categorical=True, cmap="tab20", edgecolor="#555555",
            linewidth=0.3, **kwds,
        )  # fmt: skip
    if outlines is None:
        outlines = frame.dissolve("_new")
    else:
        outlines = outlines.set_index("zone")
    outlines.boundary.plot(ax=ax, color="#222222", linewidth=1.0)
    if labels:
        for zone_id, geom in zip(outlines.index, outlines.geometry, strict=True):
            point = geom.representative_point()
            ax.annotate(
                str(zone_id), (point.x, point.y), ha="center", va="center", fontsize=7,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                      "alpha": 0.8},
            )  # fmt: skip
    ax.set_axis_off()
    ax.set_title(title or "Communes qui changent de zone")
    ax.legend(
        handles=[
            Patch(facecolor="#f2f2f2", edgecolor="#bbbbbb", label="même zone"),
            Patch(
                facecolor="#9ecae1",
                edgecolor="#555555",
                label=f"change de zone ({int(moved.sum())})",
            ),
        ],
        loc="lower left",
        fontsize=8,
    )
    return ax
