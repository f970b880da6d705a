# estate: `make run` on a fresh machine imports the sample; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

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

run: $(VENV)/.installed
	@test -f sample_inventory.xlsx || $(BIN)/estate sample --out sample_inventory.xlsx
	$(BIN)/estate import sample_inventory.xlsx --db estate.duckdb
	$(BIN)/estate analyse --db estate.duckdb

# Debian packages, installed when missing: LibreOffice (headless) recalculates the finance workbook in
# the tests; Pango and DejaVu fonts let WeasyPrint write report.pdf.
system-deps:
	@command -v soffice >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui >/dev/null; \
	  else echo "note: LibreOffice missing; install libreoffice-calc-nogui to run the workbook tests"; fi; }
	@ldconfig -p | grep -q libpango-1.0 || { [ "$$(id -u)" = 0 ] && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; } || echo "note: Pango missing (report.pdf)"

test: system-deps $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

docs: $(VENV)/.installed
	$(BIN)/python -m app.docs README.md

sample: $(VENV)/.installed
	$(BIN)/estate sample --out sample_inventory.xlsx --systems 400 --seed 2024

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_graph.py
	$(BIN)/python benchmarks/bench_costing.py
	$(BIN)/python benchmarks/bench_export.py

clean:
	rm -rf $(VENV) estate.duckdb estate.duckdb.wal .pytest_cache .hypothesis
