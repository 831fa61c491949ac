"""Build or refresh an atlas: the entry point.

:func:`build_atlas` loads the config, takes the lock of the output folder,
plans the steps (:mod:`territobs.atlas.plan`), runs them incrementally with
the engine of :mod:`territobs.atlas.dag` and the handlers of
:mod:`territobs.atlas.steps`, and reports what was built and reused
(:class:`BuildReport`).

Planning and key checking import only the standard library; the data steps
(:mod:`territobs.atlas.steps`) import pandas and the other modules only when
a step has to run.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from territobs.atlas.cache import Manifest
from territobs.atlas.config import AtlasConfig, load_config
from territobs.atlas.dag import (
    CACHE_SUFFIX,
    REFERENCES,
    BuildContext,
    Handler,
    ProgressCallback,
    Step,
    StepOutcome,
    StepProduct,
    _cache_relative,
    _LazyHandlers,
    cache_folder,
    run_steps,
)
from territobs.atlas.lock import atlas_lock
from territobs.atlas.plan import plan
from territobs.errors import TerritobsError, output_error
from territobs.formatting import count_of

__all__ = [
    "CACHE_SUFFIX",
    "REFERENCES",
    "BuildContext",
    "BuildReport",
    "Handler",
    "Step",
    "StepOutcome",
    "StepProduct",
    "build_atlas",
    "cache_folder",
    "plan",
    "run_steps",
]


_INDICATOR = re.compile(r"indicateur « ([^»]+) »")


def _grouped_by_indicator(notes: Sequence[str]) -> list[str]:
    """Say once a warning that only the indicator's name changes.

    « 24 unités sans valeur » repeated for each of 18 indicators becomes one
    line naming the indicators; the build journal keeps every line.

    Examples
    --------
    >>> _grouped_by_indicator(["z : indicateur « a » : 2 unités",
    ...                        "z : indicateur « b » : 2 unités", "autre"])
    ['z : indicateurs « a », « b » : 2 unités', 'autre']
    """
    groups: dict[str, list[str]] = {}
    for note in notes:
        groups.setdefault(_INDICATOR.sub("indicateur «…»", note), []).append(note)
    out = []
    for members in groups.values():
        names = [m.group(1) for n in members if (m := _INDICATOR.search(n))]
        if len(members) < 2 or len(names) != len(members):
            out.extend(members)
            continue
        listed = ", ".join(f"« {name} »" for name in names)
        first = members[0]
        match = _INDICATOR.search(first)
        assert match is not None  # every member names an indicator
        out.append(
            f"{first[: match.start()]}indicateurs {listed}{first[match.end() :]}"
        )
    return out


@dataclass
class BuildReport:
    """The outcome of :func:`build_atlas`.

    Parameters
    ----------
    config : AtlasConfig
        The atlas built.
    outcomes : list of StepOutcome
        One per step, in build order.
    stats : dict
        Figures of the published results (``estimated``, ``masked``...).
    seconds : float
        Wall time of the whole build.
    """

    config: AtlasConfig
    outcomes: list[StepOutcome] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def built(self) -> list[str]:
        """Ids of the steps that ran."""
        return [o.step.id for o in self.outcomes if o.status == "built"]

    @property
    def reused(self) -> list[str]:
        """Ids of the steps taken as they were."""
        return [o.step.id for o in self.outcomes if o.status == "reused"]

    @property
    def index(self) -> Path:
        """The index page."""
        return self.config.output / "index.html"

    @property
    def warnings(self) -> list[str]:
        """French warnings of every step (including reused ones), deduplicated."""
        seen: dict[str, None] = {}
        for outcome in self.outcomes:
            for note in outcome.notes:
                seen.setdefault(note, None)
        return list(seen)

    def files(self, status: str | None = None) -> list[str]:
        """Output files (relative paths), optionally only those ``built``/``reused``."""
        return [
            path
            for o in self.outcomes
            if status is None or o.status == status
            for path in o.outputs
        ]

    def summary(self) -> str:
        """Return a French summary: what was built, what was reused, warnings.

        Returns
        -------
        str
            Several lines, ready to print.
        """
        n_built, n_reused = len(self.built), len(self.reused)
        cache = _cache_relative(self.config.output)
        public = [f for f in self.files("built") if not f.startswith(cache)]
        lines = [
            f"Atlas « {self.config.title} » : {self.config.output}",
            f"  construit : {count_of(n_built, 'étape')} "
            f"({count_of(len(public), 'fichier publié')})",
            f"  réutilisé : {count_of(n_reused, 'étape')}",
        ]
        estimated = self.stats.get("estimated", 0)
        masked = self.stats.get("secret", 0)
        with_states = "partial" in self.stats or "missing" in self.stats
        line = (
            f"  valeurs estimées : {estimated} ; masquées (secret statistique) : "
            f"{masked}"
        )
        if not with_states:  # results without states: the incomplete flag
            line += f" ; incomplètes : {self.stats.get('incomplete', 0)}"
        lines.append(line)
        if with_states:
            lines.append(
                f"  partielles (couverture dite) : {self.stats.get('partial', 0)} ; "
                f"données manquantes : {self.stats.get('missing', 0)}"
            )
        if self.stats.get("audit"):
            from territobs.secrecy.audit import audit_summary  # pandas: lazily

            lines.append(f"  {audit_summary(self.stats['audit'])}")
        for note in _grouped_by_indicator(self.warnings):
            lines.append(f"  avertissement : {note}")
        lines.append(f"  index : {self.index}  ({self.seconds:.1f} s)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<BuildReport « {self.config.title} » : {len(self.built)} construites, "
            f"{len(self.reused)} réutilisées>"
        )


def build_atlas(
    config: AtlasConfig | str | os.PathLike[str],
    *,
    force: bool = False,
    progress: ProgressCallback | None = None,
    wait: float = 0.0,
) -> BuildReport:
    r"""Build or refresh an atlas: tables, maps, portraits and index page.

    Parameters
    ----------
    config : AtlasConfig or path-like
        A config, or the path of its TOML file (see
        :mod:`territobs.atlas.config`).
    force : bool, default False
        Rebuild every step, trusting nothing from previous builds.
    progress : callable, optional
        Called as ``progress(step, status)`` after each step (``"built"``
        or ``"reused"``); the CLI draws its progress bar with it.
    wait : float, default 0
        Seconds to wait for another build of the same output folder to end
        (one build at a time: :func:`territobs.atlas.lock.atlas_lock`).

    Returns
    -------
    BuildReport
        What was built and reused, warnings, figures; ``summary()`` gives
        the French text printed by ``territobs atlas``.

    Raises
    ------
    ConfigError
        If the config is invalid (nothing is built).
    AtlasBusyError
        If another build holds the output folder after ``wait`` seconds.
    TerritobsError
        Any error of the steps (readers, zones, recomputation...); the
        outputs finished before it stay valid and are reused next time.

    Notes
    -----
    Step key :math:`k_s = \mathrm{sha256}(v, \mathrm{kind}_s, c_s,
    \{h(f)\}_{f \in F_s}, \{d_u\}_{u \in U_s})` with :math:`v` the
    territobs version and a hash of its installed code and data files,
    :math:`c_s` the step's config section, :math:`h(f)` the content hash of
    input file :math:`f` (cached by path, size and mtime), :math:`d_u` the content digest of what upstream step :math:`u`
    wrote. A step runs when :math:`k_s` differs from the manifest's, or one
    of its files is missing or altered. Each file is written atomically and
    the manifest (itself written atomically) is updated after each step, so
    an interrupted build never leaves a file that a later refresh trusts.

    Examples
    --------
    Building the demo atlas takes about half a minute, too long for a doctest:

    >>> report = build_atlas("mon-atlas/atlas.toml")  # doctest: +SKIP
    >>> print(report.summary())  # doctest: +SKIP
    """
    started = time.perf_counter()
    if not isinstance(config, AtlasConfig):
        config = load_config(config)
    with atlas_lock(config.output, wait=wait):
        try:
            return _build_locked(config, force, progress, started)
        except OSError as exc:
            # Writing the atlas failed (read-only folder, full disk...): say
            # which file and what to do. Errors on inputs are left as they are.
            if isinstance(exc, TerritobsError) or not _inside(exc, config.output):
                raise
            raise output_error(exc) from exc


def _inside(exc: OSError, folder: Path) -> bool:
    """Tell whether the file an ``OSError`` names lies in ``folder``."""
    name = exc.filename
    if not name:
        return False
    return Path(os.fspath(name)).absolute().is_relative_to(folder.absolute())


def _build_locked(
    config: AtlasConfig,
    force: bool,
    progress: ProgressCallback | None,
    started: float,
) -> BuildReport:
    """Build under the lock of the output folder (see :func:`build_atlas`)."""
    manifest = Manifest(config.output)
    _remove_legacy_cache(manifest)

    def check() -> None:
        from territobs.atlas.steps.registry import (
            check_config,  # pandas: only when needed
        )

        check_config(config)

    def handlers() -> Mapping[str, Handler]:
        from territobs.atlas.steps.registry import HANDLERS  # pandas: only when needed

        return HANDLERS

    context = BuildContext(config, manifest, _LazyHandlers(handlers))
    report = BuildReport(config)
    report.outcomes = run_steps(
        plan(config), context, force=force, progress=progress, before_first_run=check
    )
    if "secrecy" in manifest.steps:
        report.stats = dict(manifest.steps["secrecy"].stats.get("totals", {}))
        audit = manifest.steps["secrecy"].stats.get("audit")
        if audit:
            report.stats["audit"] = dict(audit)
    report.seconds = time.perf_counter() - started
    return report


def _remove_legacy_cache(manifest: Manifest) -> None:
    """Delete the cache folder older builds kept inside the output folder.

    Before the cache moved beside the output (:func:`cache_folder`), it was
    ``<output>/.cache``: unmasked results and raw tables that must not stay
    in a folder that gets published. Only done for a folder holding a
    territobs manifest (an atlas this library built).
    """
    legacy = manifest.root / ".cache"
    if manifest.path.exists() and legacy.is_dir():
        shutil.rmtree(legacy)
        for step_id, record in list(manifest.steps.items()):
            if any(o["path"].startswith(".cache/") for o in record.outputs.values()):
                del manifest.steps[step_id]
        manifest.dirty = True
