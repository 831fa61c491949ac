"""``territobs scenarios``: compare and propose zonings, measure access to sites.

Three subcommands, each a thin wrapper of :mod:`territobs.scenarios`:

* ``compare``: the scenarios of a TOML file (or ``--scenario id=fichier``) →
  tables of figures (CSV) and maps of the moves (PNG) in a folder;
* ``propose``: a contiguous zoning under constraints (spopt) → a membership
  table (CSV) that ``compare`` and ``recompute`` read back;
* ``access``: distance to the nearest site per unit and per zone → CSV.

The units are read from a boundary file (``--units``, with ``--table`` for
INSEE tables) or taken from the offline demo data (``--demo 01``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _units(units_path: Path | None, demo: str | None, tables: tuple[Path, ...]) -> Any:
    """Read the territory: boundary file (+ INSEE tables) or the demo communes."""
    import warnings

    if (units_path is None) == (demo is None):
        raise click.UsageError("donnez soit --units (fichier des unités), soit --demo.")
    if demo is not None:
        from territobs.datasets import read_communes

        with warnings.catch_warnings():
            # the demo's own caveats (contours older than mergers) are documented
            warnings.simplefilter("ignore")
            return read_communes(demo)
    from territobs.io.boundaries import read_boundaries

    units = read_boundaries(units_path)  # type: ignore[arg-type]
    if not tables:
        return units
    from territobs.io.insee import read_insee
    from territobs.territory import build_territory

    return build_territory(units, [read_insee(path) for path in tables])


def _need_spopt() -> None:
    import importlib.util

    if importlib.util.find_spec("spopt") is None:
        raise click.ClickException(
            "cette commande demande le paquet spopt (PySAL) : "
            "pip install 'territobs[scenarios]'."
        )


def _scenario_option(value: str) -> tuple[str, str]:
    if "=" not in value:
        raise click.BadParameter(
            f"« {value} » : forme attendue id=fichier (ou id=colonne:epci)."
        )
    sid, spec = value.split("=", 1)
    return sid.strip(), spec.strip()


def _units_options(func: Any) -> Any:
    func = click.option(
        "--table", "tables", type=_FILE, multiple=True,
        help="Tableau INSEE joint aux unités (CSV, XLSX) ; répétable.",
    )(func)  # fmt: skip
    func = click.option(
        "--demo", default=None, metavar="DÉP",
        help="Communes d'un département des données de démonstration (ex. 01).",
    )(func)  # fmt: skip
    return click.option(
        "--units", "units_path", type=_FILE, default=None,
        help="Fichier des unités (communes, IRIS...) : GeoPackage, shapefile, GeoJSON.",
    )(func)  # fmt: skip


@click.group(
    "scenarios", help="Compare et propose des découpages ; mesure l'accès aux sites."
)
def scenarios() -> None:
    """Group of the scenario subcommands."""


@scenarios.command(
    "compare",
    help=(
        "Compare des découpages d'un même territoire : indicateurs par zone, "
        "équilibre (rapport max/min, coefficient de variation, écart à la cible), "
        "forme (morceaux, enclaves, compacité), EPCI coupés, communes qui changent "
        "de zone. Écrit des tableaux CSV, des cartes PNG et une page HTML "
        "autonome (comparaison.html) dans un dossier."
    ),
)
@_units_options
@click.option(
    "--config", "config_path", type=_FILE, default=None,
    help="Fichier TOML listant les scénarios ([[scenarios]] id, label, file/column/zones).",
)  # fmt: skip
@click.option(
    "--scenario", "scenario_specs", multiple=True,
    help="Scénario id=fichier (table d'appartenance ou polygones) ou id=colonne:NOM ; "
    "répétable. Le premier sert de référence pour les déplacements.",
)  # fmt: skip
@click.option(
    "--indicator", "indicators", multiple=True,
    help="Indicateur du catalogue recalculé par zone ; répétable (défaut : population).",
)  # fmt: skip
@click.option(
    "--reference", default=None,
    help="Colonne des unités du découpage de référence (ex. epci) : groupes coupés.",
)  # fmt: skip
@click.option(
    "--target", type=float, default=None, help="Cible par zone (défaut : la moyenne)."
)
@click.option(
    "--tolerance", type=float, default=0.1, show_default=True,
    help="Écart relatif toléré autour de la cible (0.1 = 10 %).",
)  # fmt: skip
@click.option(
    "--output", "-o", type=click.Path(file_okay=False, path_type=Path), required=True,
    help="Dossier de sortie (créé au besoin).",
)  # fmt: skip
@click.option(
    "--no-maps",
    is_flag=True,
    help="N'écrit ni les cartes des déplacements ni la page HTML de comparaison.",
)
def compare(
    units_path: Path | None,
    demo: str | None,
    tables: tuple[Path, ...],
    config_path: Path | None,
    scenario_specs: tuple[str, ...],
    indicators: tuple[str, ...],
    reference: str | None,
    target: float | None,
    tolerance: float,
    output: Path,
    no_maps: bool,
) -> None:
    """Run ``territobs scenarios compare`` (see ``--help``)."""
    from territobs.scenarios._labels import french
    from territobs.scenarios.compare import compare_zonings
    from territobs.scenarios.config import read_scenarios, scenario_from_spec

    _need_spopt()
    units = _units(units_path, demo, tables)
    zonings: dict[str, Any] = {}
    labels: dict[str, str] = {}
    if config_path is not None:
        found = read_scenarios(config_path, units)
        zonings.update(found.zonings)
        labels.update(found.labels)
        reference = reference or found.reference
    for raw in scenario_specs:
        sid, spec = _scenario_option(raw)
        key = (
            {"column": spec[len("colonne:") :]}
            if spec.startswith("colonne:")
            else {"file": spec}
        )
        zonings[sid] = scenario_from_spec(key, units, key=f"--scenario {sid}")
        labels.setdefault(sid, sid)
    if not zonings:
        raise click.UsageError("aucun scénario : donnez --config ou --scenario.")
    result = compare_zonings(
        units, zonings, list(indicators) or "population", labels=labels,
        reference=reference, target=target, tolerance=tolerance,
    )  # fmt: skip
    output.mkdir(parents=True, exist_ok=True)
    written = []
    files = {"summary": "synthese", "zones": "zones", "alignment": "groupes-reference"}
    for name, stem in files.items():
        if getattr(result, name) is None:
            continue
        path = output / f"{stem}.csv"
        result.table(name).to_csv(path, index=False, sep=";", encoding="utf-8")
        written.append(path.name)
    baseline, *others = list(zonings)
    for other in others:
        moves = result.moves(baseline, other)
        path = output / f"deplacements-{baseline}-{other}.csv"
        french(moves).to_csv(path, index=False, sep=";", encoding="utf-8")
        written.append(path.name)
        if not no_maps:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            from territobs.maps.static import file_metadata

            figure = result.moves_map(baseline, other).figure
            image = output / f"deplacements-{baseline}-{other}.png"
            figure.savefig(  # type: ignore[union-attr]
                image, dpi=120, bbox_inches="tight", metadata=file_metadata("png")
            )
            plt.close(figure)  # type: ignore[arg-type]
            written.append(image.name)
    if not no_maps:
        from territobs.scenarios.report import comparison_page

        comparison_page(result, output / "comparaison.html")
        written.append("comparaison.html")
    click.echo(
        f"{len(zonings)} scénarios comparés ; fichiers écrits dans « {output} » :"
    )
    for name in written:
        click.echo(f"  {name}")


@scenarios.command(
    "propose",
    help=(
        "Propose un découpage en zones d'un seul tenant sous contraintes (PySAL "
        "spopt) : minimum et maximum par zone sur un effectif (max-p), ou nombre de "
        "zones (skater, azp, kmeans). Écrit une table d'appartenance zone;membre."
    ),
)
@_units_options
@click.option(
    "--min", "min_total", type=float, default=None, help="Minimum par zone (ex. 8000)."
)
@click.option(
    "--max", "max_total", type=float, default=None, help="Maximum par zone (ex. 15000)."
)
@click.option("--zones", "n_zones", type=int, default=None, help="Nombre de zones.")
@click.option(
    "--method", type=click.Choice(["maxp", "skater", "azp", "kmeans"]), default=None,
    help="Méthode (défaut : maxp avec --min, sinon skater).",
)  # fmt: skip
@click.option(
    "--indicator", default="population", show_default=True,
    help="Effectif contraint (indicateur du catalogue ou colonne des unités).",
)  # fmt: skip
@click.option(
    "--keep-whole", default=None, help="Colonne des groupes gardés entiers (ex. epci)."
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Graine (reproductible)."
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
    help="Table d'appartenance à écrire (.csv).",
)  # fmt: skip
def propose(
    units_path: Path | None,
    demo: str | None,
    tables: tuple[Path, ...],
    min_total: float | None,
    max_total: float | None,
    n_zones: int | None,
    method: str | None,
    indicator: str,
    keep_whole: str | None,
    seed: int,
    output: Path,
) -> None:
    """Run ``territobs scenarios propose`` (see ``--help``)."""
    from territobs.scenarios.propose import propose_zoning

    _need_spopt()
    if min_total is None and n_zones is None:
        raise click.UsageError(
            "donnez un minimum par zone (--min) ou un nombre de zones (--zones)."
        )
    units = _units(units_path, demo, tables)
    proposal = propose_zoning(
        units, n_zones=n_zones, method=method, indicator=indicator,  # type: ignore[arg-type]
        min_total=min_total, max_total=max_total, keep_whole=keep_whole, seed=seed,
    )  # fmt: skip
    names = units.set_index("code")["name"] if "name" in units else None
    table = proposal.zone.rename_axis("membre").reset_index()[["zone", "membre"]]
    if names is not None:
        table["nom_membre"] = table["membre"].map(names).to_numpy()
    table.sort_values(["zone", "membre"]).to_csv(
        output, index=False, sep=";", encoding="utf-8"
    )
    report = proposal.report
    click.echo(
        f"{len(report)} zones proposées ({proposal.method}, graine {seed}) ; "
        f"total par zone de {report['total'].min():,.0f} à {report['total'].max():,.0f}".replace(
            ",", "\u202f"
        )
        + f" ; « {output} »."
    )
    bad = report[(report["pieces"] > 1) | report["below_min"] | report["above_max"]]
    if len(bad):
        from territobs.formatting import count_of

        click.echo(
            f"Attention : {count_of(len(bad), 'zone')} hors contraintes : "
            + ", ".join(bad["zone"].astype(str))
            + ".",
            err=True,
        )


@scenarios.command(
    "access",
    help=(
        "Mesure la distance (à vol d'oiseau) de la population au site le plus "
        "proche, par unité et par zone ; ou le temps de trajet, d'une matrice "
        "fournie (--travel-times) ou calculé sur un réseau routier de lignes "
        "(--network). Écrit des tableaux CSV."
    ),
)
@_units_options
@click.option(
    "--sites",
    "sites_path",
    type=_FILE,
    required=True,
    help="Fichier des sites (points).",
)
@click.option("--site-id", default=None, help="Colonne des identifiants des sites.")
@click.option(
    "--population", "population_path", type=_FILE, default=None,
    help="Population localisée (IRIS, carreaux) ; défaut : les unités elles-mêmes.",
)  # fmt: skip
@click.option(
    "--weight", default="population", show_default=True,
    help="Effectif de chaque point (indicateur du catalogue ou colonne).",
)  # fmt: skip
@click.option(
    "--scenario",
    "scenario_path",
    type=_FILE,
    default=None,
    help="Découpage en zones (table ou polygones).",
)
@click.option(
    "--threshold", type=float, default=10.0, show_default=True,
    help="Seuil : km à vol d'oiseau, ou minutes avec --travel-times.",
)  # fmt: skip
@click.option(
    "--travel-times", "matrix_path", type=_FILE, default=None,
    help="Matrice des temps de trajet en minutes (CSV : origine;site;minutes, ou une "
    "ligne par code d'unité et une colonne par site).",
)  # fmt: skip
@click.option(
    "--network", "network_path", type=_FILE, default=None,
    help="Réseau routier (lignes : GeoPackage, shapefile) sur lequel calculer les "
    "temps de trajet (non orienté ; accès au réseau à pied).",
)  # fmt: skip
@click.option(
    "--speed", default="50", show_default=True,
    help="Avec --network : vitesse en km/h, ou nom de la colonne des vitesses.",
)  # fmt: skip
@click.option(
    "--output", "-o", type=click.Path(file_okay=False, path_type=Path), required=True,
    help="Dossier de sortie.",
)  # fmt: skip
def access(
    units_path: Path | None,
    demo: str | None,
    tables: tuple[Path, ...],
    sites_path: Path,
    site_id: str | None,
    population_path: Path | None,
    weight: str,
    scenario_path: Path | None,
    threshold: float,
    matrix_path: Path | None,
    network_path: Path | None,
    speed: str,
    output: Path,
) -> None:
    """Run ``territobs scenarios access`` (see ``--help``)."""
    import geopandas as gpd

    from territobs.scenarios._assign import as_assignment
    from territobs.scenarios.access import measure_access
    from territobs.scenarios.config import scenario_from_spec

    units = _units(units_path, demo, tables)
    sites = gpd.read_file(sites_path)
    if sites.crs is None:
        raise click.ClickException(
            f"fichier « {sites_path} » : projection (CRS) absente."
        )
    sites = sites.to_crs(units.crs)
    population = units
    if population_path is not None:
        population = gpd.read_file(population_path).to_crs(units.crs)
    zoning = None
    if scenario_path is not None:
        zoning = as_assignment(
            scenario_from_spec({"file": str(scenario_path)}, units), units
        ).zone
    matrix = None
    if matrix_path is not None:
        from territobs.scenarios.travel import read_travel_times

        matrix = read_travel_times(matrix_path)
    if network_path is not None:
        if matrix is not None:
            raise click.UsageError("donnez --travel-times ou --network, pas les deux.")
        from territobs.scenarios.network import travel_time_matrix

        try:
            kmh: float | str = float(speed.replace(",", "."))
        except ValueError:
            kmh = speed
        network = gpd.read_file(network_path)
        if network.crs is None:
            raise click.ClickException(
                f"fichier « {network_path} » : projection (CRS) absente."
            )
        matrix = travel_time_matrix(
            network.to_crs(units.crs), population, sites, speed=kmh, site_id=site_id
        )
    result = measure_access(
        population, sites, weight=weight,
        units=units if population_path is not None else None,
        zoning=zoning, site_id=site_id,
        threshold=threshold if matrix is not None else threshold * 1000,
        travel_times=matrix, origin="code" if matrix is not None else None,
    )  # fmt: skip
    output.mkdir(parents=True, exist_ok=True)
    scale = 1.0 if matrix is not None else 1000.0
    unit_word = "min" if matrix is not None else "km"
    for name, frame in (("acces-unites", result.units), ("acces-zones", result.zones)):
        table = frame.assign(
            mean_distance=frame["mean_distance"] / scale,
            max_distance=frame["max_distance"] / scale,
        ).rename(
            columns={
                "weight": "population",
                "mean_distance": f"distance_moyenne_{unit_word}",
                "max_distance": f"distance_maximale_{unit_word}",
                "weight_beyond": "population_au_dela_du_seuil",
                "share_beyond": "part_au_dela_du_seuil",
                "n_points": "points",
            }
        )
        table.to_csv(
            output / f"{name}.csv", sep=";", encoding="utf-8", index_label="code"
        )
    overall = result.overall
    click.echo(
        f"Distance moyenne au site le plus proche : {overall['mean_distance'] / scale:.1f} "
        f"{unit_word} ; {100 * overall['share_beyond']:.1f} % de la population au-delà de "
        f"{threshold:g} {unit_word}. Tableaux dans « {output} »."
    )
