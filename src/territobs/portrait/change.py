r"""Portraits of change: one zone's evolution beside its references.

A portrait of change shows, for each indicator of an evolution table
(:func:`territobs.zoning.evolution.evolution`), the zone's value at both
vintages and the change — absolute change and annual average growth rate
(TCAM) for counts, change in points for rates and shares — beside the same
figures of its reference territories (its département, the whole territory,
other zones). Nothing is recomputed here: every figure is the one of the
evolution table, so the portrait agrees with the change maps and tables.

Each figure's state is said in French: the state of each end (*secret
statistique*, *donnée manquante*, *partielle* with its coverage) and the
state of the change, which combines both (a change is secret when either end
is, missing when either end has no data). The caption names both vintages
and the geography they were brought to.

:class:`ChangePortrait` is a :class:`~territobs.portrait.Portrait`: it saves,
exports its data and renders through the same model and templates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from territobs.errors import SourceFormatError, format_codes
from territobs.formatting import (
    format_difference,
    format_number,
    format_provenance,
    format_share,
)
from territobs.formatting import format_value as _format_value
from territobs.portrait.model import Cell, Portrait, _row_decimals
from territobs.schema import STATE_LABELS
from territobs.zoning.evolution import EVOLUTION_COLUMNS

__all__ = ["CHANGE_PORTRAIT_COLUMNS", "ChangePortrait", "change_portrait"]

#: Columns of an evolution table a portrait of change needs (the evolution
#: table's figures, from ``zone`` to ``annual_rate``, and its state).
REQUIRED = (
    *EVOLUTION_COLUMNS[: EVOLUTION_COLUMNS.index("annual_rate") + 1],
    "state",
)
#: Columns of :meth:`ChangePortrait.to_frame`, in order.
CHANGE_PORTRAIT_COLUMNS = (
    "role",
    *REQUIRED[:-1],
    "state_start",
    "state_end",
    "state",
    "coverage_label",
    "secret_reason",
    "estimated_share",
    "method",
    "source",
    "geography",
)
_DEFAULTS: dict[str, Any] = {
    "state_start": "",
    "state_end": "",
    "coverage_label": "",
    "secret_reason": "",
    "estimated_share": 0.0,
    "method": "",
    "source": "",
    "geography": "",
}
_MISSING = "donnée manquante"
_SECRET = "secret statistique"


@dataclass(frozen=True, eq=False)
class ChangePortrait(Portrait):
    """A zone's change between two vintages beside its references' change.

    Build it with :func:`change_portrait`. Its fields are those of
    :class:`~territobs.portrait.Portrait` (``table`` holds
    :data:`CHANGE_PORTRAIT_COLUMNS`), plus:

    Parameters
    ----------
    start, end : int
        The two vintages.
    geography : str
        The geography both vintages were brought to (« communes, COG 2024 »).
    """

    start: int = 0
    end: int = 0
    geography: str = ""

    template = "change.html.j2"

    @property
    def period(self) -> str:
        """``"2015-2021"``."""
        return f"{self.start}-{self.end}"

    def rows(self) -> list[tuple[dict[str, Any], list[Cell]]]:
        """Return the lines of the comparison table, cells per column.

        Each indicator gives its value at ``start``, at ``end``, the change
        and, for counts, the annual average growth rate: four (or three)
        lines ``(line, cells)`` whose ``line`` holds ``label`` (the
        indicator's, on its first line only), ``what`` (« 2015 »,
        « Évolution 2015-2021 »...) and ``first`` (a new indicator starts).
        """
        out = []
        for indicator, records in self._by_indicator().items():
            first = records[self.zone] if self.zone in records else None
            first = first or next(iter(records.values()))
            cells: dict[str, list[Cell]] = {
                key: [] for key in ("start", "end", "change", "rate")
            }
            decimals = _row_decimals(
                [
                    {**r, "value": r[f"value_{end}"], "secret": False}
                    for r in records.values()
                    for end in ("start", "end")
                ]
            )
            change_decimals = _change_decimals(records.values())
            for ident, _, _ in self.columns:
                record = records.get(ident)
                if record is None:
                    for key in cells:
                        cells[key].append(Cell("non disponible"))
                    continue
                cells["start"].append(_end_cell(record, "start", decimals))
                cells["end"].append(_end_cell(record, "end", decimals))
                cells["change"].append(_change_cell(record, change_decimals))
                cells["rate"].append(_rate_cell(record))
            unit = str(first["unit"] or "")
            lines = [
                ("start", f"{self.start}", unit),
                ("end", f"{self.end}", unit),
                ("change", f"Évolution {self.period}", _change_unit(first)),
            ]
            if str(first["kind"]) == "count":
                lines.append(("rate", "Taux de croissance annuel moyen", "%"))
            for n, (key, what, line_unit) in enumerate(lines):
                line = {
                    "indicator": indicator,
                    "label": first["label"],
                    "what": what,
                    "unit": line_unit,
                    "first": n == 0,
                    "span": len(lines),
                    "change": key in ("change", "rate"),
                }
                out.append((line, cells[key]))
        return out

    def key_figures(self) -> list[dict[str, Any]]:
        """Return the zone's change of each indicator, with its references'.

        Each figure has the change (``text``), both values (``ends``), the
        states said in French (``states``: each end's that is not a value,
        then the change's), the change of each reference (``gaps``) and a
        bar chart (inline SVG) of the zone's change beside its references'
        — changes in points for rates, annual average growth rates for
        counts (comparable whatever the zones' sizes).
        """
        from territobs.portrait.graphics import bar_chart_svg

        figures = []
        for records in self._by_indicator().values():
            own = records.get(self.zone)
            if own is None:
                continue
            change_decimals = _change_decimals(records.values())
            decimals = _row_decimals(
                [
                    {**r, "value": r[f"value_{end}"], "secret": False}
                    for r in records.values()
                    for end in ("start", "end")
                ]
            )
            count = str(own["kind"]) == "count"
            gaps, bars = [], []
            for ident, name, _role in self.columns:
                record = records.get(ident)
                if record is None:
                    continue
                text = _change_cell(record, change_decimals).text
                if count and _shown(record) and _finite(record["annual_rate"]):
                    text += f" ({_rate_text(record)} par an)"
                if ident != self.zone:
                    gaps.append((name, text))
                value = record["annual_rate"] if count else record["change"]
                bar_text = (
                    _rate_text(record)
                    if count
                    else _change_cell(record, change_decimals).text
                )
                bars.append(
                    (
                        name,
                        float(value) if _shown(record) and _finite(value) else None,
                        bar_text,
                        ident == self.zone,
                    )
                )
            cell = _change_cell(own, change_decimals)
            figures.append(
                {
                    "label": own["label"],
                    "text": cell.text,
                    "secret": cell.secret,
                    "rate": _rate_text(own) if count and _shown(own) else "",
                    "ends": [
                        (str(year), _end_cell(own, end, decimals).text)
                        for year, end in ((self.start, "start"), (self.end, "end"))
                    ],
                    "states": _state_lines(own, self.start, self.end),
                    "gaps": gaps,
                    "chart_label": (
                        "Taux de croissance annuel moyen" if count else "Évolution"
                    ),
                    "chart": bar_chart_svg(bars),
                }
            )
        return figures

    def sources(self) -> list[str]:
        """Return the French lines of sources, naming both vintages."""
        firsts: dict[str, dict[str, Any]] = {}
        for row in self._records():
            firsts.setdefault(row["indicator"], row)
        years = f"{self.start} et {self.end}"
        return [
            f"{row['label']} : "
            + (format_provenance(row["source"], "") or "source non renseignée")
            + f", millésimes {years}"
            for row in firsts.values()
        ]

    def method_lines(self) -> list[str]:
        """French lines saying how the changes were computed (the method note)."""
        kinds = {str(r["kind"]) for r in self._records()}
        units = {str(r["change_unit"]) for r in self._records()}
        where = f" ({self.geography})" if self.geography else ""
        lines = [
            f"Évolution entre {self.start} et {self.end} : les deux millésimes "
            f"sont ramenés à la même géographie{where}, et chaque valeur est "
            "recalculée sur chaque territoire à partir des données de son millésime."
        ]
        if "points" in units:
            lines.append(
                "Taux et parts : évolution en points, différence des deux taux "
                "recalculés (somme des numérateurs / somme des dénominateurs), "
                "jamais une moyenne de taux."
            )
        if "count" in kinds:
            lines.append(
                "Effectifs : évolution absolue et taux de croissance annuel moyen "
                f"sur {self.end - self.start} ans."
            )
        shares = [float(r["estimated_share"]) for r in self._records()]
        share = max((s for s in shares if not math.isnan(s)), default=0.0)
        if share > 0:
            lines.append(
                "Valeurs estimées pour les unités coupées par un territoire : "
                f"jusqu'à {round(100 * share)} % de la valeur, aux deux millésimes."
            )
        lines.append(
            "Une évolution est « secret statistique » dès qu'une de ses deux "
            "valeurs l'est (publiée à côté de l'autre, elle la révélerait), "
            "« donnée manquante » dès qu'une valeur manque, « partielle » dès "
            "qu'une valeur ne couvre qu'une partie du territoire."
        )
        return lines

    def _by_indicator(self) -> dict[str, dict[str, dict[str, Any]]]:
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for record in self._records():
            out.setdefault(record["indicator"], {})[record["zone"]] = record
        return out

    def __repr__(self) -> str:
        names = ", ".join(name for _, name, _ in self.columns[1:])
        n = self.table["indicator"].nunique()
        return (
            f"<ChangePortrait « {self.title} » {self.period} : {n} indicateurs, "
            f"références : {names}>"
        )


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _shown(record: Mapping[str, Any]) -> bool:
    return str(record["state"]) in ("value", "partial")


def _change_unit(record: Mapping[str, Any]) -> str:
    unit = str(record["change_unit"] or "")
    return "points" if unit == "points" else unit


def _change_decimals(records: Any) -> int:
    """Decimals of a change row: those of the ends (one for points)."""
    records = list(records)
    first = records[0]
    if str(first["change_unit"]) == "points":
        return 1
    values = [
        float(r[f"value_{end}"])
        for r in records
        for end in ("start", "end")
        if _finite(r[f"value_{end}"])
    ]
    if not values:  # both ends secret or missing at every territory shown
        return 0
    row = _row_decimals([{**first, "value": v, "secret": False} for v in values])
    return 0 if row is None else row


def _end_cell(record: Mapping[str, Any], end: str, decimals: int | None) -> Cell:
    """Value of one end: secret and missing said, partial flagged."""
    state = str(record.get(f"state_{end}") or "")
    value = record[f"value_{end}"]
    if state == "secret" or (str(record["state"]) == "secret" and not _finite(value)):
        return Cell(_SECRET, secret=True)
    unit = str(record["unit"] or "")
    shown_unit = unit if unit in ("%", "€") else None
    if decimals is None:
        decimals = 0
    text = _format_value(
        float(value) if _finite(value) else None, shown_unit, decimals, missing=_MISSING
    )
    flags = ("partielle",) if state == "partial" else ()
    return Cell(text, flags)


def _change_cell(record: Mapping[str, Any], decimals: int) -> Cell:
    """Format the change: signed, in points for rates; secret and missing said."""
    state = str(record["state"])
    if state == "secret":
        return Cell(_SECRET, secret=True)
    if state == "missing" or not _finite(record["change"]):
        return Cell(_MISSING)
    unit = _change_unit(record)
    value = float(record["change"])
    if unit == "points":
        text = format_difference(value, "%", decimals)
    else:
        text = format_difference(value, unit if unit in ("%", "€") else None, decimals)
    flags = ["partielle"] if state == "partial" else []
    share = float(record.get("estimated_share") or 0.0)
    if share > 0:  # the larger estimated share of the two ends
        flags.append(f"estimé ({format_share(share)})")
    return Cell(text, tuple(flags))


def _rate_cell(record: Mapping[str, Any]) -> Cell:
    state = str(record["state"])
    if state == "secret":
        return Cell(_SECRET, secret=True)
    if not _shown(record) or not _finite(record["annual_rate"]):
        return Cell(_MISSING if state == "missing" else "non calculable")
    return Cell(_rate_text(record), ("partielle",) if state == "partial" else ())


def _rate_text(record: Mapping[str, Any]) -> str:
    """Annual average growth rate: ``+1,2 %``."""
    value = record["annual_rate"]
    if not _finite(value):
        return "non calculable"
    value = float(value)
    text = format_number(value, 1) + "\xa0%"
    return "+" + text if value > 0 and format_number(value, 1).strip("0,") else text


def _state_lines(record: Mapping[str, Any], start: int, end: int) -> list[str]:
    """French states of both ends (when not a plain value) and of the change."""
    lines = []
    for year, which in ((start, "start"), (end, "end")):
        state = str(record.get(f"state_{which}") or "")
        if state and state != "value":
            words = STATE_LABELS.get(state, state)  # type: ignore[call-overload]
            lines.append(f"{year} : {words}")
    state = str(record["state"])
    if state != "value":
        words = STATE_LABELS.get(state, state)  # type: ignore[call-overload]
        text = f"évolution : {words}"
        if state in ("partial", "missing") and record["coverage_label"]:
            text += f" ({record['coverage_label']})"
        if state == "secret" and record["secret_reason"]:
            text += f" ({record['secret_reason']})"
        lines.append(text)
    return lines


def change_portrait(
    table: pd.DataFrame | Sequence[pd.DataFrame],
    zone: str,
    references: Sequence[str] | None = None,
    *,
    indicators: Sequence[str] | None = None,
    reference_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    note: str = "",
) -> ChangePortrait:
    r"""Build the portrait of change of one zone between two vintages.

    Parameters
    ----------
    table : DataFrame or sequence of DataFrame
        Evolution table(s) (:func:`territobs.zoning.evolution.evolution`,
        :data:`~territobs.zoning.evolution.EVOLUTION_COLUMNS`) holding the
        rows of ``zone`` and of every reference, all between the same two
        vintages — e.g. the tables of :func:`~territobs.zoning.evolution.evolutions`
        on the zones and on their reference territories, published together.
    zone : str
        The zone described.
    references : sequence of str, optional
        Zone ids of ``table`` shown beside it, in that order (its
        département, the whole territory, other zones...).
    indicators : sequence of str, optional
        Indicators shown, in that order (default: all of the zone's).
    reference_labels : mapping, optional
        Zone id → role shown above the name (``{"93": "Département"}``).
    title : str, optional
        Page title (default: the zone name).
    note : str, optional
        Free text shown under the title.

    Returns
    -------
    ChangePortrait
        With :meth:`~territobs.portrait.Portrait.to_html`,
        :meth:`~territobs.portrait.Portrait.to_frame` (:data:`CHANGE_PORTRAIT_COLUMNS`)
        and :meth:`~territobs.portrait.Portrait.save`.

    Raises
    ------
    SourceFormatError
        ``table`` is not an evolution table (a column is absent), or it mixes
        several pairs of vintages or geographies.
    ZoneError
        ``zone`` or a reference has no row in ``table`` (``codes``).

    Notes
    -----
    Secret values are NaN in :meth:`~territobs.portrait.Portrait.to_frame`
    whatever the input held: a change whose state is ``secret`` hides both
    ends and the change, as the evolution table does.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({
    ...     "zone": ["a", "dep"], "zone_name": ["Zone A", "Département"],
    ...     "indicator": "unemployment_rate", "label": "Taux de chômage",
    ...     "kind": "ratio", "unit": "%", "start": 2015, "end": 2021,
    ...     "value_start": [12.0, 11.0], "value_end": [14.5, 11.5],
    ...     "change": [2.5, 0.5], "change_unit": "points",
    ...     "annual_rate": float("nan"), "state": "value"})
    >>> p = change_portrait(ev, "a", references=["dep"])
    >>> [f["text"] for f in p.key_figures()]
    ['+2,5\xa0points']
    >>> p.key_figures()[0]["gaps"]
    [('Département', '+0,5\xa0point')]
    """
    from territobs.portrait.model import _layout

    frame = (
        table
        if isinstance(table, pd.DataFrame)
        else pd.concat(list(table), ignore_index=True)
    )
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise SourceFormatError(
            f"table d'évolution : colonne{'s' if len(missing) > 1 else ''} "
            f"{format_codes(missing)} absente{'s' if len(missing) > 1 else ''} "
            "(un résultat de territobs.evolution est attendu)",
            column=missing[0],
            expected=list(REQUIRED),
        )
    zone = str(zone)
    refs = [str(r) for r in (references or ())]
    chosen = frame[frame["zone"].astype(str).isin([zone, *refs]).to_numpy()]
    periods = sorted(
        {(int(s), int(e)) for s, e in zip(chosen["start"], chosen["end"], strict=True)}
    )
    geographies = sorted({str(g) for g in chosen.get("geography", pd.Series([""]))})
    geographies = [g for g in geographies if g and g != "nan"]
    if len(periods) > 1 or len(geographies) > 1:
        what = periods if len(periods) > 1 else geographies
        raise SourceFormatError(
            "table d'évolution : le portrait compare une seule période sur une "
            f"seule géographie ; la table en mêle plusieurs : {format_codes(what)}",
            column="start" if len(periods) > 1 else "geography",
        )
    by_zone = _by_zone_change(chosen)
    rows, columns = _layout(by_zone, zone, refs, indicators, reference_labels)
    out = _typed(rows)
    start, end = periods[0] if periods else (0, 0)
    return ChangePortrait(
        zone=zone,
        title=title or columns[0][1],
        table=out,
        columns=columns,
        note=note,
        records=tuple(
            {str(k): v for k, v in r.items()} for r in out.to_dict("records")
        ),
        start=start,
        end=end,
        geography=geographies[0] if geographies else "",
    )


def _by_zone_change(frame: pd.DataFrame) -> dict[str, dict[str, dict[str, Any]]]:
    kept = [c for c in CHANGE_PORTRAIT_COLUMNS if c != "role" and c in frame.columns]
    by_zone: dict[str, dict[str, dict[str, Any]]] = {}
    for row in frame[kept].astype(object).to_dict("records"):
        record: dict[str, Any] = {**_DEFAULTS, **{str(k): v for k, v in row.items()}}
        record["zone"] = str(record["zone"])
        found = by_zone.setdefault(record["zone"], {})
        found.setdefault(str(record["indicator"]), record)
    return by_zone


def _typed(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Tidy table of the portrait; the figures of a secret change are NaN."""
    table = pd.DataFrame.from_records(rows, columns=list(CHANGE_PORTRAIT_COLUMNS))
    secret = table["state"].astype(str).eq("secret").to_numpy()
    for column in (
        "value_start",
        "value_end",
        "change",
        "annual_rate",
        "estimated_share",
    ):
        table[column] = table[column].astype(float)
    for column in ("value_start", "value_end", "change", "annual_rate"):
        table.loc[secret, column] = np.nan
    for end in ("start", "end"):
        hidden = table[f"state_{end}"].astype(str).eq("secret").to_numpy()
        table.loc[hidden, f"value_{end}"] = np.nan
    for column in ("start", "end"):
        table[column] = table[column].astype(int)
    text = [c for c in CHANGE_PORTRAIT_COLUMNS if table[c].dtype == object]
    for column in text:
        table[column] = table[column].fillna("").astype(str)
    return table
