"""Search random territories for masked counts an LP attacker recovers or narrows.

Not a speed benchmark: it measures how often secured figures disclose, and
what the protection costs. Each trial draws a small territory of the
issue's shape: 5 to 10 units (communes) with exact counts of a Département's
file (some below the threshold of 5, zeros included), the communes
themselves, 1 or 2 EPCI-like groups partitioning them, 1 to 3 custom zones
(overlapping, some nested, some cutting a unit with an area-like weight)
and the territory total, all published together under
``departement(5, mask_zero=True)``.

The attacker is written here, independently of territobs: unknowns are the
units' counts (nonnegative), every published count is an equality, and for
each masked zone two LPs (HiGHS) give its interval. A trial *discloses* when
a masked count is recovered exactly or narrowed below 5, when a unit's count
is pinned below 5, or when a published count (or the difference of two
nested published zones) is below 5.

The same trials run, in the same run, on the code of ``main`` (``git
archive main src`` into a temporary folder, run in a subprocess) and on this
tree. Information loss: cells masked beyond the primary ones, and the
persons (sum of the counts) they hold.

On the smallest trials the greedy's loss is compared with the optimum of
the same protection problem, found exactly with ``scipy.optimize.milp``
(HiGHS) by combinatorial Benders cuts: solve for the cheapest set of extra
cells, attack it, and if it fails cut every subset of it (masking fewer
cells can only narrow intervals), until the cheapest set passes.

Usage: ``.venv/bin/python benchmarks/bench_secrecy_leaks.py [--quick]
[--before REF]`` (60 trials with ``--quick``, else 200; ``REF`` defaults to ``main``).
Writes ``results/secrecy_leaks{-quick}.md/.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]
THRESHOLD = 5.0
TOL = 1e-6


def territory(seed: int) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Unit counts and zones (unit → weight) of one trial."""
    r = random.Random(seed)
    n = r.randint(5, 10)
    units = [f"c{i}" for i in range(n)]
    counts = {u: float(r.choice([0, 1, 2, 3, 4, 6, 8, 12, 20, 35, 60])) for u in units}
    zones: dict[str, dict[str, float]] = {u: {u: 1.0} for u in units}
    cut = r.randint(1, n - 1)
    zones["epci1"] = dict.fromkeys(units[:cut], 1.0)
    zones["epci2"] = dict.fromkeys(units[cut:], 1.0)
    for k in range(r.randint(1, 3)):
        members = r.sample(units, r.randint(2, n))
        zones[f"z{k}"] = {u: r.choice([1.0, 1.0, 1.0, 0.5]) for u in members}
        if r.random() < 0.5:  # nested: one unit less
            zones[f"z{k}n"] = {
                u: w for u, w in zones[f"z{k}"].items() if u != members[0]
            }
    zones["T"] = dict.fromkeys(units, 1.0)
    return counts, zones


def result_of(counts, zones) -> pd.DataFrame:
    rows = []
    for zone, members in zones.items():
        value = float(sum(w * counts[u] for u, w in members.items()))
        rows.append(
            {
                "zone": zone,
                "indicator": "rsa",
                "kind": "count",
                "value": value,
                "numerator": value,
                "denominator": np.nan,
            }
        )
    return pd.DataFrame(rows)


def _interval(objective, a_eq, b_eq) -> tuple[float, float]:
    kwargs = {"bounds": (0, None), "method": "highs"}
    if len(b_eq):
        kwargs.update(A_eq=np.asarray(a_eq), b_eq=np.asarray(b_eq))
    low = linprog(objective, **kwargs)
    high = linprog(-np.asarray(objective, dtype=float), **kwargs)
    lo = low.fun if low.status == 0 else -np.inf
    hi = -high.fun if high.status == 0 else np.inf
    return lo, hi


