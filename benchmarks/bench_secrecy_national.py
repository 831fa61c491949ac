"""Secrecy at national scale: time and peak memory of ``apply_secrecy``.

A synthetic France: ``--units`` communes (default 35,000) grouped in EPCI-like
groups of 28 on average (about 1,250), the groups in 100 départements, 100
custom zones (runs of 22 to 400 consecutive communes at 35,000 communes,
shorter in proportion on a smaller France, overlapping each other and the
groups, one in three cutting its first commune at weight 0.5), and the
national total. Each of ``--indicators`` counts (default 10, each its own
producer variable) is drawn like a Département's benefit counts: about one
commune in five below the threshold. Everything is secured together under
``departement(5, mask_zero=True)``: the communes, groups, départements,
custom zones and the total.

Each run is a child process (``resource.getrusage`` gives its peak resident
memory); with ``--repeat`` runs alternate sizes in one session. Writes
``results/secrecy_national{-quick}.md/.json``.

Usage: ``.venv/bin/python benchmarks/bench_secrecy_national.py [--quick]``
(``--quick``: 1,000 communes, 2 indicators).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"


def synthetic(n_units: int, n_indicators: int, seed: int = 0):
    """Result rows (every zone × indicator) and the membership table."""
    rng = np.random.default_rng(seed)
    units = np.array([f"{i:05d}" for i in range(n_units)])
    sizes = rng.integers(5, 52, size=n_units // 20)
    epci = np.repeat(np.arange(len(sizes)), sizes)[:n_units]
    epci = np.r_[epci, np.full(n_units - len(epci), epci[-1] if len(epci) else 0)]
    n_epci = int(epci.max()) + 1
    dep_of_epci = np.sort(rng.integers(0, 100, size=n_epci))
    members = [pd.DataFrame({"unit": units, "zone": "C" + units, "weight": 1.0})]
    members.append(
        pd.DataFrame({"unit": units, "zone": [f"E{g}" for g in epci], "weight": 1.0})
    )
    members.append(
        pd.DataFrame(
            {"unit": units, "zone": [f"D{dep_of_epci[g]}" for g in epci], "weight": 1.0}
        )
    )
    longest = max(10, 400 * n_units // 35_000)  # as dense as at national scale
    for k in range(100):
        length = int(rng.integers(longest // 20 + 2, longest))
        start = int(rng.integers(0, n_units - length))
        weight = np.ones(length)
        if k % 3 == 0:
            weight[0] = 0.5
        members.append(
            pd.DataFrame(
                {
                    "unit": units[start : start + length],
                    "zone": f"Z{k}",
                    "weight": weight,
                }
            )
        )
    members.append(pd.DataFrame({"unit": units, "zone": "FR", "weight": 1.0}))
    membership = pd.concat(members, ignore_index=True)
    counts = []
    for _ in range(n_indicators):
        small = rng.random(n_units) < 0.2
        counts.append(
            np.where(
                small, rng.integers(0, 5, n_units), rng.integers(5, 400, n_units)
            ).astype(float)
        )
    return _rows(membership, units, counts), membership


#: Share of the population counted by each of the ten indicators (a
#: Département's files: PCH, child protection, APA, AAH, RSA, ... up to
#: allocataires): low rates give many small counts in small communes.
RATES = (0.004, 0.006, 0.01, 0.015, 0.02, 0.03, 0.045, 0.07, 0.1, 0.15)


def _shared_cog() -> Path | None:
    root = os.environ.get("TERRITOBS_SHARED_DATA")
    folder = Path(root) / "cog" if root else None
    if (
        folder is None
        or not (folder / "cogugaison-table-appartenance-2024.csv.gz").exists()
    ):
        return None
    return folder


def real_france(n_indicators: int, seed: int = 0):
    """Result rows and membership over the real communes of the COG 2024.

    Zones: the 34,935 communes, their EPCI (1,255, 90 of them across two
    départements or more), the 101 départements and the national total as
    references, and 100 custom zones: runs of 10 to 120 consecutive communes
    (by code) of one département, overlapping EPCI and each other, one in
    three cutting its first commune at weight 0.5 (an estimated piece).
    Counts: Poisson draws of the commune's 2024 population times the rates
    of :data:`RATES` (synthetic counts on real sizes).
    """
    folder = _shared_cog()
    assert folder is not None
    table = pd.read_csv(
        folder / "cogugaison-table-appartenance-2024.csv.gz", dtype=str
    ).dropna(subset=["CODGEO"])
    pop = pd.read_csv(
        folder / "cogugaison-cog2024-communes-pop.csv.gz", dtype={"CODGEO": str}
    ).set_index("CODGEO")["POP"]
    table = table.sort_values("CODGEO", ignore_index=True)
    units = table["CODGEO"].to_numpy()
    population = pop.reindex(units).fillna(0.0).to_numpy()
    members = [pd.DataFrame({"unit": units, "zone": "C" + units, "weight": 1.0})]
    epci = table[table["EPCI"] != "ZZZZZZZZZ"]
    members.append(
        pd.DataFrame(
            {"unit": epci["CODGEO"], "zone": "E" + epci["EPCI"], "weight": 1.0}
        )
    )
    members.append(
        pd.DataFrame({"unit": units, "zone": "D" + table["DEP"], "weight": 1.0})
    )
    rng = np.random.default_rng(seed)
    by_dep = {d: g.index.to_numpy() for d, g in table.groupby("DEP")}
    deps = sorted(by_dep)
    for k in range(100):
        rows = by_dep[deps[int(rng.integers(0, len(deps)))]]
        length = int(rng.integers(10, min(120, len(rows) - 1)))
        start = int(rng.integers(0, len(rows) - length))
        weight = np.ones(length)
        if k % 3 == 0:
            weight[0] = 0.5
        members.append(
            pd.DataFrame(
                {
                    "unit": units[rows[start : start + length]],
                    "zone": f"Z{k}",
                    "weight": weight,
                }
            )
        )
    members.append(pd.DataFrame({"unit": units, "zone": "FR", "weight": 1.0}))
    membership = pd.concat(members, ignore_index=True)
    counts = [
        rng.poisson(population * RATES[i % len(RATES)]).astype(float)
        for i in range(n_indicators)
    ]
    return _rows(membership, units, counts), membership


def _rows(membership: pd.DataFrame, units: np.ndarray, counts: list) -> pd.DataFrame:
    """Every zone × indicator: the zone's count (weights × unit counts)."""
    from scipy import sparse

    zones = pd.unique(membership["zone"])
    matrix = sparse.csr_array(
        (
            membership["weight"].to_numpy(),
            (
                pd.Index(zones).get_indexer(membership["zone"]),
                pd.Index(units).get_indexer(membership["unit"]),
            ),
        ),
        shape=(len(zones), len(units)),
    )
    frames = []
    for i, unit_counts in enumerate(counts):
        values = matrix @ unit_counts
        frames.append(
            pd.DataFrame(
                {
                    "zone": zones,
                    "indicator": f"benefit{i}",
                    "kind": "count",
                    "value": values,
                    "numerator": values,
                    "denominator": np.nan,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def run_once(n_units: int, n_indicators: int) -> dict:
    """Secure one France (``n_units == 0``: the real communes); return figures."""
    import warnings

    from territobs.secrecy import apply_secrecy, departement

    if n_units:
        result, membership = synthetic(n_units, n_indicators)
    else:
        result, membership = real_france(n_indicators)
    communes = result[result["zone"].str.startswith("C")]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = apply_secrecy(
            result, departement(5, mask_zero=True), membership=membership
        )
    seconds = time.perf_counter() - start
    report = out.attrs.get("secrecy", {})
    return {
        "units": int(
            membership.loc[membership["zone"].str.startswith("C"), "unit"].nunique()
        ),
        "real": not n_units,
        "indicators": n_indicators,
        "zones": int(result["zone"].nunique()),
        "rows": len(result),
        "small_share": float((communes["value"] < 5).mean()),
        "seconds": seconds,
        "masked": int(out["secret"].sum()),
        **{k: v for k, v in report.items() if k != "protection_widths"},
    }


def in_child(n_units: int, n_indicators: int, workers: int | None) -> dict:
    """Run :func:`run_once` in a child process; add its peak memory and CPU time.

    Peak memory is the largest resident set of the child and of the
    processes it started (``RUSAGE_CHILDREN``: the largest one, not their
    sum, so the sum is bounded by twice it with one helper process).
    """
    env = dict(os.environ)
    if workers is not None:
        env["TERRITOBS_BENCH_WORKERS"] = str(workers)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(n_units), str(n_indicators)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["peak_mib"] = after.ru_maxrss / 1024
    figures["cpu_seconds"] = (after.ru_utime + after.ru_stime) - (
        before.ru_utime + before.ru_stime
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--units",
        type=int,
        default=None,
        help="synthetic France of this many communes (default: the real ones)",
    )
    parser.add_argument("--indicators", type=int, default=10)
    parser.add_argument(
        "--workers",
        default="2,1",
        help="process counts to compare, alternated (default: 2,1)",
    )
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        workers = os.environ.get("TERRITOBS_BENCH_WORKERS")
        if workers:
            import territobs.secrecy.apply as apply_module

            apply_module.default_workers = lambda: int(workers)
        print(json.dumps(run_once(*args.child)))
        return
    if args.quick:
        units, indicators = 1_000, 2
    else:
        units = args.units if args.units is not None else 0
        indicators = args.indicators
    if units == 0 and _shared_cog() is None:
        print("TERRITOBS_SHARED_DATA absent: synthetic France of 35,000 communes")
        units = 35_000
    runs = []
    loads = []
    for _ in range(args.repeat):
        for workers in [int(w) for w in args.workers.split(",")]:
            loads.append(os.getloadavg())
            figures = in_child(units, indicators, workers)
            figures["workers"] = workers
            figures["loadavg"] = loads[-1]
            runs.append(figures)
            print(json.dumps(figures))
    suffix = "-quick" if args.quick else ("-real" if units == 0 else f"-{units}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"secrecy_national{suffix}.json").write_text(
        json.dumps({"runs": runs}, indent=2) + "\n"
    )
    first = runs[0]
    what = (
        f"the {first['units']} real communes of the COG 2024, their EPCI, the "
        "départements and the national total, 100 custom zones (runs of "
        "communes of one département, one in three cutting a commune at 0.5), "
        f"{first['indicators']} counts drawn on the real populations "
        f"({first['small_share']:.0%} of commune counts below 5)"
        if first["real"]
        else f"a synthetic France of {first['units']} communes (EPCI-like groups, "
        "100 départements, 100 custom zones, the total), "
        f"{first['indicators']} counts"
    )
    command = "python benchmarks/bench_secrecy_national.py" + (
        " --quick" if args.quick else ""
    )
    if not args.quick and args.units is not None:
        command += f" --units {units}"
    if not args.quick and indicators != 10:
        command += f" --indicators {indicators}"
    lines = [
        "# Secrecy at national scale\n",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
        f"{os.uname().nodename} ({os.cpu_count()} CPU). "
        f"Command: `{command} --workers {args.workers} --repeat {args.repeat}`. "
        f"Case: {what}; {first['zones']} zones, {first['rows']} rows, "
        "everything published together under `departement(5, mask_zero=True)`; "
        "each run a fresh child process (`apply_secrecy` only, data built "
        "before the clock starts), runs alternated.\n",
        "| workers | load (1 min) | seconds | CPU seconds | peak memory (MiB) | "
        "masked rows | primary | secondary | persons masked (secondary) | "
        "cells checked | narrowest interval | failing |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
        "---: | ---: |",
    ]
    for r in runs:
        lines.append(
            f"| {r['workers']} | {r['loadavg'][0]:.2f} | {r['seconds']:.1f} | "
            f"{r['cpu_seconds']:.1f} | {r['peak_mib']:.0f} | {r['masked']} | "
            f"{r.get('primary')} | {r.get('secondary')} | "
            f"{r.get('persons_masked_secondary', 0):.0f} | {r.get('cells_checked')} | "
            f"{r.get('min_width', float('nan')):.3g} | {r.get('cells_failing')} |"
        )
    md = "\n".join(lines) + "\n"
    (RESULTS / f"secrecy_national{suffix}.md").write_text(md, encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
