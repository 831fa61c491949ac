"""Alignment of a scenario with a reference zoning (EPCI, bassins...).

A reference group (an EPCI) is *split* when its units fall in more than one
zone of the scenario. For each group: how many zones it spans, and which
ones; for the scenario: how many groups are split and how many inhabitants
live in them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["reference_alignment"]


def reference_alignment(
    zone_of_unit: pd.Series,
    reference: pd.Series,
    weight: pd.Series | None = None,
) -> pd.DataFrame:
    """How each reference group is spread over the zones of a scenario.

    Parameters
    ----------
    zone_of_unit : pandas.Series
        Unit code → zone id of the scenario.
    reference : pandas.Series
        Unit code → reference group (e.g. EPCI SIREN). Units without group
        (NaN) are left out of the figures.
    weight : pandas.Series, optional
        Unit code → population (or any count) used for ``weight`` and
        ``weight_outside_main``.

    Returns
    -------
    pandas.DataFrame
        One row per reference group: ``group``, ``n_units``, ``n_zones``
        (zones it spans), ``split`` (bool), ``zones`` (ids, largest part
        first, separated by ``", "``), ``main_zone``, ``weight`` (its total),
        ``weight_outside_main`` (in zones other than its main one).

    Examples
    --------
    >>> zone = pd.Series({"a": "z1", "b": "z1", "c": "z2", "d": "z2"})
    >>> epci = pd.Series({"a": "E1", "b": "E2", "c": "E2", "d": "E3"})
    >>> reference_alignment(zone, epci)[["group", "n_zones", "split"]].to_dict("list")
    {'group': ['E1', 'E2', 'E3'], 'n_zones': [1, 2, 1], 'split': [False, True, False]}
    """
    codes = zone_of_unit.index
    ref = reference.reindex(codes)
    w = (
        pd.Series(1.0, index=codes)
        if weight is None
        else weight.reindex(codes).astype(float)
    )
    frame = pd.DataFrame(
        {"group": ref.to_numpy(object), "zone": zone_of_unit.to_numpy(object)}
    )
    frame["weight"] = w.to_numpy()
    frame["n"] = 1
    frame = frame[ref.notna().to_numpy()]
    parts = (
        frame.groupby(["group", "zone"], sort=False)[["weight", "n"]]
        .sum()
        .reset_index()
        .sort_values(
            ["group", "weight", "n", "zone"], ascending=[True, False, False, True]
        )
    )
    by_group = parts.groupby("group", sort=True)
    out = pd.DataFrame(
        {
            "n_units": by_group["n"].sum(),
            "n_zones": by_group.size(),
            "zones": by_group["zone"].agg(lambda z: ", ".join(map(str, z))),
            "main_zone": by_group["zone"].first(),
            "weight": by_group["weight"].sum(),
            "weight_outside_main": by_group["weight"].sum()
            - by_group["weight"].first(),
        }
    )
    out["split"] = out["n_zones"] > 1
    out = out.reset_index()
    columns = ["group", "n_units", "n_zones", "split", "zones", "main_zone"]
    return out[[*columns, "weight", "weight_outside_main"]].astype(
        {"n_units": int, "n_zones": int, "split": bool}
    )


def split_summary(table: pd.DataFrame) -> dict[str, float]:
    """Scenario-level figures from :func:`reference_alignment`."""
    split = table["split"].to_numpy(bool)
    total = float(table["weight"].sum())
    in_split = float(table.loc[split, "weight"].sum())
    return {
        "groups": len(table),
        "groups_split": int(split.sum()),
        "weight_in_split": in_split,
        "share_in_split": in_split / total if total else np.nan,
    }