def disclosures(counts, zones, secret: set[str]) -> list[str]:
    """What the attacker learns from the zones published (not in ``secret``)."""
    units = list(counts)
    vec = {z: np.array([m.get(u, 0.0) for u in units]) for z, m in zones.items()}
    value = {z: float(vec[z] @ np.array([counts[u] for u in units])) for z in zones}
    shown = [z for z in zones if z not in secret]
    a_eq, b_eq = [vec[z] for z in shown], [value[z] for z in shown]
    found = []
    for zone in shown:
        if value[zone] < THRESHOLD - TOL:
            found.append(f"publié {zone}")
    for a in shown:
        for b in shown:
            inside = np.all(vec[a] <= vec[b] + 1e-12) and not np.allclose(
                vec[a], vec[b]
            )
            if inside and value[b] - value[a] < THRESHOLD - TOL:
                found.append(f"{b} − {a}")
    for zone in sorted(secret):
        lo, hi = _interval(vec[zone], a_eq, b_eq)
        if hi - lo < THRESHOLD - TOL:
            found.append(f"masqué {zone} {'exact' if hi - lo < TOL else 'encadré'}")
    for i, unit in enumerate(units):
        lo, hi = _interval(np.eye(len(units))[i], a_eq, b_eq)
        if hi < THRESHOLD - TOL:
            found.append(f"unité {unit}")
    return found


def secure(counts, zones) -> set[str]:
    """Zones masked by territobs (whichever version is imported)."""
    from territobs.secrecy import apply_secrecy, departement

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = apply_secrecy(
            result_of(counts, zones),
            departement(THRESHOLD, mask_zero=True),
            membership={z: dict(m) for z, m in zones.items()},
        )
    return set(out.loc[out["secret"].astype(bool), "zone"])


def search(n: int) -> dict:
    """Secure and attack ``n`` trials with the territobs imported."""
    start = time.perf_counter()
    leaky, exact, extra_cells, extra_persons, masked_by = [], 0, 0, 0.0, {}
    seconds = 0.0
    for seed in range(n):
        counts, zones = territory(seed)
        t0 = time.perf_counter()
        secret = secure(counts, zones)
        seconds += time.perf_counter() - t0
        masked_by[seed] = sorted(secret)
        value = {z: sum(w * counts[u] for u, w in m.items()) for z, m in zones.items()}
        primary = {z for z in zones if value[z] < THRESHOLD - TOL}
        extra_cells += len(secret - primary)
        extra_persons += sum(value[z] for z in secret - primary)
        found = disclosures(counts, zones, secret)
        if found:
            leaky.append(seed)
            exact += any(f.endswith("exact") for f in found)
    return {
        "leaky": leaky,
        "exact": exact,
        "secondary_cells": extra_cells,
        "secondary_persons": extra_persons,
        "seconds_secrecy": seconds,
        "seconds": time.perf_counter() - start,
        "masked": masked_by,
    }


def optimum(counts, zones) -> tuple[set[str], int]:
    """Cheapest set of extra zones (persons) passing the attacker; MILP cuts."""
    names = list(zones)
    value = np.array([sum(w * counts[u] for u, w in zones[z].items()) for z in names])
    primary = value < THRESHOLD - TOL
    cost = value + 1e-3  # persons, then fewest cells
    cuts: list[np.ndarray] = []
    iterations = 0
    while True:
        iterations += 1
        constraints = [LinearConstraint(np.diag(primary.astype(float)), primary, 1)]
        if cuts:
            constraints.append(LinearConstraint(np.asarray(cuts), 1, np.inf))
        res = milp(
            cost,
            integrality=np.ones(len(names)),
            bounds=Bounds(0, 1),
            constraints=constraints,
        )
        chosen = res.x > 0.5
        secret = {z for z, c in zip(names, chosen, strict=True) if c}
        if not disclosures(counts, zones, secret):
            return secret, iterations
        cuts.append((~chosen).astype(float))  # not a subset of this set


