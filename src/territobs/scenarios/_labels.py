"""French column labels of the scenario tables (display only)."""

from __future__ import annotations

import pandas as pd

__all__ = ["LABELS", "french"]

#: Column id → French label shown to users.
LABELS: dict[str, str] = {
    "scenario": "Scénario",
    "scenario_label": "Scénario",
    "zone": "Zone",
    "zone_name": "Nom de la zone",
    "name": "Nom",
    "code": "Code",
    "n_zones": "Nombre de zones",
    "n_units": "Nombre de communes",
    "total": "Total",
    "minimum": "Plus petite zone",
    "maximum": "Plus grande zone",
    "max_min_ratio": "Rapport max / min",
    "cv": "Coefficient de variation",
    "target": "Cible par zone",
    "max_deviation": "Écart maximal à la cible",
    "zones_off_target": "Zones hors cible",
    "pieces": "Morceaux",
    "zones_in_pieces": "Zones en plusieurs morceaux",
    "enclosed_by": "Enclavée dans",
    "n_enclaves": "Enclaves",
    "area_km2": "Surface (km²)",
    "polsby_popper": "Compacité (Polsby-Popper)",
    "min_polsby_popper": "Compacité minimale",
    "mean_polsby_popper": "Compacité moyenne",
    "groups": "Groupes de référence",
    "groups_split": "Groupes coupés",
    "weight_in_split": "Population des groupes coupés",
    "share_in_split": "Part de la population dans un groupe coupé",
    "moved_units": "Communes qui changent de zone",
    "moved_weight": "Population qui change de zone",
    "to_continues": "Zone d'arrivée : suite de",
    "group": "Groupe de référence",
    "split": "Coupé",
    "zones": "Zones",
    "main_zone": "Zone principale",
    "weight": "Population",
    "weight_outside_main": "Population hors zone principale",
    "from_zone": "Zone de départ",
    "to_zone": "Zone d'arrivée",
    "method": "Méthode",
    "state": "État",
}


def french(frame: pd.DataFrame, extra: dict[str, str] | None = None) -> pd.DataFrame:
    """Copy ``frame`` with French column labels (unknown ones kept)."""
    labels = {**LABELS, **(extra or {})}
    return frame.rename(columns=lambda c: labels.get(c, c))
