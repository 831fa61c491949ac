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

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "APPROXIMATIONS",
    "COVERAGE",
    "COVERAGE_LABEL",
    "SECRET_SUFFIX",
    "STATES",
    "STATE_COLUMN",
    "STATE_LABELS",
    "STATE_WORDS",
    "UNIT_WORDS",
    "PartialPolicy",
    "State",
    "coverage_text",
    "figure_states",
    "most_frequent_vintage",
    "partial_policy",
    "state_words",
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

#: Named approximations for indicators that cannot be re-aggregated (medians,
#: quantiles, rates published without their counts): name → French
#: description shown in captions. The estimators live in ``zoning``.
APPROXIMATIONS: Final[dict[str, str]] = {
    "population_weighted_mean_of_medians": (
        "moyenne des valeurs des unités pondérée par la population "
        "(approximation : ce n'est pas la médiane de la zone)"
    ),
    "census_population_weights": (
        "valeurs publiées des unités pondérées par leur population au recensement "
        "(approximation : pas de recalcul exact sans effectifs Filosofi ; une "
        "médiane ou un décile ainsi obtenus ne sont pas ceux de la zone)"
    ),
}

#: Short French names of the approximations, for cells and legends.
APPROXIMATION_SHORT: Final[dict[str, str]] = {
    "population_weighted_mean_of_medians": "moyenne des médianes pondérée",
    "census_population_weights": "valeurs pondérées par la population",
}

STATE_COLUMN: Final = "state"
COVERAGE_LABEL: Final = "coverage_label"
COVERAGE: Final = "coverage"
"""Numeric coverage column (0-1): share of the zone the value rests on."""

#: French words for the units of a level: (singular, plural).
UNIT_WORDS: Final[dict[str, tuple[str, str]]] = {
    "iris": ("IRIS", "IRIS"),
    "commune": ("commune", "communes"),
    "arrondissement": ("arrondissement", "arrondissements"),
    "epci": ("EPCI", "EPCI"),
    "departement": ("département", "départements"),
    "region": ("région", "régions"),
    "carreau": ("carreau", "carreaux"),
}

CoverageBasis = Literal["units", "population"]


@dataclass(frozen=True)
class PartialPolicy:
    """An explicit choice to publish values computed over part of a zone.

    By default territobs publishes no partial value: a zone where some
    units have no data is *donnée manquante*. With a policy, a zone whose
    coverage reaches ``min_coverage`` gets the value of its known units,
    in state ``partial`` with its coverage said. Units masked by a
    producer (secret) are never covered by a policy: their zones stay
    secret.

    Parameters
    ----------
    min_coverage : float
        Smallest coverage (0-1) published; ``0`` publishes any zone with at
        least one known unit. A zone with no known unit is always missing.
    by : {"units", "population"}, default "units"
        Coverage measured as the share of the zone's units (weights) with
        data, or as the share of a reference population.
    reference : str, optional
        Column of the territory giving the reference population of every
        unit (``by="population"``); default: a ``POPULATION``/``population``
        column, else the catalogue's ``population`` indicator.

    Examples
    --------
    >>> PartialPolicy(0.9, by="population")
    PartialPolicy(min_coverage=0.9, by='population', reference=None)
    >>> PartialPolicy(1.5)
    Traceback (most recent call last):
    ...
    ValueError: couverture minimale 1.5 : un nombre entre 0 et 1 est attendu (0,9 pour 90 %).
    """

    min_coverage: float
    by: CoverageBasis = "units"
    reference: str | None = None

    def __post_init__(self) -> None:
        value = self.min_coverage
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(
                f"couverture minimale {value!r} : un nombre entre 0 et 1 est "
                "attendu (0,9 pour 90 %)."
            )
        if not 0.0 <= float(value) <= 1.0 or math.isnan(float(value)):
            raise ValueError(
                f"couverture minimale {value} : un nombre entre 0 et 1 est "
                "attendu (0,9 pour 90 %)."
            )
        if self.by not in ("units", "population"):
            raise ValueError(
                f"base de couverture « {self.by} » inconnue ; bases possibles : "
                "« units » (unités), « population »."
            )

    def describe(self) -> str:
        """French sentence naming the choice, for captions and reports."""
        what = "des unités" if self.by == "units" else "de la population"
        share = f"{round(100 * self.min_coverage)}\u00a0%"
        return (
            f"valeurs partielles publiées quand les données couvrent au moins "
            f"{share} {what} de la zone"
        )


def partial_policy(
    value: PartialPolicy | float | None, by: CoverageBasis = "units"
) -> PartialPolicy | None:
    """Normalise a partial-publication choice (a policy, a number or None).

    Examples
    --------
    >>> partial_policy(0.9)
    PartialPolicy(min_coverage=0.9, by='units', reference=None)
    >>> partial_policy(None) is None
    True
    """
    if value is None or isinstance(value, PartialPolicy):
        return value
    return PartialPolicy(float(value), by=by)