def _search_elsewhere(ref: str, n: int) -> dict:
    """The same search on territobs from git ``ref`` (a subprocess)."""
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", ref, "src"],
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        env = {**os.environ, "PYTHONPATH": str(Path(folder) / "src")}
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
    parser.add_argument("--quick", action="store_true", help="60 trials")
    parser.add_argument("--before", default="main", help="git ref of the old code")
    parser.add_argument("--only-search", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only_search:
        print(json.dumps(search(args.only_search)))
        return
    n = 60 if args.quick else 200
    load = os.getloadavg()
    runs = {
        f"territobs {args.before} (before)": _search_elsewhere(args.before, n),
        "territobs (this tree)": search(n),
    }
    after = runs["territobs (this tree)"]
    gaps = []
    for seed in range(n):
        counts, zones = territory(seed)
        if len(zones) > 16:
            continue
        best, iterations = optimum(counts, zones)
        value = {z: sum(w * counts[u] for u, w in m.items()) for z, m in zones.items()}
        greedy = set(after["masked"][seed])
        gaps.append(
            {
                "seed": seed,
                "greedy_cells": len(greedy),
                "optimal_cells": len(best),
                "greedy_persons": sum(value[z] for z in greedy),
                "optimal_persons": sum(value[z] for z in best),
                "milp_iterations": iterations,
            }
        )
        if len(gaps) >= (10 if args.quick else 40):
            break
    suffix = "-quick" if args.quick else ""
    RESULTS.mkdir(exist_ok=True)
    for r in runs.values():
        r.pop("masked")
    payload = {"trials": n, "loadavg": load, "runs": runs, "optimum": gaps}
    (RESULTS / f"secrecy_leaks{suffix}.json").write_text(
        json.dumps(payload, indent=2) + "\n"
    )
    greedy_p = sum(g["greedy_persons"] for g in gaps)
    best_p = sum(g["optimal_persons"] for g in gaps)
    equal = sum(abs(g["greedy_persons"] - g["optimal_persons"]) < TOL for g in gaps)
    md = (
        "# Secrecy: what an LP attacker learns from secured random territories\n\n"
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
        f"{os.uname().nodename} ({os.cpu_count()} CPU). "
        f"Command: `.venv/bin/python benchmarks/bench_secrecy_leaks.py"
        f"{' --quick' if args.quick else ''} --before {args.before}`. {n} random "
        "territories (5-10 communes with exact counts, 2 EPCI-like groups, 1-3 "
        "overlapping or nested custom zones, some cutting a commune at weight "
        "0.5, the territory total), rule `departement(5, mask_zero=True)`. "
        f"Load average at start: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}.\n\n"
        "| code | trials | trials that disclose | with an exact recovery | "
        "secondary cells | persons in secondary cells | seconds in apply_secrecy |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        + "".join(
            f"| {name} | {n} | {len(r['leaky'])} | {r['exact']} | "
            f"{r['secondary_cells']} | {r['secondary_persons']:.0f} | "
            f"{r['seconds_secrecy']:.1f} |\n"
            for name, r in runs.items()
        )
        + "\nDisclose: a masked zone recovered exactly or narrowed below 5, a "
        "commune pinned below 5, a published count or a difference of nested "
        "published zones below 5 (the attacker in this file, LPs with HiGHS).\n\n"
        f"## Greedy vs optimum (MILP, HiGHS) on {len(gaps)} trials\n\n"
        f"Masked persons (primary + secondary): greedy {greedy_p:.0f}, optimum "
        f"{best_p:.0f} (ratio {greedy_p / best_p if best_p else float('nan'):.3f}); "
        f"greedy optimal on {equal} of {len(gaps)} trials; masked cells: greedy "
        f"{sum(g['greedy_cells'] for g in gaps)}, optimum "
        f"{sum(g['optimal_cells'] for g in gaps)}.\n"
    )
    (RESULTS / f"secrecy_leaks{suffix}.md").write_text(md, encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
