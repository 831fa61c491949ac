"""Stage *tables*: CSV and XLSX tables of published figures."""

from __future__ import annotations

from typing import Any

import pandas as pd

from territobs.atlas.cache import atomic_path
from territobs.atlas.dag import BuildContext, Step, StepId, StepProduct
from territobs.atlas.steps.zones import PARTIAL_COLUMN


def _run_table(step: Step, context: BuildContext) -> StepProduct:
    result = context.load(StepId("secrecy", part=step.target))
    files = {}
    formats = step.params["formats"]
    if "csv" in formats:
        files["csv"] = f"tables/{step.target}.csv"
        from territobs.io.spreadsheet import to_csv
        from territobs.schema import STATE_WORDS_COLUMN, state_words

        table = result.assign(**{STATE_WORDS_COLUMN: state_words(result).to_numpy()})
        with atomic_path(context.path(files["csv"])) as temp:
            to_csv(table, temp, index=False, encoding="utf-8")
    if "xlsx" in formats:
        from territobs.atlas.tables import write_xlsx

        files["xlsx"] = f"tables/{step.target}.xlsx"
        notes = _partial_notes(context.load(StepId("zones", step.target)))
        with atomic_path(context.path(files["xlsx"])) as temp:
            write_xlsx(result, temp, notes=notes)
    return StepProduct(None, files)


def _partial_notes(zones: pd.DataFrame) -> dict[str, str]:
    """French note of each zone only partly in the atlas's data (by zone id)."""
    from territobs.formatting import count_of

    notes: dict[str, Any] = {}
    if PARTIAL_COLUMN not in zones.columns:
        return notes
    for zone, members, total in zip(
        zones["zone"].astype(str),
        zones["members"],
        zones[PARTIAL_COLUMN].fillna(0).astype(int),
        strict=True,
    ):
        if total > 0:
            notes[zone] = (
                f"partie seulement ({count_of(len(members or ()), 'commune')} sur "
                f"{int(total)}) : les autres communes sont hors des données de "
                "l'atlas, les valeurs ne portent que sur cette partie"
            )
    return notes
