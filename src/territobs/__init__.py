"""territobs: territorial social observation for France.

Load INSEE and CAF indicators and administrative boundaries, recompute the
indicators on project-shaped zones (exactly where zones are made of whole
units, with an honest estimate where they cut units), keep statistical secrecy,
and publish offline choropleth maps, portraits of territory and atlases.

The public API is flat: ``territobs.read_boundaries``, ``territobs.recompute``,
``territobs.choropleth``... Submodules are imported on first use, so
``import territobs`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from territobs._lazy import lazy_exports
from territobs._version import __version__

#: public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # errors
    "TerritobsError": "territobs.errors",
    "TerritobsWarning": "territobs.errors",
    # codes
    "normalize_code": "territobs.codes",
    "normalize_codes": "territobs.codes",
    "arrondissement_to_commune": "territobs.codes",
    "departement_of": "territobs.codes",
    "level_of": "territobs.codes",
    # readers
    "read_boundaries": "territobs.io.boundaries",
    "read_insee": "territobs.io.insee",
    "read_caf": "territobs.io.caf",
    "read_filosofi_grid": "territobs.io.filosofi_grid",
    "read_zones": "territobs.io.zones",
    "build_territory": "territobs.territory",
    # demo data
    "read_communes": "territobs.datasets",
    "read_epci": "territobs.datasets",
    "read_departements": "territobs.datasets",
    "demo_zones": "territobs.datasets",
    "read_demo_zones": "territobs.datasets",
    # zones, weights, recompute
    "zones_from_members": "territobs.zoning.zones",
    "zones_from_attribute": "territobs.zoning.zones",
    "zones_from_polygons": "territobs.zoning.zones",
    "zones_from_buffer": "territobs.zoning.zones",
    "grid_zones": "territobs.zoning.zones",
    "check_zones": "territobs.zoning.zones",
    "Weights": "territobs.zoning.weights",
    "build_weights": "territobs.zoning.weights",
    "Indicator": "territobs.catalog",
    "Catalog": "territobs.catalog",
    "default_catalog": "territobs.catalog",
    "recompute": "territobs.zoning.recompute",
    "check_conservation": "territobs.zoning.recompute",
    "check_ratios": "territobs.zoning.recompute",
    "evolution": "territobs.zoning.evolution",
    "evolution_from_results": "territobs.zoning.evolution",
    "to_common_cog": "territobs.zoning.evolution",
    "to_geodataframe": "territobs.zoning.result",
    "summarize": "territobs.zoning.result",
    "style_result": "territobs.zoning.result",
    "PartialPolicy": "territobs.schema",
    "figure_states": "territobs.schema",
    "publish_results": "territobs.publish:publish",
    # secrecy
    "SecrecyRule": "territobs.secrecy",
    "apply_secrecy": "territobs.secrecy",
    "audit": "territobs.secrecy",
    "published": "territobs.secrecy",
    "rules_from_toml": "territobs.secrecy",
    # maps
    "choropleth": "territobs.maps",
    "static_map": "territobs.maps",
    "classify": "territobs.maps",
    "Classes": "territobs.maps",
    "save_static": "territobs.maps",
    # portraits and atlases
    # not "portrait"/"fetch": those are subpackages, and importing one would
    # replace a function of the same name on this package
    "make_portrait": "territobs.portrait:portrait",
    "Portrait": "territobs.portrait",
    "build_atlas": "territobs.atlas",
    "load_config": "territobs.atlas",
    # vintages and sources
    "detect_vintage": "territobs.cog",
    "convert_table": "territobs.cog",
    "passage_table": "territobs.cog",
    "membership_table": "territobs.cog",
    "fetch_source": "territobs.fetch:fetch",
    # support
    "show_versions": "territobs._show_versions",
}

__all__ = ["__version__", *_EXPORTS]


__getattr__, __dir__ = lazy_exports("territobs", _EXPORTS, globals())


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from territobs._show_versions import (
        show_versions,
    )
    from territobs.atlas import (
        build_atlas,
        load_config,
    )
    from territobs.catalog import (
        Catalog,
        Indicator,
        default_catalog,
    )
    from territobs.codes import (
        arrondissement_to_commune,
        departement_of,
        level_of,
        normalize_code,
        normalize_codes,
    )
    from territobs.cog import (
        convert_table,
        detect_vintage,
        membership_table,
        passage_table,
    )
    from territobs.datasets import (
        demo_zones,
        read_communes,
        read_demo_zones,
        read_departements,
        read_epci,
    )
    from territobs.errors import (
        TerritobsError,
        TerritobsWarning,
    )
    from territobs.fetch import (
        fetch as fetch_source,
    )
    from territobs.io.boundaries import (
        read_boundaries,
    )
    from territobs.io.caf import (
        read_caf,
    )
    from territobs.io.filosofi_grid import (
        read_filosofi_grid,
    )
    from territobs.io.insee import (
        read_insee,
    )
    from territobs.io.zones import (
        read_zones,
    )
    from territobs.maps import (
        Classes,
        choropleth,
        classify,
        save_static,
        static_map,
    )
    from territobs.portrait import (
        Portrait,
    )
    from territobs.portrait import (
        portrait as make_portrait,
    )
    from territobs.publish import (
        publish as publish_results,
    )
    from territobs.schema import (
        PartialPolicy,
        figure_states,
    )
    from territobs.secrecy import (
        SecrecyRule,
        apply_secrecy,
        audit,
        published,
        rules_from_toml,
    )
    from territobs.territory import (
        build_territory,
    )
    from territobs.zoning.evolution import (
        evolution,
        evolution_from_results,
        to_common_cog,
    )
    from territobs.zoning.recompute import (
        check_conservation,
        check_ratios,
        recompute,
    )
    from territobs.zoning.result import (
        style_result,
        summarize,
        to_geodataframe,
    )
    from territobs.zoning.weights import (
        Weights,
        build_weights,
    )
    from territobs.zoning.zones import (
        check_zones,
        grid_zones,
        zones_from_attribute,
        zones_from_buffer,
        zones_from_members,
        zones_from_polygons,
    )
