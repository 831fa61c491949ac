"""Stage *portraits*: one portrait page per zone."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from territobs.atlas.dag import REFERENCES, BuildContext, Step, StepId, StepProduct
from territobs.atlas.steps.maps import _departements_frame, _overlaps, _units_label
from territobs.atlas.steps.tables import _partial_notes


def _run_portraits(step: Step, context: BuildContext) -> StepProduct:
    """Write one portrait (HTML + CSV) per zone of a zoning.

    Every portrait is typed and formatted in one pass
    (:func:`territobs.portrait.portraits`); only the HTML pages and the files
    are made one by one.
    """
    from territobs.portrait import portraits
    from territobs.portrait.model import _safe_stem

    config = context.config
    zoning = config.zoning(step.target)
    result = context.load(StepId("secrecy", part=zoning.id))
    weights = context.load(StepId("weights", zoning.id))
    labels = step.params["labels"]
    reference_ids = {r.id for r in config.references}
    targets = []
    for ref in zoning.references:
        target = REFERENCES if ref in reference_ids else ref
        other = context.load(StepId("weights", target))
        rows = context.load(StepId("secrecy", part=target))
        if target == REFERENCES:
            rows = rows[
                rows["zone"].astype(str).str.startswith(f"{ref}-")
                | (rows["zone"].astype(str) == ref)
            ]
        rows = rows.assign(zone=f"{ref}/" + rows["zone"].astype(str))
        targets.append((ref, other, _overlaps(weights, other), rows))
    combined = pd.concat([result, *(rows for *_, rows in targets)], ignore_index=True)
    combined = combined.astype(
        {
            c: object
            for c in combined.columns
            if pd.api.types.is_string_dtype(combined[c])
        }
    )
    positions = combined.groupby("zone", sort=False).indices
    territory = context.load(StepId("territory"))
    unit_deps = _unit_departements(territory)
    zone_deps = _zone_departements(weights, unit_deps)
    # once per reference zoning, not once per zone (quadratic in zones)
    ref_departements = {r: _zone_departements(o, unit_deps) for r, o, *_ in targets}
    requests = []
    left_out: dict[str, int] = {}
    for j, zone in enumerate(weights.zones):
        if zone not in positions:
            continue
        ids, roles = [], {}
        for ref, other, overlap, _ in targets:
            row = overlap.indices[overlap.indptr[j] : overlap.indptr[j + 1]]
            ref_deps = ref_departements[ref]
            for k in row:
                ident = f"{ref}/{other.zones[k]}"
                if ident not in positions:
                    continue
                # never compare with an aggregate of départements the zone
                # does not touch (« Ensemble de l'atlas (93 et 01) »)
                if not ref_deps[k] <= zone_deps[j]:
                    name = labels.get(ref, ref)
                    left_out[name] = left_out.get(name, 0) + 1
                    continue
                ids.append(ident)
                roles[ident] = labels.get(ref, ref)
        requests.append((zone, ids, roles))
    folder = context.path(f"portraits/{zoning.id}")
    files: dict[str, str] = {}
    listed = []
    notes = _partial_notes(context.load(StepId("zones", zoning.id)))
    import warnings

    from territobs.errors import ZoneWarning

    pages = portraits(combined, requests)
    zones = context.load(StepId("zones", zoning.id))
    extras = _portrait_extras(context, weights, zones, territory, zone_deps)
    # its portraits of change (every zone of the zoning has one)
    changes = [
        (f"Évolution {e.start} → {e.end}", f"../../{e.portrait_folder(zoning.id)}")
        for e in config.evolutions
        if e.has_portraits(zoning.id, zoning.portraits)
    ]
    for (zone, _, _), page in zip(requests, pages, strict=True):
        stem = _safe_stem(zone)
        page = replace(
            page,
            back_link="../../index.html",
            see_also=tuple((label, f"{where}/{stem}.html") for label, where in changes),
            note=notes.get(str(zone), page.note),
            **extras.get(str(zone), {}),
        )
        page.save(folder, stem)
        files[f"{stem}.html"] = f"portraits/{zoning.id}/{stem}.html"
        files[f"{stem}.csv"] = f"portraits/{zoning.id}/{stem}.csv"
        listed.append((str(zone), page.columns[0][1], stem))
    for name, count in left_out.items():
        warnings.warn(
            f"référence « {name} » écartée de {count} portrait(s) : elle couvre "
            "des départements que la zone ne touche pas (un agrégat de "
            "départements sans lien avec la zone n'est pas une comparaison).",
            ZoneWarning,
            stacklevel=2,
        )
    return StepProduct(None, files, {"zones": listed})


def _unit_departements(territory: pd.DataFrame) -> pd.Series:
    """Return the département code of each unit (index: unit code)."""
    codes = territory["code"].astype(str)
    if "departement" in territory.columns:
        deps = territory["departement"].astype(str)
    else:
        deps = codes.str[:2].where(~codes.str.startswith("97"), codes.str[:3])
    return pd.Series(deps.to_numpy(), index=codes.to_numpy())


def _zone_departements(weights: Any, unit_deps: pd.Series) -> list[frozenset[str]]:
    """Return the départements of the units of each zone of ``weights``."""
    from scipy import sparse

    matrix = sparse.csc_array(weights.matrix)
    deps = unit_deps.reindex(weights.units.astype(str)).fillna("").to_numpy()
    out = []
    for k in range(matrix.shape[1]):
        rows = matrix.indices[matrix.indptr[k] : matrix.indptr[k + 1]]
        out.append(frozenset(d for d in deps[rows] if d))
    return out


def _portrait_extras(
    context: BuildContext,
    weights: Any,
    zones: Any,
    territory: Any,
    zone_deps: list[frozenset[str]],
) -> dict[str, dict[str, Any]]:
    """Return the locator map (SVG) and member units of each zone's portrait."""
    from scipy import sparse

    from territobs.portrait.graphics import locator_svg

    codes = territory["code"].astype(str).to_numpy()
    names = dict(zip(codes, territory["name"].astype(str), strict=True))
    has_geometry = "geometry" in territory.columns and territory.crs is not None
    units = dict(zip(codes, territory.geometry, strict=True)) if has_geometry else {}
    shapes: dict[str, Any] = {}
    if "geometry" in zones.columns and zones.crs is not None and has_geometry:
        frame = zones if zones.crs == territory.crs else zones.to_crs(territory.crs)
        shapes = dict(zip(frame["zone"].astype(str), frame.geometry, strict=True))
    deps = _departements_frame(context)
    dep_shapes = (
        {} if deps is None else dict(zip(deps["code"], deps.geometry, strict=True))
    )
    label = _units_label(territory)
    matrix = sparse.csc_array(weights.matrix)
    unit_codes = weights.units.astype(str).to_numpy()
    extras = {}
    for k, zone in enumerate(weights.zones.astype(str)):
        rows = matrix.indices[matrix.indptr[k] : matrix.indptr[k + 1]]
        shares = matrix.data[matrix.indptr[k] : matrix.indptr[k + 1]]
        members = sorted(
            (
                (unit_codes[r], names.get(unit_codes[r], unit_codes[r]), float(w))
                for r, w in zip(rows, shares, strict=True)
                if w > 0
            ),
            key=lambda m: m[1],
        )
        locator = ""
        if zone in shapes:
            context_shapes = [
                dep_shapes[d] for d in sorted(zone_deps[k]) if d in dep_shapes
            ]
            locator = locator_svg(
                shapes[zone],
                context_shapes,
                [units[c] for c, _, _ in members if c in units]
                if len(members) > 1
                else [],
                title=f"Carte de situation du territoire {names.get(zone, zone)}",
            )
        extras[zone] = {
            "members": tuple(members)
            if len(members) > 1 or (members and members[0][0] != zone)
            else (),
            "members_label": label,
            "locator": locator,
        }
    return extras
