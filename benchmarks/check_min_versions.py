"""Check the declared lower bounds: a venv with every dependency at its minimum.

Reads ``[project].dependencies`` of ``pyproject.toml``, pins each ``pkg>=X``
to ``pkg==X`` in a fresh virtualenv (PyPI needed), installs the project's
wheel there without dependencies, then runs a smoke subset:

* ``python -m territobs demo`` (the whole demo atlas, offline);
* ``python -m territobs --help`` must be French (``Utilisation``);
* an unknown option must give a French click error;
* ``pytest`` on the tests that need neither ``../shared/data`` nor a browser
  (``SMOKE_TESTS``), with pytest and hypothesis at their latest.

Run it by hand or in CI (``python benchmarks/check_min_versions.py``); it
writes ``benchmarks/results/min_versions.json`` and exits non-zero on failure.
Use ``--keep`` to keep the venv, ``--python`` to choose the interpreter and
``--override pkg==x`` to try another pin for one package.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results" / "min_versions.json"
SMOKE_TESTS = [
    "tests/demo",
    "tests/cli/test_french.py",
    "tests/maps/test_classify.py",
    "tests/maps/test_html.py",
    "tests/zoning/test_weights.py",
    "tests/zoning/test_recompute.py",
    "tests/test_catalog.py",
]
_BOUND = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*>=\s*([^,;\s]+)\s*$")


def minimum_pins(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """``pkg==min`` for every runtime dependency with a ``>=`` lower bound."""
    deps = tomllib.loads(pyproject.read_text("utf-8"))["project"]["dependencies"]
    pins = []
    for dep in deps:
        match = _BOUND.match(dep)
        if match is None:
            raise SystemExit(f"dependency without a plain >= lower bound: {dep!r}")
        name, extras, version = match.groups()
        pins.append(f"{name}{extras or ''}=={version}")
    return pins


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run ``cmd`` without the caller's PYTHONPATH (the venv must stand alone)."""
    print("+", " ".join(cmd), flush=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(cmd, text=True, capture_output=True, env=env, **kwargs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--override", action="append", default=[])
    args = parser.parse_args()

    pins = minimum_pins()
    for override in args.override:
        name = re.split(r"[=<>!~]", override)[0].lower()
        pins = [p for p in pins if p.split("==")[0].lower() != name] + [override]
    work = Path(tempfile.mkdtemp(prefix="territobs-min-"))
    venv = work / "venv"
    py = venv / "bin" / "python"
    report: dict = {"pins": pins, "steps": {}, "loadavg": os.getloadavg()}
    started = time.perf_counter()

    def step(name: str, proc: subprocess.CompletedProcess, ok: bool | None = None):
        ok = proc.returncode == 0 if ok is None else ok
        report["steps"][name] = {
            "ok": ok,
            "returncode": proc.returncode,
            "tail": (proc.stdout + proc.stderr)[-3000:],
        }
        print(f"  {name}: {'ok' if ok else 'FAILED'}", flush=True)
        return ok

    ok = step("venv", run([args.python, "-m", "venv", str(venv)]))
    pip = [str(py), "-m", "pip", "--disable-pip-version-check"]
    ok = ok and step("install minimums", run([*pip, "install", *pins]))
    ok = ok and step(
        "build wheel",
        run(
            [
                sys.executable,
                "-m",
                "build",
                "--wheel",
                "--no-isolation",
                "--outdir",
                str(work / "dist"),
                str(ROOT),
            ]
        ),
    )
    if ok:
        wheel = next((work / "dist").glob("territobs-*.whl"))
        ok = step("install wheel", run([*pip, "install", "--no-deps", str(wheel)]))
    if ok:
        freeze = run([*pip, "freeze"])
        report["installed"] = freeze.stdout.split()
        where = run([str(py), "-c", "import territobs; print(territobs.__file__)"])
        ok = step("territobs from the venv", where, str(venv) in where.stdout) and ok
        cwd = work / "run"
        cwd.mkdir()
        demo = run([str(py), "-m", "territobs", "demo", "--quiet-progress"], cwd=cwd)
        ok = step("territobs demo", demo, demo.returncode == 0) and ok
        helped = run([str(py), "-m", "territobs", "--help"], cwd=cwd)
        step("French help", helped, "Utilisation" in helped.stdout)
        wrong = run([str(py), "-m", "territobs", "demo", "--nope"], cwd=cwd)
        step(
            "French usage error",
            wrong,
            wrong.returncode != 0 and "No such option" not in wrong.stderr,
        )
        test_deps = run([*pip, "install", "pytest", "hypothesis"])
        if step("install pytest", test_deps):
            tests = run(
                [
                    str(py),
                    "-m",
                    "pytest",
                    "-q",
                    "-x",
                    "-p",
                    "no:cacheprovider",
                    *SMOKE_TESTS,
                ],
                cwd=ROOT,
            )
            step("pytest smoke subset", tests)
    report["ok"] = all(s["ok"] for s in report["steps"].values())
    report["seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False), "utf-8")
    print(f"{'OK' if report['ok'] else 'FAILED'}: {RESULTS} ({report['seconds']} s)")
    if args.keep:
        print(f"venv kept: {venv}")
    else:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
