"""The incremental engine of the atlas: typed step ids, steps, keys, the runner.

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

A step is named by a :class:`StepId` (``StepId("map", "bassins",
"population")``), written ``"map:bassins:population"`` in the manifest;
``"secrecy#bassins"`` names one output (``part``) of a step. Which steps an
atlas has is decided by :mod:`territobs.atlas.plan`; what each kind of step
does lives in :mod:`territobs.atlas.steps`.

This module imports only the standard library (a no-change refresh never
loads pandas).
"""

from __future__ import annotations

import datetime as dt
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from territobs.atlas.cache import Manifest, StepRecord, code_fingerprint, key_of
from territobs.errors import ConfigError, TerritobsWarning

if TYPE_CHECKING:  # pragma: no cover
    from territobs.atlas.config import AtlasConfig

__all__ = [
    "CACHE_SUFFIX",
    "REFERENCES",
    "BuildContext",
    "Handler",
    "Step",
    "StepId",
    "StepOutcome",
    "StepProduct",
    "cache_folder",
    "run_steps",
    "step_key",
]


#: Internal zoning id of the reference territories (config ids start with an
#: alphanumeric character, so it cannot collide).
REFERENCES = "_references"


class StepId(NamedTuple):
    """The typed id of a step, or of one output of a step.

    Parameters
    ----------
    kind : str
        The stage (``"zones"``, ``"map"``...); for a bare DAG, the whole name.
    target : str, default ""
        The zoning (or source, evolution) the step is about.
    item : str, default ""
        What within the target (the indicator of a map).
    part : str, default ""
        One named output of the step (``secrecy#bassins``: the published
        figures of zoning ``bassins``).

    Examples
    --------
    >>> ref = StepId("map", "bassins", "population")
    >>> str(ref)
    'map:bassins:population'
    >>> StepId.parse("map:bassins:population") == ref
    True
    >>> str(StepId("secrecy").output("bassins"))
    'secrecy#bassins'
    """

    kind: str
    target: str = ""
    item: str = ""
    part: str = ""

    def __str__(self) -> str:
        names = [self.kind, self.target, self.item]
        while len(names) > 1 and not names[-1]:
            names.pop()
        text = ":".join(names)
        return f"{text}#{self.part}" if self.part else text

    @classmethod
    def parse(cls, text: str | StepId) -> StepId:
        """Read an id as written in a manifest (the one place it is split).

        The item keeps any further ``:`` (ids of zonings cannot hold one).
        """
        if isinstance(text, StepId):
            return text
        name, _, part = text.partition("#")
        kind, _, rest = name.partition(":")
        target, _, item = rest.partition(":")
        return cls(kind, target, item, part)

    def output(self, part: str) -> StepId:
        """Return the id of one named output of this step."""
        return self._replace(part=part)

    @property
    def step(self) -> StepId:
        """The step this id names (without the output part)."""
        return self._replace(part="")


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
    ref : StepId, optional
        The typed id; read from ``id`` when not given. :meth:`Step.of`
        builds a step from a :class:`StepId`, as :func:`~territobs.atlas.plan.plan`
        does.
    """

    id: str
    kind: str
    deps: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    inputs: tuple[Path, ...] = ()
    label: str = ""
    ref: StepId = field(default=StepId(""), compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.ref == StepId(""):
            object.__setattr__(self, "ref", StepId.parse(self.id))

    @classmethod
    def of(
        cls,
        ref: StepId,
        deps: Iterable[StepId | str] = (),
        params: Mapping[str, Any] | None = None,
        inputs: tuple[Path, ...] = (),
        label: str = "",
    ) -> Step:
        """Build the step named ``ref`` (its kind is ``ref.kind``).

        Examples
        --------
        >>> step = Step.of(StepId("zones", "bassins"), [StepId("territory")])
        >>> step.id, step.kind, step.deps, step.target
        ('zones:bassins', 'zones', ('territory',), 'bassins')
        """
        return cls(
            str(ref),
            ref.kind,
            tuple(str(d) for d in deps),
            {} if params is None else params,
            inputs,
            label,
            ref,
        )

    @property
    def target(self) -> str:
        """The zoning (or source) the step is about, when it has one."""
        return self.ref.target

    @property
    def dep_refs(self) -> tuple[StepId, ...]:
        """The upstream ids, typed."""
        return tuple(StepId.parse(dep) for dep in self.deps)


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

    def load(self, dep: str | StepId) -> Any:
        """Value of an upstream step (``"secrecy#Z"`` gives one zoning's part).

        Taken from memory when it ran in this build, otherwise read back from
        its cached files.
        """
        step_id, _, part = str(dep).partition("#")
        if step_id not in self.values:
            kind = self.kinds.get(step_id, StepId.parse(step_id).kind)
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
    """Content digest of what an upstream step (or one of its outputs) wrote."""
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

    def __iter__(self) -> Iterator[str]:
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
            if not checked and before_first_run is not None:
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
