"""Unit membership of published zones, as one sparse unit × zone matrix.

Differencing needs to know which units each published figure covers. The
membership can come from a :class:`~territobs.zoning.weights.Weights`, a long
table ``unit, zone[, weight]``, a zones frame with a ``members`` column, a
mapping ``zone -> unit codes`` (weight 1) or ``zone -> {unit: weight}``, or a
list of these (e.g. the zones' weights
plus the communes and the territory total used as references).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from scipy import sparse

from territobs.errors import SecrecyError, format_codes
from territobs.formatting import count_of
from territobs.zoning.weights import Weights

__all__ = ["MembershipLike", "membership_matrix"]

MembershipLike: TypeAlias = (
    Weights
    | pd.DataFrame
    | Mapping[str, Iterable[str] | Mapping[str, float]]
    | Sequence[Any]
)


def _triples_from_weights(weights: Weights) -> pd.DataFrame:
    frame = weights.to_frame()
    return frame[["unit", "zone", "weight"]]


def _weight(value: Any, unit: Any, zone: Any) -> float:
    """Read one membership weight, with a French error when it is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SecrecyError(
            f"poids {value!r} de l'unité « {unit} » dans la zone « {zone} » : "
            "nombre entre 0 et 1 attendu.",
            codes=[str(zone)],
        ) from None


def _triples_from_mapping(
    mapping: Mapping[str, Iterable[str] | Mapping[str, float]],
) -> pd.DataFrame:
    """Read ``{zone: [units]}`` (weight 1) or ``{zone: {unit: weight}}``."""
    rows: list[tuple[str, str, float]] = []
    for zone, members in mapping.items():
        if members is None:
            continue
        if isinstance(members, str):
            raise SecrecyError(
                f"membres de la zone « {zone} » : liste de codes attendue, texte "
                f"« {members} » reçu.",
                codes=[zone],
            )
        if isinstance(members, Mapping):
            rows.extend(
                (str(unit), str(zone), _weight(weight, unit, zone))
                for unit, weight in members.items()
            )
        else:
            rows.extend((str(unit), str(zone), 1.0) for unit in members)
    return pd.DataFrame(rows, columns=["unit", "zone", "weight"])


def _triples_from_frame(frame: pd.DataFrame) -> pd.DataFrame:
    if "members" in frame.columns and "zone" in frame.columns:
        return _triples_from_mapping(
            dict(zip(frame["zone"], frame["members"], strict=True))
        )
    missing = [c for c in ("unit", "zone") if c not in frame.columns]
    if missing:
        raise SecrecyError(
            "table d'appartenance : "
            + ("colonne" if len(missing) == 1 else "colonnes")
            + f" {format_codes(missing)} "
            + ("manquante" if len(missing) == 1 else "manquantes")
            + " (attendu : unit, zone et "
            "facultativement weight, ou zone et members).",
            column=missing[0],
        )
    out = frame[["unit", "zone"]].astype(str)
    out["weight"] = (
        pd.to_numeric(frame["weight"], errors="raise").to_numpy()
        if "weight" in frame.columns
        else 1.0
    )
    return out


def _triples(piece: Any) -> pd.DataFrame:
    if isinstance(piece, Weights):
        return _triples_from_weights(piece)
    if isinstance(piece, pd.DataFrame):
        return _triples_from_frame(piece)
    if isinstance(piece, Mapping):
        return _triples_from_mapping(piece)
    raise SecrecyError(
        "appartenance des unités aux zones : Weights, table (unit, zone, weight), "
        f"table de zones (zone, members) ou dictionnaire attendu, {type(piece).__name__} "
        "reçu."
    )


def membership_matrix(
    membership: MembershipLike, zones: Sequence[str]
) -> tuple[sparse.csc_array, pd.Index]:
    """Build the unit × zone weight matrix of ``zones``.

    Parameters
    ----------
    membership : Weights, DataFrame, mapping, or a list of these
        Where each zone's units come from. A zone may be described by one
        piece only.
    zones : sequence of str
        Zone ids needed, in column order.

    Returns
    -------
    matrix : scipy.sparse.csc_array
        ``n_units × len(zones)`` shares (1 for exact membership).
    units : pandas.Index
        Unit codes, in row order (sorted).

    Raises
    ------
    SecrecyError
        If a zone is described twice, has no membership (``error.codes``
        lists them), or a weight is outside [0, 1].
    """
    pieces = list(membership) if isinstance(membership, (list, tuple)) else [membership]
    frames = []
    owner: dict[str, int] = {}
    for position, piece in enumerate(pieces):
        triples = _triples(piece)
        for zone in pd.unique(triples["zone"]):
            if zone in owner and owner[zone] != position:
                raise SecrecyError(
                    f"zone « {zone} » décrite deux fois dans l'appartenance des unités.",
                    codes=[zone],
                )
            owner[zone] = position
        frames.append(triples)
    wanted = pd.Index([str(z) for z in zones])
    missing = [z for z in wanted if z not in owner]
    if missing:
        raise SecrecyError(
            f"{count_of(len(missing), 'zone')} sans appartenance d'unités : "
            f"{format_codes(missing)}. "
            "Le contrôle par différence en a besoin (passez leurs membres ou leurs "
            "poids dans « membership »).",
            codes=missing,
        )
    if not frames or wanted.empty:
        return sparse.csc_array((0, len(wanted))), pd.Index([], dtype=object)
    triples = pd.concat(frames, ignore_index=True)
    triples = triples[triples["zone"].isin(wanted)]
    weights = triples["weight"].to_numpy(dtype=float)
    bad = ~np.isfinite(weights) | (weights < 0) | (weights > 1 + 1e-9)
    if bad.any():
        first = triples[bad].iloc[0]
        raise SecrecyError(
            f"poids {first['weight']!r} hors de [0, 1] pour l'unité « {first['unit']} » "
            f"dans la zone « {first['zone']} ».",
            codes=[first["zone"]],
        )
    duplicated = triples.duplicated(["unit", "zone"])
    if duplicated.any():
        first = triples[duplicated].iloc[0]
        raise SecrecyError(
            f"unité « {first['unit']} » listée deux fois dans la zone « {first['zone']} ».",
            codes=[first["zone"]],
        )
    units = pd.Index(sorted(pd.unique(triples["unit"])))
    rows = units.get_indexer(pd.Index(triples["unit"]))
    cols = wanted.get_indexer(pd.Index(triples["zone"]))
    matrix = sparse.csc_array((weights, (rows, cols)), shape=(len(units), len(wanted)))
    return matrix, units
