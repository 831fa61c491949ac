"""Portrait of a territory: one zone's indicators beside its references.

Why one module of ~720 lines: the :class:`Portrait` value, its one cell
formatting (gaps to references, decimals per row) and the two builders
(:func:`portrait`, :func:`portraits`) that fill it; rendering is in
:mod:`territobs.portrait.render`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from territobs.catalog.kinds import is_count
from territobs.errors import SourceFormatError, ZoneError, format_codes
from territobs.formatting import (
    decimals_for,
    format_date,
    format_provenance,
    format_share,
)
from territobs.formatting import format_value as _format_value
from territobs.schema import APPROXIMATION_SHORT

__all__ = ["PORTRAIT_COLUMNS", "Portrait", "portrait", "portraits"]

#: Columns of the result table a portrait needs (see the tidy result contract).
REQUIRED = ("zone", "zone_name", "indicator", "label", "unit", "value")
#: Columns of :meth:`Portrait.to_frame`, in order.
PORTRAIT_COLUMNS = (
    "role",
    "zone",
    "zone_name",
    "indicator",
    "label",
    "kind",
    "unit",
    "value",
    "secret",
    "estimated_share",
    "incomplete",
    "method",
    "approximation",
    "source",
    "vintage",
    "state",
    "coverage_label",
)
#: Units repeated after each figure (others are shown once, in the row header).
_UNITS_IN_CELLS = ("%", "€")
#: Text of a missing value in a portrait cell.
_MISSING = "donnée manquante"
_DEFAULTS: dict[str, Any] = {
    "kind": "",
    "secret": False,
    "estimated_share": 0.0,
    "incomplete": False,
    "method": "",
    "approximation": "",
    "source": "",
    "vintage": "",
    "state": "",
    "coverage_label": "",
}


def _blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, float) and np.isnan(value))
        or (str(value).strip().lower() in ("", "nan", "none"))
    )


@dataclass(frozen=True)
class Cell:
    """One formatted cell of the portrait table (what the HTML shows)."""

    text: str
    flags: tuple[str, ...] = ()
    secret: bool = False


@dataclass(frozen=True, eq=False)
class Portrait:
    """A zone's indicators beside those of its reference territories.

    Build it with :func:`portrait`.

    Parameters
    ----------
    zone : str
        Zone id.
    title : str
        French title (default: the zone name).
    table : pandas.DataFrame
        Tidy rows (one per territory × indicator), columns
        :data:`PORTRAIT_COLUMNS`; secret values are NaN.
    columns : tuple of (str, str, str)
        ``(zone id, zone name, role label)`` of each column, zone first.
    generated : str
        Production date (ISO ``2026-11-23``), shown in French in the footer
        (« 23 novembre 2026 », :attr:`generated_text`).
    note : str
        Free text shown under the title.
    back_link : str
        Relative address of the atlas index: the page then starts with a
        discreet « ← Retour à l'atlas » link (set by the atlas).
    see_also : tuple of (str, str)
        ``(French label, relative address)`` of related pages shown beside
        the back link (a zone's portrait of change, and back), set by the
        atlas.
    locator : str
        Inline SVG of the zone in its territory
        (:func:`territobs.portrait.graphics.locator_svg`); "" for none.
    members : tuple of (str, str, float)
        The zone's units: code, name and the share of the unit in the zone
        (1 for a whole unit, less for a unit the zone cuts).
    members_label : str
        What the units are, plural (« Communes », « IRIS »).
    records : tuple of dict, optional
        The rows of ``table`` as dicts (a cache for rendering).
    csv : str, optional
        ``table`` as CSV text (a cache for :meth:`save`).
    """

    zone: str
    title: str
    table: pd.DataFrame
    columns: tuple[tuple[str, str, str], ...]
    generated: str = field(default_factory=lambda: dt.date.today().isoformat())
    note: str = ""
    records: tuple[dict[str, Any], ...] = field(default=(), repr=False)
    csv: str = field(default="", repr=False)
    back_link: str = ""
    see_also: tuple[tuple[str, str], ...] = ()
    locator: str = field(default="", repr=False)
    members: tuple[tuple[str, str, float], ...] = ()
    members_label: str = "Unités"

    @property
    def generated_text(self) -> str:
        """The production date in French: « 23 novembre 2026 »."""
        try:
            return format_date(dt.date.fromisoformat(self.generated))
        except ValueError:  # free text given by the caller: shown as is
            return self.generated

    def _records(self) -> tuple[dict[str, Any], ...]:
        return self.records or tuple(_records(self.table))

    def to_frame(self) -> pd.DataFrame:
        """Return the data of the portrait (tidy; secret values are NaN).

        Returns
        -------
        pandas.DataFrame
            One row per territory × indicator, columns :data:`PORTRAIT_COLUMNS`.
        """
        return self.table.copy()

    def rows(self) -> list[tuple[dict[str, Any], list[Cell]]]:
        """Return the indicator rows, each with one formatted :class:`Cell` per column."""
        cells_of: dict[tuple[str, str], dict[str, Any]] = {}
        order: dict[str, dict[str, Any]] = {}
        for record in self._records():
            cells_of[(record["indicator"], record["zone"])] = record
            order.setdefault(record["indicator"], record)
        out = []
        for indicator, first in order.items():
            records = [cells_of.get((indicator, zone)) for zone, _, _ in self.columns]
            decimals = _row_decimals([r for r in records if r is not None])
            cells = [
                Cell("non disponible") if r is None else _cell(r, decimals)
                for r in records
            ]
            out.append((first, cells))
        return out

    def sources(self) -> list[str]:
        """Return the French lines of sources and vintages, each said once.

        One line per indicator, ``"Label : source, millésime 2021"`` when
        the vintage is a year; a vintage written as text (the demo data's
        « Population municipale : millésime 2017 ; contours : COG 2024 »),
        shared by several indicators, gets one line of its own,
        « Millésimes : … », instead of being repeated after each source.
        """
        firsts: dict[str, dict[str, Any]] = {}
        for row in self._records():
            firsts.setdefault(row["indicator"], row)
        texts = [
            v
            for v in dict.fromkeys(str(r["vintage"]).strip() for r in firsts.values())
            if v and not _is_years(v)
        ]
        lines = []
        for row in firsts.values():
            vintage = str(row["vintage"]).strip()
            if vintage in texts:
                source = "" if _blank(row["source"]) else str(row["source"]).strip()
                if len(texts) > 1:
                    source = format_provenance(source, vintage)
            else:
                source = format_provenance(row["source"], vintage)
            lines.append(f"{row['label']} : {source or 'source non renseignée'}")
        if len(texts) == 1:
            lines.append(f"Millésimes : {_lower_first(texts[0])}")
        return lines

    def header_groups(self) -> list[tuple[str, int]]:
        """Return the column roles with their span: a role said once.

        Five neighbouring communes compared with a PST share one « Communes
        de Seine-Saint-Denis » header spanning their five columns.
        """
        groups: list[tuple[str, int]] = []
        for _, _, role in self.columns:
            if groups and groups[-1][0] == role:
                groups[-1] = (role, groups[-1][1] + 1)
            else:
                groups.append((role, 1))
        return groups

    def key_figures(self) -> list[dict[str, Any]]:
        """Return the zone's key figures with their gap to each reference.

        Each figure has its value, its state (:data:`territobs.schema.STATE_LABELS`),
        coverage and flags, the gap to each reference said the way it reads
        (points for a rate, a share or a ratio for a count, a relative gap
        otherwise), and a small bar chart (inline SVG) of the zone beside
        its references (not for counts, whose sizes differ by orders of
        magnitude).
        """
        from territobs.portrait.graphics import bar_chart_svg
        from territobs.schema import STATE_LABELS

        figures = []
        for first, cells in self.rows():
            indicator = first["indicator"]
            records = {
                r["zone"]: r for r in self._records() if r["indicator"] == indicator
            }
            own = records.get(self.zone)
            if own is None:
                continue
            state = str(own.get("state") or "")
            decimals = _row_decimals(list(records.values()))
            gaps = []
            bars = []
            for (ident, name, _role), cell in zip(self.columns, cells, strict=True):
                record = records.get(ident)
                value = _number(record)
                bars.append((name, value, cell.text, ident == self.zone))
                if ident == self.zone or record is None:
                    continue
                gaps.append((name, _gap(own, record, decimals)))
            kind = str(first.get("kind") or "")
            figures.append(
                {
                    "label": first["label"],
                    "unit": first["unit"],
                    "text": cells[0].text,
                    "flags": cells[0].flags,
                    "secret": cells[0].secret,
                    "state": STATE_LABELS.get(state, ""),  # type: ignore[call-overload]
                    # coverage qualifies a partial value, never a secret one
                    "coverage": str(own.get("coverage_label") or "")
                    if state == "partial"
                    else "",
                    "gaps": gaps,
                    "chart": "" if is_count(kind) else bar_chart_svg(bars),
                }
            )
        return figures

    def to_html(self) -> str:
        """Render the portrait as one self-contained HTML page (French).

        Returns
        -------
        str
            HTML with inline CSS (print rules included, so the browser's
            « Imprimer » gives a clean PDF); names from the data are escaped.
        """
        from territobs.portrait.render import render_portrait

        return render_portrait(self)

    def save(
        self, folder: str | os.PathLike[str], stem: str | None = None
    ) -> dict[str, Path]:
        """Write ``<stem>.html`` and ``<stem>.csv`` into ``folder`` (atomically).

        Parameters
        ----------
        folder : path-like
            Created if needed.
        stem : str, optional
            File name without suffix (default: the zone id).

        Returns
        -------
        dict
            ``{"html": path, "csv": path}``.
        """
        from territobs.atlas.cache import atomic_write_text

        folder = Path(folder)
        stem = stem or _safe_stem(self.zone)
        paths = {"html": folder / f"{stem}.html", "csv": folder / f"{stem}.csv"}
        atomic_write_text(paths["html"], self.to_html())
        from territobs.io.spreadsheet import to_csv

        atomic_write_text(
            paths["csv"], self.csv or to_csv(self.table, index=False) or ""
        )
        return paths

    def _repr_html_(self) -> str:
        from territobs.portrait.render import render_portrait

        return render_portrait(self, fragment=True)

    def __repr__(self) -> str:
        names = ", ".join(name for _, name, _ in self.columns[1:])
        n = self.table["indicator"].nunique()
        return f"<Portrait « {self.title} » : {n} indicateurs, références : {names}>"


def _safe_stem(zone: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(zone))


def _is_years(text: str) -> bool:
    return all(part.strip().isdigit() for part in text.split(","))


def _lower_first(text: str) -> str:
    """« Population municipale : … » → « population municipale : … » (not « COG »)."""
    return text[0].lower() + text[1:] if text[1:2].islower() else text


def _row_decimals(records: Sequence[Mapping[str, Any]]) -> int | None:
    """Decimals of one indicator row: the same for every territory shown.

    The row's published values go through the one decimals policy
    (:func:`territobs.formatting.decimals_for`, also used by tables and
    maps): a row mixing « 85,5 » and « 112 » reads badly. None when the row
    has no value.
    """
    values = []
    for record in records:
        if bool(record["secret"]):
            continue
        try:
            value = float(record["value"])
        except (TypeError, ValueError):
            continue
        if not np.isnan(value):
            values.append(value)
    if not values:
        return None
    first = records[0]
    unit, kind = str(first["unit"] or ""), str(first["kind"] or "")
    return decimals_for(values, unit, kind)


def _number(record: Mapping[str, Any] | None) -> float | None:
    """Return the published value of a record, None when secret or missing."""
    if record is None or bool(record["secret"]):
        return None
    try:
        value = float(record["value"])
    except (TypeError, ValueError):
        return None
    return None if np.isnan(value) else value


def _gap(own: Mapping[str, Any], other: Mapping[str, Any], decimals: int | None) -> str:
    r"""French gap between the zone's figure and a reference's.

    Rates (``%``) differ by points; counts are a share of the reference
    (« 3,1 % de … ») or a ratio when larger (« 2,4 fois »); other figures
    (densities, medians) by a relative gap (« +12 % »).

    Examples
    --------
    >>> rec = lambda v, u="%", k="ratio": {"value": v, "secret": False,
    ...                                    "unit": u, "kind": k}
    >>> _gap(rec(30.0), rec(27.5), 1)
    '+2,5\xa0points'
    >>> _gap(rec(500.0, "habitants", "count"), rec(10000.0, "habitants", "count"), 0)
    '5,0\xa0% du total'
    >>> _gap(rec(5749.0, "hab./km²"), rec(6941.0, "hab./km²"), 0)
    '-17\xa0%'
    """
    from territobs.formatting import format_difference, format_number

    a, b = _number(own), _number(other)
    if a is None or b is None:
        return "écart non calculable"
    unit = str(own.get("unit") or "")
    kind = str(own.get("kind") or "")
    if unit in ("%", "‰"):
        return format_difference(a - b, unit, 1 if decimals is None else decimals)
    if b == 0:
        return "écart non calculable"
    if is_count(kind):
        if 0 <= a <= b:
            share = 100 * a / b
            digits = 1 if share < 10 else 0
            return f"{format_number(share, digits)}\xa0% du total"
        return f"{format_number(a / b, 1)} fois"
    return format_difference(100 * (a - b) / abs(b), None, 0) + "\xa0%"


def _cell(row: Mapping[str, Any], decimals: int | None = None) -> Cell:
    if bool(row["secret"]):
        return Cell("secret statistique", secret=True)
    flags = []
    share = float(row["estimated_share"])
    share = 0.0 if np.isnan(share) else share
    if share > 0:
        flags.append(f"estimé ({format_share(share)})")
    if row["approximation"]:
        name = str(row["approximation"])
        flags.append(f"approximation : {APPROXIMATION_SHORT.get(name, name)}")
    state = str(row.get("state") or "")
    # a partial figure's coverage is said by its state line (key figures) and
    # the portrait's state column; the flag only stays for results without states
    if not state and bool(row["incomplete"]):
        # older results without states: inputs were masked or missing
        flags.append("incomplet (données masquées ou manquantes)")
    unit = row["unit"] if row["unit"] in _UNITS_IN_CELLS else ""
    if decimals is None:
        decimals = _row_decimals([row]) or 0
    text = _format_value(row["value"], unit or None, decimals, missing=_MISSING)
    return Cell(text, tuple(flags))


def _concat(result: pd.DataFrame | Sequence[pd.DataFrame]) -> pd.DataFrame:
    if isinstance(result, pd.DataFrame):
        return result
    frames = list(result)
    if not frames:
        raise ZoneError("aucun tableau de résultats fourni au portrait")
    return pd.concat(frames, ignore_index=True)


def _check_columns(frame: pd.DataFrame) -> None:
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise SourceFormatError(
            f"tableau de résultats : colonne{'s' if len(missing) > 1 else ''} "
            f"{format_codes(missing)} absente{'s' if len(missing) > 1 else ''} "
            "(un résultat de territobs.recompute est attendu)",
            column=missing[0],
            expected=list(REQUIRED),
        )


def portrait(
    result: pd.DataFrame | Sequence[pd.DataFrame],
    zone: str,
    references: Sequence[str] | None = None,
    *,
    indicators: Sequence[str] | None = None,
    reference_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    note: str = "",
) -> Portrait:
    """Build the portrait (« fiche territoire ») of one zone.

    Parameters
    ----------
    result : DataFrame or sequence of DataFrame
        Tidy result table(s) (see ``docs/architecture.md``) holding the rows
        of ``zone`` and of every reference, already through
        :func:`territobs.secrecy.apply_secrecy` when secrecy applies.
    zone : str
        The zone id described.
    references : sequence of str, optional
        Zone ids of ``result`` to show beside it, in that order (its
        circonscription, its département, France...).
    indicators : sequence of str, optional
        Indicators shown, in that order (default: all of the zone's, in the
        order of the result).
    reference_labels : mapping, optional
        Zone id → role shown above the name (``{"93": "Département"}``).
    title : str, optional
        Page title (default: the zone name).
    note : str, optional
        Free text shown under the title.

    Returns
    -------
    Portrait
        With :meth:`~Portrait.to_html`, :meth:`~Portrait.to_frame`,
        :meth:`~Portrait.save`.

    Raises
    ------
    SourceFormatError
        If ``result`` lacks a column of the result contract (``column``).
    ZoneError
        If ``zone`` or a reference has no row in ``result`` (``codes``).

    Notes
    -----
    Nothing is recomputed here: every figure is the one of ``result``, so the
    portrait agrees with the maps and tables built from the same result.
    A secret value is shown as « secret statistique » and is NaN in
    :meth:`~Portrait.to_frame` whatever the input held. A value with
    ``estimated_share`` :math:`s > 0` is flagged « estimé (s %) ».

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({
    ...     "zone": ["a", "dep"], "zone_name": ["Zone A", "Département"],
    ...     "indicator": "population", "label": "Population", "kind": "count",
    ...     "unit": "habitants", "value": [1200.0, 50000.0],
    ...     "estimated_share": [0.35, 0.0], "secret": False,
    ...     "source": "INSEE", "vintage": "2021"})
    >>> p = portrait(res, "a", references=["dep"])
    >>> p.to_frame()[["zone", "value", "estimated_share"]]
      zone    value  estimated_share
    0    a   1200.0             0.35
    1  dep  50000.0             0.00
    """
    frame = _concat(result)
    _check_columns(frame)
    zone = str(zone)
    references = [str(r) for r in (references or ())]
    wanted = [zone, *references]
    zones = frame["zone"].astype(str)
    by_zone = _by_zone(frame[zones.isin(wanted).to_numpy()])
    rows, columns = _layout(by_zone, zone, references, indicators, reference_labels)
    table = _table(rows)
    return Portrait(
        zone=zone,
        title=title or columns[0][1],
        table=table,
        columns=columns,
        note=note,
        records=tuple(_records(table)),
    )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts keyed by column name (the columns are strings)."""
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def _by_zone(frame: pd.DataFrame) -> dict[str, dict[str, dict[str, Any]]]:
    """Group the records of ``frame`` by zone then indicator (first row wins)."""
    columns_kept = [c for c in PORTRAIT_COLUMNS if c != "role" and c in frame.columns]
    by_zone: dict[str, dict[str, dict[str, Any]]] = {}
    for found_record in _records(frame[columns_kept].astype(object)):
        record = {**_DEFAULTS, **found_record}
        found = by_zone.setdefault(str(record["zone"]), {})
        # first row of an indicator wins (as drop_duplicates would)
        found.setdefault(str(record["indicator"]), record)
    return by_zone


def _layout(
    by_zone: Mapping[str, Mapping[str, dict[str, Any]]],
    zone: str,
    references: Sequence[str],
    indicators: Sequence[str] | None,
    reference_labels: Mapping[str, str] | None,
) -> tuple[list[dict[str, Any]], tuple[tuple[str, str, str], ...]]:
    """Return the rows (not yet typed) and columns of the portrait of ``zone``.

    Raises
    ------
    ZoneError
        If ``zone`` or a reference has no record.
    """
    wanted = [zone, *references]
    unknown = [z for z in wanted if not by_zone.get(z)]
    if unknown:
        raise ZoneError(
            f"zone{'s' if len(unknown) > 1 else ''} {format_codes(unknown)} "
            f"absente{'s' if len(unknown) > 1 else ''} du tableau de résultats",
            codes=unknown,
        )
    if indicators is None:
        indicators = list(by_zone[zone])
    labels = dict(reference_labels or {})
    rows, columns = [], []
    for role, ident in [("zone", zone), *(("reference", r) for r in references)]:
        found = by_zone[ident]
        name = str(next(iter(found.values()))["zone_name"])
        role_label = "Territoire" if role == "zone" else labels.get(ident, "Référence")
        columns.append((ident, name, role_label))
    for indicator in indicators:
        for role, (ident, _, _) in zip(
            ["zone"] + ["reference"] * len(references), columns, strict=True
        ):
            record = by_zone[ident].get(indicator)
            if record is not None:
                rows.append({**record, "role": role, "zone": ident})
    return rows, tuple(columns)


def _table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Return the typed tidy table of portrait rows (secret values NaN)."""
    table = pd.DataFrame.from_records(rows, columns=list(PORTRAIT_COLUMNS))
    table["secret"] = table["secret"].fillna(False).astype(bool)
    table["value"] = table["value"].astype(float).where(~table["secret"], np.nan)
    table["estimated_share"] = table["estimated_share"].astype(float)
    table["incomplete"] = table["incomplete"].fillna(False).astype(bool)
    for column in ("kind", "method", "approximation", "source", "vintage", "unit"):
        table[column] = table[column].fillna("").astype(str)
    from territobs.schema import figure_states

    for column in ("state", "coverage_label"):
        table[column] = table[column].fillna("").astype(str)
    derived = figure_states(table.drop(columns="state"))
    table["state"] = table["state"].where(table["state"] != "", derived)
    return table


def portraits(
    result: pd.DataFrame,
    requests: Sequence[tuple[str, Sequence[str], Mapping[str, str] | None]],
) -> list[Portrait]:
    """Build many portraits from one result table (an atlas's zones).

    Equivalent to ``[portrait(result, zone, refs, reference_labels=labels) for
    zone, refs, labels in requests]``, with every portrait's figures typed at
    once and their CSV text prepared in one pass: the portraits of 1,300 zones
    take a few seconds instead of half a minute.

    Parameters
    ----------
    result : pandas.DataFrame
        Tidy result holding the rows of every zone and reference requested.
    requests : sequence of (str, sequence of str, mapping or None)
        ``(zone, references, reference_labels)`` of each portrait.

    Returns
    -------
    list of Portrait
        In the order of ``requests``.

    Raises
    ------
    SourceFormatError
        If ``result`` lacks a column of the result contract.
    ZoneError
        If a zone or a reference has no row in ``result``.
    """
    _check_columns(result)
    by_zone = _by_zone(result)
    every: list[dict[str, Any]] = []
    layouts = []
    for zone, references, labels in requests:
        zone = str(zone)
        refs = [str(r) for r in references]
        rows, columns = _layout(by_zone, zone, refs, None, labels)
        layouts.append((zone, columns, len(every), len(every) + len(rows)))
        every.extend(rows)
    table = _table(every)
    records = _records(table)
    csv_lines = _csv_lines(table)
    out = []
    for zone, columns, start, stop in layouts:
        part = table.iloc[start:stop].reset_index(drop=True)
        csv = ""
        if csv_lines is not None:
            csv = os.linesep.join([csv_lines[0], *csv_lines[1 + start : 1 + stop], ""])
        out.append(
            Portrait(
                zone=zone,
                title=columns[0][1],
                table=part,
                columns=columns,
                records=tuple(records[start:stop]),
                csv=csv,
            )
        )
    return out


def _csv_lines(table: pd.DataFrame) -> list[str] | None:
    """Header then one CSV line per row of ``table`` (None if a cell spans lines).

    Cells are formatted one by one by ``to_csv``, so the lines of a slice of
    ``table`` are those ``to_csv`` writes for the slice alone.
    """
    from territobs.io.spreadsheet import to_csv

    text = to_csv(table, index=False) or ""  # lines end with os.linesep, as in save()
    lines = text.split(os.linesep)
    if len(lines) != len(table) + 2 or lines[-1] != "":
        return None
    return lines[:-1]