def coverage_text(
    known: float,
    total: float,
    level: str | None,
    population_share: float | None = None,
) -> str:
    r"""French coverage label: « 32 IRIS sur 41, 94 % de la population ».

    Parameters
    ----------
    known, total : float
        Units (weights) with data, and all units of the zone.
    level : str or None
        Level of the units (``iris``, ``commune``...); ``None`` says « unités ».
    population_share : float, optional
        Share (0-1) of the reference population covered; omitted when NaN.

    Examples
    --------
    >>> coverage_text(32, 41, "iris", 0.94)
    '32 IRIS sur 41, 94\xa0% de la population'
    >>> coverage_text(0, 3, "commune")
    '0 commune sur 3'
    >>> coverage_text(2.5, 3, None)
    '83\xa0% des unités de la zone'

    Units cut by the zone count for their share in it: fractional counts
    (« 22,6 IRIS sur 23,7 ») are said as a share of the zone's units.
    """
    singular, plural = UNIT_WORDS.get(str(level), ("unité", "unités"))

    def number(x: float) -> str:
        text = f"{x:.1f}".rstrip("0").rstrip(".")
        return text.replace(".", ",")

    word = singular if known < 2 else plural
    whole = abs(known - round(known)) < 1e-9 and abs(total - round(total)) < 1e-9
    if whole or not total:
        text = f"{number(known)} {word} sur {number(total)}"
    else:
        text = f"{math.floor(100 * known / total + 0.5)}\u00a0% des {plural} de la zone"
    if population_share is not None and not math.isnan(population_share):
        percent = 100 * population_share
        if 0 < percent < 1:
            share = "<\u00a01"
        elif 99 < percent < 100:
            share = ">\u00a099"
        else:
            share = f"{math.floor(percent + 0.5)}"
        text += f", {share}\u00a0% de la population"
    return text


SECRET_SUFFIX: Final = "__secret"
"""Suffix of the boolean column flagging masked cells of a variable."""


def figure_states(result: pd.DataFrame) -> pd.Series:
    """Return the published state of each row of a tidy result.

    Starts from the result's ``state`` column when it has one (written by
    :func:`~territobs.zoning.recompute.recompute`); otherwise derives it from
    older results: ``missing`` where the value is NaN, ``partial`` where the
    row is ``incomplete`` but has a value, else ``value``. Secrecy applied
    afterwards then wins: a row flagged ``secret`` is ``secret``, except
    when it was masked only because data were missing (reason ``input:`` on
    a ``missing`` or ``partial`` row: absent rows are missing data, never a
    secret). A ``value`` or ``partial`` row whose value is NaN is
    ``missing``: no figure is ever shown as 0 or blank without its state.

    Parameters
    ----------
    result : pandas.DataFrame
        Tidy result (one row per zone × indicator) with ``value`` and
        ``secret`` columns, optionally ``incomplete``, ``state`` and
        ``secret_reason``.

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
    >>> frame = pd.DataFrame({"value": [None, None], "secret": [True, True],
    ...                       "state": ["missing", "value"],
    ...                       "secret_reason": ["input: valeur incomplète", "primary: x"]})
    >>> figure_states(frame).tolist()
    ['missing', 'secret']
    """
    import numpy as np
    import pandas as pd

    missing = result["value"].isna().to_numpy()
    if STATE_COLUMN in result.columns:
        base = result[STATE_COLUMN].fillna("value").astype(str).to_numpy()
    else:
        if "incomplete" in result.columns:
            incomplete = result["incomplete"].fillna(False).astype(bool).to_numpy()
        else:
            incomplete = np.zeros(len(result), dtype=bool)
        base = np.select([missing, incomplete], ["missing", "partial"], "value")
    if "secret" in result.columns:
        secret = result["secret"].fillna(False).astype(bool).to_numpy()
    else:
        secret = np.zeros(len(result), dtype=bool)
    if "secret_reason" in result.columns:
        reason = result["secret_reason"].fillna("").astype(str)
        by_input = reason.str.startswith("input:").to_numpy()
    else:
        by_input = np.zeros(len(result), dtype=bool)
    absent = np.isin(base, ["missing", "partial"])
    codes = np.select(
        [
            secret & by_input & absent,
            secret,
            missing & np.isin(base, ["value", "partial"]),
        ],
        ["missing", "secret", "missing"],
        base,
    )
    return pd.Series(codes, index=result.index, name=STATE_COLUMN)


#: Column of the French state words in written tables (CSV, XLSX).
STATE_WORDS_COLUMN: Final = "etat"
#: French word of each state in written tables (« valeur » for a value).
STATE_WORDS: Final[dict[State, str]] = {**STATE_LABELS, "value": "valeur"}


def state_words(result: pd.DataFrame) -> pd.Series:
    """French state of each row, for tables: « valeur », « partielle »...

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"value": [1.0, None], "secret": [False, False]})
    >>> state_words(frame).tolist()
    ['valeur', 'donnée manquante']
    """
    return figure_states(result).map(STATE_WORDS).rename(STATE_WORDS_COLUMN)


def most_frequent_vintage(years: Iterable[int]) -> int | None:
    """Return the vintage a table's column names point to: the most frequent year.

    One rule for every guess of a vintage from column names
    (:func:`territobs.io.insee.guess_vintage` from INSEE variable names,
    :func:`territobs.catalog.resolve.catalog_vintage` from the catalogue's
    patterns): the year written in most columns, the latest on a tie.

    Parameters
    ----------
    years : iterable of int
        One year per column that carries one.

    Returns
    -------
    int or None
        None when no column carries a year.

    Examples
    --------
    >>> most_frequent_vintage([2016, 2016, 2015]), most_frequent_vintage([2015, 2016])
    (2016, 2016)
    >>> most_frequent_vintage([]) is None
    True
    """
    counts = Counter(years)
    if not counts:
        return None
    return max(counts, key=lambda year: (counts[year], year))
