"""One build of an atlas at a time, checked with real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from territobs.atlas.cache import Manifest, StepRecord
from territobs.atlas.dag import _plan_order
from territobs.atlas.lock import LOCK_NAME, AtlasBusyError, atlas_lock, clean_leftovers

from .conftest import make_atlas

SRC = str(Path(__file__).resolve().parents[2] / "src")
HOLD = (
    "import sys, time\n"
    "from territobs.atlas.lock import atlas_lock\n"
    "with atlas_lock(sys.argv[1]):\n"
    "    print('pris', flush=True)\n"
    "    time.sleep(120)\n"
)


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }


@pytest.fixture
def holder(tmp_path):
    """A real process holding the lock of ``tmp_path / 'out'``."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "out")],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "pris"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)


def test_second_build_stops_with_a_french_message(tmp_path, holder):
    config = make_atlas(tmp_path)  # output: tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-c", "from territobs.cli import main; main()", "atlas",
         str(config), "--quiet-progress"],
        capture_output=True, text=True, env=_env(), timeout=300,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "déjà en cours de construction" in result.stderr
    assert f"processus {holder.pid}" in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [LOCK_NAME]


def test_second_build_waits_a_bounded_time(tmp_path, holder):
    start = time.monotonic()
    with pytest.raises(AtlasBusyError) as info:
        with atlas_lock(tmp_path / "out", wait=1.0):
            pass
    assert 0.9 <= time.monotonic() - start < 30
    assert info.value.holder["pid"] == holder.pid
    assert isinstance(info.value, OSError)


def test_lock_of_a_killed_build_is_free_at_once(tmp_path, holder):
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    with atlas_lock(tmp_path / "out") as lock:  # no wait: the kernel released it
        assert lock.exists()


def test_lock_is_taken_again_after_a_build(tmp_path):
    with atlas_lock(tmp_path):
        pass
    with atlas_lock(tmp_path):
        pass


def test_leftovers_of_interrupted_builds_are_removed(tmp_path):
    maps = tmp_path / "cartes"
    maps.mkdir()
    leftovers = [
        tmp_path / ".index.k3j9x2ab.tmp.html",
        maps / ".population.a1b2c3d4.tmp.html",
        tmp_path / ".manifest.zz9y8x7w.tmp.json",
    ]
    kept = [maps / "population.html", tmp_path / ".territobs-manifest.json"]
    for path in leftovers + kept:
        path.write_text("x")
    with atlas_lock(tmp_path):
        pass
    assert [p for p in leftovers if p.exists()] == []
    assert all(p.exists() for p in kept)
    assert clean_leftovers(tmp_path) == []


WRITE_AND_HANG = (
    "import sys, time\n"
    "from territobs.atlas.cache import atomic_path\n"
    "with atomic_path(sys.argv[1]) as temp:\n"
    "    temp.write_text('à moitié')\n"
    "    print('écrit', flush=True)\n"
    "    time.sleep(120)\n"
)


def test_kill_9_during_a_write_leaves_nothing_after_the_next_lock(tmp_path):
    out = tmp_path / "out"
    target = out / "cartes" / "population.html"
    process = subprocess.Popen(
        [sys.executable, "-c", WRITE_AND_HANG, str(target)],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "écrit"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    leftovers = [p.name for p in out.rglob(".*") if p.is_file()]
    assert len(leftovers) == 1 and ".tmp" in leftovers[0]  # what kill -9 leaves
    assert not target.exists()
    with atlas_lock(out):
        assert [p.name for p in out.rglob("*") if p.is_file()] == [LOCK_NAME]


def test_index_order_follows_the_plan_not_the_history(tmp_path):
    manifest = Manifest(tmp_path)

    def record() -> StepRecord:
        return StepRecord(key="k")

    # history: map b built first, then a and c added by later builds
    for step_id in ("map:z:b", "map:z:c", "map:z:a"):
        manifest.steps[step_id] = record()
    _plan_order(manifest, {"map:z:a": 0, "map:z:b": 1, "map:z:c": 2})
    assert list(manifest.steps) == ["map:z:a", "map:z:b", "map:z:c"]
