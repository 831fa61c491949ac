"""Search random territories for counts that published figures disclose.

Not a speed benchmark: it measures how often secured CAF figures leak. Each
trial draws 3 to 6 units with CAF-like counts (allocataires, RSA foyers),
some allocataire counts blanked by the producer, and overlapping zones made
of whole and partly weighted units (area-like weights), plus the territory.
Three CAF indicators that share components are recomputed
(``rsa_beneficiaries``, ``caf_allocataires``, ``rsa_share_of_allocataires``:
its numerator is the RSA count, its denominator the allocataires) and secured
with ``apply_secrecy`` (default catalogue rules: CAF, threshold 5). A trial
*leaks* when a published count, or the difference between the published
counts of two nested zones (read from any row showing that count: an
indicator's value, or a ratio's numerator or denominator), lies strictly
between 0 and the threshold.

``--before SRC`` runs the same trials, in the same run, on another territobs
source tree (e.g. a ``git worktree`` of the commit before cells were keyed
by catalogue component) and reports both.

Usage: ``.venv/bin/python benchmarks/bench_secrecy_leaks.py [--quick]
[--before /path/to/old/src]`` (``--quick``: 300 trials). Writes
``results/secrecy_leaks{-quick}.md/.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from territobs.secrecy import apply_secrecy
from territobs.zoning.recompute import recompute
from territobs.zoning.weights import Weights

RESULTS = Path(__file__).resolve().parent / "results"
INDICATORS = ["rsa_beneficiaries", "caf_allocataires", "rsa_share_of_allocataires"]
THRESHOLD = 5.0


def _weights(units: list[str], zones: dict[str, dict[str, float]]) -> Weights:
    index = pd.Index(units)
    rows, cols, vals, methods = [], [], [], []
    for j, members in enumerate(zones.values()):
        for unit, w in members.items():
            rows.append(index.get_loc(unit))
            cols.append(j)
            vals.append(w)
            methods.append(1 if w == 1 else 2)  # exact, or area-estimated
    shape = (len(units), len(zones))
    return Weights(
        sparse.csr_array((vals, (rows, cols)), shape=shape),
        sparse.csr_array((np.array(methods, dtype="int8"), (rows, cols)), shape=shape),
        index,
        pd.Index(list(zones)),
        "area",
    )


def trial(seed: int) -> list[tuple]:
    """Run one random territory; return the disclosures found."""
    r = random.Random(seed)
    n = r.randint(3, 6)
    units = [f"u{i}" for i in range(n)]
    rows = []
    for unit in units:
        allocataires = r.randint(5, 80)
        blank = r.random() < 0.3
        rows.append(
            {
                "code": unit,
                "NB_allocataires": np.nan if blank else float(allocataires),
                "NB_allocataires__secret": blank,
                "ALL_RSA": float(r.randint(5, allocataires)),
                "ALL_RSA__secret": False,
            }
        )
    zones: dict[str, dict[str, float]] = {}
    for k in range(r.randint(2, 6)):
        members = r.sample(units, r.randint(1, n))
        zones[f"z{k}"] = {u: r.choice([1.0, 1.0, 0.9, 0.95, 0.5]) for u in members}
        if r.random() < 0.6:  # a near copy: nested pairs differing a little
            near = dict(zones[f"z{k}"])
            near[r.choice(list(near))] = r.choice([0.9, 0.95, 0.05, 0.1])
            zones[f"z{k}b"] = near
    zones["T"] = dict.fromkeys(units, 1.0)
    weights = _weights(units, zones)
    table = pd.DataFrame({"zone": list(zones), "name": list(zones)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = recompute(
            pd.DataFrame(rows), table, INDICATORS, weights=weights, check=False
        )
        secured = apply_secrecy(result, membership=weights)
    shown: dict[str, dict[str, set[float]]] = {"rsa": {}, "allocataires": {}}
    for row in secured[~secured["secret"]].itertuples():
        if row.indicator == "rsa_beneficiaries":
            shown["rsa"].setdefault(row.zone, set()).add(row.value)
        elif row.indicator == "caf_allocataires":
            shown["allocataires"].setdefault(row.zone, set()).add(row.value)
        else:
            shown["rsa"].setdefault(row.zone, set()).add(row.numerator)
            shown["allocataires"].setdefault(row.zone, set()).add(row.denominator)
    member = {z: np.array([m.get(u, 0.0) for u in units]) for z, m in zones.items()}
    leaks = []
    for count, by_zone in shown.items():
        for zone, values in by_zone.items():
            leaks += [(count, zone, v) for v in values if 0 < v < THRESHOLD]
        for a, b in itertools.permutations(by_zone, 2):
            nested = np.all(member[a] <= member[b] + 1e-12)
            if not nested or np.allclose(member[a], member[b]):
                continue
            for va, vb in itertools.product(by_zone[a], by_zone[b]):
                if 1e-9 < vb - va < THRESHOLD - 1e-9:
                    leaks.append((count, f"{b} - {a}", vb - va))
    return leaks


def search(n: int) -> dict:
    """Run ``n`` trials; return the leaky seeds and the time taken."""
    start = time.perf_counter()
    leaky = [seed for seed in range(n) if trial(seed)]
    return {"leaky": leaky, "seconds": time.perf_counter() - start}


def _search_elsewhere(src: str, n: int) -> dict:
    """The same search in a subprocess importing territobs from ``src``."""
    env = {**os.environ, "PYTHONPATH": src}
    done = subprocess.run(
        [sys.executable, __file__, "--only-search", str(n)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 trials")
    parser.add_argument("--before", help="another territobs src folder to compare")
    parser.add_argument("--only-search", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only_search:
        print(json.dumps(search(args.only_search)))
        return
    n = 300 if args.quick else 3000
    runs = {"territobs (this tree)": search(n)}
    if args.before:
        runs[f"territobs from {args.before}"] = _search_elsewhere(args.before, n)
    suffix = "-quick" if args.quick else ""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"secrecy_leaks{suffix}.json").write_text(
        json.dumps({"trials": n, "runs": runs}, indent=2) + "\n"
    )
    md = (
        "# Secrecy: disclosures in random territories (CAF indicators sharing "
        "components)\n\n"
        f"Command: `.venv/bin/python benchmarks/bench_secrecy_leaks.py"
        f"{' --quick' if args.quick else ''}"
        f"{' --before ' + args.before if args.before else ''}`. "
        f"{n} random territories (3-6 units, "
        "30 % of allocataire counts blanked by the producer, nested and "
        "overlapping zones with whole and partial weights), three CAF indicators "
        "secured together with `apply_secrecy`.\n\n"
        "| code | trials | trials with a disclosure | seconds |\n"
        "| --- | ---: | ---: | ---: |\n"
        + "".join(
            f"| {name} | {n} | {len(r['leaky'])} | {r['seconds']:.1f} |\n"
            for name, r in runs.items()
        )
        + "\nA disclosure: a published count, or the difference of the published "
        "counts of two nested zones (from any row showing that count), strictly "
        "between 0 and 5.\n"
    )
    (RESULTS / f"secrecy_leaks{suffix}.md").write_text(md, encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
