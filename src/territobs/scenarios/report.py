"""One self-contained HTML page comparing the scenarios (works offline).

Side-by-side maps of every scenario on the same classes (drawn by
:func:`territobs.maps.static_map`, so secrecy hatching, French legends and
captions are the ones of every territobs map), the table of figures, the
split reference groups and the units that change zone from the first
scenario. Images are embedded (``data:`` URIs); every name taken from the
data is escaped.
"""

from __future__ import annotations

import base64
import io
import os
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from territobs.formatting import format_number
from territobs.schema import STATE_LABELS

if TYPE_CHECKING:
    from territobs.scenarios.compare import Comparison

__all__ = ["comparison_page"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}
.maps{display:flex;flex-wrap:wrap;gap:1em}.maps figure{margin:0;flex:1 1 320px}
.maps img{width:100%;height:auto;border:1px solid #ddd}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;padding:.2em .5em}
td.n{text-align:right}caption{text-align:left;font-weight:bold;padding:.3em 0}
.note{color:#555;font-size:.9em}
"""


def _png(figure: object) -> str:
    import matplotlib.pyplot as plt

    from territobs.maps.static import file_metadata

    buffer = io.BytesIO()
    figure.savefig(  # type: ignore[attr-defined]
        buffer,
        format="png",
        dpi=110,
        bbox_inches="tight",
        metadata=file_metadata("png"),
    )
    plt.close(figure)  # type: ignore[arg-type]
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def scenario_maps(
    comparison: Comparison,
    indicator: str,
    *,
    sites: object | None = None,
    labels: bool = False,
) -> tuple[list[tuple[str, object]], tuple[str, str]]:
    """Draw one static map per scenario, every map on the same classes.

    Shared by the standalone page and the atlas's comparison page, so both
    show the same classes, secrecy hatching and captions.

    Parameters
    ----------
    comparison : Comparison
    indicator : str
        The indicator mapped.
    sites : geopandas.GeoDataFrame, optional
        Points drawn on every map (« Sites »).
    labels : bool, default False
        Place names on the maps.

    Returns
    -------
    figures : list of (str, matplotlib.figure.Figure)
        Scenario label and its map, in the scenarios' order.
    provenance : (str, str)
        Source and vintage of the indicator.
    """
    from territobs.maps import static_map
    from territobs.maps.layers import Caption, Layer

    names = comparison._indicator_labels()
    values = comparison.zones[indicator].dropna().to_numpy(float)
    breaks = (
        sorted(set(np.quantile(values, [0.2, 0.4, 0.6, 0.8, 1.0]).tolist()))
        if len(values) > 1
        else None
    )
    provenance = comparison.result.drop_duplicates("indicator").set_index("indicator")
    source = str(provenance.loc[indicator, "source"])
    vintage = str(provenance.loc[indicator, "vintage"])
    layer = Layer(indicator, label=names.get(indicator, indicator), breaks=breaks)
    figures: list[tuple[str, object]] = []
    for sid, label in comparison.scenarios.items():
        zones = comparison.zones_of(sid)
        zones[f"{indicator}__secret"] = zones[f"{indicator}__state"].eq("secret")
        figure = static_map(
            zones,
            layer,
            caption=Caption(label, source=source, vintage=vintage),
            figsize=(6.0, 6.0),
            labels=labels,
            points=None if sites is None else [(sites, "Sites")],
        )
        figures.append((label, figure))
    return figures, (source, vintage)


def _cell(value: object) -> str:
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return '<td class="n">—</td>'
        number = float(value)
        decimals = 0 if number.is_integer() or abs(number) >= 10 else 2
        return f'<td class="n">{escape(format_number(number, decimals))}</td>'
    if isinstance(value, int | np.integer | bool | np.bool_):
        return f'<td class="n">{escape(str(value))}</td>'
    return f"<td>{escape(str(value))}</td>"


def moved_units_word(comparison: Comparison) -> str:
    """Return « communes » when the units are communes, else « unités »."""
    units = comparison.units
    levels = set(units["level"].astype(str)) if "level" in units else {"commune"}
    return "communes" if levels <= {"commune", "arrondissement"} else "unités"


def moves_display(moves: pd.DataFrame) -> pd.DataFrame:
    """Return the moves for display: French headers, a unit with no value said.

    A unit whose weight (population...) is absent from the sources reads
    « donnée manquante », never a bare dash.
    """
    from territobs.scenarios._labels import french

    shown = moves.copy()
    if "weight" in shown:
        shown["weight"] = (
            shown["weight"]
            .astype(object)
            .where(shown["weight"].notna(), STATE_LABELS["missing"])
        )
    return french(shown)


def html_table(frame: pd.DataFrame, caption: str) -> str:
    """Render a table as escaped HTML, numbers the French way.

    The table sits in its own horizontal scroll box: a comparison of many
    criteria is wider than a screen, the page itself must not scroll.
    """
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(_cell(v) for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return (
        '<div class="table-box" style="max-width:100%;overflow-x:auto">'
        f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )


def comparison_page(
    comparison: Comparison,
    path: str | os.PathLike[str] | None = None,
    *,
    title: str | None = None,
    indicator: str | None = None,
    max_moves: int = 200,
) -> str:
    """Write (or return) the HTML page comparing the scenarios.

    Parameters
    ----------
    comparison : Comparison
        From :func:`~territobs.scenarios.compare.compare_zonings`.
    path : path-like, optional
        Where to write the page; the HTML is returned either way.
    title : str, optional
        Page title (default « Comparaison des découpages »).
    indicator : str, optional
        Indicator mapped (default: the balance indicator).
    max_moves : int, default 200
        Rows of each moves table shown (the count is always given).

    Returns
    -------
    str
        The HTML.
    """
    indicator = indicator or comparison.parameters["balance_on"]
    drawn, (source, vintage) = scenario_maps(comparison, indicator)
    figures = [
        f'<figure><img alt="{escape(label)}" src="data:image/png;base64,'
        f'{_png(figure)}"></figure>'
        for label, figure in drawn
    ]
    parts = [
        f"<h1>{escape(title or 'Comparaison des découpages')}</h1>",
        f'<p class="note">Source : {escape(source)} ; {escape(vintage)}. Mêmes classes '
        "sur toutes les cartes.</p>",
        f'<div class="maps">{"".join(figures)}</div>',
        "<h2>Chiffres par scénario</h2>",
        html_table(
            comparison.table("summary"), "Équilibre, forme, alignement, déplacements"
        ),
    ]
    if comparison.alignment is not None:
        split = comparison.table("alignment")
        split = split[split["Coupé"]].drop(columns=["Coupé"])
        parts += ["<h2>Groupes de référence coupés</h2>",
                  html_table(split, f"{len(split)} groupes coupés (tous scénarios)")]  # fmt: skip
    baseline, *others = list(comparison.scenarios)
    for other in others:
        moves = comparison.moves(baseline, other)
        shown = moves_display(moves.head(max_moves))
        caption = (
            f"De « {comparison.scenarios[baseline]} » à « {comparison.scenarios[other]} » :"
            f" {len(moves)} {moved_units_word(comparison)} changent de zone"
            + (f" ({max_moves} premières)" if len(moves) > max_moves else "")
        )
        parts += [f"<h2>{escape(caption)}</h2>", html_table(shown, caption)]
    html = (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{escape(title or 'Comparaison des découpages')}</title>"
        f"<style>{_STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )
    if path is not None:
        Path(path).write_text(html, encoding="utf-8")
    return html
