# estate: `make run` on a fresh machine serves the app on the sample estate; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

AXE := .cache/axe/node_modules/axe-core/axe.min.js
OIDC := .cache/oidc/node_modules/oidc-provider/lib/index.js

.PHONY: run test lint format bench docs sample clean system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

# Serves the app on http://localhost:8501; an empty database gets the synthetic sample, imported and analysed.
run: $(VENV)/.installed
	$(BIN)/estate app --db estate.duckdb --sample --port 8501

# Debian packages, installed when missing: LibreOffice (headless) recalculates the finance workbook in
# the tests; Pango and DejaVu fonts let WeasyPrint write report.pdf; Chromium runs the app's browser test
# (Playwright drives the Debian binary: no browser download); Node's npm fetches axe-core, the accessibility
# engine the browser test runs on every page; Java 17 runs Spark (local mode and Spark Connect) for the
# Spark engine's tests (pytest -m spark).
system-deps:
	@missing=""; \
	command -v soffice >/dev/null 2>&1 || missing="$$missing libreoffice-calc-nogui"; \
	ldconfig -p | grep -q libpango-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	command -v java >/dev/null 2>&1 || missing="$$missing openjdk-17-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing from Debian:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "note: missing Debian packages:$$missing (install them to run every test)"; fi; \
	fi

$(AXE):
	@if command -v npm >/dev/null 2>&1; then npm install --silent --no-audit --no-fund --prefix .cache/axe axe-core@4.10; \
	else echo "note: npm missing: the accessibility test is skipped (install nodejs and npm to run it)"; fi

# panva's oidc-provider (a certified OpenID Provider, npm) signs people in for the sign-in tests (tests/test_signin.py)
$(OIDC):
	@if command -v npm >/dev/null 2>&1; then npm install --silent --no-audit --no-fund --prefix .cache/oidc oidc-provider@9.13; \
	else echo "note: npm missing: the sign-in tests are skipped (install nodejs and npm to run them)"; fi

# The browser test keeps a screenshot of every page in artefacts/screenshots (CI's artefacts).
test: system-deps $(VENV)/.installed-dev $(AXE) $(OIDC)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	ESTATE_SCREENSHOTS=$(CURDIR)/artefacts/screenshots $(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The reference pages' generated blocks, then the README's screenshots taken from the app and report as they are.
docs: system-deps $(VENV)/.installed-dev
	$(BIN)/python -m app.docs
	$(BIN)/python docs/screenshots.py

sample: $(VENV)/.installed
	$(BIN)/estate sample --out sample_inventory.xlsx --systems 400 --seed 2024

# Every benchmark, one after another (~10 min); rewrites benchmarks/RESULTS.md.
bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .cache artefacts estate.duckdb estate.duckdb.wal .pytest_cache .hypothesis
