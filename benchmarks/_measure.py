"""Helpers shared by the benchmarks that run each contender in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def spread(values: list[float]) -> dict[str, float]:
    """Median, min and max of per-round values (a ratio's spread)."""
    ordered = sorted(float(v) for v in values)
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    return {"median": median, "min": ordered[0], "max": ordered[-1]}


def ratio_text(r: dict[str, float]) -> str:
    """``1.49× (1.33–1.57)``: median (min–max)."""
    return f"{r['median']:.2f}× ({r['min']:.2f}–{r['max']:.2f})"


def _reset_peak() -> None:
    """Reset the kernel's peak-RSS counter (VmHWM) of this process (Linux)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_rss() -> int:
    """Peak RSS in bytes since start or the last reset (VmHWM), or -1 if unknown."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return -1


def own_peak_then_reset() -> int:
    """Child: this process's peak RSS so far (bytes), then reset the counter.

    Give ``max(own_peak_then_reset(), _peak_rss())`` as ``own_peak`` in the
    report after the measured call.
    """
    peak = _peak_rss()
    _reset_peak()
    return peak


def run_child(script: str, args: list[str], report: Path, what: str) -> dict:
    """Run ``script --child *args`` in a fresh process; read its JSON report.

    Adds ``peak_mb`` (the child's peak RSS) and ``extra_mb`` (its increase
    during the measured call, from the report's ``rss_before`` and
    ``call_peak``). The peak is the report's ``own_peak`` when the child gives
    it (its own ``VmHWM`` read before :func:`_reset_peak`, and ``call_peak``):
    ``ru_maxrss`` from ``os.wait4`` also counts the parent's pages the child
    had between fork and exec, so a large parent inflates every child alike.
    """
    proc = subprocess.Popen([sys.executable, script, "--child", *args])
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise RuntimeError(f"{what} failed (status {status})")
    info = json.loads(report.read_text())
    own = info.get("own_peak")
    info["peak_mb"] = (own / 2**20) if own else usage.ru_maxrss / 1024
    info["extra_mb"] = (info["call_peak"] - info["rss_before"]) / 2**20
    return info
