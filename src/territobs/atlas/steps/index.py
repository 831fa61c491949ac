"""Stage *index*: the index page and the build journal."""

from __future__ import annotations

from territobs.atlas.cache import atomic_write_text
from territobs.atlas.dag import BuildContext, Step, StepProduct


def _run_index(step: Step, context: BuildContext) -> StepProduct:
    from territobs.atlas.index import (
        JOURNAL,
        index_from_manifest,
        journal_from_manifest,
    )

    html = index_from_manifest(
        context.config.title,
        step.params["zonings"],
        context.manifest,
        links=[tuple(link) for link in step.params.get("links", [])],
    )
    atomic_write_text(context.path("index.html"), html)
    journal = journal_from_manifest(context.config.title, context.manifest)
    atomic_write_text(context.path(JOURNAL), journal)
    return StepProduct(None, {"html": "index.html", "journal": JOURNAL})
