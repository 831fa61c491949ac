"""Per-unit values of a catalogue count (the weight of moves, splits, access)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from territobs.catalog import Indicator, default_catalog
from territobs.catalog.kinds import is_count
from territobs.errors import MethodError, format_codes
from territobs.formatting import count_of

if TYPE_CHECKING:
    from territobs.catalog import Catalog

__all__ = ["unit_values"]


def unit_values(
    territory: pd.DataFrame,
    indicator: str | Indicator = "population",
    *,
    catalog: Catalog | None = None,
    allow_missing: bool = False,
) -> pd.Series:
    """Value of a count indicator for each unit, read through the catalogue.

    Parameters
    ----------
    territory : pandas.DataFrame
        Units with ``code`` and the columns the indicator needs.
    indicator : str or Indicator, default "population"
        A count of the catalogue (``"population"`` finds
        ``population_municipale``, ``P21_POP``...), or a column of the
        territory read as is.
    catalog : Catalog, optional
        Default :func:`~territobs.catalog.default_catalog`.
    allow_missing : bool, default False
        Keep NaN (missing or secret units) instead of raising.

    Returns
    -------
    pandas.Series
        Unit code → value (float).

    Raises
    ------
    MethodError
        The indicator is not a count, or units have no value (their codes
        are on ``error.codes``).

    Examples
    --------
    >>> t = pd.DataFrame({"code": ["01001", "01002"], "P21_POP": [800.0, 250.0]})
    >>> unit_values(t).tolist()
    [800.0, 250.0]
    """
    codes = pd.Index(territory["code"].astype(object), name="code")
    if isinstance(indicator, str) and indicator in territory.columns:
        values = pd.to_numeric(territory[indicator], errors="coerce").astype(float)
        label = indicator
    else:
        catalog = catalog if catalog is not None else default_catalog()
        ind = catalog.get(indicator)
        if not is_count(ind.kind):
            raise MethodError(
                f"« {ind.id} » n'est pas un effectif (type « {ind.kind} ») : les "
                "équilibres, déplacements et accès se mesurent sur des effectifs "
                "(population, allocataires…).",
                codes=[ind.id],
            )
        columns = catalog.resolve(ind, territory).columns["value"]
        values = sum(
            (territory[c].astype(float) for c in columns),
            start=pd.Series(0.0, index=territory.index),
        )
        label = ind.id
    values = pd.Series(values.to_numpy(dtype=float), index=codes, name=label)
    missing = np.isnan(values.to_numpy())
    if missing.any() and not allow_missing:
        bad = codes[missing].tolist()
        raise MethodError(
            f"« {label} » : {count_of(len(bad), 'unité')} sans valeur "
            f"({format_codes(bad)}) ; complétez-les ou retirez-les du territoire.",
            codes=bad,
        )
    return values
