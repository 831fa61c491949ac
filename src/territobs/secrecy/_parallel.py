"""Share independent counts between this process and child processes.

Each count (a :class:`~territobs.secrecy.attack.FamilyProblem`) is protected
on its own: its cells, its attacker, its secondary suppression. At national
scale (ten counts over 35,000 communes) the counts are split between this
process and ``workers - 1`` child processes, each started as
``python -c`` running :func:`serve` (never by re-importing the
caller's ``__main__``, as :mod:`multiprocessing` would with *spawn*, nor by
forking a process that may hold solver threads). The child reads its counts
and the shared arrays from standard input and writes its
:class:`~territobs.secrecy.suppression.Protection` to standard output, both
pickled: only between this process and the child it started. Results are
merged in count order, so the outcome does not depend on the split.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["MIN_WORK", "default_workers", "run_split", "split_work"]

#: Total nonzero unit weights (over all counts) below which a second
#: process does not pay for its start (about 1.5 s to import the solver
#: stack): ``benchmarks/bench_secrecy_national.py`` measured it.
MIN_WORK = 300_000


def default_workers() -> int:
    """Processors this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def split_work(problems: Sequence[Any], workers: int) -> list[list[int]]:
    """Split counts into balanced parts (by nonzero weights), one per process.

    Returns one part (everything) when ``workers < 2``, when there is one
    count, or when the work is below :data:`MIN_WORK`.

    Examples
    --------
    >>> from types import SimpleNamespace as P
    >>> from scipy import sparse
    >>> sizes = [400_000, 10, 250_000, 150_000]
    >>> problems = [P(weights=sparse.random(1, n, density=1.0)) for n in sizes]
    >>> split_work(problems, 2)
    [[0, 1], [2, 3]]
    """
    sizes = [int(p.weights.nnz) for p in problems]
    if workers < 2 or len(problems) < 2 or sum(sizes) < MIN_WORK:
        return [list(range(len(problems)))]
    n_parts = min(workers, len(problems))
    parts: list[list[int]] = [[] for _ in range(n_parts)]
    loads = [0] * n_parts
    for i in sorted(range(len(problems)), key=lambda i: (-sizes[i], i)):
        k = loads.index(min(loads))
        parts[k].append(i)
        loads[k] += sizes[i]
    return [sorted(part) for part in parts if part]


def _child_code(protect: Callable[..., Any]) -> str:
    """Return the code a child runs: ``protect`` imported by its name.

    Never ``-m``, and this module never imports its caller (no import cycle).
    """
    return (
        f"from {protect.__module__} import {protect.__name__} as protect; "
        "from territobs.secrecy._parallel import serve; serve(protect)"
    )


def _child_env() -> dict[str, str]:
    """Environment of a child: this territobs first on its path."""
    env = dict(os.environ)
    here = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(
        [here, *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
    )
    return env


def run_split(
    parts: Sequence[Sequence[Any]],
    args: tuple,
    protect_families: Callable[..., Any],
) -> list[Any]:
    """Protect ``parts[0]`` here and every other part in a child process.

    ``protect_families(part, *args)`` is a module-level function (the child
    imports it by name). A child that fails (killed, out of memory) has its
    part redone here: the outcome never depends on the children.
    """
    children = []
    for part in parts[1:]:
        child = subprocess.Popen(
            [sys.executable, "-c", _child_code(protect_families)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_child_env(),
        )
        assert child.stdin is not None
        pickle.dump((list(part), args), child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        child.stdin.close()
        children.append(child)
    results = [protect_families(parts[0], *args)]
    for child, part in zip(children, parts[1:], strict=True):
        assert child.stdout is not None
        output = child.stdout.read()
        child.stdout.close()
        child.wait()
        if child.returncode == 0 and output:
            results.append(pickle.loads(output))  # our own child: trusted
        else:
            results.append(protect_families(part, *args))
    return results


def serve(protect: Callable[..., Any]) -> None:
    """Protect the part read from stdin and write its outcome to stdout (in a child)."""
    part, args = pickle.load(sys.stdin.buffer)  # from our parent: trusted
    outcome = protect(part, *args)
    sys.stdout.buffer.write(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
