r"""Named approximations that weight published unit values by the census.

INSEE's IRIS Filosofi file (« DISP ») publishes, per IRIS, the poverty rate
(``DISP_TP60{yy}``), the median (``DISP_MED{yy}``) and the deciles of the
standard of living, but **no count of persons**: neither the exact
re-aggregation of the rate (Σ poor persons / Σ persons) nor the catalogue's
weighted mean of medians (weights: fiscal persons) can be computed. The
approximation :data:`CENSUS_WEIGHTS` weights each unit's published value by
its census population (RP IRIS bases) instead:

.. math:: \hat v_j = \frac{\sum_i w_{ij} p_i v_i}{\sum_i w_{ij} p_i}

with :math:`p_i` the census population of unit :math:`i`. For a rate it is
exact when every unit's fiscal population is proportional to its census
population; for a median or a decile it is a weighted mean of quantiles,
never the zone's quantile. Filosofi and the census are rarely of the same
vintage (Filosofi 2015 is usually paired with the 2016 census): the gap is
accepted up to ``max_vintage_gap`` years and written in the result's
``vintage`` (« 2015 ; pondération : population 2016 »), so that every output
flags it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from territobs.catalog import Indicator, Resolution
from territobs.catalog.kinds import kind_spec
from territobs.errors import MethodError
from territobs.schema import APPROXIMATIONS

__all__ = ["CENSUS_WEIGHTS", "DEFAULT_MAX_VINTAGE_GAP", "census_weighted"]

#: Name of the approximation (value of the ``approximation`` and ``method``
#: columns).
CENSUS_WEIGHTS = "census_population_weights"

#: Largest gap in years accepted by default between the published values and
#: the census population weighting them.
DEFAULT_MAX_VINTAGE_GAP = 2

DESCRIPTION = APPROXIMATIONS[CENSUS_WEIGHTS]


def supports(ind: Indicator) -> bool:
    """Whether :data:`CENSUS_WEIGHTS` applies to an indicator."""
    if ind.variable is None:
        return False
    spec = kind_spec(ind.kind)
    return not spec.aggregable or (spec.published_rate and ind.published_as_ratio)


def census_weighted(
    ind: Indicator,
    catalog: Any,
    territory: pd.DataFrame,
    *,
    vintage: str | int | None = None,
    max_vintage_gap: int = DEFAULT_MAX_VINTAGE_GAP,
) -> tuple[Indicator, Resolution, str]:
    """Return the indicator, columns and vintage text of the approximation.

    Parameters
    ----------
    ind : Indicator
        A median, a quantile or a rate published without numerator.
    catalog : territobs.catalog.Catalog
        Gives the published value's columns and the census ``population``.
    territory : pandas.DataFrame
        The units, with both.
    vintage : str or int, optional
        Vintage of the published values (default: the most recent).
    max_vintage_gap : int, default 2
        Largest gap in years accepted between the values and the census.

    Returns
    -------
    tuple
        The indicator as computed (its weight or denominator replaced by
        the census population), its :class:`~territobs.catalog.Resolution`,
        and the vintage text (« 2015 ; pondération : population 2016 »).

    Raises
    ------
    MethodError
        The indicator does not fit the approximation, a column is absent,
        or the vintages are further apart than ``max_vintage_gap``.
    """
    if not supports(ind):
        raise MethodError(
            f"indicateur « {ind.id} » ({ind.kind}) : l'approximation "
            f"« {CENSUS_WEIGHTS} » ne vaut que pour une médiane, un quantile ou "
            "un taux publié sans numérateur.",
            indicator=ind.id,
        )
    values = catalog.resolve(
        replace(
            ind,
            kind="count",
            numerator=None,
            denominator=None,
            weight=None,
            published_as_ratio=False,
        ),
        territory,
        vintage=vintage,
    )
    population = catalog.resolve("population", territory)
    v_values, v_census = values.vintage, population.vintage
    if v_values and v_census and v_values.isdigit() and v_census.isdigit():
        gap = abs(int(v_values) - int(v_census))
        if gap > max_vintage_gap:
            raise MethodError(
                f"indicateur « {ind.id} » : valeurs de {v_values} et population du "
                f"recensement de {v_census}, écart de {gap} ans au-delà du maximum "
                f"admis ({max_vintage_gap} ; max_vintage_gap pour l'élargir).",
                indicator=ind.id,
                vintages={"values": v_values, "census": v_census},
            )
    if not kind_spec(ind.kind).aggregable:
        computed = replace(ind, weight="population")
        roles = {
            "value": values.columns["value"],
            "weight": population.columns["value"],
        }
    else:
        computed = replace(ind, denominator="population")
        roles = {
            "rate": values.columns["value"],
            "denominator": population.columns["value"],
        }
    text = v_values or ""
    if v_census and v_census != v_values:
        text = f"{text} ; pondération : population {v_census}".strip(" ;")
    return computed, Resolution(ind.id, roles, v_values), text
