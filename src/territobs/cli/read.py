"""``territobs read``: read a file with the right reader and summarise it in French."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pandas as pd

from territobs.formatting import count_of
from territobs.io.registry import READER_NAMES, READERS, guess_reader, read_source

#: Start of the line on masked cells, whether there are some or none.
_MASKED = "Cellules masquées (secret ou manquantes)"
_SEPARATORS = {";": "point-virgule", ",": "virgule", "\t": "tabulation", None: "-"}


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


def _read(path: Path, kind: str, options: dict[str, Any]) -> pd.DataFrame:
    """Read with the registry's reader, passing the options it takes."""
    crs = options["crs"]
    given = {
        **options,
        "crs": int(crs) if crs is not None and crs.isdigit() else crs,
        "to_crs": "auto" if options["reproject"] else None,
    }
    reader = READERS[kind]
    return read_source(path, kind, **{k: given[k] for k in reader.cli_options})


def _vintage_line(frame: pd.DataFrame, info: dict[str, Any]) -> str:
    vintage = info["vintage"]
    if vintage is not None:
        how = (
            " (deviné d'après les noms de variables)"
            if info.get("vintage_guessed")
            else ""
        )
        return f"Millésime : {vintage}{how}"
    columns = [
        str(c)
        for c in frame.columns
        if c not in ("code", "level") and not str(c).endswith("__secret")
    ]
    from territobs.catalog import default_catalog
    from territobs.catalog.resolve import catalog_vintage

    inferred = catalog_vintage(columns, default_catalog())
    if inferred is None:
        return "Millésime : inconnu"
    year, named = inferred
    shown = ", ".join(named[:3]) + (", ..." if len(named) > 3 else "")
    source = "du nom de colonne" if len(named) == 1 else "des noms de colonnes"
    return f"Millésime : {year} (déduit {source} {shown}, d'après le catalogue)"


def summarise(frame: pd.DataFrame, kind: str) -> list[str]:
    """Return the French summary lines of a frame read by ``kind``'s reader."""
    info = frame.attrs.get("territobs", {})
    lines = [f"Type : {READERS[kind].label}", f"Lignes : {_number(len(frame))}"]
    if "level" in frame.columns:
        counts = frame["level"].value_counts()
        lines.append(
            "Niveau : "
            + ", ".join(f"{lvl} ({_number(n)})" for lvl, n in counts.items())
        )
    crs = getattr(frame, "crs", None)
    if crs is not None:
        epsg = crs.to_epsg()
        lines.append(f"CRS : {f'EPSG:{epsg}' if epsg else ''} {crs.name}".strip())
    if info.get("crs_note"):
        lines.append(f"Remarque CRS : {info['crs_note']}")
    if info.get("repaired"):
        lines.append(f"Géométries réparées : {_number(info['repaired'])}")
    if "vintage" in info:
        lines.append(_vintage_line(frame, info))
    if "encoding" in info:
        lines.append(
            f"Encodage : {info['encoding']} ; séparateur : "
            f"{_SEPARATORS.get(info.get('separator'), info.get('separator'))} ; "
            f"virgule décimale : {'oui' if info.get('decimal_comma') else 'non'}"
        )
    columns = [c for c in frame.columns if not str(c).endswith("__secret")]
    shown = ", ".join(map(str, columns[:20]))
    more = f" et {len(columns) - 20} autres" if len(columns) > 20 else ""
    lines.append(f"Colonnes ({len(columns)}) : {shown}{more}")
    masked = info.get("masked_cells") or {}
    if masked:
        top = sorted(masked.items(), key=lambda item: -item[1])[:5]
        lines.append(
            f"{_MASKED} : {_number(sum(masked.values()))} "
            f"dans {count_of(len(masked), 'variable')} — "
            + ", ".join(f"{col} : {_number(n)}" for col, n in top)
        )
    else:
        lines.append(f"{_MASKED} : aucune")
    if info.get("dropped_columns"):
        lines.append(f"Colonnes écartées : {', '.join(info['dropped_columns'])}")
    if info.get("blank_rows"):
        lines.append(f"Lignes vides écartées : {_number(info['blank_rows'])}")
    for code, values in (info.get("pseudo_communes") or {}).items():
        lines.append(f"Pseudo-commune {code} ({values['signification']}) : non jointe")
    if info.get("renamed_columns"):
        renamed = ", ".join(f"{a} → {b}" for a, b in info["renamed_columns"].items())
        lines.append(f"Colonnes renommées : {renamed}")
    return lines


@click.command(
    help=(
        "Lit FICHIER avec le lecteur adapté (limites IGN, tableau INSEE ou CAF, "
        "carreaux Filosofi) et résume ce qu'il contient : lignes, niveau, CRS, "
        "colonnes, cellules masquées, millésime deviné, encodage."
    )
)
@click.argument("path", metavar="FICHIER", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(["auto", *READER_NAMES]),
    default="auto",
    show_default=True,
    help="Nature du fichier (auto : d'après l'extension et l'en-tête).",
)
@click.option(
    "--layer", default=None, help="Couche à lire (GeoPackage, dossier de shapefiles)."
)
@click.option(
    "--level",
    default=None,
    help="Niveau géographique (commune, iris, epci, departement, region...).",
)
@click.option(
    "--key", default=None, help="Colonne des codes d'un tableau (CODGEO, IRIS...)."
)
@click.option(
    "--crs",
    default=None,
    help="CRS des coordonnées quand le fichier n'en déclare pas (par ex. 2154, 2975).",
)
@click.option(
    "--size",
    type=float,
    default=None,
    help="Côté des carreaux donnés par leur centre (m).",
)
@click.option(
    "--reproject/--no-reproject",
    default=True,
    show_default=True,
    help="Reprojeter les limites dans le CRS de calcul (Lambert-93, CRS d'outre-mer).",
)
def read(
    path: Path,
    kind: str,
    layer: str | None,
    level: str | None,
    key: str | None,
    crs: str | None,
    size: float | None,
    reproject: bool,
) -> None:
    """Read a file and print a French summary."""
    if kind == "auto":
        kind = guess_reader(path)
    options = {
        "layer": layer,
        "level": level,
        "key": key,
        "crs": crs,
        "size": size,
        "reproject": reproject,
    }
    frame = _read(path, kind, options)
    click.echo(f"Fichier : {path}")
    for line in summarise(frame, kind):
        click.echo(line)
