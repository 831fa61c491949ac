"""Scenarios: compare and propose zonings, and measure access to sites.

Redrawing the map of circonscriptions raises the same questions every time:
how many inhabitants and beneficiaries does each zone have, how unequal are
the workloads, which communes change zone, how many EPCI stay split, how far
do people live from a site. This package answers them on top of the engine
(:func:`~territobs.zoning.zones.zones_from_members`,
:func:`~territobs.zoning.recompute.recompute`, the catalogue, secrecy), which
it never forks:

* :func:`compare_zonings` (:mod:`~territobs.scenarios.compare`): figures per zone and
  per scenario, balance, shape, alignment with the EPCI, moves;
* :func:`propose_zoning` (:mod:`~territobs.scenarios.propose`): contiguous zonings
  under constraints, with PySAL's ``spopt``;
* :func:`measure_access` (:mod:`~territobs.scenarios.access`): distance from the
  population to the nearest site, straight line or travel time (a matrix read
  by :func:`read_travel_times`, or routed over road lines by
  :func:`travel_time_matrix`).
"""

from __future__ import annotations

from territobs._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "Assignment": "territobs.scenarios._assign",
    "as_assignment": "territobs.scenarios._assign",
    "unit_values": "territobs.scenarios._values",
    "contiguity": "territobs.scenarios.graph",
    "pieces": "territobs.scenarios.graph",
    "balance_figures": "territobs.scenarios.balance",
    "shape_figures": "territobs.scenarios.shape",
    "reference_alignment": "territobs.scenarios.alignment",
    "unit_moves": "territobs.scenarios.moves",
    "moves_map": "territobs.scenarios.moves",
    "Comparison": "territobs.scenarios.compare",
    "compare_zonings": "territobs.scenarios.compare",
    "Proposal": "territobs.scenarios.propose",
    "propose_zoning": "territobs.scenarios.propose",
    "match_zones": "territobs.scenarios.moves",
    "Access": "territobs.scenarios.access",
    "measure_access": "territobs.scenarios.access",
    "nearest_site": "territobs.scenarios.access",
    "add_sites": "territobs.scenarios.access",
    "read_travel_times": "territobs.scenarios.travel",
    "travel_time_matrix": "territobs.scenarios.network",
    "read_scenarios": "territobs.scenarios.config",
    "comparison_page": "territobs.scenarios.report",
}

__all__ = list(_EXPORTS)

__getattr__, __dir__ = lazy_exports("territobs.scenarios", _EXPORTS, globals())
