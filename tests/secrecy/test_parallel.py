"""Counts shared with a child process give the same outcome as one process."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

import territobs.secrecy._parallel as parallel
import territobs.secrecy.apply as apply_module
import territobs.secrecy.suppression as suppression
from territobs.secrecy import apply_secrecy, departement

from .conftest import count_rows


def _territory(seed: int):
    rng = np.random.default_rng(seed)
    units = [f"u{i:03d}" for i in range(60)]
    zones: dict[str, list[str]] = {u: [u] for u in units}
    for g in range(6):
        zones[f"E{g}"] = units[g * 10 : (g + 1) * 10]
    for k in range(4):
        start = int(rng.integers(0, 45))
        zones[f"Z{k}"] = units[start : start + 12]
    zones["T"] = units
    frames = []
    for name in ("rsa", "apa", "pch"):
        counts = dict(zip(units, rng.integers(0, 12, len(units)).tolist(), strict=True))
        frames.append(count_rows(counts, zones, name))
    membership = pd.DataFrame(
        [(u, z, 1.0) for z, members in zones.items() for u in members],
        columns=["unit", "zone", "weight"],
    )
    return pd.concat(frames, ignore_index=True), membership


def test_child_process_gives_the_same_outcome(monkeypatch):
    result, membership = _territory(3)
    splits = []

    def run_split(parts, args, protect):
        splits.append(len(parts))
        return parallel.run_split(parts, args, protect)

    monkeypatch.setattr(suppression, "run_split", run_split)
    monkeypatch.setattr(apply_module, "default_workers", lambda: 2)
    outs = []
    for min_work in (10**12, 0):  # one process, then a child for some counts
        monkeypatch.setattr(parallel, "MIN_WORK", min_work)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outs.append(
                apply_secrecy(
                    result, departement(5, mask_zero=True), membership=membership
                )
            )
    single, split = outs
    assert splits == [2]
    assert single["secret"].sum() > 3
    pd.testing.assert_frame_equal(single, split)
    assert single.attrs["secrecy"] == split.attrs["secrecy"]
