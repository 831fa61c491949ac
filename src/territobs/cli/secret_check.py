"""``territobs secret-check``: audit a result table (and an atlas) for disclosure risks."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

_EXISTING = click.Path(exists=True, dir_okay=False, path_type=Path)


def _read_membership(path: Path) -> pd.DataFrame:
    return pd.read_csv(
        path, sep=None, engine="python", dtype={"unit": str, "zone": str}
    )


@click.command(
    "secret-check",
    help=(
        "Recherche les risques de rupture du secret statistique dans RÉSULTAT "
        "(tableau CSV au format de « territobs recompute ») : valeurs sous le seuil "
        "publiées, lignes secrètes qui gardent une valeur, différences entre zones "
        "emboîtées qui révèlent un petit effectif, valeurs masquées présentes dans "
        "les fichiers d'un atlas. Code de sortie 1 si un risque est trouvé."
    ),
)
@click.argument("result", type=_EXISTING, metavar="RÉSULTAT")
@click.option(
    "--rules",
    "rules_path",
    type=_EXISTING,
    help="Fichier TOML des règles de secret et de leur attribution aux indicateurs.",
)
@click.option(
    "--rule",
    "rule_id",
    help=(
        "Règle intégrée appliquée à tous les indicateurs (caf, filosofi, rp). "
        "Sans --rules ni --rule : les règles déclarées dans le catalogue."
    ),
)
@click.option(
    "--membership",
    "membership_path",
    type=_EXISTING,
    help=(
        "Table CSV d'appartenance des unités aux zones (colonnes unit, zone et "
        "facultativement weight) pour le contrôle par différence."
    ),
)
@click.option(
    "--public",
    "public_path",
    type=_EXISTING,
    help="Figures déjà publiées ailleurs (même format que RÉSULTAT).",
)
@click.option(
    "--atlas",
    "atlas_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Dossier produit (atlas, cartes) où chercher des valeurs masquées.",
)
@click.option(
    "--unmasked",
    "unmasked_path",
    type=_EXISTING,
    help="Résultat avant secret (nécessaire avec --atlas).",
)
@click.option(
    "--catalog",
    "catalog_path",
    type=_EXISTING,
    help=(
        "Catalogue personnel (TOML ou YAML) ajouté au catalogue par défaut : "
        "ses règles de secret et ses composantes (un même effectif montré par "
        "plusieurs indicateurs est contrôlé comme une seule figure)."
    ),
)
@click.option(
    "--three-terms",
    is_flag=True,
    help=(
        "Sans effet (conservé pour compatibilité) : toutes les combinaisons "
        "linéaires des figures publiées sont contrôlées."
    ),
)
def secret_check(
    result: Path,
    rules_path: Path | None,
    rule_id: str | None,
    membership_path: Path | None,
    public_path: Path | None,
    atlas_dir: Path | None,
    unmasked_path: Path | None,
    catalog_path: Path | None,
    three_terms: bool,
) -> None:
    """Audit RESULT and print a French report; exit 1 when risks are found."""
    from territobs.formatting import count_of
    from territobs.secrecy import audit, read_result, rules_from_toml
    from territobs.secrecy.audit import audit_summary

    if rules_path is not None and rule_id is not None:
        raise click.UsageError(
            "Donnez soit --rules FICHIER, soit --rule NOM, pas les deux."
        )
    if atlas_dir is not None and unmasked_path is None:
        raise click.UsageError(
            "--atlas demande aussi --unmasked (résultat avant secret)."
        )
    from territobs.cli._result_tables import require_table

    for table in (result, public_path, unmasked_path, membership_path):
        if table is not None:
            require_table(table)
    rules = rules_from_toml(rules_path) if rules_path is not None else rule_id
    catalog = None
    if catalog_path is not None:
        from territobs.catalog import Catalog, default_catalog

        catalog = default_catalog().merge(Catalog.from_file(catalog_path))
    report = audit(
        read_result(result),
        rules,
        membership=_read_membership(membership_path) if membership_path else None,
        public=read_result(public_path) if public_path else None,
        unmasked=read_result(unmasked_path) if unmasked_path else None,
        outputs=atlas_dir,
        max_terms=3 if three_terms else 2,
        catalog=catalog,
    )
    risks = report[report["severity"] == "risque"]
    click.echo(f"Contrôle du secret statistique : {result}")
    figures = report.attrs.get("secrecy") or {}
    if figures:
        click.echo(audit_summary(figures))
    if report.empty:
        click.echo("Aucun risque trouvé.")
        return
    for row in report.to_dict("records"):
        where = f" [{row['path']}]" if row["path"] else ""
        subject = f"{row['zone']} / {row['indicator']} : " if row["zone"] else ""
        click.echo(
            f"- {row['severity']} ({row['check']}) {subject}{row['detail']}{where}"
        )
    click.echo(
        f"{count_of(len(risks), 'risque')}, "
        f"{count_of(len(report) - len(risks), 'avertissement')}."
    )
    if not risks.empty:
        raise click.exceptions.Exit(1)
