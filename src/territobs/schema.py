"""The published states of a figure: one home for the four states.

Every published figure is in exactly one of four states (DESIGN: "what correct
means"): a plain value; *secret statistique* (a producer blank or a secrecy
rule); *donnée manquante* (no data: never shown as secret, never as 0);
*partielle* (a value over part of the zone, its coverage said).

The tidy result of :func:`~territobs.zoning.recompute.recompute` carries them in
a ``state`` column (codes below) and, for partial figures, a French
``coverage_label`` (« 32 IRIS sur 41, 94 % de la population »). Renderers
(tables, maps, portraits, notebook display) read :func:`figure_states` and
:data:`STATE_LABELS`; they never re-derive a state from other columns.

This module uses the standard library only (pandas is imported lazily by
:func:`figure_states`), so every layer can import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COVERAGE_LABEL",
    "SECRET_SUFFIX",
    "STATES",
    "STATE_COLUMN",
    "STATE_LABELS",
    "State",
    "figure_states",
]

State = Literal["value", "secret", "missing", "partial"]
"""Code of a figure's published state."""

STATES: Final[tuple[State, ...]] = ("value", "secret", "missing", "partial")

STATE_LABELS: Final[dict[State, str]] = {
    "value": "",
    "secret": "secret statistique",
    "missing": "donnée manquante",
    "partial": "partielle",
}
"""French words shown to partners for each state (empty for a plain value)."""

STATE_COLUMN: Final = "state"
COVERAGE_LABEL: Final = "coverage_label"
SECRET_SUFFIX: Final = "__secret"
"""Suffix of the boolean column flagging masked cells of a variable."""


def figure_states(result: pd.DataFrame) -> pd.Series:
    """Return the published state of each row of a tidy result.

    Uses the result's ``state`` column when it has one; otherwise derives it
    from older results: ``secret`` where flagged secret, ``missing`` where the
    value is NaN, ``partial`` where the row is ``incomplete`` but has a value,
    else ``value``.

    Parameters
    ----------
    result : pandas.DataFrame
        Tidy result (one row per zone × indicator) with ``value`` and
        ``secret`` columns, optionally ``incomplete`` and ``state``.

    Returns
    -------
    pandas.Series
        State codes (:data:`STATES`), aligned on ``result``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"value": [1.0, None, 2.0, 3.0],
    ...                       "secret": [False, False, True, False],
    ...                       "incomplete": [False, True, False, True]})
    >>> figure_states(frame).tolist()
    ['value', 'missing', 'secret', 'partial']
    """
    import numpy as np
    import pandas as pd

    if STATE_COLUMN in result.columns:
        return result[STATE_COLUMN].astype(str)
    secret = result["secret"].astype(bool).to_numpy()
    missing = result["value"].isna().to_numpy()
    if "incomplete" in result.columns:
        incomplete = result["incomplete"].astype(bool).to_numpy()
    else:
        incomplete = np.zeros(len(result), dtype=bool)
    codes = np.select(
        [secret, missing, incomplete], ["secret", "missing", "partial"], "value"
    )
    return pd.Series(codes, index=result.index, name=STATE_COLUMN)
