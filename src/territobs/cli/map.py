"""``territobs map``: draw a choropleth map (self-contained HTML, PNG, SVG, PDF)."""

from __future__ import annotations

from pathlib import Path

import click
import geopandas as gpd

from territobs.errors import SourceFormatError
from territobs.maps.classify import SCHEMES

_FORMATS = (".html", ".png", ".svg", ".pdf")


def _read(path: Path) -> gpd.GeoDataFrame:
    """Read any vector file: canonical reader first, plain geopandas otherwise."""
    from territobs.io.boundaries import read_boundaries

    try:
        return read_boundaries(path, to_crs=None)
    except SourceFormatError:
        # A layer without recognised code column (e.g. a result on custom
        # zones): read it as is; maps only need polygons and a numeric column.
        try:
            frame = gpd.read_file(path)
        except Exception as exc:  # pyogrio raises several unrelated types
            raise SourceFormatError(
                f"fichier « {path} » illisible comme couche géographique : {exc}",
                path=path,
            ) from exc
        if not isinstance(frame, gpd.GeoDataFrame):
            raise SourceFormatError(
                f"fichier « {path} » : aucune géométrie, ce n'est pas une couche "
                "géographique. Cartographiez le GeoPackage écrit par « territobs "
                "recompute -o resultat.gpkg », ou joignez le tableau à des limites.",
                path=path,
            ) from None
        return frame


@click.command(name="map")
@click.argument(
    "input_path", metavar="ENTRÉE", type=click.Path(exists=True, path_type=Path)
)
@click.option(
    "--column",
    "-c",
    "columns",
    required=True,
    multiple=True,
    help="Colonne numérique à cartographier (répétable : couches au choix, HTML seulement).",
)
@click.option("--label", help="Libellé de l'indicateur (légende, infobulles).")
@click.option("--unit", help="Unité : %, €, habitants...")
@click.option(
    "--scheme",
    type=click.Choice(SCHEMES),
    default="quantiles",
    show_default=True,
    help="Méthode de classification.",
)
@click.option(
    "--k",
    type=click.IntRange(1, 36),
    default=5,
    show_default=True,
    help="Nombre de classes.",
)
@click.option(
    "--breaks", help="Seuils manuels séparés par des virgules (ex. 0,10,20,50)."
)
@click.option(
    "--reference", type=float, help="Valeur de référence (palette divergente, écarts)."
)
@click.option(
    "--reference-label",
    default="la référence",
    show_default=True,
    help="Nom du territoire de référence.",
)
@click.option(
    "--name-column",
    default="name",
    show_default=True,
    help="Colonne des noms de zones.",
)
@click.option("--title", help="Titre de la carte.")
@click.option("--source", help="Source des données (légende).")
@click.option("--vintage", help="Millésime des données (légende).")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    required=True,
    help="Fichier produit : .html (autonome, hors ligne), .png, .svg ou .pdf.",
)
def map_(
    input_path: Path,
    columns: tuple[str, ...],
    label: str | None,
    unit: str | None,
    scheme: str,
    k: int,
    breaks: str | None,
    reference: float | None,
    reference_label: str,
    name_column: str,
    title: str | None,
    source: str | None,
    vintage: str | None,
    output: Path,
) -> None:
    """Dessine une carte choroplèthe d'une colonne de ENTRÉE.

    ENTRÉE est un fichier géographique (GeoPackage, shapefile, GeoJSON,
    GeoParquet), par exemple le résultat d'un recalcul sur des zones.

    \b
    Exemple :
      territobs map communes.gpkg -c taux_pauvrete --unit % -o carte.html
    """
    from territobs.maps import Reference, choropleth, save_static, static_map
    from territobs.maps.layers import Caption, Layer

    suffix = output.suffix.lower()
    if suffix not in _FORMATS:
        raise click.BadParameter(
            f"extension « {output.suffix} » non prise en charge ; "
            f"extensions possibles : {', '.join(_FORMATS)}",
            param_hint="--output",
        )
    try:
        cuts = [float(b) for b in breaks.split(",")] if breaks else None
    except ValueError as exc:
        raise click.BadParameter(
            f"seuils « {breaks} » illisibles", param_hint="--breaks"
        ) from exc
    frame = _read(input_path)
    ref = Reference(reference, reference_label) if reference is not None else None
    layer = Layer(
        columns[0],
        label=label,
        unit=unit,
        scheme="manual" if cuts else scheme,  # type: ignore[arg-type]  # click.Choice
        k=k,
        breaks=cuts,
        reference=ref,
    )
    caption = Caption(title, source=source, vintage=vintage)
    if suffix == ".html":
        result = choropleth(
            frame,
            layer,
            caption=caption,
            name_column=name_column,
            layers=list(columns[1:]),
        )
        result.save(output)
    else:
        if len(columns) > 1:
            raise click.BadParameter(
                "une carte statique ne montre qu'une colonne", param_hint="--column"
            )
        save_static(static_map(frame, layer, caption=caption), output)
    click.echo(f"Carte écrite : {output}")
