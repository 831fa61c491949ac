"""The incremental engine on a small DAG of text-file steps.

The handlers here are real (they read and write files); what is tested is the
engine: keys, reuse, early cutoff, pruning, --force.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from territobs.atlas.build import (
    BuildContext,
    Handler,
    Step,
    StepProduct,
    run_steps,
)
from territobs.atlas.cache import Manifest, atomic_write_text


def _read(step: Step, context: BuildContext) -> StepProduct:
    text = step.inputs[0].read_text(encoding="utf-8")
    relative = f".cache/{step.id}.txt"
    atomic_write_text(context.path(relative), text.strip().lower())
    return StepProduct(text.strip().lower(), {"data": relative})


def _join(step: Step, context: BuildContext) -> StepProduct:
    text = "+".join(context.load(dep) for dep in step.deps)
    relative = f"{step.id}.txt"
    atomic_write_text(context.path(relative), text)
    return StepProduct(text, {"data": relative})


def _load(files: dict[str, Path], context: BuildContext) -> str:
    return files["data"].read_text(encoding="utf-8")


HANDLERS = {"read": Handler(_read, _load), "join": Handler(_join, _load)}


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for name in ("a", "b"):
        paths[name] = tmp_path / f"{name}.txt"
        paths[name].write_text(name.upper(), encoding="utf-8")
    return paths


def _steps(inputs: dict[str, Path]) -> list[Step]:
    return [
        Step("a", "read", inputs=(inputs["a"],)),
        Step("b", "read", inputs=(inputs["b"],)),
        Step("ab", "join", deps=("a", "b")),
        Step("only_b", "join", deps=("b",)),
        Step("top", "join", deps=("ab", "only_b")),
    ]


def _build(root: Path, steps: list[Step], **kwargs) -> dict[str, str]:
    context = BuildContext(None, Manifest(root), HANDLERS)
    return {o.step.id: o.status for o in run_steps(steps, context, **kwargs)}


def test_first_build_runs_everything_second_reuses(tmp_path, inputs) -> None:
    out = tmp_path / "out"
    assert set(_build(out, _steps(inputs)).values()) == {"built"}
    assert set(_build(out, _steps(inputs)).values()) == {"reused"}
    assert (out / "top.txt").read_text(encoding="utf-8") == "a+b+b"


def test_changed_input_rebuilds_exactly_its_dependents(tmp_path, inputs) -> None:
    out = tmp_path / "out"
    _build(out, _steps(inputs))
    inputs["a"].write_text("A2", encoding="utf-8")
    status = _build(out, _steps(inputs))
    assert status == {
        "a": "built",
        "b": "reused",
        "ab": "built",
        "only_b": "reused",
        "top": "built",
    }
    assert (out / "top.txt").read_text(encoding="utf-8") == "a2+b+b"


def test_same_content_stops_the_cascade(tmp_path, inputs) -> None:
    """Early cutoff: an input rewritten with a different but equivalent text."""
    out = tmp_path / "out"
    _build(out, _steps(inputs))
    inputs["a"].write_text("  A \n", encoding="utf-8")  # new hash, same output
    status = _build(out, _steps(inputs))
    assert status["a"] == "built"
    assert status["ab"] == "reused"
    assert status["top"] == "reused"


def test_deleted_or_edited_output_is_rebuilt(tmp_path, inputs) -> None:
    out = tmp_path / "out"
    _build(out, _steps(inputs))
    (out / "ab.txt").unlink()
    (out / "only_b.txt").write_text("hand edit", encoding="utf-8")
    status = _build(out, _steps(inputs))
    assert status["ab"] == "built"
    assert status["only_b"] == "built"
    assert status["a"] == "reused"
    assert (out / "only_b.txt").read_text(encoding="utf-8") == "b"


def test_force_rebuilds_all(tmp_path, inputs) -> None:
    out = tmp_path / "out"
    _build(out, _steps(inputs))
    assert set(_build(out, _steps(inputs), force=True).values()) == {"built"}


def test_steps_leaving_the_plan_are_pruned(tmp_path, inputs) -> None:
    out = tmp_path / "out"
    _build(out, _steps(inputs))
    smaller = [s for s in _steps(inputs) if s.id not in ("top", "only_b")]
    _build(out, smaller)
    assert not (out / "top.txt").exists()
    assert set(Manifest(out).steps) == {"a", "b", "ab"}


def _nested(step: Step, context: BuildContext) -> StepProduct:
    text = "+".join(context.load(dep) for dep in step.deps)
    relative = f"maps/{step.id}/page.txt"
    atomic_write_text(context.path(relative), text)
    return StepProduct(text, {"data": relative})


def test_pruned_steps_leave_no_empty_folders(tmp_path, inputs) -> None:
    out = tmp_path / "out"
    handlers = dict(HANDLERS, nested=Handler(_nested, _load))
    steps = [
        *_steps(inputs),
        Step("zoning1", "nested", deps=("a",)),
        Step("zoning2", "nested", deps=("b",)),
    ]
    run_steps(steps, BuildContext(None, Manifest(out), handlers))
    assert (out / "maps" / "zoning1" / "page.txt").is_file()
    (out / "maps" / "mine").mkdir()  # a folder the user made: kept
    run_steps(steps[:-2] + steps[-1:], BuildContext(None, Manifest(out), handlers))
    assert not (out / "maps" / "zoning1").exists()
    assert (out / "maps" / "zoning2" / "page.txt").is_file()
    assert (out / "maps" / "mine").is_dir()
    run_steps(steps[:-2], BuildContext(None, Manifest(out), handlers))
    assert not (out / "maps" / "zoning2").exists()
    assert (out / "maps" / "mine").is_dir()  # hence "maps" stays too


def test_crash_leaves_previous_outputs_trusted(tmp_path, inputs) -> None:
    out = tmp_path / "out"
    _build(out, _steps(inputs))

    def crash(step: Step, context: BuildContext) -> StepProduct:
        raise RuntimeError("interrupted")

    inputs["a"].write_text("A3", encoding="utf-8")
    broken = dict(HANDLERS, join=Handler(crash, _load))
    context = BuildContext(None, Manifest(out), broken)
    with pytest.raises(RuntimeError):
        run_steps(_steps(inputs), context)
    # "a" finished before the crash and is recorded; "ab" is stale, never trusted
    status = _build(out, _steps(inputs))
    assert status["a"] == "reused"
    assert status["ab"] == "built"
    assert (out / "ab.txt").read_text(encoding="utf-8") == "a3+b"


def test_checker_runs_only_when_something_is_stale(tmp_path, inputs) -> None:
    out = tmp_path / "out"
    calls = []
    _build(out, _steps(inputs), before_first_run=lambda: calls.append(1))
    _build(out, _steps(inputs), before_first_run=lambda: calls.append(1))
    assert calls == [1]
