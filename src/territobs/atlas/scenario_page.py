"""Outputs of one atlas comparison of scenarios: page, tables, portraits.

The page (``scenarios/<id>/index.html``) is self-contained and works
offline: side-by-side maps drawn by :func:`territobs.maps.static_map` (same
classes on every map, place names laid out by :mod:`territobs.maps.labels`,
secrecy hatching) embedded as inline SVG whose names stay text, the table of
figures per scenario (balance, contiguity, enclaves, compactness, reference
groups split, access to the sites), how each scenario was made, and the
units that change zone. Every figure comes from the published result of
:func:`territobs.scenarios.compare_zonings`; every name is escaped.
"""

from __future__ import annotations

import io
from html import escape
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from territobs.atlas.dag import BuildContext
    from territobs.atlas.scenarios import ScenarioComparisonConfig
    from territobs.scenarios.compare import Comparison

__all__ = ["access_table", "write_outputs"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:110em}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}
.maps{display:flex;flex-wrap:wrap;gap:1em}.maps figure{margin:0;flex:1 1 340px}
.maps svg{width:100%;height:auto;border:1px solid #ddd}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;padding:.2em .5em}
td.n{text-align:right}caption{text-align:left;font-weight:bold;padding:.3em 0}
.note{color:#555;font-size:.9em}ul.portraits{columns:3 16rem}
"""


def access_table(
    comparison: Comparison,
    territory: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    wanted: ScenarioComparisonConfig,
    catalog: Any,
) -> pd.DataFrame:
    """Access to the sites per scenario (population located at the units).

    Returns
    -------
    pandas.DataFrame
        Index: scenario id; ``mean`` (km, or minutes with a matrix),
        ``share_beyond`` (%), ``population_beyond``.
    """
    from territobs.scenarios._values import unit_values
    from territobs.scenarios.access import measure_access

    # units without a census population (business IRIS, parks) are left out
    # of access, and counted in the note: never weighted as 0 silently
    weight = unit_values(territory, "population", catalog=catalog, allow_missing=True)
    known = weight.notna().to_numpy()
    territory = territory[known].assign(_population=weight[known].to_numpy())
    rows = {}
    matrix: Any = wanted.travel_times
    if wanted.network is not None:
        from territobs.scenarios.network import travel_time_matrix

        matrix = travel_time_matrix(
            wanted.network, territory, sites, speed=wanted.speed,
            site_id=wanted.site_id or None,
        )  # fmt: skip
    scale = 1.0 if matrix is not None else 1000.0
    for sid in comparison.scenarios:
        access = measure_access(
            territory, sites, weight="_population", unit="code",
            zoning=comparison.assignments[sid], threshold=wanted.threshold,
            site_id=wanted.site_id or None,
            travel_times=matrix, origin="code" if matrix is not None else None,
            catalog=catalog,
        )  # fmt: skip
        overall = access.overall
        rows[sid] = {
            "mean": float(overall["mean_distance"]) / scale,
            "worst_zone": float(access.zones["mean_distance"].max()) / scale,
            "share_beyond": 100 * float(overall["share_beyond"]),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.attrs["left_out"] = int((~known).sum())
    return table


def _svg(figure: Any) -> str:
    import matplotlib.pyplot as plt

    from territobs.maps.static import file_metadata

    buffer = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none"}):
        figure.savefig(
            buffer, format="svg", bbox_inches="tight", metadata=file_metadata("svg")
        )
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _maps(
    comparison: Comparison, indicator: str, sites: gpd.GeoDataFrame | None = None
) -> tuple[list[str], str]:
    from territobs.scenarios.report import scenario_maps

    drawn, (source, vintage) = scenario_maps(
        comparison, indicator, sites=sites, labels=True
    )
    figures = [
        f'<figure aria-label="{escape(label)}">{_svg(figure)}</figure>'
        for label, figure in drawn
    ]
    return figures, f"{source} ; {vintage}"


def _summary(
    comparison: Comparison, access: pd.DataFrame | None, unit: str
) -> pd.DataFrame:
    table = comparison.table("summary")
    if access is not None:
        ordered = access.reindex(list(comparison.scenarios))
        table[f"Accès : distance moyenne au site le plus proche ({unit})"] = ordered[
            "mean"
        ].to_numpy()
        table[f"Accès : zone la plus éloignée en moyenne ({unit})"] = ordered[
            "worst_zone"
        ].to_numpy()
        table["Accès : part de la population au-delà du seuil (%)"] = ordered[
            "share_beyond"
        ].to_numpy()
    return table


def _references(
    comparison: Comparison, context: BuildContext, order: list[str]
) -> tuple[pd.DataFrame, list[tuple[str, list[str], dict[str, str]]]]:
    """Rows of the atlas's territories of reference, and each portrait's request.

    A scenario zone (``"<scenario>/<zone>"`` in ``order``) is shown beside
    every territory of reference (``[[references]]`` that some zoning of the
    atlas names, e.g. its département) that shares units with it and whose
    départements are all among its units' ones, as the atlas's own portraits
    are. The rows are those the atlas publishes (secrecy applied with its
    zonings): a portrait shows no figure the atlas does not.
    """
    from scipy import sparse

    from territobs.atlas._scenario_config import shows_references
    from territobs.atlas.dag import REFERENCES, StepId
    from territobs.atlas.steps.portraits import _unit_departements, _zone_departements

    config = context.config
    if not shows_references(config):
        return pd.DataFrame(), [(zone, [], {}) for zone in order]
    published = context.load(StepId("secrecy", part=REFERENCES))
    weights = context.load(StepId("weights", REFERENCES))
    unit_deps = _unit_departements(comparison.units)
    ref_deps = dict(
        zip(
            map(str, weights.zones), _zone_departements(weights, unit_deps), strict=True
        )
    )
    matrix = sparse.csc_array(weights.matrix)
    units = weights.units.astype(str).to_numpy()
    position = {str(z): k for k, z in enumerate(weights.zones)}
    named = {r for z in config.zonings for r in z.references}
    zone_ids = published["zone"].astype(str)
    # (ident, label, départements, units)
    chosen: list[tuple[str, str, frozenset[str], frozenset[str]]] = []
    parts = []
    for ref in config.references:
        if ref.id not in named:
            continue
        mine = zone_ids.str.startswith(f"{ref.id}-") | (zone_ids == ref.id)
        rows = published[mine].assign(zone=f"{ref.id}/" + zone_ids[mine])
        parts.append(rows)
        for own in dict.fromkeys(zone_ids[mine]):
            deps = ref_deps.get(own, frozenset())
            if deps and own in position:
                k = position[own]
                members = units[matrix.indices[matrix.indptr[k] : matrix.indptr[k + 1]]]
                chosen.append((f"{ref.id}/{own}", ref.label, deps, frozenset(members)))
    requests = []
    for zone in order:
        sid, own = zone.split("/", 1)
        assigned = comparison.assignments[sid]
        codes = assigned.index[assigned == own].astype(str)
        deps = frozenset(unit_deps.reindex(codes).dropna())
        ids = [
            ident
            for ident, _, d, members in chosen
            if d <= deps and not members.isdisjoint(codes)
        ]
        requests.append((zone, ids, {i: lab for i, lab, *_ in chosen if i in ids}))
    return pd.concat(parts, ignore_index=True), requests


def _portraits(
    comparison: Comparison, wanted: ScenarioComparisonConfig, context: BuildContext
) -> tuple[dict[str, str], list[list[Any]]]:
    """One portrait per zone per scenario (:func:`territobs.portrait.portraits`)."""
    from dataclasses import replace

    from territobs.atlas.steps.maps import _units_label
    from territobs.portrait import portraits
    from territobs.portrait.graphics import locator_svg
    from territobs.portrait.model import _safe_stem

    result = comparison.result
    rows = result.assign(
        zone=result["scenario"].astype(str) + "/" + result["zone"].astype(str),
        zone_name=result["zone_name"].astype(str)
        + " ("
        + result["scenario"].map(comparison.scenarios).astype(str)
        + ")",
    ).drop(columns=["scenario"])
    rows = rows.astype(
        {c: object for c in rows.columns if pd.api.types.is_string_dtype(rows[c])}
    )
    order = list(dict.fromkeys(rows["zone"]))
    references, requests = _references(comparison, context, order)
    if len(references):
        rows = pd.concat([rows, references], ignore_index=True)
        rows = rows.astype(
            {c: object for c in rows.columns if pd.api.types.is_string_dtype(rows[c])}
        )
    pages = portraits(rows, requests)
    files: dict[str, str] = {}
    listed: dict[str, list[list[str]]] = {sid: [] for sid in comparison.scenarios}
    base = f"scenarios/{wanted.id}/portraits"
    units = comparison.units
    unit_names = dict(zip(units["code"], units["name"].astype(str), strict=True))
    label = _units_label(units)
    for zone, page in zip(order, pages, strict=True):
        sid, own = zone.split("/", 1)
        stem = f"{sid}/{_safe_stem(own)}"
        shapes = comparison.geometries[sid].set_index("zone").geometry
        assigned = comparison.assignments[sid]
        members = tuple(
            sorted(
                (
                    (c, unit_names.get(c, c), 1.0)
                    for c in assigned.index[assigned == own]
                ),
                key=lambda m: m[1],
            )
        )
        page = replace(
            page,
            back_link="../../../../index.html",
            note=f"Zone du scénario « {comparison.scenarios[sid]} » "
            f"(page de comparaison : scenarios/{wanted.id}/index.html).",
            members=members,
            members_label=label,
            locator=locator_svg(
                shapes.get(own),
                list(shapes.to_numpy()),
                title=f"Carte de situation de la zone {page.title}",
            ),
        )
        page.save(context.path(f"{base}/{sid}"), _safe_stem(own))
        files[f"{stem}.html"] = f"{base}/{stem}.html"
        files[f"{stem}.csv"] = f"{base}/{stem}.csv"
        name = str(rows.loc[rows["zone"] == zone, "zone_name"].iloc[0])
        listed[sid].append([name.rsplit(" (", 1)[0], stem])
    return files, [[comparison.scenarios[s], listed[s]] for s in comparison.scenarios]


def write_outputs(
    comparison: Comparison,
    access: pd.DataFrame | None,
    wanted: ScenarioComparisonConfig,
    notes: dict[str, str],
    context: BuildContext,
    sites: gpd.GeoDataFrame | None = None,
) -> tuple[dict[str, str], list[list[Any]]]:
    """Write the page, its CSV tables and the portraits; return files and links."""
    from territobs.atlas.cache import atomic_path, atomic_write_text
    from territobs.scenarios._labels import french
    from territobs.scenarios.report import html_table, moved_units_word, moves_display

    folder = f"scenarios/{wanted.id}"
    files: dict[str, str] = {}
    timed = wanted.travel_times is not None or wanted.network is not None
    unit = "min" if timed else "km"
    summary = _summary(comparison, access, unit)
    zones = comparison.table("zones")
    baseline, *others = list(comparison.scenarios)
    moves = pd.concat(
        [
            comparison.moves(baseline, other).assign(
                scenario=comparison.scenarios[other]
            )
            for other in others
        ],
        ignore_index=True,
    )
    if comparison.parameters.get("weight") == "unités":
        moves = moves.drop(columns=["weight"])  # the population is under secrecy
    for key, frame in (
        ("summary", summary),
        ("zones", zones),
        ("moves", french(moves)),
    ):
        files[key] = f"{folder}/{key}.csv"
        with atomic_path(context.path(files[key])) as temp:
            frame.to_csv(temp, index=False, encoding="utf-8", sep=";", decimal=",")
    listed: list[list[Any]] = []
    if wanted.portraits:
        written, listed = _portraits(comparison, wanted, context)
        files |= written
    indicator = wanted.map or comparison.parameters["balance_on"]
    figures, provenance = _maps(comparison, indicator, sites)
    threshold = (
        f"{wanted.threshold:g} min"
        if unit == "min"
        else f"{wanted.threshold / 1000:g} km"
    )
    parts = [
        '<p><a href="../../index.html">← Retour à l\'atlas</a></p>',
        f"<h1>{escape(wanted.title)}</h1>",
        f'<p class="note">Source : {escape(provenance)}. Mêmes classes sur toutes '
        "les cartes ; les figures masquées par le secret statistique sont hachurées"
        " et absentes des tableaux.</p>",
        f'<div class="maps">{"".join(figures)}</div>',
        "<h2>Chiffres par scénario</h2>",
        html_table(summary, "Équilibre, forme, alignement, déplacements, accès"),
    ]
    if access is not None:
        parts.append(
            '<p class="note">Accès : population localisée aux unités du territoire, '
            "site le plus proche "
            + (
                "en temps de trajet sur le réseau routier donné (non orienté, "
                "accès au réseau à pied)"
                if wanted.network is not None
                else "en temps de trajet (matrice donnée)"
                if unit == "min"
                else "à vol d’oiseau"
            )
            + f" ; seuil {escape(threshold)}"
            + (
                f" ; {access.attrs['left_out']} unités sans population recensée "
                "laissées hors du calcul"
                if access.attrs.get("left_out")
                else ""
            )
            + ".</p>"
        )
    parts.append("<h2>Comment chaque scénario a été fait</h2><ul>")
    parts += [
        f"<li><strong>{escape(comparison.scenarios[s])}</strong> : {escape(n)}</li>"
        for s, n in notes.items()
    ]
    parts.append("</ul>")
    for other in others:
        moved = moves[moves["scenario"] == comparison.scenarios[other]]
        caption = (
            f"De « {comparison.scenarios[baseline]} » à « {comparison.scenarios[other]} »"
            f" : {len(moved)} {moved_units_word(comparison)}"
            " changent de zone"
        )
        shown = moves_display(moved.drop(columns=["scenario"]).head(200))
        parts += [f"<h2>{escape(caption)}</h2>", html_table(shown, caption)]
    if listed:
        parts.append("<h2>Portraits des zones</h2>")
        for label, zones_listed in listed:
            items = "".join(
                f'<li><a href="portraits/{escape(stem)}.html">{escape(name)}</a></li>'
                for name, stem in zones_listed
            )
            parts.append(f'<h3>{escape(label)}</h3><ul class="portraits">{items}</ul>')
    html = (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{escape(wanted.title)}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(parts)}</body></html>"
    )
    files["page"] = f"{folder}/index.html"
    atomic_write_text(context.path(files["page"]), html)
    return files, listed
